/* The exploration engine: flows move hop by hop through the network and
 * the Click graphs (depth first, deterministic), statements are matched
 * as flows arrive, loops are cut, work is bounded. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elements/element.h"
#include "verify/internal.h"

#define DEFAULT_MAX_STEPS 2000000ull
#define DEFAULT_MAX_NET_STEPS 10000000ull
#define DEFAULT_MAX_MEMORY (1ull << 30)

/* ---- job ---------------------------------------------------------------------- */

int vjob__init(struct vfy_job *j, struct vfy_net *n, const struct vfy_limits *lim)
{
	memset(j, 0, sizeof *j);
	j->net = n;
	size_t mem = lim && lim->max_memory ? lim->max_memory : DEFAULT_MAX_MEMORY;
	j->max_steps = lim && lim->max_steps ? lim->max_steps : DEFAULT_MAX_STEPS;
	j->max_net_steps = lim && lim->max_network_steps ? lim->max_network_steps : DEFAULT_MAX_NET_STEPS;
	j->cancel = lim ? lim->cancel : NULL;
	j->traces = lim ? lim->traces : VFY_TRACES_ALL;
	j->hop_by_hop = lim && lim->hop_by_hop;
	j->a = arena_new(mem);
	if (!j->a)
		return -ENOMEM;
	j->cx.a = j->a;
	return 0;
}

void vjob__fini(struct vfy_job *j)
{
	free(j->stack);
	free(j->cx.emit);
	free(j->exits);
	arena_free(j->a);
	j->a = NULL;
}

void vjob__push(struct vfy_job *j, struct sym_flow *f, uint8_t kind, uint32_t node, uint32_t elem,
                uint32_t port)
{
	if (!f)
		return;
	if (j->nstack == j->capstack) {
		uint32_t nc = j->capstack ? j->capstack * 2 : 64;
		struct witem *nv = realloc(j->stack, (size_t)nc * sizeof *nv);
		if (!nv) {
			j->err = -ENOMEM;
			sym__free(&j->cx, f);
			return;
		}
		j->stack = nv;
		j->capstack = nc;
	}
	j->stack[j->nstack++] = (struct witem){f, node, elem, port, kind};
}

/* Skew-binary jump pointers (Myers' random-access lists): any ancestor is
 * reached in O(log n) jumps, so a loop check need not walk the history. */
static const struct sym_hop *jump_for(const struct sym_hop *p)
{
	if (p && p->jump && p->jump->jump && p->num - p->jump->num == p->jump->num - p->jump->jump->num)
		return p->jump->jump;
	return p;
}

/* The ancestor of h numbered `num`, or NULL. Numbers decrease along prev. */
static const struct sym_hop *ancestor_at(const struct sym_hop *h, uint32_t num)
{
	while (h && h->num > num)
		h = h->jump && h->jump->num >= num ? h->jump : h->prev;
	return h && h->num == num ? h : NULL;
}

static bool same_place(const struct sym_hop *a, const struct sym_hop *b)
{
	return a->node == b->node && a->elem == b->elem && a->port == b->port && a->kind == b->kind &&
	       a->hash == b->hash;
}

static uint32_t place_hash(const struct sym_hop *h)
{
	uint64_t x = h->hash ^ ((uint64_t)h->node << 32 | h->elem) * 0x9e3779b97f4a7c15ull;
	x ^= ((uint64_t)h->port << 8 | h->kind) * 0xc2b2ae3d27d4eb4full;
	return (uint32_t)(x ^ x >> 29);
}

static int grow_hops(struct vfy_job *j)
{
	uint32_t nc = j->caphops ? j->caphops * 2 : 1024;
	/* in the job's arena: the index counts against its memory budget (the
	 * old table is left behind, at most as much again) */
	const struct sym_hop **nt = arena_calloc(j->a, nc, sizeof *nt);
	if (!nt)
		return -ENOMEM;
	for (uint32_t i = 0; i < j->caphops; i++) {
		const struct sym_hop *h = j->hops[i];
		if (!h)
			continue;
		uint32_t k = place_hash(h) & (nc - 1);
		while (nt[k])
			k = (k + 1) & (nc - 1);
		nt[k] = h;
	}
	j->hops = nt;
	j->caphops = nc;
	return 0;
}

