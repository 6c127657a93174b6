/* ChangeEnforcer: innet's sandbox element (its "change enforcer";
 * docs/ describes the sandbox). The platform puts one on every path between a
 * sandboxed module and the outside, so that at run time the module can only
 * send what the security rules allow.
 *
 *     ChangeEnforcer(ADDR a.b.c.d [, ALLOW prefix...] [, TIMEOUT t]
 *                    [, CAPACITY n])
 *
 * Ports 2/2, push, flow code xy/xy: input 0 (from the outside towards the
 * module) goes to output 0; input 1 (from the module towards the outside)
 * goes to output 1. Nothing crosses between the two directions.
 *
 * Arguments:
 *   ADDR      the module's address (mandatory; positional or keyword).
 *   ALLOW     the tenant's destination whitelist: prefixes, space
 *             separated; the keyword may be repeated and all occurrences
 *             add up. Default: empty (replies only).
 *   TIMEOUT   idle timeout of an authorization (default 300 s).
 *   CAPACITY  most authorizations kept (default 4096); when full, the
 *             oldest idle one is replaced (a new flow never blocks
 *             entering traffic).
 *
 * Semantics (what the model and the runtime implement):
 *   - A packet on input 0 (entering) always passes to output 0 and
 *     authorizes replies: its (source address, source port, protocol) is
 *     recorded (ports only for TCP/UDP first fragments; 0 otherwise) and
 *     its idle timer restarted.
 *   - A packet on input 1 (leaving) passes to output 1 only if
 *       (anti-spoofing) its source address is ADDR or the source of a
 *       recorded entry, and
 *       (default-off) its destination is in ALLOW, or is a recorded entry
 *       (destination address, destination port, protocol) = a reply;
 *     otherwise it is dropped. A leaving packet that matches an entry
 *     refreshes that entry's timer.
 *
 * Click has no ChangeEnforcer, so no conformance fixture; what it borrows
 * from Click's rewriters is the flow table (rt_flowtab, as IPRewriter's:
 * grown on demand, charged to the module's flow quota, a reply found
 * through the reversed key) and the saved-state format of a flow.
 * Where it departs from the rewriters' rules, on purpose:
 *   - Timeouts are hard: an entry idle for TIMEOUT is gone even before the
 *     timer reaps it (a look-up treats it as absent), and there is no
 *     guarantee. An authorization must not outlive what the tenant was
 *     allowed; a rewriter mapping outliving its timeout only wastes room.
 *   - A full table never refuses the packet: an entering packet always
 *     passes (traffic towards a tenant must not depend on the table), the
 *     idle-longest entry is replaced, and an authorization the table still
 *     cannot store (the module's quota, nothing to evict) is counted in
 *     full_drops while the packet goes on; only its replies will be
 *     refused.
 *   - Times are nanoseconds on the module clock, as in the rewriters.
 *
 * Cost (issue 14): the enforcer sits in front of every sandboxed module,
 * so it has push_burst (a sandboxed module keeps the burst path behind it),
 * repeats no look-up for a packet of the same flow as the one before it
 * in a vector, and its tables start with room for 2 authorizations, not
 * 16 (352 bytes for a flow, not 2,816). With thousands of modules on a
 * core each packet finds the module cold, so a packet of a known flow is
 * decided from the first cache line of the state: a copy of the entry
 * each table last found (struct ce_hot; timers restarted there and
 * written back before anything else reads the records), ADDR, TIMEOUT
 * and a single ALLOW prefix copied in at init (one compare); the reply
 * look-up is left out towards an allowed destination while no
 * authorization could be found by it (auth_allowed); the flow id is taken
 * inline; an entering vector prefetches the states behind the enforcer.
 * None of this changes a verdict, a counter or the saved state
 * (test_elements.c: test_burst_matches_single_enforcer, and
 * test_enforcer_fast_matches_reference against every look-up through the
 * index). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/inet.h"
#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct changeenforcer_conf {
	uint32_t addr;              /* the module's address, host order */
	uint32_t nallow;
	struct inet_prefix *allow;  /* masked */
	uint32_t *allow_mask;       /* allow[i]'s netmask, for ce_allowed */
	int64_t timeout_ns;         /* 300 s */
	uint32_t capacity;          /* 4096 */
};

