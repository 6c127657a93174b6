/* The module manager on the dummy backend: first-packet starts, states,
 * rate limits per tenant and globally, idle stops of stateless modules,
 * suspension of stateful ones, operator stops; the id map; the xen
 * backend's domain configuration. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "innet_build.h"
#include "base/idmap.h"
#include "vm/vm.h"

static const char *CLICK = "FromNetFront() -> IPFilter(allow udp port 1500) -> ToNetFront();";

static struct vm_module_spec spec(uint64_t id, uint64_t tenant, bool stateful)
{
	struct vm_module_spec s = {.id = id, .tenant = tenant, .click = CLICK, .stateful = stateful,
	                           .key = {.addr = 0xc0000200u + (uint32_t)id}};
	return s;
}

static struct vm_mgr *mk(bool sync, double tenant_rate, uint32_t tenant_burst, uint32_t burst)
{
	struct vm_config c;
	vm_config_init(&c);
	c.idle_ms = 1000;
	/* rates so low that no token comes back while the test runs */
	c.starts_per_s = 1e-9;
	c.start_burst = burst;
	c.tenant_starts_per_s = tenant_rate;
	c.tenant_burst = tenant_burst;
	struct vm_mgr *m;
	assert_int_equal(vm_mgr_new(&c, vm_dummy_new(sync), &m), 0);
	return m;
}

static void test_first_packet_start_and_idle_stop(void **state)
{
	(void)state;
	struct vm_mgr *m = mk(false, 1e-9, 10, 100);
	struct vm_backend *be = vm_mgr_backend(m);
	struct diags d;
	diags_init(&d);
	struct vm_module_spec s = spec(7, 1, false);
	assert_int_equal(vm_deploy(m, &s, &d), 0);
	assert_int_equal(vm_deploy(m, &s, &d), -EEXIST);
	struct vm_module_info in;
	assert_int_equal(vm_module_info(m, 7, &in), 0);
	assert_int_equal(in.state, VM_DEPLOYED);
	assert_string_equal(vm_state_name(in.state), "deployed");

	uint64_t t = dp_now_ns();
	vm_dummy_packet(be, 7, t);
	assert_int_equal(vm_module_info(m, 7, &in), 0);
	assert_int_equal(in.state, VM_STARTING);
	struct vm_dummy_counts c;
	vm_dummy_counts(be, &c);
	assert_int_equal(c.starts, 1);
	assert_int_equal(c.pending_starts, 1);
	/* more packets while starting start nothing more */
	vm_dummy_packet(be, 7, t);
	vm_dummy_counts(be, &c);
	assert_int_equal(c.starts, 1);

	vm_dummy_complete(be, 0);
	assert_int_equal(vm_module_info(m, 7, &in), 0);
	assert_int_equal(in.state, VM_RUNNING);
	assert_int_equal(in.starts, 1);
	assert_true(in.last_start_ns > 0);

	/* traffic keeps it running; silence for idle_ms stops it */
	uint64_t last = dp_now_ns();
	vm_dummy_packet(be, 7, last);
	vm_mgr_tick(m, last + 500000000ull);
	assert_int_equal(vm_module_info(m, 7, &in), 0);
	assert_int_equal(in.state, VM_RUNNING);
	vm_mgr_tick(m, last + 1000000000ull);
	assert_int_equal(vm_module_info(m, 7, &in), 0);
	assert_int_equal(in.state, VM_DEPLOYED);
	assert_int_equal(in.stops, 1);
	struct vm_mgr_stats st;
	vm_mgr_stats(m, &st);
	assert_int_equal(st.idle_stops, 1);
	assert_int_equal(st.running, 0);

	/* and it starts again on the next flow */
	vm_dummy_packet(be, 7, dp_now_ns());
	vm_dummy_complete(be, 0);
	assert_int_equal(vm_module_info(m, 7, &in), 0);
	assert_int_equal(in.state, VM_RUNNING);
	assert_int_equal(in.starts, 2);

	assert_int_equal(vm_remove(m, 7), 0);
	assert_int_equal(vm_module_info(m, 7, &in), -ENOENT);
	vm_dummy_counts(be, &c);
	assert_int_equal(c.destroys, 1);
	vm_mgr_free(m);
	diags_free(&d);
}

