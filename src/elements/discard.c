/* Discard([ACTIVE, BURST]) (Click's Discard): frees every packet; in pull
 * context pulls up to BURST per run while ACTIVE. Keywords only, as Click. */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct discard_conf {
	bool active;    /* true */
	uint32_t burst; /* 1 */
};

static int discard_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct discard_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->active = true;
	c->burst = 1;
	struct arg_spec spec[] = {
		arg_bool("ACTIVE", 0, &c->active),
		arg_u32("BURST", 0, &c->burst),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
static int discard_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                        struct sym_flow *f)
{
	sym_drop(cx, f, "Discard");
	return 0;
}

static const struct elem_model discard_model = { .push = discard_sym_push };

/* ---- runtime (packet functions) ---- */
/* Discard frees every packet; in pull context a task pulls BURST per run
 * while ACTIVE. */
struct discard_state {
	uint64_t count;
};

static size_t discard_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct discard_state);
}

static void discard_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	struct discard_state *s = e->state;
	s->count++;
	rt_drop(e, p);
}

/* The fused step of compiled chains: discard_push, nothing goes on. */
static int32_t discard_step(struct rt_elem *e, uint32_t port, struct rt_pkt **pp)
{
	discard_push(e, port, *pp);
	return RT_STEP_GONE;
}

static int discard_init(struct rt_elem *e, struct diags *d)
{
	const struct discard_conf *c = e->conf;
	if (e->ninputs && !e->in[0].push && (!c || c->active))
		rt_task_enable(e);
	return 0;
}

static uint32_t discard_run(struct rt_elem *e, uint64_t now)
{
	const struct discard_conf *c = e->conf;
	uint32_t burst = c && c->burst ? c->burst : 1, n = 0;
	if (!e->task)
		return 0;
	for (; n < burst; n++) {
		struct rt_pkt *p = rt_pull(e, 0);
		if (!p)
			break;
		discard_push(e, 0, p);
	}
	return n;
}

static int discard_read(const struct rt_elem *e, const char *h, uint64_t *v)
{
	const struct discard_state *s = e->state;
	if (strcmp(h, "count"))
		return -EOPNOTSUPP;
	*v = s->count;
	return 0;
}

static const struct elem_runtime discard_runtime = {
	.state_size = discard_state_size,
	.init = discard_init,
	.push = discard_push,
	.step = discard_step,
	.run = discard_run,
	.read = discard_read,
};

/* ---- describe and the class objects ---- */
static json_t *discard_describe(const void *conf)
{
	const struct discard_conf *c = conf;
	return json_pack("{s:b, s:I}", "ACTIVE", c->active, "BURST", (json_int_t)c->burst);
}

const struct click_class elem_discard = {
	.name = "Discard",
	.port_count = "1/0",
	.processing = "a/a",
	.configure = discard_configure,
	.model = &discard_model,
	.runtime = &discard_runtime,
	.describe = discard_describe,
	.doc_args = "keywords ACTIVE (bool, default true), BURST (unsigned, default 1)",
	.doc_model = "Every flow ends here.",
};
