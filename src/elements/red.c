/* RED(MIN_THRESH, MAX_THRESH, MAX_P [, QUEUES, STABILITY, GENTLE]) (Click's
 * Random Early Detection, elements/aqm/red.cc): drops a packet with a
 * probability that grows with the average length of its queues; the
 * drops go to output 1 when it exists.
 *
 * Queues: as in Click, the nearest Storage elements (Queue, SimpleQueue,
 * FullNoteQueue, FrontDropQueue) downstream of output 0 when RED pushes,
 * upstream of input 0 when it pulls, or those QUEUES names (resolved at
 * module start like Click's initialize, relative to RED's compound). The
 * search follows every port through other elements (Click's "x/x" flow
 * code; innet has no other flow codes).
 * Departures: the random numbers are innet's (rt_random), so which packets
 * are dropped differs from Click's run; the idle-time decay counts 20 ms
 * steps of the module clock (Click: of its jiffies, the same at 1000 Hz). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

#define RED_SCALE 10       /* queue sizes in the average are shifted by this */
#define RED_MAX_QUEUES 64  /* nearest queues followed */

struct red_conf {
	uint32_t min_thresh, max_thresh, kill_thresh;
	uint32_t max_p; /* out of 0x10000 */
	uint32_t stability;
	bool gentle;
	struct arg_list queues; /* QUEUES names, or none */
	uint32_t c1, c2, g1, g2;
};

/* MAX_P: a real between 0 and 1, kept with 16 fraction bits (Click's
 * FixedPointArg(16)). */
static int red_parse_p(const struct click_conf_ctx *ctx, const struct arg_val *v, uint32_t *out)
{
	double p;
	if (arg_parse_real(ctx, v, &p))
		return -EINVAL;
	if (!(p >= 0) || p > 1)
		return arg_error(ctx, v, "MAX_P must be between 0 and 1");
	*out = (uint32_t)(p * 65536.0 + 0.5);
	return 0;
}

/* Click's set_C1_and_C2: the drop probability's line in fixed point. */
static void red_constants(struct red_conf *c)
{
	if (c->min_thresh >= c->max_thresh) {
		c->c1 = 0;
		c->c2 = 1;
	} else {
		c->c1 = c->max_p / (c->max_thresh - c->min_thresh);
		c->c2 = (uint32_t)((uint64_t)c->max_p * c->min_thresh / (c->max_thresh - c->min_thresh));
	}
	c->g1 = c->max_thresh ? (0x10000 - c->max_p) / c->max_thresh : 0;
	c->g2 = 0x10000 - 2 * c->max_p;
}

static int red_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct red_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_val p = { 0 }, queues = { 0 };
	c->stability = 4;
	c->gentle = true;
	struct arg_spec spec[] = {
		arg_u32("MIN_THRESH", ARG_MP, &c->min_thresh),
		arg_u32("MAX_THRESH", ARG_MP, &c->max_thresh),
		arg_raw("MAX_P", ARG_MP, &p),
		arg_raw("QUEUES", 0, &queues),
		arg_u32("STABILITY", 0, &c->stability),
		arg_bool("GENTLE", 0, &c->gentle),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (red_parse_p(ctx, &p, &c->max_p))
		return -EINVAL;
	if (c->max_thresh > 0xffff)
		return arg_error(ctx, &spec[1].val, "MAX_THRESH must be <= 65535");
	if (c->min_thresh > c->max_thresh)
		return arg_error(ctx, &spec[0].val, "MIN_THRESH must be <= MAX_THRESH");
	if (c->stability > 16)
		return arg_error(ctx, &spec[4].val, "STABILITY must be between 0 and 16");
	if (spec[3].given && arg_words(ctx, &queues, &c->queues))
		return -ENOMEM;
	if (c->queues.n > RED_MAX_QUEUES)
		return arg_error(ctx, &spec[3].val, "more than %u QUEUES", RED_MAX_QUEUES);
	c->kill_thresh = c->gentle && c->max_p != 0x10000 ? c->max_thresh * 2 : c->max_thresh;
	red_constants(c);
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Queue lengths are not modelled: whether a packet is dropped depends on
 * how full the queues are (and on random numbers), so every flow goes both
 * ways (exact as sets of possible packets; output 1 absent drops). Even
 * MAX_P 0 drops above the thresholds. */
static int red_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                        struct sym_flow *f)
{
	mu_emit_all(cx, 2, f, NULL);
	return 0;
}

static const struct elem_model red_model = { .push = red_sym_push };

