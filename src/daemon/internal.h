/* Private to src/daemon: innetd itself. Nothing is above the daemon, so
 * it has no public header; tests of it (test/daemon/) include this. */
#ifndef INNET_DAEMON_INTERNAL_H
#define INNET_DAEMON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <uv.h>

#include "api/api.h"
#include "base/diag.h"
#include "controller/controller.h"
#include "registry/registry.h"

/* ==== 1. the settings ======================================================= */
/* innetd configuration: one table of settings (config_rows.h) drives the
 * file parser, the command-line flags, the defaults and the JSON dump.
 * Precedence: defaults < file (--config) < environment < flags. */
enum cfg_type {
	CFG_T_STRING, CFG_T_PATH, CFG_T_ADDRESS, CFG_T_ENUM,
	CFG_T_INT, CFG_T_SIZE, CFG_T_DURATION, CFG_T_BOOL,
};

#define CFG_CTYPE_STRING char *
#define CFG_CTYPE_PATH char *
#define CFG_CTYPE_ADDRESS char *
#define CFG_CTYPE_ENUM char *
#define CFG_CTYPE_INT int64_t
#define CFG_CTYPE_SIZE int64_t
#define CFG_CTYPE_DURATION int64_t
#define CFG_CTYPE_BOOL bool

struct cfg {
#define CFG_ROW(field, name, type, min, max, choices, dflt, help) CFG_CTYPE_##type field;
#include "daemon/config_rows.h"
#undef CFG_ROW
	char *config_file; /* --config, or NULL */
};

struct cfg_setting {
	const char *name;
	enum cfg_type type;
	int64_t min, max;
	const char *choices; /* ENUM: "a|b|c" */
	const char *dflt;
	const char *help;
	size_t offset;       /* into struct cfg */
};

/* The table, in declaration order. */
const struct cfg_setting *cfg_settings(size_t *n);
const struct cfg_setting *cfg_find(const char *name);

/* Every field to its default. cfg_free releases the strings. */
int cfg_init(struct cfg *c);
void cfg_free(struct cfg *c);

/* Set one setting from its text form. On error returns -EINVAL (unknown name:
 * -ENOENT) and writes "why" (without position) into err. */
int cfg_set(struct cfg *c, const char *name, const char *value, char *err, size_t errlen);

/* Parse "key = value" lines ('#' comments, values optionally in double
 * quotes). Stops at the first error, which goes to d at name:line:column
 * (the key, or the value at fault) with the line and a caret. A key given
 * twice is an error. Returns 0, -EINVAL, or -ENOMEM. */
int cfg_parse_text(struct cfg *c, const char *name, const char *text, size_t len, struct diags *d);
/* The same for a file (at most 1 MiB); a file that cannot be read is an
 * error in d without position ("path: why"), and its negative errno. */
int cfg_load_file(struct cfg *c, const char *path, struct diags *d);

/* The whole start-up sequence: defaults, --config FILE, INNET_ADMIN_TOKEN,
 * then the flags (--name value or --name=value; a BOOL flag alone is true).
 * Returns 0; 1 when --help or --version was printed (exit 0); -EINVAL with
 * the reason in d (the file's errors with their position, a flag's as
 * "--flag: message"; exit 2). */
int cfg_load(struct cfg *c, int argc, char **argv, struct diags *d);
void cfg_usage(FILE *out, const char *prog);

/* The effective settings; secrets (admin-token) are redacted. */
json_t *cfg_to_json(const struct cfg *c);

/* Split an ADDRESS value. host must hold 16 bytes. */
int cfg_split_address(const char *addr, char *host, int *port);

/* ==== 2. the first start ==================================================== */
/* Start-up state: the first start seeds the registry from the configured
 * network and policy files; every start loads the current snapshot. */
/* Once per registry (meta "seeded"): store cfg->network as the first
 * snapshot and cfg->policy as the first policy. Thread: the main thread at
 * start-up. Errors: a negative errno; why goes to d ("file: why", then the
 * snapshot's diagnostics under the file's name); a registry error alone
 * leaves d empty. */
int seed_registry(struct registry *reg, const struct cfg *cfg, struct diags *d);
/* Parse the registry's current snapshot and make it the API's. A stored
 * snapshot that no longer validates is logged and skipped. Before ctl_new
 * (the statement runs on the calling thread). */
