/* Network snapshot: JSON -> struct snapshot, with every shape rule of
 * docs/snapshot.md checked and each error naming its JSON path. */
#include "snapshot/snapshot.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/arena.h"

#define SNAP_MAX_PORTS 1024        /* per node */
#define SNAP_MAX_TOTAL_PORTS 1000000
#define SNAP_MAX_NAME 64
#define SNAP_ARENA_LIMIT (256u << 20)

struct snap_impl {
	struct snapshot pub;
	struct arena *arena;
	_Atomic int refs;
	uint64_t **peer; /* per node, per port: (node << 32 | port) + 1, 0 = unlinked */
	/* name -> node index + 1 (open addressing, 0 = empty), so lookups
	 * during parse and snapshot_find are O(1): a linear scan per link
	 * endpoint made 10,000-node snapshots take seconds */
	uint32_t *index;
	size_t index_mask;
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h;
}

/* Table of 2^k slots for at least n keys (half full at most). */
static uint32_t *table_new(struct arena *a, size_t n, size_t *mask)
{
	size_t cap = 8;
	while (cap < 2 * n)
		cap *= 2;
	*mask = cap - 1;
	return arena_calloc(a, cap, sizeof(uint32_t));
}

static void index_add(struct snap_impl *im, uint32_t node)
{
	if (!im->index)
		return;
	size_t h = (size_t)name_hash(im->pub.nodes[node].name) & im->index_mask;
	while (im->index[h])
		h = (h + 1) & im->index_mask;
	im->index[h] = node + 1;
}

struct ctx {
	struct diags *d;
	struct arena *a;
	struct snapshot *s;
	int nerr;
	const char *pop; /* the PoP reading it: serves old-form local platforms */
};

static void fail(struct ctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(struct ctx *c, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	diags_error(c->d, NULL, 0, "%s: %s", path, msg);
	c->nerr++;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

/* Unknown keys are errors: a typo must not silently drop a setting. */
static void check_keys(struct ctx *c, const char *path, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		bool ok = false;
		for (const char *const *k = allowed; *k && !ok; k++)
			ok = !strcmp(*k, key);
		if (!ok) {
			char list[256] = "";
			for (const char *const *k = allowed; *k; k++) {
				strncat(list, *k, sizeof list - strlen(list) - 1);
				if (k[1])
					strncat(list, ", ", sizeof list - strlen(list) - 1);
			}
			char p[300];
			snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
			fail(c, p, "unknown key (expected one of: %s)", list);
		}
	}
}

#define MEMBER_PATH 300

/* obj's member key, its path ("path.key", for messages) in p; NULL when
 * absent, reported as missing when required. */
static json_t *member(struct ctx *c, const char *path, json_t *obj, const char *key,
                      bool required, char p[MEMBER_PATH])
{
	snprintf(p, MEMBER_PATH, "%s.%s", path, key);
	json_t *v = json_object_get(obj, key);
	if (!v && required)
		fail(c, p, "missing");
	return v;
}

static const char *get_string(struct ctx *c, const char *path, json_t *obj, const char *key, bool required)
{
	char p[MEMBER_PATH];
	json_t *v = member(c, path, obj, key, required, p);
	if (!v)
		return NULL;
	if (!json_is_string(v)) {
		fail(c, p, "must be a string, not %s", type_name(v));
		return NULL;
	}
	return json_string_value(v);
}

/* -1 when missing or wrong (reported when required or wrong). */
static int64_t get_int(struct ctx *c, const char *path, json_t *obj, const char *key,
                       bool required, int64_t min, int64_t max)
{
	char p[MEMBER_PATH];
	json_t *v = member(c, path, obj, key, required, p);
	if (!v)
		return -1;
	if (!json_is_integer(v)) {
		fail(c, p, "must be an integer, not %s", type_name(v));
		return -1;
	}
	json_int_t n = json_integer_value(v);
	if (n < min || n > max) {
		fail(c, p, "%lld is out of range [%lld, %lld]", (long long)n, (long long)min, (long long)max);
		return -1;
	}
	return n;
}

static int get_bool(struct ctx *c, const char *path, json_t *obj, const char *key, int dflt)
{
	char p[MEMBER_PATH];
	json_t *v = member(c, path, obj, key, false, p);
	if (!v)
		return dflt;
	if (!json_is_boolean(v)) {
		fail(c, p, "must be true or false, not %s", type_name(v));
		return dflt;
	}
	return json_is_true(v);
}

static bool parse_prefix(struct ctx *c, const char *path, json_t *v, struct inet_prefix *out)
{
	if (!json_is_string(v)) {
		fail(c, path, "must be a string like \"10.0.0.0/8\", not %s", type_name(v));
		return false;
	}
	const char *s = json_string_value(v);
	if (inet_parse_prefix(s, strlen(s), false, out)) {
		struct inet_prefix tmp;
		if (!inet_parse_prefix(s, strlen(s), true, &tmp))
			fail(c, path, "'%s' has host bits set beyond the prefix length", s);
		else
			fail(c, path, "'%s' is not an IPv4 prefix", s);
		return false;
	}
	return true;
}

static bool valid_name(const char *s)
{
	if (!*s || strlen(s) > SNAP_MAX_NAME)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == ':' || *p == 0x7f)
			return false;
	return true;
}

