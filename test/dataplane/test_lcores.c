/* The fast path on two worker lcores, on an in-process ring port with one
 * rx and one tx queue per worker: modules are placed on both, packets for
 * the modules of either worker arrive on each rx queue, and each module's
 * packets are run by its owner only, none lost, in order within a flow;
 * timers, suspend, resume and removal work on the second worker. Real
 * DPDK, real mbufs, real lcores. */
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
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "dataplane/internal.h" /* the address table's rebuild count */

enum { NQ = 2, FLOWS = 3, PER_FLOW = 40 };

struct fx {
	struct rte_ring *in[NQ], *out[NQ];
	struct rte_mempool *mp;
	struct dp *dp;
	struct dp_event ev[256];
	int nev;
};

static struct fx F;

static void on_event(void *arg, const struct dp_event *ev)
{
	struct fx *f = arg;
	if (f->nev < 256)
		f->ev[f->nev++] = *ev;
}

static uint32_t A(int a, int b, int c, int d) { return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | (uint32_t)d; }

/* A program that records which lcore ran each packet and whether each
 * flow's packets (source port = flow, payload = sequence number) came in
 * order, then sends the packet on. An optional timer fires `timers` times. */
struct rec {
	uint64_t n;
	uint64_t lcores;           /* bit per lcore that ran a push or a timer */
	uint32_t last[NQ * FLOWS + 1];
	int disorder;
	uint64_t period;
	int timers, fired;
	uint64_t timer_lcores;
	int *destroyed;
};

static uint64_t rec_push(void *self, struct dp_io *io, struct rt_pkt **v, uint32_t n, uint64_t now)
{
	struct rec *r = self;
	r->lcores |= 1ull << rte_lcore_id();
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *ip = rt_pkt_data(v[i]);
		uint32_t flow = (uint32_t)(ip[20] << 8 | ip[21]) - 1000u, seq = (uint32_t)(ip[28] << 8 | ip[29]);
		if (flow <= NQ * FLOWS) {
			if (seq != r->last[flow] + 1)
				r->disorder++;
			r->last[flow] = seq;
		}
		r->n++;
		dp_emit(io, 0, v[i]);
	}
	return r->fired < r->timers ? now + r->period : UINT64_MAX;
}

static uint64_t rec_timers(void *self, struct dp_io *io, uint64_t now)
{
	struct rec *r = self;
	(void)io;
	if (!r->period || r->fired >= r->timers)
		return UINT64_MAX;
	r->timer_lcores |= 1ull << rte_lcore_id();
	__atomic_store_n(&r->fired, r->fired + 1, __ATOMIC_RELEASE);
	return r->fired < r->timers ? now + r->period : UINT64_MAX;
}

static void rec_destroy(void *self)
{
	struct rec *r = self;
	if (r->destroyed)
		(*r->destroyed)++;
}

static const struct dp_program_ops rec_ops = {.push = rec_push, .run_timers = rec_timers, .destroy = rec_destroy};

static struct dp_program rec_prog(struct rec *r)
{
	return (struct dp_program){.ops = &rec_ops, .self = r};
}

/* Ethernet + IPv4 + UDP to dst:1500 from source port 1000 + flow, the
 * sequence number in the first payload bytes, on rx queue q. */
static void send_pkt(int q, uint32_t dst, uint32_t flow, uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(F.mp);
	assert_non_null(m);
	uint8_t f[64];
	memset(f, 0, 64);
	memset(f, 0xaa, 6);
	f[6] = 2; f[11] = 1;
	f[12] = 0x08;
	uint8_t *ip = f + 14;
	ip[0] = 0x45; ip[3] = 50; ip[8] = 64; ip[9] = 17;
	ip[12] = 198; ip[13] = 51; ip[14] = 100; ip[15] = 7;
	ip[16] = (uint8_t)(dst >> 24); ip[17] = (uint8_t)(dst >> 16); ip[18] = (uint8_t)(dst >> 8); ip[19] = (uint8_t)dst;
	ip[20] = (uint8_t)((1000 + flow) >> 8); ip[21] = (uint8_t)(1000 + flow);
	ip[22] = 1500 >> 8; ip[23] = 1500 & 255;
	ip[28] = (uint8_t)(seq >> 8); ip[29] = (uint8_t)seq;
	assert_non_null(rte_pktmbuf_append(m, 64));
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), f, 64);
	while (rte_ring_enqueue(F.in[q], m) != 0)
		usleep(10);
}

