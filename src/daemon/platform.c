/* innetd's platform: settings -> dp_config/vm_config, controller ops ->
 * vm manager, suspended modules' states -> the registry, live state ->
 * JSON and Prometheus text (see internal.h, docs/stateful.md). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "base/inet.h"
#include "base/log.h"
#include "daemon/internal.h"
#include "vm/vm.h"

/* What /metrics labels a module with (the manager knows only ids). */
struct pmod {
	uint64_t id, tenant;
	char *name;
};

struct plat {
	struct vm_mgr *mgr;  /* NULL: dataplane = none */
	struct registry *reg; /* where suspended states go (NULL: dropped) */
	struct ctl *ctl;      /* whose registry thread stores them (NULL: stored here) */
	struct state_counts *saved;
	const uint64_t *http_requests;
	struct plat_sources src;
	struct dp *dp;
	const char *backend;
	struct api *api;      /* its audit queue in /metrics */
	struct pmod *mods;
	size_t nmods, cap;
	/* Process modules (docs/process-sandbox.md): a process backend around
	 * the native one when the fast path has a process port (NULL: none,
	 * process modules refused); where their scratch directories are. */
	struct plink *link;
	char proc_prefix[24];
};

/* The process backend's attach/detach context: shared by the plat and
 * every linked module, since a program still stopping after plat_free
 * detaches late (then the fast path is gone and with it the link). */
struct plink {
	struct dp *dp; /* NULL once the fast path is freed */
	unsigned refs;
};

#define PLAT_SCRATCH_ROOT "/var/lib/innet/sandbox" /* the sandbox's default */

/* Words of a list setting: separated by blanks (and by commas when
 * `commas`; device arguments contain commas). Returns how many (at most
 * max), words point into buf. */
static size_t split(const char *text, bool commas, char *buf, size_t bufsz, char **words,
                    size_t max)
{
	snprintf(buf, bufsz, "%s", text ? text : "");
	size_t n = 0;
	const char *sep = commas ? " \t,\n" : " \t\n";
	for (char *save = NULL, *t = strtok_r(buf, sep, &save); t && n < max;
	     t = strtok_r(NULL, sep, &save))
		words[n++] = t;
	return n;
}

#define PLAT_MAX_ROUTES 64 /* dp-routes entries */

/* The fast path's ports and routes as dp_config wants them, with the
 * storage they point into. */
struct dp_setup {
	struct dp_port_config ports[DP_MAX_PORTS];
	char devargs[DP_MAX_PORTS][512];
	size_t np, nports; /* named in dp-ports; used (tap and null default to one) */
	struct dp_route routes[PLAT_MAX_ROUTES];
	size_t nr;
	char pbuf[4096], rbuf[4096];
};

static int parse_ports(const struct cfg *cfg, struct dp_setup *s, char *err, size_t errlen)
{
	char *words[DP_MAX_PORTS + 1];
	s->np = split(cfg->dp_ports, false, s->pbuf, sizeof s->pbuf, words, DP_MAX_PORTS + 1);
	if (s->np > DP_MAX_PORTS) {
		fmt_err(err, errlen, "dp-ports: at most %d ports", DP_MAX_PORTS);
		return -EINVAL;
	}
	bool any_iface = !strcmp(cfg->dataplane, "tap") || !strcmp(cfg->dataplane, "null");
	if (!s->np && !any_iface) {
		fmt_err(err, errlen, "dp-ports: dataplane = %s needs at least one port", cfg->dataplane);
		return -EINVAL;
	}
	s->nports = s->np ? s->np : 1;
	for (size_t i = 0; i < s->nports; i++) {
		const char *kind = strcmp(cfg->dataplane, "devargs") ? cfg->dataplane : words[i];
		char e[256];
		int rc = dp_port_devargs(kind, s->np ? words[i] : NULL, (unsigned)i, s->devargs[i],
		                         sizeof s->devargs[i], e, sizeof e);
		if (rc) {
			fmt_err(err, errlen, "dp-ports: %s", e);
			return rc;
		}
		s->ports[i] = (struct dp_port_config){.devargs = s->devargs[i]};
	}
	return 0;
}

static int parse_routes(const struct cfg *cfg, struct dp_setup *s, char *err, size_t errlen)
{
	char *rw[PLAT_MAX_ROUTES + 1];
	s->nr = split(cfg->dp_routes, true, s->rbuf, sizeof s->rbuf, rw, PLAT_MAX_ROUTES + 1);
	if (s->nr > PLAT_MAX_ROUTES) {
		fmt_err(err, errlen, "dp-routes: at most %d routes", PLAT_MAX_ROUTES);
		return -EINVAL;
	}
	for (size_t i = 0; i < s->nr; i++) {
		char e[256];
		if (dp_parse_route(rw[i], &s->routes[i], e, sizeof e) < 0) {
			fmt_err(err, errlen, "dp-routes: '%s': %s", rw[i], e);
			return -EINVAL;
		}
		if (s->routes[i].port >= s->nports) {
			fmt_err(err, errlen, "dp-routes: '%s' names port %u but there are %zu port(s)", rw[i],
			        s->routes[i].port, s->nports);
			return -EINVAL;
		}
	}
	return 0;
}

static void dp_config_of(const struct cfg *cfg, struct dp_setup *s, uv_loop_t *loop,
                         struct dp_config *c)
{
	dp_config_init(c);
	if (*cfg->dpdk_args)
		c->eal_args = cfg->dpdk_args;
	if (*cfg->dp_file_prefix)
		c->file_prefix = cfg->dp_file_prefix;
	c->lcore = (unsigned)cfg->dp_lcore;
	c->lcores = (unsigned)cfg->dp_lcores;
	c->ports = s->ports;
	c->nports = s->nports;
	c->routes = s->routes;
	c->nroutes = s->nr;
	c->nb_mbufs = (uint32_t)cfg->dp_mbufs;
	c->max_modules = (uint32_t)cfg->dp_max_modules;
	c->hold_packets = (uint32_t)cfg->dp_hold_packets;
	c->hold_total = (uint32_t)cfg->dp_hold_total;
	c->idle_sleep_us = (uint32_t)cfg->dp_idle_sleep_us;
	if (*cfg->process_port)
		c->process_port = cfg->process_port;
	c->loop = loop;
}

static void vm_config_of(const struct cfg *cfg, uv_loop_t *loop, struct vm_config *vc)
{
	vm_config_init(vc);
	vc->idle_ms = (uint32_t)cfg->idle_stop;
	vc->starts_per_s = (double)cfg->starts_per_second;
	vc->start_burst = (uint32_t)cfg->start_burst;
	vc->tenant_starts_per_s = (double)cfg->tenant_starts_per_second;
	vc->tenant_burst = (uint32_t)cfg->tenant_start_burst;
	vc->stateful_quota = (size_t)cfg->stateful_quota;
	vc->max_modules = (uint32_t)cfg->dp_max_modules;
	vc->xen_image = *cfg->xen_image ? cfg->xen_image : NULL;
	vc->loop = loop;
}

/* Saved states, counted by the done callbacks of their writes, which may
 * run after plat_free (the writes of plat_suspend_all at shutdown): shared
 * by the plat and each write in flight. */
struct state_counts {
	unsigned refs;
	uint64_t saves, failures;
};

static void counts_unref(struct state_counts *n)
{
	if (n && !--n->refs)
		free(n);
}