static int changeenforcer_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                    void **conf)
{
	struct changeenforcer_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->timeout_ns = 300 * 1000000000ll;
	c->capacity = 4096;
	struct arg_list allow = { 0 };
	struct arg_spec spec[] = {
		arg_ip("ADDR", ARG_MP, &c->addr),
		arg_list("ALLOW", ARG_ALL, &allow),
		arg_time("TIMEOUT", 0, &c->timeout_ns),
		arg_u32("CAPACITY", 0, &c->capacity),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (spec[2].given && c->timeout_ns <= 0)
		rc = arg_error(ctx, &spec[2].val, "must be positive");
	if (spec[3].given && c->capacity == 0)
		rc = arg_error(ctx, &spec[3].val, "must be positive");
	size_t total = 0;
	struct arg_list *words = arena_calloc(ctx->arena, allow.n ? allow.n : 1, sizeof *words);
	if (!words)
		return -ENOMEM;
	for (size_t i = 0; i < allow.n; i++) {
		if (arg_words(ctx, &allow.v[i], &words[i]))
			return -ENOMEM;
		total += words[i].n;
	}
	c->allow = arena_calloc(ctx->arena, total ? total : 1, sizeof *c->allow);
	if (!c->allow)
		return -ENOMEM;
	for (size_t i = 0; i < allow.n; i++)
		for (size_t k = 0; k < words[i].n; k++)
			if (arg_parse_prefix(ctx, &words[i].v[k], &c->allow[c->nallow++]))
				rc = -EINVAL;
	if (rc)
		return rc;
	c->allow_mask = arena_calloc(ctx->arena, total ? total : 1, sizeof *c->allow_mask);
	if (!c->allow_mask)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->nallow; i++)
		c->allow_mask[i] = inet_mask(c->allow[i].len);
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Entering flows push an authorization (source, source port, protocol)
 * into the flow; a leaving flow passes where its source is ADDR or an
 * authorized source and its destination is allowed or an authorized
 * (address, port, protocol), i.e. a reply. Timeouts never expire. */
enum { CE_AUTH = 0x43450001u };

static const struct flow_expr ce_first = {
	.kind = FLOW_ATOM,
	.atom = { .base = FLOW_BASE_IP, .op = FLOW_EQ, .len = 2, .off = 6, .mask = 0x1fff },
};

/* TCP/UDP first fragments (ports count) vs the rest (port 0). */
static void ce_ports(struct sym_ctx *cx, struct sym_flow *f, struct sym_flows *tu,
                     struct sym_flows *other)
{
	struct sym_flow *t, *o, *u;
	sym_split_set(cx, f, SYM_F_PROTO, sym_iset_range(cx, 6, 6), &t, &o);
	if (o) {
		sym_split_set(cx, o, SYM_F_PROTO, sym_iset_range(cx, 17, 17), &u, &o);
		if (u)
			sym_split_expr(cx, u, &ce_first, tu, other);
	}
	if (t)
		sym_split_expr(cx, t, &ce_first, tu, other);
	sym_flows_push(cx, other, o);
}

static int ce_enter(struct sym_ctx *cx, struct sym_flow *f)
{
	struct sym_flows tu = { 0 }, other = { 0 };
	ce_ports(cx, f, &tu, &other);
	for (int k = 0; k < 2; k++) {
		struct sym_flows *l = k ? &other : &tu;
		for (uint32_t i = 0; i < l->n; i++) {
			struct sym_state r = { .owner = sym_owner(cx), .kind = CE_AUTH, .nterms = 3 };
			r.t[0] = sym_get(l->v[i], SYM_F_SRC);
			r.t[1] = k ? sym_const(0) : sym_get(l->v[i], SYM_F_SPORT);
			r.t[2] = sym_get(l->v[i], SYM_F_PROTO);
			sym_state_push(cx, l->v[i], &r);
			sym_emit(cx, 0, l->v[i]);
		}
	}
	return 0;
}

static int ce_leave(struct sym_ctx *cx, const struct changeenforcer_conf *c, struct sym_flow *f)
{
	uint64_t me = sym_owner(cx);
	struct sym_flows ok = { 0 }, cur = { 0 };
	/* anti-spoofing */
	struct sym_flow *own, *rest;
	sym_split_range(cx, f, SYM_F_SRC, c->addr, c->addr, &own, &rest);
	sym_flows_push(cx, &ok, own);
	sym_flows_push(cx, &cur, rest);
	for (const struct sym_state *s = rest ? sym_state_first(rest) : NULL; s && cur.n; s = s->next) {
		if (s->owner != me || s->kind != CE_AUTH)
			continue;
		struct sym_flows next = { 0 };
		enum sym_field k = SYM_F_SRC;
		for (uint32_t i = 0; i < cur.n; i++)
			sym_split_equal(cx, cur.v[i], 1, &k, &s->t[0], &ok, &next);
		cur = next;
	}
	for (uint32_t i = 0; i < cur.n; i++)
		sym_drop(cx, cur.v[i], "ChangeEnforcer: spoofed source");
	/* default-off */
	for (uint32_t i = 0; i < ok.n; i++) {
		struct sym_flow *g = ok.v[i];
		for (uint32_t a = 0; a < c->nallow && g; a++) {
			uint32_t lo = c->allow[a].addr & inet_mask(c->allow[a].len);
			struct sym_flow *in;
			sym_split_range(cx, g, SYM_F_DST, lo, lo | ~inet_mask(c->allow[a].len), &in, &g);
			if (in)
				sym_emit(cx, 1, in);
		}
		if (!g)
			continue;
		struct sym_flows tu = { 0 }, other = { 0 };
		ce_ports(cx, g, &tu, &other);
		for (int k = 0; k < 2; k++) {
			struct sym_flows left = k ? other : tu;
			for (const struct sym_state *s = sym_state_first(g); s && left.n; s = s->next) {
				if (s->owner != me || s->kind != CE_AUTH)
					continue;
				if (k && (s->t[1].var || s->t[1].k))
					continue;
				static const enum sym_field keys3[3] = { SYM_F_DST, SYM_F_DPORT, SYM_F_PROTO };
				static const enum sym_field keys2[2] = { SYM_F_DST, SYM_F_PROTO };
				struct sym_term t3[3] = { s->t[0], s->t[1], s->t[2] }, t2[2] = { s->t[0], s->t[2] };
				struct sym_flows yes = { 0 }, no = { 0 };
				for (uint32_t j = 0; j < left.n; j++) {
					if (k)
						sym_split_equal(cx, left.v[j], 2, keys2, t2, &yes, &no);
					else
						sym_split_equal(cx, left.v[j], 3, keys3, t3, &yes, &no);
				}
				for (uint32_t j = 0; j < yes.n; j++)
					sym_emit(cx, 1, yes.v[j]);
				left = no;
			}
			for (uint32_t j = 0; j < left.n; j++)
				sym_drop(cx, left.v[j], "ChangeEnforcer: destination not authorized");
		}
	}
	return 0;
}

static int changeenforcer_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                               struct sym_flow *f)
{
	const struct changeenforcer_conf *c = e->conf;
	return port == 0 ? ce_enter(cx, f) : ce_leave(cx, c, f);
}

