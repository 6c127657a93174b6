/* The catalogue of process-backed stock modules (src/controller/process.c):
 * the shipped examples/process-catalogue.json parses, every entry renders
 * to files its own program accepts (nginx -t, unbound-checkconf, squid -k
 * parse), parameters are typed and bounded (no value can inject
 * configuration syntax), and a broken catalogue is refused with its place. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "controller/controller.h"

static char *src_path(const char *rel)
{
	const char *root = getenv("INNET_SOURCE_DIR");
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", root ? root : ".", rel) > 0);
	return p;
}

static void install_shipped(void)
{
	char *path = src_path("examples/process-catalogue.json");
	struct diags d;
	diags_init(&d);
	struct ctl_proccat *c = NULL;
	int rc = ctl_proccat_load(path, &c, &d);
	if (rc)
		diags_print(stderr, &d);
	assert_int_equal(rc, 0);
	ctl_proccat_install(c);
	diags_free(&d);
	free(path);
}

/* Render `stock` with `params` into a fresh directory, write its files and
 * run `check` (with %s the directory) on them: its exit status. */
static int render_and_check(const char *stock, const char *params, const char *check)
{
	char dir[] = "/tmp/innet-proc-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct ctl_process p;
	char err[256] = "";
	int rc = ctl_process_render(stock, params, dir, &p, err, sizeof err);
	if (rc)
		fprintf(stderr, "render %s: %s\n", stock, err);
	assert_int_equal(rc, 0);
	assert_non_null(p.argv[0]);
	assert_true(p.nfiles > 0 && p.nlisten > 0 && p.memory_mb > 0 && p.pids > 0);
	for (size_t i = 0; i < p.nfiles; i++) {
		FILE *f = fopen(p.files[i].path, "w");
		assert_non_null(f);
		fputs(p.files[i].text, f);
		fclose(f);
	}
	char cmd[1024];
	snprintf(cmd, sizeof cmd, check, dir, dir, dir);
	int st = system(cmd);
	if (st)
		for (size_t i = 0; i < p.nfiles; i++)
			fprintf(stderr, "---- %s\n%s", p.files[i].path, p.files[i].text);
	ctl_process_free(&p);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return st;
}

static void test_shipped_entries_pass_their_checkers(void **st)
{
	install_shipped();
	assert_int_equal(render_and_check("http-reverse-proxy", "{\"origin\": \"198.51.100.7\", \"origin_port\": 8080}",
	                                  "nginx -q -t -p %s -e stderr -c %s/nginx.conf"), 0);
	assert_int_equal(render_and_check("dns",
	                                  "{\"zone\": \"Example.com.\", \"near_clients\": [\"10.1.0.0/16\", \"192.0.2.0/24\"],"
	                                  " \"near_answer\": \"10.1.0.80\", \"far_answer\": \"203.0.113.80\"}",
	                                  "unbound-checkconf %s/unbound.conf >/dev/null"), 0);
	assert_int_equal(render_and_check("explicit-proxy", "{\"clients\": [\"10.1.0.0/16\"]}",
	                                  "squid -k parse -f %s/squid.conf 2>/dev/null"), 0);
	/* what the controller bounds by a tenant's quota (docs/process-modules.md, "Quotas") */
	uint32_t mb = 0, least = 0;
	assert_int_equal(ctl_process_memory("http-reverse-proxy", &mb, &least), 0);
	assert_true(mb == 64 && least == 16);
	assert_int_equal(ctl_process_memory("reverse-proxy", &mb, &least), -ENOENT); /* Click's */
	ctl_proccat_install(NULL);
}

