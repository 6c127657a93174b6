/* One verification job (runs on the libuv thread pool): for each candidate
 * platform in order, pretend the module runs there and check the security
 * rules, the tenant's requirements and every operator policy
 * (docs/architecture.md, docs/security.md). Everything it reads is owned by the job or immutable
 * (the vfy_base), everything it writes is its own output. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"
#include "elements/element.h"

#define TRANSIT_MSG                                                                          \
	"this statement needs transit traffic (packets on their way to another destination), "  \
	"which never reaches an addressed module: a router, DPI box, NAT or transparent proxy "   \
	"can only be placed on-path by the operator"

static void set_err(struct ctl_job_out *o, int http, const char *code, json_t *details,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void set_err(struct ctl_job_out *o, int http, const char *code, json_t *details,
                    const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	o->http = http;
	free(o->code);
	free(o->message);
	o->code = strdup(code);
	o->message = strdup(msg);
	json_decref(o->details);
	o->details = details;
}

void ctl__job_out_release(struct ctl_job_out *o)
{
	free(o->code);
	free(o->message);
	json_decref(o->details);
	json_decref(o->report);
	free(o->deployed);
	json_decref(o->stateful);
	free(o->view_text);
	memset(o, 0, sizeof *o);
}

static json_t *diags_json(const struct diags *d)
{
	json_t *a = json_array();
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];
		char *txt = diag_format(g);
		json_array_append_new(a, json_pack("{s:s?, s:i, s:i, s:s, s:s?}", "file", g->file, "line",
		                                   (int)g->line, "column", (int)g->col, "message", g->msg,
		                                   "text", txt));
		free(txt);
	}
	return a;
}

static const char *first_msg(const struct diags *d)
{
	return d->n ? d->v[0].msg : "error";
}

/* The first failing statement of a report, as a failure object, or NULL. */
static json_t *first_failure(const struct vfy_report *rep, json_t *repj, const char *what,
                             size_t *index)
{
	size_t n = vfy_report_count(rep);
	json_t *results = json_object_get(repj, "results");
	for (size_t i = 0; i < n; i++) {
		struct vfy_result r;
		vfy_report_result(rep, i, &r);
		if (r.verdict == VFY_HOLDS)
			continue;
		json_t *rj = json_array_get(results, i);
		json_t *tr = json_object_get(rj, "trace");
		if (index)
			*index = i;
		return json_pack("{s:s, s:s, s:s, s:s, s:O?}", "kind", what, "statement", r.text,
		                 "verdict", r.verdict == VFY_FAILS ? "fails" : "error", "message",
		                 r.message ? r.message : "", "trace", tr);
	}
	return NULL;
}

/* Which budget a statement ran out of: TOO_BIG_REQUEST (its steps in
 * modules, its memory) or TOO_BIG_NETWORK (its steps in the operator's
 * network: the operator's limit, verify-network-steps), or both; 0: none. */
enum { TOO_BIG_REQUEST = 1, TOO_BIG_NETWORK = 2 };

static unsigned too_complex(const struct vfy_report *rep)
{
	unsigned why = 0;
	for (size_t i = 0; i < vfy_report_count(rep); i++) {
		struct vfy_result r;
		vfy_report_result(rep, i, &r);
		if (r.verdict != VFY_ERROR || !r.message)
			continue;
		if (strstr(r.message, "in the operator's network"))
			why |= TOO_BIG_NETWORK;
		else if (strstr(r.message, "steps") || strstr(r.message, "memory"))
			why |= TOO_BIG_REQUEST;
	}
	return why;
}

/* Does statement `text` name module `name` at a hop after the first? */
static bool names_module(const char *text, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = strstr(text, "->"); p; p = strstr(p + 2, "->")) {
		const char *q = p + 2;
		while (*q == ' ' || *q == '\t')
			q++;
		if (!strncmp(q, name, nl) && (q[nl] == '\0' || q[nl] == ' ' || q[nl] == ':'))
			return true;
	}
	return false;
}

/* Does one statement hold on net? (false when it cannot be checked) */
static bool probe(struct vfy_net *net, const char *buf, size_t n, const struct vfy_limits *jl)
{
	struct src_file f = {"probe", buf, n};
	struct diags d;
	diags_init(&d);
	struct vfy_reqs *r = NULL;
	bool holds = false;
	if (!vfy_reqs_parse(&f, &r, &d)) {
		struct vfy_limits lim = *jl;
		lim.traces = VFY_TRACES_NONE; /* only the verdict is used */
		struct vfy_report *rep = NULL;
		if (!vfy_check(net, r, &lim, &rep)) {
			holds = vfy_report_ok(rep);
			vfy_report_free(rep);
		}
		vfy_reqs_free(r);
	}
	diags_free(&d);
	return holds;
}

/* Is a failing statement about transit traffic (packets on their way to
 * another destination), which an addressed module never sees? It is when
 * the traffic gets from the first node to the last without the module
 * ("reach from A -> Z" holds), and, for a reach statement, the first
 * node's traffic cannot even get to the module (it is not addressed to
 * it). An always statement with an addressed module as waypoint is
 * transit as soon as traffic bypasses it. */
