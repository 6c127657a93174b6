/* FixIPSrc(IPADDR) (as Click documents it): when the fix-IP-source
 * annotation is set on a packet with an IP header annotation, clear it,
 * make IPADDR the IP source and recompute the header checksum. Click
 * writes a header that runs past the packet's end; innet leaves such a
 * packet unchanged. */
#include <errno.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct fixipsrc_conf {
	uint32_t addr; /* host order */
};

static int fixipsrc_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                              void **conf)
{
	struct fixipsrc_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = { arg_ip("IPADDR", ARG_MP, &c->addr) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* The fix-IP-source flag is flow state (ICMPError sets it): flows with it
 * get source IPADDR and lose it; the rest pass unchanged. */
static int fixipsrc_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                             struct sym_flow *f)
{
	const struct fixipsrc_conf *c = e->conf;
	if (mu_fixsrc(cx, f)) {
		mu_set_fixsrc(cx, f, 0);
		sym_set_const(cx, f, SYM_F_SRC, c->addr);
	}
	sym_emit(cx, 0, f);
	return 0;
}

static const struct elem_model fixipsrc_model = { .push = fixipsrc_sym_push };

/* ---- runtime (packet functions) ---- */
static struct rt_pkt *fixipsrc_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct fixipsrc_conf *c = e->conf;
	if (!p->anno[RT_ANNO_FIX_IP_SRC] || !rt_pkt_has_ip(p))
		return p;
	uint8_t *ip = rt_pkt_ip(p);
	uint32_t avail = rt_pkt_ip_avail(p);
	uint32_t hlen = avail >= 20 ? (uint32_t)(ip[0] & 15) << 2 : 0;
	if (hlen < 20 || hlen > avail)
		return p;
	p->anno[RT_ANNO_FIX_IP_SRC] = 0;
	rt_wr32(ip + 12, c->addr);
	rt_ip_set_csum(ip, hlen);
	return p;
}

static const struct elem_runtime fixipsrc_runtime = { .action = fixipsrc_action };

/* ---- describe and the class objects ---- */
static json_t *fixipsrc_describe(const void *conf)
{
	const struct fixipsrc_conf *c = conf;
	return json_pack("{s:o}", "IPADDR", describe_ip(c->addr));
}

const struct click_class elem_fixipsrc = {
	.name = "FixIPSrc",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = fixipsrc_configure,
	.model = &fixipsrc_model,
	.runtime = &fixipsrc_runtime,
	.describe = fixipsrc_describe,
	.doc_args = "IPADDR (IP address; mandatory)",
	.doc_model = "Flows carrying the fix-IP-source flag (set by ICMPError) get source IPADDR "
	             "and lose the flag; the rest pass unchanged.",
};
