/* Queue, SimpleQueue and the old name FullNoteQueue (click.md 3.6). */
#include "elements/element.h"

const struct elem_class elem_queue = {
	.name = "Queue",
	.port_count = "1/1-2",
	.processing = "h/lh",
	.flags = ELEM_STATEFUL,
};

const struct elem_class elem_simplequeue = {
	.name = "SimpleQueue",
	.port_count = "1/1-2",
	.processing = "h/lh",
	.flags = ELEM_STATEFUL,
};

const struct elem_class elem_fullnotequeue = {
	.name = "FullNoteQueue",
	.port_count = "1/1-2",
	.processing = "h/lh",
	.flags = ELEM_STATEFUL,
};
