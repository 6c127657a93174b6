/* Configuration strings (Click's click(5) manual: configuration strings):
 * splitting into arguments, and $variable substitution (compound element
 * formals and `define`). */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "click/internal.h"

/* Length of the quoted/protected run starting at s[i] (a quote or "\<"). */
static size_t protected_len(const char *s, size_t i, size_t n)
{
	size_t j = i;
	if (s[j] == '\'') {
		for (j++; j < n && s[j] != '\''; j++)
			;
		return (j < n ? j + 1 : n) - i;
	}
	if (s[j] == '"') {
		for (j++; j < n && s[j] != '"'; j++)
			if (s[j] == '\\' && j + 1 < n) {
				if (s[j + 1] == '<') {
					for (j += 2; j < n && s[j] != '>'; j++)
						;
					if (j >= n)
						return n - i;
				} else
					j++;
			}
		return (j < n ? j + 1 : n) - i;
	}
	/* "\<" ... ">" */
	for (j += 2; j < n && s[j] != '>'; j++)
		;
	return (j < n ? j + 1 : n) - i;
}

struct rawarg {
	char *text;
	size_t first; /* offset of the first non-space character (or start) */
};
typedef CVEC(struct rawarg) rawvec;

/* The splitting itself; calls back for each argument (before dropping an
 * empty last one). */
static int split(struct arena *a, const char *s, rawvec *out)
{
	size_t n = strlen(s), i = 0;
	for (;;) {
		struct arena_str b = {.a = a};
		size_t first = i;
		bool seen = false;
		while (i < n && s[i] != ',') {
			char c = s[i];
			if (c == '/' && i + 1 < n && s[i + 1] == '/') {
				while (i < n && s[i] != '\n' && s[i] != '\r')
					i++;
				arena_str_putc(&b, ' ');
				continue;
			}
			if (c == '/' && i + 1 < n && s[i + 1] == '*') {
				const char *e = strstr(s + i + 2, "*/");
				i = e ? (size_t)(e - s) + 2 : n;
				arena_str_putc(&b, ' ');
				continue;
			}
			if (!seen && !isspace((unsigned char)c)) {
				seen = true;
				first = i;
			}
			if (c == '\'' || c == '"' || (c == '\\' && i + 1 < n && s[i + 1] == '<')) {
				size_t l = protected_len(s, i, n);
				arena_str_putn(&b, s + i, l);
				i += l;
				continue;
			}
			arena_str_putc(&b, c);
			i++;
		}
		char *t = arena_str_take(&b);
		if (!t)
			return -ENOMEM;
		/* trim */
		size_t l = strlen(t);
		while (l && isspace((unsigned char)t[l - 1]))
			t[--l] = '\0';
		char *h = t;
		while (*h && isspace((unsigned char)*h))
			h++;
		struct rawarg ra = {h, first};
		if (!CVEC_PUSH(a, *out, ra))
			return -ENOMEM;
		if (i >= n)
			break;
		i++; /* the comma */
	}
	if (out->n && !out->p[out->n - 1].text[0])
		out->n--;
	return 0;
}

int click_split_args(const char *config, const struct src_loc *loc, struct arena *a,
                     struct click_args *out)
{
	out->n = 0;
	out->v = NULL;
	if (!config)
		return 0;
	rawvec raw = {0};
	int rc = split(a, config, &raw);
	if (rc)
		return rc;
	if (!raw.n)
		return 0;
	out->v = arena_calloc(a, raw.n, sizeof *out->v);
	if (!out->v)
		return -ENOMEM;
	struct src_loc at = loc ? *loc : (struct src_loc){0};
	size_t done = 0; /* argument starts only grow: advance incrementally */
	for (uint32_t i = 0; i < raw.n; i++) {
		out->v[i].text = raw.p[i].text;
		if (loc) {
			at = src_loc_advance(at, config + done, raw.p[i].first - done);
			done = raw.p[i].first;
			out->v[i].loc = at;
		}
	}
	out->n = raw.n;
	return 0;
}

int click__argvec(struct arena *a, const char *s, click_strvec *out)
{
	rawvec raw = {0};
	out->n = 0;
	if (!s)
		return 0;
	int rc = split(a, s, &raw);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < raw.n; i++)
		if (!CVEC_PUSH(a, *out, raw.p[i].text))
			return -ENOMEM;
	return 0;
}

int click__venv_index(struct arena *a, struct venv *e)
{
	for (uint32_t i = 0; i < e->vars.n; i++)
		if (click__map_set(a, &e->map, e->vars.p[i].name, (int32_t)i))
			return -ENOMEM;
	return 0;
}

