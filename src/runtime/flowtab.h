/* Fixed-capacity mapping tables for the stateful elements (IPRewriter,
 * IPAddrRewriter, ChangeEnforcer): every flow installs a forward and a reply
 * key, as Click's IPRewriter does; the table lives in the element's state in
 * the module block and never allocates. Timeouts are soft, as in Click:
 * expired flows keep working until the reaper removes them, and a full table
 * evicts the best-effort flow that expires first, or refuses the new flow
 * when every flow is still within its guarantee. */
#ifndef INNET_RUNTIME_FLOWTAB_H
#define INNET_RUNTIME_FLOWTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rt_flowid {
	uint32_t saddr, daddr; /* host order */
	uint16_t sport, dport;
	uint8_t proto;
};

/* The reply key of a (rewritten) flow: addresses and ports swapped. */
static inline struct rt_flowid rt_flowid_reverse(struct rt_flowid f)
{
	return (struct rt_flowid){ .saddr = f.daddr, .daddr = f.saddr, .sport = f.dport,
	                           .dport = f.sport, .proto = f.proto };
}

struct rt_flow {
	struct rt_flowid key;   /* as the forward packet arrives */
	struct rt_flowid rew;   /* what forward packets become */
	uint32_t ip_delta;      /* checksum deltas, forward direction */
	uint32_t l4_delta;
	uint64_t expiry, guarantee; /* ns, module clock */
	uint32_t packets;
	uint16_t fout, rout;
	uint8_t flags;          /* element-defined (TCP state, seen directions) */
	uint8_t reply_anno;
	bool used;
};

struct rt_flowtab;
struct rt_pkt;

/* The flow id of a packet (IP header annotation set; ports only when
 * `ports` and it is a first fragment with >= 4 transport bytes). */
struct rt_flowid rt_pkt_flowid(const struct rt_pkt *p, bool ports);

size_t rt_flowtab_size(uint32_t capacity);
void rt_flowtab_init(struct rt_flowtab *t, uint32_t capacity);
uint32_t rt_flowtab_count(const struct rt_flowtab *t);
uint32_t rt_flowtab_capacity(const struct rt_flowtab *t);
/* The flow whose forward (*dir = 0) or reply (*dir = 1) key is k. */
struct rt_flow *rt_flowtab_lookup(struct rt_flowtab *t, const struct rt_flowid *k, int *dir);
/* True if some flow already uses k as a forward or reply key. */
bool rt_flowtab_key_used(struct rt_flowtab *t, const struct rt_flowid *k);
/* Install key -> rew (checksum deltas computed). NULL when the table is full
 * of guaranteed flows or a key is already taken. */
struct rt_flow *rt_flowtab_insert(struct rt_flowtab *t, const struct rt_flowid *key,
                                  const struct rt_flowid *rew, uint64_t now);
void rt_flowtab_remove(struct rt_flowtab *t, struct rt_flow *f);
/* Set f's guarantee (use this rather than writing f->guarantee: the table
 * keeps a lower bound so a full table refuses new flows without a scan). */
void rt_flowtab_guarantee(struct rt_flowtab *t, struct rt_flow *f, uint64_t g);
/* True when an insert at `now` is sure to be refused (full of guaranteed
 * flows), so callers can skip choosing a mapping. */
bool rt_flowtab_would_refuse(const struct rt_flowtab *t, uint64_t now);
/* Remove flows whose expiry is before now; returns how many. */
uint32_t rt_flowtab_reap(struct rt_flowtab *t, uint64_t now);
/* The i-th flow slot (for iteration; check ->used). */
struct rt_flow *rt_flowtab_at(struct rt_flowtab *t, uint32_t i);

#endif
