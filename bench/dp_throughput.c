/* Fast-path throughput on one core for 1, 10, 100 and 1,000 consolidated
 * tenant firewalls (IPFilter + Counter), 60-byte frames (64 on the wire)
 * looped by net_pcap from a prepared capture, next to dpdk-testpmd's io
 * forwarding on the same vdev in the same run. Prints Mpps and the ratio.
 *
 *   bench-dp_throughput [--seconds S] [--tenants 1,10,100,1000] [--no-testpmd] [--distinct | --bare]
 *
 * Needs DPDK (prints why and exits 77 otherwise). Never asserts on time. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/diag.h"
#include "click/click.h"
#include "elements/element.h"
#include "dataplane/dataplane.h"
#include "runtime/runtime.h"

static const char *FIREWALL =
	"FromNetFront() -> IPFilter(allow udp dst port 1500, deny all) -> Counter -> ToNetFront();";

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

static uint32_t tenant_addr(uint32_t k) { return 0x0a010000u + 2 + k; } /* 10.1.0.2 + k */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* A capture with `n` frames, frame i for tenant i % tenants. */
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

/* testpmd io forwarding on the same vdev: the median of its Rx-pps lines. */
static double testpmd_mpps(const char *pcap, unsigned seconds)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd,
	         "(sleep %u; echo) | timeout %u dpdk-testpmd --no-huge -m 512 --no-pci --no-shconf "
	         "-l 0,1 --log-level=warning --vdev 'net_pcap0,rx_pcap=%s,infinite_rx=1' -- "
	         "--forward-mode=io --total-num-mbufs=16384 --stats-period=1 2>/dev/null",
	         seconds + 1, seconds + 20, pcap);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	double v[256];
	int n = 0;
	char line[512];
	while (fgets(line, sizeof line, p)) {
		const char *r = strstr(line, "Rx-pps:");
		if (r && n < 256) {
			double x = atof(r + 7);
			if (x > 0)
				v[n++] = x;
		}
	}
	pclose(p);
	if (n == 0)
		return -1;
	for (int i = 0; i < n; i++) /* sort, small n */
		for (int j = i + 1; j < n; j++)
			if (v[j] < v[i]) {
				double t = v[i]; v[i] = v[j]; v[j] = t;
			}
	return v[n / 2] / 1e6;
}

static uint64_t process_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* *cpu_mpps: packets per second of CPU time the process got (the fast-path
 * core busy-polls; on a shared machine the wall clock also counts the time
 * other processes had that core). */
