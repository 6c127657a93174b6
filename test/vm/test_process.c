/* The process backend (src/vm/process.c) on the dummy backend, with real
 * programs as root: the manager's start completes only once nginx listens
 * in the module's namespace (joined by the test's attach callback with a
 * veth to a client namespace) and curl from there gets the page its spec
 * wrote; suspended it answers nothing, resumed it answers with the same
 * processes; killed with SIGKILL it is restarted (restarts 1) and answers
 * again; its log holds nginx's output; a stop leaves nothing. A memory
 * limit too small fails the start (reason memory), an OOM while running
 * fails the module (VM_FAILED); a missing program and a program that never
 * listens fail the start with a clear error and leave nothing behind. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "harness.h"
#include "vm/internal.h"

#define SCRATCH_ROOT "/var/tmp/innet-proc-test"
#define CG_PARENT "innet-proc-test"
#define PREFIX "innet-pt"
#define NS_CLI "innet-pt-cli"
#define MOD_ADDR "10.253.8.2"
#define CLI_ADDR "10.253.8.1"
#define PAGE "hello from a process module"

static const char *CLICK = "FromDevice(0) -> ToDevice(0);";

struct ctx {
	uv_loop_t loop;
	struct vm_mgr *m;
	struct vm_backend *inner;
	int attaches, detaches;
	char attached_ns[64];
	uint32_t attached_ip;
};

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

/* The platform's dp_process_link, played by a veth to the client's namespace. */
static int attach(void *ud, uint64_t id, const char *netns, uint32_t ip)
{
	(void)id;
	struct ctx *c = ud;
	c->attaches++;
	snprintf(c->attached_ns, sizeof c->attached_ns, "%s", netns);
	c->attached_ip = ip;
	int rc = sh("ip -n " NS_CLI " link del pt0 2>/dev/null; "
	            "ip link add pt0 netns " NS_CLI " type veth peer name pt1 netns %s && "
	            "ip -n " NS_CLI " addr add " CLI_ADDR "/30 dev pt0 && "
	            "ip -n %s addr add " MOD_ADDR "/30 dev pt1 && "
	            "ip -n " NS_CLI " link set pt0 up && ip -n %s link set pt1 up",
	            netns, netns, netns);
	return rc == 0 ? 0 : -EIO;
}

static void detach(void *ud, uint64_t id)
{
	(void)id;
	struct ctx *c = ud;
	c->detaches++;
}

static void on_tick(uv_timer_t *t)
{
	(void)t;
}

/* Turns the loop (waking every 10 ms) until done(c, arg) or timeout_ms. */
static bool run_while(struct ctx *c, bool (*done)(struct ctx *, uint64_t), uint64_t arg,
                      unsigned timeout_ms)
{
	uv_timer_t t;
	uv_timer_init(&c->loop, &t);
	uv_timer_start(&t, on_tick, 10, 10);
	uint64_t end = uv_now(&c->loop) + timeout_ms;
	bool ok;
	while (!(ok = done(c, arg)) && uv_now(&c->loop) < end)
		uv_run(&c->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&c->loop, UV_RUN_NOWAIT);
	return ok;
}

static bool never(struct ctx *c, uint64_t arg)
{
	(void)c;
	(void)arg;
	return false;
}

static enum vm_state mstate(struct ctx *c, uint64_t id)
{
	struct vm_module_info in;
	assert_int_equal(vm_module_info(c->m, id, &in), 0);
	return in.state;
}

static struct vm_process_info pinfo(struct ctx *c, uint64_t id)
{
	struct vm_process_info pi;
	assert_int_equal(vm_module_process(c->m, id, &pi), 0);
	return pi;
}

