/* ARPResponder(IP/MASK [IP/MASK ...] ETH, ...) and ARPQuerier(IP, ETH
 * [, keywords]) (Click's ARPResponder and ARPQuerier documentation). */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "base/inet.h"
#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

/* ---- ARP frames, for both elements ---- */

/* innet devices carry IPv4 without link headers, so these elements see
 * IPv4 packets where they expect Ethernet frames. The models follow the
 * packet functions byte for byte where the model has the bytes, and build
 * ARP frames (which are not IPv4) as new packets with unknown fields,
 * marked approximate. */

/* An ARP frame: is it Ethernet/IPv4 ARP with operation op? */
static bool arp_frame(const uint8_t *d, uint32_t len, uint16_t op)
{
	return len >= 42 && rt_rd16(d + 12) == 0x0806 && rt_rd16(d + 14) == 1 &&
	       rt_rd16(d + 16) == 0x0800 && rt_rd16(d + 20) == op;
}

/* Build a 42-byte ARP frame into q. */
static void arp_build(struct rt_pkt *q, const uint8_t *edst, const uint8_t *esrc, uint16_t op,
                      const uint8_t *sha, uint32_t spa, const uint8_t *tha, uint32_t tpa)
{
	uint8_t *d = rt_pkt_data(q);
	memcpy(d, edst, 6);
	memcpy(d + 6, esrc, 6);
	rt_wr16(d + 12, 0x0806);
	rt_wr16(d + 14, 1);
	rt_wr16(d + 16, 0x0800);
	d[18] = 6;
	d[19] = 4;
	rt_wr16(d + 20, op);
	memcpy(d + 22, sha, 6);
	rt_wr32(d + 28, spa);
	memcpy(d + 32, tha, 6);
	rt_wr32(d + 38, tpa);
	q->len = 42;
	q->mac_off = (int32_t)q->off;
}

static void arp_frame_out(struct sym_ctx *cx, struct sym_flow *f, uint32_t port, const char *why)
{
	mu_new_packet(cx, f);
	sym_approx(cx, f, why);
	sym_emit(cx, port, f);
}

/* ---- ARPResponder ---- */

struct arp_entry {
	struct inet_prefix prefix; /* target IPs answered (bare address: /32) */
	uint8_t eth[6];
};

struct arpresponder_conf {
	uint32_t n;
	struct arp_entry *v; /* in argument order; the first match answers */
};

