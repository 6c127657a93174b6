/* Checking statements (docs/requirements.md): resolve the nodes, start the
 * source flows, explore, and turn the outcome into a verdict with a trace. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verify/internal.h"

struct vres {
	struct vfy_result r;
	struct vtrace *trace;
	struct vtrace *loop_trace;
};

struct vfy_report {
	struct arena *a;
	size_t n;
	struct vres *v;
};

static const char *node_err(struct arena *ra, const struct rnode *nd, const char *why)
{
	return arena_printf(ra, "%u:%u: %s '%s'", nd->line, nd->col, why, nd->text);
}

/* Resolve hop i's node; NULL or an error message. */
static const char *resolve(struct vfy_job *j, struct arena *ra, const struct rnode *nd, struct rmatch *m)
{
	uint32_t total = vnet__nnodes(j->net);
	m->nodes = arena_calloc(j->a, total ? total : 1, sizeof *m->nodes);
	m->elem = UINT32_MAX;
	if (!m->nodes)
		return "out of memory";
	switch (nd->kind) {
	case RN_CLIENT:
	case RN_INTERNET:
		for (uint32_t i = 0; i < total; i++) {
			const struct vnode *n = vnet__node(j->net, i);
			if (n->kind == VN_HOSTS && n->client == (nd->kind == RN_CLIENT))
				m->nodes[m->n++] = i;
		}
		m->hosts = true;
		if (!m->n)
			return node_err(ra, nd, "the network has no hosts node for");
		return NULL;
	case RN_PREFIX: {
		uint32_t lo = nd->pfx.addr & inet_mask(nd->pfx.len), hi = lo | ~inet_mask(nd->pfx.len);
		m->dst = iset__range(j->a, lo, hi);
		for (uint32_t i = 0; i < total; i++) {
			const struct vnode *n = vnet__node(j->net, i);
			if (n->kind == VN_HOSTS) {
				const struct sym_iset *x = iset__and(j->a, n->space, m->dst);
				if (x && x->n)
					m->nodes[m->n++] = i;
			} else if (n->kind == VN_MODULE && n->address >= lo && n->address <= hi) {
				m->nodes[m->n++] = i;
			}
		}
		m->hosts = true;
		if (!m->n)
			return node_err(ra, nd, "no hosts node or module holds the addresses of");
		return NULL;
	}
	case RN_NAME: {
		int i = vnet__find(j->net, nd->name);
		if (i < 0)
			return node_err(ra, nd, "no node or module named");
		m->nodes[m->n++] = (uint32_t)i;
		m->hosts = vnet__node(j->net, (uint32_t)i)->kind == VN_HOSTS;
		return NULL;
	}
	case RN_ELEM: {
		int i = vnet__find(j->net, nd->name);
		if (i < 0)
			return node_err(ra, nd, "no node or module named in");
		const struct vnode *n = vnet__node(j->net, (uint32_t)i);
		if (!n->g)
			return node_err(ra, nd, "the node has no Click configuration:");
		const struct click_element *e = click_graph_find(n->g, nd->elem);
		if (!e)
			return node_err(ra, nd, "no such element in");
		if (nd->port >= e->ninputs)
			return node_err(ra, nd, "the element has no such input port:");
		m->nodes[m->n++] = (uint32_t)i;
		m->elem = e->index;
		m->port = nd->port;
		return NULL;
	}
	}
	return "bad node";
}