static bool not_starting(struct ctx *c, uint64_t id) { return mstate(c, id) != VM_STARTING; }
static bool is_suspended(struct ctx *c, uint64_t id) { return mstate(c, id) == VM_SUSPENDED; }
static bool not_up(struct ctx *c, uint64_t id)
{
	enum vm_state s = mstate(c, id);
	return s != VM_STARTING && s != VM_RUNNING;
}
static bool is_failed(struct ctx *c, uint64_t id) { return mstate(c, id) == VM_FAILED; }
static bool proc_none(struct ctx *c, uint64_t id)
{
	enum vm_proc_state s = pinfo(c, id).state;
	return s == VM_PROC_NONE || s == VM_PROC_FAILED;
}
static bool restarted(struct ctx *c, uint64_t id)
{
	struct vm_process_info pi = pinfo(c, id);
	return pi.restarts >= 1 && pi.state == VM_PROC_RUNNING;
}

/* The log holds nginx's notice that its worker started (written by the
 * restarted master a moment after it listens: read as the loop runs). */
static bool log_has_worker(struct ctx *c, uint64_t id)
{
	static char log[VM_SBX_LOG_BYTES + 1];
	size_t len = 0;
	if (vm_module_log(c->m, id, log, sizeof log - 1, &len))
		return false;
	log[len] = 0;
	return strstr(log, "start worker process") != NULL;
}

/* curl from the client namespace: 0 when the page came back. */
static int fetch(unsigned max_s)
{
	return sh("ip netns exec " NS_CLI " curl -sf --max-time %u http://" MOD_ADDR "/ "
	          "| grep -q '" PAGE "'", max_s);
}

/* The processes in the module's cgroup, as text. */
static void cg_procs(uint64_t id, char *out, size_t len)
{
	char p[256];
	snprintf(p, sizeof p, "/sys/fs/cgroup/pids/" CG_PARENT "/" PREFIX "%llu/cgroup.procs",
	         (unsigned long long)id);
	if (!exists(p))
		snprintf(p, sizeof p, "/sys/fs/cgroup/" CG_PARENT "/" PREFIX "%llu/cgroup.procs",
		         (unsigned long long)id);
	FILE *f = fopen(p, "r");
	size_t n = f ? fread(out, 1, len - 1, f) : 0;
	out[n] = 0;
	if (f)
		fclose(f);
}

static void assert_no_residue(uint64_t id)
{
	char p[512];
	static const char *const ctls[] = {"memory", "cpu", "pids", "freezer"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "/sys/fs/cgroup/%s/" CG_PARENT "/" PREFIX "%llu", ctls[i],
		         (unsigned long long)id);
		assert_false(exists(p));
	}
	snprintf(p, sizeof p, "/sys/fs/cgroup/" CG_PARENT "/" PREFIX "%llu", (unsigned long long)id);
	assert_false(exists(p));
	snprintf(p, sizeof p, SCRATCH_ROOT "/" PREFIX "%llu", (unsigned long long)id);
	assert_false(exists(p));
	snprintf(p, sizeof p, "/run/netns/" PREFIX "%llu", (unsigned long long)id);
	assert_false(exists(p));
}

static bool can_run(void)
{
	char err[256];
	if (geteuid() != 0) {
		print_message("skipped: the process backend needs root\n");
		return false;
	}
	if (vm__sbx_check(err, sizeof err) < 0) {
		print_message("skipped: %s\n", err);
		return false;
	}
	return true;
}
#define NEED_ROOT() do { if (!can_run()) skip(); } while (0)

static uint32_t max_restarts; /* 0: the backend's */

static struct ctx *ctx_new(void)
{
	struct ctx *c = calloc(1, sizeof *c);
	assert_non_null(c);
	assert_int_equal(uv_loop_init(&c->loop), 0);
	struct vm_process_config pc = {
		.loop = &c->loop, .attach = attach, .detach = detach, .ud = c, .prefix = PREFIX,
		.scratch_root = SCRATCH_ROOT, .cgroup_parent = CG_PARENT, .grace_ms = 2000,
		.start_timeout_ms = 10000, .restart_min_ms = 200,
		.max_restarts = max_restarts,
	};
	c->inner = vm_dummy_new(true);
	struct vm_backend *be;
	char err[256];
	assert_int_equal(vm_process_new(c->inner, &pc, &be, err, sizeof err), 0);
	assert_ptr_equal(vm_process_inner(be), c->inner);
	struct vm_config vc;
	vm_config_init(&vc);
	assert_int_equal(vm_mgr_new(&vc, be, &c->m), 0);
	return c;
}

