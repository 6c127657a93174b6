/* Compiled rule lists (flow_prog_*) against the reference evaluator: on
 * random packets (whole, truncated, random bytes, with and without each
 * base) and random rule lists, flow_prog_run must name the first rule
 * flow_eval accepts, always. Rule lists come from two generators: parsed
 * IPFilter/Classifier patterns (what elements really compile) and trees
 * built directly with arbitrary atoms (every base, op, length 1-4, odd
 * masks and offsets, constants, NOT over anything), which the parser never
 * produces but the evaluator must agree on all the same. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flow/flow.h"

struct rng { uint64_t s; };
static uint32_t rnd(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return (uint32_t)(r->s >> 11);
}

#define PLEN 96

struct pkt {
	uint8_t b[PLEN];
	size_t len;
	struct flow_pkt fp;
};

static void gen_packet(struct rng *r, struct pkt *p)
{
	memset(p, 0, sizeof *p);
	uint8_t *b = p->b;
	uint32_t kind = rnd(r) % 10;
	if (kind == 0) { /* random bytes */
		p->len = rnd(r) % PLEN;
		for (size_t i = 0; i < p->len; i++)
			b[i] = (uint8_t)rnd(r);
	} else {
		unsigned ihl = rnd(r) % 6 == 0 ? 5 + rnd(r) % 4 : 5;
		b[0] = (uint8_t)(0x40 | ihl);
		b[1] = (uint8_t)(rnd(r) % 4);
		b[6] = rnd(r) % 5 == 0 ? (uint8_t)rnd(r) : 0;
		b[8] = (uint8_t)(rnd(r) % 3 ? 64 : rnd(r));
		static const uint8_t protos[] = {6, 17, 1, 6, 17, 47};
		b[9] = rnd(r) % 8 ? protos[rnd(r) % 6] : (uint8_t)rnd(r);
		static const uint32_t addrs[] = {0x0a000001, 0x0a000002, 0xc0a80101, 0x08080808};
		uint32_t s = rnd(r) % 4 ? addrs[rnd(r) % 4] : rnd(r), d = rnd(r) % 4 ? addrs[rnd(r) % 4] : rnd(r);
		for (int i = 0; i < 4; i++) {
			b[12 + i] = (uint8_t)(s >> (24 - 8 * i));
			b[16 + i] = (uint8_t)(d >> (24 - 8 * i));
		}
		static const uint16_t ports[] = {80, 53, 22, 1500, 1023, 1024, 0, 65535};
		uint8_t *t = b + ihl * 4;
		for (unsigned i = 0; i < 24; i++)
			t[i] = (uint8_t)rnd(r);
		uint16_t sp = ports[rnd(r) % 8], dp = ports[rnd(r) % 8];
		t[0] = (uint8_t)(sp >> 8);
		t[1] = (uint8_t)sp;
		t[2] = (uint8_t)(dp >> 8);
		t[3] = (uint8_t)dp;
		p->len = ihl * 4 + 8 + rnd(r) % 40;
		b[2] = 0;
		b[3] = (uint8_t)p->len;
		if (rnd(r) % 6 == 0) /* truncated */
			p->len = rnd(r) % p->len;
	}
	flow_pkt_from_ip(&p->fp, b, p->len);
	/* Classifier sees the data from the Ethernet header: use the same
	 * bytes as ether; drop bases at random (an element upstream may have
	 * left them unset). */
	p->fp.ether = b;
	p->fp.ether_len = p->len;
	if (rnd(r) % 7 == 0) {
		p->fp.transp = NULL;
		p->fp.transp_len = 0;
	}
	if (rnd(r) % 9 == 0) {
		p->fp.ether = NULL;
		p->fp.ether_len = 0;
	}
	if (rnd(r) % 11 == 0) {
		p->fp.ip = NULL;
		p->fp.ip_len = 0;
	}
}

/* ---- trees built directly ------------------------------------------------ */

static struct flow_expr *node(struct arena *a, uint8_t kind, uint32_t nkids)
{
	struct flow_expr *e = arena_alloc(a, sizeof *e);
	assert_non_null(e);
	e->kind = kind;
	e->nkids = nkids;
	if (nkids) {
		e->kids = arena_calloc(a, nkids, sizeof *e->kids);
		assert_non_null(e->kids);
	}
	return e;
}

