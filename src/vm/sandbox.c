/* The process sandbox: one ordinary program (nginx, a DNS server, squid)
 * started, isolated, frozen, thawed, limited and stopped on innetd's loop
 * (docs/process-sandbox.md). The launch is a chain of exec(2)s from one
 * uv_spawn, so nothing here waits:
 *
 *   sh (root): joins the cgroup, makes the netns if asked
 *   -> ip netns exec NS -> sh (root, in the netns): lo up, low ports
 *   -> setpriv (uid/gid, no groups, no inheritable caps, no_new_privs)
 *   -> bwrap (user, PID, UTS, IPC, cgroup, mount namespaces; root read-only,
 *      scratch writable; every capability dropped; seccomp filter on fd 3;
 *      its status on fd 4) -> the program.
 *
 * The pid libuv knows is bwrap's; bwrap's exit status is the program's
 * (128+N when a signal N ended it). Everything is in the cgroup from the
 * first instruction, so freezing, signalling and counting go through it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/close_range.h>
#include <unistd.h>
#include <uv.h>

#include "base/log.h"
#include "vm/internal.h"

#define NETNS_DIR "/run/netns"
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define FREEZE_POLL_MS 1
#define FREEZE_TRIES 5000        /* about 5 s of polls */
#define CG_RMDIR_POLL_MS 10
#define CG_RMDIR_TRIES 500       /* about 5 s for the last processes to go */
#define STATUS_MAX 512

/* Step 1, as root on the host: join the cgroup before anything can fork,
 * make the netns, then enter it. Exit codes 120-122 name the step. */
static const char OUTER_SH[] =
	"inner=$1 n=$2; shift 2\n"
	"while [ \"$n\" -gt 0 ]; do\n"
	"  echo $$ > \"$1\" || { echo \"innet-sandbox: step cgroup: cannot join $1\" >&2; exit 120; }\n"
	"  shift; n=$((n-1))\n"
	"done\n"
	"ns=$1 mk=$2 low=$3 ip=$4; shift 4\n"
	"if [ \"$mk\" = 1 ]; then\n"
	"  \"$ip\" netns add \"$ns\" || { echo \"innet-sandbox: step netns: ip netns add $ns failed\" >&2; exit 121; }\n"
	"fi\n"
	"exec \"$ip\" netns exec \"$ns\" /bin/sh -c \"$inner\" innet-sandbox \"$mk\" \"$low\" \"$ip\" \"$@\"\n";

/* Step 2, as root inside the netns (a netns the sandbox made only). */
static const char INNER_SH[] =
	"mk=$1 low=$2 ip=$3; shift 3\n"
	"if [ \"$mk\" = 1 ]; then\n"
	"  \"$ip\" link set lo up || { echo \"innet-sandbox: step netns: lo up failed\" >&2; exit 122; }\n"
	"  if [ \"$low\" = 1 ]; then\n"
	"    echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start || "
	"{ echo \"innet-sandbox: step netns: ip_unprivileged_port_start\" >&2; exit 122; }\n"
	"  fi\n"
	"fi\n"
	"exec \"$@\"\n";

enum phase { PH_RUNNING, PH_STOPPING, PH_CLEANING, PH_DONE };

struct vm__sbx {
	uv_loop_t *loop;
	char name[48];
	char netns[64];
	char scratch[PATH_MAX];
	char scratch_root[PATH_MAX];
	bool made_netns, made_scratch;
	struct vm__sbx_cg cg;
	struct vm__sbx_ring log;
	uint32_t grace_ms;
	vm__sbx_exit_cb on_exit;
	void *arg;

	uv_process_t proc;
	uv_pipe_t out, err, status;
	uv_timer_t grace, poll;
	uv_poll_t oom_poll;     /* v1: the eventfd of memory.oom_control */
	uv_fs_event_t oom_ev;   /* v2: memory.events changed */
	int oom_fd;
	bool oom_keep_running;
	uint64_t mem_limit;
	int handles;            /* initialised, not yet closed */
	bool abandoned;         /* start failed: free on the last close */

	enum phase phase;
	bool stop_requested, exited, started;
	bool cleaned;           /* cgroup, netns and scratch dealt with */
	int pid, child_pid;
	int64_t exit_status;
	int term_signal;
	char status_buf[STATUS_MAX];
	size_t status_len;

	bool frozen, freezing;
	unsigned polls;
	vm__sbx_freeze_cb freeze_cb;
	void *freeze_arg;

	uv_work_t rm_work;
	int rm_status;
	struct vm__sbx_exit ex;
};

const char *vm__sbx_reason_name(enum vm__sbx_reason r)
{
	switch (r) {
	case VM_SBX_EXITED: return "exited";
	case VM_SBX_SIGNALED: return "signaled";
	case VM_SBX_OOM: return "oom";
	case VM_SBX_STOPPED: return "stopped";
	case VM_SBX_START_FAILED: return "start_failed";
	}
	return "?";
}