static int arpresponder_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                  void **conf)
{
	struct arpresponder_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	int rc = 0;
	size_t cap = 0;
	for (size_t i = 0; i < args->n; i++) {
		struct arg_val a = arg_val_of(&args->v[i], NULL);
		struct arg_list w;
		if (arg_words(ctx, &a, &w))
			return -ENOMEM;
		uint8_t eth[6];
		int neth = 0;
		size_t first = c->n;
		for (size_t k = 0; k < w.n; k++) {
			if (arg_parse_ether(NULL, &w.v[k], eth) == 0) {
				if (neth++) {
					rc = arg_error(ctx, &w.v[k], "more than one Ethernet address");
				}
				continue;
			}
			struct inet_prefix p;
			if (arg_parse_prefix(NULL, &w.v[k], &p)) {
				rc = arg_error(ctx, &w.v[k], "expected IP address, prefix or Ethernet address");
				continue;
			}
			if (c->n == cap) {
				size_t ncap = cap ? cap * 2 : 8;
				struct arp_entry *nv = arena_realloc(ctx->arena, c->v, cap * sizeof *nv,
				                                     ncap * sizeof *nv);
				if (!nv)
					return -ENOMEM;
				c->v = nv;
				cap = ncap;
			}
			c->v[c->n++].prefix = p;
		}
		if (neth == 0)
			rc = arg_error(ctx, &a, "missing Ethernet address");
		else if (c->n == first)
			rc = arg_error(ctx, &a, "missing IP address");
		for (size_t k = first; k < c->n; k++)
			memcpy(c->v[k].eth, eth, 6);
	}
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* symbolic model (src/verify/model.h) */

static const struct flow_atom arp_req_atoms[] = {
	{ .base = FLOW_BASE_DATA, .op = FLOW_EQ, .len = 2, .off = 12, .mask = 0xffff, .value = 0x0806 },
	{ .base = FLOW_BASE_DATA, .op = FLOW_EQ, .len = 2, .off = 14, .mask = 0xffff, .value = 1 },
	{ .base = FLOW_BASE_DATA, .op = FLOW_EQ, .len = 2, .off = 16, .mask = 0xffff, .value = 0x0800 },
	{ .base = FLOW_BASE_DATA, .op = FLOW_EQ, .len = 2, .off = 20, .mask = 0xffff, .value = 1 },
};

/* ARPResponder: a packet whose bytes read as an ARP request (ethertype
 * 0x0806 at data 12, Ethernet/IPv4, op 1, at least 42 bytes: for an IPv4
 * packet, a source 8.6.0.1, a destination 8.0.x.x and a first transport
 * word 1) for a target (data 38-41) in a configured prefix is consumed and
 * a new 42-byte ARP reply leaves on output 0; everything else (every
 * ordinary IPv4 packet) goes to output 1, dropped when absent. */
static int arpresponder_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                 struct sym_flow *f)
{
	const struct arpresponder_conf *c = e->conf;
	struct flow_expr kids[4], *kp[4];
	for (int i = 0; i < 4; i++) {
		kids[i] = (struct flow_expr){ .kind = FLOW_ATOM, .atom = arp_req_atoms[i] };
		kp[i] = &kids[i];
	}
	struct flow_expr req = { .kind = FLOW_AND, .nkids = 4, .kids = kp };
	struct sym_flow *big = NULL, *small = NULL;
	sym_split_range(cx, f, SYM_F_LEN, 42, 0xffff, &big, &small);
	if (small)
		sym_emit(cx, 1, small);
	if (!big)
		return 0;
	struct sym_flows yes = { 0 }, no = { 0 };
	int rc = sym_split_expr(cx, big, &req, &yes, &no);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < no.n; i++)
		sym_emit(cx, 1, no.v[i]);
	for (uint32_t i = 0; i < yes.n; i++) {
		struct sym_flows cur = { 0 };
		sym_flows_push(cx, &cur, yes.v[i]);
		for (uint32_t k = 0; k < c->n && cur.n; k++) {
			struct flow_expr tpa = {
				.kind = FLOW_ATOM,
				.atom = { .base = FLOW_BASE_DATA, .op = FLOW_EQ, .len = 4, .off = 38,
				          .mask = inet_mask(c->v[k].prefix.len), .value = c->v[k].prefix.addr },
			};
			struct sym_flows hit = { 0 }, next = { 0 };
			for (uint32_t j = 0; j < cur.n; j++)
				if ((rc = sym_split_expr(cx, cur.v[j], &tpa, &hit, &next)) < 0)
					return rc;
			for (uint32_t j = 0; j < hit.n; j++)
				arp_frame_out(cx, hit.v[j], 0, "ARPResponder: an ARP reply is not IPv4");
			cur = next;
		}
		for (uint32_t j = 0; j < cur.n; j++)
			sym_emit(cx, 1, cur.v[j]);
	}
	return 0;
}

static const struct elem_model arpresponder_model = { .push = arpresponder_sym_push };

/* packet function */

static struct rt_pkt *arpresponder_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct arpresponder_conf *c = e->conf;
	const uint8_t *d = rt_pkt_data(p);
	if (arp_frame(d, p->len, 1)) {
		uint32_t tpa = rt_rd32(d + 38);
		for (uint32_t i = 0; i < c->n; i++) {
			if (!inet_prefix_contains(c->v[i].prefix, tpa))
				continue;
			struct rt_pkt *q = rt_pkt_alloc(e, 42);
			if (!q)
				break;
			arp_build(q, d + 22, c->v[i].eth, 2, c->v[i].eth, tpa, d + 22, rt_rd32(d + 28));
			q->anno[RT_ANNO_VLAN_TCI] = p->anno[RT_ANNO_VLAN_TCI];
			q->anno[RT_ANNO_VLAN_TCI + 1] = p->anno[RT_ANNO_VLAN_TCI + 1];
			rt_consume(e, p);
			return q;
		}
	}
	rt_push(e, 1, p);
	return NULL;
}

