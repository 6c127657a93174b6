/* The configuration table: file syntax, every kind of bad key or value with
 * file:line:column, flags over file, env, JSON dump. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/config.h"
#include "harness.h"

static int parse(struct cfg *c, const char *text, struct diags *d)
{
	diags_init(d);
	assert_int_equal(cfg_init(c), 0);
	return cfg_parse_text(c, "t.conf", text, strlen(text), d);
}

/* The first diagnostic as innetd prints it, without its source lines. */
static void expect_first(const struct diags *d, size_t i, const char *want)
{
	if (!d->n)
		fail_msg("case %zu: no diagnostic, want '%s'", i, want);
	char *text = diag_format(&d->v[0]);
	assert_non_null(text);
	text[strcspn(text, "\n")] = '\0';
	if (strcmp(text, want))
		fail_msg("case %zu: got '%s', want '%s'", i, text, want);
	free(text);
}

static void test_defaults(void **state)
{
	struct cfg c;
	assert_int_equal(cfg_init(&c), 0);
	assert_string_equal(c.listen, "127.0.0.1:8080");
	assert_int_equal(c.max_body, 1 << 20);
	assert_int_equal(c.max_header, 16 << 10);
	assert_int_equal(c.header_timeout, 10000);
	assert_string_equal(c.log_level, "info");
	assert_string_equal(c.network, "");
	cfg_free(&c);
}

static void test_good_file(void **state)
{
	struct cfg c;
	struct diags d;
	const char *text =
		"# comment\n"
		"\n"
		"  listen = 0.0.0.0:9000   # trailing comment\n"
		"max-body=2M\n"
		"max-header = 4096\n"
		"header-timeout = 500ms\n"
		"idle-timeout = 2m\n"
		"shutdown-timeout = 10m\n"
		"admin-token = \"with # hash and spaces\"\n"
		"network = conf/a#b.json\n"
		"log-level = debug\r\n"
		"policy =\n";
	assert_int_equal(parse(&c, text, &d), 0);
	assert_int_equal(d.n, 0);
	diags_free(&d);
	assert_string_equal(c.listen, "0.0.0.0:9000");
	assert_int_equal(c.max_body, 2 << 20);
	assert_int_equal(c.max_header, 4096);
	assert_int_equal(c.header_timeout, 500);
	assert_int_equal(c.idle_timeout, 120000);
	assert_int_equal(c.shutdown_timeout, 600000);
	assert_string_equal(c.admin_token, "with # hash and spaces");
	assert_string_equal(c.network, "conf/a#b.json");
	assert_string_equal(c.log_level, "debug");
	assert_string_equal(c.policy, "");
	cfg_free(&c);
}

static void test_repo_file(void **state)
{
	struct cfg c;
	struct diags d;
	diags_init(&d);
	assert_int_equal(cfg_init(&c), 0);
	assert_int_equal(cfg_load_file(&c, th_source_path("conf/innetd.conf"), &d), 0);
	assert_int_equal(d.n, 0);
	assert_string_equal(c.network, "conf/network.json");
	assert_string_equal(c.policy, "conf/policy.reach");
	assert_string_equal(c.listen, "127.0.0.1:8080");
	cfg_free(&c);
}

static void test_bad_lines(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"nope = 1\n", "t.conf:1:1: error: unknown setting 'nope'"},
		{"\n\nlisten = 1.2.3.4\n", "t.conf:3:10: error: listen: '1.2.3.4' is not an address:port (like 127.0.0.1:8080)"},
		{"listen = 1.2.3.4:70000\n", "t.conf:1:10: error: listen: '1.2.3.4:70000' is not an address:port (like 127.0.0.1:8080)"},
		{"listen = host:80\n", "t.conf:1:10: error: listen: 'host:80' is not an address:port (like 127.0.0.1:8080)"},
		{"max-body = 12X\n", "t.conf:1:12: error: max-body: '12X' is not a size (like 1M, 16K or 4096)"},
		{"max-body = 100\n", "t.conf:1:12: error: max-body: 100 is out of range [1024, 67108864] bytes"},
		{"max-body = 99999999999999999999999\n", "t.conf:1:12: error: max-body: '99999999999999999999999' is too large"},
		{"max-connections = -1\n", "t.conf:1:19: error: max-connections: '-1' is not a non-negative integer"},
		{"max-connections = 100001\n", "t.conf:1:19: error: max-connections: 100001 is out of range [1, 100000]"},
		{"header-timeout = 1\n", "t.conf:1:18: error: header-timeout: 1 is out of range [10, 3600000] ms"},
		{"idle-timeout = 10 s\n", "t.conf:1:16: error: idle-timeout: '10 s' is not a duration (like 500ms, 10s, 2m)"},
		{"log-level = verbose\n", "t.conf:1:13: error: log-level: 'verbose' is not one of debug|info|warn|error"},
		{"listen\n", "t.conf:1:1: error: expected 'key = value'"},
		{" = 3\n", "t.conf:1:2: error: missing key before '='"},
		{"db = \"a\" b\n", "t.conf:1:10: error: text after the quoted value"},
		{"db = \"a\n", "t.conf:1:6: error: unterminated quoted value"},
		{"db = a\n# x\ndb = b\n", "t.conf:3:1: error: 'db' is set twice (first on line 1)"},
		{"max-body =\n", "t.conf:1:11: error: max-body: '' is not a size (like 1M, 16K or 4096)"},
		{"  admin-token = \"a\001b\"\n", "t.conf:1:17: error: admin-token: control character in value"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct cfg c;
		struct diags d;
		assert_int_not_equal(parse(&c, cases[i].text, &d), 0);
		expect_first(&d, i, cases[i].msg);
		diags_free(&d);
		cfg_free(&c);
	}
}

