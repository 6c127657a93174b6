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

/* Submit a handler's statements; on failure arg is freed with free_fn and
 * the handler returns the error (answered 500/503 as a handler's). */
static int submit(struct api_req *r, reg_work_fn work, reg_done_fn done, void *arg,
                  void (*free_fn)(void *))
{
	int rc = api_registry_submit(api_req_api(r), work, done, arg);
	if (rc)
		free_fn(arg);
	return rc ? rc : API_PENDING;
}

/* GET /v1/audit: the newest rows. */
struct audit_list {
	struct api_req *r;
	int limit;
	json_t *rows; /* made on the registry thread, handed to done */
};

static int audit_list_work(struct registry *reg, void *arg)
{
	struct audit_list *a = arg;
	return reg_audit_list(reg, a->limit, &a->rows);
}

static void audit_list_done(void *arg, int rc)
{
	struct audit_list *a = arg;
	if (rc)
		api_fail(a->r, rc);
	else
		api_respond(a->r, 200, json_pack("{s:o}", "audit", a->rows));
	free(a);
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
	api_audit_flush(api_req_api(r)); /* every row answered so far, before the read */
	struct audit_list *a = calloc(1, sizeof *a);
	if (!a)
		return -ENOMEM;
	a->r = r;
	a->limit = limit;
	return submit(r, audit_list_work, audit_list_done, a, free);
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

/* A tenant handler's statements: what the request asks (on the loop),
 * what the registry thread read or wrote, answered in the done function. */
struct tenant_call {
	struct api_req *r;
	int64_t id;
	struct reg_tenant t;    /* the new tenant, or the row read */
	struct reg_tenant *v;   /* GET /v1/tenants */
	size_t n;
	bool suspend, was;      /* suspend/resume: asked, and before */
	char token[AUTH_TOKEN_MAX];
	uint8_t hash[REG_HASH_LEN];
	struct reg_tenant patch; /* PATCH: quotas -1 when not given */
	bool addresses, whitelist; /* PATCH: given */
	json_t *changed;        /* PATCH: the fields given */
	json_t *killed;         /* DELETE ?force=true: its modules killed */
	bool with_ctl;          /* suspend/resume: a controller holds its modules */
	bool have_mods;         /* mods read (suspend/resume) or killed (DELETE ?force) */
	struct ctl_modules mods;
};

static void tenant_call_free(void *arg)
{
	struct tenant_call *c = arg;
	reg_tenant_release(&c->t);
	reg_tenant_release(&c->patch);
	if (c->v)
		reg_tenants_free(c->v, c->n);
	json_decref(c->changed);
	json_decref(c->killed);
	if (c->have_mods)
		ctl_modules_release(&c->mods);
	free(c);
}

static struct tenant_call *tenant_call_new(struct api_req *r)
{
	struct tenant_call *c = calloc(1, sizeof *c);
	if (c) {
		c->r = r;
		c->id = api_req_param_id(r, "id");
	}
	return c;
}

static void no_tenant(struct api_req *r)
{
	api_error(r, 404, "not_found", NULL, "no tenant %s", api_req_param(r, "id"));
}

static int tenant_add_work(struct registry *reg, void *arg)
{
	struct tenant_call *c = arg;
	return reg_tenant_add(reg, &c->t, c->hash);
}

static void tenant_added(void *arg, int rc)
{
	struct tenant_call *c = arg;
	struct api_req *r = c->r;
	if (rc == -EEXIST) {
		api_error(r, 409, "conflict", json_pack("{s:s, s:s}", "field", "name", "value", c->t.name),
		          "a tenant called '%s' exists already", c->t.name);
	} else if (rc) {
		api_fail(r, rc);
	} else {
		const struct reg_tenant *t = &c->t;
		json_t *j = reg_tenant_json(t);
		api_req_audit_detail(r, json_pack("{s:I, s:s}", "id", (json_int_t)t->id, "name", t->name));
		log_info("api", "tenant %lld '%s' (%s) created", (long long)t->id, t->name,
		         reg_kind_name(t->kind));
		json_object_set_new(j, "token", json_string(c->token));
		api_respond(r, 201, j);
	}
	tenant_call_free(c);
}

static int h_tenant_create(struct api_req *r, void *ud)
{
	static const char *const fields[] = {"name", "kind", "addresses", "whitelist", "quotas", NULL};
	json_t *b = api_req_body_object(r, fields);
	if (!b)
		return 0;
	struct tenant_call *c = tenant_call_new(r);
	if (!c)
		return -ENOMEM;
	int rc = read_tenant(r, b, &c->t);
	if (!rc && !(rc = auth_token_new("innet-t-", c->token, sizeof c->token)))
		auth_token_hash(c->token, strlen(c->token), c->hash);
	if (rc) {
		tenant_call_free(c);
		return rc == -EINVAL ? 0 : rc; /* (answered) */
	}
	return submit(r, tenant_add_work, tenant_added, c, tenant_call_free);
}

static int tenant_list_work(struct registry *reg, void *arg)
{
	struct tenant_call *c = arg;
	return reg_tenant_list(reg, &c->v, &c->n);
}

static void tenant_listed(void *arg, int rc)
{
	struct tenant_call *c = arg;
	if (rc) {
		c->v = NULL;
		api_fail(c->r, rc);
	} else {
		json_t *a = json_array();
		for (size_t i = 0; i < c->n; i++)
			json_array_append_new(a, reg_tenant_json(&c->v[i]));
		api_respond(c->r, 200, json_pack("{s:o}", "tenants", a));
	}
	tenant_call_free(c);
}

static int h_tenant_list(struct api_req *r, void *ud)
{
	struct tenant_call *c = tenant_call_new(r);
	if (!c)
		return -ENOMEM;
	return submit(r, tenant_list_work, tenant_listed, c, tenant_call_free);
}

static int tenant_get_work(struct registry *reg, void *arg)
{
	struct tenant_call *c = arg;
	return reg_tenant_get(reg, c->id, &c->t);
}

static void tenant_got(void *arg, int rc)
{
	struct tenant_call *c = arg;
	if (rc == -ENOENT)
		no_tenant(c->r);
	else if (rc)
		api_fail(c->r, rc);
	else
		api_respond(c->r, 200, reg_tenant_json(&c->t));
	tenant_call_free(c);
}

static int h_tenant_get(struct api_req *r, void *ud)
{
	if (api_req_param_id(r, "id") <= 0) {
		no_tenant(r);
		return 0;
	}
	struct tenant_call *c = tenant_call_new(r);
	if (!c)
		return -ENOMEM;
	return submit(r, tenant_get_work, tenant_got, c, tenant_call_free);
}

/* The controller behind the API (NULL in an API without one). */
static struct ctl *api_ctl(struct api_req *r)
{
	const struct api_change_hooks *h = api_change_hooks(api_req_api(r));
	return h ? h->ctl : NULL;
}

static int tenant_delete_work(struct registry *reg, void *arg)
{
	struct tenant_call *c = arg;
	return reg_tenant_delete(reg, c->id);
}

/* ?force=true (docs/operator.md): the tenant exists, its live modules are
 * killed in one transaction, then its row is deleted; the modules leave
 * the platform in done (also when the delete then failed: they are
 * killed). */
static int tenant_kill_delete_work(struct registry *reg, void *arg)
{
	struct tenant_call *c = arg;
	struct reg_tenant t;
	int rc = reg_tenant_get(reg, c->id, &t);
	if (rc)
		return rc;
	reg_tenant_release(&t);
	if ((rc = reg_begin(reg)) || (rc = ctl_modules_kill(reg, c->id, &c->mods)))
		goto fail;
	if ((rc = reg_commit(reg))) {
		ctl_modules_release(&c->mods);
		goto fail;
	}
	c->have_mods = true;
	return reg_tenant_delete(reg, c->id);
fail:
	reg_rollback(reg);
	return rc;
}

static void tenant_deleted(void *arg, int rc)
{
	struct tenant_call *c = arg;
	struct api_req *r = c->r;
	if (c->have_mods)
		ctl_tenant_killed(api_ctl(r), c->id, &c->mods, &c->killed);
	if (rc == -ENOENT) {
		no_tenant(r);
	} else if (rc == -EBUSY) {
		api_error(r, 409, "tenant_has_modules", NULL,
		          "tenant %lld still has modules; kill them first or delete with ?force=true",
		          (long long)c->id);
	} else if (rc) {
		api_fail(r, rc);
	} else {
		json_t *killed = c->killed;
		api_req_audit_detail(r, json_pack("{s:I, s:b, s:O}", "id", (json_int_t)c->id, "force",
		                                  killed != NULL, "killed", killed ? killed : json_null()));
		log_info("api", "tenant %lld deleted%s", (long long)c->id, killed ? " with its modules" : "");
		api_respond(r, 204, NULL);
	}
	tenant_call_free(c);
}

static int h_tenant_delete(struct api_req *r, void *ud)
{
	if (api_req_param_id(r, "id") <= 0) {
		no_tenant(r);
		return 0;
	}
	struct tenant_call *c = tenant_call_new(r);
	if (!c)
		return -ENOMEM;
	/* ?force=true: its modules are killed first, off the platform
	 * (docs/operator.md) */
	if (force_param(r) && api_ctl(r))
		return submit(r, tenant_kill_delete_work, tenant_deleted, c, tenant_call_free);
	return submit(r, tenant_delete_work, tenant_deleted, c, tenant_call_free);
}

/* Suspend or resume: the registry first (its token is refused from the
 * next request on), then its modules held or released. */
static int tenant_suspend_work(struct registry *reg, void *arg)
{
	struct tenant_call *c = arg;
	int rc = reg_tenant_get(reg, c->id, &c->t);
	if (rc)
		return rc;
	c->was = c->t.suspended_at != NULL;
	reg_tenant_release(&c->t);
	memset(&c->t, 0, sizeof c->t);
	if (!(rc = reg_tenant_set_suspended(reg, c->id, c->suspend)))
		rc = reg_tenant_get(reg, c->id, &c->t);
	if (rc)
		return rc == -ENOENT ? -EIO : rc; /* (404 only when the first read found none) */
	/* its modules, to hold or release (with their saved states) in done */
	if (c->with_ctl && !ctl_modules_read(reg, c->id, c->suspend ? 0 : CTL_MODULES_STATES, &c->mods))
		c->have_mods = true;
	return 0;
}

static void tenant_suspended(void *arg, int rc)
{
	struct tenant_call *c = arg;
	struct api_req *r = c->r;
	const struct reg_tenant *t = &c->t;
	if (rc == -ENOENT) {
		no_tenant(r);
	} else if (rc) {
		api_fail(r, rc);
	} else {
		int n = c->have_mods ? ctl_tenant_hold(api_ctl(r), t->id, c->suspend, &c->mods) : 0;
		json_t *j = reg_tenant_json(t);
		json_object_set_new(j, c->suspend ? "modules_held" : "modules_released",
		                    json_integer(n < 0 ? 0 : n));
		api_req_audit_detail(r, json_pack("{s:I, s:s, s:b, s:i}", "id", (json_int_t)t->id, "name",
		                                  t->name, "changed", c->was != c->suspend, "modules",
		                                  n < 0 ? 0 : n));
		log_info("api", "tenant %lld '%s' %s", (long long)t->id, t->name,
		         c->suspend ? "suspended" : "resumed");
		api_respond(r, 200, j);
	}
	tenant_call_free(c);
}

static int tenant_suspend(struct api_req *r, bool suspend)
{
	if (api_req_param_id(r, "id") <= 0) {
		no_tenant(r);
		return 0;
	}
	struct tenant_call *c = tenant_call_new(r);
	if (!c)
		return -ENOMEM;
	c->suspend = suspend;
	c->with_ctl = api_ctl(r) != NULL;
	return submit(r, tenant_suspend_work, tenant_suspended, c, tenant_call_free);
}

static int h_tenant_suspend(struct api_req *r, void *ud)
{
	return tenant_suspend(r, true);
}

static int h_tenant_resume(struct api_req *r, void *ud)
{
	return tenant_suspend(r, false);
}

static int tenant_token_work(struct registry *reg, void *arg)
{
	struct tenant_call *c = arg;
	int rc = reg_tenant_get(reg, c->id, &c->t);
	if (rc)
		return rc;
	rc = reg_tenant_set_token(reg, c->t.id, c->hash);
	return rc == -ENOENT ? -EIO : rc; /* (404 only when the read found none) */
}

static void tenant_token_set(void *arg, int rc)
{
	struct tenant_call *c = arg;
	struct api_req *r = c->r;
	const struct reg_tenant *t = &c->t;
	if (rc == -ENOENT) {
		no_tenant(r);
	} else if (rc) {
		api_fail(r, rc);
	} else {
		api_req_audit_detail(r, json_pack("{s:I, s:s}", "id", (json_int_t)t->id, "name", t->name));
		log_info("api", "tenant %lld '%s': token rotated", (long long)t->id, t->name);
		api_respond(r, 200, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)t->id, "name", t->name,
		                              "token", c->token));
	}
	tenant_call_free(c);
}

