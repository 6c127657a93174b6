/* Evaluating a condition tree on a concrete packet, with Click's
 * short-packet rule (as in Click's IPFilter): an atom needs the bytes up to the last
 * byte its mask selects; when they are absent the atom is false (and so a
 * NOT above it is true). A zero mask needs the atom's first byte, like
 * Click's word compare needs its word to start inside the packet. */
#include "flow/flow_int.h"

static const uint8_t *base_ptr(const struct flow_pkt *p, uint8_t base, size_t *len)
{
	switch (base) {
	case FLOW_BASE_IP: *len = p->ip_len; return p->ip;
	case FLOW_BASE_TRANSP: *len = p->transp_len; return p->transp;
	case FLOW_BASE_ETHER: *len = p->ether_len; return p->ether;
	case FLOW_BASE_DATA: *len = p->data_len; return p->data;
	default: *len = 0; return NULL;
	}
}

static size_t needed(const struct flow_atom *a)
{
	size_t n = 1;
	for (unsigned i = 0; i < a->len; i++)
		if ((a->mask >> (8 * (a->len - 1 - i))) & 0xff)
			n = i + 1;
	return n;
}

bool flow_atom_present(const struct flow_atom *a, const struct flow_pkt *p)
{
	size_t blen;
	const uint8_t *b = base_ptr(p, a->base, &blen);
	if (!b || a->len < 1 || a->len > 4)
		return false;
	return (size_t)a->off + needed(a) <= blen;
}

bool flow_atom_eval(const struct flow_atom *a, const struct flow_pkt *p)
{
	if (!flow_atom_present(a, p))
		return false;
	size_t blen;
	const uint8_t *b = base_ptr(p, a->base, &blen);
	/* bytes past the end are masked out (present() checked) */
	uint32_t x = flow__load_be(b, blen, a->off, a->len);
	return flow_compare(x & a->mask, a->op, a->value);
}

bool flow_eval(const struct flow_expr *e, const struct flow_pkt *p)
{
	switch (e->kind) {
	case FLOW_TRUE: return true;
	case FLOW_FALSE: return false;
	case FLOW_ATOM: return flow_atom_eval(&e->atom, p);
	case FLOW_NOT: return !flow_eval(e->kids[0], p);
	case FLOW_AND:
		for (uint32_t i = 0; i < e->nkids; i++)
			if (!flow_eval(e->kids[i], p))
				return false;
		return true;
	case FLOW_OR:
		for (uint32_t i = 0; i < e->nkids; i++)
			if (flow_eval(e->kids[i], p))
				return true;
		return false;
	default: return false;
	}
}

int flow_eval3(const struct flow_expr *e, const struct flow_pkt *p)
{
	switch (e->kind) {
	case FLOW_TRUE: return 1;
	case FLOW_FALSE: return 0;
	case FLOW_ATOM:
		if (!flow_atom_present(&e->atom, p))
			return -1;
		return flow_atom_eval(&e->atom, p);
	case FLOW_NOT: {
		int v = flow_eval3(e->kids[0], p);
		return v < 0 ? v : !v;
	}
	case FLOW_AND:
	case FLOW_OR: {
		int dominant = e->kind == FLOW_OR; /* OR: any 1 wins */
		int r = !dominant;
		for (uint32_t i = 0; i < e->nkids; i++) {
			int v = flow_eval3(e->kids[i], p);
			if (v == dominant)
				return v;
			if (v < 0)
				r = -1;
		}
		return r;
	}
	default: return 0;
	}
}

void flow_pkt_from_ip(struct flow_pkt *p, const uint8_t *ip, size_t len)
{
	*p = (struct flow_pkt){0};
	if (!ip)
		return;
	p->ip = ip;
	p->ip_len = len;
	p->data = ip;
	p->data_len = len;
	if (len >= 1) {
		/* Where Click's MarkIPHeader puts the transport header; a packet
		 * shorter than its own header length has none. */
		size_t hl = (size_t)(ip[0] & 0x0f) * 4;
		if (hl <= len) {
			p->transp = ip + hl;
			p->transp_len = len - hl;
		}
	}
}