static const struct elem_runtime arpresponder_runtime = { .action = arpresponder_action };

/* describe and the class object */

/* Entry i answers IP/MASK i with ETH i; an argument with several prefixes
 * gives one entry each. */
static json_t *arpresponder_describe(const void *conf)
{
	const struct arpresponder_conf *c = conf;
	json_t *prefixes = json_array(), *eths = json_array();
	for (uint32_t i = 0; prefixes && eths && i < c->n; i++)
		if (json_array_append_new(prefixes, describe_prefix(c->v[i].prefix)) ||
		    json_array_append_new(eths, describe_ether(c->v[i].eth)))
			break;
	if (json_array_size(prefixes) != c->n || json_array_size(eths) != c->n) {
		json_decref(prefixes);
		json_decref(eths);
		return NULL;
	}
	return json_pack("{s:o, s:o}", "IP/MASK", prefixes, "ETH", eths);
}

const struct click_class elem_arpresponder = {
	.name = "ARPResponder",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = arpresponder_configure,
	.model = &arpresponder_model,
	.runtime = &arpresponder_runtime,
	.describe = arpresponder_describe,
	.doc_args = "IP/MASK [IP/MASK ...] ETH, ... (the first entry whose prefix holds the "
	            "target answers)",
	.doc_model = "A packet whose bytes read as an ARP request for a configured target becomes "
	             "a new ARP reply (not IPv4: approximate); everything else leaves on output 1.",
};

/* ---- ARPQuerier ---- */

struct arpquerier_conf {
	uint32_t ip;                      /* our address (host order) */
	uint8_t eth[6];                   /* our MAC */
	uint32_t broadcast;               /* BROADCAST, or derived from IP/len */
	uint32_t capacity;                /* queued packets, 2048 */
	uint32_t entry_capacity;          /* 0: unlimited */
	uint32_t entry_packet_capacity;   /* 0: unlimited */
	int64_t timeout_ns;               /* 5 min */
	int64_t poll_timeout_ns;          /* 1 min */
	bool broadcast_poll;              /* false */
};

static int arpquerier_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                void **conf)
{
	struct arpquerier_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->capacity = 2048;
	c->timeout_ns = 300 * 1000000000ll;
	c->poll_timeout_ns = 60 * 1000000000ll;
	struct arg_val ip = { 0 }, table = { 0 };
	struct arg_spec spec[] = {
		arg_raw("IP", ARG_MP, &ip),
		arg_ether("ETH", ARG_MP, c->eth),
		arg_raw("TABLE", 0, &table),
		arg_u32("CAPACITY", 0, &c->capacity),
		arg_u32("ENTRY_CAPACITY", 0, &c->entry_capacity),
		arg_u32("ENTRY_PACKET_CAPACITY", 0, &c->entry_packet_capacity),
		arg_time("TIMEOUT", 0, &c->timeout_ns),
		arg_time("POLL_TIMEOUT", 0, &c->poll_timeout_ns),
		arg_ip("BROADCAST", 0, &c->broadcast),
		arg_bool("BROADCAST_POLL", 0, &c->broadcast_poll),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (spec[2].given)
		rc = arg_error(ctx, &table, "shared ARP tables are not supported");
	uint8_t len = 32;
	if (spec[0].given && arg_parse_prefix_host(ctx, &ip, &c->ip, &len))
		rc = -EINVAL;
	if (rc)
		return rc;
	if (!spec[8].given) {
		c->broadcast = c->ip | ~inet_mask(len);
		if (c->broadcast == c->ip)
			c->broadcast = 0xffffffffu;
	}
	*conf = c;
	return 0;
}

/* symbolic model (src/verify/model.h) */

/* ARPQuerier. Input 1 (ARP replies) only updates the table: consumed. The
 * table is time and traffic dependent, which the model does not track, so
 * on input 0 every next hop (the dst-IP annotation) may be known or not:
 * 0.0.0.0 is dropped; broadcast and multicast next hops, and unicast ones
 * (sent at once, or held until a reply comes), leave on output 0 with a
 * 14-byte Ethernet header in front (as EtherEncap: approximate); a unicast
 * next hop may also make an ARP query (a new frame, not IPv4) on the last
 * output. */
static int arpquerier_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                               struct sym_flow *f)
{
	const struct arpquerier_conf *c = e->conf;
	if (port == 1) {
		sym_drop(cx, f, "ARPQuerier consumes ARP replies");
		return 0;
	}
	struct sym_flow *zero = NULL, *rest = NULL;
	sym_split_range(cx, f, SYM_F_DSTANNO, 0, 0, &zero, &rest);
	if (zero)
		sym_drop(cx, zero, "ARPQuerier: next hop 0.0.0.0");
	if (!rest)
		return 0;
	/* group next hops: no query */
	const uint32_t group[][2] = { { 0xffffffffu, 0xffffffffu }, { c->broadcast, c->broadcast },
	                              { 0xe0000000u, 0xefffffffu } };
	struct sym_flows out = { 0 };
	for (int i = 0; i < 3 && rest; i++) {
		struct sym_flow *g = NULL, *o = NULL;
		sym_split_range(cx, rest, SYM_F_DSTANNO, group[i][0], group[i][1], &g, &o);
		sym_flows_push(cx, &out, g);
		rest = o;
	}
	if (rest) {
		struct sym_flow *q = sym_clone(cx, rest);
		if (q)
			arp_frame_out(cx, q, e->noutputs ? e->noutputs - 1 : 0,
			              "ARPQuerier: an ARP query is not IPv4");
		sym_flows_push(cx, &out, rest);
	}
	for (uint32_t i = 0; i < out.n; i++) {
		sym_move_data(cx, out.v[i], -14);
		sym_approx(cx, out.v[i], "ARPQuerier: a link header the model does not track was prepended");
		sym_emit(cx, 0, out.v[i]);
	}
	return 0;
}

