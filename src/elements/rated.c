/* RatedUnqueue and RatedSplitter (Click's): token buckets in packets
 * per second. X(RATE [, BURST_DURATION t | BURST_SIZE n]); the bucket holds
 * RATE x BURST_DURATION tokens (default 20 ms), at least 1.
 * BandwidthRatedUnqueue and BandwidthRatedSplitter (Click's): the same in
 * bytes, RATE a bandwidth and BURST_BYTES for BURST_SIZE; as in Click a
 * packet may go while the bucket holds 131072 bytes (tb_bandwidth_thresh),
 * which the bucket's size includes, and takes its length (down to 0); the
 * bucket is Click's fixed-point one on millisecond ticks (ctb below). */
#include <errno.h>
#include <string.h>

#include "base/tbucket.h"
#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct rated_conf {
	uint32_t rate;       /* packets (bytes) per second */
	uint64_t burst_size; /* bucket capacity in packets (bytes), >= 1 */
	bool bytes;          /* the Bandwidth classes */
};

/* Click's RatedUnqueue::tb_bandwidth_thresh, in bytes. */
#define BW_THRESH 131072u

static int rated_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct rated_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	int64_t dur = 20000000; /* 20 ms */
	uint32_t size = 0;
	struct arg_spec spec[] = {
		arg_u32("RATE", ARG_MP, &c->rate),
		arg_time("BURST_DURATION", 0, &dur),
		arg_u32("BURST_SIZE", 0, &size),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (spec[1].given && spec[2].given)
		return arg_error(ctx, &spec[2].val, "BURST_DURATION and BURST_SIZE cannot both be given");
	if (spec[2].given)
		c->burst_size = size;
	else
		c->burst_size = (uint64_t)((unsigned __int128)c->rate * (uint64_t)dur / 1000000000u);
	if (c->burst_size < 1)
		c->burst_size = 1;
	*conf = c;
	return 0;
}

/* Click's configure_helper with is_bandwidth: RATE in bytes per second
 * (a 32-bit count, as Click's), BURST_BYTES, then the threshold added. */
static int bwrated_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                             void **conf)
{
	struct rated_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	int64_t dur = 20000000; /* 20 ms */
	uint32_t size = 0;
	uint64_t bits = 0;
	struct arg_spec spec[] = {
		arg_bandwidth("RATE", ARG_MP, &bits),
		arg_time("BURST_DURATION", 0, &dur),
		arg_u32("BURST_BYTES", 0, &size),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (spec[1].given && spec[2].given)
		return arg_error(ctx, &spec[2].val, "BURST_DURATION and BURST_BYTES cannot both be given");
	if (bits / 8 > UINT32_MAX)
		return arg_error(ctx, &spec[0].val, "bandwidth out of range");
	c->rate = (uint32_t)(bits / 8);
	c->bytes = true;
	if (spec[2].given)
		c->burst_size = size;
	else
		c->burst_size = (uint64_t)((unsigned __int128)c->rate * (uint64_t)dur / 1000000000u);
	c->burst_size += BW_THRESH;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Time is not modelled. RatedUnqueue passes every packet (RATE 0 never
 * pulls). RatedSplitter sends a packet to output 0 while tokens last and
 * to output 1 under overload: which one depends on arrival times, so any
 * packet may take either and the flow goes to both (exact as sets of
 * possible packets, so not marked approximate; output 1 absent drops
 * there). RATE 0 sends everything to output 1. */
static int ratedunqueue_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                 struct sym_flow *f)
{
	const struct rated_conf *c = e->conf;
	if (!c->rate)
		sym_drop(cx, f, "RatedUnqueue with RATE 0 never pulls");
	else
		sym_emit(cx, 0, f);
	return 0;
}

static int ratedsplitter_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                  struct sym_flow *f)
{
	const struct rated_conf *c = e->conf;
	if (!c->rate)
		sym_emit(cx, 1, f);
	else
		mu_emit_all(cx, 2, f, NULL);
	return 0;
}

static const struct elem_model ratedunqueue_model = { .push = ratedunqueue_sym_push };
static const struct elem_model ratedsplitter_model = { .push = ratedsplitter_sym_push };

/* ---- runtime (packet functions) ---- */
struct rated_state {
	struct tbucket tb;
	uint64_t count;
};

static size_t rated_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct rated_state);
}

static int rated_init_common(struct rt_elem *e)
{
	const struct rated_conf *c = e->conf;
	struct rated_state *s = e->state;
	tbucket_init(&s->tb, c->rate ? c->rate : 1, c->burst_size, rt_now(e));
	return 0;
}

/* RatedUnqueue pulls only while a token is there; out of tokens it sleeps
 * until the next one. */
static int ratedunqueue_init(struct rt_elem *e, struct diags *d)
{
	rated_init_common(e);
	rt_task_enable(e);
	return 0;
}