static void parse_hosts(struct ctx *c, const char *path, json_t *o, struct snap_node *n)
{
	static const char *const keys[] = {"name", "type", "ports", "comment", "role", "prefixes", NULL};
	check_keys(c, path, o, keys);
	const char *role = get_string(c, path, o, "role", true);
	char p[300];
	snprintf(p, sizeof p, "%s.role", path);
	if (role && !strcmp(role, "client"))
		n->role = SNAP_ROLE_CLIENT;
	else if (role && !strcmp(role, "internet"))
		n->role = SNAP_ROLE_INTERNET;
	else if (role)
		fail(c, p, "'%s' is not a hosts role (client or internet)", role);
	json_t *pf = json_object_get(o, "prefixes");
	snprintf(p, sizeof p, "%s.prefixes", path);
	if (role && n->role == SNAP_ROLE_INTERNET && pf) {
		fail(c, p, "internet hosts take no prefixes (they are every address no other node claims)");
		return;
	}
	if (!role || n->role != SNAP_ROLE_CLIENT)
		return;
	if (!pf) {
		fail(c, p, "missing (client hosts need their address prefixes)");
		return;
	}
	if (!json_is_array(pf) || json_array_size(pf) == 0) {
		fail(c, p, "must be a non-empty array of prefixes");
		return;
	}
	n->nprefixes = json_array_size(pf);
	n->prefixes = arena_calloc(c->a, n->nprefixes, sizeof *n->prefixes);
	if (!n->prefixes)
		return;
	size_t i;
	json_t *v;
	json_array_foreach(pf, i, v) {
		char q[400];
		snprintf(q, sizeof q, "%s[%zu]", p, i);
		parse_prefix(c, q, v, &n->prefixes[i]);
	}
}

