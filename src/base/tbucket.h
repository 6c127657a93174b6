/* A token bucket on the module clock (RatedUnqueue, RatedSplitter,
 * BandwidthShaper, Shaper): filled at `rate` tokens per second up to
 * `capacity` tokens, without floating point. Credit is kept in
 * token-nanoseconds so fractional refills are not lost. */
#ifndef INNET_BASE_TBUCKET_H
#define INNET_BASE_TBUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct tbucket {
	uint64_t rate;     /* tokens per second (> 0) */
	uint64_t cap;      /* credit capacity: capacity * 1e9 */
	uint64_t credit;   /* token-ns */
	uint64_t last;     /* ns */
};

#define TBUCKET_NS 1000000000ull

/* Starts full, as Click's TokenBucket does. */
static inline void tbucket_init(struct tbucket *b, uint64_t rate, uint64_t capacity, uint64_t now)
{
	if (!rate)
		rate = 1;
	if (!capacity)
		capacity = 1;
	if (capacity > UINT64_MAX / TBUCKET_NS)
		capacity = UINT64_MAX / TBUCKET_NS;
	b->rate = rate;
	b->cap = capacity * TBUCKET_NS;
	b->credit = b->cap;
	b->last = now;
}

static inline void tbucket_refill(struct tbucket *b, uint64_t now)
{
	if (now <= b->last)
		return;
	uint64_t dt = now - b->last;
	b->last = now;
	uint64_t room = b->cap - b->credit;
	if (dt >= room / b->rate + 1)
		b->credit = b->cap;
	else
		b->credit += dt * b->rate;
}

/* Take n tokens if available. */
static inline bool tbucket_take(struct tbucket *b, uint64_t n, uint64_t now)
{
	tbucket_refill(b, now);
	if (n > b->credit / TBUCKET_NS)
		return false;
	b->credit -= n * TBUCKET_NS;
	return true;
}

/* When n tokens will be available (now if they are). */
static inline uint64_t tbucket_when(const struct tbucket *b, uint64_t n, uint64_t now)
{
	uint64_t need = n * TBUCKET_NS;
	if (b->credit >= need)
		return now;
	uint64_t wait = (need - b->credit + b->rate - 1) / b->rate;
	return b->last + wait > now ? b->last + wait : now;
}

#endif
