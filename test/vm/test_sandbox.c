/* The process sandbox (src/vm/sandbox*.c) with real programs: nginx
 * serving a page through a veth between two namespaces of the test's own,
 * fetched with curl; inside the sandbox the uid is not 0, no capability,
 * / read-only and the scratch writable, a forbidden system call fails, the
 * pids limit stops a fork bomb, freeze stops answers and thaw brings them
 * back, a memory limit ends in an OOM report, a stop or an exit leaves no
 * cgroup, scratch or netns behind, and a start that cannot succeed says
 * why and leaves nothing. The log ring needs nothing. Root is needed for
 * everything but the ring: without it those tests are skipped. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "harness.h"
#include "vm/internal.h"

#define SCRATCH_ROOT "/var/tmp/innet-sbx-test"
#define NS_SRV "innet-sbxt-srv"
#define NS_CLI "innet-sbxt-cli"
#define SRV_ADDR "10.253.7.2"
#define CLI_ADDR "10.253.7.1"
#define PAGE "hello from the sandbox"

struct ctx {
	uv_loop_t loop;
	struct vm__sbx *s;
	bool ended, frozen_cb;
	int freeze_status;
	struct vm__sbx_exit ex;
	char log[VM_SBX_LOG_BYTES + 1];
};

static void on_exit_cb(struct vm__sbx *s, const struct vm__sbx_exit *ex, void *arg)
{
	struct ctx *c = arg;
	c->ex = *ex;
	size_t n = vm__sbx_log_read(s, c->log, sizeof(c->log) - 1, NULL);
	c->log[n] = 0;
	c->ended = true;
	assert_int_equal(vm__sbx_free(s), 0);
	c->s = NULL;
}

static void on_freeze(struct vm__sbx *s, int status, void *arg)
{
	struct ctx *c = arg;
	c->freeze_status = status;
	c->frozen_cb = true;
}

static void on_deadline(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

/* Turns the loop until *flag or timeout_ms (then fails). */
static void run_until(struct ctx *c, bool *flag, unsigned timeout_ms)
{
	bool late = false;
	uv_timer_t t;
	uv_timer_init(&c->loop, &t);
	t.data = &late;
	uv_timer_start(&t, on_deadline, timeout_ms, 0);
	while (!*flag && !late)
		uv_run(&c->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&c->loop, UV_RUN_NOWAIT);
	assert_true(*flag);
}

/* Lets the loop read output for ms milliseconds. */
static void run_for(struct ctx *c, unsigned ms)
{
	bool done = false;
	uv_timer_t t;
	uv_timer_init(&c->loop, &t);
	t.data = &done;
	uv_timer_start(&t, on_deadline, ms, 0);
	while (!done)
		uv_run(&c->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&c->loop, UV_RUN_NOWAIT);
}

static void log_now(struct ctx *c)
{
	size_t n = vm__sbx_log_read(c->s, c->log, sizeof(c->log) - 1, NULL);
	c->log[n] = 0;
}

/* Turns the loop until the log holds `needle` (or fails). */
static void run_until_log(struct ctx *c, const char *needle, unsigned timeout_ms)
{
	for (unsigned t = 0; t < timeout_ms && c->s; t += 20) {
		run_for(c, 20);
		log_now(c);
		if (strstr(c->log, needle))
			return;
	}
	fail_msg("the log never said %s", needle);
}

__attribute__((format(printf, 1, 2)))
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The sandbox needs root, bwrap, ip, setpriv, cgroups and libseccomp. */
#define NEED_ROOT() do { if (!can_sandbox()) skip(); } while (0)
static bool can_sandbox(void)
{
	char err[256];
	if (geteuid() != 0) {
		print_message("skipped: the sandbox needs root (namespaces, cgroups, /run/netns)\n");
		return false;
	}
	if (vm__sbx_check(err, sizeof(err)) < 0) {
		print_message("skipped: %s\n", err);
		return false;
	}
	return true;
}

