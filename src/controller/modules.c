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
	json_object_set_new(j, "quotas", ctl__quota_json(c, m->tenant_id));
}

/* What a tenant sees of suspends before (or without) a platform that runs
 * the module: none yet, and the state stored for it. */
static void add_suspend_counters(struct ctl *c, const struct reg_module *m, json_t *j)
{
	struct reg_module_state st;
	bool saved = !strcmp(m->state, "killed") ? false
	             : !reg_module_state_get(c->env.reg, m->id, false, &st);
	json_object_set_new(j, "suspends", json_integer(0));
	json_object_set_new(j, "resumes", json_integer(0));
	json_object_set_new(j, "last_suspend_us", json_integer(0));
	json_object_set_new(j, "last_resume_us", json_integer(0));
	json_object_set_new(j, "state_bytes", json_integer(saved ? (json_int_t)st.len : 0));
	json_object_set_new(j, "state_saved_at", saved ? json_string(st.saved_at) : json_null());
	json_object_set_new(j, "tables", json_array());
	if (saved)
		reg_module_state_release(&st);
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

static json_t *mod_json(struct ctl *c, const struct reg_module *m, bool full)
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
		add_suspend_counters(c, m, j);
		json_object_set_new(j, "config", m->source ? json_string(m->source) : json_null());
		json_object_set_new(j, "params", m->params ? json_loads(m->params, 0, NULL) : json_null());
		json_object_set_new(j, "requirements", json_string(m->requirements ? m->requirements : ""));
		json_object_set_new(j, "report", rep ? rep : json_null());
		rep = NULL;
	}
	json_decref(rep);
	return j;
}

/* The platform's live state of a module (describe hook): its "state"
 * replaces the registry's, the counters go in "runtime". */
/* A module another PoP runs: the live state its innetd last reported
 * through the registry (ctl_report_runtime), with where and when. */
static void add_reported_runtime(struct ctl *c, const struct reg_module *m, json_t *j)
{
	if (!m->platform || ctl__served(c, m->platform, NULL))
		return;
	char *pop, *text, *at;
	if (reg_module_runtime_get(c->env.reg, m->id, &pop, &text, &at))
		return;
	json_t *rt = json_loads(text, 0, NULL);
	if (rt) {
		json_t *state = json_object_get(rt, "state");
		if (json_is_string(state)) /* the live state, not "placed" */
			json_object_set(j, "state", state);
		json_object_set_new(j, "runtime", rt);
		json_object_set_new(j, "runtime_reported", json_pack("{s:s, s:s}", "pop", pop, "at", at));
	}
	free(pop);
	free(text);
	free(at);
}

