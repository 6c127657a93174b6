/* The SQLite backend: one file, one connection (WAL, foreign keys on,
 * 5 s busy timeout). The embedded default for one PoP. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "registry/internal.h"

struct reg__stmt {
	struct registry *r;
	sqlite3_stmt *s;
	int64_t changes;
};

static sqlite3 *db(struct registry *r)
{
	return r->conn;
}

static int make_parent_dir(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	char *dir = dirname(copy);
	int rc = 0;
	if (strcmp(dir, ".") && strcmp(dir, "/") && mkdir(dir, 0700) && errno != EEXIST)
		rc = -errno;
	free(copy);
	return rc;
}

static int sl_open(struct registry *r, const char *path, char *err, size_t errlen)
{
	int rc = make_parent_dir(path);
	if (rc) {
		snprintf(err, errlen, "%s: cannot create its directory: %s", path, strerror(-rc));
		return rc;
	}
	sqlite3 *d = NULL;
	if (sqlite3_open_v2(path, &d, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, d ? sqlite3_errmsg(d) : "cannot open");
		sqlite3_close(d);
		return -EIO;
	}
	r->conn = d;
	sqlite3_busy_timeout(d, 5000);
	sqlite3_extended_result_codes(d, 1);
	char *msg = NULL;
	if (sqlite3_exec(d, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; "
	                 "PRAGMA synchronous = NORMAL", NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(d));
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static void sl_close(struct registry *r)
{
	if (r->conn && sqlite3_close(db(r)) != SQLITE_OK)
		log_error("registry", "close: %s", sqlite3_errmsg(db(r)));
	r->conn = NULL;
}

static const char *sl_errmsg(struct registry *r)
{
	return r->conn ? sqlite3_errmsg(db(r)) : "not open";
}

/* An SQLite result code -> 0 or a negative errno (logged when -EIO). */
static int map_error(struct registry *r, int rc, const char *what)
{
	if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT: {
		int ext = sqlite3_extended_errcode(db(r));
		if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
			return -EEXIST;
		if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
			return -EBUSY;
		return -EINVAL;
	}
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		log_warn("registry", "%s: %s", what, sqlite3_errmsg(db(r)));
		return -EAGAIN;
	case SQLITE_NOMEM:
		return -ENOMEM;
	}
	log_error("registry", "%s: %s", what, sqlite3_errmsg(db(r)));
	return -EIO;
}

static int sl_prepare(struct registry *r, const char *sql, struct reg__stmt **out)
{
	struct reg__stmt *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->r = r;
	if (sqlite3_prepare_v3(db(r), sql, -1, SQLITE_PREPARE_PERSISTENT, &s->s, NULL) != SQLITE_OK) {
		log_error("registry", "%s: %s", sql, sqlite3_errmsg(db(r)));
		free(s);
		return -EIO;
	}
	*out = s;
	return 0;
}

static void sl_finalize(struct reg__stmt *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->s);
	free(s);
}

static void sl_reset(struct reg__stmt *s)
{
	sqlite3_reset(s->s);
	sqlite3_clear_bindings(s->s);
}

static int bound(struct reg__stmt *s, int rc)
{
	return map_error(s->r, rc, "bind");
}

static int sl_bind_int64(struct reg__stmt *s, int i, int64_t v)
{
	return bound(s, sqlite3_bind_int64(s->s, i, v));
}

static int sl_bind_text(struct reg__stmt *s, int i, const char *v)
{
	return bound(s, v ? sqlite3_bind_text(s->s, i, v, -1, SQLITE_TRANSIENT)
	                  : sqlite3_bind_null(s->s, i));
}

static int sl_bind_blob(struct reg__stmt *s, int i, const void *v, size_t len)
{
	/* a zero-length blob from a NULL pointer would be NULL: "" is none */
	return bound(s, sqlite3_bind_blob64(s->s, i, len ? v : "", len, SQLITE_TRANSIENT));
}

