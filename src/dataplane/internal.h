/* Shared between the DPDK files of the fast path. Not a public header. */
#ifndef INNET_DATAPLANE_INTERNAL_H
#define INNET_DATAPLANE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "dataplane/dataplane.h"
#include "runtime/runtime.h"

struct rte_mempool;
struct rte_hash;
struct rte_lpm;
struct rte_ring;
struct uv_async_s;
struct dp__worker;
struct dp__mod;

/* Counters written by the fast path only and read by the control thread:
 * relaxed atomics compile to plain moves on x86 and keep the race benign. */
#define DP__LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define DP__ADD(x, v) __atomic_store_n(&(x), DP__LOAD(x) + (v), __ATOMIC_RELAXED)
#define DP__SET(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* The classifier's and the tag table's values are a module's address
 * (cache-line aligned) with its owner's worker index in the low bits: a
 * worker that does not own the module steers the packet without touching
 * the module's memory. */
#define DP__OWNER_MASK 63u
_Static_assert(DP_MAX_LCORES <= DP__OWNER_MASK + 1, "the owner fits in a module address's low bits");
static inline void *dp__tagged(struct dp__mod *m, unsigned owner)
{
	return (void *)((uintptr_t)m | owner);
}
static inline struct dp__mod *dp__untag(const void *v)
{
	return (struct dp__mod *)((uintptr_t)v & ~(uintptr_t)DP__OWNER_MASK);
}
static inline unsigned dp__owner(const void *v)
{
	return (unsigned)((uintptr_t)v & DP__OWNER_MASK);
}

/* The classifier's key, padding zeroed: 16 bytes because rte_hash compares
 * 16-byte keys with one vector instruction (other sizes call memcmp). */
struct dp__key {
	uint32_t addr;
	uint16_t port;
	uint8_t proto;
	uint8_t pad;
	uint64_t pad2;
};

/* The address table (cls.c): IPv4 destination (host order, never 0) ->
 * the module keyed by that address alone, and whether some module has an
 * (addr, proto, port) key there (those are in dp->exact). Open addressing
 * with linear probing; `cap`, a power of two >= 2 * max_addrs, is the
 * most it grows to: it starts at 64 entries and doubles (a rebuild) while
 * more than half is live, so the entries of a few tenants share a few
 * lines instead of being spread over cap.
 * An entry is one 64-bit word, addr << 32 | slot << 1 | exact:
 *   0                      empty (never used)
 *   addr, slot 0, exact 0  tombstone (a deleted address; probes go past it)
 *   otherwise              live; slot 0 when no module has the address alone
 * Workers load the table pointer once per burst (acquire) and each entry
 * with one atomic load; the control thread alone writes, with single
 * 64-bit release stores, so a reader sees an entry before or after an
 * update, never between. A slot (the tagged module, index 0 unused) is
 * reused only after the caller's grace period; a rebuild (to grow, or
 * when live and tombstones pass 3/4 of the table) publishes a fresh table
 * and frees the old one after c->quiesce. */
#define DP__CLS_EXACT 1u
struct dp__cls_tab {
	uint32_t mask, shift;         /* position = (addr * 0x9E3779B1) >> shift */
	uint64_t e[] __attribute__((aligned(64)));
};
struct dp__cls {
	struct dp__cls_tab *tab;      /* atomic: a rebuild replaces it */
	void **slots;                 /* [nslots], atomic: tagged modules */
	/* control */
	uint32_t cap, nslots;         /* the table's largest size; slots */
	uint32_t live, used;          /* live entries; live + tombstones */
	uint32_t *nexact;             /* [cap]: exact keys at the entry's address */
	uint32_t *free, nfree;        /* free slots */
	uint64_t rebuilds;
	void (*quiesce)(void *arg);   /* a grace period (NULL: no readers) */
	void *qarg;
};

static inline uint32_t dp__cls_addr(uint64_t e) { return (uint32_t)(e >> 32); }
static inline uint32_t dp__cls_val(uint64_t e) { return (uint32_t)e; }
static inline uint32_t dp__cls_slot_of(uint64_t e) { return (uint32_t)e >> 1; }
static inline uint32_t dp__cls_hash(const struct dp__cls_tab *t, uint32_t addr)
{
	return (uint32_t)(addr * 0x9E3779B1u) >> t->shift;
}