static void add_runtime(struct ctl *c, const struct reg_module *m, json_t *j)
{
	if (!j || !strcmp(m->state, "killed"))
		return;
	json_t *rt = c->have_ops && c->ops.describe ? c->ops.describe(c->ops.ud, m->id) : NULL;
	if (!rt) {
		add_reported_runtime(c, m, j);
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
	};
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

/* Install with the state saved at its last suspend, if any: it comes up
 * suspended and resumes with its mappings on its next packet. */
void ctl__platform_install(struct ctl *c, const struct reg_module *m)
{
	struct ctl_sib s;
	if (!ctl__served(c, m->platform, NULL)) /* its PoP's innetd installs it */
		return;
	if (ctl__mod_sib(m, &s)) {
		ctl__sib_release(&s);
		return;
	}
	struct ctl_deployed d;
	deployed_of(c, m, &s, &d);
	struct reg_module_state st = {0};
	if (m->stateful && !reg_module_state_get(c->env.reg, m->id, true, &st)) {
		d.state = st.state;
		d.state_len = st.len;
		log_info("controller", "module %lld: installed with the state saved at %s (%zu bytes)",
		         (long long)m->id, st.saved_at, st.len);
	}
	int rc = c->ops.install(c->ops.ud, &d);
	if (rc)
		log_warn("controller", "module %lld: the platform refused it: %s", (long long)m->id,
		         strerror(-rc));
	else
		ctl__hold_if_suspended(c, m->id, m->tenant_id);
	reg_module_state_release(&st);
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

int ctl_list(struct ctl *c, const struct ctl_caller *who, bool with_killed, ctl_done_fn done,
             void *ud)
{
	struct reg_module *v;
	size_t n;
	int rc = reg_modules_list(c->env.reg, who->tenant_id, with_killed, &v, &n);
	if (rc)
		return rc;
	json_t *a = json_array();
	bool suspended = n && ctl__tenant_suspended(c, who->tenant_id);
	for (size_t i = 0; i < n; i++) {
		json_t *j = mod_json(c, &v[i], false);
		add_held(&v[i], suspended, j);
		add_runtime(c, &v[i], j);
		json_array_append_new(a, j);
	}
	reg_modules_free(v, n);
	struct ctl_reply rp = {.fn = done, .ud = ud};
	ctl__reply_json(&rp, 200, json_pack("{s:o}", "modules", a), NULL);
	return 0;
}

/* The caller's module id; answers 404 (also for another tenant's) and
 * returns -ENOENT. */
static int own_module(struct ctl *c, const struct ctl_caller *who, int64_t id,
                      struct reg_module *m, struct ctl_reply *rp)
{
	int rc = reg_module_get(c->env.reg, id, m);
	if (!rc && !who->admin && m->tenant_id != who->tenant_id) {
		reg_module_release(m);
		rc = -ENOENT;
	}
	if (rc == -ENOENT)
		ctl__reply_error(rp, 404, "not_found", NULL, who->admin ? "there is no module %lld" :
		                 "you have no module %lld", (long long)id);
	return rc;
}

/* The report of module m as its tenant may see it (privacy.c): its own
 * modules in full, the operator's network at its boundary. */
static int tenant_view(struct ctl *c, const struct ctl_caller *who, json_t *j)
{
	json_t *rep = json_object_get(j, "report");
	if (!json_is_object(rep) || who->kind == REG_KIND_OPERATOR ||
	    c->lim.tenant_detail == CTL_DETAIL_FULL)
		return 0;
	struct reg_modref *mods = NULL;
	size_t n = 0;
	int rc = reg_modules_model(c->env.reg, who->tenant_id, &mods, &n);
	if (rc)
		return rc;
	const char **own = calloc(2 * n + 1, sizeof *own);
	struct snapshot *snap = c->env.snapshot ? c->env.snapshot(c->env.snapshot_ud) : NULL;
	size_t nown = 0, nops = 0;
	if (own) {
		const char **ops = own + n + 1; /* the operator's on-path modules */
		own[nown++] = json_string_value(json_object_get(j, "name"));
		for (size_t i = 0; i < n; i++)
			if (mods[i].tenant_id == who->tenant_id && !mods[i].is_inline)
				own[nown++] = mods[i].name;
			else if (mods[i].is_inline)
				ops[nops++] = mods[i].name;
		struct ctl_view v = {c->lim.tenant_detail, own, nown, snap, ops, nops};
		json_t *r = ctl__report_view(rep, &v);
		if (r)
			json_object_set_new(j, "report", r);
		rc = r ? 0 : -ENOMEM;
	} else {
		rc = -ENOMEM;
	}
	if (snap)
		snapshot_unref(snap);
	free(own);
	reg_modrefs_free(mods, n);
	return rc;
}

int ctl_get(struct ctl *c, const struct ctl_caller *who, int64_t id, ctl_done_fn done, void *ud)
{
	struct ctl_reply rp = {.fn = done, .ud = ud};
	struct reg_module m;
	/* the operator (admin token) reads any module, with its full report */
	bool admin = who->tenant_id == 0 && who->kind == REG_KIND_OPERATOR;
	int rc = admin ? reg_module_get(c->env.reg, id, &m) : own_module(c, who, id, &m, &rp);
	if (rc == -ENOENT && admin)
		ctl__reply_error(&rp, 404, "not_found", NULL, "there is no module %lld", (long long)id);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	json_t *j = mod_json(c, &m, true);
	add_held(&m, ctl__tenant_suspended(c, m.tenant_id), j);
	if (!admin && j && tenant_view(c, who, j)) {
		json_decref(j);
		reg_module_release(&m);
		return -ENOMEM;
	}
	add_runtime(c, &m, j);
	ctl__reply_json(&rp, 200, j, NULL);
	reg_module_release(&m);
	return 0;
}

/* Mark m killed and free its address, in one transaction. */
static int store_kill(struct ctl *c, int64_t id)
{
	int rc = reg_begin(c->env.reg);
	if (rc)
		return rc;
	rc = reg_module_kill(c->env.reg, id);
	if (!rc)
		rc = reg_commit(c->env.reg);
	if (rc)
		reg_rollback(c->env.reg);
	return rc;
}

int ctl_kill(struct ctl *c, const struct ctl_caller *who, int64_t id, ctl_done_fn done, void *ud)
{
	struct ctl_reply rp = {.fn = done, .ud = ud};
	struct reg_module m;
	int rc = own_module(c, who, id, &m, &rp);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	if (!strcmp(m.state, "killed")) {
		ctl__reply_error(&rp, 404, "not_found", NULL, "module %lld was killed already",
		                 (long long)m.id);
		reg_module_release(&m);
		return 0;
	}
	if ((rc = store_kill(c, m.id))) {
		reg_module_release(&m);
		return rc;
	}
	ctl__modules_changed(c, m.tenant_id, m.platform);
	ctl__platform_remove(c, &m);
	log_info("controller", "module %lld '%s' killed%s", (long long)m.id, m.name,
	         who->admin ? " by the operator" : "");
	ctl__reply_json(&rp, 204, NULL, json_pack("{s:I, s:I}", "id", (json_int_t)m.id, "tenant_id",
	                                          (json_int_t)m.tenant_id));
	reg_module_release(&m);
	return 0;
}
