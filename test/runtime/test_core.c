/* Runtime building blocks without a graph: checksums, the flow table,
 * the simple pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/runtime.h"

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

/* Click's full-table rule (IPRewriterBase::shrink_heap_for_new_flow):
 * guaranteed flows are kept, the best-effort flow expiring first is
 * evicted, a new flow is refused when every flow is guaranteed. */
static void test_flowtab(void **st)
{
	(void)st;
	struct rt_flowtab t;
	rt_flowtab_init(&t, 4, NULL);
	struct rt_flowid k[6], r[6];
	for (int i = 0; i < 6; i++) {
		k[i] = (struct rt_flowid){ 0x0a000001 + i, 0x0a000100, 1000 + i, 80, 17 };
		r[i] = (struct rt_flowid){ 0xc0a80001, 0x0a000100, 2000 + i, 80, 17 };
	}
	for (int i = 0; i < 4; i++)
		assert_non_null(rt_flowtab_insert(&t, &k[i], &r[i], 0, 1000 + i, 100));
	assert_int_equal(rt_flowtab_count(&t), 4);
	/* full of guaranteed flows: refused */
	assert_null(rt_flowtab_insert(&t, &k[4], &r[4], 50, 5000, 150));
	/* past the guarantee the soonest-expiring one is evicted */
	assert_non_null(rt_flowtab_insert(&t, &k[4], &r[4], 200, 5000, 250));
	int dir = -1;
	assert_null(rt_flowtab_lookup(&t, &k[0], &dir));
	struct rt_flowid rep = rt_flowid_reverse(r[2]);
	struct rt_flow *f = rt_flowtab_lookup(&t, &rep, &dir);
	assert_non_null(f);
	assert_int_equal(dir, 1);
	assert_int_equal(f->key.sport, 1002);
	assert_true(rt_flowtab_lookup(&t, &k[3], &dir) && dir == 0);
	/* a best-effort new flow expiring before every old one is refused */
	assert_null(rt_flowtab_insert(&t, &k[5], &r[5], 300, 301, 0));
	/* the reaper: dead = past guarantee and expiry (1001, 1002) */
	assert_int_equal(rt_flowtab_reap(&t, 1002), 2);
	assert_int_equal(rt_flowtab_count(&t), 2);
	assert_non_null(rt_flowtab_lookup(&t, &k[3], &dir));
	assert_non_null(rt_flowtab_lookup(&t, &k[4], &dir));
	rt_flowtab_fini(&t);
}

/* store_flow: a newer flow with the same reply key replaces the older,
 * which is destroyed (both its keys gone). */
static void test_flowtab_store_flow(void **st)
{
	(void)st;
	struct rt_flowtab t;
	rt_flowtab_init(&t, 100, NULL);
	struct rt_flowid a = { 1, 9, 10, 80, 17 }, b = { 2, 9, 10, 80, 17 };
	struct rt_flowid rew = { 7, 9, 10, 80, 17 }, rrew = rt_flowid_reverse(rew);
	assert_non_null(rt_flowtab_insert(&t, &a, &rew, 0, 10, 5));
	assert_non_null(rt_flowtab_insert(&t, &b, &rew, 1, 10, 5));
	assert_int_equal(rt_flowtab_count(&t), 1);
	assert_int_equal(t.replaced, 1);
	int dir;
	assert_null(rt_flowtab_lookup(&t, &a, &dir));
	struct rt_flow *f = rt_flowtab_lookup(&t, &rrew, &dir);
	assert_non_null(f);
	assert_int_equal(dir, 1);
	assert_int_equal(f->key.saddr, 2);
	rt_flowtab_fini(&t);
}

/* The module's quota bounds every table together, and memory grows with
 * the flows: 0 bytes before the first, amortised doubling after. */
static void test_flowtab_quota(void **st)
{
	(void)st;
	struct rt_flowquota q = { .max_flows = 40, .max_bytes = SIZE_MAX };
	struct rt_flowtab t1, t2;
	rt_flowtab_init(&t1, 0x7fffffff, &q);
	rt_flowtab_init(&t2, 0x7fffffff, &q);
	assert_int_equal(rt_flowtab_mem(&t1), 0);
	for (uint32_t i = 0; i < 30; i++) {
		struct rt_flowid k = { i + 1, 9, 1, 2, 6 }, w = { 100, 9, (uint16_t)(i + 1), 2, 6 };
		assert_non_null(rt_flowtab_insert(&t1, &k, &w, 0, 100, 50));
	}
	uint32_t ok = 0;
	for (uint32_t i = 0; i < 30; i++) {
		struct rt_flowid k = { i + 1, 9, 1, 2, 17 }, w = { 100, 9, (uint16_t)(i + 1), 2, 17 };
		ok += rt_flowtab_insert(&t2, &k, &w, 0, 100, 50) != NULL;
	}
	assert_int_equal(ok, 10);
	assert_int_equal(q.flows, 40);
	assert_true(q.bytes == rt_flowtab_mem(&t1) + rt_flowtab_mem(&t2));
	/* a memory quota too small to grow behaves as full */
	struct rt_flowquota small = { .max_bytes = 100 };
	struct rt_flowtab t3;
	rt_flowtab_init(&t3, 10, &small);
	struct rt_flowid k = { 1, 2, 3, 4, 6 };
	assert_null(rt_flowtab_insert(&t3, &k, &k, 0, 10, 0));
	rt_flowtab_fini(&t1);
	rt_flowtab_fini(&t2);
	rt_flowtab_fini(&t3);
	assert_int_equal(q.flows, 0);
	assert_int_equal(q.bytes, 0);
}

