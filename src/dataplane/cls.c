/* The address table: IPv4 destination -> the module keyed by that address
 * alone, plus a flag saying that some module has an (addr, proto, port)
 * key there (those stay in an rte_hash, dp->exact). Open addressing, one
 * 64-bit word per entry, so that a worker reads an entry with one atomic
 * load and never sees half of an update; written by the control thread
 * only. No DPDK call here: test/dataplane/test_cls.c runs it without an
 * EAL. See internal.h for the contract and the README's "The address
 * table". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CLS_ALIGN 64u
#define CLS_FIRST_SIZE 64u

static uint64_t entry(uint32_t addr, uint32_t slot, bool exact)
{
	return (uint64_t)addr << 32 | (uint64_t)slot << 1 | (exact ? DP__CLS_EXACT : 0);
}

/* Entries in use (live or tombstones) a table may hold: 3/4 of it, so a
 * probe always ends on an empty entry. */
static uint32_t limit(const struct dp__cls *c)
{
	return c->cap / 4 * 3;
}

static struct dp__cls_tab *tab_new(uint32_t cap)
{
	size_t sz = sizeof(struct dp__cls_tab) + (size_t)cap * sizeof(uint64_t);
	sz = (sz + CLS_ALIGN - 1) / CLS_ALIGN * CLS_ALIGN;
	struct dp__cls_tab *t = aligned_alloc(CLS_ALIGN, sz);
	if (!t)
		return NULL;
	memset(t, 0, sz);
	t->mask = cap - 1;
	t->shift = 32;
	for (uint32_t n = cap; n > 1; n >>= 1)
		t->shift--;
	return t;
}

/* Where addr's entry is in t (live or tombstone), else the empty entry its
 * probe ended on; *tomb: the first tombstone of another address on the
 * way, UINT32_MAX if none. Control only. */
static uint32_t find(const struct dp__cls_tab *t, uint32_t addr, uint32_t *tomb)
{
	uint32_t h = dp__cls_hash(t, addr);
	*tomb = UINT32_MAX;
	for (;;) {
		uint64_t e = t->e[h];
		if (e == 0 || dp__cls_addr(e) == addr)
			return h;
		if (dp__cls_val(e) == 0 && *tomb == UINT32_MAX)
			*tomb = h;
		h = (h + 1) & t->mask;
	}
}

static void store(struct dp__cls_tab *t, uint32_t pos, uint64_t e)
{
	__atomic_store_n(&t->e[pos], e, __ATOMIC_RELEASE);
}

int dp__cls_init(struct dp__cls *c, uint32_t max_addrs, void (*quiesce)(void *arg), void *arg)
{
	memset(c, 0, sizeof *c);
	if (max_addrs == 0 || max_addrs > (1u << 29))
		return -EINVAL;
	uint32_t cap = 16;
	while (cap < 2 * max_addrs)
		cap <<= 1;
	c->cap = cap;
	c->nslots = max_addrs + 1;
	c->quiesce = quiesce;
	c->qarg = arg;
	/* small at first: the entries a burst reads stay in a few cache lines
	 * (1,000 tenants: 4,096 entries, 32 KiB), not spread over cap */
	uint32_t size = cap < CLS_FIRST_SIZE ? cap : CLS_FIRST_SIZE;
	c->tab = tab_new(size);
	c->nexact = calloc(size, sizeof *c->nexact);
	c->slots = calloc(c->nslots, sizeof *c->slots);
	c->free = malloc((size_t)c->nslots * sizeof *c->free);
	if (!c->tab || !c->nexact || !c->slots || !c->free) {
		dp__cls_fini(c);
		return -ENOMEM;
	}
	for (uint32_t i = c->nslots - 1; i >= 1; i--) /* slot 1 first */
		c->free[c->nfree++] = i;
	return 0;
}

void dp__cls_fini(struct dp__cls *c)
{
	free(c->tab);
	free(c->nexact);
	free(c->slots);
	free(c->free);
	memset(c, 0, sizeof *c);
}

/* The live entries into a fresh table of `size` entries without
 * tombstones, published with a release; the old one is freed once no
 * worker can be reading it. */
