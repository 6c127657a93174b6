/* The Click runtime: runs a flat element graph (src/click) on packets.
 *
 * Three layers, all in this header:
 *  1. The packet view (struct rt_pkt): a data window inside a buffer the
 *     caller owns (an rte_mbuf in the fast path, a pool slot in tests), with
 *     Click's annotations. Packets come from and go back to a caller-provided
 *     pool (struct rt_pool): the runtime never calls malloc per packet.
 *  2. The module API (rt_module_*): instantiate a module from a click_graph
 *     (all element state in one block allocated up front), push packets into
 *     its device inputs, receive what reaches its device outputs through a
 *     callback, drive its timers and pull tasks, read counters, free it.
 *     No allocation, lock or system call per packet; one module is used by
 *     one thread at a time.
 *  3. The element-facing API (struct elem_runtime, rt_push, rt_pull, ...):
 *     what packet functions in src/elements/<name>.c use.
 *
 * Device ports: packets entering a module at FromDevice/FromNetFront are
 * IPv4 with no link header; the runtime applies CheckIPHeader's checks to
 * them and sets the IP header and dst-IP annotations, dropping (and
 * counting) packets that fail. */
#ifndef INNET_RUNTIME_RUNTIME_H
#define INNET_RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/diag.h"
#include "click/click.h"

/* ------------------------------------------------------------------------
 * 1. Packet view
 * ------------------------------------------------------------------------ */

/* Byte annotations, at Click's offsets (include/click/packet_anno.hh). */
enum {
	RT_ANNO_SIZE = 48,
	RT_ANNO_DST_IP = 0,      /* 4 bytes, network order */
	RT_ANNO_PAINT = 16,      /* 1 byte */
	RT_ANNO_ICMP_PARAM = 17, /* 1 byte: ICMP parameter-problem pointer */
	RT_ANNO_FIX_IP_SRC = 19, /* 1 byte flag */
	RT_ANNO_VLAN_TCI = 20,   /* 2 bytes */
};

/* Click's packet types (Packet::PacketType). */
enum rt_pkt_type {
	RT_PKT_HOST = 0,
	RT_PKT_BROADCAST = 1,
	RT_PKT_MULTICAST = 2,
	RT_PKT_OTHERHOST = 3,
	RT_PKT_OUTGOING = 4,
	RT_PKT_LOOPBACK = 5,
	RT_PKT_FASTROUTE = 6,
};

#define RT_NO_HDR (-1)

struct rt_pkt {
	uint8_t *buf;        /* buffer start: headroom begins here */
	uint32_t cap;        /* buffer size in bytes */
	uint32_t off;        /* data = buf + off; headroom = off */
	uint32_t len;        /* data length; tailroom = cap - off - len */
	int32_t mac_off;     /* MAC header annotation, from buf; RT_NO_HDR if unset */
	int32_t ip_off;      /* IP header annotation, from buf; RT_NO_HDR if unset */
	uint32_t ip_hlen;    /* IP header length; transport header = ip_off + ip_hlen */
	uint8_t pkt_type;    /* enum rt_pkt_type */
	uint8_t anno[RT_ANNO_SIZE];
	uint64_t tstamp_ns;       /* timestamp annotation (module clock) */
	uint64_t first_tstamp_ns; /* "first timestamp" annotation (SetTimestamp FIRST) */
	/* The owner's handle (an rte_mbuf *): never touched by the runtime. The
	 * caller syncs off/len back into it when it gets the packet back. */
	void *handle;
};

static inline uint8_t *rt_pkt_data(const struct rt_pkt *p) { return p->buf + p->off; }
static inline uint32_t rt_pkt_headroom(const struct rt_pkt *p) { return p->off; }
static inline uint32_t rt_pkt_tailroom(const struct rt_pkt *p) { return p->cap - p->off - p->len; }
static inline bool rt_pkt_has_ip(const struct rt_pkt *p) { return p->ip_off >= 0; }
static inline uint8_t *rt_pkt_ip(const struct rt_pkt *p) { return p->buf + p->ip_off; }
/* Bytes from the IP header (or transport header) to the end of the data
 * (the header may lie before the data pointer, as after a Strip); 0 if the
 * annotation is unset or lies beyond the data. */
uint32_t rt_pkt_ip_avail(const struct rt_pkt *p);
uint32_t rt_pkt_transp_avail(const struct rt_pkt *p);
static inline uint8_t *rt_pkt_transp(const struct rt_pkt *p) { return p->buf + p->ip_off + p->ip_hlen; }

/* dst-IP annotation, host order. */
uint32_t rt_pkt_dst_anno(const struct rt_pkt *p);
void rt_pkt_set_dst_anno(struct rt_pkt *p, uint32_t addr);
/* Set the IP header annotation at data offset `off` with length `hlen`. */
void rt_pkt_set_ip_header(struct rt_pkt *p, uint32_t data_off, uint32_t hlen);

/* Zero a view with seven 16-byte stores: a memset of this size becomes
 * `rep stos` on some targets, whose start-up costs more than the stores. */
