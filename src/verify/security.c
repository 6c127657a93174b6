/* Support for the security rules (docs/security.md) and for checking that
 * element models agree with the packet functions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elements/element.h"
#include "verify/internal.h"

int vfy_module_exits(struct vfy_net *n, const char *name, const struct vfy_limits *lim,
                     struct vfy_exits *out)
{
	return vfy_module_exits_select(n, name, lim, NULL, NULL, out);
}

int vfy_module_exits_select(struct vfy_net *n, const char *name, const struct vfy_limits *lim,
                            bool (*want_trace)(void *ud, const struct vfy_exit *e), void *ud,
                            struct vfy_exits *out)
{
	memset(out, 0, sizeof *out);
	int idx = vnet__find(n, name);
	if (idx < 0 || (uint32_t)idx < n->base->nnodes)
		return -ENOENT;
	const struct vnode *mod = vnet__node(n, (uint32_t)idx);
	struct vfy_job j;
	int rc = vjob__init(&j, n, lim);
	if (rc < 0)
		return rc;
	j.exits_mode = true;
	j.exit_module = (uint32_t)idx;
	struct sym_ctx *cx = &j.cx;
	for (uint32_t dev = 0; dev < mod->ndev_in; dev++) {
		if (mod->dev_in[dev] == UINT32_MAX)
			continue;
		struct sym_flow *f = sym__fresh(cx), *in = f, *o = NULL;
		if (!f)
			break;
		cx->node = (uint32_t)idx;
		cx->elem = UINT32_MAX;
		sym_split_range(cx, in, SYM_F_DST, mod->address, mod->address, &in, &o);
		sym__free(cx, o);
		if (in && mod->proto) {
			sym_split_range(cx, in, SYM_F_PROTO, mod->proto, mod->proto, &in, &o);
			sym__free(cx, o);
		}
		if (in && mod->dport) {
			sym_split_range(cx, in, SYM_F_DPORT, mod->dport, mod->dport, &in, &o);
			sym__free(cx, o);
		}
		if (!in)
			continue;
		in->cmask = 0;
		in->entry_src = sym_get(in, SYM_F_SRC);
		in->entry_dst = sym_get(in, SYM_F_DST);
		vjob__push(&j, in, IT_NODE, (uint32_t)idx, UINT32_MAX, dev);
	}
	/* what the module's sources make leaves by its devices too, with no
	 * entering packet to reply to */
	rc = vjob__start_sources(&j, (uint32_t)idx, NULL);
	if (rc >= 0)
		rc = vjob__run(&j);
	if (rc < 0) {
		vjob__fini(&j);
		return rc;
	}
	out->arena = arena_new(0);
	out->v = out->arena ? arena_calloc(out->arena, j.nexits ? j.nexits : 1, sizeof *out->v) : NULL;
	if (!out->v) {
		arena_free(out->arena);
		out->arena = NULL;
		vjob__fini(&j);
		return -ENOMEM;
	}
	out->flows = cx->nflows;
	for (uint32_t i = 0; i < j.nexits; i++) {
		struct sym_flow *f = j.exits[i].f;
		struct vfy_exit *x = &out->v[out->n++];
		sym__normalize(cx, f);
		struct sym_term src = sym_get(f, SYM_F_SRC), dst = sym_get(f, SYM_F_DST);
		const struct sym_iset *sv = sym__term_values(cx, f, src, 32);
		const struct sym_iset *dv = sym__term_values(cx, f, dst, 32);
		x->device = j.exits[i].device;
		x->src_is_entry_src = src.var && src.var == f->entry_src.var && src.k == f->entry_src.k;
		x->dst_is_entry_src = dst.var && dst.var == f->entry_src.var && dst.k == f->entry_src.k;
		x->src_may_be_module = sv && sym_iset_contains(sv, mod->address);
		x->src_is_module = sv && sv->n == 1 && sv->v[0].lo == mod->address && sv->v[0].hi == mod->address;
		x->approximate = f->approx != NULL;
		uint32_t (*d)[2] = arena_calloc(out->arena, dv && dv->n ? dv->n : 1, sizeof *d);
		if (d && dv) {
			for (uint32_t k = 0; k < dv->n; k++) {
				d[k][0] = dv->v[k].lo;
				d[k][1] = dv->v[k].hi;
			}
			x->ndst = dv->n;
		}
		x->dst = (const uint32_t (*)[2])d;
		if (want_trace && !want_trace(ud, x))
			continue;
		struct vtrace *t = vtrace__build(out->arena, n, f);
		json_t *js = t ? vtrace__json(t) : NULL;
		char *txt = js ? json_dumps(js, JSON_COMPACT) : NULL;
		x->trace_json = txt ? arena_strdup(out->arena, txt) : NULL;
		free(txt);
		json_decref(js);
	}
	vjob__fini(&j);
	return 0;
}

