#include "registry/internal.h"

#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "base/log.h"

/* Every SQL statement of the registry, prepared once. */
enum stmt_id {
	S_BEGIN, S_COMMIT, S_ROLLBACK,
	S_META_GET, S_META_SET,
	S_TENANT_INSERT, S_TENANT_PREFIX_INSERT, S_TENANT_GET, S_TENANT_BY_HASH,
	S_TENANT_LIST, S_TENANT_PREFIXES, S_TENANT_LIVE_MODULES, S_TENANT_KILLED_DELETE, S_TENANT_DELETE,
	S_SNAP_INSERT, S_SNAP_CURRENT, S_PLATFORM_UPSERT,
	S_PLATFORM_BUSY, S_PLATFORM_DELETE_STALE, S_PLATFORM_LIST,
	S_POLICY_INSERT, S_POLICY_LIST, S_POLICY_DELETE,
	S_AUDIT_INSERT, S_AUDIT_LIST,
	/* operator controls (docs/operator.md) */
	S_TENANT_SUSPEND, S_TENANT_TOKEN, S_TENANT_QUOTAS, S_TENANT_PREFIXES_DELETE,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_META_SET] = "INSERT INTO meta(key, value) VALUES (?1, ?2) "
	               "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[S_TENANT_INSERT] =
		"INSERT INTO tenants(name, kind, token_hash, quota_modules, quota_memory_mb, "
		"quota_starts_per_min, quota_rps, quota_flows, created_at, quota_inflight) VALUES (?1, ?2, "
		"?3, ?4, ?5, ?6, ?7, ?8, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?9) RETURNING id, created_at",
	[S_TENANT_PREFIX_INSERT] =
		"INSERT INTO tenant_prefixes(tenant_id, list, pos, prefix, addr, len) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_TENANT_GET] = "SELECT id, name, kind, quota_modules, quota_memory_mb, "
	                 "quota_starts_per_min, created_at, quota_rps, quota_flows, quota_inflight, "
	                 "suspended_at FROM tenants WHERE id = ?1",
	[S_TENANT_BY_HASH] = "SELECT id, name, kind, quota_modules, quota_memory_mb, "
	                     "quota_starts_per_min, created_at, quota_rps, quota_flows, quota_inflight, "
	                     "suspended_at, token_hash FROM tenants WHERE token_hash = ?1",
	[S_TENANT_LIST] = "SELECT id, name, kind, quota_modules, quota_memory_mb, "
	                  "quota_starts_per_min, created_at, quota_rps, quota_flows, quota_inflight, "
	                  "suspended_at FROM tenants ORDER BY id",
	[S_TENANT_PREFIXES] = "SELECT list, addr, len FROM tenant_prefixes WHERE tenant_id = ?1 "
	                      "ORDER BY list, pos",
	[S_TENANT_LIVE_MODULES] = "SELECT count(*) FROM modules WHERE tenant_id = ?1 AND state <> 'killed'",
	[S_TENANT_KILLED_DELETE] = "DELETE FROM modules WHERE tenant_id = ?1 AND state = 'killed'",
	[S_TENANT_DELETE] = "DELETE FROM tenants WHERE id = ?1",
	[S_SNAP_INSERT] = "INSERT INTO snapshots(json, created_at, created_by) VALUES "
	                  "(?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?2) RETURNING version",
	[S_SNAP_CURRENT] = "SELECT version, json FROM snapshots ORDER BY version DESC LIMIT 1",
	[S_PLATFORM_UPSERT] =
		"INSERT INTO platforms(name, address, pool, capacity, pop, snapshot_version) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(name) DO UPDATE SET "
		"address = excluded.address, pool = excluded.pool, capacity = excluded.capacity, "
		"pop = excluded.pop, snapshot_version = excluded.snapshot_version",
	[S_PLATFORM_BUSY] = "SELECT p.name FROM platforms p WHERE p.snapshot_version < ?1 AND "
	                    "(EXISTS (SELECT 1 FROM modules m WHERE m.platform = p.name) OR "
	                    "EXISTS (SELECT 1 FROM allocations a WHERE a.platform = p.name)) LIMIT 1",
	[S_PLATFORM_DELETE_STALE] = "DELETE FROM platforms WHERE snapshot_version < ?1",
	[S_PLATFORM_LIST] =
		"SELECT p.name, p.address, p.pool, p.capacity, p.pop, "
		"(SELECT count(*) FROM modules m WHERE m.platform = p.name AND m.state <> 'killed') "
		"FROM platforms p ORDER BY p.rowid",
	[S_POLICY_INSERT] = "INSERT INTO policies(text, created_at, created_by) VALUES "
	                    "(?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?2) RETURNING id",
	[S_POLICY_LIST] = "SELECT id, text, created_at, created_by FROM policies ORDER BY id",
	[S_POLICY_DELETE] = "DELETE FROM policies WHERE id = ?1",
	[S_AUDIT_INSERT] = "INSERT INTO audit(at, who, tenant_id, method, path, status, result, detail) "
	                   "VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_AUDIT_LIST] = "SELECT id, at, who, tenant_id, method, path, status, result, detail "
	                 "FROM audit ORDER BY id DESC LIMIT ?1",
	[S_TENANT_SUSPEND] = "UPDATE tenants SET suspended_at = CASE WHEN ?2 THEN coalesce(suspended_at, "
	                     "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) END WHERE id = ?1",
	[S_TENANT_TOKEN] = "UPDATE tenants SET token_hash = ?2 WHERE id = ?1",
	[S_TENANT_QUOTAS] = "UPDATE tenants SET quota_modules = ?2, quota_memory_mb = ?3, "
	                    "quota_starts_per_min = ?4, quota_rps = ?5, quota_flows = ?6, quota_inflight = ?7 "
	                    "WHERE id = ?1",
	[S_TENANT_PREFIXES_DELETE] = "DELETE FROM tenant_prefixes WHERE tenant_id = ?1 AND list = ?2",
};

