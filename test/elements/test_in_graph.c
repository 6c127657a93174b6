/* Elements configured by the Click front end (click_parse): the port counts
 * configure sees are the connected ones, and element diagnostics carry the
 * file, line and column of the offending text. */
#include <jansson.h>

#include "elements/element.h"
#include "fx.h"

static struct click_graph *parse(const char *text, struct diags *d)
{
	struct src_file f = { "g.click", text, strlen(text) };
	struct click_options opt = {.lookup = elem_class_find};
	static const struct click_define defs[] = { { "MODULE_IP", "10.0.0.7" } };
	opt.defines = defs;
	opt.ndefines = 1;
	struct click_graph *g = NULL;
	int rc = click_parse(&f, &opt, &g, d);
	if (rc)
		assert_null(g);
	return g;
}

/* The element's configuration as its class describes it. */
static json_t *describe(const struct click_graph *g, const char *name)
{
	const struct click_element *e = click_graph_find(g, name);
	assert_non_null(e);
	assert_non_null(e->cls->describe);
	json_t *o = e->cls->describe(e->conf);
	assert_non_null(o);
	return o;
}

static void test_batcher(void **state)
{
	(void)state;
	struct diags d;
	diags_init(&d);
	const char *text = "FromNetFront()\n"
	                   "  -> IPFilter(allow udp port 1500)\n"
	                   "  -> rw :: IPRewriter(pattern - - 172.16.15.133 - 0 0)\n"
	                   "  -> Queue(1000)\n"
	                   "  -> TimedUnqueue(120, 100)\n"
	                   "  -> dst :: ToNetFront();\n";
	struct click_graph *g = parse(text, &d);
	if (!g)
		diags_print(stderr, &d);
	assert_non_null(g);
	json_t *rw = describe(g, "rw");
	json_t *specs = json_object_get(rw, "INPUTSPEC");
	assert_int_equal(json_array_size(specs), 1);
	assert_string_equal(json_string_value(json_array_get(specs, 0)), "pattern - - 172.16.15.133 - 0 0");
	json_decref(rw);
	click_graph_free(g);
	diags_free(&d);
}

static void test_counts_from_connections(void **state)
{
	(void)state;
	struct diags d;
	diags_init(&d);
	const char *text = "c :: IPClassifier(tcp, udp, -);\n"
	                   "FromDevice(0) -> c;\n"
	                   "c[0] -> Discard; c[1] -> Discard; c[2] -> Discard;\n"
	                   "e :: ChangeEnforcer($MODULE_IP, ALLOW 10.0.0.0/8);\n"
	                   "FromDevice(1) -> [0]e[0] -> ToDevice(1);\n"
	                   "FromDevice(2) -> [1]e[1] -> ToDevice(2);\n";
	struct click_graph *g = parse(text, &d);
	if (!g)
		diags_print(stderr, &d);
	assert_non_null(g);
	json_t *c = describe(g, "c");
	assert_int_equal(json_array_size(json_object_get(c, "PATTERN")), 3);
	json_decref(c);
	json_t *e = describe(g, "e");
	/* ADDR from $MODULE_IP */
	assert_string_equal(json_string_value(json_object_get(e, "ADDR")), "10.0.0.7");
	assert_string_equal(json_string_value(json_array_get(json_object_get(e, "ALLOW"), 0)),
	                    "10.0.0.0/8");
	json_decref(e);
	click_graph_free(g);
	diags_free(&d);
}

/* Element i of the array `key` of o. */
static json_t *at(json_t *o, const char *key, size_t i)
{
	return json_array_get(json_object_get(o, key), i);
}

/* Each class describes its effective configuration, defaults filled in. */
static void test_describe(void **state)
{
	(void)state;
	struct diags d;
	diags_init(&d);
	const char *text = "FromDevice(0) -> f :: IPFilter(allow tcp, drop udp)\n"
	                   "  -> a :: IPAddrRewriter(pattern 1.2.3.4 - 0 0)\n"
	                   "  -> l :: LinearIPLookup(10.0.0.0/8 10.0.0.254 0, 0.0.0.0/0 0)\n"
	                   "  -> ToDevice(0);\n"
	                   "FromDevice(1) -> r :: ARPResponder(10.0.0.1 00:01:02:03:04:05)\n"
	                   "  -> ToDevice(1);\n"
	                   "FromDevice(2) -> [0]q :: ARPQuerier(10.0.0.1, 00:01:02:03:04:05)\n"
	                   "  -> ToDevice(2);\n"
	                   "FromDevice(3) -> [1]q;\n"
	                   "FromDevice(4) -> cl :: Classifier(12/0800, -);\n"
	                   "cl[0] -> ToDevice(4); cl[1] -> Discard;\n";
	struct click_graph *g = parse(text, &d);
	if (!g)
		diags_print(stderr, &d);
	assert_non_null(g);
	json_t *f = describe(g, "f");
	assert_int_equal(json_integer_value(at(f, "ACTION", 0)), 0);
	assert_string_equal(json_string_value(at(f, "ACTION", 1)), "drop");
	json_decref(f);
	json_t *a = describe(g, "a");
	assert_int_equal(json_integer_value(json_object_get(a, "TIMEOUT")), 7200000000000ll);
	assert_null(json_object_get(a, "TCP_TIMEOUT"));
	json_decref(a);
	json_t *l = describe(g, "l");
	assert_string_equal(json_string_value(at(l, "GW", 0)), "10.0.0.254");
	assert_true(json_is_null(at(l, "GW", 1)));
	json_decref(l);
	json_t *r = describe(g, "r");
	assert_string_equal(json_string_value(at(r, "ETH", 0)), "00:01:02:03:04:05");
	json_decref(r);
	json_t *q = describe(g, "q");
	assert_string_equal(json_string_value(json_object_get(q, "BROADCAST")), "255.255.255.255");
	assert_int_equal(json_integer_value(json_object_get(q, "CAPACITY")), 2048);
	json_decref(q);
	json_t *cl = describe(g, "cl");
	assert_int_equal(json_array_size(json_object_get(cl, "PATTERN")), 2);
	json_decref(cl);
	click_graph_free(g);
	diags_free(&d);
}

