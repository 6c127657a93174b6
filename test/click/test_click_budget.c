/* click_parse under a caller's budget (click_options.max_memory, .cancel;
 * issue 12): a cancelled parse and one over its memory stop with their
 * own errors and a diagnostic, and a budget that suffices changes
 * nothing. Uses the real catalogue (IPFilter's configure is the hostile
 * case: a 9,000-term pattern). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "click/click.h"
#include "elements/element.h"

/* FromNetFront -> IPFilter(allow src host .. or .. (n terms)) -> ToNetFront */
static char *filter_conf(unsigned n)
{
	size_t cap = (size_t)n * 32 + 128, len = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	len += (size_t)snprintf(s, cap, "FromNetFront() -> IPFilter(allow ");
	for (unsigned i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%ssrc host 10.0.%u.%u", i ? " or " : "",
		                        i / 250 % 250, i % 250 + 1);
	snprintf(s + len, cap - len, ") -> ToNetFront();\n");
	return s;
}

static int parse(const char *text, size_t max_memory, const atomic_bool *cancel,
                 struct diags *d)
{
	struct click_options o = elem_click_options;
	o.max_memory = max_memory;
	o.cancel = cancel;
	struct src_file f = {"budget", text, strlen(text)};
	struct click_graph *g = NULL;
	int rc = click_parse(&f, &o, &g, d);
	assert_true(rc ? g == NULL : g != NULL);
	click_graph_free(g);
	return rc;
}

static void within_budget(void **state)
{
	(void)state;
	char *t = filter_conf(9000);
	struct diags d;
	diags_init(&d);
	assert_int_equal(parse(t, (size_t)64 << 20, NULL, &d), 0);
	atomic_bool no;
	atomic_init(&no, false);
	assert_int_equal(parse(t, 0, &no, &d), 0);
	assert_int_equal(d.nerrors, 0);
	diags_free(&d);
	free(t);
}

static void cancelled(void **state)
{
	(void)state;
	char *t = filter_conf(100);
	atomic_bool yes;
	atomic_init(&yes, true);
	struct diags d;
	diags_init(&d);
	assert_int_equal(parse(t, 0, &yes, &d), -ECANCELED);
	assert_int_equal(d.nerrors, 1);
	assert_non_null(strstr(d.v[0].msg, "cancelled"));
	diags_free(&d);
	free(t);
}

static void over_memory(void **state)
{
	(void)state;
	/* the graph's arena holds IPFilter's tree: 9,000 terms need ~3 MB */
	char *t = filter_conf(9000);
	struct diags d;
	diags_init(&d);
	assert_int_equal(parse(t, (size_t)1 << 20, NULL, &d), -ENOSPC);
	assert_true(d.nerrors >= 1);
	assert_non_null(strstr(d.v[d.n - 1].msg, "bytes of memory"));
	diags_free(&d);
	/* and a small configuration passes under the same budget */
	diags_init(&d);
	assert_int_equal(parse("FromNetFront() -> IPFilter(allow udp port 1500) -> ToNetFront();",
	                       (size_t)1 << 20, NULL, &d), 0);
	diags_free(&d);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(within_budget),
		cmocka_unit_test(cancelled),
		cmocka_unit_test(over_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
