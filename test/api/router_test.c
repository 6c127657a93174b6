/* The route table: literal and parameter segments, 404 vs 405 with Allow,
 * specificity, malformed patterns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "api/internal.h"

static int A, B, C, D, E;

static struct http_router *make(void)
{
	struct http_router *r;
	assert_int_equal(http_router_new(&r), 0);
	assert_int_equal(http_router_add(r, "GET", "/v1/tenants", &A), 0);
	assert_int_equal(http_router_add(r, "POST", "/v1/tenants", &B), 0);
	assert_int_equal(http_router_add(r, "GET", "/v1/tenants/{id}", &C), 0);
	assert_int_equal(http_router_add(r, "DELETE", "/v1/tenants/{id}", &D), 0);
	assert_int_equal(http_router_add(r, "GET", "/v1/tenants/me", &E), 0);
	return r;
}

static void test_match(void **state)
{
	struct http_router *r = make();
	struct http_route_match m;
	assert_int_equal(http_router_match(r, "GET", "/v1/tenants", &m), HTTP_ROUTE_FOUND);
	assert_ptr_equal(m.target, &A);
	assert_int_equal(m.nparams, 0);
	assert_int_equal(http_router_match(r, "POST", "/v1/tenants", &m), HTTP_ROUTE_FOUND);
	assert_ptr_equal(m.target, &B);
	assert_int_equal(http_router_match(r, "GET", "/v1/tenants/42", &m), HTTP_ROUTE_FOUND);
	assert_ptr_equal(m.target, &C);
	assert_string_equal(http_route_param(&m, "id"), "42");
	assert_null(http_route_param(&m, "other"));
	assert_string_equal(m.pattern, "/v1/tenants/{id}");
	assert_int_equal(http_router_match(r, "DELETE", "/v1/tenants/x-y", &m), HTTP_ROUTE_FOUND);
	assert_ptr_equal(m.target, &D);
	assert_string_equal(http_route_param(&m, "id"), "x-y");
	/* a literal beats a parameter */
	assert_int_equal(http_router_match(r, "GET", "/v1/tenants/me", &m), HTTP_ROUTE_FOUND);
	assert_ptr_equal(m.target, &E);
	/* ...but only for its method */
	assert_int_equal(http_router_match(r, "DELETE", "/v1/tenants/me", &m), HTTP_ROUTE_FOUND);
	assert_ptr_equal(m.target, &D);
	http_router_free(r);
}

static void test_not_found(void **state)
{
	struct http_router *r = make();
	struct http_route_match m;
	const char *paths[] = {"/", "", "v1/tenants", "/v1", "/v1/tenants/", "/v1/tenants/1/x",
	                       "/v1//tenants", "/v1/tenantsX", "/V1/tenants", "/v1/tenants//"};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		if (http_router_match(r, "GET", paths[i], &m) != HTTP_ROUTE_NO_PATH)
			fail_msg("'%s' matched", paths[i]);
	http_router_free(r);
}

static void test_method_not_allowed(void **state)
{
	struct http_router *r = make();
	struct http_route_match m;
	assert_int_equal(http_router_match(r, "PUT", "/v1/tenants", &m), HTTP_ROUTE_NO_METHOD);
	assert_string_equal(m.allow, "GET, HEAD, POST");
	assert_int_equal(http_router_match(r, "POST", "/v1/tenants/7", &m), HTTP_ROUTE_NO_METHOD);
	assert_string_equal(m.allow, "GET, HEAD, DELETE");
	/* HEAD is answered wherever GET is, by the GET route */
	assert_int_equal(http_router_match(r, "HEAD", "/v1/tenants/7", &m), HTTP_ROUTE_FOUND);
	assert_int_equal(http_router_match(r, "GET", "/v1/tenants/7", &m), HTTP_ROUTE_FOUND);
	http_router_free(r);
}

static void test_bad_patterns(void **state)
{
	struct http_router *r;
	assert_int_equal(http_router_new(&r), 0);
	const char *bad[] = {"", "v1", "/v1//x", "/v1/", "/{}", "/{id", "/id}", "/a{id}", "/{a{b}}",
	                     "/{a}/{b}/{c}/{d}/{e}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (http_router_add(r, "GET", bad[i], &A) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
	assert_int_equal(http_router_add(r, "", "/x", &A), -EINVAL);
	assert_int_equal(http_router_add(r, "GET", "/x/{a}", &A), 0);
	assert_int_equal(http_router_add(r, "GET", "/x/{a}", &B), -EEXIST);
	assert_int_equal(http_router_add(r, "GET", "/", &B), -EINVAL);
	http_router_free(r);
}

static void test_many_params(void **state)
{
	struct http_router *r;
	struct http_route_match m;
	assert_int_equal(http_router_new(&r), 0);
	assert_int_equal(http_router_add(r, "GET", "/m/{a}/x/{b}/{c}", &A), 0);
	assert_int_equal(http_router_match(r, "GET", "/m/1/x/22/333", &m), HTTP_ROUTE_FOUND);
	assert_int_equal(m.nparams, 3);
	assert_string_equal(http_route_param(&m, "a"), "1");
	assert_string_equal(http_route_param(&m, "b"), "22");
	assert_string_equal(http_route_param(&m, "c"), "333");
	/* an over-long parameter value does not match (no truncation) */
	char path[1200] = "/m/1/x/2/";
	memset(path + strlen(path), 'z', 1000);
	assert_int_equal(http_router_match(r, "GET", path, &m), HTTP_ROUTE_NO_PATH);
	http_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_method_not_allowed),
		cmocka_unit_test(test_bad_patterns),
		cmocka_unit_test(test_many_params),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