/* Start flows at the statement's first node. */
static int start(struct vfy_job *j, const struct rstmt *st)
{
	struct sym_ctx *cx = &j->cx;
	const struct rhop *h0 = &st->hops[0];
	const struct rmatch *m0 = &j->m[0];
	for (uint32_t s = 0; s < m0->n; s++) {
		uint32_t node = m0->nodes[s];
		const struct vnode *n = vnet__node(j->net, node);
		if ((n->kind == VN_MODULE || n->kind == VN_CLICK) && m0->elem == UINT32_MAX) {
			/* what its sources make starts there too */
			int rc = vjob__start_sources(j, node, h0->flow);
			if (rc < 0)
				return rc;
		}
		struct sym_flow *f = sym__fresh(cx);
		if (!f)
			return -ENOMEM;
		cx->node = node;
		cx->elem = UINT32_MAX;
		struct sym_flow *in = f, *out = NULL;
		if (n->kind == VN_HOSTS) {
			const struct sym_iset *space = n->space;
			if (m0->dst)
				space = iset__and(j->a, space, m0->dst);
			sym_split_set(cx, in, SYM_F_SRC, space, &in, &out);
			sym__free(cx, out);
			/* a host sends through the network what is not for its own
			 * side, unless the statement says where it goes */
			if (in && !sym__mentions_dst(h0->flow)) {
				sym_split_set(cx, in, SYM_F_DST, iset__not(j->a, n->space, 32), &in, &out);
				sym__free(cx, out);
			}
		} else if (n->kind == VN_MODULE && m0->elem == UINT32_MAX) {
			sym_split_range(cx, in, SYM_F_DST, n->address, n->address, &in, &out);
			sym__free(cx, out);
		}
		if (!in)
			continue;
		in->cmask = 0;
		struct sym_flows yes = {0}, no = {0};
		if (h0->flow) {
			int rc = sym_split_expr(cx, in, h0->flow, &yes, &no);
			if (rc < 0)
				return rc;
			for (uint32_t i = 0; i < no.n; i++)
				sym__free(cx, no.v[i]);
		} else {
			sym_flows_push(cx, &yes, in);
		}
		for (uint32_t i = 0; i < yes.n; i++) {
			struct sym_flow *g = yes.v[i];
			g->cmask = 0;
			g->entry_src = sym_get(g, SYM_F_SRC);
			g->entry_dst = sym_get(g, SYM_F_DST);
			j->started++;
			/* the source row of the trace */
			vjob__hop(j, g, HOP_NODE, node, m0->elem, m0->elem == UINT32_MAX ? 0 : m0->port, "source");
			g->prev_match = g->nhops;
			sym__mark(g);
			if (m0->elem != UINT32_MAX) {
				/* start inside: undo the record, the step records it */
				g->hist = g->hist->prev;
				g->nhops--;
				g->prev_match = g->nhops + 1;
				vjob__push(j, g, IT_ELEM, node, m0->elem, m0->port);
			} else if (n->kind == VN_MODULE) {
				g->hist = g->hist->prev;
				g->nhops--;
				g->prev_match = g->nhops + 1;
				vjob__push(j, g, IT_NODE, node, UINT32_MAX, 0);
			} else {
				/* leave by every linked port */
				uint32_t np = n->nports;
				for (uint32_t p = 0; p < np; p++) {
					struct sym_flow *c = p + 1 < np ? sym_clone(cx, g) : g;
					struct vendpoint peer;
					sym__normalize(cx, c);
					if (!vnet__peer(j->net, node, p, &peer)) {
						sym__free(cx, c);
						continue;
					}
					vjob__push(j, c, IT_NODE, peer.node, UINT32_MAX, peer.port);
				}
				if (!np)
					sym__free(cx, g);
			}
		}
	}
	/* explore in source order */
	for (uint32_t a = 0, b = j->nstack ? j->nstack - 1 : 0; a < b; a++, b--) {
		struct witem t = j->stack[a];
		j->stack[a] = j->stack[b];
		j->stack[b] = t;
	}
	return cx->err;
}

static const char *kind_word(enum vfy_kind k)
{
	return k == VFY_REACH ? "reach" : k == VFY_ALWAYS ? "always" : "never";
}

static const char *hop_text(struct arena *a, const struct rhop *h)
{
	return h->flow_text ? arena_printf(a, "%s %s", h->node.text, h->flow_text) : h->node.text;
}

/* Each hop's node, in j->m; false when one does not resolve (the verdict
 * is then an error saying why). */
