/* ChangeEnforcer: innet's sandbox element (DESIGN section 9). */
#include "elements/element.h"

const struct elem_class elem_changeenforcer = {
	.name = "ChangeEnforcer",
	.port_count = "2/2",
	.processing = "h/h",
	.flow_code = "xy/xy",
	.flags = ELEM_STATEFUL,
};
