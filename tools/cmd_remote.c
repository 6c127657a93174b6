/* The online half of `innet` (README.md, "The same with the innet command"):
 * deploy, check, ls, show, rm, network, policy, tenant and stock talk to an
 * innetd over HTTP (docs/openapi.json).
 * Server and token: --server/--token, then INNET_SERVER/INNET_TOKEN, then
 * ~/.config/innet/config ("server = ...", "token = ..."). Tables for people,
 * --json for scripts (the server's JSON as is).
 * Exit codes: 0 success, 1 the server refused, 2 usage, 3 cannot connect. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "http_client.h"
#include "innet.h"
#include "out.h"
#include "trace.h"

enum { EX_OK = 0, EX_REFUSED = 1, EX_USAGE = 2, EX_CONNECT = 3 };

#define DEFAULT_SERVER "http://127.0.0.1:8080"
#define TIMEOUT_MS 120000 /* verification of a large request may take a while */

struct remote {
	const char *server, *token;
	bool json;
	char *cfg_server, *cfg_token; /* from the config file, owned */
};

static const char common_opts[] =
	"common options: --server URL (http://HOST:PORT, or unix:PATH for innetd's admin-socket;\n"
	"                default $INNET_SERVER, the config file, " DEFAULT_SERVER ")\n"
	"                --token T (default $INNET_TOKEN, the config file)\n"
	"                --json (print the server's JSON as is)\n"
	"config file: ~/.config/innet/config with lines 'server = URL' and 'token = T'\n";

static int usage_err(const char *usage, const char *fmt, const char *arg)
{
	if (fmt) {
		fprintf(stderr, "innet: ");
		fprintf(stderr, fmt, arg ? arg : "");
		fprintf(stderr, "\n");
	}
	fprintf(stderr, "%s%s", usage, common_opts);
	return EX_USAGE;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && strchr(" \t\r\n", s[n - 1]))
		s[--n] = '\0';
	return s;
}

static void read_config(struct remote *o)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char path[4096];
	if (xdg && *xdg)
		snprintf(path, sizeof path, "%s/innet/config", xdg);
	else if (home && *home)
		snprintf(path, sizeof path, "%s/.config/innet/config", home);
	else
		return;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[4096];
	while (fgets(line, sizeof line, f)) {
		char *l = trim(line), *eq = strchr(l, '=');
		if (*l == '#' || !eq)
			continue;
		*eq = '\0';
		char *k = trim(l), *v = trim(eq + 1);
		char **dst = !strcmp(k, "server") ? &o->cfg_server : !strcmp(k, "token") ? &o->cfg_token : NULL;
		if (dst && *v) {
			free(*dst);
			*dst = strdup(v);
		}
	}
	fclose(f);
}

/* Take the common options out of argv (anywhere after the subcommand).
 * Returns 0, or EX_USAGE after printing why. */
static int remote_init(struct remote *o, int *argc, char **argv, const char *usage)
{
	memset(o, 0, sizeof *o);
	int out = 1;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;
		const char *val = NULL;
		if (!strcmp(a, "--json")) {
			o->json = true;
			continue;
		}
		if (!strcmp(a, "--")) { /* the rest is positional */
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!strncmp(a, "--server", 8) && (a[8] == '\0' || a[8] == '='))
			dst = &o->server;
		else if (!strncmp(a, "--token", 7) && (a[7] == '\0' || a[7] == '='))
			dst = &o->token;
		if (!dst) {
			argv[out++] = argv[i];
			continue;
		}
		val = strchr(a, '=');
		if (val)
			val++;
		else if (i + 1 < *argc)
			val = argv[++i];
		else
			return usage_err(usage, "%s needs a value", a);
		*dst = val;
	}
	*argc = out;
	argv[out] = NULL;
	read_config(o);
	if (!o->server)
		o->server = getenv("INNET_SERVER");
	if (!o->server || !*o->server)
		o->server = o->cfg_server ? o->cfg_server : DEFAULT_SERVER;
	if (!o->token)
		o->token = getenv("INNET_TOKEN");
	if (!o->token || !*o->token)
		o->token = o->cfg_token;
	return 0;
}

static void remote_release(struct remote *o)
{
	free(o->cfg_server);
	free(o->cfg_token);
}

/* --- errors ---------------------------------------------------------------- */

/* A platform's first failure, "kind 'rule or statement': message", after
 * prefix: wrapped to the terminal on stdout, one line on stderr. */
static void print_failure(FILE *out, const char *prefix, json_t *f)
{
	const char *kind = out_jstr(f, "kind");
	const char *what = *out_jstr(f, "rule") ? out_jstr(f, "rule") : out_jstr(f, "statement");
	char num[32]; /* a tenant sees a policy by its number, not its text */
	if (!*what && json_integer_value(json_object_get(f, "policy")) > 0) {
		snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(f, "policy")));
		what = num;
	}
	char *s = xasprintf("%s%s%s%s%s%s", kind, *what ? " '" : "", what, *what ? "'" : "",
	                    *out_jstr(f, "message") ? ": " : "", out_jstr(f, "message"));
	if (out == stdout)
		out_print_wrapped(out, prefix, 6, s ? s : kind);
	else
		fprintf(out, "%s%s\n", prefix, s ? s : kind);
	free(s);
}

/* Print the server's error body as "innet: code: message" plus the details
 * that help: per-platform failures, parse errors, policy violations. */