/* Index h by place and state; returns the job's previous hop with the same
 * place and state (h->same), NULL if none (or out of memory, failing the
 * job). */
static const struct sym_hop *index_hop(struct vfy_job *j, const struct sym_hop *h)
{
	if ((j->nhops_idx + 1) * 2 > j->caphops && grow_hops(j)) {
		/* without the index loops would go unseen: the job stops, out of
		 * its memory budget (vjob__run says so) */
		j->err = arena_exhausted(j->a) ? -E2BIG : -ENOMEM;
		return NULL;
	}
	uint32_t k = place_hash(h) & (j->caphops - 1);
	while (j->hops[k] && !same_place(j->hops[k], h))
		k = (k + 1) & (j->caphops - 1);
	const struct sym_hop *prev = j->hops[k];
	if (!prev)
		j->nhops_idx++;
	j->hops[k] = h;
	return prev;
}

void vjob__hop(struct vfy_job *j, struct sym_flow *f, uint8_t kind, uint32_t node, uint32_t elem,
               uint32_t port, const char *note)
{
	struct sym_hop *h = arena_alloc(j->a, sizeof *h);
	if (!h) {
		j->err = -ENOMEM;
		return;
	}
	h->prev = f->hist;
	h->num = ++f->nhops;
	h->kind = kind;
	h->node = node;
	h->elem = elem;
	h->port = port;
	h->cmask = f->cmask;
	h->note = note;
	h->run = NULL;
	f->cmask = 0;
	h->hash = sym__hash(f);
	struct sym_snap s;
	memset(&s, 0, sizeof s); /* padding too: snapshots compare with memcmp */
	sym__snap(f, &s);
	if (h->prev && memcmp(h->prev->snap, &s, sizeof s) == 0) {
		h->snap = h->prev->snap;
	} else {
		struct sym_snap *ns = arena_alloc(j->a, sizeof *ns);
		if (!ns) {
			j->err = -ENOMEM;
			return;
		}
		memcpy(ns, &s, sizeof s);
		h->snap = ns;
	}
	h->jump = jump_for(h->prev);
	f->hist = h;
	h->same = index_hop(j, h);
}

/* ---- statements -------------------------------------------------------------------- */

static bool loc_matches(const struct rmatch *m, uint32_t node, uint32_t elem, uint32_t port)
{
	if (m->elem != elem)
		return false;
	if (elem != UINT32_MAX && m->port != port)
		return false;
	for (uint32_t i = 0; i < m->n; i++)
		if (m->nodes[i] == node)
			return true;
	return false;
}

/* Flows of f that satisfy hop h's constraints (as it arrives), the rest. */
static int split_hop(struct vfy_job *j, struct sym_flow *f, const struct rhop *h, const struct rmatch *m,
                     struct sym_flows *yes, struct sym_flows *no)
{
	struct sym_ctx *cx = &j->cx;
	struct sym_flow *in = f, *out = NULL;
	if (m->dst) {
		sym_split_set(cx, f, SYM_F_DST, m->dst, &in, &out);
		sym_flows_push(cx, no, out);
	}
	if (!in)
		return cx->err;
	if (!h->flow) {
		sym_flows_push(cx, yes, in);
		return cx->err;
	}
	return sym_split_expr(cx, in, h->flow, yes, no);
}

static const struct sym_hop *hop_at(const struct sym_flow *f, uint32_t num)
{
	const struct sym_hop *h = f->hist;
	while (h && h->num > num)
		h = h->prev;
	return h;
}