static bool hops_resolve(struct vfy_job *j, struct arena *ra, struct vres *out)
{
	const struct rstmt *st = j->st;
	for (uint32_t i = 0; i < st->nhops; i++) {
		const char *e = resolve(j, ra, &st->hops[i].node, &j->m[i]);
		if (e) {
			out->r.verdict = VFY_ERROR;
			out->r.message = arena_strdup(ra, e);
			return false;
		}
	}
	return true;
}

/* " (approximate: why)" when flow f is approximate, else "". */
static const char *approx_note(struct arena *ra, const struct sym_flow *f)
{
	return f->approx ? arena_printf(ra, " (approximate: %s)", f->approx) : "";
}

/* reach: holds with a witness, or fails with the flow that came closest. */
static struct sym_flow *verdict_reach(struct vfy_job *j, struct arena *ra, struct vres *out)
{
	const struct rstmt *st = j->st;
	const char *first = st->hops[0].node.text, *last = st->hops[st->nhops - 1].node.text;
	if (j->decisive) {
		out->r.verdict = VFY_HOLDS;
		out->r.approximate = j->decisive->approx != NULL;
		out->r.message = arena_printf(ra, "a flow from %s reaches %s through every hop%s", first, last,
		                              approx_note(ra, j->decisive));
		return j->decisive;
	}
	out->r.verdict = VFY_FAILS;
	uint32_t got = j->best ? j->best->progress : 0;
	const struct rhop *h = &st->hops[got + 1];
	if (!j->started)
		out->r.message = arena_printf(ra, "no packet can leave %s as stated", hop_text(ra, &st->hops[0]));
	else if (j->const_msg)
		out->r.message = arena_printf(ra, "no flow keeps its invariants: %s", j->const_msg);
	else
		out->r.message = arena_printf(ra, "no flow reaches hop %u (%s)%s%s; the closest stops at %s",
		                              got + 1, hop_text(ra, h), got ? "; the closest passed " : "",
		                              got ? hop_text(ra, &st->hops[got]) : "",
		                              j->best ? vjob__loc_name(j, j->best->hist) : "the source");
	return j->best;
}

/* never: fails with the flow that got through, or holds (vacuously when
 * no packet could start). */
static struct sym_flow *verdict_never(struct vfy_job *j, struct arena *ra, struct vres *out)
{
	const struct rstmt *st = j->st;
	const char *first = st->hops[0].node.text, *last = st->hops[st->nhops - 1].node.text;
	if (j->decisive) {
		out->r.verdict = VFY_FAILS;
		out->r.approximate = j->decisive->approx != NULL;
		out->r.message = arena_printf(ra, "a flow from %s reaches %s%s", first, last, approx_note(ra, j->decisive));
		return j->decisive;
	}
	out->r.verdict = VFY_HOLDS;
	out->r.vacuous = !j->started;
	out->r.message = j->started ? arena_printf(ra, "no flow from %s reaches %s", first, last)
	                            : arena_printf(ra, "vacuous: no packet can leave %s as stated",
	                                           hop_text(ra, &st->hops[0]));
	return NULL;
}

/* always: fails with a flow that skipped a hop or broke an invariant, or
 * holds (vacuously when no flow started or none reached the last node). */
static struct sym_flow *verdict_always(struct vfy_job *j, struct arena *ra, struct vres *out)
{
	const struct rstmt *st = j->st;
	const char *first = st->hops[0].node.text, *last = st->hops[st->nhops - 1].node.text;
	if (j->decisive) {
		out->r.verdict = VFY_FAILS;
		out->r.approximate = j->decisive->approx != NULL;
		uint32_t got = j->decisive->progress;
		if (got + 1 < st->nhops - 1)
			out->r.message = arena_printf(ra, "a flow reaches %s without passing %s", last,
			                              hop_text(ra, &st->hops[got + 1]));
		else
			out->r.message = arena_printf(ra, "a flow reaches %s but %s", last,
			                              j->const_msg ? j->const_msg : "breaks an invariant");
		return j->decisive;
	}
	out->r.verdict = VFY_HOLDS;
	out->r.vacuous = !j->started || !j->reached_last;
	out->r.message = !j->started ? arena_printf(ra, "vacuous: no packet can leave %s as stated",
	                                            hop_text(ra, &st->hops[0]))
	               : !j->reached_last ? arena_printf(ra, "vacuous: no flow from %s reaches %s", first, last)
	               : arena_printf(ra, "every flow from %s that reaches %s passed every hop (%llu did)",
	                              first, last, (unsigned long long)j->reached_last);
	return NULL;
}

