/* Device elements (Click's FromDevice, PollDevice and ToDevice, ClickOS's
 * NetFront spellings): a module's ports. Inside a module the devices carry
 * IPv4 packets without a link header, IP header annotation set, as Click's
 * FromDevice(..., FORCE_IP true); the fast path does the framing.
 *
 * FromDevice(DEVNAME [, PROMISC, SNAPLEN]) / PollDevice(DEVNAME [, PROMISC,
 * BURST]) / FromNetFront(N): port count 0/1, push. ToDevice(DEVNAME [,
 * BURST]) / ToNetFront: 1/0-1, a/h, as ClickOS's minios ToDevice (after
 * sending, the packet goes out output 0 if connected).
 *
 * DEVNAME is the module's device number N (default 0), or a name as Click
 * configurations write it (eth0, $DEV): names are numbered 0, 1, ... in the
 * order they first appear in the configuration, so FromDevice(eth1) and
 * ToDevice(eth1) are the same device; numbers and names do not mix in one
 * configuration. The NetFront spellings also accept a MAC address as the
 * device (ClickOS tooling writes FromNetFront(00:1a:..., BURST 256)), which
 * means device 0.
 *
 * Click's capture keywords are accepted and change nothing in a module
 * (PROMISC, SNAPLEN, SNIFFER, METHOD, CAPTURE, PROTOCOL, OUTBOUND, HEADROOM,
 * TIMESTAMP, DEBUG; ENCAP IP); FORCE_IP false and ENCAP other than IP are
 * refused (a module's devices have no link header), BPF_FILTER is refused
 * (use IPFilter, which the verifier reads). Departure (docs/conformance.md):
 * Click's FromDevice without FORCE_IP gives Ethernet frames; innet gives
 * IPv4, and a named device without FORCE_IP true gets a warning saying so. */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct dev_conf {
	uint32_t port;    /* the module's device number */
	uint32_t burst;   /* packets per run; FromDevice: 0 = all that are queued */
	bool by_mac;      /* NetFront spelling given a MAC address (port 0) */
	uint8_t mac[6];
	struct arg_val name; /* the device name as written (n = 0: a number) */
};

enum dev_kind { DEV_FROM, DEV_POLL, DEV_TO };

/* Click's capture options, accepted for configurations written for Click;
 * none changes what a module's device does. */
struct dev_opts {
	bool promisc, sniffer, force_ip, outbound, timestamp, debug;
	uint32_t snaplen, headroom, protocol;
	struct arg_val method, capture, encap, bpf;
};

