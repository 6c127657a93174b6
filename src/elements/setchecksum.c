/* SetIPChecksum(), SetTCPChecksum([FIXOFF]) and SetUDPChecksum() (as Click
 * documents them): recompute a checksum from scratch. SetIPChecksum works
 * on the IP header annotation (or the data start without one) and drops
 * packets too short for their header; SetTCPChecksum drops packets without
 * a transport header or whose ip_len leaves under 20 transport bytes or
 * more than the packet holds; SetUDPChecksum sends fragments and packets
 * shorter than their UDP length to output 1 (dropped without one). Neither
 * transport setter checks the IP protocol, as in Click. */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct settcpchecksum_conf {
	bool fixoff; /* repair a TCP data offset outside [5 words, ip_len] */
};

static int settcpchecksum_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                    void **conf)
{
	struct settcpchecksum_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = { arg_bool("FIXOFF", ARG_P, &c->fixoff) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Checksums are not modelled: SetIPChecksum drops header lengths under 5
 * words and passes the rest (the model's LEN is the packet's length);
 * SetTCPChecksum drops flows with fewer than 20 transport bytes and passes
 * the rest (TCP's data offset, which FIXOFF may rewrite, is not modelled). */
static int setipchecksum_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                  struct sym_flow *f)
{
	for (uint32_t hl = 0; hl < 5 && f; hl++) {
		struct sym_flow *bad = NULL, *rest = NULL;
		if (!mu_split_masked(cx, f, SYM_F_VHL, 0x0f, hl, &bad, &rest))
			break;
		if (bad)
			sym_drop(cx, bad, "SetIPChecksum: header length under 5 words");
		f = rest;
	}
	if (f)
		sym_emit(cx, 0, f);
	return 0;
}

static int settcpchecksum_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                   struct sym_flow *f)
{
	struct sym_flow *lng = NULL, *shrt = NULL, *maybe = NULL;
	sym_split_transport(cx, f, 20, &lng, &shrt, &maybe);
	if (shrt)
		sym_drop(cx, shrt, "SetTCPChecksum: fewer than 20 transport bytes");
	if (lng)
		sym_emit(cx, 0, lng);
	if (maybe)
		sym_emit(cx, 0, maybe); /* approximate already: it may be dropped */
	return 0;
}

/* SetUDPChecksum: fragments (MF or an offset) and flows with fewer than 8
 * transport bytes go to output 1; the rest depend on the UDP length field,
 * which is not modelled: both outputs, approximate. */
static int setudpchecksum_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                   struct sym_flow *f)
{
	struct sym_flow *whole = NULL, *frag = NULL;
	if (!mu_split_masked(cx, f, SYM_F_OFF, RT_IP_MF | RT_IP_OFFMASK, 0, &whole, &frag)) {
		sym_approx(cx, f, "SetUDPChecksum: fragment bits not split");
		frag = sym_clone(cx, f);
		whole = f;
	}
	if (frag)
		sym_emit(cx, 1, frag);
	if (!whole)
		return 0;
	struct sym_flow *lng = NULL, *shrt = NULL, *maybe = NULL;
	sym_split_transport(cx, whole, 8, &lng, &shrt, &maybe);
	if (shrt)
		sym_emit(cx, 1, shrt);
	if (lng)
		mu_emit_all(cx, 2, lng, "SetUDPChecksum: the UDP length field is not modelled");
	if (maybe)
		mu_emit_all(cx, 2, maybe, "SetUDPChecksum: the UDP length field is not modelled");
	return 0;
}

static const struct elem_model setipchecksum_model = { .push = setipchecksum_sym_push };
static const struct elem_model settcpchecksum_model = { .push = settcpchecksum_sym_push };
static const struct elem_model setudpchecksum_model = { .push = setudpchecksum_sym_push };

/* ---- runtime (packet functions) ---- */
struct setchecksum_state {
	uint64_t drops;
};

static size_t setchecksum_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct setchecksum_state);
}

static struct rt_pkt *setchecksum_fail(struct rt_elem *e, struct rt_pkt *p, uint32_t port)
{
	struct setchecksum_state *s = e->state;
	s->drops++;
	if (port)
		rt_push(e, port, p);
	else
		rt_drop(e, p);
	return NULL;
}

static struct rt_pkt *setipchecksum_action(struct rt_elem *e, struct rt_pkt *p)
{
	bool has = rt_pkt_has_ip(p);
	uint8_t *ip = has ? rt_pkt_ip(p) : rt_pkt_data(p);
	uint32_t avail = has ? rt_pkt_ip_avail(p) : p->len;
	uint32_t hlen = avail >= 20 ? (uint32_t)(ip[0] & 15) << 2 : 0;
	if (hlen < 20 || hlen > avail)
		return setchecksum_fail(e, p, 0);
	rt_ip_set_csum(ip, hlen);
	return p;
}

