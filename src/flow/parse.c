/* The IPFilter/IPClassifier pattern language, read the
 * way Click's elements/ip/ipfilter.cc reads it: the same tokens, grammar,
 * qualifier scan, name lookup, inheritance from the previous primitive,
 * checks and error texts, compiled into the flow_expr tree instead of
 * Click's word-compare program. Where Click negates a compiled comparison
 * ("!=", "<=", ...) it flips the short-packet branch too; we express that
 * by pushing the negation into the atoms (flow__negate_atoms), while the
 * "not" keyword is a plain NOT node. The first error stops the parse. */
#include "flow/internal.h"

#include "base/inet.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

enum {
	T_NONE = 0, T_TYPE = 1, T_SYNTAX = 2, T_INT = 3,
	T_HOST = 10, T_PROTO = 11, T_IPFRAG = 12, T_PORT = 13, T_TCPOPT = 14, T_ETHER = 15,
	T_NET = 30, T_IPUNFRAG = 31, T_IPECT = 32, T_IPCE = 33,
	T_FIELD = 0x40000000,
};
#define FIELD_PROTO_SHIFT 21
#define FIELD_PROTO_MASK (0x1FF << FIELD_PROTO_SHIFT)
#define FIELD_OFFSET_SHIFT 5
#define FIELD_OFFSET_MASK (0xFFFF << FIELD_OFFSET_SHIFT)
#define FIELD_LENGTH_MASK 0x1F
#define FIELD(proto, bitoff, nbits) \
	(T_FIELD | ((proto) << FIELD_PROTO_SHIFT) | ((bitoff) << FIELD_OFFSET_SHIFT) | ((nbits) - 1))
enum {
	F_IPLEN = FIELD(0, 16, 16), F_ID = FIELD(0, 32, 16), F_VERSION = FIELD(0, 0, 4),
	F_HL = FIELD(0, 4, 4), F_TOS = FIELD(0, 8, 8), F_DSCP = FIELD(0, 8, 6),
	F_TTL = FIELD(0, 64, 8), F_TCP_WIN = FIELD(6, 112, 16), F_ICMP_TYPE = FIELD(1, 0, 8),
};
#define UNKNOWN (-1000)
enum { SD_SRC = 1, SD_DST = 2, SD_AND = 3, SD_OR = 4 };
enum { OP_EQ = 0, OP_GT = 1, OP_LT = 2 };

struct tok { uint32_t off, len; };

struct prim {
	int type, data, op;
	bool op_negated;
	int srcdst, transp_proto;
	uint32_t u, mask;
	uint8_t eth[6], ethmask[6];
	int konst; /* -1, or the constant the relation always has (0/1) */
};

struct parser {
	const char *text;
	size_t len;
	const struct src_loc *loc;
	struct arena *a;
	struct diags *d;
	struct tok *t;
	size_t n;
	struct prim prev;
	int err;
	unsigned depth;
	size_t copied; /* nodes duplicated for ternary conditions so far */
	const struct flow_names *names; /* NULL: literal addresses only */
};

/* A ternary duplicates its condition; nested in conditions that doubles
 * per level, so the copies are budgeted (a hostile pattern must not make
 * the tree exponential). */
#define FLOW_MAX_COPIED 100000

static size_t count_nodes(const struct flow_expr *e, size_t limit)
{
	size_t n = 1;
	for (uint32_t i = 0; i < e->nkids && n <= limit; i++)
		n += count_nodes(e->kids[i], limit - n);
	return n;
}

static const struct { const char *s; int v; } type_words[] = {
	{"ce", T_IPCE}, {"dest", T_SYNTAX}, {"dscp", F_DSCP}, {"dst", T_SYNTAX},
	{"ect", T_IPECT}, {"ether", T_SYNTAX}, {"frag", T_IPFRAG}, {"hl", F_HL},
	{"host", T_HOST}, {"id", F_ID}, {"ip", T_SYNTAX}, {"len", F_IPLEN},
	{"net", T_NET}, {"not", T_SYNTAX}, {"opt", T_TCPOPT}, {"port", T_PORT},
	{"proto", T_PROTO}, {"src", T_SYNTAX}, {"tos", F_TOS}, {"ttl", F_TTL},
	{"type", F_ICMP_TYPE}, {"unfrag", T_IPUNFRAG}, {"vers", F_VERSION},
	{"win", F_TCP_WIN},
};

static void prim_clear(struct prim *p)
{
	memset(p, 0, sizeof *p);
	p->transp_proto = UNKNOWN;
	p->konst = -1;
}

/* ---- tokens and diagnostics ------------------------------------------- */

static bool is_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '/' || c == '@'
		|| c == '_' || c == ':';
}

static int tokenize(struct parser *p)
{
	p->t = arena_calloc(p->a, p->len + 1, sizeof *p->t);
	if (!p->t)
		return -ENOMEM;
	size_t i = 0;
	while (i < p->len) {
		while (i < p->len && isspace((unsigned char)p->text[i]))
			i++;
		if (i >= p->len)
			break;
		char c = p->text[i];
		size_t k = 1;
		if ((c == '&' || c == '|') && i + 1 < p->len && p->text[i + 1] == c)
			k = 2;
		else if ((c == '<' || c == '>' || c == '!' || c == '=') && i + 1 < p->len
		         && p->text[i + 1] == '=')
			k = 2;
		else if (is_word_char(c)) {
			while (i + k < p->len && is_word_char(p->text[i + k]))
				k++;
		}
		p->t[p->n++] = (struct tok){(uint32_t)i, (uint32_t)k};
		i += k;
	}
	return 0;
}

static bool is(const struct parser *p, size_t i, const char *s)
{
	return i < p->n && strlen(s) == p->t[i].len
		&& memcmp(p->text + p->t[i].off, s, p->t[i].len) == 0;
}

static const char *tstr(const struct parser *p, size_t i)
{
	if (i >= p->n)
		return "";
	return arena_strndup(p->a, p->text + p->t[i].off, p->t[i].len);
}

