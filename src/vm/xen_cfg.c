/* The xl configuration of a module's ClickOS domain. Pure text, so it is
 * the same with or without libxl and testable without a hypervisor. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "vm/vm.h"
#include "vm/xen_internal.h"

int vm__xen_check(const struct vm_module_spec *spec, const char *default_image, char *err,
                  size_t errlen)
{
	const char *img = spec->image ? spec->image : default_image;
	if (!img || !*img) {
		fmt_err(err, errlen, "xen: module %llu: no ClickOS image (set the xen-image setting)",
		        (unsigned long long)spec->id);
		return -EINVAL;
	}
	for (const char *p = img; *p; p++)
		if (*p == '"' || *p == '\\' || *p == '\n') {
			fmt_err(err, errlen, "xen: image path '%s' has a character xl cannot quote", img);
			return -EINVAL;
		}
	if (!spec->click || !*spec->click) {
		fmt_err(err, errlen, "xen: module %llu has no Click configuration",
		        (unsigned long long)spec->id);
		return -EINVAL;
	}
	if (spec->memory_mb > 4096) {
		fmt_err(err, errlen, "xen: module %llu: %u MiB is more than a ClickOS domain needs",
		        (unsigned long long)spec->id, spec->memory_mb);
		return -EINVAL;
	}
	return 0;
}

char *vm_xen_domain_config(const struct vm_module_spec *spec, const char *default_image,
                           char *err, size_t errlen)
{
	if (vm__xen_check(spec, default_image, err, errlen) < 0)
		return NULL;
	const char *img = spec->image ? spec->image : default_image;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f) {
		fmt_err(err, errlen, "xen: out of memory");
		return NULL;
	}
	char a[16];
	fprintf(f, "# ClickOS domain of innet module %llu (tenant %llu)\n",
	        (unsigned long long)spec->id, (unsigned long long)spec->tenant);
	fprintf(f, "name = \"innet-%llu\"\n", (unsigned long long)spec->id);
	fprintf(f, "type = \"pv\"\n");
	fprintf(f, "kernel = \"%s\"\n", img);
	fprintf(f, "memory = %u\n", spec->memory_mb ? spec->memory_mb : VM_XEN_DEFAULT_MB);
	fprintf(f, "vcpus = 1\n");
	fprintf(f, "vif = [ 'mac=%s,bridge=%s' ]\n", "00:16:3e:00:00:01", VM_XEN_BRIDGE);
	fprintf(f, "on_crash = \"destroy\"\n");
	fprintf(f, "# serves %s", inet_format_addr(spec->key.addr, a));
	if (spec->key.proto)
		fprintf(f, " proto %u", spec->key.proto);
	if (spec->key.port)
		fprintf(f, " port %u", spec->key.port);
	fprintf(f, "; its Click configuration (%zu bytes) is written to xenstore at\n",
	        strlen(spec->click));
	fprintf(f, "# /local/domain/<domid>/%s\n", VM_XEN_XS_CONFIG);
	if (fclose(f) != 0) {
		free(out);
		fmt_err(err, errlen, "xen: out of memory");
		return NULL;
	}
	return out;
}