static struct ctx *ctx_new(void)
{
	struct ctx *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	assert_int_equal(uv_loop_init(&c->loop), 0);
	return c;
}

static void ctx_free(struct ctx *c)
{
	if (c->s) { /* a failed assertion left it running */
		vm__sbx_stop(c->s);
		run_until(c, &c->ended, 10000);
	}
	uv_run(&c->loop, UV_RUN_NOWAIT);
	assert_int_equal(uv_loop_close(&c->loop), 0);
	free(c);
}

static struct vm__sbx_spec base_spec(struct ctx *c, const char *name, const char *const *argv)
{
	struct vm__sbx_spec sp = {
		.name = name, .argv = argv, .create_netns = true, .low_ports = true,
		.scratch_root = SCRATCH_ROOT, .cgroup_parent = "innet-sbx-test",
		.lim = {.mem_bytes = 256u << 20, .pids_max = 64, .cpu_shares = 512},
		.grace_ms = 3000, .on_exit = on_exit_cb, .arg = c,
	};
	return sp;
}

static void start_ok(struct ctx *c, const struct vm__sbx_spec *sp)
{
	char err[512] = "";
	int rc = vm__sbx_start(&c->loop, sp, &c->s, err, sizeof(err));
	if (rc < 0)
		fail_msg("vm__sbx_start: %d: %s", rc, err);
}

/* Everything a sandbox named `name` could leave behind. */
static void assert_no_residue(const char *name, const char *netns)
{
	char p[512];
	static const char *const ctls[] = {"memory", "cpu", "pids", "freezer"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "/sys/fs/cgroup/%s/innet-sbx-test/%s", ctls[i], name);
		assert_false(exists(p));
	}
	snprintf(p, sizeof(p), "/sys/fs/cgroup/innet-sbx-test/%s", name);
	assert_false(exists(p));
	snprintf(p, sizeof(p), SCRATCH_ROOT "/%s", name);
	assert_false(exists(p));
	if (netns) {
		snprintf(p, sizeof(p), "/run/netns/%s", netns);
		assert_false(exists(p));
	}
}

/* ---- the log ring ---------------------------------------------------------- */

static void test_ring(void **state)
{
	(void)state;
	struct vm__sbx_ring r;
	char out[64];
	assert_int_equal(vm__sbx_ring_init(&r, 8), 0);
	assert_int_equal(vm__sbx_ring_read(&r, out, sizeof(out)), 0);
	vm__sbx_ring_put(&r, "abc", 3);
	assert_int_equal(vm__sbx_ring_read(&r, out, sizeof(out)), 3);
	assert_memory_equal(out, "abc", 3);
	vm__sbx_ring_put(&r, "defgh", 5); /* exactly full */
	assert_int_equal(r.dropped, 0);
	vm__sbx_ring_put(&r, "ij", 2); /* wraps: a and b go */
	assert_int_equal(r.dropped, 2);
	assert_int_equal(vm__sbx_ring_read(&r, out, sizeof(out)), 8);
	assert_memory_equal(out, "cdefghij", 8);
	assert_int_equal(vm__sbx_ring_read(&r, out, 3), 3); /* the newest 3 */
	assert_memory_equal(out, "hij", 3);
	vm__sbx_ring_put(&r, "0123456789ABCDEF", 16); /* more than it holds */
	assert_int_equal(r.dropped, 2 + 8 + 8);
	assert_int_equal(vm__sbx_ring_read(&r, out, sizeof(out)), 8);
	assert_memory_equal(out, "89ABCDEF", 8);
	assert_true(r.len <= r.cap);
	vm__sbx_ring_free(&r);

	/* many odd-sized writes: always the newest bytes, drops add up */
	assert_int_equal(vm__sbx_ring_init(&r, 10), 0);
	char ref[4096];
	size_t total = 0;
	for (int i = 0; i < 200; i++) {
		char chunk[7];
		size_t n = (size_t)(i % 7);
		for (size_t k = 0; k < n; k++)
			chunk[k] = (char)('a' + (total + k) % 26);
		vm__sbx_ring_put(&r, chunk, n);
		memcpy(ref + total, chunk, n);
		total += n;
		size_t keep = total < 10 ? total : 10;
		assert_int_equal(r.len, keep);
		assert_int_equal(r.dropped, total - keep);
		assert_int_equal(vm__sbx_ring_read(&r, out, sizeof(out)), keep);
		assert_memory_equal(out, ref + total - keep, keep);
	}
	vm__sbx_ring_free(&r);
}