/* Report at tokens [from, to) (to == from: one token; from >= n: the end). */
static int perr(struct parser *p, size_t from, size_t to, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int perr(struct parser *p, size_t from, size_t to, const char *fmt, ...)
{
	if (p->err)
		return p->err;
	uint32_t at = from < p->n ? p->t[from].off : (uint32_t)p->len;
	uint32_t end = at + 1;
	if (from < p->n)
		end = p->t[from].off + p->t[from].len;
	if (to > from + 1 && to - 1 < p->n)
		end = p->t[to - 1].off + p->t[to - 1].len;
	struct src_loc l;
	if (p->loc)
		l = src_loc_advance(*p->loc, p->text, at);
	va_list ap;
	va_start(ap, fmt);
	diags_vadd(p->d, DIAG_ERROR, p->loc ? &l : NULL, end > at ? end - at : 1, fmt, ap);
	va_end(ap);
	p->err = -EINVAL;
	return p->err;
}

static void pwarn(struct parser *p, size_t from, size_t to, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void pwarn(struct parser *p, size_t from, size_t to, const char *fmt, ...)
{
	uint32_t at = from < p->n ? p->t[from].off : (uint32_t)p->len;
	uint32_t end = at + 1;
	if (to > from && to - 1 < p->n)
		end = p->t[to - 1].off + p->t[to - 1].len;
	struct src_loc l;
	if (p->loc)
		l = src_loc_advance(*p->loc, p->text, at);
	va_list ap;
	va_start(ap, fmt);
	diags_vadd(p->d, DIAG_WARNING, p->loc ? &l : NULL, end > at ? end - at : 1, fmt, ap);
	va_end(ap);
}

/* ---- values ------------------------------------------------------------- */

/* Click's IntArg: optional sign, 0x/0b/leading-0 bases, '_' between digits,
 * the whole word, and the result must fit (int32 when signed). */
static bool parse_int(const char *s, size_t n, bool is_signed, uint32_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && (s[i] == '+' || (is_signed && s[i] == '-'))) {
		neg = s[i] == '-';
		i++;
	}
	unsigned b = 10;
	if (i + 2 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		b = 16;
		i += 2;
	} else if (i + 2 < n && s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'B')) {
		b = 2;
		i += 2;
	} else if (i < n && s[i] == '0') {
		b = 8;
	}
	uint64_t v = 0;
	bool any = false, last_digit = false;
	for (; i < n; i++) {
		unsigned dv;
		char c = s[i];
		if (c == '_' && last_digit) {
			last_digit = false;
			continue;
		}
		if (c >= '0' && c <= '9')
			dv = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'z')
			dv = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'Z')
			dv = (unsigned)(c - 'A' + 10);
		else
			return false;
		if (dv >= b)
			return false;
		v = v * b + dv;
		if (v > 0xffffffffull)
			return false;
		any = last_digit = true;
	}
	if (!any || !last_digit)
		return false;
	if (is_signed) {
		if (neg ? v > 0x80000000ull : v > 0x7fffffffull)
			return false;
		*out = neg ? (uint32_t)(-(int64_t)v) : (uint32_t)v;
	} else {
		*out = (uint32_t)v;
	}
	return true;
}

static bool parse_ether(const char *s, size_t n, uint8_t out[6])
{
	/* six groups of two hex digits separated by ':' (or '-') */
	if (n != 17)
		return false;
	for (int g = 0; g < 6; g++) {
		const char *q = s + 3 * g;
		if (!isxdigit((unsigned char)q[0]) || !isxdigit((unsigned char)q[1]))
			return false;
		if (g < 5 && q[2] != ':' && q[2] != '-')
			return false;
		if (g > 0 && q[-1] != s[2])
			return false;
		unsigned v;
		sscanf(q, "%2x", &v);
		out[g] = (uint8_t)v;
	}
	return true;
}

static bool parse_prefix(const char *s, size_t n, uint32_t *addr, uint32_t *mask)
{
	const char *slash = memchr(s, '/', n);
	if (!slash)
		return false;
	struct inet_prefix pf;
	if (inet_parse_prefix(s, n, true, &pf) == 0) {
		*addr = pf.addr;
		*mask = inet_mask(pf.len);
		return true;
	}
	/* "A/M" with a dotted mask */
	uint32_t a, m;
	if (inet_parse_addr(s, (size_t)(slash - s), &a) == 0
	    && inet_parse_addr(slash + 1, n - (size_t)(slash - s) - 1, &m) == 0) {
		*addr = a & m;
		*mask = m;
		return true;
	}
	return false;
}

/* ---- names -------------------------------------------------------------- */

static const char *proto_name(int proto, char *buf, size_t n)
{
	switch (proto) {
	case UNKNOWN: return "";
	case 1: return "icmp";
	case 2: return "igmp";
	case 4: return "ipip";
	case 6: return "tcp";
	case 17: return "udp";
	case FLOW__PROTO_TCP_OR_UDP: return "tcpudp";
	case FLOW__PROTO_TRANSP: return "transp";
	case FLOW__PROTO_PAYLOAD: return "payload";
	default: snprintf(buf, n, "ip proto %d", proto); return buf;
	}
}

static const char *type_name(int srcdst, int type, char *buf, size_t n)
{
	const char *sd = srcdst == SD_SRC ? "src " : srcdst == SD_DST ? "dst "
		: srcdst == SD_OR ? "src or dst " : srcdst == SD_AND ? "src and dst " : "";
	const char *t;
	char pb[32];
	switch (type) {
	case T_NONE: t = "<none>"; break;
	case T_HOST: t = "ip host"; break;
	case T_PROTO: t = "proto"; break;
	case T_ETHER: t = "ether host"; break;
	case T_IPFRAG: t = "ip frag"; break;
	case T_PORT: t = "port"; break;
	case T_TCPOPT: t = "tcp opt"; break;
	case T_NET: t = "ip net"; break;
	case T_IPUNFRAG: t = "ip unfrag"; break;
	case T_IPECT: t = "ip ect"; break;
	case T_IPCE: t = "ip ce"; break;
	case F_IPLEN: t = "ip len"; break;
	case F_ID: t = "ip id"; break;
	case F_VERSION: t = "ip vers"; break;
	case F_HL: t = "ip hl"; break;
	case F_TOS: t = "ip tos"; break;
	case F_DSCP: t = "ip dscp"; break;
	case F_TTL: t = "ip ttl"; break;
	case F_TCP_WIN: t = "tcp win"; break;
	case F_ICMP_TYPE: t = "icmp type"; break;
	default:
		if (type & T_FIELD) {
			int pr = (type & FIELD_PROTO_MASK) >> FIELD_PROTO_SHIFT;
			snprintf(buf, n, "%s%s[...]", sd, pr ? proto_name(pr, pb, sizeof pb) : "ip");
			return buf;
		}
		t = "<unknown>";
	}
	snprintf(buf, n, "%s%s", sd, t);
	return buf;
}

