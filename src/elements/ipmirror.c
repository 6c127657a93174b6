/* IPMirror([DST_ANNO]): swap the IP source and destination and, as Click,
 * for TCP and UDP first fragments with at least 8 transport bytes the ports
 * and for TCP the sequence and acknowledgement numbers (checksums stay
 * valid: the swaps do not change the sums). Click swaps seq and ack from 8
 * transport bytes on, reading past the packet's end below 12; innet swaps
 * them only when both are in the packet. DST_ANNO (true) sets the dst-IP annotation to the
 * new destination. Needs the IP header annotation. */
#include <errno.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct ipmirror_conf {
	bool dst_anno; /* true */
};

static int ipmirror_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct ipmirror_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->dst_anno = true;
	struct arg_spec spec[] = { arg_bool("DST_ANNO", ARG_P, &c->dst_anno) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Addresses swap; TCP/UDP first fragments with at least 8 transport bytes
 * swap ports too (as the packet function; seq and ack are not tracked). The new src is bound to the
 * variable the dst was, which is how a reply is proven to go back to its
 * sender. */
static void ipmirror_ports(struct sym_ctx *cx, struct sym_flow *f)
{
	static const struct flow_expr first_frag = {
		.kind = FLOW_ATOM,
		.atom = { .base = FLOW_BASE_IP, .op = FLOW_EQ, .len = 2, .off = 6, .mask = 0x1fff },
	};
	struct sym_flows first = { 0 }, later = { 0 };
	if (sym_split_expr(cx, f, &first_frag, &first, &later) < 0)
		return; /* the job fails with the error */
	for (uint32_t i = 0; i < later.n; i++)
		sym_emit(cx, 0, later.v[i]);
	for (uint32_t i = 0; i < first.n; i++) {
		struct sym_flow *swap, *keep, *maybe;
		sym_split_transport(cx, first.v[i], 8, &swap, &keep, &maybe);
		if (maybe) { /* approximate: both ways */
			struct sym_flow *c = sym_clone(cx, maybe);
			if (c)
				sym_emit(cx, 0, c);
			sym_swap(cx, maybe, SYM_F_SPORT, SYM_F_DPORT);
			sym_emit(cx, 0, maybe);
		}
		if (keep)
			sym_emit(cx, 0, keep);
		if (swap) {
			sym_swap(cx, swap, SYM_F_SPORT, SYM_F_DPORT);
			sym_emit(cx, 0, swap);
		}
	}
}

static int ipmirror_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                             struct sym_flow *f)
{
	(void)port;
	const struct ipmirror_conf *c = e->conf;
	struct sym_flow *tcp = NULL, *udp = NULL, *other = NULL;
	sym_swap(cx, f, SYM_F_SRC, SYM_F_DST);
	if (c->dst_anno)
		sym_copy(cx, f, SYM_F_DSTANNO, SYM_F_DST);
	sym_split_range(cx, f, SYM_F_PROTO, 6, 6, &tcp, &other);
	if (other)
		sym_split_range(cx, other, SYM_F_PROTO, 17, 17, &udp, &other);
	if (tcp)
		ipmirror_ports(cx, tcp);
	if (udp)
		ipmirror_ports(cx, udp);
	if (other)
		sym_emit(cx, 0, other);
	return 0;
}

static const struct elem_model ipmirror_model = { .push = ipmirror_sym_push };

/* ---- runtime (packet functions) ---- */
static struct rt_pkt *ipmirror_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct ipmirror_conf *c = e->conf;
	if (!rt_pkt_has_ip(p) || rt_pkt_ip_avail(p) < 20) {
		rt_drop(e, p);
		return NULL;
	}
	uint8_t *ip = rt_pkt_ip(p);
	uint32_t s = rt_rd32(ip + 12), d = rt_rd32(ip + 16);
	rt_wr32(ip + 12, d);
	rt_wr32(ip + 16, s);
	if ((ip[9] == RT_IP_PROTO_TCP || ip[9] == RT_IP_PROTO_UDP) && rt_ip_first_frag(ip) &&
	    rt_pkt_transp_avail(p) >= 8) {
		uint8_t *t = rt_pkt_transp(p);
		uint16_t sp = rt_rd16(t), dp = rt_rd16(t + 2);
		rt_wr16(t, dp);
		rt_wr16(t + 2, sp);
		if (ip[9] == RT_IP_PROTO_TCP && rt_pkt_transp_avail(p) >= 12) {
			uint32_t seq = rt_rd32(t + 4), ack = rt_rd32(t + 8);
			rt_wr32(t + 4, ack);
			rt_wr32(t + 8, seq);
		}
	}
	if (!c || c->dst_anno)
		rt_pkt_set_dst_anno(p, s);
	return p;
}

static const struct elem_runtime ipmirror_runtime = { .action = ipmirror_action };

/* ---- describe and the class objects ---- */
static json_t *ipmirror_describe(const void *conf)
{
	const struct ipmirror_conf *c = conf;
	return json_pack("{s:b}", "DST_ANNO", c->dst_anno);
}

const struct click_class elem_ipmirror = {
	.name = "IPMirror",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = ipmirror_configure,
	.model = &ipmirror_model,
	.runtime = &ipmirror_runtime,
	.describe = ipmirror_describe,
	.doc_args = "[DST_ANNO] (bool, default true)",
	.doc_model = "Swaps the addresses, and the ports of TCP and UDP first fragments with at "
	             "least 8 transport bytes (TCP sequence and acknowledgement numbers swap too, "
	             "not tracked); the new "
	             "source is bound to the variable the destination was, which is how a reply is "
	             "proven to return to its sender.",
};
