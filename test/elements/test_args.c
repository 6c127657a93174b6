/* The Click-style argument parser (src/elements/args.h): keyword matching
 * as Click's Args does it, value syntaxes, and diagnostics that name the
 * argument and point into it. */
#include "fx.h"

/* A value at column 1 of a one-line file, for the value parsers. */
struct vfx {
	struct src_file f;
	struct arg_val v;
};

static struct arg_val val(struct fx *x, const char *s)
{
	diags_clear(&x->d);
	char *t = arena_strdup(x->a, s);
	struct src_file *f = arena_alloc(x->a, sizeof *f);
	*f = (struct src_file){ "v", t, strlen(t) };
	memset(&x->el, 0, sizeof x->el);
	x->el.cls = elem_class_find("Queue");
	x->ctx = (struct click_conf_ctx){ &x->el, 1, 1, x->a, &x->d, NULL, NULL };
	struct arg_val v = { t, strlen(t), src_loc_at(f, 0), "X" };
	return v;
}

static const char *first_msg(struct fx *x)
{
	assert_true(x->d.n > 0);
	return x->d.v[0].msg;
}

static void test_keyword_detection(void **state)
{
	(void)state;
	assert_int_equal(arg_keyword_len("BURST 8", 7), 5);
	assert_int_equal(arg_keyword_len("BURST\t 8", 8), 5);
	assert_int_equal(arg_keyword_len("a.b:c?d! x", 10), 8);
	assert_int_equal(arg_keyword_len("_X y", 4), 2);
	assert_int_equal(arg_keyword_len("BURST", 5), 0);       /* no value */
	assert_int_equal(arg_keyword_len("8 BURST", 7), 0);     /* starts with a digit */
	assert_int_equal(arg_keyword_len("10.0.0.1 x", 10), 0);
	assert_int_equal(arg_keyword_len("-x y", 4), 0);
	assert_int_equal(arg_keyword_len("a-b c", 5), 0);       /* '-' ends the word, no space */
	assert_int_equal(arg_keyword_len("\"A\" b", 5), 0);
}

static void test_positional_and_keywords(void **state)
{
	struct fx *x = *state;
	/* Queue(CAPACITY): positional or by keyword */
	FX_OK(x, "Queue", "10", 1, 1);
	assert_int_equal(*(uint32_t *)x->conf, 10);
	FX_OK(x, "Queue", "CAPACITY 20", 1, 1);
	assert_int_equal(*(uint32_t *)x->conf, 20);
	FX_OK(x, "Queue", "CAPACITY 20, CAPACITY 30", 1, 1); /* last wins */
	assert_int_equal(*(uint32_t *)x->conf, 30);
	FX_OK(x, "Queue", "", 1, 1);
	assert_int_equal(*(uint32_t *)x->conf, 1000);
	FX_OK(x, "Queue", "5, ", 1, 2); /* trailing empty argument dropped */
	assert_int_equal(*(uint32_t *)x->conf, 5);
	FX_ERR(x, "Queue", "10, 20", 1, 1, "Queue: too many arguments", "20");
	FX_ERR(x, "Queue", "SIZE 10", 1, 1, "Queue: unknown keyword 'SIZE'", "SIZE");
	FX_ERR(x, "Queue", "capacity 10", 1, 1, "unknown keyword 'capacity'", "capacity");
	FX_ERR(x, "Queue", "1x0", 1, 1, "Queue: CAPACITY: expected unsigned integer, got '1x0'", "1x0");
	FX_ERR(x, "Queue", "CAPACITY  -3", 1, 1, "CAPACITY: expected unsigned integer, got '-3'", "-3");
	/* no positional after a keyword (Click's Args) */
	FX_ERR(x, "Unqueue", "ACTIVE false, 5", 1, 1, "too many arguments", "5");
	FX_OK(x, "Unqueue", "5, ACTIVE false", 1, 1);
}

