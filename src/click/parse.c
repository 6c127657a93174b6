/* Click parser (declarations, connections, compounds, groups and
 * requirements of Click's click(5) manual). It follows Click's own lexer:
 * every scope (the file, each compound alternative) is a body of elements
 * and hookups; groups and compound instances are three "tunnel" elements
 * (X, X/input, X/output) that flatten.c splices away. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "click/internal.h"

enum { S_FILE, S_COMPOUND, S_GROUP };

typedef CVEC(int32_t) portvec;

struct estate {
	const char *name;
	struct ctype type;  /* the name is a class */
	struct ctype decl;  /* ":: Class" */
	bool has_decl, bare, implicit, group, has_config;
	const char *config;
	struct cloc loc, cfgloc;
	portvec in, out;
};

typedef CVEC(struct estate) elist;

struct endpoint {
	uint32_t idx;
	portvec in, out;
};
typedef CVEC(struct endpoint) eplist;

static int parse_stmts(struct cparse *p, int stype, struct token *term);
static struct ctype parse_compound(struct cparse *p, const char *name, const struct cloc *loc);

static const char *tokname(struct cparse *p, const struct token *t)
{
	return click__tok_str(p, t);
}

static int syntax_error(struct cparse *p, const struct token *t)
{
	return click__err(p, &t->loc, t->len, "syntax error near '%s'", tokname(p, t));
}

static struct ctype lookup_type(struct cparse *p, const char *name)
{
	struct ctype t = {0};
	for (struct binding *b = p->types; b; b = b->next)
		if (!strcmp(b->name, name)) {
			t = b->t;
			t.name = name;
			return t;
		}
	const struct click_class *c = p->opt->lookup(name);
	if (c) {
		t.kind = K_PRIM;
		t.prim = c;
		t.name = name;
	}
	return t;
}

static void bind_type(struct cparse *p, const char *name, struct ctype t)
{
	struct binding *b = arena_alloc(p->a, sizeof *b);
	if (!b)
		return;
	b->name = name;
	b->t = t;
	b->next = p->types;
	p->types = b;
}

/* Declarations (elements and groups, named or not) are bounded: false,
 * with the error and parsing stopped, when the budget is spent. */
static bool spend_decl_budget(struct cparse *p, const struct cloc *loc)
{
	if (p->decl_budget--)
		return true;
	click__err(p, loc, 1, "too many elements and groups declared (limit %u)", 8 * p->max_elements + 256);
	p->fatal = true;
	return false;
}

static struct belem new_belem(const char *name, struct ctype t, const char *config, const struct cloc *loc,
                              const struct cloc *cfgloc)
{
	struct belem e = {0};
	e.name = name;
	e.t = t;
	e.config = config;
	e.loc = *loc;
	e.cfgloc = cfgloc ? *cfgloc : *loc;
	e.fwd = -1;
	return e;
}

/* "unknown element class", with the catalogue's reason when it has one. */
static void click__err_unknown_class(struct cparse *p, const struct cloc *loc, uint32_t span, const char *name)
{
	const char *why = p->opt->why_unknown ? p->opt->why_unknown(name) : NULL;
	if (why)
		click__err(p, loc, span, "unknown element class '%s': %s", name, why);
	else
		click__err(p, loc, span, "unknown element class '%s'", name);
}

static struct ctype force_type(struct cparse *p, const char *name, const struct cloc *loc, uint32_t span,
                               bool report)
{
	struct ctype t = lookup_type(p, name);
	if (t.kind != K_NONE)
		return t;
	if (report)
		click__err_unknown_class(p, loc, span, name);
	t.kind = K_ERROR;
	t.name = name;
	bind_type(p, name, t); /* report each unknown class once per scope */
	return t;
}

uint32_t click__get_element(struct cparse *p, struct body *b, const char *name, struct ctype t,
                            const char *config, const struct cloc *loc, const struct cloc *cfgloc)
{
	int32_t old = click__map_get(&b->map, name);
	if (old >= 0)
		return (uint32_t)old;
	for (const char *s = name; *s;) {
		bool ok = false;
		for (; *s && *s != '/'; s++)
			if (!isdigit((unsigned char)*s))
				ok = true;
		if (!ok) {
			click__err(p, loc, (uint32_t)strlen(name), "element name '%s' has all-digit component", name);
			break;
		}
		if (*s)
			s++;
	}
	if (!spend_decl_budget(p, loc))
		return 0;
	struct belem e = new_belem(name, t, config, loc, cfgloc);
	if (!CVEC_PUSH(p->a, b->el, e) || click__map_set(p->a, &b->map, name, (int32_t)(b->el.n - 1))) {
		p->fatal = true;
		click__err(p, loc, 1, "out of memory");
		return 0;
	}
	return b->el.n - 1;
}

