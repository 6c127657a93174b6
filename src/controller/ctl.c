/* The controller's state and HTTP handlers (see controller.h). */
#include "controller/controller.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"
#include "controller/stock.h"
#include "base/log.h"

#define NAME_MAX_LEN 64
#define REQS_MAX (64 * 1024)
#define MAX_ROUNDS 64

struct gen {
	char *key; /* "p:<platform>" or "t:<tenant id>" */
	uint64_t gen;
};

struct resv {
	char *platform;
	uint32_t ip;
};

/* The operator's policies, parsed once per text and shared read-only by
 * the jobs (parsing them was a tenth of a check). Loop thread counts. */
struct polcache {
	int refs;
	char *text;
	struct src_file f; /* the parse keeps pointing at it */
	struct vfy_reqs *reqs;
};

struct bucket {
	int64_t tenant;
	double tokens;
	uint64_t last_ms;
};

struct ctl {
	struct api *api;
	struct registry *reg;
	uv_loop_t *loop;
	struct ctl_store *store;
	struct ctl_platform_ops ops;
	bool have_ops;
	struct ctl_limits lim;
	/* the verifier's model of the current snapshot */
	struct vfy_base *base;
	int64_t base_version;
	struct polcache *pc;
	struct gen *gens;
	size_t ngens;
	struct resv *resv;
	size_t nresv;
	struct bucket *buckets;
	size_t nbuckets;
	unsigned inflight;
	/* deploys whose state moved on while they were verified: verified
	 * again one at a time, so that they do not keep invalidating each
	 * other (each commit changes the platform every other one waits for) */
	struct job *rq_head, *rq_tail;
	bool rq_busy;
	api_handler_fn old_policy, old_network;
	void *old_policy_ud, *old_network_ud;
};

/* ---- small state: policies, generations, reservations, rate buckets ---- */

static void pc_unref(struct polcache *pc)
{
	if (!pc || --pc->refs > 0)
		return;
	vfy_reqs_free(pc->reqs);
	free(pc->text);
	free(pc);
}

/* A reference to the parsed policies `text`, or NULL (the job parses
 * them itself and reports any error). */
static struct polcache *pc_get(struct ctl *c, const char *text)
{
	if (!c->pc || strcmp(c->pc->text, text)) {
		struct polcache *pc = calloc(1, sizeof *pc);
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
		pc_unref(c->pc);
		c->pc = pc;
	}
	c->pc->refs++;
	return c->pc;
}

static uint64_t *gen_slot(struct ctl *c, const char *key)
{
	for (size_t i = 0; i < c->ngens; i++)
		if (!strcmp(c->gens[i].key, key))
			return &c->gens[i].gen;
	struct gen *nv = realloc(c->gens, (c->ngens + 1) * sizeof *nv);
	if (!nv)
		return NULL;
	c->gens = nv;
	nv[c->ngens].key = strdup(key);
	if (!nv[c->ngens].key)
		return NULL;
	nv[c->ngens].gen = 0;
	return &nv[c->ngens++].gen;
}

static uint64_t gen_get(struct ctl *c, const char *kind, const char *name)
{
	char key[128];
	snprintf(key, sizeof key, "%s:%s", kind, name);
	uint64_t *g = gen_slot(c, key);
	return g ? *g : 0;
}

static void gen_bump(struct ctl *c, const char *kind, const char *name)
{
	char key[128];
	snprintf(key, sizeof key, "%s:%s", kind, name);
	uint64_t *g = gen_slot(c, key);
	if (g)
		++*g;
}

static uint64_t tenant_gen(struct ctl *c, int64_t t)
{
	char n[24];
	snprintf(n, sizeof n, "%lld", (long long)t);
	return gen_get(c, "t", n);
}

static void tenant_bump(struct ctl *c, int64_t t)
{
	char n[24];
	snprintf(n, sizeof n, "%lld", (long long)t);
	gen_bump(c, "t", n);
}

static bool reserved(struct ctl *c, const char *platform, uint32_t ip)
{
	for (size_t i = 0; i < c->nresv; i++)
		if (c->resv[i].ip == ip && !strcmp(c->resv[i].platform, platform))
			return true;
	return false;
}

static int reserve(struct ctl *c, const char *platform, uint32_t ip)
{
	struct resv *nv = realloc(c->resv, (c->nresv + 1) * sizeof *nv);
	if (!nv)
		return -ENOMEM;
	c->resv = nv;
	nv[c->nresv].platform = strdup(platform);
	if (!nv[c->nresv].platform)
		return -ENOMEM;
	nv[c->nresv++].ip = ip;
	return 0;
}

static void unreserve(struct ctl *c, const char *platform, uint32_t ip)
{
	for (size_t i = 0; i < c->nresv; i++)
		if (c->resv[i].ip == ip && !strcmp(c->resv[i].platform, platform)) {
			free(c->resv[i].platform);
			c->resv[i] = c->resv[--c->nresv];
			return;
		}
}

