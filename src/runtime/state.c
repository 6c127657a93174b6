/* State snapshots: the byte buffers save and load hooks use, and the
 * module-level save and load that walk the stateful elements.
 *
 * A saved module is
 *   "INST" version(u32) wall_ns(u64) now_ns(u64) count(varint)
 *   then per element: name length(varint) name, class length(varint)
 *   class, state length(varint, written in 5 bytes) state bytes (the
 *   element's save hook),
 *   and last a check value (u64) over every byte before it.
 * Elements are found again by name and class, so a blob outlives the
 * module block it came from (a restart of innetd). The check value catches
 * a blob damaged in the registry or on disk whose bytes would still parse
 * (a flipped bit inside a queued packet); it is not a cryptographic MAC:
 * blobs come from the platform's own registry. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"

#define STATE_MAGIC "INST"
#define STATE_VERSION 2u /* 2: the check value */
#define STATE_HEAD 24u  /* magic, version, wall_ns, now_ns */
/* An element name or class longer than this is not from a saved state. */
#define STATE_NAME_MAX 1024

/* ---- writing ---- */

/* Room for n more bytes (doubling, from 4 KiB: a module's state is
 * rarely smaller); after a failure nothing more fits (oom). */
static bool wbuf_room(struct rt_wbuf *w, size_t n)
{
	if (w->oom)
		return false;
	if (w->cap - w->len >= n)
		return true;
	size_t nc = w->cap ? w->cap : 4096;
	while (nc - w->len < n) {
		if (nc > SIZE_MAX / 2)
			goto oom;
		nc *= 2;
	}
	uint8_t *p = realloc(w->p, nc);
	if (!p)
		goto oom;
	w->p = p;
	w->cap = nc;
	return true;
oom:
	w->oom = true;
	w->cap = w->len; /* the inline writers see no room from now on */
	return false;
}

void rt_wbuf__append(struct rt_wbuf *w, const void *v, size_t n)
{
	if (!n || !wbuf_room(w, n))
		return;
	memcpy(w->p + w->len, v, n);
	w->len += n;
}

void rt_wbuf_u32(struct rt_wbuf *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	rt_wbuf_put(w, b, 4);
}

void rt_wbuf_u64(struct rt_wbuf *w, uint64_t v)
{
	rt_wbuf_u32(w, (uint32_t)v);
	rt_wbuf_u32(w, (uint32_t)(v >> 32));
}