/* Frames transmitted on both tx queues, waiting (up to ~5 s) for `want`. */
static int drain_out(int want)
{
	int n = 0;
	for (int tries = 0; tries < 5000; tries++) {
		void *p;
		for (int q = 0; q < NQ; q++)
			while (rte_ring_dequeue(F.out[q], &p) == 0) {
				rte_pktmbuf_free(p);
				n++;
			}
		if (n >= want)
			break;
		usleep(1000);
	}
	return n;
}

static void settle(void)
{
	for (int i = 0; i < 5000 && (rte_ring_count(F.in[0]) > 0 || rte_ring_count(F.in[1]) > 0); i++)
		usleep(1000);
	usleep(2000);
	dp_sync(F.dp);
	dp_poll(F.dp);
}

static int count_ev(enum dp_event_type t, uint64_t module)
{
	int n = 0;
	for (int i = 0; i < F.nev; i++)
		n += F.ev[i].type == t && F.ev[i].module == module;
	return n;
}

/* The dataplane of a group of tests: dp-max-modules `max_modules` (0:
 * the default); names carry the group's number (a second group makes
 * its own rings and port). */
static uint32_t max_modules;
static int group;

static int setup(void **state)
{
	(void)state;
	struct dp_config c;
	dp_config_init(&c);
	c.eal_args = "--no-huge --no-pci -m 256";
	c.lcores = 2;
	c.nb_mbufs = 4095;
	c.hold_packets = 4;
	c.max_modules = max_modules;
	group++;
	char name[32];
	for (int q = 0; q < NQ; q++) {
		snprintf(name, sizeof name, "lin%d.%d.%d", q, group, getpid());
		F.in[q] = rte_ring_create(name, 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof name, "lout%d.%d.%d", q, group, getpid());
		F.out[q] = rte_ring_create(name, 2048, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!F.in[q] || !F.out[q])
			return -1;
	}
	snprintf(name, sizeof name, "lmp%d.%d", group, getpid());
	F.mp = rte_pktmbuf_pool_create(name, 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	snprintf(name, sizeof name, "lring%d.%d", group, getpid());
	int port = F.mp ? rte_eth_from_rings(name, F.in, NQ, F.out, NQ, 0) : -1;
	if (port < 0)
		return -1;
	struct dp_port_config pc = {.devargs = NULL, .port_id = (uint16_t)port};
	struct dp_route rt = {.prefix = {A(10, 0, 0, 0), 8}, .port = 0};
	c.ports = &pc;
	c.nports = 1;
	c.routes = &rt;
	c.nroutes = 1;
	c.on_event = on_event;
	c.event_arg = &F;
	char err[256];
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

static void test_each_module_runs_on_its_owner(void **state)
{
	(void)state;
	enum { NMOD = 4 };
	static struct rec r[NMOD];
	memset(r, 0, sizeof r);
	assert_int_equal(dp_lcores(F.dp), 2);
	for (int k = 0; k < NMOD; k++) {
		struct dp_module_key key = {.addr = A(10, 1, 0, 2 + k)};
		assert_int_equal(dp_module_add(F.dp, 1 + k, &key, 1), 0);
		/* placed on the worker with the fewest modules: in turn */
		assert_int_equal(dp_module_lcore(F.dp, 1 + k), k % 2);
		assert_int_equal(dp_module_run(F.dp, 1 + k, rec_prog(&r[k]), 2), 0);
	}
	settle();
	struct dp_lcore_stats w0, w1;
	assert_int_equal(dp_lcore_stats(F.dp, 0, &w0), 0);
	assert_int_equal(dp_lcore_stats(F.dp, 1, &w1), 0);
	assert_int_equal(dp_lcore_stats(F.dp, 2, &w1), -EINVAL);
	assert_int_equal(dp_lcore_stats(F.dp, 1, &w1), 0);
	assert_int_equal(w0.modules, 2);
	assert_int_equal(w1.modules, 2);
	assert_int_not_equal(w0.lcore, w1.lcore);
	/* every module's flows on both rx queues, interleaved */
	for (uint32_t s = 1; s <= PER_FLOW; s++)
		for (int q = 0; q < NQ; q++)
			for (int k = 0; k < NMOD; k++)
				for (uint32_t f = 0; f < FLOWS; f++)
					send_pkt(q, A(10, 1, 0, 2 + k), (uint32_t)q * FLOWS + f, s);
	int total = PER_FLOW * NQ * NMOD * FLOWS;
	assert_int_equal(drain_out(total), total);
	settle();
	for (int k = 0; k < NMOD; k++) {
		struct dp_lcore_stats own;
		assert_int_equal(dp_lcore_stats(F.dp, (unsigned)(k % 2), &own), 0);
		assert_int_equal(r[k].n, PER_FLOW * NQ * FLOWS);
		assert_int_equal(r[k].lcores, 1ull << own.lcore); /* its owner only */
		assert_int_equal(r[k].disorder, 0);
		for (int fl = 0; fl < NQ * FLOWS; fl++)
			assert_int_equal(r[k].last[fl], PER_FLOW);
		struct dp_module_stats ms;
		assert_int_equal(dp_module_stats(F.dp, 1 + k, &ms), 0);
		assert_int_equal(ms.rx_packets, PER_FLOW * NQ * FLOWS);
		assert_int_equal(ms.tx_packets, PER_FLOW * NQ * FLOWS);
	}
	/* each worker received half, gave half of that to the other, and
	 * delivered its own modules' packets only */
	assert_int_equal(dp_lcore_stats(F.dp, 0, &w0), 0);
	assert_int_equal(dp_lcore_stats(F.dp, 1, &w1), 0);
	assert_int_equal(w0.rx_packets, total / 2);
	assert_int_equal(w1.rx_packets, total / 2);
	assert_int_equal(w0.steered_out, total / 4);
	assert_int_equal(w1.steered_out, total / 4);
	assert_int_equal(w0.steered_in, total / 4);
	assert_int_equal(w1.steered_in, total / 4);
	assert_int_equal(w0.delivered, total / 2);
	assert_int_equal(w1.delivered, total / 2);
	assert_int_equal(w0.steer_drops + w1.steer_drops, 0);
	struct dp_stats st;
	assert_int_equal(dp_stats(F.dp, &st), 0);
	assert_int_equal(st.tx_packets, total);
	assert_int_equal(st.unclassified, 0);
	for (int k = 0; k < NMOD; k++)
		assert_int_equal(dp_module_remove(F.dp, 1 + k, 3), 0);
	settle();
	assert_int_equal(dp_lcore_stats(F.dp, 1, &w1), 0);
	assert_int_equal(w1.modules, 0);
}

static void test_second_worker_timers_suspend_remove(void **state)
{
	(void)state;
	static struct rec a, b;
	int destroyed = 0;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	a.destroyed = &destroyed;
	b.destroyed = &destroyed;
	b.period = 200000; /* 0.2 ms */
	b.timers = 5;
	struct dp_module_key ka = {.addr = A(10, 2, 0, 1)}, kb = {.addr = A(10, 2, 0, 2)};
	assert_int_equal(dp_module_add(F.dp, 21, &ka, 1), 0);
	assert_int_equal(dp_module_add(F.dp, 22, &kb, 1), 0);
	assert_int_equal(dp_module_lcore(F.dp, 21), 0);
	assert_int_equal(dp_module_lcore(F.dp, 22), 1);
	struct dp_lcore_stats w1;
	assert_int_equal(dp_lcore_stats(F.dp, 1, &w1), 0);
	/* the first packet of a new flow, on the other worker's rx queue:
	 * held by the owner, announced */
	F.nev = 0;
	send_pkt(0, kb.addr, 0, 1);
	settle();
	for (int i = 0; i < 2000 && count_ev(DP_EV_NEW_FLOW, 22) == 0; i++) {
		usleep(1000);
		dp_poll(F.dp);
	}
	assert_int_equal(count_ev(DP_EV_NEW_FLOW, 22), 1);
	struct dp_module_stats ms;
	assert_int_equal(dp_module_stats(F.dp, 22, &ms), 0);
	assert_int_equal(ms.state, DP_MOD_STARTING);
	assert_int_equal(ms.held, 1);
	/* published: the held packet first, then the timers, on worker 1 */
	assert_int_equal(dp_module_run(F.dp, 22, rec_prog(&b), 2), 0);
	assert_int_equal(drain_out(1), 1);
	for (int i = 0; i < 5000 && __atomic_load_n(&b.fired, __ATOMIC_ACQUIRE) < b.timers; i++)
		usleep(1000);
	settle();
	assert_int_equal(b.fired, b.timers);
	assert_int_equal(b.timer_lcores, 1ull << w1.lcore);
	assert_int_equal(b.lcores, 1ull << w1.lcore);
	assert_int_equal(b.n, 1);
	/* suspend: the program comes back in the DONE event; any packet,
	 * from either queue, is held and wakes it */
	F.nev = 0;
	assert_int_equal(dp_module_suspend(F.dp, 22, 7), 0);
	settle();
	int done = -1;
	for (int i = 0; i < F.nev; i++)
		if (F.ev[i].type == DP_EV_DONE && F.ev[i].module == 22 && F.ev[i].cookie == 7)
			done = i;
	assert_true(done >= 0);
	assert_ptr_equal(F.ev[done].prog.self, &b);
	assert_int_equal(dp_module_stats(F.dp, 22, &ms), 0);
	assert_int_equal(ms.state, DP_MOD_SUSPENDED);
	send_pkt(0, kb.addr, 0, 2);
	send_pkt(1, kb.addr, NQ * FLOWS, 1);
	settle();
	for (int i = 0; i < 2000 && count_ev(DP_EV_NEW_FLOW, 22) == 0; i++) {
		usleep(1000);
		dp_poll(F.dp);
	}
	assert_int_equal(count_ev(DP_EV_NEW_FLOW, 22), 1);
	assert_int_equal(dp_module_stats(F.dp, 22, &ms), 0);
	assert_int_equal(ms.held, 3);
	/* resumed with the same program: both held packets, in order */
	b.timers = 0;
	assert_int_equal(dp_module_run(F.dp, 22, rec_prog(&b), 8), 0);
	assert_int_equal(drain_out(2), 2);
	settle();
	assert_int_equal(b.n, 3);
	assert_int_equal(b.disorder, 0);
	assert_int_equal(b.lcores, 1ull << w1.lcore);
	/* removed: its program destroyed, its packets nobody's */
	assert_int_equal(dp_module_remove(F.dp, 22, 9), 0);
	assert_int_equal(dp_module_remove(F.dp, 21, 9), 0);
	settle();
	assert_int_equal(destroyed, 1); /* a had no program; b's once */
	struct dp_stats before, after;
	assert_int_equal(dp_stats(F.dp, &before), 0);
	send_pkt(0, kb.addr, 0, 3);
	send_pkt(1, kb.addr, 0, 4);
	settle();
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(dp_stats(F.dp, &after), 0);
		if (after.unclassified >= before.unclassified + 2)
			break;
		usleep(1000);
	}
	assert_int_equal(after.unclassified, before.unclassified + 2);
	assert_int_equal(dp_module_lcore(F.dp, 22), -ENOENT);
}

/* Placement is by load (dataplane.c, place), sampled at most every
 * 100 ms when a module is placed, older windows weighing half: idle
 * samples let earlier traffic fade, so that placement is by module count
 * again (with no traffic, modules go round). */
static void place_idle_samples(int n)
{
	struct dp_module_key key = {.addr = A(10, 9, 9, 9)};
	for (int i = 0; i < n; i++) {
		usleep(120 * 1000);
		assert_int_equal(dp_module_add(F.dp, 90, &key, 7), 0);
		assert_int_equal(dp_module_remove(F.dp, 90, 7), 0);
		settle();
	}
}

/* A module of worker 1 is removed, then its key given to a new module,
 * while worker 0 receives and steers a stream of packets for it: each
 * packet is run by the old module, by the new one, held and counted, or
 * unclassified; none is lost or run by a freed module (the sanitizer
 * build checks the last). */
static void test_remove_while_steering(void **state)
{
	(void)state;
	static struct rec old, neu;
	int destroyed = 0;
	memset(&old, 0, sizeof old);
	memset(&neu, 0, sizeof neu);
	old.destroyed = &destroyed;
	struct dp_module_key k = {.addr = A(10, 3, 0, 1)}, other = {.addr = A(10, 3, 0, 2)};
	place_idle_samples(10);
	assert_int_equal(dp_module_add(F.dp, 31, &other, 1), 0); /* worker 0 */
	assert_int_equal(dp_module_add(F.dp, 32, &k, 1), 0);
	assert_int_equal(dp_module_lcore(F.dp, 32), 1);
	assert_int_equal(dp_module_run(F.dp, 32, rec_prog(&old), 2), 0);
	settle();
	struct dp_stats before, after;
	struct dp_lcore_stats w0a, w1a, w0b, w1b;
	assert_int_equal(dp_stats(F.dp, &before), 0);
	assert_int_equal(dp_lcore_stats(F.dp, 0, &w0a), 0);
	assert_int_equal(dp_lcore_stats(F.dp, 1, &w1a), 0);
	enum { SENT = 600 };
	for (uint32_t i = 1; i <= SENT; i++) {
		send_pkt(0, k.addr, 0, i);
		if (i == SENT / 3) {
			/* worker 0 took some (the rest is in its rx queue or on its
			 * way to worker 1), then the module goes */
			struct dp_lcore_stats now;
			do {
				usleep(100);
				assert_int_equal(dp_lcore_stats(F.dp, 0, &now), 0);
			} while (now.rx_packets - w0a.rx_packets < SENT / 6);
			assert_int_equal(dp_module_remove(F.dp, 32, 3), 0);
		}
		if (i == SENT / 2) {
			/* on either worker: worker 1 has the fewest modules again,
			 * worker 0 the lighter load if a sample fell in the stream */
			assert_int_equal(dp_module_add(F.dp, 33, &k, 4), 0);
			assert_true(dp_module_lcore(F.dp, 33) >= 0);
			assert_int_equal(dp_module_run(F.dp, 33, rec_prog(&neu), 5), 0);
		}
	}
	/* settle waits for the rx rings, not the steer ring: wait until
	 * worker 1 took everything worker 0 steered (a loaded machine, the
	 * sanitizers), then a command round for the burst it was in */
	for (int t = 0; t < 5000; t++) {
		struct dp_lcore_stats s0, s1;
		assert_int_equal(dp_lcore_stats(F.dp, 0, &s0), 0);
		assert_int_equal(dp_lcore_stats(F.dp, 1, &s1), 0);
		if (rte_ring_count(F.in[0]) == 0 && s1.steered_in - w1a.steered_in == s0.steered_out - w0a.steered_out)
			break;
		usleep(1000);
	}
	settle();
	assert_int_equal(destroyed, 1);
	assert_int_equal(dp_stats(F.dp, &after), 0);
	assert_int_equal(dp_lcore_stats(F.dp, 0, &w0b), 0);
	assert_int_equal(dp_lcore_stats(F.dp, 1, &w1b), 0);
	struct dp_module_stats ms;
	assert_int_equal(dp_module_stats(F.dp, 33, &ms), 0);
	uint64_t unclassified = after.unclassified - before.unclassified;
	uint64_t lost = (w0b.steer_drops - w0a.steer_drops) + (w1b.steer_drops - w1a.steer_drops);
	printf("# %d sent: %llu run by the old module, %llu by the new, %llu unclassified, %llu not held\n", SENT,
	       (unsigned long long)old.n, (unsigned long long)neu.n, (unsigned long long)unclassified,
	       (unsigned long long)ms.hold_drops);
	assert_int_equal(w0b.rx_packets - w0a.rx_packets, SENT);
	assert_int_equal(old.n + neu.n + ms.hold_drops + unclassified + lost, SENT);
	assert_int_equal(lost, 0);
	assert_true(old.n >= 1 && neu.n >= 1);
	assert_int_equal(old.disorder, 0); /* the old one from the start, in order (the new one starts mid-stream) */
	assert_int_equal(old.last[0], old.n);
	assert_int_equal(old.lcores, 1ull << w1b.lcore);
	struct dp_lcore_stats own;
	assert_int_equal(dp_lcore_stats(F.dp, (unsigned)dp_module_lcore(F.dp, 33), &own), 0);
	assert_int_equal(neu.lcores, 1ull << own.lcore); /* its owner only */
	assert_int_equal(drain_out((int)(old.n + neu.n)), (int)(old.n + neu.n));
	assert_int_equal(dp_module_remove(F.dp, 33, 6), 0);
	assert_int_equal(dp_module_remove(F.dp, 31, 6), 0);
	settle();
}

/* Placement follows load (dataplane.c, place): with no traffic modules
 * go round; once one worker's module carries traffic, the next module
 * goes to the other worker even though both own as many modules (by
 * module count alone it would go to worker 0). Load is sampled at most
 * every 100 ms when a module is placed, older windows weighing half, so
 * the earlier tests' traffic is first let fade by idle samples. */
static void test_placement_follows_load(void **state)
{
	(void)state;
	place_idle_samples(10);
	static struct rec r[2];
	memset(r, 0, sizeof r);
	for (int k = 0; k < 2; k++) {
		struct dp_module_key key = {.addr = A(10, 2, 0, 2 + k)};
		assert_int_equal(dp_module_add(F.dp, 41 + k, &key, 8), 0);
		assert_int_equal(dp_module_run(F.dp, 41 + k, rec_prog(&r[k]), 8), 0);
	}
	/* idle: one each, in turn */
	int busy = dp_module_lcore(F.dp, 41), other = dp_module_lcore(F.dp, 42);
	assert_true(busy >= 0 && other >= 0 && busy != other);
	settle();
	usleep(120 * 1000);
	place_idle_samples(1); /* a sample that ends the idle window */
	enum { N = 8000, CHUNK = 200 };
	for (uint32_t s = 1; s <= N; s += CHUNK) {
		for (uint32_t i = s; i < s + CHUNK; i++)
			send_pkt((int)(i % NQ), A(10, 2, 0, 2), i % FLOWS, i);
		assert_int_equal(drain_out(CHUNK), CHUNK);
	}
	settle();
	assert_int_equal(r[0].n, N);
	usleep(120 * 1000);
	struct dp_module_key key = {.addr = A(10, 2, 0, 4)};
	assert_int_equal(dp_module_add(F.dp, 43, &key, 8), 0);
	assert_int_equal(dp_module_lcore(F.dp, 43), other);
	for (int k = 0; k < 3; k++)
		assert_int_equal(dp_module_remove(F.dp, 41 + (uint64_t)k, 9), 0);
	settle();
}

/* A dataplane of 8 modules (an address table of 16 entries, rebuilt
 * when 12 are live or deleted) while worker 0 steers a stream for a
 * module of worker 1's, whose address also has an exact key: other
 * addresses' modules and exact keys come and go, so the table is rebuilt
 * again and again under the workers; every packet of the stream reaches
 * its module, in order, none unclassified or lost. */
static void test_table_rebuilds_while_steering(void **state)
{
	(void)state;
	static struct rec keep;
	memset(&keep, 0, sizeof keep);
	struct dp_module_key k = {.addr = A(10, 5, 0, 1)}, kx = {.addr = A(10, 5, 0, 1), .proto = 17, .port = 1501},
	                     other = {.addr = A(10, 5, 0, 2)};
	assert_int_equal(dp_module_add(F.dp, 51, &other, 1), 0); /* worker 0 */
	assert_int_equal(dp_module_add(F.dp, 52, &k, 1), 0);
	assert_int_equal(dp_module_lcore(F.dp, 52), 1);
	assert_int_equal(dp_module_add(F.dp, 53, &kx, 1), 0);
	assert_int_equal(dp_module_run(F.dp, 52, rec_prog(&keep), 2), 0);
	settle();
	uint64_t rebuilds = ((struct dp *)F.dp)->cls.rebuilds;
	struct dp_stats before, after;
	struct dp_lcore_stats w0a, w1a, w0b, w1b;
	assert_int_equal(dp_stats(F.dp, &before), 0);
	assert_int_equal(dp_lcore_stats(F.dp, 0, &w0a), 0);
	assert_int_equal(dp_lcore_stats(F.dp, 1, &w1a), 0);
	enum { SENT = 900 };
	for (uint32_t i = 1; i <= SENT; i++) {
		send_pkt(0, k.addr, 0, i);
		if (i % 3)
			continue;
		/* a new address each time: every removal leaves a tombstone */
		struct dp_module_key a = {.addr = A(10, 6, 0, 0) + i}, ax = {.addr = a.addr, .proto = 6, .port = 80};
		uint64_t id = 1000 + i;
		assert_int_equal(dp_module_add(F.dp, id, i % 2 ? &a : &ax, 7), 0);
		assert_int_equal(dp_module_remove(F.dp, id, 7), 0);
	}
	/* everything out first: settle() does not wait for the steer rings,
	 * and on a loaded machine worker 1 may be a scheduler slice behind */
	assert_int_equal(drain_out(SENT), SENT);
	settle();
	assert_int_equal(dp_stats(F.dp, &after), 0);
	assert_int_equal(dp_lcore_stats(F.dp, 0, &w0b), 0);
	assert_int_equal(dp_lcore_stats(F.dp, 1, &w1b), 0);
	uint64_t lost = (w0b.steer_drops - w0a.steer_drops) + (w1b.steer_drops - w1a.steer_drops);
	printf("# %d sent, %llu run, %llu address table rebuilds\n", SENT, (unsigned long long)keep.n,
	       (unsigned long long)(((struct dp *)F.dp)->cls.rebuilds - rebuilds));
	assert_true(((struct dp *)F.dp)->cls.rebuilds - rebuilds >= 5);
	assert_int_equal(w0b.rx_packets - w0a.rx_packets, SENT);
	assert_int_equal(after.unclassified, before.unclassified);
	assert_int_equal(lost, 0);
	assert_int_equal(keep.n, SENT);
	assert_int_equal(keep.disorder, 0);
	assert_int_equal(keep.lcores, 1ull << w1b.lcore);
	for (uint64_t id = 51; id <= 53; id++)
		assert_int_equal(dp_module_remove(F.dp, id, 8), 0);
	settle();
}

int main(void)
{
	/* the EAL with two fast-path lcores, once per process; where it cannot
	 * run (no root, no memory) the test is skipped with the reason (77) */
	struct dp_config ec;
	dp_config_init(&ec);
	ec.eal_args = "--no-huge --no-pci -m 256";
	ec.lcores = 2;
	char eerr[256];
	if (dp_eal_init(&ec, eerr, sizeof eerr) < 0) {
		printf("skip: %s\n", eerr);
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_module_runs_on_its_owner),
		cmocka_unit_test(test_second_worker_timers_suspend_remove),
		cmocka_unit_test(test_remove_while_steering),
		cmocka_unit_test(test_placement_follows_load),
	};
	int r = cmocka_run_group_tests(tests, setup, teardown);
	const struct CMUnitTest small[] = {
		cmocka_unit_test(test_table_rebuilds_while_steering),
	};
	max_modules = 8;
	return r + cmocka_run_group_tests(small, setup, teardown);
}

#else

int main(void)
{
	printf("skip: built without DPDK\n");
	return 77;
}
#endif
