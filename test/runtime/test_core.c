/* Runtime building blocks without a graph: checksums, the flow table,
 * applying mappings, the token bucket, the simple pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "elements/rewriter.h"
#include "runtime/flowtab.h"
#include "runtime/net.h"
#include "runtime/runtime.h"
#include "base/tbucket.h"

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

static void test_csum_update(void **st)
{
	(void)st;
	uint8_t h[20] = { 0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };
	rt_ip_set_csum(h, 20);
	assert_int_equal(rt_csum(h, 20), 0);
	for (uint32_t v = 0; v < 100000; v += 77) {
		uint32_t old = rt_rd32(h + 12), nv = v * 2654435761u;
		rt_wr32(h + 12, nv);
		rt_csum_update32(h + 10, old, nv);
		assert_int_equal(rt_csum(h, 20), 0);
	}
}

static void test_flowtab(void **st)
{
	(void)st;
	uint32_t cap = 4;
	struct rt_flowtab *t = calloc(1, rt_flowtab_size(cap));
	rt_flowtab_init(t, cap);
	struct rt_flowid k[6], r[6];
	for (int i = 0; i < 6; i++) {
		k[i] = (struct rt_flowid){ 0x0a000001 + i, 0x0a000100, 1000 + i, 80, 17 };
		r[i] = (struct rt_flowid){ 0xc0a80001, 0x0a000100, 2000 + i, 80, 17 };
	}
	for (int i = 0; i < 4; i++) {
		struct rt_flow *f = rt_flowtab_insert(t, &k[i], &r[i], 0);
		assert_non_null(f);
		f->guarantee = 100;
		f->expiry = 1000 + i;
	}
	assert_int_equal(rt_flowtab_count(t), 4);
	/* full of guaranteed flows: refused */
	assert_null(rt_flowtab_insert(t, &k[4], &r[4], 50));
	/* past the guarantee the soonest-expiring one is evicted */
	struct rt_flow *f4 = rt_flowtab_insert(t, &k[4], &r[4], 200);
	assert_non_null(f4);
	f4->expiry = 5000;
	int dir = -1;
	assert_null(rt_flowtab_lookup(t, &k[0], &dir));
	struct rt_flowid rep = rt_flowid_reverse(r[2]);
	struct rt_flow *f = rt_flowtab_lookup(t, &rep, &dir);
	assert_non_null(f);
	assert_int_equal(dir, 1);
	assert_int_equal(f->key.sport, 1002);
	assert_true(rt_flowtab_lookup(t, &k[3], &dir) && dir == 0);
	/* a taken reply key is refused */
	assert_null(rt_flowtab_insert(t, &k[5], &r[3], 300));
	assert_int_equal(rt_flowtab_reap(t, 1003), 2); /* expiry 1001, 1002 */
	assert_int_equal(rt_flowtab_count(t), 2);
	assert_non_null(rt_flowtab_lookup(t, &k[3], &dir));
	assert_non_null(rt_flowtab_lookup(t, &k[4], &dir));
	free(t);
}

static void test_flowtab_churn(void **st)
{
	(void)st;
	uint32_t cap = 64;
	struct rt_flowtab *t = calloc(1, rt_flowtab_size(cap));
	rt_flowtab_init(t, cap);
	uint32_t seed = 1;
	for (int round = 0; round < 20000; round++) {
		seed = seed * 1103515245 + 12345;
		struct rt_flowid a = { seed % 97, 5, (uint16_t)(seed >> 8) % 50 + 1, 1, 6 };
		struct rt_flowid b = { 7, 5, (uint16_t)(seed >> 16) % 500 + 1, 1, 6 };
		int dir;
		struct rt_flow *f = rt_flowtab_lookup(t, &a, &dir);
		if (f && dir == 0) {
			rt_flowtab_remove(t, f);
			assert_null(rt_flowtab_lookup(t, &a, &dir));
		} else if (!f) {
			f = rt_flowtab_insert(t, &a, &b, 0);
			if (f) {
				struct rt_flowid rb = rt_flowid_reverse(b);
				assert_ptr_equal(rt_flowtab_lookup(t, &a, &dir), f);
				assert_ptr_equal(rt_flowtab_lookup(t, &rb, &dir), f);
				assert_int_equal(dir, 1);
			}
		}
		assert_true(rt_flowtab_count(t) <= cap);
	}
	/* every live flow is still reachable by both keys */
	for (uint32_t i = 0; i < cap; i++) {
		struct rt_flow *f = rt_flowtab_at(t, i);
		if (!f->used)
			continue;
		int dir;
		struct rt_flowid rb = rt_flowid_reverse(f->rew);
		assert_ptr_equal(rt_flowtab_lookup(t, &f->key, &dir), f);
		assert_ptr_equal(rt_flowtab_lookup(t, &rb, &dir), f);
	}
	free(t);
}

