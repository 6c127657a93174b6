/* A deploy's commit. On the loop: the snapshot the verdict was computed
 * on is still current, and the row and the answer are prepared (all but
 * the module's id). On the registry thread, one work function: the model
 * read again, then one transaction (the kept answer of its key, name and
 * quota, the platform's capacity, the row, the answer kept for the key).
 * Back on the loop: the generations, the platform installs it, the tenant
 * gets the answer with the report.
 *
 * Commits are not serialized here: several may be in flight. The registry
 * thread runs them one after the other in submission order, each seeing
 * what those before it wrote: the model is compared there for every
 * commit (not only when the loop's generations moved, since a commit or a
 * kill whose work ran may not have had its done yet), capacity and names
 * are counted inside each transaction, and each job keeps its address
 * reserved until its done, so that no job's inputs pick it meanwhile (the
 * registry's unique address catches another innetd's). */
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


/* A commit in flight: what the registry thread reads (the job's request
 * and verdict, unchanged until done, and the prepared row and answer) and
 * what it hands back. */
struct commit {
	struct ctl_job *j;
	ctl_commit_fn finish;
	struct reg_module m;  /* the row; its id and created_at set by the work */
	char *tail;           /* the answer without its id: "{...}" */
	char *body;           /* the answer: {"id":N, then tail's members */
	int refused;          /* CTL_ADMIT_* */
	int kept_rc;          /* what another request with the key kept */
	struct reg_idem kept;
	int row_rc;           /* the tenant's row after the commit */
	struct reg_tenant row;
};

/* What the work answers besides 0 (committed) and a negative errno. */
enum { COMMIT_STALE = 1, COMMIT_REFUSED, COMMIT_REPLAY };

static void commit_free(struct commit *k)
{
	free(k->m.report);
	free(k->m.stateful_elements);
	free(k->m.created_at);
	free(k->tail);
	free(k->body);
	reg_idem_release(&k->kept);
	reg_tenant_release(&k->row);
	free(k);
}

/* Registry thread: does the platform still have room? 0: yes; 1: no; or
 * a negative errno. */
static int platform_full(struct registry *r, const char *platform)
{
	struct reg_platform *pv;
	size_t np;
	int rc = reg_platform_list(r, &pv, &np);
	if (rc)
		return rc;
	int64_t cap = -1, n;
	for (size_t i = 0; i < np; i++)
		if (!strcmp(pv[i].name, platform))
			cap = pv[i].capacity;
	reg_platforms_free(pv, np);
	if ((rc = reg_modules_count_platform(r, platform, &n)))
		return rc;
	return cap < 0 || n >= cap;
}

/* Registry thread: the answer with the module's id first, byte for byte
 * what json_dumps gives for the whole head. */
static char *with_id(int64_t id, const char *tail)
{
	size_t len = strlen(tail) + 32;
	char *out = malloc(len);
	if (out)
		snprintf(out, len, "{\"id\":%lld%s%s", (long long)id, tail[1] == '}' ? "" : ",", tail + 1);
	return out;
}

/* Registry thread, inside the transaction: the module still fits, then
 * its row and the answer kept for its key. */
static int store(struct registry *r, struct commit *k)
{
	const struct ctl_job *j = k->j;
	/* a retry with the key committed elsewhere meanwhile: its answer,
	 * before the name check would refuse the name it took */
	int rc = ctl__idem_kept(r, j);
	if (rc)
		return rc == 1 ? COMMIT_REPLAY : rc;
	if ((rc = ctl__admit(r, j->tenant_id, j->in.name, j->quota)) > 0) {
		k->refused = rc;
		return COMMIT_REFUSED;
	}
	if (rc)
		return rc;
	if (k->m.platform && (rc = platform_full(r, k->m.platform)))
		return rc > 0 ? COMMIT_STALE : rc;
	if ((rc = reg_module_insert(r, &k->m))) /* -EEXIST: another took the address */
		return rc == -EEXIST ? COMMIT_STALE : rc;
	if (!(k->body = with_id(k->m.id, k->tail)))
		return -ENOMEM;
	rc = ctl__idem_keep(r, j, 201, k->body, k->m.id);
	return rc == -EEXIST ? COMMIT_REPLAY : rc;
}

