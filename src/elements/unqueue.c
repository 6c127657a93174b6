/* Unqueue and TimedUnqueue (Click's): pull to push on a task.
 * Unqueue([BURST] [, ACTIVE, LIMIT]); TimedUnqueue(INTERVAL [, BURST]). */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct unqueue_conf {
	int32_t burst;  /* per run; negative: until the upstream is empty */
	bool active;    /* true */
	int32_t limit;  /* total packets, -1: unlimited */
};

static int unqueue_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct unqueue_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->burst = 1;
	c->active = true;
	c->limit = -1;
	struct arg_spec spec[] = {
		arg_i32("BURST", ARG_P, &c->burst),
		arg_bool("ACTIVE", 0, &c->active),
		arg_i32("LIMIT", 0, &c->limit),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (c->burst == 0)
		arg_warning(ctx, &spec[0].val, "BURST 0 never pulls a packet");
	*conf = c;
	return 0;
}

struct timedunqueue_conf {
	int64_t interval_ns; /* > 0, millisecond precision as in Click */
	uint32_t burst;      /* > 0, default 1 */
};

static int timedunqueue_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                  void **conf)
{
	struct timedunqueue_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->burst = 1;
	struct arg_spec spec[] = {
		arg_time("INTERVAL", ARG_MP, &c->interval_ns),
		arg_u32("BURST", ARG_P, &c->burst),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	c->interval_ns = (c->interval_ns + 500000) / 1000000 * 1000000;
	if (c->interval_ns <= 0)
		rc = arg_error(ctx, &spec[0].val, "must be at least 1ms");
	if (spec[1].given && c->burst == 0)
		rc = arg_error(ctx, &spec[1].val, "must be at least 1");
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Time is not modelled: an unqueuer passes every packet it is given,
 * whatever its rate. */
static const struct elem_model pass_model = { .push = mu_sym_pass };

/* Unqueue(ACTIVE false) never pulls. */
static int unqueue_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                        struct sym_flow *f)
{
	const struct unqueue_conf *c = e->conf;
	if (!c->active || c->limit == 0)
		sym_drop(cx, f, "unqueue inactive");
	else
		sym_emit(cx, 0, f);
	return 0;
}

static const struct elem_model unqueue_model = { .push = unqueue_sym_push };

/* ---- runtime (packet functions) ---- */
/* Unqueue: a pull task moving up to BURST packets per run. */
struct unqueue_state {
	uint64_t count;
};

static size_t unqueue_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct unqueue_state);
}

static int unqueue_init(struct rt_elem *e, struct diags *d)
{
	const struct unqueue_conf *c = e->conf;
	if (c->active)
		rt_task_enable(e);
	return 0;
}

static uint32_t unqueue_run(struct rt_elem *e, uint64_t now)
{
	const struct unqueue_conf *c = e->conf;
	struct unqueue_state *s = e->state;
	uint32_t n = 0;
	while (c->burst < 0 || n < (uint32_t)c->burst) {
		if (c->limit >= 0 && s->count >= (uint64_t)c->limit)
			break;
		struct rt_pkt *p = rt_pull(e, 0);
		if (!p)
			break;
		s->count++;
		n++;
		rt_push(e, 0, p);
	}
	return n;
}

static int unqueue_read(const struct rt_elem *e, const char *h, uint64_t *v)
{
	const struct unqueue_state *s = e->state;
	if (strcmp(h, "count"))
		return -EOPNOTSUPP;
	*v = s->count;
	return 0;
}

static const struct elem_runtime unqueue_runtime = {
	.state_size = unqueue_state_size,
	.init = unqueue_init,
	.run = unqueue_run,
	.read = unqueue_read,
};

/* TimedUnqueue, as Click's (a Task, a Timer and the upstream empty
 * signal): asleep, it is a pull task, so a packet reaching its empty
 * upstream leaves at once; each run that moved packets (or found the
 * upstream not yet reported empty) makes it a timer INTERVAL later, on the
 * previous expiry's grid while busy. Click's Queue reports empty only on
 * its 10th failed pull in a row (NotifierQueue's SLEEPINESS_TRIGGER of 9),
 * so the grid outlives the last packet by up to ten intervals (a partial
 * burst's failed pull counts); `fails` counts those pulls here. A run
 * whose first pull fails with the signal down sleeps: no timer, no cost
 * until the next packet. It starts asleep, as Click's is ten intervals
 * after it started (its first run there finds the queue empty); started
 * on a queue that holds packets (a resumed module) it runs at once, as
 * Click's task does at initialisation. */
#define TIMEDUNQUEUE_SLEEPINESS 9

