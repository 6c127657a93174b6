/* Compiled chains: linear runs of elements fused at rt_module_new into
 * one flat list of steps, so a burst goes through them packet by packet
 * in one loop instead of one push (indirect call, port and peer chase,
 * depth bookkeeping) per hop. What a chain does is exactly what the
 * interpreter does (src/runtime/README.md, "Compiled chains"):
 *  - each step is the element's own per-packet code (elem_runtime.step,
 *    or its action), at the depth the interpreter would call it, so
 *    whatever it pushes, drops or counts itself is unchanged;
 *  - a packet that leaves by a port that is not the chain's goes on with
 *    rt_push from that element, where the interpreter would have pushed
 *    it: the rest of its trip is the interpreter's (or another chain's);
 *  - packets go one at a time through the whole chain, in arrival order,
 *    so stateful steps (rewriters) see the order n single pushes give;
 *  - counting steps (Counter) are added once per burst, when the chain
 *    is done: nothing reads a counter in the middle of a push. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "runtime/internal.h"

enum step_kind {
	STEP_COUNT,    /* step_count: no call per packet */
	STEP_ACTION,   /* an action element: its action, output 0 */
	STEP_FUSED,    /* the class's fused step */
	STEP_CLASSIFY, /* a classifier: its rule program run here, outputs from a table */
	STEP_TX,       /* a device output: rt_tx here */
};

/* A classifier's program specialised for the chain: each test a range
 * check on the masked field (no switch on the operator), the program in
 * the chain's own memory next to its steps. */
struct cinsn {
	uint8_t base;      /* enum flow_base; 4: never present */
	uint8_t shift, len;
	bool neg;          /* true when the value is outside [lo, lo + span] */
	uint32_t off, need, mask, lo, span;
	int32_t yes, no;   /* as flow_prog_insn's */
};

struct cprog {
	int32_t start;
	uint32_t ninsn;
	struct cinsn insn[];
};

struct chain_step {
	struct rt_elem *e;
	union {
		int32_t (*step)(struct rt_elem *e, uint32_t port, struct rt_pkt **pp); /* STEP_FUSED */
		struct rt_pkt *(*action)(struct rt_elem *e, struct rt_pkt *p);       /* STEP_ACTION */
		const struct flow_prog *prog;      /* STEP_CLASSIFY, while compiling */
		const struct cprog *cprog;         /* STEP_CLASSIFY */
	} u;
	const int32_t *outs;          /* STEP_CLASSIFY: rule -> output (-1: drop) */
	uint32_t in_port;  /* the input the chain enters e by */
	uint32_t next;     /* the output that continues the chain (UINT32_MAX: last step) */
	uint8_t kind;      /* enum step_kind */
};

struct rt_chain {
	uint32_t n, ncount;
	/* Only counters, classifiers and device outputs: no step has an
	 * effect a packet's trip after the chain can see or change (counts
	 * are read between bursts; a classifier is a function of the packet),
	 * so packets leaving the chain go on together, as runs in arrival
	 * order, after the whole burst has run through it. */
	bool pure;
	struct chain_step s[];
	/* then the STEP_CLASSIFY output tables */
};

/* Can input `port` of x be a chain's step, and of which kind? -1: no. */
static int kind_of(const struct rt_elem *x, uint32_t port)
{
	if (port >= x->ninputs || !x->in[port].push)
		return -1;
	const struct elem_runtime *r = x->rt;
	if (r->step_count && !r->push && r->action)
		return STEP_COUNT;
	if (r->step)
		return STEP_FUSED;
	if (r->action && !r->push)
		return STEP_ACTION;
	return -1;
}

/* The output of x that continues a chain (the first connected push output
 * whose peer can be fused and is not in the chain yet), or UINT32_MAX. */