typedef uint8_t rt__v16 __attribute__((vector_size(16)));
_Static_assert(sizeof(struct rt_pkt) == 7 * 16, "rt__pkt_zero covers the view");
static inline void rt__pkt_zero(struct rt_pkt *p)
{
	const rt__v16 z = {0};
	uint8_t *b = (uint8_t *)p;
	memcpy(b, &z, 16);
	memcpy(b + 16, &z, 16);
	memcpy(b + 32, &z, 16);
	memcpy(b + 48, &z, 16);
	memcpy(b + 64, &z, 16);
	memcpy(b + 80, &z, 16);
	memcpy(b + 96, &z, 16);
}

/* Reset a packet view onto a buffer: data at `headroom`, length `len`,
 * annotations cleared. For pools and callers wrapping their own buffers.
 * Inline: the fast path sets up one per received packet, and a call plus
 * a memset of the whole view cost more than the stores. */
static inline void rt_pkt_init(struct rt_pkt *p, uint8_t *buf, uint32_t cap, uint32_t headroom,
                               uint32_t len, void *handle)
{
	uint32_t off = headroom <= cap ? headroom : cap;
	rt__pkt_zero(p);
	p->buf = buf;
	p->cap = cap;
	p->off = off;
	p->len = len <= cap - off ? len : cap - off;
	p->mac_off = RT_NO_HDR;
	p->ip_off = RT_NO_HDR;
	p->handle = handle;
}

/* The packet allocator (a DPDK mempool in the fast path, rt_simple_pool in
 * tests). alloc returns a packet whose buffer has room for `size` data bytes
 * after the pool's default headroom, with len 0 and annotations cleared
 * (rt_pkt_init), or NULL when the pool is empty. free returns it. */
struct rt_pool {
	struct rt_pkt *(*alloc)(void *ctx, uint32_t size);
	void (*free)(void *ctx, struct rt_pkt *p);
	void *ctx;
};

/* A fixed pool for tests and `innet click run`: `count` packets of `bufsize`
 * bytes each with `headroom` bytes of default headroom, allocated once. */
struct rt_simple_pool;
struct rt_simple_pool *rt_simple_pool_new(uint32_t count, uint32_t bufsize, uint32_t headroom);
void rt_simple_pool_free(struct rt_simple_pool *sp);
struct rt_pool rt_simple_pool_ops(struct rt_simple_pool *sp);
uint32_t rt_simple_pool_in_use(const struct rt_simple_pool *sp);

/* ------------------------------------------------------------------------
 * 2. Modules
 * ------------------------------------------------------------------------ */

struct rt_module;
struct flow_prog;
struct rt_wbuf;
struct rt_rbuf;
struct rt_table_stats;

struct rt_env {
	struct rt_pool pool;
	/* A packet reached device output `dev` (ToDevice(dev)/ToNetFront(dev)).
	 * The callee owns it (frees it through the pool). */
	void (*tx)(void *ctx, uint32_t dev, struct rt_pkt *p);
	void *tx_ctx;
	/* Print's lines (NULL: discarded). */
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
};

struct rt_limits {
	/* Most bytes the module's block may take (0: no limit): instantiation
	 * fails with -ENOMEM and a diagnostic when the tables would not fit. */
	size_t mem_max;
	/* The module's flow quota: the most mappings all its flow tables
	 * (IPRewriter, IPAddrRewriter, ChangeEnforcer) hold together (0: no
	 * limit beyond memory). At the quota a new flow meets Click's full
	 * table: the best-effort flow expiring first is evicted, else the new
	 * flow is refused. Table memory is allocated as flows need it and
	 * counts against mem_max. */
	uint32_t flow_capacity;
	/* Nested pushes before a packet is dropped (push loops; 0: 256). */
	uint32_t max_depth;
	uint64_t seed; /* per-module PRNG (rewriter ports, IP IDs) */
	/* Run every packet through the generic interpreter: no compiled
	 * chains (src/runtime/README.md, "Compiled chains"). The environment
	 * variable INNET_RT_NOCOMPILE=1 (any value but "0") does the same for
	 * every module made while it is set: tests run both paths. */
	bool no_compile;
};

/* Instantiate the graph. The graph must outlive the module (element
 * configurations are read from it) unless `take_graph` is set, in which case
 * rt_module_free frees it. `now_ns` is the module clock at start (timers are
 * scheduled from it). Returns 0, or a negative errno with diagnostics. */
int rt_module_new(const struct click_graph *g, const struct rt_env *env,
                  const struct rt_limits *lim, uint64_t now_ns, bool take_graph,
                  struct rt_module **out, struct diags *d);
/* The graph it runs, and its i-th element (graph order). */
const struct click_graph *rt_module_graph(const struct rt_module *m);
struct rt_elem *rt_module_elem(const struct rt_module *m, uint32_t i);
/* Frees packets still held (queues) through the pool. */
void rt_module_free(struct rt_module *m);
/* Bytes of the module's block (element states, tables, rings). */
size_t rt_module_mem_size(const struct rt_module *m);

/* The device a process module's wrapper reaches its program by
 * (ToProcess/FromProcess, src/elements/process.c); device 0 faces the
 * network. The dataplane joins a process module's device 1 to the host's
 * process port (src/vm, docs/process-modules.md). */
#define VM_PROCESS_DEVICE 1u

/* Device ports: FromDevice(N)/FromNetFront(N) is input N and
 * ToDevice(N)/ToNetFront(N) output N (N < 256); ndev is the highest N + 1
 * (a number in between may have no element). Two elements reading the same
 * device are refused at instantiation. */
