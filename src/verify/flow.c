/* Symbolic packets: fields as terms over variables with interval domains,
 * writes that record their hop, exact splits on flow expressions. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "verify/internal.h"

static const struct {
	const char *name;
	uint8_t width;
} fields[SYM_NFIELDS] = {
	[SYM_F_VHL] = {"vhl", 8},         [SYM_F_TOS] = {"tos", 8},
	[SYM_F_LEN] = {"len", 16},        [SYM_F_ID] = {"id", 16},
	[SYM_F_OFF] = {"frag", 16},       [SYM_F_TTL] = {"ttl", 8},
	[SYM_F_PROTO] = {"proto", 8},     [SYM_F_SRC] = {"src", 32},
	[SYM_F_DST] = {"dst", 32},        [SYM_F_SPORT] = {"sport", 16},
	[SYM_F_DPORT] = {"dport", 16},    [SYM_F_TCPFLAGS] = {"tcpflags", 8},
	[SYM_F_PAYLOAD] = {"payload", 32}, [SYM_F_PAINT] = {"paint", 8},
	[SYM_F_DSTANNO] = {"dst_anno", 32},
};

static const char *const var_names[SYM_NFIELDS] = {
	"VHL", "TOS", "LEN", "ID", "FRAG", "TTL", "PROTO", "SRC", "DST", "SPORT", "DPORT", "FLAGS",
	"DATA", "PAINT", "ANNO",
};

unsigned sym_field_width(enum sym_field f)
{
	return f < SYM_NFIELDS ? fields[f].width : 32;
}

const char *sym_field_name(enum sym_field f)
{
	return f < SYM_NFIELDS ? fields[f].name : "?";
}

static uint32_t wmask(unsigned w)
{
	return w >= 32 ? 0xffffffffu : (1u << w) - 1;
}

static void fail(struct sym_ctx *cx, int err)
{
	if (!cx->err)
		cx->err = err;
}

/* ---- allocation ------------------------------------------------------------ */

struct sym_flow *sym__new(struct sym_ctx *cx)
{
	struct sym_flow *f = cx->free;
	if (f) {
		cx->free = f->next_free;
		struct sym_var *vars = f->vars;
		uint32_t cap = f->capvars;
		memset(f, 0, sizeof *f);
		f->vars = vars;
		f->capvars = cap;
	} else {
		f = arena_alloc(cx->a, sizeof *f);
		if (!f) {
			fail(cx, -ENOMEM);
			return NULL;
		}
	}
	cx->nflows++;
	return f;
}

void sym__free(struct sym_ctx *cx, struct sym_flow *f)
{
	if (!f)
		return;
	f->next_free = cx->free;
	cx->free = f;
}

static bool ensure_vars(struct sym_ctx *cx, struct sym_flow *f, uint32_t n)
{
	if (n <= f->capvars)
		return true;
	uint32_t cap = f->capvars ? f->capvars * 2 : 32;
	while (cap < n)
		cap *= 2;
	struct sym_var *v = arena_alloc(cx->a, (size_t)cap * sizeof *v);
	if (!v) {
		fail(cx, -ENOMEM);
		return false;
	}
	if (f->nvars)
		memcpy(v, f->vars, (size_t)f->nvars * sizeof *v);
	f->vars = v;
	f->capvars = cap;
	return true;
}

struct sym_flow *sym_clone(struct sym_ctx *cx, const struct sym_flow *f)
{
	struct sym_flow *c = sym__new(cx);
	if (!c)
		return NULL;
	struct sym_var *vars = c->vars;
	uint32_t cap = c->capvars;
	memcpy(c, f, sizeof *c);
	c->vars = vars;
	c->capvars = cap;
	c->next_free = NULL;
	c->nvars = 0;
	if (!ensure_vars(cx, c, f->nvars)) {
		sym__free(cx, c);
		return NULL;
	}
	if (f->nvars)
		memcpy(c->vars, f->vars, (size_t)f->nvars * sizeof *c->vars);
	c->nvars = f->nvars;
	return c;
}

uint32_t sym__newvar(struct sym_ctx *cx, struct sym_flow *f, const char *name, unsigned width,
                     const struct sym_iset *dom)
{
	if (!ensure_vars(cx, f, f->nvars + 1))
		return 0;
	if (!dom)
		dom = iset_full(cx->a, width);
	struct sym_var *v = &f->vars[f->nvars++];
	v->name = name;
	v->width = (uint8_t)width;
	v->dom = dom;
	return f->nvars;
}

static const char *fresh_name(struct sym_ctx *cx, struct sym_flow *f, const char *hint)
{
	char up[32];
	size_t i = 0;
	for (; hint[i] && i < sizeof up - 1; i++)
		up[i] = (hint[i] >= 'a' && hint[i] <= 'z') ? (char)(hint[i] - 32) : hint[i];
	up[i] = 0;
	return arena_printf(cx->a, "%s#%u", up, f->nvars + 1);
}

