/* IPsecESPEncap (click.md 3.4, 7.7): Click's configure ignores every argument, so configure is NULL (accept anything). */
#include "elements/element.h"

const struct elem_class elem_ipsecespencap = {
	.name = "IPsecESPEncap",
	.port_count = "1/1",
	.processing = "a/a",
};
