/* Internal to src/verify: the symbolic packet, the engine context, the
 * network model. Element models use model.h only. */
#ifndef INNET_VERIFY_SYM_H
#define INNET_VERIFY_SYM_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "click/click.h"
#include "elements/element.h"
#include "verify/model.h"
#include "verify/verify.h"

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

/* History: a persistent list shared by the flows a split made. */
enum sym_hop_kind { HOP_NODE, HOP_ELEM, HOP_EXIT, HOP_DROP, HOP_MATCH };
struct sym_snap {
	struct sym_term f[SYM_NFIELDS];
	const struct sym_iset *dom[SYM_NFIELDS]; /* the variable's domain then */
	const char *name[SYM_NFIELDS];           /* the variable's name */
	uint8_t nlayers;
};
struct sym_hop {
	const struct sym_hop *prev;
	uint32_t num;        /* hop number (1-based) */
	uint8_t kind;
	uint32_t node, elem, port;   /* elem UINT32_MAX: node level */
	uint32_t cmask;      /* fields constrained at the previous hop */
	uint64_t hash;       /* packet state on arrival (loop detection) */
	const char *note;    /* drop reason, statement hop matched, ... */
	struct sym_snap snap; /* packet on arrival */
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
	uint32_t cmask;       /* fields constrained since the last hop record */
	const char *approx;
	/* requirement tracking */
	uint16_t progress;    /* statement hops matched (0: the source) */
	uint32_t prev_match;  /* hop number where hop `progress` matched */
	struct sym_term entry_src, entry_dst; /* for security rules */
};

/* The network model. */
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
	uint32_t ndev_in, ndev_out;
	uint32_t *dev_in;   /* device number -> element index (UINT32_MAX: none) */
	uint32_t *elem_dev; /* element index -> device number */
	/* module */
	bool is_module, is_inline;
	uint32_t platform;  /* addressed: platform node index */
	uint32_t address;
	uint8_t proto;
	uint16_t dport;
};

struct vendpoint {
	uint32_t node, port;
};

struct vfy_base {
	int refs;
	struct snapshot *snap;
	struct arena *arena;
	uint32_t nnodes;
	struct vnode *nodes;
	struct vendpoint **peer; /* peer[node][port]; node UINT32_MAX: unlinked */
	const struct sym_iset *internet_space;
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

const struct vnode *vnet_node(const struct vfy_net *n, uint32_t i);
uint32_t vnet_nnodes(const struct vfy_net *n);
int vnet_find(const struct vfy_net *n, const char *name);
bool vnet_peer(const struct vfy_net *n, uint32_t node, uint32_t port, struct vendpoint *out);

/* Interval sets (iset.c): values of a given width in bits; nothing about
 * fields or flows. */
const struct sym_iset *iset_new(struct arena *a, const struct sym_ival *v, uint32_t n);
const struct sym_iset *iset_range(struct arena *a, uint32_t lo, uint32_t hi);
const struct sym_iset *iset_full(struct arena *a, unsigned width);
const struct sym_iset *iset_and(struct arena *a, const struct sym_iset *x, const struct sym_iset *y);
const struct sym_iset *iset_or(struct arena *a, const struct sym_iset *x, const struct sym_iset *y);
const struct sym_iset *iset_not(struct arena *a, const struct sym_iset *x, unsigned width);
const struct sym_iset *iset_shift(struct arena *a, const struct sym_iset *x, uint32_t k, unsigned width);
bool iset_equal(const struct sym_iset *x, const struct sym_iset *y);
/* y op v, for one value y. */
bool iset_cmp(enum flow_op op, uint32_t y, uint32_t v);
/* {x < 2^width : op((x >> shift) & mask, value)}; NULL when that takes
 * more than 65,536 intervals (the caller approximates) or memory ran out. */
const struct sym_iset *iset_masked(struct arena *a, unsigned width, unsigned shift, uint32_t mask,
                                   enum flow_op op, uint32_t value);
/* "10.0.0.0/8" (addr), "6", "{1-1023 2000}"; "*" for every value of the width. */
char *iset_format(struct arena *a, const struct sym_iset *s, unsigned width, bool addr);
uint64_t iset_hash(const struct sym_iset *s);

/* One engine step as models see it (model.c): the job's arena and flow
 * free list, the element running, the flows it emitted. */
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

/* Flow primitives used by the engine (sym.c). */
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
/* Values of a term (its variable's domain shifted by k). */
const struct sym_iset *sym__term_values(struct sym_ctx *cx, const struct sym_flow *f,
                                        struct sym_term t, unsigned width);
/* Restrict term t's values to set; false when that empties the flow. */
bool sym__restrict(struct sym_ctx *cx, struct sym_flow *f, struct sym_term t, unsigned width,
                   const struct sym_iset *set);
bool sym__mentions_dst(const struct flow_expr *e);
/* Normalize on leaving a node: annotation on the outermost header at the
 * data pointer. */
void sym__normalize(struct sym_ctx *cx, struct sym_flow *f);

#endif
