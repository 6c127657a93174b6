/* Start-up state: the first start seeds the registry from the configured
 * network and policy files; every start loads the current snapshot. */
#ifndef INNET_SEED_H
#define INNET_SEED_H

#include "api/api.h"
#include "base/diag.h"
#include "daemon/config.h"
#include "registry/registry.h"

/* Once per registry (meta "seeded"): store cfg->network as the first
 * snapshot and cfg->policy as the first policy. Thread: the main thread at
 * start-up. Errors: a negative errno; why goes to d ("file: why", then the
 * snapshot's diagnostics under the file's name); a registry error alone
 * leaves d empty. */
int seed_registry(struct registry *reg, const struct cfg *cfg, struct diags *d);
/* Parse the registry's current snapshot and make it the API's. A stored
 * snapshot that no longer validates is logged and skipped. */
int seed_load_snapshot(struct api *api);

#endif