static void test_mandatory_takes_keyworded(void **state)
{
	struct fx *x = *state;
	/* Print's LABEL is optional: "hello world" looks keyworded */
	FX_ERR(x, "Print", "hello world", 1, 1, "unknown keyword 'hello'", "hello");
	FX_OK(x, "Print", "\"hello world\"", 1, 1);
	assert_string_equal(*(const char **)x->conf, "hello world");
	/* a mandatory positional takes the next argument even if keyworded */
	FX_ERR(x, "SetIPAddress", "foo bar", 1, 1, "SetIPAddress: ADDR: expected IP address, got 'foo bar'",
	       "foo");
	FX_OK(x, "SetIPAddress", "ADDR 1.2.3.4", 1, 1);
	FX_ERR(x, "StoreData", "OFFSET x, \\<00>", 1, 1, "OFFSET: expected unsigned integer", "x");
	FX_ERR(x, "EtherEncap", "0x0800, 1:2:3:4:5:6", 1, 1, "DST: required argument missing", NULL);
	assert_int_equal(x->d.v[0].col, 1); /* at the element */
	FX_ERR(x, "EtherEncap", "0x0800, SRC 1:2:3:4:5:6, DST foo", 1, 1,
	       "EtherEncap: DST: expected Ethernet address, got 'foo'", "foo");
}

static void test_several_errors_one_pass(void **state)
{
	struct fx *x = *state;
	FX_ERR(x, "EtherEncap", "0x10000, zz, 1:2:3:4:5:6:7", 1, 1, "ETHERTYPE: out of range", "0x10000");
	assert_int_equal(x->d.nerrors, 3);
	assert_non_null(strstr(x->d.v[1].msg, "SRC: expected Ethernet address, got 'zz'"));
	assert_non_null(strstr(x->d.v[2].msg, "DST: expected Ethernet address"));
}

