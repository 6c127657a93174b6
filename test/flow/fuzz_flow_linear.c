/* libFuzzer target: the flow parser stays linear in its input (issue 12).
 * Input: a pattern P (at most 4 KB). Parses P, then (P of at most 256
 * bytes) chains of copies of P joined by " or " and by " and ", and aborts
 * when
 *   - a parse's nodes exceed NODES_PER_BYTE per byte of text, or
 *   - its arena bytes exceed BYTES_PER_BYTE per byte of text, or
 *   - a chain of 256 copies of P (with distinct tests between them) costs
 *     more than 32 * 1.5 times the chain of 8: not quadratic.
 * The one allowance: a pattern with `?` may add what the ternary copy
 * budget allows (FLOW_MAX_COPIED nodes, a constant) to each bound.
 * Time is linear when bytes are (every allocation is touched). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NODES_PER_BYTE 16
#define BYTES_PER_BYTE 1024
#define COPIED_NODES 100000                 /* FLOW_MAX_COPIED in src/flow/parse.c */
#define COPIED_BYTES ((size_t)COPIED_NODES * 128)

static size_t count_nodes(const struct flow_expr *e)
{
	size_t n = 1;
	for (uint32_t i = 0; i < e->nkids; i++)
		n += count_nodes(e->kids[i]);
	return n;
}

struct cost {
	int rc;
	size_t nodes, bytes;
};

/* The constant a ternary may add (nodes, bytes), 0 without one. */
static size_t slack_nodes, slack_bytes;

static struct cost parse(const char *text, size_t len)
{
	struct arena *a = arena_new((size_t)256 << 20);
	struct diags d;
	diags_init(&d);
	d.max = 4;
	struct flow_expr *e = NULL;
	struct cost c = {flow_parse_n(text, len, NULL, a, &d, &e), 0, arena_used(a)};
	if (!c.rc)
		c.nodes = count_nodes(e);
	if (c.nodes > NODES_PER_BYTE * (len + 1) + slack_nodes
	    || c.bytes > BYTES_PER_BYTE * (len + 1) + slack_bytes) {
		fprintf(stderr, "%zu bytes of text: %zu nodes, %zu arena bytes\n", len, c.nodes,
		        c.bytes);
		abort();
	}
	diags_free(&d);
	arena_free(a);
	return c;
}

/* "(P) SEP ip id OP 0 SEP (P) SEP ip id OP 1 ..." with k copies of P: the
 * id tests differ, so the chain grows with k (identical terms would be
 * merged). */
static char *repeat(const char *p, size_t n, const char *sep, const char *op, unsigned k,
                    size_t *len)
{
	size_t cap = k * (n + 2 * strlen(sep) + 24) + 1;
	char *s = malloc(cap);
	if (!s)
		return NULL;
	size_t l = 0;
	for (unsigned i = 0; i < k; i++)
		l += (size_t)snprintf(s + l, cap - l, "%s(%.*s)%sip id %s %u", i ? sep : "", (int)n, p,
		                      sep, op, i);
	*len = l;
	return s;
}

static struct cost chain_cost(const char *p, size_t n, const char *sep, const char *op,
                              unsigned k)
{
	size_t len;
	char *s = repeat(p, n, sep, op, k, &len);
	if (!s)
		return (struct cost){-ENOMEM, 0, 0};
	struct cost c = parse(s, len);
	free(s);
	return c;
}

/* 32 times the copies cost at most 32 * 1.5 times the nodes and bytes. */
static void chain(const char *p, size_t n, const char *sep, const char *op)
{
	struct cost s = chain_cost(p, n, sep, op, 8), l = chain_cost(p, n, sep, op, 256);
	/* a ternary's copies count against one budget per parse, so a long
	 * chain of them may fail where a short one passed: only successes */
	if (!s.rc && !l.rc && (l.nodes * 2 > s.nodes * 32 * 3 + slack_nodes
	                       || l.bytes * 2 > s.bytes * 32 * 3 + slack_bytes)) {
		fprintf(stderr, "x8 -> x256 '%s': %zu -> %zu nodes, %zu -> %zu bytes\n", sep, s.nodes,
		        l.nodes, s.bytes, l.bytes);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096 || memchr(data, 0, size) || memchr(data, ')', size) || memchr(data, '(', size))
		return 0; /* parentheses would let the chain re-bracket P */
	const char *p = (const char *)data;
	bool ternary = memchr(data, '?', size) != NULL;
	slack_nodes = ternary ? 2 * COPIED_NODES : 0;
	slack_bytes = ternary ? 2 * COPIED_BYTES : 0;
	struct cost one = parse(p, size);
	if (one.rc || size > 256)
		return 0; /* chains of 256 copies of at most 256 bytes: fast enough */
	chain(p, size, " or ", "=");
	chain(p, size, " and ", "!=");
	return 0;
}
