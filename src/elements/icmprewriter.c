/* ICMPPingRewriter(INPUTSPEC_0, ..., INPUTSPEC_{n-1} [, keywords]) and
 * ICMPRewriter(MAPS [, keywords]) (Click's ICMPPingRewriter and
 * ICMPRewriter documentation): NAT for pings, and for the ICMP errors
 * answering packets a rewriter changed. The specs, the mapping table and
 * its saved state are the rewriter family's (internal.h, rewriter.c).
 *
 * ICMPPingRewriter, Click's behaviour kept: only ICMP echo requests and
 * replies that are first fragments with 6 transport bytes reach the table
 * (the rest pass on a pass spec, else drop); a request's key is (src,
 * ident, dst, ident+1), a reply's (src, ident+1, dst, ident), so a reply
 * finds the mapping its request made; the pattern's SPORT range chooses
 * the new identifier (its DPORT is ignored: the rewritten key's dport is
 * always its sport + 1); a reply no mapping covers is never mapped (pass
 * or drop); addresses, the identifier and both checksums are updated
 * incrementally (the ICMP one over the identifier alone, with Click's fix
 * of a 0x0000 result); TIMEOUT 5 min, GUARANTEE 5 s.
 *
 * ICMPRewriter, Click's behaviour kept: MAPS names IPRewriter,
 * TCPRewriter and ICMPPingRewriter elements (NAME or NAME:OFFSET); an
 * ICMP unreachable, source quench, redirect, time exceeded or parameter
 * problem whose embedded IPv4 header (and, for TCP/UDP first fragments
 * with 8 bytes, its ports; for an echo request with 6 bytes, its
 * identifier) is the reply key of a mapping of the first such element
 * that has one is rewritten: the outer destination when it was the
 * embedded source, the embedded addresses and ports or identifier, the
 * embedded IP, TCP/UDP (TCP with 18 bytes; UDP unless 0) or ICMP
 * checksums and the outer ICMP checksum, halfword by halfword as Click
 * does; it leaves on output 0, or OFFSET + the mapping's output. Every
 * other packet is dropped: Click 2.1's unmapped output is -1 (its
 * documentation's output 1 for them is not what its code does).
 *
 * Deliberately different: the rewriter family's (rewriter.c: module
 * clock, table scan, port probing, random choices); ICMPRewriter refuses
 * IPAddrRewriter (and DCCP is never mapped, as no innet rewriter maps
 * it): Click would look an IPAddrRewriter mapping up and write its
 * zero ports and address halves into the embedded header. */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

#define NS 1000000000ll

enum { ICMP_ECHOREPLY = 0, ICMP_UNREACH = 3, ICMP_SOURCEQUENCH = 4, ICMP_REDIRECT = 5,
       ICMP_ECHO = 8, ICMP_TIMXCEED = 11, ICMP_PARAMPROB = 12 };

/* ==== ICMPPingRewriter ==================================================== */

