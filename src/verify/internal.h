/* Private to src/verify. The verifier is a chain; each section below uses
 * only the sections above it, never one below (README.md draws it and
 * gives the command that checks it):
 *
 *   1. interval sets            iset.c
 *   2. flows                    flow.c, split.c; model.c: what element models call
 *   3. network model            net.c; requirement statements req.c
 *   4. the engine               engine.c
 *   5. traces                   report.c
 *   6. checks, security exits   check.c, security.c
 *
 * Element models see model.h only; the controller, tools and tests see
 * verify.h only. Threads and ownership are those of verify.h: everything
 * here belongs to one job at a time, except the immutable vfy_base.
 * Functions declared here are internal: their prefix ends in two
 * underscores (iset__or, vjob__run, sym__snap). */
#ifndef INNET_VERIFY_INTERNAL_H
#define INNET_VERIFY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "base/arena.h"
#include "base/inet.h"
#include "click/click.h"
#include "flow/flow.h"
#include "verify/model.h"
#include "verify/verify.h"

/* ==== 1. interval sets (iset.c) ============================================
 * Sets of values of a given width in bits (struct sym_iset, model.h),
 * immutable once built and allocated in the caller's arena; NULL when it
 * is exhausted. Nothing here knows fields or flows. */

/* The largest value of a width: 2^width - 1. */
static inline uint32_t iset__max(unsigned width)
{
	return width >= 32 ? 0xffffffffu : (1u << width) - 1;
}

const struct sym_iset *iset__new(struct arena *a, const struct sym_ival *v, uint32_t n);
const struct sym_iset *iset__range(struct arena *a, uint32_t lo, uint32_t hi);
const struct sym_iset *iset__full(struct arena *a, unsigned width);
const struct sym_iset *iset__and(struct arena *a, const struct sym_iset *x, const struct sym_iset *y);
const struct sym_iset *iset__or(struct arena *a, const struct sym_iset *x, const struct sym_iset *y);
const struct sym_iset *iset__not(struct arena *a, const struct sym_iset *x, unsigned width);
const struct sym_iset *iset__shift(struct arena *a, const struct sym_iset *x, uint32_t k, unsigned width);
bool iset__equal(const struct sym_iset *x, const struct sym_iset *y);
/* {x < 2^width : op((x >> shift) & mask, value)}; NULL when that takes
 * more than 65,536 intervals (the caller approximates) or memory ran out. */
const struct sym_iset *iset__masked(struct arena *a, unsigned width, unsigned shift, uint32_t mask,
                                    enum flow_op op, uint32_t value);
/* "10.0.0.0/8" (addr), "6", "{1-1023 2000}"; "*" for every value of the width. */
char *iset__format(struct arena *a, const struct sym_iset *s, unsigned width, bool addr);
uint64_t iset__hash(const struct sym_iset *s);

/* ==== 2. flows (flow.c, split.c; model.c) ==================================
 * The symbolic packet: fields as terms over variables whose domains are
 * interval sets, a stack of layers, the state pushed into it, and its
 * history (flow.c); its exact splits (split.c); one engine step as models
 * see it (model.c). The model.h functions are implemented here. */

#define SYM_MAX_LAYERS 4
#define SYM_MAX_RAW 8
#define SYM_NPKT_FIELDS (SYM_NFIELDS - SYM_NLAYER_FIELDS)

struct sym_var {
	const char *name;
	uint8_t width;
	const struct sym_iset *dom;
};

struct sym_layer {
	struct sym_term f[SYM_NLAYER_FIELDS];
	uint32_t def[SYM_NLAYER_FIELDS]; /* hop number of the last write */
	uint16_t hlen;                   /* header bytes incl. L4; 0: unknown */
	bool has_l4;
};

/* Bytes no field models, read by some pattern: one variable per exact
 * (base, off, len) location. */
struct sym_raw {
	uint8_t base, len;
	uint16_t off;
	uint32_t var;
};

/* History: a persistent list shared by the flows a split made. Locations
 * are numbers the engine gives (network node, element, port); the flow
 * does not know what they stand for. */
