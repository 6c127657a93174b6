/* What IPRewriter and IPAddrRewriter share (internal.h, the rewriter family): input specs and
 * common keywords, the mapping table on symbolic flows and on packets, the
 * rewriting of a header by a mapping, and the describe of the shared part.
 *
 * Click's rules (IPRewriterBase, IPRewriterPattern), kept as they are:
 *   - the specs drop, pass, keep and pattern; one table for all inputs, so
 *     a reply arriving on any input finds the mapping its request made;
 *   - store_flow: a new flow whose reply key an older flow holds replaces
 *     that flow (a pattern without a varying field maps every flow to the
 *     same reply key; the newest wins);
 *   - the pattern's choice: the fixed fields, then for a varying field the
 *     packet's own source port when it lies in the range and its reply key
 *     is free ('#' and '?' turn that off), else the first free value from
 *     a random start ('#': after the last one given), wrapping; none free
 *     drops the packet;
 *   - an address range in a NAPT pattern varies the source port;
 *   - the full-table rule: at capacity, the best-effort flow (its
 *     guarantee over) that expires first makes room; when every flow is
 *     still guaranteed the new flow is refused (admission control) and
 *     counts in mapping_failures;
 *   - the reaper every REAP_INTERVAL removes flows past both their expiry
 *     and their guarantee; checksums are updated incrementally by the
 *     deltas Click's IPRewriterFlow computes.
 * test/fixtures/conformance/iprewriter-* and ipaddrrewriter-* compare them
 * with Click 2.1 packet for packet (docs/conformance.md).
 *
 * Where innet departs on purpose, and why:
 *   - Times are nanoseconds on the module clock, not jiffies on the wall
 *     clock: the runtime has one clock for every element, and `innet click
 *     run` replays captures in their own time, which gives the same
 *     packets on every run.
 *   - A full table scans for its victim instead of keeping Click's two
 *     heaps: the table is a flat array that grows on demand (a module may
 *     hold up to its flow quota without paying for it up front); the scan
 *     runs only at capacity, and a lower bound on the guarantees skips it
 *     while every flow is certainly still guaranteed.
 *   - Probing stops after 2*count+1 values rather than the whole range:
 *     count flows hold at most 2*count keys, so that many consecutive
 *     values contain a free one whenever the range does (the answer is
 *     Click's) and a 64,512-port range costs no 64,512 look-ups.
 *   - More than one varying field is refused at configure: Click keeps
 *     only the width of the last range given and silently pins the other
 *     fields to their low ends, which a tenant would not have meant.
 *   - Random values come from the module's generator, not click_random:
 *     where a pattern picks at random the values differ from Click's (the
 *     fixtures use '#' patterns or mask the port).
 *   - The table is charged to the module's flow quota, which acts as a
 *     capacity too; named patterns (IPRewriterPatterns) and IPMapper
 *     elements are refused; save, load and table hooks (suspending and
 *     moving a module) have no Click counterpart. */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "base/inet.h"
#include "elements/internal.h"
#include "runtime/runtime.h"
#include "verify/model.h"

#define NS 1000000000ll

/* ---- input specs and keywords ---- */

static int out_port(const struct click_conf_ctx *ctx, struct arg_val *v, const char *kw, uint32_t *out)
{
	uint64_t k;
	v->kw = kw;
	if (arg_parse_uint(ctx, v, UINT32_MAX, &k))
		return -EINVAL;
	if (k >= ctx->noutputs)
		return arg_error(ctx, v, "output %llu out of range (%u outputs)", (unsigned long long)k,
		                 ctx->noutputs);
	*out = (uint32_t)k;
	return 0;
}

/* Strip trailing '#'/'?' flags off a field. */
static void suffixes(struct arg_val *v, bool *seq, bool *nopref, bool *any)
{
	while (v->n && (v->s[v->n - 1] == '#' || v->s[v->n - 1] == '?')) {
		if (v->s[v->n - 1] == '#')
			*seq = true;
		else
			*nopref = true;
		*any = true;
		v->n--;
	}
}

/* SADDR: '-', an address (0.0.0.0 = '-'), A-B, or a/len. */
static int addr_field(const struct click_conf_ctx *ctx, struct arg_val *v, bool ranges,
                      struct rw_field *f)
{
	if (arg_is(v, "-")) {
		f->keep = true;
		return 0;
	}
	const char *dash = memchr(v->s, '-', v->n);
	if (dash && ranges) {
		size_t d = (size_t)(dash - v->s);
		struct arg_val lo = arg_sub(v, 0, d), hi = arg_sub(v, d + 1, v->n - d - 1);
		if (arg_parse_ip(ctx, &lo, &f->lo) || arg_parse_ip(ctx, &hi, &f->hi))
			return -EINVAL;
		if (f->lo > f->hi)
			return arg_error(ctx, v, "empty address range");
		return 0;
	}
	if (memchr(v->s, '/', v->n) && ranges) {
		struct inet_prefix p;
		if (arg_parse_prefix(ctx, v, &p))
			return -EINVAL;
		uint32_t bcast = p.addr | ~inet_mask(p.len);
		f->lo = p.addr;
		f->hi = bcast;
		if (p.len < 31) { /* skip the network and broadcast addresses */
			f->lo++;
			f->hi--;
		}
		return 0;
	}
	if (arg_parse_ip(ctx, v, &f->lo))
		return -EINVAL;
	f->hi = f->lo;
	f->keep = f->lo == 0;
	return 0;
}

/* SPORT/DPORT: '-', a port 1-65535, or L-H (ranges only when allowed). */
static int port_field(const struct click_conf_ctx *ctx, struct arg_val *v, bool ranges,
                      struct rw_field *f)
{
	if (arg_is(v, "-")) {
		f->keep = true;
		return 0;
	}
	const char *dash = memchr(v->s, '-', v->n);
	uint16_t lo, hi;
	if (dash && ranges) {
		size_t d = (size_t)(dash - v->s);
		struct arg_val a = arg_sub(v, 0, d), b = arg_sub(v, d + 1, v->n - d - 1);
		if (arg_parse_port(ctx, &a, &lo) || arg_parse_port(ctx, &b, &hi))
			return -EINVAL;
		if (lo > hi)
			return arg_error(ctx, v, "empty port range");
	} else {
		if (arg_parse_port(ctx, v, &lo))
			return -EINVAL;
		hi = lo;
	}
	if (lo == 0)
		return arg_error(ctx, v, "port 0 is not allowed");
	f->lo = lo;
	f->hi = hi;
	return 0;
}

