/* Null, PushNull, PullNull and Idle (click.md 3.7); no arguments. Idle has
 * any number of ports and flow code x/y: nothing passes through it. */
#include "elements/args.h"
#include "elements/element.h"
#include "runtime/runtime.h" /* complete type for the runtime forward declaration (clang) */

static const struct elem_runtime null_runtime;
const struct elem_class elem_null = {
	.name = "Null",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = elem__configure_none,
	.runtime = &null_runtime,
};

const struct elem_class elem_pushnull = {
	.name = "PushNull",
	.port_count = "1/1",
	.processing = "h/h",
	.configure = elem__configure_none,
	.runtime = &null_runtime,
};

const struct elem_class elem_pullnull = {
	.name = "PullNull",
	.port_count = "1/1",
	.processing = "l/l",
	.configure = elem__configure_none,
	.runtime = &null_runtime,
};

static const struct elem_runtime idle_runtime;
const struct elem_class elem_idle = {
	.name = "Idle",
	.port_count = "-/-",
	.processing = "a/a",
	.flow_code = "x/y",
	.configure = elem__configure_none,
	.runtime = &idle_runtime,
};

/* ---- runtime (packet functions) ---- */
#include "runtime/runtime.h"

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