/* Migrations: migrations[i] brings a database at version i+1 to i+2. */
static const char *const migrations[] = {
	/* 1 -> 2: the live-module indexes (the controller created them) */
	"CREATE INDEX IF NOT EXISTS modules_live_platform ON modules(platform, state) "
	"WHERE state <> 'killed';"
	"CREATE INDEX IF NOT EXISTS modules_live_tenant ON modules(tenant_id, id, name, ip, "
	"platform, state) WHERE state <> 'killed';",
	/* 2 -> 3: a tenant's own check and deploy rate */
	"ALTER TABLE tenants ADD COLUMN quota_rps INTEGER NOT NULL DEFAULT 0 CHECK (quota_rps >= 0);",
	/* 3 -> 4: stateful modules (docs/stateful.md). A tenant's memory_mb
	 * becomes a per-module quota, 0 meaning innetd's module-memory-mb:
	 * the old default (1024, never enforced) becomes 0; a value the
	 * operator chose is kept. Modules deployed before are not decided
	 * (stateful_elements NULL) until innetd loads them. */
	"ALTER TABLE tenants ADD COLUMN quota_flows INTEGER NOT NULL DEFAULT 0 CHECK (quota_flows >= 0);"
	"UPDATE tenants SET quota_memory_mb = 0 WHERE quota_memory_mb = 1024;"
	"ALTER TABLE modules ADD COLUMN stateful INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE modules ADD COLUMN stateful_elements TEXT;"
	"CREATE TABLE module_state (module_id INTEGER PRIMARY KEY REFERENCES modules(id) ON DELETE "
	"CASCADE, state BLOB NOT NULL, bytes INTEGER NOT NULL CHECK (bytes >= 0), saved_at TEXT NOT NULL);",
	/* 4 -> 5: a tenant's own limit of checks and deploys in flight */
	"ALTER TABLE tenants ADD COLUMN quota_inflight INTEGER NOT NULL DEFAULT 0 CHECK (quota_inflight >= 0);",
	/* 5 -> 6: a tenant the operator suspended (docs/operator.md) */
	"ALTER TABLE tenants ADD COLUMN suspended_at TEXT;",
	/* 6 -> 7: many PoPs (docs/pops.md). A platform names the PoP serving
	 * it (NULL until the next snapshot is stored: innetd reads the pop
	 * from the snapshot); one live module per address of a platform;
	 * the answers kept for Idempotency-Key retries (idempotency.c). */
	"ALTER TABLE platforms DROP COLUMN local;"
	"ALTER TABLE platforms DROP COLUMN peer_url;"
	"ALTER TABLE platforms ADD COLUMN pop TEXT;"
	"CREATE UNIQUE INDEX modules_live_address ON modules(platform, ip) "
	"WHERE state <> 'killed' AND platform IS NOT NULL;"
	"CREATE TABLE idempotency (tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE "
	"CASCADE, key TEXT NOT NULL, request_hash BLOB NOT NULL, status INTEGER NOT NULL, "
	"body TEXT NOT NULL, module_id INTEGER, created_at TEXT NOT NULL, "
	"PRIMARY KEY (tenant_id, key));"
	"CREATE INDEX idempotency_created ON idempotency(created_at);",
};

_Static_assert(S_COUNT <= REG__CORE_STMTS, "struct registry holds every statement");

int reg__db_error(struct registry *r, const char *what)
{
	log_error("registry", "%s: %s", what, sqlite3_errmsg(r->db));
	return -EIO;
}

