/* Click-style argument matching and value parsing; see internal.h, section 1. */
#include "elements/internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- messages ------------------------------------------------------------ */

const char *arg_class_name(const struct click_conf_ctx *ctx)
{
	if (ctx && ctx->elem && ctx->elem->cls && ctx->elem->cls->name)
		return ctx->elem->cls->name;
	return "element";
}

static int vreport(const struct click_conf_ctx *ctx, enum diag_level lvl, const struct arg_val *v,
                   const char *fmt, va_list ap)
{
	if (!ctx || !ctx->diags)
		return -EINVAL;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	const struct src_loc *loc = v ? &v->loc : (ctx->elem ? &ctx->elem->loc : NULL);
	if (loc && loc->line == 0) /* text from a $variable: point at the element */
		loc = ctx->elem && ctx->elem->loc.line ? &ctx->elem->loc : NULL;
	uint32_t span = v && v->n ? (uint32_t)(v->n > 200 ? 200 : v->n) : 1;
	/* a value spanning lines: caret only to the end of its first line */
	if (v)
		for (size_t i = 0; i < v->n && i < span; i++)
			if (v->s[i] == '\n') {
				span = i ? (uint32_t)i : 1;
				break;
			}
	int rc;
	if (v && v->kw)
		rc = diags_add(ctx->diags, lvl, loc, span, "%s: %s: %s", arg_class_name(ctx), v->kw, msg);
	else
		rc = diags_add(ctx->diags, lvl, loc, span, "%s: %s", arg_class_name(ctx), msg);
	return lvl == DIAG_ERROR ? -EINVAL : rc;
}

int arg_error(const struct click_conf_ctx *ctx, const struct arg_val *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(ctx, DIAG_ERROR, v, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int arg_warning(const struct click_conf_ctx *ctx, const struct arg_val *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(ctx, DIAG_WARNING, v, fmt, ap);
	va_end(ap);
	return 0;
}

/* 'text' for messages, shortened. */
static const char *shown(const struct arg_val *v, char *buf, size_t cap)
{
	size_t n = v->n < cap - 4 ? v->n : cap - 4;
	memcpy(buf, v->s, n);
	buf[n] = 0;
	if (n < v->n)
		strcpy(buf + n, "...");
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	return buf;
}

static int expected(const struct click_conf_ctx *ctx, const struct arg_val *v, const char *what)
{
	char b[64];
	if (v->n == 0)
		return arg_error(ctx, v, "expected %s, got nothing", what);
	return arg_error(ctx, v, "expected %s, got '%s'", what, shown(v, b, sizeof b));
}

/* ---- pieces of text ------------------------------------------------------- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

struct arg_val arg_sub(const struct arg_val *v, size_t off, size_t n)
{
	struct arg_val r = *v;
	if (off > v->n)
		off = v->n;
	if (n > v->n - off)
		n = v->n - off;
	r.s = v->s + off;
	r.n = n;
	if (v->loc.line)
		r.loc = src_loc_advance(v->loc, v->s, off);
	return r;
}

struct arg_val arg_val_of(const struct click_arg *a, const char *kw)
{
	struct arg_val v = { a->text, strlen(a->text), a->loc, kw };
	return v;
}

bool arg_is(const struct arg_val *v, const char *word)
{
	size_t n = strlen(word);
	return v->n == n && memcmp(v->s, word, n) == 0;
}

size_t arg_keyword_len(const char *s, size_t n)
{
	if (n == 0 || !(is_alpha(s[0]) || s[0] == '_'))
		return 0;
	size_t i = 1;
	while (i < n && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '_' || s[i] == ':' ||
	                 s[i] == '.' || s[i] == '?' || s[i] == '!'))
		i++;
	size_t j = i;
	while (j < n && is_space(s[j]))
		j++;
	return (j > i && j < n) ? i : 0;
}

/* The end of a quoted run starting at s[i] (a quote or "\<"), or n. */
static size_t skip_quoted(const char *s, size_t n, size_t i)
{
	if (s[i] == '\'') {
		for (i++; i < n && s[i] != '\''; i++)
			;
		return i < n ? i + 1 : n;
	}
	if (s[i] == '"') {
		for (i++; i < n && s[i] != '"'; i++)
			if (s[i] == '\\' && i + 1 < n)
				i++;
		return i < n ? i + 1 : n;
	}
	/* \<...> */
	for (i += 2; i < n && s[i] != '>'; i++)
		;
	return i < n ? i + 1 : n;
}

int arg_words(const struct click_conf_ctx *ctx, const struct arg_val *v, struct arg_list *out)
{
	size_t cap = 0;
	out->n = 0;
	out->v = NULL;
	size_t i = 0;
	while (i < v->n) {
		while (i < v->n && is_space(v->s[i]))
			i++;
		if (i >= v->n)
			break;
		size_t start = i;
		while (i < v->n && !is_space(v->s[i])) {
			if (v->s[i] == '\'' || v->s[i] == '"' ||
			    (v->s[i] == '\\' && i + 1 < v->n && v->s[i + 1] == '<'))
				i = skip_quoted(v->s, v->n, i);
			else
				i++;
		}
		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct arg_val *nv = arena_realloc(ctx->arena, out->v, cap * sizeof *nv,
			                                   ncap * sizeof *nv);
			if (!nv)
				return -ENOMEM;
			out->v = nv;
			cap = ncap;
		}
		out->v[out->n++] = arg_sub(v, start, i - start);
	}
	return 0;
}

/* ---- unquoting ------------------------------------------------------------ */

struct buf {
	char *p;
	size_t n, cap;
};

static void put(struct buf *b, char c)
{
	if (b->n < b->cap)
		b->p[b->n] = c;
	b->n++;
}

/* \<hex bytes> starting at s[i] == '\\', s[i+1] == '<'. Returns the index
 * after '>' or (size_t)-1 on error (*err_at set). */
static size_t hex_block(const char *s, size_t n, size_t i, struct buf *b, size_t *err_at)
{
	int hi = -1;
	for (i += 2; i < n && s[i] != '>'; i++) {
		if (is_space(s[i]))
			continue;
		if (s[i] == '/' && i + 1 < n && s[i + 1] == '/') { /* comments, as Click skips them */
			while (i + 1 < n && s[i + 1] != '\n')
				i++;
			continue;
		}
		if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
			for (i += 2; i + 1 < n && !(s[i] == '*' && s[i + 1] == '/'); i++)
				;
			i++;
			continue;
		}
		int h = hexval(s[i]);
		if (h < 0) {
			*err_at = i;
			return (size_t)-1;
		}
		if (hi < 0) {
			hi = h;
		} else {
			put(b, (char)(hi << 4 | h));
			hi = -1;
		}
	}
	if (i >= n || hi >= 0) {
		*err_at = i >= n ? n : i;
		return (size_t)-1;
	}
	return i + 1;
}

