/* Exact splits of a flow: on one field's values, on the transport length,
 * on a flow expression (IPFilter, IPClassifier, Classifier patterns), and
 * on equalities between fields and terms (rewriter lookups), which unify
 * variables. Every split is disjoint; where intervals cannot express a
 * side, both sides keep the flow, marked approximate. */
#include <errno.h>
#include <string.h>

#include "verify/internal.h"

void sym_flows_push(struct sym_ctx *cx, struct sym_flows *l, struct sym_flow *f)
{
	if (!f)
		return;
	if (l->n == l->cap) {
		uint32_t nc = l->cap ? l->cap * 2 : 8;
		struct sym_flow **nv = arena_alloc(cx->a, (size_t)nc * sizeof *nv);
		if (!nv) {
			sym__fail(cx, -ENOMEM);
			sym__free(cx, f);
			return;
		}
		if (l->n)
			memcpy(nv, l->v, (size_t)l->n * sizeof *nv);
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n++] = f;
}

/* ---- splitting on one field ------------------------------------------------------ */

/* Restrict term t's values to set; false when that empties the flow. */
static bool restrict_term(struct sym_ctx *cx, struct sym_flow *f, struct sym_term t, unsigned width,
                          const struct sym_iset *set)
{
	if (!set) {
		sym__fail(cx, -ENOMEM);
		return false;
	}
	if (!t.var)
		return sym_iset_contains(set, t.k & iset__max(width));
	struct sym_var *v = &f->vars[t.var - 1];
	const struct sym_iset *back = iset__shift(cx->a, set, (uint32_t)(-(int64_t)t.k), width);
	if (!back) {
		sym__fail(cx, -ENOMEM);
		return false;
	}
	/* a variable is as wide as the fields it was made for */
	const struct sym_iset *nd = iset__and(cx->a, v->dom, back);
	if (!nd) {
		sym__fail(cx, -ENOMEM);
		return false;
	}
	if (nd->n == 0)
		return false;
	v->dom = nd;
	return true;
}

static void split_term(struct sym_ctx *cx, struct sym_flow *f, struct sym_term t, unsigned width,
                       uint32_t cbit, const struct sym_iset *set, struct sym_flow **in,
                       struct sym_flow **out)
{
	*in = *out = NULL;
	if (!set) {
		sym__fail(cx, -ENOMEM);
		sym__free(cx, f);
		return;
	}
	if (!t.var) {
		if (sym_iset_contains(set, t.k & iset__max(width)))
			*in = f;
		else
			*out = f;
		return;
	}
	const struct sym_iset *vals = sym__term_values(cx, f, t, width);
	const struct sym_iset *yes = vals ? iset__and(cx->a, vals, set) : NULL;
	if (!yes) {
		sym__fail(cx, -ENOMEM);
		sym__free(cx, f);
		return;
	}
	if (yes->n == 0) {
		*out = f;
		return;
	}
	if (iset__equal(yes, vals)) {
		*in = f;
		return;
	}
	struct sym_flow *g = sym_clone(cx, f);
	if (!g) {
		sym__free(cx, f);
		return;
	}
	restrict_term(cx, f, t, width, set);
	f->cmask |= cbit;
	restrict_term(cx, g, t, width, iset__not(cx->a, set, width));
	g->cmask |= cbit;
	*in = f;
	*out = g;
}

void sym_split_set(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld,
                   const struct sym_iset *set, struct sym_flow **in, struct sym_flow **out)
{
	split_term(cx, f, sym_get(f, fld), sym_field_width(fld), 1u << fld, set, in, out);
}

void sym_split_range(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld, uint32_t lo,
                     uint32_t hi, struct sym_flow **in, struct sym_flow **out)
{
	sym_split_set(cx, f, fld, iset__range(cx->a, lo, hi), in, out);
}