/* Click's IPFilter::lookup: type words win; otherwise the protocol, port,
 * tcp-option and ICMP-type tables, filtered by what the primitive already
 * says; a name that fits none or several is an error (-2, reported when
 * `at` is a token index) and -1 means "not a name". */
static int lookup(struct parser *p, size_t at, int type, int proto, uint32_t *data, bool report)
{
	const char *w = p->text + p->t[at].off;
	size_t n = p->t[at].len;
	if (type == 0 || type == T_TYPE)
		for (size_t i = 0; i < sizeof type_words / sizeof type_words[0]; i++)
			if (strlen(type_words[i].s) == n && memcmp(type_words[i].s, w, n) == 0) {
				*data = (uint32_t)type_words[i].v;
				return type_words[i].v == T_SYNTAX ? -1 : T_TYPE;
			}
	bool got[5];
	uint32_t val[5] = {0};
	got[0] = flow__lookup_proto(w, n, &val[0]);
	got[1] = flow__lookup_port(w, n, &val[1]);
	got[2] = got[1];
	val[2] = val[1]; /* the built-in table is shared by TCP and UDP */
	got[3] = flow__lookup_tcpopt(w, n, &val[3]);
	got[4] = flow__lookup_icmptype(w, n, &val[4]);
	if (!got[0] && !got[1] && !got[3] && !got[4])
		return -1;
	static const int db2type[] = {T_PROTO, T_PORT, T_PORT, T_TCPOPT, F_ICMP_TYPE};
	bool tg[5];
	tg[0] = got[0] && (type == 0 || type == T_PROTO);
	tg[1] = got[1] && (type == 0 || type == T_PORT)
		&& (proto == UNKNOWN || proto == 6 || proto == FLOW__PROTO_TCP_OR_UDP);
	tg[2] = got[2] && (type == 0 || type == T_PORT)
		&& (proto == UNKNOWN || proto == 17 || proto == FLOW__PROTO_TCP_OR_UDP);
	tg[3] = got[3] && (type == 0 || type == T_TCPOPT)
		&& (proto == UNKNOWN || proto == 6 || proto == FLOW__PROTO_TCP_OR_UDP);
	tg[4] = got[4] && (type == 0 || type == F_ICMP_TYPE)
		&& (proto == UNKNOWN || proto == 1);
	if (tg[1] && tg[2] && val[1] == val[2])
		tg[2] = false;
	int ngot = tg[0] + tg[1] + tg[2] + tg[3] + tg[4];
	if (ngot == 1)
		for (int i = 0; i < 5; i++)
			if (tg[i]) {
				*data = val[i];
				return db2type[i];
			}
	if (report) {
		char tries[256] = "", b1[64], b2[32];
		char word[64];
		snprintf(word, sizeof word, "%.*s", (int)(n < 40 ? n : 40), w);
		for (int i = 0; i < 5; i++) {
			if (!got[i] || (i == 2 && got[1]))
				continue;
			const char *tn = type_name(0, db2type[i], b1, sizeof b1);
			const char *pn = i == 4 ? "" : "";
			size_t l = strlen(tries);
			snprintf(tries + l, sizeof tries - l, "%s'%s%s %s'", l ? ", " : "",
			         i == 3 ? "tcp opt" : i == 0 ? "proto" : tn, pn, word);
		}
		const char *tn = type == 0 ? "" : type_name(0, type, b1, sizeof b1);
		const char *pn = proto_name(proto, b2, sizeof b2);
		perr(p, at, at, "'%s%s%s%s%s' is %s; try %s", tn, *tn ? " " : "", pn,
		     *pn ? " " : "", word, ngot > 1 ? "ambiguous" : "meaningless", tries);
	}
	return -2;
}

/* ---- primitive checks (Click's Primitive::check) ------------------------ */

static int set_mask(struct parser *p, struct prim *pr, size_t f, size_t to,
                    uint32_t full_mask, uint32_t provided)
{
	char b[64];
	uint32_t data = pr->u;
	uint32_t this_mask = provided ? provided : full_mask;
	if ((this_mask & full_mask) != this_mask)
		return perr(p, f, to, "'%s': mask out of range, bound 0x%X",
		            type_name(pr->srcdst, pr->type, b, sizeof b), full_mask);
	if (pr->op == OP_GT || pr->op == OP_LT) {
		if ((pr->op == OP_LT && (data == 0 || data > this_mask))
		    || (pr->op == OP_GT && data >= this_mask)) {
			bool will_be = pr->op == OP_LT && data > this_mask ? !pr->op_negated
			                                                   : pr->op_negated;
			const char *opn = pr->op == OP_GT ? (pr->op_negated ? "<=" : ">")
			                                  : (pr->op_negated ? ">=" : "<");
			pwarn(p, f, to, "relation '%s %u' is always %s (range 0-%u)", opn, data,
			      will_be ? "true" : "false", this_mask);
			pr->konst = will_be;
			pr->op = OP_EQ;
			pr->op_negated = false;
			pr->mask = this_mask;
			return 0;
		}
		if (pr->op == OP_LT) { /* v < X  ==  !(v > X-1) */
			pr->u--;
			pr->op_negated = !pr->op_negated;
			pr->op = OP_GT;
		}
		pr->mask = this_mask;
		return 0;
	}
	if (data > full_mask)
		return perr(p, f, to, "'%s': value %u out of range, bound %u",
		            type_name(pr->srcdst, pr->type, b, sizeof b), data, full_mask);
	pr->mask = this_mask;
	return 0;
}

