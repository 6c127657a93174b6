/* The Click runtime without DPDK: nanoseconds per packet through a few
 * modules (packets recycled through a simple pool), and each module's
 * memory block. Prints its figures; asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/diag.h"
#include "click/click.h"
#include "elements/element.h"
#include "runtime/runtime.h"

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

static void fill(struct rt_pkt *p, uint32_t i)
{
	uint8_t *ip = rt_pkt_data(p);
	memset(ip, 0, 64);
	ip[0] = 0x45;
	rt_wr16(ip + 2, 46); /* a 64-byte frame without Ethernet header and FCS */
	ip[8] = 64;
	ip[9] = RT_IP_PROTO_UDP;
	rt_wr32(ip + 12, 0x0a000000u | (i & 0xffff));
	rt_wr32(ip + 16, 0xcb007107u);
	rt_wr16(ip + 20, (uint16_t)(1024 + (i & 1023)));
	rt_wr16(ip + 22, i % 4 ? 1500 : 80);
	rt_wr16(ip + 24, 26);
	rt_ip_set_csum(ip, 20);
	p->len = 46;
}

static void run(const char *name, const char *cfg, uint32_t flow_capacity, uint32_t n)
{
	struct rt_simple_pool *sp = rt_simple_pool_new(4096, 2048, 128);
	struct ctx c = { .pool = rt_simple_pool_ops(sp) };
	struct src_file f = { name, cfg, strlen(cfg) };
	struct diags d;
	diags_init(&d);
	struct click_graph *g = NULL;
	struct rt_module *m = NULL;
	struct rt_env env = { .pool = c.pool, .tx = tx, .tx_ctx = &c };
	struct rt_limits lim = { .flow_capacity = flow_capacity };
	if (click_parse(&f, &elem_click_options, &g, &d) || rt_module_new(g, &env, &lim, 0, true, &m, &d)) {
		diags_print(stderr, &d);
		exit(1);
	}
	diags_free(&d);
	uint64_t t0 = now_ns(), c0 = cpu_ns(), clock = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct rt_pkt *p = c.pool.alloc(c.pool.ctx, 64);
		if (!p) {
			rt_module_run_timers(m, clock += 1000000000ull);
			p = c.pool.alloc(c.pool.ctx, 64);
		}
		fill(p, i);
		rt_module_push(m, 0, p, clock);
		if ((i & 31) == 31)
			rt_module_run_timers(m, clock);
	}
	rt_module_run_timers(m, clock += 1000000000ull);
	uint64_t dt = now_ns() - t0, dc = cpu_ns() - c0;
	printf("%-34s %8.1f ns/packet (%6.1f CPU) %7.2f Mpps  %8zu bytes/module  %llu of %u out\n", name,
	       (double)dt / n, (double)dc / n, n * 1e3 / (double)dt, rt_module_mem_size(m), (unsigned long long)c.tx, n);
	rt_module_free(m);
	rt_simple_pool_free(sp);
}

int main(void)
{
	uint32_t n = 2000000;
	printf("runtime, one core, 64-byte UDP packets (3 of 4 to port 1500)\n");
	run("pass-through", "FromNetFront() -> ToNetFront()", 0, n);
	run("firewall (IPFilter + Counter)",
	    "FromNetFront() -> IPFilter(allow udp port 1500, deny all) -> Counter -> ToNetFront()", 0, n);
	run("firewall, 8 rules",
	    "FromNetFront() -> IPFilter(deny src 10.1.0.0/16, deny src 10.2.0.0/16, deny tcp, deny icmp,"
	    " deny dst port 22, deny dst port 23, allow udp port 1500, deny all) -> Counter -> ToNetFront()", 0, n);
	run("NAT (IPRewriter, 1024 flows)",
	    "FromNetFront() -> IPRewriter(pattern 198.51.100.1 1024-65535 - - 0 0) -> ToNetFront()", 1024, n);
	run("figure 4 batcher (1024 flows)",
	    "FromNetFront() -> IPFilter(allow udp port 1500) -> IPRewriter(pattern - - 172.16.15.133 - 0 0)"
	    " -> Queue(1000) -> TimedUnqueue(1, 1000) -> ToNetFront()", 1024, n);
	run("figure 4 batcher (64 flows)",
	    "FromNetFront() -> IPFilter(allow udp port 1500) -> IPRewriter(pattern - - 172.16.15.133 - 0 0)"
	    " -> Queue(1000) -> TimedUnqueue(1, 1000) -> ToNetFront()", 64, n);
	return 0;
}
