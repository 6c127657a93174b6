/* The side of one engine step that element models see (model.h): where a
 * model's flows go (emitted to an output, dropped), which element is
 * running, and first-match classification built on the exact splits.
 * The engine reads the emissions back after the model returns, so models
 * never call into it. */
#include <errno.h>
#include <stdlib.h>

#include "verify/internal.h"

void sym_emit(struct sym_ctx *cx, uint32_t port, struct sym_flow *f)
{
	if (!f)
		return;
	if (cx->nemit == cx->capemit) {
		uint32_t nc = cx->capemit ? cx->capemit * 2 : 16;
		struct sym_emission *nv = realloc(cx->emit, (size_t)nc * sizeof *nv);
		if (!nv) {
			sym__fail(cx, -ENOMEM);
			sym__free(cx, f);
			return;
		}
		cx->emit = nv;
		cx->capemit = nc;
	}
	cx->emit[cx->nemit++] = (struct sym_emission){port, f};
}

void sym_drop(struct sym_ctx *cx, struct sym_flow *f, const char *why)
{
	(void)why;
	sym__free(cx, f);
}

bool sym_output_connected(struct sym_ctx *cx, uint32_t port)
{
	uint32_t n = 0;
	if (!cx->g)
		return true;
	const struct click_element *e = click_graph_element(cx->g, cx->elem);
	if (!e || port >= e->noutputs)
		return false;
	click_graph_outputs(cx->g, cx->elem, port, &n);
	return n > 0;
}

uint64_t sym_owner(struct sym_ctx *cx)
{
	return ((uint64_t)cx->node << 32) | cx->elem;
}

struct arena *sym_arena(struct sym_ctx *cx)
{
	return cx->a;
}

const struct sym_iset *sym_iset_range(struct sym_ctx *cx, uint32_t lo, uint32_t hi)
{
	return iset__range(cx->a, lo, hi);
}

int sym_classify(struct sym_ctx *cx, struct sym_flow *f, const struct flow_expr *const *exprs,
                 const int32_t *ports, uint32_t n)
{
	struct sym_flows cur = {0};
	sym_flows_push(cx, &cur, f);
	for (uint32_t k = 0; k < n && cur.n; k++) {
		struct sym_flows yes = {0}, next = {0};
		for (uint32_t i = 0; i < cur.n; i++) {
			int r = sym_split_expr(cx, cur.v[i], exprs[k], &yes, &next);
			if (r < 0)
				return r;
		}
		for (uint32_t i = 0; i < yes.n; i++) {
			if (ports[k] >= 0)
				sym_emit(cx, (uint32_t)ports[k], yes.v[i]);
			else
				sym_drop(cx, yes.v[i], "dropped by rule");
		}
		cur = next;
	}
	for (uint32_t i = 0; i < cur.n; i++)
		sym_drop(cx, cur.v[i], "matched no rule");
	return cx->err;
}
