/* Counter and AverageCounter (click.md 3.7): pass-through counting.
 * Counter's COUNT_CALL/BYTE_COUNT_CALL fire Click write handlers, which
 * innet modules do not have, so they are refused rather than ignored. */
#include <errno.h>

#include "elements/args.h"
#include "elements/element.h"

static int counter_configure(const struct elem_ctx *ctx, const struct click_args *args, void **conf)
{
	struct arg_val call = { 0 }, bcall = { 0 };
	struct arg_spec spec[] = {
		arg_raw("COUNT_CALL", 0, &call),
		arg_raw("BYTE_COUNT_CALL", 0, &bcall),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	for (size_t i = 0; i < ARG_N(spec); i++)
		if (spec[i].given)
			rc = arg_error(ctx, &spec[i].val, "handler calls are not supported in innet");
	*conf = NULL;
	return rc;
}

struct averagecounter_conf {
	int64_t ignore_ns; /* ignore the first IGNORE seconds (default 0) */
};

static int averagecounter_configure(const struct elem_ctx *ctx, const struct click_args *args,
                                    void **conf)
{
	struct averagecounter_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = { arg_time("IGNORE", ARG_P, &c->ignore_ns) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

const struct elem_class elem_counter = {
	.name = "Counter",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = counter_configure,
};

const struct elem_class elem_averagecounter = {
	.name = "AverageCounter",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = averagecounter_configure,
};