/* The traces the job wants (tf: the flow that decided), and the looping
 * flows cut, in the message. */
static void add_traces(struct vfy_job *j, struct vfy_net *n, struct sym_flow *tf, struct arena *ra,
                       struct vres *out)
{
	bool want = j->traces == VFY_TRACES_ALL ||
	            (j->traces == VFY_TRACES_FAILURES && out->r.verdict != VFY_HOLDS);
	if (tf && want)
		out->trace = vtrace__build(ra, n, tf);
	if (j->loop_flow && want)
		out->loop_trace = vtrace__build(ra, n, j->loop_flow);
	if (j->loops)
		out->r.message = arena_printf(ra, "%s; %u looping flow%s cut", out->r.message, j->loops,
		                              j->loops == 1 ? "" : "s");
}

/* Does a hop of the statement name a router? Then flows are matched at
 * each router they cross, and router regions are not crossed in one step. */
static bool names_router(const struct vfy_job *j)
{
	for (uint32_t i = 0; i < j->st->nhops; i++)
		for (uint32_t k = 0; k < j->m[i].n; k++)
			if (vnet__node(j->net, j->m[i].nodes[k])->kind == VN_ROUTER)
				return true;
	return false;
}

static int check_one(struct vfy_net *n, const struct rstmt *st, const struct vfy_limits *lim,
                     struct arena *ra, struct vres *out)
{
	struct vfy_job j;
	int rc = vjob__init(&j, n, lim);
	if (rc < 0)
		return rc;
	out->r.text = st->text;
	out->r.kind = st->kind;
	j.st = st;
	j.m = arena_calloc(j.a, st->nhops, sizeof *j.m);
	if (!j.m) {
		rc = -ENOMEM;
		goto cleanup;
	}
	if (!hops_resolve(&j, ra, out))
		goto cleanup;
	j.transit = !j.hop_by_hop && !names_router(&j);
	rc = start(&j, st);
	if (rc == 0)
		rc = vjob__run(&j);
	out->r.flows = j.cx.nflows;
	out->r.loops = j.loops;
	if (rc < 0) {
		out->r.verdict = VFY_ERROR;
		out->r.message = arena_printf(ra, "%s", j.errmsg ? j.errmsg : strerror(-rc));
		rc = rc == -ENOMEM || rc == -ECANCELED ? rc : 0;
		goto cleanup;
	}
	struct sym_flow *tf = st->kind == VFY_REACH ? verdict_reach(&j, ra, out)
	                      : st->kind == VFY_NEVER ? verdict_never(&j, ra, out)
	                                              : verdict_always(&j, ra, out);
	add_traces(&j, n, tf, ra, out);
cleanup:
	vjob__fini(&j);
	return rc;
}

int vfy_check(struct vfy_net *n, const struct vfy_reqs *r, const struct vfy_limits *lim,
              struct vfy_report **out)
{
	*out = NULL;
	struct vfy_report *rep = calloc(1, sizeof *rep);
	if (!rep)
		return -ENOMEM;
	rep->a = arena_new(0);
	rep->v = calloc(r->n ? r->n : 1, sizeof *rep->v);
	if (!rep->a || !rep->v) {
		vfy_report_free(rep);
		return -ENOMEM;
	}
	for (size_t i = 0; i < r->n; i++) {
		int rc = check_one(n, &r->v[i], lim, rep->a, &rep->v[i]);
		rep->n = i + 1;
		if (rc < 0) {
			vfy_report_free(rep);
			return rc;
		}
	}
	*out = rep;
	return 0;
}

