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

void ctl__reply_json(struct ctl_reply *rp, int status, json_t *body, json_t *audit)
{
	struct ctl_answer a = {.status = status, .body = body, .audit = audit};
	ctl_done_fn fn = rp->fn;
	rp->fn = NULL;
	fn(rp->ud, &a);
	json_decref(body);
	json_decref(audit);
}

void ctl__reply_text(struct ctl_reply *rp, int status, const char *text, json_t *audit)
{
	struct ctl_answer a = {.status = status, .text = text, .audit = audit};
	ctl_done_fn fn = rp->fn;
	rp->fn = NULL;
	fn(rp->ud, &a);
	json_decref(audit);
}

void ctl__reply_error(struct ctl_reply *rp, int status, const char *code, json_t *details,
                      const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	struct ctl_answer a = {.status = status, .code = code, .message = msg, .details = details};
	ctl_done_fn fn = rp->fn;
	rp->fn = NULL;
	fn(rp->ud, &a);
	json_decref(details);
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

static json_t *diag_messages(const struct diags *d)
{
	json_t *a = json_array();
	for (size_t i = 0; i < d->n; i++)
		json_array_append_new(a, json_string(d->v[i].msg));
	return a;
}

int ctl__current_base(struct ctl *c, struct vfy_base **out, int64_t *version, json_t **errors)
{
	*out = NULL;
	struct snapshot *s = c->env.snapshot(c->env.snapshot_ud);
	if (!s)
		return -ENOENT;
	if (!c->base || c->base_version != s->version) {
		struct diags d;
		diags_init(&d);
		struct vfy_base *b = NULL;
		int rc = vfy_base_build(s, &b, &d);
		if (rc) {
			if (errors)
				*errors = diag_messages(&d);
			diags_free(&d);
			snapshot_unref(s);
			return rc;
		}
		diags_free(&d);
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
	struct reg_policy *pol;
	size_t npol;
	int rc = reg_policy_list(c->env.reg, &pol, &npol);
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

/* ---- generations ---- */

static uint64_t *gen_slot(struct ctl *c, const char *key)
{
	for (size_t i = 0; i < c->ngens; i++)
		if (!strcmp(c->gens[i].key, key))
			return &c->gens[i].gen;
	struct ctl_gen *nv = realloc(c->gens, (c->ngens + 1) * sizeof *nv);
	if (!nv)
		return NULL;
	c->gens = nv;
	nv[c->ngens].key = strdup(key);
	if (!nv[c->ngens].key)
		return NULL;
	nv[c->ngens].gen = 0;
	return &nv[c->ngens++].gen;
}

uint64_t ctl__gen_get(struct ctl *c, const char *kind, const char *name)
{
	char key[128];
	snprintf(key, sizeof key, "%s:%s", kind, name);
	uint64_t *g = gen_slot(c, key);
	return g ? *g : 0;
}

void ctl__gen_bump(struct ctl *c, const char *kind, const char *name)
{
	char key[128];
	snprintf(key, sizeof key, "%s:%s", kind, name);
	uint64_t *g = gen_slot(c, key);
	if (g)
		++*g;
}

uint64_t ctl__tenant_gen(struct ctl *c, int64_t t)
{
	char n[24];
	snprintf(n, sizeof n, "%lld", (long long)t);
	return ctl__gen_get(c, "t", n);
}

void ctl__tenant_bump(struct ctl *c, int64_t t)
{
	char n[24];
	snprintf(n, sizeof n, "%lld", (long long)t);
	ctl__gen_bump(c, "t", n);
}

/* ---- reservations ---- */

bool ctl__reserved(struct ctl *c, const char *platform, uint32_t ip)
{
	for (size_t i = 0; i < c->nresv; i++)
		if (c->resv[i].ip == ip && !strcmp(c->resv[i].platform, platform))
			return true;
	return false;
}

int ctl__reserve(struct ctl *c, const char *platform, uint32_t ip)
{
	struct ctl_resv *nv = realloc(c->resv, (c->nresv + 1) * sizeof *nv);
	if (!nv)
		return -ENOMEM;
	c->resv = nv;
	nv[c->nresv].platform = strdup(platform);
	if (!nv[c->nresv].platform)
		return -ENOMEM;
	nv[c->nresv++].ip = ip;
	return 0;
}

void ctl__unreserve(struct ctl *c, const char *platform, uint32_t ip)
{
	for (size_t i = 0; i < c->nresv; i++)
		if (c->resv[i].ip == ip && !strcmp(c->resv[i].platform, platform)) {
			free(c->resv[i].platform);
			c->resv[i] = c->resv[--c->nresv];
			return;
		}
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
	for (size_t i = 0; i < n; i++)
		ctl__platform_install(c, &v[i]);
	log_info("controller", "%zu deployed module(s) handed to the platform", n);
	reg_modules_free(v, n);
	return 0;
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
	if (!l->deadline_ms)
		l->deadline_ms = 10000;
	if (!l->max_config)
		l->max_config = 256 * 1024;
	if (!l->tenant_rps)
		l->tenant_rps = 200;
	if (!l->max_inflight)
		l->max_inflight = 1024;
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
	*out = c;
	return 0;
}

void ctl_free(struct ctl *c)
{
	if (!c)
		return;
	vfy_base_unref(c->base);
	ctl__polcache_unref(c->pc);
	for (size_t i = 0; i < c->ngens; i++)
		free(c->gens[i].key);
	free(c->gens);
	for (size_t i = 0; i < c->nresv; i++)
		free(c->resv[i].platform);
	free(c->resv);
	free(c->buckets);
	free(c);
}
