/* Scheduling checks (docs/architecture.md, "Scheduling checks and
 * deploys"), on the controller alone with one worker so that the order is
 * deterministic: a tenant that queues behind another's many jobs is served
 * next, tenants take turns, a tenant's jobs in flight are bounded (429
 * too_many_requests with Retry-After), and a job whose caller has gone is
 * answered 503 without being run. Deploys commit on the registry thread
 * once. The loop runs until the answers came (the registry's reads and
 * commits answer through it). */
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

#define MAXREQ 16

struct call {
	int tag;        /* who asked: 'A' or 'B', and a number */
	int n;
	bool gone;
	int status;
	char code[32];
	unsigned retry_after;
};

struct log {
	int n;
	struct call *order[MAXREQ]; /* in the order answered */
};

static struct log answered;

static void on_done(void *ud, const struct ctl_answer *a)
{
	struct call *c = ud;
	c->status = a->status;
	snprintf(c->code, sizeof c->code, "%s", a->code ? a->code : "");
	c->retry_after = a->retry_after;
	answered.order[answered.n++] = c;
}

static bool is_gone(void *ud)
{
	return ((struct call *)ud)->gone;
}

static struct snapshot *snap;

static struct snapshot *current(void *ud)
{
	snapshot_ref(snap);
	return snap;
}

struct fx {
	char dir[64];
	struct registry *reg;
	int64_t a, b;
	json_t *req;
	uv_loop_t loop;
	struct ctl *c;
};

static int64_t add_tenant(struct registry *reg, const char *name, uint8_t h, int64_t inflight)
{
	struct reg_tenant t = {.name = strdup(name), .kind = REG_KIND_CLIENT, .quota_modules = 10,
	                       .quota_inflight = inflight};
	struct inet_prefix p = {0xac100f00, 24};
	t.addresses = malloc(sizeof p);
	t.addresses[0] = p;
	t.naddresses = 1;
	uint8_t hash[REG_HASH_LEN] = {h};
	assert_int_equal(reg_tenant_add(reg, &t, hash), 0);
	int64_t id = t.id;
	reg_tenant_release(&t);
	return id;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/innet-ctl-sched-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	char db[128], err[256];
	snprintf(db, sizeof db, "%s/innet.db", f->dir);
	assert_int_equal(reg_open(db, &f->reg, err, sizeof err), 0);
	size_t len;
	char *net = th_read_file(th_example_path("figure3-network.json"), &len);
	assert_non_null(net);
	struct diags d;
	diags_init(&d);
	assert_int_equal(snapshot_parse(net, len, &snap, &d), 0);
	diags_free(&d);
	free(net);
	char *busy = NULL;
	assert_int_equal(reg_snapshot_put(f->reg, snap, "test", &busy), 0);
	f->a = add_tenant(f->reg, "a", 1, 0);
	f->b = add_tenant(f->reg, "b", 2, 1);
	json_error_t je;
	f->req = json_load_file(th_example_path("figure4-request.json"), 0, &je);
	assert_non_null(f->req);
	uv_loop_init(&f->loop);
	struct ctl_env env = {&f->loop, f->reg, current, NULL, NULL};
	struct ctl_limits lim = {.workers = 1, .tenant_inflight = 4, .tenant_rps = 1000,
	                         .queue_wait_ms = 60000};
	assert_int_equal(ctl_new(&env, &lim, &f->c), 0);
	memset(&answered, 0, sizeof answered);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	ctl_close(f->c);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	ctl_free(f->c);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	json_decref(f->req);
	reg_close(f->reg);
	snapshot_unref(snap);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void check(struct fx *f, int64_t tenant, struct call *c)
{
	struct ctl_caller who = {.tenant_id = tenant, .kind = REG_KIND_CLIENT, .gone = is_gone};
	assert_int_equal(ctl_check(f->c, &who, f->req, on_done, c), 0);
}

/* a's four checks are queued first, then b's: b is served right after the
 * job running when it came, not after all of a's. */
static void test_fair_order(void **state)
{
	struct fx *f = *state;
	struct call ca[4], cb = {.tag = 'B'};
	for (int i = 0; i < 4; i++) {
		ca[i] = (struct call){.tag = 'A', .n = i};
		check(f, f->a, &ca[i]);
	}
	check(f, f->b, &cb);
	assert_int_equal(answered.n, 0); /* (all on the loop: nothing answered yet) */
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(answered.n, 5);
	const int want[5] = {'A', 'B', 'A', 'A', 'A'};
	for (int i = 0; i < 5; i++) {
		assert_int_equal(answered.order[i]->tag, want[i]);
		assert_int_equal(answered.order[i]->status, 200);
	}
	assert_int_equal(answered.order[2]->n, 1); /* a's in order */
	assert_int_equal(answered.order[4]->n, 3);
}

/* Beyond tenant-inflight (a: 4) or its own inflight quota (b: 1): 429
 * too_many_requests with Retry-After, before any job is answered (a's
 * fifth at once: four already wait for a's row; b's second once b's row
 * is read); once the others are answered it may check again. */
static void test_inflight_limit(void **state)
{
	struct fx *f = *state;
	struct call ca[5], cb[2];
	for (int i = 0; i < 5; i++) {
		ca[i] = (struct call){.tag = 'A', .n = i};
		check(f, f->a, &ca[i]);
	}
	for (int i = 0; i < 2; i++) {
		cb[i] = (struct call){.tag = 'B', .n = i};
		check(f, f->b, &cb[i]);
	}
	assert_int_equal(answered.n, 1);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(answered.n, 7);
	assert_ptr_equal(answered.order[0], &ca[4]);
	assert_ptr_equal(answered.order[1], &cb[1]);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(answered.order[i]->status, 429);
		assert_string_equal(answered.order[i]->code, "too_many_requests");
		assert_true(answered.order[i]->retry_after >= 1);
	}
	for (int i = 2; i < 7; i++)
		assert_int_equal(answered.order[i]->status, 200);
	struct call again = {.tag = 'B'};
	check(f, f->b, &again);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(again.status, 200);
}