static int sl_bind_null(struct reg__stmt *s, int i)
{
	return bound(s, sqlite3_bind_null(s->s, i));
}

static int sl_step(struct reg__stmt *s)
{
	int rc = sqlite3_step(s->s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		s->changes = sqlite3_changes64(db(s->r));
		return 0;
	}
	/* the statement's error is the connection's until it is reset */
	rc = map_error(s->r, rc, sqlite3_sql(s->s));
	sqlite3_reset(s->s);
	return rc;
}

static int64_t sl_column_int64(struct reg__stmt *s, int col)
{
	return sqlite3_column_int64(s->s, col);
}

static const char *sl_column_text(struct reg__stmt *s, int col)
{
	return (const char *)sqlite3_column_text(s->s, col);
}

static const void *sl_column_blob(struct reg__stmt *s, int col, size_t *len)
{
	const void *b = sqlite3_column_blob(s->s, col);
	*len = (size_t)sqlite3_column_bytes(s->s, col);
	return b;
}

static bool sl_column_null(struct reg__stmt *s, int col)
{
	return sqlite3_column_type(s->s, col) == SQLITE_NULL;
}

static int64_t sl_changes(struct reg__stmt *s)
{
	return s->changes;
}

static int sl_exec(struct registry *r, const char *script)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db(r), script, NULL, NULL, &msg);
	if (rc != SQLITE_OK && msg)
		log_debug("registry", "%s", msg);
	sqlite3_free(msg);
	return map_error(r, rc, "exec");
}

/* Writers take the lock at BEGIN: one writer at a time, so a transaction
 * that read a count cannot be overtaken by another connection. */
static int sl_begin(struct registry *r) { return sl_exec(r, "BEGIN IMMEDIATE"); }
static int sl_commit(struct registry *r) { return sl_exec(r, "COMMIT"); }
static int sl_rollback(struct registry *r) { return sl_exec(r, "ROLLBACK"); }

static bool sl_in_transaction(struct registry *r)
{
	return !sqlite3_get_autocommit(db(r));
}

static int scalar(struct registry *r, const char *sql, int *out)
{
	sqlite3_stmt *s;
	int rc = -EIO;
	if (sqlite3_prepare_v2(db(r), sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW) {
			*out = sqlite3_column_int(s, 0);
			rc = 0;
		}
		sqlite3_finalize(s);
	}
	return rc;
}

static int sl_get_version(struct registry *r, int *version, bool *empty)
{
	int tables = 0;
	int rc = scalar(r, "PRAGMA user_version", version);
	if (!rc)
		rc = scalar(r, "SELECT count(*) FROM sqlite_master", &tables);
	*empty = tables == 0;
	return rc;
}

static int sl_set_version(struct registry *r, int v)
{
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v);
	return sl_exec(r, pragma);
}

/* BEGIN IMMEDIATE is the lock already. */
static int sl_lock_schema(struct registry *r, bool lock)
{
	return 0;
}

const struct reg__backend reg__sqlite_backend = {
	.name = "sqlite",
	.dialect = REG__SQLITE,
	.open = sl_open,
	.close = sl_close,
	.prepare = sl_prepare,
	.finalize = sl_finalize,
	.reset = sl_reset,
	.bind_int64 = sl_bind_int64,
	.bind_text = sl_bind_text,
	.bind_blob = sl_bind_blob,
	.bind_null = sl_bind_null,
	.step = sl_step,
	.column_int64 = sl_column_int64,
	.column_text = sl_column_text,
	.column_blob = sl_column_blob,
	.column_null = sl_column_null,
	.changes = sl_changes,
	.exec = sl_exec,
	.begin = sl_begin,
	.commit = sl_commit,
	.rollback = sl_rollback,
	.in_transaction = sl_in_transaction,
	.get_version = sl_get_version,
	.set_version = sl_set_version,
	.lock_schema = sl_lock_schema,
	.errmsg = sl_errmsg,
};
