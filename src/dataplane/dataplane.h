/* The fast path (docs/architecture.md): DPDK ports, a classifier from
 * (dst ip, proto, dst port) to modules, the modules' element graphs run on
 * one or more worker lcores, Ethernet framing added and removed around
 * them, routing of their output over the platform's uplinks, per-module
 * counters.
 *
 * Threads: every function here is called from ONE control thread (the
 * libuv loop of innetd, or a test's main thread). The fast path runs on its
 * own lcores (dp_config.lcores workers) and never blocks, allocates or
 * makes a system call per packet. Each module is owned by one worker,
 * chosen when it is added; only that worker runs it. Every worker polls
 * its own rx queue of each port and hands packets of modules it does not
 * own to their owner through a lock-free ring (src/dataplane/README.md,
 * "More than one lcore"). Control talks to each worker through a ring of
 * commands; they answer through rings of events that wake the control
 * loop with uv_async_send (or that the caller drains with dp_poll when
 * there is no loop). A module's graph is
 * built completely on the control thread and only then published; the
 * control thread frees what the fast path used only after the fast path
 * acknowledged it no longer references it.
 *
 * Built without DPDK, dp_start fails with -ENOTSUP and a message saying so;
 * the rest of the API is still there (callers never #ifdef). */
#ifndef INNET_DATAPLANE_DATAPLANE_H
#define INNET_DATAPLANE_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"
#include "base/inet.h"

struct dp;
struct click_graph;
struct rt_limits;
struct uv_loop_s;
struct dp_io;
struct rt_pkt;
struct rt_module;

#define DP_MAX_PORTS 8
/* The most packets the fast path takes at once: an rx burst, one module's
 * push, the held packets replayed per push; also the tx buffer's size. */
#define DP_MAX_BURST 64
/* The most fast-path lcores (dp_config.lcores). */
#define DP_MAX_LCORES 16

/* One port. `devargs` is a DPDK device: a vdev such as
 * "net_tap0,iface=innet0", "net_af_packet0,iface=veth0",
 * "net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap", "net_null0", "net_ring0",
 * or a PCI address of a real NIC (then do not pass --no-pci). NULL means an
 * ethdev the caller already created (rte_eth_from_rings in tests): port_id. */
struct dp_port_config {
	const char *devargs;
	uint16_t port_id;
};

/* Where module output goes: the longest prefix wins. `mac` is the next
 * hop's Ethernet address; all zeros sends to the broadcast address. */
struct dp_route {
	struct inet_prefix prefix;
	uint32_t port;   /* index into dp_config.ports */
	uint8_t mac[6];
};

/* A program runs a started module's packets on the fast path. The native
 * backend (src/vm) builds one from the module's Click graph with the
 * runtime; tests may provide their own. */
struct dp_hot;
struct dp_program_ops {
	/* Packets for the module: IPv4 without link header, IP header
	 * annotation set. Each packet is emitted with dp_emit or dropped
	 * with dp_drop, now or later (queues). Returns the program's next
	 * timer deadline (UINT64_MAX: none). Fast path. */
	uint64_t (*push)(void *self, struct dp_io *io, struct rt_pkt **pkts, uint32_t n,
	                 uint64_t now_ns);
	/* Called when `now_ns` reached the deadline it last returned (UINT64_MAX:
	 * none). Also called once right after the program is published. */
	uint64_t (*run_timers)(void *self, struct dp_io *io, uint64_t now_ns);
	/* Control thread, after the fast path let go: free everything,
	 * including packets still queued (dp_free_pkt). */
	void (*destroy)(void *self);
	/* Optional (NULL: the fast path drops them): packets for the
	 * program's input device `dev` other than 0, e.g. what a process
	 * module's program sent (device 1, see dp_process_link). As push
	 * otherwise. Fast path. */
	uint64_t (*push_dev)(void *self, struct dp_io *io, uint32_t dev, struct rt_pkt **pkts,
	                     uint32_t n, uint64_t now_ns);
	/* Optional (NULL: none): the memory push touches first, as up to
	 * DP_HOT_MAX ranges, fixed for the program's life. The fast path asks
	 * once when it publishes the program and keeps them beside the
	 * module's entry, so that with many tenants it starts loading them a
	 * few packets ahead without first reading the program. Fast path. */
	void (*hot)(const void *self, struct dp_hot *h);
};