/* ---- nginx on a veth between two namespaces -------------------------------- */

static void net_down(void)
{
	sh("ip netns del " NS_SRV " 2>/dev/null; ip netns del " NS_CLI " 2>/dev/null");
}

static int net_up(void)
{
	net_down();
	return sh("ip netns add " NS_SRV " && ip netns add " NS_CLI " && "
	          "ip link add sbxt0 netns " NS_CLI " type veth peer name sbxt1 netns " NS_SRV " && "
	          "ip -n " NS_CLI " addr add " CLI_ADDR "/30 dev sbxt0 && "
	          "ip -n " NS_SRV " addr add " SRV_ADDR "/30 dev sbxt1 && "
	          "ip -n " NS_CLI " link set sbxt0 up && ip -n " NS_SRV " link set sbxt1 up && "
	          "ip -n " NS_CLI " link set lo up && ip -n " NS_SRV " link set lo up");
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -EIO;
}

static const char *nginx_listen = SRV_ADDR ":80";
static unsigned nginx_conns = 64;

/* The test's nginx configuration, written into the scratch directory
 * before the program starts: everything nginx writes goes there. */
static int nginx_prepare(const char *scratch, void *arg)
{
	(void)arg;
	char conf[2048];
	snprintf(conf, sizeof(conf),
	         "worker_processes 1;\n"
	         "pid %1$s/nginx.pid;\n"
	         "error_log stderr notice;\n"
	         "events { worker_connections %3$u; }\n"
	         "http {\n"
	         "  access_log off;\n"
	         "  client_body_temp_path %1$s/body;\n"
	         "  proxy_temp_path %1$s/proxy;\n"
	         "  fastcgi_temp_path %1$s/fastcgi;\n"
	         "  uwsgi_temp_path %1$s/uwsgi;\n"
	         "  scgi_temp_path %1$s/scgi;\n"
	         "  server {\n"
	         "    listen %2$s;\n"
	         "    root %1$s/www;\n"
	         "  }\n"
	         "}\n", scratch, nginx_listen, nginx_conns);
	char www[512];
	snprintf(www, sizeof(www), "%s/www", scratch);
	if (mkdir(www, 0755) < 0)
		return -errno;
	int rc = write_file(scratch, "nginx.conf", conf);
	return rc ? rc : write_file(www, "index.html", PAGE "\n");
}

/* curl from the client namespace: 0 when the page came back. */
static int fetch(unsigned max_s)
{
	return sh("ip netns exec " NS_CLI " curl -sf --max-time %u http://" SRV_ADDR "/ "
	          "| grep -q '" PAGE "'", max_s);
}

static int fetch_retrying(struct ctx *c)
{
	for (int i = 0; i < 100; i++) {
		if (fetch(2) == 0)
			return 0;
		run_for(c, 50); /* nginx is still starting: read its output meanwhile */
	}
	return -1;
}

static uint64_t cg_u64(const struct vm__sbx *s, const char *ctl, const char *file)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", vm__sbx_cgroup_dir(s, ctl), file);
	char *t = th_read_file(p, NULL);
	assert_non_null(t);
	uint64_t v = strtoull(t, NULL, 10);
	free(t);
	return v;
}

