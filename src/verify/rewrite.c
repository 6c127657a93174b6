/* The rewriter algorithm on symbolic flows (click.md 3.5): mappings are
 * pushed into the flow, so the reply to a flow finds the mapping its
 * request installed whatever happened in between (the paper's "state in
 * the flow"), and a packet no mapping covers meets the input's spec. */
#include <errno.h>

#include "verify/internal.h"

enum { RW_MAP = 0x52570001u, RWA_SRC = 0x52570002u, RWA_DST = 0x52570003u };

static struct sym_term pick(struct sym_ctx *cx, struct sym_flow *f, const struct sym_rw_field *p,
                            enum sym_field fld, const char *hint)
{
	if (p->keep)
		return sym_get(f, fld);
	if (p->lo == p->hi)
		return sym_const(p->lo);
	/* some value of the range: a new variable over it */
	sym_set_range(cx, f, fld, p->lo, p->hi, hint);
	return sym_get(f, fld);
}

static void apply(struct sym_ctx *cx, struct sym_flow *f, const struct sym_term *nt, bool addr_only)
{
	sym_set_term(cx, f, SYM_F_SRC, nt[0]);
	sym_set_term(cx, f, SYM_F_DST, nt[2]);
	if (!addr_only) {
		sym_set_term(cx, f, SYM_F_SPORT, nt[1]);
		sym_set_term(cx, f, SYM_F_DPORT, nt[3]);
	}
	sym_set_term(cx, f, SYM_F_DSTANNO, nt[2]);
}

static void pass_or_drop(struct sym_ctx *cx, struct sym_flow *f, const struct sym_rw_spec *spec,
                         const char *why)
{
	if (!f)
		return;
	if (spec->kind == SYM_RW_PASS)
		sym_emit(cx, (uint32_t)spec->fout, f);
	else
		sym_drop(cx, f, why);
}

/* The spec for flows no mapping covers. */
static void miss(struct sym_ctx *cx, struct sym_flow *f, const struct sym_rw_spec *spec, bool addr_only)
{
	switch (spec->kind) {
	case SYM_RW_DROP:
		sym_drop(cx, f, "no mapping (unsolicited)");
		return;
	case SYM_RW_PASS:
		sym_emit(cx, (uint32_t)spec->fout, f);
		return;
	case SYM_RW_KEEP:
	case SYM_RW_PATTERN:
		break;
	}
	struct sym_term o[4] = {sym_get(f, SYM_F_SRC), sym_get(f, SYM_F_SPORT), sym_get(f, SYM_F_DST),
	                        sym_get(f, SYM_F_DPORT)};
	struct sym_term proto = sym_get(f, SYM_F_PROTO);
	struct sym_term nt[4];
	if (spec->kind == SYM_RW_KEEP) {
		for (int i = 0; i < 4; i++)
			nt[i] = o[i];
	} else {
		nt[0] = pick(cx, f, &spec->saddr, SYM_F_SRC, "src");
		nt[1] = addr_only ? o[1] : pick(cx, f, &spec->sport, SYM_F_SPORT, "sport");
		nt[2] = addr_only ? o[2] : pick(cx, f, &spec->daddr, SYM_F_DST, "dst");
		nt[3] = addr_only ? o[3] : pick(cx, f, &spec->dport, SYM_F_DPORT, "dport");
	}
	struct sym_state r = {.owner = sym_owner(cx)};
	if (addr_only) {
		r.kind = RWA_SRC;
		r.port = spec->fout;
		r.nterms = 2;
		r.t[0] = o[0];
		r.t[1] = nt[0];
		sym_state_push(cx, f, &r);
		r.kind = RWA_DST;
		r.port = spec->rout;
		r.t[0] = nt[0];
		r.t[1] = o[0];
		sym_state_push(cx, f, &r);
	} else {
		r.kind = RW_MAP;
		r.nterms = 9;
		r.port = spec->fout;
		r.t[0] = proto;
		for (int i = 0; i < 4; i++) {
			r.t[1 + i] = o[i];
			r.t[5 + i] = nt[i];
		}
		sym_state_push(cx, f, &r);
		/* reply: (DA',DP',SA',SP') -> (DA,DP,SA,SP) */
		r.port = spec->rout;
		r.t[1] = nt[2];
		r.t[2] = nt[3];
		r.t[3] = nt[0];
		r.t[4] = nt[1];
		r.t[5] = o[2];
		r.t[6] = o[3];
		r.t[7] = o[0];
		r.t[8] = o[1];
		sym_state_push(cx, f, &r);
	}
	apply(cx, f, nt, addr_only);
	sym_emit(cx, (uint32_t)spec->fout, f);
}

