/* CheckIPHeader (click.md 3.3). */
#include "elements/element.h"

const struct elem_class elem_checkipheader = {
	.name = "CheckIPHeader",
	.port_count = "1/1-2",
	.processing = "a/ah",
};
