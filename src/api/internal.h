/* Private to src/api: the route table, and what the API document check
 * needs of the API. */
#ifndef INNET_API_INTERNAL_H
#define INNET_API_INTERNAL_H

#include <stddef.h>

#include "api/api.h"

/* ==== the route table ==================================================== */
/* The route table: method + path pattern ("/v1/tenants/{id}") -> target.
 * A literal segment beats a {param} at the same place; a path that matches
 * with another method gives the Allow list for a 405. */
#define HTTP_ROUTE_MAX_PARAMS 4
#define HTTP_ROUTE_MAX_SEGMENTS 16

struct http_router;

enum http_route_result { HTTP_ROUTE_FOUND, HTTP_ROUTE_NO_PATH, HTTP_ROUTE_NO_METHOD };

struct http_route_match {
	void *target;
	const char *pattern;
	size_t nparams;
	const char *names[HTTP_ROUTE_MAX_PARAMS];
	const char *values[HTTP_ROUTE_MAX_PARAMS]; /* point into buf */
	char allow[96];  /* "GET, POST" when HTTP_ROUTE_NO_METHOD */
	char buf[512];
};

int http_router_new(struct http_router **out);
void http_router_free(struct http_router *r);
/* -EINVAL for a malformed pattern (must start with '/', segments non-empty,
 * "{name}" params), -EEXIST when method + pattern is already there. */
int http_router_add(struct http_router *r, const char *method, const char *pattern, void *target);
enum http_route_result http_router_match(const struct http_router *r, const char *method,
                                         const char *path, struct http_route_match *m);
/* The value of parameter `name` in a match, or NULL. */
const char *http_route_param(const struct http_route_match *m, const char *name);

/* ==== routes of an api ================================================== */
typedef void api__route_fn(void *ud, const char *method, const char *pattern);
/* Each registered route, in registration order. */
void api__each_route(const struct api *api, api__route_fn *fn, void *ud);

#endif
