/* Private to src/elements: what the element files share, in sections:
 * argument parsing, describe helpers, model helpers, then the families
 * whose members share code (classifiers, route tables, IPv4 operations,
 * rewriters). The public header is element.h (the catalogue). */
#ifndef INNET_ELEMENTS_INTERNAL_H
#define INNET_ELEMENTS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/arena.h"
#include "base/inet.h"
#include "elements/element.h"
#include "flow/flow.h"
#include "runtime/runtime.h"
#include "verify/model.h"

/* ==== 1. arguments (configure) ============================================== */
/* Click-style element argument parsing (Click's Args and its configuration
 * string syntax).
 *
 * An element's configure describes its parameters as an array of typed
 * specs, in Click's declaration order, and calls args_parse():
 *
 *     struct arg_spec spec[] = {
 *         arg_u32("CAPACITY", ARG_P, &c->capacity),
 *         arg_bool("ACTIVE", 0, &c->active),
 *     };
 *     int rc = args_parse(ctx, args, spec, ARG_N(spec));
 *
 * Matching follows Click exactly: an argument "looks keyworded" when it
 * starts with a word [A-Za-z_][A-Za-z0-9_:.?!]* followed by whitespace and
 * more text; the last occurrence of a keyword wins; positional parameters
 * take, in order, arguments that do not look keyworded (a mandatory one
 * takes the next argument anyway while its own keyword is absent);
 * positional parameters may also be given by keyword; once a keyword
 * argument has been read, no positional argument follows. Leftovers are
 * "too many arguments" or "KW: unknown keyword".
 *
 * Every error is a diagnostic at the offending text, "Class: KW: why", e.g.
 * `Queue: CAPACITY: expected unsigned integer, got '1x0'`. Parsing goes on
 * after an error so one pass reports everything; the return is then -EINVAL
 * and the destinations must not be used.
 *
 * Units: times are int64 nanoseconds; bandwidths uint64 bits per second. */
/* A piece of configuration text with its location. `s` need not be
 * NUL-terminated; `kw` names it in messages (may be NULL). */
struct arg_val {
	const char *s;
	size_t n;
	struct src_loc loc;
	const char *kw;
};

struct arg_list {
	size_t n;
	struct arg_val *v;
};

enum arg_flags {
	ARG_P = 1u << 0,     /* positional (also accepted by keyword) */
	ARG_M = 1u << 1,     /* mandatory */
	ARG_MP = ARG_P | ARG_M,
	ARG_ALL = 1u << 2,   /* arg_list only: collect every occurrence */
};

enum arg_type {
	ARGT_BOOL, ARGT_U8, ARGT_U16, ARGT_U32, ARGT_I32, ARGT_I64, ARGT_REAL,
	ARGT_TIME, ARGT_BANDWIDTH, ARGT_IP, ARGT_PREFIX, ARGT_ETHER, ARGT_PORT,
	ARGT_PROTO, ARGT_ANNO, ARGT_STRING, ARGT_RAW, ARGT_LIST,
};

struct arg_spec {
	const char *kw;
	unsigned flags;      /* enum arg_flags */
	enum arg_type type;
	void *dst;
	/* filled by args_parse: */
	bool given;
	struct arg_val val;  /* the value text (last occurrence), for later checks */
};

#define ARG_N(spec) (sizeof(spec) / sizeof((spec)[0]))

/* Typed constructors: the pointer type is checked by the compiler. */
#define ARG__CTOR(fn, T, tag) \
	static inline struct arg_spec fn(const char *kw, unsigned fl, T *p) \
	{ \
		struct arg_spec s = { kw, fl, tag, p, false, { NULL, 0, { NULL, 0, 0 }, NULL } }; \
		return s; \
	}
ARG__CTOR(arg_bool, bool, ARGT_BOOL)
ARG__CTOR(arg_u8, uint8_t, ARGT_U8)
ARG__CTOR(arg_u16, uint16_t, ARGT_U16)
ARG__CTOR(arg_u32, uint32_t, ARGT_U32)
ARG__CTOR(arg_i32, int32_t, ARGT_I32)
ARG__CTOR(arg_i64, int64_t, ARGT_I64)
ARG__CTOR(arg_real, double, ARGT_REAL)
ARG__CTOR(arg_time, int64_t, ARGT_TIME)           /* nanoseconds */
ARG__CTOR(arg_bandwidth, uint64_t, ARGT_BANDWIDTH) /* bits per second */
ARG__CTOR(arg_ip, uint32_t, ARGT_IP)               /* host order */
ARG__CTOR(arg_prefix, struct inet_prefix, ARGT_PREFIX)
ARG__CTOR(arg_ether, uint8_t, ARGT_ETHER)          /* uint8_t[6] */
ARG__CTOR(arg_port, uint16_t, ARGT_PORT)           /* number or name */
ARG__CTOR(arg_proto, uint8_t, ARGT_PROTO)          /* number or name */
ARG__CTOR(arg_anno1, uint8_t, ARGT_ANNO)           /* 1-byte annotation offset */
ARG__CTOR(arg_string, const char *, ARGT_STRING)   /* unquoted, NUL-terminated, arena */
ARG__CTOR(arg_raw, struct arg_val, ARGT_RAW)       /* the text, for custom parsing */
ARG__CTOR(arg_list, struct arg_list, ARGT_LIST)    /* with ARG_ALL: every occurrence */
#undef ARG__CTOR

