/* Private to src/vm: what the xen backend's files share, and the process
 * sandbox (sandbox*.c) the process backend will sit on (issue 15). */
#ifndef INNET_VM_INTERNAL_H
#define INNET_VM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vm/vm.h"

#define VM_XEN_DEFAULT_MB 8
#define VM_XEN_BRIDGE "innet0"
/* Where ClickOS reads its configuration and where its control sits. */
#define VM_XEN_XS_CONFIG "clickos/0/config"
#define VM_XEN_XS_STATUS "clickos/0/status"

/* The manager's side of vm_mgr_notify / vm_mgr_suspended without the
 * backend's intercept: how a wrapping backend (process.c) reports its
 * modules' own notifications. */
void vm__mgr_deliver(struct vm_mgr *mgr, uint64_t id, enum vm_note note, int status,
                     const struct dp_event *ev);
void vm__mgr_deliver_suspended(struct vm_mgr *mgr, uint64_t id, int status, const void *state,
                               size_t len);

int vm__xen_check(const struct vm_module_spec *spec, const char *default_image, char *err,
                  size_t errlen);

/* ---- the process sandbox (sandbox.c, docs/process-sandbox.md) -------------
 *
 * Runs one ordinary program (nginx, a DNS server, squid) isolated: its own
 * mount, PID, UTS, IPC and user namespaces (bubblewrap), inside a network
 * namespace under /run/netns, as an unprivileged uid/gid with no
 * capabilities and no_new_privs, under a seccomp filter (libseccomp), in
 * its own cgroup (memory, CPU, pids limits; freezer), the filesystem
 * read-only but for a private scratch directory. stdout and stderr go into
 * a bounded log ring.
 *
 * Threads: every function runs on the loop given to vm__sbx_start (innetd's
 * loop) and never blocks it: the launch, the exit, the grace period and
 * the freeze's completion are callbacks on that loop. The scratch
 * directory is removed on the thread pool.
 * Errors: 0 or a negative errno; with an `err` buffer, one line saying
 * which file, which step and why. */

struct uv_loop_s;
struct vm__sbx;

struct vm__sbx_limits {
	uint64_t mem_bytes;      /* memory (and memory+swap) limit; 0: none */
	uint32_t cpu_shares;     /* relative weight, v1 cpu.shares (2..262144; 0: 1024) */
	uint32_t cpu_quota_us;   /* CPU time per period; 0: no quota */
	uint32_t cpu_period_us;  /* 0: 100000 */
	uint32_t pids_max;       /* processes and threads; 0: none (not advised) */
};

enum vm__sbx_reason {
	VM_SBX_EXITED,       /* the program exited by itself: `status` */
	VM_SBX_SIGNALED,     /* killed by signal `signal` (not by vm__sbx_stop) */
	VM_SBX_OOM,          /* the cgroup's OOM killer ended it */
	VM_SBX_STOPPED,      /* ended by vm__sbx_stop */
	VM_SBX_START_FAILED, /* never ran: a launch step failed (see `msg`) */
};
const char *vm__sbx_reason_name(enum vm__sbx_reason r);

struct vm__sbx_exit {
	enum vm__sbx_reason reason;
	int status;            /* exit status of the program (bwrap's: 128+N when
	                        * the program died of signal N) */
	int signal;            /* the signal that ended it, or 0 */
	uint64_t oom_kills;    /* OOM kills in its cgroup over its life */
	bool cleanup_failed;   /* something was left behind (logged) */
	char msg[256];         /* one line: what happened (start failures: which
	                        * step, the launcher's own words) */
};

/* Called once on the loop when the program has ended AND its cgroup,
 * scratch directory and (if the sandbox made it) network namespace are
 * gone. The sandbox may be freed (vm__sbx_free) inside the callback. */
typedef void (*vm__sbx_exit_cb)(struct vm__sbx *s, const struct vm__sbx_exit *ex, void *arg);
/* A freeze completed: 0, or a negative errno (the group stays thawed). */
typedef void (*vm__sbx_freeze_cb)(struct vm__sbx *s, int status, void *arg);

