/* SetTimestamp (click.md 3.7). */
#include "elements/element.h"

const struct elem_class elem_settimestamp = {
	.name = "SetTimestamp",
	.port_count = "1/1",
	.processing = "a/a",
};
