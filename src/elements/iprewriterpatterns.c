/* IPRewriterPatterns(NAME SADDR SPORT DADDR DPORT, ...) (Click's): named
 * rewriter patterns, which an IPRewriter or TCPRewriter input spec uses as
 * `pattern NAME FOUTPUT ROUTPUT`. Configured after AddressInfo (the
 * pattern may use its names) and before the rewriters, as in Click; a name
 * defined twice is an error, as in Click.
 *
 * Difference (docs/conformance.md): Click shares one pattern object among
 * the rewriters naming it, so a sequential ('#') pattern's position is
 * shared; innet copies the pattern into each spec, and each rewriter picks
 * ports from what its own tables leave free (the choice is random unless
 * '#', so a difference shows only with '#' and several rewriters). Names
 * are visible to the whole configuration, not only their compound. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

extern const struct click_class elem_iprewriterpatterns;

struct named_pattern {
	struct arg_val name, text;
	struct rw_pattern pat;
};

struct rwpatterns_conf {
	uint32_t n;
	struct named_pattern *v;
};

static const struct named_pattern *find_in(const struct rwpatterns_conf *c, const struct arg_val *name)
{
	for (uint32_t i = 0; c && i < c->n; i++)
		if (c->v[i].name.n == name->n && memcmp(c->v[i].name.s, name->s, name->n) == 0)
			return &c->v[i];
	return NULL;
}

int rw_named_pattern(const struct click_conf_ctx *ctx, const struct arg_val *name, struct rw_pattern *out)
{
	const struct click_graph *g = ctx->graph;
	for (uint32_t i = 0; g && i < click_graph_nelements(g); i++) {
		const struct click_element *e = click_graph_element(g, i);
		const struct named_pattern *p = e->cls == &elem_iprewriterpatterns ? find_in(e->conf, name) : NULL;
		if (p) {
			*out = p->pat;
			return 0;
		}
	}
	return -ENOENT;
}

/* Defined by an earlier IPRewriterPatterns element, or earlier in this one. */
static bool defined_before(const struct click_conf_ctx *ctx, const struct rwpatterns_conf *self,
                           const struct arg_val *name)
{
	struct rw_pattern unused;
	return find_in(self, name) || rw_named_pattern(ctx, name, &unused) == 0;
}

static int rwpatterns_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct rwpatterns_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c || !(c->v = arena_calloc(ctx->arena, args->n + 1, sizeof *c->v)))
		return -ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < args->n; i++) {
		struct arg_val a = arg_val_of(&args->v[i], NULL);
		struct arg_list w;
		if (arg_words(ctx, &a, &w))
			return -ENOMEM;
		if (w.n == 0)
			continue; /* Click skips empty arguments */
		if (w.n != 5) {
			rc = arg_error(ctx, &a, "expected 'NAME SADDR SPORT DADDR DPORT'");
			continue;
		}
		if (defined_before(ctx, c, &w.v[0])) {
			rc = arg_error(ctx, &w.v[0], "pattern '%.*s' already defined", (int)w.v[0].n, w.v[0].s);
			continue;
		}
		struct named_pattern *p = &c->v[c->n];
		if (rw_parse_pattern4(ctx, w.v + 1, &a, &p->pat)) {
			rc = -EINVAL;
			continue;
		}
		p->name = w.v[0];
		p->text = a;
		c->n++;
	}
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model and runtime: no ports, nothing to do ---- */
static const struct elem_model rwpatterns_model = { .push = mu_sym_pass };

static struct rt_pkt *rwpatterns_action(struct rt_elem *e, struct rt_pkt *p)
{
	return p;
}

static const struct elem_runtime rwpatterns_runtime = { .action = rwpatterns_action };

/* ---- describe and the class object ---- */
static json_t *rwpatterns_describe(const void *conf)
{
	const struct rwpatterns_conf *c = conf;
	json_t *o = json_object();
	for (uint32_t i = 0; o && i < c->n; i++) {
		const struct arg_val *t = &c->v[i].text;
		size_t skip = c->v[i].name.n;
		while (skip < t->n && (t->s[skip] == ' ' || t->s[skip] == '\t' || t->s[skip] == '\n'))
			skip++;
		char *name = strndup(c->v[i].name.s, c->v[i].name.n);
		if (!name || json_object_set_new(o, name, json_stringn(t->s + skip, t->n - skip))) {
			free(name);
			json_decref(o);
			return NULL;
		}
		free(name);
	}
	return o ? json_pack("{s:o}", "PATTERNS", o) : NULL;
}

const struct click_class elem_iprewriterpatterns = {
	.name = "IPRewriterPatterns",
	.port_count = "0/0",
	.processing = "a/a",
	.configure_phase = CLICK_PHASE_PATTERNS,
	.configure = rwpatterns_configure,
	.model = &rwpatterns_model,
	.runtime = &rwpatterns_runtime,
	.describe = rwpatterns_describe,
	.doc_args = "NAME SADDR SPORT DADDR DPORT, ... (patterns as IPRewriter's, used by input specs "
	            "'pattern NAME FOUTPUT ROUTPUT')",
	.doc_model = "No ports: the rewriters that name a pattern are modelled with it.",
};
