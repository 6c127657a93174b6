/* IPRewriter(INPUTSPEC_0, ..., INPUTSPEC_{n-1} [, keywords]) and
 * TCPRewriter(INPUTSPEC_0, ..., INPUTSPEC_{n-1} [, keywords]) (Click's
 * IPRewriter and TCPRewriter documentation): NAPT for TCP and UDP
 * (TCPRewriter: TCP alone), one input per spec.
 * The specs, the mapping table and the header rewriting are shared with
 * IPAddrRewriter (internal.h, the rewriter family); this file holds the keywords, which packets
 * reach the table (TCP and UDP first fragments with a port pair), and the
 * TCP and UDP timeouts.
 *
 * Click's behaviour, kept: only TCP and UDP first fragments with 8
 * transport bytes reach the table (the rest pass on a pass spec, else
 * drop); TCPFlow writes ports only when 18 transport bytes are there;
 * TCP timeouts by state (TCP_TIMEOUT with data both ways, TCP_DONE_TIMEOUT
 * once both sides finished or a RST, TCP_NODATA_TIMEOUT otherwise) and
 * UDP_STREAMING_TIMEOUT once a reply was seen and three packets passed;
 * TCP_GUARANTEE and UDP_GUARANTEE; the defaults of Click's code. The
 * table, pattern choice and full-table rule are rewriter.c's, Click's
 * IPRewriterBase. TCPRewriter is IPRewriter's TCP half (in Click
 * IPRewriter derives from it): a packet that is not a TCP first fragment
 * with 8 transport bytes passes on a pass spec and is dropped otherwise;
 * its keywords are TCPRewriter's (TIMEOUT = TCP_TIMEOUT, GUARANTEE =
 * TCP_GUARANTEE; no UDP ones).
 *
 * Deliberately different (rewriter.c says more): times in nanoseconds on
 * the module clock rather than jiffies, so a capture replays the same
 * way every time; a scan with a lower bound on the guarantees instead of
 * Click's heaps when the table is full, the table being a flat array
 * grown on demand under the module's flow quota; at most 2*count+1 port
 * values probed, enough to find a free one whenever one exists; more than
 * one varying pattern field refused at configure where Click silently
 * keeps the last; random port choices from the module's generator, so
 * only '#' (sequential) choices match Click's values.
 * TCP sequence-number deltas (Click's TCPFlow delta transitions): Click
 * keeps them for elements that change payload lengths (FTPPortMapper,
 * which innet does not have); nothing in innet's catalogue can install
 * one, so every delta is 0 as in Click without such an element, and
 * sequence, acknowledgement and SACK numbers pass unchanged. No per-flow
 * delta list is kept or saved. */
#include <errno.h>

#include <jansson.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

static int iprewriter_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                void **conf)
{
	struct rw_conf *c = rw_conf_new(ctx);
	if (!c)
		return -ENOMEM;
	uint8_t reply_anno = 0;
	struct arg_spec kw[] = {
		arg_time("TCP_TIMEOUT", 0, &c->tcp_timeout_ns),
		arg_time("TCP_DONE_TIMEOUT", 0, &c->tcp_done_timeout_ns),
		arg_time("TCP_NODATA_TIMEOUT", 0, &c->tcp_nodata_timeout_ns),
		arg_time("TCP_GUARANTEE", 0, &c->tcp_guarantee_ns),
		arg_time("UDP_TIMEOUT", 0, &c->udp_timeout_ns),
		arg_time("UDP_STREAMING_TIMEOUT", 0, &c->udp_streaming_timeout_ns),
		arg_time("UDP_GUARANTEE", 0, &c->udp_guarantee_ns),
		arg_time("REAP_INTERVAL", 0, &c->reap_interval_ns),
		arg_u32("MAPPING_CAPACITY", 0, &c->capacity),
		arg_u32("CAPACITY", 0, &c->capacity),
		arg_bool("DST_ANNO", 0, &c->dst_anno),
		arg_anno1("REPLY_ANNO", 0, &reply_anno),
	};
	int rc = rw_configure(ctx, args, kw, ARG_N(kw), &reply_anno, false, c);
	if (rc)
		return rc;
	if (!args_given(kw, ARG_N(kw), "UDP_STREAMING_TIMEOUT"))
		c->udp_streaming_timeout_ns = c->udp_timeout_ns;
	*conf = c;
	return 0;
}

