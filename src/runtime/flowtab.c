/* The flow table of the stateful elements (runtime.h, "the flow table"):
 * dense flow records and an open-addressing index of their forward and
 * reply keys, both allocated outside the module block and grown by
 * doubling as live flows need them, within the module's flow quota. */
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"

/* Index slots hold flow*2+dir+1 (0: empty). At least SLOTS_PER_FLOW slots
 * per allocated flow (two keys each: the load stays at most 1/2). */
#define SLOTS_PER_FLOW 4u
/* Flows the first allocation holds: small, since most tables stay small
 * (rt_flowtab_first: smaller still for a table of one or two). */
#define FIRST_FLOWS 16u
/* Most flows one table may hold (index slots must fit in 32 bits). */
#define MAX_FLOWS (1u << 28)

void rt_flowtab_init(struct rt_flowtab *t, uint32_t cap, struct rt_flowquota *q)
{
	memset(t, 0, sizeof *t);
	t->cap = cap ? cap : 1;
	t->q = q;
}

static size_t bytes_for(uint32_t nflows, uint32_t nslots)
{
	return (size_t)nflows * sizeof(struct rt_flow) + (size_t)nslots * sizeof(uint32_t);
}

void rt_flowtab_first(struct rt_flowtab *t, uint32_t n)
{
	uint32_t f = 1;
	while (f < n && f < FIRST_FLOWS)
		f *= 2;
	if (!t->nflows)
		t->first = f;
}

static uint32_t first_flows(const struct rt_flowtab *t) { return t->first ? t->first : FIRST_FLOWS; }

size_t rt_flowtab_mem(const struct rt_flowtab *t) { return bytes_for(t->nflows, t->nslots); }

void rt_flowtab_fini(struct rt_flowtab *t)
{
	if (t->q) {
		t->q->flows -= t->count;
		t->q->bytes -= rt_flowtab_mem(t);
	}
	free(t->flows);
	free(t->slots);
	struct rt_flowquota *q = t->q;
	uint32_t cap = t->cap, first = t->first;
	memset(t, 0, sizeof *t);
	t->q = q;
	t->cap = cap;
	t->first = first;
}

uint32_t rt_flowtab_count(const struct rt_flowtab *t) { return t->count; }
uint32_t rt_flowtab_capacity(const struct rt_flowtab *t) { return t->cap; }
struct rt_flow *rt_flowtab_at(struct rt_flowtab *t, uint32_t i) { return i < t->count ? &t->flows[i] : NULL; }

static uint32_t hash(const struct rt_flowid *k)
{
	uint64_t h = ((uint64_t)k->saddr << 32 | k->daddr) * 0x9e3779b97f4a7c15ull;
	h ^= ((uint64_t)k->sport << 24 | (uint64_t)k->dport << 8 | k->proto) * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h >> 32);
}

static bool eq(const struct rt_flowid *a, const struct rt_flowid *b)
{
	return a->saddr == b->saddr && a->daddr == b->daddr && a->sport == b->sport &&
	       a->dport == b->dport && a->proto == b->proto;
}

static struct rt_flowid key_of(const struct rt_flowtab *t, uint32_t v)
{
	const struct rt_flow *f = &t->flows[(v - 1) >> 1];
	return (v - 1) & 1 ? rt_flowid_reverse(f->rew) : f->key;
}

static uint32_t *find_slot(struct rt_flowtab *t, const struct rt_flowid *k)
{
	uint32_t mask = t->nslots - 1;
	for (uint32_t i = hash(k) & mask;; i = (i + 1) & mask) {
		if (!t->slots[i])
			return &t->slots[i];
		struct rt_flowid o = key_of(t, t->slots[i]);
		if (eq(&o, k))
			return &t->slots[i];
	}
}

struct rt_flow *rt_flowtab_lookup(struct rt_flowtab *t, const struct rt_flowid *k, int *dir)
{
	if (!t->count)
		return NULL;
	uint32_t v = *find_slot(t, k);
	if (!v)
		return NULL;
	if (dir)
		*dir = (int)((v - 1) & 1);
	return &t->flows[(v - 1) >> 1];
}

bool rt_flowtab_key_used(struct rt_flowtab *t, const struct rt_flowid *k)
{
	return t->count && *find_slot(t, k) != 0;
}

/* Backward-shift deletion keeps probe sequences intact without tombstones. */
static void slot_delete(struct rt_flowtab *t, uint32_t *s)
{
	uint32_t mask = t->nslots - 1;
	uint32_t i = (uint32_t)(s - t->slots);
	t->slots[i] = 0;
	for (uint32_t j = (i + 1) & mask; t->slots[j]; j = (j + 1) & mask) {
		struct rt_flowid k = key_of(t, t->slots[j]);
		uint32_t h = hash(&k) & mask;
		/* move j to i if h is cyclically outside (i, j] */
		bool move = i <= j ? (h <= i || h > j) : (h <= i && h > j);
		if (move) {
			t->slots[i] = t->slots[j];
			t->slots[j] = 0;
			i = j;
		}
	}
}