uint32_t rt_module_ndev_in(const struct rt_module *m);
uint32_t rt_module_ndev_out(const struct rt_module *m);
/* The element name of device input/output `dev` (NULL if none). */
const char *rt_module_dev_in_name(const struct rt_module *m, uint32_t dev);
const char *rt_module_dev_out_name(const struct rt_module *m, uint32_t dev);

/* Push `p` into device input `dev` at time now_ns; the module owns it
 * afterwards (it is forwarded, queued or freed). Returns 0, or -EINVAL for a
 * bad dev (the packet is then freed). */
int rt_module_push(struct rt_module *m, uint32_t dev, struct rt_pkt *p, uint64_t now_ns);
/* rt_module_push for n packets in order, as a vector: the device checks
 * run over the burst first, then the good packets travel the graph
 * together through compiled chains (src/runtime/chain.c) and elements
 * with push_burst (below), one by one after that. Each element sees the
 * packets in their order; v is used as scratch. The last error, or 0. */
int rt_module_push_burst(struct rt_module *m, uint32_t dev, struct rt_pkt **v, uint32_t n,
                         uint64_t now_ns);
/* What a driver mirrors after each push (the fast path, once per
 * module per burst): the drops during it, the packets queued and the
 * block's memory after it, and the next deadline. */
struct rt_push_report {
	uint64_t drops;      /* rt_counters.drops (bad_in included) after less before */
	uint64_t next;       /* rt_module_next_deadline after */
	uint32_t queued;     /* rt_counters.queued after */
	size_t mem;          /* rt_module_mem_size after */
};
/* rt_module_push_burst, then the pull tasks due at now_ns (a Queue's
 * ToDevice runs before the packets leave the driver), with what changed
 * in *r: one call where the fast path made six, which with many tenants
 * is paid for every packet (bursts are one module's packet). */
void rt_module_push_report(struct rt_module *m, uint32_t dev, struct rt_pkt **v, uint32_t n,
                           uint64_t now_ns, struct rt_push_report *r);
/* The compiled chains' memory, outside the block (*p NULL, *bytes 0:
 * none), fixed from rt_module_new on: a caller that prefetches a module
 * ahead keeps these so it need not read the module's header to find them. */
void rt_module_chain_mem(const struct rt_module *m, const void **p, size_t *bytes);
/* Push `p` straight into input `port` of the element named `elem`, as if
 * an upstream element had pushed it (tests, the agreement harness, frames
 * that are not IPv4). The packet's annotations are used as given. 0,
 * -ENOENT (no element), -EINVAL (no such push input); p is freed on error. */
int rt_module_push_elem(struct rt_module *m, const char *elem, uint32_t port,
                        struct rt_pkt *p, uint64_t now_ns);
/* Pull once from output `port` of element `elem` (tests): NULL if nothing. */
struct rt_pkt *rt_module_pull_elem(struct rt_module *m, const char *elem, uint32_t port,
                                   uint64_t now_ns);
/* Run every timer and pull task that is due at now_ns (TimedUnqueue,
 * RatedUnqueue, Unqueue, ToDevice and Discard in pull context, rewriter
 * reaping). Returns the number of packets moved. */
uint32_t rt_module_run_timers(struct rt_module *m, uint64_t now_ns);
/* The earliest time rt_module_run_timers has work (UINT64_MAX: none until
 * the next push). Pull tasks (Unqueue, ToDevice/Discard in pull context,
 * RatedUnqueue with tokens) with packets queued in the module are due at
 * once, so after a burst of pushes the caller checks this and polls; a task
 * blocked by a shaper or out of tokens is due when that ends. */
uint64_t rt_module_next_deadline(const struct rt_module *m);
/* The earliest timer of an element that makes packets of its own
 * (ELEM_MAKES: InfiniteSource, TimedSource, ...); UINT64_MAX when none
 * will make more. `innet click run` keeps running until then. */
uint64_t rt_module_next_source(const struct rt_module *m);
/* Same as rt_module_run_timers; named for callers that poll every loop. */
uint32_t rt_module_poll(struct rt_module *m, uint64_t now_ns);

struct rt_counters {
	uint64_t rx_pkts, rx_bytes;   /* pushed into device inputs */
	uint64_t tx_pkts, tx_bytes;   /* handed to env->tx */
	uint64_t drops;               /* freed inside the module */
	uint64_t bad_in;              /* failed the device input check */
	uint64_t alloc_fail;          /* pool empty when an element needed a packet */
	uint32_t queued;              /* packets held in queues now */
};
void rt_module_counters(const struct rt_module *m, struct rt_counters *c);
/* How many compiled chains the module runs (0 with rt_limits.no_compile
 * or INNET_RT_NOCOMPILE, or when no element it has can be fused), and
 * how many fused steps they hold together. Tests and benchmarks. */
uint32_t rt_module_chains(const struct rt_module *m, uint32_t *steps);

/* Read an element's handler value ("count", "byte_count", "drops",
 * "length", "highwater_length", "mapping_count", ...) by element name.
 * 0, -ENOENT (no such element) or -EOPNOTSUPP (no such handler). */
int rt_module_read(const struct rt_module *m, const char *elem, const char *handler,
                   uint64_t *val);

