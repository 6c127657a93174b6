/* Small helpers shared by element models (src/verify/model.h), built only
 * on the public model interface. Header-only: each model file that needs
 * one includes this. Candidates for the engine (listed in the V2 report):
 * masked interval sets, a "new packet" primitive, annotation bytes. */
#ifndef INNET_ELEMENTS_MODEL_UTIL_H
#define INNET_ELEMENTS_MODEL_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "verify/model.h"

/* The model of every element whose effect the verifier does not model
 * (counting, printing, queueing, timestamps, link headers): the flow leaves
 * on output 0 as it came. */
static inline int mu_sym_pass(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                              struct sym_flow *f)
{
	(void)e;
	(void)port;
	sym_emit(cx, 0, f);
	return 0;
}

/* Click's annotation offsets the engine models (Click's packet_anno.hh). */
#define MU_ANNO_DST 0    /* 4 bytes: SYM_F_DSTANNO, network order */
#define MU_ANNO_PAINT 16 /* 1 byte: SYM_F_PAINT */

#define MU_ANNO_FIXSRC 19 /* 1 byte: the fix-IP-source flag, as flow state */

/* The fix-IP-source annotation byte (ICMPError sets it, IPOutputCombo
 * consumes it, Paint(.., ANNO 19) may write it) is kept as flow state:
 * records of this kind hold the byte in `port`. The annotation lives while
 * the packet is inside one node, so only records made in the current node
 * count (the node half of sym_owner()); with none the byte is 0, as
 * packets enter a node with clear annotations. */
#define MU_STATE_FIXSRC 0x46495853u /* 'FIXS' */

static inline uint8_t mu_fixsrc(struct sym_ctx *cx, const struct sym_flow *f)
{
	uint64_t node = sym_owner(cx) >> 32;
	for (const struct sym_state *s = sym_state_first(f); s; s = s->next)
		if (s->kind == MU_STATE_FIXSRC && s->owner >> 32 == node)
			return (uint8_t)s->port;
	return 0;
}

static inline void mu_set_fixsrc(struct sym_ctx *cx, struct sym_flow *f, uint8_t v)
{
	if (mu_fixsrc(cx, f) == v)
		return;
	struct sym_state r = { .owner = sym_owner(cx), .kind = MU_STATE_FIXSRC, .port = v };
	sym_state_push(cx, f, &r);
}

/* {x < 2^width : (x & mask) == value}, or NULL when it needs more than
 * 65,536 intervals (the caller then approximates). */
static inline const struct sym_iset *mu_masked_set(struct sym_ctx *cx, unsigned width, uint32_t mask,
                                                   uint32_t value)
{
	uint32_t full = width >= 32 ? 0xffffffffu : (1u << width) - 1;
	mask &= full;
	value &= mask;
	if (!mask)
		return sym_iset_range(cx, 0, full);
	unsigned low = (unsigned)__builtin_ctz(mask);
	/* free bits above the lowest mask bit each double the intervals */
	uint32_t freehi = ~mask & full & ~((1u << low) - 1u);
	unsigned nfree = (unsigned)__builtin_popcount(freehi);
	if (nfree > 16)
		return NULL;
	uint32_t n = 1u << nfree;
	struct sym_iset *s = arena_alloc(sym_arena(cx), sizeof *s + (size_t)n * sizeof s->v[0]);
	if (!s)
		return NULL;
	s->n = n;
	for (uint32_t k = 0; k < n; k++) {
		/* deposit k's bits into the free high bits, lowest first */
		uint32_t base = value, bits = freehi, kk = k;
		while (bits) {
			uint32_t b = bits & -bits;
			if (kk & 1)
				base |= b;
			kk >>= 1;
			bits &= bits - 1;
		}
		s->v[k].lo = base;
		s->v[k].hi = base + ((1u << low) - 1u);
	}
	return s;
}

/* Split f on (fld & mask) == value; false (f untouched) when the set is
 * too irregular to build. */
static inline bool mu_split_masked(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld,
                                   uint32_t mask, uint32_t value, struct sym_flow **in,
                                   struct sym_flow **out)
{
	const struct sym_iset *s = mu_masked_set(cx, sym_field_width(fld), mask, value);
	if (!s)
		return false;
	sym_split_set(cx, f, fld, s, in, out);
	return true;
}

/* Split f on "the packet has at least hl*4 + extra bytes from its IP
 * header", hl being the header length in VHL: the IP length field is the
 * packet's length there (CheckIPHeader trims, devices deliver checked
 * packets). Exact: a flow whose VHL is not known is split per header
 * length first. Pieces go to *ok and *shrt. */