static int check(struct parser *p, struct prim *pr, int header, int mask_dt,
                 uint32_t mask_u, const uint8_t *mask_eth, size_t f, size_t to)
{
	const struct prim *prev = &p->prev;
	int old_srcdst = pr->srcdst;
	char b[64];
	if (pr->type < 0)
		return -EINVAL;
	if (!pr->type) {
	retry:
		switch (pr->data) {
		case T_HOST: case T_NET: case T_TCPOPT: case T_ETHER:
			pr->type = pr->data;
			if (!pr->srcdst)
				pr->srcdst = prev->srcdst;
			break;
		case T_PROTO:
			pr->type = T_PROTO;
			break;
		case T_PORT:
			pr->type = T_PORT;
			if (!pr->srcdst)
				pr->srcdst = prev->srcdst;
			if (pr->transp_proto == UNKNOWN)
				pr->transp_proto = prev->transp_proto;
			break;
		case T_INT:
			if (!(prev->type & T_FIELD) && prev->type != T_PROTO && prev->type != T_PORT)
				return perr(p, f, to, "specify header field or 'port'");
			pr->data = prev->type;
			goto retry;
		case T_NONE:
			if (pr->transp_proto != UNKNOWN)
				pr->type = T_PROTO;
			else
				return perr(p, f, to, "partial directive");
			break;
		default:
			if (pr->data & T_FIELD) {
				pr->type = pr->data;
				if ((pr->type & FIELD_PROTO_MASK) && pr->transp_proto == UNKNOWN)
					pr->transp_proto = (pr->type & FIELD_PROTO_MASK) >> FIELD_PROTO_SHIFT;
			} else
				return perr(p, f, to, "unknown type '%s'", type_name(0, pr->data, b, sizeof b));
		}
	}
	if (header == 0 && pr->data == T_ETHER)
		header = 'e';
	else if (header == 0)
		header = 'i';
	if (header == 'e' && pr->type == T_HOST)
		pr->type = T_ETHER;

#define TYPE_ERR(msg) perr(p, f, to, "'%s': %s", type_name(pr->srcdst, pr->type, b, sizeof b), msg)
	switch (pr->type) {
	case T_HOST:
		if (header != 'i' || pr->data != T_HOST)
			return TYPE_ERR("address missing");
		if (pr->op != OP_EQ)
			return TYPE_ERR("operator not supported");
		pr->mask = 0xffffffffu;
		goto set_host_mask;
	case T_NET:
		if (header != 'i' || pr->data != T_NET)
			return TYPE_ERR("address missing");
		if (pr->op != OP_EQ)
			return TYPE_ERR("operator not supported");
		pr->type = T_HOST;
	set_host_mask:
		if (mask_dt && mask_dt != T_INT && mask_dt != T_HOST)
			return TYPE_ERR("bad mask");
		else if (mask_dt)
			pr->mask = mask_u;
		break;
	case T_ETHER:
		if (header != 'e' || pr->data != T_ETHER)
			return TYPE_ERR("address missing");
		if (pr->op != OP_EQ)
			return TYPE_ERR("operator not supported");
		memset(pr->ethmask, 0xff, 6);
		if (mask_dt && mask_dt != T_ETHER)
			return TYPE_ERR("bad mask");
		else if (mask_dt)
			memcpy(pr->ethmask, mask_eth, 6);
		break;
	case T_PROTO:
		if (header != 'i')
			return TYPE_ERR("ip only");
		if (pr->data == T_INT || pr->data == T_PROTO) {
			if (pr->transp_proto != UNKNOWN && pr->transp_proto != (int)pr->u)
				return TYPE_ERR("specified twice");
			pr->data = T_NONE;
		} else
			pr->u = (uint32_t)pr->transp_proto;
		pr->transp_proto = UNKNOWN;
		if (pr->data != T_NONE || (int)pr->u == UNKNOWN)
			return TYPE_ERR("value missing");
		if ((int32_t)pr->u >= 256) {
			if (pr->op != OP_EQ || mask_dt) {
				char pb[32];
				return perr(p, f, to, "'%s': operator or mask not supported",
				            proto_name((int)pr->u, pb, sizeof pb));
			}
			pr->mask = 0xff;
		} else if (mask_dt && mask_dt != T_INT)
			return TYPE_ERR("bad mask");
		else if (set_mask(p, pr, f, to, 0xff, mask_dt ? mask_u : 0) < 0)
			return -EINVAL;
		if (pr->op == OP_EQ && pr->mask == 0xff && !pr->op_negated && pr->konst < 0)
			pr->transp_proto = (int)pr->u;
		break;
	case T_PORT:
		if (header != 'i')
			return TYPE_ERR("ip only");
		if (pr->data == T_INT)
			pr->data = T_PORT;
		if (pr->data != T_PORT)
			return TYPE_ERR("value missing");
		if (pr->transp_proto == UNKNOWN)
			pr->transp_proto = FLOW__PROTO_TCP_OR_UDP;
		else if (pr->transp_proto != 6 && pr->transp_proto != 17
		         && pr->transp_proto != FLOW__PROTO_TCP_OR_UDP && pr->transp_proto != 33)
			return perr(p, f, to, "'port': bad protocol %d", pr->transp_proto);
		else if (mask_dt && mask_dt != T_INT)
			return TYPE_ERR("bad mask");
		if (set_mask(p, pr, f, to, 0xffff, mask_dt ? mask_u : 0) < 0)
			return -EINVAL;
		break;
	case T_TCPOPT:
		if (header != 'i')
			return TYPE_ERR("ip only");
		if (pr->data == T_INT)
			pr->data = T_TCPOPT;
		if (pr->data != T_TCPOPT)
			return TYPE_ERR("value missing");
		if (pr->transp_proto == UNKNOWN)
			pr->transp_proto = 6;
		else if (pr->transp_proto != 6)
			return perr(p, f, to, "'tcp opt': bad protocol %d", pr->transp_proto);
		if (pr->op != OP_EQ || pr->op_negated || mask_dt)
			return TYPE_ERR("operator or mask not supported");
		if (pr->u > 255)
			return perr(p, f, to, "'tcp opt': value %d out of range", (int32_t)pr->u);
		pr->mask = pr->u;
		break;
	case T_IPECT:
		if (header != 'i')
			return TYPE_ERR("ip only");
		if (pr->data != T_NONE && pr->data != T_INT)
			return TYPE_ERR("value missing");
		if (pr->data == T_NONE) {
			pr->mask = 3;
			pr->u = 0;
			pr->op_negated = true;
		} else if (mask_dt && mask_dt != T_INT)
			return TYPE_ERR("bad mask");
		if (set_mask(p, pr, f, to, 0x3, mask_dt ? mask_u : 0) < 0)
			return -EINVAL;
		pr->type = F_TOS;
		break;
	case T_IPCE:
		if (header != 'i')
			return TYPE_ERR("ip only");
		if (pr->data != T_NONE || mask_dt)
			return TYPE_ERR("value not supported");
		pr->mask = 3;
		pr->u = 3;
		pr->type = F_TOS;
		break;
	case T_IPFRAG:
	case T_IPUNFRAG:
		if (header != 'i')
			return TYPE_ERR("ip only");
		if (pr->data != T_NONE || mask_dt)
			return TYPE_ERR("value not supported");
		if (pr->type == T_IPUNFRAG)
			pr->op_negated = true;
		pr->type = T_IPFRAG;
		break;
	default:
		if (pr->type & T_FIELD) {
			if (header != 'i')
				return TYPE_ERR("ip only");
			if (pr->data != T_INT && pr->data != pr->type)
				return TYPE_ERR("value missing");
			else if (mask_dt && mask_dt != T_INT && mask_dt != pr->type)
				return TYPE_ERR("bad mask");
			int nbits = (pr->type & FIELD_LENGTH_MASK) + 1;
			uint32_t xm = nbits == 32 ? 0xffffffffu : (1u << nbits) - 1;
			if (set_mask(p, pr, f, to, xm, mask_dt ? mask_u : 0) < 0)
				return -EINVAL;
		}
		break;
	}
#undef TYPE_ERR
	if (pr->type == T_HOST || pr->type == T_PORT || pr->type == T_ETHER) {
		if (pr->srcdst == 0)
			pr->srcdst = SD_OR;
	} else if (old_srcdst) {
		pwarn(p, f, to, "'%s': 'src' or 'dst' ignored", type_name(0, pr->type, b, sizeof b));
	}
	return 0;
}

