#include "api/api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/internal.h"
#include "base/fmt.h"
#include "base/log.h"

struct route_target {
	api_handler_fn fn;
	void *ud;
	enum api_auth auth;
	const char *method, *pattern; /* static strings of the route tables */
};

/* Unauthenticated calls of one client address in the current report
 * interval: one audit row, written at the first call and given the count
 * when the interval ends. */
struct anon_source {
	char source[48];
	int64_t row;        /* its audit row */
	uint64_t count;
	char message[160];  /* the first call's */
};

#define ANON_MAX 1024       /* addresses per interval; the rest share one row */
#define PRUNE_BATCH 2000    /* audit rows deleted per interval at most */
#define AUDIT_QUEUE_MAX 4096 /* audit rows waiting to be written at most */

/* Tenants by token hash, so that a request costs no registry read to
 * authenticate: valid while the registry's tenant generation is the one
 * they were read at (every tenant write bumps it, here or, heard through
 * the listener, on another innetd). Bounded: emptied when full. */
#define TOKEN_CACHE 4096 /* a power of two */
struct token_entry {
	uint8_t hash[REG_HASH_LEN];
	bool used, suspended;
	uint64_t gen;       /* the tenant generation it was read at */
	int64_t tenant_id;
	enum reg_kind kind;
	char name[64];
};

/* The last 200 answer of recent GETs, by caller and path: what a read
 * gets, marked stale, while the registry's database cannot be reached
 * (docs/registry.md). Bounded in entries and in the size of each. */
#define READ_CACHE 512
#define READ_CACHE_MAX_BODY (64 * 1024)
struct read_entry {
	char *key;          /* "who path" */
	char *body;
	uint64_t at_ms;
};

struct api {
	uv_loop_t *loop;
	struct registry *reg;
	struct ctl *ctl; /* its registry thread runs the statements (NULL: run here) */
	json_t *settings; /* GET /v1/config */
	uint8_t admin_hash[REG_HASH_LEN];
	struct http_router *router;
	struct route_target **targets;
	size_t ntargets;
	struct snapshot *snap;
	const char *pop; /* this innetd's PoP (NULL: SNAPSHOT_DEFAULT_POP) */
	struct api_change_hooks hooks;
	uint64_t started_ms;
	bool draining;
	uv_timer_t housekeeping; /* anonymous rows, audit retention */
	bool housekeeping_on;
	uint64_t report_ms, retention_ms;
	struct anon_source *anon; /* ANON_MAX + 1 (the last: "other") */
	size_t nanon;
	uint64_t anon_epoch; /* bumped by each flush: a row id arriving later is dropped */
	/* audit rows waiting for the registry thread, written in batches (one
	 * transaction each) with at most AUDIT_QUEUE_MAX waiting: a flood
	 * cannot grow the registry's queue or innetd's memory without bound */
	struct audit_write **aq;
	size_t naq;
	unsigned audit_flights;
	uint64_t audit_dropped, audit_dropped_logged;
	struct token_entry *tokens; /* TOKEN_CACHE; NULL: no cache */
	size_t ntokens;
	struct read_entry reads[READ_CACHE];
	size_t next_read; /* replaced in turn */
};

struct api_req {
	struct api *api;
	struct http_req *http;
	struct http_route_match match;
	struct api_principal who;
	json_t *body;
	json_t *audit_detail;
	bool audited;
	bool stale; /* authenticated from memory: the registry is unreachable */
	char *method, *path; /* copies for the audit row (http may be gone) */
};

int api_new(uv_loop_t *loop, struct registry *reg, json_t *settings,
            const uint8_t admin_hash[REG_HASH_LEN], struct api **out)
{
	struct api *api = calloc(1, sizeof *api);
	if (!api) {
		json_decref(settings);
		return -ENOMEM;
	}
	api->loop = loop;
	api->reg = reg;
	api->settings = settings ? settings : json_object();
	memcpy(api->admin_hash, admin_hash, REG_HASH_LEN);
	api->started_ms = uv_now(loop);
	api->tokens = calloc(TOKEN_CACHE, sizeof *api->tokens); /* NULL: every call reads the registry */
	int rc = http_router_new(&api->router);
	if (rc) {
		json_decref(api->settings);
		free(api->tokens);
		free(api);
		return rc;
	}
	*out = api;
	return 0;
}

static void anon_flush(struct api *api);

static void audit_write_free(struct audit_write *a);

void api_free(struct api *api)
{
	if (!api)
		return;
	if (!api->ctl) /* (with one, api_close flushed through its thread) */
		anon_flush(api);
	for (size_t i = 0; i < api->naq; i++) /* (api_close flushed them with a controller) */
		audit_write_free(api->aq[i]);
	free(api->aq);
	free(api->anon);
	http_router_free(api->router);
	for (size_t i = 0; i < api->ntargets; i++)
		free(api->targets[i]);
	free(api->targets);
	snapshot_unref(api->snap);
	json_decref(api->settings);
	free(api->tokens);
	for (size_t i = 0; i < READ_CACHE; i++) {
		free(api->reads[i].key);
		free(api->reads[i].body);
	}
	free(api);
}

