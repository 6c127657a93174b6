/* Operator controls over a tenant (docs/operator.md): its modules held
 * while it is suspended, what was read of its quotas forgotten when they
 * change, and all its modules killed when it is deleted with them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "controller/internal.h"

bool ctl__tenant_suspended(struct ctl *c, int64_t tenant)
{
	struct reg_tenant t;
	if (reg_tenant_get(c->env.reg, tenant, &t))
		return false;
	bool s = t.suspended_at != NULL;
	reg_tenant_release(&t);
	return s;
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
static bool reinstall_with_state(struct ctl *c, const struct reg_module *m)
{
	struct reg_module_state st;
	if (!m->stateful || !c->ops.install || reg_module_state_get(c->env.reg, m->id, false, &st))
		return false;
	reg_module_state_release(&st);
	ctl__platform_remove(c, m);
	ctl__platform_install(c, m);
	return true;
}

int ctl_tenant_hold(struct ctl *c, int64_t tenant, bool hold)
{
	struct reg_module *v;
	size_t n;
	int rc = reg_modules_live(c->env.reg, tenant, &v, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n && c->have_ops && c->ops.hold; i++)
		if (v[i].platform && (hold || !reinstall_with_state(c, &v[i])))
			hold_one(c, v[i].id, hold);
	reg_modules_free(v, n);
	log_info("controller", "tenant %lld: %zu module(s) %s", (long long)tenant, n,
	         hold ? "held" : "released");
	return (int)n;
}

void ctl_tenant_changed(struct ctl *c, int64_t tenant)
{
	ctl__tenant_forget(c, tenant); /* quotas and rate read again */
}

/* Mark every module of v killed, in one transaction. */
static int store_kills(struct ctl *c, const struct reg_module *v, size_t n)
{
	int rc = reg_begin(c->env.reg);
	if (rc)
		return rc;
	for (size_t i = 0; !rc && i < n; i++)
		rc = reg_module_kill(c->env.reg, v[i].id);
	if (!rc)
		rc = reg_commit(c->env.reg);
	if (rc)
		reg_rollback(c->env.reg);
	return rc;
}

int ctl_tenant_kill_all(struct ctl *c, int64_t tenant, json_t **ids)
{
	struct reg_module *v;
	size_t n;
	int rc = reg_modules_live(c->env.reg, tenant, &v, &n);
	if (rc)
		return rc;
	if ((rc = store_kills(c, v, n))) {
		reg_modules_free(v, n);
		return rc;
	}
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		ctl__modules_changed(c, tenant, v[i].platform);
		ctl__platform_remove(c, &v[i]);
		json_array_append_new(a, json_integer((json_int_t)v[i].id));
		log_info("controller", "module %lld '%s' killed with its tenant %lld", (long long)v[i].id,
		         v[i].name, (long long)tenant);
	}
	if (ids)
		*ids = a;
	else
		json_decref(a);
	reg_modules_free(v, n);
	return (int)n;
}
