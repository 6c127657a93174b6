/* Compiled chains (src/runtime/chain.c) against the generic interpreter:
 * the same randomized packets into a module compiled and into the same
 * module interpreted (rt_limits.no_compile) must give the same packets
 * out, byte for byte, on the same devices in the same order, the same
 * module counters, the same handler values of every element, the same
 * saved state and the same timers; for every fusable class and for chain
 * shapes with fan-out off the chain, drops, Tee-like branches that stop
 * fusion, loops back into a chain, and a depth limit chains must respect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "click/click.h"
#include "runtime/runtime.h"
#include "rt_util.h"

static uint64_t rng;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/* Random packet bytes (the same stream for both modules: the caller
 * resets rng): TCP, UDP, ICMP, IP-in-IP and GRE to a few addresses and
 * ports, TTLs near the edges, some fragments, some with options, some
 * with a bad checksum (the device check drops those). */
static uint32_t gen(uint8_t *b)
{
	static const uint32_t addrs[] = { IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), IP4(10, 1, 0, 5),
	                                  IP4(172, 16, 15, 133), IP4(203, 0, 113, 7), IP4(192, 0, 2, 9) };
	static const uint16_t ports[] = { 1500, 53, 80, 22, 23, 1024, 5000, 65535 };
	static const uint8_t protos[] = { 17, 17, 17, 6, 6, 1, 4, 47 };
	uint32_t opt = rnd() % 8 == 0 ? 4 : 0, hl = 20 + opt;
	uint8_t proto = protos[rnd() % 8];
	uint32_t pay = rnd() % 40;
	uint32_t len = hl + (proto == 17 ? 8 : proto == 6 ? 20 : proto == 4 ? 20 : 8) + pay;
	memset(b, 0, len);
	b[0] = (uint8_t)(0x40 | hl / 4);
	b[1] = (uint8_t)(rnd() % 4 == 0 ? 0xb8 : 0);
	rt_wr16(b + 2, (uint16_t)len);
	rt_wr16(b + 4, (uint16_t)rnd());
	if (rnd() % 16 == 0)
		rt_wr16(b + 6, (uint16_t)(rnd() % 2 ? RT_IP_MF : 0) | (uint16_t)(rnd() % 3));
	static const uint8_t ttls[] = { 0, 1, 2, 61, 62, 63, 64, 255 };
	b[8] = ttls[rnd() % 8];
	b[9] = proto;
	rt_wr32(b + 12, addrs[rnd() % 6]);
	rt_wr32(b + 16, addrs[rnd() % 6]);
	if (opt)
		b[20] = 1; /* NOPs */
	uint8_t *t = b + hl;
	if (proto == 17 || proto == 6) {
		rt_wr16(t, ports[rnd() % 8]);
		rt_wr16(t + 2, ports[rnd() % 8]);
		if (proto == 17)
			rt_wr16(t + 4, (uint16_t)(len - hl));
		else {
			t[12] = 0x50;
			t[13] = (uint8_t)(rnd() % 2 ? 0x02 : 0x10);
		}
	} else if (proto == 1) {
		t[0] = rnd() % 2 ? 8 : 0;
	} else if (proto == 4) { /* an inner header for the tunnel */
		t[0] = 0x45;
		rt_wr16(t + 2, (uint16_t)(len - hl));
		t[8] = 64;
		t[9] = 17;
		rt_wr32(t + 12, addrs[rnd() % 6]);
		rt_wr32(t + 16, addrs[rnd() % 6]);
		rt_ip_set_csum(t, 20);
	}
	for (uint32_t i = len - pay; i < len; i++)
		b[i] = (uint8_t)rnd();
	rt_ip_set_csum(b, hl);
	if (rnd() % 23 == 0)
		b[10] ^= 0x5a;
	return len;
}

