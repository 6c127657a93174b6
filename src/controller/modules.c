/* Stored modules: as JSON for their owner (list, get), kill, and handed
 * to the platform (with their quotas and saved state: docs/stateful.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"
#include "base/log.h"

static json_t *address_json(const struct reg_module *m)
{
	if (!m->platform)
		return json_null();
	char ip[16];
	return json_pack("{s:s, s:i, s:i}", "ip", inet_format_addr(m->ip, ip), "proto", m->proto,
	                 "port", m->port);
}

/* Whether it holds state, which elements, and its quotas. */
static void add_stateful(struct ctl *c, const struct reg_module *m, json_t *j)
{
	json_t *el = m->stateful_elements ? json_loads(m->stateful_elements, 0, NULL) : NULL;
	json_object_set_new(j, "stateful", json_boolean(m->stateful));
	json_object_set_new(j, "stateful_elements", el ? el : json_array());
	json_object_set_new(j, "quotas", ctl__quota_json(c, m->tenant_id, m->stock));
}

/* What a tenant sees of suspends before (or without) a platform that runs
 * the module: none yet, and the state stored for it (st: read on the
 * registry thread; saved_at NULL: none). */
static void add_suspend_counters(const struct reg_module_state *st, json_t *j)
{
	bool saved = st && st->saved_at;
	json_object_set_new(j, "suspends", json_integer(0));
	json_object_set_new(j, "resumes", json_integer(0));
	json_object_set_new(j, "last_suspend_us", json_integer(0));
	json_object_set_new(j, "last_resume_us", json_integer(0));
	json_object_set_new(j, "state_bytes", json_integer(saved ? (json_int_t)st->len : 0));
	json_object_set_new(j, "state_saved_at", saved ? json_string(st->saved_at) : json_null());
	json_object_set_new(j, "tables", json_array());
}

/* The PoP serving its platform; a live module another PoP serves is
 * "placed": committed, waiting for that PoP's innetd to install it
 * (docs/pops.md). */
static void add_pop(struct ctl *c, const struct reg_module *m, json_t *j)
{
	char pop[SNAPSHOT_POP_MAX + 1];
	if (!m->platform)
		return;
	bool here = ctl__served(c, m->platform, pop);
	json_object_set_new(j, "pop", json_string(pop));
	if (!here && strcmp(m->state, "killed"))
		json_object_set_new(j, "state", json_string("placed"));
}

static json_t *mod_json(struct ctl *c, const struct reg_module *m, bool full,
                        const struct reg_module_state *st)
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
	add_pop(c, m, j);
	add_stateful(c, m, j);
	if (full) {
		add_suspend_counters(st, j);
		json_object_set_new(j, "config", m->source ? json_string(m->source) : json_null());
		json_object_set_new(j, "params", m->params ? json_loads(m->params, 0, NULL) : json_null());
		json_object_set_new(j, "requirements", json_string(m->requirements ? m->requirements : ""));
		json_object_set_new(j, "report", rep ? rep : json_null());
		rep = NULL;
	}
	json_decref(rep);
	return j;
}

/* What another PoP's innetd last reported of a module (ctl_report_runtime),
 * read on the registry thread: NULL text when none. */
struct reported {
	char *pop, *text, *at;
};

static void reported_release(struct reported *rp)
{
	free(rp->pop);
	free(rp->text);
	free(rp->at);
}

/* Registry thread: what was reported of m, when another PoP serves it
 * (remote: was it placed on a platform of another PoP, decided on the loop
 * from the snapshot). */
static void reported_read(struct registry *r, const struct reg_module *m, bool remote,
                          struct reported *out)
{
	*out = (struct reported){0};
	if (remote && strcmp(m->state, "killed") &&
	    reg_module_runtime_get(r, m->id, &out->pop, &out->text, &out->at))
		*out = (struct reported){0};
}

/* A module another PoP runs: the live state its innetd last reported
 * through the registry, with where and when. */
