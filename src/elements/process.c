/* ToProcess and FromProcess (innet's own, no Click counterpart): a process
 * module's wrapper hands what arrives for the module's address to its
 * sandboxed program and sends what the program sends:
 *
 *     FromNetFront() -> ToProcess(); FromProcess() -> ToNetFront();
 *
 * ToProcess([BURST]): port count 1/0, a/h. FromProcess([BURST]): 0/1, h/h.
 * Both stand for the module's process device VM_PROCESS_DEVICE
 * (runtime/runtime.h), which the dataplane joins to the program's port; no
 * device number is given (a configuration cannot aim them elsewhere).
 *
 * To the runtime they are device elements (ELEM_DEVICE_IN/OUT): the fast
 * path delivers the program's packets into FromProcess and ToProcess hands
 * packets to the device (rt_tx). To the verifier and the sandbox rewrite
 * they are ordinary elements (ELEM_PROCESS): a packet into ToProcess leaves
 * the module for the program, not for the network, and FromProcess
 * originates every IPv4 packet (any source, destination, protocol, ports,
 * payload), since the program may send anything. What reaches the network
 * is therefore decided by what stands between FromProcess and the network
 * device: for a third party or a client the controller's ChangeEnforcer
 * (docs/security.md, docs/process-modules.md). */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct proc_conf {
	uint32_t burst; /* ToProcess: pulls per run (1); FromProcess: 0 = all queued */
};

static int proc_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf,
                          uint32_t burst)
{
	struct proc_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->burst = burst;
	struct arg_spec spec[] = {
		arg_u32("BURST", ARG_P, &c->burst),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (spec[0].given && c->burst == 0)
		return arg_error(ctx, &spec[0].val, "must be at least 1");
	*conf = c;
	return 0;
}

static int toprocess_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	return proc_configure(ctx, args, conf, 1);
}

static int fromprocess_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                 void **conf)
{
	return proc_configure(ctx, args, conf, 0);
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* The packet leaves the module for its program: nothing of it reaches the
 * network from here (what the program makes of it is FromProcess's). */
static int toprocess_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                              struct sym_flow *f)
{
	sym_drop(cx, f, "handed to the module's program (ToProcess)");
	return 0;
}

/* FromProcess has no input; push is never called. */
static int fromprocess_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                struct sym_flow *f)
{
	sym_drop(cx, f, "FromProcess has no input");
	return 0;
}

/* The program may send anything: one flow with every header field, the
 * payload and the version unconstrained, carrying no entering packet (so
 * nothing it sends counts as a reply unless an enforcer saw the request). */
static int fromprocess_sym_source(struct sym_ctx *cx, const struct click_element *e)
{
	struct sym_flow *f = sym_new_packet(cx);
	if (!f)
		return -ENOMEM;
	sym_emit(cx, 0, f);
	return 0;
}

static const struct elem_model toprocess_model = { .push = toprocess_sym_push };
static const struct elem_model fromprocess_model = {
	.push = fromprocess_sym_push,
	.source = fromprocess_sym_source,
};

/* ---- runtime (packet functions) ---- */
/* FromProcess: the module pushes what arrives on VM_PROCESS_DEVICE out of
 * output 0 (rt_module_push, as for FromDevice). ToProcess: rt_tx to that
 * device; in pull context a task pulls BURST per run. */
static uint32_t proc_device(const struct rt_elem *e)
{
	return VM_PROCESS_DEVICE;
}

static void toprocess_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	rt_tx(e, p);
}

static uint32_t toprocess_run(struct rt_elem *e, uint64_t now)
{
	const struct proc_conf *c = e->conf;
	return elem__device_out_pull(e, c ? c->burst : 1, toprocess_push);
}

static const struct elem_runtime toprocess_runtime = {
	.init = elem__device_out_init,
	.push = toprocess_push,
	.run = toprocess_run,
	.device = proc_device,
};

static const struct elem_runtime fromprocess_runtime = {
	.device = proc_device,
};

/* ---- describe and the class objects ---- */
static json_t *proc_describe(const void *conf)
{
	const struct proc_conf *c = conf;
	return json_pack("{s:I, s:I}", "DEVICE", (json_int_t)VM_PROCESS_DEVICE, "BURST",
	                 (json_int_t)c->burst);
}

const struct click_class elem_toprocess = {
	.name = "ToProcess",
	.port_count = "1/0",
	.processing = "a/h",
	.flags = ELEM_DEVICE_OUT | ELEM_PROCESS,
	.configure = toprocess_configure,
	.model = &toprocess_model,
	.runtime = &toprocess_runtime,
	.describe = proc_describe,
	.doc_args = "[BURST] (unsigned, at least 1, default 1: packets pulled per run in pull "
	            "context). innet's own: hands packets to the module's program (process device "
	            "1); only in the wrapper innetd generates for a process-backed stock module",
	.doc_model = "The packet leaves the module for its program, not for the network: the "
	             "verifier drops it here (docs/process-modules.md).",
};

const struct click_class elem_fromprocess = {
	.name = "FromProcess",
	.port_count = "0/1",
	.processing = "h/h",
	.flags = ELEM_DEVICE_IN | ELEM_PROCESS,
	.configure = fromprocess_configure,
	.model = &fromprocess_model,
	.runtime = &fromprocess_runtime,
	.describe = proc_describe,
	.doc_args = "[BURST] (unsigned, at least 1; default 0: all that are queued). innet's own: "
	            "what the module's program sends (process device 1); only in the wrapper innetd "
	            "generates for a process-backed stock module",
	.doc_model = "Originates every IPv4 packet: source, destination, protocol, ports and payload "
	             "unconstrained, no entering packet to reply to, since the program may send "
	             "anything. A sandboxed module's verdict comes from the ChangeEnforcer between "
	             "it and the network (docs/process-modules.md).",
};
