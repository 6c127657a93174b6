/* The PostgreSQL backend, through libpq: one connection (a multi-host
 * string is libpq's to walk), statements prepared once per connection
 * (PQprepare, then PQexecPrepared with binary results), transactions
 * SERIALIZABLE so that two innetd reading a platform's count and inserting
 * cannot both succeed past its capacity: the loser gets -EAGAIN.
 *
 * A dead database must not hang innetd: connect_timeout (5 s) is set when
 * the string has none, and statement_timeout (30 s) when the role or the
 * string set none. A connection found broken is reset once before a
 * statement runs (the statements are prepared again on the new one). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "base/log.h"
#include "registry/internal.h"

#define CONNECT_TIMEOUT_S "5"
#define STATEMENT_TIMEOUT "30s"
/* pg_advisory_lock key taken while the schema is applied or migrated */
#define SCHEMA_LOCK_KEY 0x696e6e6574 /* "innet" */

enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25 };

struct pg {
	PGconn *c;
	unsigned next_name; /* statement names */
	unsigned gen;       /* bumped on each reconnect: statements prepare again */
	bool in_txn;        /* between our BEGIN and COMMIT/ROLLBACK */
	int txn_rc;         /* the first failure inside it (a caller may ignore one) */
	char where[160];    /* "host H port P database D", for errors */
	/* after a failed reconnect, statements fail at once until then (a
	 * reconnect blocks up to connect_timeout: not on every request) */
	uint64_t down_until_ms, backoff_ms;
};

#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 5000

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct reg__stmt {
	struct registry *r;
	char *sql; /* $N placeholders */
	char name[24];
	int nparams;
	bool prepared;
	unsigned gen;
	char *vals[REG__MAX_PARAMS];
	int lens[REG__MAX_PARAMS], fmts[REG__MAX_PARAMS];
	unsigned types[REG__MAX_PARAMS];
	PGresult *res;
	bool ran;
	int row, nrows;
	int64_t changes;
	char num[24]; /* a number read as text */
};

static struct pg *pg(struct registry *r)
{
	return r->conn;
}

/* One line out of libpq's message (it ends with newlines, may hold
 * several lines). */
static void one_line(const char *msg, char *out, size_t len)
{
	snprintf(out, len, "%s", msg ? msg : "");
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	size_t n = strlen(out);
	while (n && out[n - 1] == ' ')
		out[--n] = '\0';
}

static const char *pg_errmsg(struct registry *r)
{
	return pg(r) && pg(r)->c ? PQerrorMessage(pg(r)->c) : "not connected";
}

static void notice(void *arg, const char *msg)
{
	char line[512];
	one_line(msg, line, sizeof line);
	log_debug("registry", "postgresql: %s", line);
}

static int run_simple(PGconn *c, const char *sql, char *err, size_t errlen)
{
	PGresult *res = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -EIO;
	if (rc)
		one_line(PQresultErrorMessage(res), err, errlen);
	PQclear(res);
	return rc;
}

/* What every session needs: notices to the log, a statement timeout. */
static int session_setup(struct pg *p, char *err, size_t errlen)
{
	PQsetNoticeProcessor(p->c, notice, NULL);
	PGresult *res = PQexec(p->c, "SHOW statement_timeout");
	bool unset = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	             !strcmp(PQgetvalue(res, 0, 0), "0");
	PQclear(res);
	if (unset)
		return run_simple(p->c, "SET statement_timeout = '" STATEMENT_TIMEOUT "'", err, errlen);
	return 0;
}

static void describe(struct pg *p)
{
	const char *h = PQhost(p->c), *port = PQport(p->c), *d = PQdb(p->c);
	snprintf(p->where, sizeof p->where, "host %s port %s database %s", h && *h ? h : "(default)",
	         port && *port ? port : "(default)", d && *d ? d : "(default)");
}

static int pg_open(struct registry *r, const char *spec, char *err, size_t errlen)
{
	struct pg *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	r->conn = p;
	/* keywords before dbname are defaults the string may override */
	const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
	const char *const vals[] = {CONNECT_TIMEOUT_S, "innetd", spec, NULL};
	p->c = PQconnectdbParams(keys, vals, 1);
	if (!p->c)
		return -ENOMEM;
	describe(p);
	char why[400];
	if (PQstatus(p->c) != CONNECTION_OK) {
		one_line(PQerrorMessage(p->c), why, sizeof why);
		snprintf(err, errlen, "postgresql (%s): %s", p->where, why);
		return -EIO;
	}
	if (session_setup(p, why, sizeof why)) {
		snprintf(err, errlen, "postgresql (%s): %s", p->where, why);
		return -EIO;
	}
	log_info("registry", "postgresql: connected (%s, server %d)", p->where,
	         PQserverVersion(p->c));
	return 0;
}

