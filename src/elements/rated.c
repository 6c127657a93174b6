/* RatedUnqueue and RatedSplitter (click.md 3.6): token buckets in packets/s. */
#include "elements/element.h"

const struct elem_class elem_ratedunqueue = {
	.name = "RatedUnqueue",
	.port_count = "1/1",
	.processing = "l/h",
	.flags = ELEM_SOURCE,
};

const struct elem_class elem_ratedsplitter = {
	.name = "RatedSplitter",
	.port_count = "1/1-2",
	.processing = "h/h",
};