int api_route(struct api *api, const char *method, const char *pattern, enum api_auth auth,
              api_handler_fn fn, void *ud)
{
	struct route_target *t = malloc(sizeof *t);
	struct route_target **nv = realloc(api->targets, (api->ntargets + 1) * sizeof *nv);
	if (!t || !nv) {
		free(t);
		if (nv)
			api->targets = nv;
		return -ENOMEM;
	}
	api->targets = nv;
	t->fn = fn;
	t->ud = ud;
	t->auth = auth;
	t->method = method;
	t->pattern = pattern;
	int rc = http_router_add(api->router, method, pattern, t);
	if (rc) {
		free(t);
		return rc;
	}
	api->targets[api->ntargets++] = t;
	return 0;
}

void api__each_route(const struct api *api, api__route_fn *fn, void *ud)
{
	for (size_t i = 0; i < api->ntargets; i++)
		fn(ud, api->targets[i]->method, api->targets[i]->pattern);
}

int api_routes(struct api *api, const struct api_route_def *v, size_t n, void *ud)
{
	for (size_t i = 0; i < n; i++) {
		int rc = api_route(api, v[i].method, v[i].pattern, v[i].auth, v[i].fn, ud);
		if (rc)
			return rc;
	}
	return 0;
}

void api_set_change_hooks(struct api *api, const struct api_change_hooks *hooks)
{
	api->hooks = *hooks;
}

const struct api_change_hooks *api_change_hooks(struct api *api)
{
	return api->hooks.ctl ? &api->hooks : NULL;
}

struct registry *api_registry(struct api *api) { return api->reg; }

void api_set_controller(struct api *api, struct ctl *c)
{
	api->ctl = c;
}

int api_registry_submit(struct api *api, reg_work_fn work, reg_done_fn done, void *arg)
{
	if (api->ctl)
		return ctl_registry_submit(api->ctl, work, done, arg);
	done(arg, work(api->reg, arg)); /* no registry thread: this one owns it */
	return 0;
}

bool api_registry_available(struct api *api)
{
	return api->ctl ? ctl_registry_available(api->ctl) : reg_available(api->reg);
}
uv_loop_t *api_loop(struct api *api) { return api->loop; }
const json_t *api_settings(struct api *api) { return api->settings; }
void api_set_draining(struct api *api, bool d) { api->draining = d; }
bool api_draining(const struct api *api) { return api->draining; }

double api_uptime(struct api *api)
{
	uv_update_time(api->loop);
	return (double)(uv_now(api->loop) - api->started_ms) / 1000.0;
}

struct snapshot *api_snapshot(struct api *api)
{
	return snapshot_ref(api->snap);
}

void api_set_pop(struct api *api, const char *pop)
{
	api->pop = pop;
}

const char *api_pop(const struct api *api)
{
	return api->pop ? api->pop : SNAPSHOT_DEFAULT_POP;
}

void api_set_snapshot(struct api *api, struct snapshot *s)
{
	struct snapshot *old = api->snap;
	api->snap = snapshot_ref(s);
	snapshot_unref(old);
}

struct api *api_req_api(const struct api_req *r) { return r->api; }
const char *api_req_method(const struct api_req *r) { return r->method; }
const char *api_req_path(const struct api_req *r) { return r->path; }
const struct api_principal *api_req_principal(const struct api_req *r) { return &r->who; }
json_t *api_req_body(const struct api_req *r) { return r->body; }

const char *api_req_header(const struct api_req *r, const char *name)
{
	return r->http ? http_req_header(r->http, name) : NULL;
}

const char *api_req_query(const struct api_req *r)
{
	return r->http && !http_req_cancelled(r->http) ? http_req_query(r->http) : "";
}

bool api_req_cancelled(const struct api_req *r)
{
	return http_req_cancelled(r->http);
}

const char *api_req_body_text(const struct api_req *r, size_t *len)
{
	return http_req_body(r->http, len);
}

const char *api_req_param(const struct api_req *r, const char *name)
{
	return http_route_param(&r->match, name);
}

int64_t api_req_param_id(const struct api_req *r, const char *name)
{
	const char *v = api_req_param(r, name);
	if (!v || !*v || strlen(v) > 18 || *v == '0')
		return -1;
	int64_t n = 0;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		n = n * 10 + (*p - '0');
	}
	return n;
}

bool api_req_query_param(const struct api_req *r, const char *name, char *buf, size_t cap)
{
	const char *q = api_req_query(r);
	size_t nl = strlen(name);
	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		if (len > nl && !strncmp(q, name, nl) && q[nl] == '=') {
			size_t vl = len - nl - 1;
			if (vl >= cap)
				return false;
			memcpy(buf, q + nl + 1, vl);
			buf[vl] = '\0';
			return true;
		}
		q = amp ? amp + 1 : NULL;
	}
	return false;
}

