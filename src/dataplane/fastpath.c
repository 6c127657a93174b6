/* The burst loop on each fast-path lcore (a worker): commands, rx,
 * classify, steer to the owner or hold or run, frame, route, tx, timers.
 * Nothing here allocates, locks or makes a system call per packet (the
 * idle sleep happens only when every port has been empty for a while; a
 * tx lock only where a port has fewer tx queues than workers). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_lpm.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_spinlock.h>

#include <uv.h>

#include "dataplane/internal.h"
#include "runtime/runtime.h"

#define ETH_LEN 14u

/* ---- the packet pool (runtime side) --------------------------------------- */

static struct rt_pkt *pool_alloc(void *ctx, uint32_t size)
{
	struct dp *dp = ctx;
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp->mp);
	if (!m)
		return NULL;
	if (size > (uint32_t)(m->buf_len - m->data_off)) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	struct rt_pkt *p = dp__pkt(m);
	rt_pkt_init(p, m->buf_addr, m->buf_len, m->data_off, 0, m);
	return p;
}

static void pool_free(void *ctx, struct rt_pkt *p)
{
	(void)ctx;
	rte_pktmbuf_free(p->handle);
}

struct rt_pool dp__pool(struct dp *dp)
{
	return (struct rt_pool){.alloc = pool_alloc, .free = pool_free, .ctx = dp};
}

struct rt_pkt *dp_alloc_pkt(struct dp_io *io, uint32_t len)
{
	struct rt_pkt *p = pool_alloc(io->dp, len);
	if (p)
		p->len = len;
	return p;
}

void dp_free_pkt(struct rt_pkt *p)
{
	if (p)
		rte_pktmbuf_free(p->handle);
}

void dp_drop(struct dp_io *io, struct rt_pkt *p)
{
	DP__ADD(io->mod->drops, 1);
	rte_pktmbuf_free(p->handle);
}

/* ---- tx: a worker's buffer per port ------------------------------------------------ */

static void tx_flush(struct dp__txbuf *b)
{
	if (!b->n)
		return;
	struct dp__port *pt = b->pt;
	uint16_t sent;
	if (b->shared) {
		rte_spinlock_lock(&pt->txlock);
		sent = rte_eth_tx_burst(pt->id, b->q, b->pk, b->n);
		rte_spinlock_unlock(&pt->txlock);
	} else {
		sent = rte_eth_tx_burst(pt->id, b->q, b->pk, b->n);
	}
	if (sent < b->n) {
		__atomic_fetch_add(&pt->tx_drops, (uint64_t)(b->n - sent), __ATOMIC_RELAXED);
		rte_pktmbuf_free_bulk(b->pk + sent, (unsigned)(b->n - sent));
	}
	b->n = 0;
}

static inline void tx_put(struct dp *dp, struct dp__txbuf *b, struct rte_mbuf *m)
{
	b->pk[b->n++] = m;
	if (b->n >= dp->burst)
		tx_flush(b);
}

/* A process module's device 1 output: to its program, on the process
 * port, to its interface's MAC (which carries the module's tag). */
static void emit_proc(struct dp *dp, struct dp__worker *w, struct dp__mod *mod, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, ETH_LEN);
	eh->dst_addr = mod->pmac;
	eh->src_addr = dp->proc.mac;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	DP__ADD(mod->proc_to, 1);
	DP__ADD(w->proc_to, 1);
	tx_put(dp, &w->tx[DP_MAX_PORTS], m);
}

/* The route and Ethernet header for dst, from the module's cache or, on
 * a miss, from the LPM table (then cached); NULL without a route. */
static inline const struct dp__route_cache *route_for(struct dp_io *io, uint32_t dst)
{
	struct dp__route_cache *rc = &io->rc;
	if (__builtin_expect(rc->ok && rc->dst == dst, 1))
		return rc;
	struct dp *dp = io->dp;
	uint32_t hop;
	if (rte_lpm_lookup(dp->lpm, dst, &hop) != 0)
		return NULL;
	const struct dp_route *rt = &dp->routes[hop];
	rc->tb = &io->w->tx[rt->port];
	memcpy(&rc->eh.dst_addr, rt->mac, 6); /* dp_start made all-zero broadcast */
	rc->eh.src_addr = dp->ports[rt->port].mac;
	rc->eh.ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	rc->dst = dst;
	rc->ok = true;
	return rc;
}

/* A module's packet leaves: sync the view back into the mbuf, add the
 * Ethernet header for the route's next hop, buffer it for tx. Device 1 of
 * a process module goes to its program; every other output leaves
 * through the routing table. */
void dp_emit(struct dp_io *io, uint32_t device, struct rt_pkt *p)
{
	struct dp *dp = io->dp;
	struct rte_mbuf *m = p->handle;
	bool proc = device == 1 && io->mod->ptag;
	if (p->len < sizeof(struct rte_ipv4_hdr) || p->off < ETH_LEN || m->nb_segs != 1 ||
	    p->buf != (uint8_t *)m->buf_addr) {
		dp_drop(io, p);
		return;
	}
	m->data_off = (uint16_t)p->off;
	m->data_len = (uint16_t)p->len;
	m->pkt_len = p->len;
	if (proc) {
		emit_proc(dp, io->w, io->mod, m);
		return;
	}
	const struct dp__route_cache *rc = route_for(io, rt_rd32(rt_pkt_data(p) + 16));
	if (!rc) {
		DP__ADD(io->w->no_route, 1);
		dp_drop(io, p);
		return;
	}
	memcpy(rte_pktmbuf_prepend(m, ETH_LEN), &rc->eh, ETH_LEN);
	io->tx_n++;
	io->tx_bytes += p->len;
	tx_put(dp, rc->tb, m);
}

