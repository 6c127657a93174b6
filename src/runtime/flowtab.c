#include <string.h>

#include "runtime/runtime.h"

/* Slots of the open-addressing index hold flow*2+dir+1 (0: empty). */
struct rt_flowtab {
	uint32_t cap, count, nslots;
	uint32_t *slots;
	struct rt_flow *flows;
	uint32_t free_hint;
	uint64_t guar_lb; /* <= every live flow's guarantee */
};

/* Index slots: a power of two, at least SLOTS_PER_FLOW per flow (two keys
 * each: the load stays at most 1/2), within [MIN_SLOTS, MAX_SLOTS]. */
#define SLOTS_PER_FLOW 4u
#define MIN_SLOTS 8u
#define MAX_SLOTS (1u << 30)
/* Alignment of the flow array after the index. */
#define FLOWS_ALIGN 16

static uint32_t slots_for(uint32_t cap)
{
	uint32_t n = MIN_SLOTS;
	while (n < cap * SLOTS_PER_FLOW && n < MAX_SLOTS)
		n <<= 1;
	return n;
}

size_t rt_flowtab_size(uint32_t cap)
{
	return sizeof(struct rt_flowtab) + (size_t)slots_for(cap) * sizeof(uint32_t) +
	       (size_t)cap * sizeof(struct rt_flow) + FLOWS_ALIGN;
}

void rt_flowtab_init(struct rt_flowtab *t, uint32_t cap)
{
	memset(t, 0, sizeof *t);
	t->cap = cap;
	t->nslots = slots_for(cap);
	t->slots = (uint32_t *)(t + 1);
	uintptr_t f = (uintptr_t)(t->slots + t->nslots);
	f = (f + FLOWS_ALIGN - 1) & ~(uintptr_t)(FLOWS_ALIGN - 1);
	t->flows = (struct rt_flow *)f;
	memset(t->slots, 0, (size_t)t->nslots * sizeof(uint32_t));
	memset(t->flows, 0, (size_t)cap * sizeof(struct rt_flow));
}

uint32_t rt_flowtab_count(const struct rt_flowtab *t) { return t->count; }
uint32_t rt_flowtab_capacity(const struct rt_flowtab *t) { return t->cap; }
struct rt_flow *rt_flowtab_at(struct rt_flowtab *t, uint32_t i) { return i < t->cap ? &t->flows[i] : NULL; }

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

void rt_flowtab_remove(struct rt_flowtab *t, struct rt_flow *f)
{
	if (!f->used)
		return;
	struct rt_flowid r = rt_flowid_reverse(f->rew);
	uint32_t idx = (uint32_t)(f - t->flows);
	uint32_t *s = find_slot(t, &f->key);
	if (*s == idx * 2 + 1)
		slot_delete(t, s);
	s = find_slot(t, &r);
	if (*s == idx * 2 + 2)
		slot_delete(t, s);
	f->used = false;
	t->count--;
	t->free_hint = idx;
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

struct rt_flow *rt_flowtab_insert(struct rt_flowtab *t, const struct rt_flowid *key,
                                  const struct rt_flowid *rew, uint64_t now)
{
	struct rt_flowid r = rt_flowid_reverse(*rew);
	if (rt_flowtab_key_used(t, key) || rt_flowtab_key_used(t, &r))
		return NULL;
	if (t->count >= t->cap) {
		if (now < t->guar_lb)
			return NULL;
		/* Evict the best-effort flow that expires first; remember the
		 * earliest guarantee so refusals need no scan until then. */
		struct rt_flow *victim = NULL;
		uint64_t lb = UINT64_MAX;
		for (uint32_t i = 0; i < t->cap; i++) {
			struct rt_flow *f = &t->flows[i];
			if (!f->used)
				continue;
			if (f->guarantee <= now && (!victim || f->expiry < victim->expiry))
				victim = f;
			if (f->guarantee > now && f->guarantee < lb)
				lb = f->guarantee;
		}
		t->guar_lb = lb;
		if (!victim)
			return NULL;
		rt_flowtab_remove(t, victim);
		t->guar_lb = 0; /* other best-effort flows may remain */
	}
	struct rt_flow *f = NULL;
	for (uint32_t n = 0; n < t->cap; n++) {
		uint32_t i = (t->free_hint + n) % t->cap;
		if (!t->flows[i].used) {
			f = &t->flows[i];
			break;
		}
	}
	if (!f)
		return NULL;
	memset(f, 0, sizeof *f);
	f->key = *key;
	f->rew = *rew;
	f->used = true;
	/* Checksum deltas over (saddr, daddr) then (sport, dport), big-endian
	 * 16-bit words, as Click's IPRewriterFlow computes them. */
	uint16_t a[6] = { key->saddr >> 16, (uint16_t)key->saddr, key->daddr >> 16, (uint16_t)key->daddr,
	                  key->sport, key->dport };
	uint16_t b[6] = { rew->saddr >> 16, (uint16_t)rew->saddr, rew->daddr >> 16, (uint16_t)rew->daddr,
	                  rew->sport, rew->dport };
	f->ip_delta = csum_delta(a, b, 4);
	f->l4_delta = csum_delta(a, b, 6);
	uint32_t idx = (uint32_t)(f - t->flows);
	*find_slot(t, key) = idx * 2 + 1;
	*find_slot(t, &r) = idx * 2 + 2;
	t->count++;
	t->free_hint = (idx + 1) % t->cap;
	return f;
}

void rt_flowtab_guarantee(struct rt_flowtab *t, struct rt_flow *f, uint64_t g)
{
	f->guarantee = g;
	if (g < t->guar_lb)
		t->guar_lb = g;
}

bool rt_flowtab_would_refuse(const struct rt_flowtab *t, uint64_t now)
{
	return t->count >= t->cap && now < t->guar_lb;
}

uint32_t rt_flowtab_reap(struct rt_flowtab *t, uint64_t now)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < t->cap && t->count; i++) {
		struct rt_flow *f = &t->flows[i];
		if (f->used && f->expiry < now) {
			rt_flowtab_remove(t, f);
			n++;
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
