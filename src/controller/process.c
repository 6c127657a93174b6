/* The operator's catalogue of process-backed stock modules (controller.h,
 * "process-backed stock modules"; docs/process-modules.md): parsed once at
 * start from a JSON file, then constant. Each entry is a program (a Debian
 * package, an argv template, configuration file templates), typed
 * parameters, the ports it listens on and default quotas. Templates use
 * @{param} as the Click templates do, @{param[]} to repeat a line once per
 * item of a prefix list, and @{dir} for the module's scratch directory.
 * Only typed values render: every value is made of characters that cannot
 * start configuration syntax in nginx, unbound or squid (digits, letters,
 * '.', '-', '/', ':'). */
#include "controller/controller.h"
#include "controller/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/inet.h"

enum ptype { PT_PORT, PT_INT, PT_IPV4, PT_PREFIXES, PT_CHOICE, PT_HOSTNAME };
static const char *const ptype_names[] = {"port", "integer", "ipv4", "prefixes", "choice", "hostname"};

#define PROC_MAX_PARAMS 16
#define PROC_MAX_ITEMS 64    /* prefixes per list parameter */
#define PROC_MAX_ARGV 32
#define PROC_MAX_FILES 8
#define PROC_MAX_LISTEN 8
#define PROC_MAX_TEXT (64 << 10) /* one file template */

struct pparam {
	char *name, *doc;
	enum ptype type;
	bool required;
	bool own;           /* prefixes: each must lie within the tenant's own prefixes */
	long long min, max; /* int, port; prefixes: most items */
	json_t *dflt;       /* a value as a tenant would give it; NULL when required */
	json_t *choices;    /* choice: array of strings */
};

struct pfile {
	char *path, *tmpl;
};

struct pentry {
	char *name, *summary, *package;
	char *argv[PROC_MAX_ARGV];
	size_t argc;
	struct pfile files[PROC_MAX_FILES];
	size_t nfiles;
	struct pparam params[PROC_MAX_PARAMS];
	size_t nparams;
	struct ctl_process_port listen[PROC_MAX_LISTEN];
	size_t nlisten;
	uint32_t memory_mb, cpu_percent, pids;
	char *missing; /* why its program cannot run on this host (NULL: it can) */
	uint32_t min_memory_mb; /* the least its program runs in (0: not declared) */
};

struct ctl_proccat {
	struct pentry *v;
	size_t n;
};

/* ---- typed values: each one becomes a list of safe words (errors:
 * ctl__path_error, shared with stock.c) ---- */

struct pval {
	size_t n;
	char item[PROC_MAX_ITEMS][24]; /* an address, prefix, port, choice word */
	char host[256];                /* a hostname (item[0] unused) */
};

static bool safe_word(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '-' || *s == '_'))
			return false;
	return true;
}

/* LDH labels of 1 to 63 characters, not starting or ending with '-', at
 * most 253 in all; lower-cased, a final dot dropped. */
static bool hostname_ok(const char *s, size_t n, char *out)
{
	if (n && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
		out[i] = c;
	}
	if (s[n - 1] == '-')
		return false;
	out[n] = '\0';
	return true;
}

static bool choice_in(json_t *choices, const char *v)
{
	size_t i;
	json_t *c;
	json_array_foreach(choices, i, c)
		if (!strcmp(json_string_value(c), v))
			return true;
	return false;
}

