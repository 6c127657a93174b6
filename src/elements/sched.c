/* PrioSched, SimplePrioSched, RoundRobinSched, SimpleRoundRobinSched and
 * StrideSched(TICKETS0, ..., TICKETSn-1) (Click's pull schedulers): n pull
 * inputs, one pull output; each pull on the output tries the inputs in the
 * scheduler's order until one answers. Click's non-simple versions skip
 * inputs whose upstream notifier says empty; an empty input answers NULL
 * here, which picks the same packet, so both versions share one function. */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

/* Click's stride constants (stridesched.hh): STRIDE1 / tickets is the
 * stride, tickets are capped at 2^15. */
#define STRIDE1 (1u << 16)
#define STRIDE_MAX_TICKETS (1u << 15)

struct stride_conf {
	uint32_t n;        /* inputs = arguments */
	uint32_t *tickets; /* n, each 0..STRIDE_MAX_TICKETS */
};

/* One integer argument per input; negative is an error, more than 2^15 a
 * warning (reduced), as in Click. */
static int stride_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct stride_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	if (args->n != ctx->ninputs)
		return arg_error(ctx, NULL, "need %u arguments, one per input port", ctx->ninputs);
	c->n = ctx->ninputs;
	c->tickets = arena_calloc(ctx->arena, c->n ? c->n : 1, sizeof *c->tickets);
	if (!c->tickets)
		return -ENOMEM;
	int rc = 0;
	for (uint32_t i = 0; i < c->n; i++) {
		struct arg_val v = arg_val_of(&args->v[i], "TICKETS");
		int64_t t;
		if (arg_parse_int(ctx, &v, INT32_MIN, INT32_MAX, &t)) {
			rc = -EINVAL;
			continue;
		}
		if (t < 0) {
			rc = arg_error(ctx, &v, "argument %u (number of tickets) must be >= 0", i);
			continue;
		}
		if (t > STRIDE_MAX_TICKETS) {
			arg_warning(ctx, &v, "input %u's tickets reduced to %u", i, STRIDE_MAX_TICKETS);
			t = STRIDE_MAX_TICKETS;
		}
		c->tickets[i] = (uint32_t)t;
	}
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* A scheduler only chooses which input's packet leaves next: every flow
 * reaches the output unchanged. A StrideSched input with 0 tickets is
 * never pulled. */
static const struct elem_model sched_model = { .push = mu_sym_pass };

static int stride_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                           struct sym_flow *f)
{
	const struct stride_conf *c = e->conf;
	if (port < c->n && c->tickets[port] == 0)
		sym_drop(cx, f, "StrideSched input with 0 tickets is never pulled");
	else
		sym_emit(cx, 0, f);
	return 0;
}

static const struct elem_model stride_model = { .push = stride_sym_push };

/* ---- runtime (packet functions) ---- */
/* PrioSched: the first input, in port order, that has a packet. */
static struct rt_pkt *prio_pull(struct rt_elem *e, uint32_t port)
{
	for (uint32_t i = 0; i < e->ninputs; i++) {
		struct rt_pkt *p = rt_pull(e, i);
		if (p)
			return p;
	}
	return NULL;
}

static const struct elem_runtime prio_runtime = { .pull = prio_pull };

/* RoundRobinSched: start after the input that last answered. */
struct rr_state {
	uint32_t next;
};

static size_t rr_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct rr_state);
}

static struct rt_pkt *rr_pull(struct rt_elem *e, uint32_t port)
{
	struct rr_state *s = e->state;
	uint32_t n = e->ninputs, i = s->next;
	for (uint32_t j = 0; j < n; j++) {
		struct rt_pkt *p = rt_pull(e, i);
		i = i + 1 < n ? i + 1 : 0;
		if (p) {
			s->next = i;
			return p;
		}
	}
	return NULL;
}

static const struct elem_runtime rr_runtime = { .state_size = rr_state_size, .pull = rr_pull };

/* StrideSched: clients in a list ordered by pass (ties: the earlier
 * inserted first); a pull walks it, striding each client it tries, until
 * one answers; the tried ones are then reinserted by their new pass. */
#define STRIDE_NIL UINT32_MAX

struct stride_client {
	uint32_t pass, stride, next;
};

struct stride_state {
	uint32_t head;
	struct stride_client c[];
};