static const struct elem_model changeenforcer_model = { .push = changeenforcer_sym_push };

/* ---- packet function ---- */

/* Two flow tables (runtime.h, the flow table; outside the module block,
 * charged to its flow quota): authorizations keyed by the entering
 * packet's (source, source port, protocol), found by a leaving packet's
 * destination through the reply key; and the entering sources
 * (anti-spoofing). Timeouts are hard here: an idle entry is gone. Every
 * entry is best-effort (no guarantee), so a full table replaces the one
 * idle longest; an entry the table refuses (quota with nothing to evict)
 * counts in full_drops, and its packet still passes. Drops are counted
 * by reason for the tenant and the operator (GET /v1/modules/{id}'s
 * runtime.enforcer, /metrics): a leaving packet's source (spoofed), its
 * destination (not allowed, not a reply); `drops` also holds what was
 * not IPv4 at all. */

/* A copy, in the module block, of the entry a table last found or
 * installed: its key, where it is and its expiry. While `valid`, the
 * entry at idx has this key, its reply key is the reversed key and
 * differs from it, so a look-up of the key finds exactly this entry as
 * dir 0 and a look-up of the reversed key exactly this entry as dir 1 (an
 * insert destroys whoever held either of its keys: one entry per key).
 * The copy's expiry is the entry's: a timer restarted through the copy
 * is written back to the record (`dirty`) by ce_sync, before anything
 * else reads or moves records (a look-up past the copy, insert, remove,
 * reap, load); save writes the copy's. Anything that may move or remove
 * entries clears the copy. So a module talking with one peer at a time,
 * thousands of them on a core, decides its packets from its block: no
 * index, no cold record read or written. */
struct ce_hot {
	uint64_t expiry;
	uint32_t saddr, idx;    /* the key: (saddr, sport, proto), daddr and dport 0 */
	uint16_t sport;
	uint8_t proto;
	bool valid : 1, dirty : 1;
};

/* What an entering packet reads is the first cache line of the state
 * (the block is cache-line aligned), the rest of the hot part the
 * second; the constants of the configuration are copied in at init (the
 * conf lives in the graph: another cold line per module). */
struct ce_state {
	/* line 0 */
	struct ce_hot hot_auth, hot_srcs;
	uint64_t timeout_ns;
	uint32_t addr;
	/* ce_push_burst may decide a whole vector before pushing it on
	 * (entering, leaving): only where nothing downstream of that output
	 * comes back to this element, so no later decision can depend on an
	 * earlier packet's trip through the graph (ce_loops). */
	bool burst_in, burst_out;
	/* Lines of the block an entering vector prefetches (ce_prefetch):
	 * line 1 of this state, then lines pf_from to pf_to, the states of
	 * the elements behind it (ce_span; none when pf_from > pf_to). */
	uint8_t pf_from, pf_to;
	/* line 1: ALLOW resolved: CE_ALLOW_ONE is the sandbox's one prefix
	 * (the module's own /32), one compare against net/mask;
	 * CE_ALLOW_MANY walks the configuration's list. */
	uint32_t allow_net, allow_mask;
	uint8_t allow_kind;
	/* Whether auth may hold an entry that a reply look-up towards an
	 * allowed destination could find (ce_reply_possible): set when one is
	 * installed, recounted when the timer reaps and after a load. While
	 * false, a leaving packet to an allowed destination needs no reply
	 * look-up: it could find nothing, so it would change nothing. */
	bool auth_allowed;
	uint64_t drops, full_drops, spoofed, unauthorized;
	struct rt_flowtab auth, srcs;
};

/* The hot part of line 0 (the block and every state in it are aligned
 * to 64 bytes, src/runtime/module.c). */
_Static_assert(offsetof(struct ce_state, pf_to) < 64, "ChangeEnforcer: line 0 overflows");

enum { CE_ALLOW_NONE, CE_ALLOW_ONE, CE_ALLOW_MANY };

/* For the tests only (test_elements.c, test_enforcer_fast_matches_reference):
 * true takes every look-up through the index and never leaves the reply
 * look-up out, as before the copies, so that the fast path can be checked
 * against it packet by packet, state byte by byte. Never set otherwise. */
extern bool changeenforcer__reference;
bool changeenforcer__reference;

/* Whether a is in ALLOW. */
static inline bool ce_allowed(const struct changeenforcer_conf *c, const struct ce_state *s,
                              uint32_t a)
{
	if (s->allow_kind == CE_ALLOW_ONE)
		return (a & s->allow_mask) == s->allow_net;
	for (uint32_t i = 0; i < c->nallow; i++)
		if ((a & c->allow_mask[i]) == c->allow[i].addr)
			return true;
	return false;
}

/* Whether a reply look-up (rt_flowtab_lookup of { .daddr = D, ... })
 * with D allowed could find f: through f's reply key (daddr = rew.saddr)
 * or its forward key (daddr = key.daddr; 0 for what the enforcer
 * installs, but a loaded state is taken as it comes). */
static bool ce_reply_possible(const struct changeenforcer_conf *c, const struct ce_state *s,
                              const struct rt_flow *f)
{
	return ce_allowed(c, s, f->rew.saddr) || ce_allowed(c, s, f->key.daddr);
}

/* Recount auth_allowed from the table (after a reap or a load). */
static void ce_recount_allowed(const struct changeenforcer_conf *c, struct ce_state *s)
{
	s->auth_allowed = false;
	for (uint32_t i = 0; i < s->auth.count && !s->auth_allowed; i++)
		s->auth_allowed = ce_reply_possible(c, s, &s->auth.flows[i]);
}