static void print_error(int status, json_t *body, const char *raw)
{
	json_t *e = json_object_get(body, "error");
	if (!e) {
		fprintf(stderr, "innet: HTTP %d%s%.200s\n", status, raw && *raw ? ": " : "", raw ? raw : "");
		return;
	}
	fprintf(stderr, "innet: %s: %s\n", out_jstr(e, "code"), out_jstr(e, "message"));
	json_t *d = json_object_get(e, "details");
	if (!json_is_object(d))
		return;
	json_t *v;
	size_t i;
	if (*out_jstr(d, "field"))
		fprintf(stderr, "  field: %s%s%s\n", out_jstr(d, "field"), *out_jstr(d, "value") ? " = " : "",
		        out_jstr(d, "value"));
	json_array_foreach(json_object_get(d, "platforms"), i, v) {
		char pre[160];
		snprintf(pre, sizeof pre, "  %s: ", out_jstr(v, "platform"));
		json_t *f = json_object_get(v, "failure");
		if (json_is_object(f))
			print_failure(stderr, pre, f);
		else
			fprintf(stderr, "%sfull\n", pre);
	}
	json_array_foreach(json_object_get(d, "errors"), i, v) {
		if (json_is_string(v))
			fprintf(stderr, "  %s\n", json_string_value(v));
		else if (json_is_object(v) && json_integer_value(json_object_get(v, "line")) > 0)
			fprintf(stderr, "  line %lld: %s\n", (long long)json_integer_value(json_object_get(v, "line")),
			        out_jstr(v, "message"));
		else if (json_is_object(v))
			fprintf(stderr, "  %s\n", out_jstr(v, "message"));
	}
	json_array_foreach(json_object_get(d, "violations"), i, v)
		fprintf(stderr, "  module %lld '%s' (tenant %lld): %s%s%s\n",
		        (long long)json_integer_value(json_object_get(v, "module_id")), out_jstr(v, "module"),
		        (long long)json_integer_value(json_object_get(v, "tenant_id")), out_jstr(v, "statement"),
		        *out_jstr(v, "message") ? ": " : "", out_jstr(v, "message"));
	if (json_array_size(json_object_get(d, "violations")))
		fprintf(stderr, "  (--force stores it anyway)\n");
}

/* --- the call ---------------------------------------------------------------- */

/* One request. On 2xx: EX_OK and *out (may be NULL for an empty body); in
 * --json mode the body is printed unless print_json is false. Otherwise the
 * error is printed and the exit code returned. */
static int call(struct remote *o, const char *method, const char *path, json_t *body, json_t **out)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	if (body && !text) {
		fprintf(stderr, "innet: out of memory\n");
		return EX_REFUSED;
	}
	struct http_resp r;
	char err[512] = "";
	int rc = http_client_request(o->server, method, path, o->token, text, text ? strlen(text) : 0,
	                             TIMEOUT_MS, &r, err, sizeof err);
	free(text);
	if (rc == -EINVAL) {
		fprintf(stderr, "innet: %s\n", err);
		return EX_USAGE;
	}
	if (rc) {
		fprintf(stderr, "innet: %s\n", err);
		return EX_CONNECT;
	}
	json_t *j = r.len ? json_loadb(r.body, r.len, JSON_DECODE_ANY, NULL) : NULL;
	if (o->json && r.len)
		printf("%s%s", r.body, r.body[r.len - 1] == '\n' ? "" : "\n");
	if (r.status < 200 || r.status > 299) {
		print_error(r.status, j, r.body);
		json_decref(j);
		http_resp_release(&r);
		return EX_REFUSED;
	}
	if (r.len && !j) {
		fprintf(stderr, "innet: the server's answer is not JSON\n");
		http_resp_release(&r);
		return EX_REFUSED;
	}
	http_resp_release(&r);
	if (out)
		*out = j;
	else
		json_decref(j);
	return EX_OK;
}

/* --- tables ---------------------------------------------------------------- */

#define MAXCOLS 12

struct table {
	size_t ncols, nrows, cap;
	char **cells; /* nrows * ncols, row 0 the header */
};

static void table_row(struct table *t, const char *const *v)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **nc = realloc(t->cells, cap * t->ncols * sizeof *nc);
		if (!nc)
			return;
		t->cells = nc;
		t->cap = cap;
	}
	for (size_t c = 0; c < t->ncols; c++)
		t->cells[t->nrows * t->ncols + c] = strdup(v[c] ? v[c] : "");
	t->nrows++;
}

static void table_print(struct table *t, const char *indent)
{
	size_t w[MAXCOLS] = {0};
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t l = s ? strlen(s) : 0;
			if (l > w[c])
				w[c] = l;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		fputs(indent, stdout);
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			if (c + 1 < t->ncols)
				printf("%-*s  ", (int)w[c], s ? s : "");
			else
				printf("%s\n", s ? s : "");
		}
	}
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof *t);
}