void api_req_audit_detail(struct api_req *r, json_t *detail)
{
	json_decref(r->audit_detail);
	r->audit_detail = detail;
}

static void req_free(struct api_req *r)
{
	json_decref(r->body);
	json_decref(r->audit_detail);
	free(r->method);
	free(r->path);
	free(r);
}

static char *anon_detail(const struct api *api, const struct anon_source *a)
{
	json_t *d = json_pack("{s:s, s:I, s:I, s:s}", "source", a->source, "count",
	                      (json_int_t)a->count, "interval_ms", (json_int_t)api->report_ms,
	                      "message", a->message);
	char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
	json_decref(d);
	return text;
}

/* An audit statement on the registry thread: a new row (id: the row's,
 * filled in by work) or the detail of row id. Strings are copies; done
 * only logs, or gives an anonymous entry its row. */
struct audit_write {
	struct api *api;
	char *who, *method, *path, *result, *detail;
	int64_t tenant_id, id;
	int status;
	size_t anon;        /* with anon_epoch: the entry waiting for its row */
	uint64_t anon_epoch;
	bool for_anon;
};

static void audit_write_free(struct audit_write *a)
{
	free(a->who);
	free(a->method);
	free(a->path);
	free(a->result);
	free(a->detail);
	free(a);
}

static int audit_add_work(struct registry *reg, void *arg)
{
	struct audit_write *a = arg;
	int rc = reg_audit_add(reg, a->who, a->tenant_id, a->method, a->path, a->status, a->result,
	                       a->detail);
	if (!rc)
		a->id = reg_audit_last_id(reg);
	return rc;
}

static void audit_add_done(void *arg, int rc)
{
	struct audit_write *a = arg;
	struct api *api = a->api;
	if (rc)
		log_error("api", "audit row for %s %s not written: %s", a->method, a->path, strerror(-rc));
	else if (a->for_anon && a->anon_epoch == api->anon_epoch && a->anon < api->nanon)
		api->anon[a->anon].row = a->id;
	audit_write_free(a);
}

/* A new audit row, written on the registry thread (detail taken). */
static struct audit_write *audit_row(struct api *api, const char *who, int64_t tenant_id,
                                     const char *method, const char *path, int status,
                                     const char *result, char *detail)
{
	struct audit_write *a = calloc(1, sizeof *a);
	if (!a) {
		free(detail);
		return NULL;
	}
	*a = (struct audit_write){.api = api, .who = strdup(who), .method = strdup(method),
	                          .path = strdup(path), .result = strdup(result), .detail = detail,
	                          .tenant_id = tenant_id, .status = status};
	if (!a->who || !a->method || !a->path || !a->result) {
		audit_write_free(a);
		return NULL;
	}
	return a;
}

static void audit_submit(struct api *api, struct audit_write *a, reg_work_fn work, reg_done_fn done,
                         const char *what)
{
	int rc = a ? api_registry_submit(api, work, done, a) : -ENOMEM;
	if (rc) {
		log_error("api", "%s not written: %s", what, strerror(-rc));
		if (a)
			audit_write_free(a);
	}
}

static int audit_detail_work(struct registry *reg, void *arg)
{
	struct audit_write *a = arg;
	return reg_audit_set_detail(reg, a->id, a->detail);
}

static void audit_detail_done(void *arg, int rc)
{
	struct audit_write *a = arg;
	if (rc)
		log_error("api", "audit count for %s not written: %s", a->who, strerror(-rc));
	audit_write_free(a);
}

/* A batch of audit rows: written in one transaction on the registry
 * thread (one fsync for all on PostgreSQL or SQLite). */
struct audit_batch {
	struct api *api;
	struct audit_write **v;
	size_t n;
};

static int audit_batch_work(struct registry *reg, void *arg)
{
	struct audit_batch *b = arg;
	int rc = reg_begin(reg);
	for (size_t i = 0; i < b->n && !rc; i++) {
		const struct audit_write *a = b->v[i];
		rc = reg_audit_add(reg, a->who, a->tenant_id, a->method, a->path, a->status, a->result,
		                   a->detail);
	}
	if (!rc)
		rc = reg_commit(reg);
	if (rc)
		reg_rollback(reg);
	return rc;
}

static void audit_flush(struct api *api);

static void audit_batch_done(void *arg, int rc)
{
	struct audit_batch *b = arg;
	struct api *api = b->api;
	if (rc)
		log_error("api", "%zu audit row(s) not written: %s", b->n, strerror(-rc));
	for (size_t i = 0; i < b->n; i++)
		audit_write_free(b->v[i]);
	free(b->v);
	free(b);
	api->audit_flights--;
	if (api->naq && !api->audit_flights)
		audit_flush(api);
}

/* What waits goes to the registry thread now (also while a batch is in
 * flight: GET /v1/audit flushes before it reads, so it sees every row
 * answered before it). */
