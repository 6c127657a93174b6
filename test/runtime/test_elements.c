/* Element packet functions on packet views, through small modules, with
 * Click's edge cases: short packets, IP options, fragments, checksums. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/runtime.h"
#include "rt_util.h"

static struct rtu *open_cfg(const char *cfg)
{
	struct rtu *u = calloc(1, sizeof *u);
	assert_non_null(u);
	assert_int_equal(rtu_open(u, cfg, 0), 0);
	return u;
}

static void done(struct rtu *u)
{
	rtu_close(u);
	free(u);
}

static const uint8_t *out_ip(struct rtu *u, uint32_t i)
{
	assert_true(i < u->nout);
	return rt_pkt_data(u->out[i]);
}

static void test_checkipheader(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> MarkIPHeader -> s :: Strip(0) -> c :: CheckIPHeader -> ToDevice(0); c[1] -> ToDevice(1)");
	/* a good packet with 6 trailing bytes (Ethernet padding) is trimmed */
	struct rt_pkt *p = rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 10);
	memset(rt_pkt_data(p) + p->len, 0xee, 6);
	p->len += 6;
	rt_module_push_elem(u->m, "c", 0, p, 0);
	assert_int_equal(u->nout, 1);
	assert_int_equal(u->out_dev[0], 0);
	assert_int_equal(u->out[0]->len, 38);
	assert_int_equal(rt_pkt_dst_anno(u->out[0]), IP4(5, 6, 7, 8));
	rtu_clear(u);
	/* bad checksum, bad version, short, ip_len > length, hl < 5 -> output 1 */
	for (int k = 0; k < 5; k++) {
		p = rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 10);
		uint8_t *ip = rt_pkt_data(p);
		if (k == 0)
			ip[10] ^= 1;
		if (k == 1)
			ip[0] = 0x65;
		if (k == 2)
			p->len = 19;
		if (k == 3) {
			rt_wr16(ip + 2, 60);
			rt_ip_set_csum(ip, 20);
		}
		if (k == 4) {
			ip[0] = 0x44;
			rt_ip_set_csum(ip, 20);
		}
		rt_module_push_elem(u->m, "c", 0, p, 0);
		assert_int_equal(u->nout, 1);
		assert_int_equal(u->out_dev[0], 1);
		rtu_clear(u);
	}
	uint64_t v;
	assert_int_equal(rt_module_read(u->m, "c", "drops", &v), 0);
	assert_int_equal(v, 5);
	/* IP options: hl 6 with a valid checksum passes with ip_hlen 24 */
	uint8_t raw[40] = { 0x46, 0, 0, 40, 0, 1, 0, 0, 64, 17, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 0 };
	rt_wr16(raw + 24, 9);
	rt_wr16(raw + 26, 10);
	rt_wr16(raw + 28, 16);
	rt_ip_set_csum(raw, 24);
	rt_module_push_elem(u->m, "c", 0, rtu_raw(u, raw, 40), 0);
	assert_int_equal(u->nout, 1);
	assert_int_equal(u->out_dev[0], 0);
	assert_int_equal(u->out[0]->ip_hlen, 24);
	assert_int_equal(rt_rd16(rt_pkt_transp(u->out[0]) + 2), 10);
	done(u);
}

static void test_device_input_check(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> c :: Counter -> ToDevice(0)");
	struct rt_pkt *p = rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 10);
	rt_pkt_data(p)[10] ^= 0xff;
	rt_module_push(u->m, 0, p, 0);
	rt_module_push(u->m, 0, rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 10), 0);
	assert_int_equal(rt_module_push(u->m, 3, rtu_udp(u, 1, 1, 2, 2, 1), 0), -EINVAL);
	struct rt_counters c;
	rt_module_counters(u->m, &c);
	assert_int_equal(c.bad_in, 1);
	assert_int_equal(u->nout, 1);
	assert_non_null(u->out[0]);
	assert_int_equal(u->out[0]->ip_off, (int32_t)u->out[0]->off);
	uint64_t v;
	assert_int_equal(rt_module_read(u->m, "c", "count", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(rt_module_read(u->m, "c", "byte_count", &v), 0);
	assert_int_equal(v, 38);
	assert_int_equal(rt_module_read(u->m, "nope", "count", &v), -ENOENT);
	done(u);
}

/* Packet k of the burst test: UDP to ports 1500 and 53 and TCP, some
 * with a bad header checksum, some with IP options, lengths varying. */
/* Source ports the burst packets use (0: a new one per packet), and the
 * clock step per packet: the enforcer tests repeat flows and let
 * authorizations expire. */
static uint32_t burst_sports;
static uint64_t burst_step;

static struct rt_pkt *burst_pkt(struct rtu *u, uint32_t k)
{
	struct rt_pkt *p;
	uint16_t sport = (uint16_t)(1000 + (burst_sports ? k % burst_sports : k));
	if (k % 5 == 3)
		p = rtu_tcp(u, IP4(10, 0, 0, k % 7), sport, IP4(10, 1, 0, 1), 80, 0x02, k % 9);
	else
		p = rtu_udp(u, IP4(10, 0, 0, k % 7), sport, IP4(10, 1, 0, 1),
		            k % 3 ? 1500 : 53, k % 11);
	if (k % 13 == 6)
		rt_pkt_data(p)[10] ^= 0x5a; /* the device check drops it */
	return p;
}

/* The same packets through two instances of cfg, one by one into the
 * first and in bursts of `chunk` into the second: the same packets leave
 * in the same order on the same devices, the counters agree, and after
 * every burst the saved state is the same to the byte. */
static void check_burst_same(const char *cfg, uint32_t npkts, uint32_t chunk)
{
	struct rtu *a = open_cfg(cfg), *b = open_cfg(cfg);
	struct rt_pkt *v[128];
	for (uint32_t k = 0; k < npkts; k += chunk) {
		uint32_t n = npkts - k < chunk ? npkts - k : chunk;
		uint64_t now = 5 + k * burst_step;
		for (uint32_t i = 0; i < n; i++) {
			assert_int_equal(rt_module_push(a->m, 0, burst_pkt(a, k + i), now), 0);
			v[i] = burst_pkt(b, k + i);
		}
		assert_int_equal(rt_module_push_burst(b->m, 0, v, n, now), 0);
		/* the stateful elements' state, to the order of their tables */
		void *sa, *sb;
		size_t la, lb;
		assert_int_equal(rt_module_save(a->m, now, 1, &sa, &la), 0);
		assert_int_equal(rt_module_save(b->m, now, 1, &sb, &lb), 0);
		assert_int_equal(la, lb);
		assert_memory_equal(sa, sb, la);
		free(sa);
		free(sb);
	}
	assert_int_equal(a->nout, b->nout);
	for (uint32_t i = 0; i < a->nout; i++) {
		assert_int_equal(a->out_dev[i], b->out_dev[i]);
		assert_int_equal(a->out[i]->len, b->out[i]->len);
		assert_memory_equal(rt_pkt_data(a->out[i]), rt_pkt_data(b->out[i]), a->out[i]->len);
		assert_int_equal(a->out[i]->ip_off - (int32_t)a->out[i]->off,
		                 b->out[i]->ip_off - (int32_t)b->out[i]->off);
	}
	struct rt_counters ca, cb;
	rt_module_counters(a->m, &ca);
	rt_module_counters(b->m, &cb);
	assert_memory_equal(&ca, &cb, sizeof ca);
	const char *names[] = {"c", "c2", "ce"};
	const char *handlers[] = {"count", "byte_count", "drops", "spoofed", "unauthorized"};
	for (uint32_t i = 0; i < 3; i++)
		for (uint32_t h = 0; h < 5; h++) {
			uint64_t va = 0, vb = 0;
			int ra = rt_module_read(a->m, names[i], handlers[h], &va);
			assert_int_equal(ra, rt_module_read(b->m, names[i], handlers[h], &vb));
			assert_int_equal(va, vb);
		}
	done(a);
	done(b);
}

/* Bursts through the graph (push_burst in IPFilter/IPClassifier, Counter,
 * ToDevice) give what the per-packet path gives, for chains of converted
 * elements, mixes with unconverted ones (Paint, DecIPTTL, Tee, Discard),
 * split outputs that meet again, and bursts above RT_BURST_MAX. */
static void test_burst_matches_single(void **st)
{
	(void)st;
	static const char *cfgs[] = {
		"FromDevice(0) -> f :: IPFilter(allow udp dst port 1500, deny all) -> c :: Counter -> ToDevice(0)",
		"FromDevice(0) -> f :: IPClassifier(udp dst port 1500, tcp, -) -> c :: Counter -> ToDevice(0);"
		" f[1] -> c2 :: Counter -> DecIPTTL -> ToDevice(1); f[2] -> Paint(3) -> ToDevice(0)",
		"FromDevice(0) -> f :: IPFilter(1 udp dst port 53, 0 udp, deny all) -> c :: Counter -> Discard;"
		" f[1] -> c2 :: Counter -> t :: Tee -> ToDevice(0); t[1] -> ToDevice(1)",
		"FromDevice(0) -> c :: Counter -> c2 :: Counter -> Discard",
		"FromDevice(0) -> c :: Counter -> ToDevice(0) -> c2 :: Counter -> ToDevice(1)",
	};
	static const uint32_t chunks[] = {1, 3, 32, 64, 100};
	for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++)
		for (size_t j = 0; j < sizeof chunks / sizeof chunks[0]; j++)
			check_burst_same(cfgs[i], 300, chunks[j]);
}

/* The same for ChangeEnforcer (push_burst on both sides): as innetd
 * sandboxes a module (in, the module, out), with and without the
 * whitelist, a table small enough to evict, flows that repeat and
 * authorizations that expire between packets, and graphs where a packet
 * comes back into the enforcer (the per-packet path). */
static void test_burst_matches_single_enforcer(void **st)
{
	(void)st;
	static const char *cfgs[] = {
		"ce :: ChangeEnforcer(10.1.0.1, ALLOW 10.1.0.1/32); FromDevice(0) -> [0]ce[0] -> f :: IPFilter("
		"allow udp dst port 1500, allow tcp, deny all) -> c :: Counter -> [1]ce[1] -> ToDevice(0)",
		"ce :: ChangeEnforcer(10.1.0.1, CAPACITY 5, TIMEOUT 25ns); FromDevice(0) -> [0]ce[0] -> c :: Counter"
		" -> [1]ce[1] -> c2 :: Counter -> ToDevice(0)",
		"ce :: ChangeEnforcer(10.1.0.1, ALLOW 10.0.0.0/30, CAPACITY 4); FromDevice(0) -> [0]ce[0] -> c :: Counter"
		" -> IPFilter(allow udp, deny all) -> [1]ce[1] -> ToDevice(0)",
		"ce :: ChangeEnforcer(10.1.0.1, ALLOW 10.1.0.0/24, CAPACITY 6, TIMEOUT 5ns); FromDevice(0) -> [0]ce;"
		" ce[0] -> c :: Counter -> [1]ce[1] -> t :: Tee; t[0] -> ToDevice(0);"
		" t[1] -> f :: IPFilter(allow ip ttl > 62, deny all) -> DecIPTTL -> c2 :: Counter"
		" -> IPRewriter(pattern 10.9.0.1 2000-65535 - - 0 0) -> [0]ce",
		"ce :: ChangeEnforcer(10.1.0.1, ALLOW 10.1.0.0/24, CAPACITY 12); FromDevice(0) -> [0]ce;"
		" ce[0] -> c :: Counter -> t :: Tee -> [1]ce[1] -> ToDevice(0);"
		" t[1] -> f :: IPFilter(allow ip ttl > 62, deny all) -> DecIPTTL -> c2 :: Counter"
		" -> IPRewriter(pattern 10.9.0.1 2000-65535 - - 0 0) -> [0]ce",
	};
	static const uint32_t chunks[] = {1, 3, 32, 64, 100};
	static const uint32_t sports[] = {0, 3, 40};
	static const uint64_t steps[] = {0, 1};
	for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++)
		for (size_t p = 0; p < sizeof sports / sizeof sports[0]; p++)
			for (size_t t = 0; t < sizeof steps / sizeof steps[0]; t++)
				for (size_t j = 0; j < sizeof chunks / sizeof chunks[0]; j++) {
					burst_sports = sports[p];
					burst_step = steps[t];
					check_burst_same(cfgs[i], 300, chunks[j]);
				}
	burst_sports = 0;
	burst_step = 0;
}

static void test_decipttl(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> d :: DecIPTTL -> ToDevice(0); d[1] -> ToDevice(1)");
	for (uint32_t ttl = 0; ttl < 256; ttl++) {
		struct rt_pkt *p = rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 3);
		uint8_t *ip = rt_pkt_data(p);
		ip[8] = (uint8_t)ttl;
		rt_wr16(ip + 4, (uint16_t)(ttl * 977));
		rt_ip_set_csum(ip, 20);
		rt_module_push(u->m, 0, p, 0);
		assert_int_equal(u->nout, 1);
		if (ttl <= 1) {
			assert_int_equal(u->out_dev[0], 1);
			assert_int_equal(out_ip(u, 0)[8], ttl);
		} else {
			assert_int_equal(u->out_dev[0], 0);
			assert_int_equal(out_ip(u, 0)[8], ttl - 1);
			assert_true(rtu_ip_csum_ok(out_ip(u, 0)));
		}
		rtu_clear(u);
	}
	done(u);
	/* MULTICAST false: multicast destinations pass unchanged */
	u = open_cfg("FromDevice(0) -> d :: DecIPTTL(MULTICAST false) -> ToDevice(0); d[1] -> ToDevice(1)");
	rt_module_push(u->m, 0, rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(224, 0, 0, 5), 2, 3), 0);
	assert_int_equal(out_ip(u, 0)[8], 64);
	done(u);
}

static void test_fragmenter(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> f :: IPFragmenter(576) -> ToDevice(0); f[1] -> ToDevice(1)");
	/* 1500 bytes with a copied option (LSRR-like 0x83 len 7 + pad) */
	uint8_t raw[1500];
	memset(raw, 0, sizeof raw);
	raw[0] = 0x47;
	rt_wr16(raw + 2, 1500);
	rt_wr16(raw + 4, 99);
	raw[8] = 30;
	raw[9] = 17;
	rt_wr32(raw + 12, IP4(1, 1, 1, 1));
	rt_wr32(raw + 16, IP4(2, 2, 2, 2));
	raw[20] = 0x83; raw[21] = 7; raw[22] = 4;
	raw[27] = 1; /* NOP: not copied */
	for (int i = 28; i < 1500; i++)
		raw[i] = (uint8_t)(i * 31);
	rt_ip_set_csum(raw, 28);
	rt_module_push(u->m, 0, rtu_raw(u, raw, 1500), 0);
	assert_true(u->nout >= 3);
	uint32_t total = 0, expect_off = 0;
	uint8_t re[1500];
	for (uint32_t i = 0; i < u->nout; i++) {
		const uint8_t *ip = out_ip(u, i);
		uint32_t hl = (uint32_t)(ip[0] & 15) * 4, len = rt_rd16(ip + 2);
		assert_int_equal(u->out_dev[i], 0);
		assert_true(len <= 576);
		assert_int_equal(u->out[i]->len, len);
		assert_true(rtu_ip_csum_ok(ip));
		assert_int_equal(rt_rd16(ip + 4), 99);
		uint16_t off = rt_rd16(ip + 6);
		assert_int_equal((off & RT_IP_OFFMASK) * 8, expect_off);
		bool last = i + 1 == u->nout;
		assert_int_equal(!!(off & RT_IP_MF), !last);
		if (!last)
			assert_int_equal((len - hl) % 8, 0);
		if (i == 0)
			assert_int_equal(hl, 28);
		else
			assert_int_equal(hl, 28); /* 7-byte copied option padded to 8 */
		if (i > 0)
			assert_int_equal(ip[20], 0x83);
		memcpy(re + expect_off, ip + hl, len - hl);
		expect_off += len - hl;
		total += len - hl;
	}
	assert_int_equal(total, 1500 - 28);
	assert_memory_equal(re, raw + 28, total);
	rtu_clear(u);
	/* DF set: output 1 unchanged; small packets pass untouched */
	raw[6] = 0x40;
	rt_ip_set_csum(raw, 28);
	rt_module_push(u->m, 0, rtu_raw(u, raw, 1500), 0);
	assert_int_equal(u->nout, 1);
	assert_int_equal(u->out_dev[0], 1);
	rtu_clear(u);
	rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 500), 0);
	assert_int_equal(u->nout, 1);
	assert_int_equal(u->out_dev[0], 0);
	assert_int_equal(u->out[0]->len, 528);
	done(u);
}

static void test_icmp_error_and_ping(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> d :: DecIPTTL -> ToDevice(0);"
	                         "d[1] -> ICMPError(10.0.0.254, timeexceeded) -> ToDevice(1);"
	                         "FromDevice(1) -> p :: ICMPPingResponder -> ToDevice(2); p[1] -> Discard");
	struct rt_pkt *p = rtu_udp(u, IP4(10, 0, 0, 1), 5, IP4(10, 9, 9, 9), 6, 100);
	rt_pkt_data(p)[8] = 1;
	rt_ip_set_csum(rt_pkt_data(p), 20);
	rt_module_push(u->m, 0, p, 0);
	assert_int_equal(u->nout, 1);
	assert_int_equal(u->out_dev[0], 1);
	const uint8_t *ip = out_ip(u, 0);
	assert_int_equal(ip[8], 200);
	assert_int_equal(ip[9], 1);
	assert_int_equal(rt_rd32(ip + 12), IP4(10, 0, 0, 254));
	assert_int_equal(rt_rd32(ip + 16), IP4(10, 0, 0, 1));
	assert_int_equal(ip[20], 11);
	assert_int_equal(ip[21], 0);
	assert_true(rtu_ip_csum_ok(ip));
	assert_true(rtu_l4_csum_ok(ip));
	assert_int_equal(rt_rd16(ip + 2), 20 + 8 + 128);
	assert_int_equal(rt_rd32(ip + 28 + 16), IP4(10, 9, 9, 9)); /* the original header */
	assert_int_equal(u->out[0]->anno[RT_ANNO_FIX_IP_SRC], 1);
	rtu_clear(u);
	/* no error about an ICMP error, nor about a broadcast source */
	p = rtu_icmp(u, IP4(10, 0, 0, 1), IP4(10, 9, 9, 9), 3, 8);
	rt_pkt_data(p)[8] = 1;
	rt_ip_set_csum(rt_pkt_data(p), 20);
	rt_module_push(u->m, 0, p, 0);
	p = rtu_udp(u, IP4(255, 255, 255, 255), 5, IP4(10, 9, 9, 9), 6, 1);
	rt_pkt_data(p)[8] = 0;
	rt_ip_set_csum(rt_pkt_data(p), 20);
	rt_module_push(u->m, 0, p, 0);
	assert_int_equal(u->nout, 0);
	/* loopback and net-0 sources get no error */
	for (int k = 0; k < 2; k++) {
		p = rtu_udp(u, k ? IP4(127, 0, 0, 1) : IP4(0, 1, 2, 3), 5, IP4(10, 9, 9, 9), 6, 1);
		rt_pkt_data(p)[8] = 1;
		rt_ip_set_csum(rt_pkt_data(p), 20);
		rt_module_push(u->m, 0, p, 0);
	}
	assert_int_equal(u->nout, 0);
	/* a loose source route (two hops done) comes back reversed */
	uint8_t raw[44] = { 0x48, 0, 0, 44, 0, 1, 0, 0, 1, 17, 0, 0, 10, 0, 0, 1, 10, 9, 9, 9,
	                    131, 11, 12, 1, 1, 1, 1, 2, 2, 2, 2, 0 };
	rt_ip_set_csum(raw, 32);
	rt_module_push(u->m, 0, rtu_raw(u, raw, 44), 0);
	assert_int_equal(u->nout, 1);
	ip = out_ip(u, 0);
	assert_int_equal(ip[0], 0x48);
	assert_int_equal(ip[20], 131);
	assert_int_equal(ip[21], 11);
	assert_int_equal(ip[22], 4);
	assert_int_equal(rt_rd32(ip + 23), IP4(2, 2, 2, 2));
	assert_int_equal(rt_rd32(ip + 27), IP4(1, 1, 1, 1));
	assert_true(rtu_ip_csum_ok(ip));
	assert_int_equal(ip[32], 11);
	assert_int_equal(rt_csum(ip + 32, rt_rd16(ip + 2) - 32), 0);
	rtu_clear(u);
	/* echo request -> reply */
	rt_module_push(u->m, 1, rtu_icmp(u, IP4(8, 8, 8, 8), IP4(10, 0, 0, 2), 8, 32), 5 * SEC);
	assert_int_equal(u->nout, 1);
	assert_int_equal(u->out_dev[0], 2);
	ip = out_ip(u, 0);
	assert_int_equal(rt_rd32(ip + 12), IP4(10, 0, 0, 2));
	assert_int_equal(rt_rd32(ip + 16), IP4(8, 8, 8, 8));
	assert_int_equal(ip[8], 255);
	assert_int_equal(ip[20], 0);
	assert_true(rtu_ip_csum_ok(ip));
	assert_true(rtu_l4_csum_ok(ip));
	assert_int_equal(rt_pkt_dst_anno(u->out[0]), IP4(8, 8, 8, 8));
	assert_int_equal(u->out[0]->tstamp_ns, 5 * SEC);
	rtu_clear(u);
	/* an echo reply is not answered */
	rt_module_push(u->m, 1, rtu_icmp(u, IP4(8, 8, 8, 8), IP4(10, 0, 0, 2), 0, 32), 0);
	assert_int_equal(u->nout, 0);
	done(u);
}