/* A state on its way to the registry thread (a copy: the manager's buffer
 * is gone once plat_on_suspend returns). */
struct state_save {
	struct state_counts *counts;
	int64_t id;
	size_t len;
	unsigned char state[];
};

static int state_save_work(struct registry *reg, void *arg)
{
	struct state_save *ss = arg;
	return reg_module_state_put(reg, ss->id, ss->state, ss->len);
}

/* A state write's result, logged and counted. */
static void count_save(struct state_counts *n, int64_t id, size_t len, int rc)
{
	if (!rc) {
		n->saves++;
		log_debug("platform", "module %lld: state saved (%zu bytes)", (long long)id, len);
	} else if (rc == -ENOENT) {
		log_info("platform", "module %lld: suspended but no longer deployed; its state is not kept",
		         (long long)id);
	} else {
		n->failures++;
		log_warn("platform", "module %lld: its state (%zu bytes) could not be stored: %s",
		         (long long)id, len, strerror(-rc));
	}
}

static void state_saved(void *arg, int rc)
{
	struct state_save *ss = arg;
	count_save(ss->counts, ss->id, ss->len, rc);
	counts_unref(ss->counts);
	free(ss);
}

/* A module was suspended: its state replaces the one stored, written on
 * the registry thread (at shutdown too: the loop runs dry before the
 * registry thread stops, docs/stateful.md). A failed write is logged and
 * counted; the module keeps running from its state in memory, and a
 * restart before its next suspend loses what changed. */
void plat_on_suspend(void *arg, uint64_t id, const void *state, size_t len)
{
	struct plat *p = arg;
	struct state_save *ss = p->reg ? malloc(sizeof *ss + len) : NULL;
	if (!ss) {
		count_save(p->saved, (int64_t)id, len, p->reg ? -ENOMEM : -ENODEV);
		return;
	}
	ss->counts = p->saved;
	ss->id = (int64_t)id;
	ss->len = len;
	memcpy(ss->state, state, len);
	p->saved->refs++;
	if (!p->ctl) {
		state_saved(ss, state_save_work(p->reg, ss)); /* no registry thread: this one owns it */
		return;
	}
	int rc = ctl_registry_submit(p->ctl, state_save_work, state_saved, ss);
	if (rc)
		state_saved(ss, rc);
}

void plat_set_registry(struct plat *p, struct registry *reg, struct ctl *c)
{
	if (p) {
		p->reg = reg;
		p->ctl = c;
	}
}

void plat_state_stats(const struct plat *p, uint64_t *saves, uint64_t *failures)
{
	*saves = p ? p->saved->saves : 0;
	*failures = p ? p->saved->failures : 0;
}

int plat_suspend_all(struct plat *p)
{
	if (!p)
		return 0;
	int rc = p->mgr ? vm_suspend_all(p->mgr) : 0;
	if (rc < 0)
		log_warn("platform", "suspending the stateful modules: %s", strerror(-rc));
	else
		log_info("platform", "%d stateful module(s) suspended, their state stored", rc);
	return rc;
}

/* The backend and the module manager over it. */
/* The module manager over be (taken: freed on failure). */
static int manager_over(const struct cfg *cfg, struct vm_backend *be, uv_loop_t *loop,
                        struct plat *p, char *err, size_t errlen)
{
	struct vm_config vc;
	vm_config_of(cfg, loop, &vc);
	vc.on_suspend = plat_on_suspend;
	vc.on_suspend_arg = p;
	int rc = vm_mgr_new(&vc, be, &p->mgr);
	if (rc) {
		fmt_err(err, errlen, "module manager: %s", strerror(-rc));
		if (be->ops->free)
			be->ops->free(be);
		return rc;
	}
	p->dp = vm_native_dp(be);
	p->backend = be->ops->name;
	return 0;
}

static void plink_unref(struct plink *l)
{
	if (l && !--l->refs)
		free(l);
}

/* A process module's program is about to start in `netns`: its
 * interface on the process port, with the lowest free tag. */
static int proc_attach(void *ud, uint64_t id, const char *netns, uint32_t ip)
{
	struct plink *l = ud;
	char e[256] = "";
	int rc = l->dp ? dp_process_link(l->dp, id, 0, netns, ip, e, sizeof e) : -ESHUTDOWN;
	if (rc < 0) {
		log_warn("platform", "module %llu: linking its program to the fast path: %s",
		         (unsigned long long)id, *e ? e : strerror(-rc));
		return rc;
	}
	l->refs++;
	log_debug("platform", "module %llu: program linked in %s with tag %d", (unsigned long long)id,
	          netns, rc);
	return 0;
}

static void proc_detach(void *ud, uint64_t id)
{
	struct plink *l = ud;
	int rc = l->dp ? dp_process_unlink(l->dp, id) : 0;
	if (rc && rc != -ENOENT && rc != -ENOTCONN)
		log_warn("platform", "module %llu: unlinking its program: %s", (unsigned long long)id,
		         strerror(-rc));
	plink_unref(l);
}

/* The prefix of process modules' names: the setting, else the process
 * port's name and '-' (one interface name per network namespace, so
 * distinct for each innetd there, and the same across restarts, so that
 * what a crashed innetd left is swept). */
static int proc_prefix_of(const struct cfg *cfg, char *out, size_t n, char *err, size_t errlen)
{
	const char *v = cfg->process_prefix;
	if (!*v)
		snprintf(out, n, "%s-", cfg->process_port);
	else
		snprintf(out, n, "%s", v);
	size_t len = strlen(out);
	bool ok = len >= 1 && len <= 20 && strlen(*v ? v : cfg->process_port) < n;
	for (const char *c = out; ok && *c; c++)
		ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		     *c == '-' || *c == '_';
	if (!ok) {
		fmt_err(err, errlen, "process-prefix: '%s': 1 to 20 letters, digits, '-' and '_'%s", out,
		        *v ? "" : " (it defaults to the process port's name and '-': set it)");
		return -EINVAL;
	}
	return 0;
}

/* With a process port, process modules' programs run beside their
 * wrappers: the process backend around the native one (taken). */
static int wrap_process(const struct cfg *cfg, uv_loop_t *loop, struct plat *p,
                        struct vm_backend **be, char *err, size_t errlen)
{
	int rc = proc_prefix_of(cfg, p->proc_prefix, sizeof p->proc_prefix, err, errlen);
	struct plink *l = rc ? NULL : calloc(1, sizeof *l);
	if (!rc && !l)
		rc = -ENOMEM;
	if (rc) {
		(*be)->ops->free(*be);
		return rc;
	}
	*l = (struct plink){.dp = vm_native_dp(*be), .refs = 1};
	struct vm_process_config pc = {
		.loop = loop, .attach = proc_attach, .detach = proc_detach, .ud = l,
		.prefix = p->proc_prefix, .scratch_root = PLAT_SCRATCH_ROOT,
	};
	struct vm_backend *pb;
	char e[256] = "";
	if ((rc = vm_process_new(*be, &pc, &pb, e, sizeof e))) {
		fmt_err(err, errlen, "%s", *e ? e : strerror(-rc));
		(*be)->ops->free(*be);
		free(l);
		return rc;
	}
	p->link = l;
	*be = pb;
	log_info("platform", "process modules: programs joined by %s, named %s<id>, scratch in %s",
	         cfg->process_port, p->proc_prefix, PLAT_SCRATCH_ROOT);
	return 0;
}

