/* The flow parser is linear in the size of its input (issue 12): a chain
 * of N alternatives or conjuncts costs nodes and arena bytes in proportion
 * to N. Compares N = 1,000 with N = 8,000 (counts, never wall time). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flow/flow.h"

static size_t count_nodes(const struct flow_expr *e)
{
	size_t n = 1;
	for (uint32_t i = 0; i < e->nkids; i++)
		n += count_nodes(e->kids[i]);
	return n;
}

/* term(i) joined by sep, i = 0..n-1 (malloc'd): a port pattern gets i + 1,
 * others two address bytes (and the second again) */
static char *chain(unsigned n, const char *fmt, const char *sep)
{
	size_t cap = (size_t)n * (strlen(fmt) + strlen(sep) + 24) + 1, len = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	s[0] = 0;
	for (unsigned i = 0; i < n; i++) {
		if (i)
			len += (size_t)snprintf(s + len, cap - len, "%s", sep);
		if (strstr(fmt, "port"))
			len += (size_t)snprintf(s + len, cap - len, fmt, i + 1);
		else
			len += (size_t)snprintf(s + len, cap - len, fmt, i / 250 % 250, i % 250 + 1,
			                        i % 250 + 1);
	}
	return s;
}

struct cost {
	size_t nodes, bytes, text;
	uint32_t top_kids;
};

static struct cost parse_cost(unsigned n, const char *fmt, const char *sep)
{
	char *text = chain(n, fmt, sep);
	struct arena *a = arena_new(0);
	struct diags d;
	diags_init(&d);
	struct flow_expr *e = NULL;
	assert_int_equal(flow_parse(text, NULL, a, &d, &e), 0);
	struct cost c = {count_nodes(e), arena_used(a), strlen(text), e->nkids};
	diags_free(&d);
	arena_free(a);
	free(text);
	return c;
}

/* 8 times the terms: at most 8 * 1.25 times the nodes and bytes, and a
 * bounded number of bytes per byte of text. */
static void assert_linear(const char *fmt, const char *sep, uint32_t kids_per_term)
{
	struct cost s = parse_cost(1000, fmt, sep), l = parse_cost(8000, fmt, sep);
	print_message("%-40s %s: N=1000 %zu nodes %zu bytes; N=8000 %zu nodes %zu bytes\n", fmt,
	              sep, s.nodes, s.bytes, l.nodes, l.bytes);
	assert_true(l.nodes * 4 <= s.nodes * 8 * 5);
	assert_true(l.bytes * 4 <= s.bytes * 8 * 5);
	assert_true(l.bytes <= l.text * 64);
	/* flattened once: one n-ary node with every term (or its conjuncts) */
	if (kids_per_term)
		assert_int_equal(l.top_kids, 8000 * kids_per_term);
}

static void or_chain_of_hosts(void **state)
{
	(void)state;
	assert_linear("src host 10.0.%u.%u", " or ", 1);
	assert_linear("dst host 10.1.%u.%u", " || ", 1);
}

static void or_chain_of_compound_terms(void **state)
{
	(void)state;
	/* each term is an AND (protocol, first fragment, port) */
	assert_linear("udp dst port %u", " or ", 1);
	assert_linear("(src host 10.0.%u.%u and ip ttl > %u)", " or ", 1);
}

static void and_chain(void **state)
{
	(void)state;
	assert_linear("not src host 10.0.%u.%u", " and ", 1);
	assert_linear("not dst host 10.2.%u.%u", " ", 1);
}

static void nested_or_chains(void **state)
{
	(void)state;
	/* parenthesized pairs are flattened into the outer OR */
	assert_linear("(src host 10.0.%u.%u or dst host 10.0.0.%u)", " or ", 0);
}

/* The shape the pairwise fold built, and its text, are unchanged. */
static void same_tree_as_before(void **state)
{
	(void)state;
	struct arena *a = arena_new(0);
	struct diags d;
	diags_init(&d);
	struct flow_expr *e = NULL;
	assert_int_equal(flow_parse("src host 1.2.3.4 or dst host 1.2.3.5 or (tcp or udp) or true",
	                            NULL, a, &d, &e), 0);
	assert_string_equal(flow_to_string(e, a), "true");
	assert_int_equal(flow_parse("src host 1.2.3.4 or dst host 1.2.3.5 or (tcp or udp) or false",
	                            NULL, a, &d, &e), 0);
	assert_string_equal(flow_to_string(e, a),
	                    "ip.src=1.2.3.4 || ip.dst=1.2.3.5 || ip.proto=6 || ip.proto=17");
	assert_int_equal(flow_parse("false or src host 1.2.3.4", NULL, a, &d, &e), 0);
	assert_int_equal(e->kind, FLOW_ATOM);
	assert_int_equal(flow_parse("src host 1.2.3.4 or src host 1.2.3.4", NULL, a, &d, &e), 0);
	assert_int_equal(e->kind, FLOW_ATOM);
	diags_free(&d);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(or_chain_of_hosts),
		cmocka_unit_test(or_chain_of_compound_terms),
		cmocka_unit_test(and_chain),
		cmocka_unit_test(nested_or_chains),
		cmocka_unit_test(same_tree_as_before),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