static void test_apply_napt(void **st)
{
	(void)st;
	struct rt_simple_pool *sp = rt_simple_pool_new(4, 2048, 64);
	struct rt_pool pool = rt_simple_pool_ops(sp);
	struct rt_pkt *p = pool.alloc(pool.ctx, 200);
	make_udp(p, 0x01020304, 5555, 0x0a0b0c0d, 1500, 37);
	uint32_t cap = 8;
	struct rt_flowtab *t = calloc(1, rt_flowtab_size(cap));
	rt_flowtab_init(t, cap);
	struct rt_flowid k = rt_pkt_flowid(p, true);
	assert_int_equal(k.sport, 5555);
	struct rt_flowid r = k;
	r.daddr = 0xac100f85; /* 172.16.15.133 */
	r.sport = 61000;
	struct rt_flow *f = rt_flowtab_insert(t, &k, &r, 0);
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
	free(t);
	rt_simple_pool_free(sp);
}

static void test_tbucket(void **st)
{
	(void)st;
	struct tbucket b;
	tbucket_init(&b, 10, 2, 0); /* 10/s, burst 2 */
	assert_true(tbucket_take(&b, 1, 0));
	assert_true(tbucket_take(&b, 1, 0));
	assert_false(tbucket_take(&b, 1, 0));
	uint64_t w = tbucket_when(&b, 1, 0);
	assert_int_equal(w, 100000000ull);
	assert_false(tbucket_take(&b, 1, w - 1));
	assert_true(tbucket_take(&b, 1, w));
	/* over a long idle time the bucket holds only its capacity */
	assert_true(tbucket_take(&b, 2, 10 * TBUCKET_NS));
	assert_false(tbucket_take(&b, 1, 10 * TBUCKET_NS));
}

static void test_pool(void **st)
{
	(void)st;
	struct rt_simple_pool *sp = rt_simple_pool_new(2, 256, 32);
	struct rt_pool pool = rt_simple_pool_ops(sp);
	struct rt_pkt *a = pool.alloc(pool.ctx, 100), *b = pool.alloc(pool.ctx, 224);
	assert_non_null(a);
	assert_non_null(b);
	assert_null(pool.alloc(pool.ctx, 1));
	assert_int_equal(rt_pkt_headroom(a), 32);
	assert_int_equal(rt_pkt_tailroom(a), 224);
	pool.free(pool.ctx, a);
	assert_null(pool.alloc(pool.ctx, 225));
	assert_non_null(a = pool.alloc(pool.ctx, 1));
	pool.free(pool.ctx, a);
	pool.free(pool.ctx, b);
	assert_int_equal(rt_simple_pool_in_use(sp), 0);
	rt_simple_pool_free(sp);
}

static uint16_t naive_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	for (size_t i = 0; i < len; i += 2) {
		s += (uint32_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
		s = (s & 0xffff) + (s >> 16);
	}
	return (uint16_t)~s;
}

static void test_csum_matches_naive(void **st)
{
	(void)st;
	uint8_t buf[1600];
	uint32_t seed = 7;
	for (int round = 0; round < 20000; round++) {
		size_t len = 0;
		for (size_t i = 0; i < sizeof buf; i++) {
			seed = seed * 1103515245 + 12345;
			buf[i] = round % 5 == 0 ? 0xff : (uint8_t)(seed >> 16);
		}
		seed = seed * 1103515245 + 12345;
		len = (seed >> 8) % sizeof buf;
		assert_int_equal(rt_csum(buf, len), naive_csum(buf, len));
		/* split sums add up */
		size_t cut = len ? (seed >> 4) % len : 0;
		cut &= ~(size_t)1;
		assert_int_equal(rt_csum_fold(rt_csum_add(rt_csum_add(0, buf, cut), buf + cut, len - cut)),
		                 naive_csum(buf, len));
	}
	memset(buf, 0, 64);
	assert_int_equal(rt_csum(buf, 64), 0xffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_update),
		cmocka_unit_test(test_csum_matches_naive),
		cmocka_unit_test(test_flowtab),
		cmocka_unit_test(test_flowtab_churn),
		cmocka_unit_test(test_apply_napt),
		cmocka_unit_test(test_tbucket),
		cmocka_unit_test(test_pool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