static int dev_name_or_number(const struct click_conf_ctx *ctx, struct arg_val *dev, bool netfront,
                              struct dev_conf *c)
{
	uint64_t n;
	char b[40];
	snprintf(b, sizeof b, "%.*s", (int)(dev->n > 32 ? 32 : dev->n), dev->s);
	if (dev->s[0] >= '0' && dev->s[0] <= '9' && arg_parse_uint(NULL, dev, UINT32_MAX, &n) == 0) {
		c->port = (uint32_t)n;
		return elem__device_number(ctx, NULL, &c->port) == -EEXIST
			       ? arg_error(ctx, dev, "device numbers and device names are mixed in one "
			                             "configuration; use one or the other")
			       : 0;
	}
	if (netfront && arg_parse_ether(NULL, dev, c->mac) == 0) {
		c->by_mac = true;
		c->port = 0;
		return 0;
	}
	if (netfront)
		return arg_error(ctx, dev, "device must be a port number or a MAC address, got '%s'", b);
	for (size_t i = 0; i < dev->n; i++) {
		char ch = dev->s[i];
		if (!((ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') || ch == '_' ||
		      ch == '-' || ch == '.' || ch == ':' || ch == '@'))
			return arg_error(ctx, dev, "device must be a device number or a device name, got '%s'", b);
	}
	int rc = elem__device_number(ctx, dev, &c->port);
	if (rc == -EEXIST)
		return arg_error(ctx, dev, "device numbers and device names are mixed in one configuration; "
		                           "use one or the other");
	c->name = *dev;
	return rc;
}

static int check_opts(const struct click_conf_ctx *ctx, const struct arg_spec *spec, size_t n,
                      const struct dev_opts *o)
{
	int rc = 0;
	if (args_given(spec, n, "FORCE_IP") && !o->force_ip)
		rc = arg_error(ctx, NULL, "FORCE_IP false is not available: a module's devices carry IPv4 "
		                          "without a link header (FORCE_IP true)");
	if (args_given(spec, n, "ENCAP") && !arg_is(&o->encap, "IP"))
		rc = arg_error(ctx, &o->encap, "a module's devices carry IPv4 (ENCAP IP) only");
	if (args_given(spec, n, "BPF_FILTER"))
		rc = arg_error(ctx, &o->bpf, "BPF_FILTER is not available in a module: filter with IPFilter, "
		                             "which the verifier reads");
	return rc;
}

static int dev_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf,
                         enum dev_kind kind, bool netfront)
{
	struct dev_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_val dev = { 0 }, devid = { 0 };
	struct dev_opts o = { 0 };
	c->burst = kind == DEV_TO ? 1 : 0;
	/* DEVID is ClickOS's name for DEVNAME; the rest are Click's */
	struct arg_spec from_spec[] = {
		arg_raw("DEVNAME", ARG_P, &dev),        arg_bool("PROMISC", ARG_P, &o.promisc),
		arg_u32("SNAPLEN", ARG_P, &o.snaplen),  arg_u32("BURST", 0, &c->burst),
		arg_raw("DEVID", 0, &devid),            arg_bool("SNIFFER", 0, &o.sniffer),
		arg_bool("FORCE_IP", 0, &o.force_ip),   arg_raw("METHOD", 0, &o.method),
		arg_raw("CAPTURE", 0, &o.capture),      arg_raw("BPF_FILTER", 0, &o.bpf),
		arg_u32("PROTOCOL", 0, &o.protocol),    arg_bool("OUTBOUND", 0, &o.outbound),
		arg_u32("HEADROOM", 0, &o.headroom),    arg_raw("ENCAP", 0, &o.encap),
		arg_bool("TIMESTAMP", 0, &o.timestamp),
	};
	struct arg_spec poll_spec[] = {
		arg_raw("DEVNAME", ARG_P, &dev),        arg_bool("PROMISC", ARG_P, &o.promisc),
		arg_u32("BURST", ARG_P, &c->burst),     arg_raw("DEVID", 0, &devid),
		arg_u32("HEADROOM", 0, &o.headroom),    arg_u32("LENGTH", 0, &o.snaplen),
		arg_bool("TIMESTAMP", 0, &o.timestamp),
	};
	struct arg_spec to_spec[] = {
		arg_raw("DEVNAME", ARG_P, &dev),  arg_u32("BURST", ARG_P, &c->burst),
		arg_raw("DEVID", 0, &devid),      arg_bool("DEBUG", 0, &o.debug),
		arg_raw("METHOD", 0, &o.method),
	};
	/* ClickOS's NetFront spellings: DEVNAME/DEVID and BURST only */
	struct arg_spec nf_from_spec[] = {
		arg_raw("DEVNAME", ARG_P, &dev), arg_u32("BURST", 0, &c->burst), arg_raw("DEVID", 0, &devid),
	};
	struct arg_spec nf_to_spec[] = {
		arg_raw("DEVNAME", ARG_P, &dev), arg_u32("BURST", ARG_P, &c->burst), arg_raw("DEVID", 0, &devid),
	};
	struct arg_spec *spec;
	size_t nspec;
	if (netfront) {
		spec = kind == DEV_TO ? nf_to_spec : nf_from_spec;
		nspec = 3;
	} else if (kind == DEV_TO) {
		spec = to_spec;
		nspec = ARG_N(to_spec);
	} else if (kind == DEV_POLL) {
		spec = poll_spec;
		nspec = ARG_N(poll_spec);
	} else {
		spec = from_spec;
		nspec = ARG_N(from_spec);
	}
	int rc = args_parse(ctx, args, spec, nspec);
	if (rc)
		return rc;
	for (size_t i = 0; i < nspec; i++)
		if (spec[i].given && strcmp(spec[i].kw, "BURST") == 0 && c->burst == 0)
			rc = arg_error(ctx, &spec[i].val, "must be at least 1");
	if (args_given(spec, nspec, "DEVNAME") && args_given(spec, nspec, "DEVID"))
		rc = arg_error(ctx, &devid, "DEVNAME and DEVID name the same device; give one");
	if (args_given(spec, nspec, "DEVID"))
		dev = devid;
	if (!netfront && check_opts(ctx, spec, nspec, &o))
		rc = -EINVAL;
	if (dev.n && dev_name_or_number(ctx, &dev, netfront, c))
		rc = -EINVAL;
	if (rc)
		return rc;
	if (c->name.n && kind != DEV_TO && !o.force_ip)
		arg_warning(ctx, &c->name, "a module's devices carry IPv4 without a link header, as Click's "
		                           "FORCE_IP true (docs/conformance.md)");
	*conf = c;
	return 0;
}

