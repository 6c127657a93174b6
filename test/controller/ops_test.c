/* The platform interface: when innetd connects the fast path
 * (ctl_set_platform_ops), every live module of the registry is handed to
 * it with what the fast path needs (address, proto/port, the Click text
 * that runs, sandboxed or not, stateful or not, its quotas and the state
 * saved at its last suspend); killed modules are not. A module stored
 * before schema version 4 is decided stateful or not when the controller
 * loads. Reconciling with the registry and a module changed by another
 * innetd install what is live and remove what is not. A recording dummy
 * stands in for the fast path. The modules are read on the registry
 * thread: the loop runs until they are installed. */
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

#include "controller/controller.h"
#include "harness.h"

struct rec {
	int n;
	int64_t ids[8];
	uint32_t ips[8];
	uint8_t protos[8];
	uint16_t ports[8];
	bool sandboxed[8];
	char *clicks[8];
	char *platforms[8];
	bool stateful[8];
	uint32_t flows[8];
	size_t mem[8];
	char *states[8]; /* NUL-terminated copies (NULL: none) */
};

static int rec_install(void *ud, const struct ctl_deployed *m)
{
	struct rec *r = ud;
	assert_true(r->n < 8);
	r->ids[r->n] = m->id;
	r->ips[r->n] = m->ip;
	r->protos[r->n] = m->proto;
	r->ports[r->n] = m->port;
	r->sandboxed[r->n] = m->sandboxed;
	r->clicks[r->n] = strdup(m->click);
	r->platforms[r->n] = m->platform ? strdup(m->platform) : NULL;
	r->stateful[r->n] = m->stateful;
	r->flows[r->n] = m->flow_capacity;
	r->mem[r->n] = m->mem_quota;
	r->states[r->n] = m->state ? strndup(m->state, m->state_len) : NULL;
	r->n++;
	return 0;
}

static int rec_remove(void *ud, const struct ctl_deployed *m)
{
	return 0;
}

static int64_t add_module(struct registry *reg, int64_t tenant,
                          const char *name, uint32_t ip, const char *verdict, const char *deployed)
{
	json_t *rep = json_pack("{s:s, s:s}", "verdict", verdict, "deployed_config", deployed);
	char *rt = json_dumps(rep, JSON_COMPACT);
	struct reg_module m = {
		.tenant_id = tenant, .name = (char *)name, .source = "FromNetFront -> ToNetFront;",
		.requirements = "", .verdict = (char *)verdict, .platform = "platform3", .ip = ip,
		.proto = 17, .port = 1500, .report = rt,
	};
	assert_int_equal(reg_begin(reg), 0);
	assert_int_equal(reg_module_insert(reg, &m), 0);
	assert_int_equal(reg_commit(reg), 0);
	free(m.created_at);
	free(rt);
	json_decref(rep);
	return m.id;
}

static struct snapshot *no_snapshot(void *ud)
{
	return NULL;
}