static void audit_flush(struct api *api)
{
	if (!api->naq)
		return;
	struct audit_batch *b = calloc(1, sizeof *b);
	if (!b)
		return; /* (tried again with the next row) */
	*b = (struct audit_batch){api, api->aq, api->naq};
	api->aq = NULL;
	api->naq = 0;
	api->audit_flights++; /* (before: without a registry thread done runs at once) */
	int rc = api_registry_submit(api, audit_batch_work, audit_batch_done, b);
	if (rc) {
		log_error("api", "%zu audit row(s) not written: %s", b->n, strerror(-rc));
		audit_batch_done(b, 0);
	}
}

/* Queue a row (taken); written at once when no batch is in flight, else
 * with the next one. Over AUDIT_QUEUE_MAX waiting, dropped and counted. */
static void audit_enqueue(struct api *api, struct audit_write *a)
{
	if (!a)
		return;
	if (!api->aq && !(api->aq = calloc(AUDIT_QUEUE_MAX, sizeof *api->aq))) {
		audit_write_free(a);
		return;
	}
	if (api->naq >= AUDIT_QUEUE_MAX) {
		if (!api->audit_dropped++ || api->audit_dropped - api->audit_dropped_logged >= 10000) {
			log_warn("api", "audit rows dropped: %d waiting for the registry (%llu dropped so far)",
			         AUDIT_QUEUE_MAX, (unsigned long long)api->audit_dropped);
			api->audit_dropped_logged = api->audit_dropped;
		}
		audit_write_free(a);
		return;
	}
	api->aq[api->naq++] = a;
	if (!api->audit_flights)
		audit_flush(api);
}

void api_audit_flush(struct api *api)
{
	audit_flush(api);
}

void api_audit_stats(const struct api *api, uint64_t *waiting, uint64_t *dropped)
{
	*waiting = api->naq;
	*dropped = api->audit_dropped;
}

/* The counts of the interval into their rows (only rows counting more
 * than their first call change; a row whose id has not come back yet from
 * the registry thread is skipped). */
static void anon_flush(struct api *api)
{
	for (size_t i = 0; i < api->nanon; i++) {
		struct anon_source *a = &api->anon[i];
		if (a->count < 2 || !a->row)
			continue;
		struct audit_write *w = calloc(1, sizeof *w);
		if (w && (!(w->who = strdup(a->source)) || !(w->detail = anon_detail(api, a)))) {
			audit_write_free(w);
			w = NULL;
		}
		if (w)
			w->id = a->row;
		audit_submit(api, w, audit_detail_work, audit_detail_done, "an audit count");
	}
	api->nanon = 0;
	api->anon_epoch++;
}

/* The entry of src this interval, made and written when new (its first
 * call's row, whose id comes back later); ANON_MAX addresses, the rest
 * share one entry "other". */
static struct anon_source *anon_entry(struct api *api, const struct api_req *r, const char *src,
                                      int status, const char *result)
{
	if (!api->anon && !(api->anon = calloc(ANON_MAX + 1, sizeof *api->anon)))
		return NULL;
	if (api->nanon >= ANON_MAX)
		src = "other"; /* found below once made: nanon stays <= ANON_MAX + 1 */
	for (size_t i = 0; i < api->nanon; i++)
		if (!strcmp(api->anon[i].source, src))
			return &api->anon[i];
	struct anon_source *a = &api->anon[api->nanon++];
	memset(a, 0, sizeof *a);
	snprintf(a->source, sizeof a->source, "%s", src);
	json_t *m = r->audit_detail ? json_object_get(r->audit_detail, "message") : NULL;
	snprintf(a->message, sizeof a->message, "%s", json_is_string(m) ? json_string_value(m) : "");
	a->count = 1;
	struct audit_write *w = audit_row(api, "anonymous", 0, r->method, r->path, status, result,
	                                  anon_detail(api, a));
	if (w) {
		w->for_anon = true;
		w->anon = (size_t)(a - api->anon);
		w->anon_epoch = api->anon_epoch;
	}
	audit_submit(api, w, audit_add_work, audit_add_done, "an audit row");
	a->count = 0;
	return a;
}

/* Count an unauthenticated call of r's address (linear search: at most
 * ANON_MAX + 1 entries, and only calls that fail their token come here). */
static void anon_count(struct api *api, const struct api_req *r, int status, const char *result)
{
	const char *src = r->http ? http_req_peer(r->http) : "";
	struct anon_source *a = anon_entry(api, r, *src ? src : "unknown", status, result);
	if (a)
		a->count++;
}

/* Audit retention: a bounded batch of old rows deleted on the registry
 * thread. */
struct audit_prune {
	int64_t older_than_ms;
	int deleted;
};

static int audit_prune_work(struct registry *reg, void *arg)
{
	struct audit_prune *p = arg;
	return reg_audit_prune(reg, p->older_than_ms, PRUNE_BATCH, &p->deleted);
}

static void audit_prune_done(void *arg, int rc)
{
	struct audit_prune *p = arg;
	if (!rc && p->deleted)
		log_debug("api", "audit retention: %d row(s) deleted", p->deleted);
	free(p);
}

