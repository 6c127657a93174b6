/* What a tenant may see of a check report (docs/privacy.md). The job
 * builds one full report (stored with the module, and the operator's
 * view); a tenant gets ctl__report_view of it: its own modules' hops in
 * full, the operator's network as one "operator network" hop per stretch,
 * hosts nodes by their role, policies by number, and no address sets,
 * node or element names of the operator's network in any text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"
#include "snapshot/snapshot.h"

#define OPNET "operator network"

static bool is_own(const struct ctl_view *v, const char *node)
{
	for (size_t i = 0; node && i < v->nown; i++)
		if (v->own[i] && !strcmp(v->own[i], node))
			return true;
	return false;
}

/* What a tenant calls node `name`: its own name for its modules, the role
 * for hosts (the words its requirements use), else NULL (hidden). */
static const char *public_name(const struct ctl_view *v, const char *name)
{
	if (is_own(v, name))
		return name;
	int i = v->snap && name ? snapshot_find(v->snap, name) : -1;
	if (i < 0)
		return NULL;
	const struct snap_node *n = &v->snap->nodes[i];
	if (n->type != SNAP_HOSTS)
		return NULL;
	return n->role == SNAP_ROLE_CLIENT ? "client" : "internet";
}

/* ---- texts: messages, problems, notes ---- */

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '@' || c == '/' || c == '.';
}

/* The length of "node[:elem[:port]]" at s when node is a name to hide or
 * rename (*to), else 0. */
static size_t hidden_token(const struct ctl_view *v, const char *s, const char **to)
{
	size_t n = 0;
	while (name_char(s[n]))
		n++;
	if (!n || (!v->snap && !v->nhidden))
		return 0;
	char *name = strndup(s, n); /* names are as long as the operator made them */
	if (!name)
		return 0;
	bool extra = false;
	for (size_t i = 0; i < v->nhidden && !extra; i++)
		extra = v->hidden[i] && !strcmp(v->hidden[i], name);
	const char *pub = public_name(v, name);
	bool keep = is_own(v, name) || (!extra && (!v->snap || snapshot_find(v->snap, name) < 0)) ||
	            (pub && !strcmp(pub, name));
	free(name);
	if (keep)
		return 0;
	*to = pub ? pub : "the " OPNET;
	/* its element and port go with it */
	while (s[n] == ':' && name_char(s[n + 1]))
		for (n++; name_char(s[n]); n++)
			;
	return n;
}

/* text with every operator node name (and what follows it: ":elem:port")
 * replaced; NULL when out of memory. */
static char *scrub_text(const struct ctl_view *v, const char *text)
{
	size_t len = strlen(text), cap = len * 2 + 64, o = 0;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		const char *to = NULL;
		size_t n = (i == 0 || !name_char(text[i - 1])) ? hidden_token(v, text + i, &to) : 0;
		size_t add = n ? strlen(to) : 1;
		if (o + add + 1 > cap) {
			cap = (o + add + 1) * 2;
			char *p = realloc(out, cap);
			if (!p) {
				free(out);
				return NULL;
			}
			out = p;
		}
		if (n) {
			memcpy(out + o, to, add);
			o += add;
			i += n;
		} else {
			out[o++] = text[i++];
		}
	}
	out[o] = '\0';
	return out;
}

static void scrub_key(const struct ctl_view *v, json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	char *t = s ? scrub_text(v, s) : NULL;
	if (t)
		json_object_set_new(obj, key, json_string(t));
	free(t);
}

/* ---- traces ---- */

/* An address set ("SRC in {...}", "DST in 10.0.0.0-10.255.255.255") is
 * where routing and filtering of the operator's network show: only the
 * variable's name stays. */
static bool address_set(const char *val)
{
	return val && strchr(val, '.') &&
	       (strchr(val, '{') || strchr(val, '-') || strchr(val, '/') || strchr(val, ' '));
}

