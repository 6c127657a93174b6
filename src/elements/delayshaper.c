/* DelayShaper(DELAY) (Click's): pull in, pull out. Holds at most one
 * packet and lets it go no earlier than its timestamp annotation + DELAY
 * (a packet without a timestamp gets the current time); on the way out the
 * timestamp becomes the current time. The held packet is live state, saved
 * and loaded with the module (pktstate.c) like a queue's. */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct delayshaper_conf {
	int64_t delay_ns; /* >= 0: the time parser takes no sign */
};

static int delayshaper_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                 void **conf)
{
	struct delayshaper_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = { arg_time("DELAY", ARG_MP, &c->delay_ns) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Time is not modelled: a delay only delays, every flow passes unchanged
 * (the timestamp annotation is not modelled). */
static const struct elem_model delayshaper_model = { .push = mu_sym_pass };

/* ---- runtime (packet functions) ---- */
struct delayshaper_state {
	struct rt_pkt *p; /* held, its timestamp already + DELAY */
};

static size_t delayshaper_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct delayshaper_state);
}

static void delayshaper_hold(struct rt_elem *e, struct rt_pkt *p)
{
	struct delayshaper_state *s = e->state;
	s->p = p;
	rt_queued_add(e, 1); /* a pull task must come back for it */
}

static struct rt_pkt *delayshaper_pull(struct rt_elem *e, uint32_t port)
{
	const struct delayshaper_conf *c = e->conf;
	struct delayshaper_state *s = e->state;
	uint64_t now = rt_now(e);
	if (!s->p) {
		struct rt_pkt *p = rt_pull(e, 0);
		if (!p)
			return NULL;
		if (!p->tstamp_ns)
			p->tstamp_ns = now;
		p->tstamp_ns += (uint64_t)c->delay_ns;
		delayshaper_hold(e, p);
	}
	if (s->p->tstamp_ns > now) {
		rt_pull_wait(e, s->p->tstamp_ns);
		return NULL;
	}
	struct rt_pkt *p = s->p;
	s->p = NULL;
	rt_queued_add(e, -1);
	p->tstamp_ns = now;
	return p;
}

static void delayshaper_fini(struct rt_elem *e)
{
	struct delayshaper_state *s = e->state;
	if (s->p) {
		rt_consume(e, s->p);
		s->p = NULL;
		rt_queued_add(e, -1);
	}
}

/* ---- suspend and resume: the held packet is live state ---- */
/* Saved: 0, or 1 and the packet (its timestamp as an age: elem_save_pkt
 * keeps how far before now it was, so a due time in the future is kept as
 * 0 age, due at once). The due time is saved apart, as time left. */
static int delayshaper_save(const struct rt_elem *e, struct rt_wbuf *w, uint64_t now_ns)
{
	const struct delayshaper_state *s = e->state;
	rt_wbuf_u8(w, s->p != NULL);
	if (s->p) {
		rt_wbuf_varint(w, s->p->tstamp_ns > now_ns ? s->p->tstamp_ns - now_ns : 0);
		elem_save_pkt(w, s->p, now_ns);
	}
	return w->oom ? -ENOMEM : 0;
}

static int delayshaper_load(struct rt_elem *e, struct rt_rbuf *r, uint64_t now_ns, uint64_t away_ns,
                            struct diags *d)
{
	uint8_t held = rt_rbuf_u8(r);
	if (held > 1)
		r->bad = true;
	if (held == 1 && !r->bad) {
		uint64_t left = rt_rbuf_varint(r);
		struct rt_pkt *p = elem_load_pkt(e, r, now_ns, away_ns);
		if (p) {
			p->tstamp_ns = left > away_ns ? now_ns + (left - away_ns) : now_ns;
			delayshaper_hold(e, p);
		}
	}
	if (r->bad) {
		delayshaper_fini(e);
		diags_error(d, NULL, 0, "saved state of %s: the held packet does not parse", e->ce->name);
		return -EINVAL;
	}
	return 0;
}

static void delayshaper_table(const struct rt_elem *e, struct rt_table_stats *st)
{
	const struct delayshaper_state *s = e->state;
	*st = (struct rt_table_stats){ .entries = s->p != NULL, .capacity = 1 };
}

static const struct elem_runtime delayshaper_runtime = {
	.state_size = delayshaper_state_size,
	.pull = delayshaper_pull,
	.fini = delayshaper_fini,
	.save = delayshaper_save,
	.load = delayshaper_load,
	.table = delayshaper_table,
};

/* ---- describe and the class object ---- */
static json_t *delayshaper_describe(const void *conf)
{
	const struct delayshaper_conf *c = conf;
	return json_pack("{s:I}", "DELAY", (json_int_t)c->delay_ns);
}

const struct click_class elem_delayshaper = {
	.name = "DelayShaper",
	.port_count = "1/1",
	.processing = "l/l",
	.flags = ELEM_STATEFUL,
	.configure = delayshaper_configure,
	.model = &delayshaper_model,
	.runtime = &delayshaper_runtime,
	.describe = delayshaper_describe,
	.doc_args = "DELAY (time; mandatory)",
	.doc_model = "Time is not modelled: every flow passes unchanged, only later.",
};