sqlite3_stmt *reg__stmt(struct registry *r, sqlite3_stmt **slot, const char *sql)
{
	sqlite3_stmt *s = *slot;
	if (!s) {
		if (sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
			reg__db_error(r, sql);
			return NULL;
		}
		*slot = s;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static sqlite3_stmt *stmt(struct registry *r, enum stmt_id id)
{
	return reg__stmt(r, &r->stmts[id], stmt_sql[id]);
}

int reg__exec(struct registry *r, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return reg__step_errno(r, s, rc);
}

int reg__step_errno(struct registry *r, sqlite3_stmt *s, int rc)
{
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		int ext = sqlite3_extended_errcode(r->db);
		if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
			return -EEXIST;
		if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
			return -EBUSY;
		return -EINVAL;
	}
	return reg__db_error(r, sqlite3_sql(s));
}

static int simple(struct registry *r, enum stmt_id id)
{
	sqlite3_stmt *s = stmt(r, id);
	return s ? reg__exec(r, s) : -EIO;
}

int reg_begin(struct registry *r) { return simple(r, S_BEGIN); }
int reg_commit(struct registry *r) { return simple(r, S_COMMIT); }

void reg_rollback(struct registry *r)
{
	if (!sqlite3_get_autocommit(r->db))
		simple(r, S_ROLLBACK);
}

sqlite3 *reg_db(struct registry *r) { return r->db; }
int reg_schema_version(struct registry *r) { return r->version; }

char *reg__dupcol(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return t ? strdup((const char *)t) : NULL;
}

int reg__list_rows(struct registry *r, sqlite3_stmt *s, const char *what, size_t elsize,
                   int (*row)(sqlite3_stmt *s, void *elem), void (*release)(void *elem),
                   void **v, size_t *n)
{
	*v = NULL;
	*n = 0;
	if (!s)
		return -EIO;
	size_t cap = 0;
	int rc = 0, st = SQLITE_DONE;
	while (!rc && (st = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			void *nv = realloc(*v, cap * elsize);
			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			*v = nv;
		}
		void *e = (char *)*v + (*n)++ * elsize;
		memset(e, 0, elsize);
		rc = row(s, e);
	}
	if (!rc && st != SQLITE_DONE)
		rc = reg__db_error(r, what); /* (a failed step) */
	sqlite3_reset(s);
	if (rc) {
		for (size_t i = 0; i < *n; i++)
			release((char *)*v + i * elsize);
		free(*v);
		*v = NULL;
		*n = 0;
	}
	return rc;
}

static int user_version(sqlite3 *db)
{
	sqlite3_stmt *s;
	int v = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	return v;
}

static int table_count(sqlite3 *db)
{
	sqlite3_stmt *s;
	int n = -1;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	return n;
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

/* Can this innetd bring a database at version v (holding `tables`
 * tables) up to date? */
static int version_ok(sqlite3 *db, int v, int tables, char *err, size_t errlen)
{
	if (v < 0 || tables < 0) {
		snprintf(err, errlen, "cannot read the schema version: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	if (v > REG_SCHEMA_VERSION) {
		snprintf(err, errlen, "the database has schema version %d, newer than this innetd (%d)",
		         v, REG_SCHEMA_VERSION);
		return -EPROTO;
	}
	if (v == 0 && tables > 0) {
		snprintf(err, errlen,
		         "the file holds tables but no innet schema version; not an innet registry?");
		return -EPROTO;
	}
	return 0;
}

/* The migrations from version v on (inside the caller's transaction):
 * -EPROTO when one is missing, -EIO with *msg when one fails. */
static int migrate(sqlite3 *db, int v, char **msg, char *err, size_t errlen)
{
	for (int i = v; i < REG_SCHEMA_VERSION; i++) {
		const char *m = (size_t)(i - 1) < sizeof migrations / sizeof migrations[0]
		                ? migrations[i - 1] : NULL;
		if (!m) {
			snprintf(err, errlen, "no migration from schema version %d", i);
			return -EPROTO;
		}
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", i + 1);
		if (sqlite3_exec(db, m, NULL, NULL, msg) != SQLITE_OK ||
		    sqlite3_exec(db, pragma, NULL, NULL, msg) != SQLITE_OK)
			return -EIO;
	}
	return 0;
}

/* Apply the schema or the migrations, in one transaction. */
static int bring_up_to_date(sqlite3 *db, char *err, size_t errlen)
{
	int v = user_version(db);
	int rc = version_ok(db, v, table_count(db), err, errlen);
	if (rc || v == REG_SCHEMA_VERSION)
		return rc;
	char *msg = NULL;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	if (v == 0)
		rc = sqlite3_exec(db, reg_schema_sql, NULL, NULL, &msg) != SQLITE_OK ? -EIO : 0;
	else
		rc = migrate(db, v, &msg, err, errlen);
	if (rc == -EIO)
		goto fail;
	if (!rc && user_version(db) != REG_SCHEMA_VERSION) {
		snprintf(err, errlen, "schema.sql sets user_version %d but innetd expects %d",
		         user_version(db), REG_SCHEMA_VERSION);
		rc = -EPROTO;
	}
	if (rc) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	if (v)
		log_info("registry", "migrated the schema from version %d to %d", v, REG_SCHEMA_VERSION);
	return 0;
fail:
	snprintf(err, errlen, "applying the schema: %s", msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -EIO;
}

int reg_open(const char *path, struct registry **out, char *err, size_t errlen)
{
	if (errlen)
		*err = '\0';
	int rc = make_parent_dir(path);
	if (rc) {
		snprintf(err, errlen, "%s: cannot create its directory: %s", path, strerror(-rc));
		return rc;
	}
	struct registry *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, r->db ? sqlite3_errmsg(r->db) : "cannot open");
		rc = -EIO;
		goto fail;
	}
	sqlite3_busy_timeout(r->db, 5000);
	sqlite3_extended_result_codes(r->db, 1);
	char *msg = NULL;
	if (sqlite3_exec(r->db, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; "
	                 "PRAGMA synchronous = NORMAL", NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(r->db));
		sqlite3_free(msg);
		rc = -EIO;
		goto fail;
	}
	char why[256] = "schema error";
	if ((rc = bring_up_to_date(r->db, why, sizeof why))) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto fail;
	}
	r->version = REG_SCHEMA_VERSION;
	*out = r;
	return 0;
fail:
	reg_close(r);
	return rc;
}

void reg_close(struct registry *r)
{
	if (!r)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(r->stmts[i]);
	for (int i = 0; i < REG__MODULE_STMTS; i++)
		sqlite3_finalize(r->module_stmts[i]);
	for (int i = 0; i < REG__STATE_STMTS; i++)
		sqlite3_finalize(r->state_stmts[i]);
	for (int i = 0; i < REG__IDEM_STMTS; i++)
		sqlite3_finalize(r->idem_stmts[i]);
	if (r->db && sqlite3_close(r->db) != SQLITE_OK)
		log_error("registry", "close: %s", sqlite3_errmsg(r->db));
	free(r);
}

/* --- meta ---------------------------------------------------------------- */

int reg_meta_get(struct registry *r, const char *key, void *buf, size_t cap, size_t *len)
{
	sqlite3_stmt *s = stmt(r, S_META_GET);
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return -ENOENT;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return reg__db_error(r, "meta");
	}
	size_t n = (size_t)sqlite3_column_bytes(s, 0);
	const void *v = sqlite3_column_blob(s, 0);
	if (len)
		*len = n;
	if (buf && v)
		memcpy(buf, v, n < cap ? n : cap);
	sqlite3_reset(s);
	return 0;
}

