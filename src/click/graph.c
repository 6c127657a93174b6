/* click_parse and the flat graph: accessors and the two writers. */
#include <errno.h>
#include <string.h>

#include "click/internal.h"

int click_parse(const struct src_file *src, const struct click_options *opt, struct click_graph **out,
                struct diags *d)
{
	*out = NULL;
	if (!opt || !opt->lookup)
		return -EINVAL; /* no catalogue: a caller's bug, not the text's */
	size_t max_bytes = opt->max_bytes ? opt->max_bytes : (size_t)1 << 20;
	struct diags local;
	diags_init(&local);
	local.max = d->max;
	if (src->len > max_bytes) {
		struct src_loc l = {src, 1, 1};
		diags_error(&local, &l, 1, "configuration too large: %zu bytes (limit %zu)", src->len, max_bytes);
		click__trim_diags(&local, 0);
		diags_move(d, &local);
		diags_free(&local);
		return -E2BIG;
	}
	struct cparse p;
	memset(&p, 0, sizeof p);
	p.opt = opt;
	p.d = &local;
	p.max_depth = opt->max_depth ? opt->max_depth : 32;
	p.max_elements = opt->max_elements ? opt->max_elements : 10000;
	p.max_conns = p.max_elements > (UINT32_MAX / 16) ? UINT32_MAX : p.max_elements * 16;
	p.port_budget = p.max_conns;
	p.decl_budget = p.max_elements > (UINT32_MAX / 16) ? UINT32_MAX : 8 * p.max_elements + 256;
	size_t lim = max_bytes * 64; /* scratch memory for one parse */
	if (lim < ((size_t)64 << 20))
		lim = (size_t)64 << 20;
	if (opt->max_memory && lim > opt->max_memory)
		lim = opt->max_memory;
	p.a = arena_new(lim);
	p.ga = arena_new(opt->max_memory);
	int rc = -EINVAL;
	if (!p.a || !p.ga) {
		rc = -ENOMEM;
		goto fail;
	}
	click__lex_init(&p, src);
	struct compound *top = click__parse_file(&p);
	if (!top || p.fatal || local.nerrors)
		goto fail;
	struct flat f;
	memset(&f, 0, sizeof f);
	rc = click__flatten(&p, top, &f);
	if (rc || p.fatal || local.nerrors)
		goto fail;
	struct click_graph *g = arena_calloc(p.ga, 1, sizeof *g);
	if (!g) {
		rc = -ENOMEM;
		goto fail;
	}
	g->arena = p.ga;
	rc = click__check(&p, &f, g);
	if (rc || p.fatal || local.nerrors)
		goto fail;
	arena_free(p.a);
	diags_move(d, &local);
	diags_free(&local);
	*out = g;
	return 0;
fail:
	if (p.cancelled) {
		diags_error(&local, NULL, 0, "parsing the configuration was cancelled");
		rc = -ECANCELED;
	} else if (opt->max_memory && ((p.a && arena_exhausted(p.a)) || (p.ga && arena_exhausted(p.ga)))) {
		diags_error(&local, NULL, 0, "configuration needs more than %zu bytes of memory to parse "
		            "and configure", opt->max_memory);
		rc = -ENOSPC;
	} else if (p.a && arena_exhausted(p.a)) {
		diags_error(&local, NULL, 0, "configuration needs too much memory to parse");
	} else if (!local.nerrors) {
		diags_error(&local, NULL, 0, "out of memory while parsing the configuration");
	}
	if (rc >= 0)
		rc = -EINVAL;
	if (p.a)
		arena_free(p.a);
	if (p.ga)
		arena_free(p.ga);
	diags_move(d, &local);
	diags_free(&local);
	return rc;
}

void click_graph_free(struct click_graph *g)
{
	if (g)
		arena_free(g->arena);
}

uint32_t click_graph_nelements(const struct click_graph *g)
{
	return g->nel;
}

const struct click_element *click_graph_element(const struct click_graph *g, uint32_t i)
{
	return i < g->nel ? &g->el[i] : NULL;
}

const struct click_element *click_graph_find(const struct click_graph *g, const char *name)
{
	int32_t i = click__map_get(&g->names, name);
	return i < 0 ? NULL : &g->el[i];
}

uint32_t click_graph_nconns(const struct click_graph *g)
{
	return g->nconn;
}

const struct click_conn *click_graph_conn(const struct click_graph *g, uint32_t i)
{
	return i < g->nconn ? &g->conn[i] : NULL;
}

const struct click_port_ref *click_graph_outputs(const struct click_graph *g, uint32_t e, uint32_t port,
                                                 uint32_t *n)
{
	*n = 0;
	if (e >= g->nel || port >= g->el[e].noutputs)
		return NULL;
	uint32_t s = g->out_base[e] + port;
	*n = g->out_start[s + 1] - g->out_start[s];
	return g->outref + g->out_start[s];
}

const struct click_port_ref *click_graph_inputs(const struct click_graph *g, uint32_t e, uint32_t port,
                                                uint32_t *n)
{
	*n = 0;
	if (e >= g->nel || port >= g->el[e].ninputs)
		return NULL;
	uint32_t s = g->in_base[e] + port;
	*n = g->in_start[s + 1] - g->in_start[s];
	return g->inref + g->in_start[s];
}

struct arena *click_graph_arena(const struct click_graph *g)
{
	return g->arena;
}

int click_graph_write(const struct click_graph *g, FILE *out)
{
	for (uint32_t i = 0; i < g->nel; i++) {
		const struct click_element *e = &g->el[i];
		if (e->config[0])
			fprintf(out, "%s :: %s(%s);\n", e->name, e->cls->name, e->config);
		else
			fprintf(out, "%s :: %s;\n", e->name, e->cls->name);
	}
	if (g->nconn)
		fputc('\n', out);
	for (uint32_t i = 0; i < g->nconn; i++) {
		const struct click_conn *c = &g->conn[i];
		fprintf(out, "%s [%u] -> [%u] %s;\n", g->el[c->from.elem].name, c->from.port, c->to.port,
		        g->el[c->to.elem].name);
	}
	return ferror(out) ? -EIO : 0;
}

static void dot_str(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else if (*s != '\r')
			fputc(*s, out);
	}
}

int click_graph_write_dot(const struct click_graph *g, FILE *out)
{
	fputs("digraph click {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n", out);
	for (uint32_t i = 0; i < g->nel; i++) {
		const struct click_element *e = &g->el[i];
		fprintf(out, "  e%u [label=\"", i);
		dot_str(out, e->name);
		fputs("\\n:: ", out);
		dot_str(out, e->cls->name);
		fputs("\"];\n", out);
	}
	for (uint32_t i = 0; i < g->nconn; i++) {
		const struct click_conn *c = &g->conn[i];
		bool pull = g->el[c->from.elem].out_proc[c->from.port] == CLICK_PULL;
		fprintf(out, "  e%u -> e%u [taillabel=\"%u\", headlabel=\"%u\"%s];\n", c->from.elem, c->to.elem,
		        c->from.port, c->to.port, pull ? ", style=dashed" : "");
	}
	fputs("}\n", out);
	return ferror(out) ? -EIO : 0;
}