/* Unquote into b (sized by a first dry run). Returns 0 or -EINVAL with
 * *err_at and *why set. */
static int unquote_into(const char *s, size_t n, struct buf *b, size_t *err_at, const char **why)
{
	size_t i = 0;
	while (i < n) {
		char c = s[i];
		if (c == '\'') {
			size_t j = i + 1;
			while (j < n && s[j] != '\'')
				put(b, s[j++]);
			if (j >= n) {
				*err_at = i;
				*why = "unterminated single quote";
				return -EINVAL;
			}
			i = j + 1;
		} else if (c == '"') {
			size_t j = i + 1;
			while (j < n && s[j] != '"') {
				if (s[j] != '\\' || j + 1 >= n) {
					put(b, s[j++]);
					continue;
				}
				char e = s[j + 1];
				j += 2;
				switch (e) {
				case 'a': put(b, '\a'); break;
				case 'b': put(b, '\b'); break;
				case 't': put(b, '\t'); break;
				case 'n': put(b, '\n'); break;
				case 'v': put(b, '\v'); break;
				case 'f': put(b, '\f'); break;
				case 'r': put(b, '\r'); break;
				case '\n': break; /* line continuation */
				case '\r':
					if (j < n && s[j] == '\n')
						j++;
					break;
				case 'x': {
					unsigned v = 0;
					size_t k = j;
					while (k < n && hexval(s[k]) >= 0)
						v = (v << 4 | (unsigned)hexval(s[k++])) & 0xff;
					if (k == j) {
						put(b, 'x'); /* "\x" without digits: the letter */
					} else {
						put(b, (char)v);
						j = k;
					}
					break;
				}
				case '<': {
					size_t k = hex_block(s, n, j - 2, b, err_at);
					if (k == (size_t)-1) {
						*why = "bad hex block \\<...>";
						return -EINVAL;
					}
					j = k;
					break;
				}
				default:
					if (e >= '0' && e <= '7') {
						unsigned v = (unsigned)(e - '0');
						for (int d = 0; d < 2 && j < n && s[j] >= '0' && s[j] <= '7'; d++)
							v = v * 8 + (unsigned)(s[j++] - '0');
						put(b, (char)(v & 0xff));
					} else {
						put(b, e);
					}
				}
			}
			if (j >= n) {
				*err_at = i;
				*why = "unterminated double quote";
				return -EINVAL;
			}
			i = j + 1;
		} else if (c == '\\' && i + 1 < n && s[i + 1] == '<') {
			size_t k = hex_block(s, n, i, b, err_at);
			if (k == (size_t)-1) {
				*why = "bad hex block \\<...>";
				return -EINVAL;
			}
			i = k;
		} else {
			put(b, c);
			i++;
		}
	}
	return 0;
}

