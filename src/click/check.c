/* Checks after flattening, in the order Click's own router checks them:
 * port counts against the class, push/pull/agnostic resolution through
 * flow codes, push outputs and pull inputs used once, every port
 * connected; then each element's configure. The result is the
 * click_graph that consumers read. */
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

/* What the steps share. Ports are numbered as slots: every element's
 * inputs first (ib[e] + port), then every element's outputs
 * (nin + ob[e] + port). */
struct check {
	struct cparse *p;
	const struct flat *f;
	struct click_graph *g;
	uint32_t ne, nc;
	uint32_t *ib, *ob;      /* first input / output of each element, ne + 1 */
	uint32_t nin, nout;
	uint8_t *ty;            /* CLICK_PUSH or CLICK_PULL per slot */
	uint32_t *incnt;        /* connections per input slot */
};

/* A connection between two slots: a real one, or a fake one through an
 * agnostic element's flow code. */
struct pconn {
	uint32_t fslot, tslot; /* output slot, input slot */
	uint32_t from, fport, to, tport;
	const struct cloc *loc;
	bool fake;
};
typedef CVEC(struct pconn) pconn_vec;

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

static int errors_so_far(const struct check *k)
{
	return k->p->d->nerrors ? -EINVAL : 0;
}

static const char *el_name(const struct check *k, uint32_t e)
{
	return k->f->el.p[e].name;
}

/* Ports: as many as the connections use, within the class's port count. */
static int count_ports(struct check *k)
{
	struct click_graph *g = k->g;
	const struct flat *f = k->f;
	g->nel = k->ne;
	g->nconn = k->nc;
	g->el = arena_calloc(k->p->ga, k->ne + 1, sizeof *g->el);
	g->conn = arena_calloc(k->p->ga, k->nc + 1, sizeof *g->conn);
	uint32_t *uin = arena_calloc(k->p->a, k->ne + 1, sizeof *uin);
	uint32_t *uout = arena_calloc(k->p->a, k->ne + 1, sizeof *uout);
	if (!g->el || !g->conn || !uin || !uout)
		return -ENOMEM;
	for (uint32_t i = 0; i < k->nc; i++) {
		const struct fconn *c = &f->conn.p[i];
		if (uout[c->from] <= c->fport)
			uout[c->from] = c->fport + 1;
		if (uin[c->to] <= c->tport)
			uin[c->to] = c->tport + 1;
	}
	for (uint32_t i = 0; i < k->ne; i++) {
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
			return click__err(k->p, &fe->loc, 1, "'%s' has too many ports", fe->name);
	}
	return 0;
}

/* Once per missing output port, at its first connection (connections are
 * sorted by source). */
static void report_missing_outputs(struct check *k)
{
	const struct flat *f = k->f;
	for (uint32_t i = 0; i < k->nc; i++) {
		const struct fconn *c = &f->conn.p[i];
		bool first_out = !i || f->conn.p[i - 1].from != c->from || f->conn.p[i - 1].fport != c->fport;
		if (c->fport >= k->g->el[c->from].noutputs && first_out)
			click__err(k->p, &c->loc, 2, "'%s' has no output %u", el_name(k, c->from), c->fport);
	}
}

/* Once per missing input port, at its first connection, in connection
 * order. */
static int report_missing_inputs(struct check *k)
{
	const struct flat *f = k->f;
	CVEC(struct bad) bad = {0};
	for (uint32_t i = 0; i < k->nc; i++) {
		const struct fconn *c = &f->conn.p[i];
		struct bad b = {c->to, c->tport, i};
		if (c->tport >= k->g->el[c->to].ninputs && !CVEC_PUSH(k->p->a, bad, b))
			return -ENOMEM;
	}
	if (!bad.n)
		return 0;
	qsort(bad.p, bad.n, sizeof *bad.p, cmp_bad_port);
	uint32_t n = 0;
	for (uint32_t i = 0; i < bad.n; i++)
		if (!i || bad.p[i].e != bad.p[i - 1].e || bad.p[i].port != bad.p[i - 1].port)
			bad.p[n++] = bad.p[i];
	bad.n = n;
	qsort(bad.p, bad.n, sizeof *bad.p, cmp_bad_index);
	for (uint32_t i = 0; i < bad.n; i++) {
		const struct fconn *c = &f->conn.p[bad.p[i].index];
		click__err(k->p, &c->tloc, 2, "'%s' has no input %u", el_name(k, c->to), c->tport);
	}
	return 0;
}

