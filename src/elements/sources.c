/* InfiniteSource, RatedSource, TimedSource, ICMPPingSource and TimedSink
 * (Click's): packet sources, and the sink that pulls on a timer.
 *
 *   InfiniteSource([DATA, LIMIT, BURST, ACTIVE] [, LENGTH, STOP, TIMESTAMP])
 *   RatedSource([DATA, RATE, LIMIT, ACTIVE] [, LENGTH, STOP, BANDWIDTH])
 *   TimedSource([INTERVAL, DATA] [, LIMIT, ACTIVE, STOP, HEADROOM])
 *   ICMPPingSource(SRC, DST [, INTERVAL, IDENTIFIER, LIMIT, DATA, ACTIVE,
 *                  VERBOSE, STOP, MIRROR])
 *   TimedSink([INTERVAL])
 *
 * A source makes the same packet again and again: DATA as given (Click's
 * default DATA, a line of text, is kept), repeated or cut to LENGTH.
 * Inside a module packets are IPv4 without link header (devices.c), and
 * DATA is used as given: a tenant who writes Ethernet framing strips it
 * (Strip(14)), as in Click's samples. ICMPPingSource builds an echo
 * request as Click does (TTL 200, IP ID and sequence count % 0xffff + 1,
 * the identifier in host byte order as Click on Linux writes it).
 *
 * Departures (docs/conformance.md): innet has no driver to stop, so STOP
 * true only means that the source stops emitting at LIMIT, which it does
 * anyway. A source is paced by the runtime: a run emits at most BURST
 * packets (at most SOURCE_BURST_MAX, and RatedSource at most that many
 * tokens) and the next run is at the module's next poll, never in the same
 * one (Click's InfiniteSource reschedules its task at once); a packet the
 * pool cannot give is not made (counted as an allocation failure) and the
 * source tries again next run; a pull output gives at most that burst per
 * poll (ICMPPingSource one), where Click makes a packet on every pull.
 * BURST above SOURCE_BURST_MAX is refused.
 * MIRROR true is refused (innet's ICMPPingSource only counts replies) and
 * VERBOSE prints nothing. ICMPPingSource's optional input consumes what
 * it is given. */
#include <errno.h>
#include <string.h>

#include "base/tbucket.h"
#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

/* The most packets one run of a source emits (the fast path polls each
 * module in turn: one source must not hold the core). */
#define SOURCE_BURST_MAX 1024u
/* Longest packet a source makes. */
#define SOURCE_LEN_MAX 65535u

static const char click_default_data[] =
	"Random bullshit in a packet, at least 64 bytes long. Well, now it is.";

enum source_kind { SRC_INFINITE, SRC_RATED, SRC_TIMED, SRC_PING };

struct source_conf {
	enum source_kind kind;
	const uint8_t *data; /* the packet as made (DATA repeated or cut to LENGTH) */
	uint32_t len;
	int32_t length;      /* LENGTH, -1: DATA's length */
	int64_t limit;       /* -1: unlimited */
	uint32_t burst;      /* InfiniteSource */
	bool active, stop, timestamp;
	uint32_t rate;       /* RatedSource: packets per second */
	uint64_t bandwidth;  /* RatedSource: bytes per second, 0: not given */
	uint32_t tb_size;    /* RatedSource: bucket capacity in packets */
	int64_t interval_ns; /* TimedSource, ICMPPingSource, TimedSink */
	uint32_t headroom;   /* TimedSource (accepted, not used) */
	uint32_t src, dst;   /* ICMPPingSource, host order */
	uint16_t ident;
	bool verbose;
	const uint8_t *given; /* DATA as written, for describe */
	uint32_t given_len;
};

static struct source_conf *source_conf_new(const struct click_conf_ctx *ctx, enum source_kind k)
{
	struct source_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return NULL;
	c->kind = k;
	c->length = -1;
	c->limit = -1;
	c->burst = 1;
	c->active = true;
	c->timestamp = true;
	c->verbose = true;
	return c;
}

