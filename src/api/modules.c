/* The controller's endpoints: a tenant checks, deploys, lists, shows and
 * kills its modules; anyone lists the stock modules. The request becomes a
 * caller and a JSON object; the controller's answer becomes the HTTP one. */
#include <string.h>

#include "api/api.h"
#include "controller/stock.h"

static struct ctl_caller caller_of(const struct api_req *r)
{
	const struct api_principal *p = api_req_principal(r);
	return (struct ctl_caller){.tenant_id = p->tenant_id, .kind = p->kind};
}

static json_t *module_request(struct api_req *r)
{
	static const char *const fields[] = {"name", "config", "stock", "params", "requirements",
	                                     "inline", NULL};
	return api_req_body_object(r, fields);
}

static int h_check(struct api_req *r, void *ud)
{
	json_t *b = module_request(r);
	if (!b)
		return 0;
	struct ctl_caller who = caller_of(r);
	int rc = ctl_check(ud, &who, b, api_answer, r);
	return rc ? rc : API_PENDING;
}

static int h_deploy(struct api_req *r, void *ud)
{
	json_t *b = module_request(r);
	if (!b)
		return 0;
	struct ctl_caller who = caller_of(r);
	int rc = ctl_deploy(ud, &who, b, api_answer, r);
	return rc ? rc : API_PENDING;
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

/* The {id} of the path; answers 404 when it is not a module id. */
static int64_t module_id(struct api_req *r)
{
	int64_t id = api_req_param_id(r, "id");
	if (id <= 0)
		api_error(r, 404, "not_found", NULL, "you have no module %s", api_req_param(r, "id"));
	return id;
}

static int h_get(struct api_req *r, void *ud)
{
	int64_t id = module_id(r);
	if (id <= 0)
		return 0;
	struct ctl_caller who = caller_of(r);
	int rc = ctl_get(ud, &who, id, api_answer, r);
	return rc ? rc : API_PENDING;
}

static int h_kill(struct api_req *r, void *ud)
{
	int64_t id = module_id(r);
	if (id <= 0)
		return 0;
	struct ctl_caller who = caller_of(r);
	int rc = ctl_kill(ud, &who, id, api_answer, r);
	return rc ? rc : API_PENDING;
}

static int h_stock(struct api_req *r, void *ud)
{
	api_respond(r, 200, json_pack("{s:o}", "stock", ctl_stock_list_json()));
	return 0;
}

int api_register_modules(struct api *api, struct ctl *c)
{
	static const struct {
		const char *method, *pattern;
		enum api_auth auth;
		api_handler_fn fn;
	} routes[] = {
		{"POST", "/v1/check", API_TENANT, h_check},
		{"POST", "/v1/modules", API_TENANT, h_deploy},
		{"GET", "/v1/modules", API_TENANT, h_list},
		{"GET", "/v1/modules/{id}", API_TENANT, h_get},
		{"DELETE", "/v1/modules/{id}", API_TENANT, h_kill},
		{"GET", "/v1/stock", API_ANY, h_stock},
	};
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		int rc = api_route(api, routes[i].method, routes[i].pattern, routes[i].auth,
		                   routes[i].fn, c);
		if (rc)
			return rc;
	}
	return 0;
}