/* The index slot holding value v under key k, or NULL (a key another
 * flow replaced, store_flow's rule, is no longer this flow's). */
static uint32_t *slot_of(struct rt_flowtab *t, const struct rt_flowid *k, uint32_t v)
{
	uint32_t *s = find_slot(t, k);
	return *s == v ? s : NULL;
}

/* Move the last flow into the hole at idx so the records stay dense. */
static void move_last_to(struct rt_flowtab *t, uint32_t idx)
{
	uint32_t last = t->count - 1;
	if (idx == last)
		return;
	struct rt_flow *f = &t->flows[last];
	struct rt_flowid r = rt_flowid_reverse(f->rew);
	uint32_t *s = slot_of(t, &f->key, last * 2 + 1);
	if (s)
		*s = idx * 2 + 1;
	if ((s = slot_of(t, &r, last * 2 + 2)))
		*s = idx * 2 + 2;
	t->flows[idx] = *f;
}

void rt_flowtab_remove(struct rt_flowtab *t, struct rt_flow *f)
{
	uint32_t idx = (uint32_t)(f - t->flows);
	if (idx >= t->count)
		return;
	struct rt_flowid r = rt_flowid_reverse(f->rew);
	uint32_t *s = slot_of(t, &f->key, idx * 2 + 1);
	if (s)
		slot_delete(t, s);
	if ((s = slot_of(t, &r, idx * 2 + 2)))
		slot_delete(t, s);
	move_last_to(t, idx);
	t->count--;
	if (t->q)
		t->q->flows--;
}

/* Re-index every flow into a fresh slot array of n slots. */
static void reindex(struct rt_flowtab *t, uint32_t *slots, uint32_t n)
{
	memset(slots, 0, (size_t)n * sizeof *slots);
	t->slots = slots;
	t->nslots = n;
	for (uint32_t i = 0; i < t->count; i++) {
		struct rt_flowid r = rt_flowid_reverse(t->flows[i].rew);
		*find_slot(t, &t->flows[i].key) = i * 2 + 1;
		*find_slot(t, &r) = i * 2 + 2;
	}
}

/* Room for nf records (and the index with them), within the module's
 * memory quota. False when that cannot be: the table is then full. */
static bool grow_to(struct rt_flowtab *t, uint32_t nf)
{
	uint32_t ns = nf * SLOTS_PER_FLOW;
	size_t old = rt_flowtab_mem(t), need = bytes_for(nf, ns);
	if (t->q && t->q->max_bytes - t->q->bytes < need - old)
		return false;
	uint32_t *slots = malloc((size_t)ns * sizeof *slots);
	if (!slots)
		return false;
	struct rt_flow *flows = realloc(t->flows, (size_t)nf * sizeof *flows);
	if (!flows) {
		free(slots);
		return false;
	}
	t->flows = flows;
	free(t->slots);
	reindex(t, slots, ns);
	t->nflows = nf;
	if (t->q)
		t->q->bytes += need - old;
	return true;
}

/* Double the records: amortised growth as flows arrive. */
static bool grow(struct rt_flowtab *t)
{
	if (t->nflows >= MAX_FLOWS)
		return false;
	return grow_to(t, t->nflows ? t->nflows * 2 : first_flows(t));
}

bool rt_flowtab_reserve(struct rt_flowtab *t, uint32_t n)
{
	if (n > t->cap)
		n = t->cap;
	if (n > MAX_FLOWS)
		n = MAX_FLOWS;
	if (n <= t->nflows)
		return true;
	uint32_t nf = t->nflows ? t->nflows : first_flows(t);
	while (nf < n)
		nf *= 2;
	return grow_to(t, nf);
}

/* Click's admission rule for a table at its capacity (or its module at
 * its quota): flows whose guarantee ran out are best-effort; the
 * best-effort flow that expires first goes, unless the new flow itself
 * (best-effort, expiring sooner) would be that one. False: refused. */
