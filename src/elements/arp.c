/* ARPResponder and ARPQuerier (click.md 3.8). */
#include "elements/element.h"

const struct elem_class elem_arpresponder = {
	.name = "ARPResponder",
	.port_count = "1/1-2",
	.processing = "a/ah",
};

const struct elem_class elem_arpquerier = {
	.name = "ARPQuerier",
	.port_count = "2/1-2",
	.processing = "h/h",
	.flow_code = "xy/x",
	.flags = ELEM_STATEFUL,
};
