/* The API layer (one public header): the HTTP server (section 1), tokens
 * (section 2), and the routes and requests the handlers see (section 3).
 *
 * The routes: method + path pattern -> handler, bearer-token
 * authentication, JSON bodies, JSON errors, the audit log, and the state
 * handlers share (registry, current snapshot, configuration, loop).
 *
 * A handler runs on the loop thread. It answers with api_respond() /
 * api_error() before returning 0, or returns API_PENDING and answers later
 * (e.g. from the done callback of its statements, api_registry_submit: a
 * handler never runs a statement itself); or returns a negative errno
 * WITHOUT answering, and the API answers 500. The request stays valid until
 * answered, even if the client disconnects meanwhile (api_req_cancelled()
 * tells; the answer is then only audited). Every answer releases the
 * request. Calls that change state (any method but GET/HEAD) are written to
 * the audit table when answered. */
#ifndef INNET_API_H
#define INNET_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "controller/controller.h"
#include "registry/registry.h"
#include "snapshot/snapshot.h"

/* ==== 1. the HTTP server ==================================================== */
/* HTTP/1.1 server on libuv + llhttp: keep-alive, pipelining (one request
 * at a time per connection, so responses leave in request order), limits on
 * header and body size, connection count, per-connection header and idle
 * timeouts, graceful shutdown. It knows nothing about routes: it hands each
 * complete request to one callback, which answers now or later with
 * http_respond(). Everything runs on the loop thread. */
struct http_server;
struct http_req;

struct http_limits {
	size_t max_body;          /* 413 above */
	size_t max_header;        /* request line + headers; 431 above */
	unsigned max_connections; /* 503 above */
	uint64_t header_timeout_ms; /* whole request, from its first byte */
	uint64_t idle_timeout_ms;   /* between keep-alive requests */
	/* Floods (0: no limit). A TCP connection beyond these is answered 429
	 * (per address) or 503 (max_connections) and closed at once; refusals
	 * are logged as one line per address and report interval. */
	unsigned max_per_address;    /* open connections of one client address */
	unsigned accepts_per_second; /* new connections of one address (bursts of twice) */
	uint64_t report_interval_ms; /* refusal log lines (0: 10 s) */
};

/* Called once per complete request. The callee must call http_respond()
 * exactly once for it, now or later (from the loop thread). Until then the
 * request stays valid even if the client disconnects: http_req_cancelled()
 * then says so, and the response is dropped. (The connection is read while
 * a request is handled, so a client that closes or half-closes its side
 * cancels its pending request.) */
typedef void (*http_request_cb)(struct http_req *req, void *ud);

int http_server_new(uv_loop_t *loop, const struct http_limits *lim,
                    http_request_cb cb, void *ud, struct http_server **out);
/* Bind and listen (port 0: any free port; see http_server_port). */
int http_server_listen(struct http_server *s, const char *host, int port);
/* Also listen on the Unix socket `path` (mode 0600; a stale socket there is
 * replaced, any other file is -EEXIST): the operator's way in under a
 * flood, with no per-address limits and its own max_connections. Unlinked
 * when the server closes. A libuv error code on failure. */
int http_server_listen_local(struct http_server *s, const char *path);
int http_server_port(const struct http_server *s);
unsigned http_server_connections(const struct http_server *s);
/* Connections since start, by what refused them (for /metrics), and open now. */
struct http_stats {
	unsigned open_tcp, open_local;
	uint64_t accepted;
	uint64_t refused_per_address;   /* max-connections-per-address */
	uint64_t refused_accept_rate;   /* address-accepts-per-second */
	uint64_t refused_full;          /* max-connections (TCP or the operator socket) */
	uint64_t accept_errors;         /* accept() failed, e.g. out of descriptors */
};
void http_server_stats(const struct http_server *s, struct http_stats *out);
/* Stop accepting; idle connections close now, busy ones after their current
 * response. `done` runs once no connection is left (maybe immediately). */
