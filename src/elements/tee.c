/* Tee([N]) and PullTee([N]) (click.md 3.7): copies to outputs 0..n-2 in
 * order, the original to n-1. N, if given, must equal the output count. */
#include <errno.h>

#include "elements/args.h"
#include "elements/element.h"

static int tee_configure(const struct elem_ctx *ctx, const struct click_args *args, void **conf)
{
	uint32_t n = 0;
	struct arg_spec spec[] = { arg_u32("N", ARG_P, &n) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (spec[0].given && n != ctx->noutputs)
		return arg_error(ctx, &spec[0].val, "%u outputs connected, but N is %u", ctx->noutputs, n);
	*conf = NULL;
	return 0;
}

const struct elem_class elem_tee = {
	.name = "Tee",
	.port_count = "1/1-",
	.processing = "h/h",
	.configure = tee_configure,
};

const struct elem_class elem_pulltee = {
	.name = "PullTee",
	.port_count = "1/1-",
	.processing = "l/lh",
	.configure = tee_configure,
};
