/* IPv4 packet steps that several elements' packet functions share, each as
 * the named Click elements do it. Addresses are host order. */
#ifndef INNET_ELEMENTS_IPOPS_H
#define INNET_ELEMENTS_IPOPS_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/net.h"

/* Most IPv4 option bytes (a 60-byte header less its 20 fixed bytes). */
#define IPOPS_MAX_OPTIONS 40

/* The length of the option at ip + i (20 <= i < hlen, the header length):
 * 1 for NOP, 0 for EOL (the list ends), or -1 when it runs past the header
 * or its length byte is below 2, with *bad the offset of the byte at fault
 * (for a parameter problem). The option walk of IPFragmenter, ICMPError
 * and IPOutputCombo. */
static inline int ipops_option_len(const uint8_t *ip, uint32_t hlen, uint32_t i, uint32_t *bad)
{
	if (ip[i] == 0 || ip[i] == 1)
		return ip[i];
	if (i + 1 >= hlen) {
		*bad = i;
		return -1;
	}
	uint32_t l = ip[i + 1];
	if (l < 2 || i + l > hlen) {
		*bad = i + 1;
		return -1;
	}
	return (int)l;
}

/* Is a in 224.0.0.0/4 (DecIPTTL, ICMPError)? */
static inline bool ipops_is_multicast(uint32_t a) { return (a & 0xf0000000u) == 0xe0000000u; }

/* Is a one of the n addresses v (CheckIPHeader's BADSRC/GOODDST,
 * ICMPError's BADADDRS)? */
static inline bool ipops_addr_in(uint32_t a, const uint32_t *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i] == a)
			return true;
	return false;
}

/* Decrement the TTL of ip (above 1) with DecIPTTL's own checksum update
 * (add 0xFEFF, fold once, as Click's DecIPTTL does), which IPOutputCombo
 * shares. */
static inline void ipops_dec_ttl(uint8_t *ip)
{
	ip[8]--;
	uint32_t sum = (uint32_t)(~rt_rd16(ip + 10) & 0xffff) + 0xfeff;
	rt_wr16(ip + 10, (uint16_t)~(uint16_t)(sum + (sum >> 16)));
}

#endif