static int start_manager(const struct cfg *cfg, const struct dp_config *c, uv_loop_t *loop,
                         struct plat *p, char *err, size_t errlen)
{
	struct vm_backend *be = NULL;
	char e[512] = "";
	bool xen = !strcmp(cfg->backend, "xen");
	int rc = xen ? vm_xen_new(&be, e, sizeof e) : vm_native_new(c, &be, e, sizeof e);
	if (rc) {
		fmt_err(err, errlen, "%s backend: %s (set dataplane = none to run without a fast path)",
		        cfg->backend, *e ? e : strerror(-rc));
		return rc;
	}
	if (!xen && *cfg->process_port && (rc = wrap_process(cfg, loop, p, &be, err, errlen)))
		return rc;
	return manager_over(cfg, be, loop, p, err, errlen);
}

static struct plat *plat_alloc(void)
{
	struct plat *p = calloc(1, sizeof *p);
	if (p && !(p->saved = calloc(1, sizeof *p->saved))) {
		free(p);
		return NULL;
	}
	if (p)
		p->saved->refs = 1;
	return p;
}

int plat_start_backend(const struct cfg *cfg, struct vm_backend *be, uv_loop_t *loop,
                       struct plat **out)
{
	*out = NULL;
	struct plat *p = plat_alloc();
	if (!p) {
		if (be->ops->free)
			be->ops->free(be);
		return -ENOMEM;
	}
	char err[256];
	int rc = manager_over(cfg, be, loop, p, err, sizeof err);
	if (rc) {
		free(p->saved);
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int plat_start(const struct cfg *cfg, uv_loop_t *loop, struct plat **out, char *err,
               size_t errlen)
{
	*out = NULL;
	struct plat *p = plat_alloc();
	if (!p)
		return -ENOMEM;
	if (!strcmp(cfg->dataplane, "none")) {
		*out = p;
		return 0;
	}
	struct dp_setup *s = calloc(1, sizeof *s); /* large: not on the stack */
	int rc = s ? 0 : -ENOMEM;
	struct dp_config c;
	if (!rc && !(rc = parse_ports(cfg, s, err, errlen)) && !(rc = parse_routes(cfg, s, err, errlen))) {
		dp_config_of(cfg, s, loop, &c);
		rc = start_manager(cfg, &c, loop, p, err, errlen);
	}
	if (rc) {
		free(s);
		if (p->link)
			plink_unref(p->link);
		free(p->saved);
		free(p);
		return rc;
	}
	log_info("platform", "%s backend, fast path on %zu %s port(s)%s%s, %zu route(s), idle stop %lld ms",
	         p->backend, s->nports, cfg->dataplane, s->np ? ": " : "", s->np ? cfg->dp_ports : "",
	         s->nr, (long long)cfg->idle_stop);
	free(s);
	*out = p;
	return 0;
}

void plat_free(struct plat *p)
{
	if (!p)
		return;
	if (p->mgr)
		vm_mgr_free(p->mgr); /* stops the fast path, closes its handles */
	if (p->link) {
		p->link->dp = NULL; /* (programs still stopping detach from nothing) */
		plink_unref(p->link);
	}
	counts_unref(p->saved); /* (writes in flight keep it) */
	for (size_t i = 0; i < p->nmods; i++)
		free(p->mods[i].name);
	free(p->mods);
	free(p);
}

static struct pmod *find(struct plat *p, uint64_t id)
{
	for (size_t i = 0; i < p->nmods; i++)
		if (p->mods[i].id == id)
			return &p->mods[i];
	return NULL;
}

/* ---- controller ops ---- */

/* A process module's program as the backend wants it, rendered from the
 * catalogue into the scratch directory the backend will give it
 * (<scratch root>/<prefix><id>); pointers into cp. */
struct pspec {
	struct ctl_process cp;
	struct vm_process_file *files;
	struct vm_process_port *ports;
	struct vm_process_spec ps;
};

static void pspec_free(struct pspec *s)
{
	ctl_process_free(&s->cp);
	free(s->files);
	free(s->ports);
}

static int pspec_of(const struct plat *p, const struct ctl_deployed *m, struct pspec *s)
{
	memset(s, 0, sizeof *s);
	if (!p->link) {
		log_warn("platform", "module %lld '%s': stock module '%s' runs a program, and this "
		         "platform has no process port (set process-port); not installed",
		         (long long)m->id, m->name, m->stock);
		return -ENOTSUP;
	}
	char dir[320], e[256] = "";
	int n = snprintf(dir, sizeof dir, "%s/%s%lld", PLAT_SCRATCH_ROOT, p->proc_prefix,
	                 (long long)m->id);
	int rc = ctl_process_render(m->stock, m->params, dir, &s->cp, e, sizeof e);
	if (rc) {
		log_warn("platform", "module %lld '%s': rendering '%s': %s", (long long)m->id, m->name,
		         m->stock, e);
		return rc;
	}
	s->files = calloc(s->cp.nfiles + 1, sizeof *s->files);
	s->ports = calloc(s->cp.nlisten + 1, sizeof *s->ports);
	if (!s->files || !s->ports) {
		pspec_free(s);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->cp.nfiles; i++) /* paths are dir/NAME; the backend wants NAME */
		s->files[i] = (struct vm_process_file){
			.name = s->cp.files[i].path + n + 1, .content = s->cp.files[i].text,
			.len = strlen(s->cp.files[i].text), /* rendered: written as it is */
		};
	for (size_t i = 0; i < s->cp.nlisten; i++)
		s->ports[i] = (struct vm_process_port){s->cp.listen[i].proto, s->cp.listen[i].port};
	s->ps = (struct vm_process_spec){
		.argv = (const char *const *)s->cp.argv, .files = s->files, .nfiles = s->cp.nfiles,
		/* the entry's default bounded by the tenant's quota (controller) */
		.mem_bytes = (uint64_t)(m->process_memory_mb ? m->process_memory_mb : s->cp.memory_mb) << 20,
		.cpu_quota_us = s->cp.cpu_percent * 1000, /* of one core, per 100 ms */
		.pids_max = s->cp.pids, .ports = s->ports, .nports = s->cp.nlisten,
		.restart = VM_RESTART_ON_FAILURE,
	};
	return 0;
}

static int install(struct plat *p, const struct ctl_deployed *m, const struct vm_process_spec *ps);

/* A module from the controller: a process module's program rendered from
 * the catalogue first (refused without a process port). */
static int op_install(void *ud, const struct ctl_deployed *m)
{
	struct plat *p = ud;
	if (!m->platform)
		return 0; /* an inline operator module lives in the snapshot's links */
	struct pspec ps;
	bool is_proc = m->stock && ctl_process_exists(m->stock);
	if (is_proc) {
		int rc = pspec_of(p, m, &ps);
		if (rc)
			return rc;
	}
	int rc = install(p, m, is_proc ? &ps.ps : NULL);
	if (is_proc)
		pspec_free(&ps);
	return rc;
}

static int install(struct plat *p, const struct ctl_deployed *m, const struct vm_process_spec *ps)
{
	char ip[16], port[8];
	inet_format_addr(m->ip, ip);
	/* the values the verifier parsed it with (controller/job.c) */
	snprintf(port, sizeof port, "%s", strstr(m->click, "MODULE_PORT") ? "7000" : "0");
	struct click_define defs[2] = {{"MODULE_IP", ip}, {"MODULE_PORT", port}};
	struct vm_module_spec spec = {
		.id = (uint64_t)m->id, .tenant = (uint64_t)m->tenant_id, .name = m->name,
		.click = m->click, .defines = defs, .ndefines = 2,
		.key = {.addr = m->ip, .proto = m->proto, .port = m->port},
		/* the controller decided from its elements (docs/stateful.md): a
		 * stateless module idle is stopped, a stateful one suspended */
		.stateful = m->stateful, .flow_capacity = m->flow_capacity, .mem_quota = m->mem_quota,
		.state = m->state, .state_len = m->state_len, .process = ps,
	};
	if (p->nmods == p->cap) {
		size_t nc = p->cap ? 2 * p->cap : 64;
		struct pmod *v = realloc(p->mods, nc * sizeof *v);
		if (!v)
			return -ENOMEM;
		p->mods = v;
		p->cap = nc;
	}
	struct diags d;
	diags_init(&d);
	int rc = vm_deploy(p->mgr, &spec, &d);
	if (rc) {
		log_warn("platform", "module %lld '%s': %s%s%s", (long long)m->id, m->name, strerror(-rc),
		         d.n ? ": " : "", d.n ? d.v[0].msg : "");
		diags_free(&d);
		return rc;
	}
	diags_free(&d);
	char *name = strdup(m->name);
	if (!name) {
		vm_remove(p->mgr, spec.id);
		return -ENOMEM;
	}
	p->mods[p->nmods++] = (struct pmod){.id = spec.id, .tenant = spec.tenant, .name = name};
	char pp[16] = "";
	if (m->port)
		snprintf(pp, sizeof pp, " port %u", m->port);
	log_info("platform", "module %lld '%s'%s%s installed at %s%s%s (%s, %s), %s on its first packet",
	         (long long)m->id, m->name, ps ? ", program " : "", ps ? ps->argv[0] : "", ip, m->proto ? (m->proto == 6 ? " tcp" : " udp") : "", pp,
	         m->sandboxed ? "sandboxed" : "safe",
	         ps ? "frozen when idle" : m->stateful ? "stateful" : "stateless",
	         m->state ? "resumes with its saved state" : "starts");
	return 0;
}

static int op_remove(void *ud, const struct ctl_deployed *m)
{
	struct plat *p = ud;
	struct pmod *pm = find(p, (uint64_t)m->id);
	if (!pm)
		return 0;
	int rc = vm_remove(p->mgr, (uint64_t)m->id);
	free(pm->name);
	*pm = p->mods[--p->nmods];
	return rc;
}

/* A suspended tenant's module (docs/operator.md): stopped and held off
 * (VM_STOPPED: new flows do not start it); released back to deployed,
 * started again by its next new flow. */
static int op_hold(void *ud, int64_t id, bool hold)
{
	struct plat *p = ud;
	if (!find(p, (uint64_t)id))
		return -ENOENT;
	return vm_stop(p->mgr, (uint64_t)id, hold);
}

static size_t op_installed(void *ud, int64_t *ids, size_t cap)
{
	struct plat *p = ud;
	for (size_t i = 0; i < p->nmods && i < cap; i++)
		ids[i] = (int64_t)p->mods[i].id;
	return p->nmods;
}

static json_t *op_describe(void *ud, int64_t id)
{
	return plat_module_json(ud, id);
}

void plat_ctl_ops(struct plat *p, struct ctl_platform_ops *ops)
{
	memset(ops, 0, sizeof *ops);
	ops->ud = p;
	ops->install = op_install;
	ops->remove = op_remove;
	ops->describe = op_describe;
	ops->hold = op_hold;
	ops->installed = op_installed;
	ops->processes = p->link != NULL;
}

/* The state a tenant sees (deployed -> starting -> running ->
 * idle -> stopped): a module the idle check stopped is back in the
 * manager's VM_DEPLOYED (it starts again on its next new flow); it shows
 * as "stopped" once it has run, "deployed" before its first start. */
static const char *state_name(const struct vm_module_info *in)
{
	if (in->state == VM_DEPLOYED && in->stops > 0)
		return "stopped";
	return vm_state_name(in->state);
}

/* The tables of a module's stateful elements (vm_module_tables): *out
 * malloc'd (NULL when none), how many, or a negative errno. */
static int tables_of(struct plat *p, uint64_t id, struct vm_table_info **out)
{
	*out = NULL;
	int n = vm_module_tables(p->mgr, id, NULL, 0);
	if (n <= 0)
		return n;
	if (!(*out = calloc((size_t)n, sizeof **out)))
		return -ENOMEM;
	int k = vm_module_tables(p->mgr, id, *out, (size_t)n);
	return k < 0 ? k : k < n ? k : n;
}

static json_t *tables_json(struct plat *p, uint64_t id)
{
	struct vm_table_info *t;
	int n = tables_of(p, id, &t);
	json_t *a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "element", t[i].elem,
		                                   "class", t[i].cls, "entries", (json_int_t)t[i].entries,
		                                   "capacity", (json_int_t)t[i].capacity, "full_drops",
		                                   (json_int_t)t[i].full_drops, "drops",
		                                   (json_int_t)t[i].drops));
	free(t);
	return a;
}

