/* What the files of src/registry share: the backend vtable (sqlite.c,
 * postgres.c), the dialect (dialect.c) and the statement helpers
 * (registry.c) that every typed function uses. A new file of typed
 * functions declares its own statements with ? placeholders and a slot
 * array in struct registry, then uses reg__stmt, reg__bind_*, reg__step,
 * reg__col_* and reg__exec like modules.c. */
#ifndef INNET_REGISTRY_INTERNAL_H
#define INNET_REGISTRY_INTERNAL_H

#include <pthread.h>

#include "registry/registry.h"

#define REG__CORE_STMTS 32
#define REG__MODULE_STMTS 16
#define REG__STATE_STMTS 8
#define REG__IDEM_STMTS 8
#define REG__MAX_PARAMS 32 /* placeholders of one statement */

/* A prepared statement of the open backend (sqlite.c, postgres.c). */
struct reg__stmt;

/* A database backend: one connection, used from one thread at a time.
 * SQL handed to prepare/exec is in the common dialect (dialect.c): ?N or
 * ? placeholders, {tokens} for what differs. Every int function returns 0
 * or a negative errno mapped from the database's error: -EEXIST (unique),
 * -EBUSY (foreign key), -EINVAL (other constraint), -EAGAIN
 * (serialization failure, deadlock, database busy: retry the
 * transaction), -EIO (anything else, logged). */
struct reg__backend {
	const char *name; /* "sqlite", "postgresql" */
	enum reg__dialect { REG__SQLITE, REG__POSTGRES } dialect;
	/* Connect to spec (a file name, a libpq string); err says why not. */
	int (*open)(struct registry *r, const char *spec, char *err, size_t errlen);
	void (*close)(struct registry *r);
	/* sql is already expanded for this dialect (reg__dialect_sql). */
	int (*prepare)(struct registry *r, const char *sql, struct reg__stmt **out);
	void (*finalize)(struct reg__stmt *s);
	/* Forget the bindings and the rows of the last run. */
	void (*reset)(struct reg__stmt *s);
	/* Parameters count from 1; unbound ones are NULL. Values are copied. */
	int (*bind_int64)(struct reg__stmt *s, int i, int64_t v);
	int (*bind_text)(struct reg__stmt *s, int i, const char *v);
	int (*bind_blob)(struct reg__stmt *s, int i, const void *v, size_t len);
	int (*bind_null)(struct reg__stmt *s, int i);
	/* 1: a row is there, 0: done, or a negative errno. */
	int (*step)(struct reg__stmt *s);
	/* Columns of the current row, from 0. Pointers live until the next
	 * step or reset. Booleans read as 0/1. */
	int64_t (*column_int64)(struct reg__stmt *s, int col);
	const char *(*column_text)(struct reg__stmt *s, int col);
	const void *(*column_blob)(struct reg__stmt *s, int col, size_t *len);
	bool (*column_null)(struct reg__stmt *s, int col);
	/* Rows the last run of s inserted, updated or deleted. */
	int64_t (*changes)(struct reg__stmt *s);
	/* A script of statements without parameters or rows (schema,
	 * migrations, tests). */
	int (*exec)(struct registry *r, const char *script);
	int (*begin)(struct registry *r);
	int (*commit)(struct registry *r);
	int (*rollback)(struct registry *r);
	bool (*in_transaction)(struct registry *r);
	/* The schema version stored in the database (0: none) and whether
	 * the database holds any table at all. */
	int (*get_version)(struct registry *r, int *version, bool *empty);
	/* Store v (inside the transaction that applied the schema). */
	int (*set_version)(struct registry *r, int v);
	/* Hold (lock) or release the lock that keeps two processes from
	 * applying the schema at once, around that transaction. */
	int (*lock_schema)(struct registry *r, bool lock);
	/* The connection's last error message, for logs. */
	const char *(*errmsg)(struct registry *r);
	/* Optional: is the database reachable now (NULL: always)? */
	bool (*available)(struct registry *r);
};

extern const struct reg__backend reg__sqlite_backend;
extern const struct reg__backend reg__postgres_backend; /* a stub without libpq */