static bool is_transit(struct vfy_net *net, const char *text, const char *name,
                       const struct vfy_limits *lim)
{
	const char *from = strstr(text, "from ");
	const char *last = NULL;
	for (const char *p = strstr(text, "->"); p; p = strstr(p + 2, "->"))
		last = p;
	const char *first_arrow = strstr(text, "->");
	if (!from || !last || !first_arrow || !strncmp(text, "never", 5))
		return false;
	char buf[2048];
	const char *l = last + 2;
	while (*l == ' ')
		l++;
	size_t ll = strlen(l);
	const char *c = strstr(l, " const ");
	if (c)
		ll = (size_t)(c - l);
	if (!strncmp(l, name, strlen(name)))
		return false; /* the module is the destination: not transit */
	int n = snprintf(buf, sizeof buf, "reach %.*s -> %.*s\n", (int)(first_arrow - from), from,
	                 (int)ll, l);
	if (n < 0 || (size_t)n >= sizeof buf || !probe(net, buf, (size_t)n, lim))
		return false;
	if (strncmp(text, "reach", 5))
		return true;
	n = snprintf(buf, sizeof buf, "reach %.*s -> %s\n", (int)(first_arrow - from), from, name);
	return n > 0 && (size_t)n < sizeof buf && !probe(net, buf, (size_t)n, lim);
}

static int add_sibs(struct vfy_net *net, const struct ctl_sib *s, size_t n, json_t *notes)
{
	for (size_t i = 0; i < n; i++) {
		struct vfy_module m = {
			.name = s[i].name, .click = s[i].click, .platform = s[i].platform,
			.address = s[i].ip, .proto = s[i].proto, .port = s[i].port,
			.inline_a = s[i].inline_a, .inline_b = s[i].inline_b,
		};
		struct diags d;
		diags_init(&d);
		int rc = vfy_net_add_module(net, &m, &d);
		if (rc && notes)
			json_array_append_new(notes, json_sprintf("module %s left out of the model: %s",
			                                          s[i].name, first_msg(&d)));
		diags_free(&d);
		if (rc == -ENOMEM)
			return rc;
	}
	return 0;
}

struct parsed {
	struct vfy_reqs *reqs, *own_pols;
	const struct vfy_reqs *pols;
	/* the module's graph when it is the same on every platform (the text
	 * does not use $MODULE_IP): parsed for the first candidate only */
	struct click_graph *g;
	struct src_file rf, pf;
	struct src_file gf; /* the graph's locations point into it */
};

/* Security rules on the module as added to net; *verdict and *rep. */
static int security(const struct ctl_job_in *in, struct vfy_net *net, uint32_t addr,
                    const struct vfy_limits *lim, enum ctl_verdict *verdict, json_t **rep)
{
	/* the module's own address is fine too (it only reaches itself) */
	struct inet_prefix *al = malloc((in->nallowed + 1) * sizeof *al);
	if (!al)
		return -ENOMEM;
	if (in->nallowed)
		memcpy(al, in->allowed, in->nallowed * sizeof *al);
	al[in->nallowed] = (struct inet_prefix){addr, 32};
	struct ctl_rules_in ri = {in->kind, addr, al, in->nallowed + 1};
	struct vfy_exits x;
	/* traces only for the flows that break a rule (the report shows no
	 * others); building every exit's trace was most of a check's time */
	int rc = vfy_module_exits_select(net, in->name, lim, ctl__rules_breaks, &ri, &x);
	if (!rc)
		rc = ctl__rules_check(&ri, &x, verdict, rep);
	free(al);
	vfy_exits_free(&x);
	return rc;
}

/* One candidate being tried: what try_cand's steps share. */
struct attempt {
	const struct ctl_job_in *in;
	struct parsed *p;
	const struct ctl_cand *c;
	struct ctl_job_out *out;
	json_t *cj;              /* the candidate's part of the report */
	struct vfy_limits lim;
	char ip[16];
	const char *port_s;      /* $MODULE_PORT */
	struct diags d;
	struct click_graph *g;
	struct vfy_net *net;
	struct vfy_module m;     /* the module as added to net */
	char *flat, *sand;       /* its Click text; with enforcers when sandboxed */
	enum ctl_verdict verdict;
};

/* A parse stopped by the job's budget (click_options.max_memory, .cancel)
 * is answered like the verification hitting it: 422 too_complex, or what
 * a cancelled engine gives (its answer is dropped: whoever cancelled the
 * job has answered already). -EINVAL with the error in out; 0 for any
 * other rc. */
static int parse_budget_err(const struct ctl_job_in *in, struct ctl_job_out *out, int rc)
{
	if (rc == -ECANCELED)
		set_err(out, 500, "internal", NULL, "verification failed: %s", strerror(ECANCELED));
	else if (rc == -ENOSPC)
		set_err(out, 422, "too_complex", NULL,
		        "parsing and configuring the module needs more than %zu MiB; simplify the "
		        "configuration", in->max_memory >> 20);
	else
		return 0;
	return -EINVAL;
}

/* Parse with the platform's $MODULE_IP (and $MODULE_PORT); -EINVAL with
 * the error in out. */
