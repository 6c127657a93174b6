/* The process backend (issue 15): a module that is a program runs
 * sandboxed (sandbox.c) in a network namespace of its own, joined to the
 * fast path by the platform's attach callback, beside its Click wrapper,
 * which the inner backend runs. Modules without a program go straight to
 * the inner backend.
 *
 * Start: netns made (lo up, low ports) -> attach -> sandbox started (its
 * files written by prepare) -> polled until it listens on every port of
 * its spec (the namespace's /proc/<pid>/net/{tcp,udp}{,6}) -> the inner
 * start runs the wrapper -> VM_NOTE_STARTED: the held packets go through
 * only now. A failure on the way tears everything down first, then
 * reports. Suspend = cgroup freeze + the inner suspend (or stop); resume
 * = thaw + the inner resume (or start). An exit while running restarts
 * the program with backoff; an OOM kill, or too many exits in a row, is
 * failed (VM_NOTE_FAILED). src/vm/README.md, "The process backend".
 *
 * Threads: the loop of the config (innetd's). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "base/idmap.h"
#include "base/log.h"
#include "vm/internal.h"

#define POLL_MS 20
#define NETNS_DIR "/run/netns"

/* Makes the module's namespace: lo up, ports below 1024 for anyone. */
static const char NETNS_SH[] =
	"PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH\n"
	"ip netns add \"$1\" || exit 1\n"
	"ip -n \"$1\" link set lo up || exit 2\n"
	"ip netns exec \"$1\" /bin/sh -c "
	"'echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start' || exit 3\n";

enum phase {
	PH_IDLE,      /* nothing of the program exists */
	PH_NETNS,     /* making the netns */
	PH_LAUNCH,    /* sandbox started, waiting until it listens */
	PH_WRAP,      /* listening; the inner start (the wrapper) under way */
	PH_RUNNING,
	PH_FROZEN,
	PH_BACKOFF,   /* ended; restarted when the timer fires */
	PH_TEARDOWN,  /* sandbox stopping, then detach and netns */
	PH_WAIT,      /* started while the module's previous instance (removed,
	               * redeployed) still tears down its namespace */
};

struct proc;

struct pinst {
	struct proc *pb;
	uint64_t id;
	uint32_t ip;
	void *inner;
	struct vm__pspec *ps;          /* NULL: a Click module */
	char name[64];             /* sandbox, netns, cgroup, scratch */
	enum phase ph;
	struct vm__sbx *sbx;
	uv_timer_t timer;
	uv_process_t setup;
	int handles;               /* open uv handles (freed when 0 and gone) */
	bool setup_live, attached, netns_made, inner_live;
	bool restarting;           /* the wrapper runs: a restart of the program */
	bool resuming;             /* the manager waits for RESUMED, not STARTED */
	bool fresh;                /* ... and the module started anew */
	bool suspending, frozen, inner_suspended, inner_stopped;
	bool timed_out;            /* we stopped it: it did not listen in time */
	bool destroyed, freeing;
	struct pinst *znext;       /* destroyed, not yet freed (proc.zombies) */
	struct pinst *pred, *succ; /* the same id's removed instance and its successor */
	/* what to report once the teardown is over */
	int start_error;           /* STARTED or RESUMED with it */
	int fail_status;           /* FAILED with it */
	bool stop_note, start_after;
	void *state;               /* the inner's suspend state, until both are done */
	size_t state_len;
	uint64_t deadline, running_since;
	uint32_t in_a_row;
	struct vm_process_info info;
	struct vm__sbx_stats last; /* figures at the end of the last run */
	char *log;                 /* the last run's log */
	size_t log_len;
	uint64_t log_dropped;
};

struct proc {
	struct vm_backend be;
	struct vm_backend_ops ops;  /* saved_state as the inner's */
	struct vm_backend *inner;
	struct vm_process_config cfg;
	struct idmap insts;
	int zombies;                /* destroyed instances still tearing down */
	struct pinst *zlist;        /* ... of programs */
	char prefix[24], scratch_root[256], cgroup_parent[64]; /* the config's copies */
	bool freed;
};

static struct proc *P(struct vm_backend *be) { return (struct proc *)be; }

const char *vm_proc_state_name(enum vm_proc_state s)
{
	switch (s) {
	case VM_PROC_NONE: return "none";
	case VM_PROC_STARTING: return "starting";
	case VM_PROC_RUNNING: return "running";
	case VM_PROC_FROZEN: return "frozen";
	case VM_PROC_RESTARTING: return "restarting";
	case VM_PROC_STOPPING: return "stopping";
	case VM_PROC_FAILED: return "failed";
	}
	return "unknown";
}