/* ---- compiling a primitive into atoms ------------------------------------ */

static struct flow_expr *proto_expr(struct arena *a, int proto)
{
	if (proto == FLOW__PROTO_TCP_OR_UDP)
		return flow__or2(a, flow__atom(a, FLOW_BASE_IP, 9, 1, 0xff, FLOW_EQ, 6),
		                 flow__atom(a, FLOW_BASE_IP, 9, 1, 0xff, FLOW_EQ, 17));
	if (proto >= 256)
		return flow__const(a, true);
	return flow__atom(a, FLOW_BASE_IP, 9, 1, 0xff, FLOW_EQ, (uint32_t)proto);
}

/* The comparison of a bit field (bitoff, nbits from `base`) with the
 * primitive's op/value/mask; negated only when op_negate (as Click's
 * add_comparison_exprs). */
static struct flow_expr *field_cmp(struct arena *a, const struct prim *pr, enum flow_base base,
                                   unsigned bitoff, unsigned nbits, bool op_negate)
{
	if (pr->konst >= 0)
		return flow__const(a, pr->konst);
	unsigned byte = bitoff / 8, bitin = bitoff % 8;
	unsigned bytes = (bitin + nbits + 7) / 8;
	unsigned shift = bytes * 8 - bitin - nbits;
	uint64_t fm = nbits >= 32 ? 0xffffffffull : ((1ull << nbits) - 1);
	uint32_t m = (uint32_t)((pr->mask & fm) << shift);
	enum flow_op op;
	uint32_t v;
	if (pr->op == OP_GT) {
		v = (uint32_t)((uint64_t)(pr->u & fm) << shift);
		op = op_negate && pr->op_negated ? FLOW_LE : FLOW_GT;
	} else {
		v = (uint32_t)((uint64_t)(pr->u & pr->mask & fm) << shift);
		op = op_negate && pr->op_negated ? FLOW_NE : FLOW_EQ;
	}
	return flow__atom(a, base, (uint16_t)byte, (uint8_t)bytes, m, op, v);
}

static struct flow_expr *srcdst_combine(struct arena *a, const struct prim *pr,
                                        struct flow_expr *s, struct flow_expr *d)
{
	struct flow_expr *e;
	if (pr->srcdst == SD_SRC)
		e = s;
	else if (pr->srcdst == SD_DST)
		e = d;
	else if (pr->srcdst == SD_OR)
		e = flow__or2(a, s, d);
	else
		e = flow__and2(a, s, d);
	if (e && pr->op_negated)
		e = flow__negate_atoms(a, e);
	return e;
}

static struct flow_expr *ether_cmp(struct arena *a, const struct prim *pr, uint16_t off)
{
	uint32_t hv = 0, hm = 0, lv = 0, lm = 0;
	for (int i = 0; i < 4; i++) {
		hv = hv << 8 | (uint32_t)(pr->eth[i] & pr->ethmask[i]);
		hm = hm << 8 | pr->ethmask[i];
	}
	for (int i = 4; i < 6; i++) {
		lv = lv << 8 | (uint32_t)(pr->eth[i] & pr->ethmask[i]);
		lm = lm << 8 | pr->ethmask[i];
	}
	return flow__and2(a, flow__atom(a, FLOW_BASE_ETHER, off, 4, hm, FLOW_EQ, hv),
	                  flow__atom(a, FLOW_BASE_ETHER, (uint16_t)(off + 4), 2, lm, FLOW_EQ, lv));
}