/* Parse all of args; anything unmatched is an error. */
int args_parse(const struct click_conf_ctx *ctx, const struct click_args *args,
               struct arg_spec *spec, size_t n);
/* Parse only what matches spec and hand back the rest, in order (Click's
 * consume()): rewriters and the like take their keywords first. */
int args_consume(const struct click_conf_ctx *ctx, const struct click_args *args,
                 struct arg_spec *spec, size_t n, struct click_args *rest);
/* The spec named kw was given (false if absent from spec). */
bool args_given(const struct arg_spec *spec, size_t n, const char *kw);

/* Length of the keyword word if `s` looks keyworded, else 0. */
size_t arg_keyword_len(const char *s, size_t n);
/* A whole argument as a value. */
struct arg_val arg_val_of(const struct click_arg *a, const char *kw);
/* The sub-piece [off, off+n) of v, located. */
struct arg_val arg_sub(const struct arg_val *v, size_t off, size_t n);
/* Split v into whitespace-separated words (quotes and \<...> protect
 * spaces). The array is allocated in the arena. */
int arg_words(const struct click_conf_ctx *ctx, const struct arg_val *v, struct arg_list *out);
/* Exact comparison of v's text with a word. */
bool arg_is(const struct arg_val *v, const char *word);

/* "Class: KW: message" at v (v may be NULL: the element's location). */
int arg_error(const struct click_conf_ctx *ctx, const struct arg_val *v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int arg_warning(const struct click_conf_ctx *ctx, const struct arg_val *v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The class name used as the message prefix. */
const char *arg_class_name(const struct click_conf_ctx *ctx);

/* Value parsers: 0, or -EINVAL after a diagnostic. With ctx NULL, or
 * ctx->diags NULL (a copy of ctx: names still resolve), they are silent (to
 * try one syntax before another). */
int arg_parse_bool(const struct click_conf_ctx *ctx, const struct arg_val *v, bool *out);
int arg_parse_uint(const struct click_conf_ctx *ctx, const struct arg_val *v, uint64_t max, uint64_t *out);
int arg_parse_int(const struct click_conf_ctx *ctx, const struct arg_val *v, int64_t min, int64_t max,
                  int64_t *out);
int arg_parse_real(const struct click_conf_ctx *ctx, const struct arg_val *v, double *out);
int arg_parse_time(const struct click_conf_ctx *ctx, const struct arg_val *v, int64_t *ns);
int arg_parse_bandwidth(const struct click_conf_ctx *ctx, const struct arg_val *v, uint64_t *bps);
int arg_parse_ip(const struct click_conf_ctx *ctx, const struct arg_val *v, uint32_t *out);
/* a.b.c.d/len, a.b.c/len (missing bytes 0), a.b.c.d/m.m.m.m, bare a.b.c.d
 * (/32). arg_parse_prefix masks the host bits off; the _host variant keeps
 * them (interface addresses). */
int arg_parse_prefix(const struct click_conf_ctx *ctx, const struct arg_val *v, struct inet_prefix *out);
int arg_parse_prefix_host(const struct click_conf_ctx *ctx, const struct arg_val *v, uint32_t *addr,
                          uint8_t *len);
int arg_parse_ether(const struct click_conf_ctx *ctx, const struct arg_val *v, uint8_t out[6]);
int arg_parse_port(const struct click_conf_ctx *ctx, const struct arg_val *v, uint16_t *out);
int arg_parse_proto(const struct click_conf_ctx *ctx, const struct arg_val *v, uint8_t *out);
/* An annotation offset (number or name such as PAINT) for `size` bytes. */
int arg_parse_anno(const struct click_conf_ctx *ctx, const struct arg_val *v, unsigned size,
                   uint8_t *out);
/* Click unquoting (1.9): 'literal', "escapes", \<hex>, juxtaposition.
 * *out is NUL-terminated and *len counts the bytes (which may hold NULs). */
int arg_unquote(const struct click_conf_ctx *ctx, const struct arg_val *v, char **out, size_t *len);

/* configure for classes that take no arguments (Null, Idle, ...): any
 * argument is "too many arguments"; *conf stays NULL. */
int elem__configure_none(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf);

/* AddressInfo's names (addressinfo.c), seen from the configuring element
 * (its compound, then the enclosing ones): 0, or -ENOENT when `s` names
 * nothing of that kind. Suffixes as Click's: NAME:ip/:ip4/:bcast/:gw,
 * NAME:net/:ipnet/:ip4net, NAME:eth/:ether/:ethernet. The arg_parse_ip,
 * arg_parse_prefix[_host] and arg_parse_ether parsers already try them. */
int elem__name_ip(const struct click_conf_ctx *ctx, const char *s, size_t n, uint32_t *out);
int elem__name_prefix(const struct click_conf_ctx *ctx, const char *s, size_t n, uint32_t *addr,
                      uint8_t *len);
int elem__name_ether(const struct click_conf_ctx *ctx, const char *s, size_t n, uint8_t out[6]);
/* The module device a device name (eth0) stands for: names are numbered in
 * the order they first appear in the configuration (devices.c). name NULL
 * records that a device was given by number. -EEXIST: numbers and names
 * mixed in one configuration. */
int elem__device_number(const struct click_conf_ctx *ctx, const struct arg_val *name, uint32_t *out);
/* Elements that hand packets to a device (ToDevice, ToProcess;
 * devices.c): init enables the task when the input is pulled; pull takes
 * up to burst packets (0: 1) per run and gives each to out. */
int elem__device_out_init(struct rt_elem *e, struct diags *d);
uint32_t elem__device_out_pull(struct rt_elem *e, uint32_t burst,
                               void (*out)(struct rt_elem *e, uint32_t port, struct rt_pkt *p));
/* IPFilter/IPClassifier patterns: AddressInfo names in flow_parse_names. */
struct flow_names elem__flow_names(const struct click_conf_ctx *ctx);

/* Allocate a zeroed conf of `size` bytes in the graph's arena. */
void *elem__conf_alloc(const struct click_conf_ctx *ctx, size_t size);

/* Size of the annotation area (bytes), as in Click's packet_anno.hh. */
#define ARG_ANNO_SIZE 48

/* ==== 2. describe =========================================================== */
/* Helpers for the classes' describe hooks (click_class.describe): a
 * configured value as JSON in the catalogue's conventions (element.h).
 * Each returns a new reference, or NULL when out of memory; json_pack's
 * "o" takes them as they are and fails on NULL. */
/* "a.b.c.d" from a host-order address. */
json_t *describe_ip(uint32_t addr);
/* "a.b.c.d/len". */
json_t *describe_prefix(struct inet_prefix p);
/* An array of "a.b.c.d". */
json_t *describe_ip_list(const uint32_t *addrs, size_t n);
/* "00:1a:31:a4:60:ff". */
json_t *describe_ether(const uint8_t mac[6]);
/* Lower-case hex of n bytes ("" when n is 0); null when bytes is NULL. */
json_t *describe_hex(const uint8_t *bytes, size_t n);

/* ==== 3. model helpers ====================================================== */
/* Small helpers shared by element models (src/verify/model.h), built only
 * on the public model interface. Header-only: each model file that needs
 * one includes this. Candidates for the engine (listed in the V2 report):
 * masked interval sets, a "new packet" primitive, annotation bytes. */
/* The model of every element whose effect the verifier does not model
 * (counting, printing, queueing, timestamps, link headers): the flow leaves
 * on output 0 as it came. */
static inline int mu_sym_pass(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                              struct sym_flow *f)
{
	(void)e;
	(void)port;
	sym_emit(cx, 0, f);
	return 0;
}

/* Click's annotation offsets the engine models (Click's packet_anno.hh). */
#define MU_ANNO_DST 0    /* 4 bytes: SYM_F_DSTANNO, network order */
#define MU_ANNO_PAINT 16 /* 1 byte: SYM_F_PAINT */

#define MU_ANNO_FIXSRC 19 /* 1 byte: the fix-IP-source flag, as flow state */

/* The fix-IP-source annotation byte (ICMPError sets it, IPOutputCombo
 * consumes it, Paint(.., ANNO 19) may write it) is kept as flow state:
 * records of this kind hold the byte in `port`. The annotation lives while
 * the packet is inside one node, so only records made in the current node
 * count (the node half of sym_owner()); with none the byte is 0, as
 * packets enter a node with clear annotations. */
#define MU_STATE_FIXSRC 0x46495853u /* 'FIXS' */

static inline uint8_t mu_fixsrc(struct sym_ctx *cx, const struct sym_flow *f)
{
	uint64_t node = sym_owner(cx) >> 32;
	for (const struct sym_state *s = sym_state_first(f); s; s = s->next)
		if (s->kind == MU_STATE_FIXSRC && s->owner >> 32 == node)
			return (uint8_t)s->port;
	return 0;
}

static inline void mu_set_fixsrc(struct sym_ctx *cx, struct sym_flow *f, uint8_t v)
{
	if (mu_fixsrc(cx, f) == v)
		return;
	struct sym_state r = { .owner = sym_owner(cx), .kind = MU_STATE_FIXSRC, .port = v };
	sym_state_push(cx, f, &r);
}

/* The packet-type annotation (HostEtherFilter sets it; DropBroadcasts,
 * IPOutputCombo and ICMPError read it) is kept as flow state like the
 * fix-IP-source flag: records of this kind made in the current node hold
 * the type in `port`; with none it is HOST (0), as innet's devices deliver
 * packets. MU_PKTTYPE_UNKNOWN: a type the model cannot tell (it comes from
 * link-header bytes, which are not modelled). */
#define MU_STATE_PKTTYPE 0x504b5454u /* 'PKTT' */
#define MU_PKTTYPE_UNKNOWN 255

static inline uint8_t mu_pkttype(struct sym_ctx *cx, const struct sym_flow *f)
{
	uint64_t node = sym_owner(cx) >> 32;
	for (const struct sym_state *s = sym_state_first(f); s; s = s->next)
		if (s->kind == MU_STATE_PKTTYPE && s->owner >> 32 == node)
			return (uint8_t)s->port;
	return 0;
}

static inline void mu_set_pkttype(struct sym_ctx *cx, struct sym_flow *f, uint8_t v)
{
	if (mu_pkttype(cx, f) == v)
		return;
	struct sym_state r = { .owner = sym_owner(cx), .kind = MU_STATE_PKTTYPE, .port = v };
	sym_state_push(cx, f, &r);
}

/* May the packet type be link-level broadcast or multicast (1, 2)? 0: no,
 * 1: yes, -1: the model cannot tell. */
static inline int mu_pkttype_broadcast(struct sym_ctx *cx, const struct sym_flow *f)
{
	uint8_t t = mu_pkttype(cx, f);
	if (t == MU_PKTTYPE_UNKNOWN)
		return -1;
	return t == 1 || t == 2;
}

/* {x < 2^width : (x & mask) == value}, or NULL when it needs more than
 * 65,536 intervals (the caller then approximates). */
static inline const struct sym_iset *mu_masked_set(struct sym_ctx *cx, unsigned width, uint32_t mask,
                                                   uint32_t value)
{
	uint32_t full = width >= 32 ? 0xffffffffu : (1u << width) - 1;
	mask &= full;
	value &= mask;
	if (!mask)
		return sym_iset_range(cx, 0, full);
	unsigned low = (unsigned)__builtin_ctz(mask);
	/* free bits above the lowest mask bit each double the intervals */
	uint32_t freehi = ~mask & full & ~((1u << low) - 1u);
	unsigned nfree = (unsigned)__builtin_popcount(freehi);
	if (nfree > 16)
		return NULL;
	uint32_t n = 1u << nfree;
	struct sym_iset *s = arena_alloc(sym_arena(cx), sizeof *s + (size_t)n * sizeof s->v[0]);
	if (!s)
		return NULL;
	s->n = n;
	for (uint32_t k = 0; k < n; k++) {
		/* deposit k's bits into the free high bits, lowest first */
		uint32_t base = value, bits = freehi, kk = k;
		while (bits) {
			uint32_t b = bits & -bits;
			if (kk & 1)
				base |= b;
			kk >>= 1;
			bits &= bits - 1;
		}
		s->v[k].lo = base;
		s->v[k].hi = base + ((1u << low) - 1u);
	}
	return s;
}

/* Split f on (fld & mask) == value; false (f untouched) when the set is
 * too irregular to build. */
static inline bool mu_split_masked(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld,
                                   uint32_t mask, uint32_t value, struct sym_flow **in,
                                   struct sym_flow **out)
{
	const struct sym_iset *s = mu_masked_set(cx, sym_field_width(fld), mask, value);
	if (!s)
		return false;
	sym_split_set(cx, f, fld, s, in, out);
	return true;
}

/* Split f on "the packet has at least hl*4 + extra bytes from its IP
 * header", hl being the header length in VHL: the IP length field is the
 * packet's length there (CheckIPHeader trims, devices deliver checked
 * packets). Exact: a flow whose VHL is not known is split per header
 * length first. Pieces go to *ok and *shrt. */
static inline void mu_split_ip_avail(struct sym_ctx *cx, struct sym_flow *f, uint32_t extra,
                                     struct sym_flows *ok, struct sym_flows *shrt)
{
	uint32_t vhl;
	if (sym_get_const(f, SYM_F_VHL, &vhl)) {
		uint32_t need = (vhl & 15) * 4 + extra;
		struct sym_flow *y = NULL, *n = NULL;
		if (need > 0xffff)
			n = f;
		else
			sym_split_range(cx, f, SYM_F_LEN, need, 0xffff, &y, &n);
		sym_flows_push(cx, ok, y);
		sym_flows_push(cx, shrt, n);
		return;
	}
	/* long enough whatever the header length: no split on VHL */
	struct sym_flow *big = NULL, *rest = NULL;
	sym_split_range(cx, f, SYM_F_LEN, 60 + extra, 0xffff, &big, &rest);
	sym_flows_push(cx, ok, big);
	for (uint32_t hl = 0; hl < 16 && rest; hl++) {
		struct sym_flow *this = NULL, *other = NULL;
		if (!mu_split_masked(cx, rest, SYM_F_VHL, 0x0f, hl, &this, &other))
			break;
		rest = other;
		if (!this)
			continue;
		struct sym_flow *y = NULL, *n = NULL;
		sym_split_range(cx, this, SYM_F_LEN, hl * 4 + extra, 0xffff, &y, &n);
		sym_flows_push(cx, ok, y);
		sym_flows_push(cx, shrt, n);
	}
	sym_flows_push(cx, ok, rest); /* (only on allocation failure) */
}

/* Turn f into a packet built from scratch (ICMP errors, ARP frames): one
 * IPv4 layer at the data pointer whose fields are all new unconstrained
 * variables, a new payload, paint, dst-IP annotation and fix-IP-source
 * flag 0 (a new packet's annotations are clear). History and flow state stay (the trace
 * continues through the element that made it). Moving the data pointer
 * far past every modelled header first makes sym_mark_ip find no layer
 * there, so it builds a fresh one and puts the data pointer on it. */
static inline void mu_new_packet(struct sym_ctx *cx, struct sym_flow *f)
{
	sym_move_data(cx, f, 1 << 20);
	sym_mark_ip(cx, f, 0);
	sym_set_const(cx, f, SYM_F_PAINT, 0);
	sym_set_const(cx, f, SYM_F_DSTANNO, 0);
	mu_set_fixsrc(cx, f, 0);
}

/* Write n bytes at annotation offset off: the dst-IP annotation (bytes 0-3),
 * paint (16) and the fix-IP-source flag (19) are modelled; other bytes are
 * not (nothing the model reads). A partial write over a non-constant dst annotation makes it a
 * new variable (approximate: the untouched bytes are forgotten). */
static inline void mu_write_anno(struct sym_ctx *cx, struct sym_flow *f, uint32_t off,
                                 const uint8_t *bytes, uint32_t n)
{
	uint32_t dmask = 0, dval = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t b = off + i;
		if (b < 4) {
			unsigned sh = 8 * (3 - b);
			dmask |= 0xffu << sh;
			dval |= (uint32_t)bytes[i] << sh;
		} else if (b == MU_ANNO_PAINT) {
			sym_set_const(cx, f, SYM_F_PAINT, bytes[i]);
		} else if (b == MU_ANNO_FIXSRC) {
			mu_set_fixsrc(cx, f, bytes[i]);
		}
	}
	if (!dmask)
		return;
	uint32_t old;
	if (dmask == 0xffffffffu) {
		sym_set_const(cx, f, SYM_F_DSTANNO, dval);
	} else if (sym_get_const(f, SYM_F_DSTANNO, &old)) {
		sym_set_const(cx, f, SYM_F_DSTANNO, (old & ~dmask) | dval);
	} else {
		sym_set_fresh(cx, f, SYM_F_DSTANNO, "anno");
		sym_approx(cx, f, "a partial write of a non-constant dst-IP annotation");
	}
}

/* Split on "annotation byte off == v". False when that byte is not
 * modelled (or the set would be too irregular): the caller then lets the
 * flow take both ways, marked approximate. */
static inline bool mu_split_anno_byte(struct sym_ctx *cx, struct sym_flow *f, uint32_t off, uint8_t v,
                                      struct sym_flow **in, struct sym_flow **out)
{
	if (off == MU_ANNO_PAINT) {
		sym_split_range(cx, f, SYM_F_PAINT, v, v, in, out);
		return true;
	}
	if (off == MU_ANNO_FIXSRC) {
		bool eq = mu_fixsrc(cx, f) == v;
		*in = eq ? f : NULL;
		*out = eq ? NULL : f;
		return true;
	}
	if (off < 4) {
		unsigned sh = 8 * (3 - off);
		return mu_split_masked(cx, f, SYM_F_DSTANNO, 0xffu << sh, (uint32_t)v << sh, in, out);
	}
	return false;
}

/* Let f take every output of the current element (outputs the model cannot
 * choose between): clones to 0..n-2, f itself to n-1. `why` non-NULL marks
 * every copy approximate. */
static inline void mu_emit_all(struct sym_ctx *cx, uint32_t n, struct sym_flow *f, const char *why)
{
	if (!n) {
		sym_drop(cx, f, "no outputs");
		return;
	}
	if (why && n > 1)
		sym_approx(cx, f, why);
	for (uint32_t i = 0; i + 1 < n; i++) {
		struct sym_flow *c = sym_clone(cx, f);
		if (c)
			sym_emit(cx, i, c);
	}
	sym_emit(cx, n - 1, f);
}

/* ==== 4. the classifier family ============================================== */
/* The parsed rule lists of Classifier, IPClassifier and IPFilter (Click's
 * documentation of the three): first matching rule decides; no match
 * drops. The family shares its model, packet function and description
 * (classifier.c). */
struct cls_rule {
	int32_t out;            /* output port, or -1: drop (IPFilter deny/drop) */
	struct flow_expr *expr; /* Classifier: FLOW_BASE_DATA; others: IP/transport */
	struct src_loc loc;
};

struct cls_conf {
	uint32_t n;
	struct cls_rule *rules;
};

/* A cls_conf with room for nrules rules (n = 0), from the element's arena. */
struct cls_conf *cls_conf_alloc(const struct click_conf_ctx *ctx, size_t nrules);
/* Configure a one-pattern-per-output classifier (Classifier, IPClassifier):
 * exactly noutputs arguments, argument i parsed by `parse` into rule i
 * going to output i. Every argument is parsed (all errors reported). */
int cls_configure_per_output(const struct click_conf_ctx *ctx, const struct click_args *args,
                             int (*parse)(const struct click_conf_ctx *ctx, const struct click_arg *arg,
                                          struct flow_expr **out),
                             void **conf);
/* The describe of the family: {"PATTERN": [TEXT, ...]}, rule i's pattern
 * in src/flow's canonical form (IPFilter adds its ACTIONs). NULL when out
 * of memory. */
struct json_t *cls_describe(const void *conf);
/* The symbolic model and the packet function the whole family shares. */
extern const struct elem_model cls_model;
extern const struct elem_runtime cls_runtime;
/* The family's doc_model. */
extern const char cls_doc_model[];

/* ==== 5. the route-table family ============================================= */
/* Route lists of LinearIPLookup, StaticIPLookup and RadixIPLookup (Click's
 * documentation of the three): `ADDR/MASK [GW] OUT` per argument, parsed
 * once here for the verifier and the runtime. Host byte order. */
struct iproute {
	struct inet_prefix dst; /* masked */
	uint32_t gw;            /* 0: none (the dst-IP annotation is kept) */
	uint32_t out;           /* < noutputs */
	struct src_loc loc;
};

/* Routes in argument order; a later route for the same prefix replaced the
 * earlier one (with a warning), so prefixes are unique. Lookup is longest
 * prefix match on the dst-IP annotation. */
struct iproute_conf {
	uint32_t n;
	struct iproute *v;
};

/* The longest-prefix match for addr, or NULL. */
const struct iproute *iproute_lookup(const struct iproute_conf *c, uint32_t addr);

/* ==== 6. IPv4 operations shared by elements ================================= */
/* IPv4 packet steps that several elements' packet functions share, each as
 * the named Click elements do it. Addresses are host order. */
/* Most IPv4 option bytes (a 60-byte header less its 20 fixed bytes). */
#define IPOPS_MAX_OPTIONS 40

/* The length of the option at ip + i (20 <= i < hlen, the header length):
 * 1 for NOP, 0 for EOL (the list ends), or -1 when it runs past the header
 * or its length byte is below 2, with *bad the offset of the byte at fault
 * (for a parameter problem). The option walk of IPFragmenter, ICMPError
 * and IPOutputCombo. */
static inline int ipops_option_len(const uint8_t *ip, uint32_t hlen, uint32_t i, uint32_t *bad)
{
	if (ip[i] == 0 || ip[i] == 1)
		return ip[i];
	if (i + 1 >= hlen) {
		*bad = i;
		return -1;
	}
	uint32_t l = ip[i + 1];
	if (l < 2 || i + l > hlen) {
		*bad = i + 1;
		return -1;
	}
	return (int)l;
}

/* Is a in 224.0.0.0/4 (DecIPTTL, ICMPError)? */
static inline bool ipops_is_multicast(uint32_t a) { return (a & 0xf0000000u) == 0xe0000000u; }

/* Is a one of the n addresses v (CheckIPHeader's BADSRC/GOODDST,
 * ICMPError's BADADDRS)? */
static inline bool ipops_addr_in(uint32_t a, const uint32_t *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i] == a)
			return true;
	return false;
}