/* Registry thread: the whole commit. -EAGAIN: another innetd committed on
 * the same rows first (PostgreSQL's serializable isolation): verify again
 * against what it committed, as when the state moved on here. */
static int commit_work(struct registry *r, void *arg)
{
	struct commit *k = arg;
	bool changed = false;
	/* the model read inside the transaction: on PostgreSQL another
	 * innetd's module in it then conflicts (-EAGAIN) */
	int rc = reg_begin(r);
	if (!rc && !(rc = ctl__model_changed(r, k->j, &changed)) && changed)
		rc = COMMIT_STALE;
	if (!rc && !(rc = store(r, k)))
		rc = reg_commit(r);
	if (rc)
		reg_rollback(r);
	if (rc == COMMIT_REPLAY) /* rolled back: the answer the other one kept */
		k->kept_rc = ctl__idem_reread(r, k->j, &k->kept);
	if (!rc) /* (suspended while its deploy was verified: held once installed) */
		k->row_rc = reg_tenant_get(r, k->j->tenant_id, &k->row);
	return rc == -EAGAIN ? COMMIT_STALE : rc;
}

static void hold_if_suspended(struct ctl *c, const struct commit *k)
{
	if (k->row_rc || !k->row.suspended_at || !c->ops.hold)
		return;
	int rc = c->ops.hold(c->ops.ud, k->m.id, true);
	if (rc && rc != -ENOENT)
		log_warn("controller", "module %lld: holding it: %s", (long long)k->m.id, strerror(-rc));
}

static void install(struct ctl_job *j, const struct commit *k)
{
	struct ctl *c = j->ctl;
	const struct reg_module *m = &k->m;
	if (!c->have_ops || !c->ops.install || !ctl__served(c, m->platform, NULL))
		return; /* (another PoP's innetd installs what it serves: docs/pops.md) */
	uint64_t flows, mem_mb;
	ctl__module_quota(c, m->tenant_id, &flows, &mem_mb);
	struct ctl_deployed d = {
		.id = m->id, .tenant_id = m->tenant_id, .name = m->name, .platform = m->platform,
		.inline_a = j->in.inline_a, .inline_b = j->in.inline_b, .ip = m->ip, .proto = m->proto,
		.port = m->port, .click = j->out.deployed, .sandboxed = j->out.verdict == CTL_SANDBOXED,
		.stateful = m->stateful, .flow_capacity = (uint32_t)flows, .mem_quota = mem_mb << 20,
		.stock = m->stock, .params = m->params,
	};
	uint32_t least;
	d.process_memory_mb = ctl__process_memory(c, m->tenant_id, m->stock, &least);
	int rc = c->ops.install(c->ops.ud, &d);
	if (rc)
		log_warn("controller", "module %lld: the platform refused it: %s", (long long)m->id,
		         strerror(-rc));
	else
		hold_if_suspended(c, k);
}

/* Loop: the row to insert, from the job's verdict. */
static int prepare_row(struct commit *k)
{
	const struct ctl_job *j = k->j;
	const struct ctl_cand *cd = &j->in.cands[j->out.winner];
	k->m = (struct reg_module){
		.tenant_id = j->tenant_id, .name = j->in.name, .source = j->source, .stock = j->stock,
		.params = j->params, .requirements = j->in.requirements,
		.verdict = (char *)ctl__verdict_name(j->out.verdict), .platform = cd->platform,
		.ip = cd->ip, .proto = j->out.proto, .port = j->out.port,
		.report = j->report_text ? stored_report(j) : NULL, .snapshot_version = j->snap_version,
		.stateful = json_array_size(j->out.stateful) > 0,
		.stateful_elements = j->out.stateful ? json_dumps(j->out.stateful, JSON_COMPACT)
		                                     : strdup("[]"),
	};
	return k->m.report && k->m.stateful_elements ? 0 : -ENOMEM;
}