/* Write a restarted timer back to the record (see struct ce_hot). */
static void ce_sync(struct ce_hot *h, struct rt_flowtab *t)
{
	if (h->valid && h->dirty)
		t->flows[h->idx].expiry = h->expiry;
	h->dirty = false;
}

static size_t ce_state_size(const struct rt_elem *e, uint32_t limit)
{
	(void)e;
	(void)limit;
	return sizeof(struct ce_state);
}

/* ce_loops tracks elements of index below this; a graph beyond it
 * "loops" (no batching: the per-packet path, never wrong). */
#define CE_LOOP_MAX 1024u

struct ce_walk {
	uint64_t seen[CE_LOOP_MAX / 64];
	const struct rt_elem *stack[CE_LOOP_MAX];
	uint32_t n;
};

/* Queue x unless already seen; false when it cannot be tracked. */
static bool ce_visit(struct ce_walk *w, const struct rt_elem *x)
{
	if (x->index >= CE_LOOP_MAX)
		return false;
	if (w->seen[x->index / 64] >> (x->index % 64) & 1)
		return true;
	w->seen[x->index / 64] |= 1ull << (x->index % 64);
	w->stack[w->n++] = x;
	return true;
}

/* Whether a push from output `from` of e can come back into e during that
 * push: at any input (any_port), or else at input 0, a packet reaching
 * input 1 going on through output 1 (flow code xy/xy). Every connection
 * counts, pull ones too (conservative: what a Queue holds comes back
 * later, not during the push). Runs once, at init. */
static bool ce_loops_from(struct ce_walk *w, const struct rt_elem *e, uint32_t from, bool any_port)
{
	const struct rt_port *o = from < e->noutputs ? &e->out[from] : NULL;
	if (!o || !o->peer)
		return false;
	/* e itself is visited only through its input 1 (output 1 onward) */
	if (o->peer == e ? any_port || o->port == 0 || !ce_visit(w, e) : !ce_visit(w, o->peer))
		return true;
	while (w->n) {
		const struct rt_elem *x = w->stack[--w->n];
		uint32_t first = 0, last = x->noutputs;
		if (x == e)
			first = 1, last = e->noutputs > 1 ? 2 : 1;
		for (uint32_t i = first; i < last; i++) {
			const struct rt_port *q = &x->out[i];
			if (!q->peer)
				continue;
			if (q->peer == e && (any_port || q->port == 0))
				return true;
			if (!ce_visit(w, q->peer))
				return true;
		}
	}
	return false;
}

/* (No memory to walk with: "loops", the per-packet path.) */
static bool ce_loops(const struct rt_elem *e, uint32_t from, bool any_port)
{
	struct ce_walk *w = calloc(1, sizeof *w);
	bool loops = !w || ce_loops_from(w, e, from, any_port);
	free(w);
	return loops;
}

/* The lines, counted from e's state, from the first past it up to the
 * first line of the last state of the elements a packet from e can reach
 * (in the sandbox e is element 0 and they all follow it in the block),
 * at most 16: what an entering vector is about to read besides this
 * state's hot part. The dataplane prefetches a module's first KiB before
 * its packets; the sandbox's states lie beyond it. Runs once, at init. */
static void ce_span(const struct rt_elem *e, struct ce_state *s)
{
	struct ce_walk *w = calloc(1, sizeof *w);
	const char *base = e->state;
	ptrdiff_t first = ((ptrdiff_t)sizeof *s + 63) / 64, end = 0;
	if (w && ce_visit(w, e)) {
		while (w->n) {
			const struct rt_elem *x = w->stack[--w->n];
			ptrdiff_t off = (const char *)x->state - base;
			if (x->state && off > end)
				end = off;
			for (uint32_t i = 0; i < x->noutputs; i++)
				if (x->out[i].peer && !ce_visit(w, x->out[i].peer))
					w->n = 0;
		}
	}
	free(w);
	ptrdiff_t last = end / 64;
	if (last >= first + 16)
		last = first + 15;
	s->pf_from = (uint8_t)first;
	s->pf_to = (uint8_t)(last < first ? first - 1 : last);
}

/* Start loading what the vector will read, all at once, instead of one
 * cold line after the other as the elements come. */
static inline void ce_prefetch(const struct ce_state *s)
{
	const char *b = (const char *)s;
	__builtin_prefetch(b + 64);
	for (uint32_t i = s->pf_from; i <= s->pf_to; i++)
		__builtin_prefetch(b + 64 * i);
}

static int ce_init(struct rt_elem *e, struct diags *d)
{
	(void)d;
	const struct changeenforcer_conf *c = e->conf;
	struct ce_state *s = e->state;
	rt_flowtab_init(&s->auth, c->capacity, rt_flow_quota(e));
	rt_flowtab_init(&s->srcs, c->capacity, rt_flow_quota(e));
	/* a module mostly talks with few peers, and thousands of modules
	 * are sandboxed: start with room for 2, not the default 16 */
	rt_flowtab_first(&s->auth, 2);
	rt_flowtab_first(&s->srcs, 2);
	s->timeout_ns = (uint64_t)c->timeout_ns;
	s->addr = c->addr;
	s->allow_kind = c->nallow == 0 ? CE_ALLOW_NONE : c->nallow == 1 ? CE_ALLOW_ONE : CE_ALLOW_MANY;
	if (c->nallow == 1) {
		s->allow_net = c->allow[0].addr;
		s->allow_mask = c->allow_mask[0];
	}
	s->burst_in = !ce_loops(e, 0, false);
	s->burst_out = !ce_loops(e, 1, true);
	ce_span(e, s);
	rt_timer_at(e, rt_now(e) + (uint64_t)c->timeout_ns);
	return 0;
}

