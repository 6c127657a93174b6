/* The registry on a temporary SQLite file, or, when INNET_TEST_PG holds a
 * connection string (test/registry/postgresql_test.py starts a throwaway
 * server), on PostgreSQL: schema and version, migrations, tenants,
 * snapshots and platforms, policies, audit, saved module states,
 * persistence across reopen, unique violations and rollbacks, and two
 * connections racing for a platform's last place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "registry/registry.h"

struct fx {
	char dir[64], path[128];
	const char *spec; /* path, or INNET_TEST_PG */
	bool pg;
	struct registry *reg;
};

static struct registry *open_spec(const char *spec)
{
	struct registry *r = NULL;
	char err[512];
	if (reg_open(spec, &r, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	return r;
}

/* An empty PostgreSQL database again: the tests share one. */
static int pg_wipe(struct fx *f)
{
	struct registry *r = open_spec(f->spec);
	if (!r)
		return -1;
	int rc = reg_sql_exec(r, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
	reg_close(r);
	return rc;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	strcpy(f->dir, "/tmp/innet-reg-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	/* a sub-directory that does not exist yet: reg_open creates it */
	snprintf(f->path, sizeof f->path, "%s/state/r.db", f->dir);
	const char *pg = getenv("INNET_TEST_PG");
	f->pg = pg && *pg;
	f->spec = f->pg ? pg : f->path;
	if (f->pg && pg_wipe(f))
		return -1;
	if (!(f->reg = open_spec(f->spec)))
		return -1;
	assert_string_equal(reg_backend_name(f->reg), f->pg ? "postgresql" : "sqlite");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	reg_close(f->reg);
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

static void reopen(struct fx *f)
{
	reg_close(f->reg);
	char err[512];
	if (reg_open(f->spec, &f->reg, err, sizeof err))
		fail_msg("%s", err);
}

static int64_t scalar(struct registry *r, const char *sql)
{
	int64_t v = -1;
	int rc = reg_sql_int64(r, sql, &v);
	if (rc)
		fail_msg("%s: %s", sql, strerror(-rc));
	return v;
}

static void sql(struct registry *r, const char *text)
{
	int rc = reg_sql_exec(r, text);
	if (rc)
		fail_msg("%s: %s", text, strerror(-rc));
}

/* The schema version as stored (PRAGMA user_version, or PostgreSQL's
 * schema_version row). */
static int64_t stored_version(struct fx *f)
{
	return scalar(f->reg, f->pg ? "SELECT version FROM schema_version" : "PRAGMA user_version");
}

static void store_version(struct fx *f, struct registry *r, int v)
{
	char text[80];
	snprintf(text, sizeof text, f->pg ? "UPDATE schema_version SET version = %d"
	                                  : "PRAGMA user_version = %d", v);
	sql(r, text);
}

/* How many of the columns `names` (a quoted list) the table has. */
static int64_t columns(struct fx *f, const char *table, const char *names)
{
	char text[300];
	snprintf(text, sizeof text, f->pg ? "SELECT count(*) FROM information_schema.columns WHERE "
	                                    "table_name = '%s' AND column_name IN (%s)"
	                                  : "SELECT count(*) FROM pragma_table_info('%s') WHERE name IN (%s)",
	         table, names);
	return scalar(f->reg, text);
}

/* How many of the tables or indexes `names` (a quoted list) exist. */
static int64_t objects(struct fx *f, const char *names)
{
	char text[300];
	snprintf(text, sizeof text, f->pg ? "SELECT count(*) FROM pg_class WHERE relname IN (%s)"
	                                  : "SELECT count(*) FROM sqlite_master WHERE name IN (%s)",
	         names);
	return scalar(f->reg, text);
}

static void test_schema(void **state)
{
	struct fx *f = *state;
	assert_int_equal(reg_schema_version(f->reg), REG_SCHEMA_VERSION);
	assert_int_equal(stored_version(f), REG_SCHEMA_VERSION);
	if (!f->pg) {
		assert_non_null(reg_db(f->reg));
		assert_int_equal(scalar(f->reg, "PRAGMA foreign_keys"), 1);
		sqlite3_stmt *s;
		sqlite3_prepare_v2(reg_db(f->reg), "PRAGMA journal_mode", -1, &s, NULL);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
		sqlite3_finalize(s);
	} else {
		assert_null(reg_db(f->reg));
		/* ids and addresses need 64 bits (an address in host order is
		 * unsigned 32): INTEGER became BIGINT, BLOB became BYTEA */
		assert_int_equal(scalar(f->reg, "SELECT count(*) FROM information_schema.columns WHERE "
		                                "table_name = 'allocations' AND column_name = 'ip' AND "
		                                "data_type = 'bigint'"), 1);
		assert_int_equal(scalar(f->reg, "SELECT count(*) FROM information_schema.columns WHERE "
		                                "table_name = 'module_state' AND column_name = 'state' AND "
		                                "data_type = 'bytea'"), 1);
	}
	static const char *const tables[] = {"tenants", "tenant_prefixes", "snapshots", "platforms",
	                                     "policies", "modules", "allocations", "audit", "meta",
	                                     "module_state", "modules_live_name", "modules_live_platform",
	                                     "modules_live_tenant", "allocations_module"};
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		char name[64];
		snprintf(name, sizeof name, "'%s'", tables[i]);
		if (objects(f, name) != 1)
			fail_msg("table or index %s missing", tables[i]);
	}
	/* the embedded schema is schema.sql */
	size_t len;
	char *text = th_read_file(th_source_path("schema.sql"), &len);
	assert_non_null(text);
	assert_string_equal(reg_schema_sql, text);
	free(text);
	/* foreign keys are enforced */
	assert_int_equal(reg_sql_exec(f->reg, "INSERT INTO tenant_prefixes VALUES "
	                              "(999, 'address', 0, '1.0.0.0/8', 16777216, 8)"), -EBUSY);
}

static void test_newer_refused(void **state)
{
	struct fx *f = *state;
	/* a second connection, opened while it still can, sets it back */
	struct registry *other = open_spec(f->spec);
	assert_non_null(other);
	store_version(f, f->reg, 99);
	reg_close(f->reg);
	f->reg = NULL;
	char err[512];
	assert_int_equal(reg_open(f->spec, &f->reg, err, sizeof err), -EPROTO);
	assert_non_null(strstr(err, "newer than this innetd"));
	/* back to normal for teardown */
	store_version(f, other, REG_SCHEMA_VERSION);
	reg_close(other);
	assert_int_equal(reg_open(f->spec, &f->reg, err, sizeof err), 0);
}

/* A version 1 registry (no live-module indexes, no rps quota) is brought
 * up to date, its rows kept. */
static void test_migrate_from_1(void **state)
{
	struct fx *f = *state;
	struct reg_tenant t = {.name = strdup("old"), .kind = REG_KIND_CLIENT, .quota_modules = 1};
	uint8_t hash[REG_HASH_LEN] = {9};
	assert_int_equal(reg_tenant_add(f->reg, &t, hash), 0);
	sql(f->reg, "DROP TABLE module_runtime; DROP TABLE idempotency; DROP INDEX modules_live_address; "
	            "ALTER TABLE platforms DROP COLUMN pop; "
	            "ALTER TABLE platforms ADD COLUMN local INTEGER NOT NULL DEFAULT 1; "
	            "ALTER TABLE platforms ADD COLUMN peer_url TEXT; "
	            "DROP INDEX modules_live_platform; "
	            "DROP INDEX modules_live_tenant; "
	            "ALTER TABLE tenants DROP COLUMN quota_rps; "
	            "ALTER TABLE tenants DROP COLUMN quota_flows; "
	            "ALTER TABLE tenants DROP COLUMN quota_inflight; "
	            "ALTER TABLE tenants DROP COLUMN suspended_at; "
	            "ALTER TABLE modules DROP COLUMN stateful; "
	            "ALTER TABLE modules DROP COLUMN stateful_elements; "
	            "DROP TABLE module_state");
	store_version(f, f->reg, 1);
	reopen(f);
	assert_int_equal(stored_version(f), REG_SCHEMA_VERSION);
	assert_int_equal(objects(f, "'modules_live_platform', 'modules_live_tenant', "
	                            "'modules_live_address', 'idempotency'"), 4);
	assert_int_equal(columns(f, "platforms", "'local', 'peer_url'"), 0);
	struct reg_tenant g;
	assert_int_equal(reg_tenant_get(f->reg, t.id, &g), 0);
	assert_string_equal(g.name, "old");
	assert_int_equal(g.quota_rps, 0);
	reg_tenant_release(&g);
	reg_tenant_release(&t);
}

/* A version 3 registry (no flow quota, memory_mb a tenant total that
 * defaulted to 1024, no stateful columns, no saved states) is brought to
 * version 4 with its rows: the old default memory_mb becomes 0 (innetd's
 * module-memory-mb), a chosen one stays; its modules are not decided. */
static void test_migrate_from_3(void **state)
{
	struct fx *f = *state;
	sql(f->reg, "DROP TABLE module_runtime; DROP TABLE idempotency; DROP INDEX modules_live_address; "
	            "ALTER TABLE platforms DROP COLUMN pop; "
	            "ALTER TABLE platforms ADD COLUMN local INTEGER NOT NULL DEFAULT 1; "
	            "ALTER TABLE platforms ADD COLUMN peer_url TEXT; "
	            "ALTER TABLE tenants DROP COLUMN quota_flows; "
	            "ALTER TABLE tenants DROP COLUMN quota_inflight; "
	            "ALTER TABLE tenants DROP COLUMN suspended_at; "
	            "ALTER TABLE modules DROP COLUMN stateful; "
	            "ALTER TABLE modules DROP COLUMN stateful_elements; "
	            "DROP TABLE module_state");
	sql(f->reg, f->pg ? "INSERT INTO tenants(name, kind, token_hash, quota_memory_mb, created_at) "
	                    "VALUES ('dflt', 'client', '\\x01', 1024, 'then'), "
	                    "('own', 'client', '\\x02', 64, 'then')"
	                  : "INSERT INTO tenants(name, kind, token_hash, quota_memory_mb, created_at) "
	                    "VALUES ('dflt', 'client', x'01', 1024, 'then'), "
	                    "('own', 'client', x'02', 64, 'then')");
	sql(f->reg, "INSERT INTO modules(tenant_id, name, source, created_at, updated_at) "
	            "VALUES (1, 'nat', 'x', 'then', 'then')");
	store_version(f, f->reg, 3);
	reopen(f);
	assert_int_equal(stored_version(f), REG_SCHEMA_VERSION);
	struct reg_tenant t;
	assert_int_equal(reg_tenant_get(f->reg, 1, &t), 0);
	assert_int_equal(t.quota_memory_mb, 0);
	assert_int_equal(t.quota_flows, 0);
	assert_int_equal(t.quota_inflight, 0); /* (version 5: innetd's tenant-inflight) */
	reg_tenant_release(&t);
	assert_int_equal(reg_tenant_get(f->reg, 2, &t), 0);
	assert_int_equal(t.quota_memory_mb, 64);
	reg_tenant_release(&t);
	struct reg_module m;
	assert_int_equal(reg_module_get(f->reg, 1, &m), 0);
	assert_string_equal(m.name, "nat");
	assert_false(m.stateful);
	assert_null(m.stateful_elements); /* not decided */
	reg_module_release(&m);
	assert_int_equal(reg_module_set_stateful(f->reg, 1, true, "[{\"element\":\"rw\"}]"), 0);
	assert_int_equal(reg_module_get(f->reg, 1, &m), 0);
	assert_true(m.stateful);
	assert_string_equal(m.stateful_elements, "[{\"element\":\"rw\"}]");
	reg_module_release(&m);
	assert_int_equal(reg_module_set_stateful(f->reg, 99, true, "[]"), -ENOENT);
	/* and the new table works */
	assert_int_equal(reg_module_state_put(f->reg, 1, "s", 1), 0);
	assert_int_equal(scalar(f->reg, "SELECT bytes FROM module_state WHERE module_id = 1"), 1);
}

static int64_t insert_module(struct registry *reg, int64_t tenant, const char *name)
{
	struct reg_module m = {
		.tenant_id = tenant, .name = (char *)name, .source = "x", .requirements = "",
		.stateful = true, .stateful_elements = "[{\"element\":\"rw\",\"class\":\"IPRewriter\"}]",
	};
	assert_int_equal(reg_begin(reg), 0);
	assert_int_equal(reg_module_insert(reg, &m), 0);
	assert_int_equal(reg_commit(reg), 0);
	free(m.created_at);
	return m.id;
}

static void expect_state(struct registry *reg, int64_t id, const char *bytes, size_t len)
{
	struct reg_module_state st;
	assert_int_equal(reg_module_state_get(reg, id, true, &st), 0);
	assert_int_equal(st.len, len);
	assert_memory_equal(st.state, bytes, len);
	assert_non_null(st.saved_at);
	reg_module_state_release(&st);
	assert_int_equal(reg_module_state_get(reg, id, false, &st), 0);
	assert_int_equal(st.len, len);
	assert_null(st.state);
	reg_module_state_release(&st);
}

/* One saved state per module, replaced on each write, kept across a
 * reopen, deleted with the module (kill, or the row going with its
 * tenant); never stored for a module that is gone. */
static void test_module_state(void **state)
{
	struct fx *f = *state;
	uint8_t h[REG_HASH_LEN] = {7};
	struct reg_tenant t = {.name = strdup("nat-owner"), .kind = REG_KIND_CLIENT};
	assert_int_equal(reg_tenant_add(f->reg, &t, h), 0);
	int64_t a = insert_module(f->reg, t.id, "a"), b = insert_module(f->reg, t.id, "b");
	struct reg_module m;
	assert_int_equal(reg_module_get(f->reg, a, &m), 0);
	assert_true(m.stateful);
	assert_string_equal(m.stateful_elements, "[{\"element\":\"rw\",\"class\":\"IPRewriter\"}]");
	reg_module_release(&m);
	struct reg_module_state st;
	assert_int_equal(reg_module_state_get(f->reg, a, true, &st), -ENOENT);

	const char bin[] = {'I', 'N', 0, 1, (char)0xff, 0};
	assert_int_equal(reg_module_state_put(f->reg, a, bin, sizeof bin), 0);
	expect_state(f->reg, a, bin, sizeof bin);
	assert_int_equal(reg_module_state_put(f->reg, a, "replaced!", 9), 0);
	expect_state(f->reg, a, "replaced!", 9);
	assert_int_equal(scalar(f->reg, "SELECT count(*) FROM module_state"), 1);
	assert_int_equal(reg_module_state_put(f->reg, b, NULL, 0), 0); /* an empty state */
	expect_state(f->reg, b, "", 0);
	assert_int_equal(reg_module_state_put(f->reg, 999, "x", 1), -ENOENT);

	reopen(f);
	expect_state(f->reg, a, "replaced!", 9);

	/* a kill deletes it, and a late state is not kept */
	assert_int_equal(reg_begin(f->reg), 0);
	assert_int_equal(reg_module_kill(f->reg, a), 0);
	assert_int_equal(reg_commit(f->reg), 0);
	assert_int_equal(reg_module_state_get(f->reg, a, false, &st), -ENOENT);
	assert_int_equal(reg_module_state_put(f->reg, a, "late", 4), -ENOENT);
	assert_int_equal(scalar(f->reg, "SELECT count(*) FROM module_state"), 1);
	/* the row goes with its module however that goes (foreign key) */
	assert_int_equal(reg_module_state_delete(f->reg, b), 0);
	assert_int_equal(reg_module_state_delete(f->reg, b), 0);
	assert_int_equal(reg_module_state_put(f->reg, b, "again", 5), 0);
	sql(f->reg, "UPDATE modules SET state = 'killed'");
	assert_int_equal(reg_tenant_delete(f->reg, t.id), 0);
	assert_int_equal(scalar(f->reg, "SELECT count(*) FROM module_state"), 0);
	reg_tenant_release(&t);
}

static struct reg_tenant tenant(const char *name, enum reg_kind kind)
{
	struct reg_tenant t = {0};
	t.name = strdup(name);
	t.kind = kind;
	t.quota_modules = 3;
	t.quota_memory_mb = 64;
	t.quota_starts_per_min = 7;
	t.quota_flows = 1000;
	return t;
}

static void test_tenants(void **state)
{
	struct fx *f = *state;
	uint8_t h1[REG_HASH_LEN] = {1}, h2[REG_HASH_LEN] = {2}, h3[REG_HASH_LEN] = {3};
	struct reg_tenant a = tenant("alpha", REG_KIND_THIRD_PARTY);
	a.naddresses = 2;
	a.addresses = calloc(2, sizeof *a.addresses);
	inet_parse_prefix("10.0.0.0/8", 10, false, &a.addresses[0]);
	inet_parse_prefix("192.0.2.7", 9, false, &a.addresses[1]);
	a.nwhitelist = 1;
	a.whitelist = calloc(1, sizeof *a.whitelist);
	inet_parse_prefix("203.0.113.0/24", 14, false, &a.whitelist[0]);
	assert_int_equal(reg_tenant_add(f->reg, &a, h1), 0);
	assert_true(a.id > 0);
	assert_non_null(a.created_at);
	struct reg_tenant b = tenant("beta", REG_KIND_CLIENT);
	assert_int_equal(reg_tenant_add(f->reg, &b, h2), 0);
	/* unique name; and nothing half-written is left behind */
	struct reg_tenant dup = tenant("alpha", REG_KIND_CLIENT);
	dup.naddresses = 1;
	dup.addresses = calloc(1, sizeof *dup.addresses);
	assert_int_equal(reg_tenant_add(f->reg, &dup, h3), -EEXIST);
	/* unique token hash */
	struct reg_tenant dup2 = tenant("gamma", REG_KIND_CLIENT);
	assert_int_equal(reg_tenant_add(f->reg, &dup2, h1), -EEXIST);
	assert_int_equal(scalar(f->reg, "SELECT count(*) FROM tenants"), 2);
	assert_int_equal(scalar(f->reg, "SELECT count(*) FROM tenant_prefixes"), 3);

	reopen(f);
	struct reg_tenant g;
	assert_int_equal(reg_tenant_get(f->reg, a.id, &g), 0);
	assert_string_equal(g.name, "alpha");
	assert_int_equal(g.kind, REG_KIND_THIRD_PARTY);
	assert_int_equal(g.naddresses, 2);
	assert_int_equal(g.addresses[1].addr, 0xc0000207u);
	assert_int_equal(g.addresses[1].len, 32);
	assert_int_equal(g.nwhitelist, 1);
	assert_int_equal(g.quota_starts_per_min, 7);
	assert_int_equal(g.quota_flows, 1000);
	assert_int_equal(g.quota_memory_mb, 64);
	json_t *j = reg_tenant_json(&g);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "quotas"), "flows")), 1000);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "addresses"), 1)), "192.0.2.7/32");
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "third_party");
	json_decref(j);
	reg_tenant_release(&g);
	assert_int_equal(reg_tenant_by_token(f->reg, h2, &g), 0);
	assert_string_equal(g.name, "beta");
	reg_tenant_release(&g);
	assert_int_equal(reg_tenant_by_token(f->reg, h3, &g), -ENOENT);
	struct reg_tenant *v;
	size_t n;
	assert_int_equal(reg_tenant_list(f->reg, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "alpha");
	assert_int_equal(v[0].naddresses, 2);
	assert_string_equal(v[1].name, "beta");
	reg_tenants_free(v, n);

	/* a tenant with live modules cannot go */
	char text[256];
	snprintf(text, sizeof text, "INSERT INTO modules(tenant_id, name, source, created_at, updated_at) "
	         "VALUES (%lld, 'm', 'x', 'now', 'now')", (long long)b.id);
	sql(f->reg, text);
	assert_int_equal(reg_tenant_delete(f->reg, b.id), -EBUSY);
	/* ... but once its modules are killed it can, and they go with it */
	sql(f->reg, "UPDATE modules SET state = 'killed'");
	assert_int_equal(reg_tenant_delete(f->reg, b.id), 0);
	assert_int_equal(scalar(f->reg, "SELECT count(*) FROM modules"), 0);
	assert_int_equal(reg_tenant_delete(f->reg, a.id), 0);
	assert_int_equal(reg_tenant_delete(f->reg, a.id), -ENOENT);
	assert_int_equal(reg_tenant_get(f->reg, a.id, &g), -ENOENT);
	assert_int_equal(scalar(f->reg, "SELECT count(*) FROM tenant_prefixes"), 0);
	reg_tenant_release(&a);
	reg_tenant_release(&b);
	reg_tenant_release(&dup);
	reg_tenant_release(&dup2);
}