/* What the sandbox refused: the ChangeEnforcers of a module (the
 * controller puts one in a sandboxed module) added up. false when it has
 * none (a safe module). */
struct enforcer_sum {
	uint64_t drops, source, destination;
};

static bool enforcer_of(struct plat *p, uint64_t id, struct enforcer_sum *s)
{
	struct vm_table_info *t;
	int n = tables_of(p, id, &t);
	bool any = false;
	*s = (struct enforcer_sum){0};
	for (int i = 0; i < n; i++) {
		if (strcmp(t[i].cls, "ChangeEnforcer"))
			continue;
		any = true;
		s->drops += t[i].drops;
		s->source += t[i].refused_source;
		s->destination += t[i].refused_destination;
	}
	free(t);
	return any;
}

/* runtime.enforcer: packets the module sent that the sandbox dropped, in
 * all and by reason (a source not its own, a destination outside the
 * tenant's prefixes, whitelist and replies); null for a safe module. */
static json_t *enforcer_json(struct plat *p, uint64_t id)
{
	struct enforcer_sum s;
	if (!enforcer_of(p, id, &s))
		return json_null();
	return json_pack("{s:I, s:I, s:I}", "drops", (json_int_t)s.drops, "source", (json_int_t)s.source,
	                 "destination", (json_int_t)s.destination);
}

/* Suspends and resumes, the saved state's size, the tables. */
static void add_stateful_json(struct plat *p, uint64_t id, const struct vm_module_info *in,
                              json_t *j)
{
	if (!j)
		return;
	json_object_set_new(j, "stateful", json_boolean(in->stateful));
	json_object_set_new(j, "suspends", json_integer((json_int_t)in->suspends));
	json_object_set_new(j, "resumes", json_integer((json_int_t)in->resumes));
	json_object_set_new(j, "last_suspend_us", json_real((double)in->last_suspend_ns / 1e3));
	json_object_set_new(j, "last_resume_us", json_real((double)in->last_resume_ns / 1e3));
	json_object_set_new(j, "state_bytes", json_integer((json_int_t)in->state_bytes));
	json_object_set_new(j, "tables", tables_json(p, id));
}

/* A process module's program (vm_process_info): its state, why it
 * failed, restarts, the last exit and its cgroup's figures. */
