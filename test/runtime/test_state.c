/* State snapshots (rt_module_save / rt_module_load): a Queue's packets
 * survive a save and a load into a fresh module of the same configuration,
 * time keeps running while the module is away, damaged blobs are refused
 * with a diagnostic, and an IPRewriter's mappings once its hooks exist. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/diag.h"
#include "click/click.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "rt_util.h"

#define QCFG "FromDevice(0) -> q :: Queue(10) -> TimedUnqueue(1000, 10) -> ToDevice(0)"
#define WALL0 (1000 * SEC)

/* u's module with three UDP packets queued in q (pushed at 1 s). */
static void open_queued(struct rtu *u)
{
	assert_int_equal(rtu_open(u, QCFG, 0), 0);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(rt_module_push(u->m, 0, rtu_udp(u, IP4(10, 0, 0, 1), (uint16_t)(100 + i), IP4(10, 0, 0, 2), 53, 10 + i), SEC), 0);
	uint64_t v;
	assert_int_equal(rt_module_read(u->m, "q", "length", &v), 0);
	assert_int_equal(v, 3);
}

static void save(const struct rtu *u, uint64_t now, void **blob, size_t *len)
{
	assert_int_equal(rt_module_save(u->m, now, WALL0, blob, len), 0);
	assert_non_null(*blob);
	assert_true(*len > 24);
}

/* The byte buffers: varints of every size, fixed-width integers, and a
 * read past the end that sticks. */
static void test_buffers(void **st)
{
	(void)st;
	static const uint64_t v[] = { 0, 1, 127, 128, 300, 16383, 16384, 1ull << 32, UINT64_MAX - 1, UINT64_MAX };
	struct rt_wbuf w = { 0 };
	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		rt_wbuf_varint(&w, v[i]);
		rt_wbuf_u8(&w, (uint8_t)i);
		rt_wbuf_u32(&w, (uint32_t)v[i]);
		rt_wbuf_u64(&w, v[i]);
	}
	for (int i = 0; i < 10000; i++) /* grows past its first block */
		rt_wbuf_put(&w, "abc", 3);
	assert_false(w.oom);
	struct rt_rbuf r = { .p = w.p, .len = w.len };
	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		assert_true(rt_rbuf_varint(&r) == v[i]);
		assert_int_equal(rt_rbuf_u8(&r), i);
		assert_int_equal(rt_rbuf_u32(&r), (uint32_t)v[i]);
		assert_true(rt_rbuf_u64(&r) == v[i]);
	}
	char abc[3];
	for (int i = 0; i < 10000; i++) {
		rt_rbuf_get(&r, abc, 3);
		assert_memory_equal(abc, "abc", 3);
	}
	assert_false(r.bad);
	assert_int_equal(rt_rbuf_left(&r), 0);
	assert_int_equal(rt_rbuf_u8(&r), 0);
	assert_true(r.bad);
	assert_int_equal(rt_rbuf_varint(&r), 0);
	assert_int_equal(rt_rbuf_left(&r), 0);
	/* a varint cut short, and one of eleven bytes */
	uint8_t cut[2] = { 0x80, 0x80 }, eleven[11];
	memset(eleven, 0x80, 11);
	struct rt_rbuf c = { .p = cut, .len = 2 }, e = { .p = eleven, .len = 11 };
	assert_int_equal(rt_rbuf_varint(&c), 0);
	assert_true(c.bad);
	assert_int_equal(rt_rbuf_varint(&e), 0);
	assert_true(e.bad);
	rt_wbuf_free(&w);
	assert_null(w.p);
}

static void test_stateful_graph(void **st)
{
	(void)st;
	struct rtu u;
	assert_int_equal(rtu_open(&u, QCFG, 0), 0);
	uint32_t idx[4];
	assert_int_equal(rt_graph_stateful(rt_module_graph(u.m), idx, 4), 1);
	assert_string_equal(rt_module_elem(u.m, idx[0])->ce->name, "q");
	rtu_close(&u);
	assert_int_equal(rtu_open(&u, "FromDevice(0) -> Counter -> ToDevice(0)", 0), 0);
	assert_int_equal(rt_graph_stateful(rt_module_graph(u.m), NULL, 0), 0);
	rtu_close(&u);
}