/* Click's rule 1 also sends TCP/UDP packets with fewer than 8 transport
 * bytes to pass-or-drop. Where the header length is not one constant the
 * undecided part goes both ways, each copy marked approximate. The long
 * parts are appended to *out. */
static void split_short(struct sym_ctx *cx, struct sym_flow *f, const struct sym_rw_spec *spec,
                        struct sym_flows *out)
{
	struct sym_flow *lng = NULL, *shrt = NULL, *amb = NULL;
	sym_split_transport(cx, f, 8, &lng, &shrt, &amb);
	pass_or_drop(cx, shrt, spec, "fewer than 8 transport bytes");
	if (lng)
		sym_flows_push(cx, out, lng);
	if (!amb)
		return;
	struct sym_flow *c = sym_clone(cx, amb);
	if (!c) {
		if (!cx->err)
			cx->err = -ENOMEM;
		sym__free(cx, amb);
		return;
	}
	pass_or_drop(cx, c, spec, "maybe fewer than 8 transport bytes");
	sym_flows_push(cx, out, amb); /* the long side of the rewriter runs on it too */
}

int sym_rewrite(struct sym_ctx *cx, struct sym_flow *f, const struct sym_rw_spec *spec, bool addr_only)
{
	struct sym_flows cur = {0};
	if (!addr_only) {
		struct sym_flow *tu, *other;
		struct sym_ival pv[2] = {{6, 6}, {17, 17}};
		sym_split_set(cx, f, SYM_F_PROTO, iset_new(cx->a, pv, 2), &tu, &other);
		pass_or_drop(cx, other, spec, "not TCP/UDP");
		if (!tu)
			return cx->err;
		struct sym_flows a = {0}, b = {0};
		struct flow_expr ff = {.kind = FLOW_ATOM,
		                       .atom = {.base = FLOW_BASE_IP, .op = FLOW_EQ, .len = 2, .off = 6,
		                                .mask = 0x1fff, .value = 0}};
		int rc = sym_split_expr(cx, tu, &ff, &a, &b);
		if (rc < 0)
			return rc;
		for (uint32_t i = 0; i < b.n; i++)
			pass_or_drop(cx, b.v[i], spec, "not a first fragment");
		for (uint32_t i = 0; i < a.n; i++)
			split_short(cx, a.v[i], spec, &cur);
		if (!cur.n)
			return cx->err;
	} else {
		sym_flows_push(cx, &cur, f);
	}
	const struct sym_state *s0 = cur.v[0]->state;
	uint64_t me = sym_owner(cx);
	uint32_t depth = 0;
	for (const struct sym_state *s = s0; s && cur.n; s = s->next, depth++) {
		if (s->owner != me)
			continue;
		struct sym_flows yes = {0}, no = {0};
		for (uint32_t i = 0; i < cur.n; i++) {
			int r;
			if (s->kind == RW_MAP && !addr_only) {
				static const enum sym_field keys[5] = {SYM_F_PROTO, SYM_F_SRC, SYM_F_SPORT, SYM_F_DST,
				                                       SYM_F_DPORT};
				r = sym_split_equal(cx, cur.v[i], 5, keys, s->t, &yes, &no);
			} else if ((s->kind == RWA_SRC || s->kind == RWA_DST) && addr_only) {
				enum sym_field k = s->kind == RWA_SRC ? SYM_F_SRC : SYM_F_DST;
				r = sym_split_equal(cx, cur.v[i], 1, &k, s->t, &yes, &no);
			} else {
				sym_flows_push(cx, &no, cur.v[i]);
				r = 0;
			}
			if (r < 0)
				return r;
		}
		for (uint32_t i = 0; i < yes.n; i++) {
			struct sym_flow *g = yes.v[i];
			/* unification may have rebuilt g's records (same order):
			 * take the terms from g's copy of this record */
			const struct sym_state *m = g->state;
			for (uint32_t d = 0; m && d < depth; d++)
				m = m->next;
			if (!m || m->kind != s->kind)
				m = s;
			if (s->kind == RW_MAP) {
				struct sym_term nt[4] = {m->t[5], m->t[6], m->t[7], m->t[8]};
				apply(cx, g, nt, false);
			} else if (s->kind == RWA_SRC) {
				sym_set_term(cx, g, SYM_F_SRC, m->t[1]);
			} else {
				sym_set_term(cx, g, SYM_F_DST, m->t[1]);
				sym_set_term(cx, g, SYM_F_DSTANNO, m->t[1]);
			}
			sym_emit(cx, (uint32_t)s->port, g);
		}
		cur = no;
	}
	for (uint32_t i = 0; i < cur.n; i++)
		miss(cx, cur.v[i], spec, addr_only);
	return cx->err;
}