/* v (a tenant's JSON value) as p's words; field names it in errors. */
static int typed_value(const struct pparam *p, json_t *v, const char *field, struct pval *out,
                       struct diags *d)
{
	memset(out, 0, sizeof *out);
	out->n = 1;
	switch (p->type) {
	case PT_PORT:
	case PT_INT:
		if (!json_is_integer(v))
			return ctl__path_error(d, field, "%s must be an integer", field);
		if (json_integer_value(v) < p->min || json_integer_value(v) > p->max)
			return ctl__path_error(d, field, "%s must be from %lld to %lld", field, p->min, p->max);
		snprintf(out->item[0], sizeof out->item[0], "%lld", (long long)json_integer_value(v));
		return 0;
	case PT_IPV4: {
		uint32_t a;
		if (!json_is_string(v) || inet_parse_addr(json_string_value(v), json_string_length(v), &a))
			return ctl__path_error(d, field, "%s must be an IPv4 address like \"192.0.2.10\"", field);
		inet_format_addr(a, out->item[0]);
		return 0;
	}
	case PT_CHOICE:
		if (!json_is_string(v) || !choice_in(p->choices, json_string_value(v)))
			return ctl__path_error(d, field, "%s must be one of the choices GET /v1/stock lists", field);
		snprintf(out->item[0], sizeof out->item[0], "%s", json_string_value(v));
		return 0;
	case PT_HOSTNAME:
		if (!json_is_string(v) || !hostname_ok(json_string_value(v), json_string_length(v), out->host))
			return ctl__path_error(d, field, "%s must be a host name: labels of letters, digits and '-' "
			                         "separated by dots, like \"www.example.com\"", field);
		return 0;
	case PT_PREFIXES: {
		if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > (size_t)p->max)
			return ctl__path_error(d, field, "%s must be an array of 1 to %lld IPv4 prefixes", field, p->max);
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) {
			struct inet_prefix pf;
			if (!json_is_string(e) ||
			    inet_parse_prefix(json_string_value(e), json_string_length(e), false, &pf)) {
				char f2[512];
				snprintf(f2, sizeof f2, "%.400s[%zu]", field, i);
				return ctl__path_error(d, f2, "%s must be an IPv4 prefix like \"10.0.0.0/8\" (no host bits)", f2);
			}
			inet_format_prefix(pf, out->item[i]);
		}
		out->n = json_array_size(v);
		return 0;
	}
	}
	return -EINVAL;
}

/* ---- templates ---- */

struct render_ctx {
	const struct pentry *e;
	struct pval *vals; /* per parameter */
	const char *dir;
};

/* The parameter named s[0..n) (NULL: none). */
static const struct pparam *find_param(const struct pentry *e, const char *s, size_t n)
{
	for (size_t i = 0; i < e->nparams; i++)
		if (strlen(e->params[i].name) == n && !strncmp(e->params[i].name, s, n))
			return &e->params[i];
	return NULL;
}

/* A reference at t ("@{name}" or "@{name[]}"): its name and whether it
 * repeats; the length of the whole reference, 0 when t is not one. */
static size_t ref_at(const char *t, const char **name, size_t *nlen, bool *each)
{
	if (t[0] != '@' || t[1] != '{')
		return 0;
	const char *e = strchr(t + 2, '}');
	if (!e)
		return 0;
	*name = t + 2;
	*nlen = (size_t)(e - t - 2);
	*each = *nlen > 2 && !strncmp(e - 2, "[]", 2);
	if (*each)
		*nlen -= 2;
	return (size_t)(e - t + 1);
}

static int put(char **o, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t nc = (*cap ? *cap * 2 : 256) + n;
		char *p = realloc(*o, nc);
		if (!p)
			return -ENOMEM;
		*o = p;
		*cap = nc;
	}
	memcpy(*o + *len, s, n);
	*len += n;
	(*o)[*len] = '\0';
	return 0;
}

/* One line (without its newline), item k standing for @{x[]}. */
static int render_line(const struct render_ctx *rc, const char *l, size_t n, size_t k, char **o,
                       size_t *len, size_t *cap)
{
	for (size_t i = 0; i < n;) {
		const char *name;
		size_t nlen, r;
		bool each;
		if (!(r = ref_at(l + i, &name, &nlen, &each)) || i + r > n) {
			if (put(o, len, cap, l + i, 1))
				return -ENOMEM;
			i++;
			continue;
		}
		i += r;
		if (nlen == 3 && !strncmp(name, "dir", 3) && !each) {
			if (put(o, len, cap, rc->dir, strlen(rc->dir)))
				return -ENOMEM;
			continue;
		}
		const struct pparam *p = find_param(rc->e, name, nlen);
		if (!p)
			return -EINVAL; /* checked at load */
		const struct pval *v = &rc->vals[p - rc->e->params];
		if (p->type == PT_HOSTNAME) {
			if (put(o, len, cap, v->host, strlen(v->host)))
				return -ENOMEM;
			continue;
		}
		for (size_t j = each ? k : 0; j < (each ? k + 1 : v->n); j++)
			if ((j > (each ? k : 0) && put(o, len, cap, " ", 1)) ||
			    put(o, len, cap, v->item[j], strlen(v->item[j])))
				return -ENOMEM;
	}
	return 0;
}

