/* IPOutputCombo(COLOR, IPADDR, MTU) (click.md 3.3): a router's output path
 * in one element (outputs: 0 ok, 1 redirect clone, 2 bad options, 3 TTL
 * expired, 4 needs fragmenting). */
#include <errno.h>

#include "elements/args.h"
#include "elements/element.h"

struct ipoutputcombo_conf {
	uint8_t color;  /* paint value that triggers the output-1 clone */
	uint32_t addr;  /* the interface address (options, fix-IP-source) */
	uint32_t mtu;
};

static int ipoutputcombo_configure(const struct elem_ctx *ctx, const struct click_args *args,
                                   void **conf)
{
	struct ipoutputcombo_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = {
		arg_u8("COLOR", ARG_MP, &c->color),
		arg_ip("IPADDR", ARG_MP, &c->addr),
		arg_u32("MTU", ARG_MP, &c->mtu),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

const struct elem_class elem_ipoutputcombo = {
	.name = "IPOutputCombo",
	.port_count = "1/5",
	.processing = "h/h",
	.configure = ipoutputcombo_configure,
};
