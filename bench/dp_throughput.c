/* Fast-path throughput for 1 to 10,000 consolidated tenants, each running
 * one module (the firewall, the Figure 4 batcher, a NAT, the firewall
 * sandboxed as innetd sandboxes a third party's module), 60-byte frames
 * (64 on the wire) looped by net_pcap from a prepared capture, next to
 * dpdk-testpmd's io forwarding on the same vdev in the same run. Prints
 * each point as it is measured, then one summary table of medians over
 * interleaved rounds (issue 14; src/dataplane/README.md has the figures).
 *
 *   bench-dp_throughput [--module firewall|firewall-own|batcher|nat|sandboxed|bare|all[,...]]
 *                       [--tenants 1,10,100,1000,10000] [--seconds S] [--rounds N]
 *                       [--lcores 1,2] [--no-testpmd] [--distinct] [--bare] [--quick]
 *
 * --lcores runs every point on each count of fast-path lcores listed
 * (dp_config.lcores), the capture read by as many net_pcap rx queues (one
 * rx_pcap= each), next to testpmd with as many forwarding lcores and rx
 * queues, in the same run.
 *
 * Needs DPDK (prints why and exits 77 otherwise). Never asserts on time. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/firewall.h"
#include "base/diag.h"
#include "click/click.h"
#include "elements/element.h"
#include "dataplane/dataplane.h"
#include "runtime/runtime.h"

/* ---- the modules ------------------------------------------------------------ */

/* firewall-own: the firewall with a parsed graph of its own per tenant, as
 * the sandboxed one has (its text names the module's address): what the
 * sandbox costs besides the loss of the shared graph. */
enum module { M_FIREWALL, M_FIREWALL_OWN, M_BATCHER, M_NAT, M_SANDBOXED, M_BARE, NMOD };

static const char *const MOD_NAME[NMOD] = {"firewall", "firewall-own", "batcher", "nat", "sandboxed", "bare"};

/* The firewall: the same work per tenant as in FastClick's and
 * testpmd's comparison (demultiplex, filter, count, Ethernet out). */
static const char *FIREWALL = FW_TEXT;

/* The Figure 4 batcher (examples/figure4-batcher.click) with its release
 * every millisecond instead of every 120 s, and a queue and burst big
 * enough for the tenant's share of the offered load (batcher_q): with
 * looped traffic the paper's parameters would drop all but 100 packets per
 * tenant every 120 s, and measure the Queue's drop path. The bound on
 * what is queued at once (mbufs) is the load times the interval, so the
 * interval stays short; the price is one timer per tenant per ms, which
 * the fast path pays (it is the batcher's cost at this load). */
static uint32_t batcher_q(uint32_t tenants)
{
	uint32_t q = 32768 / tenants;
	return q < 64 ? 64 : q;
}

/* A source NAT (the rewriter of the stock reverse-proxy and dns-front, one
 * mapping per flow). */
static const char *NAT = "FromNetFront() -> IPRewriter(pattern 203.0.113.1 1024-65535 - - 0 0) -> ToNetFront();";

static uint32_t tenant_addr(uint32_t k) { return 0x0a010000u + 2 + k; } /* 10.1.0.2 + k */