/* The list parameter a line repeats over (NULL: none). */
static const struct pparam *line_each(const struct pentry *e, const char *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *name;
		size_t nlen, r;
		bool each;
		if ((r = ref_at(l + i, &name, &nlen, &each)) && i + r <= n && each)
			return find_param(e, name, nlen);
	}
	return NULL;
}

static int render_text(const struct render_ctx *rc, const char *tmpl, char **out)
{
	char *o = NULL;
	size_t len = 0, cap = 0;
	int err = put(&o, &len, &cap, "", 0);
	for (const char *l = tmpl; !err && *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		const struct pparam *p = line_each(rc->e, l, n);
		size_t reps = p ? rc->vals[p - rc->e->params].n : 1;
		for (size_t k = 0; k < reps && !err; k++) {
			err = render_line(rc, l, n, k, &o, &len, &cap);
			if (!err && nl)
				err = put(&o, &len, &cap, "\n", 1);
		}
		l += n + (nl ? 1 : 0);
	}
	if (err) {
		free(o);
		return err;
	}
	*out = o;
	return 0;
}

/* Every reference in t names a parameter (or dir); [] only on a prefix list,
 * at most one list per line. */
static int check_template(const struct pentry *e, const char *t, const char *where, struct diags *d)
{
	for (const char *l = t; *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l), lists = 0;
		for (size_t i = 0; i < n; i++) {
			const char *name;
			size_t nlen, r;
			bool each;
			if (!(r = ref_at(l + i, &name, &nlen, &each)) || i + r > n)
				continue;
			const struct pparam *p = find_param(e, name, nlen);
			if (!p && !(nlen == 3 && !strncmp(name, "dir", 3) && !each))
				return ctl__path_error(d, where, "@{%.*s} names no parameter of '%s'", (int)nlen, name, e->name);
			if (each && p->type != PT_PREFIXES)
				return ctl__path_error(d, where, "@{%.*s[]}: only a prefixes parameter repeats a line",
				               (int)nlen, name);
			if (each && ++lists > 1)
				return ctl__path_error(d, where, "one repeated list per line");
			i += r - 1;
		}
		l += n + (nl ? 1 : 0);
	}
	return 0;
}

/* ---- parsing the catalogue ---- */

static char *dup_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

/* A template: a string, or an array of lines. */
static char *dup_text(json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (!json_is_array(v))
		return NULL;
	char *o = NULL;
	size_t len = 0, cap = 0, i;
	json_t *l;
	if (put(&o, &len, &cap, "", 0))
		return NULL;
	json_array_foreach(v, i, l) {
		if (!json_is_string(l) || put(&o, &len, &cap, json_string_value(l), json_string_length(l)) ||
		    put(&o, &len, &cap, "\n", 1)) {
			free(o);
			return NULL;
		}
	}
	return o;
}

static bool name_ok(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

static int bound(json_t *o, const char *key, long long lo, long long hi, long long dflt, long long *out,
                 const char *where, struct diags *d)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		*out = dflt;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return ctl__path_error(d, where, "%s must be an integer from %lld to %lld", key, lo, hi);
	*out = json_integer_value(v);
	return 0;
}