/* DATA's bytes (the unquoted argument, or Click's default text) and the
 * packet they make with LENGTH: cut, or DATA repeated until it is long
 * enough, as Click's setup_packet. */
static int source_data(const struct click_conf_ctx *ctx, struct source_conf *c,
                       const struct arg_spec *data_spec, const struct arg_spec *len_spec)
{
	const char *d = click_default_data;
	size_t n = sizeof click_default_data - 1;
	if (data_spec && data_spec->given) {
		char *u;
		if (arg_unquote(ctx, &data_spec->val, &u, &n))
			return -EINVAL;
		d = u;
	}
	if (n > SOURCE_LEN_MAX)
		return arg_error(ctx, &data_spec->val, "too long (%zu bytes, at most %u)", n,
		                 SOURCE_LEN_MAX);
	c->given = (const uint8_t *)d;
	c->given_len = (uint32_t)n;
	size_t len = n;
	if (len_spec && len_spec->given && c->length >= 0) {
		if ((uint32_t)c->length > SOURCE_LEN_MAX)
			return arg_error(ctx, &len_spec->val, "too long (at most %u bytes)", SOURCE_LEN_MAX);
		if (c->length > 0 && n == 0)
			return arg_error(ctx, &len_spec->val, "needs a non-empty DATA to repeat");
		len = (size_t)c->length;
	}
	uint8_t *p = arena_alloc(ctx->arena, len ? len : 1);
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)d[i % n];
	c->data = p;
	c->len = (uint32_t)len;
	return 0;
}

