/* EtherEncap(ETHERTYPE, SRC, DST) and EtherRewrite(SRC, DST) (click.md 3.4). */
#include <errno.h>

#include "elements/args.h"
#include "elements/element.h"

struct etherencap_conf {
	uint16_t ethertype; /* host order (EtherRewrite: unused) */
	uint8_t src[6], dst[6];
};

static int etherencap_configure(const struct elem_ctx *ctx, const struct click_args *args,
                                void **conf)
{
	struct etherencap_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = {
		arg_u16("ETHERTYPE", ARG_MP, &c->ethertype),
		arg_ether("SRC", ARG_MP, c->src),
		arg_ether("DST", ARG_MP, c->dst),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

static int etherrewrite_configure(const struct elem_ctx *ctx, const struct click_args *args,
                                  void **conf)
{
	struct etherencap_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = {
		arg_ether("SRC", ARG_MP, c->src),
		arg_ether("DST", ARG_MP, c->dst),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

const struct elem_class elem_etherencap = {
	.name = "EtherEncap",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = etherencap_configure,
};

const struct elem_class elem_etherrewrite = {
	.name = "EtherRewrite",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = etherrewrite_configure,
};