static void fmt_address(json_t *a, char *buf, size_t len)
{
	if (!json_is_object(a)) {
		snprintf(buf, len, "-");
		return;
	}
	long long proto = json_integer_value(json_object_get(a, "proto"));
	const char *pn = proto == 6 ? "tcp" : proto == 17 ? "udp" : NULL;
	char pb[16];
	if (!pn) {
		snprintf(pb, sizeof pb, "proto %lld", proto);
		pn = proto ? pb : "any";
	}
	long long port = json_integer_value(json_object_get(a, "port"));
	if (port)
		snprintf(buf, len, "%s %s/%lld", out_jstr(a, "ip"), pn, port);
	else
		snprintf(buf, len, "%s %s", out_jstr(a, "ip"), pn);
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* The report: rules, requirements, policies (with traces), candidates. */
static void print_report(json_t *rep)
{
	if (!json_is_object(rep))
		return;
	size_t i, k;
	json_t *v, *x;
	const char *secs[] = {"security", "sandboxed_security"};
	for (size_t g = 0; g < 2; g++) {
		json_t *sec = json_object_get(rep, secs[g]);
		if (!json_array_size(json_object_get(sec, "rules")))
			continue;
		printf("\nsecurity rules%s:\n", g ? " (inside the sandbox)" : "");
		json_array_foreach(json_object_get(sec, "rules"), i, v) {
			printf("  %-14s %s\n", out_jstr(v, "rule"), out_jstr(v, "result"));
			json_array_foreach(json_object_get(v, "violations"), k, x) {
				out_print_wrapped(stdout, "    violation: ", 6, out_jstr(x, "problem"));
				trace_print(stdout, json_object_get(x, "trace"), "      ");
			}
		}
	}
	json_t *notes = json_object_get(rep, "notes");
	if (json_array_size(notes)) {
		printf("\nnotes:\n");
		json_array_foreach(notes, i, v) {
			if (json_is_string(v)) {
				printf("  %s\n", json_string_value(v));
			} else {
				char *t = json_dumps(v, JSON_COMPACT);
				printf("  %s\n", t ? t : "?");
				free(t);
			}
		}
	}
	const char *groups[] = {"requirements", "policies"};
	for (size_t g = 0; g < 2; g++) {
		json_t *res = json_object_get(json_object_get(rep, groups[g]), "results");
		if (!json_array_size(res))
			continue;
		printf("\n%s:\n", g ? "operator policies" : "requirements");
		json_array_foreach(res, i, v) {
			char pre[64];
			snprintf(pre, sizeof pre, "  [%s] ", out_jstr(v, "verdict"));
			char num[48]; /* a tenant's view: the policy's number, not its text */
			snprintf(num, sizeof num, "policy %lld",
			         (long long)json_integer_value(json_object_get(v, "policy")));
			out_print_wrapped(stdout, pre, 6, json_object_get(v, "statement") ? out_jstr(v, "statement") : num);
			if (*out_jstr(v, "message"))
				out_print_wrapped(stdout, "    ", 6, out_jstr(v, "message"));
			json_t *tr = json_object_get(v, "trace");
			if (json_is_object(tr))
				trace_print(stdout, tr, "    ");
			tr = json_object_get(v, "loop_trace");
			if (json_is_object(tr)) {
				printf("    loop:\n");
				trace_print(stdout, tr, "    ");
			}
		}
	}
	json_t *cands = json_object_get(rep, "candidates");
	if (json_array_size(cands)) {
		printf("\nplatforms:\n");
		json_array_foreach(cands, i, v) {
			json_t *f = json_object_get(v, "failure");
			if (json_is_object(f)) {
				char pre[160];
				snprintf(pre, sizeof pre, "  %-12s %-10s ", out_jstr(v, "platform"), out_jstr(v, "result"));
				print_failure(stdout, pre, f);
			} else {
				printf("  %-12s %s\n", out_jstr(v, "platform"), out_jstr(v, "result"));
			}
		}
	}
}

/* --- deploy / check ---------------------------------------------------------- */

static const char deploy_usage[] =
	"usage: innet deploy|check FILE.json\n"
	"       innet deploy|check --name N --config F.click [--requirements R.reach]\n"
	"       innet deploy|check --name N --stock NAME [--param k=v]... [--requirements R.reach]\n"
	"FILE.json is a request body: {\"name\", \"config\" | \"stock\" + \"params\", \"requirements\"}.\n"
	"check is a dry run: the verdict, platform and report a deploy would get.\n";

/* A --param value: a JSON number, boolean or null as such, else a string. */
static json_t *param_value(const char *s)
{
	json_error_t je;
	json_t *v = json_loads(s, JSON_DECODE_ANY, &je);
	if (v && (json_is_number(v) || json_is_boolean(v)))
		return v;
	json_decref(v);
	return json_string(s);
}

/* Build the request body from argv; EX_OK or EX_USAGE (printed). */
static int request_body(int argc, char **argv, json_t **out)
{
	const char *name = NULL, *config = NULL, *reqs = NULL, *stock = NULL, *file = NULL;
	json_t *params = json_object();
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = !strcmp(a, "--name") ? &name : !strcmp(a, "--config") ? &config :
		                   !strcmp(a, "--requirements") ? &reqs : !strcmp(a, "--stock") ? &stock : NULL;
		if (dst || !strcmp(a, "--param")) {
			if (i + 1 >= argc) {
				json_decref(params);
				return usage_err(deploy_usage, "%s needs a value", a);
			}
			const char *val = argv[++i];
			if (dst) {
				*dst = val;
				continue;
			}
			const char *eq = strchr(val, '=');
			if (!eq || eq == val) {
				json_decref(params);
				return usage_err(deploy_usage, "--param wants KEY=VALUE, not '%s'", val);
			}
			char *key = strndup(val, (size_t)(eq - val));
			json_object_set_new(params, key, param_value(eq + 1));
			free(key);
		} else if (a[0] == '-' && a[1]) {
			json_decref(params);
			return usage_err(deploy_usage, "unknown option '%s'", a);
		} else if (!file) {
			file = a;
		} else {
			json_decref(params);
			return usage_err(deploy_usage, "unexpected argument '%s'", a);
		}
	}
	json_t *b;
	if (file) {
		if (name || config || stock || json_object_size(params)) {
			json_decref(params);
			return usage_err(deploy_usage, "give either FILE.json or --name/--config/--stock", NULL);
		}
		json_decref(params);
		json_error_t je;
		b = strcmp(file, "-") ? json_load_file(file, 0, &je) : json_loadf(stdin, 0, &je);
		if (!b) {
			fprintf(stderr, "innet: %s:%d:%d: %s\n", file, je.line, je.column, je.text);
			return EX_USAGE;
		}
		if (reqs) { /* --requirements overrides the file's */
			char *t = innet_read_file(reqs, NULL);
			if (!t) {
				fprintf(stderr, "innet: cannot read %s: %s\n", reqs, strerror(errno));
				json_decref(b);
				return EX_USAGE;
			}
			json_object_set_new(b, "requirements", json_string(t));
			free(t);
		}
		*out = b;
		return EX_OK;
	}
	if (!name || (!config == !stock)) {
		json_decref(params);
		return usage_err(deploy_usage, !name ? "give FILE.json, or --name with --config or --stock" :
		                 "give exactly one of --config and --stock", NULL);
	}
	if (json_object_size(params) && !stock) {
		json_decref(params);
		return usage_err(deploy_usage, "--param goes with --stock", NULL);
	}
	b = json_pack("{s:s}", "name", name);
	const char *paths[2] = {config, reqs}, *keys[2] = {"config", "requirements"};
	for (int k = 0; k < 2; k++) {
		if (!paths[k])
			continue;
		char *t = innet_read_file(paths[k], NULL);
		if (!t) {
			fprintf(stderr, "innet: cannot read %s: %s\n", paths[k], strerror(errno));
			json_decref(b);
			json_decref(params);
			return EX_USAGE;
		}
		json_object_set_new(b, keys[k], json_string(t));
		free(t);
	}
	if (stock) {
		json_object_set_new(b, "stock", json_string(stock));
		json_object_set_new(b, "params", params);
	} else {
		json_decref(params);
	}
	*out = b;
	return EX_OK;
}