const char *vjob__loc_name(struct vfy_job *j, const struct sym_hop *h)
{
	if (!h)
		return "the source";
	const struct vnode *n = vnet__node(j->net, h->node);
	if (h->elem == UINT32_MAX)
		return n->name;
	const struct click_element *e = click_graph_element(n->g, h->elem);
	return arena_printf(j->a, "%s:%s:%u", n->name, e ? e->name : "?", h->port);
}

/* The hop that last changed field fld since the mark: its last definition
 * when that is recent (*written), else the last hop whose packet left with
 * another term than it arrived with (a header exposed without a write). */
static uint32_t changed_at(const struct sym_flow *f, enum sym_field fld, bool *written)
{
	uint32_t *def;
	sym__field((struct sym_flow *)f, fld, &def);
	*written = *def >= f->prev_match && *def > 0;
	if (*written)
		return *def;
	struct sym_term next = sym_get(f, fld);
	for (const struct sym_hop *h = f->hist; h && h->num >= f->prev_match; h = h->prev) {
		if (h->snap->f[fld].var != next.var || h->snap->f[fld].k != next.k)
			return h->num;
		next = h->snap->f[fld];
	}
	return f->prev_match;
}

/* The first const field of hop h whose value may differ from the one it
 * had when f matched the previous hop, or -1; *at: where it changed (by a
 * write, *written). A
 * write that keeps the value (a rewriter's '-', a mapping that restores
 * it) is no change. */
static int const_violated(const struct sym_flow *f, const struct rhop *h, uint32_t *at,
                          bool *written)
{
	for (int fld = 0; fld < SYM_NFIELDS; fld++) {
		if (!(h->cmask & (1u << fld)) || sym__unchanged(f, (enum sym_field)fld))
			continue;
		*at = changed_at(f, (enum sym_field)fld, written);
		return fld;
	}
	return -1;
}

static void keep_decisive(struct vfy_job *j, struct sym_flow *f)
{
	if (j->decisive && !j->decisive->approx)
		return;
	if (j->decisive && f->approx)
		return;
	j->decisive = sym_clone(&j->cx, f);
}

/* Statement matching at an arrival. Flows to go on with land in *cont;
 * flows a hosts node must answer in *answer. */
static int hook(struct vfy_job *j, struct sym_flow *f, uint32_t node, uint32_t elem, uint32_t port,
                struct sym_flows *cont, struct sym_flows *answer)
{
	struct sym_ctx *cx = &j->cx;
	const struct rstmt *st = j->st;
	if (!st || j->exits_mode) {
		sym_flows_push(cx, cont, f);
		return 0;
	}
	uint32_t k = f->progress, n = st->nhops;
	if (k + 1 >= n) {
		sym_flows_push(cx, cont, f);
		return 0;
	}
	struct sym_flows match = {0}, rest = {0};
	if (loc_matches(&j->m[k + 1], node, elem, port)) {
		int rc = split_hop(j, f, &st->hops[k + 1], &j->m[k + 1], &match, &rest);
		if (rc < 0)
			return rc;
	} else {
		sym_flows_push(cx, &rest, f);
	}
	for (uint32_t i = 0; i < match.n; i++) {
		struct sym_flow *g = match.v[i];
		uint32_t at;
		bool written;
		int bad = const_violated(g, &st->hops[k + 1], &at, &written);
		if (bad >= 0) {
			if (!j->const_msg)
				j->const_msg = arena_printf(j->a, "'%s' is %s at %s, between %s and %s",
				                            sym_field_name((enum sym_field)bad),
				                            written ? "written" : "changed",
				                            vjob__loc_name(j, hop_at(g, at)), st->hops[k].node.text,
				                            st->hops[k + 1].node.text);
			if (st->kind == VFY_ALWAYS && k + 1 == n - 1) {
				keep_decisive(j, g);
				if (!g->approx)
					j->stop = true;
			}
			sym_flows_push(cx, &rest, g);
			continue;
		}
		g->progress = (uint16_t)(k + 1);
		g->prev_match = g->nhops;
		sym__mark(g);
		if (k + 1 == n - 1) {
			j->reached_last++;
			if (st->kind == VFY_REACH || st->kind == VFY_NEVER) {
				keep_decisive(j, g);
				if (!g->approx)
					j->stop = true;
			}
			sym_flows_push(cx, cont, g);
		} else if (j->m[k + 1].hosts && elem == UINT32_MAX) {
			sym_flows_push(cx, answer, g);
		} else {
			sym_flows_push(cx, cont, g);
		}
	}
	for (uint32_t i = 0; i < rest.n; i++) {
		struct sym_flow *g = rest.v[i];
		if (st->kind == VFY_ALWAYS && k + 1 < n - 1 && loc_matches(&j->m[n - 1], node, elem, port)) {
			struct sym_flows bad = {0}, ok = {0};
			int rc = split_hop(j, g, &st->hops[n - 1], &j->m[n - 1], &bad, &ok);
			if (rc < 0)
				return rc;
			for (uint32_t b = 0; b < bad.n; b++) {
				j->reached_last++;
				keep_decisive(j, bad.v[b]);
				if (!bad.v[b]->approx)
					j->stop = true;
				sym_flows_push(cx, cont, bad.v[b]);
			}
			for (uint32_t b = 0; b < ok.n; b++)
				sym_flows_push(cx, cont, ok.v[b]);
			continue;
		}
		sym_flows_push(cx, cont, g);
	}
	return cx->err;
}