static void test_tee_and_switches(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> t :: Tee(3); t[0] -> Paint(7) -> ToDevice(0); t[1] -> ToDevice(1); t[2] -> ToDevice(2)");
	rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 4), 0);
	assert_int_equal(u->nout, 3);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(u->out_dev[i], i);
	assert_int_equal(u->out[0]->anno[RT_ANNO_PAINT], 7);
	assert_int_equal(u->out[1]->anno[RT_ANNO_PAINT], 0);
	assert_ptr_not_equal(u->out[0]->buf, u->out[1]->buf);
	assert_memory_equal(rt_pkt_data(u->out[1]), rt_pkt_data(u->out[2]), 32);
	done(u);

	u = open_cfg("FromDevice(0) -> r :: RoundRobinSwitch; r[0] -> ToDevice(0); r[1] -> ToDevice(1); r[2] -> ToDevice(2)");
	for (int i = 0; i < 7; i++)
		rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 4), 0);
	for (uint32_t i = 0; i < 7; i++)
		assert_int_equal(u->out_dev[i], i % 3);
	done(u);

	u = open_cfg("FromDevice(0) -> h :: HashSwitch(12, 4); h[0] -> ToDevice(0); h[1] -> ToDevice(1); h[2] -> ToDevice(2)");
	for (uint32_t i = 0; i < 20; i++) {
		uint32_t src = IP4(1, 2, 3, i);
		rt_module_push(u->m, 0, rtu_udp(u, src, 1, 2, 2, 4), 0);
		assert_int_equal(u->out_dev[i], (1 + 2 + 3 + i) % 3);
	}
	done(u);

	u = open_cfg("FromDevice(0) -> Paint(1) -> s :: PaintSwitch; s[0] -> ToDevice(0); s[1] -> ToDevice(1);"
	             "FromDevice(1) -> Paint(255) -> s2 :: PaintSwitch; s2[0] -> ToDevice(2); s2[1] -> ToDevice(3)");
	rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 4), 0);
	rt_module_push(u->m, 1, rtu_udp(u, 1, 1, 2, 2, 4), 0);
	assert_int_equal(u->nout, 3);
	assert_int_equal(u->out_dev[0], 1);
	assert_int_equal(u->out_dev[1], 2);
	assert_int_equal(u->out_dev[2], 3);
	done(u);

	u = open_cfg("FromDevice(0) -> Paint(3) -> c :: CheckPaint(3) -> ToDevice(0); c[1] -> ToDevice(1);"
	             "FromDevice(1) -> c2 :: CheckPaint(3) -> ToDevice(2); c2[1] -> ToDevice(3)");
	rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 4), 0);
	rt_module_push(u->m, 1, rtu_udp(u, 1, 1, 2, 2, 4), 0);
	assert_int_equal(u->out_dev[0], 0);
	assert_int_equal(u->out_dev[1], 3);
	done(u);
}

static void test_classifiers(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> c :: IPClassifier(tcp dst port 80, udp, -);"
	                         "c[0] -> ToDevice(0); c[1] -> ToDevice(1); c[2] -> ToDevice(2)");
	rt_module_push(u->m, 0, rtu_tcp(u, 1, 1000, 2, 80, 0x02, 0), 0);
	rt_module_push(u->m, 0, rtu_tcp(u, 1, 1000, 2, 81, 0x02, 0), 0);
	rt_module_push(u->m, 0, rtu_udp(u, 1, 1000, 2, 80, 0), 0);
	rt_module_push(u->m, 0, rtu_icmp(u, 1, 2, 8, 0), 0);
	assert_int_equal(u->nout, 4);
	assert_int_equal(u->out_dev[0], 0);
	assert_int_equal(u->out_dev[1], 2);
	assert_int_equal(u->out_dev[2], 1);
	assert_int_equal(u->out_dev[3], 2);
	done(u);
	/* IPFilter: first match decides; no match drops; a non-first fragment
	 * has no ports so "udp port 1500" cannot match it */
	u = open_cfg("FromDevice(0) -> f :: IPFilter(deny src 10.0.0.1, allow udp port 1500, 1 icmp) -> ToDevice(0); f[1] -> ToDevice(1)");
	rt_module_push(u->m, 0, rtu_udp(u, IP4(10, 0, 0, 1), 1, 2, 1500, 0), 0);
	rt_module_push(u->m, 0, rtu_udp(u, IP4(10, 0, 0, 2), 1, 2, 1500, 0), 0);
	rt_module_push(u->m, 0, rtu_icmp(u, IP4(10, 0, 0, 2), 2, 8, 0), 0);
	rt_module_push(u->m, 0, rtu_tcp(u, IP4(10, 0, 0, 2), 1, 2, 1500, 2, 0), 0);
	struct rt_pkt *p = rtu_udp(u, IP4(10, 0, 0, 2), 1, 2, 1500, 0);
	rt_wr16(rt_pkt_data(p) + 6, 0x0010);
	rt_ip_set_csum(rt_pkt_data(p), 20);
	rt_module_push(u->m, 0, p, 0);
	assert_int_equal(u->nout, 2);
	assert_int_equal(u->out_dev[0], 0);
	assert_int_equal(u->out_dev[1], 1);
	done(u);
	/* Classifier on data bytes */
	u = open_cfg("FromDevice(0) -> c :: Classifier(9/11, 9/06, -); c[0] -> ToDevice(0); c[1] -> ToDevice(1); c[2] -> ToDevice(2)");
	rt_module_push(u->m, 0, rtu_tcp(u, 1, 1, 2, 2, 0, 0), 0);
	rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 0), 0);
	rt_module_push(u->m, 0, rtu_icmp(u, 1, 2, 8, 0), 0);
	assert_int_equal(u->out_dev[0], 1);
	assert_int_equal(u->out_dev[1], 0);
	assert_int_equal(u->out_dev[2], 2);
	done(u);
}

static void test_rewriter_replies(void **st)
{
	(void)st;
	/* a NAPT: inside flows get source 198.51.100.1 and a port in 5000-5001;
	 * replies come back in on input 1 and are mapped back. */
	struct rtu *u = open_cfg("rw :: IPRewriter(pattern 198.51.100.1 5000-5001 - - 0 1, drop);"
	                         "FromDevice(0) -> [0]rw; FromDevice(1) -> [1]rw; rw[0] -> ToDevice(0); rw[1] -> ToDevice(1)");
	rt_module_push(u->m, 0, rtu_udp(u, IP4(10, 0, 0, 5), 777, IP4(8, 8, 8, 8), 53, 12), 0);
	rt_module_push(u->m, 0, rtu_tcp(u, IP4(10, 0, 0, 5), 777, IP4(8, 8, 8, 8), 80, 0x02, 9), 0);
	rt_module_push(u->m, 0, rtu_udp(u, IP4(10, 0, 0, 6), 777, IP4(8, 8, 8, 8), 53, 12), 0);
	/* ports exhausted: IPRewriterPattern answers drop, which Click does not
	 * count as a mapping failure (only a full table's refusal is one) */
	rt_module_push(u->m, 0, rtu_udp(u, IP4(10, 0, 0, 7), 777, IP4(8, 8, 8, 8), 53, 12), 0);
	rt_module_push(u->m, 0, rtu_icmp(u, IP4(10, 0, 0, 5), IP4(8, 8, 8, 8), 8, 0), 0);      /* not TCP/UDP */
	assert_int_equal(u->nout, 3);
	uint16_t ports[3];
	for (uint32_t i = 0; i < 3; i++) {
		const uint8_t *ip = out_ip(u, i);
		assert_int_equal(u->out_dev[i], 0);
		assert_int_equal(rt_rd32(ip + 12), IP4(198, 51, 100, 1));
		ports[i] = rt_rd16(ip + 20);
		assert_true(ports[i] == 5000 || ports[i] == 5001);
		assert_true(rtu_ip_csum_ok(ip));
		assert_true(rtu_l4_csum_ok(ip));
	}
	assert_int_not_equal(ports[0], ports[2]); /* same 4-tuple space */
	uint64_t v;
	assert_int_equal(rt_module_read(u->m, "rw", "mapping_failures", &v), 0);
	assert_int_equal(v, 0);
	rtu_clear(u);
	/* the reply to the first flow */
	rt_module_push(u->m, 1, rtu_udp(u, IP4(8, 8, 8, 8), 53, IP4(198, 51, 100, 1), ports[0], 40), SEC);
	/* unsolicited: dropped by the drop spec */
	rt_module_push(u->m, 1, rtu_udp(u, IP4(8, 8, 8, 8), 53, IP4(198, 51, 100, 1), 4999, 40), SEC);
	assert_int_equal(u->nout, 1);
	const uint8_t *ip = out_ip(u, 0);
	assert_int_equal(u->out_dev[0], 1);
	assert_int_equal(rt_rd32(ip + 16), IP4(10, 0, 0, 5));
	assert_int_equal(rt_rd16(ip + 22), 777);
	assert_int_equal(rt_rd32(ip + 12), IP4(8, 8, 8, 8));
	assert_true(rtu_ip_csum_ok(ip));
	assert_true(rtu_l4_csum_ok(ip));
	assert_int_equal(rt_pkt_dst_anno(u->out[0]), IP4(10, 0, 0, 5));
	rtu_clear(u);
	/* Timeouts are soft: at 10 min the expired UDP mapping still works
	 * (the reaper runs every 15 min) ... */
	rt_module_run_timers(u->m, 10 * 60 * SEC);
	assert_int_equal(rt_module_read(u->m, "rw", "mapping_count", &v), 0);
	assert_int_equal(v, 3);
	rt_module_push(u->m, 1, rtu_udp(u, IP4(8, 8, 8, 8), 53, IP4(198, 51, 100, 1), ports[0], 40),
	               10 * 60 * SEC + SEC);
	assert_int_equal(u->nout, 1);
	rtu_clear(u);
	/* ... the reply refreshed it past the 15 min reap (a flow expiring
	 * at the reap itself is expired: Click's !(now < expiry)); at the 30 min reap
	 * every idle flow (UDP 300 s, TCP without data 300 s) is gone, so the
	 * exhausted port range has room again */
	rt_module_run_timers(u->m, 15 * 60 * SEC);
	assert_int_equal(rt_module_read(u->m, "rw", "mapping_count", &v), 0);
	assert_int_equal(v, 1);
	rt_module_run_timers(u->m, 30 * 60 * SEC);
	assert_int_equal(rt_module_read(u->m, "rw", "mapping_count", &v), 0);
	assert_int_equal(v, 0);
	rt_module_push(u->m, 0, rtu_udp(u, IP4(10, 0, 0, 7), 777, IP4(8, 8, 8, 8), 53, 12), 30 * 60 * SEC);
	assert_int_equal(u->nout, 1);
	done(u);
}

static void test_addr_rewriter(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("rw :: IPAddrRewriter(pattern 198.51.100.0/30 - 0 1, drop);"
	                         "FromDevice(0) -> [0]rw; FromDevice(1) -> [1]rw; rw[0] -> ToDevice(0); rw[1] -> ToDevice(1)");
	rt_module_push(u->m, 0, rtu_icmp(u, IP4(10, 0, 0, 5), IP4(8, 8, 8, 8), 8, 4), 0);
	rt_module_push(u->m, 0, rtu_udp(u, IP4(10, 0, 0, 5), 9, IP4(8, 8, 4, 4), 53, 4), 0);
	assert_int_equal(u->nout, 2);
	uint32_t a = rt_rd32(out_ip(u, 0) + 12);
	assert_true(a == IP4(198, 51, 100, 1) || a == IP4(198, 51, 100, 2));
	assert_int_equal(rt_rd32(out_ip(u, 1) + 12), a);
	assert_int_equal(rt_rd16(out_ip(u, 1) + 20), 9); /* ports untouched */
	for (int i = 0; i < 2; i++) {
		assert_true(rtu_ip_csum_ok(out_ip(u, (uint32_t)i)));
		assert_true(rtu_l4_csum_ok(out_ip(u, (uint32_t)i)));
	}
	rtu_clear(u);
	rt_module_push(u->m, 1, rtu_udp(u, IP4(8, 8, 4, 4), 53, a, 9, 4), 0);
	assert_int_equal(u->nout, 1);
	assert_int_equal(rt_rd32(out_ip(u, 0) + 16), IP4(10, 0, 0, 5));
	assert_true(rtu_l4_csum_ok(out_ip(u, 0)));
	done(u);
}

static void test_encap_strip(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> Strip(20) -> UDPIPEncap(1.1.1.1, 1234, 2.2.2.2, 5678) -> ToDevice(0);"
	                         "FromDevice(1) -> IPEncap(ipip, 3.3.3.3, 4.4.4.4, TTL 9) -> EtherEncap(0x0800, 00:01:02:03:04:05, 0a:0b:0c:0d:0e:0f) -> Strip(14) -> Unstrip(14) -> ToDevice(1)");
	rt_module_push(u->m, 0, rtu_udp(u, 7, 7, 8, 8, 30), 0);
	const uint8_t *ip = out_ip(u, 0);
	assert_int_equal(u->out[0]->len, 28 + 38);
	assert_int_equal(ip[8], 250);
	assert_int_equal(rt_rd32(ip + 16), IP4(2, 2, 2, 2));
	assert_int_equal(rt_rd16(ip + 22), 5678);
	assert_true(rtu_ip_csum_ok(ip));
	assert_true(rtu_l4_csum_ok(ip));
	rt_module_push(u->m, 0, rtu_udp(u, 7, 7, 8, 8, 30), 0);
	assert_int_equal(rt_rd16(out_ip(u, 1) + 4), rt_rd16(ip + 4) + 1); /* ID counter */
	rt_module_push(u->m, 1, rtu_udp(u, 7, 7, 8, 8, 3), 0);
	const uint8_t *e = out_ip(u, 2);
	assert_int_equal(u->out[2]->len, 14 + 20 + 31);
	assert_int_equal(e[0], 0x0a);
	assert_int_equal(e[6], 0x00);
	assert_int_equal(rt_rd16(e + 12), 0x0800);
	assert_int_equal(e[14 + 9], 4);
	assert_int_equal(e[14 + 8], 9);
	assert_true(rtu_ip_csum_ok(e + 14));
	assert_int_equal(rt_pkt_dst_anno(u->out[2]), IP4(4, 4, 4, 4));
	done(u);
}

static void test_store_and_dscp(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> StoreIPAddress(9.9.9.9, src) -> SetIPDSCP(46) -> ToDevice(0);"
	                         "FromDevice(1) -> s :: StoreIPAddress(9.9.9.9, 60) -> ToDevice(1); s[1] -> ToDevice(2)");
	rt_module_push(u->m, 0, rtu_tcp(u, 1, 2, 3, 4, 0x10, 5), 0);
	const uint8_t *ip = out_ip(u, 0);
	assert_int_equal(rt_rd32(ip + 12), IP4(9, 9, 9, 9));
	assert_int_equal(ip[1], 46 << 2);
	assert_true(rtu_ip_csum_ok(ip));
	assert_true(rtu_l4_csum_ok(ip));
	rt_module_push(u->m, 1, rtu_udp(u, 1, 2, 3, 4, 1), 0); /* 29 bytes: offset 60 out of range */
	assert_int_equal(u->out_dev[1], 2);
	done(u);
}

