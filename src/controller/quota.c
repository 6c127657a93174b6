/* Quotas and rates: a tenant's check and deploy requests per second, its
 * module count and its module names, and its per-module flow and memory
 * quotas (docs/stateful.md). The tenant's row is read on the registry
 * thread (a request's admission, a job's inputs, a commit: sched.c,
 * commit.c) and learned here, on the loop; ctl__admit runs on the
 * registry thread inside the commit's transaction. */
#include <errno.h>
#include <stdlib.h>

#include "controller/internal.h"

void ctl__tenant_learn(struct ctl *c, const struct reg_tenant *t)
{
	struct ctl_tenant *ct = ctl__tenant(c, t->id);
	if (!ct)
		return;
	uint64_t rps = t->quota_rps > 0 ? (uint64_t)t->quota_rps : c->lim.tenant_rps;
	/* (learned at every job's start: the bucket is set up again only
	 * when the rate it was set up with changed) */
	if (ct->limited && rps != (ct->row_read ? ct->rps : c->lim.tenant_rps))
		ct->limited = false;
	ct->rps = rps;
	ct->flows = t->quota_flows > 0 ? (uint64_t)t->quota_flows : c->lim.module_flows;
	ct->mem_mb = t->quota_memory_mb > 0 ? (uint64_t)t->quota_memory_mb : c->lim.module_memory_mb;
	ct->own_mem_mb = t->quota_memory_mb > 0 ? (uint64_t)t->quota_memory_mb : 0;
	ct->max_inflight = t->quota_inflight <= 0 ? c->lim.tenant_inflight
	                   : t->quota_inflight > 1000000 ? 1000000 : (unsigned)t->quota_inflight;
	ct->suspended = t->suspended_at != NULL;
	ct->row_read = true;
}

bool ctl__tenant_known(struct ctl *c, int64_t tenant)
{
	struct ctl_tenant *ct = ctl__tenant(c, tenant);
	return ct && ct->row_read;
}

void ctl__tenant_forget(struct ctl *c, int64_t tenant)
{
	struct ctl_tenant *ct = ctl__tenant(c, tenant);
	if (ct)
		ct->row_read = ct->limited = false;
}

void ctl__module_quota(struct ctl *c, int64_t tenant, uint64_t *flows, uint64_t *mem_mb)
{
	struct ctl_tenant *ct = ctl__tenant(c, tenant);
	bool known = ct && ct->row_read;
	*flows = known ? ct->flows : c->lim.module_flows;
	*mem_mb = known ? ct->mem_mb : c->lim.module_memory_mb;
}

json_t *ctl__quota_json(struct ctl *c, int64_t tenant, const char *stock)
{
	uint64_t flows, mem_mb;
	ctl__module_quota(c, tenant, &flows, &mem_mb);
	json_t *q = json_pack("{s:I, s:I}", "flows", (json_int_t)flows, "memory_mb", (json_int_t)mem_mb);
	uint32_t least, mb = ctl__process_memory(c, tenant, stock, &least);
	if (q && mb) /* a process module: its program's cgroup limit */
		json_object_set_new(q, "process_memory_mb", json_integer(mb));
	return q;
}

uint32_t ctl__process_memory(struct ctl *c, int64_t tenant, const char *stock, uint32_t *min_mb)
{
	uint32_t mb = 0;
	*min_mb = 0;
	if (!stock || ctl_process_memory(stock, &mb, min_mb))
		return 0;
	/* the module-memory-mb default sizes a Click module's state, not a
	 * program: only the operator's own choice for this tenant bounds it */
	struct ctl_tenant *ct = ctl__tenant(c, tenant);
	uint64_t own = ct && ct->row_read ? ct->own_mem_mb : 0;
	return own && own < mb ? (uint32_t)own : mb;
}

bool ctl__rate_ok(struct ctl *c, int64_t tenant)
{
	struct ctl_tenant *t = ctl__tenant(c, tenant);
	if (!t)
		return true; /* out of memory: the request fails further on anyway */
	uv_update_time(c->env.loop);
	uint64_t now = uv_now(c->env.loop) * 1000000; /* ns */
	if (!t->limited) {
		uint64_t rps = t->row_read ? t->rps : c->lim.tenant_rps;
		tbucket_init(&t->rate, rps, 2 * rps, now);
		t->limited = true;
	}
	return tbucket_take(&t->rate, 1, now);
}

unsigned ctl__tenant_inflight(struct ctl *c, int64_t tenant)
{
	struct ctl_tenant *ct = ctl__tenant(c, tenant);
	return ct && ct->row_read ? ct->max_inflight : c->lim.tenant_inflight;
}

int ctl__admit(struct registry *r, int64_t tenant, const char *name, int64_t quota)
{
	bool taken;
	int64_t n = 0;
	int rc = reg_module_name_taken(r, tenant, name, &taken);
	if (!rc && !taken)
		rc = reg_modules_count_tenant(r, tenant, &n);
	return rc ? rc : taken ? CTL_ADMIT_NAME_TAKEN : n >= quota ? CTL_ADMIT_QUOTA : 0;
}

void ctl__admit_reply(struct ctl_reply *rp, int refused, const char *name, int64_t quota)
{
	if (refused == CTL_ADMIT_NAME_TAKEN)
		ctl__reply_error(rp, 409, "name_taken",
		                 json_pack("{s:s, s:s}", "field", "name", "value", name),
		                 "you already have a module called '%s'", name);
	else
		ctl__reply_error(rp, 429, "quota_exceeded", json_pack("{s:I}", "modules", (json_int_t)quota),
		                 "module quota reached (%lld)", (long long)quota);
}
