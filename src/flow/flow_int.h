/* Internal to src/flow: building condition trees. */
#ifndef INNET_FLOW_FLOW_INT_H
#define INNET_FLOW_FLOW_INT_H

#include "flow/flow.h"

/* Constructors return NULL only when the arena is exhausted. AND/OR flatten
 * nested nodes of the same kind and fold constants, so the trees the parser
 * builds are n-ary and free of TRUE/FALSE children (unless the whole tree
 * is a constant). */
struct flow_expr *flow__const(struct arena *a, bool v);
struct flow_expr *flow__atom(struct arena *a, enum flow_base base, uint16_t off,
                             uint8_t len, uint32_t mask, enum flow_op op, uint32_t value);
struct flow_expr *flow__not(struct arena *a, struct flow_expr *e);
/* kind is FLOW_AND or FLOW_OR; n may be 0 (then the identity constant). */
struct flow_expr *flow__nary(struct arena *a, enum flow_kind kind,
                             struct flow_expr **kids, size_t n);
struct flow_expr *flow__and2(struct arena *a, struct flow_expr *x, struct flow_expr *y);
struct flow_expr *flow__or2(struct arena *a, struct flow_expr *x, struct flow_expr *y);
/* Negation pushed down to the atoms (De Morgan, ops complemented): an atom
 * on absent bytes stays false. This is Click's negation of a compiled
 * comparison ("!=", "<="...), unlike flow__not (the "not" keyword), under
 * which an absent atom makes the negation true. */
struct flow_expr *flow__negate_atoms(struct arena *a, const struct flow_expr *e);
struct flow_expr *flow__copy(struct arena *a, const struct flow_expr *e);

/* `len` bytes big-endian from b + off; bytes at or past blen read as 0
 * (callers have checked that their mask does not select them). */
static inline uint32_t flow__load_be(const uint8_t *b, size_t blen, uint32_t off, unsigned len)
{
	uint32_t x = 0;
	for (unsigned i = 0; i < len; i++) {
		size_t at = (size_t)off + i;
		x = (x << 8) | (at < blen ? b[at] : 0);
	}
	return x;
}

/* Name tables (the names Click's IPFilter knows). Return true and set *v when found. */
bool flow__lookup_proto(const char *w, size_t n, uint32_t *v);
bool flow__lookup_port(const char *w, size_t n, uint32_t *v);
bool flow__lookup_tcpopt(const char *w, size_t n, uint32_t *v);
bool flow__lookup_icmptype(const char *w, size_t n, uint32_t *v);

/* Pseudo protocol numbers (Click's clicknet/ip.h). */
#define FLOW__PROTO_TCP_OR_UDP 256
#define FLOW__PROTO_TRANSP 258
#define FLOW__PROTO_PAYLOAD 259

#endif
