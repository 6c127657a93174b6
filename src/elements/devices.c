/* Device elements (Click's FromDevice and ToDevice, ClickOS's NetFront
 * spellings): a module's ports. Inside a module the devices carry IPv4
 * packets without a link header, IP header annotation set; the fast path
 * does the framing.
 *
 * FromDevice(N) / FromNetFront(N): port count 0/1, push; N is the module's
 * device (port) number, default 0. ToDevice(N [, BURST]) / ToNetFront: 1/0-1,
 * a/h, as ClickOS's minios ToDevice (after sending, the packet goes out
 * output 0 if connected). The NetFront spellings also accept a MAC address
 * as the device (ClickOS tooling writes FromNetFront(00:1a:..., BURST 256)),
 * which means device 0. A device name such as eth0 means nothing inside a
 * module and is refused. */
#include <errno.h>

#include "elements/args.h"
#include "elements/describe.h"
#include "elements/element.h"
#include "elements/model_util.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct dev_conf {
	uint32_t port;    /* the module's device number */
	uint32_t burst;   /* packets per run; FromDevice: 0 = all that are queued */
	bool by_mac;      /* NetFront spelling given a MAC address (port 0) */
	uint8_t mac[6];
};

static int dev_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf,
                         bool out, bool netfront)
{
	struct dev_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_val dev = { 0 }, devid = { 0 };
	c->burst = out ? 1 : 0;
	/* DEVID is ClickOS's name for the same parameter */
	struct arg_spec in_spec[] = {
		arg_raw("DEVNAME", ARG_P, &dev),
		arg_u32("BURST", 0, &c->burst),
		arg_raw("DEVID", 0, &devid),
	};
	struct arg_spec out_spec[] = {
		arg_raw("DEVNAME", ARG_P, &dev),
		arg_u32("BURST", ARG_P, &c->burst),
		arg_raw("DEVID", 0, &devid),
	};
	struct arg_spec *spec = out ? out_spec : in_spec;
	int rc = args_parse(ctx, args, spec, 3);
	if (spec[1].given && c->burst == 0)
		rc = arg_error(ctx, &spec[1].val, "must be at least 1");
	if (spec[0].given && spec[2].given)
		rc = arg_error(ctx, &devid, "DEVNAME and DEVID name the same device; give one");
	if (spec[2].given) {
		dev = devid;
		spec[0].given = true;
	}
	if (spec[0].given && dev.n) {
		uint64_t n;
		if (dev.s[0] >= '0' && dev.s[0] <= '9' && arg_parse_uint(NULL, &dev, UINT32_MAX, &n) == 0) {
			c->port = (uint32_t)n;
		} else if (netfront && arg_parse_ether(NULL, &dev, c->mac) == 0) {
			c->by_mac = true;
			c->port = 0;
		} else if (netfront) {
			char b[40];
			snprintf(b, sizeof b, "%.*s", (int)(dev.n > 32 ? 32 : dev.n), dev.s);
			rc = arg_error(ctx, &dev, "device must be a port number or a MAC address, got '%s'", b);
		} else {
			char b[40];
			snprintf(b, sizeof b, "%.*s", (int)(dev.n > 32 ? 32 : dev.n), dev.s);
			rc = arg_error(ctx, &dev,
			               "device must be a port number (the module's device N), got '%s'", b);
		}
	}
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

static int fromdevice_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	return dev_configure(ctx, args, conf, false, false);
}

static int fromnetfront_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                  void **conf)
{
	return dev_configure(ctx, args, conf, false, true);
}

static int todevice_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	return dev_configure(ctx, args, conf, true, false);
}

static int tonetfront_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	return dev_configure(ctx, args, conf, true, true);
}

/* ---- symbolic model (src/verify/model.h) ---- */
static uint32_t dev_sym_device(const struct click_element *e)
{
	const struct dev_conf *c = e->conf;
	return c ? c->port : 0;
}

/* The engine moves packets between the node's ports and the device
 * elements itself (device() says which port): a FromDevice's flows leave
 * on its output 0 and a ToDevice's input leaves the node. push only serves
 * a ToDevice's optional pass-through output. */
static const struct elem_model dev_model = { .push = mu_sym_pass, .device = dev_sym_device };

/* ---- runtime (packet functions) ---- */
/* FromDevice/FromNetFront: the module pushes arriving packets out of
 * output 0 (rt_module_push). ToDevice/ToNetFront: hand packets to the
 * module's device output; in pull context a task pulls BURST per run; with
 * output 0 connected the sent packet also goes out there (ClickOS), so the
 * device gets a copy. */