int seed_load_snapshot(struct api *api);
/* The same once the registry thread runs (api_registry_submit): read
 * there, parsed and served on the loop, then then(ud, rc) (0, or the
 * read's negative errno) is called on the loop. 0, or -ENOMEM /
 * -ESHUTDOWN: then is not called. */
int seed_load_snapshot_async(struct api *api, void (*then)(void *ud, int rc), void *ud);

/* ==== 3. the platform ======================================================= */
/* The platform inside innetd: the DPDK fast path and the module lifecycle
 * manager (src/dataplane, src/vm) started from innetd's settings, connected
 * to the controller (deploy installs a module, kill removes it, a restart
 * re-installs every deployed module of the registry), and its live state
 * shown by GET /v1/modules/{id} and GET /metrics.
 *
 * Loop thread only. */
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
/* A module's live state and counters as JSON, NULL when p does not run it:
 * "state", "backend", starts, packets, ..., and for stateful modules
 * "suspends", "resumes", "last_suspend_us", "last_resume_us",
 * "state_bytes" and "tables" ([{"element", "class", "entries",
 * "capacity", "full_drops"}]). */
json_t *plat_module_json(struct plat *p, int64_t id);

/* Where suspended modules' states go (docs/stateful.md): each state the
 * manager hands over (vm_config.on_suspend) replaces the module's row in
 * reg's module_state; a failed write is logged and counted (/metrics),
 * never fatal. Set before modules are installed; NULL: states are
 * dropped. The writes run on c's registry thread (ctl_registry_submit: a
 * copy of the state, counted when done; plat_free may come first); c
 * NULL: at once on the calling thread, which must own reg (tests). */
void plat_set_registry(struct plat *p, struct registry *reg, struct ctl *c);
/* vm_config.on_suspend of p's manager (arg: p): the state replaces
 * module id's row; a module already killed keeps none. Loop thread. */
void plat_on_suspend(void *arg, uint64_t id, const void *state, size_t len);
/* States stored and states the registry refused, since the start. */
void plat_state_stats(const struct plat *p, uint64_t *saves, uint64_t *failures);
/* For tests: a platform over a backend already made (vm_dummy_new), with
 * the manager set up from cfg like plat_start's; be is taken. */
struct vm_backend;
int plat_start_backend(const struct cfg *cfg, struct vm_backend *be, uv_loop_t *loop,
                       struct plat **out);
/* innetd's SIGTERM: suspend every running stateful module and store each
 * state (vm_suspend_all) before the registry closes. How many were
 * suspended (0 without a fast path), or a negative errno (logged). */
int plat_suspend_all(struct plat *p);

/* GET /metrics (Prometheus text, operator token): per-module packets,
 * bytes, drops and states, starts, suspends and resumes, per stateful
 * element its table's entries and full drops, fast-path totals, state
 * saves and failed ones, and *http_requests (counted by the caller). */
/* GET /metrics, with the daemon's HTTP request count, its HTTP server
 * (*http, set once it listens; NULL before), the controller's scheduler
 * and the registry watcher (*watch; NULL on SQLite). src is copied. */
struct watch;
struct plat_sources {
	const uint64_t *http_requests;
	struct http_server *const *http;
	const struct ctl *ctl;
	struct watch *const *watch;
};
int plat_register_routes(struct api *api, struct plat *p, const struct plat_sources *src);
/* True when p runs a fast path (dataplane is not none). */
bool plat_running(const struct plat *p);

/* ==== changes by other innetd (watch.c) ===================================== */
/* On a PostgreSQL registry, listen for what other innetd change (reloading
 * the snapshot, forgetting a changed tenant); nothing on SQLite (*out
 * NULL). Loop thread. */
struct watch;
struct watch_stats {
	bool up;                /* listening now */
	uint64_t connects;      /* listener (re)connections */
	uint64_t network, tenant, module, policy; /* notifications heard, by kind */
	uint64_t reports, report_failures;        /* live states stored for the others */
};
/* report_ms: how often the live states of this PoP's modules are stored in
 * the registry for the other innetd (0: never). */
int watch_start(uv_loop_t *loop, const char *spec, const char *pop, uint64_t report_ms,
                struct api *api, struct ctl *ctl, struct watch **out);
/* NULL w: zeros. */
void watch_stats(const struct watch *w, struct watch_stats *out);
/* Close; freed once its handles are. */
void watch_stop(struct watch *w);

#endif