/* Click's NAPT patterns vary only the source port: an address range in
 * SADDR gives the address its low end and the port the range's width,
 * counted from SPORT (0 when '-'). What Click does, kept as it is. */
static int napt_address_range(const struct click_conf_ctx *ctx, const struct arg_val *whole,
                              struct rw_pattern *p)
{
	uint32_t top = p->saddr.hi - p->saddr.lo, base = p->sport.keep ? 0 : p->sport.lo;
	if ((uint64_t)base + top > 65535)
		return arg_error(ctx, whole, "an address range in a NAPT pattern varies the source "
		                             "port (as Click does); this one is wider than the ports");
	p->saddr.hi = p->saddr.lo;
	p->sport = (struct rw_field){ .lo = base, .hi = base + top };
	p->vary = RW_VARY_SPORT;
	return 0;
}

static int parse_pattern(const struct click_conf_ctx *ctx, struct arg_val *w, size_t nw, bool addr_only,
                         const struct arg_val *whole, struct rw_pattern *p)
{
	static const char *const names4[] = { "SADDR", "SPORT", "DADDR", "DPORT" };
	static const char *const names2[] = { "SADDR", "DADDR" };
	const char *const *names = nw == 4 ? names4 : names2;
	bool flagged[4] = { false };
	int rc = 0;
	for (size_t i = 0; i < nw; i++) {
		w[i].kw = names[i];
		suffixes(&w[i], &p->sequential, &p->no_prefer, &flagged[i]);
	}
	if (nw == 4) {
		if (addr_field(ctx, &w[0], true, &p->saddr) || port_field(ctx, &w[1], true, &p->sport) ||
		    addr_field(ctx, &w[2], false, &p->daddr) || port_field(ctx, &w[3], false, &p->dport))
			return -EINVAL;
	} else {
		p->addr_only = true;
		p->sport.keep = p->dport.keep = true;
		if (addr_field(ctx, &w[0], true, &p->saddr) || addr_field(ctx, &w[1], false, &p->daddr))
			return -EINVAL;
		if (addr_only && !p->daddr.keep)
			return arg_error(ctx, &w[1], "IPAddrRewriter rewrites only sources: the "
			                             "destination must be '-'");
	}
	const struct rw_field *fields[4] = { &p->saddr, nw == 4 ? &p->sport : &p->daddr,
	                                     &p->daddr, &p->dport };
	int nvary = 0;
	for (size_t i = 0; i < nw; i++) {
		bool varies = !fields[i]->keep && fields[i]->lo != fields[i]->hi;
		if (varies) {
			nvary++;
			p->vary = i == 0 ? RW_VARY_SADDR : RW_VARY_SPORT;
		}
		if (flagged[i] && !varies)
			rc = arg_error(ctx, &w[i], "'#' and '?' apply only to a range or prefix");
	}
	if (nvary > 1)
		return arg_error(ctx, whole, "only one pattern field may vary (a range or prefix)");
	if (nw == 4 && p->vary == RW_VARY_SADDR && !rc)
		rc = napt_address_range(ctx, whole, p);
	return rc;
}

int rw_parse_pattern4(const struct click_conf_ctx *ctx, struct arg_val w[4], const struct arg_val *whole,
                      struct rw_pattern *p)
{
	memset(p, 0, sizeof *p);
	return parse_pattern(ctx, w, 4, false, whole, p);
}

int rw_parse_spec(const struct click_conf_ctx *ctx, const struct click_arg *arg, bool addr_only,
                  struct rw_spec *out)
{
	memset(out, 0, sizeof *out);
	out->loc = arg->loc;
	struct arg_val a = arg_val_of(arg, "INPUTSPEC");
	struct arg_list w;
	if (arg_words(ctx, &a, &w))
		return -ENOMEM;
	if (w.n == 0) {
		a.n = 1;
		return arg_error(ctx, &a, "empty input spec (expected drop, pass, keep or pattern)");
	}
	struct arg_val *k = &w.v[0];
	if (arg_is(k, "drop") || arg_is(k, "discard")) {
		out->kind = RW_DROP;
		if (w.n > 1)
			return arg_error(ctx, &w.v[1], "'%.*s' takes no arguments", (int)k->n, k->s);
		return 0;
	}
	if (arg_is(k, "pass") || arg_is(k, "passthrough") || arg_is(k, "nochange")) {
		out->kind = RW_PASS;
		if (w.n > 2)
			return arg_error(ctx, &w.v[2], "expected '%.*s [OUTPUT]'", (int)k->n, k->s);
		if (w.n == 2)
			return out_port(ctx, &w.v[1], "OUTPUT", &out->fout);
		if (ctx->noutputs == 0)
			return arg_error(ctx, k, "output 0 out of range (0 outputs)");
		return 0;
	}
	if (arg_is(k, "keep")) {
		out->kind = RW_KEEP;
		if (w.n != 3)
			return arg_error(ctx, &a, "expected 'keep FOUTPUT ROUTPUT'");
		out->pat.saddr.keep = out->pat.sport.keep = true;
		out->pat.daddr.keep = out->pat.dport.keep = true;
		int rc = out_port(ctx, &w.v[1], "FOUTPUT", &out->fout);
		if (out_port(ctx, &w.v[2], "ROUTPUT", &out->rout))
			rc = -EINVAL;
		return rc;
	}
	if (arg_is(k, "pattern") || arg_is(k, "xpattern")) {
		out->kind = RW_PATTERN;
		if (w.n == 4 && addr_only)
			return arg_error(ctx, &a, "IPAddrRewriter patterns are 'pattern SADDR - FOUTPUT "
			                          "ROUTPUT'");
		if (w.n == 4) { /* pattern NAME FOUTPUT ROUTPUT (IPRewriterPatterns) */
			int rc = 0;
			if (rw_named_pattern(ctx, &w.v[1], &out->pat))
				rc = arg_error(ctx, &w.v[1], "no pattern named '%.*s' (IPRewriterPatterns)",
				               (int)(w.v[1].n > 64 ? 64 : w.v[1].n), w.v[1].s);
			if (out_port(ctx, &w.v[2], "FOUTPUT", &out->fout))
				rc = -EINVAL;
			if (out_port(ctx, &w.v[3], "ROUTPUT", &out->rout))
				rc = -EINVAL;
			return rc;
		}
		if (addr_only && w.n == 7)
			return arg_error(ctx, &a, "IPAddrRewriter patterns are 'pattern SADDR - FOUTPUT "
			                          "ROUTPUT'");
		if (w.n != 7 && w.n != 5)
			return arg_error(ctx, &a, addr_only
			                         ? "expected 'pattern SADDR - FOUTPUT ROUTPUT'"
			                         : "expected 'pattern SADDR SPORT DADDR DPORT FOUTPUT "
			                           "ROUTPUT'");
		int rc = parse_pattern(ctx, w.v + 1, w.n - 3, addr_only, &a, &out->pat);
		if (out_port(ctx, &w.v[w.n - 2], "FOUTPUT", &out->fout))
			rc = -EINVAL;
		if (out_port(ctx, &w.v[w.n - 1], "ROUTPUT", &out->rout))
			rc = -EINVAL;
		return rc;
	}
	char b[40];
	snprintf(b, sizeof b, "%.*s", (int)(k->n > 32 ? 32 : k->n), k->s);
	return arg_error(ctx, k, "unknown input spec '%s' (expected drop, pass, keep or pattern; "
	                         "IPMapper elements are not supported)", b);
}