/* A new token; the old one stops matching at once. Shown once, never in
 * the audit row. */
static int h_tenant_token(struct api_req *r, void *ud)
{
	if (api_req_param_id(r, "id") <= 0) {
		no_tenant(r);
		return 0;
	}
	struct tenant_call *c = tenant_call_new(r);
	if (!c)
		return -ENOMEM;
	int rc = auth_token_new("innet-t-", c->token, sizeof c->token);
	if (rc) {
		tenant_call_free(c);
		return rc;
	}
	auth_token_hash(c->token, strlen(c->token), c->hash);
	return submit(r, tenant_token_work, tenant_token_set, c, tenant_call_free);
}

/* PATCH on the registry thread: the row read, the fields given applied,
 * the row written (read and write in one work, so nothing of this innetd
 * comes between). */
static int tenant_patch_work(struct registry *reg, void *arg)
{
	struct tenant_call *c = arg;
	struct reg_tenant *t = &c->t, *p = &c->patch;
	int rc = reg_tenant_get(reg, c->id, t);
	if (rc)
		return rc;
	int64_t *const to[] = {&t->quota_modules, &t->quota_memory_mb, &t->quota_starts_per_min,
	                       &t->quota_rps, &t->quota_flows, &t->quota_inflight};
	const int64_t from[] = {p->quota_modules, p->quota_memory_mb, p->quota_starts_per_min,
	                        p->quota_rps, p->quota_flows, p->quota_inflight};
	for (size_t i = 0; i < sizeof from / sizeof from[0]; i++)
		if (from[i] >= 0)
			*to[i] = from[i];
	if (c->addresses) {
		free(t->addresses);
		t->addresses = p->addresses;
		t->naddresses = p->naddresses;
		p->addresses = NULL;
	}
	if (c->whitelist) {
		free(t->whitelist);
		t->whitelist = p->whitelist;
		t->nwhitelist = p->nwhitelist;
		p->whitelist = NULL;
	}
	rc = reg_tenant_update(reg, t);
	return rc == -ENOENT ? -EIO : rc; /* (404 only when the read found none) */
}

