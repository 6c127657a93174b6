/* The requirement language (docs/requirements.md):
 *   stmt := ("reach"|"always"|"never") "from" node [flow] hop+
 *   hop  := "->" node [flow] ["const" fields]
 * The flow text of a node runs to the next "->" or the word "const" and is
 * handed to the flow-expression parser, so requirements read flows exactly
 * as IPFilter does. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verify/internal.h"

struct lp {
	const struct src_file *src;
	const char *s;   /* line start */
	size_t n;        /* line length (comment cut) */
	size_t i;
	uint32_t line;
	size_t line_off; /* offset of the line in the file */
	struct arena *a;
	struct diags *d;
};

static struct src_loc lp_loc(const struct lp *p, size_t i)
{
	struct src_loc l = {p->src, p->line, (uint32_t)i + 1};
	return l;
}

static int lp_err(struct lp *p, size_t at, size_t span, const char *fmt, const char *arg)
{
	struct src_loc l = lp_loc(p, at);
	return diags_error(p->d, &l, (uint32_t)(span ? span : 1), fmt, arg);
}

static void skip_ws(struct lp *p)
{
	while (p->i < p->n && isspace((unsigned char)p->s[p->i]))
		p->i++;
}

static bool at_arrow(const struct lp *p, size_t i)
{
	return i + 1 < p->n && p->s[i] == '-' && p->s[i + 1] == '>';
}

/* A word: letters, digits and _-.:/ (stops before "->"). */
static size_t word_end(const struct lp *p, size_t i)
{
	while (i < p->n && !isspace((unsigned char)p->s[i]) && !at_arrow(p, i))
		i++;
	return i;
}

static bool word_is(const struct lp *p, size_t i, size_t e, const char *w)
{
	size_t n = strlen(w);
	return e - i == n && !strncmp(p->s + i, w, n);
}

static int parse_node(struct lp *p, struct rnode *nd)
{
	skip_ws(p);
	size_t b = p->i, e = word_end(p, b);
	if (e == b)
		return lp_err(p, b, 1, "expected a node (address, prefix, client, internet, or a name)%s", "");
	p->i = e;
	nd->text = arena_strndup(p->a, p->s + b, e - b);
	nd->line = p->line;
	nd->col = (uint32_t)b + 1;
	nd->span = (uint32_t)(e - b);
	if (word_is(p, b, e, "client")) {
		nd->kind = RN_CLIENT;
		return 0;
	}
	if (word_is(p, b, e, "internet")) {
		nd->kind = RN_INTERNET;
		return 0;
	}
	if (isdigit((unsigned char)p->s[b])) {
		if (inet_parse_prefix(p->s + b, e - b, false, &nd->pfx) < 0)
			return lp_err(p, b, e - b, "'%s' is not an IPv4 address or prefix (host bits set?)",
			              nd->text);
		nd->kind = RN_PREFIX;
		return 0;
	}
	const char *c1 = memchr(p->s + b, ':', e - b);
	if (!c1) {
		nd->kind = RN_NAME;
		nd->name = nd->text;
		return 0;
	}
	nd->kind = RN_ELEM;
	nd->name = arena_strndup(p->a, p->s + b, (size_t)(c1 - (p->s + b)));
	const char *es = c1 + 1, *end = p->s + e;
	const char *c2 = memchr(es, ':', (size_t)(end - es));
	nd->elem = arena_strndup(p->a, es, (size_t)((c2 ? c2 : end) - es));
	if (!*nd->name || !*nd->elem)
		return lp_err(p, b, e - b, "'%s': expected module:element[:port]", nd->text);
	if (c2) {
		char *stop;
		char buf[16];
		size_t pl = (size_t)(end - c2 - 1);
		if (pl == 0 || pl >= sizeof buf)
			return lp_err(p, (size_t)(c2 + 1 - p->s), pl, "bad port in '%s'", nd->text);
		memcpy(buf, c2 + 1, pl);
		buf[pl] = 0;
		unsigned long v = strtoul(buf, &stop, 10);
		if (*stop || !isdigit((unsigned char)buf[0]) || v > 65535)
			return lp_err(p, (size_t)(c2 + 1 - p->s), pl, "bad port in '%s'", nd->text);
		nd->port = (uint32_t)v;
	}
	return 0;
}

