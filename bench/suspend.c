/* Suspend and resume of stateful modules through the whole platform stack
 * (manager, native backend, fast path, Click runtime) on in-process ring
 * ports:
 *  - an IPRewriter NAT fed `--flows` distinct UDP flows (1,000 mappings):
 *    suspend latency, the idle decision (vm_suspend) -> state saved and
 *    running memory freed (the manager's last_suspend_ns); resume latency,
 *    a packet of an existing flow in -> that packet out (and the manager's
 *    view: held packet seen -> module running, packet processed);
 *    p50 / p99 over `--rounds` rounds; bytes of state per mapping;
 *  - the same for a Queue holding `--flows` packets (state of its own:
 *    queued packets are saved with their bytes);
 *  - memory per suspended module (deployed with a saved state) and how
 *    many fit in 1 GiB.
 *
 *   bench-suspend [--rounds N] [--flows N] [--suspended N]
 *   bench-suspend --runtime-only   (save and load without the fast path)
 *
 * Needs DPDK (exit 77 otherwise). Prints figures, asserts nothing. Until
 * IPRewriter has its save hook it says so and prints no per-mapping
 * figures (its state is then empty). */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "innet_build.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "vm/vm.h"

#if INNET_HAVE_DPDK
#include <rte_eth_ring.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#define NAT_ADDR 0x0a000001u   /* 10.0.0.1 */
#define QUEUE_ADDR 0x0a000002u /* 10.0.0.2 */
#define SLEEPER_BASE 0x0b000000u

static const char *NAT = "FromNetFront() -> IPRewriter(pattern - - 172.16.15.133 - 0 0) -> ToNetFront();";
static const char *QUEUE = "FromNetFront() -> q :: Queue(4096) -> TimedUnqueue(3600, 4096) -> ToNetFront();";

static struct rte_ring *IN, *OUT;
static struct rte_mempool *MP;
static struct vm_mgr *MGR;
static struct dp *DP;
static size_t LAST_STATE; /* on_suspend's last length */

static void on_suspend(void *arg, uint64_t id, const void *state, size_t len)
{
	(void)arg;
	(void)id;
	(void)state;
	LAST_STATE = len; /* innetd copies it into the registry */
}

/* The 46 bytes of UDP 198.51.100.2:(1024 + flow) -> dst:1500, IP
 * checksum right, into ip. */
