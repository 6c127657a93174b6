/* A map from 64-bit ids to pointers (open addressing, linear probing,
 * backward-shift deletion): module and tenant tables of the manager. */
#ifndef INNET_VM_IDMAP_H
#define INNET_VM_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct vm__idmap {
	uint64_t *keys;
	void **vals; /* NULL: empty slot */
	size_t cap, n;
};

void vm__idmap_free(struct vm__idmap *m);
void *vm__idmap_get(const struct vm__idmap *m, uint64_t key);
/* 0 or -ENOMEM; replaces an existing value. val must not be NULL. */
int vm__idmap_put(struct vm__idmap *m, uint64_t key, void *val);
void *vm__idmap_del(struct vm__idmap *m, uint64_t key);
/* Iterate: *it starts at 0; returns NULL at the end. */
void *vm__idmap_next(const struct vm__idmap *m, size_t *it, uint64_t *key);

#endif
