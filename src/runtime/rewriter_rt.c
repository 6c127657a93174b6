/* IPRewriter and IPAddrRewriter on packets (click.md 3.5). */
#include <errno.h>
#include <string.h>

#include "elements/rewriter.h"
#include "runtime/elements_rt.h"
#include "runtime/flowtab.h"
#include "runtime/net.h"
#include "runtime/rewrite.h"

/* flags of struct rt_flow */
enum {
	F_SEEN_FWD = 1, F_SEEN_REV = 2, F_DATA_FWD = 4, F_DATA_REV = 8,
	F_FIN_FWD = 16, F_FIN_REV = 32, F_DONE = 64,
};

struct rw_state {
	uint64_t mapping_failures;
	uint32_t *seq_next;        /* per spec: sequential allocation cursor */
	struct rt_flowtab *tab;
};

static uint32_t cap_of(const struct rt_elem *e, uint32_t limit)
{
	const struct rw_conf *c = e->conf;
	uint32_t cap = c->capacity ? c->capacity : 1;
	return cap < limit ? cap : limit;
}

static size_t rw_state_size(const struct rt_elem *e, uint32_t limit)
{
	const struct rw_conf *c = e->conf;
	return sizeof(struct rw_state) + 16 + (size_t)c->nspecs * sizeof(uint32_t) + 16 +
	       rt_flowtab_size(cap_of(e, limit));
}

static int rw_init(struct rt_elem *e, struct diags *d)
{
	const struct rw_conf *c = e->conf;
	struct rw_state *s = e->state;
	uint8_t *p = (uint8_t *)(s + 1);
	p = (uint8_t *)(((uintptr_t)p + 15) & ~(uintptr_t)15);
	s->seq_next = (uint32_t *)p;
	p += (size_t)c->nspecs * sizeof(uint32_t);
	p = (uint8_t *)(((uintptr_t)p + 15) & ~(uintptr_t)15);
	s->tab = (struct rt_flowtab *)p;
	rt_flowtab_init(s->tab, cap_of(e, rt_flow_capacity(e)));
	if (c->reap_interval_ns > 0)
		rt_timer_at(e, rt_now(e) + (uint64_t)c->reap_interval_ns);
	return 0;
}

static uint32_t rw_run(struct rt_elem *e, uint64_t now)
{
	const struct rw_conf *c = e->conf;
	struct rw_state *s = e->state;
	rt_flowtab_reap(s->tab, now);
	if (c->reap_interval_ns > 0)
		rt_timer_at(e, now + (uint64_t)c->reap_interval_ns);
	return 0;
}

static int rw_read(const struct rt_elem *e, const char *h, uint64_t *v)
{
	const struct rw_state *s = e->state;
	if (!strcmp(h, "mapping_count") || !strcmp(h, "nmappings"))
		*v = rt_flowtab_count(s->tab);
	else if (!strcmp(h, "mapping_failures"))
		*v = s->mapping_failures;
	else if (!strcmp(h, "capacity"))
		*v = rt_flowtab_capacity(s->tab);
	else
		return -EOPNOTSUPP;
	return 0;
}

static uint32_t field_value(const struct rt_flowid *k, uint8_t vary)
{
	switch (vary) {
	case RW_VARY_SADDR: return k->saddr;
	case RW_VARY_SPORT: return k->sport;
	default: return k->daddr;
	}
}

static void set_field(struct rt_flowid *k, uint8_t vary, uint32_t v)
{
	switch (vary) {
	case RW_VARY_SADDR: k->saddr = v; break;
	case RW_VARY_SPORT: k->sport = (uint16_t)v; break;
	default: k->daddr = v; break;
	}
}

static bool reply_free(struct rw_state *s, const struct rt_flowid *rew)
{
	struct rt_flowid r = rt_flowid_reverse(*rew);
	return !rt_flowtab_key_used(s->tab, &r);
}

/* The rewritten flow for key under pattern pat (iprwpattern.cc): the
 * varying field prefers the packet's own value, else a random (or the
 * sequential) start and the first value whose reply flow is free. At most
 * capacity+1 values are probed: no more can be taken. */
