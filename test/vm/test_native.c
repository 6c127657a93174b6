/* The whole platform stack in one process on ring ports: the manager, the
 * native backend, the DPDK fast path and the Click runtime. The batcher
 * example (a module that batches UDP for one client) is deployed, started by its first packet, rewrites to
 * the client's address with correct checksums, releases in bursts, drops
 * TCP, and is stopped (its memory freed) after idling. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "innet_build.h"
#include "harness.h"
#include "vm/vm.h"
#include "elements/element.h"
#include "runtime/runtime.h"

#if INNET_HAVE_DPDK
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

static struct rte_ring *IN, *OUT;
static struct rte_mempool *MP;
static struct vm_mgr *MGR;
static struct dp *DP;

static const uint8_t CLIENT_MAC[6] = {0x02, 0, 0, 0, 0, 0x33};
#define MOD_ADDR 0xc0000202u /* 192.0.2.2: first free address of platform3's pool */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A UDP (or TCP SYN) packet from 198.51.100.2:4000+i with 8 payload bytes,
 * correct checksums. */
/* Set: send_l4's next frames carry a wrong IPv4 header checksum. */
static bool BAD_IP_CSUM;

static void send_l4(uint32_t dst, uint8_t proto, uint16_t dport, int i)
{
	uint8_t f[14 + 20 + 20 + 8];
	memset(f, 0, sizeof f);
	uint8_t dmac[6] = {2, 0, 0, 0, 0, 1}, smac[6] = {2, 0, 0, 0, 0, 2};
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x08;
	uint8_t *ip = f + 14, *l4 = ip + 20;
	size_t l4len = proto == 17 ? 8 + 8 : 20;
	ip[0] = 0x45;
	ip[2] = 0;
	ip[3] = (uint8_t)(20 + l4len);
	ip[4] = 0x12; ip[5] = (uint8_t)i;
	ip[8] = 64;
	ip[9] = proto;
	put32(ip + 12, 0xc6336402u);
	put32(ip + 16, dst);
	uint16_t c = csum(ip, 20, 0);
	ip[10] = (uint8_t)(c >> 8); ip[11] = (uint8_t)(BAD_IP_CSUM ? c ^ 0x5a : c);
	l4[0] = (uint8_t)((4000 + i) >> 8); l4[1] = (uint8_t)(4000 + i);
	l4[2] = (uint8_t)(dport >> 8); l4[3] = (uint8_t)dport;
	if (proto == 17) {
		l4[5] = 16;
		memcpy(l4 + 8, "payload", 7);
		l4[15] = (uint8_t)i;
	} else {
		l4[12] = 0x50;
		l4[13] = 0x02; /* SYN */
	}
	uint8_t ph[12];
	memcpy(ph, ip + 12, 8);
	ph[8] = 0; ph[9] = proto; ph[10] = 0; ph[11] = (uint8_t)l4len;
	uint32_t s = 0;
	for (int k = 0; k < 12; k += 2)
		s += (uint32_t)(ph[k] << 8 | ph[k + 1]);
	c = csum(l4, l4len, s);
	int co = proto == 17 ? 6 : 16;
	l4[co] = (uint8_t)(c >> 8); l4[co + 1] = (uint8_t)c;
	struct rte_mbuf *m = rte_pktmbuf_alloc(MP);
	assert_non_null(m);
	size_t n = 14 + 20 + l4len;
	assert_non_null(rte_pktmbuf_append(m, (uint16_t)n));
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), f, n);
	assert_int_equal(rte_ring_enqueue(IN, m), 0);
}

/* Pump the control side (events, manager) until `want` frames came out or
 * ~3 s passed; `at` gets each frame's dequeue time. */
static int pump(struct rte_mbuf **v, uint64_t *at, int max, int want, int ms)
{
	int n = 0;
	for (int t = 0; t < ms; t++) {
		dp_poll(DP);
		void *p;
		while (n < max && rte_ring_dequeue(OUT, &p) == 0) {
			at[n] = dp_now_ns();
			v[n++] = p;
		}
		if (n >= want && want > 0)
			break;
		usleep(1000);
	}
	return n;
}

/* What on_suspend was handed last (the daemon stores it in the registry). */
static struct {
	int calls;
	uint64_t id;
	uint8_t *state;
	size_t len;
} SAVED;

