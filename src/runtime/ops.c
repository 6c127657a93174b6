#include <errno.h>
#include <string.h>

#include "runtime/net.h"
#include "runtime/ops.h"

/* Most IPv4 option bytes (a 60-byte header less its 20 fixed bytes). */
#define IP_MAX_OPTIONS 40
/* IPFragmenter drops a packet that would need this many fragments or more. */
#define MAX_FRAGMENTS 64

static bool in_list(uint32_t a, const uint32_t *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i] == a)
			return true;
	return false;
}

int rt_op_check_ip(struct rt_pkt *p, uint32_t offset, bool checksum,
                   const uint32_t *badsrc, uint32_t nbadsrc,
                   const uint32_t *gooddst, uint32_t ngooddst)
{
	if (p->len < offset || p->len - offset < 20)
		return -EINVAL;
	const uint8_t *ip = rt_pkt_data(p) + offset;
	uint32_t plen = p->len - offset;
	if ((ip[0] >> 4) != 4)
		return -EINVAL;
	uint32_t hlen = (uint32_t)(ip[0] & 15) << 2;
	if (hlen < 20)
		return -EINVAL;
	uint32_t len = rt_rd16(ip + 2);
	if (len > plen || len < hlen)
		return -EINVAL;
	if (checksum && rt_csum(ip, hlen) != 0)
		return -EINVAL;
	uint32_t src = rt_rd32(ip + 12), dst = rt_rd32(ip + 16);
	if (in_list(src, badsrc, nbadsrc) && !in_list(dst, gooddst, ngooddst))
		return -EINVAL;
	rt_pkt_set_ip_header(p, offset, hlen);
	if (plen > len)
		p->len -= plen - len;
	rt_pkt_set_dst_anno(p, dst);
	return 0;
}

int rt_op_dec_ttl(struct rt_pkt *p, bool active, bool multicast)
{
	if (!active)
		return 0;
	if (!rt_pkt_has_ip(p) || rt_pkt_ip_avail(p) < 20)
		return -EINVAL;
	uint8_t *ip = rt_pkt_ip(p);
	if (!multicast && rt_ip_is_multicast(rt_rd32(ip + 16)))
		return 0;
	if (ip[8] <= 1)
		return 1;
	ip[8]--;
	/* DecIPTTL's own update (SOSP'99 2.4.1.1): add 0xFEFF, fold once. */
	uint32_t sum = (uint32_t)(~rt_rd16(ip + 10) & 0xffff) + 0xfeff;
	rt_wr16(ip + 10, (uint16_t)~(uint16_t)(sum + (sum >> 16)));
	return 0;
}

uint32_t rt_op_ip_copied_options(const uint8_t *ip, uint32_t hlen, uint8_t *out)
{
	uint32_t n = 0;
	for (uint32_t i = 20; i < hlen;) {
		uint8_t t = ip[i];
		if (t == 0)
			break;
		if (t == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hlen)
			break;
		uint32_t l = ip[i + 1];
		if (l < 2 || i + l > hlen)
			break;
		if (t & 0x80) {
			if (out)
				memcpy(out + n, ip + i, l);
			n += l;
		}
		i += l;
	}
	while (n & 3) {
		if (out)
			out[n] = 0;
		n++;
	}
	return n;
}

void rt_op_fragment(struct rt_elem *e, struct rt_pkt *p, uint32_t mtu, bool honor_df)
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
	uint8_t opts[IP_MAX_OPTIONS];
	uint32_t olen = rt_op_ip_copied_options(ip, hlen, opts);
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

/* RFC 1812 tests as Click's ICMPError makes them. */
static bool unicast(uint32_t a, const uint32_t *bad, uint32_t n)
{
	return a != 0xffffffffu && !rt_ip_is_multicast(a) && !in_list(a, bad, n);
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
	for (uint32_t i = 20; i < hlen;) {
		uint8_t t = ip[i];
		if (t == 1) {
			i++;
			continue;
		}
		if (t == 0 || i + 1 >= hlen)
			return 0;
		uint32_t l = ip[i + 1];
		if (l < 2 || i + l > hlen)
			return 0;
		if ((t == 131 || t == 137) && l >= 3 && ip[i + 2] >= 4 && ip[i + 2] % 4 == 0 &&
		    ip[i + 2] <= l + 1)
			return i;
		i += l;
	}
	return 0;
}

struct rt_pkt *rt_op_icmp_error(struct rt_elem *e, const struct rt_pkt *p,
                                const struct icmp_error_args *a)
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
	if (!unicast(dst, a->badaddrs, a->nbadaddrs))
		return NULL;
	if (p->pkt_type == RT_PKT_BROADCAST || p->pkt_type == RT_PKT_MULTICAST)
		return NULL;
	if (!valid_source(src, a->badaddrs, a->nbadaddrs))
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
	uint8_t opt[IP_MAX_OPTIONS];
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
		if (olen > IP_MAX_OPTIONS)
			olen = IP_MAX_OPTIONS;
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
	if (a->id)
		rt_wr16(n + 4, ++*a->id);
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

int rt_op_ping_reply(struct rt_pkt *p, uint64_t now)
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
	rt_pkt_set_dst_anno(p, s);
	p->anno[RT_ANNO_PAINT] = 0;
	p->tstamp_ns = now;
	return 0;
}