/* What a push or timer run emitted, into the counters at once. */
static inline void io_settle(struct dp_io *io)
{
	if (!io->tx_n)
		return;
	DP__ADD(io->mod->tx_packets, io->tx_n);
	DP__ADD(io->mod->tx_bytes, io->tx_bytes);
	DP__ADD(io->w->tx_packets, io->tx_n);
	io->tx_n = 0;
	io->tx_bytes = 0;
}

/* ---- running list and timers ----------------------------------------------- */

static void running_link(struct dp__worker *w, struct dp__mod *m)
{
	m->rprev = NULL;
	m->rnext = w->running;
	if (w->running)
		w->running->rprev = m;
	w->running = m;
}

/* ---- timers: a min-heap of running modules on their deadline ---- */

static inline void theap_put(struct dp__worker *w, uint32_t i, struct dp__mod *m)
{
	w->timers[i] = m;
	m->tpos = i;
}

static void theap_up(struct dp__worker *w, uint32_t i)
{
	struct dp__mod *m = w->timers[i];
	while (i > 1 && w->timers[i / 2]->deadline > m->deadline) {
		theap_put(w, i, w->timers[i / 2]);
		i /= 2;
	}
	theap_put(w, i, m);
}

static void theap_down(struct dp__worker *w, uint32_t i)
{
	struct dp__mod *m = w->timers[i];
	for (;;) {
		uint32_t c = 2 * i;
		if (c > w->ntimers)
			break;
		if (c < w->ntimers && w->timers[c + 1]->deadline < w->timers[c]->deadline)
			c++;
		if (w->timers[c]->deadline >= m->deadline)
			break;
		theap_put(w, i, w->timers[c]);
		i = c;
	}
	theap_put(w, i, m);
}

static void theap_remove(struct dp__worker *w, struct dp__mod *m)
{
	uint32_t i = m->tpos;
	if (!i)
		return;
	struct dp__mod *last = w->timers[w->ntimers--];
	m->tpos = 0;
	if (last == m)
		return;
	theap_put(w, i, last);
	theap_up(w, i);
	theap_down(w, last->tpos);
}

static inline void next_timer_is_top(struct dp__worker *w)
{
	w->next_timer = w->ntimers ? w->timers[1]->deadline : UINT64_MAX;
}

/* A module's next timer (UINT64_MAX: none): most pushes give back the
 * deadline it had, which costs a compare. */
static void set_deadline(struct dp__worker *w, struct dp__mod *m, uint64_t d)
{
	uint64_t was = m->deadline;
	if (d == was)
		return;
	m->deadline = d;
	if (d == UINT64_MAX)
		theap_remove(w, m);
	else if (!m->tpos)
		theap_put(w, ++w->ntimers, m), theap_up(w, m->tpos);
	else if (d < was)
		theap_up(w, m->tpos);
	else
		theap_down(w, m->tpos);
	next_timer_is_top(w);
}

static void running_unlink(struct dp__worker *w, struct dp__mod *m)
{
	if (m->rprev)
		m->rprev->rnext = m->rnext;
	else if (w->running == m)
		w->running = m->rnext;
	if (m->rnext)
		m->rnext->rprev = m->rprev;
	m->rnext = m->rprev = NULL;
	theap_remove(w, m);
	m->deadline = UINT64_MAX;
	next_timer_is_top(w);
}

/* Every module whose deadline has come, each once: a timer asking to run
 * again at once runs on the loop's next turn (as with a walk of them all). */
static unsigned run_timers(struct dp__worker *w, uint64_t now)
{
	unsigned n = 0;
	while (w->ntimers && w->timers[1]->deadline <= now) {
		struct dp__mod *m = w->timers[1];
		uint64_t d = m->prog.ops->run_timers ? m->prog.ops->run_timers(m->prog.self, &m->io, now)
		                                     : UINT64_MAX;
		io_settle(&m->io);
		set_deadline(w, m, d <= now ? now + 1 : d);
		n++;
	}
	next_timer_is_top(w);
	return n;
}

/* ---- module input ------------------------------------------------------------ */

/* Turn the frame into the view a module sees: IPv4 without link header. */
static struct rt_pkt *to_view(struct rte_mbuf *m, uint32_t iplen, uint64_t now)
{
	struct rt_pkt *p = dp__pkt(m);
	rt_pkt_init(p, m->buf_addr, m->buf_len, (uint32_t)m->data_off + ETH_LEN, iplen, m);
	p->tstamp_ns = now;
	return p;
}

static void run_burst(struct dp__worker *w, struct dp__mod *m, struct rt_pkt **v, uint32_t n, uint64_t now)
{
	set_deadline(w, m, m->prog.ops->push(m->prog.self, &m->io, v, n, now));
	io_settle(&m->io);
}

/* Packets gathered for one module's push: consecutive packets of one
 * module go as one burst. The room for them lives apart so that mod and n
 * stay in registers across the pushes. With `count`, the module's rx
 * counters take the batch at once when it is pushed (held packets were
 * counted when they arrived). */
struct batch {
	struct dp__mod *mod;
	uint32_t n;
	bool count;
	uint64_t bytes;
	struct rt_pkt **v; /* room for DP_MAX_BURST */
};

static inline void batch_init(struct batch *b, struct rt_pkt **room, bool count)
{
	b->mod = NULL;
	b->n = 0;
	b->count = count;
	b->bytes = 0;
	b->v = room;
}

static inline void count_rx(struct dp__mod *m, uint32_t n, uint64_t bytes, uint64_t now)
{
	DP__ADD(m->rx_packets, n);
	DP__ADD(m->rx_bytes, bytes);
	DP__SET(m->last_rx_ns, now);
}

