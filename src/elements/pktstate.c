/* Packets held in an element's state (queues, ARPQuerier's waiting
 * packets) saved and loaded with it: a suspended module keeps them. */
#include <string.h>

#include "elements/internal.h"
#include "runtime/runtime.h"

/* A packet's bytes: its headroom offset, the headroom bytes from the
 * lowest of its MAC and IP header annotations (Unstrip may need them), its
 * data, its header annotations, its byte annotations up to the last one
 * set, and the age of its timestamps. */
static uint32_t pkt_low(const struct rt_pkt *p)
{
	uint32_t lo = p->off;
	if (p->mac_off >= 0 && (uint32_t)p->mac_off < lo)
		lo = (uint32_t)p->mac_off;
	if (p->ip_off >= 0 && (uint32_t)p->ip_off < lo)
		lo = (uint32_t)p->ip_off;
	return lo;
}

void elem_save_pkt(struct rt_wbuf *w, const struct rt_pkt *p, uint64_t now_ns)
{
	uint32_t lo = pkt_low(p);
	rt_wbuf_varint(w, p->off);
	rt_wbuf_varint(w, p->off - lo);
	rt_wbuf_varint(w, p->len);
	rt_wbuf_put(w, p->buf + lo, (size_t)(p->off - lo) + p->len);
	rt_wbuf_varint(w, (uint64_t)((int64_t)p->mac_off + 1)); /* RT_NO_HDR: 0 */
	rt_wbuf_varint(w, (uint64_t)((int64_t)p->ip_off + 1));
	rt_wbuf_varint(w, p->ip_hlen);
	rt_wbuf_u8(w, p->pkt_type);
	uint32_t na = RT_ANNO_SIZE; /* annotations up to the last byte set: most are zero */
	while (na && !p->anno[na - 1])
		na--;
	rt_wbuf_u8(w, (uint8_t)na);
	rt_wbuf_put(w, p->anno, na);
	rt_wbuf_varint(w, now_ns > p->tstamp_ns ? now_ns - p->tstamp_ns : 0);
	rt_wbuf_varint(w, p->first_tstamp_ns && now_ns > p->first_tstamp_ns ? now_ns - p->first_tstamp_ns : 0);
}

/* A header annotation read back: inside the buffer or unset. */
static int32_t load_off(struct rt_rbuf *r, uint32_t cap)
{
	uint64_t v = rt_rbuf_varint(r);
	if (v == 0)
		return RT_NO_HDR;
	if (v - 1 >= cap)
		r->bad = true;
	return r->bad ? RT_NO_HDR : (int32_t)(v - 1);
}

struct rt_pkt *elem_load_pkt(struct rt_elem *e, struct rt_rbuf *r, uint64_t now_ns, uint64_t away_ns)
{
	uint64_t off = rt_rbuf_varint(r), pre = rt_rbuf_varint(r), len = rt_rbuf_varint(r);
	if (r->bad || pre > off || off > UINT16_MAX || len > UINT16_MAX || pre + len > rt_rbuf_left(r)) {
		r->bad = true;
		return NULL;
	}
	struct rt_pkt *p = rt_pkt_alloc(e, (uint32_t)(off + len));
	if (p && p->cap < off + len) {
		rt_consume(e, p);
		p = NULL;
	}
	struct rt_pkt tmp; /* where the fields go when there is no packet */
	struct rt_pkt *q = p ? p : &tmp;
	if (p) {
		q->off = (uint32_t)off;
		q->len = (uint32_t)len;
		rt_rbuf_get(r, q->buf + off - pre, (size_t)(pre + len));
	} else {
		r->off += (size_t)(pre + len);
	}
	q->mac_off = load_off(r, p ? p->cap : UINT32_MAX);
	q->ip_off = load_off(r, p ? p->cap : UINT32_MAX);
	uint64_t hlen = rt_rbuf_varint(r);
	if (hlen > 60)
		r->bad = true; /* not an IPv4 header length */
	q->ip_hlen = (uint32_t)(hlen <= 60 ? hlen : 0);
	q->pkt_type = rt_rbuf_u8(r);
	uint8_t na = rt_rbuf_u8(r);
	if (na > RT_ANNO_SIZE)
		r->bad = true;
	memset(q->anno, 0, RT_ANNO_SIZE);
	rt_rbuf_get(r, q->anno, r->bad ? 0 : na);
	uint64_t age = rt_rbuf_varint(r) + away_ns, fage = rt_rbuf_varint(r);
	q->tstamp_ns = now_ns > age ? now_ns - age : 0;
	q->first_tstamp_ns = fage && now_ns > fage + away_ns ? now_ns - fage - away_ns : 0;
	if (p && r->bad) {
		rt_consume(e, p);
		return NULL;
	}
	return p;
}
