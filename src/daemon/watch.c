/* Changes other innetd make to a shared PostgreSQL registry (docs/registry.md,
 * "Several innetd on one registry"): a listener connection polled on the
 * event loop, never blocking it. What a notification means here:
 *   network V  another innetd stored snapshot V: serve it (the verifier's
 *              model follows the API's current snapshot);
 *   tenant N   its row changed (suspended, token, quotas, deleted): the
 *              controller forgets what it cached of it;
 *   module N   placed, killed or changed: installed in this fast path when
 *              it is live on a platform of this PoP, removed when no longer;
 *   policy     read from the registry at each check: counted only.
 * A lost connection is reopened after a delay that doubles up to 5 s; the
 * snapshot is reloaded and the fast path reconciled with the registry
 * then, since notifications in between are lost. The snapshot is read on
 * the registry thread (seed_load_snapshot_async), the reconcile follows
 * on the loop when it is served. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "daemon/internal.h"

#define RETRY_MIN_MS 250
#define RETRY_MAX_MS 5000

struct watch {
	uv_loop_t *loop;
	struct api *api;
	struct ctl *ctl;
	char *spec;
	struct reg_listener *l;
	uv_poll_t poll;
	bool poll_on;       /* poll initialized (must be closed before a new fd) */
	uv_timer_t retry;
	uint64_t retry_ms;
	uv_timer_t report;  /* the live states of this PoP's modules, to the registry */
	char *pop;
	bool was_ready, closing;
	unsigned closes;    /* handle closes and reports pending: freed when none is left */
	struct watch_stats stats;
};

static void watch_open(struct watch *w);

static void on_retry(uv_timer_t *t)
{
	watch_open(t->data);
}

static void watch_free(struct watch *w)
{
	free(w->spec);
	free(w->pop);
	free(w);
}

static void on_closed(uv_handle_t *h)
{
	struct watch *w = h->data;
	if (h == (uv_handle_t *)&w->poll)
		w->poll_on = false;
	if (--w->closes == 0 && w->closing)
		watch_free(w);
}

static void close_poll(struct watch *w)
{
	if (w->poll_on && !uv_is_closing((uv_handle_t *)&w->poll)) {
		w->closes++;
		uv_close((uv_handle_t *)&w->poll, on_closed);
	}
}

/* Drop the connection; try again later (unless innetd is stopping). */
static void lost(struct watch *w)
{
	close_poll(w); /* before the listener closes its socket */
	reg_listener_free(w->l);
	w->l = NULL;
	if (w->was_ready)
		log_warn("registry", "listener lost; changes by other innetd are not seen until it is back");
	w->was_ready = false;
	w->stats.up = false;
	reg_set_shared_stale(api_registry(w->api), true);
	if (w->closing)
		return;
	uv_timer_start(&w->retry, on_retry, w->retry_ms, 0);
	w->retry_ms = w->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : w->retry_ms * 2;
}

/* The snapshot read again (on the registry thread) has been served: the
 * fast path is reconciled with it, unless innetd is stopping. */
static void snapshot_reloaded(void *ud, int rc)
{
	struct watch *w = ud;
	w->closes--; /* (a load in flight keeps w, as a closing handle does) */
	if (rc)
		log_error("registry", "reloading the network snapshot failed: %s", strerror(-rc));
	if (w->closing) {
		if (!w->closes)
			watch_free(w);
		return;
	}
	ctl_reconcile(w->ctl);
}

/* Serve the registry's current snapshot unless it is version already,
 * then reconcile the fast path (platforms may have moved between PoPs). */
static void reload_snapshot(struct watch *w, int64_t version)
{
	struct snapshot *cur = api_snapshot(w->api);
	bool stale = !cur || version < 0 || cur->version != version;
	snapshot_unref(cur);
	if (!stale) {
		ctl_reconcile(w->ctl);
		return;
	}
	int rc = seed_load_snapshot_async(w->api, snapshot_reloaded, w);
	if (rc) {
		log_error("registry", "reloading the network snapshot failed: %s", strerror(-rc));
		ctl_reconcile(w->ctl);
		return;
	}
	w->closes++;
}

