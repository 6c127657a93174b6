#include "base/inet.h"

#include <errno.h>
#include <stdio.h>

int inet_parse_addr(const char *s, size_t n, uint32_t *out)
{
	uint32_t addr = 0;
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part) {
			if (i >= n || s[i] != '.')
				return -EINVAL;
			i++;
		}
		size_t start = i;
		uint32_t v = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 4)
			v = v * 10 + (uint32_t)(s[i++] - '0');
		if (i == start || i - start > 3 || v > 255)
			return -EINVAL;
		if (i - start > 1 && s[start] == '0')
			return -EINVAL; /* no octal ambiguity */
		addr = addr << 8 | v;
	}
	if (i != n)
		return -EINVAL;
	*out = addr;
	return 0;
}

int inet_parse_prefix(const char *s, size_t n, bool allow_host_bits, struct inet_prefix *out)
{
	size_t slash = 0;
	while (slash < n && s[slash] != '/')
		slash++;
	uint32_t addr;
	if (inet_parse_addr(s, slash, &addr))
		return -EINVAL;
	unsigned len = 32;
	if (slash < n) {
		size_t i = slash + 1;
		if (i == n || n - i > 2)
			return -EINVAL;
		len = 0;
		for (; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -EINVAL;
			len = len * 10 + (unsigned)(s[i] - '0');
		}
		if (len > 32)
			return -EINVAL;
	}
	uint32_t m = inet_mask((uint8_t)len);
	if ((addr & ~m) && !allow_host_bits)
		return -EINVAL;
	out->addr = addr & m;
	out->len = (uint8_t)len;
	return 0;
}

char *inet_format_addr(uint32_t a, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	return buf;
}

char *inet_format_prefix(struct inet_prefix p, char *buf)
{
	char tmp[16];
	snprintf(buf, 19, "%s/%u", inet_format_addr(p.addr, tmp), p.len);
	return buf;
}