/* ---- runtime (packet functions) ---- */
struct red_state {
	uint64_t avg;        /* scaled by 2^RED_SCALE */
	uint64_t last_tick;  /* 20 ms ticks; 0: the queues were not empty */
	int32_t count;
	uint32_t random;
	uint64_t drops;
	uint32_t nq;
	uint32_t q[RED_MAX_QUEUES]; /* element indices of the queues */
};

static size_t red_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct red_state);
}

static int red_add_queue(struct red_state *s, uint32_t i)
{
	for (uint32_t k = 0; k < s->nq; k++)
		if (s->q[k] == i)
			return 0;
	if (s->nq >= RED_MAX_QUEUES)
		return -E2BIG;
	s->q[s->nq++] = i;
	return 0;
}

/* Click's ElementCastTracker walk: from output 0 downstream (push) or
 * input 0 upstream (pull), stopping at each Storage element. */
static int red_find_queues(struct rt_elem *e, struct red_state *s, bool down)
{
	const struct click_graph *g = rt_module_graph(e->m);
	uint32_t n = click_graph_nelements(g);
	uint8_t *seen = calloc(n, 1);
	uint32_t *stack = calloc(n + 1, sizeof *stack);
	uint32_t sp = 0;
	int rc = 0;
	if (!seen || !stack) {
		rc = -ENOMEM;
		goto out;
	}
	uint32_t np;
	const struct click_port_ref *r = down ? click_graph_outputs(g, e->index, 0, &np)
	                                      : click_graph_inputs(g, e->index, 0, &np);
	for (uint32_t k = 0; k < np; k++)
		if (!seen[r[k].elem]) {
			seen[r[k].elem] = 1;
			stack[sp++] = r[k].elem;
		}
	while (sp && !rc) {
		uint32_t i = stack[--sp];
		const struct click_element *ce = click_graph_element(g, i);
		if (elem_is_storage(ce->cls)) {
			rc = red_add_queue(s, i);
			continue;
		}
		uint32_t nports = down ? ce->noutputs : ce->ninputs;
		for (uint32_t port = 0; port < nports; port++) {
			r = down ? click_graph_outputs(g, i, port, &np) : click_graph_inputs(g, i, port, &np);
			for (uint32_t k = 0; k < np; k++)
				if (!seen[r[k].elem]) {
					seen[r[k].elem] = 1;
					stack[sp++] = r[k].elem;
				}
		}
	}
out:
	free(seen);
	free(stack);
	return rc;
}

/* A QUEUES name as Click's Router::find resolves it: inside RED's
 * compound first ("a/b/RED" looks for "a/b/NAME", then "a/NAME", then
 * "NAME"). */
static const struct click_element *red_find_named(const struct click_graph *g, const char *self,
                                                  const struct arg_val *v)
{
	size_t plen = strlen(self);
	char *buf = malloc(plen + v->n + 2);
	if (!buf)
		return NULL;
	const struct click_element *ce = NULL;
	for (;;) {
		while (plen && self[plen - 1] != '/')
			plen--;
		memcpy(buf, self, plen);
		memcpy(buf + plen, v->s, v->n);
		buf[plen + v->n] = 0;
		ce = click_graph_find(g, buf);
		if (ce || !plen)
			break;
		plen--;
	}
	free(buf);
	return ce;
}

static int red_init(struct rt_elem *e, struct diags *d)
{
	const struct red_conf *c = e->conf;
	struct red_state *s = e->state;
	const struct click_graph *g = rt_module_graph(e->m);
	s->count = -1;
	for (size_t k = 0; k < c->queues.n; k++) {
		const struct arg_val *v = &c->queues.v[k];
		const struct click_element *ce = red_find_named(g, e->ce->name, v);
		if (!ce) {
			diags_error(d, &v->loc, v->n, "RED: QUEUES: no element named '%.*s'", (int)v->n, v->s);
			return -EINVAL;
		}
		if (!elem_is_storage(ce->cls)) {
			diags_error(d, &v->loc, v->n, "RED: '%s' is not a Storage element", ce->name);
			return -EINVAL;
		}
		red_add_queue(s, ce->index);
	}
	if (!c->queues.n) {
		bool down = e->ce->out_proc[0] == CLICK_PUSH;
		int rc = red_find_queues(e, s, down);
		if (rc == -ENOMEM)
			return rc;
	}
	if (!s->nq) {
		diags_error(d, &e->ce->loc, 0, "%s: no nearby Queues", e->ce->name);
		return -EINVAL;
	}
	return 0;
}

static uint32_t red_queue_len(struct rt_elem *e, const struct red_state *s)
{
	uint64_t n = 0;
	for (uint32_t k = 0; k < s->nq; k++)
		n += elem_storage_len(rt_module_elem(e->m, s->q[k]));
	return n > INT32_MAX ? INT32_MAX : (uint32_t)n;
}