static void ce_fini(struct rt_elem *e)
{
	struct ce_state *s = e->state;
	s->hot_auth.valid = s->hot_srcs.valid = false;
	rt_flowtab_fini(&s->auth);
	rt_flowtab_fini(&s->srcs);
}

static uint32_t ce_run(struct rt_elem *e, uint64_t now)
{
	const struct changeenforcer_conf *c = e->conf;
	struct ce_state *s = e->state;
	ce_sync(&s->hot_auth, &s->auth);
	ce_sync(&s->hot_srcs, &s->srcs);
	s->hot_auth.valid = s->hot_srcs.valid = false;
	rt_flowtab_reap(&s->auth, now);
	rt_flowtab_reap(&s->srcs, now);
	ce_recount_allowed(c, s);
	rt_timer_at(e, now + s->timeout_ns);
	return 0;
}

static bool ce_key_eq(const struct rt_flowid *a, const struct rt_flowid *b)
{
	return a->saddr == b->saddr && a->daddr == b->daddr && a->sport == b->sport &&
	       a->dport == b->dport && a->proto == b->proto;
}

/* Whether h is the copy of the entry whose forward key is k. */
static bool ce_hot_is(const struct ce_hot *h, const struct rt_flowid *k)
{
	return h->valid && k->saddr == h->saddr && k->sport == h->sport && k->proto == h->proto &&
	       !k->daddr && !k->dport;
}

/* Whether h is the copy of the entry whose reply key is r. */
static bool ce_hot_is_reply(const struct ce_hot *h, const struct rt_flowid *r)
{
	return h->valid && r->daddr == h->saddr && r->dport == h->sport && r->proto == h->proto &&
	       !r->saddr && !r->sport;
}

/* h becomes f's copy, if f is an entry a copy may stand for: a key as
 * the enforcer makes them (no destination), its reply key the reversed
 * key, and not the key itself (no source either). */
static void ce_hot_set(struct ce_hot *h, const struct rt_flowtab *t, const struct rt_flow *f)
{
	const struct rt_flowid *k = &f->key;
	h->dirty = false;
	h->valid = !changeenforcer__reference && ce_key_eq(&f->rew, k) && !k->daddr && !k->dport &&
	           (k->saddr || k->sport);
	h->saddr = k->saddr;
	h->sport = k->sport;
	h->proto = k->proto;
	h->idx = (uint32_t)(f - t->flows);
	h->expiry = f->expiry;
}

/* What the look-ups return for "the entry of the copy": the copy answers
 * for it, so that a hit reads nothing beyond the state's first line (not
 * even the table's records pointer). Only ce_set_expiry takes it; it is
 * never read or written. */
static struct rt_flow ce_copy_entry;
#define CE_COPY (&ce_copy_entry)

/* Restart f's timer: in its copy if it has one (written back later). */
static void ce_set_expiry(struct ce_hot *h, const struct rt_flowtab *t, struct rt_flow *f,
                          uint64_t expiry)
{
	if (f == CE_COPY || (h->valid && h->idx == (uint32_t)(f - t->flows))) {
		h->expiry = expiry;
		h->dirty = true;
	} else {
		f->expiry = expiry;
	}
}

static void ce_remove(struct ce_hot *h, struct rt_flowtab *t, struct rt_flow *f)
{
	ce_sync(h, t);
	h->valid = false;
	rt_flowtab_remove(t, f);
}

/* The entry whose forward key is k (CE_COPY: the copy's); an expired one
 * counts as absent and is removed (the copy answers for the table when
 * it holds k). */
static struct rt_flow *ce_find(struct rt_flowtab *t, struct ce_hot *h, const struct rt_flowid *k,
                               uint64_t now)
{
	if (ce_hot_is(h, k)) {
		if (h->expiry > now)
			return CE_COPY;
		ce_remove(h, t, &t->flows[h->idx]);
		return NULL;
	}
	ce_sync(h, t);
	int dir;
	struct rt_flow *f = rt_flowtab_lookup(t, k, &dir);
	if (f && f->expiry <= now) {
		ce_remove(h, t, f);
		return NULL;
	}
	if (!f || dir != 0)
		return NULL;
	ce_hot_set(h, t, f);
	return f;
}

/* The live entry whose forward key is k, found without changing the
 * table (NULL: absent, expired or held as a reply key, which ce_find
 * handles). */
static struct rt_flow *ce_live(struct rt_flowtab *t, struct ce_hot *h, const struct rt_flowid *k,
                               uint64_t now)
{
	if (ce_hot_is(h, k))
		return h->expiry > now ? CE_COPY : NULL;
	ce_sync(h, t);
	int dir;
	struct rt_flow *f = rt_flowtab_lookup(t, k, &dir);
	if (!f || dir != 0)
		return NULL;
	ce_hot_set(h, t, f);
	return f->expiry > now ? f : NULL;
}

/* Find or install k, idle timer restarted. */
static void ce_authorize(struct rt_elem *e, struct rt_flowtab *t, struct ce_hot *h,
                         const struct rt_flowid *k, uint64_t now)
{
	const struct changeenforcer_conf *c = e->conf;
	struct ce_state *s = e->state;
	uint64_t expiry = now + s->timeout_ns;
	struct rt_flow *f = ce_find(t, h, k, now);
	if (f) {
		ce_set_expiry(h, t, f, expiry);
		return;
	}
	ce_sync(h, t);
	h->valid = false;
	f = rt_flowtab_insert(t, k, k, now, expiry, 0);
	if (!f) {
		s->full_drops++;
		return;
	}
	ce_hot_set(h, t, f);
	if (t == &s->auth && ce_reply_possible(c, s, f))
		s->auth_allowed = true;
}