/* Every element's handler values: equal return codes and values. */
static void same_handlers(struct rtu *a, struct rtu *b)
{
	static const char *const hs[] = { "count", "byte_count", "drops", "mapping_count",
	                                  "mapping_failures", "length", "highwater_length" };
	const struct click_graph *g = rt_module_graph(a->m);
	for (uint32_t i = 0; i < click_graph_nelements(g); i++)
		for (size_t h = 0; h < sizeof hs / sizeof hs[0]; h++) {
			const char *name = click_graph_element(g, i)->name;
			uint64_t va = 0, vb = 0;
			int ra = rt_module_read(a->m, name, hs[h], &va);
			int rb = rt_module_read(b->m, name, hs[h], &vb);
			if (ra != rb || va != vb)
				fprintf(stderr, "chains: %s.%s: interpreted %d %llu, compiled %d %llu\n", name, hs[h],
				        ra, (unsigned long long)va, rb, (unsigned long long)vb);
			assert_int_equal(ra, rb);
			assert_int_equal(va, vb);
		}
}

static void same_state(struct rtu *a, struct rtu *b, uint64_t now)
{
	void *sa, *sb;
	size_t la, lb;
	assert_int_equal(rt_module_save(a->m, now, 1, &sa, &la), 0);
	assert_int_equal(rt_module_save(b->m, now, 1, &sb, &lb), 0);
	assert_int_equal(la, lb);
	assert_memory_equal(sa, sb, la);
	free(sa);
	free(sb);
	assert_int_equal(rt_module_next_deadline(a->m), rt_module_next_deadline(b->m));
}

static void same_out(struct rtu *a, struct rtu *b)
{
	assert_int_equal(a->nout, b->nout);
	for (uint32_t i = 0; i < a->nout; i++) {
		assert_int_equal(a->out_dev[i], b->out_dev[i]);
		assert_int_equal(a->out[i]->len, b->out[i]->len);
		assert_memory_equal(rt_pkt_data(a->out[i]), rt_pkt_data(b->out[i]), a->out[i]->len);
		assert_int_equal(a->out[i]->ip_off - (int32_t)a->out[i]->off,
		                 b->out[i]->ip_off - (int32_t)b->out[i]->off);
		assert_memory_equal(a->out[i]->anno, b->out[i]->anno, RT_ANNO_SIZE);
	}
	struct rt_counters ca, cb;
	rt_module_counters(a->m, &ca);
	rt_module_counters(b->m, &cb);
	assert_memory_equal(&ca, &cb, sizeof ca);
}

static struct rt_pkt *pkt(struct rtu *u, const uint8_t *bytes, uint32_t len)
{
	struct rt_pkt *p = rtu_raw(u, bytes, len);
	assert_non_null(p);
	return p;
}

/* npkts random packets into cfg interpreted (one by one, as the
 * reference) and compiled (in bursts of `chunk`, or one by one when
 * chunk is 1); `chains`: the least number of chains the compiled module
 * must have. The clock moves on `step` ns a packet and timers run when
 * due, in both. */
