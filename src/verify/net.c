/* The network model (docs/snapshot.md): nodes of the snapshot, routers'
 * destination partitions computed once, middleboxes' Click graphs, and the
 * modules a job adds on platforms or splices into links. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elements/element.h"
#include "verify/internal.h"

static const struct sym_iset *prefix_set(struct arena *a, struct inet_prefix p)
{
	uint32_t lo = p.addr & inet_mask(p.len);
	return iset__range(a, lo, lo | ~inet_mask(p.len));
}

struct rsort {
	uint32_t lo, hi, port, idx;
};

static int rsort_cmp(const void *x, const void *y)
{
	const struct rsort *a = x, *b = y;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->hi != b->hi)
		return a->hi > b->hi ? -1 : 1; /* outer prefix first */
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

struct pbuf {
	struct sym_ival *v;
	uint32_t n, cap;
};

static int pbuf_add(struct pbuf *b, uint32_t lo, uint32_t hi)
{
	if (b->n && b->v[b->n - 1].hi != 0xffffffffu && b->v[b->n - 1].hi + 1 == lo) {
		b->v[b->n - 1].hi = hi;
		return 0;
	}
	if (b->n == b->cap) {
		uint32_t nc = b->cap ? b->cap * 2 : 8;
		struct sym_ival *nv = realloc(b->v, nc * sizeof *nv);
		if (!nv)
			return -ENOMEM;
		b->v = nv;
		b->cap = nc;
	}
	b->v[b->n++] = (struct sym_ival){lo, hi};
	return 0;
}

/* Longest prefix match as a partition of the destination space: one set
 * per output port, disjoint; addresses no route covers are in none. One
 * sweep over the prefixes sorted by start (prefixes nest or are disjoint),
 * so big tables cost O(n log n). For a prefix given twice the first wins. */
static int router_partition(struct arena *a, struct vnode *n, const struct snap_node *s)
{
	size_t nr = s->nroutes;
	struct rsort *r = calloc(nr ? nr : 1, sizeof *r);
	struct rsort *stack = calloc(nr ? nr : 1, sizeof *stack);
	struct pbuf *per = calloc(n->nports ? n->nports : 1, sizeof *per);
	int rc = 0;
	if (!r || !stack || !per) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nr; i++) {
		uint32_t lo = s->routes[i].prefix.addr & inet_mask(s->routes[i].prefix.len);
		r[i] = (struct rsort){lo, lo | ~inet_mask(s->routes[i].prefix.len), s->routes[i].port, (uint32_t)i};
	}
	qsort(r, nr, sizeof *r, rsort_cmp);
	size_t sp = 0;
	uint64_t pos = 0;
#define EMIT(port_, lo_, hi_)                                                        \
	do {                                                                             \
		if ((uint64_t)(lo_) <= (uint64_t)(hi_) && (port_) < n->nports &&          \
		    pbuf_add(&per[(port_)], (uint32_t)(lo_), (uint32_t)(hi_)) < 0)         \
			rc = -ENOMEM;                                                            \
	} while (0)
	for (size_t i = 0; i < nr && !rc; i++) {
		while (sp && stack[sp - 1].hi < r[i].lo) {
			if (pos <= stack[sp - 1].hi)
				EMIT(stack[sp - 1].port, pos, stack[sp - 1].hi);
			pos = (uint64_t)stack[sp - 1].hi + 1;
			sp--;
		}
		if (sp && stack[sp - 1].lo == r[i].lo && stack[sp - 1].hi == r[i].hi)
			continue; /* the same prefix again */
		if (sp && pos < r[i].lo)
			EMIT(stack[sp - 1].port, pos, (uint64_t)r[i].lo - 1);
		if (pos < r[i].lo || !sp)
			pos = r[i].lo;
		stack[sp++] = r[i];
	}
	while (sp && !rc) {
		if (pos <= stack[sp - 1].hi)
			EMIT(stack[sp - 1].port, pos, stack[sp - 1].hi);
		pos = (uint64_t)stack[sp - 1].hi + 1;
		sp--;
	}