static const struct elem_model arpquerier_model = { .push = arpquerier_sym_push };

/* packet function */

/* A fixed table of neighbours and one ring of held packets
 * (CAPACITY, tagged with their next hop), both in the module block. */
struct arpq_entry {
	uint32_t ip;
	uint8_t eth[6];
	bool used, known;
	uint64_t updated, last_query;
	uint32_t held;
};

struct arpq_held {
	struct rt_pkt *p;
	uint32_t ip;
};

struct arpq_state {
	uint32_t nent, cap;      /* table entries, held-packet capacity */
	uint32_t nheld;
	uint64_t drops, queries;
	struct arpq_entry *ent;
	struct arpq_held *held;  /* oldest first */
};

static uint32_t arpq_nent(const struct rt_elem *e, uint32_t limit)
{
	const struct arpquerier_conf *c = e->conf;
	uint32_t n = c->entry_capacity ? c->entry_capacity : limit;
	return n < limit ? n : limit;
}

static uint32_t arpq_cap(const struct rt_elem *e, uint32_t limit)
{
	const struct arpquerier_conf *c = e->conf;
	return c->capacity < 4 * limit ? c->capacity : 4 * limit;
}

static size_t arpq_state_size(const struct rt_elem *e, uint32_t limit)
{
	return sizeof(struct arpq_state) + 16 + (size_t)arpq_nent(e, limit) * sizeof(struct arpq_entry) +
	       16 + (size_t)arpq_cap(e, limit) * sizeof(struct arpq_held);
}

static int arpq_init(struct rt_elem *e, struct diags *d)
{
	struct arpq_state *s = e->state;
	uint32_t limit = rt_flow_capacity(e);
	s->nent = arpq_nent(e, limit);
	s->cap = arpq_cap(e, limit);
	uintptr_t a = ((uintptr_t)(s + 1) + 15) & ~(uintptr_t)15;
	s->ent = (struct arpq_entry *)a;
	a = (a + (size_t)s->nent * sizeof(struct arpq_entry) + 15) & ~(uintptr_t)15;
	s->held = (struct arpq_held *)a;
	return 0;
}