static struct snapshot *parse_file(const char *rel)
{
	size_t len;
	char *text = th_read_file(th_example_path(rel), &len);
	assert_non_null(text);
	struct diags d;
	diags_init(&d);
	struct snapshot *s;
	assert_int_equal(snapshot_parse(text, len, &s, &d), 0);
	diags_free(&d);
	free(text);
	return s;
}

/* A version 6 registry (platforms with local/peer_url, no PoP names, no
 * unique live address, no idempotency table) is brought to version 7 with
 * its rows: the platforms' pop is NULL until the next snapshot (the
 * snapshot names it), and a second live module at an address is refused. */
static void test_migrate_from_6(void **state)
{
	struct fx *f = *state;
	sql(f->reg, "DROP TABLE module_runtime; DROP TABLE idempotency; DROP INDEX modules_live_address; "
	            "ALTER TABLE platforms DROP COLUMN pop; "
	            "ALTER TABLE platforms ADD COLUMN local INTEGER NOT NULL DEFAULT 1; "
	            "ALTER TABLE platforms ADD COLUMN peer_url TEXT; "
	            "INSERT INTO snapshots(json, created_at, created_by) VALUES "
	            "('{}', 'now', 'test'); "
	            "INSERT INTO platforms(name, address, pool, capacity, local, peer_url, "
	            "snapshot_version) VALUES ('p', '10.1.0.1', '10.1.0.0/24', 5, 0, "
	            "'http://peer:80', 1)");
	sql(f->reg, f->pg ? "INSERT INTO tenants(name, kind, token_hash, created_at) VALUES "
	                    "('t', 'client', '\\x01', 'now')"
	                  : "INSERT INTO tenants(name, kind, token_hash, created_at) VALUES "
	                    "('t', 'client', x'01', 'now')");
	sql(f->reg, "INSERT INTO modules(tenant_id, name, source, platform, ip, created_at, "
	            "updated_at) VALUES (1, 'a', 'x', 'p', 167837698, 'now', 'now')");
	store_version(f, f->reg, 6);
	reopen(f);
	assert_int_equal(stored_version(f), REG_SCHEMA_VERSION);
	struct reg_platform *p;
	size_t n;
	assert_int_equal(reg_platform_list(f->reg, &p, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].name, "p");
	assert_null(p[0].pop);
	assert_int_equal(p[0].modules, 1);
	reg_platforms_free(p, n);
	/* one live module per (platform, address); a killed one frees it */
	const char *twin = "INSERT INTO modules(tenant_id, name, source, platform, ip, created_at, "
	                   "updated_at) VALUES (1, 'b', 'x', 'p', 167837698, 'now', 'now')";
	assert_int_equal(reg_sql_exec(f->reg, twin), -EEXIST);
	sql(f->reg, "UPDATE modules SET state = 'killed'");
	sql(f->reg, twin);
}