/* Click's DirectEWMA step: avg += (x - avg) / 2^stability, in fixed point. */
static void red_ewma(struct red_state *s, uint32_t stability, uint64_t x, uint64_t times)
{
	uint64_t xs = x << RED_SCALE;
	if (times >= 100) {
		s->avg = xs;
		return;
	}
	xs += 1u << (stability - 1);
	for (; times > 0; times--)
		s->avg += (uint64_t)((int64_t)(xs - s->avg) >> stability);
}

static uint32_t red_next_random(struct rt_elem *e)
{
	return (rt_random(e) >> 5) & 0xffff;
}

/* Click's should_drop, step for step. */
static bool red_should_drop(struct rt_elem *e)
{
	const struct red_conf *c = e->conf;
	struct red_state *s = e->state;
	uint32_t q = red_queue_len(e, s);
	uint64_t avg;
	if (c->stability == 0) {
		avg = q;
	} else if (q) {
		red_ewma(s, c->stability, q, 1);
		s->last_tick = 0;
		avg = (s->avg + (1u << (RED_SCALE - 1))) >> RED_SCALE;
	} else {
		uint64_t tick = rt_now(e) / 20000000u; /* Click: jiffies / (HZ / 50) */
		red_ewma(s, c->stability, 0, s->last_tick ? tick - s->last_tick : 1);
		s->last_tick = tick;
		avg = (s->avg + (1u << (RED_SCALE - 1))) >> RED_SCALE;
	}
	if (avg <= c->min_thresh) {
		s->count = -1;
		return false;
	}
	if (avg > c->kill_thresh) {
		s->count = -1;
		return true;
	}
	int32_t p_b;
	if (avg <= c->max_thresh)
		p_b = (int32_t)(((c->c1 * s->avg) >> RED_SCALE) - c->c2);
	else
		p_b = (int32_t)(((c->g1 * s->avg) >> RED_SCALE) - c->g2);
	s->count++;
	if (s->count > 0 && p_b > 0 && s->count > (int32_t)s->random / p_b) {
		s->count = 0;
		s->random = red_next_random(e);
		return true;
	}
	if (s->count == 0)
		s->random = red_next_random(e);
	return false;
}

static void red_handle_drop(struct rt_elem *e, struct rt_pkt *p)
{
	struct red_state *s = e->state;
	s->drops++;
	rt_push(e, 1, p); /* dropped when output 1 is absent */
}

static void red_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	if (red_should_drop(e))
		red_handle_drop(e, p);
	else
		rt_push(e, 0, p);
}

static struct rt_pkt *red_pull(struct rt_elem *e, uint32_t port)
{
	struct rt_pkt *p;
	while ((p = rt_pull(e, 0))) {
		if (!red_should_drop(e))
			return p;
		red_handle_drop(e, p);
	}
	return NULL;
}

static int red_read(const struct rt_elem *e, const char *h, uint64_t *v)
{
	const struct red_state *s = e->state;
	if (strcmp(h, "drops"))
		return -EOPNOTSUPP;
	*v = s->drops;
	return 0;
}

static const struct elem_runtime red_runtime = {
	.state_size = red_state_size,
	.init = red_init,
	.push = red_push,
	.pull = red_pull,
	.read = red_read,
};

/* ---- describe and the class object ---- */
static json_t *red_describe(const void *conf)
{
	const struct red_conf *c = conf;
	json_t *q = json_array();
	for (size_t i = 0; q && i < c->queues.n; i++)
		json_array_append_new(q, json_stringn(c->queues.v[i].s, c->queues.v[i].n));
	if (!q)
		return NULL;
	return json_pack("{s:I, s:I, s:f, s:o, s:I, s:b}", "MIN_THRESH", (json_int_t)c->min_thresh,
	                 "MAX_THRESH", (json_int_t)c->max_thresh, "MAX_P", c->max_p / 65536.0,
	                 "QUEUES", q, "STABILITY", (json_int_t)c->stability, "GENTLE", c->gentle);
}

const struct click_class elem_red = {
	.name = "RED",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = red_configure,
	.model = &red_model,
	.runtime = &red_runtime,
	.describe = red_describe,
	.doc_args = "MIN_THRESH, MAX_THRESH (unsigned packets, MIN_THRESH <= MAX_THRESH <= 65535), "
	            "MAX_P (real 0-1; all mandatory); keywords QUEUES (element names; default the "
	            "nearest Queues downstream when pushing, upstream when pulling), STABILITY "
	            "(0-16, default 4), GENTLE (bool, default true)",
	.doc_model = "Queue lengths and random numbers are not modelled: every flow may be kept "
	             "(output 0) or dropped (output 1, dropped when absent).",
};