static int pattern_apply(struct rt_elem *e, struct rw_state *s, uint32_t spec,
                         const struct rw_pattern *pat, const struct rt_flowid *key,
                         struct rt_flowid *rew, bool addr_only)
{
	*rew = *key;
	if (addr_only) {
		rew->sport = rew->dport = 0;
		rew->daddr = 0;
	}
	if (!pat->saddr.keep && pat->vary != RW_VARY_SADDR)
		rew->saddr = pat->saddr.lo;
	if (!addr_only) {
		if (!pat->sport.keep && pat->vary != RW_VARY_SPORT)
			rew->sport = (uint16_t)pat->sport.lo;
		if (!pat->daddr.keep && pat->vary != RW_VARY_DADDR)
			rew->daddr = pat->daddr.lo;
		if (!pat->dport.keep)
			rew->dport = (uint16_t)pat->dport.lo;
	}
	if (pat->vary == RW_VARY_NONE)
		return reply_free(s, rew) ? 0 : -EEXIST;
	const struct rw_field *f = pat->vary == RW_VARY_SADDR ? &pat->saddr
	                         : pat->vary == RW_VARY_SPORT ? &pat->sport : &pat->daddr;
	uint64_t span = (uint64_t)f->hi - f->lo + 1;
	uint32_t own = field_value(key, pat->vary);
	if (!pat->no_prefer && !pat->sequential && own >= f->lo && own <= f->hi) {
		set_field(rew, pat->vary, own);
		if (reply_free(s, rew))
			return 0;
	}
	uint64_t start = pat->sequential ? s->seq_next[spec] : rt_random(e);
	start %= span;
	uint64_t tries = rt_flowtab_capacity(s->tab) + 1ull;
	if (tries > span)
		tries = span;
	for (uint64_t i = 0; i < tries; i++) {
		uint32_t v = (uint32_t)(f->lo + (start + i) % span);
		set_field(rew, pat->vary, v);
		if (reply_free(s, rew)) {
			if (pat->sequential)
				s->seq_next[spec] = (uint32_t)((start + i + 1) % span);
			return 0;
		}
	}
	return -ENOSPC;
}

static void touch(const struct rw_conf *c, struct rt_flowtab *tab, struct rt_flow *f, int dir, const struct rt_pkt *p,
                  uint64_t now, bool addr_only)
{
	f->packets++;
	f->flags |= dir ? F_SEEN_REV : F_SEEN_FWD;
	int64_t timeout, guarantee;
	const uint8_t *ip = rt_pkt_ip(p);
	if (addr_only) {
		timeout = c->timeout_ns;
		guarantee = c->guarantee_ns;
	} else if (ip[9] == RT_IP_PROTO_TCP) {
		const uint8_t *t = rt_pkt_transp(p);
		uint32_t tl = rt_pkt_transp_avail(p);
		uint8_t fl = tl >= 14 ? t[13] : 0;
		uint32_t thl = tl >= 13 ? (uint32_t)(t[12] >> 4) * 4 : 20;
		uint32_t iplen = rt_rd16(ip + 2);
		if (iplen > p->ip_hlen + thl)
			f->flags |= dir ? F_DATA_REV : F_DATA_FWD;
		if (fl & 0x04) /* RST */
			f->flags |= F_DONE;
		if (fl & 0x01) /* FIN */
			f->flags |= dir ? F_FIN_REV : F_FIN_FWD;
		if ((f->flags & (F_FIN_FWD | F_FIN_REV)) == (F_FIN_FWD | F_FIN_REV))
			f->flags |= F_DONE;
		if (f->flags & F_DONE)
			timeout = c->tcp_done_timeout_ns;
		else if ((f->flags & (F_DATA_FWD | F_DATA_REV)) == (F_DATA_FWD | F_DATA_REV))
			timeout = c->tcp_timeout_ns;
		else
			timeout = c->tcp_nodata_timeout_ns;
		guarantee = c->tcp_guarantee_ns;
	} else {
		bool both = (f->flags & (F_SEEN_FWD | F_SEEN_REV)) == (F_SEEN_FWD | F_SEEN_REV);
		timeout = f->packets >= 3 && both ? c->udp_streaming_timeout_ns : c->udp_timeout_ns;
		guarantee = c->udp_guarantee_ns;
	}
	f->expiry = now + (uint64_t)(timeout > 0 ? timeout : 0);
	rt_flowtab_guarantee(tab, f, now + (uint64_t)(guarantee > 0 ? guarantee : 0));
}