/* ---- state snapshots: suspend and resume ---- */

/* A growable byte buffer for save hooks (control thread: it may
 * allocate). Errors stick: after a failed allocation `oom` is set and
 * further writes do nothing. Integers are little-endian; varints are
 * LEB128 (7 bits a byte), so small numbers take one byte. */
struct rt_wbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};
void rt_wbuf_u32(struct rt_wbuf *w, uint32_t v);
void rt_wbuf_u64(struct rt_wbuf *w, uint64_t v);
void rt_wbuf_free(struct rt_wbuf *w);
/* The slow paths of the inline writers below (growing the buffer). */
void rt_wbuf__append(struct rt_wbuf *w, const void *v, size_t n);
void rt_wbuf__varint(struct rt_wbuf *w, uint64_t v);
/* Inline: a save writes a few fields for each of thousands of entries. */
static inline void rt_wbuf_put(struct rt_wbuf *w, const void *v, size_t n)
{
	if (n && w->cap - w->len >= n) {
		memcpy(w->p + w->len, v, n);
		w->len += n;
	} else {
		rt_wbuf__append(w, v, n);
	}
}
static inline void rt_wbuf_u8(struct rt_wbuf *w, uint8_t v)
{
	if (w->len < w->cap)
		w->p[w->len++] = v;
	else
		rt_wbuf__append(w, &v, 1);
}
static inline void rt_wbuf_varint(struct rt_wbuf *w, uint64_t v)
{
	if (v < 0x80 && w->len < w->cap)
		w->p[w->len++] = (uint8_t)v;
	else
		rt_wbuf__varint(w, v);
}

/* A reader over saved bytes. Reading past the end sets `bad` and
 * returns zeros, so a load hook reads everything and checks once. */
struct rt_rbuf {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};
void rt_rbuf_get(struct rt_rbuf *r, void *v, size_t n);
uint32_t rt_rbuf_u32(struct rt_rbuf *r);
uint64_t rt_rbuf_u64(struct rt_rbuf *r);
/* The slow path of rt_rbuf_varint (several bytes, or bad). */
uint64_t rt_rbuf__varint(struct rt_rbuf *r);
static inline uint8_t rt_rbuf_u8(struct rt_rbuf *r)
{
	if (!r->bad && r->off < r->len)
		return r->p[r->off++];
	r->bad = true;
	return 0;
}
static inline uint64_t rt_rbuf_varint(struct rt_rbuf *r)
{
	if (!r->bad && r->off < r->len && r->p[r->off] < 0x80)
		return r->p[r->off++];
	return rt_rbuf__varint(r);
}
static inline size_t rt_rbuf_left(const struct rt_rbuf *r) { return r->bad ? 0 : r->len - r->off; }

/* What a stateful element's table holds, for operators and tenants
 * (GET /v1/modules/{id}, /metrics): entries now (mappings, packets), the
 * most it may hold (its share of the module's quota), and the packets it
 * dropped because it was full. `drops`: every packet it dropped (its
 * rt_elem's count unless its hook keeps one across suspends). A sandbox
 * element (ChangeEnforcer) also says why it refused what the module
 * sent: a source that is not the module's (`refused_source`), a
 * destination outside the tenant's prefixes, whitelist and replies
 * (`refused_destination`); 0 for every other element. */
struct rt_table_stats {
	uint64_t entries, capacity, full_drops;
	uint64_t drops, refused_source, refused_destination;
};
/* The table of stateful element i of m (rt_graph_stateful's idx):
 * 0, or -ENOENT when that element shows none. */
int rt_module_table(const struct rt_module *m, uint32_t i, struct rt_table_stats *st);

/* The elements of g that hold state (their class has a save hook): how
 * many, with the first `max` of their indices in idx[] (idx may be NULL
 * with max 0). A graph with any is a stateful module. */
uint32_t rt_graph_stateful(const struct click_graph *g, uint32_t *idx, uint32_t max);

/* Save the live state of every stateful element of m: a malloc'd blob
 * (*out, *len; the caller frees it). `now_ns` is the module clock,
 * `wall_ns` the wall clock (CLOCK_REALTIME) at the save, so a load in
 * another process knows how long the module was away. 0, -ENOMEM. */
int rt_module_save(const struct rt_module *m, uint64_t now_ns, uint64_t wall_ns, void **out,
                   size_t *len);
/* Load a blob into m, just made by rt_module_new from the same
 * configuration (elements are matched by name and class; an element the
 * blob does not name keeps its fresh state, a saved element the
 * configuration no longer has is ignored). `wall_ns` is the wall clock
 * now (a clock that went backwards counts as no time away). 0, or
 * -EINVAL with a diagnostic for bytes that are not a saved state (bad
 * magic or version, truncated, a check value that does not match: the
 * blob ends with a 64-bit check over its bytes). After a failed load some
 * elements may hold loaded state: free m and start a fresh module.
 * Control thread; packets of loaded queues come from m's pool. */
int rt_module_load(struct rt_module *m, const void *blob, size_t len, uint64_t now_ns,
                   uint64_t wall_ns, struct diags *d);

/* ------------------------------------------------------------------------
 * 3. Element-facing API
 * ------------------------------------------------------------------------ */

/* One element instance inside a module. The fields a push touches come
 * first (one cache line): module, packet functions, conf, state, outputs. */
