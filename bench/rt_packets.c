/* The Click runtime without DPDK: CPU nanoseconds per packet by element
 * and by module (issue 14). Every element class of bench-dp_throughput's
 * modules runs alone in a minimal chain (FromNetFront -> X -> ToNetFront;
 * its own cost is the chain's less the pass-through's), then each whole
 * module; packets are pushed in bursts of 32 as the fast path does
 * (src/dataplane/program.c) and recycled through a simple pool. The clock
 * is simulated (OFFER_NS per packet), so timers fire as they would at that
 * load. Every configuration runs twice a round, with its chains compiled
 * (src/runtime/chain.c) and through the generic interpreter
 * (rt_limits.no_compile), so both columns come from the same run. Prints
 * a table over interleaved rounds (the least CPU time, and the median);
 * asserts nothing.
 *
 *   bench-rt_packets [--packets N] [--rounds R] [--flows F] [--burst B] [--quick]
 *
 * --burst 1 is a module's lot when the fast path serves many tenants:
 * consecutive packets go to different modules, so each push is one packet
 * and its fixed cost is paid per packet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/firewall.h"
#include "base/diag.h"
#include "click/click.h"
#include "elements/element.h"
#include "runtime/runtime.h"

#define BURST 32
#define OFFER_NS 250   /* simulated arrival: 4 Mpps, about one core of the fast path */
#define QUEUE 8192     /* the batcher's queue: a millisecond at that load, twice over */
#define POOL (2 * QUEUE)
#define MAX_ROUNDS 15

struct ctx {
	struct rt_pool pool;
	uint64_t tx;
};