static int pingrw_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                            void **conf)
{
	struct rw_conf *c = rw_conf_new(ctx);
	if (!c)
		return -ENOMEM;
	c->timeout_ns = 300 * NS;
	c->icmp_ping = true;
	uint8_t reply_anno = 0;
	struct arg_spec kw[] = {
		arg_bool("DST_ANNO", 0, &c->dst_anno),
		arg_anno1("REPLY_ANNO", 0, &reply_anno),
		arg_u32("CAPACITY", 0, &c->capacity),
		arg_u32("MAPPING_CAPACITY", 0, &c->capacity),
		arg_time("TIMEOUT", 0, &c->timeout_ns),
		arg_time("GUARANTEE", 0, &c->guarantee_ns),
		arg_time("REAP_INTERVAL", 0, &c->reap_interval_ns),
	};
	int rc = rw_configure(ctx, args, kw, ARG_N(kw), &reply_anno, false, c);
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model ---- */

/* The identifier is no tracked field: a mapping is a record over the
 * addresses, (src, dst) -> (src', dst') leaving on `port`. A packet a
 * record covers may still carry another identifier, so it also meets the
 * spec's pass-or-drop part (approximate). */
enum { PING_REC_FWD = 0x52570011u, PING_REC_REV = 0x52570012u };

static void ping_push_records(struct sym_ctx *cx, struct sym_flow *f, const struct rw_spec *spec,
                              struct sym_term os, struct sym_term od, struct sym_term ns,
                              struct sym_term nd)
{
	struct sym_state r = { .owner = sym_owner(cx), .kind = PING_REC_FWD, .nterms = 4 };
	r.port = (int32_t)spec->fout;
	r.t[0] = os, r.t[1] = od, r.t[2] = ns, r.t[3] = nd;
	sym_state_push(cx, f, &r);
	r.kind = PING_REC_REV;
	r.port = (int32_t)spec->rout;
	r.t[0] = nd, r.t[1] = ns, r.t[2] = od, r.t[3] = os;
	sym_state_push(cx, f, &r);
}

/* A request no record covers meets its spec (keep or a pattern maps it). */
static void ping_meet_spec(struct sym_ctx *cx, struct sym_flow *f, const struct rw_spec *spec)
{
	if (spec->kind == RW_DROP || spec->kind == RW_PASS) {
		rw_sym_pass_or_drop(cx, f, spec, "no mapping (unsolicited)");
		return;
	}
	struct sym_term os = sym_get(f, SYM_F_SRC), od = sym_get(f, SYM_F_DST);
	const struct rw_pattern *p = &spec->pat;
	if (spec->kind == RW_PATTERN && !p->saddr.keep)
		sym_set_const(cx, f, SYM_F_SRC, p->saddr.lo);
	if (spec->kind == RW_PATTERN && !p->daddr.keep)
		sym_set_const(cx, f, SYM_F_DST, p->daddr.lo);
	struct sym_term ns = sym_get(f, SYM_F_SRC), nd = sym_get(f, SYM_F_DST);
	ping_push_records(cx, f, spec, os, od, ns, nd);
	sym_set_term(cx, f, SYM_F_DSTANNO, nd);
	sym_emit(cx, spec->fout, f);
}

/* Requests (rev false) follow forward records, replies reverse ones; the
 * rest meet the spec (requests) or its pass-or-drop part (replies). */
static int ping_sym_map(struct sym_ctx *cx, struct sym_flow *f, const struct rw_spec *spec, bool rev,
                        bool dst_anno)
{
	static const enum sym_field keys[2] = { SYM_F_SRC, SYM_F_DST };
	uint64_t me = sym_owner(cx);
	uint32_t want = rev ? PING_REC_REV : PING_REC_FWD;
	struct sym_flows cur = { 0 };
	sym_flows_push(cx, &cur, f);
	for (const struct sym_state *s = sym_state_first(f); s && cur.n; s = s->next) {
		if (s->owner != me || s->kind != want)
			continue;
		struct sym_flows yes = { 0 }, no = { 0 };
		for (uint32_t i = 0; i < cur.n; i++) {
			int r = sym_split_equal(cx, cur.v[i], 2, keys, s->t, &yes, &no);
			if (r < 0)
				return r;
		}
		for (uint32_t i = 0; i < yes.n; i++) {
			struct sym_flow *g = yes.v[i], *other = sym_clone(cx, g);
			if (other) {
				sym_approx(cx, other, "another identifier than the mapping's");
				sym_flows_push(cx, &no, other);
			}
			sym_set_term(cx, g, SYM_F_SRC, s->t[2]);
			sym_set_term(cx, g, SYM_F_DST, s->t[3]);
			if (dst_anno)
				sym_set_term(cx, g, SYM_F_DSTANNO, s->t[3]);
			sym_emit(cx, (uint32_t)s->port, g);
		}
		cur = no;
	}
	for (uint32_t i = 0; i < cur.n; i++) {
		if (rev)
			rw_sym_pass_or_drop(cx, cur.v[i], spec, "echo reply without a mapping");
		else
			ping_meet_spec(cx, cur.v[i], spec);
	}
	return 0;
}

static const struct flow_expr first_fragment = {
	.kind = FLOW_ATOM,
	.atom = { .base = FLOW_BASE_IP, .op = FLOW_EQ, .len = 2, .off = 6, .mask = 0x1fff, .value = 0 },
};

/* An ICMP first fragment with 6 transport bytes (or maybe): requests and
 * replies map, the rest pass or drop. */
static int ping_sym_long(struct sym_ctx *cx, struct sym_flow *lng, const struct rw_spec *spec,
                         bool dst_anno)
{
	struct sym_flow *req = NULL, *notreq = NULL, *rep = NULL, *rest = NULL;
	sym_split_range(cx, lng, SYM_F_SPORT, ICMP_ECHO << 8, (ICMP_ECHO << 8) | 0xff, &req, &notreq);
	if (notreq)
		sym_split_range(cx, notreq, SYM_F_SPORT, 0, 0xff, &rep, &rest);
	rw_sym_pass_or_drop(cx, rest, spec, "not an echo request or reply");
	int r = 0;
	if (req)
		r = ping_sym_map(cx, req, spec, false, dst_anno);
	if (rep && r >= 0)
		r = ping_sym_map(cx, rep, spec, true, dst_anno);
	return r;
}

static int pingrw_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                           struct sym_flow *f)
{
	const struct rw_conf *c = e->conf;
	if (port >= c->nspecs)
		return -EINVAL;
	const struct rw_spec *spec = &c->specs[port];
	struct sym_flow *icmp, *other;
	sym_split_set(cx, f, SYM_F_PROTO, sym_iset_range(cx, RT_IP_PROTO_ICMP, RT_IP_PROTO_ICMP), &icmp,
	              &other);
	rw_sym_pass_or_drop(cx, other, spec, "not ICMP");
	if (!icmp)
		return 0;
	struct sym_flows first = { 0 }, later = { 0 };
	int rc = sym_split_expr(cx, icmp, &first_fragment, &first, &later);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < later.n; i++)
		rw_sym_pass_or_drop(cx, later.v[i], spec, "not a first fragment");
	for (uint32_t i = 0; i < first.n && rc >= 0; i++) {
		struct sym_flow *lng = NULL, *shrt = NULL, *amb = NULL;
		sym_split_transport(cx, first.v[i], 6, &lng, &shrt, &amb);
		rw_sym_pass_or_drop(cx, shrt, spec, "fewer than 6 transport bytes");
		if (amb) {
			struct sym_flow *cl = sym_clone(cx, amb);
			if (!cl)
				return -ENOMEM;
			sym_approx(cx, cl, "maybe fewer than 6 transport bytes");
			rw_sym_pass_or_drop(cx, cl, spec, "maybe fewer than 6 transport bytes");
			rc = ping_sym_long(cx, amb, spec, c->dst_anno);
		}
		if (lng && rc >= 0)
			rc = ping_sym_long(cx, lng, spec, c->dst_anno);
	}
	return rc;
}