struct rw_conf *rw_conf_new(const struct click_conf_ctx *ctx)
{
	struct rw_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return NULL;
	c->tcp_timeout_ns = 86400 * NS;
	c->tcp_done_timeout_ns = 240 * NS;
	c->tcp_nodata_timeout_ns = 300 * NS;
	c->tcp_guarantee_ns = 5 * NS;
	c->udp_timeout_ns = 300 * NS;
	c->udp_guarantee_ns = 5 * NS;
	c->timeout_ns = 7200 * NS;
	c->guarantee_ns = 5 * NS;
	c->reap_interval_ns = 900 * NS;
	c->capacity = 0x7fffffff;
	c->dst_anno = true;
	c->reply_anno = -1;
	return c;
}

/* Specs start with lowercase words; an uppercase KEYWORD left over is a
 * misspelt or foreign keyword, not a spec. */
static int reject_unknown_keywords(const struct click_conf_ctx *ctx, const struct click_args *rest)
{
	int rc = 0;
	for (size_t i = 0; i < rest->n; i++) {
		const char *t = rest->v[i].text;
		size_t kl = arg_keyword_len(t, strlen(t)), j = 0;
		while (j < kl && ((t[j] >= 'A' && t[j] <= 'Z') || t[j] == '_' || (t[j] >= '0' && t[j] <= '9')))
			j++;
		if (kl && j == kl) {
			struct arg_val at = arg_val_of(&rest->v[i], NULL);
			at.n = kl;
			rc = arg_error(ctx, &at, "unknown keyword '%.*s'", (int)kl, t);
		}
	}
	return rc;
}

static int parse_specs(const struct click_conf_ctx *ctx, const struct click_args *rest, bool addr_only,
                       struct rw_conf *c)
{
	if (rest->n != ctx->ninputs) {
		struct arg_val at = { "", 0, ctx->elem ? ctx->elem->loc : (struct src_loc){ 0 }, NULL };
		if (rest->n > ctx->ninputs)
			at = arg_val_of(&rest->v[ctx->ninputs], NULL);
		return arg_error(ctx, &at, "need %u input specs, one per input port (got %zu)",
		                 ctx->ninputs, rest->n);
	}
	c->nspecs = (uint32_t)rest->n;
	c->specs = arena_calloc(ctx->arena, rest->n ? rest->n : 1, sizeof *c->specs);
	if (!c->specs)
		return -ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < rest->n; i++)
		if (rw_parse_spec(ctx, &rest->v[i], addr_only, &c->specs[i]))
			rc = -EINVAL;
	return rc;
}

int rw_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                 struct arg_spec *kw, size_t nkw, const uint8_t *reply_anno, bool addr_only,
                 struct rw_conf *c)
{
	struct click_args rest;
	int rc = args_consume(ctx, args, kw, nkw, &rest);
	if (rc == -ENOMEM)
		return rc;
	if (args_given(kw, nkw, "REPLY_ANNO"))
		c->reply_anno = *reply_anno;
	int bad = reject_unknown_keywords(ctx, &rest);
	if (bad)
		rc = bad;
	if (rc)
		return rc;
	return parse_specs(ctx, &rest, addr_only, c);
}

/* ---- the mapping table on symbolic flows ---- */

/* Mappings are pushed into the flow, so the reply to a flow finds the
 * mapping its request installed whatever happened in between, and a packet
 * no mapping covers meets the input's spec. The kinds of record: */
enum {
	RW_REC_NAPT = 0x52570001u, /* proto, 4-tuple in, 4-tuple out */
	RW_REC_SRC = 0x52570002u,  /* IPAddrRewriter forward: src in, src out */
	RW_REC_DST = 0x52570003u,  /* IPAddrRewriter reply: dst in, dst out */
};

void rw_sym_pass_or_drop(struct sym_ctx *cx, struct sym_flow *f, const struct rw_spec *spec,
                         const char *why)
{
	if (!f)
		return;
	if (spec->kind == RW_PASS)
		sym_emit(cx, spec->fout, f);
	else
		sym_drop(cx, f, why);
}

/* The new value of a pattern field: the packet's own, one value, or some
 * value of the range (a new variable over it). */
static struct sym_term pick(struct sym_ctx *cx, struct sym_flow *f, const struct rw_field *p,
                            enum sym_field fld, const char *hint)
{
	if (p->keep)
		return sym_get(f, fld);
	if (p->lo == p->hi)
		return sym_const(p->lo);
	sym_set_range(cx, f, fld, p->lo, p->hi, hint);
	return sym_get(f, fld);
}