static void test_unqueuers(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> Queue(100) -> RatedUnqueue(10) -> ToDevice(0)");
	for (int i = 0; i < 20; i++)
		rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 1), 0);
	rt_module_run_timers(u->m, 0);
	assert_int_equal(u->nout, 1); /* bucket of 10 x 20 ms: 1 token */
	uint64_t t = rt_module_next_deadline(u->m);
	assert_int_equal(t, SEC / 10);
	for (uint64_t now = 0; now <= SEC; now += SEC / 100)
		rt_module_run_timers(u->m, now);
	assert_int_equal(u->nout, 11);
	done(u);

	u = open_cfg("FromDevice(0) -> Queue -> Unqueue(2) -> ToDevice(0)");
	for (int i = 0; i < 5; i++)
		rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 1), 0);
	assert_int_equal(u->nout, 0);
	assert_int_equal(rt_module_next_deadline(u->m), 0);
	rt_module_poll(u->m, 1);
	assert_int_equal(u->nout, 5);
	assert_int_equal(rt_module_next_deadline(u->m), UINT64_MAX);
	done(u);

	/* a pull task is due only when what it pulls from holds packets; a
	 * TimedUnqueue asleep is one (Click's Task on its upstream empty
	 * signal): no timer runs while its queue is empty */
	u = open_cfg("FromDevice(0) -> Queue -> TimedUnqueue(10, 1) -> ToDevice(0); FromDevice(1) -> Queue -> Unqueue -> ToDevice(1)");
	assert_int_equal(rt_module_next_deadline(u->m), UINT64_MAX);
	rt_module_push(u->m, 1, rtu_udp(u, 1, 1, 2, 2, 1), 0);
	assert_int_equal(rt_module_next_deadline(u->m), 0);
	rt_module_poll(u->m, 1);
	assert_int_equal(u->nout, 1);
	assert_int_equal(u->out_dev[0], 1);
	assert_int_equal(rt_module_next_deadline(u->m), UINT64_MAX);
	/* woken, the first packet leaves at once; the next INTERVAL after */
	rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 1), 2);
	rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 1), 2);
	assert_int_equal(rt_module_next_deadline(u->m), 0);
	rt_module_poll(u->m, 2);
	assert_int_equal(u->nout, 2);
	assert_int_equal(u->out_dev[1], 0);
	assert_int_equal(rt_module_next_deadline(u->m), 2 + 10 * SEC);
	/* while its timer is scheduled a packet arriving does not run it */
	rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 1), 3);
	assert_int_equal(rt_module_next_deadline(u->m), 2 + 10 * SEC);
	assert_int_equal(rt_module_run_timers(u->m, 3), 0);
	rt_module_poll(u->m, 2 + 10 * SEC);
	assert_int_equal(u->nout, 3);
	rt_module_poll(u->m, 2 + 20 * SEC);
	assert_int_equal(u->nout, 4);
	/* the grid outlives the queue by ten empty intervals (Click's Queue
	 * reports empty on its 10th failed pull in a row), then it sleeps */
	for (uint64_t k = 3; k <= 12; k++) {
		assert_int_equal(rt_module_next_deadline(u->m), 2 + k * 10 * SEC);
		assert_int_equal(rt_module_poll(u->m, 2 + k * 10 * SEC), 0);
	}
	assert_int_equal(rt_module_next_deadline(u->m), UINT64_MAX);
	rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 1), 200 * SEC + 5);
	rt_module_poll(u->m, 200 * SEC + 5);
	assert_int_equal(u->nout, 5);
	assert_int_equal(rt_module_next_deadline(u->m), 210 * SEC + 5);
	done(u);

	/* a queue held back by a rate is not empty: TimedUnqueue stays a timer
	 * (no spinning as a task its queue keeps due) until it passes */
	u = open_cfg("FromDevice(0) -> Queue -> BandwidthShaper(8000bps) -> TimedUnqueue(0.01, 1) -> ToDevice(0)");
	for (int i = 0; i < 3; i++)
		rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 72), 0); /* 100 bytes */
	rt_module_poll(u->m, 0);
	assert_int_equal(u->nout, 1);
	for (uint64_t now = SEC / 100; now < SEC / 10; now += SEC / 100) {
		assert_int_equal(rt_module_next_deadline(u->m), now);
		assert_int_equal(rt_module_poll(u->m, now), 0);
	}
	rt_module_poll(u->m, SEC / 10);
	assert_int_equal(u->nout, 2);
	done(u);

	/* pull all the way: ToDevice pulls through BandwidthShaper (1000 B/s) */
	u = open_cfg("FromDevice(0) -> Queue -> BandwidthShaper(8000bps) -> ToDevice(0)");
	for (int i = 0; i < 5; i++)
		rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 72), 0); /* 100 bytes */
	rt_module_run_timers(u->m, 0);
	assert_int_equal(u->nout, 1);
	assert_int_equal(rt_module_next_deadline(u->m), SEC / 10); /* sleeps, no spinning */
	rt_module_run_timers(u->m, SEC / 10 - 1);
	assert_int_equal(u->nout, 1);
	rt_module_run_timers(u->m, SEC / 10);
	assert_int_equal(u->nout, 2);
	done(u);

	u = open_cfg("FromDevice(0) -> r :: RatedSplitter(5) -> ToDevice(0); r[1] -> ToDevice(1)");
	for (int i = 0; i < 10; i++)
		rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 1), 0);
	assert_int_equal(u->out_dev[0], 0);
	assert_int_equal(u->out_dev[1], 1);
	done(u);
}

static void test_changeenforcer(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("ce :: ChangeEnforcer(10.1.0.5, ALLOW 192.0.2.0/24);"
	                         "FromDevice(0) -> [0]ce[0] -> ToDevice(0); FromDevice(1) -> [1]ce[1] -> ToDevice(1)");
	uint32_t mod = IP4(10, 1, 0, 5), client = IP4(203, 0, 113, 9);
	/* leaving towards the whitelist: passes; elsewhere: dropped */
	rt_module_push(u->m, 1, rtu_udp(u, mod, 53, IP4(192, 0, 2, 1), 53, 1), 0);
	rt_module_push(u->m, 1, rtu_udp(u, mod, 53, IP4(198, 18, 0, 1), 53, 1), 0);
	assert_int_equal(u->nout, 1);
	/* a client writes in: the reply is authorized, other ports are not */
	rt_module_push(u->m, 0, rtu_udp(u, client, 4444, mod, 53, 1), SEC);
	rt_module_push(u->m, 1, rtu_udp(u, mod, 53, client, 4444, 1), 2 * SEC);
	rt_module_push(u->m, 1, rtu_udp(u, mod, 53, client, 4445, 1), 2 * SEC);
	/* spoofed source: dropped */
	rt_module_push(u->m, 1, rtu_udp(u, IP4(1, 1, 1, 1), 53, IP4(192, 0, 2, 1), 53, 1), 2 * SEC);
	assert_int_equal(u->nout, 3);
	assert_int_equal(u->out_dev[1], 0);
	assert_int_equal(u->out_dev[2], 1);
	/* after the idle timeout the authorization is gone */
	rt_module_push(u->m, 1, rtu_udp(u, mod, 53, client, 4444, 1), 400 * SEC);
	assert_int_equal(u->nout, 3);
	uint64_t v;
	assert_int_equal(rt_module_read(u->m, "ce", "drops", &v), 0);
	assert_int_equal(v, 4);
	/* by reason (runtime.enforcer): one spoofed source, three
	 * destinations neither allowed nor a reply */
	assert_int_equal(rt_module_read(u->m, "ce", "spoofed", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(rt_module_read(u->m, "ce", "unauthorized", &v), 0);
	assert_int_equal(v, 3);
	done(u);
}

/* The enforcer's fast paths (changeenforcer.c: the ALLOW check resolved
 * at configure time, the record last found checked before the index, no
 * reply look-up towards an allowed destination while none can match),
 * each with its verdict and counters, as a sandboxed module sees them. */
static void ce_expect(struct rtu *u, uint64_t drops, uint64_t spoofed, uint64_t unauthorized)
{
	uint64_t v;
	assert_int_equal(rt_module_read(u->m, "ce", "drops", &v), 0);
	assert_int_equal(v, drops);
	assert_int_equal(rt_module_read(u->m, "ce", "spoofed", &v), 0);
	assert_int_equal(v, spoofed);
	assert_int_equal(rt_module_read(u->m, "ce", "unauthorized", &v), 0);
	assert_int_equal(v, unauthorized);
}

static void test_changeenforcer_fast_paths(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("ce :: ChangeEnforcer(10.1.0.5, ALLOW 10.1.0.5/32, TIMEOUT 100s);"
	                         "FromDevice(0) -> [0]ce[0] -> ToDevice(0); FromDevice(1) -> [1]ce[1] -> ToDevice(1)");
	uint32_t mod = IP4(10, 1, 0, 5), client = IP4(203, 0, 113, 9);
	/* entering: passes, authorizes client:4444 and the source client */
	rt_module_push(u->m, 0, rtu_udp(u, client, 4444, mod, 1500, 1), 1 * SEC);
	/* leaving as the firewall forwards it: an authorized source (the
	 * record the entering packet touched), to the /32 (one compare) */
	rt_module_push(u->m, 1, rtu_udp(u, client, 4444, mod, 1500, 1), 2 * SEC);
	/* a reply (the hinted record's reply key); the module's own source */
	rt_module_push(u->m, 1, rtu_udp(u, mod, 1500, client, 4444, 1), 3 * SEC);
	assert_int_equal(u->nout, 3);
	assert_int_equal(u->out_dev[0], 0);
	assert_int_equal(u->out_dev[1], 1);
	assert_int_equal(u->out_dev[2], 1);
	ce_expect(u, 0, 0, 0);
	/* not a reply (another port), not allowed: unauthorized */
	rt_module_push(u->m, 1, rtu_udp(u, mod, 1500, client, 4445, 1), 3 * SEC);
	/* an authorized source to a destination neither allowed nor a reply */
	rt_module_push(u->m, 1, rtu_udp(u, client, 4444, IP4(198, 18, 0, 1), 53, 1), 3 * SEC);
	/* a source neither ADDR nor authorized, to the allowed /32: spoofed */
	rt_module_push(u->m, 1, rtu_udp(u, IP4(1, 1, 1, 1), 53, mod, 1500, 1), 3 * SEC);
	assert_int_equal(u->nout, 3);
	ce_expect(u, 3, 1, 2);
	/* the reply at 3 s restarted the authorization's timer: still there
	 * at 102 s (installed at 1 s), and that reply restarts it again */
	rt_module_push(u->m, 1, rtu_udp(u, mod, 1500, client, 4444, 1), 102 * SEC);
	assert_int_equal(u->nout, 4);
	/* gone at 250 s; the source too (refreshed last at 1 s) */
	rt_module_push(u->m, 1, rtu_udp(u, mod, 1500, client, 4444, 1), 250 * SEC);
	rt_module_push(u->m, 1, rtu_udp(u, client, 4444, mod, 1500, 1), 250 * SEC);
	assert_int_equal(u->nout, 4);
	ce_expect(u, 5, 2, 3);
	/* an authorization a packet to the allowed /32 is a reply to (the
	 * module's own address came in as a source): that packet passes by
	 * the prefix and must still restart it, so the reply look-up is made */
	rt_module_push(u->m, 0, rtu_udp(u, mod, 7, mod, 1500, 1), 300 * SEC);
	rt_module_push(u->m, 1, rtu_udp(u, mod, 1500, mod, 7, 1), 350 * SEC);
	assert_int_equal(u->nout, 6);
	uint64_t v;
	rt_module_run_timers(u->m, 400 * SEC); /* reaps what expired by 400 s */
	assert_int_equal(rt_module_read(u->m, "ce", "count", &v), 0);
	assert_int_equal(v, 1); /* expires at 450 s, not 400 s */
	rt_module_run_timers(u->m, 500 * SEC);
	assert_int_equal(rt_module_read(u->m, "ce", "count", &v), 0);
	assert_int_equal(v, 0);
	ce_expect(u, 5, 2, 3);
	done(u);

	/* several prefixes: each one allows, nothing else does */
	u = open_cfg("ce :: ChangeEnforcer(10.1.0.5, ALLOW 192.0.2.0/24 10.9.0.0/16, ALLOW 198.51.100.7);"
	             "Idle -> [0]ce[0] -> Discard; FromDevice(1) -> [1]ce[1] -> ToDevice(1)");
	rt_module_push(u->m, 1, rtu_udp(u, mod, 1, IP4(192, 0, 2, 200), 53, 1), SEC);
	rt_module_push(u->m, 1, rtu_udp(u, mod, 1, IP4(10, 9, 255, 1), 53, 1), SEC);
	rt_module_push(u->m, 1, rtu_udp(u, mod, 1, IP4(198, 51, 100, 7), 53, 1), SEC);
	rt_module_push(u->m, 1, rtu_udp(u, mod, 1, IP4(198, 51, 100, 8), 53, 1), SEC);
	rt_module_push(u->m, 1, rtu_udp(u, mod, 1, IP4(10, 10, 0, 1), 53, 1), SEC);
	rt_module_push(u->m, 1, rtu_udp(u, mod, 1, IP4(192, 0, 3, 1), 53, 1), SEC);
	assert_int_equal(u->nout, 3);
	ce_expect(u, 3, 0, 3);
	done(u);
}

/* The fast paths against the reference (changeenforcer__reference: every
 * look-up through the index, the reply look-up always made): random
 * traffic both ways over a small set of addresses and ports (0.0.0.0,
 * ADDR, allowed and other destinations, TCP/UDP/ICMP), authorizations that
 * expire and are evicted, the timer reaping; one instance runs the
 * reference one packet at a time, the other the fast path in bursts. The
 * same packets leave on the same devices, the counters agree, and the
 * saved state is the same to the byte after every burst. */
extern bool changeenforcer__reference;

static uint32_t ce_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (uint32_t)(*x >> 11);
}

static struct rt_pkt *ce_rand_pkt(struct rtu *u, uint64_t *x)
{
	static const uint32_t addrs[] = { 0, IP4(10, 1, 0, 5), IP4(10, 1, 0, 6), IP4(192, 0, 2, 1),
	                                  IP4(203, 0, 113, 9), IP4(203, 0, 113, 10), IP4(198, 51, 100, 2) };
	static const uint16_t ports[] = { 0, 53, 1500, 4444 };
	uint32_t r = ce_rand(x);
	uint32_t s = addrs[r % 7], d = addrs[(r >> 3) % 7];
	uint16_t sp = ports[(r >> 6) % 4], dp = ports[(r >> 8) % 4];
	struct rt_pkt *p;
	switch ((r >> 10) % 5) {
	case 0:
		p = rtu_tcp(u, s, sp, d, dp, 0x10, 1);
		break;
	case 1:
		return rtu_icmp(u, s, d, 8, 4);
	default:
		p = rtu_udp(u, s, sp, d, dp, 1);
		break;
	}
	/* now and then a later fragment (no ports) or a packet cut short
	 * inside its ports (no ports either) */
	uint8_t *ip = rt_pkt_data(p);
	switch ((r >> 13) % 8) {
	case 0:
		rt_wr16(ip + 6, 0x0010);
		break;
	case 1:
		p->len = 22;
		rt_wr16(ip + 2, 22);
		break;
	default:
		return p;
	}
	rt_ip_set_csum(ip, 20);
	return p;
}

static void ce_same_state(struct rtu *a, struct rtu *b, uint64_t now)
{
	void *sa, *sb;
	size_t la, lb;
	assert_int_equal(rt_module_save(a->m, now, 1, &sa, &la), 0);
	assert_int_equal(rt_module_save(b->m, now, 1, &sb, &lb), 0);
	assert_int_equal(la, lb);
	assert_memory_equal(sa, sb, la);
	free(sa);
	free(sb);
	static const char *h[] = { "drops", "spoofed", "unauthorized", "count" };
	for (uint32_t i = 0; i < 4; i++) {
		uint64_t va, vb;
		assert_int_equal(rt_module_read(a->m, "ce", h[i], &va), 0);
		assert_int_equal(rt_module_read(b->m, "ce", h[i], &vb), 0);
		assert_int_equal(va, vb);
	}
	assert_int_equal(a->nout, b->nout);
	for (uint32_t i = 0; i < a->nout; i++) {
		assert_int_equal(a->out_dev[i], b->out_dev[i]);
		assert_int_equal(a->out[i]->len, b->out[i]->len);
		assert_memory_equal(rt_pkt_data(a->out[i]), rt_pkt_data(b->out[i]), a->out[i]->len);
	}
	rtu_clear(a);
	rtu_clear(b);
}

static void ce_check_reference(const char *cfg, uint64_t seed, uint32_t chunk, uint64_t step)
{
	struct rtu *a = open_cfg(cfg), *b = open_cfg(cfg);
	uint64_t xa = seed, xb = seed, now = 1;
	struct rt_pkt *v[64];
	for (uint32_t k = 0; k < 600; k++) {
		uint32_t r = ce_rand(&xa), dev = r & 1, n = 1 + (r >> 1) % chunk;
		(void)ce_rand(&xb);
		now += step * ((r >> 8) % 4);
		changeenforcer__reference = true;
		for (uint32_t i = 0; i < n; i++)
			assert_int_equal(rt_module_push(a->m, dev, ce_rand_pkt(a, &xa), now), 0);
		if (r % 16 == 5)
			rt_module_run_timers(a->m, now);
		changeenforcer__reference = false;
		for (uint32_t i = 0; i < n; i++)
			v[i] = ce_rand_pkt(b, &xb);
		assert_int_equal(rt_module_push_burst(b->m, dev, v, n, now), 0);
		if (r % 16 == 5)
			rt_module_run_timers(b->m, now);
		ce_same_state(a, b, now);
	}
	done(a);
	done(b);
}

static void test_enforcer_fast_matches_reference(void **st)
{
	(void)st;
#define CE_DEVS "FromDevice(0) -> [0]ce[0] -> ToDevice(0); FromDevice(1) -> [1]ce[1] -> ToDevice(1)"
	static const char *cfgs[] = {
		/* as innetd sandboxes: ALLOW the module's /32 */
		"ce :: ChangeEnforcer(10.1.0.5, ALLOW 10.1.0.5/32, TIMEOUT 40ns);" CE_DEVS,
		"ce :: ChangeEnforcer(10.1.0.5, ALLOW 10.1.0.5/32 192.0.2.0/24, CAPACITY 3, TIMEOUT 30ns);" CE_DEVS,
		"ce :: ChangeEnforcer(10.1.0.5, TIMEOUT 50ns, CAPACITY 4);" CE_DEVS,
		"ce :: ChangeEnforcer(10.1.0.5, ALLOW 0.0.0.0/32, TIMEOUT 40ns);" CE_DEVS,
		"ce :: ChangeEnforcer(10.1.0.5, ALLOW 0.0.0.0/0, CAPACITY 2, TIMEOUT 20ns);" CE_DEVS,
		/* the sandbox around a module: what leaves is what came in, or
		 * its reply (IPMirror), or both (Tee) */
		"ce :: ChangeEnforcer(10.1.0.5, ALLOW 10.1.0.5/32, TIMEOUT 40ns);"
		"FromDevice(0) -> [0]ce[0] -> c :: Counter -> [1]ce[1] -> ToDevice(0); FromDevice(1) -> Discard",
		"ce :: ChangeEnforcer(10.1.0.5, ALLOW 10.1.0.5/32 203.0.113.10, CAPACITY 3, TIMEOUT 40ns);"
		"FromDevice(0) -> [0]ce[0] -> t :: Tee -> [1]ce[1] -> ToDevice(0); t[1] -> IPMirror -> [1]ce;"
		"FromDevice(1) -> Discard",
	};
#undef CE_DEVS
	static const uint32_t chunks[] = { 1, 8, 40 };
	static const uint64_t steps[] = { 0, 3 };
	for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++)
		for (size_t j = 0; j < sizeof chunks / sizeof chunks[0]; j++)
			for (size_t t = 0; t < sizeof steps / sizeof steps[0]; t++)
				ce_check_reference(cfgs[i], 0x9e3779b97f4a7c15ull + i * 77 + j, chunks[j], steps[t]);
	changeenforcer__reference = false;
}