static const struct elem_model pingrw_model = { .push = pingrw_sym_push };

/* ---- packet function ---- */

static uint32_t one_delta(uint16_t from, uint16_t to)
{
	if (from == to)
		return 0;
	uint32_t d = (uint32_t)(uint16_t)~from + to;
	return (d & 0xffff) + (d >> 16);
}

/* ICMPPingFlow::apply: addresses, annotations, the IP checksum by the
 * flow's address delta; on a first fragment the identifier and the ICMP
 * checksum by the identifier's delta, then Click's zero fix. */
static void ping_apply(const struct rw_conf *c, const struct rt_flow *f, int dir, struct rt_pkt *p)
{
	uint8_t *ip = rt_pkt_ip(p);
	struct rt_flowid to = dir ? rt_flowid_reverse(f->key) : f->rew;
	rt_wr32(ip + 12, to.saddr);
	rt_wr32(ip + 16, to.daddr);
	if (c->dst_anno)
		rt_pkt_set_dst_anno(p, to.daddr);
	if (dir && c->reply_anno >= 0 && c->reply_anno < RT_ANNO_SIZE)
		p->anno[c->reply_anno] = f->reply_anno;
	if (f->ip_delta)
		rt_csum_apply_delta(ip + 10, dir ? (uint16_t)~f->ip_delta : f->ip_delta);
	if (!rt_ip_first_frag(ip))
		return;
	uint8_t *t = rt_pkt_transp(p);
	uint32_t tl = rt_pkt_transp_avail(p);
	/* forward the identifier becomes the reply key's dport, back its sport */
	rt_wr16(t + 4, dir ? f->key.sport : f->rew.sport);
	uint32_t d = one_delta(f->key.sport, f->rew.sport);
	if (d && tl >= 4)
		rt_csum_apply_delta(t + 2, dir ? (uint16_t)~d : d);
	if (tl >= 4 && rt_rd16(t + 2) == 0) {
		for (uint32_t i = 0; i < tl; i++)
			if (t[i])
				return;
		rt_wr16(t + 2, 0xffff);
	}
}