static bool is_help(int argc, char **argv);

static int deploy_or_check(int argc, char **argv, bool deploy)
{
	if (is_help(argc, argv)) {
		printf("%s%s", deploy_usage, common_opts);
		return EX_OK;
	}
	struct remote o;
	int rc = remote_init(&o, &argc, argv, deploy_usage);
	json_t *body = NULL, *res = NULL;
	if (!rc)
		rc = request_body(argc, argv, &body);
	if (!rc)
		rc = call(&o, "POST", deploy ? "/v1/modules" : "/v1/check", body, &res);
	if (!rc && !o.json && res) {
		char addr[96];
		fmt_address(json_object_get(res, "address"), addr, sizeof addr);
		if (deploy)
			printf("module %lld '%s' deployed: %s on %s at %s\n",
			       (long long)json_integer_value(json_object_get(res, "id")), out_jstr(res, "name"),
			       out_jstr(res, "verdict"), or_dash(out_jstr(res, "platform")), addr);
		else
			printf("verdict: %s\nplatform: %s\naddress: %s\n", out_jstr(res, "verdict"),
			       or_dash(out_jstr(res, "platform")), addr);
		json_t *why = json_object_get(res, "reason");
		if (json_is_object(why)) {
			char pre[96];
			snprintf(pre, sizeof pre, "reason: %s: ", out_jstr(why, "code"));
			out_print_wrapped(stdout, pre, 2, out_jstr(why, "message"));
		}
		json_t *v;
		size_t i;
		json_t *per = json_object_get(json_object_get(why, "details"), "platforms");
		if (json_array_size(json_object_get(json_object_get(res, "report"), "candidates")))
			per = NULL; /* the report's platform list says it */
		json_array_foreach(per, i, v) {
			char pre[160];
			snprintf(pre, sizeof pre, "  %s: ", out_jstr(v, "platform"));
			if (json_is_object(json_object_get(v, "failure")))
				print_failure(stdout, pre, json_object_get(v, "failure"));
			else
				printf("%sfull\n", pre);
		}
		print_report(json_object_get(res, "report"));
	}
	/* a check that answers "rejected" tells the script so */
	if (!rc && !deploy && !strcmp(out_jstr(res, "verdict"), "rejected"))
		rc = EX_REFUSED;
	json_decref(body);
	json_decref(res);
	remote_release(&o);
	return rc;
}

int cmd_deploy(int argc, char **argv)
{
	return deploy_or_check(argc, argv, true);
}

int cmd_check(int argc, char **argv)
{
	return deploy_or_check(argc, argv, false);
}

/* --- modules ----------------------------------------------------------------- */

static bool is_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

/* A positive decimal id, or NULL. */
static const char *id_arg(const char *s)
{
	if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18 || !strcmp(s, "0"))
		return NULL;
	return s;
}

static const char ls_usage[] = "usage: innet ls [--all]\n"
                               "Lists your modules (as a tenant); --all also the killed ones.\n";

int cmd_ls(int argc, char **argv)
{
	if (is_help(argc, argv)) {
		printf("%s%s", ls_usage, common_opts);
		return EX_OK;
	}
	struct remote o;
	int rc = remote_init(&o, &argc, argv, ls_usage);
	bool all = false;
	for (int i = 1; !rc && i < argc; i++) {
		if (!strcmp(argv[i], "--all"))
			all = true;
		else
			rc = usage_err(ls_usage, argv[i][0] == '-' ? "unknown option '%s'" : "unexpected argument '%s'",
			               argv[i]);
	}
	json_t *res = NULL;
	if (!rc)
		rc = call(&o, "GET", all ? "/v1/modules?all=1" : "/v1/modules", NULL, &res);
	if (!rc && !o.json) {
		struct table t = {.ncols = 6};
		table_row(&t, (const char *[]){"ID", "NAME", "STATE", "PLATFORM", "ADDRESS", "VERDICT"});
		size_t i;
		json_t *m;
		json_array_foreach(json_object_get(res, "modules"), i, m) {
			char id[24], addr[96];
			snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(m, "id")));
			fmt_address(json_object_get(m, "address"), addr, sizeof addr);
			table_row(&t, (const char *[]){id, out_jstr(m, "name"), or_dash(out_jstr(m, "state")),
			                               or_dash(out_jstr(m, "platform")), addr,
			                               or_dash(out_jstr(m, "verdict"))});
		}
		table_print(&t, "");
	}
	json_decref(res);
	remote_release(&o);
	return rc;
}

