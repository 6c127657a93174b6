/* Switch, RoundRobinSwitch and HashSwitch (click.md 3.2). */
#include "elements/element.h"

const struct elem_class elem_switch = {
	.name = "Switch",
	.port_count = "1/-",
	.processing = "h/h",
};

const struct elem_class elem_roundrobinswitch = {
	.name = "RoundRobinSwitch",
	.port_count = "1/1-",
	.processing = "h/h",
};

const struct elem_class elem_hashswitch = {
	.name = "HashSwitch",
	.port_count = "1/1-",
	.processing = "h/h",
};
