/* IPv4 addresses and prefixes in host byte order, as every parser in innet
 * (snapshots, tenants, Click arguments, requirements) reads them. */
#ifndef INNET_BASE_INET_H
#define INNET_BASE_INET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct inet_prefix {
	uint32_t addr; /* host order, masked */
	uint8_t len;   /* 0..32 */
};

/* "a.b.c.d" exactly (n bytes of s). 0 or -EINVAL. */
int inet_parse_addr(const char *s, size_t n, uint32_t *out);
/* "a.b.c.d/len" or a bare address (/32). Host bits must be zero unless
 * `allow_host_bits` (then they are masked off). 0 or -EINVAL. */
int inet_parse_prefix(const char *s, size_t n, bool allow_host_bits, struct inet_prefix *out);
static inline uint32_t inet_mask(uint8_t len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}
static inline bool inet_prefix_contains(struct inet_prefix p, uint32_t addr)
{
	return (addr & inet_mask(p.len)) == p.addr;
}
static inline bool inet_prefix_overlaps(struct inet_prefix a, struct inet_prefix b)
{
	uint8_t l = a.len < b.len ? a.len : b.len;
	return (a.addr & inet_mask(l)) == (b.addr & inet_mask(l));
}
/* buf must hold 16 bytes ("255.255.255.255"); returns buf. */
char *inet_format_addr(uint32_t addr, char *buf);
/* buf must hold 19 bytes; returns buf. */
char *inet_format_prefix(struct inet_prefix p, char *buf);

#endif
