/* Shared between the DPDK files of the fast path. Not a public header. */
#ifndef INNET_DATAPLANE_INTERNAL_H
#define INNET_DATAPLANE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/dataplane.h"
#include "runtime/runtime.h"

struct rte_mempool;
struct rte_hash;
struct rte_lpm;
struct rte_ring;
struct rte_eth_dev_tx_buffer;
struct uv_async_s;

/* Counters written by the fast path only and read by the control thread:
 * relaxed atomics compile to plain moves on x86 and keep the race benign. */
#define DP__LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define DP__ADD(x, v) __atomic_store_n(&(x), DP__LOAD(x) + (v), __ATOMIC_RELAXED)
#define DP__SET(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* The classifier's key, padding zeroed: 16 bytes because rte_hash compares
 * 16-byte keys with one vector instruction (other sizes call memcmp). */
struct dp__key {
	uint32_t addr;
	uint16_t port;
	uint8_t proto;
	uint8_t pad;
	uint64_t pad2;
};

/* The last route a module's packets took, with the Ethernet header it
 * gives them: a module's output mostly goes to one destination, so this
 * saves the rte_lpm_lookup (a cold tbl24 line per tenant) and the header
 * assembly per packet. Routes are fixed from dp_start on, so an entry
 * never goes stale. */
struct dp__route_cache {
	bool ok;
	uint32_t dst;                 /* host order */
	struct dp__port *pt;
	struct rte_ether_hdr eh;
};

/* A module's side of the fast path while it runs. The tx counts gather
 * here during a push or a timer run and reach the module's counters once
 * after it (io_settle in fastpath.c), not once per packet. */
struct dp_io {
	struct dp *dp;
	struct dp__mod *mod;
	uint32_t tx_n;
	uint64_t tx_bytes;
	struct dp__route_cache rc;
};

struct dp__mod {
	/* first cache line: what every packet of a running module touches
	 * (written by the fast path, counters read by control) */
	struct dp_program prog;       /* ops NULL: not running */
	uint64_t deadline;            /* program's next timer */
	uint64_t rx_packets, rx_bytes, last_rx_ns, tx_packets, tx_bytes;
	/* the rest */
	struct dp_io io;
	uint64_t id;
	struct dp_module_key key;
	struct dp__mod *rnext, *rprev; /* running list (fast path) */
	uint32_t tpos;                /* fast path: its place in dp->timers (0: none) */
	uint32_t nhold;               /* fast path */
	uint32_t state;               /* enum dp_module_state */
	uint64_t drops, held, hold_drops, mem, queued;
	bool running;                 /* control: a program was sent */
	bool wake_any;                /* fast path: suspended, any packet is held */
	/* the process port (dp_process_link) */
	uint16_t ptag;                /* fast path: its tag, 0: none */
	struct rte_ether_addr pmac;   /* fast path: its interface's MAC */
	uint64_t proc_to, proc_from, proc_drops;
	uint16_t ctl_tag;             /* control: the tag it holds */
	int ctl_nsfd;                 /* control: its namespace, open while linked */
	int ctl_ifindex;              /* control: its interface in there */
	struct rte_mbuf *hold[];      /* hold_packets */
};

enum dp__cmd_type { DP__CMD_ADD = 1, DP__CMD_RUN, DP__CMD_HALT, DP__CMD_REMOVE, DP__CMD_SUSPEND,
                   DP__CMD_LINK, DP__CMD_UNLINK };

struct dp__cmd {
	enum dp__cmd_type type;
	struct dp__mod *mod;
	struct dp_program prog;       /* RUN: to publish; HALT/REMOVE: to destroy;
	                               * SUSPEND: to hand back to control */
	uint32_t cookie;
	int status;
	uint16_t tag;                 /* LINK */
	struct rte_ether_addr mac;    /* LINK: the module's interface's */
};

/* Element of the event ring (fast path -> control, lossy). */
struct dp__ev {
	struct dp_event ev;
};

struct dp__port {
	uint16_t id;
	bool probed;                  /* we probed it: remove on stop */
	char name[64];
	struct rte_ether_addr mac;
	struct rte_eth_dev_tx_buffer *txb;
	uint64_t tx_drops;
};

struct dp {
	struct dp_config cfg;         /* ports/routes below, not the caller's */
	unsigned lcore;
	uint32_t burst;
	struct dp__port ports[DP_MAX_PORTS];
	uint32_t nports;
	struct dp_route *routes;
	uint32_t nroutes;
	struct rte_mempool *mp;
	struct rte_hash *cls;         /* fast path: dp__key -> mod */
	struct rte_hash *addrs;       /* fast path: addr -> refcount (ARP) */
	struct rte_hash *ids;         /* control: id -> mod */
	struct rte_hash *keys;        /* control: dp__key -> mod */
	struct rte_lpm *lpm;          /* dst -> route index */
	struct rte_ring *cmd, *done, *ev;
	struct uv_async_s *async;
	int stop;
	bool launched;
	uint32_t outstanding;         /* commands not yet done (control) */
	uint64_t nmods, nrunning;     /* control */
	/* fast path */
	struct dp__mod *running;
	/* running modules with a timer, a binary min-heap on deadline (1..ntimers;
	 * room for max_modules, made at start): the loop finds the due ones
	 * without walking every running module. next_timer is its top. */
	struct dp__mod **timers;
	uint32_t ntimers;
	uint64_t next_timer;
	bool signal;
	uint64_t held_now;
	uint32_t nexact;              /* keys with a proto and port */
	uint64_t rx_packets, tx_packets, unclassified, not_ipv4, no_route, arp_replies;
	uint64_t ev_drops;
	/* the process port (has_proc): tag -> module, written by the fast
	 * path only (LINK/UNLINK/REMOVE commands), so it reads it unlocked */
	bool has_proc;
	struct dp__port proc;
	struct dp__mod *tags[DP_PROCESS_TAG_MAX + 1];
	uint64_t proc_to, proc_from, proc_unknown, proc_not_running, proc_drops;
	/* control: which tags are taken, and by how many modules */
	bool ctl_tags[DP_PROCESS_TAG_MAX + 1];
	uint32_t ctl_nlinks;
	int ctl_proc_ifindex;         /* the process port's host interface */
};

static inline struct rt_pkt *dp__pkt(struct rte_mbuf *m)
{
	return (struct rt_pkt *)rte_mbuf_to_priv(m);
}

int dp__fast_main(void *arg);
/* Send a command to the fast path (dataplane.c). */
struct dp__cmd *dp__cmd_new(enum dp__cmd_type type, struct dp__mod *m);
int dp__cmd_send(struct dp *dp, struct dp__cmd *c);
struct dp__mod *dp__find(const struct dp *dp, uint64_t id);
/* proclink.c: the kernel side of a process module's link */
int dp__proc_kernel_link(struct dp *dp, struct dp__mod *m, uint16_t tag, const char *netns,
                         uint32_t ip, struct rte_ether_addr *mac, char *err, size_t errlen);
void dp__proc_kernel_unlink(struct dp *dp, struct dp__mod *m);
struct rt_pool dp__pool(struct dp *dp);
/* Build argv for rte_eal_init; returns argc, or -E2BIG. */
int dp__eal_argv(const struct dp_config *c, char *buf, size_t buflen, char **argv, int maxargs);

#endif
