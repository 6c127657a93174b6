/* BandwidthShaper(RATE) and Shaper(RATE) (click.md 3.6): pull-side rate
 * limits. BandwidthShaper's RATE is a bandwidth (default unit bytes/s),
 * Shaper's is packets/s. Both outputs (1/1-2) are treated the same. */
#include <errno.h>

#include "elements/args.h"
#include "elements/element.h"

struct shaper_conf {
	uint64_t rate; /* tokens per second: bytes (bytes = true) or packets */
	bool bytes;
};

static int bandwidthshaper_configure(const struct elem_ctx *ctx, const struct click_args *args,
                                     void **conf)
{
	struct shaper_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	uint64_t bits = 0;
	struct arg_spec spec[] = { arg_bandwidth("RATE", ARG_MP, &bits) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	c->bytes = true;
	c->rate = bits / 8;
	if (c->rate == 0)
		return arg_error(ctx, &spec[0].val, "rate below 1 byte per second");
	*conf = c;
	return 0;
}

static int shaper_configure(const struct elem_ctx *ctx, const struct click_args *args, void **conf)
{
	struct shaper_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	uint32_t rate = 0;
	struct arg_spec spec[] = { arg_u32("RATE", ARG_MP, &rate) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	c->rate = rate;
	*conf = c;
	return 0;
}

const struct elem_class elem_bandwidthshaper = {
	.name = "BandwidthShaper",
	.port_count = "1/1-2",
	.processing = "l/l",
	.configure = bandwidthshaper_configure,
};

const struct elem_class elem_shaper = {
	.name = "Shaper",
	.port_count = "1/1-2",
	.processing = "l/l",
	.configure = shaper_configure,
};
