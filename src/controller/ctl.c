/* The controller's setup and its small shared state: the answer helpers,
 * the parsed policies, the model of the current snapshot, generations and
 * address reservations (see controller.h). */
#include "controller/controller.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"
#include "base/log.h"

/* ---- answers ---- */

/* Answer once: the reply is spent before done runs. */
static void deliver(struct ctl_reply *rp, const struct ctl_answer *a)
{
	ctl_done_fn fn = rp->fn;
	rp->fn = NULL;
	if (!rp->queued_ns) {
		fn(rp->ud, a);
		return;
	}
	struct ctl_answer t = *a;
	uint64_t now = uv_hrtime(), start = rp->started_ns ? rp->started_ns : now;
	t.timed = true;
	t.queue_us = (start - rp->queued_ns) / 1000;
	t.work_us = (now - start) / 1000;
	fn(rp->ud, &t);
}

void ctl__reply_json(struct ctl_reply *rp, int status, json_t *body, json_t *audit)
{
	struct ctl_answer a = {.status = status, .body = body, .audit = audit};
	deliver(rp, &a);
	json_decref(body);
	json_decref(audit);
}

void ctl__reply_text(struct ctl_reply *rp, int status, const char *text, json_t *audit)
{
	struct ctl_answer a = {.status = status, .text = text, .audit = audit};
	deliver(rp, &a);
	json_decref(audit);
}

static void reply_error_v(struct ctl_reply *rp, int status, const char *code,
                          unsigned retry_after, json_t *details, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	struct ctl_answer a = {.status = status, .code = code, .message = msg, .details = details,
	                       .retry_after = retry_after};
	deliver(rp, &a);
	json_decref(details);
}

void ctl__reply_error(struct ctl_reply *rp, int status, const char *code, json_t *details,
                      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	reply_error_v(rp, status, code, 0, details, fmt, ap);
	va_end(ap);
}

void ctl__reply_retry(struct ctl_reply *rp, int status, const char *code, unsigned retry_after,
                      json_t *details, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	reply_error_v(rp, status, code, retry_after ? retry_after : 1, details, fmt, ap);
	va_end(ap);
}

void ctl__reply_rc(struct ctl_reply *rp, int rc)
{
	char msg[128];
	snprintf(msg, sizeof msg, "internal error: %s", strerror(-rc));
	struct ctl_answer a = {.status = 500, .code = "internal", .message = msg, .rc = rc};
	deliver(rp, &a);
}

/* ---- parsed policies ---- */

void ctl__polcache_unref(struct ctl_polcache *pc)
{
	if (!pc || --pc->refs > 0)
		return;
	vfy_reqs_free(pc->reqs);
	free(pc->text);
	free(pc);
}

struct ctl_polcache *ctl__polcache_get(struct ctl *c, const char *text)
{
	if (!c->pc || strcmp(c->pc->text, text)) {
		struct ctl_polcache *pc = calloc(1, sizeof *pc);
		if (!pc || !(pc->text = strdup(text))) {
			free(pc);
			return NULL;
		}
		pc->refs = 1;
		pc->f = (struct src_file){"policies", pc->text, strlen(pc->text)};
		struct diags d;
		diags_init(&d);
		int rc = vfy_reqs_parse(&pc->f, &pc->reqs, &d);
		diags_free(&d);
		if (rc) {
			free(pc->text);
			free(pc);
			return NULL;
		}
		ctl__polcache_unref(c->pc);
		c->pc = pc;
	}
	c->pc->refs++;
	return c->pc;
}

/* ---- the network model ---- */

int64_t ctl__snapshot_version(struct ctl *c)
{
	struct snapshot *s = c->env.snapshot(c->env.snapshot_ud);
	int64_t v = s ? s->version : -1;
	snapshot_unref(s);
	return v;
}

/* Does snapshot s give platform to PoP here (true when s does not name it)? */
static bool served_in(const struct snapshot *s, const char *platform, const char *here)
{
	int i = s && platform ? snapshot_find(s, platform) : -1;
	return i < 0 || !s->nodes[i].pop || !strcmp(s->nodes[i].pop, here);
}

/* ---- platforms other PoPs serve ---- */