static void test_install_on_connect(void **state)
{
	char dir[] = "/tmp/innet-ctl-ops-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char db[128];
	snprintf(db, sizeof db, "%s/innet.db", dir);
	struct registry *reg;
	char err[256];
	assert_int_equal(reg_open(db, &reg, err, sizeof err), 0);

	/* the Figure 3 network and one client */
	size_t len;
	char *net = th_read_file(th_example_path("figure3-network.json"), &len);
	assert_non_null(net);
	struct snapshot *s;
	struct diags d;
	diags_init(&d);
	assert_int_equal(snapshot_parse(net, len, &s, &d), 0);
	diags_free(&d);
	char *busy = NULL;
	assert_int_equal(reg_snapshot_put(reg, s, "test", &busy), 0);
	struct reg_tenant t = {.name = strdup("phone"), .kind = REG_KIND_CLIENT, .quota_modules = 10};
	uint8_t hash[REG_HASH_LEN] = {1};
	assert_int_equal(reg_tenant_add(reg, &t, hash), 0);

	int64_t a = add_module(reg, t.id, "a", 0xc0000202, "safe", "FromNetFront -> ToNetFront;");
	int64_t b = add_module(reg, t.id, "b", 0xc0000203, "sandboxed",
	                       "e :: ChangeEnforcer(ADDR 192.0.2.3); FromNetFront -> [0]e; "
	                       "e[0] -> ToNetFront; Idle -> [1]e; e[1] -> Discard;");
	int64_t k = add_module(reg, t.id, "k", 0xc0000204, "safe", "FromNetFront -> Discard;");
	assert_int_equal(reg_begin(reg), 0);
	assert_int_equal(reg_module_kill(reg, k), 0);
	assert_int_equal(reg_commit(reg), 0);
	assert_int_equal(reg_module_kill(reg, k), -ENOENT);
	/* the address of the killed module is free again */
	uint32_t *ips;
	size_t nips;
	assert_int_equal(reg_platform_ips(reg, "platform3", &ips, &nips), 0);
	assert_int_equal(nips, 2);
	assert_int_equal(ips[0], 0xc0000202);
	assert_int_equal(ips[1], 0xc0000203);
	free(ips);
	/* b was stored before schema version 4 (not decided), and both have a
	 * saved state; a tenant with its own quotas has a module too */
	char sql[160];
	snprintf(sql, sizeof sql, "UPDATE modules SET stateful_elements = NULL WHERE id = %lld",
	         (long long)b);
	assert_int_equal(sqlite3_exec(reg_db(reg), sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(reg_module_state_put(reg, a, "ignored", 7), 0);
	assert_int_equal(reg_module_state_put(reg, b, "saved", 5), 0);
	struct reg_tenant t2 = {.name = strdup("nat"), .kind = REG_KIND_CLIENT, .quota_modules = 10,
	                        .quota_flows = 100, .quota_memory_mb = 2};
	uint8_t hash2[REG_HASH_LEN] = {2};
	assert_int_equal(reg_tenant_add(reg, &t2, hash2), 0);
	int64_t q = add_module(reg, t2.id, "q", 0xc0000205, "safe", "FromNetFront -> ToNetFront;");

	uv_loop_t loop;
	uv_loop_init(&loop);
	struct ctl *c;
	struct ctl_env env = {&loop, reg, no_snapshot, NULL, NULL};
	struct ctl_limits lim = {.module_flows = 5000};
	assert_int_equal(ctl_new(&env, &lim, &c), 0);
	struct rec r = {0};
	struct ctl_platform_ops ops = {.ud = &r, .install = rec_install, .remove = rec_remove};
	assert_int_equal(ctl_set_platform_ops(c, &ops), 0);
	assert_int_equal(r.n, 0); /* installed when the rows, quotas and states arrive */
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.ids[0], a);
	assert_int_equal(r.ids[1], b);
	assert_int_equal(r.ids[2], q);
	/* a stateless module gets no state; b resumes with its own */
	assert_false(r.stateful[0]);
	assert_null(r.states[0]);
	assert_true(r.stateful[1]);
	assert_string_equal(r.states[1], "saved");
	/* quotas: the defaults given to the controller, or the tenant's */
	assert_int_equal(r.flows[0], 5000);
	assert_int_equal(r.mem[0], (size_t)16 << 20);
	assert_int_equal(r.flows[2], 100);
	assert_int_equal(r.mem[2], (size_t)2 << 20);
	assert_int_equal(r.ips[0], 0xc0000202);
	assert_int_equal(r.protos[0], 17);
	assert_int_equal(r.ports[0], 1500);
	assert_false(r.sandboxed[0]);
	assert_true(r.sandboxed[1]);
	assert_string_equal(r.platforms[1], "platform3");
	/* what runs is the deployed text (with its enforcer), not the source */
	assert_non_null(strstr(r.clicks[1], "ChangeEnforcer"));
	for (int i = 0; i < r.n; i++) {
		free(r.clicks[i]);
		free(r.platforms[i]);
		free(r.states[i]);
	}
	reg_tenant_release(&t2);
	ctl_close(c);
	uv_run(&loop, UV_RUN_DEFAULT);
	/* the registry is this thread's again: b was decided stateful by ctl_new */
	struct reg_module mb;
	assert_int_equal(reg_module_get(reg, b, &mb), 0);
	assert_true(mb.stateful);
	assert_non_null(strstr(mb.stateful_elements, "\"class\":\"ChangeEnforcer\""));
	reg_module_release(&mb);
	ctl_free(c);
	uv_loop_close(&loop);
	reg_tenant_release(&t);
	snapshot_unref(s);
	free(net);
	reg_close(reg);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* A platform that knows what it holds. */
struct plat {
	int64_t held[16];
	size_t n;
	int installs, removes;
	int64_t removed[16];
};

static int plat_install(void *ud, const struct ctl_deployed *m)
{
	struct plat *p = ud;
	assert_true(p->n < 16);
	p->held[p->n++] = m->id;
	p->installs++;
	return 0;
}

static int plat_remove(void *ud, const struct ctl_deployed *m)
{
	struct plat *p = ud;
	assert_true(p->removes < 16);
	p->removed[p->removes++] = m->id;
	for (size_t i = 0; i < p->n; i++)
		if (p->held[i] == m->id)
			p->held[i] = p->held[--p->n];
	return 0;
}

static bool plat_holds(const struct plat *p, int64_t id)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->held[i] == id)
			return true;
	return false;
}