static int infinitesource_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                    void **conf)
{
	struct source_conf *c = source_conf_new(ctx, SRC_INFINITE);
	if (!c)
		return -ENOMEM;
	int32_t burst = 1, datasize = -1;
	struct arg_val data = {0};
	struct arg_spec spec[] = {
		arg_raw("DATA", ARG_P, &data),
		arg_i64("LIMIT", ARG_P, &c->limit),
		arg_i32("BURST", ARG_P, &burst),
		arg_bool("ACTIVE", ARG_P, &c->active),
		arg_bool("TIMESTAMP", 0, &c->timestamp),
		arg_i32("LENGTH", 0, &c->length),
		arg_i32("DATASIZE", 0, &datasize),
		arg_bool("STOP", 0, &c->stop),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (spec[6].given && !spec[5].given) {
		c->length = datasize;
		spec[5] = spec[6];
	}
	if (burst < 1 || (uint32_t)burst > SOURCE_BURST_MAX)
		return arg_error(ctx, &spec[2].val, "must be between 1 and %u", SOURCE_BURST_MAX);
	c->burst = (uint32_t)burst;
	if (c->limit < -1)
		c->limit = -1;
	rc = source_data(ctx, c, &spec[0], &spec[5]);
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

static int ratedsource_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                 void **conf)
{
	struct source_conf *c = source_conf_new(ctx, SRC_RATED);
	if (!c)
		return -ENOMEM;
	int32_t limit = -1, datasize = -1;
	uint64_t bps = 0;
	c->rate = 10;
	struct arg_val data = {0};
	struct arg_spec spec[] = {
		arg_raw("DATA", ARG_P, &data),
		arg_u32("RATE", ARG_P, &c->rate),
		arg_i32("LIMIT", ARG_P, &limit),
		arg_bool("ACTIVE", ARG_P, &c->active),
		arg_i32("LENGTH", 0, &c->length),
		arg_i32("DATASIZE", 0, &datasize),
		arg_bool("STOP", 0, &c->stop),
		arg_bandwidth("BANDWIDTH", 0, &bps),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (spec[5].given && !spec[4].given) {
		c->length = datasize;
		spec[4] = spec[5];
	}
	c->limit = limit < 0 ? -1 : limit;
	rc = source_data(ctx, c, &spec[0], &spec[4]);
	if (rc)
		return rc;
	/* Click: BANDWIDTH (bytes/s) over the packet length sets the rate */
	c->bandwidth = bps / 8;
	if (c->bandwidth > 0) {
		uint64_t r = c->bandwidth / (c->len ? c->len : 1);
		c->rate = r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
	}
	uint64_t size = c->rate < 200 ? 2 : c->rate / 100;
	if (c->bandwidth > 0 && c->length >= 0 && size < 2 * (uint64_t)c->length)
		size = 2 * (uint64_t)c->length;
	c->tb_size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
	*conf = c;
	return 0;
}

static int timedsource_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                 void **conf)
{
	struct source_conf *c = source_conf_new(ctx, SRC_TIMED);
	if (!c)
		return -ENOMEM;
	c->interval_ns = 500000000; /* 0.5 s */
	c->headroom = 48;
	int32_t limit = -1;
	struct arg_val data = {0};
	struct arg_spec spec[] = {
		arg_time("INTERVAL", ARG_P, &c->interval_ns),
		arg_raw("DATA", ARG_P, &data),
		arg_i32("LIMIT", 0, &limit),
		arg_bool("ACTIVE", 0, &c->active),
		arg_bool("STOP", 0, &c->stop),
		arg_u32("HEADROOM", 0, &c->headroom),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (c->interval_ns < 0)
		return arg_error(ctx, &spec[0].val, "must not be negative");
	c->limit = limit < 0 ? -1 : limit;
	rc = source_data(ctx, c, &spec[1], NULL);
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

static int icmppingsource_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                    void **conf)
{
	struct source_conf *c = source_conf_new(ctx, SRC_PING);
	if (!c)
		return -ENOMEM;
	c->interval_ns = 1000000000; /* 1 s */
	int32_t limit = -1;
	bool mirror = false;
	struct arg_val data = {0};
	struct arg_spec spec[] = {
		arg_ip("SRC", ARG_MP, &c->src),
		arg_ip("DST", ARG_MP, &c->dst),
		arg_time("INTERVAL", 0, &c->interval_ns),
		arg_u16("IDENTIFIER", 0, &c->ident),
		arg_raw("DATA", 0, &data),
		arg_i32("LIMIT", 0, &limit),
		arg_bool("ACTIVE", 0, &c->active),
		arg_bool("VERBOSE", 0, &c->verbose),
		arg_bool("STOP", 0, &c->stop),
		arg_bool("MIRROR", 0, &mirror),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (c->interval_ns < 0)
		return arg_error(ctx, &spec[2].val, "must not be negative");
	/* Click keeps milliseconds (SecondsArg(3)) */
	c->interval_ns = (c->interval_ns + 500000) / 1000000 * 1000000;
	if (mirror)
		return arg_error(ctx, &spec[9].val, "MIRROR true is not supported by innet");
	c->limit = limit < 0 ? -1 : limit;
	c->given = (const uint8_t *)"";
	if (spec[4].given) {
		char *u;
		size_t n;
		if (arg_unquote(ctx, &data, &u, &n))
			return -EINVAL;
		if (n > SOURCE_LEN_MAX - 28)
			return arg_error(ctx, &data, "too long (%zu bytes)", n);
		c->given = (const uint8_t *)u;
		c->given_len = (uint32_t)n;
	}
	/* the echo request as made, with sequence 1; ID, sequence and
	 * checksums are filled per packet */
	c->len = 28 + c->given_len;
	uint8_t *p = arena_alloc(ctx->arena, c->len);
	if (!p)
		return -ENOMEM;
	memset(p, 0, 28);
	memcpy(p + 28, c->given, c->given_len);
	p[0] = 0x45;
	rt_wr16(p + 2, (uint16_t)c->len);
	p[8] = 200;
	p[9] = RT_IP_PROTO_ICMP;
	rt_wr32(p + 12, c->src);
	rt_wr32(p + 16, c->dst);
	p[20] = 8; /* echo request */
	/* Click on Linux stores IDENTIFIER without htons: host (little-endian) order */
	p[24] = (uint8_t)c->ident;
	p[25] = (uint8_t)(c->ident >> 8);
	c->data = p;
	*conf = c;
	return 0;
}

static int timedsink_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                               void **conf)
{
	struct source_conf *c = source_conf_new(ctx, SRC_TIMED);
	if (!c)
		return -ENOMEM;
	c->interval_ns = 500000000;
	struct arg_spec spec[] = {
		arg_time("INTERVAL", ARG_P, &c->interval_ns),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (c->interval_ns < 0)
		return arg_error(ctx, &spec[0].val, "must not be negative");
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* A source makes one flow, started once per job by the engine: the packet
 * as made, its IPv4 fields constants where DATA holds a valid IPv4 header
 * at its start (version 4, header length at least 20 and within DATA),
 * the transport's first four bytes (ports, ICMP type and code) and TCP
 * flags where DATA has them; every field it cannot know is a new
 * unconstrained variable (sym_new_packet). The payload is opaque. A source
 * that never emits (ACTIVE false, LIMIT 0) makes nothing. Time is not
 * modelled: the flow stands for every packet the source makes. */
static bool source_emits(const struct source_conf *c)
{
	return c->active && c->limit != 0;
}

static void source_sym_header(struct sym_ctx *cx, struct sym_flow *f, const uint8_t *p, uint32_t n)
{
	if (n < 20 || (p[0] >> 4) != 4 || (p[0] & 15) < 5 || (uint32_t)(p[0] & 15) * 4 > n)
		return;
	uint32_t hl = (uint32_t)(p[0] & 15) * 4;
	sym_set_const(cx, f, SYM_F_VHL, p[0]);
	sym_set_const(cx, f, SYM_F_TOS, p[1]);
	sym_set_const(cx, f, SYM_F_LEN, rt_rd16(p + 2));
	sym_set_const(cx, f, SYM_F_ID, rt_rd16(p + 4));
	sym_set_const(cx, f, SYM_F_OFF, rt_rd16(p + 6));
	sym_set_const(cx, f, SYM_F_TTL, p[8]);
	sym_set_const(cx, f, SYM_F_PROTO, p[9]);
	sym_set_const(cx, f, SYM_F_SRC, rt_rd32(p + 12));
	sym_set_const(cx, f, SYM_F_DST, rt_rd32(p + 16));
	if (hl + 4 <= n) {
		sym_set_const(cx, f, SYM_F_SPORT, rt_rd16(p + hl));
		sym_set_const(cx, f, SYM_F_DPORT, rt_rd16(p + hl + 2));
	}
	if (p[9] == RT_IP_PROTO_TCP && hl + 14 <= n)
		sym_set_const(cx, f, SYM_F_TCPFLAGS, p[hl + 13]);
}

static int source_sym_source(struct sym_ctx *cx, const struct click_element *e)
{
	const struct source_conf *c = e->conf;
	if (!source_emits(c))
		return 0;
	struct sym_flow *f = sym_new_packet(cx);
	if (!f)
		return -ENOMEM;
	source_sym_header(cx, f, c->data, c->len);
	sym_emit(cx, 0, f);
	return 0;
}

/* The echo request: fixed fields from the template; the IP ID (and the
 * sequence) run from 1 to 65535, the ICMP checksum changes with them. */
static int ping_sym_source(struct sym_ctx *cx, const struct click_element *e)
{
	const struct source_conf *c = e->conf;
	if (!source_emits(c))
		return 0;
	struct sym_flow *f = sym_new_packet(cx);
	if (!f)
		return -ENOMEM;
	source_sym_header(cx, f, c->data, c->len);
	sym_set_range(cx, f, SYM_F_ID, 1, 0xffff, "id");
	sym_set_fresh(cx, f, SYM_F_DPORT, "cksum");
	sym_set_const(cx, f, SYM_F_DSTANNO, c->dst);
	sym_emit(cx, 0, f);
	return 0;
}

static int source_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                           struct sym_flow *f)
{
	sym_drop(cx, f, "consumed");
	return 0;
}

static int timedsink_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                              struct sym_flow *f)
{
	sym_drop(cx, f, "TimedSink discards");
	return 0;
}

static const struct elem_model source_model = {.push = source_sym_push, .source = source_sym_source};
static const struct elem_model ping_model = {.push = source_sym_push, .source = ping_sym_source};
static const struct elem_model timedsink_model = {.push = timedsink_sym_push};

/* ---- runtime (packet functions) ---- */
struct source_state {
	struct tbucket tb;
	uint64_t count;
	uint64_t received; /* ICMPPingSource: replies consumed */
	uint64_t last_pull; /* pull output: the poll (module time) of the last pull */
	uint32_t pulled;    /* packets pulled in that poll */
};

static size_t source_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct source_state);
}

