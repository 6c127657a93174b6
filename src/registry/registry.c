/* Opening (the backend the spec names), the schema and its migrations,
 * the statement helpers every file of src/registry uses, and every typed
 * function but modules' and saved states'. */
#include "registry/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "base/log.h"

/* Every SQL statement of the registry, prepared once. */
enum stmt_id {
	S_META_GET, S_META_SET,
	S_TENANT_INSERT, S_TENANT_PREFIX_INSERT, S_TENANT_GET, S_TENANT_BY_HASH,
	S_TENANT_LIST, S_TENANT_PREFIXES, S_TENANT_LIVE_MODULES, S_TENANT_KILLED_DELETE, S_TENANT_DELETE,
	S_SNAP_INSERT, S_SNAP_CURRENT, S_PLATFORM_UPSERT,
	S_PLATFORM_BUSY, S_PLATFORM_DELETE_STALE, S_PLATFORM_LIST,
	S_POLICY_INSERT, S_POLICY_LIST, S_POLICY_DELETE,
	S_AUDIT_INSERT, S_AUDIT_LIST,
	/* operator controls (docs/operator.md) */
	S_TENANT_SUSPEND, S_TENANT_TOKEN, S_TENANT_QUOTAS, S_TENANT_PREFIXES_DELETE,
	S_AUDIT_PRUNE, S_AUDIT_DETAIL,
	S_NOTIFY,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	/* PostgreSQL only (reg_notify) */
	[S_NOTIFY] = "SELECT pg_notify('innet_changes', ?1)",
	[S_META_SET] = "INSERT INTO meta(key, value) VALUES (?1, ?2) "
	               "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[S_TENANT_INSERT] =
		"INSERT INTO tenants(name, kind, token_hash, quota_modules, quota_memory_mb, "
		"quota_starts_per_min, quota_rps, quota_flows, created_at, quota_inflight) VALUES (?1, ?2, "
		"?3, ?4, ?5, ?6, ?7, ?8, {now}, ?9) RETURNING id, created_at",
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
	                  "(?1, {now}, ?2) RETURNING version",
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
		"FROM platforms p ORDER BY {platform_order}",
	[S_POLICY_INSERT] = "INSERT INTO policies(text, created_at, created_by) VALUES "
	                    "(?1, {now}, ?2) RETURNING id",
	[S_POLICY_LIST] = "SELECT id, text, created_at, created_by FROM policies ORDER BY id",
	[S_POLICY_DELETE] = "DELETE FROM policies WHERE id = ?1",
	[S_AUDIT_INSERT] = "INSERT INTO audit(at, who, tenant_id, method, path, status, result, detail) "
	                   "VALUES ({now}, ?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
	[S_AUDIT_LIST] = "SELECT id, at, who, tenant_id, method, path, status, result, detail "
	                 "FROM audit ORDER BY id DESC LIMIT ?1",
	[S_TENANT_SUSPEND] = "UPDATE tenants SET suspended_at = CASE WHEN ?2 <> 0 THEN coalesce(suspended_at, "
	                     "{now}) END WHERE id = ?1",
	[S_TENANT_TOKEN] = "UPDATE tenants SET token_hash = ?2 WHERE id = ?1",
	[S_TENANT_QUOTAS] = "UPDATE tenants SET quota_modules = ?2, quota_memory_mb = ?3, "
	                    "quota_starts_per_min = ?4, quota_rps = ?5, quota_flows = ?6, quota_inflight = ?7 "
	                    "WHERE id = ?1",
	[S_TENANT_PREFIXES_DELETE] = "DELETE FROM tenant_prefixes WHERE tenant_id = ?1 AND list = ?2",
	/* rows are written in id order with the time: the oldest come first,
	 * so the scan stops after ?2 matches; ?1 is the cutoff time as text */
	[S_AUDIT_PRUNE] = "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < ?1 "
	                  "ORDER BY id LIMIT ?2)",
	[S_AUDIT_DETAIL] = "UPDATE audit SET detail = ?2 WHERE id = ?1",
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
	/* 7 -> 8: modules' live states as their PoP reports them (state.c) */
	("CREATE TABLE module_runtime (module_id INTEGER PRIMARY KEY REFERENCES modules(id) ON DELETE "
	 "CASCADE, pop TEXT NOT NULL, runtime TEXT NOT NULL, updated_at TEXT NOT NULL);"),
};

_Static_assert(S_COUNT <= REG__CORE_STMTS, "struct registry holds every statement");

/* --- statement helpers (internal.h) --------------------------------------- */

int reg__db_error(struct registry *r, const char *what)
{
	log_error("registry", "%s: %s", what, r->be->errmsg(r));
	return -EIO;
}

void reg__own(struct registry *r)
{
	r->owner = pthread_self();
}

