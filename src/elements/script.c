/* Script (Click's scripting element): refused at configure time. Its
 * instructions write handlers, loop and wait on timers at run time, so
 * what a module does would depend on a program the symbolic model cannot
 * follow: a configuration with a Script cannot be verified. The class is
 * in the catalogue so that the tenant gets that reason, not "unknown
 * element class". */
#include <errno.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

static int script_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	return arg_error(ctx, NULL, "Script is not supported: its run-time instructions cannot be "
	                            "verified before the configuration runs");
}

/* ---- symbolic model and runtime: never instantiated (configure fails) ---- */
static int script_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                           struct sym_flow *f)
{
	sym_drop(cx, f, "Script is refused");
	return 0;
}

static const struct elem_model script_model = { .push = script_sym_push };

static struct rt_pkt *script_action(struct rt_elem *e, struct rt_pkt *p)
{
	rt_drop(e, p);
	return NULL;
}

static const struct elem_runtime script_runtime = { .action = script_action };

/* ---- describe (never reached: configure fails) and the class object ---- */
static json_t *script_describe(const void *conf)
{
	return json_object();
}

const struct click_class elem_script = {
	.name = "Script",
	.port_count = "-/-",
	.processing = "ah/ah",
	.configure = script_configure,
	.model = &script_model,
	.runtime = &script_runtime,
	.describe = script_describe,
	.doc_args = "refused: a Script's instructions run at run time and cannot be verified",
	.doc_model = "None: a configuration with a Script is refused at configure time.",
};
