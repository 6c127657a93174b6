/* The API layer: routes (method + path pattern -> handler), bearer-token
 * authentication, JSON bodies, JSON errors, the audit log, and the state
 * handlers share (registry, current snapshot, configuration, loop).
 *
 * A handler runs on the loop thread. It answers with api_respond() /
 * api_error() before returning 0, or returns API_PENDING and answers later
 * (e.g. from a uv_queue_work after-callback); or returns a negative errno
 * WITHOUT answering, and the API answers 500. The request stays valid until
 * answered, even if the client disconnects meanwhile (api_req_cancelled()
 * tells; the answer is then only audited). Every answer releases the
 * request. Calls that change state (any method but GET/HEAD) are written to
 * the audit table when answered. */
#ifndef INNET_API_H
#define INNET_API_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "api/http.h"
#include "controller/controller.h"
#include "registry/registry.h"
#include "snapshot/snapshot.h"

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
};
void api_set_change_hooks(struct api *api, const struct api_change_hooks *hooks);
const struct api_change_hooks *api_change_hooks(struct api *api);
/* The http_request_cb to give http_server_new (ud: the struct api). */
void api_handle_http(struct http_req *req, void *ud);

/* Shared state. */
struct registry *api_registry(struct api *api);
uv_loop_t *api_loop(struct api *api);
const json_t *api_settings(struct api *api);
/* The current snapshot with a new reference (snapshot_unref it), or NULL. */
struct snapshot *api_snapshot(struct api *api);
/* Make s current (takes its own reference; NULL clears). */
void api_set_snapshot(struct api *api, struct snapshot *s);
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
/* Answer with a controller's answer (a ctl_done_fn; ud is the request). */
void api_answer(void *r, const struct ctl_answer *a);
/* A non-JSON answer (e.g. Prometheus text for /metrics). */
void api_respond_text(struct api_req *r, int status, const char *content_type,
                      const char *body, size_t len);

#endif