static void ctx_free(struct ctx *c)
{
	vm_mgr_free(c->m);
	uv_run(&c->loop, UV_RUN_DEFAULT); /* until what was still stopping is gone */
	assert_int_equal(uv_loop_close(&c->loop), 0);
	free(c);
}

static const char NGINX_CONF[] =
	"worker_processes 1;\n"
	"pid nginx.pid;\n"
	"error_log stderr notice;\n"
	"events { worker_connections %u; }\n"
	"http {\n"
	"  access_log off;\n"
	"  client_body_temp_path body; proxy_temp_path proxy; fastcgi_temp_path fastcgi;\n"
	"  uwsgi_temp_path uwsgi; scgi_temp_path scgi;\n"
	"  server { listen " MOD_ADDR ":80; root @SCRATCH@/www; }\n"
	"}\n";
static const char *const NGINX_ARGV[] = {"nginx", "-e", "stderr", "-p", "@SCRATCH@", "-c",
                                         "@SCRATCH@/nginx.conf", "-g", "daemon off;", NULL};
static const struct vm_process_port HTTP[] = {{6, 80}};

struct nginx {
	char conf[1024];
	struct vm_process_file files[2];
	struct vm_process_spec ps;
	struct vm_module_spec spec;
};

static void nginx_spec(struct nginx *n, uint64_t id, unsigned conns, uint64_t mem)
{
	memset(n, 0, sizeof *n);
	snprintf(n->conf, sizeof n->conf, NGINX_CONF, conns);
	n->files[0] = (struct vm_process_file){.name = "nginx.conf", .content = n->conf};
	n->files[1] = (struct vm_process_file){.name = "www/index.html", .content = PAGE "\n"};
	n->ps = (struct vm_process_spec){.argv = NGINX_ARGV, .files = n->files, .nfiles = 2,
	                                 .mem_bytes = mem, .pids_max = 32, .ports = HTTP,
	                                 .nports = 1};
	n->spec = (struct vm_module_spec){.id = id, .tenant = 1, .name = "nginx", .click = CLICK,
	                                  .stateful = true, .key = {.addr = 0x0afd0802u},
	                                  .process = &n->ps};
}

static void deploy(struct ctx *c, const struct vm_module_spec *s)
{
	struct diags d;
	diags_init(&d);
	assert_int_equal(vm_deploy(c->m, s, &d), 0);
	diags_free(&d);
}