static int check_port_numbers(struct check *k)
{
	report_missing_outputs(k);
	int rc = report_missing_inputs(k);
	return rc ? rc : errors_so_far(k);
}

static int number_slots(struct check *k)
{
	k->ib = arena_calloc(k->p->a, k->ne + 1, sizeof *k->ib);
	k->ob = arena_calloc(k->p->a, k->ne + 1, sizeof *k->ob);
	if (!k->ib || !k->ob)
		return -ENOMEM;
	uint64_t nin = 0, nout = 0;
	for (uint32_t i = 0; i < k->ne; i++) {
		k->ib[i] = (uint32_t)nin;
		k->ob[i] = (uint32_t)nout;
		nin += k->g->el[i].ninputs;
		nout += k->g->el[i].noutputs;
	}
	k->ib[k->ne] = (uint32_t)nin;
	k->ob[k->ne] = (uint32_t)nout;
	if (nin + nout > 16u * 1024 * 1024)
		return click__err(k->p, NULL, 0, "too many ports");
	k->nin = (uint32_t)nin;
	k->nout = (uint32_t)nout;
	k->ty = arena_calloc(k->p->a, (size_t)k->nin + k->nout + 1, 1);
	return k->ty ? 0 : -ENOMEM;
}

static uint32_t in_slot(const struct check *k, uint32_t e, uint32_t port)
{
	return k->ib[e] + port;
}

static uint32_t out_slot(const struct check *k, uint32_t e, uint32_t port)
{
	return k->nin + k->ob[e] + port;
}

/* Each port's processing as its class fixes it (0: agnostic). */
static void fixed_processing(struct check *k)
{
	for (uint32_t i = 0; i < k->ne; i++) {
		const struct click_element *e = &k->g->el[i];
		for (uint32_t q = 0; q < e->ninputs; q++)
			k->ty[in_slot(k, i, q)] = proc_of(e->cls->processing, false, q);
		for (uint32_t q = 0; q < e->noutputs; q++)
			k->ty[out_slot(k, i, q)] = proc_of(e->cls->processing, true, q);
	}
}

/* The connections, then a fake one from each agnostic input to each
 * agnostic output its flow code lets packets reach. */
static int collect_pconns(struct check *k, pconn_vec *pc)
{
	for (uint32_t i = 0; i < k->nc; i++) {
		const struct fconn *c = &k->f->conn.p[i];
		struct pconn x = {out_slot(k, c->from, c->fport), in_slot(k, c->to, c->tport), c->from, c->fport,
		                  c->to, c->tport, &c->tloc, false};
		if (!CVEC_PUSH(k->p->a, *pc, x))
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < k->ne; i++) {
		const struct click_element *e = &k->g->el[i];
		const struct cloc *loc = &k->f->el.p[i].loc;
		for (uint32_t q = 0; q < e->ninputs; q++) {
			if (k->ty[in_slot(k, i, q)])
				continue;
			for (uint32_t o = 0; o < e->noutputs; o++) {
				if (k->ty[out_slot(k, i, o)] || !flows(e->cls->flow_code, q, o))
					continue;
				if (pc->n > 4u * 1024 * 1024)
					return click__err(k->p, loc, 1, "too many ports");
				struct pconn x = {out_slot(k, i, o), in_slot(k, i, q), i, o, i, q, loc, true};
				if (!CVEC_PUSH(k->p->a, *pc, x))
					return -ENOMEM;
			}
		}
	}
	return 0;
}

/* Breadth-first from every fixed slot: an agnostic slot takes the
 * processing of the first fixed slot that reaches it. */
