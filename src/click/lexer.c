/* Click lexer (the click(5) manual's lexical rules): tokens, comments, line directives and raw
 * configuration strings. Plus the small helpers the front end shares. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "click/internal.h"

void *click__vec_grow(struct arena *a, void *p, uint32_t *cap, size_t elsize)
{
	uint32_t nc = *cap ? *cap * 2 : 2;
	void *np = arena_realloc(a, p, (size_t)*cap * elsize, (size_t)nc * elsize);
	if (!np)
		return NULL;
	*cap = nc;
	return np;
}

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

int32_t click__map_get(const struct strmap *m, const char *k)
{
	if (!m->cap)
		return -1;
	for (uint32_t i = hash_str(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i])
			return -1;
		if (!strcmp(m->keys[i], k))
			return m->vals[i];
	}
}

int click__map_set(struct arena *a, struct strmap *m, const char *k, int32_t v)
{
	if ((m->n + 1) * 2 > m->cap) {
		uint32_t nc = m->cap ? m->cap * 2 : 16;
		const char **nk = arena_calloc(a, nc, sizeof *nk);
		int32_t *nv = arena_calloc(a, nc, sizeof *nv);
		if (!nk || !nv)
			return -ENOMEM;
		for (uint32_t i = 0; i < m->cap; i++)
			if (m->keys[i]) {
				uint32_t j = hash_str(m->keys[i]) & (nc - 1);
				while (nk[j])
					j = (j + 1) & (nc - 1);
				nk[j] = m->keys[i];
				nv[j] = m->vals[i];
			}
		m->keys = nk;
		m->vals = nv;
		m->cap = nc;
	}
	uint32_t i = hash_str(k) & (m->cap - 1);
	while (m->keys[i] && strcmp(m->keys[i], k))
		i = (i + 1) & (m->cap - 1);
	if (!m->keys[i]) {
		m->keys[i] = k;
		m->n++;
	}
	m->vals[i] = v;
	return 0;
}

/* The physical source line around byte `off`, tabs as spaces (like diag.c). */
static char *phys_line(const struct cparse *p, uint32_t off)
{
	if (!p->text || off > p->len)
		return NULL;
	size_t b = off, e = off;
	while (b > 0 && p->text[b - 1] != '\n' && p->text[b - 1] != '\r')
		b--;
	while (e < p->len && p->text[e] != '\n' && p->text[e] != '\r')
		e++;
	char *s = malloc(e - b + 1);
	if (!s)
		return NULL;
	memcpy(s, p->text + b, e - b);
	s[e - b] = '\0';
	for (size_t i = 0; i < e - b; i++)
		if (s[i] == '\t')
			s[i] = ' ';
	return s;
}

#define MAX_LINE_TEXT 1024

void click__trim_diags(struct diags *d, size_t from)
{
	for (size_t i = from; i < d->n; i++) {
		struct diag *g = &d->v[i];
		if (!g->line_text || strlen(g->line_text) <= MAX_LINE_TEXT)
			continue;
		if (g->col + g->span + 8 < MAX_LINE_TEXT) {
			/* the caret stays right: cut after it */
			memcpy(g->line_text + MAX_LINE_TEXT - 4, " ...", 5);
			char *t = realloc(g->line_text, MAX_LINE_TEXT + 1);
			if (t)
				g->line_text = t;
		} else {
			free(g->line_text); /* no window keeps the column: drop the line */
			g->line_text = NULL;
		}
	}
}

static void vreport(struct cparse *p, enum diag_level lvl, const struct cloc *loc, uint32_t span,
                    const char *fmt, va_list ap)
{
	size_t before = p->d->n;
	diags_vadd(p->d, lvl, loc ? &loc->l : NULL, span, fmt, ap);
	if (loc && p->d->n > before && loc->l.file != p->src) {
		struct diag *g = &p->d->v[p->d->n - 1];
		free(g->line_text);
		g->line_text = phys_line(p, loc->off);
	}
	click__trim_diags(p->d, before);
}

