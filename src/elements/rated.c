/* RatedUnqueue and RatedSplitter (click.md 3.6): token buckets in packets
 * per second. X(RATE [, BURST_DURATION t | BURST_SIZE n]); the bucket holds
 * RATE x BURST_DURATION tokens (default 20 ms), at least 1. */
#include <errno.h>

#include "elements/args.h"
#include "elements/element.h"

struct rated_conf {
	uint32_t rate;       /* packets per second */
	uint64_t burst_size; /* bucket capacity in packets, >= 1 */
};

static int rated_configure(const struct elem_ctx *ctx, const struct click_args *args, void **conf)
{
	struct rated_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	int64_t dur = 20000000; /* 20 ms */
	uint32_t size = 0;
	struct arg_spec spec[] = {
		arg_u32("RATE", ARG_MP, &c->rate),
		arg_time("BURST_DURATION", 0, &dur),
		arg_u32("BURST_SIZE", 0, &size),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (spec[1].given && spec[2].given)
		return arg_error(ctx, &spec[2].val, "BURST_DURATION and BURST_SIZE cannot both be given");
	if (spec[2].given)
		c->burst_size = size;
	else
		c->burst_size = (uint64_t)((unsigned __int128)c->rate * (uint64_t)dur / 1000000000u);
	if (c->burst_size < 1)
		c->burst_size = 1;
	*conf = c;
	return 0;
}

const struct elem_class elem_ratedunqueue = {
	.name = "RatedUnqueue",
	.port_count = "1/1",
	.processing = "l/h",
	.flags = ELEM_SOURCE,
	.configure = rated_configure,
};

const struct elem_class elem_ratedsplitter = {
	.name = "RatedSplitter",
	.port_count = "1/1-2",
	.processing = "h/h",
	.configure = rated_configure,
};
