/* What IPRewriter and IPAddrRewriter share (Click's IPRewriter and
 * IPAddrRewriter documentation): the input specs and the keywords common
 * to both, the mapping table on symbolic flows and on packets, and the
 * rewriting of a header by a mapping. Each element's own file
 * (iprewriter.c, ipaddrrewriter.c) holds its keywords, which packets reach
 * the table, how a packet finds its mapping and how long a mapping lives.
 * All addresses and ports are host order; times are nanoseconds. */
#ifndef INNET_ELEMENTS_REWRITER_H
#define INNET_ELEMENTS_REWRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "elements/args.h"
#include "elements/element.h"
#include "runtime/flowtab.h"
#include "runtime/runtime.h"
#include "verify/model.h"

/* ---- input specs and keywords ---- */

/* The kind of an input spec: what a packet no mapping covers meets. */
enum rw_kind {
	RW_DROP,    /* drop / discard */
	RW_PASS,    /* pass / passthrough / nochange OUT: emit unchanged on fout */
	RW_KEEP,    /* keep FOUT ROUT: identity mapping */
	RW_PATTERN, /* pattern ... FOUT ROUT */
};

/* One pattern field: keep ('-', or address 0.0.0.0) uses the packet's own
 * value; otherwise the value is chosen in [lo, hi] (lo == hi: fixed). A
 * prefix SADDR a/len with len < 31 excludes the network and broadcast
 * addresses, so lo/hi already skip them. */
struct rw_field {
	bool keep;
	uint32_t lo, hi;
};

/* Which field varies (at most one may). */
enum rw_vary { RW_VARY_NONE, RW_VARY_SADDR, RW_VARY_SPORT, RW_VARY_DADDR };

struct rw_pattern {
	struct rw_field saddr, sport, daddr, dport;
	uint8_t vary;         /* enum rw_vary */
	bool sequential;      /* '#' suffix: allocate in order */
	bool no_prefer;       /* '?' suffix: don't prefer the packet's own value */
	bool addr_only;       /* the two-word form SADDR DADDR (ports kept) */
};

struct rw_spec {
	uint8_t kind;         /* enum rw_kind */
	uint32_t fout, rout;  /* PASS: fout only */
	struct rw_pattern pat; /* PATTERN (KEEP: every field keep) */
	struct src_loc loc;
};

struct rw_conf {
	uint32_t nspecs;      /* == the element's ninputs */
	struct rw_spec *specs;
	/* IPRewriter (Click defaults) */
	int64_t tcp_timeout_ns;           /* 86400 s */
	int64_t tcp_done_timeout_ns;      /* 240 s */
	int64_t tcp_nodata_timeout_ns;    /* 300 s */
	int64_t tcp_guarantee_ns;         /* 5 s */
	int64_t udp_timeout_ns;           /* 300 s */
	int64_t udp_streaming_timeout_ns; /* = udp_timeout */
	int64_t udp_guarantee_ns;         /* 5 s */
	/* IPAddrRewriter */
	int64_t timeout_ns;               /* 2 h (Click's code, not its doc's 5 min) */
	int64_t guarantee_ns;             /* 5 s */
	/* both */
	int64_t reap_interval_ns;         /* 15 min */
	uint32_t capacity;                /* MAPPING_CAPACITY, 2^31-1 = unlimited */
	bool dst_anno;                    /* true */
	int16_t reply_anno;               /* -1: unset; else a 1-byte anno offset */
};

/* A rw_conf with Click's defaults for every keyword of either element,
 * from the element's arena; NULL when out of memory. */
struct rw_conf *rw_conf_new(const struct click_conf_ctx *ctx);
/* Parse one INPUTSPEC argument. addr_only: IPAddrRewriter's rules (the
 * pattern's destination must be '-', ports may not be given). */
int rw_parse_spec(const struct click_conf_ctx *ctx, const struct click_arg *arg, bool addr_only,
                  struct rw_spec *out);
