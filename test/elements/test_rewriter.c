/* The rewriters' header rewrite (rw_apply) on real packets: a NAPT mapping
 * forward and back, checksums kept valid, a zero UDP checksum left zero. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "elements/internal.h"
#include "runtime/runtime.h"

/* A UDP/IPv4 packet at data offset 0 of p with valid checksums. */
static void make_udp(struct rt_pkt *p, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                     uint32_t payload)
{
	uint8_t *ip = rt_pkt_data(p);
	uint32_t tot = 28 + payload;
	memset(ip, 0, tot);
	ip[0] = 0x45;
	rt_wr16(ip + 2, (uint16_t)tot);
	rt_wr16(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = RT_IP_PROTO_UDP;
	rt_wr32(ip + 12, src);
	rt_wr32(ip + 16, dst);
	uint8_t *u = ip + 20;
	rt_wr16(u, sport);
	rt_wr16(u + 2, dport);
	rt_wr16(u + 4, (uint16_t)(8 + payload));
	for (uint32_t i = 0; i < payload; i++)
		u[8 + i] = (uint8_t)(i * 7 + 3);
	uint16_t c = rt_csum_fold(rt_csum_add(rt_csum_pseudo(ip, (uint16_t)(8 + payload)), u, 8 + payload));
	rt_wr16(u + 6, c ? c : 0xffff);
	rt_ip_set_csum(ip, 20);
	p->len = tot;
	rt_pkt_set_ip_header(p, 0, 20);
}

static int udp_csum_ok(const uint8_t *ip)
{
	uint16_t ulen = rt_rd16(ip + 24);
	return rt_csum_fold(rt_csum_add(rt_csum_pseudo(ip, ulen), ip + 20, ulen)) == 0;
}

static void test_apply_napt(void **st)
{
	(void)st;
	struct rt_simple_pool *sp = rt_simple_pool_new(4, 2048, 64);
	struct rt_pool pool = rt_simple_pool_ops(sp);
	struct rt_pkt *p = pool.alloc(pool.ctx, 200);
	make_udp(p, 0x01020304, 5555, 0x0a0b0c0d, 1500, 37);
	uint32_t cap = 8;
	struct rt_flowtab *t = calloc(1, sizeof *t);
	rt_flowtab_init(t, cap, NULL);
	struct rt_flowid k = rt_pkt_flowid(p, true);
	assert_int_equal(k.sport, 5555);
	struct rt_flowid r = k;
	r.daddr = 0xac100f85; /* 172.16.15.133 */
	r.sport = 61000;
	struct rt_flow *f = rt_flowtab_insert(t, &k, &r, 0, 100, 0);
	rw_apply(f, 0, p, false, true, -1);
	uint8_t *ip = rt_pkt_ip(p);
	assert_int_equal(rt_rd32(ip + 16), 0xac100f85);
	assert_int_equal(rt_pkt_dst_anno(p), 0xac100f85);
	assert_int_equal(rt_rd16(ip + 20), 61000);
	assert_int_equal(rt_csum(ip, 20), 0);
	assert_true(udp_csum_ok(ip));
	/* the reply comes back and is mapped to the original flow */
	struct rt_pkt *q = pool.alloc(pool.ctx, 200);
	make_udp(q, 0xac100f85, 1500, 0x01020304, 61000, 3);
	int dir;
	struct rt_flowid qk = rt_pkt_flowid(q, true);
	assert_ptr_equal(rt_flowtab_lookup(t, &qk, &dir), f);
	assert_int_equal(dir, 1);
	rw_apply(f, 1, q, false, true, -1);
	ip = rt_pkt_ip(q);
	assert_int_equal(rt_rd32(ip + 12), 0x0a0b0c0d);
	assert_int_equal(rt_rd16(ip + 22), 5555);
	assert_int_equal(rt_csum(ip, 20), 0);
	assert_true(udp_csum_ok(ip));
	/* a zero UDP checksum stays zero */
	make_udp(q, 0x01020304, 5555, 0x0a0b0c0d, 1500, 5);
	rt_wr16(rt_pkt_ip(q) + 26, 0);
	rw_apply(f, 0, q, false, true, -1);
	assert_int_equal(rt_rd16(rt_pkt_ip(q) + 26), 0);
	assert_int_equal(rt_csum(rt_pkt_ip(q), 20), 0);
	pool.free(pool.ctx, p);
	pool.free(pool.ctx, q);
	assert_int_equal(rt_simple_pool_in_use(sp), 0);
	rt_flowtab_fini(t);
	free(t);
	rt_simple_pool_free(sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_napt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