static void add_reported_runtime(const struct reported *rp, json_t *j)
{
	json_t *rt = rp && rp->text ? json_loads(rp->text, 0, NULL) : NULL;
	if (!rt)
		return;
	json_t *state = json_object_get(rt, "state");
	if (json_is_string(state)) /* the live state, not "placed" */
		json_object_set(j, "state", state);
	json_object_set_new(j, "runtime", rt);
	json_object_set_new(j, "runtime_reported", json_pack("{s:s, s:s}", "pop", rp->pop, "at", rp->at));
}

/* The platform's live state of a module (describe hook): its "state"
 * replaces the registry's, the counters go in "runtime"; without it, what
 * another PoP reported (rp, may be NULL). */
static void add_runtime(struct ctl *c, const struct reg_module *m, const struct reported *rp,
                        json_t *j)
{
	if (!j || !strcmp(m->state, "killed"))
		return;
	json_t *rt = c->have_ops && c->ops.describe ? c->ops.describe(c->ops.ud, m->id) : NULL;
	if (!rt) {
		if (m->platform && !ctl__served(c, m->platform, NULL))
			add_reported_runtime(rp, j);
		return;
	}
	static const char *const own[] = {"state", "suspends", "resumes", "last_suspend_us",
	                                  "last_resume_us", "state_bytes", "tables"};
	for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
		json_t *v = json_object_get(rt, own[i]);
		/* the platform's counters once it ran the module; before, what is
		 * stored (a saved state's size) stays */
		if (v && (strcmp(own[i], "state_bytes") || json_integer_value(v) > 0))
			json_object_set(j, own[i], v);
	}
	json_object_set_new(j, "runtime", rt);
}

/* Its tenant is suspended: new flows do not start it (docs/operator.md). */
static void add_held(const struct reg_module *m, bool tenant_suspended, json_t *j)
{
	if (j)
		json_object_set_new(j, "held", json_boolean(tenant_suspended &&
		                                            strcmp(m->state, "killed")));
}

int ctl__mod_sib(const struct reg_module *m, struct ctl_sib *s)
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

void ctl__sib_release(struct ctl_sib *s)
{
	free(s->name);
	free(s->click);
	free(s->platform);
	free(s->inline_a);
	free(s->inline_b);
}

void ctl__sibs_free(struct ctl_sib *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ctl__sib_release(&v[i]);
	free(v);
}

static void deployed_of(struct ctl *c, const struct reg_module *m, const struct ctl_sib *s,
                        struct ctl_deployed *d)
{
	uint64_t flows, mem_mb;
	ctl__module_quota(c, m->tenant_id, &flows, &mem_mb);
	*d = (struct ctl_deployed){
		.id = m->id, .tenant_id = m->tenant_id, .name = m->name, .platform = m->platform,
		.inline_a = s->inline_a, .inline_b = s->inline_b, .ip = m->ip, .proto = m->proto,
		.port = m->port, .click = s->click,
		.sandboxed = m->verdict && !strcmp(m->verdict, "sandboxed"),
		.stateful = m->stateful, .flow_capacity = (uint32_t)flows, .mem_quota = mem_mb << 20,
		.stock = m->stock, .params = m->params,
	};
	uint32_t least;
	d->process_memory_mb = ctl__process_memory(c, m->tenant_id, m->stock, &least);
}

/* A module deployed before schema version 4 (stateful_elements NULL):
 * decided now from what runs, and recorded. */
static void decide_stateful(struct ctl *c, struct reg_module *m, const struct ctl_sib *s)
{
	if (m->stateful_elements || !m->platform)
		return;
	char ip[16];
	json_t *el = ctl__stateful_of_text(m->name, s->click, inet_format_addr(m->ip, ip),
	                                   strstr(s->click, "MODULE_PORT") ? "7000" : "0");
	if (!el)
		log_warn("controller", "module %lld: what it runs does not parse; left undecided",
		         (long long)m->id);
	char *text = el ? json_dumps(el, JSON_COMPACT) : NULL;
	if (text && !reg_module_set_stateful(c->env.reg, m->id, json_array_size(el) > 0, text)) {
		m->stateful = json_array_size(el) > 0;
		m->stateful_elements = text;
		text = NULL;
		log_info("controller", "module %lld: %s (decided on load)", (long long)m->id,
		         m->stateful ? "stateful" : "stateless");
	}
	free(text);
	json_decref(el);
}

