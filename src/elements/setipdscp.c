/* SetIPDSCP(DSCP) (click.md 3.5): tos = (tos & 3) | DSCP << 2, DSCP 0-63. */
#include <errno.h>

#include "elements/args.h"
#include "elements/element.h"
#include "runtime/runtime.h" /* complete type for the runtime forward declaration (clang) */

struct setipdscp_conf {
	uint8_t dscp; /* 0-63 */
};

static int setipdscp_configure(const struct elem_ctx *ctx, const struct click_args *args,
                               void **conf)
{
	struct setipdscp_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = { arg_u8("DSCP", ARG_MP, &c->dscp) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (c->dscp > 63)
		return arg_error(ctx, &spec[0].val, "out of range, bound 63");
	*conf = c;
	return 0;
}

static const struct elem_runtime setipdscp_runtime;
const struct elem_class elem_setipdscp = {
	.name = "SetIPDSCP",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = setipdscp_configure,
	.runtime = &setipdscp_runtime,
};

/* ---- runtime (packet functions) ---- */
#include "runtime/net.h"
#include "runtime/runtime.h"

/* tos = (tos & 3) | DSCP << 2, IP checksum updated incrementally. */
static struct rt_pkt *setipdscp_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct setipdscp_conf *c = e->conf;
	if (!rt_pkt_has_ip(p) || rt_pkt_ip_avail(p) < 20) {
		rt_drop(e, p);
		return NULL;
	}
	uint8_t *ip = rt_pkt_ip(p);
	uint16_t old = rt_rd16(ip);
	ip[1] = (uint8_t)((ip[1] & 3) | (c->dscp << 2));
	rt_csum_update16(ip + 10, old, rt_rd16(ip));
	return p;
}

static const struct elem_runtime setipdscp_runtime = { .action = setipdscp_action };
