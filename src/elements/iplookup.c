/* LinearIPLookup, StaticIPLookup, RadixIPLookup (click.md 3.9). */
#include "elements/element.h"

const struct elem_class elem_lineariplookup = {
	.name = "LinearIPLookup",
	.port_count = "1/-",
	.processing = "h/h",
};

const struct elem_class elem_staticiplookup = {
	.name = "StaticIPLookup",
	.port_count = "1/-",
	.processing = "h/h",
};

const struct elem_class elem_radixiplookup = {
	.name = "RadixIPLookup",
	.port_count = "1/-",
	.processing = "h/h",
};