int reg_meta_set(struct registry *r, const char *key, const void *val, size_t len)
{
	sqlite3_stmt *s = stmt(r, S_META_SET);
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, val, (int)len, SQLITE_STATIC);
	return reg__exec(r, s);
}

/* --- tenants ------------------------------------------------------------- */

static const char *const kind_names[] = {"client", "third_party", "operator"};

const char *reg_kind_name(enum reg_kind k)
{
	return (unsigned)k < 3 ? kind_names[k] : "?";
}

int reg_kind_parse(const char *s, enum reg_kind *out)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, kind_names[i])) {
			*out = (enum reg_kind)i;
			return 0;
		}
	return -EINVAL;
}

void reg_tenant_release(struct reg_tenant *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->addresses);
	free(t->whitelist);
	free(t->created_at);
	free(t->suspended_at);
	memset(t, 0, sizeof *t);
}

static void tenant_release(void *elem)
{
	reg_tenant_release(elem);
}

void reg_tenants_free(struct reg_tenant *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		reg_tenant_release(&v[i]);
	free(v);
}

static int insert_prefixes(struct registry *r, int64_t id, const char *list,
                           const struct inet_prefix *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *s = stmt(r, S_TENANT_PREFIX_INSERT);
		if (!s)
			return -EIO;
		char buf[20];
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_text(s, 2, list, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, (int64_t)i);
		sqlite3_bind_text(s, 4, inet_format_prefix(p[i], buf), -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 5, p[i].addr);
		sqlite3_bind_int(s, 6, p[i].len);
		int rc = reg__exec(r, s);
		if (rc)
			return rc;
	}
	return 0;
}

int reg_tenant_add(struct registry *r, struct reg_tenant *t, const uint8_t hash[REG_HASH_LEN])
{
	int rc = reg_begin(r);
	if (rc)
		return rc;
	sqlite3_stmt *s = stmt(r, S_TENANT_INSERT);
	if (!s) {
		rc = -EIO;
		goto fail;
	}
	sqlite3_bind_text(s, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, reg_kind_name(t->kind), -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, hash, REG_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, t->quota_modules);
	sqlite3_bind_int64(s, 5, t->quota_memory_mb);
	sqlite3_bind_int64(s, 6, t->quota_starts_per_min);
	sqlite3_bind_int64(s, 7, t->quota_rps);
	sqlite3_bind_int64(s, 8, t->quota_flows);
	sqlite3_bind_int64(s, 9, t->quota_inflight);
	int st = sqlite3_step(s);
	if (st == SQLITE_ROW) {
		t->id = sqlite3_column_int64(s, 0);
		free(t->created_at);
		t->created_at = reg__dupcol(s, 1);
		sqlite3_reset(s);
	} else {
		rc = reg__exec(r, s); /* maps the error */
		if (!rc)
			rc = -EIO;
		goto fail;
	}
	if ((rc = insert_prefixes(r, t->id, "address", t->addresses, t->naddresses)) ||
	    (rc = insert_prefixes(r, t->id, "whitelist", t->whitelist, t->nwhitelist)))
		goto fail;
	if ((rc = reg_commit(r)))
		goto fail;
	return 0;
fail:
	reg_rollback(r);
	return rc;
}