static inline void mu_split_ip_avail(struct sym_ctx *cx, struct sym_flow *f, uint32_t extra,
                                     struct sym_flows *ok, struct sym_flows *shrt)
{
	uint32_t vhl;
	if (sym_get_const(f, SYM_F_VHL, &vhl)) {
		uint32_t need = (vhl & 15) * 4 + extra;
		struct sym_flow *y = NULL, *n = NULL;
		if (need > 0xffff)
			n = f;
		else
			sym_split_range(cx, f, SYM_F_LEN, need, 0xffff, &y, &n);
		sym_flows_push(cx, ok, y);
		sym_flows_push(cx, shrt, n);
		return;
	}
	/* long enough whatever the header length: no split on VHL */
	struct sym_flow *big = NULL, *rest = NULL;
	sym_split_range(cx, f, SYM_F_LEN, 60 + extra, 0xffff, &big, &rest);
	sym_flows_push(cx, ok, big);
	for (uint32_t hl = 0; hl < 16 && rest; hl++) {
		struct sym_flow *this = NULL, *other = NULL;
		if (!mu_split_masked(cx, rest, SYM_F_VHL, 0x0f, hl, &this, &other))
			break;
		rest = other;
		if (!this)
			continue;
		struct sym_flow *y = NULL, *n = NULL;
		sym_split_range(cx, this, SYM_F_LEN, hl * 4 + extra, 0xffff, &y, &n);
		sym_flows_push(cx, ok, y);
		sym_flows_push(cx, shrt, n);
	}
	sym_flows_push(cx, ok, rest); /* (only on allocation failure) */
}

/* Turn f into a packet built from scratch (ICMP errors, ARP frames): one
 * IPv4 layer at the data pointer whose fields are all new unconstrained
 * variables, a new payload, paint, dst-IP annotation and fix-IP-source
 * flag 0 (a new packet's annotations are clear). History and flow state stay (the trace
 * continues through the element that made it). Moving the data pointer
 * far past every modelled header first makes sym_mark_ip find no layer
 * there, so it builds a fresh one and puts the data pointer on it. */
static inline void mu_new_packet(struct sym_ctx *cx, struct sym_flow *f)
{
	sym_move_data(cx, f, 1 << 20);
	sym_mark_ip(cx, f, 0);
	sym_set_const(cx, f, SYM_F_PAINT, 0);
	sym_set_const(cx, f, SYM_F_DSTANNO, 0);
	mu_set_fixsrc(cx, f, 0);
}

/* Write n bytes at annotation offset off: the dst-IP annotation (bytes 0-3),
 * paint (16) and the fix-IP-source flag (19) are modelled; other bytes are
 * not (nothing the model reads). A partial write over a non-constant dst annotation makes it a
 * new variable (approximate: the untouched bytes are forgotten). */
static inline void mu_write_anno(struct sym_ctx *cx, struct sym_flow *f, uint32_t off,
                                 const uint8_t *bytes, uint32_t n)
{
	uint32_t dmask = 0, dval = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t b = off + i;
		if (b < 4) {
			unsigned sh = 8 * (3 - b);
			dmask |= 0xffu << sh;
			dval |= (uint32_t)bytes[i] << sh;
		} else if (b == MU_ANNO_PAINT) {
			sym_set_const(cx, f, SYM_F_PAINT, bytes[i]);
		} else if (b == MU_ANNO_FIXSRC) {
			mu_set_fixsrc(cx, f, bytes[i]);
		}
	}
	if (!dmask)
		return;
	uint32_t old;
	if (dmask == 0xffffffffu) {
		sym_set_const(cx, f, SYM_F_DSTANNO, dval);
	} else if (sym_get_const(f, SYM_F_DSTANNO, &old)) {
		sym_set_const(cx, f, SYM_F_DSTANNO, (old & ~dmask) | dval);
	} else {
		sym_set_fresh(cx, f, SYM_F_DSTANNO, "anno");
		sym_approx(cx, f, "a partial write of a non-constant dst-IP annotation");
	}
}

/* Split on "annotation byte off == v". False when that byte is not
 * modelled (or the set would be too irregular): the caller then lets the
 * flow take both ways, marked approximate. */
static inline bool mu_split_anno_byte(struct sym_ctx *cx, struct sym_flow *f, uint32_t off, uint8_t v,
                                      struct sym_flow **in, struct sym_flow **out)
{
	if (off == MU_ANNO_PAINT) {
		sym_split_range(cx, f, SYM_F_PAINT, v, v, in, out);
		return true;
	}
	if (off == MU_ANNO_FIXSRC) {
		bool eq = mu_fixsrc(cx, f) == v;
		*in = eq ? f : NULL;
		*out = eq ? NULL : f;
		return true;
	}
	if (off < 4) {
		unsigned sh = 8 * (3 - off);
		return mu_split_masked(cx, f, SYM_F_DSTANNO, 0xffu << sh, (uint32_t)v << sh, in, out);
	}
	return false;
}

/* Let f take every output of the current element (outputs the model cannot
 * choose between): clones to 0..n-2, f itself to n-1. `why` non-NULL marks
 * every copy approximate. */
static inline void mu_emit_all(struct sym_ctx *cx, uint32_t n, struct sym_flow *f, const char *why)
{
	if (!n) {
		sym_drop(cx, f, "no outputs");
		return;
	}
	if (why && n > 1)
		sym_approx(cx, f, why);
	for (uint32_t i = 0; i + 1 < n; i++) {
		struct sym_flow *c = sym_clone(cx, f);
		if (c)
			sym_emit(cx, i, c);
	}
	sym_emit(cx, n - 1, f);
}

#endif
