/* The Click configuration language (Click's click(5) manual): parse, flatten
 * compounds and groups, check ports and push/pull, and hand out a flat
 * graph of primitive elements from the catalogue (src/elements). The
 * verifier and the runtime both read configurations only through this. */
#ifndef INNET_CLICK_CLICK_H
#define INNET_CLICK_CLICK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/arena.h"
#include "base/diag.h"

struct click_class;
struct click_element;
struct json_t;       /* jansson's json_t */
struct elem_model;   /* src/verify: a class's symbolic model (opaque here) */
struct elem_runtime; /* src/runtime: a class's packet function (opaque here) */

/* One argument of a configuration string after Click's splitting: trimmed,
 * comments replaced by a space, quotes still in the text. */
struct click_arg {
	const char *text;
	struct src_loc loc; /* where the argument starts */
};

struct click_args {
	size_t n;
	struct click_arg *v;
};

enum click_proc { CLICK_PUSH = 1, CLICK_PULL = 2 };

/* A primitive element of the flat graph. Read-only for consumers. */
struct click_element {
	uint32_t index;
	const char *name;               /* "c/x", "Queue@3" */
	const struct click_class *cls;
	const char *config;             /* after $variable substitution */
	struct click_args args;
	void *conf;                     /* what cls->configure produced */
	uint32_t ninputs, noutputs;
	uint8_t *in_proc, *out_proc;    /* enum click_proc per port, resolved */
	struct src_loc loc;             /* where it was declared */
};

struct click_graph;

/* What a class's configure sees: the element's resolved port counts (Click
 * configures after counting ports), where to allocate, where to report, and
 * one slot shared by every element of the same parse (NULL before the first
 * configure; the catalogue keeps there what elements share, such as
 * AddressInfo's names and device names, allocated in `arena`; NULL slot
 * pointer: nothing is shared, as in tests that configure one element). */
struct click_conf_ctx {
	const struct click_element *elem; /* name, loc, ... */
	uint32_t ninputs, noutputs;
	struct arena *arena;              /* the graph's; conf lives here */
	struct diags *diags;              /* NULL: report nothing (trying a syntax) */
	void **shared;
	/* the whole graph, for a class naming other elements (ICMPRewriter's
	 * MAPS): every element's name, class and port counts are set, other
	 * elements' conf maybe not yet. NULL outside a graph (tests). */
	const struct click_graph *graph;
};

/* Click's configure phases: a class with a lower phase configures before
 * every element of a higher one (AddressInfo first, so its names are known
 * to every other element); equal phases go in element order. */
enum click_configure_phase {
	CLICK_PHASE_INFO = -100,    /* AddressInfo */
	CLICK_PHASE_PATTERNS = -50, /* IPRewriterPatterns: after the names it may use */
	CLICK_PHASE_DEFAULT = 0,
};

/* An element class. The language reads name, port_count, processing,
 * flow_code and configure; the catalogue (src/elements) defines one object
 * per class and also fills flags, model and runtime for the layers above,
 * which click never reads. click_parse finds classes through
 * click_options.lookup. */
struct click_class {
	const char *name;
	const char *port_count; /* Click syntax: "1/1-2", "1-/=", "-/-" */
	const char *processing; /* "a/ah", "h/lh", "l/h" */
	const char *flow_code;  /* NULL means "x/x" */
	unsigned flags;         /* enum elem_flags (src/elements) */
	int configure_phase;    /* enum click_configure_phase; 0 = default */
	/* Parse args into a class-specific struct allocated in ctx->arena and
	 * stored in *conf. Returns 0, or a negative errno after adding
	 * diagnostics that point into the offending argument. */
	int (*configure)(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf);
	const struct elem_model *model;
	const struct elem_runtime *runtime;
	/* The configured instance as a JSON object of its effective settings
	 * (defaults filled in), for tests and tools; NULL for a class without
	 * arguments. conf is what configure produced. */
	struct json_t *(*describe)(const void *conf);
	/* For the generated catalogue (docs/elements.md): the arguments in
	 * Click's notation ("CAPACITY; keywords BURST, ..."), and what the
	 * symbolic model assumes or leaves out, in a sentence or two. */
	const char *doc_args;
	const char *doc_model;
};

/* The catalogue's lookup by class name; NULL for an unknown class. */
typedef const struct click_class *click_lookup_fn(const char *name);

struct click_port_ref {
	uint32_t elem, port;
};

struct click_conn {
	struct click_port_ref from, to; /* output `from.port` -> input `to.port` */
};

struct click_graph;

