/* The sandbox's log ring: a program's stdout and stderr in a fixed buffer;
 * when full the oldest bytes go and are counted, so a chatty program
 * costs innetd a bounded amount of memory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vm/internal.h"

int vm__sbx_ring_init(struct vm__sbx_ring *r, size_t cap)
{
	memset(r, 0, sizeof(*r));
	if (cap == 0)
		return -EINVAL;
	r->buf = malloc(cap);
	if (!r->buf)
		return -ENOMEM;
	r->cap = cap;
	return 0;
}

void vm__sbx_ring_free(struct vm__sbx_ring *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

void vm__sbx_ring_put(struct vm__sbx_ring *r, const char *p, size_t n)
{
	if (n > r->cap) { /* only the newest cap bytes can stay */
		r->dropped += n - r->cap;
		p += n - r->cap;
		n = r->cap;
	}
	size_t over = r->len + n > r->cap ? r->len + n - r->cap : 0;
	r->head = (r->head + over) % r->cap;
	r->len -= over;
	r->dropped += over;
	size_t tail = (r->head + r->len) % r->cap;
	size_t first = r->cap - tail < n ? r->cap - tail : n;
	memcpy(r->buf + tail, p, first);
	memcpy(r->buf, p + first, n - first);
	r->len += n;
}

size_t vm__sbx_ring_read(const struct vm__sbx_ring *r, char *out, size_t len)
{
	size_t n = len < r->len ? len : r->len;
	if (n == 0)
		return 0;
	size_t start = (r->head + r->len - n) % r->cap;
	size_t first = r->cap - start < n ? r->cap - start : n;
	memcpy(out, r->buf + start, first);
	memcpy(out + first, r->buf, n - first);
	return n;
}