static int propagate(struct check *k, const struct pconn *pc, uint32_t npc)
{
	uint32_t ns = k->nin + k->nout;
	uint8_t *ty = k->ty;
	uint32_t *st = arena_calloc(k->p->a, (size_t)ns + 2, sizeof *st);
	uint32_t *adj = arena_calloc(k->p->a, 2 * (size_t)npc + 1, sizeof *adj);
	uint32_t *fill = arena_calloc(k->p->a, (size_t)ns + 1, sizeof *fill);
	uint32_t *queue = arena_calloc(k->p->a, (size_t)ns + 1, sizeof *queue);
	if (!st || !adj || !fill || !queue)
		return -ENOMEM;
	for (uint32_t i = 0; i < npc; i++) {
		st[pc[i].fslot + 1]++;
		st[pc[i].tslot + 1]++;
	}
	for (uint32_t i = 0; i < ns; i++)
		st[i + 1] += st[i];
	for (uint32_t i = 0; i < npc; i++) {
		adj[st[pc[i].fslot] + fill[pc[i].fslot]++] = i;
		adj[st[pc[i].tslot] + fill[pc[i].tslot]++] = i;
	}
	uint32_t qh = 0, qt = 0;
	for (uint32_t i = 0; i < k->ne; i++) {
		for (uint32_t q = 0; q < k->g->el[i].ninputs; q++)
			if (ty[in_slot(k, i, q)])
				queue[qt++] = in_slot(k, i, q);
		for (uint32_t q = 0; q < k->g->el[i].noutputs; q++)
			if (ty[out_slot(k, i, q)])
				queue[qt++] = out_slot(k, i, q);
	}
	while (qh < qt) {
		uint32_t s = queue[qh++];
		for (uint32_t j = st[s]; j < st[s + 1]; j++) {
			const struct pconn *x = &pc[adj[j]];
			uint32_t o = x->fslot == s ? x->tslot : x->fslot;
			if (!ty[o]) {
				ty[o] = ty[s];
				queue[qt++] = o;
			}
		}
	}
	return 0;
}

static void report_conflicts(struct check *k, const struct pconn *pc, uint32_t npc)
{
	for (uint32_t i = 0; i < npc; i++) {
		const struct pconn *x = &pc[i];
		uint8_t a = k->ty[x->fslot], b = k->ty[x->tslot];
		if (!a || !b || a == b)
			continue;
		if (x->fake)
			click__err(k->p, x->loc, (uint32_t)strlen(el_name(k, x->from)),
			           "agnostic '%s' in mixed context: %s input %u, %s output %u", el_name(k, x->from),
			           pname(b), x->tport, pname(a), x->fport);
		else
			click__err(k->p, x->loc, 2, "'%s' %s output %u connected to '%s' %s input %u",
			           el_name(k, x->from), pname(a), x->fport, el_name(k, x->to), pname(b), x->tport);
	}
}

/* Push or pull for every port; agnostic ports no fixed port reaches are
 * push. Conflicts are errors, reported without stopping. */
static int resolve_processing(struct check *k)
{
	int rc = number_slots(k);
	if (rc)
		return rc;
	fixed_processing(k);
	pconn_vec pc = {0};
	if ((rc = collect_pconns(k, &pc)) || (rc = propagate(k, pc.p, pc.n)))
		return rc;
	report_conflicts(k, pc.p, pc.n);
	for (uint32_t s = 0; s < k->nin + k->nout; s++)
		if (!k->ty[s])
			k->ty[s] = CLICK_PUSH;
	return 0;
}

/* Push outputs and pull inputs take exactly one connection; reported once,
 * at the second. */