struct rt_elem {
	struct rt_module *m;
	const struct elem_runtime *rt; /* ce->cls->runtime, cached: no pointer chase per hop */
	const void *conf;      /* ce->conf */
	void *state;           /* state_size bytes in the module's block, zeroed */
	struct rt_port *out;   /* noutputs */
	uint32_t noutputs, ninputs;
	uint64_t drops;        /* packets this element freed */
	const struct click_element *ce;
	uint32_t index;
	uint32_t dev;          /* device number for device elements */
	bool task;             /* a pull task now (rt_task_enable; rt_task_timer clears it) */
	uint64_t deadline;     /* next timer (UINT64_MAX: none) */
	struct rt_port *in;    /* ninputs */
	uint32_t queued;       /* packets this element holds (rt_queued_add) */
	uint32_t nup;          /* elements with run: what their pulls can reach */
	struct rt_elem **up;
};

struct rt_port {
	struct rt_elem *peer;  /* NULL: unconnected */
	uint32_t port;
	bool push;             /* resolved processing of this port */
	/* The compiled chain that starts at the peer (1 + its index in the
	 * module's chains; 0: none, the interpreter goes on): set at
	 * rt_module_new, in the padding, so the port stays 16 bytes. */
	uint16_t chain;
};

/* What a fused step (elem_runtime.step) returns besides an output port:
 * the step freed, queued or pushed the packet itself. */
#define RT_STEP_GONE (-1)

struct elem_runtime {
	/* Bytes of state for this instance (NULL: none). `flow_capacity` is
	 * the module's limit for flow tables. */
	size_t (*state_size)(const struct rt_elem *e, uint32_t flow_capacity);
	/* Set up state (zeroed before); may call rt_timer_at/rt_task_enable/rt_task_timer.
	 * Returns 0 or a negative errno (after adding a diagnostic). */
	int (*init)(struct rt_elem *e, struct diags *d);
	/* Click's simple_action for one-input elements: returns the packet to
	 * emit on output 0 (or NULL after freeing it or pushing it elsewhere).
	 * Used for push input 0 and pull output 0 when push/pull are NULL. */
	struct rt_pkt *(*action)(struct rt_elem *e, struct rt_pkt *p);
	void (*push)(struct rt_elem *e, uint32_t port, struct rt_pkt *p);
	struct rt_pkt *(*pull)(struct rt_elem *e, uint32_t port);
	/* Timer or task: called by rt_module_run_timers when e->deadline is
	 * reached or (for tasks) when packets are queued in the module. Returns
	 * the number of packets it moved. */
	uint32_t (*run)(struct rt_elem *e, uint64_t now_ns);
	int (*read)(const struct rt_elem *e, const char *handler, uint64_t *val);
	/* Free packets held in state (NULL: none held). */
	void (*fini)(struct rt_elem *e);
	/* Device elements: the module device number they stand for
	 * (FromDevice(N)); NULL: numbered in graph order. */
	uint32_t (*device)(const struct rt_elem *e);
	/* Stateful elements (per-flow memory: rewriters, enforcers, ARP
	 * tables, queues that hold packets) have both; an element with a
	 * save hook makes its module stateful (rt_graph_stateful). save
	 * writes the live state with times relative to now_ns (remaining
	 * lifetimes); load restores it into a freshly initialised instance
	 * of the same configuration, `away_ns` after the save: what expired
	 * meanwhile is gone, as if the module had run. Control thread, the
	 * module not running. 0 or a negative errno (load: -EINVAL for bytes
	 * that do not parse, with a diagnostic). */
	int (*save)(const struct rt_elem *e, struct rt_wbuf *w, uint64_t now_ns);
	/* Stateful elements: what their table holds (NULL: nothing to show). */
	void (*table)(const struct rt_elem *e, struct rt_table_stats *st);
	int (*load)(struct rt_elem *e, struct rt_rbuf *r, uint64_t now_ns, uint64_t away_ns,
	            struct diags *d);
	/* Optional: n packets (1..RT_BURST_MAX, in arrival order) on push
	 * input `port` at once, with the same result as n calls of push (or
	 * action) in that order; v is the caller's scratch. Elements without
	 * it get their packets one by one. */
	void (*push_burst)(struct rt_elem *e, uint32_t port, struct rt_pkt **v, uint32_t n);
	/* Optional, for compiled chains (src/runtime/chain.c): a fused step
	 * does to one packet on push input `port` what push (or action) does,
	 * except the final rt_push: it returns the output port the packet
	 * leaves by (the chain runs the next step when that port continues
	 * the chain, else pushes it there as the interpreter would), or
	 * RT_STEP_GONE when it dropped, queued or pushed the packet itself.
	 * It may replace *pp (a copy, a reallocation). Elements with only an
	 * action are fused through their action; others without a step end
	 * a chain. */
	int32_t (*step)(struct rt_elem *e, uint32_t port, struct rt_pkt **pp);
	/* Optional: a pass-through whose only work is counting (Counter):
	 * the chain makes no call per packet and adds what passed, once per
	 * burst, with this. */
	void (*step_count)(struct rt_elem *e, uint64_t pkts, uint64_t bytes);
	/* Optional (classifiers, with step): the rule program the step runs
	 * (compiled at init, in the state) and the output of rule i, so the
	 * chain runs the program inline with the outputs as a table. */
	const struct flow_prog *(*step_prog)(const struct rt_elem *e);
	int32_t (*step_rule_out)(const struct rt_elem *e, uint32_t rule);
	/* With step: without output 0 connected the step is rt_tx alone
	 * (ToDevice), which the chain does inline. */
	bool step_tx;
};

