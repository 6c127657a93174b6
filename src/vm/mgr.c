/* The module manager: states, starts on first packets within rate limits,
 * idle stops and suspends, resumes, counters. Backend-neutral.
 *
 * States: deployed -> starting -> running <-> idle; idle stateless modules
 * are stopped (deployed again), idle stateful ones suspended when the
 * backend can. A suspended module resumes on its next packet (starting,
 * then running) without a rate-limit check: its connections are live. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "base/idmap.h"
#include "base/tbucket.h"
#include "vm/internal.h"
#include "vm/vm.h"

/* Start buckets count thousandths of a start, so that rates below one
 * start per second (tests use 1e-9: none comes back) still refill. */
#define MILLI 1000u

struct vmod {
	uint64_t id, tenant;
	bool stateful;
	enum vm_state state;
	void *inst;
	uint64_t t0;               /* first packet of the pending start or resume */
	uint64_t t_suspend;        /* the suspend decision */
	bool suspending;           /* asked the backend, not yet done */
	bool wake_pending;         /* a packet came while suspending */
	bool resuming;             /* starting from a saved state */
	uint64_t running_since;
	struct vmod *rnext, *rprev; /* running (or idle) list */
	struct vm_module_info info;
};

struct vm_mgr {
	struct vm_config cfg;
	struct vm_backend *be;
	struct idmap mods, tenants;
	struct tbucket global;
	struct vmod *running;
	struct vm_mgr_stats st;
	uv_timer_t *timer;
};

const char *vm_state_name(enum vm_state s)
{
	switch (s) {
	case VM_DEPLOYED: return "deployed";
	case VM_STARTING: return "starting";
	case VM_RUNNING: return "running";
	case VM_IDLE: return "idle";
	case VM_SUSPENDED: return "suspended";
	case VM_STOPPED: return "stopped";
	case VM_FAILED: return "failed";
	}
	return "unknown";
}

void vm_config_init(struct vm_config *c)
{
	memset(c, 0, sizeof *c);
}

static void fill_defaults(struct vm_config *c)
{
	if (!c->idle_ms) c->idle_ms = 30000;
	if (c->starts_per_s <= 0) c->starts_per_s = 1000;
	if (!c->start_burst) c->start_burst = 100;
	if (c->tenant_starts_per_s <= 0) c->tenant_starts_per_s = 50;
	if (!c->tenant_burst) c->tenant_burst = 10;
	if (!c->stateful_quota) c->stateful_quota = 1u << 20;
	if (!c->max_modules) c->max_modules = 100000;
	if (!c->tick_ms) c->tick_ms = 100;
}

static void start_bucket_init(struct tbucket *b, double per_s, uint32_t burst, uint64_t now)
{
	tbucket_init(b, (uint64_t)(per_s * MILLI), (uint64_t)burst * MILLI, now);
}

static void on_tick(uv_timer_t *t)
{
	vm_mgr_tick(t->data, dp_now_ns());
}

int vm_mgr_new(const struct vm_config *c, struct vm_backend *be, struct vm_mgr **out)
{
	*out = NULL;
	if (!be)
		return -EINVAL;
	struct vm_mgr *m = calloc(1, sizeof *m);
	if (!m)
		return -ENOMEM;
	m->cfg = *c;
	fill_defaults(&m->cfg);
	m->be = be;
	be->mgr = m;
	start_bucket_init(&m->global, m->cfg.starts_per_s, m->cfg.start_burst, dp_now_ns());
	if (c->loop) {
		m->timer = malloc(sizeof *m->timer);
		if (!m->timer || uv_timer_init(c->loop, m->timer) != 0) {
			free(m->timer);
			free(m);
			return -ENOMEM;
		}
		m->timer->data = m;
		uv_timer_start(m->timer, on_tick, m->cfg.tick_ms, m->cfg.tick_ms);
	}
	*out = m;
	return 0;
}

static void free_handle(uv_handle_t *h) { free(h); }

void vm_mgr_free(struct vm_mgr *m)
{
	if (!m)
		return;
	size_t it = 0;
	struct vmod *v;
	while ((v = idmap_next(&m->mods, &it, NULL)) != NULL) {
		m->be->ops->destroy(m->be, v->inst);
		free(v);
	}
	idmap_free(&m->mods);
	it = 0;
	void *b;
	while ((b = idmap_next(&m->tenants, &it, NULL)) != NULL)
		free(b);
	idmap_free(&m->tenants);
	if (m->be->ops->free)
		m->be->ops->free(m->be);
	if (m->timer) {
		uv_timer_stop(m->timer);
		uv_close((uv_handle_t *)m->timer, free_handle);
	}
	free(m);
}

