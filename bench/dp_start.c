/* Modules started by their first packet, through the whole platform stack
 * (manager, native backend, fast path, Click runtime) on in-process ring
 * ports:
 *  - start latency: a deployed module's first packet in -> that packet out
 *    (parse, instantiate, publish, run), p50 / p99, and the manager's view
 *    (fast path saw it -> running);
 *  - starts per second: first packets for many stopped modules at once;
 *  - memory per deployed (stopped) and per running module, and how many of
 *    each fit in 2 GiB; the fixed cost of the tables.
 *
 *   bench-dp_start [--starts N] [--deployed N] [--running N]
 *
 * Needs DPDK (exit 77 otherwise). Prints figures, asserts nothing on time. */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "innet_build.h"
#include "vm/vm.h"

#if INNET_HAVE_DPDK
#include <rte_eth_ring.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

static const char *FIREWALL =
	"FromNetFront() -> IPFilter(allow udp dst port 1500, deny all) -> Counter -> ToNetFront();";

static struct rte_ring *IN, *OUT;
static struct rte_mempool *MP;

static uint32_t addr_of(uint64_t id) { return 0x0a000000u + (uint32_t)id; } /* 10.0.0.0/8 */

static struct rte_mbuf *frame(uint32_t dst)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(MP);
	if (!m)
		return NULL;
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, 60);
	if (!p) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(p, 0, 60);
	p[12] = 0x08;
	uint8_t *ip = p + 14;
	ip[0] = 0x45; ip[3] = 46; ip[8] = 64; ip[9] = 17;
	ip[12] = 198; ip[13] = 51; ip[14] = 100; ip[15] = 2;
	ip[16] = (uint8_t)(dst >> 24); ip[17] = (uint8_t)(dst >> 16); ip[18] = (uint8_t)(dst >> 8); ip[19] = (uint8_t)dst;
	uint32_t s = 0;
	for (int k = 0; k < 20; k += 2)
		s += (uint32_t)(ip[k] << 8 | ip[k + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	ip[10] = (uint8_t)(~s >> 8); ip[11] = (uint8_t)~s;
	ip[20] = 0x0f; ip[21] = 0xa0; ip[22] = 0x05; ip[23] = 0xdc; ip[25] = 26;
	return m;
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

/* Resident set (what the machine really gives), from /proc/self/statm. */
static size_t rss(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, res = 0;
	if (f) {
		if (fscanf(f, "%lu %lu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (size_t)sysconf(_SC_PAGESIZE);
}

static size_t rte_used(void)
{
	struct rte_malloc_socket_stats st;
	rte_malloc_get_socket_stats(0, &st);
	return st.heap_allocsz_bytes;
}

int main(int argc, char **argv)
{
	uint32_t nstarts = 2000, ndeployed = 100000, nrunning = 10000;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--starts") == 0)
			nstarts = (uint32_t)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--deployed") == 0)
			ndeployed = (uint32_t)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--running") == 0)
			nrunning = (uint32_t)atoi(argv[i + 1]);
	}
	if (nrunning > ndeployed)
		nrunning = ndeployed;
	if (nstarts > ndeployed)
		nstarts = ndeployed;
	struct dp_config c;
	dp_config_init(&c);
	c.eal_args = "--no-huge -m 1024";
	c.idle_sleep_us = 0;
	c.nb_mbufs = 32767;
	c.max_modules = ndeployed + 2048;
	c.hold_total = 1u << 20;
	char err[512];
	if (dp_eal_init(&c, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	IN = rte_ring_create("bench_in", 65536, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	OUT = rte_ring_create("bench_out", 65536, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	MP = rte_pktmbuf_pool_create("bench_mp", 32767, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	int port = rte_eth_from_rings("bench_ring", &IN, 1, &OUT, 1, 0);
	if (!IN || !OUT || !MP || port < 0) {
		fprintf(stderr, "cannot create the ring port\n");
		return 1;
	}
	struct dp_port_config pc = {.port_id = (uint16_t)port};
	struct dp_route rt = {.prefix = {0, 0}, .port = 0};
	c.ports = &pc;
	c.nports = 1;
	c.routes = &rt;
	c.nroutes = 1;
	size_t rte0 = rte_used(), heap0 = heap_used();
	struct vm_backend *be;
	if (vm_native_new(&c, &be, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	struct dp *dp = vm_native_dp(be);
	size_t rte_tables = rte_used() - rte0;
	struct vm_config vc;
	vm_config_init(&vc);
	vc.idle_ms = 3600000;
	vc.starts_per_s = 1e9;
	vc.start_burst = 1u << 30;
	vc.tenant_starts_per_s = 1e9;
	vc.tenant_burst = 1u << 30;
	vc.max_modules = ndeployed + 2048;
	struct vm_mgr *mgr;
	vm_mgr_new(&vc, be, &mgr);

	/* --- deployed modules: memory ---------------------------------------- */
	size_t h0 = heap_used(), r0 = rss();
	uint64_t t0 = dp_now_ns();
	for (uint64_t id = 1; id <= ndeployed; id++) {
		struct vm_module_spec s = {.id = id, .tenant = id % 1000, .click = FIREWALL,
		                           .key = {.addr = addr_of(id)}};
		struct diags d;
		diags_init(&d);
		int r = vm_deploy(mgr, &s, &d);
		diags_free(&d);
		if (r < 0) {
			fprintf(stderr, "deploy %llu: %s\n", (unsigned long long)id, strerror(-r));
			return 1;
		}
		if (id % 1000 == 0)
			dp_poll(dp);
	}
	dp_sync(dp);
	uint64_t t1 = dp_now_ns();
	size_t per_deployed = (heap_used() - h0) / ndeployed;
	size_t rss_deployed = (rss() - r0) / ndeployed;

	/* --- start latency, one module at a time ------------------------------ */
	uint64_t *lat = calloc(nstarts, sizeof *lat), *mlat = calloc(nstarts, sizeof *mlat);
	uint32_t got = 0;
	for (uint32_t i = 0; i < nstarts; i++) {
		uint64_t id = ndeployed - i; /* not the ones started below */
		struct rte_mbuf *m = frame(addr_of(id));
		uint64_t a = dp_now_ns();
		rte_ring_sp_enqueue(IN, m);
		void *out = NULL;
		for (uint64_t spin = 0; rte_ring_sc_dequeue(OUT, &out) != 0; spin++) {
			dp_poll(dp);
			if (spin > 100000000ull)
				break;
		}
		uint64_t b = dp_now_ns();
		if (out) {
			rte_pktmbuf_free(out);
			lat[got] = b - a;
			struct vm_module_info in;
			vm_module_info(mgr, id, &in);
			mlat[got++] = in.last_start_ns;
		}
	}
	qsort(lat, got, sizeof *lat, cmp64);
	qsort(mlat, got, sizeof *mlat, cmp64);
	/* stop them again so that only `nrunning` run below */
	for (uint32_t i = 0; i < nstarts; i++)
		vm_stop(mgr, ndeployed - i, false);
	dp_sync(dp);

	/* --- starts per second: first packets for many modules at once ------- */
	size_t h1 = heap_used(), r1 = rss();
	uint32_t burst = nrunning;
	uint64_t s0 = dp_now_ns();
	uint32_t sent = 0, out = 0;
	while (out < burst) {
		/* keep at most 1024 starts in flight: beyond the event ring's
		 * room the fast path drops first packets it cannot announce */
		if (sent < burst && sent - out < 1024) {
			struct rte_mbuf *m = frame(addr_of(sent + 1));
			if (m && rte_ring_sp_enqueue(IN, m) == 0)
				sent++;
			else if (m)
				rte_pktmbuf_free(m);
		}
		dp_poll(dp);
		void *o;
		while (rte_ring_sc_dequeue(OUT, &o) == 0) {
			rte_pktmbuf_free(o);
			out++;
		}
		if (dp_now_ns() - s0 > 60000000000ull)
			break; /* lost first packets: reported below */
	}
	uint64_t s1 = dp_now_ns();
	dp_sync(dp);
	struct vm_mgr_stats ms;
	vm_mgr_stats(mgr, &ms);
	size_t per_running = ms.running ? (heap_used() - h1) / ms.running : 0;
	size_t rss_running = ms.running ? (rss() - r1) / ms.running : 0;
	uint64_t blk = 0;
	for (uint64_t id = 1; id <= 16 && id <= ndeployed; id++) {
		struct vm_module_info in;
		vm_module_info(mgr, id, &in);
		blk += in.dp.mem_bytes;
	}
	blk /= ndeployed < 16 ? ndeployed : 16;

	/* --- running modules whose configurations all differ: each has its
	 * own parsed graph (identical ones above share theirs) ------------- */
	uint32_t ndistinct = nrunning < 1000 ? nrunning : 1000;
	size_t h2 = heap_used(), r2 = rss();
	for (uint32_t i = 0; i < ndistinct; i++) {
		char cfg[160];
		snprintf(cfg, sizeof cfg, "FromNetFront() -> IPFilter(allow udp dst port %u, deny all) -> "
		         "Counter -> ToNetFront();", 2000 + i);
		uint64_t id = ndeployed + 1 + i;
		struct vm_module_spec s = {.id = id, .tenant = i, .click = cfg,
		                           .key = {.addr = 0x0b000000u + i}};
		struct diags d;
		diags_init(&d);
		if (vm_deploy(mgr, &s, &d) == 0)
			vm_start(mgr, id);
		diags_free(&d);
		if (i % 256 == 0)
			dp_poll(dp);
	}
	dp_sync(dp);
	size_t per_distinct = ndistinct ? (heap_used() - h2) / ndistinct : 0;
	size_t rss_distinct = ndistinct ? (rss() - r2) / ndistinct : 0;

	printf("# modules started by their first packet: native backend, IPFilter+Counter firewall\n");
	printf("deploy: %u modules in %.2f s (%.1f us each: parse + check + classifier entry)\n",
	       ndeployed, (t1 - t0) / 1e9, (t1 - t0) / 1e3 / ndeployed);
	if (got)
		printf("start latency, first packet in -> out (%u starts): p50 %.1f us  p99 %.1f us  max %.1f us\n",
		       got, lat[got / 2] / 1e3, lat[got * 99 / 100] / 1e3, lat[got - 1] / 1e3);
	if (got)
		printf("start latency, fast path saw it -> manager has it running: p50 %.1f us  p99 %.1f us\n",
		       mlat[got / 2] / 1e3, mlat[got * 99 / 100] / 1e3);
	printf("starts per second: %u first packets for stopped modules -> %u out in %.3f s = %.0f starts/s\n",
	       burst, out, (s1 - s0) / 1e9, out / ((s1 - s0) / 1e9));
	printf("  (the paper's ClickOS: about 30 ms per start; aim here: under 50 us)\n");
	printf("memory per deployed (stopped) module: %zu bytes heap, %zu resident\n", per_deployed,
	       rss_deployed);
	printf("memory per running module: %zu bytes heap, %zu resident (runtime block %llu)\n",
	       per_running, rss_running, (unsigned long long)blk);
	printf("memory per running module with a configuration of its own: %zu bytes heap, %zu resident "
	       "(deployed + running, its parsed graph included)\n", per_distinct, rss_distinct);
	printf("fixed: %zu bytes of DPDK tables and mbufs for %u modules\n", rte_tables, c.max_modules);
	size_t two = (size_t)2 << 30;
	printf("in 2 GiB: %zu deployed modules, or %zu running ones sharing a configuration, or %zu "
	       "running ones with configurations of their own\n",
	       per_deployed ? two / per_deployed : 0, per_running ? two / (per_running + per_deployed) : 0,
	       per_distinct ? two / per_distinct : 0);
	printf("  (aim: 16 KiB per running stateless module, 100,000 deployed and 10,000 running)\n");
	printf("now: %llu modules, %llu running (heap in use %.1f MiB)\n", (unsigned long long)ms.modules,
	       (unsigned long long)ms.running, (heap_used() - heap0) / 1048576.0);
	vm_mgr_free(mgr);
	free(lat);
	free(mlat);
	return 0;
}

#else
int main(void)
{
	printf("dp_start: built without DPDK, nothing to measure\n");
	return 77;
}
#endif