static inline void batch_flush(struct dp__worker *w, struct batch *b, uint64_t now)
{
	if (!b->n)
		return;
	if (b->count)
		count_rx(b->mod, b->n, b->bytes, now);
	run_burst(w, b->mod, b->v, b->n, now);
	b->n = 0;
	b->bytes = 0;
}

static inline void batch_add(struct dp__worker *w, struct batch *b, struct dp__mod *m, struct rt_pkt *p,
                             uint64_t now)
{
	if (m != b->mod || b->n == DP_MAX_BURST)
		batch_flush(w, b, now);
	b->mod = m;
	b->bytes += p->len;
	b->v[b->n++] = p;
}

static void publish(struct dp__worker *w, struct dp__mod *m, struct dp_program prog, uint64_t now)
{
	m->prog = prog;
	m->hot = (struct dp_hot){0};
	if (prog.ops->hot)
		prog.ops->hot(prog.self, &m->hot);
	m->deadline = UINT64_MAX; /* not in the timer heap: tpos 0 goes with no deadline */
	running_link(w, m);
	m->wake_any = false;
	DP__SET(m->state, DP_MOD_RUNNING);
	if (prog.ops->run_timers) {
		set_deadline(w, m, prog.ops->run_timers(prog.self, &m->io, now));
		io_settle(&m->io);
	}
	/* the held packets, in arrival order */
	struct rt_pkt *room[DP_MAX_BURST];
	struct batch b;
	batch_init(&b, room, false);
	for (uint32_t i = 0; i < m->nhold; i++) {
		struct rte_mbuf *mb = m->hold[i];
		batch_add(w, &b, m, to_view(mb, mb->pkt_len - ETH_LEN, now), now);
	}
	batch_flush(w, &b, now);
	DP__ADD(w->held_now, -(uint64_t)m->nhold);
	m->nhold = 0;
}

static void drop_held(struct dp__worker *w, struct dp__mod *m)
{
	for (uint32_t i = 0; i < m->nhold; i++)
		rte_pktmbuf_free(m->hold[i]);
	DP__ADD(m->hold_drops, m->nhold);
	DP__ADD(w->held_now, -(uint64_t)m->nhold);
	m->nhold = 0;
}

static void signal_ev(struct dp__worker *w, const struct dp_event *ev)
{
	struct dp__ev e = {.ev = *ev};
	if (rte_ring_sp_enqueue_elem(w->ev, &e, sizeof e) != 0)
		DP__ADD(w->ev_drops, 1);
	else
		w->signal = true;
}

/* Take the program off the running list into the command (for control). */
static void unpublish(struct dp__worker *w, struct dp__mod *m, struct dp__cmd *c)
{
	DP__SET(m->mem, 0);
	DP__SET(m->queued, 0);
	if (!m->prog.ops)
		return;
	running_unlink(w, m);
	c->prog = m->prog;
	m->prog = (struct dp_program){0};
	m->hot = (struct dp_hot){0};
}

static unsigned steer_in(struct dp__worker *w, uint64_t now);

/* Commands per turn of the loop: few, so packets keep flowing while
 * control deploys many modules. */
#define CMD_BURST 16

static unsigned do_commands(struct dp__worker *w, uint64_t now)
{
	void *ptrs[CMD_BURST];
	unsigned n = rte_ring_sc_dequeue_burst(w->cmd, ptrs, CMD_BURST, NULL);
	for (unsigned i = 0; i < n; i++) {
		struct dp__cmd *c = ptrs[i];
		struct dp__mod *m = c->mod;
		switch (c->type) {
		case DP__CMD_ADD: /* control classifies it already: status is control's */
			break;
		case DP__CMD_RUN:
			c->status = 0;
			publish(w, m, c->prog, now);
			c->prog = (struct dp_program){0}; /* ours now */
			break;
		case DP__CMD_HALT:
			c->status = 0;
			unpublish(w, m, c); /* control frees it after this ack */
			drop_held(w, m);
			m->wake_any = false;
			DP__SET(m->state, DP_MOD_DEPLOYED);
			break;
		case DP__CMD_SUSPEND:
			c->status = 0;
			unpublish(w, m, c); /* control saves and frees it after this ack */
			m->wake_any = true;
			if (!m->nhold)
				DP__SET(m->state, DP_MOD_SUSPENDED);
			break;
		case DP__CMD_REMOVE:
			/* control took it out of the classifier and waited out the
			 * workers' turns: what they steered to it is in my rings */
			c->status = 0;
			if (w->dp->nworkers > 1)
				while (steer_in(w, now))
					;
			if (m->prog.ops) {
				running_unlink(w, m);
				c->prog = m->prog;
				m->prog = (struct dp_program){0};
			}
			drop_held(w, m);
			m->wake_any = false;
			m->ptag = 0;
			break;
		case DP__CMD_LINK:
			c->status = 0;
			m->pmac = c->mac;
			m->ptag = c->tag;
			break;
		case DP__CMD_UNLINK:
			c->status = 0;
			m->ptag = 0;
			break;
		}
		/* the done ring is as large as the command ring: never full */
		rte_ring_sp_enqueue(w->done, c);
		w->signal = true;
	}
	return n;
}

/* ---- rx ---------------------------------------------------------------------- */