static void fill_udp(uint8_t *ip, uint32_t dst, uint32_t flow)
{
	memset(ip, 0, 46);
	ip[0] = 0x45; ip[3] = 46; ip[8] = 64; ip[9] = 17;
	ip[12] = 198; ip[13] = 51; ip[14] = 100; ip[15] = 2;
	ip[16] = (uint8_t)(dst >> 24); ip[17] = (uint8_t)(dst >> 16); ip[18] = (uint8_t)(dst >> 8); ip[19] = (uint8_t)dst;
	uint32_t s = 0;
	for (int k = 0; k < 20; k += 2)
		s += (uint32_t)(ip[k] << 8 | ip[k + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	ip[10] = (uint8_t)(~s >> 8); ip[11] = (uint8_t)~s;
	uint16_t sport = (uint16_t)(1024 + flow);
	ip[20] = (uint8_t)(sport >> 8); ip[21] = (uint8_t)sport;
	ip[22] = 0x05; ip[23] = 0xdc; ip[25] = 26;
}

/* That packet in an Ethernet frame (an mbuf for the ring port). */
static struct rte_mbuf *udp(uint32_t dst, uint32_t flow)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(MP);
	uint8_t *p = m ? (uint8_t *)rte_pktmbuf_append(m, 60) : NULL;
	if (!p) {
		if (m)
			rte_pktmbuf_free(m);
		return NULL;
	}
	memset(p, 0, 60);
	p[12] = 0x08;
	fill_udp(p + 14, dst, flow);
	return m;
}

static void send_udp(uint32_t dst, uint32_t flow)
{
	struct rte_mbuf *m = udp(dst, flow);
	while (m && rte_ring_sp_enqueue(IN, m) != 0)
		dp_poll(DP);
}

/* Take up to `want` frames off the output (polling control meanwhile);
 * how many came within `ns`. */
static uint32_t drain_out(uint32_t want, uint64_t ns)
{
	uint32_t n = 0;
	uint64_t end = dp_now_ns() + ns;
	while (n < want && dp_now_ns() < end) {
		dp_poll(DP);
		void *o;
		while (rte_ring_sc_dequeue(OUT, &o) == 0) {
			rte_pktmbuf_free(o);
			n++;
		}
	}
	return n;
}

static void info(uint64_t id, struct vm_module_info *in)
{
	vm_module_info(MGR, id, in);
}

/* Poll control until the module is in state s (at most 5 s). */
static bool wait_state(uint64_t id, enum vm_state s)
{
	struct vm_module_info in;
	for (uint64_t end = dp_now_ns() + 5000000000ull; dp_now_ns() < end;) {
		dp_poll(DP);
		info(id, &in);
		if (in.state == s)
			return true;
	}
	return false;
}

static int cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

static int deploy(uint64_t id, uint32_t addr, const char *cfg, const void *state, size_t len)
{
	struct vm_module_spec s = {.id = id, .tenant = id, .click = cfg, .stateful = true,
	                           .mem_quota = 4u << 20, .flow_capacity = 4096,
	                           .key = {.addr = addr}, .state = state, .state_len = len};
	struct diags d;
	diags_init(&d);
	int r = vm_deploy(MGR, &s, &d);
	if (r < 0)
		diags_print(stderr, &d);
	diags_free(&d);
	return r;
}

struct series {
	uint64_t *susp, *out, *res; /* per round: suspend, packet in -> out, manager's resume */
	uint32_t n;
	size_t state_bytes;
};

static void pct(const char *what, uint64_t *v, uint32_t n)
{
	if (!n) {
		printf("  %-52s no sample\n", what);
		return;
	}
	qsort(v, n, sizeof *v, cmp64);
	printf("  %-52s p50 %8.1f us  p99 %8.1f us  (n %u)\n", what, v[n / 2] / 1e3,
	       v[(uint64_t)n * 99 / 100] / 1e3, n);
}

/* `rounds` suspends and resumes of module id, woken each time by a packet
 * of flow 0; `out` says whether that packet leaves the module at once. */
static void rounds_of(uint64_t id, uint32_t addr, uint32_t rounds, bool out, struct series *s)
{
	s->susp = calloc(rounds, sizeof *s->susp);
	s->out = calloc(rounds, sizeof *s->out);
	s->res = calloc(rounds, sizeof *s->res);
	for (uint32_t r = 0; r < rounds; r++) {
		struct vm_module_info in;
		info(id, &in);
		uint64_t before = in.suspends;
		if (vm_suspend(MGR, id) < 0)
			break;
		while (in.suspends == before) {
			dp_poll(DP);
			info(id, &in);
		}
		s->susp[r] = in.last_suspend_ns;
		s->state_bytes = in.state_bytes;
		uint64_t a = dp_now_ns();
		send_udp(addr, 0);
		if (out && drain_out(1, 5000000000ull) == 1)
			s->out[s->n] = dp_now_ns() - a;
		if (!wait_state(id, VM_RUNNING))
			break;
		info(id, &in);
		s->res[s->n++] = in.last_resume_ns;
	}
}

static bool rewriter_saves(void)
{
	const struct click_class *c = elem_class_find("IPRewriter");
	return c && c->runtime && c->runtime->save;
}

static uint64_t table_entries(uint64_t id)
{
	struct vm_table_info t[8];
	int n = vm_module_tables(MGR, id, t, 8);
	uint64_t e = 0;
	for (int i = 0; i < n && i < 8; i++)
		e += t[i].entries;
	return e;
}

/* The runtime alone (no fast path): the NAT with nflows mappings saved
 * and loaded `rounds` times; the build of a fresh module for comparison.
 * Splits a resume's time between building the program and loading. */
struct rt_split {
	uint64_t *save, *load, *build;
	uint32_t n;
	size_t bytes;
};

static void tx_free(void *ctx, uint32_t dev, struct rt_pkt *p)
{
	(void)dev;
	struct rt_pool *pool = ctx;
	pool->free(pool->ctx, p);
}

static struct rt_pkt *nat_pkt(struct rt_pool *pool, uint32_t flow)
{
	struct rt_pkt *p = pool->alloc(pool->ctx, 46);
	if (p) {
		p->len = 46;
		fill_udp(rt_pkt_data(p), NAT_ADDR, flow);
	}
	return p;
}

static void runtime_split(uint32_t nflows, uint32_t rounds, struct rt_split *o)
{
	struct rt_simple_pool *sp = rt_simple_pool_new(256, 2048, 128);
	struct rt_pool pool = rt_simple_pool_ops(sp);
	struct rt_env env = {.pool = pool, .tx = tx_free, .tx_ctx = &pool};
	struct rt_limits lim = {.flow_capacity = 4096};
	struct src_file f = {"<nat>", NAT, strlen(NAT)};
	struct diags d;
	diags_init(&d);
	struct click_graph *g = NULL;
	struct rt_module *m = NULL;
	o->save = calloc(rounds, sizeof *o->save);
	o->load = calloc(rounds, sizeof *o->load);
	o->build = calloc(rounds, sizeof *o->build);
	if (click_parse(&f, &elem_click_options, &g, &d) < 0 || rt_module_new(g, &env, &lim, 0, false, &m, &d) < 0)
		goto cleanup;
	for (uint32_t i = 0; i < nflows; i++) {
		struct rt_pkt *p = nat_pkt(&pool, i);
		if (p)
			rt_module_push(m, 0, p, 1000);
	}
	for (uint32_t r = 0; r < rounds; r++) {
		void *blob;
		size_t len;
		uint64_t a = dp_now_ns();
		if (rt_module_save(m, 2000, 0, &blob, &len) < 0)
			break;
		uint64_t b = dp_now_ns();
		struct rt_module *m2;
		if (rt_module_new(g, &env, &lim, 2000, false, &m2, &d) < 0) {
			free(blob);
			break;
		}
		uint64_t c = dp_now_ns();
		int rc = rt_module_load(m2, blob, len, 2000, 0, &d);
		uint64_t e = dp_now_ns();
		free(blob);
		rt_module_free(m);
		m = m2;
		if (rc < 0)
			break;
		o->save[o->n] = b - a;
		o->build[o->n] = c - b;
		o->load[o->n++] = e - c;
		o->bytes = len;
	}
cleanup:
	if (d.nerrors)
		diags_print(stderr, &d);
	diags_free(&d);
	rt_module_free(m);
	click_graph_free(g);
	rt_simple_pool_free(sp);
}

static int setup(void)
{
	struct dp_config c;
	dp_config_init(&c);
	c.eal_args = "--no-huge -m 512";
	c.idle_sleep_us = 0;
	c.nb_mbufs = 16383;
	c.hold_total = 1u << 16;
	char err[512];
	if (dp_eal_init(&c, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	IN = rte_ring_create("susp_in", 8192, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	OUT = rte_ring_create("susp_out", 8192, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	MP = rte_pktmbuf_pool_create("susp_mp", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	int port = rte_eth_from_rings("susp_ring", &IN, 1, &OUT, 1, 0);
	if (!IN || !OUT || !MP || port < 0) {
		fprintf(stderr, "cannot create the ring port\n");
		return -1;
	}
	struct dp_port_config pc = {.port_id = (uint16_t)port};
	struct dp_route rt = {.prefix = {0, 0}, .port = 0};
	c.ports = &pc;
	c.nports = 1;
	c.routes = &rt;
	c.nroutes = 1;
	struct vm_backend *be;
	if (vm_native_new(&c, &be, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	DP = vm_native_dp(be);
	struct vm_config vc;
	vm_config_init(&vc);
	vc.idle_ms = 3600000; /* suspends are asked for, not waited for */
	vc.starts_per_s = 1e9;
	vc.start_burst = 1u << 30;
	vc.tenant_starts_per_s = 1e9;
	vc.tenant_burst = 1u << 30;
	vc.on_suspend = on_suspend;
	return vm_mgr_new(&vc, be, &MGR);
}

int main(int argc, char **argv)
{
	uint32_t nrounds = 200, nflows = 1000, nsleepers = 1000;
	if (argc == 2 && strcmp(argv[1], "--runtime-only") == 0) {
		/* for profiles: the save and load of the runtime alone, no EAL */
		struct rt_split split = {0};
		runtime_split(nflows, 2000, &split);
		printf("runtime alone, NAT with %u mappings, %zu-byte state:\n", nflows, split.bytes);
		pct("rt_module_save", split.save, split.n);
		pct("rt_module_load", split.load, split.n);
		return 0;
	}
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--rounds") == 0)
			nrounds = (uint32_t)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--flows") == 0)
			nflows = (uint32_t)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--suspended") == 0)
			nsleepers = (uint32_t)atoi(argv[i + 1]);
	}
	if (nflows > 4000)
		nflows = 4000;
	if (setup() < 0)
		return 1;

	/* --- the NAT: its state with none, then with nflows mappings ------- */
	if (deploy(1, NAT_ADDR, NAT, NULL, 0) < 0 || vm_start(MGR, 1) < 0 || !wait_state(1, VM_RUNNING))
		return 1;
	struct vm_module_info in;
	vm_suspend(MGR, 1);
	dp_sync(DP);
	info(1, &in);
	size_t empty_nat = in.state_bytes;
	vm_start(MGR, 1);
	wait_state(1, VM_RUNNING);
	for (uint32_t f = 0; f < nflows; f++)
		send_udp(NAT_ADDR, f);
	uint32_t passed = drain_out(nflows, 10000000000ull);
	uint64_t mappings = table_entries(1);
	struct series nat = {0};
	rounds_of(1, NAT_ADDR, nrounds, true, &nat);

	struct rt_split split = {0};
	runtime_split(nflows, nrounds, &split);

	/* --- a Queue holding nflows packets -------------------------------- */
	struct series q = {0};
	size_t empty_q = 0;
	if (deploy(2, QUEUE_ADDR, QUEUE, NULL, 0) == 0 && vm_start(MGR, 2) == 0 && wait_state(2, VM_RUNNING)) {
		vm_suspend(MGR, 2);
		dp_sync(DP);
		info(2, &in);
		empty_q = in.state_bytes;
		vm_start(MGR, 2);
		wait_state(2, VM_RUNNING);
		for (uint32_t f = 0; f < nflows; f++)
			send_udp(QUEUE_ADDR, f);
		/* every packet in the queue before the first suspend (one that
		 * came after it would be held, beyond hold_packets dropped) */
		for (uint64_t end = dp_now_ns() + 10000000000ull; table_entries(2) < nflows && dp_now_ns() < end;)
			dp_poll(DP);
		/* each round's wake-up packet is queued too: keep it near nflows */
		rounds_of(2, QUEUE_ADDR, nrounds < 50 ? nrounds : 50, false, &q);
	}
	uint64_t queued = table_entries(2);

	/* --- memory per suspended module: deployed with the NAT's state ------ */
	vm_suspend(MGR, 1);
	dp_sync(DP);
	size_t blob_len = LAST_STATE;
	void *blob = calloc(1, blob_len ? blob_len : 1);
	/* the bytes do not matter for memory; a real state is the NAT's own */
	size_t h0 = heap_used();
	uint32_t sleepers = 0;
	for (uint32_t i = 0; i < nsleepers; i++) {
		if (deploy(1000 + i, SLEEPER_BASE + i, NAT, blob, blob_len) < 0)
			break;
		sleepers++;
		if (i % 256 == 0)
			dp_poll(DP);
	}
	dp_sync(DP);
	size_t per_sleeper = sleepers ? (heap_used() - h0) / sleepers : 0;

	printf("# suspend and resume of stateful modules: native backend, ring ports, busy-polling fast path\n");
	printf("baseline, the paper (ClickOS on Xen): about 100 ms for a suspend plus a resume\n");
	printf("targets: suspend and resume under 100 us each, under 64 bytes per suspended mapping\n\n");
	printf("IPRewriter NAT (%s)\n", NAT);
	printf("  %u UDP flows sent, %u out; table entries shown: %llu\n", nflows, passed,
	       (unsigned long long)mappings);
	if (!rewriter_saves()) {
		printf("  NOTE: IPRewriter has no save hook yet: the rewriter keeps no state across a suspend\n"
		       "  (state bytes 0 per mapping, its %zu-byte state is only the header); the latencies\n"
		       "  below are of the mechanism without its mappings, not of 1,000 saved mappings.\n",
		       empty_nat);
	} else {
		double per = mappings ? (double)((long)nat.state_bytes - (long)empty_nat) / (double)mappings : 0;
		printf("  state: %zu bytes with %llu mappings, %zu without: %.1f bytes per mapping\n",
		       nat.state_bytes, (unsigned long long)mappings, empty_nat, per);
	}
	pct("suspend: idle decision -> state saved, memory freed", nat.susp, nat.n);
	pct("resume: held packet in -> that packet out", nat.out, nat.n);
	pct("resume: held packet seen -> running, packet processed", nat.res, nat.n);
	uint64_t *sum = calloc(nat.n ? nat.n : 1, sizeof *sum);
	for (uint32_t i = 0; i < nat.n; i++)
		sum[i] = nat.susp[i] + nat.out[i];
	pct("suspend + resume (vs the paper's ~100 ms)", sum, nat.n);
	printf("  the runtime alone (no fast path), %zu-byte state:\n", split.bytes);
	pct("  rt_module_save", split.save, split.n);
	pct("  rt_module_new (a fresh module, as a resume builds)", split.build, split.n);
	pct("  rt_module_load", split.load, split.n);

	printf("\nQueue holding packets (%s)\n", QUEUE);
	printf("  packets queued: %llu; state: %zu bytes (%zu empty): %.1f bytes per queued packet\n",
	       (unsigned long long)queued, q.state_bytes, empty_q,
	       queued ? (double)((long)q.state_bytes - (long)empty_q) / (double)queued : 0.0);
	pct("suspend: idle decision -> state saved, memory freed", q.susp, q.n);
	pct("resume: held packet seen -> running, packet processed", q.res, q.n);

	printf("\nsuspended modules: %u deployed with a %zu-byte saved state: %zu bytes of heap each\n",
	       sleepers, blob_len, per_sleeper);
	printf("  (this process: the state the backend keeps to resume, the module's text, the\n"
	       "  manager's and fast path's entries; innetd's registry keeps another copy on disk)\n");
	if (per_sleeper)
		printf("  in 1 GiB: %zu suspended modules like this NAT\n", ((size_t)1 << 30) / per_sleeper);
	if (rewriter_saves() && mappings) {
		size_t per_full = per_sleeper - blob_len + nat.state_bytes;
		printf("  with %llu saved mappings each (%zu bytes): %zu in 1 GiB\n",
		       (unsigned long long)mappings, nat.state_bytes, ((size_t)1 << 30) / per_full);
	}
	free(sum);
	free(blob);
	free(nat.susp); free(nat.out); free(nat.res);
	free(q.susp); free(q.out); free(q.res);
	free(split.save); free(split.load); free(split.build);
	vm_mgr_free(MGR);
	return 0;
}

#else
int main(void)
{
	printf("suspend: built without DPDK, nothing to measure\n");
	return 77;
}
#endif
