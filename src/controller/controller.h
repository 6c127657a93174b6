/* The controller: check, deploy, list and kill tenant modules, with the
 * security rules, verdicts, placement and addresses (docs/architecture.md);
 * and the re-check of every deployed module before a policy or network
 * change is stored (refused with the list of violations unless forced).
 *
 * No HTTP here: a request is a caller and its parsed JSON; the answer comes
 * through a completion callback as a status (numbered like HTTP, which the
 * API passes on) with a body, or an error code, message and details.
 *
 * Verification runs on the libuv thread pool against an immutable,
 * reference-counted network model; decisions that take capacity or
 * addresses are committed on the registry thread, one transaction each in
 * submission order, re-verifying when the snapshot, the platform's modules
 * or the tenant's modules changed meanwhile. Loop thread only, except the
 * functions marked "registry thread": every statement runs on the registry
 * thread (ctl_registry_submit below), so the requests and the platform's
 * installs answer and happen later, on the loop, in the done callback of
 * their read. */
#ifndef INNET_CONTROLLER_CONTROLLER_H
#define INNET_CONTROLLER_CONTROLLER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "base/diag.h"
#include "registry/registry.h"
#include "snapshot/snapshot.h"

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
	/* docs/stateful.md: an element of the graph that runs holds state
	 * (rt_graph_stateful); the tenant's per-module quotas (the flow
	 * mappings its tables hold together, the bytes of its state); the
	 * state saved at its last suspend (NULL: none), to deploy it
	 * suspended with. Borrowed for the call. */
	bool stateful;
	uint32_t flow_capacity;
	size_t mem_quota;
	const void *state;
	size_t state_len;
	/* The stock module it was deployed as (NULL: a tenant's own
	 * configuration) and its params (JSON text, NULL: none): a process
	 * module's program is rendered from them (ctl_process_exists,
	 * ctl_process_render). Borrowed for the call. */
	const char *stock;
	const char *params;
	/* A process module's program's memory limit in MiB: the entry's
	 * default bounded by the tenant's own memory_mb quota
	 * (docs/process-modules.md, "Quotas"); 0 for other modules. */
	uint32_t process_memory_mb;
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
	 * or NULL when the platform does not run it. A module's description
	 * shows it as "runtime"; its "state", "suspends", "resumes",
	 * "last_suspend_us", "last_resume_us", "state_bytes" and "tables"
	 * ([{"element", "class", "entries", "capacity", "full_drops"}]) are
	 * also the module's own. */
	json_t *(*describe)(void *ud, int64_t id);
	/* Optional (docs/operator.md): hold an installed module (its tenant is
	 * suspended: a running module stops, new flows do not start it) or
	 * release it (new flows start it again). 0 or a negative errno. */
	int (*hold)(void *ud, int64_t id, bool hold);
	/* Optional: the ids of the modules the platform holds now (at most
	 * cap of them into ids); how many it holds. */
	size_t (*installed)(void *ud, int64_t *ids, size_t cap);
	/* The platform runs process modules' programs (a process port:
	 * docs/process-sandbox.md). False: a check or deploy of a
	 * process-backed stock module is answered 409 process_unavailable. */
	bool processes;
};

/* How much of the operator's network a tenant's report shows
 * (tenant-report-detail; docs/privacy.md). */
enum ctl_detail {
	CTL_DETAIL_BOUNDARY, /* its modules in full, the operator's network as boundary hops */
	CTL_DETAIL_NONE,     /* verdicts and messages only: no traces */
	CTL_DETAIL_FULL,     /* everything, as the operator sees it */
};

