/* innetd: configuration, registry, API, controller, platform (fast path +
 * module manager), HTTP server, then the event loop until SIGINT/SIGTERM.
 * Daemon logic lives in libinnet; this file only wires the pieces together
 * and unwinds them in reverse order. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "api/api.h"
#include "daemon/internal.h"
#include "controller/controller.h"
#include "base/log.h"
#include "registry/registry.h"
#include "vm/vm.h"

struct daemon {
	uv_loop_t loop;
	struct cfg cfg;
	struct registry *reg;
	struct api *api;
	struct ctl *ctl;
	struct plat *plat;
	uint64_t http_requests; /* for /metrics */
	struct http_server *http;
	struct watch *watch;    /* other innetd's changes (PostgreSQL) */
	uv_signal_t sigint, sigterm;
	uv_timer_t shutdown_timer;
	bool stopping;
};

/* Every route set of the daemon; later subsystems add theirs here. */
static int (*const route_sets[])(struct api *) = {
	api_register_core,
	api_register_openapi,
};

static struct snapshot *current_snapshot(void *api)
{
	return api_snapshot(api);
}

static void close_all(struct daemon *d)
{
	uv_close((uv_handle_t *)&d->sigint, NULL);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->shutdown_timer, NULL);
	watch_stop(d->watch);
	d->watch = NULL;
	api_close(d->api);
	if (d->http) {
		http_server_close(d->http);
		d->http = NULL;
	}
	/* every running stateful module's state into the registry, which is
	 * closed after the loop (docs/stateful.md) */
	if (d->plat)
		plat_suspend_all(d->plat);
	/* the fast path's handles keep the loop alive: stop it with the rest
	 * (a verification still in flight then only records its module) */
	if (d->plat && d->ctl && plat_running(d->plat)) {
		struct ctl_platform_ops none = {0};
		ctl_set_platform_ops(d->ctl, &none);
	}
	plat_free(d->plat);
	d->plat = NULL;
}

static void on_http(struct http_req *req, void *ud)
{
	struct daemon *d = ud;
	d->http_requests++;
	api_handle_http(req, d->api);
}

static void on_drained(void *arg)
{
	struct daemon *d = arg;
	log_info("main", "all connections closed");
	close_all(d);
}

static void on_shutdown_timeout(uv_timer_t *t)
{
	struct daemon *d = t->data;
	log_warn("main", "shutdown-timeout reached: closing %u connection(s)",
	         d->http ? http_server_connections(d->http) : 0);
	close_all(d);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct daemon *d = s->data;
	if (d->stopping) {
		log_warn("main", "second signal: closing now");
		close_all(d);
		return;
	}
	d->stopping = true;
	log_info("main", "%s: stopping (in-flight requests get %lld ms)", strsignal(signum),
	         (long long)d->cfg.shutdown_timeout);
	api_set_draining(d->api, true);
	uv_timer_start(&d->shutdown_timer, on_shutdown_timeout, (uint64_t)d->cfg.shutdown_timeout, 0);
	http_server_shutdown(d->http, on_drained, d);
}

static int write_ready_file(const char *path, const char *host, int port)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "%s:%d\n", host, port);
	if (fclose(f) || rename(tmp, path))
		return -errno;
	return 0;
}

/* The registry the settings name (docs/registry.md): PostgreSQL when
 * `registry` is set, else the SQLite file of `db`. 0, or the exit status
 * (2: a setting that cannot be a registry). The password is never logged. */
static int open_registry(struct daemon *d)
{
	const char *spec = d->cfg.registry && *d->cfg.registry ? d->cfg.registry : d->cfg.db;
	if (spec == d->cfg.registry && !reg_spec_is_postgres(spec)) {
		log_error("main", "registry: not a PostgreSQL connection string (postgresql://... or "
		          "key=value pairs); leave it empty for the SQLite file of db");
		return 2;
	}
	if (spec == d->cfg.db && reg_spec_is_postgres(spec)) {
		log_error("main", "db: '%s' reads as a PostgreSQL connection string; set registry for "
		          "PostgreSQL, or name the SQLite file without '='", spec);
		return 2;
	}
	char *shown = reg_spec_redact(spec);
	char rerr[512];
	int rc = reg_open(spec, &d->reg, rerr, sizeof rerr);
	if (rc)
		log_error("main", "registry: %s", *rerr ? rerr : strerror(-rc));
	else
		log_info("main", "registry %s %s (schema version %d)", reg_backend_name(d->reg),
		         shown ? shown : "", reg_schema_version(d->reg));
	free(shown);
	return rc ? 1 : 0;
}