static void test_nul_byte(void **state)
{
	struct cfg c;
	struct diags d;
	diags_init(&d);
	assert_int_equal(cfg_init(&c), 0);
	assert_int_not_equal(cfg_parse_text(&c, "t.conf", "db = a\0b\n", 9, &d), 0);
	expect_first(&d, 0, "t.conf:1:7: error: NUL byte in line");
	/* the source line and a caret under the value at fault */
	assert_int_equal(cfg_parse_text(&c, "t.conf", "max-body = 12X\n", 15, &d), -EINVAL);
	char *text = diag_format(&d.v[1]);
	assert_string_equal(text, "t.conf:1:12: error: max-body: '12X' is not a size (like 1M, 16K or 4096)\n"
	                          "  max-body = 12X\n"
	                          "             ^~~\n");
	free(text);
	diags_free(&d);
	cfg_free(&c);
}

static void test_flags_override_file(void **state)
{
	char path[] = "/tmp/innet-cfg-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "max-body = 4K\nlisten = 127.0.0.1:1\nidle-timeout = 5s\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	char *argv[] = {"innetd", "--listen", "127.0.0.1:2", "--config", path, "--idle-timeout=7s", NULL};
	struct cfg c;
	struct diags d;
	diags_init(&d);
	unsetenv("INNET_ADMIN_TOKEN");
	assert_int_equal(cfg_load(&c, 6, argv, &d), 0);
	assert_string_equal(c.listen, "127.0.0.1:2");   /* flag, though given before --config */
	assert_int_equal(c.max_body, 4096);             /* file */
	assert_int_equal(c.idle_timeout, 7000);         /* flag */
	assert_string_equal(c.config_file, path);
	cfg_free(&c);

	setenv("INNET_ADMIN_TOKEN", "from-the-environment", 1);
	char *argv2[] = {"innetd", NULL};
	assert_int_equal(cfg_load(&c, 1, argv2, &d), 0);
	assert_string_equal(c.admin_token, "from-the-environment");
	json_t *j = cfg_to_json(&c);
	assert_string_equal(json_string_value(json_object_get(j, "admin-token")), "(set)");
	assert_int_equal(json_integer_value(json_object_get(j, "max-body")), 1 << 20);
	json_decref(j);
	cfg_free(&c);
	char *argv3[] = {"innetd", "--admin-token", "flag-wins-over-env", NULL};
	assert_int_equal(cfg_load(&c, 3, argv3, &d), 0);
	assert_string_equal(c.admin_token, "flag-wins-over-env");
	assert_int_equal(d.n, 0);
	diags_free(&d);
	cfg_free(&c);
	unsetenv("INNET_ADMIN_TOKEN");
	unlink(path);
}

static void test_bad_flags(void **state)
{
	static const struct {
		int argc;
		char *argv[4];
		const char *msg;
	} cases[] = {
		{2, {"innetd", "--nope"}, "error: --nope: unknown flag (see --help)"},
		{3, {"innetd", "--nope", "1"}, "error: --nope: unknown flag (see --help)"},
		{2, {"innetd", "--max-body"}, "error: --max-body: missing value"},
		{3, {"innetd", "--max-body", "1T"}, "error: --max-body: '1T' is not a size (like 1M, 16K or 4096)"},
		{2, {"innetd", "stray"}, "error: stray: unexpected argument (flags are --name value)"},
		{2, {"innetd", "--config"}, "error: --config: missing file name"},
		{3, {"innetd", "--config", "/nonexistent/x.conf"}, "error: /nonexistent/x.conf: No such file or directory"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct cfg c;
		struct diags d;
		diags_init(&d);
		assert_int_equal(cfg_load(&c, cases[i].argc, (char **)cases[i].argv, &d), -EINVAL);
		expect_first(&d, i, cases[i].msg);
		diags_free(&d);
		cfg_free(&c);
	}
}

static void test_table(void **state)
{
	size_t n;
	const struct cfg_setting *s = cfg_settings(&n);
	assert_true(n >= 10);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(s[i].help);
		assert_ptr_equal(cfg_find(s[i].name), &s[i]);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(s[i].name, s[j].name);
	}
	assert_null(cfg_find("no-such-setting"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_repo_file),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_flags_override_file),
		cmocka_unit_test(test_bad_flags),
		cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