/* Flow text up to "->" / "const" / end; parsed when non-empty. */
static int parse_flow(struct lp *p, struct rhop *h, bool *saw_const)
{
	skip_ws(p);
	size_t b = p->i, i = b;
	*saw_const = false;
	while (i < p->n && !at_arrow(p, i)) {
		if ((i == b || isspace((unsigned char)p->s[i - 1])) && i + 5 <= p->n &&
		    !strncmp(p->s + i, "const", 5) && (i + 5 == p->n || isspace((unsigned char)p->s[i + 5]))) {
			*saw_const = true;
			break;
		}
		i++;
	}
	size_t e = i;
	while (e > b && isspace((unsigned char)p->s[e - 1]))
		e--;
	p->i = *saw_const ? i + 5 : i;
	if (e == b)
		return 0;
	struct src_loc l = lp_loc(p, b);
	h->flow_text = arena_strndup(p->a, p->s + b, e - b);
	return flow_parse_n(p->s + b, e - b, &l, p->a, p->d, &h->flow);
}

static int parse_const(struct lp *p, struct rhop *h)
{
	bool any = false;
	for (;;) {
		skip_ws(p);
		if (p->i >= p->n || at_arrow(p, p->i))
			break;
		size_t b = p->i, e = word_end(p, b);
		/* separators */
		if (word_is(p, b, e, "&&") || word_is(p, b, e, "and") || word_is(p, b, e, ",")) {
			if (!any)
				return lp_err(p, b, e - b, "expected a field before '%s'", "separator");
			p->i = e;
			continue;
		}
		/* a field may be followed directly by ',' */
		size_t we = e;
		bool comma = false;
		if (we > b && p->s[we - 1] == ',') {
			we--;
			comma = true;
		}
		int f = -1;
		if (word_is(p, b, we, "src") || word_is(p, b, we, "dst")) {
			bool src = p->s[b] == 's';
			size_t save = e;
			p->i = e;
			skip_ws(p);
			size_t b2 = p->i, e2 = word_end(p, b2);
			size_t we2 = e2;
			bool comma2 = false;
			if (!comma && we2 > b2 && p->s[we2 - 1] == ',') {
				we2--;
				comma2 = true;
			}
			if (!comma && word_is(p, b2, we2, "port")) {
				f = src ? SYM_F_SPORT : SYM_F_DPORT;
				e = e2;
				comma = comma2;
			} else {
				f = src ? SYM_F_SRC : SYM_F_DST;
				e = save;
			}
		} else if (word_is(p, b, we, "proto"))
			f = SYM_F_PROTO;
		else if (word_is(p, b, we, "sport"))
			f = SYM_F_SPORT;
		else if (word_is(p, b, we, "dport"))
			f = SYM_F_DPORT;
		else if (word_is(p, b, we, "ttl"))
			f = SYM_F_TTL;
		else if (word_is(p, b, we, "tos"))
			f = SYM_F_TOS;
		else if (word_is(p, b, we, "payload"))
			f = SYM_F_PAYLOAD;
		if (f < 0) {
			char *w = arena_strndup(p->a, p->s + b, we - b);
			return lp_err(p, b, we - b,
			              "unknown field '%s' (src, dst, proto, src port, dst port, sport, dport, ttl, tos, payload)",
			              w);
		}
		h->cmask |= 1u << f;
		any = true;
		p->i = e;
		(void)comma;
	}
	if (!any)
		return lp_err(p, p->i, 1, "expected fields after 'const'%s", "");
	return 0;
}

static int parse_stmt(struct lp *p, struct rstmt *st)
{
	skip_ws(p);
	size_t b = p->i, e = word_end(p, b);
	if (word_is(p, b, e, "reach"))
		st->kind = VFY_REACH;
	else if (word_is(p, b, e, "always"))
		st->kind = VFY_ALWAYS;
	else if (word_is(p, b, e, "never"))
		st->kind = VFY_NEVER;
	else {
		char *w = arena_strndup(p->a, p->s + b, e - b);
		return lp_err(p, b, e - b, "expected 'reach', 'always' or 'never', got '%s'", w);
	}
	p->i = e;
	skip_ws(p);
	b = p->i;
	e = word_end(p, b);
	if (!word_is(p, b, e, "from"))
		return lp_err(p, b, e > b ? e - b : 1, "expected 'from'%s", "");
	p->i = e;
	uint32_t cap = 4;
	st->hops = arena_calloc(p->a, cap, sizeof *st->hops);
	if (!st->hops)
		return -ENOMEM;
	for (;;) {
		if (st->nhops == cap) {
			struct rhop *nh = arena_calloc(p->a, cap * 2, sizeof *nh);
			if (!nh)
				return -ENOMEM;
			memcpy(nh, st->hops, cap * sizeof *nh);
			st->hops = nh;
			cap *= 2;
		}
		struct rhop *h = &st->hops[st->nhops++];
		int rc = parse_node(p, &h->node);
		if (rc < 0)
			return rc;
		bool cst;
		rc = parse_flow(p, h, &cst);
		if (rc < 0)
			return rc;
		if (cst) {
			if (st->nhops == 1)
				return lp_err(p, p->i - 5, 5, "'const' needs a previous node: it belongs on a later hop%s", "");
			rc = parse_const(p, h);
			if (rc < 0)
				return rc;
		}
		skip_ws(p);
		if (p->i >= p->n)
			break;
		if (!at_arrow(p, p->i))
			return lp_err(p, p->i, 1, "expected '->'%s", "");
		p->i += 2;
		skip_ws(p);
		if (p->i >= p->n)
			return lp_err(p, p->i, 1, "expected a node after '->'%s", "");
	}
	if (st->nhops < 2)
		return lp_err(p, p->n, 1, "a statement needs at least one '-> node'%s", "");
	return 0;
}

