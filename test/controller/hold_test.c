/* A suspended tenant's modules on the platform (docs/operator.md): held
 * when the fast path connects (a restart while suspended), released and
 * held again by ctl_tenant_hold, removed by ctl_tenant_killed after
 * ctl_modules_kill; the other tenant's module is left alone. A recording
 * dummy stands in for the fast path. The registry's statements run on its
 * thread (ctl_registry_submit) once the controller is made. */
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
	int installs, removes;
	int64_t held[8];  /* module id -> 1 held, 0 released (by index of call) */
	int nheld;
	int64_t removed[8];
	bool hold[8];
	char last_state[16]; /* the saved state the last install got */
};

static int rec_install(void *ud, const struct ctl_deployed *m)
{
	struct rec *r = ud;
	r->installs++;
	snprintf(r->last_state, sizeof r->last_state, "%.*s", (int)m->state_len,
	         m->state ? (const char *)m->state : "");
	return 0;
}

static int rec_remove(void *ud, const struct ctl_deployed *m)
{
	struct rec *r = ud;
	assert_true(r->removes < 8);
	r->removed[r->removes++] = m->id;
	return 0;
}

static int rec_hold(void *ud, int64_t id, bool hold)
{
	struct rec *r = ud;
	assert_true(r->nheld < 8);
	r->held[r->nheld] = id;
	r->hold[r->nheld++] = hold;
	return 0;
}

static int64_t add_module(struct registry *reg, int64_t tenant, const char *name, uint32_t ip)
{
	struct reg_module m = {
		.tenant_id = tenant, .name = (char *)name, .source = "FromNetFront -> ToNetFront;",
		.requirements = "", .verdict = "safe", .platform = "platform3", .ip = ip,
		.report = "{\"verdict\":\"safe\",\"deployed_config\":\"FromNetFront -> ToNetFront;\"}",
	};
	assert_int_equal(reg_begin(reg), 0);
	assert_int_equal(reg_module_insert(reg, &m), 0);
	assert_int_equal(reg_commit(reg), 0);
	free(m.created_at);
	return m.id;
}

static struct snapshot *no_snapshot(void *ud)
{
	return NULL;
}

static int64_t add_tenant(struct registry *reg, const char *name, uint8_t h)
{
	struct reg_tenant t = {.name = strdup(name), .kind = REG_KIND_CLIENT, .quota_modules = 10};
	uint8_t hash[REG_HASH_LEN] = {h};
	assert_int_equal(reg_tenant_add(reg, &t, hash), 0);
	int64_t id = t.id;
	reg_tenant_release(&t);
	return id;
}

/* Run fn(r, arg) on the registry thread and wait for it (the loop runs). */
struct onreg {
	int (*fn)(struct registry *r, void *arg);
	void *arg;
	int rc;
	bool done;
};

static int onreg_work(struct registry *r, void *arg)
{
	struct onreg *o = arg;
	return o->fn(r, o->arg);
}

static void onreg_done(void *arg, int rc)
{
	struct onreg *o = arg;
	o->rc = rc;
	o->done = true;
}

static int on_registry(struct ctl *c, uv_loop_t *loop, int (*fn)(struct registry *r, void *arg),
                       void *arg)
{
	struct onreg o = {fn, arg, 0, false};
	assert_int_equal(ctl_registry_submit(c, onreg_work, onreg_done, &o), 0);
	while (!o.done)
		uv_run(loop, UV_RUN_ONCE);
	return o.rc;
}

struct step {
	int64_t tenant, module, other;
	bool flag;
	struct ctl_modules m;
	int64_t n;
};