static int parse_graph(struct attempt *a)
{
	const struct ctl_job_in *in = a->in;
	struct click_define defs[2] = {{"MODULE_IP", a->c->platform ? a->ip : "0.0.0.0"},
	                               {"MODULE_PORT", a->port_s}};
	struct click_options opt = {.lookup = elem_class_find, .why_unknown = elem_class_why_unknown,
	                            .defines = defs, .ndefines = 2, .max_memory = in->max_memory,
	                            .cancel = in->cancel};
	a->p->gf = (struct src_file){in->name, in->click, strlen(in->click)};
	a->g = a->p->g;
	int rc = a->g ? 0 : click_parse(&a->p->gf, &opt, &a->g, &a->d);
	if (!rc && !a->p->g && !strstr(in->click, "MODULE_IP"))
		a->p->g = a->g; /* the job frees it */
	if (parse_budget_err(a->in, a->out, rc))
		return -EINVAL;
	if (rc) {
		set_err(a->out, 400, "invalid_config",
		        json_pack("{s:s, s:o}", "field", "config", "errors", diags_json(&a->d)),
		        "config: %s%s", first_msg(&a->d), a->d.nerrors > 1 ? " (and more, see details)" : "");
		return -EINVAL;
	}
	return 0;
}

/* What the verifier cannot model it refuses (never passes through). */
static int check_models(struct attempt *a)
{
	json_t *nomodel = json_array();
	for (uint32_t i = 0; i < click_graph_nelements(a->g); i++) {
		const struct click_element *e = click_graph_element(a->g, i);
		if (!e->cls->model)
			json_array_append_new(nomodel, json_sprintf("%s (%s)", e->name, e->cls->name));
	}
	int rc = 0;
	if (json_array_size(nomodel)) {
		set_err(a->out, 422, "unsupported_element",
		        json_pack("{s:s, s:O}", "field", "config", "elements", nomodel),
		        "config: element %s has no symbolic model yet, so the configuration cannot be "
		        "verified", json_string_value(json_array_get(nomodel, 0)));
		rc = -EINVAL;
	}
	json_decref(nomodel);
	return rc;
}

/* The network with the siblings and the module on the candidate. */
static int place_module(struct attempt *a, json_t *notes)
{
	const struct ctl_job_in *in = a->in;
	uint8_t proto;
	uint16_t port;
	ctl__detect_filter(a->g, &proto, &port);
	if (!port && strcmp(a->port_s, "0"))
		port = 7000;
	int rc = ctl__graph_text(a->g, &a->flat);
	if (rc)
		return rc;
	if (!(a->net = vfy_net_new(in->base)))
		return -ENOMEM;
	if ((rc = add_sibs(a->net, in->sibs, in->nsibs, notes)))
		return rc;
	a->m = (struct vfy_module){
		.name = in->name, .click = a->flat, .platform = a->c->platform, .address = a->c->ip,
		.proto = proto, .port = port, .inline_a = in->inline_a, .inline_b = in->inline_b,
		.max_memory = in->max_memory, .cancel = in->cancel,
	};
	diags_clear(&a->d);
	if ((rc = vfy_net_add_module(a->net, &a->m, &a->d))) {
		if (rc == -ENOMEM)
			return rc;
		if (parse_budget_err(a->in, a->out, rc))
			return -EINVAL;
		set_err(a->out, 422, "invalid_config",
		        json_pack("{s:s, s:o}", "field", in->inline_a ? "inline" : "config", "errors",
		                  diags_json(&a->d)),
		        "the module cannot be added to the network: %s", first_msg(&a->d));
		return -EINVAL;
	}
	json_object_set_new(a->cj, "proto", json_integer(proto));
	json_object_set_new(a->cj, "port", json_integer(port));
	return 0;
}

/* Say so when a failing requirement is about transit traffic too. */
static void mark_transit(struct attempt *a)
{
	struct vfy_report *tr = NULL;
	struct vfy_limits lim_none = a->lim;
	lim_none.traces = VFY_TRACES_NONE;
	if (vfy_check(a->net, a->p->reqs, &lim_none, &tr))
		return;
	for (size_t k = 0; k < vfy_report_count(tr); k++) {
		struct vfy_result res;
		vfy_report_result(tr, k, &res);
		const char *st = vfy_reqs_text(a->p->reqs, k);
		if (res.verdict != VFY_HOLDS && names_module(st, a->in->name) &&
		    is_transit(a->net, st, a->in->name, &a->lim)) {
			json_t *fl = json_object_get(a->cj, "failure");
			json_object_set_new(fl, "transit", json_true());
			json_object_set_new(fl, "transit_statement", json_string(st));
			json_object_set_new(fl, "transit_message", json_string(TRANSIT_MSG));
			break;
		}
	}
	vfy_report_free(tr);
}

