/* EtherEncap and EtherRewrite (click.md 3.4). */
#include "elements/element.h"

const struct elem_class elem_etherencap = {
	.name = "EtherEncap",
	.port_count = "1/1",
	.processing = "a/a",
};

const struct elem_class elem_etherrewrite = {
	.name = "EtherRewrite",
	.port_count = "1/1",
	.processing = "a/a",
};