static void test_render_fills_templates(void **st)
{
	install_shipped();
	struct ctl_process p;
	char err[256];
	assert_int_equal(ctl_process_render("dns", "{\"zone\": \"example.com\", \"near_clients\": [\"10.1.0.0/16\", "
	                                    "\"10.2.0.0/16\"], \"near_answer\": \"10.1.0.80\", \"far_answer\": "
	                                    "\"203.0.113.80\", \"ttl\": 30}", "/var/lib/innet/sandbox/m7", &p, err,
	                                    sizeof err), 0);
	assert_string_equal(p.package, "unbound");
	assert_string_equal(p.argv[4], "/var/lib/innet/sandbox/m7/unbound.conf");
	assert_null(p.argv[5]);
	assert_string_equal(p.files[0].path, "/var/lib/innet/sandbox/m7/unbound.conf");
	/* one access-control-view line per prefix */
	assert_non_null(strstr(p.files[0].text, "access-control-view: 10.1.0.0/16 near\n"
	                                         "    access-control-view: 10.2.0.0/16 near\n"));
	assert_non_null(strstr(p.files[0].text, "\"www.example.com. 30 IN A 10.1.0.80\""));
	assert_int_equal(p.nlisten, 2);
	assert_int_equal(p.listen[0].proto, 17);
	assert_int_equal(p.listen[0].port, 53);
	ctl_process_free(&p);
	/* a directory that could break a file is refused */
	assert_int_equal(ctl_process_render("dns", NULL, "/tmp/a;b", &p, err, sizeof err), -EINVAL);
	assert_int_equal(ctl_process_render("nope", NULL, "/tmp", &p, err, sizeof err), -ENOENT);
	ctl_proccat_install(NULL);
}

/* Instantiated as a stock module: the wrapper, or the field at fault. */
static void expect_param_error(const char *stock, const char *params, const char *field)
{
	json_t *j = json_loads(params, 0, NULL);
	assert_non_null(j);
	char *click = NULL;
	struct diags d;
	diags_init(&d);
	assert_int_equal(ctl_stock_instantiate(stock, j, &click, &d), -EINVAL);
	assert_null(click);
	assert_true(d.n > 0);
	if (strcmp(d.v[0].file, field))
		fprintf(stderr, "%s %s: got field %s (%s)\n", stock, params, d.v[0].file, d.v[0].msg);
	assert_string_equal(d.v[0].file, field);
	diags_free(&d);
	json_decref(j);
}

static void test_parameters_are_typed(void **st)
{
	install_shipped();
	json_t *ok = json_pack("{s:s}", "origin", "198.51.100.7");
	char *click = NULL;
	struct diags d;
	diags_init(&d);
	assert_int_equal(ctl_stock_instantiate("http-reverse-proxy", ok, &click, &d), 0);
	assert_string_equal(click, CTL_PROCESS_WRAPPER);
	free(click);
	json_decref(ok);
	diags_free(&d);
	assert_true(ctl_stock_exists("dns"));
	expect_param_error("http-reverse-proxy", "{}", "params.origin");
	expect_param_error("http-reverse-proxy", "{\"origin\": \"198.51.100.7; evil\"}", "params.origin");
	expect_param_error("http-reverse-proxy", "{\"origin\": \"198.51.100.7\", \"client_timeout\": 0}",
	                   "params.client_timeout");
	expect_param_error("http-reverse-proxy", "{\"origin\": \"198.51.100.7\", \"origin_port\": 70000}",
	                   "params.origin_port");
	expect_param_error("http-reverse-proxy", "{\"origin\": \"198.51.100.7\", \"evil\": 1}", "params.evil");
	expect_param_error("dns", "{\"zone\": \"example.com\\\" static\\nlocal-zone: \\\"x\", \"near_clients\": "
	                   "[\"10.0.0.0/8\"], \"near_answer\": \"10.0.0.1\", \"far_answer\": \"10.0.0.2\"}",
	                   "params.zone");
	expect_param_error("dns", "{\"zone\": \"-a.example\", \"near_clients\": [\"10.0.0.0/8\"], "
	                   "\"near_answer\": \"10.0.0.1\", \"far_answer\": \"10.0.0.2\"}", "params.zone");
	expect_param_error("explicit-proxy", "{\"clients\": [\"10.0.0.0/8 all\"]}", "params.clients[0]");
	expect_param_error("explicit-proxy", "{\"clients\": []}", "params.clients");
	/* GET /v1/stock lists them after the Click ones */
	json_t *list = ctl_stock_list_json();
	size_t i, procs = 0;
	json_t *e;
	json_array_foreach(list, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "kind")), "process"))
			procs++;
	assert_int_equal(procs, 3);
	json_decref(list);
	ctl_proccat_install(NULL);
	assert_false(ctl_stock_exists("dns"));
}