int arg_unquote(const struct click_conf_ctx *ctx, const struct arg_val *v, char **out, size_t *len)
{
	struct buf dry = { NULL, 0, 0 };
	size_t err_at = 0;
	const char *why = NULL;
	if (unquote_into(v->s, v->n, &dry, &err_at, &why)) {
		struct arg_val at = arg_sub(v, err_at, v->n - err_at);
		return arg_error(ctx, &at, "%s", why);
	}
	if (!ctx)
		return 0;
	struct buf b = { arena_alloc(ctx->arena, dry.n + 1), 0, dry.n };
	if (!b.p)
		return -ENOMEM;
	unquote_into(v->s, v->n, &b, &err_at, &why);
	b.p[b.n] = 0;
	*out = b.p;
	*len = b.n;
	return 0;
}

/* ---- numbers ---------------------------------------------------------------- */

/* Click's IntArg: optional sign, 0x hex, 0b binary, leading-0 octal,
 * underscores between digits. Returns 0 (ok), -EINVAL (syntax), -ERANGE. */
static int scan_int(const char *s, size_t n, bool is_signed, bool *neg, uint64_t *mag)
{
	size_t i = 0;
	*neg = false;
	if (i < n && (s[i] == '+' || (is_signed && s[i] == '-'))) {
		*neg = s[i] == '-';
		i++;
	}
	unsigned base = 10;
	if (i + 2 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		base = 16;
		i += 2;
	} else if (i + 2 < n && s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'B')) {
		base = 2;
		i += 2;
	} else if (i < n && s[i] == '0') {
		base = 8;
	}
	if (i >= n)
		return -EINVAL;
	uint64_t v = 0;
	bool range = false, last_digit = false;
	for (; i < n; i++) {
		if (s[i] == '_' && last_digit) {
			last_digit = false;
			continue;
		}
		int d = hexval(s[i]);
		if (d < 0 || (unsigned)d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			range = true;
		else
			v = v * base + (unsigned)d;
		last_digit = true;
	}
	if (!last_digit)
		return -EINVAL;
	*mag = v;
	return range ? -ERANGE : 0;
}

int arg_parse_uint(const struct click_conf_ctx *ctx, const struct arg_val *v, uint64_t max, uint64_t *out)
{
	bool neg;
	uint64_t m = 0;
	int rc = scan_int(v->s, v->n, false, &neg, &m);
	if (rc == -EINVAL)
		return expected(ctx, v, "unsigned integer");
	if (rc == -ERANGE || m > max)
		return arg_error(ctx, v, "out of range, bound %llu", (unsigned long long)max);
	*out = m;
	return 0;
}

int arg_parse_int(const struct click_conf_ctx *ctx, const struct arg_val *v, int64_t min, int64_t max,
                  int64_t *out)
{
	bool neg;
	uint64_t m = 0;
	int rc = scan_int(v->s, v->n, true, &neg, &m);
	if (rc == -EINVAL)
		return expected(ctx, v, "integer");
	if (rc == 0 && !neg && m <= (uint64_t)INT64_MAX && (int64_t)m <= max) {
		*out = (int64_t)m;
		if (*out >= min)
			return 0;
	}
	if (rc == 0 && neg && m <= (uint64_t)INT64_MAX + 1) {
		int64_t x = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
		if (x >= min && x <= max) {
			*out = x;
			return 0;
		}
	}
	if (neg)
		return arg_error(ctx, v, "out of range, bound %lld", (long long)min);
	return arg_error(ctx, v, "out of range, bound %lld", (long long)max);
}

int arg_parse_bool(const struct click_conf_ctx *ctx, const struct arg_val *v, bool *out)
{
	static const char *const t[] = { "true", "yes", "1", "t", "y", "on" };
	static const char *const f[] = { "false", "no", "0", "f", "n", "off" };
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (arg_is(v, t[i])) {
			*out = true;
			return 0;
		}
		if (arg_is(v, f[i])) {
			*out = false;
			return 0;
		}
	}
	return expected(ctx, v, "boolean");
}

/* A decimal real: digits [. digits] [e[+-]digits], as value = m * 10^e with
 * m < 10^18 (further digits are dropped, rounding half up). Returns the
 * length consumed (0: no number). */