bool reg__owner_only(struct registry *r, const char *what)
{
	if (pthread_equal(r->owner, pthread_self()))
		return true;
	/* refused rather than run: two threads on one connection could
	 * corrupt it (libpq) or interleave transactions; tests abort */
	const char *strict = getenv("INNET_REGISTRY_STRICT");
	bool stop = strict && *strict == '1';
	log_error("registry", "%s called off the registry's thread: a bug; %s", what,
	          stop ? "stopping (INNET_REGISTRY_STRICT)" : "refused");
	if (stop)
		abort();
	return false;
}

/* After a statement: whether the database answered, for reg_available on
 * other threads. */
static int note_up(struct registry *r, int rc)
{
	bool up = !r->be->available || r->be->available(r);
	__atomic_store_n(&r->up, up, __ATOMIC_RELAXED);
	return rc;
}

struct reg__stmt *reg__stmt(struct registry *r, struct reg__stmt **slot, const char *sql)
{
	if (!reg__owner_only(r, "a statement"))
		return NULL;
	struct reg__stmt *s = *slot;
	if (!s) {
		char *text = reg__dialect_sql(r->be->dialect, sql, false, NULL);
		int rc = text ? r->be->prepare(r, text, &s) : -ENOMEM;
		free(text);
		if (rc) {
			log_error("registry", "cannot prepare %s: %s", sql, strerror(-rc));
			return NULL;
		}
		*slot = s;
	}
	r->be->reset(s);
	return s;
}

static struct reg__stmt *stmt(struct registry *r, enum stmt_id id)
{
	return reg__stmt(r, &r->stmts[id], stmt_sql[id]);
}

int reg__bind_int64(struct registry *r, struct reg__stmt *s, int i, int64_t v)
{
	return r->be->bind_int64(s, i, v);
}

int reg__bind_text(struct registry *r, struct reg__stmt *s, int i, const char *v)
{
	return v ? r->be->bind_text(s, i, v) : r->be->bind_null(s, i);
}

int reg__bind_blob(struct registry *r, struct reg__stmt *s, int i, const void *v, size_t len)
{
	return r->be->bind_blob(s, i, v, len);
}

int reg__step(struct registry *r, struct reg__stmt *s)
{
	return note_up(r, r->be->step(s));
}

int64_t reg__col_int64(struct registry *r, struct reg__stmt *s, int col)
{
	return r->be->column_int64(s, col);
}

const char *reg__col_text(struct registry *r, struct reg__stmt *s, int col)
{
	return r->be->column_text(s, col);
}

const void *reg__col_blob(struct registry *r, struct reg__stmt *s, int col, size_t *len)
{
	return r->be->column_blob(s, col, len);
}

bool reg__col_null(struct registry *r, struct reg__stmt *s, int col)
{
	return r->be->column_null(s, col);
}

char *reg__dupcol(struct registry *r, struct reg__stmt *s, int col)
{
	const char *t = r->be->column_text(s, col);
	return t ? strdup(t) : NULL;
}

int reg__exec(struct registry *r, struct reg__stmt *s)
{
	int rc;
	while ((rc = r->be->step(s)) == 1)
		;
	return note_up(r, rc);
}

int64_t reg__changes(struct registry *r, struct reg__stmt *s)
{
	return r->be->changes(s);
}

int reg__list_rows(struct registry *r, struct reg__stmt *s, const char *what, size_t elsize,
                   int (*row)(struct registry *r, struct reg__stmt *s, void *elem),
                   void (*release)(void *elem), void **v, size_t *n)
{
	*v = NULL;
	*n = 0;
	if (!s)
		return -EIO;
	size_t cap = 0;
	int rc = 0, st = 0;
	while (!rc && (st = reg__step(r, s)) == 1) {
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
		rc = row(r, s, e);
	}
	if (!rc && st < 0)
		rc = st;
	r->be->reset(s);
	if (rc) {
		for (size_t i = 0; i < *n; i++)
			release((char *)*v + i * elsize);
		free(*v);
		*v = NULL;
		*n = 0;
	}
	return rc;
}

/* --- transactions -------------------------------------------------------- */

int reg_begin(struct registry *r)
{
	if (!reg__owner_only(r, "reg_begin"))
		return -EDEADLK;
	return note_up(r, r->be->begin(r));
}

int reg_commit(struct registry *r)
{
	if (!reg__owner_only(r, "reg_commit"))
		return -EDEADLK;
	return note_up(r, r->be->commit(r));
}

void reg_rollback(struct registry *r)
{
	if (!reg__owner_only(r, "reg_rollback"))
		return;
	if (r->be->in_transaction(r))
		r->be->rollback(r);
}