static int parse_param(json_t *j, struct pparam *p, const char *where, struct diags *d)
{
	if (!json_is_object(j))
		return ctl__path_error(d, where, "a parameter is an object {\"name\", \"type\", ...}");
	p->name = dup_str(j, "name");
	p->doc = dup_str(j, "doc");
	if (!name_ok(p->name, 32) || !strcmp(p->name, "dir"))
		return ctl__path_error(d, where, "name must be 1 to 32 of a-z, 0-9, '-', '_' (and not 'dir')");
	if (!p->doc)
		return ctl__path_error(d, where, "doc (a string) is required");
	const char *t = json_string_value(json_object_get(j, "type"));
	size_t k = 0;
	while (k < 6 && (!t || strcmp(t, ptype_names[k])))
		k++;
	if (k == 6)
		return ctl__path_error(d, where, "type must be port, integer, ipv4, prefixes, choice or hostname");
	p->type = (enum ptype)k;
	long long lo = p->type == PT_PORT ? 1 : p->type == PT_PREFIXES ? 1 : -(1LL << 40);
	long long hi = p->type == PT_PORT ? 65535 : p->type == PT_PREFIXES ? PROC_MAX_ITEMS : 1LL << 40;
	if (bound(j, "min", lo, hi, lo, &p->min, where, d) ||
	    bound(j, "max", p->min, hi, p->type == PT_PREFIXES ? 16 : hi, &p->max, where, d))
		return -EINVAL;
	if (p->type == PT_INT && (!json_object_get(j, "min") || !json_object_get(j, "max")))
		return ctl__path_error(d, where, "an integer parameter needs min and max");
	if (p->type == PT_CHOICE) {
		json_t *c = json_object_get(j, "choices");
		size_t i;
		json_t *e;
		if (!json_is_array(c) || json_array_size(c) == 0)
			return ctl__path_error(d, where, "choices must be a non-empty array of words");
		json_array_foreach(c, i, e)
			if (!json_is_string(e) || !safe_word(json_string_value(e)) || json_string_length(e) > 23)
				return ctl__path_error(d, where, "each choice is a word of letters, digits, '.', '-', '_' "
				                         "(at most 23)");
		p->choices = json_incref(c);
	}
	json_t *own = json_object_get(j, "own");
	if (own && (!json_is_boolean(own) || p->type != PT_PREFIXES))
		return ctl__path_error(d, where, "own (true or false) is only for a prefixes parameter");
	p->own = json_is_true(own);
	json_t *dv = json_object_get(j, "default");
	json_t *req = json_object_get(j, "required");
	if (req && !json_is_boolean(req))
		return ctl__path_error(d, where, "required must be true or false");
	p->required = req ? json_is_true(req) : !dv;
	if (p->required && dv)
		return ctl__path_error(d, where, "a required parameter has no default");
	if (!p->required && !dv)
		return ctl__path_error(d, where, "an optional parameter needs a default");
	if (dv) {
		struct pval pv;
		char f[512];
		snprintf(f, sizeof f, "%.400s.default", where);
		if (typed_value(p, dv, f, &pv, d))
			return -EINVAL;
		p->dflt = json_incref(dv);
	}
	return 0;
}

static int parse_listen(json_t *a, struct pentry *e, const char *where, struct diags *d)
{
	size_t i;
	json_t *l;
	if (!json_is_array(a) || json_array_size(a) > PROC_MAX_LISTEN)
		return ctl__path_error(d, where, "listen must be an array of at most %d {\"proto\", \"port\"}",
		               PROC_MAX_LISTEN);
	json_array_foreach(a, i, l) {
		const char *pr = json_string_value(json_object_get(l, "proto"));
		json_t *port = json_object_get(l, "port");
		if (!pr || (strcmp(pr, "tcp") && strcmp(pr, "udp")) || !json_is_integer(port) ||
		    json_integer_value(port) < 1 || json_integer_value(port) > 65535)
			return ctl__path_error(d, where, "listen[%zu] must be {\"proto\": \"tcp\"|\"udp\", \"port\": 1..65535}", i);
		e->listen[i].proto = strcmp(pr, "tcp") ? 17 : 6;
		e->listen[i].port = (uint16_t)json_integer_value(port);
	}
	e->nlisten = json_array_size(a);
	return 0;
}

static int parse_quota(json_t *q, struct pentry *e, const char *where, struct diags *d)
{
	long long m = 0, c = 0, p = 0, least = 0; /* set when bound() succeeds */
	if (q && !json_is_object(q))
		return ctl__path_error(d, where, "quota must be an object {\"memory_mb\", \"cpu_percent\", \"pids\", \"min_memory_mb\"}");
	if (bound(q, "memory_mb", 4, 65536, 64, &m, where, d) || bound(q, "cpu_percent", 1, 100, 10, &c, where, d) ||
	    bound(q, "pids", 1, 4096, 64, &p, where, d) || bound(q, "min_memory_mb", 4, m, 0, &least, where, d))
		return -EINVAL;
	e->memory_mb = (uint32_t)m;
	e->min_memory_mb = (uint32_t)least;
	e->cpu_percent = (uint32_t)c;
	e->pids = (uint32_t)p;
	return 0;
}