/* Decrement the TTL of ip (above 1) with DecIPTTL's own checksum update
 * (add 0xFEFF, fold once, as Click's DecIPTTL does), which IPOutputCombo
 * shares. */
static inline void ipops_dec_ttl(uint8_t *ip)
{
	ip[8]--;
	uint32_t sum = (uint32_t)(~rt_rd16(ip + 10) & 0xffff) + 0xfeff;
	rt_wr16(ip + 10, (uint16_t)~(uint16_t)(sum + (sum >> 16)));
}

/* The TCP/UDP pseudo-header sum of ip (header length hlen) for `len`
 * transport bytes, as Click's checksum checkers and setters build it: a
 * well-formed loose or strict source route (option 131 or 137, at least 7
 * bytes) names the final destination in its last 4 bytes, which replaces
 * ip_dst (RFC 1122 3.2.1.8). Add the transport bytes and fold. */
static inline uint32_t ipops_pseudo_sum(const uint8_t *ip, uint32_t hlen, uint32_t len)
{
	const uint8_t *dst = ip + 16;
	for (uint32_t i = 20, bad; i < hlen;) {
		int l = ipops_option_len(ip, hlen, i, &bad);
		if (l <= 0)
			break;
		if ((ip[i] == 131 || ip[i] == 137) && l >= 7) {
			dst = ip + i + (uint32_t)l - 4;
			break;
		}
		i += (uint32_t)l;
	}
	uint32_t s = rt_csum_add(rt_csum_add(0, ip + 12, 4), dst, 4);
	return s + ip[9] + len;
}