/* The rules rejected the module: the first failing rule is the failure. */
static void reject(struct attempt *a, json_t *sec)
{
	json_t *rules = json_object_get(sec, "rules");
	json_t *failed = NULL;
	for (size_t k = 0; k < json_array_size(rules) && !failed; k++) {
		json_t *ru = json_array_get(rules, k);
		if (!strcmp(json_string_value(json_object_get(ru, "result")), "fail"))
			failed = ru;
	}
	json_t *v = failed ? json_array_get(json_object_get(failed, "violations"), 0) : NULL;
	json_object_set_new(a->cj, "failure", json_pack(
		"{s:s, s:s, s:s, s:O?}", "kind", "rule", "rule",
		failed ? json_string_value(json_object_get(failed, "rule")) : "security",
		"message", v ? json_string_value(json_object_get(v, "problem")) :
		"no flow leaving the module conforms to the security rules",
		"trace", v ? json_object_get(v, "trace") : NULL));
	json_object_set_new(a->cj, "verdict", json_string("rejected"));
	mark_transit(a);
}

/* Run the module with enforcers and verify what will actually run. 0 with
 * a failure in cj when the sandboxed text cannot be placed. */
static int sandbox(struct attempt *a)
{
	const struct ctl_job_in *in = a->in;
	int rc = ctl__sandbox_click(a->g, a->c->ip, in->allowed, in->nallowed,
	                            in->kind == REG_KIND_CLIENT, &a->sand);
	if (rc)
		return rc;
	vfy_net_remove_module(a->net, in->name);
	a->m.click = a->sand;
	diags_clear(&a->d);
	if ((rc = vfy_net_add_module(a->net, &a->m, &a->d))) {
		if (parse_budget_err(a->in, a->out, rc))
			return -EINVAL;
		json_object_set_new(a->cj, "failure", json_pack(
			"{s:s, s:s, s:s}", "kind", "rule", "rule", "sandbox", "message", first_msg(&a->d)));
		return rc == -ENOMEM ? rc : 0;
	}
	enum ctl_verdict v2;
	json_t *sec2 = NULL;
	rc = security(in, a->net, a->c->ip, &a->lim, &v2, &sec2);
	if (sec2)
		json_object_set_new(a->cj, "sandboxed_security", sec2);
	return rc == -E2BIG ? 0 : rc;
}

/* The security rules (the operator's own modules only get the report
 * naming them): a->verdict; a failure in cj when rejected. */
static int judge_security(struct attempt *a)
{
	const struct ctl_job_in *in = a->in;
	json_t *sec = NULL;
	if (in->kind == REG_KIND_OPERATOR) {
		struct vfy_exits none = {0};
		struct ctl_rules_in ri = {in->kind, a->c->ip, NULL, 0};
		int rc = ctl__rules_check(&ri, &none, &a->verdict, &sec);
		if (!rc)
			json_object_set_new(a->cj, "security", sec);
		return rc;
	}
	int rc = security(in, a->net, a->c->ip, &a->lim, &a->verdict, &sec);
	if (rc == -E2BIG) {
		set_err(a->out, 422, "too_complex", NULL,
		        "verifying the module needs more than %llu steps; simplify the configuration",
		        (unsigned long long)in->max_steps);
		return -EINVAL;
	}
	if (rc)
		return rc;
	json_object_set_new(a->cj, "security", sec);
	if (a->verdict == CTL_REJECTED)
		reject(a, sec);
	else if (a->verdict == CTL_SANDBOXED)
		rc = sandbox(a);
	return rc;
}

/* Every operator policy: verdicts only; the full report (traces) just
 * when one fails. *fail: the first failure. */
static int check_policies(struct attempt *a, json_t **fail, unsigned *complex)
{
	struct vfy_limits lim_fail = a->lim;
	lim_fail.traces = VFY_TRACES_FAILURES;
	struct vfy_report *pr = NULL;
	int rc = vfy_check(a->net, a->p->pols, &lim_fail, &pr);
	if (rc)
		return rc;
	json_t *prj;
	if (vfy_report_ok(pr)) {
		json_t *res = json_array();
		for (size_t k = 0; k < vfy_report_count(pr); k++) {
			struct vfy_result vr;
			vfy_report_result(pr, k, &vr);
			json_array_append_new(res, json_pack(
				"{s:s, s:s, s:s, s:b, s:s, s:I}", "statement", vr.text, "kind",
				vr.kind == VFY_REACH ? "reach" : vr.kind == VFY_ALWAYS ? "always" : "never",
				"verdict", "holds", "vacuous", vr.vacuous, "message",
				vr.message ? vr.message : "", "flows", (json_int_t)vr.flows));
		}
		prj = json_pack("{s:b, s:o}", "ok", 1, "results", res);
	} else {
		prj = vfy_report_json(pr);
	}
	json_object_set_new(a->cj, "policies", prj);
	size_t fi = 0;
	*fail = first_failure(pr, prj, "policy", &fi);
	if (*fail) /* how a tenant, who does not see the text, tells which */
		json_object_set_new(*fail, "policy", json_integer((json_int_t)fi + 1));
	*complex |= too_complex(pr);
	vfy_report_free(pr);
	return 0;
}

/* The tenant's requirements, then every operator policy. *fail: the first
 * failure (new ref), or NULL. */
