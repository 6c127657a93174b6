/* printf into a fresh string, or into a caller's error buffer.
 *
 * Thread: any. Ownership: xasprintf's result is malloc'd, the caller's.
 * Errors: xasprintf returns NULL when out of memory. */
#ifndef INNET_BASE_FMT_H
#define INNET_BASE_FMT_H

#include <stddef.h>

char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The `char *err, size_t errlen` convention of system setup (files,
 * sockets, DPDK): writes the message, truncated, unless err is NULL or
 * errlen is 0. */
void fmt_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