static const char show_usage[] = "usage: innet show ID\nOne module: state, address, verdict, "
                                 "and the report (rules, requirements with traces).\n";

int cmd_show(int argc, char **argv)
{
	if (is_help(argc, argv)) {
		printf("%s%s", show_usage, common_opts);
		return EX_OK;
	}
	struct remote o;
	int rc = remote_init(&o, &argc, argv, show_usage);
	if (!rc && (argc != 2 || !id_arg(argv[1])))
		rc = usage_err(show_usage, argc == 2 ? "'%s' is not a module id" : "give one module id",
		               argc == 2 ? argv[1] : NULL);
	json_t *m = NULL;
	char path[64];
	if (!rc) {
		snprintf(path, sizeof path, "/v1/modules/%s", argv[1]);
		rc = call(&o, "GET", path, NULL, &m);
	}
	if (!rc && !o.json) {
		char addr[96];
		fmt_address(json_object_get(m, "address"), addr, sizeof addr);
		printf("id:        %lld\nname:      %s\nstate:     %s\nplatform:  %s\naddress:   %s\n"
		       "verdict:   %s\n",
		       (long long)json_integer_value(json_object_get(m, "id")), out_jstr(m, "name"),
		       or_dash(out_jstr(m, "state")), or_dash(out_jstr(m, "platform")), addr,
		       or_dash(out_jstr(m, "verdict")));
		if (*out_jstr(m, "stock"))
			printf("stock:     %s\n", out_jstr(m, "stock"));
		if (*out_jstr(m, "created_at"))
			printf("created:   %s\n", out_jstr(m, "created_at"));
		json_t *rt = json_object_get(m, "runtime");
		if (json_is_object(rt)) {
			const char *key;
			json_t *v;
			char line[2048];
			size_t n = 0;
			line[0] = '\0';
			json_object_foreach(rt, key, v) {
				if (!json_is_integer(v) || n >= sizeof line)
					continue;
				int w = snprintf(line + n, sizeof line - n, "%s%s=%lld", n ? " " : "", key,
				                 (long long)json_integer_value(v));
				if (w > 0)
					n += (size_t)w;
			}
			out_print_wrapped(stdout, "runtime:   ", 11, line);
		}
		print_report(json_object_get(m, "report"));
	}
	json_decref(m);
	remote_release(&o);
	return rc;
}

static const char rm_usage[] =
	"usage: innet rm ID...\n"
	"       innet rm --tenant NAME|ID\n"
	"Kills modules (the operator's token: any tenant's). --tenant (operator): deletes the\n"
	"tenant with all its modules, which leave the fast path.\n";

static int tenant_ref(struct remote *o, const char *ref, char *id, size_t len, const char *usage);

int cmd_rm(int argc, char **argv)
{
	if (is_help(argc, argv)) {
		printf("%s%s", rm_usage, common_opts);
		return EX_OK;
	}
	struct remote o;
	int rc = remote_init(&o, &argc, argv, rm_usage);
	if (!rc && argc >= 2 && !strcmp(argv[1], "--tenant")) {
		char id[24], path[80];
		if (argc != 3)
			rc = usage_err(rm_usage, "--tenant takes one tenant name or id", NULL);
		if (!rc)
			rc = tenant_ref(&o, argv[2], id, sizeof id, rm_usage);
		if (!rc) {
			snprintf(path, sizeof path, "/v1/tenants/%s?force=true", id);
			rc = call(&o, "DELETE", path, NULL, NULL);
		}
		if (!rc && !o.json)
			printf("tenant %s removed with its modules\n", id);
		remote_release(&o);
		return rc;
	}
	if (!rc && argc < 2)
		rc = usage_err(rm_usage, "give a module id", NULL);
	for (int i = 1; !rc && i < argc; i++)
		if (!id_arg(argv[i]))
			rc = usage_err(rm_usage, "'%s' is not a module id", argv[i]);
	for (int i = 1; !rc && i < argc; i++) {
		char path[64];
		snprintf(path, sizeof path, "/v1/modules/%s", argv[i]);
		rc = call(&o, "DELETE", path, NULL, NULL);
		if (!rc && !o.json)
			printf("module %s killed\n", argv[i]);
	}
	remote_release(&o);
	return rc;
}

/* --- operator: network, policy, tenant ----------------------------------------- */

static const char network_usage[] =
	"usage: innet network put FILE.json [--force]\n"
	"       innet network get\n"
	"put stores a new network snapshot (re-checked against deployed modules;\n"
	"--force stores it even if some would break); get prints the current one.\n";

