/* Policy and network changes: before one is stored, every deployed module
 * is checked again on the thread pool (a new policy: on the network plus
 * that module; a new network: its tenant's modules and the operator's
 * inline ones, with the module's requirements and every policy). Any
 * violation refuses the change (409) unless it is forced. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"
#include "base/log.h"

struct recheck {
	uv_work_t work;
	struct ctl *ctl;
	struct ctl_reply reply;
	bool policy, force;
	char *text;              /* the new policy statement(s) */
	char *pols;              /* network: every policy (read with the modules) */
	struct vfy_base *base;   /* the model to check on (new network or current) */
	struct reg_module *mods;
	size_t nmods;
	struct ctl_sib *sibs;    /* one per module */
	char **stmts;            /* per module: what to check */
	json_t *violations;      /* result */
	json_t *network;         /* policy: failures of the network alone */
	int rc;
};

/* The modules module i is checked with: itself for a policy; for a
 * network its tenant's and the inline ones. *group (malloc'd) when built. */
static int module_group(struct recheck *k, size_t i, const struct ctl_sib **mods, size_t *nm,
                        struct ctl_sib **group)
{
	*group = NULL;
	*mods = &k->sibs[i];
	*nm = 1;
	if (k->policy)
		return 0;
	*group = calloc(k->nmods, sizeof **group);
	if (!*group)
		return -ENOMEM;
	*nm = 0;
	for (size_t q = 0; q < k->nmods; q++)
		if (k->mods[q].tenant_id == k->mods[i].tenant_id || !k->mods[q].platform)
			(*group)[(*nm)++] = k->sibs[q];
	*mods = *group;
	return 0;
}

/* Name the module in each of its violations and add them to the list. */
static void blame(struct recheck *k, size_t i, json_t *v)
{
	const struct reg_module *m = &k->mods[i];
	size_t q;
	json_t *e;
	json_array_foreach(v, q, e) {
		char ip[16];
		json_object_set_new(e, "module_id", json_integer(m->id));
		json_object_set_new(e, "module", json_string(m->name));
		json_object_set_new(e, "tenant_id", json_integer(m->tenant_id));
		json_object_set_new(e, "platform", m->platform ? json_string(m->platform) : json_null());
		json_object_set_new(e, "address", m->platform ?
		                    json_string(inet_format_addr(m->ip, ip)) : json_null());
		json_array_append(k->violations, e);
	}
}

static int check_module(struct recheck *k, size_t i)
{
	const struct ctl_sib *mods;
	size_t nm;
	struct ctl_sib *group;
	int rc = module_group(k, i, &mods, &nm, &group);
	if (rc)
		return rc;
	json_t *v = NULL;
	rc = ctl__check_statements(k->base, mods, nm, k->stmts[i], k->ctl->lim.max_steps, &v);
	free(group);
	if (rc == -ENOMEM) {
		json_decref(v);
		return rc;
	}
	if (rc)
		json_array_append_new(v, json_pack("{s:s, s:s}", "statement", "", "message",
		                                   "the module cannot be verified on this network"));
	blame(k, i, v);
	json_decref(v);
	return 0;
}

static void recheck_work(uv_work_t *w)
{
	struct recheck *k = w->data;
	k->violations = json_array();
	if (k->policy && (k->rc = ctl__check_statements(k->base, NULL, 0, k->text,
	                                                k->ctl->lim.max_steps, &k->network)))
		return;
	/* failing on the network alone: no module is to blame */
	for (size_t i = 0; i < k->nmods && !(k->policy && json_array_size(k->network)); i++)
		if ((k->rc = check_module(k, i)))
			return;
}

static void recheck_free(struct recheck *k)
{
	for (size_t i = 0; i < k->nmods && k->stmts; i++)
		free(k->stmts[i]);
	free(k->stmts);
	ctl__sibs_free(k->sibs, k->nmods);
	reg_modules_free(k->mods, k->nmods);
	vfy_base_unref(k->base);
	json_decref(k->violations);
	json_decref(k->network);
	free(k->pols);
	free(k->text);
	free(k);
}

