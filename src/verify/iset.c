/* Interval sets: the domains of symbolic variables. Immutable once built,
 * so flows share them freely. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/inet.h"
#include "verify/internal.h"

const struct sym_iset *iset__new(struct arena *a, const struct sym_ival *v, uint32_t n)
{
	struct sym_iset *s = arena_alloc(a, sizeof *s + (size_t)n * sizeof s->v[0]);
	if (!s)
		return NULL;
	s->n = n;
	if (n)
		memcpy(s->v, v, (size_t)n * sizeof v[0]);
	return s;
}

const struct sym_iset *iset__range(struct arena *a, uint32_t lo, uint32_t hi)
{
	struct sym_ival v = {lo, hi};
	return iset__new(a, &v, lo <= hi ? 1 : 0);
}

const struct sym_iset *iset__full(struct arena *a, unsigned width)
{
	return iset__range(a, 0, iset__max(width));
}

/* Growable interval list that merges adjacent or overlapping intervals
 * appended in increasing order. */
struct ibuf {
	struct sym_ival *v;
	uint32_t n, cap;
	struct sym_ival small[16];
	bool oom;
};

static void ibuf_init(struct ibuf *b)
{
	b->v = b->small;
	b->n = 0;
	b->cap = 16;
	b->oom = false;
}

static void ibuf_fini(struct ibuf *b)
{
	if (b->v != b->small)
		free(b->v);
}

static void ibuf_add(struct ibuf *b, uint32_t lo, uint32_t hi)
{
	if (b->n && b->v[b->n - 1].hi != 0xffffffffu && b->v[b->n - 1].hi + 1 >= lo) {
		if (hi > b->v[b->n - 1].hi)
			b->v[b->n - 1].hi = hi;
		return;
	}
	if (b->n && b->v[b->n - 1].hi == 0xffffffffu)
		return;
	if (b->n == b->cap) {
		uint32_t nc = b->cap * 2;
		struct sym_ival *nv = malloc((size_t)nc * sizeof *nv);
		if (!nv) {
			b->oom = true;
			return;
		}
		memcpy(nv, b->v, (size_t)b->n * sizeof *nv);
		if (b->v != b->small)
			free(b->v);
		b->v = nv;
		b->cap = nc;
	}
	b->v[b->n].lo = lo;
	b->v[b->n].hi = hi;
	b->n++;
}

static const struct sym_iset *ibuf_done(struct arena *a, struct ibuf *b)
{
	const struct sym_iset *s = b->oom ? NULL : iset__new(a, b->v, b->n);
	ibuf_fini(b);
	return s;
}

const struct sym_iset *iset__and(struct arena *a, const struct sym_iset *x, const struct sym_iset *y)
{
	struct ibuf b;
	ibuf_init(&b);
	uint32_t i = 0, j = 0;
	while (i < x->n && j < y->n) {
		uint32_t lo = x->v[i].lo > y->v[j].lo ? x->v[i].lo : y->v[j].lo;
		uint32_t hi = x->v[i].hi < y->v[j].hi ? x->v[i].hi : y->v[j].hi;
		if (lo <= hi)
			ibuf_add(&b, lo, hi);
		if (x->v[i].hi < y->v[j].hi)
			i++;
		else
			j++;
	}
	return ibuf_done(a, &b);
}

const struct sym_iset *iset__or(struct arena *a, const struct sym_iset *x, const struct sym_iset *y)
{
	struct ibuf b;
	ibuf_init(&b);
	uint32_t i = 0, j = 0;
	while (i < x->n || j < y->n) {
		const struct sym_ival *p;
		if (j >= y->n || (i < x->n && x->v[i].lo <= y->v[j].lo))
			p = &x->v[i++];
		else
			p = &y->v[j++];
		ibuf_add(&b, p->lo, p->hi);
	}
	return ibuf_done(a, &b);
}

const struct sym_iset *iset__not(struct arena *a, const struct sym_iset *x, unsigned width)
{
	struct ibuf b;
	ibuf_init(&b);
	uint32_t max = iset__max(width), next = 0;
	bool done = false;
	for (uint32_t i = 0; i < x->n && !done; i++) {
		if (x->v[i].lo > next)
			ibuf_add(&b, next, x->v[i].lo - 1);
		if (x->v[i].hi >= max)
			done = true;
		else
			next = x->v[i].hi + 1;
	}
	if (!done && next <= max)
		ibuf_add(&b, next, max);
	return ibuf_done(a, &b);
}