/* A line of /proc/PID/status ("Uid:", "CapEff:"). */
static void proc_field(int pid, const char *key, char *out, size_t len)
{
	char p[64], line[256];
	snprintf(p, sizeof(p), "/proc/%d/status", pid);
	out[0] = 0;
	FILE *f = fopen(p, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0) {
			snprintf(out, len, "%s", line + strlen(key));
			break;
		}
	fclose(f);
}

/* Every process of the sandbox: not root, no capability, no_new_privs,
 * under a seccomp filter (bwrap's own monitor aside: it runs the filter's
 * loading, not the program). */
static void assert_processes_confined(struct ctx *c)
{
	char p[512], v[128];
	snprintf(p, sizeof(p), "%s/cgroup.procs", vm__sbx_cgroup_dir(c->s, "pids"));
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	int pid, n = 0, filtered = 0;
	while (fscanf(f, "%d", &pid) == 1) {
		proc_field(pid, "Uid:", v, sizeof(v));
		if (!v[0])
			continue; /* gone meanwhile */
		n++;
		assert_int_not_equal(atoi(v), 0);
		assert_int_not_equal(strtoul(v, NULL, 10), 0);
		proc_field(pid, "CapEff:", v, sizeof(v));
		assert_int_equal(strtoull(v, NULL, 16), 0);
		proc_field(pid, "CapPrm:", v, sizeof(v));
		assert_int_equal(strtoull(v, NULL, 16), 0);
		proc_field(pid, "NoNewPrivs:", v, sizeof(v));
		assert_int_equal(atoi(v), 1);
		proc_field(pid, "Seccomp:", v, sizeof(v));
		filtered += atoi(v) == 2;
	}
	fclose(f);
	assert_true(n >= 2);          /* bwrap and nginx at least */
	assert_true(filtered >= 2);   /* nginx's master and worker */
}

static void test_nginx(void **state)
{
	(void)state;
	NEED_ROOT();
	assert_int_equal(net_up(), 0);
	struct ctx *c = ctx_new();
	const char *argv[] = {"nginx", "-e", "stderr", "-p", SCRATCH_ROOT "/nginx",
	                      "-c", SCRATCH_ROOT "/nginx/nginx.conf", "-g", "daemon off;", NULL};
	struct vm__sbx_spec sp = base_spec(c, "nginx", argv);
	sp.netns = NS_SRV;
	sp.create_netns = false;
	sp.prepare = nginx_prepare;
	sp.lim.cpu_quota_us = 50000; /* half a CPU */
	/* the given netns is the test's: let nobody bind port 80 there */
	assert_int_equal(sh("ip netns exec " NS_SRV " sh -c "
	                    "'echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start'"), 0);
	start_ok(c, &sp);
	for (int i = 0; i < 500 && !vm__sbx_started(c->s); i++)
		run_for(c, 10); /* bwrap's status: the program is being started */
	assert_true(vm__sbx_started(c->s));
	assert_int_equal(fetch_retrying(c), 0);
	assert_processes_confined(c);

	struct vm__sbx_stats st;
	assert_int_equal(vm__sbx_stats(c->s, &st), 0);
	assert_true(st.mem_bytes > 0);
	assert_true(st.mem_peak_bytes >= st.mem_bytes);
	assert_true(st.cpu_ns > 0);
	assert_true(st.pids >= 2);
	assert_int_equal(st.oom_kills, 0);
	/* the limits are the kernel's now */
	assert_int_equal(cg_u64(c->s, "pids", "pids.max"), 64);
	if (vm__sbx_cgroup_dir(c->s, "cpu") != vm__sbx_cgroup_dir(c->s, "memory")) { /* v1 */
		assert_int_equal(cg_u64(c->s, "memory", "memory.limit_in_bytes"), 256u << 20);
		assert_int_equal(cg_u64(c->s, "cpu", "cpu.shares"), 512);
		assert_int_equal(cg_u64(c->s, "cpu", "cpu.cfs_quota_us"), 50000);
	} else {
		assert_int_equal(cg_u64(c->s, "memory", "memory.max"), 256u << 20);
	}

	/* frozen: the connection is accepted by the kernel, never answered */
	assert_int_equal(vm__sbx_freeze(c->s, on_freeze, c), 0);
	assert_int_equal(vm__sbx_freeze(c->s, on_freeze, c), -EALREADY);
	run_until(c, &c->frozen_cb, 10000);
	assert_int_equal(c->freeze_status, 0);
	assert_true(vm__sbx_frozen(c->s));
	assert_int_not_equal(fetch(1), 0);
	assert_int_equal(vm__sbx_thaw(c->s), 0);
	assert_int_equal(vm__sbx_thaw(c->s), -EALREADY);
	assert_int_equal(fetch_retrying(c), 0);

	run_for(c, 100);
	log_now(c);
	assert_non_null(strstr(c->log, "nginx")); /* its notices on stderr */
	assert_non_null(strstr(c->log, "start worker process"));

	assert_int_equal(vm__sbx_stop(c->s), 0);
	assert_int_equal(vm__sbx_stop(c->s), -EALREADY);
	run_until(c, &c->ended, 10000);
	assert_int_equal(c->ex.reason, VM_SBX_STOPPED);
	assert_false(c->ex.cleanup_failed);
	assert_non_null(strstr(c->log, "exiting")); /* it got SIGTERM, not SIGKILL */
	assert_no_residue("nginx", NULL);
	assert_true(exists("/run/netns/" NS_SRV)); /* the test's, not the sandbox's */
	ctx_free(c);
	net_down();
}

