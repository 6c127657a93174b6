/* The endpoints of the foundation: health, whoami, config, audit, tenants,
 * network snapshot, policies, platforms. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/log.h"

#define NAME_MAX_LEN 64
#define POLICY_MAX_LEN (64 * 1024)

static int h_health(struct api_req *r, void *ud)
{
	struct api *api = api_req_api(r);
	struct snapshot *s = api_snapshot(api);
	json_t *j = json_pack("{s:s, s:s, s:I, s:o}", "status",
	                      api_draining(api) ? "draining" : "ok", "version", INNET_VERSION,
	                      "uptime_s", (json_int_t)api_uptime(api), "snapshot_version",
	                      s && s->version ? json_integer(s->version) : json_null());
	snapshot_unref(s);
	api_respond(r, 200, j);
	return 0;
}

static int h_whoami(struct api_req *r, void *ud)
{
	const struct api_principal *p = api_req_principal(r);
	api_respond(r, 200, json_pack("{s:s, s:o, s:s, s:s}", "role", p->admin ? "operator" : "tenant",
	                              "tenant_id", p->admin ? json_null() : json_integer(p->tenant_id),
	                              "kind", reg_kind_name(p->kind), "name", p->name));
	return 0;
}

static int h_config(struct api_req *r, void *ud)
{
	api_respond(r, 200, json_deep_copy(api_settings(api_req_api(r))));
	return 0;
}

static int h_audit(struct api_req *r, void *ud)
{
	char buf[16];
	int limit = 100;
	if (api_req_query_param(r, "limit", buf, sizeof buf)) {
		char *end;
		long v = strtol(buf, &end, 10);
		if (*end || v < 1 || v > 10000) {
			api_error(r, 400, "bad_query", json_pack("{s:s}", "field", "limit"),
			          "limit must be an integer from 1 to 10000");
			return 0;
		}
		limit = (int)v;
	}
	json_t *a;
	int rc = reg_audit_list(api_registry(api_req_api(r)), limit, &a);
	if (rc)
		return rc;
	api_respond(r, 200, json_pack("{s:o}", "audit", a));
	return 0;
}

static bool force_param(struct api_req *r);

/* --- tenants --------------------------------------------------------------- */

static bool valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.'))
			return false;
	return true;
}

/* field (array of prefix strings or absent) -> prefixes; answers 400 on error. */
static int read_prefixes(struct api_req *r, json_t *body, const char *field,
                         struct inet_prefix **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	json_t *a = json_object_get(body, field);
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a)) {
		api_error(r, 400, "wrong_type", json_pack("{s:s}", "field", field),
		          "%s must be an array of prefixes like \"10.0.0.0/8\"", field);
		return -EINVAL;
	}
	if (json_array_size(a) > 1024) {
		api_error(r, 400, "too_many", json_pack("{s:s}", "field", field),
		          "%s: at most 1024 prefixes", field);
		return -EINVAL;
	}
	*out = calloc(json_array_size(a) + 1, sizeof **out);
	if (!*out)
		return -ENOMEM;
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) {
		char path[64];
		snprintf(path, sizeof path, "%s[%zu]", field, i);
		if (!json_is_string(v)) {
			api_error(r, 400, "wrong_type", json_pack("{s:s}", "field", path),
			          "%s must be a string like \"10.0.0.0/8\"", path);
			goto bad;
		}
		const char *s = json_string_value(v);
		if (inet_parse_prefix(s, json_string_length(v), false, &(*out)[i])) {
			api_error(r, 400, "invalid_prefix", json_pack("{s:s, s:s}", "field", path, "value", s),
			          "%s: '%s' is not an IPv4 prefix (a.b.c.d/len, no host bits)", path, s);
			goto bad;
		}
	}
	*n = json_array_size(a);
	return 0;
bad:
	free(*out);
	*out = NULL;
	return -EINVAL;
}

