/* Elements configured by the Click front end (click_parse): the port counts
 * configure sees are the connected ones, and element diagnostics carry the
 * file, line and column of the offending text. */
#include "elements/element.h"
#include "fx.h"
#include "elements/classify.h"
#include "elements/rewriter.h"

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
	const struct click_element *rw = click_graph_find(g, "rw");
	assert_non_null(rw);
	const struct rw_conf *c = rw->conf;
	assert_int_equal(c->nspecs, 1);
	assert_int_equal(c->specs[0].pat.daddr.lo, 0xac100f85);
	assert_true(c->specs[0].pat.saddr.keep);
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
	const struct cls_conf *c = click_graph_find(g, "c")->conf;
	assert_int_equal(c->n, 3);
	const struct click_element *e = click_graph_find(g, "e");
	assert_int_equal(*(const uint32_t *)e->conf, 0x0a000007); /* ADDR from $MODULE_IP */
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
	                       "ToDevice: DEVNAME: device must be a port number" };
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batcher),
		cmocka_unit_test(test_counts_from_connections),
		cmocka_unit_test(test_diagnostic_positions),
		cmocka_unit_test(test_unknown_class),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