static uint32_t continuation(const struct rt_elem *x, int kind, struct rt_elem *const *in,
                             uint32_t nin)
{
	/* an action or counter only ever leaves by output 0 */
	uint32_t nout = kind == STEP_FUSED ? x->noutputs : (x->noutputs ? 1 : 0);
	for (uint32_t k = 0; k < nout; k++) {
		const struct rt_port *o = &x->out[k];
		if (!o->push || !o->peer || kind_of(o->peer, o->port) < 0)
			continue;
		bool seen = false;
		for (uint32_t j = 0; j < nin && !seen; j++)
			seen = in[j] == o->peer;
		if (!seen)
			return k;
	}
	return UINT32_MAX;
}

/* Rules a program can answer (results are FLOW_PROG_RESULT(i)). */
static uint32_t prog_rules(const struct flow_prog *prog)
{
	int32_t low = prog->start;
	for (uint32_t i = 0; i < prog->ninsn; i++) {
		if (prog->insn[i].yes < low)
			low = prog->insn[i].yes;
		if (prog->insn[i].no < low)
			low = prog->insn[i].no;
	}
	return low <= FLOW_PROG_RESULT(0) ? (uint32_t)(-2 - low) + 1 : 0;
}

/* flow_compare(x, op, value) as x in [lo, lo + span], negated or not. */
static struct cinsn specialise(const struct flow_prog_insn *in)
{
	struct cinsn c = { .base = in->base, .shift = in->shift, .len = in->len, .off = in->off,
	                   .need = in->need, .mask = in->mask, .yes = in->yes, .no = in->no };
	uint32_t v = in->value, lo = 0, hi = UINT32_MAX;
	bool never = false;
	switch (in->op) {
	case FLOW_EQ: lo = hi = v; break;
	case FLOW_NE: lo = hi = v; c.neg = true; break;
	case FLOW_LT: never = v == 0; hi = v - 1; break;
	case FLOW_GT: never = v == UINT32_MAX; lo = v + 1; break;
	case FLOW_LE: hi = v; break;
	case FLOW_GE: lo = v; break;
	default: never = true; break;
	}
	if (never) { /* the whole range, negated */
		lo = 0;
		hi = UINT32_MAX;
		c.neg = true;
	}
	c.lo = lo;
	c.span = hi - lo;
	return c;
}

/* The step's kind once the element is known: a classifier's program and
 * a device output without a copy to make are run inline. */
static int refine(const struct rt_elem *x, int kind)
{
	if (kind != STEP_FUSED)
		return kind;
	if (x->rt->step_prog && x->rt->step_rule_out)
		return STEP_CLASSIFY;
	if (x->rt->step_tx && !rt_has_output(x, 0))
		return STEP_TX;
	return kind;
}

/* The chain entering x by input `port`, written at dst when it is set:
 * its size in bytes (a multiple of 8) either way. */
static size_t compile(struct rt_elem *x, uint32_t port, uint8_t *dst)
{
	struct rt_elem *in[RT_CHAIN_MAX];
	struct chain_step s[RT_CHAIN_MAX];
	uint32_t n = 0, ncount = 0, nouts = 0, ninsn = 0, nprog = 0;
	for (;;) {
		int kind = refine(x, kind_of(x, port));
		s[n] = (struct chain_step){ .e = x, .in_port = port, .kind = (uint8_t)kind,
		                            .next = UINT32_MAX };
		if (kind == STEP_CLASSIFY) {
			s[n].u.prog = x->rt->step_prog(x);
			nouts += prog_rules(s[n].u.prog);
			ninsn += s[n].u.prog->ninsn;
			nprog++;
		} else if (kind == STEP_ACTION) {
			s[n].u.action = x->rt->action;
		} else if (kind == STEP_FUSED) {
			s[n].u.step = x->rt->step;
		}
		in[n] = x;
		ncount += kind == STEP_COUNT;
		n++;
		uint32_t k = n < RT_CHAIN_MAX ? continuation(x, kind, in, n) : UINT32_MAX;
		if (k == UINT32_MAX)
			break;
		s[n - 1].next = k;
		port = x->out[k].port;
		x = x->out[k].peer;
	}
	size_t progs = nprog * sizeof(struct cprog) + ninsn * sizeof(struct cinsn);
	size_t head = sizeof(struct rt_chain) + n * sizeof s[0];
	size_t size = (head + progs + nouts * sizeof(int32_t) + 7) & ~(size_t)7;
	if (!dst)
		return size;
	struct rt_chain *c = (struct rt_chain *)dst;
	c->n = n;
	c->ncount = ncount;
	c->pure = true;
	for (uint32_t j = 0; j < n; j++)
		c->pure &= s[j].kind == STEP_COUNT || s[j].kind == STEP_CLASSIFY || s[j].kind == STEP_TX;
	memcpy(c->s, s, n * sizeof s[0]);
	uint8_t *at = dst + head; /* programs (8-byte aligned), then output tables */
	int32_t *outs = (int32_t *)(at + progs);
	for (uint32_t j = 0; j < n; j++) {
		struct chain_step *st = &c->s[j];
		if (st->kind != STEP_CLASSIFY)
			continue;
		const struct flow_prog *fp = st->u.prog;
		struct cprog *cp = (struct cprog *)at;
		cp->start = fp->start;
		cp->ninsn = fp->ninsn;
		for (uint32_t i = 0; i < fp->ninsn; i++)
			cp->insn[i] = specialise(&fp->insn[i]);
		at += sizeof *cp + fp->ninsn * sizeof cp->insn[0];
		st->u.cprog = cp;
		st->outs = outs;
		for (uint32_t r = 0, nr = prog_rules(fp); r < nr; r++)
			*outs++ = st->e->rt->step_rule_out(st->e, r);
	}
	return size;
}