static void arpq_fini(struct rt_elem *e)
{
	struct arpq_state *s = e->state;
	for (uint32_t i = 0; i < s->nheld; i++)
		rt_consume(e, s->held[i].p);
	s->nheld = 0;
}

static struct arpq_entry *arpq_find(struct arpq_state *s, uint32_t ip, bool create, uint64_t now,
                                    int64_t timeout)
{
	struct arpq_entry *free_e = NULL, *oldest = NULL;
	for (uint32_t i = 0; i < s->nent; i++) {
		struct arpq_entry *x = &s->ent[i];
		if (x->used && x->ip == ip)
			return x;
		if (!x->used && !free_e)
			free_e = x;
		if (x->used && !x->held && (!oldest || x->updated < oldest->updated))
			oldest = x;
	}
	if (!create)
		return NULL;
	struct arpq_entry *x = free_e ? free_e : oldest;
	if (!x)
		return NULL;
	memset(x, 0, sizeof *x);
	x->used = true;
	x->ip = ip;
	return x;
}

static void arpq_send_query(struct rt_elem *e, uint32_t ip, const uint8_t *dst_eth)
{
	const struct arpquerier_conf *c = e->conf;
	struct arpq_state *s = e->state;
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[6] = { 0 };
	struct rt_pkt *q = rt_pkt_alloc(e, 42);
	if (!q)
		return;
	arp_build(q, dst_eth ? dst_eth : bcast, c->eth, 1, c->eth, c->ip, zero, ip);
	s->queries++;
	rt_push(e, e->noutputs ? e->noutputs - 1 : 0, q);
}

static void arpq_emit(struct rt_elem *e, struct rt_pkt *p, const uint8_t *dst)
{
	const struct arpquerier_conf *c = e->conf;
	p = rt_pkt_push_front(e, p, 14);
	if (!p)
		return;
	uint8_t *d = rt_pkt_data(p);
	memcpy(d, dst, 6);
	memcpy(d + 6, c->eth, 6);
	rt_wr16(d + 12, 0x0800);
	p->mac_off = (int32_t)p->off;
	rt_push(e, 0, p);
}

/* An ARP reply (input 1) teaches the table and releases the packets held
 * for its sender, in arrival order; it is consumed. */
static void arpq_learn(struct rt_elem *e, struct rt_pkt *p)
{
	const struct arpquerier_conf *c = e->conf;
	struct arpq_state *s = e->state;
	uint64_t now = rt_now(e);
	const uint8_t *d = rt_pkt_data(p);
	if (arp_frame(d, p->len, 2) && !(d[22] & 1)) {
		uint32_t spa = rt_rd32(d + 28);
		struct arpq_entry *x = arpq_find(s, spa, true, now, c->timeout_ns);
		if (x) {
			memcpy(x->eth, d + 22, 6);
			x->known = true;
			x->updated = now;
			uint8_t eth[6];
			memcpy(eth, x->eth, 6);
			/* release held packets for spa in arrival order */
			uint32_t k = 0;
			for (uint32_t i = 0; i < s->nheld; i++) {
				if (s->held[i].ip == spa) {
					struct rt_pkt *h = s->held[i].p;
					arpq_emit(e, h, eth);
				} else {
					s->held[k++] = s->held[i];
				}
			}
			s->nheld = k;
			x->held = 0;
		}
	}
	rt_consume(e, p);
}