static void test_failed_start_returns_to_deployed(void **state)
{
	(void)state;
	struct vm_mgr *m = mk(false, 1e-9, 10, 100);
	struct vm_backend *be = vm_mgr_backend(m);
	struct diags d;
	diags_init(&d);
	struct vm_module_spec s = spec(1, 1, false);
	assert_int_equal(vm_deploy(m, &s, &d), 0);
	vm_dummy_packet(be, 1, dp_now_ns());
	vm_dummy_complete(be, -ENOMEM);
	struct vm_module_info in;
	assert_int_equal(vm_module_info(m, 1, &in), 0);
	assert_int_equal(in.state, VM_DEPLOYED);
	assert_int_equal(in.failed_starts, 1);
	assert_int_equal(in.starts, 0);
	/* a bad configuration is refused at deploy with a diagnostic */
	struct vm_module_spec bad = spec(2, 1, false);
	bad.click = "";
	assert_int_equal(vm_deploy(m, &bad, &d), -EINVAL);
	assert_true(d.nerrors > 0);
	vm_mgr_free(m);
	diags_free(&d);
}

static void test_rate_limits(void **state)
{
	(void)state;
	/* tenant bucket 2, global bucket 3 */
	struct vm_mgr *m = mk(true, 1e-9, 2, 3);
	struct vm_backend *be = vm_mgr_backend(m);
	struct diags d;
	diags_init(&d);
	for (uint64_t id = 1; id <= 6; id++) {
		struct vm_module_spec s = spec(id, id <= 4 ? 100 : 200, false);
		assert_int_equal(vm_deploy(m, &s, &d), 0);
	}
	uint64_t t = dp_now_ns();
	for (uint64_t id = 1; id <= 6; id++)
		vm_dummy_packet(be, id, t);
	struct vm_module_info in;
	enum vm_state want[7] = {0, VM_RUNNING, VM_RUNNING, VM_DEPLOYED, VM_DEPLOYED,
	                         VM_RUNNING, VM_DEPLOYED};
	for (uint64_t id = 1; id <= 6; id++) {
		assert_int_equal(vm_module_info(m, id, &in), 0);
		assert_int_equal(in.state, want[id]);
	}
	/* 3 and 4: over tenant 100's limit; 6: over the global one */
	struct vm_mgr_stats st;
	vm_mgr_stats(m, &st);
	assert_int_equal(st.starts, 3);
	assert_int_equal(st.refused_starts, 3);
	assert_int_equal(vm_module_info(m, 3, &in), 0);
	assert_int_equal(in.refused_starts, 1);
	/* a refused start let the held packets go (stop) */
	struct vm_dummy_counts c;
	vm_dummy_counts(be, &c);
	assert_int_equal(c.stops, 3);
	/* the operator can still start one by hand */
	assert_int_equal(vm_start(m, 3), 0);
	assert_int_equal(vm_module_info(m, 3, &in), 0);
	assert_int_equal(in.state, VM_RUNNING);
	assert_int_equal(vm_start(m, 3), -EALREADY);
	vm_mgr_free(m);
	diags_free(&d);
}

static void test_stateful_suspended_and_operator_stop(void **state)
{
	(void)state;
	struct vm_mgr *m = mk(true, 1e-9, 10, 100);
	struct vm_backend *be = vm_mgr_backend(m);
	struct diags d;
	diags_init(&d);
	struct vm_module_spec s = spec(5, 1, true);
	assert_int_equal(vm_deploy(m, &s, &d), 0);
	uint64_t t = dp_now_ns();
	vm_dummy_packet(be, 5, t);
	struct vm_module_info in;
	assert_int_equal(vm_module_info(m, 5, &in), 0);
	assert_int_equal(in.state, VM_RUNNING);
	assert_true(in.stateful);
	vm_mgr_tick(m, t + 5000000000ull);
	assert_int_equal(vm_module_info(m, 5, &in), 0);
	assert_int_equal(in.state, VM_SUSPENDED); /* never stopped: state kept */
	struct vm_dummy_counts c;
	vm_dummy_counts(be, &c);
	assert_int_equal(c.suspends, 1);
	assert_int_equal(c.stops, 0);
	/* its next packet (of any kind) resumes it */
	vm_dummy_packet(be, 5, t + 6000000000ull);
	assert_int_equal(vm_start(m, 5), -EALREADY);
	assert_int_equal(vm_module_info(m, 5, &in), 0);
	assert_int_equal(in.state, VM_RUNNING);
	assert_int_equal(in.suspends, 1);
	assert_int_equal(in.resumes, 1);
	vm_dummy_counts(be, &c);
	assert_int_equal(c.resumes, 1);

	/* operator stop with hold_off: first packets do not start it */
	assert_int_equal(vm_stop(m, 5, true), 0);
	assert_int_equal(vm_module_info(m, 5, &in), 0);
	assert_int_equal(in.state, VM_STOPPED);
	vm_dummy_packet(be, 5, dp_now_ns());
	assert_int_equal(vm_module_info(m, 5, &in), 0);
	assert_int_equal(in.state, VM_STOPPED);
	assert_int_equal(vm_start(m, 5), 0);
	assert_int_equal(vm_module_info(m, 5, &in), 0);
	assert_int_equal(in.state, VM_RUNNING);
	vm_mgr_free(m);
	diags_free(&d);
}