int ctl__decide_stateful(struct ctl *c)
{
	struct reg_module *v;
	size_t n;
	int rc = reg_modules_live(c->env.reg, 0, &v, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		struct ctl_sib s;
		if (v[i].stateful_elements)
			continue;
		if (!ctl__mod_sib(&v[i], &s))
			decide_stateful(c, &v[i], &s);
		ctl__sib_release(&s);
	}
	if (!rc)
		reg_modules_free(v, n);
	return rc;
}

/* Hand m to the platform through op (install or remove); a refusal is
 * logged: the registry stays the truth. */
static void platform_call(struct ctl *c, const struct reg_module *m,
                          int (*op)(void *ud, const struct ctl_deployed *m), const char *what)
{
	struct ctl_sib s;
	if (!ctl__mod_sib(m, &s)) {
		struct ctl_deployed d;
		deployed_of(c, m, &s, &d);
		int rc = op(c->ops.ud, &d);
		if (rc)
			log_warn("controller", "module %lld: %s: %s", (long long)m->id, what, strerror(-rc));
	}
	ctl__sib_release(&s);
}

/* Install with the state saved at its last suspend (st, read on the
 * registry thread; NULL or no bytes: none): it comes up suspended and
 * resumes with its mappings on its next packet. */
void ctl__platform_install(struct ctl *c, const struct reg_module *m,
                           const struct reg_module_state *st)
{
	struct ctl_sib s;
	if (!c->have_ops || !c->ops.install)
		return;
	if (!ctl__served(c, m->platform, NULL)) /* its PoP's innetd installs it */
		return;
	if (ctl__mod_sib(m, &s)) {
		ctl__sib_release(&s);
		return;
	}
	struct ctl_deployed d;
	deployed_of(c, m, &s, &d);
	if (m->stateful && st && st->state) {
		d.state = st->state;
		d.state_len = st->len;
		log_info("controller", "module %lld: installed with the state saved at %s (%zu bytes)",
		         (long long)m->id, st->saved_at, st->len);
	}
	int rc = c->ops.install(c->ops.ud, &d);
	if (rc)
		log_warn("controller", "module %lld: the platform refused it: %s", (long long)m->id,
		         strerror(-rc));
	else
		ctl__hold_if_suspended(c, m->id, m->tenant_id);
	ctl__sib_release(&s);
}

void ctl__platform_call_remove(struct ctl *c, const struct reg_module *m)
{
	if (c->have_ops && c->ops.remove)
		platform_call(c, m, c->ops.remove, "removing it from the platform");
}

void ctl__platform_remove(struct ctl *c, const struct reg_module *m)
{
	if (c->have_ops && c->ops.remove && ctl__served(c, m->platform, NULL))
		platform_call(c, m, c->ops.remove, "removing it from the platform");
}

/* ---- modules read on the registry thread (struct ctl_modules) ---- */

/* The rows of the tenants of m's modules, each once (one that cannot be
 * read is left out: its defaults apply, as before a row is learned). */
static int read_tenants(struct registry *r, struct ctl_modules *m)
{
	if (!(m->t = calloc(m->n + 1, sizeof *m->t)))
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++) {
		bool seen = false;
		for (size_t k = 0; k < m->nt && !seen; k++)
			seen = m->t[k].id == m->v[i].tenant_id;
		if (!seen && !reg_tenant_get(r, m->v[i].tenant_id, &m->t[m->nt]))
			m->nt++;
	}
	return 0;
}

/* The states saved for m's modules: of the stateful ones with their bytes
 * (CTL_MODULES_STATES), or the size of any live one's
 * (CTL_MODULES_STATE_SIZES). One that cannot be read counts as none. */
static int read_states(struct registry *r, struct ctl_modules *m, bool bytes)
{
	if (!(m->st = calloc(m->n + 1, sizeof *m->st)))
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++) {
		if ((bytes && !m->v[i].stateful) || !strcmp(m->v[i].state, "killed"))
			continue;
		if (reg_module_state_get(r, m->v[i].id, bytes, &m->st[i]))
			m->st[i] = (struct reg_module_state){0};
	}
	return 0;
}