void sym_split_transport(struct sym_ctx *cx, struct sym_flow *f, uint32_t n,
                         struct sym_flow **at_least, struct sym_flow **fewer,
                         struct sym_flow **maybe)
{
	*at_least = *fewer = *maybe = NULL;
	const struct sym_iset *vhl = sym_values(cx, f, SYM_F_VHL);
	uint32_t ihl_min = 15, ihl_max = 0;
	for (uint32_t i = 0; vhl && i < vhl->n; i++) {
		if (vhl->v[i].hi - vhl->v[i].lo >= 15) {
			ihl_min = 0;
			ihl_max = 15;
			break;
		}
		for (uint32_t v = vhl->v[i].lo;; v++) {
			ihl_min = (v & 15) < ihl_min ? (v & 15) : ihl_min;
			ihl_max = (v & 15) > ihl_max ? (v & 15) : ihl_max;
			if (v == vhl->v[i].hi)
				break;
		}
	}
	if (ihl_min > ihl_max)
		ihl_min = ihl_max = 5; /* VHL has no value: the flow is empty anyway */
	struct sym_flow *rest = NULL;
	sym_split_range(cx, f, SYM_F_LEN, ihl_max * 4 + n, 0xffff, at_least, &rest);
	if (rest && ihl_min * 4 + n > 0)
		sym_split_range(cx, rest, SYM_F_LEN, 0, ihl_min * 4 + n - 1, fewer, maybe);
	else
		*maybe = rest;
	if (*maybe)
		sym_approx(cx, *maybe, "transport length depends on the IP header length (options)");
}

/* ---- flow expressions ------------------------------------------------------------ */

/* One constraint on one field (or raw location) derived from an atom. */
struct subc {
	int field;           /* -1: raw */
	uint8_t base;
	uint16_t roff;
	uint8_t rlen;
	unsigned shift;
	uint32_t mask, value;
};

/* The term for a raw location, created on first use. NULL term (var 0,
 * k 1) when none can be had. */
static bool raw_term(struct sym_ctx *cx, struct sym_flow *f, uint8_t base, uint16_t off, uint8_t len,
                     struct sym_term *t)
{
	for (uint32_t i = 0; i < f->nraw; i++)
		if (f->raw[i].base == base && f->raw[i].off == off && f->raw[i].len == len) {
			t->var = f->raw[i].var;
			t->k = 0;
			return true;
		}
	for (uint32_t i = 0; i < f->nraw; i++)
		if (f->raw[i].base == base && f->raw[i].off < off + len && off < f->raw[i].off + f->raw[i].len)
			sym_approx(cx, f, "overlapping unmodelled header bytes are read as independent");
	if (f->nraw == SYM_MAX_RAW)
		return false;
	const char *name = arena_printf(cx->a, "%s[%u:%u]", base == FLOW_BASE_IP ? "ip" : "transp",
	                                (unsigned)off, (unsigned)len);
	uint32_t v = sym__newvar(cx, f, name, len * 8u, NULL);
	if (!v)
		return false;
	f->raw[f->nraw++] = (struct sym_raw){base, len, off, v};
	t->var = v;
	t->k = 0;
	return true;
}

/* Decompose an atom into per-field constraints. Returns the count, 0 when
 * it is false on every packet (no such header), -1 when it cannot be
 * decomposed exactly (then the caller treats it as unknown). */