static void fmt_addr(uint32_t a, char *buf, size_t n)
{
	snprintf(buf, n, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* The firewall as src/controller/sandbox.c (ctl__sandbox_click) writes it
 * for a third party's module at `addr`: one ChangeEnforcer between device
 * 0 and the graph, both directions, ALLOW the tenant's allowed prefixes
 * (src/controller/sched.c: its addresses, whitelist and its modules'
 * addresses; here the module's own, where the capture's packets go). The
 * element names are those click_graph_write gives the anonymous elements.
 * bench/ must not include controller/internal.h (test/layering), so the
 * text is written out in bench/firewall.h (SANDBOXED_FW). */
static int sandboxed_text(uint32_t addr, char *buf, size_t n)
{
	char a[16];
	fmt_addr(addr, a, sizeof a);
	int k = snprintf(buf, n, SANDBOXED_FW("%s"), a, a);
	return k < 0 || (size_t)k >= n ? -E2BIG : 0;
}

/* The text tenant k runs; *shared: every tenant runs this same text (a
 * stock module: its parsed graph is shared, as the native backend does). */
static int module_text(enum module m, bool distinct, uint32_t k, uint32_t tenants, char *buf, size_t n,
                       bool *shared)
{
	int r = 0;
	*shared = true;
	switch (m) {
	case M_FIREWALL:
		if (distinct) {
			*shared = false;
			r = snprintf(buf, n, "FromNetFront() -> IPFilter(allow udp dst port 1500, deny dst port %u, "
			             "deny all) -> Counter -> ToNetFront();", 2000 + k);
		} else {
			r = snprintf(buf, n, "%s", FIREWALL);
		}
		break;
	case M_FIREWALL_OWN:
		*shared = false;
		r = snprintf(buf, n, "%s", FIREWALL);
		break;
	case M_BATCHER:
		r = snprintf(buf, n, "FromNetFront() -> IPFilter(allow udp port 1500)"
		             " -> IPRewriter(pattern - - 172.16.15.133 - 0 0) -> Queue(%u)"
		             " -> TimedUnqueue(1ms, %u) -> ToNetFront();", batcher_q(tenants), batcher_q(tenants));
		break;
	case M_NAT:
		r = snprintf(buf, n, "%s", NAT);
		break;
	case M_SANDBOXED:
		*shared = false;
		return sandboxed_text(tenant_addr(k), buf, n);
	default:
		return -EINVAL;
	}
	return r < 0 || (size_t)r >= n ? -E2BIG : 0;
}

/* --bare: a program that forwards without the Click runtime, to tell the
 * fast path's own cost from the element graph's. */
static uint64_t bare_push(void *self, struct dp_io *io, struct rt_pkt **v, uint32_t n, uint64_t now)
{
	(void)self;
	(void)now;
	for (uint32_t i = 0; i < n; i++)
		dp_emit(io, 0, v[i]);
	return UINT64_MAX;
}

static void bare_destroy(void *self) { (void)self; }

static const struct dp_program_ops bare_ops = {.push = bare_push, .destroy = bare_destroy};

/* ---- the capture --------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* A capture with `n` frames, frame i for tenant i % tenants: one UDP flow
 * 198.51.100.2:4000 -> tenant:1500 per tenant. */
static int write_pcap(const char *path, uint32_t tenants, uint32_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -errno;
	uint32_t gh[6] = {0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 1};
	fwrite(gh, 4, 6, f);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t p[60];
		memset(p, 0, sizeof p);
		p[0] = 2; p[5] = 1; p[6] = 2; p[11] = 2;
		p[12] = 0x08;
		uint8_t *ip = p + 14;
		ip[0] = 0x45;
		put16(ip + 2, 46);
		ip[8] = 64;
		ip[9] = 17;
		ip[12] = 198; ip[13] = 51; ip[14] = 100; ip[15] = 2;
		uint32_t d = tenant_addr(i % tenants);
		ip[16] = (uint8_t)(d >> 24); ip[17] = (uint8_t)(d >> 16); ip[18] = (uint8_t)(d >> 8); ip[19] = (uint8_t)d;
		uint32_t s = 0;
		for (int k = 0; k < 20; k += 2)
			s += (uint32_t)(ip[k] << 8 | ip[k + 1]);
		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
		put16(ip + 10, (uint16_t)~s);
		put16(ip + 20, 4000);
		put16(ip + 22, 1500);
		put16(ip + 24, 26);
		uint32_t rh[4] = {0, 0, sizeof p, sizeof p};
		fwrite(rh, 4, 4, f);
		fwrite(p, 1, sizeof p, f);
	}
	return fclose(f) == 0 ? 0 : -EIO;
}

/* ---- testpmd --------------------------------------------------------------------- */

struct rate {
	double mpps;     /* wall clock; < 0: not measured */
	double cpu_mpps; /* per CPU-second of the forwarding process */
};

static double median(double *v, int n)
{
	if (n == 0)
		return -1;
	for (int i = 0; i < n; i++) /* sort, small n */
		for (int j = i + 1; j < n; j++)
			if (v[j] < v[i]) {
				double t = v[i]; v[i] = v[j]; v[j] = t;
			}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* utime + stime of a process, in seconds (-1: gone). */
static double proc_cpu_s(long pid)
{
	char path[64], line[1024];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char *ok = fgets(line, sizeof line, f);
	fclose(f);
	char *p = ok ? strrchr(line, ')') : NULL; /* after the command name */
	unsigned long ut = 0, st = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* testpmd io forwarding on the same vdev: the median of its Rx-pps lines,
 * and the packets it received per second of its own CPU time between its
 * first and last statistics (its /proc/PID/stat). */
static struct rate testpmd_rate(const char *pcap, unsigned seconds, unsigned lcores, const char *prefix)
{
	struct rate out = {-1, -1};
	/* forwarding lcore i on CPU ncpu - i (the fast path's is the last
	 * CPU), main lcore 0 on CPU 0; one rx queue (a reader of the capture)
	 * and one tx queue per forwarding lcore */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;
	char map[256] = "0@0", rxq[1024] = "";
	size_t ml = strlen(map), rl = 0;
	for (unsigned i = 1; i <= lcores; i++) {
		ml += (size_t)snprintf(map + ml, sizeof map - ml, ",%u@%ld", i, ((ncpu - (long)i) % ncpu + ncpu) % ncpu);
		rl += (size_t)snprintf(rxq + rl, sizeof rxq - rl, "rx_pcap=%s,", pcap);
		if (ml >= sizeof map || rl >= sizeof rxq)
			return out;
	}
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
	         "(sleep %u; echo) | timeout %u sh -c 'echo pid $$; exec stdbuf -oL dpdk-testpmd --no-huge -m 512 "
	         "--no-pci --file-prefix %s --lcores %s --log-level=warning "
	         "--vdev \"net_pcap0,%sinfinite_rx=1\" -- --forward-mode=io --total-num-mbufs=16384 "
	         "--stats-period=1 --nb-cores=%u --rxq=%u --txq=%u' 2>/dev/null",
	         seconds + 2, seconds + 20, prefix, map, rxq, lcores, lcores, lcores);
	FILE *p = popen(cmd, "r");
	if (!p)
		return out;
	double v[256];
	int n = 0;
	long pid = 0;
	double rx = 0, rx0 = -1, rx1 = -1, cpu0 = -1, cpu1 = -1;
	char line[512];
	while (fgets(line, sizeof line, p)) {
		const char *r;
		if (strncmp(line, "pid ", 4) == 0)
			pid = atol(line + 4);
		if ((r = strstr(line, "RX-packets:")))
			rx = atof(r + 11);
		if ((r = strstr(line, "Rx-pps:"))) {
			double x = atof(r + 7);
			if (x <= 0) /* the first statistics: no rate yet */
				continue;
			if (n < 256)
				v[n++] = x;
			double c = pid ? proc_cpu_s(pid) : -1;
			if (c < 0)
				continue;
			if (rx0 < 0) {
				rx0 = rx;
				cpu0 = c;
			}
			rx1 = rx;
			cpu1 = c;
		}
	}
	pclose(p);
	out.mpps = n ? median(v, n) / 1e6 : -1;
	if (cpu1 > cpu0 && rx1 > rx0)
		out.cpu_mpps = (rx1 - rx0) / (cpu1 - cpu0) / 1e6;
	return out;
}

/* ---- innet ----------------------------------------------------------------------- */

static uint64_t process_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct point {
	struct rate r;
	double in_mpps;          /* classified to the modules (out < in: the modules dropped) */
	uint64_t minrx, maxrx;   /* fewest and most packets a tenant's module sent */
	size_t mem;              /* bytes of the module blocks, all tenants */
};

/* Deploy and start one module per tenant; 0 or -1 (printed). */
static int deploy(struct dp *dp, enum module mod, bool distinct, uint32_t tenants, size_t *mem,
                  struct click_graph **shared)
{
	*mem = 0;
	for (uint32_t k = 0; k < tenants; k++) {
		struct dp_module_key key = {.addr = tenant_addr(k)};
		struct dp_program prog = {.ops = &bare_ops};
		int r = 0;
		struct diags d;
		diags_init(&d);
		if (mod != M_BARE) {
			char text[2048];
			bool same;
			struct rt_limits lim = {0};
			r = module_text(mod, distinct, k, tenants, text, sizeof text, &same);
			struct src_file src = {.name = MOD_NAME[mod], .text = text, .len = strlen(text)};
			struct click_options opt = {.lookup = elem_class_find};
			struct click_graph *g = same ? *shared : NULL;
			if (r == 0 && !g)
				r = click_parse(&src, &opt, &g, &d);
			if (r == 0 && same) {
				*shared = g;
				r = dp_program_click_shared(dp, g, &lim, NULL, NULL, &prog, &d);
			} else if (r == 0) {
				r = dp_program_click(dp, g, &lim, true, &prog, &d);
			}
			if (r == 0)
				*mem += dp_program_mem(&prog);
		}
		if (r < 0) {
			fprintf(stderr, "%s: %s\n", MOD_NAME[mod], d.n ? d.v[0].msg : "cannot instantiate");
			diags_free(&d);
			return -1;
		}
		diags_free(&d);
		if (dp_module_add(dp, k + 1, &key, 0) < 0 || dp_module_run(dp, k + 1, prog, 0) < 0) {
			fprintf(stderr, "%s: cannot deploy module %u\n", MOD_NAME[mod], k + 1);
			return -1;
		}
	}
	return 0;
}

/* ---- per lcore, with several ------------------------------------------------------ */

#define MAX_LCORES_SHOWN 16

struct lcore_mark {
	struct dp_lcore_stats st;
	double cpu_s; /* the lcore thread's utime + stime, -1: not found */
};

/* CPU seconds of the EAL thread of `lcore` (named lcore-worker-N by DPDK
 * 22.11, rte-worker-N by later ones), from /proc/self/task. */
static double lcore_cpu_s(unsigned lcore)
{
	char want1[32], want2[32];
	snprintf(want1, sizeof want1, "lcore-worker-%u\n", lcore);
	snprintf(want2, sizeof want2, "rte-worker-%u\n", lcore);
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return -1;
	double out = -1;
	for (struct dirent *e; out < 0 && (e = readdir(d));) {
		char path[300], comm[64] = "";
		snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		char *ok = fgets(comm, sizeof comm, f);
		fclose(f);
		if (!ok || (strcmp(comm, want1) && strcmp(comm, want2)))
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
		char line[1024];
		f = fopen(path, "r");
		ok = f ? fgets(line, sizeof line, f) : NULL;
		if (f)
			fclose(f);
		char *p = ok ? strrchr(line, ')') : NULL;
		unsigned long ut = 0, st = 0;
		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
			out = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	}
	closedir(d);
	return out;
}

static void lcore_marks(const struct dp *dp, unsigned lcores, struct lcore_mark *m)
{
	for (unsigned i = 0; lcores > 1 && i < lcores && i < MAX_LCORES_SHOWN; i++) {
		if (dp_lcore_stats(dp, i, &m[i].st) < 0)
			memset(&m[i].st, 0, sizeof m[i].st);
		m[i].cpu_s = lcore_cpu_s(m[i].st.lcore);
	}
}

/* With several lcores, what each did in the measured window: received,
 * gave its modules, handed over, lost to a full ring, and its thread's
 * CPU time per packet it gave its modules. */
static void print_lcores(unsigned lcores, const struct lcore_mark *m0, const struct lcore_mark *m1)
{
	for (unsigned i = 0; lcores > 1 && i < lcores && i < MAX_LCORES_SHOWN; i++) {
		const struct dp_lcore_stats *a = &m0[i].st, *b = &m1[i].st;
		unsigned long long dl = b->delivered - a->delivered;
		double cpu = m1[i].cpu_s >= 0 && m0[i].cpu_s >= 0 ? m1[i].cpu_s - m0[i].cpu_s : -1;
		printf("#   lcore %u: %llu modules; rx %llu, delivered %llu, steered out %llu, in %llu, "
		       "steer drops %llu; cpu %.2f s, %.0f ns per delivered packet\n", b->lcore,
		       (unsigned long long)b->modules, (unsigned long long)(b->rx_packets - a->rx_packets), dl,
		       (unsigned long long)(b->steered_out - a->steered_out),
		       (unsigned long long)(b->steered_in - a->steered_in),
		       (unsigned long long)(b->steer_drops - a->steer_drops), cpu,
		       cpu > 0 && dl ? cpu * 1e9 / (double)dl : -1.0);
	}
}

/* One point: the fast path with `tenants` modules on the looped capture.
 * cpu_mpps: packets per second of CPU time the process got (the fast-path
 * core busy-polls; on a shared machine the wall clock also counts the time
 * other processes had that core). */
static int innet_point(const char *pcap, enum module mod, bool distinct, uint32_t tenants, unsigned seconds,
                       unsigned lcores, int idx, struct point *pt)
{
	/* one rx queue (a reader of the capture) per lcore, as testpmd gets */
	char dev[2048];
	size_t dl = (size_t)snprintf(dev, sizeof dev, "net_pcap%d,", 10 + idx);
	for (unsigned i = 0; i < lcores && dl < sizeof dev; i++)
		dl += (size_t)snprintf(dev + dl, sizeof dev - dl, "rx_pcap=%s,", pcap);
	if (dl >= sizeof dev - 16)
		return -1;
	snprintf(dev + dl, sizeof dev - dl, "infinite_rx=1");
	struct dp_port_config pc = {.devargs = dev};
	struct dp_route rt = {.prefix = {0, 0}, .port = 0};
	struct dp_config c;
	dp_config_init(&c);
	c.ports = &pc;
	c.nports = 1;
	c.routes = &rt;
	c.nroutes = 1;
	c.idle_sleep_us = 0; /* busy poll, as testpmd */
	c.lcores = lcores;
	/* the batcher holds about a millisecond of the load in its queues */
	c.nb_mbufs = mod == M_BATCHER ? 65535 : 16383;
	c.max_modules = tenants * 2 + 64;
	char err[512];
	struct dp *dp;
	if (dp_start(&c, &dp, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	struct click_graph *shared = NULL;
	if (deploy(dp, mod, distinct, tenants, &pt->mem, &shared) < 0) {
		dp_stop(dp);
		click_graph_free(shared);
		return -1;
	}
	dp_sync(dp);
	usleep(500000); /* warm up */
	struct dp_stats a, b;
	struct lcore_mark m0[MAX_LCORES_SHOWN], m1[MAX_LCORES_SHOWN];
	lcore_marks(dp, lcores, m0);
	dp_stats(dp, &a);
	uint64_t t0 = dp_now_ns(), c0 = process_cpu_ns();
	sleep(seconds);
	dp_stats(dp, &b);
	uint64_t t1 = dp_now_ns(), c1 = process_cpu_ns();
	lcore_marks(dp, lcores, m1);
	print_lcores(lcores, m0, m1);
	double wall = (double)(t1 - t0) / 1e9, tx = (double)(b.tx_packets - a.tx_packets);
	pt->r.mpps = tx / wall / 1e6;
	pt->r.cpu_mpps = c1 > c0 ? tx / ((double)(c1 - c0) / 1e9) / 1e6 : -1;
	pt->in_mpps = (double)(b.rx_packets - a.rx_packets) / wall / 1e6;
	pt->minrx = UINT64_MAX;
	pt->maxrx = 0;
	for (uint32_t k = 0; k < tenants; k++) {
		struct dp_module_stats st;
		dp_module_stats(dp, k + 1, &st);
		if (st.tx_packets < pt->minrx) pt->minrx = st.tx_packets;
		if (st.tx_packets > pt->maxrx) pt->maxrx = st.tx_packets;
	}
	dp_stop(dp);
	click_graph_free(shared);
	return 0;
}

/* ---- main -------------------------------------------------------------------------- */

#define MAX_T 16
/* Fast-path lcores the dataplane can run (dp_config.lcores). */
#define DP_LCORES_MAX DP_MAX_LCORES
#define MAX_L 4
#define MAX_ROUNDS 15

struct opts {
	unsigned seconds, rounds;
	unsigned lcores[MAX_L];           /* the fast path's, and testpmd's forwarding lcores */
	int nlcores;
	uint32_t tenants[MAX_T];
	int ntenants;
	bool mods[NMOD];
	bool testpmd, distinct;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: bench-dp_throughput [--module firewall|firewall-own|batcher|nat|sandboxed|bare|all[,...]]\n"
	           "         [--tenants 1,10,100,1000,10000] [--seconds S] [--rounds N] [--lcores 1,2]\n"
	           "         [--no-testpmd] [--distinct] [--bare] [--quick]\n"
	           "  --module    what each tenant runs (default all: firewall,firewall-own,batcher,nat,\n"
	           "              sandboxed); sandboxed is the firewall with innetd's ChangeEnforcer,\n"
	           "              firewall-own the firewall with a graph of its own per tenant (as\n"
	           "              the sandboxed one), bare forwards without the element graph\n"
	           "  --distinct  every firewall with rules of its own (no shared graph)\n"
	           "  --rounds    interleaved rounds; the summary gives medians (default 3)\n"
	           "  --lcores    fast-path lcores, each count listed in turn (default 1), testpmd on as many\n"
	           "  --quick     1 and 1,000 tenants, 1 s, 1 round: about a minute\n");
}

static int parse_tenants(const char *list, struct opts *o)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", list);
	o->ntenants = 0;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *e;
		unsigned long n = strtoul(t, &e, 10);
		if (*e || n == 0 || n > 60000 || o->ntenants == MAX_T) {
			fprintf(stderr, "bench-dp_throughput: --tenants: '%s' is not a count from 1 to 60000 "
			        "(at most %d of them)\n", t, MAX_T);
			return -1;
		}
		o->tenants[o->ntenants++] = (uint32_t)n;
	}
	return o->ntenants ? 0 : -1;
}

static int parse_lcores(const char *list, struct opts *o)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%s", list);
	o->nlcores = 0;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *e;
		unsigned long n = strtoul(t, &e, 10);
		if (*e || n == 0 || n > DP_LCORES_MAX || o->nlcores == MAX_L) {
			fprintf(stderr, "bench-dp_throughput: --lcores: '%s' is not a count from 1 to %d "
			        "(at most %d of them)\n", t, DP_LCORES_MAX, MAX_L);
			return -1;
		}
		o->lcores[o->nlcores++] = (unsigned)n;
	}
	return o->nlcores ? 0 : -1;
}