static void pg_close(struct registry *r)
{
	struct pg *p = pg(r);
	if (!p)
		return;
	PQfinish(p->c);
	free(p);
	r->conn = NULL;
}

/* A broken connection is reset once; 0 or -EIO. Not inside a
 * transaction: the server lost it with the connection, and going on in a
 * new session would commit its second half alone. */
static int ensure_connected(struct registry *r)
{
	struct pg *p = pg(r);
	if (PQstatus(p->c) == CONNECTION_OK)
		return 0;
	if (p->in_txn) {
		log_error("registry", "postgresql (%s): connection lost in a transaction", p->where);
		return -EIO;
	}
	if (now_ms() < p->down_until_ms)
		return -ENOTCONN; /* tried a moment ago: fail fast until the backoff ends */
	log_warn("registry", "postgresql (%s): connection lost, reconnecting", p->where);
	PQreset(p->c);
	p->gen++;
	char why[400];
	int rc = 0;
	if (PQstatus(p->c) != CONNECTION_OK) {
		one_line(PQerrorMessage(p->c), why, sizeof why);
		rc = -ENOTCONN;
	} else if (session_setup(p, why, sizeof why)) {
		rc = -ENOTCONN;
	}
	if (rc) {
		p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : BACKOFF_MIN_MS;
		if (p->backoff_ms > BACKOFF_MAX_MS)
			p->backoff_ms = BACKOFF_MAX_MS;
		p->down_until_ms = now_ms() + p->backoff_ms;
		log_error("registry", "postgresql (%s): %s (next try in %llu ms)", p->where, why,
		          (unsigned long long)p->backoff_ms);
		return rc;
	}
	p->backoff_ms = 0;
	log_info("registry", "postgresql (%s): reconnected", p->where);
	return 0;
}

static bool pg_available(struct registry *r)
{
	struct pg *p = pg(r);
	return p && PQstatus(p->c) == CONNECTION_OK;
}

/* A failed result -> a negative errno (logged unless a constraint). */
static int map_result(struct registry *r, const PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char msg[512];
	one_line(res ? PQresultErrorMessage(res) : PQerrorMessage(pg(r)->c), msg, sizeof msg);
	if (state && !strcmp(state, "23505"))
		return -EEXIST;
	if (state && !strcmp(state, "23503"))
		return -EBUSY;
	if (state && !strncmp(state, "23", 2))
		return -EINVAL;
	if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01"))) {
		log_debug("registry", "postgresql: %s (retry)", msg);
		if (pg(r)->in_txn && !pg(r)->txn_rc)
			pg(r)->txn_rc = -EAGAIN;
		return -EAGAIN;
	}
	if (state && !strcmp(state, "57014")) {
		log_error("registry", "postgresql (%s): %s: %s", pg(r)->where, what, msg);
		return -ETIMEDOUT;
	}
	log_error("registry", "postgresql (%s): %s: %s", pg(r)->where, what, msg);
	return -EIO;
}

static int pg_prepare(struct registry *r, const char *sql, struct reg__stmt **out)
{
	struct reg__stmt *s = calloc(1, sizeof *s);
	if (!s || !(s->sql = strdup(sql))) {
		free(s);
		return -ENOMEM;
	}
	s->r = r;
	/* the placeholders: the highest $N */
	for (const char *q = strchr(sql, '$'); q; q = strchr(q + 1, '$')) {
		int n = atoi(q + 1);
		if (n > s->nparams)
			s->nparams = n;
	}
	if (s->nparams > REG__MAX_PARAMS) {
		log_error("registry", "%s: more than %d parameters", sql, REG__MAX_PARAMS);
		free(s->sql);
		free(s);
		return -EINVAL;
	}
	snprintf(s->name, sizeof s->name, "innet_%u", pg(r)->next_name++);
	*out = s; /* prepared on the server at its first run, typed by its bindings */
	return 0;
}

static void clear_binds(struct reg__stmt *s)
{
	for (int i = 0; i < REG__MAX_PARAMS; i++) {
		free(s->vals[i]);
		s->vals[i] = NULL;
		s->lens[i] = s->fmts[i] = 0;
		s->types[i] = 0;
	}
}

static void pg_reset(struct reg__stmt *s)
{
	PQclear(s->res);
	s->res = NULL;
	s->ran = false;
	s->row = s->nrows = 0;
	clear_binds(s);
}