static int parse_files(json_t *a, struct pentry *e, const char *where, struct diags *d)
{
	size_t i;
	json_t *f;
	if (a && (!json_is_array(a) || json_array_size(a) > PROC_MAX_FILES))
		return ctl__path_error(d, where, "files must be an array of at most %d {\"path\", \"template\"}",
		               PROC_MAX_FILES);
	json_array_foreach(a, i, f) {
		struct pfile *pf = &e->files[e->nfiles++];
		pf->path = dup_str(f, "path");
		pf->tmpl = dup_text(json_object_get(f, "template"));
		/* a plain name in the scratch directory: no '/', no '..' */
		if (!pf->path || !safe_word(pf->path) || pf->path[0] == '.' || strlen(pf->path) > 64)
			return ctl__path_error(d, where, "files[%zu].path must be a file name (letters, digits, '.', "
			                         "'-', '_'; not starting with '.')", i);
		if (!pf->tmpl || strlen(pf->tmpl) > PROC_MAX_TEXT)
			return ctl__path_error(d, where, "files[%zu].template must be a string or an array of lines "
			                         "(at most %d bytes)", i, PROC_MAX_TEXT);
		char w[512];
		snprintf(w, sizeof w, "%.300s.files[%zu].template", where, i);
		if (check_template(e, pf->tmpl, w, d))
			return -EINVAL;
	}
	return 0;
}

static int parse_entry(json_t *j, struct pentry *e, const char *where, struct diags *d)
{
	if (!json_is_object(j))
		return ctl__path_error(d, where, "an entry is an object {\"name\", \"summary\", \"package\", \"argv\", ...}");
	e->name = dup_str(j, "name");
	e->summary = dup_str(j, "summary");
	e->package = dup_str(j, "package");
	if (!name_ok(e->name, 48))
		return ctl__path_error(d, where, "name must be 1 to 48 of a-z, 0-9, '-', '_'");
	if (ctl__stock_click_exists(e->name))
		return ctl__path_error(d, where, "'%s' is already a Click stock module", e->name);
	if (!e->summary)
		return ctl__path_error(d, where, "summary (a string) is required");
	if (!e->package || !safe_word(e->package))
		return ctl__path_error(d, where, "package must be a Debian package name");
	json_t *ps = json_object_get(j, "params");
	size_t i;
	json_t *v;
	if (ps && (!json_is_array(ps) || json_array_size(ps) > PROC_MAX_PARAMS))
		return ctl__path_error(d, where, "params must be an array of at most %d parameters", PROC_MAX_PARAMS);
	json_array_foreach(ps, i, v) {
		char w[512];
		snprintf(w, sizeof w, "%.300s.params[%zu]", where, i);
		if (parse_param(v, &e->params[e->nparams++], w, d))
			return -EINVAL;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(e->params[k].name, e->params[i].name))
				return ctl__path_error(d, w, "parameter '%s' is declared twice", e->params[i].name);
	}
	json_t *argv = json_object_get(j, "argv");
	if (!json_is_array(argv) || json_array_size(argv) == 0 || json_array_size(argv) >= PROC_MAX_ARGV)
		return ctl__path_error(d, where, "argv must be an array of 1 to %d strings", PROC_MAX_ARGV - 1);
	json_array_foreach(argv, i, v) {
		char w[512];
		snprintf(w, sizeof w, "%.300s.argv[%zu]", where, i);
		if (!json_is_string(v) || !(e->argv[e->argc++] = strdup(json_string_value(v))))
			return ctl__path_error(d, w, "argv items are strings");
		if (check_template(e, e->argv[i], w, d))
			return -EINVAL;
	}
	if (parse_files(json_object_get(j, "files"), e, where, d))
		return -EINVAL;
	json_t *l = json_object_get(j, "listen");
	if (l && parse_listen(l, e, where, d))
		return -EINVAL;
	return parse_quota(json_object_get(j, "quota"), e, where, d);
}

int ctl_proccat_parse(const char *file, const char *text, size_t len, struct ctl_proccat **out,
                      struct diags *d)
{
	*out = NULL;
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		struct src_file f = {file, text, len};
		struct src_loc loc = {&f, je.line > 0 ? (uint32_t)je.line : 1, je.column > 0 ? (uint32_t)je.column : 1};
		diags_add(d, DIAG_ERROR, &loc, 1, "%s", je.text);
		return -EINVAL;
	}
	int rc = 0;
	json_t *mods = json_object_get(root, "modules");
	struct ctl_proccat *c = calloc(1, sizeof *c);
	if (!c) {
		json_decref(root);
		return -ENOMEM;
	}
	if (!json_is_object(root) || !json_is_array(mods) || json_array_size(mods) > 256) {
		rc = ctl__path_error(d, file, "the catalogue is {\"modules\": [entry, ...]} (at most 256)");
		goto cleanup;
	}
	c->v = calloc(json_array_size(mods) + 1, sizeof *c->v);
	if (!c->v) {
		rc = -ENOMEM;
		goto cleanup;
	}
	size_t i;
	json_t *m;
	json_array_foreach(mods, i, m) {
		char w[512];
		snprintf(w, sizeof w, "%.200s: modules[%zu]", file, i);
		c->n++;
		if ((rc = parse_entry(m, &c->v[i], w, d)))
			goto cleanup;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(c->v[k].name, c->v[i].name)) {
				rc = ctl__path_error(d, w, "entry '%s' is declared twice", c->v[i].name);
				goto cleanup;
			}
	}