static int read_extras(struct registry *r, unsigned what, struct ctl_modules *out)
{
	int rc = 0;
	if (what & (CTL_MODULES_STATES | CTL_MODULES_STATE_SIZES))
		rc = read_states(r, out, what & CTL_MODULES_STATES);
	if (!rc && (what & CTL_MODULES_TENANTS))
		rc = read_tenants(r, out);
	if (rc)
		ctl_modules_release(out);
	return rc;
}

int ctl_modules_read(struct registry *r, int64_t tenant, unsigned what, struct ctl_modules *out)
{
	*out = (struct ctl_modules){0};
	int rc = reg_modules_live(r, tenant, &out->v, &out->n);
	return rc ? rc : read_extras(r, what, out);
}

int ctl__module_read(struct registry *r, int64_t id, unsigned what, struct ctl_modules *out)
{
	*out = (struct ctl_modules){0};
	if (!(out->v = calloc(1, sizeof *out->v)))
		return -ENOMEM;
	int rc = reg_module_get(r, id, out->v);
	if (rc) {
		free(out->v);
		out->v = NULL;
		return rc;
	}
	out->n = 1;
	return read_extras(r, what, out);
}

int ctl_modules_kill(struct registry *r, int64_t tenant, struct ctl_modules *out)
{
	int rc = ctl_modules_read(r, tenant, 0, out);
	for (size_t i = 0; !rc && i < out->n; i++)
		rc = reg_module_kill(r, out->v[i].id);
	if (rc)
		ctl_modules_release(out);
	return rc;
}

void ctl_modules_release(struct ctl_modules *m)
{
	for (size_t i = 0; m->st && i < m->n; i++)
		reg_module_state_release(&m->st[i]);
	free(m->st);
	reg_modules_free(m->v, m->n);
	reg_tenants_free(m->t, m->nt);
	*m = (struct ctl_modules){0};
}

const struct reg_module_state *ctl__modules_state(const struct ctl_modules *m, size_t i)
{
	return m->st && m->st[i].saved_at ? &m->st[i] : NULL;
}

/* ---- list: the rows on the registry thread, the answer on the loop ---- */

struct list_q {
	struct ctl *c;
	struct ctl_reply reply;
	int64_t tenant;
	bool with_killed;
	struct ctl_names remote;     /* platforms other PoPs serve */
	struct reg_module *v;        /* result */
	size_t n;
	struct reported *rep;        /* per module */
	struct reg_tenant t;
	bool have_t;
};

static void list_q_free(struct list_q *q)
{
	for (size_t i = 0; q->rep && i < q->n; i++)
		reported_release(&q->rep[i]);
	free(q->rep);
	reg_modules_free(q->v, q->n);
	if (q->have_t)
		reg_tenant_release(&q->t);
	ctl__names_free(&q->remote);
	free(q);
}

static int list_work(struct registry *r, void *arg)
{
	struct list_q *q = arg;
	int rc = reg_modules_list(r, q->tenant, q->with_killed, &q->v, &q->n);
	if (rc)
		return rc;
	if (!(q->rep = calloc(q->n + 1, sizeof *q->rep)))
		return -ENOMEM;
	for (size_t i = 0; i < q->n; i++)
		reported_read(r, &q->v[i], ctl__names_have(&q->remote, q->v[i].platform), &q->rep[i]);
	q->have_t = q->n && !reg_tenant_get(r, q->tenant, &q->t);
	return 0;
}

static void list_done(void *arg, int rc)
{
	struct list_q *q = arg;
	struct ctl *c = q->c;
	if (rc) {
		ctl__reply_rc(&q->reply, rc);
		list_q_free(q);
		return;
	}
	if (q->have_t)
		ctl__tenant_note(c, &q->t);
	json_t *a = json_array();
	bool suspended = q->have_t && q->t.suspended_at;
	for (size_t i = 0; i < q->n; i++) {
		json_t *j = mod_json(c, &q->v[i], false, NULL);
		add_held(&q->v[i], suspended, j);
		add_runtime(c, &q->v[i], &q->rep[i], j);
		json_array_append_new(a, j);
	}
	ctl__reply_json(&q->reply, 200, json_pack("{s:o}", "modules", a), NULL);
	list_q_free(q);
}

