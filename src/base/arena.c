#include "base/arena.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_CHUNK (64 * 1024)
/* Chunks start small and double up to ARENA_CHUNK: a small parse (one
 * module's own configuration, kept as long as the module runs) costs a
 * few KiB, a big one still gets 64 KiB chunks after a few steps. */
#define ARENA_FIRST_CHUNK 1024

struct chunk {
	struct chunk *next;
	size_t size, used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena {
	struct chunk *head;
	size_t limit, total;
	size_t next_chunk; /* size of the next ordinary chunk */
	int exhausted;
};

static struct chunk *chunk_new(size_t size)
{
	struct chunk *c = malloc(sizeof *c + size);
	if (!c)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

struct arena *arena_new(size_t limit)
{
	struct arena *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->limit = limit;
	a->next_chunk = ARENA_FIRST_CHUNK;
	return a;
}

void arena_free(struct arena *a)
{
	if (!a)
		return;
	struct chunk *c = a->head;
	while (c) {
		struct chunk *n = c->next;
		free(c);
		c = n;
	}
	free(a);
}

void arena_reset(struct arena *a)
{
	struct chunk *keep = NULL, *c = a->head;
	while (c) {
		struct chunk *n = c->next;
		if (!n) {
			keep = c; /* the oldest chunk */
			break;
		}
		free(c);
		c = n;
	}
	a->head = keep;
	if (keep)
		keep->used = 0;
	a->total = 0;
	a->exhausted = 0;
}

void *arena_alloc(struct arena *a, size_t size)
{
	size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (need < size)
		return NULL;
	if (a->limit && (a->total + need > a->limit || a->total + need < a->total)) {
		a->exhausted = 1;
		return NULL;
	}
	struct chunk *c = a->head;
	if (!c || c->size - c->used < need) {
		bool big = need > ARENA_CHUNK / 4;
		size_t csize = big ? need : need > a->next_chunk ? need : a->next_chunk;
		struct chunk *n = chunk_new(csize);
		if (!n) {
			a->exhausted = 1;
			return NULL;
		}
		if (!big && a->next_chunk < ARENA_CHUNK)
			a->next_chunk *= 2;
		if (big && c) {
			/* a big block: keep filling the current chunk afterwards */
			n->next = c->next;
			c->next = n;
			c = n;
		} else {
			n->next = c;
			a->head = c = n;
		}
	}
	void *p = c->data + c->used;
	c->used += need;
	a->total += need;
	memset(p, 0, size);
	return p;
}

void *arena_calloc(struct arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return arena_alloc(a, n * size);
}

void *arena_realloc(struct arena *a, void *old, size_t old_size, size_t new_size)
{
	void *p = arena_alloc(a, new_size);
	if (p && old)
		memcpy(p, old, old_size < new_size ? old_size : new_size);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	char *p = arena_alloc(a, (size_t)n + 1);
	if (p)
		vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

size_t arena_used(const struct arena *a)
{
	return a->total;
}

int arena_exhausted(const struct arena *a)
{
	return a->exhausted;
}

void arena_str_putn(struct arena_str *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 64;
		while (nc < b->n + n + 1)
			nc *= 2;
		char *ns = arena_realloc(b->a, b->s, b->cap, nc);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = nc;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

void arena_str_puts(struct arena_str *b, const char *s)
{
	arena_str_putn(b, s, strlen(s));
}

void arena_str_putc(struct arena_str *b, char c)
{
	arena_str_putn(b, &c, 1);
}

char *arena_str_take(struct arena_str *b)
{
	if (b->oom)
		return NULL;
	return b->s ? b->s : arena_strdup(b->a, "");
}