/* ---- reports -------------------------------------------------------------- */

/* Why the program ended, after its own output in the kept log, so a
 * tenant reading GET /v1/modules/{id}/log sees it there too (the oldest
 * output makes room). */
static void log_note(struct pinst *p)
{
	char line[sizeof p->info.error + 16];
	size_t cap = p->pb->cfg.log_bytes;
	int n = snprintf(line, sizeof line, "innet: %s\n", p->info.error);
	if (!p->log || !p->info.error[0] || n <= 0 || (size_t)n > cap)
		return;
	size_t keep = p->log_len + (size_t)n > cap ? cap - (size_t)n : p->log_len;
	if (keep < p->log_len) {
		memmove(p->log, p->log + (p->log_len - keep), keep);
		p->log_dropped += p->log_len - keep;
	}
	memcpy(p->log + keep, line, (size_t)n);
	p->log_len = keep + (size_t)n;
}

__attribute__((format(printf, 3, 4)))
static void set_error(struct pinst *p, const char *reason, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->info.error, sizeof p->info.error, fmt, ap);
	va_end(ap);
	if (reason)
		snprintf(p->info.reason, sizeof p->info.reason, "%s", reason);
	log_warn("process", "module %llu (%s): %s", (unsigned long long)p->id, p->name,
	         p->info.error);
	if (!p->sbx) /* ended: its output is the kept copy */
		log_note(p);
}

static void deliver(struct pinst *p, enum vm_note note, int status)
{
	vm__mgr_deliver(p->pb->be.mgr, p->id, note, status, NULL);
}

/* The manager waits for a start (or a resume from nothing): tell it. */
static void report_start(struct pinst *p, int status)
{
	if (p->resuming) {
		p->resuming = false;
		deliver(p, VM_NOTE_RESUMED, status < 0 ? status : p->fresh ? VM_RESUMED_FRESH : 0);
	} else {
		deliver(p, VM_NOTE_STARTED, status);
	}
	p->fresh = false;
}

/* ---- handles and freeing ---------------------------------------------------- */

static void start_now(struct pinst *p);

static void free_inst(struct pinst *p)
{
	struct proc *pb = p->pb;
	for (struct pinst **z = &pb->zlist; *z; z = &(*z)->znext) {
		if (*z == p) {
			*z = p->znext;
			break;
		}
	}
	if (p->pred)
		p->pred->succ = NULL;
	struct pinst *succ = p->succ;
	if (succ) {
		succ->pred = NULL; /* its namespace is free now */
		if (succ->ph == PH_WAIT)
			start_now(succ);
	}
	vm__pspec_free(p->ps);
	free(p->state);
	free(p->log);
	bool zombie = p->destroyed && p->ps;
	free(p);
	if (!zombie)
		return;
	if (--pb->zombies == 0 && pb->freed) {
		idmap_free(&pb->insts);
		free(pb);
	}
}

static void on_close(uv_handle_t *h)
{
	struct pinst *p = h->data;
	if (--p->handles == 0 && p->freeing)
		free_inst(p);
}

/* Free once nothing is under way (the teardown is over). */
static void release(struct pinst *p)
{
	p->freeing = true;
	if (!uv_is_closing((uv_handle_t *)&p->timer))
		uv_close((uv_handle_t *)&p->timer, on_close);
}

/* ---- teardown ------------------------------------------------------------- */

static void begin_start(struct pinst *p);

static bool netns_exists(const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, NETNS_DIR "/%s", name);
	return access(path, F_OK) == 0;
}

/* What `ip netns del` does; nothing of the program runs in it any more. */
static void delete_netns(struct pinst *p)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, NETNS_DIR "/%s", p->name);
	umount2(path, MNT_DETACH);
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("process", "%s: %s not removed: %s", p->name, path, strerror(errno));
	p->netns_made = false;
}

/* Called as each piece goes: once the sandbox and the netns setup are
 * gone, detach and delete the netns, then report what waited. */
static void teardown_continue(struct pinst *p)
{
	if (p->ph != PH_TEARDOWN || p->sbx || p->setup_live)
		return;
	struct proc *pb = p->pb;
	if (p->attached && pb->cfg.detach)
		pb->cfg.detach(pb->cfg.ud, p->id);
	p->attached = false;
	if (p->netns_made)
		delete_netns(p);
	p->ph = PH_IDLE;
	p->frozen = p->suspending = false;
	if (p->destroyed) {
		release(p);
		return;
	}
	int start_error = p->start_error, fail = p->fail_status;
	bool stop_note = p->stop_note;
	p->start_error = p->fail_status = 0;
	p->stop_note = false;
	if (start_error)
		report_start(p, start_error);
	if (fail)
		deliver(p, VM_NOTE_FAILED, fail);
	if (stop_note)
		deliver(p, VM_NOTE_STOPPED, 0);
	if (p->start_after && p->ph == PH_IDLE) {
		p->start_after = false;
		begin_start(p);
	}
}

