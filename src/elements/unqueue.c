/* Unqueue and TimedUnqueue (click.md 3.6): pull to push on a task.
 * Unqueue([BURST] [, ACTIVE, LIMIT]); TimedUnqueue(INTERVAL [, BURST]). */
#include <errno.h>

#include "elements/args.h"
#include "elements/element.h"

struct unqueue_conf {
	int32_t burst;  /* per run; negative: until the upstream is empty */
	bool active;    /* true */
	int32_t limit;  /* total packets, -1: unlimited */
};

static int unqueue_configure(const struct elem_ctx *ctx, const struct click_args *args, void **conf)
{
	struct unqueue_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->burst = 1;
	c->active = true;
	c->limit = -1;
	struct arg_spec spec[] = {
		arg_i32("BURST", ARG_P, &c->burst),
		arg_bool("ACTIVE", 0, &c->active),
		arg_i32("LIMIT", 0, &c->limit),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (c->burst == 0)
		arg_warning(ctx, &spec[0].val, "BURST 0 never pulls a packet");
	*conf = c;
	return 0;
}

struct timedunqueue_conf {
	int64_t interval_ns; /* > 0, millisecond precision as in Click */
	uint32_t burst;      /* > 0, default 1 */
};

static int timedunqueue_configure(const struct elem_ctx *ctx, const struct click_args *args,
                                  void **conf)
{
	struct timedunqueue_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->burst = 1;
	struct arg_spec spec[] = {
		arg_time("INTERVAL", ARG_MP, &c->interval_ns),
		arg_u32("BURST", ARG_P, &c->burst),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	c->interval_ns = (c->interval_ns + 500000) / 1000000 * 1000000;
	if (c->interval_ns <= 0)
		rc = arg_error(ctx, &spec[0].val, "must be at least 1ms");
	if (spec[1].given && c->burst == 0)
		rc = arg_error(ctx, &spec[1].val, "must be at least 1");
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

const struct elem_class elem_unqueue = {
	.name = "Unqueue",
	.port_count = "1/1",
	.processing = "l/h",
	.flags = ELEM_SOURCE,
	.configure = unqueue_configure,
};

const struct elem_class elem_timedunqueue = {
	.name = "TimedUnqueue",
	.port_count = "1/1",
	.processing = "l/h",
	.flags = ELEM_SOURCE,
	.configure = timedunqueue_configure,
};
