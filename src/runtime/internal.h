/* Inside the runtime: the module header, shared by module.c (the
 * interpreter) and chain.c (compiled chains). Not for other layers. */
#ifndef INNET_RUNTIME_INTERNAL_H
#define INNET_RUNTIME_INTERNAL_H

#include "runtime/runtime.h"

struct rt_module {
	/* what every packet touches first: one cache line */
	uint32_t depth, max_depth; /* max_depth: lim.max_depth */
	uint64_t now;
	struct rt_env env;         /* pool and tx first; log last */
	struct rt_counters c;
	struct rt_elem *dev_in0;   /* device input 0 (NULL: none) */
	struct rt_limits lim;
	const struct click_graph *g;
	bool own_graph;
	uint32_t n;
	struct rt_elem *elems;
	uint32_t ndev_in, ndev_out, ntimed;
	struct rt_elem **dev_in, **dev_out, **timed;
	uint64_t rng;
	uint64_t hint; /* earliest time a blocked pull may succeed */
	size_t size;
	struct rt_flowquota flowq; /* the flow tables' quota and their memory */
	struct rt_chain **chains;  /* compiled chains (chain.c), outside the block */
	uint32_t nchains;
	size_t chain_bytes;        /* of the chains' allocation */
};

/* ---- compiled chains (chain.c) ---- */

/* Longest chain: more steps gain nothing (the head's cost is paid once a
 * burst) and the per-burst counts stay on the stack. */
#define RT_CHAIN_MAX 16

/* Compile the chains of m (after its elements' init): every connected
 * push output whose peer can be fused gets the chain that starts there.
 * 0 or -ENOMEM (then m has none, which is always correct). */
int rt__chains_build(struct rt_module *m);
void rt__chains_free(struct rt_module *m);
/* Run v[0..n) (any n) out of port `port` of e through the
 * chain that starts there: false when the chain cannot run at this depth
 * (the caller interprets), true when every packet has been dealt with. */
bool rt__chain_run(struct rt_elem *e, uint32_t port, struct rt_pkt **v, uint32_t n);

#endif