static void inner_stop(struct pinst *p)
{
	struct vm_backend *in = p->pb->inner;
	p->inner_live = false;
	in->ops->stop(in, p->inner);
}

/* Take everything down; what to report is set by the caller. */
static void teardown(struct pinst *p)
{
	p->ph = PH_TEARDOWN;
	uv_timer_stop(&p->timer);
	p->restarting = false;
	p->suspending = false; /* a freeze cancelled by the stop reports nothing */
	if (p->inner_live)
		inner_stop(p);
	if (p->sbx)
		vm__sbx_stop(p->sbx); /* -EALREADY: already ending */
	teardown_continue(p);
}

/* A start that cannot complete: everything goes, then the report. */
static void start_failed(struct pinst *p, int status)
{
	p->start_error = status < 0 ? status : -EIO;
	teardown(p);
}

/* The program is given up on while the module runs. */
static void give_up(struct pinst *p, int status)
{
	p->info.state = VM_PROC_FAILED;
	p->fail_status = status;
	teardown(p);
}

/* ---- running: listening, exits, restarts ----------------------------------- */

static uint32_t backoff_ms(const struct proc *pb, uint32_t in_a_row)
{
	uint64_t ms = pb->cfg.restart_min_ms;
	for (uint32_t i = 1; i < in_a_row && ms < pb->cfg.restart_max_ms; i++)
		ms *= 2;
	return ms < pb->cfg.restart_max_ms ? (uint32_t)ms : pb->cfg.restart_max_ms;
}

static void launch(struct pinst *p);

static void on_backoff(uv_timer_t *t)
{
	struct pinst *p = t->data;
	if (p->ph == PH_BACKOFF)
		launch(p);
}

/* The program ended (or did not come up) while the module runs: restart
 * with backoff, or give up. */
static void ended_running(struct pinst *p, bool oom)
{
	struct proc *pb = p->pb;
	uint64_t now = uv_now(pb->cfg.loop);
	if (oom) {
		set_error(p, "memory", "killed by its cgroup for lack of memory (limit %llu bytes): "
		          "not restarted; raise the memory quota and start it again",
		          (unsigned long long)p->ps->lim.mem_bytes);
		give_up(p, -ENOMEM);
		return;
	}
	if (p->ps->restart == VM_RESTART_NEVER) {
		snprintf(p->info.reason, sizeof p->info.reason, "exit");
		give_up(p, -ECHILD);
		return;
	}
	if (p->running_since && now - p->running_since >= pb->cfg.restart_reset_ms)
		p->in_a_row = 0;
	p->running_since = 0;
	if (++p->in_a_row > pb->cfg.max_restarts) {
		char last[sizeof p->info.error];
		snprintf(last, sizeof last, "%s", p->info.error);
		set_error(p, "crash", "ended %u times in a row without running %u ms: given up "
		          "(last: %s)", pb->cfg.max_restarts + 1, pb->cfg.restart_reset_ms, last);
		give_up(p, -ECHILD);
		return;
	}
	p->info.backoff_ms = backoff_ms(pb, p->in_a_row);
	p->ph = PH_BACKOFF;
	p->restarting = true;
	uv_timer_start(&p->timer, on_backoff, p->info.backoff_ms, 0);
}

static void keep_log(struct pinst *p)
{
	size_t cap = p->pb->cfg.log_bytes;
	char *buf = p->log ? p->log : malloc(cap);
	if (!buf)
		return;
	p->log = buf;
	p->log_len = vm__sbx_log_read(p->sbx, buf, cap, &p->log_dropped);
}

static void on_sbx_exit(struct vm__sbx *s, const struct vm__sbx_exit *exit, void *arg)
{
	struct pinst *p = arg;
	struct vm__sbx_exit copy = *exit, *ex = &copy; /* `exit` goes with s */
	keep_log(p);
	vm__sbx_stats(s, &p->last);
	p->last.oom_kills = ex->oom_kills;
	vm__sbx_free(s);
	p->sbx = NULL;
	p->frozen = false;
	snprintf(p->info.last_exit, sizeof p->info.last_exit, "%s", vm__sbx_reason_name(ex->reason));
	p->info.last_status = ex->signal ? ex->signal : ex->status;
	if (p->ph == PH_TEARDOWN) {
		teardown_continue(p);
		return;
	}
	bool oom = ex->reason == VM_SBX_OOM;
	if (p->timed_out)
		p->timed_out = false; /* the message is set */
	else
		set_error(p, oom ? "memory" : NULL, "%s%s", ex->msg,
		          oom ? " (its memory limit is too small)" : "");
	if (!p->restarting && (p->ph == PH_LAUNCH || p->ph == PH_WRAP)) {
		if (!oom)
			snprintf(p->info.reason, sizeof p->info.reason, "start");
		p->info.state = VM_PROC_FAILED;
		start_failed(p, oom ? -ENOMEM : -ECHILD);
		return;
	}
	if (p->suspending) { /* died while being frozen: the suspend fails */
		p->suspending = false;
		vm__mgr_deliver_suspended(p->pb->be.mgr, p->id, -ECHILD, NULL, 0);
	}
	ended_running(p, oom);
}