/* ---- isolation inside: files, syscalls ------------------------------------- */

static const char PROBE[] =
	"id -u; "
	"touch /etc/innet-sbx-probe 2>&1 || echo ROOT-READONLY; "
	"touch /var/tmp/innet-sbx-probe 2>&1 || echo VARTMP-READONLY; "
	"echo ok > \"$INNET_SCRATCH/probe\" && cat \"$INNET_SCRATCH/probe\" | sed s/ok/SCRATCH-WRITABLE/; "
	"unshare -n true 2>&1 || echo UNSHARE-DENIED; "
	"unshare -U true 2>&1 || echo USERNS-DENIED; "
	"hostname; "
	"ip -br link | wc -l | sed s/^/LINKS=/; "
	"ls -l /proc/self/fd | sed 's/^/FD /'";

static void test_isolation(void **state)
{
	(void)state;
	NEED_ROOT();
	struct ctx *c = ctx_new();
	const char *argv[] = {"/bin/sh", "-c", PROBE, NULL};
	struct vm__sbx_spec sp = base_spec(c, "probe", argv);
	/* innetd's own descriptors without O_CLOEXEC do not reach the program */
	int leak = open("/etc/hostname", O_RDONLY);
	assert_true(leak > 4);
	start_ok(c, &sp);
	close(leak);
	run_until(c, &c->ended, 20000);
	print_message("%s", c->log);
	assert_int_equal(c->ex.reason, VM_SBX_EXITED);
	assert_int_equal(c->ex.status, 0);
	assert_false(c->ex.cleanup_failed);
	assert_int_not_equal(atoi(c->log), 0);                 /* id -u */
	assert_non_null(strstr(c->log, "Read-only file system"));
	assert_non_null(strstr(c->log, "ROOT-READONLY"));
	assert_non_null(strstr(c->log, "VARTMP-READONLY"));
	assert_non_null(strstr(c->log, "SCRATCH-WRITABLE"));
	assert_non_null(strstr(c->log, "Operation not permitted")); /* seccomp's EPERM */
	assert_non_null(strstr(c->log, "UNSHARE-DENIED"));
	assert_non_null(strstr(c->log, "USERNS-DENIED"));
	/* the same user may make a user namespace outside: the filter said no */
	assert_int_equal(sh("setpriv --reuid=65534 --regid=65534 --clear-groups unshare -U true"), 0);
	assert_non_null(strstr(c->log, "\nprobe\n"));              /* its own UTS */
	assert_non_null(strstr(c->log, "LINKS=1"));                /* only lo: its netns */
	assert_non_null(strstr(c->log, "FD "));                    /* nothing inherited: */
	assert_null(strstr(c->log, "/etc/hostname"));             /* the test's own */
	assert_null(strstr(c->log, "innet-seccomp"));             /* the filter's memfd */
	assert_no_residue("probe", "innet-probe");
	ctx_free(c);
}

