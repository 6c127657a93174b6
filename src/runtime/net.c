#include "runtime/runtime.h"

uint32_t rt_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t s = sum;
	size_t i = 0;
	/* 32-bit big-endian words into a 64-bit accumulator: same sum */
	for (; i + 3 < len; i += 4)
		s += (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 | (uint32_t)p[i + 2] << 8 | p[i + 3];
	for (; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		s += (uint32_t)p[i] << 8;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	/* fold the 32-bit words' halves: a multiple of 0xffff apart, so equal
	 * modulo one's complement */
	s = (s & 0xffff) + (s >> 16);
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t rt_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t rt_csum_pseudo(const uint8_t *ip, uint16_t transport_len)
{
	uint32_t s = rt_csum_add(0, ip + 12, 8);
	return s + ip[9] + transport_len;
}

void rt_csum_apply_delta(uint8_t *csum, uint32_t delta)
{
	uint32_t sum = (uint32_t)(~rt_rd16(csum) & 0xffff) + delta;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	rt_wr16(csum, (uint16_t)~sum);
}

void rt_csum_update16(uint8_t *csum, uint16_t old_w, uint16_t new_w)
{
	rt_csum_apply_delta(csum, (uint32_t)(uint16_t)~old_w + new_w);
}

void rt_csum_update32(uint8_t *csum, uint32_t old_v, uint32_t new_v)
{
	uint32_t d = (uint32_t)(uint16_t)~(old_v >> 16) + (uint16_t)~old_v + (new_v >> 16) + (new_v & 0xffff);
	rt_csum_apply_delta(csum, d);
}

void rt_ip_set_csum(uint8_t *ip, uint32_t hlen)
{
	ip[10] = ip[11] = 0;
	if (hlen == 20) {
		/* the usual header: the unrolled sum, in native order */
		uint16_t c = (uint16_t)~rt__ip_sum20(ip);
		memcpy(ip + 10, &c, 2);
		return;
	}
	rt_wr16(ip + 10, rt_csum(ip, hlen));
}