/* Most packets that travel the graph together (push_burst's n). */
#define RT_BURST_MAX 64

/* Emit on output `port` (push); an unconnected or missing port frees the
 * packet and counts a drop (Click's "optional output absent"). */
void rt_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p);
/* rt_push for n packets in order: to the peer's push_burst when it has
 * one (RT_BURST_MAX at a time), else one by one. v is scratch afterwards. */
void rt_push_burst(struct rt_elem *e, uint32_t port, struct rt_pkt **v, uint32_t n);
/* Pull from input `port`; NULL when nothing is available. */
struct rt_pkt *rt_pull(struct rt_elem *e, uint32_t port);
/* Free a packet and count it as this element's drop. */
void rt_drop(struct rt_elem *e, struct rt_pkt *p);
/* Return a packet to the pool without counting a drop (consumed). */
void rt_consume(struct rt_elem *e, struct rt_pkt *p);
/* True if output `port` exists and is connected. */
bool rt_has_output(const struct rt_elem *e, uint32_t port);
/* A new packet with room for `size` bytes (len 0) / an independent copy of
 * p (data, headroom contents and annotations); NULL if the pool is empty. */
struct rt_pkt *rt_pkt_alloc(struct rt_elem *e, uint32_t size);
struct rt_pkt *rt_pkt_copy(struct rt_elem *e, const struct rt_pkt *p);
/* Prepend n bytes (Unstrip, encapsulation). If the headroom is too small the
 * packet is copied into a new one with enough headroom (p is freed). Returns
 * the packet, or NULL if no packet could be had (p is then freed). */
struct rt_pkt *rt_pkt_push_front(struct rt_elem *e, struct rt_pkt *p, uint32_t n);
/* Remove n bytes from the front (clamped). */
void rt_pkt_pull_front(struct rt_pkt *p, uint32_t n);
/* Trim the data to len bytes (no-op if already shorter). */
void rt_pkt_take_len(struct rt_pkt *p, uint32_t len);

/* Hand a packet to the module's device output (ToDevice/ToNetFront). */
void rt_tx(struct rt_elem *e, struct rt_pkt *p);

uint64_t rt_now(const struct rt_elem *e);
uint32_t rt_random(struct rt_elem *e);
/* Schedule this element's run at `when` (UINT64_MAX: cancel). */
void rt_timer_at(struct rt_elem *e, uint64_t when);
/* A pull answered nothing because of a rate until `when` (shapers): the
 * pull task that asked sleeps until then instead of spinning. */
void rt_pull_wait(struct rt_elem *e, uint64_t when);
/* Make this element a pull task: run whenever packets are queued in an
 * element its pull inputs reach. Also callable from run, to put an element
 * that rt_task_timer made a timer back to sleep until its upstream holds
 * packets (Click's Task woken by Notifier::upstream_empty_signal). */
void rt_task_enable(struct rt_elem *e);
/* From run (or init): this pull task is a timer until it next runs, at
 * `when` whatever its upstream holds, and packets queued before then do
 * not run it (Click's TimedUnqueue while its Timer is scheduled). After
 * that run it stays a timer (deadline UINT64_MAX: never) unless run calls
 * rt_task_timer or rt_task_enable again. Module thread. */
void rt_task_timer(struct rt_elem *e, uint64_t when);
/* Does anything this element's pulls can reach hold packets (what wakes a
 * pull task)? A pull that failed while it does met a rate, not an empty
 * queue. Module thread. */
bool rt_upstream_holds(const struct rt_elem *e);
/* Queues report packets they hold so pull tasks sleep when none are. */
void rt_queued_add(struct rt_elem *e, int32_t delta);
void rt_log(struct rt_elem *e, const char *line);
/* The module's flow quota (rt_limits.flow_capacity, or a default when
 * unset): a size hint for elements that preallocate (ARPQuerier). */
uint32_t rt_flow_capacity(const struct rt_elem *e);
/* The module's flow quota that its flow tables share (the flow table). */
struct rt_flowquota *rt_flow_quota(const struct rt_elem *e);

/* ==== packet bytes: checksums and byte order ================================ */
/* Byte-order access and Internet checksums for packet functions, computed
 * the way Click computes them (click_in_cksum, RFC 1624 updates). */
static inline uint16_t rt_rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rt_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void rt_wr16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static inline void rt_wr32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

enum {
	RT_IP_PROTO_ICMP = 1,
	RT_IP_PROTO_TCP = 6,
	RT_IP_PROTO_UDP = 17,
	RT_IP_DF = 0x4000,
	RT_IP_MF = 0x2000,
	RT_IP_OFFMASK = 0x1fff,
};