static int push_prefix(struct inet_prefix **v, size_t *n, struct inet_prefix p)
{
	struct inet_prefix *nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = p;
	*v = nv;
	return 0;
}

/* Row of S_TENANT_GET/LIST/BY_HASH -> *(struct reg_tenant *)elem
 * (without prefixes). */
static int tenant_row(sqlite3_stmt *s, void *elem)
{
	struct reg_tenant *t = elem;
	memset(t, 0, sizeof *t);
	t->id = sqlite3_column_int64(s, 0);
	t->name = reg__dupcol(s, 1);
	const char *k = (const char *)sqlite3_column_text(s, 2);
	if (!k || reg_kind_parse(k, &t->kind))
		t->kind = REG_KIND_CLIENT;
	t->quota_modules = sqlite3_column_int64(s, 3);
	t->quota_memory_mb = sqlite3_column_int64(s, 4);
	t->quota_starts_per_min = sqlite3_column_int64(s, 5);
	t->created_at = reg__dupcol(s, 6);
	t->quota_rps = sqlite3_column_int64(s, 7);
	t->quota_flows = sqlite3_column_int64(s, 8);
	t->quota_inflight = sqlite3_column_int64(s, 9);
	if (sqlite3_column_type(s, 10) != SQLITE_NULL && !(t->suspended_at = reg__dupcol(s, 10)))
		return -ENOMEM;
	return t->name && t->created_at ? 0 : -ENOMEM;
}

static int tenant_prefixes(struct registry *r, struct reg_tenant *t)
{
	sqlite3_stmt *s = stmt(r, S_TENANT_PREFIXES);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, t->id);
	int rc = 0, st;
	while (!rc && (st = sqlite3_step(s)) == SQLITE_ROW) {
		const char *list = (const char *)sqlite3_column_text(s, 0);
		struct inet_prefix p = {(uint32_t)sqlite3_column_int64(s, 1),
		                        (uint8_t)sqlite3_column_int(s, 2)};
		if (list && !strcmp(list, "whitelist"))
			rc = push_prefix(&t->whitelist, &t->nwhitelist, p);
		else
			rc = push_prefix(&t->addresses, &t->naddresses, p);
	}
	sqlite3_reset(s);
	return rc;
}

static int tenant_one(struct registry *r, sqlite3_stmt *s, struct reg_tenant *out,
                      const uint8_t *hash)
{
	int st = sqlite3_step(s);
	if (st == SQLITE_DONE) {
		sqlite3_reset(s);
		return -ENOENT;
	}
	if (st != SQLITE_ROW) {
		sqlite3_reset(s);
		return reg__db_error(r, "tenant");
	}
	int rc = tenant_row(s, out);
	if (!rc && hash) {
		/* the index found the row; confirm in constant time anyway */
		const void *h = sqlite3_column_blob(s, 11);
		if (!h || sqlite3_column_bytes(s, 11) != REG_HASH_LEN || sodium_memcmp(h, hash, REG_HASH_LEN))
			rc = -ENOENT;
	}
	sqlite3_reset(s);
	if (!rc)
		rc = tenant_prefixes(r, out);
	if (rc)
		reg_tenant_release(out);
	return rc;
}

int reg_tenant_get(struct registry *r, int64_t id, struct reg_tenant *out)
{
	sqlite3_stmt *s = stmt(r, S_TENANT_GET);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	return tenant_one(r, s, out, NULL);
}

int reg_tenant_by_token(struct registry *r, const uint8_t hash[REG_HASH_LEN], struct reg_tenant *out)
{
	sqlite3_stmt *s = stmt(r, S_TENANT_BY_HASH);
	if (!s)
		return -EIO;
	sqlite3_bind_blob(s, 1, hash, REG_HASH_LEN, SQLITE_STATIC);
	return tenant_one(r, s, out, hash);
}

int reg_tenant_list(struct registry *r, struct reg_tenant **v, size_t *n)
{
	void *rows;
	int rc = reg__list_rows(r, stmt(r, S_TENANT_LIST), "tenants", sizeof **v, tenant_row,
	                        tenant_release, &rows, n);
	*v = rows;
	for (size_t i = 0; !rc && i < *n; i++)
		rc = tenant_prefixes(r, &(*v)[i]);
	if (rc) {
		reg_tenants_free(*v, *n);
		*v = NULL;
		*n = 0;
	}
	return rc;
}

