/* BandwidthShaper and Shaper (click.md 3.6): pull-side rate limits. */
#include "elements/element.h"

const struct elem_class elem_bandwidthshaper = {
	.name = "BandwidthShaper",
	.port_count = "1/1-2",
	.processing = "l/l",
};

const struct elem_class elem_shaper = {
	.name = "Shaper",
	.port_count = "1/1-2",
	.processing = "l/l",
};
