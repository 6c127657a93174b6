/* Packet operations shared by several elements' packet functions (and by
 * the agreement harness): each does exactly what the named Click element
 * does to one packet. Addresses are host order. */
#ifndef INNET_RUNTIME_OPS_H
#define INNET_RUNTIME_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/runtime.h"

/* CheckIPHeader: the six checks at data offset `offset`; on success sets the
 * IP header and dst-IP annotations and trims bytes beyond ip_len. badsrc /
 * gooddst are address lists (n may be 0). 0 on success, -EINVAL if not. */
int rt_op_check_ip(struct rt_pkt *p, uint32_t offset, bool checksum,
                   const uint32_t *badsrc, uint32_t nbadsrc,
                   const uint32_t *gooddst, uint32_t ngooddst);

/* DecIPTTL on an IP-annotated packet: 0 = output 0 (decremented or passed
 * through), 1 = output 1 (ttl <= 1), -EINVAL = no IP header. */
int rt_op_dec_ttl(struct rt_pkt *p, bool active, bool multicast);

/* IPFragmenter: pushes the packet or its fragments (first to last) to
 * output 0 of e, or the packet to output 1 when DF forbids fragmenting. */
void rt_op_fragment(struct rt_elem *e, struct rt_pkt *p, uint32_t mtu, bool honor_df);

/* ICMPError: the error packet about p (p is left alone), or NULL when Click
 * sends none (Click's ICMPError documentation). */
struct icmp_error_args {
	uint32_t src;
	uint8_t type, code;
	uint32_t mtu, pmtu;
	bool use_fix_anno;
	const uint32_t *badaddrs;
	uint32_t nbadaddrs;
	uint16_t *id; /* per-element IP ID counter, pre-incremented (may be NULL) */
};
struct rt_pkt *rt_op_icmp_error(struct rt_elem *e, const struct rt_pkt *p,
                                const struct icmp_error_args *a);

/* ICMPPingResponder: turns an echo request into the reply in place and
 * returns 0; -EINVAL when p is not an echo request (output 1). */
int rt_op_ping_reply(struct rt_pkt *p, uint64_t now);

/* Bytes of the options of ip (header length hlen) whose "copied" flag is
 * set, written to out (if not NULL) padded to 4 bytes; returns the count. */
uint32_t rt_op_ip_copied_options(const uint8_t *ip, uint32_t hlen, uint8_t *out);

static inline bool rt_ip_is_multicast(uint32_t a) { return (a & 0xf0000000u) == 0xe0000000u; }

#endif
