/* IPFragmenter(MTU [, HONOR_DF] [, VERBOSE] [, HEADROOM n]) (click.md 3.3):
 * MTU >= 8; HONOR_DF true; VERBOSE false. DF packets too long go to
 * output 1. */
#include <errno.h>

#include "elements/args.h"
#include "elements/element.h"
#include "runtime/runtime.h" /* complete type for the runtime forward declaration (clang) */

struct ipfragmenter_conf {
	uint32_t mtu;      /* >= 8 */
	bool honor_df;     /* true */
	bool verbose;      /* false */
	uint32_t headroom; /* for new fragments; 0: the runtime's default */
};

static int ipfragmenter_configure(const struct elem_ctx *ctx, const struct click_args *args,
                                  void **conf)
{
	struct ipfragmenter_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->honor_df = true;
	struct arg_spec spec[] = {
		arg_u32("MTU", ARG_MP, &c->mtu),
		arg_bool("HONOR_DF", ARG_P, &c->honor_df),
		arg_bool("VERBOSE", ARG_P, &c->verbose),
		arg_u32("HEADROOM", 0, &c->headroom),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (c->mtu < 8)
		return arg_error(ctx, &spec[0].val, "must be at least 8");
	*conf = c;
	return 0;
}

static const struct elem_runtime ipfragmenter_runtime;
const struct elem_class elem_ipfragmenter = {
	.name = "IPFragmenter",
	.port_count = "1/1-2",
	.processing = "h/h",
	.configure = ipfragmenter_configure,
	.runtime = &ipfragmenter_runtime,
};

/* ---- runtime (packet functions) ---- */
#include "runtime/ops.h"

static void ipfragmenter_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	const struct ipfragmenter_conf *c = e->conf;
	rt_op_fragment(e, p, c->mtu, c->honor_df);
}

static const struct elem_runtime ipfragmenter_runtime = { .push = ipfragmenter_push };
