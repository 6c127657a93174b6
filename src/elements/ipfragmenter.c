/* IPFragmenter(MTU [, HONOR_DF] [, VERBOSE] [, HEADROOM n]) (Click's):
 * MTU >= 8; HONOR_DF true; VERBOSE false. DF packets too long go to
 * output 1. */
#include <errno.h>
#include <string.h>

#include "elements/args.h"
#include "elements/describe.h"
#include "elements/element.h"
#include "elements/ipops.h"
#include "elements/model_util.h"
#include "runtime/net.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct ipfragmenter_conf {
	uint32_t mtu;      /* >= 8 */
	bool honor_df;     /* true */
	bool verbose;      /* false */
	uint32_t headroom; /* for new fragments; 0: the runtime's default */
};

static int ipfragmenter_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                  void **conf)
{
	struct ipfragmenter_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->honor_df = true;
	struct arg_spec spec[] = {
		arg_u32("MTU", ARG_MP, &c->mtu),
		arg_bool("HONOR_DF", ARG_P, &c->honor_df),
		arg_bool("VERBOSE", ARG_P, &c->verbose),
		arg_u32("HEADROOM", 0, &c->headroom),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (c->mtu < 8)
		return arg_error(ctx, &spec[0].val, "must be at least 8");
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* IPFragmenter (the packet's length from the IP header is LEN: devices and
 * CheckIPHeader trim). LEN < 20: output 1. LEN <= MTU: output 0 unchanged.
 * Longer packets, per header length hl: a bad header length, DF with
 * HONOR_DF, or fewer than 8 payload bytes per fragment go to output 1
 * (dropped when absent). Otherwise DF (when ignored) is cleared and the ID
 * becomes a random nonzero value; the first fragment keeps every field but
 * LEN (hl*4 + the first fragment's data) and the fragment field (MF set)
 * and gets a new payload version; the later fragments (as many as needed)
 * are summarised by one flow: header fields copied, LEN, the fragment
 * field and the bytes where ports would be unknown, marked approximate. A
 * packet that needs 64 or more later fragments is dropped, as the runtime
 * does. */
static void frag_out1(struct sym_ctx *cx, struct sym_flow *f)
{
	if (f)
		sym_emit(cx, 1, f);
}

static void frag_hl(struct sym_ctx *cx, const struct ipfragmenter_conf *c, struct sym_flow *f,
                    uint32_t hl)
{
	uint32_t hlen = hl * 4;
	int64_t fd = ((int64_t)c->mtu - hlen) & ~(int64_t)7;
	if (hl < 5 || fd < 8) {
		frag_out1(cx, f);
		return;
	}
	struct sym_flow *fits = NULL, *shorter = NULL;
	sym_split_range(cx, f, SYM_F_LEN, hlen, 0xffff, &fits, &shorter);
	frag_out1(cx, shorter);
	if (!(f = fits))
		return;
	struct sym_flow *df = NULL, *nodf = NULL;
	mu_split_masked(cx, f, SYM_F_OFF, 0x4000, 0x4000, &df, &nodf);
	if (df) {
		if (c->honor_df) {
			frag_out1(cx, df);
			df = NULL;
		} else {
			sym_add(cx, df, SYM_F_OFF, -0x4000);
			sym_set_range(cx, df, SYM_F_ID, 1, 0xffff, "id");
		}
	}
	/* how many later fragments: out_hlen is 20 plus the copied options
	 * (known only without options) */
	uint32_t dl_min = (uint32_t)fd, dl_max = hl == 5 ? (uint32_t)fd : (c->mtu - 20) & ~7u;
	uint64_t sure = hlen + (uint64_t)fd + 63ull * dl_min; /* <= sure: fewer than 64 */
	uint64_t never = hlen + (uint64_t)fd + 63ull * dl_max; /* > never: 64 or more */
	for (int k = 0; k < 2; k++) {
		struct sym_flow *g = k ? nodf : df;
		if (!g)
			continue;
		struct sym_flow *ok = NULL, *many = NULL, *maybe = NULL, *drop = NULL;
		sym_split_range(cx, g, SYM_F_LEN, 0, sure > 0xffff ? 0xffff : (uint32_t)sure, &ok, &many);
		if (many && never < 0xffff)
			sym_split_range(cx, many, SYM_F_LEN, 0, (uint32_t)never, &maybe, &drop);
		else
			maybe = many;
		if (drop)
			sym_drop(cx, drop, "IPFragmenter: 64 or more fragments");
		if (maybe)
			sym_approx(cx, maybe, "IPFragmenter: the fragment count depends on IP options");
		for (int m = 0; m < 2; m++) {
			struct sym_flow *p = m ? maybe : ok;
			if (!p)
				continue;
			struct sym_flow *later = sym_clone(cx, p);
			/* the first fragment */
			struct sym_flow *mf = NULL, *nomf = NULL;
			mu_split_masked(cx, p, SYM_F_OFF, 0x2000, 0x2000, &mf, &nomf);
			if (nomf)
				sym_add(cx, nomf, SYM_F_OFF, 0x2000);
			for (int q = 0; q < 2; q++) {
				struct sym_flow *first = q ? nomf : mf;
				if (!first)
					continue;
				sym_set_const(cx, first, SYM_F_LEN, hlen + (uint32_t)fd);
				sym_set_fresh(cx, first, SYM_F_PAYLOAD, "data");
				sym_emit(cx, 0, first);
			}
			if (!later)
				continue;
			if (hl != 5)
				sym_set_range(cx, later, SYM_F_VHL, 0x45, 0x40 | hl, "vhl");
			sym_set_range(cx, later, SYM_F_LEN, 21, c->mtu < 0xffff ? c->mtu : 0xffff, "len");
			sym_set_fresh(cx, later, SYM_F_OFF, "frag");
			sym_set_fresh(cx, later, SYM_F_SPORT, "sport");
			sym_set_fresh(cx, later, SYM_F_DPORT, "dport");
			sym_set_fresh(cx, later, SYM_F_TCPFLAGS, "flags");
			sym_set_fresh(cx, later, SYM_F_PAYLOAD, "data");
			sym_approx(cx, later, "IPFragmenter: later fragments are summarised by one flow");
			sym_emit(cx, 0, later);
		}
	}
}

static int ipfragmenter_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                 struct sym_flow *f)
{
	const struct ipfragmenter_conf *c = e->conf;
	struct sym_flow *tiny = NULL, *rest = NULL, *fits = NULL, *big = NULL;
	sym_split_range(cx, f, SYM_F_LEN, 0, 19, &tiny, &rest);
	frag_out1(cx, tiny);
	if (!rest)
		return 0;
	sym_split_range(cx, rest, SYM_F_LEN, 0, c->mtu < 0xffff ? c->mtu : 0xffff, &fits, &big);
	if (fits)
		sym_emit(cx, 0, fits);
	uint32_t vhl;
	if (!big)
		return 0;
	if (sym_get_const(big, SYM_F_VHL, &vhl)) {
		frag_hl(cx, c, big, vhl & 15);
		return 0;
	}
	for (uint32_t hl = 0; hl < 16 && big; hl++) {
		struct sym_flow *this = NULL, *other = NULL;
		if (!mu_split_masked(cx, big, SYM_F_VHL, 0x0f, hl, &this, &other))
			break;
		if (this)
			frag_hl(cx, c, this, hl);
		big = other;
	}
	return 0;
}

static const struct elem_model ipfragmenter_model = { .push = ipfragmenter_sym_push };

/* ---- runtime (packet functions) ---- */

/* A packet that would need this many fragments or more is dropped. */
#define MAX_FRAGMENTS 64

/* Bytes of the options of ip (header length hlen) whose "copied" flag is
 * set, written to out (if not NULL) padded to 4 bytes; returns the count. */
static uint32_t copied_options(const uint8_t *ip, uint32_t hlen, uint8_t *out)
{
	uint32_t n = 0;
	uint32_t bad;
	for (uint32_t i = 20; i < hlen;) {
		int l = ipops_option_len(ip, hlen, i, &bad);
		if (l <= 0)
			break;
		if (ip[i] & 0x80) { /* never a NOP */
			if (out)
				memcpy(out + n, ip + i, (size_t)l);
			n += (uint32_t)l;
		}
		i += (uint32_t)l;
	}
	while (n & 3) {
		if (out)
			out[n] = 0;
		n++;
	}
	return n;
}

/* Push p or its fragments (first to last) to output 0, or p to output 1
 * when DF forbids fragmenting or it has no IP header. */
static void fragment(struct rt_elem *e, struct rt_pkt *p, uint32_t mtu, bool honor_df)
{
	uint32_t nlen = rt_pkt_ip_avail(p);
	if (!rt_pkt_has_ip(p) || nlen < 20) {
		rt_push(e, 1, p);
		return;
	}
	if (nlen <= mtu) {
		rt_push(e, 0, p);
		return;
	}
	uint8_t *ip = rt_pkt_ip(p);
	uint32_t hlen = (uint32_t)(ip[0] & 15) << 2;
	uint32_t iplen = rt_rd16(ip + 2);
	if (hlen < 20 || hlen > nlen || iplen < hlen) {
		rt_push(e, 1, p);
		return;
	}
	if (iplen > nlen)
		iplen = nlen;
	uint32_t in_dlen = iplen - hlen;
	int64_t fd = ((int64_t)mtu - hlen) & ~(int64_t)7;
	uint16_t offw = rt_rd16(ip + 6);
	if (((offw & RT_IP_DF) && honor_df) || fd < 8) {
		rt_push(e, 1, p);
		return;
	}
	uint32_t first_dlen = (uint32_t)fd;
	if (offw & RT_IP_DF) {
		offw &= (uint16_t)~RT_IP_DF;
		rt_wr16(ip + 4, (uint16_t)(rt_random(e) % 0xffff + 1));
	}
	uint8_t opts[IPOPS_MAX_OPTIONS];
	uint32_t olen = copied_options(ip, hlen, opts);
	uint32_t out_hlen = 20 + olen;
	uint32_t out_dlen = (mtu - out_hlen) & ~7u;
	if (first_dlen >= in_dlen) {
		/* Only trailing bytes beyond ip_len made it long: nothing to split. */
		rt_push(e, 0, p);
		return;
	}
	uint32_t base_off = offw & RT_IP_OFFMASK;
	bool orig_mf = offw & RT_IP_MF;
	uint16_t flags = offw & (uint16_t)~(RT_IP_OFFMASK | RT_IP_MF);
	/* Later fragments are built first (from the untouched payload), the
	 * first is shortened in place, then all go out first to last. */
	struct rt_pkt *frags[MAX_FRAGMENTS];
	uint32_t nfr = 0;
	const uint8_t *payload = ip + hlen;
	if (out_dlen < 8) {
		rt_push(e, 1, p);
		return;
	}
	for (uint32_t off = first_dlen; off < in_dlen && nfr < MAX_FRAGMENTS; off += out_dlen) {
		uint32_t dl = in_dlen - off < out_dlen ? in_dlen - off : out_dlen;
		struct rt_pkt *q = rt_pkt_alloc(e, out_hlen + dl);
		if (!q)
			break;
		uint8_t *qip = rt_pkt_data(q);
		memcpy(qip, ip, 20);
		memcpy(qip + 20, opts, olen);
		memcpy(qip + out_hlen, payload + off, dl);
		qip[0] = (uint8_t)(0x40 | (out_hlen >> 2));
		bool last = off + dl >= in_dlen;
		uint16_t w = (uint16_t)(flags | ((base_off + (off >> 3)) & RT_IP_OFFMASK));
		if (!last || orig_mf)
			w |= RT_IP_MF;
		rt_wr16(qip + 6, w);
		rt_wr16(qip + 2, (uint16_t)(out_hlen + dl));
		rt_ip_set_csum(qip, out_hlen);
		q->len = out_hlen + dl;
		rt_pkt_set_ip_header(q, 0, out_hlen);
		memcpy(q->anno, p->anno, sizeof q->anno);
		q->pkt_type = p->pkt_type;
		q->tstamp_ns = p->tstamp_ns;
		q->first_tstamp_ns = p->first_tstamp_ns;
		frags[nfr++] = q;
	}
	if (nfr == 0 || nfr == MAX_FRAGMENTS) {
		for (uint32_t i = 0; i < nfr; i++)
			rt_drop(e, frags[i]);
		rt_drop(e, p);
		return;
	}
	rt_wr16(ip + 2, (uint16_t)(hlen + first_dlen));
	rt_wr16(ip + 6, (uint16_t)(flags | base_off | RT_IP_MF));
	rt_ip_set_csum(ip, hlen);
	p->len = (uint32_t)p->ip_off - p->off + hlen + first_dlen;
	rt_push(e, 0, p);
	for (uint32_t i = 0; i < nfr; i++)
		rt_push(e, 0, frags[i]);
}

static void ipfragmenter_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	const struct ipfragmenter_conf *c = e->conf;
	fragment(e, p, c->mtu, c->honor_df);
}

static const struct elem_runtime ipfragmenter_runtime = { .push = ipfragmenter_push };

/* ---- describe and the class objects ---- */
static json_t *ipfragmenter_describe(const void *conf)
{
	const struct ipfragmenter_conf *c = conf;
	return json_pack("{s:I, s:b, s:b, s:I}", "MTU", (json_int_t)c->mtu, "HONOR_DF", c->honor_df,
	                 "VERBOSE", c->verbose, "HEADROOM", (json_int_t)c->headroom);
}

const struct click_class elem_ipfragmenter = {
	.name = "IPFragmenter",
	.port_count = "1/1-2",
	.processing = "h/h",
	.configure = ipfragmenter_configure,
	.model = &ipfragmenter_model,
	.runtime = &ipfragmenter_runtime,
	.describe = ipfragmenter_describe,
	.doc_args = "MTU (unsigned, at least 8; mandatory), [HONOR_DF] (bool, default true), "
	            "[VERBOSE] (bool, default false); keyword HEADROOM (unsigned, default 0: the "
	            "runtime's)",
	.doc_model = "Packets up to MTU pass unchanged; longer DF packets go to output 1 when "
	             "HONOR_DF. The first fragment is exact, the later ones are summarised by one "
	             "approximate flow, and a packet that needs 64 or more fragments is dropped, "
	             "as the runtime does.",
};