enum sym_hop_kind { HOP_NODE, HOP_ELEM, HOP_DROP };
struct sym_snap {
	struct sym_term f[SYM_NFIELDS];
	const struct sym_iset *dom[SYM_NFIELDS]; /* the variable's domain then */
	const char *name[SYM_NFIELDS];           /* the variable's name */
	uint8_t nlayers;
};
struct sym_hop {
	const struct sym_hop *prev;
	const struct sym_hop *jump; /* an earlier ancestor (skew-binary jump pointer) */
	const struct sym_hop *same; /* the job's previous hop at the same place and state */
	uint32_t num;        /* hop number (1-based) */
	uint8_t kind;
	uint32_t node, elem, port;   /* elem UINT32_MAX: node level */
	uint32_t cmask;      /* fields constrained at the previous hop */
	uint64_t hash;       /* packet state on arrival (loop detection) */
	const char *note;    /* drop reason, statement hop matched, ... */
	/* a transit: the hop stands for every router of the path, arriving
	 * at the last (node, port); traces list them all (report.c) */
	const struct vtransit_piece *run;
	/* packet on arrival; shared with the previous hop when equal (a chain
	 * of routers changes nothing: one snapshot, not one per hop) */
	const struct sym_snap *snap;
};

struct sym_flow {
	struct sym_flow *next_free;
	uint8_t nlayers, anno;
	int32_t data_off;
	struct sym_layer l[SYM_MAX_LAYERS]; /* l[0] outermost */
	struct sym_term pf[SYM_NPKT_FIELDS];
	uint32_t pdef[SYM_NPKT_FIELDS];
	uint32_t nvars, capvars;
	struct sym_var *vars; /* var id i is vars[i-1] */
	uint32_t nraw;
	struct sym_raw raw[SYM_MAX_RAW];
	const struct sym_state *state;
	uint32_t nstate;
	const struct sym_hop *hist;
	uint32_t nhops;
	uint32_t crossed;     /* routers hops of hist stand for beyond themselves (transits) */
	uint32_t cmask;       /* fields constrained since the last hop record */
	const char *approx;
	/* requirement tracking */
	uint16_t progress;    /* statement hops matched (0: the source) */
	uint32_t prev_match;  /* hop number where hop `progress` matched */
	struct sym_term mark[SYM_NFIELDS]; /* every field then: what const compares with */
	struct sym_term entry_src, entry_dst; /* for security rules */
};

/* One engine step as models see it (model.c): the job's arena and flow
 * free list, the element running, the flows it emitted. The engine reads
 * the emissions after the model returns. */
struct sym_emission {
	uint32_t port;
	struct sym_flow *f;
};
struct sym_ctx {
	struct arena *a;
	uint32_t node, elem;
	const struct click_graph *g;
	uint32_t nemit, capemit;
	struct sym_emission *emit;
	struct sym_flow *free;   /* recycled flows */
	uint64_t nflows;         /* flows created */
	int err;
};

/* Record the step's first error (the job fails with it). */
void sym__fail(struct sym_ctx *cx, int err);
struct sym_flow *sym__new(struct sym_ctx *cx);
void sym__free(struct sym_ctx *cx, struct sym_flow *f);
/* A new flow with every field a fresh unconstrained variable; ip version
 * 4, header length 5..15. */
struct sym_flow *sym__fresh(struct sym_ctx *cx);
uint32_t sym__newvar(struct sym_ctx *cx, struct sym_flow *f, const char *name, unsigned width,
                     const struct sym_iset *dom);
struct sym_term *sym__field(struct sym_flow *f, enum sym_field fld, uint32_t **def);
uint64_t sym__hash(const struct sym_flow *f);
void sym__snap(const struct sym_flow *f, struct sym_snap *s);
/* Remember every field's term as the flow matches a statement hop; split.c
 * renames variables in the mark as in the fields. */
void sym__mark(struct sym_flow *f);
/* Is the field provably equal to its value at the mark, on this flow? */
bool sym__unchanged(const struct sym_flow *f, enum sym_field fld);
/* Values of a term (its variable's domain shifted by k). */
const struct sym_iset *sym__term_values(struct sym_ctx *cx, const struct sym_flow *f,
                                        struct sym_term t, unsigned width);
/* Where header bytes live: the field at IP offset o of a layer (0..19),
 * or at transport offset o (0..3, 13); field -1 for bytes no field models. */
struct sym_span {
	int8_t field; /* -1: raw */
	uint8_t off;  /* first byte of the field at that offset */
	uint8_t len;
};
struct sym_span sym__ip_byte(unsigned o);
struct sym_span sym__tr_byte(unsigned o);
/* The current header is known to be 20 bytes (no IP options). */
bool sym__ihl_is_5(const struct sym_flow *f);
/* Does the flow expression read the IP destination? */
bool sym__mentions_dst(const struct flow_expr *e);
/* Normalize on leaving a node: annotation on the outermost header at the
 * data pointer. */