/* TCPRewriter's keywords (Click's TCPRewriter::configure, then
 * IPRewriterBase's): TIMEOUT is TCP_TIMEOUT's other name, GUARANTEE
 * TCP_GUARANTEE's. */
static int tcprewriter_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                 void **conf)
{
	struct rw_conf *c = rw_conf_new(ctx);
	if (!c)
		return -ENOMEM;
	uint8_t reply_anno = 0;
	struct arg_spec kw[] = {
		arg_time("TCP_NODATA_TIMEOUT", 0, &c->tcp_nodata_timeout_ns),
		arg_time("TCP_GUARANTEE", 0, &c->tcp_guarantee_ns),
		arg_time("TIMEOUT", 0, &c->tcp_timeout_ns),
		arg_time("TCP_TIMEOUT", 0, &c->tcp_timeout_ns),
		arg_time("TCP_DONE_TIMEOUT", 0, &c->tcp_done_timeout_ns),
		arg_bool("DST_ANNO", 0, &c->dst_anno),
		arg_anno1("REPLY_ANNO", 0, &reply_anno),
		arg_u32("CAPACITY", 0, &c->capacity),
		arg_u32("MAPPING_CAPACITY", 0, &c->capacity),
		arg_time("GUARANTEE", 0, &c->tcp_guarantee_ns),
		arg_time("REAP_INTERVAL", 0, &c->reap_interval_ns),
	};
	int rc = rw_configure(ctx, args, kw, ARG_N(kw), &reply_anno, false, c);
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */

static const struct flow_expr first_fragment = {
	.kind = FLOW_ATOM,
	.atom = { .base = FLOW_BASE_IP, .op = FLOW_EQ, .len = 2, .off = 6, .mask = 0x1fff, .value = 0 },
};

static const struct sym_iset *tcp_or_udp(struct sym_ctx *cx, bool tcp_only)
{
	if (tcp_only)
		return sym_iset_range(cx, RT_IP_PROTO_TCP, RT_IP_PROTO_TCP);
	struct sym_iset *s = arena_alloc(sym_arena(cx), sizeof *s + 2 * sizeof s->v[0]);
	if (!s)
		return NULL;
	s->n = 2;
	s->v[0] = (struct sym_ival){ RT_IP_PROTO_TCP, RT_IP_PROTO_TCP };
	s->v[1] = (struct sym_ival){ RT_IP_PROTO_UDP, RT_IP_PROTO_UDP };
	return s;
}

/* Click also sends TCP/UDP packets with fewer than 8 transport bytes to
 * pass-or-drop. Where the header length is not one constant the undecided
 * part goes both ways, each copy marked approximate. The long parts are
 * appended to *out. */
static int split_short(struct sym_ctx *cx, struct sym_flow *f, const struct rw_spec *spec,
                       struct sym_flows *out)
{
	struct sym_flow *lng = NULL, *shrt = NULL, *amb = NULL;
	sym_split_transport(cx, f, 8, &lng, &shrt, &amb);
	rw_sym_pass_or_drop(cx, shrt, spec, "fewer than 8 transport bytes");
	if (lng)
		sym_flows_push(cx, out, lng);
	if (!amb)
		return 0;
	struct sym_flow *c = sym_clone(cx, amb);
	if (!c) {
		sym_drop(cx, amb, "out of memory");
		return -ENOMEM;
	}
	rw_sym_pass_or_drop(cx, c, spec, "maybe fewer than 8 transport bytes");
	sym_flows_push(cx, out, amb); /* the long side of the rewriter runs on it too */
	return 0;
}

/* TCPFlow rewrites the ports of TCP packets only with 18 transport bytes
 * (UDP always): those with fewer get the mapping's addresses alone. An
 * undecided length goes both ways. */
static int split_tcp_short(struct sym_ctx *cx, const struct sym_flows *in, struct sym_flows *ports,
                           struct sym_flows *noports)
{
	for (uint32_t i = 0; i < in->n; i++) {
		struct sym_flow *t = NULL, *u = NULL, *lng = NULL, *shrt = NULL, *amb = NULL;
		sym_split_set(cx, in->v[i], SYM_F_PROTO, sym_iset_range(cx, RT_IP_PROTO_TCP, RT_IP_PROTO_TCP),
		              &t, &u);
		if (u)
			sym_flows_push(cx, ports, u);
		if (!t)
			continue;
		sym_split_transport(cx, t, 18, &lng, &shrt, &amb);
		if (lng)
			sym_flows_push(cx, ports, lng);
		if (shrt)
			sym_flows_push(cx, noports, shrt);
		if (!amb)
			continue;
		struct sym_flow *c = sym_clone(cx, amb);
		if (!c) {
			sym_drop(cx, amb, "out of memory");
			return -ENOMEM;
		}
		sym_flows_push(cx, ports, amb);
		sym_flows_push(cx, noports, c);
	}
	return 0;
}

/* Only TCP and UDP (TCPRewriter: TCP) first fragments with a port pair
 * reach the table. */
static int rewriter_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                             struct sym_flow *f, bool tcp_only)
{
	const struct rw_conf *c = e->conf;
	if (port >= c->nspecs)
		return -EINVAL;
	const struct rw_spec *spec = &c->specs[port];
	struct sym_flow *tu, *other;
	sym_split_set(cx, f, SYM_F_PROTO, tcp_or_udp(cx, tcp_only), &tu, &other);
	rw_sym_pass_or_drop(cx, other, spec, tcp_only ? "not TCP" : "not TCP/UDP");
	if (!tu)
		return 0;
	struct sym_flows first = { 0 }, later = { 0 }, mappable = { 0 };
	int rc = sym_split_expr(cx, tu, &first_fragment, &first, &later);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < later.n; i++)
		rw_sym_pass_or_drop(cx, later.v[i], spec, "not a first fragment");
	for (uint32_t i = 0; i < first.n; i++)
		if ((rc = split_short(cx, first.v[i], spec, &mappable)) < 0)
			return rc;
	struct sym_flows ports = { 0 }, noports = { 0 };
	if ((rc = split_tcp_short(cx, &mappable, &ports, &noports)) < 0)
		return rc;
	if ((rc = rw_sym_map(cx, &ports, spec, false, true)) < 0)
		return rc;
	return rw_sym_map(cx, &noports, spec, false, false);
}