static void on_suspend(void *arg, uint64_t id, const void *state, size_t len)
{
	(void)arg;
	SAVED.calls++;
	SAVED.id = id;
	free(SAVED.state);
	SAVED.state = malloc(len);
	assert_non_null(SAVED.state);
	memcpy(SAVED.state, state, len);
	SAVED.len = len;
}

/* A TCP segment from 198.51.100.2:4000 with flags (0x10: an ACK of an
 * established connection) and `mark` in its sequence number. */
static void send_tcp(uint32_t dst, uint16_t dport, uint8_t flags, uint8_t mark)
{
	uint8_t f[14 + 40];
	memset(f, 0, sizeof f);
	f[0] = 2; f[5] = 1; f[6] = 2; f[11] = 2; f[12] = 0x08;
	uint8_t *ip = f + 14, *l4 = ip + 20;
	ip[0] = 0x45; ip[3] = 40; ip[8] = 64; ip[9] = 6;
	put32(ip + 12, 0xc6336402u);
	put32(ip + 16, dst);
	uint16_t c = csum(ip, 20, 0);
	ip[10] = (uint8_t)(c >> 8); ip[11] = (uint8_t)c;
	l4[0] = 4000 >> 8; l4[1] = 4000 & 255;
	l4[2] = (uint8_t)(dport >> 8); l4[3] = (uint8_t)dport;
	l4[7] = mark;
	l4[12] = 0x50; l4[13] = flags;
	struct rte_mbuf *m = rte_pktmbuf_alloc(MP);
	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, sizeof f));
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), f, sizeof f);
	assert_int_equal(rte_ring_enqueue(IN, m), 0);
}

