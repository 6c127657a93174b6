/* ICMPPingResponder() and ICMPError(SRC, TYPE [, CODE] [, BADADDRS, MTU,
 * PMTU, USE_FIX_ANNO]), as in Click. TYPE must be an ICMP error type
 * (unreachable 3, sourcequench 4, redirect 5, timeexceeded 11,
 * parameterproblem 12); TYPE and CODE take numbers or names. */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct icmperror_conf {
	uint32_t src;        /* the error's source address */
	uint8_t type, code;
	uint32_t nbad;       /* BADADDRS: no errors about packets from these */
	uint32_t *badaddrs;
	uint32_t mtu;        /* 576: most bytes of the error packet */
	uint32_t pmtu;       /* next-hop MTU for unreachable/needfrag (0) */
	bool use_fix_anno;   /* true: set the fix-IP-source annotation */
};

struct icmp_name {
	const char *name;
	uint8_t type, code; /* code names: type they belong to */
};

static const struct icmp_name types[] = {
	{ "unreachable", 3, 0 }, { "sourcequench", 4, 0 }, { "redirect", 5, 0 },
	{ "timeexceeded", 11, 0 }, { "parameterproblem", 12, 0 },
};

static const struct icmp_name codes[] = {
	{ "net", 3, 0 }, { "host", 3, 1 }, { "protocol", 3, 2 }, { "port", 3, 3 },
	{ "needfrag", 3, 4 }, { "srcroutefail", 3, 5 }, { "netunknown", 3, 6 },
	{ "hostunknown", 3, 7 }, { "isolated", 3, 8 }, { "netprohib", 3, 9 },
	{ "hostprohib", 3, 10 }, { "tosnet", 3, 11 }, { "toshost", 3, 12 },
	{ "filterprohib", 3, 13 }, { "hostprecedence", 3, 14 }, { "precedencecutoff", 3, 15 },
	{ "net", 5, 0 }, { "host", 5, 1 }, { "tosnet", 5, 2 }, { "toshost", 5, 3 },
	{ "transit", 11, 0 }, { "reassembly", 11, 1 },
	{ "erroratptr", 12, 0 }, { "missingopt", 12, 1 }, { "length", 12, 2 },
};

