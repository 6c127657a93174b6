/* Traces in the spirit of the paper's Figure 2(b): one row per hop (node,
 * element, port) with every header field's value as the packet leaves
 * that hop (a constant, a variable, or a variable and its constrained
 * set), which fields the hop changed, and a concrete witness packet. */
#include <stdlib.h>
#include <string.h>

#include "base/inet.h"
#include "verify/internal.h"

/* Fields shown, in column order. */
static const enum sym_field shown[] = {
	SYM_F_SRC, SYM_F_DST, SYM_F_PROTO, SYM_F_SPORT, SYM_F_DPORT, SYM_F_TTL,
	SYM_F_TOS, SYM_F_TCPFLAGS, SYM_F_OFF, SYM_F_PAYLOAD, SYM_F_PAINT,
};
#define NSHOWN (sizeof shown / sizeof shown[0])

struct vtrow {
	const char *node, *elem;
	int32_t port;
	const char *note;
	const char *val[NSHOWN];
	bool changed[NSHOWN];
	uint8_t layers;
	/* a router hop that changed nothing: a stretch of them is written as
	 * one hop with a "run" (vtrace__json) */
	bool quiet;
	uint32_t node_id;
	uint32_t run; /* quiet rows from this one on, none crossed twice */
};

struct vtrace {
	uint32_t n;
	struct vtrow *rows;
	const char *witness[NSHOWN];
	uint32_t nvars;
	const char **var_name, **var_dom;
	const char *approx;
};

static const char *term_text(struct arena *a, enum sym_field fld, struct sym_term t,
                             const struct sym_iset *dom, const char *name)
{
	unsigned w = sym_field_width(fld);
	uint32_t m = iset__max(w);
	bool addr = fld == SYM_F_SRC || fld == SYM_F_DST || fld == SYM_F_DSTANNO;
	if (!t.var) {
		char b[16];
		if (addr)
			return arena_strdup(a, inet_format_addr(t.k, b));
		return arena_printf(a, "%u", t.k & m);
	}
	/* names live in the job's arena: copy */
	const char *base = arena_strdup(a, name ? name : "?");
	uint32_t k = t.k & m;
	if (k) {
		int64_t d = k > m / 2 ? (int64_t)k - (int64_t)m - 1 : (int64_t)k;
		base = arena_printf(a, "%s%+lld", base, (long long)d);
	}
	if (fld == SYM_F_PAYLOAD || !dom)
		return base;
	if (dom->n == 1 && dom->v[0].lo == 0 && dom->v[0].hi == m)
		return base;
	const struct sym_iset *vals = iset__shift(a, dom, t.k, w);
	if (vals && vals->n == 1 && vals->v[0].lo == vals->v[0].hi) {
		char b[16];
		return addr ? arena_printf(a, "%s=%s", base, inet_format_addr(vals->v[0].lo, b))
		            : arena_printf(a, "%s=%u", base, vals->v[0].lo);
	}
	return arena_printf(a, "%s in %s", base, vals ? iset__format(a, vals, w, addr) : "?");
}

static bool term_eq(const struct sym_snap *a, const struct sym_snap *b, int f)
{
	if (a->f[f].var != b->f[f].var || a->f[f].k != b->f[f].k)
		return false;
	if (a->dom[f] == b->dom[f])
		return true;
	if (!a->dom[f] || !b->dom[f])
		return false;
	return iset__equal(a->dom[f], b->dom[f]);
}

static uint32_t pick(const struct sym_iset *d, bool addr)
{
	if (!d || !d->n)
		return 0;
	uint32_t v = d->v[0].lo;
	if (addr && (v & 0xff) == 0 && d->v[0].hi > v)
		v++;
	return v;
}

/* The runs of quiet rows. A run stops before a router it has crossed
 * already: that is a loop (the one a loop trace shows), written hop by hop. */
static void mark_runs(struct vtrace *t, uint32_t nnodes)
{
	uint32_t *seen = calloc(nnodes ? nnodes : 1, sizeof *seen); /* run number + 1 */
	if (!seen)
		return; /* no runs: every hop written */
	uint32_t i = 0;
	while (i < t->n) {
		if (!t->rows[i].quiet) {
			i++;
			continue;
		}
		uint32_t k = i;
		while (k < t->n && t->rows[k].quiet && t->rows[k].node_id < nnodes &&
		       seen[t->rows[k].node_id] != i + 1)
			seen[t->rows[k++].node_id] = i + 1;
		t->rows[i].run = k - i;
		i = k > i ? k : i + 1;
	}
	free(seen);
}