int click__err(struct cparse *p, const struct cloc *loc, uint32_t span, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(p, DIAG_ERROR, loc, span, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void click__note(struct cparse *p, const struct cloc *loc, uint32_t span, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(p, DIAG_NOTE, loc, span, fmt, ap);
	va_end(ap);
}

void click__lex_init(struct cparse *p, const struct src_file *src)
{
	p->src = src;
	p->text = src->text;
	p->len = src->len;
	p->pos = 0;
	p->lfile = src;
	p->line = 1;
	p->line_start = 0;
	p->nunlex = 0;
}

struct cloc click__here(struct cparse *p)
{
	struct cloc c;
	c.l.file = p->lfile;
	c.l.line = p->line;
	c.l.col = (uint32_t)(p->pos - p->line_start) + 1;
	c.off = (uint32_t)p->pos;
	return c;
}

/* Consume a newline at pos (\n, \r\n or \r). */
static void newline(struct cparse *p)
{
	if (p->text[p->pos] == '\r' && p->pos + 1 < p->len && p->text[p->pos + 1] == '\n')
		p->pos++;
	p->pos++;
	p->line++;
	p->line_start = p->pos;
}

static bool is_nl(char c)
{
	return c == '\n' || c == '\r';
}

static void skip_line(struct cparse *p)
{
	while (p->pos < p->len && !is_nl(p->text[p->pos]))
		p->pos++;
	if (p->pos < p->len)
		newline(p);
}

/* pos is just after the opening slash-star; leaves pos after the close. */
static void skip_slash_star(struct cparse *p)
{
	while (p->pos < p->len) {
		char c = p->text[p->pos];
		if (is_nl(c))
			newline(p);
		else if (c == '*' && p->pos + 1 < p->len && p->text[p->pos + 1] == '/') {
			p->pos += 2;
			return;
		} else
			p->pos++;
	}
}

static void skip_backslash_angle(struct cparse *p)
{
	while (p->pos < p->len) {
		char c = p->text[p->pos];
		if (is_nl(c))
			newline(p);
		else if (c == '/' && p->pos + 1 < p->len && p->text[p->pos + 1] == '/') {
			p->pos += 2;
			skip_line(p);
		} else if (c == '/' && p->pos + 1 < p->len && p->text[p->pos + 1] == '*') {
			p->pos += 2;
			skip_slash_star(p);
		} else if (c == '>') {
			p->pos++;
			return;
		} else
			p->pos++;
	}
}

static void skip_quote(struct cparse *p, char endc)
{
	while (p->pos < p->len) {
		char c = p->text[p->pos];
		if (is_nl(c))
			newline(p);
		else if (c == '\\' && endc == '"' && p->pos + 1 < p->len) {
			if (p->text[p->pos + 1] == '<') {
				p->pos += 2;
				skip_backslash_angle(p);
			} else if (is_nl(p->text[p->pos + 1])) {
				p->pos++;
				newline(p);
			} else
				p->pos += 2;
		} else if (c == endc) {
			p->pos++;
			return;
		} else
			p->pos++;
	}
}

/* `# LINE "file"` or `#line LINE "file"`; pos at the '#'. */
static void line_directive(struct cparse *p)
{
	struct cloc at = click__here(p);
	size_t s = p->pos + 1;
	while (s < p->len && (p->text[s] == ' ' || p->text[s] == '\t'))
		s++;
	if (s + 4 < p->len && !strncmp(p->text + s, "line", 4) &&
	    (p->text[s + 4] == ' ' || p->text[s + 4] == '\t')) {
		s += 5;
		while (s < p->len && (p->text[s] == ' ' || p->text[s] == '\t'))
			s++;
	}
	if (s >= p->len || !isdigit((unsigned char)p->text[s])) {
		click__err(p, &at, 1, "unknown preprocessor directive");
		skip_line(p);
		return;
	}
	uint32_t line = 0;
	for (; s < p->len && isdigit((unsigned char)p->text[s]); s++)
		line = line > 100000000u ? line : line * 10 + (uint32_t)(p->text[s] - '0');
	while (s < p->len && (p->text[s] == ' ' || p->text[s] == '\t'))
		s++;
	const struct src_file *nf = p->lfile;
	if (s < p->len && p->text[s] == '"') {
		size_t b = ++s;
		while (s < p->len && p->text[s] != '"' && !is_nl(p->text[s]))
			s += (p->text[s] == '\\' && s + 1 < p->len && !is_nl(p->text[s + 1])) ? 2 : 1;
		if (s > b) {
			struct src_file *f = arena_alloc(p->ga, sizeof *f);
			if (f) {
				/* No text: its line numbers don't index the source. */
				f->name = arena_strndup(p->ga, p->text + b, s - b);
				f->text = NULL;
				f->len = 0;
				nf = f;
			}
		} else
			nf = p->src;
	}
	p->pos = s;
	skip_line(p);
	p->lfile = nf;
	p->line = line;
}

static bool wordch(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '@';
}

static struct token next_token(struct cparse *p)
{
	struct token t;
	for (;;) {
		while (p->pos < p->len && isspace((unsigned char)p->text[p->pos])) {
			if (is_nl(p->text[p->pos]))
				newline(p);
			else
				p->pos++;
		}
		if (p->pos >= p->len)
			break;
		const char *s = p->text + p->pos;
		if (s[0] == '/' && p->pos + 1 < p->len && s[1] == '/') {
			p->pos += 2;
			skip_line(p);
		} else if (s[0] == '/' && p->pos + 1 < p->len && s[1] == '*') {
			p->pos += 2;
			skip_slash_star(p);
		} else if (s[0] == '#' && (p->pos == 0 || is_nl(s[-1])))
			line_directive(p);
		else
			break;
	}
	t.loc = click__here(p);
	t.s = p->text + p->pos;
	if (p->pos >= p->len) {
		t.kind = T_EOF;
		t.len = 0;
		return t;
	}
	size_t b = p->pos;
	const char *x = p->text;
	if (wordch(x[b])) {
		size_t e = b + 1;
		for (;;) {
			while (e < p->len && wordch(x[e]))
				e++;
			if (e + 1 < p->len && x[e] == '/' && wordch(x[e + 1]))
				e++;
			else
				break;
		}
		p->pos = e;
		t.len = (uint32_t)(e - b);
		t.kind = T_IDENT;
		if (t.len == 12 && !memcmp(t.s, "elementclass", 12))
			t.kind = T_ELEMENTCLASS;
		else if (t.len == 7 && !memcmp(t.s, "require", 7))
			t.kind = T_REQUIRE;
		else if (t.len == 7 && !memcmp(t.s, "provide", 7))
			t.kind = T_PROVIDE;
		else if (t.len == 6 && !memcmp(t.s, "define", 6))
			t.kind = T_DEFINE;
		return t;
	}
	if (x[b] == '$') {
		size_t e = b + 1;
		while (e < p->len && (isalnum((unsigned char)x[e]) || x[e] == '_'))
			e++;
		if (e > b + 1) {
			p->pos = e;
			t.kind = T_VAR;
			t.len = (uint32_t)(e - b);
			return t;
		}
	}
	if (b + 1 < p->len) {
		static const struct { char a, b; int k; } two[] = {
			{'-', '>', T_ARROW}, {'=', '>', T_2ARROW}, {':', ':', T_2COLON}, {'|', '|', T_2BAR}};
		for (size_t i = 0; i < 4; i++)
			if (x[b] == two[i].a && x[b + 1] == two[i].b) {
				p->pos = b + 2;
				t.kind = two[i].k;
				t.len = 2;
				return t;
			}
	}
	if (b + 2 < p->len && x[b] == '.' && x[b + 1] == '.' && x[b + 2] == '.') {
		p->pos = b + 3;
		t.kind = T_3DOT;
		t.len = 3;
		return t;
	}
	p->pos = b + 1;
	t.kind = (unsigned char)x[b];
	t.len = 1;
	if (t.kind >= 0x80) { /* one UTF-8 character in messages */
		while (p->pos < p->len && ((unsigned char)x[p->pos] & 0xC0) == 0x80)
			p->pos++;
		t.len = (uint32_t)(p->pos - b);
		t.kind = '?';
	}
	return t;
}

bool click__cancelled(struct cparse *p)
{
	if (!p->cancelled && p->opt->cancel
	    && atomic_load_explicit(p->opt->cancel, memory_order_relaxed))
		p->cancelled = p->fatal = true;
	return p->cancelled;
}

/* A cancelled parse sees the end of the input: the parser unwinds as at
 * the end of a file and click_parse reports the cancellation. */
struct token click__lex(struct cparse *p)
{
	if (p->nunlex)
		return p->unlex[--p->nunlex];
	if (click__cancelled(p))
		return (struct token){.kind = T_EOF, .s = p->text + p->len, .loc = click__here(p)};
	return next_token(p);
}

void click__unlex(struct cparse *p, const struct token *t)
{
	if (p->nunlex < 4)
		p->unlex[p->nunlex++] = *t;
}

char *click__lex_config(struct cparse *p, struct cloc *start, bool *ok)
{
	/* Only called right after '(' was lexed, with nothing pushed back. */
	*start = click__here(p);
	size_t b = p->pos;
	unsigned depth = 1;
	*ok = false;
	while (p->pos < p->len) {
		char c = p->text[p->pos];
		if (c == '(') {
			depth++;
			p->pos++;
		} else if (c == ')') {
			if (!--depth) {
				char *r = arena_strndup(p->a, p->text + b, p->pos - b);
				p->pos++;
				*ok = true;
				return r;
			}
			p->pos++;
		} else if (is_nl(c))
			newline(p);
		else if (c == '/' && p->pos + 1 < p->len && p->text[p->pos + 1] == '/') {
			p->pos += 2;
			skip_line(p);
		} else if (c == '/' && p->pos + 1 < p->len && p->text[p->pos + 1] == '*') {
			p->pos += 2;
			skip_slash_star(p);
		} else if (c == '\'' || c == '"') {
			p->pos++;
			skip_quote(p, c);
		} else if (c == '\\' && p->pos + 1 < p->len && p->text[p->pos + 1] == '<') {
			p->pos += 2;
			skip_backslash_angle(p);
		} else
			p->pos++;
	}
	return arena_strndup(p->a, p->text + b, p->pos - b);
}

const char *click__tok_str(struct cparse *p, const struct token *t)
{
	if (t->kind == T_EOF)
		return "end of file";
	return arena_strndup(p->a, t->s, t->len);
}