static void now_running(struct pinst *p)
{
	p->ph = PH_RUNNING;
	p->running_since = uv_now(p->pb->cfg.loop); /* the last error stays shown */
}

static void on_poll(uv_timer_t *t)
{
	struct pinst *p = t->data;
	if (p->ph != PH_LAUNCH)
		return;
	if (p->sbx && vm__pspec_listening(p->ps, p->sbx, p->name)) {
		uv_timer_stop(&p->timer);
		if (p->restarting) {
			now_running(p);
			return;
		}
		p->ph = PH_WRAP;
		p->inner_live = true;
		struct vm_backend *in = p->pb->inner;
		int rc = in->ops->start(in, p->inner); /* the held packets: at its STARTED */
		if (rc < 0 && p->ph == PH_WRAP) {
			set_error(p, "start", "the module's wrapper did not start: %s", strerror(-rc));
			p->info.state = VM_PROC_FAILED;
			start_failed(p, rc);
		}
		return;
	}
	if (uv_now(p->pb->cfg.loop) < p->deadline || !p->sbx)
		return;
	uv_timer_stop(&p->timer);
	char ports[128] = "";
	for (size_t i = 0, o = 0; i < p->ps->nports && o < sizeof ports - 16; i++)
		o += (size_t)snprintf(ports + o, sizeof ports - o, "%s%s/%u", i ? ", " : "",
		                      p->ps->ports[i].proto == 6 ? "tcp" : "udp", p->ps->ports[i].port);
	set_error(p, p->restarting ? NULL : "start", "not listening on %s %u ms after its start",
	          ports, p->ps->timeout_ms ? p->ps->timeout_ms : p->pb->cfg.start_timeout_ms);
	if (!p->restarting) {
		p->info.state = VM_PROC_FAILED;
		start_failed(p, -ETIMEDOUT);
		return;
	}
	p->timed_out = true; /* its exit is a failed restart */
	vm__sbx_stop(p->sbx);
}

static int write_files(const char *scratch, void *arg)
{
	struct pinst *p = arg;
	return vm__pspec_write(scratch, p->ps);
}

/* Start (or restart) the program in the namespace that is ready. */
static void launch(struct pinst *p)
{
	struct proc *pb = p->pb;
	struct vm__sbx_spec sp = {
		.name = p->name, .argv = (const char *const *)p->ps->argv,
		.env = (const char *const *)p->ps->env, .netns = p->name, .create_netns = false,
		.uid = p->ps->uid, .gid = p->ps->gid, .scratch_root = pb->cfg.scratch_root,
		.lim = p->ps->lim, .log_bytes = pb->cfg.log_bytes, .grace_ms = pb->cfg.grace_ms,
		.cgroup_parent = pb->cfg.cgroup_parent, .prepare = write_files,
		.on_exit = on_sbx_exit, .arg = p,
	};
	char err[512];
	p->ph = PH_LAUNCH;
	p->timed_out = false;
	int rc = vm__sbx_start(pb->cfg.loop, &sp, &p->sbx, err, sizeof err);
	if (rc < 0) {
		p->sbx = NULL;
		const char *bad = p->ps->bad_file;
		set_error(p, p->restarting ? NULL : "start", "%s%s%s%s", err, bad ? " (file " : "",
		          bad ? bad : "", bad ? ")" : "");
		if (p->restarting) {
			ended_running(p, false);
		} else {
			p->info.state = VM_PROC_FAILED;
			start_failed(p, rc);
		}
		return;
	}
	free(p->log); /* a new run, a new log */
	p->log = NULL;
	p->log_len = 0;
	if (p->restarting)
		p->info.restarts++;
	uint32_t to = p->ps->timeout_ms ? p->ps->timeout_ms : pb->cfg.start_timeout_ms;
	p->deadline = uv_now(pb->cfg.loop) + to;
	uv_timer_start(&p->timer, on_poll, 0, POLL_MS);
}