/* Control thread. 0 or -ENOMEM, -EINVAL (max_addrs 0 or over 2^29). */
int dp__cls_init(struct dp__cls *c, uint32_t max_addrs, void (*quiesce)(void *arg), void *arg);
void dp__cls_fini(struct dp__cls *c);
/* addr's address-only module (tagged, not NULL): 0, -EEXIST, -ENOSPC
 * (no slot, or the table is full), -ENOMEM (a rebuild failed), -EINVAL. */
int dp__cls_add(struct dp__cls *c, uint32_t addr, void *mod);
/* One more exact key at addr (sets the flag): 0, -ENOSPC, -ENOMEM, -EINVAL. */
int dp__cls_add_exact(struct dp__cls *c, uint32_t addr);
/* addr's address-only module out: the slot to give to dp__cls_slot_free
 * after a grace period, 0 if there was none. */
uint32_t dp__cls_del(struct dp__cls *c, uint32_t addr);
/* One exact key at addr less (the flag goes with the last). */
void dp__cls_del_exact(struct dp__cls *c, uint32_t addr);
void dp__cls_slot_free(struct dp__cls *c, uint32_t slot);

/* Workers. The table to use for a burst. */
static inline const struct dp__cls_tab *dp__cls_load(const struct dp__cls *c)
{
	return __atomic_load_n(&c->tab, __ATOMIC_ACQUIRE);
}
/* addr's value (slot << 1 | exact), 0 when absent. */
static inline uint32_t dp__cls_probe(const struct dp__cls_tab *t, uint32_t addr, uint32_t h)
{
	for (;;) {
		uint64_t e = __atomic_load_n(&t->e[h], __ATOMIC_ACQUIRE);
		if (e == 0)
			return 0;
		if (dp__cls_addr(e) == addr)
			return dp__cls_val(e);
		h = (h + 1) & t->mask;
	}
}
static inline uint32_t dp__cls_lookup(const struct dp__cls_tab *t, uint32_t addr)
{
	return dp__cls_probe(t, addr, dp__cls_hash(t, addr));
}
/* n (at most DP_MAX_BURST) lookups: every hash and prefetch first, then
 * the probes, so the entries' cache misses overlap. */
static inline void dp__cls_lookup_bulk(const struct dp__cls_tab *t, const uint32_t *addr, uint32_t n, uint32_t *val)
{
	uint32_t h[DP_MAX_BURST];
	for (uint32_t i = 0; i < n; i++) {
		h[i] = dp__cls_hash(t, addr[i]);
		__builtin_prefetch(&t->e[h[i]]);
	}
	for (uint32_t i = 0; i < n; i++)
		val[i] = dp__cls_probe(t, addr[i], h[i]);
}
static inline void *dp__cls_slot(const struct dp__cls *c, uint32_t slot)
{
	return __atomic_load_n(&c->slots[slot], __ATOMIC_RELAXED);
}

/* The last route a module's packets took, with the Ethernet header it
 * gives them: a module's output mostly goes to one destination, so this
 * saves the rte_lpm_lookup (a cold tbl24 line per tenant) and the header
 * assembly per packet. Routes are fixed from dp_start on, so an entry
 * never goes stale. */
struct dp__route_cache {
	bool ok;
	uint32_t dst;                 /* host order */
	struct dp__txbuf *tb;         /* the owner's tx buffer for the route's port */
	struct rte_ether_hdr eh;
};

/* A module's side of the fast path while it runs. The tx counts gather
 * here during a push or a timer run and reach the module's counters once
 * after it (io_settle in fastpath.c), not once per packet. */
struct dp_io {
	struct dp *dp;
	struct dp__mod *mod;
	struct dp__worker *w;         /* the module's owner */
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
	/* the next two lines, loaded with the first: where its program's
	 * memory is (ops->hot), and what dp_emit touches */
	struct dp_hot hot;
	struct dp_io io;
	/* the rest */
	uint64_t id;
	struct dp_module_key key;
	struct dp__mod *rnext, *rprev; /* running list (fast path) */
	uint32_t tpos;                /* fast path: its place in dp->timers (0: none) */
	uint32_t nhold;               /* fast path */
	uint32_t state;               /* enum dp_module_state */
	uint64_t drops, held, hold_drops, mem, queued;
	bool running;                 /* control: a program was sent */
	uint32_t owner;               /* the worker that owns it (fixed at dp_module_add) */
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
	uint16_t nrxq, ntxq;          /* worker i polls rx queue i < nrxq, sends on i % ntxq */
	rte_spinlock_t txlock;        /* only when ntxq < workers: a queue is shared */
	uint64_t tx_drops;            /* atomic: several workers count */
};