struct ctl_limits {
	uint64_t max_steps;        /* symbolic steps per statement in modules (0: 3000) */
	uint64_t max_network_steps; /* and in the operator's network (0: 10,000,000) */
	uint64_t max_memory_mb;    /* MiB a job's parse and each statement may use (0: 64) */
	size_t max_config;         /* Click text bytes (0: 256 KiB) */
	uint64_t tenant_rps;       /* check/deploy requests per second of a tenant
	                            * without its own rps quota (0: 200; bursts of
	                            * twice as many) */
	unsigned max_inflight;     /* checks and deploys queued or running, all
	                            * tenants together (0: 1024; 503 busy above) */
	uint64_t deadline_ms;      /* answer 422 too_complex this long after the
	                            * job's work started (0: 10000) */
	/* scheduling (docs/architecture.md, "Scheduling checks and deploys") */
	unsigned workers;          /* jobs verified at once (0: 4); the daemon
	                            * gives libuv's pool at least as many threads */
	uint64_t queue_wait_ms;    /* a job still waiting for a worker this long is
	                            * answered 503 busy with Retry-After and never
	                            * run (0: 5000) */
	unsigned tenant_inflight;  /* checks and deploys of one tenant queued or
	                            * running, for tenants without their own
	                            * inflight quota (0: 8; 429 above) */
	/* per-module quotas of tenants without their own (docs/stateful.md) */
	uint64_t module_flows;     /* flow mappings (0: 65536) */
	uint64_t module_memory_mb; /* MiB of a stateful module's state (0: 16) */
	enum ctl_detail tenant_detail; /* what tenants' reports show (0: boundary) */
	uint64_t idem_retention_ms; /* Idempotency-Key answers are kept this long (0: 24 h) */
};

/* What the controller needs from its host: the loop, the registry and the
 * current snapshot (a new reference, or NULL before the first one). */
struct ctl_env {
	uv_loop_t *loop;
	struct registry *reg;
	struct snapshot *(*snapshot)(void *ud);
	void *snapshot_ud;
	/* this innetd's PoP (the pop setting; NULL: SNAPSHOT_DEFAULT_POP):
	 * modules placed on a platform another PoP serves are committed but
	 * not installed here (docs/pops.md). Must outlive the controller. */
	const char *pop;
};

/* Who asks (the API authenticated them). */
struct ctl_caller {
	int64_t tenant_id;
	enum reg_kind kind;
	/* Optional: has the caller gone (called with done's ud)? A queued job
	 * whose caller has gone is answered (503) without being run. */
	bool (*gone)(void *ud);
	bool admin; /* the operator's admin token: any tenant's module (get, kill) */
	/* Optional, deploys only (docs/pops.md, Idempotency-Key): the request's
	 * key (1 to REG_IDEM_KEY_MAX printable ASCII, checked by the caller)
	 * and a hash of its method, path and body (REG_HASH_LEN bytes). A
	 * retry gets the answer kept for the key (same module, same status);
	 * another request with the key 422 idempotency_key_reused; while the
	 * first is in flight, 409 idempotency_key_in_flight. NULL: none. */
	const char *idem_key;
	const uint8_t *idem_hash;
};

/* An answer. status >= 400: an error (code, message, details); otherwise
 * body or text (the same JSON, as text: large reports are serialized on a
 * worker), or neither (204). For the change re-checks, status 0 means "go
 * on and store the change", with body holding members to add to the
 * answer (may be NULL). audit: what the audit row of the call should hold
 * (may be NULL). Everything is borrowed for the duration of the call. */
struct ctl_answer {
	int status;
	json_t *body;
	const char *text;
	const char *code, *message;
	json_t *details;
	json_t *audit;
	unsigned retry_after; /* seconds, for a Retry-After header; 0: none */
	/* a verified request's time waiting for a worker and working, for a
	 * Server-Timing header (timed false: not a verification) */
	bool timed;
	uint64_t queue_us, work_us;
	/* a registry failure (negative errno; status 500 "internal"): the
	 * caller answers it as it answers a failed statement of its own (the
	 * API: 503 registry_unavailable when the database is unreachable, or
	 * the stale answer of a read; else 500). 0: none. */
	int rc;
};
typedef void (*ctl_done_fn)(void *ud, const struct ctl_answer *a);

