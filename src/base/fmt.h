/* printf into a fresh string.
 *
 * Thread: any. Ownership: the result is malloc'd, the caller's.
 * Errors: NULL when out of memory. */
#ifndef INNET_BASE_FMT_H
#define INNET_BASE_FMT_H

char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