/* ---- moving flows ------------------------------------------------------------------ */

static void leave(struct vfy_job *j, struct sym_flow *f, uint32_t node, uint32_t port)
{
	struct vendpoint peer;
	sym__normalize(&j->cx, f);
	if (!vnet__peer(j->net, node, port, &peer)) {
		vjob__hop(j, f, HOP_DROP, node, UINT32_MAX, port, "port not linked");
		sym__free(&j->cx, f);
		return;
	}
	vjob__push(j, f, IT_NODE, peer.node, UINT32_MAX, peer.port);
}

/* Has the flow been here before in the same state? The job's hops at this
 * place and state (h->same, ...) are few; each is tested for being an
 * ancestor of h with the jump pointers, so a chain of n hops costs
 * O(n log n), not O(n^2). */
static bool looped(struct vfy_job *j, struct sym_flow *f)
{
	const struct sym_hop *h = f->hist;
	if (!h)
		return false;
	for (const struct sym_hop *c = h->same; c; c = c->same)
		if (c->num < h->num && ancestor_at(h, c->num) == c) {
			j->loops++;
			if (!j->loop_flow)
				j->loop_flow = sym_clone(&j->cx, f);
			return true;
		}
	return false;
}

static void fan_out(struct vfy_job *j, struct sym_flow *f, uint32_t node, uint32_t elem, uint32_t port)
{
	const struct vnode *n = vnet__node(j->net, node);
	uint32_t cnt = 0;
	const struct click_port_ref *to = click_graph_outputs(n->g, elem, port, &cnt);
	if (!cnt) {
		sym__free(&j->cx, f);
		return;
	}
	for (uint32_t i = 1; i < cnt; i++)
		vjob__push(j, sym_clone(&j->cx, f), IT_ELEM, node, to[i].elem, to[i].port);
	vjob__push(j, f, IT_ELEM, node, to[0].elem, to[0].port);
}