cleanup:
	json_decref(root);
	if (rc) {
		ctl_proccat_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int ctl_proccat_load(const char *path, struct ctl_proccat **out, struct diags *d)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return ctl__path_error(d, path, "%s", strerror(errno));
	char *buf = malloc(1 << 20);
	size_t n = buf ? fread(buf, 1, 1 << 20, f) : 0;
	bool big = buf && n == 1 << 20;
	fclose(f);
	if (!buf)
		return -ENOMEM;
	int rc = big ? ctl__path_error(d, path, "larger than 1 MiB") : ctl_proccat_parse(path, buf, n, out, d);
	free(buf);
	return rc;
}

void ctl_proccat_free(struct ctl_proccat *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		struct pentry *e = &c->v[i];
		free(e->name);
		free(e->summary);
		free(e->package);
		free(e->missing);
		for (size_t k = 0; k < e->argc; k++)
			free(e->argv[k]);
		for (size_t k = 0; k < e->nfiles; k++) {
			free(e->files[k].path);
			free(e->files[k].tmpl);
		}
		for (size_t k = 0; k < e->nparams; k++) {
			free(e->params[k].name);
			free(e->params[k].doc);
			json_decref(e->params[k].dflt);
			json_decref(e->params[k].choices);
		}
	}
	free(c->v);
	free(c);
}

size_t ctl_proccat_find_programs(struct ctl_proccat *c, ctl_find_program_fn find)
{
	size_t missing = 0;
	for (size_t i = 0; c && i < c->n; i++) {
		struct pentry *e = &c->v[i];
		char why[256] = "";
		free(e->missing);
		e->missing = NULL;
		if (!find(e->argv[0], why, sizeof why))
			continue;
		size_t len = strlen(why) + strlen(e->package) + strlen(e->name) + 128;
		if ((e->missing = malloc(len)))
			snprintf(e->missing, len,
			         "'%s' runs %s, which is not installed on this PoP (%s): its operator installs "
			         "the Debian package %s",
			         e->name, e->argv[0], why, e->package);
		missing++;
	}
	return missing;
}

size_t ctl_proccat_missing(const struct ctl_proccat *c, size_t i, const char **name, const char **why)
{
	size_t k = 0;
	for (size_t j = 0; c && j < c->n; j++)
		if (c->v[j].missing && k++ == i) {
			*name = c->v[j].name;
			*why = c->v[j].missing;
			return 1;
		}
	return 0;
}

/* ---- the installed catalogue ---- */

static _Atomic(struct ctl_proccat *) installed;

void ctl_proccat_install(struct ctl_proccat *c)
{
	ctl_proccat_free(atomic_exchange(&installed, c));
}

static const struct pentry *find_entry(const char *name)
{
	const struct ctl_proccat *c = atomic_load(&installed);
	for (size_t i = 0; c && name && i < c->n; i++)
		if (!strcmp(c->v[i].name, name))
			return &c->v[i];
	return NULL;
}

int ctl_process_exists(const char *name)
{
	return find_entry(name) != NULL;
}

const char *ctl_process_missing(const char *name)
{
	const struct pentry *e = find_entry(name);
	return e ? e->missing : NULL;
}

int ctl_process_memory(const char *name, uint32_t *memory_mb, uint32_t *min_mb)
{
	const struct pentry *e = find_entry(name);
	if (!e)
		return -ENOENT;
	*memory_mb = e->memory_mb;
	*min_mb = e->min_memory_mb;
	return 0;
}