static void parse_router(struct ctx *c, const char *path, json_t *o, struct snap_node *n)
{
	static const char *const keys[] = {"name", "type", "ports", "comment", "routes", "ttl_decrement", NULL};
	static const char *const rkeys[] = {"prefix", "port", "comment", NULL};
	check_keys(c, path, o, keys);
	n->ttl_decrement = get_bool(c, path, o, "ttl_decrement", 0);
	json_t *rt = json_object_get(o, "routes");
	char p[300];
	snprintf(p, sizeof p, "%s.routes", path);
	if (!rt) {
		fail(c, p, "missing (a router needs a routing table)");
		return;
	}
	if (!json_is_array(rt)) {
		fail(c, p, "must be an array of {\"prefix\", \"port\"}, not %s", type_name(rt));
		return;
	}
	n->nroutes = json_array_size(rt);
	n->routes = arena_calloc(c->a, n->nroutes ? n->nroutes : 1, sizeof *n->routes);
	/* prefix -> first route index + 1: duplicate check in O(1) per route */
	size_t mask;
	uint32_t *seen = table_new(c->a, n->nroutes, &mask);
	if (!n->routes || !seen)
		return;
	size_t i;
	json_t *v;
	json_array_foreach(rt, i, v) {
		char q[400], r[420];
		snprintf(q, sizeof q, "%s[%zu]", p, i);
		if (!json_is_object(v)) {
			fail(c, q, "must be an object {\"prefix\", \"port\"}, not %s", type_name(v));
			continue;
		}
		check_keys(c, q, v, rkeys);
		json_t *pv = json_object_get(v, "prefix");
		snprintf(r, sizeof r, "%s.prefix", q);
		if (!pv)
			fail(c, r, "missing");
		else if (parse_prefix(c, r, pv, &n->routes[i].prefix)) {
			struct inet_prefix x = n->routes[i].prefix;
			size_t h = (size_t)(((uint64_t)x.addr << 6 | x.len) * 0x9e3779b97f4a7c15ull >> 20) & mask;
			for (;; h = (h + 1) & mask) {
				if (!seen[h]) {
					seen[h] = (uint32_t)i + 1;
					break;
				}
				size_t j = seen[h] - 1;
				if (n->routes[j].prefix.addr == x.addr && n->routes[j].prefix.len == x.len) {
					fail(c, r, "'%s' is already routed by %s[%zu]", json_string_value(pv), p, j);
					break;
				}
			}
		}
		int64_t port = get_int(c, q, v, "port", true, 0, n->nports ? n->nports - 1 : 0);
		n->routes[i].port = port < 0 ? 0 : (uint32_t)port;
	}
}

static void parse_middlebox(struct ctx *c, const char *path, json_t *o, struct snap_node *n)
{
	static const char *const keys[] = {"name", "type", "ports", "comment", "click", NULL};
	check_keys(c, path, o, keys);
	const char *click = get_string(c, path, o, "click", true);
	if (click && !*click) {
		char p[300];
		snprintf(p, sizeof p, "%s.click", path);
		fail(c, p, "empty Click configuration");
	}
	if (click)
		n->click = arena_strdup(c->a, click);
}