static void recheck_after(uv_work_t *w, int status)
{
	struct recheck *k = w->data;
	k->ctl->inflight--;
	size_t nv = json_array_size(k->violations);
	if (status || k->rc) {
		ctl__reply_error(&k->reply, 500, "internal", NULL,
		                 "re-checking the deployed modules failed: %s",
		                 strerror(status ? EIO : -k->rc));
	} else if (nv && !k->force) {
		ctl__reply_error(&k->reply, 409, k->policy ? "policy_conflict" : "network_conflict",
		                 json_pack("{s:O}", "violations", k->violations),
		                 "%zu deployed module statement(s) would be violated; kill the modules "
		                 "or force the change (%s)", nv,
		                 k->policy ? "\"force\": true" : "?force=true");
	} else {
		if (nv)
			log_warn("controller", "%s forced although %zu deployed module statement(s) fail",
			         k->policy ? "policy" : "network", nv);
		json_t *body = k->policy ? json_pack("{s:O, s:O}", "violations", k->violations, "network",
		                                     k->network ? k->network : json_array()) : NULL;
		json_t *audit = k->policy ? json_pack("{s:I}", "violations", (json_int_t)nv) : NULL;
		ctl__reply_json(&k->reply, 0, body, audit);
	}
	recheck_free(k);
}

/* What module m is checked against: the new policy, or its requirements
 * and every policy (pols). malloc'd. */
static char *module_statements(const struct recheck *k, const struct reg_module *m, const char *pols)
{
	if (k->policy)
		return strdup(k->text);
	const char *req = m->requirements ? m->requirements : "";
	size_t l = strlen(req) + strlen(pols) + 2;
	char *s = malloc(l);
	if (s)
		snprintf(s, l, "%s\n%s", req, pols);
	return s;
}

/* The errors of a policy text as the answer's details list them. */
static json_t *policy_errors(const struct diags *d)
{
	json_t *errs = json_array();
	for (size_t i = 0; i < d->n; i++) {
		char *txt = diag_format(&d->v[i]);
		json_array_append_new(errs, json_pack("{s:i, s:i, s:s, s:s?}", "line", (int)d->v[i].line,
		                                      "column", (int)d->v[i].col, "message", d->v[i].msg,
		                                      "text", txt));
		free(txt);
	}
	return errs;
}

/* A new policy may name only nodes that exist: the network's and the live
 * modules' (an unknown name would make every check fail, whoever asks);
 * else answers 400 unknown_node and returns -EINVAL. */
static int policy_names(struct recheck *k)
{
	struct src_file f = {"policy", k->text, strlen(k->text)};
	struct diags d;
	diags_init(&d);
	struct vfy_reqs *rq = NULL;
	const char **names = calloc(k->nmods + 1, sizeof *names);
	int rc = names ? vfy_reqs_parse(&f, &rq, &d) : -ENOMEM;
	for (size_t i = 0; names && i < k->nmods; i++)
		names[i] = k->mods[i].name;
	if (!rc)
		rc = vfy_reqs_check_names(rq, &f, k->base, names, k->nmods, &d);
	if (rc == -EINVAL && d.n) {
		const struct diag *g = &d.v[0];
		ctl__reply_error(&k->reply, 400, "unknown_node",
		                 json_pack("{s:s, s:o}", "field", "text", "errors", policy_errors(&d)),
		                 "%s:%u:%u: %s%s", f.name, g->line, g->col, g->msg,
		                 d.nerrors > 1 ? " (and more, see details)" : "");
	}
	vfy_reqs_free(rq);
	free(names);
	diags_free(&d);
	return rc;
}

/* Registry thread: the live modules, and for a network every policy. */
static int recheck_read(struct registry *r, void *arg)
{
	struct recheck *k = arg;
	int rc = reg_modules_live(r, 0, &k->mods, &k->nmods);
	if (!rc && !k->policy)
		rc = ctl__policies_read(r, &k->pols);
	return rc;
}

/* With the modules read: what each is checked against, then the checks on
 * the pool. -EINVAL: answered. */
static int recheck_queue(struct ctl *c, struct recheck *k)
{
	k->sibs = calloc(k->nmods + 1, sizeof *k->sibs);
	k->stmts = calloc(k->nmods + 1, sizeof *k->stmts);
	if (!k->sibs || !k->stmts)
		return -ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < k->nmods && !rc; i++) {
		rc = ctl__mod_sib(&k->mods[i], &k->sibs[i]);
		if (!rc && !(k->stmts[i] = module_statements(k, &k->mods[i], k->pols)))
			rc = -ENOMEM;
	}
	if (!rc && k->policy)
		rc = policy_names(k);
	if (rc)
		return rc;
	k->work.data = k;
	if (uv_queue_work(c->env.loop, &k->work, recheck_work, recheck_after))
		return -EIO;
	c->inflight++;
	return 0;
}

