/* Null, PushNull, PullNull and Idle (click.md 3.7). */
#include "elements/element.h"

const struct elem_class elem_null = {
	.name = "Null",
	.port_count = "1/1",
	.processing = "a/a",
};

const struct elem_class elem_pushnull = {
	.name = "PushNull",
	.port_count = "1/1",
	.processing = "h/h",
};

const struct elem_class elem_pullnull = {
	.name = "PullNull",
	.port_count = "1/1",
	.processing = "l/l",
};

const struct elem_class elem_idle = {
	.name = "Idle",
	.port_count = "-/-",
	.processing = "a/a",
	.flow_code = "x/y",
};