void http_server_shutdown(struct http_server *s, void (*done)(void *arg), void *arg);
bool http_server_draining(const struct http_server *s);
/* Close every connection now (pending requests become cancelled) and the
 * listener, then free the server once the loop has closed the handles. */
void http_server_close(struct http_server *s);

const char *http_req_method(const struct http_req *r);
const char *http_req_path(const struct http_req *r);  /* without the query */
const char *http_req_query(const struct http_req *r); /* after '?', or "" */
/* Case-insensitive; NULL when absent. */
const char *http_req_header(const struct http_req *r, const char *name);
const char *http_req_body(const struct http_req *r, size_t *len);
bool http_req_cancelled(const struct http_req *r);
void http_req_set_data(struct http_req *r, void *data);
void *http_req_data(const struct http_req *r);
/* The client's address ("a.b.c.d", an IPv6 address, or "local" for the
 * operator socket); http_req_local says which. */
const char *http_req_peer(const struct http_req *r);
bool http_req_local(const struct http_req *r);
/* Milliseconds since the request was complete (for logs). */
uint64_t http_req_age_ms(const struct http_req *r);

/* Answer and release the request (r is invalid afterwards).
 * extra_headers: NULL or "Name: value\r\n" lines. The body is copied. */
void http_respond(struct http_req *r, int status, const char *content_type,
                  const char *extra_headers, const char *body, size_t len);
/* JSON body (reference stolen; NULL means an empty object). */
void http_respond_json(struct http_req *r, int status, const char *extra_headers, json_t *body);
/* {"error": {"code", "message", "details"}}; details stolen, may be NULL. */
void http_respond_error(struct http_req *r, int status, const char *code,
                        const char *message, json_t *details);
/* A JSON string of s; bytes that are not UTF-8 become '?'. */
json_t *http_json_text(const char *s);
/* The error body as JSON (used by the server and the API alike). */
json_t *http_error_json(const char *code, const char *message, json_t *details);
const char *http_status_text(int status);

/* ==== 2. tokens ============================================================= */
/* Tokens: random (libsodium), shown once, stored only as a hash
 * (crypto_generichash), compared in constant time (sodium_memcmp). */
#define AUTH_TOKEN_MAX 128
#define AUTH_ADMIN_TOKEN_MIN 16

/* Call once before anything else here (sodium_init). */
int auth_init(void);
/* A fresh token "<prefix><43 base64url chars>" in buf (>= 64 bytes). */
int auth_token_new(const char *prefix, char *buf, size_t cap);
void auth_token_hash(const char *token, size_t len, uint8_t out[REG_HASH_LEN]);
bool auth_hash_equal(const uint8_t a[REG_HASH_LEN], const uint8_t b[REG_HASH_LEN]);
/* "Bearer <token>" -> token (points into header). -EINVAL when malformed. */
int auth_parse_bearer(const char *header, const char **tok, size_t *len);

/* The operator token: `configured` (flag, env or file) when non-empty,
 * else the hash stored in the registry, else a new one generated now,
 * stored hashed, printed on stdout and written to `token_file` when set.
 * Fills the hash to check requests against. */
int auth_setup_admin(struct registry *reg, const char *configured, const char *token_file,
                     uint8_t hash[REG_HASH_LEN]);

/* ==== 3. routes, requests, answers ==================================== */
#define API_PENDING 1

struct api;
struct api_req;

enum api_auth {
	API_PUBLIC, /* no token needed */
	API_ADMIN,  /* the operator's admin token; a tenant token gets 403 */
	API_TENANT, /* a tenant token (any kind); the admin token gets 403 */
	API_ANY,    /* the admin token or any tenant token */
};

struct api_principal {
	bool admin;          /* the operator's admin token */
	int64_t tenant_id;   /* 0 for the admin */
	enum reg_kind kind;  /* the tenant's kind (REG_KIND_OPERATOR for the admin) */
	char name[72];       /* tenant name, or "operator" */
	char who[32];        /* "operator" or "tenant:<id>" (audit) */
};

