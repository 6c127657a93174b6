/* EtherEncap(ETHERTYPE, SRC, DST) and EtherRewrite(SRC, DST), as in Click. */
#include <errno.h>
#include <string.h>

#include "elements/args.h"
#include "elements/describe.h"
#include "elements/element.h"
#include "elements/model_util.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct etherencap_conf {
	uint16_t ethertype; /* host order (EtherRewrite: unused) */
	uint8_t src[6], dst[6];
};

static int etherencap_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
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

static int etherrewrite_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
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

/* ---- symbolic model (src/verify/model.h) ---- */
/* Link headers are not modelled (innet devices carry IPv4 without one).
 * EtherEncap puts 14 bytes in front of the data: the data pointer moves
 * back by 14, so a later Strip(14) (or CheckIPHeader(14)) finds the IP
 * layer again exactly. A packet that leaves with the link header in front
 * is read by the next hop as an IPv4 header made of MAC address bytes,
 * which the engine gives fresh, unconstrained fields; since those bytes
 * are in fact known, the flow is marked approximate here. */
static int etherencap_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                               struct sym_flow *f)
{
	sym_move_data(cx, f, -14);
	sym_approx(cx, f, "EtherEncap: a link header the model does not track was prepended");
	sym_emit(cx, 0, f);
	return 0;
}

static const struct elem_model etherencap_model = { .push = etherencap_sym_push };
/* EtherRewrite writes only bytes at the MAC header annotation, which lie
 * in front of the IP header (or nowhere: packets from innet devices have
 * none), so no modelled field changes. */
static const struct elem_model etherrewrite_model = { .push = mu_sym_pass };

/* ---- runtime (packet functions) ---- */
static struct rt_pkt *etherencap_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct etherencap_conf *c = e->conf;
	p = rt_pkt_push_front(e, p, 14);
	if (!p)
		return NULL;
	uint8_t *d = rt_pkt_data(p);
	memcpy(d, c->dst, 6);
	memcpy(d + 6, c->src, 6);
	d[12] = (uint8_t)(c->ethertype >> 8);
	d[13] = (uint8_t)c->ethertype;
	p->mac_off = (int32_t)p->off;
	return p;
}

/* Overwrites the addresses at the MAC header annotation; packets without
 * one (or too short there) pass unchanged. */
static struct rt_pkt *etherrewrite_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct etherencap_conf *c = e->conf;
	if (p->mac_off < 0 || (uint64_t)p->mac_off + 12 > (uint64_t)p->off + p->len)
		return p;
	uint8_t *d = p->buf + p->mac_off;
	memcpy(d, c->dst, 6);
	memcpy(d + 6, c->src, 6);
	return p;
}

static const struct elem_runtime etherencap_runtime = { .action = etherencap_action };
static const struct elem_runtime etherrewrite_runtime = { .action = etherrewrite_action };

/* ---- describe and the class objects ---- */
static json_t *etherencap_describe(const void *conf)
{
	const struct etherencap_conf *c = conf;
	return json_pack("{s:i, s:o, s:o}", "ETHERTYPE", c->ethertype, "SRC", describe_ether(c->src),
	                 "DST", describe_ether(c->dst));
}

static json_t *etherrewrite_describe(const void *conf)
{
	const struct etherencap_conf *c = conf;
	return json_pack("{s:o, s:o}", "SRC", describe_ether(c->src), "DST", describe_ether(c->dst));
}

const struct click_class elem_etherencap = {
	.name = "EtherEncap",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = etherencap_configure,
	.model = &etherencap_model,
	.runtime = &etherencap_runtime,
	.describe = etherencap_describe,
	.doc_args = "ETHERTYPE (unsigned 16-bit), SRC, DST (Ethernet addresses); all mandatory",
	.doc_model = "Link headers are not modelled: the data pointer moves back 14 bytes (a later "
	             "Strip(14) finds the IP layer again exactly), and the flow is approximate, "
	             "since a next hop would read MAC address bytes as an IP header.",
};

const struct click_class elem_etherrewrite = {
	.name = "EtherRewrite",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = etherrewrite_configure,
	.model = &etherrewrite_model,
	.runtime = &etherrewrite_runtime,
	.describe = etherrewrite_describe,
	.doc_args = "SRC, DST (Ethernet addresses; mandatory)",
	.doc_model = "Writes only bytes at the MAC header annotation, in front of the IP header, "
	             "so no modelled field changes.",
};