static int check_statements(struct attempt *a, json_t **fail)
{
	const struct ctl_job_in *in = a->in;
	struct vfy_report *rr = NULL;
	int rc = vfy_check(a->net, a->p->reqs, &a->lim, &rr);
	if (rc)
		return rc;
	json_t *rrj = vfy_report_json(rr);
	json_object_set_new(a->cj, "requirements", rrj);
	size_t fi = 0;
	*fail = first_failure(rr, rrj, "requirement", &fi);
	unsigned complex = too_complex(rr);
	if (*fail && in->kind != REG_KIND_OPERATOR && !complex) {
		const char *st = vfy_reqs_text(a->p->reqs, fi);
		if (names_module(st, in->name) && is_transit(a->net, st, in->name, &a->lim)) {
			json_object_set_new(*fail, "transit", json_true());
			json_object_set_new(*fail, "message", json_string(TRANSIT_MSG));
		}
	}
	vfy_report_free(rr);
	if (!*fail && (rc = check_policies(a, fail, &complex)))
		return rc;
	if (complex == TOO_BIG_NETWORK) {
		json_decref(*fail);
		*fail = NULL;
		set_err(a->out, 422, "too_complex", json_pack("{s:s}", "budget", "verify-network-steps"),
		        "the operator's network needs more than %llu steps per statement to verify "
		        "(its verify-network-steps): the operator's limit, not the request's",
		        (unsigned long long)in->max_network_steps);
		return -EINVAL;
	}
	if (complex) {
		json_decref(*fail);
		*fail = NULL;
		set_err(a->out, 422, "too_complex", NULL,
		        "verifying the request needs more than %llu steps per statement; simplify the "
		        "configuration or the requirements",
		        (unsigned long long)in->max_steps);
		return -EINVAL;
	}
	return 0;
}

/* The candidate passed: what will run, unless it is full. */
static void win(struct attempt *a)
{
	if (a->c->full)
		return;
	a->out->verdict = a->verdict;
	a->out->proto = a->m.proto;
	a->out->port = a->m.port;
	/* stateful or not as it runs: the sandbox's enforcers count (its text
	 * is parsed again; otherwise what runs is the graph judged) */
	a->out->stateful = a->sand ? ctl__stateful_of_text(a->in->name, a->sand,
	                                                   a->c->platform ? a->ip : "0.0.0.0",
	                                                   a->port_s)
	                           : ctl__stateful_elements(a->g);
	a->out->deployed = a->sand ? a->sand : a->flat;
	if (a->sand)
		a->sand = NULL;
	else
		a->flat = NULL;
}

/* The element of the process device in g (ToProcess/FromProcess), or NULL. */
static const struct click_element *process_element(const struct click_graph *g)
{
	for (uint32_t i = 0; i < click_graph_nelements(g); i++)
		if (click_graph_element(g, i)->cls->flags & ELEM_PROCESS)
			return click_graph_element(g, i);
	return NULL;
}

/* Only a process-backed stock module's wrapper reaches a program: in any
 * other module device 1 faces the network, where the verifier would not
 * look for what ToProcess sends. */
static int check_process_elements(struct attempt *a)
{
	const struct click_element *e = process_element(a->g);
	if (!e || a->in->process_wrapper)
		return 0;
	set_err(a->out, 400, "invalid_config", json_pack("{s:s, s:s}", "field", "config", "element", e->name),
	        "config: %s (%s) is only for process-backed stock modules, whose wrapper innetd writes "
	        "(\"stock\": NAME; GET /v1/stock lists them)", e->name, e->cls->name);
	return -EINVAL;
}

/* Says in words where a process module's verdict comes from. */
static void note_process(const struct attempt *a, json_t *notes)
{
	if (!process_element(a->g))
		return;
	const char *why = a->verdict == CTL_SAFE
		? "it is the operator's own module, which the security rules trust"
		: a->verdict == CTL_SANDBOXED
		? "a ChangeEnforcer between the program and the network lets out only packets from the "
		  "module's address that answer a flow it received or go to the allowed destinations"
		: "nothing between the program and the network holds it";
	json_array_append_new(notes, json_sprintf(
		"process module: the verifier treats its program as able to send any IPv4 packet "
		"(FromProcess originates every source, destination, protocol, port and payload), so the "
		"verdict '%s' comes from the sandbox, not from the program: %s", ctl__verdict_name(a->verdict), why));
}

/* Everything after parsing; 0 and *ok, or 0 with a failure in cj. */
static int judge(struct attempt *a, json_t *notes, bool *ok)
{
	int rc = check_process_elements(a);
	if (!rc)
		rc = check_models(a);
	if (!rc)
		rc = place_module(a, notes);
	if (!rc)
		rc = judge_security(a);
	if (!rc)
		note_process(a, notes);
	if (rc || json_object_get(a->cj, "failure"))
		return rc;
	json_object_set_new(a->cj, "verdict", json_string(ctl__verdict_name(a->verdict)));
	json_t *fail = NULL;
	if ((rc = check_statements(a, &fail)))
		return rc;
	if (fail) {
		json_object_set_new(a->cj, "failure", fail);
		return 0;
	}
	*ok = true;
	win(a);
	return 0;
}