static size_t stride_state_size(const struct rt_elem *e, uint32_t fc)
{
	const struct stride_conf *c = e->conf;
	return sizeof(struct stride_state) + (size_t)c->n * sizeof(struct stride_client);
}

/* Click's PASS_GT: wrap-around comparison. */
static bool pass_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* Insert client i before the first client whose pass is not below its own. */
static void stride_insert(struct stride_state *s, uint32_t *list, uint32_t i)
{
	uint32_t *pp = list;
	while (*pp != STRIDE_NIL && pass_gt(s->c[i].pass, s->c[*pp].pass))
		pp = &s->c[*pp].next;
	s->c[i].next = *pp;
	*pp = i;
}

static int stride_init(struct rt_elem *e, struct diags *d)
{
	const struct stride_conf *c = e->conf;
	struct stride_state *s = e->state;
	s->head = STRIDE_NIL;
	for (uint32_t i = 0; i < c->n; i++) {
		s->c[i].stride = c->tickets[i] ? STRIDE1 / c->tickets[i] : 0;
		s->c[i].pass = s->c[i].stride;
		s->c[i].next = STRIDE_NIL;
	}
	/* reverse order, so ties run in port order */
	for (uint32_t i = c->n; i-- > 0;)
		if (c->tickets[i])
			stride_insert(s, &s->head, i);
	return 0;
}

static struct rt_pkt *stride_pull(struct rt_elem *e, uint32_t port)
{
	struct stride_state *s = e->state;
	uint32_t tried = s->head, i = s->head;
	struct rt_pkt *p = NULL;
	while (i != STRIDE_NIL && !p) {
		p = rt_pull(e, i);
		s->c[i].pass += s->c[i].stride;
		i = s->c[i].next;
	}
	s->head = i;
	while (tried != i) {
		uint32_t next = s->c[tried].next;
		stride_insert(s, &s->head, tried);
		tried = next;
	}
	return p;
}

static const struct elem_runtime stride_runtime = {
	.state_size = stride_state_size,
	.init = stride_init,
	.pull = stride_pull,
};

/* ---- describe and the class objects ---- */
static json_t *stride_describe(const void *conf)
{
	const struct stride_conf *c = conf;
	json_t *a = json_array();
	for (uint32_t i = 0; a && i < c->n; i++)
		json_array_append_new(a, json_integer(c->tickets[i]));
	return a ? json_pack("{s:o}", "TICKETS", a) : NULL;
}

static const char sched_doc_model[] =
	"A scheduler only picks which input's packet leaves next: every flow reaches the output "
	"unchanged.";

const struct click_class elem_priosched = {
	.name = "PrioSched",
	.port_count = "-/1",
	.processing = "l/l",
	.configure = elem__configure_none,
	.model = &sched_model,
	.runtime = &prio_runtime,
	.doc_model = sched_doc_model,
};

const struct click_class elem_simplepriosched = {
	.name = "SimplePrioSched",
	.port_count = "-/1",
	.processing = "l/l",
	.configure = elem__configure_none,
	.model = &sched_model,
	.runtime = &prio_runtime,
	.doc_model = sched_doc_model,
};

const struct click_class elem_roundrobinsched = {
	.name = "RoundRobinSched",
	.port_count = "-/1",
	.processing = "l/l",
	.configure = elem__configure_none,
	.model = &sched_model,
	.runtime = &rr_runtime,
	.doc_model = sched_doc_model,
};

const struct click_class elem_simpleroundrobinsched = {
	.name = "SimpleRoundRobinSched",
	.port_count = "-/1",
	.processing = "l/l",
	.configure = elem__configure_none,
	.model = &sched_model,
	.runtime = &rr_runtime,
	.doc_model = sched_doc_model,
};

const struct click_class elem_stridesched = {
	.name = "StrideSched",
	.port_count = "1-/1",
	.processing = "l/l",
	.configure = stride_configure,
	.model = &stride_model,
	.runtime = &stride_runtime,
	.describe = stride_describe,
	.doc_args = "TICKETS0, ..., TICKETSn-1 (one integer per input, 0 to 32768; more is "
	            "reduced to 32768 with a warning)",
	.doc_model = "A scheduler only picks which input's packet leaves next: every flow reaches "
	             "the output unchanged; an input with 0 tickets is never pulled.",
};
