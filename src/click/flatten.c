/* Flattening (as Click's own front end does it): expand compound elements into one body
 * with Click's names (compound/component), choose overloads, substitute
 * variables, then splice the tunnels of groups and compounds away so only
 * primitive elements and their connections remain. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "click/internal.h"

struct fstate {
	struct cparse *p;
	struct body F;
	uint32_t nprim;
	uint32_t max_total;
};

static int32_t add_flat(struct fstate *s, const char *name, struct ctype t, const char *config,
                        const struct cloc *loc, const struct cloc *cfgloc)
{
	struct cparse *p = s->p;
	if (t.kind != K_TUNNEL && ++s->nprim > p->max_elements) {
		click__err(p, loc, 1, "too many elements after flattening (limit %u)", p->max_elements);
		p->fatal = true;
		return -1;
	}
	if (s->F.el.n >= s->max_total) {
		click__err(p, loc, 1, "too many elements after flattening (limit %u)", p->max_elements);
		p->fatal = true;
		return -1;
	}
	uint32_t before = s->F.el.n;
	uint32_t i = click__get_element(p, &s->F, name, t, config, loc, cfgloc);
	if (p->fatal)
		return -1;
	if (s->F.el.n == before) /* caller checked it is new */
		return -1;
	return (int32_t)i;
}

static bool looks_keyword(const char *a, const char *kw, const char **value)
{
	size_t n = strlen(kw);
	if (strncmp(a, kw, n) || !(a[n] == ' ' || a[n] == '\t' || a[n] == '\n' || a[n] == '\r'))
		return false;
	const char *v = a + n;
	while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
		v++;
	if (!*v)
		return false;
	*value = v;
	return true;
}

/* Click's cp_assign_arguments: positional, then KEYWORD value, then
 * __REST__. vals may be NULL (just test). */
static bool assign_args(struct cparse *p, const struct compound *c, const click_strvec *args,
                        const char **vals)
{
	uint32_t nf = c->nformals;
	if (nf == 0 || !c->vars.p[nf - 1].type) {
		if (args->n != nf)
			return false;
		for (uint32_t i = 0; vals && i < nf; i++)
			vals[i] = args->p[i];
		return true;
	}
	uint32_t npos = 0;
	while (npos < nf && !c->vars.p[npos].type)
		npos++;
	if (args->n < npos)
		return false;
	bool rest = !strcmp(c->vars.p[nf - 1].type, "__REST__");
	uint32_t nkw = nf - npos - (rest ? 1 : 0);
	const char **v = arena_calloc(p->a, nf + 1, sizeof *v);
	if (!v)
		return false;
	for (uint32_t i = 0; i < npos; i++)
		v[i] = args->p[i];
	uint32_t *restidx = arena_calloc(p->a, args->n + 1, sizeof *restidx);
	uint32_t nrest = 0;
	size_t restlen = 0;
	if (!restidx)
		return false;
	for (uint32_t i = npos; i < args->n; i++) {
		bool found = false;
		for (uint32_t j = npos; j < npos + nkw; j++) {
			const char *val;
			if (looks_keyword(args->p[i], c->vars.p[j].type, &val)) {
				v[j] = val;
				found = true;
				break;
			}
		}
		if (found)
			continue;
		if (!rest)
			return false;
		restidx[nrest++] = i;
		restlen += strlen(args->p[i]) + 2;
	}
	for (uint32_t j = npos; j < npos + nkw; j++)
		if (!v[j])
			return false;
	if (rest) {
		char *r = arena_alloc(p->a, restlen + 1), *w = r;
		if (!r)
			return false;
		for (uint32_t k = 0; k < nrest; k++) {
			size_t l = strlen(args->p[restidx[k]]);
			if (k) {
				memcpy(w, ", ", 2);
				w += 2;
			}
			memcpy(w, args->p[restidx[k]], l);
			w += l;
		}
		*w = '\0';
		v[nf - 1] = r;
	}
	if (vals)
		memcpy(vals, v, nf * sizeof *v);
	return true;
}