int cmd_network(int argc, char **argv)
{
	if (is_help(argc, argv)) {
		printf("%s%s", network_usage, common_opts);
		return EX_OK;
	}
	struct remote o;
	int rc = remote_init(&o, &argc, argv, network_usage);
	json_t *res = NULL, *body = NULL;
	bool force = false;
	if (!rc && argc >= 3 && !strcmp(argv[argc - 1], "--force")) {
		force = true;
		argc--;
	}
	if (rc) {
		/* printed */
	} else if (argc == 3 && !strcmp(argv[1], "put")) {
		json_error_t je;
		body = strcmp(argv[2], "-") ? json_load_file(argv[2], 0, &je) : json_loadf(stdin, 0, &je);
		if (!body) {
			fprintf(stderr, "innet: %s:%d:%d: %s\n", argv[2], je.line, je.column, je.text);
			rc = EX_USAGE;
		} else {
			rc = call(&o, "PUT", force ? "/v1/network?force=true" : "/v1/network", body, &res);
		}
		if (!rc && !o.json) {
			printf("network snapshot version %lld stored", (long long)json_integer_value(json_object_get(res, "version")));
			const char *key;
			json_t *v;
			bool first = true;
			json_object_foreach(res, key, v)
				if (strcmp(key, "version") && json_is_integer(v)) {
					printf("%s%s %lld", first ? " (" : ", ", key, (long long)json_integer_value(v));
					first = false;
				}
			printf("%s\n", first ? "" : ")");
		}
	} else if (argc == 2 && !strcmp(argv[1], "get") && !force) {
		rc = call(&o, "GET", "/v1/network", NULL, &res);
		if (!rc && !o.json) {
			/* the snapshot itself is the readable form; version first */
			printf("# version %lld\n", (long long)json_integer_value(json_object_get(res, "version")));
			char *s = json_dumps(json_object_get(res, "snapshot"), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			if (s)
				printf("%s\n", s);
			free(s);
		}
	} else {
		rc = usage_err(network_usage, argc < 2 ? "network: put or get?" : "bad arguments to network",
		               NULL);
	}
	json_decref(body);
	json_decref(res);
	remote_release(&o);
	return rc;
}

static const char policy_usage[] =
	"usage: innet policy add \"STATEMENTS\" [--force]\n"
	"       innet policy add --file F.reach [--force]\n"
	"       innet policy ls\n"
	"       innet policy rm ID\n";

int cmd_policy(int argc, char **argv)
{
	if (is_help(argc, argv)) {
		printf("%s%s", policy_usage, common_opts);
		return EX_OK;
	}
	struct remote o;
	int rc = remote_init(&o, &argc, argv, policy_usage);
	json_t *res = NULL;
	const char *sub = argc > 1 ? argv[1] : "";
	if (rc) {
	} else if (!strcmp(sub, "add")) {
		const char *text = NULL, *file = NULL;
		bool force = false;
		for (int i = 2; i < argc && !rc; i++) {
			if (!strcmp(argv[i], "--force"))
				force = true;
			else if (!strcmp(argv[i], "--file") && i + 1 < argc)
				file = argv[++i];
			else if (argv[i][0] == '-' && argv[i][1])
				rc = usage_err(policy_usage, "unknown option '%s'", argv[i]);
			else if (!text)
				text = argv[i];
			else
				rc = usage_err(policy_usage, "unexpected argument '%s' (quote the statement)", argv[i]);
		}
		if (!rc && !text == !file)
			rc = usage_err(policy_usage, "give the statements or --file", NULL);
		char *ftext = NULL;
		if (!rc && file && !(ftext = innet_read_file(file, NULL))) {
			fprintf(stderr, "innet: cannot read %s: %s\n", file, strerror(errno));
			rc = EX_USAGE;
		}
		if (!rc) {
			json_t *b = json_pack("{s:s}", "text", ftext ? ftext : text);
			if (force)
				json_object_set_new(b, "force", json_true());
			rc = call(&o, "POST", "/v1/policies", b, &res);
			json_decref(b);
		}
		free(ftext);
		if (!rc && !o.json) {
			printf("policy %lld added\n", (long long)json_integer_value(json_object_get(res, "id")));
			json_t *v;
			size_t i;
			json_array_foreach(json_object_get(res, "violations"), i, v)
				printf("  forced although module %lld '%s' breaks: %s\n",
				       (long long)json_integer_value(json_object_get(v, "module_id")), out_jstr(v, "module"),
				       out_jstr(v, "statement"));
		}
	} else if (!strcmp(sub, "ls") && argc == 2) {
		rc = call(&o, "GET", "/v1/policies", NULL, &res);
		if (!rc && !o.json) {
			struct table t = {.ncols = 4};
			table_row(&t, (const char *[]){"ID", "CREATED", "BY", "TEXT"});
			size_t i;
			json_t *p;
			json_array_foreach(json_object_get(res, "policies"), i, p) {
				char id[24];
				snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(p, "id")));
				/* one line per statement keeps the table readable */
				char *txt = strdup(out_jstr(p, "text")), *save = NULL;
				const char *first = "";
				char *line = txt ? strtok_r(txt, "\n", &save) : NULL;
				first = line ? line : "";
				table_row(&t, (const char *[]){id, or_dash(out_jstr(p, "created_at")),
				                               or_dash(out_jstr(p, "created_by")), first});
				while (line && (line = strtok_r(NULL, "\n", &save)))
					table_row(&t, (const char *[]){"", "", "", line});
				free(txt);
			}
			table_print(&t, "");
		}
	} else if (!strcmp(sub, "rm") && argc == 3 && id_arg(argv[2])) {
		char path[64];
		snprintf(path, sizeof path, "/v1/policies/%s", argv[2]);
		rc = call(&o, "DELETE", path, NULL, NULL);
		if (!rc && !o.json)
			printf("policy %s removed\n", argv[2]);
	} else {
		rc = usage_err(policy_usage, *sub ? "bad arguments to policy %s" : "policy: add, ls or rm?", sub);
	}
	json_decref(res);
	remote_release(&o);
	return rc;
}

