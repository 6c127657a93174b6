/* Classifier(PATTERN_0, ..., PATTERN_{N-1}) (click.md 3.2, Part 5):
 * byte patterns relative to the data pointer, one per output; the first
 * match decides, no match drops. Patterns are parsed by src/flow (the one
 * parser the verifier and the runtime share) into struct cls_conf. */
#include <errno.h>

#include "elements/args.h"
#include "elements/classify.h"
#include "elements/element.h"
#include "verify/model.h"
#include "flow/flow.h"

struct cls_conf *cls_conf_alloc(const struct click_conf_ctx *ctx, size_t nrules)
{
	struct cls_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return NULL;
	c->rules = arena_calloc(ctx->arena, nrules ? nrules : 1, sizeof *c->rules);
	return c->rules ? c : NULL;
}

int cls_configure_per_output(const struct click_conf_ctx *ctx, const struct click_args *args,
                             int (*parse)(const struct click_conf_ctx *ctx, const struct click_arg *arg,
                                          struct flow_expr **out),
                             void **conf)
{
	if (args->n != ctx->noutputs)
		return arg_error(ctx, NULL, "need %u arguments, one per output port (got %zu)",
		                 ctx->noutputs, args->n);
	struct cls_conf *c = cls_conf_alloc(ctx, args->n);
	if (!c)
		return -ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < args->n; i++) {
		struct cls_rule *r = &c->rules[c->n++];
		r->out = (int32_t)i;
		r->loc = args->v[i].loc;
		if (parse(ctx, &args->v[i], &r->expr))
			rc = -EINVAL;
	}
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

static int classifier_pattern(const struct click_conf_ctx *ctx, const struct click_arg *arg,
                              struct flow_expr **out)
{
	return flow_parse_classifier(arg->text, &arg->loc, ctx->arena, ctx->diags, out);
}

static int classifier_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                void **conf)
{
	return cls_configure_per_output(ctx, args, classifier_pattern, conf);
}

#include "runtime/elements_rt.h"
const struct click_class elem_classifier = {
	.name = "Classifier",
	.port_count = "1/-",
	.processing = "h/h",
	.configure = classifier_configure,
	.model = &cls_model,
	.runtime = &rt_classifier_runtime,
};

/* ---- runtime (packet functions) ---- */
/* The packet function is shared with its family: src/runtime/classify_rt.c. */

/* ---- symbolic model (src/verify/model.h) ---- */
/* Shared by IPFilter and IPClassifier (classify.h). First matching rule decides, no match drops: the flow is split into
 * disjoint flows, one per rule that some packet of it matches. */
static int cls_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                    struct sym_flow *f)
{
	static const struct flow_expr all = { .kind = FLOW_TRUE };
	const struct cls_conf *c = e->conf;
	const struct flow_expr **ex = arena_alloc(sym_arena(cx), (c->n + 1) * sizeof *ex);
	int32_t *out = arena_alloc(sym_arena(cx), (c->n + 1) * sizeof *out);
	if (!ex || !out)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->n; i++) {
		ex[i] = c->rules[i].expr ? c->rules[i].expr : &all;
		out[i] = c->rules[i].out;
	}
	return sym_classify(cx, f, ex, out, c->n);
}

const struct elem_model cls_model = { .push = cls_sym_push };