/* Other innetd on the same registry changed module id (placed, killed,
 * changed; heard by daemon/watch.c): install it when it is live on a
 * platform of this PoP and not installed, remove it when it is installed
 * and no longer live there. Loop thread; the module is read on the
 * registry thread and installed or removed later, on the loop (a failure
 * is logged). */
void ctl_module_changed(struct ctl *c, int64_t id);
/* The same for every module: what the registry says is live on this PoP's
 * platforms is what the platform holds (after changes may have been
 * missed: a lost registry listener, a network reloaded). Loop thread: 0
 * when the live modules are being read (the installs and removals happen
 * when they arrive, and are logged with their count), or a negative errno
 * (nothing will happen). */
int ctl_reconcile(struct ctl *c);
/* Store the live state of every module the platform holds in the registry
 * (one transaction, on the registry thread), where the other innetd show
 * it for the modules of this PoP (`pop`). Loop thread: the states are
 * taken now; 0 and done(ud, rc) runs on the loop once stored (rc: how
 * many, or a negative errno; done may be NULL; it runs before returning
 * when there is no platform), or a negative errno and done never runs. */
int ctl_report_runtime(struct ctl *c, const char *pop, void (*done)(void *ud, int rc), void *ud);

/* What the scheduler has done since start, for /metrics: the refusals say
 * whether a tenant floods (rate, in flight) or the machine is short of
 * workers (queue full, queue wait), the deadlines whether checks are too
 * large for the settings. */
struct ctl_stats {
	unsigned queued, running;    /* jobs waiting for a worker, on one (now) */
	uint64_t started;            /* jobs handed to a worker */
	uint64_t refused_rate;       /* 429 rate_limited */
	uint64_t refused_inflight;   /* 429 too_many_requests (tenant-inflight) */
	uint64_t refused_full;       /* 503 busy: verify-max-inflight reached */
	uint64_t queue_timeouts;     /* 503 busy: waited verify-queue-wait-ms */
	uint64_t client_left;        /* 503 busy: its client left before a worker was free */
	uint64_t deadlines;          /* 422 too_complex: verify-deadline-ms passed */
	uint64_t backoffs;           /* deploys that lost a commit race 4 times or more and waited */
};
/* Loop thread. */
void ctl_stats(const struct ctl *c, struct ctl_stats *out);

/* Create the controller, decide the modules stored before schema version
 * 4 (on the caller's thread, which owns env->reg until then), then start
 * the registry thread; the modules are installed through the platform ops
 * once they are set. lim may be NULL (defaults). */
int ctl_new(const struct ctl_env *env, const struct ctl_limits *lim, struct ctl **out);
/* Connect the platform; every live module of the registry is installed,
 * with its tenant's quotas and its saved state, when they have been read
 * on the registry thread (0: the read is submitted; a failure of the read
 * is logged). ops without install: nothing more is installed (a stop). */
int ctl_set_platform_ops(struct ctl *c, const struct ctl_platform_ops *ops);
/* Stop the registry thread: what is queued runs, then its done callbacks,
 * and the thread's loop handle is closed (run the loop once more for its
 * close callback). After the loop has run dry on a stop, so that the last
 * commits and saved states were submitted; r is the caller's thread's
 * again. */
void ctl_close(struct ctl *c);
/* After the loop has stopped (no job may be in flight). */
void ctl_free(struct ctl *c);

/* --- the registry thread (regthread.c) ----------------------------------
 * ctl_new starts it: from then on every statement of innetd runs there
 * (registry.h, reg_worker_*), submitted by the controller, the API and the
 * daemon alike through ctl_registry_submit; done(arg, rc) runs on the
 * loop. While work is outstanding the loop stays alive. 0, -ENOMEM,
 * -ESHUTDOWN (after ctl_close). Loop thread. */
int ctl_registry_submit(struct ctl *c, reg_work_fn work, reg_done_fn done, void *arg);
/* Was the registry's database reachable at its last statement? */
bool ctl_registry_available(const struct ctl *c);
void ctl_registry_stats(const struct ctl *c, struct reg_worker_stats *out);