int ctl_list(struct ctl *c, const struct ctl_caller *who, bool with_killed, ctl_done_fn done,
             void *ud)
{
	struct list_q *q = calloc(1, sizeof *q);
	if (!q)
		return -ENOMEM;
	*q = (struct list_q){.c = c, .reply = {.fn = done, .ud = ud}, .tenant = who->tenant_id,
	                     .with_killed = with_killed};
	int rc = ctl__remote_platforms(c, &q->remote);
	if (!rc)
		rc = ctl_registry_submit(c, list_work, list_done, q);
	if (rc)
		list_q_free(q);
	return rc;
}

/* ---- get ---- */

/* The report of module m as its tenant may see it (privacy.c): its own
 * modules in full, the operator's network at its boundary (mods: the
 * modules of its model, read on the registry thread). */
static int tenant_view(struct ctl *c, enum reg_kind kind, int64_t tenant,
                       const struct reg_modref *mods, size_t n, json_t *j)
{
	json_t *rep = json_object_get(j, "report");
	if (!json_is_object(rep) || kind == REG_KIND_OPERATOR || c->lim.tenant_detail == CTL_DETAIL_FULL)
		return 0;
	const char **own = calloc(2 * n + 1, sizeof *own);
	struct snapshot *snap = c->env.snapshot ? c->env.snapshot(c->env.snapshot_ud) : NULL;
	size_t nown = 0, nops = 0;
	int rc = -ENOMEM;
	if (own) {
		const char **ops = own + n + 1; /* the operator's on-path modules */
		own[nown++] = json_string_value(json_object_get(j, "name"));
		for (size_t i = 0; i < n; i++)
			if (mods[i].tenant_id == tenant && !mods[i].is_inline)
				own[nown++] = mods[i].name;
			else if (mods[i].is_inline)
				ops[nops++] = mods[i].name;
		struct ctl_view v = {c->lim.tenant_detail, own, nown, snap, ops, nops};
		json_t *r = ctl__report_view(rep, &v);
		if (r)
			json_object_set_new(j, "report", r);
		rc = r ? 0 : -ENOMEM;
	}
	if (snap)
		snapshot_unref(snap);
	free(own);
	return rc;
}

struct get_q {
	struct ctl *c;
	struct ctl_reply reply;
	int64_t id, tenant;
	enum reg_kind kind;
	bool admin;                  /* the operator reads any module, with its full report */
	bool any;                    /* any tenant's (admin, or the caller's admin token) */
	bool view;                   /* the tenant's view of the report: its model is read */
	struct ctl_names remote;
	struct ctl_modules m;        /* result: the module, its state's size, its tenant */
	struct reported rep;
	struct reg_modref *mods;
	size_t nmods;
};

static void get_q_free(struct get_q *q)
{
	ctl_modules_release(&q->m);
	reported_release(&q->rep);
	reg_modrefs_free(q->mods, q->nmods);
	ctl__names_free(&q->remote);
	free(q);
}

static int get_work(struct registry *r, void *arg)
{
	struct get_q *q = arg;
	int rc = ctl__module_read(r, q->id, CTL_MODULES_STATE_SIZES | CTL_MODULES_TENANTS, &q->m);
	if (rc)
		return rc;
	const struct reg_module *m = &q->m.v[0];
	if (!q->any && m->tenant_id != q->tenant)
		return -ENOENT;
	reported_read(r, m, ctl__names_have(&q->remote, m->platform), &q->rep);
	if (q->view && m->report)
		rc = reg_modules_model(r, q->tenant, &q->mods, &q->nmods);
	return rc;
}

static void get_answer(struct get_q *q)
{
	struct ctl *c = q->c;
	const struct reg_module *m = &q->m.v[0];
	const struct reg_tenant *t = q->m.nt ? &q->m.t[0] : NULL;
	if (t)
		ctl__tenant_note(c, t);
	json_t *j = mod_json(c, m, true, ctl__modules_state(&q->m, 0));
	add_held(m, t && t->suspended_at, j);
	if (!q->admin && j && tenant_view(c, q->kind, q->tenant, q->mods, q->nmods, j)) {
		json_decref(j);
		ctl__reply_rc(&q->reply, -ENOMEM);
		return;
	}
	add_runtime(c, m, &q->rep, j);
	ctl__reply_json(&q->reply, 200, j, NULL);
}