uint64_t reg_tenants_gen(struct registry *r)
{
	if (__atomic_load_n(&r->shared_stale, __ATOMIC_ACQUIRE))
		return __atomic_add_fetch(&r->tenants_gen, 1, __ATOMIC_ACQ_REL);
	return __atomic_load_n(&r->tenants_gen, __ATOMIC_ACQUIRE);
}

void reg_tenants_changed(struct registry *r)
{
	__atomic_add_fetch(&r->tenants_gen, 1, __ATOMIC_ACQ_REL);
}

void reg_set_shared_stale(struct registry *r, bool stale)
{
	__atomic_store_n(&r->shared_stale, stale, __ATOMIC_RELEASE);
	reg_tenants_changed(r);
}

/* On the owner's thread, the connection's state now; on another, what
 * the owner saw at its last statement. */
bool reg_available(struct registry *r)
{
	if (pthread_equal(r->owner, pthread_self()))
		note_up(r, 0);
	return __atomic_load_n(&r->up, __ATOMIC_RELAXED);
}

sqlite3 *reg_db(struct registry *r)
{
	return r->be == &reg__sqlite_backend ? r->conn : NULL;
}

const char *reg_backend_name(struct registry *r) { return r->be->name; }
int reg_schema_version(struct registry *r) { return r->version; }

int reg_sql_exec(struct registry *r, const char *sql)
{
	if (!reg__owner_only(r, "reg_sql_exec"))
		return -EDEADLK;
	char *text = reg__dialect_sql(r->be->dialect, sql, true, NULL);
	if (!text)
		return -ENOMEM;
	int rc = r->be->exec(r, text);
	free(text);
	return rc;
}

int reg_sql_int64(struct registry *r, const char *sql, int64_t *out)
{
	struct reg__stmt *s = NULL;
	int rc = reg__stmt(r, &s, sql) ? 0 : -EIO;
	if (!rc) {
		rc = reg__step(r, s);
		if (rc == 1) {
			*out = reg__col_int64(r, s, 0);
			rc = 0;
		} else if (rc == 0) {
			rc = -ENOENT;
		}
		r->be->finalize(s);
	}
	return rc;
}

/* Run body in a transaction of its own. A serialization failure (-EAGAIN:
 * another innetd's transaction on the same rows won) runs it again, a few
 * times on PostgreSQL; SQLite's -EAGAIN already waited its busy timeout. */
static int transaction(struct registry *r, int (*body)(struct registry *r, void *arg), void *arg)
{
	int tries = r->be->dialect == REG__POSTGRES ? 4 : 1, rc;
	for (int i = 1;; i++) {
		if (!(rc = reg_begin(r)) && !(rc = body(r, arg)) && !(rc = reg_commit(r)))
			return 0;
		reg_rollback(r);
		if (rc != -EAGAIN || i >= tries)
			return rc;
	}
}

/* --- opening: the schema and its migrations ------------------------------- */

/* Can this innetd bring a database at version v up to date? */
static int version_ok(int v, bool empty, char *err, size_t errlen)
{
	if (v > REG_SCHEMA_VERSION) {
		snprintf(err, errlen, "the database has schema version %d, newer than this innetd (%d)",
		         v, REG_SCHEMA_VERSION);
		return -EPROTO;
	}
	if (v == 0 && !empty) {
		snprintf(err, errlen,
		         "the database holds tables but no innet schema version; not an innet registry?");
		return -EPROTO;
	}
	return 0;
}

/* The migrations from version v on (inside the caller's transaction):
 * -EPROTO when one is missing. */
static int migrate(struct registry *r, int v, char *err, size_t errlen)
{
	for (int i = v; i < REG_SCHEMA_VERSION; i++) {
		const char *m = (size_t)(i - 1) < sizeof migrations / sizeof migrations[0]
		                ? migrations[i - 1] : NULL;
		if (!m) {
			snprintf(err, errlen, "no migration from schema version %d", i);
			return -EPROTO;
		}
		int rc = reg_sql_exec(r, m);
		if (!rc)
			rc = r->be->set_version(r, i + 1);
		if (rc) {
			snprintf(err, errlen, "migrating from schema version %d: %s", i, r->be->errmsg(r));
			return rc;
		}
	}
	return 0;
}

/* The schema (an empty database) or the migrations, in one transaction. */
static int apply_schema(struct registry *r, int *from, char *err, size_t errlen)
{
	int v = 0;
	bool empty = false;
	int rc = r->be->get_version(r, &v, &empty);
	if (rc) {
		snprintf(err, errlen, "cannot read the schema version: %s", r->be->errmsg(r));
		return rc;
	}
	*from = v;
	if ((rc = version_ok(v, empty, err, errlen)) || v == REG_SCHEMA_VERSION)
		return rc;
	if (v == 0) {
		if ((rc = reg_sql_exec(r, reg_schema_sql)) ||
		    (rc = r->be->set_version(r, REG_SCHEMA_VERSION))) {
			snprintf(err, errlen, "applying the schema: %s", r->be->errmsg(r));
			return rc;
		}
	} else if ((rc = migrate(r, v, err, errlen))) {
		return rc;
	}
	int now = 0;
	if ((rc = r->be->get_version(r, &now, &empty)) || now != REG_SCHEMA_VERSION) {
		snprintf(err, errlen, "schema.sql sets version %d but innetd expects %d", now,
		         REG_SCHEMA_VERSION);
		return -EPROTO;
	}
	return 0;
}