/* The requests. Each calls done exactly once, before or after returning 0
 * (req is only read before returning); a negative errno means done was not
 * and will not be called. */

/* Verify req ({"name", "config" | "stock" + "params", "requirements",
 * "inline"}) and answer the verdict with its report (200), without
 * deploying. */
int ctl_check(struct ctl *c, const struct ctl_caller *who, json_t *req, ctl_done_fn done,
              void *ud);
/* Verify req and deploy the module where it is safe (201): on any
 * platform of the snapshot, this PoP's first (docs/pops.md); one another
 * PoP serves is committed, answered with "state": "placed" and its "pop",
 * and not installed here. */
int ctl_deploy(struct ctl *c, const struct ctl_caller *who, json_t *req, ctl_done_fn done,
               void *ud);
/* The caller's modules, newest first ({"modules": [...]}); killed ones too
 * with with_killed. */
int ctl_list(struct ctl *c, const struct ctl_caller *who, bool with_killed, ctl_done_fn done,
             void *ud);
/* The caller's module id with its report (404 for another tenant's; the
 * admin sees any). */
int ctl_get(struct ctl *c, const struct ctl_caller *who, int64_t id, ctl_done_fn done, void *ud);
/* Kill the caller's module id (204; the admin kills any). */
int ctl_kill(struct ctl *c, const struct ctl_caller *who, int64_t id, ctl_done_fn done, void *ud);

/* ==== operator controls over a tenant (tenants.c, docs/operator.md) ==== */
/* Modules read on the registry thread for the loop: the rows (v, id
 * order), the state saved for each (st, with CTL_MODULES_STATES: the
 * bytes of the stateful ones; with CTL_MODULES_STATE_SIZES: the size of
 * any live one's; NULL: not read), and the rows of their tenants (t, with
 * CTL_MODULES_TENANTS). A state or tenant row that cannot be read is left
 * out. Owned by the caller: ctl_modules_release on either thread. */
struct ctl_modules {
	struct reg_module *v;
	size_t n;
	struct reg_module_state *st; /* per module; saved_at NULL: none */
	struct reg_tenant *t;
	size_t nt;
};
enum { CTL_MODULES_STATES = 1, CTL_MODULES_TENANTS = 2, CTL_MODULES_STATE_SIZES = 4 };
/* Registry thread: the live modules of tenant (0: all), with what `what`
 * asks. 0 or a negative errno (out is empty then). */
int ctl_modules_read(struct registry *r, int64_t tenant, unsigned what, struct ctl_modules *out);
/* Registry thread, inside the caller's transaction (reg_begin ..
 * reg_commit): kill every live module of tenant; out lists them as they
 * were. 0 or a negative errno (roll back: nothing killed). */
int ctl_modules_kill(struct registry *r, int64_t tenant, struct ctl_modules *out);
void ctl_modules_release(struct ctl_modules *m);
/* Loop thread. The registry says the tenant is suspended (hold) or not any
 * more: hold or release its live modules m (ctl_modules_read of the
 * tenant, after the registry's change; CTL_MODULES_STATES when !hold, so
 * that a stateful module with a saved state is installed again with it).
 * How many modules (m->n). */
int ctl_tenant_hold(struct ctl *c, int64_t tenant, bool hold, const struct ctl_modules *m);
/* The tenant's quotas, addresses or whitelist changed: forget what was
 * read of them (rate, per-module quotas); checks that start from now on
 * use the new ones. */
void ctl_tenant_changed(struct ctl *c, int64_t tenant);
/* Loop thread, after ctl_modules_kill's transaction committed: remove the
 * killed modules m from the platform and count them as gone; *ids (may be
 * NULL) gets a new JSON array of their ids. How many (m->n). */
int ctl_tenant_killed(struct ctl *c, int64_t tenant, const struct ctl_modules *m, json_t **ids);