static json_t *process_json(const struct vm_process_info *pi)
{
	json_t *last = pi->last_exit[0] ? json_pack("{s:s, s:i}", "reason", pi->last_exit, "status",
	                                             pi->last_status)
	                                : json_null();
	return json_pack("{s:s, s:s?, s:s?, s:I, s:I, s:o, s:i, s:I, s:I, s:f, s:I, s:I, s:I, s:I}",
	                 "state", vm_proc_state_name(pi->state),
	                 "reason", pi->reason[0] ? pi->reason : NULL,
	                 "error", pi->error[0] ? pi->error : NULL,
	                 "restarts", (json_int_t)pi->restarts, "backoff_ms", (json_int_t)pi->backoff_ms,
	                 "last_exit", last, "pid", pi->pid, "memory", (json_int_t)pi->mem_bytes,
	                 "memory_peak", (json_int_t)pi->mem_peak_bytes,
	                 "cpu_seconds", (double)pi->cpu_ns / 1e9, "pids", (json_int_t)pi->pids,
	                 "oom_kills", (json_int_t)pi->oom_kills, "log_bytes", (json_int_t)pi->log_bytes,
	                 "log_dropped", (json_int_t)pi->log_dropped);
}

json_t *plat_module_json(struct plat *p, int64_t id)
{
	struct vm_module_info in;
	if (!p || !p->mgr || id <= 0 || vm_module_info(p->mgr, (uint64_t)id, &in))
		return NULL;
	json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	                 "state", state_name(&in), "backend", p->backend,
	                 "starts", (json_int_t)in.starts, "stops", (json_int_t)in.stops,
	                 "refused_starts", (json_int_t)in.refused_starts,
	                 "failed_starts", (json_int_t)in.failed_starts,
	                 "last_start_us", (double)in.last_start_ns / 1e3,
	                 "rx_packets", (json_int_t)in.dp.rx_packets,
	                 "rx_bytes", (json_int_t)in.dp.rx_bytes,
	                 "tx_packets", (json_int_t)in.dp.tx_packets,
	                 "tx_bytes", (json_int_t)in.dp.tx_bytes, "drops", (json_int_t)in.dp.drops,
	                 "held", (json_int_t)in.dp.held, "hold_drops", (json_int_t)in.dp.hold_drops,
	                 "queued", (json_int_t)in.dp.queued, "memory", (json_int_t)in.dp.mem_bytes);
	add_stateful_json(p, (uint64_t)id, &in, j);
	if (j)
		json_object_set_new(j, "enforcer", enforcer_json(p, (uint64_t)id));
	if (j && in.is_process)
		json_object_set_new(j, "process", process_json(&in.process));
	if (j && in.state == VM_FAILED) /* why new flows no longer start it */
		json_object_set_new(j, "failure",
		                    json_pack("{s:s, s:s}", "reason",
		                              in.process.reason[0] ? in.process.reason : "unknown",
		                              "error", in.process.error));
	return j;
}

/* ---- /metrics ---- */

struct buf {
	char *s;
	size_t n, cap;
	bool oom;
};

__attribute__((format(printf, 2, 3))) static void out(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int k = b->oom ? 0 : vsnprintf(b->s ? b->s + b->n : NULL, b->cap - b->n, fmt, ap);
		va_end(ap);
		if (b->oom || k < 0)
			return;
		if ((size_t)k < b->cap - b->n) {
			b->n += (size_t)k;
			return;
		}
		size_t nc = (b->cap + (size_t)k + 1) * 2;
		char *s = realloc(b->s, nc);
		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = nc;
	}
}

/* Label values: quote, backslash and newline escaped (Prometheus text). */
static const char *esc(const char *s, char *o, size_t n)
{
	size_t k = 0;
	for (; *s && k + 3 < n; s++) {
		if (*s == '"' || *s == '\\' || *s == '\n') {
			o[k++] = '\\';
			o[k++] = *s == '\n' ? 'n' : *s;
		} else {
			o[k++] = *s;
		}
	}
	o[k] = 0;
	return o;
}

/* A module's labels for /metrics. */
static void module_labels(const struct pmod *m, char *lab, size_t n)
{
	char nm[256];
	snprintf(lab, n, "id=\"%llu\",tenant=\"%llu\",name=\"%s\"", (unsigned long long)m->id,
	         (unsigned long long)m->tenant, esc(m->name, nm, sizeof nm));
}

/* Per stateful element of every module: its table's entries, capacity
 * and full drops (one family at a time, as the text format wants). */
static void metrics_tables(struct buf *b, struct plat *p)
{
	static const char *const fam[][2] = {
		{"innet_module_table_entries", "gauge"},
		{"innet_module_table_capacity", "gauge"},
		{"innet_module_table_full_drops_total", "counter"},
	};
	for (size_t f = 0; f < 3; f++) {
		out(b, "# TYPE %s %s\n", fam[f][0], fam[f][1]);
		for (size_t i = 0; p->mgr && i < p->nmods; i++) {
			struct vm_table_info *t;
			int n = tables_of(p, p->mods[i].id, &t);
			char lab[320], el[160], cl[80];
			module_labels(&p->mods[i], lab, sizeof lab);
			for (int k = 0; k < n; k++) {
				uint64_t v = f == 0 ? t[k].entries : f == 1 ? t[k].capacity : t[k].full_drops;
				out(b, "%s{%s,element=\"%s\",class=\"%s\"} %llu\n", fam[f][0], lab,
				    esc(t[k].elem, el, sizeof el), esc(t[k].cls, cl, sizeof cl),
				    (unsigned long long)v);
			}
			free(t);
		}
	}
}

/* Per sandboxed module: what its enforcer dropped, by reason (source,
 * destination, malformed: not IPv4). Modules without one have no line. */
static void metrics_enforcer(struct buf *b, struct plat *p)
{
	out(b, "# HELP innet_module_enforcer_drops_total Packets a sandboxed module sent that its "
	       "ChangeEnforcer dropped, by reason.\n"
	       "# TYPE innet_module_enforcer_drops_total counter\n");
	for (size_t i = 0; p->mgr && i < p->nmods; i++) {
		struct enforcer_sum s;
		if (!enforcer_of(p, p->mods[i].id, &s))
			continue;
		char lab[320];
		module_labels(&p->mods[i], lab, sizeof lab);
		uint64_t bad = s.drops - s.source - s.destination;
		out(b, "innet_module_enforcer_drops_total{%s,reason=\"source\"} %llu\n"
		       "innet_module_enforcer_drops_total{%s,reason=\"destination\"} %llu\n"
		       "innet_module_enforcer_drops_total{%s,reason=\"malformed\"} %llu\n",
		    lab, (unsigned long long)s.source, lab, (unsigned long long)s.destination, lab,
		    (unsigned long long)bad);
	}
}

/* Stateful modules (docs/stateful.md): suspended now, suspends and
 * resumes per module, their tables, and the states stored or not. The
 * families are there without a fast path too (with no samples). */