static void pingrw_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	const struct rw_conf *c = e->conf;
	struct rw_state *s = e->state;
	if (!rt_pkt_has_ip(p) || rt_pkt_ip_avail(p) < 20 || port >= c->nspecs) {
		rt_drop(e, p);
		return;
	}
	const uint8_t *ip = rt_pkt_ip(p);
	const uint8_t *t = rt_pkt_transp(p);
	bool ok = ip[9] == RT_IP_PROTO_ICMP && rt_ip_first_frag(ip) && rt_pkt_transp_avail(p) >= 6 &&
	          (t[0] == ICMP_ECHO || t[0] == ICMP_ECHOREPLY);
	bool echo = ok && t[0] == ICMP_ECHO;
	struct rt_flow *f = NULL;
	int dir = 0;
	struct rt_flowid key = { 0 };
	if (ok) {
		uint16_t id = rt_rd16(t + 4);
		key = (struct rt_flowid){ .saddr = rt_rd32(ip + 12), .daddr = rt_rd32(ip + 16),
		                          .sport = (uint16_t)(id + !echo), .dport = (uint16_t)(id + echo),
		                          .proto = RT_IP_PROTO_ICMP };
		f = rt_flowtab_lookup(&s->tab, &key, &dir);
	}
	if (!f && !echo) {
		if (c->specs[port].kind == RW_PASS)
			rt_push(e, c->specs[port].fout, p);
		else
			rt_drop(e, p);
		return;
	}
	if (!f) {
		f = rw_map_new(e, port, p, &key, c->timeout_ns, c->guarantee_ns);
		if (!f)
			return;
		dir = 0;
	}
	rw_count(f, dir);
	uint64_t now = rt_now(e);
	f->expiry = now + (uint64_t)(c->timeout_ns > 0 ? c->timeout_ns : 0);
	rt_flowtab_guarantee(&s->tab, f, now + (uint64_t)(c->guarantee_ns > 0 ? c->guarantee_ns : 0));
	ping_apply(c, f, dir, p);
	rt_push(e, dir ? f->rout : f->fout, p);
}

static const struct elem_runtime pingrw_runtime = {
	.state_size = rw_state_size,
	.init = rw_init,
	.push = pingrw_push,
	.run = rw_reap,
	.read = rw_read,
	.fini = rw_fini,
	.save = rw_save,
	.table = rw_table,
	.load = rw_load,
};

static json_t *pingrw_describe(const void *conf)
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

const struct click_class elem_icmppingrewriter = {
	.name = "ICMPPingRewriter",
	.port_count = "1-/1-",
	.processing = "h/h",
	.flags = ELEM_STATEFUL,
	.configure = pingrw_configure,
	.model = &pingrw_model,
	.runtime = &pingrw_runtime,
	.describe = pingrw_describe,
	.doc_args = "INPUTSPEC_0, ..., INPUTSPEC_{n-1} (drop, pass OUT, keep FOUT ROUT, "
	            "pattern SADDR SPORT DADDR DPORT FOUT ROUT: SPORT chooses the echo identifier); "
	            "keywords DST_ANNO, REPLY_ANNO, CAPACITY, MAPPING_CAPACITY, TIMEOUT, GUARANTEE, "
	            "REAP_INTERVAL",
	.doc_model = "Echo requests meet their spec and push an address mapping into the flow; "
	             "replies follow it back. The identifier is not tracked, so a covered packet "
	             "also meets the pass-or-drop part (approximate). Timeouts never expire.",
};