static int check_reuse(struct check *k)
{
	const struct flat *f = k->f;
	for (uint32_t i = 0; i < k->nc; i++) {
		const struct fconn *c = &f->conn.p[i];
		if (i && f->conn.p[i - 1].from == c->from && f->conn.p[i - 1].fport == c->fport &&
		    k->ty[out_slot(k, c->from, c->fport)] == CLICK_PUSH &&
		    (i < 2 || f->conn.p[i - 2].from != c->from || f->conn.p[i - 2].fport != c->fport))
			click__err(k->p, &c->loc, 2, "illegal reuse of '%s' push output %u", el_name(k, c->from),
			           c->fport);
	}
	k->incnt = arena_calloc(k->p->a, (size_t)k->nin + 1, sizeof *k->incnt);
	if (!k->incnt)
		return -ENOMEM;
	for (uint32_t i = 0; i < k->nc; i++) {
		const struct fconn *c = &f->conn.p[i];
		uint32_t s = in_slot(k, c->to, c->tport);
		if (++k->incnt[s] == 2 && k->ty[s] == CLICK_PULL)
			click__err(k->p, &c->tloc, 2, "illegal reuse of '%s' pull input %u", el_name(k, c->to),
			           c->tport);
	}
	return errors_so_far(k);
}

/* Every port connected. */
static int check_unused(struct check *k)
{
	uint8_t *used = arena_calloc(k->p->a, (size_t)k->nout + 1, 1);
	if (!used)
		return -ENOMEM;
	for (uint32_t i = 0; i < k->nc; i++)
		used[k->ob[k->f->conn.p[i].from] + k->f->conn.p[i].fport] = 1;
	for (uint32_t i = 0; i < k->ne; i++) {
		const struct felem *fe = &k->f->el.p[i];
		uint32_t span = (uint32_t)strlen(fe->name);
		for (uint32_t q = 0; q < k->g->el[i].ninputs; q++)
			if (!k->incnt[in_slot(k, i, q)])
				click__err(k->p, &fe->loc, span, "'%s' input %u unused", fe->name, q);
		for (uint32_t q = 0; q < k->g->el[i].noutputs; q++)
			if (!used[k->ob[i] + q])
				click__err(k->p, &fe->loc, span, "'%s' output %u unused", fe->name, q);
	}
	return errors_so_far(k);
}

/* The graph's connection lists: per output slot its destinations, per
 * input slot its sources. */
static int link_ports(struct check *k)
{
	struct click_graph *g = k->g;
	struct arena *ga = k->p->ga;
	const uint32_t *ib = k->ib, *ob = k->ob;
	g->out_base = arena_calloc(ga, k->ne + 1, sizeof *g->out_base);
	g->in_base = arena_calloc(ga, k->ne + 1, sizeof *g->in_base);
	g->out_start = arena_calloc(ga, (size_t)k->nout + 2, sizeof *g->out_start);
	g->in_start = arena_calloc(ga, (size_t)k->nin + 2, sizeof *g->in_start);
	g->outref = arena_calloc(ga, k->nc + 1, sizeof *g->outref);
	g->inref = arena_calloc(ga, k->nc + 1, sizeof *g->inref);
	uint32_t *ifill = arena_calloc(k->p->a, (size_t)k->nin + 1, sizeof *ifill);
	if (!g->out_base || !g->in_base || !g->out_start || !g->in_start || !g->outref || !g->inref || !ifill)
		return -ENOMEM;
	memcpy(g->out_base, ob, (k->ne + 1) * sizeof *ob);
	memcpy(g->in_base, ib, (k->ne + 1) * sizeof *ib);
	for (uint32_t i = 0; i < k->nc; i++) {
		const struct fconn *c = &k->f->conn.p[i];
		g->conn[i].from.elem = c->from;
		g->conn[i].from.port = c->fport;
		g->conn[i].to.elem = c->to;
		g->conn[i].to.port = c->tport;
		g->outref[i] = g->conn[i].to;
		g->out_start[ob[c->from] + c->fport + 1]++;
		g->in_start[ib[c->to] + c->tport + 1]++;
	}
	for (uint32_t s = 0; s < k->nout; s++)
		g->out_start[s + 1] += g->out_start[s];
	for (uint32_t s = 0; s < k->nin; s++)
		g->in_start[s + 1] += g->in_start[s];
	/* conns are sorted by from, so sources land in (to, from) order too */
	for (uint32_t i = 0; i < k->nc; i++) {
		uint32_t s = ib[g->conn[i].to.elem] + g->conn[i].to.port;
		g->inref[g->in_start[s] + ifill[s]++] = g->conn[i].from;
	}
	return 0;
}