static void test_arp(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("a :: ARPResponder(10.0.0.1/32 00:11:22:33:44:55) -> ToDevice(0); a[1] -> ToDevice(1);"
	                         "q :: ARPQuerier(10.0.0.1, 00:11:22:33:44:55) -> ToDevice(2); Idle -> [1]q; FromDevice(0) -> [0]q; Idle -> a");
	uint8_t req[42] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 2, 2, 2, 2, 2, 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1,
	                    2, 2, 2, 2, 2, 2, 10, 0, 0, 9, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1 };
	rt_module_push_elem(u->m, "a", 0, rtu_raw(u, req, 42), 0);
	assert_int_equal(u->nout, 1);
	const uint8_t *r = out_ip(u, 0);
	assert_int_equal(u->out_dev[0], 0);
	assert_int_equal(r[0], 2);
	assert_int_equal(r[6], 0x00);
	assert_int_equal(rt_rd16(r + 20), 2);
	assert_int_equal(rt_rd32(r + 28), IP4(10, 0, 0, 1));
	assert_int_equal(rt_rd32(r + 38), IP4(10, 0, 0, 9));
	req[41] = 2; /* not ours */
	rt_module_push_elem(u->m, "a", 0, rtu_raw(u, req, 42), 0);
	assert_int_equal(u->out_dev[1], 1);
	rtu_clear(u);
	/* querier: unknown next hop -> packet held, request broadcast */
	rt_module_push(u->m, 0, rtu_udp(u, IP4(10, 0, 0, 1), 1, IP4(10, 0, 0, 9), 2, 1), 0);
	assert_int_equal(u->nout, 1);
	r = out_ip(u, 0);
	assert_int_equal(rt_rd16(r + 12), 0x0806);
	assert_int_equal(rt_rd32(r + 38), IP4(10, 0, 0, 9));
	rtu_clear(u);
	/* the reply releases it with an Ethernet header */
	uint8_t rep[42];
	memcpy(rep, req, 42);
	rt_wr16(rep + 20, 2);
	rt_wr32(rep + 28, IP4(10, 0, 0, 9));
	rt_module_push_elem(u->m, "q", 1, rtu_raw(u, rep, 42), 0);
	assert_int_equal(u->nout, 1);
	r = out_ip(u, 0);
	assert_int_equal(rt_rd16(r + 12), 0x0800);
	assert_int_equal(r[0], 2);
	assert_int_equal(rt_rd32(r + 14 + 16), IP4(10, 0, 0, 9));
	rtu_clear(u);
	/* now known: straight through */
	rt_module_push(u->m, 0, rtu_udp(u, IP4(10, 0, 0, 1), 1, IP4(10, 0, 0, 9), 2, 1), SEC);
	assert_int_equal(u->nout, 1);
	assert_int_equal(rt_rd16(out_ip(u, 0) + 12), 0x0800);
	done(u);
}

static void test_lookup_and_misc(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> l :: StaticIPLookup(10.0.0.0/8 0, 10.1.0.0/16 10.1.0.1 1, 0.0.0.0/0 2);"
	                         "l[0] -> ToDevice(0); l[1] -> ToDevice(1); l[2] -> ToDevice(2)");
	rt_module_push(u->m, 0, rtu_udp(u, 1, 1, IP4(10, 2, 0, 1), 2, 1), 0);
	rt_module_push(u->m, 0, rtu_udp(u, 1, 1, IP4(10, 1, 0, 7), 2, 1), 0);
	rt_module_push(u->m, 0, rtu_udp(u, 1, 1, IP4(11, 1, 0, 7), 2, 1), 0);
	assert_int_equal(u->out_dev[0], 0);
	assert_int_equal(u->out_dev[1], 1);
	assert_int_equal(rt_pkt_dst_anno(u->out[1]), IP4(10, 1, 0, 1));
	assert_int_equal(u->out_dev[2], 2);
	done(u);

	u = open_cfg("FromDevice(0) -> IPMirror -> SetIPAddress(1.2.3.4) -> StoreData(0, \\<47>) -> Print(x) -> ToDevice(0)");
	rt_module_push(u->m, 0, rtu_udp(u, IP4(1, 1, 1, 1), 10, IP4(2, 2, 2, 2), 20, 1), 0);
	const uint8_t *ip = out_ip(u, 0);
	assert_int_equal(ip[0], 0x47);
	assert_int_equal(rt_rd32(ip + 12), IP4(2, 2, 2, 2));
	assert_int_equal(rt_rd16(ip + 20), 20);
	assert_int_equal(rt_pkt_dst_anno(u->out[0]), IP4(1, 2, 3, 4));
	assert_int_equal(u->nlog, 1);
	assert_non_null(strstr(u->last_log, "x:"));
	done(u);
}

static void test_push_loop_and_quota(void **st)
{
	(void)st;
	/* a configuration whose push path would loop forever ends, dropping */
	struct rtu *u = calloc(1, sizeof *u);
	struct rt_limits lim = { .max_depth = 32 };
	assert_int_equal(rtu_open_lim(u, "FromDevice(0) -> t :: Tee(2); t[0] -> ToDevice(0); t[1] -> Null -> t", 0, &lim), 0);
	rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 1), 0);
	assert_true(u->nout > 0 && u->nout < 64);
	rtu_close(u);
	free(u);
	/* a memory quota refuses a module whose tables do not fit */
	struct rt_limits small = { .mem_max = 4096 };
	u = calloc(1, sizeof *u);
	assert_int_equal(rtu_open_lim(u, "FromDevice(0) -> Queue(100000) -> Unqueue -> ToDevice(0)", 0, &small), -ENOMEM);
	rt_simple_pool_free(u->sp);
	free(u);
}

static void test_headroom_and_pull_paths(void **st)
{
	(void)st;
	/* Unstrip beyond the headroom moves the packet to a new buffer: the
	 * stripped bytes still reappear, the never-present ones are zero */
	struct rtu *u = open_cfg("FromDevice(0) -> Strip(8) -> Unstrip(300) -> ToDevice(0)");
	struct rt_pkt *p = rtu_udp(u, IP4(1, 2, 3, 4), 1, 2, 2, 4);
	uint8_t orig[32];
	memcpy(orig, rt_pkt_data(p), 32);
	rt_module_push(u->m, 0, p, 0);
	assert_int_equal(u->nout, 1);
	assert_int_equal(u->out[0]->len, 32 + 300 - 8);
	const uint8_t *d = rt_pkt_data(u->out[0]);
	for (uint32_t i = 0; i < 300 - 8 - 128; i++)
		assert_int_equal(d[i], 0);
	assert_memory_equal(d + 300, orig + 8, 24); /* the data after Strip */
	assert_memory_equal(d + 300 - 8, orig, 8);  /* the stripped bytes */
	/* the IP header annotation followed the bytes */
	assert_int_equal(rt_rd32(rt_pkt_ip(u->out[0]) + 12), IP4(1, 2, 3, 4));
	done(u);
	/* pull paths: ToDevice pulls through agnostic elements; Discard in
	 * pull context drains its queue */
	u = open_cfg("FromDevice(0) -> Queue -> c :: Counter -> DecIPTTL -> ToDevice(0);"
	             "FromDevice(1) -> q2 :: Queue -> d :: Discard");
	for (int i = 0; i < 3; i++) {
		rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 4), 0);
		rt_module_push(u->m, 1, rtu_udp(u, 1, 1, 2, 2, 4), 0);
	}
	assert_int_equal(u->nout, 0);
	rt_module_poll(u->m, 1);
	assert_int_equal(u->nout, 3);
	assert_int_equal(out_ip(u, 0)[8], 63);
	uint64_t v;
	assert_int_equal(rt_module_read(u->m, "c", "count", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(rt_module_read(u->m, "d", "count", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(rt_module_read(u->m, "q2", "length", &v), 0);
	assert_int_equal(v, 0);
	done(u);
}

/* IP options move the transport header: classifiers and the rewriter find
 * the ports behind them, and checksums stay valid. */
static void test_ip_options(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> IPFilter(allow udp dst port 1500) -> IPRewriter(pattern 7.7.7.7 40000 - - 0 0) -> ToDevice(0)");
	uint8_t raw[44] = { 0x46, 0, 0, 40, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 1, 1, 1, 0 };
	rt_wr16(raw + 24, 999);
	rt_wr16(raw + 26, 1500);
	rt_wr16(raw + 28, 16);
	memcpy(raw + 32, "payload!", 8);
	uint16_t c = rt_csum_fold(rt_csum_add(rt_csum_add(0, raw + 12, 8) + 17 + 16, raw + 24, 16));
	rt_wr16(raw + 30, c);
	rt_ip_set_csum(raw, 24);
	rt_module_push(u->m, 0, rtu_raw(u, raw, 40), 0);
	/* the same packet to port 1501 is filtered out */
	rt_wr16(raw + 26, 1501);
	rt_ip_set_csum(raw, 24);
	rt_module_push(u->m, 0, rtu_raw(u, raw, 40), 0);
	assert_int_equal(u->nout, 1);
	const uint8_t *ip = out_ip(u, 0);
	assert_int_equal(rt_rd32(ip + 12), IP4(7, 7, 7, 7));
	assert_int_equal(rt_rd16(ip + 24), 40000);
	assert_int_equal(rt_rd16(ip + 26), 1500);
	assert_int_equal(ip[20], 1); /* options untouched */
	assert_true(rtu_ip_csum_ok(ip));
	assert_true(rtu_l4_csum_ok(ip));
	done(u);
	/* after a Strip the IP header lies before the data pointer; IP
	 * elements still read it through the annotation, as Click's do */
	u = open_cfg("FromDevice(0) -> Strip(28) -> IPFilter(allow udp dst port 1500) -> DecIPTTL -> ToDevice(0)");
	rt_module_push(u->m, 0, rtu_udp(u, 1, 9, 2, 1500, 4), 0);
	rt_module_push(u->m, 0, rtu_udp(u, 1, 9, 2, 1501, 4), 0);
	assert_int_equal(u->nout, 1);
	assert_int_equal(u->out[0]->len, 4);
	assert_int_equal(rt_pkt_ip(u->out[0])[8], 63);
	assert_true(rtu_ip_csum_ok(rt_pkt_ip(u->out[0])));
	done(u);
}

/* store_flow: a newer flow with the same reply key replaces the older, so
 * 5,000 inside hosts each sending one UDP flow all get out, through a
 * fixed-address IPRewriter and through an IPAddrRewriter (Click forwards
 * all 5,000; innet used to refuse the taken reply key). */
static void test_rewriter_5000_hosts(void **st)
{
	(void)st;
	const char *cfgs[] = {
		"FromDevice(0) -> IPRewriter(pattern 192.0.2.1 1024-65535 - - 0 0) -> ToDevice(0)",
		"FromDevice(0) -> IPAddrRewriter(pattern 192.0.2.1 - 0 0) -> ToDevice(0)",
	};
	for (int c = 0; c < 2; c++) {
		struct rtu *u = open_cfg(cfgs[c]);
		uint32_t out = 0;
		for (uint32_t i = 0; i < 5000; i++) {
			rt_module_push(u->m, 0, rtu_udp(u, IP4(10, 0, 0, 0) + i + 1, 4000, IP4(8, 8, 8, 8), 53, 8),
			               i * 1000);
			out += u->nout;
			rtu_clear(u);
		}
		assert_int_equal(out, 5000);
		done(u);
	}
}

/* save -> load: mappings, failures and the reaper's phase survive; a
 * mapping the reaper would have removed while away is gone; corrupt bytes
 * are -EINVAL. */
static void test_rewriter_save_load(void **st)
{
	(void)st;
	const char *cfg = "rw :: IPRewriter(pattern 198.51.100.1 5000-5999 - - 0 1, drop);"
	                  "FromDevice(0) -> [0]rw; FromDevice(1) -> [1]rw; rw[0] -> ToDevice(0); rw[1] -> ToDevice(1)";
	struct rtu *u = open_cfg(cfg);
	for (uint32_t i = 0; i < 100; i++)
		rt_module_push(u->m, 0, rtu_udp(u, IP4(10, 0, 1, 0) + i, 777, IP4(8, 8, 8, 8), 53, 12), 0);
	uint16_t port0 = rt_rd16(out_ip(u, 0) + 20);
	rtu_clear(u);
	void *blob;
	size_t len;
	assert_int_equal(rt_module_save(u->m, SEC, 1000 * SEC, &blob, &len), 0);
	fprintf(stderr, "rewriter state: %zu bytes for 100 mappings\n", len);
	assert_true(len < 100 * 64);
	struct rtu *v = open_cfg(cfg);
	struct diags d;
	diags_init(&d);
	/* away 60 s: all kept, the reply is mapped back */
	assert_int_equal(rt_module_load(v->m, blob, len, 0, 1060 * SEC, &d), 0);
	uint64_t n;
	assert_int_equal(rt_module_read(v->m, "rw", "mapping_count", &n), 0);
	assert_int_equal(n, 100);
	rt_module_push(v->m, 1, rtu_udp(v, IP4(8, 8, 8, 8), 53, IP4(198, 51, 100, 1), port0, 4), SEC);
	assert_int_equal(v->nout, 1);
	assert_int_equal(rt_rd32(out_ip(v, 0) + 16), IP4(10, 0, 1, 0));
	done(v);
	/* away an hour: the 15 min reap removed every idle 300 s flow */
	v = open_cfg(cfg);
	assert_int_equal(rt_module_load(v->m, blob, len, 0, 4600 * SEC, &d), 0);
	assert_int_equal(rt_module_read(v->m, "rw", "mapping_count", &n), 0);
	assert_int_equal(n, 0);
	done(v);
	/* corrupt bytes */
	v = open_cfg(cfg);
	((uint8_t *)blob)[len - 3] ^= 0xff;
	((uint8_t *)blob)[len / 2] = 0xff;
	assert_int_equal(rt_module_load(v->m, blob, len - 1, 0, 1000 * SEC, &d), -EINVAL);
	done(v);
	diags_free(&d);
	free(blob);
	done(u);
}

/* IPAddrRewriter save -> load, on a module clock that starts again at 0:
 * mappings, the sequential cursor and the reaper's phase survive; a
 * mapping that expired while away and that the reaper would have removed
 * is gone, its reply dropped; corrupt bytes are -EINVAL. The 49 idle
 * mappings' guarantees (5 s) lie far before the save: loading them on the
 * new clock must not turn them into guarantees that never end. */
static void test_addr_rewriter_save_load(void **st)
{
	(void)st;
	const char *cfg = "rw :: IPAddrRewriter(pattern 198.51.100.1-198.51.100.200# - 0 1, drop,"
	                  " TIMEOUT 300, REAP_INTERVAL 60);"
	                  "FromDevice(0) -> [0]rw; FromDevice(1) -> [1]rw; rw[0] -> ToDevice(0); rw[1] -> ToDevice(1)";
	const uint32_t host = IP4(10, 0, 2, 0), late = IP4(10, 0, 9, 9), dns = IP4(8, 8, 8, 8);
	struct rtu *u = open_cfg(cfg);
	for (uint32_t i = 0; i < 50; i++)
		rt_module_push(u->m, 0, rtu_udp(u, host + i, 9, dns, 53, 4), 0);
	assert_int_equal(u->nout, 50);
	assert_int_equal(rt_rd32(out_ip(u, 0) + 12), IP4(198, 51, 100, 1));
	assert_int_equal(rt_rd32(out_ip(u, 49) + 12), IP4(198, 51, 100, 50));
	rtu_clear(u);
	/* the reaper runs at 200 s (next at 260 s); then host 0 refreshes its
	 * mapping and a new host gets the 51st address: both expire at 500 s,
	 * the other 49 at 300 s */
	rt_module_run_timers(u->m, 200 * SEC);
	rt_module_push(u->m, 0, rtu_udp(u, host, 9, dns, 53, 4), 200 * SEC);
	rt_module_push(u->m, 0, rtu_udp(u, late, 9, dns, 53, 4), 200 * SEC);
	assert_int_equal(u->nout, 2);
	assert_int_equal(rt_rd32(out_ip(u, 0) + 12), IP4(198, 51, 100, 1));
	assert_int_equal(rt_rd32(out_ip(u, 1) + 12), IP4(198, 51, 100, 51));
	rtu_clear(u);
	void *blob;
	size_t len;
	assert_int_equal(rt_module_save(u->m, 200 * SEC, 1000 * SEC, &blob, &len), 0);
	assert_true(len < 51 * 64);
	struct diags d;
	diags_init(&d);
	uint64_t n;

	/* away 60 s: all 51 kept, replies map back, a new host gets the next
	 * address (the cursor survived) */
	struct rtu *v = open_cfg(cfg);
	assert_int_equal(rt_module_load(v->m, blob, len, 0, 1060 * SEC, &d), 0);
	assert_int_equal(rt_module_read(v->m, "rw", "mapping_count", &n), 0);
	assert_int_equal(n, 51);
	rt_module_push(v->m, 1, rtu_udp(v, dns, 53, IP4(198, 51, 100, 2), 9, 4), SEC);
	rt_module_push(v->m, 0, rtu_udp(v, IP4(10, 0, 9, 10), 9, dns, 53, 4), SEC);
	assert_int_equal(v->nout, 2);
	assert_int_equal(rt_rd32(out_ip(v, 0) + 16), host + 1);
	assert_true(rtu_l4_csum_ok(out_ip(v, 0)));
	assert_int_equal(rt_rd32(out_ip(v, 1) + 12), IP4(198, 51, 100, 52));
	rtu_clear(v);
	/* the 49 expire 40 s into the new clock (host 1's reply refreshed its
	 * own); the reaper (phase kept: 260 s on the old clock, 0 s on the
	 * new, so next at 60 s) removes the other 48 by 100 s, as it would
	 * have without the move */
	rt_module_run_timers(v->m, 100 * SEC);
	assert_int_equal(rt_module_read(v->m, "rw", "mapping_count", &n), 0);
	assert_int_equal(n, 4);
	done(v);

	/* away 200 s: the reaper's runs at 320 and 380 s removed the 49 that
	 * expired at 300 s; the two refreshed ones stay */
	v = open_cfg(cfg);
	assert_int_equal(rt_module_load(v->m, blob, len, 0, 1200 * SEC, &d), 0);
	assert_int_equal(rt_module_read(v->m, "rw", "mapping_count", &n), 0);
	assert_int_equal(n, 2);
	rt_module_push(v->m, 1, rtu_udp(v, dns, 53, IP4(198, 51, 100, 2), 9, 4), SEC);
	assert_int_equal(v->nout, 0);
	rt_module_push(v->m, 1, rtu_udp(v, dns, 53, IP4(198, 51, 100, 51), 9, 4), SEC);
	rt_module_push(v->m, 1, rtu_udp(v, dns, 53, IP4(198, 51, 100, 1), 9, 4), SEC);
	assert_int_equal(v->nout, 2);
	assert_int_equal(rt_rd32(out_ip(v, 0) + 16), late);
	assert_int_equal(rt_rd32(out_ip(v, 1) + 16), host);
	done(v);

	/* away two hours: nothing left */
	v = open_cfg(cfg);
	assert_int_equal(rt_module_load(v->m, blob, len, 0, 8200 * SEC, &d), 0);
	assert_int_equal(rt_module_read(v->m, "rw", "mapping_count", &n), 0);
	assert_int_equal(n, 0);
	done(v);

	/* saved with the reaper overdue (a packet moved the clock to 270 s,
	 * past its 260 s, before the timers ran): it is due at the save, so
	 * after 10 s away it runs 50 s into the new clock and removes the 49
	 * that expired 20 s into it, rather than never running again */
	void *late_blob;
	size_t late_len;
	rt_module_push(u->m, 0, rtu_udp(u, host, 9, dns, 53, 4), 270 * SEC);
	rtu_clear(u);
	assert_int_equal(rt_module_save(u->m, 270 * SEC, 2000 * SEC, &late_blob, &late_len), 0);
	v = open_cfg(cfg);
	assert_int_equal(rt_module_load(v->m, late_blob, late_len, 0, 2010 * SEC, &d), 0);
	assert_true(rt_module_next_deadline(v->m) <= 50 * SEC);
	rt_module_run_timers(v->m, 60 * SEC);
	assert_int_equal(rt_module_read(v->m, "rw", "mapping_count", &n), 0);
	assert_int_equal(n, 2);
	done(v);
	free(late_blob);

	/* corrupt bytes */
	v = open_cfg(cfg);
	((uint8_t *)blob)[len - 3] ^= 0xff;
	((uint8_t *)blob)[len / 2] = 0xff;
	assert_int_equal(rt_module_load(v->m, blob, len - 1, 0, 1000 * SEC, &d), -EINVAL);
	done(v);
	diags_free(&d);
	free(blob);
	done(u);
}

/* ChangeEnforcer save -> load: authorizations, counters and the timer's
 * phase survive; one that expired while away is refused at once (hard
 * timeout) even before the timer removes it; those the timer would have
 * removed while away are not restored; corrupt bytes are -EINVAL. */
static void test_changeenforcer_save_load(void **st)
{
	(void)st;
	const char *cfg = "ce :: ChangeEnforcer(10.1.0.5, ALLOW 192.0.2.0/24, TIMEOUT 100);"
	                  "FromDevice(0) -> [0]ce[0] -> ToDevice(0); FromDevice(1) -> [1]ce[1] -> ToDevice(1)";
	const uint32_t mod = IP4(10, 1, 0, 5), client = IP4(203, 0, 113, 0), late = IP4(203, 0, 113, 99);
	struct rtu *u = open_cfg(cfg);
	/* 20 clients write in at 0 s (authorized until 100 s); at 90 s client
	 * 0 again and a new one (until 190 s); one refused leaving packet */
	for (uint32_t i = 0; i < 20; i++)
		rt_module_push(u->m, 0, rtu_udp(u, client + i, (uint16_t)(4000 + i), mod, 53, 4), 0);
	rt_module_run_timers(u->m, 90 * SEC);
	rt_module_push(u->m, 0, rtu_udp(u, client, 4000, mod, 53, 4), 90 * SEC);
	rt_module_push(u->m, 0, rtu_udp(u, late, 5000, mod, 53, 4), 90 * SEC);
	rt_module_push(u->m, 1, rtu_udp(u, mod, 53, IP4(198, 18, 0, 1), 53, 4), 90 * SEC);
	assert_int_equal(u->nout, 22);
	rtu_clear(u);
	void *blob;
	size_t len;
	assert_int_equal(rt_module_save(u->m, 90 * SEC, 1000 * SEC, &blob, &len), 0);
	struct diags d;
	diags_init(&d);
	uint64_t n;

	/* away 5 s: all 21 kept, the drop counted; client 1's reply passes at
	 * 1 s, client 2's is refused at 6 s (their authorizations end 5 s into
	 * the new clock), the timer not having run yet (hard timeout) */
	struct rtu *v = open_cfg(cfg);
	assert_int_equal(rt_module_load(v->m, blob, len, 0, 1005 * SEC, &d), 0);
	assert_int_equal(rt_module_read(v->m, "ce", "count", &n), 0);
	assert_int_equal(n, 21);
	assert_int_equal(rt_module_read(v->m, "ce", "drops", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rt_module_read(v->m, "ce", "unauthorized", &n), 0);
	assert_int_equal(n, 1);
	rt_module_push(v->m, 1, rtu_udp(v, mod, 53, client + 1, 4001, 4), SEC);
	assert_int_equal(v->nout, 1);
	rt_module_push(v->m, 1, rtu_udp(v, mod, 53, client + 2, 4002, 4), 6 * SEC);
	assert_int_equal(v->nout, 1);
	/* the timer, due 5 s into the new clock, removes the other 17 (client
	 * 1's reply refreshed its authorization, client 2's look-up removed
	 * its own) */
	rt_module_run_timers(v->m, 6 * SEC);
	assert_int_equal(rt_module_read(v->m, "ce", "count", &n), 0);
	assert_int_equal(n, 3);
	done(v);

	/* away 50 s: the timer's run 10 s after the save removed the 19 that
	 * expired then; client 0 and the late one are still authorized */
	v = open_cfg(cfg);
	assert_int_equal(rt_module_load(v->m, blob, len, 0, 1050 * SEC, &d), 0);
	assert_int_equal(rt_module_read(v->m, "ce", "count", &n), 0);
	assert_int_equal(n, 2);
	rt_module_push(v->m, 1, rtu_udp(v, mod, 53, client + 1, 4001, 4), SEC);
	assert_int_equal(v->nout, 0);
	rt_module_push(v->m, 1, rtu_udp(v, mod, 53, client, 4000, 4), SEC);
	rt_module_push(v->m, 1, rtu_udp(v, late, 53, IP4(192, 0, 2, 7), 53, 4), SEC); /* source authorized */
	rt_module_push(v->m, 1, rtu_udp(v, mod, 53, late, 5000, 4), SEC);
	assert_int_equal(v->nout, 3);
	done(v);

	/* away an hour: nothing left */
	v = open_cfg(cfg);
	assert_int_equal(rt_module_load(v->m, blob, len, 0, 4600 * SEC, &d), 0);
	assert_int_equal(rt_module_read(v->m, "ce", "count", &n), 0);
	assert_int_equal(n, 0);
	done(v);

	/* saved with the timer overdue (a packet moved the clock to 120 s, past
	 * its 100 s, before the timers ran): it is due at the save, so the
	 * load drops the 19 that expired by then and the timer runs again
	 * 100 s after the save, rather than never */
	void *late_blob;
	size_t late_len;
	rt_module_push(u->m, 0, rtu_udp(u, late, 5000, mod, 53, 4), 120 * SEC);
	rtu_clear(u);
	assert_int_equal(rt_module_save(u->m, 120 * SEC, 2000 * SEC, &late_blob, &late_len), 0);
	v = open_cfg(cfg);
	assert_int_equal(rt_module_load(v->m, late_blob, late_len, 0, 2010 * SEC, &d), 0);
	assert_int_equal(rt_module_read(v->m, "ce", "count", &n), 0);
	assert_int_equal(n, 2);
	assert_true(rt_module_next_deadline(v->m) <= 90 * SEC);
	done(v);
	free(late_blob);

	/* corrupt bytes */
	v = open_cfg(cfg);
	((uint8_t *)blob)[len - 3] ^= 0xff;
	((uint8_t *)blob)[len / 2] = 0xff;
	assert_int_equal(rt_module_load(v->m, blob, len - 1, 0, 1000 * SEC, &d), -EINVAL);
	done(v);
	diags_free(&d);
	free(blob);
	done(u);
}

/* Push p into FromDevice(0) of u and return the device it left by, or -1
 * when it was dropped; the packet stays in u->out[0]. */
static int through(struct rtu *u, struct rt_pkt *p)
{
	rtu_clear(u);
	rt_module_push(u->m, 0, p, 0);
	return u->nout ? (int)u->out_dev[0] : -1;
}

static void fix_l4(struct rt_pkt *p, uint32_t sum_off)
{
	uint8_t *ip = rt_pkt_data(p);
	uint32_t hl = (uint32_t)(ip[0] & 15) * 4, len = rt_rd16(ip + 2) - hl;
	rt_wr16(ip + hl + sum_off, 0);
	uint32_t s = rt_csum_add(rt_csum_add(0, ip + 12, 8) + ip[9] + len, ip + hl, len);
	rt_wr16(ip + hl + sum_off, rt_csum_fold(s));
}

static void test_check_transport(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> c :: CheckTCPHeader -> ToDevice(0); c[1] -> ToDevice(1)");
	assert_int_equal(through(u, rtu_tcp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 80, 0x02, 9)), 0);
	assert_int_equal(through(u, rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 80, 9)), 1);
	struct rt_pkt *p = rtu_tcp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 80, 0x10, 9);
	rt_pkt_data(p)[20 + 16] ^= 1; /* bad checksum */
	assert_int_equal(through(u, p), 1);
	/* data offset under 5 words, and beyond ip_len (checksums valid) */
	static const uint8_t offs[] = { 0x40, 0xf0 };
	for (int k = 0; k < 2; k++) {
		p = rtu_tcp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 80, 0x10, 9);
		rt_pkt_data(p)[32] = offs[k];
		fix_l4(p, 16);
		assert_int_equal(through(u, p), 1);
	}
	uint64_t v;
	assert_int_equal(rt_module_read(u->m, "c", "drops", &v), 0);
	assert_int_equal(v, 4);
	done(u);

	u = open_cfg("FromDevice(0) -> c :: CheckUDPHeader -> ToDevice(0); c[1] -> ToDevice(1)");
	assert_int_equal(through(u, rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 7)), 0);
	p = rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 7);
	rt_pkt_data(p)[28] ^= 0xff; /* payload changed, checksum 0: not checked */
	rt_wr16(rt_pkt_data(p) + 26, 0);
	assert_int_equal(through(u, p), 0);
	p = rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 7);
	rt_pkt_data(p)[28] ^= 0xff;
	assert_int_equal(through(u, p), 1);
	/* UDP length below 8, and beyond the packet */
	static const uint16_t ulens[] = { 7, 16 };
	for (int k = 0; k < 2; k++) {
		p = rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 7);
		rt_wr16(rt_pkt_data(p) + 24, ulens[k]);
		assert_int_equal(through(u, p), 1);
	}
	/* a UDP length shorter than the IP payload: the sum covers it only */
	p = rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 7);
	uint8_t *ip = rt_pkt_data(p);
	rt_wr16(ip + 24, 12);
	rt_wr16(ip + 26, 0);
	rt_wr16(ip + 26, rt_csum_fold(rt_csum_add(rt_csum_add(0, ip + 12, 8) + 17 + 12, ip + 20, 12)));
	assert_int_equal(through(u, p), 0);
	/* fewer than 8 UDP bytes */
	uint8_t tiny[24] = { 0x45, 0, 0, 24, 0, 1, 0, 0, 64, 17, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2 };
	rt_ip_set_csum(tiny, 20);
	assert_int_equal(through(u, rtu_raw(u, tiny, 24)), 1);
	done(u);

	u = open_cfg("FromDevice(0) -> c :: CheckICMPHeader -> ToDevice(0); c[1] -> ToDevice(1)");
	assert_int_equal(through(u, rtu_icmp(u, IP4(1, 2, 3, 4), IP4(5, 6, 7, 8), 8, 3)), 0);
	/* lengths per type: unreachable needs 28 quoted bytes, timestamps 20
	 * bytes exactly, information requests 8 exactly */
	static const struct { uint8_t type; uint32_t pay; int out; } icmp[] = {
		{ 3, 27, 1 }, { 3, 28, 0 }, { 11, 20, 1 }, { 13, 12, 0 }, { 13, 13, 1 },
		{ 14, 11, 1 }, { 15, 0, 0 }, { 16, 1, 1 }, { 0, 0, 0 }, { 9, 0, 0 },
	};
	for (size_t k = 0; k < sizeof icmp / sizeof icmp[0]; k++)
		assert_int_equal(through(u, rtu_icmp(u, IP4(1, 2, 3, 4), IP4(5, 6, 7, 8), icmp[k].type,
		                                     icmp[k].pay)), icmp[k].out);
	p = rtu_icmp(u, IP4(1, 2, 3, 4), IP4(5, 6, 7, 8), 8, 3);
	rt_pkt_data(p)[30] ^= 1;
	assert_int_equal(through(u, p), 1);
	assert_int_equal(through(u, rtu_tcp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 80, 0x02, 0)), 1);
	done(u);
	/* without output 1 failures are dropped */
	u = open_cfg("FromDevice(0) -> CheckICMPHeader -> ToDevice(0)");
	assert_int_equal(through(u, rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 7)), -1);
	done(u);
}