#define DP_HOT_MAX 2
struct dp_hot {
	const void *p[DP_HOT_MAX];
	uint32_t len[DP_HOT_MAX];    /* bytes; 0: unused */
};

struct dp_program {
	const struct dp_program_ops *ops;
	void *self;
};

enum dp_event_type {
	DP_EV_NEW_FLOW = 1, /* first packet of a new flow for a module without a program
	                     * (`wake`: any packet for a suspended module) */
	DP_EV_DONE,         /* a command finished (status in `status`) */
};

struct dp_event {
	enum dp_event_type type;
	uint64_t module;    /* the module's id */
	int status;         /* DP_EV_DONE: 0 or negative errno */
	uint32_t cookie;    /* DP_EV_DONE: what the command was given */
	/* DP_EV_NEW_FLOW: the packet that opened it (host order) */
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto;
	uint64_t ts_ns;     /* DP_EV_NEW_FLOW: when the fast path saw it (dp_now_ns) */
	bool wake;          /* DP_EV_NEW_FLOW: the module is suspended (dp_module_suspend) */
	/* DP_EV_DONE of dp_module_suspend: the program the fast path let go
	 * (ops NULL: it had none). The receiver owns it from now on: it saves
	 * its state (dp_program_module, rt_module_save) and destroys it. */
	struct dp_program prog;
};

typedef void (*dp_event_fn)(void *arg, const struct dp_event *ev);

struct dp_config {
	/* EAL: extra arguments split on blanks ("--no-huge -m 256" is the
	 * default when NULL), a --file-prefix so several processes coexist
	 * (NULL: --no-shconf), and the lcores that run the fast path: `lcores`
	 * workers on lcores lcore .. lcore + lcores - 1 (the calling thread
	 * becomes the main lcore). The EAL is made once per process: its
	 * first dp_eal_init or dp_start must ask for as many lcores as any
	 * later dp_start uses. Each port gets one rx and one tx queue per
	 * worker where its driver has them (net_pcap: one per rx_pcap=);
	 * rx queues beyond what the port has are not polled, tx queues are
	 * shared under a lock. */
	const char *eal_args;
	const char *file_prefix;
	unsigned lcore;             /* 0: 1 */
	unsigned lcores;            /* 0: 1, at most DP_MAX_LCORES */
	const struct dp_port_config *ports;
	size_t nports;
	const struct dp_route *routes;
	size_t nroutes;
	uint32_t nb_mbufs;          /* 0: 8191 */
	uint32_t burst;             /* rx/tx burst, 0: 32, at most DP_MAX_BURST */
	uint32_t max_modules;       /* classifier capacity, 0: 131072 */
	uint32_t hold_packets;      /* per module while it starts, 0: 8 */
	uint32_t hold_total;        /* across all modules, 0: 4096 */
	/* Sleep this long when the ports have been empty for a while (0: busy
	 * poll, for benchmarks). Only when idle: never per packet. */
	uint32_t idle_sleep_us;
	bool answer_arp;            /* reply to ARP for module addresses */
	/* The process port (docs/process-sandbox.md, "The process port"): the
	 * name of a host interface the fast path creates (a DPDK net_tap port)
	 * and that every process module shares, each with an interface (and
	 * MAC) of its own
	 * (dp_process_link). NULL or "": none, dp_process_link refuses. */
	const char *process_port;
	/* Events: delivered on `loop` (uv_async) when set, else by dp_poll. */
	struct uv_loop_s *loop;
	dp_event_fn on_event;
	void *event_arg;
};

