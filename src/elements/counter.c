/* Counter and AverageCounter, as in Click: pass-through counting.
 * Counter's COUNT_CALL/BYTE_COUNT_CALL fire Click write handlers, which
 * innet modules do not have, so they are refused rather than ignored. */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

static int counter_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct arg_val call = { 0 }, bcall = { 0 };
	struct arg_spec spec[] = {
		arg_raw("COUNT_CALL", 0, &call),
		arg_raw("BYTE_COUNT_CALL", 0, &bcall),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	for (size_t i = 0; i < ARG_N(spec); i++)
		if (spec[i].given)
			rc = arg_error(ctx, &spec[i].val, "handler calls are not supported in innet");
	*conf = NULL;
	return rc;
}

struct averagecounter_conf {
	int64_t ignore_ns; /* ignore the first IGNORE seconds (default 0) */
};

static int averagecounter_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                    void **conf)
{
	struct averagecounter_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = { arg_time("IGNORE", ARG_P, &c->ignore_ns) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Counter and AverageCounter count and pass the packet unchanged. */
static const struct elem_model counter_model = { .push = mu_sym_pass };

/* ---- runtime (packet functions) ---- */
struct counter_state {
	uint64_t count, byte_count;
	uint64_t first_ns, last_ns; /* AverageCounter */
};

static size_t counter_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct counter_state);
}

static struct rt_pkt *counter_action(struct rt_elem *e, struct rt_pkt *p)
{
	struct counter_state *s = e->state;
	s->count++;
	s->byte_count += p->len;
	return p;
}

/* counter_action over a vector, which then goes on together. */
static void counter_push_burst(struct rt_elem *e, uint32_t port, struct rt_pkt **v, uint32_t n)
{
	(void)port;
	struct counter_state *s = e->state;
	uint64_t bytes = 0;
	for (uint32_t i = 0; i < n; i++)
		bytes += v[i]->len;
	s->count += n;
	s->byte_count += bytes;
	rt_push_burst(e, 0, v, n);
}

/* Compiled chains count what passed once per burst. */
static void counter_step_count(struct rt_elem *e, uint64_t pkts, uint64_t bytes)
{
	struct counter_state *s = e->state;
	s->count += pkts;
	s->byte_count += bytes;
}

/* AverageCounter: packets in the first IGNORE after the first one are not
 * counted; the rate is over first..latest counted packet. */
static struct rt_pkt *averagecounter_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct averagecounter_conf *c = e->conf;
	struct counter_state *s = e->state;
	uint64_t now = rt_now(e);
	if (!s->first_ns)
		s->first_ns = now ? now : 1;
	if (now - s->first_ns >= (uint64_t)(c && c->ignore_ns > 0 ? c->ignore_ns : 0)) {
		s->count++;
		s->byte_count += p->len;
		s->last_ns = now;
	}
	return p;
}

static int counter_read(const struct rt_elem *e, const char *h, uint64_t *v)
{
	const struct counter_state *s = e->state;
	if (!strcmp(h, "count"))
		*v = s->count;
	else if (!strcmp(h, "byte_count"))
		*v = s->byte_count;
	else if (!strcmp(h, "rate") || !strcmp(h, "byte_rate")) {
		uint64_t dt = s->last_ns > s->first_ns ? s->last_ns - s->first_ns : 0;
		uint64_t n = !strcmp(h, "rate") ? s->count : s->byte_count;
		*v = dt ? (uint64_t)((unsigned __int128)n * 1000000000u / dt) : 0;
	} else
		return -EOPNOTSUPP;
	return 0;
}

static const struct elem_runtime counter_runtime = {
	.state_size = counter_state_size,
	.action = counter_action,
	.push_burst = counter_push_burst,
	.step_count = counter_step_count,
	.read = counter_read,
};

static const struct elem_runtime averagecounter_runtime = {
	.state_size = counter_state_size,
	.action = averagecounter_action,
	.read = counter_read,
};

/* ---- describe and the class objects ---- */
/* Counter's only keywords are refused: nothing to describe but an object. */
static json_t *counter_describe(const void *conf)
{
	return json_object();
}

static json_t *averagecounter_describe(const void *conf)
{
	const struct averagecounter_conf *c = conf;
	return json_pack("{s:I}", "IGNORE", (json_int_t)c->ignore_ns);
}

const struct click_class elem_counter = {
	.name = "Counter",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = counter_configure,
	.model = &counter_model,
	.runtime = &counter_runtime,
	.describe = counter_describe,
	.doc_args = "keywords COUNT_CALL, BYTE_COUNT_CALL: refused, since innet modules have no "
	            "write handlers to call",
	.doc_model = "Counts and passes the packet unchanged; counts are not modelled.",
};

const struct click_class elem_averagecounter = {
	.name = "AverageCounter",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = averagecounter_configure,
	.model = &counter_model,
	.runtime = &averagecounter_runtime,
	.describe = averagecounter_describe,
	.doc_args = "[IGNORE] (time, default 0)",
	.doc_model = "Passes every packet unchanged; counts and rates are not modelled.",
};
