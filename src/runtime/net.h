/* Byte-order access and Internet checksums for packet functions, computed
 * the way Click computes them (click_in_cksum, RFC 1624 updates). */
#ifndef INNET_RUNTIME_NET_H
#define INNET_RUNTIME_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline uint16_t rt_rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rt_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void rt_wr16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static inline void rt_wr32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

enum {
	RT_IP_PROTO_ICMP = 1,
	RT_IP_PROTO_TCP = 6,
	RT_IP_PROTO_UDP = 17,
	RT_IP_DF = 0x4000,
	RT_IP_MF = 0x2000,
	RT_IP_OFFMASK = 0x1fff,
};

/* One's-complement sum of len bytes (big-endian words) added to sum. */
uint32_t rt_csum_add(uint32_t sum, const uint8_t *p, size_t len);
/* Fold and complement: the checksum field value. */
uint16_t rt_csum_fold(uint32_t sum);
/* The Internet checksum of len bytes (click_in_cksum). */
static inline uint16_t rt_csum(const uint8_t *p, size_t len) { return rt_csum_fold(rt_csum_add(0, p, len)); }
/* TCP/UDP pseudo-header sum for an IPv4 header (src, dst, proto, len). */
uint32_t rt_csum_pseudo(const uint8_t *ip, uint16_t transport_len);

/* RFC 1624 eqn. 3 (click_update_in_cksum): field at csum goes from old to new. */
void rt_csum_update16(uint8_t *csum, uint16_t old_w, uint16_t new_w);
void rt_csum_update32(uint8_t *csum, uint32_t old_v, uint32_t new_v);
/* Add a precomputed one's-complement delta (sum of ~old + new words). */
void rt_csum_apply_delta(uint8_t *csum, uint32_t delta);

/* Recompute the IPv4 header checksum in place. */
void rt_ip_set_csum(uint8_t *ip, uint32_t hlen);

/* CheckIPHeader's header checks on the IPv4 header at ip, with avail bytes
 * from it: version 4, header length at least 20, total length between the
 * header length and avail, and (when checksum) the header checksum. The
 * header length, or 0 when a check fails. Devices and CheckIPHeader. */
static inline uint32_t rt_ip_header_len(const uint8_t *ip, uint32_t avail, bool checksum)
{
	if (avail < 20 || (ip[0] >> 4) != 4)
		return 0;
	uint32_t hlen = (uint32_t)(ip[0] & 15) << 2, tot = rt_rd16(ip + 2);
	if (hlen < 20 || tot < hlen || tot > avail)
		return 0;
	if (checksum && rt_csum(ip, hlen) != 0)
		return 0;
	return hlen;
}

static inline int rt_ip_first_frag(const uint8_t *ip) { return (rt_rd16(ip + 6) & RT_IP_OFFMASK) == 0; }
static inline int rt_ip_is_frag(const uint8_t *ip) { return (rt_rd16(ip + 6) & (RT_IP_OFFMASK | RT_IP_MF)) != 0; }

#endif
