/* IPEncap and UDPIPEncap (click.md 3.4). */
#include "elements/element.h"

const struct elem_class elem_ipencap = {
	.name = "IPEncap",
	.port_count = "1/1",
	.processing = "a/a",
};

const struct elem_class elem_udpipencap = {
	.name = "UDPIPEncap",
	.port_count = "1/1",
	.processing = "a/a",
};
