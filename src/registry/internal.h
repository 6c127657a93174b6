/* What the files of src/registry share: the connection and the statement
 * helpers (registry.c), used by modules.c, state.c and idempotency.c. */
#ifndef INNET_REGISTRY_INTERNAL_H
#define INNET_REGISTRY_INTERNAL_H

#include "registry/registry.h"

#define REG__CORE_STMTS 32
#define REG__MODULE_STMTS 16
#define REG__STATE_STMTS 8
#define REG__IDEM_STMTS 8

struct registry {
	sqlite3 *db;
	sqlite3_stmt *stmts[REG__CORE_STMTS];          /* registry.c */
	sqlite3_stmt *module_stmts[REG__MODULE_STMTS]; /* modules.c */
	sqlite3_stmt *state_stmts[REG__STATE_STMTS];   /* state.c */
	sqlite3_stmt *idem_stmts[REG__IDEM_STMTS];     /* idempotency.c */
	int version;
};

/* The statement sql, prepared once into *slot; reset with no bindings.
 * NULL (logged) when it cannot be prepared. */
sqlite3_stmt *reg__stmt(struct registry *r, sqlite3_stmt **slot, const char *sql);
/* Log the connection's last error about `what`; -EIO. */
int reg__db_error(struct registry *r, const char *what);
/* Run a statement that returns no rows: 0, -EEXIST (unique), -EBUSY
 * (referenced), -EINVAL (other constraint) or -EIO. */
int reg__exec(struct registry *r, sqlite3_stmt *s);
/* The same for the result rc of a step of s. */
int reg__step_errno(struct registry *r, sqlite3_stmt *s, int rc);
/* A text column, malloc'd (NULL for NULL). */
char *reg__dupcol(sqlite3_stmt *s, int col);
/* Run s to its end, collecting one element of elsize bytes per row,
 * filled by row() from zeroed memory. On failure every element, the
 * failed one too, goes through release() and *v = NULL, *n = 0. */
int reg__list_rows(struct registry *r, sqlite3_stmt *s, const char *what, size_t elsize,
                   int (*row)(sqlite3_stmt *s, void *elem), void (*release)(void *elem),
                   void **v, size_t *n);

#endif