static void answer_arp(struct dp__worker *w, struct dp__txbuf *tb, struct rte_mbuf *m)
{
	struct dp *dp = w->dp;
	struct dp__port *pt = tb->pt;
	if (m->data_len < ETH_LEN + sizeof(struct rte_arp_hdr))
		goto drop;
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eh + 1);
	if (a->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) ||
	    a->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || a->arp_plen != 4 ||
	    a->arp_hlen != 6)
		goto drop;
	uint32_t tip = rte_be_to_cpu_32(a->arp_data.arp_tip);
	if (rte_hash_lookup(dp->addrs, &tip) < 0)
		goto drop;
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	a->arp_data.arp_tha = a->arp_data.arp_sha;
	a->arp_data.arp_sha = pt->mac;
	uint32_t sip = a->arp_data.arp_sip;
	a->arp_data.arp_sip = a->arp_data.arp_tip;
	a->arp_data.arp_tip = sip;
	eh->dst_addr = eh->src_addr;
	eh->src_addr = pt->mac;
	DP__ADD(w->arp_replies, 1);
	tx_put(dp, tb, m);
	return;
drop:
	DP__ADD(w->not_ipv4, 1);
	rte_pktmbuf_free(m);
}

/* A packet for a module with no program: hold the first packets of new
 * flows, or any packet of a suspended module (its flows live on in its
 * saved state), and announce the first one; drop the rest. */
static void hold(struct dp__worker *w, struct dp__mod *m, struct rte_mbuf *mb, const uint8_t *ip, uint32_t l4off,
                 uint32_t iplen, uint64_t now)
{
	uint8_t proto = ip[9];
	bool first = (rt_rd16(ip + 6) & RT_IP_OFFMASK) == 0;
	bool newflow = false;
	/* TCP opens flows with a SYN; connectionless protocols (UDP, and the
	 * IP-in-IP, GRE or ICMP a tunnel end-point serves) with any packet */
	if (m->wake_any || (first && proto != RT_IP_PROTO_TCP))
		newflow = true;
	else if (first && proto == RT_IP_PROTO_TCP && iplen >= l4off + 14)
		newflow = (ip[l4off + 13] & 0x12) == 0x02; /* SYN without ACK */
	if (!newflow || m->nhold >= w->dp->cfg.hold_packets || w->held_now >= w->hold_total) {
		DP__ADD(m->hold_drops, 1);
		rte_pktmbuf_free(mb);
		return;
	}
	if (m->state == DP_MOD_DEPLOYED || m->state == DP_MOD_SUSPENDED) {
		struct dp_event ev = {.type = DP_EV_NEW_FLOW, .module = m->id, .proto = proto,
		                      .src = rt_rd32(ip + 12), .dst = rt_rd32(ip + 16),
		                      .ts_ns = now, .wake = m->wake_any};
		if (first && iplen >= l4off + 4) {
			ev.sport = rt_rd16(ip + l4off);
			ev.dport = rt_rd16(ip + l4off + 2);
		}
		uint64_t before = w->ev_drops;
		signal_ev(w, &ev);
		if (w->ev_drops != before) {
			/* control could not hear us: do not hold what nobody will start */
			DP__ADD(m->hold_drops, 1);
			rte_pktmbuf_free(mb);
			return;
		}
		DP__SET(m->state, DP_MOD_STARTING);
	}
	m->hold[m->nhold++] = mb;
	DP__ADD(m->held, 1);
	DP__ADD(w->held_now, 1);
}

/* A module's entry: its first three lines (what every packet writes, its
 * program's memory ranges, the io dp_emit reads), adjacent, so nothing
 * has to be read before they are asked for. */
static inline void prefetch_entry(const struct dp__mod *m)
{
	rte_prefetch0(m);
	rte_prefetch0((const char *)m + RTE_CACHE_LINE_SIZE);
	rte_prefetch0((const char *)m + 2 * RTE_CACHE_LINE_SIZE);
}

/* A running module's program: its handle and the ranges it named when it
 * was published (dp_program_ops.hot), all read from the entry. */
static inline void prefetch_prog(const struct dp__mod *m)
{
	if (!m || !m->prog.self)
		return;
	rte_prefetch0(m->prog.self);
	for (unsigned r = 0; r < DP_HOT_MAX; r++)
		for (uint32_t o = 0; o < m->hot.len[r]; o += RTE_CACHE_LINE_SIZE)
			rte_prefetch0((const char *)m->hot.p[r] + o);
}

/* One rx burst on its way through the steps: the frames as received,
 * then the IPv4 ones kept (their count stays in a register, not here),
 * each with its classifier key and, once classified, its module. */
struct rx {
	struct rte_mbuf *pk[DP_MAX_BURST];
	uint16_t idx[DP_MAX_BURST];         /* kept packet -> pk */
	uint32_t iplen[DP_MAX_BURST], l4[DP_MAX_BURST];
	struct dp__key keys[DP_MAX_BURST];
	const void *kp[DP_MAX_BURST];
	void *mod[DP_MAX_BURST];            /* struct dp__mod * (tagged until steer_out), NULL: nobody's */
};

static inline uint16_t receive(struct dp__worker *w, struct dp__port *pt, struct rte_mbuf **pk)
{
	uint16_t n = rte_eth_rx_burst(pt->id, (uint16_t)w->idx, pk, (uint16_t)w->dp->burst);
	if (n == 0)
		return 0;
	DP__ADD(w->rx_packets, n);
	for (uint16_t i = 0; i < n; i++) {
		rte_prefetch0(rte_pktmbuf_mtod(pk[i], void *));
		rte_prefetch0(dp__pkt(pk[i])); /* the view to_view writes */
		rte_prefetch0((const char *)dp__pkt(pk[i]) + RTE_CACHE_LINE_SIZE);
	}
	return n;
}

/* The classifier's key: (addr, proto, port) for the first fragment of TCP
 * and UDP with the port in it, the address alone otherwise. */
