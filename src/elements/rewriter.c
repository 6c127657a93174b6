/* Input specs and keywords of IPRewriter and IPAddrRewriter (click.md 3.5);
 * see rewriter.h. */
#include <errno.h>
#include <string.h>

#include "elements/args.h"
#include "elements/rewriter.h"
#include "verify/model.h"

#define NS 1000000000ll

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
	return rc;
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
		if (w.n == 4)
			return arg_error(ctx, &w.v[1], "named patterns (IPRewriterPatterns) are not "
			                               "supported; write the pattern out");
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

int rw_configure(const struct click_conf_ctx *ctx, const struct click_args *args, bool addr_only,
                 struct rw_conf **out)
{
	struct rw_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
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
	uint8_t reply_anno = 0;
	struct arg_spec napt[] = {
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
	struct arg_spec basic[] = {
		arg_time("TIMEOUT", 0, &c->timeout_ns),
		arg_time("GUARANTEE", 0, &c->guarantee_ns),
		arg_time("REAP_INTERVAL", 0, &c->reap_interval_ns),
		arg_u32("MAPPING_CAPACITY", 0, &c->capacity),
		arg_u32("CAPACITY", 0, &c->capacity),
		arg_bool("DST_ANNO", 0, &c->dst_anno),
		arg_anno1("REPLY_ANNO", 0, &reply_anno),
	};
	struct arg_spec *spec = addr_only ? basic : napt;
	size_t n = addr_only ? ARG_N(basic) : ARG_N(napt);
	struct click_args rest;
	int rc = args_consume(ctx, args, spec, n, &rest);
	if (rc == -ENOMEM)
		return rc;
	if (!addr_only && !napt[5].given)
		c->udp_streaming_timeout_ns = c->udp_timeout_ns;
	if (args_given(spec, n, "REPLY_ANNO"))
		c->reply_anno = reply_anno;
	/* Specs start with lowercase words; an uppercase KEYWORD left over is
	 * a misspelt or foreign keyword, not a spec. */
	for (size_t i = 0; i < rest.n; i++) {
		const char *t = rest.v[i].text;
		size_t kl = arg_keyword_len(t, strlen(t)), j = 0;
		while (j < kl && ((t[j] >= 'A' && t[j] <= 'Z') || t[j] == '_' || (t[j] >= '0' && t[j] <= '9')))
			j++;
		if (kl && j == kl) {
			struct arg_val at = arg_val_of(&rest.v[i], NULL);
			at.n = kl;
			rc = arg_error(ctx, &at, "unknown keyword '%.*s'", (int)kl, t);
		}
	}
	if (rc)
		return rc;
	if (rest.n != ctx->ninputs) {
		struct arg_val at = { "", 0, ctx->elem ? ctx->elem->loc : (struct src_loc){ 0 }, NULL };
		if (rest.n > ctx->ninputs)
			at = arg_val_of(&rest.v[ctx->ninputs], NULL);
		return arg_error(ctx, &at, "need %u input specs, one per input port (got %zu)",
		                 ctx->ninputs, rest.n);
	}
	c->nspecs = (uint32_t)rest.n;
	c->specs = arena_calloc(ctx->arena, rest.n ? rest.n : 1, sizeof *c->specs);
	if (!c->specs)
		return -ENOMEM;
	for (size_t i = 0; i < rest.n; i++)
		if (rw_parse_spec(ctx, &rest.v[i], addr_only, &c->specs[i]))
			rc = -EINVAL;
	if (rc)
		return rc;
	*out = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */

/* The mapping table lives in the flow: a mapping this element installed
 * on the way out is found by the reply on the way back (sym_rewrite). */
int rw_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                struct sym_flow *f, bool addr_only)
{
	const struct rw_conf *c = e->conf;
	if (port >= c->nspecs)
		return -EINVAL;
	const struct rw_spec *s = &c->specs[port];
	struct sym_rw_spec sp = {
		.kind = s->kind == RW_DROP ? SYM_RW_DROP : s->kind == RW_PASS ? SYM_RW_PASS
		      : s->kind == RW_KEEP ? SYM_RW_KEEP : SYM_RW_PATTERN,
		.fout = (int32_t)s->fout,
		.rout = (int32_t)s->rout,
	};
	const struct rw_field *in[4] = { &s->pat.saddr, &s->pat.sport, &s->pat.daddr, &s->pat.dport };
	struct sym_rw_field *o[4] = { &sp.saddr, &sp.sport, &sp.daddr, &sp.dport };
	for (int i = 0; i < 4; i++) {
		o[i]->keep = s->kind == RW_KEEP || in[i]->keep;
		o[i]->lo = in[i]->lo;
		o[i]->hi = in[i]->hi;
	}
	return sym_rewrite(cx, f, &sp, addr_only);
}
