/* Queue, SimpleQueue and the old name FullNoteQueue (click.md 3.6):
 * Queue([CAPACITY]), CAPACITY default 1000; push in, pull out 0, drops out 1. */
#include <errno.h>

#include "elements/args.h"
#include "elements/element.h"

struct queue_conf {
	uint32_t capacity; /* packets */
};

static int queue_configure(const struct elem_ctx *ctx, const struct click_args *args, void **conf)
{
	struct queue_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->capacity = 1000;
	struct arg_spec spec[] = { arg_u32("CAPACITY", ARG_P, &c->capacity) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

const struct elem_class elem_queue = {
	.name = "Queue",
	.port_count = "1/1-2",
	.processing = "h/lh",
	.flags = ELEM_STATEFUL,
	.configure = queue_configure,
};

const struct elem_class elem_simplequeue = {
	.name = "SimpleQueue",
	.port_count = "1/1-2",
	.processing = "h/lh",
	.flags = ELEM_STATEFUL,
	.configure = queue_configure,
};

const struct elem_class elem_fullnotequeue = {
	.name = "FullNoteQueue",
	.port_count = "1/1-2",
	.processing = "h/lh",
	.flags = ELEM_STATEFUL,
	.configure = queue_configure,
};
