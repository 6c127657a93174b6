/* IPAddrRewriter(INPUTSPEC... [, keywords]) (Click's IPAddrRewriter
 * documentation): basic NAT of source addresses for any protocol. The
 * specs (patterns 'pattern SADDR - FOUT ROUT'), the mapping table and the
 * header rewriting are shared with IPRewriter (internal.h, the rewriter family); this file
 * holds the keywords, how a packet finds its mapping (its source forward,
 * its destination back) and the one timeout.
 *
 * Click's behaviour, kept: every IPv4 packet reaches the table, whatever
 * its protocol; the forward key is the source address alone and the reply
 * key the rewritten source alone, so with one public address every
 * mapping has the same reply key and the newest replaces the older
 * (store_flow): a reply reaches the inside host that sent last, which is
 * Click's answer too; an address range or prefix varies the address
 * ('#' sequential, otherwise from a random start; an address variation
 * never tries the packet's own value first); TIMEOUT (2 h) and GUARANTEE
 * (5 s) as in Click's code.
 *
 * Deliberately different (rewriter.c says more): a destination other than
 * '-' in the pattern is refused, since IPAddrRewriter rewrites sources
 * only and Click documents only '-' there; times in
 * nanoseconds on the module clock rather than jiffies; a scan with a
 * lower bound on the guarantees instead of Click's heaps when the table is
 * full; at most 2*count+1 addresses probed; random choices from the
 * module's generator, so only '#' ranges give Click's values. */
#include <errno.h>

#include <jansson.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

/* Keywords TIMEOUT (2 h, Click's code), GUARANTEE, REAP_INTERVAL,
 * MAPPING_CAPACITY, DST_ANNO, REPLY_ANNO. */
static int ipaddrrewriter_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                    void **conf)
{
	struct rw_conf *c = rw_conf_new(ctx);
	if (!c)
		return -ENOMEM;
	uint8_t reply_anno = 0;
	struct arg_spec kw[] = {
		arg_time("TIMEOUT", 0, &c->timeout_ns),
		arg_time("GUARANTEE", 0, &c->guarantee_ns),
		arg_time("REAP_INTERVAL", 0, &c->reap_interval_ns),
		arg_u32("MAPPING_CAPACITY", 0, &c->capacity),
		arg_u32("CAPACITY", 0, &c->capacity),
		arg_bool("DST_ANNO", 0, &c->dst_anno),
		arg_anno1("REPLY_ANNO", 0, &reply_anno),
	};
	int rc = rw_configure(ctx, args, kw, ARG_N(kw), &reply_anno, true, c);
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */

/* Every flow reaches the table: a mapping covers its source (forward) or
 * its destination (reply). */
static int ipaddrrewriter_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                   struct sym_flow *f)
{
	const struct rw_conf *c = e->conf;
	if (port >= c->nspecs)
		return -EINVAL;
	struct sym_flows flows = { 0 };
	sym_flows_push(cx, &flows, f);
	return rw_sym_map(cx, &flows, &c->specs[port], true, false);
}

static const struct elem_model ipaddrrewriter_model = { .push = ipaddrrewriter_sym_push };

/* ---- packet function ---- */

/* Click's two look-ups: an entry keyed by the packet's source alone
 * (a forward key), else one keyed by its destination alone (a reply key);
 * the entry found says the direction. */
static struct rt_flow *find_mapping(struct rt_flowtab *tab, const uint8_t *ip, int *dir)
{
	struct rt_flowid fwd = { .saddr = rt_rd32(ip + 12) };
	struct rt_flow *f = rt_flowtab_lookup(tab, &fwd, dir);
	if (f)
		return f;
	struct rt_flowid reply = { .daddr = rt_rd32(ip + 16) };
	return rt_flowtab_lookup(tab, &reply, dir);
}

/* The output p leaves by, or RT_STEP_GONE (dropped): push and the fused
 * step of compiled chains share it; push then emits. */
static int32_t ipaddrrewriter_step(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	const struct rw_conf *c = e->conf;
	struct rw_state *s = e->state;
	if (!rt_pkt_has_ip(p) || rt_pkt_ip_avail(p) < 20 || port >= c->nspecs) {
		rt_drop(e, p);
		return RT_STEP_GONE;
	}
	const uint8_t *ip = rt_pkt_ip(p);
	int dir = 0;
	struct rt_flow *f = find_mapping(&s->tab, ip, &dir);
	if (!f) {
		struct rt_flowid key = { .saddr = rt_rd32(ip + 12) };
		int32_t out;
		f = rw_map_new_step(e, port, p, &key, c->timeout_ns, c->guarantee_ns, &out);
		if (!f)
			return out;
		dir = 0;
	}
	rw_count(f, dir);
	return (int32_t)rw_forward_step(e, f, dir, p, c->timeout_ns, c->guarantee_ns, true);
}

static void ipaddrrewriter_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	int32_t out = ipaddrrewriter_step(e, port, p);
	if (out >= 0)
		rt_push(e, (uint32_t)out, p);
}

static int32_t ipaddrrewriter_fused(struct rt_elem *e, uint32_t port, struct rt_pkt **pp)
{
	return ipaddrrewriter_step(e, port, *pp);
}

static const struct elem_runtime ipaddrrewriter_runtime = {
	.state_size = rw_state_size,
	.init = rw_init,
	.step = ipaddrrewriter_fused,
	.push = ipaddrrewriter_push,
	.run = rw_reap,
	.read = rw_read,
	.fini = rw_fini,
	.save = rw_save,
	.table = rw_table,
	.load = rw_load,
};

/* ---- describe and the class object ---- */
static json_t *ipaddrrewriter_describe(const void *conf)
{
	const struct rw_conf *c = conf;
	json_t *o = json_pack("{s:I, s:I}", "TIMEOUT", (json_int_t)c->timeout_ns, "GUARANTEE",
	                      (json_int_t)c->guarantee_ns);
	if (o && rw_describe_common(c, o) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

const struct click_class elem_ipaddrrewriter = {
	.name = "IPAddrRewriter",
	.port_count = "1-/1-",
	.processing = "h/h",
	.flags = ELEM_STATEFUL,
	.configure = ipaddrrewriter_configure,
	.model = &ipaddrrewriter_model,
	.runtime = &ipaddrrewriter_runtime,
	.describe = ipaddrrewriter_describe,
	.doc_args = "INPUTSPEC_0, ..., INPUTSPEC_{n-1} (drop, pass OUT, keep FOUT ROUT, "
	            "pattern SADDR - FOUT ROUT); keywords TIMEOUT, GUARANTEE, REAP_INTERVAL, "
	            "MAPPING_CAPACITY, DST_ANNO, REPLY_ANNO",
	.doc_model = "Mappings travel in the flow: a packet whose source a mapping covers is "
	             "rewritten forward, one whose destination it covers back. Timeouts never "
	             "expire and a full table is not modelled.",
};