static void on_note(void *ud, const char *payload)
{
	struct watch *w = ud;
	char kind[16] = "";
	long long id = -1;
	if (sscanf(payload, "%15s %lld", kind, &id) < 1)
		return;
	if (!strcmp(kind, "network")) {
		w->stats.network++;
		reload_snapshot(w, id); /* then the fast path reconciled */
	} else if (!strcmp(kind, "tenant")) {
		w->stats.tenant++;
		reg_tenants_changed(api_registry(w->api));
		if (id > 0)
			ctl_tenant_changed(w->ctl, id);
	} else if (!strcmp(kind, "module")) {
		w->stats.module++;
		if (id > 0)
			ctl_module_changed(w->ctl, id);
	} else if (!strcmp(kind, "policy")) {
		w->stats.policy++;
	}
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	struct watch *w = p->data;
	int want = status < 0 ? -EIO : reg_listener_step(w->l, on_note, w);
	if (want < 0) {
		lost(w);
		return;
	}
	if (reg_listener_ready(w->l) && !w->was_ready) {
		/* from now on every change is heard: catch up with those before */
		w->was_ready = true;
		w->stats.up = true;
		reg_set_shared_stale(api_registry(w->api), false);
		w->stats.connects++;
		w->retry_ms = RETRY_MIN_MS;
		reload_snapshot(w, -1); /* then the fast path reconciled */
	}
	uv_poll_start(&w->poll, (want & REG_LISTEN_READ ? UV_READABLE : 0) |
	                         (want & REG_LISTEN_WRITE ? UV_WRITABLE : 0), on_poll);
}

static void watch_open(struct watch *w)
{
	if (w->poll_on) { /* the old handle is still closing */
		uv_timer_start(&w->retry, on_retry, 10, 0);
		return;
	}
	int rc = reg_listener_new(w->spec, &w->l);
	if (rc || reg_listener_fd(w->l) < 0) {
		lost(w);
		return;
	}
	if (uv_poll_init(w->loop, &w->poll, reg_listener_fd(w->l))) {
		lost(w);
		return;
	}
	w->poll.data = w;
	w->poll_on = true;
	/* libpq's connect starts by writing */
	uv_poll_start(&w->poll, UV_WRITABLE, on_poll);
}

static void on_reported(void *ud, int rc)
{
	struct watch *w = ud;
	if (rc < 0)
		w->stats.report_failures++;
	else
		w->stats.reports++;
	if (--w->closes == 0 && w->closing)
		watch_free(w);
}

static void on_report(uv_timer_t *t)
{
	struct watch *w = t->data;
	w->closes++; /* (the report's done may come after watch_stop) */
	if (ctl_report_runtime(w->ctl, w->pop, on_reported, w) < 0)
		on_reported(w, -EIO);
}

int watch_start(uv_loop_t *loop, const char *spec, const char *pop, uint64_t report_ms,
                struct api *api, struct ctl *ctl, struct watch **out)
{
	*out = NULL;
	if (!reg_spec_is_postgres(spec))
		return 0; /* SQLite: innetd is alone on its registry */
	struct watch *w = calloc(1, sizeof *w);
	if (!w || !(w->spec = strdup(spec)) || !(w->pop = strdup(pop))) {
		if (w)
			free(w->spec);
		free(w);
		return -ENOMEM;
	}
	w->loop = loop;
	w->api = api;
	w->ctl = ctl;
	w->retry_ms = RETRY_MIN_MS;
	uv_timer_init(loop, &w->retry);
	w->retry.data = w;
	uv_timer_init(loop, &w->report);
	w->report.data = w;
	if (report_ms)
		uv_timer_start(&w->report, on_report, report_ms, report_ms);
	watch_open(w);
	*out = w;
	return 0;
}

void watch_stats(const struct watch *w, struct watch_stats *out)
{
	if (w)
		*out = w->stats;
	else
		memset(out, 0, sizeof *out);
}

void watch_stop(struct watch *w)
{
	if (!w)
		return;
	w->closing = true;
	uv_timer_stop(&w->retry);
	close_poll(w);
	reg_listener_free(w->l);
	w->l = NULL;
	w->closes += 2;
	uv_close((uv_handle_t *)&w->retry, on_closed);
	uv_close((uv_handle_t *)&w->report, on_closed);
}