struct click_define {
	const char *name;  /* without '$' */
	const char *value;
};

struct click_options {
	click_lookup_fn *lookup; /* required: the element catalogue (elem_class_find) */
	/* Optional: why a class lookup does not know is unavailable (a Click
	 * class innet deliberately lacks), appended to "unknown element
	 * class"; NULL when there is nothing to add. */
	const char *(*why_unknown)(const char *name);
	size_t max_bytes;      /* input size (0: 1 MiB) */
	uint32_t max_depth;    /* compound/group nesting (0: 32) */
	uint32_t max_elements; /* after flattening (0: 10000) */
	/* Variables defined before parsing ($MODULE_IP, $MODULE_PORT, ...);
	 * like command-line definitions they override global `define`s. */
	const struct click_define *defines;
	size_t ndefines;
	/* The caller's budget (both optional), so that parsing and configuring
	 * count against a verification job's (issue 12). max_memory bounds the
	 * graph's arena (element confs: what configure allocates) and the
	 * parse's scratch arena, each (0: the graph's unbounded, the scratch
	 * max_bytes * 64, at least 64 MiB); over it click_parse returns
	 * -ENOSPC. When cancel is set and *cancel becomes true (from any
	 * thread), the parse stops at its next token or before the next
	 * element's configure and returns -ECANCELED. Either way with a
	 * diagnostic, and everything is freed. */
	size_t max_memory;
	const atomic_bool *cancel;
};

/* Parse and check `text` with the classes opt->lookup finds. On success
 * returns 0 and *out (free with click_graph_free). On failure returns a
 * negative errno (-EINVAL without a diagnostic when opt or opt->lookup is
 * NULL), adds every
 * diagnostic Click would report in one pass, and leaves *out NULL.
 *
 * Guarantees of a returned graph:
 * - elements are primitive catalogue classes, indexed in Click's creation
 *   order (the file's elements, then each compound's components as it is
 *   expanded); names are Click's ("c/x", "Queue@3"), unique;
 * - connections are sorted by (from.elem, from.port, to.elem, to.port),
 *   without duplicates; click_graph_outputs/inputs list the same edges per
 *   port, in that order;
 * - every port 0..n-1 is connected; in_proc/out_proc hold CLICK_PUSH or
 *   CLICK_PULL for every port (agnostic ports resolved, unconstrained ones
 *   push); a push output has exactly one connection, a pull input exactly
 *   one; push inputs may have several, pull outputs too;
 * - every element's configure has run (conf is NULL for classes without one);
 * - locations point into `src` (keep it alive while you report with them),
 *   or, after a `# line "file"` directive, to a graph-owned file without text;
 *   argument locations are exact unless $variables changed the config, then
 *   they are the start of the configuration string.
 * Errors are in phases like Click's: syntax and declarations; compound
 * expansion; port ranges; push/pull and reuse; unused ports; configure. A
 * phase with errors stops the later ones. Over opt->max_memory: -ENOSPC;
 * stopped through opt->cancel: -ECANCELED (both with a diagnostic). */
int click_parse(const struct src_file *src, const struct click_options *opt,
                struct click_graph **out, struct diags *d);
void click_graph_free(struct click_graph *g);

uint32_t click_graph_nelements(const struct click_graph *g);
const struct click_element *click_graph_element(const struct click_graph *g, uint32_t i);
/* NULL if no element has that name. */
const struct click_element *click_graph_find(const struct click_graph *g, const char *name);
uint32_t click_graph_nconns(const struct click_graph *g);
const struct click_conn *click_graph_conn(const struct click_graph *g, uint32_t i);
/* Connections leaving output `port` of element `e` (or entering input
 * `port`): *n gets the count; the array is owned by the graph. */
const struct click_port_ref *click_graph_outputs(const struct click_graph *g, uint32_t e,
                                                 uint32_t port, uint32_t *n);
const struct click_port_ref *click_graph_inputs(const struct click_graph *g, uint32_t e,
                                                uint32_t port, uint32_t *n);
/* The graph's own arena (element confs live here). */
struct arena *click_graph_arena(const struct click_graph *g);

/* The flat configuration in canonical Click syntax; flattening this output
 * again gives the same text. */
int click_graph_write(const struct click_graph *g, FILE *out);
/* Graphviz DOT. */
int click_graph_write_dot(const struct click_graph *g, FILE *out);

/* Split a configuration string into arguments as Click does (exported for the
 * element catalogue and tests). */
int click_split_args(const char *config, const struct src_loc *loc, struct arena *a,
                     struct click_args *out);

#endif
