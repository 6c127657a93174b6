/* HostEtherFilter(ETHER [, DROP_OWN, DROP_OTHER, OFFSET]) (Click's): reads
 * the Ethernet header at data + OFFSET; a frame from ETHER (DROP_OWN, default
 * false) goes to output 1; otherwise the packet type is set from the
 * destination (ETHER: host, all ones: broadcast, group bit: multicast,
 * else other host, which goes to output 1 when DROP_OTHER, default true).
 * Output 1 absent: those are dropped. Departure: a frame too short for the
 * two addresses is not read (Click reads past its end) and is treated as
 * addressed to another host. */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct hostetherfilter_conf {
	uint8_t addr[6];
	bool drop_own, drop_other;
	uint32_t offset;
};

static int hostetherfilter_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                     void **conf)
{
	struct hostetherfilter_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->drop_other = true;
	struct arg_spec spec[] = {
		arg_ether("ETHER", ARG_MP, c->addr),
		arg_bool("DROP_OWN", ARG_P, &c->drop_own),
		arg_bool("DROP_OTHER", ARG_P, &c->drop_other),
		arg_u32("OFFSET", 0, &c->offset),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Link headers are not modelled (etherencap.c), so the addresses are
 * unknown: the packet type becomes one the model cannot tell (flow state,
 * read by DropBroadcasts, IPOutputCombo and ICMPError), and when a packet
 * may go to output 1 (DROP_OWN or DROP_OTHER) the flow takes both
 * outputs, approximate. */
static int hostetherfilter_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                    struct sym_flow *f)
{
	const struct hostetherfilter_conf *c = e->conf;
	mu_set_pkttype(cx, f, MU_PKTTYPE_UNKNOWN);
	if (!c->drop_own && !c->drop_other)
		sym_emit(cx, 0, f);
	else
		mu_emit_all(cx, 2, f, "HostEtherFilter: the Ethernet addresses are not modelled");
	return 0;
}

static const struct elem_model hostetherfilter_model = { .push = hostetherfilter_sym_push };

/* ---- runtime (packet functions) ---- */
static bool all_ones(const uint8_t *a)
{
	for (int i = 0; i < 6; i++)
		if (a[i] != 0xff)
			return false;
	return true;
}

static struct rt_pkt *hostetherfilter_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct hostetherfilter_conf *c = e->conf;
	bool whole = p->len >= 12 && p->len - 12 >= c->offset;
	const uint8_t *eh = rt_pkt_data(p) + (whole ? c->offset : 0);
	if (whole && c->drop_own && memcmp(eh + 6, c->addr, 6) == 0) {
		rt_push(e, 1, p);
		return NULL;
	}
	if (!whole) {
		p->pkt_type = RT_PKT_OTHERHOST;
	} else if (memcmp(eh, c->addr, 6) == 0) {
		p->pkt_type = RT_PKT_HOST;
		return p;
	} else if (all_ones(eh)) {
		p->pkt_type = RT_PKT_BROADCAST;
		return p;
	} else if (eh[0] & 1) {
		p->pkt_type = RT_PKT_MULTICAST;
		return p;
	}
	p->pkt_type = RT_PKT_OTHERHOST;
	if (!c->drop_other)
		return p;
	rt_push(e, 1, p);
	return NULL;
}

static const struct elem_runtime hostetherfilter_runtime = { .action = hostetherfilter_action };

/* ---- describe and the class object ---- */
static json_t *hostetherfilter_describe(const void *conf)
{
	const struct hostetherfilter_conf *c = conf;
	return json_pack("{s:o, s:b, s:b, s:I}", "ETHER", describe_ether(c->addr), "DROP_OWN",
	                 c->drop_own, "DROP_OTHER", c->drop_other, "OFFSET", (json_int_t)c->offset);
}

const struct click_class elem_hostetherfilter = {
	.name = "HostEtherFilter",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = hostetherfilter_configure,
	.model = &hostetherfilter_model,
	.runtime = &hostetherfilter_runtime,
	.describe = hostetherfilter_describe,
	.doc_args = "ETHER (Ethernet address; mandatory), [DROP_OWN] (bool, default false), "
	            "[DROP_OTHER] (bool, default true); keyword OFFSET (unsigned, default 0)",
	.doc_model = "The Ethernet addresses are not modelled: the packet type becomes unknown "
	             "(flow state DropBroadcasts reads), and with DROP_OWN or DROP_OTHER the flow "
	             "takes both outputs, approximate.",
};
