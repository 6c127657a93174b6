/* A program that runs a module's Click graph with the runtime: the fast
 * path's mbuf pool backs the runtime's packet pool, and device outputs go
 * to dp_emit. */
#include <errno.h>
#include <stdlib.h>

#include "dataplane/internal.h"

/* What a push touches first: a firewall's whole block (for big modules the
 * header, elements and ports come first: rt_module_new's layout, and a
 * sandboxed firewall's states end near 1.5 KiB), and its chains. */
#define HOT_BLOCK 2048
#define HOT_CHAINS 512

struct clickprog {
	struct rt_module *m;
	size_t mem;       /* the module's block and its flow tables (they grow) */
	bool mem_shown;   /* mem copied to the module's counters */
	uint32_t queued;  /* what the module's counters show of its queues */
	size_t hot;       /* bytes of the block prefetched ahead of a push */
	const char *chains; /* the compiled chains (outside the block), or NULL */
	size_t chains_hot;  /* their bytes prefetched with it */
	struct dp_io *io; /* set on every call from the fast path */
	void (*release)(void *arg);
	void *release_arg;
};

static void cp_tx(void *ctx, uint32_t dev, struct rt_pkt *p)
{
	struct clickprog *cp = ctx;
	dp_emit(cp->io, dev, p);
}

static uint64_t cp_push_dev(void *self, struct dp_io *io, uint32_t dev, struct rt_pkt **pkts, uint32_t n,
                           uint64_t now)
{
	struct clickprog *cp = self;
	cp->io = io;
	struct rt_push_report r;
	rt_module_push_report(cp->m, dev, pkts, n, now, &r);
	/* Only what changed: the module's second cache line stays cold when
	 * every packet passes (with many tenants, bursts are one packet). */
	if (r.drops)
		DP__ADD(io->mod->drops, r.drops);
	/* Flow tables grow with the flows: show the module's memory as it is. */
	if (!cp->mem_shown || r.mem != cp->mem) {
		cp->mem = r.mem;
		DP__SET(io->mod->mem, r.mem);
		cp->mem_shown = true;
	}
	if (r.queued != cp->queued) {
		cp->queued = r.queued;
		DP__SET(io->mod->queued, r.queued);
	}
	return r.next;
}

static uint64_t cp_push(void *self, struct dp_io *io, struct rt_pkt **pkts, uint32_t n, uint64_t now)
{
	return cp_push_dev(self, io, 0, pkts, n, now);
}

static uint64_t cp_timers(void *self, struct dp_io *io, uint64_t now)
{
	struct clickprog *cp = self;
	cp->io = io;
	struct rt_counters before;
	rt_module_counters(cp->m, &before);
	rt_module_run_timers(cp->m, now);
	struct rt_counters after;
	rt_module_counters(cp->m, &after);
	DP__ADD(io->mod->drops, after.drops - before.drops);
	cp->mem = rt_module_mem_size(cp->m);
	DP__SET(io->mod->mem, cp->mem);
	cp->queued = after.queued;
	DP__SET(io->mod->queued, after.queued);
	return rt_module_next_deadline(cp->m);
}

static void cp_hot(const void *self, struct dp_hot *h)
{
	const struct clickprog *cp = self;
	*h = (struct dp_hot){.p = {cp->m, cp->chains}, .len = {(uint32_t)cp->hot, (uint32_t)cp->chains_hot}};
}

static void cp_destroy(void *self)
{
	struct clickprog *cp = self;
	rt_module_free(cp->m);
	if (cp->release)
		cp->release(cp->release_arg);
	free(cp);
}

static const struct dp_program_ops click_ops = {
	.push = cp_push,
	.push_dev = cp_push_dev,
	.run_timers = cp_timers,
	.destroy = cp_destroy,
	.hot = cp_hot,
};

static int make(struct dp *dp, const struct click_graph *g, const struct rt_limits *lim,
                bool take_graph, void (*release)(void *arg), void *arg, struct dp_program *out,
                struct diags *d)
{
	*out = (struct dp_program){0};
	if (!dp)
		return -ENOTCONN;
	struct clickprog *cp = calloc(1, sizeof *cp);
	if (!cp)
		return -ENOMEM;
	struct rt_env env = {.pool = dp__pool(dp), .tx = cp_tx, .tx_ctx = cp};
	int r = rt_module_new(g, &env, lim, dp_now_ns(), take_graph, &cp->m, d);
	if (r < 0) {
		free(cp);
		return r;
	}
	cp->mem = rt_module_mem_size(cp->m);
	cp->hot = cp->mem < HOT_BLOCK ? cp->mem : HOT_BLOCK;
	const void *chains;
	rt_module_chain_mem(cp->m, &chains, &cp->chains_hot);
	cp->chains = chains;
	if (cp->chains_hot > HOT_CHAINS)
		cp->chains_hot = HOT_CHAINS;
	cp->release = release;
	cp->release_arg = arg;
	*out = (struct dp_program){.ops = &click_ops, .self = cp};
	return 0;
}

int dp_program_click(struct dp *dp, const struct click_graph *g, const struct rt_limits *lim,
                     bool take_graph, struct dp_program *out, struct diags *d)
{
	return make(dp, g, lim, take_graph, NULL, NULL, out, d);
}

int dp_program_click_shared(struct dp *dp, const struct click_graph *g, const struct rt_limits *lim,
                            void (*release)(void *arg), void *arg, struct dp_program *out,
                            struct diags *d)
{
	return make(dp, g, lim, false, release, arg, out, d);
}

struct rt_module *dp_program_module(const struct dp_program *prog)
{
	if (!prog || prog->ops != &click_ops)
		return NULL;
	return ((struct clickprog *)prog->self)->m;
}

size_t dp_program_mem(const struct dp_program *prog)
{
	if (!prog || prog->ops != &click_ops)
		return 0;
	return ((struct clickprog *)prog->self)->mem;
}
