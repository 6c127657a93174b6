/* The packet view and the simple fixed pool. */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>

#include "runtime/runtime.h"

uint32_t rt_pkt_ip_avail(const struct rt_pkt *p)
{
	/* The header may lie before the data pointer (after a Strip): Click
	 * measures from it to the end of the data all the same. */
	if (p->ip_off < 0 || (uint32_t)p->ip_off > p->off + p->len)
		return 0;
	return p->off + p->len - (uint32_t)p->ip_off;
}

uint32_t rt_pkt_transp_avail(const struct rt_pkt *p)
{
	uint32_t a = rt_pkt_ip_avail(p);
	if (p->ip_off < 0 || a < p->ip_hlen)
		return 0;
	return a - p->ip_hlen;
}

uint32_t rt_pkt_dst_anno(const struct rt_pkt *p)
{
	const uint8_t *a = p->anno + RT_ANNO_DST_IP;
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

void rt_pkt_set_dst_anno(struct rt_pkt *p, uint32_t addr)
{
	uint8_t *a = p->anno + RT_ANNO_DST_IP;
	a[0] = addr >> 24;
	a[1] = addr >> 16;
	a[2] = addr >> 8;
	a[3] = addr;
}

void rt_pkt_set_ip_header(struct rt_pkt *p, uint32_t data_off, uint32_t hlen)
{
	p->ip_off = (int32_t)(p->off + data_off);
	p->ip_hlen = hlen;
}

void rt_pkt_pull_front(struct rt_pkt *p, uint32_t n)
{
	if (n > p->len)
		n = p->len;
	p->off += n;
	p->len -= n;
}

void rt_pkt_take_len(struct rt_pkt *p, uint32_t len)
{
	if (len < p->len)
		p->len = len;
}

/* ---- simple pool: one malloc at creation, a free list of slots ---- */

struct sp_slot {
	struct rt_pkt pkt;
	struct sp_slot *next;
	uint8_t *mem;
};

struct rt_simple_pool {
	struct sp_slot *slots, *free_list;
	uint8_t *mem;
	uint32_t count, bufsize, headroom, in_use;
};

struct rt_simple_pool *rt_simple_pool_new(uint32_t count, uint32_t bufsize, uint32_t headroom)
{
	if (count == 0 || bufsize <= headroom)
		return NULL;
	struct rt_simple_pool *sp = calloc(1, sizeof *sp);
	if (!sp)
		return NULL;
	sp->slots = calloc(count, sizeof *sp->slots);
	/* mapped, not malloc'ed: pages are touched only as packets use them
	 * (glibc's MALLOC_PERTURB_, which test runners set, would write all
	 * of a 256 MiB pool before the first packet) */
	void *mem = mmap(NULL, (size_t)count * bufsize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	                 -1, 0);
	sp->mem = mem == MAP_FAILED ? NULL : mem;
	if (!sp->slots || !sp->mem) {
		free(sp->slots);
		if (sp->mem)
			munmap(sp->mem, (size_t)count * bufsize);
		free(sp);
		return NULL;
	}
	sp->count = count;
	sp->bufsize = bufsize;
	sp->headroom = headroom;
	for (uint32_t i = count; i-- > 0;) {
		sp->slots[i].mem = sp->mem + (size_t)i * bufsize;
		sp->slots[i].next = sp->free_list;
		sp->free_list = &sp->slots[i];
	}
	return sp;
}

void rt_simple_pool_free(struct rt_simple_pool *sp)
{
	if (!sp)
		return;
	free(sp->slots);
	munmap(sp->mem, (size_t)sp->count * sp->bufsize);
	free(sp);
}

static struct rt_pkt *sp_alloc(void *ctx, uint32_t size)
{
	struct rt_simple_pool *sp = ctx;
	if (!sp->free_list || size > sp->bufsize - sp->headroom)
		return NULL;
	struct sp_slot *s = sp->free_list;
	sp->free_list = s->next;
	s->next = NULL;
	sp->in_use++;
	rt_pkt_init(&s->pkt, s->mem, sp->bufsize, sp->headroom, 0, s);
	return &s->pkt;
}

static void sp_free(void *ctx, struct rt_pkt *p)
{
	struct rt_simple_pool *sp = ctx;
	struct sp_slot *s = p->handle;
	if (!s || s < sp->slots || s >= sp->slots + sp->count || &s->pkt != p)
		abort(); /* not ours: a bug in the caller, never input-driven */
	s->next = sp->free_list;
	sp->free_list = s;
	sp->in_use--;
}

struct rt_pool rt_simple_pool_ops(struct rt_simple_pool *sp)
{
	return (struct rt_pool){ .alloc = sp_alloc, .free = sp_free, .ctx = sp };
}

uint32_t rt_simple_pool_in_use(const struct rt_simple_pool *sp)
{
	return sp->in_use;
}