/* Is output k of e the head of a chain? Not when the chain would be a
 * device output alone: the interpreter's ToDevice is as short (measured:
 * a chain of it alone was a few percent slower). */
static bool head(const struct rt_elem *e, uint32_t k)
{
	const struct rt_port *o = &e->out[k];
	if (!o->push || !o->peer)
		return false;
	int kind = kind_of(o->peer, o->port);
	if (kind < 0)
		return false;
	return refine(o->peer, kind) != STEP_TX || continuation(o->peer, kind, NULL, 0) != UINT32_MAX;
}

static bool compile_off(const struct rt_module *m)
{
	const char *env = getenv("INNET_RT_NOCOMPILE");
	return m->lim.no_compile || (env && *env && strcmp(env, "0") != 0);
}

/* All the chains in one allocation (the pointers, then the chains), so a
 * packet's trip touches few lines outside the module's block. */
int rt__chains_build(struct rt_module *m)
{
	if (compile_off(m))
		return 0;
	uint32_t heads = 0;
	size_t bytes = 0;
	for (uint32_t i = 0; i < m->n; i++)
		for (uint32_t k = 0; k < m->elems[i].noutputs; k++)
			if (head(&m->elems[i], k)) {
				heads++;
				bytes += compile(m->elems[i].out[k].peer, m->elems[i].out[k].port, NULL);
			}
	if (!heads || heads > UINT16_MAX)
		return 0;
	size_t ptrs = ((size_t)heads * sizeof *m->chains + 63) & ~(size_t)63;
	size_t total = (ptrs + bytes + 63) & ~(size_t)63;
	uint8_t *blk = aligned_alloc(64, total);
	if (!blk)
		return -ENOMEM;
	m->chains = (struct rt_chain **)blk;
	m->chain_bytes = total;
	uint8_t *at = blk + ptrs;
	for (uint32_t i = 0; i < m->n; i++)
		for (uint32_t k = 0; k < m->elems[i].noutputs; k++) {
			struct rt_port *o = &m->elems[i].out[k];
			if (!head(&m->elems[i], k))
				continue;
			m->chains[m->nchains++] = (struct rt_chain *)at;
			at += compile(o->peer, o->port, at);
			o->chain = (uint16_t)m->nchains;
		}
	return 0;
}

void rt__chains_free(struct rt_module *m)
{
	free(m->chains);
	m->chains = NULL;
	m->nchains = 0;
	m->chain_bytes = 0;
	for (uint32_t i = 0; i < m->n; i++)
		for (uint32_t k = 0; k < m->elems[i].noutputs; k++)
			m->elems[i].out[k].chain = 0;
}

