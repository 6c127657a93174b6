/* The controller (issue 5): check, deploy and kill tenant modules over
 * HTTP, with the security rules, verdicts, placement and addresses
 * (DESIGN sections 5, 9 and 10).
 *
 * Routes: POST /v1/check, POST /v1/modules, GET /v1/modules,
 * GET/DELETE /v1/modules/{id}, GET /v1/stock; it also wraps the
 * foundation's POST /v1/policies and PUT /v1/network so that a policy or a
 * network change is re-checked against every deployed module first (409
 * with the list of violations unless forced: "force": true in the policy
 * body, ?force=true on the network PUT).
 *
 * Verification runs on the libuv thread pool against an immutable,
 * reference-counted network model; decisions that take capacity or
 * addresses are committed on the loop thread one at a time, re-verifying
 * when the snapshot, the platform's modules or the tenant's modules changed
 * meanwhile. Loop thread only. */
#ifndef INNET_CONTROLLER_CONTROLLER_H
#define INNET_CONTROLLER_CONTROLLER_H

#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"

struct ctl;

/* A module as the fast path needs it. */
struct ctl_deployed {
	int64_t id, tenant_id;
	const char *name;
	const char *platform;   /* NULL for an inline (operator) module */
	const char *inline_a, *inline_b;
	uint32_t ip;            /* host order */
	uint8_t proto;          /* 0: any */
	uint16_t port;          /* 0: any */
	const char *click;      /* what runs (with enforcers when sandboxed) */
	bool sandboxed;
};

/* How deploy and kill reach the platform (module lifecycle + fast path
 * tables). innetd connects it when the fast path is enabled; without it
 * modules are only recorded. Callbacks run on the loop thread; an install
 * error is logged and the module stays deployed (the registry is the truth,
 * a restart re-installs). */
struct ctl_platform_ops {
	void *ud;
	int (*install)(void *ud, const struct ctl_deployed *m);
	int (*remove)(void *ud, const struct ctl_deployed *m);
	/* Optional: the module's live state on the platform as a JSON object
	 * ("state": deployed|starting|running|idle|suspended|stopped, counters),
	 * or NULL when the platform does not run it. GET /v1/modules/{id}
	 * shows it as "runtime" and its "state" as the module's state. */
	json_t *(*describe)(void *ud, int64_t id);
};

struct ctl_limits {
	uint64_t max_steps;        /* symbolic steps per statement (0: 3000) */
	size_t max_config;         /* Click text bytes (0: 256 KiB) */
	double tenant_rps;         /* check/deploy requests per second per tenant (0: 200) */
	double tenant_burst;       /* (0: 2 x rps) */
	unsigned max_inflight;     /* verification jobs at once (0: 1024) */
	uint64_t deadline_ms;      /* answer 422 too_complex after this (0: 10000) */
};

/* Create the controller on api (registers its routes and wraps the policy
 * and network routes, which must be registered already), load the modules
 * of the registry and install them through ops when set later.
 * lim may be NULL (defaults; the environment's INNETD_TENANT_RPS,
 * INNETD_VERIFY_STEPS and INNETD_VERIFY_DEADLINE_MS override tenant_rps,
 * max_steps and deadline_ms). */
int ctl_new(struct api *api, const struct ctl_limits *lim, struct ctl **out);
/* Connect the platform; every live module of the registry is installed. */
int ctl_set_platform_ops(struct ctl *c, const struct ctl_platform_ops *ops);
/* After the loop has stopped (no job may be in flight). */
void ctl_free(struct ctl *c);

#endif