static void scrub_fields(json_t *fields)
{
	static const char *const addr[] = {"src", "dst"};
	for (size_t k = 0; k < 2; k++) {
		json_t *f = json_object_get(fields, addr[k]);
		const char *val = json_string_value(json_object_get(f, "value"));
		if (!address_set(val))
			continue;
		size_t n = strcspn(val, " =+-");
		json_object_set_new(f, "value", json_sprintf("%.*s in (hidden)", (int)n, val));
	}
}

/* The fields of a stretch of operator hops as one: the last hop's values,
 * changed where any hop of the stretch changed them. */
static void merge_changed(json_t *into, json_t *hop)
{
	const char *k;
	json_t *f;
	json_object_foreach(json_object_get(hop, "fields"), k, f) {
		json_t *g = json_object_get(json_object_get(into, "fields"), k);
		if (g && json_is_true(json_object_get(f, "changed")))
			json_object_set_new(g, "changed", json_true());
	}
	json_t *ch = json_object_get(into, "changed");
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(hop, "changed"), i, c) {
		bool have = false;
		size_t j;
		json_t *d;
		json_array_foreach(ch, j, d)
			have |= json_equal(c, d);
		if (!have)
			json_array_append(ch, c);
	}
}

static json_t *boundary_hop(json_t *h)
{
	json_t *b = json_pack("{s:s, s:n, s:n, s:O, s:O, s:O, s:b}", "node", OPNET, "port", "element",
	                      "fields", json_object_get(h, "fields"), "changed",
	                      json_object_get(h, "changed"), "layers", json_object_get(h, "layers"),
	                      "boundary", 1);
	if (b) { /* deep copies: merge_changed edits them */
		json_object_set_new(b, "fields", json_deep_copy(json_object_get(h, "fields")));
		json_object_set_new(b, "changed", json_deep_copy(json_object_get(h, "changed")));
	}
	return b;
}

static json_t *view_hops(const struct ctl_view *v, json_t *hops)
{
	json_t *out = json_array();
	json_t *stretch = NULL; /* the operator hops being merged */
	size_t i;
	json_t *h;
	json_array_foreach(hops, i, h) {
		const char *node = json_string_value(json_object_get(h, "node"));
		const char *pub = public_name(v, node);
		if (pub && is_own(v, node)) {
			stretch = NULL;
			json_array_append_new(out, json_deep_copy(h));
		} else if (pub) { /* a hosts node: where the flow starts or ends */
			stretch = NULL;
			json_t *e = json_deep_copy(h);
			json_object_set_new(e, "node", json_string(pub));
			json_array_append_new(out, e);
		} else if (stretch) {
			json_object_set(stretch, "layers", json_object_get(h, "layers"));
			json_t *last = json_deep_copy(json_object_get(h, "fields"));
			json_t *old = json_object_get(stretch, "fields");
			/* the values as the stretch's last hop leaves them */
			const char *k;
			json_t *f;
			json_object_foreach(last, k, f)
				if (json_is_true(json_object_get(json_object_get(old, k), "changed")))
					json_object_set_new(f, "changed", json_true());
			json_object_set_new(stretch, "fields", last);
			merge_changed(stretch, h);
		} else {
			stretch = boundary_hop(h);
			json_array_append_new(out, stretch);
		}
	}
	json_array_foreach(out, i, h)
		scrub_fields(json_object_get(h, "fields"));
	return out;
}

/* Does any hop show addr as a value (then the witness may too)? */
static bool shown(json_t *hops, const char *addr)
{
	size_t i;
	json_t *h;
	json_array_foreach(hops, i, h) {
		const char *k;
		json_t *f;
		json_object_foreach(json_object_get(h, "fields"), k, f) {
			const char *val = json_string_value(json_object_get(f, "value"));
			const char *p = val ? strstr(val, addr) : NULL;
			size_t n = strlen(addr);
			if (p && (p == val || p[-1] == '=') && !name_char(p[n]))
				return true;
		}
	}
	return false;
}

