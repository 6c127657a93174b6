/* Start-up state: the first start seeds the registry from the configured
 * network and policy files; every start loads the current snapshot. */
#ifndef INNET_SEED_H
#define INNET_SEED_H

#include "api.h"
#include "config.h"
#include "registry.h"

/* Once per registry (meta "seeded"): store cfg->network as the first
 * snapshot and cfg->policy as the first policy. *err (malloc'd) is
 * "file: why" with the snapshot's diagnostics. */
int seed_registry(struct registry *reg, const struct cfg *cfg, char **err);
/* Parse the registry's current snapshot and make it the API's. A stored
 * snapshot that no longer validates is logged and skipped. */
int seed_load_snapshot(struct api *api);
/* Read a whole (text) file, at most `max` bytes; NUL-terminated. */
int seed_read_file(const char *path, size_t max, char **out, size_t *len);

#endif