static int read_quota(struct api_req *r, json_t *q, const char *key, int64_t dflt, int64_t *out)
{
	json_t *v = q ? json_object_get(q, key) : NULL;
	*out = dflt;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000000) {
		char path[64];
		snprintf(path, sizeof path, "quotas.%s", key);
		api_error(r, 400, "wrong_type", json_pack("{s:s}", "field", path),
		          "%s must be a non-negative integer", path);
		return -EINVAL;
	}
	*out = json_integer_value(v);
	return 0;
}

/* "quotas" into t, each one absent keeping what t holds (a new tenant:
 * the defaults, set by the caller); answers 400 and returns -EINVAL on
 * error. memory_mb and flows are per module, 0 (the default) meaning
 * innetd's module-memory-mb and module-flows (docs/stateful.md). */
static int read_quotas(struct api_req *r, json_t *q, struct reg_tenant *t)
{
	static const char *const qkeys[] = {"modules", "memory_mb", "starts_per_minute", "rps", "flows",
	                                    "inflight"};
	if (q && !json_is_object(q)) {
		api_error(r, 400, "wrong_type", json_pack("{s:s}", "field", "quotas"),
		          "quotas must be an object");
		return -EINVAL;
	}
	const char *key;
	json_t *v;
	json_object_foreach(q, key, v) {
		size_t k = 0;
		while (k < sizeof qkeys / sizeof qkeys[0] && strcmp(key, qkeys[k]))
			k++;
		if (k == sizeof qkeys / sizeof qkeys[0]) {
			api_error(r, 400, "unknown_field", json_pack("{s:s}", "field", "quotas"),
			          "quotas: unknown field '%s' (modules, memory_mb, starts_per_minute, rps, "
			          "flows, inflight)", key);
			return -EINVAL;
		}
	}
	if (read_quota(r, q, qkeys[0], t->quota_modules, &t->quota_modules) ||
	    read_quota(r, q, qkeys[1], t->quota_memory_mb, &t->quota_memory_mb) ||
	    read_quota(r, q, qkeys[2], t->quota_starts_per_min, &t->quota_starts_per_min) ||
	    read_quota(r, q, qkeys[3], t->quota_rps, &t->quota_rps) ||
	    read_quota(r, q, qkeys[4], t->quota_flows, &t->quota_flows) ||
	    read_quota(r, q, qkeys[5], t->quota_inflight, &t->quota_inflight))
		return -EINVAL;
	return 0;
}

/* The new tenant of body b into t; answers 400 and returns -EINVAL on
 * error. */
static int read_tenant(struct api_req *r, json_t *b, struct reg_tenant *t)
{
	json_t *name = json_object_get(b, "name"), *kind = json_object_get(b, "kind");
	if (!name || !json_is_string(name)) {
		api_error(r, 400, name ? "wrong_type" : "missing_field", json_pack("{s:s}", "field", "name"),
		          "name must be a string");
		return -EINVAL;
	}
	if (!valid_name(json_string_value(name))) {
		api_error(r, 400, "invalid_name", json_pack("{s:s, s:s}", "field", "name", "value",
		                                            json_string_value(name)),
		          "name: '%s' is not a tenant name (1 to %d of A-Z a-z 0-9 . _ -)",
		          json_string_value(name), NAME_MAX_LEN);
		return -EINVAL;
	}
	if (!kind || !json_is_string(kind) || reg_kind_parse(json_string_value(kind), &t->kind)) {
		api_error(r, 400, kind ? "invalid_kind" : "missing_field", json_pack("{s:s}", "field", "kind"),
		          "kind must be \"client\", \"third_party\" or \"operator\"");
		return -EINVAL;
	}
	t->quota_modules = 100; /* the defaults */
	t->quota_starts_per_min = 60;
	int rc = read_quotas(r, json_object_get(b, "quotas"), t);
	if (!rc)
		rc = read_prefixes(r, b, "addresses", &t->addresses, &t->naddresses);
	if (!rc)
		rc = read_prefixes(r, b, "whitelist", &t->whitelist, &t->nwhitelist);
	if (!rc && !(t->name = strdup(json_string_value(name))))
		rc = -ENOMEM;
	return rc;
}