static json_t *plat_describe(void *ud, int64_t id)
{
	return plat_holds(ud, id) ? json_object() : NULL;
}

static size_t plat_installed(void *ud, int64_t *ids, size_t cap)
{
	struct plat *p = ud;
	for (size_t i = 0; i < p->n && i < cap; i++)
		ids[i] = p->held[i];
	return p->n;
}

static void test_reconcile_and_changes(void **state)
{
	char dir[] = "/tmp/innet-ctl-rec-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char db[128];
	snprintf(db, sizeof db, "%s/innet.db", dir);
	struct registry *reg;
	char err[256];
	assert_int_equal(reg_open(db, &reg, err, sizeof err), 0);
	size_t len;
	char *net = th_read_file(th_example_path("figure3-network.json"), &len);
	assert_non_null(net);
	struct snapshot *s;
	struct diags d;
	diags_init(&d);
	assert_int_equal(snapshot_parse(net, len, &s, &d), 0);
	diags_free(&d);
	char *busy = NULL;
	assert_int_equal(reg_snapshot_put(reg, s, "test", &busy), 0);
	struct reg_tenant t = {.name = strdup("phone"), .kind = REG_KIND_CLIENT, .quota_modules = 10};
	uint8_t hash[REG_HASH_LEN] = {1};
	assert_int_equal(reg_tenant_add(reg, &t, hash), 0);
	int64_t a = add_module(reg, t.id, "a", 0xc0000202, "safe", "FromNetFront -> ToNetFront;");
	int64_t b = add_module(reg, t.id, "b", 0xc0000203, "safe", "FromNetFront -> ToNetFront;");
	int64_t k = add_module(reg, t.id, "k", 0xc0000204, "safe", "FromNetFront -> Discard;");
	assert_int_equal(reg_begin(reg), 0);
	assert_int_equal(reg_module_kill(reg, k), 0);
	assert_int_equal(reg_commit(reg), 0);

	uv_loop_t loop;
	uv_loop_init(&loop);
	struct ctl *c;
	struct ctl_env env = {&loop, reg, no_snapshot, NULL, NULL};
	assert_int_equal(ctl_new(&env, NULL, &c), 0);
	struct plat p = {0};
	struct ctl_platform_ops ops = {.ud = &p, .install = plat_install, .remove = plat_remove,
	                               .describe = plat_describe, .installed = plat_installed};
	assert_int_equal(ctl_set_platform_ops(c, &ops), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(p.installs, 2);
	/* the platform lost a, still holds the killed k and a module whose row
	 * is gone: a reconcile puts it right */
	plat_remove(&p, &(struct ctl_deployed){.id = a});
	p.held[p.n++] = k;
	p.held[p.n++] = 999;
	p.removes = 0;
	assert_int_equal(ctl_reconcile(c), 0);
	assert_int_equal(p.installs, 2); /* (when the rows arrive) */
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(p.installs, 3);
	assert_int_equal(p.removes, 2);
	assert_true(plat_holds(&p, a) && plat_holds(&p, b));
	assert_false(plat_holds(&p, k) || plat_holds(&p, 999));
	assert_int_equal(p.n, 2);
	/* notes from another innetd: b changed, k killed, an unknown id */
	ctl_module_changed(c, b); /* live and held: nothing to do */
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(p.installs, 3);
	assert_int_equal(p.removes, 2);
	p.held[p.n++] = k;
	ctl_module_changed(c, k); /* killed and held: removed */
	ctl_module_changed(c, 12345); /* no such module: nothing */
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(p.removes, 3);
	assert_int_equal(p.removed[2], k);
	plat_remove(&p, &(struct ctl_deployed){.id = b});
	ctl_module_changed(c, b); /* live and missing: installed */
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(p.installs, 4);
	assert_true(plat_holds(&p, b));

	ctl_close(c);
	uv_run(&loop, UV_RUN_DEFAULT);
	ctl_free(c);
	assert_int_equal(uv_loop_close(&loop), 0);
	reg_tenant_release(&t);
	snapshot_unref(s);
	free(net);
	reg_close(reg);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_on_connect),
		cmocka_unit_test(test_reconcile_and_changes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
