/* Quotas and rates: a tenant's check and deploy requests per second, its
 * module count and its module names. */
#include <errno.h>
#include <stdlib.h>

#include "controller/internal.h"

/* The tenant's own rate, or the default. (Read once: a tenant's quotas
 * do not change.) */
static uint64_t tenant_rps(struct ctl *c, int64_t id)
{
	struct reg_tenant t;
	if (reg_tenant_get(c->env.reg, id, &t))
		return c->lim.tenant_rps;
	uint64_t rps = t.quota_rps > 0 ? (uint64_t)t.quota_rps : c->lim.tenant_rps;
	reg_tenant_release(&t);
	return rps;
}

bool ctl__rate_ok(struct ctl *c, int64_t tenant)
{
	struct ctl_tenant *t = ctl__tenant(c, tenant);
	if (!t)
		return true; /* out of memory: the request fails further on anyway */
	uv_update_time(c->env.loop);
	uint64_t now = uv_now(c->env.loop) * 1000000; /* ns */
	if (!t->limited) {
		t->rps = tenant_rps(c, tenant);
		tbucket_init(&t->rate, t->rps, 2 * t->rps, now);
		t->limited = true;
	}
	return tbucket_take(&t->rate, 1, now);
}

int ctl__admit(struct ctl *c, int64_t tenant, const char *name, int64_t quota,
               struct ctl_reply *rp)
{
	bool taken;
	int64_t n = 0;
	int rc = reg_module_name_taken(c->env.reg, tenant, name, &taken);
	if (!rc && !taken)
		rc = reg_modules_count_tenant(c->env.reg, tenant, &n);
	if (rc)
		return rc;
	if (taken) {
		ctl__reply_error(rp, 409, "name_taken",
		                 json_pack("{s:s, s:s}", "field", "name", "value", name),
		                 "you already have a module called '%s'", name);
		return 1;
	}
	if (n >= quota) {
		ctl__reply_error(rp, 429, "quota_exceeded", json_pack("{s:I}", "modules", (json_int_t)quota),
		                 "module quota reached (%lld)", (long long)quota);
		return 1;
	}
	return 0;
}
