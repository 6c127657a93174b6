/* MarkIPHeader (click.md 3.3). */
#include "elements/element.h"

const struct elem_class elem_markipheader = {
	.name = "MarkIPHeader",
	.port_count = "1/1",
	.processing = "a/a",
};
