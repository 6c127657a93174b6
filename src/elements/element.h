/* The element catalogue: one table of every Click element innet accepts.
 *
 * Each element lives in one file (src/elements/<name>.c) that holds, side by
 * side, its argument parsing (configure), its symbolic model (for
 * src/verify) and its packet function (for src/runtime), so that what is
 * verified is what runs. Adding an element is adding one file (with its
 * describe, doc_args and doc_model) and one line in catalogue.c, then
 * regenerating docs/elements.md (innet click catalogue). Nothing outside the
 * catalogue is accepted.
 *
 * Conventions of the parsed configurations (conf): each element's conf
 * struct is private to its file, except the families whose members share
 * code, in internal.h: the classifiers (Classifier, IPClassifier,
 * IPFilter), the rewriters (IPRewriter, IPAddrRewriter) and the route
 * tables. Addresses and ports are host byte order; times
 * are int64 nanoseconds; bandwidths bits per second (BandwidthShaper
 * stores bytes/s); annotation offsets are bytes into Click's 48-byte
 * annotation area. Argument parsing, describe and model helpers, and the
 * IPv4 steps several packet functions share, are in internal.h too.
 *
 * What describe returns (helpers: internal.h, section 2): one JSON object per
 * configured instance whose keys are the class's Click keywords, each with
 * its effective value (defaults filled in; a setting derived from others,
 * such as IPEncap's TOS from DSCP/ECT/CE, under the keyword it ends up in).
 * Numbers in the units above, times as integer nanoseconds; addresses
 * "a.b.c.d", prefixes "a.b.c.d/len", Ethernet addresses "00:1a:2b:3c:4d:5e",
 * byte strings lower-case hex; null for a setting that is absent. An
 * argument that repeats (a route, a filter rule) gives one array per word
 * of it, in argument order: LinearIPLookup's ADDR/MASK, GW and OUT, or
 * IPFilter's ACTION and PATTERN; IPRewriter's INPUTSPEC, a small language
 * of its own, is its effective text. */
#ifndef INNET_ELEMENTS_ELEMENT_H
#define INNET_ELEMENTS_ELEMENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/arena.h"
#include "base/diag.h"
#include "click/click.h"

enum elem_flags {
	ELEM_DEVICE_IN = 1u << 0,  /* FromDevice/FromNetFront: a module/box input port */
	ELEM_DEVICE_OUT = 1u << 1, /* ToDevice/ToNetFront */
	ELEM_STATEFUL = 1u << 2,   /* keeps per-flow state (rewriters, enforcer, queues) */
	ELEM_SOURCE = 1u << 3,     /* produces packets of its own (timers) */
	/* makes new packets with no input (InfiniteSource, ICMPPingSource):
	 * `innet click run` keeps running while one has a timer pending */
	ELEM_MAKES = 1u << 4,
	/* ToProcess/FromProcess: the module's process device (VM_PROCESS_DEVICE,
	 * runtime/runtime.h). A device to the runtime (with ELEM_DEVICE_IN/OUT);
	 * to the verifier and the controller's sandbox rewrite an ordinary
	 * element, since its packets go to and come from the module's program,
	 * not the network: test elem_net_device() there. */
	ELEM_PROCESS = 1u << 5,
};

/* ELEM_DEVICE_IN/OUT of a class whose device faces the network (0 for
 * the process elements and for every other element). */
static inline unsigned elem_net_device(const struct click_class *c)
{
	return (c->flags & ELEM_PROCESS) ? 0u : c->flags & (ELEM_DEVICE_IN | ELEM_DEVICE_OUT);
}

/* Look up by name (aliases such as FromNetFront are entries of their own
 * that share the functions). NULL if unknown. */
const struct click_class *elem_class_find(const char *name);
size_t elem_class_count(void);
const struct click_class *elem_class_at(size_t i);
/* Options with the catalogue as lookup and Click's default limits. */
extern const struct click_options elem_click_options;
/* Why a Click class is not in the catalogue, for the few innet lacks on
 * purpose (ToHost: no host stack; IPv6 classes: IPv4 only); NULL
 * otherwise. Used as click_options.why_unknown. */
const char *elem_class_why_unknown(const char *name);

/* The catalogue as Markdown (docs/elements.md is this output): a table of
 * contents, then per class its ports, processing, flags, arguments and
 * model, from the class table. Returns 0, or -EIO when writing fails. */
int elem_catalogue_write_markdown(FILE *out);

#endif