void vfy_reqs_free(struct vfy_reqs *r)
{
	if (!r)
		return;
	arena_free(r->arena);
	for (size_t i = 0; i < r->nmore; i++)
		arena_free(r->more[i]);
	free(r->more);
	free(r->v);
	free(r);
}

int vfy_reqs_parse(const struct src_file *src, struct vfy_reqs **out, struct diags *d)
{
	*out = NULL;
	struct vfy_reqs *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->arena = arena_new(64u << 20);
	if (!r->arena) {
		free(r);
		return -ENOMEM;
	}
	int rc = 0;
	size_t off = 0;
	uint32_t line = 1;
	while (off <= src->len && off < src->len + 1) {
		const char *s = src->text + off;
		size_t n = 0;
		while (off + n < src->len && s[n] != '\n')
			n++;
		size_t full = n;
		const char *hash = memchr(s, '#', n);
		if (hash)
			n = (size_t)(hash - s);
		if (memchr(s, '\0', n))
			n = (size_t)((const char *)memchr(s, '\0', n) - s);
		struct lp p = {src, s, n, 0, line, off, r->arena, d};
		skip_ws(&p);
		if (p.i < p.n) {
			if (r->n == r->cap) {
				size_t nc = r->cap ? r->cap * 2 : 8;
				struct rstmt *nv = realloc(r->v, nc * sizeof *nv);
				if (!nv) {
					rc = -ENOMEM;
					break;
				}
				r->v = nv;
				r->cap = nc;
			}
			struct rstmt *st = &r->v[r->n];
			memset(st, 0, sizeof *st);
			st->line = line;
			size_t tb = p.i, te = p.n;
			while (te > tb && isspace((unsigned char)s[te - 1]))
				te--;
			st->text = arena_strndup(r->arena, s + tb, te - tb);
			int e = parse_stmt(&p, st);
			if (e < 0)
				rc = e; /* keep going: report every line */
			else
				r->n++;
		}
		off += full + 1;
		line++;
		if (off > src->len)
			break;
	}
	if (rc == 0 && arena_exhausted(r->arena))
		rc = -ENOMEM;
	if (rc < 0) {
		vfy_reqs_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

size_t vfy_reqs_count(const struct vfy_reqs *r)
{
	return r ? r->n : 0;
}

const char *vfy_reqs_text(const struct vfy_reqs *r, size_t i)
{
	return i < r->n ? r->v[i].text : NULL;
}

int vfy_reqs_append(struct vfy_reqs *a, struct vfy_reqs *b)
{
	if (!b)
		return 0;
	if (a->n + b->n > a->cap) {
		size_t nc = a->n + b->n;
		struct rstmt *nv = realloc(a->v, nc * sizeof *nv);
		if (!nv)
			return -ENOMEM;
		a->v = nv;
		a->cap = nc;
	}
	memcpy(a->v + a->n, b->v, b->n * sizeof *b->v);
	a->n += b->n;
	/* b's arena holds the statements' memory: a keeps it */
	struct arena **nm = realloc(a->more, (a->nmore + b->nmore + 1) * sizeof *nm);
	if (!nm)
		return -ENOMEM;
	a->more = nm;
	a->more[a->nmore++] = b->arena;
	for (size_t i = 0; i < b->nmore; i++)
		a->more[a->nmore++] = b->more[i];
	free(b->more);
	free(b->v);
	free(b);
	return 0;
}
