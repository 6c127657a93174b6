/* Shared helpers for unit tests (cmocka). */
#ifndef INNET_TEST_HARNESS_H
#define INNET_TEST_HARNESS_H

#include <stddef.h>

/* Path of a file under the source tree (INNET_SOURCE_DIR), in a static buffer. */
const char *th_source_path(const char *rel);
/* Path of a file in the repository's examples/ folder (figure3-network.json,
 * figure4-batcher.click, ...), in a static buffer. */
const char *th_example_path(const char *name);
/* Read a whole file; returns malloc'd NUL-terminated text or NULL. */
char *th_read_file(const char *path, size_t *len);

#endif
