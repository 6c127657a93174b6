/* StoreData(OFFSET, DATA [, MASK]): write DATA at OFFSET from the data pointer. */
#include "elements/element.h"

const struct elem_class elem_storedata = {
	.name = "StoreData",
	.port_count = "1/1",
	.processing = "a/a",
};