struct vm_backend *vm_mgr_backend(struct vm_mgr *m) { return m->be; }

static void run_link(struct vm_mgr *m, struct vmod *v)
{
	v->rprev = NULL;
	v->rnext = m->running;
	if (m->running)
		m->running->rprev = v;
	m->running = v;
	m->st.running++;
}

static void run_unlink(struct vm_mgr *m, struct vmod *v)
{
	if (v->rprev)
		v->rprev->rnext = v->rnext;
	else if (m->running == v)
		m->running = v->rnext;
	if (v->rnext)
		v->rnext->rprev = v->rprev;
	v->rnext = v->rprev = NULL;
	m->st.running--;
}

static bool running_state(enum vm_state s)
{
	return s == VM_RUNNING || s == VM_IDLE;
}

/* The running list holds running and idle modules (what the idle check
 * looks at); starting and suspended ones are counted apart. */
static void set_state(struct vm_mgr *m, struct vmod *v, enum vm_state s)
{
	bool was = running_state(v->state), now = running_state(s);
	if (v->state == VM_STARTING)
		m->st.starting--;
	if (s == VM_STARTING)
		m->st.starting++;
	if (v->state == VM_SUSPENDED)
		m->st.suspended--;
	if (s == VM_SUSPENDED)
		m->st.suspended++;
	if (was && !now)
		run_unlink(m, v);
	if (!was && now)
		run_link(m, v);
	v->state = s;
}

int vm_deploy(struct vm_mgr *m, const struct vm_module_spec *spec, struct diags *d)
{
	if (idmap_get(&m->mods, spec->id))
		return -EEXIST;
	if (m->st.modules >= m->cfg.max_modules)
		return -ENOSPC;
	if (spec->process && !m->be->ops->process) {
		diags_error(d, NULL, 0, "module %llu is a program: the %s backend runs only Click "
		            "modules (innetd needs the process backend)",
		            (unsigned long long)spec->id, m->be->ops->name);
		return -ENOTSUP;
	}
	struct vmod *v = calloc(1, sizeof *v);
	if (!v)
		return -ENOMEM;
	v->id = spec->id;
	v->tenant = spec->tenant;
	/* a program is frozen when idle, never stopped: its state is its memory */
	v->stateful = spec->stateful || spec->process;
	v->state = VM_DEPLOYED;
	struct vm_module_spec s = *spec;
	s.stateful = v->stateful;
	if (s.stateful && !s.mem_quota)
		s.mem_quota = m->cfg.stateful_quota;
	if (!m->be->ops->saved_state) {
		s.state = NULL; /* the backend cannot resume it: starts fresh */
		s.state_len = 0;
	}
	if (!s.image)
		s.image = m->cfg.xen_image;
	int r = m->be->ops->create(m->be, &s, &v->inst, d);
	if (r < 0) {
		free(v);
		return r;
	}
	if (!idmap_get(&m->tenants, spec->tenant)) {
		struct tbucket *b = calloc(1, sizeof *b);
		if (!b || idmap_put(&m->tenants, spec->tenant, b) < 0) {
			free(b);
			m->be->ops->destroy(m->be, v->inst);
			free(v);
			return -ENOMEM;
		}
		start_bucket_init(b, m->cfg.tenant_starts_per_s, m->cfg.tenant_burst, dp_now_ns());
	}
	if (idmap_put(&m->mods, v->id, v) < 0) {
		m->be->ops->destroy(m->be, v->inst);
		free(v);
		return -ENOMEM;
	}
	v->info.tenant = v->tenant;
	v->info.stateful = v->stateful;
	m->st.modules++;
	if (s.state && m->be->ops->saved_state) {
		v->info.state_bytes = s.state_len;
		set_state(m, v, VM_SUSPENDED); /* resumes with it on its first packet */
	}
	return 0;
}