/* One's-complement sum of len bytes (big-endian words) added to sum. */
uint32_t rt_csum_add(uint32_t sum, const uint8_t *p, size_t len);
/* Fold and complement: the checksum field value. */
uint16_t rt_csum_fold(uint32_t sum);
/* The Internet checksum of len bytes (click_in_cksum). */
static inline uint16_t rt_csum(const uint8_t *p, size_t len) { return rt_csum_fold(rt_csum_add(0, p, len)); }
/* TCP/UDP pseudo-header sum for an IPv4 header (src, dst, proto, len). */
uint32_t rt_csum_pseudo(const uint8_t *ip, uint16_t transport_len);

/* RFC 1624 eqn. 3 (click_update_in_cksum): field at csum goes from old to new. */
void rt_csum_update16(uint8_t *csum, uint16_t old_w, uint16_t new_w);
void rt_csum_update32(uint8_t *csum, uint32_t old_v, uint32_t new_v);
/* Add a precomputed one's-complement delta (sum of ~old + new words). */
void rt_csum_apply_delta(uint8_t *csum, uint32_t delta);

/* Recompute the IPv4 header checksum in place. */
void rt_ip_set_csum(uint8_t *ip, uint32_t hlen);

/* The one's-complement sum of a 20-byte header, folded, in native byte
 * order: five 32-bit words without a loop (the sum does not depend on
 * byte order, so a correct header gives 0xffff either way). */
static inline uint16_t rt__ip_sum20(const uint8_t *ip)
{
	uint32_t w[5];
	memcpy(w, ip, sizeof w);
	uint64_t s = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s; /* in native order: store it with memcpy */
}

/* True when the IPv4 header at ip (hlen bytes) has a correct checksum;
 * the usual 20-byte header unrolled, headers with options by the loop. */
static inline bool rt_ip_csum_ok(const uint8_t *ip, uint32_t hlen)
{
	if (hlen != 20)
		return rt_csum(ip, hlen) == 0;
	return rt__ip_sum20(ip) == 0xffff;
}

/* CheckIPHeader's header checks on the IPv4 header at ip, with avail bytes
 * from it: version 4, header length at least 20, total length between the
 * header length and avail, and (when checksum) the header checksum. The
 * header length, or 0 when a check fails. Devices and CheckIPHeader. */
static inline uint32_t rt_ip_header_len(const uint8_t *ip, uint32_t avail, bool checksum)
{
	if (avail < 20 || (ip[0] >> 4) != 4)
		return 0;
	uint32_t hlen = (uint32_t)(ip[0] & 15) << 2, tot = rt_rd16(ip + 2);
	if (hlen < 20 || tot < hlen || tot > avail)
		return 0;
	if (checksum && !rt_ip_csum_ok(ip, hlen))
		return 0;
	return hlen;
}

static inline int rt_ip_first_frag(const uint8_t *ip) { return (rt_rd16(ip + 6) & RT_IP_OFFMASK) == 0; }
static inline int rt_ip_is_frag(const uint8_t *ip) { return (rt_rd16(ip + 6) & (RT_IP_OFFMASK | RT_IP_MF)) != 0; }

/* ==== the flow table ======================================================== */
/* Mapping tables for the stateful elements (IPRewriter, IPAddrRewriter,
 * ChangeEnforcer), with Click's IPRewriterBase rules: every flow installs a
 * forward and a reply key; a new flow takes its keys from whatever flow
 * held them and that flow is destroyed (store_flow); timeouts are soft
 * (an expired flow works until the reaper removes it); a full table
 * evicts the best-effort flow that expires first, or refuses the new
 * flow when every flow is within its guarantee (MAPPING_CAPACITY).
 *
 * The struct lives in the element's state; its records and index are
 * allocated outside the module block, start small and double as live
 * flows need (amortised: no allocation per packet in steady state), and
 * are charged to the module's flow quota (struct rt_flowquota): most
 * flows all its tables hold together and most bytes they take. A table
 * that may not grow behaves as full. Free with rt_flowtab_fini. */
struct rt_flowid {
	uint32_t saddr, daddr; /* host order */
	uint16_t sport, dport;
	uint8_t proto;
};

/* The reply key of a (rewritten) flow: addresses and ports swapped. */
static inline struct rt_flowid rt_flowid_reverse(struct rt_flowid f)
{
	return (struct rt_flowid){ .saddr = f.daddr, .daddr = f.saddr, .sport = f.dport,
	                           .dport = f.sport, .proto = f.proto };
}

struct rt_flow {
	struct rt_flowid key;   /* as the forward packet arrives */
	struct rt_flowid rew;   /* what forward packets become */
	uint32_t ip_delta;      /* checksum deltas, forward direction */
	uint32_t l4_delta;
	/* ns, module clock: guaranteed until `guarantee`, then best-effort
	 * until `expiry` (Click's two heaps) */
	uint64_t expiry, guarantee;
	uint32_t packets;
	uint16_t fout, rout;
	uint8_t flags;          /* element-defined (TCP state, seen directions) */
	uint8_t reply_anno;
};

/* A module's flow quota, shared by all its tables (rt_flow_quota). */
struct rt_flowquota {
	uint32_t max_flows, flows; /* max 0: no limit beyond memory */
	size_t max_bytes, bytes;   /* table memory; max SIZE_MAX: no limit */
};