static void check_same(const char *cfg, uint32_t npkts, uint32_t chunk, uint64_t step,
                       uint32_t max_depth, uint32_t chains)
{
	struct rtu *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
	assert_non_null(a);
	assert_non_null(b);
	struct rt_limits la = { .flow_capacity = 24, .seed = 11, .max_depth = max_depth, .no_compile = true };
	struct rt_limits lb = la;
	lb.no_compile = false;
	assert_int_equal(rtu_open_lim(a, cfg, 1, &la), 0);
	assert_int_equal(rtu_open_lim(b, cfg, 1, &lb), 0);
	assert_int_equal(rt_module_chains(a->m, NULL), 0);
	if (rt_module_chains(b->m, NULL) < chains)
		fail_msg("%s: %u chains, expected at least %u", cfg, rt_module_chains(b->m, NULL), chains);
	rng = 0x9e3779b97f4a7c15ull ^ npkts ^ chunk;
	uint8_t bytes[128][128];
	uint32_t lens[128];
	struct rt_pkt *v[128];
	uint64_t now = 1;
	for (uint32_t k = 0; k < npkts; k += chunk) {
		uint32_t n = npkts - k < chunk ? npkts - k : chunk;
		for (uint32_t i = 0; i < n; i++) {
			lens[i] = gen(bytes[i]);
			assert_int_equal(rt_module_push(a->m, 0, pkt(a, bytes[i], lens[i]), now), 0);
		}
		if (n == 1) {
			assert_int_equal(rt_module_push(b->m, 0, pkt(b, bytes[0], lens[0]), now), 0);
		} else {
			for (uint32_t i = 0; i < n; i++)
				v[i] = pkt(b, bytes[i], lens[i]);
			assert_int_equal(rt_module_push_burst(b->m, 0, v, n, now), 0);
		}
		now += step * n;
		if (rt_module_next_deadline(a->m) <= now)
			assert_int_equal(rt_module_run_timers(a->m, now), rt_module_run_timers(b->m, now));
		same_state(a, b, now);
	}
	now += 3600 * SEC;
	assert_int_equal(rt_module_run_timers(a->m, now), rt_module_run_timers(b->m, now));
	same_out(a, b);
	same_handlers(a, b);
	same_state(a, b, now);
	rtu_close(a);
	rtu_close(b);
	free(a);
	free(b);
}

static void check_all_chunks(const char *cfg, uint32_t chains)
{
	static const uint32_t chunks[] = { 1, 5, 32, 64, 100 };
	for (size_t j = 0; j < sizeof chunks / sizeof chunks[0]; j++)
		check_same(cfg, 400, chunks[j], j % 2 ? 20000 : 0, 0, chains);
}

/* Each fusable class in a chain of its own: the classifiers (rule
 * programs run inline), Counter (added once a burst), the rewriters
 * (fused steps, fresh mappings, a table that fills), ToDevice with and
 * without a copy to make, and action elements. */
static void test_each_class(void **st)
{
	(void)st;
	static const char *const cfgs[] = {
		"FromDevice(0) -> f :: IPFilter(allow udp dst port 1500, deny all) -> c :: Counter -> ToDevice(0)",
		"FromDevice(0) -> IPFilter(deny src 10.1.0.0/16, deny tcp, deny icmp, deny dst port 22,"
		" allow udp port 1500 or ip ttl < 3, allow ip frag, deny all) -> ToDevice(0)",
		"FromDevice(0) -> f :: IPFilter(allow tcp dst port != 80 and ip ttl <= 62, allow udp src port >= 1500,"
		" 1 ip tos != 0, 1 ip ttl > 63, allow src port < 1024, deny all) -> ToDevice(0); f[1] -> ToDevice(1)",
		"FromDevice(0) -> f :: IPClassifier(udp dst port 1500, tcp syn, ip proto 4, -) -> ToDevice(0);"
		" f[1] -> ToDevice(1); f[2] -> ToDevice(2); f[3] -> Discard",
		"FromDevice(0) -> f :: Classifier(9/11 22/05dc, 9/06, 0/45%f0, -) -> c :: Counter -> ToDevice(0);"
		" f[1] -> ToDevice(1); f[2] -> c2 :: Counter -> ToDevice(2); f[3] -> ToDevice(3)",
		"FromDevice(0) -> c :: Counter -> ToDevice(0)",
		"FromDevice(0) -> rw :: IPRewriter(pattern 203.0.113.1 1024-1040 - - 0 0) -> ToDevice(0)",
		"FromDevice(0) -> rw :: TCPRewriter(pattern 203.0.113.1 1024-65535# - - 0 1) -> ToDevice(0);"
		" rw[1] -> ToDevice(1)",
		"FromDevice(0) -> rw :: IPRewriter(pattern - - 172.16.15.133 - 0 0) -> c :: Counter -> ToDevice(0)",
		"ar :: IPAddrRewriter(pattern 203.0.113.0/29 - 0 1, drop); FromDevice(0)"
		" -> c :: IPClassifier(dst net 203.0.113.0/29, -); c[1] -> [0]ar; c[0] -> [1]ar;"
		" ar[0] -> ToDevice(0); ar[1] -> ToDevice(1)",
		"FromDevice(0) -> f :: IPFilter(allow udp, deny all) -> d :: Discard",
		"FromDevice(0) -> c :: Counter -> ToDevice(0) -> c2 :: Counter -> ToDevice(1)",
		"FromDevice(0) -> Paint(3) -> d :: DecIPTTL -> SetIPDSCP(46) -> c :: Counter -> ToDevice(0);"
		" d[1] -> ToDevice(1)",
		"FromDevice(0) -> Strip(20) -> CheckIPHeader -> c :: Counter -> ToDevice(0)",
	};
	for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++)
		check_all_chunks(cfgs[i], 1);
}

