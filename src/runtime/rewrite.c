#include "runtime/net.h"
#include "runtime/rewrite.h"

struct rt_flowid rt_pkt_flowid(const struct rt_pkt *p, bool ports)
{
	const uint8_t *ip = rt_pkt_ip(p);
	struct rt_flowid k = { .saddr = rt_rd32(ip + 12), .daddr = rt_rd32(ip + 16), .proto = ip[9] };
	if (ports && rt_ip_first_frag(ip) && rt_pkt_transp_avail(p) >= 4) {
		const uint8_t *t = rt_pkt_transp(p);
		k.sport = rt_rd16(t);
		k.dport = rt_rd16(t + 2);
	}
	return k;
}

void rt_flow_apply(const struct rt_flow *f, int dir, struct rt_pkt *p,
                   enum rt_rewrite_mode mode, bool dst_anno, int reply_anno_off)
{
	uint8_t *ip = rt_pkt_ip(p);
	struct rt_flowid to = dir ? rt_flowid_reverse(f->key) : f->rew;
	if (mode == RT_REWRITE_NAPT || dir == 0)
		rt_wr32(ip + 12, mode == RT_REWRITE_ADDR ? f->rew.saddr : to.saddr);
	if (mode == RT_REWRITE_NAPT || dir == 1)
		rt_wr32(ip + 16, mode == RT_REWRITE_ADDR ? f->key.saddr : to.daddr);
	if (dst_anno && (mode == RT_REWRITE_NAPT || dir == 1))
		rt_pkt_set_dst_anno(p, rt_rd32(ip + 16));
	if (dir && reply_anno_off >= 0 && reply_anno_off < RT_ANNO_SIZE)
		p->anno[reply_anno_off] = f->reply_anno;
	uint32_t ipd = dir ? (uint16_t)~f->ip_delta : f->ip_delta;
	uint32_t l4d = dir ? (uint16_t)~f->l4_delta : f->l4_delta;
	if (ipd)
		rt_csum_apply_delta(ip + 10, ipd);
	if (!rt_ip_first_frag(ip))
		return;
	uint32_t tl = rt_pkt_transp_avail(p);
	uint8_t *t = rt_pkt_transp(p);
	if (mode == RT_REWRITE_NAPT && tl >= 4) {
		rt_wr16(t, to.sport);
		rt_wr16(t + 2, to.dport);
	}
	if (!l4d)
		return;
	if (ip[9] == RT_IP_PROTO_TCP) {
		if (tl >= 18)
			rt_csum_apply_delta(t + 16, l4d);
	} else if (ip[9] == RT_IP_PROTO_UDP) {
		if (tl >= 8 && rt_rd16(t + 6))
			rt_csum_apply_delta(t + 6, l4d);
	}
}