struct sym_flow *sym__fresh(struct sym_ctx *cx)
{
	struct sym_flow *f = sym__new(cx);
	if (!f)
		return NULL;
	f->nlayers = 1;
	f->l[0].has_l4 = true;
	for (int i = 0; i < SYM_NLAYER_FIELDS; i++) {
		const struct sym_iset *dom = i == SYM_F_VHL ? iset_range(cx->a, 0x45, 0x4f) : NULL;
		f->l[0].f[i].var = sym__newvar(cx, f, var_names[i], fields[i].width, dom);
	}
	f->pf[SYM_F_PAYLOAD - SYM_NLAYER_FIELDS].var =
		sym__newvar(cx, f, var_names[SYM_F_PAYLOAD], 32, NULL);
	f->pf[SYM_F_PAINT - SYM_NLAYER_FIELDS].var = sym__newvar(cx, f, var_names[SYM_F_PAINT], 8, NULL);
	/* devices deliver packets as after CheckIPHeader: dst annotation = dst */
	f->pf[SYM_F_DSTANNO - SYM_NLAYER_FIELDS] = f->l[0].f[SYM_F_DST];
	f->entry_src = f->l[0].f[SYM_F_SRC];
	f->entry_dst = f->l[0].f[SYM_F_DST];
	return f;
}

/* ---- fields ------------------------------------------------------------------ */

struct sym_term *sym__field(struct sym_flow *f, enum sym_field fld, uint32_t **def)
{
	if (fld < SYM_NLAYER_FIELDS) {
		if (def)
			*def = &f->l[f->anno].def[fld];
		return &f->l[f->anno].f[fld];
	}
	if (def)
		*def = &f->pdef[fld - SYM_NLAYER_FIELDS];
	return &f->pf[fld - SYM_NLAYER_FIELDS];
}

struct sym_term sym_get(const struct sym_flow *f, enum sym_field fld)
{
	return *sym__field((struct sym_flow *)f, fld, NULL);
}

bool sym_get_const(const struct sym_flow *f, enum sym_field fld, uint32_t *v)
{
	struct sym_term t = sym_get(f, fld);
	if (t.var) {
		const struct sym_iset *d = f->vars[t.var - 1].dom;
		if (d->n == 1 && d->v[0].lo == d->v[0].hi) {
			*v = (d->v[0].lo + t.k) & wmask(sym_field_width(fld));
			return true;
		}
		return false;
	}
	*v = t.k;
	return true;
}

const struct sym_iset *sym__term_values(struct sym_ctx *cx, const struct sym_flow *f,
                                        struct sym_term t, unsigned width)
{
	if (!t.var)
		return iset_range(cx->a, t.k & wmask(width), t.k & wmask(width));
	return iset_shift(cx->a, f->vars[t.var - 1].dom, t.k, width);
}

const struct sym_iset *sym_values(struct sym_ctx *cx, const struct sym_flow *f, enum sym_field fld)
{
	return sym__term_values(cx, f, sym_get(f, fld), sym_field_width(fld));
}

bool sym__restrict(struct sym_ctx *cx, struct sym_flow *f, struct sym_term t, unsigned width,
                   const struct sym_iset *set)
{
	if (!set) {
		fail(cx, -ENOMEM);
		return false;
	}
	if (!t.var)
		return sym_iset_contains(set, t.k & wmask(width));
	struct sym_var *v = &f->vars[t.var - 1];
	const struct sym_iset *back = iset_shift(cx->a, set, (uint32_t)(-(int64_t)t.k), width);
	if (!back) {
		fail(cx, -ENOMEM);
		return false;
	}
	/* a variable is as wide as the fields it was made for */
	const struct sym_iset *nd = iset_and(cx->a, v->dom, back);
	if (!nd) {
		fail(cx, -ENOMEM);
		return false;
	}
	if (nd->n == 0)
		return false;
	v->dom = nd;
	return true;
}

static void wrote(struct sym_flow *f, enum sym_field fld)
{
	uint32_t *def;
	sym__field(f, fld, &def);
	*def = f->nhops;
}

void sym_set_term(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld, struct sym_term t)
{
	(void)cx;
	t.k &= wmask(sym_field_width(fld));
	*sym__field(f, fld, NULL) = t;
	wrote(f, fld);
}

void sym_set_const(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld, uint32_t v)
{
	sym_set_term(cx, f, fld, sym_const(v));
}

void sym_set_range(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld, uint32_t lo,
                   uint32_t hi, const char *hint)
{
	if (lo == hi) {
		sym_set_const(cx, f, fld, lo);
		return;
	}
	unsigned w = sym_field_width(fld);
	struct sym_term t = {sym__newvar(cx, f, fresh_name(cx, f, hint), w, iset_range(cx->a, lo, hi)), 0};
	sym_set_term(cx, f, fld, t);
}

void sym_set_fresh(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld, const char *hint)
{
	unsigned w = sym_field_width(fld);
	struct sym_term t = {sym__newvar(cx, f, fresh_name(cx, f, hint), w, NULL), 0};
	sym_set_term(cx, f, fld, t);
}

void sym_copy(struct sym_ctx *cx, struct sym_flow *f, enum sym_field dst, enum sym_field src)
{
	sym_set_term(cx, f, dst, sym_get(f, src));
}

void sym_swap(struct sym_ctx *cx, struct sym_flow *f, enum sym_field a, enum sym_field b)
{
	struct sym_term ta = sym_get(f, a), tb = sym_get(f, b);
	sym_set_term(cx, f, a, tb);
	sym_set_term(cx, f, b, ta);
}