static void on_housekeeping(uv_timer_t *t)
{
	struct api *api = t->data;
	anon_flush(api);
	if (!api->retention_ms)
		return;
	struct audit_prune *p = calloc(1, sizeof *p);
	if (!p)
		return;
	p->older_than_ms = (int64_t)api->retention_ms;
	if (api_registry_submit(api, audit_prune_work, audit_prune_done, p))
		free(p);
}

void api_set_audit_policy(struct api *api, uint64_t report_ms, uint64_t retention_ms)
{
	api->report_ms = report_ms;
	api->retention_ms = retention_ms;
	if (!report_ms)
		return;
	if (!api->housekeeping_on) {
		uv_timer_init(api->loop, &api->housekeeping);
		api->housekeeping.data = api;
		api->housekeeping_on = true;
	}
	uv_timer_start(&api->housekeeping, on_housekeeping, report_ms, report_ms);
	uv_unref((uv_handle_t *)&api->housekeeping);
}

void api_close(struct api *api)
{
	if (!api)
		return;
	audit_flush(api);
	anon_flush(api);
	if (api->housekeeping_on && !uv_is_closing((uv_handle_t *)&api->housekeeping))
		uv_close((uv_handle_t *)&api->housekeeping, NULL);
	api->report_ms = 0; /* from now on rows are written at once */
}

/* The audit row of r's answer, queued for the registry thread (the answer
 * does not wait for it). */
static void audit(struct api_req *r, int status, const char *code)
{
	if (!r->audited)
		return;
	const char *result = status < 400 ? "ok" : code ? code : "error";
	if (!r->who.who[0] && r->api->report_ms) {
		anon_count(r->api, r, status, result);
		return;
	}
	char *detail = r->audit_detail ? json_dumps(r->audit_detail, JSON_COMPACT) : NULL;
	audit_enqueue(r->api, audit_row(r->api, r->who.who[0] ? r->who.who : "anonymous",
	                                r->who.tenant_id, r->method, r->path, status, result, detail));
}

/* A GET answered 200: kept to answer the same caller and path while the
 * registry's database cannot be reached. */
static void read_remember(struct api_req *r, int status, const char *text)
{
	if (status != 200 || strcmp(r->method, "GET") || !text || strlen(text) > READ_CACHE_MAX_BODY)
		return;
	char *key = xasprintf("%s %s", r->who.who, r->path);
	char *body = strdup(text);
	if (!key || !body) {
		free(key);
		free(body);
		return;
	}
	struct api *api = r->api;
	struct read_entry *e = NULL;
	for (size_t i = 0; i < READ_CACHE && !e; i++)
		if (api->reads[i].key && !strcmp(api->reads[i].key, key))
			e = &api->reads[i];
	if (!e) {
		e = &api->reads[api->next_read];
		api->next_read = (api->next_read + 1) % READ_CACHE;
	}
	free(e->key);
	free(e->body);
	*e = (struct read_entry){key, body, uv_now(api->loop)};
}

/* The registry is unreachable: the last answer to this caller's GET of
 * this path, marked stale (its age and why), if there is one. */
static bool read_serve_stale(struct api_req *r)
{
	if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD"))
		return false;
	char key[600];
	snprintf(key, sizeof key, "%s %s", r->who.who, r->path);
	for (size_t i = 0; i < READ_CACHE; i++) {
		const struct read_entry *e = &r->api->reads[i];
		if (!e->key || strcmp(e->key, key))
			continue;
		char h[160];
		snprintf(h, sizeof h, "Age: %llu\r\nInnet-Stale: registry-unavailable\r\n",
		         (unsigned long long)((uv_now(r->api->loop) - e->at_ms) / 1000));
		audit(r, 200, NULL);
		http_respond(r->http, 200, "application/json", h, e->body, strlen(e->body));
		req_free(r);
		return true;
	}
	return false;
}

void api_respond(struct api_req *r, int status, json_t *body)
{
	audit(r, status, NULL);
	if (body && status == 200 && !strcmp(r->method, "GET")) {
		char *text = json_dumps(body, JSON_COMPACT);
		read_remember(r, status, text);
		free(text);
	}
	if (body)
		http_respond_json(r->http, status, NULL, body);
	else
		http_respond(r->http, status, NULL, NULL, NULL, 0);
	req_free(r);
}

void api_respond_text(struct api_req *r, int status, const char *content_type,
                      const char *body, size_t len)
{
	audit(r, status, NULL);
	http_respond(r->http, status, content_type, NULL, body, len);
	req_free(r);
}

static void error_v(struct api_req *r, int status, const char *code, json_t *details,
                    const char *extra_headers, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (r->audited && !r->audit_detail) {
		r->audit_detail = json_object();
		json_object_set_new(r->audit_detail, "message", http_json_text(msg));
	}
	audit(r, status, code);
	http_respond_json(r->http, status, extra_headers, http_error_json(code, msg, details));
	req_free(r);
}