/* Configuration text (innetd's settings) to the structures above. */
/* "PREFIX=PORT[@MAC]", e.g. "0.0.0.0/0=0" or "172.16.0.0/16=1@02:00:00:00:00:01". */
int dp_parse_route(const char *text, struct dp_route *out, char *err, size_t errlen);
/* A port's devargs for a kind of port: "tap" (iface: the TAP interface,
 * default innet<index>), "af_packet" (iface: an existing interface), "pcap"
 * (iface: "IN.pcap[:OUT.pcap]"), "null", "ring"; anything else is taken as
 * devargs as is (a vdev string or a PCI address). */
int dp_port_devargs(const char *kind, const char *iface, unsigned index, char *buf, size_t n,
                    char *err, size_t errlen);

/* Sensible defaults (zeros above, idle_sleep_us 50, answer_arp true). */
void dp_config_init(struct dp_config *c);

/* Initialise EAL (once per process; later calls return 0 and ignore `c`'s
 * EAL fields), probe the ports, create the tables and launch the fast path.
 * On error returns a negative errno and writes a one-line reason into err. */
int dp_start(const struct dp_config *c, struct dp **out, char *err, size_t errlen);
/* Stop the fast path, free every module and program, close the ports. */
void dp_stop(struct dp *dp);
/* Initialise EAL only (tests create ring ports before dp_start). */
int dp_eal_init(const struct dp_config *c, char *err, size_t errlen);
/* True when built with DPDK. */
bool dp_available(void);

/* What the classifier matches. proto 0 and port 0 match any: a module
 * assigned only an address gets every packet for it; one with proto/port
 * gets those first (exact match is tried before address-only). */
struct dp_module_key {
	uint32_t addr;   /* host order */
	uint8_t proto;   /* 6, 17 or 0 */
	uint16_t port;   /* host order, 0: any */
};


/* A program running `g` with the Click runtime (src/runtime): packets come
 * from and go back to the fast path's mbuf pool, device output N is sent
 * out through the routing table. Control thread. `lim` bounds the module's
 * memory and flow tables (stateful modules' quotas). With take_graph the
 * program frees g. 0, or a negative errno with diagnostics. */
int dp_program_click(struct dp *dp, const struct click_graph *g, const struct rt_limits *lim,
                     bool take_graph, struct dp_program *out, struct diags *d);
/* The same with a graph shared by several programs (modules deployed from
 * one configuration, e.g. a stock module): the graph is read-only to the
 * runtime; `release(arg)` is called on the control thread when this
 * program no longer needs it. Element instances are never shared. */
int dp_program_click_shared(struct dp *dp, const struct click_graph *g, const struct rt_limits *lim,
                            void (*release)(void *arg), void *arg, struct dp_program *out,
                            struct diags *d);
/* Bytes the program's module block takes (0 for other programs). */
size_t dp_program_mem(const struct dp_program *prog);
/* The runtime module a program from dp_program_click* runs (NULL for
 * other programs): for the control thread to save its state after the
 * fast path let go (dp_module_suspend), or to load a saved state into a
 * program built for a resume before it is published (dp_module_run). */
struct rt_module *dp_program_module(const struct dp_program *prog);

/* Control-thread API. Commands are queued to the fast path and complete
 * asynchronously: a DP_EV_DONE event with `cookie` reports the result.
 * dp_sync waits (on the calling thread) until every queued command is done
 * and their events delivered; tests and the shutdown path use it. */

/* Deploy on the least loaded worker (dp_lcores, dp_module_lcore): the
 * module's key is classified from now on; packets opening a
 * flow (TCP SYN; any first packet of UDP and other connectionless
 * protocols, e.g. IP-in-IP) are held (up to hold_packets) and announced as
 * DP_EV_NEW_FLOW, others dropped, until dp_module_run. -EEXIST for a known
 * id, -EADDRINUSE for a key another module has, -ENOSPC when full, -ENOMEM,
 * -EINVAL for address 0.0.0.0 (the address table's empty entry) or a proto
 * without a port or a port without a proto. */
int dp_module_add(struct dp *dp, uint64_t id, const struct dp_module_key *key, uint32_t cookie);
/* Publish `prog` (owned by the dataplane from now on, even on error): the
 * held packets go through it first, in arrival order. */