/* Before a policy statement text is added: it must parse (400), and every
 * deployed module must keep satisfying it (409 policy_conflict unless
 * force). Status 0 when it may be stored, with body {"violations",
 * "network"} once modules were checked. */
int ctl_policy_recheck(struct ctl *c, const char *text, bool force, ctl_done_fn done, void *ud);
/* Before s becomes the network: every deployed module must keep its
 * requirements and the policies on it (409 network_conflict unless force). */
int ctl_network_recheck(struct ctl *c, struct snapshot *s, bool force, ctl_done_fn done,
                        void *ud);

/* After s replaced old (NULL: none) as the network: the modules of a
 * platform that this innetd serves now and did not are installed, those
 * of one it served and does not any more are removed from its fast path
 * (they stay committed: the PoP serving it installs them; docs/pops.md).
 * The live modules are read on the registry thread: this happens when
 * they arrive (references to old and s are kept until then). */
void ctl_network_stored(struct ctl *c, const struct snapshot *old, const struct snapshot *s);

/* ==== stock modules ========================================================= */
/* Stock modules: vetted Click templates with typed parameters.
 * A tenant names one ("stock": "reverse-proxy") and gives its parameters;
 * the controller checks them (type, bounds, required) and expands the
 * template into Click text, which is then verified like any other
 * configuration (so a stock module is never trusted blindly).
 * Constant data only: safe from any thread. */
/* The catalogue as JSON: [{"name", "summary", "params": [{"name", "type",
 * "required", "default", "min", "max", "doc"}], "template", "stateful",
 * "stateful_elements": [{"element", "class"}]}] (what the template's
 * elements hold, whatever the parameters: docs/stateful.md). New ref. */
json_t *ctl_stock_list_json(void);
/* True when `name` is a stock module. */
int ctl_stock_exists(const char *name);

/* Expand stock module `name` with `params` (an object or NULL). Returns 0
 * and *click (malloc'd Click text); or -ENOENT (no such module) /
 * -EINVAL with an error in d whose file is the parameter's JSON path
 * ("params.port"). */
int ctl_stock_instantiate(const char *name, json_t *params, char **click, struct diags *d);

/* ==== process-backed stock modules ========================================= */
/* The operator's catalogue of stock modules that are programs (nginx,
 * unbound, squid) run in a sandbox (docs/process-modules.md). A tenant
 * deploys one as any stock module ("stock": NAME, "params": {...}): the
 * parameters are checked as the Click templates' are and the module's
 * Click text is the wrapper CTL_PROCESS_WRAPPER, verified as any module;
 * FromProcess originates every packet, so the verdict comes from the
 * sandbox (sandboxed for third parties and clients, safe for the
 * operator's own). ctl_stock_exists, ctl_stock_list_json ("kind":
 * "process") and ctl_stock_instantiate cover these entries too. */
#define CTL_PROCESS_WRAPPER "FromNetFront() -> ToProcess();\nFromProcess() -> ToNetFront();\n"

struct ctl_proccat; /* a parsed catalogue (opaque) */

/* Parse a catalogue: {"modules": [{"name", "summary", "package", "argv",
 * "files": [{"path", "template"}], "params": [{"name", "type", "doc",
 * "required", "default", "min", "max", "choices"}], "listen": [{"proto",
 * "port"}], "quota": {"memory_mb", "cpu_percent", "pids", "min_memory_mb"}}]}.
 * `file` names
 * it in errors: JSON syntax at file:line:column, the rest at the entry's
 * JSON path ("file: modules[0].params[1]"). 0 and *out, -EINVAL with
 * diagnostics in d, -ENOMEM. Any thread. */
int ctl_proccat_parse(const char *file, const char *text, size_t len, struct ctl_proccat **out,
                      struct diags *d);
