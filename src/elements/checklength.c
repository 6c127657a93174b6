/* CheckLength(LENGTH) and Truncate(LENGTH [, EXTRA_LENGTH]) (Click's):
 * packets longer than LENGTH go to output 1 (dropped without one), or are
 * cut to LENGTH bytes; Truncate adds the bytes it cut to the extra-length
 * annotation (4 bytes at Click's offset 28, host order as Click keeps it)
 * unless EXTRA_LENGTH is false. */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

#define EXTRA_LENGTH_ANNO 28

struct checklength_conf {
	uint32_t length;
	bool extra; /* Truncate: EXTRA_LENGTH */
};

static int checklength_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                 void **conf)
{
	struct checklength_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = { arg_u32("LENGTH", ARG_MP, &c->length) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

static int truncate_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                              void **conf)
{
	struct checklength_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->extra = true;
	struct arg_spec spec[] = {
		arg_u32("LENGTH", ARG_MP, &c->length),
		arg_bool("EXTRA_LENGTH", 0, &c->extra),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* The packet's length is the IP header's LEN less the bytes from that
 * header to the data pointer (sym_data_offset; the model takes LEN as the
 * length from the header on). *fits gets the flows of at most `length`
 * bytes, *longer the rest; exact. */
static void split_length(struct sym_ctx *cx, struct sym_flow *f, uint32_t length,
                         struct sym_flow **fits, struct sym_flow **longer)
{
	int64_t t = (int64_t)length + sym_data_offset(f); /* LEN <= t fits */
	*fits = *longer = NULL;
	if (t < 0)
		*longer = f;
	else if (t >= 0xffff)
		*fits = f;
	else
		sym_split_range(cx, f, SYM_F_LEN, 0, (uint32_t)t, fits, longer);
}

static int checklength_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                struct sym_flow *f)
{
	const struct checklength_conf *c = e->conf;
	struct sym_flow *fits, *longer;
	split_length(cx, f, c->length, &fits, &longer);
	if (fits)
		sym_emit(cx, 0, fits);
	if (longer)
		sym_emit(cx, 1, longer);
	return 0;
}

/* A cut packet is shorter than its LEN says, which the model does not
 * express: its payload becomes a new version, the transport fields the cut
 * may reach (from a header of IHL*4 bytes, 60 when IHL is not one value)
 * new unconstrained variables, and the flow approximate (a later
 * CheckIPHeader would refuse it). */
static void truncate_cut(struct sym_ctx *cx, struct sym_flow *f, uint32_t length)
{
	int64_t keep = (int64_t)length + sym_data_offset(f); /* bytes kept from the IP header */
	uint32_t vhl, hl = 60;
	if (sym_get_const(f, SYM_F_VHL, &vhl))
		hl = (vhl & 15) * 4;
	sym_set_fresh(cx, f, SYM_F_PAYLOAD, "data");
	if (keep < (int64_t)hl + 2)
		sym_set_fresh(cx, f, SYM_F_SPORT, "sport");
	if (keep < (int64_t)hl + 4)
		sym_set_fresh(cx, f, SYM_F_DPORT, "dport");
	if (keep < (int64_t)hl + 14)
		sym_set_fresh(cx, f, SYM_F_TCPFLAGS, "tcpflags");
	sym_approx(cx, f, "Truncate: a packet shorter than its IP length is not modelled");
}

static int truncate_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                             struct sym_flow *f)
{
	const struct checklength_conf *c = e->conf;
	struct sym_flow *fits, *longer;
	split_length(cx, f, c->length, &fits, &longer);
	if (fits)
		sym_emit(cx, 0, fits);
	if (longer) {
		truncate_cut(cx, longer, c->length);
		sym_emit(cx, 0, longer);
	}
	return 0;
}

static const struct elem_model checklength_model = { .push = checklength_sym_push };
static const struct elem_model truncate_model = { .push = truncate_sym_push };

/* ---- runtime (packet functions) ---- */
static struct rt_pkt *checklength_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct checklength_conf *c = e->conf;
	if (p->len <= c->length)
		return p;
	rt_push(e, 1, p);
	return NULL;
}

static struct rt_pkt *truncate_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct checklength_conf *c = e->conf;
	if (p->len <= c->length)
		return p;
	if (c->extra) {
		uint32_t x;
		memcpy(&x, p->anno + EXTRA_LENGTH_ANNO, 4);
		x += p->len - c->length;
		memcpy(p->anno + EXTRA_LENGTH_ANNO, &x, 4);
	}
	rt_pkt_take_len(p, c->length);
	return p;
}

static const struct elem_runtime checklength_runtime = { .action = checklength_action };
static const struct elem_runtime truncate_runtime = { .action = truncate_action };

/* ---- describe and the class objects ---- */
static json_t *checklength_describe(const void *conf)
{
	const struct checklength_conf *c = conf;
	return json_pack("{s:I}", "LENGTH", (json_int_t)c->length);
}

static json_t *truncate_describe(const void *conf)
{
	const struct checklength_conf *c = conf;
	return json_pack("{s:I, s:b}", "LENGTH", (json_int_t)c->length, "EXTRA_LENGTH", c->extra);
}

const struct click_class elem_checklength = {
	.name = "CheckLength",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = checklength_configure,
	.model = &checklength_model,
	.runtime = &checklength_runtime,
	.describe = checklength_describe,
	.doc_args = "LENGTH (unsigned, bytes; mandatory)",
	.doc_model = "Split on the packet's length (the IP LEN less the bytes before the data "
	             "pointer): longer than LENGTH goes to output 1; exact.",
};

const struct click_class elem_truncate = {
	.name = "Truncate",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = truncate_configure,
	.model = &truncate_model,
	.runtime = &truncate_runtime,
	.describe = truncate_describe,
	.doc_args = "LENGTH (unsigned, bytes; mandatory); keyword EXTRA_LENGTH (bool, default true)",
	.doc_model = "Packets up to LENGTH pass exactly; a longer one is cut, which leaves it "
	             "shorter than its IP length: its payload and the transport fields the cut "
	             "may reach are new variables, approximate.",
};