static int bring_up_to_date(struct registry *r, char *err, size_t errlen)
{
	int rc = r->be->lock_schema(r, true);
	if (rc) {
		snprintf(err, errlen, "cannot lock the schema: %s", r->be->errmsg(r));
		return rc;
	}
	int from = REG_SCHEMA_VERSION;
	if (!(rc = r->be->begin(r)) && !(rc = apply_schema(r, &from, err, errlen)))
		rc = r->be->commit(r);
	if (rc && !*err)
		snprintf(err, errlen, "applying the schema: %s", r->be->errmsg(r));
	if (rc && r->be->in_transaction(r))
		r->be->rollback(r);
	r->be->lock_schema(r, false);
	if (!rc && from && from != REG_SCHEMA_VERSION)
		log_info("registry", "migrated the schema from version %d to %d", from,
		         REG_SCHEMA_VERSION);
	return rc;
}

int reg_open(const char *spec, struct registry **out, char *err, size_t errlen)
{
	char dummy[1];
	if (!errlen) {
		err = dummy;
		errlen = sizeof dummy;
	}
	*err = '\0';
	struct registry *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	reg__own(r);
	r->up = true;
	r->be = reg_spec_is_postgres(spec) ? &reg__postgres_backend : &reg__sqlite_backend;
	r->shared_stale = r->be == &reg__postgres_backend; /* until a listener hears the others */
	int rc = r->be->open(r, spec, err, errlen);
	if (rc)
		goto fail;
	char why[256] = "";
	if ((rc = bring_up_to_date(r, why, sizeof why))) {
		char *shown = reg_spec_redact(spec);
		snprintf(err, errlen, "%s: %s", shown ? shown : "registry", why);
		free(shown);
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
	if (r->be->finalize) {
		for (int i = 0; i < REG__CORE_STMTS; i++)
			r->be->finalize(r->stmts[i]);
		for (int i = 0; i < REG__MODULE_STMTS; i++)
			r->be->finalize(r->module_stmts[i]);
		for (int i = 0; i < REG__STATE_STMTS; i++)
			r->be->finalize(r->state_stmts[i]);
		for (int i = 0; i < REG__IDEM_STMTS; i++)
			r->be->finalize(r->idem_stmts[i]);
	}
	r->be->close(r);
	free(r);
}

/* --- meta ---------------------------------------------------------------- */

int reg_meta_get(struct registry *r, const char *key, void *buf, size_t cap, size_t *len)
{
	struct reg__stmt *s = stmt(r, S_META_GET);
	if (!s)
		return -EIO;
	reg__bind_text(r, s, 1, key);
	int rc = reg__step(r, s);
	if (rc == 1) {
		size_t n;
		const void *v = reg__col_blob(r, s, 0, &n);
		if (len)
			*len = n;
		if (buf && v)
			memcpy(buf, v, n < cap ? n : cap);
		rc = 0;
	} else if (rc == 0) {
		rc = -ENOENT;
	}
	r->be->reset(s);
	return rc;
}

int reg_meta_set(struct registry *r, const char *key, const void *val, size_t len)
{
	struct reg__stmt *s = stmt(r, S_META_SET);
	if (!s)
		return -EIO;
	reg__bind_text(r, s, 1, key);
	reg__bind_blob(r, s, 2, val, len);
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
		struct reg__stmt *s = stmt(r, S_TENANT_PREFIX_INSERT);
		if (!s)
			return -EIO;
		char buf[20];
		reg__bind_int64(r, s, 1, id);
		reg__bind_text(r, s, 2, list);
		reg__bind_int64(r, s, 3, (int64_t)i);
		reg__bind_text(r, s, 4, inet_format_prefix(p[i], buf));
		reg__bind_int64(r, s, 5, p[i].addr);
		reg__bind_int64(r, s, 6, p[i].len);
		int rc = reg__exec(r, s);
		if (rc)
			return rc;
	}
	return 0;
}

