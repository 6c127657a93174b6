/* Flow expressions: the IPFilter/IPClassifier language (reference Part 4)
 * and Classifier patterns (Part 5), parsed once into one condition tree that
 * the verifier (symbolically), the runtime (on packets) and the requirement
 * language (flows at nodes) all consume. If they read a pattern differently,
 * what is checked is not what runs, so there is exactly one parser.
 *
 * The tree is boolean: AND / OR / NOT over atoms. An atom compares 1 to 4
 * bytes at a fixed offset from a header base, big-endian, masked:
 *     (BYTES(base, off, len) & mask) OP value
 * Implied conditions (protocol check, first fragment) are expanded into
 * explicit atoms by the parser, so consumers never need to know the sugar.
 * An atom whose bytes lie beyond the packet (a short packet, a missing
 * transport header) is false; NOT of it is true (Click's behaviour, §4.7). */
#ifndef INNET_FLOW_FLOW_H
#define INNET_FLOW_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/diag.h"

enum flow_base {
	FLOW_BASE_IP,     /* the IP header annotation */
	FLOW_BASE_TRANSP, /* IP header + ihl*4 */
	FLOW_BASE_ETHER,  /* the MAC header annotation */
	FLOW_BASE_DATA,   /* the packet data pointer (Classifier) */
};

enum flow_op { FLOW_EQ, FLOW_NE, FLOW_LT, FLOW_GT, FLOW_LE, FLOW_GE };

struct flow_atom {
	uint8_t base;   /* enum flow_base */
	uint8_t op;     /* enum flow_op */
	uint8_t len;    /* 1..4 bytes */
	uint16_t off;   /* from the base */
	uint32_t mask;  /* applied to the len-byte big-endian value */
	uint32_t value;
};

enum flow_kind { FLOW_TRUE, FLOW_FALSE, FLOW_ATOM, FLOW_NOT, FLOW_AND, FLOW_OR };

struct flow_expr {
	uint8_t kind;            /* enum flow_kind */
	uint32_t nkids;          /* AND/OR: >= 2; NOT: 1 */
	struct flow_expr **kids;
	struct flow_atom atom;   /* FLOW_ATOM */
};

/* What a packet offers to evaluation: pointers may be NULL (absent). */
struct flow_pkt {
	const uint8_t *ip;     size_t ip_len;     /* from the IP header to the end */
	const uint8_t *transp; size_t transp_len;
	const uint8_t *ether;  size_t ether_len;
	const uint8_t *data;   size_t data_len;
};

/* Parse one IPFilter/IPClassifier pattern (the text after the action word;
 * already unquoted). "-", "any" and "all" alone match everything. loc is
 * where `text` starts, for diagnostics. Returns 0 and sets *out, or a
 * negative errno with diagnostics added. Nodes are allocated in `a`. */
int flow_parse(const char *text, const struct src_loc *loc, struct arena *a,
               struct diags *d, struct flow_expr **out);

/* Parse one Classifier pattern ("12/0800 !20/0001%ffff", "-"). */
int flow_parse_classifier(const char *text, const struct src_loc *loc,
                          struct arena *a, struct diags *d, struct flow_expr **out);

/* Evaluate on a concrete packet. */
bool flow_eval(const struct flow_expr *e, const struct flow_pkt *p);

/* Fill a flow_pkt from an IPv4 packet starting at ip (no link header). */
void flow_pkt_from_ip(struct flow_pkt *p, const uint8_t *ip, size_t len);

/* Canonical text of the tree (for traces and tests), arena-allocated. */
char *flow_to_string(const struct flow_expr *e, struct arena *a);

#endif