static void pg_finalize(struct reg__stmt *s)
{
	if (!s)
		return;
	struct pg *p = pg(s->r);
	if (s->prepared && s->gen == p->gen && PQstatus(p->c) == CONNECTION_OK &&
	    PQtransactionStatus(p->c) == PQTRANS_IDLE) {
		char sql[48];
		snprintf(sql, sizeof sql, "DEALLOCATE %s", s->name);
		PQclear(PQexec(p->c, sql));
	}
	pg_reset(s);
	free(s->sql);
	free(s);
}

static int bind_value(struct reg__stmt *s, int i, char *v, int len, int fmt, unsigned type)
{
	if (i < 1 || i > s->nparams) {
		free(v);
		return -EINVAL;
	}
	free(s->vals[i - 1]);
	s->vals[i - 1] = v;
	s->lens[i - 1] = len;
	s->fmts[i - 1] = fmt;
	s->types[i - 1] = type;
	return 0;
}

static int pg_bind_int64(struct reg__stmt *s, int i, int64_t v)
{
	char *t = malloc(24);
	if (!t)
		return -ENOMEM;
	snprintf(t, 24, "%lld", (long long)v);
	return bind_value(s, i, t, 0, 0, OID_INT8);
}

static int pg_bind_text(struct reg__stmt *s, int i, const char *v)
{
	if (!v)
		return bind_value(s, i, NULL, 0, 0, 0);
	char *t = strdup(v);
	return t ? bind_value(s, i, t, 0, 0, OID_TEXT) : -ENOMEM;
}

static int pg_bind_blob(struct reg__stmt *s, int i, const void *v, size_t len)
{
	if (len > INT32_MAX)
		return -E2BIG;
	char *b = malloc(len ? len : 1);
	if (!b)
		return -ENOMEM;
	if (len)
		memcpy(b, v, len);
	return bind_value(s, i, b, (int)len, 1, OID_BYTEA);
}

static int pg_bind_null(struct reg__stmt *s, int i)
{
	return bind_value(s, i, NULL, 0, 0, 0);
}

/* Prepare on this connection, typed by the first run's bindings (a
 * parameter first bound NULL takes its type from where it is used). */
static int prepare_here(struct reg__stmt *s)
{
	struct pg *p = pg(s->r);
	if (s->prepared && s->gen == p->gen)
		return 0;
	PGresult *res = PQprepare(p->c, s->name, s->sql, s->nparams, s->types);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : map_result(s->r, res, s->sql);
	PQclear(res);
	if (!rc) {
		s->prepared = true;
		s->gen = p->gen;
	}
	return rc;
}

static int run(struct reg__stmt *s)
{
	int rc = ensure_connected(s->r);
	if (!rc)
		rc = prepare_here(s);
	if (rc)
		return rc;
	PGresult *res = PQexecPrepared(pg(s->r)->c, s->name, s->nparams,
	                               (const char *const *)s->vals, s->lens, s->fmts, 1);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		rc = map_result(s->r, res, s->sql);
		PQclear(res);
		return rc;
	}
	s->res = res;
	s->nrows = st == PGRES_TUPLES_OK ? PQntuples(res) : 0;
	s->changes = atoll(PQcmdTuples(res));
	return 0;
}

static int pg_step(struct reg__stmt *s)
{
	if (!s->ran) {
		int rc = run(s);
		if (rc)
			return rc;
		s->ran = true;
		s->row = -1;
	}
	if (s->row < s->nrows)
		s->row++;
	return s->row < s->nrows;
}

static bool have_value(struct reg__stmt *s, int col)
{
	return s->res && s->row >= 0 && s->row < s->nrows && col < PQnfields(s->res) &&
	       !PQgetisnull(s->res, s->row, col);
}