static bool source_done(const struct source_conf *c, const struct source_state *s)
{
	return !c->active || (c->limit >= 0 && s->count >= (uint64_t)c->limit);
}

static bool push_output(const struct rt_elem *e)
{
	return e->noutputs && e->out[0].push;
}

/* One packet as configured, or NULL when the pool has none. */
static struct rt_pkt *source_make(struct rt_elem *e, const struct source_conf *c, uint64_t now)
{
	struct rt_pkt *p = rt_pkt_alloc(e, c->len);
	if (!p)
		return NULL;
	if (rt_pkt_tailroom(p) < c->len) {
		rt_consume(e, p);
		return NULL;
	}
	memcpy(rt_pkt_data(p), c->data, c->len);
	p->len = c->len;
	if (c->timestamp)
		p->tstamp_ns = now;
	return p;
}

/* The next echo request: ID and sequence count % 0xffff + 1, checksums,
 * the IP header and dst-IP annotations (Click's make_packet). */
static struct rt_pkt *ping_make(struct rt_elem *e, const struct source_conf *c,
                                const struct source_state *s, uint64_t now)
{
	struct rt_pkt *p = source_make(e, c, now);
	if (!p)
		return NULL;
	uint8_t *ip = rt_pkt_data(p);
	uint16_t id = (uint16_t)(s->count % 0xffff + 1);
	rt_wr16(ip + 4, id);
	rt_ip_set_csum(ip, 20);
	rt_wr16(ip + 26, id);
	rt_wr16(ip + 22, 0);
	rt_wr16(ip + 22, rt_csum(ip + 20, 8 + c->given_len));
	rt_pkt_set_ip_header(p, 0, 20);
	rt_pkt_set_dst_anno(p, c->dst);
	p->tstamp_ns = now;
	return p;
}