void rt_module_chain_mem(const struct rt_module *m, const void **p, size_t *bytes)
{
	*p = m->chains;
	*bytes = m->chain_bytes;
}

uint32_t rt_module_chains(const struct rt_module *m, uint32_t *steps)
{
	uint32_t t = 0;
	for (uint32_t i = 0; i < m->nchains; i++)
		t += m->chains[i]->n;
	if (steps)
		*steps = t;
	return m->nchains;
}

/* flow/prog.c's test, here so the program runs without a call. */
static inline uint32_t load_be(const uint8_t *b, size_t blen, uint32_t off, unsigned len)
{
	uint32_t x = 0;
	for (unsigned i = 0; i < len; i++)
		x = (x << 8) | ((size_t)off + i < blen ? b[off + i] : 0);
	return x;
}

static inline bool prog_test(const struct cinsn *in, const uint8_t *b, size_t blen)
{
	if (!b || in->need > blen)
		return false;
	uint32_t x;
	if ((size_t)in->off + 4 <= blen) {
		memcpy(&x, b + in->off, 4);
		x = __builtin_bswap32(x) >> in->shift;
	} else {
		x = load_be(b, blen, in->off, in->len);
	}
	return (((x & in->mask) - in->lo) <= in->span) != in->neg;
}

/* The rule the program picks for p (-1: none), with the windows the
 * classifier's packet function gives it (classifier.c, packet_view). */
static inline int32_t classify(const struct cprog *prog, const struct rt_pkt *p)
{
	const uint8_t *bp[5] = { NULL, NULL, NULL, rt_pkt_data(p), NULL };
	size_t bl[5] = { 0, 0, 0, p->len, 0 };
	uint32_t end = p->off + p->len;
	if (p->ip_off >= 0 && (uint32_t)p->ip_off < end) {
		uint32_t ia = end - (uint32_t)p->ip_off;
		bp[0] = p->buf + p->ip_off;
		bl[0] = ia;
		if (ia >= p->ip_hlen && p->ip_hlen > 0) {
			bp[1] = bp[0] + p->ip_hlen;
			bl[1] = ia - p->ip_hlen;
		}
	}
	if (p->mac_off >= 0 && (uint32_t)p->mac_off <= end) {
		bp[2] = p->buf + p->mac_off;
		bl[2] = end - (uint32_t)p->mac_off;
	}
	int32_t l = prog->start;
	while (l >= 0) {
		const struct cinsn *in = &prog->insn[l];
		l = prog_test(in, bp[in->base], bl[in->base]) ? in->yes : in->no;
	}
	return l == -1 ? -1 : -2 - l;
}

static inline void tx(struct rt_module *m, const struct rt_elem *e, struct rt_pkt *p)
{
	m->c.tx_pkts++;
	m->c.tx_bytes += p->len;
	if (m->env.tx)
		m->env.tx(m->env.tx_ctx, e->dev, p);
	else
		m->env.pool.free(m->env.pool.ctx, p);
}

/* One packet through the chain from step 0, the element of step j called
 * (and leaving) at depth d + 1 + j as the interpreter calls it. */
static inline void run_one(struct rt_module *m, const struct rt_chain *c, uint32_t d,
                           struct rt_pkt *p, uint64_t *cnt, uint64_t *bytes)
{
	for (uint32_t j = 0;; j++) {
		const struct chain_step *s = &c->s[j];
		int32_t o;
		switch (s->kind) {
		case STEP_COUNT:
			if (cnt) {
				cnt[j]++;
				bytes[j] += p->len;
			} else { /* a burst of one: counted now, as the burst would be after */
				s->e->rt->step_count(s->e, 1, p->len);
			}
			o = 0;
			break;
		case STEP_CLASSIFY: {
			int32_t r = classify(s->u.cprog, p);
			o = r < 0 ? -1 : s->outs[r];
			if (o < 0) {
				rt_drop(s->e, p);
				return;
			}
			break;
		}
		case STEP_TX:
			tx(m, s->e, p);
			return;
		case STEP_ACTION:
			m->depth = d + 1 + j;
			p = s->u.action(s->e, p);
			o = p ? 0 : RT_STEP_GONE;
			break;
		default:
			m->depth = d + 1 + j;
			o = s->u.step(s->e, s->in_port, &p);
			break;
		}
		if (o < 0)
			return;
		if ((uint32_t)o != s->next) {
			m->depth = d + 1 + j;
			rt_push(s->e, (uint32_t)o, p);
			return;
		}
	}
}

