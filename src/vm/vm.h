/* Module lifecycle on a platform (docs/architecture.md).
 *
 * A deployed module costs a classifier entry and its configuration text; it
 * is instantiated when the first packet of a new flow for it arrives (the
 * fast path holds that packet and signals), within per-tenant and global
 * start-rate limits, and stopped again (memory freed) after it has been
 * idle for a while when it is stateless. Stateful modules are suspended
 * when idle by backends that can (native: state saved with rt_module_save,
 * running memory freed; resumed by their next packet of ANY kind, that
 * packet held and processed first) or kept running; they run under a
 * memory quota and a flow quota.
 *
 * Backends (struct vm_backend): `native` runs modules in the DPDK fast path
 * with the built-in Click runtime; `xen` boots ClickOS domains through
 * libxl (refused with a clear error where there is no hypervisor); `dummy`
 * records calls for tests. Every backend exists in every build: without
 * DPDK or libxl they refuse to start with a message saying why.
 *
 * Threads: everything here runs on the control thread (innetd's loop). */
#ifndef INNET_VM_VM_H
#define INNET_VM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"
#include "click/click.h"
#include "dataplane/dataplane.h"

struct vm_mgr;
struct vm_backend;
struct uv_loop_s;

enum vm_state {
	VM_DEPLOYED,  /* verified, addressed, not running */
	VM_STARTING,  /* a first packet arrived; the backend is building it */
	VM_RUNNING,
	VM_IDLE,      /* running, no packet for idle_ms (stateful: kept) */
	VM_SUSPENDED, /* stateful, state saved by the backend */
	VM_STOPPED,   /* stopped by the operator: first packets do not start it */
};
const char *vm_state_name(enum vm_state s);

/* What a backend needs to run one module. Strings are copied. */
struct vm_module_spec {
	uint64_t id;
	uint64_t tenant;
	const char *name;            /* for logs and domain names */
	const char *click;           /* the configuration to run (with the
	                              * controller's ChangeEnforcer when sandboxed) */
	const struct click_define *defines; /* $MODULE_IP, ... */
	size_t ndefines;
	struct dp_module_key key;    /* address (and proto/port) it serves */
	bool stateful;               /* keeps state that must outlive idling (the
	                              * controller decides): never stopped when idle */
	size_t mem_quota;            /* stateful modules' block limit (0: mgr default) */
	uint32_t flow_capacity;      /* the module's flow quota: mappings its
	                              * tables hold together (0: runtime default) */
	/* A state saved by an earlier suspend (rt_module_save's bytes, kept
	 * in the registry): the module is deployed suspended and resumes
	 * with it on its next packet of any kind. NULL: none. Copied. */
	const void *state;
	size_t state_len;
	/* xen */
	const char *image;           /* ClickOS kernel (NULL: mgr's xen_image) */
	uint32_t memory_mb;          /* 0: 8 */
};

/* ---- backends -------------------------------------------------------------- */

/* One stateful element's table (rt_table_stats with its element). */
struct vm_table_info {
	char elem[64];   /* element name (truncated) */
	char cls[32];    /* its class */
	uint64_t entries, capacity, full_drops;
};


/* Backend -> manager notifications (a backend calls vm_mgr_notify). */
enum vm_note {
	VM_NOTE_NEW_FLOW,   /* first packet of a new flow for a module without a
	                     * program, or any packet of a suspended one (ev->wake) */
	VM_NOTE_STARTED,    /* start finished (status 0 or negative errno) */
	VM_NOTE_STOPPED,    /* stop finished */
	VM_NOTE_RESUMED,    /* resume finished: the held packets went through the
	                     * module. status 0; VM_RESUMED_FRESH when the saved state
	                     * did not load and the module started with a fresh one;
	                     * or a negative errno (it stays suspended) */
};
#define VM_RESUMED_FRESH 1

