/* IPEncap(PROTO, SRC, DST [, TTL, DSCP, ECT, CE, TOS, DF]) and
 * UDPIPEncap(SRC, SPORT, DST, DPORT [, CHECKSUM]), as in Click.
 * DST may be DST_ANNO (use the packet's dst-IP annotation). TTL is 250 as
 * in Click. IPEncap's DSCP rejects 63 as Click's code does. */
#include <errno.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct ipencap_conf {
	uint8_t proto;
	uint32_t src, dst; /* host order */
	bool dst_anno;     /* DST was DST_ANNO: dst comes from the annotation */
	uint8_t ttl;       /* 250 */
	uint8_t tos;       /* from TOS, or DSCP << 2 | ECN (ECT: 2, ECT 2: 1, CE: 3) */
	bool df;
};

static int dst_or_anno(const struct click_conf_ctx *ctx, struct arg_val *v, uint32_t *dst, bool *anno)
{
	if (arg_is(v, "DST_ANNO")) {
		*anno = true;
		*dst = 0;
		return 0;
	}
	return arg_parse_ip(ctx, v, dst);
}

static int ipencap_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct ipencap_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->ttl = 250;
	struct arg_val dst = { 0 }, ect = { 0 };
	uint8_t dscp = 0, tos = 0;
	bool ce = false;
	struct arg_spec spec[] = {
		arg_proto("PROTO", ARG_MP, &c->proto),
		arg_ip("SRC", ARG_MP, &c->src),
		arg_raw("DST", ARG_MP, &dst),
		arg_u8("TTL", 0, &c->ttl),
		arg_u8("DSCP", 0, &dscp),
		arg_raw("ECT", 0, &ect),
		arg_bool("CE", 0, &ce),
		arg_u8("TOS", 0, &tos),
		arg_bool("DF", 0, &c->df),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (spec[2].given && dst_or_anno(ctx, &dst, &c->dst, &c->dst_anno))
		rc = -EINVAL;
	unsigned ecn = 0;
	if (spec[5].given) {
		bool b;
		if (arg_is(&ect, "2"))
			ecn = 1;
		else if (arg_parse_bool(NULL, &ect, &b) == 0)
			ecn = b ? 2 : 0;
		else
			rc = arg_error(ctx, &ect, "expected boolean or 2");
	}
	if (ce)
		ecn = 3;
	if (spec[4].given && dscp >= 63)
		rc = arg_error(ctx, &spec[4].val, "out of range, bound 62 (Click refuses 63)");
	if (spec[7].given && (spec[4].given || spec[5].given || spec[6].given))
		rc = arg_error(ctx, &spec[7].val, "TOS cannot be combined with DSCP, ECT or CE");
	if (rc)
		return rc;
	c->tos = spec[7].given ? tos : (uint8_t)(dscp << 2 | ecn);
	*conf = c;
	return 0;
}

struct udpipencap_conf {
	uint32_t src, dst;     /* host order */
	bool dst_anno;
	uint16_t sport, dport;
	bool checksum;         /* true: compute the UDP checksum, else 0 */
};

static int udpipencap_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                void **conf)
{
	struct udpipencap_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->checksum = true;
	struct arg_val dst = { 0 };
	struct arg_spec spec[] = {
		arg_ip("SRC", ARG_MP, &c->src),
		arg_port("SPORT", ARG_MP, &c->sport),
		arg_raw("DST", ARG_MP, &dst),
		arg_port("DPORT", ARG_MP, &c->dport),
		arg_bool("CHECKSUM", ARG_P, &c->checksum),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (spec[2].given && dst_or_anno(ctx, &dst, &c->dst, &c->dst_anno))
		rc = -EINVAL;
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* A new outer layer: constants from the configuration, a fresh IP ID
 * (the element's counter), LEN = inner LEN + header. The inner layer and
 * the payload are kept untouched beneath it. */
static int ipencap_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                        struct sym_flow *f)
{
	const struct ipencap_conf *c = e->conf;
	struct sym_term dst = c->dst_anno ? sym_get(f, SYM_F_DSTANNO) : sym_const(c->dst);
	sym_push_layer(cx, f, 20, false);
	sym_set_const(cx, f, SYM_F_PROTO, c->proto);
	sym_set_const(cx, f, SYM_F_SRC, c->src);
	sym_set_term(cx, f, SYM_F_DST, dst);
	sym_set_const(cx, f, SYM_F_TTL, c->ttl);
	sym_set_const(cx, f, SYM_F_TOS, c->tos);
	sym_set_const(cx, f, SYM_F_OFF, c->df ? 0x4000 : 0);
	sym_set_term(cx, f, SYM_F_DSTANNO, dst);
	sym_emit(cx, 0, f);
	return 0;
}

static int udpipencap_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                           struct sym_flow *f)
{
	const struct udpipencap_conf *c = e->conf;
	struct sym_term dst = c->dst_anno ? sym_get(f, SYM_F_DSTANNO) : sym_const(c->dst);
	sym_push_layer(cx, f, 28, true);
	sym_set_const(cx, f, SYM_F_PROTO, 17);
	sym_set_const(cx, f, SYM_F_SRC, c->src);
	sym_set_const(cx, f, SYM_F_SPORT, c->sport);
	sym_set_term(cx, f, SYM_F_DST, dst);
	sym_set_const(cx, f, SYM_F_DPORT, c->dport);
	sym_set_const(cx, f, SYM_F_TTL, 250);
	sym_set_const(cx, f, SYM_F_TOS, 0);
	sym_set_const(cx, f, SYM_F_OFF, 0);
	sym_set_term(cx, f, SYM_F_DSTANNO, dst);
	sym_emit(cx, 0, f);
	return 0;
}

static const struct elem_model ipencap_model = { .push = ipencap_sym_push };
static const struct elem_model udpipencap_model = { .push = udpipencap_sym_push };

/* ---- runtime (packet functions) ---- */
/* Per-element IP ID counter starting at 0. */
struct ipencap_state {
	uint16_t id;
};

static size_t ipencap_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct ipencap_state);
}