/* ==== 7. the rewriter family ================================================ */
/* What IPRewriter and IPAddrRewriter share (Click's IPRewriter and
 * IPAddrRewriter documentation): the input specs and the keywords common
 * to both, the mapping table on symbolic flows and on packets, and the
 * rewriting of a header by a mapping. Each element's own file
 * (iprewriter.c, ipaddrrewriter.c) holds its keywords, which packets reach
 * the table, how a packet finds its mapping and how long a mapping lives.
 * All addresses and ports are host order; times are nanoseconds. */
/* ---- input specs and keywords ---- */

/* The kind of an input spec: what a packet no mapping covers meets. */
enum rw_kind {
	RW_DROP,    /* drop / discard */
	RW_PASS,    /* pass / passthrough / nochange OUT: emit unchanged on fout */
	RW_KEEP,    /* keep FOUT ROUT: identity mapping */
	RW_PATTERN, /* pattern ... FOUT ROUT */
};

/* One pattern field: keep ('-', or address 0.0.0.0) uses the packet's own
 * value; otherwise the value is chosen in [lo, hi] (lo == hi: fixed). A
 * prefix SADDR a/len with len < 31 excludes the network and broadcast
 * addresses, so lo/hi already skip them. */
struct rw_field {
	bool keep;
	uint32_t lo, hi;
};

