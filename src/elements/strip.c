/* Strip(LENGTH) and Unstrip(LENGTH) (click.md 3.4): move the data pointer. */
#include <errno.h>

#include "elements/args.h"
#include "elements/element.h"

struct strip_conf {
	uint32_t length; /* bytes */
};

static int strip_configure(const struct elem_ctx *ctx, const struct click_args *args, void **conf)
{
	struct strip_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = { arg_u32("LENGTH", ARG_MP, &c->length) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

const struct elem_class elem_strip = {
	.name = "Strip",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = strip_configure,
};

const struct elem_class elem_unstrip = {
	.name = "Unstrip",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = strip_configure,
};