static void answer(struct vfy_job *j, struct sym_flow *f, uint32_t node)
{
	struct sym_ctx *cx = &j->cx;
	/* addresses swap; ports only where there are ports (TCP/UDP) */
	struct sym_flow *tu, *other, *udp;
	sym_swap(cx, f, SYM_F_SRC, SYM_F_DST);
	sym_copy(cx, f, SYM_F_DSTANNO, SYM_F_DST);
	sym_split_range(cx, f, SYM_F_PROTO, 6, 6, &tu, &other);
	if (other) {
		sym_split_range(cx, other, SYM_F_PROTO, 17, 17, &udp, &other);
		if (udp)
			sym_swap(cx, udp, SYM_F_SPORT, SYM_F_DPORT);
	} else {
		udp = NULL;
	}
	if (tu)
		sym_swap(cx, tu, SYM_F_SPORT, SYM_F_DPORT);
	struct sym_flow *parts[3] = {tu, udp, other};
	const struct vnode *n = vnet__node(j->net, node);
	for (int k = 0; k < 3; k++) {
		if (!parts[k])
			continue;
		for (uint32_t p = 0; p < n->nports; p++) {
			struct sym_flow *g = p + 1 < n->nports ? sym_clone(cx, parts[k]) : parts[k];
			leave(j, g, node, p);
		}
		if (!n->nports)
			sym__free(cx, parts[k]);
	}
}

static void track_best(struct vfy_job *j, struct sym_flow *f);

/* The router summary to cross from (node, port) in one step, or NULL to
 * go hop by hop: when the statement names a router (its hops must be
 * matched at each one) or an inline module is spliced into some link
 * (summaries are the snapshot's links). */
static const struct vtransit *transit_for(struct vfy_job *j, uint32_t node, uint32_t port)
{
	if (!j->transit || j->net->nover)
		return NULL;
	return vbase__transit(j->net->base, node, port);
}

/* f, at router `node`, leaves the router region by every way of t: its
 * destinations split once by piece, one hop standing for the routers
 * each piece crosses. */
static void cross_transit(struct vfy_job *j, struct sym_flow *f, uint32_t node, const struct vtransit *t)
{
	struct sym_ctx *cx = &j->cx;
	for (uint32_t i = 0; i < t->n && f; i++) {
		const struct vtransit_piece *pc = &t->v[i];
		struct sym_flow *in, *out;
		sym_split_set(cx, f, SYM_F_DST, pc->dst, &in, &out);
		f = out;
		if (!in)
			continue;
		if (pc->n) {
			vjob__hop(j, in, HOP_NODE, pc->last, UINT32_MAX, pc->path[pc->n - 1].port, NULL);
			if (j->err) {
				sym__free(cx, in);
				continue;
			}
			((struct sym_hop *)in->hist)->run = pc; /* the hop vjob__hop just made */
			in->crossed += pc->n - 1;
		}
		/* on the stack in the summary's order, so they are taken up in the
		 * order going router by router would reach them */
		vjob__push(j, in, IT_RUN, pc->last, UINT32_MAX, pc->out);
	}
	(void)node;
	sym__free(cx, f); /* no route */
}

/* A flow at the end of a transit: where going router by router it would
 * arrive at the last router (the closest flow is tracked) and leave it. */
static int step_run(struct vfy_job *j, struct sym_flow *f, uint32_t last, uint32_t out)
{
	if (f->hist && f->hist->run)
		track_best(j, f);
	if (out == UINT32_MAX)
		sym__free(&j->cx, f); /* no route at `last` */
	else
		leave(j, f, last, out);
	return j->cx.err;
}