static uint32_t add_anon(struct cparse *p, struct body *b, const char *cname, struct ctype t,
                         const char *config, const struct cloc *loc, const struct cloc *cfgloc)
{
	if (!spend_decl_budget(p, loc))
		return 0;
	struct belem e = new_belem(arena_printf(p->a, "%s@%u", cname, b->el.n - b->anon_offset + 1), t, config, loc,
	                           cfgloc);
	e.anon = true;
	if (!e.name || !CVEC_PUSH(p->a, b->el, e)) {
		p->fatal = true;
		return 0;
	}
	return b->el.n - 1;
}

void click__connect(struct cparse *p, struct body *b, uint32_t from, uint32_t fport, uint32_t to,
                    uint32_t tport, const struct cloc *loc)
{
	if (b->conn.n >= p->max_conns) {
		if (!p->fatal)
			click__err(p, loc, 1, "too many connections (limit %u)", p->max_conns);
		p->fatal = true;
		return;
	}
	struct hookup h = {from, fport, to, tport, *loc};
	if (!CVEC_PUSH(p->a, b->conn, h)) {
		p->fatal = true;
		return;
	}
	if (b->el.p[to].nports[0] <= tport)
		b->el.p[to].nports[0] = tport + 1;
	if (b->el.p[from].nports[1] <= fport)
		b->el.p[from].nports[1] = fport + 1;
}

/* Port numbers are decimal; ranges and expandable ports per 1.4. */
#define MAX_PORT 65535

static bool push_port(struct cparse *p, portvec *v, int32_t port, const struct cloc *loc)
{
	if (!p->port_budget) {
		if (!p->fatal)
			click__err(p, loc, 1, "too many ports in port lists");
		p->fatal = true;
		return false;
	}
	p->port_budget--;
	return CVEC_PUSH(p->a, *v, port) != 0;
}

static int port_number(struct cparse *p, const struct token *t, int32_t *out)
{
	uint32_t v = 0;
	for (uint32_t i = 0; i < t->len; i++) {
		if (!isdigit((unsigned char)t->s[i]))
			return click__err(p, &t->loc, t->len, "syntax error: port number should be integer");
		v = v * 10 + (uint32_t)(t->s[i] - '0');
		if (v > MAX_PORT)
			return click__err(p, &t->loc, t->len, "port number too large (limit %d)", MAX_PORT);
	}
	*out = (int32_t)v;
	return 0;
}

/* "[" already seen or not: returns false if no port spec here. */
static void parse_ports(struct cparse *p, portvec *v)
{
	struct token t = click__lex(p);
	if (t.kind != '[') {
		click__unlex(p, &t);
		return;
	}
	for (;;) {
		t = click__lex(p);
		if (t.kind == T_IDENT) {
			int32_t a = 0;
			port_number(p, &t, &a);
			struct token d = click__lex(p);
			if (d.kind == '-') {
				struct token e = click__lex(p);
				if (e.kind == T_IDENT) {
					int32_t b = a;
					port_number(p, &e, &b);
					if (b < a) {
						click__err(p, &e.loc, e.len, "syntax error: port range %d-%d is empty", a, b);
						b = a;
					}
					for (int32_t i = a; i <= b && !p->fatal; i++)
						push_port(p, v, i, &t.loc);
				} else {
					click__unlex(p, &e);
					push_port(p, v, a, &t.loc);
					push_port(p, v, -1, &t.loc);
					e = click__lex(p);
					if (e.kind != ']') {
						click__err(p, &e.loc, e.len ? e.len : 1,
						           "syntax error: expandable port must come last");
						click__unlex(p, &e);
					}
					return;
				}
			} else {
				click__unlex(p, &d);
				push_port(p, v, a, &t.loc);
			}
		} else if (t.kind == ']') {
			if (v->n == 0)
				push_port(p, v, 0, &t.loc);
			push_port(p, v, -1, &t.loc);
			return;
		} else {
			click__err(p, &t.loc, t.len ? t.len : 1, "syntax error: expected port number");
			click__unlex(p, &t);
			return;
		}
		t = click__lex(p);
		if (t.kind == ']')
			return;
		if (t.kind != ',') {
			click__err(p, &t.loc, t.len ? t.len : 1, "syntax error: expected ',' or ']'");
			click__unlex(p, &t);
			return;
		}
		if (p->fatal)
			return;
	}
}

static const char *pseudo_name(const char *name)
{
	if (!name || !*name)
		return "<anonymous>";
	if (strchr(name, ';'))
		return "<anonymous group>";
	return name;
}

/* Click's check_pseudoelement: returns the number of ports. */
static uint32_t check_pseudo(struct cparse *p, struct body *b, uint32_t which, bool isoutput,
                             const char *name, const struct cloc *loc, uint32_t first_conn)
{
	static const char *const pn[2] = {"input", "output"};
	/* `input` is used through its outputs, `output` through its inputs. */
	uint32_t n = b->el.p[which].nports[isoutput ? 0 : 1];
	if (b->el.p[which].nports[isoutput ? 1 : 0])
		click__err(p, loc, 1, "'%s' pseudoelement '%s' may only be used as %s", name,
		           pn[isoutput], pn[!isoutput]);
	if (n > MAX_PORT + 1)
		n = MAX_PORT + 1;
	uint8_t *used = arena_calloc(p->a, n + 1, 1);
	if (!used)
		return n;
	for (uint32_t i = first_conn; i < b->conn.n; i++) {
		const struct hookup *h = &b->conn.p[i];
		if (!isoutput && h->from == which && h->fport < n)
			used[h->fport] = 1;
		if (isoutput && h->to == which && h->tport < n)
			used[h->tport] = 1;
	}
	for (uint32_t i = 0; i < n; i++)
		if (!used[i])
			click__err(p, loc, 1, "'%s' %s %u missing", name, pn[isoutput], i);
	return n;
}