static struct flow_expr *compile(struct arena *a, const struct prim *pr)
{
	struct flow_expr *k[3] = {NULL, NULL, NULL};
	size_t n = 0;
	if (pr->transp_proto != UNKNOWN)
		k[n++] = proto_expr(a, pr->transp_proto);
	if (pr->type == T_PORT || pr->type == T_TCPOPT
	    || ((pr->type & T_FIELD) && (pr->type & FIELD_PROTO_MASK)))
		k[n++] = flow__atom(a, FLOW_BASE_IP, 6, 2, 0x1fff, FLOW_EQ, 0);
	struct flow_expr *x = NULL;
	switch (pr->type) {
	case T_HOST: {
		struct prim c = *pr;
		c.op_negated = false;
		c.u &= c.mask;
		x = srcdst_combine(a, pr, field_cmp(a, &c, FLOW_BASE_IP, 96, 32, false),
		                   field_cmp(a, &c, FLOW_BASE_IP, 128, 32, false));
		break;
	}
	case T_ETHER:
		x = srcdst_combine(a, pr, ether_cmp(a, pr, 6), ether_cmp(a, pr, 0));
		break;
	case T_PROTO:
		if (pr->transp_proto == UNKNOWN)
			x = field_cmp(a, pr, FLOW_BASE_IP, 72, 8, true);
		break;
	case T_IPFRAG:
		x = flow__atom(a, FLOW_BASE_IP, 6, 2, 0x3fff, pr->op_negated ? FLOW_EQ : FLOW_NE, 0);
		break;
	case T_PORT:
		x = srcdst_combine(a, pr, field_cmp(a, pr, FLOW_BASE_TRANSP, 0, 16, false),
		                   field_cmp(a, pr, FLOW_BASE_TRANSP, 16, 16, false));
		break;
	case T_TCPOPT:
		x = flow__atom(a, FLOW_BASE_TRANSP, 13, 1, pr->mask, FLOW_EQ, pr->u & pr->mask);
		break;
	default:
		if (pr->type & T_FIELD) {
			unsigned bitoff = (unsigned)(pr->type & FIELD_OFFSET_MASK) >> FIELD_OFFSET_SHIFT;
			unsigned nbits = (unsigned)(pr->type & FIELD_LENGTH_MASK) + 1;
			x = field_cmp(a, pr, (pr->type & FIELD_PROTO_MASK) ? FLOW_BASE_TRANSP : FLOW_BASE_IP,
			              bitoff, nbits, true);
		}
		break;
	}
	if (x)
		k[n++] = x;
	return flow__nary(a, FLOW_AND, k, n);
}

/* ---- grammar -------------------------------------------------------------- */

static struct flow_expr *parse_expr(struct parser *p, size_t *pos);

static size_t parse_brackets(struct parser *p, struct prim *pr, size_t pos)
{
	size_t open = pos;
	size_t first = pos + 1;
	char comb[64];
	size_t cl = 0;
	bool toolong = false;
	for (pos++; pos < p->n && !is(p, pos, "]"); pos++) {
		if (cl + p->t[pos].len >= sizeof comb)
			toolong = true;
		else {
			memcpy(comb + cl, p->text + p->t[pos].off, p->t[pos].len);
			cl += p->t[pos].len;
		}
	}
	comb[cl] = 0;
	if (pos >= p->n) {
		perr(p, open, open, "missing ']'");
		return first;
	}
	size_t close = pos;
	pos++;
	uint32_t fp = 0, ln = 1;
	bool ok = false;
	char *colon = strchr(comb, ':'), *comma = strchr(comb, ',');
	if (!toolong) {
		if (colon && colon < comb + cl - 1) {
			ok = parse_int(comb, (size_t)(colon - comb), true, &fp)
				&& parse_int(colon + 1, strlen(colon + 1), true, &ln);
		} else if (comma && comma < comb + cl - 1) {
			uint32_t p2;
			ok = parse_int(comb, (size_t)(comma - comb), true, &fp)
				&& parse_int(comma + 1, strlen(comma + 1), true, &p2);
			if (ok)
				ln = (uint32_t)((int64_t)(int32_t)p2 - (int32_t)fp + 1);
		} else {
			ok = parse_int(comb, cl, true, &fp);
		}
	}
	if (!ok) {
		perr(p, open, close + 1, "syntax error after '[', expected '[POS]' or '[POS:LEN]'");
		return pos;
	}
	int32_t ifp = (int32_t)fp, iln = (int32_t)ln;
	if (iln < 1 || iln > 4)
		perr(p, open, close + 1, "LEN in '[POS:LEN]' out of range, should be between 1 and 4");
	else if (ifp < 0 || ifp > 8188)
		perr(p, open, close + 1, "POS in '[POS:LEN]' out of range, should be between 0 and 8188");
	else if ((ifp & ~3) != ((ifp + iln - 1) & ~3))
		perr(p, open, close + 1, "field [%d:%d] does not fit in a single word", ifp, iln);
	else {
		int transp = pr->transp_proto == UNKNOWN ? 0 : pr->transp_proto;
		if (pr->type)
			perr(p, open, close + 1, "type specified twice");
		pr->type = T_FIELD | (transp << FIELD_PROTO_SHIFT)
			| ((ifp * 8) << FIELD_OFFSET_SHIFT) | (iln * 8 - 1);
	}
	return pos;
}

static const char *word_or_end(struct parser *p, size_t pos)
{
	return pos + 1 >= p->n ? "" : tstr(p, pos);
}

static struct flow_expr *parse_test(struct parser *p, size_t *ppos, bool negated)
{
	size_t pos = *ppos;
	if (pos >= p->n || is(p, pos, ")") || is(p, pos, "||") || is(p, pos, "or")
	    || is(p, pos, "?") || is(p, pos, ":"))
		return NULL;
	if (is(p, pos, "true") || is(p, pos, "false")) {
		*ppos = pos + 1;
		return flow__const(p->a, is(p, pos, "true") != negated);
	}
	size_t first = pos;
	struct prim pr;
	prim_clear(&pr);
	int header = 0;
	for (; pos < p->n; pos++) {
		uint32_t wd;
		int wt = lookup(p, pos, 0, UNKNOWN, &wd, false);
		if (wt == T_TYPE) {
			if (pr.type)
				return perr(p, pos, pos, "type specified twice"), NULL;
			pr.type = (int)wd;
			if (((int)wd & T_FIELD) && ((int)wd & FIELD_PROTO_MASK)) {
				int tp = ((int)wd & FIELD_PROTO_MASK) >> FIELD_PROTO_SHIFT;
				if (pr.transp_proto != UNKNOWN && pr.transp_proto != tp)
					return perr(p, pos, pos, "transport protocol specified twice"), NULL;
				pr.transp_proto = tp;
			}
		} else if (wt == T_PROTO) {
			if (pr.transp_proto != UNKNOWN && pr.transp_proto != (int)wd)
				return perr(p, pos, pos, "transport protocol specified twice"), NULL;
			pr.transp_proto = (int)wd;
		} else if (wt != -1) {
			break;
		} else if (is(p, pos, "src")) {
			if (pr.srcdst)
				return perr(p, pos, pos, "'src' or 'dst' specified twice"), NULL;
			if (pos + 2 < p->n && (is(p, pos + 2, "dst") || is(p, pos + 2, "dest"))) {
				if (is(p, pos + 1, "and") || is(p, pos + 1, "&&")) {
					pr.srcdst = SD_AND;
					pos += 2;
				} else if (is(p, pos + 1, "or") || is(p, pos + 1, "||")) {
					pr.srcdst = SD_OR;
					pos += 2;
				} else
					pr.srcdst = SD_SRC;
			} else
				pr.srcdst = SD_SRC;
		} else if (is(p, pos, "dst") || is(p, pos, "dest")) {
			if (pr.srcdst)
				return perr(p, pos, pos, "'src' or 'dst' specified twice"), NULL;
			pr.srcdst = SD_DST;
		} else if (is(p, pos, "ip") || is(p, pos, "ether")) {
			if (header)
				break;
			header = p->text[p->t[pos].off];
		} else if (is(p, pos, "not") || is(p, pos, "!")) {
			negated = !negated;
		} else
			break;
	}
	if (pos != first)
		prim_clear(&p->prev);
	if (p->prev.data == T_ETHER)
		header = 'e';