void sym_add(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld, int32_t delta)
{
	struct sym_term t = sym_get(f, fld);
	t.k = (uint32_t)((int64_t)t.k + delta);
	sym_set_term(cx, f, fld, t);
}

void sym_approx(struct sym_ctx *cx, struct sym_flow *f, const char *why)
{
	(void)cx;
	if (!f->approx)
		f->approx = why;
}

void sym_state_push(struct sym_ctx *cx, struct sym_flow *f, const struct sym_state *r)
{
	struct sym_state *n = arena_alloc(cx->a, sizeof *n);
	if (!n) {
		fail(cx, -ENOMEM);
		return;
	}
	*n = *r;
	n->next = f->state;
	f->state = n;
	f->nstate++;
}

const struct sym_state *sym_state_first(const struct sym_flow *f)
{
	return f->state;
}

void sym_flows_push(struct sym_ctx *cx, struct sym_flows *l, struct sym_flow *f)
{
	if (!f)
		return;
	if (l->n == l->cap) {
		uint32_t nc = l->cap ? l->cap * 2 : 8;
		struct sym_flow **nv = arena_alloc(cx->a, (size_t)nc * sizeof *nv);
		if (!nv) {
			fail(cx, -ENOMEM);
			sym__free(cx, f);
			return;
		}
		if (l->n)
			memcpy(nv, l->v, (size_t)l->n * sizeof *nv);
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n++] = f;
}

/* ---- splitting on one field ------------------------------------------------------ */

static void split_term(struct sym_ctx *cx, struct sym_flow *f, struct sym_term t, unsigned width,
                       uint32_t cbit, const struct sym_iset *set, struct sym_flow **in,
                       struct sym_flow **out)
{
	*in = *out = NULL;
	if (!set) {
		fail(cx, -ENOMEM);
		sym__free(cx, f);
		return;
	}
	if (!t.var) {
		if (sym_iset_contains(set, t.k & wmask(width)))
			*in = f;
		else
			*out = f;
		return;
	}
	const struct sym_iset *vals = sym__term_values(cx, f, t, width);
	const struct sym_iset *yes = vals ? iset_and(cx->a, vals, set) : NULL;
	if (!yes) {
		fail(cx, -ENOMEM);
		sym__free(cx, f);
		return;
	}
	if (yes->n == 0) {
		*out = f;
		return;
	}
	if (iset_equal(yes, vals)) {
		*in = f;
		return;
	}
	struct sym_flow *g = sym_clone(cx, f);
	if (!g) {
		sym__free(cx, f);
		return;
	}
	sym__restrict(cx, f, t, width, set);
	f->cmask |= cbit;
	sym__restrict(cx, g, t, width, iset_not(cx->a, set, width));
	g->cmask |= cbit;
	*in = f;
	*out = g;
}

void sym_split_set(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld,
                   const struct sym_iset *set, struct sym_flow **in, struct sym_flow **out)
{
	split_term(cx, f, sym_get(f, fld), sym_field_width(fld), 1u << fld, set, in, out);
}

void sym_split_range(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld, uint32_t lo,
                     uint32_t hi, struct sym_flow **in, struct sym_flow **out)
{
	sym_split_set(cx, f, fld, iset_range(cx->a, lo, hi), in, out);
}

void sym_split_transport(struct sym_ctx *cx, struct sym_flow *f, uint32_t n,
                         struct sym_flow **at_least, struct sym_flow **fewer,
                         struct sym_flow **maybe)
{
	*at_least = *fewer = *maybe = NULL;
	const struct sym_iset *vhl = sym_values(cx, f, SYM_F_VHL);
	uint32_t ihl_min = 15, ihl_max = 0;
	for (uint32_t i = 0; vhl && i < vhl->n; i++) {
		if (vhl->v[i].hi - vhl->v[i].lo >= 15) {
			ihl_min = 0;
			ihl_max = 15;
			break;
		}
		for (uint32_t v = vhl->v[i].lo;; v++) {
			ihl_min = (v & 15) < ihl_min ? (v & 15) : ihl_min;
			ihl_max = (v & 15) > ihl_max ? (v & 15) : ihl_max;
			if (v == vhl->v[i].hi)
				break;
		}
	}
	if (ihl_min > ihl_max)
		ihl_min = ihl_max = 5; /* VHL has no value: the flow is empty anyway */
	struct sym_flow *rest = NULL;
	sym_split_range(cx, f, SYM_F_LEN, ihl_max * 4 + n, 0xffff, at_least, &rest);
	if (rest && ihl_min * 4 + n > 0)
		sym_split_range(cx, rest, SYM_F_LEN, 0, ihl_min * 4 + n - 1, fewer, maybe);
	else
		*maybe = rest;
	if (*maybe)
		sym_approx(cx, *maybe, "transport length depends on the IP header length (options)");
}

/* ---- flow expressions ------------------------------------------------------------ */

/* Where header bytes live: IP offsets 0..19 of a layer, transport 0..3
 * and 13. */