struct vm__sbx_spec {
	const char *name;               /* [A-Za-z0-9_-]{1,40}: names its cgroup,
	                                 * scratch directory and default netns */
	const char *const *argv;        /* program + arguments, NULL-terminated;
	                                 * argv[0] absolute or found on PATH */
	const char *const *env;         /* "K=V", NULL-terminated (NULL: a PATH only) */
	const char *netns;              /* under /run/netns; NULL: "innet-<name>" */
	bool create_netns;              /* make it (error if it exists) and delete
	                                 * it at the end; else it must exist */
	bool oom_keep_running;          /* an OOM kill of one of its processes (a
	                                 * worker) leaves the rest running; by
	                                 * default the whole sandbox is killed and
	                                 * reported VM_SBX_OOM: a program missing a
	                                 * part is broken */
	bool low_ports;                 /* in a created netns: let the unprivileged
	                                 * program bind ports below 1024 */
	uid_t uid;                      /* 0: nobody (root is refused) */
	gid_t gid;                      /* 0: nogroup */
	const char *const *ro_binds;    /* paths bound read-only, NULL-terminated;
	                                 * NULL: the whole root */
	const char *scratch_root;       /* NULL: VM_SBX_SCRATCH_ROOT; the scratch
	                                 * directory is <root>/<name>, created here
	                                 * and removed at the end */
	struct vm__sbx_limits lim;
	size_t log_bytes;               /* log ring size (0: 64 KiB) */
	uint32_t grace_ms;              /* SIGTERM -> SIGKILL on stop (0: 2000) */
	const char *cgroup_parent;      /* group under each controller root
	                                 * (NULL: "innet-sandbox") */
	/* Optional: called on vm__sbx_start once the scratch directory exists,
	 * before the program starts, to put its files there (a configuration):
	 * 0, or a negative errno that fails the start. */
	int (*prepare)(const char *scratch, void *arg);
	vm__sbx_exit_cb on_exit;
	void *arg;
};
#define VM_SBX_SCRATCH_ROOT "/var/lib/innet/sandbox"
#define VM_SBX_LOG_BYTES (64u * 1024)

/* Starts the program. On 0 the sandbox is running (or about to: a failure
 * past this point comes as on_exit with VM_SBX_START_FAILED); on an error
 * nothing is left behind (no cgroup, scratch or netns) and `err` says why:
 * -ENOENT (program, bwrap, ip or setpriv missing), -EPERM (not root),
 * -ENODEV (no usable cgroup controllers), -EEXIST (the netns or scratch
 * directory exists), -ENOTSUP (built without libseccomp), -EINVAL. */
int vm__sbx_start(struct uv_loop_s *loop, const struct vm__sbx_spec *spec, struct vm__sbx **out,
                  char *err, size_t errlen);
/* SIGTERM to every process of the sandbox (thawed first), SIGKILL to those
 * left after grace_ms; then the cleanup and on_exit. -EALREADY when
 * stopping or ended. */
int vm__sbx_stop(struct vm__sbx *s);
/* Frees a sandbox whose on_exit has been called (-EBUSY otherwise). */
int vm__sbx_free(struct vm__sbx *s);

/* Freeze every process of the sandbox (cgroup freezer); `cb` once they are
 * all frozen (v1: FREEZING -> FROZEN, polled on a timer). -EALREADY when
 * frozen or freezing, -ESRCH when ended. */
int vm__sbx_freeze(struct vm__sbx *s, vm__sbx_freeze_cb cb, void *arg);
/* Thaw: the processes run again at once. -EALREADY when not frozen. */
int vm__sbx_thaw(struct vm__sbx *s);
bool vm__sbx_frozen(const struct vm__sbx *s);

struct vm__sbx_stats {
	uint64_t mem_bytes, mem_peak_bytes;  /* now, highest */
	uint64_t cpu_ns;                     /* CPU time of all its processes */
	uint64_t pids;                       /* processes/threads now */
	uint64_t oom_kills;
	uint64_t log_bytes, log_dropped;     /* in the ring now; dropped (oldest) */
};
int vm__sbx_stats(const struct vm__sbx *s, struct vm__sbx_stats *st);

/* The program's stdout and stderr, oldest first: copies up to len bytes
 * of the newest and returns how many; `dropped` (may be NULL) gets the
 * bytes lost to the ring's bound so far. */
size_t vm__sbx_log_read(const struct vm__sbx *s, char *buf, size_t len, uint64_t *dropped);

int vm__sbx_pid(const struct vm__sbx *s);          /* bwrap's pid (0: ended) */
/* The program has been started by bwrap (its namespaces are set up). */
bool vm__sbx_started(const struct vm__sbx *s);
const char *vm__sbx_scratch(const struct vm__sbx *s);
const char *vm__sbx_netns(const struct vm__sbx *s);
/* The directory of its cgroup for `ctl` ("memory", "pids", "freezer",
 * "cpu"; in cgroup2 all the same), or NULL. */
const char *vm__sbx_cgroup_dir(const struct vm__sbx *s, const char *ctl);
/* Whether this machine can run sandboxes (root, bwrap, ip, setpriv,
 * cgroups, libseccomp): 0, or a negative errno and why in err. */
int vm__sbx_check(char *err, size_t errlen);