/* ---- limits ---------------------------------------------------------------- */

static void test_pids_limit(void **state)
{
	(void)state;
	NEED_ROOT();
	struct ctx *c = ctx_new();
	/* a small fork bomb: far more processes than allowed, each waiting */
	const char *argv[] = {"/bin/sh", "-c",
	                      "i=0; while [ $i -lt 60 ]; do sleep 30 & i=$((i+1)); done; "
	                      "echo FORKS-DONE", NULL};
	struct vm__sbx_spec sp = base_spec(c, "forkbomb", argv);
	sp.lim.pids_max = 12;
	start_ok(c, &sp);
	run_until(c, &c->ended, 20000);
	print_message("%.300s\n", c->log);
	assert_non_null(strstr(c->log, "fork")); /* "Cannot fork" */
	assert_null(strstr(c->log, "FORKS-DONE"));
	assert_int_not_equal(c->ex.status, 0);
	assert_no_residue("forkbomb", "innet-forkbomb");

	/* a bomb that fails while its parent lives on: the count stays bounded */
	c->ended = false;
	const char *argv2[] = {"/bin/sh", "-c",
	                       "sh -c 'i=0; while [ $i -lt 60 ]; do sleep 30 & i=$((i+1)); done' "
	                       "2>/dev/null; echo INNER-FAILED; sleep 30", NULL};
	sp = base_spec(c, "forkbomb2", argv2);
	sp.lim.pids_max = 12;
	start_ok(c, &sp);
	run_until_log(c, "INNER-FAILED", 20000);
	struct vm__sbx_stats st;
	assert_int_equal(vm__sbx_stats(c->s, &st), 0);
	assert_true(st.pids <= 12);
	assert_true(st.pids >= 3);
	assert_int_equal(vm__sbx_stop(c->s), 0);
	run_until(c, &c->ended, 20000);
	assert_int_equal(c->ex.reason, VM_SBX_STOPPED);
	assert_no_residue("forkbomb2", "innet-forkbomb2");
	ctx_free(c);
}

static void test_oom(void **state)
{
	(void)state;
	NEED_ROOT();
	struct ctx *c = ctx_new();
	/* 256 MiB touched under a 32 MiB limit */
	const char *argv[] = {"python3", "-c", "b = bytearray(256 << 20); print('SURVIVED')", NULL};
	struct vm__sbx_spec sp = base_spec(c, "oom", argv);
	sp.lim.mem_bytes = 32u << 20;
	start_ok(c, &sp);
	run_until(c, &c->ended, 30000);
	print_message("%s\n", c->ex.msg);
	assert_int_equal(c->ex.reason, VM_SBX_OOM);
	assert_true(c->ex.oom_kills >= 1);
	assert_int_equal(c->ex.signal, 9);
	assert_null(strstr(c->log, "SURVIVED"));
	assert_non_null(strstr(c->ex.msg, "OOM"));
	assert_no_residue("oom", "innet-oom");

	/* nginx under a limit far below what its worker needs (its
	 * connection tables): the worker is OOM-killed, and so the sandbox,
	 * instead of a master respawning workers that die */
	c->ended = false;
	const char *ng[] = {"nginx", "-e", "stderr", "-p", SCRATCH_ROOT "/oomnginx",
	                    "-c", SCRATCH_ROOT "/oomnginx/nginx.conf", "-g", "daemon off;", NULL};
	sp = base_spec(c, "oomnginx", ng);
	sp.prepare = nginx_prepare;
	sp.lim.mem_bytes = 16u << 20;
	nginx_listen = "127.0.0.1:80"; /* in its own netns */
	nginx_conns = 200000;
	start_ok(c, &sp);
	nginx_listen = SRV_ADDR ":80";
	nginx_conns = 64;
	run_until(c, &c->ended, 30000);
	print_message("%s\n", c->ex.msg);
	assert_int_equal(c->ex.reason, VM_SBX_OOM);
	assert_non_null(strstr(c->log, "start worker process")); /* it had started */
	assert_no_residue("oomnginx", "innet-oomnginx");
	ctx_free(c);
}

