/* Canonical text of a condition tree (format documented in flow.h). */
#include "flow/flow.h"

#include <stdio.h>
#include <string.h>

static const char *const ops[] = {"=", "!=", "<", ">", "<=", ">="};
static const char *const bases[] = {"ip", "transp", "ether", "data"};

static uint32_t full(uint8_t len)
{
	return len >= 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
}

static void put_atom(struct arena_str *b, const struct flow_atom *a)
{
	char t[96];
	const char *op = ops[a->op < 6 ? a->op : 0];
	if (a->base == FLOW_BASE_IP && a->off == 6 && a->len == 2 && a->mask == 0x1fff
	    && a->op == FLOW_EQ && a->value == 0) {
		arena_str_puts(b, "first-frag");
		return;
	}
	uint32_t fm, fv;
	enum flow_field f = flow_atom_field(a, &fm, &fv);
	uint32_t bits = 0;
	uint16_t foff = 0;
	uint8_t flen = 0;
	if (f != FLOW_FIELD_OTHER)
		flow_field_layout(f, NULL, &foff, &flen, &bits);
	/* named only when the atom spans exactly the field's bytes (udp[4:2]
	 * stays transp[4:2], not part of tcp.seq) */
	if (foff != a->off || flen != a->len)
		f = FLOW_FIELD_OTHER;
	const char *name = f != FLOW_FIELD_OTHER ? flow_field_name(f) : NULL;
	char field[48];
	if (name)
		snprintf(field, sizeof field, "%s", name);
	else
		snprintf(field, sizeof field, "%s[%u:%u]", bases[a->base & 3],
		         (unsigned)a->off, (unsigned)a->len);
	uint32_t mask = name ? fm : a->mask, value = name ? fv : a->value;
	uint32_t whole = name ? bits >> __builtin_ctz(bits) : full(a->len);
	bool hex = f >= FLOW_FIELD_ETHER_DST_HI && f <= FLOW_FIELD_ETHER_SRC_LO;
	bool addr = f == FLOW_FIELD_IP_SRC || f == FLOW_FIELD_IP_DST;
	if (mask != whole) {
		if (addr)
			snprintf(t, sizeof t, "(%s&%u.%u.%u.%u)", field, mask >> 24,
			         (mask >> 16) & 255, (mask >> 8) & 255, mask & 255);
		else
			snprintf(t, sizeof t, "(%s&0x%x)", field, (unsigned)mask);
	} else {
		snprintf(t, sizeof t, "%s", field);
	}
	arena_str_puts(b, t);
	arena_str_puts(b, op);
	if (addr)
		snprintf(t, sizeof t, "%u.%u.%u.%u", value >> 24, (value >> 16) & 255,
		         (value >> 8) & 255, value & 255);
	else if (hex)
		snprintf(t, sizeof t, "0x%x", (unsigned)value);
	else
		snprintf(t, sizeof t, "%u", (unsigned)value);
	arena_str_puts(b, t);
}

static void put_expr(struct arena_str *b, const struct flow_expr *e, unsigned depth)
{
	if (depth > 4 * FLOW_MAX_DEPTH + 64) {
		arena_str_puts(b, "...");
		return;
	}
	switch (e->kind) {
	case FLOW_TRUE: arena_str_puts(b, "true"); return;
	case FLOW_FALSE: arena_str_puts(b, "false"); return;
	case FLOW_ATOM: put_atom(b, &e->atom); return;
	case FLOW_NOT:
		arena_str_puts(b, "!(");
		put_expr(b, e->kids[0], depth + 1);
		arena_str_puts(b, ")");
		return;
	case FLOW_AND:
	case FLOW_OR:
		for (uint32_t i = 0; i < e->nkids; i++) {
			if (i)
				arena_str_puts(b, e->kind == FLOW_AND ? " && " : " || ");
			bool paren = e->kids[i]->kind == FLOW_AND || e->kids[i]->kind == FLOW_OR;
			if (paren)
				arena_str_puts(b, "(");
			put_expr(b, e->kids[i], depth + 1);
			if (paren)
				arena_str_puts(b, ")");
		}
		return;
	default:
		arena_str_puts(b, "?");
	}
}

char *flow_to_string(const struct flow_expr *e, struct arena *a)
{
	struct arena_str b = {.a = a};
	if (e)
		put_expr(&b, e, 0);
	return arena_str_take(&b);
}