static int begin_start(struct vm_mgr *m, struct vmod *v, uint64_t t0)
{
	v->t0 = t0;
	set_state(m, v, VM_STARTING);
	int r = m->be->ops->start(m->be, v->inst);
	if (r < 0 && v->state == VM_STARTING) {
		v->info.failed_starts++;
		m->st.failed_starts++;
		set_state(m, v, VM_DEPLOYED);
		m->be->ops->stop(m->be, v->inst); /* let go of held packets */
	}
	return r;
}

/* Resume a suspended module whose packet arrived at t0 (a suspend still
 * under way resumes when it completes). */
static int resume(struct vm_mgr *m, struct vmod *v, uint64_t t0)
{
	if (v->suspending) {
		if (!v->wake_pending)
			v->t0 = t0;
		v->wake_pending = true;
		return 0;
	}
	v->t0 = t0;
	v->resuming = true;
	set_state(m, v, VM_STARTING);
	int r = m->be->ops->resume ? m->be->ops->resume(m->be, v->inst) : -ENOTSUP;
	if (r < 0 && v->state == VM_STARTING) {
		v->resuming = false;
		v->info.failed_starts++;
		m->st.failed_starts++;
		set_state(m, v, VM_SUSPENDED); /* the backend dropped what it held */
	}
	return r;
}

int vm_start(struct vm_mgr *m, uint64_t id)
{
	struct vmod *v = idmap_get(&m->mods, id);
	if (!v)
		return -ENOENT;
	if (v->state == VM_SUSPENDED)
		return resume(m, v, dp_now_ns());
	if (v->state != VM_DEPLOYED && v->state != VM_STOPPED && v->state != VM_FAILED)
		return v->state == VM_STARTING ? -EINPROGRESS : -EALREADY;
	return begin_start(m, v, dp_now_ns());
}

int vm_stop(struct vm_mgr *m, uint64_t id, bool hold_off)
{
	struct vmod *v = idmap_get(&m->mods, id);
	if (!v)
		return -ENOENT;
	bool ran = v->state != VM_DEPLOYED && v->state != VM_STOPPED && v->state != VM_FAILED;
	if (ran) {
		int r = m->be->ops->stop(m->be, v->inst); /* a saved state is dropped */
		if (r < 0)
			return r;
	}
	v->suspending = v->wake_pending = v->resuming = false;
	set_state(m, v, hold_off ? VM_STOPPED : VM_DEPLOYED);
	return 0;
}

int vm_remove(struct vm_mgr *m, uint64_t id)
{
	struct vmod *v = idmap_del(&m->mods, id);
	if (!v)
		return -ENOENT;
	set_state(m, v, VM_DEPLOYED);
	m->be->ops->destroy(m->be, v->inst);
	m->st.modules--;
	free(v);
	return 0;
}

static void new_flow(struct vm_mgr *m, struct vmod *v, const struct dp_event *ev)
{
	uint64_t now = dp_now_ns();
	switch (v->state) {
	case VM_DEPLOYED: {
		struct tbucket *tb = idmap_get(&m->tenants, v->tenant);
		/* check both before taking from either, so a tenant over its
		 * limit does not drain the global bucket */
		struct tbucket g = m->global, t = *tb;
		if (!tbucket_take(&t, MILLI, now) || !tbucket_take(&g, MILLI, now)) {
			v->info.refused_starts++;
			m->st.refused_starts++;
			m->be->ops->stop(m->be, v->inst); /* drop what it held */
			return;
		}
		m->global = g;
		*tb = t;
		begin_start(m, v, ev && ev->ts_ns ? ev->ts_ns : now);
		return;
	}
	case VM_STOPPED:
	case VM_FAILED:
		m->be->ops->stop(m->be, v->inst); /* drop what it held */
		return;
	case VM_SUSPENDED: /* any packet; no rate limit: its flows are live */
		resume(m, v, ev && ev->ts_ns ? ev->ts_ns : now);
		return;
	default:
		return;
	}
}

static void resumed(struct vm_mgr *m, struct vmod *v, int status, uint64_t now)
{
	if (v->state != VM_STARTING || !v->resuming)
		return; /* stopped meanwhile */
	v->resuming = false;
	if (status < 0) {
		v->info.failed_starts++;
		m->st.failed_starts++;
		set_state(m, v, VM_SUSPENDED);
		return;
	}
	if (status == VM_RESUMED_FRESH) {
		v->info.load_failures++;
		m->st.load_failures++;
	}
	set_state(m, v, VM_RUNNING);
	v->running_since = now;
	v->info.resumes++;
	v->info.last_resume_ns = now > v->t0 ? now - v->t0 : 0;
	m->st.resumes++;
}