/* Which field varies (at most one may). */
enum rw_vary { RW_VARY_NONE, RW_VARY_SADDR, RW_VARY_SPORT, RW_VARY_DADDR };

struct rw_pattern {
	struct rw_field saddr, sport, daddr, dport;
	uint8_t vary;         /* enum rw_vary */
	bool sequential;      /* '#' suffix: allocate in order */
	bool no_prefer;       /* '?' suffix: don't prefer the packet's own value */
	bool addr_only;       /* the two-word form SADDR DADDR (ports kept) */
};

struct rw_spec {
	uint8_t kind;         /* enum rw_kind */
	uint32_t fout, rout;  /* PASS: fout only */
	struct rw_pattern pat; /* PATTERN (KEEP: every field keep) */
	struct src_loc loc;
};

struct rw_conf {
	uint32_t nspecs;      /* == the element's ninputs */
	struct rw_spec *specs;
	/* IPRewriter (Click defaults) */
	int64_t tcp_timeout_ns;           /* 86400 s */
	int64_t tcp_done_timeout_ns;      /* 240 s */
	int64_t tcp_nodata_timeout_ns;    /* 300 s */
	int64_t tcp_guarantee_ns;         /* 5 s */
	int64_t udp_timeout_ns;           /* 300 s */
	int64_t udp_streaming_timeout_ns; /* = udp_timeout */
	int64_t udp_guarantee_ns;         /* 5 s */
	/* IPAddrRewriter */
	int64_t timeout_ns;               /* 2 h (Click's code, not its doc's 5 min) */
	int64_t guarantee_ns;             /* 5 s */
	/* both */
	int64_t reap_interval_ns;         /* 15 min */
	uint32_t capacity;                /* MAPPING_CAPACITY, 2^31-1 = unlimited */
	bool dst_anno;                    /* true */
	int16_t reply_anno;               /* -1: unset; else a 1-byte anno offset */
	bool icmp_ping;                   /* ICMPPingRewriter: a new mapping's
	                                   * rewritten dport is its sport + 1 */
};

