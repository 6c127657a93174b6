/* The controller's endpoints: a tenant checks, deploys, lists, shows and
 * kills its modules; anyone lists the stock modules. The request becomes a
 * caller and a JSON object; the controller's answer becomes the HTTP one. */
#include <string.h>

#include <sodium.h>

#include "api/api.h"
#include "controller/controller.h"

/* The client of a pending request has disconnected. */
static bool req_gone(void *ud)
{
	return api_req_cancelled(ud);
}

static struct ctl_caller caller_of(const struct api_req *r)
{
	const struct api_principal *p = api_req_principal(r);
	return (struct ctl_caller){.tenant_id = p->tenant_id, .kind = p->kind, .gone = req_gone, .admin = p->admin};
}

static json_t *module_request(struct api_req *r)
{
	static const char *const fields[] = {"name", "config", "stock", "params", "requirements",
	                                     "inline", NULL};
	return api_req_body_object(r, fields);
}

/* A valid Idempotency-Key (docs/pops.md): 1 to REG_IDEM_KEY_MAX printable
 * ASCII characters. */
static bool idem_key_valid(const char *key)
{
	size_t n = 0;
	for (; key[n]; n++)
		if (n == REG_IDEM_KEY_MAX || key[n] < 0x20 || key[n] > 0x7e)
			return false;
	return n > 0;
}

/* What a retry must repeat: the method, the path and the body. */
static void request_hash(struct api_req *r, uint8_t out[REG_HASH_LEN])
{
	size_t len;
	const char *body = api_req_body_text(r, &len);
	const char *m = api_req_method(r), *p = api_req_path(r);
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, REG_HASH_LEN);
	crypto_generichash_update(&st, (const unsigned char *)m, strlen(m) + 1);
	crypto_generichash_update(&st, (const unsigned char *)p, strlen(p) + 1);
	if (body)
		crypto_generichash_update(&st, (const unsigned char *)body, len);
	crypto_generichash_final(&st, out, REG_HASH_LEN);
}

/* A check or a deploy: the body goes to the controller, which answers. A
 * deploy may carry an Idempotency-Key. */
static int submit(struct api_req *r, struct ctl *c,
                  int (*fn)(struct ctl *c, const struct ctl_caller *who, json_t *req,
                            ctl_done_fn done, void *ud), bool keyed)
{
	json_t *b = module_request(r);
	if (!b)
		return 0;
	struct ctl_caller who = caller_of(r);
	const char *key = keyed ? api_req_header(r, "Idempotency-Key") : NULL;
	uint8_t hash[REG_HASH_LEN];
	if (key && !idem_key_valid(key)) {
		api_error(r, 400, "invalid_idempotency_key", json_pack("{s:i}", "max_length", REG_IDEM_KEY_MAX),
		          "Idempotency-Key must be 1 to %d printable ASCII characters", REG_IDEM_KEY_MAX);
		return 0;
	}
	if (key) {
		request_hash(r, hash);
		who.idem_key = key;
		who.idem_hash = hash;
	}
	int rc = fn(c, &who, b, api_answer, r);
	return rc ? rc : API_PENDING;
}

static int h_check(struct api_req *r, void *ud)
{
	return submit(r, ud, ctl_check, false);
}

static int h_deploy(struct api_req *r, void *ud)
{
	return submit(r, ud, ctl_deploy, true);
}

static int h_list(struct api_req *r, void *ud)
{
	char buf[8];
	bool all = api_req_query_param(r, "all", buf, sizeof buf) &&
	           (!strcmp(buf, "1") || !strcmp(buf, "true"));
	struct ctl_caller who = caller_of(r);
	int rc = ctl_list(ud, &who, all, api_answer, r);
	return rc ? rc : API_PENDING;
}

/* A call on the module {id} of the path (404 when it is not a module id). */
static int on_module(struct api_req *r, struct ctl *c,
                     int (*fn)(struct ctl *c, const struct ctl_caller *who, int64_t id,
                               ctl_done_fn done, void *ud))
{
	int64_t id = api_req_param_id(r, "id");
	if (id <= 0) {
		api_error(r, 404, "not_found", NULL, "you have no module %s", api_req_param(r, "id"));
		return 0;
	}
	struct ctl_caller who = caller_of(r);
	int rc = fn(c, &who, id, api_answer, r);
	return rc ? rc : API_PENDING;
}

static int h_get(struct api_req *r, void *ud)
{
	return on_module(r, ud, ctl_get);
}

static int h_kill(struct api_req *r, void *ud)
{
	return on_module(r, ud, ctl_kill);
}

static int h_stock(struct api_req *r, void *ud)
{
	api_respond(r, 200, json_pack("{s:o}", "stock", ctl_stock_list_json()));
	return 0;
}

int api_register_modules(struct api *api, struct ctl *c)
{
	static const struct api_route_def routes[] = {
		{"POST", "/v1/check", API_TENANT, h_check},
		{"POST", "/v1/modules", API_TENANT, h_deploy},
		{"GET", "/v1/modules", API_TENANT, h_list},
		/* the operator's admin token: any tenant's module (docs/operator.md) */
		{"GET", "/v1/modules/{id}", API_ANY, h_get},
		{"DELETE", "/v1/modules/{id}", API_ANY, h_kill},
		{"GET", "/v1/stock", API_ANY, h_stock},
	};
	return api_routes(api, routes, sizeof routes / sizeof routes[0], c);
}