static int icmperror_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                               void **conf)
{
	struct icmperror_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->mtu = 576;
	c->use_fix_anno = true;
	struct arg_val type = { 0 }, code = { 0 }, bad = { 0 };
	struct arg_spec spec[] = {
		arg_ip("SRC", ARG_MP, &c->src),
		arg_raw("TYPE", ARG_MP, &type),
		arg_raw("CODE", ARG_P, &code),
		arg_raw("BADADDRS", 0, &bad),
		arg_u32("MTU", 0, &c->mtu),
		arg_u32("PMTU", 0, &c->pmtu),
		arg_bool("USE_FIX_ANNO", 0, &c->use_fix_anno),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (spec[1].given) {
		bool found = false;
		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
			if (arg_is(&type, types[i].name)) {
				c->type = types[i].type;
				found = true;
			}
		uint64_t t;
		if (!found && arg_parse_uint(NULL, &type, 255, &t) == 0) {
			c->type = (uint8_t)t;
			found = true;
		}
		if (!found)
			rc = arg_error(ctx, &type, "expected ICMP error type (unreachable, sourcequench, "
			                           "redirect, timeexceeded, parameterproblem)");
		else if (c->type != 3 && c->type != 4 && c->type != 5 && c->type != 11 && c->type != 12)
			rc = arg_error(ctx, &type, "ICMP type %u is not an error type", c->type);
	}
	if (spec[1].given && spec[2].given && rc == 0) {
		bool found = false;
		for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
			if (codes[i].type == c->type && arg_is(&code, codes[i].name)) {
				c->code = codes[i].code;
				found = true;
			}
		uint64_t x;
		if (!found && arg_parse_uint(NULL, &code, 255, &x) == 0) {
			c->code = (uint8_t)x;
			found = true;
		}
		if (!found)
			rc = arg_error(ctx, &code, "unknown code for ICMP type %u", c->type);
	}
	if (spec[3].given) {
		struct arg_list w;
		if (arg_words(ctx, &bad, &w))
			return -ENOMEM;
		c->badaddrs = arena_calloc(ctx->arena, w.n ? w.n : 1, sizeof *c->badaddrs);
		if (!c->badaddrs)
			return -ENOMEM;
		for (size_t i = 0; i < w.n; i++)
			if (arg_parse_ip(ctx, &w.v[i], &c->badaddrs[c->nbad++]))
				rc = -EINVAL;
	}
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* ICMPPingResponder: ICMP echo requests (type 8, at least 8 ICMP bytes)
 * become replies in place: addresses swap (the new dst is bound to the
 * variable the src was: the reply provably goes back), fragment field 0,
 * TTL 255, type and code 0, dst-IP annotation = the new dst, paint 0. The
 * ICMP checksum (the dport field of an ICMP layer) gets a fresh value.
 * Everything else goes to output 1 (dropped when absent). */
static int icmppingresponder_sym_push(struct sym_ctx *cx, const struct click_element *e,
                                      uint32_t port, struct sym_flow *f)
{
	struct sym_flow *icmp = NULL, *other = NULL;
	sym_split_range(cx, f, SYM_F_PROTO, 1, 1, &icmp, &other);
	if (other)
		sym_emit(cx, 1, other);
	if (!icmp)
		return 0;
	struct sym_flows ok = { 0 }, shrt = { 0 };
	mu_split_ip_avail(cx, icmp, 8, &ok, &shrt);
	for (uint32_t i = 0; i < shrt.n; i++)
		sym_emit(cx, 1, shrt.v[i]);
	for (uint32_t i = 0; i < ok.n; i++) {
		struct sym_flow *echo = NULL, *no = NULL;
		sym_split_range(cx, ok.v[i], SYM_F_SPORT, 0x0800, 0x08ff, &echo, &no);
		if (no)
			sym_emit(cx, 1, no);
		if (!echo)
			continue;
		sym_swap(cx, echo, SYM_F_SRC, SYM_F_DST);
		sym_set_const(cx, echo, SYM_F_OFF, 0);
		sym_set_const(cx, echo, SYM_F_TTL, 255);
		sym_set_const(cx, echo, SYM_F_SPORT, 0);
		sym_set_fresh(cx, echo, SYM_F_DPORT, "icmpsum");
		sym_copy(cx, echo, SYM_F_DSTANNO, SYM_F_DST);
		sym_set_const(cx, echo, SYM_F_PAINT, 0);
		sym_emit(cx, 0, echo);
	}
	return 0;
}

/* ICMPError (as the packet function: RFC 1812 4.3.2.7): no error about
 * ICMP errors (types 3, 4, 5, 11, 12) or ICMP packets too short to tell
 * (fewer than 4 ICMP bytes), destinations that are not unicast
 * (255.255.255.255, multicast, BADADDRS), invalid sources (0/8, 127/8,
 * 224/3, BADADDRS), non-first fragments, and (redirects) source-routed
 * packets; the input is always consumed. The error is a new packet: TOS 0,
 * the element's ID counter (any value), fragment 0, TTL 200, protocol 1,
 * src = SRC, dst and dst-IP annotation bound to the old src, type and code
 * in the sport field, a fresh payload (it quotes the old packet), paint 0,
 * and the fix-IP-source annotation (kept as flow state for IPOutputCombo)
 * unless USE_FIX_ANNO is false. Without IP options the header is 20 bytes
 * and LEN = 28 + min(old LEN, MTU - 28), exactly; IP options are not
 * modelled, and a packet with some may carry a source route (reversed into
 * the error's header, or no redirect at all), so those errors have an
 * unknown header length and LEN and are approximate. The packet-type
 * annotation is not modelled (innet devices deliver host packets). */
static void icmp_drop_addrs(struct sym_ctx *cx, struct sym_flow **f, enum sym_field fld,
                            const uint32_t (*fixed)[2], size_t nfixed,
                            const struct icmperror_conf *c)
{
	for (size_t i = 0; i < nfixed + c->nbad && *f; i++) {
		uint32_t lo = i < nfixed ? fixed[i][0] : c->badaddrs[i - nfixed];
		uint32_t hi = i < nfixed ? fixed[i][1] : c->badaddrs[i - nfixed];
		struct sym_flow *bad = NULL, *good = NULL;
		sym_split_range(cx, *f, fld, lo, hi, &bad, &good);
		if (bad)
			sym_drop(cx, bad, "ICMPError: no error about this address");
		*f = good;
	}
}

static void icmperror_build(struct sym_ctx *cx, const struct icmperror_conf *c, struct sym_flow *f,
                            bool opts)
{
	struct sym_term src = sym_get(f, SYM_F_SRC);
	uint32_t room = c->mtu > 28 ? c->mtu - 28 : 0;
	struct sym_flow *whole = NULL, *cut = NULL;
	if (opts)
		whole = f;
	else
		sym_split_range(cx, f, SYM_F_LEN, 0, room, &whole, &cut);
	for (int k = 0; k < 2; k++) {
		struct sym_flow *g = k ? cut : whole;
		if (!g)
			continue;
		struct sym_term len = sym_get(g, SYM_F_LEN);
		len.k += 28;
		if (k)
			len = sym_const(28 + room);
		mu_new_packet(cx, g);
		if (opts) {
			sym_set_range(cx, g, SYM_F_VHL, 0x45, 0x4f, "vhl");
			sym_set_range(cx, g, SYM_F_LEN, 28, c->mtu > 28 ? c->mtu : 28, "len");
			sym_approx(cx, g, "ICMPError: a source route in IP options (not modelled)");
		} else {
			sym_set_const(cx, g, SYM_F_VHL, 0x45);
			sym_set_term(cx, g, SYM_F_LEN, len);
		}
		sym_set_const(cx, g, SYM_F_TOS, 0);
		sym_set_fresh(cx, g, SYM_F_ID, "id");
		sym_set_const(cx, g, SYM_F_OFF, 0);
		sym_set_const(cx, g, SYM_F_TTL, 200);
		sym_set_const(cx, g, SYM_F_PROTO, 1);
		sym_set_const(cx, g, SYM_F_SRC, c->src);
		sym_set_term(cx, g, SYM_F_DST, src);
		sym_set_const(cx, g, SYM_F_SPORT, ((uint32_t)c->type << 8) | c->code);
		sym_set_term(cx, g, SYM_F_DSTANNO, src);
		mu_set_fixsrc(cx, g, c->use_fix_anno ? 1 : 0);
		sym_emit(cx, 0, g);
	}
}

static int icmperror_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                              struct sym_flow *f)
{
	const struct icmperror_conf *c = e->conf;
	struct sym_flows go = { 0 };
	struct sym_flow *icmp = NULL, *other = NULL;
	sym_split_range(cx, f, SYM_F_PROTO, 1, 1, &icmp, &other);
	sym_flows_push(cx, &go, other);
	if (icmp) {
		/* the type is the high byte of the sport field */
		struct sym_flows four = { 0 }, less = { 0 };
		mu_split_ip_avail(cx, icmp, 4, &four, &less);
		for (uint32_t i = 0; i < less.n; i++)
			sym_drop(cx, less.v[i], "ICMPError: ICMP too short to classify");
		static const uint32_t errs[][2] = { { 0x0300, 0x05ff }, { 0x0b00, 0x0cff } };
		for (uint32_t i = 0; i < four.n; i++) {
			struct sym_flow *g = four.v[i];
			for (int k = 0; k < 2 && g; k++) {
				struct sym_flow *err = NULL, *rest = NULL;
				sym_split_range(cx, g, SYM_F_SPORT, errs[k][0], errs[k][1], &err, &rest);
				if (err)
					sym_drop(cx, err, "ICMPError: no error about an ICMP error");
				g = rest;
			}
			sym_flows_push(cx, &go, g);
		}
	}
	static const uint32_t bad_dst[][2] = { { 0xffffffffu, 0xffffffffu }, { 0xe0000000u, 0xefffffffu } };
	static const uint32_t bad_src[][2] = { { 0, 0x00ffffffu }, { 0x7f000000u, 0x7fffffffu },
	                                       { 0xe0000000u, 0xffffffffu } };
	for (uint32_t i = 0; i < go.n; i++) {
		struct sym_flow *g = go.v[i];
		icmp_drop_addrs(cx, &g, SYM_F_DST, bad_dst, 2, c);
		icmp_drop_addrs(cx, &g, SYM_F_SRC, bad_src, 3, c);
		if (!g)
			continue;
		struct sym_flow *first = NULL, *later = NULL;
		mu_split_masked(cx, g, SYM_F_OFF, 0x1fff, 0, &first, &later);
		if (later)
			sym_drop(cx, later, "ICMPError: no error about a non-first fragment");
		if (!first)
			continue;
		int bcast = mu_pkttype_broadcast(cx, first);
		if (bcast > 0) {
			sym_drop(cx, first, "ICMPError: no error about a link-level broadcast");
			continue;
		}
		if (bcast < 0) /* HostEtherFilter's type from a link header */
			sym_approx(cx, first, "ICMPError: a link-level broadcast gets no error");
		struct sym_flow *plain = NULL, *opts = NULL;
		sym_split_range(cx, first, SYM_F_VHL, 0x45, 0x45, &plain, &opts);
		if (plain)
			icmperror_build(cx, c, plain, false);
		if (opts)
			icmperror_build(cx, c, opts, true);
	}
	return 0;
}

static const struct elem_model icmppingresponder_model = { .push = icmppingresponder_sym_push };
static const struct elem_model icmperror_model = { .push = icmperror_sym_push };

/* ---- runtime (packet functions) ---- */
/* Turn an echo request into its reply in place: 0, or -EINVAL when p is
 * not an echo request (output 1). */
static int ping_reply(struct rt_pkt *p, uint64_t now)
{
	if (!rt_pkt_has_ip(p) || rt_pkt_ip_avail(p) < 20)
		return -EINVAL;
	uint8_t *ip = rt_pkt_ip(p);
	if (ip[9] != RT_IP_PROTO_ICMP || rt_pkt_transp_avail(p) < 8)
		return -EINVAL;
	uint8_t *ic = rt_pkt_transp(p);
	if (ic[0] != 8)
		return -EINVAL;
	uint32_t s = rt_rd32(ip + 12), d = rt_rd32(ip + 16);
	rt_wr32(ip + 12, d);
	rt_wr32(ip + 16, s);
	uint16_t old = rt_rd16(ip + 8);
	ip[8] = 255;
	rt_csum_update16(ip + 10, old, rt_rd16(ip + 8));
	old = rt_rd16(ip + 6);
	rt_wr16(ip + 6, 0);
	rt_csum_update16(ip + 10, old, 0);
	old = rt_rd16(ic);
	ic[0] = ic[1] = 0;
	rt_csum_update16(ic + 2, old, 0);
	/* As Click (click_update_zero_in_cksum): the incremental update gives
	 * 0x0000 (-0) for an all-zero message, whose sum is 0xffff (+0). */
	if (rt_rd16(ic + 2) == 0) {
		uint32_t n = rt_pkt_transp_avail(p), i = 0;
		while (i < n && ic[i] == 0)
			i++;
		if (i == n)
			rt_wr16(ic + 2, 0xffff);
	}
	rt_pkt_set_dst_anno(p, s);
	p->anno[RT_ANNO_PAINT] = 0;
	p->tstamp_ns = now;
	return 0;
}

static struct rt_pkt *icmppingresponder_action(struct rt_elem *e, struct rt_pkt *p)
{
	if (ping_reply(p, rt_now(e)) == 0)
		return p;
	rt_push(e, 1, p);
	return NULL;
}

struct icmperror_state {
	uint16_t id;
};

static size_t icmperror_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct icmperror_state);
}