/* Saved at 2 s, loaded 5 s (of wall clock) later into a module whose
 * clock is at 50 s: the same bytes and annotations, oldest first, and the
 * timestamps aged by the time away. */
static void test_queue_round_trip(void **st)
{
	(void)st;
	struct rtu a, b;
	open_queued(&a);
	void *blob;
	size_t len;
	save(&a, 2 * SEC, &blob, &len);
	assert_int_equal(rtu_open(&b, QCFG, 50 * SEC), 0);
	struct diags d;
	diags_init(&d);
	assert_int_equal(rt_module_load(b.m, blob, len, 50 * SEC, WALL0 + 5 * SEC, &d), 0);
	assert_int_equal(d.nerrors, 0);
	struct rt_table_stats ts;
	assert_int_equal(rt_module_table(b.m, 1, &ts), 0);
	assert_int_equal(ts.entries, 3);
	assert_int_equal(ts.capacity, 10);
	struct rt_counters c;
	rt_module_counters(b.m, &c);
	assert_int_equal(c.queued, 3);
	for (uint32_t i = 0; i < 3; i++) {
		struct rt_pkt *p = rt_module_pull_elem(a.m, "q", 0, 2 * SEC);
		struct rt_pkt *q = rt_module_pull_elem(b.m, "q", 0, 50 * SEC);
		assert_non_null(p);
		assert_non_null(q);
		assert_int_equal(q->len, p->len);
		assert_memory_equal(rt_pkt_data(q), rt_pkt_data(p), p->len);
		assert_int_equal(q->ip_off - (int32_t)q->off, p->ip_off - (int32_t)p->off);
		assert_int_equal(q->ip_hlen, p->ip_hlen);
		assert_memory_equal(q->anno, p->anno, RT_ANNO_SIZE);
		assert_int_equal(rt_rd16(rt_pkt_data(q) + 20), 100 + i); /* in order */
		/* 1 s old at the save, 5 s away: 6 s old at 50 s */
		assert_int_equal(q->tstamp_ns, 44 * SEC);
		a.pool.free(a.pool.ctx, p);
		b.pool.free(b.pool.ctx, q);
	}
	assert_null(rt_module_pull_elem(b.m, "q", 0, 50 * SEC));
	diags_free(&d);
	free(blob);
	rtu_close(&a);
	rtu_close(&b);
}

/* A module whose queued packets were loaded sends them on (and frees them
 * when freed: rtu_close checks the pool). Its TimedUnqueue starts as
 * Click's does (its task runs at initialisation): a burst leaves at once
 * from the loaded queue, the next INTERVAL later. */
static void test_loaded_packets_leave(void **st)
{
	(void)st;
	struct rtu a, b;
	open_queued(&a);
	void *blob;
	size_t len;
	save(&a, 2 * SEC, &blob, &len);
	assert_int_equal(rtu_open(&b, QCFG, 0), 0);
	assert_int_equal(rt_module_load(b.m, blob, len, 3 * SEC, WALL0, NULL), 0);
	assert_int_equal(rt_module_next_deadline(b.m), 0);
	assert_int_equal(rt_module_run_timers(b.m, 3 * SEC), 3);
	assert_int_equal(b.nout, 3);
	assert_int_equal(rt_module_next_deadline(b.m), 1003 * SEC);
	free(blob);
	rtu_close(&a);
	rtu_close(&b);
}

static void expect_einval(const struct rtu *u, const void *blob, size_t len, const char *why)
{
	struct diags d;
	diags_init(&d);
	assert_int_equal(rt_module_load(u->m, blob, len, 0, WALL0, &d), -EINVAL);
	assert_true(d.nerrors > 0);
	assert_non_null(strstr(d.v[0].msg, why));
	diags_free(&d);
}