void vfy_exits_free(struct vfy_exits *x)
{
	if (!x)
		return;
	arena_free(x->arena);
	memset(x, 0, sizeof *x);
}

/* ---- model/behaviour agreement ------------------------------------------------------------ */

static bool inside(struct sym_ctx *cx, const struct sym_flow *f, const struct vfy_concrete *c)
{
	struct {
		enum sym_field f;
		uint32_t v;
	} chk[] = {
		{SYM_F_SRC, c->src}, {SYM_F_DST, c->dst}, {SYM_F_PROTO, c->proto}, {SYM_F_TTL, c->ttl},
		{SYM_F_TOS, c->tos}, {SYM_F_OFF, c->off}, {SYM_F_ID, c->id}, {SYM_F_LEN, c->len},
		{SYM_F_SPORT, c->sport}, {SYM_F_DPORT, c->dport}, {SYM_F_TCPFLAGS, c->tcp_flags},
	};
	size_t n = sizeof chk / sizeof chk[0];
	if (c->proto != 6 && c->proto != 17)
		n -= 3; /* no ports or flags */
	else if (c->proto != 6)
		n -= 1;
	for (size_t i = 0; i < n; i++) {
		const struct sym_iset *v = sym_values(cx, f, chk[i].f);
		if (!v || !sym_iset_contains(v, chk[i].v))
			return false;
	}
	return true;
}

int vfy_concrete_in_symbolic(const char *cls, const char *config, uint32_t ninputs, uint32_t noutputs,
                             uint32_t in_port, const struct vfy_concrete *in, int32_t out_port,
                             const struct vfy_concrete *out, const char **why, struct diags *d)
{
	*why = NULL;
	size_t cap = strlen(cls) + strlen(config ? config : "") + 64 + 40 * (size_t)(ninputs + noutputs);
	char *text = malloc(cap);
	if (!text)
		return -ENOMEM;
	size_t len = (size_t)snprintf(text, cap, "e :: %s(%s);\n", cls, config ? config : "");
	for (uint32_t i = 0; i < ninputs; i++)
		len += (size_t)snprintf(text + len, cap - len, "Idle -> [%u]e;\n", i);
	for (uint32_t i = 0; i < noutputs; i++)
		len += (size_t)snprintf(text + len, cap - len, "e[%u] -> Idle;\n", i);
	struct src_file sf = {"<element>", text, len};
	struct click_graph *g = NULL;
	struct click_options opt = {.lookup = elem_class_find, .why_unknown = elem_class_why_unknown};
	int rc = click_parse(&sf, &opt, &g, d);
	if (rc < 0) {
		free(text);
		return rc;
	}
	const struct click_element *e = click_graph_find(g, "e");
	if (!e || !e->cls->model || !e->cls->model->push || in_port >= e->ninputs) {
		*why = "the element has no symbolic model or no such input";
		click_graph_free(g);
		free(text);
		return -EINVAL;
	}
	struct vfy_job j;
	rc = vjob__init(&j, NULL, NULL);
	if (rc < 0) {
		click_graph_free(g);
		free(text);
		return rc;
	}
	struct sym_ctx *cx = &j.cx;
	cx->node = 0;
	cx->elem = e->index;
	cx->g = g;
	struct sym_flow *f = sym__fresh(cx);
	int res = -ENOMEM;
	if (f) {
		sym_set_const(cx, f, SYM_F_VHL, 0x45);
		sym_set_const(cx, f, SYM_F_TOS, in->tos);
		sym_set_const(cx, f, SYM_F_LEN, in->len);
		sym_set_const(cx, f, SYM_F_ID, in->id);
		sym_set_const(cx, f, SYM_F_OFF, in->off);
		sym_set_const(cx, f, SYM_F_TTL, in->ttl);
		sym_set_const(cx, f, SYM_F_PROTO, in->proto);
		sym_set_const(cx, f, SYM_F_SRC, in->src);
		sym_set_const(cx, f, SYM_F_DST, in->dst);
		sym_set_const(cx, f, SYM_F_SPORT, in->sport);
		sym_set_const(cx, f, SYM_F_DPORT, in->dport);
		sym_set_const(cx, f, SYM_F_TCPFLAGS, in->tcp_flags);
		sym_set_const(cx, f, SYM_F_DSTANNO, in->dst);
		sym_set_const(cx, f, SYM_F_PAINT, 0);
		rc = e->cls->model->push(cx, e, in_port, f);
		if (rc < 0 || cx->err) {
			res = rc < 0 ? rc : cx->err;
		} else if (!out) {
			res = 1;
			for (uint32_t i = 0; i < cx->nemit; i++)
				if (!cx->emit[i].f->approx && sym_output_connected(cx, cx->emit[i].port))
					res = 0;
			if (!res)
				*why = "the packet was dropped but the model lets it through";
		} else {
			res = 0;
			for (uint32_t i = 0; i < cx->nemit && !res; i++)
				if ((int32_t)cx->emit[i].port == out_port && inside(cx, cx->emit[i].f, out))
					res = 1;
			if (!res)
				*why = "no symbolic output on that port holds the packet";
		}
	}
	vjob__fini(&j);
	click_graph_free(g);
	free(text);
	return res;
}