/* Chain shapes: fan-out off the chain that meets it again, Tee (no step:
 * it ends a chain, and the chains behind it start again), drops in the
 * middle, stock modules, a sandboxed module (ChangeEnforcer around a
 * chain), queues behind a chain, and loops back into a chain. */
static void test_shapes(void **st)
{
	(void)st;
	static const char *const cfgs[] = {
		"FromDevice(0) -> f :: IPClassifier(udp dst port 1500, tcp, -) -> c :: Counter -> ToDevice(0);"
		" f[1] -> c2 :: Counter -> DecIPTTL -> ToDevice(1); f[2] -> Paint(3) -> c",
		"FromDevice(0) -> c :: Counter -> t :: Tee -> f :: IPFilter(allow udp, deny all) -> ToDevice(0);"
		" t[1] -> c2 :: Counter -> ToDevice(1)",
		"FromDevice(0) -> f :: IPFilter(1 udp dst port 53, 0 udp, deny all) -> c :: Counter -> Discard;"
		" f[1] -> c2 :: Counter -> t :: Tee -> ToDevice(0); t[1] -> ToDevice(1)",
		/* the stock modules (src/controller/stock.c) */
		"FromDevice(0) -> IPFilter(allow udp dst port 1500) -> IPRewriter(pattern - - 172.16.15.133 - 0 0)"
		" -> q :: Queue(50) -> TimedUnqueue(1ms, 7) -> ToDevice(0)",
		"FromDevice(0) -> IPFilter(allow udp dst port 1500 and (src net 10.0.0.0/8), deny all)"
		" -> IPRewriter(pattern - - 172.16.15.133 - 0 0) -> ToDevice(0)",
		"FromDevice(0) -> IPFilter(allow udp dst port 1500) -> rl :: RatedSplitter(1000)"
		" -> IPRewriter(pattern - - 172.16.15.133 - 0 0) -> ToDevice(0); rl[1] -> Discard",
		"c :: IPClassifier(src host 172.16.15.133 and tcp src port 80, tcp dst port 80, -);"
		" rw :: IPRewriter(pattern 10.0.0.1 1024-65535 172.16.15.133 80 0 1, drop); out :: ToDevice(0);"
		" FromDevice(0) -> c; c[0] -> [1]rw; c[1] -> [0]rw; c[2] -> Discard; rw[0] -> out; rw[1] -> out",
		"c :: IPClassifier(src host 172.16.15.133 and udp src port 53, udp dst port 53, -);"
		" rw :: IPRewriter(pattern 10.0.0.1 1024-65535 172.16.15.133 53 0 1, drop); out :: ToDevice(0);"
		" FromDevice(0) -> c; c[0] -> [1]rw; c[1] -> [0]rw; c[2] -> Discard; rw[0] -> out; rw[1] -> out",
		"FromDevice(0) -> IPFilter(allow ip proto 4 and (src net 10.0.0.0/8), deny all) -> Strip(20)"
		" -> CheckIPHeader() -> IPRewriter(pattern 10.9.9.9 - - - 0 0) -> ToDevice(0)",
		/* sandboxed: the chain runs between the enforcer's ports */
		"ce :: ChangeEnforcer(10.0.0.1, ALLOW 10.0.0.1/32); FromDevice(0) -> [0]ce[0]"
		" -> IPFilter(allow udp dst port 1500, deny all) -> c :: Counter -> [1]ce[1] -> ToDevice(0)",
		/* a loop: f's output 0 goes back to the chain's head */
		"FromDevice(0) -> c :: Counter -> d :: DecIPTTL -> f :: IPFilter(allow ip ttl > 60, 1 all);"
		" f[0] -> c; f[1] -> c2 :: Counter -> ToDevice(0); d[1] -> ToDevice(1)",
		/* a pure chain leaving by several exits to stateful elements */
		"FromDevice(0) -> f :: IPClassifier(udp, tcp, -) -> c :: Counter"
		" -> rw :: IPRewriter(pattern 203.0.113.1 2000-2010 - - 0 0) -> ToDevice(0);"
		" f[1] -> rw2 :: IPRewriter(pattern 203.0.113.2 2000-2010 - - 0 0) -> ToDevice(1);"
		" f[2] -> ToDevice(0)",
	};
	for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++)
		check_all_chunks(cfgs[i], 1);
}