/* params (an object or NULL) as e's values, defaults filled in. */
static int entry_values(const struct pentry *e, json_t *params, struct pval *vals, struct diags *d)
{
	if (params && !json_is_object(params))
		return ctl__path_error(d, "params", "params must be an object");
	const char *key;
	json_t *v;
	json_object_foreach(params, key, v) {
		if (!find_param(e, key, strlen(key))) {
			char f[80];
			snprintf(f, sizeof f, "params.%.60s", key);
			return ctl__path_error(d, f, "stock module '%s' has no parameter '%.60s'", e->name, key);
		}
	}
	for (size_t i = 0; i < e->nparams; i++) {
		const struct pparam *p = &e->params[i];
		char f[80];
		snprintf(f, sizeof f, "params.%s", p->name);
		json_t *pv = params ? json_object_get(params, p->name) : NULL;
		if (!pv && p->required)
			return ctl__path_error(d, f, "%s is required (%s)", f, p->doc);
		if (typed_value(p, pv ? pv : p->dflt, f, &vals[i], d))
			return -EINVAL;
	}
	return 0;
}

int ctl_process_wrapper(const char *name, json_t *params, char **click, struct diags *d)
{
	*click = NULL;
	const struct pentry *e = find_entry(name);
	if (!e)
		return -ENOENT;
	struct pval *vals = calloc(e->nparams + 1, sizeof *vals);
	if (!vals)
		return -ENOMEM;
	int rc = entry_values(e, params, vals, d);
	free(vals);
	if (rc)
		return rc;
	*click = strdup(CTL_PROCESS_WRAPPER);
	return *click ? 0 : -ENOMEM;
}

static bool within_any(struct inet_prefix p, const struct inet_prefix *own, size_t nown)
{
	for (size_t i = 0; i < nown; i++)
		if (own[i].len <= p.len && inet_prefix_contains(own[i], p.addr))
			return true;
	return false;
}

/* Each prefix of p's value (v) within own, or the first that is not. */
static int own_value(const struct pparam *p, json_t *v, const struct inet_prefix *own, size_t nown,
                     struct diags *d)
{
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e) {
		struct inet_prefix pf;
		if (inet_parse_prefix(json_string_value(e), json_string_length(e), false, &pf))
			return -EINVAL; /* checked when deployed: cannot happen */
		if (within_any(pf, own, nown))
			continue;
		char f[80], txt[24];
		snprintf(f, sizeof f, "params.%s[%zu]", p->name, i);
		return ctl__path_error(d, f, "%s is %s, which is not within your own prefixes, the "
		                       "addresses the operator gave you (%s: only your own devices may use it)",
		                       f, inet_format_prefix(pf, txt), p->doc);
	}
	return 0;
}

int ctl_process_check_own(const char *name, const char *params_json, const struct inet_prefix *own,
                          size_t nown, struct diags *d)
{
	const struct pentry *e = find_entry(name);
	if (!e)
		return -ENOENT;
	json_t *params = params_json && *params_json ? json_loads(params_json, 0, NULL) : NULL;
	int rc = 0;
	for (size_t i = 0; i < e->nparams && !rc; i++) {
		const struct pparam *p = &e->params[i];
		json_t *v = params ? json_object_get(params, p->name) : NULL;
		if (p->own)
			rc = own_value(p, v ? v : p->dflt, own, nown, d);
	}
	json_decref(params);
	return rc;
}

json_t *ctl_process_list_json(void)
{
	json_t *a = json_array();
	const struct ctl_proccat *c = atomic_load(&installed);
	for (size_t i = 0; c && i < c->n; i++) {
		const struct pentry *e = &c->v[i];
		json_t *ps = json_array(), *ls = json_array();
		for (size_t k = 0; k < e->nparams; k++) {
			const struct pparam *p = &e->params[k];
			json_t *j = json_pack("{s:s, s:s, s:b, s:s}", "name", p->name, "type",
			                      ptype_names[p->type], "required", p->required, "doc", p->doc);
			if (p->dflt)
				json_object_set(j, "default", p->dflt);
			if (p->type == PT_INT || p->type == PT_PORT) {
				json_object_set_new(j, "min", json_integer(p->min));
				json_object_set_new(j, "max", json_integer(p->max));
			}
			if (p->type == PT_PREFIXES)
				json_object_set_new(j, "max_items", json_integer(p->max));
			if (p->own)
				json_object_set_new(j, "own", json_true());
			if (p->choices)
				json_object_set(j, "choices", p->choices);
			json_array_append_new(ps, j);
		}
		for (size_t k = 0; k < e->nlisten; k++)
			json_array_append_new(ls, json_pack("{s:s, s:i}", "proto", e->listen[k].proto == 6 ? "tcp" : "udp",
			                                    "port", (int)e->listen[k].port));
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:{s:i, s:i, s:i, s:i}, s:b, s:[], s:b}",
		                                   "name", e->name, "kind", "process", "summary", e->summary,
		                                   "params", ps, "template", CTL_PROCESS_WRAPPER, "package",
		                                   e->package, "listen", ls, "quota", "memory_mb",
		                                   (int)e->memory_mb, "cpu_percent", (int)e->cpu_percent,
		                                   "pids", (int)e->pids, "min_memory_mb",
		                                   (int)e->min_memory_mb, "stateful", false,
		                                   "stateful_elements", "installed", !e->missing));
	}
	return a;
}