int ctl__remote_platforms(struct ctl *c, struct ctl_names *out)
{
	const char *here = c->env.pop ? c->env.pop : SNAPSHOT_DEFAULT_POP;
	*out = (struct ctl_names){0};
	struct snapshot *s = c->env.snapshot ? c->env.snapshot(c->env.snapshot_ud) : NULL;
	int rc = 0;
	for (size_t i = 0; s && i < s->nnodes && !rc; i++) {
		const struct snap_node *nd = &s->nodes[i];
		if (!nd->pop || !strcmp(nd->pop, here))
			continue;
		char **v = realloc(out->v, (out->n + 1) * sizeof *v);
		if (!v || !(v[out->n] = strdup(nd->name)))
			rc = -ENOMEM;
		if (v)
			out->v = v;
		if (!rc)
			out->n++;
	}
	snapshot_unref(s);
	if (rc)
		ctl__names_free(out);
	return rc;
}

bool ctl__names_have(const struct ctl_names *v, const char *name)
{
	for (size_t i = 0; name && i < v->n; i++)
		if (!strcmp(v->v[i], name))
			return true;
	return false;
}

void ctl__names_free(struct ctl_names *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	*v = (struct ctl_names){0};
}

/* ---- a new network: the modules whose platform's PoP changed ---- */

struct netstored_q {
	struct ctl *c;
	struct snapshot *old, *s;
	struct ctl_modules m;
};

static int live_work(struct registry *r, void *arg)
{
	struct netstored_q *q = arg;
	return ctl_modules_read(r, 0, CTL_MODULES_STATES | CTL_MODULES_TENANTS, &q->m);
}

static void netstored_done(void *arg, int rc)
{
	struct netstored_q *q = arg;
	struct ctl *c = q->c;
	const char *here = c->env.pop ? c->env.pop : SNAPSHOT_DEFAULT_POP;
	size_t in = 0, out = 0;
	if (rc)
		log_warn("controller", "network changed: reading the live modules failed: %s; the next "
		         "reconcile installs or removes them", strerror(-rc));
	else
		ctl__modules_learn(c, &q->m);
	for (size_t i = 0; !rc && c->have_ops && i < q->m.n; i++) {
		const struct reg_module *m = &q->m.v[i];
		if (!m->platform)
			continue;
		bool was = served_in(q->old, m->platform, here), is = served_in(q->s, m->platform, here);
		if (was && !is && c->ops.remove) {
			/* (ctl__platform_remove asks the current snapshot: s already) */
			ctl__platform_call_remove(c, m);
			out++;
		} else if (!was && is && c->ops.install) {
			ctl__platform_install(c, m, ctl__modules_state(&q->m, i));
			in++;
		}
	}
	if (in || out)
		log_info("controller", "network changed: %zu module(s) installed, %zu removed (their "
		         "platforms' PoP changed)", in, out);
	ctl_modules_release(&q->m);
	snapshot_unref(q->old);
	snapshot_unref(q->s);
	free(q);
}

void ctl_network_stored(struct ctl *c, const struct snapshot *old, const struct snapshot *s)
{
	if (!c->have_ops)
		return;
	struct netstored_q *q = calloc(1, sizeof *q);
	if (!q)
		return;
	/* (the snapshots are immutable; the references are taken and dropped
	 * on the loop) */
	*q = (struct netstored_q){.c = c, .old = old ? snapshot_ref((struct snapshot *)old) : NULL,
	                          .s = s ? snapshot_ref((struct snapshot *)s) : NULL};
	int rc = ctl_registry_submit(c, live_work, netstored_done, q);
	if (rc) {
		log_warn("controller", "network changed: cannot read the live modules: %s", strerror(-rc));
		snapshot_unref(q->old);
		snapshot_unref(q->s);
		free(q);
	}
}

bool ctl__served(struct ctl *c, const char *platform, char pop[SNAPSHOT_POP_MAX + 1])
{
	const char *here = c->env.pop ? c->env.pop : SNAPSHOT_DEFAULT_POP;
	bool served = true;
	if (pop)
		snprintf(pop, SNAPSHOT_POP_MAX + 1, "%s", here);
	struct snapshot *s = platform ? c->env.snapshot(c->env.snapshot_ud) : NULL;
	int i = s ? snapshot_find(s, platform) : -1;
	if (i >= 0 && s->nodes[i].pop) {
		served = !strcmp(s->nodes[i].pop, here);
		if (pop)
			snprintf(pop, SNAPSHOT_POP_MAX + 1, "%s", s->nodes[i].pop);
	}
	snapshot_unref(s);
	return served;
}