static struct flow_expr *rand_tree(struct rng *r, struct arena *a, int depth)
{
	uint32_t k = depth >= 4 ? 10 : rnd(r) % 16;
	if (k < 2) { /* constants anywhere (the parser folds them; the compiler must not care) */
		return node(a, rnd(r) % 2 ? FLOW_TRUE : FLOW_FALSE, 0);
	} else if (k < 4) {
		struct flow_expr *e = node(a, FLOW_NOT, 1);
		e->kids[0] = rand_tree(r, a, depth + 1);
		return e;
	} else if (k < 8) {
		uint32_t n = 1 + rnd(r) % 4;
		struct flow_expr *e = node(a, rnd(r) % 2 ? FLOW_AND : FLOW_OR, n);
		for (uint32_t i = 0; i < n; i++)
			e->kids[i] = rand_tree(r, a, depth + 1);
		return e;
	}
	struct flow_expr *e = node(a, FLOW_ATOM, 0);
	struct flow_atom *at = &e->atom;
	at->base = (uint8_t)(rnd(r) % 4);
	at->op = (uint8_t)(rnd(r) % 6);
	at->len = (uint8_t)(1 + rnd(r) % 4);
	at->off = (uint16_t)(rnd(r) % 8 ? rnd(r) % 40 : rnd(r) % 100);
	uint32_t full = at->len == 4 ? 0xffffffffu : (1u << (8 * at->len)) - 1;
	uint32_t mk = rnd(r) % 4;
	at->mask = mk == 0 ? full : mk == 1 ? (rnd(r) & full) : mk == 2 ? (0xffu << (8 * (rnd(r) % at->len))) & full : 0;
	/* values near what packets hold, so both outcomes happen */
	at->value = rnd(r) % 3 ? (rnd(r) % 3) & at->mask : rnd(r) & full;
	if (rnd(r) % 20 == 0) /* a malformed atom: never present */
		at->len = rnd(r) % 2 ? 0 : 5;
	return e;
}

static void check_lists(struct rng *r, struct flow_expr **v, uint32_t n, const struct pkt *pk, uint32_t npk,
                        uint64_t *matched)
{
	uint32_t natoms = 0;
	for (uint32_t i = 0; i < n; i++)
		natoms += flow_expr_natoms(v[i]);
	struct flow_prog *prog = malloc(flow_prog_bytes(natoms));
	assert_non_null(prog);
	if (natoms > 0) /* too small a program is refused, not overrun */
		assert_int_equal(flow_prog_compile(prog, natoms - 1, (const struct flow_expr *const *)v, n), -ENOSPC);
	assert_int_equal(flow_prog_compile(prog, natoms, (const struct flow_expr *const *)v, n), 0);
	for (uint32_t j = 0; j < npk; j++) {
		int32_t want = -1;
		for (uint32_t i = 0; i < n; i++)
			if (flow_eval(v[i], &pk[j].fp)) {
				want = (int32_t)i;
				break;
			}
		int32_t got = flow_prog_run(prog, &pk[j].fp);
		if (got != want) {
			struct arena *a = arena_new(0);
			for (uint32_t i = 0; i < n; i++)
				fprintf(stderr, "rule %u: %s\n", i, flow_to_string(v[i], a));
			fprintf(stderr, "packet %u (len %zu): want %d, got %d\n", j, pk[j].len, want, got);
			arena_free(a);
		}
		assert_int_equal(got, want);
		if (want >= 0)
			(*matched)++;
	}
	(void)r;
	free(prog);
}

#define NPKT 2000

static void test_random_trees(void **state)
{
	(void)state;
	struct rng r = {0x243f6a8885a308d3ull};
	struct pkt *pk = calloc(NPKT, sizeof *pk);
	assert_non_null(pk);
	for (uint32_t j = 0; j < NPKT; j++)
		gen_packet(&r, &pk[j]);
	uint64_t matched = 0, total = 0;
	for (int round = 0; round < 400; round++) {
		struct arena *a = arena_new(0);
		struct flow_expr *v[6];
		uint32_t n = rnd(&r) % 6; /* 0 rules too: nothing matches */
		for (uint32_t i = 0; i < n; i++)
			v[i] = rand_tree(&r, a, 0);
		check_lists(&r, v, n, pk, NPKT, &matched);
		total += NPKT;
		arena_free(a);
	}
	/* the generators exercise both outcomes */
	assert_true(matched > total / 10);
	assert_true(matched < total - total / 10);
	free(pk);
}