/* Settings, logging, the registry (seeded on the first start) and the
 * operator's token hash. 0, or the exit status (2: bad settings or files). */
static int open_state(struct daemon *d, int argc, char **argv, struct diags *dg,
                      uint8_t admin_hash[REG_HASH_LEN])
{
	int rc = cfg_load(&d->cfg, argc, argv, dg);
	if (rc) {
		diags_print(stderr, dg);
		return rc < 0 ? 2 : -1; /* -1: --help or --version, exit 0 */
	}
	enum log_level lvl;
	if (!log_level_parse(d->cfg.log_level, &lvl))
		log_set_level(lvl);
	log_info("main", "innetd %s starting%s%s", INNET_VERSION,
	         d->cfg.config_file ? " with " : "", d->cfg.config_file ? d->cfg.config_file : "");
	if (auth_init()) {
		log_error("main", "libsodium failed to initialise");
		return 1;
	}
	if ((rc = open_registry(d)))
		return rc;
	if ((rc = seed_registry(d->reg, &d->cfg, dg))) {
		if (dg->n)
			diags_print(stderr, dg);
		else
			fprintf(stderr, "innetd: %s\n", strerror(-rc));
		return 2;
	}
	rc = auth_setup_admin(d->reg, d->cfg.admin_token, d->cfg.admin_token_file, admin_hash);
	return rc == 0 ? 0 : rc == -EINVAL ? 2 : 1;
}

/* libuv's pool: a thread for each verification worker (so that a job
 * starts when the controller hands it over, and its deadline counts from
 * then), plus two for the serialized re-verification and the policy and
 * network re-checks. Read by libuv when the pool first starts. */
/* 0: a worker per CPU core but one, which the loop thread keeps (HTTP,
 * answers, the fast path's control): verification is CPU-bound, so more
 * workers than cores only make every job slower, a light one behind heavy
 * ones too. */
static unsigned verify_workers(const struct cfg *cfg)
{
	unsigned cores = uv_available_parallelism();
	if (cfg->verify_workers)
		return (unsigned)cfg->verify_workers;
	return cores > 1 ? cores - 1 : 1;
}

static void size_pool(const struct cfg *cfg)
{
	char n[24];
	snprintf(n, sizeof n, "%u", verify_workers(cfg) + 2);
	setenv("UV_THREADPOOL_SIZE", n, 1);
}

static int init_loop(struct daemon *d)
{
	size_pool(&d->cfg);
	int rc = uv_loop_init(&d->loop);
	if (rc) {
		log_error("main", "uv_loop_init: %s", uv_strerror(rc));
		return rc;
	}
	uv_signal_init(&d->loop, &d->sigint);
	uv_signal_init(&d->loop, &d->sigterm);
	uv_timer_init(&d->loop, &d->shutdown_timer);
	d->sigint.data = d->sigterm.data = d->shutdown_timer.data = d;
	uv_unref((uv_handle_t *)&d->shutdown_timer);
	return 0;
}

/* The API, its routes and the controller behind them. */
/* The process-backed stock modules' catalogue, installed before the
 * controller's threads start (it is constant afterwards). The shipped
 * default may be absent (innetd run elsewhere than the source tree). */
static int load_process_catalogue(const struct cfg *c)
{
	const char *path = c->process_catalogue;
	if (!path[0])
		return 0;
	if (!strcmp(path, "examples/process-catalogue.json") && access(path, R_OK)) {
		log_warn("main", "process-catalogue %s: %s; no process-backed stock modules", path,
		         strerror(errno));
		return 0;
	}
	struct diags dg;
	diags_init(&dg);
	struct ctl_proccat *cat = NULL;
	int rc = ctl_proccat_load(path, &cat, &dg);
	if (rc) {
		diags_print(stderr, &dg);
		log_error("main", "process-catalogue %s: not loaded", path);
	} else {
		size_t missing = ctl_proccat_find_programs(cat, vm_process_find_program);
		const char *name, *why;
		for (size_t i = 0; i < missing && ctl_proccat_missing(cat, i, &name, &why); i++)
			log_warn("main", "process-catalogue %s: %s; deploys of it are refused", path, why);
		ctl_proccat_install(cat);
	}
	diags_free(&dg);
	return rc;
}