struct vm_backend_ops {
	const char *name;
	/* Prepare a module (parse and check, build a domain configuration,
	 * add its classifier entry) without running it. */
	int (*create)(struct vm_backend *be, const struct vm_module_spec *spec, void **inst,
	              struct diags *d);
	/* Start it: completion is VM_NOTE_STARTED (possibly before returning). */
	int (*start)(struct vm_backend *be, void *inst);
	/* Stop it and free its running memory; it stays deployed. Completion is
	 * VM_NOTE_STOPPED. Also refuses a pending start (drops held packets). */
	int (*stop)(struct vm_backend *be, void *inst);
	/* Suspend a running module: save its state and free its running
	 * memory; completion is vm_mgr_suspended (possibly before returning).
	 * The module stays addressed and any packet for it is held and
	 * announced (VM_NOTE_NEW_FLOW). -ENOTSUP when it cannot (NULL: same). */
	int (*suspend)(struct vm_backend *be, void *inst);
	/* Resume a suspended module with its saved state, held packets
	 * first; completion is VM_NOTE_RESUMED. */
	int (*resume)(struct vm_backend *be, void *inst);
	/* Forget the module (stopping it first). */
	void (*destroy)(struct vm_backend *be, void *inst);
	/* Counters of the module (packets, bytes, memory); -ENOTSUP if none. */
	int (*stats)(struct vm_backend *be, void *inst, struct dp_module_stats *st);
	/* Optional: the tables of the module's stateful elements, of the
	 * running module or as captured at its last suspend: fills up to max,
	 * returns how many it has. */
	int (*tables)(struct vm_backend *be, void *inst, struct vm_table_info *out, size_t max);
	/* Optional: wait until every suspend, resume, start and stop asked
	 * so far has completed and been reported (vm_suspend_all). */
	void (*sync)(struct vm_backend *be);
	void (*free)(struct vm_backend *be);
	/* create takes spec.state: the module starts suspended with it. */
	bool saved_state;
};

struct vm_backend {
	const struct vm_backend_ops *ops;
	struct vm_mgr *mgr; /* set by vm_mgr_new */
};

/* Called by backends. */
void vm_mgr_notify(struct vm_mgr *mgr, uint64_t id, enum vm_note note, int status,
                   const struct dp_event *ev);
/* A suspend finished: status 0, the running memory is freed and `state`
 * (len bytes, valid during the call) is what the module resumes with (the
 * manager hands it to on_suspend; NULL: the backend keeps the state
 * itself, as xen's paused domain, and on_suspend is not called); or a
 * negative errno, and the module runs on as before. */
void vm_mgr_suspended(struct vm_mgr *mgr, uint64_t id, int status, const void *state, size_t len);

/* The native backend: starts the fast path with `c` (its event callback
 * is taken over) and runs modules in it. Fails like dp_start. */
int vm_native_new(const struct dp_config *c, struct vm_backend **out, char *err, size_t errlen);
/* The fast path under a native backend (NULL for others). */
struct dp *vm_native_dp(struct vm_backend *be);

/* The xen backend: libxl and ClickOS. Fails with -ENODEV and a message
 * when there is no hypervisor, -ENOTSUP when built without libxl. */
int vm_xen_new(struct vm_backend **out, char *err, size_t errlen);
/* The xl configuration (xl.cfg(5)) the xen backend creates a module's
 * ClickOS domain from; the Click configuration travels in xenstore.
 * Pure: works without a hypervisor. Returns malloc'd text or NULL. */
char *vm_xen_domain_config(const struct vm_module_spec *spec, const char *default_image,
                           char *err, size_t errlen);

/* The same domain as libxl's own JSON (libxl_domain_config_to_json),
 * built with real libxl calls; NULL with a reason when built without
 * libxl. Works without a hypervisor. */
char *vm_xen_libxl_json(const struct vm_module_spec *spec, const char *default_image,
                        char *err, size_t errlen);

/* The dummy backend for tests: create/start/stop succeed and are counted;
 * starts complete when vm_dummy_complete is called (or at once when
 * `sync_start`). */
struct vm_dummy_counts {
	uint32_t creates, starts, stops, destroys, suspends, resumes;
	uint32_t pending_starts;
	uint32_t created_suspended;  /* creates with spec.state */
};
struct vm_backend *vm_dummy_new(bool sync_start);
void vm_dummy_counts(const struct vm_backend *be, struct vm_dummy_counts *c);
/* Finish every pending start (status 0 or an error). */
void vm_dummy_complete(struct vm_backend *be, int status);
/* Suspends and resumes complete at once: a suspend saves the state
 * "dummy:<id>" (and a table of one entry per packet seen), a resume from a
 * state that does not start with "dummy:" reports VM_RESUMED_FRESH. */
/* Pretend the fast path saw a new flow / a packet for module `id` (for a
 * suspended module any packet wakes it). */
void vm_dummy_packet(struct vm_backend *be, uint64_t id, uint64_t now_ns);

/* ---- the manager ----------------------------------------------------------- */