/* ==== ICMPRewriter ======================================================== */

enum map_kind { MAP_NAPT, MAP_TCP, MAP_PING };

struct icmprw_map {
	uint32_t elem;     /* graph index of the rewriter */
	int32_t offset;    /* -1: output 0 */
	uint32_t noutputs; /* the rewriter's */
	uint8_t kind;      /* enum map_kind */
	const char *name;
};

struct icmprw_conf {
	uint32_t nmaps;
	struct icmprw_map *maps;
	bool dst_anno;
	int16_t reply_anno;
};

static int map_kind_of(const struct click_class *cls)
{
	if (!strcmp(cls->name, "IPRewriter"))
		return MAP_NAPT;
	if (!strcmp(cls->name, "TCPRewriter"))
		return MAP_TCP;
	if (!strcmp(cls->name, "ICMPPingRewriter"))
		return MAP_PING;
	return -1;
}

/* An element name as Click's cp_element finds it: in the naming
 * element's compound first, then at the top level. */
static const struct click_element *find_element(const struct click_conf_ctx *ctx, const char *name)
{
	const char *me = ctx->elem->name, *slash = strrchr(me, '/');
	if (slash) {
		char buf[512];
		int n = snprintf(buf, sizeof buf, "%.*s/%s", (int)(slash - me), me, name);
		const struct click_element *e = n > 0 && (size_t)n < sizeof buf ? click_graph_find(ctx->graph, buf)
		                                                                 : NULL;
		if (e)
			return e;
	}
	return click_graph_find(ctx->graph, name);
}

static int parse_map(const struct click_conf_ctx *ctx, struct arg_val *w, struct icmprw_map *m)
{
	w->kw = "MAPS";
	char name[256];
	const char *colon = memchr(w->s, ':', w->n);
	size_t nl = colon ? (size_t)(colon - w->s) : w->n;
	m->offset = -1;
	if (colon) {
		struct arg_val o = arg_sub(w, nl + 1, w->n - nl - 1);
		uint64_t off;
		if (arg_parse_uint(ctx, &o, INT32_MAX, &off))
			return -EINVAL;
		m->offset = (int32_t)off;
	}
	if (nl == 0 || nl >= sizeof name)
		return arg_error(ctx, w, "not an IP rewriter");
	memcpy(name, w->s, nl);
	name[nl] = 0;
	const struct click_element *e = ctx->graph ? find_element(ctx, name) : NULL;
	if (!e)
		return arg_error(ctx, w, "no element named '%s' (MAPS names IP rewriters)", name);
	int kind = map_kind_of(e->cls);
	if (kind < 0)
		return arg_error(ctx, w, "'%s' is a %s, not an IPRewriter, TCPRewriter or "
		                         "ICMPPingRewriter%s", name, e->cls->name,
		                 strcmp(e->cls->name, "IPAddrRewriter") ? ""
		                                                         : " (IPAddrRewriter maps are not "
		                                                           "supported)");
	if (m->offset >= 0 && (uint64_t)m->offset + e->noutputs > ctx->noutputs)
		return arg_error(ctx, w, "port offset requires more than %u output%s", ctx->noutputs,
		                 ctx->noutputs == 1 ? "" : "s");
	m->elem = e->index;
	m->noutputs = e->noutputs;
	m->kind = (uint8_t)kind;
	m->name = e->name;
	return 0;
}