static double innet_mpps(const char *pcap, uint32_t tenants, bool distinct, bool bare, unsigned seconds, int idx,
                         uint64_t *minrx, uint64_t *maxrx, size_t *mem, double *cpu_mpps)
{
	char dev[512];
	snprintf(dev, sizeof dev, "net_pcap%d,rx_pcap=%s,infinite_rx=1", 10 + idx, pcap);
	struct dp_port_config pc = {.devargs = dev};
	struct dp_route rt = {.prefix = {0, 0}, .port = 0};
	struct dp_config c;
	dp_config_init(&c);
	c.eal_args = "--no-huge -m 512";
	c.ports = &pc;
	c.nports = 1;
	c.routes = &rt;
	c.nroutes = 1;
	c.idle_sleep_us = 0; /* busy poll, as testpmd */
	c.nb_mbufs = 16383;
	c.max_modules = tenants * 2 + 64;
	char err[512];
	struct dp *dp;
	if (dp_start(&c, &dp, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	*mem = 0;
	/* A stock firewall: the tenants share its parsed (read-only) graph, as
	 * the native backend does for identical configurations; every tenant
	 * has its own element instances. --distinct gives each its own rules. */
	struct click_graph *shared = NULL;
	for (uint32_t k = 0; k < tenants; k++) {
		struct dp_module_key key = {.addr = tenant_addr(k)};
		char text[200];
		snprintf(text, sizeof text, "%s", FIREWALL);
		if (distinct)
			snprintf(text, sizeof text, "FromNetFront() -> IPFilter(allow udp dst port 1500, "
			         "deny dst port %u, deny all) -> Counter -> ToNetFront();", 2000 + k);
		struct src_file src = {.name = "firewall.click", .text = text, .len = strlen(text)};
		struct click_options opt = {.lookup = elem_class_find};
		struct diags d;
		diags_init(&d);
		struct click_graph *g = shared;
		struct dp_program prog;
		struct rt_limits lim = {0};
		int r = g || bare ? 0 : click_parse(&src, &opt, &g, &d);
		if (bare) {
			prog = (struct dp_program){.ops = &bare_ops};
			dp_module_add(dp, k + 1, &key, 0);
			dp_module_run(dp, k + 1, prog, 0);
			diags_free(&d);
			continue;
		}
		if (r == 0 && !distinct)
			shared = g;
		if (r == 0)
			r = distinct ? dp_program_click(dp, g, &lim, true, &prog, &d)
			             : dp_program_click_shared(dp, g, &lim, NULL, NULL, &prog, &d);
		if (r < 0) {
			fprintf(stderr, "firewall: %s\n", d.n ? d.v[0].msg : "cannot instantiate");
			dp_stop(dp);
			return -1;
		}
		*mem += dp_program_mem(&prog);
		diags_free(&d);
		dp_module_add(dp, k + 1, &key, 0);
		dp_module_run(dp, k + 1, prog, 0);
	}
	dp_sync(dp);
	usleep(500000); /* warm up */
	struct dp_stats a, b;
	dp_stats(dp, &a);
	uint64_t t0 = dp_now_ns(), c0 = process_cpu_ns();
	sleep(seconds);
	dp_stats(dp, &b);
	uint64_t t1 = dp_now_ns(), c1 = process_cpu_ns();
	*cpu_mpps = c1 > c0 ? (double)(b.tx_packets - a.tx_packets) / ((double)(c1 - c0) / 1e9) / 1e6 : -1;
	*minrx = UINT64_MAX;
	*maxrx = 0;
	for (uint32_t k = 0; k < tenants; k++) {
		struct dp_module_stats st;
		dp_module_stats(dp, k + 1, &st);
		if (st.tx_packets < *minrx) *minrx = st.tx_packets;
		if (st.tx_packets > *maxrx) *maxrx = st.tx_packets;
	}
	dp_stop(dp);
	click_graph_free(shared);
	return (double)(b.tx_packets - a.tx_packets) / ((double)(t1 - t0) / 1e9) / 1e6;
}

int main(int argc, char **argv)
{
	unsigned seconds = 3;
	const char *list = "1,10,100,1000";
	int testpmd = 1;
	bool distinct = false, bare = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--tenants") == 0 && i + 1 < argc)
			list = argv[++i];
		else if (strcmp(argv[i], "--no-testpmd") == 0)
			testpmd = 0;
		else if (strcmp(argv[i], "--distinct") == 0)
			distinct = true;
		else if (strcmp(argv[i], "--bare") == 0)
			bare = true;
	}
	if (!dp_available()) {
		printf("dp_throughput: built without DPDK, nothing to measure\n");
		return 77;
	}
	if (testpmd && system("command -v dpdk-testpmd >/dev/null 2>&1") != 0) {
		printf("dp_throughput: dpdk-testpmd not found (apt-get install dpdk): no baseline\n");
		testpmd = 0;
	}
	struct dp_config c;
	dp_config_init(&c);
	c.eal_args = "--no-huge -m 512";
	char err[512];
	if (dp_eal_init(&c, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("# fast path: 1 core, 60-byte frames (64 on the wire) looped by net_pcap,"
	       " one IPFilter+Counter firewall per tenant (%s), %u s per point\n",
	       bare ? "--bare: no element graph, forwarding only" :
	       distinct ? "each with rules of its own" : "a stock module: shared read-only graph", seconds);
	printf("%8s %12s %14s %8s %12s %14s %12s\n", "tenants", "innet Mpps", "testpmd Mpps", "ratio",
	       "per-tenant", "fw bytes", "Mpps/CPU-s");
	char buf[256];
	snprintf(buf, sizeof buf, "%s", list);
	int idx = 0;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save), idx++) {
		uint32_t n = (uint32_t)atoi(t);
		if (n == 0 || n > 60000)
			continue;
		char pcap[64];
		snprintf(pcap, sizeof pcap, "/tmp/innet-bench-%d-%u.pcap", getpid(), n);
		uint32_t frames = n < 1024 ? 1024 / n * n : n;
		if (write_pcap(pcap, n, frames) < 0) {
			perror(pcap);
			return 1;
		}
		double base = testpmd ? testpmd_mpps(pcap, seconds) : -1;
		uint64_t mn = 0, mx = 0;
		size_t mem = 0;
		double cpu = -1;
		double ours = innet_mpps(pcap, n, distinct, bare, seconds, idx, &mn, &mx, &mem, &cpu);
		char per[32];
		snprintf(per, sizeof per, "%llu-%llu", (unsigned long long)mn, (unsigned long long)mx);
		if (base > 0)
			printf("%8u %12.2f %14.2f %8.2f %12s %14zu %12.2f\n", n, ours, base, ours / base, n > 1 ? per : "-",
			       mem / n, cpu);
		else
			printf("%8u %12.2f %14s %8s %12s %14zu %12.2f\n", n, ours, "-", "-", n > 1 ? per : "-", mem / n, cpu);
		fflush(stdout);
		unlink(pcap);
	}
	printf("# per-tenant: fewest-most packets a tenant's firewall forwarded (all tenants served)\n");
	printf("# Mpps/CPU-s: packets per second of CPU time the process had (the load of others left out)\n");
	printf("# aim (issue 6): at least half of testpmd's rate with 1,000 tenants\n");
	return 0;
}
