/* innetd's platform settings (src/platform.c): what the operator writes in
 * conf/innetd.conf reaches the fast path, and mistakes are refused with a
 * message naming the setting before any device is touched (no root
 * needed: every case here fails before DPDK starts, or runs without it). */
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
	plat_set_registry(p, NULL);
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
	assert_int_not_equal(cfg_set(&c, "backend", "kvm", err, sizeof err), 0);
	assert_int_equal(cfg_set(&c, "idle-stop", "1500ms", err, sizeof err), 0);
	assert_int_equal(c.idle_stop, 1500);
	assert_int_equal(cfg_set(&c, "stateful-quota", "2M", err, sizeof err), 0);
	assert_int_equal(c.stateful_quota, 2 << 20);
	cfg_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none_runs_without_fast_path),
		cmocka_unit_test(test_port_mistakes),
		cmocka_unit_test(test_route_mistakes),
		cmocka_unit_test(test_settings_are_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
