/* src/click: argument splitting (as Click splits), the graph API, limits,
 * defines, and that failures leave nothing behind. The language itself is
 * covered by the fixture corpus (click_fixtures.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "click/click.h"
#include "elements/element.h"
#include "harness.h"

static struct click_graph *parse_opt(const char *text, const struct click_options *opt, struct diags *d, int *rc)
{
	static struct src_file src;
	src.name = "t.click";
	src.text = text;
	src.len = strlen(text);
	struct click_graph *g = (struct click_graph *)0x1;
	*rc = click_parse(&src, opt ? opt : &elem_click_options, &g, d);
	return g;
}

static struct click_graph *parse_ok(const char *text)
{
	struct diags d;
	diags_init(&d);
	int rc;
	struct click_graph *g = parse_opt(text, NULL, &d, &rc);
	if (rc)
		diags_print(stderr, &d);
	assert_int_equal(rc, 0);
	assert_non_null(g);
	diags_free(&d);
	return g;
}

/* Parse expecting failure; returns the first message (static buffer). */
static const char *parse_fail(const char *text, const struct click_options *opt)
{
	static char msg[512];
	struct diags d;
	diags_init(&d);
	int rc;
	struct click_graph *g = parse_opt(text, opt, &d, &rc);
	assert_true(rc < 0);
	assert_null(g);
	assert_true(d.nerrors > 0);
	snprintf(msg, sizeof msg, "%u:%u: %s", d.v[0].line, d.v[0].col, d.v[0].msg);
	diags_free(&d);
	return msg;
}