/* ---- rendering for the platform ---- */

/* An absolute directory of safe characters (it is pasted into files). */
static bool dir_ok(const char *s)
{
	if (!s || s[0] != '/' || strlen(s) > 200 || strstr(s, ".."))
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '/' || *p == '.' || *p == '-' || *p == '_'))
			return false;
	return true;
}

void ctl_process_free(struct ctl_process *p)
{
	if (!p)
		return;
	free(p->package);
	for (size_t i = 0; p->argv && p->argv[i]; i++)
		free(p->argv[i]);
	free(p->argv);
	for (size_t i = 0; i < p->nfiles; i++) {
		free(p->files[i].path);
		free(p->files[i].text);
	}
	free(p->files);
	free(p->listen);
	memset(p, 0, sizeof *p);
}

static int render_entry(const struct pentry *e, struct pval *vals, const char *dir, struct ctl_process *out)
{
	struct render_ctx rc = {e, vals, dir};
	out->package = strdup(e->package);
	out->argv = calloc(e->argc + 1, sizeof *out->argv);
	out->files = calloc(e->nfiles + 1, sizeof *out->files);
	out->listen = calloc(e->nlisten + 1, sizeof *out->listen);
	if (!out->package || !out->argv || !out->files || !out->listen)
		return -ENOMEM;
	for (size_t i = 0; i < e->argc; i++) {
		int err = render_text(&rc, e->argv[i], &out->argv[i]);
		if (err)
			return err;
	}
	for (size_t i = 0; i < e->nfiles; i++) {
		struct ctl_process_file *f = &out->files[out->nfiles++];
		size_t n = strlen(dir) + strlen(e->files[i].path) + 2;
		if (!(f->path = malloc(n)))
			return -ENOMEM;
		snprintf(f->path, n, "%s/%s", dir, e->files[i].path);
		int err = render_text(&rc, e->files[i].tmpl, &f->text);
		if (err)
			return err;
	}
	memcpy(out->listen, e->listen, e->nlisten * sizeof *e->listen);
	out->nlisten = e->nlisten;
	out->memory_mb = e->memory_mb;
	out->cpu_percent = e->cpu_percent;
	out->pids = e->pids;
	return 0;
}

int ctl_process_render(const char *stock, const char *params_json, const char *dir,
                       struct ctl_process *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	const struct pentry *e = find_entry(stock);
	if (!e) {
		snprintf(err, errlen, "no process-backed stock module '%s' in the catalogue", stock ? stock : "");
		return -ENOENT;
	}
	if (!dir_ok(dir)) {
		snprintf(err, errlen, "the directory must be an absolute path of letters, digits, '/', '.', '-', '_'");
		return -EINVAL;
	}
	json_error_t je;
	json_t *params = params_json && *params_json ? json_loads(params_json, 0, &je) : NULL;
	if (params_json && *params_json && !params) {
		snprintf(err, errlen, "params: %s", je.text);
		return -EINVAL;
	}
	struct diags d;
	diags_init(&d);
	struct pval *vals = calloc(e->nparams + 1, sizeof *vals);
	int rc = vals ? entry_values(e, params, vals, &d) : -ENOMEM;
	if (rc == -EINVAL && d.n)
		snprintf(err, errlen, "%s", d.v[0].msg);
	if (!rc && (rc = render_entry(e, vals, dir, out)) < 0) {
		snprintf(err, errlen, "%s", strerror(-rc));
		ctl_process_free(out);
	}
	free(vals);
	diags_free(&d);
	json_decref(params);
	return rc;
}
