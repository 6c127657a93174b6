/* IPAddrRewriter (click.md 3.5): basic NAT. */
#include "elements/element.h"

const struct elem_class elem_ipaddrrewriter = {
	.name = "IPAddrRewriter",
	.port_count = "1-/1-",
	.processing = "h/h",
	.flags = ELEM_STATEFUL,
};