/* Idempotency-Key answers: per tenant and key, the newest within the
 * retention, replaced once older, pruned in bounded batches, gone with
 * their tenant. */
static void test_idempotency(void **state)
{
	struct fx *f = *state;
	uint8_t h1[REG_HASH_LEN] = {1}, h2[REG_HASH_LEN] = {2};
	struct reg_tenant t = {.name = strdup("a"), .kind = REG_KIND_CLIENT};
	struct reg_tenant u = {.name = strdup("b"), .kind = REG_KIND_CLIENT};
	assert_int_equal(reg_tenant_add(f->reg, &t, h1), 0);
	assert_int_equal(reg_tenant_add(f->reg, &u, h2), 0);
	struct reg_idem e = {.status = 201, .body = "{\"id\":5}", .module_id = 0}, g;
	memcpy(e.request_hash, h1, REG_HASH_LEN);
	const int64_t day = 86400000;
	assert_int_equal(reg_idem_get(f->reg, t.id, "k", day, &g), -ENOENT);
	assert_int_equal(reg_idem_put(f->reg, t.id, "k", &e, day), 0);
	assert_int_equal(reg_idem_put(f->reg, t.id, "k", &e, day), -EEXIST); /* one answer per key */
	e.status = 200;
	assert_int_equal(reg_idem_put(f->reg, u.id, "k", &e, day), 0); /* keys are per tenant */
	assert_int_equal(reg_idem_get(f->reg, t.id, "k", day, &g), 0);
	assert_int_equal(g.status, 201);
	assert_string_equal(g.body, "{\"id\":5}");
	assert_memory_equal(g.request_hash, h1, REG_HASH_LEN);
	reg_idem_release(&g);
	reopen(f);
	assert_int_equal(reg_idem_get(f->reg, u.id, "k", day, &g), 0);
	assert_int_equal(g.status, 200);
	reg_idem_release(&g);
	/* older than the retention: not answered, replaced by a new request */
	sql(f->reg, "UPDATE idempotency SET created_at = '2000-01-01T00:00:00.000Z' WHERE key = 'k'");
	assert_int_equal(reg_idem_get(f->reg, t.id, "k", day, &g), -ENOENT);
	e.status = 202;
	assert_int_equal(reg_idem_put(f->reg, t.id, "k", &e, day), 0);
	assert_int_equal(reg_idem_get(f->reg, t.id, "k", day, &g), 0);
	assert_int_equal(g.status, 202);
	reg_idem_release(&g);
	int n;
	assert_int_equal(reg_idem_prune(f->reg, day, 100, &n), 0);
	assert_int_equal(n, 1); /* u's old row; t's new one stays */
	assert_int_equal(scalar(f->reg, "SELECT count(*) FROM idempotency"), 1);
	assert_int_equal(reg_tenant_delete(f->reg, t.id), 0);
	assert_int_equal(scalar(f->reg, "SELECT count(*) FROM idempotency"), 0);
	reg_tenant_release(&t);
	reg_tenant_release(&u);
}

