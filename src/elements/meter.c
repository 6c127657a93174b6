/* Meter(RATE1, ..., RATEn) and BandwidthMeter(RATE1, ..., RATEn) (Click's):
 * push, n+1 outputs. The arrival rate (packets or bytes per second) is a
 * moving average over 1 ms epochs (Click's RateEWMA: alpha 1/16, 10
 * fraction bits, at CLICK_HZ 1000); below RATE1 a packet leaves on output
 * 0, below RATE2 on 1, ..., at or above RATEn on n. Both parse their rates
 * as bandwidths (Click's Meter inherits BandwidthMeter's configure): a
 * bare number is per second, with Click's "no units" warning. */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

#define METER_SCALE 10   /* fraction bits of the average */
#define METER_HZ 1000    /* epochs per second */
#define METER_STABILITY 4

struct meter_conf {
	uint32_t n;       /* rates */
	uint32_t *rates;  /* per second, increasing */
	uint32_t *scaled; /* (rate << METER_SCALE) / METER_HZ: the average's unit */
	bool bytes;       /* BandwidthMeter */
};

static bool meter_unitless(const struct arg_val *v)
{
	for (size_t i = 0; i < v->n; i++)
		if (!(v->s[i] >= '0' && v->s[i] <= '9') && v->s[i] != '.')
			return false;
	return true;
}

static int meter_common(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf,
                        bool bytes)
{
	struct meter_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	if (args->n == 0)
		return arg_error(ctx, NULL, "too few arguments to %s(bandwidth, ...)", arg_class_name(ctx));
	c->n = (uint32_t)args->n;
	c->bytes = bytes;
	c->rates = arena_calloc(ctx->arena, c->n, sizeof *c->rates);
	c->scaled = arena_calloc(ctx->arena, c->n, sizeof *c->scaled);
	if (!c->rates || !c->scaled)
		return -ENOMEM;
	const uint32_t max = 0xffffffffu >> METER_SCALE;
	for (uint32_t i = 0; i < c->n; i++) {
		struct arg_val v = arg_val_of(&args->v[i], "RATE");
		uint64_t bits;
		if (arg_parse_bandwidth(ctx, &v, &bits))
			return -EINVAL;
		uint64_t r = bits / 8;
		if (i > 0 && r <= c->rates[i - 1])
			return arg_error(ctx, &v, "rate %u must be > rate %u", i + 1, i);
		if (r > max)
			return arg_error(ctx, &v, "rate %u too large (max %u)", i + 1, max);
		if (meter_unitless(&v))
			arg_warning(ctx, &v, "no units for bandwidth argument %u, assuming Bps", i + 1);
		c->rates[i] = (uint32_t)r;
		c->scaled[i] = (uint32_t)((r << METER_SCALE) / METER_HZ);
	}
	if (c->n + 1 != ctx->noutputs)
		return arg_error(ctx, NULL, "need %u arguments, one less than the number of output ports",
		                 ctx->noutputs ? ctx->noutputs - 1 : 0);
	*conf = c;
	return 0;
}

static int meter_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	return meter_common(ctx, args, conf, false);
}

static int bandwidthmeter_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                    void **conf)
{
	return meter_common(ctx, args, conf, true);
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Time is not modelled: the output depends on the arrival rate, so every
 * flow may take any output (exact as sets of possible packets). */
static int meter_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                          struct sym_flow *f)
{
	mu_emit_all(cx, e->noutputs, f, NULL);
	return 0;
}

static const struct elem_model meter_model = { .push = meter_sym_push };

/* ---- runtime (packet functions) ---- */
struct meter_state {
	uint32_t avg;     /* scaled by 2^METER_SCALE, per epoch */
	uint32_t current; /* count in the current epoch */
	uint64_t epoch;   /* ms of the module clock */
};

static size_t meter_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct meter_state);
}

static int meter_init(struct rt_elem *e, struct diags *d)
{
	struct meter_state *s = e->state;
	s->epoch = rt_now(e) / 1000000u;
	return 0;
}

/* Click's DirectEWMA update with observation x, n times (n >= 100: the
 * average becomes x). */
static void meter_ewma(struct meter_state *s, uint32_t x, uint64_t n)
{
	uint32_t xs = x << METER_SCALE;
	if (n >= 100) {
		s->avg = xs;
		return;
	}
	xs += 1u << (METER_STABILITY - 1);
	for (; n > 0; n--)
		s->avg += (uint32_t)((int32_t)(xs - s->avg) >> METER_STABILITY);
}

/* Click's RateEWMA: a new epoch folds the last one's count in, then one
 * zero per epoch without packets. */
static void meter_update(struct meter_state *s, uint64_t now_ms, uint32_t delta)
{
	if (now_ms != s->epoch) {
		meter_ewma(s, s->current, 1);
		if (s->epoch + 1 != now_ms)
			meter_ewma(s, 0, now_ms - s->epoch - 1);
		s->current = 0;
		s->epoch = now_ms;
	}
	s->current += delta;
}

static void meter_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	const struct meter_conf *c = e->conf;
	struct meter_state *s = e->state;
	meter_update(s, rt_now(e) / 1000000u, c->bytes ? p->len : 1);
	uint32_t out = 0;
	while (out < c->n && s->avg >= c->scaled[out])
		out++;
	rt_push(e, out, p);
}

/* rate: the average in packets or bytes per second. */
static int meter_read(const struct rt_elem *e, const char *h, uint64_t *v)
{
	const struct meter_state *s = e->state;
	if (strcmp(h, "rate"))
		return -EOPNOTSUPP;
	*v = ((uint64_t)s->avg * METER_HZ) >> METER_SCALE;
	return 0;
}

static const struct elem_runtime meter_runtime = {
	.state_size = meter_state_size,
	.init = meter_init,
	.push = meter_push,
	.read = meter_read,
};

/* ---- describe and the class objects ---- */
static json_t *meter_describe(const void *conf)
{
	const struct meter_conf *c = conf;
	json_t *a = json_array();
	for (uint32_t i = 0; a && i < c->n; i++)
		json_array_append_new(a, json_integer(c->rates[i]));
	return a ? json_pack("{s:o, s:s}", "RATE", a, "RATE_UNIT", c->bytes ? "bytes/s" : "packets/s")
	         : NULL;
}

static const char meter_doc_model[] =
	"Time is not modelled: the output depends on the arrival rate, so every flow may take any "
	"output.";

const struct click_class elem_meter = {
	.name = "Meter",
	.port_count = "1/2-",
	.processing = "h/h",
	.configure = meter_configure,
	.model = &meter_model,
	.runtime = &meter_runtime,
	.describe = meter_describe,
	.doc_args = "RATE1, ..., RATEn (packets per second, increasing, parsed as bandwidths as "
	            "Click does: a bare number is per second; n = outputs - 1)",
	.doc_model = meter_doc_model,
};

const struct click_class elem_bandwidthmeter = {
	.name = "BandwidthMeter",
	.port_count = "1/2-",
	.processing = "h/h",
	.configure = bandwidthmeter_configure,
	.model = &meter_model,
	.runtime = &meter_runtime,
	.describe = meter_describe,
	.doc_args = "RATE1, ..., RATEn (bandwidths, increasing, default unit bytes per second; "
	            "n = outputs - 1)",
	.doc_model = meter_doc_model,
};