struct fspan {
	int8_t field; /* -1: raw */
	uint8_t off;  /* first byte of the field at that offset */
	uint8_t len;
};

static struct fspan ip_byte(unsigned o)
{
	static const struct fspan t[20] = {
		{SYM_F_VHL, 0, 1}, {SYM_F_TOS, 1, 1}, {SYM_F_LEN, 2, 2}, {SYM_F_LEN, 2, 2},
		{SYM_F_ID, 4, 2}, {SYM_F_ID, 4, 2}, {SYM_F_OFF, 6, 2}, {SYM_F_OFF, 6, 2},
		{SYM_F_TTL, 8, 1}, {SYM_F_PROTO, 9, 1}, {-1, 10, 2}, {-1, 10, 2},
		{SYM_F_SRC, 12, 4}, {SYM_F_SRC, 12, 4}, {SYM_F_SRC, 12, 4}, {SYM_F_SRC, 12, 4},
		{SYM_F_DST, 16, 4}, {SYM_F_DST, 16, 4}, {SYM_F_DST, 16, 4}, {SYM_F_DST, 16, 4},
	};
	if (o < 20)
		return t[o];
	return (struct fspan){-1, (uint8_t)(o > 255 ? 255 : o), 1};
}

static struct fspan tr_byte(unsigned o)
{
	if (o < 2)
		return (struct fspan){SYM_F_SPORT, 0, 2};
	if (o < 4)
		return (struct fspan){SYM_F_DPORT, 2, 2};
	if (o == 13)
		return (struct fspan){SYM_F_TCPFLAGS, 13, 1};
	return (struct fspan){-1, (uint8_t)(o > 255 ? 255 : o), 1};
}

/* One constraint on one field (or raw location) derived from an atom. */
struct subc {
	int field;           /* -1: raw */
	uint8_t base;
	uint16_t roff;
	uint8_t rlen;
	unsigned shift;
	uint32_t mask, value;
};

static bool ihl_is_5(const struct sym_flow *f)
{
	uint32_t v;
	return sym_get_const(f, SYM_F_VHL, &v) && v == 0x45;
}

/* The term for a raw location, created on first use. NULL term (var 0,
 * k 1) when none can be had. */
static bool raw_term(struct sym_ctx *cx, struct sym_flow *f, uint8_t base, uint16_t off, uint8_t len,
                     struct sym_term *t)
{
	for (uint32_t i = 0; i < f->nraw; i++)
		if (f->raw[i].base == base && f->raw[i].off == off && f->raw[i].len == len) {
			t->var = f->raw[i].var;
			t->k = 0;
			return true;
		}
	for (uint32_t i = 0; i < f->nraw; i++)
		if (f->raw[i].base == base && f->raw[i].off < off + len && off < f->raw[i].off + f->raw[i].len)
			sym_approx(cx, f, "overlapping unmodelled header bytes are read as independent");
	if (f->nraw == SYM_MAX_RAW)
		return false;
	const char *name = arena_printf(cx->a, "%s[%u:%u]", base == FLOW_BASE_IP ? "ip" : "transp",
	                                (unsigned)off, (unsigned)len);
	uint32_t v = sym__newvar(cx, f, name, len * 8u, NULL);
	if (!v)
		return false;
	f->raw[f->nraw++] = (struct sym_raw){base, len, off, v};
	t->var = v;
	t->k = 0;
	return true;
}

/* Decompose an atom into per-field constraints. Returns the count, 0 when
 * it is false on every packet (no such header), -1 when it cannot be
 * decomposed exactly (then the caller treats it as unknown). */
static int decompose(struct sym_ctx *cx, struct sym_flow *f, const struct flow_atom *a,
                     struct subc *out, bool *never)
{
	*never = false;
	int base = a->base;
	int off = a->off;
	if (base == FLOW_BASE_ETHER) {
		*never = true; /* no link-layer header in this model */
		return 0;
	}
	const struct sym_layer *L = &f->l[f->anno];
	if (base == FLOW_BASE_DATA) {
		/* data offset -> IP offset of the annotated layer */
		int32_t start = 0;
		for (uint32_t i = 0; i < f->anno; i++) {
			if (!f->l[i].hlen)
				return -1;
			start += f->l[i].hlen;
		}
		off = f->data_off + off - start;
		if (off < 0)
			return -1;
		base = FLOW_BASE_IP;
	}
	if (base == FLOW_BASE_IP && off >= 20) {
		if (!L->has_l4 || !ihl_is_5(f))
			return -1;
		base = FLOW_BASE_TRANSP;
		off -= 20;
	}
	if (base == FLOW_BASE_TRANSP && !L->has_l4)
		return -1;
	int n = 0;
	for (int i = 0; i < a->len;) {
		unsigned o = (unsigned)(off + i);
		struct fspan sp = base == FLOW_BASE_IP ? ip_byte(o) : tr_byte(o);
		/* bytes of this atom inside this span */
		int first = i;
		int span_end = sp.field >= 0 ? sp.off + sp.len : (int)o + 1;
		while (i < a->len && off + i < span_end)
			i++;
		/* raw bytes: extend over consecutive raw bytes */
		if (sp.field < 0) {
			while (i < a->len) {
				struct fspan nx = base == FLOW_BASE_IP ? ip_byte((unsigned)(off + i))
				                                       : tr_byte((unsigned)(off + i));
				if (nx.field >= 0)
					break;
				i++;
			}
		}
		int cnt = i - first;
		unsigned lowbytes = (unsigned)(a->len - i); /* atom bytes after this group */
		uint32_t gm = (uint32_t)(((uint64_t)a->mask >> (8 * lowbytes)) & ((cnt >= 4) ? 0xffffffffu : ((1u << (8 * cnt)) - 1)));
		uint32_t gv = (uint32_t)(((uint64_t)a->value >> (8 * lowbytes)) & ((cnt >= 4) ? 0xffffffffu : ((1u << (8 * cnt)) - 1)));
		if (gm == 0)
			continue;
		struct subc c = {.field = sp.field, .base = (uint8_t)base, .mask = gm, .value = gv};
		if (sp.field >= 0) {
			int end_in_field = (int)(off + i) - sp.off; /* bytes of field used up to */
			c.shift = (unsigned)(8 * (sp.len - end_in_field));
		} else {
			c.roff = (uint16_t)(off + first);
			c.rlen = (uint8_t)cnt;
			c.shift = 0;
		}
		if (n == 8)
			return -1;
		out[n++] = c;
	}
	(void)cx;
	return n;
}