static int h_tenant_create(struct api_req *r, void *ud)
{
	static const char *const fields[] = {"name", "kind", "addresses", "whitelist", "quotas", NULL};
	json_t *b = api_req_body_object(r, fields);
	if (!b)
		return 0;
	struct reg_tenant t = {0};
	char token[AUTH_TOKEN_MAX];
	uint8_t hash[REG_HASH_LEN];
	int rc = read_tenant(r, b, &t);
	if (rc) {
		reg_tenant_release(&t);
		return rc == -EINVAL ? 0 : rc; /* (answered) */
	}
	if (!(rc = auth_token_new("innet-t-", token, sizeof token))) {
		auth_token_hash(token, strlen(token), hash);
		rc = reg_tenant_add(api_registry(api_req_api(r)), &t, hash);
	}
	if (rc == -EEXIST)
		api_error(r, 409, "conflict", json_pack("{s:s, s:s}", "field", "name", "value", t.name),
		          "a tenant called '%s' exists already", t.name);
	if (rc) {
		reg_tenant_release(&t);
		return rc == -EEXIST ? 0 : rc;
	}
	json_t *j = reg_tenant_json(&t);
	api_req_audit_detail(r, json_pack("{s:I, s:s}", "id", (json_int_t)t.id, "name", t.name));
	log_info("api", "tenant %lld '%s' (%s) created", (long long)t.id, t.name, reg_kind_name(t.kind));
	json_object_set_new(j, "token", json_string(token));
	reg_tenant_release(&t);
	api_respond(r, 201, j);
	return 0;
}

static int h_tenant_list(struct api_req *r, void *ud)
{
	struct reg_tenant *v;
	size_t n;
	int rc = reg_tenant_list(api_registry(api_req_api(r)), &v, &n);
	if (rc)
		return rc;
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, reg_tenant_json(&v[i]));
	reg_tenants_free(v, n);
	api_respond(r, 200, json_pack("{s:o}", "tenants", a));
	return 0;
}

static int h_tenant_get(struct api_req *r, void *ud)
{
	int64_t id = api_req_param_id(r, "id");
	struct reg_tenant t;
	int rc = id > 0 ? reg_tenant_get(api_registry(api_req_api(r)), id, &t) : -ENOENT;
	if (rc == -ENOENT) {
		api_error(r, 404, "not_found", NULL, "no tenant %s", api_req_param(r, "id"));
		return 0;
	}
	if (rc)
		return rc;
	api_respond(r, 200, reg_tenant_json(&t));
	reg_tenant_release(&t);
	return 0;
}

/* The tenant of the path into t; answers 404 and returns -ENOENT when
 * there is none. */
static int path_tenant(struct api_req *r, struct reg_tenant *t)
{
	int64_t id = api_req_param_id(r, "id");
	int rc = id > 0 ? reg_tenant_get(api_registry(api_req_api(r)), id, t) : -ENOENT;
	if (rc == -ENOENT)
		api_error(r, 404, "not_found", NULL, "no tenant %s", api_req_param(r, "id"));
	return rc;
}

/* The controller behind the API (NULL in an API without one). */
static struct ctl *api_ctl(struct api_req *r)
{
	const struct api_change_hooks *h = api_change_hooks(api_req_api(r));
	return h ? h->ctl : NULL;
}

/* Every live module of tenant id killed (one transaction), then off the
 * platform; *killed: their ids. TRANSITION: on the loop until this
 * handler's statements move onto the registry thread (one work:
 * ctl_modules_kill and the delete; ctl_tenant_killed in its done). */
static int kill_all(struct api_req *r, struct registry *reg, int64_t id, json_t **killed)
{
	struct ctl_modules m;
	int rc = reg_begin(reg);
	if (!rc && !(rc = ctl_modules_kill(reg, id, &m)) && (rc = reg_commit(reg)))
		ctl_modules_release(&m);
	if (rc) {
		reg_rollback(reg);
		return rc;
	}
	ctl_tenant_killed(api_ctl(r), id, &m, killed);
	ctl_modules_release(&m);
	return 0;
}