static uint32_t dev_device(const struct rt_elem *e)
{
	const struct dev_conf *c = e->conf;
	return c ? c->port : 0;
}

static void todevice_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	if (rt_has_output(e, 0)) {
		struct rt_pkt *q = rt_pkt_copy(e, p);
		if (q)
			rt_tx(e, q);
		rt_push(e, 0, p);
	} else {
		rt_tx(e, p);
	}
}

static int todevice_init(struct rt_elem *e, struct diags *d)
{
	if (e->ninputs && !e->in[0].push)
		rt_task_enable(e);
	return 0;
}

static uint32_t todevice_run(struct rt_elem *e, uint64_t now)
{
	const struct dev_conf *c = e->conf;
	uint32_t burst = c && c->burst ? c->burst : 1, n = 0;
	if (!e->task)
		return 0;
	for (; n < burst; n++) {
		struct rt_pkt *p = rt_pull(e, 0);
		if (!p)
			break;
		todevice_push(e, 0, p);
	}
	return n;
}

static const struct elem_runtime fromdevice_runtime = {
	.device = dev_device,
};

static const struct elem_runtime todevice_runtime = {
	.init = todevice_init,
	.push = todevice_push,
	.run = todevice_run,
	.device = dev_device,
};

/* ---- describe and the class objects ---- */
static json_t *dev_describe(const void *conf)
{
	const struct dev_conf *c = conf;
	json_t *j = json_pack("{s:I, s:I}", "DEVNAME", (json_int_t)c->port, "BURST", (json_int_t)c->burst);
	if (j && c->by_mac && json_object_set_new(j, "MAC", describe_ether(c->mac))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static const char dev_in_doc_model[] =
	"The verifier moves packets between the node's ports and the device elements itself: a "
	"device input's flows are the packets arriving on its device, IPv4 without a link header, "
	"with the IP header annotation set.";
static const char dev_out_doc_model[] =
	"The input leaves the node through the device; with output 0 connected the packet also "
	"goes out there unchanged, as in ClickOS.";

const struct click_class elem_fromdevice = {
	.name = "FromDevice",
	.port_count = "0/1",
	.processing = "h/h",
	.flags = ELEM_DEVICE_IN,
	.configure = fromdevice_configure,
	.model = &dev_model,
	.runtime = &fromdevice_runtime,
	.describe = dev_describe,
	.doc_args = "[DEVNAME] (the module's device number, default 0; DEVID is the same); keyword "
	            "BURST (unsigned, default 0: all that are queued)",
	.doc_model = dev_in_doc_model,
};

const struct click_class elem_fromnetfront = {
	.name = "FromNetFront",
	.port_count = "0/1",
	.processing = "h/h",
	.flags = ELEM_DEVICE_IN,
	.configure = fromnetfront_configure,
	.model = &dev_model,
	.runtime = &fromdevice_runtime,
	.describe = dev_describe,
	.doc_args = "[DEVNAME] (the module's device number, or a MAC address meaning device 0; "
	            "default 0; DEVID is the same); keyword BURST (unsigned, default 0: all that "
	            "are queued)",
	.doc_model = dev_in_doc_model,
};

const struct click_class elem_todevice = {
	.name = "ToDevice",
	.port_count = "1/0-1",
	.processing = "a/h",
	.flags = ELEM_DEVICE_OUT,
	.configure = todevice_configure,
	.model = &dev_model,
	.runtime = &todevice_runtime,
	.describe = dev_describe,
	.doc_args = "[DEVNAME] (the module's device number, default 0; DEVID is the same), [BURST] "
	            "(unsigned, at least 1, default 1)",
	.doc_model = dev_out_doc_model,
};

const struct click_class elem_tonetfront = {
	.name = "ToNetFront",
	.port_count = "1/0-1",
	.processing = "a/h",
	.flags = ELEM_DEVICE_OUT,
	.configure = tonetfront_configure,
	.model = &dev_model,
	.runtime = &todevice_runtime,
	.describe = dev_describe,
	.doc_args = "[DEVNAME] (the module's device number, or a MAC address meaning device 0; "
	            "default 0; DEVID is the same), [BURST] (unsigned, at least 1, default 1)",
	.doc_model = dev_out_doc_model,
};