int reg_tenant_delete(struct registry *r, int64_t id)
{
	int rc = reg_begin(r);
	if (rc)
		return rc;
	sqlite3_stmt *s = stmt(r, S_TENANT_LIVE_MODULES);
	if (!s) {
		rc = -EIO;
		goto fail;
	}
	sqlite3_bind_int64(s, 1, id);
	int64_t live = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (live > 0) {
		rc = -EBUSY;
		goto fail;
	}
	/* killed modules are history that would keep the tenant's row (and
	 * its foreign key) forever; the audit log keeps what happened */
	if (!(s = stmt(r, S_TENANT_KILLED_DELETE))) {
		rc = -EIO;
		goto fail;
	}
	sqlite3_bind_int64(s, 1, id);
	if ((rc = reg__exec(r, s)))
		goto fail;
	if (!(s = stmt(r, S_TENANT_DELETE))) {
		rc = -EIO;
		goto fail;
	}
	sqlite3_bind_int64(s, 1, id);
	if ((rc = reg__exec(r, s)))
		goto fail;
	if (sqlite3_changes(r->db) == 0) {
		rc = -ENOENT;
		goto fail;
	}
	if ((rc = reg_commit(r)))
		goto fail;
	return 0;
fail:
	reg_rollback(r);
	return rc;
}

static json_t *prefixes_json(const struct inet_prefix *p, size_t n)
{
	json_t *a = json_array();
	char buf[20];
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(inet_format_prefix(p[i], buf)));
	return a;
}

json_t *reg_tenant_json(const struct reg_tenant *t)
{
	return json_pack("{s:I, s:s, s:s, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:s, s:b, s:o}",
	                 "id", (json_int_t)t->id, "name", t->name, "kind", reg_kind_name(t->kind),
	                 "addresses", prefixes_json(t->addresses, t->naddresses),
	                 "whitelist", prefixes_json(t->whitelist, t->nwhitelist),
	                 "quotas", "modules", (json_int_t)t->quota_modules,
	                 "memory_mb", (json_int_t)t->quota_memory_mb,
	                 "starts_per_minute", (json_int_t)t->quota_starts_per_min,
	                 "rps", (json_int_t)t->quota_rps,
	                 "flows", (json_int_t)t->quota_flows,
	                 "inflight", (json_int_t)t->quota_inflight,
	                 "created_at", t->created_at ? t->created_at : "",
	                 "suspended", t->suspended_at != NULL,
	                 "suspended_at", t->suspended_at ? json_string(t->suspended_at) : json_null());
}

/* --- operator controls (docs/operator.md) ---------------------------------- */

/* Run statement id on tenant `id` with the binding `bind` adds; -ENOENT
 * when no row changed. */
static int tenant_update(struct registry *r, enum stmt_id id, int64_t tenant,
                         void (*bind)(sqlite3_stmt *s, const void *arg), const void *arg)
{
	sqlite3_stmt *s = stmt(r, id);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, tenant);
	if (bind)
		bind(s, arg);
	int rc = reg__exec(r, s);
	return !rc && sqlite3_changes(r->db) == 0 ? -ENOENT : rc;
}

static void bind_flag(sqlite3_stmt *s, const void *arg)
{
	sqlite3_bind_int(s, 2, *(const bool *)arg);
}

static void bind_hash(sqlite3_stmt *s, const void *arg)
{
	sqlite3_bind_blob(s, 2, arg, REG_HASH_LEN, SQLITE_TRANSIENT);
}

static void bind_quotas(sqlite3_stmt *s, const void *arg)
{
	const struct reg_tenant *t = arg;
	sqlite3_bind_int64(s, 2, t->quota_modules);
	sqlite3_bind_int64(s, 3, t->quota_memory_mb);
	sqlite3_bind_int64(s, 4, t->quota_starts_per_min);
	sqlite3_bind_int64(s, 5, t->quota_rps);
	sqlite3_bind_int64(s, 6, t->quota_flows);
	sqlite3_bind_int64(s, 7, t->quota_inflight);
}

int reg_tenant_set_suspended(struct registry *r, int64_t id, bool suspended)
{
	return tenant_update(r, S_TENANT_SUSPEND, id, bind_flag, &suspended);
}

int reg_tenant_set_token(struct registry *r, int64_t id, const uint8_t hash[REG_HASH_LEN])
{
	return tenant_update(r, S_TENANT_TOKEN, id, bind_hash, hash);
}

static int replace_prefixes(struct registry *r, int64_t id, const char *list,
                            const struct inet_prefix *p, size_t n)
{
	sqlite3_stmt *s = stmt(r, S_TENANT_PREFIXES_DELETE);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, list, -1, SQLITE_STATIC);
	int rc = reg__exec(r, s);
	return rc ? rc : insert_prefixes(r, id, list, p, n);
}

int reg_tenant_update(struct registry *r, const struct reg_tenant *t)
{
	int rc = reg_begin(r);
	if (rc)
		return rc;
	if ((rc = tenant_update(r, S_TENANT_QUOTAS, t->id, bind_quotas, t)) ||
	    (rc = replace_prefixes(r, t->id, "address", t->addresses, t->naddresses)) ||
	    (rc = replace_prefixes(r, t->id, "whitelist", t->whitelist, t->nwhitelist)) ||
	    (rc = reg_commit(r))) {
		reg_rollback(r);
		return rc;
	}
	return 0;
}