static void tx(void *c, uint32_t dev, struct rt_pkt *p)
{
	struct ctx *x = c;
	x->tx++;
	x->pool.free(x->pool.ctx, p);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU time of this thread: on a shared, loaded machine the wall clock
 * counts the time other processes had the core. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A 64-byte UDP frame's IPv4 packet, flow i % flows, to 203.0.113.7:1500
 * (every packet passes every filter: each element sees all of them). */
static void fill(struct rt_pkt *p, uint32_t i, uint32_t flows)
{
	uint32_t k = i % flows;
	uint8_t *ip = rt_pkt_data(p);
	memset(ip, 0, 64);
	ip[0] = 0x45;
	rt_wr16(ip + 2, 46); /* a 64-byte frame without Ethernet header and FCS */
	ip[8] = 64;
	ip[9] = RT_IP_PROTO_UDP;
	rt_wr32(ip + 12, 0x0a000000u | (k & 0xffffff)); /* 10.x.y.z */
	rt_wr32(ip + 16, 0xcb007107u);                 /* 203.0.113.7 */
	rt_wr16(ip + 20, (uint16_t)(1024 + (k & 1023)));
	rt_wr16(ip + 22, 1500);
	rt_wr16(ip + 24, 26);
	rt_ip_set_csum(ip, 20);
	p->len = 46;
}

enum kind { PASS, ELEMENT, MODULE };

struct conf {
	enum kind kind;
	const char *name, *text;
};

#define QSTR(x) #x
#define Q(x) QSTR(x)

/* The modules of bench-dp_throughput, at the address the packets go to;
 * the sandboxed one is the firewall as src/controller/sandbox.c writes it
 * for a third party (bench/dp_throughput.c, sandboxed_text). */
static const struct conf CONFS[] = {
	{PASS, "pass-through", "FromNetFront() -> ToNetFront();"},
	{ELEMENT, "IPFilter (firewall's rule)", "FromNetFront() -> " FW_FILTER " -> ToNetFront();"},
	{ELEMENT, "IPFilter (8 rules)",
	 "FromNetFront() -> IPFilter(deny src 10.1.0.0/16, deny src 10.2.0.0/16, deny tcp, deny icmp,"
	 " deny dst port 22, deny dst port 23, allow udp port 1500, deny all) -> ToNetFront();"},
	{ELEMENT, "Counter", "FromNetFront() -> Counter -> ToNetFront();"},
	{ELEMENT, "IPRewriter (batcher: to a host)",
	 "FromNetFront() -> IPRewriter(pattern - - 172.16.15.133 - 0 0) -> ToNetFront();"},
	{ELEMENT, "IPRewriter (source NAT)",
	 "FromNetFront() -> IPRewriter(pattern 203.0.113.1 1024-65535 - - 0 0) -> ToNetFront();"},
	{ELEMENT, "Queue -> TimedUnqueue(1ms)",
	 "FromNetFront() -> Queue(" Q(QUEUE) ") -> TimedUnqueue(1ms, " Q(QUEUE) ") -> ToNetFront();"},
	{ELEMENT, "ChangeEnforcer (in and out)",
	 "ce :: ChangeEnforcer(ADDR 203.0.113.7, ALLOW 203.0.113.7/32);\n"
	 "FromNetFront() -> [0] ce [0] -> [1] ce [1] -> ToNetFront();"},
	{MODULE, "firewall", FW_TEXT},
	{MODULE, "sandboxed firewall",
	 SANDBOXED_FW("203.0.113.7")},
	{MODULE, "nat", "FromNetFront() -> IPRewriter(pattern 203.0.113.1 1024-65535 - - 0 0) -> ToNetFront();"},
	{MODULE, "batcher (Figure 4, 1 ms)",
	 "FromNetFront() -> IPFilter(allow udp port 1500) -> IPRewriter(pattern - - 172.16.15.133 - 0 0)"
	 " -> Queue(" Q(QUEUE) ") -> TimedUnqueue(1ms, " Q(QUEUE) ") -> ToNetFront();"},
};

#define NCONF (sizeof CONFS / sizeof CONFS[0])

struct result {
	double cpu[MAX_ROUNDS], wall[MAX_ROUNDS];
	int n;
	size_t mem;
	uint64_t out, in;
	uint32_t chains, steps;
};

/* One run of `n` packets through a fresh module; 0 or -1 (printed). The
 * pool is the process's, made once: its first touch (page faults) is not
 * any configuration's cost. res NULL: a warm-up, not recorded. */
static int run(struct rt_simple_pool *sp, const struct conf *cf, uint32_t n, uint32_t flows, uint32_t burst,
               bool interp, struct result *res)
{
	struct ctx c = {.pool = rt_simple_pool_ops(sp)};
	struct src_file f = {cf->name, cf->text, strlen(cf->text)};
	struct diags d;
	diags_init(&d);
	struct click_graph *g = NULL;
	struct rt_module *m = NULL;
	struct rt_env env = {.pool = c.pool, .tx = tx, .tx_ctx = &c};
	struct rt_limits lim = {.flow_capacity = flows < 1024 ? 1024 : flows, .no_compile = interp};
	if (click_parse(&f, &elem_click_options, &g, &d) || rt_module_new(g, &env, &lim, 0, true, &m, &d)) {
		fprintf(stderr, "%s:\n", cf->name);
		diags_print(stderr, &d);
		diags_free(&d);
		return -1;
	}
	diags_free(&d);
	struct rt_pkt *v[BURST];
	uint64_t clock = 0, t0 = now_ns(), c0 = cpu_ns(), in = 0;
	for (uint32_t i = 0; i < n; i += burst) {
		uint32_t k = 0;
		while (k < burst && i + k < n && (v[k] = c.pool.alloc(c.pool.ctx, 64))) {
			fill(v[k], i + k, flows);
			k++;
		}
		rt_module_push_burst(m, 0, v, k, clock);
		in += k;
		clock += (uint64_t)burst * OFFER_NS;
		if (rt_module_next_deadline(m) <= clock)
			rt_module_run_timers(m, clock);
	}
	rt_module_run_timers(m, clock += 1000000000ull); /* what is queued leaves */
	uint64_t dt = now_ns() - t0, dc = cpu_ns() - c0;
	if (!res) {
		rt_module_free(m);
		return 0;
	}
	if (res->n < MAX_ROUNDS) {
		res->cpu[res->n] = (double)dc / (double)in;
		res->wall[res->n] = (double)dt / (double)in;
		res->n++;
	}
	res->mem = rt_module_mem_size(m);
	res->chains = rt_module_chains(m, &res->steps);
	res->out = c.tx;
	res->in = in;
	rt_module_free(m);
	return 0;
}

static double median(const double *v, int n)
{
	double c[MAX_ROUNDS];
	memcpy(c, v, (size_t)n * sizeof *v);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (c[j] < c[i]) {
				double t = c[i]; c[i] = c[j]; c[j] = t;
			}
	return n == 0 ? -1 : n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
}

static double minimum(const double *v, int n)
{
	double m = n ? v[0] : -1;
	for (int i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench-rt_packets [--packets N] [--rounds R] [--flows F] [--burst B] [--quick]\n"
	           "  --packets  per run (default 2000000)\n"
	           "  --rounds   interleaved rounds: the least and the median printed (default 5, at most %d)\n"
	           "  --flows    distinct UDP flows in the traffic (default 64)\n"
	           "  --burst    packets per push, 1 to %d (default %d; 1: as with many tenants)\n"
	           "  --quick    200000 packets, 1 round (and a warm-up)\n", MAX_ROUNDS, BURST, BURST);
}

int main(int argc, char **argv)
{
	uint32_t n = 2000000, flows = 64, burst = BURST;
	int rounds = 5;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool val = !strcmp(a, "--packets") || !strcmp(a, "--rounds") || !strcmp(a, "--flows") ||
		           !strcmp(a, "--burst");
		if (val && i + 1 >= argc) {
			fprintf(stderr, "bench-rt_packets: %s needs a value\n", a);
			return 2;
		}
		if (!strcmp(a, "--packets"))
			n = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(a, "--rounds"))
			rounds = atoi(argv[++i]);
		else if (!strcmp(a, "--flows"))
			flows = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(a, "--burst"))
			burst = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(a, "--quick"))
			n = 200000, rounds = 1;
		else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "bench-rt_packets: unknown option '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (n < BURST || rounds < 1 || rounds > MAX_ROUNDS || flows < 1 || flows > 1u << 24 || burst < 1 ||
	    burst > BURST) {
		fprintf(stderr, "bench-rt_packets: --packets at least %d, --rounds 1 to %d, --flows 1 to 2^24, "
		        "--burst 1 to %d\n", BURST, MAX_ROUNDS, BURST);
		return 2;
	}
	static struct result res[NCONF], ires[NCONF]; /* compiled, interpreted */
	struct rt_simple_pool *sp = rt_simple_pool_new(POOL, 2048, 128);
	int rc = 0;
	for (size_t k = 0; k < 2 * NCONF && rc == 0; k++) /* warm-up: code, pool, allocator */
		rc = run(sp, &CONFS[k / 2], n / 10 > BURST ? n / 10 : BURST, flows, burst, k & 1, NULL);
	for (int r = 0; r < rounds && rc == 0; r++)
		for (size_t k = 0; k < 2 * NCONF && rc == 0; k++) /* compiled and interpreted in turn */
			rc = run(sp, &CONFS[k / 2], n, flows, burst, (k ^ (size_t)r) & 1,
			         (k ^ (size_t)r) & 1 ? &ires[k / 2] : &res[k / 2]);
	rt_simple_pool_free(sp);
	if (rc)
		return 1;
	printf("# runtime alone, one core: 64-byte UDP packets (%u flows, all to port 1500), bursts of %d, "
	       "%u packets per run, %d interleaved round(s)\n", flows, burst, n, rounds);
	printf("# CPU ns: the least of the rounds (interference on a shared machine only adds), median beside;"
	       " element: the chain FromNetFront -> X -> ToNetFront less the pass-through\n");
	printf("# compiled chains (the default) and the generic interpreter (INNET_RT_NOCOMPILE=1) in turn, same run;"
	       " chains/steps: what rt_module_new compiled\n");
	printf("%-8s %-30s %9s %9s %9s %9s %9s %9s %10s %7s\n", "kind", "what", "CPU ns", "median", "interp",
	       "gain", "element", "Mpps", "B/module", "chains");
	double pass = minimum(res[0].cpu, res[0].n);
	double fw = -1, sb = -1;
	for (size_t k = 0; k < NCONF; k++) {
		const struct conf *cf = &CONFS[k];
		double cpu = minimum(res[k].cpu, res[k].n), wall = median(res[k].wall, res[k].n);
		if (!strcmp(cf->name, "firewall"))
			fw = cpu;
		if (!strcmp(cf->name, "sandboxed firewall"))
			sb = cpu;
		char el[16] = "-";
		if (cf->kind == ELEMENT)
			snprintf(el, sizeof el, "%.1f", cpu - pass);
		double icpu = minimum(ires[k].cpu, ires[k].n);
		char gain[16], ch[16];
		snprintf(gain, sizeof gain, "%+.0f%%", 100 * (icpu - cpu) / icpu);
		snprintf(ch, sizeof ch, "%u/%u", res[k].chains, res[k].steps);
		printf("%-8s %-30s %9.1f %9.1f %9.1f %9s %9s %9.2f %10zu %7s", cf->kind == MODULE ? "module" :
		       cf->kind == PASS ? "base" : "element", cf->name, cpu, median(res[k].cpu, res[k].n), icpu, gain,
		       el, 1e3 / wall, res[k].mem, ch);
		if (res[k].out != res[k].in)
			printf("  (%llu of %llu out)", (unsigned long long)res[k].out, (unsigned long long)res[k].in);
		printf("\n");
	}
	for (size_t k = 0; k < NCONF; k++)
		if (ires[k].out != res[k].out)
			printf("# %s: %llu packets out compiled, %llu interpreted: a bug\n", CONFS[k].name,
			       (unsigned long long)res[k].out, (unsigned long long)ires[k].out);
	if (fw > 0 && sb > 0)
		printf("# the sandbox's cost: %.1f CPU ns per packet, %.0f%% of the firewall's\n", sb - fw,
		       100 * (sb - fw) / fw);
	return 0;
}
