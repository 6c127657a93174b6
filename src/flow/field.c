/* Recognising the well-known header fields an atom tests (for the verifier
 * and for readable traces). */
#include "flow/flow.h"

#include <errno.h>

struct layout { const char *name; uint8_t base; uint16_t off; uint8_t len; uint32_t bits; };

static const struct layout fields[FLOW_FIELD__COUNT] = {
	[FLOW_FIELD_OTHER] = {"other", 0, 0, 0, 0},
	[FLOW_FIELD_IP_VERS] = {"ip.vers", FLOW_BASE_IP, 0, 1, 0xf0},
	[FLOW_FIELD_IP_HL] = {"ip.hl", FLOW_BASE_IP, 0, 1, 0x0f},
	[FLOW_FIELD_IP_TOS] = {"ip.tos", FLOW_BASE_IP, 1, 1, 0xff},
	[FLOW_FIELD_IP_LEN] = {"ip.len", FLOW_BASE_IP, 2, 2, 0xffff},
	[FLOW_FIELD_IP_ID] = {"ip.id", FLOW_BASE_IP, 4, 2, 0xffff},
	[FLOW_FIELD_IP_OFF] = {"ip.off", FLOW_BASE_IP, 6, 2, 0xffff},
	[FLOW_FIELD_IP_TTL] = {"ip.ttl", FLOW_BASE_IP, 8, 1, 0xff},
	[FLOW_FIELD_IP_PROTO] = {"ip.proto", FLOW_BASE_IP, 9, 1, 0xff},
	[FLOW_FIELD_IP_SUM] = {"ip.sum", FLOW_BASE_IP, 10, 2, 0xffff},
	[FLOW_FIELD_IP_SRC] = {"ip.src", FLOW_BASE_IP, 12, 4, 0xffffffff},
	[FLOW_FIELD_IP_DST] = {"ip.dst", FLOW_BASE_IP, 16, 4, 0xffffffff},
	[FLOW_FIELD_SPORT] = {"sport", FLOW_BASE_TRANSP, 0, 2, 0xffff},
	[FLOW_FIELD_DPORT] = {"dport", FLOW_BASE_TRANSP, 2, 2, 0xffff},
	[FLOW_FIELD_TCP_SEQ] = {"tcp.seq", FLOW_BASE_TRANSP, 4, 4, 0xffffffff},
	[FLOW_FIELD_TCP_ACK] = {"tcp.ack", FLOW_BASE_TRANSP, 8, 4, 0xffffffff},
	[FLOW_FIELD_TCP_FLAGS] = {"tcp.flags", FLOW_BASE_TRANSP, 13, 1, 0xff},
	[FLOW_FIELD_TCP_WIN] = {"tcp.win", FLOW_BASE_TRANSP, 14, 2, 0xffff},
	[FLOW_FIELD_ICMP_TYPE] = {"icmp.type", FLOW_BASE_TRANSP, 0, 1, 0xff},
	[FLOW_FIELD_ICMP_CODE] = {"icmp.code", FLOW_BASE_TRANSP, 1, 1, 0xff},
	[FLOW_FIELD_ETHER_DST_HI] = {"ether.dst.hi", FLOW_BASE_ETHER, 0, 4, 0xffffffff},
	[FLOW_FIELD_ETHER_DST_LO] = {"ether.dst.lo", FLOW_BASE_ETHER, 4, 2, 0xffff},
	[FLOW_FIELD_ETHER_SRC_HI] = {"ether.src.hi", FLOW_BASE_ETHER, 6, 4, 0xffffffff},
	[FLOW_FIELD_ETHER_SRC_LO] = {"ether.src.lo", FLOW_BASE_ETHER, 10, 2, 0xffff},
};

const char *flow_field_name(enum flow_field f)
{
	if ((unsigned)f >= FLOW_FIELD__COUNT)
		return "other";
	return fields[f].name;
}

int flow_field_layout(enum flow_field f, enum flow_base *base, uint16_t *off,
                      uint8_t *len, uint32_t *bits)
{
	if (f == FLOW_FIELD_OTHER || (unsigned)f >= FLOW_FIELD__COUNT)
		return -EINVAL;
	if (base)
		*base = (enum flow_base)fields[f].base;
	if (off)
		*off = fields[f].off;
	if (len)
		*len = fields[f].len;
	if (bits)
		*bits = fields[f].bits;
	return 0;
}

/* Bits of a (off, len, x) quantity as a 64-bit window over bytes
 * [lo, lo+8): byte lo is the most significant byte of the window. */
static uint64_t window(uint32_t lo, uint32_t off, uint8_t len, uint32_t x)
{
	int shift = (int)(lo + 8 - (off + len)) * 8; /* bits right of the quantity */
	return (uint64_t)x << shift;
}

enum flow_field flow_atom_field(const struct flow_atom *a, uint32_t *fmask,
                                uint32_t *fvalue)
{
	if (a->len < 1 || a->len > 4 || a->mask == 0)
		return FLOW_FIELD_OTHER;
	/* Prefer the field of the atom's exact size among candidates (the
	 * TRANSP layouts overlap: a 1-byte atom at 0 is the ICMP type). */
	enum flow_field best = FLOW_FIELD_OTHER;
	for (int f = 1; f < FLOW_FIELD__COUNT; f++) {
		const struct layout *l = &fields[f];
		if (l->base != a->base)
			continue;
		uint32_t lo = a->off < l->off ? a->off : l->off;
		if (a->off + a->len > lo + 8 || l->off + l->len > lo + 8)
			continue;
		uint64_t am = window(lo, a->off, a->len, a->mask);
		uint64_t fb = window(lo, l->off, l->len, l->bits);
		uint64_t av = window(lo, a->off, a->len, a->value);
		if ((am & ~fb) || (av & ~fb))
			continue;
		if (best == FLOW_FIELD_OTHER || (l->len == a->len && l->off == a->off
		    && !(fields[best].len == a->len && fields[best].off == a->off)))
			best = (enum flow_field)f;
	}
	if (best == FLOW_FIELD_OTHER)
		return best;
	const struct layout *l = &fields[best];
	uint32_t lo = a->off < l->off ? a->off : l->off;
	/* field units: the field's lowest bit is bit 0 (ip.vers 4, not 0x40) */
	int fshift = (int)(lo + 8 - (l->off + l->len)) * 8 + __builtin_ctz(l->bits);
	if (fmask)
		*fmask = (uint32_t)(window(lo, a->off, a->len, a->mask) >> fshift);
	if (fvalue)
		*fvalue = (uint32_t)(window(lo, a->off, a->len, a->value) >> fshift);
	return best;
}
