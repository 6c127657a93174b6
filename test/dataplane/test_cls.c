/* The fast path's address table (src/dataplane/cls.c) alone, without an
 * EAL: add, look up, delete, tombstones reused, the exact-key flag,
 * rebuilds under churn checked against a reference map at every step,
 * and a full table. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "innet_build.h"

#if INNET_HAVE_DPDK
#include "dataplane/internal.h"

static unsigned nquiesce;
static void count_quiesce(void *arg)
{
	(void)arg;
	nquiesce++;
}

static void *mod(uint32_t i)
{
	return (void *)(uintptr_t)(0x10000u * (i + 1) + 3); /* tagged: owner 3 */
}

/* The module a worker finds for addr, NULL if none; *exact: the flag. */
static void *find(const struct dp__cls *c, uint32_t addr, bool *exact)
{
	uint32_t v = dp__cls_lookup(dp__cls_load(c), addr);
	if (exact)
		*exact = v & DP__CLS_EXACT;
	return v >> 1 ? dp__cls_slot(c, v >> 1) : NULL;
}

static void test_add_lookup_delete(void **state)
{
	(void)state;
	struct dp__cls c;
	assert_int_equal(dp__cls_init(&c, 100, count_quiesce, NULL), 0);
	assert_int_equal(c.cap, 256);
	assert_int_equal(dp__cls_add(&c, 0, mod(0)), -EINVAL);
	assert_int_equal(dp__cls_add(&c, 0x0a000001, NULL), -EINVAL);
	assert_int_equal(dp__cls_add(&c, 0x0a000001, mod(1)), 0);
	assert_int_equal(dp__cls_add(&c, 0x0a000002, mod(2)), 0);
	assert_int_equal(dp__cls_add(&c, 0x0a000001, mod(3)), -EEXIST);
	bool x = true;
	assert_ptr_equal(find(&c, 0x0a000001, &x), mod(1));
	assert_false(x);
	assert_ptr_equal(find(&c, 0x0a000002, NULL), mod(2));
	assert_null(find(&c, 0x0a000003, NULL));
	assert_null(find(&c, 0xffffffff, NULL));
	uint32_t s = dp__cls_del(&c, 0x0a000001);
	assert_int_not_equal(s, 0);
	assert_null(find(&c, 0x0a000001, NULL));
	assert_int_equal(dp__cls_del(&c, 0x0a000001), 0); /* gone already */
	/* the slot is not reused before the grace period's end */
	assert_int_equal(dp__cls_add(&c, 0x0a000001, mod(4)), 0);
	uint32_t v = dp__cls_lookup(dp__cls_load(&c), 0x0a000001);
	assert_int_not_equal(v >> 1, s);
	assert_ptr_equal(dp__cls_slot(&c, s), mod(1)); /* a late reader still finds the old module */
	dp__cls_slot_free(&c, s);
	assert_int_equal(dp__cls_add(&c, 0x0a000009, mod(5)), 0);
	assert_int_equal(dp__cls_lookup(dp__cls_load(&c), 0x0a000009) >> 1, s);
	assert_int_equal(c.live, 3);
	dp__cls_fini(&c);
}

/* Addresses whose probes start at the same place as a's. */
static uint32_t colliding(const struct dp__cls_tab *t, uint32_t a, uint32_t after)
{
	for (uint32_t b = after + 1;; b++)
		if (b != a && dp__cls_hash(t, b) == dp__cls_hash(t, a))
			return b;
}

