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

#include "runtime/internal.h"

enum step_kind {
	STEP_COUNT,  /* step_count: no call per packet */
	STEP_ACTION, /* an action element: its action, output 0 */
	STEP_FUSED,  /* the class's fused step */
};

struct chain_step {
	struct rt_elem *e;
	int32_t (*step)(struct rt_elem *e, uint32_t port, struct rt_pkt **pp);
	struct rt_pkt *(*action)(struct rt_elem *e, struct rt_pkt *p);
	uint32_t in_port;  /* the input the chain enters e by */
	uint32_t next;     /* the output that continues the chain (UINT32_MAX: last step) */
	uint8_t kind;      /* enum step_kind */
};

struct rt_chain {
	uint32_t n, ncount;
	struct chain_step s[];
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

/* The chain entering x by input `port`. NULL: -ENOMEM. */
static struct rt_chain *compile(struct rt_elem *x, uint32_t port)
{
	struct rt_elem *in[RT_CHAIN_MAX];
	struct chain_step s[RT_CHAIN_MAX];
	uint32_t n = 0, ncount = 0;
	for (;;) {
		int kind = kind_of(x, port);
		in[n] = x;
		s[n] = (struct chain_step){ .e = x, .step = x->rt->step, .action = x->rt->action,
		                            .in_port = port, .kind = (uint8_t)kind, .next = UINT32_MAX };
		ncount += kind == STEP_COUNT;
		n++;
		uint32_t k = n < RT_CHAIN_MAX ? continuation(x, kind, in, n) : UINT32_MAX;
		if (k == UINT32_MAX)
			break;
		s[n - 1].next = k;
		port = x->out[k].port;
		x = x->out[k].peer;
	}
	struct rt_chain *c = malloc(sizeof *c + n * sizeof c->s[0]);
	if (!c)
		return NULL;
	c->n = n;
	c->ncount = ncount;
	memcpy(c->s, s, n * sizeof s[0]);
	return c;
}

static bool compile_off(const struct rt_module *m)
{
	const char *env = getenv("INNET_RT_NOCOMPILE");
	return m->lim.no_compile || (env && *env && strcmp(env, "0") != 0);
}

int rt__chains_build(struct rt_module *m)
{
	if (compile_off(m))
		return 0;
	uint32_t heads = 0;
	for (uint32_t i = 0; i < m->n; i++)
		for (uint32_t k = 0; k < m->elems[i].noutputs; k++) {
			const struct rt_port *o = &m->elems[i].out[k];
			heads += o->push && o->peer && kind_of(o->peer, o->port) >= 0;
		}
	if (!heads || heads > UINT16_MAX)
		return 0;
	m->chains = calloc(heads, sizeof *m->chains);
	if (!m->chains)
		return -ENOMEM;
	for (uint32_t i = 0; i < m->n; i++)
		for (uint32_t k = 0; k < m->elems[i].noutputs; k++) {
			struct rt_port *o = &m->elems[i].out[k];
			if (!o->push || !o->peer || kind_of(o->peer, o->port) < 0)
				continue;
			struct rt_chain *c = compile(o->peer, o->port);
			if (!c) {
				rt__chains_free(m);
				return -ENOMEM;
			}
			m->chains[m->nchains++] = c;
			o->chain = (uint16_t)m->nchains;
		}
	return 0;
}

void rt__chains_free(struct rt_module *m)
{
	for (uint32_t i = 0; i < m->nchains; i++)
		free(m->chains[i]);
	free(m->chains);
	m->chains = NULL;
	m->nchains = 0;
	for (uint32_t i = 0; i < m->n; i++)
		for (uint32_t k = 0; k < m->elems[i].noutputs; k++)
			m->elems[i].out[k].chain = 0;
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

/* One packet through the chain from step 0, the element of step j called
 * at depth d + 1 + j as the interpreter calls it. */
static inline void run_one(struct rt_module *m, const struct rt_chain *c, uint32_t d,
                           struct rt_pkt *p, uint64_t *cnt, uint64_t *bytes)
{
	for (uint32_t j = 0;; j++) {
		const struct chain_step *s = &c->s[j];
		int32_t o;
		m->depth = d + 1 + j;
		switch (s->kind) {
		case STEP_COUNT:
			cnt[j]++;
			bytes[j] += p->len;
			o = 0;
			break;
		case STEP_ACTION:
			p = s->action(s->e, p);
			o = p ? 0 : RT_STEP_GONE;
			break;
		default:
			o = s->step(s->e, s->in_port, &p);
			break;
		}
		if (o < 0)
			return;
		if ((uint32_t)o != s->next) {
			rt_push(s->e, (uint32_t)o, p);
			return;
		}
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
	uint64_t cnt[RT_CHAIN_MAX], bytes[RT_CHAIN_MAX];
	if (c->ncount) {
		memset(cnt, 0, c->n * sizeof cnt[0]);
		memset(bytes, 0, c->n * sizeof bytes[0]);
	}
	for (uint32_t i = 0; i < n; i++) {
		if (i + 1 < n)
			__builtin_prefetch(rt_pkt_data(v[i + 1]));
		run_one(m, c, d, v[i], cnt, bytes);
	}
	m->depth = d;
	for (uint32_t j = 0; c->ncount && j < c->n; j++)
		if (c->s[j].kind == STEP_COUNT && cnt[j])
			c->s[j].e->rt->step_count(c->s[j].e, cnt[j], bytes[j]);
	return true;
}
