/* Classifier patterns (Click's Classifier element): "OFF/VALUE[%MASK]" clauses, all
 * ANDed, each optionally negated with "!", "-" or empty = everything. Each
 * clause becomes DATA atoms split at 4-byte boundaries, as Click's word
 * compares are, so the short-packet rule decides per word exactly as in
 * Click. */
#include "flow/flow_int.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

static int err(struct diags *d, const struct src_loc *loc, const char *text,
               size_t at, size_t span, const char *msg)
{
	struct src_loc l = loc ? src_loc_advance(*loc, text, at) : (struct src_loc){0};
	diags_error(d, loc ? &l : NULL, (uint32_t)(span ? span : 1), "%s", msg);
	return -EINVAL;
}

static int nibble(char c, int *v, int *m)
{
	if (c == '?') {
		*v = 0;
		*m = 0;
		return 0;
	}
	*m = 0xf;
	if (c >= '0' && c <= '9')
		*v = c - '0';
	else if (c >= 'a' && c <= 'f')
		*v = c - 'a' + 10;
	else
		*v = c - 'A' + 10;
	return 0;
}

static int parse_n(const char *s, size_t len, const struct src_loc *loc,
                   struct arena *a, struct diags *d, struct flow_expr **out)
{
	struct flow_expr **cl = NULL;
	size_t ncl = 0, cap = 0;
	size_t i = 0;
	if (len == 1 && s[0] == '-')
		i = 1;
	while (i < len) {
		while (i < len && isspace((unsigned char)s[i]))
			i++;
		if (i >= len)
			break;
		size_t start = i;
		bool neg = false;
		if (s[i] == '!') {
			neg = true;
			i++;
			while (i < len && isspace((unsigned char)s[i]))
				i++;
		}
		if (i >= len || !isdigit((unsigned char)s[i]))
			return err(d, loc, s, i, 1, "expected a digit (Classifier clause OFFSET/VALUE[%MASK])");
		size_t off_at = i;
		uint64_t off = 0;
		while (i < len && isdigit((unsigned char)s[i])) {
			if (off <= 0xffffff)
				off = off * 10 + (uint64_t)(s[i] - '0');
			i++;
		}
		if (i >= len || s[i] != '/')
			return err(d, loc, s, i, 1, "expected '/' after the offset");
		i++;
		size_t vpos = i;
		while (i < len && (isxdigit((unsigned char)s[i]) || s[i] == '?'))
			i++;
		size_t vend = i;
		size_t mpos = 0, mend = 0;
		bool has_mask = false;
		if (i < len && s[i] == '%') {
			i++;
			has_mask = true;
			mpos = i;
			while (i < len && (isxdigit((unsigned char)s[i]) || s[i] == '?'))
				i++;
			mend = i;
		}
		if (vend - vpos < 2)
			return err(d, loc, s, vpos, vend - vpos, "value has less than 2 hex digits");
		if ((vend - vpos) % 2)
			return err(d, loc, s, vpos, vend - vpos, "value has odd number of hex digits");
		if (has_mask && mend - mpos != vend - vpos)
			return err(d, loc, s, mpos, mend - mpos, mend - mpos > vend - vpos
			           ? "mask has too many hex digits" : "mask has too few hex digits");
		size_t nbytes = (vend - vpos) / 2;
		if (off + nbytes > 0xffff)
			return err(d, loc, s, off_at, vpos - 1 - off_at, "offset out of range (at most 65535)");
		/* one atom per 4-byte-aligned word the value touches */
		struct flow_expr **words = arena_calloc(a, nbytes, sizeof *words);
		if (!words)
			return -ENOMEM;
		size_t nw = 0;
		uint32_t wv = 0, wm = 0;
		size_t wstart = (size_t)off;
		for (size_t k = 0; k < nbytes; k++) {
			int v1, m1, v2, m2;
			nibble(s[vpos + 2 * k], &v1, &m1);
			nibble(s[vpos + 2 * k + 1], &v2, &m2);
			int v = v1 << 4 | v2, m = m1 << 4 | m2;
			if (has_mask) {
				int a1, b1, a2, b2;
				nibble(s[mpos + 2 * k], &a1, &b1);
				nibble(s[mpos + 2 * k + 1], &a2, &b2);
				m &= (a1 << 4 | a2) & (b1 << 4 | b2);
			}
			size_t at = (size_t)off + k;
			wv = wv << 8 | (uint32_t)(v & m);
			wm = wm << 8 | (uint32_t)m;
			if ((at + 1) % 4 == 0 || k + 1 == nbytes) {
				uint8_t l = (uint8_t)(at + 1 - wstart);
				words[nw] = flow__atom(a, FLOW_BASE_DATA, (uint16_t)wstart, l,
				                       wm, FLOW_EQ, wv);
				if (!words[nw++])
					return -ENOMEM;
				wstart = at + 1;
				wv = wm = 0;
			}
		}
		struct flow_expr *c = flow__nary(a, FLOW_AND, words, nw);
		if (neg)
			c = flow__not(a, c);
		if (!c)
			return -ENOMEM;
		(void)start;
		if (ncl == cap) {
			size_t nc = cap ? cap * 2 : 8;
			struct flow_expr **ncl_v = arena_realloc(a, cl, cap * sizeof *cl, nc * sizeof *cl);
			if (!ncl_v)
				return -ENOMEM;
			cl = ncl_v;
			cap = nc;
		}
		cl[ncl++] = c;
	}
	struct flow_expr *e = flow__nary(a, FLOW_AND, cl, ncl);
	if (!e)
		return -ENOMEM;
	*out = e;
	return 0;
}

int flow_parse_classifier(const char *text, const struct src_loc *loc,
                          struct arena *a, struct diags *d, struct flow_expr **out)
{
	return parse_n(text ? text : "", text ? strlen(text) : 0, loc, a, d, out);
}