static int decompose(struct sym_ctx *cx, struct sym_flow *f, const struct flow_atom *a,
                     struct subc *out, bool *never)
{
	*never = false;
	int base = a->base;
	int off = a->off;
	if (base == FLOW_BASE_ETHER) {
		*never = true; /* no link-layer header in this model */
		return 0;
	}
	const struct sym_layer *L = &f->l[f->anno];
	if (base == FLOW_BASE_DATA) {
		/* data offset -> IP offset of the annotated layer */
		int32_t start = 0;
		for (uint32_t i = 0; i < f->anno; i++) {
			if (!f->l[i].hlen)
				return -1;
			start += f->l[i].hlen;
		}
		off = f->data_off + off - start;
		if (off < 0)
			return -1;
		base = FLOW_BASE_IP;
	}
	if (base == FLOW_BASE_IP && off >= 20) {
		if (!L->has_l4 || !sym__ihl_is_5(f))
			return -1;
		base = FLOW_BASE_TRANSP;
		off -= 20;
	}
	if (base == FLOW_BASE_TRANSP && !L->has_l4)
		return -1;
	int n = 0;
	for (int i = 0; i < a->len;) {
		unsigned o = (unsigned)(off + i);
		struct sym_span sp = base == FLOW_BASE_IP ? sym__ip_byte(o) : sym__tr_byte(o);
		/* bytes of this atom inside this span */
		int first = i;
		int span_end = sp.field >= 0 ? sp.off + sp.len : (int)o + 1;
		while (i < a->len && off + i < span_end)
			i++;
		/* raw bytes: extend over consecutive raw bytes */
		if (sp.field < 0) {
			while (i < a->len) {
				struct sym_span nx = base == FLOW_BASE_IP ? sym__ip_byte((unsigned)(off + i))
				                                       : sym__tr_byte((unsigned)(off + i));
				if (nx.field >= 0)
					break;
				i++;
			}
		}
		int cnt = i - first;
		unsigned lowbytes = (unsigned)(a->len - i); /* atom bytes after this group */
		uint32_t gm = (uint32_t)(((uint64_t)a->mask >> (8 * lowbytes)) & ((cnt >= 4) ? 0xffffffffu : ((1u << (8 * cnt)) - 1)));
		uint32_t gv = (uint32_t)(((uint64_t)a->value >> (8 * lowbytes)) & ((cnt >= 4) ? 0xffffffffu : ((1u << (8 * cnt)) - 1)));
		if (gm == 0)
			continue;
		struct subc c = {.field = sp.field, .base = (uint8_t)base, .mask = gm, .value = gv};
		if (sp.field >= 0) {
			int end_in_field = (int)(off + i) - sp.off; /* bytes of field used up to */
			c.shift = (unsigned)(8 * (sp.len - end_in_field));
		} else {
			c.roff = (uint16_t)(off + first);
			c.rlen = (uint8_t)cnt;
			c.shift = 0;
		}
		if (n == 8)
			return -1;
		out[n++] = c;
	}
	(void)cx;
	return n;
}

static bool subc_term(struct sym_ctx *cx, struct sym_flow *f, const struct subc *c, struct sym_term *t,
                      unsigned *width, uint32_t *cbit)
{
	if (c->field >= 0) {
		*t = sym_get(f, (enum sym_field)c->field);
		*width = sym_field_width((enum sym_field)c->field);
		*cbit = 1u << c->field;
		return true;
	}
	*width = c->rlen * 8u;
	*cbit = 0;
	return raw_term(cx, f, c->base, c->roff, c->rlen, t);
}

/* Split on one sub-constraint with operator op. */
static void split_subc(struct sym_ctx *cx, struct sym_flow *f, const struct subc *c, enum flow_op op,
                       struct sym_flow **in, struct sym_flow **out)
{
	struct sym_term t;
	unsigned w;
	uint32_t cbit;
	if (!subc_term(cx, f, c, &t, &w, &cbit)) {
		/* cannot track: both sides keep the flow, marked approximate */
		struct sym_flow *g = sym_clone(cx, f);
		sym_approx(cx, f, "too many unmodelled header bytes");
		if (g)
			sym_approx(cx, g, "too many unmodelled header bytes");
		*in = f;
		*out = g;
		return;
	}
	const struct sym_iset *set = iset__masked(cx->a, w, c->shift, c->mask, op, c->value);
	if (!set) {
		struct sym_flow *g = sym_clone(cx, f);
		sym_approx(cx, f, "a masked comparison too irregular to track");
		if (g)
			sym_approx(cx, g, "a masked comparison too irregular to track");
		*in = f;
		*out = g;
		return;
	}
	split_term(cx, f, t, w, cbit, set, in, out);
}

