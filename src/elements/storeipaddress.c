/* StoreIPAddress (click.md 3.5). */
#include "elements/element.h"

const struct elem_class elem_storeipaddress = {
	.name = "StoreIPAddress",
	.port_count = "1/1-2",
	.processing = "a/ah",
};