/* What on_suspend was handed. */
struct saved {
	int calls;
	uint64_t id;
	char state[64];
	size_t len;
};

static void on_suspend(void *arg, uint64_t id, const void *state, size_t len)
{
	struct saved *sv = arg;
	sv->calls++;
	sv->id = id;
	sv->len = len < sizeof sv->state ? len : sizeof sv->state;
	memcpy(sv->state, state, sv->len);
}

static struct vm_mgr *mk_saving(struct saved *sv)
{
	struct vm_config c;
	vm_config_init(&c);
	c.idle_ms = 1000;
	c.on_suspend = on_suspend;
	c.on_suspend_arg = sv;
	struct vm_mgr *m;
	assert_int_equal(vm_mgr_new(&c, vm_dummy_new(true), &m), 0);
	return m;
}

/* vm_suspend and vm_suspend_all: only running stateful modules; every
 * state reaches on_suspend; the counters and the tables. */
static void test_suspend_calls_and_counters(void **state)
{
	(void)state;
	struct saved sv = {0};
	struct vm_mgr *m = mk_saving(&sv);
	struct vm_backend *be = vm_mgr_backend(m);
	struct diags d;
	diags_init(&d);
	for (uint64_t id = 1; id <= 4; id++) {
		struct vm_module_spec s = spec(id, 1, id != 4);
		assert_int_equal(vm_deploy(m, &s, &d), 0);
	}
	assert_int_equal(vm_suspend(m, 99), -ENOENT);
	assert_int_equal(vm_suspend(m, 1), -EALREADY); /* not running */
	for (uint64_t id = 1; id <= 4; id++)
		vm_dummy_packet(be, id, dp_now_ns());
	assert_int_equal(vm_suspend(m, 4), -ENOTSUP);  /* stateless */
	assert_int_equal(vm_suspend(m, 1), 0);
	assert_int_equal(sv.calls, 1);
	assert_int_equal(sv.id, 1);
	assert_int_equal(sv.len, 7);
	assert_memory_equal(sv.state, "dummy:1", 7);
	assert_int_equal(vm_suspend(m, 1), -EALREADY);
	struct vm_module_info in;
	assert_int_equal(vm_module_info(m, 1, &in), 0);
	assert_int_equal(in.state, VM_SUSPENDED);
	assert_int_equal(in.suspends, 1);
	assert_int_equal(in.state_bytes, 7);
	/* SIGTERM: the two other stateful modules; the stateless one runs on */
	assert_int_equal(vm_suspend_all(m), 2);
	assert_int_equal(sv.calls, 3);
	struct vm_mgr_stats st;
	vm_mgr_stats(m, &st);
	assert_int_equal(st.suspended, 3);
	assert_int_equal(st.suspends, 3);
	assert_int_equal(st.running, 1);
	assert_int_equal(vm_suspend_all(m), 0);
	/* a packet resumes one; its tables come from the backend */
	vm_dummy_packet(be, 2, dp_now_ns());
	assert_int_equal(vm_module_info(m, 2, &in), 0);
	assert_int_equal(in.state, VM_RUNNING);
	assert_int_equal(in.resumes, 1);
	assert_int_equal(in.load_failures, 0);
	vm_mgr_stats(m, &st);
	assert_int_equal(st.suspended, 2);
	assert_int_equal(st.resumes, 1);
	struct vm_table_info t[4];
	assert_int_equal(vm_module_tables(m, 2, t, 4), 1);
	assert_string_equal(t[0].elem, "dummy");
	assert_int_equal(t[0].entries, 2);
	assert_int_equal(vm_module_tables(m, 99, t, 4), -ENOENT);
	/* the operator stops a suspended module: its state is dropped */
	assert_int_equal(vm_stop(m, 3, false), 0);
	vm_mgr_stats(m, &st);
	assert_int_equal(st.suspended, 1);
	vm_mgr_free(m);
	diags_free(&d);
}

