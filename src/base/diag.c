#include "base/diag.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void diags_init(struct diags *d)
{
	memset(d, 0, sizeof *d);
}

static void diag_release(struct diag *g)
{
	free(g->file);
	free(g->msg);
	free(g->line_text);
}

void diags_clear(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		diag_release(&d->v[i]);
	d->n = 0;
	d->nerrors = 0;
}

void diags_free(struct diags *d)
{
	diags_clear(d);
	free(d->v);
	d->v = NULL;
	d->cap = 0;
}

static char *line_of(const struct src_file *f, uint32_t line)
{
	if (!f || !f->text || line == 0)
		return NULL;
	const char *p = f->text, *end = f->text + f->len;
	for (uint32_t l = 1; l < line && p < end; p++)
		if (*p == '\n')
			l++;
	if (p > end)
		return NULL;
	const char *e = p;
	while (e < end && *e != '\n' && *e != '\r')
		e++;
	size_t n = (size_t)(e - p);
	char *s = malloc(n + 1);
	if (!s)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\t')
			s[i] = ' '; /* keeps the caret under the right column */
	return s;
}

int diags_vadd(struct diags *d, enum diag_level lvl, const struct src_loc *loc,
               uint32_t span, const char *fmt, va_list ap)
{
	int rc = lvl == DIAG_ERROR ? -EINVAL : 0;
	if (lvl == DIAG_ERROR)
		d->nerrors++;
	size_t max = d->max ? d->max : 100;
	if (d->n >= max)
		return rc;
	if (d->n == d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 8;
		struct diag *nv = realloc(d->v, nc * sizeof *nv);
		if (!nv)
			return rc;
		d->v = nv;
		d->cap = nc;
	}
	struct diag *g = &d->v[d->n];
	memset(g, 0, sizeof *g);
	g->level = lvl;
	g->span = span ? span : 1;
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		n = 0;
	g->msg = malloc((size_t)n + 1);
	if (!g->msg)
		return rc;
	vsnprintf(g->msg, (size_t)n + 1, fmt, ap);
	if (loc) {
		g->line = loc->line;
		g->col = loc->col;
		if (loc->file) {
			if (loc->file->name)
				g->file = strdup(loc->file->name);
			g->line_text = line_of(loc->file, loc->line);
		}
	}
	d->n++;
	return rc;
}

int diags_add(struct diags *d, enum diag_level lvl, const struct src_loc *loc,
              uint32_t span, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = diags_vadd(d, lvl, loc, span, fmt, ap);
	va_end(ap);
	return rc;
}

void diags_move(struct diags *dst, struct diags *src)
{
	for (size_t i = 0; i < src->n; i++) {
		struct diag *g = &src->v[i];
		if (dst->n == dst->cap) {
			size_t nc = dst->cap ? dst->cap * 2 : 8;
			struct diag *nv = realloc(dst->v, nc * sizeof *nv);
			if (!nv) {
				diag_release(g);
				continue;
			}
			dst->v = nv;
			dst->cap = nc;
		}
		dst->v[dst->n++] = *g;
	}
	dst->nerrors += src->nerrors;
	src->n = 0;
	src->nerrors = 0;
}

void diags_set_file(struct diags *d, size_t from, const char *name)
{
	for (size_t i = from; i < d->n; i++) {
		if (!d->v[i].line)
			continue;
		char *copy = strdup(name);
		if (!copy)
			return;
		free(d->v[i].file);
		d->v[i].file = copy;
	}
}

static const char *level_name(enum diag_level l)
{
	return l == DIAG_ERROR ? "error" : l == DIAG_WARNING ? "warning" : "note";
}

char *diag_format(const struct diag *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	if (g->file)
		fprintf(f, "%s:", g->file);
	if (g->line)
		fprintf(f, "%u:%u:", g->line, g->col);
	fprintf(f, "%s%s: %s\n", (g->file || g->line) ? " " : "", level_name(g->level), g->msg);
	if (g->line_text) {
		fprintf(f, "  %s\n  ", g->line_text);
		for (uint32_t i = 1; i < g->col; i++)
			fputc(' ', f);
		fputc('^', f);
		size_t avail = strlen(g->line_text);
		for (uint32_t i = 1; i < g->span && g->col + i <= avail; i++)
			fputc('~', f);
		fputc('\n', f);
	}
	fclose(f);
	return buf;
}

void diags_print(FILE *out, const struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		char *s = diag_format(&d->v[i]);
		if (s) {
			fputs(s, out);
			free(s);
		}
	}
	if (d->nerrors > d->n)
		fprintf(out, "(%zu more errors not shown)\n", d->nerrors - d->n);
}

struct src_loc src_loc_advance(struct src_loc loc, const char *text, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '\n') {
			loc.line++;
			loc.col = 1;
		} else {
			loc.col++;
		}
	}
	return loc;
}

struct src_loc src_loc_at(const struct src_file *f, size_t off)
{
	struct src_loc loc = {f, 1, 1};
	if (off > f->len)
		off = f->len;
	return src_loc_advance(loc, f->text, off);
}
