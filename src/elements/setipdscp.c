/* SetIPDSCP(DSCP) (Click's): tos = (tos & 3) | DSCP << 2, DSCP 0-63. */
#include <errno.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct setipdscp_conf {
	uint8_t dscp; /* 0-63 */
};

static int setipdscp_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                               void **conf)
{
	struct setipdscp_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = { arg_u8("DSCP", ARG_MP, &c->dscp) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (c->dscp > 63)
		return arg_error(ctx, &spec[0].val, "out of range, bound 63");
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* tos = (tos & 3) | DSCP << 2. A term cannot say "keep the low bits of
 * another variable", so a non-constant TOS is split by its two ECN bits
 * (exact, up to four flows) and each piece gets its constant. */
static int setipdscp_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                              struct sym_flow *f)
{
	const struct setipdscp_conf *c = e->conf;
	uint32_t hi = (uint32_t)c->dscp << 2, tos;
	if (sym_get_const(f, SYM_F_TOS, &tos)) {
		sym_set_const(cx, f, SYM_F_TOS, hi | (tos & 3));
		sym_emit(cx, 0, f);
		return 0;
	}
	struct sym_flow *rest = f;
	for (uint32_t ecn = 0; ecn < 4 && rest; ecn++) {
		struct sym_flow *in = NULL, *out = NULL;
		mu_split_masked(cx, rest, SYM_F_TOS, 3, ecn, &in, &out);
		if (in) {
			sym_set_const(cx, in, SYM_F_TOS, hi | ecn);
			sym_emit(cx, 0, in);
		}
		rest = out;
	}
	return 0;
}

static const struct elem_model setipdscp_model = { .push = setipdscp_sym_push };

/* ---- runtime (packet functions) ---- */
/* tos = (tos & 3) | DSCP << 2, IP checksum updated incrementally. */
static struct rt_pkt *setipdscp_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct setipdscp_conf *c = e->conf;
	if (!rt_pkt_has_ip(p) || rt_pkt_ip_avail(p) < 20) {
		rt_drop(e, p);
		return NULL;
	}
	uint8_t *ip = rt_pkt_ip(p);
	uint16_t old = rt_rd16(ip);
	ip[1] = (uint8_t)((ip[1] & 3) | (c->dscp << 2));
	rt_csum_update16(ip + 10, old, rt_rd16(ip));
	return p;
}

static const struct elem_runtime setipdscp_runtime = { .action = setipdscp_action };

/* ---- describe and the class objects ---- */
static json_t *setipdscp_describe(const void *conf)
{
	const struct setipdscp_conf *c = conf;
	return json_pack("{s:i}", "DSCP", c->dscp);
}

const struct click_class elem_setipdscp = {
	.name = "SetIPDSCP",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = setipdscp_configure,
	.model = &setipdscp_model,
	.runtime = &setipdscp_runtime,
	.describe = setipdscp_describe,
	.doc_args = "DSCP (0-63; mandatory)",
	.doc_model = "TOS = (TOS & 3) | DSCP << 2, exactly: a TOS that is not a constant is split "
	             "by its two ECN bits.",
};
