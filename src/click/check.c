/* Checks after flattening (reference 1.11): port counts against the class,
 * push/pull/agnostic resolution through flow codes, push outputs and pull
 * inputs used once, every port connected; then each element's configure.
 * The result is the click_graph that consumers read. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "click/internal.h"

#define UNBOUNDED UINT32_MAX

struct range {
	uint32_t lo, hi;
	int same; /* 1: "=", 2: "=+" */
};

static bool parse_num(const char **s, const char *end, uint32_t *v)
{
	const char *p = *s;
	uint32_t x = 0;
	if (p >= end || *p < '0' || *p > '9')
		return false;
	for (; p < end && *p >= '0' && *p <= '9'; p++)
		x = x > 100000000u ? x : x * 10 + (uint32_t)(*p - '0');
	*v = x;
	*s = p;
	return true;
}

static void parse_side(const char *s, const char *end, struct range *r)
{
	r->lo = 0;
	r->hi = UNBOUNDED;
	r->same = 0;
	if (s < end && *s == '=') {
		r->same = (s + 1 < end && s[1] == '+') ? 2 : 1;
		return;
	}
	uint32_t a;
	if (s < end && *s == '-') {
		s++;
		if (parse_num(&s, end, &a))
			r->hi = a;
		return;
	}
	if (!parse_num(&s, end, &a)) {
		r->hi = 0;
		return;
	}
	r->lo = r->hi = a;
	if (s < end && *s == '-') {
		s++;
		if (parse_num(&s, end, &a))
			r->hi = a;
		else
			r->hi = UNBOUNDED;
	}
}

static void port_count(const char *spec, struct range *in, struct range *out)
{
	if (!spec)
		spec = "-/-";
	const char *slash = strchr(spec, '/');
	const char *end = spec + strlen(spec);
	if (!slash) {
		parse_side(spec, end, in);
		*out = *in;
		return;
	}
	parse_side(spec, slash, in);
	parse_side(slash + 1, end, out);
}

static uint32_t clamp(uint32_t used, const struct range *r)
{
	if (used < r->lo)
		return r->lo;
	if (used > r->hi)
		return r->hi;
	return used;
}

/* The code character for port `port` of one side of "in/out". */
static char proc_code(const char *proc, bool isoutput, uint32_t port)
{
	if (!proc || !*proc)
		return 'a';
	const char *slash = strchr(proc, '/');
	const char *b = proc, *e = slash ? slash : proc + strlen(proc);
	if (isoutput && slash) {
		b = slash + 1;
		e = proc + strlen(proc);
	}
	if (e <= b)
		return 'a';
	size_t n = (size_t)(e - b);
	return b[port < n ? port : n - 1];
}

static uint8_t proc_of(const char *proc, bool isoutput, uint32_t port)
{
	switch (proc_code(proc, isoutput, port)) {
	case 'h': case 'H':
		return CLICK_PUSH;
	case 'l': case 'L':
		return CLICK_PULL;
	default:
		return 0;
	}
}

/* One flow code: a set of letters, plus '#' (same port number). */
struct fcode {
	uint8_t set[32];
	bool hash;
};

static void flow_side(const char *b, const char *e, uint32_t port, struct fcode *fc)
{
	memset(fc, 0, sizeof *fc);
	/* split into codes; take the port-th, or the last */
	const char *codes[2] = {NULL, NULL};
	uint32_t k = 0;
	const char *p = b, *cur = NULL, *cend = NULL;
	while (p < e) {
		const char *s = p;
		if (*p == '[') {
			while (p < e && *p != ']')
				p++;
			if (p < e)
				p++;
		} else
			p++;
		cur = s;
		cend = p;
		if (k++ == port)
			break;
	}
	(void)codes;
	if (!cur)
		return;
	if (*cur == '[') {
		bool neg = cur + 1 < cend && cur[1] == '^';
		const char *q = cur + 1 + (neg ? 1 : 0);
		uint8_t tmp[32] = {0};
		for (; q < cend && *q != ']'; q++)
			tmp[(unsigned char)*q >> 3] |= (uint8_t)(1u << (*q & 7));
		for (int i = 0; i < 32; i++)
			fc->set[i] = neg ? (uint8_t)~tmp[i] : tmp[i];
		fc->set['#' >> 3] &= (uint8_t)~(1u << ('#' & 7));
		fc->hash = !neg && (tmp['#' >> 3] & (1u << ('#' & 7)));
	} else if (*cur == '#')
		fc->hash = true;
	else
		fc->set[(unsigned char)*cur >> 3] |= (uint8_t)(1u << (*cur & 7));
}