static inline void make_key(struct dp__key *k, const uint8_t *ip, uint32_t hl, uint32_t tl)
{
	k->addr = rt_rd32(ip + 16);
	k->proto = ip[9];
	k->port = 0;
	k->pad = 0;
	k->pad2 = 0;
	if ((k->proto == RT_IP_PROTO_TCP || k->proto == RT_IP_PROTO_UDP) && (rt_rd16(ip + 6) & RT_IP_OFFMASK) == 0 &&
	    tl >= hl + 4)
		k->port = rt_rd16(ip + hl + 2);
	else
		k->proto = 0;
}

/* Not IPv4: answer ARP for our addresses, drop the rest. */
static inline void not_ipv4(struct dp__worker *w, struct dp__txbuf *tb, struct rte_mbuf *m)
{
	if (w->dp->cfg.answer_arp && m->nb_segs == 1 && m->data_len >= ETH_LEN + sizeof(struct rte_arp_hdr) &&
	    rte_pktmbuf_mtod(m, const struct rte_ether_hdr *)->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
		answer_arp(w, tb, m);
		return;
	}
	DP__ADD(w->not_ipv4, 1);
	rte_pktmbuf_free(m);
}

/* Keep frame i as kept packet k when it is sound IPv4 (trimmed of
 * Ethernet padding); 1 when kept. */
static inline uint32_t keep_ipv4(struct dp__worker *w, struct dp__txbuf *tb, struct rx *rx, uint16_t i, uint32_t k)
{
	struct rte_mbuf *m = rx->pk[i];
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	if (m->nb_segs != 1 || m->data_len < ETH_LEN + 20u || rt_rd16(f + 12) != RTE_ETHER_TYPE_IPV4) {
		not_ipv4(w, tb, m);
		return 0;
	}
	const uint8_t *ip = f + ETH_LEN;
	uint32_t hl = (uint32_t)(ip[0] & 15) * 4, tl = rt_rd16(ip + 2);
	if ((ip[0] >> 4) != 4 || hl < 20 || tl < hl || tl + ETH_LEN > m->data_len) {
		DP__ADD(w->not_ipv4, 1);
		rte_pktmbuf_free(m);
		return 0;
	}
	if (m->data_len > tl + ETH_LEN)
		rte_pktmbuf_trim(m, (uint16_t)(m->data_len - tl - ETH_LEN));
	make_key(&rx->keys[k], ip, hl, tl);
	rx->kp[k] = &rx->keys[k];
	rx->iplen[k] = tl;
	rx->l4[k] = hl;
	rx->idx[k] = i;
	return 1;
}

/* The address table for every packet; (addr, proto, port) in dp->exact
 * only for packets whose address has such a key (rare), and an exact
 * match wins over the address's module. A packet without a port (not
 * TCP/UDP, a later fragment) cannot match an exact key, which always has
 * one. */
static inline void classify(struct dp *dp, struct rx *rx, uint32_t nk)
{
	const struct dp__cls_tab *t = dp__cls_load(&dp->cls);
	uint32_t addr[DP_MAX_BURST], val[DP_MAX_BURST];
	for (uint32_t j = 0; j < nk; j++)
		addr[j] = rx->keys[j].addr;
	dp__cls_lookup_bulk(t, addr, nk, val);
	for (uint32_t j = 0; j < nk; j++)
		if (dp__cls_slot_of(val[j]))
			rte_prefetch0(&dp->cls.slots[dp__cls_slot_of(val[j])]);
	const void *xkp[DP_MAX_BURST];
	uint32_t xmap[DP_MAX_BURST], nx = 0;
	for (uint32_t j = 0; j < nk; j++) {
		uint32_t s = dp__cls_slot_of(val[j]);
		rx->mod[j] = s ? dp__cls_slot(&dp->cls, s) : NULL;
		if ((val[j] & DP__CLS_EXACT) && rx->keys[j].port) {
			xkp[nx] = rx->kp[j];
			xmap[nx++] = j;
		}
	}
	if (!nx)
		return;
	uint64_t hits = 0;
	void *xdata[DP_MAX_BURST];
	rte_hash_lookup_bulk_data(dp->exact, xkp, nx, &hits, xdata);
	for (uint32_t i = 0; i < nx; i++)
		if (hits & (1ull << i))
			rx->mod[xmap[i]] = xdata[i];
}

/* ---- steering: packets of modules another worker owns -------------------------- */

static void steer_flush(struct dp__worker *w, unsigned to)
{
	struct dp__steer_out *o = &w->out[to];
	if (!o->n)
		return;
	unsigned k = rte_ring_sp_enqueue_burst_elem(w->to[to], o->v, sizeof o->v[0], o->n, NULL);
	DP__ADD(w->steered_out, k);
	if (k < o->n) {
		/* the owner is behind by a whole ring: drop, as a full rx queue would */
		DP__ADD(w->steer_drops, o->n - k);
		for (uint32_t i = k; i < o->n; i++)
			rte_pktmbuf_free(o->v[i].mb);
	}
	o->n = 0;
}

static inline void steer_put(struct dp__worker *w, unsigned to, struct rte_mbuf *mb, uintptr_t mod)
{
	struct dp__steer_out *o = &w->out[to];
	o->v[o->n++] = (struct dp__steer){.mb = mb, .mod = mod};
	if (o->n == DP_MAX_BURST)
		steer_flush(w, to);
}

static void steer_flush_all(struct dp__worker *w)
{
	for (unsigned i = 0; i < w->dp->nworkers; i++)
		steer_flush(w, i);
}

/* Packets of other workers' modules to their owners, in order; the
 * rest (this worker's, and the unclassified) kept, untagged. Returns how
 * many are kept. */