static const char *signature(struct cparse *p, const struct compound *c)
{
	const char *name = c->name && *c->name ? c->name : "<anonymous>";
	char *s = arena_strdup(p->a, name);
	if (c->nformals) {
		s = arena_printf(p->a, "%s(", s);
		for (uint32_t i = 0; i < c->nformals; i++) {
			const char *t = c->vars.p[i].type;
			s = arena_printf(p->a, "%s%s%s", s, i ? ", " : "",
			                 !t ? "<arg>" : !strcmp(t, "__REST__") ? "..." : t);
		}
		s = arena_printf(p->a, "%s)", s);
	}
	return arena_printf(p->a, "%s[%u input%s, %u output%s]", s, c->ninputs, c->ninputs == 1 ? "" : "s",
	                    c->noutputs, c->noutputs == 1 ? "" : "s");
}

/* Choose the alternative for `nin` inputs, `nout` outputs and `args`. */
static struct ctype resolve(struct cparse *p, struct ctype t, uint32_t nin, uint32_t nout,
                            const click_strvec *args, const struct cloc *loc, const char **vals_out,
                            int guard)
{
	struct ctype none = {K_ERROR, NULL, NULL, t.name};
	struct compound *closest = NULL;
	uint32_t nct = 0;
	for (struct compound *c = t.comp; c; c = c->next_alt) {
		nct++;
		if (c->ninputs == nin && c->noutputs == nout && assign_args(p, c, args, NULL)) {
			struct ctype r = {K_COMPOUND, NULL, c, t.name};
			return r;
		}
		if (assign_args(p, c, args, NULL))
			closest = c;
		if (!c->next_alt && c->ext.kind != K_NONE) {
			if (c->ext.kind == K_COMPOUND && guard < 64)
				return resolve(p, c->ext, nin, nout, args, loc, vals_out, guard + 1);
			return c->ext;
		}
	}
	if (nct != 1 || !closest) {
		const char *name = t.comp->name && *t.comp->name ? t.comp->name : "<anonymous>";
		char *sig = args->n ? arena_printf(p->a, "%u argument%s, ", args->n, args->n == 1 ? "" : "s")
		                    : arena_strdup(p->a, "");
		click__err(p, loc, (uint32_t)strlen(t.name ? t.name : name), "no match for '%s[%s%u input%s, %u output%s]'",
		           name, sig ? sig : "", nin, nin == 1 ? "" : "s", nout, nout == 1 ? "" : "s");
		for (struct compound *c = t.comp; c; c = c->next_alt)
			click__note(p, &c->loc, 1, "candidate: %s", signature(p, c));
	}
	if (!closest)
		return none;
	struct ctype r = {K_COMPOUND, NULL, closest, t.name};
	return r;
}

static void expand(struct fstate *s, uint32_t which, const struct venv *env, int depth);

static void expand_into(struct fstate *s, uint32_t which, struct compound *c, const struct venv *env,
                        int depth)
{
	struct cparse *p = s->p;
	const char *ename = s->F.el.p[which].name;
	struct cloc iloc = s->F.el.p[which].loc;
	struct ctype tt = {K_TUNNEL, NULL, NULL, NULL};
	s->F.el.p[which].t = tt;
	s->F.el.p[which].inst = true;
	s->F.el.p[which].inst_ports[0] = c->ninputs;
	s->F.el.p[which].inst_ports[1] = c->noutputs;
	int32_t *map = arena_calloc(p->a, c->body.el.n + 1, sizeof *map);
	if (!map) {
		p->fatal = true;
		return;
	}
	const char *in_name = arena_printf(p->a, "%s/input", ename);
	const char *out_name = arena_printf(p->a, "%s/output", ename);
	for (int k = 0; k < 2; k++) {
		const char *nm = k ? out_name : in_name;
		if (click__map_get(&s->F.map, nm) >= 0) {
			click__err(p, &iloc, 1, "redeclaration of element '%s'", nm);
			map[k] = -1;
		} else
			map[k] = add_flat(s, nm, tt, NULL, &iloc, NULL);
		if (p->fatal)
			return;
	}
	if (map[0] >= 0)
		s->F.el.p[which].fwd = map[0];
	if (map[1] >= 0)
		s->F.el.p[map[1]].fwd = (int32_t)which;
	for (uint32_t i = 2; i < c->body.el.n; i++) {
		const struct belem *ce = &c->body.el.p[i];
		const char *cname = arena_printf(p->a, "%s/%s", ename, ce->name);
		if (!cname) {
			p->fatal = true;
			return;
		}
		int32_t old = click__map_get(&s->F.map, cname);
		if (old >= 0) {
			click__err(p, &iloc, 1, "redeclaration of element '%s'", cname);
			click__note(p, &s->F.el.p[old].loc, 1, "'%s' previously declared here", cname);
			map[i] = -1;
			if (ce->group_head) {
				map[i + 1] = map[i + 2] = -1;
				i += 2;
			}
			continue;
		}
		if (ce->group_head && i + 2 < c->body.el.n) {
			int32_t g = add_flat(s, cname, tt, NULL, &ce->loc, NULL);
			int32_t gi = g < 0 ? -1 : add_flat(s, arena_printf(p->a, "%s/input", cname), tt, NULL, &ce->loc, NULL);
			int32_t go = gi < 0 ? -1 : add_flat(s, arena_printf(p->a, "%s/output", cname), tt, NULL, &ce->loc, NULL);
			if (p->fatal || go < 0)
				return;
			s->F.el.p[g].inst = true;
			s->F.el.p[g].group_head = true;
			s->F.el.p[g].inst_ports[0] = ce->inst_ports[0];
			s->F.el.p[g].inst_ports[1] = ce->inst_ports[1];
			s->F.el.p[g].fwd = gi;
			s->F.el.p[go].fwd = g;
			map[i] = g;
			map[i + 1] = gi;
			map[i + 2] = go;
			i += 2;
			continue;
		}
		map[i] = add_flat(s, cname, ce->t, ce->config, &ce->loc, &ce->cfgloc);
		if (p->fatal)
			return;
	}
	for (uint32_t i = 0; i < c->body.conn.n && !p->fatal; i++) {
		const struct hookup *h = &c->body.conn.p[i];
		if (map[h->from] >= 0 && map[h->to] >= 0)
			click__connect(p, &s->F, (uint32_t)map[h->from], h->fport, (uint32_t)map[h->to], h->tport, &h->loc);
	}
	for (uint32_t i = 2; i < c->body.el.n && !p->fatal; i++)
		if (map[i] >= 0)
			expand(s, (uint32_t)map[i], env, depth + 1);
}