static void arpq_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	const struct arpquerier_conf *c = e->conf;
	struct arpq_state *s = e->state;
	uint64_t now = rt_now(e);
	if (port == 1) {
		arpq_learn(e, p);
		return;
	}
	uint32_t nh = rt_pkt_dst_anno(p);
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	if (nh == 0) {
		s->drops++;
		rt_drop(e, p);
		return;
	}
	if (nh == 0xffffffffu || nh == c->broadcast) {
		arpq_emit(e, p, bcast);
		return;
	}
	if ((nh & 0xf0000000u) == 0xe0000000u) {
		uint8_t m[6] = { 0x01, 0x00, 0x5e, (uint8_t)((nh >> 16) & 0x7f), (uint8_t)(nh >> 8), (uint8_t)nh };
		arpq_emit(e, p, m);
		return;
	}
	struct arpq_entry *x = arpq_find(s, nh, true, now, c->timeout_ns);
	if (x && x->known && now - x->updated < (uint64_t)c->timeout_ns) {
		uint8_t eth[6];
		memcpy(eth, x->eth, 6);
		if (c->poll_timeout_ns > 0 && now - x->updated >= (uint64_t)(c->timeout_ns - c->poll_timeout_ns) &&
		    now - x->last_query >= 1000000000ull / 10) {
			x->last_query = now;
			arpq_send_query(e, nh, c->broadcast_poll ? NULL : eth);
		}
		arpq_emit(e, p, eth);
		return;
	}
	if (x)
		x->known = false;
	if (!x || s->nheld >= s->cap ||
	    (c->entry_packet_capacity && x->held >= c->entry_packet_capacity)) {
		s->drops++;
		rt_drop(e, p);
	} else {
		s->held[s->nheld].p = p;
		s->held[s->nheld].ip = nh;
		s->nheld++;
		x->held++;
	}
	/* at most about 10 queries per second per address */
	if (x && (x->last_query == 0 || now - x->last_query >= 1000000000ull / 10)) {
		x->last_query = now ? now : 1;
		arpq_send_query(e, nh, NULL);
	}
}

static int arpq_read(const struct rt_elem *e, const char *h, uint64_t *v)
{
	const struct arpq_state *s = e->state;
	if (!strcmp(h, "drops"))
		*v = s->drops;
	else if (!strcmp(h, "queries"))
		*v = s->queries;
	else if (!strcmp(h, "length"))
		*v = s->nheld;
	else
		return -EOPNOTSUPP;
	return 0;
}

/* ---- suspend and resume: the neighbour table and the waiting packets ---- */
/* Saved: drops, queries, the entries in use (address, MAC, known, the age
 * of their last update and query), then the waiting packets oldest first
 * (next hop, elem_save_pkt). Ages grow by the time away on load, so an
 * entry that expired meanwhile is queried again as it would have been. */
static uint64_t age(uint64_t now, uint64_t t) { return t && now > t ? now - t : 0; }
static uint64_t since(uint64_t now, uint64_t age_ns, uint64_t away, bool set)
{
	if (!set)
		return 0;
	uint64_t a = age_ns + away;
	return now > a ? now - a : 1;
}

static int arpq_save(const struct rt_elem *e, struct rt_wbuf *w, uint64_t now_ns)
{
	const struct arpq_state *s = e->state;
	rt_wbuf_varint(w, s->drops);
	rt_wbuf_varint(w, s->queries);
	uint32_t used = 0;
	for (uint32_t i = 0; i < s->nent; i++)
		used += s->ent[i].used;
	rt_wbuf_varint(w, used);
	for (uint32_t i = 0; i < s->nent; i++) {
		const struct arpq_entry *x = &s->ent[i];
		if (!x->used)
			continue;
		rt_wbuf_u32(w, x->ip);
		rt_wbuf_put(w, x->eth, 6);
		rt_wbuf_u8(w, (uint8_t)(x->known | (x->updated ? 2 : 0) | (x->last_query ? 4 : 0)));
		rt_wbuf_varint(w, age(now_ns, x->updated));
		rt_wbuf_varint(w, age(now_ns, x->last_query));
	}
	rt_wbuf_varint(w, s->nheld);
	for (uint32_t i = 0; i < s->nheld; i++) {
		rt_wbuf_u32(w, s->held[i].ip);
		elem_save_pkt(w, s->held[i].p, now_ns);
	}
	return w->oom ? -ENOMEM : 0;
}

static void arpq_load_entry(struct arpq_state *s, struct rt_rbuf *r, uint64_t now, uint64_t away)
{
	uint32_t ip = rt_rbuf_u32(r);
	uint8_t eth[6];
	rt_rbuf_get(r, eth, 6);
	uint8_t fl = rt_rbuf_u8(r);
	uint64_t upd = rt_rbuf_varint(r), q = rt_rbuf_varint(r);
	struct arpq_entry *x = r->bad ? NULL : arpq_find(s, ip, true, now, 0);
	if (!x)
		return; /* a smaller table now: forgotten, queried again */
	memcpy(x->eth, eth, 6);
	x->known = fl & 1;
	x->updated = since(now, upd, away, fl & 2);
	x->last_query = since(now, q, away, fl & 4);
}