static size_t scan_decimal(const char *s, size_t n, uint64_t *m, int *e)
{
	size_t i = 0;
	uint64_t v = 0;
	int exp10 = 0, ndig = 0;
	bool any = false, dot = false, rounded = false;
	for (; i < n; i++) {
		if (s[i] == '.' && !dot) {
			dot = true;
			continue;
		}
		if (!is_digit(s[i]))
			break;
		any = true;
		if (v < 100000000000000000ull) {
			v = v * 10 + (uint64_t)(s[i] - '0');
			if (dot)
				exp10--;
			if (v)
				ndig++;
		} else {
			if (!dot)
				exp10++;
			if (!rounded && s[i] >= '5')
				v++;
			rounded = true;
		}
	}
	if (!any)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t j = i + 1;
		bool eneg = false;
		if (j < n && (s[j] == '+' || s[j] == '-'))
			eneg = s[j++] == '-';
		if (j < n && is_digit(s[j])) {
			int x = 0;
			for (; j < n && is_digit(s[j]); j++)
				if (x < 10000)
					x = x * 10 + (s[j] - '0');
			exp10 += eneg ? -x : x;
			i = j;
		}
	}
	(void)ndig;
	*m = v;
	*e = exp10;
	return i;
}

/* m * 10^e * mult, rounded to nearest; -ERANGE if above max. */
static int scale(uint64_t m, int e, uint64_t mult, uint64_t max, uint64_t *out)
{
	unsigned __int128 x = (unsigned __int128)m * mult;
	for (; e > 0 && x; e--) {
		x *= 10;
		if (x > max)
			return -ERANGE;
	}
	if (e < 0) {
		if (e < -38) {
			x = 0;
		} else {
			unsigned __int128 d = 1;
			for (; e < 0; e++)
				d *= 10;
			x = (x + d / 2) / d;
		}
	}
	if (x > max)
		return -ERANGE;
	*out = (uint64_t)x;
	return 0;
}

int arg_parse_real(const struct click_conf_ctx *ctx, const struct arg_val *v, double *out)
{
	size_t i = 0;
	bool neg = false;
	if (i < v->n && (v->s[i] == '-' || v->s[i] == '+'))
		neg = v->s[i++] == '-';
	uint64_t m;
	int e;
	size_t k = scan_decimal(v->s + i, v->n - i, &m, &e);
	if (k == 0 || i + k != v->n)
		return expected(ctx, v, "real number");
	double d = (double)m * pow(10.0, e);
	if (!isfinite(d))
		return arg_error(ctx, v, "out of range");
	*out = neg ? -d : d;
	return 0;
}

struct unit {
	const char *name;
	uint64_t mult;
};

int arg_parse_time(const struct click_conf_ctx *ctx, const struct arg_val *v, int64_t *ns)
{
	static const struct unit units[] = {
		{ "", 1000000000ull }, { "s", 1000000000ull }, { "sec", 1000000000ull },
		{ "ms", 1000000ull }, { "msec", 1000000ull }, { "us", 1000ull }, { "usec", 1000ull },
		{ "ns", 1 }, { "nsec", 1 }, { "m", 60000000000ull }, { "min", 60000000000ull },
		{ "h", 3600000000000ull }, { "hr", 3600000000000ull },
		{ "d", 86400000000000ull }, { "day", 86400000000000ull },
	};
	uint64_t m;
	int e;
	size_t k = scan_decimal(v->s, v->n, &m, &e);
	if (k == 0)
		return expected(ctx, v, "time in seconds (units s, ms, us, ns, min, h)");
	struct arg_val rest = arg_sub(v, k, v->n - k);
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (!arg_is(&rest, units[i].name))
			continue;
		uint64_t r;
		if (scale(m, e, units[i].mult, INT64_MAX, &r))
			return arg_error(ctx, v, "time out of range");
		*ns = (int64_t)r;
		return 0;
	}
	char b[32];
	if (rest.n && is_alpha(rest.s[0]))
		return arg_error(ctx, &rest, "unknown time unit '%s' (use s, ms, us, ns, min, h)",
		                 shown(&rest, b, sizeof b));
	return expected(ctx, v, "time in seconds (units s, ms, us, ns, min, h)");
}

int arg_parse_bandwidth(const struct click_conf_ctx *ctx, const struct arg_val *v, uint64_t *bps)
{
	uint64_t m;
	int e;
	size_t k = scan_decimal(v->s, v->n, &m, &e);
	if (k == 0)
		return expected(ctx, v, "bandwidth (like 10Mbps or 1.5MBps)");
	struct arg_val rest = arg_sub(v, k, v->n - k);
	uint64_t mult = 8; /* default unit: bytes per second */
	size_t i = 0;
	uint64_t prefix = 1;
	if (i < rest.n && (rest.s[i] == 'k' || rest.s[i] == 'K'))
		prefix = 1000, i++;
	else if (i < rest.n && rest.s[i] == 'M')
		prefix = 1000000, i++;
	else if (i < rest.n && rest.s[i] == 'G')
		prefix = 1000000000, i++;
	struct arg_val u = arg_sub(&rest, i, rest.n - i);
	if (arg_is(&u, "bps") || arg_is(&u, "b/s") || arg_is(&u, "baud"))
		mult = 1;
	else if (arg_is(&u, "Bps") || arg_is(&u, "B/s") || (u.n == 0 && prefix == 1))
		mult = 8;
	else {
		char b[32];
		return arg_error(ctx, &rest, "unknown bandwidth unit '%s' (use bps, b/s, Bps or B/s, with k, M, G)",
		                 shown(&rest, b, sizeof b));
	}
	if (scale(m, e, mult * prefix, UINT64_MAX / 2, bps))
		return arg_error(ctx, v, "bandwidth out of range");
	return 0;
}