static int iprewriter_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                               struct sym_flow *f)
{
	return rewriter_sym_push(cx, e, port, f, false);
}

static int tcprewriter_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                struct sym_flow *f)
{
	return rewriter_sym_push(cx, e, port, f, true);
}

static const struct elem_model iprewriter_model = { .push = iprewriter_sym_push };
static const struct elem_model tcprewriter_model = { .push = tcprewriter_sym_push };

/* ---- packet function ---- */

static bool mappable(const struct rt_pkt *p, bool tcp_only)
{
	const uint8_t *ip = rt_pkt_ip(p);
	return (ip[9] == RT_IP_PROTO_TCP || (!tcp_only && ip[9] == RT_IP_PROTO_UDP)) &&
	       rt_ip_first_frag(ip) && rt_pkt_transp_avail(p) >= 8;
}

/* TCPFlow's connection state, from packets with 18 transport bytes: a
 * RST ends both directions; a FIN ends its direction, a SYN or data
 * reopens it; data marks its direction. */
static void track_tcp(struct rt_flow *f, int dir, const struct rt_pkt *p)
{
	const uint8_t *ip = rt_pkt_ip(p);
	const uint8_t *t = rt_pkt_transp(p);
	if (rt_pkt_transp_avail(p) < 18)
		return;
	uint8_t fl = t[13];
	bool payload = ((uint32_t)(ip[0] & 15) + (uint32_t)(t[12] >> 4)) * 4 < rt_rd16(ip + 2);
	uint8_t done = dir ? RW_F_DONE_REV : RW_F_DONE_FWD;
	if (fl & 0x04) /* RST */
		f->flags |= RW_F_DONE_FWD | RW_F_DONE_REV;
	else if (fl & 0x01) /* FIN */
		f->flags |= done;
	else if ((fl & 0x02) || payload) /* SYN */
		f->flags &= (uint8_t)~done;
	if (payload)
		f->flags |= dir ? RW_F_DATA_REV : RW_F_DATA_FWD;
}