/* ---- the log ring (sandbox_log.c) ---- */
struct vm__sbx_ring {
	char *buf;
	size_t cap, head, len;  /* head: oldest byte */
	uint64_t dropped;       /* bytes overwritten */
};
int vm__sbx_ring_init(struct vm__sbx_ring *r, size_t cap);
void vm__sbx_ring_free(struct vm__sbx_ring *r);
void vm__sbx_ring_put(struct vm__sbx_ring *r, const char *p, size_t n);
/* The newest min(len, r->len) bytes, oldest first. */
size_t vm__sbx_ring_read(const struct vm__sbx_ring *r, char *out, size_t len);

/* ---- cgroups (sandbox_cgroup.c): v1 as mounted at /sys/fs/cgroup/<ctl>,
 * or cgroup2 with memory, cpu and pids enabled ---- */
enum { VM_SBX_CG_MEMORY, VM_SBX_CG_CPU, VM_SBX_CG_CPUACCT, VM_SBX_CG_PIDS,
       VM_SBX_CG_FREEZER, VM_SBX_CG_N };
struct vm__sbx_cg {
	bool v2;
	char dir[VM_SBX_CG_N][256];  /* v2: all the same */
	bool made[VM_SBX_CG_N];
};
int vm__sbx_cg_create(struct vm__sbx_cg *cg, const char *parent, const char *name,
                      const struct vm__sbx_limits *lim, char *err, size_t errlen);
/* The cgroup.procs files a process writes its pid to, to join: n paths. */
size_t vm__sbx_cg_procs(const struct vm__sbx_cg *cg, char out[][272], size_t max);
/* Removes the directories; -EBUSY while a process is still in them. */
int vm__sbx_cg_remove(struct vm__sbx_cg *cg);
int vm__sbx_cg_freeze(const struct vm__sbx_cg *cg, bool freeze);
/* 1 frozen, 0 not yet, negative errno. */
int vm__sbx_cg_frozen(const struct vm__sbx_cg *cg);
/* Sends sig to every process in the group but `except` (0: none); how
 * many were signalled, or a negative errno. */
int vm__sbx_cg_signal(const struct vm__sbx_cg *cg, int sig, int except);
int vm__sbx_cg_stats(const struct vm__sbx_cg *cg, struct vm__sbx_stats *st);
uint64_t vm__sbx_cg_oom_kills(const struct vm__sbx_cg *cg);
/* What tells of an OOM without polling: v1 an eventfd registered on
 * memory.oom_control (readable at each OOM; *path empty), v2 the path of
 * memory.events to watch for changes (returns -1). */
int vm__sbx_cg_oom_notifier(const struct vm__sbx_cg *cg, char *path, size_t len);
int vm__sbx_cg_check(char *err, size_t errlen);

/* ---- seccomp (sandbox_seccomp.c) ---- */
/* A memfd holding the filter's BPF, read by bwrap --seccomp FD; -ENOTSUP
 * when built without libseccomp. */
int vm__sbx_seccomp_fd(char *err, size_t errlen);

/* ---- the process backend's specs (process_spec.c) ---- */
struct vm__pspec {  /* a deep copy of vm_process_spec */
	char **argv, **env;
	struct vm_process_file *files;
	size_t nfiles;
	uid_t uid;
	gid_t gid;
	struct vm__sbx_limits lim;
	struct vm_process_port *ports;
	size_t nports;
	enum vm_restart restart;
	uint32_t timeout_ms;
	const char *bad_file;   /* the file vm__pspec_write failed on (NULL: none) */
};

/* A bad spec: -EINVAL with a diagnostic. */
int vm__pspec_check(const struct vm_process_spec *sp, uint64_t id, struct diags *d);
/* A deep copy, "@SCRATCH@" in argv, env and text files replaced by
 * `scratch`, uid/gid resolved (nobody/nogroup), pids_max 64 by default. */
struct vm__pspec *vm__pspec_copy(const struct vm_process_spec *sp, const char *scratch);
void vm__pspec_free(struct vm__pspec *ps);
/* vm__sbx_spec.prepare (arg: the vm__pspec): its files, owned by its uid. */
int vm__pspec_write(const char *scratch, void *arg);
/* The sandbox's program listens on every port of the spec, seen from a
 * process in the network namespace /run/netns/<netns> (checked). */
bool vm__pspec_listening(const struct vm__pspec *ps, const struct vm__sbx *sbx, const char *netns);

/* ---- leftovers of a crashed innetd (process_sweep.c) ---- */
/* Removes <prefix><digits> network namespaces, cgroups (their processes
 * killed) and scratch directories; how many. Blocks up to a second per
 * cgroup whose processes are dying: call it before the loop serves. */
int vm__process_sweep(const char *prefix, const char *scratch_root, const char *cgroup_parent);

#endif