static void test_nginx_lifecycle(void **state)
{
	(void)state;
	NEED_ROOT();
	struct ctx *c = ctx_new();
	struct nginx n;
	nginx_spec(&n, 1, 64, 256u << 20);
	deploy(c, &n.spec);
	assert_int_equal(pinfo(c, 1).state, VM_PROC_NONE);

	/* the first packet of a flow: the start completes once nginx listens */
	vm_dummy_packet(c->inner, 1, dp_now_ns());
	assert_int_equal(mstate(c, 1), VM_STARTING);
	struct vm_dummy_counts dc;
	vm_dummy_counts(c->inner, &dc);
	assert_int_equal(dc.starts, 0); /* the wrapper waits for the program */
	assert_true(run_while(c, not_starting, 1, 20000));
	assert_int_equal(mstate(c, 1), VM_RUNNING);
	vm_dummy_counts(c->inner, &dc);
	assert_int_equal(dc.starts, 1);
	assert_int_equal(c->attaches, 1);
	assert_string_equal(c->attached_ns, PREFIX "1");
	assert_int_equal(c->attached_ip, 0x0afd0802u);
	assert_int_equal(fetch(5), 0); /* at once: it listens */
	struct vm_process_info pi = pinfo(c, 1);
	assert_int_equal(pi.state, VM_PROC_RUNNING);
	assert_string_equal(vm_proc_state_name(pi.state), "running");
	assert_true(pi.pid > 0);
	assert_true(pi.mem_bytes > 0);
	assert_true(pi.pids >= 2);
	assert_int_equal(pi.restarts, 0);

	/* suspend: frozen, no answer; resumed by a packet: the same processes answer */
	char before[512], after[512];
	cg_procs(1, before, sizeof before);
	assert_true(strlen(before) > 0);
	assert_int_equal(vm_suspend(c->m, 1), 0);
	assert_true(run_while(c, is_suspended, 1, 10000));
	assert_int_equal(pinfo(c, 1).state, VM_PROC_FROZEN);
	assert_int_not_equal(fetch(2), 0);
	vm_dummy_packet(c->inner, 1, dp_now_ns());
	assert_int_equal(mstate(c, 1), VM_RUNNING);
	assert_int_equal(pinfo(c, 1).state, VM_PROC_RUNNING);
	assert_int_equal(fetch(5), 0);
	cg_procs(1, after, sizeof after);
	assert_string_equal(before, after);
	struct vm_module_info in;
	assert_int_equal(vm_module_info(c->m, 1, &in), 0);
	assert_true(in.is_process);
	assert_int_equal(in.process.state, VM_PROC_RUNNING);
	assert_int_equal(in.suspends, 1);
	assert_int_equal(in.resumes, 1);

	/* SIGKILL to all its processes: restarted, answering again */
	char *save = NULL;
	for (char *t = strtok_r(before, "\n", &save); t; t = strtok_r(NULL, "\n", &save))
		kill(atoi(t), SIGKILL);
	assert_true(run_while(c, restarted, 1, 20000));
	pi = pinfo(c, 1);
	assert_int_equal(pi.restarts, 1);
	assert_true(!strcmp(pi.last_exit, "signaled") || !strcmp(pi.last_exit, "exited"));
	assert_int_equal(mstate(c, 1), VM_RUNNING); /* the module ran on */
	assert_int_equal(c->attaches, 1);           /* the same netns and link */
	assert_int_equal(fetch(5), 0);

	/* the log: nginx's own notices */
	assert_true(run_while(c, log_has_worker, 1, 5000));
	char log[VM_SBX_LOG_BYTES + 1];
	size_t len = 0;

	/* stop: everything goes; the log stays readable */
	assert_int_equal(vm_stop(c->m, 1, false), 0);
	assert_true(run_while(c, proc_none, 1, 10000));
	assert_int_equal(c->detaches, 1);
	assert_int_equal(mstate(c, 1), VM_DEPLOYED);
	assert_no_residue(1);
	assert_int_not_equal(fetch(1), 0);
	assert_int_equal(vm_module_log(c->m, 1, log, sizeof log - 1, &len), 0);
	assert_true(len > 0);

	/* and it starts again on its next flow */
	vm_dummy_packet(c->inner, 1, dp_now_ns());
	assert_true(run_while(c, not_starting, 1, 20000));
	assert_int_equal(mstate(c, 1), VM_RUNNING);
	assert_int_equal(fetch(5), 0);

	/* idle: the manager's check freezes it (a program is stateful) */
	assert_int_equal(vm_module_info(c->m, 1, &in), 0);
	assert_true(in.stateful);
	vm_mgr_tick(c->m, dp_now_ns() + 3600ull * 1000000000u);
	assert_true(run_while(c, is_suspended, 1, 10000));
	assert_int_equal(pinfo(c, 1).state, VM_PROC_FROZEN);
	/* removed while frozen and deployed again at once: its first flow
	 * starts it once the old one's namespace is gone */
	assert_int_equal(vm_remove(c->m, 1), 0);
	assert_true(exists("/run/netns/" PREFIX "1")); /* still being torn down */
	deploy(c, &n.spec);
	vm_dummy_packet(c->inner, 1, dp_now_ns());
	assert_int_equal(mstate(c, 1), VM_STARTING);
	assert_true(run_while(c, not_starting, 1, 20000));
	assert_int_equal(mstate(c, 1), VM_RUNNING);
	assert_int_equal(fetch(5), 0);
	/* removed: nothing left */
	assert_int_equal(vm_remove(c->m, 1), 0);
	ctx_free(c);
	assert_no_residue(1);
}

