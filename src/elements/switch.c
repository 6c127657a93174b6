/* Switch([OUTPUT]), StaticSwitch(OUTPUT), RoundRobinSwitch() and
 * HashSwitch(OFFSET, LENGTH) as in Click. */
#include <errno.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct switch_conf {
	int32_t output; /* negative: drop everything */
};

static int switch_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct switch_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = { arg_i32("OUTPUT", ARG_P, &c->output) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (c->output >= 0 && (uint32_t)c->output >= ctx->noutputs)
		return arg_error(ctx, &spec[0].val, "output %d out of range (%u outputs)", c->output,
		                 ctx->noutputs);
	*conf = c;
	return 0;
}

/* StaticSwitch: OUTPUT is mandatory, and one past the outputs drops
 * everything as a negative one does (Click does not call it an error). */
static int staticswitch_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                  void **conf)
{
	struct switch_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = { arg_i32("OUTPUT", ARG_MP, &c->output) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (c->output >= 0 && (uint32_t)c->output >= ctx->noutputs)
		c->output = -1;
	*conf = c;
	return 0;
}

struct hashswitch_conf {
	uint32_t offset; /* from the data pointer */
	uint32_t length; /* > 0 */
};

static int hashswitch_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                void **conf)
{
	struct hashswitch_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = {
		arg_u32("OFFSET", ARG_MP, &c->offset),
		arg_u32("LENGTH", ARG_MP, &c->length),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (c->length == 0)
		return arg_error(ctx, &spec[1].val, "must be positive");
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Switch: everything to OUTPUT; a negative OUTPUT drops everything. (The
 * `switch` write handler is not available in innet, so OUTPUT is fixed.) */
static int switch_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                           struct sym_flow *f)
{
	const struct switch_conf *c = e->conf;
	if (c->output < 0)
		sym_drop(cx, f, "Switch output is negative");
	else
		sym_emit(cx, (uint32_t)c->output, f);
	return 0;
}

/* RoundRobinSwitch: the output depends on how many packets came before,
 * which the model does not track, so any packet may leave by any output:
 * the whole flow goes to every output. As sets of possible packets this is
 * exact (each output really receives packets of the flow, whichever they
 * are), so the copies are not marked approximate; reach finds the path
 * through any output, and always/never consider every output. */
static int rrswitch_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                             struct sym_flow *f)
{
	mu_emit_all(cx, e->noutputs, f, NULL);
	return 0;
}

/* HashSwitch: the output is a function of data bytes the model does not
 * sum, so each packet takes one output it cannot name: every output gets
 * the flow (over-approximating which packets reach it), marked
 * approximate when there is more than one output. This is sound for
 * always/never holding; a reach witness through it is reported as
 * approximate. */
static int hashswitch_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                               struct sym_flow *f)
{
	mu_emit_all(cx, e->noutputs, f, "HashSwitch: the output depends on a byte sum the model does not compute");
	return 0;
}

static const struct elem_model switch_model = { .push = switch_sym_push };
static const struct elem_model rrswitch_model = { .push = rrswitch_sym_push };
static const struct elem_model hashswitch_model = { .push = hashswitch_sym_push };

/* ---- runtime (packet functions) ---- */
static void switch_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	const struct switch_conf *c = e->conf;
	if (c->output < 0)
		rt_drop(e, p);
	else
		rt_push(e, (uint32_t)c->output, p);
}

struct rrswitch_state {
	uint32_t next;
};

static size_t rrswitch_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct rrswitch_state);
}

static void rrswitch_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	struct rrswitch_state *s = e->state;
	uint32_t o = s->next;
	s->next = e->noutputs ? (o + 1) % e->noutputs : 0;
	rt_push(e, o, p);
}

/* Byte sum of the field; n in {2,4,8}: (d ^ d>>4) & (n-1), else d mod n;
 * short packets go to output 0. */
static void hashswitch_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	const struct hashswitch_conf *c = e->conf;
	uint32_t n = e->noutputs;
	if (!n || (uint64_t)c->offset + c->length > p->len) {
		rt_push(e, 0, p);
		return;
	}
	const uint8_t *d = rt_pkt_data(p) + c->offset;
	uint32_t sum = 0;
	for (uint32_t i = 0; i < c->length; i++)
		sum += d[i];
	uint32_t o = (n == 2 || n == 4 || n == 8) ? ((sum ^ (sum >> 4)) & (n - 1)) : sum % n;
	rt_push(e, o, p);
}

static const struct elem_runtime switch_runtime = { .push = switch_push };
static const struct elem_runtime rrswitch_runtime = {
	.state_size = rrswitch_state_size,
	.push = rrswitch_push,
};
static const struct elem_runtime hashswitch_runtime = { .push = hashswitch_push };

/* ---- describe and the class objects ---- */
static json_t *switch_describe(const void *conf)
{
	const struct switch_conf *c = conf;
	return json_pack("{s:i}", "OUTPUT", c->output);
}

static json_t *hashswitch_describe(const void *conf)
{
	const struct hashswitch_conf *c = conf;
	return json_pack("{s:I, s:I}", "OFFSET", (json_int_t)c->offset, "LENGTH", (json_int_t)c->length);
}

const struct click_class elem_switch = {
	.name = "Switch",
	.port_count = "1/-",
	.processing = "h/h",
	.configure = switch_configure,
	.model = &switch_model,
	.runtime = &switch_runtime,
	.describe = switch_describe,
	.doc_args = "[OUTPUT] (integer, default 0; negative: drop everything)",
	.doc_model = "Everything goes to OUTPUT; the switch write handler is not available in "
	             "innet, so OUTPUT is fixed.",
};

const struct click_class elem_staticswitch = {
	.name = "StaticSwitch",
	.port_count = "1/-",
	.processing = "h/h",
	.configure = staticswitch_configure,
	.model = &switch_model,
	.runtime = &switch_runtime,
	.describe = switch_describe,
	.doc_args = "OUTPUT (integer; mandatory; negative or not an output: drop everything)",
	.doc_model = "Everything goes to OUTPUT; an OUTPUT that is negative or not an output "
	             "drops everything.",
};

const struct click_class elem_roundrobinswitch = {
	.name = "RoundRobinSwitch",
	.port_count = "1/1-",
	.processing = "h/h",
	.configure = elem__configure_none,
	.model = &rrswitch_model,
	.runtime = &rrswitch_runtime,
	.doc_model = "The output depends on how many packets came before, which is not tracked: "
	             "every flow goes to every output (exact as sets of possible packets).",
};

const struct click_class elem_hashswitch = {
	.name = "HashSwitch",
	.port_count = "1/1-",
	.processing = "h/h",
	.configure = hashswitch_configure,
	.model = &hashswitch_model,
	.runtime = &hashswitch_runtime,
	.describe = hashswitch_describe,
	.doc_args = "OFFSET (unsigned), LENGTH (unsigned, positive); both mandatory",
	.doc_model = "The output is a function of a byte sum the model does not compute: every "
	             "output gets the flow, approximate when there is more than one output.",
};