/* --- snapshots and platforms ---------------------------------------------- */

/* A new snapshot row; *version. */
static int snapshot_insert(struct registry *r, const struct snapshot *snap, const char *by,
                           int64_t *version)
{
	sqlite3_stmt *s = stmt(r, S_SNAP_INSERT);
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, snap->json, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, by, -1, SQLITE_STATIC);
	int rc = 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		*version = sqlite3_column_int64(s, 0);
	else
		rc = reg__db_error(r, "snapshot insert");
	sqlite3_reset(s);
	return rc;
}

/* The snapshot's platforms, stamped with its version. */
static int platforms_upsert(struct registry *r, const struct snapshot *snap, int64_t version)
{
	for (size_t i = 0; i < snap->nnodes; i++) {
		const struct snap_node *n = &snap->nodes[i];
		if (n->type != SNAP_PLATFORM)
			continue;
		sqlite3_stmt *s = stmt(r, S_PLATFORM_UPSERT);
		if (!s)
			return -EIO;
		char addr[16], pool[20];
		sqlite3_bind_text(s, 1, n->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, inet_format_addr(n->address, addr), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 3, inet_format_prefix(n->pool, pool), -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 4, n->capacity);
		if (n->pop)
			sqlite3_bind_text(s, 5, n->pop, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 6, version);
		int rc = reg__exec(r, s);
		if (rc)
			return rc;
	}
	return 0;
}

/* Drop the platforms an older version left, unless modules still live
 * there: -EBUSY with *busy_platform (malloc'd, when asked for). */
static int platforms_drop_stale(struct registry *r, int64_t version, char **busy_platform)
{
	sqlite3_stmt *s = stmt(r, S_PLATFORM_BUSY);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, version);
	if (sqlite3_step(s) == SQLITE_ROW) {
		if (busy_platform)
			*busy_platform = reg__dupcol(s, 0);
		sqlite3_reset(s);
		return -EBUSY;
	}
	sqlite3_reset(s);
	if (!(s = stmt(r, S_PLATFORM_DELETE_STALE)))
		return -EIO;
	sqlite3_bind_int64(s, 1, version);
	return reg__exec(r, s);
}

int reg_snapshot_put(struct registry *r, struct snapshot *snap, const char *by, char **busy_platform)
{
	if (busy_platform)
		*busy_platform = NULL;
	int rc = reg_begin(r);
	if (rc)
		return rc;
	int64_t version = 0;
	if ((rc = snapshot_insert(r, snap, by, &version)) ||
	    (rc = platforms_upsert(r, snap, version)) ||
	    (rc = platforms_drop_stale(r, version, busy_platform)) || (rc = reg_commit(r))) {
		reg_rollback(r);
		return rc;
	}
	snap->version = version;
	return 0;
}

int reg_snapshot_current(struct registry *r, int64_t *version, char **json)
{
	sqlite3_stmt *s = stmt(r, S_SNAP_CURRENT);
	if (!s)
		return -EIO;
	int st = sqlite3_step(s);
	int rc = 0;
	if (st == SQLITE_ROW) {
		*version = sqlite3_column_int64(s, 0);
		*json = reg__dupcol(s, 1);
		if (!*json)
			rc = -ENOMEM;
	} else {
		rc = st == SQLITE_DONE ? -ENOENT : reg__db_error(r, "snapshot");
	}
	sqlite3_reset(s);
	return rc;
}

static void platform_release(void *elem)
{
	struct reg_platform *p = elem;
	free(p->name);
	free(p->address);
	free(p->pool);
	free(p->pop);
}

void reg_platforms_free(struct reg_platform *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		platform_release(&v[i]);
	free(v);
}

static int platform_row(sqlite3_stmt *s, void *elem)
{
	struct reg_platform *p = elem;
	p->name = reg__dupcol(s, 0);
	p->address = reg__dupcol(s, 1);
	p->pool = reg__dupcol(s, 2);
	p->capacity = sqlite3_column_int64(s, 3);
	p->pop = reg__dupcol(s, 4);
	p->modules = sqlite3_column_int64(s, 5);
	return 0;
}

int reg_platform_list(struct registry *r, struct reg_platform **v, size_t *n)
{
	void *rows;
	int rc = reg__list_rows(r, stmt(r, S_PLATFORM_LIST), "platforms", sizeof **v, platform_row,
	                        platform_release, &rows, n);
	*v = rows;
	return rc;
}

/* --- policies ------------------------------------------------------------ */

int reg_policy_add(struct registry *r, const char *text, const char *by, int64_t *id)
{
	sqlite3_stmt *s = stmt(r, S_POLICY_INSERT);
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, by, -1, SQLITE_STATIC);
	int rc = 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	else
		rc = reg__db_error(r, "policy insert");
	sqlite3_reset(s);
	return rc;
}

static void policy_release(void *elem)
{
	struct reg_policy *p = elem;
	free(p->text);
	free(p->created_at);
	free(p->created_by);
}

