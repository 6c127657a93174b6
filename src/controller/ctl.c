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

void ctl_network_stored(struct ctl *c, const struct snapshot *old, const struct snapshot *s)
{
	const char *here = c->env.pop ? c->env.pop : SNAPSHOT_DEFAULT_POP;
	struct reg_module *v;
	size_t n, in = 0, out = 0;
	if (!c->have_ops || reg_modules_live(c->env.reg, 0, &v, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].platform)
			continue;
		bool was = served_in(old, v[i].platform, here), is = served_in(s, v[i].platform, here);
		if (was && !is && c->ops.remove) {
			/* (ctl__platform_remove asks the current snapshot: s already) */
			ctl__platform_call_remove(c, &v[i]);
			out++;
		} else if (!was && is && c->ops.install) {
			ctl__platform_install(c, &v[i]);
			in++;
		}
	}
	reg_modules_free(v, n);
	if (in || out)
		log_info("controller", "network changed: %zu module(s) installed, %zu removed (their "
		         "platforms' PoP changed)", in, out);
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

int ctl__policies_text(struct ctl *c, char **out)
{
	return ctl__policies_read(c->env.reg, out);
}

int ctl__policies_read(struct registry *r, char **out)
{
	struct reg_policy *pol;
	size_t npol;
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

static int install_all(struct ctl *c)
{
	if (!c->have_ops || !c->ops.install)
		return 0;
	struct reg_module *v;
	size_t n;
	int rc = reg_modules_live(c->env.reg, 0, &v, &n);
	if (rc)
		return rc;
	size_t installed = 0;
	for (size_t i = 0; i < n; i++)
		if (ctl__served(c, v[i].platform, NULL)) { /* (another PoP installs its own) */
			ctl__platform_install(c, &v[i]);
			installed++;
		}
	log_info("controller", "%zu deployed module(s) handed to the platform, %zu placed on other "
	         "PoPs", installed, n - installed);
	reg_modules_free(v, n);
	return 0;
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

void ctl_module_changed(struct ctl *c, int64_t id)
{
	if (!c->have_ops || !c->ops.install)
		return;
	struct reg_module m;
	if (reg_module_get(c->env.reg, id, &m))
		return; /* gone (its tenant deleted): the reconcile after it removes it */
	bool want = live_here(c, &m), have = installed_now(c, id);
	if (want && !have) {
		log_info("controller", "module %lld placed here by another innetd: installing it", (long long)id);
		ctl__platform_install(c, &m);
	} else if (!want && have) {
		log_info("controller", "module %lld killed or moved by another innetd: removing it", (long long)id);
		ctl__platform_call_remove(c, &m);
	}
	reg_module_release(&m);
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int ctl_reconcile(struct ctl *c)
{
	if (!c->have_ops || !c->ops.install || !c->ops.installed)
		return 0;
	struct reg_module *v;
	size_t n, changed = 0;
	int rc = reg_modules_live(c->env.reg, 0, &v, &n);
	if (rc)
		return rc;
	size_t have = c->ops.installed(c->ops.ud, NULL, 0);
	int64_t *ids = calloc(have ? have : 1, sizeof *ids);
	if (!ids) {
		reg_modules_free(v, n);
		return -ENOMEM;
	}
	have = c->ops.installed(c->ops.ud, ids, have);
	qsort(ids, have, sizeof *ids, cmp_id);
	/* live here and missing: install; mark the ids that should stay */
	for (size_t i = 0; i < n; i++) {
		if (!live_here(c, &v[i]))
			continue;
		int64_t *at = bsearch(&v[i].id, ids, have, sizeof *ids, cmp_id);
		if (at)
			*at = 0;
		else {
			ctl__platform_install(c, &v[i]);
			changed++;
		}
	}
	/* installed and no longer live here: remove */
	for (size_t i = 0; i < have; i++) {
		if (!ids[i])
			continue;
		struct reg_module m;
		if (reg_module_get(c->env.reg, ids[i], &m) == 0) {
			ctl__platform_call_remove(c, &m);
			reg_module_release(&m);
		} else if (c->ops.remove) { /* its row is gone (its tenant deleted) */
			struct ctl_deployed gone = {.id = ids[i]};
			c->ops.remove(c->ops.ud, &gone);
		}
		changed++;
	}
	free(ids);
	reg_modules_free(v, n);
	if (changed)
		log_info("controller", "reconciled with the registry: %zu module(s) installed or removed", changed);
	return (int)changed;
}

int ctl_report_runtime(struct ctl *c, const char *pop)
{
	if (!c->have_ops || !c->ops.installed || !c->ops.describe)
		return 0;
	size_t n = c->ops.installed(c->ops.ud, NULL, 0);
	int64_t *ids = calloc(n ? n : 1, sizeof *ids);
	if (!ids)
		return -ENOMEM;
	n = c->ops.installed(c->ops.ud, ids, n);
	int rc = reg_begin(c->env.reg), written = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		json_t *rt = c->ops.describe(c->ops.ud, ids[i]);
		char *text = rt ? json_dumps(rt, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		json_decref(rt);
		if (!text)
			continue;
		int r2 = reg_module_runtime_put(c->env.reg, ids[i], pop, text);
		free(text);
		if (r2 == 0)
			written++;
		else if (r2 != -ENOENT) /* -ENOENT: killed meanwhile, nothing to keep */
			rc = r2;
	}
	if (!rc)
		rc = reg_commit(c->env.reg);
	if (rc)
		reg_rollback(c->env.reg);
	free(ids);
	return rc ? rc : written;
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