/* Click gives a generated name a higher number when a user name took it. */
static void deanonymize(struct cparse *p, struct body *b)
{
	for (uint32_t i = 0; i < b->el.n; i++) {
		struct belem *e = &b->el.p[i];
		if (!e->anon)
			continue;
		e->anon = false;
		if (click__map_get(&b->map, e->name) >= 0) {
			const char *at = strrchr(e->name, '@');
			size_t plen = (size_t)(at - e->name) + 1;
			unsigned long k = strtoul(at + 1, NULL, 10);
			char *nn;
			do
				nn = arena_printf(p->a, "%.*s%lu", (int)plen, e->name, ++k);
			while (nn && click__map_get(&b->map, nn) >= 0);
			if (nn)
				e->name = nn;
		}
		click__map_set(p->a, &b->map, e->name, (int32_t)i);
	}
}

/* ---- connections ------------------------------------------------------ */

static void analyze(const eplist *x, bool isoutput, uint32_t *minp, uint32_t *exp)
{
	*minp = *exp = 0;
	for (uint32_t i = 0; i < x->n; i++) {
		const portvec *v = isoutput ? &x->p[i].out : &x->p[i].in;
		if (v->n <= 1)
			*minp += 1;
		else if (v->p[v->n - 1] == -1) {
			*minp += v->n - 1;
			++*exp;
		} else
			*minp += v->n;
	}
}

/* Click's yconnection_connect_all: pair outputs of `outs` with inputs of `ins`. */
static void connect_all(struct cparse *p, eplist *outs, eplist *ins, int connector, const struct cloc *loc)
{
	uint32_t minp[2], expd[2];
	analyze(outs, true, &minp[1], &expd[1]);
	analyze(ins, false, &minp[0], &expd[0]);
	if (expd[0] + expd[1] > 1) {
		click__err(p, loc, 2, "at most one expandable port allowed per connection");
		expd[minp[0] < minp[1]] = 0;
	}
	if (connector == T_2ARROW)
		for (int k = 0; k < 2; k++) {
			eplist *my = k ? outs : ins;
			portvec *v = k ? &my->p[0].out : &my->p[0].in;
			if (minp[k] == 1 && minp[1 - k] > 1 && v->n == 0)
				expd[k] = 1;
		}
	bool step[2];
	int64_t nexp[2];
	for (int k = 0; k < 2; k++) {
		step[k] = minp[k] > 1 || expd[k];
		nexp[k] = expd[k] ? (int64_t)minp[1 - k] - minp[k] : 0;
	}
	if (step[0] && step[1]) {
		if (connector != T_2ARROW)
			click__err(p, loc, 2, "syntax error: many-to-many connections require '=>'");
		if (!expd[0] && !expd[1] && minp[0] != minp[1])
			click__err(p, loc, 2, "connection mismatch: %u outputs connected to %u inputs", minp[1], minp[0]);
		else if (!expd[0] && minp[0] < minp[1])
			click__err(p, loc, 2, "connection mismatch: %u or more outputs connected to %u inputs",
			           minp[1], minp[0]);
		else if (!expd[1] && minp[1] < minp[0])
			click__err(p, loc, 2, "connection mismatch: %u outputs connected to %u or more inputs",
			           minp[1], minp[0]);
	} else if (!step[0] && !step[1])
		step[0] = true;

	eplist *side[2] = {ins, outs};
	uint32_t it[2] = {0, 0}, ppos[2] = {0, 0};
	int32_t port[2] = {-1, -1};
	while (it[0] < ins->n && it[1] < outs->n && !p->fatal) {
		for (int k = 0; k < 2; k++)
			if (port[k] < 0) {
				portvec *v = k ? &side[k]->p[it[k]].out : &side[k]->p[it[k]].in;
				port[k] = v->n ? v->p[0] : 0;
				if (port[k] < 0)
					port[k] = 0;
			}
		click__connect(p, p->c, outs->p[it[1]].idx, (uint32_t)port[1], ins->p[it[0]].idx,
		               (uint32_t)port[0], loc);
		for (int k = 0; k < 2; k++) {
			if (!step[k])
				continue;
			portvec *v = k ? &side[k]->p[it[k]].out : &side[k]->p[it[k]].in;
			uint32_t np = v->n;
			++ppos[k];
			if (ppos[k] < np && v->p[ppos[k]] >= 0)
				port[k] = v->p[ppos[k]];
			else if (np >= 2 && v->p[np - 1] == -1 && nexp[k] > 0) {
				port[k] = v->p[np - 2] + (int32_t)ppos[k] - (int32_t)(np - 2);
				--nexp[k];
			} else if (np == 0 && minp[k] == 1 && nexp[k] > 0) {
				port[k] = (int32_t)ppos[k];
				--nexp[k];
			} else {
				port[k] = -1;
				ppos[k] = 0;
				it[k]++;
			}
			if (port[k] > MAX_PORT) {
				click__err(p, loc, 2, "port number too large (limit %d)", MAX_PORT);
				return;
			}
		}
	}
}