void rt_wbuf__varint(struct rt_wbuf *w, uint64_t v)
{
	if (w->cap - w->len < 10 && !wbuf_room(w, 10))
		return;
	uint8_t *b = w->p + w->len;
	size_t n = 0;
	while (v >= 0x80) {
		b[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b[n++] = (uint8_t)v;
	w->len += n;
}

void rt_wbuf_free(struct rt_wbuf *w)
{
	free(w->p);
	*w = (struct rt_wbuf){ 0 };
}

/* ---- reading ---- */

void rt_rbuf_get(struct rt_rbuf *r, void *v, size_t n)
{
	if (r->bad || r->len - r->off < n) {
		r->bad = true;
		memset(v, 0, n);
		return;
	}
	memcpy(v, r->p + r->off, n);
	r->off += n;
}

/* The readers below take their bytes straight from the buffer (a load
 * reads a varint or two per field of thousands of entries). */
static bool rbuf_has(struct rt_rbuf *r, size_t n)
{
	if (!r->bad && r->len - r->off >= n)
		return true;
	r->bad = true;
	return false;
}

uint32_t rt_rbuf_u32(struct rt_rbuf *r)
{
	if (!rbuf_has(r, 4))
		return 0;
	const uint8_t *b = r->p + r->off;
	r->off += 4;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

uint64_t rt_rbuf_u64(struct rt_rbuf *r)
{
	uint64_t lo = rt_rbuf_u32(r);
	return lo | (uint64_t)rt_rbuf_u32(r) << 32;
}

uint64_t rt_rbuf__varint(struct rt_rbuf *r)
{
	uint64_t v = 0;
	if (r->bad)
		return 0;
	for (unsigned shift = 0; shift < 64 && r->off < r->len; shift += 7) {
		uint8_t b = r->p[r->off++];
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->bad = true; /* truncated, or more than ten bytes */
	return 0;
}

/* ---- the check value ---- */

/* A 64-bit hash of the bytes, 32 at a time in four independent lanes (a
 * multiply-xorshift mix per word), so a save or load of 1,000 mappings
 * spends a few microseconds on it. */
static uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xff51afd7ed558ccdull;
	return h ^ (h >> 32);
}

static uint64_t state_check(const uint8_t *p, size_t n)
{
	uint64_t h[4] = { 0x9e3779b97f4a7c15ull ^ n, 0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull,
	                  0x27d4eb2f165667c5ull };
	size_t i = 0;
	for (; i + 32 <= n; i += 32)
		for (int k = 0; k < 4; k++) {
			uint64_t w;
			memcpy(&w, p + i + 8 * k, 8);
			h[k] = mix(h[k], w);
		}
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h[0] = mix(h[0], w);
	}
	uint64_t w = 0;
	memcpy(&w, p + i, n - i);
	uint64_t r = mix(h[0], w);
	for (int k = 1; k < 4; k++)
		r = mix(r, h[k]);
	return r ^ (r >> 29);
}

/* ---- modules ---- */

uint32_t rt_graph_stateful(const struct click_graph *g, uint32_t *idx, uint32_t max)
{
	uint32_t n = 0;
	for (uint32_t i = 0, k = click_graph_nelements(g); i < k; i++) {
		const struct click_element *ce = click_graph_element(g, i);
		if (!ce->cls->runtime || !ce->cls->runtime->save)
			continue;
		if (n < max)
			idx[n] = i;
		n++;
	}
	return n;
}

int rt_module_table(const struct rt_module *m, uint32_t i, struct rt_table_stats *st)
{
	*st = (struct rt_table_stats){ 0 };
	if (i >= click_graph_nelements(rt_module_graph(m)))
		return -ENOENT;
	const struct rt_elem *e = rt_module_elem(m, i);
	if (!e->rt->table)
		return -ENOENT;
	st->drops = e->drops;
	e->rt->table(e, st);
	return 0;
}

static void put_str(struct rt_wbuf *w, const char *s)
{
	size_t n = strlen(s);
	rt_wbuf_varint(w, n);
	rt_wbuf_put(w, s, n);
}

/* A length in a fixed 5-byte varint (continuation bits on padding
 * bytes): written after the bytes it counts, which follow it. */
#define LEN5 5
static void put_len5(uint8_t *at, uint64_t n)
{
	for (int k = 0; k < LEN5; k++, n >>= 7)
		at[k] = (uint8_t)((n & 0x7f) | (k < LEN5 - 1 ? 0x80 : 0));
}

/* Save one element: its name, class and state bytes, the state written
 * straight into the blob after a length slot patched afterwards. */
static int save_element(const struct rt_module *m, uint32_t i, struct rt_wbuf *w, uint64_t now_ns)
{
	const struct rt_elem *e = rt_module_elem(m, i);
	put_str(w, e->ce->name);
	put_str(w, e->ce->cls->name);
	static const uint8_t slot[LEN5];
	rt_wbuf_put(w, slot, LEN5);
	size_t at = w->len;
	int rc = e->rt->save(e, w, now_ns);
	if (rc == 0 && w->oom)
		rc = -ENOMEM;
	if (rc == 0 && (uint64_t)(w->len - at) >> (7 * LEN5))
		rc = -E2BIG; /* 32 GiB of one element's state */
	if (rc == 0)
		put_len5(w->p + at - LEN5, w->len - at);
	return rc;
}

int rt_module_save(const struct rt_module *m, uint64_t now_ns, uint64_t wall_ns, void **out,
                   size_t *len)
{
	*out = NULL;
	*len = 0;
	const struct click_graph *g = rt_module_graph(m);
	uint32_t n = rt_graph_stateful(g, NULL, 0);
	struct rt_wbuf w = { 0 };
	rt_wbuf_put(&w, STATE_MAGIC, 4);
	rt_wbuf_u32(&w, STATE_VERSION);
	rt_wbuf_u64(&w, wall_ns);
	rt_wbuf_u64(&w, now_ns);
	rt_wbuf_varint(&w, n);
	int rc = 0;
	for (uint32_t i = 0, k = click_graph_nelements(g); i < k && rc == 0; i++)
		if (rt_module_elem(m, i)->rt->save)
			rc = save_element(m, i, &w, now_ns);
	if (rc == 0)
		rt_wbuf_u64(&w, w.oom ? 0 : state_check(w.p, w.len));
	if (rc == 0 && w.oom)
		rc = -ENOMEM;
	if (rc < 0) {
		rt_wbuf_free(&w);
		return rc;
	}
	*out = w.p;
	*len = w.len;
	return 0;
}

/* A length-prefixed string of at most STATE_NAME_MAX bytes into buf. */
static bool get_str(struct rt_rbuf *r, char *buf)
{
	uint64_t n = rt_rbuf_varint(r);
	if (r->bad || n > STATE_NAME_MAX || n > rt_rbuf_left(r)) {
		r->bad = true;
		return false;
	}
	rt_rbuf_get(r, buf, (size_t)n);
	buf[n] = 0;
	return !r->bad;
}

static int bad_state(struct diags *d, const char *why, size_t off)
{
	diags_error(d, NULL, 1, "saved state: %s at byte %zu", why, off);
	return -EINVAL;
}

/* Load one saved element into its namesake, if the module still has it. */
static int load_element(struct rt_module *m, struct rt_rbuf *r, uint64_t now_ns, uint64_t away_ns,
                        struct diags *d)
{
	char name[STATE_NAME_MAX + 1], cls[STATE_NAME_MAX + 1];
	size_t at = r->off;
	if (!get_str(r, name) || !get_str(r, cls))
		return bad_state(d, "truncated element name", at);
	uint64_t n = rt_rbuf_varint(r);
	if (r->bad || n > rt_rbuf_left(r))
		return bad_state(d, "truncated element state", at);
	struct rt_rbuf one = { .p = r->p + r->off, .len = (size_t)n };
	r->off += (size_t)n;
	const struct click_element *ce = click_graph_find(rt_module_graph(m), name);
	if (!ce || strcmp(ce->cls->name, cls))
		return 0; /* the configuration no longer has it */
	struct rt_elem *e = rt_module_elem(m, ce->index);
	if (!e->rt->load)
		return 0;
	int rc = e->rt->load(e, &one, now_ns, away_ns, d);
	if (rc == 0 && (one.bad || one.off != one.len))
		return bad_state(d, "element state does not parse", at);
	return rc;
}

int rt_module_load(struct rt_module *m, const void *blob, size_t len, uint64_t now_ns,
                   uint64_t wall_ns, struct diags *d)
{
	if (!blob || len < STATE_HEAD + 1 + 8 || memcmp(blob, STATE_MAGIC, 4))
		return bad_state(d, "not a saved module state", 0);
	struct rt_rbuf r = { .p = blob, .len = len - 8 };
	rt_rbuf_get(&r, (char[4]){ 0 }, 4);
	uint32_t version = rt_rbuf_u32(&r);
	if (version != STATE_VERSION)
		return bad_state(d, "unknown version", 4);
	struct rt_rbuf tail = { .p = blob, .len = len, .off = len - 8 };
	if (rt_rbuf_u64(&tail) != state_check(blob, len - 8))
		return bad_state(d, "check value does not match (damaged)", len - 8);
	uint64_t saved_wall = rt_rbuf_u64(&r);
	(void)rt_rbuf_u64(&r); /* the old module clock: informative */
	uint64_t n = rt_rbuf_varint(&r);
	if (r.bad || n > rt_rbuf_left(&r))
		return bad_state(d, "bad element count", STATE_HEAD);
	uint64_t away = wall_ns > saved_wall ? wall_ns - saved_wall : 0;
	for (uint64_t i = 0; i < n; i++) {
		int rc = load_element(m, &r, now_ns, away, d);
		if (rc < 0)
			return rc;
	}
	if (r.off != r.len)
		return bad_state(d, "trailing bytes", r.off);
	return 0;
}
