/* Symbolic packets: fields as terms over variables with interval domains,
 * writes that record their hop, layers, StoreData, state pushed into the
 * flow, and the hash that finds loops. Splitting a flow is split.c's. */
#include <errno.h>
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

void sym__fail(struct sym_ctx *cx, int err)
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
			sym__fail(cx, -ENOMEM);
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
		sym__fail(cx, -ENOMEM);
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
		dom = iset__full(cx->a, width);
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
		const struct sym_iset *dom = i == SYM_F_VHL ? iset__range(cx->a, 0x45, 0x4f) : NULL;
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

/* The one value a term can take, if it has only one. */
static bool term_single(const struct sym_flow *f, struct sym_term t, unsigned width, uint32_t *v)
{
	uint32_t m = iset__max(width);
	if (!t.var) {
		*v = t.k & m;
		return true;
	}
	const struct sym_iset *d = f->vars[t.var - 1].dom;
	if (d->n != 1 || d->v[0].lo != d->v[0].hi)
		return false;
	*v = (d->v[0].lo + t.k) & m;
	return true;
}

bool sym_get_const(const struct sym_flow *f, enum sym_field fld, uint32_t *v)
{
	return term_single(f, sym_get(f, fld), sym_field_width(fld), v);
}

const struct sym_iset *sym__term_values(struct sym_ctx *cx, const struct sym_flow *f,
                                        struct sym_term t, unsigned width)
{
	if (!t.var)
		return iset__range(cx->a, t.k & iset__max(width), t.k & iset__max(width));
	return iset__shift(cx->a, f->vars[t.var - 1].dom, t.k, width);
}

const struct sym_iset *sym_values(struct sym_ctx *cx, const struct sym_flow *f, enum sym_field fld)
{
	return sym__term_values(cx, f, sym_get(f, fld), sym_field_width(fld));
}

void sym_set_term(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld, struct sym_term t)
{
	(void)cx;
	t.k &= iset__max(sym_field_width(fld));
	uint32_t *def;
	struct sym_term *cur = sym__field(f, fld, &def);
	/* storing the field's own term (a rewriter's '-') changes nothing: the
	 * last definition stays the element that last changed the value */
	if (cur->var == t.var && cur->k == t.k)
		return;
	*cur = t;
	*def = f->nhops;
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
	struct sym_term t = {sym__newvar(cx, f, fresh_name(cx, f, hint), w, iset__range(cx->a, lo, hi)), 0};
	sym_set_term(cx, f, fld, t);
}

void sym_set_fresh(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld, const char *hint)
{
	unsigned w = sym_field_width(fld);
	struct sym_term t = {sym__newvar(cx, f, fresh_name(cx, f, hint), w, NULL), 0};
	sym_set_term(cx, f, fld, t);
}

/* A source's packet: a fresh flow whose version/header length is
 * unconstrained too (DATA need not be IPv4), annotations clear, and no
 * entering packet (constant entry terms never equal a field's variable,
 * so nothing it sends counts as a reply). */