typedef int (*api_handler_fn)(struct api_req *r, void *ud);

/* settings (stolen; NULL: none) is what GET /v1/config shows: the daemon's
 * effective settings. */
int api_new(uv_loop_t *loop, struct registry *reg, json_t *settings,
            const uint8_t admin_hash[REG_HASH_LEN], struct api **out);
void api_free(struct api *api);
/* Register a route. method and pattern must outlive api (string literals
 * of a route table). pattern: "/v1/tenants/{id}". -EEXIST when taken. */
int api_route(struct api *api, const char *method, const char *pattern, enum api_auth auth,
              api_handler_fn fn, void *ud);
/* Register a table of routes, all with ud. */
struct api_route_def {
	const char *method, *pattern;
	enum api_auth auth;
	api_handler_fn fn;
};
int api_routes(struct api *api, const struct api_route_def *v, size_t n, void *ud);
/* The operator's endpoints (health, config, audit, tenants, network,
 * policies, platforms, whoami); see api_core.c. */
int api_register_core(struct api *api);
/* The controller's endpoints: POST /v1/check, POST /v1/modules,
 * GET /v1/modules, GET/DELETE /v1/modules/{id}, GET /v1/stock (modules.c). */
int api_register_modules(struct api *api, struct ctl *c);
/* GET /v1/openapi.json: the API document built into innetd (docs/openapi.json). */
int api_register_openapi(struct api *api);
/* After every route is registered: 0 when the routes and the built-in
 * document name the same (method, path) pairs; otherwise -EPROTO with each
 * difference in err ("GET /v1/x: served but not documented; ..."). */
int api_openapi_check(const struct api *api, char *err, size_t errlen);
/* The same against the document `doc` (JSON text); -EINVAL when it is not
 * an OpenAPI document with "paths". */
int api_openapi_compare(const struct api *api, const char *doc, char *err, size_t errlen);

/* What runs before POST /v1/policies and PUT /v1/network store a change
 * (the controller re-checks the deployed modules): each calls done once,
 * with status 0 to store the change or with the answer that refuses it
 * (see ctl_policy_recheck, ctl_network_recheck). Without hooks, changes
 * are stored at once. */
struct api_change_hooks {
	struct ctl *ctl;
	int (*policy)(struct ctl *c, const char *text, bool force, ctl_done_fn done, void *ud);
	int (*network)(struct ctl *c, struct snapshot *s, bool force, ctl_done_fn done, void *ud);
	/* Optional: after s replaced old (NULL: none) as the current network. */
	void (*network_stored)(struct ctl *c, const struct snapshot *old, const struct snapshot *s);
};
void api_set_change_hooks(struct api *api, const struct api_change_hooks *hooks);
const struct api_change_hooks *api_change_hooks(struct api *api);
/* The http_request_cb to give http_server_new (ud: the struct api). */
void api_handle_http(struct http_req *req, void *ud);

/* Shared state. */
struct registry *api_registry(struct api *api);
/* The controller whose registry thread runs the API's statements (daemon
 * main.c, right after ctl_new). Without one (tests), statements run at
 * once on the calling thread, which must own the registry. */
void api_set_controller(struct api *api, struct ctl *c);
/* Every statement of the API and of the handlers: work(reg, arg) on the
 * registry thread, then done(arg, rc) on the loop (ctl_registry_submit;
 * src/registry/registry.h says what work may touch). Without a controller
 * both run before this returns. 0, or -ENOMEM / -ESHUTDOWN: neither runs.
 * Loop thread. */
int api_registry_submit(struct api *api, reg_work_fn work, reg_done_fn done, void *arg);
/* Was the registry's database reachable at its last statement? */
bool api_registry_available(struct api *api);
uv_loop_t *api_loop(struct api *api);
const json_t *api_settings(struct api *api);
/* The current snapshot with a new reference (snapshot_unref it), or NULL. */
struct snapshot *api_snapshot(struct api *api);
/* This innetd's PoP (docs/pops.md): old-form snapshots are read with it,
 * GET /v1/platforms says which platforms it serves. pop must outlive api
 * (NULL: SNAPSHOT_DEFAULT_POP). */