void sym__normalize(struct sym_ctx *cx, struct sym_flow *f);

/* ==== 3. the network model (net.c) and requirement statements (req.c) ====== */

enum vnode_kind { VN_HOSTS, VN_ROUTER, VN_CLICK, VN_PLATFORM, VN_MODULE };

struct vroute_part {
	const struct sym_iset *set; /* dst values */
	uint32_t port;
};

struct vnode {
	const char *name;
	enum vnode_kind kind;
	uint32_t nports;
	const struct snap_node *snap; /* NULL for modules */
	/* hosts */
	bool client;
	const struct sym_iset *space; /* addresses of this hosts node */
	/* router: disjoint partition of the dst space by longest prefix match */
	uint32_t nparts;
	struct vroute_part *parts;
	bool ttl_dec;
	/* click (middlebox or module) */
	struct click_graph *g;
	uint32_t ndev_in;
	uint32_t *dev_in;   /* device number -> element index (UINT32_MAX: none) */
	uint32_t *elem_dev; /* element index -> device number */
	/* module */
	bool is_inline;
	uint32_t platform;  /* addressed: platform node index */
	uint32_t address;
	uint8_t proto;
	uint16_t dport;
};

struct vendpoint {
	uint32_t node, port;
};

/* Transit through routers, summarized once per base: packets that enter
 * router R by port p cross a region of routers that only forward (none
 * decrements TTL); which way each destination takes is the same for
 * every check of the snapshot, so it is computed on first use and
 * reused, and a flow crosses the region in one step (engine.c). */
struct vtransit_piece {
	const struct sym_iset *dst;    /* the destinations taking this way */
	uint32_t last, out;            /* they leave router `last` by port `out`
	                                * (UINT32_MAX: `last` has no route for them) */
	uint32_t n;                    /* routers crossed after R, `last` included */
	const struct vendpoint *path;  /* each of them and the port it is entered by */
};
struct vtransit {
	uint32_t n;
	const struct vtransit_piece *v;
	struct arena *arena;           /* owns the pieces */
};

struct vfy_base {
	int refs;
	struct snapshot *snap;
	struct arena *arena;
	uint32_t nnodes;
	struct vnode *nodes;
	struct vendpoint **peer; /* peer[node][port]; node UINT32_MAX: unlinked */
	const struct sym_iset *internet_space;
	/* router summaries, by transit_at[node] + port; published once with
	 * an atomic compare-and-swap (jobs on several threads share a base) */
	uint32_t *transit_at;
	struct vtransit *_Atomic *transit;
};

struct vfy_net {
	struct vfy_base *base;
	struct arena *arena;     /* modules */
	uint32_t nmods, capmods;
	struct vnode *mods;      /* node index base->nnodes + i */
	/* inline splices: overrides of peer */
	uint32_t nover, capover;
	struct {
		struct vendpoint from, to;
	} *over;
};

/* Node i: the snapshot's nodes first, then the modules. */
const struct vnode *vnet__node(const struct vfy_net *n, uint32_t i);
uint32_t vnet__nnodes(const struct vfy_net *n);
/* A node's or module's index, or -1. */
int vnet__find(const struct vfy_net *n, const char *name);
/* Router r's summary for packets entering by port p, or NULL when there
 * is none to use: r is not a router, the packets would loop among routers,
 * the region is too tangled (more pieces or path than a bound), or memory
 * ran out; the engine then goes hop by hop. Any thread. */
const struct vtransit *vbase__transit(struct vfy_base *b, uint32_t r, uint32_t p);
/* Where port `port` of `node` leads (inline modules spliced in); false
 * when it is not linked. */
bool vnet__peer(const struct vfy_net *n, uint32_t node, uint32_t port, struct vendpoint *out);

enum rnode_kind { RN_CLIENT, RN_INTERNET, RN_PREFIX, RN_NAME, RN_ELEM };

struct rnode {
	enum rnode_kind kind;
	struct inet_prefix pfx;  /* RN_PREFIX */
	const char *name;        /* RN_NAME, RN_ELEM: node or module */
	const char *elem;        /* RN_ELEM */
	uint32_t port;           /* RN_ELEM (default 0) */
	const char *text;        /* as written */
	uint32_t line, col, span;
};