static const char tenant_usage[] =
	"usage: innet tenant add NAME --kind client|third_party|operator [--address P]... [--whitelist P]...\n"
	"       innet tenant ls\n"
	"       innet tenant rm ID\n"
	"       innet tenant suspend|resume NAME|ID\n"
	"       innet tenant rotate NAME|ID\n"
	"       innet tenant set NAME|ID [--address P]... [--whitelist P]... [--no-addresses]\n"
	"                        [--no-whitelist] [--quota KEY=N]...\n"
	"add prints the new tenant's token (shown once); rotate prints a new one (the old one\n"
	"stops working at once). suspend: its token is refused and its modules stop taking new\n"
	"flows until resume. set replaces the lists given (--address, --whitelist) and the\n"
	"quotas named (modules, memory_mb, starts_per_minute, rps, flows); the rest stays.\n"
	"rm ID refuses a tenant with modules; innet rm --tenant deletes it with them.\n";

/* A tenant given by id (digits) or name into id; EX_REFUSED when no
 * tenant has that name. */
static int tenant_ref(struct remote *o, const char *ref, char *id, size_t len, const char *usage)
{
	if (!ref || !*ref)
		return usage_err(usage, "give a tenant name or id", NULL);
	if (id_arg(ref)) {
		snprintf(id, len, "%s", ref);
		return 0;
	}
	json_t *res = NULL;
	bool json = o->json;
	o->json = false; /* the lookup is not the answer */
	int rc = call(o, "GET", "/v1/tenants", NULL, &res);
	o->json = json;
	size_t i;
	json_t *t;
	bool found = false;
	json_array_foreach(json_object_get(res, "tenants"), i, t)
		if (!rc && !found && !strcmp(out_jstr(t, "name"), ref)) {
			snprintf(id, len, "%lld", (long long)json_integer_value(json_object_get(t, "id")));
			found = true;
		}
	json_decref(res);
	if (!rc && !found) {
		fprintf(stderr, "innet: no tenant called '%s'\n", ref);
		rc = EX_REFUSED;
	}
	return rc;
}

/* set's options into a PATCH body; EX_USAGE after printing why. */
static int tenant_set_body(int argc, char **argv, json_t *b)
{
	json_t *addrs = NULL, *wl = NULL, *q = NULL;
	int rc = 0;
	for (int i = 3; i < argc && !rc; i++) {
		const char *a = argv[i];
		bool opt = !strcmp(a, "--address") || !strcmp(a, "--whitelist") || !strcmp(a, "--quota");
		if (opt && i + 1 >= argc) {
			rc = usage_err(tenant_usage, "%s needs a value", a);
		} else if (!strcmp(a, "--address") || !strcmp(a, "--no-addresses")) {
			if (!addrs)
				addrs = json_array();
			if (a[2] == 'a')
				json_array_append_new(addrs, json_string(argv[++i]));
		} else if (!strcmp(a, "--whitelist") || !strcmp(a, "--no-whitelist")) {
			if (!wl)
				wl = json_array();
			if (a[2] == 'w')
				json_array_append_new(wl, json_string(argv[++i]));
		} else if (!strcmp(a, "--quota")) {
			const char *v = argv[++i], *eq = strchr(v, '=');
			char *end = NULL;
			long long n = eq ? strtoll(eq + 1, &end, 10) : -1;
			if (!eq || eq == v || !eq[1] || *end || n < 0) {
				rc = usage_err(tenant_usage, "--quota wants KEY=N, not '%s'", v);
				break;
			}
			if (!q)
				q = json_object();
			char key[64];
			snprintf(key, sizeof key, "%.*s", (int)(eq - v), v);
			json_object_set_new(q, key, json_integer(n));
		} else {
			rc = usage_err(tenant_usage, a[0] == '-' ? "unknown option '%s'" : "unexpected argument '%s'", a);
		}
	}
	if (!rc && !addrs && !wl && !q)
		rc = usage_err(tenant_usage, "set: nothing to change", NULL);
	if (addrs)
		json_object_set_new(b, "addresses", addrs);
	if (wl)
		json_object_set_new(b, "whitelist", wl);
	if (q)
		json_object_set_new(b, "quotas", q);
	return rc;
}

/* suspend, resume, rotate and set. */
static int tenant_control(struct remote *o, int argc, char **argv)
{
	const char *sub = argv[1];
	bool set = !strcmp(sub, "set");
	if (argc < 3 || (!set && argc != 3))
		return usage_err(tenant_usage, "bad arguments to tenant %s", sub);
	char id[24], path[96];
	json_t *b = set ? json_object() : NULL, *res = NULL;
	int rc = set ? tenant_set_body(argc, argv, b) : 0;
	if (!rc)
		rc = tenant_ref(o, argv[2], id, sizeof id, tenant_usage);
	if (!rc) {
		snprintf(path, sizeof path, "/v1/tenants/%s%s", id, set ? "" : !strcmp(sub, "rotate") ? "/token"
		         : !strcmp(sub, "suspend") ? "/suspend" : "/resume");
		rc = call(o, set ? "PATCH" : "POST", path, b, &res);
	}
	if (!rc && !o->json) {
		const char *name = out_jstr(res, "name");
		if (!strcmp(sub, "rotate"))
			printf("tenant %s '%s': new token: %s\n(the token is shown only once; the old one no "
			       "longer works)\n", id, name, out_jstr(res, "token"));
		else if (set)
			printf("tenant %s '%s' changed\n", id, name);
		else
			printf("tenant %s '%s' %s (%lld module(s) %s)\n", id, name,
			       !strcmp(sub, "suspend") ? "suspended" : "resumed",
			       (long long)json_integer_value(json_object_get(res, !strcmp(sub, "suspend")
			                                                     ? "modules_held" : "modules_released")),
			       !strcmp(sub, "suspend") ? "held" : "released");
	}
	json_decref(b);
	json_decref(res);
	return rc;
}

static void join_array(json_t *a, char *buf, size_t len)
{
	size_t i, n = 0;
	json_t *v;
	buf[0] = '\0';
	json_array_foreach(a, i, v) {
		int w = snprintf(buf + n, len - n, "%s%s", i ? "," : "", json_is_string(v) ? json_string_value(v) : "");
		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
	}
	if (!n)
		snprintf(buf, len, "-");
}