__attribute__((format(printf, 3, 4)))
static void fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- what a start needs ---------------------------------------------------- */

static const char *find_tool(const char *const *candidates)
{
	for (; *candidates; candidates++)
		if (access(*candidates, X_OK) == 0)
			return *candidates;
	return NULL;
}

static const char *const BWRAP[] = {"/usr/bin/bwrap", "/bin/bwrap", NULL};
static const char *const IP[] = {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip", NULL};
static const char *const SETPRIV[] = {"/usr/bin/setpriv", "/bin/setpriv", NULL};

static int check_tools(char *err, size_t errlen)
{
	if (!find_tool(BWRAP)) {
		fail(err, errlen, "bwrap (/usr/bin/bwrap) not found: install the Debian package bubblewrap");
		return -ENOENT;
	}
	if (!find_tool(IP)) {
		fail(err, errlen, "ip (/usr/sbin/ip) not found: install the Debian package iproute2");
		return -ENOENT;
	}
	if (!find_tool(SETPRIV)) {
		fail(err, errlen, "setpriv (/usr/bin/setpriv) not found: install util-linux");
		return -ENOENT;
	}
	return 0;
}

/* bwrap runs unprivileged inside a user namespace of its own. */
static int check_userns(char *err, size_t errlen)
{
	FILE *f = fopen("/proc/sys/user/max_user_namespaces", "re");
	long n = 1;
	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = 1;
		fclose(f);
	}
	if (n > 0)
		return 0;
	fail(err, errlen, "user namespaces are off (/proc/sys/user/max_user_namespaces is 0): "
	     "bwrap cannot run the program unprivileged");
	return -EPERM;
}

int vm__sbx_check(char *err, size_t errlen)
{
	if (geteuid() != 0) {
		fail(err, errlen, "the process sandbox needs root (namespaces, cgroups, "
		     "/run/netns); innetd runs as uid %u", (unsigned)geteuid());
		return -EPERM;
	}
	int rc = check_tools(err, errlen);
	if (rc == 0)
		rc = check_userns(err, errlen);
	if (rc == 0)
		rc = vm__sbx_cg_check(err, errlen);
	if (rc == 0) {
		int fd = vm__sbx_seccomp_fd(err, errlen);
		if (fd >= 0)
			close(fd);
		rc = fd < 0 ? fd : 0;
	}
	return rc;
}

static bool valid_name(const char *s, size_t max, bool dots)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max)
		return false;
	for (; *s; s++)
		if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') ||
		      ('0' <= *s && *s <= '9') || *s == '-' || *s == '_' || (dots && *s == '.')))
			return false;
	return s[-(ptrdiff_t)n] != '.';
}

static const char *env_path(const char *const *env)
{
	for (; env && *env; env++)
		if (strncmp(*env, "PATH=", 5) == 0)
			return *env + 5;
	return DEFAULT_PATH;
}

/* The program must exist on the host: the sandbox sees the host's root
 * read-only, so a missing binary is found here with a clear message
 * instead of as bwrap's exit status. */
static int check_program(const char *prog, const char *path, char *err, size_t errlen)
{
	if (strchr(prog, '/')) {
		if (access(prog, X_OK) == 0)
			return 0;
		int e = errno;
		fail(err, errlen, "program %s: %s", prog, strerror(e));
		return -e;
	}
	char buf[PATH_MAX];
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, prog);
		if (access(buf, X_OK) == 0)
			return 0;
		p += n + (p[n] == ':');
	}
	fail(err, errlen, "program %s: not found on PATH (%s)", prog, path);
	return -ENOENT;
}

int vm_process_find_program(const char *prog, char *err, size_t errlen)
{
	return check_program(prog, DEFAULT_PATH, err, errlen);
}

static int resolve_ids(const struct vm__sbx_spec *spec, uid_t *uid, gid_t *gid, char *err,
                       size_t errlen)
{
	*uid = spec->uid;
	*gid = spec->gid;
	if (!*uid) {
		struct passwd *pw = getpwnam("nobody");
		*uid = pw ? pw->pw_uid : 65534;
	}
	if (!*gid) {
		struct group *gr = getgrnam("nogroup");
		*gid = gr ? gr->gr_gid : 65534;
	}
	if (*uid == 0 || *gid == 0) {
		fail(err, errlen, "uid/gid: a sandboxed program never runs as root");
		return -EINVAL;
	}
	return 0;
}

static int check_spec(const struct vm__sbx_spec *spec, char *err, size_t errlen)
{
	if (!valid_name(spec->name, 40, false)) {
		fail(err, errlen, "name: 1-40 of [A-Za-z0-9_-]");
		return -EINVAL;
	}
	if (!spec->argv || !spec->argv[0] || !spec->on_exit) {
		fail(err, errlen, "spec: argv and on_exit are required");
		return -EINVAL;
	}
	if (spec->netns && !valid_name(spec->netns, 60, true)) {
		fail(err, errlen, "netns %s: 1-60 of [A-Za-z0-9_.-]", spec->netns);
		return -EINVAL;
	}
	return 0;
}