static void test_memory(void **state)
{
	(void)state;
	NEED_ROOT();
	struct ctx *c = ctx_new();
	/* nginx whose connection tables do not fit: the start fails */
	struct nginx n;
	nginx_spec(&n, 2, 200000, 16u << 20);
	deploy(c, &n.spec);
	assert_int_equal(vm_start(c->m, 2), 0);
	/* nginx's master listens before its worker dies: the start fails, or
	 * the module fails just after it */
	assert_true(run_while(c, not_up, 2, 30000));
	assert_true(run_while(c, proc_none, 2, 10000));
	struct vm_module_info in;
	assert_int_equal(vm_module_info(c->m, 2, &in), 0);
	if (in.state == VM_DEPLOYED) {
		assert_int_equal(in.failed_starts, 1);
	} else {
		assert_int_equal(in.state, VM_FAILED);
		assert_int_equal(in.last_failure, -ENOMEM);
	}
	struct vm_process_info pi = pinfo(c, 2);
	print_message("%s\n", pi.error);
	assert_int_equal(pi.state, VM_PROC_FAILED);
	assert_string_equal(pi.reason, "memory");
	assert_non_null(strstr(pi.error, "memory"));
	assert_no_residue(2);
	assert_int_equal(c->attaches, c->detaches);

	/* a program that listens, then outgrows its limit: the module fails */
	static const char *const py[] = {"python3", "-c",
		"import socket, time\n"
		"s = socket.socket(); s.bind(('0.0.0.0', 8080)); s.listen()\n"
		"time.sleep(1); b = bytearray(256 << 20); time.sleep(30)\n", NULL};
	static const struct vm_process_port p8080[] = {{6, 8080}};
	struct vm_process_spec ps = {.argv = py, .mem_bytes = 32u << 20, .ports = p8080,
	                             .nports = 1};
	struct vm_module_spec s = {.id = 3, .tenant = 1, .click = CLICK, .stateful = true,
	                           .key = {.addr = 0x0afd0802u}, .process = &ps};
	deploy(c, &s);
	assert_int_equal(vm_start(c->m, 3), 0);
	assert_true(run_while(c, is_failed, 3, 30000));
	assert_int_equal(vm_module_info(c->m, 3, &in), 0);
	assert_int_equal(in.starts, 1);
	assert_int_equal(in.failures, 1);
	assert_int_equal(in.last_failure, -ENOMEM);
	assert_true(run_while(c, proc_none, 3, 10000));
	pi = pinfo(c, 3);
	print_message("%s\n", pi.error);
	assert_int_equal(pi.state, VM_PROC_FAILED);
	assert_string_equal(pi.reason, "memory");
	assert_int_equal(pi.restarts, 0); /* not restarted */
	assert_no_residue(3);
	/* failed: a new flow does not start it */
	vm_dummy_packet(c->inner, 3, dp_now_ns());
	assert_int_equal(mstate(c, 3), VM_FAILED);
	ctx_free(c);
}

