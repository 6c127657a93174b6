/* EtherMirror() (as Click documents it): swap the Ethernet source and
 * destination addresses, the first 12 bytes of the data. Click swaps
 * without looking at the length; innet leaves a packet shorter than 12
 * bytes unchanged rather than read and write past its end. */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

/* ---- symbolic model (src/verify/model.h) ---- */
/* Behind an Ethernet header (EtherEncap) the swapped bytes are no modelled
 * field and every flow passes unchanged. Where the data starts at the IP
 * header the swap scrambles header fields: the fields under the 12 bytes
 * (found by storing two probe patterns on copies) become unconstrained,
 * and with the header length the transport fields, which move with it
 * (approximate). */
static bool same_term(struct sym_term a, struct sym_term b)
{
	return a.var == b.var && a.k == b.k;
}

/* The fields a write of 12 bytes at the data start would change. */
static uint32_t ethermirror_touched(struct sym_ctx *cx, struct sym_flow *f)
{
	static const uint8_t zero[12], ones[12] = { 255, 255, 255, 255, 255, 255,
	                                           255, 255, 255, 255, 255, 255 };
	struct sym_flow *p0 = sym_clone(cx, f), *p1 = sym_clone(cx, f);
	uint32_t touched = 0;
	if (!p0 || !p1)
		return 0; /* out of memory: the step fails */
	sym_store_bytes(cx, p0, 0, zero, sizeof zero);
	sym_store_bytes(cx, p1, 0, ones, sizeof ones);
	for (int i = 0; i < SYM_NLAYER_FIELDS; i++) {
		struct sym_term t = sym_get(f, (enum sym_field)i);
		if (!same_term(t, sym_get(p0, (enum sym_field)i)) || !same_term(t, sym_get(p1, (enum sym_field)i)))
			touched |= 1u << i;
	}
	if (!same_term(sym_get(f, SYM_F_PAYLOAD), sym_get(p0, SYM_F_PAYLOAD)))
		touched |= 1u << SYM_F_PAYLOAD;
	sym_drop(cx, p0, "probe");
	sym_drop(cx, p1, "probe");
	return touched;
}

static int ethermirror_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                struct sym_flow *f)
{
	uint32_t touched = ethermirror_touched(cx, f);
	if (touched & 1u << SYM_F_VHL)
		touched |= 1u << SYM_F_SPORT | 1u << SYM_F_DPORT | 1u << SYM_F_TCPFLAGS;
	for (int i = 0; i < SYM_NFIELDS; i++)
		if (touched & 1u << i)
			sym_set_fresh(cx, f, (enum sym_field)i, sym_field_name((enum sym_field)i));
	if (touched)
		sym_approx(cx, f, "EtherMirror swapped bytes of modelled header fields");
	sym_emit(cx, 0, f);
	return 0;
}

static const struct elem_model ethermirror_model = { .push = ethermirror_sym_push };

/* ---- runtime (packet functions) ---- */
static struct rt_pkt *ethermirror_action(struct rt_elem *e, struct rt_pkt *p)
{
	if (p->len < 12)
		return p;
	uint8_t *d = rt_pkt_data(p), tmp[6];
	memcpy(tmp, d, 6);
	memmove(d, d + 6, 6);
	memcpy(d + 6, tmp, 6);
	return p;
}

static const struct elem_runtime ethermirror_runtime = { .action = ethermirror_action };

/* ---- the class object ---- */
const struct click_class elem_ethermirror = {
	.name = "EtherMirror",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = elem__configure_none,
	.model = &ethermirror_model,
	.runtime = &ethermirror_runtime,
	.doc_model = "Swaps the first 12 data bytes. Behind an Ethernet header no modelled field "
	             "changes; on data that starts at the IP header the fields under those bytes "
	             "(and, with the header length, the transport fields) become unconstrained "
	             "(approximate).",
};