/* b stateful with a state saved, its tenant resumed */
static int resume_with_state(struct registry *reg, void *arg)
{
	struct step *st = arg;
	char sql[128];
	snprintf(sql, sizeof sql, "UPDATE modules SET stateful = 1 WHERE id = %lld", (long long)st->module);
	assert_int_equal(sqlite3_exec(reg_db(reg), sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(reg_module_state_put(reg, st->module, "saved", 5), 0);
	return reg_tenant_set_suspended(reg, st->tenant, false);
}

static int read_modules(struct registry *reg, void *arg)
{
	struct step *st = arg;
	return ctl_modules_read(reg, st->tenant, st->flag ? 0 : CTL_MODULES_STATES, &st->m);
}

static int kill_modules(struct registry *reg, void *arg)
{
	struct step *st = arg;
	int rc = reg_begin(reg);
	if (!rc && !(rc = ctl_modules_kill(reg, st->tenant, &st->m)) && (rc = reg_commit(reg)))
		ctl_modules_release(&st->m);
	return rc;
}

static int delete_and_count(struct registry *reg, void *arg)
{
	struct step *st = arg;
	assert_int_equal(reg_tenant_delete(reg, st->tenant), 0);
	return reg_modules_count_tenant(reg, st->other, &st->n);
}

/* hold (st->flag) or release st->tenant's modules as the API does */
static int hold(struct ctl *c, uv_loop_t *loop, struct step *st)
{
	assert_int_equal(on_registry(c, loop, read_modules, st), 0);
	int n = ctl_tenant_hold(c, st->tenant, st->flag, &st->m);
	ctl_modules_release(&st->m);
	return n;
}

static int kill_all(struct ctl *c, uv_loop_t *loop, struct step *st, json_t **ids)
{
	assert_int_equal(on_registry(c, loop, kill_modules, st), 0);
	int n = ctl_tenant_killed(c, st->tenant, &st->m, ids);
	ctl_modules_release(&st->m);
	return n;
}

static void test_hold_release_kill(void **state)
{
	char dir[] = "/tmp/innet-ctl-hold-XXXXXX";
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
	assert_int_equal(snapshot_check_capacity(s, &d), 0);
	diags_free(&d);
	char *busy = NULL;
	assert_int_equal(reg_snapshot_put(reg, s, "test", &busy), 0);

	int64_t bad = add_tenant(reg, "abuser", 1), good = add_tenant(reg, "other", 2);
	int64_t a = add_module(reg, bad, "a", 0xc0000202);
	int64_t b = add_module(reg, bad, "b", 0xc0000203);
	int64_t g = add_module(reg, good, "g", 0xc0000204);
	assert_int_equal(reg_tenant_set_suspended(reg, bad, true), 0);
	assert_int_equal(reg_tenant_set_suspended(reg, 999, true), -ENOENT);

	uv_loop_t loop;
	uv_loop_init(&loop);
	struct ctl *c;
	struct ctl_env env = {&loop, reg, no_snapshot, NULL, NULL};
	assert_int_equal(ctl_new(&env, NULL, &c), 0);
	struct rec r = {0};
	struct ctl_platform_ops ops = {.ud = &r, .install = rec_install, .remove = rec_remove,
	                               .hold = rec_hold};
	/* connecting (a restart): all installed, the suspended tenant's held */
	assert_int_equal(ctl_set_platform_ops(c, &ops), 0);
	assert_int_equal(r.installs, 0); /* (when the rows arrive) */
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(r.installs, 3);
	assert_int_equal(r.nheld, 2);
	assert_int_equal(r.held[0], a);
	assert_int_equal(r.held[1], b);
	assert_true(r.hold[0] && r.hold[1]);
	/* resume: released; b, stateful with a state saved in the registry,
	 * is installed again with it instead */
	struct step st = {.tenant = bad, .module = b};
	assert_int_equal(on_registry(c, &loop, resume_with_state, &st), 0);
	assert_int_equal(hold(c, &loop, &st), 2);
	assert_int_equal(r.nheld, 3);
	assert_int_equal(r.held[2], a);
	assert_false(r.hold[2]);
	assert_int_equal(r.removes, 1);
	assert_int_equal(r.removed[0], b);
	assert_int_equal(r.installs, 4);
	assert_string_equal(r.last_state, "saved");
	r.removes = 0;
	r.nheld = 4;
	st = (struct step){.tenant = good, .flag = true};
	assert_int_equal(hold(c, &loop, &st), 1);
	assert_int_equal(r.held[4], g);
	/* kill all of one tenant: both off the platform, the other stays */
	json_t *ids = NULL;
	st = (struct step){.tenant = bad};
	assert_int_equal(kill_all(c, &loop, &st, &ids), 2);
	assert_int_equal(json_array_size(ids), 2);
	json_decref(ids);
	assert_int_equal(r.removes, 2);
	assert_int_equal(r.removed[0], a);
	assert_int_equal(r.removed[1], b);
	st = (struct step){.tenant = bad, .other = good, .n = -1};
	assert_int_equal(on_registry(c, &loop, delete_and_count, &st), 0);
	assert_int_equal(st.n, 1);
	st = (struct step){.tenant = bad};
	assert_int_equal(kill_all(c, &loop, &st, NULL), 0);

	ctl_close(c);
	uv_run(&loop, UV_RUN_DEFAULT);
	ctl_free(c);
	uv_loop_close(&loop);
	snapshot_unref(s);
	free(net);
	reg_close(reg);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Registry: suspend stamps once, resume clears, the token and the lists
 * are replaced. */
static void test_registry_controls(void **state)
{
	char dir[] = "/tmp/innet-reg-ctl-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char db[128];
	snprintf(db, sizeof db, "%s/innet.db", dir);
	struct registry *reg;
	char err[256];
	assert_int_equal(reg_open(db, &reg, err, sizeof err), 0);
	int64_t id = add_tenant(reg, "t", 7);
	struct reg_tenant t;
	assert_int_equal(reg_tenant_get(reg, id, &t), 0);
	assert_null(t.suspended_at);
	reg_tenant_release(&t);
	assert_int_equal(reg_tenant_set_suspended(reg, id, true), 0);
	assert_int_equal(reg_tenant_get(reg, id, &t), 0);
	assert_non_null(t.suspended_at);
	char *first = strdup(t.suspended_at);
	reg_tenant_release(&t);
	usleep(2000);
	assert_int_equal(reg_tenant_set_suspended(reg, id, true), 0);
	assert_int_equal(reg_tenant_get(reg, id, &t), 0);
	assert_string_equal(t.suspended_at, first);
	reg_tenant_release(&t);
	free(first);
	uint8_t old[REG_HASH_LEN] = {7}, nw[REG_HASH_LEN] = {8};
	assert_int_equal(reg_tenant_by_token(reg, old, &t), 0);
	assert_non_null(t.suspended_at);
	reg_tenant_release(&t);
	assert_int_equal(reg_tenant_set_suspended(reg, id, false), 0);
	assert_int_equal(reg_tenant_set_token(reg, id, nw), 0);
	assert_int_equal(reg_tenant_by_token(reg, old, &t), -ENOENT);
	assert_int_equal(reg_tenant_by_token(reg, nw, &t), 0);
	assert_null(t.suspended_at);
	/* replace the lists and the quotas */
	struct inet_prefix wl[2] = {{0x0a000000, 8}, {0xc0a80000, 16}};
	free(t.whitelist);
	t.whitelist = malloc(sizeof wl);
	memcpy(t.whitelist, wl, sizeof wl);
	t.nwhitelist = 2;
	t.quota_rps = 9;
	assert_int_equal(reg_tenant_update(reg, &t), 0);
	reg_tenant_release(&t);
	assert_int_equal(reg_tenant_get(reg, id, &t), 0);
	assert_int_equal(t.nwhitelist, 2);
	assert_int_equal(t.whitelist[1].addr, 0xc0a80000);
	assert_int_equal(t.quota_rps, 9);
	assert_int_equal(t.quota_modules, 10);
	t.id = 999;
	assert_int_equal(reg_tenant_update(reg, &t), -ENOENT);
	reg_tenant_release(&t);
	reg_close(reg);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hold_release_kill),
		cmocka_unit_test(test_registry_controls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
