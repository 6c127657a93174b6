/* The platform inside innetd: the DPDK fast path and the module lifecycle
 * manager (src/dataplane, src/vm) started from innetd's settings, connected
 * to the controller (deploy installs a module, kill removes it, a restart
 * re-installs every deployed module of the registry), and its live state
 * shown by GET /v1/modules/{id} and GET /metrics.
 *
 * Loop thread only. */
#ifndef INNET_PLATFORM_H
#define INNET_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "api/api.h"
#include "daemon/config.h"
#include "controller/controller.h"

struct plat;

/* Start the fast path and the manager as cfg says. With `dataplane = none`
 * *out has no fast path (plat_running false: modules are only recorded). Otherwise 0, or a
 * negative errno with a one-line reason in err (innetd then refuses to
 * start: the operator asked for a fast path it cannot have). */
int plat_start(const struct cfg *cfg, uv_loop_t *loop, struct plat **out, char *err,
               size_t errlen);
/* Stop every module and the fast path; closes the loop handles it owns
 * (run the loop afterwards so their close callbacks run). NULL is fine. */
void plat_free(struct plat *p);

/* The controller's platform interface backed by p (install, remove,
 * describe). */
void plat_ctl_ops(struct plat *p, struct ctl_platform_ops *ops);
/* A module's live state and counters as JSON, NULL when p does not run it. */
json_t *plat_module_json(struct plat *p, int64_t id);

/* GET /metrics (Prometheus text, operator token): per-module packets,
 * bytes, drops and states, starts, fast-path totals, and *http_requests
 * (counted by the caller). */
int plat_register_routes(struct api *api, struct plat *p, const uint64_t *http_requests);
/* True when p runs a fast path (dataplane is not none). */
bool plat_running(const struct plat *p);

#endif