static void on_setup_exit(uv_process_t *h, int64_t status, int sig)
{
	struct pinst *p = h->data;
	p->setup_live = false;
	uv_close((uv_handle_t *)h, on_close);
	if (netns_exists(p->name))
		p->netns_made = true;
	if (p->ph != PH_NETNS) { /* stopped meanwhile */
		teardown_continue(p);
		return;
	}
	if (status != 0 || sig) {
		static const char *const step[] = {"?", "ip netns add", "lo up",
		                                   "ip_unprivileged_port_start"};
		set_error(p, "start", "netns %s: %s failed", p->name,
		          status > 0 && status < 4 ? step[status] : "ip");
		p->info.state = VM_PROC_FAILED;
		start_failed(p, -EIO);
		return;
	}
	struct proc *pb = p->pb;
	int rc = pb->cfg.attach ? pb->cfg.attach(pb->cfg.ud, p->id, p->name, p->ip) : 0;
	if (rc < 0) {
		set_error(p, "start", "netns %s: attach to the fast path: %s", p->name, strerror(-rc));
		p->info.state = VM_PROC_FAILED;
		start_failed(p, rc);
		return;
	}
	p->attached = true;
	launch(p);
}

/* First start: netns, then (on_setup_exit) attach and launch; after the
 * previous instance of the same id is gone. */
static void begin_start(struct pinst *p)
{
	if (p->pred) {
		memset(p->info.reason, 0, sizeof p->info.reason);
		p->info.error[0] = 0;
		p->info.state = VM_PROC_STARTING;
		p->ph = PH_WAIT;
		return;
	}
	start_now(p);
}

static void start_now(struct pinst *p)
{
	memset(p->info.reason, 0, sizeof p->info.reason);
	p->info.error[0] = 0;
	p->info.state = VM_PROC_STARTING;
	p->in_a_row = 0;
	p->restarting = false;
	p->ph = PH_NETNS;
	if (netns_exists(p->name)) {
		set_error(p, "start", "netns %s exists already (left over? ip netns del %s)", p->name,
		          p->name);
		p->info.state = VM_PROC_FAILED;
		start_failed(p, -EEXIST);
		return;
	}
	char *args[] = {"/bin/sh", "-c", (char *)NETNS_SH, "innet-netns", p->name, NULL};
	uv_process_options_t o = {.file = "/bin/sh", .args = args, .exit_cb = on_setup_exit};
	p->setup.data = p;
	int rc = uv_spawn(p->pb->cfg.loop, &p->setup, &o);
	if (rc < 0) {
		set_error(p, "start", "netns %s: /bin/sh: %s", p->name, uv_strerror(rc));
		p->handles++;
		uv_close((uv_handle_t *)&p->setup, on_close); /* uv_spawn initialised it */
		p->info.state = VM_PROC_FAILED;
		start_failed(p, rc);
		return;
	}
	p->handles++;
	p->setup_live = true;
}

/* ---- the vtable --------------------------------------------------------------- */

static int p_create(struct vm_backend *be, const struct vm_module_spec *spec, void **out,
                    struct diags *d)
{
	struct proc *pb = P(be);
	pb->inner->mgr = be->mgr; /* its notes come to vm_mgr_notify, then to p_intercept */
	if (idmap_get(&pb->insts, spec->id))
		return -EEXIST;
	int rc = spec->process ? vm__pspec_check(spec->process, spec->id, d) : 0;
	if (rc < 0)
		return rc;
	struct pinst *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->pb = pb;
	p->id = spec->id;
	p->ip = spec->key.addr;
	snprintf(p->name, sizeof p->name, "%s%llu", pb->cfg.prefix, (unsigned long long)spec->id);
	struct vm_module_spec s = *spec;
	s.process = NULL;
	if (spec->process) {
		s.state = NULL; /* a frozen program does not outlive innetd: starts anew */
		s.state_len = 0;
		char scratch[PATH_MAX];
		snprintf(scratch, sizeof scratch, "%s/%s", pb->cfg.scratch_root, p->name);
		if (!(p->ps = vm__pspec_copy(spec->process, scratch))) {
			free(p);
			return -ENOMEM;
		}
		for (struct pinst *z = pb->zlist; z; z = z->znext) {
			if (z->id == p->id && !z->succ) {
				p->pred = z;
				z->succ = p;
			}
		}
	}
	rc = pb->inner->ops->create(pb->inner, &s, &p->inner, d);
	if (rc == 0 && idmap_put(&pb->insts, p->id, p) < 0) {
		pb->inner->ops->destroy(pb->inner, p->inner);
		rc = -ENOMEM;
	}
	if (rc < 0) {
		vm__pspec_free(p->ps);
		free(p);
		return rc;
	}
	uv_timer_init(pb->cfg.loop, &p->timer);
	p->timer.data = p;
	p->handles = 1;
	p->fresh = spec->process && spec->state; /* its first resume is a start */
	*out = p;
	return 0;
}

