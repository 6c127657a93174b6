/* Diagnostics: positions, caret lines, limits, moving between lists,
 * naming the file afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/diag.h"

static void test_format_with_caret(void **state)
{
	const char *text = "a -> b;\n\tfoo :: Bar(1);\nlast";
	struct src_file f = {"x.click", text, strlen(text)};
	struct diags d;
	diags_init(&d);
	struct src_loc loc = src_loc_at(&f, (size_t)(strstr(text, "Bar") - text));
	assert_int_equal(loc.line, 2);
	assert_int_equal(loc.col, 9);
	assert_int_equal(diags_error(&d, &loc, 3, "unknown class '%s'", "Bar"), -EINVAL);
	assert_int_equal(d.nerrors, 1);
	char *s = diag_format(&d.v[0]);
	assert_string_equal(s, "x.click:2:9: error: unknown class 'Bar'\n"
	                       "   foo :: Bar(1);\n"
	                       "          ^~~\n");
	free(s);
	diags_free(&d);
}

static void test_levels_and_no_position(void **state)
{
	struct diags d;
	diags_init(&d);
	assert_int_equal(diags_warn(&d, NULL, 0, "careful"), 0);
	assert_int_equal(diags_add(&d, DIAG_NOTE, NULL, 0, "fyi"), 0);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.n, 2);
	char *s = diag_format(&d.v[0]);
	assert_string_equal(s, "warning: careful\n");
	free(s);
	s = diag_format(&d.v[1]);
	assert_string_equal(s, "note: fyi\n");
	free(s);
	diags_clear(&d);
	assert_int_equal(d.n, 0);
	diags_free(&d);
}

static void test_advance_and_last_line(void **state)
{
	const char *text = "one\ntwo\nthree";
	struct src_file f = {"t", text, strlen(text)};
	struct src_loc l = src_loc_at(&f, 0);
	assert_int_equal(l.line, 1);
	assert_int_equal(l.col, 1);
	l = src_loc_advance(l, text, 5);
	assert_int_equal(l.line, 2);
	assert_int_equal(l.col, 2);
	l = src_loc_at(&f, 1000); /* clamped to the end */
	assert_int_equal(l.line, 3);
	assert_int_equal(l.col, 6);
	struct diags d;
	diags_init(&d);
	diags_error(&d, &l, 1, "at end");
	assert_string_equal(d.v[0].line_text, "three");
	diags_free(&d);
}

static void test_max_and_move(void **state)
{
	struct diags a, b;
	diags_init(&a);
	diags_init(&b);
	a.max = 3;
	for (int i = 0; i < 10; i++)
		diags_error(&a, NULL, 0, "e%d", i);
	assert_int_equal(a.n, 3);
	assert_int_equal(a.nerrors, 10);
	diags_error(&b, NULL, 0, "first");
	diags_move(&b, &a);
	assert_int_equal(a.n, 0);
	assert_int_equal(a.nerrors, 0);
	assert_int_equal(b.n, 4);
	assert_int_equal(b.nerrors, 11);
	assert_string_equal(b.v[3].msg, "e2");
	diags_free(&a);
	diags_free(&b);
}

static void test_set_file(void **state)
{
	const char *text = "{\n  2,,\n}";
	struct src_file f = {"<snapshot>", text, strlen(text)};
	struct src_loc loc = {&f, 2, 5};
	struct diags d;
	diags_init(&d);
	diags_error(&d, NULL, 0, "before");
	diags_error(&d, &loc, 1, "invalid JSON");
	diags_error(&d, NULL, 0, "no position");
	diags_set_file(&d, 1, "net.json");
	assert_null(d.v[0].file);
	assert_string_equal(d.v[1].file, "net.json");
	assert_null(d.v[2].file);
	char *s = diag_format(&d.v[1]);
	assert_string_equal(s, "net.json:2:5: error: invalid JSON\n    2,,\n      ^\n");
	free(s);
	diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_with_caret),
		cmocka_unit_test(test_levels_and_no_position),
		cmocka_unit_test(test_advance_and_last_line),
		cmocka_unit_test(test_max_and_move),
		cmocka_unit_test(test_set_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