/* true: allowed; false: over the tenant's request rate */
static bool rate_ok(struct ctl *c, int64_t tenant)
{
	uv_update_time(c->loop);
	uint64_t now = uv_now(c->loop);
	struct bucket *b = NULL;
	for (size_t i = 0; i < c->nbuckets && !b; i++)
		if (c->buckets[i].tenant == tenant)
			b = &c->buckets[i];
	if (!b) {
		struct bucket *nv = realloc(c->buckets, (c->nbuckets + 1) * sizeof *nv);
		if (!nv)
			return true;
		c->buckets = nv;
		b = &nv[c->nbuckets++];
		b->tenant = tenant;
		b->tokens = c->lim.tenant_burst;
		b->last_ms = now;
	}
	b->tokens = fmin(c->lim.tenant_burst,
	                 b->tokens + (double)(now - b->last_ms) * c->lim.tenant_rps / 1000.0);
	b->last_ms = now;
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

/* The model of the current snapshot (rebuilt when the version changes). */
static int current_base(struct ctl *c, struct vfy_base **out, int64_t *version, json_t **err)
{
	*out = NULL;
	struct snapshot *s = api_snapshot(c->api);
	if (!s)
		return -ENOENT;
	if (!c->base || c->base_version != s->version) {
		struct diags d;
		diags_init(&d);
		struct vfy_base *b = NULL;
		int rc = vfy_base_build(s, &b, &d);
		if (rc) {
			if (err) {
				json_t *a = json_array();
				for (size_t i = 0; i < d.n; i++)
					json_array_append_new(a, json_string(d.v[i].msg));
				*err = a;
			}
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

/* ---- module JSON ---- */

static json_t *address_json(const struct ctl_mod *m)
{
	if (!m->platform)
		return json_null();
	char ip[16];
	return json_pack("{s:s, s:i, s:i}", "ip", inet_format_addr(m->ip, ip), "proto", m->proto,
	                 "port", m->port);
}

static json_t *mod_json(const struct ctl_mod *m, bool full)
{
	/* the report (tens of KiB) is parsed only when shown or when it may
	 * hold the on-path link (modules without a platform) */
	json_t *rep = m->report && (full || !m->platform) ? json_loads(m->report, 0, NULL) : NULL;
	json_t *j = json_pack("{s:I, s:s, s:I, s:s, s:s?, s:o, s:s?, s:s?, s:s?, s:s?}", "id",
	                      (json_int_t)m->id, "name", m->name, "tenant_id",
	                      (json_int_t)m->tenant_id, "state", m->state, "platform", m->platform,
	                      "address", address_json(m), "verdict", m->verdict, "stock", m->stock,
	                      "created_at", m->created_at, "updated_at", m->updated_at);
	if (!j) {
		json_decref(rep);
		return NULL;
	}
	json_t *inl = rep ? json_object_get(rep, "inline") : NULL;
	if (inl)
		json_object_set(j, "inline", inl);
	if (full) {
		json_object_set_new(j, "config", m->source ? json_string(m->source) : json_null());
		json_object_set_new(j, "params", m->params ? json_loads(m->params, 0, NULL) : json_null());
		json_object_set_new(j, "requirements", json_string(m->requirements ? m->requirements : ""));
		json_object_set_new(j, "report", rep ? rep : json_null());
		rep = NULL;
	}
	json_decref(rep);
	return j;
}

/* The deployed Click text and inline link of a stored module. */
static int mod_sib(const struct ctl_mod *m, struct ctl_sib *s)
{
	memset(s, 0, sizeof *s);
	json_t *rep = m->report ? json_loads(m->report, 0, NULL) : NULL;
	const char *click = json_string_value(json_object_get(rep, "deployed_config"));
	json_t *inl = json_object_get(rep, "inline");
	s->name = strdup(m->name);
	s->click = strdup(click ? click : m->source ? m->source : "");
	s->platform = m->platform ? strdup(m->platform) : NULL;
	if (json_array_size(inl) == 2) {
		s->inline_a = strdup(json_string_value(json_array_get(inl, 0)));
		s->inline_b = strdup(json_string_value(json_array_get(inl, 1)));
	}
	s->ip = m->ip;
	s->proto = m->proto;
	s->port = m->port;
	json_decref(rep);
	return s->name && s->click ? 0 : -ENOMEM;
}

static void sib_release(struct ctl_sib *s)
{
	free(s->name);
	free(s->click);
	free(s->platform);
	free(s->inline_a);
	free(s->inline_b);
}

static void sibs_free(struct ctl_sib *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sib_release(&v[i]);
	free(v);
}

static void deployed_of(const struct ctl_mod *m, const struct ctl_sib *s, struct ctl_deployed *d)
{
	*d = (struct ctl_deployed){
		.id = m->id, .tenant_id = m->tenant_id, .name = m->name, .platform = m->platform,
		.inline_a = s->inline_a, .inline_b = s->inline_b, .ip = m->ip, .proto = m->proto,
		.port = m->port, .click = s->click,
		.sandboxed = m->verdict && !strcmp(m->verdict, "sandboxed"),
	};
}

/* ---- jobs ---- */

enum job_kind { JOB_CHECK, JOB_DEPLOY };

struct job {
	uv_work_t work;
	struct ctl *ctl;
	struct api_req *r;
	enum job_kind kind;
	int64_t tenant_id, quota;
	char *source, *stock, *params; /* for the row */
	struct ctl_job_in in;
	struct ctl_job_out out;
	int64_t snap_version;
	uint64_t tgen, igen;
	bool reserved;
	bool requeued;  /* this run is the serialized re-verification */
	int64_t *model; /* ids of the modules in the model (id order) */
	char *report_text; /* a winner's report, serialized on the worker */
	struct polcache *pc; /* in.pols */
	uv_timer_t timer; /* the verification deadline */
	bool timer_on, abandoned;
	atomic_bool cancel; /* past the deadline: the worker's engine stops */
	size_t nmodel;
	int rounds;
	struct job *next;
};

static void job_inputs_release(struct job *j)
{
	struct ctl *c = j->ctl;
	for (size_t i = 0; i < j->in.ncands; i++) {
		if (j->reserved && j->in.cands[i].platform && !j->in.cands[i].full)
			unreserve(c, j->in.cands[i].platform, j->in.cands[i].ip);
		free(j->in.cands[i].platform);
	}
	free(j->in.cands);
	j->in.cands = NULL;
	j->in.ncands = 0;
	j->reserved = false;
	sibs_free(j->in.sibs, j->in.nsibs);
	j->in.sibs = NULL;
	j->in.nsibs = 0;
	free(j->in.allowed);
	j->in.allowed = NULL;
	j->in.nallowed = 0;
	free(j->in.policies);
	j->in.policies = NULL;
	pc_unref(j->pc);
	j->pc = NULL;
	j->in.pols = NULL;
	vfy_base_unref(j->in.base);
	j->in.base = NULL;
}

static void job_free(struct job *j)
{
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
static void job_release(struct job *j)
{
	if (j->timer_on) {
		j->timer_on = false;
		uv_close((uv_handle_t *)&j->timer, on_timer_closed);
	} else {
		job_free(j);
	}
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
		if (a == paddr || reserved(c, p->name, (uint32_t)a))
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
 * keeps a job's cost independent of how many modules the tenant runs). */
static bool in_model(const struct job *j, const struct ctl_modref *m)
{
	bool own = m->tenant_id == j->tenant_id;
	if (!strcmp(m->name, j->in.name))
		return false; /* the module being placed (or one it replaces by name) */
	if (m->is_inline)
		return true;
	return own && mentions(j->in.requirements, m->name);
}

/* Did the set of modules in the job's model change since it was built? */
static int model_changed(struct job *j, bool *changed)
{
	struct ctl_modref *mods;
	size_t n;
	int rc = ctl__store_model(j->ctl->store, j->tenant_id, &mods, &n);
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
	ctl__modrefs_free(mods, n);
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

/* Fill the job's inputs from the current state. 0, or answers and returns
 * -EINVAL / a negative errno. */
static int job_inputs(struct job *j)
{
	struct ctl *c = j->ctl;
	json_t *berr = NULL;
	int rc = current_base(c, &j->in.base, &j->snap_version, &berr);
	if (rc == -ENOENT) {
		api_error(j->r, 409, "no_snapshot", NULL,
		          "the operator has not loaded a network snapshot yet");
		return -EINVAL;
	}
	if (rc && rc != -ENOMEM) {
		api_error(j->r, 500, "network_model", json_pack("{s:o}", "errors", berr ? berr : json_array()),
		          "the network snapshot cannot be modelled");
		return -EINVAL;
	}
	json_decref(berr);
	if (rc)
		return rc;
	j->tgen = tenant_gen(c, j->tenant_id);
	j->igen = gen_get(c, "i", "all");
	/* the tenant: kind, prefixes, whitelist */
	struct reg_tenant t;
	if ((rc = reg_tenant_get(c->reg, j->tenant_id, &t)))
		return rc;
	j->quota = t.quota_modules;
	/* modules that stay in the model: the tenant's own and the operator's
	 * inline ones (other tenants' modules are addressed: nothing reaches
	 * them unless sent to their address, and no statement may name them) */
	struct ctl_modref *mods = NULL;
	size_t nmods = 0;
	if ((rc = ctl__store_model(c->store, j->tenant_id, &mods, &nmods))) {
		reg_tenant_release(&t);
		return rc;
	}
	j->in.sibs = calloc(nmods + 1, sizeof *j->in.sibs);
	j->in.allowed = calloc(t.naddresses + t.nwhitelist + nmods + 1, sizeof *j->in.allowed);
	free(j->model);
	j->model = calloc(nmods + 1, sizeof *j->model);
	j->nmodel = 0;
	if (!j->in.sibs || !j->in.allowed || !j->model) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < t.naddresses; i++)
		j->in.allowed[j->in.nallowed++] = t.addresses[i];
	for (size_t i = 0; i < t.nwhitelist; i++)
		j->in.allowed[j->in.nallowed++] = t.whitelist[i];
	for (size_t i = 0; i < nmods; i++) {
		bool own = mods[i].tenant_id == j->tenant_id;
		if (own && !mods[i].is_inline)
			j->in.allowed[j->in.nallowed++] = (struct inet_prefix){mods[i].ip, 32};
		if (!in_model(j, &mods[i]))
			continue;
		struct ctl_mod full;
		if ((rc = ctl__store_get(c->store, mods[i].id, &full)))
			goto out;
		rc = mod_sib(&full, &j->in.sibs[j->in.nsibs++]);
		ctl__mod_release(&full);
		if (rc)
			goto out;
		j->model[j->nmodel++] = mods[i].id;
	}
	/* every operator policy */
	struct reg_policy *pol;
	size_t npol;
	if ((rc = reg_policy_list(c->reg, &pol, &npol)))
		goto out;
	size_t plen = 1;
	for (size_t i = 0; i < npol; i++)
		plen += strlen(pol[i].text) + 1;
	j->in.policies = malloc(plen);
	if (j->in.policies) {
		size_t o = 0;
		for (size_t i = 0; i < npol; i++) {
			size_t l = strlen(pol[i].text);
			memcpy(j->in.policies + o, pol[i].text, l);
			o += l;
			j->in.policies[o++] = '\n';
		}
		j->in.policies[o] = '\0';
	}
	reg_policies_free(pol, npol);
	if (!j->in.policies) {
		rc = -ENOMEM;
		goto out;
	}
	pc_unref(j->pc);
	j->pc = pc_get(c, j->in.policies);
	j->in.pols = j->pc ? j->pc->reqs : NULL;
	/* candidates */
	if (j->in.inline_a) {
		j->in.cands = calloc(1, sizeof *j->in.cands);
		if (!j->in.cands) {
			rc = -ENOMEM;
			goto out;
		}
		j->in.ncands = 1;
		goto out;
	}
	struct reg_platform *pv;
	size_t np;
	if ((rc = reg_platform_list(c->reg, &pv, &np)))
		goto out;
	qsort(pv, np, sizeof *pv, cmp_spare);
	j->in.cands = calloc(np + 1, sizeof *j->in.cands);
	if (!j->in.cands) {
		reg_platforms_free(pv, np);
		rc = -ENOMEM;
		goto out;
	}
	j->reserved = j->kind == JOB_DEPLOY; /* (unreserving what was not reserved is harmless) */
	for (size_t i = 0; i < np && !rc; i++) {
		if (!pv[i].local)
			continue; /* served by a peer innetd */
		uint32_t *used;
		size_t nused;
		if ((rc = ctl__store_platform_ips(c->store, pv[i].name, &used, &nused)))
			break;
		struct ctl_cand *cd = &j->in.cands[j->in.ncands];
		cd->ip = pick_ip(c, &pv[i], used, nused);
		free(used);
		cd->full = pv[i].modules >= pv[i].capacity || cd->ip == 0;
		if (cd->ip == 0) {
			/* pool exhausted: still show where it would have gone */
			struct inet_prefix pool;
			if (!inet_parse_prefix(pv[i].pool, strlen(pv[i].pool), true, &pool))
				cd->ip = pool.addr + 1;
		}
		cd->platform = strdup(pv[i].name);
		cd->gen = gen_get(c, "p", pv[i].name);
		if (!cd->platform) {
			rc = -ENOMEM;
			break;
		}
		j->in.ncands++;
		if (j->kind == JOB_DEPLOY && !cd->full)
			rc = reserve(c, cd->platform, cd->ip);
	}
	reg_platforms_free(pv, np);
out:
	ctl__modrefs_free(mods, nmods);
	reg_tenant_release(&t);
	return rc;
}

static void work_cb(uv_work_t *w)
{
	struct job *j = w->data;
	ctl__job_run(&j->in, &j->out);
	/* a winner's report (tens of KiB with its traces) is serialized and
	 * freed here, on the worker: the loop thread, which answers every
	 * request and commits one deploy at a time, only copies the text */
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

/* JSON text: the object `head` (stolen) with "report": report and, when
 * inline_a is set, "inline": [inline_a, inline_b] added as last members,
 * byte for byte what json_dumps(JSON_COMPACT) gives for the whole object.
 * malloc'd; NULL when out of memory. */
static char *with_report(json_t *head, const char *report, const char *inline_a,
                         const char *inline_b)
{
	char *h = head ? json_dumps(head, JSON_COMPACT) : NULL;
	json_decref(head);
	char *inl = NULL;
	if (inline_a) {
		json_t *a = json_pack("[s, s]", inline_a, inline_b);
		inl = a ? json_dumps(a, JSON_COMPACT) : NULL;
		json_decref(a);
		if (!inl) {
			free(h);
			return NULL;
		}
	}
	size_t hl = h ? strlen(h) : 0;
	if (hl < 2 || h[hl - 1] != '}') {
		free(h);
		free(inl);
		return NULL;
	}
	size_t len = hl + strlen(report) + (inl ? strlen(inl) + 16 : 0) + 16;
	char *out = malloc(len);
	if (out)
		snprintf(out, len, "%.*s%s\"report\":%s%s%s}", (int)(hl - 1), h, hl > 2 ? "," : "",
		         report, inl ? ",\"inline\":" : "", inl ? inl : "");
	free(h);
	free(inl);
	return out;
}

/* The stored report: the worker's text plus "inline" for an on-path
 * module. malloc'd. */
static char *stored_report(const struct job *j)
{
	if (!j->in.inline_a)
		return strdup(j->report_text);
	size_t rl = strlen(j->report_text);
	json_t *a = json_pack("[s, s]", j->in.inline_a, j->in.inline_b);
	char *inl = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	char *out = inl && rl >= 2 ? malloc(rl + strlen(inl) + 16) : NULL;
	if (out)
		sprintf(out, "%.*s%s\"inline\":%s}", (int)(rl - 1), j->report_text, rl > 2 ? "," : "", inl);
	free(inl);
	return out;
}

static void after_work(uv_work_t *w, int status);
static void pump(struct ctl *c);

/* Verification takes too long: answer now and cancel the job (the engine
 * stops at its next step; its result is then dropped and what it reserved
 * is released when the worker returns). */
static void on_deadline(uv_timer_t *t)
{
	struct job *j = t->data;
	if (!j->r)
		return;
	j->abandoned = true;
	atomic_store(&j->cancel, true);
	api_error(j->r, 422, "too_complex", json_pack("{s:I}", "deadline_ms", (json_int_t)j->ctl->lim.deadline_ms),
	          "verifying the request takes longer than %llu ms; simplify the configuration or "
	          "the requirements", (unsigned long long)j->ctl->lim.deadline_ms);
	j->r = NULL;
}

static int job_start(struct job *j)
{
	j->work.data = j;
	int rc = uv_queue_work(j->ctl->loop, &j->work, work_cb, after_work);
	if (rc)
		return -EIO;
	if (!j->timer_on) {
		uv_timer_init(j->ctl->loop, &j->timer);
		j->timer.data = j;
		j->timer_on = true;
	}
	uv_timer_start(&j->timer, on_deadline, j->ctl->lim.deadline_ms, 0);
	return 0;
}

static json_t *address_of(const struct ctl_cand *cd, uint8_t proto, uint16_t port)
{
	if (!cd->platform)
		return json_null();
	char ip[16];
	return json_pack("{s:s, s:i, s:i}", "ip", inet_format_addr(cd->ip, ip), "proto", proto, "port",
	                 port);
}

/* Record the winner (loop thread, one transaction). 0: answered; 1: the
 * state moved on, verify again; <0: errno. */
static int commit(struct job *j)
{
	struct ctl *c = j->ctl;
	const struct ctl_cand *cd = &j->in.cands[j->out.winner];
	struct snapshot *s = api_snapshot(c->api);
	int64_t ver = s ? s->version : -1;
	snapshot_unref(s);
	/* verify again only when what the verdict was computed on changed:
	 * the snapshot or the modules in the model. Capacity, address and
	 * name are checked below in the transaction. (Other tenants' modules
	 * on the platform are addressed: they are not in the model.) */
	if (ver != j->snap_version)
		return 1;
	if (j->tgen != tenant_gen(c, j->tenant_id) || j->igen != gen_get(c, "i", "all")) {
		bool changed;
		int mrc = model_changed(j, &changed);
		if (mrc)
			return mrc;
		if (changed)
			return 1;
	}
	int rc = reg_begin(c->reg);
	if (rc)
		return rc;
	bool taken;
	int64_t n;
	if ((rc = ctl__store_name_taken(c->store, j->tenant_id, j->in.name, &taken)))
		goto fail;
	if (taken) {
		reg_rollback(c->reg);
		api_error(j->r, 409, "name_taken", json_pack("{s:s, s:s}", "field", "name", "value", j->in.name),
		          "you already have a module called '%s'", j->in.name);
		return 0;
	}
	if ((rc = ctl__store_count_tenant(c->store, j->tenant_id, &n)))
		goto fail;
	if (n >= j->quota) {
		reg_rollback(c->reg);
		api_error(j->r, 429, "quota_exceeded", json_pack("{s:I}", "modules", (json_int_t)j->quota),
		          "module quota reached (%lld)", (long long)j->quota);
		return 0;
	}
	if (cd->platform) {
		struct reg_platform *pv;
		size_t np;
		if ((rc = reg_platform_list(c->reg, &pv, &np)))
			goto fail;
		int64_t cap = -1;
		for (size_t i = 0; i < np; i++)
			if (!strcmp(pv[i].name, cd->platform))
				cap = pv[i].capacity;
		reg_platforms_free(pv, np);
		if ((rc = ctl__store_count_platform(c->store, cd->platform, &n)))
			goto fail;
		if (cap < 0 || n >= cap) {
			reg_rollback(c->reg);
			return 1;
		}
	}
	char *rtext = j->report_text ? stored_report(j) : NULL;
	struct ctl_mod m = {
		.tenant_id = j->tenant_id, .name = j->in.name, .source = j->source, .stock = j->stock,
		.params = j->params, .requirements = j->in.requirements,
		.verdict = (char *)ctl__verdict_name(j->out.verdict), .platform = cd->platform,
		.ip = cd->ip, .proto = j->out.proto, .port = j->out.port, .report = rtext,
		.snapshot_version = j->snap_version,
	};
	rc = rtext ? ctl__store_insert(c->store, &m) : -ENOMEM;
	if (rc) {
		free(rtext);
		free(m.created_at);
		reg_rollback(c->reg);
		return rc == -EEXIST ? 1 : rc;
	}
	if ((rc = reg_commit(c->reg))) {
		free(rtext);
		free(m.created_at);
		reg_rollback(c->reg);
		return rc;
	}
	if (cd->platform)
		gen_bump(c, "p", cd->platform);
	else
		gen_bump(c, "i", "all");
	tenant_bump(c, j->tenant_id);
	char ip[16];
	log_info("controller", "module %lld '%s' of tenant %lld deployed on %s at %s (%s)",
	         (long long)m.id, m.name, (long long)j->tenant_id, cd->platform ? cd->platform : "inline",
	         cd->platform ? inet_format_addr(cd->ip, ip) : "-", ctl__verdict_name(j->out.verdict));
	if (c->have_ops && c->ops.install) {
		struct ctl_deployed d = {
			.id = m.id, .tenant_id = m.tenant_id, .name = m.name, .platform = m.platform,
			.inline_a = j->in.inline_a, .inline_b = j->in.inline_b, .ip = m.ip, .proto = m.proto,
			.port = m.port, .click = j->out.deployed, .sandboxed = j->out.verdict == CTL_SANDBOXED,
		};
		int irc = c->ops.install(c->ops.ud, &d);
		if (irc)
			log_warn("controller", "module %lld: the platform refused it: %s", (long long)m.id,
			         strerror(-irc));
	}
	api_req_audit_detail(j->r, json_pack("{s:I, s:s, s:s?}", "id", (json_int_t)m.id, "name", m.name,
	                                     "platform", m.platform));
	json_t *head = json_pack("{s:I, s:s, s:s?, s:o, s:s, s:s}", "id", (json_int_t)m.id,
	                         "name", m.name, "platform", cd->platform, "address",
	                         address_of(cd, j->out.proto, j->out.port), "verdict",
	                         ctl__verdict_name(j->out.verdict), "state", "deployed");
	char *body = with_report(head, rtext, j->in.inline_a, j->in.inline_b);
	free(rtext);
	free(m.created_at);
	if (body)
		api_respond_text(j->r, 201, "application/json", body, strlen(body));
	else
		api_error(j->r, 500, "internal", NULL, "out of memory (module %lld is deployed)",
		          (long long)m.id);
	free(body);
	return 0;
fail:
	reg_rollback(c->reg);
	return rc;
}

static void answer_failure(struct job *j)
{
	json_t *d = j->out.details ? json_incref(j->out.details) : json_object();
	if (j->out.report)
		json_object_set(d, "report", j->out.report);
	api_error(j->r, j->out.http, j->out.code ? j->out.code : "internal", d, "%s",
	          j->out.message ? j->out.message : "verification failed");
}

static void after_work(uv_work_t *w, int status)
{
	struct job *j = w->data;
	struct ctl *c = j->ctl;
	if (j->timer_on)
		uv_timer_stop(&j->timer);
	if (j->abandoned)
		goto done; /* answered already */
	if (status) {
		api_error(j->r, 503, "busy", NULL, "verification was cancelled");
		goto done;
	}
	if (j->kind == JOB_CHECK) {
		/* a verdict (200) when the request could be judged; an error when
		 * it could not (malformed, unverifiable, too complex) */
		static const char *const verdict_codes[] = {"security_rules", "needs_transit",
		                                            "requirement_unsatisfied", "no_capacity"};
		bool verdict = !j->out.http;
		for (size_t k = 0; k < 4 && !verdict; k++)
			verdict = j->out.code && !strcmp(j->out.code, verdict_codes[k]);
		if (!verdict) {
			answer_failure(j);
			goto done;
		}
		json_t *body;
		if (j->out.winner >= 0 && j->report_text) {
			const struct ctl_cand *cd = &j->in.cands[j->out.winner];
			json_t *head = json_pack("{s:s, s:s?, s:o}", "verdict",
			                         ctl__verdict_name(j->out.verdict), "platform", cd->platform,
			                         "address", address_of(cd, j->out.proto, j->out.port));
			char *text = with_report(head, j->report_text, NULL, NULL);
			if (text)
				api_respond_text(j->r, 200, "application/json", text, strlen(text));
			else
				api_error(j->r, 500, "internal", NULL, "out of memory");
			free(text);
			goto done;
		} else if (j->out.winner >= 0) {
			api_error(j->r, 500, "internal", NULL, "out of memory");
			goto done;
		} else {
			body = json_pack("{s:s, s:n, s:n, s:O, s:{s:s, s:s, s:O}}", "verdict", "rejected",
			                 "platform", "address", "report",
			                 j->out.report ? j->out.report : json_null(), "reason", "code",
			                 j->out.code ? j->out.code : "rejected", "message",
			                 j->out.message ? j->out.message : "", "details",
			                 j->out.details ? j->out.details : json_null());
		}
		api_respond(j->r, 200, body);
		goto done;
	}
	if (j->out.winner < 0) {
		answer_failure(j);
		goto done;
	}
	int rc = commit(j);
	if (rc == 1 && ++j->rounds < MAX_ROUNDS) {
		/* the state moved on meanwhile: verify again against the new one */
		job_inputs_release(j);
		ctl__job_out_release(&j->out);
		free(j->report_text);
		j->report_text = NULL;
		if (j->requeued)
			c->rq_busy = false;
		j->next = NULL;
		if (c->rq_tail)
			c->rq_tail->next = j;
		else
			c->rq_head = j;
		c->rq_tail = j;
		pump(c);
		return;
	}
	if (rc == 1)
		api_error(j->r, 503, "busy", NULL, "too much contention; try again");
	else if (rc < 0)
		api_error(j->r, 500, "internal", NULL, "recording the module failed: %s", strerror(-rc));
done:
	if (j->requeued)
		c->rq_busy = false;
	c->inflight--;
	job_release(j);
	pump(c);
}

/* Start the next queued re-verification unless one runs. */
static void pump(struct ctl *c)
{
	while (!c->rq_busy && c->rq_head) {
		struct job *j = c->rq_head;
		c->rq_head = j->next;
		if (!c->rq_head)
			c->rq_tail = NULL;
		j->requeued = true;
		int rc = job_inputs(j);
		if (!rc && !(rc = job_start(j))) {
			c->rq_busy = true;
			return;
		}
		if (rc != -EINVAL)
			api_error(j->r, 500, "internal", NULL, "verifying again: %s", strerror(-rc));
		c->inflight--;
		job_release(j);
	}
}

/* ---- request parsing ---- */

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

/* The request body into j; answers 4xx and returns -EINVAL on error. */
static int parse_request(struct ctl *c, struct api_req *r, struct job *j)
{
	static const char *const fields[] = {"name", "config", "stock", "params", "requirements",
	                                     "inline", NULL};
	json_t *b = api_req_body_object(r, fields);
	if (!b)
		return -EINVAL;
	json_t *name = json_object_get(b, "name"), *config = json_object_get(b, "config");
	json_t *stock = json_object_get(b, "stock"), *params = json_object_get(b, "params");
	json_t *reqs = json_object_get(b, "requirements"), *inl = json_object_get(b, "inline");
	if (!name || !json_is_string(name)) {
		api_error(r, 400, name ? "wrong_type" : "missing_field", json_pack("{s:s}", "field", "name"),
		          "name must be a string (the module's name)");
		return -EINVAL;
	}
	if (!valid_name(json_string_value(name))) {
		api_error(r, 400, "invalid_name", json_pack("{s:s, s:s}", "field", "name", "value",
		                                            json_string_value(name)),
		          "name: '%s' is not a module name (1 to %d of A-Z a-z 0-9 _ -, not starting "
		          "with a digit)", json_string_value(name), NAME_MAX_LEN);
		return -EINVAL;
	}
	if (!!config == !!stock) {
		api_error(r, 400, config ? "conflicting_fields" : "missing_field",
		          json_pack("{s:s}", "field", config ? "stock" : "config"),
		          "give exactly one of \"config\" (Click text) and \"stock\" (a stock module name)");
		return -EINVAL;
	}
	if (config && (!json_is_string(config) || json_string_length(config) > c->lim.max_config ||
	               strlen(json_string_value(config)) != json_string_length(config))) {
		api_error(r, json_is_string(config) && json_string_length(config) > c->lim.max_config ? 413 : 400,
		          json_is_string(config) ? "invalid_config" : "wrong_type",
		          json_pack("{s:s}", "field", "config"),
		          "config must be Click text of at most %zu bytes without NUL", c->lim.max_config);
		return -EINVAL;
	}
	if (params && !stock) {
		api_error(r, 400, "unexpected_field", json_pack("{s:s}", "field", "params"),
		          "params only go with \"stock\"");
		return -EINVAL;
	}
	if (reqs && (!json_is_string(reqs) || json_string_length(reqs) > REQS_MAX ||
	             strlen(json_string_value(reqs)) != json_string_length(reqs))) {
		api_error(r, 400, json_is_string(reqs) ? "invalid_requirements" : "wrong_type",
		          json_pack("{s:s}", "field", "requirements"),
		          "requirements must be text of at most %d bytes (one statement per line)", REQS_MAX);
		return -EINVAL;
	}
	if (inl) {
		if (!json_is_array(inl) || json_array_size(inl) != 2 ||
		    !json_is_string(json_array_get(inl, 0)) || !json_is_string(json_array_get(inl, 1)) ||
		    !valid_endpoint(json_string_value(json_array_get(inl, 0))) ||
		    !valid_endpoint(json_string_value(json_array_get(inl, 1)))) {
			api_error(r, 400, "invalid_inline", json_pack("{s:s}", "field", "inline"),
			          "inline must be [\"NODE:PORT\", \"NODE:PORT\"], a link of the snapshot");
			return -EINVAL;
		}
		if (api_req_principal(r)->kind != REG_KIND_OPERATOR) {
			api_error(r, 403, "inline_forbidden", json_pack("{s:s}", "field", "inline"),
			          "only the operator's modules may be placed on-path; tenant modules are "
			          "addressed");
			return -EINVAL;
		}
		j->in.inline_a = strdup(json_string_value(json_array_get(inl, 0)));
		j->in.inline_b = strdup(json_string_value(json_array_get(inl, 1)));
	}
	j->in.name = strdup(json_string_value(name));
	j->in.requirements = strdup(reqs ? json_string_value(reqs) : "");
	if (config) {
		j->in.click = strdup(json_string_value(config));
		j->source = strdup(j->in.click ? j->in.click : "");
	} else {
		if (!json_is_string(stock)) {
			api_error(r, 400, "wrong_type", json_pack("{s:s}", "field", "stock"),
			          "stock must be the name of a stock module (GET /v1/stock)");
			return -EINVAL;
		}
		json_t *err = NULL;
		int rc = ctl_stock_instantiate(json_string_value(stock), params, &j->in.click, &err);
		if (rc == -ENOENT) {
			api_error(r, 400, "unknown_stock", json_pack("{s:s, s:s}", "field", "stock", "value",
			                                             json_string_value(stock)),
			          "there is no stock module '%s' (GET /v1/stock lists them)",
			          json_string_value(stock));
			return -EINVAL;
		}
		if (rc == -EINVAL && err) {
			api_error(r, 400, "invalid_params",
			          json_pack("{s:O}", "field", json_object_get(err, "field")), "%s",
			          json_string_value(json_object_get(err, "message")));
			json_decref(err);
			return -EINVAL;
		}
		json_decref(err);
		if (rc)
			return rc;
		j->stock = strdup(json_string_value(stock));
		j->params = params ? json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
	}
	if (!j->in.name || !j->in.requirements || !j->in.click)
		return -ENOMEM;
	return 0;
}

static int h_submit(struct api_req *r, struct ctl *c, enum job_kind kind)
{
	const struct api_principal *who = api_req_principal(r);
	if (!rate_ok(c, who->tenant_id)) {
		api_error(r, 429, "rate_limited", json_pack("{s:f}", "per_second", c->lim.tenant_rps),
		          "too many requests; at most %.0f per second", c->lim.tenant_rps);
		return 0;
	}
	if (c->inflight >= c->lim.max_inflight) {
		api_error(r, 503, "busy", NULL, "too many verifications in progress; try again");
		return 0;
	}
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		return -ENOMEM;
	j->ctl = c;
	j->r = r;
	j->kind = kind;
	j->tenant_id = who->tenant_id;
	j->in.kind = who->kind;
	j->in.max_steps = c->lim.max_steps;
	atomic_init(&j->cancel, false);
	j->in.cancel = &j->cancel;
	int rc = parse_request(c, r, j);
	if (rc) {
		job_free(j);
		return rc == -EINVAL ? 0 : rc;
	}
	if (kind == JOB_DEPLOY) {
		bool taken;
		int64_t n;
		if ((rc = ctl__store_name_taken(c->store, j->tenant_id, j->in.name, &taken)) ||
		    (rc = ctl__store_count_tenant(c->store, j->tenant_id, &n))) {
			job_free(j);
			return rc;
		}
		struct reg_tenant t;
		if ((rc = reg_tenant_get(c->reg, j->tenant_id, &t))) {
			job_free(j);
			return rc;
		}
		int64_t quota = t.quota_modules;
		reg_tenant_release(&t);
		if (taken) {
			api_error(r, 409, "name_taken", json_pack("{s:s, s:s}", "field", "name", "value",
			                                          j->in.name),
			          "you already have a module called '%s'", j->in.name);
			job_free(j);
			return 0;
		}
		if (n >= quota) {
			api_error(r, 429, "quota_exceeded", json_pack("{s:I}", "modules", (json_int_t)quota),
			          "module quota reached (%lld)", (long long)quota);
			job_free(j);
			return 0;
		}
	}
	if ((rc = job_inputs(j))) {
		job_free(j);
		return rc == -EINVAL ? 0 : rc;
	}
	if ((rc = job_start(j))) {
		job_free(j);
		return rc;
	}
	c->inflight++;
	return API_PENDING;
}

static int h_check(struct api_req *r, void *ud)
{
	return h_submit(r, ud, JOB_CHECK);
}

static int h_deploy(struct api_req *r, void *ud)
{
	return h_submit(r, ud, JOB_DEPLOY);
}

static int h_stock(struct api_req *r, void *ud)
{
	api_respond(r, 200, json_pack("{s:o}", "stock", ctl_stock_list_json()));
	return 0;
}

/* The platform's live state of a module (describe hook): its "state"
 * replaces the registry's, the counters go in "runtime". */
static void add_runtime(struct ctl *c, const struct ctl_mod *m, json_t *j)
{
	if (!j || !c->have_ops || !c->ops.describe || !strcmp(m->state, "killed"))
		return;
	json_t *rt = c->ops.describe(c->ops.ud, m->id);
	if (!rt)
		return;
	json_t *st = json_object_get(rt, "state");
	if (st)
		json_object_set(j, "state", st);
	json_object_set_new(j, "runtime", rt);
}

static int h_list(struct api_req *r, void *ud)
{
	struct ctl *c = ud;
	char buf[8];
	bool all = api_req_query_param(r, "all", buf, sizeof buf) && (!strcmp(buf, "1") || !strcmp(buf, "true"));
	struct ctl_mod *v;
	size_t n;
	int rc = ctl__store_list(c->store, api_req_principal(r)->tenant_id, all, &v, &n);
	if (rc)
		return rc;
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *j = mod_json(&v[i], false);
		add_runtime(c, &v[i], j);
		json_array_append_new(a, j);
	}
	ctl__mods_free(v, n);
	api_respond(r, 200, json_pack("{s:o}", "modules", a));
	return 0;
}

/* The caller's module {id}; answers 404 (also for another tenant's). */
static int own_module(struct api_req *r, struct ctl *c, struct ctl_mod *m)
{
	int64_t id = api_req_param_id(r, "id");
	int rc = id > 0 ? ctl__store_get(c->store, id, m) : -ENOENT;
	if (!rc && m->tenant_id != api_req_principal(r)->tenant_id) {
		ctl__mod_release(m);
		rc = -ENOENT;
	}
	if (rc == -ENOENT)
		api_error(r, 404, "not_found", NULL, "you have no module %s", api_req_param(r, "id"));
	return rc;
}

static int h_get(struct api_req *r, void *ud)
{
	struct ctl_mod m;
	int rc = own_module(r, ud, &m);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	json_t *j = mod_json(&m, true);
	add_runtime(ud, &m, j);
	api_respond(r, 200, j);
	ctl__mod_release(&m);
	return 0;
}

static int h_kill(struct api_req *r, void *ud)
{
	struct ctl *c = ud;
	struct ctl_mod m;
	int rc = own_module(r, c, &m);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	if (!strcmp(m.state, "killed")) {
		api_error(r, 404, "not_found", NULL, "module %lld was killed already", (long long)m.id);
		ctl__mod_release(&m);
		return 0;
	}
	if ((rc = reg_begin(c->reg)) == 0) {
		rc = ctl__store_kill(c->store, m.id);
		if (!rc)
			rc = reg_commit(c->reg);
		if (rc)
			reg_rollback(c->reg);
	}
	if (rc) {
		ctl__mod_release(&m);
		return rc;
	}
	if (m.platform)
		gen_bump(c, "p", m.platform);
	else
		gen_bump(c, "i", "all");
	tenant_bump(c, m.tenant_id);
	if (c->have_ops && c->ops.remove) {
		struct ctl_sib s;
		if (!mod_sib(&m, &s)) {
			struct ctl_deployed d;
			deployed_of(&m, &s, &d);
			int orc = c->ops.remove(c->ops.ud, &d);
			if (orc)
				log_warn("controller", "module %lld: removing it from the platform: %s",
				         (long long)m.id, strerror(-orc));
		}
		sib_release(&s);
	}
	log_info("controller", "module %lld '%s' killed", (long long)m.id, m.name);
	api_req_audit_detail(r, json_pack("{s:I}", "id", (json_int_t)m.id));
	ctl__mod_release(&m);
	api_respond(r, 204, NULL);
	return 0;
}

/* ---- policy and network changes: re-check deployed modules first ---- */

struct recheck {
	uv_work_t work;
	struct ctl *ctl;
	struct api_req *r;
	bool policy, force;
	char *text;              /* the new policy statement(s) */
	struct vfy_base *base;   /* the model to check on (new network or current) */
	struct ctl_mod *mods;
	size_t nmods;
	struct ctl_sib *sibs;    /* one per module */
	char **stmts;            /* per module: what to check */
	json_t *violations;      /* result */
	json_t *network;         /* policy: failures of the network alone */
	int rc;
};

static void recheck_work(uv_work_t *w)
{
	struct recheck *k = w->data;
	k->violations = json_array();
	if (k->policy) {
		if ((k->rc = ctl__check_statements(k->base, NULL, 0, k->text, k->ctl->lim.max_steps,
		                                   &k->network)))
			return;
	}
	for (size_t i = 0; i < k->nmods; i++) {
		if (k->policy && json_array_size(k->network))
			break; /* failing on the network alone: no module is to blame */
		json_t *v = NULL;
		/* policy: the network plus this module; network: plus the tenant's
		 * modules (and the operator's inline ones), with the module's own
		 * requirements and every policy */
		const struct ctl_sib *mods = &k->sibs[i];
		size_t nm = 1;
		struct ctl_sib *group = NULL;
		if (!k->policy) {
			group = calloc(k->nmods, sizeof *group);
			if (!group) {
				k->rc = -ENOMEM;
				return;
			}
			nm = 0;
			for (size_t q = 0; q < k->nmods; q++)
				if (k->mods[q].tenant_id == k->mods[i].tenant_id || !k->mods[q].platform)
					group[nm++] = k->sibs[q];
			mods = group;
		}
		int rc = ctl__check_statements(k->base, mods, nm, k->stmts[i], k->ctl->lim.max_steps, &v);
		free(group);
		if (rc == -ENOMEM) {
			json_decref(v);
			k->rc = rc;
			return;
		}
		if (rc)
			json_array_append_new(v, json_pack("{s:s, s:s}", "statement", "", "message",
			                                   "the module cannot be verified on this network"));
		size_t q;
		json_t *e;
		json_array_foreach(v, q, e) {
			char ip[16];
			json_object_set_new(e, "module_id", json_integer(k->mods[i].id));
			json_object_set_new(e, "module", json_string(k->mods[i].name));
			json_object_set_new(e, "tenant_id", json_integer(k->mods[i].tenant_id));
			json_object_set_new(e, "platform", k->mods[i].platform ?
			                    json_string(k->mods[i].platform) : json_null());
			json_object_set_new(e, "address", k->mods[i].platform ?
			                    json_string(inet_format_addr(k->mods[i].ip, ip)) : json_null());
			json_array_append(k->violations, e);
		}
		json_decref(v);
	}
}

static void recheck_free(struct recheck *k)
{
	for (size_t i = 0; i < k->nmods && k->stmts; i++)
		free(k->stmts[i]);
	free(k->stmts);
	sibs_free(k->sibs, k->nmods);
	ctl__mods_free(k->mods, k->nmods);
	vfy_base_unref(k->base);
	json_decref(k->violations);
	json_decref(k->network);
	free(k->text);
	free(k);
}

static void recheck_after(uv_work_t *w, int status)
{
	struct recheck *k = w->data;
	struct ctl *c = k->ctl;
	struct api_req *r = k->r;
	c->inflight--;
	if (status || k->rc) {
		api_error(r, 500, "internal", NULL, "re-checking the deployed modules failed: %s",
		          strerror(status ? EIO : -k->rc));
		recheck_free(k);
		return;
	}
	size_t nv = json_array_size(k->violations);
	if (nv && !k->force) {
		api_error(r, 409, k->policy ? "policy_conflict" : "network_conflict",
		          json_pack("{s:O}", "violations", k->violations),
		          "%zu deployed module statement(s) would be violated; kill the modules or force "
		          "the change (%s)", nv, k->policy ? "\"force\": true" : "?force=true");
		recheck_free(k);
		return;
	}
	if (nv)
		log_warn("controller", "%s forced although %zu deployed module statement(s) fail",
		         k->policy ? "policy" : "network", nv);
	if (!k->policy) {
		/* the foundation's handler stores the snapshot and answers */
		int rc = c->old_network(r, c->old_network_ud);
		if (rc < 0)
			api_error(r, 500, "internal", NULL, "internal error: %s", strerror(-rc));
		recheck_free(k);
		return;
	}
	int64_t id;
	int rc = reg_policy_add(c->reg, k->text, api_req_principal(r)->who, &id);
	if (rc) {
		api_error(r, 500, "internal", NULL, "storing the policy failed: %s", strerror(-rc));
		recheck_free(k);
		return;
	}
	api_req_audit_detail(r, json_pack("{s:I, s:I}", "id", (json_int_t)id, "violations",
	                                  (json_int_t)nv));
	api_respond(r, 201, json_pack("{s:I, s:s, s:O, s:O}", "id", (json_int_t)id, "text", k->text,
	                              "violations", k->violations, "network",
	                              k->network ? k->network : json_array()));
	recheck_free(k);
}

static int recheck_start(struct ctl *c, struct recheck *k)
{
	int rc = ctl__store_live(c->store, 0, &k->mods, &k->nmods);
	if (rc)
		return rc;
	k->sibs = calloc(k->nmods + 1, sizeof *k->sibs);
	k->stmts = calloc(k->nmods + 1, sizeof *k->stmts);
	if (!k->sibs || !k->stmts)
		return -ENOMEM;
	char *pols = NULL;
	if (!k->policy) {
		struct reg_policy *pv;
		size_t np;
		if ((rc = reg_policy_list(c->reg, &pv, &np)))
			return rc;
		size_t len = 1;
		for (size_t i = 0; i < np; i++)
			len += strlen(pv[i].text) + 1;
		pols = calloc(1, len);
		for (size_t i = 0; pols && i < np; i++) {
			strcat(pols, pv[i].text);
			strcat(pols, "\n");
		}
		reg_policies_free(pv, np);
		if (!pols)
			return -ENOMEM;
	}
	for (size_t i = 0; i < k->nmods; i++) {
		if ((rc = mod_sib(&k->mods[i], &k->sibs[i])))
			break;
		if (k->policy) {
			k->stmts[i] = strdup(k->text);
		} else {
			const char *req = k->mods[i].requirements ? k->mods[i].requirements : "";
			size_t l = strlen(req) + strlen(pols) + 2;
			k->stmts[i] = malloc(l);
			if (k->stmts[i])
				snprintf(k->stmts[i], l, "%s\n%s", req, pols);
		}
		if (!k->stmts[i]) {
			rc = -ENOMEM;
			break;
		}
	}
	free(pols);
	if (rc)
		return rc;
	k->work.data = k;
	if (uv_queue_work(c->loop, &k->work, recheck_work, recheck_after))
		return -EIO;
	c->inflight++;
	return 0;
}

static int h_policy(struct api_req *r, void *ud)
{
	struct ctl *c = ud;
	static const char *const fields[] = {"text", "force", NULL};
	json_t *b = api_req_body_object(r, fields);
	if (!b)
		return 0;
	json_t *t = json_object_get(b, "text"), *force = json_object_get(b, "force");
	if (!t || !json_is_string(t) || json_string_length(t) == 0 || json_string_length(t) > REQS_MAX ||
	    strlen(json_string_value(t)) != json_string_length(t)) {
		api_error(r, 400, t ? "invalid_policy" : "missing_field", json_pack("{s:s}", "field", "text"),
		          "text must be 1 to %d bytes of policy statements", REQS_MAX);
		return 0;
	}
	if (force && !json_is_boolean(force)) {
		api_error(r, 400, "wrong_type", json_pack("{s:s}", "field", "force"), "force must be a boolean");
		return 0;
	}
	/* the statements must parse (line:column errors) */
	struct src_file f = {"policy", json_string_value(t), json_string_length(t)};
	struct diags d;
	diags_init(&d);
	struct vfy_reqs *rq = NULL;
	int rc = vfy_reqs_parse(&f, &rq, &d);
	vfy_reqs_free(rq);
	if (rc) {
		json_t *errs = json_array();
		for (size_t i = 0; i < d.n; i++) {
			char *txt = diag_format(&d.v[i]);
			json_array_append_new(errs, json_pack("{s:i, s:i, s:s, s:s?}", "line", (int)d.v[i].line,
			                                      "column", (int)d.v[i].col, "message", d.v[i].msg,
			                                      "text", txt));
			free(txt);
		}
		api_error(r, 400, "invalid_policy", json_pack("{s:s, s:o}", "field", "text", "errors", errs),
		          "text: line %u, column %u: %s", d.n ? d.v[0].line : 0, d.n ? d.v[0].col : 0,
		          d.n ? d.v[0].msg : "error");
		diags_free(&d);
		return 0;
	}
	diags_free(&d);
	struct recheck *k = calloc(1, sizeof *k);
	if (!k)
		return -ENOMEM;
	k->ctl = c;
	k->r = r;
	k->policy = true;
	k->force = json_is_true(force);
	k->text = strdup(json_string_value(t));
	json_t *berr = NULL;
	int64_t ver;
	rc = current_base(c, &k->base, &ver, &berr);
	json_decref(berr);
	if (rc == -ENOENT) {
		/* no network yet: nothing deployed can be affected */
		recheck_free(k);
		json_object_del(b, "force");
		return c->old_policy(r, c->old_policy_ud);
	}
	if (!rc && k->text)
		rc = recheck_start(c, k);
	if (rc) {
		recheck_free(k);
		return rc < 0 ? rc : -EIO;
	}
	return API_PENDING;
}

static int h_network(struct api_req *r, void *ud)
{
	struct ctl *c = ud;
	char buf[8];
	bool force = api_req_query_param(r, "force", buf, sizeof buf) &&
	             (!strcmp(buf, "true") || !strcmp(buf, "1"));
	size_t len;
	const char *text = api_req_body_text(r, &len);
	struct diags d;
	diags_init(&d);
	struct snapshot *s = NULL;
	int rc = text && len ? snapshot_parse(text, len, &s, &d) : -EINVAL;
	diags_free(&d);
	if (rc) /* the foundation's handler explains what is wrong */
		return c->old_network(r, c->old_network_ud);
	struct recheck *k = calloc(1, sizeof *k);
	if (!k) {
		snapshot_unref(s);
		return -ENOMEM;
	}
	k->ctl = c;
	k->r = r;
	k->force = force;
	diags_init(&d);
	rc = vfy_base_build(s, &k->base, &d);
	snapshot_unref(s);
	if (rc) {
		json_t *errs = json_array();
		for (size_t i = 0; i < d.n; i++) {
			char *txt = diag_format(&d.v[i]);
			json_array_append_new(errs, json_string(txt ? txt : d.v[i].msg));
			free(txt);
		}
		diags_free(&d);
		recheck_free(k);
		if (rc == -ENOMEM)
			return rc;
		api_error(r, 400, "invalid_snapshot", json_pack("{s:o}", "errors", errs),
		          "the verifier cannot model this network: %s",
		          json_string_value(json_array_get(errs, 0)) ? json_string_value(json_array_get(errs, 0)) : "error");
		return 0;
	}
	diags_free(&d);
	if ((rc = recheck_start(c, k))) {
		recheck_free(k);
		return rc;
	}
	return API_PENDING;
}

/* ---- setup ---- */

static int install_all(struct ctl *c)
{
	if (!c->have_ops || !c->ops.install)
		return 0;
	struct ctl_mod *v;
	size_t n;
	int rc = ctl__store_live(c->store, 0, &v, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct ctl_sib s;
		if (mod_sib(&v[i], &s)) {
			sib_release(&s);
			continue;
		}
		struct ctl_deployed d;
		deployed_of(&v[i], &s, &d);
		int irc = c->ops.install(c->ops.ud, &d);
		if (irc)
			log_warn("controller", "module %lld: the platform refused it: %s",
			         (long long)v[i].id, strerror(-irc));
		sib_release(&s);
	}
	log_info("controller", "%zu deployed module(s) handed to the platform", n);
	ctl__mods_free(v, n);
	return 0;
}

int ctl_set_platform_ops(struct ctl *c, const struct ctl_platform_ops *ops)
{
	c->ops = *ops;
	c->have_ops = true;
	return install_all(c);
}

int ctl_new(struct api *api, const struct ctl_limits *lim, struct ctl **out)
{
	struct ctl *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->api = api;
	c->reg = api_registry(api);
	c->loop = api_loop(api);
	if (lim)
		c->lim = *lim;
	if (!c->lim.max_steps)
		c->lim.max_steps = getenv("INNETD_VERIFY_STEPS") && atoll(getenv("INNETD_VERIFY_STEPS")) > 0 ? (uint64_t)atoll(getenv("INNETD_VERIFY_STEPS")) : 3000;
	if (!c->lim.deadline_ms) {
		const char *e = getenv("INNETD_VERIFY_DEADLINE_MS");
		c->lim.deadline_ms = e && atoll(e) > 0 ? (uint64_t)atoll(e) : 10000;
	}
	if (!c->lim.max_config)
		c->lim.max_config = 256 * 1024;
	if (!c->lim.tenant_rps) {
		const char *e = getenv("INNETD_TENANT_RPS");
		c->lim.tenant_rps = e && atof(e) > 0 ? atof(e) : 200;
	}
	if (!c->lim.tenant_burst)
		c->lim.tenant_burst = 2 * c->lim.tenant_rps;
	if (!c->lim.max_inflight)
		c->lim.max_inflight = 1024;
	int rc = ctl__store_open(c->reg, &c->store);
	if (rc) {
		free(c);
		return rc;
	}
	static const struct {
		const char *method, *pattern;
		enum api_auth auth;
		api_handler_fn fn;
	} routes[] = {
		{"POST", "/v1/check", API_TENANT, h_check},
		{"POST", "/v1/modules", API_TENANT, h_deploy},
		{"GET", "/v1/modules", API_TENANT, h_list},
		{"GET", "/v1/modules/{id}", API_TENANT, h_get},
		{"DELETE", "/v1/modules/{id}", API_TENANT, h_kill},
		{"GET", "/v1/stock", API_ANY, h_stock},
	};
	for (size_t i = 0; i < sizeof routes / sizeof routes[0] && !rc; i++)
		rc = api_route(api, routes[i].method, routes[i].pattern, routes[i].auth, routes[i].fn, c);
	if (!rc)
		rc = api_route_wrap(api, "POST", "/v1/policies", h_policy, c, &c->old_policy,
		                    &c->old_policy_ud);
	if (!rc)
		rc = api_route_wrap(api, "PUT", "/v1/network", h_network, c, &c->old_network,
		                    &c->old_network_ud);
	if (rc) {
		log_error("controller", "registering routes: %s", strerror(-rc));
		ctl__store_close(c->store);
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
	ctl__store_close(c->store);
	vfy_base_unref(c->base);
	pc_unref(c->pc);
	for (size_t i = 0; i < c->ngens; i++)
		free(c->gens[i].key);
	free(c->gens);
	for (size_t i = 0; i < c->nresv; i++)
		free(c->resv[i].platform);
	free(c->resv);
	free(c->buckets);
	free(c);
}
