/* Rule lists compiled into flat programs (flow.h, flow_prog_*). The tree
 * is compiled backwards with continuation labels: an atom becomes one
 * instruction "test, then go to YES or NO"; NOT swaps the labels; AND/OR
 * chain their children through them. This is flow_eval's short-circuit
 * order unrolled, so decisions are identical by construction (and checked
 * against flow_eval by test/flow/test_flow_prog.c). */
#include <errno.h>
#include <string.h>

#include "flow/flow_int.h"

uint32_t flow_expr_natoms(const struct flow_expr *e)
{
	switch (e->kind) {
	case FLOW_ATOM: return 1;
	case FLOW_NOT:
	case FLOW_AND:
	case FLOW_OR: {
		uint32_t n = 0;
		for (uint32_t i = 0; i < e->nkids; i++)
			n += flow_expr_natoms(e->kids[i]);
		return n;
	}
	default: return 0;
	}
}

size_t flow_prog_bytes(uint32_t natoms)
{
	return sizeof(struct flow_prog) + (size_t)natoms * sizeof(struct flow_prog_insn);
}

struct cc {
	struct flow_prog *p;
	uint32_t pos; /* instructions are placed downwards from the end */
};

/* Bytes up to the last one the mask selects (at least 1): eval.c's rule. */
static uint32_t needed(const struct flow_atom *a)
{
	uint32_t n = 1;
	for (unsigned i = 0; i < a->len; i++)
		if ((a->mask >> (8 * (a->len - 1 - i))) & 0xff)
			n = i + 1;
	return n;
}

static int32_t emit(struct cc *c, const struct flow_expr *e, int32_t yes, int32_t no)
{
	switch (e->kind) {
	case FLOW_TRUE: return yes;
	case FLOW_ATOM: {
		if (c->pos == 0)
			return no; /* cannot happen: compile counted the atoms */
		struct flow_prog_insn *in = &c->p->insn[--c->pos];
		const struct flow_atom *a = &e->atom;
		memset(in, 0, sizeof *in);
		bool ok = a->len >= 1 && a->len <= 4 && a->base <= FLOW_BASE_DATA;
		in->base = ok ? a->base : 4;
		in->op = a->op;
		in->len = ok ? a->len : 4;
		in->shift = (uint8_t)(32 - 8 * in->len);
		in->off = a->off;
		in->need = ok ? a->off + needed(a) : UINT32_MAX;
		in->mask = a->mask;
		in->value = a->value;
		in->yes = yes;
		in->no = no;
		return (int32_t)c->pos;
	}
	case FLOW_NOT: return emit(c, e->kids[0], no, yes);
	case FLOW_AND: {
		int32_t l = yes;
		for (uint32_t i = e->nkids; i-- > 0;)
			l = emit(c, e->kids[i], l, no);
		return l;
	}
	case FLOW_OR: {
		int32_t l = no;
		for (uint32_t i = e->nkids; i-- > 0;)
			l = emit(c, e->kids[i], yes, l);
		return l;
	}
	default: return no; /* FLOW_FALSE and unknown kinds: flow_eval says false */
	}
}

int flow_prog_compile(struct flow_prog *prog, uint32_t natoms,
                      const struct flow_expr *const *v, uint32_t n)
{
	uint32_t need = 0;
	for (uint32_t i = 0; i < n; i++)
		need += flow_expr_natoms(v[i]);
	if (need > natoms)
		return -ENOSPC;
	/* Instructions of rule i sit right before those of rule i + 1, each
	 * rule's first test first: a packet walks forwards through memory. */
	struct cc c = {.p = prog, .pos = need};
	int32_t next = -1;
	for (uint32_t i = n; i-- > 0;)
		next = emit(&c, v[i], FLOW_PROG_RESULT(i), next);
	prog->ninsn = need;
	prog->start = next;
	return 0;
}

static inline bool test(const struct flow_prog_insn *in, const uint8_t *b, size_t blen)
{
	if (!b || in->need > blen)
		return false;
	uint32_t x;
	if ((size_t)in->off + 4 <= blen) {
		memcpy(&x, b + in->off, 4);
		x = __builtin_bswap32(x) >> in->shift;
	} else {
		/* near the end: bytes past it are masked out (need checked) */
		x = flow__load_be(b, blen, in->off, in->len);
	}
	return flow_compare(x & in->mask, in->op, in->value);
}

int32_t flow_prog_run(const struct flow_prog *prog, const struct flow_pkt *p)
{
	const uint8_t *bp[5] = {p->ip, p->transp, p->ether, p->data, NULL};
	size_t bl[5] = {p->ip_len, p->transp_len, p->ether_len, p->data_len, 0};
	int32_t l = prog->start;
	while (l >= 0) {
		const struct flow_prog_insn *in = &prog->insn[l];
		l = test(in, bp[in->base], bl[in->base]) ? in->yes : in->no;
	}
	return l == -1 ? -1 : -2 - l;
}