static int split_atom(struct sym_ctx *cx, struct sym_flow *f, const struct flow_atom *a,
                      struct sym_flows *yes, struct sym_flows *no)
{
	struct subc cs[8];
	bool never;
	int n = decompose(cx, f, a, cs, &never);
	if (never) {
		sym_flows_push(cx, no, f);
		return 0;
	}
	if (n == 0) { /* every compared bit masked out: compares 0 with value */
		sym_flows_push(cx, flow_compare(0, a->op, a->value) ? yes : no, f);
		return 0;
	}
	if (n < 0) {
		/* the bytes are not modelled as fields: one raw variable for the
		 * whole location */
		struct subc c = {.field = -1, .base = a->base, .roff = a->off, .rlen = a->len,
		                 .mask = a->mask, .value = a->value};
		if (a->base == FLOW_BASE_DATA)
			sym_approx(cx, f, "Classifier bytes the model cannot place are read as independent");
		struct sym_flow *in, *out;
		split_subc(cx, f, &c, a->op, &in, &out);
		sym_flows_push(cx, yes, in);
		sym_flows_push(cx, no, out);
		return 0;
	}
	if (n == 1) {
		struct sym_flow *in, *out;
		split_subc(cx, f, &cs[0], a->op, &in, &out);
		sym_flows_push(cx, yes, in);
		sym_flows_push(cx, no, out);
		return 0;
	}
	if (a->op != FLOW_EQ && a->op != FLOW_NE) {
		/* an order comparison across several fields: not decomposed */
		struct sym_flow *g = sym_clone(cx, f);
		sym_approx(cx, f, "an order comparison across several header fields");
		if (g)
			sym_approx(cx, g, "an order comparison across several header fields");
		sym_flows_push(cx, yes, f);
		sym_flows_push(cx, no, g);
		return 0;
	}
	/* equality of all parts; negation as disjoint conjunctions */
	struct sym_flows *pos = a->op == FLOW_EQ ? yes : no, *neg = a->op == FLOW_EQ ? no : yes;
	struct sym_flow *cur = f;
	for (int i = 0; i < n && cur; i++) {
		struct sym_flow *in, *out;
		split_subc(cx, cur, &cs[i], FLOW_EQ, &in, &out);
		sym_flows_push(cx, neg, out);
		cur = in;
	}
	sym_flows_push(cx, pos, cur);
	return 0;
}

int sym_split_expr(struct sym_ctx *cx, struct sym_flow *f, const struct flow_expr *e,
                   struct sym_flows *yes, struct sym_flows *no)
{
	if (!f)
		return 0;
	if (cx->err) {
		sym__free(cx, f);
		return cx->err;
	}
	switch (e->kind) {
	case FLOW_TRUE:
		sym_flows_push(cx, yes, f);
		return 0;
	case FLOW_FALSE:
		sym_flows_push(cx, no, f);
		return 0;
	case FLOW_ATOM:
		return split_atom(cx, f, &e->atom, yes, no);
	case FLOW_NOT:
		return sym_split_expr(cx, f, e->kids[0], no, yes);
	case FLOW_AND:
	case FLOW_OR: {
		bool and = e->kind == FLOW_AND;
		struct sym_flows cur = {0};
		sym_flows_push(cx, &cur, f);
		for (uint32_t k = 0; k < e->nkids && cur.n; k++) {
			struct sym_flows next = {0};
			for (uint32_t i = 0; i < cur.n; i++) {
				int r = and ? sym_split_expr(cx, cur.v[i], e->kids[k], &next, no)
				            : sym_split_expr(cx, cur.v[i], e->kids[k], yes, &next);
				if (r < 0)
					return r;
			}
			cur = next;
		}
		for (uint32_t i = 0; i < cur.n; i++)
			sym_flows_push(cx, and ? yes : no, cur.v[i]);
		return cx->err;
	}
	}
	sym_flows_push(cx, no, f);
	return 0;
}

/* ---- equality between fields and terms (rewriter lookups) ------------------------- */

static struct sym_term subst1(struct sym_term t, uint32_t from, struct sym_term to, unsigned w)
{
	if (t.var == from) {
		t.var = to.var;
		t.k = (t.k + to.k) & iset__max(w);
	}
	return t;
}