static void test_start_failures(void **state)
{
	(void)state;
	NEED_ROOT();
	struct ctx *c = ctx_new();
	/* a program that does not exist */
	static const char *const missing[] = {"/usr/bin/innet-no-such-program", NULL};
	struct vm_process_spec ps = {.argv = missing, .ports = HTTP, .nports = 1};
	struct vm_module_spec s = {.id = 4, .tenant = 1, .click = CLICK,
	                           .key = {.addr = 0x0afd0802u}, .process = &ps};
	deploy(c, &s);
	vm_dummy_packet(c->inner, 4, dp_now_ns());
	assert_true(run_while(c, not_starting, 4, 10000));
	assert_int_equal(mstate(c, 4), VM_DEPLOYED);
	struct vm_process_info pi = pinfo(c, 4);
	print_message("%s\n", pi.error);
	assert_int_equal(pi.state, VM_PROC_FAILED);
	assert_string_equal(pi.reason, "start");
	assert_non_null(strstr(pi.error, "innet-no-such-program"));
	assert_no_residue(4);
	assert_int_equal(c->attaches, c->detaches);
	struct vm_dummy_counts dc;
	vm_dummy_counts(c->inner, &dc);
	assert_int_equal(dc.starts, 0); /* the wrapper never ran */
	assert_true(dc.stops >= 1);     /* its held packets dropped */

	/* a program that never listens: the start times out */
	static const char *const deaf[] = {"sleep", "60", NULL};
	struct vm_process_spec ps2 = {.argv = deaf, .ports = HTTP, .nports = 1,
	                              .start_timeout_ms = 500};
	struct vm_module_spec s2 = {.id = 5, .tenant = 1, .click = CLICK,
	                            .key = {.addr = 0x0afd0802u}, .process = &ps2};
	deploy(c, &s2);
	assert_int_equal(vm_start(c->m, 5), 0);
	assert_true(run_while(c, not_starting, 5, 15000));
	assert_int_equal(mstate(c, 5), VM_DEPLOYED);
	pi = pinfo(c, 5);
	print_message("%s\n", pi.error);
	assert_non_null(strstr(pi.error, "not listening on tcp/80"));
	assert_no_residue(5);

	/* stopped while it starts: nothing left, no start reported */
	assert_int_equal(vm_start(c->m, 5), 0);
	run_while(c, never, 0, 200);
	assert_int_equal(mstate(c, 5), VM_STARTING);
	assert_int_equal(vm_stop(c->m, 5, true), 0);
	assert_true(run_while(c, proc_none, 5, 10000));
	assert_int_equal(mstate(c, 5), VM_STOPPED);
	assert_no_residue(5);
	assert_int_equal(c->attaches, c->detaches);

	/* a file that cannot be written (its directory is a file): the start
	 * fails naming it */
	static const struct vm_process_file clash[] = {{.name = "conf", .content = "x"},
	                                               {.name = "conf/site", .content = "y"}};
	struct vm_process_spec ps4 = {.argv = deaf, .files = clash, .nfiles = 2};
	struct vm_module_spec s4 = {.id = 7, .tenant = 1, .click = CLICK,
	                            .key = {.addr = 0x0afd0802u}, .process = &ps4};
	deploy(c, &s4);
	assert_int_equal(vm_start(c->m, 7), 0);
	assert_true(run_while(c, not_starting, 7, 10000));
	assert_int_equal(mstate(c, 7), VM_DEPLOYED);
	pi = pinfo(c, 7);
	print_message("%s\n", pi.error);
	assert_non_null(strstr(pi.error, "file conf/site"));
	assert_no_residue(7);
	assert_int_equal(c->attaches, c->detaches);

	/* bad specs are refused at deploy */
	static const struct vm_process_file up[] = {{.name = "../etc/x", .content = "x"}};
	struct vm_process_spec bad = {.argv = deaf, .files = up, .nfiles = 1};
	struct vm_module_spec s3 = {.id = 6, .tenant = 1, .click = CLICK, .process = &bad};
	struct diags d;
	diags_init(&d);
	assert_int_equal(vm_deploy(c->m, &s3, &d), -EINVAL);
	diags_free(&d);
	ctx_free(c);
}

