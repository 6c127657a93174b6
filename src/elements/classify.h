/* The parsed rule lists of Classifier, IPClassifier and IPFilter
 * (click.md 3.2, Parts 4-5): first matching rule decides; no match drops. */
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

#endif