/* A TCP packet with a 7-word IP header holding a NOP and a loose source
 * route whose last address is `final`, checksum computed against `sumdst`. */
static struct rt_pkt *lsrr_tcp(struct rtu *u, uint32_t final, uint32_t sumdst)
{
	uint8_t b[28 + 20] = { 0x47, 0, 0, 48, 0, 1, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 9, 9, 9, 9,
	                       1, 131, 7, 4 };
	rt_wr32(b + 24, final);
	b[28 + 12] = 0x50;
	rt_ip_set_csum(b, 28);
	uint8_t ph[12];
	memcpy(ph, b + 12, 4);
	rt_wr32(ph + 4, sumdst);
	uint32_t s = rt_csum_add(0, ph, 8) + 6 + 20;
	rt_wr16(b + 28 + 16, rt_csum_fold(rt_csum_add(s, b + 28, 20)));
	return rtu_raw(u, b, sizeof b);
}

static void test_source_route_pseudo_header(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> c :: CheckTCPHeader -> ToDevice(0); c[1] -> ToDevice(1)");
	assert_int_equal(through(u, lsrr_tcp(u, IP4(7, 7, 7, 7), IP4(7, 7, 7, 7))), 0);
	assert_int_equal(through(u, lsrr_tcp(u, IP4(7, 7, 7, 7), IP4(9, 9, 9, 9))), 1);
	done(u);
	/* SetTCPChecksum sums against the final destination too */
	u = open_cfg("FromDevice(0) -> SetTCPChecksum -> c :: CheckTCPHeader -> ToDevice(0); c[1] -> ToDevice(1)");
	assert_int_equal(through(u, lsrr_tcp(u, IP4(7, 7, 7, 7), IP4(9, 9, 9, 9))), 0);
	done(u);
}

static void test_set_checksums(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> s :: SetIPChecksum -> ToDevice(0)");
	struct rt_pkt *p = rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 7);
	rt_pkt_data(p)[8] = 3; /* TTL changed without an update */
	rtu_mark_ip(p);
	rt_module_push_elem(u->m, "s", 0, p, 0);
	assert_int_equal(u->nout, 1);
	assert_true(rtu_ip_csum_ok(out_ip(u, 0)));
	rtu_clear(u);
	/* a header length under 5 words is dropped */
	p = rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 7);
	rt_pkt_data(p)[0] = 0x44;
	rt_module_push_elem(u->m, "s", 0, p, 0);
	assert_int_equal(u->nout, 0);
	uint64_t v;
	assert_int_equal(rt_module_read(u->m, "s", "drops", &v), 0);
	assert_int_equal(v, 1);
	done(u);

	u = open_cfg("FromDevice(0) -> SetTCPChecksum -> ToDevice(0)");
	p = rtu_tcp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 80, 0x18, 5);
	rt_wr16(rt_pkt_data(p) + 36, 0xdead);
	assert_int_equal(through(u, p), 0);
	assert_true(rtu_l4_csum_ok(out_ip(u, 0)));
	/* fewer than 20 bytes after the IP header: dropped */
	uint8_t shrt[36] = { 0x45, 0, 0, 36, 0, 1, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8 };
	rt_ip_set_csum(shrt, 20);
	assert_int_equal(through(u, rtu_raw(u, shrt, 36)), -1);
	/* the protocol is not checked: UDP bytes 16-17 after the header change */
	p = rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 20);
	assert_int_equal(through(u, p), 0);
	assert_int_not_equal(rt_rd16(out_ip(u, 0) + 36), 0x1010);
	done(u);

	/* FIXOFF: offsets under 5 words become 5; past ip_len become ip_len */
	u = open_cfg("FromDevice(0) -> SetTCPChecksum(true) -> ToDevice(0)");
	static const uint8_t in[] = { 0x20, 0xf0 }, want[] = { 0x50, 0x60 };
	for (int k = 0; k < 2; k++) {
		p = rtu_tcp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 80, 0x18, 5);
		rt_pkt_data(p)[32] = in[k];
		assert_int_equal(through(u, p), 0);
		assert_int_equal(out_ip(u, 0)[32], want[k]);
		assert_true(rtu_l4_csum_ok(out_ip(u, 0)));
	}
	/* ... but not in a fragment */
	p = rtu_tcp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 80, 0x18, 5);
	uint8_t *ip = rt_pkt_data(p);
	ip[32] = 0xf0;
	rt_wr16(ip + 6, RT_IP_MF);
	rt_ip_set_csum(ip, 20);
	assert_int_equal(through(u, p), 0);
	assert_int_equal(out_ip(u, 0)[32], 0xf0);
	done(u);

	u = open_cfg("FromDevice(0) -> s :: SetUDPChecksum -> ToDevice(0); s[1] -> ToDevice(1)");
	p = rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 9);
	rt_wr16(rt_pkt_data(p) + 26, 0);
	assert_int_equal(through(u, p), 0);
	assert_true(rtu_l4_csum_ok(out_ip(u, 0)));
	assert_int_not_equal(rt_rd16(out_ip(u, 0) + 26), 0);
	/* fragments and UDP lengths past the packet go to output 1 */
	p = rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 9);
	rt_wr16(rt_pkt_data(p) + 6, 100);
	rt_ip_set_csum(rt_pkt_data(p), 20);
	assert_int_equal(through(u, p), 1);
	p = rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 9);
	rt_wr16(rt_pkt_data(p) + 24, 18);
	assert_int_equal(through(u, p), 1);
	done(u);
	u = open_cfg("FromDevice(0) -> SetUDPChecksum -> ToDevice(0)");
	p = rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 9);
	rt_wr16(rt_pkt_data(p) + 24, 18);
	assert_int_equal(through(u, p), -1);
	done(u);
}

