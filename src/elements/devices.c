/* Device elements (click.md 3.1, Part 6; DESIGN section 11): a module's ports. */
#include "elements/element.h"

const struct elem_class elem_fromdevice = {
	.name = "FromDevice",
	.port_count = "0/1",
	.processing = "h/h",
	.flags = ELEM_DEVICE_IN,
};

const struct elem_class elem_fromnetfront = {
	.name = "FromNetFront",
	.port_count = "0/1",
	.processing = "h/h",
	.flags = ELEM_DEVICE_IN,
};

const struct elem_class elem_todevice = {
	.name = "ToDevice",
	.port_count = "1/0-1",
	.processing = "a/h",
	.flags = ELEM_DEVICE_OUT,
};

const struct elem_class elem_tonetfront = {
	.name = "ToNetFront",
	.port_count = "1/0-1",
	.processing = "a/h",
	.flags = ELEM_DEVICE_OUT,
};
