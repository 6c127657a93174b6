/* IPRewriter(INPUTSPEC_0, ..., INPUTSPEC_{n-1} [, keywords]) (click.md
 * 3.5): NAPT for TCP and UDP, one input per spec. The configuration is a
 * struct rw_conf (rewriter.h), parsed by rewriter.c. */
#include "elements/element.h"
#include "verify/model.h"
#include "elements/rewriter.h"

static int iprewriter_configure(const struct elem_ctx *ctx, const struct click_args *args,
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
const struct elem_class elem_iprewriter = {
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
#include <errno.h>

/* The mapping table lives in the flow: a mapping this element installed
 * on the way out is found by the reply on the way back (sym_rewrite). */
static int iprewriter_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                       struct sym_flow *f)
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
	return sym_rewrite(cx, f, &sp, false);
}

static const struct elem_model iprewriter_model = { .push = iprewriter_sym_push };
