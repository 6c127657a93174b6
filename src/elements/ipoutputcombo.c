/* IPOutputCombo(COLOR, IPADDR, MTU) (Click's): a router's output path
 * in one element (outputs: 0 ok, 1 redirect clone, 2 bad options, 3 TTL
 * expired, 4 needs fragmenting). */
#include <errno.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct ipoutputcombo_conf {
	uint8_t color;  /* paint value that triggers the output-1 clone */
	uint32_t addr;  /* the interface address (options, fix-IP-source) */
	uint32_t mtu;
};

static int ipoutputcombo_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                   void **conf)
{
	struct ipoutputcombo_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = {
		arg_u8("COLOR", ARG_MP, &c->color),
		arg_ip("IPADDR", ARG_MP, &c->addr),
		arg_u32("MTU", ARG_MP, &c->mtu),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* IPOutputCombo as Click documents it, the IP header at the data pointer: paint
 * == COLOR sends a copy to output 1 first; a header length below 20 or
 * beyond the packet drops it; IP options (not modelled) may be malformed
 * (output 2) or get our address written into them, so packets with
 * options take both ways, approximate; the fix-IP-source annotation (flow
 * state: ICMPError or Paint(.., ANNO 19) in this node) makes src = IPADDR
 * and is cleared; TTL <= 1 goes to output 3, else TTL-1; LEN > MTU goes to output
 * 4, the rest to output 0. The packet-type annotation is flow state
 * (mu_pkttype: HOST unless HostEtherFilter set it): broadcast and multicast
 * are dropped. */
static void combo_rest(struct sym_ctx *cx, const struct ipoutputcombo_conf *c, struct sym_flow *f)
{
	if (mu_fixsrc(cx, f)) {
		sym_set_const(cx, f, SYM_F_SRC, c->addr);
		mu_set_fixsrc(cx, f, 0);
	}
	struct sym_flow *live = NULL, *dead = NULL;
	sym_split_range(cx, f, SYM_F_TTL, 2, 255, &live, &dead);
	if (dead)
		sym_emit(cx, 3, dead);
	if (!live)
		return;
	sym_add(cx, live, SYM_F_TTL, -1);
	struct sym_flow *fits = NULL, *big = NULL;
	sym_split_range(cx, live, SYM_F_LEN, 0, c->mtu < 0xffff ? c->mtu : 0xffff, &fits, &big);
	if (big)
		sym_emit(cx, 4, big);
	if (fits)
		sym_emit(cx, 0, fits);
}

static int ipoutputcombo_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                  struct sym_flow *f)
{
	const struct ipoutputcombo_conf *c = e->conf;
	struct sym_flow *tiny = NULL, *painted = NULL, *plain = NULL;
	sym_split_range(cx, f, SYM_F_LEN, 0, 19, &tiny, &f);
	if (tiny)
		sym_drop(cx, tiny, "IPOutputCombo: shorter than an IP header");
	if (!f)
		return 0;
	int bcast = mu_pkttype_broadcast(cx, f);
	if (bcast > 0) {
		sym_drop(cx, f, "IPOutputCombo: link-level broadcast");
		return 0;
	}
	if (bcast < 0) /* HostEtherFilter's type from a link header */
		sym_approx(cx, f, "IPOutputCombo: a link-level broadcast is dropped");
	sym_split_range(cx, f, SYM_F_PAINT, c->color, c->color, &painted, &plain);
	if (painted) {
		struct sym_flow *copy = sym_clone(cx, painted);
		if (copy)
			sym_emit(cx, 1, copy);
	}
	for (int k = 0; k < 2; k++) {
		struct sym_flow *g = k ? plain : painted;
		if (!g)
			continue;
		struct sym_flow *hdr = g;
		for (uint32_t hl = 0; hl < 5 && hdr; hl++) {
			struct sym_flow *low = NULL, *other = NULL;
			mu_split_masked(cx, hdr, SYM_F_VHL, 0x0f, hl, &low, &other);
			if (low)
				sym_drop(cx, low, "IPOutputCombo: IP header length below 20");
			hdr = other;
		}
		if (!hdr)
			continue;
		struct sym_flows ok = { 0 }, shrt = { 0 };
		mu_split_ip_avail(cx, hdr, 0, &ok, &shrt);
		for (uint32_t i = 0; i < shrt.n; i++)
			sym_drop(cx, shrt.v[i], "IPOutputCombo: IP header beyond the packet");
		for (uint32_t i = 0; i < ok.n; i++) {
			struct sym_flow *noopt = NULL, *opt = NULL;
			mu_split_masked(cx, ok.v[i], SYM_F_VHL, 0x0f, 5, &noopt, &opt);
			if (opt) {
				sym_approx(cx, opt, "IPOutputCombo: IP options are not modelled");
				struct sym_flow *bad = sym_clone(cx, opt);
				if (bad)
					sym_emit(cx, 2, bad);
				combo_rest(cx, c, opt);
			}
			if (noopt)
				combo_rest(cx, c, noopt);
		}
	}
	return 0;
}

static const struct elem_model ipoutputcombo_model = { .push = ipoutputcombo_sym_push };

/* ---- runtime (packet functions) ---- */
/* Record Route and Timestamp options filled with our address (Click's
 * IPGWOptions); returns the offset of a malformed byte from the IP header
 * (for the param-problem annotation) or -1; *changed if anything written. */
static int combo_options(uint8_t *ip, uint32_t hlen, uint32_t addr, uint64_t now, bool *changed)
{
	for (uint32_t i = 20; i < hlen;) {
		uint32_t bad;
		int len = ipops_option_len(ip, hlen, i, &bad);
		if (len == 0)
			break;
		if (len < 0)
			return (int)bad;
		uint8_t t = ip[i];
		uint32_t l = (uint32_t)len;
		uint8_t *o = ip + i;
		if (t == 7) { /* record route */
			if (l < 3)
				return (int)(i + 1);
			uint32_t ptr = o[2];
			if (ptr < 4)
				return (int)(i + 2);
			if (ptr + 3 <= l) {
				rt_wr32(o + ptr - 1, addr);
				o[2] = (uint8_t)(ptr + 4);
				*changed = true;
			}
		} else if (t == 68) { /* timestamp */
			if (l < 4)
				return (int)(i + 1);
			uint32_t ptr = o[2], flg = o[3] & 15;
			if (ptr < 5)
				return (int)(i + 2);
			uint32_t need = flg == 0 ? 4 : 8;
			if (flg != 0 && flg != 1 && flg != 3)
				return (int)(i + 3);
			uint32_t ms = (uint32_t)((now / 1000000u) % 86400000u);
			if (ptr + need - 1 <= l) {
				if (flg == 0) {
					rt_wr32(o + ptr - 1, ms);
				} else if (flg == 1) {
					rt_wr32(o + ptr - 1, addr);
					rt_wr32(o + ptr + 3, ms);
				} else {
					if (rt_rd32(o + ptr - 1) != addr) {
						i += l;
						continue;
					}
					rt_wr32(o + ptr + 3, ms);
				}
				o[2] = (uint8_t)(ptr + need);
				*changed = true;
			} else {
				uint8_t ov = o[3] >> 4;
				if (ov == 15)
					return (int)(i + 3);
				o[3] = (uint8_t)(((ov + 1) << 4) | flg);
				*changed = true;
			}
		}
		i += l;
	}
	return -1;
}

static void ipoutputcombo_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	const struct ipoutputcombo_conf *c = e->conf;
	if (p->pkt_type == RT_PKT_BROADCAST || p->pkt_type == RT_PKT_MULTICAST || p->len < 20) {
		rt_drop(e, p);
		return;
	}
	if (p->anno[RT_ANNO_PAINT] == c->color) {
		struct rt_pkt *q = rt_pkt_copy(e, p);
		if (q)
			rt_push(e, 1, q);
	}
	uint8_t *ip = rt_pkt_data(p);
	uint32_t hlen = (uint32_t)(ip[0] & 15) << 2;
	if (hlen < 20 || hlen > p->len) {
		rt_drop(e, p);
		return;
	}
	bool changed = false;
	if (hlen > 20) {
		int bad = combo_options(ip, hlen, c->addr, rt_now(e), &changed);
		if (bad >= 0) {
			p->anno[RT_ANNO_ICMP_PARAM] = (uint8_t)bad;
			rt_push(e, 2, p);
			return;
		}
	}
	if (p->anno[RT_ANNO_FIX_IP_SRC]) {
		p->anno[RT_ANNO_FIX_IP_SRC] = 0;
		rt_wr32(ip + 12, c->addr);
		changed = true;
	}
	if (changed)
		rt_ip_set_csum(ip, hlen);
	if (ip[8] <= 1) {
		rt_push(e, 3, p);
		return;
	}
	ipops_dec_ttl(ip);
	if (p->len > c->mtu) {
		rt_push(e, 4, p);
		return;
	}
	rt_push(e, 0, p);
}

static const struct elem_runtime ipoutputcombo_runtime = { .push = ipoutputcombo_push };

/* ---- describe and the class objects ---- */
static json_t *ipoutputcombo_describe(const void *conf)
{
	const struct ipoutputcombo_conf *c = conf;
	return json_pack("{s:i, s:o, s:I}", "COLOR", c->color, "IPADDR", describe_ip(c->addr), "MTU",
	                 (json_int_t)c->mtu);
}

const struct click_class elem_ipoutputcombo = {
	.name = "IPOutputCombo",
	.port_count = "1/5",
	.processing = "h/h",
	.configure = ipoutputcombo_configure,
	.model = &ipoutputcombo_model,
	.runtime = &ipoutputcombo_runtime,
	.describe = ipoutputcombo_describe,
	.doc_args = "COLOR (0-255), IPADDR (IP address), MTU (unsigned); all mandatory",
	.doc_model = "Paint equal to COLOR sends a copy to output 1, TTL <= 1 goes to output 3 "
	             "(else TTL - 1), LEN > MTU to output 4, and the fix-IP-source annotation "
	             "makes the source IPADDR. IP options are not modelled: packets with options "
	             "go both to output 2 and on, approximate.",
};