static bool subc_term(struct sym_ctx *cx, struct sym_flow *f, const struct subc *c, struct sym_term *t,
                      unsigned *width, uint32_t *cbit)
{
	if (c->field >= 0) {
		*t = sym_get(f, (enum sym_field)c->field);
		*width = sym_field_width((enum sym_field)c->field);
		*cbit = 1u << c->field;
		return true;
	}
	*width = c->rlen * 8u;
	*cbit = 0;
	return raw_term(cx, f, c->base, c->roff, c->rlen, t);
}

/* Split on one sub-constraint with operator op. */
static void split_subc(struct sym_ctx *cx, struct sym_flow *f, const struct subc *c, enum flow_op op,
                       struct sym_flow **in, struct sym_flow **out)
{
	struct sym_term t;
	unsigned w;
	uint32_t cbit;
	if (!subc_term(cx, f, c, &t, &w, &cbit)) {
		/* cannot track: both sides keep the flow, marked approximate */
		struct sym_flow *g = sym_clone(cx, f);
		sym_approx(cx, f, "too many unmodelled header bytes");
		if (g)
			sym_approx(cx, g, "too many unmodelled header bytes");
		*in = f;
		*out = g;
		return;
	}
	const struct sym_iset *set = iset_masked(cx->a, w, c->shift, c->mask, op, c->value);
	if (!set) {
		struct sym_flow *g = sym_clone(cx, f);
		sym_approx(cx, f, "a masked comparison too irregular to track");
		if (g)
			sym_approx(cx, g, "a masked comparison too irregular to track");
		*in = f;
		*out = g;
		return;
	}
	split_term(cx, f, t, w, cbit, set, in, out);
}

static int split_atom(struct sym_ctx *cx, struct sym_flow *f, const struct flow_atom *a,
                      struct sym_flows *yes, struct sym_flows *no)
{
	struct subc cs[8];
	bool never;
	int n = decompose(cx, f, a, cs, &never);
	if (never) {
		sym_flows_push(cx, no, f);
		return 0;
	}
	if (n == 0) { /* every compared bit masked out: compares 0 with value */
		sym_flows_push(cx, iset_cmp(a->op, 0, a->value) ? yes : no, f);
		return 0;
	}
	if (n < 0) {
		/* the bytes are not modelled as fields: one raw variable for the
		 * whole location */
		struct subc c = {.field = -1, .base = a->base, .roff = a->off, .rlen = a->len,
		                 .mask = a->mask, .value = a->value};
		if (a->base == FLOW_BASE_DATA)
			sym_approx(cx, f, "Classifier bytes the model cannot place are read as independent");
		struct sym_flow *in, *out;
		split_subc(cx, f, &c, a->op, &in, &out);
		sym_flows_push(cx, yes, in);
		sym_flows_push(cx, no, out);
		return 0;
	}
	if (n == 1) {
		struct sym_flow *in, *out;
		split_subc(cx, f, &cs[0], a->op, &in, &out);
		sym_flows_push(cx, yes, in);
		sym_flows_push(cx, no, out);
		return 0;
	}
	if (a->op != FLOW_EQ && a->op != FLOW_NE) {
		/* an order comparison across several fields: not decomposed */
		struct sym_flow *g = sym_clone(cx, f);
		sym_approx(cx, f, "an order comparison across several header fields");
		if (g)
			sym_approx(cx, g, "an order comparison across several header fields");
		sym_flows_push(cx, yes, f);
		sym_flows_push(cx, no, g);
		return 0;
	}
	/* equality of all parts; negation as disjoint conjunctions */
	struct sym_flows *pos = a->op == FLOW_EQ ? yes : no, *neg = a->op == FLOW_EQ ? no : yes;
	struct sym_flow *cur = f;
	for (int i = 0; i < n && cur; i++) {
		struct sym_flow *in, *out;
		split_subc(cx, cur, &cs[i], FLOW_EQ, &in, &out);
		sym_flows_push(cx, neg, out);
		cur = in;
	}
	sym_flows_push(cx, pos, cur);
	return 0;
}