/* ---- stops and signals ---------------------------------------------------- */

static void test_stop_paths(void **state)
{
	(void)state;
	NEED_ROOT();
	struct ctx *c = ctx_new();
	/* deaf to SIGTERM (sleep inherits the ignored signal), and frozen when
	 * stopped: thawed, SIGTERM ignored, SIGKILL after the grace period */
	const char *deaf[] = {"/bin/sh", "-c", "trap '' TERM; echo READY; sleep 60", NULL};
	struct vm__sbx_spec sp = base_spec(c, "deaf", deaf);
	sp.grace_ms = 300;
	start_ok(c, &sp);
	run_until_log(c, "READY", 20000);
	assert_int_equal(vm__sbx_freeze(c->s, on_freeze, c), 0);
	run_until(c, &c->frozen_cb, 10000);
	assert_int_equal(c->freeze_status, 0);
	assert_int_equal(vm__sbx_stop(c->s), 0);
	run_until(c, &c->ended, 20000);
	assert_int_equal(c->ex.reason, VM_SBX_STOPPED);
	assert_false(c->ex.cleanup_failed);
	assert_no_residue("deaf", "innet-deaf");

	/* a program that dies of a signal by itself */
	c->ended = false;
	const char *segv[] = {"/bin/sh", "-c", "kill -SEGV $$", NULL};
	sp = base_spec(c, "segv", segv);
	start_ok(c, &sp);
	run_until(c, &c->ended, 20000);
	assert_int_equal(c->ex.reason, VM_SBX_SIGNALED);
	assert_int_equal(c->ex.signal, 11);
	assert_no_residue("segv", "innet-segv");
	ctx_free(c);
}

/* ---- starts that fail ------------------------------------------------------ */

static int prepare_fails(const char *scratch, void *arg)
{
	(void)arg;
	return write_file(scratch, "half-written", "x") ?: -EIO;
}