static int source_init(struct rt_elem *e, struct diags *d)
{
	const struct source_conf *c = e->conf;
	struct source_state *s = e->state;
	uint64_t now = rt_now(e);
	if (c->kind == SRC_RATED) {
		tbucket_init(&s->tb, c->rate ? c->rate : 1, c->tb_size, now);
		s->tb.credit = TBUCKET_NS; /* Click starts with one token */
	}
	if (source_done(c, s))
		return 0;
	if (!push_output(e)) {
		/* a pull output always has a packet ready: pull tasks downstream
		 * (Unqueue) run while the source holds one, until it is done */
		rt_queued_add(e, 1);
		return 0;
	}
	/* InfiniteSource and RatedSource start at the first poll, the
	 * timed ones one interval in */
	if (c->kind == SRC_TIMED || c->kind == SRC_PING)
		rt_timer_at(e, now + (uint64_t)c->interval_ns);
	else
		rt_timer_at(e, now);
	return 0;
}

/* The next run: at the next poll (now + 1 ns is past this poll's time),
 * or never once the source is done. */
static void source_again(struct rt_elem *e, uint64_t when)
{
	const struct source_conf *c = e->conf;
	rt_timer_at(e, source_done(c, e->state) ? UINT64_MAX : when);
}

static uint32_t infinitesource_run(struct rt_elem *e, uint64_t now)
{
	const struct source_conf *c = e->conf;
	struct source_state *s = e->state;
	uint32_t n = 0;
	while (n < c->burst && !source_done(c, s)) {
		struct rt_pkt *p = source_make(e, c, now);
		if (!p)
			break;
		s->count++;
		n++;
		rt_push(e, 0, p);
	}
	source_again(e, now + 1);
	return n;
}

