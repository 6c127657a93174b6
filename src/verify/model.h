/* Symbolic element models: the interface every element of the catalogue
 * implements next to its arguments (src/elements/<x>.c), and the helpers
 * those models are written with. The helpers stand on flows alone
 * (src/verify/flow.c, split.c, model.c): an emitted flow goes into the step's
 * emission list, read by the engine once the model returns, so a model
 * never calls into the engine.
 *
 * Threads: a sym_ctx and its flows belong to one job, run by one thread.
 * Memory: flows, interval sets and names live in the job's arena
 * (sym_arena) until the job ends; a model frees nothing (sym_drop hands a
 * flow back for reuse). Errors: helpers that return int return 0 or a
 * negative errno; the others record running out of memory in the step,
 * which fails the job when the model returns.
 *
 * A symbolic packet (struct sym_flow, opaque) is a stack of header layers
 * (IPv4 + L4 fields), an opaque payload, metadata (paint, the dst-IP
 * annotation) and the state stateful elements pushed into it (rewriter
 * mappings, enforcer authorizations, marks). A field holds a term: a
 * constant, or a variable plus an offset (mod 2^width). Each variable has a
 * domain, a set of intervals; two fields bound to the same variable are
 * equal by construction. A flow is a conjunction: the engine never joins
 * flows, and classification splits a flow into disjoint flows, so a flow
 * never stands for more packets than the model lets through. Where a model
 * cannot stay exact (a byte nobody models, an equality between two
 * different variables whose negation intervals cannot express), the engine
 * keeps the larger set and marks the flow approximate; results built on an
 * approximate flow say so.
 *
 * Recipe for a model (see src/elements/ipfilter.c, strip.c, decipttl.c):
 * in the element's file, `#include "verify/model.h"` after element.h, a
 * "---- symbolic model ----" comment and section at the end, a forward
 * declaration `static const struct elem_model decipttl_model;` before the
 * class, and `.model = &decipttl_model,` in it.
 *
 *     static int decipttl_sym_push(struct sym_ctx *cx, const struct click_element *e,
 *                                  uint32_t port, struct sym_flow *f)
 *     {
 *         struct sym_flow *dead = NULL;  // conf: e->conf (the file's struct)
 *         // ttl <= 1 goes to output 1 (or is dropped); the rest decrements
 *         sym_split_range(cx, f, SYM_F_TTL, 2, 255, &f, &dead);
 *         if (dead) sym_emit(cx, 1, dead);      // dropped if output 1 absent
 *         if (f) { sym_add(cx, f, SYM_F_TTL, -1); sym_emit(cx, 0, f); }
 *         return 0;
 *     }
 *     static const struct elem_model decipttl_model = { .push = decipttl_sym_push };
 *
 * (the real one also honours ACTIVE and MULTICAST). Rules: a model owns the flow
 * it is given; it hands it (or the pieces a split made) to sym_emit() or
 * sym_drop(), or simply forgets it (dropped). Emitting to an output that is
 * not connected drops the flow there. A model never keeps anything between
 * calls (no static, no state in conf): state goes into the flow. Returning a
 * negative errno aborts the whole verification job with that error.
 *
 * Pull: the engine moves packets downstream whatever the processing is;
 * a pull input is fed by whatever pushes into the queue upstream. Time is
 * not modelled: queues, unqueuers and shapers pass every packet, timeouts
 * never expire.
 */
#ifndef INNET_VERIFY_MODEL_H
#define INNET_VERIFY_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "click/click.h"
#include "flow/flow.h"

struct sym_ctx;  /* one engine step: arena, current location, emission list */
struct sym_flow; /* one symbolic packet (opaque) */

/* Header fields of one layer, then per-packet fields. Widths in bits are
 * given by sym_field_width(). */
enum sym_field {
	SYM_F_VHL,      /* ip[0]: version and header length (8) */
	SYM_F_TOS,      /* ip[1] (8) */
	SYM_F_LEN,      /* ip[2:2] total length (16) */
	SYM_F_ID,       /* ip[4:2] (16) */
	SYM_F_OFF,      /* ip[6:2] flags + fragment offset (16) */
	SYM_F_TTL,      /* ip[8] (8) */
	SYM_F_PROTO,    /* ip[9] (8) */
	SYM_F_SRC,      /* ip[12:4] (32) */
	SYM_F_DST,      /* ip[16:4] (32) */
	SYM_F_SPORT,    /* transp[0:2]; ICMP type and code (16) */
	SYM_F_DPORT,    /* transp[2:2] (16) */
	SYM_F_TCPFLAGS, /* transp[13] (8) */
	SYM_NLAYER_FIELDS,
	/* per packet (not per layer) */
	SYM_F_PAYLOAD = SYM_NLAYER_FIELDS, /* opaque: a version variable, never a constant */
	SYM_F_PAINT,    /* paint annotation (8) */
	SYM_F_DSTANNO,  /* dst-IP annotation (32) */
	SYM_NFIELDS
};