void api_set_pop(struct api *api, const char *pop);
const char *api_pop(const struct api *api);
/* Make s current (takes its own reference; NULL clears). */
void api_set_snapshot(struct api *api, struct snapshot *s);
/* Audit of floods: calls without a valid token are counted per client
 * address and written as one row ("anonymous", detail {source, count,
 * interval_ms}) every report_ms (0: a row per call); rows older than
 * retention_ms (0: kept) are deleted, a bounded batch per report_ms.
 * Starts a timer on the loop: api_close it before the loop ends. */
void api_set_audit_policy(struct api *api, uint64_t report_ms, uint64_t retention_ms);
/* Submit the counted rows to the registry thread and close the timer
 * (api may be NULL); call before ctl_close, so that they are written
 * while the loop runs dry. */
void api_close(struct api *api);
/* Audit rows are queued and written by the registry thread in batches
 * (docs/operator.md, "Audit"): flush submits what waits now (before a read
 * of the audit log, so that it sees every answered request); stats: rows
 * waiting, rows dropped because AUDIT_QUEUE_MAX were waiting. Loop
 * thread. */
void api_audit_flush(struct api *api);
void api_audit_stats(const struct api *api, uint64_t *waiting, uint64_t *dropped);
/* Set by main when SIGTERM arrives (health then says "draining"). */
void api_set_draining(struct api *api, bool draining);
bool api_draining(const struct api *api);
double api_uptime(struct api *api);

/* The request. */
struct api *api_req_api(const struct api_req *r);
const char *api_req_method(const struct api_req *r);
const char *api_req_path(const struct api_req *r);
const char *api_req_query(const struct api_req *r);
/* The value of `name` in the query string (first match, not decoded). */
bool api_req_query_param(const struct api_req *r, const char *name, char *buf, size_t cap);
const char *api_req_param(const struct api_req *r, const char *name);
/* A path parameter as a positive id; -1 when it is not one. */
int64_t api_req_param_id(const struct api_req *r, const char *name);
const struct api_principal *api_req_principal(const struct api_req *r);
/* The parsed JSON body (borrowed) or NULL when there is none. */
json_t *api_req_body(const struct api_req *r);
/* The raw body text. */
const char *api_req_body_text(const struct api_req *r, size_t *len);
/* The request's header `name` (case-insensitive), or NULL. */
const char *api_req_header(const struct api_req *r, const char *name);
/* The body as an object whose keys are all in `allowed` (NULL-terminated;
 * NULL: any). Otherwise answers 400 and returns NULL (return 0 then). */
json_t *api_req_body_object(struct api_req *r, const char *const *allowed);
bool api_req_cancelled(const struct api_req *r);
/* Extra detail for the audit row (stolen). */
void api_req_audit_detail(struct api_req *r, json_t *detail);

/* Answers (each releases r). body is stolen; NULL: no body (204). */
void api_respond(struct api_req *r, int status, json_t *body);
void api_error(struct api_req *r, int status, const char *code, json_t *details,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A handler's failure rc (a negative errno) about `what`: 503
 * registry_unavailable with Retry-After when the registry's database
 * cannot be reached (docs/registry.md), else 500 internal. */
void api_error_rc(struct api_req *r, int rc, const char *what);
/* A handler's failure rc (a negative errno) met after it returned (in a
 * done callback): logged and answered as a handler's negative return is
 * (api_error_rc, "internal error"). */
void api_fail(struct api_req *r, int rc);
/* Answer with a controller's answer (a ctl_done_fn; ud is the request). */
void api_answer(void *r, const struct ctl_answer *a);
/* A non-JSON answer (e.g. Prometheus text for /metrics). */
void api_respond_text(struct api_req *r, int status, const char *content_type,
                      const char *body, size_t len);

#endif