static int parse_modules(const char *list, struct opts *o)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", list);
	memset(o->mods, 0, sizeof o->mods);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int m = 0;
		if (strcmp(t, "all") == 0) {
			for (m = 0; m < M_BARE; m++)
				o->mods[m] = true;
			continue;
		}
		while (m < NMOD && strcmp(t, MOD_NAME[m]))
			m++;
		if (m == NMOD) {
			fprintf(stderr, "bench-dp_throughput: --module: unknown module '%s' "
			        "(firewall, firewall-own, batcher, nat, sandboxed, bare, all)\n", t);
			return -1;
		}
		o->mods[m] = true;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.seconds = 2, .rounds = 3, .lcores = {1}, .nlcores = 1, .testpmd = true};
	parse_tenants("1,10,100,1000,10000", o);
	parse_modules("all", o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool val = strcmp(a, "--seconds") == 0 || strcmp(a, "--rounds") == 0 || strcmp(a, "--tenants") == 0 ||
		           strcmp(a, "--module") == 0 || strcmp(a, "--lcores") == 0;
		if (val && !v) {
			fprintf(stderr, "bench-dp_throughput: %s needs a value\n", a);
			return -1;
		}
		if (val)
			i++;
		if (strcmp(a, "--seconds") == 0)
			o->seconds = (unsigned)atoi(v);
		else if (strcmp(a, "--rounds") == 0)
			o->rounds = (unsigned)atoi(v);
		else if (strcmp(a, "--lcores") == 0 && parse_lcores(v, o) < 0)
			return -1;
		else if (strcmp(a, "--tenants") == 0 && parse_tenants(v, o) < 0)
			return -1;
		else if (strcmp(a, "--module") == 0 && parse_modules(v, o) < 0)
			return -1;
		else if (strcmp(a, "--no-testpmd") == 0)
			o->testpmd = false;
		else if (strcmp(a, "--distinct") == 0)
			o->distinct = true;
		else if (strcmp(a, "--bare") == 0)
			parse_modules("bare", o);
		else if (strcmp(a, "--quick") == 0) {
			parse_tenants("1,1000", o);
			o->seconds = 1;
			o->rounds = 1;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(0);
		} else if (!val) {
			fprintf(stderr, "bench-dp_throughput: unknown option '%s'\n", a);
			usage(stderr);
			return -1;
		}
	}
	if (o->seconds < 1 || o->rounds < 1 || o->rounds > MAX_ROUNDS) {
		fprintf(stderr, "bench-dp_throughput: --seconds at least 1, --rounds 1 to %d\n",
		        MAX_ROUNDS);
		return -1;
	}
	return 0;
}

