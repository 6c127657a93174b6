/* The registry on a temporary SQLite file: schema and version, migrations,
 * tenants, snapshots and platforms, policies, audit, saved module states,
 * persistence across reopen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "registry/registry.h"

struct fx {
	char dir[64], path[128];
	struct registry *reg;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	strcpy(f->dir, "/tmp/innet-reg-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	/* a sub-directory that does not exist yet: reg_open creates it */
	snprintf(f->path, sizeof f->path, "%s/state/r.db", f->dir);
	char err[512];
	if (reg_open(f->path, &f->reg, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
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
	assert_int_equal(reg_open(f->path, &f->reg, err, sizeof err), 0);
}

static int64_t scalar(struct registry *r, const char *sql)
{
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(reg_db(r), sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void test_schema(void **state)
{
	struct fx *f = *state;
	assert_int_equal(reg_schema_version(f->reg), REG_SCHEMA_VERSION);
	assert_int_equal(scalar(f->reg, "PRAGMA user_version"), REG_SCHEMA_VERSION);
	assert_int_equal(scalar(f->reg, "PRAGMA foreign_keys"), 1);
	sqlite3_stmt *s;
	sqlite3_prepare_v2(reg_db(f->reg), "PRAGMA journal_mode", -1, &s, NULL);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	static const char *const tables[] = {"tenants", "tenant_prefixes", "snapshots", "platforms",
	                                     "policies", "modules", "allocations", "audit", "meta",
	                                     "module_state"};
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		char sql[128];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE name = '%s'", tables[i]);
		if (scalar(f->reg, sql) != 1)
			fail_msg("table %s missing", tables[i]);
	}
	/* the embedded schema is schema.sql */
	size_t len;
	char *text = th_read_file(th_source_path("schema.sql"), &len);
	assert_non_null(text);
	assert_string_equal(reg_schema_sql, text);
	free(text);
	/* foreign keys are enforced */
	assert_int_not_equal(sqlite3_exec(reg_db(f->reg), "INSERT INTO tenant_prefixes VALUES "
	                                  "(999, 'address', 0, '1.0.0.0/8', 16777216, 8)", NULL, NULL, NULL),
	                     SQLITE_OK);
}

static void test_newer_refused(void **state)
{
	struct fx *f = *state;
	assert_int_equal(sqlite3_exec(reg_db(f->reg), "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	reg_close(f->reg);
	f->reg = NULL;
	char err[512];
	assert_int_equal(reg_open(f->path, &f->reg, err, sizeof err), -EPROTO);
	assert_non_null(strstr(err, "newer than this innetd"));
	/* back to normal for teardown */
	sqlite3 *db;
	sqlite3_open(f->path, &db);
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", REG_SCHEMA_VERSION);
	sqlite3_exec(db, pragma, NULL, NULL, NULL);
	sqlite3_close(db);
	assert_int_equal(reg_open(f->path, &f->reg, err, sizeof err), 0);
}

/* A version 1 registry (no live-module indexes, no rps quota) is brought
 * up to date, its rows kept. */
static void test_migrate_from_1(void **state)
{
	struct fx *f = *state;
	struct reg_tenant t = {.name = strdup("old"), .kind = REG_KIND_CLIENT, .quota_modules = 1};
	uint8_t hash[REG_HASH_LEN] = {9};
	assert_int_equal(reg_tenant_add(f->reg, &t, hash), 0);
	assert_int_equal(sqlite3_exec(reg_db(f->reg), "DROP TABLE idempotency; DROP INDEX modules_live_address; "
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
	                              "DROP TABLE module_state; "
	                              "PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
	reopen(f);
	assert_int_equal(scalar(f->reg, "PRAGMA user_version"), REG_SCHEMA_VERSION);
	assert_int_equal(scalar(f->reg, "SELECT count(*) FROM sqlite_master WHERE name IN "
	                                "('modules_live_platform', 'modules_live_tenant', "
	                                "'modules_live_address', 'idempotency')"), 4);
	assert_int_equal(scalar(f->reg, "SELECT count(*) FROM pragma_table_info('platforms') "
	                                "WHERE name IN ('local', 'peer_url')"), 0);
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
	assert_int_equal(sqlite3_exec(reg_db(f->reg),
	                              "DROP TABLE idempotency; DROP INDEX modules_live_address; "
	                              "ALTER TABLE platforms DROP COLUMN pop; "
	                              "ALTER TABLE platforms ADD COLUMN local INTEGER NOT NULL DEFAULT 1; "
	                              "ALTER TABLE platforms ADD COLUMN peer_url TEXT; "
	                              "ALTER TABLE tenants DROP COLUMN quota_flows; "
	                              "ALTER TABLE tenants DROP COLUMN quota_inflight; "
	                              "ALTER TABLE tenants DROP COLUMN suspended_at; "
	                              "ALTER TABLE modules DROP COLUMN stateful; "
	                              "ALTER TABLE modules DROP COLUMN stateful_elements; "
	                              "DROP TABLE module_state; "
	                              "INSERT INTO tenants(name, kind, token_hash, quota_memory_mb, "
	                              "created_at) VALUES ('dflt', 'client', x'01', 1024, 'then'), "
	                              "('own', 'client', x'02', 64, 'then'); "
	                              "INSERT INTO modules(tenant_id, name, source, created_at, "
	                              "updated_at) VALUES (1, 'nat', 'x', 'then', 'then'); "
	                              "PRAGMA user_version = 3", NULL, NULL, NULL), SQLITE_OK);
	reopen(f);
	assert_int_equal(scalar(f->reg, "PRAGMA user_version"), REG_SCHEMA_VERSION);
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
	assert_int_equal(sqlite3_exec(reg_db(f->reg), "UPDATE modules SET state = 'killed'", NULL, NULL,
	                              NULL), SQLITE_OK);
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
	char sql[256];
	snprintf(sql, sizeof sql, "INSERT INTO modules(tenant_id, name, source, created_at, updated_at) "
	         "VALUES (%lld, 'm', 'x', 'now', 'now')", (long long)b.id);
	assert_int_equal(sqlite3_exec(reg_db(f->reg), sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(reg_tenant_delete(f->reg, b.id), -EBUSY);
	/* ... but once its modules are killed it can, and they go with it */
	assert_int_equal(sqlite3_exec(reg_db(f->reg), "UPDATE modules SET state = 'killed'", NULL, NULL,
	                              NULL), SQLITE_OK);
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
	assert_int_equal(sqlite3_exec(reg_db(f->reg),
	                              "DROP TABLE idempotency; DROP INDEX modules_live_address; "
	                              "ALTER TABLE platforms DROP COLUMN pop; "
	                              "ALTER TABLE platforms ADD COLUMN local INTEGER NOT NULL DEFAULT 1; "
	                              "ALTER TABLE platforms ADD COLUMN peer_url TEXT; "
	                              "INSERT INTO snapshots(json, created_at, created_by) VALUES "
	                              "('{}', 'now', 'test'); "
	                              "INSERT INTO platforms(name, address, pool, capacity, local, peer_url, "
	                              "snapshot_version) VALUES ('p', '10.1.0.1', '10.1.0.0/24', 5, 0, "
	                              "'http://peer:80', 1); "
	                              "INSERT INTO tenants(name, kind, token_hash, created_at) VALUES "
	                              "('t', 'client', x'01', 'now'); "
	                              "INSERT INTO modules(tenant_id, name, source, platform, ip, created_at, "
	                              "updated_at) VALUES (1, 'a', 'x', 'p', 167837698, 'now', 'now'); "
	                              "PRAGMA user_version = 6", NULL, NULL, NULL), SQLITE_OK);
	reopen(f);
	assert_int_equal(scalar(f->reg, "PRAGMA user_version"), REG_SCHEMA_VERSION);
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
	assert_int_equal(sqlite3_exec(reg_db(f->reg), twin, NULL, NULL, NULL), SQLITE_CONSTRAINT_UNIQUE);
	assert_int_equal(sqlite3_exec(reg_db(f->reg), "UPDATE modules SET state = 'killed'", NULL,
	                              NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(reg_db(f->reg), twin, NULL, NULL, NULL), SQLITE_OK);
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
	assert_int_equal(sqlite3_exec(reg_db(f->reg), "UPDATE idempotency SET created_at = "
	                              "'2000-01-01T00:00:00.000Z' WHERE key = 'k'", NULL, NULL, NULL),
	                 SQLITE_OK);
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
	assert_int_equal(sqlite3_exec(reg_db(f->reg),
		"INSERT INTO tenants(name, kind, token_hash, created_at) VALUES ('t', 'client', x'00', 'now');"
		"INSERT INTO modules(tenant_id, name, source, platform, created_at, updated_at) "
		"VALUES (last_insert_rowid(), 'm', 'x', 'platform3', 'now', 'now')", NULL, NULL, NULL), SQLITE_OK);
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
	assert_int_equal(sqlite3_exec(reg_db(f->reg), "DELETE FROM modules", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(reg_snapshot_put(f->reg, s2, "test", NULL), 0);
	assert_int_equal(s2->version, 2);
	assert_int_equal(reg_platform_list(f->reg, &p, &n), 0);
	assert_int_equal(n, 2);
	reg_platforms_free(p, n);
	reopen(f);
	assert_int_equal(reg_snapshot_current(f->reg, &v, &json), 0);
	assert_int_equal(v, 2);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tenants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshots_and_platforms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policies_meta_audit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