static uint64_t be(const unsigned char *b, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

static int64_t pg_column_int64(struct reg__stmt *s, int col)
{
	if (!have_value(s, col))
		return 0;
	const unsigned char *v = (const unsigned char *)PQgetvalue(s->res, s->row, col);
	int len = PQgetlength(s->res, s->row, col);
	switch (PQftype(s->res, col)) {
	case OID_INT8: return len == 8 ? (int64_t)be(v, 8) : 0;
	case OID_INT4: return len == 4 ? (int32_t)be(v, 4) : 0;
	case OID_INT2: return len == 2 ? (int16_t)be(v, 2) : 0;
	case OID_BOOL: return len == 1 && v[0];
	default: return strtoll((const char *)v, NULL, 10);
	}
}

static const char *pg_column_text(struct reg__stmt *s, int col)
{
	if (!have_value(s, col))
		return NULL;
	switch (PQftype(s->res, col)) {
	case OID_INT8:
	case OID_INT4:
	case OID_INT2:
	case OID_BOOL:
		snprintf(s->num, sizeof s->num, "%lld", (long long)pg_column_int64(s, col));
		return s->num;
	default:
		return PQgetvalue(s->res, s->row, col);
	}
}

static const void *pg_column_blob(struct reg__stmt *s, int col, size_t *len)
{
	*len = 0;
	if (!have_value(s, col))
		return NULL;
	*len = (size_t)PQgetlength(s->res, s->row, col);
	return PQgetvalue(s->res, s->row, col);
}

static bool pg_column_null(struct reg__stmt *s, int col)
{
	return !have_value(s, col);
}

static int64_t pg_changes(struct reg__stmt *s)
{
	return s->changes;
}

static int pg_exec(struct registry *r, const char *script)
{
	int rc = ensure_connected(r);
	if (rc)
		return rc;
	PGresult *res = PQexec(pg(r)->c, script);
	ExecStatusType st = PQresultStatus(res);
	rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : map_result(r, res, "exec");
	PQclear(res);
	return rc;
}

static int pg_begin(struct registry *r)
{
	int rc = pg_exec(r, "BEGIN ISOLATION LEVEL SERIALIZABLE");
	pg(r)->in_txn = !rc;
	pg(r)->txn_rc = 0;
	return rc;
}

static int pg_rollback(struct registry *r)
{
	pg(r)->in_txn = false;
	/* (a lost connection took its transaction with it) */
	return PQstatus(pg(r)->c) == CONNECTION_OK ? pg_exec(r, "ROLLBACK") : 0;
}

static int pg_commit(struct registry *r)
{
	/* COMMIT outside a transaction only warns, and in a failed one it
	 * rolls back and succeeds: neither stored anything */
	if (PQtransactionStatus(pg(r)->c) != PQTRANS_INTRANS) {
		/* a serialization failure whose statement's caller carried on
		 * (a read with a fallback): the caller may retry as for any */
		int why = PQtransactionStatus(pg(r)->c) == PQTRANS_INERROR ? pg(r)->txn_rc : 0;
		if (why != -EAGAIN)
			log_error("registry", "postgresql (%s): commit: the transaction %s", pg(r)->where,
			          PQtransactionStatus(pg(r)->c) == PQTRANS_INERROR ? "failed" : "is gone");
		pg_rollback(r);
		return why == -EAGAIN ? -EAGAIN : -EIO;
	}
	int rc = pg_exec(r, "COMMIT");
	pg(r)->in_txn = false; /* (a failed COMMIT ends it too) */
	return rc;
}

static bool pg_in_transaction(struct registry *r)
{
	PGTransactionStatusType t = PQtransactionStatus(pg(r)->c);
	return pg(r)->in_txn || t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

static int scalar(struct registry *r, const char *sql, int64_t *out)
{
	PGresult *res = PQexec(pg(r)->c, sql);
	int rc = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		rc = map_result(r, res, sql);
	else
		*out = PQgetisnull(res, 0, 0) ? 0 : strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return rc;
}

static int pg_get_version(struct registry *r, int *version, bool *empty)
{
	int64_t tables = 0, has = 0, v = 0;
	int rc = scalar(r, "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = "
	                "current_schema()", &tables);
	if (!rc)
		rc = scalar(r, "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = "
		            "current_schema() AND tablename = 'schema_version'", &has);
	if (!rc && has)
		rc = scalar(r, "SELECT max(version) FROM schema_version", &v);
	*empty = tables == 0;
	*version = (int)v;
	return rc;
}

static int pg_set_version(struct registry *r, int v)
{
	char sql[200];
	snprintf(sql, sizeof sql, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL); "
	         "DELETE FROM schema_version; INSERT INTO schema_version VALUES (%d)", v);
	return pg_exec(r, sql);
}

static int pg_lock_schema(struct registry *r, bool lock)
{
	char sql[80];
	snprintf(sql, sizeof sql, "SELECT pg_advisory_%slock(%lld)", lock ? "" : "un",
	         (long long)SCHEMA_LOCK_KEY);
	return pg_exec(r, sql);
}

const struct reg__backend reg__postgres_backend = {
	.name = "postgresql",
	.dialect = REG__POSTGRES,
	.available = pg_available,
	.open = pg_open,
	.close = pg_close,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.bind_int64 = pg_bind_int64,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.column_int64 = pg_column_int64,
	.column_text = pg_column_text,
	.column_blob = pg_column_blob,
	.column_null = pg_column_null,
	.changes = pg_changes,
	.exec = pg_exec,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.in_transaction = pg_in_transaction,
	.get_version = pg_get_version,
	.set_version = pg_set_version,
	.lock_schema = pg_lock_schema,
	.errmsg = pg_errmsg,
};