/* The best-effort timeout of a TCP flow by its state (tcp_flow_timeout). */
static int64_t tcp_timeout(const struct rw_conf *c, const struct rt_flow *f)
{
	if ((f->flags & (RW_F_DONE_FWD | RW_F_DONE_REV)) == (RW_F_DONE_FWD | RW_F_DONE_REV))
		return c->tcp_done_timeout_ns;
	if ((f->flags & (RW_F_DATA_FWD | RW_F_DATA_REV)) == (RW_F_DATA_FWD | RW_F_DATA_REV))
		return c->tcp_timeout_ns;
	return c->tcp_nodata_timeout_ns;
}

/* UDPFlow: streaming once a reply was seen and three packets passed. */
static int64_t udp_timeout(const struct rw_conf *c, const struct rt_flow *f)
{
	return (f->flags & RW_F_SEEN_REV) && f->packets >= 3 ? c->udp_streaming_timeout_ns
	                                                      : c->udp_timeout_ns;
}

/* What the rewriter does to p on input `port`: the output it leaves by,
 * or RT_STEP_GONE (dropped). push and the fused step of compiled chains
 * share it; push then emits. */
static int32_t rewriter_step(struct rt_elem *e, uint32_t port, struct rt_pkt *p, bool tcp_only)
{
	const struct rw_conf *c = e->conf;
	struct rw_state *s = e->state;
	if (!rt_pkt_has_ip(p) || rt_pkt_ip_avail(p) < 20 || port >= c->nspecs) {
		rt_drop(e, p);
		return RT_STEP_GONE;
	}
	if (!mappable(p, tcp_only)) {
		if (c->specs[port].kind == RW_PASS)
			return (int32_t)c->specs[port].fout;
		rt_drop(e, p);
		return RT_STEP_GONE;
	}
	bool tcp = rt_pkt_ip(p)[9] == RT_IP_PROTO_TCP;
	struct rt_flowid key = rt_pkt_flowid(p, true);
	int dir = 0;
	struct rt_flow *f = rt_flowtab_lookup(&s->tab, &key, &dir);
	if (!f) {
		int32_t out;
		f = rw_map_new_step(e, port, p, &key, tcp ? c->tcp_nodata_timeout_ns : c->udp_timeout_ns,
		                    tcp ? c->tcp_guarantee_ns : c->udp_guarantee_ns, &out);
		if (!f)
			return out;
		dir = 0;
	}
	rw_count(f, dir);
	if (tcp) {
		track_tcp(f, dir, p);
		return (int32_t)rw_forward_step(e, f, dir, p, tcp_timeout(c, f), c->tcp_guarantee_ns, false);
	}
	return (int32_t)rw_forward_step(e, f, dir, p, udp_timeout(c, f), c->udp_guarantee_ns, false);
}

static void iprewriter_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	int32_t out = rewriter_step(e, port, p, false);
	if (out >= 0)
		rt_push(e, (uint32_t)out, p);
}

static void tcprewriter_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	int32_t out = rewriter_step(e, port, p, true);
	if (out >= 0)
		rt_push(e, (uint32_t)out, p);
}

static int32_t iprewriter_fused(struct rt_elem *e, uint32_t port, struct rt_pkt **pp)
{
	return rewriter_step(e, port, *pp, false);
}

static int32_t tcprewriter_fused(struct rt_elem *e, uint32_t port, struct rt_pkt **pp)
{
	return rewriter_step(e, port, *pp, true);
}

static const struct elem_runtime tcprewriter_runtime = {
	.state_size = rw_state_size,
	.init = rw_init,
	.push = tcprewriter_push,
	.step = tcprewriter_fused,
	.run = rw_reap,
	.read = rw_read,
	.fini = rw_fini,
	.save = rw_save,
	.table = rw_table,
	.load = rw_load,
};