static void test_more_click_classes(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> d :: DropBroadcasts -> ToDevice(0); d[1] -> ToDevice(1)");
	assert_int_equal(through(u, rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 3)), 0);
	static const uint8_t types[] = { RT_PKT_BROADCAST, RT_PKT_MULTICAST, RT_PKT_OTHERHOST };
	for (int k = 0; k < 3; k++) {
		struct rt_pkt *p = rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 3);
		p->pkt_type = types[k];
		rtu_clear(u);
		rt_module_push_elem(u->m, "d", 0, p, 0);
		assert_int_equal(u->out_dev[0], k < 2 ? 1 : 0);
	}
	done(u);

	u = open_cfg("FromDevice(0) -> s :: StaticSwitch(1) -> ToDevice(0); s[1] -> ToDevice(1)");
	assert_int_equal(through(u, rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 3)), 1);
	done(u);
	u = open_cfg("FromDevice(0) -> s :: StaticSwitch(2) -> ToDevice(0); s[1] -> ToDevice(1)");
	assert_int_equal(through(u, rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 3)), -1);
	done(u);

	u = open_cfg("FromDevice(0) -> GetIPAddress(12) -> ToDevice(0)");
	assert_int_equal(through(u, rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 3)), 0);
	assert_int_equal(rt_pkt_dst_anno(u->out[0]), IP4(1, 2, 3, 4));
	done(u);
	/* an offset past the end leaves the annotation (the device set dst) */
	u = open_cfg("FromDevice(0) -> GetIPAddress(28) -> ToDevice(0)");
	assert_int_equal(through(u, rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 3)), 0);
	assert_int_equal(rt_pkt_dst_anno(u->out[0]), IP4(5, 6, 7, 8));
	done(u);
	u = open_cfg("FromDevice(0) -> GetIPAddress(IP src, ANNO 4) -> ToDevice(0)");
	assert_int_equal(through(u, rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 3)), 0);
	assert_int_equal(rt_rd32(u->out[0]->anno + 4), IP4(1, 2, 3, 4));
	assert_int_equal(rt_pkt_dst_anno(u->out[0]), IP4(5, 6, 7, 8));
	done(u);

	u = open_cfg("FromDevice(0) -> f :: FixIPSrc(10.9.9.9) -> ToDevice(0)");
	struct rt_pkt *p = rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 3);
	rtu_mark_ip(p);
	rtu_clear(u);
	rt_module_push_elem(u->m, "f", 0, p, 0);
	assert_int_equal(rt_rd32(out_ip(u, 0) + 12), IP4(1, 2, 3, 4)); /* no flag: unchanged */
	p = rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 3);
	rtu_mark_ip(p);
	p->anno[RT_ANNO_FIX_IP_SRC] = 1;
	rtu_clear(u);
	rt_module_push_elem(u->m, "f", 0, p, 0);
	assert_int_equal(rt_rd32(out_ip(u, 0) + 12), IP4(10, 9, 9, 9));
	assert_true(rtu_ip_csum_ok(out_ip(u, 0)));
	assert_int_equal(u->out[0]->anno[RT_ANNO_FIX_IP_SRC], 0);
	done(u);

	/* EtherMirror swaps the two addresses; under 12 bytes nothing */
	u = open_cfg("FromDevice(0) -> EtherEncap(0x0800, 00:01:02:03:04:05, 0a:0b:0c:0d:0e:0f)"
	             " -> m :: EtherMirror -> ToDevice(0)");
	assert_int_equal(through(u, rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 3)), 0);
	static const uint8_t mirrored[14] = { 0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 8, 0 };
	assert_memory_equal(out_ip(u, 0), mirrored, 14);
	uint8_t eleven[11] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
	rtu_clear(u);
	rt_module_push_elem(u->m, "m", 0, rtu_raw(u, eleven, 11), 0);
	assert_memory_equal(out_ip(u, 0), eleven, 11);
	done(u);

	u = open_cfg("FromDevice(0) -> Align(8, 6) -> ToDevice(0); AlignmentInfo(x 4 0)");
	p = rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 3);
	uint8_t copy[31];
	memcpy(copy, rt_pkt_data(p), 31);
	assert_int_equal(through(u, p), 0);
	assert_int_equal(u->out[0]->len, 31);
	assert_memory_equal(out_ip(u, 0), copy, 31);
	done(u);
}

/* IPPrint's line for p pushed straight into element "p" (IP header
 * annotation set here). The expected lines are Click 2.1's for the same
 * packets. */
static const char *ipprint_line(struct rtu *u, struct rt_pkt *p)
{
	rtu_mark_ip(p);
	rtu_clear(u);
	u->last_log[0] = 0;
	rt_module_push_elem(u->m, "p", 0, p, 0);
	assert_int_equal(u->nout, 1);
	return u->last_log;
}

static void test_ipprint(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> p :: IPPrint(t, TIMESTAMP false) -> ToDevice(0)");
	assert_string_equal(ipprint_line(u, rtu_tcp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 80, 0x12, 5)),
	                    "t: 1.2.3.4.1 > 5.6.7.8.80: S 1000:1006(6,45,45) ack 0 win 8192");
	assert_string_equal(ipprint_line(u, rtu_tcp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 80, 0x19, 0)),
	                    "t: 1.2.3.4.1 > 5.6.7.8.80: FP 1000:1001(1,40,40) ack 0 win 8192");
	assert_string_equal(ipprint_line(u, rtu_tcp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 80, 0x10, 2)),
	                    "t: 1.2.3.4.1 > 5.6.7.8.80: . 1000:1002(2,42,42) ack 0 win 8192");
	assert_string_equal(ipprint_line(u, rtu_udp(u, IP4(1, 2, 3, 4), 9, IP4(5, 6, 7, 8), 53, 3)),
	                    "t: 1.2.3.4.9 > 5.6.7.8.53: udp 11");
	assert_string_equal(ipprint_line(u, rtu_icmp(u, IP4(1, 2, 3, 4), IP4(5, 6, 7, 8), 8, 0)),
	                    "t: 1.2.3.4 > 5.6.7.8: icmp echo (119, 1)");
	/* unreachable: the quoted destination and port, or the next-hop MTU */
	struct rt_pkt *p = rtu_icmp(u, IP4(1, 2, 3, 4), IP4(5, 6, 7, 8), 3, 28);
	uint8_t *icmp = rt_pkt_data(p) + 20;
	icmp[1] = 3;
	icmp[8] = 0x45;
	icmp[8 + 9] = 17;
	rt_wr32(icmp + 8 + 16, IP4(9, 9, 9, 9));
	rt_wr16(icmp + 8 + 22, 53);
	assert_string_equal(ipprint_line(u, p), "t: 1.2.3.4 > 5.6.7.8: icmp 9.9.9.9 unreachable port udp/53");
	p = rtu_icmp(u, IP4(1, 2, 3, 4), IP4(5, 6, 7, 8), 3, 28);
	icmp = rt_pkt_data(p) + 20;
	icmp[1] = 4;
	rt_wr16(icmp + 6, 1400);
	icmp[8] = 0x45;
	rt_wr32(icmp + 8 + 16, IP4(9, 9, 9, 9));
	assert_string_equal(ipprint_line(u, p), "t: 1.2.3.4 > 5.6.7.8: icmp 9.9.9.9 unreachable needfrag (mtu 1400)");
	p = rtu_icmp(u, IP4(1, 2, 3, 4), IP4(5, 6, 7, 8), 3, 4);
	assert_string_equal(ipprint_line(u, p), "t: 1.2.3.4 > 5.6.7.8: icmp unreachable net truncated-icmp");
	p = rtu_icmp(u, IP4(1, 2, 3, 4), IP4(5, 6, 7, 8), 11, 0);
	rt_pkt_data(p)[21] = 1;
	assert_string_equal(ipprint_line(u, p), "t: 1.2.3.4 > 5.6.7.8: icmp timeexceeded reassembly");
	p = rtu_icmp(u, IP4(1, 2, 3, 4), IP4(5, 6, 7, 8), 42, 0);
	rt_pkt_data(p)[21] = 3;
	assert_string_equal(ipprint_line(u, p), "t: 1.2.3.4 > 5.6.7.8: icmp type 42 code 3");
	/* fragments: the first with ports, later ones without */
	p = rtu_udp(u, IP4(1, 2, 3, 4), 9, IP4(5, 6, 7, 8), 53, 3);
	rt_wr16(rt_pkt_data(p) + 4, 77);
	rt_wr16(rt_pkt_data(p) + 6, RT_IP_MF);
	assert_string_equal(ipprint_line(u, p), "t: 1.2.3.4.9 > 5.6.7.8.53: udp 11 (frag 77:11@0+)");
	p = rtu_udp(u, IP4(1, 2, 3, 4), 9, IP4(5, 6, 7, 8), 53, 3);
	rt_wr16(rt_pkt_data(p) + 4, 77);
	rt_wr16(rt_pkt_data(p) + 6, 100);
	assert_string_equal(ipprint_line(u, p), "t: 1.2.3.4 > 5.6.7.8: udp (frag 77:11@800)");
	/* other protocols; short transport headers */
	p = rtu_udp(u, IP4(1, 2, 3, 4), 9, IP4(5, 6, 7, 8), 53, 3);
	rt_pkt_data(p)[9] = 47;
	assert_string_equal(ipprint_line(u, p), "t: 1.2.3.4 > 5.6.7.8: ip-proto-47");
	uint8_t shrt[30] = { 0x45, 0, 0, 30, 0, 1, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2 };
	assert_string_equal(ipprint_line(u, rtu_raw(u, shrt, 30)), "t: 1.2.3.4.1 > 5.6.7.8.2: truncated-tcp");
	shrt[9] = 17;
	assert_string_equal(ipprint_line(u, rtu_raw(u, shrt, 23)), "t: 1.2.3.4 > 5.6.7.8: truncated-udp");
	/* no IP header annotation: no line */
	uint32_t nlog = u->nlog;
	rtu_clear(u);
	rt_module_push_elem(u->m, "p", 0, rtu_udp(u, IP4(1, 2, 3, 4), 9, IP4(5, 6, 7, 8), 53, 3), 0);
	assert_int_equal(u->nlog, nlog);
	rtu_clear(u);
	done(u);

	u = open_cfg("FromDevice(0) -> p :: IPPrint(TIMESTAMP false, ID true, TTL true, TOS true, LENGTH true,"
	             " PAINT true, SWAP false, CONTENTS hex, MAXLENGTH 6) -> ToDevice(0)");
	p = rtu_icmp(u, IP4(1, 2, 3, 4), IP4(5, 6, 7, 8), 0, 0);
	rt_wr16(rt_pkt_data(p) + 4, 7);
	rt_pkt_data(p)[1] = 3;
	p->anno[RT_ANNO_PAINT] = 2;
	assert_string_equal(ipprint_line(u, p), "paint 2: id 7 ttl 64 tos 3 length 28 1.2.3.4 > 5.6.7.8: "
	                                        "icmp echo-reply (30464, 256)\n  4503001c 0007");
	done(u);
	u = open_cfg("FromDevice(0) -> p :: IPPrint(TIMESTAMP false, AGGREGATE true, PAINT true,"
	             " PAYLOAD ascii) -> ToDevice(0)");
	assert_string_equal(ipprint_line(u, rtu_udp(u, IP4(1, 2, 3, 4), 65, IP4(5, 6, 7, 8), 53, 3)),
	                    "#0.0: 1.2.3.4.65 > 5.6.7.8.53: udp 11\n  AN[");
	/* a packet too short for an IP header */
	p = rtu_raw(u, shrt, 12);
	rt_pkt_set_ip_header(p, 0, 20);
	rtu_clear(u);
	rt_module_push_elem(u->m, "p", 0, p, 0);
	assert_string_equal(u->last_log, "#0.0: truncated-ip");
	done(u);
}

/* ---- rewriter companions: TCPRewriter, ICMPPingRewriter, ICMPRewriter ---- */

static void set_ident(struct rt_pkt *p, uint16_t id)
{
	uint8_t *t = rt_pkt_data(p) + 20;
	rt_wr16(t + 4, id);
	rt_wr16(t + 2, 0);
	rt_wr16(t + 2, rt_csum(t, rt_rd16(rt_pkt_data(p) + 2) - 20));
}

static void test_rewriter_companions(void **st)
{
	(void)st;
	/* TCPRewriter: only TCP reaches the table; UDP meets the pass spec */
	struct rtu *u = open_cfg("rw :: TCPRewriter(pattern 198.51.100.1 5000-5001# - - 0 1, pass 1);"
	                         "FromDevice(0) -> [0]rw; FromDevice(1) -> [1]rw; rw[0] -> ToDevice(0);"
	                         "rw[1] -> ToDevice(1)");
	rt_module_push(u->m, 0, rtu_udp(u, IP4(10, 0, 0, 5), 777, IP4(8, 8, 8, 8), 53, 12), 0); /* dropped */
	rt_module_push(u->m, 1, rtu_udp(u, IP4(10, 0, 0, 5), 777, IP4(8, 8, 8, 8), 53, 12), 0); /* passed */
	rt_module_push(u->m, 0, rtu_tcp(u, IP4(10, 0, 0, 5), 777, IP4(8, 8, 8, 8), 80, 0x02, 9), 0);
	assert_int_equal(u->nout, 2);
	assert_int_equal(u->out_dev[0], 1);
	assert_int_equal(rt_rd32(out_ip(u, 0) + 12), IP4(10, 0, 0, 5));
	assert_int_equal(u->out_dev[1], 0);
	assert_int_equal(rt_rd32(out_ip(u, 1) + 12), IP4(198, 51, 100, 1));
	assert_int_equal(rt_rd16(out_ip(u, 1) + 20), 5000);
	assert_true(rtu_l4_csum_ok(out_ip(u, 1)));
	done(u);

	/* ICMPPingRewriter: the identifier from SPORT, replies mapped back;
	 * an ICMP error quoting the rewritten request is mapped back by
	 * ICMPRewriter */
	u = open_cfg("irw :: ICMPPingRewriter(pattern 198.51.100.1 6000-6001# - - 0 1, drop);"
	             "ierw :: ICMPRewriter(irw);"
	             "FromDevice(0) -> [0]irw; FromDevice(1) -> [1]irw; FromDevice(2) -> ierw;"
	             "irw[0] -> ToDevice(0); irw[1] -> ToDevice(1); ierw -> ToDevice(2)");
	rt_module_push(u->m, 0, rtu_icmp(u, IP4(10, 0, 0, 5), IP4(8, 8, 8, 8), 8, 10), 0);
	assert_int_equal(u->nout, 1);
	const uint8_t *ip = out_ip(u, 0);
	assert_int_equal(rt_rd32(ip + 12), IP4(198, 51, 100, 1));
	assert_int_equal(rt_rd16(ip + 24), 6000);
	assert_true(rtu_ip_csum_ok(ip));
	assert_int_equal(rt_csum(ip + 20, 18), 0);
	uint8_t quoted[28];
	memcpy(quoted, ip, 28);
	rtu_clear(u);
	struct rt_pkt *r = rtu_icmp(u, IP4(8, 8, 8, 8), IP4(198, 51, 100, 1), 0, 10);
	set_ident(r, 6000);
	rt_module_push(u->m, 1, r, SEC);
	r = rtu_icmp(u, IP4(8, 8, 8, 8), IP4(198, 51, 100, 1), 0, 10); /* ident 0x77: unmapped */
	rt_module_push(u->m, 1, r, SEC);
	assert_int_equal(u->nout, 1);
	ip = out_ip(u, 0);
	assert_int_equal(u->out_dev[0], 1);
	assert_int_equal(rt_rd32(ip + 16), IP4(10, 0, 0, 5));
	assert_int_equal(rt_rd16(ip + 24), 0x77);
	assert_int_equal(rt_csum(ip + 20, 18), 0);
	rtu_clear(u);
	/* host unreachable from a router, quoting the rewritten request */
	struct rt_pkt *e = rtu_icmp(u, IP4(192, 0, 2, 9), IP4(198, 51, 100, 1), 3, 28);
	uint8_t *t = rt_pkt_data(e) + 20;
	memcpy(t + 8, quoted, 28);
	rt_wr16(t + 2, 0);
	rt_wr16(t + 2, rt_csum(t, 36));
	rt_module_push(u->m, 2, e, SEC);
	rt_module_push(u->m, 2, rtu_icmp(u, IP4(192, 0, 2, 9), IP4(198, 51, 100, 1), 13, 28), SEC);
	assert_int_equal(u->nout, 1); /* the timestamp request is no error: dropped */
	ip = out_ip(u, 0);
	assert_int_equal(rt_rd32(ip + 16), IP4(10, 0, 0, 5));
	assert_true(rtu_ip_csum_ok(ip));
	assert_int_equal(rt_csum(ip + 20, 36), 0);
	assert_int_equal(rt_rd32(ip + 28 + 12), IP4(10, 0, 0, 5)); /* embedded source */
	assert_int_equal(rt_rd16(ip + 48 + 4), 0x77);                /* embedded identifier */
	assert_true(rtu_ip_csum_ok(ip + 28));
	done(u);
}

/* ---- schedulers, FrontDropQueue, RED, meters, DelayShaper, PaintTee, info
 * elements (group: sched) ---- */

/* Pull once from elem's output 0: the UDP source port, 0 for nothing. */
static uint16_t pull_sport(struct rtu *u, const char *elem, uint64_t now)
{
	struct rt_pkt *p = rt_module_pull_elem(u->m, elem, 0, now);
	if (!p)
		return 0;
	uint16_t sp = rt_rd16(rt_pkt_data(p) + 20);
	u->pool.free(u->pool.ctx, p);
	return sp;
}

static void push_sport(struct rtu *u, uint32_t dev, uint16_t sport, uint32_t payload, uint64_t now)
{
	rt_module_push(u->m, dev, rtu_udp(u, 1, sport, 2, 2, payload), now);
}

static struct rtu *open_three_queues(const char *sched)
{
	char cfg[512];
	snprintf(cfg, sizeof cfg,
	         "FromDevice(0) -> Queue -> [0]s :: %s -> ToDevice(0); FromDevice(1) -> Queue -> [1]s;"
	         "FromDevice(2) -> Queue -> [2]s;", sched);
	struct rtu *u = open_cfg(cfg);
	push_sport(u, 0, 10, 1, 0);
	push_sport(u, 0, 11, 1, 0);
	push_sport(u, 1, 20, 1, 0);
	push_sport(u, 1, 21, 1, 0);
	push_sport(u, 2, 30, 1, 0);
	return u;
}

static void test_sched_group_schedulers(void **st)
{
	(void)st;
	static const char *const prio[] = { "PrioSched", "SimplePrioSched" };
	for (int k = 0; k < 2; k++) {
		struct rtu *u = open_three_queues(prio[k]);
		static const uint16_t want[] = { 10, 11, 20, 21, 30, 0 };
		for (int i = 0; i < 6; i++)
			assert_int_equal(pull_sport(u, "s", 0), want[i]);
		done(u);
	}
	static const char *const rr[] = { "RoundRobinSched", "SimpleRoundRobinSched" };
	for (int k = 0; k < 2; k++) {
		struct rtu *u = open_three_queues(rr[k]);
		static const uint16_t want[] = { 10, 20, 30, 11, 21, 0 };
		for (int i = 0; i < 6; i++)
			assert_int_equal(pull_sport(u, "s", 0), want[i]);
		/* the next round starts after the input that last answered (1) */
		push_sport(u, 0, 12, 1, 0);
		push_sport(u, 2, 31, 1, 0);
		assert_int_equal(pull_sport(u, "s", 0), 31);
		assert_int_equal(pull_sport(u, "s", 0), 12);
		done(u);
	}
	/* StrideSched(1, 3): strides 65536 and 21845, passes start at one
	 * stride: input 1 three times, then input 0 */
	struct rtu *u = open_cfg("FromDevice(0) -> Queue -> [0]s :: StrideSched(1, 3) -> ToDevice(0);"
	                         "FromDevice(1) -> Queue -> [1]s;");
	for (int i = 0; i < 4; i++) {
		push_sport(u, 0, (uint16_t)(100 + i), 1, 0);
		push_sport(u, 1, (uint16_t)(200 + i), 1, 0);
	}
	static const uint16_t want[] = { 200, 201, 202, 100, 203, 101, 102, 103, 0 };
	for (int i = 0; i < 9; i++)
		assert_int_equal(pull_sport(u, "s", 0), want[i]);
	done(u);
	/* ties run in port order; an input with 0 tickets is never pulled */
	u = open_cfg("FromDevice(0) -> Queue -> [0]s :: StrideSched(2, 2, 0) -> ToDevice(0);"
	             "FromDevice(1) -> Queue -> [1]s; FromDevice(2) -> Queue -> [2]s;");
	push_sport(u, 0, 1, 1, 0);
	push_sport(u, 1, 2, 1, 0);
	push_sport(u, 2, 3, 1, 0);
	assert_int_equal(pull_sport(u, "s", 0), 1);
	assert_int_equal(pull_sport(u, "s", 0), 2);
	assert_int_equal(pull_sport(u, "s", 0), 0);
	done(u);
}