static int h_tenant_delete(struct api_req *r, void *ud)
{
	int64_t id = api_req_param_id(r, "id");
	struct registry *reg = api_registry(api_req_api(r));
	json_t *killed = NULL;
	int rc = id > 0 ? 0 : -ENOENT;
	/* ?force=true: its modules are killed first, off the platform
	 * (docs/operator.md) */
	if (!rc && force_param(r) && api_ctl(r)) {
		struct reg_tenant t;
		if (!(rc = reg_tenant_get(reg, id, &t))) {
			reg_tenant_release(&t);
			rc = kill_all(r, reg, id, &killed);
		}
	}
	if (!rc)
		rc = reg_tenant_delete(reg, id);
	if (rc == -ENOENT) {
		api_error(r, 404, "not_found", NULL, "no tenant %s", api_req_param(r, "id"));
		rc = 0;
	} else if (rc == -EBUSY) {
		api_error(r, 409, "tenant_has_modules", NULL,
		          "tenant %lld still has modules; kill them first or delete with ?force=true",
		          (long long)id);
		rc = 0;
	} else if (!rc) {
		api_req_audit_detail(r, json_pack("{s:I, s:b, s:O}", "id", (json_int_t)id, "force",
		                                  killed != NULL, "killed", killed ? killed : json_null()));
		log_info("api", "tenant %lld deleted%s", (long long)id, killed ? " with its modules" : "");
		api_respond(r, 204, NULL);
	}
	json_decref(killed);
	return rc;
}

/* Suspend or resume: the registry first (its token is refused from the
 * next request on), then its modules held or released. */
static int tenant_suspend(struct api_req *r, bool suspend)
{
	struct reg_tenant t;
	int rc = path_tenant(r, &t);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	bool was = t.suspended_at != NULL;
	reg_tenant_release(&t);
	struct registry *reg = api_registry(api_req_api(r));
	if ((rc = reg_tenant_set_suspended(reg, api_req_param_id(r, "id"), suspend)) ||
	    (rc = reg_tenant_get(reg, api_req_param_id(r, "id"), &t)))
		return rc;
	/* TRANSITION: read on the registry thread with the change, held in its done */
	struct ctl_modules m;
	int n = api_ctl(r) ? ctl_modules_read(reg, t.id, suspend ? 0 : CTL_MODULES_STATES, &m) : 0;
	if (api_ctl(r) && !n) {
		n = ctl_tenant_hold(api_ctl(r), t.id, suspend, &m);
		ctl_modules_release(&m);
	}
	json_t *j = reg_tenant_json(&t);
	json_object_set_new(j, suspend ? "modules_held" : "modules_released",
	                    json_integer(n < 0 ? 0 : n));
	api_req_audit_detail(r, json_pack("{s:I, s:s, s:b, s:i}", "id", (json_int_t)t.id, "name",
	                                  t.name, "changed", was != suspend, "modules", n < 0 ? 0 : n));
	log_info("api", "tenant %lld '%s' %s", (long long)t.id, t.name,
	         suspend ? "suspended" : "resumed");
	reg_tenant_release(&t);
	api_respond(r, 200, j);
	return 0;
}

static int h_tenant_suspend(struct api_req *r, void *ud)
{
	return tenant_suspend(r, true);
}

static int h_tenant_resume(struct api_req *r, void *ud)
{
	return tenant_suspend(r, false);
}

/* A new token; the old one stops matching at once. Shown once, never in
 * the audit row. */