static int ival_cmp(const void *p, const void *q)
{
	const struct sym_ival *a = p, *b = q;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

const struct sym_iset *iset__shift(struct arena *a, const struct sym_iset *x, uint32_t k, unsigned width)
{
	uint32_t max = iset__max(width);
	k &= max;
	if (k == 0)
		return x;
	struct sym_ival *tmp = malloc(((size_t)x->n * 2 + 1) * sizeof *tmp);
	if (!tmp)
		return NULL;
	uint32_t n = 0;
	for (uint32_t i = 0; i < x->n; i++) {
		uint64_t lo = (uint64_t)x->v[i].lo + k, hi = (uint64_t)x->v[i].hi + k;
		uint64_t m1 = (uint64_t)max + 1;
		if (hi < m1) {
			tmp[n++] = (struct sym_ival){(uint32_t)lo, (uint32_t)hi};
		} else if (lo >= m1) {
			tmp[n++] = (struct sym_ival){(uint32_t)(lo - m1), (uint32_t)(hi - m1)};
		} else {
			tmp[n++] = (struct sym_ival){(uint32_t)lo, max};
			tmp[n++] = (struct sym_ival){0, (uint32_t)(hi - m1)};
		}
	}
	qsort(tmp, n, sizeof *tmp, ival_cmp);
	struct ibuf b;
	ibuf_init(&b);
	for (uint32_t i = 0; i < n; i++)
		ibuf_add(&b, tmp[i].lo, tmp[i].hi);
	free(tmp);
	return ibuf_done(a, &b);
}

bool iset__equal(const struct sym_iset *x, const struct sym_iset *y)
{
	if (x == y)
		return true;
	if (x->n != y->n)
		return false;
	return !x->n || !memcmp(x->v, y->v, (size_t)x->n * sizeof x->v[0]);
}

bool sym_iset_contains(const struct sym_iset *s, uint32_t v)
{
	uint32_t lo = 0, hi = s->n;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (v < s->v[mid].lo)
			hi = mid;
		else if (v > s->v[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

uint64_t iset__hash(const struct sym_iset *s)
{
	uint64_t h = 1469598103934665603ull ^ s->n;
	for (uint32_t i = 0; i < s->n; i++) {
		h = (h ^ s->v[i].lo) * 1099511628211ull;
		h = (h ^ s->v[i].hi) * 1099511628211ull;
	}
	return h;
}

#define MASKED_MAX_INTERVALS 65536u

struct mctx {
	unsigned shift;
	uint32_t mask;
	enum flow_op op;
	uint32_t value;
	struct ibuf b;
	bool over;
};

/* x ranges over [lo, lo + 2^bits - 1]. */
static void masked_rec(struct mctx *m, uint32_t lo, unsigned bits)
{
	if (m->over)
		return;
	uint32_t free_bits = bits >= 32 ? 0xffffffffu : ((1u << bits) - 1);
	uint32_t hi = lo | free_bits;
	uint32_t ymin = (lo >> m->shift) & m->mask, ymax = (hi >> m->shift) & m->mask;
	uint32_t fm = m->shift >= 32 ? 0 : (free_bits >> m->shift) & m->mask;
	bool constant = false, val = false;
	if (fm == 0) {
		constant = true;
		val = flow_compare(ymin, m->op, m->value);
	} else if (m->op == FLOW_EQ || m->op == FLOW_NE) {
		if (m->value < ymin || m->value > ymax) {
			constant = true;
			val = m->op == FLOW_NE;
		}
	} else {
		bool a = flow_compare(ymin, m->op, m->value), b = flow_compare(ymax, m->op, m->value);
		if (a == b) {
			constant = true;
			val = a;
		}
	}
	if (constant) {
		if (val) {
			if (m->b.n >= MASKED_MAX_INTERVALS) {
				m->over = true;
				return;
			}
			ibuf_add(&m->b, lo, hi);
		}
		return;
	}
	masked_rec(m, lo, bits - 1);
	masked_rec(m, lo | (1u << (bits - 1)), bits - 1);
}

const struct sym_iset *iset__masked(struct arena *a, unsigned width, unsigned shift, uint32_t mask,
                                    enum flow_op op, uint32_t value)
{
	struct mctx m = {.shift = shift, .mask = mask, .op = op, .value = value};
	ibuf_init(&m.b);
	masked_rec(&m, 0, width);
	if (m.over) {
		ibuf_fini(&m.b);
		return NULL;
	}
	return ibuf_done(a, &m.b);
}

static bool is_prefix(uint32_t lo, uint32_t hi, uint8_t *len)
{
	uint32_t span = hi - lo;
	if (span == 0xffffffffu) {
		*len = 0;
		return lo == 0;
	}
	if ((span & (span + 1)) != 0)
		return false;
	if (lo & span)
		return false;
	uint8_t l = 32;
	while (span) {
		span >>= 1;
		l--;
	}
	*len = l;
	return true;
}

char *iset__format(struct arena *a, const struct sym_iset *s, unsigned width, bool addr)
{
	if (s->n == 0)
		return arena_strdup(a, "{}");
	if (s->n == 1 && s->v[0].lo == 0 && s->v[0].hi == iset__max(width))
		return arena_strdup(a, "*");
	size_t cap = 64 + (size_t)(s->n < 8 ? s->n : 8) * 40;
	char *out = arena_alloc(a, cap);
	if (!out)
		return NULL;
	size_t len = 0;
	uint32_t shown = s->n < 8 ? s->n : 8;
	if (s->n > 1)
		len += (size_t)snprintf(out + len, cap - len, "{");
	for (uint32_t i = 0; i < shown; i++) {
		uint32_t lo = s->v[i].lo, hi = s->v[i].hi;
		char b1[20], b2[20];
		const char *sep = i ? " " : "";
		uint8_t pl;
		if (addr && lo == hi)
			len += (size_t)snprintf(out + len, cap - len, "%s%s", sep, inet_format_addr(lo, b1));
		else if (addr && is_prefix(lo, hi, &pl))
			len += (size_t)snprintf(out + len, cap - len, "%s%s", sep,
			                        inet_format_prefix((struct inet_prefix){lo, pl}, b1));
		else if (addr)
			len += (size_t)snprintf(out + len, cap - len, "%s%s-%s", sep, inet_format_addr(lo, b1),
			                        inet_format_addr(hi, b2));
		else if (lo == hi)
			len += (size_t)snprintf(out + len, cap - len, "%s%u", sep, lo);
		else
			len += (size_t)snprintf(out + len, cap - len, "%s%u-%u", sep, lo, hi);
	}
	if (shown < s->n)
		len += (size_t)snprintf(out + len, cap - len, " ...%u more", s->n - shown);
	if (s->n > 1)
		snprintf(out + len, cap - len, "}");
	return out;
}
