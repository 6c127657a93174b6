/* IPAddrRewriter(INPUTSPEC... [, keywords]) (click.md 3.5): basic NAT of
 * source addresses for any protocol. struct rw_conf (rewriter.h) with
 * addr_only patterns; keywords TIMEOUT (2 h, Click's code), GUARANTEE,
 * REAP_INTERVAL, MAPPING_CAPACITY, DST_ANNO, REPLY_ANNO. */
#include "elements/element.h"
#include "verify/model.h"
#include "elements/rewriter.h"

static int ipaddrrewriter_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
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
const struct click_class elem_ipaddrrewriter = {
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
/* Shared with its family too: rw_sym_push in rewriter.c. */
static int ipaddrrewriter_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                       struct sym_flow *f)
{
	return rw_sym_push(cx, e, port, f, true);
}

static const struct elem_model ipaddrrewriter_model = { .push = ipaddrrewriter_sym_push };