/* Write the new (src, sport, dst, dport) terms nt into f (the ports only
 * when `ports`). */
static void set_fields(struct sym_ctx *cx, struct sym_flow *f, const struct sym_term *nt,
                       bool ports)
{
	sym_set_term(cx, f, SYM_F_SRC, nt[0]);
	sym_set_term(cx, f, SYM_F_DST, nt[2]);
	if (ports) {
		sym_set_term(cx, f, SYM_F_SPORT, nt[1]);
		sym_set_term(cx, f, SYM_F_DPORT, nt[3]);
	}
	sym_set_term(cx, f, SYM_F_DSTANNO, nt[2]);
}

/* Push the forward and reply mappings from the old terms o to the new nt. */
static void push_mappings(struct sym_ctx *cx, struct sym_flow *f, const struct rw_spec *spec,
                          const struct sym_term *o, const struct sym_term *nt, bool addr_only)
{
	struct sym_state r = {.owner = sym_owner(cx)};
	if (addr_only) {
		r.kind = RW_REC_SRC;
		r.port = (int32_t)spec->fout;
		r.nterms = 2;
		r.t[0] = o[0];
		r.t[1] = nt[0];
		sym_state_push(cx, f, &r);
		r.kind = RW_REC_DST;
		r.port = (int32_t)spec->rout;
		r.t[0] = nt[0];
		r.t[1] = o[0];
		sym_state_push(cx, f, &r);
		return;
	}
	r.kind = RW_REC_NAPT;
	r.nterms = 9;
	r.port = (int32_t)spec->fout;
	r.t[0] = sym_get(f, SYM_F_PROTO);
	for (int i = 0; i < 4; i++) {
		r.t[1 + i] = o[i];
		r.t[5 + i] = nt[i];
	}
	sym_state_push(cx, f, &r);
	/* reply: (DA',DP',SA',SP') -> (DA,DP,SA,SP) */
	r.port = (int32_t)spec->rout;
	r.t[1] = nt[2];
	r.t[2] = nt[3];
	r.t[3] = nt[0];
	r.t[4] = nt[1];
	r.t[5] = o[2];
	r.t[6] = o[3];
	r.t[7] = o[0];
	r.t[8] = o[1];
	sym_state_push(cx, f, &r);
}

/* The spec for flows no mapping covers. */
static void meet_spec(struct sym_ctx *cx, struct sym_flow *f, const struct rw_spec *spec,
                      bool addr_only, bool ports)
{
	switch (spec->kind) {
	case RW_DROP:
		sym_drop(cx, f, "no mapping (unsolicited)");
		return;
	case RW_PASS:
		sym_emit(cx, spec->fout, f);
		return;
	}
	struct sym_term o[4] = {sym_get(f, SYM_F_SRC), sym_get(f, SYM_F_SPORT), sym_get(f, SYM_F_DST),
	                        sym_get(f, SYM_F_DPORT)};
	struct sym_term nt[4];
	if (spec->kind == RW_KEEP) {
		for (int i = 0; i < 4; i++)
			nt[i] = o[i];
	} else {
		const struct rw_pattern *p = &spec->pat;
		nt[0] = pick(cx, f, &p->saddr, SYM_F_SRC, "src");
		nt[1] = addr_only ? o[1] : pick(cx, f, &p->sport, SYM_F_SPORT, "sport");
		nt[2] = addr_only ? o[2] : pick(cx, f, &p->daddr, SYM_F_DST, "dst");
		nt[3] = addr_only ? o[3] : pick(cx, f, &p->dport, SYM_F_DPORT, "dport");
		if (!ports && !addr_only) { /* the mapping has new ports, the packet keeps its own */
			sym_set_term(cx, f, SYM_F_SPORT, o[1]);
			sym_set_term(cx, f, SYM_F_DPORT, o[3]);
		}
	}
	push_mappings(cx, f, spec, o, nt, addr_only);
	set_fields(cx, f, nt, !addr_only && ports);
	sym_emit(cx, spec->fout, f);
}