/* Deployed with a saved state: suspended until its first packet of any
 * kind; a state that does not load starts fresh and is counted. */
static void test_deploy_with_saved_state(void **state)
{
	(void)state;
	struct saved sv = {0};
	struct vm_mgr *m = mk_saving(&sv);
	struct vm_backend *be = vm_mgr_backend(m);
	struct diags d;
	diags_init(&d);
	struct vm_module_spec s = spec(8, 1, true);
	s.state = "dummy:8";
	s.state_len = 7;
	assert_int_equal(vm_deploy(m, &s, &d), 0);
	struct vm_module_spec s2 = spec(9, 1, true);
	s2.state = "garbage";
	s2.state_len = 7;
	assert_int_equal(vm_deploy(m, &s2, &d), 0);
	struct vm_dummy_counts c;
	vm_dummy_counts(be, &c);
	assert_int_equal(c.created_suspended, 2);
	struct vm_module_info in;
	assert_int_equal(vm_module_info(m, 8, &in), 0);
	assert_int_equal(in.state, VM_SUSPENDED);
	assert_int_equal(in.state_bytes, 7);
	vm_dummy_packet(be, 8, dp_now_ns());
	vm_dummy_packet(be, 9, dp_now_ns());
	assert_int_equal(vm_module_info(m, 8, &in), 0);
	assert_int_equal(in.state, VM_RUNNING);
	assert_int_equal(in.resumes, 1);
	assert_int_equal(in.starts, 0); /* a resume, not a start: no rate limit */
	assert_int_equal(in.load_failures, 0);
	assert_int_equal(vm_module_info(m, 9, &in), 0);
	assert_int_equal(in.state, VM_RUNNING);
	assert_int_equal(in.load_failures, 1);
	struct vm_mgr_stats st;
	vm_mgr_stats(m, &st);
	assert_int_equal(st.load_failures, 1);
	assert_int_equal(st.suspended, 0);
	vm_mgr_free(m);
	diags_free(&d);
}

/* A backend gives up on a module's program (VM_NOTE_FAILED): the module is
 * failed, new flows do not start it, vm_start does; a program on a
 * backend that cannot run one is refused at deploy. */
static void test_failed_module(void **state)
{
	(void)state;
	struct vm_mgr *m = mk(true, 1e9, 100, 100);
	struct vm_backend *be = vm_mgr_backend(m);
	struct diags d;
	diags_init(&d);
	struct vm_module_spec s = spec(3, 1, false);
	assert_int_equal(vm_deploy(m, &s, &d), 0);
	vm_dummy_packet(be, 3, dp_now_ns());
	struct vm_module_info in;
	assert_int_equal(vm_module_info(m, 3, &in), 0);
	assert_int_equal(in.state, VM_RUNNING);
	vm_mgr_notify(m, 3, VM_NOTE_FAILED, -ENOMEM, NULL);
	assert_int_equal(vm_module_info(m, 3, &in), 0);
	assert_int_equal(in.state, VM_FAILED);
	assert_string_equal(vm_state_name(in.state), "failed");
	assert_int_equal(in.failures, 1);
	assert_int_equal(in.last_failure, -ENOMEM);
	struct vm_mgr_stats st;
	vm_mgr_stats(m, &st);
	assert_int_equal(st.running, 0);
	struct vm_dummy_counts c;
	vm_dummy_counts(be, &c);
	uint32_t starts = c.starts, stops = c.stops;
	/* the fast path's next first packet (the backend stopped the module
	 * before reporting): held packets dropped, not started */
	vm_mgr_notify(m, 3, VM_NOTE_NEW_FLOW, 0, NULL);
	vm_dummy_counts(be, &c);
	assert_int_equal(c.starts, starts);
	assert_int_equal(c.stops, stops + 1);
	assert_int_equal(vm_start(m, 3), 0);
	assert_int_equal(vm_module_info(m, 3, &in), 0);
	assert_int_equal(in.state, VM_RUNNING);
	/* a failure of a module that is not running changes nothing */
	assert_int_equal(vm_stop(m, 3, true), 0);
	vm_mgr_notify(m, 3, VM_NOTE_FAILED, -ECHILD, NULL);
	assert_int_equal(vm_module_info(m, 3, &in), 0);
	assert_int_equal(in.state, VM_STOPPED);
	assert_int_equal(in.failures, 1);

	static const char *const argv[] = {"nginx", NULL};
	struct vm_process_spec ps = {.argv = argv};
	struct vm_module_spec p = spec(4, 1, false);
	p.process = &ps;
	assert_int_equal(vm_deploy(m, &p, &d), -ENOTSUP);
	assert_true(d.n > 0);
	struct vm_process_info pi;
	assert_int_equal(vm_module_process(m, 3, &pi), -ENOTSUP);
	char buf[8];
	size_t len;
	assert_int_equal(vm_module_log(m, 3, buf, sizeof buf, &len), -ENOTSUP);
	assert_int_equal(vm_module_log(m, 99, buf, sizeof buf, &len), -ENOENT);
	diags_free(&d);
	vm_mgr_free(m);
}