static void node_behave(struct vfy_job *j, struct sym_flow *f, uint32_t node, uint32_t port)
{
	struct sym_ctx *cx = &j->cx;
	const struct vnode *n = vnet__node(j->net, node);
	switch (n->kind) {
	case VN_HOSTS:
		sym__free(cx, f); /* delivered */
		return;
	case VN_ROUTER: {
		if (n->ttl_dec) {
			struct sym_flow *live, *dead;
			sym_split_range(cx, f, SYM_F_TTL, 2, 255, &live, &dead);
			sym__free(cx, dead);
			if (!live)
				return;
			f = live;
			cx->node = node;
			sym_add(cx, f, SYM_F_TTL, -1);
		}
		const struct vtransit *t = transit_for(j, node, port);
		if (t) {
			cross_transit(j, f, node, t);
			return;
		}
		for (uint32_t i = 0; i < n->nparts && f; i++) {
			struct sym_flow *in, *out;
			sym_split_set(cx, f, SYM_F_DST, n->parts[i].set, &in, &out);
			if (in)
				leave(j, in, node, n->parts[i].port);
			f = out;
		}
		sym__free(cx, f); /* no route */
		return;
	}
	case VN_PLATFORM: {
		for (uint32_t m = 0; m < j->net->nmods && f; m++) {
			const struct vnode *mod = &j->net->mods[m];
			if (mod->is_inline || mod->platform != node)
				continue;
			struct sym_flow *in, *out, *in2, *out2;
			sym_split_range(cx, f, SYM_F_DST, mod->address, mod->address, &in, &out);
			f = out;
			if (in && mod->proto) {
				sym_split_range(cx, in, SYM_F_PROTO, mod->proto, mod->proto, &in2, &out2);
				in = in2;
				if (out2) /* same address, other protocol: not this module's */
					sym__free(cx, out2);
			}
			if (in && mod->dport) {
				sym_split_range(cx, in, SYM_F_DPORT, mod->dport, mod->dport, &in2, &out2);
				in = in2;
				sym__free(cx, out2);
			}
			if (in)
				vjob__push(j, in, IT_NODE, j->net->base->nnodes + m, UINT32_MAX, 0);
		}
		sym__free(cx, f); /* addressed to no module */
		return;
	}
	case VN_CLICK:
	case VN_MODULE: {
		if (port >= n->ndev_in || n->dev_in[port] == UINT32_MAX) {
			sym__free(cx, f);
			return;
		}
		fan_out(j, f, node, n->dev_in[port], 0);
		return;
	}
	}
}

/* Does f head for the module the next statement hop is in (its dst may be
 * the module's address)? Used to pick the flow that explains a failure. */
static int aims(struct vfy_job *j, const struct sym_flow *f)
{
	uint32_t k = f->progress;
	if (k + 1 >= j->st->nhops || j->m[k + 1].n != 1)
		return 0;
	const struct vnode *t = vnet__node(j->net, j->m[k + 1].nodes[0]);
	if (t->kind != VN_MODULE || t->is_inline)
		return 0;
	struct sym_term d = sym_get(f, SYM_F_DST);
	if (!d.var)
		return d.k == t->address;
	const struct sym_iset *v = iset__shift(j->a, f->vars[d.var - 1].dom, d.k, 32);
	return v && sym_iset_contains(v, t->address);
}

/* reach: keep the flow that got furthest (most statement hops, heading for
 * the next one, then most hops) to explain a failure. */
static void track_best(struct vfy_job *j, struct sym_flow *f)
{
	if (!j->st || j->st->kind != VFY_REACH || j->exits_mode)
		return;
	int aim = aims(j, f);
	if (j->best) {
		if (f->progress != j->best->progress) {
			if (f->progress < j->best->progress)
				return;
		} else if (aim != j->best_aim) {
			if (aim < j->best_aim)
				return;
		} else if (f->nhops + f->crossed <= j->best->nhops + j->best->crossed) {
			return;
		}
	}
	sym__free(&j->cx, j->best);
	j->best = sym_clone(&j->cx, f);
	j->best_aim = aim;
}

static int step_node(struct vfy_job *j, struct sym_flow *f, uint32_t node, uint32_t port)
{
	vjob__hop(j, f, HOP_NODE, node, UINT32_MAX, port, NULL);
	track_best(j, f);
	if (looped(j, f)) {
		sym__free(&j->cx, f);
		return 0;
	}
	struct sym_flows cont = {0}, ans = {0};
	int rc = hook(j, f, node, UINT32_MAX, port, &cont, &ans);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < ans.n; i++) {
		j->cx.node = node;
		answer(j, ans.v[i], node);
	}
	for (uint32_t i = 0; i < cont.n; i++)
		node_behave(j, cont.v[i], node, port);
	return j->cx.err;
}