static void check_useless(struct cparse *p, eplist *x, bool isoutput, const struct cloc *loc)
{
	for (uint32_t i = 0; i < x->n; i++)
		if ((isoutput ? x->p[i].out.n : x->p[i].in.n) > 0) {
			click__err(p, loc, 1, isoutput ? "output ports ignored at end of chain"
			                               : "input ports ignored at start of chain");
			break;
		}
}

/* ---- elements --------------------------------------------------------- */

enum { EL_OK, EL_NEXT, EL_DONE };

/* The part after the name: ":: Class", "(config)", "[ports]". */
static void element_tail(struct cparse *p, struct estate *e, bool *any_ports)
{
	struct token t = click__lex(p);
	if (t.kind == T_2COLON && !e->implicit) {
		e->bare = false;
		e->has_decl = true;
		t = click__lex(p);
		if (t.kind == T_IDENT) {
			const char *cn = tokname(p, &t);
			e->decl = force_type(p, cn, &t.loc, t.len, true);
			e->decl.name = cn;
			t = click__lex(p);
		} else if (t.kind == '{') {
			e->decl = parse_compound(p, "", &t.loc);
			t = click__lex(p);
		} else {
			click__err(p, &t.loc, t.len ? t.len : 1, "missing element type in declaration");
			e->decl = force_type(p, e->name, &e->loc, 1, false);
		}
	}
	if (t.kind == '(' && !e->implicit) {
		if (click__map_get(&p->c->map, e->name) >= 0 && !e->has_decl)
			click__err(p, &t.loc, 1, "configuration string ignored on element reference");
		bool ok;
		e->config = click__lex_config(p, &e->cfgloc, &ok);
		if (!ok)
			click__err(p, &t.loc, 1, "unterminated configuration string: expected ')'");
		e->has_config = true;
		e->bare = false;
		t = click__lex(p);
	}
	click__unlex(p, &t);
	if (t.kind == '[' && !e->implicit) {
		e->out.n = 0; /* replaces a group's implied ports */
		parse_ports(p, &e->out);
	}
	if (e->in.n || e->out.n)
		*any_ports = true;
}

static void parse_group(struct cparse *p, struct estate *e, const struct cloc *loc)
{
	struct body *b = p->c;
	char *name = arena_printf(p->a, ";@%u", b->el.n - b->anon_offset + 1);
	struct ctype tt = {K_TUNNEL, NULL, NULL, NULL};
	uint32_t g = click__get_element(p, b, name, tt, NULL, loc, NULL);
	uint32_t gi = click__get_element(p, b, arena_printf(p->a, "%s/input", name), tt, NULL, loc, NULL);
	uint32_t go = click__get_element(p, b, arena_printf(p->a, "%s/output", name), tt, NULL, loc, NULL);
	if (p->fatal)
		return;
	b->el.p[g].group_head = true;
	int32_t sin = click__map_get(&b->map, "input"), sout = click__map_get(&b->map, "output");
	click__map_set(p->a, &b->map, "input", (int32_t)gi);
	click__map_set(p->a, &b->map, "output", (int32_t)go);
	if (p->depth + 1 > p->max_depth) {
		click__err(p, loc, 1, "maximum element group nesting depth exceeded (limit %u)", p->max_depth);
		p->fatal = true;
		return;
	}
	p->depth++;
	uint32_t first_conn = b->conn.n;
	struct token term;
	parse_stmts(p, S_GROUP, &term);
	p->depth--;
	if (p->fatal)
		return;
	struct cloc endloc = term.loc;
	click__map_set(p->a, &b->map, "input", sin);
	click__map_set(p->a, &b->map, "output", sout);
	/* only the group's own statements can name its input and output */
	uint32_t nin = check_pseudo(p, b, gi, false, "<anonymous group>", &endloc, first_conn);
	uint32_t nout = check_pseudo(p, b, go, true, "<anonymous group>", &endloc, first_conn);
	b->el.p[g].inst = true;
	b->el.p[g].inst_ports[0] = nin;
	b->el.p[g].inst_ports[1] = nout;
	e->name = name;
	e->group = true;
	if (!e->in.n)
		for (uint32_t i = 0; i < nin && !p->fatal; i++)
			push_port(p, &e->in, (int32_t)i, loc);
	for (uint32_t i = 0; i < nout && !p->fatal; i++)
		push_port(p, &e->out, (int32_t)i, loc);
}

