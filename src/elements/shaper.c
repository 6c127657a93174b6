/* BandwidthShaper(RATE) and Shaper(RATE) (Click's): pull-side rate
 * limits. BandwidthShaper's RATE is a bandwidth (default unit bytes/s),
 * Shaper's is packets/s. Both outputs (1/1-2) are treated the same. */
#include <errno.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct shaper_conf {
	uint64_t rate; /* tokens per second: bytes (bytes = true) or packets */
	bool bytes;
};

static int bandwidthshaper_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                     void **conf)
{
	struct shaper_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	uint64_t bits = 0;
	struct arg_spec spec[] = { arg_bandwidth("RATE", ARG_MP, &bits) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	c->bytes = true;
	c->rate = bits / 8;
	if (c->rate == 0)
		return arg_error(ctx, &spec[0].val, "rate below 1 byte per second");
	*conf = c;
	return 0;
}

static int shaper_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct shaper_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	uint32_t rate = 0;
	struct arg_spec spec[] = { arg_u32("RATE", ARG_MP, &rate) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	c->rate = rate;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Time is not modelled: the shaper only delays, so every packet passes.
 * Both outputs answer pulls the same way, so a packet leaves by whichever
 * is pulled: every output gets the flow (exact as sets of possible
 * packets). RATE 0 never answers a pull. */
static int shaper_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                           struct sym_flow *f)
{
	const struct shaper_conf *c = e->conf;
	if (!c->rate)
		sym_drop(cx, f, "a shaper with RATE 0 never releases a packet");
	else
		mu_emit_all(cx, e->noutputs, f, NULL);
	return 0;
}

static const struct elem_model shaper_model = { .push = shaper_sym_push };

/* ---- runtime (packet functions) ---- */
/* Shaper/BandwidthShaper answer a pull only when the rate allows (Click's
 * GapRate: no bursts): each packet delays the next by its cost / RATE. */
struct shaper_state {
	uint64_t next_ok;
};

static size_t shaper_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct shaper_state);
}

static struct rt_pkt *shaper_pull(struct rt_elem *e, uint32_t port)
{
	const struct shaper_conf *c = e->conf;
	struct shaper_state *s = e->state;
	uint64_t now = rt_now(e);
	if (c->rate == 0)
		return NULL;
	if (now < s->next_ok) {
		rt_pull_wait(e, s->next_ok);
		return NULL;
	}
	struct rt_pkt *p = rt_pull(e, 0);
	if (!p)
		return NULL;
	uint64_t cost = c->bytes ? p->len : 1;
	uint64_t base = s->next_ok > now ? s->next_ok : now;
	s->next_ok = base + (uint64_t)((unsigned __int128)cost * 1000000000u / c->rate);
	return p;
}

static const struct elem_runtime shaper_runtime = {
	.state_size = shaper_state_size,
	.pull = shaper_pull,
};

/* ---- describe and the class objects ---- */
/* RATE in the unit the shaper counts: bytes (BandwidthShaper) or packets
 * per second. */
static json_t *shaper_describe(const void *conf)
{
	const struct shaper_conf *c = conf;
	return json_pack("{s:I, s:s}", "RATE", (json_int_t)c->rate, "RATE_UNIT",
	                 c->bytes ? "bytes/s" : "packets/s");
}

static const char shaper_doc_model[] =
	"Time is not modelled: a shaper only delays, so every flow reaches every output "
	"(whichever is pulled); RATE 0 never releases a packet.";

const struct click_class elem_bandwidthshaper = {
	.name = "BandwidthShaper",
	.port_count = "1/1-2",
	.processing = "l/l",
	.configure = bandwidthshaper_configure,
	.model = &shaper_model,
	.runtime = &shaper_runtime,
	.describe = shaper_describe,
	.doc_args = "RATE (bandwidth, default unit bytes per second; mandatory)",
	.doc_model = shaper_doc_model,
};

const struct click_class elem_shaper = {
	.name = "Shaper",
	.port_count = "1/1-2",
	.processing = "l/l",
	.configure = shaper_configure,
	.model = &shaper_model,
	.runtime = &shaper_runtime,
	.describe = shaper_describe,
	.doc_args = "RATE (unsigned, packets per second; mandatory)",
	.doc_model = shaper_doc_model,
};
