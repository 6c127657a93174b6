#include "api/api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/internal.h"
#include "base/log.h"
#include "api/internal.h"

struct route_target {
	api_handler_fn fn;
	void *ud;
	enum api_auth auth;
	const char *method, *pattern; /* static strings of the route tables */
};

struct api {
	uv_loop_t *loop;
	struct registry *reg;
	json_t *settings; /* GET /v1/config */
	uint8_t admin_hash[REG_HASH_LEN];
	struct http_router *router;
	struct route_target **targets;
	size_t ntargets;
	struct snapshot *snap;
	struct api_change_hooks hooks;
	uint64_t started_ms;
	bool draining;
};

struct api_req {
	struct api *api;
	struct http_req *http;
	struct http_route_match match;
	struct api_principal who;
	json_t *body;
	json_t *audit_detail;
	bool audited;
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
	int rc = http_router_new(&api->router);
	if (rc) {
		json_decref(api->settings);
		free(api);
		return rc;
	}
	*out = api;
	return 0;
}

void api_free(struct api *api)
{
	if (!api)
		return;
	http_router_free(api->router);
	for (size_t i = 0; i < api->ntargets; i++)
		free(api->targets[i]);
	free(api->targets);
	snapshot_unref(api->snap);
	json_decref(api->settings);
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

static void audit(struct api_req *r, int status, const char *code)
{
	if (!r->audited)
		return;
	char *detail = r->audit_detail ? json_dumps(r->audit_detail, JSON_COMPACT) : NULL;
	int rc = reg_audit_add(r->api->reg, r->who.who[0] ? r->who.who : "anonymous",
	                       r->who.tenant_id, r->method, r->path, status,
	                       status < 400 ? "ok" : code ? code : "error", detail);
	if (rc)
		log_error("api", "audit row for %s %s not written: %s", r->method, r->path, strerror(-rc));
	free(detail);
}

void api_respond(struct api_req *r, int status, json_t *body)
{
	audit(r, status, NULL);
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

void api_answer(void *ud, const struct ctl_answer *a)
{
	struct api_req *r = ud;
	if (a->audit)
		api_req_audit_detail(r, json_incref(a->audit));
	if (a->status >= 400)
		api_error(r, a->status, a->code ? a->code : "internal",
		          a->details ? json_incref(a->details) : NULL, "%s", a->message ? a->message : "");
	else if (a->text)
		api_respond_text(r, a->status, "application/json", a->text, strlen(a->text));
	else
		api_respond(r, a->status, a->body ? json_incref(a->body) : NULL);
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
static void error_h(struct api_req *r, int status, const char *code, const char *headers,
                    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_v(r, status, code, NULL, headers, fmt, ap);
	va_end(ap);
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

/* Who is calling: fills r->who; 0, -EACCES (no or bad token) or -EPERM
 * (a suspended tenant's token: docs/operator.md). */
static int authenticate(struct api_req *r, struct http_req *h)
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
	struct reg_tenant t;
	int rc = reg_tenant_by_token(r->api->reg, hash, &t);
	if (rc)
		return rc == -ENOENT ? -EACCES : rc;
	r->who.tenant_id = t.id;
	r->who.kind = t.kind;
	snprintf(r->who.name, sizeof r->who.name, "%s", t.name);
	snprintf(r->who.who, sizeof r->who.who, "tenant:%lld", (long long)t.id);
	/* read on every call: a suspension counts from the next request */
	rc = t.suspended_at ? -EPERM : 0;
	reg_tenant_release(&t);
	return rc;
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

/* May the caller use route t? 0, or answers (401, 403, 503) and returns
 * -EACCES. */
static int authorize(struct api_req *r, struct http_req *h, const struct route_target *t)
{
	if (t->auth == API_PUBLIC)
		return 0;
	int rc = authenticate(r, h);
	if (rc == -EACCES) {
		bool none = !http_req_header(h, "Authorization");
		error_h(r, 401, "unauthorized", "WWW-Authenticate: Bearer realm=\"innet\"\r\n", "%s",
		        none ? "this call needs Authorization: Bearer <token>" : "the token is not valid");
	} else if (rc == -EPERM) {
		api_error(r, 403, "tenant_suspended", json_pack("{s:I}", "tenant_id",
		                                                (json_int_t)r->who.tenant_id),
		          "tenant '%s' is suspended by the operator", r->who.name);
	} else if (rc) {
		api_error(r, 503, "unavailable", NULL, "cannot check the token now");
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
	if (authorize(r, h, t) || read_body(r, h))
		return;
	int rc = t->fn(r, t->ud);
	if (rc < 0) {
		log_error("api", "%s %s: %s", r->method, r->path, strerror(-rc));
		api_error(r, 500, "internal", NULL, "internal error: %s", strerror(-rc));
	}
}