static bool make_room(struct rt_flowtab *t, uint64_t now, uint64_t expiry, uint64_t guarantee)
{
	if (now < t->guar_lb && guarantee > now)
		return false; /* every flow, and the new one, is guaranteed */
	struct rt_flow *victim = NULL;
	uint64_t lb = UINT64_MAX;
	for (uint32_t i = 0; i < t->count; i++) {
		struct rt_flow *f = &t->flows[i];
		if (f->guarantee > now) {
			if (f->guarantee < lb)
				lb = f->guarantee;
		} else if (!victim || f->expiry < victim->expiry) {
			victim = f;
		}
	}
	t->guar_lb = lb;
	if (guarantee <= now && (!victim || expiry < victim->expiry))
		return false;
	if (!victim)
		return false;
	rt_flowtab_remove(t, victim);
	t->guar_lb = 0; /* best-effort flows may remain */
	return true;
}

static bool full(const struct rt_flowtab *t)
{
	return t->count >= t->cap || (t->q && t->q->max_flows && t->q->flows >= t->q->max_flows);
}

static uint32_t csum_delta(const uint16_t *a, const uint16_t *b, int n)
{
	uint32_t d = 0;
	for (int i = 0; i < n; i++)
		d += (uint32_t)(uint16_t)~a[i] + b[i];
	d = (d & 0xffff) + (d >> 16);
	d = (d & 0xffff) + (d >> 16);
	return d;
}

/* Checksum deltas over (saddr, daddr) then (sport, dport), big-endian
 * 16-bit words, as Click's IPRewriterFlow computes them. */
static void set_deltas(struct rt_flow *f)
{
	const struct rt_flowid *k = &f->key, *w = &f->rew;
	uint16_t a[6] = { k->saddr >> 16, (uint16_t)k->saddr, k->daddr >> 16, (uint16_t)k->daddr,
	                  k->sport, k->dport };
	uint16_t b[6] = { w->saddr >> 16, (uint16_t)w->saddr, w->daddr >> 16, (uint16_t)w->daddr,
	                  w->sport, w->dport };
	f->ip_delta = csum_delta(a, b, 4);
	f->l4_delta = csum_delta(a, b, 6);
}

/* store_flow: a flow already holding either key of the new one loses it
 * and is destroyed. Returns how many were. */
static uint32_t replace_holders(struct rt_flowtab *t, const struct rt_flowid *key,
                                const struct rt_flowid *reply)
{
	uint32_t n = 0;
	struct rt_flow *old;
	while ((old = rt_flowtab_lookup(t, key, NULL)) || (old = rt_flowtab_lookup(t, reply, NULL))) {
		rt_flowtab_remove(t, old);
		n++;
	}
	return n;
}

struct rt_flow *rt_flowtab_insert(struct rt_flowtab *t, const struct rt_flowid *key,
                                  const struct rt_flowid *rew, uint64_t now, uint64_t expiry,
                                  uint64_t guarantee)
{
	struct rt_flowid r = rt_flowid_reverse(*rew);
	t->replaced += replace_holders(t, key, &r);
	if (full(t) || (t->count == t->nflows && !grow(t))) {
		if (!make_room(t, now, expiry, guarantee))
			return NULL;
	}
	uint32_t idx = t->count;
	struct rt_flow *f = &t->flows[idx];
	memset(f, 0, sizeof *f);
	f->key = *key;
	f->rew = *rew;
	f->expiry = expiry;
	f->guarantee = guarantee;
	if (guarantee < t->guar_lb)
		t->guar_lb = guarantee;
	set_deltas(f);
	t->count++;
	if (t->q)
		t->q->flows++;
	*find_slot(t, key) = idx * 2 + 1;
	/* a flow whose reply key is its own forward key keeps the reply
	 * entry, as Click's second map.set does */
	*find_slot(t, &r) = idx * 2 + 2;
	return f;
}

void rt_flowtab_guarantee(struct rt_flowtab *t, struct rt_flow *f, uint64_t g)
{
	f->guarantee = g;
	if (g < t->guar_lb)
		t->guar_lb = g;
}

bool rt_flowtab_dead(const struct rt_flow *f, uint64_t now)
{
	return f->guarantee <= now && f->expiry <= now;
}

uint32_t rt_flowtab_reap(struct rt_flowtab *t, uint64_t now)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < t->count;) {
		if (rt_flowtab_dead(&t->flows[i], now)) {
			rt_flowtab_remove(t, &t->flows[i]); /* the last flow moves to i */
			n++;
		} else {
			i++;
		}
	}
	return n;
}

struct rt_flowid rt_pkt_flowid(const struct rt_pkt *p, bool ports)
{
	const uint8_t *ip = rt_pkt_ip(p);
	struct rt_flowid k = { .saddr = rt_rd32(ip + 12), .daddr = rt_rd32(ip + 16), .proto = ip[9] };
	if (ports && rt_ip_first_frag(ip) && rt_pkt_transp_avail(p) >= 4) {
		const uint8_t *t = rt_pkt_transp(p);
		k.sport = rt_rd16(t);
		k.dport = rt_rd16(t + 2);
	}
	return k;
}
