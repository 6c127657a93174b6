/* IPFragmenter (click.md 3.3). */
#include "elements/element.h"

const struct elem_class elem_ipfragmenter = {
	.name = "IPFragmenter",
	.port_count = "1/1-2",
	.processing = "h/h",
};