/* ---- parsed patterns ------------------------------------------------------- */

static const char *const prims[] = {
	"tcp", "udp", "icmp", "host 10.0.0.1", "src host 10.0.0.2", "dst net 192.168.0.0/16",
	"port 80", "udp port 1500", "dst udp port 1500", "tcp dst port 22", "src port 53",
	"port > 1023", "port != 80", "dst port <= 1024", "syn", "ack", "syn && !ack",
	"ip ttl < 5", "ip ttl 64", "ip frag", "ip unfrag", "icmp type echo", "ip proto 47",
	"tcp win > 1024", "ip[12:4] & 0xff000000 = 0x0a000000", "transp[13] & 2 != 0",
	"ip hl > 5", "ip len > 40", "ip dscp 0", "tcp opt rst", "true", "false", "-",
};

static void rand_pattern(struct rng *r, char *buf, size_t n, int depth)
{
	uint32_t k = depth >= 2 ? 0 : rnd(r) % 5;
	char a[1024], b[1024];
	int w = 0;
	switch (k) {
	case 0: case 1:
		snprintf(buf, n, "%s", prims[rnd(r) % (sizeof prims / sizeof prims[0])]);
		if (!strcmp(buf, "-") && depth > 0)
			snprintf(buf, n, "tcp");
		break;
	case 2:
		rand_pattern(r, a, sizeof a, depth + 1);
		rand_pattern(r, b, sizeof b, depth + 1);
		w = snprintf(buf, n, "(%s) %s (%s)", a, rnd(r) % 2 ? "and" : "or", b);
		break;
	case 3:
		rand_pattern(r, a, sizeof a, depth + 1);
		w = snprintf(buf, n, "not (%s)", a);
		break;
	default:
		rand_pattern(r, a, sizeof a, depth + 1);
		rand_pattern(r, b, sizeof b, depth + 1);
		w = snprintf(buf, n, "(%s) ? (%s) : (udp)", a, b);
		break;
	}
	assert_true(w >= 0 && (size_t)w < n); /* no pattern cut short */
}

static const char *const cls_pats[] = {
	"12/0800", "12/0806 20/0001", "!12/0800", "23/11", "23/06 47/02%02", "-",
	"30/0a000001", "0/45 9/11", "14/45%f0", "34/05dc", "36/05dc", "40/????0001",
};

static void test_parsed_rule_lists(void **state)
{
	(void)state;
	struct rng r = {0x13198a2e03707344ull};
	struct pkt *pk = calloc(NPKT, sizeof *pk);
	assert_non_null(pk);
	for (uint32_t j = 0; j < NPKT; j++)
		gen_packet(&r, &pk[j]);
	uint64_t matched = 0;
	for (int round = 0; round < 300; round++) {
		struct arena *a = arena_new(0);
		struct flow_expr *v[8];
		uint32_t n = 1 + rnd(&r) % 8;
		for (uint32_t i = 0; i < n; i++) {
			char text[4096];
			struct diags d;
			diags_init(&d);
			int rc;
			if (round % 3 == 2) {
				snprintf(text, sizeof text, "%s", cls_pats[rnd(&r) % (sizeof cls_pats / sizeof cls_pats[0])]);
				rc = flow_parse_classifier(text, NULL, a, &d, &v[i]);
			} else {
				rand_pattern(&r, text, sizeof text, 0);
				rc = flow_parse(text, NULL, a, &d, &v[i]);
			}
			if (rc != 0)
				fprintf(stderr, "%s: %s\n", text, d.n ? d.v[0].msg : "?");
			assert_int_equal(rc, 0);
			diags_free(&d);
		}
		check_lists(&r, v, n, pk, NPKT, &matched);
		arena_free(a);
	}
	assert_true(matched > 0);
	free(pk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_trees),
		cmocka_unit_test(test_parsed_rule_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
