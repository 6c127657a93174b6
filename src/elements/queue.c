/* Queue, SimpleQueue and the old name FullNoteQueue (Click's):
 * Queue([CAPACITY]), CAPACITY default 1000; push in, pull out 0, drops out 1. */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

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
/* Saved: highwater, drops, count, then per packet (oldest first) its
 * headroom offset, the bytes of headroom it uses (from the lowest of its
 * MAC and IP header annotations), its data, its header annotations, its
 * byte annotations up to the last one set, and the age of its timestamps. */
static uint32_t pkt_low(const struct rt_pkt *p)
{
	uint32_t lo = p->off;
	if (p->mac_off >= 0 && (uint32_t)p->mac_off < lo)
		lo = (uint32_t)p->mac_off;
	if (p->ip_off >= 0 && (uint32_t)p->ip_off < lo)
		lo = (uint32_t)p->ip_off;
	return lo;
}

static void save_pkt(struct rt_wbuf *w, const struct rt_pkt *p, uint64_t now_ns)
{
	uint32_t lo = pkt_low(p);
	rt_wbuf_varint(w, p->off);
	rt_wbuf_varint(w, p->off - lo);
	rt_wbuf_varint(w, p->len);
	rt_wbuf_put(w, p->buf + lo, (size_t)(p->off - lo) + p->len);
	rt_wbuf_varint(w, (uint64_t)((int64_t)p->mac_off + 1)); /* RT_NO_HDR: 0 */
	rt_wbuf_varint(w, (uint64_t)((int64_t)p->ip_off + 1));
	rt_wbuf_varint(w, p->ip_hlen);
	rt_wbuf_u8(w, p->pkt_type);
	uint32_t na = RT_ANNO_SIZE; /* annotations up to the last byte set: most are zero */
	while (na && !p->anno[na - 1])
		na--;
	rt_wbuf_u8(w, (uint8_t)na);
	rt_wbuf_put(w, p->anno, na);
	rt_wbuf_varint(w, now_ns > p->tstamp_ns ? now_ns - p->tstamp_ns : 0);
	rt_wbuf_varint(w, p->first_tstamp_ns && now_ns > p->first_tstamp_ns ? now_ns - p->first_tstamp_ns : 0);
}

static int queue_save(const struct rt_elem *e, struct rt_wbuf *w, uint64_t now_ns)
{
	const struct queue_state *s = e->state;
	rt_wbuf_varint(w, s->highwater);
	rt_wbuf_varint(w, s->drops);
	rt_wbuf_varint(w, s->len);
	for (uint32_t i = 0; i < s->len; i++)
		save_pkt(w, s->ring[(s->head + i) % s->cap], now_ns);
	return w->oom ? -ENOMEM : 0;
}

/* A header annotation read back: inside the buffer or unset. */
static int32_t load_off(struct rt_rbuf *r, uint32_t cap)
{
	uint64_t v = rt_rbuf_varint(r);
	if (v == 0)
		return RT_NO_HDR;
	if (v - 1 >= cap)
		r->bad = true;
	return r->bad ? RT_NO_HDR : (int32_t)(v - 1);
}

/* One saved packet into a packet of the module's pool (NULL: the pool is
 * empty, or the bytes do not parse: r->bad). */
static struct rt_pkt *load_pkt(struct rt_elem *e, struct rt_rbuf *r, uint64_t now_ns, uint64_t away_ns)
{
	uint64_t off = rt_rbuf_varint(r), pre = rt_rbuf_varint(r), len = rt_rbuf_varint(r);
	if (r->bad || pre > off || off > UINT16_MAX || len > UINT16_MAX || pre + len > rt_rbuf_left(r)) {
		r->bad = true;
		return NULL;
	}
	struct rt_pkt *p = rt_pkt_alloc(e, (uint32_t)(off + len));
	if (p && p->cap < off + len) {
		rt_consume(e, p);
		p = NULL;
	}
	struct rt_pkt tmp; /* where the fields go when there is no packet */
	struct rt_pkt *q = p ? p : &tmp;
	if (p) {
		q->off = (uint32_t)off;
		q->len = (uint32_t)len;
		rt_rbuf_get(r, q->buf + off - pre, (size_t)(pre + len));
	} else {
		r->off += (size_t)(pre + len);
	}
	q->mac_off = load_off(r, p ? p->cap : UINT32_MAX);
	q->ip_off = load_off(r, p ? p->cap : UINT32_MAX);
	q->ip_hlen = (uint32_t)rt_rbuf_varint(r);
	q->pkt_type = rt_rbuf_u8(r);
	uint8_t na = rt_rbuf_u8(r);
	if (na > RT_ANNO_SIZE)
		r->bad = true;
	memset(q->anno, 0, RT_ANNO_SIZE);
	rt_rbuf_get(r, q->anno, r->bad ? 0 : na);
	uint64_t age = rt_rbuf_varint(r) + away_ns, fage = rt_rbuf_varint(r);
	q->tstamp_ns = now_ns > age ? now_ns - age : 0;
	q->first_tstamp_ns = fage && now_ns > fage + away_ns ? now_ns - fage - away_ns : 0;
	if (p && r->bad) {
		rt_consume(e, p);
		return NULL;
	}
	return p;
}

static int queue_load(struct rt_elem *e, struct rt_rbuf *r, uint64_t now_ns, uint64_t away_ns,
                      struct diags *d)
{
	struct queue_state *s = e->state;
	uint32_t highwater = (uint32_t)rt_rbuf_varint(r);
	uint64_t drops = rt_rbuf_varint(r), n = rt_rbuf_varint(r);
	for (uint64_t i = 0; i < n && !r->bad; i++) {
		struct rt_pkt *p = load_pkt(e, r, now_ns, away_ns);
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