/* A rw_conf with Click's defaults for every keyword of either element,
 * from the element's arena; NULL when out of memory. */
struct rw_conf *rw_conf_new(const struct click_conf_ctx *ctx);
/* Parse one INPUTSPEC argument. addr_only: IPAddrRewriter's rules (the
 * pattern's destination must be '-', ports may not be given). */
int rw_parse_spec(const struct click_conf_ctx *ctx, const struct click_arg *arg, bool addr_only,
                  struct rw_spec *out);
/* A 4-field pattern "SADDR SPORT DADDR DPORT" (IPRewriterPatterns). */
int rw_parse_pattern4(const struct click_conf_ctx *ctx, struct arg_val w[4], const struct arg_val *whole,
                      struct rw_pattern *p);
/* The pattern an IPRewriterPatterns element of ctx->graph names `name`
 * (iprewriterpatterns.c): 0, or -ENOENT. */
int rw_named_pattern(const struct click_conf_ctx *ctx, const struct arg_val *name, struct rw_pattern *out);
/* Configure c from args: the element's keywords `kw` (the REPLY_ANNO one
 * writing *reply_anno), then one input spec per input. 0, or a negative
 * errno after diagnostics. */
int rw_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                 struct arg_spec *kw, size_t nkw, const uint8_t *reply_anno, bool addr_only,
                 struct rw_conf *c);