/* Where a packet of a pure chain went: on by output `port` of step
 * `step`, or to step's device (port UINT32_MAX). */
struct exit {
	uint16_t step;
	uint32_t port;
};


/* A pure chain over at most RT_BURST_MAX packets: every packet through the
 * steps (drops freed at once: nothing after the chain sees them), then
 * what left in arrival order, runs of one exit pushed on together. */
static void run_pure(struct rt_module *m, const struct rt_chain *c, uint32_t d,
                     struct rt_pkt **v, uint32_t n, uint64_t *cnt, uint64_t *bytes)
{
	struct exit x[RT_BURST_MAX];
	uint32_t k = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct rt_pkt *p = v[i];
		for (uint32_t j = 0;; j++) {
			const struct chain_step *s = &c->s[j];
			int32_t o = 0;
			if (s->kind == STEP_COUNT) {
				cnt[j]++;
				bytes[j] += p->len;
			} else if (s->kind == STEP_CLASSIFY) {
				int32_t r = classify(s->u.cprog, p);
				o = r < 0 ? -1 : s->outs[r];
				if (o < 0) {
					rt_drop(s->e, p);
					break;
				}
			} else { /* STEP_TX: at once while nothing waits before it */
				if (k == 0) {
					tx(m, s->e, p);
					break;
				}
				x[k] = (struct exit){ .step = (uint16_t)j, .port = UINT32_MAX };
				v[k++] = p;
				break;
			}
			if ((uint32_t)o != s->next) {
				x[k] = (struct exit){ .step = (uint16_t)j, .port = (uint32_t)o };
				v[k++] = p;
				break;
			}
		}
	}
	for (uint32_t i = 0, j; i < k; i = j) {
		for (j = i + 1; j < k && x[j].step == x[i].step && x[j].port == x[i].port; j++)
			;
		struct rt_elem *e = c->s[x[i].step].e;
		if (x[i].port == UINT32_MAX) {
			for (uint32_t q = i; q < j; q++)
				tx(m, e, v[q]);
			continue;
		}
		m->depth = d + 1 + x[i].step;
		rt_push_burst(e, x[i].port, v + i, j - i);
	}
}

bool rt__chain_run(struct rt_elem *e, uint32_t port, struct rt_pkt **v, uint32_t n)
{
	struct rt_module *m = e->m;
	const struct rt_chain *c = m->chains[e->out[port].chain - 1];
	uint32_t d = m->depth;
	/* Step j continues on at depth d + 1 + j; past max_depth the
	 * interpreter drops, so such a run is left to it. */
	if ((uint64_t)d + c->n >= m->max_depth)
		return false;
	if (n == 1) { /* a pull task's packet, a module's burst of one */
		run_one(m, c, d, v[0], NULL, NULL);
		m->depth = d;
		return true;
	}
	uint64_t cnt[RT_CHAIN_MAX], bytes[RT_CHAIN_MAX];
	if (c->ncount) {
		memset(cnt, 0, c->n * sizeof cnt[0]);
		memset(bytes, 0, c->n * sizeof bytes[0]);
	}
	if (c->pure && n > 1) {
		for (uint32_t i = 0; i < n; i += RT_BURST_MAX)
			run_pure(m, c, d, v + i, n - i < RT_BURST_MAX ? n - i : RT_BURST_MAX, cnt, bytes);
	} else {
		for (uint32_t i = 0; i < n; i++)
			run_one(m, c, d, v[i], cnt, bytes);
	}
	m->depth = d;
	for (uint32_t j = 0; c->ncount && j < c->n; j++)
		if (c->s[j].kind == STEP_COUNT && cnt[j])
			c->s[j].e->rt->step_count(c->s[j].e, cnt[j], bytes[j]);
	return true;
}
