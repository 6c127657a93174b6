/* Reading a whole file into memory: configuration, snapshots, Click text,
 * captures' companions. One bounded reader for the whole project.
 *
 * Thread: any. Ownership: *out is malloc'd, NUL-terminated, the caller's.
 * Errors: 0, or a negative errno (-EFBIG when the file is larger than max;
 * nothing is returned then). */
#ifndef INNET_BASE_FILE_H
#define INNET_BASE_FILE_H

#include <stddef.h>

/* path "-" reads standard input; len may be NULL. */
int file_read_all(const char *path, size_t max, char **out, size_t *len);

#endif