static uint32_t ratedunqueue_run(struct rt_elem *e, uint64_t now)
{
	const struct rated_conf *c = e->conf;
	struct rated_state *s = e->state;
	uint32_t n = 0;
	if (c->rate == 0) {
		rt_timer_at(e, UINT64_MAX);
		return 0;
	}
	for (;;) {
		tbucket_refill(&s->tb, now);
		if (s->tb.credit < TBUCKET_NS) {
			rt_timer_at(e, tbucket_when(&s->tb, 1, now));
			break;
		}
		struct rt_pkt *p = rt_pull(e, 0);
		if (!p)
			break;
		tbucket_take(&s->tb, 1, now);
		s->count++;
		n++;
		rt_push(e, 0, p);
	}
	return n;
}

/* The Bandwidth classes keep Click's own token bucket (tokenbucket.hh,
 * jiffy ticks at CLICK_HZ 1000): tokens scaled by 0xffffffff / capacity,
 * a whole number of scaled tokens added per millisecond, full at
 * 0xffffffff (a little over the capacity). Its roundings decide which
 * packet is the last to pass, so they are kept exactly. */
#define CTB_MAX 0xffffffffu

struct ctb {
	uint32_t scale, per_tick, tokens;
	uint64_t until_full; /* ticks */
	uint64_t tick;       /* ms of the module clock */
	uint64_t count;
};

static void ctb_init(struct ctb *b, uint32_t rate, uint64_t capacity, uint64_t now)
{
	uint32_t cap = capacity > CTB_MAX ? CTB_MAX : (uint32_t)capacity;
	if (rate) {
		uint32_t min_cap = (rate - 1) / 1000 + 1;
		if (cap < min_cap)
			cap = min_cap;
	}
	if (!cap)
		cap = 1;
	b->scale = CTB_MAX / cap;
	uint64_t t = (uint64_t)rate * b->scale / 1000;
	b->per_tick = rate ? (t ? (uint32_t)(t > CTB_MAX ? CTB_MAX : t) : 1) : 0;
	b->until_full = b->per_tick ? (CTB_MAX - 1) / b->per_tick + 1 : UINT64_MAX;
	b->tokens = CTB_MAX; /* Click's first refill finds it long untouched: full */
	b->tick = now / 1000000u;
}

static void ctb_refill(struct ctb *b, uint64_t now)
{
	uint64_t t = now / 1000000u, diff = t > b->tick ? t - b->tick : 0;
	if (diff >= b->until_full) {
		b->tokens = CTB_MAX;
	} else if (diff) {
		uint64_t n = (uint64_t)b->tokens + diff * b->per_tick;
		b->tokens = n > CTB_MAX ? CTB_MAX : (uint32_t)n;
	}
	b->tick = t;
}

/* n tokens in the bucket's scale; CTB_MAX + 1 when they do not fit. */
static uint64_t ctb_scaled(const struct ctb *b, uint32_t n)
{
	uint64_t v = (uint64_t)n * b->scale;
	return v > CTB_MAX ? (uint64_t)CTB_MAX + 1 : v;
}

static bool ctb_ready(struct ctb *b, uint64_t now)
{
	ctb_refill(b, now);
	return ctb_scaled(b, BW_THRESH) <= b->tokens;
}

static void ctb_take(struct ctb *b, uint32_t len)
{
	uint64_t v = ctb_scaled(b, len);
	b->tokens = v <= b->tokens ? b->tokens - (uint32_t)v : 0;
}

/* When the threshold will be there: whole ticks. */
static uint64_t ctb_when(const struct ctb *b, uint64_t now)
{
	uint64_t need = ctb_scaled(b, BW_THRESH);
	if (need <= b->tokens)
		return now;
	if (!b->per_tick || need > CTB_MAX)
		return UINT64_MAX;
	uint64_t ticks = (need - b->tokens + b->per_tick - 1) / b->per_tick;
	return (b->tick + ticks) * 1000000u;
}

static size_t ctb_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct ctb);
}

static int bwrated_init_common(struct rt_elem *e)
{
	const struct rated_conf *c = e->conf;
	ctb_init(e->state, c->rate, c->burst_size, rt_now(e));
	return 0;
}

static int bwratedunqueue_init(struct rt_elem *e, struct diags *d)
{
	bwrated_init_common(e);
	rt_task_enable(e);
	return 0;
}

static int bwratedsplitter_init(struct rt_elem *e, struct diags *d)
{
	return bwrated_init_common(e);
}

static uint32_t bwratedunqueue_run(struct rt_elem *e, uint64_t now)
{
	const struct rated_conf *c = e->conf;
	struct ctb *b = e->state;
	uint32_t n = 0;
	if (c->rate == 0) {
		rt_timer_at(e, UINT64_MAX);
		return 0;
	}
	for (;;) {
		if (!ctb_ready(b, now)) {
			rt_timer_at(e, ctb_when(b, now));
			break;
		}
		struct rt_pkt *p = rt_pull(e, 0);
		if (!p)
			break;
		ctb_take(b, p->len);
		b->count++;
		n++;
		rt_push(e, 0, p);
	}
	return n;
}

static void bwratedsplitter_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	struct ctb *b = e->state;
	const struct rated_conf *c = e->conf;
	if (c->rate && ctb_ready(b, rt_now(e))) {
		ctb_take(b, p->len);
		b->count++;
		rt_push(e, 0, p);
	} else {
		rt_push(e, 1, p);
	}
}