static void recheck_read_done(void *arg, int rc)
{
	struct recheck *k = arg;
	if (!rc)
		rc = recheck_queue(k->ctl, k);
	if (!rc)
		return;
	if (rc != -EINVAL) /* (-EINVAL: answered) */
		ctl__reply_rc(&k->reply, rc);
	recheck_free(k);
}

static int recheck_start(struct ctl *c, struct recheck *k)
{
	return ctl_registry_submit(c, recheck_read, recheck_read_done, k);
}

static struct recheck *recheck_new(struct ctl *c, bool policy, bool force, ctl_done_fn done,
                                   void *ud)
{
	struct recheck *k = calloc(1, sizeof *k);
	if (k)
		*k = (struct recheck){.ctl = c, .reply = {.fn = done, .ud = ud}, .policy = policy, .force = force};
	return k;
}

/* The statements of text must parse; else answers 400 and returns -EINVAL. */
static int parse_policy(const char *text, struct ctl_reply *rp)
{
	struct src_file f = {"policy", text, strlen(text)};
	struct diags d;
	diags_init(&d);
	struct vfy_reqs *rq = NULL;
	int rc = vfy_reqs_parse(&f, &rq, &d);
	vfy_reqs_free(rq);
	if (rc && rc != -ENOMEM) {
		ctl__reply_error(rp, 400, "invalid_policy",
		                 json_pack("{s:s, s:o}", "field", "text", "errors", policy_errors(&d)),
		                 "text: line %u, column %u: %s", d.n ? d.v[0].line : 0,
		                 d.n ? d.v[0].col : 0, d.n ? d.v[0].msg : "error");
		rc = -EINVAL;
	}
	diags_free(&d);
	return rc;
}

int ctl_policy_recheck(struct ctl *c, const char *text, bool force, ctl_done_fn done, void *ud)
{
	struct ctl_reply rp = {.fn = done, .ud = ud};
	int rc = parse_policy(text, &rp);
	if (rc)
		return rc == -EINVAL ? 0 : rc;
	struct recheck *k = recheck_new(c, true, force, done, ud);
	if (!k || !(k->text = strdup(text))) {
		free(k);
		return -ENOMEM;
	}
	int64_t ver;
	rc = ctl__current_base(c, &k->base, &ver, NULL);
	if (rc == -ENOENT) {
		/* no network yet: nothing deployed can be affected */
		recheck_free(k);
		ctl__reply_json(&rp, 0, NULL, NULL);
		return 0;
	}
	if (!rc)
		rc = recheck_start(c, k);
	if (rc) {
		recheck_free(k);
		if (rc == -EINVAL)
			return 0; /* answered */
		return rc < 0 ? rc : -EIO;
	}
	return 0;
}

/* The verifier's model of s; answers 400 and returns -EINVAL when s
 * cannot be modelled. */
static int model_network(struct snapshot *s, struct vfy_base **out, struct ctl_reply *rp)
{
	struct diags d;
	diags_init(&d);
	int rc = vfy_base_build(s, out, &d);
	if (rc && rc != -ENOMEM) {
		json_t *errs = json_array();
		for (size_t i = 0; i < d.n; i++) {
			char *txt = diag_format(&d.v[i]);
			json_array_append_new(errs, json_string(txt ? txt : d.v[i].msg));
			free(txt);
		}
		const char *first = json_string_value(json_array_get(errs, 0));
		ctl__reply_error(rp, 400, "invalid_snapshot", json_pack("{s:o}", "errors", errs),
		                 "the verifier cannot model this network: %s", first ? first : "error");
		rc = -EINVAL;
	}
	diags_free(&d);
	return rc;
}

int ctl_network_recheck(struct ctl *c, struct snapshot *s, bool force, ctl_done_fn done,
                        void *ud)
{
	struct recheck *k = recheck_new(c, false, force, done, ud);
	if (!k)
		return -ENOMEM;
	int rc = model_network(s, &k->base, &k->reply);
	if (!rc)
		rc = recheck_start(c, k);
	if (rc)
		recheck_free(k);
	return rc == -EINVAL ? 0 : rc;
}