/* ---- addresses -------------------------------------------------------------- */

int arg_parse_ip(const struct click_conf_ctx *ctx, const struct arg_val *v, uint32_t *out)
{
	if (inet_parse_addr(v->s, v->n, out) && elem__name_ip(ctx, v->s, v->n, out))
		return expected(ctx, v, "IP address");
	return 0;
}

/* 1 to 4 dotted bytes; missing trailing bytes are 0. */
static int parse_partial_addr(const char *s, size_t n, uint32_t *out)
{
	uint32_t a = 0;
	int parts = 0;
	size_t i = 0;
	while (parts < 4) {
		size_t st = i;
		unsigned x = 0;
		while (i < n && is_digit(s[i]) && i - st < 3)
			x = x * 10 + (unsigned)(s[i++] - '0');
		if (i == st || x > 255 || (i < n && is_digit(s[i])))
			return -EINVAL;
		a = a << 8 | x;
		parts++;
		if (i == n)
			break;
		if (s[i] != '.')
			return -EINVAL;
		i++;
	}
	if (i != n)
		return -EINVAL;
	*out = a << (8 * (4 - parts));
	return 0;
}

static int parse_prefix_literal(const struct click_conf_ctx *ctx, const struct arg_val *v, uint32_t *addr,
                                uint8_t *len);

/* A literal prefix, or an AddressInfo name: its address as /32 when it has
 * one (Click prefers addresses), else its prefix. */
int arg_parse_prefix_host(const struct click_conf_ctx *ctx, const struct arg_val *v, uint32_t *addr,
                          uint8_t *len)
{
	if (parse_prefix_literal(NULL, v, addr, len) == 0)
		return 0;
	if (elem__name_ip(ctx, v->s, v->n, addr) == 0) {
		*len = 32;
		return 0;
	}
	if (elem__name_prefix(ctx, v->s, v->n, addr, len) == 0)
		return 0;
	return parse_prefix_literal(ctx, v, addr, len);
}

static int parse_prefix_literal(const struct click_conf_ctx *ctx, const struct arg_val *v, uint32_t *addr,
                                uint8_t *len)
{
	const char *slash = memchr(v->s, '/', v->n);
	if (!slash) {
		if (inet_parse_addr(v->s, v->n, addr))
			return expected(ctx, v, "IP prefix (like 18.26.4.0/24)");
		*len = 32;
		return 0;
	}
	size_t a = (size_t)(slash - v->s);
	if (parse_partial_addr(v->s, a, addr))
		return expected(ctx, v, "IP prefix (like 18.26.4.0/24)");
	struct arg_val m = arg_sub(v, a + 1, v->n - a - 1);
	uint32_t mask;
	if (m.n && m.n <= 2 && is_digit(m.s[0]) && (m.n == 1 || is_digit(m.s[1]))) {
		unsigned l = (unsigned)(m.s[0] - '0');
		if (m.n == 2)
			l = l * 10 + (unsigned)(m.s[1] - '0');
		if (l > 32)
			return arg_error(ctx, &m, "prefix length %u above 32", l);
		*len = (uint8_t)l;
		return 0;
	}
	if (inet_parse_addr(m.s, m.n, &mask))
		return expected(ctx, v, "IP prefix (like 18.26.4.0/24)");
	uint32_t inv = ~mask;
	if (inv & (inv + 1))
		return arg_error(ctx, &m, "netmask is not a prefix");
	unsigned l = 0;
	while (l < 32 && (mask & (0x80000000u >> l)))
		l++;
	*len = (uint8_t)l;
	return 0;
}

int arg_parse_prefix(const struct click_conf_ctx *ctx, const struct arg_val *v, struct inet_prefix *out)
{
	uint32_t a;
	uint8_t l;
	int rc = arg_parse_prefix_host(ctx, v, &a, &l);
	if (rc)
		return rc;
	out->addr = a & inet_mask(l);
	out->len = l;
	return 0;
}

static int parse_ether_literal(const struct click_conf_ctx *ctx, const struct arg_val *v, uint8_t out[6]);

int arg_parse_ether(const struct click_conf_ctx *ctx, const struct arg_val *v, uint8_t out[6])
{
	if (parse_ether_literal(NULL, v, out) == 0 || elem__name_ether(ctx, v->s, v->n, out) == 0)
		return 0;
	return parse_ether_literal(ctx, v, out);
}