/* Medians over the rounds of every point. */
struct series {
	double v[MAX_ROUNDS];
	int n;
};

static void add(struct series *s, double x)
{
	if (x > 0 && s->n < MAX_ROUNDS)
		s->v[s->n++] = x;
}

static double med(struct series *s)
{
	double c[MAX_ROUNDS];
	memcpy(c, s->v, sizeof c);
	return median(c, s->n);
}

struct results {
	struct series tp[MAX_L][MAX_T], tp_cpu[MAX_L][MAX_T];
	struct series mp[MAX_L][MAX_T][NMOD], mp_cpu[MAX_L][MAX_T][NMOD], in[MAX_L][MAX_T][NMOD];
	size_t mem[MAX_T][NMOD];
};

static void print_num(double x, int width)
{
	if (x > 0)
		printf(" %*.2f", width, x);
	else
		printf(" %*s", width, "-");
}

static void summary(const struct opts *o, struct results *res)
{
	printf("\n# summary: medians of %u round(s); testpmd on as many forwarding lcores as the fast path; ratio = innet / testpmd "
	       "(cpu: per CPU-second of each process, the figure to compare on a shared machine)\n", o->rounds);
	printf("%6s %8s %-12s %8s %8s %6s %10s %10s %6s %8s %10s\n", "lcores", "tenants", "module", "Mpps", "testpmd",
	       "ratio", "Mpps/CPU-s", "tp/CPU-s", "cpu", "out/in", "B/module");
	for (int l = 0; l < o->nlcores; l++)
		for (int t = 0; t < o->ntenants; t++) {
			double tp = med(&res->tp[l][t]), tpc = med(&res->tp_cpu[l][t]);
			for (int m = 0; m < NMOD; m++) {
				if (!o->mods[m])
					continue;
				double x = med(&res->mp[l][t][m]), xc = med(&res->mp_cpu[l][t][m]), in = med(&res->in[l][t][m]);
				printf("%6u %8u %-12s", o->lcores[l], o->tenants[t], MOD_NAME[m]);
				print_num(x, 8);
				print_num(tp, 8);
				print_num(x > 0 && tp > 0 ? x / tp : -1, 6);
				print_num(xc, 10);
				print_num(tpc, 10);
				print_num(xc > 0 && tpc > 0 ? xc / tpc : -1, 6);
				print_num(x > 0 && in > 0 ? x / in : -1, 8);
				printf(" %10zu\n", res->mem[t][m] / o->tenants[t]);
			}
		}
	if (o->mods[M_SANDBOXED] && (o->mods[M_FIREWALL] || o->mods[M_FIREWALL_OWN])) {
		printf("\n# the sandbox's cost: sandboxed against the same firewall unsandboxed, per CPU-second "
		       "(shared graph / graph of its own)\n");
		for (int l = 0; l < o->nlcores; l++)
			for (int t = 0; t < o->ntenants; t++) {
				double f = med(&res->mp_cpu[l][t][M_FIREWALL]), fo = med(&res->mp_cpu[l][t][M_FIREWALL_OWN]);
				double s = med(&res->mp_cpu[l][t][M_SANDBOXED]);
				if (s <= 0)
					continue;
				printf("%2u lcore(s) %8u tenants:", o->lcores[l], o->tenants[t]);
				if (f > 0)
					printf(" %5.1f%% lost against firewall (%.2f -> %.2f)", 100 * (1 - s / f), f, s);
				if (fo > 0)
					printf(" %5.1f%% lost against firewall-own (%.2f -> %.2f)", 100 * (1 - s / fo), fo, s);
				printf("\n");
			}
	}
}