static int p_start(struct vm_backend *be, void *inst)
{
	struct pinst *p = inst;
	if (!p->ps)
		return P(be)->inner->ops->start(P(be)->inner, p->inner);
	if (p->ph == PH_TEARDOWN) {
		p->start_after = true;
		return 0;
	}
	if (p->ph != PH_IDLE)
		return -EBUSY;
	begin_start(p);
	return 0;
}

static int p_stop(struct vm_backend *be, void *inst)
{
	struct pinst *p = inst;
	if (!p->ps || p->ph == PH_IDLE)
		return P(be)->inner->ops->stop(P(be)->inner, p->inner); /* drops held packets */
	p->start_after = false;
	p->start_error = 0;
	p->resuming = false;
	p->fresh = false;
	if (p->ph == PH_TEARDOWN)
		return 0;
	if (p->info.state != VM_PROC_FAILED)
		p->info.state = VM_PROC_NONE;
	p->stop_note = true;
	p->suspending = false; /* the manager forgets it too */
	if (!p->inner_live) /* held packets of a start under way */
		P(be)->inner->ops->stop(P(be)->inner, p->inner);
	teardown(p);
	return 0;
}

static void maybe_suspended(struct pinst *p)
{
	if (!p->suspending || !p->frozen || !p->inner_suspended)
		return;
	p->suspending = false;
	p->ph = PH_FROZEN;
	void *state = p->state;
	size_t len = p->state_len;
	p->state = NULL;
	vm__mgr_deliver_suspended(p->pb->be.mgr, p->id, 0, state, len);
	free(state);
}

/* The freeze failed after the wrapper was suspended: it runs again
 * (its RESUMED or STARTED is not the manager's: swallowed). */
static void undo_inner_suspend(struct pinst *p)
{
	struct vm_backend *in = p->pb->inner;
	if (!p->inner_suspended)
		return;
	p->inner_suspended = false;
	p->inner_live = true;
	if (p->inner_stopped) {
		p->inner_stopped = false;
		in->ops->start(in, p->inner);
	} else {
		in->ops->resume(in, p->inner);
	}
}

static void on_frozen(struct vm__sbx *s, int status, void *arg)
{
	(void)s;
	struct pinst *p = arg;
	if (!p->suspending)
		return;
	if (status < 0) { /* the program runs on, and so does the wrapper */
		p->suspending = false;
		undo_inner_suspend(p);
		vm__mgr_deliver_suspended(p->pb->be.mgr, p->id, status, NULL, 0);
		return;
	}
	p->frozen = true;
	maybe_suspended(p);
}

static int p_suspend(struct vm_backend *be, void *inst)
{
	struct pinst *p = inst;
	struct vm_backend *in = P(be)->inner;
	if (!p->ps)
		return in->ops->suspend ? in->ops->suspend(in, p->inner) : -ENOTSUP;
	if (p->ph != PH_RUNNING || !p->sbx)
		return -EAGAIN; /* starting, restarting: kept running */
	p->suspending = true;
	p->frozen = p->inner_suspended = p->inner_stopped = false;
	int rc = vm__sbx_freeze(p->sbx, on_frozen, p);
	if (rc < 0) {
		p->suspending = false;
		return rc;
	}
	rc = in->ops->suspend ? in->ops->suspend(in, p->inner) : -ENOTSUP;
	if (rc == -ENOTSUP) { /* a wrapper without state: stopped, started on resume */
		inner_stop(p);
		p->inner_stopped = p->inner_suspended = true;
		rc = 0;
	}
	if (rc < 0 && p->suspending) {
		p->suspending = false;
		vm__sbx_thaw(p->sbx);
		return rc;
	}
	maybe_suspended(p);
	return 0;
}

static int p_resume(struct vm_backend *be, void *inst)
{
	struct pinst *p = inst;
	struct vm_backend *in = P(be)->inner;
	if (!p->ps)
		return in->ops->resume ? in->ops->resume(in, p->inner) : -ENOTSUP;
	if (p->ph == PH_IDLE) { /* deployed with a saved state: a fresh start */
		p->resuming = p->fresh = true;
		begin_start(p);
		return 0;
	}
	if (p->ph == PH_TEARDOWN || p->ph == PH_NETNS || p->ph == PH_WRAP || p->ph == PH_WAIT)
		return -EBUSY;
	if (p->sbx && vm__sbx_frozen(p->sbx))
		vm__sbx_thaw(p->sbx);
	p->frozen = false;
	if (p->ph == PH_FROZEN)
		now_running(p);
	p->resuming = true;
	p->inner_live = true;
	if (p->inner_stopped) {
		p->inner_stopped = false;
		return in->ops->start(in, p->inner); /* its STARTED is our RESUMED */
	}
	return in->ops->resume(in, p->inner);
}