int sym_split_expr(struct sym_ctx *cx, struct sym_flow *f, const struct flow_expr *e,
                   struct sym_flows *yes, struct sym_flows *no)
{
	if (!f)
		return 0;
	if (cx->err) {
		sym__free(cx, f);
		return cx->err;
	}
	switch (e->kind) {
	case FLOW_TRUE:
		sym_flows_push(cx, yes, f);
		return 0;
	case FLOW_FALSE:
		sym_flows_push(cx, no, f);
		return 0;
	case FLOW_ATOM:
		return split_atom(cx, f, &e->atom, yes, no);
	case FLOW_NOT:
		return sym_split_expr(cx, f, e->kids[0], no, yes);
	case FLOW_AND:
	case FLOW_OR: {
		bool and = e->kind == FLOW_AND;
		struct sym_flows cur = {0};
		sym_flows_push(cx, &cur, f);
		for (uint32_t k = 0; k < e->nkids && cur.n; k++) {
			struct sym_flows next = {0};
			for (uint32_t i = 0; i < cur.n; i++) {
				int r = and ? sym_split_expr(cx, cur.v[i], e->kids[k], &next, no)
				            : sym_split_expr(cx, cur.v[i], e->kids[k], yes, &next);
				if (r < 0)
					return r;
			}
			cur = next;
		}
		for (uint32_t i = 0; i < cur.n; i++)
			sym_flows_push(cx, and ? yes : no, cur.v[i]);
		return cx->err;
	}
	}
	sym_flows_push(cx, no, f);
	return 0;
}

/* ---- equality between fields and terms (rewriter lookups) ------------------------- */

static struct sym_term subst1(struct sym_term t, uint32_t from, struct sym_term to, unsigned w)
{
	if (t.var == from) {
		t.var = to.var;
		t.k = (t.k + to.k) & wmask(w);
	}
	return t;
}

/* Replace variable `from` by term `to` everywhere in f. */
static void substitute(struct sym_ctx *cx, struct sym_flow *f, uint32_t from, struct sym_term to)
{
	for (uint32_t l = 0; l < f->nlayers; l++)
		for (int i = 0; i < SYM_NLAYER_FIELDS; i++)
			f->l[l].f[i] = subst1(f->l[l].f[i], from, to, fields[i].width);
	for (int i = 0; i < SYM_NPKT_FIELDS; i++)
		f->pf[i] = subst1(f->pf[i], from, to, fields[SYM_NLAYER_FIELDS + i].width);
	f->entry_src = subst1(f->entry_src, from, to, 32);
	f->entry_dst = subst1(f->entry_dst, from, to, 32);
	/* state records are shared: rebuild the list if any mentions it */
	bool any = false;
	for (const struct sym_state *s = f->state; s && !any; s = s->next)
		for (uint32_t i = 0; i < s->nterms; i++)
			if (s->t[i].var == from)
				any = true;
	if (!any)
		return;
	const struct sym_state *old[256];
	uint32_t n = 0;
	const struct sym_state *s = f->state;
	for (; s && n < 256; s = s->next)
		old[n++] = s;
	const struct sym_state *tail = s; /* beyond 256: left as they are */
	if (tail)
		sym_approx(cx, f, "too much flow state to rename a variable in");
	f->state = tail;
	f->nstate -= n;
	for (uint32_t i = n; i-- > 0;) {
		struct sym_state c = *old[i];
		for (uint32_t j = 0; j < c.nterms; j++)
			c.t[j] = subst1(c.t[j], from, to, 32);
		sym_state_push(cx, f, &c);
	}
}

int sym_split_equal(struct sym_ctx *cx, struct sym_flow *f, uint32_t n, const enum sym_field *flds,
                    const struct sym_term *terms_in, struct sym_flows *yes, struct sym_flows *no)
{
	struct sym_term terms[16];
	if (n > 16)
		return -EINVAL;
	memcpy(terms, terms_in, n * sizeof *terms);
	struct sym_flow *cur = f;
	for (uint32_t i = 0; i < n && cur; i++) {
		unsigned w = sym_field_width(flds[i]);
		uint32_t m = wmask(w);
		struct sym_term a = sym_get(cur, flds[i]), b = terms[i];
		a.k &= m;
		b.k &= m;
		if (a.var == b.var) {
			if (a.k != b.k) {
				sym_flows_push(cx, no, cur);
				cur = NULL;
			}
			continue;
		}
		if (!a.var || !b.var) {
			struct sym_term v = a.var ? a : b;
			uint32_t c = a.var ? b.k : a.k;
			struct sym_flow *in, *out;
			split_term(cx, cur, v, w, 1u << flds[i], iset_range(cx->a, c, c), &in, &out);
			sym_flows_push(cx, no, out);
			cur = in;
			continue;
		}
		/* two variables */
		const struct sym_iset *va = sym__term_values(cx, cur, a, w), *vb = sym__term_values(cx, cur, b, w);
		const struct sym_iset *both = va && vb ? iset_and(cx->a, va, vb) : NULL;
		if (!both) {
			fail(cx, -ENOMEM);
			return cx->err;
		}
		if (both->n == 0) {
			sym_flows_push(cx, no, cur);
			cur = NULL;
			continue;
		}
		/* inequality of two variables is not an interval: keep the flow
		 * on the "no" side unconstrained, marked approximate */
		struct sym_flow *other = sym_clone(cx, cur);
		if (other) {
			sym_approx(cx, other, "a mismatch between two unknown values is not tracked");
			sym_flows_push(cx, no, other);
		}
		/* a.var + a.k == b.var + b.k: a.var := b.var + (b.k - a.k) */
		struct sym_term to = {b.var, (b.k - a.k) & m};
		sym__restrict(cx, cur, b, w, va);
		uint32_t from = a.var;
		substitute(cx, cur, from, to);
		for (uint32_t j = i + 1; j < n; j++)
			terms[j] = subst1(terms[j], from, to, sym_field_width(flds[j]));
		cur->cmask |= 1u << flds[i];
	}
	sym_flows_push(cx, yes, cur);
	return cx->err;
}