/* RFC 1812 tests as Click's ICMPError makes them. */
static bool unicast(uint32_t a, const uint32_t *bad, uint32_t n)
{
	return a != 0xffffffffu && !ipops_is_multicast(a) && !ipops_addr_in(a, bad, n);
}

static bool valid_source(uint32_t a, const uint32_t *bad, uint32_t n)
{
	uint32_t net = a >> 24;
	return unicast(a, bad, n) && net != 0 && net != 127 && (net & 0xf0) != 0xf0;
}

static bool is_icmp_error_type(uint8_t t)
{
	return t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
}

/* The first well-formed LSRR/SSRR option (its offset in ip), or 0. */
static uint32_t source_route(const uint8_t *ip, uint32_t hlen)
{
	uint32_t bad;
	for (uint32_t i = 20; i < hlen;) {
		int len = ipops_option_len(ip, hlen, i, &bad);
		if (len <= 0)
			return 0;
		uint8_t t = ip[i];
		uint32_t l = (uint32_t)len;
		if ((t == 131 || t == 137) && l >= 3 && ip[i + 2] >= 4 && ip[i + 2] % 4 == 0 &&
		    ip[i + 2] <= l + 1)
			return i;
		i += l;
	}
	return 0;
}

/* The error packet about p (p is left alone), or NULL when Click sends
 * none. id: the element's IP ID counter, pre-incremented. */