static int rebuild(struct dp__cls *c, uint32_t size)
{
	struct dp__cls_tab *old = c->tab, *t = tab_new(size);
	uint32_t *nx = calloc(size, sizeof *nx);
	if (!t || !nx) {
		free(t);
		free(nx);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i <= old->mask; i++) {
		uint64_t e = old->e[i];
		if (dp__cls_val(e) == 0)
			continue; /* empty or tombstone */
		uint32_t tomb, p = find(t, dp__cls_addr(e), &tomb);
		t->e[p] = e;
		nx[p] = c->nexact[i];
	}
	__atomic_store_n(&c->tab, t, __ATOMIC_RELEASE);
	free(c->nexact);
	c->nexact = nx;
	c->used = c->live;
	c->rebuilds++;
	if (c->quiesce)
		c->quiesce(c->qarg);
	free(old);
	return 0;
}

/* Position of addr's entry, made (live, empty value) when absent; a
 * negative errno when the table is full. The caller stores the value. */
static int64_t place(struct dp__cls *c, uint32_t addr)
{
	uint32_t tomb, p = find(c->tab, addr, &tomb);
	if (c->tab->e[p] != 0)
		return p; /* addr's own entry, live or a tombstone */
	if (c->live >= limit(c))
		return -ENOSPC;
	/* the table grows while it is more than half full (up to cap), and is
	 * rebuilt at its size when tombstones leave no empty entry to spare */
	uint32_t size = c->tab->mask + 1;
	bool grow = c->live + 1 > size / 2 && size < c->cap;
	if (grow || (tomb == UINT32_MAX && c->used >= size / 4 * 3)) {
		int r = rebuild(c, grow ? 2 * size : size);
		if (r < 0)
			return r;
		p = find(c->tab, addr, &tomb);
	}
	if (tomb != UINT32_MAX)
		p = tomb; /* reused: a reader sees the old tombstone or the new entry */
	else
		c->used++;
	return p;
}

/* Write addr's entry at p with slot and the exact count's flag, keeping
 * the live count. */
static void set(struct dp__cls *c, uint32_t p, uint32_t addr, uint32_t slot)
{
	uint64_t e = c->tab->e[p];
	bool was = e != 0 && dp__cls_addr(e) == addr && dp__cls_val(e) != 0;
	uint64_t ne = entry(addr, slot, c->nexact[p] > 0);
	bool is = dp__cls_val(ne) != 0;
	c->live += (uint32_t)is - (uint32_t)was;
	store(c->tab, p, ne);
}

int dp__cls_add(struct dp__cls *c, uint32_t addr, void *mod)
{
	if (addr == 0 || !mod)
		return -EINVAL;
	uint32_t tomb, p = find(c->tab, addr, &tomb);
	if (c->tab->e[p] && dp__cls_slot_of(c->tab->e[p]))
		return -EEXIST;
	if (c->nfree == 0)
		return -ENOSPC;
	int64_t r = place(c, addr);
	if (r < 0)
		return (int)r;
	uint32_t s = c->free[--c->nfree];
	/* the module is whole before a worker can find it: the entry's
	 * release store orders this one */
	__atomic_store_n(&c->slots[s], mod, __ATOMIC_RELAXED);
	set(c, (uint32_t)r, addr, s);
	return 0;
}

int dp__cls_add_exact(struct dp__cls *c, uint32_t addr)
{
	if (addr == 0)
		return -EINVAL;
	int64_t r = place(c, addr);
	if (r < 0)
		return (int)r;
	uint32_t p = (uint32_t)r;
	c->nexact[p]++;
	set(c, p, addr, dp__cls_slot_of(c->tab->e[p]));
	return 0;
}

uint32_t dp__cls_del(struct dp__cls *c, uint32_t addr)
{
	uint32_t tomb, p = find(c->tab, addr, &tomb);
	uint32_t s = c->tab->e[p] ? dp__cls_slot_of(c->tab->e[p]) : 0;
	if (s)
		set(c, p, addr, 0);
	return s;
}

void dp__cls_del_exact(struct dp__cls *c, uint32_t addr)
{
	uint32_t tomb, p = find(c->tab, addr, &tomb);
	if (!c->tab->e[p] || !c->nexact[p])
		return;
	c->nexact[p]--;
	set(c, p, addr, dp__cls_slot_of(c->tab->e[p]));
}

void dp__cls_slot_free(struct dp__cls *c, uint32_t slot)
{
	if (slot == 0 || slot >= c->nslots)
		return;
	__atomic_store_n(&c->slots[slot], NULL, __ATOMIC_RELAXED);
	c->free[c->nfree++] = slot;
}