	const char *wd = word_or_end(p, pos);
	if (!strcmp(wd, "[") && pos > first && pr.type == T_NONE) {
		pos = parse_brackets(p, &pr, pos);
		if (p->err)
			return NULL;
		wd = word_or_end(p, pos);
	}

	int mask_dt = 0;
	uint32_t mask_u = 0;
	uint8_t mask_eth[6] = {0};
	if (!strcmp(wd, "&") && pos + 1 < p->n) {
		const char *mw = p->text + p->t[pos + 1].off;
		size_t ml = p->t[pos + 1].len;
		if (parse_int(mw, ml, false, &mask_u))
			mask_dt = T_INT;
		else if (header != 'e' && inet_parse_addr(mw, ml, &mask_u) == 0)
			mask_dt = T_HOST;
		else if (header != 'i' && parse_ether(mw, ml, mask_eth))
			mask_dt = T_ETHER;
		if (mask_dt) {
			if (mask_dt != T_ETHER && !mask_u)
				return perr(p, pos + 1, pos + 1, "zero mask ignored"), NULL;
			pos += 2;
		}
		wd = word_or_end(p, pos);
	}

	size_t relop_at = pos;
	pos++;
	if (!strcmp(wd, "=") || !strcmp(wd, "=="))
		;
	else if (!strcmp(wd, "!="))
		pr.op_negated = true;
	else if (!strcmp(wd, ">"))
		pr.op = OP_GT;
	else if (!strcmp(wd, "<"))
		pr.op = OP_LT;
	else if (!strcmp(wd, ">=")) {
		pr.op = OP_LT;
		pr.op_negated = true;
	} else if (!strcmp(wd, "<=")) {
		pr.op = OP_GT;
		pr.op_negated = true;
	} else
		pos--;

	if (pos < p->n) {
		size_t at = pos;
		const char *w = p->text + p->t[at].off;
		size_t wl = p->t[at].len;
		uint32_t wdata;
		int wt = lookup(p, at, pr.type, pr.transp_proto, &wdata, true);
		pos++;
		uint32_t u32;
		if (wt == -2)
			return NULL;
		else if (wt != -1 && wt != T_TYPE) {
			pr.data = wt;
			pr.u = wdata;
		} else if (parse_int(w, wl, true, &u32)) {
			pr.data = T_INT;
			pr.u = u32;
		} else if (header != 'e' && inet_parse_addr(w, wl, &u32) == 0) {
			pr.u = u32;
			uint32_t m;
			if (pos + 1 < p->n && is(p, pos, "mask")
			    && inet_parse_addr(p->text + p->t[pos + 1].off, p->t[pos + 1].len, &m) == 0) {
				pos += 2;
				pr.mask = m;
				pr.data = T_NET;
			} else
				pr.data = T_HOST;
		} else if (header != 'e' && parse_prefix(w, wl, &pr.u, &pr.mask)) {
			pr.data = T_NET;
		} else if (header != 'i' && parse_ether(w, wl, pr.eth)) {
			pr.data = T_ETHER;
		} else if (header != 'e' && p->names && p->names->ip && p->names->ip(p->names->ud, w, wl, &u32)) {
			pr.u = u32; /* an AddressInfo name, read as an address first (Click) */
			pr.data = T_HOST;
		} else if (header != 'e' && p->names && p->names->prefix
		           && p->names->prefix(p->names->ud, w, wl, &pr.u, &pr.mask)) {
			pr.data = T_NET;
		} else if (header != 'i' && p->names && p->names->ether && p->names->ether(p->names->ud, w, wl, pr.eth)) {
			pr.data = T_ETHER;
		} else {
			if (pr.op != OP_EQ || pr.op_negated)
				return perr(p, relop_at, relop_at, "dangling operator near '%s'",
				            tstr(p, at)), NULL;
			pos--;
		}
	}
	if (pos == first) {
		perr(p, pos, pos, "empty term near '%s'", word_or_end(p, pos)[0] ? word_or_end(p, pos) : tstr(p, pos));
		return NULL;
	}
	if (check(p, &pr, header, mask_dt, mask_u, mask_eth, first, pos) < 0)
		return NULL;
	struct flow_expr *e = compile(p->a, &pr);
	if (e && negated)
		e = flow__not(p->a, e);
	if (!e) {
		p->err = -ENOMEM;
		return NULL;
	}
	p->prev = pr;
	*ppos = pos;
	return e;
}

static struct flow_expr *parse_factor(struct parser *p, size_t *pos, bool negated)
{
	if (++p->depth > FLOW_MAX_DEPTH) {
		perr(p, *pos, *pos, "expression nested too deeply (more than %d levels)", FLOW_MAX_DEPTH);
		return NULL;
	}
	struct flow_expr *e = NULL;
	size_t at = *pos;
	if (is(p, at, "not") || is(p, at, "!")) {
		*pos = at + 1;
		e = parse_factor(p, pos, !negated);
		if (!e && !p->err)
			perr(p, at + 1, at + 1, "missing expression after '%s'", tstr(p, at));
	} else if (is(p, at, "(")) {
		*pos = at + 1;
		e = parse_expr(p, pos);
		if (!e && !p->err)
			perr(p, at + 1, at + 1, "missing expression after '('");
		else if (e && !is(p, *pos, ")"))
			perr(p, *pos, *pos, "missing ')'");
		else if (e) {
			(*pos)++;
			if (negated)
				e = flow__not(p->a, e);
		}
	} else {
		e = parse_test(p, pos, negated);
	}
	p->depth--;
	return p->err ? NULL : e;
}