static struct rt_pkt *icmp_error(struct rt_elem *e, const struct rt_pkt *p,
                                 const struct icmperror_conf *a, uint16_t *id)
{
	uint32_t avail = rt_pkt_ip_avail(p);
	if (!rt_pkt_has_ip(p) || avail < 20)
		return NULL;
	const uint8_t *ip = rt_pkt_ip(p);
	uint32_t hlen = (uint32_t)(ip[0] & 15) << 2;
	if (hlen < 20 || hlen > avail)
		return NULL;
	/* RFC 1812 4.3.2.7: no errors about ICMP errors (or ICMP too short to
	 * tell), broadcasts, invalid sources, later fragments */
	if (ip[9] == RT_IP_PROTO_ICMP && (hlen + 4 > avail || is_icmp_error_type(ip[hlen])))
		return NULL;
	uint32_t src = rt_rd32(ip + 12), dst = rt_rd32(ip + 16);
	if (!unicast(dst, a->badaddrs, a->nbad))
		return NULL;
	if (p->pkt_type == RT_PKT_BROADCAST || p->pkt_type == RT_PKT_MULTICAST)
		return NULL;
	if (!valid_source(src, a->badaddrs, a->nbad))
		return NULL;
	if (rt_rd16(ip + 6) & RT_IP_OFFMASK)
		return NULL;
	uint32_t sr = source_route(ip, hlen);
	if (sr) {
		if (a->type == 5) /* no redirect for a source-routed packet (5.2.7.2) */
			return NULL;
		uint32_t ptr = p->anno[RT_ANNO_ICMP_PARAM];
		if (a->type == 12 && a->code == 0 && ptr >= sr && ptr < sr + ip[sr + 1])
			sr = 0; /* the problem is the route itself (4.3.2.6) */
	}
	/* the reversed source route (4.3.2.6) */
	uint8_t opt[IPOPS_MAX_OPTIONS];
	uint32_t olen = 0;
	if (sr) {
		const uint8_t *o = ip + sr;
		uint32_t ol = (uint32_t)o[2] - 1;
		memset(opt, 0, sizeof opt);
		opt[0] = o[0];
		opt[1] = (uint8_t)ol;
		opt[2] = 4;
		uint32_t w = 3;
		for (int32_t r = (int32_t)o[2] - 5; r >= 3 && w + 4 <= sizeof opt; r -= 4, w += 4)
			memcpy(opt + w, o + r, 4);
		olen = (ol + 3) & ~3u;
		if (olen > IPOPS_MAX_OPTIONS)
			olen = IPOPS_MAX_OPTIONS;
	}
	uint32_t nh = 20 + olen, xlen = avail;
	uint32_t room = a->mtu > nh + 8 ? a->mtu - nh - 8 : 0;
	if (xlen > room)
		xlen = room;
	struct rt_pkt *q = rt_pkt_alloc(e, nh + 8 + xlen);
	if (!q)
		return NULL;
	uint8_t *n = rt_pkt_data(q);
	memset(n, 0, nh + 8);
	n[0] = (uint8_t)(0x40 | (nh >> 2));
	rt_wr16(n + 2, (uint16_t)(nh + 8 + xlen));
	rt_wr16(n + 4, ++*id);
	n[8] = 200;
	n[9] = RT_IP_PROTO_ICMP;
	rt_wr32(n + 12, a->src);
	rt_wr32(n + 16, src);
	memcpy(n + 20, opt, olen);
	rt_ip_set_csum(n, nh);
	uint8_t *ic = n + nh;
	ic[0] = a->type;
	ic[1] = a->code;
	if (a->type == 5)
		rt_wr32(ic + 4, rt_pkt_dst_anno(p));
	else if (a->type == 12 && a->code == 0)
		ic[4] = p->anno[RT_ANNO_ICMP_PARAM];
	else if (a->type == 3 && a->code == 4)
		rt_wr16(ic + 6, (uint16_t)a->pmtu);
	memcpy(ic + 8, ip, xlen);
	rt_wr16(ic + 2, rt_csum(ic, 8 + xlen));
	q->len = nh + 8 + xlen;
	rt_pkt_set_ip_header(q, 0, nh);
	rt_pkt_set_dst_anno(q, src);
	if (a->use_fix_anno)
		q->anno[RT_ANNO_FIX_IP_SRC] = 1;
	q->tstamp_ns = rt_now(e);
	return q;
}