static void p_destroy(struct vm_backend *be, void *inst)
{
	struct pinst *p = inst;
	struct proc *pb = P(be);
	idmap_del(&pb->insts, p->id);
	pb->inner->ops->destroy(pb->inner, p->inner);
	p->inner_live = false;
	p->destroyed = true;
	if (p->ps) {
		pb->zombies++;
		p->znext = pb->zlist;
		pb->zlist = p;
	}
	if (!p->ps || p->ph == PH_IDLE || p->ph == PH_WAIT) {
		release(p);
		return;
	}
	p->start_error = p->fail_status = 0;
	p->stop_note = p->start_after = false;
	if (p->ph != PH_TEARDOWN)
		teardown(p);
}

static int p_stats(struct vm_backend *be, void *inst, struct dp_module_stats *st)
{
	struct vm_backend *in = P(be)->inner;
	struct pinst *p = inst;
	return in->ops->stats ? in->ops->stats(in, p->inner, st) : -ENOTSUP;
}

static int p_tables(struct vm_backend *be, void *inst, struct vm_table_info *out, size_t max)
{
	struct vm_backend *in = P(be)->inner;
	struct pinst *p = inst;
	return in->ops->tables ? in->ops->tables(in, p->inner, out, max) : 0;
}

static void p_sync(struct vm_backend *be)
{
	struct vm_backend *in = P(be)->inner;
	if (in->ops->sync)
		in->ops->sync(in);
}

static void p_free(struct vm_backend *be)
{
	struct proc *pb = P(be);
	pb->inner->ops->free(pb->inner);
	pb->freed = true;
	if (pb->zombies == 0) { /* else the last one frees it */
		idmap_free(&pb->insts);
		free(pb);
	}
}

static bool p_intercept(struct vm_backend *be, uint64_t id, enum vm_note note, int status,
                        const struct dp_event *ev)
{
	(void)ev;
	struct pinst *p = idmap_get(&P(be)->insts, id);
	if (!p || !p->ps)
		return false;
	switch (note) {
	case VM_NOTE_STARTED: /* the wrapper */
		if (p->ph == PH_WRAP) {
			if (status < 0) {
				set_error(p, "start", "the module's wrapper did not start: %s",
				          strerror(-status));
				p->info.state = VM_PROC_FAILED;
				p->inner_live = false;
				start_failed(p, status);
				return true;
			}
			now_running(p);
			p->info.state = VM_PROC_RUNNING;
			report_start(p, 0);
		} else if (p->resuming && p->ph == PH_RUNNING) { /* a stopped wrapper resumed */
			p->resuming = false;
			deliver(p, VM_NOTE_RESUMED, status);
		}
		return true;
	case VM_NOTE_RESUMED:
		if (p->resuming) {
			p->resuming = false;
			deliver(p, VM_NOTE_RESUMED, status);
		}
		return true;
	case VM_NOTE_STOPPED: /* reported after the teardown */
		return p->ph != PH_IDLE;
	default:
		return false;
	}
}

static bool p_intercept_suspended(struct vm_backend *be, uint64_t id, int status,
                                  const void *state, size_t len)
{
	struct pinst *p = idmap_get(&P(be)->insts, id);
	if (!p || !p->ps)
		return false;
	if (!p->suspending)
		return true;
	if (status < 0) {
		p->suspending = false;
		if (p->sbx && vm__sbx_frozen(p->sbx))
			vm__sbx_thaw(p->sbx);
		vm__mgr_deliver_suspended(be->mgr, id, status, NULL, 0);
		return true;
	}
	free(p->state);
	p->state = NULL;
	p->state_len = 0;
	if (state && (p->state = malloc(len ? len : 1)) != NULL) {
		memcpy(p->state, state, len);
		p->state_len = len;
	}
	p->inner_suspended = true;
	maybe_suspended(p);
	return true;
}