/* Name, configuration string split into arguments, port processing. */
static int describe_element(struct check *k, uint32_t i)
{
	struct arena *ga = k->p->ga;
	struct click_element *e = &k->g->el[i];
	const struct felem *fe = &k->f->el.p[i];
	e->name = arena_strdup(ga, fe->name);
	e->config = arena_strdup(ga, fe->config ? fe->config : "");
	e->loc = fe->loc.l;
	e->in_proc = arena_calloc(ga, e->ninputs + 1, 1);
	e->out_proc = arena_calloc(ga, e->noutputs + 1, 1);
	if (!e->name || !e->config || !e->in_proc || !e->out_proc)
		return -ENOMEM;
	memcpy(e->in_proc, k->ty + in_slot(k, i, 0), e->ninputs);
	memcpy(e->out_proc, k->ty + out_slot(k, i, 0), e->noutputs);
	/* argument locations are exact unless variables changed the text */
	struct src_loc cl = fe->cfgloc.l;
	if (click_split_args(e->config, fe->substituted ? NULL : &cl, ga, &e->args))
		return -ENOMEM;
	if (fe->substituted)
		for (size_t a = 0; a < e->args.n; a++)
			e->args.v[a].loc = cl;
	if (click__map_set(ga, &k->g->names, e->name, (int32_t)i))
		return -ENOMEM;
	return 0;
}

/* The elements of one phase; an element that fails without saying why
 * gets a generic error. */
static int configure_phase(struct check *k, int phase, void **shared)
{
	struct cparse *p = k->p;
	for (uint32_t i = 0; i < k->ne; i++) {
		struct click_element *e = &k->g->el[i];
		if (!e->cls->configure || e->cls->configure_phase != phase)
			continue;
		if (p->fatal || click__cancelled(p))
			return 0; /* the caller's budget is spent: stop here */
		struct click_conf_ctx ctx = {e, e->ninputs, e->noutputs, p->ga, p->d, shared, k->g};
		size_t before = p->d->nerrors;
		size_t nd = p->d->n;
		int rc = e->cls->configure(&ctx, &e->args, &e->conf);
		click__trim_diags(p->d, nd);
		if (p->opt->max_memory && arena_exhausted(p->ga)) {
			p->fatal = true; /* over the caller's budget: click_parse says so */
			return 0;
		}
		if (rc < 0 && p->d->nerrors == before)
			click__err(p, &k->f->el.p[i].loc, (uint32_t)strlen(e->name), "'%s': bad configuration for %s",
			           e->name, e->cls->name);
	}
	return 0;
}

/* Every element, reporting all errors, phase by phase as Click does
 * (AddressInfo, then IPRewriterPatterns, then the rest), each phase in
 * element order. */
static int configure_elements(struct check *k)
{
	void *shared = NULL;
	int64_t done = INT64_MIN;
	for (;;) {
		int64_t next = INT64_MAX;
		for (uint32_t i = 0; i < k->ne; i++) {
			int ph = k->g->el[i].cls->configure_phase;
			if (ph > done && ph < next)
				next = ph;
		}
		if (next == INT64_MAX)
			break;
		configure_phase(k, (int)next, &shared);
		if (k->p->fatal)
			break;
		done = next;
	}
	return errors_so_far(k);
}

int click__check(struct cparse *p, const struct flat *f, struct click_graph *g)
{
	struct check k = {.p = p, .f = f, .g = g, .ne = f->el.n, .nc = f->conn.n};
	int rc;
	if ((rc = count_ports(&k)) || (rc = check_port_numbers(&k)) || (rc = resolve_processing(&k)) ||
	    (rc = check_reuse(&k)) || (rc = check_unused(&k)) || (rc = link_ports(&k)))
		return rc;
	for (uint32_t i = 0; i < k.ne; i++)
		if ((rc = describe_element(&k, i)))
			return rc;
	return configure_elements(&k);
}