static void tenant_patched(void *arg, int rc)
{
	struct tenant_call *c = arg;
	struct api_req *r = c->r;
	const struct reg_tenant *t = &c->t;
	if (rc == -ENOENT) {
		no_tenant(r);
	} else if (rc) {
		api_fail(r, rc);
	} else {
		if (api_ctl(r))
			ctl_tenant_changed(api_ctl(r), t->id);
		api_req_audit_detail(r, json_pack("{s:I, s:s, s:O}", "id", (json_int_t)t->id, "name",
		                                  t->name, "changed", c->changed));
		log_info("api", "tenant %lld '%s' changed", (long long)t->id, t->name);
		api_respond(r, 200, reg_tenant_json(t));
	}
	tenant_call_free(c);
}

/* PATCH: the fields given replace the tenant's (quotas key by key; null
 * addresses or whitelist: none), validated as POST does; name and kind
 * stay. The body is validated before the tenant is read. */
static int h_tenant_patch(struct api_req *r, void *ud)
{
	static const char *const fields[] = {"addresses", "whitelist", "quotas", NULL};
	json_t *b = api_req_body_object(r, fields);
	if (!b)
		return 0;
	if (api_req_param_id(r, "id") <= 0) {
		no_tenant(r);
		return 0;
	}
	struct tenant_call *c = tenant_call_new(r);
	if (!c)
		return -ENOMEM;
	struct reg_tenant *p = &c->patch;
	p->quota_modules = p->quota_memory_mb = p->quota_starts_per_min = -1; /* not given */
	p->quota_rps = p->quota_flows = p->quota_inflight = -1;
	c->addresses = json_object_get(b, "addresses") != NULL;
	c->whitelist = json_object_get(b, "whitelist") != NULL;
	int rc = read_quotas(r, json_object_get(b, "quotas"), p);
	if (!rc && c->addresses)
		rc = read_prefixes(r, b, "addresses", &p->addresses, &p->naddresses);
	if (!rc && c->whitelist)
		rc = read_prefixes(r, b, "whitelist", &p->whitelist, &p->nwhitelist);
	if (!rc && !(c->changed = json_array()))
		rc = -ENOMEM;
	if (rc) {
		tenant_call_free(c);
		return rc == -EINVAL ? 0 : rc; /* (answered) */
	}
	for (const char *const *f = fields; *f; f++)
		if (json_object_get(b, *f))
			json_array_append_new(c->changed, json_string(*f));
	return submit(r, tenant_patch_work, tenant_patched, c, tenant_call_free);
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

/* PUT /v1/network: s stored on the registry thread, made current and
 * answered on the loop. */
struct network_put {
	struct api_req *r;
	struct snapshot *s;  /* its version set by the store */
	json_t *warnings;
	char who[32];
	char *busy;          /* -EBUSY: the platform that would disappear */
};

static void network_put_free(void *arg)
{
	struct network_put *np = arg;
	snapshot_unref(np->s);
	json_decref(np->warnings);
	free(np->busy);
	free(np);
}

static int network_put_work(struct registry *reg, void *arg)
{
	struct network_put *np = arg;
	return reg_snapshot_put(reg, np->s, np->who, &np->busy);
}

static void network_stored(void *arg, int rc)
{
	struct network_put *np = arg;
	struct api_req *r = np->r;
	struct api *api = api_req_api(r);
	struct snapshot *s = np->s;
	if (rc == -EBUSY) {
		const char *busy = np->busy ? np->busy : "?";
		api_error(r, 409, "platform_in_use", json_pack("{s:s}", "platform", busy),
		          "platform '%s' hosts modules and would disappear", busy);
		network_put_free(np);
		return;
	}
	if (rc) {
		api_error_rc(r, rc, "internal error");
		network_put_free(np);
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
	if (np->warnings) {
		log_warn("api", "network snapshot version %lld uses the old platform form "
		         "(local/peer_url): %zu warning(s)", (long long)s->version,
		         json_array_size(np->warnings));
		json_object_set_new(body, "warnings", np->warnings);
		np->warnings = NULL;
	}
	api_respond(r, 200, body);
	network_put_free(np);
}

/* Store s (a new reference is taken) as the current network and answer,
 * with warnings (stolen; may be NULL). */
static void network_store(struct api_req *r, struct snapshot *s, json_t *warnings)
{
	struct network_put *np = calloc(1, sizeof *np);
	if (!np) {
		json_decref(warnings);
		api_fail(r, -ENOMEM);
		return;
	}
	*np = (struct network_put){.r = r, .s = snapshot_ref(s), .warnings = warnings};
	snprintf(np->who, sizeof np->who, "%s", api_req_principal(r)->who);
	int rc = api_registry_submit(api_req_api(r), network_put_work, network_stored, np);
	if (rc) {
		network_put_free(np);
		api_fail(r, rc);
	}
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

/* POST /v1/policies: the text stored on the registry thread; extra and
 * audit (may be NULL) hold members to add to the answer and to the audit
 * row. */
struct policy_put {
	struct api_req *r;
	char *text;
	char who[32];
	int64_t id;
	json_t *extra, *audit;
};

static void policy_put_free(void *arg)
{
	struct policy_put *pp = arg;
	free(pp->text);
	json_decref(pp->extra);
	json_decref(pp->audit);
	free(pp);
}

static int policy_put_work(struct registry *reg, void *arg)
{
	struct policy_put *pp = arg;
	return reg_policy_add(reg, pp->text, pp->who, &pp->id);
}

static void policy_stored(void *arg, int rc)
{
	struct policy_put *pp = arg;
	struct api_req *r = pp->r;
	if (rc) {
		api_error_rc(r, rc, "storing the policy failed");
		policy_put_free(pp);
		return;
	}
	json_t *detail = json_pack("{s:I}", "id", (json_int_t)pp->id);
	if (pp->audit)
		json_object_update(detail, pp->audit);
	api_req_audit_detail(r, detail);
	json_t *body = json_pack("{s:I, s:s}", "id", (json_int_t)pp->id, "text", pp->text);
	if (pp->extra)
		json_object_update(body, pp->extra);
	api_respond(r, 201, body);
	policy_put_free(pp);
}

/* Store the policy text of r's body and answer; extra and audit are
 * borrowed. */
static void policy_store(struct api_req *r, json_t *extra, json_t *audit)
{
	const char *text = json_string_value(json_object_get(api_req_body(r), "text"));
	struct policy_put *pp = calloc(1, sizeof *pp);
	if (!pp || !(pp->text = strdup(text))) {
		free(pp);
		api_error_rc(r, -ENOMEM, "storing the policy failed");
		return;
	}
	pp->r = r;
	snprintf(pp->who, sizeof pp->who, "%s", api_req_principal(r)->who);
	pp->extra = json_incref(extra);
	pp->audit = json_incref(audit);
	int rc = api_registry_submit(api_req_api(r), policy_put_work, policy_stored, pp);
	if (rc) {
		policy_put_free(pp);
		api_error_rc(r, rc, "storing the policy failed");
	}
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

/* GET /v1/policies, DELETE /v1/policies/{id}, GET /v1/platforms: one
 * statement each on the registry thread, answered in done. */
struct list_call {
	struct api_req *r;
	int64_t id;
	void *v;
	size_t n;
};

static int policy_list_work(struct registry *reg, void *arg)
{
	struct list_call *c = arg;
	return reg_policy_list(reg, (struct reg_policy **)&c->v, &c->n);
}

static void policies_listed(void *arg, int rc)
{
	struct list_call *c = arg;
	if (rc) {
		api_fail(c->r, rc);
	} else {
		struct reg_policy *v = c->v;
		json_t *a = json_array();
		for (size_t i = 0; i < c->n; i++)
			json_array_append_new(a, policy_json(&v[i]));
		reg_policies_free(v, c->n);
		api_respond(c->r, 200, json_pack("{s:o}", "policies", a));
	}
	free(c);
}

static int h_policy_list(struct api_req *r, void *ud)
{
	struct list_call *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->r = r;
	return submit(r, policy_list_work, policies_listed, c, free);
}

static int policy_delete_work(struct registry *reg, void *arg)
{
	struct list_call *c = arg;
	return reg_policy_delete(reg, c->id);
}

static void policy_deleted(void *arg, int rc)
{
	struct list_call *c = arg;
	struct api_req *r = c->r;
	if (rc == -ENOENT) {
		api_error(r, 404, "not_found", NULL, "no policy %s", api_req_param(r, "id"));
	} else if (rc) {
		api_fail(r, rc);
	} else {
		api_req_audit_detail(r, json_pack("{s:I}", "id", (json_int_t)c->id));
		api_respond(r, 204, NULL);
	}
	free(c);
}

static int h_policy_delete(struct api_req *r, void *ud)
{
	int64_t id = api_req_param_id(r, "id");
	if (id <= 0) {
		api_error(r, 404, "not_found", NULL, "no policy %s", api_req_param(r, "id"));
		return 0;
	}
	struct list_call *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->r = r;
	c->id = id;
	return submit(r, policy_delete_work, policy_deleted, c, free);
}

/* --- platforms ------------------------------------------------------------ */

static int platform_list_work(struct registry *reg, void *arg)
{
	struct list_call *c = arg;
	return reg_platform_list(reg, (struct reg_platform **)&c->v, &c->n);
}

static json_t *platforms_json(struct api *api, const struct snapshot *s,
                              const struct reg_platform *v, size_t n)
{
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
	return a;
}

static void platforms_listed(void *arg, int rc)
{
	struct list_call *c = arg;
	struct api *api = api_req_api(c->r);
	if (rc) {
		api_fail(c->r, rc);
		free(c);
		return;
	}
	struct snapshot *s = api_snapshot(api);
	json_t *a = platforms_json(api, s, c->v, c->n);
	reg_platforms_free(c->v, c->n);
	json_t *j = json_pack("{s:o, s:s, s:o}", "snapshot_version",
	                      s ? json_integer(s->version) : json_null(), "pop", api_pop(api),
	                      "platforms", a);
	snapshot_unref(s);
	api_respond(c->r, 200, j);
	free(c);
}

static int h_platforms(struct api_req *r, void *ud)
{
	struct list_call *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->r = r;
	return submit(r, platform_list_work, platforms_listed, c, free);
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
