/* Queue, SimpleQueue, the old name FullNoteQueue and FrontDropQueue
 * (Click's): Queue([CAPACITY]), CAPACITY default 1000; push in, pull out 0,
 * drops out 1. FrontDropQueue drops the oldest packet when full instead of
 * the arriving one (CAPACITY 0: the arriving one, which Click keeps in a
 * slot no pull reaches until the next push drops it).
 * Departure: loading saved state into a smaller capacity drops the newest
 * packets for every queue class (Click's FrontDropQueue take_state keeps
 * the newest; docs/conformance.md). */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

extern const struct click_class elem_queue, elem_simplequeue, elem_fullnotequeue,
	elem_frontdropqueue;

struct queue_conf {
	uint32_t capacity; /* packets */
};

static int queue_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct queue_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->capacity = 1000;
	struct arg_spec spec[] = { arg_u32("CAPACITY", ARG_P, &c->capacity) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Time is not modelled: a queue never overflows. */
static const struct elem_model pass_model = { .push = mu_sym_pass };

/* ---- runtime (packet functions) ---- */
/* A ring of packet pointers in the module block; drops at the tail. */
struct queue_state {
	uint32_t head, len, cap, highwater;
	uint64_t drops;
	struct rt_pkt *ring[];
};

static size_t queue_state_size(const struct rt_elem *e, uint32_t flow_capacity)
{
	const struct queue_conf *c = e->conf;
	return sizeof(struct queue_state) + (size_t)c->capacity * sizeof(struct rt_pkt *);
}

static int queue_init(struct rt_elem *e, struct diags *d)
{
	const struct queue_conf *c = e->conf;
	struct queue_state *s = e->state;
	s->cap = c->capacity;
	return 0;
}

static void queue_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	struct queue_state *s = e->state;
	if (s->len >= s->cap) {
		s->drops++;
		rt_push(e, 1, p); /* dropped when output 1 is absent */
		return;
	}
	s->ring[(s->head + s->len) % s->cap] = p;
	s->len++;
	if (s->len > s->highwater)
		s->highwater = s->len;
	rt_queued_add(e, 1);
}

/* FrontDropQueue: full, the head goes to output 1 and p joins the tail. */
static void frontdropqueue_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	struct queue_state *s = e->state;
	if (s->cap == 0) {
		s->drops++;
		rt_push(e, 1, p);
		return;
	}
	if (s->len >= s->cap) {
		struct rt_pkt *old = s->ring[s->head];
		s->head = (s->head + 1) % s->cap;
		s->len--;
		rt_queued_add(e, -1);
		s->drops++;
		rt_push(e, 1, old);
	}
	queue_push(e, port, p);
}

static struct rt_pkt *queue_pull(struct rt_elem *e, uint32_t port)
{
	struct queue_state *s = e->state;
	if (port != 0 || s->len == 0)
		return NULL;
	struct rt_pkt *p = s->ring[s->head];
	s->head = (s->head + 1) % s->cap;
	s->len--;
	rt_queued_add(e, -1);
	return p;
}

static void queue_fini(struct rt_elem *e)
{
	struct queue_state *s = e->state;
	while (s->len) {
		rt_consume(e, s->ring[s->head]);
		s->head = (s->head + 1) % s->cap;
		s->len--;
		rt_queued_add(e, -1);
	}
}

static int queue_read(const struct rt_elem *e, const char *h, uint64_t *v)
{
	const struct queue_state *s = e->state;
	if (!strcmp(h, "length"))
		*v = s->len;
	else if (!strcmp(h, "highwater_length"))
		*v = s->highwater;
	else if (!strcmp(h, "capacity"))
		*v = s->cap;
	else if (!strcmp(h, "drops"))
		*v = s->drops;
	else
		return -EOPNOTSUPP;
	return 0;
}

/* ---- suspend and resume: queued packets are live state ---- */
/* Saved: highwater, drops, count, then the packets oldest first
 * (elem_save_pkt). */
static int queue_save(const struct rt_elem *e, struct rt_wbuf *w, uint64_t now_ns)
{
	const struct queue_state *s = e->state;
	rt_wbuf_varint(w, s->highwater);
	rt_wbuf_varint(w, s->drops);
	rt_wbuf_varint(w, s->len);
	for (uint32_t i = 0; i < s->len; i++)
		elem_save_pkt(w, s->ring[(s->head + i) % s->cap], now_ns);
	return w->oom ? -ENOMEM : 0;
}