unsigned sym_field_width(enum sym_field f);
/* "src", "dst", "proto", "sport", "payload", ... (stable, used in traces). */
const char *sym_field_name(enum sym_field f);

/* A term: var == 0 means the constant `k`; otherwise variable `var` plus
 * `k` (mod 2^width of the field it sits in). */
struct sym_term {
	uint32_t var;
	uint32_t k;
};
static inline struct sym_term sym_const(uint32_t v)
{
	struct sym_term t = {0, v};
	return t;
}

/* Interval set over [0, 2^32): sorted, disjoint, non-adjacent closed
 * intervals. Immutable once built (shared between flows). */
struct sym_ival {
	uint32_t lo, hi;
};
struct sym_iset {
	uint32_t n;
	struct sym_ival v[];
};

/* ---- the model interface ------------------------------------------------ */

struct elem_model {
	/* A flow arrives on input `port` of `e` (push or pull alike). Emit
	 * zero or more flows with sym_emit(). 0, or a negative errno that
	 * aborts the job. Required. */
	int (*push)(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
	            struct sym_flow *f);
	/* Flows the element creates by itself with no input (InfiniteSource,
	 * RatedSource, TimedSource, ICMPPingSource): optional; called once per
	 * job when the engine starts a module's sources (vjob__start_sources:
	 * vfy_module_exits, and statements starting at a module). It makes
	 * flows with sym_new_packet and emits them with sym_emit; they carry
	 * no entering packet (no reply authorization). */
	int (*source)(struct sym_ctx *cx, const struct click_element *e);
	/* Device elements (ELEM_DEVICE_IN/OUT) only: the node's port (device
	 * number) the element stands for. The engine moves packets between
	 * devices and the network itself; push is then never called for a
	 * ToDevice's input, and a FromDevice's flows leave on its output 0. */
	uint32_t (*device)(const struct click_element *e);
};

/* ---- emission ------------------------------------------------------------ */

/* Send f out of output `port` of the current element (the flow is consumed). */
void sym_emit(struct sym_ctx *cx, uint32_t port, struct sym_flow *f);
/* Drop f, recording why (shown in traces of flows that die). */
void sym_drop(struct sym_ctx *cx, struct sym_flow *f, const char *why);
/* A copy (Tee). NULL when out of memory (the job then fails). */
struct sym_flow *sym_clone(struct sym_ctx *cx, const struct sym_flow *f);
/* Number of outputs connected on the current element's output `port`. */
bool sym_output_connected(struct sym_ctx *cx, uint32_t port);

/* A new flow for a source hook: one IPv4 layer whose fields (version and
 * header length included) are new unconstrained variables, payload new,
 * paint and dst-IP annotation 0, no entering packet. NULL when out of
 * memory (the job then fails). */
struct sym_flow *sym_new_packet(struct sym_ctx *cx);

/* ---- reading ------------------------------------------------------------- */

/* The term of field `fld` in the layer the IP header annotation points to
 * (per-packet fields need no layer). */
struct sym_term sym_get(const struct sym_flow *f, enum sym_field fld);
/* True when the field is a known constant; its value in *v. */
bool sym_get_const(const struct sym_flow *f, enum sym_field fld, uint32_t *v);
/* The set of values field `fld` may take (arena-allocated). */
const struct sym_iset *sym_values(struct sym_ctx *cx, const struct sym_flow *f,
                                  enum sym_field fld);

/* ---- writing (each write records the current hop as the last definition) */

void sym_set_const(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld, uint32_t v);
/* Bind fld to a new unconstrained variable named after `hint` ("sport"). */
void sym_set_fresh(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld, const char *hint);
/* Bind fld to a new variable with domain [lo, hi]. */
void sym_set_range(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld, uint32_t lo,
                   uint32_t hi, const char *hint);
void sym_set_term(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld, struct sym_term t);
/* dst := src's term (the same variable: equal by construction). */
void sym_copy(struct sym_ctx *cx, struct sym_flow *f, enum sym_field dst, enum sym_field src);
void sym_swap(struct sym_ctx *cx, struct sym_flow *f, enum sym_field a, enum sym_field b);
/* fld += delta (mod 2^width): the term keeps its variable, so a TTL after
 * two routers is TTL-2. */
void sym_add(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld, int32_t delta);
/* Write `n` constant bytes at data offset `off` (StoreData): header fields
 * under them are written, bytes past the headers make a new payload. */
void sym_store_bytes(struct sym_ctx *cx, struct sym_flow *f, uint32_t off, const uint8_t *bytes,
                     uint32_t n);

/* ---- constraining and splitting -----------------------------------------
 * Splits are exact and disjoint. An output pointer gets NULL when that part
 * is empty. The input flow is consumed. */

/* Split on fld in [lo, hi]. */
void sym_split_range(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld, uint32_t lo,
                     uint32_t hi, struct sym_flow **in, struct sym_flow **out);
