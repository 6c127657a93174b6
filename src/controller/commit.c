/* A deploy's commit, on the loop thread: the verdict still holds on the
 * current state, the module fits (name, quota, capacity), its row and
 * address are stored in one transaction, the platform installs it, and
 * the tenant gets the answer with the report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"
#include "base/log.h"

json_t *ctl__cand_address(const struct ctl_cand *cd, uint8_t proto, uint16_t port)
{
	if (!cd->platform)
		return json_null();
	char ip[16];
	return json_pack("{s:s, s:i, s:i}", "ip", inet_format_addr(cd->ip, ip), "proto", proto, "port",
	                 port);
}

char *ctl__with_report(json_t *head, const char *report, const char *inline_a,
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
static char *stored_report(const struct ctl_job *j)
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

/* Verify again only when what the verdict was computed on changed: the
 * snapshot or the modules in the model. Capacity, address and name are
 * checked in the transaction. (Other tenants' modules on the platform are
 * addressed: they are not in the model.) 0: still current; 1: changed. */
static int verdict_stale(struct ctl_job *j)
{
	struct ctl *c = j->ctl;
	if (ctl__snapshot_version(c) != j->snap_version)
		return 1;
	if (j->tgen == ctl__tenant_gen(c, j->tenant_id) && j->igen == c->inline_gen)
		return 0;
	bool changed;
	int rc = ctl__model_changed(j, &changed);
	return rc ? rc : changed;
}

/* Does the platform still have room? 0: yes; 1: no; or a negative errno. */
static int platform_full(struct ctl *c, const char *platform)
{
	struct reg_platform *pv;
	size_t np;
	int rc = reg_platform_list(c->env.reg, &pv, &np);
	if (rc)
		return rc;
	int64_t cap = -1, n;
	for (size_t i = 0; i < np; i++)
		if (!strcmp(pv[i].name, platform))
			cap = pv[i].capacity;
	reg_platforms_free(pv, np);
	if ((rc = reg_modules_count_platform(c->env.reg, platform, &n)))
		return rc;
	return cap < 0 || n >= cap;
}

/* Inside the transaction: the module still fits, then its row. 0: stored
 * (m->id set); 1: verify again; 2: answered; or a negative errno. */
static int store_module(struct ctl_job *j, struct reg_module *m)
{
	struct ctl *c = j->ctl;
	const struct ctl_cand *cd = &j->in.cands[j->out.winner];
	int rc = ctl__admit(c->env.reg, j->tenant_id, j->in.name, j->quota);
	if (rc > 0) {
		ctl__admit_reply(&j->reply, rc, j->in.name, j->quota);
		return 2;
	}
	if (rc)
		return rc;
	if (cd->platform && (rc = platform_full(c, cd->platform)))
		return rc;
	*m = (struct reg_module){
		.tenant_id = j->tenant_id, .name = j->in.name, .source = j->source, .stock = j->stock,
		.params = j->params, .requirements = j->in.requirements,
		.verdict = (char *)ctl__verdict_name(j->out.verdict), .platform = cd->platform,
		.ip = cd->ip, .proto = j->out.proto, .port = j->out.port,
		.report = j->report_text ? stored_report(j) : NULL, .snapshot_version = j->snap_version,
		.stateful = json_array_size(j->out.stateful) > 0,
		.stateful_elements = j->out.stateful ? json_dumps(j->out.stateful, JSON_COMPACT)
		                                     : strdup("[]"),
	};
	if (!m->report || !m->stateful_elements)
		return -ENOMEM;
	rc = reg_module_insert(c->env.reg, m);
	return rc == -EEXIST ? 1 : rc;
}

static void install(struct ctl_job *j, const struct reg_module *m)
{
	struct ctl *c = j->ctl;
	if (!c->have_ops || !c->ops.install || !ctl__served(c, m->platform, NULL))
		return; /* (another PoP's innetd installs what it serves: docs/pops.md) */
	uint64_t flows, mem_mb;
	ctl__module_quota(c, m->tenant_id, &flows, &mem_mb);
	struct ctl_deployed d = {
		.id = m->id, .tenant_id = m->tenant_id, .name = m->name, .platform = m->platform,
		.inline_a = j->in.inline_a, .inline_b = j->in.inline_b, .ip = m->ip, .proto = m->proto,
		.port = m->port, .click = j->out.deployed, .sandboxed = j->out.verdict == CTL_SANDBOXED,
		.stateful = m->stateful, .flow_capacity = (uint32_t)flows, .mem_quota = mem_mb << 20,
	};
	int rc = c->ops.install(c->ops.ud, &d);
	if (rc)
		log_warn("controller", "module %lld: the platform refused it: %s", (long long)m->id,
		         strerror(-rc));
	else /* suspended while its deploy was verified */
		ctl__hold_if_suspended(c, m->id, m->tenant_id);
}

