/* Arena allocator: one per parse or verification job, freed at once.
 * No global state, so jobs on different threads never share one. */
#ifndef INNET_BASE_ARENA_H
#define INNET_BASE_ARENA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct arena;

/* A new arena; `limit` bounds the total bytes it may hand out (0: none), so a
 * hostile input cannot make a job eat the machine. NULL when out of memory. */
struct arena *arena_new(size_t limit);
void arena_free(struct arena *a);
/* Drop everything allocated so far but keep the first chunk for reuse. */
void arena_reset(struct arena *a);

/* Zeroed, 16-byte aligned memory; NULL when out of memory or over the limit
 * (arena_exhausted() then tells which). */
void *arena_alloc(struct arena *a, size_t size);
void *arena_calloc(struct arena *a, size_t n, size_t size);
/* Grow an earlier allocation (copying); the old block is not reclaimed. */
void *arena_realloc(struct arena *a, void *old, size_t old_size, size_t new_size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);

/* A string growing in an arena: start it as {.a = arena}. After the first
 * failed growth every put is ignored and oom stays set. */
struct arena_str {
	struct arena *a;
	char *s;          /* NUL-terminated; NULL until something is put */
	size_t n, cap;
	bool oom;
};
void arena_str_putn(struct arena_str *b, const char *s, size_t n);
void arena_str_puts(struct arena_str *b, const char *s);
void arena_str_putc(struct arena_str *b, char c);
/* The string ("" when nothing was put), or NULL after a failure. */
char *arena_str_take(struct arena_str *b);

size_t arena_used(const struct arena *a);
/* Nonzero once an allocation failed because the limit was reached. */
int arena_exhausted(const struct arena *a);

#endif
