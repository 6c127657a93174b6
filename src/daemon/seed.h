/* Start-up state: the first start seeds the registry from the configured
 * network and policy files; every start loads the current snapshot. */
#ifndef INNET_SEED_H
#define INNET_SEED_H

#include "api/api.h"
#include "daemon/config.h"
#include "registry/registry.h"

/* Once per registry (meta "seeded"): store cfg->network as the first
 * snapshot and cfg->policy as the first policy. *err (malloc'd) is
 * "file: why" with the snapshot's diagnostics. */
int seed_registry(struct registry *reg, const struct cfg *cfg, char **err);
/* Parse the registry's current snapshot and make it the API's. A stored
 * snapshot that no longer validates is logged and skipped. */
int seed_load_snapshot(struct api *api);

#endif
