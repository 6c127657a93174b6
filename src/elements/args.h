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
#ifndef INNET_ELEMENTS_ARGS_H
#define INNET_ELEMENTS_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/inet.h"
#include "elements/element.h"

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

/* Value parsers: 0, or -EINVAL after a diagnostic. With ctx NULL they are
 * silent (to try one syntax before another). */
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

/* Allocate a zeroed conf of `size` bytes in the graph's arena. */
void *elem__conf_alloc(const struct click_conf_ctx *ctx, size_t size);

/* Size of the annotation area (bytes), as in Click's packet_anno.hh. */
#define ARG_ANNO_SIZE 48

#endif