struct registry {
	const struct reg__backend *be;
	void *conn; /* the backend's */
	struct reg__stmt *stmts[REG__CORE_STMTS];          /* registry.c */
	struct reg__stmt *module_stmts[REG__MODULE_STMTS]; /* modules.c */
	struct reg__stmt *state_stmts[REG__STATE_STMTS];   /* state.c */
	struct reg__stmt *idem_stmts[REG__IDEM_STMTS];     /* idempotency.c */
	int version;
	int64_t audit_last_id;
	/* reg_tenants_gen: bumped by every tenant write; stale: other innetd
	 * may write unheard (a PostgreSQL registry without a listener) */
	uint64_t tenants_gen;    /* atomic: read from any thread */
	bool shared_stale;       /* atomic */
	bool up;                 /* atomic: reg_available as last seen by the owner */
	pthread_t owner;         /* the thread statements may run on (reg__own) */
};

/* The calling thread owns r from now on (reg_open, the registry thread). */
void reg__own(struct registry *r);
/* Does the calling thread own r? When not: logged as a bug and false
 * (the statement is refused: -EDEADLK, or NULL from reg__stmt), or abort
 * with INNET_REGISTRY_STRICT=1 (the tests). The statement helpers,
 * transactions and scripts call it. */
bool reg__owner_only(struct registry *r, const char *what);

/* --- dialect.c: what differs between SQLite and PostgreSQL -------------- */
/* sql in the common dialect -> this dialect's text (malloc'd; NULL when
 * out of memory): {tokens} expanded, and for PostgreSQL ?N and ? turned
 * into $N and the schema's types translated (with schema). *nparams: the
 * highest placeholder number. */
char *reg__dialect_sql(enum reg__dialect d, const char *sql, bool schema, int *nparams);

/* --- statement helpers (registry.c) ------------------------------------ */
/* The statement sql (common dialect), prepared once into *slot; reset
 * with no bindings. NULL (logged) when it cannot be prepared. */
struct reg__stmt *reg__stmt(struct registry *r, struct reg__stmt **slot, const char *sql);
int reg__bind_int64(struct registry *r, struct reg__stmt *s, int i, int64_t v);
/* NULL binds NULL. */
int reg__bind_text(struct registry *r, struct reg__stmt *s, int i, const char *v);
int reg__bind_blob(struct registry *r, struct reg__stmt *s, int i, const void *v, size_t len);
/* 1: a row, 0: done, or a negative errno. */
int reg__step(struct registry *r, struct reg__stmt *s);
int64_t reg__col_int64(struct registry *r, struct reg__stmt *s, int col);
const char *reg__col_text(struct registry *r, struct reg__stmt *s, int col);
const void *reg__col_blob(struct registry *r, struct reg__stmt *s, int col, size_t *len);
bool reg__col_null(struct registry *r, struct reg__stmt *s, int col);
/* A text column, malloc'd (NULL for NULL). */
char *reg__dupcol(struct registry *r, struct reg__stmt *s, int col);
/* Run a statement that returns no rows (or ignore them): 0 or an errno. */
int reg__exec(struct registry *r, struct reg__stmt *s);
/* Rows the last run of s changed. */
int64_t reg__changes(struct registry *r, struct reg__stmt *s);
/* now - ms as the registry's time text (what {now} stores), for
 * comparisons with created_at columns on either backend. */
void reg__time_cutoff(int64_t older_than_ms, char *buf, size_t len);
/* Log the connection's last error about `what`; -EIO. */
int reg__db_error(struct registry *r, const char *what);
/* Run s to its end, collecting one element of elsize bytes per row,
 * filled by row() from zeroed memory. On failure every element, the
 * failed one too, goes through release() and *v = NULL, *n = 0. */
int reg__list_rows(struct registry *r, struct reg__stmt *s, const char *what, size_t elsize,
                   int (*row)(struct registry *r, struct reg__stmt *s, void *elem),
                   void (*release)(void *elem), void **v, size_t *n);

/* rc, after telling the other innetd (reg_notify) "<kind> <id>" (id < 0:
 * "<kind>") when rc is 0: what a writer returns. */
int reg__notified(struct registry *r, int rc, const char *kind, int64_t id);

#endif