static int icmprw_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                            void **conf)
{
	struct icmprw_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_val maps = { 0 };
	uint8_t reply_anno = 0;
	c->dst_anno = true;
	c->reply_anno = -1;
	struct arg_spec spec[] = {
		arg_raw("MAPS", ARG_MP, &maps),
		arg_bool("DST_ANNO", 0, &c->dst_anno),
		arg_anno1("REPLY_ANNO", 0, &reply_anno),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (args_given(spec, ARG_N(spec), "REPLY_ANNO"))
		c->reply_anno = reply_anno;
	struct arg_list w;
	if (arg_words(ctx, &maps, &w))
		return -ENOMEM;
	if (w.n == 0)
		return arg_error(ctx, &maps, "no IP rewriters supplied");
	c->maps = arena_calloc(ctx->arena, w.n, sizeof *c->maps);
	if (!c->maps)
		return -ENOMEM;
	c->nmaps = (uint32_t)w.n;
	for (size_t i = 0; i < w.n; i++)
		if (parse_map(ctx, &w.v[i], &c->maps[i]))
			rc = -EINVAL;
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model ---- */

/* The mappings live in the named rewriters' records, which this model
 * does not read: an ICMP error may leave rewritten (its destination the
 * embedded packet's original source, unknown here) or unchanged on any
 * output a mapping could name, or be dropped; all approximate. */
static int icmprw_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                           struct sym_flow *f)
{
	(void)port;
	const struct icmprw_conf *c = e->conf;
	struct sym_flow *icmp, *other, *err = NULL, *rest = NULL;
	sym_split_set(cx, f, SYM_F_PROTO, sym_iset_range(cx, RT_IP_PROTO_ICMP, RT_IP_PROTO_ICMP), &icmp,
	              &other);
	if (other)
		sym_drop(cx, other, "not ICMP");
	if (!icmp)
		return 0;
	struct sym_iset *set = arena_alloc(sym_arena(cx), sizeof *set + 2 * sizeof set->v[0]);
	if (!set)
		return -ENOMEM;
	set->n = 2;
	set->v[0] = (struct sym_ival){ ICMP_UNREACH << 8, (ICMP_REDIRECT << 8) | 0xff };
	set->v[1] = (struct sym_ival){ ICMP_TIMXCEED << 8, (ICMP_PARAMPROB << 8) | 0xff };
	sym_split_set(cx, icmp, SYM_F_SPORT, set, &err, &rest);
	if (rest)
		sym_drop(cx, rest, "not an ICMP error");
	if (!err)
		return 0;
	bool out[64] = { false };
	for (uint32_t i = 0; i < c->nmaps; i++) {
		const struct icmprw_map *m = &c->maps[i];
		if (m->offset < 0)
			out[0] = true;
		else
			for (uint32_t k = 0; k < m->noutputs && (uint64_t)m->offset + k < 64; k++)
				out[m->offset + k] = true;
	}
	for (uint32_t o = 0; o < 64 && o < e->noutputs; o++) {
		if (!out[o])
			continue;
		struct sym_flow *same = sym_clone(cx, err), *changed = sym_clone(cx, err);
		if (!same || !changed)
			return -ENOMEM;
		sym_approx(cx, same, "ICMPRewriter: mappings of other elements are not modelled");
		sym_emit(cx, o, same);
		sym_approx(cx, changed, "ICMPRewriter: mappings of other elements are not modelled");
		sym_set_fresh(cx, changed, SYM_F_DST, "icmp-error dst");
		if (c->dst_anno)
			sym_copy(cx, changed, SYM_F_DSTANNO, SYM_F_DST);
		sym_emit(cx, o, changed);
	}
	sym_drop(cx, err, "no mapping for the embedded packet");
	return 0;
}

static const struct elem_model icmprw_model = { .push = icmprw_sym_push };

/* ---- packet function ---- */

/* The mapping of rewriter m whose key is k (Click's get_entry with
 * get_entry_reply: never a new one). */
static struct rt_flow *map_lookup(struct rt_elem *e, const struct icmprw_map *m, struct rt_flowid k,
                                  int *dir)
{
	struct rt_elem *re = rt_module_elem(e->m, m->elem);
	if (!re || !re->state)
		return NULL;
	struct rw_state *s = re->state;
	switch (m->kind) {
	case MAP_NAPT:
		if (k.proto != RT_IP_PROTO_TCP && k.proto != RT_IP_PROTO_UDP)
			return NULL;
		break;
	case MAP_TCP:
		if (k.proto != RT_IP_PROTO_TCP)
			return NULL;
		break;
	case MAP_PING: /* the key of an echo reply to identifier k.sport */
		if (k.proto != RT_IP_PROTO_ICMP)
			return NULL;
		k.dport = k.sport;
		k.sport = (uint16_t)(k.sport + 1);
		break;
	}
	return rt_flowtab_lookup(&s->tab, &k, dir);
}

/* Change the 16-bit word at w to v, recording old and new halfwords. */
struct hw_log {
	uint16_t old[8], neu[8];
	int n;
};

static void log_hw(struct hw_log *l, uint16_t o, uint16_t n)
{
	l->old[l->n] = o;
	l->neu[l->n] = n;
	l->n++;
}

static void update_words(uint8_t *csum, const uint16_t *o, const uint16_t *n, int k)
{
	for (int i = 0; i < k; i++)
		rt_csum_update16(csum, o[i], n[i]);
}

/* ICMPRewriter::handle: the output, or -1 (drop). */
static int icmprw_handle(struct rt_elem *e, struct rt_pkt *p)
{
	const struct icmprw_conf *c = e->conf;
	uint8_t *ip = rt_pkt_ip(p), *icmp = rt_pkt_transp(p);
	uint32_t tl = rt_pkt_transp_avail(p);
	if (tl < 28)
		return -1;
	uint8_t ty = icmp[0];
	if (ty != ICMP_UNREACH && ty != ICMP_TIMXCEED && ty != ICMP_PARAMPROB &&
	    ty != ICMP_SOURCEQUENCH && ty != ICMP_REDIRECT)
		return -1;
	uint8_t *enc = icmp + 8;
	uint32_t ehl = (uint32_t)(enc[0] & 15) << 2;
	if ((enc[0] >> 4) != 4 || ehl < 20)
		return -1;
	uint8_t *et = enc + ehl;
	uint32_t etl = tl - 8 > ehl ? tl - 8 - ehl : 0; /* bytes from et to the end */
	uint8_t ep = enc[9];
	bool efirst = (rt_rd16(enc + 6) & RT_IP_OFFMASK) == 0;
	struct rt_flowid k = { .saddr = rt_rd32(enc + 16), .daddr = rt_rd32(enc + 12), .proto = ep };
	bool use_t = false;
	if ((ep == RT_IP_PROTO_TCP || ep == RT_IP_PROTO_UDP || ep == 33 /* DCCP */) && etl >= 8 &&
	    efirst) {
		k.sport = rt_rd16(et + 2);
		k.dport = rt_rd16(et);
		use_t = true;
	} else if (ep == RT_IP_PROTO_ICMP && etl >= 6 && efirst && et[0] == ICMP_ECHO) {
		k.sport = rt_rd16(et + 4);
		use_t = true;
	}
	struct rt_flow *f = NULL;
	int dir = 0;
	uint32_t mi;
	for (mi = 0; mi < c->nmaps && !f; mi++)
		f = map_lookup(e, &c->maps[mi], k, &dir);
	if (!f)
		return -1;
	const struct icmprw_map *m = &c->maps[mi - 1];
	/* the entry's rewritten flow id */
	struct rt_flowid nf = dir ? rt_flowid_reverse(f->key) : f->rew;
	if (rt_rd32(ip + 16) == k.daddr) {
		uint32_t old = rt_rd32(ip + 16);
		rt_wr32(ip + 16, nf.daddr);
		rt_csum_update16(ip + 10, (uint16_t)(old >> 16), (uint16_t)(nf.daddr >> 16));
		rt_csum_update16(ip + 10, (uint16_t)old, (uint16_t)nf.daddr);
		if (c->dst_anno)
			rt_pkt_set_dst_anno(p, nf.daddr);
	}
	if (dir && c->reply_anno >= 0 && c->reply_anno < RT_ANNO_SIZE)
		p->anno[c->reply_anno] = f->reply_anno;
	struct hw_log l = { .n = 0 };
	uint32_t os = rt_rd32(enc + 12), od = rt_rd32(enc + 16);
	log_hw(&l, rt_rd16(enc + 10), 0);
	log_hw(&l, (uint16_t)(os >> 16), (uint16_t)(nf.daddr >> 16));
	log_hw(&l, (uint16_t)os, (uint16_t)nf.daddr);
	log_hw(&l, (uint16_t)(od >> 16), (uint16_t)(nf.saddr >> 16));
	log_hw(&l, (uint16_t)od, (uint16_t)nf.saddr);
	rt_wr32(enc + 12, nf.daddr);
	rt_wr32(enc + 16, nf.saddr);
	update_words(enc + 10, l.old + 1, l.neu + 1, 4);
	l.neu[0] = rt_rd16(enc + 10);
	if (use_t && ep != RT_IP_PROTO_ICMP) {
		log_hw(&l, rt_rd16(et), nf.dport);
		log_hw(&l, rt_rd16(et + 2), nf.sport);
		rt_wr16(et, nf.dport);
		rt_wr16(et + 2, nf.sport);
		uint8_t *cs = NULL;
		if (ep == RT_IP_PROTO_TCP && etl >= 18)
			cs = et + 16;
		else if (ep == RT_IP_PROTO_UDP && etl >= 8 && rt_rd16(et + 6) != 0)
			cs = et + 6;
		if (cs) {
			uint16_t old = rt_rd16(cs);
			update_words(cs, l.old + 1, l.neu + 1, l.n - 1);
			log_hw(&l, old, rt_rd16(cs));
		}
	} else if (use_t) {
		uint16_t oid = rt_rd16(et + 4), ocs = rt_rd16(et + 2);
		rt_wr16(et + 4, nf.dport);
		log_hw(&l, oid, nf.dport);
		rt_csum_update16(et + 2, oid, nf.dport);
		if (rt_rd16(et + 2) == 0) {
			bool zero = true;
			for (uint32_t i = 0; i < etl && zero; i++)
				zero = et[i] == 0;
			if (zero)
				rt_wr16(et + 2, 0xffff);
		}
		log_hw(&l, ocs, rt_rd16(et + 2));
	}
	update_words(icmp + 2, l.old, l.neu, l.n);
	return m->offset >= 0 ? m->offset + (dir ? f->rout : f->fout) : 0;
}

static void icmprw_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	(void)port;
	if (!rt_pkt_has_ip(p) || rt_pkt_ip_avail(p) < 20 || rt_pkt_ip(p)[9] != RT_IP_PROTO_ICMP) {
		rt_drop(e, p);
		return;
	}
	int out = icmprw_handle(e, p);
	if (out < 0 || (uint32_t)out >= e->noutputs)
		rt_drop(e, p);
	else
		rt_push(e, (uint32_t)out, p);
}

