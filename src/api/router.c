#include "api/internal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct route {
	char *method, *pattern;
	void *target;
	size_t nseg;
	char *seg[HTTP_ROUTE_MAX_SEGMENTS]; /* literal text, or param name */
	bool param[HTTP_ROUTE_MAX_SEGMENTS];
};

struct http_router {
	struct route *v;
	size_t n, cap;
};

int http_router_new(struct http_router **out)
{
	*out = calloc(1, sizeof **out);
	return *out ? 0 : -ENOMEM;
}

static void route_release(struct route *rt)
{
	free(rt->method);
	free(rt->pattern);
	for (size_t i = 0; i < rt->nseg; i++)
		free(rt->seg[i]);
}

void http_router_free(struct http_router *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		route_release(&r->v[i]);
	free(r->v);
	free(r);
}

int http_router_add(struct http_router *r, const char *method, const char *pattern, void *target)
{
	if (!method || !*method || !pattern || pattern[0] != '/')
		return -EINVAL;
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].method, method) && !strcmp(r->v[i].pattern, pattern))
			return -EEXIST;
	struct route rt = {0};
	const char *p = pattern;
	int rc = -EINVAL;
	while (*p == '/') {
		const char *s = p + 1, *e = strchr(s, '/');
		if (!e)
			e = s + strlen(s);
		if (e == s || rt.nseg == HTTP_ROUTE_MAX_SEGMENTS)
			goto fail;
		bool prm = *s == '{';
		if (prm && (e - s < 3 || e[-1] != '}' || memchr(s + 1, '{', (size_t)(e - s - 1))))
			goto fail;
		if (!prm && (memchr(s, '{', (size_t)(e - s)) || memchr(s, '}', (size_t)(e - s))))
			goto fail;
		rt.param[rt.nseg] = prm;
		rt.seg[rt.nseg] = prm ? strndup(s + 1, (size_t)(e - s - 2)) : strndup(s, (size_t)(e - s));
		if (!rt.seg[rt.nseg++]) {
			rc = -ENOMEM;
			goto fail;
		}
		p = e;
	}
	if (*p)
		goto fail;
	size_t np = 0;
	for (size_t i = 0; i < rt.nseg; i++)
		np += rt.param[i];
	if (np > HTTP_ROUTE_MAX_PARAMS)
		goto fail;
	rt.method = strdup(method);
	rt.pattern = strdup(pattern);
	rt.target = target;
	rc = -ENOMEM;
	if (!rt.method || !rt.pattern)
		goto fail;
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 16;
		struct route *nv = realloc(r->v, nc * sizeof *nv);
		if (!nv)
			goto fail;
		r->v = nv;
		r->cap = nc;
	}
	r->v[r->n++] = rt;
	return 0;
fail:
	route_release(&rt);
	return rc;
}

/* Does the path fit the route? Returns a score (literal segments as bits,
 * first segment most significant) or -1. */
static int64_t fit(const struct route *rt, const char *const *segs, const size_t *lens, size_t n)
{
	if (n != rt->nseg)
		return -1;
	int64_t score = 0;
	for (size_t i = 0; i < n; i++) {
		score <<= 1;
		if (rt->param[i]) {
			if (lens[i] == 0)
				return -1;
			continue;
		}
		if (strlen(rt->seg[i]) != lens[i] || memcmp(rt->seg[i], segs[i], lens[i]))
			return -1;
		score |= 1;
	}
	return score;
}

enum http_route_result http_router_match(const struct http_router *r, const char *method,
                                         const char *path, struct http_route_match *m)
{
	memset(m, 0, sizeof *m);
	const char *segs[HTTP_ROUTE_MAX_SEGMENTS];
	size_t lens[HTTP_ROUTE_MAX_SEGMENTS], n = 0;
	const char *p = path;
	if (*p != '/')
		return HTTP_ROUTE_NO_PATH;
	while (*p == '/') {
		if (n == HTTP_ROUTE_MAX_SEGMENTS)
			return HTTP_ROUTE_NO_PATH;
		const char *s = p + 1, *e = strchr(s, '/');
		if (!e)
			e = s + strlen(s);
		segs[n] = s;
		lens[n++] = (size_t)(e - s);
		p = e;
	}
	const struct route *best = NULL;
	int64_t best_score = -1;
	bool path_seen = false;
	size_t alen = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct route *rt = &r->v[i];
		int64_t sc = fit(rt, segs, lens, n);
		if (sc < 0)
			continue;
		path_seen = true;
		/* HEAD is answered wherever GET is (RFC 9110 9.3.2): the same
		 * handler, the transport leaves the body out */
		bool get = !strcmp(rt->method, "GET");
		if (strcmp(rt->method, method) && !(get && !strcmp(method, "HEAD"))) {
			for (int k = 0; k < 1 + get; k++) {
				const char *am = k ? "HEAD" : rt->method;
				if (strstr(m->allow, am))
					continue;
				int w = snprintf(m->allow + alen, sizeof m->allow - alen, "%s%s", alen ? ", " : "", am);
				if (w > 0 && (size_t)w < sizeof m->allow - alen)
					alen += (size_t)w;
			}
			continue;
		}
		if (sc > best_score) {
			best = rt;
			best_score = sc;
		}
	}
	if (!best)
		return path_seen ? HTTP_ROUTE_NO_METHOD : HTTP_ROUTE_NO_PATH;
	m->target = best->target;
	m->pattern = best->pattern;
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		if (!best->param[i])
			continue;
		if (used + lens[i] + 1 > sizeof m->buf)
			return HTTP_ROUTE_NO_PATH;
		memcpy(m->buf + used, segs[i], lens[i]);
		m->buf[used + lens[i]] = '\0';
		m->names[m->nparams] = best->seg[i];
		m->values[m->nparams++] = m->buf + used;
		used += lens[i] + 1;
	}
	return HTTP_ROUTE_FOUND;
}

const char *http_route_param(const struct http_route_match *m, const char *name)
{
	for (size_t i = 0; i < m->nparams; i++)
		if (!strcmp(m->names[i], name))
			return m->values[i];
	return NULL;
}