int ctl__current_base(struct ctl *c, struct vfy_base **out, int64_t *version, struct diags *why)
{
	*out = NULL;
	struct snapshot *s = c->env.snapshot(c->env.snapshot_ud);
	if (!s)
		return -ENOENT;
	if (!c->base || c->base_version != s->version) {
		struct diags own;
		diags_init(&own);
		struct vfy_base *b = NULL;
		int rc = vfy_base_build(s, &b, why ? why : &own);
		diags_free(&own);
		if (rc) {
			snapshot_unref(s);
			return rc;
		}
		vfy_base_unref(c->base);
		c->base = b;
		c->base_version = s->version;
	}
	*version = s->version;
	snapshot_unref(s);
	*out = vfy_base_ref(c->base);
	return 0;
}

int ctl__policies_read(struct registry *r, char **out)
{
	struct reg_policy *pol;
	size_t npol;
	*out = NULL;
	int rc = reg_policy_list(r, &pol, &npol);
	if (rc)
		return rc;
	size_t len = 1;
	for (size_t i = 0; i < npol; i++)
		len += strlen(pol[i].text) + 1;
	char *text = malloc(len);
	if (text) {
		size_t o = 0;
		for (size_t i = 0; i < npol; i++) {
			size_t l = strlen(pol[i].text);
			memcpy(text + o, pol[i].text, l);
			o += l;
			text[o++] = '\n';
		}
		text[o] = '\0';
	}
	reg_policies_free(pol, npol);
	*out = text;
	return text ? 0 : -ENOMEM;
}

/* ---- tenants ---- */

struct ctl_tenant *ctl__tenant(struct ctl *c, int64_t id)
{
	struct ctl_tenant *t = idmap_get(&c->tenants, (uint64_t)id);
	if (t)
		return t;
	if (!(t = calloc(1, sizeof *t)))
		return NULL;
	if (idmap_put(&c->tenants, (uint64_t)id, t)) {
		free(t);
		return NULL;
	}
	return t;
}

uint64_t ctl__tenant_gen(struct ctl *c, int64_t id)
{
	struct ctl_tenant *t = idmap_get(&c->tenants, (uint64_t)id);
	return t ? t->gen : 0;
}

void ctl__modules_changed(struct ctl *c, int64_t tenant, const char *platform)
{
	if (!platform)
		c->inline_gen++;
	struct ctl_tenant *t = ctl__tenant(c, tenant);
	if (t)
		t->gen++;
}

/* ---- reservations ---- */