/* Replace variable `from` by term `to` everywhere in f. */
static void substitute(struct sym_ctx *cx, struct sym_flow *f, uint32_t from, struct sym_term to)
{
	for (uint32_t l = 0; l < f->nlayers; l++)
		for (int i = 0; i < SYM_NLAYER_FIELDS; i++)
			f->l[l].f[i] = subst1(f->l[l].f[i], from, to, sym_field_width((enum sym_field)i));
	for (int i = 0; i < SYM_NPKT_FIELDS; i++)
		f->pf[i] = subst1(f->pf[i], from, to, sym_field_width((enum sym_field)(SYM_NLAYER_FIELDS + i)));
	f->entry_src = subst1(f->entry_src, from, to, 32);
	f->entry_dst = subst1(f->entry_dst, from, to, 32);
	for (int i = 0; i < SYM_NFIELDS; i++)
		f->mark[i] = subst1(f->mark[i], from, to, sym_field_width((enum sym_field)i));
	/* state records are shared: rebuild the list if any mentions it */
	bool any = false;
	for (const struct sym_state *s = f->state; s && !any; s = s->next)
		for (uint32_t i = 0; i < s->nterms; i++)
			if (s->t[i].var == from)
				any = true;
	if (!any)
		return;
	const struct sym_state *old[256];
	uint32_t n = 0;
	const struct sym_state *s = f->state;
	for (; s && n < 256; s = s->next)
		old[n++] = s;
	const struct sym_state *tail = s; /* beyond 256: left as they are */
	if (tail)
		sym_approx(cx, f, "too much flow state to rename a variable in");
	f->state = tail;
	f->nstate -= n;
	for (uint32_t i = n; i-- > 0;) {
		struct sym_state c = *old[i];
		for (uint32_t j = 0; j < c.nterms; j++)
			c.t[j] = subst1(c.t[j], from, to, 32);
		sym_state_push(cx, f, &c);
	}
}

int sym_split_equal(struct sym_ctx *cx, struct sym_flow *f, uint32_t n, const enum sym_field *flds,
                    const struct sym_term *terms_in, struct sym_flows *yes, struct sym_flows *no)
{
	struct sym_term terms[16];
	if (n > 16)
		return -EINVAL;
	memcpy(terms, terms_in, n * sizeof *terms);
	struct sym_flow *cur = f;
	for (uint32_t i = 0; i < n && cur; i++) {
		unsigned w = sym_field_width(flds[i]);
		uint32_t m = iset__max(w);
		struct sym_term a = sym_get(cur, flds[i]), b = terms[i];
		a.k &= m;
		b.k &= m;
		if (a.var == b.var) {
			if (a.k != b.k) {
				sym_flows_push(cx, no, cur);
				cur = NULL;
			}
			continue;
		}
		if (!a.var || !b.var) {
			struct sym_term v = a.var ? a : b;
			uint32_t c = a.var ? b.k : a.k;
			struct sym_flow *in, *out;
			split_term(cx, cur, v, w, 1u << flds[i], iset__range(cx->a, c, c), &in, &out);
			sym_flows_push(cx, no, out);
			cur = in;
			continue;
		}
		/* two variables */
		const struct sym_iset *va = sym__term_values(cx, cur, a, w), *vb = sym__term_values(cx, cur, b, w);
		const struct sym_iset *both = va && vb ? iset__and(cx->a, va, vb) : NULL;
		if (!both) {
			sym__fail(cx, -ENOMEM);
			return cx->err;
		}
		if (both->n == 0) {
			sym_flows_push(cx, no, cur);
			cur = NULL;
			continue;
		}
		/* inequality of two variables is not an interval: keep the flow
		 * on the "no" side unconstrained, marked approximate */
		struct sym_flow *other = sym_clone(cx, cur);
		if (other) {
			sym_approx(cx, other, "a mismatch between two unknown values is not tracked");
			sym_flows_push(cx, no, other);
		}
		/* a.var + a.k == b.var + b.k: a.var := b.var + (b.k - a.k) */
		struct sym_term to = {b.var, (b.k - a.k) & m};
		restrict_term(cx, cur, b, w, va);
		uint32_t from = a.var;
		substitute(cx, cur, from, to);
		for (uint32_t j = i + 1; j < n; j++)
			terms[j] = subst1(terms[j], from, to, sym_field_width(flds[j]));
		cur->cmask |= 1u << flds[i];
	}
	sym_flows_push(cx, yes, cur);
	return cx->err;
}

static bool expr_mentions(const struct flow_expr *e, unsigned lo, unsigned hi)
{
	if (!e)
		return false;
	if (e->kind == FLOW_ATOM)
		return e->atom.base == FLOW_BASE_IP && e->atom.off < hi && e->atom.off + e->atom.len > lo;
	for (uint32_t i = 0; i < e->nkids; i++)
		if (expr_mentions(e->kids[i], lo, hi))
			return true;
	return false;
}

bool sym__mentions_dst(const struct flow_expr *e)
{
	return expr_mentions(e, 16, 20);
}
