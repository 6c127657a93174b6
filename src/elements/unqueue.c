/* Unqueue and TimedUnqueue (click.md 3.6): pull to push. */
#include "elements/element.h"

const struct elem_class elem_unqueue = {
	.name = "Unqueue",
	.port_count = "1/1",
	.processing = "l/h",
	.flags = ELEM_SOURCE,
};

const struct elem_class elem_timedunqueue = {
	.name = "TimedUnqueue",
	.port_count = "1/1",
	.processing = "l/h",
	.flags = ELEM_SOURCE,
};