static uint32_t steer_out(struct dp__worker *w, struct rx *rx, uint32_t nk)
{
	uint32_t k = 0;
	for (uint32_t j = 0; j < nk; j++) {
		void *v = rx->mod[j];
		unsigned owner = dp__owner(v);
		if (v && owner != w->idx) {
			steer_put(w, owner, rx->pk[rx->idx[j]], (uintptr_t)dp__untag(v));
			continue;
		}
		rx->mod[k] = dp__untag(v);
		rx->iplen[k] = rx->iplen[j];
		rx->l4[k] = rx->l4[j];
		rx->idx[k] = rx->idx[j];
		k++;
	}
	steer_flush_all(w);
	return k;
}

/* With many tenants consecutive packets go to different modules, each in
 * its own cold memory: load them ahead in two dependent steps, every
 * module's entry at once, then its program's memory a few packets ahead
 * (the entry names it). */
enum { PREFETCH_PROG_AHEAD = 3 };

/* Packet j's module is not the one before it: only then is there
 * anything to load ahead (with one tenant, a burst is one module). */
static inline bool new_module_at(void *const *mod, uint32_t j)
{
	return j == 0 || mod[j] != mod[j - 1];
}

static inline void prefetch_modules(void *const *mod, uint32_t nk)
{
	for (uint32_t j = 0; j < nk; j++)
		if (mod[j] && new_module_at(mod, j))
			prefetch_entry(mod[j]);
}

/* The burst's order grouped by module: each module's packets in arrival
 * order, the modules in the order of their first packets, so that a
 * module gets all its packets of the burst in one push (with ten tenants,
 * pushes of three rather than three pushes of one). No flow is reordered:
 * a flow is one module's. The groups are found with a table on the
 * modules' addresses, local to the burst: no module's memory is read. */
enum { GROUP_SLOTS = 2 * DP_MAX_BURST, GROUP_END = 0xff };
_Static_assert(DP_MAX_BURST < GROUP_END, "a packet's index fits in a byte");

static inline uint32_t group_slot(const void *mod)
{
	return (uint32_t)(((uintptr_t)mod >> 6) * 0x9E3779B1u) >> 25; /* 7 bits: GROUP_SLOTS */
}
_Static_assert(GROUP_SLOTS == 128, "group_slot gives 7 bits");

static const char group_nobody; /* the key of the packets of no module */

static uint32_t group_by_module(void *const *mod, uint32_t nk, uint8_t *ord)
{
	const void *key[GROUP_SLOTS] = {0};
	uint8_t grp[GROUP_SLOTS], head[DP_MAX_BURST], tail[DP_MAX_BURST], next[DP_MAX_BURST];
	uint32_t ng = 0;
	for (uint32_t j = 0; j < nk; j++) {
		const void *k = mod[j] ? mod[j] : (const void *)&group_nobody;
		uint32_t h = group_slot(k);
		while (key[h] && key[h] != k)
			h = (h + 1) & (GROUP_SLOTS - 1);
		next[j] = GROUP_END;
		if (!key[h]) {
			key[h] = k;
			grp[h] = (uint8_t)ng;
			head[ng] = tail[ng] = (uint8_t)j;
			ng++;
		} else {
			next[tail[grp[h]]] = (uint8_t)j;
			tail[grp[h]] = (uint8_t)j;
		}
	}
	uint32_t k = 0;
	for (uint32_t g = 0; g < ng; g++)
		for (uint32_t j = head[g]; j != GROUP_END; j = next[j])
			ord[k++] = (uint8_t)j;
	return ng;
}

/* Grouping costs a few ns a packet and pays only when modules have
 * several packets in a burst: after a burst where it merged fewer than an
 * eighth of the packets (many tenants), the next GROUP_BACKOFF bursts go
 * in arrival order; a burst of one module needs no grouping at all. */
enum { GROUP_BACKOFF = 15 };

static inline bool one_module(void *const *mod, uint32_t nk)
{
	for (uint32_t j = 1; j < nk; j++)
		if (mod[j] != mod[0])
			return false;
	return true;
}

/* The order deliver takes the packets in: *ord NULL for arrival order,
 * and the modules in that order. */
static inline void *const *delivery_order(struct dp__worker *w, void *const *mod, uint32_t nk, uint8_t *room,
                                          void **mods, const uint8_t **ord)
{
	*ord = NULL;
	if (one_module(mod, nk))
		return mod;
	if (w->group_skip) {
		w->group_skip--;
		return mod;
	}
	uint32_t ng = group_by_module(mod, nk, room);
	if (8 * (nk - ng) < nk)
		w->group_skip = GROUP_BACKOFF;
	for (uint32_t i = 0; i < nk; i++)
		mods[i] = mod[room[i]];
	*ord = room;
	return mods;
}

/* Each kept packet to its module (all this worker's), a module's packets
 * together (group_by_module): counted, then held while the module
 * starts, or run. The views are made first: that work needs no module,
 * and gives the entries time to arrive before the first programs are
 * asked for. */