static void metrics_stateful(struct buf *b, struct plat *p)
{
	struct vm_mgr_stats ms = {0};
	if (p->mgr)
		vm_mgr_stats(p->mgr, &ms);
	out(b, "# HELP innet_modules_suspended Stateful modules suspended, their state saved.\n"
	       "# TYPE innet_modules_suspended gauge\ninnet_modules_suspended %llu\n"
	       "# HELP innet_state_saves_total Suspended modules' states stored in the registry.\n"
	       "# TYPE innet_state_saves_total counter\ninnet_state_saves_total %llu\n"
	       "# HELP innet_state_save_failures_total States the registry could not store.\n"
	       "# TYPE innet_state_save_failures_total counter\n"
	       "innet_state_save_failures_total %llu\n",
	    (unsigned long long)ms.suspended, (unsigned long long)p->saved->saves,
	    (unsigned long long)p->saved->failures);
	for (int f = 0; f < 2; f++) {
		const char *name = f ? "innet_module_resumes_total" : "innet_module_suspends_total";
		out(b, "# TYPE %s counter\n", name);
		for (size_t i = 0; p->mgr && i < p->nmods; i++) {
			struct vm_module_info in;
			if (vm_module_info(p->mgr, p->mods[i].id, &in))
				continue;
			char lab[320];
			module_labels(&p->mods[i], lab, sizeof lab);
			out(b, "%s{%s} %llu\n", name, lab, (unsigned long long)(f ? in.resumes : in.suspends));
		}
	}
	metrics_tables(b, p);
	metrics_enforcer(b, p);
}

/* What an operator watches under a flood: connections refused by each
 * limit, and checks refused, timed out or waiting (docs/operator.md). */
static void metrics_floods(struct buf *b, const struct plat *p)
{
	if (p->src.http && *p->src.http) {
		struct http_stats h;
		http_server_stats(*p->src.http, &h);
		out(b, "# HELP innet_http_connections Open API connections.\n"
		       "# TYPE innet_http_connections gauge\n"
		       "innet_http_connections{listener=\"tcp\"} %u\n"
		       "innet_http_connections{listener=\"admin-socket\"} %u\n"
		       "# TYPE innet_http_connections_accepted_total counter\n"
		       "innet_http_connections_accepted_total %llu\n"
		       "# HELP innet_http_connections_refused_total Connections refused, by the limit that refused them.\n"
		       "# TYPE innet_http_connections_refused_total counter\n"
		       "innet_http_connections_refused_total{limit=\"max-connections-per-address\"} %llu\n"
		       "innet_http_connections_refused_total{limit=\"address-accepts-per-second\"} %llu\n"
		       "innet_http_connections_refused_total{limit=\"max-connections\"} %llu\n"
		       "# TYPE innet_http_accept_errors_total counter\ninnet_http_accept_errors_total %llu\n",
		    h.open_tcp, h.open_local, (unsigned long long)h.accepted,
		    (unsigned long long)h.refused_per_address, (unsigned long long)h.refused_accept_rate,
		    (unsigned long long)h.refused_full, (unsigned long long)h.accept_errors);
	}
	if (p->src.ctl) {
		struct ctl_stats c;
		ctl_stats(p->src.ctl, &c);
		out(b, "# HELP innet_verify_jobs Checks and deploys waiting for a verification worker or on one.\n"
		       "# TYPE innet_verify_jobs gauge\n"
		       "innet_verify_jobs{state=\"waiting\"} %u\ninnet_verify_jobs{state=\"running\"} %u\n"
		       "# TYPE innet_verify_jobs_started_total counter\ninnet_verify_jobs_started_total %llu\n"
		       "# HELP innet_verify_refused_total Checks and deploys answered without verification, by reason.\n"
		       "# TYPE innet_verify_refused_total counter\n"
		       "innet_verify_refused_total{reason=\"rate_limited\"} %llu\n"
		       "innet_verify_refused_total{reason=\"too_many_requests\"} %llu\n"
		       "innet_verify_refused_total{reason=\"busy\"} %llu\n"
		       "innet_verify_refused_total{reason=\"queue_wait\"} %llu\n"
		       "innet_verify_refused_total{reason=\"client_left\"} %llu\n"
		       "# HELP innet_verify_deadlines_total Verifications stopped by verify-deadline-ms.\n"
		       "# TYPE innet_verify_deadlines_total counter\ninnet_verify_deadlines_total %llu\n"
		       "# HELP innet_verify_backoffs_total Deploys that lost the commit race again and waited a random 1-64 ms.\n"
		       "# TYPE innet_verify_backoffs_total counter\ninnet_verify_backoffs_total %llu\n",
		    c.queued, c.running, (unsigned long long)c.started, (unsigned long long)c.refused_rate,
		    (unsigned long long)c.refused_inflight, (unsigned long long)c.refused_full,
		    (unsigned long long)c.queue_timeouts, (unsigned long long)c.client_left,
		    (unsigned long long)c.deadlines, (unsigned long long)c.backoffs);
	}
}

/* A shared registry: whether this innetd hears the others' changes. */
static void metrics_watch(struct buf *b, const struct plat *p)
{
	if (!p->src.watch || !*p->src.watch)
		return; /* SQLite: alone */
	struct watch_stats w;
	watch_stats(*p->src.watch, &w);
	out(b, "# HELP innet_registry_listener_up 1 while changes by other innetd are heard.\n"
	       "# TYPE innet_registry_listener_up gauge\ninnet_registry_listener_up %d\n"
	       "# TYPE innet_registry_listener_connects_total counter\n"
	       "innet_registry_listener_connects_total %llu\n"
	       "# HELP innet_registry_notifications_total Changes heard from the registry, by kind.\n"
	       "# TYPE innet_registry_notifications_total counter\n"
	       "innet_registry_notifications_total{kind=\"network\"} %llu\n"
	       "innet_registry_notifications_total{kind=\"tenant\"} %llu\n"
	       "innet_registry_notifications_total{kind=\"module\"} %llu\n"
	       "innet_registry_notifications_total{kind=\"policy\"} %llu\n"
	       "# HELP innet_registry_runtime_reports_total Live states of this PoP's modules stored for the others.\n"
	       "# TYPE innet_registry_runtime_reports_total counter\n"
	       "innet_registry_runtime_reports_total{result=\"ok\"} %llu\n"
	       "innet_registry_runtime_reports_total{result=\"failed\"} %llu\n",
	    w.up ? 1 : 0, (unsigned long long)w.connects, (unsigned long long)w.network,
	    (unsigned long long)w.tenant, (unsigned long long)w.module, (unsigned long long)w.policy,
	    (unsigned long long)w.reports, (unsigned long long)w.report_failures);
}

/* The registry thread (docs/registry.md): how much waits for the
 * database, and for how long at most. */
static void metrics_registry(struct buf *b, const struct plat *p)
{
	uint64_t waiting = 0, dropped = 0;
	if (p->api)
		api_audit_stats(p->api, &waiting, &dropped);
	out(b, "# HELP innet_audit_queue Audit rows waiting to be written by the registry thread.\n"
	       "# TYPE innet_audit_queue gauge\ninnet_audit_queue %llu\n"
	       "# HELP innet_audit_dropped_total Audit rows dropped because 4096 were waiting.\n"
	       "# TYPE innet_audit_dropped_total counter\ninnet_audit_dropped_total %llu\n",
	    (unsigned long long)waiting, (unsigned long long)dropped);
	if (!p->src.ctl)
		return;
	struct reg_worker_stats s;
	ctl_registry_stats(p->src.ctl, &s);
	out(b, "# HELP innet_registry_work_total Registry work (statements, transactions) run on the registry thread.\n"
	       "# TYPE innet_registry_work_total counter\ninnet_registry_work_total %llu\n"
	       "# HELP innet_registry_queue Registry work waiting for the registry thread now.\n"
	       "# TYPE innet_registry_queue gauge\ninnet_registry_queue %llu\n"
	       "# TYPE innet_registry_queue_max gauge\ninnet_registry_queue_max %llu\n"
	       "# HELP innet_registry_busy_seconds_total Time the registry thread spent running work.\n"
	       "# TYPE innet_registry_busy_seconds_total counter\ninnet_registry_busy_seconds_total %.6f\n"
	       "# HELP innet_registry_wait_max_seconds The longest any registry work waited in the queue.\n"
	       "# TYPE innet_registry_wait_max_seconds gauge\ninnet_registry_wait_max_seconds %.6f\n",
	    (unsigned long long)s.run, (unsigned long long)s.queued, (unsigned long long)s.max_queued,
	    (double)s.busy_ns / 1e9, (double)s.max_wait_ns / 1e9);
}

