/* Discard([ACTIVE, BURST]) (click.md 3.7): frees every packet; in pull
 * context pulls up to BURST per run while ACTIVE. Keywords only, as Click. */
#include <errno.h>

#include "elements/args.h"
#include "elements/element.h"

struct discard_conf {
	bool active;    /* true */
	uint32_t burst; /* 1 */
};

static int discard_configure(const struct elem_ctx *ctx, const struct click_args *args, void **conf)
{
	struct discard_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->active = true;
	c->burst = 1;
	struct arg_spec spec[] = {
		arg_bool("ACTIVE", 0, &c->active),
		arg_u32("BURST", 0, &c->burst),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

const struct elem_class elem_discard = {
	.name = "Discard",
	.port_count = "1/0",
	.processing = "a/a",
	.configure = discard_configure,
};
