/* libFuzzer target: the flow parser stays linear in its input (issue 12).
 * Input: a pattern P (at most 4 KB). Parses P, then P joined 8 times by
 * " or " and by " and " (in parentheses), and aborts when
 *   - a parse's nodes exceed NODES_PER_BYTE per byte of text plus what the
 *     ternary copy budget may add (FLOW_MAX_COPIED nodes, a constant), or
 *   - its arena bytes exceed BYTES_PER_BYTE per byte of text plus that
 *     budget's bytes, or
 *   - the 8-fold chain costs more than 8 * 1.5 times P's nodes and bytes
 *     (plus the same constant): a chain must not be quadratic.
 * Time is linear when bytes are (every allocation is touched). */
#include <errno.h>
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
	if (c.nodes > NODES_PER_BYTE * (len + 1) + 2 * COPIED_NODES
	    || c.bytes > BYTES_PER_BYTE * (len + 1) + 2 * COPIED_BYTES) {
		fprintf(stderr, "%zu bytes of text: %zu nodes, %zu arena bytes\n", len, c.nodes,
		        c.bytes);
		abort();
	}
	diags_free(&d);
	arena_free(a);
	return c;
}

/* "(P) SEP (P) SEP ..." k times */
static char *repeat(const char *p, size_t n, const char *sep, unsigned k, size_t *len)
{
	size_t cap = k * (n + strlen(sep) + 2) + 1;
	char *s = malloc(cap);
	if (!s)
		return NULL;
	size_t l = 0;
	for (unsigned i = 0; i < k; i++)
		l += (size_t)snprintf(s + l, cap - l, "%s(%.*s)", i ? sep : "", (int)n, p);
	*len = l;
	return s;
}

static void chain(const char *p, size_t n, struct cost one, const char *sep)
{
	size_t len;
	char *s = repeat(p, n, sep, 8, &len);
	if (!s)
		return;
	struct cost c = parse(s, len);
	/* a ternary's copies count against one budget per parse, so a chain
	 * of them may fail where one passed: only successes compare */
	if (!c.rc && (c.nodes * 2 > one.nodes * 8 * 3 + 2 * COPIED_NODES
	              || c.bytes * 2 > one.bytes * 8 * 3 + 2 * COPIED_BYTES + 64 * len)) {
		fprintf(stderr, "x8 '%s': %zu -> %zu nodes, %zu -> %zu bytes\n", sep, one.nodes,
		        c.nodes, one.bytes, c.bytes);
		abort();
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096 || memchr(data, 0, size) || memchr(data, ')', size) || memchr(data, '(', size))
		return 0; /* parentheses would let the chain re-bracket P */
	const char *p = (const char *)data;
	struct cost one = parse(p, size);
	if (one.rc)
		return 0;
	chain(p, size, one, " or ");
	chain(p, size, one, " and ");
	return 0;
}