/* rt_flowtab_first: a table for a flow or two starts with that room,
 * then doubles as any other. */
static void test_flowtab_first(void **st)
{
	(void)st;
	struct rt_flowquota q = { .max_bytes = SIZE_MAX };
	struct rt_flowtab t;
	rt_flowtab_init(&t, 100, &q);
	rt_flowtab_first(&t, 2);
	size_t one = sizeof(struct rt_flow) + 4 * sizeof(uint32_t);
	for (uint32_t i = 0; i < 5; i++) {
		struct rt_flowid k = { i + 1, 9, 1, 2, 6 };
		assert_non_null(rt_flowtab_insert(&t, &k, &k, 0, 100, 0));
		uint32_t room = i < 2 ? 2 : i < 4 ? 4 : 8;
		assert_int_equal(rt_flowtab_mem(&t), room * one);
		assert_int_equal(q.bytes, room * one);
	}
	for (uint32_t i = 0; i < 5; i++) {
		struct rt_flowid k = { i + 1, 9, 1, 2, 6 };
		assert_non_null(rt_flowtab_lookup(&t, &k, NULL));
	}
	rt_flowtab_fini(&t);
	assert_int_equal(q.bytes, 0);
	assert_int_equal(t.first, 2);
}

static void test_flowtab_churn(void **st)
{
	(void)st;
	uint32_t cap = 64;
	struct rt_flowtab t;
	rt_flowtab_init(&t, cap, NULL);
	uint32_t seed = 1;
	for (int round = 0; round < 20000; round++) {
		seed = seed * 1103515245 + 12345;
		struct rt_flowid a = { seed % 97, 5, (uint16_t)(seed >> 8) % 50 + 1, 1, 6 };
		struct rt_flowid b = { 7, 5, (uint16_t)(seed >> 16) % 500 + 1, 1, 6 };
		int dir;
		struct rt_flow *f = rt_flowtab_lookup(&t, &a, &dir);
		if (f && dir == 0) {
			rt_flowtab_remove(&t, f);
			assert_null(rt_flowtab_lookup(&t, &a, &dir));
		} else if (!f) {
			f = rt_flowtab_insert(&t, &a, &b, (uint64_t)round, (uint64_t)round + 10, 0);
			if (f) {
				struct rt_flowid rb = rt_flowid_reverse(b);
				assert_ptr_equal(rt_flowtab_lookup(&t, &a, &dir), f);
				assert_ptr_equal(rt_flowtab_lookup(&t, &rb, &dir), f);
				assert_int_equal(dir, 1);
			}
		}
		assert_true(rt_flowtab_count(&t) <= cap);
	}
	/* every live flow is still reachable by both keys */
	for (uint32_t i = 0; i < rt_flowtab_count(&t); i++) {
		struct rt_flow *f = rt_flowtab_at(&t, i);
		int dir;
		struct rt_flowid rb = rt_flowid_reverse(f->rew);
		assert_ptr_equal(rt_flowtab_lookup(&t, &f->key, &dir), f);
		assert_ptr_equal(rt_flowtab_lookup(&t, &rb, &dir), f);
	}
	rt_flowtab_fini(&t);
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

/* The unrolled 20-byte header check says what the byte loop says, for
 * random headers, headers with their checksum set, and all-zero ones. */
static void test_ip_csum_ok(void **st)
{
	(void)st;
	uint8_t ip[60];
	uint32_t seed = 11;
	for (int round = 0; round < 50000; round++) {
		for (size_t i = 0; i < sizeof ip; i++) {
			seed = seed * 1103515245 + 12345;
			ip[i] = round % 7 == 0 ? 0xff : (uint8_t)(seed >> 16);
		}
		uint32_t hlen = round % 3 ? 20 : 20 + 4 * (uint32_t)(round % 11);
		if (round % 2) {
			ip[10] = ip[11] = 0;
			uint16_t want = rt_csum(ip, hlen);
			rt_ip_set_csum(ip, hlen);
			assert_int_equal(rt_rd16(ip + 10), want); /* the same bytes as the loop */
		}
		assert_int_equal(rt_ip_csum_ok(ip, hlen), rt_csum(ip, hlen) == 0);
		if (round % 2) {
			assert_true(rt_ip_csum_ok(ip, hlen));
			assert_int_equal(rt_csum(ip, hlen), 0); /* rt_ip_set_csum by the loop's measure */
		}
	}
	memset(ip, 0, sizeof ip);
	assert_false(rt_ip_csum_ok(ip, 20));
	memset(ip, 0xff, sizeof ip);
	assert_int_equal(rt_ip_csum_ok(ip, 20), rt_csum(ip, 20) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_update),
		cmocka_unit_test(test_csum_matches_naive),
		cmocka_unit_test(test_ip_csum_ok),
		cmocka_unit_test(test_flowtab),
		cmocka_unit_test(test_flowtab_first),
		cmocka_unit_test(test_flowtab_churn),
		cmocka_unit_test(test_flowtab_store_flow),
		cmocka_unit_test(test_flowtab_quota),
		cmocka_unit_test(test_pool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