/* Both encapsulators: grow p by an IPv4 header plus `extra` bytes (the
 * caller's, after it) and write the header with the next ID of the
 * element's counter and its checksum; the IP header annotation points at
 * it and the dst-IP annotation is dst. NULL when p could not grow. */
static struct rt_pkt *push_ip_header(struct rt_elem *e, struct rt_pkt *p, uint32_t extra,
                                     uint8_t tos, bool df, uint8_t ttl, uint8_t proto,
                                     uint32_t src, uint32_t dst)
{
	struct ipencap_state *s = e->state;
	p = rt_pkt_push_front(e, p, 20 + extra);
	if (!p)
		return NULL;
	uint8_t *ip = rt_pkt_data(p);
	ip[0] = 0x45;
	ip[1] = tos;
	rt_wr16(ip + 2, (uint16_t)p->len);
	rt_wr16(ip + 4, s->id++);
	rt_wr16(ip + 6, df ? RT_IP_DF : 0);
	ip[8] = ttl;
	ip[9] = proto;
	rt_wr32(ip + 12, src);
	rt_wr32(ip + 16, dst);
	rt_ip_set_csum(ip, 20);
	rt_pkt_set_ip_header(p, 0, 20);
	rt_pkt_set_dst_anno(p, dst);
	return p;
}

static struct rt_pkt *ipencap_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct ipencap_conf *c = e->conf;
	uint32_t dst = c->dst_anno ? rt_pkt_dst_anno(p) : c->dst;
	return push_ip_header(e, p, 0, c->tos, c->df, c->ttl, c->proto, c->src, dst);
}

static struct rt_pkt *udpipencap_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct udpipencap_conf *c = e->conf;
	uint32_t dst = c->dst_anno ? rt_pkt_dst_anno(p) : c->dst;
	p = push_ip_header(e, p, 8, 0, false, 250, RT_IP_PROTO_UDP, c->src, dst);
	if (!p)
		return NULL;
	uint8_t *ip = rt_pkt_data(p);
	uint8_t *u = ip + 20;
	uint16_t ulen = (uint16_t)(p->len - 20);
	rt_wr16(u, c->sport);
	rt_wr16(u + 2, c->dport);
	rt_wr16(u + 4, ulen);
	rt_wr16(u + 6, 0);
	/* As Click: the folded sum as is (no 0 -> 0xffff substitution). */
	if (c->checksum)
		rt_wr16(u + 6, rt_csum_fold(rt_csum_add(rt_csum_pseudo(ip, ulen), u, ulen)));
	return p;
}

static const struct elem_runtime ipencap_runtime = {
	.state_size = ipencap_state_size,
	.action = ipencap_action,
};

static const struct elem_runtime udpipencap_runtime = {
	.state_size = ipencap_state_size,
	.action = udpipencap_action,
};

/* ---- describe and the class objects ---- */
/* DST is "DST_ANNO" when the destination comes from the annotation. */
static json_t *describe_dst(uint32_t dst, bool anno)
{
	return anno ? json_string("DST_ANNO") : describe_ip(dst);
}

/* TOS is the effective byte, whether given as TOS or as DSCP, ECT and CE. */
static json_t *ipencap_describe(const void *conf)
{
	const struct ipencap_conf *c = conf;
	return json_pack("{s:i, s:o, s:o, s:i, s:i, s:b}", "PROTO", c->proto, "SRC", describe_ip(c->src),
	                 "DST", describe_dst(c->dst, c->dst_anno), "TTL", c->ttl, "TOS", c->tos, "DF",
	                 c->df);
}

static json_t *udpipencap_describe(const void *conf)
{
	const struct udpipencap_conf *c = conf;
	return json_pack("{s:o, s:i, s:o, s:i, s:b}", "SRC", describe_ip(c->src), "SPORT", c->sport,
	                 "DST", describe_dst(c->dst, c->dst_anno), "DPORT", c->dport, "CHECKSUM",
	                 c->checksum);
}

const struct click_class elem_ipencap = {
	.name = "IPEncap",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = ipencap_configure,
	.model = &ipencap_model,
	.runtime = &ipencap_runtime,
	.describe = ipencap_describe,
	.doc_args = "PROTO (protocol name or number), SRC (IP address), DST (IP address or "
	            "DST_ANNO); all mandatory; keywords TTL (default 250), DSCP (0-62), ECT (bool "
	            "or 2), CE (bool), TOS (not with DSCP, ECT or CE), DF (bool, default false)",
	.doc_model = "A new outer IP layer with the configured constants, a fresh IP ID and LEN = "
	             "inner LEN + 20; the inner layer and the payload stay untouched beneath it.",
};

const struct click_class elem_udpipencap = {
	.name = "UDPIPEncap",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = udpipencap_configure,
	.model = &udpipencap_model,
	.runtime = &udpipencap_runtime,
	.describe = udpipencap_describe,
	.doc_args = "SRC (IP address), SPORT (port), DST (IP address or DST_ANNO), DPORT (port); "
	            "all mandatory; [CHECKSUM] (bool, default true)",
	.doc_model = "A new outer IP and UDP layer (28 bytes) with the configured addresses and "
	             "ports, TTL 250 and TOS 0; the inner packet stays beneath it as payload.",
};