static inline void deliver(struct dp__worker *w, const struct rx *rx, uint32_t nk, uint64_t now)
{
	struct rt_pkt *view[DP_MAX_BURST];
	for (uint32_t j = 0; j < nk; j++) {
		struct rte_mbuf *mb = rx->pk[rx->idx[j]];
		view[j] = to_view(mb, rx->iplen[j], now);
	}
	uint8_t room_ord[DP_MAX_BURST];
	void *room_mods[DP_MAX_BURST];
	const uint8_t *ord;
	void *const *mods = delivery_order(w, rx->mod, nk, room_ord, room_mods, &ord);
	for (uint32_t i = 0; i < nk && i < PREFETCH_PROG_AHEAD; i++)
		if (new_module_at(mods, i))
			prefetch_prog(mods[i]);
	struct rt_pkt *room[DP_MAX_BURST];
	struct batch b;
	batch_init(&b, room, true);
	uint32_t given = 0;
	for (uint32_t i = 0; i < nk; i++) {
		if (i + PREFETCH_PROG_AHEAD < nk && new_module_at(mods, i + PREFETCH_PROG_AHEAD))
			prefetch_prog(mods[i + PREFETCH_PROG_AHEAD]);
		uint32_t j = ord ? ord[i] : i;
		struct rte_mbuf *mb = rx->pk[rx->idx[j]];
		struct dp__mod *m = mods[i];
		if (!m) {
			DP__ADD(w->unclassified, 1);
			rte_pktmbuf_free(mb);
			continue;
		}
		given++;
		if (m->prog.ops) {
			batch_add(w, &b, m, view[j], now);
			continue;
		}
		count_rx(m, 1, rx->iplen[j], now);
		hold(w, m, mb, rte_pktmbuf_mtod_offset(mb, const uint8_t *, ETH_LEN), rx->l4[j], rx->iplen[j], now);
	}
	batch_flush(w, &b, now);
	DP__ADD(w->delivered, given);
}

/* receive -> keep IPv4 -> classify -> steer others' -> prefetch ->
 * deliver (hold or run); what modules emit waits in the tx buffers for
 * flush_tx. */
static unsigned rx_port(struct dp__worker *w, uint32_t port, uint64_t now)
{
	struct dp__txbuf *tb = &w->tx[port];
	struct rx rx;
	uint16_t n = receive(w, tb->pt, rx.pk);
	uint32_t nk = 0;
	for (uint16_t i = 0; i < n; i++)
		nk += keep_ipv4(w, tb, &rx, i, nk);
	if (nk == 0)
		return n;
	classify(w->dp, &rx, nk);
	if (w->dp->nworkers > 1 && (nk = steer_out(w, &rx, nk)) == 0)
		return n;
	prefetch_modules(rx.mod, nk);
	deliver(w, &rx, nk, now);
	return n;
}

/* ---- the process port ---------------------------------------------------------- */

/* The module a process-port frame belongs to, tagged with its owner (its
 * source MAC carries the tag: DP_PROCESS_MAC_PREFIX, then the tag); NULL
 * (counted) when it is no module's. */
static void *proc_module(struct dp__worker *w, struct rte_mbuf *mb)
{
	const uint8_t *f = rte_pktmbuf_mtod(mb, const uint8_t *);
	uint32_t tag = mb->data_len >= ETH_LEN ? rt_rd16(f + 10) : 0;
	void *v = NULL;
	if (mb->nb_segs == 1 && mb->data_len >= ETH_LEN && rt_rd32(f + 6) == DP_PROCESS_MAC_PREFIX &&
	    tag <= DP_PROCESS_TAG_MAX)
		v = __atomic_load_n(&w->dp->tags[tag], __ATOMIC_ACQUIRE);
	if (!v)
		DP__ADD(w->proc_unknown, 1); /* not a module's interface */
	return v;
}

/* On the module's owner: the frame checked as IPv4 and trimmed of
 * padding; false (counted) when it is not one, or the module cannot take
 * it now. */
static bool proc_frame(struct dp__worker *w, struct dp__mod *m, struct rte_mbuf *mb, uint32_t *iplen)
{
	const uint8_t *f = rte_pktmbuf_mtod(mb, const uint8_t *);
	const uint8_t *ip = f + ETH_LEN;
	uint32_t hl = (uint32_t)(ip[0] & 15) * 4, tl = mb->data_len >= ETH_LEN + 20 ? rt_rd16(ip + 2) : 0;
	if (rt_rd16(f + 12) != RTE_ETHER_TYPE_IPV4 || mb->data_len < ETH_LEN + 20 || (ip[0] >> 4) != 4 ||
	    hl < 20 || tl < hl || tl + ETH_LEN > mb->data_len) {
		DP__ADD(m->proc_drops, 1);
		DP__ADD(w->proc_drops, 1);
		return false;
	}
	if (!m->prog.ops || !m->prog.ops->push_dev) {
		DP__ADD(m->proc_drops, 1);
		DP__ADD(w->proc_not_running, 1);
		return false;
	}
	if (mb->data_len > tl + ETH_LEN)
		rte_pktmbuf_trim(mb, (uint16_t)(mb->data_len - tl - ETH_LEN));
	*iplen = tl;
	return true;
}

/* Frames for modules' device 1 input, the consecutive packets of one
 * module in one push. */
struct proc_batch {
	struct dp__mod *cur;
	uint32_t n;
	struct rt_pkt *v[DP_MAX_BURST];
};

static void proc_flush(struct dp__worker *w, struct proc_batch *b, uint64_t now)
{
	if (!b->n)
		return;
	struct dp__mod *m = b->cur;
	DP__ADD(m->proc_from, b->n);
	DP__ADD(w->proc_from, b->n);
	set_deadline(w, m, m->prog.ops->push_dev(m->prog.self, &m->io, 1, b->v, b->n, now));
	io_settle(&m->io);
	b->n = 0;
}

static void proc_add(struct dp__worker *w, struct proc_batch *b, struct dp__mod *m, struct rte_mbuf *mb,
                     uint64_t now)
{
	uint32_t iplen = 0;
	if (!proc_frame(w, m, mb, &iplen)) {
		rte_pktmbuf_free(mb);
		return;
	}
	if ((m != b->cur || b->n == DP_MAX_BURST) && b->n)
		proc_flush(w, b, now);
	b->cur = m;
	struct rt_pkt *p = dp__pkt(mb);
	rt_pkt_init(p, mb->buf_addr, mb->buf_len, (uint32_t)mb->data_off + ETH_LEN, iplen, mb);
	p->tstamp_ns = now;
	b->v[b->n++] = p;
}