static int parse_element(struct cparse *p, elist *L, bool first_set, bool last_ends_output, bool *any_implicit,
                         bool *any_ports)
{
	struct estate e = {0};
	parse_ports(p, &e.in);
	bool nested = p->depth > 0;
	struct token t = click__lex(p);
	e.loc = t.loc;
	if (t.kind == T_IDENT) {
		e.name = tokname(p, &t);
		e.bare = true;
		e.type = lookup_type(p, e.name);
	} else if (t.kind == '{') {
		e.type = parse_compound(p, "", &t.loc);
		e.name = "";
	} else if (t.kind == '(') {
		parse_group(p, &e, &t.loc);
		if (p->fatal)
			return EL_DONE;
	} else {
		bool implicit = false;
		if (nested && (t.kind == T_ARROW || t.kind == T_2ARROW)) {
			implicit = first_set && (e.in.n || !L->n);
			if (implicit && !e.in.n && !last_ends_output)
				diags_warn(p->d, &t.loc.l, t.len, "suggest 'input %s' or '[0] %s' to start connection",
				           tokname(p, &t), tokname(p, &t));
		} else if (nested && t.kind == ',')
			implicit = e.in.n != 0;
		else if (nested && t.kind != T_2COLON)
			implicit = !first_set && (e.in.n || !L->n);
		if (implicit) {
			e.name = first_set ? "input" : "output";
			e.implicit = true;
			*any_implicit = true;
			if (first_set) { /* "[p] ->" means input's output p */
				e.out = e.in;
				e.in.n = 0;
				e.in.p = NULL;
				e.in.cap = 0;
			}
			click__unlex(p, &t);
		} else {
			if (e.in.n)
				click__err(p, &t.loc, t.len ? t.len : 1, "stranded port ignored");
			if (!L->n) {
				if (nested && first_set)
					click__unlex(p, &t);
				else
					syntax_error(p, &t);
				return EL_DONE;
			}
			return EL_NEXT;
		}
	}
	element_tail(p, &e, any_ports);
	if (!CVEC_PUSH(p->a, *L, e))
		p->fatal = true;
	return EL_OK;
}

/* Commit a parsed list (yelement_next): declarations, anonymous elements. */
static void commit_list(struct cparse *p, elist *L, eplist *out, bool first_set, const struct token *next,
                        bool any_ports, bool any_implicit)
{
	bool arrow = next->kind == T_ARROW || next->kind == T_2ARROW;
	if (any_implicit && !first_set && arrow)
		click__err(p, &next->loc, next->len, "implicit ports used in the middle of a chain");
	/* `a, b, c :: C(x)`: spread the class to every name */
	if (L->n > 1 && first_set && !arrow && !any_ports && !any_implicit) {
		uint32_t last = 0;
		while (last + 1 < L->n && L->p[last].bare)
			last++;
		if (last + 1 == L->n && L->p[last].has_decl)
			for (uint32_t i = 0; i + 1 < L->n; i++) {
				L->p[i].decl = L->p[last].decl;
				L->p[i].has_decl = true;
				L->p[i].config = L->p[last].config;
				L->p[i].cfgloc = L->p[last].cfgloc;
				L->p[i].has_config = L->p[last].has_config;
			}
	}
	struct body *b = p->c;
	out->n = 0;
	for (uint32_t i = 0; i < L->n && !p->fatal; i++) {
		struct estate *e = &L->p[i];
		int32_t idx = -1;
		uint32_t span = e->name ? (uint32_t)strlen(e->name) : 1;
		if (e->type.kind != K_NONE || (idx = click__map_get(&b->map, e->name)) < 0) {
			if (e->has_decl && e->type.kind != K_NONE)
				click__err(p, &e->loc, span, "class '%s' used as element name", e->name);
			else if (!e->has_decl && e->type.kind == K_NONE) {
				/* Click says "undeclared element"; a capitalized plain word is
				 * almost always meant as a class, so say that */
				if (e->has_config || (isupper((unsigned char)e->name[0]) && !strpbrk(e->name, "@/")))
					click__err_unknown_class(p, &e->loc, span, e->name);
				else
					click__err(p, &e->loc, span, "undeclared element '%s'", e->name);
				e->type = force_type(p, e->name, &e->loc, span, false);
			}
			if (e->type.kind != K_NONE)
				idx = (int32_t)add_anon(p, b, e->name, e->type, e->config, &e->loc, &e->cfgloc);
			else
				idx = (int32_t)click__get_element(p, b, e->name, e->decl, e->config, &e->loc, &e->cfgloc);
		} else if (e->has_decl) {
			const struct belem *old = &b->el.p[idx];
			click__err(p, &e->loc, span, "redeclaration of element '%s'", pseudo_name(e->name));
			if (old->t.kind != K_TUNNEL)
				click__note(p, &old->loc, (uint32_t)strlen(old->name), "element '%s' previously declared here",
				            old->name);
		}
		if (p->fatal)
			return;
		struct endpoint ep = {(uint32_t)idx, e->in, e->out};
		if (!CVEC_PUSH(p->a, *out, ep))
			p->fatal = true;
	}
}