static int arpq_load(struct rt_elem *e, struct rt_rbuf *r, uint64_t now_ns, uint64_t away_ns,
                     struct diags *d)
{
	struct arpq_state *s = e->state;
	uint64_t drops = rt_rbuf_varint(r), queries = rt_rbuf_varint(r);
	uint64_t n = rt_rbuf_varint(r);
	for (uint64_t i = 0; i < n && !r->bad; i++)
		arpq_load_entry(s, r, now_ns, away_ns);
	n = rt_rbuf_varint(r);
	for (uint64_t i = 0; i < n && !r->bad; i++) {
		uint32_t ip = rt_rbuf_u32(r);
		struct rt_pkt *p = elem_load_pkt(e, r, now_ns, away_ns);
		struct arpq_entry *x = p ? arpq_find(s, ip, true, now_ns, 0) : NULL;
		if (p && (!x || s->nheld >= s->cap)) {
			rt_drop(e, p);
			p = NULL;
		}
		if (!p) {
			drops += !r->bad;
			continue;
		}
		s->held[s->nheld].p = p;
		s->held[s->nheld++].ip = ip;
		x->held++;
	}
	if (r->bad) {
		arpq_fini(e);
		diags_error(d, NULL, 0, "saved state of %s: table or packets do not parse", e->ce->name);
		return -EINVAL;
	}
	s->drops += drops;
	s->queries += queries;
	return 0;
}

static void arpq_table(const struct rt_elem *e, struct rt_table_stats *st)
{
	const struct arpq_state *s = e->state;
	uint64_t used = 0;
	for (uint32_t i = 0; i < s->nent; i++)
		used += s->ent[i].used;
	*st = (struct rt_table_stats){ .entries = used, .capacity = s->nent, .full_drops = s->drops };
}

static const struct elem_runtime arpquerier_runtime = {
	.state_size = arpq_state_size,
	.init = arpq_init,
	.push = arpq_push,
	.read = arpq_read,
	.fini = arpq_fini,
	.save = arpq_save,
	.load = arpq_load,
	.table = arpq_table,
};

/* describe and the class object */

/* BROADCAST is the effective one (derived from IP/len when not given). */
static json_t *arpquerier_describe(const void *conf)
{
	const struct arpquerier_conf *c = conf;
	return json_pack("{s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:b}", "IP", describe_ip(c->ip),
	                 "ETH", describe_ether(c->eth), "BROADCAST", describe_ip(c->broadcast),
	                 "CAPACITY", (json_int_t)c->capacity,
	                 "ENTRY_CAPACITY", (json_int_t)c->entry_capacity,
	                 "ENTRY_PACKET_CAPACITY", (json_int_t)c->entry_packet_capacity,
	                 "TIMEOUT", (json_int_t)c->timeout_ns,
	                 "POLL_TIMEOUT", (json_int_t)c->poll_timeout_ns,
	                 "BROADCAST_POLL", (int)c->broadcast_poll);
}

/* Input 0: IP packets (dst-IP annotation = next hop); input 1: ARP replies.
 * Queries leave on the last output. */
const struct click_class elem_arpquerier = {
	.name = "ARPQuerier",
	.port_count = "2/1-2",
	.processing = "h/h",
	.flow_code = "xy/x",
	.flags = ELEM_STATEFUL,
	.configure = arpquerier_configure,
	.model = &arpquerier_model,
	.runtime = &arpquerier_runtime,
	.describe = arpquerier_describe,
	.doc_args = "IP, ETH; keywords CAPACITY, ENTRY_CAPACITY, ENTRY_PACKET_CAPACITY, TIMEOUT, "
	            "POLL_TIMEOUT, BROADCAST, BROADCAST_POLL",
	.doc_model = "The table is not tracked: every unicast next hop may be known or not, so "
	             "packets leave with an Ethernet header (approximate) and may cause a query; "
	             "next hop 0.0.0.0 is dropped, ARP replies are consumed.",
};
