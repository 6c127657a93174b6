/* Flow expressions: the IPFilter/IPClassifier pattern language and
 * Classifier patterns (as Click's IPFilter and Classifier elements document
 * them), parsed once into one condition tree that
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
 * transport header) is false; NOT of it is true (Click's IPFilter behaves
 * so). */
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

/* x OP value, as an atom compares its masked bytes (an unknown op: false). */
static inline bool flow_compare(uint32_t x, uint8_t op, uint32_t value)
{
	switch (op) {
	case FLOW_EQ: return x == value;
	case FLOW_NE: return x != value;
	case FLOW_LT: return x < value;
	case FLOW_GT: return x > value;
	case FLOW_LE: return x <= value;
	case FLOW_GE: return x >= value;
	default: return false;
	}
}

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
 * already unquoted). "-", "any" and "all" alone match everything; an empty
 * (or blank) text is the error "empty pattern" (IPFilter's bare action
 * "allow" is the caller's business). loc is where `text` starts, for
 * diagnostics (NULL: none); columns are offsets into `text`. Returns 0 and
 * sets *out, or a negative errno with diagnostics added (the first error
 * stops the parse; warnings such as "relation '> 300' is always false" may
 * come with success). Nodes are allocated in `a`; AND/OR nodes are n-ary
 * (flattened), constants appear only as the whole tree, and the result is a
 * tree (no shared nodes). Semantics follow Click's ipfilter.cc exactly,
 * including inheritance of qualifiers by bare values and Click's reading of
 * "src or dst" with negated operators (see test/flow/test_flow.c). */
int flow_parse(const char *text, const struct src_loc *loc, struct arena *a,
               struct diags *d, struct flow_expr **out);

/* Names a pattern may use for addresses (Click's AddressInfo): each
 * returns true and the value when `w` (not NUL-terminated) names one. A
 * word is tried as a name only when it is not a keyword or a literal; as an
 * address first, then as a prefix (mask in host order), then as an
 * Ethernet address, as Click's IPFilter does. */
struct flow_names {
	void *ud;
	bool (*ip)(void *ud, const char *w, size_t n, uint32_t *addr);
	bool (*prefix)(void *ud, const char *w, size_t n, uint32_t *addr, uint32_t *mask);
	bool (*ether)(void *ud, const char *w, size_t n, uint8_t eth[6]);
};

/* flow_parse with names (NULL: none). */
int flow_parse_names(const char *text, const struct src_loc *loc, struct arena *a, struct diags *d,
                     const struct flow_names *names, struct flow_expr **out);

/* Parse one Classifier pattern ("12/0800 !20/0001%ffff", "-"). */
int flow_parse_classifier(const char *text, const struct src_loc *loc,
                          struct arena *a, struct diags *d, struct flow_expr **out);

/* Evaluate on a concrete packet. An atom is "present" when its base
 * pointer is set and the bytes up to the last byte its mask selects lie
 * inside the base's length (a zero mask needs the atom's first byte); this
 * is Click's per-word length check. Absent atoms are false, so NOT over one
 * is true. Click's negated comparisons ("!=", "<=", "port != 80"), which
 * must stay false on short packets, are built with complemented atom ops,
 * never with NOT: the tree the parser returns encodes Click's behaviour
 * exactly, and consumers need no special cases.
 * Known, deliberate differences from Click's word-compare program, all on
 * malformed or truncated packets only: (1) a relational test ("port >
 * 1023") needs all bytes of its field, where Click's decomposition may
 * decide from the first byte; (2) ip[...] beyond the end of the packet is
 * absent (Click reads past the end, unchecked, for offsets below 64). */
bool flow_eval(const struct flow_expr *e, const struct flow_pkt *p);

/* Fill a flow_pkt from an IPv4 packet starting at ip (no link header):
 * ip and data = the whole buffer; transp = ip + (ip[0] & 15) * 4 when the
 * packet is at least that long (no other check, as Click's MarkIPHeader;
 * CheckIPHeader upstream is what rejects a bad ihl); ether absent. */
void flow_pkt_from_ip(struct flow_pkt *p, const uint8_t *ip, size_t len);

/* Canonical text of the tree (for traces and tests), arena-allocated.
 * Format (stable; tests compare against it):
 *   true | false | !(X) | X && Y && ... | X || Y || ...   (compound children
 *   in parentheses) and atoms FIELD OP VALUE with OP one of = != < > <= >=.
 *   FIELD is a well-known field name when the atom is exactly that field
 *   (ip.vers ip.hl ip.tos ip.len ip.id ip.off ip.ttl ip.proto ip.sum ip.src
 *   ip.dst sport dport tcp.seq tcp.ack tcp.flags tcp.win icmp.type icmp.code
 *   ether.dst ether.src), "(NAME&0xMASK)" when the mask selects part of one
 *   field, else BASE[OFF:LEN] or (BASE[OFF:LEN]&0xMASK) with BASE one of
 *   ip transp ether data. ip.src/ip.dst values print dotted; others decimal.
 *   The first-fragment atom (ip.off&0x1fff)=0 prints as "first-frag".
 * Example: `udp port 1500` -> `ip.proto=17 && first-frag && (sport=1500 || dport=1500)` */
char *flow_to_string(const struct flow_expr *e, struct arena *a);

/* ---- for the requirement language and the verifier ------------------- */

/* Parse exactly `len` bytes of text (no NUL needed): the requirement
 * language cuts the flow part itself (it ends at the next "->" or at the
 * word "const"; docs/requirements.md) and hands it here. Same semantics as
 * flow_parse. */
int flow_parse_n(const char *text, size_t len, const struct src_loc *loc,
                 struct arena *a, struct diags *d, struct flow_expr **out);

/* Well-known header fields, for the verifier: which field an atom tests. */
enum flow_field {
	FLOW_FIELD_OTHER = 0,
	FLOW_FIELD_IP_VERS,   /* IP byte 0, high nibble */
	FLOW_FIELD_IP_HL,     /* IP byte 0, low nibble */
	FLOW_FIELD_IP_TOS,    /* IP byte 1 (dscp = top 6 bits, ecn = low 2) */
	FLOW_FIELD_IP_LEN,    /* IP 2..3 */
	FLOW_FIELD_IP_ID,     /* IP 4..5 */
	FLOW_FIELD_IP_OFF,    /* IP 6..7: flags + fragment offset */
	FLOW_FIELD_IP_TTL,    /* IP 8 */
	FLOW_FIELD_IP_PROTO,  /* IP 9 */
	FLOW_FIELD_IP_SUM,    /* IP 10..11 */
	FLOW_FIELD_IP_SRC,    /* IP 12..15 */
	FLOW_FIELD_IP_DST,    /* IP 16..19 */
	FLOW_FIELD_SPORT,     /* TRANSP 0..1 (TCP/UDP/DCCP/SCTP) */
	FLOW_FIELD_DPORT,     /* TRANSP 2..3 */
	FLOW_FIELD_TCP_SEQ,   /* TRANSP 4..7 */
	FLOW_FIELD_TCP_ACK,   /* TRANSP 8..11 */
	FLOW_FIELD_TCP_FLAGS, /* TRANSP 13 */
	FLOW_FIELD_TCP_WIN,   /* TRANSP 14..15 */
	FLOW_FIELD_ICMP_TYPE, /* TRANSP 0 (ICMP) */
	FLOW_FIELD_ICMP_CODE, /* TRANSP 1 (ICMP) */
	FLOW_FIELD_ETHER_DST_HI, /* ETHER 0..3 */
	FLOW_FIELD_ETHER_DST_LO, /* ETHER 4..5 */
	FLOW_FIELD_ETHER_SRC_HI, /* ETHER 6..9 */
	FLOW_FIELD_ETHER_SRC_LO, /* ETHER 10..11 */
	FLOW_FIELD__COUNT
};

/* Which well-known field the atom tests. The atom's mask bits must all lie
 * inside one field and its value must be expressible in that field's
 * coordinates; then the atom is equivalent to
 *     (FIELD & *fmask) OP *fvalue          (op = a->op, unchanged)
 * with *fmask, *fvalue in the field's own bit positions (e.g. the TTL byte
 * selected by a word compare of ip[8:4] with mask 0x00ff0000 gives
 * FLOW_FIELD_IP_TTL, fmask 0xff). Otherwise FLOW_FIELD_OTHER (outputs
 * untouched). TRANSP fields are named by layout: bytes 0..1 are SPORT for a
 * 2-byte atom, ICMP_TYPE for a 1-byte atom at 0 (the protocol is given by
 * the atoms next to it). Either out pointer may be NULL. */
enum flow_field flow_atom_field(const struct flow_atom *a, uint32_t *fmask,
                                uint32_t *fvalue);
/* "ip.src", "sport", ... ("other" for FLOW_FIELD_OTHER). */
const char *flow_field_name(enum flow_field f);
/* Where a field lives: base, byte offset, byte length, and the bits of it
 * within those bytes (e.g. IP_HL: IP, 0, 1, 0x0f). -EINVAL for OTHER. */
int flow_field_layout(enum flow_field f, enum flow_base *base, uint16_t *off,
                      uint8_t *len, uint32_t *bits);

/* Evaluate with Kleene logic: like flow_eval, but an atom whose bytes are
 * absent is UNKNOWN instead of false. Returns 1 (true), 0 (false) or -1
 * (unknown: the decision depends on absent bytes). flow_eval is Click's
 * concrete choice for those cases; tools use this to tell the two apart. */
int flow_eval3(const struct flow_expr *e, const struct flow_pkt *p);

/* Atom-level helpers shared by consumers: are the bytes the atom needs
 * present in p, and the atom's value on p (only meaningful when present). */
bool flow_atom_present(const struct flow_atom *a, const struct flow_pkt *p);
bool flow_atom_eval(const struct flow_atom *a, const struct flow_pkt *p);

/* Limits: nesting depth of parentheses/not/ternary in one pattern. */
#define FLOW_MAX_DEPTH 200

/* ---- additions (helper P): compiled rule lists ------------------------- */

/* A rule list (first matching expression wins) compiled once into a flat
 * program of atom tests with jump targets, Click's decision-tree idea: no
 * recursion, base pointers looked up once per packet, a field loaded with
 * one 4-byte load where the packet is long enough. flow_eval stays the
 * reference: flow_prog_run(P, p) is the first i with flow_eval(v[i], p)
 * (the same short-circuit order, so the same answer on every packet,
 * truncated ones included), or -1. */
struct flow_prog_insn {
	uint8_t base;   /* enum flow_base; 4: never present (bad atom) */
	uint8_t op;     /* enum flow_op */
	uint8_t shift;  /* 32 - 8 * len: a 4-byte load shifted down to len bytes */
	uint8_t len;
	uint16_t off;
	uint16_t pad;
	uint32_t need;  /* off + bytes the mask selects: present when <= base length */
	uint32_t mask, value;
	int32_t yes, no; /* next instruction (>= 0), or FLOW_PROG_RESULT(i) / -1 */
};

struct flow_prog {
	uint32_t ninsn;
	int32_t start;
	struct flow_prog_insn insn[];
};

#define FLOW_PROG_RESULT(i) (-2 - (int32_t)(i))

/* Atoms in a tree (instructions its compilation needs). */
uint32_t flow_expr_natoms(const struct flow_expr *e);
/* Bytes of a program of natoms instructions. */
size_t flow_prog_bytes(uint32_t natoms);
/* Compile v[0..n) into prog, which has room for natoms instructions (the
 * sum of flow_expr_natoms over v). 0, or -ENOSPC when it has not. */
int flow_prog_compile(struct flow_prog *prog, uint32_t natoms,
                      const struct flow_expr *const *v, uint32_t n);
/* The index of the first matching rule, or -1. */
int32_t flow_prog_run(const struct flow_prog *prog, const struct flow_pkt *p);

#endif
