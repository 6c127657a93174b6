/* The fast path on in-process ring ports: classification, hold-and-signal
 * on a module's first packet, publication, framing and routing, counters,
 * consolidation (two tenants never see each other's packets), halting,
 * removal and bounded hold buffers under a flood. Real DPDK, real mbufs. */
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
#include "dataplane/dataplane.h"
#include "runtime/runtime.h"

#if INNET_HAVE_DPDK
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

struct fx {
	struct rte_ring *in, *out;  /* test -> fast path, fast path -> test */
	struct rte_mempool *mp;
	struct dp *dp;
	struct dp_event ev[256];
	int nev;
};

static struct fx F;
static const uint8_t HOP_MAC[6] = {0x02, 0, 0, 0, 0, 0x99};

static void on_event(void *arg, const struct dp_event *ev)
{
	struct fx *f = arg;
	if (f->nev < 256)
		f->ev[f->nev++] = *ev;
}

static int count_ev(enum dp_event_type t, uint64_t module)
{
	int n = 0;
	for (int i = 0; i < F.nev; i++)
		n += F.ev[i].type == t && F.ev[i].module == module;
	return n;
}

/* A test program: rewrite the destination to `to`, tag the first payload
 * byte with `tag` so the test can tell which program touched the packet. */
struct tprog {
	uint32_t to;
	uint8_t tag;
	int *destroyed;
	uint64_t seen;
	uint32_t cycle[3]; /* when cycle[0] is set: destinations in turn instead of `to` */
};

static uint64_t tp_push(void *self, struct dp_io *io, struct rt_pkt **v, uint32_t n, uint64_t now)
{
	struct tprog *t = self;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *ip = rt_pkt_data(v[i]);
		t->seen++;
		if (v[i]->len < 29) {
			dp_drop(io, v[i]);
			continue;
		}
		uint32_t to = t->cycle[0] ? t->cycle[(t->seen - 1) % 3] : t->to;
		ip[16] = (uint8_t)(to >> 24); ip[17] = (uint8_t)(to >> 16);
		ip[18] = (uint8_t)(to >> 8); ip[19] = (uint8_t)to;
		ip[28] = t->tag;
		dp_emit(io, 0, v[i]);
	}
	(void)now;
	return UINT64_MAX;
}

static void tp_destroy(void *self)
{
	struct tprog *t = self;
	if (t->destroyed)
		(*t->destroyed)++;
	free(t);
}

static const struct dp_program_ops tp_ops = {.push = tp_push, .destroy = tp_destroy};

static struct dp_program tprog(uint32_t to, uint8_t tag, int *destroyed)
{
	struct tprog *t = calloc(1, sizeof *t);
	t->to = to;
	t->tag = tag;
	t->destroyed = destroyed;
	return (struct dp_program){.ops = &tp_ops, .self = t};
}

static uint32_t A(int a, int b, int c, int d) { return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | (uint32_t)d; }

/* Ethernet + IPv4 + UDP/TCP, 64 bytes on the wire; the payload's first
 * byte (IP offset 30 for UDP) is `mark`. */
static struct rte_mbuf *frame(uint32_t dst, uint8_t proto, uint16_t dport, uint8_t tcpflags, uint8_t mark)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(F.mp);
	assert_non_null(m);
	uint8_t f[64];
	memset(f, 0, 64);
	memset(f, 0xaa, 6);
	f[6] = 2; f[11] = 1;
	f[12] = 0x08; f[13] = 0;
	uint8_t *ip = f + 14;
	ip[0] = 0x45; ip[3] = 50; ip[8] = 64; ip[9] = proto;
	ip[12] = 198; ip[13] = 51; ip[14] = 100; ip[15] = 7;
	ip[16] = (uint8_t)(dst >> 24); ip[17] = (uint8_t)(dst >> 16); ip[18] = (uint8_t)(dst >> 8); ip[19] = (uint8_t)dst;
	ip[20] = 0x30; ip[21] = 0x39; ip[22] = (uint8_t)(dport >> 8); ip[23] = (uint8_t)dport;
	if (proto == 6)
		ip[33] = tcpflags;
	else
		ip[30] = mark;
	assert_non_null(rte_pktmbuf_append(m, 64));
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), f, 64);
	return m;
}

static uint8_t *ip_of(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, uint8_t *, 14);
}

static void enqueue(struct rte_mbuf *m)
{
	while (rte_ring_enqueue(F.in, m) != 0)
		usleep(10);
}

static void send_pkt(uint32_t dst, uint8_t proto, uint16_t dport, uint8_t tcpflags)
{
	enqueue(frame(dst, proto, dport, tcpflags, 0));
}

/* Frames the fast path transmitted, waiting up to ~2 s for `want`. */
static int recv_pkts(struct rte_mbuf **v, int max, int want)
{
	int n = 0;
	for (int tries = 0; tries < 2000; tries++) {
		void *p;
		while (n < max && rte_ring_dequeue(F.out, &p) == 0)
			v[n++] = p;
		if (n >= want)
			break;
		usleep(1000);
	}
	return n;
}

