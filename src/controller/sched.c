/* Check and deploy requests: the request into a job (admitted once what
 * it needs of the registry is read), the job's inputs from the current
 * state (read on the registry thread), the verification on the thread
 * pool under a deadline, and what happens when it returns (a check
 * answers; a deploy commits, or is verified again when the state moved on
 * meanwhile). Loop thread, but for the work functions (*_work), which run
 * on the registry thread and read only the job's request. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"
#include "controller/controller.h"

#define NAME_MAX_LEN 64
#define REQS_MAX (64 * 1024)
#define MAX_ROUNDS 64

/* ---- the job's life ---- */

static void job_inputs_release(struct ctl_job *j)
{
	struct ctl *c = j->ctl;
	for (size_t i = 0; i < j->in.ncands; i++) {
		if (j->reserved && j->in.cands[i].platform && !j->in.cands[i].full)
			ctl__unreserve(c, j->in.cands[i].platform, j->in.cands[i].ip);
		free(j->in.cands[i].platform);
	}
	free(j->in.cands);
	j->in.cands = NULL;
	j->in.ncands = 0;
	j->reserved = false;
	ctl__sibs_free(j->in.sibs, j->in.nsibs);
	j->in.sibs = NULL;
	j->in.nsibs = 0;
	free(j->in.allowed);
	j->in.allowed = NULL;
	j->in.nallowed = 0;
	free(j->in.policies);
	j->in.policies = NULL;
	ctl__polcache_unref(j->pc);
	j->pc = NULL;
	j->in.pols = NULL;
	vfy_base_unref(j->in.base);
	j->in.base = NULL;
}

static void job_free(struct ctl_job *j)
{
	ctl__idem_release(j);
	json_decref(j->req);
	free(j->name_hint);
	job_inputs_release(j);
	free(j->in.name);
	free(j->in.click);
	free(j->in.requirements);
	free(j->in.inline_a);
	free(j->in.inline_b);
	free(j->source);
	free(j->stock);
	free(j->params);
	free(j->model);
	free(j->report_text);
	ctl__job_out_release(&j->out);
	free(j);
}

static void on_timer_closed(uv_handle_t *h)
{
	job_free(h->data);
}

/* Free j once its timer handle is closed. */
static void job_release(struct ctl_job *j)
{
	if (j->timer_on) {
		j->timer_on = false;
		uv_close((uv_handle_t *)&j->timer, on_timer_closed);
	} else {
		job_free(j);
	}
}

/* ---- the job's inputs ----
 * Taken when the job goes to a worker (a job that never runs costs
 * nothing): the snapshot's model on the loop, then every registry input
 * in one work function on the registry thread (the tenant's row, the
 * modules of its model, the policies, the platforms and their used
 * addresses), then, back on the loop, the candidates' addresses (which
 * need the reservations) and the worker. */

static void answer_registry_error(struct ctl *c, struct ctl_reply *rp, int rc, const char *what)
{
	if (rc == -ESHUTDOWN)
		ctl__reply_retry(rp, 503, "busy", 1, NULL, "%s: innetd is stopping; try again", what);
	else if (!ctl_registry_available(c))
		ctl__reply_retry(rp, 503, "registry_unavailable", 2, NULL,
		                 "%s: the registry database cannot be reached; try again", what);
	else
		ctl__reply_error(rp, 500, "internal", NULL, "%s: %s", what, strerror(-rc));
}

/* The lowest free address of a platform's pool (not the network, broadcast
 * or platform address, not allocated, not reserved); 0 when none. */
static uint32_t pick_ip(struct ctl *c, const struct reg_platform *p, const uint32_t *used,
                        size_t nused)
{
	struct inet_prefix pool;
	uint32_t paddr = 0;
	if (inet_parse_prefix(p->pool, strlen(p->pool), true, &pool))
		return 0;
	inet_parse_addr(p->address, strlen(p->address), &paddr);
	uint32_t lo = pool.addr, hi = pool.addr | ~inet_mask(pool.len);
	if (pool.len < 31) {
		lo++;
		hi--;
	}
	size_t k = 0;
	for (uint64_t a = lo; a <= hi; a++) {
		while (k < nused && used[k] < a)
			k++;
		if (k < nused && used[k] == a)
			continue;
		if (a == paddr || ctl__reserved(c, p->name, (uint32_t)a))
			continue;
		return (uint32_t)a;
	}
	return 0;
}

/* Does requirement text name module `name` as a node ("name", "name:...")? */
static bool mentions(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = text ? strstr(text, name) : NULL; p; p = strstr(p + 1, name)) {
		bool start = p == text || p[-1] == ' ' || p[-1] == '\t' || p[-1] == '>';
		char e = p[n];
		if (start && (e == '\0' || e == ' ' || e == ':' || e == '\n' || e == '\t' || e == '\r'))
			return true;
	}
	return false;
}

/* Which modules enter the job's model: the operator's inline ones (they
 * sit on paths) and the tenant's addressed ones that its requirements name
 * (the others only receive what is sent to their address; leaving them out
 * keeps a job's cost independent of how many modules the tenant runs).
 * Any thread: reads the job's request only. */
static bool in_model(const struct ctl_job *j, const struct reg_modref *m)
{
	bool own = m->tenant_id == j->tenant_id;
	if (!strcmp(m->name, j->in.name))
		return false; /* the module being placed (or one it replaces by name) */
	if (m->is_inline)
		return true;
	return own && mentions(j->in.requirements, m->name);
}

int ctl__model_changed(struct registry *r, const struct ctl_job *j, bool *changed)
{
	struct reg_modref *mods;
	size_t n;
	int rc = reg_modules_model(r, j->tenant_id, &mods, &n);
	if (rc)
		return rc;
	size_t k = 0;
	*changed = false;
	for (size_t i = 0; i < n && !*changed; i++) {
		if (!in_model(j, &mods[i]))
			continue;
		*changed = k >= j->nmodel || j->model[k] != mods[i].id;
		k++;
	}
	*changed |= k != j->nmodel;
	reg_modrefs_free(mods, n);
	return 0;
}