/* What programs sent: by tag to their modules' device 1 input (steered to
 * the owner when it is another worker). */
static unsigned rx_proc(struct dp__worker *w, uint64_t now)
{
	struct rte_mbuf *pk[DP_MAX_BURST];
	uint16_t n = rte_eth_rx_burst(w->dp->proc.id, (uint16_t)w->idx, pk, (uint16_t)w->dp->burst);
	struct proc_batch b = {0};
	for (uint16_t i = 0; i < n; i++) {
		void *v = proc_module(w, pk[i]);
		if (!v)
			rte_pktmbuf_free(pk[i]);
		else if (dp__owner(v) != w->idx)
			steer_put(w, dp__owner(v), pk[i], (uintptr_t)dp__untag(v) | 1u);
		else
			proc_add(w, &b, dp__untag(v), pk[i], now);
	}
	proc_flush(w, &b, now);
	if (n && w->dp->nworkers > 1)
		steer_flush_all(w);
	return n;
}

/* What other workers steered to this one's modules: delivered as its
 * own rx, in the order each sent them. Returns how many. */
static unsigned steer_in(struct dp__worker *w, uint64_t now)
{
	unsigned total = 0;
	for (unsigned from = 0; from < w->dp->nworkers; from++) {
		if (!w->in[from])
			continue;
		struct dp__steer sv[DP_MAX_BURST];
		unsigned n = rte_ring_sc_dequeue_burst_elem(w->in[from], sv, sizeof sv[0], w->dp->burst, NULL);
		if (!n)
			continue;
		total += n;
		DP__ADD(w->steered_in, n);
		/* another core touched them last: load them all before the first,
		 * the mbufs and views (no dereference) first, then the data */
		for (unsigned i = 0; i < n; i++) {
			rte_prefetch0(sv[i].mb);
			rte_prefetch0(dp__pkt(sv[i].mb));
			rte_prefetch0((const char *)dp__pkt(sv[i].mb) + RTE_CACHE_LINE_SIZE);
		}
		for (unsigned i = 0; i < n; i++)
			rte_prefetch0(rte_pktmbuf_mtod(sv[i].mb, void *));
		struct rx rx;
		struct proc_batch pb = {0};
		uint32_t nk = 0;
		for (unsigned i = 0; i < n; i++) {
			struct rte_mbuf *mb = sv[i].mb;
			if (sv[i].mod & 1u) { /* from the process port */
				proc_add(w, &pb, (struct dp__mod *)(sv[i].mod & ~(uintptr_t)1), mb, now);
				continue;
			}
			const uint8_t *ip = rte_pktmbuf_mtod_offset(mb, const uint8_t *, ETH_LEN);
			rx.pk[nk] = mb;
			rx.idx[nk] = (uint16_t)nk;
			rx.iplen[nk] = mb->pkt_len - ETH_LEN; /* trimmed by the receiver */
			rx.l4[nk] = (uint32_t)(ip[0] & 15) * 4;
			rx.mod[nk] = (void *)sv[i].mod;
			nk++;
		}
		proc_flush(w, &pb, now);
		if (nk) {
			prefetch_modules(rx.mod, nk);
			deliver(w, &rx, nk, now);
		}
	}
	return total;
}

static void flush_tx(struct dp__worker *w)
{
	struct dp *dp = w->dp;
	for (uint32_t i = 0; i < dp->nports; i++)
		tx_flush(&w->tx[i]);
	if (dp->has_proc)
		tx_flush(&w->tx[DP_MAX_PORTS]);
}

static void wake_control(struct dp__worker *w)
{
	if (!w->signal)
		return;
	w->signal = false;
	if (w->dp->async)
		uv_async_send(w->dp->async);
}

/* Only when every port has been empty for a while, and never past the
 * next timer. */
static void idle_sleep(const struct dp__worker *w, uint64_t now)
{
	uint64_t us = w->dp->cfg.idle_sleep_us;
	if (w->next_timer != UINT64_MAX && w->next_timer > now && (w->next_timer - now) / 1000 < us)
		us = (w->next_timer - now) / 1000;
	struct timespec ts = {0, (long)(us * 1000)};
	nanosleep(&ts, NULL);
}

int dp__fast_main(void *arg)
{
	struct dp__worker *w = arg;
	struct dp *dp = w->dp;
	uint32_t idle = 0;
	while (!__atomic_load_n(&dp->stop, __ATOMIC_ACQUIRE)) {
		uint64_t now = dp_now_ns();
		unsigned work = do_commands(w, now);
		for (uint32_t i = 0; i < dp->nports; i++)
			if (w->idx < dp->ports[i].nrxq)
				work += rx_port(w, i, now);
		if (dp->has_proc && w->idx < dp->proc.nrxq)
			work += rx_proc(w, now);
		if (dp->nworkers > 1)
			work += steer_in(w, now);
		if (now >= w->next_timer)
			work += run_timers(w, now);
		flush_tx(w);
		wake_control(w);
		/* what this turn read from the shared tables is used up */
		__atomic_store_n(&w->turns, w->turns + 1, __ATOMIC_RELEASE);
		if (work)
			idle = 0;
		else if (dp->cfg.idle_sleep_us && ++idle > 256) {
			/* between turns: a grace period need not wait for the sleep */
			__atomic_store_n(&w->parked, 1, __ATOMIC_SEQ_CST);
			idle_sleep(w, now);
			__atomic_store_n(&w->parked, 0, __ATOMIC_SEQ_CST);
		}
	}
	flush_tx(w);
	return 0;
}