struct rt_flowtab {
	struct rt_flowquota *q;  /* NULL: none */
	uint32_t cap;            /* the element's own limit (MAPPING_CAPACITY) */
	uint32_t count, nflows, nslots;
	uint32_t first;          /* flows of the first allocation (0: 16) */
	struct rt_flow *flows;   /* count live, dense; nflows allocated */
	uint32_t *slots;
	uint64_t guar_lb;        /* <= every live flow's guarantee */
	uint64_t replaced;       /* flows destroyed by a newer flow (store_flow) */
};

struct rt_pkt;

/* The flow id of a packet (IP header annotation set; ports only when
 * `ports` and it is a first fragment with >= 4 transport bytes). */
struct rt_flowid rt_pkt_flowid(const struct rt_pkt *p, bool ports);

/* An empty table holding at most cap flows (0: 1), charged to q (NULL:
 * no quota). Allocates nothing until the first insert. */
void rt_flowtab_init(struct rt_flowtab *t, uint32_t cap, struct rt_flowquota *q);
/* Allocate room for n flows (a power of two, 1..16) at the first insert
 * instead of 16: for tables that usually hold a flow or two, one per
 * module of thousands (ChangeEnforcer). Call after init, before any
 * insert; growth doubles from there as usual. */
void rt_flowtab_first(struct rt_flowtab *t, uint32_t n);
/* Free its memory and return its flows and bytes to the quota. */
void rt_flowtab_fini(struct rt_flowtab *t);
uint32_t rt_flowtab_count(const struct rt_flowtab *t);
uint32_t rt_flowtab_capacity(const struct rt_flowtab *t);
/* Bytes allocated for records and index. */
size_t rt_flowtab_mem(const struct rt_flowtab *t);
/* Make room for n flows at once (a load of saved mappings: one
 * allocation instead of a doubling per power of two), within the
 * capacity and the memory quota. False when the room cannot be had (the
 * inserts then grow the table as far as the quota lets them). */
bool rt_flowtab_reserve(struct rt_flowtab *t, uint32_t n);
/* The flow whose forward (*dir = 0) or reply (*dir = 1) key is k. */
struct rt_flow *rt_flowtab_lookup(struct rt_flowtab *t, const struct rt_flowid *k, int *dir);
/* True if some flow already uses k as a forward or reply key. */
bool rt_flowtab_key_used(struct rt_flowtab *t, const struct rt_flowid *k);
/* Install key -> rew (checksum deltas computed) with the given expiry and
 * guarantee; flows holding key or rew's reply key are destroyed first
 * (store_flow). NULL when refused as full (Click's mapping failure). The
 * pointer is valid until the next insert or remove. */
struct rt_flow *rt_flowtab_insert(struct rt_flowtab *t, const struct rt_flowid *key,
                                  const struct rt_flowid *rew, uint64_t now, uint64_t expiry,
                                  uint64_t guarantee);
/* Remove f; the last flow moves into its place (rt_flowtab_at order). */
void rt_flowtab_remove(struct rt_flowtab *t, struct rt_flow *f);
/* Set f's guarantee (use this rather than writing f->guarantee: the table
 * keeps a lower bound so a full table refuses new flows without a scan). */
void rt_flowtab_guarantee(struct rt_flowtab *t, struct rt_flow *f, uint64_t g);
/* What the reaper removes at now: past its guarantee and its expiry. */
bool rt_flowtab_dead(const struct rt_flow *f, uint64_t now);
/* The reaper (Click's gc timer): remove dead flows; returns how many. */
uint32_t rt_flowtab_reap(struct rt_flowtab *t, uint64_t now);
/* The i-th live flow, i < count (NULL beyond). */
struct rt_flow *rt_flowtab_at(struct rt_flowtab *t, uint32_t i);

/* ==== running a configuration over a capture (innet click run) ============== */
/* `innet click run FILE --in IN.pcap --out OUT.pcap`: run a configuration
 * on a capture with the same runtime as the fast path. */
struct rt_run_opts {
	uint32_t dev_in;      /* device input the capture enters (0) */
	uint64_t drain_ns;    /* after the last packet, run timers this much longer
	                         while packets are queued (0: one day) */
	const struct click_define *defines; /* $VARIABLES for the configuration */
	size_t ndefines;
	struct rt_limits lim;
	FILE *log;            /* Print/IPPrint lines, one per line (NULL: dropped) */
};

struct rt_run_stats {
	uint64_t read, pushed, skipped; /* skipped: not IPv4 or too large */
	uint64_t written;
	struct rt_counters c;
};

/* Packets of IN enter device input o->dev_in at their capture times
 * (Ethernet, raw IP, BSD loopback and Linux cooked captures; non-IPv4
 * frames are skipped); timers run on capture time; what reaches any device
 * output is written to OUT as raw IPv4 (LINKTYPE_RAW) stamped with the
 * module time it left. 0, or a negative errno with diagnostics. Without
 * libpcap: -ENOTSUP. */
int rt_run_pcap(const char *config_path, const char *in_pcap, const char *out_pcap,
                const struct rt_run_opts *o, struct rt_run_stats *st, struct diags *d);

/* The command line: argv[0] is FILE, then --in, --out, [--dev N]
 * [--drain SECONDS] [-D NAME=VALUE]... Prints a summary on stderr; returns
 * the exit status (0 ok, 1 bad configuration or input, 2 usage). For
 * tools/cmd_click.c: `innet click run ...`. */
int rt_click_run_main(int argc, char **argv);

#endif