static int parse_ether_literal(const struct click_conf_ctx *ctx, const struct arg_val *v, uint8_t out[6])
{
	uint8_t e[6];
	size_t i = 0;
	char sep = 0;
	for (int part = 0; part < 6; part++) {
		if (part) {
			if (i >= v->n || (v->s[i] != ':' && v->s[i] != '-') || (sep && v->s[i] != sep))
				return expected(ctx, v, "Ethernet address");
			sep = v->s[i++];
		}
		int d1 = i < v->n ? hexval(v->s[i]) : -1;
		if (d1 < 0)
			return expected(ctx, v, "Ethernet address");
		i++;
		int d2 = i < v->n ? hexval(v->s[i]) : -1;
		if (d2 >= 0) {
			e[part] = (uint8_t)(d1 << 4 | d2);
			i++;
		} else {
			e[part] = (uint8_t)d1;
		}
	}
	if (i != v->n)
		return expected(ctx, v, "Ethernet address");
	memcpy(out, e, 6);
	return 0;
}

struct name_num {
	const char *name;
	unsigned num;
};

/* Click's built-in name tables (its ipnameinfo.cc), the same names
 * IPFilter patterns accept (src/flow), so "www" means 80 everywhere; the
 * system's /etc/services is deliberately not read. */
static const struct name_num port_names[] = {
	{ "echo", 7 }, { "discard", 9 }, { "daytime", 13 }, { "chargen", 19 }, { "ftp-data", 20 },
	{ "ftp", 21 }, { "ssh", 22 }, { "telnet", 23 }, { "smtp", 25 }, { "domain", 53 },
	{ "dns", 53 }, { "bootps", 67 }, { "bootpc", 68 }, { "tftp", 69 }, { "finger", 79 },
	{ "www", 80 }, { "pop3", 110 }, { "sunrpc", 111 }, { "auth", 113 }, { "nntp", 119 },
	{ "ntp", 123 }, { "netbios-ns", 137 }, { "netbios-dgm", 138 }, { "netbios-ssn", 139 },
	{ "snmp", 161 }, { "snmp-trap", 162 }, { "irc", 194 }, { "imap3", 220 }, { "https", 443 },
	{ "rip", 520 }, { "route", 520 }, { "imaps", 993 }, { "pop3s", 995 }, { "pptp", 1723 },
};

static const struct name_num proto_names[] = {
	{ "icmp", 1 }, { "igmp", 2 }, { "ipip", 4 }, { "tcp", 6 }, { "udp", 17 },
	{ "dccp", 33 }, { "gre", 47 }, { "sctp", 132 },
};

static bool lookup_name(const struct name_num *t, size_t n, const struct arg_val *v, unsigned *out)
{
	for (size_t i = 0; i < n; i++)
		if (arg_is(v, t[i].name)) {
			*out = t[i].num;
			return true;
		}
	return false;
}

/* A decimal number in [0, bound], or (t non-NULL) a name from t. `expect`
 * says what would do instead of bad text, `noun` names the value in the
 * range error. */
static int parse_bounded(const struct click_conf_ctx *ctx, const struct arg_val *v,
                         const struct name_num *t, size_t nt, uint64_t bound, const char *expect,
                         const char *noun, uint64_t *out)
{
	unsigned x;
	if (t && lookup_name(t, nt, v, &x)) {
		*out = x;
		return 0;
	}
	uint64_t m;
	bool neg;
	int rc = v->n && is_digit(v->s[0]) ? scan_int(v->s, v->n, false, &neg, &m) : -EINVAL;
	if (rc == -EINVAL)
		return expected(ctx, v, expect);
	if (rc || m > bound)
		return arg_error(ctx, v, "%s out of range, bound %llu", noun, (unsigned long long)bound);
	*out = m;
	return 0;
}

int arg_parse_port(const struct click_conf_ctx *ctx, const struct arg_val *v, uint16_t *out)
{
	uint64_t m = 0; /* set on success; gcc -O3 cannot tell */
	int rc = parse_bounded(ctx, v, port_names, sizeof port_names / sizeof port_names[0], 65535,
	                       "port number", "port", &m);
	if (!rc)
		*out = (uint16_t)m;
	return rc;
}

int arg_parse_proto(const struct click_conf_ctx *ctx, const struct arg_val *v, uint8_t *out)
{
	uint64_t m = 0; /* set on success; gcc -O3 cannot tell */
	int rc = parse_bounded(ctx, v, proto_names, sizeof proto_names / sizeof proto_names[0], 255,
	                       "IP protocol (number or name like tcp, udp, icmp)", "protocol", &m);
	if (!rc)
		*out = (uint8_t)m;
	return rc;
}

