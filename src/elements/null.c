/* Null, PushNull, PullNull and Idle, as in Click; no arguments. Idle has
 * any number of ports and flow code x/y: nothing passes through it. */
#include "elements/args.h"
#include "elements/element.h"
#include "elements/model_util.h"
#include "runtime/runtime.h"
#include "verify/model.h"

/* ---- symbolic model (src/verify/model.h) ---- */
/* Idle: nothing passes (flow code x/y); what is pushed into it is freed. */
static int idle_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                         struct sym_flow *f)
{
	sym_drop(cx, f, "Idle frees what is pushed into it");
	return 0;
}

/* Null, PushNull, PullNull: the packet passes unchanged. */
static const struct elem_model null_model = { .push = mu_sym_pass };
static const struct elem_model idle_model = { .push = idle_sym_push };

/* ---- runtime (packet functions) ---- */
static struct rt_pkt *null_action(struct rt_elem *e, struct rt_pkt *p)
{
	return p;
}

/* Idle never emits and frees what is pushed into it. */
static void idle_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	rt_drop(e, p);
}

static struct rt_pkt *idle_pull(struct rt_elem *e, uint32_t port)
{
	return NULL;
}

static const struct elem_runtime null_runtime = { .action = null_action };
static const struct elem_runtime idle_runtime = { .push = idle_push, .pull = idle_pull };

/* ---- the class objects ---- */
static const char null_doc_model[] = "The packet passes unchanged.";

const struct click_class elem_null = {
	.name = "Null",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = elem__configure_none,
	.model = &null_model,
	.runtime = &null_runtime,
	.doc_model = null_doc_model,
};

const struct click_class elem_pushnull = {
	.name = "PushNull",
	.port_count = "1/1",
	.processing = "h/h",
	.configure = elem__configure_none,
	.model = &null_model,
	.runtime = &null_runtime,
	.doc_model = null_doc_model,
};

const struct click_class elem_pullnull = {
	.name = "PullNull",
	.port_count = "1/1",
	.processing = "l/l",
	.configure = elem__configure_none,
	.model = &null_model,
	.runtime = &null_runtime,
	.doc_model = null_doc_model,
};

const struct click_class elem_idle = {
	.name = "Idle",
	.port_count = "-/-",
	.processing = "a/a",
	.flow_code = "x/y",
	.configure = elem__configure_none,
	.model = &idle_model,
	.runtime = &idle_runtime,
	.doc_model = "Nothing passes (flow code x/y); what is pushed into it is dropped.",
};