static void test_unquote(void **state)
{
	struct fx *x = *state;
	char *s;
	size_t n;
	struct arg_val v = val(x, "a\"b c\"d");
	assert_int_equal(arg_unquote(&x->ctx, &v, &s, &n), 0);
	assert_string_equal(s, "ab cd");
	v = val(x, "'a\\n\"'x");
	assert_int_equal(arg_unquote(&x->ctx, &v, &s, &n), 0);
	assert_string_equal(s, "a\\n\"x");
	v = val(x, "\"\\a\\b\\t\\n\\v\\f\\r\\\\\\101\\x4a\\x1234\\q\"");
	assert_int_equal(arg_unquote(&x->ctx, &v, &s, &n), 0);
	assert_int_equal(n, 12);
	assert_memory_equal(s, "\a\b\t\n\v\f\r\\AJ4q", 12);
	assert_int_equal((unsigned char)s[10], 0x34);
	v = val(x, "\\<48 45 4c>lo\"\\<00>\"");
	assert_int_equal(arg_unquote(&x->ctx, &v, &s, &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(s, "HELlo\0", 6);
	v = val(x, "\"line\\\ncont\"");
	assert_int_equal(arg_unquote(&x->ctx, &v, &s, &n), 0);
	assert_string_equal(s, "linecont");
	v = val(x, "ab\"cd");
	assert_int_equal(arg_unquote(&x->ctx, &v, &s, &n), -EINVAL);
	assert_non_null(strstr(first_msg(x), "unterminated double quote"));
	assert_int_equal(x->d.v[0].col, 3);
	v = val(x, "\\<4g>");
	assert_int_equal(arg_unquote(&x->ctx, &v, &s, &n), -EINVAL);
	assert_non_null(strstr(first_msg(x), "bad hex block"));
	v = val(x, "\\<414>");
	assert_int_equal(arg_unquote(&x->ctx, &v, &s, &n), -EINVAL);
	/* comments inside a hex block are skipped, as Click does (its
	 * conf/fake-iprouter.click labels the headers of its packet) */
	v = val(x, "\\<\n  // Ethernet\n  41 42 /* two */ 43\n  // end\n>");
	assert_int_equal(arg_unquote(&x->ctx, &v, &s, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(s, "ABC", 3);
}

static void test_integers(void **state)
{
	struct fx *x = *state;
	uint64_t u;
	int64_t i;
	struct arg_val v = val(x, "0x1F");
	assert_int_equal(arg_parse_uint(&x->ctx, &v, 255, &u), 0);
	assert_int_equal(u, 31);
	v = val(x, "017");
	assert_int_equal(arg_parse_uint(&x->ctx, &v, 255, &u), 0);
	assert_int_equal(u, 15);
	v = val(x, "+12");
	assert_int_equal(arg_parse_uint(&x->ctx, &v, 255, &u), 0);
	assert_int_equal(u, 12);
	v = val(x, "0");
	assert_int_equal(arg_parse_uint(&x->ctx, &v, 255, &u), 0);
	assert_int_equal(u, 0);
	v = val(x, "256");
	assert_int_equal(arg_parse_uint(&x->ctx, &v, 255, &u), -EINVAL);
	assert_non_null(strstr(first_msg(x), "Queue: X: out of range, bound 255"));
	v = val(x, "08");
	assert_int_equal(arg_parse_uint(&x->ctx, &v, 255, &u), -EINVAL);
	v = val(x, "99999999999999999999999");
	assert_int_equal(arg_parse_uint(&x->ctx, &v, UINT64_MAX, &u), -EINVAL);
	assert_non_null(strstr(first_msg(x), "out of range"));
	v = val(x, "-0x10");
	assert_int_equal(arg_parse_int(&x->ctx, &v, -100, 100, &i), 0);
	assert_int_equal(i, -16);
	v = val(x, "-101");
	assert_int_equal(arg_parse_int(&x->ctx, &v, -100, 100, &i), -EINVAL);
	assert_non_null(strstr(first_msg(x), "bound -100"));
	v = val(x, "1_000");
	assert_int_equal(arg_parse_int(&x->ctx, &v, 0, 10000, &i), 0);
	assert_int_equal(i, 1000);
	v = val(x, "");
	assert_int_equal(arg_parse_int(&x->ctx, &v, 0, 10, &i), -EINVAL);
	assert_non_null(strstr(first_msg(x), "expected integer, got nothing"));
	bool b;
	v = val(x, "yes");
	assert_int_equal(arg_parse_bool(&x->ctx, &v, &b), 0);
	assert_true(b);
	v = val(x, "0");
	assert_int_equal(arg_parse_bool(&x->ctx, &v, &b), 0);
	assert_false(b);
	v = val(x, "maybe");
	assert_int_equal(arg_parse_bool(&x->ctx, &v, &b), -EINVAL);
	assert_non_null(strstr(first_msg(x), "expected boolean, got 'maybe'"));
	double d;
	v = val(x, "-2.5e2");
	assert_int_equal(arg_parse_real(&x->ctx, &v, &d), 0);
	assert_true(d == -250.0);
	v = val(x, "1.2.3");
	assert_int_equal(arg_parse_real(&x->ctx, &v, &d), -EINVAL);
}

static void test_times_and_bandwidths(void **state)
{
	struct fx *x = *state;
	static const struct { const char *s; int64_t ns; } t[] = {
		{ "1", 1000000000 }, { "1.5", 1500000000 }, { "10ms", 10000000 }, { "10msec", 10000000 },
		{ "3us", 3000 }, { "7ns", 7 }, { "2min", 120000000000 }, { "2m", 120000000000 },
		{ "1h", 3600000000000 }, { "1hr", 3600000000000 }, { "0.001s", 1000000 },
		{ ".5", 500000000 }, { "1e-3", 1000000 }, { "5sec", 5000000000 }, { "1d", 86400000000000 },
	};
	for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
		int64_t ns = -1;
		struct arg_val v = val(x, t[k].s);
		assert_int_equal(arg_parse_time(&x->ctx, &v, &ns), 0);
		assert_int_equal(ns, t[k].ns);
	}
	int64_t ns;
	struct arg_val v = val(x, "5 parsecs");
	assert_int_equal(arg_parse_time(&x->ctx, &v, &ns), -EINVAL);
	v = val(x, "5fortnights");
	assert_int_equal(arg_parse_time(&x->ctx, &v, &ns), -EINVAL);
	assert_non_null(strstr(first_msg(x), "unknown time unit 'fortnights'"));
	assert_int_equal(x->d.v[0].col, 2);
	v = val(x, "-1");
	assert_int_equal(arg_parse_time(&x->ctx, &v, &ns), -EINVAL);
	v = val(x, "1e30");
	assert_int_equal(arg_parse_time(&x->ctx, &v, &ns), -EINVAL);
	assert_non_null(strstr(first_msg(x), "out of range"));

	static const struct { const char *s; uint64_t bps; } b[] = {
		{ "1000", 8000 }, { "10Mbps", 10000000 }, { "10MBps", 80000000 }, { "1.5kbps", 1500 },
		{ "2Gbps", 2000000000 }, { "100Bps", 800 }, { "64kBps", 512000 }, { "9bps", 9 }, { "131072B/s", 1048576 }, { "1kb/s", 1000 },
	};
	for (size_t k = 0; k < sizeof b / sizeof b[0]; k++) {
		uint64_t r = 0;
		v = val(x, b[k].s);
		assert_int_equal(arg_parse_bandwidth(&x->ctx, &v, &r), 0);
		assert_int_equal(r, b[k].bps);
	}
	uint64_t r;
	v = val(x, "10Mbit");
	assert_int_equal(arg_parse_bandwidth(&x->ctx, &v, &r), -EINVAL);
	assert_non_null(strstr(first_msg(x), "unknown bandwidth unit 'Mbit'"));
	v = val(x, "fast");
	assert_int_equal(arg_parse_bandwidth(&x->ctx, &v, &r), -EINVAL);
}

static void test_addresses(void **state)
{
	struct fx *x = *state;
	uint32_t a;
	struct arg_val v = val(x, "18.26.4.15");
	assert_int_equal(arg_parse_ip(&x->ctx, &v, &a), 0);
	assert_int_equal(a, 0x121a040f);
	v = val(x, "18.26.4");
	assert_int_equal(arg_parse_ip(&x->ctx, &v, &a), -EINVAL);
	assert_non_null(strstr(first_msg(x), "expected IP address, got '18.26.4'"));
	v = val(x, "1.2.3.256");
	assert_int_equal(arg_parse_ip(&x->ctx, &v, &a), -EINVAL);

	static const struct { const char *s; uint32_t addr; uint8_t len; } p[] = {
		{ "18.26.4/24", 0x121a0400, 24 }, { "18.26.4.0/24", 0x121a0400, 24 },
		{ "18.26.4.0/255.255.255.0", 0x121a0400, 24 }, { "18.26.4.9/24", 0x121a0400, 24 },
		{ "10/8", 0x0a000000, 8 }, { "0.0.0.0/0", 0, 0 }, { "1.2.3.4", 0x01020304, 32 },
		{ "1.2.3.4/255.255.255.255", 0x01020304, 32 },
	};
	for (size_t k = 0; k < sizeof p / sizeof p[0]; k++) {
		struct inet_prefix q;
		v = val(x, p[k].s);
		assert_int_equal(arg_parse_prefix(&x->ctx, &v, &q), 0);
		assert_int_equal(q.addr, p[k].addr);
		assert_int_equal(q.len, p[k].len);
	}
	uint8_t len;
	v = val(x, "18.26.4.9/24");
	assert_int_equal(arg_parse_prefix_host(&x->ctx, &v, &a, &len), 0);
	assert_int_equal(a, 0x121a0409);
	struct inet_prefix q;
	v = val(x, "1.2.3.0/255.0.255.0");
	assert_int_equal(arg_parse_prefix(&x->ctx, &v, &q), -EINVAL);
	assert_non_null(strstr(first_msg(x), "netmask is not a prefix"));
	assert_int_equal(x->d.v[0].col, 9);
	v = val(x, "1.2.3.0/33");
	assert_int_equal(arg_parse_prefix(&x->ctx, &v, &q), -EINVAL);
	assert_non_null(strstr(first_msg(x), "prefix length 33 above 32"));
	v = val(x, "1.2.3.0/");
	assert_int_equal(arg_parse_prefix(&x->ctx, &v, &q), -EINVAL);

	uint8_t e[6];
	v = val(x, "00:a0:c9:9c:fd:9c");
	assert_int_equal(arg_parse_ether(&x->ctx, &v, e), 0);
	assert_memory_equal(e, "\x00\xa0\xc9\x9c\xfd\x9c", 6);
	v = val(x, "0-a0-c9-9c-fd-9c");
	assert_int_equal(arg_parse_ether(&x->ctx, &v, e), 0);
	assert_memory_equal(e, "\x00\xa0\xc9\x9c\xfd\x9c", 6);
	v = val(x, "00:a0:c9:9c:fd");
	assert_int_equal(arg_parse_ether(&x->ctx, &v, e), -EINVAL);
	v = val(x, "00:a0-c9:9c:fd:9c");
	assert_int_equal(arg_parse_ether(&x->ctx, &v, e), -EINVAL);
	v = val(x, "000:a0:c9:9c:fd:9c");
	assert_int_equal(arg_parse_ether(&x->ctx, &v, e), -EINVAL);

	uint16_t port;
	v = val(x, "www");
	assert_int_equal(arg_parse_port(&x->ctx, &v, &port), 0);
	assert_int_equal(port, 80);
	v = val(x, "pptp");
	assert_int_equal(arg_parse_port(&x->ctx, &v, &port), 0);
	assert_int_equal(port, 1723);
	v = val(x, "http"); /* not in Click's built-in table */
	assert_int_equal(arg_parse_port(&x->ctx, &v, &port), -EINVAL);
	v = val(x, "65535");
	assert_int_equal(arg_parse_port(&x->ctx, &v, &port), 0);
	assert_int_equal(port, 65535);
	v = val(x, "65536");
	assert_int_equal(arg_parse_port(&x->ctx, &v, &port), -EINVAL);
	v = val(x, "nosuchservice");
	assert_int_equal(arg_parse_port(&x->ctx, &v, &port), -EINVAL);
	uint8_t pr;
	v = val(x, "udp");
	assert_int_equal(arg_parse_proto(&x->ctx, &v, &pr), 0);
	assert_int_equal(pr, 17);
	v = val(x, "47");
	assert_int_equal(arg_parse_proto(&x->ctx, &v, &pr), 0);
	assert_int_equal(pr, 47);
	v = val(x, "256");
	assert_int_equal(arg_parse_proto(&x->ctx, &v, &pr), -EINVAL);
	uint8_t an;
	v = val(x, "PAINT");
	assert_int_equal(arg_parse_anno(&x->ctx, &v, 1, &an), 0);
	assert_int_equal(an, 16);
	v = val(x, "47");
	assert_int_equal(arg_parse_anno(&x->ctx, &v, 1, &an), 0);
	v = val(x, "45");
	assert_int_equal(arg_parse_anno(&x->ctx, &v, 4, &an), -EINVAL);
	v = val(x, "PAINT");
	assert_int_equal(arg_parse_anno(&x->ctx, &v, 4, &an), -EINVAL);
}

static void test_words(void **state)
{
	struct fx *x = *state;
	struct arg_val v = val(x, "  a \"b c\"  \\<41 42>d  e ");
	struct arg_list w;
	assert_int_equal(arg_words(&x->ctx, &v, &w), 0);
	assert_int_equal(w.n, 4);
	assert_true(arg_is(&w.v[0], "a"));
	assert_true(arg_is(&w.v[1], "\"b c\""));
	assert_true(arg_is(&w.v[2], "\\<41 42>d"));
	assert_true(arg_is(&w.v[3], "e"));
	assert_int_equal(w.v[1].loc.col, 5);
	assert_int_equal(w.v[3].loc.col, 23);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyword_detection),
		cmocka_unit_test_setup_teardown(test_positional_and_keywords, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_mandatory_takes_keyworded, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_several_errors_one_pass, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unquote, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_integers, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_times_and_bandwidths, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_addresses, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_words, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