/* Let the lcore take everything sent from its rx ring (however slow the
 * machine: sanitizers, parallel builds), then finish a command round: the
 * fast path handles commands between bursts, so what it took is done. */
static void settle(void)
{
	for (int i = 0; i < 5000 && rte_ring_count(F.in) > 0; i++)
		usleep(1000);
	usleep(2000);
	dp_sync(F.dp);
	dp_poll(F.dp);
}

static int setup(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		/* no-huge EAL works unprivileged on many systems, but not all */
	}
	struct dp_config c;
	dp_config_init(&c);
	c.eal_args = "--no-huge --no-pci -m 256";
	c.nb_mbufs = 2047;
	c.hold_packets = 4;
	c.hold_total = 6;
	char err[256];
	if (dp_eal_init(&c, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	char name[32];
	snprintf(name, sizeof name, "tin%d", getpid());
	F.in = rte_ring_create(name, 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof name, "tout%d", getpid());
	F.out = rte_ring_create(name, 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof name, "tmp%d", getpid());
	F.mp = rte_pktmbuf_pool_create(name, 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (!F.in || !F.out || !F.mp)
		return -1;
	snprintf(name, sizeof name, "ringp%d", getpid());
	int port = rte_eth_from_rings(name, &F.in, 1, &F.out, 1, 0);
	if (port < 0)
		return -1;
	struct dp_port_config pc = {.devargs = NULL, .port_id = (uint16_t)port};
	struct dp_route rt[2] = {
		{.prefix = {A(172, 16, 0, 0), 16}, .port = 0},
		{.prefix = {A(10, 0, 0, 0), 8}, .port = 0},
	};
	memcpy(rt[0].mac, HOP_MAC, 6);
	c.ports = &pc;
	c.nports = 1;
	c.routes = rt;
	c.nroutes = 2;
	c.on_event = on_event;
	c.event_arg = &F;
	if (dp_start(&c, &F.dp, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dp_stop(F.dp);
	return 0;
}

static void free_all(struct rte_mbuf **v, int n)
{
	for (int i = 0; i < n; i++)
		rte_pktmbuf_free(v[i]);
}

static void test_first_packet_starts_module(void **state)
{
	(void)state;
	struct dp_module_key k = {.addr = A(192, 0, 2, 10), .proto = 17, .port = 1500};
	assert_int_equal(dp_module_add(F.dp, 1, &k, 11), 0);
	assert_int_equal(dp_module_add(F.dp, 1, &k, 12), -EEXIST);
	assert_int_equal(dp_module_add(F.dp, 2, &k, 12), -EADDRINUSE);
	settle();
	assert_int_equal(count_ev(DP_EV_DONE, 1), 1);

	/* TCP is not what the module listens on, nor UDP to another port */
	send_pkt(k.addr, 6, 1500, 0x02);
	send_pkt(k.addr, 17, 1501, 0);
	settle();
	struct dp_module_stats st;
	assert_int_equal(dp_module_stats(F.dp, 1, &st), 0);
	assert_int_equal(st.state, DP_MOD_DEPLOYED);
	assert_int_equal(st.hold_drops, 0);
	assert_int_equal(st.rx_packets, 0);
	assert_int_equal(count_ev(DP_EV_NEW_FLOW, 1), 0);
	struct dp_stats ds;
	dp_stats(F.dp, &ds);
	assert_int_equal(ds.unclassified, 2);

	/* two UDP packets: one new-flow event, both held */
	send_pkt(k.addr, 17, 1500, 0);
	send_pkt(k.addr, 17, 1500, 0);
	settle();
	assert_int_equal(count_ev(DP_EV_NEW_FLOW, 1), 1);
	for (int i = 0; i < F.nev; i++)
		if (F.ev[i].type == DP_EV_NEW_FLOW) {
			assert_int_equal(F.ev[i].dst, k.addr);
			assert_int_equal(F.ev[i].dport, 1500);
			assert_int_equal(F.ev[i].sport, 12345);
			assert_int_equal(F.ev[i].proto, 17);
		}
	assert_int_equal(dp_module_stats(F.dp, 1, &st), 0);
	assert_int_equal(st.state, DP_MOD_STARTING);
	assert_int_equal(st.held, 2);
	struct rte_mbuf *v[64];
	assert_int_equal(recv_pkts(v, 64, 0), 0);

	/* start: held packets come out, rewritten, framed for the route */
	int destroyed = 0;
	assert_int_equal(dp_module_run(F.dp, 1, tprog(A(172, 16, 15, 133), 0x11, &destroyed), 13), 0);
	int n = recv_pkts(v, 64, 2);
	assert_int_equal(n, 2);
	for (int i = 0; i < n; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(v[i], const uint8_t *);
		assert_memory_equal(f, HOP_MAC, 6);
		assert_int_equal(f[12], 0x08);
		assert_int_equal(f[13], 0x00);
		assert_int_equal(f[14 + 16], 172);
		assert_int_equal(f[14 + 19], 133);
		assert_int_equal(f[14 + 28], 0x11);
		assert_int_equal(rte_pktmbuf_pkt_len(v[i]), 14 + 50); /* padding trimmed */
	}
	free_all(v, n);
	/* later packets go straight through */
	send_pkt(k.addr, 17, 1500, 0);
	assert_int_equal(recv_pkts(v, 64, 1), 1);
	free_all(v, 1);
	settle();
	assert_int_equal(dp_module_stats(F.dp, 1, &st), 0);
	assert_int_equal(st.state, DP_MOD_RUNNING);
	assert_int_equal(st.rx_packets, 3);
	assert_int_equal(st.tx_packets, 3);
	assert_int_equal(st.tx_bytes, 150);
	assert_true(st.last_rx_ns > 0 && st.last_rx_ns <= dp_now_ns());

	/* halt: the program is freed on this thread, the module is deployed again */
	assert_int_equal(dp_module_halt(F.dp, 1, 14), 0);
	settle();
	assert_int_equal(destroyed, 1);
	assert_int_equal(dp_module_stats(F.dp, 1, &st), 0);
	assert_int_equal(st.state, DP_MOD_DEPLOYED);
	send_pkt(k.addr, 17, 1500, 0);
	settle();
	assert_int_equal(count_ev(DP_EV_NEW_FLOW, 1), 2);

	assert_int_equal(dp_module_remove(F.dp, 1, 15), 0);
	settle();
	assert_int_equal(dp_module_stats(F.dp, 1, &st), -ENOENT);
	dp_stats(F.dp, &ds);
	assert_int_equal(ds.held_now, 0);
	assert_int_equal(ds.modules, 0);
}

/* The DONE event of the command with `cookie` for `module` (NULL: none). */
static const struct dp_event *done_ev(uint64_t module, uint32_t cookie)
{
	for (int i = 0; i < F.nev; i++)
		if (F.ev[i].type == DP_EV_DONE && F.ev[i].module == module && F.ev[i].cookie == cookie)
			return &F.ev[i];
	return NULL;
}

static const struct dp_event *wake_ev(uint64_t module)
{
	for (int i = 0; i < F.nev; i++)
		if (F.ev[i].type == DP_EV_NEW_FLOW && F.ev[i].module == module && F.ev[i].wake)
			return &F.ev[i];
	return NULL;
}

/* Wait (up to ~2 s, polling events) until the fast path has held `held`
 * packets of the module and dropped `drops` instead of holding them: a
 * loaded machine may take longer than settle() to drain the rx ring. */
static void wait_held(uint64_t id, uint64_t held, uint64_t drops)
{
	struct dp_module_stats st = {0};
	for (int i = 0; i < 2000; i++) {
		dp_poll(F.dp);
		assert_int_equal(dp_module_stats(F.dp, id, &st), 0);
		if (st.held >= held && st.hold_drops >= drops)
			break;
		usleep(1000);
	}
	dp_poll(F.dp);
	assert_int_equal(st.held, held);
	assert_int_equal(st.hold_drops, drops);
}

/* A TCP segment of an established connection (ACK, no SYN) marked `mark`. */
static void send_ack(uint32_t dst, uint16_t dport, uint8_t mark)
{
	struct rte_mbuf *m = frame(dst, 6, dport, 0x10 /* ACK */, 0);
	ip_of(m)[25] = mark; /* in the sequence number */
	ip_of(m)[32] = 0x50; /* data offset: 20 bytes */
	enqueue(m);
}

/* Suspend hands the running program back to control; a suspended module
 * stays classified and ANY packet (here ACKs, no SYN) is held and
 * announced once with `wake`; the resumed program gets the held packets
 * first, in order; a deployed-suspended module (no program) wakes too. */
static void test_suspend_and_wake(void **state)
{
	(void)state;
	F.nev = 0;
	struct dp_module_key k = {.addr = A(192, 0, 2, 50), .proto = 6, .port = 80};
	assert_int_equal(dp_module_add(F.dp, 5, &k, 50), 0);
	int destroyed = 0;
	assert_int_equal(dp_module_run(F.dp, 5, tprog(A(172, 16, 0, 5), 0x21, &destroyed), 51), 0);
	settle();
	send_ack(k.addr, 80, 1);
	struct rte_mbuf *v[64];
	assert_int_equal(recv_pkts(v, 64, 1), 1);
	free_all(v, 1);

	assert_int_equal(dp_module_suspend(F.dp, 5, 52), 0);
	settle();
	const struct dp_event *d = done_ev(5, 52);
	assert_non_null(d);
	assert_int_equal(d->status, 0);
	assert_ptr_equal(d->prog.ops, &tp_ops); /* ours: not destroyed by the dataplane */
	assert_int_equal(destroyed, 0);
	assert_int_equal(((struct tprog *)d->prog.self)->seen, 1);
	d->prog.ops->destroy(d->prog.self);
	assert_int_equal(destroyed, 1);
	struct dp_module_stats st;
	assert_int_equal(dp_module_stats(F.dp, 5, &st), 0);
	assert_int_equal(st.state, DP_MOD_SUSPENDED);
	assert_int_equal(st.mem_bytes, 0);

	/* ACKs of the established connection: held, announced once */
	send_ack(k.addr, 80, 2);
	send_ack(k.addr, 80, 3);
	wait_held(5, 2, 0);
	const struct dp_event *w = wake_ev(5);
	assert_non_null(w);
	assert_int_equal(w->dport, 80);
	assert_true(w->ts_ns > 0);
	assert_int_equal(count_ev(DP_EV_NEW_FLOW, 5), 1);
	assert_int_equal(dp_module_stats(F.dp, 5, &st), 0);
	assert_int_equal(st.state, DP_MOD_STARTING);
	assert_int_equal(st.held, 2);
	assert_int_equal(st.hold_drops, 0);
	assert_int_equal(recv_pkts(v, 64, 0), 0);

	/* resume: the held packets first, in arrival order, then new ones */
	assert_int_equal(dp_module_run(F.dp, 5, tprog(A(172, 16, 0, 5), 0x22, &destroyed), 53), 0);
	settle();
	send_ack(k.addr, 80, 4);
	int n = recv_pkts(v, 64, 3);
	assert_int_equal(n, 3);
	for (int i = 0; i < n; i++) {
		const uint8_t *ip = rte_pktmbuf_mtod(v[i], const uint8_t *) + 14;
		assert_int_equal(ip[25], 2 + i);
		assert_int_equal(ip[28], 0x22);
	}
	free_all(v, n);
	assert_int_equal(dp_module_stats(F.dp, 5, &st), 0);
	assert_int_equal(st.state, DP_MOD_RUNNING);

	/* a module deployed suspended (no program yet) wakes on an ACK too;
	 * halting it drops what it held */
	struct dp_module_key k2 = {.addr = A(192, 0, 2, 51)};
	assert_int_equal(dp_module_add(F.dp, 6, &k2, 60), 0);
	assert_int_equal(dp_module_suspend(F.dp, 6, 61), 0);
	settle();
	assert_non_null(done_ev(6, 61));
	assert_null(done_ev(6, 61)->prog.ops);
	send_ack(k2.addr, 22, 9);
	wait_held(6, 1, 0);
	assert_non_null(wake_ev(6));
	assert_int_equal(dp_module_halt(F.dp, 6, 62), 0);
	settle();
	assert_int_equal(dp_module_stats(F.dp, 6, &st), 0);
	assert_int_equal(st.state, DP_MOD_DEPLOYED);
	assert_int_equal(st.hold_drops, 1);
	send_ack(k2.addr, 22, 10); /* deployed, not suspended: not a new flow */
	wait_held(6, 1, 2);
	assert_int_equal(count_ev(DP_EV_NEW_FLOW, 6), 1);

	assert_int_equal(dp_module_remove(F.dp, 5, 54), 0);
	assert_int_equal(dp_module_remove(F.dp, 6, 63), 0);
	settle();
	assert_int_equal(destroyed, 2);
	struct dp_stats ds;
	dp_stats(F.dp, &ds);
	assert_int_equal(ds.held_now, 0);
}

static void test_consolidated_tenants_isolated(void **state)
{
	(void)state;
	F.nev = 0;
	/* two tenants, two modules, one fast path: address-only keys */
	struct dp_module_key k1 = {.addr = A(192, 0, 2, 21)}, k2 = {.addr = A(192, 0, 2, 22)};
	assert_int_equal(dp_module_add(F.dp, 21, &k1, 0), 0);
	assert_int_equal(dp_module_add(F.dp, 22, &k2, 0), 0);
	int d1 = 0, d2 = 0;
	assert_int_equal(dp_module_run(F.dp, 21, tprog(A(10, 0, 0, 21), 0x21, &d1), 0), 0);
	assert_int_equal(dp_module_run(F.dp, 22, tprog(A(10, 0, 0, 22), 0x22, &d2), 0), 0);
	settle();
	/* interleaved traffic, including TCP without SYN (fine once running) */
	for (int i = 0; i < 10; i++) {
		send_pkt(i % 3 == 0 ? k2.addr : k1.addr, i % 2 ? 6 : 17, (uint16_t)(80 + i), 0x10);
	}
	struct rte_mbuf *v[64];
	int n = recv_pkts(v, 64, 10);
	assert_int_equal(n, 10);
	int c1 = 0, c2 = 0;
	for (int i = 0; i < n; i++) {
		const uint8_t *ip = rte_pktmbuf_mtod_offset(v[i], const uint8_t *, 14);
		/* each packet went through exactly its own tenant's program */
		if (ip[28] == 0x21) {
			c1++;
			assert_int_equal(ip[19], 21);
		} else {
			assert_int_equal(ip[28], 0x22);
			assert_int_equal(ip[19], 22);
			c2++;
		}
	}
	free_all(v, n);
	assert_int_equal(c1, 6);
	assert_int_equal(c2, 4);
	struct dp_module_stats s1, s2;
	dp_module_stats(F.dp, 21, &s1);
	dp_module_stats(F.dp, 22, &s2);
	assert_int_equal(s1.rx_packets, 6);
	assert_int_equal(s2.rx_packets, 4);
	assert_int_equal(dp_module_remove(F.dp, 21, 0), 0);
	assert_int_equal(dp_module_remove(F.dp, 22, 0), 0);
	settle();
	assert_int_equal(d1, 1);
	assert_int_equal(d2, 1);
}

/* A later fragment of UDP to dport: no port in it, so keyed by its
 * address alone. */
static void send_frag(uint32_t dst, uint16_t dport)
{
	struct rte_mbuf *m = frame(dst, 17, dport, 0, 0); /* payload bytes where a port would be */
	ip_of(m)[7] = 1; /* offset 8 bytes */
	enqueue(m);
}

/* The tags of what came out, counted: tags[t] packets went through the
 * program tagged t. */
static void recv_tags(int want, int tags[256])
{
	struct rte_mbuf *v[64];
	memset(tags, 0, 256 * sizeof *tags);
	int n = recv_pkts(v, 64, want);
	assert_int_equal(n, want);
	for (int i = 0; i < n; i++)
		tags[rte_pktmbuf_mtod_offset(v[i], const uint8_t *, 14)[28]]++;
	free_all(v, n);
}

/* (addr, proto, port) keys and an address-only key on one address, and
 * exact keys alone on another: an exact match wins, everything else for
 * the address (other ports and protocols, ICMP, later fragments) goes to
 * the address's module, and removing either side leaves the other's
 * packets where they were. */
static void test_exact_wins_over_address(void **state)
{
	(void)state;
	uint32_t x = A(192, 0, 2, 60), y = A(192, 0, 2, 63);
	struct dp_module_key ka = {.addr = x}, ku = {.addr = x, .proto = 17, .port = 53},
	                     kt = {.addr = x, .proto = 6, .port = 80}, ky = {.addr = y, .proto = 17, .port = 53};
	assert_int_equal(dp_module_add(F.dp, 60, &ka, 0), 0);
	assert_int_equal(dp_module_add(F.dp, 61, &ku, 0), 0);
	assert_int_equal(dp_module_add(F.dp, 62, &kt, 0), 0);
	assert_int_equal(dp_module_add(F.dp, 63, &ky, 0), 0);
	struct dp_module_key k0 = {.addr = 0};
	assert_int_equal(dp_module_add(F.dp, 64, &k0, 0), -EINVAL);
	int d[4] = {0};
	for (int i = 0; i < 4; i++)
		assert_int_equal(dp_module_run(F.dp, 60 + (uint64_t)i, tprog(A(10, 0, 0, 60 + i), (uint8_t)(0x60 + i), &d[i]), 0), 0);
	settle();
	struct dp_stats ds;
	dp_stats(F.dp, &ds);
	uint64_t uncl = ds.unclassified;
	int tags[256];

	send_pkt(x, 17, 53, 0);   /* 61 */
	send_pkt(x, 6, 80, 0x10); /* 62 */
	send_pkt(x, 17, 54, 0);   /* 60 */
	send_pkt(x, 6, 53, 0x10); /* 60 */
	send_pkt(x, 1, 53, 0);    /* 60: ICMP */
	send_frag(x, 53);         /* 60 */
	send_pkt(y, 17, 53, 0);   /* 63 */
	send_pkt(y, 17, 54, 0);   /* nobody */
	send_frag(y, 53);         /* nobody */
	recv_tags(7, tags);
	assert_int_equal(tags[0x60], 4);
	assert_int_equal(tags[0x61], 1);
	assert_int_equal(tags[0x62], 1);
	assert_int_equal(tags[0x63], 1);
	settle();
	dp_stats(F.dp, &ds);
	assert_int_equal(ds.unclassified, uncl + 2);

	/* the exact UDP key out: its packets fall back to the address */
	assert_int_equal(dp_module_remove(F.dp, 61, 0), 0);
	settle();
	send_pkt(x, 17, 53, 0);
	send_pkt(x, 6, 80, 0x10);
	recv_tags(2, tags);
	assert_int_equal(tags[0x60], 1);
	assert_int_equal(tags[0x62], 1);

	/* the address's module out: only the exact TCP key is left there */
	assert_int_equal(dp_module_remove(F.dp, 60, 0), 0);
	settle();
	send_pkt(x, 6, 80, 0x10);
	send_pkt(x, 17, 53, 0);
	send_pkt(x, 6, 81, 0x10);
	recv_tags(1, tags);
	assert_int_equal(tags[0x62], 1);
	settle();
	dp_stats(F.dp, &ds);
	assert_int_equal(ds.unclassified, uncl + 4);

	/* and back: the address's module again, as a new one */
	assert_int_equal(dp_module_add(F.dp, 65, &ka, 0), 0);
	int d5 = 0;
	assert_int_equal(dp_module_run(F.dp, 65, tprog(A(10, 0, 0, 65), 0x65, &d5), 0), 0);
	settle();
	send_pkt(x, 17, 53, 0);
	send_pkt(x, 6, 80, 0x10);
	recv_tags(2, tags);
	assert_int_equal(tags[0x65], 1);
	assert_int_equal(tags[0x62], 1);

	for (uint64_t id = 62; id <= 65; id++)
		assert_int_equal(dp_module_remove(F.dp, id, 0), id == 64 ? -ENOENT : 0);
	settle();
	for (int i = 0; i < 4; i++)
		assert_int_equal(d[i], 1);
	assert_int_equal(d5, 1);
}

/* One module's output to three destinations in turn, in one burst: each
 * packet takes its own route's next hop (the per-module route cache never
 * hands one destination's header to another), the unroutable one is
 * dropped and counted, and the tx counters count what left. */
static void test_route_cache_per_destination(void **state)
{
	(void)state;
	struct dp_module_key k = {.addr = A(192, 0, 2, 31)};
	assert_int_equal(dp_module_add(F.dp, 31, &k, 0), 0);
	struct dp_program prog = tprog(0, 0x31, NULL);
	struct tprog *t = prog.self;
	t->cycle[0] = A(172, 16, 1, 1);  /* route 0: HOP_MAC */
	t->cycle[1] = A(10, 1, 1, 1);    /* route 1: broadcast */
	t->cycle[2] = A(8, 8, 8, 8);     /* no route */
	assert_int_equal(dp_module_run(F.dp, 31, prog, 0), 0);
	settle();
	struct dp_stats g0, g1;
	dp_stats(F.dp, &g0);
	for (int i = 0; i < 9; i++)
		send_pkt(k.addr, 17, 53, 0);
	struct rte_mbuf *v[64];
	int n = recv_pkts(v, 64, 6);
	assert_int_equal(n, 6);
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	for (int i = 0; i < n; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(v[i], const uint8_t *);
		assert_true(f[14 + 16] == 172 || f[14 + 16] == 10);
		assert_memory_equal(f, f[14 + 16] == 172 ? HOP_MAC : bcast, 6);
		assert_int_equal(f[12], 0x08);
	}
	free_all(v, n);
	settle();
	struct dp_module_stats st;
	assert_int_equal(dp_module_stats(F.dp, 31, &st), 0);
	assert_int_equal(st.rx_packets, 9);
	assert_int_equal(st.tx_packets, 6);
	assert_int_equal(st.tx_bytes, 6 * 50);
	dp_stats(F.dp, &g1);
	assert_int_equal(g1.no_route - g0.no_route, 3);
	assert_int_equal(g1.tx_packets - g0.tx_packets, 6);
	assert_int_equal(dp_module_remove(F.dp, 31, 0), 0);
	settle();
}

/* Grouping by module (fastpath.c, deliver): packets of three modules
 * interleaved in each burst. Each module sees its own packets in the
 * order they came, none lost or duplicated, and once grouping is on (it
 * may be backing off after earlier tests' bursts of distinct modules, at
 * most GROUP_BACKOFF of them) a module's packets of a burst come in one
 * push. The payload's byte 30 numbers the packets. */
struct gprog {
	uint32_t to;
	int npush, last_n, seen;
	int next_seq;        /* the sequence number the module expects next */
	bool in_order;
};

static uint64_t gp_push(void *self, struct dp_io *io, struct rt_pkt **v, uint32_t n, uint64_t now)
{
	struct gprog *g = self;
	g->npush++;
	g->last_n = (int)n;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *ip = rt_pkt_data(v[i]);
		if (ip[30] != g->next_seq)
			g->in_order = false;
		g->next_seq = ip[30] + 1;
		g->seen++;
		dp_drop(io, v[i]);
	}
	(void)now;
	return UINT64_MAX;
}

static void gp_destroy(void *self) { free(self); }

static const struct dp_program_ops gp_ops = {.push = gp_push, .destroy = gp_destroy};

static void test_burst_grouped_by_module(void **state)
{
	(void)state;
	enum { NMOD = 3, PER = 4, BURSTS = 17 };
	struct gprog *g[NMOD];
	for (int i = 0; i < NMOD; i++) {
		struct dp_module_key k = {.addr = A(192, 0, 2, 41 + i)};
		assert_int_equal(dp_module_add(F.dp, (uint64_t)(41 + i), &k, 0), 0);
		g[i] = calloc(1, sizeof *g[i]);
		g[i]->in_order = true;
		struct dp_program prog = {.ops = &gp_ops, .self = g[i]};
		assert_int_equal(dp_module_run(F.dp, (uint64_t)(41 + i), prog, 0), 0);
	}
	settle();
	for (int b = 0; b < BURSTS; b++) {
		struct rte_mbuf *v[NMOD * PER];
		for (int j = 0; j < NMOD * PER; j++) /* A B C A B C ... */
			v[j] = frame(A(192, 0, 2, 41 + j % NMOD), 17, 1500, 0, (uint8_t)(b * PER + j / NMOD));
		while (rte_ring_enqueue_bulk(F.in, (void **)v, NMOD * PER, NULL) == 0)
			usleep(10);
		settle(); /* one burst at a time */
	}
	for (int i = 0; i < NMOD; i++) {
		assert_int_equal(g[i]->seen, BURSTS * PER);
		assert_true(g[i]->in_order);
		assert_int_equal(g[i]->next_seq, BURSTS * PER);
		/* the last burst went grouped: all its packets in one push */
		assert_true(g[i]->last_n >= PER);
		assert_true(g[i]->npush < BURSTS * PER);
	}
	for (int i = 0; i < NMOD; i++)
		assert_int_equal(dp_module_remove(F.dp, (uint64_t)(41 + i), 0), 0);
	settle();
}

/* Timer programs: each fire is counted outside the program (it is freed
 * by a halt), with any fire before the deadline it asked for. */
struct tstat {
	int fired, early;
	uint64_t asked;
};
struct ttprog {
	struct tstat *st;
	uint64_t period;
	int max;
};

static uint64_t tt_timers(void *self, struct dp_io *io, uint64_t now)
{
	struct ttprog *t = self;
	(void)io;
	t->st->fired++;
	if (now < t->st->asked)
		t->st->early++;
	if (t->st->fired >= t->max)
		return UINT64_MAX;
	t->st->asked = now + t->period;
	return t->st->asked;
}

static uint64_t tt_push(void *self, struct dp_io *io, struct rt_pkt **v, uint32_t n, uint64_t now)
{
	(void)self;
	(void)now;
	for (uint32_t i = 0; i < n; i++)
		dp_drop(io, v[i]);
	return ((struct ttprog *)self)->st->asked; /* unchanged */
}

static void tt_destroy(void *self) { free(self); }

static const struct dp_program_ops tt_ops = {.push = tt_push, .run_timers = tt_timers,
                                              .destroy = tt_destroy};

static bool all_fired(const struct tstat *st, const int *max, int n)
{
	for (int i = 0; i < n; i++)
		if (max[i] && st[i].fired < max[i])
			return false;
	return true;
}

/* Many modules with timers of their own periods (the fast path keeps them
 * in a heap, not a walk of every running module): each fires as often as
 * it asked and never before its deadline; one asking again at once does
 * not stall the loop; a halted module's timer is gone with it and the
 * others go on; modules without timers are not disturbed. */
static void test_timers_fire_each_due_module(void **state)
{
	(void)state;
	enum { N = 96, BASE = 300 };
	static struct tstat st[N];
	int max[N];
	memset(st, 0, sizeof st);
	for (int i = 0; i < N; i++) {
		struct dp_module_key k = {.addr = A(192, 0, 2, 0) + (uint32_t)(BASE - 200 + i), .proto = 17,
		                          .port = 1600};
		assert_int_equal(dp_module_add(F.dp, BASE + i, &k, 1), 0);
		struct ttprog *t = calloc(1, sizeof *t);
		assert_non_null(t);
		t->st = &st[i];
		t->period = (uint64_t)(i % 7) * 150000; /* 0 (again at once) to 0.9 ms */
		t->max = i % 4 == 3 ? 1000000 : 3 + i % 5; /* every fourth: halted below */
		max[i] = i % 4 == 3 ? 0 : t->max;
		struct dp_program prog = i % 11 == 10 ? tprog(A(172, 16, 15, 133), 0x22, NULL)
		                                      : (struct dp_program){.ops = &tt_ops, .self = t};
		if (i % 11 == 10) {
			free(t);
			max[i] = 0;
		}
		assert_int_equal(dp_module_run(F.dp, BASE + i, prog, 2), 0);
	}
	settle();
	for (int i = 3; i < N; i += 4)
		if (i % 11 != 10)
			assert_int_equal(dp_module_halt(F.dp, BASE + i, 3), 0);
	settle();
	int halted_fired[N];
	for (int i = 0; i < N; i++)
		halted_fired[i] = st[i].fired;
	for (int tries = 0; tries < 5000 && !all_fired(st, max, N); tries++) {
		usleep(1000);
		dp_sync(F.dp);
	}
	settle();
	for (int i = 0; i < N; i++) {
		assert_int_equal(st[i].early, 0);
		if (max[i])
			assert_int_equal(st[i].fired, max[i]);
		else if (i % 11 != 10)
			assert_int_equal(st[i].fired, halted_fired[i]); /* nothing after the halt */
		else
			assert_int_equal(st[i].fired, 0);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(dp_module_remove(F.dp, BASE + i, 4), 0);
	settle();
}

static void test_flood_keeps_hold_bounded(void **state)
{
	(void)state;
	F.nev = 0;
	struct dp_module_key k1 = {.addr = A(192, 0, 2, 31)}, k2 = {.addr = A(192, 0, 2, 32)};
	assert_int_equal(dp_module_add(F.dp, 31, &k1, 0), 0);
	assert_int_equal(dp_module_add(F.dp, 32, &k2, 0), 0);
	settle();
	/* TCP that opens no flow does not start a module */
	send_pkt(k1.addr, 6, 80, 0x10);
	send_pkt(k1.addr, 6, 80, 0x12);
	settle();
	assert_int_equal(count_ev(DP_EV_NEW_FLOW, 31), 0);
	/* a running module next to the flood */
	struct dp_module_key kr = {.addr = A(192, 0, 2, 33)};
	int dr = 0;
	assert_int_equal(dp_module_add(F.dp, 33, &kr, 0), 0);
	assert_int_equal(dp_module_run(F.dp, 33, tprog(A(10, 0, 0, 33), 0x33, &dr), 0), 0);
	settle();
	for (int i = 0; i < 100; i++) {
		send_pkt(i < 50 ? k1.addr : k2.addr, 17, (uint16_t)(1000 + i), 0);
		if (i % 10 == 0)
			send_pkt(kr.addr, 17, 53, 0);
	}
	/* the running module lost nothing to the flood */
	struct rte_mbuf *rv[16];
	int rn = recv_pkts(rv, 16, 10);
	assert_int_equal(rn, 10);
	for (int i = 0; i < rn; i++)
		assert_int_equal(rte_pktmbuf_mtod_offset(rv[i], const uint8_t *, 14)[28], 0x33);
	free_all(rv, rn);
	settle();
	struct dp_module_stats s1, s2;
	dp_module_stats(F.dp, 31, &s1);
	dp_module_stats(F.dp, 32, &s2);
	/* 4 per module, 6 in all (hold_total) */
	assert_int_equal(s1.held, 4);
	assert_int_equal(s1.hold_drops, 48);
	assert_int_equal(s2.held, 2);
	assert_int_equal(s2.hold_drops, 48);
	assert_int_equal(count_ev(DP_EV_NEW_FLOW, 31), 1);
	assert_int_equal(count_ev(DP_EV_NEW_FLOW, 32), 1);
	struct dp_stats ds;
	dp_stats(F.dp, &ds);
	assert_int_equal(ds.held_now, 6);
	/* a refused start (halt while starting) frees the held packets */
	assert_int_equal(dp_module_halt(F.dp, 31, 0), 0);
	settle();
	dp_stats(F.dp, &ds);
	assert_int_equal(ds.held_now, 2);
	assert_int_equal(dp_module_remove(F.dp, 31, 0), 0);
	assert_int_equal(dp_module_remove(F.dp, 32, 0), 0);
	assert_int_equal(dp_module_remove(F.dp, 33, 0), 0);
	settle();
	assert_int_equal(dr, 1);
	dp_stats(F.dp, &ds);
	assert_int_equal(ds.held_now, 0);
}

static void test_arp_for_module_addresses(void **state)
{
	(void)state;
	struct dp_module_key k = {.addr = A(192, 0, 2, 41), .proto = 6, .port = 80};
	assert_int_equal(dp_module_add(F.dp, 41, &k, 0), 0);
	settle();
	for (int target = 41; target <= 42; target++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(F.mp);
		uint8_t f[60];
		memset(f, 0, 60);
		memset(f, 0xff, 6);
		uint8_t smac[6] = {2, 0, 0, 0, 0, 5};
		memcpy(f + 6, smac, 6);
		f[12] = 0x08; f[13] = 0x06;
		uint8_t *a = f + 14;
		a[1] = 1; a[2] = 0x08; a[4] = 6; a[5] = 4; a[7] = 1;
		memcpy(a + 8, smac, 6);
		a[14] = 192; a[15] = 0; a[16] = 2; a[17] = 1;
		a[24] = 192; a[25] = 0; a[26] = 2; a[27] = (uint8_t)target;
		assert_non_null(rte_pktmbuf_append(m, 60));
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), f, 60);
		rte_ring_enqueue(F.in, m);
	}
	struct rte_mbuf *v[4];
	int n = recv_pkts(v, 4, 1);
	settle();
	n += recv_pkts(v + n, 4 - n, 0);
	assert_int_equal(n, 1); /* only the module's address is answered */
	const uint8_t *f = rte_pktmbuf_mtod(v[0], const uint8_t *);
	assert_int_equal(f[14 + 7], 2);            /* reply */
	assert_int_equal(f[14 + 17], 41);          /* sender ip: the module */
	assert_int_equal(f[14 + 27], 1);           /* target ip: the asker */
	assert_int_equal(f[5], 5);                 /* back to the asker */
	free_all(v, n);
	dp_module_remove(F.dp, 41, 0);
	settle();
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
		cmocka_unit_test(test_first_packet_starts_module),
		cmocka_unit_test(test_suspend_and_wake),
		cmocka_unit_test(test_consolidated_tenants_isolated),
		cmocka_unit_test(test_exact_wins_over_address),
		cmocka_unit_test(test_route_cache_per_destination),
		cmocka_unit_test(test_burst_grouped_by_module),
		cmocka_unit_test(test_timers_fire_each_due_module),
		cmocka_unit_test(test_flood_keeps_hold_bounded),
		cmocka_unit_test(test_arp_for_module_addresses),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

#else

static void test_stub_refuses(void **state)
{
	(void)state;
	struct dp_config c;
	dp_config_init(&c);
	struct dp *dp = (struct dp *)1;
	char err[256] = "";
	assert_int_equal(dp_start(&c, &dp, err, sizeof err), -ENOTSUP);
	assert_null(dp);
	assert_non_null(strstr(err, "without DPDK"));
	assert_false(dp_available());
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_stub_refuses)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