int arg_parse_anno(const struct click_conf_ctx *ctx, const struct arg_val *v, unsigned size, uint8_t *out)
{
	/* the offsets of Click's packet_anno.hh */
	static const struct { const char *name; unsigned off, size; } names[] = {
		{ "DST_IP", 0, 4 }, { "DST_IP_ANNO", 0, 4 }, { "PAINT", 16, 1 },
		{ "PAINT_ANNO", 16, 1 }, { "ICMP_PARAMPROB", 17, 1 }, { "FIX_IP_SRC", 19, 1 },
		{ "VLAN_TCI", 20, 2 },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (arg_is(v, names[i].name)) {
			if (names[i].size != size)
				return arg_error(ctx, v, "annotation %s has %u bytes, need %u", names[i].name,
				                 names[i].size, size);
			*out = (uint8_t)names[i].off;
			return 0;
		}
	uint64_t m = 0; /* set on success; gcc -O3 cannot tell */
	int rc = parse_bounded(ctx, v, NULL, 0, ARG_ANNO_SIZE - size,
	                       "annotation (offset or name like PAINT)", "annotation offset", &m);
	if (!rc)
		*out = (uint8_t)m;
	return rc;
}

/* ---- matching ------------------------------------------------------------ */

static int parse_value(const struct click_conf_ctx *ctx, struct arg_spec *sp, struct arg_val *v)
{
	uint64_t u;
	int64_t i;
	int rc = 0;
	switch (sp->type) {
	case ARGT_BOOL:
		return arg_parse_bool(ctx, v, sp->dst);
	case ARGT_U8:
		if (!(rc = arg_parse_uint(ctx, v, UINT8_MAX, &u)))
			*(uint8_t *)sp->dst = (uint8_t)u;
		return rc;
	case ARGT_U16:
		if (!(rc = arg_parse_uint(ctx, v, UINT16_MAX, &u)))
			*(uint16_t *)sp->dst = (uint16_t)u;
		return rc;
	case ARGT_U32:
		if (!(rc = arg_parse_uint(ctx, v, UINT32_MAX, &u)))
			*(uint32_t *)sp->dst = (uint32_t)u;
		return rc;
	case ARGT_I32:
		if (!(rc = arg_parse_int(ctx, v, INT32_MIN, INT32_MAX, &i)))
			*(int32_t *)sp->dst = (int32_t)i;
		return rc;
	case ARGT_I64:
		return arg_parse_int(ctx, v, INT64_MIN, INT64_MAX, sp->dst);
	case ARGT_REAL:
		return arg_parse_real(ctx, v, sp->dst);
	case ARGT_TIME:
		return arg_parse_time(ctx, v, sp->dst);
	case ARGT_BANDWIDTH:
		return arg_parse_bandwidth(ctx, v, sp->dst);
	case ARGT_IP:
		return arg_parse_ip(ctx, v, sp->dst);
	case ARGT_PREFIX:
		return arg_parse_prefix(ctx, v, sp->dst);
	case ARGT_ETHER:
		return arg_parse_ether(ctx, v, sp->dst);
	case ARGT_PORT:
		return arg_parse_port(ctx, v, sp->dst);
	case ARGT_PROTO:
		return arg_parse_proto(ctx, v, sp->dst);
	case ARGT_ANNO:
		return arg_parse_anno(ctx, v, 1, sp->dst);
	case ARGT_STRING: {
		char *s;
		size_t n;
		if (!(rc = arg_unquote(ctx, v, &s, &n)))
			*(const char **)sp->dst = s;
		return rc;
	}
	case ARGT_RAW:
		*(struct arg_val *)sp->dst = *v;
		return 0;
	case ARGT_LIST: {
		struct arg_list *l = sp->dst;
		struct arg_val *nv = arena_realloc(ctx->arena, l->v, l->n * sizeof *nv,
		                                   (l->n + 1) * sizeof *nv);
		if (!nv)
			return -ENOMEM;
		nv[l->n++] = *v;
		l->v = nv;
		return 0;
	}
	}
	return -EINVAL;
}

/* kwpos as in Click: 0 positional, >0 keyword length, -1 used as
 * positional, -2 used as keyword. */
static int match(const struct click_conf_ctx *ctx, const struct click_args *args, struct arg_spec *spec,
                 size_t n, int *kwpos)
{
	int rc = 0;
	for (size_t i = 0; i < args->n; i++)
		kwpos[i] = (int)arg_keyword_len(args->v[i].text, strlen(args->v[i].text));

	for (size_t k = 0; k < n; k++) {
		struct arg_spec *sp = &spec[k];
		size_t kwlen = strlen(sp->kw);
		long got = -1, position = -1;
		int got_kwpos = -1;
		sp->given = false;
		if (sp->type == ARGT_LIST) {
			struct arg_list *l = sp->dst;
			l->n = 0;
			l->v = NULL;
		}
		for (size_t i = 0; i < args->n; i++) {
			if (position == -1 && kwpos[i] != -1)
				position = kwpos[i] >= 0 ? (long)i : -2;
			if (kwpos[i] == (int)kwlen && memcmp(args->v[i].text, sp->kw, kwlen) == 0) {
				got = (long)i;
				got_kwpos = kwpos[i];
				kwpos[i] = -2;
				if (sp->flags & ARG_ALL) {
					struct arg_val v = arg_val_of(&args->v[i], sp->kw);
					size_t off = (size_t)got_kwpos;
					while (off < v.n && is_space(v.s[off]))
						off++;
					v = arg_sub(&v, off, v.n - off);
					sp->given = true;
					sp->val = v;
					int r = parse_value(ctx, sp, &v);
					if (r)
						rc = r;
				}
			}
		}
		if ((sp->flags & ARG_P) && position >= 0 && kwpos[position] >= 0 &&
		    ((got < 0 && (sp->flags & ARG_M)) || kwpos[position] == 0)) {
			kwpos[position] = -1;
			if (got < position) {
				got = position;
				got_kwpos = 0;
				if (sp->flags & ARG_ALL) {
					struct arg_val v = arg_val_of(&args->v[got], sp->kw);
					sp->given = true;
					sp->val = v;
					int r = parse_value(ctx, sp, &v);
					if (r)
						rc = r;
				}
			}
		}
		if (got < 0) {
			if (sp->flags & ARG_M) {
				struct arg_val at = { "", 0, { NULL, 0, 0 }, sp->kw };
				if (ctx->elem)
					at.loc = ctx->elem->loc;
				rc = arg_error(ctx, &at, "required argument missing");
			}
			continue;
		}
		if (sp->flags & ARG_ALL)
			continue;
		struct arg_val v = arg_val_of(&args->v[got], sp->kw);
		if (got_kwpos == 0 && v.n == 0 && !(sp->flags & ARG_M))
			continue; /* an empty optional positional keeps its default */
		if (got_kwpos > 0) {
			size_t off = (size_t)got_kwpos;
			while (off < v.n && is_space(v.s[off]))
				off++;
			v = arg_sub(&v, off, v.n - off);
		}
		sp->given = true;
		sp->val = v;
		int r = parse_value(ctx, sp, &v);
		if (r)
			rc = r;
	}
	return rc;
}

static int with_kwpos(const struct click_conf_ctx *ctx, const struct click_args *args,
                      struct arg_spec *spec, size_t n, struct click_args *rest)
{
	int small[16];
	int *kwpos = args->n <= 16 ? small : arena_calloc(ctx->arena, args->n, sizeof *kwpos);
	if (!kwpos)
		return -ENOMEM;
	int rc = match(ctx, args, spec, n, kwpos);
	if (rest) {
		size_t m = 0;
		for (size_t i = 0; i < args->n; i++)
			m += kwpos[i] >= 0;
		rest->n = 0;
		rest->v = m ? arena_calloc(ctx->arena, m, sizeof *rest->v) : NULL;
		if (m && !rest->v)
			return -ENOMEM;
		for (size_t i = 0; i < args->n; i++)
			if (kwpos[i] >= 0)
				rest->v[rest->n++] = args->v[i];
		return rc;
	}
	bool too_many = false;
	for (size_t i = 0; i < args->n; i++) {
		struct arg_val v = arg_val_of(&args->v[i], NULL);
		if (kwpos[i] == 0 && !too_many) {
			too_many = true;
			if (v.n == 0)
				v.n = 1;
			arg_error(ctx, &v, "too many arguments");
			rc = -EINVAL;
		} else if (kwpos[i] > 0) {
			char kw[64];
			size_t l = (size_t)kwpos[i] < sizeof kw - 1 ? (size_t)kwpos[i] : sizeof kw - 1;
			memcpy(kw, v.s, l);
			kw[l] = 0;
			v.n = (size_t)kwpos[i];
			arg_error(ctx, &v, "unknown keyword '%s'", kw);
			rc = -EINVAL;
		}
	}
	return rc;
}

int args_parse(const struct click_conf_ctx *ctx, const struct click_args *args, struct arg_spec *spec,
               size_t n)
{
	return with_kwpos(ctx, args, spec, n, NULL);
}

int args_consume(const struct click_conf_ctx *ctx, const struct click_args *args, struct arg_spec *spec,
                 size_t n, struct click_args *rest)
{
	return with_kwpos(ctx, args, spec, n, rest);
}

bool args_given(const struct arg_spec *spec, size_t n, const char *kw)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(spec[i].kw, kw) == 0)
			return spec[i].given;
	return false;
}

int elem__configure_none(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	*conf = NULL;
	return args_parse(ctx, args, NULL, 0);
}

void *elem__conf_alloc(const struct click_conf_ctx *ctx, size_t size)
{
	return arena_alloc(ctx->arena, size);
}