static void test_tombstone_reused(void **state)
{
	(void)state;
	struct dp__cls c;
	assert_int_equal(dp__cls_init(&c, 100, count_quiesce, NULL), 0);
	const struct dp__cls_tab *t = dp__cls_load(&c);
	uint32_t a = 0x0a000001, b = colliding(t, a, a), d = colliding(t, a, b);
	uint32_t h = dp__cls_hash(t, a);
	assert_int_equal(dp__cls_add(&c, a, mod(1)), 0);
	assert_int_equal(dp__cls_add(&c, b, mod(2)), 0);
	assert_int_equal(dp__cls_addr(t->e[(h + 1) & t->mask]), b);
	uint32_t s = dp__cls_del(&c, a);
	/* a tombstone: the address kept, nothing else; b still found past it */
	assert_int_equal(t->e[h], (uint64_t)a << 32);
	assert_ptr_equal(find(&c, b, NULL), mod(2));
	assert_null(find(&c, a, NULL));
	dp__cls_slot_free(&c, s);
	assert_int_equal(c.used, 2);
	assert_int_equal(dp__cls_add(&c, d, mod(3)), 0);
	assert_int_equal(dp__cls_addr(t->e[h]), d); /* in a's old place */
	assert_int_equal(c.used, 2);
	assert_ptr_equal(find(&c, d, NULL), mod(3));
	assert_ptr_equal(find(&c, b, NULL), mod(2));
	/* b deleted and added again: its own tombstone, no second entry */
	s = dp__cls_del(&c, b);
	dp__cls_slot_free(&c, s);
	assert_int_equal(dp__cls_add(&c, b, mod(4)), 0);
	assert_int_equal(dp__cls_addr(t->e[(h + 1) & t->mask]), b);
	assert_int_equal(c.used, 2);
	assert_int_equal(c.live, 2);
	assert_ptr_equal(find(&c, b, NULL), mod(4));
	dp__cls_fini(&c);
}

static void test_exact_flag(void **state)
{
	(void)state;
	struct dp__cls c;
	assert_int_equal(dp__cls_init(&c, 16, count_quiesce, NULL), 0);
	uint32_t a = 0xc0a80001;
	bool x = false;
	/* exact keys only: a live entry without a module */
	assert_int_equal(dp__cls_add_exact(&c, a), 0);
	assert_int_equal(dp__cls_add_exact(&c, a), 0);
	assert_null(find(&c, a, &x));
	assert_true(x);
	assert_int_equal(dp__cls_lookup(dp__cls_load(&c), a), DP__CLS_EXACT);
	assert_int_equal(c.live, 1);
	/* the address's module besides */
	assert_int_equal(dp__cls_add(&c, a, mod(7)), 0);
	assert_ptr_equal(find(&c, a, &x), mod(7));
	assert_true(x);
	dp__cls_del_exact(&c, a);
	assert_ptr_equal(find(&c, a, &x), mod(7));
	assert_true(x); /* one exact key left */
	dp__cls_del_exact(&c, a);
	assert_ptr_equal(find(&c, a, &x), mod(7));
	assert_false(x);
	dp__cls_del_exact(&c, a); /* none left: nothing happens */
	assert_ptr_equal(find(&c, a, &x), mod(7));
	/* the module out while an exact key stays: still live */
	assert_int_equal(dp__cls_add_exact(&c, a), 0);
	dp__cls_slot_free(&c, dp__cls_del(&c, a));
	assert_null(find(&c, a, &x));
	assert_true(x);
	assert_int_equal(c.live, 1);
	dp__cls_del_exact(&c, a);
	assert_int_equal(dp__cls_lookup(dp__cls_load(&c), a), 0);
	assert_int_equal(c.live, 0);
	assert_int_equal(dp__cls_add_exact(&c, 0), -EINVAL);
	dp__cls_fini(&c);
}

/* A small xorshift: the same run every time. */
static uint64_t rnd_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state >> 16);
}

enum { MAXA = 512, POOL = 5000, STEPS = 100000 };

struct ref {
	uint32_t addr;
	void *mod;
	uint32_t nexact;
};