void reg_policies_free(struct reg_policy *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		policy_release(&v[i]);
	free(v);
}

static int policy_row(sqlite3_stmt *s, void *elem)
{
	struct reg_policy *p = elem;
	p->id = sqlite3_column_int64(s, 0);
	p->text = reg__dupcol(s, 1);
	p->created_at = reg__dupcol(s, 2);
	p->created_by = reg__dupcol(s, 3);
	return 0;
}

int reg_policy_list(struct registry *r, struct reg_policy **v, size_t *n)
{
	void *rows;
	int rc = reg__list_rows(r, stmt(r, S_POLICY_LIST), "policies", sizeof **v, policy_row,
	                        policy_release, &rows, n);
	*v = rows;
	return rc;
}

int reg_policy_delete(struct registry *r, int64_t id)
{
	sqlite3_stmt *s = stmt(r, S_POLICY_DELETE);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	int rc = reg__exec(r, s);
	if (!rc && sqlite3_changes(r->db) == 0)
		rc = -ENOENT;
	return rc;
}

/* --- audit --------------------------------------------------------------- */

int reg_audit_add(struct registry *r, const char *who, int64_t tenant_id, const char *method,
                  const char *path, int status, const char *result, const char *detail)
{
	sqlite3_stmt *s = stmt(r, S_AUDIT_INSERT);
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, who, -1, SQLITE_STATIC);
	if (tenant_id)
		sqlite3_bind_int64(s, 2, tenant_id);
	sqlite3_bind_text(s, 3, method, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, path, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, status);
	sqlite3_bind_text(s, 6, result, -1, SQLITE_STATIC);
	if (detail)
		sqlite3_bind_text(s, 7, detail, -1, SQLITE_STATIC);
	return reg__exec(r, s);
}

/* A text column as a JSON string; the path of a hostile request may hold
 * bytes that are not UTF-8 (they become '?'). */
static json_t *text_json(sqlite3_stmt *s, int col)
{
	const char *t = (const char *)sqlite3_column_text(s, col);
	json_t *j = json_string(t ? t : "");
	if (j)
		return j;
	char *c = strdup(t);
	if (!c)
		return json_null();
	for (char *p = c; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(c);
	free(c);
	return j ? j : json_null();
}

int reg_audit_list(struct registry *r, int limit, json_t **out)
{
	sqlite3_stmt *s = stmt(r, S_AUDIT_LIST);
	if (!s)
		return -EIO;
	sqlite3_bind_int(s, 1, limit);
	json_t *a = json_array();
	int st;
	while ((st = sqlite3_step(s)) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(s, 8);
		json_t *d = detail ? json_loads(detail, 0, NULL) : NULL;
		json_array_append_new(a, json_pack(
			"{s:I, s:o, s:o, s:o, s:o, s:o, s:i, s:o, s:o}",
			"id", (json_int_t)sqlite3_column_int64(s, 0),
			"at", text_json(s, 1),
			"who", text_json(s, 2),
			"tenant_id", sqlite3_column_type(s, 3) == SQLITE_NULL ? json_null()
			             : json_integer(sqlite3_column_int64(s, 3)),
			"method", text_json(s, 4),
			"path", text_json(s, 5),
			"status", sqlite3_column_int(s, 6),
			"result", text_json(s, 7),
			"detail", d ? d : json_null()));
	}
	sqlite3_reset(s);
	if (st != SQLITE_DONE) {
		json_decref(a);
		return reg__db_error(r, "audit");
	}
	*out = a;
	return 0;
}

int reg_audit_prune(struct registry *r, int64_t older_than_ms, int max_rows, int *deleted)
{
	/* rows are written in id order with the time: the oldest come first,
	 * so the scan stops after max_rows matches. Prepared per call: it runs
	 * once per report interval. */
	static const char sql[] =
		"DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE "
		"at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('-%.3f seconds', ?1 / 1000.0)) "
		"ORDER BY id LIMIT ?2)";
	sqlite3_stmt *s = NULL;
	*deleted = 0;
	if (sqlite3_prepare_v2(r->db, sql, -1, &s, NULL) != SQLITE_OK)
		return reg__db_error(r, "audit retention");
	sqlite3_bind_int64(s, 1, older_than_ms);
	sqlite3_bind_int(s, 2, max_rows);
	int rc = reg__step_errno(r, s, sqlite3_step(s));
	if (!rc)
		*deleted = sqlite3_changes(r->db);
	sqlite3_finalize(s);
	return rc;
}

int64_t reg_audit_last_id(struct registry *r)
{
	return sqlite3_last_insert_rowid(r->db);
}

int reg_audit_set_detail(struct registry *r, int64_t id, const char *detail)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(r->db, "UPDATE audit SET detail = ?2 WHERE id = ?1", -1, &s,
	                       NULL) != SQLITE_OK)
		return reg__db_error(r, "audit");
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, detail, -1, SQLITE_STATIC);
	int rc = reg__step_errno(r, s, sqlite3_step(s));
	sqlite3_finalize(s);
	return rc;
}
