/* innetd's platform settings (src/platform.c): what the operator writes in
 * conf/innetd.conf reaches the fast path, and mistakes are refused with a
 * message naming the setting before any device is touched (no root
 * needed: every case here fails before DPDK starts, or runs without it).
 * And the platform's side of stateful modules (docs/stateful.md), over the
 * dummy backend and a real registry: install passes stateful, quotas and
 * the saved state; each suspended state lands in the registry, failures
 * are counted; suspend-all. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "daemon/internal.h"
#include "vm/vm.h"

static void set(struct cfg *c, const char *k, const char *v)
{
	char err[256];
	int rc = cfg_set(c, k, v, err, sizeof err);
	if (rc)
		fail_msg("%s = %s: %s", k, v, err);
}

/* plat_start's result and message for settings k1=v1, k2=v2 ... */
static int start(char *err, size_t n, const char *const *kv)
{
	struct cfg c;
	assert_int_equal(cfg_init(&c), 0);
	for (; kv[0]; kv += 2)
		set(&c, kv[0], kv[1]);
	uv_loop_t loop;
	assert_int_equal(uv_loop_init(&loop), 0);
	struct plat *p = (struct plat *)1;
	err[0] = 0;
	int rc = plat_start(&c, &loop, &p, err, n);
	if (!rc) {
		assert_non_null(p);
		plat_free(p);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	cfg_free(&c);
	return rc;
}

static void test_none_runs_without_fast_path(void **state)
{
	(void)state;
	struct cfg c;
	assert_int_equal(cfg_init(&c), 0);
	assert_string_equal(c.dataplane, "none"); /* a bare innetd needs no privileges */
	uv_loop_t loop;
	assert_int_equal(uv_loop_init(&loop), 0);
	struct plat *p = NULL;
	char err[256] = "";
	assert_int_equal(plat_start(&c, &loop, &p, err, sizeof err), 0);
	assert_non_null(p);
	assert_false(plat_running(p));
	assert_null(plat_module_json(p, 1));
	/* SIGTERM's suspend-all: nothing runs, nothing to suspend */
	plat_set_registry(p, NULL, NULL);
	assert_int_equal(plat_suspend_all(p), 0);
	assert_int_equal(plat_suspend_all(NULL), 0);
	plat_free(p);
	assert_int_equal(uv_loop_close(&loop), 0);
	cfg_free(&c);
}

static void test_port_mistakes(void **state)
{
	(void)state;
	char err[512];
	const char *noport[] = {"dataplane", "af_packet", NULL};
	assert_int_equal(start(err, sizeof err, noport), -EINVAL);
	assert_non_null(strstr(err, "dp-ports: dataplane = af_packet needs at least one port"));
	const char *pcap[] = {"dataplane", "pcap", NULL};
	assert_int_equal(start(err, sizeof err, pcap), -EINVAL);
	assert_non_null(strstr(err, "dp-ports"));
	const char *nine[] = {"dataplane", "af_packet", "dp-ports", "a b c d e f g h i", NULL};
	assert_int_equal(start(err, sizeof err, nine), -EINVAL);
	assert_non_null(strstr(err, "dp-ports: at most 8 ports"));
}

static void test_route_mistakes(void **state)
{
	(void)state;
	char err[512];
	const char *garbage[] = {"dataplane", "tap", "dp-routes", "0.0.0.0/0=0, nonsense", NULL};
	assert_int_equal(start(err, sizeof err, garbage), -EINVAL);
	assert_non_null(strstr(err, "dp-routes: 'nonsense'"));
	const char *port[] = {"dataplane", "af_packet", "dp-ports", "x0 x1", "dp-routes",
	                      "172.16.0.0/16=1@02:00:00:00:00:01 0.0.0.0/0=2", NULL};
	assert_int_equal(start(err, sizeof err, port), -EINVAL);
	assert_non_null(strstr(err, "dp-routes: '0.0.0.0/0=2' names port 2 but there are 2 port(s)"));
	const char *mac[] = {"dataplane", "tap", "dp-routes", "0.0.0.0/0=0@02:00:zz", NULL};
	assert_int_equal(start(err, sizeof err, mac), -EINVAL);
	assert_non_null(strstr(err, "dp-routes: '0.0.0.0/0=0@02:00:zz'"));
}

static void test_settings_are_checked(void **state)
{
	(void)state;
	struct cfg c;
	assert_int_equal(cfg_init(&c), 0);
	char err[256];
	assert_int_not_equal(cfg_set(&c, "dataplane", "dpdk", err, sizeof err), 0);
	assert_int_not_equal(cfg_set(&c, "idle-stop", "soon", err, sizeof err), 0);
	assert_int_not_equal(cfg_set(&c, "dp-lcore", "0", err, sizeof err), 0);
	assert_int_not_equal(cfg_set(&c, "dp-lcores", "0", err, sizeof err), 0);
	assert_int_not_equal(cfg_set(&c, "dp-lcores", "17", err, sizeof err), 0);
	assert_int_equal(cfg_set(&c, "dp-lcores", "2", err, sizeof err), 0);
	assert_int_equal(c.dp_lcores, 2);
	assert_int_not_equal(cfg_set(&c, "backend", "kvm", err, sizeof err), 0);
	assert_int_equal(cfg_set(&c, "idle-stop", "1500ms", err, sizeof err), 0);
	assert_int_equal(c.idle_stop, 1500);
	assert_int_equal(cfg_set(&c, "stateful-quota", "2M", err, sizeof err), 0);
	assert_int_equal(c.stateful_quota, 2 << 20);
	cfg_free(&c);
}

/* A module row to store states for. */
static int64_t stored_module(struct registry *reg)
{
	struct reg_tenant t = {.name = strdup("nat-owner"), .kind = REG_KIND_CLIENT};
	uint8_t hash[REG_HASH_LEN] = {3};
	assert_int_equal(reg_tenant_add(reg, &t, hash), 0);
	struct reg_module m = {.tenant_id = t.id, .name = "nat", .source = "x", .requirements = ""};
	assert_int_equal(reg_begin(reg), 0);
	assert_int_equal(reg_module_insert(reg, &m), 0);
	assert_int_equal(reg_commit(reg), 0);
	free(m.created_at);
	reg_tenant_release(&t);
	return m.id;
}

static void test_stateful_install_and_saved_states(void **state)
{
	(void)state;
	char dir[] = "/tmp/innet-plat-XXXXXX", db[96], err[256];
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof db, "%s/r.db", dir);
	struct registry *reg;
	assert_int_equal(reg_open(db, &reg, err, sizeof err), 0);
	int64_t id = stored_module(reg);
	struct cfg c;
	assert_int_equal(cfg_init(&c), 0);
	uv_loop_t loop;
	assert_int_equal(uv_loop_init(&loop), 0);
	struct plat *p;
	assert_int_equal(plat_start_backend(&c, vm_dummy_new(true), &loop, &p), 0);
	plat_set_registry(p, reg, NULL);

	/* install: the controller's decision and quotas reach the manager */
	struct ctl_platform_ops ops;
	plat_ctl_ops(p, &ops);
	struct ctl_deployed m = {
		.id = id, .tenant_id = 1, .name = "nat", .platform = "platform3", .ip = 0xc0000202,
		.proto = 17, .port = 1500, .click = "FromNetFront -> Queue -> ToNetFront;",
		.stateful = true, .flow_capacity = 100, .mem_quota = 1 << 20, .state = "old", .state_len = 3,
	};
	assert_int_equal(ops.install(ops.ud, &m), 0);
	json_t *j = plat_module_json(p, id);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "stateful")));
	assert_int_equal(json_integer_value(json_object_get(j, "suspends")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "tables")), 0);
	json_decref(j);

	/* each suspend replaces the stored state */
	uint64_t saves, fails;
	plat_on_suspend(p, (uint64_t)id, "first", 5);
	plat_on_suspend(p, (uint64_t)id, "second!", 7);
	struct reg_module_state st;
	assert_int_equal(reg_module_state_get(reg, id, true, &st), 0);
	assert_int_equal(st.len, 7);
	assert_memory_equal(st.state, "second!", 7);
	reg_module_state_release(&st);
	plat_state_stats(p, &saves, &fails);
	assert_int_equal(saves, 2);
	assert_int_equal(fails, 0);
	/* a module that is gone keeps nothing, and that is no failure */
	plat_on_suspend(p, 999, "x", 1);
	plat_state_stats(p, &saves, &fails);
	assert_int_equal(saves, 2);
	assert_int_equal(fails, 0);
	/* a registry that cannot store: logged and counted, nothing else */
	assert_int_equal(sqlite3_exec(reg_db(reg), "DROP TABLE module_state", NULL, NULL, NULL),
	                 SQLITE_OK);
	plat_on_suspend(p, (uint64_t)id, "lost", 4);
	plat_state_stats(p, &saves, &fails);
	assert_int_equal(saves, 2);
	assert_int_equal(fails, 1);

	/* SIGTERM's suspend-all: the dummy has nothing it can suspend */
	assert_true(plat_suspend_all(p) >= 0);
	assert_int_equal(ops.remove(ops.ud, &m), 0);
	plat_free(p);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	cfg_free(&c);
	reg_close(reg);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none_runs_without_fast_path),
		cmocka_unit_test(test_port_mistakes),
		cmocka_unit_test(test_route_mistakes),
		cmocka_unit_test(test_settings_are_checked),
		cmocka_unit_test(test_stateful_install_and_saved_states),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