static void test_idmap_against_reference(void **state)
{
	(void)state;
	struct idmap m = {0};
	enum { N = 2000 };
	static void *ref[N];
	memset(ref, 0, sizeof ref);
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		uint64_t k = x % N;
		if ((x >> 32) % 3 == 0) {
			void *v = idmap_del(&m, k * 0x100000001ull);
			assert_ptr_equal(v, ref[k]);
			ref[k] = NULL;
		} else {
			void *v = (void *)(uintptr_t)(i + 1);
			assert_int_equal(idmap_put(&m, k * 0x100000001ull, v), 0);
			ref[k] = v;
		}
		uint64_t q = (x >> 20) % N;
		assert_ptr_equal(idmap_get(&m, q * 0x100000001ull), ref[q]);
	}
	size_t n = 0, it = 0;
	while (idmap_next(&m, &it, NULL))
		n++;
	size_t want = 0;
	for (int i = 0; i < N; i++)
		want += ref[i] != NULL;
	assert_int_equal(n, want);
	assert_int_equal(m.n, want);
	idmap_free(&m);
}

static void test_xen_domain_config(void **state)
{
	(void)state;
	struct vm_module_spec s = spec(42, 3, false);
	s.key.proto = 17;
	s.key.port = 1500;
	char err[256] = "";
	assert_null(vm_xen_domain_config(&s, NULL, err, sizeof err));
	assert_non_null(strstr(err, "no ClickOS image"));
	char *cfg = vm_xen_domain_config(&s, "/boot/clickos_x86_64", err, sizeof err);
	assert_non_null(cfg);
	assert_non_null(strstr(cfg, "name = \"innet-42\"\n"));
	assert_non_null(strstr(cfg, "kernel = \"/boot/clickos_x86_64\"\n"));
	assert_non_null(strstr(cfg, "memory = 8\n"));
	assert_non_null(strstr(cfg, "type = \"pv\"\n"));
	assert_non_null(strstr(cfg, "serves 192.0.2.42 proto 17 port 1500"));
	free(cfg);
	s.image = "/x\"y";
	assert_null(vm_xen_domain_config(&s, NULL, err, sizeof err));
	assert_non_null(strstr(err, "cannot quote"));
	s.image = NULL;
	s.memory_mb = 16;
	char *json = vm_xen_libxl_json(&s, "/boot/clickos_x86_64", err, sizeof err);
#if INNET_HAVE_XEN
	assert_non_null(json);
	assert_non_null(strstr(json, "\"innet-42\""));
	assert_non_null(strstr(json, "\"/boot/clickos_x86_64\""));
	assert_non_null(strstr(json, "16384")); /* max_memkb */
	assert_non_null(strstr(json, "\"innet0\""));
	free(json);
#else
	assert_null(json);
	assert_non_null(strstr(err, "without libxl"));
#endif
	/* Without a hypervisor (here) the backend refuses with a reason. */
	struct vm_backend *be = NULL;
	err[0] = 0;
	int r = vm_xen_new(&be, err, sizeof err);
	if (r < 0) {
		assert_true(r == -ENODEV || r == -ENOTSUP);
		assert_null(be);
		assert_true(strlen(err) > 10);
	} else {
		be->ops->free(be);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_packet_start_and_idle_stop),
		cmocka_unit_test(test_failed_start_returns_to_deployed),
		cmocka_unit_test(test_rate_limits),
		cmocka_unit_test(test_stateful_suspended_and_operator_stop),
		cmocka_unit_test(test_suspend_calls_and_counters),
		cmocka_unit_test(test_deploy_with_saved_state),
		cmocka_unit_test(test_failed_module),
		cmocka_unit_test(test_idmap_against_reference),
		cmocka_unit_test(test_xen_domain_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