static uint32_t ratedsource_run(struct rt_elem *e, uint64_t now)
{
	const struct source_conf *c = e->conf;
	struct source_state *s = e->state;
	uint32_t n = 0;
	if (c->rate)
		tbucket_refill(&s->tb, now);
	while (n < SOURCE_BURST_MAX && !source_done(c, s) && s->tb.credit >= TBUCKET_NS) {
		struct rt_pkt *p = source_make(e, c, now);
		if (!p)
			break;
		s->tb.credit -= TBUCKET_NS;
		s->count++;
		n++;
		rt_push(e, 0, p);
	}
	if (!c->rate && s->tb.credit < TBUCKET_NS)
		rt_timer_at(e, UINT64_MAX); /* RATE 0: the first token only */
	else if (s->tb.credit >= TBUCKET_NS)
		source_again(e, now + 1);
	else
		source_again(e, tbucket_when(&s->tb, 1, now));
	return n;
}

static uint32_t timedsource_run(struct rt_elem *e, uint64_t now)
{
	const struct source_conf *c = e->conf;
	struct source_state *s = e->state;
	uint64_t next = now + (c->interval_ns > 0 ? (uint64_t)c->interval_ns : 1);
	if (source_done(c, s)) {
		rt_timer_at(e, UINT64_MAX);
		return 0;
	}
	struct rt_pkt *p = c->kind == SRC_PING ? ping_make(e, c, s, now) : source_make(e, c, now);
	if (!p) {
		rt_timer_at(e, next);
		return 0;
	}
	s->count++;
	rt_push(e, 0, p);
	source_again(e, next);
	return 1;
}

/* Pull outputs: one packet per pull while the limit (and RatedSource's
 * tokens) last, and at most a burst per poll (InfiniteSource's BURST,
 * RatedSource's SOURCE_BURST_MAX, one echo request): the pull task
 * downstream then sleeps until the next poll, so a pull source is paced
 * as a push one is. */
static struct rt_pkt *source_pull(struct rt_elem *e, uint32_t port)
{
	const struct source_conf *c = e->conf;
	struct source_state *s = e->state;
	uint64_t now = rt_now(e);
	if (source_done(c, s))
		return NULL;
	if (now != s->last_pull) {
		s->last_pull = now;
		s->pulled = 0;
	}
	uint32_t cap = c->kind == SRC_INFINITE ? c->burst : c->kind == SRC_RATED ? SOURCE_BURST_MAX : 1;
	if (s->pulled >= cap) {
		rt_pull_wait(e, now + 1);
		return NULL;
	}
	if (c->kind == SRC_RATED) {
		if (c->rate)
			tbucket_refill(&s->tb, now);
		if (s->tb.credit < TBUCKET_NS) {
			if (c->rate)
				rt_pull_wait(e, tbucket_when(&s->tb, 1, now));
			return NULL;
		}
	}
	struct rt_pkt *p = c->kind == SRC_PING ? ping_make(e, c, s, now) : source_make(e, c, now);
	if (!p)
		return NULL;
	if (c->kind == SRC_RATED)
		s->tb.credit -= TBUCKET_NS;
	s->count++;
	s->pulled++;
	if (source_done(c, s))
		rt_queued_add(e, -1);
	return p;
}

static void ping_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	struct source_state *s = e->state;
	s->received++;
	rt_consume(e, p);
}

static int source_read(const struct rt_elem *e, const char *h, uint64_t *v)
{
	const struct source_state *s = e->state;
	if (!strcmp(h, "count"))
		*v = s->count;
	else if (!strcmp(h, "received"))
		*v = s->received;
	else
		return -EOPNOTSUPP;
	return 0;
}