/* Entering: always passes, and (re)authorizes replies to its source. */
static void ce_enter_pkt(struct rt_elem *e, const struct rt_flowid *id, struct rt_pkt *p)
{
	struct ce_state *s = e->state;
	uint64_t now = rt_now(e);
	struct rt_flowid k = { .saddr = id->saddr, .sport = id->sport, .proto = id->proto };
	ce_authorize(e, &s->auth, &s->hot_auth, &k, now);
	struct rt_flowid a = { .saddr = id->saddr };
	ce_authorize(e, &s->srcs, &s->hot_srcs, &a, now);
	rt_push(e, 0, p);
}

enum ce_verdict { CE_PASS, CE_SPOOFED, CE_UNAUTHORIZED };

/* The entry whose reply key is r (a reply to it); an expired entry found
 * by r either way counts as absent and is removed. */
static struct rt_flow *ce_reply(struct ce_state *s, const struct rt_flowid *r, uint64_t now)
{
	struct rt_flowtab *t = &s->auth;
	struct ce_hot *h = &s->hot_auth;
	if (ce_hot_is_reply(h, r)) {
		if (h->expiry > now)
			return CE_COPY;
		ce_remove(h, t, &t->flows[h->idx]);
		return NULL;
	}
	ce_sync(h, t);
	int dir;
	struct rt_flow *f = rt_flowtab_lookup(t, r, &dir);
	if (f && f->expiry <= now) {
		ce_remove(h, t, f);
		return NULL;
	}
	return f && dir == 1 ? f : NULL;
}

/* Leaving: passes from ADDR or an authorized source to an allowed
 * destination or as a reply (whose timer restarts). The reply look-up is
 * left out where it could find nothing (auth_allowed false, destination
 * allowed): it would neither change the verdict nor the table. */
static enum ce_verdict ce_leave_verdict(struct rt_elem *e, const struct rt_flowid *id, uint64_t now)
{
	const struct changeenforcer_conf *c = e->conf;
	struct ce_state *s = e->state;
	bool src_ok = id->saddr == s->addr;
	if (!src_ok) {
		struct rt_flowid a = { .saddr = id->saddr };
		src_ok = ce_find(&s->srcs, &s->hot_srcs, &a, now) != NULL;
	}
	bool dst_ok = ce_allowed(c, s, id->daddr);
	struct rt_flow *f = NULL;
	if (!dst_ok || s->auth_allowed || changeenforcer__reference) {
		struct rt_flowid r = { .daddr = id->daddr, .dport = id->dport, .proto = id->proto };
		f = ce_reply(s, &r, now);
	}
	if (!src_ok)
		return CE_SPOOFED;
	if (!dst_ok && !f)
		return CE_UNAUTHORIZED;
	if (f)
		ce_set_expiry(&s->hot_auth, &s->auth, f, now + s->timeout_ns);
	return CE_PASS;
}

/* Count a leaving packet's drop by its reason; true if it passes. */
static bool ce_leave_count(struct ce_state *s, enum ce_verdict v)
{
	if (v == CE_PASS)
		return true;
	if (v == CE_SPOOFED)
		s->spoofed++;
	else
		s->unauthorized++;
	s->drops++;
	return false;
}

static bool ce_leave_ok(struct rt_elem *e, const struct rt_flowid *id, uint64_t now)
{
	return ce_leave_count(e->state, ce_leave_verdict(e, id, now));
}

/* The packet's flow id as rt_pkt_flowid makes it (ports for TCP and UDP
 * first fragments with 4 transport bytes), or false when it holds no
 * 20-byte IPv4 header (rt_pkt_ip_avail): the same computation inline,
 * with the bytes available counted once, since the enforcer takes it
 * twice per packet (the reference path calls the runtime's). */
static inline bool ce_pkt_id(const struct rt_pkt *p, struct rt_flowid *id)
{
	if (changeenforcer__reference) {
		if (!rt_pkt_has_ip(p) || rt_pkt_ip_avail(p) < 20)
			return false;
		const uint8_t *ip = rt_pkt_ip(p);
		*id = rt_pkt_flowid(p, ip[9] == RT_IP_PROTO_TCP || ip[9] == RT_IP_PROTO_UDP);
		return true;
	}
	if (p->ip_off < 0 || (uint32_t)p->ip_off > p->off + p->len)
		return false;
	uint32_t avail = p->off + p->len - (uint32_t)p->ip_off;
	if (avail < 20)
		return false;
	const uint8_t *ip = rt_pkt_ip(p);
	*id = (struct rt_flowid){ .saddr = rt_rd32(ip + 12), .daddr = rt_rd32(ip + 16), .proto = ip[9] };
	if ((ip[9] == RT_IP_PROTO_TCP || ip[9] == RT_IP_PROTO_UDP) && rt_ip_first_frag(ip) &&
	    avail >= p->ip_hlen && avail - p->ip_hlen >= 4) {
		const uint8_t *t = rt_pkt_transp(p);
		id->sport = rt_rd16(t);
		id->dport = rt_rd16(t + 2);
	}
	return true;
}

/* The packet's flow id; false (counted in drops) when it is not IPv4. */
static bool ce_flowid(struct ce_state *s, const struct rt_pkt *p, struct rt_flowid *id)
{
	if (!ce_pkt_id(p, id)) {
		s->drops++;
		return false;
	}
	return true;
}

static void ce_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	struct ce_state *s = e->state;
	struct rt_flowid id;
	if (!ce_flowid(s, p, &id)) {
		rt_drop(e, p);
		return;
	}
	if (port == 0)
		ce_enter_pkt(e, &id, p);
	else if (ce_leave_ok(e, &id, rt_now(e)))
		rt_push(e, 1, p);
	else
		rt_drop(e, p);
}