static int h_tenant_token(struct api_req *r, void *ud)
{
	struct reg_tenant t;
	int rc = path_tenant(r, &t);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	char token[AUTH_TOKEN_MAX];
	uint8_t hash[REG_HASH_LEN];
	if (!(rc = auth_token_new("innet-t-", token, sizeof token))) {
		auth_token_hash(token, strlen(token), hash);
		rc = reg_tenant_set_token(api_registry(api_req_api(r)), t.id, hash);
	}
	if (!rc) {
		api_req_audit_detail(r, json_pack("{s:I, s:s}", "id", (json_int_t)t.id, "name", t.name));
		log_info("api", "tenant %lld '%s': token rotated", (long long)t.id, t.name);
		api_respond(r, 200, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)t.id, "name", t.name,
		                              "token", token));
	}
	reg_tenant_release(&t);
	return rc;
}

/* PATCH: the fields given replace the tenant's (quotas key by key; null
 * addresses or whitelist: none), validated as POST does; name and kind
 * stay. */
static int h_tenant_patch(struct api_req *r, void *ud)
{
	static const char *const fields[] = {"addresses", "whitelist", "quotas", NULL};
	json_t *b = api_req_body_object(r, fields);
	if (!b)
		return 0;
	struct reg_tenant t;
	int rc = path_tenant(r, &t);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	struct inet_prefix *p = NULL;
	size_t n = 0;
	rc = read_quotas(r, json_object_get(b, "quotas"), &t);
	if (!rc && json_object_get(b, "addresses") && !(rc = read_prefixes(r, b, "addresses", &p, &n))) {
		free(t.addresses);
		t.addresses = p;
		t.naddresses = n;
	}
	if (!rc && json_object_get(b, "whitelist") && !(rc = read_prefixes(r, b, "whitelist", &p, &n))) {
		free(t.whitelist);
		t.whitelist = p;
		t.nwhitelist = n;
	}
	if (rc) {
		reg_tenant_release(&t);
		return rc == -EINVAL ? 0 : rc; /* (answered) */
	}
	if (!(rc = reg_tenant_update(api_registry(api_req_api(r)), &t))) {
		if (api_ctl(r))
			ctl_tenant_changed(api_ctl(r), t.id);
		json_t *changed = json_array();
		for (const char *const *f = fields; *f; f++)
			if (json_object_get(b, *f))
				json_array_append_new(changed, json_string(*f));
		api_req_audit_detail(r, json_pack("{s:I, s:s, s:o}", "id", (json_int_t)t.id, "name",
		                                  t.name, "changed", changed));
		log_info("api", "tenant %lld '%s' changed", (long long)t.id, t.name);
		api_respond(r, 200, reg_tenant_json(&t));
	}
	reg_tenant_release(&t);
	return rc;
}

/* --- network --------------------------------------------------------------- */

static json_t *diags_json(const struct diags *d)
{
	json_t *a = json_array();
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];
		if (g->line)
			json_array_append_new(a, json_sprintf("line %u, column %u: %s", g->line, g->col, g->msg));
		else
			json_array_append_new(a, json_string(g->msg));
	}
	return a;
}

/* The warnings of d (the old platform form: docs/snapshot.md), or NULL. */
static json_t *warnings_json(const struct diags *d)
{
	json_t *a = NULL;
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].level == DIAG_WARNING) {
			if (!a)
				a = json_array();
			json_array_append_new(a, json_string(d->v[i].msg));
		}
	return a;
}

/* Store s as the current network and answer, with warnings (stolen; may
 * be NULL). */