static void expand(struct fstate *s, uint32_t which, const struct venv *env, int depth)
{
	struct cparse *p = s->p;
	struct belem *e = &s->F.el.p[which];
	if (e->t.kind == K_TUNNEL || p->fatal)
		return;
	if (e->config && env) {
		const char *x = click__expand(p->a, e->config, env);
		if (x != e->config) {
			e->config = x;
			e->inst = true; /* marks "substituted" for primitive elements */
		}
	}
	if (e->t.kind != K_COMPOUND)
		return;
	if ((uint32_t)depth > 4 * p->max_depth) {
		click__err(p, &e->loc, 1, "compound elements nested too deeply (limit %u)", 4 * p->max_depth);
		p->fatal = true;
		return;
	}
	e->inst = false;
	click_strvec args = {0};
	if (click__argvec(p->a, e->config, &args)) {
		p->fatal = true;
		return;
	}
	struct cloc loc = e->loc;
	struct ctype r = resolve(p, e->t, e->nports[0], e->nports[1], &args, &loc, NULL, 0);
	e = &s->F.el.p[which];
	if (r.kind != K_COMPOUND) {
		e->t.kind = r.kind;
		e->t.prim = r.prim;
		return;
	}
	struct compound *c = r.comp;
	struct venv *ne = arena_calloc(p->a, 1, sizeof *ne);
	if (!ne) {
		p->fatal = true;
		return;
	}
	const struct venv *par = env;
	while (par && par->depth >= c->depth)
		par = par->parent;
	ne->parent = par;
	ne->depth = c->depth;
	const char **vals = arena_calloc(p->a, c->nformals + 1, sizeof *vals);
	if (!vals || !assign_args(p, c, &args, vals)) {
		p->fatal = !vals;
		return;
	}
	for (uint32_t i = 0; i < c->vars.n; i++) {
		struct var v = c->vars.p[i];
		v.value = i < c->nformals ? vals[i] : click__expand(p->a, v.value, ne);
		if (!CVEC_PUSH(p->a, ne->vars, v) ||
		    (ne->vars.n > 8 && click__map_set(p->a, &ne->map, v.name, (int32_t)ne->vars.n - 1))) {
			p->fatal = true;
			return;
		}
		if (ne->vars.n == 8 && click__venv_index(p->a, ne)) {
			p->fatal = true;
			return;
		}
	}
	expand_into(s, which, c, ne, depth);
}

/* ---- tunnels ---------------------------------------------------------- */