/* A program that keeps ending: restarted with backoff, then given up on. */
static void test_crash_loop(void **state)
{
	(void)state;
	NEED_ROOT();
	max_restarts = 2;
	struct ctx *c = ctx_new();
	max_restarts = 0;
	static const char *const argv[] = {"/bin/sh", "-c", "echo boom $$; sleep 1; exit 3", NULL};
	struct vm_process_spec ps = {.argv = argv}; /* no ports: up once started */
	struct vm_module_spec s = {.id = 6, .tenant = 1, .click = CLICK,
	                           .key = {.addr = 0x0afd0802u}, .process = &ps};
	deploy(c, &s);
	assert_int_equal(vm_start(c->m, 6), 0);
	assert_true(run_while(c, not_starting, 6, 10000));
	assert_int_equal(mstate(c, 6), VM_RUNNING);
	assert_true(run_while(c, is_failed, 6, 20000));
	assert_true(run_while(c, proc_none, 6, 10000));
	struct vm_module_info in;
	assert_int_equal(vm_module_info(c->m, 6, &in), 0);
	assert_int_equal(in.last_failure, -ECHILD);
	struct vm_process_info pi = pinfo(c, 6);
	print_message("%s\n", pi.error);
	assert_int_equal(pi.state, VM_PROC_FAILED);
	assert_string_equal(pi.reason, "crash");
	assert_int_equal(pi.restarts, 2);
	assert_string_equal(pi.last_exit, "exited");
	assert_int_equal(pi.last_status, 3);
	assert_non_null(strstr(pi.error, "exit"));
	char log[4096];
	size_t len;
	assert_int_equal(vm_module_log(c->m, 6, log, sizeof log - 1, &len), 0);
	log[len] = 0;
	assert_non_null(strstr(log, "boom"));
	assert_no_residue(6);
	assert_int_equal(c->attaches, c->detaches);
	/* vm_start tries again */
	assert_int_equal(vm_start(c->m, 6), 0);
	assert_true(run_while(c, not_starting, 6, 10000));
	assert_int_equal(mstate(c, 6), VM_RUNNING);
	assert_int_equal(vm_remove(c->m, 6), 0);
	ctx_free(c);
	assert_no_residue(6);
}

/* A UDP server that binds late (IPv6, dual stack): the start waits for
 * the bind, then a datagram from the client is answered at once. */
static void test_udp(void **state)
{
	(void)state;
	NEED_ROOT();
	struct ctx *c = ctx_new();
	static const char *const argv[] = {"python3", "-u", "@SCRATCH@/echo.py", NULL};
	static const struct vm_process_file files[] = {{.name = "echo.py", .content =
		"import socket, time\n"
		"time.sleep(0.5)\n"
		"s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
		"s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)\n"
		"s.bind(('::', 5353))\n"
		"print('bound', flush=True)\n"
		"while True:\n"
		"    d, a = s.recvfrom(100)\n"
		"    s.sendto(b'echo ' + d, a)\n"}};
	static const struct vm_process_port dns[] = {{17, 5353}};
	struct vm_process_spec ps = {.argv = argv, .files = files, .nfiles = 1, .ports = dns,
	                             .nports = 1, .mem_bytes = 128u << 20};
	struct vm_module_spec s = {.id = 8, .tenant = 1, .click = CLICK,
	                           .key = {.addr = 0x0afd0802u, .proto = 17, .port = 5353},
	                           .process = &ps};
	deploy(c, &s);
	vm_dummy_packet(c->inner, 8, dp_now_ns());
	assert_true(run_while(c, not_starting, 8, 20000));
	assert_int_equal(mstate(c, 8), VM_RUNNING);
	assert_int_equal(sh("ip netns exec " NS_CLI " python3 -c \""
	                    "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
	                    "s.settimeout(3); s.sendto(b'ping', ('" MOD_ADDR "', 5353)); "
	                    "assert s.recv(100) == b'echo ping'\""), 0);
	char log[256];
	size_t len;
	assert_int_equal(vm_module_log(c->m, 8, log, sizeof log - 1, &len), 0);
	log[len] = 0;
	assert_non_null(strstr(log, "bound"));
	ctx_free(c);
	assert_no_residue(8);
}

/* What a crashed innetd left (a netns, a scratch directory, a cgroup with
 * a live process) goes when the backend is made; others' names stay. */
