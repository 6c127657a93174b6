/* LinearIPLookup, StaticIPLookup, RadixIPLookup, DirectIPLookup,
 * SortedIPLookup (Click's documentation of the five): X(ADDR/MASK [GW]
 * OUT, ...), longest-prefix match on the dst-IP annotation. They differ
 * only in algorithm and run-time mutability, which innet does not expose,
 * so they share one configuration. A second route for the same prefix is
 * ignored with a warning: Click 2.1's configure adds routes without
 * replacing, so the first one stays (its warning says "replaced by later
 * versions", but its tables keep the first). SortedIPLookup also warns
 * that it is deprecated, as Click does. */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "base/inet.h"
#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

const struct iproute *iproute_lookup(const struct iproute_conf *c, uint32_t addr)
{
	const struct iproute *best = NULL;
	for (uint32_t i = 0; i < c->n; i++)
		if (inet_prefix_contains(c->v[i].dst, addr) && (!best || c->v[i].dst.len > best->dst.len))
			best = &c->v[i];
	return best;
}

static int iplookup_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct iproute_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->v = arena_calloc(ctx->arena, args->n ? args->n : 1, sizeof *c->v);
	if (!c->v)
		return -ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < args->n; i++) {
		struct arg_val a = arg_val_of(&args->v[i], NULL);
		struct arg_list w;
		if (arg_words(ctx, &a, &w))
			return -ENOMEM;
		if (w.n < 2 || w.n > 3) {
			if (a.n == 0)
				a.n = 1;
			rc = arg_error(ctx, &a, "expected 'ADDR/MASK [GATEWAY] OUTPUT'");
			continue;
		}
		struct iproute r = { .loc = a.loc };
		w.v[0].kw = "ADDR/MASK";
		if (arg_parse_prefix(ctx, &w.v[0], &r.dst))
			rc = -EINVAL;
		if (w.n == 3 && !arg_is(&w.v[1], "-")) {
			w.v[1].kw = "GATEWAY";
			if (arg_parse_ip(ctx, &w.v[1], &r.gw))
				rc = -EINVAL;
		}
		struct arg_val *o = &w.v[w.n - 1];
		o->kw = "OUTPUT";
		uint64_t out;
		if (arg_parse_uint(ctx, o, UINT32_MAX, &out)) {
			rc = -EINVAL;
			continue;
		}
		if (out >= ctx->noutputs) {
			rc = arg_error(ctx, o, "output %llu out of range (%u outputs)",
			               (unsigned long long)out, ctx->noutputs);
			continue;
		}
		r.out = (uint32_t)out;
		uint32_t k = 0;
		while (k < c->n && (c->v[k].dst.addr != r.dst.addr || c->v[k].dst.len != r.dst.len))
			k++;
		if (k < c->n) {
			char b[20];
			arg_warning(ctx, &w.v[0], "route for %s ignored: the earlier one for it stays",
			            inet_format_prefix(r.dst, b));
		} else {
			c->v[c->n++] = r;
		}
	}
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* SortedIPLookup: Click warns that it is deprecated. */
static int sortediplookup_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                    void **conf)
{
	arg_warning(ctx, NULL, "SortedIPLookup is deprecated; use LinearIPLookup or RadixIPLookup instead");
	return iplookup_configure(ctx, args, conf);
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Longest-prefix match on the dst-IP annotation: taking the routes from the
 * longest prefix to the shortest, each takes the part of the flow its
 * prefix covers and the rest goes on, so the pieces partition the flow
 * exactly as the lookup does. A route with a gateway writes it into the
 * annotation. No route: dropped. */
static int iplookup_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                             struct sym_flow *f)
{
	const struct iproute_conf *c = e->conf;
	struct sym_flow *rest = f;
	for (int len = 32; len >= 0 && rest; len--) {
		for (uint32_t i = 0; i < c->n && rest; i++) {
			const struct iproute *r = &c->v[i];
			if (r->dst.len != len)
				continue;
			struct sym_flow *in = NULL, *out = NULL;
			uint32_t lo = r->dst.addr & inet_mask(r->dst.len);
			sym_split_range(cx, rest, SYM_F_DSTANNO, lo, lo | ~inet_mask(r->dst.len), &in, &out);
			if (in) {
				if (r->gw)
					sym_set_const(cx, in, SYM_F_DSTANNO, r->gw);
				sym_emit(cx, r->out, in);
			}
			rest = out;
		}
	}
	if (rest)
		sym_drop(cx, rest, "no route");
	return 0;
}

static const struct elem_model iplookup_model = { .push = iplookup_sym_push };

/* ---- packet function ---- */

static void iplookup_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	const struct iproute *best = iproute_lookup(e->conf, rt_pkt_dst_anno(p));
	if (!best) {
		rt_drop(e, p);
		return;
	}
	if (best->gw)
		rt_pkt_set_dst_anno(p, best->gw);
	rt_push(e, best->out, p);
}

static const struct elem_runtime iplookup_runtime = { .push = iplookup_push };

/* ---- describe and the class objects ---- */

/* Route i is ADDR/MASK i, GW i (null: none) and OUT i. */
static json_t *iplookup_describe(const void *conf)
{
	const struct iproute_conf *c = conf;
	json_t *dst = json_array(), *gw = json_array(), *out = json_array();
	for (uint32_t i = 0; dst && gw && out && i < c->n; i++) {
		const struct iproute *r = &c->v[i];
		if (json_array_append_new(dst, describe_prefix(r->dst)) ||
		    json_array_append_new(gw, r->gw ? describe_ip(r->gw) : json_null()) ||
		    json_array_append_new(out, json_integer(r->out)))
			break;
	}
	if (json_array_size(dst) != c->n || json_array_size(gw) != c->n || json_array_size(out) != c->n) {
		json_decref(dst);
		json_decref(gw);
		json_decref(out);
		return NULL;
	}
	return json_pack("{s:o, s:o, s:o}", "ADDR/MASK", dst, "GW", gw, "OUT", out);
}

/* The classes differ only in name (and SortedIPLookup's warning). */
#define IPLOOKUP_CLASS(NAME, CONFIGURE)                                                        \
	{                                                                                      \
		.name = NAME, .port_count = "1/-", .processing = "h/h",                        \
		.configure = CONFIGURE, .model = &iplookup_model,                              \
		.runtime = &iplookup_runtime, .describe = iplookup_describe,                   \
		.doc_args = "ADDR/MASK [GW] OUT, ... (a later route for the same prefix is "  \
		            "ignored, as in Click: the first one stays)",                      \
		.doc_model = "Longest-prefix match on the dst-IP annotation: the flow is "     \
		             "split by prefix, longest first; a gateway is written into the "  \
		             "annotation.",                                                    \
	}

const struct click_class elem_lineariplookup = IPLOOKUP_CLASS("LinearIPLookup", iplookup_configure);
const struct click_class elem_staticiplookup = IPLOOKUP_CLASS("StaticIPLookup", iplookup_configure);
const struct click_class elem_radixiplookup = IPLOOKUP_CLASS("RadixIPLookup", iplookup_configure);
const struct click_class elem_directiplookup = IPLOOKUP_CLASS("DirectIPLookup", iplookup_configure);
const struct click_class elem_sortediplookup = IPLOOKUP_CLASS("SortedIPLookup", sortediplookup_configure);