static struct ctl_platform *platform_find(struct ctl *c, const char *name)
{
	for (struct ctl_platform *p = c->platforms; p; p = p->next)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

bool ctl__reserved(struct ctl *c, const char *platform, uint32_t ip)
{
	struct ctl_platform *p = platform_find(c, platform);
	return p && idmap_get(&p->reserved, ip);
}

int ctl__reserve(struct ctl *c, const char *platform, uint32_t ip)
{
	struct ctl_platform *p = platform_find(c, platform);
	if (!p) {
		if (!(p = calloc(1, sizeof *p)) || !(p->name = strdup(platform))) {
			free(p);
			return -ENOMEM;
		}
		p->next = c->platforms;
		c->platforms = p;
	}
	return idmap_put(&p->reserved, ip, p);
}

void ctl__unreserve(struct ctl *c, const char *platform, uint32_t ip)
{
	struct ctl_platform *p = platform_find(c, platform);
	if (p)
		idmap_del(&p->reserved, ip);
}

/* ---- setup ---- */

/* Every live module handed to the platform, with its tenant's quotas and
 * its saved state, once they are read. */
struct install_q {
	struct ctl *c;
	struct ctl_modules m;
};

static int install_work(struct registry *r, void *arg)
{
	struct install_q *q = arg;
	return ctl_modules_read(r, 0, CTL_MODULES_STATES | CTL_MODULES_TENANTS, &q->m);
}

static void install_done(void *arg, int rc)
{
	struct install_q *q = arg;
	struct ctl *c = q->c;
	size_t installed = 0;
	if (rc)
		log_error("controller", "reading the deployed modules failed: %s", strerror(-rc));
	else
		ctl__modules_learn(c, &q->m);
	for (size_t i = 0; !rc && c->have_ops && c->ops.install && i < q->m.n; i++)
		if (ctl__served(c, q->m.v[i].platform, NULL)) { /* (another PoP installs its own) */
			ctl__platform_install(c, &q->m.v[i], ctl__modules_state(&q->m, i));
			installed++;
		}
	if (!rc)
		log_info("controller", "%zu deployed module(s) handed to the platform, %zu placed on "
		         "other PoPs", installed, q->m.n - installed);
	ctl_modules_release(&q->m);
	free(q);
}

static int install_all(struct ctl *c)
{
	if (!c->have_ops || !c->ops.install)
		return 0;
	struct install_q *q = calloc(1, sizeof *q);
	if (!q)
		return -ENOMEM;
	q->c = c;
	int rc = ctl_registry_submit(c, install_work, install_done, q);
	if (rc)
		free(q);
	return rc;
}

/* ---- modules placed or killed by other innetd ---- */

/* Is module id in the platform now? */
static bool installed_now(struct ctl *c, int64_t id)
{
	json_t *j = c->ops.describe ? c->ops.describe(c->ops.ud, id) : NULL;
	bool there = j != NULL;
	json_decref(j);
	return there;
}

static bool live_here(struct ctl *c, const struct reg_module *m)
{
	return m->platform && strcmp(m->state, "killed") && ctl__served(c, m->platform, NULL);
}

struct changed_q {
	struct ctl *c;
	int64_t id;
	struct ctl_modules m;
};

static int changed_work(struct registry *r, void *arg)
{
	struct changed_q *q = arg;
	return ctl__module_read(r, q->id, CTL_MODULES_STATES | CTL_MODULES_TENANTS, &q->m);
}

static void changed_done(void *arg, int rc)
{
	struct changed_q *q = arg;
	struct ctl *c = q->c;
	/* -ENOENT: gone (its tenant deleted): the reconcile after it removes it */
	if (!rc && c->have_ops && c->ops.install) {
		const struct reg_module *m = &q->m.v[0];
		ctl__modules_learn(c, &q->m);
		bool want = live_here(c, m), have = installed_now(c, q->id);
		if (want && !have) {
			log_info("controller", "module %lld placed here by another innetd: installing it",
			         (long long)q->id);
			ctl__platform_install(c, m, ctl__modules_state(&q->m, 0));
		} else if (!want && have) {
			log_info("controller", "module %lld killed or moved by another innetd: removing it",
			         (long long)q->id);
			ctl__platform_call_remove(c, m);
		}
	}
	ctl_modules_release(&q->m);
	free(q);
}

void ctl_module_changed(struct ctl *c, int64_t id)
{
	if (!c->have_ops || !c->ops.install)
		return;
	struct changed_q *q = calloc(1, sizeof *q);
	if (!q)
		return;
	*q = (struct changed_q){.c = c, .id = id};
	int rc = ctl_registry_submit(c, changed_work, changed_done, q);
	if (rc) {
		log_warn("controller", "module %lld changed: cannot read it: %s", (long long)id,
		         strerror(-rc));
		free(q);
	}
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* The ids the platform holds now, sorted (malloc'd). */
static int64_t *installed_ids(struct ctl *c, size_t *n)
{
	size_t have = c->ops.installed(c->ops.ud, NULL, 0);
	int64_t *ids = calloc(have ? have : 1, sizeof *ids);
	if (ids) {
		have = c->ops.installed(c->ops.ud, ids, have);
		qsort(ids, have, sizeof *ids, cmp_id);
	}
	*n = ids ? have : 0;
	return ids;
}

/* A reconcile: the live modules, and the rows of the modules the platform
 * held when it was asked that are not live (killed: removed with their
 * row; gone: by id). */
struct reconcile_q {
	struct ctl *c;
	int64_t *ids;                /* installed when asked, sorted */
	size_t nids;
	struct ctl_modules m;        /* live */
	struct reg_module *dead;     /* per id: its row when not live (id 0: none) */
};

static bool live_id(const struct ctl_modules *m, int64_t id)
{
	for (size_t i = 0; i < m->n; i++) /* (id order) */
		if (m->v[i].id >= id)
			return m->v[i].id == id;
	return false;
}

static int reconcile_work(struct registry *r, void *arg)
{
	struct reconcile_q *q = arg;
	int rc = ctl_modules_read(r, 0, CTL_MODULES_STATES | CTL_MODULES_TENANTS, &q->m);
	if (!rc && !(q->dead = calloc(q->nids + 1, sizeof *q->dead)))
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < q->nids; i++)
		if (!live_id(&q->m, q->ids[i]) && (rc = reg_module_get(r, q->ids[i], &q->dead[i]))) {
			q->dead[i] = (struct reg_module){0};
			rc = rc == -ENOENT ? 0 : rc;
		}
	return rc;
}

/* Remove what the platform held when asked and is no longer live here. */
static size_t reconcile_remove(struct reconcile_q *q, const int64_t *now, size_t have)
{
	struct ctl *c = q->c;
	size_t changed = 0;
	for (size_t i = 0; i < q->nids; i++) {
		int64_t id = q->ids[i];
		const struct reg_module *m = NULL;
		for (size_t k = 0; k < q->m.n && !m; k++)
			if (q->m.v[k].id == id)
				m = &q->m.v[k];
		if ((m && live_here(c, m)) || !bsearch(&id, now, have, sizeof *now, cmp_id))
			continue;
		if (!m && q->dead[i].id)
			m = &q->dead[i];
		if (m)
			ctl__platform_call_remove(c, m);
		else if (c->ops.remove) { /* its row is gone (its tenant deleted) */
			struct ctl_deployed gone = {.id = id};
			c->ops.remove(c->ops.ud, &gone);
		}
		changed++;
	}
	return changed;
}

static void reconcile_done(void *arg, int rc)
{
	struct reconcile_q *q = arg;
	struct ctl *c = q->c;
	size_t changed = 0, have = 0;
	int64_t *now = NULL;
	if (rc)
		log_warn("controller", "reconciling with the registry failed: %s", strerror(-rc));
	else if (c->have_ops && c->ops.install && c->ops.installed && (now = installed_ids(c, &have))) {
		ctl__modules_learn(c, &q->m);
		/* live here and missing: install */
		for (size_t i = 0; i < q->m.n; i++)
			if (live_here(c, &q->m.v[i]) && !bsearch(&q->m.v[i].id, now, have, sizeof *now, cmp_id)) {
				ctl__platform_install(c, &q->m.v[i], ctl__modules_state(&q->m, i));
				changed++;
			}
		changed += reconcile_remove(q, now, have);
	}
	if (changed)
		log_info("controller", "reconciled with the registry: %zu module(s) installed or removed", changed);
	free(now);
	for (size_t i = 0; q->dead && i < q->nids; i++)
		reg_module_release(&q->dead[i]);
	free(q->dead);
	free(q->ids);
	ctl_modules_release(&q->m);
	free(q);
}

int ctl_reconcile(struct ctl *c)
{
	if (!c->have_ops || !c->ops.install || !c->ops.installed)
		return 0;
	struct reconcile_q *q = calloc(1, sizeof *q);
	if (!q || !(q->ids = installed_ids(c, &q->nids))) {
		free(q);
		return -ENOMEM;
	}
	q->c = c;
	int rc = ctl_registry_submit(c, reconcile_work, reconcile_done, q);
	if (rc) {
		free(q->ids);
		free(q);
	}
	return rc;
}

/* The live states of the modules the platform holds, as text, stored in
 * one transaction. */
struct report_q {
	char *pop;
	int64_t *ids;
	char **texts;                /* per id; NULL: nothing to store */
	size_t n;
	void (*done)(void *ud, int rc);
	void *ud;
};

static int report_work(struct registry *r, void *arg)
{
	struct report_q *q = arg;
	int rc = reg_begin(r), written = 0;
	for (size_t i = 0; i < q->n && !rc; i++) {
		if (!q->texts[i])
			continue;
		int r2 = reg_module_runtime_put(r, q->ids[i], q->pop, q->texts[i]);
		if (r2 == 0)
			written++;
		else if (r2 != -ENOENT) /* -ENOENT: killed meanwhile, nothing to keep */
			rc = r2;
	}
	if (!rc)
		rc = reg_commit(r);
	if (rc)
		reg_rollback(r);
	return rc ? rc : written;
}

static void report_free(struct report_q *q)
{
	for (size_t i = 0; q->texts && i < q->n; i++)
		free(q->texts[i]);
	free(q->texts);
	free(q->ids);
	free(q->pop);
	free(q);
}

static void report_done(void *arg, int rc)
{
	struct report_q *q = arg;
	if (q->done)
		q->done(q->ud, rc);
	report_free(q);
}

int ctl_report_runtime(struct ctl *c, const char *pop, void (*done)(void *ud, int rc), void *ud)
{
	if (!c->have_ops || !c->ops.installed || !c->ops.describe) {
		if (done)
			done(ud, 0);
		return 0;
	}
	struct report_q *q = calloc(1, sizeof *q);
	if (!q)
		return -ENOMEM;
	*q = (struct report_q){.done = done, .ud = ud, .pop = strdup(pop)};
	size_t n = c->ops.installed(c->ops.ud, NULL, 0);
	q->ids = calloc(n ? n : 1, sizeof *q->ids);
	q->texts = calloc(n ? n : 1, sizeof *q->texts);
	if (!q->pop || !q->ids || !q->texts) {
		report_free(q);
		return -ENOMEM;
	}
	size_t got = c->ops.installed(c->ops.ud, q->ids, n);
	q->n = got < n ? got : n;
	for (size_t i = 0; i < q->n; i++) {
		json_t *rt = c->ops.describe(c->ops.ud, q->ids[i]);
		q->texts[i] = rt ? json_dumps(rt, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		json_decref(rt);
	}
	int rc = ctl_registry_submit(c, report_work, report_done, q);
	if (rc)
		report_free(q);
	return rc;
}

int ctl_set_platform_ops(struct ctl *c, const struct ctl_platform_ops *ops)
{
	c->ops = *ops;
	c->have_ops = true;
	return install_all(c);
}

static void default_limits(struct ctl_limits *l)
{
	if (!l->max_steps)
		l->max_steps = 3000;
	if (!l->max_memory_mb)
		l->max_memory_mb = CTL_MAX_MEMORY >> 20;
	if (!l->deadline_ms)
		l->deadline_ms = 10000;
	if (!l->max_config)
		l->max_config = 256 * 1024;
	if (!l->tenant_rps)
		l->tenant_rps = 200;
	if (!l->max_inflight)
		l->max_inflight = 1024;
	if (!l->workers)
		l->workers = 4;
	if (!l->queue_wait_ms)
		l->queue_wait_ms = 5000;
	if (!l->tenant_inflight)
		l->tenant_inflight = 8;
	if (!l->module_flows)
		l->module_flows = 65536;
	if (!l->module_memory_mb)
		l->module_memory_mb = 16;
}

int ctl_new(const struct ctl_env *env, const struct ctl_limits *lim, struct ctl **out)
{
	struct ctl *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->env = *env;
	if (lim)
		c->lim = *lim;
	default_limits(&c->lim);
	int rc = ctl__decide_stateful(c);
	if (!rc && (rc = ctl__registry_start(c)))
		log_error("controller", "cannot start the registry thread: %s", strerror(-rc));
	if (rc) {
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void ctl_free(struct ctl *c)
{
	if (!c)
		return;
	if (c->regw) /* (ctl_close was not called: its handle stays open) */
		reg_worker_stop(c->regw);
	vfy_base_unref(c->base);
	ctl__polcache_unref(c->pc);
	size_t it = 0;
	void *t;
	while ((t = idmap_next(&c->tenants, &it, NULL)))
		free(t);
	idmap_free(&c->tenants);
	free(c->idem_flight);
	for (struct ctl_platform *p = c->platforms, *next; p; p = next) {
		next = p->next;
		idmap_free(&p->reserved);
		free(p->name);
		free(p);
	}
	free(c);
}
