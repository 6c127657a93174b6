/* DecIPTTL([ACTIVE bool, MULTICAST bool]) (click.md 3.3): both default true;
 * expired packets (ttl <= 1) go to output 1. */
#include <errno.h>

#include "elements/args.h"
#include "elements/element.h"

struct decipttl_conf {
	bool active;    /* false: pass unchanged */
	bool multicast; /* false: multicast destinations pass unchanged */
};

static int decipttl_configure(const struct elem_ctx *ctx, const struct click_args *args, void **conf)
{
	struct decipttl_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->active = true;
	c->multicast = true;
	struct arg_spec spec[] = {
		arg_bool("ACTIVE", 0, &c->active),
		arg_bool("MULTICAST", 0, &c->multicast),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

static const struct elem_runtime decipttl_runtime;
const struct elem_class elem_decipttl = {
	.name = "DecIPTTL",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = decipttl_configure,
	.runtime = &decipttl_runtime,
};

/* ---- runtime (packet functions) ---- */
#include "runtime/ops.h"

static struct rt_pkt *decipttl_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct decipttl_conf *c = e->conf;
	int r = rt_op_dec_ttl(p, c->active, c->multicast);
	if (r == 0)
		return p;
	if (r == 1)
		rt_push(e, 1, p);
	else
		rt_drop(e, p);
	return NULL;
}

static const struct elem_runtime decipttl_runtime = { .action = decipttl_action };
