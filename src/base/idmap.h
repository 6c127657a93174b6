/* A map from 64-bit ids to pointers (open addressing, linear probing,
 * backward-shift deletion): module and tenant tables of the manager,
 * the controller's per-tenant state. Not thread-safe. */
#ifndef INNET_BASE_IDMAP_H
#define INNET_BASE_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap {
	uint64_t *keys;
	void **vals; /* NULL: empty slot */
	size_t cap, n;
};

void idmap_free(struct idmap *m);
void *idmap_get(const struct idmap *m, uint64_t key);
/* 0 or -ENOMEM; replaces an existing value. val must not be NULL. */
int idmap_put(struct idmap *m, uint64_t key, void *val);
void *idmap_del(struct idmap *m, uint64_t key);
/* Iterate: *it starts at 0; returns NULL at the end. */
void *idmap_next(const struct idmap *m, size_t *it, uint64_t *key);

#endif