static const struct elem_runtime iprewriter_runtime = {
	.state_size = rw_state_size,
	.init = rw_init,
	.push = iprewriter_push,
	.step = iprewriter_fused,
	.run = rw_reap,
	.read = rw_read,
	.fini = rw_fini,
	.save = rw_save,
	.table = rw_table,
	.load = rw_load,
};

/* ---- describe and the class object ---- */
static json_t *iprewriter_describe(const void *conf)
{
	const struct rw_conf *c = conf;
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	                      "TCP_TIMEOUT", (json_int_t)c->tcp_timeout_ns,
	                      "TCP_DONE_TIMEOUT", (json_int_t)c->tcp_done_timeout_ns,
	                      "TCP_NODATA_TIMEOUT", (json_int_t)c->tcp_nodata_timeout_ns,
	                      "TCP_GUARANTEE", (json_int_t)c->tcp_guarantee_ns,
	                      "UDP_TIMEOUT", (json_int_t)c->udp_timeout_ns,
	                      "UDP_STREAMING_TIMEOUT", (json_int_t)c->udp_streaming_timeout_ns,
	                      "UDP_GUARANTEE", (json_int_t)c->udp_guarantee_ns);
	if (o && rw_describe_common(c, o) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

const struct click_class elem_iprewriter = {
	.name = "IPRewriter",
	.port_count = "1-/1-",
	.processing = "h/h",
	.flags = ELEM_STATEFUL,
	.configure = iprewriter_configure,
	.model = &iprewriter_model,
	.runtime = &iprewriter_runtime,
	.describe = iprewriter_describe,
	.doc_args = "INPUTSPEC_0, ..., INPUTSPEC_{n-1} (drop, pass OUT, keep FOUT ROUT, "
	            "pattern SADDR SPORT DADDR DPORT FOUT ROUT); keywords TCP_TIMEOUT, "
	            "TCP_DONE_TIMEOUT, TCP_NODATA_TIMEOUT, TCP_GUARANTEE, UDP_TIMEOUT, "
	            "UDP_STREAMING_TIMEOUT, UDP_GUARANTEE, REAP_INTERVAL, MAPPING_CAPACITY, "
	            "DST_ANNO, REPLY_ANNO",
	.doc_model = "Mappings travel in the flow, so a reply finds the mapping its request "
	             "installed; a varying pattern field becomes a variable over its range. "
	             "Timeouts never expire and a full table is not modelled.",
};

static json_t *tcprewriter_describe(const void *conf)
{
	const struct rw_conf *c = conf;
	json_t *o = json_pack("{s:I, s:I, s:I, s:I}",
	                      "TCP_TIMEOUT", (json_int_t)c->tcp_timeout_ns,
	                      "TCP_DONE_TIMEOUT", (json_int_t)c->tcp_done_timeout_ns,
	                      "TCP_NODATA_TIMEOUT", (json_int_t)c->tcp_nodata_timeout_ns,
	                      "TCP_GUARANTEE", (json_int_t)c->tcp_guarantee_ns);
	if (o && rw_describe_common(c, o) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

const struct click_class elem_tcprewriter = {
	.name = "TCPRewriter",
	.port_count = "1-/1-",
	.processing = "h/h",
	.flags = ELEM_STATEFUL,
	.configure = tcprewriter_configure,
	.model = &tcprewriter_model,
	.runtime = &tcprewriter_runtime,
	.describe = tcprewriter_describe,
	.doc_args = "INPUTSPEC_0, ..., INPUTSPEC_{n-1} (drop, pass OUT, keep FOUT ROUT, "
	            "pattern SADDR SPORT DADDR DPORT FOUT ROUT); keywords TCP_NODATA_TIMEOUT, "
	            "TCP_GUARANTEE, TIMEOUT, TCP_TIMEOUT, TCP_DONE_TIMEOUT, DST_ANNO, REPLY_ANNO, "
	            "CAPACITY, MAPPING_CAPACITY, GUARANTEE, REAP_INTERVAL",
	.doc_model = "IPRewriter's model for TCP alone: anything else meets only the pass or drop "
	             "part of its input's spec. Timeouts never expire and a full table is not "
	             "modelled.",
};
