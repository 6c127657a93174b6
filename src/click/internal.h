/* Internals of the Click front end: lexer, parser (compound bodies), the
 * flattener and the checks. Not for use outside src/click. */
#ifndef INNET_CLICK_INTERNAL_H
#define INNET_CLICK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/diag.h"
#include "click/click.h"

struct click_class;

/* Growable array in an arena: ptr, count and capacity fields named p, n, cap. */
#define CVEC(T) struct { T *p; uint32_t n, cap; }
void *click__vec_grow(struct arena *a, void *p, uint32_t *cap, size_t elsize);
#define CVEC_PUSH(a, v, x) \
	(((v).n < (v).cap || ((v).p = click__vec_grow((a), (v).p, &(v).cap, sizeof *(v).p))) \
	 ? ((v).p[(v).n++] = (x), 1) : 0)

/* A position: the logical one (after line directives) for messages, and the
 * physical byte offset to find the source line for the caret. */
struct cloc {
	struct src_loc l;
	uint32_t off;
};

/* String -> int32 map (open addressing) in an arena. */
struct strmap {
	const char **keys;
	int32_t *vals;
	uint32_t cap, n;
};
int32_t click__map_get(const struct strmap *m, const char *k);
int click__map_set(struct arena *a, struct strmap *m, const char *k, int32_t v);

enum tok {
	T_EOF = 0,
	T_IDENT = 256, T_VAR, T_ARROW, T_2ARROW, T_2COLON, T_2BAR, T_3DOT,
	T_ELEMENTCLASS, T_REQUIRE, T_PROVIDE, T_DEFINE,
};

struct token {
	int kind;
	const char *s; /* points into the source */
	uint32_t len;
	struct cloc loc;
};

/* The whole parse state shared by lexer, parser and flattener. */
struct cparse {
	struct arena *a;        /* scratch: freed after parsing */
	struct arena *ga;       /* the graph's arena */
	struct diags *d;
	const struct click_options *opt;
	uint32_t max_depth, max_elements, max_conns;
	bool fatal;             /* a limit was hit: stop everything */
	bool cancelled;         /* opt->cancel was seen set (fatal too) */
	/* lexer */
	const struct src_file *src;
	const char *text;
	size_t len, pos;
	const struct src_file *lfile; /* logical file (line directives) */
	uint32_t line;          /* logical line */
	size_t line_start;      /* physical offset of the current line */
	struct token unlex[4];
	int nunlex;
	uint32_t port_budget;
	uint32_t decl_budget;   /* element slots all bodies may still take */
	/* parser */
	struct binding *types;  /* visible compound/synonym classes, innermost first */
	struct compound *cc;    /* compound being parsed (defines go there) */
	struct body *c;         /* body being parsed */
	uint32_t depth;         /* compound/group nesting */
	uint32_t scope_depth;   /* compound scope depth (variables) */
	bool in_group;
};

/* Has the caller cancelled the parse (opt->cancel)? Sets fatal and
 * cancelled when it has; cheap enough for every token. */
bool click__cancelled(struct cparse *p);

/* Diagnostics at a cloc (adds the physical line for the caret even after a
 * line directive). Always returns -EINVAL. */