int dp_module_run(struct dp *dp, uint64_t id, struct dp_program prog, uint32_t cookie);
/* Unpublish and free the program (after the fast path let go); the module
 * stays deployed and starts again on its next new flow. */
int dp_module_halt(struct dp *dp, uint64_t id, uint32_t cookie);
/* Suspend: the fast path unpublishes the program and hands it back in
 * this command's DP_EV_DONE event (ev->prog) instead of freeing it; from
 * then on ANY packet for the module (not only one opening a flow) is held
 * (up to hold_packets) and the first is announced as DP_EV_NEW_FLOW with
 * `wake` set. dp_module_run resumes it (held packets first, in order);
 * dp_module_halt drops what it held. On a module without a program (one
 * deployed with a saved state) it only makes any packet wake it. 0,
 * -ENOENT, -ENOTCONN, -ENOMEM. */
int dp_module_suspend(struct dp *dp, uint64_t id, uint32_t cookie);
/* Forget the module. Takes it out of the classifier at once and waits for
 * every worker to finish the loop turn it was in (at most one turn:
 * microseconds; none for a worker in its idle sleep) before the owner is
 * told. */
int dp_module_remove(struct dp *dp, uint64_t id, uint32_t cookie);
int dp_sync(struct dp *dp);
/* Drain pending events now (callers without a loop). Returns how many. */
int dp_poll(struct dp *dp);

enum dp_module_state { DP_MOD_DEPLOYED, DP_MOD_STARTING, DP_MOD_RUNNING, DP_MOD_SUSPENDED };

struct dp_module_stats {
	enum dp_module_state state;
	uint64_t rx_packets, rx_bytes;   /* classified to the module */
	uint64_t tx_packets, tx_bytes;   /* emitted by it */
	uint64_t drops;                  /* dropped by its graph */
	uint64_t held;                   /* held while starting, then released */
	uint64_t hold_drops;             /* hold buffer full, or not a new flow */
	uint64_t last_rx_ns;             /* dp_now_ns() of its last packet, 0: never */
	uint64_t mem_bytes;              /* the running program's block (0: none) */
	uint64_t queued;                 /* packets waiting in its queues */
	/* A process module (dp_process_link): its tag (0: not linked),
	 * packets its program got from the fast path (device 1 output) and
	 * sent to it (device 1 input), and its packets on the process port
	 * that were dropped (sent while the module was not running, the
	 * port refused, not IPv4). */
	uint16_t proc_tag;
	uint64_t proc_to_packets, proc_from_packets, proc_drops;
};
int dp_module_stats(const struct dp *dp, uint64_t id, struct dp_module_stats *st);

struct dp_stats {
	uint64_t rx_packets, tx_packets;
	uint64_t unclassified;    /* IPv4 for no module */
	uint64_t not_ipv4;        /* non-IPv4, malformed */
	uint64_t no_route;        /* module output without a route */
	uint64_t arp_replies;
	uint64_t tx_drops;        /* the port refused */
	uint64_t held_now;        /* packets waiting for modules to start */
	uint64_t modules, running;
	/* the process port (all zero without one) */
	bool process_port;              /* dp_config.process_port was set */
	uint64_t proc_to_packets;       /* to programs */
	uint64_t proc_from_packets;     /* from programs, into their modules */
	uint64_t proc_unknown_tag;      /* a tag no module has, or untagged */
	uint64_t proc_not_running;      /* from a module without a program */
	uint64_t proc_drops;            /* not IPv4, malformed, refused by the port */
	uint64_t proc_links;            /* modules linked now */
};
int dp_stats(const struct dp *dp, struct dp_stats *st);

/* The fast path's workers (dp_config.lcores). A module is placed, when it
 * is added, on the worker with the fewest packets per second lately (the
 * fewest modules among equals, then the lowest index; src/dataplane/
 * README.md, "More than one lcore") and stays there. */