int main(int argc, char **argv)
{
	struct opts o;
	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	if (!dp_available()) {
		printf("dp_throughput: built without DPDK, nothing to measure\n");
		return 77;
	}
	unsigned maxl = 1;
	for (int l = 0; l < o.nlcores; l++)
		maxl = o.lcores[l] > maxl ? o.lcores[l] : maxl;
	if (o.testpmd && system("command -v dpdk-testpmd >/dev/null 2>&1 && command -v stdbuf >/dev/null 2>&1")) {
		printf("dp_throughput: dpdk-testpmd not found (apt-get install dpdk): no baseline\n");
		o.testpmd = false;
	}
	char prefix[64], tp_prefix[64];
	snprintf(prefix, sizeof prefix, "innet-dpbench-%d", (int)getpid());
	snprintf(tp_prefix, sizeof tp_prefix, "innet-dpbench-tp-%d", (int)getpid());
	struct dp_config c;
	dp_config_init(&c);
	c.eal_args = "--no-huge -m 1024";
	c.file_prefix = prefix;
	c.lcores = maxl; /* the EAL is made once: with the most lcores any point uses */
	char err[512];
	if (dp_eal_init(&c, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* the captures, written once for every round */
	char pcaps[MAX_T][96];
	for (int t = 0; t < o.ntenants; t++) {
		uint32_t n = o.tenants[t];
		snprintf(pcaps[t], sizeof pcaps[t], "/tmp/innet-bench-%d-%u.pcap", (int)getpid(), n);
		if (write_pcap(pcaps[t], n, n < 1024 ? 1024 / n * n : n) < 0) {
			perror(pcaps[t]);
			return 1;
		}
	}
	printf("# fast path on");
	for (int l = 0; l < o.nlcores; l++)
		printf("%s %u", l ? "," : "", o.lcores[l]);
	printf(" lcore(s) (testpmd on as many, one net_pcap rx queue each), 60-byte frames (64 on the wire) looped "
	       "by net_pcap, one module per tenant, %u s per point, %u interleaved round(s)\n", o.seconds, o.rounds);
	printf("# firewall: %s; batcher: Figure 4, released every 1 ms; nat: source NAT; sandboxed: the "
	       "firewall with innetd's ChangeEnforcer; firewall-own: the firewall, a graph of its own per tenant%s\n",
	       FW_FILTER, o.distinct ? "; --distinct: every "
	       "firewall with rules of its own" : "");
	printf("%5s %6s %8s %-12s %8s %10s %8s %12s\n", "round", "lcores", "tenants", "module", "Mpps", "Mpps/CPU-s",
	       "in Mpps", "per-tenant");
	static struct results res;
	int idx = 0, rc = 0;
	for (unsigned r = 0; r < o.rounds; r++) {
		for (int l = 0; l < o.nlcores; l++) {
			unsigned nl = o.lcores[l];
			for (int t = 0; t < o.ntenants; t++) {
				uint32_t n = o.tenants[t];
				if (o.testpmd) {
					struct rate tp = testpmd_rate(pcaps[t], o.seconds, nl, tp_prefix);
					add(&res.tp[l][t], tp.mpps);
					add(&res.tp_cpu[l][t], tp.cpu_mpps);
					printf("%5u %6u %8u %-12s %8.2f %10.2f\n", r + 1, nl, n, "testpmd", tp.mpps, tp.cpu_mpps);
					fflush(stdout);
				}
				for (int m = 0; m < NMOD; m++) {
					if (!o.mods[m])
						continue;
					struct point pt;
					if (innet_point(pcaps[t], (enum module)m, o.distinct, n, o.seconds, nl, idx++, &pt) < 0) {
						rc = 1;
						continue;
					}
					add(&res.mp[l][t][m], pt.r.mpps);
					add(&res.mp_cpu[l][t][m], pt.r.cpu_mpps);
					add(&res.in[l][t][m], pt.in_mpps);
					res.mem[t][m] = pt.mem;
					char per[48];
					snprintf(per, sizeof per, "%llu-%llu", (unsigned long long)pt.minrx,
					         (unsigned long long)pt.maxrx);
					printf("%5u %6u %8u %-12s %8.2f %10.2f %8.2f %12s\n", r + 1, nl, n, MOD_NAME[m], pt.r.mpps,
					       pt.r.cpu_mpps, pt.in_mpps, n > 1 ? per : "-");
					fflush(stdout);
				}
			}
		}
	}
	for (int t = 0; t < o.ntenants; t++)
		unlink(pcaps[t]);
	summary(&o, &res);
	printf("# per-tenant: fewest-most packets a tenant's module sent (all tenants served)\n");
	printf("# out/in: packets sent over packets classified to the modules (below 1: they dropped)\n");
	printf("# B/module: bytes of a module's runtime block\n");
	printf("# aim (issue 14): half of testpmd's rate with 1,000 tenants on one core; a sandbox under 10%%\n");
	return rc;
}