static int cmp_spare(const void *a, const void *b)
{
	const struct reg_platform *x = a, *y = b;
	int64_t sx = x->capacity - x->modules, sy = y->capacity - y->modules;
	if (sx != sy)
		return sx > sy ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The model of the current network; answers and returns -EINVAL when there
 * is none. */
static int inputs_base(struct ctl_job *j)
{
	struct diags why;
	diags_init(&why);
	int rc = ctl__current_base(j->ctl, &j->in.base, &j->snap_version, &why);
	if (rc == -ENOENT) {
		ctl__reply_error(&j->reply, 409, "no_snapshot", NULL,
		                 "the operator has not loaded a network snapshot yet");
		rc = -EINVAL;
	} else if (rc && rc != -ENOMEM) {
		json_t *errs = json_array();
		for (size_t i = 0; i < why.n; i++)
			json_array_append_new(errs, json_string(why.v[i].msg));
		ctl__reply_error(&j->reply, 500, "network_model", json_pack("{s:o}", "errors", errs),
		                 "the network snapshot cannot be modelled");
		rc = -EINVAL;
	}
	diags_free(&why);
	return rc;
}

/* What the registry thread reads for a job (gather_work), handed to the
 * loop (gather_done). The job is not touched by the loop meanwhile: it is
 * in no queue and has no timer running. */
struct gather {
	struct ctl_job *j;
	struct reg_tenant row;
	int64_t quota;
	struct inet_prefix *allowed;
	size_t nallowed;
	struct ctl_sib *sibs;
	size_t nsibs;
	int64_t *model;
	size_t nmodel;
	char *policies;
	struct reg_platform *pv; /* most spare capacity first */
	size_t np;
	uint32_t **used;         /* per platform: its modules' addresses */
	size_t *nused;
};

static void gather_free(struct gather *g)
{
	reg_tenant_release(&g->row);
	free(g->allowed);
	ctl__sibs_free(g->sibs, g->nsibs);
	free(g->model);
	free(g->policies);
	for (size_t i = 0; g->used && i < g->np; i++)
		free(g->used[i]);
	free(g->used);
	free(g->nused);
	reg_platforms_free(g->pv, g->np);
	free(g);
}

/* Registry thread: module m into the model as a sibling. */
static int add_sib(struct registry *r, struct gather *g, const struct reg_modref *m)
{
	struct reg_module full;
	int rc = reg_module_get(r, m->id, &full);
	if (rc)
		return rc;
	rc = ctl__mod_sib(&full, &g->sibs[g->nsibs++]);
	reg_module_release(&full);
	if (!rc)
		g->model[g->nmodel++] = m->id;
	return rc;
}

/* Registry thread: the tenant's row (its quota, its prefixes and
 * whitelist), the destinations its modules may reach (those and its other
 * modules) and the modules that stay in the model: its own and the
 * operator's inline ones (other tenants' modules are addressed: nothing
 * reaches them unless sent to their address, and no statement may name
 * them). */
static int gather_tenant(struct registry *r, struct gather *g)
{
	const struct ctl_job *j = g->j;
	struct reg_modref *mods = NULL;
	size_t nmods = 0;
	int rc = reg_tenant_get(r, j->tenant_id, &g->row);
	if (rc)
		return rc;
	g->quota = g->row.quota_modules;
	if ((rc = reg_modules_model(r, j->tenant_id, &mods, &nmods)))
		return rc;
	const struct reg_tenant *t = &g->row;
	g->sibs = calloc(nmods + 1, sizeof *g->sibs);
	g->allowed = calloc(t->naddresses + t->nwhitelist + nmods + 1, sizeof *g->allowed);
	g->model = calloc(nmods + 1, sizeof *g->model);
	if (!g->sibs || !g->allowed || !g->model)
		rc = -ENOMEM;
	for (size_t i = 0; i < t->naddresses && !rc; i++)
		g->allowed[g->nallowed++] = t->addresses[i];
	for (size_t i = 0; i < t->nwhitelist && !rc; i++)
		g->allowed[g->nallowed++] = t->whitelist[i];
	for (size_t i = 0; i < nmods && !rc; i++) {
		if (mods[i].tenant_id == j->tenant_id && !mods[i].is_inline)
			g->allowed[g->nallowed++] = (struct inet_prefix){mods[i].ip, 32};
		if (in_model(j, &mods[i]))
			rc = add_sib(r, g, &mods[i]);
	}
	reg_modrefs_free(mods, nmods);
	return rc;
}

/* Registry thread: every platform of the snapshot with its used
 * addresses (an inline module has none to choose from). */
static int gather_platforms(struct registry *r, struct gather *g)
{
	if (g->j->in.inline_a)
		return 0;
	int rc = reg_platform_list(r, &g->pv, &g->np);
	if (rc)
		return rc;
	qsort(g->pv, g->np, sizeof *g->pv, cmp_spare);
	g->used = calloc(g->np + 1, sizeof *g->used);
	g->nused = calloc(g->np + 1, sizeof *g->nused);
	if (!g->used || !g->nused)
		return -ENOMEM;
	for (size_t i = 0; i < g->np && !rc; i++)
		rc = reg_platform_ips(r, g->pv[i].name, &g->used[i], &g->nused[i]);
	return rc;
}

static int gather_work(struct registry *r, void *arg)
{
	struct gather *g = arg;
	int rc = gather_tenant(r, g);
	if (!rc)
		rc = ctl__policies_read(r, &g->policies);
	if (!rc)
		rc = gather_platforms(r, g);
	return rc;
}

/* The tenant's part and the policies (parsed once for all jobs) into the
 * job. */
static void inputs_take(struct ctl_job *j, struct gather *g)
{
	j->quota = g->quota;
	j->in.allowed = g->allowed;
	j->in.nallowed = g->nallowed;
	j->in.sibs = g->sibs;
	j->in.nsibs = g->nsibs;
	free(j->model);
	j->model = g->model;
	j->nmodel = g->nmodel;
	j->in.policies = g->policies;
	g->allowed = NULL;
	g->sibs = NULL;
	g->nsibs = 0;
	g->model = NULL;
	g->policies = NULL;
	ctl__polcache_unref(j->pc);
	j->pc = ctl__polcache_get(j->ctl, j->in.policies);
	j->in.pols = j->pc ? j->pc->reqs : NULL;
}

/* Candidate platform p: the address the module would get there, reserved
 * for a deploy. */
static int add_cand(struct ctl_job *j, const struct reg_platform *p, const uint32_t *used,
                    size_t nused)
{
	struct ctl *c = j->ctl;
	struct ctl_cand *cd = &j->in.cands[j->in.ncands];
	cd->ip = pick_ip(c, p, used, nused);
	cd->full = p->modules >= p->capacity || cd->ip == 0;
	if (cd->ip == 0) {
		/* pool exhausted: still show where it would have gone */
		struct inet_prefix pool;
		if (!inet_parse_prefix(p->pool, strlen(p->pool), true, &pool))
			cd->ip = pool.addr + 1;
	}
	cd->platform = strdup(p->name);
	if (!cd->platform)
		return -ENOMEM;
	j->in.ncands++;
	if (j->kind == CTL_JOB_DEPLOY && !cd->full)
		return ctl__reserve(c, cd->platform, cd->ip);
	return 0;
}

/* Where the module may go: its link when inline, else every platform of
 * the snapshot, whichever PoP serves it (docs/pops.md): this PoP's first
 * (the module runs where its tenant asked, when it can), each group the
 * one with the most spare capacity first. */
static int inputs_candidates(struct ctl_job *j, const struct gather *g)
{
	if (j->in.inline_a) {
		j->in.cands = calloc(1, sizeof *j->in.cands);
		if (!j->in.cands)
			return -ENOMEM;
		j->in.ncands = 1;
		return 0;
	}
	j->in.cands = calloc(g->np + 1, sizeof *j->in.cands);
	if (!j->in.cands)
		return -ENOMEM;
	j->reserved = j->kind == CTL_JOB_DEPLOY; /* (unreserving what was not reserved is harmless) */
	int rc = 0;
	for (int here = 1; here >= 0; here--)
		for (size_t i = 0; i < g->np && !rc; i++)
			if (ctl__served(j->ctl, g->pv[i].name, NULL) == here)
				rc = add_cand(j, &g->pv[i], g->used[i], g->nused[i]);
	return rc;
}

/* ---- verification ---- */

static void work_cb(uv_work_t *w)
{
	struct ctl_job *j = w->data;
	ctl__job_run(&j->in, &j->out);
	/* a winner's report (tens of KiB with its traces) is serialized and
	 * freed here, on the worker: the loop thread, which answers every
	 * request and prepares every commit, only copies the text */
	free(j->report_text);
	j->report_text = NULL;
	if (j->out.winner >= 0 && j->out.report) {
		j->report_text = ctl__json_text(j->out.report);
		if (j->report_text) {
			json_decref(j->out.report);
			j->out.report = NULL;
		}
	}
}

static void after_work(uv_work_t *w, int status);
static void pump(struct ctl *c);
static void dispatch(struct ctl *c);
static void job_done(struct ctl_job *j);

/* Verification takes too long: answer now and cancel the job (the engine
 * stops at its next step; its result is then dropped and what it reserved
 * is released when the worker returns). */
static void on_deadline(uv_timer_t *t)
{
	struct ctl_job *j = t->data;
	if (!j->reply.fn)
		return;
	atomic_store(&j->cancel, true);
	j->ctl->stats.deadlines++;
	uint64_t ms = j->ctl->lim.deadline_ms;
	ctl__reply_error(&j->reply, 422, "too_complex", json_pack("{s:I}", "deadline_ms", (json_int_t)ms),
	                 "verifying the request takes longer than %llu ms; simplify the configuration "
	                 "or the requirements", (unsigned long long)ms);
}

static void job_timer(struct ctl_job *j)
{
	if (!j->timer_on) {
		uv_timer_init(j->ctl->env.loop, &j->timer);
		j->timer.data = j;
		j->timer_on = true;
	}
}

/* On a worker now: the pool has a thread free for each of the
 * controller's workers (the daemon sizes it), so the deadline counts from
 * when the work starts. */
static int job_start(struct ctl_job *j)
{
	j->work.data = j;
	int rc = uv_queue_work(j->ctl->env.loop, &j->work, work_cb, after_work);
	if (rc)
		return -EIO;
	job_timer(j);
	uv_timer_start(&j->timer, on_deadline, j->ctl->lim.deadline_ms, 0);
	if (!j->reply.started_ns) /* the first run: a re-verification keeps it */
		j->reply.started_ns = uv_hrtime();
	return 0;
}

/* j could not go to its worker (answered unless -EINVAL, which was):
 * its worker slot (or the re-verification's) is free again. */
static void job_not_started(struct ctl_job *j, int rc)
{
	struct ctl *c = j->ctl;
	if (rc != -EINVAL)
		answer_registry_error(c, &j->reply, rc, j->requeued ? "verifying again"
		                                                    : "starting the verification");
	if (j->requeued) {
		c->rq_busy = false;
	} else {
		struct ctl_tenant *t = ctl__tenant(c, j->tenant_id);
		c->running--;
		if (t && t->running)
			t->running--;
	}
	job_done(j);
}

/* A process module whose program would get less memory than its entry
 * declares it needs (the tenant's own memory_mb below it): refused now,
 * not OOM-killed at its first packet. -EINVAL when answered. */
static int memory_too_small(struct ctl *c, struct ctl_job *j)
{
	uint32_t least, mb = ctl__process_memory(c, j->tenant_id, j->stock, &least);
	if (!least || mb >= least)
		return 0;
	ctl__reply_error(&j->reply, 409, "memory_quota_too_small",
	                 json_pack("{s:s, s:s, s:i, s:i}", "field", "stock", "value", j->stock,
	                           "memory_mb", (int)mb, "min_memory_mb", (int)least),
	                 "'%s' needs at least %u MiB of memory and your memory quota is %u MiB: "
	                 "ask the operator for a memory_mb quota of %u or more",
	                 j->stock, least, mb, least);
	return -EINVAL;
}

/* A process module's prefixes that only the tenant's own devices may use
 * (the explicit proxy's clients) lie within its prefixes; the operator's
 * own modules may name any. -EINVAL answered. */
static int check_own_params(struct ctl_job *j, const struct reg_tenant *t)
{
	if (!j->in.process_wrapper || t->kind == REG_KIND_OPERATOR)
		return 0;
	struct diags d;
	diags_init(&d);
	int rc = ctl_process_check_own(j->stock, j->params, t->addresses, t->naddresses, &d);
	if (rc == -EINVAL && d.n)
		ctl__reply_error(&j->reply, 400, "invalid_params", json_pack("{s:s}", "field", d.v[0].file),
		                 "%s", d.v[0].msg);
	diags_free(&d);
	return rc == -ENOENT ? 0 : rc;
}

static void gather_done(void *arg, int rc)
{
	struct gather *g = arg;
	struct ctl_job *j = g->j;
	struct ctl *c = j->ctl;
	if (!rc) {
		ctl__tenant_learn(c, &g->row);
		rc = check_own_params(j, &g->row);
		/* the tenant's quota is known now (a first request after a
		 * restart has not learned it before) */
		if (!rc && j->in.process_wrapper)
			rc = memory_too_small(c, j);
	}
	if (!rc) {
		inputs_take(j, g);
		rc = inputs_candidates(j, g);
	}
	if (!rc)
		rc = job_start(j);
	gather_free(g);
	if (!rc && !j->requeued)
		c->stats.started++;
	if (!rc)
		return;
	job_not_started(j, rc);
	dispatch(c);
	pump(c);
}

/* j's inputs from the state now, then j on its worker (gather_done); its
 * worker slot is taken. Else answered and false. */
static bool job_inputs(struct ctl_job *j)
{
	int rc = inputs_base(j);
	struct gather *g = rc ? NULL : calloc(1, sizeof *g);
	if (g)
		g->j = j;
	rc = rc ? rc : !g ? -ENOMEM : ctl_registry_submit(j->ctl, gather_work, gather_done, g);
	if (!rc)
		return true;
	if (g)
		gather_free(g);
	if (rc != -EINVAL)
		answer_registry_error(j->ctl, &j->reply, rc, j->requeued ? "verifying again"
		                                                          : "starting the verification");
	return false;
}

static void answer_failure(struct ctl_job *j)
{
	json_t *d = j->out.details ? json_incref(j->out.details) : json_object();
	if (j->out.report)
		json_object_set(d, "report", j->out.report);
	ctl__reply_error(&j->reply, j->out.http, j->out.code ? j->out.code : "internal", d, "%s",
	                 j->out.message ? j->out.message : "verification failed");
}

/* A check: a verdict (200) when the request could be judged; an error
 * when it could not (malformed, unverifiable, too complex). */
static void answer_check(struct ctl_job *j)
{
	static const char *const verdict_codes[] = {"security_rules", "needs_transit",
	                                            "requirement_unsatisfied", "no_capacity"};
	bool verdict = !j->out.http;
	for (size_t k = 0; k < 4 && !verdict; k++)
		verdict = j->out.code && !strcmp(j->out.code, verdict_codes[k]);
	if (!verdict) {
		answer_failure(j);
	} else if (j->out.winner >= 0 && j->report_text) {
		const struct ctl_cand *cd = &j->in.cands[j->out.winner];
		json_t *head = json_pack("{s:s, s:s?, s:o}", "verdict", ctl__verdict_name(j->out.verdict),
		                         "platform", cd->platform, "address",
		                         ctl__cand_address(cd, j->out.proto, j->out.port));
		char pop[SNAPSHOT_POP_MAX + 1];
		if (head && cd->platform) { /* where a deploy would go (docs/pops.md) */
			ctl__served(j->ctl, cd->platform, pop);
			json_object_set_new(head, "pop", json_string(pop));
		}
		ctl__add_state_head(j->ctl, j->tenant_id, j->stock, head, j->out.stateful);
		char *text = ctl__with_report(head, j->out.view_text ? j->out.view_text : j->report_text,
		                              NULL, NULL);
		if (text)
			ctl__reply_text(&j->reply, 200, text, NULL);
		else
			ctl__reply_error(&j->reply, 500, "internal", NULL, "out of memory");
		free(text);
	} else if (j->out.winner >= 0) {
		ctl__reply_error(&j->reply, 500, "internal", NULL, "out of memory");
	} else {
		json_t *body = json_pack("{s:s, s:n, s:n, s:O, s:{s:s, s:s, s:O}}", "verdict", "rejected",
		                         "platform", "address", "report",
		                         j->out.report ? j->out.report : json_null(), "reason", "code",
		                         j->out.code ? j->out.code : "rejected", "message",
		                         j->out.message ? j->out.message : "", "details",
		                         j->out.details ? j->out.details : json_null());
		ctl__reply_json(&j->reply, 200, body, NULL);
	}
}

/* What a round took (its inputs, its answer, the re-verification slot)
 * is given back before the next. */
static void round_release(struct ctl_job *j)
{
	job_inputs_release(j);
	ctl__job_out_release(&j->out);
	free(j->report_text);
	j->report_text = NULL;
	if (j->requeued)
		j->ctl->rq_busy = false;
}

/* The state moved on meanwhile: verify again against the new one, after
 * the other deploys waiting for the same. */
static void requeue(struct ctl_job *j)
{
	struct ctl *c = j->ctl;
	round_release(j);
	j->next = NULL;
	if (c->rq_tail)
		c->rq_tail->next = j;
	else
		c->rq_head = j;
	c->rq_tail = j;
	pump(c);
}

/* A job that lost the race this many times waits before its next round:
 * innetds that share a registry and commit for the same tenant otherwise
 * re-verify in lockstep, and one of them can lose every round. */
#define BACKOFF_FROM 4
#define BACKOFF_MAX_MS 64

static void on_backoff(uv_timer_t *t)
{
	struct ctl_job *j = t->data;
	j->requeued = false; /* holds no slot while it waits */
	requeue(j);
}

/* A random wait of 1 to 2^(rounds - BACKOFF_FROM + 1) ms (at most
 * BACKOFF_MAX_MS): jitter, so that the racers fall out of step. */
static uint64_t backoff_ms(const struct ctl_job *j)
{
	unsigned shift = (unsigned)(j->rounds - BACKOFF_FROM + 1);
	uint64_t span = shift >= 6 ? BACKOFF_MAX_MS : (uint64_t)1 << shift;
	uint64_t x = uv_hrtime() ^ (uint64_t)(uintptr_t)j;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return 1 + x % span;
}

/* Verify again after a random wait; the re-verification slot is free
 * meanwhile. */
static void requeue_later(struct ctl_job *j)
{
	round_release(j);
	j->requeued = false;
	j->ctl->stats.backoffs++;
	job_timer(j);
	uv_timer_start(&j->timer, on_backoff, backoff_ms(j), 0);
}

/* After a commit (rc: ctl__commit's): true when the job goes round
 * again; else it is answered. */
static bool after_commit(struct ctl_job *j, int rc)
{
	if (rc == 1 && ++j->rounds < MAX_ROUNDS) {
		if (j->rounds >= BACKOFF_FROM)
			requeue_later(j);
		else
			requeue(j);
		return true;
	}
	if (rc == 1)
		ctl__reply_error(&j->reply, 503, "busy", NULL, "too much contention; try again");
	else if (rc < 0 && !ctl_registry_available(j->ctl))
		ctl__reply_retry(&j->reply, 503, "registry_unavailable", 2, NULL,
		                 "recording the module failed: the registry database cannot be reached; "
		                 "try again (with the same Idempotency-Key)");
	else if (rc < 0)
		ctl__reply_error(&j->reply, 500, "internal", NULL, "recording the module failed: %s",
		                 strerror(-rc));
	return false;
}

/* The commit's work is back (commit.c): answered, or verified again. */
static void commit_finished(struct ctl_job *j, int rc)
{
	struct ctl *c = j->ctl;
	if (!after_commit(j, rc)) {
		if (j->requeued)
			c->rq_busy = false;
		job_done(j);
	}
	dispatch(c);
	pump(c);
}

/* A deploy: commit the winner; true when the job goes on (its commit is
 * in flight, or it goes round again). A re-verified deploy keeps the
 * re-verification's slot until its commit is back. */
static bool answer_deploy(struct ctl_job *j)
{
	if (j->out.winner < 0) {
		answer_failure(j);
		return false;
	}
	int rc = ctl__commit(j, commit_finished);
	return rc == 0 || after_commit(j, rc);
}

/* j is done (answered): it leaves the counts it was in. */
static void job_done(struct ctl_job *j)
{
	struct ctl *c = j->ctl;
	struct ctl_tenant *t = ctl__tenant(c, j->tenant_id);
	if (j->admitted) {
		if (t && t->inflight)
			t->inflight--;
		c->inflight--;
	}
	job_release(j);
}

static void after_work(uv_work_t *w, int status)
{
	struct ctl_job *j = w->data;
	struct ctl *c = j->ctl;
	bool requeued = j->requeued;
	if (j->timer_on)
		uv_timer_stop(&j->timer);
	if (!requeued) {
		struct ctl_tenant *t = ctl__tenant(c, j->tenant_id);
		c->running--;
		if (t && t->running)
			t->running--;
	}
	if (!j->reply.fn)
		; /* answered already (past the deadline) */
	else if (status)
		ctl__reply_error(&j->reply, 503, "busy", NULL, "verification was cancelled");
	else if (j->kind == CTL_JOB_CHECK)
		answer_check(j);
	else if (answer_deploy(j))
		goto next;
	if (requeued)
		c->rq_busy = false;
	job_done(j);
next:
	dispatch(c);
	pump(c);
}

/* Start the next queued re-verification unless one runs. */
static void pump(struct ctl *c)
{
	while (!c->rq_busy && c->rq_head) {
		struct ctl_job *j = c->rq_head;
		c->rq_head = j->next;
		if (!c->rq_head)
			c->rq_tail = NULL;
		j->requeued = true;
		if (job_inputs(j)) {
			c->rq_busy = true;
			return;
		}
		job_done(j);
	}
}

/* ---- the queue: fair across tenants ---- */

static void ring_push(struct ctl *c, struct ctl_tenant *t)
{
	t->ring_next = NULL;
	t->in_ring = true;
	if (c->ring_tail)
		c->ring_tail->ring_next = t;
	else
		c->ring_head = t;
	c->ring_tail = t;
}

/* Take j out of its tenant's queue (the tenant may stay in the ring with
 * an empty queue: dispatch skips it). */
static void queue_remove(struct ctl_tenant *t, struct ctl_job *j)
{
	struct ctl_job **pp = &t->q_head, *prev = NULL;
	while (*pp && *pp != j) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = j->next;
	if (t->q_tail == j)
		t->q_tail = prev;
	j->next = NULL;
}

static unsigned retry_seconds(uint64_t ms)
{
	uint64_t s = (ms + 999) / 1000;
	return s < 1 ? 1 : s > 3600 ? 3600 : (unsigned)s;
}

/* Waited too long for a worker: answered 503, never run (it would be
 * answered too late to be of use, and its work would delay the jobs
 * behind it). */
static void on_queue_wait(uv_timer_t *tm)
{
	struct ctl_job *j = tm->data;
	struct ctl *c = j->ctl;
	struct ctl_tenant *t = ctl__tenant(c, j->tenant_id);
	if (t)
		queue_remove(t, j);
	c->stats.queue_timeouts++;
	uint64_t ms = c->lim.queue_wait_ms;
	ctl__reply_retry(&j->reply, 503, "busy", retry_seconds(ms),
	                 json_pack("{s:I}", "queue_wait_ms", (json_int_t)ms),
	                 "every verification worker stayed busy for %llu ms; try again later",
	                 (unsigned long long)ms);
	job_done(j);
}

/* Wait for a worker in the tenant's queue. */
static void enqueue(struct ctl *c, struct ctl_tenant *t, struct ctl_job *j)
{
	j->next = NULL;
	if (t->q_tail)
		t->q_tail->next = j;
	else
		t->q_head = j;
	t->q_tail = j;
	if (!t->in_ring)
		ring_push(c, t);
	job_timer(j);
	uv_timer_start(&j->timer, on_queue_wait, c->lim.queue_wait_ms, 0);
}

/* The next job to run: the oldest of the tenant with the fewest jobs on a
 * worker, the least recently served among equals. So a tenant that waits
 * behind another's many jobs gets the next free worker (a delay of at most
 * one job per worker), and tenants with jobs waiting take turns. The ring
 * holds the tenants with jobs waiting (one whose jobs all left on their
 * queue wait is dropped here). */
static struct ctl_job *next_job(struct ctl *c)
{
	struct ctl_tenant *best = NULL, *best_prev = NULL, *prev = NULL;
	for (struct ctl_tenant *t = c->ring_head, *next; t; t = next) {
		next = t->ring_next;
		if (!t->q_head) {
			if (prev)
				prev->ring_next = next;
			else
				c->ring_head = next;
			if (c->ring_tail == t)
				c->ring_tail = prev;
			t->ring_next = NULL;
			t->in_ring = false;
			continue;
		}
		if (!best || t->running < best->running ||
		    (t->running == best->running && t->served < best->served)) {
			best = t;
			best_prev = prev;
		}
		prev = t;
	}
	if (!best)
		return NULL;
	struct ctl_job *j = best->q_head;
	queue_remove(best, j);
	best->served = ++c->served;
	if (best->q_head)
		return j;
	if (best_prev)
		best_prev->ring_next = best->ring_next;
	else
		c->ring_head = best->ring_next;
	if (c->ring_tail == best)
		c->ring_tail = best_prev;
	best->ring_next = NULL;
	best->in_ring = false;
	return j;
}

/* Start j on a worker: its inputs from the state now (a job that never
 * runs costs nothing), unless its caller has gone. Its worker slot is
 * taken while its inputs are read. */
static void run_job(struct ctl *c, struct ctl_job *j)
{
	uv_timer_stop(&j->timer);
	if (j->gone && j->gone(j->reply.ud)) {
		c->stats.client_left++;
		ctl__reply_error(&j->reply, 503, "busy", NULL,
		                 "the client left before its verification started");
		job_done(j);
		return;
	}
	if (!job_inputs(j)) {
		job_done(j);
		return;
	}
	struct ctl_tenant *t = ctl__tenant(c, j->tenant_id);
	c->running++;
	if (t)
		t->running++;
}

void ctl_stats(const struct ctl *c, struct ctl_stats *out)
{
	*out = c->stats;
	out->running = c->running;
	out->queued = c->inflight > c->running ? c->inflight - c->running : 0;
}

/* Fill the free workers. */
static void dispatch(struct ctl *c)
{
	struct ctl_job *j;
	while (c->running < c->lim.workers && (j = next_job(c)))
		run_job(c, j);
}

/* ---- the request ---- */

static bool valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_'))
			return false;
	return !(s[0] >= '0' && s[0] <= '9');
}