const char *click__venv_lookup(const struct venv *e, const char *name, size_t len)
{
	char buf[128];
	for (; e; e = e->parent) {
		if (e->map.n && len < sizeof buf) {
			memcpy(buf, name, len);
			buf[len] = '\0';
			int32_t i = click__map_get(&e->map, buf);
			if (i >= 0)
				return e->vars.p[i].value;
			continue;
		}
		for (uint32_t i = e->vars.n; i-- > 0;) {
			const struct var *v = &e->vars.p[i];
			if (strlen(v->name) == len && !memcmp(v->name, name, len))
				return v->value;
		}
	}
	return NULL;
}

static void put_value(struct arena_str *b, const char *v, bool dquoted)
{
	if (!dquoted) {
		arena_str_putn(b, v, strlen(v));
		return;
	}
	/* Inside double quotes the value must read back as itself. */
	for (; *v; v++) {
		if (*v == '\\' || *v == '"' || *v == '$')
			arena_str_putc(b, '\\');
		arena_str_putc(b, *v);
	}
}

static bool varch(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static char *expand(struct arena *a, const char *s, const struct venv *e, int depth);

char *click__expand(struct arena *a, const char *s, const struct venv *e)
{
	return expand(a, s, e, 0);
}

/* ${var-DEFAULT}: defaults may nest, within reason. */
#define MAX_DEFAULT_DEPTH 8
#define MAX_DEFAULT_LEN 1024

static char *expand(struct arena *a, const char *s, const struct venv *e, int depth)
{
	if (!s)
		return NULL;
	if (!strchr(s, '$'))
		return (char *)s;
	struct arena_str b = {.a = a};
	size_t n = strlen(s), i = 0;
	bool dq = false;
	while (i < n) {
		char c = s[i];
		if (!dq && c == '\'') {
			size_t l = protected_len(s, i, n);
			arena_str_putn(&b, s + i, l);
			i += l;
		} else if (c == '"') {
			dq = !dq;
			arena_str_putc(&b, c);
			i++;
		} else if (c == '\\' && i + 1 < n) {
			if (s[i + 1] == '<') {
				size_t l = protected_len(s, i, n);
				arena_str_putn(&b, s + i, l);
				i += l;
			} else {
				arena_str_putn(&b, s + i, 2);
				i += 2;
			}
		} else if (!dq && c == '/' && i + 1 < n && (s[i + 1] == '/' || s[i + 1] == '*')) {
			size_t j;
			if (s[i + 1] == '/')
				for (j = i; j < n && s[j] != '\n' && s[j] != '\r'; j++)
					;
			else {
				const char *x = strstr(s + i + 2, "*/");
				j = x ? (size_t)(x - s) + 2 : n;
			}
			arena_str_putn(&b, s + i, j - i);
			i = j;
		} else if (c == '$' && i + 1 < n && s[i + 1] == '{') {
			size_t j = i + 2;
			while (j < n && varch(s[j]))
				j++;
			if (j > i + 2 && j < n && (s[j] == '}' || s[j] == '-')) {
				const char *v = click__venv_lookup(e, s + i + 2, j - i - 2);
				if (s[j] == '}') {
					if (v)
						put_value(&b, v, dq);
					else
						arena_str_putn(&b, s + i, j + 1 - i);
					i = j + 1;
					continue;
				}
				size_t k = j + 1;
				int nest = 0;
				while (k < n && k - j < MAX_DEFAULT_LEN && (s[k] != '}' || nest)) {
					nest += s[k] == '{' ? 1 : s[k] == '}' ? -1 : 0;
					k++;
				}
				if (k < n && s[k] == '}' && depth < MAX_DEFAULT_DEPTH) {
					if (v)
						put_value(&b, v, dq);
					else {
						char *def = arena_strndup(a, s + j + 1, k - j - 1);
						put_value(&b, def ? expand(a, def, e, depth + 1) : "", dq);
					}
					i = k + 1;
					continue;
				}
			}
			arena_str_putc(&b, c);
			i++;
		} else if (c == '$' && i + 1 < n && varch(s[i + 1])) {
			size_t j = i + 1;
			while (j < n && varch(s[j]))
				j++;
			const char *v = click__venv_lookup(e, s + i + 1, j - i - 1);
			if (v)
				put_value(&b, v, dq);
			else
				arena_str_putn(&b, s + i, j - i);
			i = j;
		} else {
			arena_str_putc(&b, c);
			i++;
		}
	}
	char *r = arena_str_take(&b);
	return r ? r : (char *)s;
}