/* Configure c from args: the element's keywords `kw` (the REPLY_ANNO one
 * writing *reply_anno), then one input spec per input. 0, or a negative
 * errno after diagnostics. */
int rw_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                 struct arg_spec *kw, size_t nkw, const uint8_t *reply_anno, bool addr_only,
                 struct rw_conf *c);
/* Into JSON object o (element.h's describe format), the keywords both
 * elements share and INPUTSPEC, each spec as its effective text (a prefix
 * SADDR as the range it allocates from); the element adds its timeouts.
 * 0 or -ENOMEM. */
int rw_describe_common(const struct rw_conf *c, struct json_t *o);

/* ---- the mapping table on symbolic flows ---- */

/* A flow that no mapping can cover (not TCP/UDP, a later fragment, a short
 * header) meets only the pass or drop part of its input's spec. */
void rw_sym_pass_or_drop(struct sym_ctx *cx, struct sym_flow *f, const struct rw_spec *spec,
                         const char *why);
/* The table lives in the flows: each flow of `cur` that a mapping this
 * element pushed earlier covers is rewritten and leaves on that mapping's
 * output; the rest meet `spec`, which may push a new forward and reply
 * mapping. addr_only: IPAddrRewriter's mappings (source address forward,
 * destination address back). */
int rw_sym_map(struct sym_ctx *cx, struct sym_flows *cur, const struct rw_spec *spec,
               bool addr_only);

/* ---- the mapping table on packets ---- */

/* rt_flow flags: which directions were seen, and IPRewriter's TCP state. */
enum {
	RW_F_SEEN_FWD = 1, RW_F_SEEN_REV = 2, RW_F_DATA_FWD = 4, RW_F_DATA_REV = 8,
	RW_F_FIN_FWD = 16, RW_F_FIN_REV = 32, RW_F_DONE = 64,
};

struct rw_state {
	uint64_t mapping_failures;
	uint32_t *seq_next;        /* per spec: sequential allocation cursor */
	struct rt_flowtab *tab;
};

/* struct elem_runtime hooks both elements use as they are. */
size_t rw_state_size(const struct rt_elem *e, uint32_t flow_capacity);
int rw_init(struct rt_elem *e, struct diags *d);
uint32_t rw_reap(struct rt_elem *e, uint64_t now_ns);
int rw_read(const struct rt_elem *e, const char *handler, uint64_t *val);

/* A packet with flow id `key` that no mapping covers arrived on input
 * `port`: its spec passes it, drops it, or installs a mapping (a pattern
 * chooses the rewritten flow). Returns the new mapping (its forward
 * direction), or NULL when the packet was already passed or dropped. */
struct rt_flow *rw_map_new(struct rt_elem *e, uint32_t port, struct rt_pkt *p,
                           const struct rt_flowid *key, bool addr_only);
/* Count a packet on f in direction dir (packets, seen directions). */
static inline void rw_count(struct rt_flow *f, int dir)
{
	f->packets++;
	f->flags |= dir ? RW_F_SEEN_REV : RW_F_SEEN_FWD;
}
/* Keep f for `timeout` (at least `guarantee`) from now, rewrite p along f
 * in direction dir and emit it on the mapping's output for that direction. */
void rw_forward(struct rt_elem *e, struct rt_flow *f, int dir, struct rt_pkt *p,
                int64_t timeout, int64_t guarantee, bool addr_only);

/* ---- rewriting a header by a mapping ---- */

/* Rewrite p (IP header annotation set) along flow f in direction dir, with
 * incremental checksum updates as Click's IPRewriterFlow does. addr_only:
 * forward only ip_src, reply only ip_dst (IPAddrRewriter); else addresses
 * and ports. dst_anno: set the dst-IP annotation to the new destination
 * (addr_only: replies only). reply_anno_off >= 0: on replies store
 * f->reply_anno in that annotation byte. */
void rw_apply(const struct rt_flow *f, int dir, struct rt_pkt *p, bool addr_only, bool dst_anno,
              int reply_anno_off);

#endif