struct rhop {
	struct rnode node;
	struct flow_expr *flow;  /* NULL: any packet */
	const char *flow_text;   /* NULL when none */
	uint32_t cmask;          /* const fields: bits of enum sym_field */
};

struct rstmt {
	enum vfy_kind kind;
	const char *text;
	uint32_t line;
	uint32_t nhops;          /* >= 2; hops[0] is the source */
	struct rhop *hops;
};

struct vfy_reqs {
	struct arena *arena;
	size_t n, cap;
	struct rstmt *v;
	size_t nmore;
	struct arena **more; /* arenas of appended statement lists */
};

/* ==== 4. the engine (engine.c) ============================================
 * Exploration of one job: a worklist of flows at network nodes and
 * elements, statement matching as flows arrive, loop cuts, limits. */

struct witem {
	struct sym_flow *f;
	uint32_t node, elem, port;
	uint8_t kind; /* IT_NODE, IT_ELEM, IT_RUN (node: a transit's last router, port: its way out) */
};
enum { IT_NODE, IT_ELEM, IT_RUN };

/* A statement hop resolved against the network. */
struct rmatch {
	uint32_t n;
	uint32_t *nodes;
	uint32_t elem;                /* UINT32_MAX: node level */
	uint32_t port;
	const struct sym_iset *dst;   /* prefix nodes: dst (or src at the start) */
	bool hosts;
};

struct vexit {
	struct sym_flow *f;
	uint32_t device;
};

struct vfy_job {
	struct vfy_net *net;
	struct arena *a;
	struct sym_ctx cx;
	uint64_t steps, max_steps;          /* in modules */
	uint64_t net_steps, max_net_steps;  /* in the operator's network */
	/* every hop by place and state, for loop detection in O(log n):
	 * open addressing, latest hop per key (older ones through ->same) */
	const struct sym_hop **hops;
	uint32_t nhops_idx, caphops;
	const atomic_bool *cancel;  /* vfy_limits.cancel */
	enum vfy_traces traces;
	struct witem *stack;
	uint32_t nstack, capstack;
	int err;
	const char *errmsg;
	/* statement */
	const struct rstmt *st;
	struct rmatch *m;
	bool stop;
	struct sym_flow *decisive; /* witness (reach) or violation (always/never) */
	struct sym_flow *best;     /* reach: the flow that got furthest */
	int best_aim;
	uint64_t reached_last;
	uint64_t started;
	uint32_t loops;
	struct sym_flow *loop_flow;
	const char *const_msg;
	/* cross router regions by their summaries (no statement hop names a
	 * router, vfy_limits.hop_by_hop not set) */
	bool transit, hop_by_hop;
	/* security exits */
	bool exits_mode;
	uint32_t exit_module;
	uint32_t nexits, capexits;
	struct vexit *exits;
};

int vjob__init(struct vfy_job *j, struct vfy_net *n, const struct vfy_limits *lim);
void vjob__fini(struct vfy_job *j);
void vjob__push(struct vfy_job *j, struct sym_flow *f, uint8_t kind, uint32_t node, uint32_t elem,
                uint32_t port);
/* Run the worklist to the end (or a stop / an error). */
int vjob__run(struct vfy_job *j);
/* Start the flows node's sources make (elem_model.source), the part
 * `filter` (NULL: all) lets through: 0 or a negative errno. */
int vjob__start_sources(struct vfy_job *j, uint32_t node, const struct flow_expr *filter);
/* Record a hop in f's history. */
void vjob__hop(struct vfy_job *j, struct sym_flow *f, uint8_t kind, uint32_t node, uint32_t elem,
               uint32_t port, const char *note);
/* "node" or "module:element:port" of a hop record. */
const char *vjob__loc_name(struct vfy_job *j, const struct sym_hop *h);

/* ==== 5. traces (report.c) ================================================
 * A flow's history as rows of field values, built in the caller's arena
 * so it outlives the job. */

struct vtrace;
struct vtrace *vtrace__build(struct arena *ra, const struct vfy_net *n, const struct sym_flow *f);
json_t *vtrace__json(const struct vtrace *t);
const char *vtrace__final(const struct vtrace *t, const char *field);

/* ==== 6. checks (check.c) and security exits (security.c) ==================
 * The verify.h entry points; nothing below them. */

#endif