static void rw_push_common(struct rt_elem *e, uint32_t port, struct rt_pkt *p, bool addr_only)
{
	const struct rw_conf *c = e->conf;
	struct rw_state *s = e->state;
	if (!rt_pkt_has_ip(p) || rt_pkt_ip_avail(p) < 20 || port >= c->nspecs) {
		rt_drop(e, p);
		return;
	}
	const struct rw_spec *spec = &c->specs[port];
	const uint8_t *ip = rt_pkt_ip(p);
	uint64_t now = rt_now(e);
	struct rt_flowid key;
	struct rt_flow *f = NULL;
	int dir = 0;
	if (addr_only) {
		key = (struct rt_flowid){ .saddr = rt_rd32(ip + 12) };
		f = rt_flowtab_lookup(s->tab, &key, &dir);
		if (f && dir != 0)
			f = NULL;
		if (!f) {
			struct rt_flowid rk = { .daddr = rt_rd32(ip + 16) };
			f = rt_flowtab_lookup(s->tab, &rk, &dir);
			if (f && dir != 1)
				f = NULL;
		}
	} else {
		uint8_t proto = ip[9];
		if ((proto != RT_IP_PROTO_TCP && proto != RT_IP_PROTO_UDP) || !rt_ip_first_frag(ip) ||
		    rt_pkt_transp_avail(p) < 8) {
			if (spec->kind == RW_PASS)
				rt_push(e, spec->fout, p);
			else
				rt_drop(e, p);
			return;
		}
		key = rt_pkt_flowid(p, true);
		f = rt_flowtab_lookup(s->tab, &key, &dir);
	}
	if (!f) {
		struct rt_flowid rew;
		switch (spec->kind) {
		case RW_PASS:
			rt_push(e, spec->fout, p);
			return;
		case RW_KEEP:
			if (rt_flowtab_would_refuse(s->tab, now)) {
				s->mapping_failures++;
				rt_drop(e, p);
				return;
			}
			rew = key;
			break;
		case RW_PATTERN:
			if (rt_flowtab_would_refuse(s->tab, now) ||
			    pattern_apply(e, s, port, &spec->pat, &key, &rew, addr_only) < 0) {
				s->mapping_failures++;
				rt_drop(e, p);
				return;
			}
			break;
		default:
			rt_drop(e, p);
			return;
		}
		f = rt_flowtab_insert(s->tab, &key, &rew, now);
		if (!f) {
			s->mapping_failures++;
			rt_drop(e, p);
			return;
		}
		f->fout = (uint16_t)spec->fout;
		f->rout = (uint16_t)spec->rout;
		if (c->reply_anno >= 0 && c->reply_anno < RT_ANNO_SIZE)
			f->reply_anno = p->anno[c->reply_anno];
		dir = 0;
	}
	touch(c, s->tab, f, dir, p, now, addr_only);
	rt_flow_apply(f, dir, p, addr_only ? RT_REWRITE_ADDR : RT_REWRITE_NAPT,
	              c->dst_anno, c->reply_anno);
	rt_push(e, dir ? f->rout : f->fout, p);
}

static void iprw_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	rw_push_common(e, port, p, false);
}

static void ipaddrrw_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	rw_push_common(e, port, p, true);
}

const struct elem_runtime rt_iprewriter_runtime = {
	.state_size = rw_state_size,
	.init = rw_init,
	.push = iprw_push,
	.run = rw_run,
	.read = rw_read,
};

const struct elem_runtime rt_ipaddrrewriter_runtime = {
	.state_size = rw_state_size,
	.init = rw_init,
	.push = ipaddrrw_push,
	.run = rw_run,
	.read = rw_read,
};