void api_error(struct api_req *r, int status, const char *code, json_t *details,
               const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_v(r, status, code, details, NULL, fmt, ap);
	va_end(ap);
}

static void error_h(struct api_req *r, int status, const char *code, const char *headers,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* What a client should wait before retrying when the registry's database
 * is unreachable (PostgreSQL reconnects are tried every 0.5 to 5 s). */
#define REGISTRY_RETRY_S "2"
static void error_h(struct api_req *r, int status, const char *code, const char *headers,
                    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_v(r, status, code, NULL, headers, fmt, ap);
	va_end(ap);
}

static void error_dh(struct api_req *r, int status, const char *code, json_t *details,
                     const char *headers, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void error_dh(struct api_req *r, int status, const char *code, json_t *details,
                     const char *headers, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_v(r, status, code, details, headers, fmt, ap);
	va_end(ap);
}

void api_error_rc(struct api_req *r, int rc, const char *what)
{
	bool up = api_registry_available(r->api);
	if (!up && read_serve_stale(r))
		return;
	if (!up) {
		error_h(r, 503, "registry_unavailable", "Retry-After: " REGISTRY_RETRY_S "\r\n",
		        "%s: the registry database cannot be reached; try again", what);
		return;
	}
	api_error(r, 500, "internal", NULL, "%s: %s", what, strerror(-rc));
}

/* The headers a controller's answer adds: Retry-After (429, 503) and, for a
 * verified request, Server-Timing with its time in the queue and at work
 * (milliseconds), so a client can tell waiting from verifying. */
static void answer_headers(const struct ctl_answer *a, char *h, size_t n)
{
	int w = 0;
	h[0] = 0;
	if (a->status >= 400 && a->retry_after)
		w = snprintf(h, n, "Retry-After: %u\r\n", a->retry_after);
	if (a->timed && w >= 0 && (size_t)w < n)
		snprintf(h + w, n - (size_t)w, "Server-Timing: queue;dur=%.3f, verify;dur=%.3f\r\n",
		         (double)a->queue_us / 1000.0, (double)a->work_us / 1000.0);
}

void api_answer(void *ud, const struct ctl_answer *a)
{
	struct api_req *r = ud;
	if (a->audit)
		api_req_audit_detail(r, json_incref(a->audit));
	if (a->rc) { /* a statement failed: as when a handler returns it */
		log_error("api", "%s %s: %s", r->method, r->path, strerror(-a->rc));
		api_error_rc(r, a->rc, "internal error");
		return;
	}
	char h[160];
	answer_headers(a, h, sizeof h);
	if (a->status >= 400) {
		error_dh(r, a->status, a->code ? a->code : "internal", a->details ? json_incref(a->details) : NULL,
		         h[0] ? h : NULL, "%s", a->message ? a->message : "");
		return;
	}
	audit(r, a->status, NULL);
	if (a->text) {
		read_remember(r, a->status, a->text);
		http_respond(r->http, a->status, "application/json", h[0] ? h : NULL, a->text, strlen(a->text));
	} else {
		if (a->body && a->status == 200 && !strcmp(r->method, "GET")) {
			char *text = json_dumps(a->body, JSON_COMPACT);
			read_remember(r, a->status, text);
			free(text);
		}
		http_respond_json(r->http, a->status, h[0] ? h : NULL, a->body ? json_incref(a->body) : json_object());
	}
	req_free(r);
}

json_t *api_req_body_object(struct api_req *r, const char *const *allowed)
{
	if (!r->body) {
		api_error(r, 400, "missing_body", NULL, "this call needs a JSON object body");
		return NULL;
	}
	if (!json_is_object(r->body)) {
		api_error(r, 400, "wrong_type", json_pack("{s:s}", "field", "$"),
		          "the body must be a JSON object");
		return NULL;
	}
	if (allowed) {
		const char *key;
		json_t *v;
		json_object_foreach(r->body, key, v) {
			bool ok = false;
			for (const char *const *k = allowed; *k && !ok; k++)
				ok = !strcmp(*k, key);
			if (!ok) {
				json_t *list = json_array();
				for (const char *const *k = allowed; *k; k++)
					json_array_append_new(list, json_string(*k));
				api_error(r, 400, "unknown_field",
				          json_pack("{s:s, s:o}", "field", key, "allowed", list),
				          "unknown field '%s'", key);
				return NULL;
			}
		}
	}
	return r->body;
}

static bool is_json_type(const char *ct)
{
	static const char want[] = "application/json";
	while (*ct == ' ')
		ct++;
	if (strncasecmp(ct, want, sizeof want - 1))
		return false;
	char c = ct[sizeof want - 1];
	return c == '\0' || c == ';' || c == ' ';
}

static size_t token_slot(const uint8_t hash[REG_HASH_LEN])
{
	size_t k;
	memcpy(&k, hash, sizeof k); /* a cryptographic hash: any bytes index well */
	return k & (TOKEN_CACHE - 1);
}

/* The cached entry of hash, fresh or not, or NULL. */
static struct token_entry *token_find(struct api *api, const uint8_t hash[REG_HASH_LEN])
{
	if (!api->tokens)
		return NULL;
	for (size_t k = token_slot(hash), n = 0; n < TOKEN_CACHE; k = (k + 1) & (TOKEN_CACHE - 1), n++) {
		struct token_entry *e = &api->tokens[k];
		if (!e->used)
			return NULL;
		if (auth_hash_equal(e->hash, hash))
			return e;
	}
	return NULL;
}

static void token_remember(struct api *api, const uint8_t hash[REG_HASH_LEN], const struct reg_tenant *t,
                           uint64_t gen)
{
	struct token_entry *e = token_find(api, hash);
	if (!e) {
		if (!api->tokens)
			return;
		if (api->ntokens * 2 >= TOKEN_CACHE) { /* at most half full: short probes */
			memset(api->tokens, 0, TOKEN_CACHE * sizeof *api->tokens);
			api->ntokens = 0;
		}
		size_t k = token_slot(hash);
		while (api->tokens[k].used)
			k = (k + 1) & (TOKEN_CACHE - 1);
		e = &api->tokens[k];
		api->ntokens++;
	}
	*e = (struct token_entry){.used = true, .suspended = t->suspended_at != NULL, .gen = gen,
	                          .tenant_id = t->id, .kind = t->kind};
	memcpy(e->hash, hash, REG_HASH_LEN);
	snprintf(e->name, sizeof e->name, "%s", t->name);
}

static int who_tenant(struct api_req *r, int64_t id, enum reg_kind kind, const char *name,
                      bool suspended)
{
	r->who.tenant_id = id;
	r->who.kind = kind;
	snprintf(r->who.name, sizeof r->who.name, "%s", name);
	snprintf(r->who.who, sizeof r->who.who, "tenant:%lld", (long long)id);
	return suspended ? -EPERM : 0;
}

static void proceed(struct api_req *r, const struct route_target *t, int auth_rc);

/* A token the cache did not know (or knew at an older tenant
 * generation), looked up on the registry thread; the request goes on in
 * token_looked_up. */
struct token_lookup {
	struct api_req *r;
	const struct route_target *t;
	uint8_t hash[REG_HASH_LEN];
	uint64_t gen;         /* the tenant generation before the read */
	struct reg_tenant row;
};

static int token_lookup_work(struct registry *reg, void *arg)
{
	struct token_lookup *tl = arg;
	return reg_tenant_by_token(reg, tl->hash, &tl->row);
}

static void token_looked_up(void *arg, int rc)
{
	struct token_lookup *tl = arg;
	struct api_req *r = tl->r;
	const struct token_entry *e = token_find(r->api, tl->hash);
	if (rc && rc != -ENOENT && e && !api_registry_available(r->api)) {
		/* the database is gone: who the token was when last read (reads
		 * are then answered from memory, marked stale; writes fail) */
		r->stale = true;
		rc = who_tenant(r, e->tenant_id, e->kind, e->name, e->suspended);
	} else if (rc) {
		rc = rc == -ENOENT ? -EACCES : rc;
	} else {
		token_remember(r->api, tl->hash, &tl->row, tl->gen);
		rc = who_tenant(r, tl->row.id, tl->row.kind, tl->row.name, tl->row.suspended_at != NULL);
		reg_tenant_release(&tl->row);
	}
	const struct route_target *t = tl->t;
	free(tl);
	proceed(r, t, rc);
}

/* Who is calling: fills r->who; 0, -EACCES (no or bad token) or -EPERM
 * (a suspended tenant's token: docs/operator.md), or API_PENDING: the
 * token is looked up on the registry thread and proceed(r, t, ...) runs
 * when it is known. */
static int authenticate(struct api_req *r, struct http_req *h, const struct route_target *t)
{
	const char *hdr = http_req_header(h, "Authorization");
	const char *tok;
	size_t len;
	if (!hdr || auth_parse_bearer(hdr, &tok, &len))
		return -EACCES;
	uint8_t hash[REG_HASH_LEN];
	auth_token_hash(tok, len, hash);
	if (auth_hash_equal(hash, r->api->admin_hash)) {
		r->who.admin = true;
		r->who.kind = REG_KIND_OPERATOR;
		snprintf(r->who.name, sizeof r->who.name, "operator");
		snprintf(r->who.who, sizeof r->who.who, "operator");
		return 0;
	}
	/* a suspension or a new token counts from the next request: every
	 * tenant write changes the generation, and an entry of another one is
	 * read again */
	uint64_t gen = reg_tenants_gen(r->api->reg);
	const struct token_entry *e = token_find(r->api, hash);
	if (e && e->gen == gen)
		return who_tenant(r, e->tenant_id, e->kind, e->name, e->suspended);
	struct token_lookup *tl = calloc(1, sizeof *tl);
	if (!tl)
		return -ENOMEM;
	tl->r = r;
	tl->t = t;
	tl->gen = gen;
	memcpy(tl->hash, hash, REG_HASH_LEN);
	int rc = api_registry_submit(r->api, token_lookup_work, token_looked_up, tl);
	if (rc)
		free(tl);
	return rc ? rc : API_PENDING;
}

/* The route of r; answers 404 / 405 and returns NULL when there is none. */
static struct route_target *route(struct api_req *r)
{
	enum http_route_result m = http_router_match(r->api->router, r->method, r->path, &r->match);
	if (m == HTTP_ROUTE_NO_PATH) {
		api_error(r, 404, "not_found", NULL, "no such resource: %s", r->path);
		return NULL;
	}
	if (m == HTTP_ROUTE_NO_METHOD) {
		char hdr[128];
		snprintf(hdr, sizeof hdr, "Allow: %s\r\n", r->match.allow);
		error_h(r, 405, "method_not_allowed", hdr, "%s is not allowed on %s (allowed: %s)",
		        r->method, r->path, r->match.allow);
		return NULL;
	}
	return r->match.target;
}

/* May the caller use route t, authenticated with auth_rc (authenticate's
 * result)? 0, or answers (401, 403, 503) and returns -EACCES. */
static int authorize(struct api_req *r, const struct route_target *t, int rc)
{
	if (t->auth == API_PUBLIC)
		return 0;
	if (rc == -EACCES) {
		bool none = !http_req_header(r->http, "Authorization");
		error_h(r, 401, "unauthorized", "WWW-Authenticate: Bearer realm=\"innet\"\r\n", "%s",
		        none ? "this call needs Authorization: Bearer <token>" : "the token is not valid");
	} else if (rc == -EPERM) {
		api_error(r, 403, "tenant_suspended", json_pack("{s:I}", "tenant_id",
		                                                (json_int_t)r->who.tenant_id),
		          "tenant '%s' is suspended by the operator", r->who.name);
	} else if (rc) {
		bool up = api_registry_available(r->api);
		error_h(r, 503, up ? "unavailable" : "registry_unavailable",
		        "Retry-After: " REGISTRY_RETRY_S "\r\n", "%s",
		        up ? "cannot check the token now"
		           : "cannot check the token now: the registry database cannot be reached; try again");
	} else if (t->auth == API_ADMIN && !r->who.admin) {
		api_error(r, 403, "forbidden", NULL, "only the operator may %s %s", r->method, r->path);
	} else if (t->auth == API_TENANT && r->who.admin) {
		api_error(r, 403, "forbidden", NULL, "%s %s is for tenants; use a tenant token",
		          r->method, r->path);
	} else {
		return 0;
	}
	return -EACCES;
}

/* The JSON body, if any, into r->body; answers (415, 400) and returns
 * -EINVAL when it is not JSON. */
static int read_body(struct api_req *r, struct http_req *h)
{
	size_t blen;
	const char *body = http_req_body(h, &blen);
	if (!blen)
		return 0;
	const char *ct = http_req_header(h, "Content-Type");
	if (!ct || !is_json_type(ct)) {
		api_error(r, 415, "unsupported_media_type", NULL,
		          "request bodies must be Content-Type: application/json%s%s",
		          ct ? ", not " : "", ct ? ct : "");
		return -EINVAL;
	}
	json_error_t jerr;
	r->body = json_loadb(body, blen, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!r->body) {
		api_error(r, 400, "invalid_json",
		          json_pack("{s:i, s:i, s:i}", "line", jerr.line, "column", jerr.column,
		                    "position", jerr.position),
		          "the body is not valid JSON: %s", jerr.text);
		return -EINVAL;
	}
	return 0;
}

void api_fail(struct api_req *r, int rc)
{
	log_error("api", "%s %s: %s", r->method, r->path, strerror(-rc));
	api_error_rc(r, rc, "internal error");
}

/* The caller is known (or not: auth_rc): authorized, its body read, then
 * the route's handler. */
static void proceed(struct api_req *r, const struct route_target *t, int auth_rc)
{
	if (authorize(r, t, auth_rc) || read_body(r, r->http))
		return;
	int rc = t->fn(r, t->ud);
	if (rc < 0)
		api_fail(r, rc);
}

void api_handle_http(struct http_req *h, void *ud)
{
	struct api *api = ud;
	struct api_req *r = calloc(1, sizeof *r);
	if (!r) {
		http_respond_error(h, 503, "out_of_memory", "out of memory", NULL);
		return;
	}
	r->api = api;
	r->http = h;
	r->method = strdup(http_req_method(h));
	r->path = strdup(http_req_path(h));
	if (!r->method || !r->path) {
		req_free(r);
		http_respond_error(h, 503, "out_of_memory", "out of memory", NULL);
		return;
	}
	struct route_target *t = route(r);
	if (!t)
		return;
	r->audited = strcmp(r->method, "GET") && strcmp(r->method, "HEAD");
	int rc = t->auth == API_PUBLIC ? 0 : authenticate(r, h, t);
	if (rc != API_PENDING)
		proceed(r, t, rc);
}