/* ---- the netns and the scratch directory ------------------------------------ */

static int check_netns(struct vm__sbx *s, bool create, char *err, size_t errlen)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), NETNS_DIR "/%s", s->netns);
	bool exists = access(path, F_OK) == 0;
	if (create && exists) {
		fail(err, errlen, "netns %s: %s exists already", s->netns, path);
		return -EEXIST;
	}
	if (!create && !exists) {
		fail(err, errlen, "netns %s: %s does not exist (ip netns add %s)", s->netns, path,
		     s->netns);
		return -ENOENT;
	}
	s->made_netns = create;
	return 0;
}

/* What `ip netns del` does; the sandbox's processes are gone by now. */
static int delete_netns(const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), NETNS_DIR "/%s", name);
	umount2(path, MNT_DETACH);
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* mkdir -p: the root of the scratch directories (/var/lib/innet/sandbox) */
static int mkdir_p(const char *path)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", path);
	for (char *q = p + 1;; q++) {
		bool end = *q == 0;
		if (*q != '/' && !end)
			continue;
		*q = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		if (end)
			return 0;
		*q = '/';
	}
}

static int make_scratch(struct vm__sbx *s, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (!s->scratch[0] || s->scratch_root[0] != '/') {
		fail(err, errlen, "scratch: %s: not an absolute path of a usable length",
		     s->scratch_root);
		return -EINVAL;
	}
	int rc = mkdir_p(s->scratch_root);
	if (rc < 0) {
		fail(err, errlen, "scratch: %s: mkdir: %s", s->scratch_root, strerror(-rc));
		return rc;
	}
	if (mkdir(s->scratch, 0700) < 0) {
		int e = errno;
		fail(err, errlen, "scratch: %s: mkdir: %s", s->scratch, strerror(e));
		return -e;
	}
	s->made_scratch = true;
	if (chown(s->scratch, uid, gid) < 0) {
		int e = errno;
		fail(err, errlen, "scratch: %s: chown %u:%u: %s", s->scratch, (unsigned)uid,
		     (unsigned)gid, strerror(e));
		return -e;
	}
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* On the thread pool: a program may have filled its scratch directory. */
static void rm_scratch_work(uv_work_t *w)
{
	struct vm__sbx *s = w->data;
	s->rm_status = nftw(s->scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 ? -errno : 0;
	if (s->rm_status == -ENOENT)
		s->rm_status = 0;
}

/* ---- the command line ------------------------------------------------------ */

struct args {
	const char *v[256];
	char store[64][PATH_MAX + 16];
	char procs[VM_SBX_CG_N][272];
	size_t n, ns;
};

static int add(struct args *a, const char *s)
{
	if (a->n + 1 >= sizeof(a->v) / sizeof(a->v[0]))
		return -E2BIG;
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
	return 0;
}

__attribute__((format(printf, 2, 3)))
static const char *fmt(struct args *a, const char *f, ...)
{
	if (a->ns >= sizeof(a->store) / sizeof(a->store[0]))
		return "";
	va_list ap;
	va_start(ap, f);
	vsnprintf(a->store[a->ns], sizeof(a->store[0]), f, ap);
	va_end(ap);
	return a->store[a->ns++];
}

static int add_bwrap(struct args *a, const struct vm__sbx *s, const struct vm__sbx_spec *spec,
                     uid_t uid, gid_t gid)
{
	static const char *const fixed[] = {
		"--unshare-user", "--unshare-pid", "--unshare-uts", "--unshare-ipc",
		"--unshare-cgroup-try", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
	};
	int rc = add(a, find_tool(BWRAP));
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		rc |= add(a, fixed[i]);
	rc |= add(a, "--uid") | add(a, fmt(a, "%u", (unsigned)uid));
	rc |= add(a, "--gid") | add(a, fmt(a, "%u", (unsigned)gid));
	rc |= add(a, "--hostname") | add(a, s->name);
	if (!spec->ro_binds) {
		rc |= add(a, "--ro-bind") | add(a, "/") | add(a, "/");
	} else {
		for (const char *const *b = spec->ro_binds; *b; b++)
			rc |= add(a, "--ro-bind") | add(a, *b) | add(a, *b);
	}
	rc |= add(a, "--dev") | add(a, "/dev") | add(a, "--proc") | add(a, "/proc");
	rc |= add(a, "--tmpfs") | add(a, "/tmp");
	/* the other sandboxes' scratch directories are not this one's business */
	rc |= add(a, "--tmpfs") | add(a, s->scratch_root);
	rc |= add(a, "--bind") | add(a, s->scratch) | add(a, s->scratch);
	rc |= add(a, "--chdir") | add(a, s->scratch);
	rc |= add(a, "--setenv") | add(a, "INNET_SCRATCH") | add(a, s->scratch);
	rc |= add(a, "--seccomp") | add(a, "3") | add(a, "--json-status-fd") | add(a, "4");
	rc |= add(a, "--");
	for (const char *const *p = spec->argv; *p; p++)
		rc |= add(a, *p);
	return rc ? -E2BIG : 0;
}

static int build_args(struct args *a, const struct vm__sbx *s, const struct vm__sbx_spec *spec,
                      uid_t uid, gid_t gid)
{
	memset(a, 0, sizeof(*a));
	size_t np = vm__sbx_cg_procs(&s->cg, a->procs, VM_SBX_CG_N);
	int rc = add(a, "/bin/sh") | add(a, "-c") | add(a, OUTER_SH) | add(a, "innet-sandbox");
	rc |= add(a, INNER_SH) | add(a, fmt(a, "%zu", np));
	for (size_t i = 0; i < np; i++)
		rc |= add(a, a->procs[i]);
	rc |= add(a, s->netns) | add(a, s->made_netns ? "1" : "0");
	rc |= add(a, spec->low_ports ? "1" : "0") | add(a, find_tool(IP));
	rc |= add(a, find_tool(SETPRIV)) | add(a, fmt(a, "--reuid=%u", (unsigned)uid));
	rc |= add(a, fmt(a, "--regid=%u", (unsigned)gid)) | add(a, "--clear-groups");
	rc |= add(a, "--inh-caps=-all") | add(a, "--no-new-privs") | add(a, "--");
	if (rc)
		return -E2BIG;
	return add_bwrap(a, s, spec, uid, gid);
}

/* ---- handles and the end --------------------------------------------------- */

static void finish(struct vm__sbx *s);
static void watch_oom(struct vm__sbx *s);

static void on_close(uv_handle_t *h)
{
	struct vm__sbx *s = h->data;
	if (--s->handles > 0)
		return;
	if (s->abandoned) {
		vm__sbx_ring_free(&s->log);
		free(s);
		return;
	}
	if (s->phase == PH_CLEANING && s->cleaned)
		finish(s);
}

static void close_handle(uv_handle_t *h)
{
	if (h->data && !uv_is_closing(h))
		uv_close(h, on_close);
}

static void close_all(struct vm__sbx *s, bool pipes)
{
	uv_handle_t *hs[] = {(uv_handle_t *)&s->proc, (uv_handle_t *)&s->grace,
	                     (uv_handle_t *)&s->poll, (uv_handle_t *)&s->oom_poll,
	                     (uv_handle_t *)&s->oom_ev, (uv_handle_t *)&s->out,
	                     (uv_handle_t *)&s->err, (uv_handle_t *)&s->status};
	for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
		if (i < 5 || pipes)
			close_handle(hs[i]);
	if (s->oom_fd >= 0 && uv_is_closing((uv_handle_t *)&s->oom_poll)) {
		close(s->oom_fd); /* uv_poll does not own it; the loop forgot it */
		s->oom_fd = -1;
	}
}

/* The last line of the log: a launcher step's or bwrap's own words. */
static void last_line(const struct vm__sbx *s, char *out, size_t len)
{
	char buf[512];
	size_t n = vm__sbx_ring_read(&s->log, buf, sizeof(buf) - 1);
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = 0;
	char *nl = strrchr(buf, '\n');
	const char *l = nl ? nl + 1 : buf;
	size_t k = strlen(l) < len - 1 ? strlen(l) : len - 1;
	memcpy(out, l, k);
	out[k] = 0;
}

/* bwrap reports its child before setting the sandbox up, so a failure of
 * the set-up (a bind, the exec) is told by its words: "bwrap: ..." and
 * status 1; the launcher's steps say "innet-sandbox: step ..." (120-122). */
static bool launch_failed(const struct vm__sbx *s, const char *line)
{
	if (!s->started)
		return true;
	if (s->exit_status == 1 && strncmp(line, "bwrap: ", 7) == 0)
		return true;
	return s->exit_status >= 120 && s->exit_status <= 122 &&
	       strncmp(line, "innet-sandbox: step", 19) == 0;
}

static void decide_reason(struct vm__sbx *s)
{
	struct vm__sbx_exit *ex = &s->ex;
	ex->status = (int)s->exit_status;
	ex->signal = s->term_signal;
	if (!ex->signal && ex->status > 128 && ex->status < 128 + 65)
		ex->signal = ex->status - 128; /* bwrap's way of saying "killed by" */
	char line[160];
	last_line(s, line, sizeof(line));
	if (ex->oom_kills > 0) { /* whatever followed, the memory limit was the cause */
		ex->reason = VM_SBX_OOM;
		snprintf(ex->msg, sizeof(ex->msg), "sandbox %s: killed by its cgroup's OOM killer "
		         "(%llu kill(s)) under its memory limit of %llu bytes%s", s->name,
		         (unsigned long long)ex->oom_kills, (unsigned long long)s->mem_limit,
		         s->started ? "" : ", before the program started");
	} else if (launch_failed(s, line)) {
		ex->reason = VM_SBX_START_FAILED;
		if (snprintf(ex->msg, sizeof(ex->msg), "sandbox %s: the launch failed (status %d): %s",
		             s->name, ex->status, line[0] ? line : "no message") >= (int)sizeof(ex->msg))
			ex->msg[sizeof(ex->msg) - 2] = '~'; /* cut */
	} else if (s->stop_requested) {
		ex->reason = VM_SBX_STOPPED;
		snprintf(ex->msg, sizeof(ex->msg), "sandbox %s: stopped", s->name);
	} else if (ex->signal) {
		ex->reason = VM_SBX_SIGNALED;
		snprintf(ex->msg, sizeof(ex->msg), "sandbox %s: killed by signal %d", s->name,
		         ex->signal);
	} else {
		ex->reason = VM_SBX_EXITED;
		snprintf(ex->msg, sizeof(ex->msg), "sandbox %s: exited with status %d", s->name,
		         ex->status);
	}
}

static void finish(struct vm__sbx *s)
{
	s->phase = PH_DONE;
	decide_reason(s);
	s->on_exit(s, &s->ex, s->arg); /* may free s */
}

static void rm_scratch_done(uv_work_t *w, int status)
{
	struct vm__sbx *s = w->data;
	if (status < 0 || s->rm_status < 0) {
		log_warn("sandbox", "%s: scratch %s not removed: %s", s->name, s->scratch,
		         strerror(-(status < 0 ? status : s->rm_status)));
		s->ex.cleanup_failed = true;
	}
	s->made_scratch = false;
	s->cleaned = true;
	/* the pipes close at their EOF, so the program's last words are kept;
	 * with processes left behind that EOF may never come */
	close_all(s, s->ex.cleanup_failed);
}

/* The cgroup is empty (or given up on): the netns, then the scratch. */
static void cleanup_rest(struct vm__sbx *s)
{
	if (s->made_netns) {
		int rc = delete_netns(s->netns);
		if (rc < 0) {
			log_warn("sandbox", "%s: netns %s not deleted: %s", s->name, s->netns,
			         strerror(-rc));
			s->ex.cleanup_failed = true;
		}
		s->made_netns = false;
	}
	s->rm_work.data = s;
	if (!s->made_scratch || uv_queue_work(s->loop, &s->rm_work, rm_scratch_work,
	                                      rm_scratch_done) < 0)
		rm_scratch_done(&s->rm_work, 0);
}

static void try_cgroup_rmdir(uv_timer_t *t)
{
	struct vm__sbx *s = t->data;
	int rc = vm__sbx_cg_remove(&s->cg);
	if (rc == -EBUSY && ++s->polls < CG_RMDIR_TRIES) {
		vm__sbx_cg_signal(&s->cg, SIGKILL, 0);
		uv_timer_start(&s->poll, try_cgroup_rmdir, CG_RMDIR_POLL_MS, 0);
		return;
	}
	if (rc < 0) {
		log_warn("sandbox", "%s: cgroup %s not removed: %s", s->name,
		         s->cg.dir[VM_SBX_CG_MEMORY], strerror(-rc));
		s->ex.cleanup_failed = true;
	}
	cleanup_rest(s);
}

static void freeze_done(struct vm__sbx *s, int status)
{
	vm__sbx_freeze_cb cb = s->freeze_cb;
	s->freezing = false;
	s->freeze_cb = NULL;
	uv_timer_stop(&s->poll);
	if (cb)
		cb(s, status, s->freeze_arg);
}

static void start_cleanup(struct vm__sbx *s)
{
	s->phase = PH_CLEANING;
	uv_timer_stop(&s->grace);
	if (s->freezing)
		freeze_done(s, -ECANCELED);
	/* the OOM count goes with the cgroup: read it first */
	s->ex.oom_kills = vm__sbx_cg_oom_kills(&s->cg);
	if (s->frozen || s->freezing)
		vm__sbx_cg_freeze(&s->cg, false); /* frozen stragglers cannot die */
	s->frozen = false;
	vm__sbx_cg_signal(&s->cg, SIGKILL, 0);
	s->polls = 0;
	try_cgroup_rmdir(&s->poll);
}

static void on_proc_exit(uv_process_t *p, int64_t status, int sig)
{
	struct vm__sbx *s = p->data;
	s->exited = true;
	s->exit_status = status;
	s->term_signal = sig;
	s->pid = 0;
	start_cleanup(s);
}

/* ---- output ---------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	static char chunk[16384]; /* the loop's thread only; copied at once */
	(void)h; (void)hint;
	*buf = uv_buf_init(chunk, sizeof(chunk));
}

static void on_output(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct vm__sbx *s = st->data;
	if (n > 0)
		vm__sbx_ring_put(&s->log, buf->base, (size_t)n);
	else if (n < 0)
		close_handle((uv_handle_t *)st); /* EOF: every writer is gone */
}

/* bwrap --json-status-fd: {"child-pid": N} once the program runs. */
static void on_status(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct vm__sbx *s = st->data;
	if (n < 0) {
		close_handle((uv_handle_t *)st);
		return;
	}
	size_t room = sizeof(s->status_buf) - 1 - s->status_len;
	size_t k = (size_t)n < room ? (size_t)n : room;
	memcpy(s->status_buf + s->status_len, buf->base, k);
	s->status_len += k;
	s->status_buf[s->status_len] = 0;
	const char *c = strstr(s->status_buf, "\"child-pid\":");
	if (c && !s->started) {
		s->started = true;
		s->child_pid = atoi(c + strlen("\"child-pid\":"));
	}
}

/* ---- start ----------------------------------------------------------------- */

static int init_handles(struct vm__sbx *s)
{
	uv_handle_t *hs[] = {(uv_handle_t *)&s->out, (uv_handle_t *)&s->err,
	                     (uv_handle_t *)&s->status, (uv_handle_t *)&s->grace,
	                     (uv_handle_t *)&s->poll};
	int rc = uv_pipe_init(s->loop, &s->out, 0);
	if (rc == 0)
		rc = uv_pipe_init(s->loop, &s->err, 0);
	if (rc == 0)
		rc = uv_pipe_init(s->loop, &s->status, 0);
	if (rc == 0)
		rc = uv_timer_init(s->loop, &s->grace);
	if (rc == 0)
		rc = uv_timer_init(s->loop, &s->poll);
	for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
		if (hs[i]->loop == s->loop) { /* initialised */
			hs[i]->data = s;
			s->handles++;
		}
	return rc;
}

/* Whatever innetd has open without O_CLOEXEC (a library's descriptor, a
 * DPDK hugepage file) must not reach the program: libuv passes on every
 * inheritable descriptor. The seccomp memfd comes through stdio[3]. */
static void cloexec_all(void)
{
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	DIR *d = opendir("/proc/self/fd"); /* before Linux 5.11 */
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (atoi(e->d_name) > 2 && atoi(e->d_name) != dirfd(d))
			fcntl(atoi(e->d_name), F_SETFD, FD_CLOEXEC);
	closedir(d);
}

static int spawn(struct vm__sbx *s, const struct vm__sbx_spec *spec, uid_t uid, gid_t gid,
                 int seccomp_fd, char *err, size_t errlen)
{
	struct args *a = malloc(sizeof(*a));
	if (!a)
		return -ENOMEM;
	int rc = build_args(a, s, spec, uid, gid);
	if (rc < 0) {
		fail(err, errlen, "launch: the command line is too long");
		goto cleanup;
	}
	static const char *const default_env[] = {"PATH=" DEFAULT_PATH, NULL};
	uv_stdio_container_t io[5] = {
		{.flags = UV_IGNORE},
		{.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&s->out},
		{.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&s->err},
		{.flags = UV_INHERIT_FD, .data.fd = seccomp_fd},
		{.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&s->status},
	};
	uv_process_options_t o = {
		.exit_cb = on_proc_exit,
		.file = a->v[0],
		.args = (char **)a->v,
		.env = (char **)(spec->env ? spec->env : default_env),
		/* its own session: a Ctrl-C at innetd's terminal is not for it */
		.flags = UV_PROCESS_DETACHED,
		.stdio_count = 5,
		.stdio = io,
	};
	s->proc.data = s;
	cloexec_all();
	rc = uv_spawn(s->loop, &s->proc, &o);
	if (rc < 0) {
		s->proc.data = NULL;
		fail(err, errlen, "launch: uv_spawn /bin/sh: %s", uv_strerror(rc));
		goto cleanup;
	}
	s->handles++;
	s->pid = s->proc.pid;
	uv_read_start((uv_stream_t *)&s->out, on_alloc, on_output);
	uv_read_start((uv_stream_t *)&s->err, on_alloc, on_output);
	uv_read_start((uv_stream_t *)&s->status, on_alloc, on_status);
cleanup:
	free(a);
	return rc;
}

static void set_paths(struct vm__sbx *s, const struct vm__sbx_spec *spec)
{
	snprintf(s->name, sizeof(s->name), "%s", spec->name);
	if (spec->netns)
		snprintf(s->netns, sizeof(s->netns), "%s", spec->netns);
	else
		snprintf(s->netns, sizeof(s->netns), "innet-%s", spec->name);
	snprintf(s->scratch_root, sizeof(s->scratch_root), "%s",
	         spec->scratch_root ? spec->scratch_root : VM_SBX_SCRATCH_ROOT);
	if (snprintf(s->scratch, sizeof(s->scratch), "%s/%s", s->scratch_root, spec->name) >=
	    (int)sizeof(s->scratch))
		s->scratch[0] = 0; /* refused by make_scratch */
	s->grace_ms = spec->grace_ms ? spec->grace_ms : 2000;
	s->oom_keep_running = spec->oom_keep_running;
	s->mem_limit = spec->lim.mem_bytes;
	s->on_exit = spec->on_exit;
	s->arg = spec->arg;
}

/* Every step that can fail without side effects, first. */
static int preflight(struct vm__sbx *s, const struct vm__sbx_spec *spec, uid_t *uid, gid_t *gid,
                     char *err, size_t errlen)
{
	int rc = check_spec(spec, err, errlen);
	if (rc == 0 && geteuid() != 0) {
		fail(err, errlen, "the process sandbox needs root (namespaces, cgroups, /run/netns)");
		rc = -EPERM;
	}
	if (rc == 0)
		rc = check_tools(err, errlen);
	if (rc == 0)
		rc = check_program(spec->argv[0], env_path(spec->env), err, errlen);
	if (rc == 0)
		rc = resolve_ids(spec, uid, gid, err, errlen);
	if (rc == 0) {
		set_paths(s, spec);
		rc = check_netns(s, spec->create_netns, err, errlen);
	}
	return rc;
}

/* Undo a start that failed before the program could run. */
static void undo_start(struct vm__sbx *s)
{
	vm__sbx_cg_remove(&s->cg);
	if (s->made_scratch)
		nftw(s->scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	s->abandoned = true;
	if (s->handles == 0) {
		vm__sbx_ring_free(&s->log);
		free(s);
		return;
	}
	close_all(s, true);
}

int vm__sbx_start(uv_loop_t *loop, const struct vm__sbx_spec *spec, struct vm__sbx **out,
                  char *err, size_t errlen)
{
	char why[400] = "";
	int seccomp_fd = -1;
	uid_t uid = 0;
	gid_t gid = 0;
	struct vm__sbx *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->oom_fd = -1;
	int rc = preflight(s, spec, &uid, &gid, why, sizeof(why));
	if (rc == 0)
		rc = vm__sbx_ring_init(&s->log, spec->log_bytes ? spec->log_bytes : VM_SBX_LOG_BYTES);
	if (rc == 0)
		rc = seccomp_fd = vm__sbx_seccomp_fd(why, sizeof(why));
	if (rc >= 0)
		rc = make_scratch(s, uid, gid, why, sizeof(why));
	if (rc == 0 && spec->prepare) {
		rc = spec->prepare(s->scratch, spec->arg);
		if (rc < 0)
			fail(why, sizeof(why), "prepare: the caller's files in %s: %s", s->scratch,
			     strerror(-rc));
	}
	if (rc == 0)
		rc = vm__sbx_cg_create(&s->cg, spec->cgroup_parent ? spec->cgroup_parent
		                       : "innet-sandbox", s->name, &spec->lim, why, sizeof(why));
	if (rc == 0)
		rc = init_handles(s);
	if (rc == 0)
		rc = spawn(s, spec, uid, gid, seccomp_fd, why, sizeof(why));
	if (rc == 0)
		watch_oom(s);
	if (seccomp_fd >= 0)
		close(seccomp_fd); /* the child has its copy */
	if (rc < 0) {
		snprintf(err, errlen, "sandbox %s: %s", spec->name ? spec->name : "?", why);
		undo_start(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* ---- OOM: the cgroup's killer took a process --------------------------------- */

/* Ends everything at once: no SIGTERM to a program that is already
 * broken or must not finish what it was doing. */
static void kill_now(struct vm__sbx *s)
{
	s->phase = PH_STOPPING;
	if (s->freezing)
		freeze_done(s, -ECANCELED);
	if (s->frozen || s->freezing)
		vm__sbx_cg_freeze(&s->cg, false); /* a frozen task dies only when thawed (v1) */
	s->frozen = false;
	vm__sbx_cg_signal(&s->cg, SIGKILL, 0);
}

static void oom_seen(struct vm__sbx *s)
{
	if (s->phase != PH_RUNNING && s->phase != PH_STOPPING)
		return;
	uint64_t n = vm__sbx_cg_oom_kills(&s->cg);
	if (n == 0 || s->oom_keep_running)
		return;
	log_warn("sandbox", "%s: %llu process(es) killed by the OOM killer under %llu bytes: "
	         "ending the sandbox", s->name, (unsigned long long)n,
	         (unsigned long long)s->mem_limit);
	kill_now(s);
}

static void on_oom_poll(uv_poll_t *p, int status, int events)
{
	struct vm__sbx *s = p->data;
	uint64_t v;
	if (read(s->oom_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		uv_poll_stop(p);
	oom_seen(s);
}

static void on_oom_event(uv_fs_event_t *e, const char *file, int events, int status)
{
	oom_seen(e->data);
}

/* Not fatal when it fails: the exit report still reads the count. */
static void watch_oom(struct vm__sbx *s)
{
	char path[PATH_MAX];
	int fd = vm__sbx_cg_oom_notifier(&s->cg, path, sizeof(path));
	if (fd >= 0) {
		s->oom_fd = fd;
		if (uv_poll_init(s->loop, &s->oom_poll, fd) == 0) {
			s->oom_poll.data = s;
			s->handles++;
			uv_poll_start(&s->oom_poll, UV_READABLE, on_oom_poll);
		}
	} else if (path[0] && uv_fs_event_init(s->loop, &s->oom_ev) == 0) {
		s->oom_ev.data = s;
		s->handles++;
		uv_fs_event_start(&s->oom_ev, on_oom_event, path, 0);
	} else {
		log_warn("sandbox", "%s: no OOM notification (%s): reported at the end only",
		         s->name, strerror(-fd));
	}
}

/* ---- stop, freeze, thaw ---------------------------------------------------- */

static void on_grace(uv_timer_t *t)
{
	struct vm__sbx *s = t->data;
	log_info("sandbox", "%s: still running %u ms after SIGTERM: SIGKILL", s->name,
	         s->grace_ms);
	vm__sbx_cg_signal(&s->cg, SIGKILL, 0);
}

int vm__sbx_stop(struct vm__sbx *s)
{
	if (s->phase != PH_RUNNING)
		return -EALREADY;
	s->phase = PH_STOPPING;
	s->stop_requested = true;
	bool freezer_on = s->frozen || s->freezing; /* (freeze_done clears freezing) */
	if (s->freezing)
		freeze_done(s, -ECANCELED);
	if (freezer_on)
		vm__sbx_cg_freeze(&s->cg, false); /* SIGTERM waits for a thaw */
	s->frozen = false;
	/* not to bwrap itself: it dies of it, and takes the program down with
	 * SIGKILL (--die-with-parent) before the program could finish */
	int n = vm__sbx_cg_signal(&s->cg, SIGTERM, s->pid);
	if (n <= 0)
		vm__sbx_cg_signal(&s->cg, SIGKILL, 0); /* only bwrap is left */
	uv_timer_start(&s->grace, on_grace, s->grace_ms, 0);
	return 0;
}

int vm__sbx_free(struct vm__sbx *s)
{
	if (!s)
		return 0;
	if (s->phase != PH_DONE)
		return -EBUSY;
	vm__sbx_ring_free(&s->log);
	free(s);
	return 0;
}

static void poll_frozen(uv_timer_t *t)
{
	struct vm__sbx *s = t->data;
	int rc = vm__sbx_cg_frozen(&s->cg);
	if (rc == 0 && ++s->polls < FREEZE_TRIES) {
		uv_timer_start(&s->poll, poll_frozen, FREEZE_POLL_MS, 0);
		return;
	}
	if (rc == 1) {
		s->frozen = true;
		freeze_done(s, 0);
		return;
	}
	vm__sbx_cg_freeze(&s->cg, false);
	freeze_done(s, rc < 0 ? rc : -ETIMEDOUT);
}

int vm__sbx_freeze(struct vm__sbx *s, vm__sbx_freeze_cb cb, void *arg)
{
	if (s->phase != PH_RUNNING)
		return -ESRCH;
	if (s->frozen || s->freezing)
		return -EALREADY;
	int rc = vm__sbx_cg_freeze(&s->cg, true);
	if (rc < 0)
		return rc;
	s->freezing = true;
	s->freeze_cb = cb;
	s->freeze_arg = arg;
	s->polls = 0;
	poll_frozen(&s->poll);
	return 0;
}

int vm__sbx_thaw(struct vm__sbx *s)
{
	if (s->phase != PH_RUNNING)
		return -ESRCH;
	if (!s->frozen && !s->freezing)
		return -EALREADY;
	if (s->freezing)
		freeze_done(s, -ECANCELED);
	int rc = vm__sbx_cg_freeze(&s->cg, false);
	if (rc == 0)
		s->frozen = false;
	return rc;
}

bool vm__sbx_frozen(const struct vm__sbx *s)
{
	return s->frozen;
}

/* ---- figures --------------------------------------------------------------- */

int vm__sbx_stats(const struct vm__sbx *s, struct vm__sbx_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->log_bytes = s->log.len;
	st->log_dropped = s->log.dropped;
	if (s->phase == PH_DONE || s->phase == PH_CLEANING) {
		st->oom_kills = s->ex.oom_kills;
		return 0;
	}
	return vm__sbx_cg_stats(&s->cg, st);
}

size_t vm__sbx_log_read(const struct vm__sbx *s, char *buf, size_t len, uint64_t *dropped)
{
	if (dropped)
		*dropped = s->log.dropped;
	return vm__sbx_ring_read(&s->log, buf, len);
}

int vm__sbx_pid(const struct vm__sbx *s)
{
	return s->pid;
}

bool vm__sbx_started(const struct vm__sbx *s)
{
	return s->started;
}

const char *vm__sbx_scratch(const struct vm__sbx *s)
{
	return s->scratch;
}

const char *vm__sbx_netns(const struct vm__sbx *s)
{
	return s->netns;
}

const char *vm__sbx_cgroup_dir(const struct vm__sbx *s, const char *ctl)
{
	static const char *const names[VM_SBX_CG_N] = {"memory", "cpu", "cpuacct", "pids",
	                                               "freezer"};
	for (int i = 0; i < VM_SBX_CG_N; i++)
		if (strcmp(names[i], ctl) == 0)
			return s->cg.dir[i][0] ? s->cg.dir[i] : NULL;
	return NULL;
}