struct visit {
	uint64_t *keys;
	uint32_t *stamp;
	uint32_t cap, n, cur;
};

static bool visit_once(struct arena *a, struct visit *v, uint64_t key)
{
	if ((v->n + 1) * 2 > v->cap) {
		uint32_t nc = v->cap ? v->cap * 2 : 64;
		uint64_t *nk = arena_calloc(a, nc, sizeof *nk);
		uint32_t *ns = arena_calloc(a, nc, sizeof *ns);
		if (!nk || !ns)
			return false;
		for (uint32_t i = 0; i < v->cap; i++)
			if (v->stamp[i]) {
				uint32_t j = (uint32_t)(v->keys[i] * 0x9E3779B97F4A7C15ull >> 40) & (nc - 1);
				while (ns[j])
					j = (j + 1) & (nc - 1);
				nk[j] = v->keys[i];
				ns[j] = v->stamp[i];
			}
		v->keys = nk;
		v->stamp = ns;
		v->cap = nc;
	}
	uint32_t j = (uint32_t)(key * 0x9E3779B97F4A7C15ull >> 40) & (v->cap - 1);
	while (v->stamp[j] && v->keys[j] != key)
		j = (j + 1) & (v->cap - 1);
	if (v->stamp[j] == v->cur)
		return false;
	if (!v->stamp[j])
		v->n++;
	v->keys[j] = key;
	v->stamp[j] = v->cur;
	return true;
}

struct resolver {
	struct fstate *s;
	uint32_t *start; /* CSR of F.conn by `from` */
	uint32_t *order;
	struct visit vis;
	CVEC(struct fconn) out;
	CVEC(struct click_port_ref) stack;
};

static bool is_real(const struct belem *e)
{
	return e->t.kind == K_PRIM;
}

static void emit(struct resolver *r, uint32_t from, uint32_t fport, uint32_t to, uint32_t tport,
                 const struct cloc *loc, const struct cloc *tloc)
{
	struct cparse *p = r->s->p;
	if (r->out.n >= p->max_conns) {
		if (!p->fatal)
			click__err(p, loc, 1, "too many connections after flattening (limit %u)", p->max_conns);
		p->fatal = true;
		return;
	}
	struct fconn c = {from, fport, to, tport, *loc, *tloc};
	if (!CVEC_PUSH(p->a, r->out, c))
		p->fatal = true;
}

/* Everything that output `fport` of `from` reaches through tunnel x input q
 * (iterative: chains of groups can be long). */
static void follow(struct resolver *r, uint32_t from, uint32_t fport, uint32_t x, uint32_t q,
                   const struct cloc *loc)
{
	struct fstate *s = r->s;
	struct cparse *p = s->p;
	r->stack.n = 0;
	struct click_port_ref start = {x, q};
	if (!CVEC_PUSH(p->a, r->stack, start)) {
		p->fatal = true;
		return;
	}
	while (r->stack.n && !p->fatal) {
		struct click_port_ref cur = r->stack.p[--r->stack.n];
		if (!visit_once(p->a, &r->vis, ((uint64_t)cur.elem << 20) | cur.port))
			continue;
		int32_t y = s->F.el.p[cur.elem].fwd;
		if (y < 0)
			continue;
		for (uint32_t k = r->start[y]; k < r->start[y + 1]; k++) {
			const struct hookup *h = &s->F.conn.p[r->order[k]];
			if (h->fport != cur.port)
				continue;
			if (is_real(&s->F.el.p[h->to]))
				emit(r, from, fport, h->to, h->tport, loc, &h->loc);
			else if (s->F.el.p[h->to].t.kind == K_TUNNEL) {
				struct click_port_ref nx = {h->to, h->tport};
				if (!CVEC_PUSH(p->a, r->stack, nx))
					p->fatal = true;
			}
		}
	}
}

static int cmp_fconn(const void *a, const void *b)
{
	const struct fconn *x = a, *y = b;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	if (x->fport != y->fport)
		return x->fport < y->fport ? -1 : 1;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	if (x->tport != y->tport)
		return x->tport < y->tport ? -1 : 1;
	if (x->loc.off != y->loc.off)
		return x->loc.off < y->loc.off ? -1 : 1;
	return 0;
}

static const char *inst_name(const struct belem *e)
{
	return e->group_head ? "<anonymous group>" : e->name;
}

/* Ports of groups and compound instances used from outside must match what
 * the group or compound has (Click's tunnel errors). */