/* A queued job whose caller has gone is answered 503 without running
 * (the running one is not affected). */
static void test_gone_before_start(void **state)
{
	struct fx *f = *state;
	struct call first = {.tag = 'A'}, left = {.tag = 'B'}, last = {.tag = 'A', .n = 1};
	check(f, f->a, &first);
	check(f, f->b, &left);
	check(f, f->a, &last);
	struct ctl_stats st = {0};
	while (!st.started) { /* first on its worker (the others admitted, queued) */
		uv_run(&f->loop, UV_RUN_ONCE);
		ctl_stats(f->c, &st);
	}
	left.gone = true;
	first.gone = true; /* (already on its worker) */
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(answered.n, 3);
	assert_ptr_equal(answered.order[0], &first);
	assert_int_equal(first.status, 200);
	assert_ptr_equal(answered.order[1], &left);
	assert_int_equal(left.status, 503);
	assert_string_equal(left.code, "busy");
	assert_int_equal(last.status, 200);
}

static void deploy(struct fx *f, int64_t tenant, const char *key, struct call *c)
{
	static const uint8_t hash[REG_HASH_LEN] = {9};
	struct ctl_caller who = {.tenant_id = tenant, .kind = REG_KIND_CLIENT, .idem_key = key,
	                         .idem_hash = key ? hash : NULL};
	assert_int_equal(ctl_deploy(f->c, &who, f->req, on_done, c), 0);
}

/* Two deploys of one name in flight at once: both pass their admission,
 * the registry thread commits the first, the second's commit finds the
 * name taken (409); the first's Idempotency-Key again gets its kept
 * answer, without a second module. */
static void test_deploys_commit_once(void **state)
{
	struct fx *f = *state;
	struct call first = {.tag = 'A'}, second = {.tag = 'A', .n = 1}, again = {.tag = 'A', .n = 2};
	deploy(f, f->a, "k1", &first);
	deploy(f, f->a, NULL, &second);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(answered.n, 2);
	assert_int_equal(first.status, 201);
	assert_int_equal(second.status, 409);
	assert_string_equal(second.code, "name_taken");
	deploy(f, f->a, "k1", &again);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(again.status, 201);
	ctl_close(f->c); /* (the registry is this thread's again) */
	uv_run(&f->loop, UV_RUN_DEFAULT);
	int64_t n = 0;
	assert_int_equal(reg_modules_count_tenant(f->reg, f->a, &n), 0);
	assert_int_equal(n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fair_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inflight_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gone_before_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deploys_commit_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