static void test_sched_group_queues(void **st)
{
	(void)st;
	/* FrontDropQueue: full, the oldest goes to output 1 */
	struct rtu *u = open_cfg("FromDevice(0) -> q :: FrontDropQueue(2) -> ToDevice(0); q[1] -> ToDevice(1)");
	for (uint16_t i = 1; i <= 4; i++)
		push_sport(u, 0, i, 1, 0);
	assert_int_equal(u->nout, 2);
	assert_int_equal(u->out_dev[0], 1);
	assert_int_equal(rt_rd16(out_ip(u, 0) + 20), 1);
	assert_int_equal(rt_rd16(out_ip(u, 1) + 20), 2);
	uint64_t v;
	assert_int_equal(rt_module_read(u->m, "q", "drops", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(rt_module_read(u->m, "q", "length", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(pull_sport(u, "q", 0), 3);
	assert_int_equal(pull_sport(u, "q", 0), 4);
	assert_int_equal(pull_sport(u, "q", 0), 0);
	push_sport(u, 0, 5, 1, 0); /* left in the queue: freed at close */
	done(u);

	/* RED pushing finds the Queue downstream: once the average passes
	 * MAX_THRESH (MAX_P 1: no gentle zone) every packet is dropped */
	u = open_cfg("FromDevice(0) -> r :: RED(2, 4, 1) -> q :: Queue(1000) -> ToDevice(0); r[1] -> ToDevice(1)");
	for (int i = 0; i < 200; i++)
		push_sport(u, 0, 1, 1, 0);
	assert_true(u->nout > 150);
	for (uint32_t i = 0; i < u->nout; i++)
		assert_int_equal(u->out_dev[i], 1);
	assert_int_equal(rt_module_read(u->m, "r", "drops", &v), 0);
	assert_int_equal(v, u->nout);
	assert_int_equal(rt_module_read(u->m, "q", "length", &v), 0);
	assert_true(v >= 4 && v < 50);
	done(u);
	/* QUEUES names the queue; below MIN_THRESH nothing is dropped */
	u = open_cfg("FromDevice(0) -> r :: RED(5, 10, .1, QUEUES q) -> Discard; r[1] -> ToDevice(1);"
	             "FromDevice(1) -> q :: Queue -> ToDevice(0)");
	for (int i = 0; i < 3; i++)
		push_sport(u, 1, 1, 1, 0);
	for (int i = 0; i < 100; i++)
		push_sport(u, 0, 1, 1, 0);
	assert_int_equal(u->nout, 0);
	for (int i = 0; i < 100; i++)
		push_sport(u, 1, 1, 1, 0); /* q holds 103 */
	for (int i = 0; i < 100; i++)
		push_sport(u, 0, 1, 1, 0);
	assert_true(u->nout > 50);
	done(u);
	/* pulling, it finds the Queue upstream */
	u = open_cfg("FromDevice(0) -> q :: Queue -> r :: RED(2, 4, 1) -> ToDevice(0); r[1] -> ToDevice(1)");
	push_sport(u, 0, 7, 1, 0);
	assert_int_equal(pull_sport(u, "r", 0), 7);
	done(u);
	/* no queue: refused when the module starts, as Click's initialize */
	struct rtu w;
	memset(&w, 0, sizeof w);
	assert_int_not_equal(rtu_open(&w, "FromDevice(0) -> RED(2, 4, 1) -> ToDevice(0)", 0), 0);
	rtu_close(&w);
	assert_int_not_equal(rtu_open(&w, "FromDevice(0) -> RED(2, 4, 1, QUEUES c) -> Queue -> ToDevice(0);"
	                                  "c :: Counter -> Discard; Idle -> c", 0), 0);
	rtu_close(&w);
}

static void test_sched_group_rates(void **st)
{
	(void)st;
	/* Meter(1000): 1 packet per 10 ms stays on 0, 5 per ms goes to 1 */
	struct rtu *u = open_cfg("FromDevice(0) -> m :: Meter(1000) -> ToDevice(0); m[1] -> ToDevice(1)");
	for (uint64_t t = 0; t < 50; t++)
		push_sport(u, 0, 1, 1, t * SEC / 100);
	for (uint32_t i = 0; i < u->nout; i++)
		assert_int_equal(u->out_dev[i], 0);
	rtu_clear(u);
	for (uint64_t t = 0; t < 100; t++)
		for (int k = 0; k < 5; k++)
			push_sport(u, 0, 1, 1, SEC + t * SEC / 1000);
	assert_int_equal(u->out_dev[u->nout - 1], 1);
	uint64_t v;
	assert_int_equal(rt_module_read(u->m, "m", "rate", &v), 0);
	assert_true(v > 3000 && v <= 5000);
	done(u);
	/* BandwidthMeter(100kBps, 500kBps): 1000 bytes per ms -> output 2 */
	u = open_cfg("FromDevice(0) -> m :: BandwidthMeter(100kBps, 500kBps) -> ToDevice(0); m[1] -> ToDevice(1);"
	             "m[2] -> ToDevice(2)");
	for (uint64_t t = 0; t < 100; t++)
		push_sport(u, 0, 1, 972, t * SEC / 1000);
	assert_int_equal(u->out_dev[0], 0);
	assert_int_equal(u->out_dev[u->nout - 1], 2);
	done(u);

	/* BandwidthRatedSplitter(1kBps): a packet needs 131072 bytes in a bucket
	 * of 131072 + 20 */
	u = open_cfg("FromDevice(0) -> r :: BandwidthRatedSplitter(1kBps) -> ToDevice(0); r[1] -> ToDevice(1)");
	for (int i = 0; i < 3; i++)
		push_sport(u, 0, 1, 972, 0);
	assert_int_equal(u->nout, 3);
	assert_int_equal(u->out_dev[0], 0);
	assert_int_equal(u->out_dev[1], 1);
	assert_int_equal(u->out_dev[2], 1);
	push_sport(u, 0, 1, 972, SEC);
	assert_int_equal(u->out_dev[3], 0);
	done(u);
	/* BandwidthRatedUnqueue(1kBps): the second packet waits about 0.98 s */
	uint64_t t;
	u = open_cfg("FromDevice(0) -> Queue -> BandwidthRatedUnqueue(1kBps) -> ToDevice(0)");
	for (int i = 0; i < 3; i++)
		push_sport(u, 0, 1, 972, 0);
	rt_module_run_timers(u->m, 0);
	assert_int_equal(u->nout, 1);
	t = rt_module_next_deadline(u->m); /* Click's bucket: whole milliseconds */
	assert_true(t >= SEC * 97 / 100 && t <= SEC * 99 / 100 && t % 1000000 == 0);
	rt_module_run_timers(u->m, t - 1000000);
	assert_int_equal(u->nout, 1);
	rt_module_run_timers(u->m, t);
	assert_int_equal(u->nout, 2);
	done(u);

	/* DelayShaper(1): due at the timestamp + 1 s, then stamped with now */
	u = open_cfg("FromDevice(0) -> Queue -> d :: DelayShaper(1) -> ToDevice(0)");
	push_sport(u, 0, 1, 1, 5 * SEC);
	push_sport(u, 0, 2, 1, 5 * SEC + SEC / 2);
	rt_module_run_timers(u->m, 5 * SEC + SEC / 2);
	assert_int_equal(u->nout, 0);
	assert_int_equal(rt_module_next_deadline(u->m), 6 * SEC);
	rt_module_run_timers(u->m, 6 * SEC + 1);
	assert_int_equal(u->nout, 1);
	assert_int_equal(u->out[0]->tstamp_ns, 6 * SEC + 1);
	assert_int_equal(rt_module_next_deadline(u->m), 6 * SEC + SEC / 2);
	push_sport(u, 0, 3, 1, 6 * SEC + 2); /* one held, one queued at close */
	done(u);
	u = open_cfg("FromDevice(0) -> Queue -> d :: DelayShaper(0) -> ToDevice(0)");
	push_sport(u, 0, 1, 1, 0);
	assert_int_equal(pull_sport(u, "d", 0), 1);
	done(u);
}

static void test_sched_group_paint_info(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> p :: Paint(1) -> t :: PaintTee(1) -> ToDevice(0); t[1] -> ToDevice(1);"
	                         "ClickyInfo(STYLE @import a.ccss); ScheduleInfo(t 1)");
	push_sport(u, 0, 1, 1, 0);
	assert_int_equal(u->nout, 2);
	assert_int_equal(u->out_dev[0], 1); /* the copy goes first, as in Click */
	assert_int_equal(u->out_dev[1], 0);
	assert_memory_equal(out_ip(u, 0), out_ip(u, 1), u->out[0]->len);
	done(u);
	u = open_cfg("FromDevice(0) -> Paint(2) -> t :: PaintTee(1) -> ToDevice(0); t[1] -> ToDevice(1)");
	push_sport(u, 0, 1, 1, 0);
	assert_int_equal(u->nout, 1);
	assert_int_equal(u->out_dev[0], 0);
	done(u);
}

/* ---- sources (group: sources.c) ---- */
#define UDP_DATA "\\<45 00 00 24 00 07 00 00 40 11 46 87 0a 00 00 01 c6 33 64 07 " \
                 "04 d2 16 2e 00 10 00 00 68 65 6c 6c 6f 21 0a 00>"

/* A source emits at most BURST packets per run and one run per poll; at
 * LIMIT it is done (no timer left); an empty pool makes nothing. */
static void test_sources(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("InfiniteSource(" UDP_DATA ", 5, 2, STOP true) -> ToDevice(0)");
	assert_int_equal(rt_module_next_source(u->m), 0);
	assert_int_equal(rt_module_run_timers(u->m, 0), 2);
	assert_int_equal(u->nout, 2);
	assert_true(rtu_ip_csum_ok(out_ip(u, 0)));
	assert_int_equal(out_ip(u, 1)[16], 198);
	assert_int_equal(u->out[0]->len, 36);
	assert_int_equal(rt_module_run_timers(u->m, 0), 0); /* not twice in one poll */
	assert_int_equal(rt_module_run_timers(u->m, 10), 2);
	assert_int_equal(rt_module_run_timers(u->m, 20), 1);
	assert_int_equal(rt_module_next_source(u->m), UINT64_MAX);
	assert_int_equal(rt_module_run_timers(u->m, 30), 0);
	assert_int_equal(u->nout, 5);
	uint64_t v;
	assert_int_equal(rt_module_read(u->m, "InfiniteSource@1", "count", &v), 0);
	assert_int_equal(v, 5);
	done(u);

	/* unlimited: BURST a poll, for ever */
	u = open_cfg("InfiniteSource(" UDP_DATA ", -1, 3) -> ToDevice(0)");
	for (uint64_t t = 0; t < 10; t++)
		assert_int_equal(rt_module_run_timers(u->m, t), 3);
	assert_int_equal(rt_module_next_deadline(u->m), 10);
	done(u);

	/* the pool is the bound: 4096 packets, the rest not made */
	u = open_cfg("InfiniteSource(" UDP_DATA ", -1, 1024) -> Queue(100000) -> Idle");
	for (uint64_t t = 0; t < 5; t++)
		rt_module_run_timers(u->m, t);
	struct rt_counters c;
	rt_module_counters(u->m, &c);
	assert_true(c.queued <= 4096);
	assert_true(c.alloc_fail > 0);
	done(u);

	/* LENGTH repeats DATA; ACTIVE false makes nothing */
	u = open_cfg("InfiniteSource(\\<0102 0304>, 1, LENGTH 7) -> ToDevice(0);"
	             "InfiniteSource(x, ACTIVE false) -> ToDevice(0)");
	rt_module_run_timers(u->m, 0);
	assert_int_equal(u->nout, 1);
	assert_int_equal(u->out[0]->len, 7);
	assert_memory_equal(rt_pkt_data(u->out[0]), "\x01\x02\x03\x04\x01\x02\x03", 7);
	assert_int_equal(rt_module_next_source(u->m), UINT64_MAX);
	done(u);

	/* pull output: one packet a pull, at most BURST a poll */
	u = open_cfg("InfiniteSource(" UDP_DATA ", 5, 2) -> Unqueue(10) -> ToDevice(0)");
	assert_int_equal(rt_module_run_timers(u->m, 0), 2);
	assert_int_equal(rt_module_next_deadline(u->m), 1);
	assert_int_equal(rt_module_run_timers(u->m, 1), 2);
	assert_int_equal(rt_module_run_timers(u->m, 2), 1);
	assert_int_equal(rt_module_next_deadline(u->m), UINT64_MAX); /* done: nothing held */
	assert_int_equal(u->nout, 5);
	done(u);

	/* TimedSource: one packet an interval, from one interval in */
	u = open_cfg("TimedSource(0.1, " UDP_DATA ", LIMIT 2) -> ToDevice(0)");
	assert_int_equal(rt_module_run_timers(u->m, 0), 0);
	assert_int_equal(rt_module_run_timers(u->m, SEC / 10), 1);
	assert_int_equal(rt_module_next_source(u->m), SEC / 5);
	assert_int_equal(rt_module_run_timers(u->m, SEC / 5), 1);
	assert_int_equal(rt_module_next_source(u->m), UINT64_MAX);
	done(u);

	/* RatedSource: one token at start, then RATE a second within a bucket of 2 */
	u = open_cfg("RatedSource(" UDP_DATA ", 10, 6) -> ToDevice(0)");
	assert_int_equal(rt_module_run_timers(u->m, 0), 1);
	assert_int_equal(rt_module_run_timers(u->m, 1), 0);
	assert_int_equal(rt_module_run_timers(u->m, SEC / 10), 1);
	assert_int_equal(rt_module_run_timers(u->m, 5 * SEC), 2);
	assert_int_equal(rt_module_run_timers(u->m, 10 * SEC), 2);
	assert_int_equal(rt_module_next_source(u->m), UINT64_MAX);
	assert_int_equal(u->nout, 6);
	done(u);

	/* ICMPPingSource: Click's echo request, checksums valid, sequence counts */
	u = open_cfg("FromDevice(0) -> p :: ICMPPingSource(10.0.0.1, 10.0.0.2, INTERVAL 0.01, LIMIT 2, "
	             "IDENTIFIER 258, DATA abc) -> ToDevice(0)");
	rt_module_run_timers(u->m, SEC / 100);
	rt_module_run_timers(u->m, SEC / 50);
	assert_int_equal(u->nout, 2);
	for (uint32_t i = 0; i < 2; i++) {
		const uint8_t *ip = out_ip(u, i);
		assert_true(rtu_ip_csum_ok(ip));
		assert_true(rtu_l4_csum_ok(ip));
		assert_int_equal(ip[8], 200);
		assert_int_equal(rt_rd16(ip + 4), i + 1);
		assert_int_equal(rt_rd16(ip + 26), i + 1);
		assert_int_equal(ip[24], 2); /* identifier in host order, as Click on Linux */
		assert_int_equal(ip[25], 1);
		assert_int_equal(u->out[i]->len, 31);
		assert_int_equal(rt_pkt_dst_anno(u->out[i]), IP4(10, 0, 0, 2));
	}
	/* replies are consumed */
	rt_module_push(u->m, 0, rtu_icmp(u, IP4(10, 0, 0, 2), IP4(10, 0, 0, 1), 0, 3), SEC);
	assert_int_equal(rt_module_read(u->m, "p", "received", &v), 0);
	assert_int_equal(v, 1);
	done(u);

	/* TimedSink pulls one packet an interval */
	u = open_cfg("FromDevice(0) -> q :: Queue -> TimedSink(0.1)");
	for (int k = 0; k < 3; k++)
		rt_module_push(u->m, 0, rtu_udp(u, IP4(1, 2, 3, 4), 1, IP4(5, 6, 7, 8), 2, 3), 0);
	assert_int_equal(rt_module_run_timers(u->m, SEC / 10), 1);
	assert_int_equal(rt_module_read(u->m, "q", "length", &v), 0);
	assert_int_equal(v, 2);
	rt_module_counters(u->m, &c);
	assert_int_equal(c.drops, 1);
	done(u);
}

/* ---- group ipx: lookups, IPGWOptions, IPInputCombo, HostEtherFilter,
 * CheckIPHeader2, CheckLength, Truncate, StripIPHeader and kin ---- */

/* A UDP packet (8 bytes of transport) whose header carries `opts` (n
 * bytes, padded with EOL to a multiple of 4), checksum valid. */
static struct rt_pkt *ipx_opts_pkt(struct rtu *u, const uint8_t *opts, uint32_t n)
{
	uint8_t raw[80] = { 0 };
	uint32_t hl = 20 + ((n + 3) & ~3u);
	raw[0] = (uint8_t)(0x40 | hl / 4);
	rt_wr16(raw + 2, (uint16_t)(hl + 8));
	raw[8] = 64;
	raw[9] = 17;
	rt_wr32(raw + 12, IP4(1, 1, 1, 1));
	rt_wr32(raw + 16, IP4(2, 2, 2, 2));
	memcpy(raw + 20, opts, n);
	rt_wr16(raw + hl + 4, 8);
	rt_ip_set_csum(raw, hl);
	return rtu_raw(u, raw, hl + 8);
}

/* Push through the module's device 0 at now_ns; the one packet that came
 * out (its device in *dev). */
static const uint8_t *ipx_run(struct rtu *u, struct rt_pkt *p, uint64_t now_ns, uint32_t *dev)
{
	rtu_clear(u);
	assert_int_equal(rt_module_push(u->m, 0, p, now_ns), 0);
	assert_int_equal(u->nout, 1);
	*dev = u->out_dev[0];
	return out_ip(u, 0);
}

static void test_ipx_ipgwoptions(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> g :: IPGWOptions(10.0.0.9, 10.0.0.7 10.0.0.8) -> ToDevice(0);"
	                         " g[1] -> ToDevice(1)");
	uint32_t dev;
	/* 25 h 1 min 1 s: the timestamp is milliseconds since midnight */
	const uint64_t now = 90061000ull * 1000000ull;
	const uint32_t ms = 3661000;
	/* no options: untouched */
	const uint8_t *ip = ipx_run(u, rtu_udp(u, 1, 1, 2, 2, 4), now, &dev);
	assert_int_equal(dev, 0);
	assert_int_equal(ip[0], 0x45);
	/* Record Route with room: our address, pointer + 4, checksum set */
	static const uint8_t rr[] = { 7, 7, 4, 0, 0, 0, 0 };
	ip = ipx_run(u, ipx_opts_pkt(u, rr, 7), now, &dev);
	assert_int_equal(dev, 0);
	assert_int_equal(rt_rd32(ip + 23), IP4(10, 0, 0, 9));
	assert_int_equal(ip[22], 8);
	assert_true(rtu_ip_csum_ok(ip));
	/* full Record Route: left alone */
	static const uint8_t rrfull[] = { 7, 7, 8, 9, 9, 9, 9 };
	ip = ipx_run(u, ipx_opts_pkt(u, rrfull, 7), now, &dev);
	assert_int_equal(dev, 0);
	assert_int_equal(rt_rd32(ip + 23), 0x09090909);
	/* pointer 3 (below the first slot) or 6 (partial slot): bad at 22 */
	static const uint8_t rrbad[2][7] = { { 7, 7, 3, 0, 0, 0, 0 }, { 7, 7, 6, 0, 0, 0, 0 } };
	for (int k = 0; k < 2; k++) {
		ipx_run(u, ipx_opts_pkt(u, rrbad[k], 7), now, &dev);
		assert_int_equal(dev, 1);
		assert_int_equal(u->out[0]->anno[RT_ANNO_ICMP_PARAM], 22);
	}
	/* option length 1: bad at 21 */
	static const uint8_t badlen[] = { 7, 1, 4, 0 };
	ipx_run(u, ipx_opts_pkt(u, badlen, 4), now, &dev);
	assert_int_equal(dev, 1);
	assert_int_equal(u->out[0]->anno[RT_ANNO_ICMP_PARAM], 21);
	/* an option whose length byte would lie past the header: bad there */
	static const uint8_t atend[] = { 1, 1, 1, 68 };
	ipx_run(u, ipx_opts_pkt(u, atend, 4), now, &dev);
	assert_int_equal(dev, 1);
	assert_int_equal(u->out[0]->anno[RT_ANNO_ICMP_PARAM], 24);
	/* other options are skipped; NOP and EOL */
	static const uint8_t other[] = { 130, 4, 0, 0, 1, 0, 0, 0 };
	ip = ipx_run(u, ipx_opts_pkt(u, other, 8), now, &dev);
	assert_int_equal(dev, 0);
	/* Timestamp, flags 0: the time, pointer + 4 */
	static const uint8_t ts0[] = { 68, 8, 5, 0, 0, 0, 0, 0 };
	ip = ipx_run(u, ipx_opts_pkt(u, ts0, 8), now, &dev);
	assert_int_equal(dev, 0);
	assert_int_equal(rt_rd32(ip + 24), ms);
	assert_int_equal(ip[22], 9);
	assert_true(rtu_ip_csum_ok(ip));
	/* flags 1: address and time */
	static const uint8_t ts1[] = { 68, 12, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0 };
	ip = ipx_run(u, ipx_opts_pkt(u, ts1, 12), now, &dev);
	assert_int_equal(dev, 0);
	assert_int_equal(rt_rd32(ip + 24), IP4(10, 0, 0, 9));
	assert_int_equal(rt_rd32(ip + 28), ms);
	assert_int_equal(ip[22], 13);
	/* full: the overflow count goes up; at 15 the option is bad at 23 */
	static const uint8_t ts1full[] = { 68, 12, 13, 0x21, 0, 0, 0, 0, 0, 0, 0, 0 };
	ip = ipx_run(u, ipx_opts_pkt(u, ts1full, 12), now, &dev);
	assert_int_equal(dev, 0);
	assert_int_equal(ip[23], 0x31);
	static const uint8_t ts1over[] = { 68, 12, 13, 0xf1, 0, 0, 0, 0, 0, 0, 0, 0 };
	ipx_run(u, ipx_opts_pkt(u, ts1over, 12), now, &dev);
	assert_int_equal(dev, 1);
	assert_int_equal(u->out[0]->anno[RT_ANNO_ICMP_PARAM], 23);
	/* flags 3: stamped only for one of our addresses (OTHERADDRS too) */
	static const uint8_t ts3[] = { 68, 12, 5, 3, 10, 0, 0, 7, 0, 0, 0, 0 };
	ip = ipx_run(u, ipx_opts_pkt(u, ts3, 12), now, &dev);
	assert_int_equal(dev, 0);
	assert_int_equal(rt_rd32(ip + 28), ms);
	assert_int_equal(ip[22], 13);
	static const uint8_t ts3other[] = { 68, 12, 5, 3, 10, 0, 0, 6, 0, 0, 0, 0 };
	ip = ipx_run(u, ipx_opts_pkt(u, ts3other, 12), now, &dev);
	assert_int_equal(dev, 0);
	assert_int_equal(rt_rd32(ip + 28), 0);
	assert_int_equal(ip[22], 5);
	/* flags 3 full, flags 2: bad at 23; pointer 4: bad at 22 */
	static const uint8_t tsbad[3][8] = { { 68, 8, 5, 3, 0, 0, 0, 0 }, { 68, 8, 5, 2, 0, 0, 0, 0 },
	                                     { 68, 8, 4, 0, 0, 0, 0, 0 } };
	static const uint8_t tsbad_at[3] = { 23, 23, 22 };
	for (int k = 0; k < 3; k++) {
		ipx_run(u, ipx_opts_pkt(u, tsbad[k], 8), now, &dev);
		assert_int_equal(dev, 1);
		assert_int_equal(u->out[0]->anno[RT_ANNO_ICMP_PARAM], tsbad_at[k]);
	}
	/* a Record Route before a bad option was filled in (as Click does) */
	static const uint8_t rrthenbad[] = { 7, 7, 4, 0, 0, 0, 0, 68, 1, 0, 0, 0 };
	ip = ipx_run(u, ipx_opts_pkt(u, rrthenbad, 12), now, &dev);
	assert_int_equal(dev, 1);
	assert_int_equal(u->out[0]->anno[RT_ANNO_ICMP_PARAM], 28);
	assert_int_equal(rt_rd32(ip + 23), IP4(10, 0, 0, 9));
	uint64_t v;
	assert_int_equal(rt_module_read(u->m, "g", "drops", &v), 0);
	assert_int_equal(v, 9);
	done(u);
}

static void test_ipx_ipinputcombo(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> EtherEncap(0x0800, 00:01:02:03:04:05, 00:0a:0b:0c:0d:0e)"
	                         " -> c :: IPInputCombo(7, 10.0.0.1) -> ToDevice(0)");
	uint32_t dev;
	const uint8_t *ip = ipx_run(u, rtu_udp(u, IP4(10, 0, 0, 2), 1, IP4(5, 6, 7, 8), 2, 10), 0, &dev);
	struct rt_pkt *p = u->out[0];
	assert_int_equal(p->len, 38);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(p->anno[RT_ANNO_PAINT], 7);
	assert_int_equal(rt_pkt_dst_anno(p), IP4(5, 6, 7, 8));
	assert_int_equal(p->ip_off, (int32_t)p->off);
	assert_int_equal(p->ip_hlen, 20);
	/* BADSRC and the 0.0.0.0 and 255.255.255.255 the positional form adds */
	static const uint32_t bad[] = { IP4(10, 0, 0, 1), 0, 0xffffffffu };
	for (int k = 0; k < 3; k++) {
		rtu_clear(u);
		rt_module_push(u->m, 0, rtu_udp(u, bad[k], 1, IP4(5, 6, 7, 8), 2, 10), 0);
		assert_int_equal(u->nout, 0);
	}
	/* frames straight into the element: trailer trimmed; bad checksum,
	 * a frame too short for an IP header: dropped */
	rtu_clear(u);
	struct rt_pkt *q = rtu_udp(u, IP4(10, 0, 0, 2), 1, IP4(5, 6, 7, 8), 2, 10);
	q = rt_pkt_push_front(rt_module_elem(u->m, 0), q, 14);
	assert_non_null(q);
	q->len += 4;
	rt_module_push_elem(u->m, "c", 0, q, 0);
	assert_int_equal(u->nout, 1);
	assert_int_equal(u->out[0]->len, 38);
	rtu_clear(u);
	q = rtu_udp(u, IP4(10, 0, 0, 2), 1, IP4(5, 6, 7, 8), 2, 10);
	rt_module_push_elem(u->m, "c", 0, q, 0); /* no link header: 14 IP bytes go */
	uint8_t shortf[20] = { 0 };
	rt_module_push_elem(u->m, "c", 0, rtu_raw(u, shortf, 20), 0);
	assert_int_equal(u->nout, 0);
	uint64_t v;
	assert_int_equal(rt_module_read(u->m, "c", "drops", &v), 0);
	assert_int_equal(v, 5);
	done(u);
}

static void test_ipx_hostetherfilter(void **st)
{
	(void)st;
	struct rtu *u = open_cfg("FromDevice(0) -> h :: HostEtherFilter(00:0a:0b:0c:0d:0e, true) -> ToDevice(0);"
	                         " h[1] -> ToDevice(1)");
	static const uint8_t me[6] = { 0, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e };
	static const uint8_t dsts[5][6] = {
		{ 0, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e }, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		{ 0x01, 0, 0x5e, 0, 0, 1 }, { 0x02, 0, 0, 0, 0, 9 }, { 0, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e },
	};
	static const uint8_t want_dev[5] = { 0, 0, 0, 1, 1 };
	static const uint8_t want_type[5] = { RT_PKT_HOST, RT_PKT_BROADCAST, RT_PKT_MULTICAST,
	                                      RT_PKT_OTHERHOST, RT_PKT_LOOPBACK };
	for (int k = 0; k < 5; k++) {
		uint8_t f[34] = { 0 };
		memcpy(f, dsts[k], 6);
		memset(f + 6, 0x22, 6);
		if (k == 4)
			memcpy(f + 6, me, 6); /* our own frame: DROP_OWN */
		struct rt_pkt *p = rtu_raw(u, f, sizeof f);
		p->pkt_type = RT_PKT_LOOPBACK;
		rtu_clear(u);
		rt_module_push_elem(u->m, "h", 0, p, 0);
		assert_int_equal(u->nout, 1);
		assert_int_equal(u->out_dev[0], want_dev[k]);
		assert_int_equal(u->out[0]->pkt_type, want_type[k]); /* own: type untouched */
	}
	/* a frame too short for the addresses: another host's */
	uint8_t tiny[8] = { 0, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0, 0 };
	rtu_clear(u);
	rt_module_push_elem(u->m, "h", 0, rtu_raw(u, tiny, sizeof tiny), 0);
	assert_int_equal(u->out_dev[0], 1);
	assert_int_equal(u->out[0]->pkt_type, RT_PKT_OTHERHOST);
	done(u);
	/* DROP_OTHER false, OFFSET 2: another host's frame passes */
	u = open_cfg("FromDevice(0) -> h :: HostEtherFilter(00:0a:0b:0c:0d:0e, DROP_OTHER false, OFFSET 2)"
	             " -> ToDevice(0); h[1] -> ToDevice(1)");
	uint8_t f[36] = { 0 };
	memcpy(f + 2, dsts[3], 6);
	rt_module_push_elem(u->m, "h", 0, rtu_raw(u, f, sizeof f), 0);
	assert_int_equal(u->out_dev[0], 0);
	assert_int_equal(u->out[0]->pkt_type, RT_PKT_OTHERHOST);
	rtu_clear(u);
	memcpy(f + 2, me, 6);
	rt_module_push_elem(u->m, "h", 0, rtu_raw(u, f, sizeof f), 0);
	assert_int_equal(u->out[0]->pkt_type, RT_PKT_HOST);
	done(u);
}

static void test_ipx_lookups_and_checks(void **st)
{
	(void)st;
	static const char *const cls[] = { "DirectIPLookup", "SortedIPLookup" };
	for (int k = 0; k < 2; k++) {
		char cfg[256];
		snprintf(cfg, sizeof cfg,
		         "FromDevice(0) -> l :: %s(10.0.0.0/8 0, 10.1.0.0/16 10.1.0.1 1, 10.1.0.0/16 0, 0.0.0.0/0 2);"
		         "l[0] -> ToDevice(0); l[1] -> ToDevice(1); l[2] -> ToDevice(2)", cls[k]);
		struct rtu *u = open_cfg(cfg);
		rt_module_push(u->m, 0, rtu_udp(u, 1, 1, IP4(10, 2, 0, 1), 2, 1), 0);
		rt_module_push(u->m, 0, rtu_udp(u, 1, 1, IP4(10, 1, 0, 7), 2, 1), 0);
		rt_module_push(u->m, 0, rtu_udp(u, 1, 1, IP4(11, 1, 0, 7), 2, 1), 0);
		assert_int_equal(u->nout, 3);
		assert_int_equal(u->out_dev[0], 0);
		assert_int_equal(u->out_dev[1], 1); /* the first route for 10.1/16 stays */
		assert_int_equal(rt_pkt_dst_anno(u->out[1]), IP4(10, 1, 0, 1));
		assert_int_equal(u->out_dev[2], 2);
		done(u);
	}
	/* CheckIPHeader2: a bad checksum passes, unless CHECKSUM true */
	for (int k = 0; k < 2; k++) {
		struct rtu *u = open_cfg(k ? "FromDevice(0) -> c :: CheckIPHeader2(CHECKSUM true) -> ToDevice(0); c[1] -> ToDevice(1)"
		                           : "FromDevice(0) -> c :: CheckIPHeader2 -> ToDevice(0); c[1] -> ToDevice(1)");
		struct rt_pkt *p = rtu_udp(u, 1, 1, 2, 2, 1);
		rt_pkt_data(p)[10] ^= 1;
		rt_module_push_elem(u->m, "c", 0, p, 0);
		assert_int_equal(u->out_dev[0], (uint32_t)k);
		done(u);
	}
	/* CheckLength: longer than LENGTH to output 1 (dropped without one) */
	struct rtu *u = open_cfg("FromDevice(0) -> c :: CheckLength(38) -> ToDevice(0); c[1] -> ToDevice(1)");
	rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 10), 0);
	rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 11), 0);
	assert_int_equal(u->out_dev[0], 0);
	assert_int_equal(u->out_dev[1], 1);
	done(u);
	u = open_cfg("FromDevice(0) -> CheckLength(38) -> ToDevice(0)");
	rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 11), 0);
	assert_int_equal(u->nout, 0);
	done(u);
}