/* A worker's frames for one port's tx queue, sent in bursts (no lock
 * unless the port has fewer tx queues than workers). */
struct dp__txbuf {
	struct dp__port *pt;
	uint16_t q;
	uint16_t n;
	bool shared;
	struct rte_mbuf *pk[DP_MAX_BURST];
};

/* A packet on its way from the worker that received it to its module's
 * owner (steer rings, one per (from, to) pair, single producer and single
 * consumer). `mod` is the module, its bit 0 set for a frame from the
 * process port (device 1 input). */
struct dp__steer {
	struct rte_mbuf *mb;
	uintptr_t mod;
};

struct dp__steer_out {
	uint32_t n;
	struct dp__steer v[DP_MAX_BURST];
};

/* One fast-path lcore: what it alone reads and writes (its modules'
 * running list and timers, tx buffers, counters, rings). Counters are
 * read by control and summed over the workers. */
struct dp__worker {
	struct dp *dp;
	unsigned idx, lcore;
	struct rte_ring *cmd, *done, *ev;   /* control <-> this worker */
	struct rte_ring *in[DP_MAX_LCORES]; /* steered to me by worker i (NULL: i is me) */
	struct rte_ring *to[DP_MAX_LCORES]; /* = worker i's in[me] */
	struct dp__steer_out *out;          /* [nworkers]: waiting for to[i] */
	struct dp__txbuf tx[DP_MAX_PORTS + 1]; /* [DP_MAX_PORTS]: the process port */
	struct dp__mod *running;
	/* running modules with a timer, a binary min-heap on deadline (1..ntimers;
	 * room for max_modules, made at start): the loop finds the due ones
	 * without walking every running module. next_timer is its top. */
	struct dp__mod **timers;
	uint32_t ntimers;
	uint64_t next_timer;
	bool signal;
	uint32_t hold_total;          /* its share of dp_config.hold_total */
	uint64_t held_now;
	uint32_t group_skip;          /* bursts left to deliver in arrival order (fastpath.c) */
	uint64_t turns;               /* loop turns done (atomic): control's grace periods */
	int parked;                   /* atomic (seq_cst): in its idle sleep, between turns */
	uint64_t rx_packets, tx_packets, unclassified, not_ipv4, no_route, arp_replies;
	uint64_t ev_drops, delivered, steered_out, steered_in, steer_drops;
	uint64_t proc_to, proc_from, proc_unknown, proc_not_running, proc_drops;
	/* control */
	uint32_t outstanding;         /* commands not yet done */
	uint32_t ctl_nmods;           /* modules it owns */
	uint64_t ctl_delivered;       /* delivered at the last load sample (dataplane.c, place) */
	double ctl_rate;              /* its recent load, packets per second */
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
	/* read by every worker, written by control only (lock-free readers;
	 * a deleted key's slot and module are freed after a grace period,
	 * dp__quiesce) */
	struct dp__cls cls;           /* addr -> tagged mod of the address-only key, has exact keys */
	struct rte_hash *exact;       /* dp__key with a proto and port -> tagged mod */
	struct rte_hash *addrs;       /* addr -> refcount (ARP) */
	struct rte_hash *ids;         /* control: id -> mod */
	struct rte_hash *keys;        /* control: dp__key -> mod */
	struct rte_lpm *lpm;          /* dst -> route index, fixed from dp_start on */
	struct uv_async_s *async;
	int stop;
	unsigned nworkers;
	unsigned nlaunched;
	struct dp__worker *w[DP_MAX_LCORES];
	uint64_t nmods, nrunning;     /* control */
	uint64_t ctl_load_ns;         /* control: the last load sample (0: none yet) */
	/* the process port (has_proc): tag -> tagged module, written by
	 * control (atomic stores), read by the workers that poll it */
	bool has_proc;
	struct dp__port proc;
	void *tags[DP_PROCESS_TAG_MAX + 1];
	/* control: which tags are taken, and by how many modules */
	bool ctl_tags[DP_PROCESS_TAG_MAX + 1];
	uint32_t ctl_nlinks;
	int ctl_proc_ifindex;         /* the process port's host interface */
};

static inline struct rt_pkt *dp__pkt(struct rte_mbuf *m)
{
	return (struct rt_pkt *)rte_mbuf_to_priv(m);
}

/* A worker's loop (arg: its struct dp__worker). */
int dp__fast_main(void *arg);
/* Wait until every worker finished the loop turn it was in: what it
 * read from cls, exact, addrs or tags before is no longer used (control). */
void dp__quiesce(struct dp *dp);
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
