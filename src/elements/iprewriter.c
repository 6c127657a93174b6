/* IPRewriter(INPUTSPEC_0, ..., INPUTSPEC_{n-1} [, keywords]) (click.md
 * 3.5): NAPT for TCP and UDP, one input per spec. The configuration is a
 * struct rw_conf (rewriter.h), parsed by rewriter.c. */
#include "elements/element.h"
#include "verify/model.h"
#include "elements/rewriter.h"

static int iprewriter_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                void **conf)
{
	struct rw_conf *c = NULL;
	int rc = rw_configure(ctx, args, false, &c);
	if (rc == 0)
		*conf = c;
	return rc;
}

#include "runtime/elements_rt.h"
static const struct elem_model iprewriter_model;
const struct click_class elem_iprewriter = {
	.name = "IPRewriter",
	.port_count = "1-/1-",
	.processing = "h/h",
	.flags = ELEM_STATEFUL,
	.configure = iprewriter_configure,
	.model = &iprewriter_model,
	.runtime = &rt_iprewriter_runtime,
};

/* ---- runtime (packet functions) ---- */
/* The packet function is shared with its family: src/runtime/rewriter_rt.c. */

/* ---- symbolic model (src/verify/model.h) ---- */
/* Shared with its family too: rw_sym_push in rewriter.c. */
static int iprewriter_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                       struct sym_flow *f)
{
	return rw_sym_push(cx, e, port, f, false);
}

static const struct elem_model iprewriter_model = { .push = iprewriter_sym_push };
