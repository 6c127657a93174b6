/* IPFilter and IPClassifier (click.md 3.2, Part 4). */
#include "elements/element.h"

const struct elem_class elem_ipfilter = {
	.name = "IPFilter",
	.port_count = "1/-",
	.processing = "h/h",
};

const struct elem_class elem_ipclassifier = {
	.name = "IPClassifier",
	.port_count = "1/-",
	.processing = "h/h",
};