static struct flow_expr *parse_term(struct parser *p, size_t *pos)
{
	struct flow_expr **v = NULL;
	size_t n = 0, cap = 0;
	bool required = true;
	for (;;) {
		size_t before = *pos;
		struct flow_expr *f = parse_factor(p, pos, false);
		if (p->err)
			return NULL;
		if (!f || *pos == before) {
			if (required)
				perr(p, *pos, *pos, "missing expression");
			break;
		}
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 4;
			struct flow_expr **nv = arena_realloc(p->a, v, cap * sizeof *v, nc * sizeof *v);
			if (!nv)
				return p->err = -ENOMEM, NULL;
			v = nv;
			cap = nc;
		}
		v[n++] = f;
		if (is(p, *pos, "and") || is(p, *pos, "&&")) {
			required = true;
			(*pos)++;
		} else
			required = false;
	}
	if (p->err)
		return NULL;
	return flow__nary(p->a, FLOW_AND, v, n);
}

/* The terms of an `or` chain are collected first and joined by one
 * flow__nary: folding them pairwise copied the growing node's children at
 * every step, quadratic in time and arena bytes (a 9,000-term IPFilter took
 * seconds and hundreds of MB; issue 12). The tree is the same. */
static struct flow_expr *parse_orexpr(struct parser *p, size_t *pos)
{
	struct flow_expr *first = parse_term(p, pos);
	struct flow_expr **v = &first;
	size_t n = 1, cap = 1;
	while (first && (is(p, *pos, "or") || is(p, *pos, "||"))) {
		(*pos)++;
		struct flow_expr *t = parse_term(p, pos);
		if (!t)
			return NULL;
		if (n == cap) {
			size_t nc = 2 * cap + 2;
			struct flow_expr **nv = arena_alloc(p->a, nc * sizeof *nv);
			if (!nv)
				return p->err = -ENOMEM, NULL;
			memcpy(nv, v, n * sizeof *v);
			v = nv;
			cap = nc;
		}
		v[n++] = t;
	}
	if (p->err || !first)
		return NULL;
	struct flow_expr *e = n == 1 ? first : flow__nary(p->a, FLOW_OR, v, n);
	if (!e)
		p->err = -ENOMEM;
	return e;
}

/* expr = orexpr { "?" expr ":" orexpr }: x0 ? x1 : x2 ? x3 : x4 ... means
 * (x0 && x1) || (!x0 && (x2 ? x3 : x4 ...)), as Click's c_ternary. */
static struct flow_expr *parse_expr(struct parser *p, size_t *pos)
{
	if (++p->depth > FLOW_MAX_DEPTH) {
		perr(p, *pos, *pos, "expression nested too deeply (more than %d levels)", FLOW_MAX_DEPTH);
		return NULL;
	}
	struct flow_expr *first = parse_orexpr(p, pos);
	struct flow_expr **x = &first;
	size_t n = 1, cap = 1;
	while (!p->err && is(p, *pos, "?")) {
		if (n + 2 > cap) {
			size_t nc = cap * 2 + 2;
			struct flow_expr **nx = arena_alloc(p->a, nc * sizeof *nx);
			if (!nx) {
				p->err = -ENOMEM;
				break;
			}
			memcpy(nx, x, n * sizeof *x);
			x = nx;
			cap = nc;
		}
		size_t q = ++(*pos);
		x[n++] = parse_expr(p, pos);
		if (p->err)
			break;
		if (*pos == q || !is(p, *pos, ":")) {
			perr(p, *pos, *pos, "missing ':' in ternary expression");
			break;
		}
		(*pos)++;
		x[n++] = parse_orexpr(p, pos);
	}
	p->depth--;
	if (p->err)
		return NULL;
	struct flow_expr *r = x[n - 1];
	for (size_t i = n - 1; i >= 2; i -= 2) {
		/* x[i-2] ? x[i-1] : r */
		struct flow_expr *c = x[i - 2];
		p->copied += count_nodes(c, FLOW_MAX_COPIED);
		if (p->copied > FLOW_MAX_COPIED) {
			perr(p, *pos, *pos, "expression too large (ternary conditions nested too deeply)");
			return NULL;
		}
		struct flow_expr *c2 = flow__copy(p->a, c);
		r = flow__or2(p->a, flow__and2(p->a, c, x[i - 1]),
		              flow__and2(p->a, flow__not(p->a, c2), r));
		if (!r)
			return p->err = -ENOMEM, NULL;
	}
	return r;
}

static int parse_text(const char *text, size_t len, const struct src_loc *loc, struct arena *a,
                      struct diags *d, const struct flow_names *names, struct flow_expr **out)
{
	struct parser p = {.text = text ? text : "", .len = text ? len : 0, .loc = loc, .a = a, .d = d,
	                   .names = names};
	prim_clear(&p.prev);
	if (tokenize(&p) < 0)
		return -ENOMEM;
	if (p.n == 0) {
		perr(&p, 0, 0, "empty pattern");
		return -EINVAL;
	}
	if (p.n == 1 && (is(&p, 0, "-") || is(&p, 0, "any") || is(&p, 0, "all"))) {
		*out = flow__const(a, true);
		return *out ? 0 : -ENOMEM;
	}
	size_t pos = 0;
	struct flow_expr *e = parse_expr(&p, &pos);
	if (!p.err && pos < p.n)
		perr(&p, pos, pos, "garbage after expression at '%s'", tstr(&p, pos));
	if (p.err)
		return p.err;
	if (!e)
		return arena_exhausted(a) ? -ENOMEM : -EINVAL;
	*out = e;
	return 0;
}

int flow_parse_n(const char *text, size_t len, const struct src_loc *loc,
                 struct arena *a, struct diags *d, struct flow_expr **out)
{
	return parse_text(text, len, loc, a, d, NULL, out);
}

int flow_parse(const char *text, const struct src_loc *loc, struct arena *a,
               struct diags *d, struct flow_expr **out)
{
	return parse_text(text, text ? strlen(text) : 0, loc, a, d, NULL, out);
}

int flow_parse_names(const char *text, const struct src_loc *loc, struct arena *a, struct diags *d,
                     const struct flow_names *names, struct flow_expr **out)
{
	return parse_text(text, text ? strlen(text) : 0, loc, a, d, names, out);
}
