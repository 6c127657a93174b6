/* Strip(LENGTH) and Unstrip(LENGTH) (Click's): move the data pointer. */
#include <errno.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct strip_conf {
	uint32_t length; /* bytes */
};

static int strip_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct strip_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = { arg_u32("LENGTH", ARG_MP, &c->length) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Only the data pointer moves; annotations stay (a later CheckIPHeader
 * then reads the header at the new position). */
static int strip_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                      struct sym_flow *f)
{
	const struct strip_conf *c = e->conf;
	sym_move_data(cx, f, (int32_t)c->length);
	sym_emit(cx, 0, f);
	return 0;
}

static int unstrip_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                        struct sym_flow *f)
{
	const struct strip_conf *c = e->conf;
	sym_move_data(cx, f, -(int32_t)c->length);
	sym_emit(cx, 0, f);
	return 0;
}

static const struct elem_model strip_model = { .push = strip_sym_push };
static const struct elem_model unstrip_model = { .push = unstrip_sym_push };

/* ---- runtime (packet functions) ---- */
/* Strip clamps to the packet length; annotations stay. */
static struct rt_pkt *strip_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct strip_conf *c = e->conf;
	rt_pkt_pull_front(p, c->length);
	return p;
}

/* Unstrip: bytes removed earlier reappear; with too little headroom the
 * packet moves to a new buffer (bytes that never existed are zero). */
static struct rt_pkt *unstrip_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct strip_conf *c = e->conf;
	return rt_pkt_push_front(e, p, c->length);
}

static const struct elem_runtime strip_runtime = { .action = strip_action };
static const struct elem_runtime unstrip_runtime = { .action = unstrip_action };

/* ---- describe and the class objects ---- */
static json_t *strip_describe(const void *conf)
{
	const struct strip_conf *c = conf;
	return json_pack("{s:I}", "LENGTH", (json_int_t)c->length);
}

static const char strip_doc_args[] = "LENGTH (unsigned, bytes; mandatory)";

const struct click_class elem_strip = {
	.name = "Strip",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = strip_configure,
	.model = &strip_model,
	.runtime = &strip_runtime,
	.describe = strip_describe,
	.doc_args = strip_doc_args,
	.doc_model = "Only the data pointer moves forward; annotations stay.",
};

const struct click_class elem_unstrip = {
	.name = "Unstrip",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = strip_configure,
	.model = &unstrip_model,
	.runtime = &unstrip_runtime,
	.describe = strip_describe,
	.doc_args = strip_doc_args,
	.doc_model = "Only the data pointer moves back; annotations stay.",
};