static void test_sweep(void **state)
{
	(void)state;
	NEED_ROOT();
	char procs[256] = "";
	if (exists("/sys/fs/cgroup/pids/cgroup.procs") || !exists("/sys/fs/cgroup/cgroup.procs"))
		snprintf(procs, sizeof procs, "/sys/fs/cgroup/pids/" CG_PARENT "/" PREFIX "9");
	else
		snprintf(procs, sizeof procs, "/sys/fs/cgroup/" CG_PARENT "/" PREFIX "9");
	assert_int_equal(sh("ip netns add " PREFIX "9 && ip netns add " PREFIX "x9 && "
	                    "mkdir -p " SCRATCH_ROOT "/" PREFIX "9/www " SCRATCH_ROOT "/" PREFIX "x && "
	                    "echo hi > " SCRATCH_ROOT "/" PREFIX "9/www/index.html && "
	                    "mkdir -p %s", procs), 0);
	assert_int_equal(sh("sh -c 'echo $$ > %s/cgroup.procs; exec sleep 600' & "
	                    "for i in $(seq 100); do grep -q . %s/cgroup.procs && exit 0; "
	                    "sleep 0.05; done; exit 1", procs, procs), 0);
	struct ctx *c = ctx_new();
	assert_no_residue(9);
	assert_false(exists(procs));
	assert_true(exists("/run/netns/" PREFIX "x9"));  /* not <prefix><digits> */
	assert_true(exists(SCRATCH_ROOT "/" PREFIX "x"));
	sh("ip netns del " PREFIX "x9; rmdir " SCRATCH_ROOT "/" PREFIX "x");
	ctx_free(c);
}

/* A process module on a backend that cannot run one is refused. */
static void test_refused_elsewhere(void **state)
{
	(void)state;
	struct vm_config vc;
	vm_config_init(&vc);
	struct vm_mgr *m;
	assert_int_equal(vm_mgr_new(&vc, vm_dummy_new(true), &m), 0);
	static const char *const argv[] = {"true", NULL};
	struct vm_process_spec ps = {.argv = argv};
	struct vm_module_spec s = {.id = 1, .tenant = 1, .click = CLICK, .process = &ps};
	struct diags d;
	diags_init(&d);
	assert_int_equal(vm_deploy(m, &s, &d), -ENOTSUP);
	assert_null(vm_process_inner(vm_mgr_backend(m)));
	assert_null(vm_native_dp(vm_mgr_backend(m)));
	diags_free(&d);
	struct vm_process_info pi;
	assert_int_equal(vm_module_process(m, 1, &pi), -ENOENT);
	vm_mgr_free(m);
}

static int group_setup(void **state)
{
	(void)state;
	if (geteuid() != 0)
		return 0;
	sh("for n in 1 2 3 4 5 6 7 8 9; do ip netns del " PREFIX "$n 2>/dev/null; done; "
	   "ip netns del " NS_CLI " 2>/dev/null; rm -rf " SCRATCH_ROOT "; "
	   "for c in memory cpu cpuacct pids freezer; do "
	   "rmdir /sys/fs/cgroup/$c/" CG_PARENT "/* 2>/dev/null; done; true");
	return sh("ip netns add " NS_CLI " && ip -n " NS_CLI " link set lo up") == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (geteuid() == 0)
		sh("ip netns del " NS_CLI " 2>/dev/null; rmdir " SCRATCH_ROOT
		   " /sys/fs/cgroup/*/" CG_PARENT " /sys/fs/cgroup/" CG_PARENT " 2>/dev/null; true");
	return 0;
}

int main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_refused_elsewhere),
	};
	const struct CMUnitTest root[] = {
		cmocka_unit_test(test_start_failures),
		cmocka_unit_test(test_nginx_lifecycle),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_crash_loop),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_sweep),
	};
	int rc = cmocka_run_group_tests_name("process-plain", plain, NULL, NULL);
	return rc | cmocka_run_group_tests_name("process", root, group_setup, group_teardown);
}
