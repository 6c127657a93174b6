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
 * libxl (refused with a clear error where there is no hypervisor);
 * `process` wraps another backend and runs a module that is a program
 * (nginx, a DNS server) sandboxed beside its Click wrapper; `dummy`
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
	VM_FAILED,    /* its program failed for good (process backend: out of
	               * memory, or crashing again and again): first packets do
	               * not start it; vm_start does */
};
const char *vm_state_name(enum vm_state s);

/* A module that is a program (the process backend, docs/process-sandbox.md):
 * run sandboxed in a network namespace of its own joined to the fast path,
 * beside a Click wrapper (the module's `click`). Everything is copied. */
struct vm_process_file {
	const char *name;      /* relative to the scratch directory; no "..";
	                        * may contain '/': the directories are made */
	const char *content;
	size_t len;            /* bytes, written as they are; 0: text, strlen
	                        * (content), "@SCRATCH@" replaced as in argv */
};
struct vm_process_port {
	uint8_t proto;         /* 6 (TCP: a socket in LISTEN) or 17 (UDP: bound) */
	uint16_t port;         /* host order */
};
enum vm_restart {
	VM_RESTART_ON_FAILURE, /* an exit or a crash while running: restarted
	                        * with backoff (not an OOM kill: failed) */
	VM_RESTART_NEVER,      /* any end of the program: failed */
};
struct vm_process_spec {
	const char *const *argv;     /* NULL-terminated; argv[0] absolute or on PATH.
	                              * "@SCRATCH@" anywhere in an argument is
	                              * replaced by the scratch directory */
	const char *const *env;      /* "K=V", NULL-terminated (NULL: PATH only) */
	const struct vm_process_file *files; /* written before each start */
	size_t nfiles;
	uint32_t uid, gid;           /* 0: nobody / nogroup (root is refused) */
	uint64_t mem_bytes;          /* memory limit (0: none, not advised) */
	uint32_t cpu_shares;         /* relative weight (0: 1024) */
	uint32_t cpu_quota_us;       /* per 100 ms (0: no quota) */
	uint32_t pids_max;           /* processes and threads (0: 64) */
	const struct vm_process_port *ports; /* what "listening" means: every one */
	size_t nports;
	enum vm_restart restart;
	uint32_t start_timeout_ms;   /* start -> listening (0: the backend's) */
};

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
	/* process: the program beside the Click wrapper (NULL: a Click
	 * module). Only the process backend accepts it (others: -ENOTSUP).
	 * The manager treats it as stateful: frozen when idle, not stopped. */
	const struct vm_process_spec *process;
};

/* ---- backends -------------------------------------------------------------- */

/* The program of a process module, as vm_module_info shows it. */
enum vm_proc_state {
	VM_PROC_NONE,        /* not started (or stopped: nothing left) */
	VM_PROC_STARTING,    /* netns, sandbox, waiting until it listens */
	VM_PROC_RUNNING,
	VM_PROC_FROZEN,      /* suspended: cgroup frozen, memory and sockets kept */
	VM_PROC_RESTARTING,  /* ended; started again after `backoff_ms` */
	VM_PROC_STOPPING,    /* SIGTERM sent, cleaning up */
	VM_PROC_FAILED,      /* given up: `reason`, `error` */
};
const char *vm_proc_state_name(enum vm_proc_state s);
struct vm_process_info {
	enum vm_proc_state state;
	char reason[16];          /* failed: "memory", "crash", "start", "exit" */
	char error[256];          /* the last failure or exit in one line */
	uint64_t restarts;        /* restarts after an exit or a crash (life) */
	uint32_t backoff_ms;      /* the next (or current) restart's delay */
	char last_exit[16];       /* vm__sbx reason: exited, signaled, oom, ... ("") */
	int last_status;          /* its exit status or signal */
	int pid;                  /* the sandbox's launcher (0: none) */
	uint64_t mem_bytes, mem_peak_bytes, cpu_ns, pids, oom_kills;
	uint64_t log_bytes, log_dropped;
};