/* FIXOFF: a data offset under 5 words becomes 5; one past ip_len becomes
 * ip_len's words, unless the packet is a fragment. */
static void tcp_fix_offset(uint8_t *ip, uint8_t *tcp, uint32_t len)
{
	uint32_t off = (uint32_t)(tcp[12] >> 4) << 2;
	if (off < 20)
		tcp[12] = (uint8_t)((tcp[12] & 0x0f) | 5 << 4);
	else if (off > len && !rt_ip_is_frag(ip))
		tcp[12] = (uint8_t)((tcp[12] & 0x0f) | (len >> 2) << 4);
}

static struct rt_pkt *settcpchecksum_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct settcpchecksum_conf *c = e->conf;
	if (!rt_pkt_has_ip(p) || rt_pkt_ip_avail(p) < 20)
		return setchecksum_fail(e, p, 0);
	uint8_t *ip = rt_pkt_ip(p), *tcp = rt_pkt_transp(p);
	uint32_t hlen = (uint32_t)(ip[0] & 15) << 2, iplen = rt_rd16(ip + 2);
	if (iplen < hlen + 20 || iplen - hlen > rt_pkt_transp_avail(p))
		return setchecksum_fail(e, p, 0);
	uint32_t len = iplen - hlen;
	if (c->fixoff)
		tcp_fix_offset(ip, tcp, len);
	rt_wr16(tcp + 16, 0);
	rt_wr16(tcp + 16, rt_csum_fold(rt_csum_add(ipops_pseudo_sum(ip, hlen, len), tcp, len)));
	return p;
}

/* The sum is stored as computed: Click does not turn a 0 into 0xFFFF. */
static struct rt_pkt *setudpchecksum_action(struct rt_elem *e, struct rt_pkt *p)
{
	if (!rt_pkt_has_ip(p) || rt_pkt_ip_avail(p) < 20)
		return setchecksum_fail(e, p, 1);
	uint8_t *ip = rt_pkt_ip(p), *udp = rt_pkt_transp(p);
	uint32_t avail = rt_pkt_transp_avail(p);
	if (rt_ip_is_frag(ip) || avail < 8 || avail < rt_rd16(udp + 4))
		return setchecksum_fail(e, p, 1);
	uint32_t hlen = (uint32_t)(ip[0] & 15) << 2, len = rt_rd16(udp + 4);
	rt_wr16(udp + 6, 0);
	rt_wr16(udp + 6, rt_csum_fold(rt_csum_add(ipops_pseudo_sum(ip, hlen, len), udp, len)));
	return p;
}

static int setchecksum_read(const struct rt_elem *e, const char *h, uint64_t *v)
{
	const struct setchecksum_state *s = e->state;
	if (strcmp(h, "drops"))
		return -EOPNOTSUPP;
	*v = s->drops;
	return 0;
}

static const struct elem_runtime setipchecksum_runtime = {
	.state_size = setchecksum_state_size,
	.action = setipchecksum_action,
	.read = setchecksum_read,
};
static const struct elem_runtime settcpchecksum_runtime = {
	.state_size = setchecksum_state_size,
	.action = settcpchecksum_action,
	.read = setchecksum_read,
};
static const struct elem_runtime setudpchecksum_runtime = {
	.state_size = setchecksum_state_size,
	.action = setudpchecksum_action,
	.read = setchecksum_read,
};

/* ---- describe and the class objects ---- */
static json_t *settcpchecksum_describe(const void *conf)
{
	const struct settcpchecksum_conf *c = conf;
	return json_pack("{s:b}", "FIXOFF", c->fixoff);
}

const struct click_class elem_setipchecksum = {
	.name = "SetIPChecksum",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = elem__configure_none,
	.model = &setipchecksum_model,
	.runtime = &setipchecksum_runtime,
	.doc_model = "Header lengths under 5 words are dropped, the rest pass: the IP header "
	             "checksum is not modelled.",
};

const struct click_class elem_settcpchecksum = {
	.name = "SetTCPChecksum",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = settcpchecksum_configure,
	.model = &settcpchecksum_model,
	.runtime = &settcpchecksum_runtime,
	.describe = settcpchecksum_describe,
	.doc_args = "[FIXOFF] (bool, default false)",
	.doc_model = "Flows with fewer than 20 transport bytes are dropped, the rest pass: the "
	             "checksum and the TCP data offset are not modelled.",
};

const struct click_class elem_setudpchecksum = {
	.name = "SetUDPChecksum",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = elem__configure_none,
	.model = &setudpchecksum_model,
	.runtime = &setudpchecksum_runtime,
	.doc_model = "Fragments and flows with fewer than 8 transport bytes go to output 1; the "
	             "rest may go to either output, since the UDP length field is not modelled "
	             "(approximate).",
};
