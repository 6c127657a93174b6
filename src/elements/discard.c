/* Discard (click.md 3.7). */
#include "elements/element.h"

const struct elem_class elem_discard = {
	.name = "Discard",
	.port_count = "1/0",
	.processing = "a/a",
};