/* Where a row of the trace comes from: a hop, or one router of a hop that
 * crossed a router region in one step (its packet is the hop's). */
struct rowsrc {
	const struct sym_hop *h;
	uint32_t node, port;
};

/* The rows of f's history in order, transits unfolded; *n rows. */
static struct rowsrc *row_sources(const struct sym_flow *f, uint32_t *n)
{
	uint32_t cnt = 0;
	for (const struct sym_hop *h = f->hist; h; h = h->prev)
		cnt += h->run ? h->run->n : 1;
	struct rowsrc *rs = calloc(cnt ? cnt : 1, sizeof *rs);
	if (!rs)
		return NULL;
	uint32_t i = cnt;
	for (const struct sym_hop *h = f->hist; h; h = h->prev) {
		if (!h->run) {
			rs[--i] = (struct rowsrc){h, h->node, h->port};
			continue;
		}
		for (uint32_t k = h->run->n; k-- > 0;)
			rs[--i] = (struct rowsrc){h, h->run->path[k].node, h->run->path[k].port};
	}
	*n = cnt;
	return rs;
}

struct vtrace *vtrace__build(struct arena *ra, const struct vfy_net *net, const struct sym_flow *f)
{
	struct vtrace *t = arena_alloc(ra, sizeof *t);
	if (!t)
		return NULL;
	uint32_t n = 0, i;
	struct rowsrc *hs = row_sources(f, &n);
	if (!hs)
		return NULL;
	struct sym_snap final;
	sym__snap(f, &final);
	t->n = n;
	t->rows = arena_calloc(ra, n ? n : 1, sizeof *t->rows);
	t->approx = f->approx ? arena_strdup(ra, f->approx) : NULL;
	for (i = 0; i < n && t->rows; i++) {
		struct vtrow *r = &t->rows[i];
		const struct sym_hop *h = hs[i].h;
		const struct vnode *vn = vnet__node(net, hs[i].node);
		r->node = arena_strdup(ra, vn->name);
		r->node_id = hs[i].node;
		r->port = (int32_t)hs[i].port;
		if (h->elem != UINT32_MAX && vn->g) {
			const struct click_element *e = click_graph_element(vn->g, h->elem);
			r->elem = e ? arena_strdup(ra, e->name) : NULL;
		}
		r->note = h->note ? arena_strdup(ra, h->note) : NULL;
		/* the packet as it leaves this hop: as it reaches the next */
		const struct sym_snap *cur = i + 1 < n ? hs[i + 1].h->snap : &final;
		const struct sym_snap *prev = i ? h->snap : NULL;
		r->layers = cur->nlayers;
		if (prev && cur == prev) {
			/* hops that change nothing share their snapshot (vjob__hop):
			 * the previous row's texts are this one's, and formatting
			 * them again for each hop of a long path is most of a trace */
			memcpy(r->val, t->rows[i - 1].val, sizeof r->val);
			r->quiet = vn->kind == VN_ROUTER && !r->note;
			continue;
		}
		for (size_t k = 0; k < NSHOWN; k++) {
			int fld = shown[k];
			r->val[k] = term_text(ra, (enum sym_field)fld, cur->f[fld], cur->dom[fld], cur->name[fld]);
			r->changed[k] = !prev || !term_eq(prev, cur, fld);
		}
	}
	free(hs);
	if (t->rows)
		mark_runs(t, (uint32_t)(net->base->nnodes + net->nmods));
	for (size_t k = 0; k < NSHOWN; k++) {
		int fld = shown[k];
		struct sym_term tm = final.f[fld];
		unsigned w = sym_field_width((enum sym_field)fld);
		uint32_t m = iset__max(w);
		bool addr = fld == SYM_F_SRC || fld == SYM_F_DST;
		if (fld == SYM_F_PAYLOAD) {
			t->witness[k] = final.name[fld] ? arena_strdup(ra, final.name[fld]) : "?";
			continue;
		}
		uint32_t v = tm.var ? (pick(final.dom[fld], addr) + tm.k) & m : tm.k & m;
		if (fld == SYM_F_TTL && tm.var && final.dom[fld]) {
			/* a plausible TTL when the domain allows it */
			const struct sym_iset *vals = iset__shift(ra, final.dom[fld], tm.k, 8);
			if (vals && sym_iset_contains(vals, 64))
				v = 64;
		}
		char b[16];
		t->witness[k] = addr ? arena_strdup(ra, inet_format_addr(v, b)) : arena_printf(ra, "%u", v);
	}
	t->nvars = f->nvars;
	t->var_name = arena_calloc(ra, f->nvars ? f->nvars : 1, sizeof *t->var_name);
	t->var_dom = arena_calloc(ra, f->nvars ? f->nvars : 1, sizeof *t->var_dom);
	for (uint32_t v = 0; v < f->nvars && t->var_name && t->var_dom; v++) {
		t->var_name[v] = arena_strdup(ra, f->vars[v].name);
		/* 32-bit variables print as addresses; any width but 32 and 16 as a byte */
		unsigned w = f->vars[v].width == 32 || f->vars[v].width == 16 ? f->vars[v].width : 8;
		t->var_dom[v] = iset__format(ra, f->vars[v].dom, w, w == 32);
	}
	return t;
}