static void check_all(const struct dp__cls *c, const struct ref *r, uint32_t n)
{
	uint32_t addrs[DP_MAX_BURST], val[DP_MAX_BURST];
	for (uint32_t i = 0; i < n; i += DP_MAX_BURST) {
		uint32_t k = n - i < DP_MAX_BURST ? n - i : DP_MAX_BURST;
		for (uint32_t j = 0; j < k; j++)
			addrs[j] = r[i + j].addr;
		dp__cls_lookup_bulk(dp__cls_load(c), addrs, k, val);
		for (uint32_t j = 0; j < k; j++) {
			const struct ref *e = &r[i + j];
			void *m = val[j] >> 1 ? dp__cls_slot(c, val[j] >> 1) : NULL;
			assert_ptr_equal(m, e->mod);
			assert_int_equal(!!(val[j] & DP__CLS_EXACT), e->nexact > 0);
		}
	}
}

/* STEPS random adds and removes of modules and exact keys on npool
 * addresses, removes favoured over `target` live addresses; every answer
 * checked against r. */
static void churn(uint32_t npool, uint32_t target)
{
	struct dp__cls c;
	assert_int_equal(dp__cls_init(&c, MAXA, count_quiesce, NULL), 0);
	static struct ref r[POOL];
	for (uint32_t i = 0; i < npool; i++) {
		/* clustered like tenants' addresses, and some far apart */
		r[i].addr = i % 3 ? 0x0a000001 + i : (rnd() | 1u);
		r[i].mod = NULL;
		r[i].nexact = 0;
	}
	uint32_t nmods = 0, naddrs = 0, pending[8], npending = 0;
	nquiesce = 0;
	for (uint32_t step = 0; step < STEPS; step++) {
		unsigned op = rnd() % 4;
		if (naddrs > target && op < 2 && rnd() % 2)
			op += 2;
		uint32_t i = rnd() % npool;
		/* a delete mostly finds something to delete */
		for (uint32_t n = 0; op >= 2 && n < npool && !r[i].mod && !r[i].nexact; n++)
			i = (i + 1) % npool;
		struct ref *e = &r[i];
		bool live = e->mod || e->nexact;
		switch (op) {
		case 0: { /* the address's module */
			int rc = dp__cls_add(&c, e->addr, mod(step));
			if (e->mod)
				assert_int_equal(rc, -EEXIST);
			else if (nmods + npending >= MAXA || (!live && naddrs >= c.cap / 4 * 3))
				assert_int_equal(rc, -ENOSPC);
			else {
				assert_int_equal(rc, 0);
				e->mod = mod(step);
				nmods++;
				naddrs += !live;
			}
			break;
		}
		case 1: { /* an exact key */
			int rc = dp__cls_add_exact(&c, e->addr);
			if (!live && naddrs >= c.cap / 4 * 3)
				assert_int_equal(rc, -ENOSPC);
			else {
				assert_int_equal(rc, 0);
				e->nexact++;
				naddrs += !live;
			}
			break;
		}
		case 2: { /* the module out; its slot back after a "grace period" */
			uint32_t s = dp__cls_del(&c, e->addr);
			assert_int_equal(s != 0, e->mod != NULL);
			if (s) {
				e->mod = NULL;
				nmods--;
				naddrs -= !e->nexact;
				pending[npending++] = s;
			}
			if (npending == 8 || (s && rnd() % 2)) {
				while (npending)
					dp__cls_slot_free(&c, pending[--npending]);
			}
			break;
		}
		default:
			dp__cls_del_exact(&c, e->addr);
			if (e->nexact) {
				e->nexact--;
				naddrs -= !e->nexact && !e->mod;
			}
			break;
		}
		assert_int_equal(c.live, naddrs);
		assert_true(c.used <= c.cap / 4 * 3);
		bool x;
		assert_ptr_equal(find(&c, e->addr, &x), e->mod);
		assert_int_equal(x, e->nexact > 0);
		if (step % 64 == 0)
			check_all(&c, r, npool);
	}
	check_all(&c, r, npool);
	printf("churn on %u addresses: %llu rebuilds, %u live, %u used of %u\n", npool, (unsigned long long)c.rebuilds, c.live,
	       c.used, c.cap);
	assert_true(c.rebuilds > 0);
	assert_int_equal(nquiesce, c.rebuilds); /* every old table waited for */
	dp__cls_fini(&c);
}