/* The backend gave up on a module's program (and stopped it). */
static void failed(struct vm_mgr *m, struct vmod *v, int status)
{
	if (v->state == VM_DEPLOYED || v->state == VM_STOPPED || v->state == VM_FAILED)
		return;
	v->suspending = v->wake_pending = v->resuming = false;
	v->info.failures++;
	v->info.last_failure = status;
	v->running_since = 0;
	set_state(m, v, VM_FAILED);
}

void vm_mgr_notify(struct vm_mgr *m, uint64_t id, enum vm_note note, int status,
                   const struct dp_event *ev)
{
	if (m->be->ops->intercept && m->be->ops->intercept(m->be, id, note, status, ev))
		return;
	vm__mgr_deliver(m, id, note, status, ev);
}

void vm__mgr_deliver(struct vm_mgr *m, uint64_t id, enum vm_note note, int status,
                     const struct dp_event *ev)
{
	struct vmod *v = idmap_get(&m->mods, id);
	if (!v)
		return; /* removed meanwhile */
	uint64_t now = dp_now_ns();
	switch (note) {
	case VM_NOTE_NEW_FLOW:
		new_flow(m, v, ev);
		break;
	case VM_NOTE_STARTED:
		if (v->state != VM_STARTING)
			break; /* stopped while starting: vm_stop already halted it */
		if (status < 0) {
			v->info.failed_starts++;
			m->st.failed_starts++;
			set_state(m, v, VM_DEPLOYED);
			m->be->ops->stop(m->be, v->inst);
			break;
		}
		set_state(m, v, VM_RUNNING);
		v->running_since = now;
		v->info.starts++;
		v->info.last_start_ns = now > v->t0 ? now - v->t0 : 0;
		m->st.starts++;
		break;
	case VM_NOTE_STOPPED:
		if (status == 0 && v->running_since) {
			v->info.stops++;
			m->st.stops++;
			v->running_since = 0;
		}
		break;
	case VM_NOTE_RESUMED:
		resumed(m, v, status, now);
		break;
	case VM_NOTE_FAILED:
		failed(m, v, status);
		break;
	}
}

/* Ask the backend to suspend v (decided at `now`); the state goes to
 * on_suspend when vm_mgr_suspended reports it. */
static int suspend(struct vm_mgr *m, struct vmod *v, uint64_t now)
{
	if (!m->be->ops->suspend)
		return -ENOTSUP;
	enum vm_state was = v->state;
	v->t_suspend = now;
	v->suspending = true;
	v->wake_pending = false;
	set_state(m, v, VM_SUSPENDED);
	int r = m->be->ops->suspend(m->be, v->inst);
	if (r < 0 && v->suspending) {
		v->suspending = false;
		set_state(m, v, was);
	}
	return r;
}

void vm_mgr_suspended(struct vm_mgr *m, uint64_t id, int status, const void *state, size_t len)
{
	if (m->be->ops->intercept_suspended &&
	    m->be->ops->intercept_suspended(m->be, id, status, state, len))
		return;
	vm__mgr_deliver_suspended(m, id, status, state, len);
}

void vm__mgr_deliver_suspended(struct vm_mgr *m, uint64_t id, int status, const void *state,
                               size_t len)
{
	struct vmod *v = idmap_get(&m->mods, id);
	if (!v || !v->suspending)
		return; /* removed or stopped meanwhile */
	v->suspending = false;
	uint64_t now = dp_now_ns();
	if (status < 0) {
		/* the backend kept it running (e.g. no memory for the state) */
		v->wake_pending = false;
		set_state(m, v, VM_RUNNING);
		v->running_since = now;
		return;
	}
	v->info.suspends++;
	v->info.last_suspend_ns = now > v->t_suspend ? now - v->t_suspend : 0;
	v->info.state_bytes = len;
	v->running_since = 0;
	m->st.suspends++;
	if (m->cfg.on_suspend && state) /* NULL: the backend keeps it (xen) */
		m->cfg.on_suspend(m->cfg.on_suspend_arg, id, state, len);
	if (v->wake_pending) {
		v->wake_pending = false;
		resume(m, v, v->t0);
	}
}