/* Process modules (docs/process-sandbox.md): how many programs are in
 * each state, and their restarts. There only with a process port. */
static void metrics_process(struct buf *b, struct plat *p)
{
	if (!p->mgr || !p->link)
		return;
	uint64_t n[VM_PROC_FAILED + 1] = {0}, restarts = 0;
	for (size_t i = 0; i < p->nmods; i++) {
		struct vm_process_info pi;
		if (vm_module_process(p->mgr, p->mods[i].id, &pi))
			continue;
		if (pi.state <= VM_PROC_FAILED)
			n[pi.state]++;
		restarts += pi.restarts;
	}
	out(b, "# HELP innet_process_modules Process modules' programs, by state.\n"
	       "# TYPE innet_process_modules gauge\n");
	for (int s = VM_PROC_NONE; s <= VM_PROC_FAILED; s++)
		out(b, "innet_process_modules{state=\"%s\"} %llu\n",
		    vm_proc_state_name((enum vm_proc_state)s), (unsigned long long)n[s]);
	out(b, "# HELP innet_process_restarts_total Programs started again after an exit or a crash "
	       "(modules installed now).\n"
	       "# TYPE innet_process_restarts_total counter\ninnet_process_restarts_total %llu\n",
	    (unsigned long long)restarts);
}

/* Each fast-path lcore's share (dp-lcores): how its modules and packets
 * are spread, and what steering between them costs. One family per
 * figure, the lcore (its EAL number) as the label. */
static void lcore_metrics(struct buf *b, const struct dp *dp)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} fam[] = {
		{"innet_dp_lcore_modules", "gauge", "Modules a fast-path lcore owns (only the owner runs a module).",
		 offsetof(struct dp_lcore_stats, modules)},
		{"innet_dp_lcore_rx_packets_total", "counter", "Packets a fast-path lcore received on its rx queues.",
		 offsetof(struct dp_lcore_stats, rx_packets)},
		{"innet_dp_lcore_delivered_total", "counter", "Packets a fast-path lcore gave its modules.",
		 offsetof(struct dp_lcore_stats, delivered)},
		{"innet_dp_lcore_steered_out_total", "counter",
		 "Packets a fast-path lcore handed to the lcores that own their modules.",
		 offsetof(struct dp_lcore_stats, steered_out)},
		{"innet_dp_lcore_steered_in_total", "counter", "Packets a fast-path lcore took from other lcores.",
		 offsetof(struct dp_lcore_stats, steered_in)},
		{"innet_dp_lcore_steer_drops_total", "counter",
		 "Packets dropped because the owning lcore's ring was full (it is overloaded).",
		 offsetof(struct dp_lcore_stats, steer_drops)},
	};
	unsigned n = dp_lcores(dp);
	for (size_t f = 0; f < sizeof fam / sizeof fam[0]; f++) {
		out(b, "# HELP %s %s\n# TYPE %s %s\n", fam[f].name, fam[f].help, fam[f].name, fam[f].type);
		for (unsigned w = 0; w < n; w++) {
			struct dp_lcore_stats st;
			if (dp_lcore_stats(dp, w, &st) < 0)
				continue;
			uint64_t v;
			memcpy(&v, (const char *)&st + fam[f].off, sizeof v);
			out(b, "%s{lcore=\"%u\"} %llu\n", fam[f].name, st.lcore, (unsigned long long)v);
		}
	}
}