/* One candidate: 0 and *ok; or a negative errno / request error in out. */
static int try_cand(const struct ctl_job_in *in, struct parsed *p, size_t ci,
                    struct ctl_job_out *out, json_t *cands, bool *ok)
{
	struct attempt a = {
		.in = in, .p = p, .c = &in->cands[ci], .out = out,
		.lim = {.max_steps = in->max_steps, .max_network_steps = in->max_network_steps,
		        .max_memory = in->max_memory, .cancel = in->cancel},
		.port_s = strstr(in->click, "MODULE_PORT") ? "7000" : "0",
		.verdict = CTL_SAFE,
	};
	*ok = false;
	inet_format_addr(a.c->ip, a.ip);
	a.cj = json_pack("{s:s?, s:s?, s:b}", "platform", a.c->platform, "address",
	                 a.c->platform ? a.ip : NULL, "full", a.c->full);
	json_array_append_new(a.cj ? cands : NULL, a.cj);
	if (!a.cj)
		return -ENOMEM;
	diags_init(&a.d);
	json_t *notes = json_array();
	int rc = parse_graph(&a);
	if (!rc)
		rc = judge(&a, notes, ok);
	if (json_array_size(notes))
		json_object_set(a.cj, "notes", notes);
	json_decref(notes);
	vfy_net_free(a.net);
	free(a.flat);
	free(a.sand);
	if (a.g != p->g)
		click_graph_free(a.g);
	diags_free(&a.d);
	return rc;
}

static int parse_text(const char *what, struct src_file *f, const char *text, struct vfy_reqs **out,
                      struct ctl_job_out *o)
{
	f->name = what;
	f->text = text ? text : "";
	f->len = strlen(f->text);
	struct diags d;
	diags_init(&d);
	int rc = vfy_reqs_parse(f, out, &d);
	if (rc && rc != -ENOMEM)
		set_err(o, 400, !strcmp(what, "requirements") ? "invalid_requirements" : "invalid_policy",
		        json_pack("{s:s, s:o}", "field", what, "errors", diags_json(&d)), "%s: %s", what,
		        first_msg(&d));
	diags_free(&d);
	return rc;
}

/* "requirements:3:12: unknown node 'xyz'": the first diagnostic where
 * compilers put it, and whether there are more. */
static void located_msg(const struct diags *d, char *buf, size_t size)
{
	const struct diag *g = d->n ? &d->v[0] : NULL;
	if (!g) {
		snprintf(buf, size, "error");
		return;
	}
	snprintf(buf, size, "%s:%u:%u: %s%s", g->file ? g->file : "", g->line, g->col, g->msg,
	         d->nerrors > 1 ? " (and more, see details)" : "");
}

static bool elem_in_graph(void *ud, const char *elem)
{
	return click_graph_find(ud, elem) != NULL;
}

/* A requirement naming an element the module does not have (batcher:dsst:0)
 * is a mistake too: 400 unknown_element. A configuration that does not
 * parse is left to parse_graph, which says why. */
static int check_elements(const struct ctl_job_in *in, struct parsed *p, struct ctl_job_out *o)
{
	struct click_define defs[2] = {{"MODULE_IP", "0.0.0.0"}, {"MODULE_PORT", "0"}};
	struct click_options opt = {.lookup = elem_class_find, .why_unknown = elem_class_why_unknown,
	                            .defines = defs, .ndefines = 2, .max_memory = in->max_memory,
	                            .cancel = in->cancel};
	struct src_file gf = {in->name, in->click, strlen(in->click)};
	struct click_graph *g = NULL;
	struct diags d;
	diags_init(&d);
	int rc = click_parse(&gf, &opt, &g, &d);
	if (rc == 0) {
		diags_free(&d);
		diags_init(&d);
		rc = vfy_reqs_check_elements(p->reqs, &p->rf, in->name, elem_in_graph, g, &d);
	} else if (parse_budget_err(in, o, rc)) {
		diags_free(&d); /* stopped: the job ends here, nothing more is parsed */
		return -EINVAL;
	} else {
		rc = 0;
	}
	if (rc == -EINVAL) {
		char msg[512];
		located_msg(&d, msg, sizeof msg);
		set_err(o, 400, "unknown_element",
		        json_pack("{s:s, s:o}", "field", "requirements", "errors", diags_json(&d)), "%s",
		        msg);
	}
	/* the graph is the one every candidate would parse again when the text
	 * does not depend on the platform: parse_graph takes it (the job frees it) */
	if (g && !strstr(in->click, "MODULE_IP") && !strstr(in->click, "MODULE_PORT"))
		p->g = g;
	else
		click_graph_free(g);
	diags_free(&d);
	return rc;
}

/* A requirement naming a node that exists nowhere (not in the network, not
 * the module itself, not one of the modules in its model: the tenant's
 * that it names, the operator's inline ones) is a mistake in the request,
 * not a verdict: 400 unknown_node, with line and column. */
static int check_names(const struct ctl_job_in *in, struct parsed *p, struct ctl_job_out *o)
{
	const char **names = calloc(in->nsibs + 1, sizeof *names);
	if (!names)
		return -ENOMEM;
	names[0] = in->name;
	for (size_t i = 0; i < in->nsibs; i++)
		names[i + 1] = in->sibs[i].name;
	struct diags d;
	diags_init(&d);
	int rc = vfy_reqs_check_names(p->reqs, &p->rf, in->base, names, in->nsibs + 1, &d);
	if (rc == 0)
		rc = check_elements(in, p, o);
	if (rc == -EINVAL && !o->http) {
		char msg[512];
		located_msg(&d, msg, sizeof msg);
		set_err(o, 400, "unknown_node",
		        json_pack("{s:s, s:o}", "field", "requirements", "errors", diags_json(&d)), "%s",
		        msg);
	}
	diags_free(&d);
	free(names);
	return rc;
}

