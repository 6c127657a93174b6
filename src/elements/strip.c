/* Strip and Unstrip (click.md 3.4). */
#include "elements/element.h"

const struct elem_class elem_strip = {
	.name = "Strip",
	.port_count = "1/1",
	.processing = "a/a",
};

const struct elem_class elem_unstrip = {
	.name = "Unstrip",
	.port_count = "1/1",
	.processing = "a/a",
};
