/* IPFilter(ACTION PATTERN, ...) and IPClassifier(PATTERN_0, ...) (Click's
 * IPFilter and IPClassifier documentation). Both compile to struct
 * cls_conf: rules in order, the first matching rule decides, packets
 * matching none are dropped.
 * IPFilter actions: allow (output 0), deny/drop (drop), or a decimal
 * output number K < noutputs. IPClassifier: one pattern per output.
 * Patterns are parsed by src/flow's flow_parse. */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "flow/flow.h"

/* Parse the pattern text v (unquoting first only when it has quotes, so
 * diagnostics keep their columns). */
static int pattern(const struct click_conf_ctx *ctx, const struct arg_val *v, struct flow_expr **out)
{
	if (v->n == 0)
		return arg_error(ctx, v, "missing pattern");
	const char *text = v->s;
	if (memchr(v->s, '"', v->n) || memchr(v->s, '\'', v->n) || memchr(v->s, '\\', v->n)) {
		char *u;
		size_t n;
		if (arg_unquote(ctx, v, &u, &n))
			return -EINVAL;
		if (strlen(u) != n)
			return arg_error(ctx, v, "pattern contains a NUL byte");
		text = u;
	}
	struct flow_names names = elem__flow_names(ctx);
	return flow_parse_names(text, &v->loc, ctx->arena, ctx->diags, &names, out);
}

static int ipfilter_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                              void **conf)
{
	struct cls_conf *c = cls_conf_alloc(ctx, args->n);
	if (!c)
		return -ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < args->n; i++) {
		struct arg_val a = arg_val_of(&args->v[i], NULL);
		size_t w = 0;
		while (w < a.n && a.s[w] != ' ' && a.s[w] != '\t' && a.s[w] != '\n' && a.s[w] != '\r')
			w++;
		struct arg_val act = arg_sub(&a, 0, w);
		size_t p = w;
		while (p < a.n && (a.s[p] == ' ' || a.s[p] == '\t' || a.s[p] == '\n' || a.s[p] == '\r'))
			p++;
		struct arg_val pat = arg_sub(&a, p, a.n - p);
		struct cls_rule *r = &c->rules[c->n++];
		r->loc = a.loc;
		uint64_t k;
		if (act.n == 0) {
			act.n = 1;
			rc = arg_error(ctx, &act, "empty rule (expected 'ACTION PATTERN')");
			continue;
		} else if (arg_is(&act, "allow")) {
			r->out = 0;
			if (ctx->noutputs == 0)
				rc = arg_error(ctx, &act, "'allow' needs an output, and there is none");
		} else if (arg_is(&act, "deny") || arg_is(&act, "drop")) {
			r->out = -1;
		} else if (act.s[0] >= '0' && act.s[0] <= '9' && arg_parse_uint(NULL, &act, INT32_MAX, &k) == 0) {
			r->out = (int32_t)k;
			if (k >= ctx->noutputs)
				rc = arg_error(ctx, &act, "output %llu out of range (%u outputs)",
				               (unsigned long long)k, ctx->noutputs);
		} else {
			char b[40];
			snprintf(b, sizeof b, "%.*s", (int)(act.n > 32 ? 32 : act.n), act.s);
			rc = arg_error(ctx, &act, "unknown action '%s' (expected allow, deny, drop or an output number)", b);
			continue;
		}
		/* An action alone matches every packet (Click's IPFilter). */
		if (pat.n == 0 ? flow_parse("-", &pat.loc, ctx->arena, ctx->diags, &r->expr)
		               : pattern(ctx, &pat, &r->expr))
			rc = -EINVAL;
	}
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

static int ipclassifier_pattern(const struct click_conf_ctx *ctx, const struct click_arg *arg,
                                struct flow_expr **out)
{
	struct arg_val a = arg_val_of(arg, NULL);
	return pattern(ctx, &a, out);
}

static int ipclassifier_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                  void **conf)
{
	return cls_configure_per_output(ctx, args, ipclassifier_pattern, conf);
}

/* The model and the packet function are the family's (classifier.c): the
 * first matching rule decides, no match drops. */

/* ---- describe and the class objects ---- */

/* ACTION i goes with PATTERN i: the output it sends to, or "drop". */
static json_t *ipfilter_describe(const void *conf)
{
	const struct cls_conf *c = conf;
	json_t *o = cls_describe(conf), *actions = json_array();
	for (uint32_t i = 0; actions && i < c->n; i++) {
		json_t *act = c->rules[i].out < 0 ? json_string("drop") : json_integer(c->rules[i].out);
		if (json_array_append_new(actions, act)) {
			json_decref(actions);
			actions = NULL;
		}
	}
	if (json_object_set_new(o, "ACTION", actions)) { /* decrefs actions, even when o is NULL */
		json_decref(o);
		return NULL;
	}
	return o;
}

const struct click_class elem_ipfilter = {
	.name = "IPFilter",
	.port_count = "1/-",
	.processing = "h/h",
	.configure = ipfilter_configure,
	.model = &cls_model,
	.runtime = &cls_runtime,
	.describe = ipfilter_describe,
	.doc_args = "ACTION PATTERN, ... (ACTION allow, deny, drop or an output number; "
	            "PATTERN in tcpdump-like syntax, empty: every packet)",
	.doc_model = cls_doc_model,
};

const struct click_class elem_ipclassifier = {
	.name = "IPClassifier",
	.port_count = "1/-",
	.processing = "h/h",
	.configure = ipclassifier_configure,
	.model = &cls_model,
	.runtime = &cls_runtime,
	.describe = cls_describe,
	.doc_args = "PATTERN_0, ..., PATTERN_{N-1} (tcpdump-like syntax, one per output)",
	.doc_model = cls_doc_model,
};

