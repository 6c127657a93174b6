#include "base/file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Grow by doubling, never past max + 1 bytes of content so an oversized
 * file is recognised without reading all of it. */
static int read_stream(FILE *f, size_t max, char **out, size_t *len)
{
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (cap - n < 2) {
			if (cap > max + 1) {
				free(buf);
				return -EFBIG;
			}
			size_t nc = cap ? cap * 2 : 16384;
			char *nb = realloc(buf, nc);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap = nc;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f) || n > max) {
		free(buf);
		return ferror(f) ? -EIO : -EFBIG;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int file_read_all(const char *path, size_t max, char **out, size_t *len)
{
	bool is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	if (!f)
		return -errno;
	int rc = read_stream(f, max, out, len);
	if (!is_stdin)
		fclose(f);
	return rc;
}
