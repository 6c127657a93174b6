/* libFuzzer target: flow_parse, flow_parse_classifier, flow_to_string and
 * evaluation. Input: PATTERN '\0' PACKET (no NUL: the whole input is the
 * pattern and also the packet). Checks the invariants that must hold for
 * any pattern: the two evaluators agree whenever the three-valued result is
 * known, a parse error always leaves a diagnostic, and field recognition
 * round-trips through flow_field_layout. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct flow_expr *e, const struct flow_pkt *p)
{
	if (e->kind == FLOW_ATOM) {
		uint32_t fm = 0, fv = 0;
		enum flow_field f = flow_atom_field(&e->atom, &fm, &fv);
		if (f != FLOW_FIELD_OTHER) {
			enum flow_base b;
			uint16_t off;
			uint8_t len;
			uint32_t bits;
			if (flow_field_layout(f, &b, &off, &len, &bits) != 0 || b != e->atom.base)
				abort();
		}
		(void)flow_atom_eval(&e->atom, p);
		return;
	}
	for (uint32_t i = 0; i < e->nkids; i++)
		walk(e->kids[i], p);
}

static void check(struct flow_expr *e, const uint8_t *pkt, size_t plen, struct arena *a)
{
	struct flow_pkt p;
	flow_pkt_from_ip(&p, pkt, plen);
	int k = flow_eval3(e, &p);
	bool v = flow_eval(e, &p);
	if (k >= 0 && (int)v != k)
		abort();
	walk(e, &p);
	if (!flow_to_string(e, a) && !arena_exhausted(a))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	const uint8_t *nul = memchr(data, 0, size);
	size_t tlen = nul ? (size_t)(nul - data) : size;
	const uint8_t *pkt = nul ? nul + 1 : data;
	size_t plen = nul ? size - tlen - 1 : size;
	char *text = malloc(tlen + 1);
	if (!text)
		return 0;
	memcpy(text, data, tlen);
	text[tlen] = 0;
	struct arena *a = arena_new(1 << 22);
	struct diags d;
	diags_init(&d);
	struct src_file f = {"<fuzz>", text, tlen};
	struct src_loc loc = {&f, 1, 1};
	struct flow_expr *e = NULL;
	int r = flow_parse_n(text, tlen, &loc, a, &d, &e);
	if (r == 0)
		check(e, pkt, plen, a);
	else if (r == -EINVAL && d.nerrors == 0)
		abort();
	diags_clear(&d);
	e = NULL;
	r = flow_parse_classifier(text, &loc, a, &d, &e);
	if (r == 0)
		check(e, pkt, plen, a);
	else if (r == -EINVAL && d.nerrors == 0)
		abort();
	diags_free(&d);
	arena_free(a);
	free(text);
	return 0;
}