/* One connection statement (possibly a single declaration). */
static void parse_connection(struct cparse *p, bool *last_ends_output)
{
	/* buffers reused along the chain: a long chain must not cost a
	 * fresh allocation per element */
	elist L = {0};
	eplist bufs[2] = {{0}, {0}};
	int cb = 0;
	eplist last = {0};
	bool have_last = false;
	int connector = 0;
	struct cloc conn_loc = click__here(p), list_loc = conn_loc;
	for (;;) {
		L.n = 0;
		bool any_implicit = false, any_ports = false;
		bool first_set = !have_last;
		int st;
		for (;;) {
			st = parse_element(p, &L, first_set, *last_ends_output, &any_implicit, &any_ports);
			if (p->fatal)
				return;
			if (st == EL_DONE)
				break;
			struct token t = click__lex(p);
			if (st == EL_OK && t.kind == ',')
				continue;
			click__unlex(p, &t);
			break;
		}
		if (st == EL_DONE && !L.n)
			break;
		struct token next = click__lex(p);
		click__unlex(p, &next);
		eplist *cur = &bufs[cb];
		cb ^= 1;
		commit_list(p, &L, cur, first_set, &next, any_ports, any_implicit);
		if (p->fatal)
			return;
		list_loc = L.p[0].loc;
		if (!have_last)
			check_useless(p, cur, false, &L.p[0].loc);
		else
			connect_all(p, &last, cur, connector, &conn_loc);
		last = *cur;
		have_last = true;
		struct token t;
	relex:
		t = click__lex(p);
		switch (t.kind) {
		case ',':
		case T_2COLON:
			syntax_error(p, &t);
			goto relex;
		case T_ARROW:
		case T_2ARROW:
			connector = t.kind;
			conn_loc = t.loc;
			continue;
		case T_IDENT: case '{': case '}': case '[': case ')': case T_2BAR:
		case T_ELEMENTCLASS: case T_REQUIRE: case T_PROVIDE: case T_DEFINE:
			click__unlex(p, &t);
			break;
		case ';':
		case T_EOF:
			break;
		default:
			syntax_error(p, &t);
			if (t.kind >= T_IDENT)
				click__unlex(p, &t);
			break;
		}
		break;
	}
	if (have_last && last.n) {
		check_useless(p, &last, true, &list_loc);
		int32_t outidx = click__map_get(&p->c->map, "output");
		*last_ends_output = last.n == 1 && outidx >= 0 && last.p[0].idx == (uint32_t)outidx;
	} else
		*last_ends_output = false;
}

/* ---- compounds -------------------------------------------------------- */

static void define_var(struct cparse *p, struct compound *c, const char *name, const char *value,
                       const char *type, bool formal, const struct cloc *loc)
{
	if (click__map_get(&c->varmap, name) >= 0) {
		click__err(p, loc, (uint32_t)strlen(name) + 1,
		           formal ? "parameter '$%s' multiply defined" : "variable '$%s' multiply defined", name);
		return;
	}
	if (formal) {
		if (type)
			for (uint32_t i = 0; i < c->vars.n; i++)
				if (c->vars.p[i].type && !strcmp(c->vars.p[i].type, type) && strcmp(type, "__REST__")) {
					click__err(p, loc, (uint32_t)strlen(type),
					           "repeated keyword parameter '%s' in compound element", type);
					break;
				}
		if (!c->order_error && c->nformals > 0) {
			const char *prev = c->vars.p[c->nformals - 1].type;
			if ((!type && prev) || (prev && !strcmp(prev, "__REST__"))) {
				click__err(p, loc, (uint32_t)strlen(name) + 1,
				           "compound element parameters out of order (the order is [positional], [keywords], [__REST__])");
				c->order_error = true;
			}
		}
	}
	struct var v = {name, value, type, *loc};
	if (!CVEC_PUSH(p->a, c->vars, v) || click__map_set(p->a, &c->varmap, name, (int32_t)c->vars.n - 1))
		p->fatal = true;
	if (formal)
		c->nformals = c->vars.n;
}

static void parse_formals(struct cparse *p, struct compound *c)
{
	for (;;) {
		const char *type = NULL, *name;
		struct cloc loc;
		struct token t1 = click__lex(p);
		if (t1.kind == T_IDENT) {
			struct token t2 = click__lex(p);
			if (t2.kind == T_VAR) {
				type = tokname(p, &t1);
				name = arena_strndup(p->a, t2.s + 1, t2.len - 1);
				loc = t2.loc;
			} else {
				if (c->vars.n > 0)
					click__err(p, &t2.loc, t2.len ? t2.len : 1, "expected variable");
				click__unlex(p, &t2);
				click__unlex(p, &t1);
				return;
			}
		} else if (t1.kind == T_VAR) {
			name = arena_strndup(p->a, t1.s + 1, t1.len - 1);
			loc = t1.loc;
		} else if (t1.kind == '|')
			return;
		else {
			if (c->nformals > 0)
				click__err(p, &t1.loc, t1.len ? t1.len : 1, "expected variable");
			click__unlex(p, &t1);
			return;
		}
		define_var(p, c, name, NULL, type, true, &loc);
		struct token sep = click__lex(p);
		if (sep.kind == '|')
			return;
		if (sep.kind != ',') {
			click__err(p, &sep.loc, sep.len ? sep.len : 1, "expected ',' or '|'");
			click__unlex(p, &sep);
			return;
		}
	}
}