static const struct elem_runtime icmprw_runtime = { .push = icmprw_push };

static json_t *icmprw_describe(const void *conf)
{
	const struct icmprw_conf *c = conf;
	json_t *maps = json_array();
	for (uint32_t i = 0; maps && i < c->nmaps; i++) {
		char buf[300];
		if (c->maps[i].offset >= 0)
			snprintf(buf, sizeof buf, "%s:%d", c->maps[i].name, c->maps[i].offset);
		else
			snprintf(buf, sizeof buf, "%s", c->maps[i].name);
		json_array_append_new(maps, json_string(buf));
	}
	return json_pack("{s:o, s:b, s:o}", "MAPS", maps, "DST_ANNO", c->dst_anno, "REPLY_ANNO",
	                 c->reply_anno < 0 ? json_null() : json_integer(c->reply_anno));
}

const struct click_class elem_icmprewriter = {
	.name = "ICMPRewriter",
	.port_count = "1/1-",
	.processing = "h/h",
	.configure = icmprw_configure,
	.model = &icmprw_model,
	.runtime = &icmprw_runtime,
	.describe = icmprw_describe,
	.doc_args = "MAPS (space-separated IPRewriter, TCPRewriter or ICMPPingRewriter names, "
	            "each NAME or NAME:OFFSET); keywords DST_ANNO, REPLY_ANNO",
	.doc_model = "The named rewriters' mappings are not read: an ICMP error may leave on any "
	             "output a mapping names, its destination unchanged or unknown, or be dropped "
	             "(approximate); everything else is dropped.",
};