static int start_api(struct daemon *d, const uint8_t admin_hash[REG_HASH_LEN])
{
	int rc = api_new(&d->loop, d->reg, cfg_to_json(&d->cfg), admin_hash, &d->api);
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof route_sets / sizeof route_sets[0]; i++)
		if ((rc = route_sets[i](d->api))) {
			log_error("main", "registering routes: %s", strerror(-rc));
			return rc;
		}
	api_set_audit_policy(d->api, (uint64_t)d->cfg.report_interval,
	                     (uint64_t)d->cfg.audit_retention);
	api_set_pop(d->api, d->cfg.pop);
	/* the last statements on this thread: the controller starts the
	 * registry thread */
	if ((rc = seed_load_snapshot(d->api)))
		return rc;
	struct ctl_env env = {&d->loop, d->reg, current_snapshot, d->api, d->cfg.pop};
	struct ctl_limits limits = {
		.max_steps = (uint64_t)d->cfg.verify_steps,
		.max_network_steps = (uint64_t)d->cfg.verify_network_steps,
		.max_memory_mb = (uint64_t)d->cfg.verify_memory_mb,
		.deadline_ms = (uint64_t)d->cfg.verify_deadline_ms,
		.tenant_rps = (uint64_t)d->cfg.tenant_rps,
		.module_flows = (uint64_t)d->cfg.module_flows,
		.module_memory_mb = (uint64_t)d->cfg.module_memory_mb,
		.workers = verify_workers(&d->cfg),
		.queue_wait_ms = (uint64_t)d->cfg.verify_queue_wait_ms,
		.max_inflight = (unsigned)d->cfg.verify_queue,
		.tenant_inflight = (unsigned)d->cfg.tenant_inflight,
		.idem_retention_ms = (uint64_t)d->cfg.idempotency_retention,
		.tenant_detail = !strcmp(d->cfg.tenant_report_detail, "full") ? CTL_DETAIL_FULL
		                 : !strcmp(d->cfg.tenant_report_detail, "none") ? CTL_DETAIL_NONE
		                                                                : CTL_DETAIL_BOUNDARY,
	};
	if ((rc = load_process_catalogue(&d->cfg)))
		return rc;
	if ((rc = ctl_new(&env, &limits, &d->ctl)))
		return rc;
	api_set_controller(d->api, d->ctl); /* its statements on the registry thread from now on */
	if ((rc = api_register_modules(d->api, d->ctl))) {
		log_error("main", "registering routes: %s", strerror(-rc));
		return rc;
	}
	/* a policy or network change is stored only once the deployed modules
	 * were checked against it */
	struct api_change_hooks hooks = {d->ctl, ctl_policy_recheck, ctl_network_recheck,
	                                 ctl_network_stored};
	api_set_change_hooks(d->api, &hooks);
	return 0;
}

/* The platform after the registry and the controller: every deployed
 * module of the registry is installed again. */
static int start_platform(struct daemon *d)
{
	char perr[768] = "";
	int rc = plat_start(&d->cfg, &d->loop, &d->plat, perr, sizeof perr);
	if (rc) {
		log_error("main", "cannot start the fast path: %s", perr);
		return rc;
	}
	if ((rc = plat_register_routes(d->api, d->plat, &(struct plat_sources){&d->http_requests, &d->http, d->ctl, &d->watch})))
		return rc;
	plat_set_registry(d->plat, d->reg, d->ctl);
	if (!plat_running(d->plat))
		return 0;
	struct ctl_platform_ops ops;
	plat_ctl_ops(d->plat, &ops);
	if ((rc = ctl_set_platform_ops(d->ctl, &ops)))
		log_error("main", "installing the deployed modules: %s", strerror(-rc));
	return rc;
}

/* The built-in API document must name exactly the routes served: a
 * difference is a build that shipped docs/openapi.json out of date. */