struct timedunqueue_state {
	uint64_t expiry;  /* the last timer's expiry; 0: none (asleep) */
	uint64_t count;
	uint32_t fails;   /* failed pulls in a row, as the Queue's sleepiness */
};

static size_t timedunqueue_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct timedunqueue_state);
}

static int timedunqueue_init(struct rt_elem *e, struct diags *d)
{
	struct timedunqueue_state *s = e->state;
	s->fails = TIMEDUNQUEUE_SLEEPINESS;
	rt_task_enable(e);
	return 0;
}

/* A failed pull: is the upstream now reported empty (Click's signal)? A
 * queue still holding packets behind a rate (a Shaper) was not pulled. */
static bool timedunqueue_empty(const struct rt_elem *e, struct timedunqueue_state *s)
{
	if (rt_upstream_holds(e))
		return false;
	if (s->fails >= TIMEDUNQUEUE_SLEEPINESS)
		return true;
	s->fails++;
	return false;
}

static uint32_t timedunqueue_run(struct rt_elem *e, uint64_t now)
{
	const struct timedunqueue_conf *c = e->conf;
	struct timedunqueue_state *s = e->state;
	uint32_t n = 0;
	while (n < c->burst) {
		struct rt_pkt *p = rt_pull(e, 0);
		if (!p) {
			if (timedunqueue_empty(e, s) && n == 0) {
				s->expiry = 0;
				rt_task_enable(e); /* asleep until a packet arrives */
				return 0;
			}
			break;
		}
		s->fails = 0;
		n++;
		s->count++;
		rt_push(e, 0, p);
	}
	uint64_t iv = (uint64_t)c->interval_ns;
	s->expiry = s->expiry ? s->expiry + iv : now + iv;
	if (s->expiry + 1000 * iv < now) /* stopped for long: no catch-up storm */
		s->expiry = now + iv;
	rt_task_timer(e, s->expiry);
	return n;
}

static int timedunqueue_read(const struct rt_elem *e, const char *h, uint64_t *v)
{
	const struct timedunqueue_state *s = e->state;
	if (strcmp(h, "count"))
		return -EOPNOTSUPP;
	*v = s->count;
	return 0;
}

static const struct elem_runtime timedunqueue_runtime = {
	.state_size = timedunqueue_state_size,
	.init = timedunqueue_init,
	.run = timedunqueue_run,
	.read = timedunqueue_read,
};

/* ---- describe and the class objects ---- */
static json_t *unqueue_describe(const void *conf)
{
	const struct unqueue_conf *c = conf;
	return json_pack("{s:i, s:b, s:i}", "BURST", c->burst, "ACTIVE", c->active, "LIMIT", c->limit);
}

static json_t *timedunqueue_describe(const void *conf)
{
	const struct timedunqueue_conf *c = conf;
	return json_pack("{s:I, s:I}", "INTERVAL", (json_int_t)c->interval_ns, "BURST",
	                 (json_int_t)c->burst);
}

const struct click_class elem_unqueue = {
	.name = "Unqueue",
	.port_count = "1/1",
	.processing = "l/h",
	.flags = ELEM_SOURCE,
	.configure = unqueue_configure,
	.model = &unqueue_model,
	.runtime = &unqueue_runtime,
	.describe = unqueue_describe,
	.doc_args = "[BURST] (integer, default 1; negative: until the upstream is empty); keywords "
	            "ACTIVE (bool, default true), LIMIT (integer, default -1: unlimited)",
	.doc_model = "Time is not modelled: every packet passes unchanged, unless ACTIVE is false "
	             "or LIMIT is 0 (then nothing is pulled).",
};

const struct click_class elem_timedunqueue = {
	.name = "TimedUnqueue",
	.port_count = "1/1",
	.processing = "l/h",
	.flags = ELEM_SOURCE,
	.configure = timedunqueue_configure,
	.model = &pass_model,
	.runtime = &timedunqueue_runtime,
	.describe = timedunqueue_describe,
	.doc_args = "INTERVAL (time, rounded to milliseconds, at least 1 ms; mandatory), [BURST] "
	            "(unsigned, at least 1, default 1)",
	.doc_model = "Time is not modelled: every packet passes unchanged, whatever the rate. "
	             "At run time, as Click's (with its Queue's empty signal): asleep while its "
	             "upstream is empty, costing no timer, so a packet arriving then leaves at once; "
	             "busy, up to BURST packets every INTERVAL after that, until ten pulls in a row "
	             "find the upstream empty (Click's Queue reports empty on the 10th); a module "
	             "resumed with queued packets releases a burst at once.",
};
