/* Quotas and rates: a tenant's check and deploy requests per second, its
 * module count and its module names, and its per-module flow and memory
 * quotas (docs/stateful.md). */
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

void ctl__module_quota(struct ctl *c, int64_t tenant, uint64_t *flows, uint64_t *mem_mb)
{
	*flows = c->lim.module_flows;
	*mem_mb = c->lim.module_memory_mb;
	struct ctl_tenant *ct = ctl__tenant(c, tenant);
	if (ct && ct->quotas_read) {
		*flows = ct->flows;
		*mem_mb = ct->mem_mb;
		return;
	}
	struct reg_tenant t;
	if (reg_tenant_get(c->env.reg, tenant, &t))
		return; /* (not cached: the next call tries again) */
	if (t.quota_flows > 0)
		*flows = (uint64_t)t.quota_flows;
	if (t.quota_memory_mb > 0)
		*mem_mb = (uint64_t)t.quota_memory_mb;
	reg_tenant_release(&t);
	if (ct) {
		ct->flows = *flows;
		ct->mem_mb = *mem_mb;
		ct->quotas_read = true;
	}
}

json_t *ctl__quota_json(struct ctl *c, int64_t tenant)
{
	uint64_t flows, mem_mb;
	ctl__module_quota(c, tenant, &flows, &mem_mb);
	return json_pack("{s:I, s:I}", "flows", (json_int_t)flows, "memory_mb", (json_int_t)mem_mb);
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

unsigned ctl__tenant_inflight(struct ctl *c, int64_t tenant)
{
	struct ctl_tenant *ct = ctl__tenant(c, tenant);
	if (ct && ct->inflight_read)
		return ct->max_inflight;
	unsigned max = c->lim.tenant_inflight;
	struct reg_tenant t;
	if (reg_tenant_get(c->env.reg, tenant, &t))
		return max; /* (not cached: the next call tries again) */
	if (t.quota_inflight > 0)
		max = t.quota_inflight > 1000000 ? 1000000 : (unsigned)t.quota_inflight;
	reg_tenant_release(&t);
	if (ct) {
		ct->max_inflight = max;
		ct->inflight_read = true;
	}
	return max;
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