/* An entering packet whose authorizations are both live only restarts
 * their timers (ce_enter_pkt's effect then, nothing inserted, moved or
 * removed); false, changing nothing, for any other packet. */
static bool ce_enter_refresh(struct rt_elem *e, const struct rt_pkt *p, uint64_t now,
                             struct rt_flowid *last)
{
	struct ce_state *s = e->state;
	struct rt_flowid id;
	if (!ce_pkt_id(p, &id))
		return false;
	struct rt_flowid k = { .saddr = id.saddr, .sport = id.sport, .proto = id.proto };
	/* the previous packet of the run had this key: already refreshed to
	 * this very expiry (one clock per vector) */
	if (last->proto == k.proto && last->saddr == k.saddr && last->sport == k.sport && last->dport)
		return true;
	struct rt_flowid a = { .saddr = id.saddr };
	struct rt_flow *fk = ce_live(&s->auth, &s->hot_auth, &k, now);
	struct rt_flow *fa = fk ? ce_live(&s->srcs, &s->hot_srcs, &a, now) : NULL;
	if (!fa)
		return false;
	uint64_t expiry = now + s->timeout_ns;
	ce_set_expiry(&s->hot_auth, &s->auth, fk, expiry);
	ce_set_expiry(&s->hot_srcs, &s->srcs, fa, expiry);
	*last = k;
	last->dport = 1; /* valid */
	return true;
}

/* Entering vector: runs of packets that only refresh live
 * authorizations go on together; any other packet (a new authorization,
 * an expired one, not IPv4) takes ce_push where it stands, after the run
 * before it has gone through the graph, as one by one. Exact because
 * nothing downstream comes back to input 0 (burst_in): what the graph
 * does with the run (the leaving side: look-ups, timer restarts, expired
 * entries removed) cannot change whether a live authorization is live. */
static void ce_enter_burst(struct rt_elem *e, struct rt_pkt **v, uint32_t n)
{
	uint64_t now = rt_now(e);
	for (uint32_t i = 0, j; i < n; i = j) {
		struct rt_flowid last = { 0 };
		for (j = i; j < n && ce_enter_refresh(e, v[j], now, &last); j++)
			;
		if (j > i)
			rt_push_burst(e, 0, v + i, j - i);
		if (j < n)
			ce_push(e, 0, v[j++]);
	}
}

/* Leaving vector: every packet decided (state and counters as one by
 * one), then runs of passing packets pushed on together, drops freed in
 * order. Exact because nothing downstream of output 1 comes back
 * (burst_out). */
static void ce_leave_burst(struct rt_elem *e, struct rt_pkt **v, uint32_t n)
{
	struct ce_state *s = e->state;
	uint64_t now = rt_now(e);
	bool ok[RT_BURST_MAX];
	struct rt_flowid last = { 0 };
	enum ce_verdict verdict = CE_PASS;
	bool have_last = false;
	for (uint32_t i = 0; i < n; i++) {
		struct rt_flowid id;
		if (!ce_flowid(s, v[i], &id)) {
			ok[i] = false;
			continue;
		}
		/* the same look-ups as the packet before give the same verdict
		 * and leave the tables as they were (an expired entry is
		 * already gone, a reply's timer already restarted to now) */
		if (!have_last || id.saddr != last.saddr || id.daddr != last.daddr ||
		    id.dport != last.dport || id.proto != last.proto) {
			verdict = ce_leave_verdict(e, &id, now);
			last = id;
			have_last = true;
		}
		ok[i] = ce_leave_count(s, verdict);
	}
	for (uint32_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && ok[j] == ok[i]; j++)
			;
		if (ok[i]) {
			rt_push_burst(e, 1, v + i, j - i);
			continue;
		}
		for (uint32_t k = i; k < j; k++)
			rt_drop(e, v[k]);
	}
}