static void get_done(void *arg, int rc)
{
	struct get_q *q = arg;
	if (rc == -ENOENT)
		ctl__reply_error(&q->reply, 404, "not_found", NULL, q->any ? "there is no module %lld" :
		                 "you have no module %lld", (long long)q->id);
	else if (rc)
		ctl__reply_rc(&q->reply, rc);
	else
		get_answer(q);
	get_q_free(q);
}

int ctl_get(struct ctl *c, const struct ctl_caller *who, int64_t id, ctl_done_fn done, void *ud)
{
	struct get_q *q = calloc(1, sizeof *q);
	if (!q)
		return -ENOMEM;
	bool admin = who->tenant_id == 0 && who->kind == REG_KIND_OPERATOR;
	*q = (struct get_q){.c = c, .reply = {.fn = done, .ud = ud}, .id = id,
	                    .tenant = who->tenant_id, .kind = who->kind, .admin = admin,
	                    .any = admin || who->admin,
	                    .view = !admin && who->kind != REG_KIND_OPERATOR &&
	                            c->lim.tenant_detail != CTL_DETAIL_FULL};
	int rc = ctl__remote_platforms(c, &q->remote);
	if (!rc)
		rc = ctl_registry_submit(c, get_work, get_done, q);
	if (rc)
		get_q_free(q);
	return rc;
}

/* ---- kill: the check and the kill in one transaction ---- */

enum { KILLED_ALREADY = 1 };

struct kill_q {
	struct ctl *c;
	struct ctl_reply reply;
	int64_t id, tenant;
	bool any;                    /* the caller's admin token: any tenant's */
	struct ctl_modules m;        /* result: the module as it was */
};

static int kill_work(struct registry *r, void *arg)
{
	struct kill_q *q = arg;
	int rc = reg_begin(r);
	if (!rc)
		rc = ctl__module_read(r, q->id, 0, &q->m);
	if (!rc && !q->any && q->m.v[0].tenant_id != q->tenant)
		rc = -ENOENT;
	if (!rc && !strcmp(q->m.v[0].state, "killed"))
		rc = KILLED_ALREADY;
	if (!rc && (rc = reg_module_kill(r, q->id)) == -ENOENT)
		rc = KILLED_ALREADY; /* (killed meanwhile, by another innetd) */
	if (!rc)
		rc = reg_commit(r);
	if (rc)
		reg_rollback(r);
	return rc;
}

static void kill_done(void *arg, int rc)
{
	struct kill_q *q = arg;
	const struct reg_module *m = q->m.n ? &q->m.v[0] : NULL;
	if (rc == -ENOENT)
		ctl__reply_error(&q->reply, 404, "not_found", NULL, q->any ? "there is no module %lld" :
		                 "you have no module %lld", (long long)q->id);
	else if (rc == KILLED_ALREADY)
		ctl__reply_error(&q->reply, 404, "not_found", NULL, "module %lld was killed already",
		                 (long long)q->id);
	else if (rc)
		ctl__reply_rc(&q->reply, rc);
	else {
		ctl__modules_changed(q->c, m->tenant_id, m->platform);
		ctl__platform_remove(q->c, m);
		log_info("controller", "module %lld '%s' killed%s", (long long)m->id, m->name,
		         q->any ? " by the operator" : "");
		ctl__reply_json(&q->reply, 204, NULL, json_pack("{s:I, s:I}", "id", (json_int_t)m->id,
		                                                "tenant_id", (json_int_t)m->tenant_id));
	}
	ctl_modules_release(&q->m);
	free(q);
}

int ctl_kill(struct ctl *c, const struct ctl_caller *who, int64_t id, ctl_done_fn done, void *ud)
{
	struct kill_q *q = calloc(1, sizeof *q);
	if (!q)
		return -ENOMEM;
	*q = (struct kill_q){.c = c, .reply = {.fn = done, .ud = ud}, .id = id,
	                     .tenant = who->tenant_id, .any = who->admin};
	int rc = ctl_registry_submit(c, kill_work, kill_done, q);
	if (rc)
		free(q);
	return rc;
}