static int fromdevice_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	return dev_configure(ctx, args, conf, DEV_FROM, false);
}

static int polldevice_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	return dev_configure(ctx, args, conf, DEV_POLL, false);
}

static int fromnetfront_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                  void **conf)
{
	return dev_configure(ctx, args, conf, DEV_FROM, true);
}

static int todevice_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	return dev_configure(ctx, args, conf, DEV_TO, false);
}

static int tonetfront_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	return dev_configure(ctx, args, conf, DEV_TO, true);
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

/* Without a copy to make, each packet straight to the device. */
static void todevice_push_burst(struct rt_elem *e, uint32_t port, struct rt_pkt **v, uint32_t n)
{
	if (rt_has_output(e, 0)) {
		for (uint32_t i = 0; i < n; i++)
			todevice_push(e, port, v[i]);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		rt_tx(e, v[i]);
}

/* The fused step: todevice_push but for the final push of the copy. */
static int32_t todevice_step(struct rt_elem *e, uint32_t port, struct rt_pkt **pp)
{
	(void)port;
	if (!rt_has_output(e, 0)) {
		rt_tx(e, *pp);
		return RT_STEP_GONE;
	}
	struct rt_pkt *q = rt_pkt_copy(e, *pp);
	if (q)
		rt_tx(e, q);
	return 0;
}

int elem__device_out_init(struct rt_elem *e, struct diags *d)
{
	if (e->ninputs && !e->in[0].push)
		rt_task_enable(e);
	return 0;
}

uint32_t elem__device_out_pull(struct rt_elem *e, uint32_t burst,
                               void (*out)(struct rt_elem *e, uint32_t port, struct rt_pkt *p))
{
	uint32_t n = 0;
	if (!e->task)
		return 0;
	for (burst = burst ? burst : 1; n < burst; n++) {
		struct rt_pkt *p = rt_pull(e, 0);
		if (!p)
			break;
		out(e, 0, p);
	}
	return n;
}

static uint32_t todevice_run(struct rt_elem *e, uint64_t now)
{
	const struct dev_conf *c = e->conf;
	return elem__device_out_pull(e, c ? c->burst : 1, todevice_push);
}

static const struct elem_runtime fromdevice_runtime = {
	.device = dev_device,
};

static const struct elem_runtime todevice_runtime = {
	.init = elem__device_out_init,
	.push = todevice_push,
	.push_burst = todevice_push_burst,
	.step = todevice_step,
	.step_tx = true,
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
	if (j && c->name.n && json_object_set_new(j, "NAME", json_stringn(c->name.s, c->name.n))) {
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
	.doc_args = "[DEVNAME] (the module's device number, default 0, or a device name such as eth0: "
	            "names are numbered in order of appearance; DEVID is the same), [PROMISC], "
	            "[SNAPLEN]; keywords BURST (unsigned, default 0: all that are queued), FORCE_IP "
	            "(true only), ENCAP (IP only), SNIFFER, METHOD, CAPTURE, PROTOCOL, OUTBOUND, "
	            "HEADROOM, TIMESTAMP (accepted, no effect); BPF_FILTER refused",
	.doc_model = dev_in_doc_model,
};

const struct click_class elem_polldevice = {
	.name = "PollDevice",
	.port_count = "0/1",
	.processing = "h/h",
	.flags = ELEM_DEVICE_IN,
	.configure = polldevice_configure,
	.model = &dev_model,
	.runtime = &fromdevice_runtime,
	.describe = dev_describe,
	.doc_args = "DEVNAME (a device number or name, as FromDevice), [PROMISC], [BURST] (unsigned, at "
	            "least 1); keywords HEADROOM, LENGTH, TIMESTAMP (accepted, no effect)",
	.doc_model = "Click's polling FromDevice (Linux kernel driver): in innet the same element as "
	             "FromDevice, since the fast path always polls. " 
	             "The verifier moves packets between the node's ports and the device elements "
	             "itself: IPv4 without a link header, IP header annotation set.",
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
	.doc_args = "[DEVNAME] (the module's device number, default 0, or a device name as "
	            "FromDevice's; DEVID is the same), [BURST] (unsigned, at least 1, default 1); "
	            "keywords DEBUG, METHOD (accepted, no effect)",
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