/* Try the candidates in order until one wins; *passed_full counts those
 * that would have passed but are full. */
static int try_all(const struct ctl_job_in *in, struct parsed *p, struct ctl_job_out *out,
                   json_t *cands, size_t *passed_full)
{
	for (size_t i = 0; i < in->ncands; i++) {
		bool ok;
		int rc = try_cand(in, p, i, out, cands, &ok);
		if (rc)
			return rc;
		if (ok && in->cands[i].full) {
			++*passed_full;
		} else if (ok) {
			out->winner = (int)i;
			break;
		}
	}
	return 0;
}

/* The report: the winner's results once, at the top; failed candidates
 * keep their first failure and the rules' summary. */
static void shape_report(const struct ctl_job_in *in, struct ctl_job_out *out, json_t *cands,
                         json_t *win)
{
	/* the operator's policies: verdicts for everyone, traces only where
	 * one fails (the network's inside is the operator's business) */
	size_t ci;
	json_t *cj;
	json_array_foreach(cands, ci, cj) {
		size_t ri;
		json_t *res;
		json_array_foreach(json_object_get(json_object_get(cj, "policies"), "results"), ri, res)
			if (!strcmp(json_string_value(json_object_get(res, "verdict")) ?: "", "holds"))
				json_object_del(res, "trace"), json_object_del(res, "loop_trace");
	}
	if (win) {
		json_object_set(out->report, "platform", json_object_get(win, "platform"));
		const char *keys[] = {"security", "sandboxed_security", "requirements", "policies", "notes"};
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
			if (json_object_get(win, keys[k])) {
				json_object_set(out->report, keys[k], json_object_get(win, keys[k]));
				json_object_del(win, keys[k]);
			}
		json_object_set_new(win, "result", json_string("chosen"));
		json_object_set_new(out->report, "deployed_config", json_string(out->deployed));
		json_object_set_new(out->report, "stateful", json_boolean(json_array_size(out->stateful)));
		json_object_set_new(out->report, "stateful_elements",
		                    out->stateful ? json_incref(out->stateful) : json_array());
	}
	json_array_foreach(cands, ci, cj) {
		if (cj == win)
			continue;
		json_object_del(cj, "requirements");
		json_object_del(cj, "policies");
		if (!json_object_get(cj, "failure") && !in->cands[ci].full)
			json_object_set_new(cj, "result", json_string("not tried"));
		else
			json_object_set_new(cj, "result", json_string(json_object_get(cj, "failure") ?
			                                              "failed" : "full"));
	}
}

/* Nobody won: why, per platform, as the job's error. */
static void explain_rejection(const struct ctl_job_in *in, struct ctl_job_out *out, json_t *cands,
                              size_t passed_full)
{
	json_t *per = json_array();
	bool any_transit = false, all_rules = in->ncands > 0;
	size_t i;
	json_t *cj;
	json_array_foreach(cands, i, cj) {
		json_t *f = json_object_get(cj, "failure");
		if (!in->cands[i].full || f)
			json_array_append_new(per, json_pack("{s:O, s:O}", "platform",
			                                     json_object_get(cj, "platform"), "failure",
			                                     f ? f : json_null()));
		any_transit |= f && json_is_true(json_object_get(f, "transit"));
		all_rules &= f && !strcmp(json_string_value(json_object_get(f, "kind")), "rule");
	}
	json_t *details = json_pack("{s:o}", "platforms", per);
	if (in->ncands == 0)
		set_err(out, 503, "no_capacity", details, "no platform in the network can host modules");
	else if (passed_full)
		set_err(out, 503, "no_capacity", details,
		        "the request would be accepted, but every platform where it holds is full");
	else if (any_transit)
		set_err(out, 422, "needs_transit", details,
		        "the requirements need transit traffic, which a tenant's addressed module never "
		        "receives (only the operator may put a module on-path)");
	else if (all_rules)
		set_err(out, 422, "security_rules", details,
		        "rejected by the security rules: no flow leaving the module conforms");
	else
		set_err(out, 422, "requirement_unsatisfied", details,
		        "no platform satisfies the security rules, the requirements and the operator's "
		        "policies (see details for each platform's first failure)");
}

/* Did the job stop at its budget (or its cancellation), or read a large
 * configuration? Then it may have allocated up to its budget. */
static bool heavy_job(const struct ctl_job_in *in, const struct ctl_job_out *out)
{
	return (out->code && (!strcmp(out->code, "too_complex") || !strcmp(out->code, "internal")))
	       || strlen(in->click) > 16384;
}

/* What the caller may see: a tenant's view of the report (beside the
 * full one, which is stored, for a winner) and of the error's details. */
