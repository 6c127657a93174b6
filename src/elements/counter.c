/* Counter and AverageCounter (click.md 3.7). */
#include "elements/element.h"

const struct elem_class elem_counter = {
	.name = "Counter",
	.port_count = "1/1",
	.processing = "a/a",
};

const struct elem_class elem_averagecounter = {
	.name = "AverageCounter",
	.port_count = "1/1",
	.processing = "a/a",
};