static int timedsink_init(struct rt_elem *e, struct diags *d)
{
	const struct source_conf *c = e->conf;
	rt_timer_at(e, rt_now(e) + (uint64_t)c->interval_ns);
	return 0;
}

static uint32_t timedsink_run(struct rt_elem *e, uint64_t now)
{
	const struct source_conf *c = e->conf;
	struct source_state *s = e->state;
	struct rt_pkt *p = rt_pull(e, 0);
	rt_timer_at(e, now + (c->interval_ns > 0 ? (uint64_t)c->interval_ns : 1));
	if (!p)
		return 0;
	s->count++;
	rt_drop(e, p);
	return 1;
}

static const struct elem_runtime infinitesource_runtime = {
	.state_size = source_state_size,
	.init = source_init,
	.run = infinitesource_run,
	.pull = source_pull,
	.read = source_read,
};

static const struct elem_runtime ratedsource_runtime = {
	.state_size = source_state_size,
	.init = source_init,
	.run = ratedsource_run,
	.pull = source_pull,
	.read = source_read,
};

static const struct elem_runtime timedsource_runtime = {
	.state_size = source_state_size,
	.init = source_init,
	.run = timedsource_run,
	.read = source_read,
};

static const struct elem_runtime ping_runtime = {
	.state_size = source_state_size,
	.init = source_init,
	.run = timedsource_run,
	.pull = source_pull,
	.push = ping_push,
	.read = source_read,
};

static const struct elem_runtime timedsink_runtime = {
	.state_size = source_state_size,
	.init = timedsink_init,
	.run = timedsink_run,
	.read = source_read,
};

/* ---- describe and the class objects ---- */
static json_t *infinitesource_describe(const void *conf)
{
	const struct source_conf *c = conf;
	return json_pack("{s:o, s:I, s:I, s:b, s:b, s:I, s:b}", "DATA",
	                 describe_hex(c->given, c->given_len), "LIMIT", (json_int_t)c->limit, "BURST",
	                 (json_int_t)c->burst, "ACTIVE", c->active, "TIMESTAMP", c->timestamp,
	                 "LENGTH", (json_int_t)c->len, "STOP", c->stop);
}

static json_t *ratedsource_describe(const void *conf)
{
	const struct source_conf *c = conf;
	return json_pack("{s:o, s:I, s:I, s:b, s:I, s:b, s:I}", "DATA",
	                 describe_hex(c->given, c->given_len), "RATE", (json_int_t)c->rate, "LIMIT",
	                 (json_int_t)c->limit, "ACTIVE", c->active, "LENGTH", (json_int_t)c->len,
	                 "STOP", c->stop, "BANDWIDTH", (json_int_t)(c->bandwidth * 8));
}

static json_t *timedsource_describe(const void *conf)
{
	const struct source_conf *c = conf;
	return json_pack("{s:I, s:o, s:I, s:b, s:b, s:I}", "INTERVAL", (json_int_t)c->interval_ns,
	                 "DATA", describe_hex(c->given, c->given_len), "LIMIT", (json_int_t)c->limit,
	                 "ACTIVE", c->active, "STOP", c->stop, "HEADROOM", (json_int_t)c->headroom);
}

static json_t *ping_describe(const void *conf)
{
	const struct source_conf *c = conf;
	return json_pack("{s:o, s:o, s:I, s:I, s:o, s:I, s:b, s:b, s:b, s:b}", "SRC", describe_ip(c->src),
	                 "DST", describe_ip(c->dst), "INTERVAL", (json_int_t)c->interval_ns,
	                 "IDENTIFIER", (json_int_t)c->ident, "DATA",
	                 describe_hex(c->given, c->given_len), "LIMIT", (json_int_t)c->limit, "ACTIVE",
	                 c->active, "VERBOSE", c->verbose, "STOP", c->stop, "MIRROR", 0);
}