static void ce_push_burst(struct rt_elem *e, uint32_t port, struct rt_pkt **v, uint32_t n)
{
	struct ce_state *s = e->state;
	if (port == 0)
		ce_prefetch(s);
	if (port == 0 ? s->burst_in : s->burst_out) {
		if (port == 0)
			ce_enter_burst(e, v, n);
		else
			ce_leave_burst(e, v, n);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		ce_push(e, port, v[i]);
}

static int ce_read(const struct rt_elem *e, const char *h, uint64_t *v)
{
	const struct ce_state *s = e->state;
	if (!strcmp(h, "drops"))
		*v = s->drops;
	else if (!strcmp(h, "spoofed"))
		*v = s->spoofed;
	else if (!strcmp(h, "unauthorized"))
		*v = s->unauthorized;
	else if (!strcmp(h, "count"))
		*v = rt_flowtab_count(&s->auth);
	else
		return -EOPNOTSUPP;
	return 0;
}

static void ce_table(const struct rt_elem *e, struct rt_table_stats *st)
{
	const struct ce_state *s = e->state;
	uint64_t cap = rt_flowtab_capacity(&s->auth);
	const struct rt_flowquota *q = s->auth.q;
	if (q && q->max_flows && q->max_flows < cap)
		cap = q->max_flows;
	st->entries = rt_flowtab_count(&s->auth);
	st->capacity = cap;
	st->full_drops = s->full_drops;
	st->drops = s->drops;
	st->refused_source = s->spoofed;
	st->refused_destination = s->unauthorized;
}

/* Saved: version, drops, full_drops, the timer's phase (+1, 0: none),
 * then each table's entries (rw_save_flow); version 2 then the drops by
 * reason, spoofed and unauthorized. A version 1 state (saved before the
 * reasons were counted) loads with both 0. */
#define CE_STATE_VERSION 2u

/* (The copy's expiry is the entry's: its record may be behind.) */
static void ce_save_table(struct rt_wbuf *w, const struct rt_flowtab *t, const struct ce_hot *h,
                          uint64_t now)
{
	rt_wbuf_varint(w, t->count);
	for (uint32_t i = 0; i < t->count; i++) {
		struct rt_flow f = t->flows[i];
		if (h->valid && h->idx == i)
			f.expiry = h->expiry;
		rw_save_flow(w, &f, now);
	}
}

static int ce_save(const struct rt_elem *e, struct rt_wbuf *w, uint64_t now_ns)
{
	const struct ce_state *s = e->state;
	rt_wbuf_u8(w, CE_STATE_VERSION);
	rt_wbuf_varint(w, s->drops);
	rt_wbuf_varint(w, s->full_drops);
	rt_wbuf_varint(w, rw_save_phase(e->deadline, now_ns));
	ce_save_table(w, &s->auth, &s->hot_auth, now_ns);
	ce_save_table(w, &s->srcs, &s->hot_srcs, now_ns);
	rt_wbuf_varint(w, s->spoofed);
	rt_wbuf_varint(w, s->unauthorized);
	return 0;
}

/* Entries the timer would have reaped while away are not restored (the
 * rule of the rewriters, rw_load); the rest are rebased by away_ns. */
static bool ce_load_table(struct rt_rbuf *r, struct rt_flowtab *t, const struct rw_away *a,
                          uint64_t now, uint64_t away)
{
	uint64_t n = rt_rbuf_varint(r);
	if (r->bad || n > rt_rbuf_left(r))
		return false;
	(void)rt_flowtab_reserve(t, (uint32_t)(n < UINT32_MAX ? n : UINT32_MAX));
	for (uint64_t i = 0; i < n; i++) {
		struct rt_flow f;
		if (!rw_load_flow(r, &f, now))
			return false;
		if (rw_away_removes(a, &f, now))
			continue;
		rw_rebase_flow(&f, away);
		rt_flowtab_insert(t, &f.key, &f.rew, now, f.expiry, f.guarantee);
	}
	return true;
}

static int ce_load(struct rt_elem *e, struct rt_rbuf *r, uint64_t now_ns, uint64_t away_ns,
                   struct diags *d)
{
	const struct changeenforcer_conf *c = e->conf;
	struct ce_state *s = e->state;
	uint8_t version = rt_rbuf_u8(r);
	uint64_t drops = rt_rbuf_varint(r), full_drops = rt_rbuf_varint(r);
	uint64_t phase = rt_rbuf_varint(r);
	struct rw_away a;
	rw_away(phase ? phase - 1 : UINT64_MAX, (uint64_t)c->timeout_ns, away_ns, &a);
	ce_sync(&s->hot_auth, &s->auth);
	ce_sync(&s->hot_srcs, &s->srcs);
	s->hot_auth.valid = s->hot_srcs.valid = false;
	bool ok = !r->bad && (version == 1 || version == CE_STATE_VERSION) &&
	          ce_load_table(r, &s->auth, &a, now_ns, away_ns) &&
	          ce_load_table(r, &s->srcs, &a, now_ns, away_ns);
	ce_recount_allowed(c, s); /* whatever the tables now hold */
	uint64_t spoofed = 0, unauthorized = 0;
	if (ok && version >= 2) {
		spoofed = rt_rbuf_varint(r);
		unauthorized = rt_rbuf_varint(r);
		ok = !r->bad;
	}
	if (!ok) {
		diags_error(d, NULL, 1, "saved state of '%s': not a ChangeEnforcer state", e->ce->name);
		return -EINVAL;
	}
	s->drops = drops;
	s->full_drops = full_drops;
	s->spoofed = spoofed;
	s->unauthorized = unauthorized;
	if (a.next != UINT64_MAX)
		rt_timer_at(e, now_ns + a.next);
	return 0;
}

static const struct elem_runtime changeenforcer_runtime = {
	.state_size = ce_state_size,
	.init = ce_init,
	.push = ce_push,
	.push_burst = ce_push_burst,
	.run = ce_run,
	.read = ce_read,
	.fini = ce_fini,
	.save = ce_save,
	.table = ce_table,
	.load = ce_load,
};

/* ---- describe and the class object ---- */

static json_t *changeenforcer_describe(const void *conf)
{
	const struct changeenforcer_conf *c = conf;
	json_t *allow = json_array();
	for (uint32_t i = 0; allow && i < c->nallow; i++)
		if (json_array_append_new(allow, describe_prefix(c->allow[i]))) {
			json_decref(allow);
			allow = NULL;
		}
	return json_pack("{s:o, s:o, s:I, s:I}", "ADDR", describe_ip(c->addr), "ALLOW", allow,
	                 "TIMEOUT", (json_int_t)c->timeout_ns, "CAPACITY", (json_int_t)c->capacity);
}

const struct click_class elem_changeenforcer = {
	.name = "ChangeEnforcer",
	.port_count = "2/2",
	.processing = "h/h",
	.flow_code = "xy/xy",
	.flags = ELEM_STATEFUL,
	.configure = changeenforcer_configure,
	.model = &changeenforcer_model,
	.runtime = &changeenforcer_runtime,
	.describe = changeenforcer_describe,
	.doc_args = "ADDR; keywords ALLOW (prefixes, repeatable), TIMEOUT, CAPACITY",
	.doc_model = "Entering flows push an authorization into the flow; a leaving flow passes "
	             "from ADDR or an authorized source to an allowed destination or as a reply. "
	             "Timeouts never expire and a full table is not modelled.",
};