/* ctl_proccat_parse of a file (at most 1 MiB); -EINVAL when unreadable. */
int ctl_proccat_load(const char *path, struct ctl_proccat **out, struct diags *d);
void ctl_proccat_free(struct ctl_proccat *c);
/* Make c the process's catalogue (it takes c; NULL: none), freeing the one
 * before. Once at start, before any other thread reads it (innetd's main;
 * tests); afterwards constant and readable from any thread. */
void ctl_proccat_install(struct ctl_proccat *c);
/* Whether a program is on this host: 0, or a negative errno with the
 * reason in err (vm_process_find_program; the controller does not look at
 * the host itself). */
typedef int (*ctl_find_program_fn)(const char *prog, char *err, size_t errlen);
/* Ask `find` for each entry's program (argv[0]) before installing c: an
 * entry whose program is missing stays listed ("installed": false) and a
 * check or deploy of it is answered 409 process_unavailable with the
 * package to install, instead of failing at its first packet. How many
 * are missing; ctl_proccat_missing gives the i-th (0 past the last). */
size_t ctl_proccat_find_programs(struct ctl_proccat *c, ctl_find_program_fn find);
size_t ctl_proccat_missing(const struct ctl_proccat *c, size_t i, const char **name, const char **why);
/* True when `name` is an entry of the installed catalogue. Any thread. */
int ctl_process_exists(const char *name);
/* Why entry `name`'s program cannot run here (ctl_proccat_find_programs),
 * NULL when it can or was not asked. Any thread. */
const char *ctl_process_missing(const char *name);
/* Entry `name`'s memory in MiB: its default quota and the least its
 * program runs in (0: the entry declares none). 0, or -ENOENT. Any
 * thread. */
int ctl_process_memory(const char *name, uint32_t *memory_mb, uint32_t *min_mb);
/* The installed entries as GET /v1/stock lists them: {"name", "kind":
 * "process", "summary", "params", "template" (the wrapper), "package",
 * "listen", "quota", "installed", ...}. New ref. */
json_t *ctl_process_list_json(void);
/* Check params against entry `name` and give its wrapper Click text
 * (malloc'd): 0, -ENOENT (no such entry), -EINVAL with the error's file
 * the parameter's JSON path ("params.origin"), -ENOMEM. */
int ctl_process_wrapper(const char *name, json_t *params, char **click, struct diags *d);

/* A non-operator tenant's values of entry `name`'s "own" parameters
 * (prefixes its own devices use, as the explicit proxy's clients) must
 * lie within its prefixes `own`: 0, -EINVAL with the first one that does
 * not at its JSON path ("params.clients[1]"), -ENOENT (no such entry).
 * params_json as ctl_process_render takes it. Any thread. */
int ctl_process_check_own(const char *name, const char *params_json, const struct inet_prefix *own,
                          size_t nown, struct diags *d);

/* What the platform needs to start an entry's program. */
struct ctl_process_file {
	char *path; /* dir/NAME */
	char *text; /* the rendered template */
};
struct ctl_process_port {
	uint8_t proto; /* 6 tcp, 17 udp */
	uint16_t port;
};
struct ctl_process {
	char *package;                /* the Debian package that provides argv[0] */
	char **argv;                  /* NULL-terminated, rendered */
	struct ctl_process_file *files;
	size_t nfiles;
	struct ctl_process_port *listen; /* the ports the program listens on */
	size_t nlisten;
	uint32_t memory_mb, cpu_percent, pids; /* the entry's default quotas */
};
/* Render entry `stock` with the module's stored params (the registry's
 * params column, JSON text; NULL or "" for none) for a program whose
 * scratch directory is `dir` (absolute; @{dir} in templates). Pure: any
 * thread, reads only the installed catalogue. 0 and *out (free with
 * ctl_process_free); -ENOENT (no such entry), -EINVAL (params or dir
 * refused), -ENOMEM; the reason in err. */
int ctl_process_render(const char *stock, const char *params_json, const char *dir,
                       struct ctl_process *out, char *err, size_t errlen);
void ctl_process_free(struct ctl_process *p);

#endif
