/* IPAddrRewriter(INPUTSPEC... [, keywords]) (click.md 3.5): basic NAT of
 * source addresses for any protocol. struct rw_conf (rewriter.h) with
 * addr_only patterns; keywords TIMEOUT (2 h, Click's code), GUARANTEE,
 * REAP_INTERVAL, MAPPING_CAPACITY, DST_ANNO, REPLY_ANNO. */
#include "elements/element.h"
#include "verify/model.h"
#include "elements/rewriter.h"

static int ipaddrrewriter_configure(const struct elem_ctx *ctx, const struct click_args *args,
                                    void **conf)
{
	struct rw_conf *c = NULL;
	int rc = rw_configure(ctx, args, true, &c);
	if (rc == 0)
		*conf = c;
	return rc;
}

#include "runtime/elements_rt.h"
static const struct elem_model ipaddrrewriter_model;
const struct elem_class elem_ipaddrrewriter = {
	.name = "IPAddrRewriter",
	.port_count = "1-/1-",
	.processing = "h/h",
	.flags = ELEM_STATEFUL,
	.configure = ipaddrrewriter_configure,
	.model = &ipaddrrewriter_model,
	.runtime = &rt_ipaddrrewriter_runtime,
};

/* ---- runtime (packet functions) ---- */
/* The packet function is shared with its family: src/runtime/rewriter_rt.c. */

/* ---- symbolic model (src/verify/model.h) ---- */
#include <errno.h>

/* The mapping table lives in the flow: a mapping this element installed
 * on the way out is found by the reply on the way back (sym_rewrite). */
static int ipaddrrewriter_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
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
	return sym_rewrite(cx, f, &sp, true);
}

static const struct elem_model ipaddrrewriter_model = { .push = ipaddrrewriter_sym_push };
