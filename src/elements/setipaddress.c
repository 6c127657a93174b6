/* SetIPAddress (click.md 3.5). */
#include "elements/element.h"

const struct elem_class elem_setipaddress = {
	.name = "SetIPAddress",
	.port_count = "1/1",
	.processing = "a/a",
};