void vm_mgr_tick(struct vm_mgr *m, uint64_t now)
{
	uint64_t idle_ns = (uint64_t)m->cfg.idle_ms * 1000000u;
	struct vmod *next;
	for (struct vmod *v = m->running; v; v = next) {
		next = v->rnext;
		struct dp_module_stats st;
		uint64_t last = v->running_since;
		uint32_t queued = 0;
		if (m->be->ops->stats && m->be->ops->stats(m->be, v->inst, &st) == 0) {
			if (st.last_rx_ns > last)
				last = st.last_rx_ns;
			queued = st.queued;
		}
		bool idle = now > last && now - last >= idle_ns && queued == 0;
		if (!idle) {
			if (v->state == VM_IDLE)
				set_state(m, v, VM_RUNNING);
			continue;
		}
		if (v->state == VM_IDLE)
			continue; /* stateful, and its state cannot be saved: kept */
		if (!v->stateful) {
			/* stateless: stop and free its memory; the next flow restarts it */
			if (m->be->ops->stop(m->be, v->inst) == 0) {
				set_state(m, v, VM_DEPLOYED);
				m->st.idle_stops++;
			}
		} else if (suspend(m, v, now) < 0) {
			set_state(m, v, VM_IDLE);
		}
	}
}

int vm_module_info(const struct vm_mgr *m, uint64_t id, struct vm_module_info *info)
{
	struct vmod *v = idmap_get(&m->mods, id);
	if (!v)
		return -ENOENT;
	*info = v->info;
	/* "suspended" means the state is saved: until the backend reports
	 * it, a module being suspended is still idle */
	info->state = v->suspending ? VM_IDLE : v->state;
	memset(&info->dp, 0, sizeof info->dp);
	if (m->be->ops->stats)
		m->be->ops->stats(m->be, v->inst, &info->dp);
	memset(&info->process, 0, sizeof info->process);
	info->is_process = m->be->ops->process &&
	                   m->be->ops->process(m->be, v->inst, &info->process);
	return 0;
}

void vm_mgr_stats(const struct vm_mgr *m, struct vm_mgr_stats *st)
{
	*st = m->st;
}

int vm_suspend(struct vm_mgr *m, uint64_t id)
{
	struct vmod *v = idmap_get(&m->mods, id);
	if (!v)
		return -ENOENT;
	if (!running_state(v->state))
		return -EALREADY;
	if (!v->stateful)
		return -ENOTSUP;
	return suspend(m, v, dp_now_ns());
}

int vm_suspend_all(struct vm_mgr *m)
{
	uint64_t before = m->st.suspends, now = dp_now_ns();
	struct vmod *next;
	for (struct vmod *v = m->running; v; v = next) {
		next = v->rnext; /* suspend unlinks v */
		if (v->stateful)
			suspend(m, v, now);
	}
	if (m->be->ops->sync)
		m->be->ops->sync(m->be); /* every state reaches on_suspend */
	return (int)(m->st.suspends - before);
}

int vm_module_tables(const struct vm_mgr *m, uint64_t id, struct vm_table_info *out, size_t max)
{
	struct vmod *v = idmap_get(&m->mods, id);
	if (!v)
		return -ENOENT;
	if (!m->be->ops->tables)
		return 0;
	return m->be->ops->tables(m->be, v->inst, out, max);
}

int vm_module_process(const struct vm_mgr *m, uint64_t id, struct vm_process_info *out)
{
	struct vmod *v = idmap_get(&m->mods, id);
	if (!v)
		return -ENOENT;
	memset(out, 0, sizeof *out);
	if (!m->be->ops->process || !m->be->ops->process(m->be, v->inst, out))
		return -ENOTSUP;
	return 0;
}

int vm_module_log(const struct vm_mgr *m, uint64_t id, char *buf, size_t cap, size_t *len)
{
	*len = 0;
	struct vmod *v = idmap_get(&m->mods, id);
	if (!v)
		return -ENOENT;
	struct vm_process_info pi;
	if (!m->be->ops->log || !m->be->ops->process || !m->be->ops->process(m->be, v->inst, &pi))
		return -ENOTSUP;
	*len = m->be->ops->log(m->be, v->inst, buf, cap, NULL);
	return 0;
}
