/* The parsed rule lists of Classifier, IPClassifier and IPFilter (Click's
 * documentation of the three): first matching rule decides; no match
 * drops. The family shares its model, packet function and description
 * (classifier.c). */
#ifndef INNET_ELEMENTS_CLASSIFY_H
#define INNET_ELEMENTS_CLASSIFY_H

#include <stdint.h>

#include "elements/element.h"
#include "flow/flow.h"

struct cls_rule {
	int32_t out;            /* output port, or -1: drop (IPFilter deny/drop) */
	struct flow_expr *expr; /* Classifier: FLOW_BASE_DATA; others: IP/transport */
	struct src_loc loc;
};

struct cls_conf {
	uint32_t n;
	struct cls_rule *rules;
};

/* A cls_conf with room for nrules rules (n = 0), from the element's arena. */
struct cls_conf *cls_conf_alloc(const struct click_conf_ctx *ctx, size_t nrules);
/* Configure a one-pattern-per-output classifier (Classifier, IPClassifier):
 * exactly noutputs arguments, argument i parsed by `parse` into rule i
 * going to output i. Every argument is parsed (all errors reported). */
int cls_configure_per_output(const struct click_conf_ctx *ctx, const struct click_args *args,
                             int (*parse)(const struct click_conf_ctx *ctx, const struct click_arg *arg,
                                          struct flow_expr **out),
                             void **conf);
/* The describe of the family: {"PATTERN": [TEXT, ...]}, rule i's pattern
 * in src/flow's canonical form (IPFilter adds its ACTIONs). NULL when out
 * of memory. */
struct json_t *cls_describe(const void *conf);
/* The symbolic model and the packet function the whole family shares. */
extern const struct elem_model cls_model;
extern const struct elem_runtime cls_runtime;
/* The family's doc_model. */
extern const char cls_doc_model[];

#endif