/* The input is always consumed; the error (if any) goes out output 0. */
static struct rt_pkt *icmperror_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct icmperror_conf *c = e->conf;
	struct icmperror_state *s = e->state;
	struct rt_pkt *q = icmp_error(e, p, c, &s->id);
	rt_consume(e, p);
	return q;
}

static const struct elem_runtime icmppingresponder_runtime = { .action = icmppingresponder_action };
static const struct elem_runtime icmperror_runtime = {
	.state_size = icmperror_state_size,
	.action = icmperror_action,
};

/* ---- describe and the class objects ---- */
static json_t *icmperror_describe(const void *conf)
{
	const struct icmperror_conf *c = conf;
	return json_pack("{s:o, s:i, s:i, s:o, s:I, s:I, s:b}", "SRC", describe_ip(c->src), "TYPE",
	                 c->type, "CODE", c->code, "BADADDRS", describe_ip_list(c->badaddrs, c->nbad),
	                 "MTU", (json_int_t)c->mtu, "PMTU", (json_int_t)c->pmtu, "USE_FIX_ANNO",
	                 c->use_fix_anno);
}

const struct click_class elem_icmppingresponder = {
	.name = "ICMPPingResponder",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = elem__configure_none,
	.model = &icmppingresponder_model,
	.runtime = &icmppingresponder_runtime,
	.doc_model = "Echo requests become replies in place: addresses swap (the reply provably "
	             "returns to its sender), TTL 255, type and code 0, a fresh checksum; "
	             "everything else goes to output 1.",
};

const struct click_class elem_icmperror = {
	.name = "ICMPError",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = icmperror_configure,
	.model = &icmperror_model,
	.runtime = &icmperror_runtime,
	.describe = icmperror_describe,
	.doc_args = "SRC (IP address), TYPE (unreachable, sourcequench, redirect, timeexceeded, "
	            "parameterproblem or the number), [CODE] (name or number, default 0); keywords "
	            "BADADDRS (address list), MTU (unsigned, default 576), PMTU (unsigned, default "
	            "0), USE_FIX_ANNO (bool, default true)",
	.doc_model = "A new packet from SRC to the old source, exact without IP options (LEN = 28 "
	             "+ min(LEN, MTU - 28)); no error about ICMP errors, non-unicast destinations, "
	             "invalid sources, BADADDRS or non-first fragments. With IP options the error "
	             "is approximate (a source route is not modelled).",
};