static void split(const char *cfg, size_t n, const char *const *want)
{
	struct arena *a = arena_new(0);
	struct click_args args;
	struct src_file f = {"x", cfg, strlen(cfg)};
	struct src_loc l = {&f, 1, 1};
	assert_int_equal(click_split_args(cfg, &l, a, &args), 0);
	assert_int_equal(args.n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(args.v[i].text, want[i]);
	arena_free(a);
}

static void test_split_args(void **state)
{
	(void)state;
	split("", 0, NULL);
	split("   ", 0, NULL);
	split("1", 1, (const char *[]){"1"});
	split("1, ", 1, (const char *[]){"1"});
	split("1, /*x*/", 1, (const char *[]){"1"});
	split(", 1", 2, (const char *[]){"", "1"});
	split("1, , 2", 3, (const char *[]){"1", "", "2"});
	/* parentheses don't protect commas */
	split("a (b, c)", 2, (const char *[]){"a (b", "c)"});
	/* quotes and \<...> do, and stay in the text */
	split("\"a,b\", 'c,d'", 2, (const char *[]){"\"a,b\"", "'c,d'"});
	split("\\<00, 11>, x", 2, (const char *[]){"\\<00, 11>", "x"});
	split("\"a\\\",b\"", 1, (const char *[]){"\"a\\\",b\""});
	/* comments become one space, then trimming */
	split("a/*c*/b , c // d, e\n, f", 3, (const char *[]){"a b", "c", "f"});
	split("  BURST 8 ,\tCAPACITY 10  ", 2, (const char *[]){"BURST 8", "CAPACITY 10"});
}

static void test_split_locations(void **state)
{
	(void)state;
	const char *cfg = "a,\n  bb, /* x */ c";
	struct arena *a = arena_new(0);
	struct click_args args;
	struct src_file f = {"x", cfg, strlen(cfg)};
	struct src_loc l = {&f, 3, 10};
	assert_int_equal(click_split_args(cfg, &l, a, &args), 0);
	assert_int_equal(args.n, 3);
	assert_int_equal(args.v[0].loc.line, 3);
	assert_int_equal(args.v[0].loc.col, 10);
	assert_int_equal(args.v[1].loc.line, 4);
	assert_int_equal(args.v[1].loc.col, 3);
	assert_int_equal(args.v[2].loc.line, 4);
	assert_int_equal(args.v[2].loc.col, 15);
	arena_free(a);
}

static const char *worked =
	"define($IN 0, $OUT 1);\n"
	"elementclass IPIn { $me |\n"
	"    input -> Strip(14) -> CheckIPHeader -> output;\n"
	"}\n"
	"src :: FromDevice($IN);\n"
	"c   :: Classifier(12/0806 20/0001, 12/0800, -);\n"
	"src -> c;\n"
	"c[0] -> ARPResponder(10.0.0.1 00:11:22:33:44:55) -> q :: Queue(256);\n"
	"c[1] -> IPIn(10.0.0.1) -> f :: IPFilter(allow udp port 1500, deny all)\n"
	"     -> EtherEncap(0x0800, 00:11:22:33:44:55, 00:66:77:88:99:aa) -> q;\n"
	"c[2] -> Discard;\n"
	"q -> ToDevice($OUT);\n";

static void test_graph_api(void **state)
{
	(void)state;
	struct click_graph *g = parse_ok(worked);
	assert_int_equal(click_graph_nelements(g), 10);
	assert_int_equal(click_graph_nconns(g), 10);
	const struct click_element *c = click_graph_find(g, "c");
	const struct click_element *q = click_graph_find(g, "q");
	const struct click_element *src = click_graph_find(g, "src");
	const struct click_element *td = click_graph_find(g, "ToDevice@9");
	const struct click_element *strip = click_graph_find(g, "IPIn@5/Strip@1");
	assert_non_null(c);
	assert_non_null(q);
	assert_non_null(td);
	assert_non_null(strip);
	assert_null(click_graph_find(g, "IPIn@5"));
	assert_ptr_equal(click_graph_element(g, c->index), c);
	assert_null(click_graph_element(g, 10));
	assert_string_equal(c->cls->name, "Classifier");
	assert_string_equal(src->config, "0");            /* $IN substituted */
	assert_string_equal(td->config, "1");
	assert_int_equal(c->ninputs, 1);
	assert_int_equal(c->noutputs, 3);
	assert_int_equal(c->args.n, 3);
	assert_string_equal(c->args.v[0].text, "12/0806 20/0001");
	assert_int_equal(c->args.v[1].loc.line, 6);
	assert_int_equal(c->args.v[1].loc.col, 36);
	/* push/pull resolved: Queue converts, ToDevice pulls, the rest push */
	assert_int_equal(q->in_proc[0], CLICK_PUSH);
	assert_int_equal(q->out_proc[0], CLICK_PULL);
	assert_int_equal(td->in_proc[0], CLICK_PULL);
	assert_int_equal(strip->in_proc[0], CLICK_PUSH);
	assert_int_equal(strip->out_proc[0], CLICK_PUSH);
	/* adjacency both ways */
	uint32_t n;
	const struct click_port_ref *r = click_graph_inputs(g, q->index, 0, &n);
	assert_int_equal(n, 2);
	assert_string_equal(click_graph_element(g, r[0].elem)->name, "ARPResponder@3");
	assert_string_equal(click_graph_element(g, r[1].elem)->name, "EtherEncap@7");
	r = click_graph_outputs(g, c->index, 1, &n);
	assert_int_equal(n, 1);
	assert_ptr_equal(click_graph_element(g, r[0].elem), strip);
	assert_int_equal(r[0].port, 0);
	assert_null(click_graph_outputs(g, c->index, 3, &n));
	assert_int_equal(n, 0);
	/* every connection shows up in both adjacency lists */
	for (uint32_t i = 0; i < click_graph_nconns(g); i++) {
		const struct click_conn *k = click_graph_conn(g, i);
		bool found = false;
		r = click_graph_inputs(g, k->to.elem, k->to.port, &n);
		for (uint32_t j = 0; j < n; j++)
			found |= r[j].elem == k->from.elem && r[j].port == k->from.port;
		assert_true(found);
		if (i)
			assert_true(click_graph_conn(g, i - 1)->from.elem <= k->from.elem);
	}
	assert_non_null(click_graph_arena(g));
	click_graph_free(g);
}

static char *flatten(struct click_graph *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(click_graph_write(g, f), 0);
	fclose(f);
	return buf;
}

static void test_round_trip(void **state)
{
	(void)state;
	struct click_graph *g = parse_ok(worked);
	char *a = flatten(g);
	click_graph_free(g);
	g = parse_ok(a);
	char *b = flatten(g);
	click_graph_free(g);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "IPIn@5/Strip@1 :: Strip(14);\n"));
	assert_non_null(strstr(a, "q [0] -> [0] ToDevice@9;\n"));
	free(a);
	free(b);
}