/* ---- layers ------------------------------------------------------------------------ */

static void clear_raw(struct sym_flow *f)
{
	f->nraw = 0;
}

void sym_push_layer(struct sym_ctx *cx, struct sym_flow *f, uint32_t hlen, bool has_l4)
{
	if (f->nlayers == SYM_MAX_LAYERS) {
		fail(cx, -E2BIG);
		return;
	}
	if (f->data_off != 0)
		sym_mark_ip(cx, f, 0); /* the new header goes at the data pointer */
	struct sym_term inner_len = f->l[f->anno].f[SYM_F_LEN];
	memmove(&f->l[1], &f->l[0], f->nlayers * sizeof f->l[0]);
	f->nlayers++;
	memset(&f->l[0], 0, sizeof f->l[0]);
	f->l[0].hlen = (uint16_t)hlen;
	f->l[0].has_l4 = has_l4;
	f->anno = 0;
	for (int i = 0; i < SYM_NLAYER_FIELDS; i++) {
		f->l[0].f[i].var = sym__newvar(cx, f, fresh_name(cx, f, var_names[i]), fields[i].width, NULL);
		f->l[0].def[i] = f->nhops;
	}
	f->l[0].f[SYM_F_VHL] = sym_const(0x45);
	f->l[0].f[SYM_F_LEN] = inner_len;
	f->l[0].f[SYM_F_LEN].k = (inner_len.k + hlen) & 0xffff;
	f->data_off = 0;
	clear_raw(f);
}

void sym_move_data(struct sym_ctx *cx, struct sym_flow *f, int32_t delta)
{
	(void)cx;
	f->data_off += delta;
}

static void fresh_layer_at(struct sym_ctx *cx, struct sym_flow *f, int32_t data_off)
{
	memset(&f->l[0], 0, sizeof f->l[0]);
	f->nlayers = 1;
	f->anno = 0;
	f->l[0].has_l4 = true;
	for (int i = 0; i < SYM_NLAYER_FIELDS; i++) {
		f->l[0].f[i].var = sym__newvar(cx, f, fresh_name(cx, f, var_names[i]), fields[i].width, NULL);
		f->l[0].def[i] = f->nhops;
	}
	sym_set_fresh(cx, f, SYM_F_PAYLOAD, "data");
	f->data_off = data_off;
	clear_raw(f);
}

void sym_mark_ip(struct sym_ctx *cx, struct sym_flow *f, uint32_t off)
{
	int32_t pos = f->data_off + (int32_t)off, start = 0;
	for (uint32_t i = 0; i < f->nlayers; i++) {
		if (pos == start) {
			if (i) {
				memmove(&f->l[0], &f->l[i], (f->nlayers - i) * sizeof f->l[0]);
				f->nlayers = (uint8_t)(f->nlayers - i);
				clear_raw(f);
			}
			f->anno = 0;
			f->data_off = -(int32_t)off; /* data_off - start, as pos == start */
			return;
		}
		if (!f->l[i].hlen)
			break;
		start += f->l[i].hlen;
	}
	/* the header is read from bytes no layer models (decapsulation of a
	 * payload): a fresh, unconstrained header */
	fresh_layer_at(cx, f, -(int32_t)off);
}

void sym__normalize(struct sym_ctx *cx, struct sym_flow *f)
{
	if (f->data_off != 0)
		sym_mark_ip(cx, f, 0);
	f->anno = 0;
}

/* ---- StoreData -------------------------------------------------------------------- */