/* Split on fld's value in `set`. */
void sym_split_set(struct sym_ctx *cx, struct sym_flow *f, enum sym_field fld,
                   const struct sym_iset *set, struct sym_flow **in, struct sym_flow **out);

/* Split on the transport length being at least n bytes. The model takes
 * a header's LEN as the packet's length from that header on (packets from
 * devices are valid, CheckIPHeader trims to LEN, encapsulation adds its
 * header to LEN), so the transport length is LEN - 4*IHL of the current
 * header. *at_least gets the part that surely has n bytes, *fewer the part
 * that surely has fewer; when IHL is not one value (IP options), *maybe
 * gets the part where it depends on IHL, marked approximate: the caller
 * treats it both ways (sym_clone). Exact when IHL is known. */
void sym_split_transport(struct sym_ctx *cx, struct sym_flow *f, uint32_t n,
                         struct sym_flow **at_least, struct sym_flow **fewer,
                         struct sym_flow **maybe);

/* A list of flows (arena-backed). */
struct sym_flows {
	struct sym_flow **v;
	uint32_t n, cap;
};
void sym_flows_push(struct sym_ctx *cx, struct sym_flows *l, struct sym_flow *f);

/* Split f by a flow expression (IPFilter/IPClassifier/Classifier pattern):
 * flows where it holds are appended to *yes, the rest to *no (several
 * disjoint conjunctions each, since OR and NOT AND need several). */
int sym_split_expr(struct sym_ctx *cx, struct sym_flow *f, const struct flow_expr *e,
                   struct sym_flows *yes, struct sym_flows *no);
/* First-match classification (IPFilter, IPClassifier, Classifier): pattern
 * i sends what it matches to ports[i] (< 0: drop), the rest goes on to
 * pattern i+1; what matches nothing is dropped. */
int sym_classify(struct sym_ctx *cx, struct sym_flow *f, const struct flow_expr *const *exprs,
                 const int32_t *ports, uint32_t n);
/* Split on "every fields[i] equals terms[i]": *yes gets the flows where all
 * hold (variables unified), *no the rest. */
int sym_split_equal(struct sym_ctx *cx, struct sym_flow *f, uint32_t n, const enum sym_field *fields,
                    const struct sym_term *terms, struct sym_flows *yes, struct sym_flows *no);

/* ---- layers and the data pointer ---------------------------------------- */

/* Push a new outermost IPv4 layer, its fields unconstrained fresh
 * variables except LEN = inner LEN + hlen; hlen is 20 (IPEncap) or 28
 * (UDPIPEncap, which has an L4 header). The IP annotation moves to it and
 * the data pointer to its start. */
void sym_push_layer(struct sym_ctx *cx, struct sym_flow *f, uint32_t hlen, bool has_l4);
/* Move the data pointer by `delta` bytes (Strip > 0, Unstrip < 0). */
void sym_move_data(struct sym_ctx *cx, struct sym_flow *f, int32_t delta);
/* Where the data pointer is, in bytes from the start of the header the IP
 * annotation points to: 0 after CheckIPHeader, 14 after a Strip(14), -14
 * after an EtherEncap (StripIPHeader, CheckLength and Truncate read it). */
int32_t sym_data_offset(const struct sym_flow *f);
/* Set the IP annotation at the data pointer + off (CheckIPHeader,
 * MarkIPHeader). If a modelled layer starts there it becomes current and
 * the layers outside it are gone; otherwise the bytes there (a payload
 * read as a header: decapsulation) become a fresh layer whose fields are
 * new unconstrained variables, and the payload a new version. */
void sym_mark_ip(struct sym_ctx *cx, struct sym_flow *f, uint32_t off);

/* ---- state pushed into the flow ----------------------------------------- */

/* A state record: owned by one element instance (sym_owner of the current
 * element); `kind` is the owner's business. Terms are substituted when
 * variables are unified, so they stay meaningful. */
#define SYM_STATE_TERMS 10
struct sym_state {
	const struct sym_state *next; /* older records */
	uint64_t owner;
	uint32_t kind;
	int32_t port;
	uint32_t nterms;
	struct sym_term t[SYM_STATE_TERMS];
};
/* The identity of the current element instance (network node + element). */
uint64_t sym_owner(struct sym_ctx *cx);
/* Push a copy of *r (next is ignored). */
void sym_state_push(struct sym_ctx *cx, struct sym_flow *f, const struct sym_state *r);
/* Newest first; NULL at the end. */
const struct sym_state *sym_state_first(const struct sym_flow *f);

/* ---- misc ---------------------------------------------------------------- */

struct arena *sym_arena(struct sym_ctx *cx);
/* Mark the flow approximate (the model let through more than it should),
 * with a reason shown in results. */
void sym_approx(struct sym_ctx *cx, struct sym_flow *f, const char *why);
/* Interval-set helpers. */
const struct sym_iset *sym_iset_range(struct sym_ctx *cx, uint32_t lo, uint32_t hi);
bool sym_iset_contains(const struct sym_iset *s, uint32_t v);

#endif