/* Below the table's limit (as in the dataplane, where at most half the
 * entries are live), then against it (-ENOSPC on the way). */
static void test_churn_rebuilds(void **state)
{
	(void)state;
	churn(POOL, 300);
	churn(1500, UINT32_MAX);
}

/* The table starts small and doubles while more than half is live: a
 * thousand tenants' entries fill 16 KiB, not the 2 MiB the largest
 * dataplane may need, and every one is found after each growth. */
static void test_grows_with_the_addresses(void **state)
{
	(void)state;
	struct dp__cls c;
	nquiesce = 0;
	assert_int_equal(dp__cls_init(&c, 131072, count_quiesce, NULL), 0);
	assert_int_equal(c.cap, 262144);
	assert_int_equal(dp__cls_load(&c)->mask + 1, 64);
	for (uint32_t i = 0; i < 1000; i++) {
		assert_int_equal(dp__cls_add(&c, 0x0a000001 + i, mod(i)), 0);
		uint32_t size = dp__cls_load(&c)->mask + 1;
		assert_true(size >= 2 * (i + 1) && size <= 4 * (i + 1) + 64);
	}
	assert_int_equal(dp__cls_load(&c)->mask + 1, 2048);
	assert_int_equal(c.rebuilds, 5); /* 64 -> 2048 */
	assert_int_equal(nquiesce, 5);
	for (uint32_t i = 0; i < 1000; i++)
		assert_ptr_equal(find(&c, 0x0a000001 + i, NULL), mod(i));
	assert_null(find(&c, 0x0a000001 + 1000, NULL));
	dp__cls_fini(&c);
}

static void test_full(void **state)
{
	(void)state;
	struct dp__cls c;
	assert_int_equal(dp__cls_init(&c, 8, count_quiesce, NULL), 0);
	assert_int_equal(c.cap, 16);
	/* 8 modules: every slot taken */
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(dp__cls_add(&c, 0x0a000001 + i, mod(i)), 0);
	assert_int_equal(dp__cls_add(&c, 0x0a000100, mod(9)), -ENOSPC);
	/* addresses with exact keys only fill the table to 3/4 */
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(dp__cls_add_exact(&c, 0x0b000001 + i), 0);
	assert_int_equal(dp__cls_add_exact(&c, 0x0b000100), -ENOSPC);
	assert_int_equal(dp__cls_add_exact(&c, 0x0a000001), 0); /* a known address still can */
	for (uint32_t i = 0; i < 8; i++)
		assert_ptr_equal(find(&c, 0x0a000001 + i, NULL), mod(i));
	/* room again after a delete, through a rebuild (no empty entry to spare) */
	dp__cls_del_exact(&c, 0x0b000001);
	uint64_t rb = c.rebuilds;
	assert_int_equal(dp__cls_add_exact(&c, 0x0b000100), 0);
	assert_true(c.rebuilds == rb || c.rebuilds == rb + 1);
	assert_null(find(&c, 0x0b000100, NULL));
	dp__cls_fini(&c);
	assert_int_equal(dp__cls_init(&c, 0, NULL, NULL), -EINVAL);
	assert_int_equal(dp__cls_init(&c, (1u << 29) + 1, NULL, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_lookup_delete),
		cmocka_unit_test(test_tombstone_reused),
		cmocka_unit_test(test_exact_flag),
		cmocka_unit_test(test_churn_rebuilds),
		cmocka_unit_test(test_grows_with_the_addresses),
		cmocka_unit_test(test_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

int main(void)
{
	printf("skip: built without DPDK\n");
	return 77;
}
#endif
