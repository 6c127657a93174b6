/* IPMirror([DST_ANNO]): swap the IP source and destination and, for TCP
 * and UDP first fragments, the ports (checksums stay valid: the swap does
 * not change the sums). DST_ANNO (true) sets the dst-IP annotation to the
 * new destination. Needs the IP header annotation. */
#include <errno.h>

#include "elements/args.h"
#include "elements/element.h"

struct ipmirror_conf {
	bool dst_anno; /* true */
};

static int ipmirror_configure(const struct elem_ctx *ctx, const struct click_args *args, void **conf)
{
	struct ipmirror_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->dst_anno = true;
	struct arg_spec spec[] = { arg_bool("DST_ANNO", ARG_P, &c->dst_anno) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

const struct elem_class elem_ipmirror = {
	.name = "IPMirror",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = ipmirror_configure,
};