unsigned dp_lcores(const struct dp *dp);
/* The worker (0 .. dp_lcores - 1) that owns a module, or -ENOENT. */
int dp_module_lcore(const struct dp *dp, uint64_t id);
struct dp_lcore_stats {
	unsigned lcore;             /* its EAL lcore */
	uint64_t modules;           /* modules it owns */
	uint64_t rx_packets;        /* received on its rx queues */
	uint64_t delivered;         /* packets it gave its modules (pushed or held) */
	uint64_t steered_out;       /* sent to other workers, owners of their modules */
	uint64_t steered_in;        /* received from other workers */
	uint64_t steer_drops;       /* an owner's ring was full */
};
/* 0, -ENOTCONN, -EINVAL (no such worker). */
int dp_lcore_stats(const struct dp *dp, unsigned worker, struct dp_lcore_stats *st);

/* Process modules: a program in a network namespace of its own (src/vm
 * sandbox) joined to its module on the process port (dp_config.
 * process_port). Its module's device 1 output goes to the program, on the
 * process port to the program's interface, whose MAC carries the module's
 * tag (DP_PROCESS_MAC_PREFIX, then the tag in two bytes); what the program
 * sends arrives from that MAC and enters the module's device 1 input
 * (FromDevice(1)). Frames with an unknown tag, or for a module without a
 * running program, are dropped and counted (dp_stats); the module starts
 * on its first packet from the network as any module.
 *
 * dp_process_link makes the kernel side, with netlink (libnl-route-3): a
 * macvlan interface `eth0` (private mode) on the process port's host
 * interface with the tag's MAC, created in the network namespace /run/netns/NETNS (made by the
 * caller with `ip netns add`, or a bind mount there), with `ip`/32, link
 * up, a permanent neighbour DP_PROCESS_GATEWAY with the fast path's MAC
 * and a default route through it: everything the program sends leaves
 * through the process port. Then it publishes tag -> module to the fast
 * path. `tag` 0 asks for the lowest free tag (1..4094); the dataplane
 * owns the tag space. Returns the tag, or a negative errno with a
 * one-line reason in err: -ENOTSUP (no process port, or built without
 * libnl), -ENOENT (no such module, or no such namespace), -EALREADY
 * (the module is linked), -EADDRINUSE (the tag is taken), -ERANGE (tag
 * over 4094), -ENOSPC (every tag taken), or what the kernel said. On
 * error nothing is left behind. Control thread; seven netlink round
 * trips (about 5 ms in all), no process spawned. The
 * dataplane keeps the namespace open until the unlink.
 *
 * dp_process_unlink stops the fast path's demultiplexing to the module
 * (packets of its tag are dropped from then on), deletes the module's
 * interface and closes the namespace. dp_module_remove does it for a
 * linked module. 0, -ENOENT (no such module), -ENOTCONN (not linked). */
#define DP_PROCESS_TAG_MAX 4094
#define DP_PROCESS_GATEWAY 0xa9fe0001u /* 169.254.0.1 */
#define DP_PROCESS_IFNAME "eth0"
#define DP_PROCESS_MAC_PREFIX 0x02696e70u /* 02:69:6e:70:TT:TT ("inp", locally administered) */
int dp_process_link(struct dp *dp, uint64_t module_id, uint16_t tag, const char *netns, uint32_t ip,
                    char *err, size_t errlen);
int dp_process_unlink(struct dp *dp, uint64_t module_id);
/* The module's tag, 0 when it is not linked (or unknown). */
uint16_t dp_process_tag(const struct dp *dp, uint64_t module_id);

/* The fast path's clock (monotonic ns), comparable with last_rx_ns. */
uint64_t dp_now_ns(void);

/* Fast-path helpers for programs. */
void dp_emit(struct dp_io *io, uint32_t device, struct rt_pkt *p);
void dp_drop(struct dp_io *io, struct rt_pkt *p);
/* A fresh packet with `len` bytes of data (and headroom for the Ethernet
 * header), or NULL when the pool is empty. */
struct rt_pkt *dp_alloc_pkt(struct dp_io *io, uint32_t len);
/* Free a packet from the control thread (program destroy). */
void dp_free_pkt(struct rt_pkt *p);

#endif
