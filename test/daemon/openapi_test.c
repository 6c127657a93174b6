/* The start-up check between the route table and the API document: it
 * passes when both name the same calls, and names every call that one has
 * and the other lacks; the document built into innetd matches innetd's
 * own routes (innetd refuses to start otherwise). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "api/api.h"

static int h_any(struct api_req *r, void *ud)
{
	(void)r;
	(void)ud;
	return 0;
}

static struct api *api_with(const struct api_route_def *v, size_t n, uv_loop_t *loop)
{
	uint8_t admin[REG_HASH_LEN] = {1};
	struct api *api;
	assert_int_equal(uv_loop_init(loop), 0);
	assert_int_equal(api_new(loop, NULL, NULL, admin, &api), 0);
	assert_int_equal(api_routes(api, v, n, NULL), 0);
	return api;
}

static const struct api_route_def two[] = {
	{"GET", "/v1/things", API_ADMIN, h_any},
	{"DELETE", "/v1/things/{id}", API_ADMIN, h_any},
};

static void test_same_calls_pass(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct api *api = api_with(two, 2, &loop);
	char err[256] = "x";
	assert_int_equal(api_openapi_compare(api,
		"{\"paths\": {\"/v1/things\": {\"get\": {}, \"summary\": \"s\"},"
		" \"/v1/things/{id}\": {\"delete\": {}, \"parameters\": []}}}", err, sizeof err), 0);
	assert_string_equal(err, "");
	api_free(api);
	uv_loop_close(&loop);
}

static void test_each_difference_is_named(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct api *api = api_with(two, 2, &loop);
	char err[256];
	/* DELETE undocumented, POST documented but not served */
	assert_int_equal(api_openapi_compare(api,
		"{\"paths\": {\"/v1/things\": {\"get\": {}, \"post\": {}}}}", err, sizeof err), -EPROTO);
	assert_non_null(strstr(err, "DELETE /v1/things/{id}: served but not documented"));
	assert_non_null(strstr(err, "POST /v1/things: documented but not served"));
	assert_null(strstr(err, "GET /v1/things:"));
	/* a tiny buffer truncates, never overflows */
	char small[8];
	assert_int_equal(api_openapi_compare(api, "{\"paths\": {}}", small, sizeof small), -EPROTO);
	assert_int_equal(strlen(small), sizeof small - 1);
	assert_int_equal(api_openapi_compare(api, "{\"openapi\": \"3.0.3\"}", err, sizeof err), -EINVAL);
	assert_int_equal(api_openapi_compare(api, "not json", err, sizeof err), -EINVAL);
	api_free(api);
	uv_loop_close(&loop);
}

static void test_built_in_document_has_openapi_route(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct api *api = api_with(two, 0, &loop);
	assert_int_equal(api_register_openapi(api), 0);
	char err[4096];
	/* the built-in document documents far more than this api serves ... */
	assert_int_equal(api_openapi_check(api, err, sizeof err), -EPROTO);
	assert_non_null(strstr(err, "GET /v1/health: documented but not served"));
	/* ... but it does document the route that serves it */
	assert_null(strstr(err, "/v1/openapi.json"));
	api_free(api);
	uv_loop_close(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_calls_pass),
		cmocka_unit_test(test_each_difference_is_named),
		cmocka_unit_test(test_built_in_document_has_openapi_route),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
