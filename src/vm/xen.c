/* The xen backend: one ClickOS domain per module through libxl. The Click
 * configuration reaches the domain through xenstore, in 512-byte chunks
 * under clickos/0/config/<n>, then clickos/0/status = "Running" starts it
 * (ClickOS's control protocol, as its `cosmos` tool drives it).
 *
 * Where there is no hypervisor libxl_ctx_alloc fails and vm_xen_new says so. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxl.h>
#include <libxl_utils.h>
#include <xenstore.h>
#include <xentoollog.h>

#include "base/fmt.h"
#include "vm/vm.h"
#include "vm/internal.h"

struct xen {
	struct vm_backend be;
	libxl_ctx *ctx;
	xentoollog_logger_stdiostream *log;
	struct xs_handle *xs;
};

struct xinst {
	struct vm_module_spec spec; /* click and name copied */
	char *click, *name, *image;
	libxl_domain_config dc;
	uint32_t domid;
	bool created;
};

/* Fill a libxl domain configuration for a ClickOS PV domain. */
static int build_dc(libxl_domain_config *dc, const struct vm_module_spec *spec, const char *img)
{
	libxl_domain_config_init(dc);
	libxl_domain_create_info_init(&dc->c_info);
	dc->c_info.type = LIBXL_DOMAIN_TYPE_PV;
	char name[40];
	snprintf(name, sizeof name, "innet-%llu", (unsigned long long)spec->id);
	dc->c_info.name = strdup(name);
	libxl_domain_build_info_init_type(&dc->b_info, LIBXL_DOMAIN_TYPE_PV);
	uint32_t mb = spec->memory_mb ? spec->memory_mb : VM_XEN_DEFAULT_MB;
	dc->b_info.max_memkb = mb * 1024;
	dc->b_info.target_memkb = mb * 1024;
	dc->b_info.max_vcpus = 1;
	dc->b_info.kernel = strdup(img);
	dc->num_nics = 1;
	dc->nics = calloc(1, sizeof *dc->nics);
	if (!dc->c_info.name || !dc->b_info.kernel || !dc->nics)
		return -ENOMEM;
	libxl_device_nic_init(&dc->nics[0]);
	dc->nics[0].devid = 0;
	dc->nics[0].bridge = strdup(VM_XEN_BRIDGE);
	dc->on_crash = LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
	return dc->nics[0].bridge ? 0 : -ENOMEM;
}

char *vm_xen_libxl_json(const struct vm_module_spec *spec, const char *default_image,
                        char *err, size_t errlen)
{
	if (vm__xen_check(spec, default_image, err, errlen) < 0)
		return NULL;
	libxl_domain_config dc;
	char *json = NULL;
	if (build_dc(&dc, spec, spec->image ? spec->image : default_image) == 0)
		json = libxl_domain_config_to_json(NULL, &dc); /* needs no ctx */
	libxl_domain_config_dispose(&dc);
	if (!json)
		fmt_err(err, errlen, "xen: cannot build the libxl configuration");
	return json;
}

static int x_create(struct vm_backend *be, const struct vm_module_spec *spec, void **out,
                    struct diags *d)
{
	(void)be;
	char err[256];
	if (vm__xen_check(spec, NULL, err, sizeof err) < 0) {
		diags_error(d, NULL, 0, "%s", err);
		return -EINVAL;
	}
	struct xinst *in = calloc(1, sizeof *in);
	if (!in)
		return -ENOMEM;
	in->spec = *spec;
	in->click = strdup(spec->click);
	in->image = strdup(spec->image);
	in->name = strdup(spec->name ? spec->name : "module");
	if (!in->click || !in->image || !in->name || build_dc(&in->dc, spec, spec->image) < 0) {
		libxl_domain_config_dispose(&in->dc);
		free(in->click);
		free(in->image);
		free(in->name);
		free(in);
		return -ENOMEM;
	}
	*out = in;
	return 0;
}