static json_t *view_trace(const struct ctl_view *v, json_t *t)
{
	if (!json_is_object(t))
		return json_incref(t);
	/* copies of what is edited; the hops are made anew */
	json_t *o = json_object();
	const char *key;
	json_t *x;
	json_object_foreach(t, key, x)
		if (strcmp(key, "hops"))
			json_object_set_new(o, key, json_deep_copy(x));
	json_t *hops = view_hops(v, json_object_get(t, "hops"));
	json_object_set_new(o, "hops", hops);
	static const char *const addr[] = {"src", "dst"};
	json_t *w = json_object_get(o, "witness");
	for (size_t k = 0; k < 2; k++) {
		const char *a = json_string_value(json_object_get(w, addr[k]));
		if (a && !shown(hops, a))
			json_object_set_new(w, addr[k], json_string("hidden"));
	}
	json_t *vars = json_object_get(o, "variables");
	const char *k;
	json_t *val;
	void *tmp;
	json_object_foreach_safe(vars, tmp, k, val)
		if (address_set(json_string_value(val)))
			json_object_del(vars, k);
	scrub_key(v, o, "approximate");
	return o;
}

/* ---- the report's parts ---- */

static json_t *view_any(const struct ctl_view *v, json_t *x, const char *key);

/* The operator's policies: verdicts by number, never their text. */
static json_t *view_policies(const struct ctl_view *v, json_t *p)
{
	json_t *res = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(p, "results"), i, r) {
		json_t *e = json_pack("{s:I, s:O?}", "policy", (json_int_t)i + 1, "verdict",
		                      json_object_get(r, "verdict"));
		if (v->detail == CTL_DETAIL_BOUNDARY && json_object_get(r, "trace"))
			json_object_set_new(e, "trace", view_trace(v, json_object_get(r, "trace")));
		json_array_append_new(res, e);
	}
	return json_pack("{s:O?, s:o}", "ok", json_object_get(p, "ok"), "results", res);
}

/* A failure: a policy's by its number. */
static void view_failure(json_t *o)
{
	if (strcmp(json_string_value(json_object_get(o, "kind")) ?: "", "policy"))
		return;
	json_object_del(o, "statement");
	json_object_set_new(o, "message", json_string("an operator policy does not hold with the "
	                                               "module in place"));
}

static json_t *view_object(const struct ctl_view *v, json_t *x)
{
	json_t *o = json_object();
	const char *k;
	json_t *val;
	json_object_foreach(x, k, val) {
		json_t *n = view_any(v, val, k);
		if (n)
			json_object_set_new(o, k, n);
	}
	view_failure(o);
	return o;
}

/* x as the viewer sees it (new reference), NULL to leave key out. */
static json_t *view_any(const struct ctl_view *v, json_t *x, const char *key)
{
	bool tr = key && (!strcmp(key, "trace") || !strcmp(key, "loop_trace"));
	if (tr)
		return v->detail == CTL_DETAIL_NONE ? NULL : view_trace(v, x);
	if (key && !strcmp(key, "policies") && json_is_object(x))
		return view_policies(v, x);
	if (json_is_string(x)) {
		if (key && strcmp(key, "message") && strcmp(key, "problem") && strcmp(key, "notes") &&
		    strcmp(key, "approximate") && strcmp(key, "transit_message"))
			return json_incref(x);
		char *t = scrub_text(v, json_string_value(x));
		json_t *s = t ? json_string(t) : NULL;
		free(t);
		return s;
	}
	if (json_is_array(x)) {
		json_t *a = json_array();
		size_t i;
		json_t *e;
		json_array_foreach(x, i, e) {
			json_t *n = view_any(v, e, key && !strcmp(key, "notes") ? "notes" : NULL);
			if (n)
				json_array_append_new(a, n);
		}
		return a;
	}
	if (json_is_object(x))
		return view_object(v, x);
	return json_incref(x);
}

json_t *ctl__report_view(json_t *full, const struct ctl_view *v)
{
	if (!full)
		return NULL;
	if (v->detail == CTL_DETAIL_FULL)
		return json_incref(full);
	return view_any(v, full, NULL);
}
