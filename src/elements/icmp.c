/* ICMPPingResponder and ICMPError (click.md 3.8). */
#include "elements/element.h"

const struct elem_class elem_icmppingresponder = {
	.name = "ICMPPingResponder",
	.port_count = "1/1-2",
	.processing = "a/ah",
};

const struct elem_class elem_icmperror = {
	.name = "ICMPError",
	.port_count = "1/1",
	.processing = "a/a",
};