/* One stateful element's table (rt_table_stats with its element). */
struct vm_table_info {
	char elem[64];   /* element name (truncated) */
	char cls[32];    /* its class */
	uint64_t entries, capacity, full_drops;
	uint64_t drops, refused_source, refused_destination;
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
	VM_NOTE_FAILED,     /* a running (or suspended) module's program failed for
	                     * good; the backend stopped it: status -ENOMEM (out of
	                     * memory) or -ECHILD (it kept ending); VM_FAILED */
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
	/* Optional, for a backend wrapping another (process): every
	 * notification and suspend report (the inner backend's too) is shown
	 * to it first; true when it took it (it reports the module's own
	 * later). */
	bool (*intercept)(struct vm_backend *be, uint64_t id, enum vm_note note, int status,
	                  const struct dp_event *ev);
	bool (*intercept_suspended)(struct vm_backend *be, uint64_t id, int status,
	                            const void *state, size_t len);
	/* Optional: the program of a process module (false: none). */
	bool (*process)(struct vm_backend *be, void *inst, struct vm_process_info *out);
	/* Optional: its log (stdout and stderr), newest len bytes. */
	size_t (*log)(struct vm_backend *be, void *inst, char *buf, size_t len, uint64_t *dropped);
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
/* The fast path under a native backend, or a process backend around
 * one (NULL for others). */
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

/* The process backend: modules with spec.process run their program
 * sandboxed (bubblewrap, namespaces, cgroup, seccomp: src/vm/sandbox.c)
 * in a network namespace of their own beside their Click wrapper, run by
 * `inner` (native in innetd, dummy in tests); modules without go straight
 * to `inner`. Owns `inner` once it returns 0 (on an error the caller
 * still does). The config's strings are copied. First it removes what a
 * crashed innetd left: <prefix><digits> network namespaces, cgroups (their
 * processes killed) and scratch directories (blocking: call it at start;
 * one prefix per innetd on a host). Loop thread (cfg.loop); after
 * vm_mgr_free, turn the loop until the programs still stopping are gone
 * (each frees its part; the last frees the backend). Lifecycle and
 * failures: src/vm/README.md, "The process backend". */
struct vm_process_config {
	struct uv_loop_s *loop;     /* required */
	/* Join the module's namespace `netns` (under /run/netns) to the fast
	 * path with its address ip (host order), before the program starts
	 * (the platform: dp_process_link): 0 or a negative errno (the start
	 * fails). detach undoes it once the program is gone. Loop thread. */
	int (*attach)(void *ud, uint64_t module_id, const char *netns, uint32_t ip);
	void (*detach)(void *ud, uint64_t module_id);
	void *ud;
	const char *prefix;         /* names: <prefix><id> is the sandbox, its
	                             * netns, cgroup and scratch (NULL: "innet-p") */
	const char *scratch_root;   /* NULL: /var/lib/innet/sandbox */
	const char *cgroup_parent;  /* NULL: "innet-sandbox" */
	size_t log_bytes;           /* per module (0: 64 KiB) */
	uint32_t grace_ms;          /* SIGTERM -> SIGKILL (0: 2000) */
	uint32_t start_timeout_ms;  /* start -> listening (0: 10000) */
	uint32_t restart_min_ms;    /* first backoff (0: 500), doubling to */
	uint32_t restart_max_ms;    /* (0: 30000) */
	uint32_t restart_reset_ms;  /* running this long forgets the failures (0: 60000) */
	uint32_t max_restarts;      /* in a row without such a run -> failed "crash" (0: 10) */
};
int vm_process_new(struct vm_backend *inner, const struct vm_process_config *cfg,
                   struct vm_backend **out, char *err, size_t errlen);
/* Whether a program a spec with no env would run (argv[0]: absolute, or
 * on the sandbox's default PATH) is on this host: 0, or -ENOENT / -EACCES
 * with the reason in err. What innetd asks of each catalogue entry at
 * start, so a module whose package is missing is refused at deploy.
 * Any thread. */
int vm_process_find_program(const char *prog, char *err, size_t errlen);
/* The inner backend (vm_dummy_* in tests), NULL when `be` is not a
 * process backend. vm_native_dp sees through it. */
struct vm_backend *vm_process_inner(struct vm_backend *be);

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
	uint64_t failures;               /* VM_NOTE_FAILED: its program given up on */
	int last_failure;                /* that note's status (0: none) */
	bool is_process;                 /* a program's module: `process` is filled */
	struct vm_process_info process;  /* as vm_module_process */
};
int vm_module_info(const struct vm_mgr *mgr, uint64_t id, struct vm_module_info *info);
/* Process modules: the program's state and figures (-ENOENT: no such
 * module, -ENOTSUP: not a process module). */
int vm_module_process(const struct vm_mgr *mgr, uint64_t id, struct vm_process_info *out);
/* Process modules: the program's stdout and stderr, the newest cap bytes
 * (oldest first) into buf (not terminated), *len how many (what the bounded
 * log lost: vm_process_info.log_dropped). Kept after the program ends
 * until its next start. 0, -ENOENT, -ENOTSUP. */
int vm_module_log(const struct vm_mgr *mgr, uint64_t id, char *buf, size_t cap, size_t *len);

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