static void network_store(struct api_req *r, struct snapshot *s, json_t *warnings)
{
	struct api *api = api_req_api(r);
	char *busy = NULL;
	int rc = reg_snapshot_put(api_registry(api), s, api_req_principal(r)->who, &busy);
	if (rc)
		json_decref(warnings);
	if (rc == -EBUSY) {
		api_error(r, 409, "platform_in_use", json_pack("{s:s}", "platform", busy ? busy : "?"),
		          "platform '%s' hosts modules and would disappear", busy ? busy : "?");
		free(busy);
		return;
	}
	if (rc) {
		api_error_rc(r, rc, "internal error");
		return;
	}
	struct snapshot *old = api_snapshot(api);
	api_set_snapshot(api, s);
	const struct api_change_hooks *h = api_change_hooks(api);
	if (h && h->network_stored)
		h->network_stored(h->ctl, old, s);
	snapshot_unref(old);
	size_t nplat = 0;
	for (size_t i = 0; i < s->nnodes; i++)
		nplat += s->nodes[i].type == SNAP_PLATFORM;
	log_info("api", "network snapshot version %lld stored (%zu nodes, %zu links)",
	         (long long)s->version, s->nnodes, s->nlinks);
	api_req_audit_detail(r, json_pack("{s:I}", "version", (json_int_t)s->version));
	json_t *body = json_pack("{s:I, s:I, s:I, s:I}", "version", (json_int_t)s->version,
	                         "nodes", (json_int_t)s->nnodes, "links", (json_int_t)s->nlinks,
	                         "platforms", (json_int_t)nplat);
	if (warnings) {
		log_warn("api", "network snapshot version %lld uses the old platform form "
		         "(local/peer_url): %zu warning(s)", (long long)s->version, json_array_size(warnings));
		json_object_set_new(body, "warnings", warnings);
	}
	api_respond(r, 200, body);
}

/* A network change waiting for its hook. */
struct network_change {
	struct api_req *r;
	struct snapshot *s;
	json_t *warnings;
};

static void network_checked(void *ud, const struct ctl_answer *a)
{
	struct network_change *nc = ud;
	if (a->status) {
		api_answer(nc->r, a);
		json_decref(nc->warnings);
	} else {
		network_store(nc->r, nc->s, nc->warnings);
	}
	snapshot_unref(nc->s);
	free(nc);
}

static bool force_param(struct api_req *r)
{
	char buf[8];
	return api_req_query_param(r, "force", buf, sizeof buf) &&
	       (!strcmp(buf, "true") || !strcmp(buf, "1"));
}

/* A platform that promises more modules than its pool has addresses is
 * refused (docs/snapshot.md): answers 400 and returns true. */
static bool capacity_refused(struct api_req *r, const struct snapshot *s)
{
	struct diags d;
	diags_init(&d);
	if (!snapshot_check_capacity(s, &d)) {
		diags_free(&d);
		return false;
	}
	const struct snap_node *n = NULL;
	for (size_t i = 0; i < s->nnodes && !n; i++)
		if (s->nodes[i].type == SNAP_PLATFORM &&
		    s->nodes[i].capacity > snapshot_pool_addresses(&s->nodes[i]))
			n = &s->nodes[i];
	api_error(r, 400, "capacity_exceeds_pool",
	          json_pack("{s:o, s:s, s:I, s:I}", "errors", diags_json(&d), "platform", n->name,
	                    "capacity", (json_int_t)n->capacity, "addresses",
	                    (json_int_t)snapshot_pool_addresses(n)),
	          "platform '%s': capacity %u is more than the %llu addresses its pool can give%s",
	          n->name, n->capacity, (unsigned long long)snapshot_pool_addresses(n),
	          d.n > 1 ? " (and more, see details)" : "");
	diags_free(&d);
	return true;
}

static int h_network_put(struct api_req *r, void *ud)
{
	if (!api_req_body_object(r, NULL))
		return 0;
	size_t len;
	const char *text = api_req_body_text(r, &len);
	struct diags d;
	diags_init(&d);
	struct snapshot *s;
	int rc = snapshot_parse_pop(text, len, api_pop(api_req_api(r)), &s, &d);
	if (rc) {
		json_t *errs = diags_json(&d);
		api_error(r, 400, "invalid_snapshot", json_pack("{s:o}", "errors", errs),
		          "the snapshot is not valid: %s%s", d.n ? d.v[0].msg : "error",
		          d.nerrors > 1 ? " (and more, see details)" : "");
		diags_free(&d);
		return 0;
	}
	json_t *warnings = warnings_json(&d);
	diags_free(&d);
	if (capacity_refused(r, s)) {
		json_decref(warnings);
		snapshot_unref(s);
		return 0;
	}
	const struct api_change_hooks *h = api_change_hooks(api_req_api(r));
	if (!h) {
		network_store(r, s, warnings);
		snapshot_unref(s);
		return 0;
	}
	struct network_change *nc = malloc(sizeof *nc);
	if (!nc) {
		json_decref(warnings);
		snapshot_unref(s);
		return -ENOMEM;
	}
	*nc = (struct network_change){r, s, warnings};
	if ((rc = h->network(h->ctl, s, force_param(r), network_checked, nc))) {
		json_decref(warnings);
		snapshot_unref(s);
		free(nc);
		return rc;
	}
	return API_PENDING;
}