/* A small max_depth: where the interpreter drops for depth a chain must
 * too (it leaves such runs to the interpreter). */
static void test_depth(void **st)
{
	(void)st;
	const char *loop = "FromDevice(0) -> c :: Counter -> d :: DecIPTTL -> f :: IPFilter(allow ip ttl > 2, 1 all);"
	                   " f[0] -> c; f[1] -> c2 :: Counter -> ToDevice(0); d[1] -> ToDevice(1)";
	const char *line = "FromDevice(0) -> c :: Counter -> Paint(1) -> Paint(2) -> c2 :: Counter -> Paint(3)"
	                   " -> ToDevice(0)";
	for (uint32_t depth = 1; depth < 12; depth++) {
		check_same(loop, 200, 32, 0, depth, 1);
		check_same(line, 100, 16, 0, depth, 1);
		check_same(line, 20, 1, 0, depth, 1);
	}
}

/* Off: rt_limits.no_compile and INNET_RT_NOCOMPILE give no chains. */
static void test_off(void **st)
{
	(void)st;
	const char *cfg = "FromDevice(0) -> IPFilter(allow udp, deny all) -> Counter -> ToDevice(0)";
	struct rtu *u = calloc(1, sizeof *u);
	assert_non_null(u);
	const char *was = getenv("INNET_RT_NOCOMPILE");
	char *keep = was ? strdup(was) : NULL;
	unsetenv("INNET_RT_NOCOMPILE");
	assert_int_equal(rtu_open(u, cfg, 0), 0);
	uint32_t steps = 0;
	assert_int_equal(rt_module_chains(u->m, &steps), 2);
	assert_int_equal(steps, 5); /* IPFilter Counter ToDevice, Counter ToDevice (ToDevice alone: none) */
	rtu_close(u);
	struct rt_limits l = { .no_compile = true };
	assert_int_equal(rtu_open_lim(u, cfg, 0, &l), 0);
	assert_int_equal(rt_module_chains(u->m, NULL), 0);
	rtu_close(u);
	setenv("INNET_RT_NOCOMPILE", "1", 1);
	assert_int_equal(rtu_open(u, cfg, 0), 0);
	assert_int_equal(rt_module_chains(u->m, NULL), 0);
	rtu_close(u);
	setenv("INNET_RT_NOCOMPILE", "0", 1);
	assert_int_equal(rtu_open(u, cfg, 0), 0);
	assert_int_equal(rt_module_chains(u->m, NULL), 2);
	rtu_close(u);
	if (keep)
		setenv("INNET_RT_NOCOMPILE", keep, 1);
	else
		unsetenv("INNET_RT_NOCOMPILE");
	free(keep);
	free(u);
}

int main(void)
{
	/* the comparisons need chains on whatever the environment says */
	unsetenv("INNET_RT_NOCOMPILE");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_class),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
