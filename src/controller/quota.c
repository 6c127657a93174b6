/* Quotas and rates: a tenant's check and deploy requests per second, its
 * module count and its module names. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "controller/internal.h"

bool ctl__rate_ok(struct ctl *c, int64_t tenant)
{
	uv_update_time(c->env.loop);
	uint64_t now = uv_now(c->env.loop);
	double burst = 2 * c->lim.tenant_rps;
	struct ctl_bucket *b = NULL;
	for (size_t i = 0; i < c->nbuckets && !b; i++)
		if (c->buckets[i].tenant == tenant)
			b = &c->buckets[i];
	if (!b) {
		struct ctl_bucket *nv = realloc(c->buckets, (c->nbuckets + 1) * sizeof *nv);
		if (!nv)
			return true;
		c->buckets = nv;
		b = &nv[c->nbuckets++];
		b->tenant = tenant;
		b->tokens = burst;
		b->last_ms = now;
	}
	b->tokens = fmin(burst, b->tokens + (double)(now - b->last_ms) * c->lim.tenant_rps / 1000.0);
	b->last_ms = now;
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
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