static bool valid_endpoint(const char *s)
{
	const char *c = strrchr(s, ':');
	if (!c || c == s || !c[1])
		return false;
	for (const char *p = c + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return strlen(c + 1) <= 5;
}

static int parse_name(json_t *name, struct ctl_reply *rp)
{
	if (!name || !json_is_string(name)) {
		ctl__reply_error(rp, 400, name ? "wrong_type" : "missing_field",
		                 json_pack("{s:s}", "field", "name"),
		                 "name must be a string (the module's name)");
		return -EINVAL;
	}
	if (!valid_name(json_string_value(name))) {
		ctl__reply_error(rp, 400, "invalid_name",
		                 json_pack("{s:s, s:s}", "field", "name", "value", json_string_value(name)),
		                 "name: '%s' is not a module name (1 to %d of A-Z a-z 0-9 _ -, not "
		                 "starting with a digit)", json_string_value(name), NAME_MAX_LEN);
		return -EINVAL;
	}
	return 0;
}

/* config, stock and params: which ones and their types. */
static int check_source(struct ctl *c, json_t *config, json_t *stock, json_t *params,
                        struct ctl_reply *rp)
{
	if (!!config == !!stock) {
		ctl__reply_error(rp, 400, config ? "conflicting_fields" : "missing_field",
		                 json_pack("{s:s}", "field", config ? "stock" : "config"),
		                 "give exactly one of \"config\" (Click text) and \"stock\" (a stock "
		                 "module name)");
		return -EINVAL;
	}
	if (config && (!json_is_string(config) || json_string_length(config) > c->lim.max_config ||
	               strlen(json_string_value(config)) != json_string_length(config))) {
		ctl__reply_error(rp, json_is_string(config) && json_string_length(config) >
		                 c->lim.max_config ? 413 : 400,
		                 json_is_string(config) ? "invalid_config" : "wrong_type",
		                 json_pack("{s:s}", "field", "config"),
		                 "config must be Click text of at most %zu bytes without NUL",
		                 c->lim.max_config);
		return -EINVAL;
	}
	if (params && !stock) {
		ctl__reply_error(rp, 400, "unexpected_field", json_pack("{s:s}", "field", "params"),
		                 "params only go with \"stock\"");
		return -EINVAL;
	}
	if (stock && !json_is_string(stock)) {
		ctl__reply_error(rp, 400, "wrong_type", json_pack("{s:s}", "field", "stock"),
		                 "stock must be the name of a stock module (GET /v1/stock)");
		return -EINVAL;
	}
	return 0;
}

static int check_requirements(json_t *reqs, struct ctl_reply *rp)
{
	if (reqs && (!json_is_string(reqs) || json_string_length(reqs) > REQS_MAX ||
	             strlen(json_string_value(reqs)) != json_string_length(reqs))) {
		ctl__reply_error(rp, 400, json_is_string(reqs) ? "invalid_requirements" : "wrong_type",
		                 json_pack("{s:s}", "field", "requirements"),
		                 "requirements must be text of at most %d bytes (one statement per line)",
		                 REQS_MAX);
		return -EINVAL;
	}
	return 0;
}

/* "inline": an operator's link into j. */
static int parse_inline(json_t *inl, struct ctl_job *j)
{
	if (!json_is_array(inl) || json_array_size(inl) != 2 ||
	    !json_is_string(json_array_get(inl, 0)) || !json_is_string(json_array_get(inl, 1)) ||
	    !valid_endpoint(json_string_value(json_array_get(inl, 0))) ||
	    !valid_endpoint(json_string_value(json_array_get(inl, 1)))) {
		ctl__reply_error(&j->reply, 400, "invalid_inline", json_pack("{s:s}", "field", "inline"),
		                 "inline must be [\"NODE:PORT\", \"NODE:PORT\"], a link of the snapshot");
		return -EINVAL;
	}
	if (j->in.kind != REG_KIND_OPERATOR) {
		ctl__reply_error(&j->reply, 403, "inline_forbidden", json_pack("{s:s}", "field", "inline"),
		                 "only the operator's modules may be placed on-path; tenant modules are "
		                 "addressed");
		return -EINVAL;
	}
	j->in.inline_a = strdup(json_string_value(json_array_get(inl, 0)));
	j->in.inline_b = strdup(json_string_value(json_array_get(inl, 1)));
	return 0;
}

/* A stock module expanded into j's Click text. */
static int expand_stock(json_t *stock, json_t *params, struct ctl_job *j)
{
	const char *name = json_string_value(stock);
	struct diags d;
	diags_init(&d);
	int rc = ctl_stock_instantiate(name, params, &j->in.click, &d);
	if (rc == -ENOENT)
		ctl__reply_error(&j->reply, 400, "unknown_stock",
		                 json_pack("{s:s, s:s}", "field", "stock", "value", name),
		                 "there is no stock module '%s' (GET /v1/stock lists them)", name);
	else if (rc == -EINVAL && d.n)
		ctl__reply_error(&j->reply, 400, "invalid_params",
		                 json_pack("{s:s}", "field", d.v[0].file), "%s", d.v[0].msg);
	else if (rc == -EINVAL)
		rc = -EIO; /* a broken template: not the request's fault */
	diags_free(&d);
	if (rc)
		return rc == -ENOENT ? -EINVAL : rc;
	j->in.process_wrapper = ctl_process_exists(name);
	j->stock = strdup(name);
	j->params = params ? json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
	return 0;
}

/* The request into j; answers 4xx and returns -EINVAL on error. */
static int parse_request(struct ctl *c, json_t *b, struct ctl_job *j)
{
	json_t *name = json_object_get(b, "name"), *config = json_object_get(b, "config");
	json_t *stock = json_object_get(b, "stock"), *params = json_object_get(b, "params");
	json_t *reqs = json_object_get(b, "requirements"), *inl = json_object_get(b, "inline");
	int rc = parse_name(name, &j->reply);
	if (!rc)
		rc = check_source(c, config, stock, params, &j->reply);
	if (!rc)
		rc = check_requirements(reqs, &j->reply);
	if (!rc && inl)
		rc = parse_inline(inl, j);
	if (rc)
		return rc;
	j->in.name = strdup(json_string_value(name));
	j->in.requirements = strdup(reqs ? json_string_value(reqs) : "");
	if (config) {
		j->in.click = strdup(json_string_value(config));
		j->source = strdup(j->in.click ? j->in.click : "");
	} else if ((rc = expand_stock(stock, params, j))) {
		return rc;
	} else if (j->in.process_wrapper && c->have_ops && !c->ops.processes) {
		ctl__reply_error(&j->reply, 409, "process_unavailable",
		                 json_pack("{s:s, s:s}", "field", "stock", "value",
		                           json_string_value(stock)),
		                 "'%s' runs a program, and this platform runs none: its operator has not "
		                 "set process-port (docs/process-sandbox.md)", json_string_value(stock));
		return -EINVAL;
	} else if (j->in.process_wrapper && ctl_process_missing(json_string_value(stock))) {
		ctl__reply_error(&j->reply, 409, "process_unavailable",
		                 json_pack("{s:s, s:s}", "field", "stock", "value",
		                           json_string_value(stock)),
		                 "%s", ctl_process_missing(json_string_value(stock)));
		return -EINVAL;
	}
	if (!j->in.name || !j->in.requirements || !j->in.click)
		return -ENOMEM;
	return 0;
}

static struct ctl_job *job_new(struct ctl *c, const struct ctl_caller *who,
                               enum ctl_job_kind kind, ctl_done_fn done, void *ud)
{
	struct ctl_job *j = calloc(1, sizeof *j);
	if (!j)
		return NULL;
	j->ctl = c;
	j->reply = (struct ctl_reply){done, ud, uv_hrtime(), 0};
	j->kind = kind;
	j->tenant_id = who->tenant_id;
	j->in.kind = who->kind;
	j->in.detail = c->lim.tenant_detail;
	j->in.max_steps = c->lim.max_steps;
	j->in.max_network_steps = c->lim.max_network_steps;
	j->in.max_memory = (size_t)c->lim.max_memory_mb << 20;
	j->gone = who->gone;
	atomic_init(&j->cancel, false);
	j->in.cancel = &j->cancel;
	return j;
}

/* ---- admission ----
 * A request is admitted in the order its answers have always come: the
 * answer kept for its Idempotency-Key, the tenant's rate, its checks and
 * deploys in flight, innetd's, the request's fields, then a deploy's name
 * and module quota. What needs the registry (the kept answer, the
 * tenant's row while it is not known, the name and quota) is read in one
 * work function on the registry thread; a check of a known tenant is
 * admitted at once (a flood of them never reaches the registry). A
 * tenant's requests are admitted in the order they came: while some wait
 * for their reads, the next ones wait too. */

/* What the registry thread reads for a request (admission_work), handed
 * to the loop (admission_done). */
struct admission {
	struct ctl_job *j;
	const char *name;      /* a deploy's name (valid), or NULL */
	bool waiting;          /* counted in admitting (not admitted yet) */
	int kept_rc;           /* ctl__idem_lookup's: 0 a kept answer, -ENOENT none */
	struct reg_idem kept;
	int row_rc;
	struct reg_tenant row;
	int admit;             /* ctl__admit's: 0, CTL_ADMIT_* or an errno */
};

static int admission_work(struct registry *r, void *arg)
{
	struct admission *a = arg;
	const struct ctl_job *j = a->j;
	a->kept_rc = j->idem_key ? ctl__idem_lookup(r, j, &a->kept) : -ENOENT;
	if (a->kept_rc != -ENOENT)
		return 0; /* answered with it (or its error) */
	a->row_rc = reg_tenant_get(r, j->tenant_id, &a->row);
	if (a->name && !a->row_rc)
		a->admit = ctl__admit(r, j->tenant_id, a->name, a->row.quota_modules);
	return 0;
}

static void refuse_inflight(struct ctl *c, unsigned max, struct ctl_reply *rp)
{
	c->stats.refused_inflight++;
	ctl__reply_retry(rp, 429, "too_many_requests", 1, json_pack("{s:I}", "inflight", (json_int_t)max),
	                 "you have %u checks and deploys in progress, the most allowed; try again "
	                 "when one has been answered", max);
}

static void refuse_full(struct ctl *c, struct ctl_reply *rp)
{
	c->stats.refused_full++;
	ctl__reply_retry(rp, 503, "busy", retry_seconds(c->lim.queue_wait_ms), NULL,
	                 "too many verifications in progress; try again");
}

/* May the tenant queue one more job? Else answered 429 or 503. */
static bool admit_job(struct ctl *c, int64_t tenant, struct ctl_tenant *t, struct ctl_reply *rp)
{
	if (!ctl__rate_ok(c, tenant)) {
		uint64_t rps = t->row_read ? t->rps : c->lim.tenant_rps;
		c->stats.refused_rate++;
		ctl__reply_retry(rp, 429, "rate_limited", 1, json_pack("{s:f}", "per_second", (double)rps),
		                 "too many requests; at most %llu per second", (unsigned long long)rps);
		return false;
	}
	unsigned max = ctl__tenant_inflight(c, tenant);
	if (t->inflight >= max) {
		refuse_inflight(c, max, rp);
		return false;
	}
	if (c->inflight >= c->lim.max_inflight) {
		refuse_full(c, rp);
		return false;
	}
	return true;
}

/* May a request wait for its admission's reads? The same limits on the
 * requests in flight and waiting together: what waits for the registry
 * stays bounded. Else answered 429 or 503. */
static bool may_wait(struct ctl *c, int64_t tenant, struct ctl_tenant *t, struct ctl_reply *rp)
{
	unsigned max = ctl__tenant_inflight(c, tenant);
	if (t->inflight + t->admitting >= max) {
		refuse_inflight(c, max, rp);
		return false;
	}
	if (c->inflight + c->admitting >= c->lim.max_inflight) {
		refuse_full(c, rp);
		return false;
	}
	return true;
}

/* The limits, then the request's fields: j counts in flight from now on.
 * Else answered. */
static bool admit_parse(struct ctl_job *j, json_t *req)
{
	struct ctl *c = j->ctl;
	struct ctl_tenant *t = ctl__tenant(c, j->tenant_id);
	if (!t) {
		ctl__reply_error(&j->reply, 500, "internal", NULL, "out of memory");
		return false;
	}
	if (!admit_job(c, j->tenant_id, t, &j->reply))
		return false;
	int rc = parse_request(c, req, j);
	if (rc) {
		if (rc != -EINVAL)
			ctl__reply_error(&j->reply, 500, "internal", NULL, "reading the request: %s",
			                 strerror(-rc));
		return false;
	}
	c->inflight++;
	t->inflight++;
	j->admitted = true;
	return true;
}

/* Admitted: j waits for a worker. */
static void queue_job(struct ctl_job *j)
{
	struct ctl *c = j->ctl;
	struct ctl_tenant *t = ctl__tenant(c, j->tenant_id);
	if (!t) {
		ctl__reply_error(&j->reply, 500, "internal", NULL, "out of memory");
		job_done(j);
		return;
	}
	enqueue(c, t, j);
	dispatch(c);
}

/* The reads are back: the checks that needed them, in their order.
 * true: admitted. Else answered. */
static bool admission_checks(struct admission *a)
{
	struct ctl_job *j = a->j;
	if (a->kept_rc != -ENOENT) {
		if (!a->kept_rc)
			ctl__idem_answer(&j->reply, &a->kept, j->idem_hash, j->idem_key);
		else
			answer_registry_error(j->ctl, &j->reply, a->kept_rc,
			                      "reading the answer kept for the Idempotency-Key");
		return false;
	}
	if (!j->admitted && !admit_parse(j, j->req))
		return false;
	if (j->kind != CTL_JOB_DEPLOY)
		return true;
	int rc = a->row_rc ? a->row_rc : a->admit;
	if (rc > 0)
		ctl__admit_reply(&j->reply, rc, j->in.name, a->row.quota_modules);
	else if (rc < 0)
		answer_registry_error(j->ctl, &j->reply, rc, "checking the module quota");
	return rc == 0;
}

static void admission_free(struct admission *a)
{
	reg_idem_release(&a->kept);
	reg_tenant_release(&a->row);
	free(a);
}

static void admission_done(void *arg, int rc)
{
	struct admission *a = arg;
	struct ctl_job *j = a->j;
	struct ctl *c = j->ctl;
	struct ctl_tenant *t = ctl__tenant(c, j->tenant_id);
	if (a->waiting) {
		if (t && t->admitting)
			t->admitting--;
		if (c->admitting)
			c->admitting--;
	}
	if (!a->row_rc)
		ctl__tenant_learn(c, &a->row);
	bool ok = !rc && admission_checks(a);
	if (rc) /* (the work itself never fails) */
		answer_registry_error(c, &j->reply, rc, "admitting the request");
	json_decref(j->req);
	j->req = NULL;
	admission_free(a);
	if (ok)
		queue_job(j);
	else
		job_done(j);
}

/* Read what j's admission needs on the registry thread (admission_done
 * goes on). Else answered and done. */
static void start_admission(struct ctl_job *j)
{
	struct ctl *c = j->ctl;
	struct ctl_tenant *t = ctl__tenant(c, j->tenant_id);
	struct admission *a = calloc(1, sizeof *a);
	int rc = a && t ? 0 : -ENOMEM;
	if (!rc) {
		*a = (struct admission){.j = j, .waiting = !j->admitted, .kept_rc = -ENOENT,
		                        .row_rc = -ENOENT};
		if (j->kind == CTL_JOB_DEPLOY)
			a->name = j->admitted ? j->in.name : j->name_hint;
		rc = ctl_registry_submit(c, admission_work, admission_done, a);
	}
	if (rc) {
		free(a);
		answer_registry_error(c, &j->reply, rc, "admitting the request");
		job_done(j);
		return;
	}
	if (a->waiting) {
		t->admitting++;
		c->admitting++;
	}
}

/* The request's name when it is one (a deploy's quota and name are read
 * with its admission), or NULL. */
static char *name_hint(json_t *req)
{
	json_t *n = json_object_get(req, "name");
	return json_is_string(n) && valid_name(json_string_value(n)) ? strdup(json_string_value(n))
	                                                             : NULL;
}

static int submit(struct ctl *c, const struct ctl_caller *who, json_t *req,
                  enum ctl_job_kind kind, ctl_done_fn done, void *ud)
{
	struct ctl_reply rp = {.fn = done, .ud = ud};
	struct ctl_tenant *t = ctl__tenant(c, who->tenant_id);
	if (!t)
		return -ENOMEM;
	bool keyed = kind == CTL_JOB_DEPLOY && who->idem_key;
	if (keyed && ctl__idem_busy(c, who, &rp))
		return 0;
	/* admitted now: a known tenant with none of its requests waiting, and
	 * no kept answer that would come first */
	bool now = ctl__tenant_known(c, who->tenant_id) && !t->admitting && !keyed;
	if (!now && !may_wait(c, who->tenant_id, t, &rp))
		return 0;
	struct ctl_job *j = job_new(c, who, kind, done, ud);
	if (!j)
		return -ENOMEM;
	int rc = keyed ? ctl__idem_attach(j, who) : 0;
	if (!rc && !now && !(j->req = json_deep_copy(req))) /* (req is the caller's) */
		rc = -ENOMEM;
	if (rc) {
		job_free(j);
		return rc;
	}
	if (!now && kind == CTL_JOB_DEPLOY)
		j->name_hint = name_hint(req);
	if (now && !admit_parse(j, req))
		job_done(j);
	else if (now && kind == CTL_JOB_CHECK)
		queue_job(j);
	else
		start_admission(j);
	return 0;
}

int ctl_check(struct ctl *c, const struct ctl_caller *who, json_t *req, ctl_done_fn done,
              void *ud)
{
	return submit(c, who, req, CTL_JOB_CHECK, done, ud);
}

int ctl_deploy(struct ctl *c, const struct ctl_caller *who, json_t *req, ctl_done_fn done,
               void *ud)
{
	return submit(c, who, req, CTL_JOB_DEPLOY, done, ud);
}