struct vm_config {
	uint32_t idle_ms;            /* stop stateless modules idle this long (0: 30000) */
	double starts_per_s;         /* global start rate (0: 1000) */
	uint32_t start_burst;        /* global bucket size (0: 100) */
	double tenant_starts_per_s;  /* per tenant (0: 50) */
	uint32_t tenant_burst;       /* (0: 10) */
	size_t stateful_quota;       /* default mem_quota (0: 1 MiB) */
	uint32_t max_modules;        /* 0: 100000 */
	const char *xen_image;       /* default ClickOS image */
	/* When set, the manager runs its idle check on this loop every
	 * tick_ms (0: 100); otherwise call vm_mgr_tick. */
	struct uv_loop_s *loop;
	uint32_t tick_ms;
	/* A stateful module was suspended: `state` is its saved state, valid
	 * during the call (the callee copies it, e.g. into the registry, one
	 * row per module replaced on each suspend). NULL: nobody is told. */
	void (*on_suspend)(void *arg, uint64_t id, const void *state, size_t len);
	void *on_suspend_arg;
};
void vm_config_init(struct vm_config *c);

/* The manager owns `be` from now on (freed by vm_mgr_free). */
int vm_mgr_new(const struct vm_config *c, struct vm_backend *be, struct vm_mgr **out);
void vm_mgr_free(struct vm_mgr *mgr);

/* Deploy: the module is addressed and classified but not running; it
 * starts on the first packet of a new flow. 0, -EEXIST, -ENOSPC, or the
 * backend's error with diagnostics (-EINVAL for a bad configuration). */
int vm_deploy(struct vm_mgr *mgr, const struct vm_module_spec *spec, struct diags *d);
/* Start now (regardless of traffic and rate limits). */
int vm_start(struct vm_mgr *mgr, uint64_t id);
/* Stop; with `hold_off` the module is VM_STOPPED (packets do not start it
 * until vm_start), otherwise it returns to VM_DEPLOYED. */
int vm_stop(struct vm_mgr *mgr, uint64_t id, bool hold_off);
/* Kill: stop and forget. */
int vm_remove(struct vm_mgr *mgr, uint64_t id);
/* Suspend a running stateful module now (as the idle check does): its
 * state goes to on_suspend and its running memory is freed; it resumes on
 * its next packet of any kind, that packet held and processed first.
 * Returns once asked: the native backend completes when the fast path let
 * go of the module (the next turn of the loop, or dp_poll/vm_suspend_all).
 * 0, -ENOENT, -EALREADY (not running), -ENOTSUP (stateless, or the
 * backend cannot). */
int vm_suspend(struct vm_mgr *mgr, uint64_t id);
/* Suspend every running stateful module and wait (the backend's sync:
 * dp_sync) until each state was handed to on_suspend (innetd's SIGTERM).
 * How many suspends completed meanwhile (those already under way count),
 * or a negative errno. */
int vm_suspend_all(struct vm_mgr *mgr);
/* Idle check (called by the loop timer when the config has a loop). */
void vm_mgr_tick(struct vm_mgr *mgr, uint64_t now_ns);

struct vm_module_info {
	enum vm_state state;
	uint64_t tenant;
	bool stateful;
	uint64_t starts, stops;          /* completed */
	uint64_t refused_starts;         /* rate limited */
	uint64_t failed_starts;          /* the backend failed */
	uint64_t last_start_ns;          /* first packet seen -> running (0: none yet) */
	struct dp_module_stats dp;       /* packets, bytes, drops, held, memory */
	uint64_t suspends, resumes;      /* completed */
	uint64_t last_suspend_ns;        /* idle decision -> running memory freed */
	uint64_t last_resume_ns;         /* held packet -> module running again and
	                                  * the held packets processed */
	size_t state_bytes;              /* the last saved state (0: none) */
	uint64_t load_failures;          /* saved states that did not load: the
	                                  * module started fresh (logged) */
};
int vm_module_info(const struct vm_mgr *mgr, uint64_t id, struct vm_module_info *info);

/* The tables of a module's stateful elements (rt_table_stats by
 * element): of the running module, or as saved at its last suspend.
 * Fills up to max entries; returns how many the module has (0 for a
 * stateless module or one that never ran). */
int vm_module_tables(const struct vm_mgr *mgr, uint64_t id, struct vm_table_info *out, size_t max);

struct vm_mgr_stats {
	uint64_t modules, running, starting;
	uint64_t starts, stops, refused_starts, failed_starts, idle_stops;
	uint64_t suspended, suspends, resumes;  /* suspended: now */
	uint64_t load_failures;
};
void vm_mgr_stats(const struct vm_mgr *mgr, struct vm_mgr_stats *st);

/* The backend (for vm_native_dp and tests). */
struct vm_backend *vm_mgr_backend(struct vm_mgr *mgr);

#endif