static int h_metrics(struct api_req *r, void *ud)
{
	struct plat *p = ud;
	struct buf b = {0};
	out(&b, "# HELP innet_http_requests_total HTTP requests received.\n"
	        "# TYPE innet_http_requests_total counter\ninnet_http_requests_total %llu\n",
	    (unsigned long long)(p->http_requests ? *p->http_requests : 0));
	metrics_floods(&b, p);
	metrics_watch(&b, p);
	metrics_registry(&b, p);
	out(&b, "# HELP innet_dataplane_up 1 when the fast path runs.\n"
	        "# TYPE innet_dataplane_up gauge\ninnet_dataplane_up %d\n", p->mgr ? 1 : 0);
	if (p->mgr) {
		struct vm_mgr_stats ms;
		vm_mgr_stats(p->mgr, &ms);
		out(&b, "# TYPE innet_modules gauge\ninnet_modules %llu\n"
		        "# TYPE innet_modules_running gauge\ninnet_modules_running %llu\n"
		        "# TYPE innet_modules_starting gauge\ninnet_modules_starting %llu\n"
		        "# TYPE innet_starts_total counter\ninnet_starts_total %llu\n"
		        "# TYPE innet_stops_total counter\ninnet_stops_total %llu\n"
		        "# TYPE innet_idle_stops_total counter\ninnet_idle_stops_total %llu\n"
		        "# TYPE innet_refused_starts_total counter\ninnet_refused_starts_total %llu\n"
		        "# TYPE innet_failed_starts_total counter\ninnet_failed_starts_total %llu\n",
		    (unsigned long long)ms.modules, (unsigned long long)ms.running,
		    (unsigned long long)ms.starting, (unsigned long long)ms.starts,
		    (unsigned long long)ms.stops, (unsigned long long)ms.idle_stops,
		    (unsigned long long)ms.refused_starts, (unsigned long long)ms.failed_starts);
		struct dp_stats ds;
		bool have_ds = p->dp && !dp_stats(p->dp, &ds);
		if (have_ds)
			out(&b, "# TYPE innet_dp_rx_packets_total counter\ninnet_dp_rx_packets_total %llu\n"
			        "# TYPE innet_dp_tx_packets_total counter\ninnet_dp_tx_packets_total %llu\n"
			        "# HELP innet_dp_drops_total Packets the fast path dropped, by reason.\n"
			        "# TYPE innet_dp_drops_total counter\n"
			        "innet_dp_drops_total{reason=\"unclassified\"} %llu\n"
			        "innet_dp_drops_total{reason=\"not_ipv4\"} %llu\n"
			        "innet_dp_drops_total{reason=\"no_route\"} %llu\n"
			        "innet_dp_drops_total{reason=\"tx\"} %llu\n"
			        "# TYPE innet_dp_arp_replies_total counter\ninnet_dp_arp_replies_total %llu\n"
			        "# TYPE innet_dp_held_packets gauge\ninnet_dp_held_packets %llu\n",
			    (unsigned long long)ds.rx_packets, (unsigned long long)ds.tx_packets,
			    (unsigned long long)ds.unclassified, (unsigned long long)ds.not_ipv4,
			    (unsigned long long)ds.no_route, (unsigned long long)ds.tx_drops,
			    (unsigned long long)ds.arp_replies, (unsigned long long)ds.held_now);
		if (have_ds)
			lcore_metrics(&b, p->dp);
		if (have_ds && ds.process_port)
			out(&b, "# HELP innet_dp_process_packets_total Packets between process modules and their programs.\n"
			        "# TYPE innet_dp_process_packets_total counter\n"
			        "innet_dp_process_packets_total{direction=\"to_program\"} %llu\n"
			        "innet_dp_process_packets_total{direction=\"from_program\"} %llu\n"
			        "# HELP innet_dp_process_drops_total Process-port frames dropped, by reason.\n"
			        "# TYPE innet_dp_process_drops_total counter\n"
			        "innet_dp_process_drops_total{reason=\"unknown_tag\"} %llu\n"
			        "innet_dp_process_drops_total{reason=\"not_running\"} %llu\n"
			        "innet_dp_process_drops_total{reason=\"other\"} %llu\n"
			        "# TYPE innet_dp_process_links gauge\ninnet_dp_process_links %llu\n",
			    (unsigned long long)ds.proc_to_packets, (unsigned long long)ds.proc_from_packets,
			    (unsigned long long)ds.proc_unknown_tag, (unsigned long long)ds.proc_not_running,
			    (unsigned long long)ds.proc_drops, (unsigned long long)ds.proc_links);
		static const char *const fam[][2] = {
			{"innet_module_state", "gauge"},
			{"innet_module_rx_packets_total", "counter"},
			{"innet_module_rx_bytes_total", "counter"},
			{"innet_module_tx_packets_total", "counter"},
			{"innet_module_tx_bytes_total", "counter"},
			{"innet_module_drops_total", "counter"},
			{"innet_module_starts_total", "counter"},
		};
		for (size_t f = 0; f < sizeof fam / sizeof fam[0]; f++) {
			out(&b, "# TYPE %s %s\n", fam[f][0], fam[f][1]);
			for (size_t i = 0; i < p->nmods; i++) {
				struct vm_module_info in;
				if (vm_module_info(p->mgr, p->mods[i].id, &in))
					continue;
				char lab[320], nm[256];
				snprintf(lab, sizeof lab, "id=\"%llu\",tenant=\"%llu\",name=\"%s\"",
				         (unsigned long long)p->mods[i].id, (unsigned long long)p->mods[i].tenant,
				         esc(p->mods[i].name, nm, sizeof nm));
				switch (f) {
				case 0:
					out(&b, "%s{%s,state=\"%s\"} 1\n", fam[f][0], lab, state_name(&in));
					break;
				case 1: out(&b, "%s{%s} %llu\n", fam[f][0], lab, (unsigned long long)in.dp.rx_packets); break;
				case 2: out(&b, "%s{%s} %llu\n", fam[f][0], lab, (unsigned long long)in.dp.rx_bytes); break;
				case 3: out(&b, "%s{%s} %llu\n", fam[f][0], lab, (unsigned long long)in.dp.tx_packets); break;
				case 4: out(&b, "%s{%s} %llu\n", fam[f][0], lab, (unsigned long long)in.dp.tx_bytes); break;
				case 5:
					out(&b, "%s{%s} %llu\n", fam[f][0], lab,
					    (unsigned long long)(in.dp.drops + in.dp.hold_drops));
					break;
				default: out(&b, "%s{%s} %llu\n", fam[f][0], lab, (unsigned long long)in.starts); break;
				}
			}
		}
	}
	metrics_stateful(&b, p);
	metrics_process(&b, p);
	if (b.oom) {
		free(b.s);
		return -ENOMEM;
	}
	api_respond_text(r, 200, "text/plain; version=0.0.4", b.s ? b.s : "", b.n);
	free(b.s);
	return 0;
}

#define PLAT_LOG_MAX (64 << 10) /* the backend's ring: all of it */

/* GET /v1/modules/{id}/log: a process module's program's stdout and
 * stderr, newest 64 KiB, to its tenant or the operator (another's module
 * is not found, as in GET /v1/modules/{id}). */
static int h_module_log(struct api_req *r, void *ud)
{
	struct plat *p = ud;
	const struct api_principal *who = api_req_principal(r);
	int64_t id = api_req_param_id(r, "id");
	struct pmod *pm = id > 0 && p->mgr ? find(p, (uint64_t)id) : NULL;
	if (!pm || (!who->admin && (int64_t)pm->tenant != who->tenant_id)) {
		api_error(r, 404, "not_found", NULL, "no module %s runs on this PoP",
		          api_req_param(r, "id"));
		return 0;
	}
	char *buf = malloc(PLAT_LOG_MAX);
	size_t len = 0;
	int rc = buf ? vm_module_log(p->mgr, (uint64_t)id, buf, PLAT_LOG_MAX, &len) : -ENOMEM;
	if (rc == -ENOTSUP)
		api_error(r, 404, "not_found", NULL,
		          "module %lld runs no program (only process modules have a log)", (long long)id);
	else if (rc == -ENOENT)
		api_error(r, 404, "not_found", NULL, "no module %lld runs on this PoP", (long long)id);
	else if (!rc)
		api_respond_text(r, 200, "text/plain; charset=utf-8", buf, len);
	free(buf);
	return rc == -ENOMEM ? rc : 0;
}

/* POST /v1/modules/{id}/restart: a failed module (a program that crashed
 * too often or ran out of memory: never restarted by itself) goes back to
 * deployed, so its next new flow starts it again; to its tenant or the
 * operator. Anything else is 409: a running module needs no restart and a
 * held one (its tenant suspended) is the operator's to release. */
static int h_module_restart(struct api_req *r, void *ud)
{
	struct plat *p = ud;
	const struct api_principal *who = api_req_principal(r);
	int64_t id = api_req_param_id(r, "id");
	struct pmod *pm = id > 0 && p->mgr ? find(p, (uint64_t)id) : NULL;
	struct vm_module_info in;
	if (!pm || (!who->admin && (int64_t)pm->tenant != who->tenant_id) ||
	    vm_module_info(p->mgr, (uint64_t)id, &in)) {
		api_error(r, 404, "not_found", NULL, "no module %s runs on this PoP",
		          api_req_param(r, "id"));
		return 0;
	}
	if (in.state != VM_FAILED) {
		api_error(r, 409, "conflict", json_pack("{s:s}", "state", vm_state_name(in.state)),
		          "module %lld is %s: only a failed module is restarted", (long long)id,
		          vm_state_name(in.state));
		return 0;
	}
	int rc = vm_stop(p->mgr, (uint64_t)id, false);
	if (rc)
		return rc;
	log_info("platform", "module %lld '%s': restarted by %s after its failure (last: %s)",
	         (long long)id, pm->name, who->admin ? "the operator" : "its tenant",
	         strerror(-in.last_failure));
	json_t *rt = plat_module_json(p, id);
	api_respond(r, 200, json_pack("{s:I, s:s, s:o}", "id", (json_int_t)id, "state", "deployed",
	                              "runtime", rt ? rt : json_null()));
	return 0;
}

int plat_register_routes(struct api *api, struct plat *p, const struct plat_sources *src)
{
	p->src = *src;
	p->http_requests = src->http_requests;
	p->api = api;
	int rc = api_route(api, "GET", "/metrics", API_ADMIN, h_metrics, p);
	rc = rc ? rc : api_route(api, "GET", "/v1/modules/{id}/log", API_ANY, h_module_log, p);
	return rc ? rc : api_route(api, "POST", "/v1/modules/{id}/restart", API_ANY, h_module_restart, p);
}

bool plat_running(const struct plat *p)
{
	return p && p->mgr;
}
