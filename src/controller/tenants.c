/* Operator controls over a tenant (docs/operator.md): its modules held
 * while it is suspended, what was read of its quotas forgotten when they
 * change, and all its modules killed when it is deleted with them. The
 * rows are read (and the kills stored) on the registry thread by whoever
 * calls (ctl_modules_read, ctl_modules_kill); the platform is told here, on
 * the loop. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "controller/internal.h"

void ctl__tenant_note(struct ctl *c, const struct reg_tenant *t)
{
	if (!ctl__tenant_known(c, t->id)) {
		ctl__tenant_learn(c, t);
		return;
	}
	struct ctl_tenant *ct = ctl__tenant(c, t->id);
	if (ct) /* (its quotas are read again after a change: ctl_tenant_changed) */
		ct->suspended = t->suspended_at != NULL;
}

void ctl__modules_learn(struct ctl *c, const struct ctl_modules *m)
{
	for (size_t i = 0; i < m->nt; i++)
		ctl__tenant_note(c, &m->t[i]);
}

bool ctl__tenant_suspended(struct ctl *c, int64_t tenant)
{
	struct ctl_tenant *ct = idmap_get(&c->tenants, (uint64_t)tenant);
	return ct && ct->suspended;
}

static int hold_one(struct ctl *c, int64_t id, bool hold)
{
	int rc = c->ops.hold(c->ops.ud, id, hold);
	if (rc && rc != -ENOENT) /* -ENOENT: inline, or the platform refused it */
		log_warn("controller", "module %lld: %s it: %s", (long long)id,
		         hold ? "holding" : "releasing", strerror(-rc));
	return rc;
}

void ctl__hold_if_suspended(struct ctl *c, int64_t id, int64_t tenant)
{
	if (c->have_ops && c->ops.hold && ctl__tenant_suspended(c, tenant))
		hold_one(c, id, true);
}

/* A stateful module with a state saved in the registry (at a suspend
 * before or while it was held; holding dropped the platform's copy):
 * installed again with it, so that it resumes with its mappings. */
static bool reinstall_with_state(struct ctl *c, const struct reg_module *m,
                                 const struct reg_module_state *st)
{
	if (!m->stateful || !c->ops.install || !st)
		return false;
	ctl__platform_remove(c, m);
	ctl__platform_install(c, m, st);
	return true;
}

int ctl_tenant_hold(struct ctl *c, int64_t tenant, bool hold, const struct ctl_modules *m)
{
	struct ctl_tenant *ct = ctl__tenant(c, tenant);
	if (ct) /* (before the reinstalls below: they hold what is suspended) */
		ct->suspended = hold;
	ctl__modules_learn(c, m);
	for (size_t i = 0; i < m->n && c->have_ops && c->ops.hold; i++)
		if (m->v[i].platform && (hold || !reinstall_with_state(c, &m->v[i], ctl__modules_state(m, i))))
			hold_one(c, m->v[i].id, hold);
	log_info("controller", "tenant %lld: %zu module(s) %s", (long long)tenant, m->n,
	         hold ? "held" : "released");
	return (int)m->n;
}

void ctl_tenant_changed(struct ctl *c, int64_t tenant)
{
	ctl__tenant_forget(c, tenant); /* quotas and rate read again */
}

int ctl_tenant_killed(struct ctl *c, int64_t tenant, const struct ctl_modules *m, json_t **ids)
{
	json_t *a = json_array();
	for (size_t i = 0; i < m->n; i++) {
		ctl__modules_changed(c, tenant, m->v[i].platform);
		ctl__platform_remove(c, &m->v[i]);
		json_array_append_new(a, json_integer((json_int_t)m->v[i].id));
		log_info("controller", "module %lld '%s' killed with its tenant %lld", (long long)m->v[i].id,
		         m->v[i].name, (long long)tenant);
	}
	if (ids)
		*ids = a;
	else
		json_decref(a);
	return (int)m->n;
}
