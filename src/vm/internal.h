/* Private to src/vm: what the xen backend's files share. */
#ifndef INNET_VM_INTERNAL_H
#define INNET_VM_INTERNAL_H

#include <stddef.h>

#include "vm/vm.h"

#define VM_XEN_DEFAULT_MB 8
#define VM_XEN_BRIDGE "innet0"
/* Where ClickOS reads its configuration and where its control sits. */
#define VM_XEN_XS_CONFIG "clickos/0/config"
#define VM_XEN_XS_STATUS "clickos/0/status"

int vm__xen_check(const struct vm_module_spec *spec, const char *default_image, char *err,
                  size_t errlen);

#endif