static bool name_known(const struct vfy_base *b, const char *name, const char *const *names,
                       size_t n)
{
	int i = snapshot_find(b->snap, name);
	if (i >= 0 && (uint32_t)i < b->nnodes)
		return true;
	for (size_t k = 0; k < n; k++)
		if (names[k] && !strcmp(names[k], name))
			return true;
	return false;
}

int vfy_reqs_check_names(const struct vfy_reqs *r, const struct src_file *src,
                         const struct vfy_base *b, const char *const *names, size_t n,
                         struct diags *d)
{
	int rc = 0;
	for (size_t i = 0; i < r->n; i++)
		for (uint32_t h = 0; h < r->v[i].nhops; h++) {
			const struct rnode *nd = &r->v[i].hops[h].node;
			if ((nd->kind != RN_NAME && nd->kind != RN_ELEM) || name_known(b, nd->name, names, n))
				continue;
			struct src_loc at = {src, nd->line, nd->col};
			diags_error(d, &at, (uint32_t)strlen(nd->name), "unknown node '%s'", nd->name);
			rc = -EINVAL;
		}
	return rc;
}

int vfy_reqs_check_elements(const struct vfy_reqs *r, const struct src_file *src, const char *node,
                            bool (*known)(void *ud, const char *elem), void *ud, struct diags *d)
{
	int rc = 0;
	for (size_t i = 0; i < r->n; i++)
		for (uint32_t h = 0; h < r->v[i].nhops; h++) {
			const struct rnode *nd = &r->v[i].hops[h].node;
			if (nd->kind != RN_ELEM || strcmp(nd->name, node) != 0 || known(ud, nd->elem))
				continue;
			struct src_loc at = {src, nd->line, nd->col};
			diags_error(d, &at, nd->span ? nd->span : (uint32_t)strlen(nd->name),
			            "module '%s' has no element '%s'", nd->name, nd->elem);
			rc = -EINVAL;
		}
	return rc;
}

void vfy_report_free(struct vfy_report *rep)
{
	if (!rep)
		return;
	arena_free(rep->a);
	free(rep->v);
	free(rep);
}

size_t vfy_report_count(const struct vfy_report *rep)
{
	return rep->n;
}

bool vfy_report_ok(const struct vfy_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		if (rep->v[i].r.verdict != VFY_HOLDS)
			return false;
	return true;
}

void vfy_report_result(const struct vfy_report *rep, size_t i, struct vfy_result *out)
{
	*out = rep->v[i].r;
}

static const char *verdict_word(enum vfy_verdict v)
{
	return v == VFY_HOLDS ? "holds" : v == VFY_FAILS ? "fails" : "error";
}

json_t *vfy_report_json(const struct vfy_report *rep)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < rep->n; i++) {
		const struct vres *v = &rep->v[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:b, s:s, s:I, s:i}", "statement", v->r.text, "kind",
		                      kind_word(v->r.kind), "verdict", verdict_word(v->r.verdict), "vacuous",
		                      v->r.vacuous, "approximate", v->r.approximate, "message",
		                      v->r.message ? v->r.message : "", "flows", (json_int_t)v->r.flows, "loops",
		                      (int)v->r.loops);
		if (v->trace)
			json_object_set_new(o, "trace", vtrace__json(v->trace));
		if (v->loop_trace)
			json_object_set_new(o, "loop_trace", vtrace__json(v->loop_trace));
		json_array_append_new(arr, o);
	}
	return json_pack("{s:b, s:o}", "ok", vfy_report_ok(rep), "results", arr);
}

const char *vfy_report_final_field(const struct vfy_report *rep, size_t i, const char *field)
{
	if (i >= rep->n || !rep->v[i].trace)
		return NULL;
	return vtrace__final(rep->v[i].trace, field);
}