static enum vm_proc_state proc_state(const struct pinst *p)
{
	if (p->info.state == VM_PROC_FAILED && (p->ph == PH_IDLE || p->ph == PH_TEARDOWN))
		return VM_PROC_FAILED;
	switch (p->ph) {
	case PH_IDLE: return VM_PROC_NONE;
	case PH_WAIT: case PH_NETNS: case PH_LAUNCH: case PH_WRAP:
		return p->restarting ? VM_PROC_RESTARTING : VM_PROC_STARTING;
	case PH_RUNNING: return VM_PROC_RUNNING;
	case PH_FROZEN: return VM_PROC_FROZEN;
	case PH_BACKOFF: return VM_PROC_RESTARTING;
	case PH_TEARDOWN: return VM_PROC_STOPPING;
	}
	return VM_PROC_NONE;
}

static bool p_process(struct vm_backend *be, void *inst, struct vm_process_info *out)
{
	(void)be;
	struct pinst *p = inst;
	if (!p->ps)
		return false;
	*out = p->info;
	out->state = proc_state(p);
	struct vm__sbx_stats st = p->last;
	if (p->sbx) {
		vm__sbx_stats(p->sbx, &st);
		out->pid = vm__sbx_pid(p->sbx);
	} else {
		st.log_bytes = p->log_len;
		st.log_dropped = p->log_dropped;
	}
	out->mem_bytes = p->sbx ? st.mem_bytes : 0;
	out->mem_peak_bytes = st.mem_peak_bytes;
	out->cpu_ns = st.cpu_ns;
	out->pids = p->sbx ? st.pids : 0;
	out->oom_kills = st.oom_kills;
	out->log_bytes = st.log_bytes;
	out->log_dropped = st.log_dropped;
	return true;
}

static size_t p_log(struct vm_backend *be, void *inst, char *buf, size_t len, uint64_t *dropped)
{
	(void)be;
	struct pinst *p = inst;
	if (p->sbx)
		return vm__sbx_log_read(p->sbx, buf, len, dropped);
	size_t n = p->log_len < len ? p->log_len : len;
	if (n)
		memcpy(buf, p->log + (p->log_len - n), n);
	if (dropped)
		*dropped = p->log_dropped + (p->log_len - n);
	return n;
}

static const struct vm_backend_ops process_ops = {
	.name = "process",
	.create = p_create,
	.start = p_start,
	.stop = p_stop,
	.suspend = p_suspend,
	.resume = p_resume,
	.destroy = p_destroy,
	.stats = p_stats,
	.tables = p_tables,
	.sync = p_sync,
	.free = p_free,
	.intercept = p_intercept,
	.intercept_suspended = p_intercept_suspended,
	.process = p_process,
	.log = p_log,
};

int vm_process_new(struct vm_backend *inner, const struct vm_process_config *cfg,
                   struct vm_backend **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!inner || !cfg || !cfg->loop) {
		snprintf(err, errlen, "process backend: needs an inner backend and a loop");
		return -EINVAL;
	}
	if (cfg->prefix && (strlen(cfg->prefix) > 20 || !*cfg->prefix)) {
		snprintf(err, errlen, "process backend: prefix %s: 1-20 characters", cfg->prefix);
		return -EINVAL;
	}
	struct proc *pb = calloc(1, sizeof *pb);
	if (!pb)
		return -ENOMEM;
	pb->inner = inner;
	pb->cfg = *cfg;
	struct vm_process_config *c = &pb->cfg;
	snprintf(pb->prefix, sizeof pb->prefix, "%s", c->prefix ? c->prefix : "innet-p");
	snprintf(pb->scratch_root, sizeof pb->scratch_root, "%s",
	         c->scratch_root ? c->scratch_root : VM_SBX_SCRATCH_ROOT);
	snprintf(pb->cgroup_parent, sizeof pb->cgroup_parent, "%s",
	         c->cgroup_parent ? c->cgroup_parent : "innet-sandbox");
	c->prefix = pb->prefix;
	c->scratch_root = pb->scratch_root;
	c->cgroup_parent = pb->cgroup_parent;
	if (!c->log_bytes) c->log_bytes = VM_SBX_LOG_BYTES;
	if (!c->start_timeout_ms) c->start_timeout_ms = 10000;
	if (!c->restart_min_ms) c->restart_min_ms = 500;
	if (!c->restart_max_ms) c->restart_max_ms = 30000;
	if (!c->restart_reset_ms) c->restart_reset_ms = 60000;
	if (!c->max_restarts) c->max_restarts = 10;
	if (geteuid() == 0) /* (without root nothing could have been made) */
		vm__process_sweep(pb->prefix, pb->scratch_root, pb->cgroup_parent);
	pb->ops = process_ops;
	pb->ops.saved_state = inner->ops->saved_state;
	pb->be.ops = &pb->ops;
	*out = &pb->be;
	return 0;
}

struct vm_backend *vm_process_inner(struct vm_backend *be)
{
	return be && be->ops->intercept == p_intercept ? P(be)->inner : NULL;
}