void sym_store_bytes(struct sym_ctx *cx, struct sym_flow *f, uint32_t off, const uint8_t *bytes,
                     uint32_t n)
{
	/* per field of each layer: accumulated mask and value */
	uint32_t fm[SYM_MAX_LAYERS][SYM_NLAYER_FIELDS] = {{0}}, fv[SYM_MAX_LAYERS][SYM_NLAYER_FIELDS] = {{0}};
	bool payload = false;
	for (uint32_t j = 0; j < n; j++) {
		int64_t p = (int64_t)f->data_off + off + j, start = 0;
		if (p < 0)
			continue; /* headroom: not part of the packet */
		uint32_t li = 0;
		while (li + 1 < f->nlayers && f->l[li].hlen && p >= start + f->l[li].hlen) {
			start += f->l[li].hlen;
			li++;
		}
		int64_t rel = p - start;
		const struct sym_layer *L = &f->l[li];
		bool last = li + 1 == f->nlayers;
		if (!last && rel >= L->hlen) {
			payload = true;
			continue;
		}
		struct fspan sp;
		if (rel < 20)
			sp = ip_byte((unsigned)rel);
		else if (L->has_l4 && rel < 24 && (L->hlen || ihl_is_5(f)))
			sp = tr_byte((unsigned)(rel - 20));
		else if (last && L->has_l4 && rel == 33 && ihl_is_5(f))
			sp = tr_byte(13);
		else {
			if (L->hlen && rel < L->hlen)
				continue; /* UDP length/checksum: not modelled */
			payload = true;
			if (last && rel < 60)
				clear_raw(f);
			continue;
		}
		if (sp.field < 0) {
			clear_raw(f);
			continue;
		}
		unsigned boff = (unsigned)(rel < 20 ? rel : rel - 20) - sp.off;
		unsigned shift = 8 * (sp.len - 1 - boff);
		fm[li][sp.field] |= 0xffu << shift;
		fv[li][sp.field] |= (uint32_t)bytes[j] << shift;
	}
	uint8_t anno = f->anno;
	for (uint32_t li = 0; li < f->nlayers; li++)
		for (int i = 0; i < SYM_NLAYER_FIELDS; i++) {
			if (!fm[li][i])
				continue;
			f->anno = (uint8_t)li;
			uint32_t full = wmask(fields[i].width);
			struct sym_term t = f->l[li].f[i];
			if (fm[li][i] == full) {
				sym_set_const(cx, f, (enum sym_field)i, fv[li][i]);
			} else if (!t.var) {
				sym_set_const(cx, f, (enum sym_field)i, (t.k & ~fm[li][i]) | fv[li][i]);
			} else {
				const struct sym_iset *d = iset_masked(cx->a, fields[i].width, 0, fm[li][i], FLOW_EQ,
				                                       fv[li][i]);
				const struct sym_iset *old = sym__term_values(cx, f, t, fields[i].width);
				if (!old || old->n != 1 || old->v[0].lo != 0 || old->v[0].hi != full)
					sym_approx(cx, f, "a partial write over a constrained field");
				struct sym_term nt = {sym__newvar(cx, f, fresh_name(cx, f, var_names[i]),
				                                  fields[i].width, d), 0};
				sym_set_term(cx, f, (enum sym_field)i, nt);
			}
		}
	f->anno = anno;
	if (payload)
		sym_set_fresh(cx, f, SYM_F_PAYLOAD, "data");
}

/* ---- hashing and snapshots ------------------------------------------------------------ */

/* The state up to the names of variables: variables are numbered in the
 * order the fields mention them, so a flow that went round a loop and got
 * fresh but equally constrained variables (a decapsulation) hashes the
 * same as before. */
uint64_t sym__hash(const struct sym_flow *f)
{
	uint64_t h = 1469598103934665603ull;
	uint32_t canon[64], ncanon = 0;
#define MIX(x) (h = (h ^ (uint64_t)(x)) * 1099511628211ull)
	MIX(f->nlayers);
	MIX(f->anno);
	MIX((uint32_t)f->data_off);
	for (uint32_t l = 0; l < f->nlayers + 1u; l++) {
		const struct sym_term *t = l < f->nlayers ? f->l[l].f : f->pf;
		int n = l < f->nlayers ? SYM_NLAYER_FIELDS : SYM_NPKT_FIELDS;
		for (int i = 0; i < n; i++) {
			uint32_t v = t[i].var, c = 0;
			if (v) {
				uint32_t k = 0;
				while (k < ncanon && canon[k] != v)
					k++;
				if (k == ncanon && ncanon < 64) {
					canon[ncanon++] = v;
					MIX(iset_hash(f->vars[v - 1].dom));
				}
				c = k + 1;
			}
			MIX(c);
			MIX(t[i].k);
		}
	}
	MIX(f->nstate);
	MIX(f->progress);
#undef MIX
	return h;
}

void sym__snap(const struct sym_flow *f, struct sym_snap *s)
{
	s->nlayers = f->nlayers;
	for (int i = 0; i < SYM_NFIELDS; i++) {
		struct sym_term t = sym_get(f, (enum sym_field)i);
		s->f[i] = t;
		s->dom[i] = t.var ? f->vars[t.var - 1].dom : NULL;
		s->name[i] = t.var ? f->vars[t.var - 1].name : NULL;
	}
}

static bool expr_mentions(const struct flow_expr *e, unsigned lo, unsigned hi)
{
	if (!e)
		return false;
	if (e->kind == FLOW_ATOM)
		return e->atom.base == FLOW_BASE_IP && e->atom.off < hi && e->atom.off + e->atom.len > lo;
	for (uint32_t i = 0; i < e->nkids; i++)
		if (expr_mentions(e->kids[i], lo, hi))
			return true;
	return false;
}

bool sym__mentions_dst(const struct flow_expr *e)
{
	return expr_mentions(e, 16, 20);
}