/* Into JSON object o (element.h's describe format), the keywords both
 * elements share and INPUTSPEC, each spec as its effective text (a prefix
 * SADDR as the range it allocates from); the element adds its timeouts.
 * 0 or -ENOMEM. */
int rw_describe_common(const struct rw_conf *c, struct json_t *o);

/* ---- the mapping table on symbolic flows ---- */

/* A flow that no mapping can cover (not TCP/UDP, a later fragment, a short
 * header) meets only the pass or drop part of its input's spec. */
void rw_sym_pass_or_drop(struct sym_ctx *cx, struct sym_flow *f, const struct rw_spec *spec,
                         const char *why);
/* The table lives in the flows: each flow of `cur` that a mapping this
 * element pushed earlier covers is rewritten and leaves on that mapping's
 * output; the rest meet `spec`, which may push a new forward and reply
 * mapping. addr_only: IPAddrRewriter's mappings (source address forward,
 * destination address back). ports: the packets' ports are rewritten (not
 * for IPAddrRewriter, nor TCP packets with fewer than 18 transport bytes). */
int rw_sym_map(struct sym_ctx *cx, struct sym_flows *cur, const struct rw_spec *spec,
               bool addr_only, bool ports);

/* ---- the mapping table on packets ---- */

/* rt_flow flags: which directions were seen, and IPRewriter's TCP state
 * (Click's TCPFlow: a direction is done after its FIN until a SYN or data
 * in that direction, both after a RST; data seen per direction). */
enum {
	RW_F_SEEN_FWD = 1, RW_F_SEEN_REV = 2, RW_F_DATA_FWD = 4, RW_F_DATA_REV = 8,
	RW_F_DONE_FWD = 16, RW_F_DONE_REV = 32,
};

struct rw_state {
	uint64_t mapping_failures; /* new flows refused by a full table (Click's failures) */
	uint64_t next_reap;        /* the reaper's next run (UINT64_MAX: none) */
	uint32_t *seq_next;        /* per spec: sequential allocation cursor */
	struct rt_flowtab tab;
};

/* struct elem_runtime hooks both elements use as they are. */
size_t rw_state_size(const struct rt_elem *e, uint32_t flow_capacity);
int rw_init(struct rt_elem *e, struct diags *d);
void rw_fini(struct rt_elem *e);
uint32_t rw_reap(struct rt_elem *e, uint64_t now_ns);
int rw_read(const struct rt_elem *e, const char *handler, uint64_t *val);
void rw_table(const struct rt_elem *e, struct rt_table_stats *st);
/* Saved state (rewriter.c): the mappings with lifetimes relative
 * to now, the failures counter and the reaper's phase. */