static int write_config(struct xen *x, struct xinst *in)
{
	char *dom = xs_get_domain_path(x->xs, in->domid);
	if (!dom)
		return -EIO;
	char path[256];
	size_t len = strlen(in->click);
	int r = 0;
	for (size_t off = 0, i = 0; off < len && r == 0; off += 512, i++) {
		snprintf(path, sizeof path, "%s/%s/%zu", dom, VM_XEN_XS_CONFIG, i);
		size_t n = len - off < 512 ? len - off : 512;
		if (!xs_write(x->xs, XBT_NULL, path, in->click + off, (unsigned)n))
			r = -EIO;
	}
	snprintf(path, sizeof path, "%s/%s", dom, VM_XEN_XS_STATUS);
	if (r == 0 && !xs_write(x->xs, XBT_NULL, path, "Running", 7))
		r = -EIO;
	free(dom);
	return r;
}

static int x_start(struct vm_backend *be, void *inst)
{
	struct xen *x = (struct xen *)be;
	struct xinst *in = inst;
	int r = libxl_domain_create_new(x->ctx, &in->dc, &in->domid, NULL, NULL);
	if (r != 0)
		return -EIO;
	in->created = true;
	libxl_domain_unpause(x->ctx, in->domid, NULL);
	r = write_config(x, in);
	vm_mgr_notify(be->mgr, in->spec.id, VM_NOTE_STARTED, r, NULL);
	return r;
}

static int x_stop(struct vm_backend *be, void *inst)
{
	struct xen *x = (struct xen *)be;
	struct xinst *in = inst;
	if (in->created) {
		libxl_domain_destroy(x->ctx, in->domid, NULL);
		in->created = false;
	}
	vm_mgr_notify(be->mgr, in->spec.id, VM_NOTE_STOPPED, 0, NULL);
	return 0;
}

/* Pause keeps the domain's memory (its state) and frees its CPU: the
 * state stays in the domain, nothing goes to the registry. */
static int x_suspend(struct vm_backend *be, void *inst)
{
	struct xinst *in = inst;
	if (!in->created || libxl_domain_pause(((struct xen *)be)->ctx, in->domid, NULL) != 0)
		return -EIO;
	vm_mgr_suspended(be->mgr, in->spec.id, 0, NULL, 0);
	return 0;
}

static int x_resume(struct vm_backend *be, void *inst)
{
	struct xinst *in = inst;
	if (!in->created || libxl_domain_unpause(((struct xen *)be)->ctx, in->domid, NULL) != 0)
		return -EIO;
	vm_mgr_notify(be->mgr, in->spec.id, VM_NOTE_RESUMED, 0, NULL);
	return 0;
}

static void x_destroy(struct vm_backend *be, void *inst)
{
	struct xen *x = (struct xen *)be;
	struct xinst *in = inst;
	if (in->created)
		libxl_domain_destroy(x->ctx, in->domid, NULL);
	libxl_domain_config_dispose(&in->dc);
	free(in->click);
	free(in->image);
	free(in->name);
	free(in);
}

static void x_free(struct vm_backend *be)
{
	struct xen *x = (struct xen *)be;
	if (x->xs)
		xs_close(x->xs);
	if (x->ctx)
		libxl_ctx_free(x->ctx);
	if (x->log)
		xtl_logger_destroy((xentoollog_logger *)x->log);
	free(x);
}

static const struct vm_backend_ops xen_ops = {
	.name = "xen",
	.create = x_create,
	.start = x_start,
	.stop = x_stop,
	.suspend = x_suspend,
	.resume = x_resume,
	.destroy = x_destroy,
	.stats = NULL,
	.free = x_free,
};

int vm_xen_new(struct vm_backend **out, char *err, size_t errlen)
{
	*out = NULL;
	struct xen *x = calloc(1, sizeof *x);
	if (!x)
		return -ENOMEM;
	x->be.ops = &xen_ops;
	/* libxl reports through this logger; keep it to real errors */
	x->log = xtl_createlogger_stdiostream(stderr, XTL_CRITICAL, 0);
	if (libxl_ctx_alloc(&x->ctx, LIBXL_VERSION, 0, (xentoollog_logger *)x->log) != 0) {
		x->ctx = NULL;
		x_free(&x->be);
		fmt_err(err, errlen, "xen: no hypervisor here (libxl_ctx_alloc failed): run innetd in "
		                     "a Xen dom0 with xenstored, or use the native backend");
		return -ENODEV;
	}
	x->xs = xs_open(0);
	if (!x->xs) {
		x_free(&x->be);
		fmt_err(err, errlen, "xen: cannot open xenstore (is xenstored running?)");
		return -ENODEV;
	}
	*out = &x->be;
	return 0;
}