static void test_corrupt(void **st)
{
	(void)st;
	struct rtu a;
	open_queued(&a);
	void *blob;
	size_t len;
	save(&a, 2 * SEC, &blob, &len);
	uint8_t *c = malloc(len);
	for (size_t cut = 0; cut < len; cut += 7) { /* every truncation */
		struct rtu b;
		assert_int_equal(rtu_open(&b, QCFG, 0), 0);
		expect_einval(&b, blob, cut, cut < 4 ? "not a saved" : "");
		rtu_close(&b);
	}
	struct rtu b;
	assert_int_equal(rtu_open(&b, QCFG, 0), 0);
	memcpy(c, blob, len);
	c[len / 2] ^= 0x40; /* inside a packet: still parses, caught by the check */
	expect_einval(&b, c, len, "damaged");
	memcpy(c, blob, len);
	c[0] = 'X';
	expect_einval(&b, c, len, "not a saved module state");
	memcpy(c, blob, len);
	c[4] = 9;
	expect_einval(&b, c, len, "unknown version");
	expect_einval(&b, "garbage", 7, "not a saved module state");
	rtu_close(&b);
	free(c);
	free(blob);
	rtu_close(&a);
}

/* Elements are matched by name and class: a renamed queue starts empty. */
static void test_changed_config(void **st)
{
	(void)st;
	struct rtu a, b;
	open_queued(&a);
	void *blob;
	size_t len;
	save(&a, 2 * SEC, &blob, &len);
	assert_int_equal(rtu_open(&b, "FromDevice(0) -> r :: Queue(10) -> TimedUnqueue(1000, 10) -> ToDevice(0)", 0), 0);
	assert_int_equal(rt_module_load(b.m, blob, len, 0, WALL0, NULL), 0);
	uint64_t v;
	assert_int_equal(rt_module_read(b.m, "r", "length", &v), 0);
	assert_int_equal(v, 0);
	free(blob);
	rtu_close(&a);
	rtu_close(&b);
}

/* ARPQuerier: the packet waiting for its next hop's address and the
 * neighbour it learnt both survive a save and a load. */
#define ARPQ "FromDevice(0) -> aq :: ARPQuerier(10.0.0.1, 2:2:2:2:2:2) -> ToDevice(0); Idle -> [1]aq"

static struct rt_pkt *arp_reply(struct rtu *u, uint32_t spa, const uint8_t *sha)
{
	uint8_t f[42] = { 2, 2, 2, 2, 2, 2 };
	memcpy(f + 6, sha, 6);
	f[12] = 0x08; f[13] = 0x06; f[15] = 1; f[16] = 0x08; f[18] = 6; f[19] = 4; f[21] = 2;
	memcpy(f + 22, sha, 6);
	rt_wr32(f + 28, spa);
	memset(f + 32, 2, 6);
	rt_wr32(f + 38, IP4(10, 0, 0, 1));
	return rtu_raw(u, f, 42);
}