static json_t *timedsink_describe(const void *conf)
{
	const struct source_conf *c = conf;
	return json_pack("{s:I}", "INTERVAL", (json_int_t)c->interval_ns);
}

static const char source_doc_model[] =
	"One flow started by the engine: the packet as made, IPv4 fields constants where DATA "
	"starts with a valid IPv4 header (transport ports and TCP flags where DATA has them), "
	"every other field unconstrained; no entering packet, so no reply authorization. "
	"ACTIVE false or LIMIT 0 makes nothing. Time is not modelled.";

const struct click_class elem_infinitesource = {
	.name = "InfiniteSource",
	.port_count = "0/1",
	.processing = "a/a",
	.flags = ELEM_SOURCE | ELEM_MAKES,
	.configure = infinitesource_configure,
	.model = &source_model,
	.runtime = &infinitesource_runtime,
	.describe = infinitesource_describe,
	.doc_args = "DATA (string, default Click's text), LIMIT (integer, -1 unlimited), BURST "
	            "(1-1024, default 1), ACTIVE (bool) positional; keywords LENGTH (DATA repeated "
	            "or cut), DATASIZE (old name), STOP (bool: stop emitting at LIMIT), TIMESTAMP "
	            "(bool, default true). At most BURST packets per run, one run per poll",
	.doc_model = source_doc_model,
};

const struct click_class elem_ratedsource = {
	.name = "RatedSource",
	.port_count = "0/1",
	.processing = "a/a",
	.flags = ELEM_SOURCE | ELEM_MAKES,
	.configure = ratedsource_configure,
	.model = &source_model,
	.runtime = &ratedsource_runtime,
	.describe = ratedsource_describe,
	.doc_args = "DATA (string), RATE (packets per second, default 10), LIMIT (integer, -1 "
	            "unlimited), ACTIVE (bool) positional; keywords LENGTH, DATASIZE, STOP, "
	            "BANDWIDTH (sets RATE from the packet length)",
	.doc_model = source_doc_model,
};

const struct click_class elem_timedsource = {
	.name = "TimedSource",
	.port_count = "0/1",
	.processing = "h/h",
	.flags = ELEM_SOURCE | ELEM_MAKES,
	.configure = timedsource_configure,
	.model = &source_model,
	.runtime = &timedsource_runtime,
	.describe = timedsource_describe,
	.doc_args = "INTERVAL (time, default 0.5 s), DATA (string) positional; keywords LIMIT "
	            "(integer, -1 unlimited), ACTIVE, STOP (bool), HEADROOM (accepted)",
	.doc_model = source_doc_model,
};

const struct click_class elem_icmppingsource = {
	.name = "ICMPPingSource",
	.port_count = "0-1/1",
	.processing = "h/a",
	.flags = ELEM_SOURCE | ELEM_MAKES,
	.configure = icmppingsource_configure,
	.model = &ping_model,
	.runtime = &ping_runtime,
	.describe = ping_describe,
	.doc_args = "SRC, DST (IPv4 addresses) positional; keywords INTERVAL (time, default 1 s, "
	            "milliseconds), IDENTIFIER (0-65535), DATA (string), LIMIT (integer, -1 "
	            "unlimited), ACTIVE, VERBOSE, STOP (bool), MIRROR (false only); the input "
	            "consumes replies",
	.doc_model = "One flow started by the engine: an ICMP echo request from SRC to DST (TTL "
	             "200), its IP ID from 1 to 65535 and its checksum unconstrained; no entering "
	             "packet. What enters the input is consumed.",
};

const struct click_class elem_timedsink = {
	.name = "TimedSink",
	.port_count = "1/0",
	.processing = "l/l",
	.configure = timedsink_configure,
	.model = &timedsink_model,
	.runtime = &timedsink_runtime,
	.describe = timedsink_describe,
	.doc_args = "INTERVAL (time, default 0.5 s) positional: one pull per interval",
	.doc_model = "Every packet is discarded (time is not modelled).",
};