static int exit_device(struct vfy_job *j, struct sym_flow *f, uint32_t node, uint32_t dev)
{
	const struct vnode *n = vnet__node(j->net, node);
	if (j->exits_mode && node == j->exit_module) {
		if (j->nexits == j->capexits) {
			uint32_t nc = j->capexits ? j->capexits * 2 : 16;
			struct vexit *nv = realloc(j->exits, (size_t)nc * sizeof *nv);
			if (!nv)
				return -ENOMEM;
			j->exits = nv;
			j->capexits = nc;
		}
		j->exits[j->nexits++] = (struct vexit){f, dev};
		return 0;
	}
	if (n->kind == VN_MODULE && !n->is_inline) {
		const struct vnode *p = vnet__node(j->net, n->platform);
		leave(j, f, n->platform, dev < p->nports ? dev : 0);
		return 0;
	}
	leave(j, f, node, dev);
	return 0;
}

static int step_elem(struct vfy_job *j, struct sym_flow *f, uint32_t node, uint32_t elem, uint32_t port)
{
	struct sym_ctx *cx = &j->cx;
	vjob__hop(j, f, HOP_ELEM, node, elem, port, NULL);
	track_best(j, f);
	if (looped(j, f)) {
		sym__free(cx, f);
		return 0;
	}
	struct sym_flows cont = {0}, ans = {0};
	int rc = hook(j, f, node, elem, port, &cont, &ans);
	if (rc < 0)
		return rc;
	const struct vnode *n = vnet__node(j->net, node);
	const struct click_element *e = click_graph_element(n->g, elem);
	for (uint32_t c = 0; c < cont.n; c++) {
		f = cont.v[c];
		if (elem_net_device(e->cls) & ELEM_DEVICE_OUT) {
			rc = exit_device(j, f, node, n->elem_dev[elem]);
			if (rc < 0)
				return rc;
			continue;
		}
		if (!e->cls->model || !e->cls->model->push) {
			j->errmsg = arena_printf(j->a, "%s: element %s (%s) has no symbolic model", n->name, e->name,
			                         e->cls->name);
			sym__free(cx, f);
			return -ENOTSUP;
		}
		cx->node = node;
		cx->elem = elem;
		cx->g = n->g;
		cx->nemit = 0;
		rc = e->cls->model->push(cx, e, port, f);
		if (rc < 0 || cx->err) {
			for (uint32_t i = 0; i < cx->nemit; i++)
				sym__free(cx, cx->emit[i].f);
			return rc < 0 ? rc : cx->err;
		}
		/* push in reverse so the first emission is explored first */
		uint32_t ne = cx->nemit;
		struct sym_emission *em = cx->emit;
		cx->emit = NULL;
		cx->capemit = 0;
		cx->nemit = 0;
		for (uint32_t i = ne; i-- > 0;) {
			if (em[i].port >= e->noutputs) {
				sym__free(cx, em[i].f);
				continue;
			}
			fan_out(j, em[i].f, node, elem, em[i].port);
		}
		free(em);
	}
	return cx->err;
}

/* One flow a source made: the part `filter` (NULL: all) lets through
 * leaves the source's output. */
static int start_source_flow(struct vfy_job *j, struct sym_flow *f, uint32_t node, uint32_t elem,
                             uint32_t port, const char *note, const struct flow_expr *filter)
{
	struct sym_ctx *cx = &j->cx;
	struct sym_flows yes = {0}, no = {0};
	f->cmask = 0;
	if (filter) {
		int rc = sym_split_expr(cx, f, filter, &yes, &no);
		if (rc < 0)
			return rc;
		for (uint32_t i = 0; i < no.n; i++)
			sym__free(cx, no.v[i]);
	} else {
		sym_flows_push(cx, &yes, f);
	}
	for (uint32_t i = 0; i < yes.n; i++) {
		struct sym_flow *g = yes.v[i];
		g->cmask = 0;
		j->started++;
		vjob__hop(j, g, HOP_ELEM, node, elem, port, note);
		g->prev_match = g->nhops;
		sym__mark(g);
		fan_out(j, g, node, elem, port);
	}
	return cx->err;
}