/* The answer's text: "deployed" here, or "placed" with the PoP that
 * serves its platform. malloc'd; NULL when out of memory. */
static char *deployed_body(struct ctl_job *j, const struct reg_module *m)
{
	const struct ctl_cand *cd = &j->in.cands[j->out.winner];
	char pop[SNAPSHOT_POP_MAX + 1];
	bool here = ctl__served(j->ctl, cd->platform, pop);
	json_t *head = json_pack("{s:I, s:s, s:s?, s:o, s:s, s:s}", "id", (json_int_t)m->id,
	                         "name", m->name, "platform", cd->platform, "address",
	                         ctl__cand_address(cd, j->out.proto, j->out.port), "verdict",
	                         ctl__verdict_name(j->out.verdict), "state",
	                         here ? "deployed" : "placed");
	if (head && cd->platform)
		json_object_set_new(head, "pop", json_string(pop));
	ctl__add_state_head(j->ctl, j->tenant_id, head, j->out.stateful);
	/* the tenant's view; the stored report stays full (the operator's) */
	return ctl__with_report(head, j->out.view_text ? j->out.view_text : m->report,
	                        j->in.inline_a, j->in.inline_b);
}

static void answer_deployed(struct ctl_job *j, const struct reg_module *m, const char *body)
{
	if (body)
		ctl__reply_text(&j->reply, 201, body,
		                json_pack("{s:I, s:s, s:s?, s:s?}", "id", (json_int_t)m->id, "name",
		                          m->name, "platform", m->platform, "idempotency_key",
		                          j->idem_key));
	else
		ctl__reply_error(&j->reply, 500, "internal", NULL,
		                 "out of memory (module %lld is deployed)", (long long)m->id);
}

/* Inside the transaction, after the module's row: the answer, kept for
 * the request's Idempotency-Key. 0, 2 (answered: another request with
 * the key committed first) or a negative errno. */
static int keep_answer(struct ctl_job *j, const struct reg_module *m, char **body)
{
	*body = deployed_body(j, m);
	if (!*body)
		return -ENOMEM;
	int rc = ctl__idem_keep(j, 201, *body, m->id);
	return rc == -EEXIST ? 2 : rc;
}

int ctl__commit(struct ctl_job *j)
{
	struct ctl *c = j->ctl;
	const struct ctl_cand *cd = &j->in.cands[j->out.winner];
	int rc = verdict_stale(j);
	if (rc)
		return rc;
	if ((rc = reg_begin(c->env.reg)))
		return rc;
	struct reg_module m = {0};
	char *body = NULL;
	/* a retry with the key committed elsewhere meanwhile: its answer,
	 * before the name check would refuse the name it took */
	bool kept = (rc = ctl__idem_kept(j)) == 1;
	if (kept)
		rc = 2;
	if (!rc)
		rc = store_module(j, &m);
	if (!rc)
		rc = keep_answer(j, &m, &body);
	if (!rc)
		rc = reg_commit(c->env.reg);
	if (rc) {
		reg_rollback(c->env.reg);
		if (rc == 2 && (body || kept)) /* rolled back: the answer the other one kept */
			ctl__idem_replay(j);
		free(body);
		free(m.report);
		free(m.stateful_elements);
		free(m.created_at);
		/* -EAGAIN: another innetd committed on the same rows first
		 * (PostgreSQL's serializable isolation): verify again against
		 * what it committed, as when the state moved on here */
		return rc == 2 ? 0 : rc == -EAGAIN ? 1 : rc;
	}
	ctl__modules_changed(c, j->tenant_id, cd->platform);
	char ip[16], pop[SNAPSHOT_POP_MAX + 1];
	bool here = ctl__served(c, cd->platform, pop);
	log_info("controller", "module %lld '%s' of tenant %lld %s on %s at %s%s%s (%s)",
	         (long long)m.id, m.name, (long long)j->tenant_id, here ? "deployed" : "placed",
	         cd->platform ? cd->platform : "inline",
	         cd->platform ? inet_format_addr(cd->ip, ip) : "-", here ? "" : ", PoP ",
	         here ? "" : pop, ctl__verdict_name(j->out.verdict));
	install(j, &m);
	answer_deployed(j, &m, body);
	free(body);
	free(m.report);
	free(m.stateful_elements);
	free(m.created_at);
	return 0;
}