struct sym_flow *sym_new_packet(struct sym_ctx *cx)
{
	struct sym_flow *f = sym__fresh(cx);
	if (!f)
		return NULL;
	sym_set_fresh(cx, f, SYM_F_VHL, "vhl");
	sym_set_const(cx, f, SYM_F_PAINT, 0);
	sym_set_const(cx, f, SYM_F_DSTANNO, 0);
	f->entry_src = sym_const(0);
	f->entry_dst = sym_const(0);
	return f;
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
		sym__fail(cx, -ENOMEM);
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

/* ---- layers ------------------------------------------------------------------------ */

static void clear_raw(struct sym_flow *f)
{
	f->nraw = 0;
}

void sym_push_layer(struct sym_ctx *cx, struct sym_flow *f, uint32_t hlen, bool has_l4)
{
	if (f->nlayers == SYM_MAX_LAYERS) {
		sym__fail(cx, -E2BIG);
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

int32_t sym_data_offset(const struct sym_flow *f)
{
	/* the annotation is on layer 0 between model calls (sym_mark_ip) */
	int32_t start = 0;
	for (uint32_t i = 0; i < f->anno; i++)
		start += f->l[i].hlen;
	return f->data_off - start;
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

/* ---- header layout ------------------------------------------------------------------ */

struct sym_span sym__ip_byte(unsigned o)
{
	static const struct sym_span t[20] = {
		{SYM_F_VHL, 0, 1}, {SYM_F_TOS, 1, 1}, {SYM_F_LEN, 2, 2}, {SYM_F_LEN, 2, 2},
		{SYM_F_ID, 4, 2}, {SYM_F_ID, 4, 2}, {SYM_F_OFF, 6, 2}, {SYM_F_OFF, 6, 2},
		{SYM_F_TTL, 8, 1}, {SYM_F_PROTO, 9, 1}, {-1, 10, 2}, {-1, 10, 2},
		{SYM_F_SRC, 12, 4}, {SYM_F_SRC, 12, 4}, {SYM_F_SRC, 12, 4}, {SYM_F_SRC, 12, 4},
		{SYM_F_DST, 16, 4}, {SYM_F_DST, 16, 4}, {SYM_F_DST, 16, 4}, {SYM_F_DST, 16, 4},
	};
	if (o < 20)
		return t[o];
	return (struct sym_span){-1, (uint8_t)(o > 255 ? 255 : o), 1};
}

struct sym_span sym__tr_byte(unsigned o)
{
	if (o < 2)
		return (struct sym_span){SYM_F_SPORT, 0, 2};
	if (o < 4)
		return (struct sym_span){SYM_F_DPORT, 2, 2};
	if (o == 13)
		return (struct sym_span){SYM_F_TCPFLAGS, 13, 1};
	return (struct sym_span){-1, (uint8_t)(o > 255 ? 255 : o), 1};
}

bool sym__ihl_is_5(const struct sym_flow *f)
{
	uint32_t v;
	return sym_get_const(f, SYM_F_VHL, &v) && v == 0x45;
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
		struct sym_span sp;
		if (rel < 20)
			sp = sym__ip_byte((unsigned)rel);
		else if (L->has_l4 && rel < 24 && (L->hlen || sym__ihl_is_5(f)))
			sp = sym__tr_byte((unsigned)(rel - 20));
		else if (last && L->has_l4 && rel == 33 && sym__ihl_is_5(f))
			sp = sym__tr_byte(13);
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
			uint32_t full = iset__max(fields[i].width);
			struct sym_term t = f->l[li].f[i];
			if (fm[li][i] == full) {
				sym_set_const(cx, f, (enum sym_field)i, fv[li][i]);
			} else if (!t.var) {
				sym_set_const(cx, f, (enum sym_field)i, (t.k & ~fm[li][i]) | fv[li][i]);
			} else {
				const struct sym_iset *d = iset__masked(cx->a, fields[i].width, 0, fm[li][i], FLOW_EQ,
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
					MIX(iset__hash(f->vars[v - 1].dom));
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

void sym__mark(struct sym_flow *f)
{
	for (int i = 0; i < SYM_NFIELDS; i++)
		f->mark[i] = sym_get(f, (enum sym_field)i);
}

bool sym__unchanged(const struct sym_flow *f, enum sym_field fld)
{
	unsigned w = sym_field_width(fld);
	struct sym_term a = f->mark[fld], b = sym_get(f, fld);
	/* one variable plus the same offset: equal on every packet of the flow */
	if (a.var == b.var)
		return ((a.k ^ b.k) & iset__max(w)) == 0;
	/* different variables are equal only when the flow pins both to one value */
	uint32_t va, vb;
	return term_single(f, a, w, &va) && term_single(f, b, w, &vb) && va == vb;
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