static struct ctype parse_compound(struct cparse *p, const char *name, const struct cloc *loc)
{
	struct binding *saved_types = p->types;
	struct body *saved_c = p->c;
	struct compound *saved_cc = p->cc;
	struct compound *first = NULL, *last = NULL;
	struct ctype ext = {0};
	struct ctype err = {K_ERROR, NULL, NULL, name};
	for (;;) {
		struct token t = click__lex(p);
		if (t.kind == T_3DOT) {
			ext = lookup_type(p, name);
			if (ext.kind == K_NONE) {
				click__err(p, &t.loc, 3, "cannot extend unknown element class '%s'", name);
				ext = err;
			}
			t = click__lex(p);
			if (!first || t.kind != '}') {
				click__err(p, &t.loc, t.len ? t.len : 1, "'...' should occur last, after one or more compounds");
				if (t.kind != '}')
					click__unlex(p, &t);
			}
			break;
		}
		click__unlex(p, &t);
		if (p->depth + 1 > p->max_depth) {
			click__err(p, loc, 1, "maximum compound element nesting depth exceeded (limit %u)", p->max_depth);
			p->fatal = true;
			return err;
		}
		struct compound *c = arena_calloc(p->a, 1, sizeof *c);
		if (!c) {
			p->fatal = true;
			return err;
		}
		c->name = name;
		c->loc = *loc;
		c->depth = p->scope_depth + 1;
		p->c = &c->body;
		p->cc = c;
		struct ctype tt = {K_TUNNEL, NULL, NULL, NULL};
		click__get_element(p, &c->body, "input", tt, NULL, loc, NULL);
		click__get_element(p, &c->body, "output", tt, NULL, loc, NULL);
		c->body.anon_offset = 2;
		p->depth++;
		p->scope_depth++;
		parse_formals(p, c);
		struct token term;
		parse_stmts(p, S_COMPOUND, &term);
		p->depth--;
		p->scope_depth--;
		p->c = saved_c;
		p->cc = saved_cc;
		p->types = saved_types;
		if (p->fatal)
			return err;
		const char *pn = pseudo_name(name);
		c->ninputs = check_pseudo(p, &c->body, 0, false, pn, loc, 0);
		c->noutputs = check_pseudo(p, &c->body, 1, true, pn, loc, 0);
		deanonymize(p, &c->body);
		if (last)
			last->next_alt = c;
		else
			first = c;
		last = c;
		if (term.kind != T_2BAR)
			break;
	}
	if (!first)
		return err;
	last->ext = ext;
	struct ctype r = {K_COMPOUND, NULL, first, name};
	return r;
}

static void parse_elementclass(struct cparse *p)
{
	struct token tn = click__lex(p);
	const char *name = "";
	if (tn.kind == T_IDENT)
		name = tokname(p, &tn);
	else {
		click__err(p, &tn.loc, tn.len ? tn.len : 1, "expected element type name");
		click__unlex(p, &tn);
	}
	struct token t = click__lex(p);
	if (t.kind == '{') {
		struct ctype ct = parse_compound(p, name, &t.loc);
		if (!p->fatal)
			bind_type(p, name, ct);
	} else if (t.kind == T_IDENT) {
		const char *target = tokname(p, &t);
		struct ctype ct = force_type(p, target, &t.loc, t.len, true);
		bind_type(p, name, ct);
	} else {
		syntax_error(p, &t);
		struct ctype ct = {K_ERROR, NULL, NULL, name};
		bind_type(p, name, ct);
	}
}

static char *paren_config(struct cparse *p, const char *what, struct cloc *cfgloc)
{
	struct token t = click__lex(p);
	if (t.kind != '(') {
		click__err(p, &t.loc, t.len ? t.len : 1, "expected '(' after '%s'", what);
		click__unlex(p, &t);
		return NULL;
	}
	bool ok;
	char *s = click__lex_config(p, cfgloc, &ok);
	if (!ok)
		click__err(p, &t.loc, 1, "unterminated configuration string: expected ')'");
	return s;
}

static void split_words(struct cparse *p, const char *s, click_strvec *w)
{
	w->n = 0;
	while (*s) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		const char *b = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		CVEC_PUSH(p->a, *w, arena_strndup(p->a, b, (size_t)(s - b)));
	}
}

static const char *unquote_simple(struct cparse *p, const char *s)
{
	size_t n = strlen(s);
	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0])
		return arena_strndup(p->a, s + 1, n - 2);
	return s;
}