static int queue_load(struct rt_elem *e, struct rt_rbuf *r, uint64_t now_ns, uint64_t away_ns,
                      struct diags *d)
{
	struct queue_state *s = e->state;
	uint32_t highwater = (uint32_t)rt_rbuf_varint(r);
	uint64_t drops = rt_rbuf_varint(r), n = rt_rbuf_varint(r);
	for (uint64_t i = 0; i < n && !r->bad; i++) {
		struct rt_pkt *p = elem_load_pkt(e, r, now_ns, away_ns);
		if (!p) {
			drops += !r->bad; /* the pool ran dry: lost as a drop */
			continue;
		}
		if (s->len >= s->cap) { /* a smaller capacity now: dropped, never pushed */
			drops++;
			rt_drop(e, p);
			continue;
		}
		s->ring[(s->head + s->len) % s->cap] = p;
		s->len++;
		rt_queued_add(e, 1);
	}
	if (r->bad) {
		queue_fini(e);
		diags_error(d, NULL, 0, "saved state of %s: queued packets do not parse", e->ce->name);
		return -EINVAL;
	}
	s->drops += drops;
	if (s->len > highwater)
		highwater = s->len;
	if (highwater > s->highwater)
		s->highwater = highwater;
	return 0;
}

static void queue_table(const struct rt_elem *e, struct rt_table_stats *st)
{
	const struct queue_state *s = e->state;
	*st = (struct rt_table_stats){ .entries = s->len, .capacity = s->cap, .full_drops = s->drops };
}

static const struct elem_runtime queue_runtime = {
	.state_size = queue_state_size,
	.init = queue_init,
	.push = queue_push,
	.pull = queue_pull,
	.read = queue_read,
	.fini = queue_fini,
	.save = queue_save,
	.load = queue_load,
	.table = queue_table,
};

static const struct elem_runtime frontdropqueue_runtime = {
	.state_size = queue_state_size,
	.init = queue_init,
	.push = frontdropqueue_push,
	.pull = queue_pull,
	.read = queue_read,
	.fini = queue_fini,
	.save = queue_save,
	.load = queue_load,
	.table = queue_table,
};

/* ---- Click's Storage: what RED asks of the queues it watches ---- */
bool elem_is_storage(const struct click_class *cls)
{
	return cls == &elem_queue || cls == &elem_simplequeue || cls == &elem_fullnotequeue ||
	       cls == &elem_frontdropqueue;
}

uint32_t elem_storage_len(const struct rt_elem *e)
{
	const struct queue_state *s = e->state;
	return s ? s->len : 0;
}

/* ---- describe and the class objects ---- */
static json_t *queue_describe(const void *conf)
{
	const struct queue_conf *c = conf;
	return json_pack("{s:I}", "CAPACITY", (json_int_t)c->capacity);
}

static const char queue_doc_args[] = "[CAPACITY] (unsigned, default 1000)";
static const char queue_doc_model[] =
	"Time is not modelled: the queue never overflows, so every packet passes unchanged to "
	"output 0 and the drop output 1 is never taken.";

const struct click_class elem_queue = {
	.name = "Queue",
	.port_count = "1/1-2",
	.processing = "h/lh",
	.flags = ELEM_STATEFUL,
	.configure = queue_configure,
	.model = &pass_model,
	.runtime = &queue_runtime,
	.describe = queue_describe,
	.doc_args = queue_doc_args,
	.doc_model = queue_doc_model,
};

const struct click_class elem_simplequeue = {
	.name = "SimpleQueue",
	.port_count = "1/1-2",
	.processing = "h/lh",
	.flags = ELEM_STATEFUL,
	.configure = queue_configure,
	.model = &pass_model,
	.runtime = &queue_runtime,
	.describe = queue_describe,
	.doc_args = queue_doc_args,
	.doc_model = queue_doc_model,
};

const struct click_class elem_fullnotequeue = {
	.name = "FullNoteQueue",
	.port_count = "1/1-2",
	.processing = "h/lh",
	.flags = ELEM_STATEFUL,
	.configure = queue_configure,
	.model = &pass_model,
	.runtime = &queue_runtime,
	.describe = queue_describe,
	.doc_args = queue_doc_args,
	.doc_model = queue_doc_model,
};

/* Saved and loaded as a Queue (see the top comment). */
const struct click_class elem_frontdropqueue = {
	.name = "FrontDropQueue",
	.port_count = "1/1-2",
	.processing = "h/lh",
	.flags = ELEM_STATEFUL,
	.configure = queue_configure,
	.model = &pass_model,
	.runtime = &frontdropqueue_runtime,
	.describe = queue_describe,
	.doc_args = queue_doc_args,
	.doc_model = "Time is not modelled: the queue never overflows, so every packet passes "
	             "unchanged to output 0 and the drop output 1 is never taken.",
};