static void expect_catalogue_error(const char *text, const char *where)
{
	struct diags d;
	diags_init(&d);
	struct ctl_proccat *c = NULL;
	assert_int_equal(ctl_proccat_parse("cat.json", text, strlen(text), &c, &d), -EINVAL);
	assert_null(c);
	assert_true(d.n > 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	diags_print(f, &d);
	fclose(f);
	if (!strstr(buf, where))
		fprintf(stderr, "expected '%s' in:\n%s", where, buf);
	assert_non_null(strstr(buf, where));
	free(buf);
	diags_free(&d);
}

#define ENTRY(x) "{\"modules\": [{\"name\": \"e\", \"summary\": \"s\", \"package\": \"p\", " x "}]}"

static void test_catalogue_errors(void **st)
{
	expect_catalogue_error("{\"modules\": [\n  {\"name\": ,}]}", "cat.json:2:");
	expect_catalogue_error("{\"modules\": 3}", "{\"modules\": [entry, ...]}");
	expect_catalogue_error(ENTRY("\"argv\": [\"x\", \"@{nope}\"]"), "modules[0].argv[1]: error: @{nope} names no parameter");
	expect_catalogue_error(ENTRY("\"argv\": [\"x\"], \"params\": [{\"name\": \"n\", \"type\": \"port\", \"doc\": \"d\"}],"
	                             " \"files\": [{\"path\": \"c\", \"template\": \"@{n[]}\"}]"),
	                       "only a prefixes parameter repeats a line");
	expect_catalogue_error(ENTRY("\"argv\": [\"x\"], \"files\": [{\"path\": \"../etc/passwd\", \"template\": \"\"}]"),
	                       "files[0].path must be a file name");
	expect_catalogue_error(ENTRY("\"argv\": [\"x\"], \"params\": [{\"name\": \"n\", \"type\": \"integer\", \"doc\": \"d\"}]"),
	                       "modules[0].params[0]: error: an integer parameter needs min and max");
	expect_catalogue_error(ENTRY("\"argv\": [\"x\"], \"params\": [{\"name\": \"n\", \"type\": \"choice\", \"doc\": \"d\","
	                             " \"choices\": [\"a;b\"], \"default\": \"a;b\"}]"), "each choice is a word");
	expect_catalogue_error(ENTRY("\"argv\": [\"x\"], \"params\": [{\"name\": \"n\", \"type\": \"port\", \"doc\": \"d\","
	                             " \"default\": 0}]"), "params[0].default");
	expect_catalogue_error(ENTRY("\"argv\": [\"x\"], \"quota\": {\"memory_mb\": 1}"), "memory_mb must be an integer from 4");
	expect_catalogue_error(ENTRY("\"argv\": [\"x\"], \"params\": [{\"name\": \"n\", \"type\": \"port\", \"doc\": \"d\","
	                             " \"own\": true, \"default\": 80}]"), "params[0]: error: own (true or false) is only for a prefixes");
	/* a declared minimum fits under the entry's own memory */
	expect_catalogue_error(ENTRY("\"argv\": [\"x\"], \"quota\": {\"memory_mb\": 32, \"min_memory_mb\": 48}"),
	                       "min_memory_mb must be an integer from 4 to 32");
	expect_catalogue_error("{\"modules\": [{\"name\": \"firewall\", \"summary\": \"s\", \"package\": \"p\", \"argv\": [\"x\"]}]}",
	                       "already a Click stock module");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_entries_pass_their_checkers),
		cmocka_unit_test(test_render_fills_templates),
		cmocka_unit_test(test_parameters_are_typed),
		cmocka_unit_test(test_catalogue_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