/* Start every source of node's graph (elements with a source hook): the
 * flows each one makes (the part `filter` lets through; NULL: all) leave
 * its outputs, their trace starting at the source with a note naming its
 * class. Called before vjob__run. */
int vjob__start_sources(struct vfy_job *j, uint32_t node, const struct flow_expr *filter)
{
	struct sym_ctx *cx = &j->cx;
	const struct vnode *n = vnet__node(j->net, node);
	if (!n->g)
		return 0;
	for (uint32_t i = 0, ne = click_graph_nelements(n->g); i < ne; i++) {
		const struct click_element *e = click_graph_element(n->g, i);
		if (!e->cls->model || !e->cls->model->source)
			continue;
		cx->node = node;
		cx->elem = i;
		cx->g = n->g;
		cx->nemit = 0;
		int rc = e->cls->model->source(cx, e);
		uint32_t ne2 = cx->nemit;
		struct sym_emission *em = cx->emit;
		cx->emit = NULL;
		cx->capemit = 0;
		cx->nemit = 0;
		const char *note = arena_printf(j->a, "made by %s", e->cls->name);
		for (uint32_t k = ne2; k-- > 0;) {
			struct sym_flow *f = em[k].f;
			if (rc < 0 || cx->err || em[k].port >= e->noutputs) {
				sym__free(cx, f);
				continue;
			}
			int r2 = start_source_flow(j, f, node, i, em[k].port, note, filter);
			if (r2 < 0 && rc >= 0)
				rc = r2;
		}
		free(em);
		if (rc < 0)
			return rc;
		if (cx->err)
			return cx->err;
	}
	return j->err;
}

/* A step in a module (nodes past the base network) counts against the
 * statement's budget, a step in the operator's routers and middleboxes
 * against the network's: a tenant pays for what its module adds, not for
 * the size of the operator's network. False when one is exhausted. */
static bool count_step(struct vfy_job *j, const struct witem *it)
{
	bool in_module = it->node >= j->net->base->nnodes;
	if (in_module ? ++j->steps > j->max_steps : ++j->net_steps > j->max_net_steps) {
		j->errmsg = in_module
			? arena_printf(j->a, "verification too large: more than %llu steps",
			               (unsigned long long)j->max_steps)
			: arena_printf(j->a, "verification too large: more than %llu steps in the operator's "
			                     "network", (unsigned long long)j->max_net_steps);
		j->err = -E2BIG;
		return false;
	}
	return true;
}

int vjob__run(struct vfy_job *j)
{
	while (j->nstack && !j->stop && !j->err) {
		struct witem it = j->stack[--j->nstack];
		if (!count_step(j, &it))
			break;
		if (j->cancel && atomic_load_explicit(j->cancel, memory_order_relaxed)) {
			j->errmsg = "verification cancelled";
			j->err = -ECANCELED;
			break;
		}
		int rc = it.kind == IT_NODE  ? step_node(j, it.f, it.node, it.port)
		         : it.kind == IT_RUN ? step_run(j, it.f, it.node, it.port)
		                             : step_elem(j, it.f, it.node, it.elem, it.port);
		if (rc < 0 && !j->err)
			j->err = rc;
		if (arena_exhausted(j->a)) {
			j->errmsg = "verification too large: out of its memory budget";
			j->err = -E2BIG;
		}
	}
	if (j->err == -E2BIG && !j->errmsg)
		j->errmsg = "verification too large (too many header layers)";
	return j->err;
}