int cmd_tenant(int argc, char **argv)
{
	if (is_help(argc, argv)) {
		printf("%s%s", tenant_usage, common_opts);
		return EX_OK;
	}
	struct remote o;
	int rc = remote_init(&o, &argc, argv, tenant_usage);
	json_t *res = NULL;
	const char *sub = argc > 1 ? argv[1] : "";
	if (rc) {
	} else if (!strcmp(sub, "add")) {
		const char *name = NULL, *kind = NULL;
		json_t *addrs = json_array(), *wl = json_array();
		for (int i = 2; i < argc && !rc; i++) {
			const char *a = argv[i];
			bool opt = !strcmp(a, "--kind") || !strcmp(a, "--address") || !strcmp(a, "--whitelist");
			if (opt && i + 1 >= argc)
				rc = usage_err(tenant_usage, "%s needs a value", a);
			else if (!strcmp(a, "--kind"))
				kind = argv[++i];
			else if (!strcmp(a, "--address"))
				json_array_append_new(addrs, json_string(argv[++i]));
			else if (!strcmp(a, "--whitelist"))
				json_array_append_new(wl, json_string(argv[++i]));
			else if (a[0] == '-' && a[1])
				rc = usage_err(tenant_usage, "unknown option '%s'", a);
			else if (!name)
				name = a;
			else
				rc = usage_err(tenant_usage, "unexpected argument '%s'", a);
		}
		if (!rc && (!name || !kind))
			rc = usage_err(tenant_usage, name ? "--kind is required" : "give the tenant's name", NULL);
		if (!rc) {
			json_t *b = json_pack("{s:s, s:s, s:O, s:O}", "name", name, "kind", kind, "addresses",
			                      addrs, "whitelist", wl);
			rc = call(&o, "POST", "/v1/tenants", b, &res);
			json_decref(b);
		}
		json_decref(addrs);
		json_decref(wl);
		if (!rc && !o.json)
			printf("tenant %lld '%s' (%s) created\ntoken: %s\n(the token is shown only once)\n",
			       (long long)json_integer_value(json_object_get(res, "id")), out_jstr(res, "name"),
			       out_jstr(res, "kind"), out_jstr(res, "token"));
	} else if (!strcmp(sub, "ls") && argc == 2) {
		rc = call(&o, "GET", "/v1/tenants", NULL, &res);
		if (!rc && !o.json) {
			struct table t = {.ncols = 5};
			table_row(&t, (const char *[]){"ID", "NAME", "KIND", "ADDRESSES", "WHITELIST"});
			size_t i;
			json_t *p;
			json_array_foreach(json_object_get(res, "tenants"), i, p) {
				char id[24], ad[512], wlb[512];
				snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(p, "id")));
				join_array(json_object_get(p, "addresses"), ad, sizeof ad);
				join_array(json_object_get(p, "whitelist"), wlb, sizeof wlb);
				table_row(&t, (const char *[]){id, out_jstr(p, "name"), out_jstr(p, "kind"), ad, wlb});
			}
			table_print(&t, "");
		}
	} else if (!strcmp(sub, "suspend") || !strcmp(sub, "resume") || !strcmp(sub, "rotate") ||
	           !strcmp(sub, "set")) {
		rc = tenant_control(&o, argc, argv);
	} else if (!strcmp(sub, "rm") && argc == 3 && id_arg(argv[2])) {
		char path[64];
		snprintf(path, sizeof path, "/v1/tenants/%s", argv[2]);
		rc = call(&o, "DELETE", path, NULL, NULL);
		if (!rc && !o.json)
			printf("tenant %s removed\n", argv[2]);
	} else {
		rc = usage_err(tenant_usage, *sub ? "bad arguments to tenant %s" :
		               "tenant: add, ls, rm, suspend, resume, rotate or set?", sub);
	}
	json_decref(res);
	remote_release(&o);
	return rc;
}

static const char stock_usage[] = "usage: innet stock\nLists the stock modules and their parameters.\n";

int cmd_stock(int argc, char **argv)
{
	if (is_help(argc, argv)) {
		printf("%s%s", stock_usage, common_opts);
		return EX_OK;
	}
	struct remote o;
	int rc = remote_init(&o, &argc, argv, stock_usage);
	if (!rc && argc > 1)
		rc = usage_err(stock_usage, "unexpected argument '%s'", argv[1]);
	json_t *res = NULL;
	if (!rc)
		rc = call(&o, "GET", "/v1/stock", NULL, &res);
	if (!rc && !o.json) {
		size_t i, k;
		json_t *s, *p;
		json_array_foreach(json_object_get(res, "stock"), i, s) {
			printf("%s%s%s%s\n", i ? "\n" : "", out_jstr(s, "name"), *out_jstr(s, "summary") ? ": " : "",
			       out_jstr(s, "summary"));
			json_t *ps = json_object_get(s, "params");
			if (!json_array_size(ps))
				continue;
			struct table t = {.ncols = 4};
			table_row(&t, (const char *[]){"PARAM", "TYPE", "DEFAULT", "DESCRIPTION"});
			json_array_foreach(ps, k, p) {
				const char *ds = *out_jstr(p, "default") ? out_jstr(p, "default") :
				                 json_is_true(json_object_get(p, "required")) ? "(required)" : "-";
				table_row(&t, (const char *[]){out_jstr(p, "name"), out_jstr(p, "type"), ds, out_jstr(p, "doc")});
			}
			table_print(&t, "  ");
		}
	}
	json_decref(res);
	remote_release(&o);
	return rc;
}