#undef EMIT
	if (rc)
		goto out;
	n->parts = arena_calloc(a, n->nports ? n->nports : 1, sizeof *n->parts);
	if (!n->parts) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t p = 0; p < n->nports; p++)
		if (per[p].n) {
			const struct sym_iset *set = iset__new(a, per[p].v, per[p].n);
			if (!set) {
				rc = -ENOMEM;
				goto out;
			}
			n->parts[n->nparts++] = (struct vroute_part){set, p};
		}
out:
	if (per)
		for (uint32_t p = 0; p < n->nports; p++)
			free(per[p].v);
	free(per);
	free(stack);
	free(r);
	return rc;
}

static int ival_lo_cmp(const void *x, const void *y)
{
	const struct sym_ival *a = x, *b = y;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/* The device number of a device element: its model says; otherwise the
 * first argument when it is a number, else 0. */
static uint32_t device_of(const struct click_element *e)
{
	if (e->cls->model && e->cls->model->device)
		return e->cls->model->device(e);
	if (e->args.n && e->args.v[0].text[0] >= '0' && e->args.v[0].text[0] <= '9')
		return (uint32_t)strtoul(e->args.v[0].text, NULL, 10);
	return 0;
}

/* max_memory and cancel: the caller's budget for the parse (0 / NULL: none). */
static int graph_node(struct arena *a, struct vnode *n, const char *name, const char *text,
                      const struct click_define *defs, size_t ndefs, size_t max_memory,
                      const atomic_bool *cancel, struct diags *d)
{
	struct src_file *sf = arena_alloc(a, sizeof *sf);
	if (!sf)
		return -ENOMEM;
	sf->name = arena_strdup(a, name);
	sf->text = arena_strdup(a, text ? text : "");
	sf->len = strlen(sf->text);
	struct click_options opt = {.lookup = elem_class_find, .why_unknown = elem_class_why_unknown,
	                            .defines = defs, .ndefines = ndefs, .max_memory = max_memory,
	                            .cancel = cancel};
	int rc = click_parse(sf, &opt, &n->g, d);
	if (rc < 0)
		return rc;
	uint32_t ne = click_graph_nelements(n->g);
	n->elem_dev = arena_calloc(a, ne ? ne : 1, sizeof *n->elem_dev);
	uint32_t maxdev = n->nports;
	for (uint32_t i = 0; i < ne; i++) {
		const struct click_element *e = click_graph_element(n->g, i);
		n->elem_dev[i] = UINT32_MAX;
		if (elem_net_device(e->cls)) {
			n->elem_dev[i] = device_of(e);
			if (n->elem_dev[i] + 1 > maxdev)
				maxdev = n->elem_dev[i] + 1;
		}
	}
	if (maxdev > 4096)
		return diags_error(d, NULL, 0, "%s: device number too large", name);
	n->ndev_in = maxdev;
	n->dev_in = arena_alloc(a, (size_t)(maxdev ? maxdev : 1) * sizeof *n->dev_in);
	if (!n->dev_in)
		return -ENOMEM;
	for (uint32_t p = 0; p < maxdev; p++)
		n->dev_in[p] = UINT32_MAX;
	for (uint32_t i = 0; i < ne; i++) {
		const struct click_element *e = click_graph_element(n->g, i);
		if ((elem_net_device(e->cls) & ELEM_DEVICE_IN) && n->dev_in[n->elem_dev[i]] == UINT32_MAX)
			n->dev_in[n->elem_dev[i]] = i;
	}
	if (n->nports < maxdev && n->kind == VN_MODULE)
		n->nports = maxdev;
	return 0;
}

/* A summary that says "go hop by hop", kept so that it is not tried again. */
static struct vtransit no_transit;

static void base_free(struct vfy_base *b)
{
	if (!b)
		return;
	for (uint32_t i = 0; b->transit && b->transit_at && i < b->nnodes; i++)
		for (uint32_t p = 0; b->nodes[i].kind == VN_ROUTER && p < b->nodes[i].nports; p++) {
			struct vtransit *t = b->transit[b->transit_at[i] + p];
			if (t && t != &no_transit)
				arena_free(t->arena);
		}
	free(b->transit);
	free(b->transit_at);
	for (uint32_t i = 0; i < b->nnodes; i++)
		if (b->nodes && b->nodes[i].g)
			click_graph_free(b->nodes[i].g);
	if (b->snap)
		snapshot_unref(b->snap);
	arena_free(b->arena);
	free(b);
}

/* A base for s with its arena and empty node and peer tables. */
static int base_new(struct snapshot *s, struct vfy_base **out)
{
	struct vfy_base *b = calloc(1, sizeof *b);
	if (!b)
		return -ENOMEM;
	b->refs = 1;
	b->arena = arena_new(0);
	if (!b->arena) {
		free(b);
		return -ENOMEM;
	}
	b->snap = snapshot_ref(s);
	b->nnodes = (uint32_t)s->nnodes;
	b->nodes = arena_calloc(b->arena, s->nnodes ? s->nnodes : 1, sizeof *b->nodes);
	b->peer = arena_calloc(b->arena, s->nnodes ? s->nnodes : 1, sizeof *b->peer);
	if (!b->nodes || !b->peer) {
		base_free(b);
		return -ENOMEM;
	}
	*out = b;
	return 0;
}

/* Node i of the snapshot as the model sees it, its ports unlinked; the
 * addresses it owns go to own. */
static int node_build(struct vfy_base *b, uint32_t i, struct pbuf *own, struct diags *d)
{
	struct arena *a = b->arena;
	const struct snap_node *sn = &b->snap->nodes[i];
	struct vnode *n = &b->nodes[i];
	n->name = sn->name;
	n->nports = sn->nports;
	n->snap = sn;
	b->peer[i] = arena_alloc(a, (size_t)(sn->nports ? sn->nports : 1) * sizeof **b->peer);
	if (!b->peer[i])
		return -ENOMEM;
	for (uint32_t p = 0; p < sn->nports; p++)
		b->peer[i][p].node = UINT32_MAX;
	int rc = 0;
	switch (sn->type) {
	case SNAP_HOSTS:
		n->kind = VN_HOSTS;
		n->client = sn->role == SNAP_ROLE_CLIENT;
		n->space = iset__new(a, NULL, 0);
		for (size_t k = 0; k < sn->nprefixes && rc == 0; k++) {
			const struct sym_iset *ps = prefix_set(a, sn->prefixes[k]);
			n->space = iset__or(a, n->space, ps);
			rc = pbuf_add(own, ps->v[0].lo, ps->v[0].hi);
		}
		break;
	case SNAP_ROUTER:
		n->kind = VN_ROUTER;
		n->ttl_dec = sn->ttl_decrement;
		rc = router_partition(a, n, sn);
		break;
	case SNAP_MIDDLEBOX:
		n->kind = VN_CLICK;
		rc = graph_node(a, n, sn->name, sn->click, NULL, 0, 0, NULL, d);
		break;
	case SNAP_PLATFORM: {
		n->kind = VN_PLATFORM;
		n->address = sn->address;
		uint32_t lo = sn->pool.addr & inet_mask(sn->pool.len);
		rc = pbuf_add(own, lo, lo | ~inet_mask(sn->pool.len));
		if (rc == 0)
			rc = pbuf_add(own, sn->address, sn->address);
		break;
	}
	}
	return rc;
}

/* The internet is every address no client prefix or platform owns: the
 * owned ones are collected, then sorted and merged once (an incremental
 * union would be quadratic). */
static int internet_space_build(struct vfy_base *b, struct pbuf *own)
{
	if (own->n)
		qsort(own->v, own->n, sizeof *own->v, ival_lo_cmp);
	uint32_t w = 0;
	for (uint32_t k = 0; k < own->n; k++) {
		struct sym_ival *last = w ? &own->v[w - 1] : NULL;
		if (last && (last->hi == 0xffffffffu || last->hi + 1 >= own->v[k].lo)) {
			if (own->v[k].hi > last->hi)
				last->hi = own->v[k].hi;
		} else {
			own->v[w++] = own->v[k];
		}
	}
	const struct sym_iset *owned = iset__new(b->arena, own->v, w);
	b->internet_space = owned ? iset__not(b->arena, owned, 32) : NULL;
	return b->internet_space ? 0 : -ENOMEM;
}

/* Hosts without prefixes that are not clients stand for the internet;
 * the snapshot's links fill the peer table. */
static void base_connect(struct vfy_base *b)
{
	const struct snapshot *s = b->snap;
	for (uint32_t i = 0; i < b->nnodes; i++)
		if (b->nodes[i].kind == VN_HOSTS && !b->nodes[i].client && !b->nodes[i].space->n)
			b->nodes[i].space = b->internet_space;
	for (size_t k = 0; k < s->nlinks; k++) {
		const struct snap_link *l = &s->links[k];
		b->peer[l->a.node][l->a.port] = (struct vendpoint){l->b.node, l->b.port};
		b->peer[l->b.node][l->b.port] = (struct vendpoint){l->a.node, l->a.port};
	}
}

/* ---- router transit summaries -------------------------------------------- */

/* Bounds of one summary: past them the region is left to the engine. */
#define TRANSIT_MAX_PIECES 4096
#define TRANSIT_MAX_PATH (1u << 22) /* routers over all pieces */
#define TRANSIT_ARENA (256u << 20)

/* An empty slot per router port. */
static int transit_table(struct vfy_base *b)
{
	b->transit_at = calloc(b->nnodes ? b->nnodes : 1, sizeof *b->transit_at);
	if (!b->transit_at)
		return -ENOMEM;
	uint32_t n = 0;
	for (uint32_t i = 0; i < b->nnodes; i++) {
		b->transit_at[i] = n;
		if (b->nodes[i].kind == VN_ROUTER)
			n += b->nodes[i].nports;
	}
	b->transit = calloc(n ? n : 1, sizeof *b->transit);
	return b->transit ? 0 : -ENOMEM;
}

/* A router the region goes on through: it forwards without changing the packet. */
static bool transit_router(const struct vfy_base *b, uint32_t node)
{
	return node < b->nnodes && b->nodes[node].kind == VN_ROUTER && !b->nodes[node].ttl_dec;
}

/* One router of the walk and the destinations that reached it. */
struct tframe {
	uint32_t node, port, next; /* next: the part to try */
	const struct sym_iset *dst;
};

struct twalk {
	const struct vfy_base *b;
	struct vtransit *t;
	uint32_t cap;
	uint64_t routers;
	struct tframe *fr;
	uint32_t depth;
	bool *on_path;
};

static int transit_emit(struct twalk *w, const struct sym_iset *dst, uint32_t out)
{
	struct vtransit *t = w->t;
	if (t->n == TRANSIT_MAX_PIECES || (w->routers += w->depth - 1) > TRANSIT_MAX_PATH)
		return -E2BIG;
	if (t->n == w->cap) {
		uint32_t nc = w->cap ? w->cap * 2 : 8;
		struct vtransit_piece *nv = arena_calloc(t->arena, nc, sizeof *nv);
		if (!nv)
			return -ENOMEM;
		if (t->n)
			memcpy(nv, t->v, t->n * sizeof *nv);
		t->v = nv;
		w->cap = nc;
	}
	uint32_t n = w->depth - 1;
	struct vendpoint *path = arena_calloc(t->arena, n ? n : 1, sizeof *path);
	if (!path)
		return -ENOMEM;
	for (uint32_t k = 0; k < n; k++)
		path[k] = (struct vendpoint){w->fr[k + 1].node, w->fr[k + 1].port};
	struct vtransit_piece *pc = (struct vtransit_piece *)&t->v[t->n++];
	*pc = (struct vtransit_piece){dst, w->fr[w->depth - 1].node, out, n, path};
	return 0;
}

/* The destinations router n has no route for. */
static const struct sym_iset *unrouted(struct twalk *w, const struct vnode *n)
{
	const struct sym_iset *all = iset__range(w->t->arena, 1, 0); /* empty */
	for (uint32_t i = 0; i < n->nparts && all; i++)
		all = iset__or(w->t->arena, all, n->parts[i].set);
	return all ? iset__not(w->t->arena, all, 32) : NULL;
}

/* Depth first from (r, p): each router splits what reached it by its
 * routes; a part leaves the region (an exit piece) or enters the next
 * router. A router met again on the same path is a loop: -ELOOP. */
static int transit_walk(struct twalk *w, uint32_t r, uint32_t p)
{
	const struct vfy_base *b = w->b;
	w->fr[0] = (struct tframe){r, p, 0, iset__full(w->t->arena, 32)};
	w->depth = 1;
	w->on_path[r] = true;
	while (w->depth) {
		struct tframe *f = &w->fr[w->depth - 1];
		const struct vnode *n = &b->nodes[f->node];
		if (f->next == n->nparts) {
			/* what no route takes ends here; its path still explains
			 * how far it got (the engine's closest flow) */
			const struct sym_iset *lost = iset__and(w->t->arena, f->dst, unrouted(w, n));
			if (!lost)
				return -ENOMEM;
			if (lost->n && w->depth > 1) {
				int rc = transit_emit(w, lost, UINT32_MAX);
				if (rc < 0)
					return rc;
			}
			w->on_path[f->node] = false;
			w->depth--;
			continue;
		}
		const struct vroute_part *part = &n->parts[f->next++];
		const struct sym_iset *dst = iset__and(w->t->arena, f->dst, part->set);
		if (!dst)
			return -ENOMEM;
		if (!dst->n)
			continue;
		struct vendpoint peer = b->peer[f->node][part->port];
		int rc;
		if (peer.node == UINT32_MAX || !transit_router(b, peer.node))
			rc = transit_emit(w, dst, part->port);
		else if (w->on_path[peer.node])
			rc = -ELOOP;
		else {
			w->fr[w->depth++] = (struct tframe){peer.node, peer.port, 0, dst};
			w->on_path[peer.node] = true;
			rc = 0;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static struct vtransit *transit_build(const struct vfy_base *b, uint32_t r, uint32_t p)
{
	struct twalk w = {.b = b};
	struct arena *a = arena_new(TRANSIT_ARENA);
	if (!a)
		return NULL;
	w.t = arena_calloc(a, 1, sizeof *w.t);
	w.fr = calloc(b->nnodes, sizeof *w.fr);
	w.on_path = calloc(b->nnodes, sizeof *w.on_path);
	int rc = w.t && w.fr && w.on_path ? 0 : -ENOMEM;
	if (rc == 0) {
		w.t->arena = a;
		rc = transit_walk(&w, r, p);
	}
	free(w.fr);
	free(w.on_path);
	if (rc < 0 || arena_exhausted(a)) {
		arena_free(a);
		return rc == -ENOMEM ? NULL : &no_transit;
	}
	return w.t;
}

const struct vtransit *vbase__transit(struct vfy_base *b, uint32_t r, uint32_t p)
{
	if (r >= b->nnodes || b->nodes[r].kind != VN_ROUTER || p >= b->nodes[r].nports)
		return NULL;
	struct vtransit *_Atomic *slot = &b->transit[b->transit_at[r] + p];
	struct vtransit *t = atomic_load_explicit(slot, memory_order_acquire);
	if (!t) {
		struct vtransit *mine = transit_build(b, r, p);
		if (!mine)
			return NULL; /* out of memory: hop by hop, and try again next time */
		if (atomic_compare_exchange_strong_explicit(slot, &t, mine, memory_order_acq_rel,
		                                            memory_order_acquire))
			t = mine;
		else if (mine != &no_transit) /* another job published one first */
			arena_free(mine->arena);
	}
	return t == &no_transit ? NULL : t;
}

int vfy_base_build(struct snapshot *s, struct vfy_base **out, struct diags *d)
{
	*out = NULL;
	struct vfy_base *b;
	int rc = base_new(s, &b);
	if (rc < 0)
		return rc;
	struct pbuf own = {0};
	for (uint32_t i = 0; i < b->nnodes && rc == 0; i++)
		rc = node_build(b, i, &own, d);
	if (rc == 0)
		rc = internet_space_build(b, &own);
	free(own.v);
	if (rc == 0)
		base_connect(b);
	if (rc == 0)
		rc = transit_table(b);
	if (rc < 0 || arena_exhausted(b->arena)) {
		base_free(b);
		return rc < 0 ? rc : -ENOMEM;
	}
	*out = b;
	return 0;
}

struct vfy_base *vfy_base_ref(struct vfy_base *b)
{
	__atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
	return b;
}

void vfy_base_unref(struct vfy_base *b)
{
	if (b && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0)
		base_free(b);
}

const struct snapshot *vfy_base_snapshot(const struct vfy_base *b)
{
	return b->snap;
}

struct vfy_net *vfy_net_new(struct vfy_base *b)
{
	struct vfy_net *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	n->arena = arena_new(0);
	if (!n->arena) {
		free(n);
		return NULL;
	}
	n->base = vfy_base_ref(b);
	return n;
}

void vfy_net_free(struct vfy_net *n)
{
	if (!n)
		return;
	for (uint32_t i = 0; i < n->nmods; i++)
		if (n->mods[i].g)
			click_graph_free(n->mods[i].g);
	free(n->mods);
	free(n->over);
	vfy_base_unref(n->base);
	arena_free(n->arena);
	free(n);
}

uint32_t vnet__nnodes(const struct vfy_net *n)
{
	return n->base->nnodes + n->nmods;
}

const struct vnode *vnet__node(const struct vfy_net *n, uint32_t i)
{
	return i < n->base->nnodes ? &n->base->nodes[i] : &n->mods[i - n->base->nnodes];
}

int vnet__find(const struct vfy_net *n, const char *name)
{
	/* the snapshot's nodes through its name index (O(1)): adding a module
	 * or resolving a statement must not scan 100,000 nodes; a job's few
	 * modules are scanned */
	int i = snapshot_find(n->base->snap, name);
	if (i >= 0 && (uint32_t)i < n->base->nnodes)
		return i;
	for (uint32_t k = 0; k < n->nmods; k++)
		if (!strcmp(n->mods[k].name, name))
			return (int)(n->base->nnodes + k);
	return -1;
}

bool vnet__peer(const struct vfy_net *n, uint32_t node, uint32_t port, struct vendpoint *out)
{
	for (uint32_t i = 0; i < n->nover; i++)
		if (n->over[i].from.node == node && n->over[i].from.port == port) {
			*out = n->over[i].to;
			return out->node != UINT32_MAX;
		}
	if (node >= n->base->nnodes)
		return false;
	if (port >= n->base->nodes[node].nports)
		return false;
	*out = n->base->peer[node][port];
	return out->node != UINT32_MAX;
}

static int add_over(struct vfy_net *n, struct vendpoint from, struct vendpoint to)
{
	if (n->nover == n->capover) {
		uint32_t nc = n->capover ? n->capover * 2 : 8;
		void *nv = realloc(n->over, nc * sizeof *n->over);
		if (!nv)
			return -ENOMEM;
		n->over = nv;
		n->capover = nc;
	}
	n->over[n->nover].from = from;
	n->over[n->nover].to = to;
	n->nover++;
	return 0;
}

static int parse_endpoint(const struct vfy_net *n, const char *s, struct vendpoint *e)
{
	const char *c = strrchr(s, ':');
	if (!c)
		return -EINVAL;
	char name[256];
	size_t len = (size_t)(c - s);
	if (len >= sizeof name)
		return -EINVAL;
	memcpy(name, s, len);
	name[len] = 0;
	int i = vnet__find(n, name);
	if (i < 0 || (uint32_t)i >= n->base->nnodes)
		return -ENOENT;
	char *end;
	unsigned long p = strtoul(c + 1, &end, 10);
	if (*end || end == c + 1 || p >= n->base->nodes[i].nports)
		return -EINVAL;
	e->node = (uint32_t)i;
	e->port = (uint32_t)p;
	return 0;
}

int vfy_net_add_module(struct vfy_net *n, const struct vfy_module *m, struct diags *d)
{
	if (!m->name || !*m->name || strchr(m->name, ':'))
		return diags_error(d, NULL, 0, "module name '%s' is empty or has ':'", m->name ? m->name : "");
	if (vnet__find(n, m->name) >= 0)
		return diags_error(d, NULL, 0, "module name '%s' is already used", m->name);
	if (n->nmods == n->capmods) {
		uint32_t nc = n->capmods ? n->capmods * 2 : 4;
		struct vnode *nv = realloc(n->mods, nc * sizeof *nv);
		if (!nv)
			return -ENOMEM;
		n->mods = nv;
		n->capmods = nc;
	}
	struct vnode v = {0};
	v.name = arena_strdup(n->arena, m->name);
	v.kind = VN_MODULE;
	v.address = m->address;
	v.proto = m->proto;
	v.dport = m->port;
	struct vendpoint ea = {0}, eb = {0};
	if (m->platform) {
		int p = vnet__find(n, m->platform);
		if (p < 0 || vnet__node(n, (uint32_t)p)->kind != VN_PLATFORM)
			return diags_error(d, NULL, 0, "no platform named '%s'", m->platform);
		v.platform = (uint32_t)p;
	} else if (m->inline_a && m->inline_b) {
		if (parse_endpoint(n, m->inline_a, &ea) || parse_endpoint(n, m->inline_b, &eb))
			return diags_error(d, NULL, 0, "inline link '%s' - '%s': no such ports",
			                   m->inline_a, m->inline_b);
		struct vendpoint pa;
		if (!vnet__peer(n, ea.node, ea.port, &pa) || pa.node != eb.node || pa.port != eb.port)
			return diags_error(d, NULL, 0, "'%s' and '%s' are not linked", m->inline_a, m->inline_b);
		v.is_inline = true;
		v.platform = UINT32_MAX;
	} else {
		return diags_error(d, NULL, 0, "module '%s': give a platform or an inline link", m->name);
	}
	char ip[16], port[8];
	inet_format_addr(m->address, ip);
	snprintf(port, sizeof port, "%u", (unsigned)m->port);
	struct click_define defs[2] = {{"MODULE_IP", ip}, {"MODULE_PORT", port}};
	v.nports = v.is_inline ? 2 : 1;
	int rc = graph_node(n->arena, &v, v.name, m->click, defs, 2, m->max_memory, m->cancel, d);
	if (rc < 0) {
		if (v.g)
			click_graph_free(v.g);
		return rc;
	}
	uint32_t idx = n->base->nnodes + n->nmods;
	n->mods[n->nmods++] = v;
	if (v.is_inline) {
		if (add_over(n, ea, (struct vendpoint){idx, 0}) || add_over(n, (struct vendpoint){idx, 0}, ea) ||
		    add_over(n, eb, (struct vendpoint){idx, 1}) || add_over(n, (struct vendpoint){idx, 1}, eb))
			return -ENOMEM;
	}
	return 0;
}

int vfy_net_remove_module(struct vfy_net *n, const char *name)
{
	int i = vnet__find(n, name);
	if (i < 0 || (uint32_t)i < n->base->nnodes)
		return -ENOENT;
	uint32_t k = (uint32_t)i - n->base->nnodes, idx = (uint32_t)i;
	if (n->mods[k].g)
		click_graph_free(n->mods[k].g);
	/* drop its splices; renumber later modules' references */
	uint32_t w = 0;
	for (uint32_t j = 0; j < n->nover; j++) {
		if (n->over[j].from.node == idx || n->over[j].to.node == idx)
			continue;
		if (n->over[j].from.node > idx && n->over[j].from.node != UINT32_MAX)
			n->over[j].from.node--;
		if (n->over[j].to.node > idx && n->over[j].to.node != UINT32_MAX)
			n->over[j].to.node--;
		n->over[w++] = n->over[j];
	}
	n->nover = w;
	memmove(&n->mods[k], &n->mods[k + 1], (n->nmods - k - 1) * sizeof *n->mods);
	n->nmods--;
	return 0;
}