static void parse_require(struct cparse *p, bool provide)
{
	struct cloc cl;
	char *cfg = paren_config(p, provide ? "provide" : "require", &cl);
	struct token t = click__lex(p);
	if (t.kind != ';')
		click__unlex(p, &t);
	if (!cfg || provide)
		return; /* provide(...) states what a package offers: nothing to check */
	struct click_args args;
	if (click_split_args(cfg, &cl.l, p->a, &args))
		return;
	for (size_t i = 0; i < args.n; i++) {
		struct cloc al = {args.v[i].loc, cl.off};
		al.off = cl.off + (uint32_t)(args.v[i].loc.col >= cl.l.col && args.v[i].loc.line == cl.l.line
		                             ? args.v[i].loc.col - cl.l.col : 0);
		uint32_t span = (uint32_t)strlen(args.v[i].text);
		click_strvec w = {0};
		split_words(p, args.v[i].text, &w);
		if (!w.n)
			continue;
		const char *type = w.p[0];
		const char *value = w.n > 1 ? unquote_simple(p, w.p[1]) : NULL;
		if (w.n == 1 && strcmp(type, "compact_config") && strcmp(type, "package") && strcmp(type, "library")) {
			value = unquote_simple(p, type);
			type = "package";
			w.n = 2;
		}
		if (!strcmp(type, "compact_config") && w.n == 1)
			continue;
		if (!strcmp(type, "package") && w.n == 2) {
			if (strcmp(value, "innet"))
				click__err(p, &al, span,
				           "unknown package '%s': innet runs only its built-in element catalogue", value);
			continue;
		}
		if (!strcmp(type, "library") && w.n == 2) {
			click__err(p, &al, span,
			           "library '%s' refused: innet runs only its built-in element catalogue", value);
			continue;
		}
		click__err(p, &al, span, "syntax error at requirement");
	}
}

static void parse_define(struct cparse *p)
{
	struct cloc cl;
	char *cfg = paren_config(p, "define", &cl);
	if (!cfg)
		return;
	struct click_args args;
	if (click_split_args(cfg, &cl.l, p->a, &args))
		return;
	for (size_t i = 0; i < args.n; i++) {
		const char *s = args.v[i].text;
		struct cloc al = {args.v[i].loc, cl.off};
		if (!*s)
			continue;
		const char *e = s;
		while (*e && !isspace((unsigned char)*e))
			e++;
		const char *q = s;
		if (*q == '$')
			for (q++; q < e && (isalnum((unsigned char)*q) || *q == '_'); q++)
				;
		if (e - s < 2 || q != e || *s != '$') {
			click__err(p, &al, (uint32_t)(e - s), "bad 'define' declaration: not a variable");
			continue;
		}
		while (*e && isspace((unsigned char)*e))
			e++;
		define_var(p, p->cc, arena_strndup(p->a, s + 1, (size_t)(q - s - 1)), e, NULL, false, &al);
	}
}

/* Statements up to the end of the scope; *term gets the closing token. */
static int parse_stmts(struct cparse *p, int stype, struct token *term)
{
	bool last_ends_output = true;
	while (!p->fatal) {
		struct token t = click__lex(p);
		switch (t.kind) {
		case T_IDENT: case '[': case '{': case '(': case T_ARROW: case T_2ARROW:
			click__unlex(p, &t);
			parse_connection(p, &last_ends_output);
			break;
		case T_ELEMENTCLASS:
			parse_elementclass(p);
			break;
		case T_REQUIRE:
		case T_PROVIDE:
			parse_require(p, t.kind == T_PROVIDE);
			break;
		case T_DEFINE:
			parse_define(p);
			break;
		case ';':
			break;
		case '}':
		case T_2BAR:
			if (stype == S_COMPOUND) {
				*term = t;
				return 0;
			}
			syntax_error(p, &t);
			if (stype == S_GROUP) {
				*term = t;
				return 0;
			}
			break;
		case ')':
			if (stype == S_GROUP) {
				*term = t;
				return 0;
			}
			syntax_error(p, &t);
			break;
		case T_EOF:
			if (stype == S_GROUP)
				click__err(p, &t.loc, 1, "expected ')'");
			else if (stype == S_COMPOUND)
				click__err(p, &t.loc, 1, "expected '}'");
			*term = t;
			return 0;
		default:
			syntax_error(p, &t);
			break;
		}
	}
	term->kind = T_EOF;
	term->loc = click__here(p);
	term->len = 0;
	term->s = "";
	return 0;
}

struct compound *click__parse_file(struct cparse *p)
{
	struct compound *top = arena_calloc(p->a, 1, sizeof *top);
	if (!top)
		return NULL;
	top->name = "";
	top->depth = 0;
	p->c = &top->body;
	p->cc = top;
	p->types = NULL;
	p->depth = 0;
	p->scope_depth = 0;
	struct token term;
	parse_stmts(p, S_FILE, &term);
	if (!p->fatal)
		deanonymize(p, &top->body);
	return top;
}