/* Loop: the answer but its id: "deployed" here, or "placed" with the PoP
 * that serves its platform; the tenant's quotas. */
static int prepare_answer(struct commit *k)
{
	struct ctl_job *j = k->j;
	const struct ctl_cand *cd = &j->in.cands[j->out.winner];
	char pop[SNAPSHOT_POP_MAX + 1];
	bool here = ctl__served(j->ctl, cd->platform, pop);
	json_t *head = json_pack("{s:s, s:s?, s:o, s:s, s:s}", "name", j->in.name, "platform",
	                         cd->platform, "address",
	                         ctl__cand_address(cd, j->out.proto, j->out.port), "verdict",
	                         ctl__verdict_name(j->out.verdict), "state",
	                         here ? "deployed" : "placed");
	if (head && cd->platform)
		json_object_set_new(head, "pop", json_string(pop));
	ctl__add_state_head(j->ctl, j->tenant_id, j->stock, head, j->out.stateful);
	/* the tenant's view; the stored report stays full (the operator's) */
	k->tail = ctl__with_report(head, j->out.view_text ? j->out.view_text : k->m.report,
	                           j->in.inline_a, j->in.inline_b);
	return k->tail ? 0 : -ENOMEM;
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

/* Loop: stored. */
static void committed(struct commit *k)
{
	struct ctl_job *j = k->j;
	struct ctl *c = j->ctl;
	const struct reg_module *m = &k->m;
	if (!k->row_rc)
		ctl__tenant_learn(c, &k->row);
	ctl__modules_changed(c, j->tenant_id, m->platform);
	char ip[16], pop[SNAPSHOT_POP_MAX + 1];
	bool here = ctl__served(c, m->platform, pop);
	log_info("controller", "module %lld '%s' of tenant %lld %s on %s at %s%s%s (%s)",
	         (long long)m->id, m->name, (long long)j->tenant_id, here ? "deployed" : "placed",
	         m->platform ? m->platform : "inline",
	         m->platform ? inet_format_addr(m->ip, ip) : "-", here ? "" : ", PoP ",
	         here ? "" : pop, ctl__verdict_name(j->out.verdict));
	install(j, k);
	answer_deployed(j, m, k->body);
}

static void commit_done(void *arg, int rc)
{
	struct commit *k = arg;
	struct ctl_job *j = k->j;
	ctl_commit_fn finish = k->finish;
	if (rc == COMMIT_REFUSED)
		ctl__admit_reply(&j->reply, k->refused, j->in.name, j->quota);
	else if (rc == COMMIT_REPLAY)
		ctl__idem_replay(j, k->kept_rc, &k->kept);
	else if (!rc)
		committed(k);
	commit_free(k);
	finish(j, rc == COMMIT_STALE ? 1 : rc < 0 ? rc : 0);
}

int ctl__commit(struct ctl_job *j, ctl_commit_fn finish)
{
	/* the model of another snapshot: verify again (the modules in the
	 * model are compared on the registry thread) */
	if (ctl__snapshot_version(j->ctl) != j->snap_version)
		return 1;
	struct commit *k = calloc(1, sizeof *k);
	if (!k)
		return -ENOMEM;
	*k = (struct commit){.j = j, .finish = finish, .kept_rc = -ENOENT, .row_rc = -ENOENT};
	int rc = prepare_row(k);
	if (!rc)
		rc = prepare_answer(k);
	if (!rc)
		rc = ctl_registry_submit(j->ctl, commit_work, commit_done, k);
	if (rc)
		commit_free(k);
	return rc;
}
