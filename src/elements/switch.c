/* Switch([OUTPUT]), RoundRobinSwitch() and HashSwitch(OFFSET, LENGTH)
 * (click.md 3.2). */
#include <errno.h>

#include "elements/args.h"
#include "elements/element.h"

struct switch_conf {
	int32_t output; /* negative: drop everything */
};

static int switch_configure(const struct elem_ctx *ctx, const struct click_args *args, void **conf)
{
	struct switch_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = { arg_i32("OUTPUT", ARG_P, &c->output) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (c->output >= 0 && (uint32_t)c->output >= ctx->noutputs)
		return arg_error(ctx, &spec[0].val, "output %d out of range (%u outputs)", c->output,
		                 ctx->noutputs);
	*conf = c;
	return 0;
}

struct hashswitch_conf {
	uint32_t offset; /* from the data pointer */
	uint32_t length; /* > 0 */
};

static int hashswitch_configure(const struct elem_ctx *ctx, const struct click_args *args,
                                void **conf)
{
	struct hashswitch_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = {
		arg_u32("OFFSET", ARG_MP, &c->offset),
		arg_u32("LENGTH", ARG_MP, &c->length),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (c->length == 0)
		return arg_error(ctx, &spec[1].val, "must be positive");
	*conf = c;
	return 0;
}

const struct elem_class elem_switch = {
	.name = "Switch",
	.port_count = "1/-",
	.processing = "h/h",
	.configure = switch_configure,
};

const struct elem_class elem_roundrobinswitch = {
	.name = "RoundRobinSwitch",
	.port_count = "1/1-",
	.processing = "h/h",
	.configure = elem__configure_none,
};

const struct elem_class elem_hashswitch = {
	.name = "HashSwitch",
	.port_count = "1/1-",
	.processing = "h/h",
	.configure = hashswitch_configure,
};