static int h_network_get(struct api_req *r, void *ud)
{
	struct snapshot *s = api_snapshot(api_req_api(r));
	if (!s) {
		api_error(r, 404, "no_snapshot", NULL, "no network snapshot yet; PUT /v1/network first");
		return 0;
	}
	json_t *j = json_loads(s->json, 0, NULL);
	json_int_t v = s->version;
	snapshot_unref(s);
	if (!j)
		return -ENOMEM;
	api_respond(r, 200, json_pack("{s:I, s:o}", "version", v, "snapshot", j));
	return 0;
}

/* --- policies ------------------------------------------------------------- */

static json_t *policy_json(const struct reg_policy *p)
{
	return json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)p->id, "text", p->text,
	                 "created_at", p->created_at ? p->created_at : "",
	                 "created_by", p->created_by ? p->created_by : "");
}

/* Store the policy text of r's body and answer; extra and audit (may be
 * NULL) hold members to add to the answer and to the audit row. */
static void policy_store(struct api_req *r, json_t *extra, json_t *audit)
{
	const char *text = json_string_value(json_object_get(api_req_body(r), "text"));
	int64_t id;
	int rc = reg_policy_add(api_registry(api_req_api(r)), text, api_req_principal(r)->who, &id);
	if (rc) {
		api_error_rc(r, rc, "storing the policy failed");
		return;
	}
	json_t *detail = json_pack("{s:I}", "id", (json_int_t)id);
	if (audit)
		json_object_update(detail, audit);
	api_req_audit_detail(r, detail);
	json_t *body = json_pack("{s:I, s:s}", "id", (json_int_t)id, "text", text);
	if (extra)
		json_object_update(body, extra);
	api_respond(r, 201, body);
}

static void policy_checked(void *ud, const struct ctl_answer *a)
{
	struct api_req *r = ud;
	if (a->status) {
		api_answer(r, a);
		return;
	}
	policy_store(r, a->body, a->audit);
}

static int h_policy_add(struct api_req *r, void *ud)
{
	static const char *const fields[] = {"text", "force", NULL};
	json_t *b = api_req_body_object(r, fields);
	if (!b)
		return 0;
	json_t *t = json_object_get(b, "text"), *force = json_object_get(b, "force");
	if (!t || !json_is_string(t) || json_string_length(t) == 0 ||
	    json_string_length(t) > POLICY_MAX_LEN ||
	    strlen(json_string_value(t)) != json_string_length(t)) {
		api_error(r, 400, t ? "invalid_policy" : "missing_field", json_pack("{s:s}", "field", "text"),
		          "text must be 1 to %d bytes of policy statements", POLICY_MAX_LEN);
		return 0;
	}
	if (force && !json_is_boolean(force)) {
		api_error(r, 400, "wrong_type", json_pack("{s:s}", "field", "force"),
		          "force must be a boolean");
		return 0;
	}
	const struct api_change_hooks *h = api_change_hooks(api_req_api(r));
	if (!h) {
		policy_store(r, NULL, NULL);
		return 0;
	}
	int rc = h->policy(h->ctl, json_string_value(t), json_is_true(force), policy_checked, r);
	return rc ? rc : API_PENDING;
}

