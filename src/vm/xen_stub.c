/* The xen backend when innet was built without libxen-dev. */
#include <errno.h>

#include "base/fmt.h"
#include "vm/vm.h"

int vm_xen_new(struct vm_backend **out, char *err, size_t errlen)
{
	*out = NULL;
	fmt_err(err, errlen, "xen: this innet was built without libxl (install libxen-dev and "
	                     "run meson setup -Dxen=enabled), use the native backend");
	return -ENOTSUP;
}

char *vm_xen_libxl_json(const struct vm_module_spec *spec, const char *default_image,
                        char *err, size_t errlen)
{
	(void)spec;
	(void)default_image;
	fmt_err(err, errlen, "xen: built without libxl");
	return NULL;
}