static int bwrated_read(const struct rt_elem *e, const char *h, uint64_t *v)
{
	const struct ctb *b = e->state;
	if (strcmp(h, "count"))
		return -EOPNOTSUPP;
	*v = b->count;
	return 0;
}

static void ratedsplitter_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	struct rated_state *s = e->state;
	const struct rated_conf *c = e->conf;
	if (c->rate && tbucket_take(&s->tb, 1, rt_now(e))) {
		s->count++;
		rt_push(e, 0, p);
	} else {
		rt_push(e, 1, p);
	}
}

static int ratedsplitter_init(struct rt_elem *e, struct diags *d)
{
	return rated_init_common(e);
}

static int rated_read(const struct rt_elem *e, const char *h, uint64_t *v)
{
	const struct rated_state *s = e->state;
	if (strcmp(h, "count"))
		return -EOPNOTSUPP;
	*v = s->count;
	return 0;
}

static const struct elem_runtime ratedunqueue_runtime = {
	.state_size = rated_state_size,
	.init = ratedunqueue_init,
	.run = ratedunqueue_run,
	.read = rated_read,
};

static const struct elem_runtime ratedsplitter_runtime = {
	.state_size = rated_state_size,
	.init = ratedsplitter_init,
	.push = ratedsplitter_push,
	.read = rated_read,
};

static const struct elem_runtime bwratedunqueue_runtime = {
	.state_size = ctb_state_size,
	.init = bwratedunqueue_init,
	.run = bwratedunqueue_run,
	.read = bwrated_read,
};

static const struct elem_runtime bwratedsplitter_runtime = {
	.state_size = ctb_state_size,
	.init = bwratedsplitter_init,
	.push = bwratedsplitter_push,
	.read = bwrated_read,
};

/* ---- describe and the class objects ---- */
/* BURST_SIZE is the bucket's effective size, also when BURST_DURATION set it. */
static json_t *rated_describe(const void *conf)
{
	const struct rated_conf *c = conf;
	if (c->bytes)
		return json_pack("{s:I, s:s, s:I}", "RATE", (json_int_t)c->rate, "RATE_UNIT", "bytes/s",
		                 "BURST_BYTES", (json_int_t)c->burst_size);
	return json_pack("{s:I, s:I}", "RATE", (json_int_t)c->rate, "BURST_SIZE",
	                 (json_int_t)c->burst_size);
}

static const char rated_doc_args[] =
	"RATE (unsigned, packets per second); keywords BURST_DURATION (time, default 20 ms) or "
	"BURST_SIZE (unsigned packets), not both; the bucket holds at least one packet";

const struct click_class elem_ratedunqueue = {
	.name = "RatedUnqueue",
	.port_count = "1/1",
	.processing = "l/h",
	.flags = ELEM_SOURCE,
	.configure = rated_configure,
	.model = &ratedunqueue_model,
	.runtime = &ratedunqueue_runtime,
	.describe = rated_describe,
	.doc_args = rated_doc_args,
	.doc_model = "Time is not modelled: every packet passes unchanged; RATE 0 never pulls.",
};

const struct click_class elem_ratedsplitter = {
	.name = "RatedSplitter",
	.port_count = "1/1-2",
	.processing = "h/h",
	.configure = rated_configure,
	.model = &ratedsplitter_model,
	.runtime = &ratedsplitter_runtime,
	.describe = rated_describe,
	.doc_args = rated_doc_args,
	.doc_model = "Time is not modelled: which output a packet takes depends on arrival times, "
	             "so each flow goes to both (exact as sets of possible packets); RATE 0 sends "
	             "everything to output 1.",
};

static const char bwrated_doc_args[] =
	"RATE (bandwidth, default unit bytes per second); keywords BURST_DURATION (time, default "
	"20 ms) or BURST_BYTES (unsigned), not both; the bucket holds 131072 bytes more, the level "
	"a packet needs to go";

const struct click_class elem_bandwidthratedunqueue = {
	.name = "BandwidthRatedUnqueue",
	.port_count = "1/1",
	.processing = "l/h",
	.flags = ELEM_SOURCE,
	.configure = bwrated_configure,
	.model = &ratedunqueue_model,
	.runtime = &bwratedunqueue_runtime,
	.describe = rated_describe,
	.doc_args = bwrated_doc_args,
	.doc_model = "Time is not modelled: every packet passes unchanged; RATE 0 never pulls.",
};

const struct click_class elem_bandwidthratedsplitter = {
	.name = "BandwidthRatedSplitter",
	.port_count = "1/1-2",
	.processing = "h/h",
	.configure = bwrated_configure,
	.model = &ratedsplitter_model,
	.runtime = &bwratedsplitter_runtime,
	.describe = rated_describe,
	.doc_args = bwrated_doc_args,
	.doc_model = "Time is not modelled: which output a packet takes depends on arrival times, "
	             "so each flow goes to both (exact as sets of possible packets); RATE 0 sends "
	             "everything to output 1.",
};