int click__err(struct cparse *p, const struct cloc *loc, uint32_t span, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void click__note(struct cparse *p, const struct cloc *loc, uint32_t span, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Shorten the source lines copied into diagnostics d->v[from..] so that a
 * one-line megabyte configuration does not cost a megabyte per message. */
void click__trim_diags(struct diags *d, size_t from);

/* lexer.c */
void click__lex_init(struct cparse *p, const struct src_file *src);
struct token click__lex(struct cparse *p);
void click__unlex(struct cparse *p, const struct token *t);
/* Raw text from the current position to the matching ')' (which is
 * consumed); *ok false at end of input. */
char *click__lex_config(struct cparse *p, struct cloc *start, bool *ok);
struct cloc click__here(struct cparse *p);
const char *click__tok_str(struct cparse *p, const struct token *t);

/* Classes. */
enum ckind { K_NONE = 0, K_PRIM, K_COMPOUND, K_TUNNEL, K_ERROR };
struct compound;
struct ctype {
	enum ckind kind;
	const struct click_class *prim;
	struct compound *comp; /* first alternative */
	const char *name;
};
struct binding {
	const char *name;
	struct ctype t;
	struct binding *next;
};

struct belem {
	const char *name;
	bool anon;            /* "Class@N" generated name, maybe renumbered */
	bool group_head;      /* K_TUNNEL: first of a group's three tunnels */
	bool inst;            /* tunnel standing for a group or compound instance */
	uint32_t inst_ports[2];
	int32_t fwd;          /* tunnels: element whose outputs continue my inputs */
	struct ctype t;
	const char *config;   /* raw, before substitution; NULL if none */
	struct cloc loc, cfgloc;
	uint32_t nports[2];   /* [0] inputs used, [1] outputs used */
};

struct hookup {
	uint32_t from, fport, to, tport;
	struct cloc loc;
};

struct body {
	CVEC(struct belem) el;
	CVEC(struct hookup) conn;
	struct strmap map;
	uint32_t anon_offset;
};

struct var {
	const char *name;
	const char *value;
	const char *type; /* formals: NULL positional, keyword, "__REST__" */
	struct cloc loc;
};

struct compound {
	const char *name;      /* "" for anonymous */
	struct cloc loc;
	CVEC(struct var) vars; /* formals first (nformals), then defines */
	struct strmap varmap;  /* names in vars */
	uint32_t nformals;
	bool order_error;
	struct body body;
	uint32_t ninputs, noutputs;
	struct compound *next_alt;
	struct ctype ext;      /* `|| ...`: the earlier class, on the last alternative */
	uint32_t depth;        /* scope depth of the body */
};

/* parse.c: parse the file into the top compound (depth 0, no input/output). */
struct compound *click__parse_file(struct cparse *p);
uint32_t click__get_element(struct cparse *p, struct body *b, const char *name, struct ctype t,
                            const char *config, const struct cloc *loc, const struct cloc *cfgloc);
void click__connect(struct cparse *p, struct body *b, uint32_t from, uint32_t fport, uint32_t to,
                    uint32_t tport, const struct cloc *loc);

/* args.c */
struct venv {
	const struct venv *parent;
	uint32_t depth;
	CVEC(struct var) vars;
	struct strmap map; /* name -> last index in vars (click__venv_index) */
};
/* Build the name index after filling vars (lookups stay linear without). */
int click__venv_index(struct arena *a, struct venv *e);
const char *click__venv_lookup(const struct venv *e, const char *name, size_t len);
char *click__expand(struct arena *a, const char *s, const struct venv *e);
/* Split like click_split_args, strings only (no locations). */
typedef CVEC(const char *) click_strvec;
int click__argvec(struct arena *a, const char *s, click_strvec *out);

/* flatten.c: expand compounds and resolve tunnels; the result is the list of
 * primitive elements and connections between them. */
struct felem {
	const char *name;
	const struct click_class *cls;
	const char *config;   /* substituted */
	bool substituted;
	struct cloc loc, cfgloc;
};
struct fconn {
	uint32_t from, fport, to, tport;
	struct cloc loc;  /* the hookup leaving `from` */
	struct cloc tloc; /* the hookup entering `to` (differs through tunnels) */
};
struct flat {
	CVEC(struct felem) el;
	CVEC(struct fconn) conn; /* sorted, no duplicates */
};
int click__flatten(struct cparse *p, struct compound *top, struct flat *out);

/* check.c: port counts, push/pull, configure; fills the graph. */
struct click_graph {
	struct arena *arena;
	uint32_t nel, nconn;
	struct click_element *el;
	struct click_conn *conn;       /* sorted by from, then to */
	struct click_port_ref *outref; /* targets in conn order */
	struct click_port_ref *inref;  /* sources sorted by (to, from) */
	uint32_t *out_base, *in_base;  /* per element: first port slot */
	uint32_t *out_start, *in_start;/* per port slot (+1 sentinel): into outref/inref */
	struct strmap names;
};
int click__check(struct cparse *p, const struct flat *f, struct click_graph *g);

#endif