static void test_snapshots_and_platforms(void **state)
{
	struct fx *f = *state;
	int64_t v;
	char *json;
	assert_int_equal(reg_snapshot_current(f->reg, &v, &json), -ENOENT);
	struct snapshot *s = parse_file("figure3-network.json");
	assert_int_equal(reg_snapshot_put(f->reg, s, "test", NULL), 0);
	assert_int_equal(s->version, 1);
	assert_int_equal(reg_snapshot_current(f->reg, &v, &json), 0);
	assert_int_equal(v, 1);
	assert_string_equal(json, s->json);
	free(json);
	struct reg_platform *p;
	size_t n;
	assert_int_equal(reg_platform_list(f->reg, &p, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(p[0].name, "platform1");
	assert_string_equal(p[0].address, "10.1.0.1");
	assert_string_equal(p[0].pool, "10.1.0.0/16");
	assert_int_equal(p[0].capacity, 1000);
	assert_int_equal(p[0].modules, 0);
	assert_string_equal(p[0].pop, SNAPSHOT_DEFAULT_POP);
	reg_platforms_free(p, n);

	/* a module on platform3, then a snapshot without platform3: refused,
	 * and nothing of it is stored */
	sql(f->reg, f->pg ? "INSERT INTO tenants(name, kind, token_hash, created_at) VALUES "
	                    "('t', 'client', '\\x00', 'now')"
	                  : "INSERT INTO tenants(name, kind, token_hash, created_at) VALUES "
	                    "('t', 'client', x'00', 'now')");
	sql(f->reg, "INSERT INTO modules(tenant_id, name, source, platform, created_at, updated_at) "
	            "VALUES ((SELECT max(id) FROM tenants), 'm', 'x', 'platform3', 'now', 'now')");
	assert_int_equal(reg_platform_list(f->reg, &p, &n), 0);
	assert_int_equal(p[2].modules, 1);
	reg_platforms_free(p, n);
	struct snapshot *s2 = parse_file("figure3-network.json");
	int p3 = snapshot_find(s2, "platform3");
	s2->nodes[p3].type = SNAP_HOSTS; /* as if platform3 were gone */
	char *busy = NULL;
	assert_int_equal(reg_snapshot_put(f->reg, s2, "test", &busy), -EBUSY);
	assert_string_equal(busy, "platform3");
	free(busy);
	assert_int_equal(scalar(f->reg, "SELECT count(*) FROM snapshots"), 1);
	assert_int_equal(scalar(f->reg, "SELECT count(*) FROM platforms"), 3);
	/* without the module it goes through, and platform3 is dropped */
	sql(f->reg, "DELETE FROM modules");
	assert_int_equal(reg_snapshot_put(f->reg, s2, "test", NULL), 0);
	/* PostgreSQL's identity does not give back the number the refused
	 * snapshot took (sequences are not transactional): versions grow,
	 * with gaps */
	if (f->pg)
		assert_true(s2->version > 1);
	else
		assert_int_equal(s2->version, 2);
	assert_int_equal(reg_platform_list(f->reg, &p, &n), 0);
	assert_int_equal(n, 2);
	reg_platforms_free(p, n);
	reopen(f);
	assert_int_equal(reg_snapshot_current(f->reg, &v, &json), 0);
	assert_int_equal(v, s2->version);
	free(json);
	snapshot_unref(s);
	snapshot_unref(s2);
}

static void test_policies_meta_audit(void **state)
{
	struct fx *f = *state;
	int64_t a, b;
	assert_int_equal(reg_policy_add(f->reg, "reach from client -> internet", "operator", &a), 0);
	assert_int_equal(reg_policy_add(f->reg, "never from internet -> client", "config", &b), 0);
	assert_true(b > a);
	struct reg_policy *v;
	size_t n;
	assert_int_equal(reg_policy_list(f->reg, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[1].text, "never from internet -> client");
	assert_string_equal(v[1].created_by, "config");
	reg_policies_free(v, n);
	assert_int_equal(reg_policy_delete(f->reg, a), 0);
	assert_int_equal(reg_policy_delete(f->reg, a), -ENOENT);

	uint8_t buf[8];
	size_t len;
	assert_int_equal(reg_meta_get(f->reg, "k", buf, sizeof buf, &len), -ENOENT);
	assert_int_equal(reg_meta_set(f->reg, "k", "abc", 3), 0);
	assert_int_equal(reg_meta_set(f->reg, "k", "abcd", 4), 0);
	assert_int_equal(reg_meta_get(f->reg, "k", buf, sizeof buf, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(buf, "abcd", 4);

	assert_int_equal(reg_audit_add(f->reg, "operator", 0, "POST", "/v1/tenants", 201, "ok", "{\"id\":1}"), 0);
	assert_int_equal(reg_audit_add(f->reg, "tenant:3", 3, "DELETE", "/v1/x", 403, "forbidden", NULL), 0);
	reopen(f);
	json_t *j;
	assert_int_equal(reg_audit_list(f->reg, 10, &j), 0);
	assert_int_equal(json_array_size(j), 2);
	json_t *last = json_array_get(j, 0);
	assert_string_equal(json_string_value(json_object_get(last, "who")), "tenant:3");
	assert_int_equal(json_integer_value(json_object_get(last, "tenant_id")), 3);
	assert_int_equal(json_integer_value(json_object_get(last, "status")), 403);
	assert_true(json_is_null(json_object_get(last, "detail")));
	json_t *first = json_array_get(j, 1);
	assert_true(json_is_null(json_object_get(first, "tenant_id")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(first, "detail"), "id")), 1);
	json_decref(j);
	assert_int_equal(reg_audit_list(f->reg, 1, &j), 0);
	assert_int_equal(json_array_size(j), 1);
	json_decref(j);
}

/* A tenant and the figure 3 network, platform1's capacity set to cap. */
static int64_t placement_fixture(struct fx *f, int64_t cap)
{
	uint8_t h[REG_HASH_LEN] = {42};
	struct reg_tenant t = tenant("placer", REG_KIND_CLIENT);
	assert_int_equal(reg_tenant_add(f->reg, &t, h), 0);
	struct snapshot *s = parse_file("figure3-network.json");
	assert_int_equal(reg_snapshot_put(f->reg, s, "test", NULL), 0);
	snapshot_unref(s);
	char text[100];
	snprintf(text, sizeof text, "UPDATE platforms SET capacity = %lld WHERE name = 'platform1'",
	         (long long)cap);
	sql(f->reg, text);
	int64_t id = t.id;
	reg_tenant_release(&t);
	return id;
}

static struct reg_module placed(int64_t tenant, const char *name, uint32_t ip)
{
	return (struct reg_module){.tenant_id = tenant, .name = (char *)name, .source = "x",
	                           .requirements = "", .platform = "platform1", .ip = ip,
	                           .snapshot_version = 1};
}

/* A module's live state as its PoP reports it: replaced on each report,
 * not kept for a killed module, gone with the module's row. */
static void test_module_runtime(void **state)
{
	struct fx *f = *state;
	int64_t t = placement_fixture(f, 10);
	struct reg_module a = placed(t, "a", 0x0a010002);
	assert_int_equal(reg_begin(f->reg), 0);
	assert_int_equal(reg_module_insert(f->reg, &a), 0);
	assert_int_equal(reg_commit(f->reg), 0);
	free(a.created_at);
	char *pop, *json, *at;
	assert_int_equal(reg_module_runtime_get(f->reg, a.id, &pop, &json, &at), -ENOENT);
	assert_int_equal(reg_module_runtime_put(f->reg, a.id, "lyon", "{\"state\":\"deployed\"}"), 0);
	assert_int_equal(reg_module_runtime_put(f->reg, a.id, "lyon", "{\"state\":\"running\"}"), 0);
	assert_int_equal(reg_module_runtime_get(f->reg, a.id, &pop, &json, &at), 0);
	assert_string_equal(pop, "lyon");
	assert_string_equal(json, "{\"state\":\"running\"}");
	assert_non_null(at);
	free(pop);
	free(json);
	free(at);
	assert_int_equal(reg_module_runtime_put(f->reg, 999, "lyon", "{}"), -ENOENT);
	assert_int_equal(reg_begin(f->reg), 0);
	assert_int_equal(reg_module_kill(f->reg, a.id), 0);
	assert_int_equal(reg_commit(f->reg), 0);
	assert_int_equal(reg_module_runtime_put(f->reg, a.id, "lyon", "{}"), -ENOENT);
	sql(f->reg, "DELETE FROM allocations; DELETE FROM modules");
	assert_int_equal(scalar(f->reg, "SELECT count(*) FROM module_runtime"), 0);
}

/* Unique violations are -EEXIST on both backends, a failed statement
 * leaves the connection usable, and a rolled-back transaction leaves
 * nothing behind. */
static void test_unique_and_rollback(void **state)
{
	struct fx *f = *state;
	int64_t t = placement_fixture(f, 10);
	struct reg_module a = placed(t, "a", 0x0a010002);
	assert_int_equal(reg_begin(f->reg), 0);
	assert_int_equal(reg_module_insert(f->reg, &a), 0);
	assert_int_equal(reg_commit(f->reg), 0);
	assert_true(a.id > 0);
	assert_non_null(a.created_at);
	free(a.created_at);

	/* the same address: the allocation's primary key */
	struct reg_module b = placed(t, "b", 0x0a010002);
	assert_int_equal(reg_begin(f->reg), 0);
	assert_int_equal(reg_module_insert(f->reg, &b), -EEXIST);
	reg_rollback(f->reg);
	free(b.created_at);
	/* the same live name: the partial unique index */
	struct reg_module c = placed(t, "a", 0x0a010003);
	assert_int_equal(reg_begin(f->reg), 0);
	assert_int_equal(reg_module_insert(f->reg, &c), -EEXIST);
	reg_rollback(f->reg);
	free(c.created_at);
	/* a unique violation outside a transaction, then the connection goes on */
	assert_int_equal(reg_policy_add(f->reg, "reach from client -> internet", "t", &(int64_t){0}), 0);
	uint8_t h[REG_HASH_LEN] = {42};
	struct reg_tenant dup = tenant("other", REG_KIND_CLIENT);
	assert_int_equal(reg_tenant_add(f->reg, &dup, h), -EEXIST);
	reg_tenant_release(&dup);

	/* rolled back: neither the row nor its address */
	struct reg_module d = placed(t, "d", 0x0a010004);
	assert_int_equal(reg_begin(f->reg), 0);
	assert_int_equal(reg_module_insert(f->reg, &d), 0);
	reg_rollback(f->reg);
	free(d.created_at);
	assert_int_equal(scalar(f->reg, "SELECT count(*) FROM modules"), 1);
	assert_int_equal(scalar(f->reg, "SELECT count(*) FROM allocations"), 1);
	int64_t n;
	assert_int_equal(reg_modules_count_platform(f->reg, "platform1", &n), 0);
	assert_int_equal(n, 1);
	uint32_t *ips;
	size_t nips;
	assert_int_equal(reg_platform_ips(f->reg, "platform1", &ips, &nips), 0);
	assert_int_equal(nips, 1);
	assert_int_equal(ips[0], 0x0a010002);
	free(ips);
	/* the audit's RETURNING id */
	assert_int_equal(reg_audit_add(f->reg, "operator", 0, "POST", "/x", 200, "ok", NULL), 0);
	int64_t first = reg_audit_last_id(f->reg);
	assert_int_equal(reg_audit_add(f->reg, "operator", 0, "POST", "/y", 200, "ok", NULL), 0);
	assert_int_equal(reg_audit_last_id(f->reg), first + 1);
	assert_int_equal(reg_audit_set_detail(f->reg, first, "{\"k\":1}"), 0);
	int deleted = -1;
	assert_int_equal(reg_audit_prune(f->reg, 3600000, 10, &deleted), 0);
	assert_int_equal(deleted, 0);
	assert_int_equal(reg_audit_prune(f->reg, -3600000, 1, &deleted), 0);
	assert_int_equal(deleted, 1);
}

/* Begin, check the room on platform1 as the controller does (its count
 * against its capacity), insert when there is room. 1: full. */
static int take_place(struct registry *r, struct reg_module *m)
{
	int rc = reg_begin(r);
	if (rc)
		return rc;
	int64_t n = 0, cap = 0;
	if ((rc = reg_modules_count_platform(r, "platform1", &n)) ||
	    (rc = reg_sql_int64(r, "SELECT capacity FROM platforms WHERE name = 'platform1'", &cap)))
		goto fail;
	if (n >= cap) {
		rc = 1;
		goto fail;
	}
	if ((rc = reg_module_insert(r, m)))
		goto fail;
	return 0;
fail:
	reg_rollback(r);
	return rc;
}

/* Two innetd on one PostgreSQL, a platform with one place left: both
 * transactions read the count, both insert, one commits; the other
 * fails (-EAGAIN, a serialization failure), retries and finds the
 * platform full. (SQLite takes the write lock at BEGIN: a second writer
 * waits there instead, nothing to race.) */
static void test_capacity_race(void **state)
{
	struct fx *f = *state;
	if (!f->pg)
		skip();
	int64_t t = placement_fixture(f, 1);
	struct registry *other = open_spec(f->spec);
	assert_non_null(other);
	struct reg_module a = placed(t, "a", 0x0a010002), b = placed(t, "b", 0x0a010003);
	assert_int_equal(take_place(f->reg, &a), 0);
	assert_int_equal(take_place(other, &b), 0); /* did not see a: not committed */
	assert_int_equal(reg_commit(f->reg), 0);
	int rc = reg_commit(other);
	assert_int_equal(rc, -EAGAIN);
	reg_rollback(other);
	/* the retry sees the platform full */
	free(b.created_at);
	b = placed(t, "b", 0x0a010003);
	assert_int_equal(take_place(other, &b), 1);
	int64_t n;
	assert_int_equal(reg_modules_count_platform(other, "platform1", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(reg_modules_count_platform(f->reg, "platform1", &n), 0);
	assert_int_equal(n, 1);
	free(a.created_at);
	free(b.created_at);
	reg_close(other);
}

/* Ends the server process of r's connection, from another connection
 * (waiting until it is gone). */
static void kill_backend(struct registry *other, struct registry *r)
{
	char text[96];
	snprintf(text, sizeof text, "SELECT pg_terminate_backend(%lld, 10000)",
	         (long long)scalar(r, "SELECT pg_backend_pid()"));
	assert_int_equal(scalar(other, text), 1);
}

/* A lost connection: the statement that finds it fails, the next one
 * connects again (and prepares its statements again); a transaction that
 * lost its connection commits nothing, not even its second half in a new
 * session. */
static void test_reconnect(void **state)
{
	struct fx *f = *state;
	if (!f->pg)
		skip();
	struct registry *other = open_spec(f->spec);
	assert_non_null(other);
	int64_t id;
	assert_int_equal(reg_policy_add(f->reg, "reach from client -> internet", "t", &id), 0);
	kill_backend(other, f->reg);
	assert_true(reg_policy_add(f->reg, "reach from client -> internet", "t", &id) < 0);
	assert_int_equal(reg_policy_add(f->reg, "reach from client -> internet", "t", &id), 0);
	assert_int_equal(scalar(other, "SELECT count(*) FROM policies"), 2);

	assert_int_equal(reg_begin(f->reg), 0);
	assert_int_equal(reg_policy_add(f->reg, "first half", "t", &id), 0);
	kill_backend(other, f->reg);
	assert_true(reg_policy_add(f->reg, "second half", "t", &id) < 0);
	assert_true(reg_policy_add(f->reg, "second half", "t", &id) < 0); /* not in a new session */
	assert_true(reg_commit(f->reg) < 0);
	reg_rollback(f->reg);
	assert_int_equal(scalar(other, "SELECT count(*) FROM policies"), 2);
	struct reg_policy *v;
	size_t n;
	assert_int_equal(reg_policy_list(f->reg, &v, &n), 0); /* connected again */
	assert_int_equal(n, 2);
	reg_policies_free(v, n);
	reg_close(other);
}

/* The connection string as GET /v1/config and the log show it. */
static void test_spec_redact(void **state)
{
	static const char *const cases[][2] = {
		{"postgresql://innet:s3cret@db1:5432/innet", "postgresql://innet:***@db1:5432/innet"},
		{"postgres://u:p%40ss@h1:5432,h2:5433/d?target_session_attrs=read-write",
		 "postgres://u:***@h1:5432,h2:5433/d?target_session_attrs=read-write"},
		{"postgresql://u@h/d?sslmode=require&password=s3cret&x=1",
		 "postgresql://u@h/d?sslmode=require&password=***&x=1"},
		{"postgresql:///innet?host=/run/postgresql", "postgresql:///innet?host=/run/postgresql"},
		{"host=a,b dbname=innet password=s3cret target_session_attrs=read-write",
		 "host=a,b dbname=innet password=*** target_session_attrs=read-write"},
		{"password = 'se cr\\'et' host=h", "password=*** host=h"},
		{"host=h passwordfile=x", "host=h passwordfile=x"},
		{"state/innet.db", "state/innet.db"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *shown = reg_spec_redact(cases[i][0]);
		assert_non_null(shown);
		assert_string_equal(shown, cases[i][1]);
		assert_null(strstr(shown, "s3cret"));
		free(shown);
	}
	assert_true(reg_spec_is_postgres("postgresql://h/d"));
	assert_true(reg_spec_is_postgres("postgres://h/d"));
	assert_true(reg_spec_is_postgres("host=h dbname=d"));
	assert_false(reg_spec_is_postgres("state/innet.db"));
}

/* A dead database must not hang innetd: the session gets a statement
 * timeout (30 s) unless the string, role or database set one. */
static void test_session_timeout(void **state)
{
	struct fx *f = *state;
	if (!f->pg)
		skip();
	static const char q[] =
		"SELECT CAST(extract(epoch FROM CAST(current_setting('statement_timeout') AS interval)) "
		"AS BIGINT)";
	assert_int_equal(scalar(f->reg, q), 30);
	char spec[600];
	snprintf(spec, sizeof spec, "%s%coptions=-c%%20statement_timeout%%3D7s", f->spec,
	         strchr(f->spec, '?') ? '&' : '?');
	struct registry *own = open_spec(spec);
	assert_non_null(own);
	assert_int_equal(scalar(own, q), 7);
	reg_close(own);
}

/* --- the registry thread (worker.c) ------------------------------------- */

struct wake_count {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int wakes;
};

static void on_wake(void *ud)
{
	struct wake_count *w = ud;
	pthread_mutex_lock(&w->mu);
	w->wakes++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Drain until n done callbacks ran, waiting for wakes in between. */
static void drain_until(struct reg_worker *rw, struct wake_count *w, size_t *ran, size_t n)
{
	while (*ran < n) {
		pthread_mutex_lock(&w->mu);
		while (!w->wakes)
			pthread_cond_wait(&w->cv, &w->mu);
		w->wakes = 0;
		pthread_mutex_unlock(&w->mu);
		*ran += reg_worker_drain(rw);
	}
}

struct step {
	int i;
	pthread_t ran_on;
	int64_t id;      /* work: the policy it stored */
	int *order, *norder; /* done: the order callbacks ran in */
	pthread_t done_on;
};

static int store_policy(struct registry *r, void *arg)
{
	struct step *s = arg;
	s->ran_on = pthread_self();
	char text[32];
	snprintf(text, sizeof text, "policy %d", s->i);
	return reg_policy_add(r, text, "worker", &s->id);
}

static void step_done(void *arg, int rc)
{
	struct step *s = arg;
	assert_int_equal(rc, 0);
	s->done_on = pthread_self();
	s->order[(*s->norder)++] = s->i;
}

/* Work runs on the thread in submission order (each sees the one before),
 * done callbacks on the draining thread in the same order, and stop runs
 * what is still queued and gives the registry back. */
static void test_worker_order(void **state)
{
	struct fx *f = *state;
	struct wake_count w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
	struct reg_worker *rw;
	assert_int_equal(reg_worker_start(f->reg, on_wake, &w, &rw), 0);
	enum { N = 50 };
	struct step steps[N];
	int order[N], norder = 0;
	for (int i = 0; i < N; i++) {
		steps[i] = (struct step){.i = i, .order = order, .norder = &norder};
		assert_int_equal(reg_worker_submit(rw, store_policy, step_done, &steps[i]), 0);
	}
	size_t ran = 0;
	drain_until(rw, &w, &ran, N - 10);
	struct reg_worker_stats st;
	reg_worker_stats(rw, &st);
	assert_int_equal(st.submitted, N);
	reg_worker_stop(rw); /* the rest run, their done callbacks too */
	assert_int_equal(norder, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(order[i], i);
		assert_false(pthread_equal(steps[i].ran_on, pthread_self()));
		assert_true(pthread_equal(steps[i].done_on, pthread_self()));
		if (i)
			assert_true(steps[i].id > steps[i - 1].id);
	}
	/* the registry is this thread's again */
	struct reg_policy *v;
	size_t n;
	assert_int_equal(reg_policy_list(f->reg, &v, &n), 0);
	assert_int_equal(n, N);
	reg_policies_free(v, n);
}

static int leave_open(struct registry *r, void *arg)
{
	int64_t id;
	int rc = reg_begin(r);
	return rc ? rc : reg_policy_add(r, "never committed", "worker", &id);
}

static int count_policies(struct registry *r, void *arg)
{
	struct reg_policy *v;
	size_t n;
	int rc = reg_policy_list(r, &v, &n);
	*(size_t *)arg = n;
	reg_policies_free(v, n);
	return rc;
}

static void ignore_done(void *arg, int rc) {}

/* A work function that leaves its transaction open is rolled back: the
 * next one starts clean; submit after stop is refused. */
static void test_worker_rolls_back(void **state)
{
	struct fx *f = *state;
	struct wake_count w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
	struct reg_worker *rw;
	assert_int_equal(reg_worker_start(f->reg, on_wake, &w, &rw), 0);
	size_t n = 99;
	assert_int_equal(reg_worker_submit(rw, leave_open, ignore_done, NULL), 0);
	assert_int_equal(reg_worker_submit(rw, count_policies, ignore_done, &n), 0);
	size_t ran = 0;
	drain_until(rw, &w, &ran, 2);
	assert_int_equal(n, 0);
	reg_worker_stop(rw);
}

/* Once the thread owns the registry, a statement from another thread is
 * a bug that must not reach the connection: refused (logged), or innetd
 * stops under INNET_REGISTRY_STRICT=1 (how the tests run). */
static void test_worker_owns_registry(void **state)
{
	struct fx *f = *state;
	struct wake_count w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
	struct reg_worker *rw;
	assert_int_equal(reg_worker_start(f->reg, on_wake, &w, &rw), 0);
	assert_true(reg_available(f->reg)); /* any thread may ask */
	const char *was = getenv("INNET_REGISTRY_STRICT");
	char *saved = was ? strdup(was) : NULL;
	unsetenv("INNET_REGISTRY_STRICT");
	int64_t id = 0;
	assert_true(reg_policy_add(f->reg, "refused", "test", &id) < 0);
	assert_int_equal(reg_begin(f->reg), -EDEADLK);
	size_t n = 99;
	size_t ran = 0;
	assert_int_equal(reg_worker_submit(rw, count_policies, ignore_done, &n), 0);
	drain_until(rw, &w, &ran, 1);
	assert_int_equal(n, 0); /* nothing reached the database */
	if (saved)
		setenv("INNET_REGISTRY_STRICT", saved, 1);
	free(saved);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setenv("INNET_REGISTRY_STRICT", "1", 1);
		reg_policy_add(f->reg, "from the wrong thread", "test", &id);
		_exit(0); /* not reached */
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	reg_worker_stop(rw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_redact),
		cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_runtime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tenants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshots_and_platforms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policies_meta_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unique_and_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconnect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_owns_registry, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