static int check_api_document(struct daemon *d)
{
	char oerr[1024];
	int rc = api_openapi_check(d->api, oerr, sizeof oerr);
	if (rc)
		log_error("main", "docs/openapi.json and the routes differ: %s", oerr);
	return rc;
}

/* On a shared PostgreSQL registry, what the other innetd change. */
static int start_watch(struct daemon *d)
{
	const char *spec = d->cfg.registry && *d->cfg.registry ? d->cfg.registry : d->cfg.db;
	int rc = watch_start(&d->loop, spec, d->cfg.pop, (uint64_t)d->cfg.runtime_report, d->api, d->ctl,
	                     &d->watch);
	if (rc)
		log_error("main", "listening for registry changes: %s", strerror(-rc));
	return rc;
}

static int start_listening(struct daemon *d)
{
	struct http_limits lim = {
		.max_body = (size_t)d->cfg.max_body,
		.max_header = (size_t)d->cfg.max_header,
		.max_connections = (unsigned)d->cfg.max_connections,
		.header_timeout_ms = (uint64_t)d->cfg.header_timeout,
		.idle_timeout_ms = (uint64_t)d->cfg.idle_timeout,
		.max_per_address = (unsigned)d->cfg.max_connections_per_address,
		.accepts_per_second = (unsigned)d->cfg.address_accepts_per_second,
		.report_interval_ms = (uint64_t)d->cfg.report_interval,
	};
	char host[16];
	int port;
	cfg_split_address(d->cfg.listen, host, &port);
	int rc = http_server_new(&d->loop, &lim, on_http, d, &d->http);
	if (rc)
		return rc;
	if ((rc = http_server_listen(d->http, host, port))) {
		log_error("main", "cannot listen on %s: %s", d->cfg.listen, uv_strerror(rc));
		return rc;
	}
	log_info("main", "API on http://%s:%d/v1/", host, http_server_port(d->http));
	if (*d->cfg.admin_socket) {
		if ((rc = http_server_listen_local(d->http, d->cfg.admin_socket))) {
			log_error("main", "admin-socket %s: %s", d->cfg.admin_socket, uv_strerror(rc));
			return rc;
		}
		log_info("main", "API for the operator on unix:%s", d->cfg.admin_socket);
	}
	if (*d->cfg.ready_file &&
	    (rc = write_ready_file(d->cfg.ready_file, host, http_server_port(d->http)))) {
		log_error("main", "ready-file %s: %s", d->cfg.ready_file, strerror(-rc));
		return rc;
	}
	uv_signal_start(&d->sigint, on_signal, SIGINT);
	uv_signal_start(&d->sigterm, on_signal, SIGTERM);
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d;
	memset(&d, 0, sizeof d);
	struct diags dg;
	diags_init(&dg);
	uint8_t admin_hash[REG_HASH_LEN];
	bool loop_ready = false;
	signal(SIGPIPE, SIG_IGN);

	int status = open_state(&d, argc, argv, &dg, admin_hash);
	if (status) {
		status = status < 0 ? 0 : status;
		goto cleanup;
	}
	status = 1;
	if (init_loop(&d))
		goto cleanup;
	loop_ready = true;
	if (start_api(&d, admin_hash) || start_platform(&d) || check_api_document(&d) ||
	    start_watch(&d) || start_listening(&d))
		goto cleanup_loop;

	uv_run(&d.loop, UV_RUN_DEFAULT);
	status = 0;
	log_info("main", "stopped");

cleanup_loop:
	if (d.http || !uv_is_closing((uv_handle_t *)&d.sigint))
		close_all(&d);
	uv_run(&d.loop, UV_RUN_DEFAULT); /* every close callback, the last registry work */
	ctl_close(d.ctl);                /* the registry thread and its handle */
	uv_run(&d.loop, UV_RUN_DEFAULT);
cleanup:
	ctl_free(d.ctl);
	ctl_proccat_install(NULL);
	api_free(d.api);
	if (loop_ready && uv_loop_close(&d.loop))
		log_warn("main", "the event loop still had handles at exit");
	reg_close(d.reg);
	cfg_free(&d.cfg);
	diags_free(&dg);
	return status;
}