/* Split the flows of cur on "record s covers them". */
static int split_covered(struct sym_ctx *cx, const struct sym_flows *cur, const struct sym_state *s,
                         bool addr_only, struct sym_flows *yes, struct sym_flows *no)
{
	static const enum sym_field napt_keys[5] = {SYM_F_PROTO, SYM_F_SRC, SYM_F_SPORT, SYM_F_DST,
	                                            SYM_F_DPORT};
	for (uint32_t i = 0; i < cur->n; i++) {
		int r = 0;
		if (s->kind == RW_REC_NAPT && !addr_only) {
			r = sym_split_equal(cx, cur->v[i], 5, napt_keys, s->t, yes, no);
		} else if ((s->kind == RW_REC_SRC || s->kind == RW_REC_DST) && addr_only) {
			enum sym_field k = s->kind == RW_REC_SRC ? SYM_F_SRC : SYM_F_DST;
			r = sym_split_equal(cx, cur->v[i], 1, &k, s->t, yes, no);
		} else {
			sym_flows_push(cx, no, cur->v[i]);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* Rewrite g by record s (the depth-th of the flows' records) and emit it. */
static void follow_mapping(struct sym_ctx *cx, struct sym_flow *g, const struct sym_state *s,
                           uint32_t depth, bool ports)
{
	/* unification may have rebuilt g's records (same order): take the
	 * terms from g's copy of this record */
	const struct sym_state *m = sym_state_first(g);
	for (uint32_t d = 0; m && d < depth; d++)
		m = m->next;
	if (!m || m->kind != s->kind)
		m = s;
	if (s->kind == RW_REC_NAPT) {
		struct sym_term nt[4] = {m->t[5], m->t[6], m->t[7], m->t[8]};
		set_fields(cx, g, nt, ports);
	} else if (s->kind == RW_REC_SRC) {
		sym_set_term(cx, g, SYM_F_SRC, m->t[1]);
	} else {
		sym_set_term(cx, g, SYM_F_DST, m->t[1]);
		sym_set_term(cx, g, SYM_F_DSTANNO, m->t[1]);
	}
	sym_emit(cx, (uint32_t)s->port, g);
}

int rw_sym_map(struct sym_ctx *cx, struct sym_flows *flows, const struct rw_spec *spec,
               bool addr_only, bool ports)
{
	struct sym_flows cur = *flows;
	if (!cur.n)
		return 0;
	uint64_t me = sym_owner(cx);
	uint32_t depth = 0;
	for (const struct sym_state *s = sym_state_first(cur.v[0]); s && cur.n; s = s->next, depth++) {
		if (s->owner != me)
			continue;
		struct sym_flows yes = {0}, no = {0};
		int r = split_covered(cx, &cur, s, addr_only, &yes, &no);
		if (r < 0)
			return r;
		for (uint32_t i = 0; i < yes.n; i++)
			follow_mapping(cx, yes.v[i], s, depth, ports);
		cur = no;
	}
	for (uint32_t i = 0; i < cur.n; i++)
		meet_spec(cx, cur.v[i], spec, addr_only, ports);
	return 0;
}

/* ---- the mapping table on packets ---- */

/* Alignment of the cursor array inside the state. */
#define RW_STATE_ALIGN 16

size_t rw_state_size(const struct rt_elem *e, uint32_t flow_capacity)
{
	(void)flow_capacity; /* the table grows outside the block */
	const struct rw_conf *c = e->conf;
	return sizeof(struct rw_state) + RW_STATE_ALIGN + (size_t)c->nspecs * sizeof(uint32_t);
}

static uint8_t *align_state(uint8_t *p)
{
	return (uint8_t *)(((uintptr_t)p + RW_STATE_ALIGN - 1) & ~(uintptr_t)(RW_STATE_ALIGN - 1));
}

static void schedule_reap(struct rt_elem *e, uint64_t when)
{
	struct rw_state *s = e->state;
	s->next_reap = when;
	rt_timer_at(e, when);
}

int rw_init(struct rt_elem *e, struct diags *d)
{
	(void)d;
	const struct rw_conf *c = e->conf;
	struct rw_state *s = e->state;
	s->seq_next = (uint32_t *)align_state((uint8_t *)(s + 1));
	rt_flowtab_init(&s->tab, c->capacity, rt_flow_quota(e));
	s->next_reap = UINT64_MAX;
	if (c->reap_interval_ns > 0)
		schedule_reap(e, rt_now(e) + (uint64_t)c->reap_interval_ns);
	return 0;
}

void rw_fini(struct rt_elem *e)
{
	struct rw_state *s = e->state;
	rt_flowtab_fini(&s->tab);
}

uint32_t rw_reap(struct rt_elem *e, uint64_t now_ns)
{
	const struct rw_conf *c = e->conf;
	struct rw_state *s = e->state;
	rt_flowtab_reap(&s->tab, now_ns);
	if (c->reap_interval_ns > 0)
		schedule_reap(e, now_ns + (uint64_t)c->reap_interval_ns);
	return 0;
}

int rw_read(const struct rt_elem *e, const char *handler, uint64_t *val)
{
	const struct rw_state *s = e->state;
	if (!strcmp(handler, "mapping_count") || !strcmp(handler, "nmappings"))
		*val = rt_flowtab_count(&s->tab);
	else if (!strcmp(handler, "mapping_failures"))
		*val = s->mapping_failures;
	else if (!strcmp(handler, "capacity"))
		*val = rt_flowtab_capacity(&s->tab);
	else
		return -EOPNOTSUPP;
	return 0;
}

void rw_table(const struct rt_elem *e, struct rt_table_stats *st)
{
	const struct rw_state *s = e->state;
	uint64_t cap = rt_flowtab_capacity(&s->tab);
	const struct rt_flowquota *q = s->tab.q;
	if (q && q->max_flows && q->max_flows < cap)
		cap = q->max_flows;
	st->entries = rt_flowtab_count(&s->tab);
	st->capacity = cap;
	st->full_drops = s->mapping_failures;
}

/* The fixed fields of pattern pat applied to key (Click sets every field
 * the pattern names, the low end of a range included, then varies one). */
static struct rt_flowid pattern_fixed(const struct rw_pattern *pat, const struct rt_flowid *key)
{
	struct rt_flowid rew = *key;
	if (!pat->saddr.keep)
		rew.saddr = pat->saddr.lo;
	if (!pat->sport.keep)
		rew.sport = (uint16_t)pat->sport.lo;
	if (!pat->daddr.keep)
		rew.daddr = pat->daddr.lo;
	if (!pat->dport.keep)
		rew.dport = (uint16_t)pat->dport.lo;
	return rew;
}

static bool reply_free(struct rw_state *s, const struct rt_flowid *rew)
{
	struct rt_flowid r = rt_flowid_reverse(*rew);
	return !rt_flowtab_key_used(&s->tab, &r);
}

static void set_variation(struct rt_flowid *rew, const struct rw_pattern *pat, uint32_t val)
{
	if (pat->vary == RW_VARY_SPORT)
		rew->sport = (uint16_t)(pat->sport.lo + val);
	else
		rew->saddr = pat->saddr.lo + val;
}

/* IPRewriterPattern's choice of the rewritten flow: the fixed fields;
 * then, if one field varies over [lo, lo+top], the packet's own source
 * port when it lies there ('#' and '?' turn that off; address variations
 * never do it), else the first value from a random start ('#': the next
 * after the last one given) whose reply key is free, wrapping around.
 * Without a varying field the reply key is not checked: a flow holding
 * it is replaced (store_flow). -1 (drop) when every value is taken. At
 * most 2*count+1 values need probing: no more keys can be taken. */
static int pattern_apply(struct rt_elem *e, struct rw_state *s, uint32_t spec,
                         const struct rw_pattern *pat, const struct rt_flowid *key,
                         struct rt_flowid *rew)
{
	*rew = pattern_fixed(pat, key);
	if (pat->vary == RW_VARY_NONE)
		return 0;
	const struct rw_field *f = pat->vary == RW_VARY_SPORT ? &pat->sport : &pat->saddr;
	uint32_t top = f->hi - f->lo, val;
	if (pat->vary == RW_VARY_SPORT && !pat->no_prefer && !pat->sequential &&
	    (val = (uint32_t)key->sport - f->lo) <= top) {
		set_variation(rew, pat, val);
		if (reply_free(s, rew))
			goto found;
	}
	if (pat->sequential)
		val = s->seq_next[spec] > top ? 0 : s->seq_next[spec];
	else
		val = (uint32_t)((uint64_t)rt_random(e) % ((uint64_t)top + 1));
	uint64_t tries = 2ull * rt_flowtab_count(&s->tab) + 1;
	if (tries > (uint64_t)top + 1)
		tries = (uint64_t)top + 1;
	for (uint64_t i = 0; i < tries; i++, val = val == top ? 0 : val + 1) {
		set_variation(rew, pat, val);
		if (reply_free(s, rew))
			goto found;
	}
	return -1;
found:
	s->seq_next[spec] = val + 1;
	return 0;
}

struct rt_flow *rw_map_new(struct rt_elem *e, uint32_t port, struct rt_pkt *p,
                           const struct rt_flowid *key, int64_t timeout, int64_t guarantee)
{
	int32_t out;
	struct rt_flow *f = rw_map_new_step(e, port, p, key, timeout, guarantee, &out);
	if (!f && out >= 0)
		rt_push(e, (uint32_t)out, p);
	return f;
}

struct rt_flow *rw_map_new_step(struct rt_elem *e, uint32_t port, struct rt_pkt *p,
                                const struct rt_flowid *key, int64_t timeout, int64_t guarantee,
                                int32_t *out)
{
	const struct rw_conf *c = e->conf;
	struct rw_state *s = e->state;
	const struct rw_spec *spec = &c->specs[port];
	*out = RT_STEP_GONE;
	if (spec->kind == RW_PASS) {
		*out = (int32_t)spec->fout;
		return NULL;
	}
	struct rt_flowid rew = *key;
	if (spec->kind == RW_DROP ||
	    (spec->kind == RW_PATTERN && pattern_apply(e, s, port, &spec->pat, key, &rew) < 0)) {
		rt_drop(e, p);
		return NULL;
	}
	if (c->icmp_ping) /* the reply identifier key (ICMPPingRewriter::add_flow) */
		rew.dport = (uint16_t)(rew.sport + 1);
	uint64_t now = rt_now(e);
	struct rt_flow *f = rt_flowtab_insert(&s->tab, key, &rew, now,
	                                      now + (uint64_t)(timeout > 0 ? timeout : 0),
	                                      now + (uint64_t)(guarantee > 0 ? guarantee : 0));
	if (!f) {
		s->mapping_failures++;
		rt_drop(e, p);
		return NULL;
	}
	f->fout = (uint16_t)spec->fout;
	f->rout = (uint16_t)spec->rout;
	if (c->reply_anno >= 0 && c->reply_anno < RT_ANNO_SIZE)
		f->reply_anno = p->anno[c->reply_anno];
	return f;
}

void rw_forward(struct rt_elem *e, struct rt_flow *f, int dir, struct rt_pkt *p,
                int64_t timeout, int64_t guarantee, bool addr_only)
{
	rt_push(e, rw_forward_step(e, f, dir, p, timeout, guarantee, addr_only), p);
}

uint32_t rw_forward_step(struct rt_elem *e, struct rt_flow *f, int dir, struct rt_pkt *p,
                         int64_t timeout, int64_t guarantee, bool addr_only)
{
	const struct rw_conf *c = e->conf;
	struct rw_state *s = e->state;
	uint64_t now = rt_now(e);
	f->expiry = now + (uint64_t)(timeout > 0 ? timeout : 0);
	rt_flowtab_guarantee(&s->tab, f, now + (uint64_t)(guarantee > 0 ? guarantee : 0));
	rw_apply(f, dir, p, addr_only, c->dst_anno, c->reply_anno);
	return dir ? f->rout : f->fout;
}

/* ---- saved state ---- */

/* A flow is saved as: key (saddr, daddr u32 little-endian, sport, dport
 * u16 as two bytes, proto), a byte naming the fields of the rewritten flow
 * that differ from the key followed by those fields, fout and rout
 * (varints), flags, reply anno, packets (varint), and the expiry and
 * guarantee relative to the save as zigzag varints of nanoseconds (an
 * expired flow the reaper has not yet removed has a negative one).
 * Typically 35-40 bytes. */
#define RW_STATE_VERSION 1u

static void put_id_field(struct rt_wbuf *w, uint32_t v, int bytes)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	rt_wbuf_put(w, b, (size_t)bytes);
}

static uint32_t get_id_field(struct rt_rbuf *r, int bytes)
{
	uint8_t b[4] = { 0 };
	rt_rbuf_get(r, b, (size_t)bytes);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

void rw_save_flow(struct rt_wbuf *w, const struct rt_flow *f, uint64_t now_ns)
{
	const struct rt_flowid *k = &f->key, *n = &f->rew;
	put_id_field(w, k->saddr, 4);
	put_id_field(w, k->daddr, 4);
	put_id_field(w, k->sport, 2);
	put_id_field(w, k->dport, 2);
	rt_wbuf_u8(w, k->proto);
	uint8_t diff = (uint8_t)((n->saddr != k->saddr) | (n->daddr != k->daddr) << 1 |
	                         (n->sport != k->sport) << 2 | (n->dport != k->dport) << 3);
	rt_wbuf_u8(w, diff);
	if (diff & 1)
		put_id_field(w, n->saddr, 4);
	if (diff & 2)
		put_id_field(w, n->daddr, 4);
	if (diff & 4)
		put_id_field(w, n->sport, 2);
	if (diff & 8)
		put_id_field(w, n->dport, 2);
	rt_wbuf_varint(w, f->fout);
	rt_wbuf_varint(w, f->rout);
	rt_wbuf_u8(w, f->flags);
	rt_wbuf_u8(w, f->reply_anno);
	rt_wbuf_varint(w, f->packets);
	rt_wbuf_varint(w, zigzag((int64_t)(f->expiry - now_ns)));
	rt_wbuf_varint(w, zigzag((int64_t)(f->guarantee - now_ns)));
}

/* now + off on the loading module's clock. A time further in the past
 * than that clock reaches (a guarantee or expiry long gone, on a clock
 * that starts again at 0) is 0, as much in the past: wrapped around it
 * would be a guarantee or expiry that never comes. */
static uint64_t at_offset(uint64_t now, int64_t off)
{
	if (off < 0 && (uint64_t)-(off + 1) >= now)
		return 0;
	return now + (uint64_t)off;
}

bool rw_load_flow(struct rt_rbuf *r, struct rt_flow *f, uint64_t now_ns)
{
	memset(f, 0, sizeof *f);
	struct rt_flowid *k = &f->key, *n = &f->rew;
	k->saddr = get_id_field(r, 4);
	k->daddr = get_id_field(r, 4);
	k->sport = (uint16_t)get_id_field(r, 2);
	k->dport = (uint16_t)get_id_field(r, 2);
	k->proto = rt_rbuf_u8(r);
	uint8_t diff = rt_rbuf_u8(r);
	*n = *k;
	if (diff & 1)
		n->saddr = get_id_field(r, 4);
	if (diff & 2)
		n->daddr = get_id_field(r, 4);
	if (diff & 4)
		n->sport = (uint16_t)get_id_field(r, 2);
	if (diff & 8)
		n->dport = (uint16_t)get_id_field(r, 2);
	uint64_t fout = rt_rbuf_varint(r), rout = rt_rbuf_varint(r);
	f->flags = rt_rbuf_u8(r);
	f->reply_anno = rt_rbuf_u8(r);
	uint64_t packets = rt_rbuf_varint(r);
	int64_t exp = unzigzag(rt_rbuf_varint(r)), gua = unzigzag(rt_rbuf_varint(r));
	if (r->bad || (diff & ~15) || fout > UINT16_MAX || rout > UINT16_MAX || packets > UINT32_MAX)
		return false;
	f->fout = (uint16_t)fout;
	f->rout = (uint16_t)rout;
	f->packets = (uint32_t)packets;
	f->expiry = at_offset(now_ns, exp);
	f->guarantee = at_offset(now_ns, gua);
	return true;
}

uint64_t rw_save_phase(uint64_t deadline, uint64_t now_ns)
{
	if (deadline == UINT64_MAX)
		return 0;
	/* a timer the clock has passed before the timers ran is due now: its
	 * distance would wrap around (and at 1 ns overdue read as "none") */
	return (deadline > now_ns ? deadline - now_ns : 0) + 1;
}

void rw_away(uint64_t phase, uint64_t interval, uint64_t away, struct rw_away *a)
{
	a->reaped = false;
	a->next = UINT64_MAX;
	if (phase == UINT64_MAX)
		return;
	if (phase > away) {
		a->next = phase - away;
		return;
	}
	uint64_t runs = interval ? (away - phase) / interval : 0;
	a->reaped = true;
	a->last = phase + runs * interval; /* the last reap while away */
	if (interval)
		a->next = a->last + interval - away;
}

bool rw_away_removes(const struct rw_away *a, const struct rt_flow *f, uint64_t saved_now)
{
	return a->reaped && rt_flowtab_dead(f, saved_now + a->last);
}

/* Times on the module clock may not go below 0: clamp (a flow that far
 * in the past is as dead at 0 as it was). */
static uint64_t rebase(uint64_t t, uint64_t away) { return t > away ? t - away : 0; }

void rw_rebase_flow(struct rt_flow *f, uint64_t away)
{
	f->expiry = rebase(f->expiry, away);
	f->guarantee = rebase(f->guarantee, away);
}

int rw_save(const struct rt_elem *e, struct rt_wbuf *w, uint64_t now_ns)
{
	const struct rw_conf *c = e->conf;
	const struct rw_state *s = e->state;
	rt_wbuf_u8(w, RW_STATE_VERSION);
	rt_wbuf_varint(w, s->mapping_failures);
	rt_wbuf_varint(w, rw_save_phase(s->next_reap, now_ns));
	rt_wbuf_varint(w, c->nspecs);
	for (uint32_t i = 0; i < c->nspecs; i++)
		rt_wbuf_varint(w, s->seq_next[i]);
	uint32_t n = rt_flowtab_count(&s->tab);
	rt_wbuf_varint(w, n);
	for (uint32_t i = 0; i < n; i++)
		rw_save_flow(w, &s->tab.flows[i], now_ns);
	return 0;
}

static int bad_state(struct diags *d, const struct rt_elem *e, const char *why)
{
	diags_error(d, NULL, 1, "saved state of '%s': %s", e->ce->name, why);
	return -EINVAL;
}

/* Load: each flow's times are rebased by away_ns; a flow the reaper would
 * have removed at one of its runs while the module was away (its first at
 * the saved phase, then every REAP_INTERVAL) is not restored, one that
 * merely expired stays until the next reap, as in a running module. */
int rw_load(struct rt_elem *e, struct rt_rbuf *r, uint64_t now_ns, uint64_t away_ns,
            struct diags *d)
{
	const struct rw_conf *c = e->conf;
	struct rw_state *s = e->state;
	uint8_t version = rt_rbuf_u8(r);
	uint64_t failures = rt_rbuf_varint(r), phase = rt_rbuf_varint(r);
	uint64_t nspecs = rt_rbuf_varint(r);
	if (r->bad || version != RW_STATE_VERSION || nspecs != c->nspecs)
		return bad_state(d, e, "not a rewriter state of this configuration");
	for (uint32_t i = 0; i < c->nspecs; i++)
		s->seq_next[i] = (uint32_t)rt_rbuf_varint(r);
	uint64_t n = rt_rbuf_varint(r);
	if (r->bad || n > rt_rbuf_left(r))
		return bad_state(d, e, "truncated");
	(void)rt_flowtab_reserve(&s->tab, (uint32_t)(n < UINT32_MAX ? n : UINT32_MAX));
	struct rw_away a;
	rw_away(phase ? phase - 1 : UINT64_MAX, (uint64_t)(c->reap_interval_ns > 0 ? c->reap_interval_ns : 0),
	        away_ns, &a);
	for (uint64_t i = 0; i < n; i++) {
		struct rt_flow f;
		if (!rw_load_flow(r, &f, now_ns))
			return bad_state(d, e, "a mapping does not parse");
		if (f.fout >= e->noutputs || f.rout >= e->noutputs)
			return bad_state(d, e, "a mapping's output is out of range");
		if (rw_away_removes(&a, &f, now_ns))
			continue;
		rw_rebase_flow(&f, away_ns);
		struct rt_flow *g = rt_flowtab_insert(&s->tab, &f.key, &f.rew, now_ns, f.expiry, f.guarantee);
		if (!g)
			continue; /* a smaller quota now: refused as a new flow would be */
		g->fout = f.fout;
		g->rout = f.rout;
		g->flags = f.flags;
		g->reply_anno = f.reply_anno;
		g->packets = f.packets;
	}
	s->mapping_failures = failures;
	if (a.next != UINT64_MAX)
		schedule_reap(e, now_ns + a.next);
	return 0;
}

/* ---- rewriting a header by a mapping ---- */

void rw_apply(const struct rt_flow *f, int dir, struct rt_pkt *p, bool addr_only, bool dst_anno,
              int reply_anno_off)
{
	uint8_t *ip = rt_pkt_ip(p);
	struct rt_flowid to = dir ? rt_flowid_reverse(f->key) : f->rew;
	if (!addr_only || dir == 0)
		rt_wr32(ip + 12, addr_only ? f->rew.saddr : to.saddr);
	if (!addr_only || dir == 1)
		rt_wr32(ip + 16, addr_only ? f->key.saddr : to.daddr);
	if (dst_anno && (!addr_only || dir == 1))
		rt_pkt_set_dst_anno(p, rt_rd32(ip + 16));
	if (dir && reply_anno_off >= 0 && reply_anno_off < RT_ANNO_SIZE)
		p->anno[reply_anno_off] = f->reply_anno;
	uint32_t ipd = dir ? (uint16_t)~f->ip_delta : f->ip_delta;
	uint32_t l4d = dir ? (uint16_t)~f->l4_delta : f->l4_delta;
	if (ipd)
		rt_csum_apply_delta(ip + 10, ipd);
	if (!rt_ip_first_frag(ip))
		return;
	uint32_t tl = rt_pkt_transp_avail(p);
	uint8_t *t = rt_pkt_transp(p);
	/* TCPFlow writes ports only with 18 transport bytes; UDPFlow always */
	if (!addr_only && tl >= 4 && (ip[9] != RT_IP_PROTO_TCP || tl >= 18)) {
		rt_wr16(t, to.sport);
		rt_wr16(t + 2, to.dport);
	}
	if (!l4d)
		return;
	if (ip[9] == RT_IP_PROTO_TCP) {
		if (tl >= 18)
			rt_csum_apply_delta(t + 16, l4d);
	} else if (ip[9] == RT_IP_PROTO_UDP) {
		if (tl >= 8 && rt_rd16(t + 6))
			rt_csum_apply_delta(t + 6, l4d);
	}
}

/* ---- describe ---- */

/* A pattern field as Click writes it: '-', a value or LO-HI, with the
 * pattern's '#'/'?' flags on the field that varies. */
static void field_text(const struct rw_pattern *p, const struct rw_field *f, bool addr, char *buf,
                       size_t n)
{
	if (f->keep) {
		snprintf(buf, n, "-");
		return;
	}
	char lo[16], hi[16];
	if (addr) {
		inet_format_addr(f->lo, lo);
		inet_format_addr(f->hi, hi);
	} else {
		snprintf(lo, sizeof lo, "%u", f->lo);
		snprintf(hi, sizeof hi, "%u", f->hi);
	}
	if (f->lo == f->hi)
		snprintf(buf, n, "%s", lo);
	else
		snprintf(buf, n, "%s-%s%s%s", lo, hi, p->sequential ? "#" : "", p->no_prefer ? "?" : "");
}

/* The effective INPUTSPEC: a prefix SADDR shows as the range it allocates
 * from, address 0.0.0.0 as '-'. */
static json_t *describe_spec(const struct rw_spec *s)
{
	char buf[192];
	const struct rw_pattern *p = &s->pat;
	switch (s->kind) {
	case RW_DROP:
		return json_string("drop");
	case RW_PASS:
		snprintf(buf, sizeof buf, "pass %u", s->fout);
		return json_string(buf);
	case RW_KEEP:
		snprintf(buf, sizeof buf, "keep %u %u", s->fout, s->rout);
		return json_string(buf);
	}
	char sa[40], sp[16], da[40], dp[16];
	field_text(p, &p->saddr, true, sa, sizeof sa);
	field_text(p, &p->sport, false, sp, sizeof sp);
	field_text(p, &p->daddr, true, da, sizeof da);
	field_text(p, &p->dport, false, dp, sizeof dp);
	if (p->addr_only)
		snprintf(buf, sizeof buf, "pattern %s %s %u %u", sa, da, s->fout, s->rout);
	else
		snprintf(buf, sizeof buf, "pattern %s %s %s %s %u %u", sa, sp, da, dp, s->fout, s->rout);
	return json_string(buf);
}

int rw_describe_common(const struct rw_conf *c, json_t *o)
{
	json_t *specs = json_array();
	for (uint32_t i = 0; specs && i < c->nspecs; i++)
		if (json_array_append_new(specs, describe_spec(&c->specs[i]))) {
			json_decref(specs);
			specs = NULL;
		}
	if (json_object_set_new(o, "INPUTSPEC", specs) ||
	    json_object_set_new(o, "REAP_INTERVAL", json_integer(c->reap_interval_ns)) ||
	    json_object_set_new(o, "MAPPING_CAPACITY", json_integer(c->capacity)) ||
	    json_object_set_new(o, "DST_ANNO", json_boolean(c->dst_anno)) ||
	    json_object_set_new(o, "REPLY_ANNO",
	                        c->reply_anno < 0 ? json_null() : json_integer(c->reply_anno)))
		return -ENOMEM;
	return 0;
}