static bool flows(const char *code, uint32_t in, uint32_t out)
{
	if (!code)
		code = "x/x";
	const char *slash = strchr(code, '/');
	const char *end = code + strlen(code);
	struct fcode a, b;
	if (slash) {
		flow_side(code, slash, in, &a);
		flow_side(slash + 1, end, out, &b);
	} else {
		flow_side(code, end, in, &a);
		flow_side(code, end, out, &b);
	}
	if (a.hash && b.hash && in == out)
		return true;
	for (int i = 0; i < 32; i++)
		if (a.set[i] & b.set[i])
			return true;
	return false;
}

static const char *pname(uint8_t t)
{
	return t == CLICK_PULL ? "pull" : "push";
}

struct pconn {
	uint32_t fslot, tslot; /* output slot, input slot */
	uint32_t from, fport, to, tport;
	const struct cloc *loc;
	bool fake;
};

struct bad {
	uint32_t e, port, index;
};

static int cmp_bad_port(const void *a, const void *b)
{
	const struct bad *x = a, *y = b;
	if (x->e != y->e)
		return x->e < y->e ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int cmp_bad_index(const void *a, const void *b)
{
	const struct bad *x = a, *y = b;
	return x->index < y->index ? -1 : x->index > y->index;
}

int click__check(struct cparse *p, const struct flat *f, struct click_graph *g)
{
	struct arena *ga = p->ga;
	uint32_t ne = f->el.n, nc = f->conn.n;
	g->nel = ne;
	g->nconn = nc;
	g->el = arena_calloc(ga, ne + 1, sizeof *g->el);
	g->conn = arena_calloc(ga, nc + 1, sizeof *g->conn);
	uint32_t *uin = arena_calloc(p->a, ne + 1, sizeof *uin);
	uint32_t *uout = arena_calloc(p->a, ne + 1, sizeof *uout);
	if (!g->el || !g->conn || !uin || !uout)
		return -ENOMEM;
	for (uint32_t i = 0; i < nc; i++) {
		const struct fconn *c = &f->conn.p[i];
		if (uout[c->from] <= c->fport)
			uout[c->from] = c->fport + 1;
		if (uin[c->to] <= c->tport)
			uin[c->to] = c->tport + 1;
	}
	/* 1. port counts */
	for (uint32_t i = 0; i < ne; i++) {
		struct click_element *e = &g->el[i];
		const struct felem *fe = &f->el.p[i];
		struct range ri, ro;
		port_count(fe->cls->port_count, &ri, &ro);
		e->index = i;
		e->cls = fe->cls;
		e->ninputs = clamp(uin[i], &ri);
		if (ro.same == 1)
			ro.lo = ro.hi = e->ninputs;
		else if (ro.same == 2)
			ro.lo = e->ninputs;
		e->noutputs = clamp(uout[i], &ro);
		if (e->ninputs > 65536 || e->noutputs > 65536)
			return click__err(p, &fe->loc, 1, "'%s' has too many ports", fe->name);
	}
	for (uint32_t i = 0; i < nc; i++) {
		const struct fconn *c = &f->conn.p[i];
		bool first_out = !i || f->conn.p[i - 1].from != c->from || f->conn.p[i - 1].fport != c->fport;
		if (c->fport >= g->el[c->from].noutputs && first_out)
			click__err(p, &c->loc, 2, "'%s' has no output %u", f->el.p[c->from].name, c->fport);
	}
	{
		/* once per missing input port, at its first connection */
		CVEC(struct bad) bad = {0};
		for (uint32_t i = 0; i < nc; i++) {
			const struct fconn *c = &f->conn.p[i];
			struct bad b = {c->to, c->tport, i};
			if (c->tport >= g->el[c->to].ninputs && !CVEC_PUSH(p->a, bad, b))
				return -ENOMEM;
		}
		if (bad.n) {
			qsort(bad.p, bad.n, sizeof *bad.p, cmp_bad_port);
			uint32_t k = 0;
			for (uint32_t i = 0; i < bad.n; i++)
				if (!i || bad.p[i].e != bad.p[i - 1].e || bad.p[i].port != bad.p[i - 1].port)
					bad.p[k++] = bad.p[i];
			bad.n = k;
			qsort(bad.p, bad.n, sizeof *bad.p, cmp_bad_index);
			for (uint32_t i = 0; i < bad.n; i++) {
				const struct fconn *c = &f->conn.p[bad.p[i].index];
				click__err(p, &c->tloc, 2, "'%s' has no input %u", f->el.p[c->to].name, c->tport);
			}
		}
	}
	if (p->d->nerrors)
		return -EINVAL;

	/* 2. push/pull: ports are slots; fixed ports propagate along
	 * connections and, for agnostic ports, through the flow code. */
	uint32_t *ib = arena_calloc(p->a, ne + 1, sizeof *ib), *ob = arena_calloc(p->a, ne + 1, sizeof *ob);
	if (!ib || !ob)
		return -ENOMEM;
	uint64_t nin = 0, nout = 0;
	for (uint32_t i = 0; i < ne; i++) {
		ib[i] = (uint32_t)nin;
		ob[i] = (uint32_t)nout;
		nin += g->el[i].ninputs;
		nout += g->el[i].noutputs;
	}
	ib[ne] = (uint32_t)nin;
	ob[ne] = (uint32_t)nout;
	if (nin + nout > 16u * 1024 * 1024)
		return click__err(p, NULL, 0, "too many ports");
	uint32_t ns = (uint32_t)(nin + nout);
	uint8_t *ty = arena_calloc(p->a, ns + 1, 1); /* slot: inputs then outputs */
	if (!ty)
		return -ENOMEM;
	CVEC(struct pconn) pc = {0};
	for (uint32_t i = 0; i < nc; i++) {
		const struct fconn *c = &f->conn.p[i];
		struct pconn x = {(uint32_t)nin + ob[c->from] + c->fport, ib[c->to] + c->tport, c->from, c->fport,
		                  c->to, c->tport, &c->tloc, false};
		if (!CVEC_PUSH(p->a, pc, x))
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < ne; i++) {
		const struct click_element *e = &g->el[i];
		const char *proc = e->cls->processing;
		for (uint32_t q = 0; q < e->ninputs; q++)
			ty[ib[i] + q] = proc_of(proc, false, q);
		for (uint32_t q = 0; q < e->noutputs; q++)
			ty[nin + ob[i] + q] = proc_of(proc, true, q);
		for (uint32_t q = 0; q < e->ninputs; q++) {
			if (ty[ib[i] + q])
				continue;
			for (uint32_t o = 0; o < e->noutputs; o++)
				if (!ty[nin + ob[i] + o] && flows(e->cls->flow_code, q, o)) {
					if (pc.n > 4u * 1024 * 1024)
						return click__err(p, &f->el.p[i].loc, 1, "too many ports");
					struct pconn x = {(uint32_t)nin + ob[i] + o, ib[i] + q, i, o, i, q, &f->el.p[i].loc, true};
					if (!CVEC_PUSH(p->a, pc, x))
						return -ENOMEM;
				}
		}
	}
	/* adjacency of slots to pconns */
	uint32_t *st = arena_calloc(p->a, ns + 2, sizeof *st), *adj = arena_calloc(p->a, 2 * pc.n + 1, sizeof *adj);
	uint32_t *fill = arena_calloc(p->a, ns + 1, sizeof *fill), *queue = arena_calloc(p->a, ns + 1, sizeof *queue);
	if (!st || !adj || !fill || !queue)
		return -ENOMEM;
	for (uint32_t i = 0; i < pc.n; i++) {
		st[pc.p[i].fslot + 1]++;
		st[pc.p[i].tslot + 1]++;
	}
	for (uint32_t i = 0; i < ns; i++)
		st[i + 1] += st[i];
	for (uint32_t i = 0; i < pc.n; i++) {
		adj[st[pc.p[i].fslot] + fill[pc.p[i].fslot]++] = i;
		adj[st[pc.p[i].tslot] + fill[pc.p[i].tslot]++] = i;
	}
	uint32_t qh = 0, qt = 0;
	for (uint32_t i = 0; i < ne; i++) {
		for (uint32_t q = 0; q < g->el[i].ninputs; q++)
			if (ty[ib[i] + q])
				queue[qt++] = ib[i] + q;
		for (uint32_t q = 0; q < g->el[i].noutputs; q++)
			if (ty[nin + ob[i] + q])
				queue[qt++] = (uint32_t)nin + ob[i] + q;
	}
	while (qh < qt) {
		uint32_t s = queue[qh++];
		for (uint32_t k = st[s]; k < st[s + 1]; k++) {
			const struct pconn *x = &pc.p[adj[k]];
			uint32_t o = x->fslot == s ? x->tslot : x->fslot;
			if (!ty[o]) {
				ty[o] = ty[s];
				queue[qt++] = o;
			}
		}
	}
	for (uint32_t i = 0; i < pc.n; i++) {
		const struct pconn *x = &pc.p[i];
		uint8_t a = ty[x->fslot], b = ty[x->tslot];
		if (!a || !b || a == b)
			continue;
		if (x->fake)
			click__err(p, x->loc, (uint32_t)strlen(f->el.p[x->from].name),
			           "agnostic '%s' in mixed context: %s input %u, %s output %u", f->el.p[x->from].name,
			           pname(b), x->tport, pname(a), x->fport);
		else
			click__err(p, x->loc, 2, "'%s' %s output %u connected to '%s' %s input %u", f->el.p[x->from].name,
			           pname(a), x->fport, f->el.p[x->to].name, pname(b), x->tport);
	}
	for (uint32_t s = 0; s < ns; s++)
		if (!ty[s])
			ty[s] = CLICK_PUSH;
	/* push outputs and pull inputs: exactly one connection */
	for (uint32_t i = 0; i < nc; i++) {
		const struct fconn *c = &f->conn.p[i];
		if (i && f->conn.p[i - 1].from == c->from && f->conn.p[i - 1].fport == c->fport &&
		    ty[nin + ob[c->from] + c->fport] == CLICK_PUSH &&
		    (i < 2 || f->conn.p[i - 2].from != c->from || f->conn.p[i - 2].fport != c->fport))
			click__err(p, &c->loc, 2, "illegal reuse of '%s' push output %u", f->el.p[c->from].name, c->fport);
	}
	{
		uint32_t *cnt = arena_calloc(p->a, (size_t)nin + 1, sizeof *cnt);
		if (!cnt)
			return -ENOMEM;
		for (uint32_t i = 0; i < nc; i++) {
			const struct fconn *c = &f->conn.p[i];
			uint32_t s = ib[c->to] + c->tport;
			if (++cnt[s] == 2 && ty[s] == CLICK_PULL)
				click__err(p, &c->tloc, 2, "illegal reuse of '%s' pull input %u", f->el.p[c->to].name, c->tport);
		}
		if (p->d->nerrors)
			return -EINVAL;

		/* 3. every port connected */
		uint8_t *ocnt = arena_calloc(p->a, (size_t)nout + 1, 1);
		if (!ocnt)
			return -ENOMEM;
		for (uint32_t i = 0; i < nc; i++)
			ocnt[ob[f->conn.p[i].from] + f->conn.p[i].fport] = 1;
		for (uint32_t i = 0; i < ne; i++) {
			const struct felem *fe = &f->el.p[i];
			uint32_t span = (uint32_t)strlen(fe->name);
			for (uint32_t q = 0; q < g->el[i].ninputs; q++)
				if (!cnt[ib[i] + q])
					click__err(p, &fe->loc, span, "'%s' input %u unused", fe->name, q);
			for (uint32_t q = 0; q < g->el[i].noutputs; q++)
				if (!ocnt[ob[i] + q])
					click__err(p, &fe->loc, span, "'%s' output %u unused", fe->name, q);
		}
		if (p->d->nerrors)
			return -EINVAL;
	}

	/* the graph */
	g->out_base = arena_calloc(ga, ne + 1, sizeof *g->out_base);
	g->in_base = arena_calloc(ga, ne + 1, sizeof *g->in_base);
	g->out_start = arena_calloc(ga, (size_t)nout + 2, sizeof *g->out_start);
	g->in_start = arena_calloc(ga, (size_t)nin + 2, sizeof *g->in_start);
	g->outref = arena_calloc(ga, nc + 1, sizeof *g->outref);
	g->inref = arena_calloc(ga, nc + 1, sizeof *g->inref);
	if (!g->out_base || !g->in_base || !g->out_start || !g->in_start || !g->outref || !g->inref)
		return -ENOMEM;
	memcpy(g->out_base, ob, (ne + 1) * sizeof *ob);
	memcpy(g->in_base, ib, (ne + 1) * sizeof *ib);
	for (uint32_t i = 0; i < nc; i++) {
		const struct fconn *c = &f->conn.p[i];
		g->conn[i].from.elem = c->from;
		g->conn[i].from.port = c->fport;
		g->conn[i].to.elem = c->to;
		g->conn[i].to.port = c->tport;
		g->outref[i] = g->conn[i].to;
		g->out_start[ob[c->from] + c->fport + 1]++;
		g->in_start[ib[c->to] + c->tport + 1]++;
	}
	for (uint32_t s = 0; s < nout; s++)
		g->out_start[s + 1] += g->out_start[s];
	for (uint32_t s = 0; s < nin; s++)
		g->in_start[s + 1] += g->in_start[s];
	/* conns are sorted by from, so sources land in (to, from) order too */
	uint32_t *ifill = arena_calloc(p->a, (size_t)nin + 1, sizeof *ifill);
	if (!ifill)
		return -ENOMEM;
	for (uint32_t i = 0; i < nc; i++) {
		uint32_t s = ib[g->conn[i].to.elem] + g->conn[i].to.port;
		g->inref[g->in_start[s] + ifill[s]++] = g->conn[i].from;
	}
	for (uint32_t i = 0; i < ne; i++) {
		struct click_element *e = &g->el[i];
		const struct felem *fe = &f->el.p[i];
		e->name = arena_strdup(ga, fe->name);
		e->config = arena_strdup(ga, fe->config ? fe->config : "");
		e->loc = fe->loc.l;
		e->in_proc = arena_calloc(ga, e->ninputs + 1, 1);
		e->out_proc = arena_calloc(ga, e->noutputs + 1, 1);
		if (!e->name || !e->config || !e->in_proc || !e->out_proc)
			return -ENOMEM;
		memcpy(e->in_proc, ty + ib[i], e->ninputs);
		memcpy(e->out_proc, ty + nin + ob[i], e->noutputs);
		/* argument locations are exact unless variables changed the text */
		struct src_loc cl = fe->cfgloc.l;
		if (click_split_args(e->config, fe->substituted ? NULL : &cl, ga, &e->args))
			return -ENOMEM;
		if (fe->substituted)
			for (size_t k = 0; k < e->args.n; k++)
				e->args.v[k].loc = cl;
		if (click__map_set(ga, &g->names, e->name, (int32_t)i))
			return -ENOMEM;
	}
	/* 4. configure, every element, all errors */
	for (uint32_t i = 0; i < ne; i++) {
		struct click_element *e = &g->el[i];
		if (!e->cls->configure)
			continue;
		struct click_conf_ctx ctx = {e, e->ninputs, e->noutputs, ga, p->d};
		size_t before = p->d->nerrors;
		size_t nd = p->d->n;
		int rc = e->cls->configure(&ctx, &e->args, &e->conf);
		click__trim_diags(p->d, nd);
		if (rc < 0 && p->d->nerrors == before)
			click__err(p, &f->el.p[i].loc, (uint32_t)strlen(e->name), "'%s': bad configuration for %s",
			           e->name, e->cls->name);
	}
	return p->d->nerrors ? -EINVAL : 0;
}