int rw_save(const struct rt_elem *e, struct rt_wbuf *w, uint64_t now_ns);
int rw_load(struct rt_elem *e, struct rt_rbuf *r, uint64_t now_ns, uint64_t away_ns,
            struct diags *d);
/* The flow table's save and load of one flow (ChangeEnforcer shares
 * them): keys, rewritten flow, outputs, flags, reply anno, packets and
 * lifetimes relative to now. */
void rw_save_flow(struct rt_wbuf *w, const struct rt_flow *f, uint64_t now_ns);
/* Read one flow into *f with times rebased on now (a time before the
 * clock's 0 reads as 0); false when the bytes are bad. */
bool rw_load_flow(struct rt_rbuf *r, struct rt_flow *f, uint64_t now_ns);
/* What a reaper did while its module was away: whether it ran, its last
 * run (`last`, after the save) and its next phase after the load (`next`,
 * UINT64_MAX: none). From its phase at the save and its interval. */
struct rw_away {
	bool reaped;
	uint64_t last, next;
};
void rw_away(uint64_t phase, uint64_t interval, uint64_t away, struct rw_away *a);
/* A timer's phase as saved: 0 for none, else 1 + the time until its
 * deadline (0 when the clock has passed it: due at the save). */
uint64_t rw_save_phase(uint64_t deadline, uint64_t now_ns);
/* Would that reaper have removed f (times as saved, saved_now the save's
 * clock as rw_load_flow rebased them)? */
bool rw_away_removes(const struct rw_away *a, const struct rt_flow *f, uint64_t saved_now);
/* Shift f's times back by away (clamped at 0). */
void rw_rebase_flow(struct rt_flow *f, uint64_t away);

/* A packet with flow id `key` that no mapping covers arrived on input
 * `port`: its spec passes it, drops it, or installs a mapping (a pattern
 * chooses the rewritten flow) living `timeout` and guaranteed
 * `guarantee` until its first packet sets them. Returns the new mapping
 * (its forward direction), or NULL when the packet was already passed or
 * dropped (a refusal by a full table counts a mapping failure). */
struct rt_flow *rw_map_new(struct rt_elem *e, uint32_t port, struct rt_pkt *p,
                           const struct rt_flowid *key, int64_t timeout, int64_t guarantee);
/* rw_map_new for fused steps: instead of passing the packet itself it
 * sets *out to the output it leaves by (RT_STEP_GONE: dropped). */
struct rt_flow *rw_map_new_step(struct rt_elem *e, uint32_t port, struct rt_pkt *p,
                                const struct rt_flowid *key, int64_t timeout, int64_t guarantee,
                                int32_t *out);
/* Count a packet on f in direction dir (packets, seen directions). */
static inline void rw_count(struct rt_flow *f, int dir)
{
	f->packets++;
	f->flags |= dir ? RW_F_SEEN_REV : RW_F_SEEN_FWD;
}
/* Keep f for `timeout` (at least `guarantee`) from now, rewrite p along f
 * in direction dir and emit it on the mapping's output for that direction. */
void rw_forward(struct rt_elem *e, struct rt_flow *f, int dir, struct rt_pkt *p,
                int64_t timeout, int64_t guarantee, bool addr_only);
/* rw_forward without the emit: the output it leaves by (fused steps). */
uint32_t rw_forward_step(struct rt_elem *e, struct rt_flow *f, int dir, struct rt_pkt *p,
                         int64_t timeout, int64_t guarantee, bool addr_only);

/* ---- rewriting a header by a mapping ---- */

/* Rewrite p (IP header annotation set) along flow f in direction dir, with
 * incremental checksum updates as Click's IPRewriterFlow does. addr_only:
 * forward only ip_src, reply only ip_dst (IPAddrRewriter); else addresses
 * and ports. dst_anno: set the dst-IP annotation to the new destination
 * (addr_only: replies only). reply_anno_off >= 0: on replies store
 * f->reply_anno in that annotation byte. */
void rw_apply(const struct rt_flow *f, int dir, struct rt_pkt *p, bool addr_only, bool dst_anno,
              int reply_anno_off);

/* ==== 8. saved packets (suspend and resume) ================================= */
/* A packet an element holds, in its save hook's bytes: its headroom offset,
 * the headroom bytes its MAC/IP header annotations use, its data, header
 * annotations, byte annotations up to the last one set, and the age of its
 * timestamps. Control thread (save and load hooks). */
void elem_save_pkt(struct rt_wbuf *w, const struct rt_pkt *p, uint64_t now_ns);
/* One saved packet into a packet of e's pool, its timestamps aged by the
 * time away. NULL when the pool is empty (the bytes are skipped) or the
 * bytes do not parse (r->bad set). */
struct rt_pkt *elem_load_pkt(struct rt_elem *e, struct rt_rbuf *r, uint64_t now_ns, uint64_t away_ns);

/* ==== 9. queues seen from other elements (RED) ============================= */
/* Click's Storage: the queue classes of queue.c; the packets one holds. */
bool elem_is_storage(const struct click_class *cls);
uint32_t elem_storage_len(const struct rt_elem *e);

#endif
