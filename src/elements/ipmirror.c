/* IPMirror([DST_ANNO]): swap IP source/destination and TCP/UDP ports. */
#include "elements/element.h"

const struct elem_class elem_ipmirror = {
	.name = "IPMirror",
	.port_count = "1/1",
	.processing = "a/a",
};
