/* Stored modules: as JSON for their owner (list, get), kill, and handed
 * to the platform. */
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

static json_t *mod_json(const struct reg_module *m, bool full)
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

/* The platform's live state of a module (describe hook): its "state"
 * replaces the registry's, the counters go in "runtime". */
static void add_runtime(struct ctl *c, const struct reg_module *m, json_t *j)
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

static void deployed_of(const struct reg_module *m, const struct ctl_sib *s, struct ctl_deployed *d)
{
	*d = (struct ctl_deployed){
		.id = m->id, .tenant_id = m->tenant_id, .name = m->name, .platform = m->platform,
		.inline_a = s->inline_a, .inline_b = s->inline_b, .ip = m->ip, .proto = m->proto,
		.port = m->port, .click = s->click,
		.sandboxed = m->verdict && !strcmp(m->verdict, "sandboxed"),
	};
}

/* Hand m to the platform through op (install or remove); a refusal is
 * logged: the registry stays the truth. */
static void platform_call(struct ctl *c, const struct reg_module *m,
                          int (*op)(void *ud, const struct ctl_deployed *m), const char *what)
{
	struct ctl_sib s;
	if (!ctl__mod_sib(m, &s)) {
		struct ctl_deployed d;
		deployed_of(m, &s, &d);
		int rc = op(c->ops.ud, &d);
		if (rc)
			log_warn("controller", "module %lld: %s: %s", (long long)m->id, what, strerror(-rc));
	}
	ctl__sib_release(&s);
}

void ctl__platform_install(struct ctl *c, const struct reg_module *m)
{
	platform_call(c, m, c->ops.install, "the platform refused it");
}

static void platform_remove(struct ctl *c, const struct reg_module *m)
{
	if (c->have_ops && c->ops.remove)
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
	for (size_t i = 0; i < n; i++) {
		json_t *j = mod_json(&v[i], false);
		add_runtime(c, &v[i], j);
		json_array_append_new(a, j);
	}
	reg_modules_free(v, n);
	struct ctl_reply rp = {done, ud};
	ctl__reply_json(&rp, 200, json_pack("{s:o}", "modules", a), NULL);
	return 0;
}

/* The caller's module id; answers 404 (also for another tenant's) and
 * returns -ENOENT. */
static int own_module(struct ctl *c, const struct ctl_caller *who, int64_t id,
                      struct reg_module *m, struct ctl_reply *rp)
{
	int rc = reg_module_get(c->env.reg, id, m);
	if (!rc && m->tenant_id != who->tenant_id) {
		reg_module_release(m);
		rc = -ENOENT;
	}
	if (rc == -ENOENT)
		ctl__reply_error(rp, 404, "not_found", NULL, "you have no module %lld", (long long)id);
	return rc;
}

int ctl_get(struct ctl *c, const struct ctl_caller *who, int64_t id, ctl_done_fn done, void *ud)
{
	struct ctl_reply rp = {done, ud};
	struct reg_module m;
	int rc = own_module(c, who, id, &m, &rp);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	json_t *j = mod_json(&m, true);
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
	struct ctl_reply rp = {done, ud};
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
	platform_remove(c, &m);
	log_info("controller", "module %lld '%s' killed", (long long)m.id, m.name);
	ctl__reply_json(&rp, 204, NULL, json_pack("{s:I}", "id", (json_int_t)m.id));
	reg_module_release(&m);
	return 0;
}