static void test_diagnostic_positions(void **state)
{
	(void)state;
	struct diags d;
	diags_init(&d);
	const char *text = "FromDevice(0)\n"
	                   "  -> Queue(CAPACITY 1x0)\n"
	                   "  -> Unqueue\n"
	                   "  -> IPFilter(allow tcp, 4 udp)\n"
	                   "  -> ToDevice(eth1);\n";
	struct click_graph *g = parse(text, &d);
	assert_null(g);
	assert_true(d.nerrors >= 3);
	const char *want[] = { "Queue: CAPACITY: expected unsigned integer, got '1x0'",
	                       "IPFilter: output 4 out of range (1 outputs)",
	                       "ToDevice: DEVNAME: device numbers and device names are mixed" };
	const uint32_t line[] = { 2, 4, 5 }, col[] = { 21, 26, 15 };
	for (size_t k = 0; k < 3; k++) {
		bool found = false;
		for (size_t i = 0; i < d.n; i++)
			if (strstr(d.v[i].msg, want[k])) {
				found = true;
				assert_string_equal(d.v[i].file, "g.click");
				assert_int_equal(d.v[i].line, line[k]);
				assert_int_equal(d.v[i].col, col[k]);
			}
		if (!found) {
			diags_print(stderr, &d);
			fail_msg("missing '%s'", want[k]);
		}
	}
	diags_free(&d);
}

static void test_unknown_class(void **state)
{
	(void)state;
	struct diags d;
	diags_init(&d);
	struct click_graph *g = parse("FromDevice(0) -> Foo -> ToDevice(0);\n", &d);
	assert_null(g);
	bool found = false;
	for (size_t i = 0; i < d.n; i++)
		found |= strstr(d.v[i].msg, "Foo") != NULL;
	assert_true(found);
	diags_free(&d);
}

/* ICMPRewriter finds the rewriters MAPS names in the graph (rewriter
 * companions group). */
static void test_icmprewriter_maps(void **state)
{
	(void)state;
	struct diags d;
	diags_init(&d);
	const char *base = "rw :: IPRewriter(pattern 1.0.0.1 1024-65535# - - 0 1);\n"
	                   "irw :: ICMPPingRewriter(pattern 1.0.0.1 1024-65535# - - 0 1);\n"
	                   "FromDevice(0) -> c :: Classifier(9/01, -); c[1] -> rw; c[0] -> irw;\n"
	                   "rw[0] -> ToDevice(0); rw[1] -> ToDevice(0); irw[0] -> ToDevice(0);\n"
	                   "irw[1] -> ToDevice(0);\n";
	char text[1024];
	snprintf(text, sizeof text, "%sFromDevice(1) -> i :: ICMPRewriter(rw irw:2, DST_ANNO false);\n"
	                            "i[0] -> ToDevice(1); i[1] -> ToDevice(1); i[2] -> ToDevice(1);\n"
	                            "i[3] -> ToDevice(1);\n", base);
	struct click_graph *g = parse(text, &d);
	if (!g)
		diags_print(stderr, &d);
	assert_non_null(g);
	json_t *o = describe(g, "i");
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "MAPS"), 1)), "irw:2");
	json_decref(o);
	click_graph_free(g);
	const char *bad[][2] = {
		{ "FromDevice(1) -> i :: ICMPRewriter(c); i -> ToDevice(1);\n", "'c' is a Classifier" },
		{ "FromDevice(1) -> i :: ICMPRewriter(nope); i -> ToDevice(1);\n", "no element named 'nope'" },
		{ "FromDevice(1) -> i :: ICMPRewriter(rw:1); i -> ToDevice(1);\n", "port offset requires" },
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		diags_clear(&d);
		snprintf(text, sizeof text, "%s%s", base, bad[k][0]);
		assert_null(parse(text, &d));
		bool found = false;
		for (size_t i = 0; i < d.n; i++)
			found |= strstr(d.v[i].msg, bad[k][1]) != NULL;
		if (!found)
			diags_print(stderr, &d);
		assert_true(found);
	}
	diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batcher),
		cmocka_unit_test(test_counts_from_connections),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_diagnostic_positions),
		cmocka_unit_test(test_unknown_class),
		cmocka_unit_test(test_icmprewriter_maps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
