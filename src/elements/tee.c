/* Tee([N]) and PullTee([N]) (Click's): copies to outputs 0..n-2 in
 * order, the original to n-1. N, if given, must equal the output count. */
#include <errno.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct tee_conf {
	uint32_t n; /* the output count, which N must equal when given */
};

static int tee_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct tee_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = { arg_u32("N", ARG_P, &c->n) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (spec[0].given && c->n != ctx->noutputs)
		return arg_error(ctx, &spec[0].val, "%u outputs connected, but N is %u", ctx->noutputs,
		                 c->n);
	c->n = ctx->noutputs;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Tee and PullTee: an independent copy to every output (PullTee's output
 * 0 is the pulled packet, the others its copies). */
static int tee_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                        struct sym_flow *f)
{
	mu_emit_all(cx, e->noutputs, f, NULL);
	return 0;
}

static const struct elem_model tee_model = { .push = tee_sym_push };

/* ---- runtime (packet functions) ---- */
/* Independent copies to outputs 0..n-2 in order, the original to n-1. */
static void tee_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	uint32_t n = e->noutputs;
	for (uint32_t i = 0; i + 1 < n; i++) {
		struct rt_pkt *q = rt_pkt_copy(e, p);
		if (q)
			rt_push(e, i, q);
	}
	rt_push(e, n ? n - 1 : 0, p);
}

/* PullTee: the packet pulled on output 0 is copied to the push outputs. */
static struct rt_pkt *pulltee_pull(struct rt_elem *e, uint32_t port)
{
	struct rt_pkt *p = rt_pull(e, 0);
	if (!p)
		return NULL;
	for (uint32_t i = 1; i < e->noutputs; i++) {
		struct rt_pkt *q = rt_pkt_copy(e, p);
		if (q)
			rt_push(e, i, q);
	}
	return p;
}

static const struct elem_runtime tee_runtime = { .push = tee_push };
static const struct elem_runtime pulltee_runtime = { .pull = pulltee_pull };

/* ---- describe and the class objects ---- */
static json_t *tee_describe(const void *conf)
{
	const struct tee_conf *c = conf;
	return json_pack("{s:I}", "N", (json_int_t)c->n);
}

static const char tee_doc_args[] =
	"[N] (unsigned; when given, it must equal the number of outputs)";
static const char tee_doc_model[] = "An independent copy of the flow goes to every output.";

const struct click_class elem_tee = {
	.name = "Tee",
	.port_count = "1/1-",
	.processing = "h/h",
	.configure = tee_configure,
	.model = &tee_model,
	.runtime = &tee_runtime,
	.describe = tee_describe,
	.doc_args = tee_doc_args,
	.doc_model = tee_doc_model,
};

const struct click_class elem_pulltee = {
	.name = "PullTee",
	.port_count = "1/1-",
	.processing = "l/lh",
	.configure = tee_configure,
	.model = &tee_model,
	.runtime = &pulltee_runtime,
	.describe = tee_describe,
	.doc_args = tee_doc_args,
	.doc_model = tee_doc_model,
};