static void test_arpquerier(void **st)
{
	(void)st;
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x09 };
	struct rtu a, b, c;
	assert_int_equal(rtu_open(&a, ARPQ, 0), 0);
	/* to 10.0.0.9: held, a query leaves */
	assert_int_equal(rt_module_push(a.m, 0, rtu_udp(&a, IP4(10, 0, 0, 5), 7, IP4(10, 0, 0, 9), 53, 4), SEC), 0);
	assert_int_equal(a.nout, 1);
	uint64_t v;
	assert_int_equal(rt_module_read(a.m, "aq", "length", &v), 0);
	assert_int_equal(v, 1);
	void *blob;
	size_t len;
	save(&a, 2 * SEC, &blob, &len);
	assert_int_equal(rtu_open(&b, ARPQ, 0), 0);
	assert_int_equal(rt_module_load(b.m, blob, len, 3 * SEC, WALL0, NULL), 0);
	free(blob);
	assert_int_equal(rt_module_read(b.m, "aq", "length", &v), 0);
	assert_int_equal(v, 1);
	struct rt_table_stats ts;
	assert_int_equal(rt_module_table(b.m, 1, &ts), 0);
	assert_int_equal(ts.entries, 1);
	/* the reply releases the loaded packet, framed for the neighbour */
	assert_int_equal(rt_module_push_elem(b.m, "aq", 1, arp_reply(&b, IP4(10, 0, 0, 9), mac), 3 * SEC), 0);
	assert_int_equal(b.nout, 1);
	assert_memory_equal(rt_pkt_data(b.out[0]), mac, 6);
	assert_int_equal(rt_rd32(rt_pkt_data(b.out[0]) + 14 + 16), IP4(10, 0, 0, 9));
	rtu_clear(&b);
	/* the neighbour it learnt survives the next suspend: no query */
	save(&b, 4 * SEC, &blob, &len);
	assert_int_equal(rtu_open(&c, ARPQ, 0), 0);
	assert_int_equal(rt_module_load(c.m, blob, len, 5 * SEC, WALL0, NULL), 0);
	free(blob);
	assert_int_equal(rt_module_push(c.m, 0, rtu_udp(&c, IP4(10, 0, 0, 5), 7, IP4(10, 0, 0, 9), 53, 4), 5 * SEC), 0);
	assert_int_equal(c.nout, 1);
	assert_memory_equal(rt_pkt_data(c.out[0]), mac, 6);
	rtu_close(&a);
	rtu_close(&b);
	rtu_close(&c);
}

/* IPRewriter's mappings (its hooks are written by the rewriter work of
 * issue 10): skipped until the class has a save hook. */
#define NAT "rw :: IPRewriter(pattern 198.51.100.1 1024-65535 - - 0 1, drop);" \
            "FromDevice(0) -> [0]rw; FromDevice(1) -> [1]rw; rw[0] -> ToDevice(0); rw[1] -> ToDevice(1)"

static void test_rewriter_mappings(void **st)
{
	(void)st;
	struct rtu a, b;
	assert_int_equal(rtu_open(&a, NAT, 0), 0);
	if (rt_graph_stateful(rt_module_graph(a.m), NULL, 0) == 0) {
		rtu_close(&a);
		fprintf(stderr, "IPRewriter has no save hook yet: skipped\n");
		skip();
	}
	for (uint32_t i = 0; i < 100; i++)
		rt_module_push(a.m, 0, rtu_udp(&a, IP4(10, 0, 0, 5), (uint16_t)(1000 + i), IP4(8, 8, 8, 8), 53, 8), SEC);
	assert_int_equal(a.nout, 100);
	void *blob;
	size_t len;
	save(&a, 2 * SEC, &blob, &len);
	assert_int_equal(rtu_open(&b, NAT, 0), 0);
	assert_int_equal(rt_module_load(b.m, blob, len, 3 * SEC, WALL0 + SEC, NULL), 0);
	uint64_t v;
	assert_int_equal(rt_module_read(b.m, "rw", "mapping_count", &v), 0);
	assert_int_equal(v, 100);
	/* a reply to the 7th flow finds its mapping in the loaded module */
	const uint8_t *ip = rt_pkt_data(a.out[7]);
	uint16_t port = rt_rd16(ip + 20);
	rt_module_push(b.m, 1, rtu_udp(&b, IP4(8, 8, 8, 8), 53, IP4(198, 51, 100, 1), port, 8), 3 * SEC);
	assert_int_equal(b.nout, 1);
	assert_int_equal(rt_rd32(rt_pkt_data(b.out[0]) + 16), IP4(10, 0, 0, 5));
	assert_int_equal(rt_rd16(rt_pkt_data(b.out[0]) + 22), 1007);
	free(blob);
	rtu_close(&a);
	rtu_close(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buffers),
		cmocka_unit_test(test_stateful_graph),
		cmocka_unit_test(test_queue_round_trip),
		cmocka_unit_test(test_loaded_packets_leave),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_changed_config),
		cmocka_unit_test(test_arpquerier),
		cmocka_unit_test(test_rewriter_mappings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