/* The tenant row; t->id and t->created_at. */
static int tenant_insert(struct registry *r, struct reg_tenant *t, const uint8_t *hash)
{
	struct reg__stmt *s = stmt(r, S_TENANT_INSERT);
	if (!s)
		return -EIO;
	reg__bind_text(r, s, 1, t->name);
	reg__bind_text(r, s, 2, reg_kind_name(t->kind));
	reg__bind_blob(r, s, 3, hash, REG_HASH_LEN);
	reg__bind_int64(r, s, 4, t->quota_modules);
	reg__bind_int64(r, s, 5, t->quota_memory_mb);
	reg__bind_int64(r, s, 6, t->quota_starts_per_min);
	reg__bind_int64(r, s, 7, t->quota_rps);
	reg__bind_int64(r, s, 8, t->quota_flows);
	reg__bind_int64(r, s, 9, t->quota_inflight);
	int rc = reg__step(r, s);
	if (rc == 1) {
		t->id = reg__col_int64(r, s, 0);
		free(t->created_at);
		t->created_at = reg__dupcol(r, s, 1);
		rc = t->created_at ? 0 : -ENOMEM;
	} else if (rc == 0) {
		rc = -EIO; /* (RETURNING gave no row) */
	}
	r->be->reset(s);
	return rc;
}

struct tenant_add {
	struct reg_tenant *t;
	const uint8_t *hash;
};

static int tenant_add(struct registry *r, void *arg)
{
	struct tenant_add *a = arg;
	struct reg_tenant *t = a->t;
	int rc = tenant_insert(r, t, a->hash);
	if (!rc)
		rc = insert_prefixes(r, t->id, "address", t->addresses, t->naddresses);
	if (!rc)
		rc = insert_prefixes(r, t->id, "whitelist", t->whitelist, t->nwhitelist);
	return reg__notified(r, rc, "tenant", t->id);
}

