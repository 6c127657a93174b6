/* IPRewriter (click.md 3.5): NAPT for TCP and UDP. */
#include "elements/element.h"

const struct elem_class elem_iprewriter = {
	.name = "IPRewriter",
	.port_count = "1-/1-",
	.processing = "h/h",
	.flags = ELEM_STATEFUL,
};