static int setup(void **state)
{
	(void)state;
	struct dp_config c;
	dp_config_init(&c);
	c.eal_args = "--no-huge --no-pci -m 256";
	c.nb_mbufs = 2047;
	char err[256];
	if (dp_eal_init(&c, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	char name[32];
	snprintf(name, sizeof name, "nin%d", getpid());
	IN = rte_ring_create(name, 1024, 0, 0);
	snprintf(name, sizeof name, "nout%d", getpid());
	OUT = rte_ring_create(name, 1024, 0, 0);
	snprintf(name, sizeof name, "nmp%d", getpid());
	MP = rte_pktmbuf_pool_create(name, 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	snprintf(name, sizeof name, "nring%d", getpid());
	int port = rte_eth_from_rings(name, &IN, 1, &OUT, 1, 0);
	if (!IN || !OUT || !MP || port < 0)
		return -1;
	struct dp_port_config pc = {.port_id = (uint16_t)port};
	/* module output: to the clients behind 172.16/16, and (NAT replies)
	 * back to the senders in 198.51.100/24 */
	struct dp_route rt[2] = {{.prefix = {0xac100000u, 16}, .port = 0},
	                         {.prefix = {0xc6336400u, 24}, .port = 0}};
	memcpy(rt[0].mac, CLIENT_MAC, 6);
	c.ports = &pc;
	c.nports = 1;
	c.routes = rt;
	c.nroutes = 2;
	struct vm_backend *be;
	if (vm_native_new(&c, &be, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	struct vm_config vc;
	vm_config_init(&vc);
	vc.idle_ms = 200;
	vc.on_suspend = on_suspend;
	if (vm_mgr_new(&vc, be, &MGR) < 0)
		return -1;
	DP = vm_native_dp(be);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vm_mgr_free(MGR);
	return 0;
}

static char *batcher(const char *interval, const char *burst)
{
	size_t len;
	char *t = th_read_file(th_example_path("figure4-batcher.click"), &len);
	assert_non_null(t);
	char *p = strstr(t, "TimedUnqueue(120, 100)");
	assert_non_null(p);
	char *out = malloc(len + 64);
	snprintf(out, len + 64, "%.*sTimedUnqueue(%s, %s)%s", (int)(p - t), t, interval, burst,
	         p + strlen("TimedUnqueue(120, 100)"));
	free(t);
	return out;
}

static void wait_state(uint64_t id, enum vm_state st);

static void test_batcher_started_by_first_packet(void **state)
{
	(void)state;
	char *cfg = batcher("0.3", "2");
	struct vm_module_spec s = {.id = 1, .tenant = 9, .name = "batcher", .click = cfg,
	                           .key = {.addr = MOD_ADDR, .proto = 17, .port = 1500}};
	struct diags d;
	diags_init(&d);
	int r = vm_deploy(MGR, &s, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s:%u:%u: %s\n", d.v[i].file ? d.v[i].file : "", d.v[i].line, d.v[i].col, d.v[i].msg);
	assert_int_equal(r, 0);
	free(cfg);
	dp_sync(DP);
	struct vm_module_info in;
	assert_int_equal(vm_module_info(MGR, 1, &in), 0);
	assert_int_equal(in.state, VM_DEPLOYED);
	assert_int_equal(in.dp.mem_bytes, 0); /* nothing instantiated */

	/* TCP to the module's address: not what it serves, dropped, starts nothing */
	send_l4(MOD_ADDR, 6, 1500, 99);
	for (int i = 0; i < 5; i++)
		send_l4(MOD_ADDR, 17, 1500, i);
	struct rte_mbuf *v[16];
	uint64_t at[16];
	int n = pump(v, at, 16, 5, 3000);
	assert_int_equal(n, 5);
	assert_int_equal(vm_module_info(MGR, 1, &in), 0);
	assert_int_equal(in.starts, 1);
	assert_true(in.last_start_ns > 0);
	assert_true(in.dp.held >= 1); /* the first packet at least waited for the start */
	assert_int_equal(in.dp.rx_packets, 5);
	assert_true(in.state == VM_RUNNING);
	assert_true(in.dp.mem_bytes > 0);
	fprintf(stderr, "# batcher: started in %.1f us, %llu bytes running\n",
	        in.last_start_ns / 1e3, (unsigned long long)in.dp.mem_bytes);
	struct dp_stats ds;
	dp_stats(DP, &ds);
	assert_int_equal(ds.unclassified, 1); /* the TCP packet */

	/* every packet: destination rewritten, checksums right, in order */
	int groups = 1, ingroup = 1, maxgroup = 1;
	for (int i = 0; i < n; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(v[i], const uint8_t *);
		assert_memory_equal(f, CLIENT_MAC, 6);
		const uint8_t *ip = f + 14, *l4 = ip + 20;
		assert_int_equal(ip[9], 17);
		assert_int_equal(ip[16], 172); assert_int_equal(ip[17], 16);
		assert_int_equal(ip[18], 15); assert_int_equal(ip[19], 133);
		assert_int_equal(csum(ip, 20, 0), 0);
		uint32_t ps = 0;
		for (int k = 12; k < 20; k += 2)
			ps += (uint32_t)(ip[k] << 8 | ip[k + 1]);
		ps += 17 + 16;
		assert_int_equal(csum(l4, 16, ps), 0);
		assert_int_equal(l4[2] << 8 | l4[3], 1500);
		assert_int_equal(l4[15], i); /* arrival order kept */
		if (i > 0) {
			if (at[i] - at[i - 1] > 150000000ull) {
				groups++;
				ingroup = 1;
			} else if (++ingroup > maxgroup) {
				maxgroup = ingroup;
			}
		}
		rte_pktmbuf_free(v[i]);
	}
	/* TimedUnqueue(0.3, 2): bursts of at most 2 */
	assert_true(maxgroup <= 2);
	assert_true(groups >= 3);

	/* idle for longer than idle_ms with an empty queue: stopped, memory freed */
	dp_poll(DP);
	assert_int_equal(vm_module_info(MGR, 1, &in), 0);
	vm_mgr_tick(MGR, in.dp.last_rx_ns + 250000000ull > dp_now_ns() ? in.dp.last_rx_ns + 250000000ull : dp_now_ns());
	dp_sync(DP);
	assert_int_equal(vm_module_info(MGR, 1, &in), 0);
	assert_int_equal(in.state, VM_DEPLOYED);
	assert_int_equal(in.stops, 1);
	assert_int_equal(in.dp.mem_bytes, 0);
	assert_int_equal(in.dp.state, DP_MOD_DEPLOYED);

	/* the next flow starts it again; its TimedUnqueue, asleep on the empty
	 * queue, lets the packet out at once, maybe before the manager heard
	 * of the start */
	send_l4(MOD_ADDR, 17, 1500, 7);
	n = pump(v, at, 16, 1, 3000);
	assert_int_equal(n, 1);
	rte_pktmbuf_free(v[0]);
	wait_state(1, VM_RUNNING);
	assert_int_equal(vm_module_info(MGR, 1, &in), 0);
	assert_int_equal(in.starts, 2);
	assert_int_equal(vm_remove(MGR, 1), 0);
	dp_sync(DP);
	diags_free(&d);
}

/* A frame that fails the module's device input check (bad IPv4 header
 * checksum) is one drop of its graph in the fast path's counters, not
 * two (the runtime counts it in drops and in bad_in). */
static void test_bad_input_is_one_drop(void **state)
{
	(void)state;
	const uint32_t addr = MOD_ADDR;
	struct vm_module_spec s = {.id = 8, .tenant = 9, .name = "pass", .click = "FromDevice(0) -> StoreIPAddress(172.16.0.9, dst) -> ToDevice(0)",
	                           .key = {.addr = addr, .proto = 17, .port = 1500}};
	struct diags d;
	diags_init(&d);
	assert_int_equal(vm_deploy(MGR, &s, &d), 0);
	diags_free(&d);
	dp_sync(DP);
	struct rte_mbuf *v[4];
	uint64_t at[4];
	send_l4(addr, 17, 1500, 1);
	assert_int_equal(pump(v, at, 4, 1, 3000), 1);
	rte_pktmbuf_free(v[0]);
	BAD_IP_CSUM = true;
	send_l4(addr, 17, 1500, 2);
	BAD_IP_CSUM = false;
	send_l4(addr, 17, 1500, 3);
	assert_int_equal(pump(v, at, 4, 1, 3000), 1);
	rte_pktmbuf_free(v[0]);
	struct vm_module_info in;
	assert_int_equal(vm_module_info(MGR, 8, &in), 0);
	assert_int_equal(in.dp.rx_packets, 3);
	assert_int_equal(in.dp.tx_packets, 2);
	assert_int_equal(in.dp.drops, 1);
	assert_int_equal(vm_remove(MGR, 8), 0);
	dp_sync(DP);
}

static void test_bad_module_refused_at_deploy(void **state)
{
	(void)state;
	struct vm_module_spec s = {.id = 2, .tenant = 9, .name = "bad.click",
	                           .click = "FromNetFront() -> NoSuchElement -> ToNetFront();",
	                           .key = {.addr = MOD_ADDR + 1}};
	struct diags d;
	diags_init(&d);
	assert_true(vm_deploy(MGR, &s, &d) < 0);
	assert_true(d.nerrors > 0);
	struct vm_module_info in;
	assert_int_equal(vm_module_info(MGR, 2, &in), -ENOENT);
	diags_free(&d);
}

/* Stateful modules run under their quotas, passed through to the runtime:
 * spec.mem_quota bounds the block and the tables (which grow as flows
 * need), spec.flow_capacity the mappings: with a quota of 2 a third UDP
 * flow meets Click's full table (both within their guarantee) and is
 * refused. */
static void test_stateful_quota(void **state)
{
	(void)state;
	const char *cfg = "FromNetFront() -> IPRewriter(pattern - - 172.16.15.133 - 0 0, CAPACITY 100000)"
	                  " -> ToNetFront();";
	struct vm_module_spec s = {.id = 3, .tenant = 9, .name = "nat", .click = cfg, .stateful = true,
	                           .mem_quota = 64 * 1024, .flow_capacity = 2,
	                           .key = {.addr = MOD_ADDR + 3}};
	struct diags d;
	diags_init(&d);
	assert_int_equal(vm_deploy(MGR, &s, &d), 0);
	assert_int_equal(vm_start(MGR, 3), 0);
	dp_sync(DP);
	struct vm_module_info in;
	assert_int_equal(vm_module_info(MGR, 3, &in), 0);
	assert_int_equal(in.state, VM_RUNNING);
	assert_true(in.stateful);
	for (int i = 0; i < 3; i++)
		send_l4(MOD_ADDR + 3, 17, 1500, i);
	struct rte_mbuf *v[8];
	uint64_t at[8];
	int n = pump(v, at, 8, 3, 300);
	assert_int_equal(n, 2);
	for (int i = 0; i < n; i++)
		rte_pktmbuf_free(v[i]);
	struct vm_table_info t[2];
	assert_int_equal(vm_module_tables(MGR, 3, t, 2), 1);
	assert_int_equal(t[0].entries, 2);
	assert_int_equal(t[0].capacity, 2);
	assert_int_equal(t[0].full_drops, 1);
	assert_int_equal(vm_module_info(MGR, 3, &in), 0);
	assert_true(in.dp.mem_bytes > 0 && in.dp.mem_bytes <= 64 * 1024);
	/* stateful: idling suspends it (state saved, memory freed), never stops it */
	vm_mgr_tick(MGR, dp_now_ns() + 3600ull * 1000000000ull);
	dp_sync(DP);
	assert_int_equal(vm_module_info(MGR, 3, &in), 0);
	assert_int_equal(in.state, VM_SUSPENDED);
	assert_int_equal(in.stops, 0);
	assert_int_equal(in.suspends, 1);
	assert_int_equal(in.dp.mem_bytes, 0);
	assert_int_equal(vm_remove(MGR, 3), 0);
	dp_sync(DP);
	diags_free(&d);
}

/* A stateful module of its own state (a Queue): StoreIPAddress sends it on
 * to the client, the TimedUnqueue lets packets out at once (0.001 s) or,
 * after the first (it wakes on its empty queue, as Click's), keeps them an
 * hour. */
#define QMOD(unq) "FromNetFront() -> StoreIPAddress(172.16.15.133, dst) -> q :: Queue(64) -> " unq " -> ToNetFront();"

static void deploy_q(uint64_t id, uint32_t addr, const char *cfg, const void *st, size_t len)
{
	struct vm_module_spec s = {.id = id, .tenant = 4, .name = "q", .click = cfg, .stateful = true,
	                           .flow_capacity = 500, .key = {.addr = addr, .proto = 6, .port = 80},
	                           .state = st, .state_len = len};
	struct diags d;
	diags_init(&d);
	int r = vm_deploy(MGR, &s, &d);
	if (r < 0)
		diags_print(stderr, &d);
	assert_int_equal(r, 0);
	diags_free(&d);
	dp_sync(DP);
}

static uint8_t mark_of(struct rte_mbuf *m) { return rte_pktmbuf_mtod(m, const uint8_t *)[14 + 20 + 7]; }

static uint64_t q_entries(uint64_t id)
{
	struct vm_table_info t[4];
	int n = vm_module_tables(MGR, id, t, 4);
	assert_int_equal(n, 1);
	assert_string_equal(t[0].elem, "q");
	assert_string_equal(t[0].cls, "Queue");
	assert_int_equal(t[0].capacity, 64);
	return t[0].entries;
}

/* Poll control (up to ~3 s) until module id is in state st, or its queue
 * holds n packets: a loaded machine may be slow to drain the rx ring. */
static void wait_state(uint64_t id, enum vm_state st)
{
	struct vm_module_info in = {0};
	for (int i = 0; i < 3000 && (vm_module_info(MGR, id, &in), in.state != st); i++) {
		dp_poll(DP);
		usleep(1000);
	}
	assert_int_equal(in.state, st);
}

static void wait_entries(uint64_t id, uint64_t n)
{
	for (int i = 0; i < 3000 && q_entries(id) < n; i++) {
		dp_poll(DP);
		usleep(1000);
	}
	assert_int_equal(q_entries(id), n);
}

/* Suspended (state to on_suspend, memory freed), then woken by an ACK, not
 * a SYN: the held ACKs go through first, in order; the counters. */
static void test_suspend_and_resume_on_ack(void **state)
{
	(void)state;
	uint32_t addr = MOD_ADDR + 4;
	deploy_q(4, addr, QMOD("TimedUnqueue(0.001, 64)"), NULL, 0);
	send_tcp(addr, 80, 0x02, 1); /* SYN: starts it */
	struct rte_mbuf *v[16];
	uint64_t at[16];
	assert_int_equal(pump(v, at, 16, 1, 3000), 1);
	assert_int_equal(mark_of(v[0]), 1);
	rte_pktmbuf_free(v[0]);
	struct vm_module_info in;
	assert_int_equal(vm_module_info(MGR, 4, &in), 0);
	assert_int_equal(in.state, VM_RUNNING);
	assert_true(in.dp.mem_bytes > 0);

	int calls = SAVED.calls;
	assert_int_equal(vm_suspend(MGR, 4), 0);
	dp_sync(DP);
	assert_int_equal(SAVED.calls, calls + 1);
	assert_int_equal(SAVED.id, 4);
	assert_true(SAVED.len > 24);
	assert_int_equal(vm_module_info(MGR, 4, &in), 0);
	assert_int_equal(in.state, VM_SUSPENDED);
	assert_int_equal(in.suspends, 1);
	assert_int_equal(in.state_bytes, SAVED.len);
	assert_true(in.last_suspend_ns > 0);
	assert_int_equal(in.dp.mem_bytes, 0);
	assert_int_equal(in.dp.state, DP_MOD_SUSPENDED);
	assert_int_equal(q_entries(4), 0); /* as captured */
	assert_int_equal(vm_suspend(MGR, 4), -EALREADY);

	uint64_t held = in.dp.held;
	send_tcp(addr, 80, 0x10, 2); /* ACKs of the open connection */
	send_tcp(addr, 80, 0x10, 3);
	int n = pump(v, at, 16, 2, 3000);
	assert_int_equal(n, 2);
	assert_int_equal(mark_of(v[0]), 2);
	assert_int_equal(mark_of(v[1]), 3);
	assert_int_equal(rte_pktmbuf_mtod(v[0], const uint8_t *)[14 + 19], 133); /* 172.16.15.133 */
	for (int i = 0; i < n; i++)
		rte_pktmbuf_free(v[i]);
	wait_state(4, VM_RUNNING); /* out before the manager heard it is done */
	assert_int_equal(vm_module_info(MGR, 4, &in), 0);
	assert_int_equal(in.resumes, 1);
	assert_int_equal(in.starts, 1);
	assert_true(in.last_resume_ns > 0);
	assert_true(in.dp.held >= held + 1);
	assert_int_equal(in.load_failures, 0);
	fprintf(stderr, "# queue module: suspended in %.1f us (%zu bytes of state), resumed in %.1f us\n",
	        in.last_suspend_ns / 1e3, in.state_bytes, in.last_resume_ns / 1e3);
	struct vm_mgr_stats ms;
	vm_mgr_stats(MGR, &ms);
	assert_true(ms.suspends >= 1 && ms.resumes >= 1);
	assert_int_equal(vm_remove(MGR, 4), 0);
	dp_sync(DP);
}

/* Packets queued in the module survive a suspend (vm_suspend_all, as on
 * SIGTERM), and a module deployed with that saved state (innetd
 * restarted) wakes with them on its first packet, an ACK: its fresh
 * TimedUnqueue releases a burst (one) at once, the oldest saved, as
 * Click's task runs at initialisation. A damaged state is logged,
 * counted, and the module starts fresh. */
static void test_queued_packets_survive_and_deploy_with_state(void **state)
{
	(void)state;
	uint32_t addr = MOD_ADDR + 5;
	deploy_q(5, addr, QMOD("TimedUnqueue(3600, 1)"), NULL, 0);
	assert_int_equal(vm_start(MGR, 5), 0);
	dp_sync(DP);
	for (uint8_t i = 1; i <= 4; i++)
		send_tcp(addr, 80, 0x10, i);
	struct rte_mbuf *v[16];
	uint64_t at[16];
	/* the first wakes the TimedUnqueue and leaves; the rest wait an hour */
	assert_int_equal(pump(v, at, 16, 1, 3000), 1);
	assert_int_equal(mark_of(v[0]), 1);
	rte_pktmbuf_free(v[0]);
	wait_entries(5, 3);
	assert_int_equal(pump(v, at, 16, 0, 50), 0); /* kept an hour */

	int calls = SAVED.calls;
	assert_true(vm_suspend_all(MGR) >= 1);
	assert_true(SAVED.calls > calls); /* synchronous: already handed over */
	assert_int_equal(SAVED.id, 5);
	struct vm_module_info in;
	assert_int_equal(vm_module_info(MGR, 5, &in), 0);
	assert_int_equal(in.state, VM_SUSPENDED);
	assert_int_equal(q_entries(5), 3);
	size_t len = SAVED.len;
	uint8_t *saved = malloc(len);
	memcpy(saved, SAVED.state, len);
	assert_int_equal(vm_remove(MGR, 5), 0);
	dp_sync(DP);

	/* a new innetd: deployed with the saved state, suspended until a packet */
	deploy_q(6, addr, QMOD("TimedUnqueue(3600, 1)"), saved, len);
	assert_int_equal(vm_module_info(MGR, 6, &in), 0);
	assert_int_equal(in.state, VM_SUSPENDED);
	assert_int_equal(in.dp.state, DP_MOD_SUSPENDED);
	send_tcp(addr, 80, 0x10, 5);
	assert_int_equal(pump(v, at, 16, 1, 3000), 1);
	assert_int_equal(mark_of(v[0]), 2); /* the oldest saved, at once */
	rte_pktmbuf_free(v[0]);
	wait_state(6, VM_RUNNING);
	assert_int_equal(vm_module_info(MGR, 6, &in), 0);
	assert_int_equal(in.resumes, 1);
	assert_int_equal(in.load_failures, 0);
	wait_entries(6, 3); /* two saved, then the one that woke it */
	assert_int_equal(vm_remove(MGR, 6), 0);
	dp_sync(DP);

	saved[len / 2] ^= 1;
	deploy_q(7, addr, QMOD("TimedUnqueue(3600, 1)"), saved, len);
	send_tcp(addr, 80, 0x10, 6);
	send_tcp(addr, 80, 0x10, 7);
	assert_int_equal(pump(v, at, 16, 1, 3000), 1);
	assert_int_equal(mark_of(v[0]), 6); /* fresh: the first leaves at once */
	rte_pktmbuf_free(v[0]);
	wait_state(7, VM_RUNNING);
	assert_int_equal(vm_module_info(MGR, 7, &in), 0);
	assert_int_equal(in.load_failures, 1);
	wait_entries(7, 1); /* and nothing saved came back */
	assert_int_equal(vm_remove(MGR, 7), 0);
	dp_sync(DP);
	free(saved);
}

/* UDP src:sport -> dst:dport, IP checksum right, no UDP checksum. */
static void send_udp_from(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
	uint8_t f[14 + 28];
	memset(f, 0, sizeof f);
	f[0] = 2; f[5] = 1; f[6] = 2; f[11] = 2; f[12] = 0x08;
	uint8_t *ip = f + 14, *l4 = ip + 20;
	ip[0] = 0x45; ip[3] = 28; ip[8] = 64; ip[9] = 17;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	uint16_t c = csum(ip, 20, 0);
	ip[10] = (uint8_t)(c >> 8); ip[11] = (uint8_t)c;
	l4[0] = (uint8_t)(sport >> 8); l4[1] = (uint8_t)sport;
	l4[2] = (uint8_t)(dport >> 8); l4[3] = (uint8_t)dport;
	l4[5] = 8;
	struct rte_mbuf *m = rte_pktmbuf_alloc(MP);
	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, sizeof f));
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), f, sizeof f);
	assert_int_equal(rte_ring_enqueue(IN, m), 0);
}

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* An IPRewriter NAT keeps its mappings across a suspend: a reply to a
 * flow mapped before the suspend wakes the module and is mapped back to
 * the client. The module's one device input gets both directions (they
 * are addressed to it); an IPClassifier tells replies by their source.
 * The NAT half runs today; the suspend half needs IPRewriter's save/load
 * hooks (the rewriter work of issue 10) and is skipped until the class
 * has them: for the lead, it needs no change once they land. */
static void test_rewriter_mappings_survive(void **state)
{
	(void)state;
	uint32_t addr = MOD_ADDR + 9, server = 0xac100f85u; /* 172.16.15.133 */
	const char *cfg = "c :: IPClassifier(src host 172.16.15.133, -);"
	                  "rw :: IPRewriter(pattern 192.0.2.11 1024-65535 172.16.15.133 - 0 1, drop);"
	                  "FromNetFront() -> c; c[1] -> [0]rw; c[0] -> [1]rw;"
	                  "rw[0] -> ToNetFront(); rw[1] -> ToNetFront();";
	struct vm_module_spec s = {.id = 9, .tenant = 4, .name = "nat", .click = cfg, .stateful = true,
	                           .flow_capacity = 64, .key = {.addr = addr}};
	struct diags d;
	diags_init(&d);
	assert_int_equal(vm_deploy(MGR, &s, &d), 0);
	diags_free(&d);
	assert_int_equal(vm_start(MGR, 9), 0);
	dp_sync(DP);
	for (int i = 0; i < 3; i++)
		send_udp_from(0xc6336402u, (uint16_t)(4000 + i), addr, 1500);
	struct rte_mbuf *v[16];
	uint64_t at[16];
	assert_int_equal(pump(v, at, 16, 3, 3000), 3);
	uint16_t port[3];
	for (int i = 0; i < 3; i++) {
		const uint8_t *ip = rte_pktmbuf_mtod(v[i], const uint8_t *) + 14;
		assert_int_equal(rd32(ip + 12), addr);
		assert_int_equal(rd32(ip + 16), server);
		port[i] = (uint16_t)(ip[20] << 8 | ip[21]);
		rte_pktmbuf_free(v[i]);
	}
	const struct click_class *rw = elem_class_find("IPRewriter");
	if (!rw || !rw->runtime || !rw->runtime->save) {
		assert_int_equal(vm_remove(MGR, 9), 0);
		dp_sync(DP);
		fprintf(stderr, "# IPRewriter has no save hook yet: the suspend half is skipped\n");
		skip();
	}
	assert_int_equal(vm_suspend(MGR, 9), 0);
	dp_sync(DP);
	struct vm_module_info in;
	assert_int_equal(vm_module_info(MGR, 9, &in), 0);
	assert_int_equal(in.state, VM_SUSPENDED);
	assert_true(in.state_bytes > 33); /* more than the header: the mappings */
	struct vm_table_info t[4];
	int nt = vm_module_tables(MGR, 9, t, 4);
	assert_true(nt >= 1);
	assert_int_equal(t[0].entries, 3);
	/* the server answers the second flow: wakes the module, mapped back */
	send_udp_from(server, 1500, addr, port[1]);
	assert_int_equal(pump(v, at, 16, 1, 3000), 1);
	const uint8_t *ip = rte_pktmbuf_mtod(v[0], const uint8_t *) + 14;
	assert_int_equal(rd32(ip + 16), 0xc6336402u);
	assert_int_equal(ip[22] << 8 | ip[23], 4001);
	assert_int_equal(rd32(ip + 12), addr);
	rte_pktmbuf_free(v[0]);
	wait_state(9, VM_RUNNING);
	assert_int_equal(vm_module_info(MGR, 9, &in), 0);
	assert_int_equal(in.resumes, 1);
	assert_int_equal(in.load_failures, 0);
	assert_int_equal(vm_remove(MGR, 9), 0);
	dp_sync(DP);
}

int main(void)
{
	/* EAL once per process; where it cannot run (no root, no memory)
	 * the test is skipped with the reason, as meson expects (77). */
	struct dp_config ec;
	dp_config_init(&ec);
	ec.eal_args = "--no-huge --no-pci -m 256";
	char eerr[256];
	if (dp_eal_init(&ec, eerr, sizeof eerr) < 0) {
		printf("skip: %s\n", eerr);
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batcher_started_by_first_packet),
		cmocka_unit_test(test_stateful_quota),
		cmocka_unit_test(test_bad_module_refused_at_deploy),
		cmocka_unit_test(test_bad_input_is_one_drop),
		cmocka_unit_test(test_suspend_and_resume_on_ack),
		cmocka_unit_test(test_queued_packets_survive_and_deploy_with_state),
		cmocka_unit_test(test_rewriter_mappings_survive),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

#else

static void test_native_refuses_without_dpdk(void **state)
{
	(void)state;
	struct dp_config c;
	dp_config_init(&c);
	struct vm_backend *be = NULL;
	char err[256] = "";
	assert_int_equal(vm_native_new(&c, &be, err, sizeof err), -ENOTSUP);
	assert_null(be);
	assert_non_null(strstr(err, "without DPDK"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_native_refuses_without_dpdk)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