int reg_tenant_add(struct registry *r, struct reg_tenant *t, const uint8_t hash[REG_HASH_LEN])
{
	struct tenant_add a = {t, hash};
	return transaction(r, tenant_add, &a);
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
static int tenant_row(struct registry *r, struct reg__stmt *s, void *elem)
{
	struct reg_tenant *t = elem;
	memset(t, 0, sizeof *t);
	t->id = reg__col_int64(r, s, 0);
	t->name = reg__dupcol(r, s, 1);
	const char *k = reg__col_text(r, s, 2);
	if (!k || reg_kind_parse(k, &t->kind))
		t->kind = REG_KIND_CLIENT;
	t->quota_modules = reg__col_int64(r, s, 3);
	t->quota_memory_mb = reg__col_int64(r, s, 4);
	t->quota_starts_per_min = reg__col_int64(r, s, 5);
	t->created_at = reg__dupcol(r, s, 6);
	t->quota_rps = reg__col_int64(r, s, 7);
	t->quota_flows = reg__col_int64(r, s, 8);
	t->quota_inflight = reg__col_int64(r, s, 9);
	if (!reg__col_null(r, s, 10) && !(t->suspended_at = reg__dupcol(r, s, 10)))
		return -ENOMEM;
	return t->name && t->created_at ? 0 : -ENOMEM;
}

static int tenant_prefixes(struct registry *r, struct reg_tenant *t)
{
	struct reg__stmt *s = stmt(r, S_TENANT_PREFIXES);
	if (!s)
		return -EIO;
	reg__bind_int64(r, s, 1, t->id);
	int rc = 0, st;
	while (!rc && (st = reg__step(r, s)) == 1) {
		const char *list = reg__col_text(r, s, 0);
		struct inet_prefix p = {(uint32_t)reg__col_int64(r, s, 1),
		                        (uint8_t)reg__col_int64(r, s, 2)};
		if (list && !strcmp(list, "whitelist"))
			rc = push_prefix(&t->whitelist, &t->nwhitelist, p);
		else
			rc = push_prefix(&t->addresses, &t->naddresses, p);
	}
	if (!rc && st < 0)
		rc = st;
	r->be->reset(s);
	return rc;
}

static int tenant_one(struct registry *r, struct reg__stmt *s, struct reg_tenant *out,
                      const uint8_t *hash)
{
	int rc = reg__step(r, s);
	if (rc <= 0) {
		r->be->reset(s);
		return rc == 0 ? -ENOENT : rc;
	}
	rc = tenant_row(r, s, out);
	if (!rc && hash) {
		/* the index found the row; confirm in constant time anyway */
		size_t n;
		const void *h = reg__col_blob(r, s, 11, &n);
		if (!h || n != REG_HASH_LEN || sodium_memcmp(h, hash, REG_HASH_LEN))
			rc = -ENOENT;
	}
	r->be->reset(s);
	if (!rc)
		rc = tenant_prefixes(r, out);
	if (rc)
		reg_tenant_release(out);
	return rc;
}

int reg_tenant_get(struct registry *r, int64_t id, struct reg_tenant *out)
{
	struct reg__stmt *s = stmt(r, S_TENANT_GET);
	if (!s)
		return -EIO;
	reg__bind_int64(r, s, 1, id);
	return tenant_one(r, s, out, NULL);
}

int reg_tenant_by_token(struct registry *r, const uint8_t hash[REG_HASH_LEN], struct reg_tenant *out)
{
	struct reg__stmt *s = stmt(r, S_TENANT_BY_HASH);
	if (!s)
		return -EIO;
	reg__bind_blob(r, s, 1, hash, REG_HASH_LEN);
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

/* Run statement id with the single id parameter; *changes. */
static int exec_id(struct registry *r, enum stmt_id id, int64_t arg, int64_t *changes)
{
	struct reg__stmt *s = stmt(r, id);
	if (!s)
		return -EIO;
	reg__bind_int64(r, s, 1, arg);
	int rc = reg__exec(r, s);
	if (rc)
		return rc;
	if (changes)
		*changes = reg__changes(r, s);
	return 0;
}

static int tenant_live_modules(struct registry *r, int64_t id, int64_t *live)
{
	struct reg__stmt *s = stmt(r, S_TENANT_LIVE_MODULES);
	if (!s)
		return -EIO;
	reg__bind_int64(r, s, 1, id);
	int rc = reg__step(r, s);
	*live = rc == 1 ? reg__col_int64(r, s, 0) : 0;
	r->be->reset(s);
	return rc < 0 ? rc : 0;
}

static int tenant_delete(struct registry *r, void *arg)
{
	int64_t id = *(const int64_t *)arg, live = 0, gone = 0;
	int rc = tenant_live_modules(r, id, &live);
	if (rc)
		return rc;
	if (live > 0)
		return -EBUSY;
	/* killed modules are history that would keep the tenant's row (and
	 * its foreign key) forever; the audit log keeps what happened */
	if ((rc = exec_id(r, S_TENANT_KILLED_DELETE, id, NULL)) ||
	    (rc = exec_id(r, S_TENANT_DELETE, id, &gone)))
		return rc;
	return reg__notified(r, gone ? 0 : -ENOENT, "tenant", id);
}

int reg_tenant_delete(struct registry *r, int64_t id)
{
	return transaction(r, tenant_delete, &id);
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
                         void (*bind)(struct registry *r, struct reg__stmt *s, const void *arg),
                         const void *arg)
{
	struct reg__stmt *s = stmt(r, id);
	if (!s)
		return -EIO;
	reg__bind_int64(r, s, 1, tenant);
	if (bind)
		bind(r, s, arg);
	int rc = reg__exec(r, s);
	return !rc && reg__changes(r, s) == 0 ? -ENOENT : rc;
}

static void bind_flag(struct registry *r, struct reg__stmt *s, const void *arg)
{
	reg__bind_int64(r, s, 2, *(const bool *)arg);
}

static void bind_hash(struct registry *r, struct reg__stmt *s, const void *arg)
{
	reg__bind_blob(r, s, 2, arg, REG_HASH_LEN);
}

static void bind_quotas(struct registry *r, struct reg__stmt *s, const void *arg)
{
	const struct reg_tenant *t = arg;
	reg__bind_int64(r, s, 2, t->quota_modules);
	reg__bind_int64(r, s, 3, t->quota_memory_mb);
	reg__bind_int64(r, s, 4, t->quota_starts_per_min);
	reg__bind_int64(r, s, 5, t->quota_rps);
	reg__bind_int64(r, s, 6, t->quota_flows);
	reg__bind_int64(r, s, 7, t->quota_inflight);
}

int reg_tenant_set_suspended(struct registry *r, int64_t id, bool suspended)
{
	return reg__notified(r, tenant_update(r, S_TENANT_SUSPEND, id, bind_flag, &suspended), "tenant", id);
}

int reg_tenant_set_token(struct registry *r, int64_t id, const uint8_t hash[REG_HASH_LEN])
{
	return reg__notified(r, tenant_update(r, S_TENANT_TOKEN, id, bind_hash, hash), "tenant", id);
}

static int replace_prefixes(struct registry *r, int64_t id, const char *list,
                            const struct inet_prefix *p, size_t n)
{
	struct reg__stmt *s = stmt(r, S_TENANT_PREFIXES_DELETE);
	if (!s)
		return -EIO;
	reg__bind_int64(r, s, 1, id);
	reg__bind_text(r, s, 2, list);
	int rc = reg__exec(r, s);
	return rc ? rc : insert_prefixes(r, id, list, p, n);
}

static int tenant_store(struct registry *r, void *arg)
{
	const struct reg_tenant *t = arg;
	int rc = tenant_update(r, S_TENANT_QUOTAS, t->id, bind_quotas, t);
	if (!rc)
		rc = replace_prefixes(r, t->id, "address", t->addresses, t->naddresses);
	if (!rc)
		rc = replace_prefixes(r, t->id, "whitelist", t->whitelist, t->nwhitelist);
	return reg__notified(r, rc, "tenant", t->id);
}

int reg_tenant_update(struct registry *r, const struct reg_tenant *t)
{
	return transaction(r, tenant_store, (void *)t);
}

/* --- snapshots and platforms ---------------------------------------------- */

/* The first column of the first row as an int64 (a RETURNING id). */
static int returned_id(struct registry *r, struct reg__stmt *s, int64_t *id)
{
	int rc = reg__step(r, s);
	if (rc == 1) {
		*id = reg__col_int64(r, s, 0);
		rc = 0;
	} else if (rc == 0) {
		rc = -EIO;
	}
	r->be->reset(s);
	return rc;
}

/* A new snapshot row; *version. */
static int snapshot_insert(struct registry *r, const struct snapshot *snap, const char *by,
                           int64_t *version)
{
	struct reg__stmt *s = stmt(r, S_SNAP_INSERT);
	if (!s)
		return -EIO;
	reg__bind_text(r, s, 1, snap->json);
	reg__bind_text(r, s, 2, by);
	return returned_id(r, s, version);
}

/* The snapshot's platforms, stamped with its version. */
static int platforms_upsert(struct registry *r, const struct snapshot *snap, int64_t version)
{
	for (size_t i = 0; i < snap->nnodes; i++) {
		const struct snap_node *n = &snap->nodes[i];
		if (n->type != SNAP_PLATFORM)
			continue;
		struct reg__stmt *s = stmt(r, S_PLATFORM_UPSERT);
		if (!s)
			return -EIO;
		char addr[16], pool[20];
		reg__bind_text(r, s, 1, n->name);
		reg__bind_text(r, s, 2, inet_format_addr(n->address, addr));
		reg__bind_text(r, s, 3, inet_format_prefix(n->pool, pool));
		reg__bind_int64(r, s, 4, n->capacity);
		if (n->pop)
			reg__bind_text(r, s, 5, n->pop);
		reg__bind_int64(r, s, 6, version);
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
	struct reg__stmt *s = stmt(r, S_PLATFORM_BUSY);
	if (!s)
		return -EIO;
	reg__bind_int64(r, s, 1, version);
	int rc = reg__step(r, s);
	if (rc == 1 && busy_platform)
		*busy_platform = reg__dupcol(r, s, 0);
	r->be->reset(s);
	if (rc)
		return rc == 1 ? -EBUSY : rc;
	return exec_id(r, S_PLATFORM_DELETE_STALE, version, NULL);
}

struct snapshot_put {
	const struct snapshot *snap;
	const char *by;
	char **busy_platform;
	int64_t version;
};

static int snapshot_put(struct registry *r, void *arg)
{
	struct snapshot_put *a = arg;
	int rc = snapshot_insert(r, a->snap, a->by, &a->version);
	if (!rc)
		rc = platforms_upsert(r, a->snap, a->version);
	if (!rc)
		rc = platforms_drop_stale(r, a->version, a->busy_platform);
	return reg__notified(r, rc, "network", a->version);
}

int reg_snapshot_put(struct registry *r, struct snapshot *snap, const char *by, char **busy_platform)
{
	if (busy_platform)
		*busy_platform = NULL;
	struct snapshot_put a = {snap, by, busy_platform, 0};
	int rc = transaction(r, snapshot_put, &a);
	if (!rc)
		snap->version = a.version;
	return rc;
}

int reg_snapshot_current(struct registry *r, int64_t *version, char **json)
{
	struct reg__stmt *s = stmt(r, S_SNAP_CURRENT);
	if (!s)
		return -EIO;
	int rc = reg__step(r, s);
	if (rc == 1) {
		*version = reg__col_int64(r, s, 0);
		*json = reg__dupcol(r, s, 1);
		rc = *json ? 0 : -ENOMEM;
	} else if (rc == 0) {
		rc = -ENOENT;
	}
	r->be->reset(s);
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

static int platform_row(struct registry *r, struct reg__stmt *s, void *elem)
{
	struct reg_platform *p = elem;
	p->name = reg__dupcol(r, s, 0);
	p->address = reg__dupcol(r, s, 1);
	p->pool = reg__dupcol(r, s, 2);
	p->capacity = reg__col_int64(r, s, 3);
	p->pop = reg__dupcol(r, s, 4);
	p->modules = reg__col_int64(r, s, 5);
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
	struct reg__stmt *s = stmt(r, S_POLICY_INSERT);
	if (!s)
		return -EIO;
	reg__bind_text(r, s, 1, text);
	reg__bind_text(r, s, 2, by);
	return reg__notified(r, returned_id(r, s, id), "policy", -1);
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

static int policy_row(struct registry *r, struct reg__stmt *s, void *elem)
{
	struct reg_policy *p = elem;
	p->id = reg__col_int64(r, s, 0);
	p->text = reg__dupcol(r, s, 1);
	p->created_at = reg__dupcol(r, s, 2);
	p->created_by = reg__dupcol(r, s, 3);
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
	int64_t gone = 0;
	int rc = exec_id(r, S_POLICY_DELETE, id, &gone);
	return !rc && gone == 0 ? -ENOENT : reg__notified(r, rc, "policy", -1);
}

/* --- changes for other innetd ------------------------------------------------ */

int reg_notify(struct registry *r, const char *what)
{
	if (r->be->dialect != REG__POSTGRES)
		return 0; /* SQLite: this process is the only one */
	struct reg__stmt *s = stmt(r, S_NOTIFY);
	if (!s)
		return -EIO;
	reg__bind_text(r, s, 1, what);
	return reg__exec(r, s);
}

int reg__notified(struct registry *r, int rc, const char *kind, int64_t id)
{
	if (rc)
		return rc;
	if (!strcmp(kind, "tenant"))
		r->tenants_gen++;
	char what[64];
	if (id < 0)
		snprintf(what, sizeof what, "%s", kind);
	else
		snprintf(what, sizeof what, "%s %lld", kind, (long long)id);
	return reg_notify(r, what);
}

/* --- audit --------------------------------------------------------------- */

int reg_audit_add(struct registry *r, const char *who, int64_t tenant_id, const char *method,
                  const char *path, int status, const char *result, const char *detail)
{
	struct reg__stmt *s = stmt(r, S_AUDIT_INSERT);
	if (!s)
		return -EIO;
	reg__bind_text(r, s, 1, who);
	if (tenant_id)
		reg__bind_int64(r, s, 2, tenant_id);
	reg__bind_text(r, s, 3, method);
	reg__bind_text(r, s, 4, path);
	reg__bind_int64(r, s, 5, status);
	reg__bind_text(r, s, 6, result);
	reg__bind_text(r, s, 7, detail);
	return returned_id(r, s, &r->audit_last_id);
}

/* A text column as a JSON string; the path of a hostile request may hold
 * bytes that are not UTF-8 (they become '?'). */
static json_t *text_json(struct registry *r, struct reg__stmt *s, int col)
{
	const char *t = reg__col_text(r, s, col);
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
	struct reg__stmt *s = stmt(r, S_AUDIT_LIST);
	if (!s)
		return -EIO;
	reg__bind_int64(r, s, 1, limit);
	json_t *a = json_array();
	int st;
	while ((st = reg__step(r, s)) == 1) {
		const char *detail = reg__col_text(r, s, 8);
		json_t *d = detail ? json_loads(detail, 0, NULL) : NULL;
		json_array_append_new(a, json_pack(
			"{s:I, s:o, s:o, s:o, s:o, s:o, s:i, s:o, s:o}",
			"id", (json_int_t)reg__col_int64(r, s, 0),
			"at", text_json(r, s, 1),
			"who", text_json(r, s, 2),
			"tenant_id", reg__col_null(r, s, 3) ? json_null()
			             : json_integer(reg__col_int64(r, s, 3)),
			"method", text_json(r, s, 4),
			"path", text_json(r, s, 5),
			"status", (int)reg__col_int64(r, s, 6),
			"result", text_json(r, s, 7),
			"detail", d ? d : json_null()));
	}
	r->be->reset(s);
	if (st < 0) {
		json_decref(a);
		return st;
	}
	*out = a;
	return 0;
}

/* now - ms as the registry's time text (UTC, ISO 8601 with milliseconds).
 * Taken from this machine's clock: retention needs no better. */
void reg__time_cutoff(int64_t older_than_ms, char *buf, size_t len)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - older_than_ms;
	if (ms < 0)
		ms = 0;
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	char day[32];
	strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", day, (int)(ms % 1000));
}

int reg_audit_prune(struct registry *r, int64_t older_than_ms, int max_rows, int *deleted)
{
	*deleted = 0;
	struct reg__stmt *s = stmt(r, S_AUDIT_PRUNE);
	if (!s)
		return -EIO;
	char cutoff[40];
	reg__time_cutoff(older_than_ms, cutoff, sizeof cutoff);
	reg__bind_text(r, s, 1, cutoff);
	reg__bind_int64(r, s, 2, max_rows);
	int rc = reg__exec(r, s);
	if (!rc)
		*deleted = (int)reg__changes(r, s);
	return rc;
}

int64_t reg_audit_last_id(struct registry *r)
{
	return r->audit_last_id;
}

int reg_audit_set_detail(struct registry *r, int64_t id, const char *detail)
{
	struct reg__stmt *s = stmt(r, S_AUDIT_DETAIL);
	if (!s)
		return -EIO;
	reg__bind_int64(r, s, 1, id);
	reg__bind_text(r, s, 2, detail);
	return reg__exec(r, s);
}