static void test_ipx_truncate_and_strips(void **st)
{
	(void)st;
	/* Truncate: the cut bytes go into the extra-length annotation */
	for (int k = 0; k < 2; k++) {
		struct rtu *u = open_cfg(k ? "FromDevice(0) -> Truncate(30, EXTRA_LENGTH false) -> ToDevice(0)"
		                           : "FromDevice(0) -> Truncate(30) -> ToDevice(0)");
		rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 10), 0);
		rt_module_push(u->m, 0, rtu_udp(u, 1, 1, 2, 2, 1), 0);
		assert_int_equal(u->out[0]->len, 30);
		uint32_t x;
		memcpy(&x, u->out[0]->anno + 28, 4);
		assert_int_equal(x, k ? 0 : 8);
		assert_int_equal(u->out[1]->len, 29);
		memcpy(&x, u->out[1]->anno + 28, 4);
		assert_int_equal(x, 0);
		done(u);
	}
	/* StripIPHeader by the header length (options too), UnstripIPHeader
	 * back; StripToNetworkHeader forward and back */
	struct rtu *u = open_cfg("FromDevice(0) -> s :: StripIPHeader -> ToDevice(0);"
	                         "FromDevice(1) -> StripIPHeader -> UnstripIPHeader -> UnstripIPHeader -> ToDevice(1);"
	                         "FromDevice(2) -> Strip(10) -> StripToNetworkHeader -> ToDevice(2);"
	                         "FromDevice(3) -> EtherEncap(0x0800, 0:1:2:3:4:5, 0:1:2:3:4:6) -> StripToNetworkHeader -> ToDevice(3);"
	                         "FromDevice(4) -> StripIPHeader -> Strip(4) -> StripIPHeader -> ToDevice(4);"
	                         "FromDevice(5) -> StripIPHeader -> StripToNetworkHeader -> ToDevice(5)");
	static const uint8_t nop4[] = { 1, 1, 1, 0 };
	rt_module_push(u->m, 0, ipx_opts_pkt(u, nop4, 4), 0);
	assert_int_equal(u->out[0]->len, 8);
	assert_int_equal(rt_rd16(out_ip(u, 0) + 4), 8); /* the UDP length */
	rtu_clear(u);
	for (uint32_t d = 1; d <= 5; d++)
		rt_module_push(u->m, d, rtu_udp(u, 1, 1, 2, 2, 10), 0);
	assert_int_equal(u->nout, 5);
	static const uint32_t want_len[5] = { 38, 38, 38, 0, 38 };
	for (uint32_t i = 0; i < 5; i++) {
		assert_int_equal(u->out_dev[i], i + 1);
		assert_int_equal(u->out[i]->len, want_len[i]); /* 4: pulled to the end, as Click */
		if (want_len[i])
			assert_int_equal(out_ip(u, i)[0], 0x45);
	}
	rtu_clear(u);
	/* no IP header annotation: unchanged */
	rt_module_push_elem(u->m, "s", 0, rtu_udp(u, 1, 1, 2, 2, 10), 0);
	assert_int_equal(u->out[0]->len, 38);
	done(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checkipheader),
		cmocka_unit_test(test_device_input_check),
		cmocka_unit_test(test_decipttl),
		cmocka_unit_test(test_fragmenter),
		cmocka_unit_test(test_icmp_error_and_ping),
		cmocka_unit_test(test_tee_and_switches),
		cmocka_unit_test(test_classifiers),
		cmocka_unit_test(test_rewriter_replies),
		cmocka_unit_test(test_rewriter_5000_hosts),
		cmocka_unit_test(test_rewriter_save_load),
		cmocka_unit_test(test_addr_rewriter),
		cmocka_unit_test(test_addr_rewriter_save_load),
		cmocka_unit_test(test_encap_strip),
		cmocka_unit_test(test_store_and_dscp),
		cmocka_unit_test(test_unqueuers),
		cmocka_unit_test(test_changeenforcer),
		cmocka_unit_test(test_changeenforcer_save_load),
		cmocka_unit_test(test_changeenforcer_fast_paths),
		cmocka_unit_test(test_enforcer_fast_matches_reference),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_lookup_and_misc),
		cmocka_unit_test(test_push_loop_and_quota),
		cmocka_unit_test(test_headroom_and_pull_paths),
		cmocka_unit_test(test_ip_options),
		cmocka_unit_test(test_check_transport),
		cmocka_unit_test(test_source_route_pseudo_header),
		cmocka_unit_test(test_set_checksums),
		cmocka_unit_test(test_more_click_classes),
		cmocka_unit_test(test_ipprint),
		cmocka_unit_test(test_rewriter_companions),
		cmocka_unit_test(test_sched_group_schedulers),
		cmocka_unit_test(test_sched_group_queues),
		cmocka_unit_test(test_sched_group_rates),
		cmocka_unit_test(test_sched_group_paint_info),
		cmocka_unit_test(test_sources),
		/* group ipx */
		cmocka_unit_test(test_ipx_ipgwoptions),
		cmocka_unit_test(test_ipx_ipinputcombo),
		cmocka_unit_test(test_ipx_hostetherfilter),
		cmocka_unit_test(test_ipx_lookups_and_checks),
		cmocka_unit_test(test_ipx_truncate_and_strips),
		cmocka_unit_test(test_burst_matches_single),
		cmocka_unit_test(test_burst_matches_single_enforcer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
