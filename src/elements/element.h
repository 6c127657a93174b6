/* The element catalogue: one table of every Click element innet accepts.
 *
 * Each element lives in one file (src/elements/<name>.c) that holds, side by
 * side, its argument parsing (configure), its symbolic model (for
 * src/verify) and its packet function (for src/runtime), so that what is
 * verified is what runs. Adding an element is adding one file and one line
 * in catalogue.c. Nothing outside the catalogue is accepted.
 *
 * Conventions of the parsed configurations (conf): each element's conf
 * struct is private to its file, except the families shared with the
 * verifier and the runtime: classify.h (Classifier, IPClassifier,
 * IPFilter), rewriter.h (IPRewriter, IPAddrRewriter), iproute.h (the
 * route-table elements). Addresses and ports are host byte order; times
 * are int64 nanoseconds; bandwidths bits per second (BandwidthShaper
 * stores bytes/s); annotation offsets are bytes into Click's 48-byte
 * annotation area. Argument parsing helpers: args.h. */
#ifndef INNET_ELEMENTS_ELEMENT_H
#define INNET_ELEMENTS_ELEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/diag.h"
#include "click/click.h"

struct elem_model;    /* src/verify/model.h: the symbolic model */
struct elem_runtime;  /* src/runtime/runtime.h: the packet function */

/* What configure sees: the element's resolved port counts (Click configures
 * after counting ports), where to allocate, where to report. */
struct elem_ctx {
	const struct click_element *elem; /* name, loc, ... */
	uint32_t ninputs, noutputs;
	struct arena *arena;              /* the graph's; conf lives here */
	struct diags *diags;
};

enum elem_flags {
	ELEM_DEVICE_IN = 1u << 0,  /* FromDevice/FromNetFront: a module/box input port */
	ELEM_DEVICE_OUT = 1u << 1, /* ToDevice/ToNetFront */
	ELEM_STATEFUL = 1u << 2,   /* keeps per-flow state (rewriters, enforcer, queues) */
	ELEM_SOURCE = 1u << 3,     /* produces packets of its own (timers) */
};

struct elem_class {
	const char *name;
	const char *port_count; /* Click syntax: "1/1-2", "1-/=", "-/-" */
	const char *processing; /* "a/ah", "h/lh", "l/h" */
	const char *flow_code;  /* NULL means "x/x" */
	unsigned flags;         /* enum elem_flags */
	/* Parse args into a class-specific struct allocated in ctx->arena and
	 * stored in *conf. Returns 0, or a negative errno after adding
	 * diagnostics that point into the offending argument. */
	int (*configure)(const struct elem_ctx *ctx, const struct click_args *args, void **conf);
	const struct elem_model *model;
	const struct elem_runtime *runtime;
};

/* Look up by name (aliases such as FromNetFront are entries of their own
 * that share the functions). NULL if unknown. */
const struct elem_class *elem_class_find(const char *name);
size_t elem_class_count(void);
const struct elem_class *elem_class_at(size_t i);

#endif