static void check_instances(struct fstate *s)
{
	struct cparse *p = s->p;
	uint32_t ne = s->F.el.n, nc = s->F.conn.n;
	/* connections by element, entering (k = 0) and leaving (k = 1) */
	uint32_t *st[2], *ix[2];
	for (int k = 0; k < 2; k++) {
		st[k] = arena_calloc(p->a, ne + 2, sizeof *st[k]);
		ix[k] = arena_calloc(p->a, nc + 1, sizeof *ix[k]);
		uint32_t *fill = arena_calloc(p->a, ne + 1, sizeof *fill);
		if (!st[k] || !ix[k] || !fill) {
			p->fatal = true;
			return;
		}
		for (uint32_t c = 0; c < nc; c++)
			st[k][(k ? s->F.conn.p[c].from : s->F.conn.p[c].to) + 1]++;
		for (uint32_t i = 0; i < ne; i++)
			st[k][i + 1] += st[k][i];
		for (uint32_t c = 0; c < nc; c++) {
			uint32_t e = k ? s->F.conn.p[c].from : s->F.conn.p[c].to;
			ix[k][st[k][e] + fill[e]++] = c;
		}
	}
	for (uint32_t i = 0; i < ne; i++) {
		const struct belem *e = &s->F.el.p[i];
		if (!e->inst || e->t.kind != K_TUNNEL)
			continue;
		for (int k = 0; k < 2; k++) { /* 0: inputs, 1: outputs */
			uint32_t have = e->inst_ports[k], used = e->nports[k];
			uint32_t n = have > used ? have : used;
			if (n > 65536)
				n = 65536;
			uint8_t *u = arena_calloc(p->a, n + 1, 1);
			if (!u)
				return;
			for (uint32_t j = st[k][i]; j < st[k][i + 1]; j++) {
				const struct hookup *h = &s->F.conn.p[ix[k][j]];
				uint32_t q = k ? h->fport : h->tport;
				if (q < n)
					u[q] = 1;
			}
			for (uint32_t q = 0; q < n; q++) {
				if (q >= have && u[q])
					click__err(p, &e->loc, 1, "'%s' has no %s %u", inst_name(e), k ? "output" : "input", q);
				else if (q < have && !u[q])
					click__err(p, &e->loc, 1, "'%s' %s %u unused", inst_name(e), k ? "output" : "input", q);
			}
		}
	}
}

/* The top body becomes the start of the flat body. */
static int seed_top_body(struct fstate *s, struct compound *top)
{
	struct cparse *p = s->p;
	for (uint32_t i = 0; i < top->body.el.n; i++) {
		struct belem e = top->body.el.p[i];
		if (e.t.kind != K_TUNNEL && ++s->nprim > p->max_elements) {
			click__err(p, &e.loc, 1, "too many elements after flattening (limit %u)", p->max_elements);
			return -E2BIG;
		}
		e.nports[0] = e.nports[1] = 0;
		if (!CVEC_PUSH(p->a, s->F.el, e) || click__map_set(p->a, &s->F.map, e.name, (int32_t)i))
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < top->body.conn.n; i++) {
		const struct hookup *h = &top->body.conn.p[i];
		click__connect(p, &s->F, h->from, h->fport, h->to, h->tport, &h->loc);
	}
	for (uint32_t i = 0; i + 2 < s->F.el.n; i++)
		if (s->F.el.p[i].group_head) {
			s->F.el.p[i].fwd = (int32_t)i + 1;
			s->F.el.p[i + 2].fwd = (int32_t)i;
		}
	return 0;
}

/* The globals: the file's defines, overridden by the caller's. */
static struct venv *global_env(struct cparse *p, const struct compound *top)
{
	struct venv *g = arena_calloc(p->a, 1, sizeof *g);
	if (!g)
		return NULL;
	for (uint32_t i = 0; i < top->vars.n; i++)
		CVEC_PUSH(p->a, g->vars, top->vars.p[i]);
	for (size_t i = 0; p->opt && i < p->opt->ndefines; i++) {
		struct var v = {p->opt->defines[i].name, p->opt->defines[i].value, NULL, {{0}, 0}};
		if (v.name && v.value)
			CVEC_PUSH(p->a, g->vars, v);
	}
	return click__venv_index(p->a, g) ? NULL : g;
}