static void test_defines_override(void **state)
{
	(void)state;
	struct click_define defs[] = {{"MODULE_IP", "10.9.8.7"}, {"OUT", "3"}};
	struct click_options opt = {.lookup = elem_class_find};
	opt.defines = defs;
	opt.ndefines = 2;
	struct diags d;
	diags_init(&d);
	int rc;
	struct click_graph *g = parse_opt("define($OUT 1);\n"
	                                  "FromNetFront -> StoreData(0, $MODULE_IP) -> q :: Queue -> ToDevice($OUT);\n",
	                                  &opt, &d, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(click_graph_find(g, "StoreData@2")->config, "0, 10.9.8.7");
	assert_string_equal(click_graph_find(g, "ToDevice@4")->config, "3");
	click_graph_free(g);
	diags_free(&d);
}

static void test_errors_leave_nothing(void **state)
{
	(void)state;
	assert_string_equal(parse_fail("Foo(1) -> Discard;", NULL), "1:1: unknown element class 'Foo'");
	assert_string_equal(parse_fail("a -> Discard;", NULL), "1:1: undeclared element 'a'");
	/* several errors in one pass */
	struct diags d;
	diags_init(&d);
	int rc;
	struct click_graph *g = parse_opt("x :: Bar;\ny :: Baz;\nx -> y;\n", NULL, &d, &rc);
	assert_true(rc < 0);
	assert_null(g);
	assert_int_equal(d.nerrors, 2);
	assert_string_equal(d.v[0].msg, "unknown element class 'Bar'");
	assert_string_equal(d.v[1].msg, "unknown element class 'Baz'");
	assert_int_equal(d.v[1].line, 2);
	assert_int_equal(d.v[1].col, 6);
	assert_non_null(d.v[1].line_text);
	diags_free(&d);
	/* check errors come all at once too */
	diags_init(&d);
	g = parse_opt("t :: Tee; FromDevice(0) -> t; t[0] -> Discard; t[3] -> Discard;\n", NULL, &d, &rc);
	assert_true(rc < 0);
	assert_null(g);
	assert_int_equal(d.nerrors, 2);
	assert_string_equal(d.v[0].msg, "'t' output 1 unused");
	assert_string_equal(d.v[1].msg, "'t' output 2 unused");
	diags_free(&d);
}

static void test_limits(void **state)
{
	(void)state;
	struct click_options opt = {.lookup = elem_class_find};
	opt.max_bytes = 16;
	assert_string_equal(parse_fail("FromDevice(0) -> Discard;", &opt),
	                    "1:1: configuration too large: 25 bytes (limit 16)");
	opt = (struct click_options){.lookup = elem_class_find};
	opt.max_depth = 2;
	assert_string_equal(parse_fail("FromDevice(0) -> ( -> ( -> ( -> ) -> ) -> ) -> Discard;", &opt),
	                    "1:28: maximum element group nesting depth exceeded (limit 2)");
	assert_string_equal(parse_fail("elementclass A { elementclass B { elementclass C { -> } -> } -> }", &opt),
	                    "1:50: maximum compound element nesting depth exceeded (limit 2)");
	opt = (struct click_options){.lookup = elem_class_find};
	opt.max_elements = 3;
	assert_string_equal(parse_fail("FromDevice(0) -> Counter -> Counter -> Discard;", &opt),
	                    "1:40: too many elements after flattening (limit 3)");
	/* groups are declarations too (three each): bounded before flattening */
	opt.max_elements = 40;
	char *chain = malloc(250 * 6 + 64);
	assert_non_null(chain);
	strcpy(chain, "FromDevice(0)");
	for (int i = 0; i < 250; i++)
		strcat(chain, " -> ()");
	strcat(chain, " -> Discard;");
	assert_non_null(strstr(parse_fail(chain, &opt), "too many elements and groups declared (limit 576)"));
	free(chain);
	/* compound expansion counts too, and exponential blowup stops early */
	opt.max_elements = 1000;
	const char *bomb =
		"elementclass A { -> Null -> Null -> }\n"
		"elementclass B { -> A -> A -> A -> A -> }\n"
		"elementclass C { -> B -> B -> B -> B -> }\n"
		"elementclass D { -> C -> C -> C -> C -> }\n"
		"elementclass E { -> D -> D -> D -> D -> }\n"
		"elementclass F { -> E -> E -> E -> E -> }\n"
		"FromDevice(0) -> F -> Discard;\n";
	const char *m = parse_fail(bomb, &opt);
	assert_non_null(strstr(m, "too many elements after flattening (limit 1000)"));
}

static void test_example_files(void **state)
{
	(void)state;
	size_t len;
	char *text = th_read_file(th_example_path("figure4-batcher.click"), &len);
	assert_non_null(text);
	struct click_graph *g = parse_ok(text);
	const struct click_element *dst = click_graph_find(g, "dst");
	assert_non_null(dst);
	assert_string_equal(dst->cls->name, "ToNetFront");
	assert_int_equal(dst->in_proc[0], CLICK_PUSH); /* TimedUnqueue pushes */
	assert_int_equal(click_graph_find(g, "Queue@4")->out_proc[0], CLICK_PULL);
	click_graph_free(g);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_args),
		cmocka_unit_test(test_split_locations),
		cmocka_unit_test(test_graph_api),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_defines_override),
		cmocka_unit_test(test_errors_leave_nothing),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_example_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