bool snapshot_pop_valid(const char *name)
{
	size_t i = 0;
	for (; name[i]; i++) {
		char ch = name[i];
		if (i == SNAPSHOT_POP_MAX || !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		                               (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
	}
	return i > 0;
}

/* The PoP an old-form peer_url names: its host with every character that
 * a PoP name may not hold turned into '-', cut at SNAPSHOT_POP_MAX
 * ("http://pop2.example.net:8080/" -> "pop2-example-net"). */
static void pop_of_url(const char *url, char out[SNAPSHOT_POP_MAX + 1])
{
	const char *h = strstr(url, "://");
	h = h ? h + 3 : url;
	size_t n = 0;
	bool v6 = *h == '['; /* an IPv6 literal: up to ']', its ':' too */
	h += v6;
	for (; *h && (v6 || *h != ':') && *h != '/' && *h != ']' && n < SNAPSHOT_POP_MAX; h++) {
		char ch = *h;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		          (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
		out[n++] = ok ? ch : '-';
	}
	while (n && out[n - 1] == '-')
		n--;
	out[n] = '\0';
	if (!n)
		snprintf(out, SNAPSHOT_POP_MAX + 1, "peer");
}

/* The old form ("local", "peer_url"): checked as before, read as a pop,
 * and written as "pop" in o so that the canonical text names it. */
static const char *platform_old_pop(struct ctx *c, const char *path, json_t *o,
                                    char buf[SNAPSHOT_POP_MAX + 1])
{
	char p[300];
	bool local = get_bool(c, path, o, "local", 1);
	const char *peer = get_string(c, path, o, "peer_url", false);
	snprintf(p, sizeof p, "%s.peer_url", path);
	if (local && peer)
		fail(c, p, "only a platform with \"local\": false has a peer_url");
	else if (!local && !peer)
		fail(c, p, "missing (a platform that is not local is served by the innetd at peer_url)");
	else if (peer && strncmp(peer, "http://", 7) && strncmp(peer, "https://", 8))
		fail(c, p, "'%s' is not an http:// or https:// URL", peer);
	if (peer)
		pop_of_url(peer, buf);
	const char *pop = peer ? buf : c->pop;
	if (json_object_get(o, "local") || peer)
		diags_warn(c->d, NULL, 0, "%s: \"local\" and \"peer_url\" are the old form of \"pop\"; "
		           "read as \"pop\": \"%s\" (write \"pop\" instead)", path, pop);
	json_object_del(o, "local");
	json_object_del(o, "peer_url");
	return pop;
}

/* "pop": the PoP that serves the platform; without it, the old form or
 * the PoP reading the snapshot. */
static void platform_pop(struct ctx *c, const char *path, json_t *o, struct snap_node *n)
{
	char p[300], buf[SNAPSHOT_POP_MAX + 1];
	snprintf(p, sizeof p, "%s.pop", path);
	const char *pop = get_string(c, path, o, "pop", false);
	if (pop && (json_object_get(o, "local") || json_object_get(o, "peer_url"))) {
		fail(c, p, "\"pop\" replaces \"local\" and \"peer_url\": give only \"pop\"");
		return;
	}
	if (pop && !snapshot_pop_valid(pop)) {
		fail(c, p, "'%s' is not a PoP name (1 to %d letters, digits, '-' and '_')", pop,
		     SNAPSHOT_POP_MAX);
		return;
	}
	if (!pop && !json_object_get(o, "pop")) {
		pop = platform_old_pop(c, path, o, buf);
		if (json_object_set_new(o, "pop", json_string(pop)))
			c->nerr++;
	}
	if (pop)
		n->pop = arena_strdup(c->a, pop);
}

static void parse_platform(struct ctx *c, const char *path, json_t *o, struct snap_node *n)
{
	static const char *const keys[] = {"name", "type", "ports", "comment", "address", "pool",
	                                   "capacity", "pop", "local", "peer_url", NULL};
	check_keys(c, path, o, keys);
	char p[300];
	const char *addr = get_string(c, path, o, "address", true);
	snprintf(p, sizeof p, "%s.address", path);
	if (addr && inet_parse_addr(addr, strlen(addr), &n->address))
		fail(c, p, "'%s' is not an IPv4 address", addr);
	json_t *pool = json_object_get(o, "pool");
	snprintf(p, sizeof p, "%s.pool", path);
	if (!pool)
		fail(c, p, "missing (the prefix module addresses are taken from)");
	else
		parse_prefix(c, p, pool, &n->pool);
	int64_t cap = get_int(c, path, o, "capacity", true, 0, 10000000);
	n->capacity = cap < 0 ? 0 : (uint32_t)cap;
	platform_pop(c, path, o, n);
}

/* "node:port" -> endpoint. */
static bool parse_endpoint(struct ctx *c, const char *path, json_t *v, struct snap_endpoint *e)
{
	if (!json_is_string(v)) {
		fail(c, path, "must be a string \"node:port\", not %s", type_name(v));
		return false;
	}
	const char *s = json_string_value(v);
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || !colon[1] || strlen(colon + 1) > 6) {
		fail(c, path, "'%s' is not \"node:port\"", s);
		return false;
	}
	uint32_t port = 0;
	for (const char *q = colon + 1; *q; q++) {
		if (*q < '0' || *q > '9') {
			fail(c, path, "'%s': port '%s' is not a number", s, colon + 1);
			return false;
		}
		port = port * 10 + (uint32_t)(*q - '0');
	}
	char name[SNAP_MAX_NAME + 1];
	size_t nlen = (size_t)(colon - s);
	if (nlen > SNAP_MAX_NAME) {
		fail(c, path, "'%s': no such node", s);
		return false;
	}
	memcpy(name, s, nlen);
	name[nlen] = '\0';
	int idx = snapshot_find(c->s, name);
	if (idx < 0) {
		fail(c, path, "'%s': no node called '%s'", s, name);
		return false;
	}
	if (port >= c->s->nodes[idx].nports) {
		fail(c, path, "'%s': %s has ports 0 to %u", s, name, c->s->nodes[idx].nports - 1);
		return false;
	}
	e->node = (uint32_t)idx;
	e->port = port;
	return true;
}

static int cmp_range(const void *x, const void *y)
{
	const uint64_t *a = x, *b = y;
	return a[0] < b[0] ? -1 : a[0] > b[0];
}

/* True when two named platforms' pools overlap (sort by first address,
 * then each pool must start after every earlier one ends). */
static bool pools_overlap(const struct snapshot *s)
{
	size_t n = 0;
	for (size_t x = 0; x < s->nnodes; x++)
		n += s->nodes[x].type == SNAP_PLATFORM && s->nodes[x].name;
	if (n < 2)
		return false;
	uint64_t (*r)[2] = malloc(n * sizeof *r);
	if (!r)
		return true; /* the pairwise check then decides */
	n = 0;
	for (size_t x = 0; x < s->nnodes; x++) {
		const struct snap_node *nd = &s->nodes[x];
		if (nd->type != SNAP_PLATFORM || !nd->name)
			continue;
		uint64_t size = nd->pool.len ? 1ull << (32 - nd->pool.len) : 1ull << 32;
		uint64_t lo = nd->pool.addr & (uint32_t)~(size - 1);
		r[n][0] = lo;
		r[n][1] = lo + size - 1;
		n++;
	}
	qsort(r, n, sizeof *r, cmp_range);
	bool over = false;
	uint64_t end = r[0][1];
	for (size_t k = 1; k < n && !over; k++) {
		over = r[k][0] <= end;
		end = r[k][1] > end ? r[k][1] : end;
	}
	free(r);
	return over;
}

static void free_impl(struct snap_impl *im)
{
	if (!im)
		return;
	free(im->pub.json);
	arena_free(im->arena);
	free(im);
}

/* The parse error of text that is not JSON, at its line and column. */
static int fail_json(const char *json, size_t len, const json_error_t *jerr, struct diags *d)
{
	struct src_file f = {"<snapshot>", json, len};
	struct src_loc loc = {&f, jerr->line > 0 ? (uint32_t)jerr->line : 0,
	                      jerr->column > 0 ? (uint32_t)jerr->column : 0};
	return diags_error(d, jerr->line > 0 ? &loc : NULL, 0, "invalid JSON: %s", jerr->text);
}

/* An empty snapshot with its arena and one reference; NULL when out of memory. */
static struct snap_impl *impl_new(void)
{
	struct snap_impl *im = calloc(1, sizeof *im);
	struct arena *a = arena_new(SNAP_ARENA_LIMIT);
	if (!im || !a) {
		free(im);
		arena_free(a);
		return NULL;
	}
	im->arena = a;
	atomic_init(&im->refs, 1);
	return im;
}

/* The node array and the name index, sized by "nodes". -EINVAL when there
 * is no non-empty array of nodes. */
static int nodes_alloc(struct ctx *c, struct snap_impl *im, json_t *nodes)
{
	struct snapshot *s = c->s;
	if (!nodes) {
		fail(c, "nodes", "missing");
		return -EINVAL;
	}
	if (!json_is_array(nodes) || json_array_size(nodes) == 0) {
		fail(c, "nodes", "must be a non-empty array of nodes");
		return -EINVAL;
	}
	s->nnodes = json_array_size(nodes);
	s->nodes = arena_calloc(c->a, s->nnodes, sizeof *s->nodes);
	im->index = table_new(c->a, s->nnodes, &im->index_mask);
	return s->nodes && im->index ? 0 : -ENOMEM;
}

/* Node i's name: valid, not taken by an earlier node; indexed. */
static void node_name(struct ctx *c, struct snap_impl *im, const char *p, json_t *v, size_t i)
{
	const char *name = get_string(c, p, v, "name", true);
	char q[80];
	snprintf(q, sizeof q, "%s.name", p);
	if (name && !valid_name(name)) {
		fail(c, q, "'%s' is not a node name (1 to %d characters, no ':', no spaces)", name, SNAP_MAX_NAME);
	} else if (name) {
		int dup = snapshot_find(c->s, name);
		if (dup >= 0 && (size_t)dup < i) {
			fail(c, q, "'%s' is already the name of nodes[%d]", name, dup);
		} else {
			c->s->nodes[i].name = arena_strdup(c->a, name);
			if (c->s->nodes[i].name)
				index_add(im, (uint32_t)i);
		}
	}
}

/* Names and port counts first, so links and checks can refer to them.
 * -EINVAL when there are too many ports in all. */
static int nodes_names_ports(struct ctx *c, struct snap_impl *im, json_t *nodes)
{
	size_t total_ports = 0, i;
	json_t *v;
	json_array_foreach(nodes, i, v) {
		char p[64];
		snprintf(p, sizeof p, "nodes[%zu]", i);
		struct snap_node *n = &c->s->nodes[i];
		if (!json_is_object(v)) {
			fail(c, p, "must be an object, not %s", type_name(v));
			continue;
		}
		node_name(c, im, p, v, i);
		int64_t np = get_int(c, p, v, "ports", true, 1, SNAP_MAX_PORTS);
		n->nports = np < 0 ? 0 : (uint32_t)np;
		total_ports += n->nports;
	}
	if (total_ports > SNAP_MAX_TOTAL_PORTS) {
		fail(c, "nodes", "%zu ports in all; at most %d", total_ports, SNAP_MAX_TOTAL_PORTS);
		return -EINVAL;
	}
	return 0;
}

/* Each node's type and what that type has. */
static void nodes_types(struct ctx *c, json_t *nodes)
{
	size_t i;
	json_t *v;
	json_array_foreach(nodes, i, v) {
		if (!json_is_object(v))
			continue;
		char p[64];
		snprintf(p, sizeof p, "nodes[%zu]", i);
		struct snap_node *n = &c->s->nodes[i];
		const char *type = get_string(c, p, v, "type", true);
		char q[80];
		snprintf(q, sizeof q, "%s.type", p);
		if (!type)
			continue;
		if (!strcmp(type, "hosts")) {
			n->type = SNAP_HOSTS;
			parse_hosts(c, p, v, n);
		} else if (!strcmp(type, "router")) {
			n->type = SNAP_ROUTER;
			parse_router(c, p, v, n);
		} else if (!strcmp(type, "middlebox")) {
			n->type = SNAP_MIDDLEBOX;
			parse_middlebox(c, p, v, n);
		} else if (!strcmp(type, "platform")) {
			n->type = SNAP_PLATFORM;
			parse_platform(c, p, v, n);
		} else {
			fail(c, q, "'%s' is not a node type (hosts, router, middlebox, platform)", type);
		}
	}
}

/* Platform pools never overlap (a module address names one platform):
 * a sort finds whether any pair does; only then are the pairs listed. */
static void pools_check(struct ctx *c)
{
	const struct snapshot *s = c->s;
	for (size_t x = pools_overlap(s) ? 0 : s->nnodes; x < s->nnodes; x++) {
		if (s->nodes[x].type != SNAP_PLATFORM || !s->nodes[x].name)
			continue;
		for (size_t y = 0; y < x; y++) {
			if (s->nodes[y].type != SNAP_PLATFORM || !s->nodes[y].name)
				continue;
			if (inet_prefix_overlaps(s->nodes[x].pool, s->nodes[y].pool)) {
				char p[64], b1[20], b2[20];
				snprintf(p, sizeof p, "nodes[%zu].pool", x);
				fail(c, p, "%s overlaps the pool %s of %s (nodes[%zu])",
				     inet_format_prefix(s->nodes[x].pool, b1),
				     inet_format_prefix(s->nodes[y].pool, b2), s->nodes[y].name, y);
			}
		}
	}
}

/* The per-port peer table (all unlinked) and the link array for "links".
 * -EINVAL when "links" is not an array. */
static int links_alloc(struct ctx *c, struct snap_impl *im, json_t *links)
{
	struct snapshot *s = c->s;
	im->peer = arena_calloc(c->a, s->nnodes, sizeof *im->peer);
	if (!im->peer)
		return -ENOMEM;
	for (size_t x = 0; x < s->nnodes; x++)
		if (!(im->peer[x] = arena_calloc(c->a, s->nodes[x].nports, sizeof **im->peer)))
			return -ENOMEM;
	if (links && !json_is_array(links)) {
		fail(c, "links", "must be an array of [\"node:port\", \"node:port\"], not %s", type_name(links));
		return -EINVAL;
	}
	s->nlinks = links ? json_array_size(links) : 0;
	s->links = arena_calloc(c->a, s->nlinks ? s->nlinks : 1, sizeof *s->links);
	return s->links ? 0 : -ENOMEM;
}

/* Link i, "links[i]" at p: two existing, distinct ports not linked yet. */
static void link_parse(struct ctx *c, struct snap_impl *im, const char *p, json_t *v, size_t i)
{
	struct snapshot *s = c->s;
	if (!json_is_array(v) || json_array_size(v) != 2) {
		fail(c, p, "must be a pair [\"node:port\", \"node:port\"]");
		return;
	}
	struct snap_endpoint e[2];
	bool ok = true;
	for (int k = 0; k < 2; k++) {
		char q[80];
		snprintf(q, sizeof q, "%s[%d]", p, k);
		if (!parse_endpoint(c, q, json_array_get(v, (size_t)k), &e[k])) {
			ok = false;
			continue;
		}
		if (im->peer[e[k].node][e[k].port]) {
			fail(c, q, "%s:%u is already linked", s->nodes[e[k].node].name, e[k].port);
			ok = false;
		}
	}
	if (!ok)
		return;
	if (e[0].node == e[1].node && e[0].port == e[1].port) {
		fail(c, p, "links a port to itself");
		return;
	}
	im->peer[e[0].node][e[0].port] = ((uint64_t)e[1].node << 32 | e[1].port) + 1;
	im->peer[e[1].node][e[1].port] = ((uint64_t)e[0].node << 32 | e[0].port) + 1;
	s->links[i].a = e[0];
	s->links[i].b = e[1];
}

/* Every link of "links" into the peer table. */
static int links_parse(struct ctx *c, struct snap_impl *im, json_t *links)
{
	int rc = links_alloc(c, im, links);
	if (rc)
		return rc;
	size_t i;
	json_t *v;
	json_array_foreach(links, i, v) {
		char p[64];
		snprintf(p, sizeof p, "links[%zu]", i);
		link_parse(c, im, p, v, i);
	}
	return 0;
}

/* The steps in order: the root, the nodes, their pools, the links, the
 * compact text. Stops after the step that found errors (-EINVAL, they are
 * in c); -ENOMEM when memory ran out. */
static int parse_root(struct ctx *c, struct snap_impl *im, json_t *root)
{
	static const char *const root_keys[] = {"comment", "nodes", "links", NULL};
	if (!json_is_object(root)) {
		fail(c, "$", "the snapshot must be a JSON object, not %s", type_name(root));
		return -EINVAL;
	}
	check_keys(c, "", root, root_keys);
	json_t *nodes = json_object_get(root, "nodes");
	int rc = nodes_alloc(c, im, nodes);
	if (!rc)
		rc = nodes_names_ports(c, im, nodes);
	if (rc)
		return rc;
	nodes_types(c, nodes);
	pools_check(c);
	if (c->nerr)
		return -EINVAL;
	rc = links_parse(c, im, json_object_get(root, "links"));
	if (rc || c->nerr)
		return rc ? rc : -EINVAL;
	c->s->json = json_dumps(root, JSON_COMPACT);
	return c->s->json ? 0 : -ENOMEM;
}

int snapshot_parse(const char *json, size_t len, struct snapshot **out, struct diags *d)
{
	return snapshot_parse_pop(json, len, NULL, out, d);
}

int snapshot_parse_pop(const char *json, size_t len, const char *pop, struct snapshot **out,
                       struct diags *d)
{
	*out = NULL;
	json_error_t jerr;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return fail_json(json, len, &jerr, d);
	struct snap_impl *im = impl_new();
	if (!im) {
		json_decref(root);
		return -ENOMEM;
	}
	struct ctx c = {d, im->arena, &im->pub, 0, pop ? pop : SNAPSHOT_DEFAULT_POP};
	int rc = parse_root(&c, im, root);
	json_decref(root);
	if (rc == -ENOMEM) {
		free_impl(im);
		return diags_error(d, NULL, 0, "snapshot too large (out of memory)");
	}
	if (arena_exhausted(im->arena) && !c.nerr)
		diags_error(d, NULL, 0, "snapshot too large");
	if (c.nerr || !im->pub.json) {
		free_impl(im);
		return -EINVAL;
	}
	*out = &im->pub;
	return 0;
}

struct snapshot *snapshot_ref(struct snapshot *s)
{
	if (s)
		atomic_fetch_add(&((struct snap_impl *)s)->refs, 1);
	return s;
}

void snapshot_unref(struct snapshot *s)
{
	if (s && atomic_fetch_sub(&((struct snap_impl *)s)->refs, 1) == 1)
		free_impl((struct snap_impl *)s);
}

int snapshot_find(const struct snapshot *s, const char *name)
{
	const struct snap_impl *im = (const struct snap_impl *)s;
	if (im->index) {
		for (size_t h = (size_t)name_hash(name) & im->index_mask; im->index[h];
		     h = (h + 1) & im->index_mask) {
			uint32_t i = im->index[h] - 1;
			if (!strcmp(s->nodes[i].name, name))
				return (int)i;
		}
		return -1;
	}
	for (size_t i = 0; i < s->nnodes; i++)
		if (s->nodes[i].name && !strcmp(s->nodes[i].name, name))
			return (int)i;
	return -1;
}

bool snapshot_peer(const struct snapshot *s, uint32_t node, uint32_t port, struct snap_endpoint *peer)
{
	const struct snap_impl *im = (const struct snap_impl *)s;
	if (node >= s->nnodes || port >= s->nodes[node].nports || !im->peer)
		return false;
	uint64_t v = im->peer[node][port];
	if (!v)
		return false;
	v--;
	peer->node = (uint32_t)(v >> 32);
	peer->port = (uint32_t)v;
	return true;
}

/* ---- platform capacity (docs/snapshot.md) ---- */

uint64_t snapshot_pool_addresses(const struct snap_node *n)
{
	uint64_t size = (uint64_t)1 << (32 - n->pool.len);
	uint32_t lo = n->pool.addr, hi = (uint32_t)(n->pool.addr + size - 1);
	if (n->pool.len < 31) { /* the network and broadcast addresses */
		size -= 2;
		lo++;
		hi--;
	}
	if (size && n->address >= lo && n->address <= hi)
		size--; /* the platform's own */
	return size;
}

int snapshot_check_capacity(const struct snapshot *s, struct diags *d)
{
	int rc = 0;
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct snap_node *n = &s->nodes[i];
		uint64_t have = n->type == SNAP_PLATFORM ? snapshot_pool_addresses(n) : 0;
		if (n->type != SNAP_PLATFORM || n->capacity <= have)
			continue;
		char pool[20];
		rc = diags_error(d, NULL, 0, "nodes[%zu].capacity: %u is more than the %llu module "
		                 "addresses pool %s of platform '%s' can give (at most %llu)", i,
		                 n->capacity, (unsigned long long)have, inet_format_prefix(n->pool, pool),
		                 n->name, (unsigned long long)have);
	}
	return rc;
}