static int shape_view(const struct ctl_job_in *in, struct ctl_job_out *out)
{
	if (in->kind == REG_KIND_OPERATOR || in->detail == CTL_DETAIL_FULL)
		return 0;
	const char **own = calloc(2 * in->nsibs + 1, sizeof *own);
	if (!own)
		return -ENOMEM;
	const char **ops = own + in->nsibs + 1;
	size_t nown = 0, nops = 0;
	own[nown++] = in->name;
	for (size_t i = 0; i < in->nsibs; i++) {
		if (in->sibs[i].inline_a) /* on-path modules are the operator's */
			ops[nops++] = in->sibs[i].name;
		else
			own[nown++] = in->sibs[i].name;
	}
	struct ctl_view v = {in->detail, own, nown, vfy_base_snapshot(in->base), ops, nops};
	int rc = 0;
	if (out->message) {
		json_t *m = json_pack("{s:s}", "message", out->message);
		json_t *mv = m ? ctl__report_view(m, &v) : NULL;
		const char *t = json_string_value(json_object_get(mv, "message"));
		char *dup = t ? strdup(t) : NULL;
		if (dup)
			free(out->message), out->message = dup;
		json_decref(m);
		json_decref(mv);
	}
	if (out->details) {
		json_t *d = ctl__report_view(out->details, &v);
		json_decref(out->details);
		out->details = d;
		rc = d ? 0 : -ENOMEM;
	}
	json_t *r = out->report ? ctl__report_view(out->report, &v) : NULL;
	if (out->report && !r)
		rc = -ENOMEM;
	else if (out->winner >= 0 && r)
		rc = (out->view_text = ctl__json_text(r)) ? 0 : -ENOMEM;
	else if (r)
		json_decref(out->report), out->report = json_incref(r);
	json_decref(r);
	free(own);
	return rc;
}

void ctl__job_run(const struct ctl_job_in *in, struct ctl_job_out *out)
{
	memset(out, 0, sizeof *out);
	out->winner = -1;
	struct parsed p = {0};
	if (parse_text("requirements", &p.rf, in->requirements, &p.reqs, out) ||
	    check_names(in, &p, out) ||
	    (!in->pols && parse_text("policies", &p.pf, in->policies, &p.own_pols, out))) {
		if (!out->http)
			set_err(out, 500, "internal", NULL, "out of memory");
		goto cleanup;
	}
	p.pols = in->pols ? in->pols : p.own_pols;
	json_t *cands = json_array();
	size_t passed_full = 0;
	int rc = try_all(in, &p, out, cands, &passed_full);
	if (rc) {
		if (!out->http)
			set_err(out, 500, "internal", NULL, "verification failed: %s", strerror(-rc));
		json_decref(cands);
		goto cleanup;
	}
	json_t *win = out->winner >= 0 ? json_array_get(cands, (size_t)out->winner) : NULL;
	out->report = json_pack("{s:O, s:s}", "candidates", cands, "verdict",
	                        win ? ctl__verdict_name(out->verdict) : "rejected");
	shape_report(in, out, cands, win);
	if (!win)
		explain_rejection(in, out, cands, passed_full);
	json_decref(cands);
cleanup:
	if (shape_view(in, out)) {
		/* never the full report for want of memory */
		json_decref(out->report);
		out->report = NULL;
		out->winner = -1;
		set_err(out, 500, "internal", NULL, "out of memory");
	}
	vfy_reqs_free(p.reqs);
	vfy_reqs_free(p.own_pols);
	click_graph_free(p.g);
	/* A heavy job's arenas are freed in 64 KB chunks that glibc keeps (a
	 * hostile check left innetd 14 MB larger, issue 12): give them back
	 * to the system. Not after every job: trimming costs a Figure 4
	 * check about 3 ms of CPU (bench-ctl_deploy). */
	if (heavy_job(in, out))
		malloc_trim(0);
}

int ctl__check_statements(struct vfy_base *base, const struct ctl_sib *mods, size_t nmods,
                          const char *statements, uint64_t max_steps, json_t **violations)
{
	*violations = json_array();
	struct vfy_net *net = vfy_net_new(base);
	if (!net)
		return -ENOMEM;
	int rc = add_sibs(net, mods, nmods, NULL);
	struct src_file f = {"policy", statements, strlen(statements)};
	struct diags d;
	diags_init(&d);
	struct vfy_reqs *r = NULL;
	struct vfy_report *rep = NULL;
	if (!rc)
		rc = vfy_reqs_parse(&f, &r, &d);
	struct vfy_limits lim = {.max_steps = max_steps, .max_memory = CTL_MAX_MEMORY,
	                         .traces = VFY_TRACES_FAILURES};
	if (!rc)
		rc = vfy_check(net, r, &lim, &rep);
	if (!rc) {
		json_t *rj = vfy_report_json(rep);
		json_t *results = json_object_get(rj, "results");
		for (size_t i = 0; i < vfy_report_count(rep); i++) {
			struct vfy_result res;
			vfy_report_result(rep, i, &res);
			if (res.verdict == VFY_HOLDS)
				continue;
			json_array_append_new(*violations,
			                      json_pack("{s:s, s:s, s:O?}", "statement", res.text, "message",
			                                res.message ? res.message : "", "trace",
			                                json_object_get(json_array_get(results, i), "trace")));
		}
		json_decref(rj);
	}
	vfy_report_free(rep);
	vfy_reqs_free(r);
	diags_free(&d);
	vfy_net_free(net);
	return rc;
}
