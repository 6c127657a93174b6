/* IPsecESPEncap: Click's configure ignores every argument, so configure
 * is NULL (accept anything). */
#include "elements/element.h"
#include "elements/internal.h"
#include "runtime/runtime.h"
#include "verify/model.h"

/* ---- symbolic model (src/verify/model.h) ---- */
/* A 16-byte ESP header (SPI, sequence, IV) goes in front and a trailer
 * behind. The model has no ESP layer: the data pointer moves back by 16
 * (an IPEncap after it reads nothing modelled there and its inner layer
 * is fresh), the payload is a new version, and the flow is approximate
 * (the ESP bytes are known but not tracked). */
static int ipsecesp_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                             struct sym_flow *f)
{
	/* the trailer lands where a short packet's port and flag bytes are:
	 * packets not surely long enough (74 bytes: the longest header plus
	 * the TCP flags) get unknown ports and flags (the flow is approximate
	 * anyway; this keeps it to two flows) */
	struct sym_flows ok = { 0 };
	struct sym_flow *lng = NULL, *shrt = NULL;
	sym_split_range(cx, f, SYM_F_LEN, 60 + 14, 0xffff, &lng, &shrt);
	sym_flows_push(cx, &ok, lng);
	if (shrt) {
		sym_set_fresh(cx, shrt, SYM_F_SPORT, "sport");
		sym_set_fresh(cx, shrt, SYM_F_DPORT, "dport");
		sym_set_fresh(cx, shrt, SYM_F_TCPFLAGS, "flags");
		sym_flows_push(cx, &ok, shrt);
	}
	for (uint32_t i = 0; i < ok.n; i++) {
		sym_move_data(cx, ok.v[i], -16);
		sym_set_fresh(cx, ok.v[i], SYM_F_PAYLOAD, "data");
		sym_approx(cx, ok.v[i], "IPsecESPEncap: the ESP header is not modelled");
		sym_emit(cx, 0, ok.v[i]);
	}
	return 0;
}

static const struct elem_model ipsecespencap_model = { .push = ipsecesp_sym_push };

/* ---- runtime (packet functions) ---- */
/* The encapsulation Click's IPsecESPEncap documents: ESP header (SPI, replay
 * counter), an 8-byte IV, the packet, padding to 8-byte blocks, pad length
 * and next header 4 (IP in IP). innet has no IPsec routing elements to
 * supply a security association, so the SPI is 0 and nothing is
 * encrypted. */
struct esp_state {
	uint32_t seq;
};

static size_t esp_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct esp_state);
}

static struct rt_pkt *esp_action(struct rt_elem *e, struct rt_pkt *p)
{
	struct esp_state *s = e->state;
	uint32_t pad = (8 - ((p->len + 2) & 7)) & 7;
	if (rt_pkt_tailroom(p) < pad + 2) {
		rt_drop(e, p);
		return NULL;
	}
	uint8_t *t = rt_pkt_data(p) + p->len;
	for (uint32_t i = 0; i < pad; i++)
		t[i] = (uint8_t)(i + 1);
	t[pad] = (uint8_t)pad;
	t[pad + 1] = 4;
	p->len += pad + 2;
	p = rt_pkt_push_front(e, p, 16);
	if (!p)
		return NULL;
	uint8_t *h = rt_pkt_data(p);
	rt_wr32(h, 0);
	rt_wr32(h + 4, ++s->seq);
	for (int i = 8; i < 16; i++)
		h[i] = 0;
	return p;
}

static const struct elem_runtime ipsecespencap_runtime = {
	.state_size = esp_state_size,
	.action = esp_action,
};

/* ---- the class objects ---- */
const struct click_class elem_ipsecespencap = {
	.name = "IPsecESPEncap",
	.port_count = "1/1",
	.processing = "a/a",
	.model = &ipsecespencap_model,
	.runtime = &ipsecespencap_runtime,
	.doc_args = "any (ignored, as Click's IPsecESPEncap ignores them)",
	.doc_model = "No ESP layer is modelled: the data pointer moves back 16 bytes, the payload "
	             "becomes a new version and the flow is approximate.",
};