static void test_start_failures(void **state)
{
	(void)state;
	NEED_ROOT();
	struct ctx *c = ctx_new();
	char err[512];
	int rc;

	const char *missing[] = {"/usr/sbin/innet-no-such-program", NULL};
	struct vm__sbx_spec sp = base_spec(c, "missing", missing);
	assert_int_equal(vm__sbx_start(&c->loop, &sp, &c->s, err, sizeof(err)), -ENOENT);
	print_message("%s\n", err);
	assert_non_null(strstr(err, "/usr/sbin/innet-no-such-program"));
	assert_non_null(strstr(err, "No such file"));
	uv_run(&c->loop, UV_RUN_NOWAIT);
	assert_no_residue("missing", "innet-missing");

	/* not root: refused before anything is made */
	const char *tru0[] = {"true", NULL};
	sp = base_spec(c, "notroot", tru0);
	assert_int_equal(seteuid(65534), 0);
	rc = vm__sbx_start(&c->loop, &sp, &c->s, err, sizeof(err));
	assert_int_equal(seteuid(0), 0);
	assert_int_equal(rc, -EPERM);
	assert_non_null(strstr(err, "needs root"));
	assert_no_residue("notroot", "innet-notroot");

	const char *nopath[] = {"innet-no-such-program", NULL};
	sp = base_spec(c, "nopath", nopath);
	assert_int_equal(vm__sbx_start(&c->loop, &sp, &c->s, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "not found on PATH"));

	const char *tru[] = {"true", NULL};
	sp = base_spec(c, "bad name/x", tru);
	assert_int_equal(vm__sbx_start(&c->loop, &sp, &c->s, err, sizeof(err)), -EINVAL);
	sp = base_spec(c, "root", tru);
	sp.uid = 0;
	sp.gid = 0;
	sp.netns = "innet-sbxt-absent";
	sp.create_netns = false;
	assert_int_equal(vm__sbx_start(&c->loop, &sp, &c->s, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "innet-sbxt-absent"));

	/* the program's netns exists already */
	assert_int_equal(sh("ip netns add innet-taken"), 0);
	sp = base_spec(c, "taken", tru);
	assert_int_equal(vm__sbx_start(&c->loop, &sp, &c->s, err, sizeof(err)), -EEXIST);
	assert_true(exists("/run/netns/innet-taken"));
	sh("ip netns del innet-taken");
	assert_no_residue("taken", NULL);

	/* the caller's prepare fails: the scratch directory goes again */
	sp = base_spec(c, "prepfail", tru);
	sp.prepare = prepare_fails;
	assert_int_equal(vm__sbx_start(&c->loop, &sp, &c->s, err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "prepare"));
	uv_run(&c->loop, UV_RUN_NOWAIT);
	assert_no_residue("prepfail", "innet-prepfail");

	/* a failure past the spawn: bwrap cannot bind a path that is not there */
	const char *const binds[] = {"/usr", "/lib", "/lib64", "/bin", "/innet-no-such-dir", NULL};
	sp = base_spec(c, "bwrapfail", tru);
	sp.ro_binds = binds;
	start_ok(c, &sp);
	run_until(c, &c->ended, 20000);
	print_message("%s\n", c->ex.msg);
	assert_int_equal(c->ex.reason, VM_SBX_START_FAILED);
	assert_non_null(strstr(c->ex.msg, "innet-no-such-dir"));
	assert_no_residue("bwrapfail", "innet-bwrapfail");
	ctx_free(c);
}

static int group_setup(void **state)
{
	(void)state;
	/* leftovers of an interrupted run */
	sh("for n in probe forkbomb forkbomb2 oom missing taken bwrapfail prepfail deaf segv oomnginx nginx; do "
	   "ip netns del innet-$n 2>/dev/null; done; rm -rf " SCRATCH_ROOT "; "
	   "for c in memory cpu cpuacct pids freezer; do "
	   "rmdir /sys/fs/cgroup/$c/innet-sbx-test/* 2>/dev/null; done; true");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (geteuid() == 0)
		sh("rmdir " SCRATCH_ROOT " /sys/fs/cgroup/*/innet-sbx-test "
		   "/sys/fs/cgroup/innet-sbx-test 2>/dev/null; true");
	return 0;
}

int main(void)
{
	const struct CMUnitTest ring[] = {
		cmocka_unit_test(test_ring),
	};
	const struct CMUnitTest root[] = {
		cmocka_unit_test(test_start_failures),
		cmocka_unit_test(test_isolation),
		cmocka_unit_test(test_nginx),
		cmocka_unit_test(test_pids_limit),
		cmocka_unit_test(test_oom),
		cmocka_unit_test(test_stop_paths),
	};
	int rc = cmocka_run_group_tests_name("sandbox-ring", ring, NULL, NULL);
	return rc | cmocka_run_group_tests_name("sandbox", root, group_setup, group_teardown);
}