int vfy_concrete_in_source(const char *cls, const char *config, uint32_t noutputs, int32_t out_port,
                           const struct vfy_concrete *out, const char **why, struct diags *d)
{
	*why = NULL;
	size_t cap = strlen(cls) + strlen(config ? config : "") + 64 + 40 * (size_t)noutputs;
	char *text = malloc(cap);
	if (!text)
		return -ENOMEM;
	size_t len = (size_t)snprintf(text, cap, "e :: %s(%s);\n", cls, config ? config : "");
	for (uint32_t i = 0; i < noutputs; i++)
		len += (size_t)snprintf(text + len, cap - len, "e[%u] -> Idle;\n", i);
	struct src_file sf = {"<element>", text, len};
	struct click_graph *g = NULL;
	struct click_options opt = {.lookup = elem_class_find};
	int rc = click_parse(&sf, &opt, &g, d);
	if (rc < 0) {
		free(text);
		return rc;
	}
	const struct click_element *e = click_graph_find(g, "e");
	if (!e || !e->cls->model || !e->cls->model->source) {
		*why = "the element has no source hook";
		click_graph_free(g);
		free(text);
		return -EINVAL;
	}
	struct vfy_job j;
	rc = vjob__init(&j, NULL, NULL);
	if (rc < 0) {
		click_graph_free(g);
		free(text);
		return rc;
	}
	struct sym_ctx *cx = &j.cx;
	cx->node = 0;
	cx->elem = e->index;
	cx->g = g;
	int res = e->cls->model->source(cx, e);
	if (res >= 0 && cx->err)
		res = cx->err;
	if (res >= 0 && !out) {
		res = cx->nemit == 0;
		if (!res)
			*why = "the source made nothing but the model emits a flow";
	} else if (res >= 0) {
		res = 0;
		for (uint32_t i = 0; i < cx->nemit && !res; i++)
			if ((int32_t)cx->emit[i].port == out_port && inside(cx, cx->emit[i].f, out))
				res = 1;
		if (!res)
			*why = "no flow the source emits on that port holds the packet";
	}
	vjob__fini(&j);
	click_graph_free(g);
	free(text);
	return res;
}
