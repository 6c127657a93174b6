/* IPRewriter / IPAddrRewriter configuration (click.md 3.5), parsed once
 * here and read by the verifier's model and the runtime's packet function.
 * All addresses and ports are host order; times are nanoseconds. */
#ifndef INNET_ELEMENTS_REWRITER_H
#define INNET_ELEMENTS_REWRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "elements/element.h"

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

/* Parse one INPUTSPEC argument. addr_only: IPAddrRewriter's rules (the
 * pattern's destination must be '-', ports may not be given). */
int rw_parse_spec(const struct click_conf_ctx *ctx, const struct click_arg *arg, bool addr_only,
                  struct rw_spec *out);
/* Configure either rewriter (keywords first, then one spec per input). */
int rw_configure(const struct click_conf_ctx *ctx, const struct click_args *args, bool addr_only,
                 struct rw_conf **out);

struct sym_ctx;
struct sym_flow;
/* The symbolic model of either rewriter (src/verify/model.h): flow f on
 * input `port` of e (configured by rw_configure) goes through sym_rewrite
 * with that input's spec; addr_only gives IPAddrRewriter. */
int rw_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                struct sym_flow *f, bool addr_only);

#endif