/* Compound instances expanded in place, then checked. */
static int expand_all(struct fstate *s, struct venv *g)
{
	struct cparse *p = s->p;
	uint32_t n0 = s->F.el.n;
	for (uint32_t i = 0; i < n0 && !p->fatal; i++)
		expand(s, i, g, 0);
	if (p->fatal || p->d->nerrors)
		return -EINVAL;
	check_instances(s);
	return p->d->nerrors ? -EINVAL : 0;
}

/* Connections of each element, by source, for following tunnels. */
static int index_connections(struct resolver *r)
{
	struct fstate *s = r->s;
	struct arena *a = s->p->a;
	uint32_t ne = s->F.el.n;
	r->start = arena_calloc(a, ne + 2, sizeof *r->start);
	r->order = arena_calloc(a, s->F.conn.n + 1, sizeof *r->order);
	uint32_t *fill = arena_calloc(a, ne + 1, sizeof *fill);
	if (!r->start || !r->order || !fill)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->F.conn.n; i++)
		r->start[s->F.conn.p[i].from + 1]++;
	for (uint32_t i = 0; i < ne; i++)
		r->start[i + 1] += r->start[i];
	for (uint32_t i = 0; i < s->F.conn.n; i++) {
		uint32_t f = s->F.conn.p[i].from;
		r->order[r->start[f] + fill[f]++] = i;
	}
	return 0;
}

/* Every connection between real elements, through any tunnels. */
static int splice_tunnels(struct resolver *r)
{
	struct fstate *s = r->s;
	int rc = index_connections(r);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < s->F.conn.n && !s->p->fatal; i++) {
		const struct hookup *h = &s->F.conn.p[i];
		if (!is_real(&s->F.el.p[h->from]))
			continue;
		if (is_real(&s->F.el.p[h->to]))
			emit(r, h->from, h->fport, h->to, h->tport, &h->loc, &h->loc);
		else if (s->F.el.p[h->to].t.kind == K_TUNNEL) {
			r->vis.cur++;
			follow(r, h->from, h->fport, h->to, h->tport, &h->loc);
		}
	}
	return s->p->fatal ? -EINVAL : 0;
}

/* The primitive elements, numbered in order, and the connections between
 * them renumbered, sorted and without duplicates. */
static int number_elements(struct resolver *r, struct flat *out)
{
	struct fstate *s = r->s;
	struct arena *a = s->p->a;
	uint32_t ne = s->F.el.n;
	int32_t *idx = arena_calloc(a, ne + 1, sizeof *idx);
	if (!idx)
		return -ENOMEM;
	for (uint32_t i = 0; i < ne; i++) {
		const struct belem *e = &s->F.el.p[i];
		idx[i] = -1;
		if (!is_real(e))
			continue;
		struct felem fe = {e->name, e->t.prim, e->config, e->inst, e->loc, e->cfgloc};
		if (!CVEC_PUSH(a, out->el, fe))
			return -ENOMEM;
		idx[i] = (int32_t)out->el.n - 1;
	}
	for (uint32_t i = 0; i < r->out.n; i++) {
		r->out.p[i].from = (uint32_t)idx[r->out.p[i].from];
		r->out.p[i].to = (uint32_t)idx[r->out.p[i].to];
	}
	if (r->out.n)
		qsort(r->out.p, r->out.n, sizeof *r->out.p, cmp_fconn);
	for (uint32_t i = 0; i < r->out.n; i++) {
		const struct fconn *c = &r->out.p[i];
		if (out->conn.n) {
			const struct fconn *l = &out->conn.p[out->conn.n - 1];
			if (l->from == c->from && l->fport == c->fport && l->to == c->to && l->tport == c->tport)
				continue;
		}
		if (!CVEC_PUSH(a, out->conn, *c))
			return -ENOMEM;
	}
	return 0;
}

int click__flatten(struct cparse *p, struct compound *top, struct flat *out)
{
	struct fstate s = {0};
	s.p = p;
	p->decl_budget = UINT32_MAX; /* flattening has its own limits */
	s.max_total = 4 * p->max_elements + 64;
	int rc = seed_top_body(&s, top);
	if (rc)
		return rc;
	struct venv *g = global_env(p, top);
	if (!g)
		return -ENOMEM;
	if ((rc = expand_all(&s, g)))
		return rc;
	struct resolver r = {0};
	r.s = &s;
	if ((rc = splice_tunnels(&r)))
		return rc;
	return number_elements(&r, out);
}
