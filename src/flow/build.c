/* Building condition trees: n-ary AND/OR with flattening and constant
 * folding, and Click's two kinds of negation. */
#include "flow/internal.h"

#include <string.h>

struct flow_expr *flow__const(struct arena *a, bool v)
{
	struct flow_expr *e = arena_alloc(a, sizeof *e);
	if (e)
		e->kind = v ? FLOW_TRUE : FLOW_FALSE;
	return e;
}

struct flow_expr *flow__atom(struct arena *a, enum flow_base base, uint16_t off,
                             uint8_t len, uint32_t mask, enum flow_op op, uint32_t value)
{
	struct flow_expr *e = arena_alloc(a, sizeof *e);
	if (!e)
		return NULL;
	e->kind = FLOW_ATOM;
	e->atom.base = (uint8_t)base;
	e->atom.off = off;
	e->atom.len = len;
	e->atom.mask = mask;
	e->atom.op = (uint8_t)op;
	e->atom.value = value;
	return e;
}

struct flow_expr *flow__not(struct arena *a, struct flow_expr *x)
{
	if (!x)
		return NULL;
	if (x->kind == FLOW_TRUE || x->kind == FLOW_FALSE)
		return flow__const(a, x->kind == FLOW_FALSE);
	if (x->kind == FLOW_NOT)
		return x->kids[0];
	struct flow_expr *e = arena_alloc(a, sizeof *e);
	struct flow_expr **k = arena_alloc(a, sizeof *k);
	if (!e || !k)
		return NULL;
	e->kind = FLOW_NOT;
	e->nkids = 1;
	k[0] = x;
	e->kids = k;
	return e;
}

static bool same_expr(const struct flow_expr *x, const struct flow_expr *y, int depth)
{
	if (x->kind != y->kind || x->nkids != y->nkids || depth > 3)
		return false;
	if (x->kind == FLOW_ATOM)
		return x->atom.base == y->atom.base && x->atom.off == y->atom.off
			&& x->atom.len == y->atom.len && x->atom.mask == y->atom.mask
			&& x->atom.op == y->atom.op && x->atom.value == y->atom.value;
	for (uint32_t i = 0; i < x->nkids; i++)
		if (!same_expr(x->kids[i], y->kids[i], depth + 1))
			return false;
	return true;
}

/* Repeated atoms and small subtrees (the protocol and first-fragment conditions every port
 * primitive brings along) are dropped; x && x is x. Only a bounded window
 * is searched so long juxtapositions stay linear. */
static void add_unique(struct flow_expr **v, size_t *m, struct flow_expr *x, size_t total)
{
	(void)total;
	if (x->kind == FLOW_ATOM || x->nkids <= 4) {
		size_t from = *m > 64 ? *m - 64 : 0;
		for (size_t i = from; i < *m; i++)
			if (same_expr(v[i], x, 0))
				return;
	}
	v[(*m)++] = x;
}

struct flow_expr *flow__nary(struct arena *a, enum flow_kind kind,
                             struct flow_expr **kids, size_t n)
{
	/* AND: FALSE absorbs, TRUE vanishes; OR the other way round. */
	uint8_t absorb = kind == FLOW_AND ? FLOW_FALSE : FLOW_TRUE;
	uint8_t unit = kind == FLOW_AND ? FLOW_TRUE : FLOW_FALSE;
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if (!kids[i])
			return NULL;
		if (kids[i]->kind == absorb)
			return flow__const(a, absorb == FLOW_TRUE);
		if (kids[i]->kind == kind)
			total += kids[i]->nkids;
		else if (kids[i]->kind != unit)
			total++;
	}
	if (total == 0)
		return flow__const(a, unit == FLOW_TRUE);
	struct flow_expr **v = arena_calloc(a, total, sizeof *v);
	if (!v)
		return NULL;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (kids[i]->kind == kind) {
			for (uint32_t j = 0; j < kids[i]->nkids; j++)
				add_unique(v, &m, kids[i]->kids[j], total);
		} else if (kids[i]->kind != unit) {
			add_unique(v, &m, kids[i], total);
		}
	}
	if (m == 1)
		return v[0];
	struct flow_expr *e = arena_alloc(a, sizeof *e);
	if (!e)
		return NULL;
	e->kind = (uint8_t)kind;
	e->nkids = (uint32_t)m;
	e->kids = v;
	return e;
}

struct flow_expr *flow__and2(struct arena *a, struct flow_expr *x, struct flow_expr *y)
{
	struct flow_expr *k[2] = {x, y};
	return flow__nary(a, FLOW_AND, k, 2);
}

struct flow_expr *flow__or2(struct arena *a, struct flow_expr *x, struct flow_expr *y)
{
	struct flow_expr *k[2] = {x, y};
	return flow__nary(a, FLOW_OR, k, 2);
}

static const uint8_t complement[] = {
	[FLOW_EQ] = FLOW_NE, [FLOW_NE] = FLOW_EQ, [FLOW_LT] = FLOW_GE,
	[FLOW_GE] = FLOW_LT, [FLOW_GT] = FLOW_LE, [FLOW_LE] = FLOW_GT,
};

struct flow_expr *flow__negate_atoms(struct arena *a, const struct flow_expr *e)
{
	switch (e->kind) {
	case FLOW_TRUE:
	case FLOW_FALSE:
		return flow__const(a, e->kind == FLOW_FALSE);
	case FLOW_ATOM: {
		const struct flow_atom *t = &e->atom;
		return flow__atom(a, t->base, t->off, t->len, t->mask,
		                  complement[t->op % 6], t->value);
	}
	case FLOW_NOT:
		/* The "not" keyword's subtree, negated again by a compiled
		 * negation: Click flips the short branch of every insn in it,
		 * which is exactly the subtree with its atoms complemented and
		 * the NOT kept. The parser never builds this; keep it total. */
		return flow__not(a, flow__negate_atoms(a, e->kids[0]));
	default: {
		struct flow_expr **v = arena_calloc(a, e->nkids ? e->nkids : 1, sizeof *v);
		if (!v)
			return NULL;
		for (uint32_t i = 0; i < e->nkids; i++)
			if (!(v[i] = flow__negate_atoms(a, e->kids[i])))
				return NULL;
		return flow__nary(a, e->kind == FLOW_AND ? FLOW_OR : FLOW_AND, v, e->nkids);
	}
	}
}

struct flow_expr *flow__copy(struct arena *a, const struct flow_expr *e)
{
	struct flow_expr *c = arena_alloc(a, sizeof *c);
	if (!c)
		return NULL;
	*c = *e;
	if (e->nkids) {
		c->kids = arena_calloc(a, e->nkids, sizeof *c->kids);
		if (!c->kids)
			return NULL;
		for (uint32_t i = 0; i < e->nkids; i++)
			if (!(c->kids[i] = flow__copy(a, e->kids[i])))
				return NULL;
	}
	return c;
}