static int h_policy_list(struct api_req *r, void *ud)
{
	struct reg_policy *v;
	size_t n;
	int rc = reg_policy_list(api_registry(api_req_api(r)), &v, &n);
	if (rc)
		return rc;
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, policy_json(&v[i]));
	reg_policies_free(v, n);
	api_respond(r, 200, json_pack("{s:o}", "policies", a));
	return 0;
}

static int h_policy_delete(struct api_req *r, void *ud)
{
	int64_t id = api_req_param_id(r, "id");
	int rc = id > 0 ? reg_policy_delete(api_registry(api_req_api(r)), id) : -ENOENT;
	if (rc == -ENOENT) {
		api_error(r, 404, "not_found", NULL, "no policy %s", api_req_param(r, "id"));
		return 0;
	}
	if (rc)
		return rc;
	api_req_audit_detail(r, json_pack("{s:I}", "id", (json_int_t)id));
	api_respond(r, 204, NULL);
	return 0;
}

/* --- platforms ------------------------------------------------------------ */

static int h_platforms(struct api_req *r, void *ud)
{
	struct api *api = api_req_api(r);
	struct reg_platform *v;
	size_t n;
	int rc = reg_platform_list(api_registry(api), &v, &n);
	if (rc)
		return rc;
	struct snapshot *s = api_snapshot(api);
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		/* the snapshot names the pop (rows stored before schema 7 do not) */
		int k = s ? snapshot_find(s, v[i].name) : -1;
		const char *pop = k >= 0 && s->nodes[k].pop ? s->nodes[k].pop
		                  : v[i].pop ? v[i].pop : api_pop(api);
		json_array_append_new(a, json_pack(
			"{s:s, s:s, s:s, s:I, s:I, s:f, s:s, s:b}", "name", v[i].name,
			"address", v[i].address, "pool", v[i].pool, "capacity", (json_int_t)v[i].capacity,
			"modules", (json_int_t)v[i].modules,
			"load", v[i].capacity ? (double)v[i].modules / (double)v[i].capacity : 0.0,
			"pop", pop, "served", !strcmp(pop, api_pop(api))));
	}
	reg_platforms_free(v, n);
	json_t *j = json_pack("{s:o, s:s, s:o}", "snapshot_version",
	                      s ? json_integer(s->version) : json_null(), "pop", api_pop(api),
	                      "platforms", a);
	snapshot_unref(s);
	api_respond(r, 200, j);
	return 0;
}

int api_register_core(struct api *api)
{
	static const struct api_route_def routes[] = {
		{"GET", "/v1/health", API_PUBLIC, h_health},
		{"GET", "/v1/whoami", API_ANY, h_whoami},
		{"GET", "/v1/config", API_ADMIN, h_config},
		{"GET", "/v1/audit", API_ADMIN, h_audit},
		{"POST", "/v1/tenants", API_ADMIN, h_tenant_create},
		{"GET", "/v1/tenants", API_ADMIN, h_tenant_list},
		{"GET", "/v1/tenants/{id}", API_ADMIN, h_tenant_get},
		{"DELETE", "/v1/tenants/{id}", API_ADMIN, h_tenant_delete},
		/* operator controls (docs/operator.md) */
		{"PATCH", "/v1/tenants/{id}", API_ADMIN, h_tenant_patch},
		{"POST", "/v1/tenants/{id}/suspend", API_ADMIN, h_tenant_suspend},
		{"POST", "/v1/tenants/{id}/resume", API_ADMIN, h_tenant_resume},
		{"POST", "/v1/tenants/{id}/token", API_ADMIN, h_tenant_token},
		{"PUT", "/v1/network", API_ADMIN, h_network_put},
		{"GET", "/v1/network", API_ADMIN, h_network_get},
		{"POST", "/v1/policies", API_ADMIN, h_policy_add},
		{"GET", "/v1/policies", API_ADMIN, h_policy_list},
		{"DELETE", "/v1/policies/{id}", API_ADMIN, h_policy_delete},
		{"GET", "/v1/platforms", API_ADMIN, h_platforms},
	};
	return api_routes(api, routes, sizeof routes / sizeof routes[0], NULL);
}
