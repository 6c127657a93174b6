/* Null, PushNull, PullNull and Idle (click.md 3.7); no arguments. Idle has
 * any number of ports and flow code x/y: nothing passes through it. */
#include "elements/args.h"
#include "elements/element.h"

const struct elem_class elem_null = {
	.name = "Null",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = elem__configure_none,
};

const struct elem_class elem_pushnull = {
	.name = "PushNull",
	.port_count = "1/1",
	.processing = "h/h",
	.configure = elem__configure_none,
};

const struct elem_class elem_pullnull = {
	.name = "PullNull",
	.port_count = "1/1",
	.processing = "l/l",
	.configure = elem__configure_none,
};

const struct elem_class elem_idle = {
	.name = "Idle",
	.port_count = "-/-",
	.processing = "a/a",
	.flow_code = "x/y",
	.configure = elem__configure_none,
};