/* Hops listed by name in a run; longer runs give their first and last. */
#define RUN_NAMES 16

static json_t *hop_json(const struct vtrow *r, bool first)
{
	json_t *fl = json_object();
	json_t *ch = json_array();
	for (size_t k = 0; k < NSHOWN; k++) {
		json_object_set_new(fl, sym_field_name(shown[k]),
		                    json_pack("{s:s, s:b}", "value", r->val[k], "changed", r->changed[k]));
		if (r->changed[k] && !first)
			json_array_append_new(ch, json_string(sym_field_name(shown[k])));
	}
	json_t *h = json_pack("{s:s, s:i, s:o, s:o, s:i}", "node", r->node, "port", (int)r->port, "fields", fl,
	                      "changed", ch, "layers", (int)r->layers);
	json_object_set_new(h, "element", r->elem ? json_string(r->elem) : json_null());
	if (r->note)
		json_object_set_new(h, "note", json_string(r->note));
	return h;
}

/* Rows [i, k) are routers the flow crossed without a change: one hop, the
 * last of them, with "run": how many it stands for, where the run began
 * and, for a short one, every router's name. A path through a large
 * network costs its report a few names instead of a hop per router. */
static json_t *run_json(const struct vtrace *t, uint32_t i, uint32_t k)
{
	json_t *h = hop_json(&t->rows[k - 1], false);
	json_t *run = json_pack("{s:i, s:{s:s, s:i}}", "hops", (int)(k - i), "from", "node", t->rows[i].node,
	                        "port", (int)t->rows[i].port);
	if (k - i <= RUN_NAMES) {
		json_t *names = json_array();
		for (uint32_t x = i; x < k; x++)
			json_array_append_new(names, json_string(t->rows[x].node));
		json_object_set_new(run, "nodes", names);
	}
	json_object_set_new(h, "run", run);
	return h;
}

/* Runs shorter than this are written hop by hop. */
#define RUN_MIN 3

json_t *vtrace__json(const struct vtrace *t)
{
	json_t *hops = json_array();
	for (uint32_t i = 0; i < t->n;) {
		uint32_t k = i + t->rows[i].run;
		if (k - i >= RUN_MIN) {
			json_array_append_new(hops, run_json(t, i, k));
			i = k;
			continue;
		}
		json_array_append_new(hops, hop_json(&t->rows[i], i == 0));
		i++;
	}
	json_t *w = json_object();
	for (size_t k = 0; k < NSHOWN; k++)
		json_object_set_new(w, sym_field_name(shown[k]), json_string(t->witness[k]));
	json_t *vars = json_object();
	for (uint32_t v = 0; v < t->nvars; v++)
		if (t->var_name[v] && t->var_dom[v] && strcmp(t->var_dom[v], "*"))
			json_object_set_new(vars, t->var_name[v], json_string(t->var_dom[v]));
	json_t *o = json_pack("{s:o, s:o, s:o}", "hops", hops, "witness", w, "variables", vars);
	if (t->approx)
		json_object_set_new(o, "approximate", json_string(t->approx));
	return o;
}

const char *vtrace__final(const struct vtrace *t, const char *field)
{
	if (!t->n)
		return NULL;
	for (size_t k = 0; k < NSHOWN; k++)
		if (!strcmp(sym_field_name(shown[k]), field))
			return t->rows[t->n - 1].val[k];
	return NULL;
}
