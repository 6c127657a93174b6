/* The module engine: instantiation in one block, Click's push and pull
 * calls between elements, device ports, timers and pull tasks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elements/element.h"
#include "runtime/internal.h"

/* Device numbers are below this (runtime.h: N < 256). */
#define RT_MAX_DEV 256
/* Defaults for the struct rt_limits fields left 0. The flow quota has
 * none (flow tables grow with their flows); elements that preallocate
 * (ARPQuerier) size themselves by this when it is unset. */
#define RT_DEFAULT_FLOW_CAPACITY 1024
#define RT_DEFAULT_MAX_DEPTH 256
/* The block and every element's state start on a cache line; the port
 * and list arrays on RT_ARRAY_ALIGN. */
#define RT_CACHE_LINE 64
#define RT_ARRAY_ALIGN 16
/* More state than this for one element is a configuration gone wrong. */
#define RT_STATE_MAX ((size_t)1 << 40)

/* Most passes of rt_module_run_timers over the timed elements while they
 * keep moving packets (tasks feeding each other). */
#define RT_TIMER_PASSES_MAX (1u << 20)

static inline const struct elem_runtime *rt_of(const struct rt_elem *e)
{
	return e->rt;
}

/* Elements reachable from element `from` backwards through pull inputs
 * (not `from` itself); their indices go to out[] when out is set. mark[]
 * is scratch (all zero on entry and exit), stack[] has room for n. */
static uint32_t upstream(const struct click_graph *g, uint32_t from, uint32_t *mark,
                         uint32_t *stack, uint32_t *out)
{
	uint32_t sp = 0, cnt = 0;
	stack[sp++] = from;
	mark[from] = 1;
	while (sp) {
		uint32_t x = stack[--sp];
		const struct click_element *ce = click_graph_element(g, x);
		for (uint32_t port = 0; port < ce->ninputs; port++) {
			if (ce->in_proc[port] != CLICK_PULL)
				continue;
			uint32_t k;
			const struct click_port_ref *r = click_graph_inputs(g, x, port, &k);
			for (uint32_t j = 0; j < k; j++) {
				if (mark[r[j].elem])
					continue;
				mark[r[j].elem] = 1;
				if (out)
					out[cnt] = r[j].elem;
				cnt++;
				stack[sp++] = r[j].elem;
			}
		}
	}
	/* clear the marks for the next call */
	mark[from] = 0;
	if (out) {
		for (uint32_t j = 0; j < cnt; j++)
			mark[out[j]] = 0;
	} else {
		for (uint32_t j = 0, nn = click_graph_nelements(g); j < nn; j++)
			mark[j] = 0;
	}
	return cnt;
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* ---- instantiation ---- */

/* What rt_module_new learns before it allocates: counts over the graph,
 * then the layout of the block (module | elems | ports | device and timer
 * lists | upstream lists | states). */
struct plan {
	struct rt_limits lim;
	uint32_t n, nports, ndin, ndout, ntimed;
	size_t nup;                /* upstream list entries of all timed elements */
	size_t elems_off, ports_off, lists_off, up_off, total;
	size_t *state_off;         /* per element */
	uint32_t *mark, *stack;    /* scratch for upstream() */
};

static struct rt_limits limits_or_defaults(const struct rt_limits *lim)
{
	struct rt_limits l = lim ? *lim : (struct rt_limits){ 0 };
	if (!l.max_depth)
		l.max_depth = RT_DEFAULT_MAX_DEPTH;
	return l;
}

/* The device number of device element ce: its own, or `next` in graph order. */
static uint32_t device_of(const struct click_element *ce, const struct rt_elem *e, uint32_t next)
{
	return ce->cls->runtime->device ? ce->cls->runtime->device(e) : next;
}

/* Count device element ce (index i): its number must be small and, for an
 * input, not read by another element (seen_in: reader index + 1). */
static int count_device(const struct click_graph *g, const struct click_element *ce, uint32_t i,
                        struct plan *p, uint32_t *seen_in, struct diags *d)
{
	struct rt_elem tmp = { .ce = ce, .conf = ce->conf, .index = i };
	bool in = ce->cls->flags & ELEM_DEVICE_IN;
	uint32_t dev = device_of(ce, &tmp, in ? p->ndin : p->ndout);
	if (dev >= RT_MAX_DEV)
		return diags_error(d, &ce->loc, 1, "device number %u of '%s' is too large (most %u)", dev,
		                   ce->name, RT_MAX_DEV - 1);
	uint32_t *nd = in ? &p->ndin : &p->ndout;
	if (dev + 1 > *nd)
		*nd = dev + 1;
	if (!in)
		return 0;
	if (seen_in[dev])
		return diags_error(d, &ce->loc, 1, "'%s' reads device %u, already read by '%s'", ce->name,
		                   dev, click_graph_element(g, seen_in[dev] - 1)->name);
	seen_in[dev] = i + 1;
	return 0;
}

/* Ports, devices and timed elements; every element must have a packet
 * function. -EINVAL after a diagnostic for every offender. */
static int count_elements(const struct click_graph *g, struct plan *p, struct diags *d)
{
	int err = 0;
	uint32_t seen_in[RT_MAX_DEV] = { 0 };
	for (uint32_t i = 0; i < p->n; i++) {
		const struct click_element *ce = click_graph_element(g, i);
		if (!ce->cls->runtime) {
			err = diags_error(d, &ce->loc, (uint32_t)strlen(ce->cls->name),
			                  "element class '%s' has no packet function in the runtime",
			                  ce->cls->name);
			continue;
		}
		p->nports += ce->ninputs + ce->noutputs;
		if ((ce->cls->flags & (ELEM_DEVICE_IN | ELEM_DEVICE_OUT)) &&
		    count_device(g, ce, i, p, seen_in, d) < 0)
			err = -EINVAL;
		else if (ce->cls->runtime->run)
			p->ntimed++;
	}
	return err ? -EINVAL : 0;
}

/* What each timed element's pulls can reach (upstream through pull
 * inputs), so a pull task is due only when one of those holds packets, not
 * when some unrelated queue does: here only how many, for the layout. */
static int count_upstream(const struct click_graph *g, struct plan *p)
{
	p->mark = calloc(p->n ? p->n : 1, sizeof *p->mark);
	p->stack = calloc(p->n ? p->n : 1, sizeof *p->stack);
	if (!p->mark || !p->stack)
		return -ENOMEM;
	for (uint32_t i = 0; i < p->n; i++)
		if (click_graph_element(g, i)->cls->runtime->run)
			p->nup += upstream(g, i, p->mark, p->stack, NULL);
	return 0;
}

/* Offsets of the block's parts and of each element's state, and its size
 * (checked against the quota). */
static int size_the_block(const struct click_graph *g, struct plan *p, struct diags *d)
{
	size_t off = align_up(sizeof(struct rt_module), RT_CACHE_LINE);
	p->elems_off = off;
	off += (size_t)p->n * sizeof(struct rt_elem);
	off = align_up(off, RT_ARRAY_ALIGN);
	p->ports_off = off;
	off += (size_t)p->nports * sizeof(struct rt_port);
	off = align_up(off, RT_ARRAY_ALIGN);
	p->lists_off = off;
	off += (size_t)(p->ndin + p->ndout + p->ntimed) * sizeof(struct rt_elem *);
	p->up_off = off;
	off += p->nup * sizeof(struct rt_elem *);
	p->state_off = calloc(p->n ? p->n : 1, sizeof *p->state_off);
	if (!p->state_off)
		return -ENOMEM;
	for (uint32_t i = 0; i < p->n; i++) {
		const struct click_element *ce = click_graph_element(g, i);
		const struct elem_runtime *rt = ce->cls->runtime;
		struct rt_elem tmp = { .ce = ce, .conf = ce->conf, .index = i,
		                       .ninputs = ce->ninputs, .noutputs = ce->noutputs };
		uint32_t hint = p->lim.flow_capacity ? p->lim.flow_capacity : RT_DEFAULT_FLOW_CAPACITY;
		size_t sz = rt->state_size ? rt->state_size(&tmp, hint) : 0;
		off = align_up(off, RT_CACHE_LINE);
		p->state_off[i] = off;
		if (sz > RT_STATE_MAX)
			return diags_error(d, &ce->loc, 1, "element '%s' needs too much state", ce->name), -ENOMEM;
		off += sz;
	}
	p->total = align_up(off, RT_CACHE_LINE);
	if (p->lim.mem_max && p->total > p->lim.mem_max) {
		diags_error(d, NULL, 0, "module needs %zu bytes of state, more than its quota of %zu",
		            p->total, p->lim.mem_max);
		return -ENOMEM;
	}
	return 0;
}

/* The zeroed block with the module header filled in. */
static int new_block(const struct plan *p, const struct click_graph *g, const struct rt_env *env,
                     uint64_t now_ns, struct rt_module **out)
{
	uint8_t *blk = aligned_alloc(RT_CACHE_LINE, p->total);
	if (!blk)
		return -ENOMEM;
	memset(blk, 0, p->total);
	struct rt_module *m = (struct rt_module *)blk;
	m->env = *env;
	m->lim = p->lim;
	m->max_depth = p->lim.max_depth;
	m->g = g;
	m->n = p->n;
	m->now = now_ns;
	m->rng = p->lim.seed ? p->lim.seed : 0x9e3779b97f4a7c15ull;
	m->size = p->total;
	m->flowq.max_flows = p->lim.flow_capacity;
	m->flowq.max_bytes = p->lim.mem_max ? p->lim.mem_max - p->total : SIZE_MAX;
	m->elems = (struct rt_elem *)(blk + p->elems_off);
	struct rt_elem **lists = (struct rt_elem **)(blk + p->lists_off);
	m->dev_in = lists;
	m->dev_out = lists + p->ndin;
	m->timed = lists + p->ndin + p->ndout;
	m->ndev_in = p->ndin;
	m->ndev_out = p->ndout;
	*out = m;
	return 0;
}

/* Element i's instance: its ports (from *ports on), its state, and the
 * processing of each port. */
static void lay_out_element(struct rt_module *m, const struct plan *p, uint32_t i,
                            struct rt_port **ports)
{
	const struct click_element *ce = click_graph_element(m->g, i);
	struct rt_elem *e = &m->elems[i];
	e->m = m;
	e->rt = ce->cls->runtime;
	e->ce = ce;
	e->conf = ce->conf;
	e->index = i;
	e->ninputs = ce->ninputs;
	e->noutputs = ce->noutputs;
	e->in = *ports;
	*ports += ce->ninputs;
	e->out = *ports;
	*ports += ce->noutputs;
	e->state = (uint8_t *)m + p->state_off[i];
	e->deadline = UINT64_MAX;
	for (uint32_t k = 0; k < e->ninputs; k++)
		e->in[k].push = ce->in_proc[k] == CLICK_PUSH;
	for (uint32_t k = 0; k < e->noutputs; k++)
		e->out[k].push = ce->out_proc[k] == CLICK_PUSH;
}

/* Every element's instance, and the device and timer lists. */
static void lay_out_elements(struct rt_module *m, const struct plan *p)
{
	struct rt_port *ports = (struct rt_port *)((uint8_t *)m + p->ports_off);
	uint32_t din_next = 0, dout_next = 0;
	for (uint32_t i = 0; i < p->n; i++) {
		lay_out_element(m, p, i, &ports);
		struct rt_elem *e = &m->elems[i];
		unsigned flags = e->ce->cls->flags;
		if (flags & ELEM_DEVICE_IN) {
			e->dev = device_of(e->ce, e, din_next++);
			m->dev_in[e->dev] = e;
		} else if (flags & ELEM_DEVICE_OUT) {
			e->dev = device_of(e->ce, e, dout_next++);
			if (!m->dev_out[e->dev])
				m->dev_out[e->dev] = e;
		}
		if (rt_of(e)->run)
			m->timed[m->ntimed++] = e;
	}
	m->dev_in0 = p->ndin ? m->dev_in[0] : NULL;
}

static void wire_ports(struct rt_module *m)
{
	uint32_t nc = click_graph_nconns(m->g);
	for (uint32_t i = 0; i < nc; i++) {
		const struct click_conn *c = click_graph_conn(m->g, i);
		struct rt_elem *from = &m->elems[c->from.elem], *to = &m->elems[c->to.elem];
		if (c->from.port < from->noutputs) {
			from->out[c->from.port].peer = to;
			from->out[c->from.port].port = c->to.port;
		}
		if (c->to.port < to->ninputs) {
			to->in[c->to.port].peer = from;
			to->in[c->to.port].port = c->from.port;
		}
	}
}

/* Each timed element's upstream list (see count_upstream). */
static int list_upstream(struct rt_module *m, const struct plan *p)
{
	struct rt_elem **ups = (struct rt_elem **)((uint8_t *)m + p->up_off);
	for (uint32_t i = 0; i < p->n; i++) {
		struct rt_elem *e = &m->elems[i];
		if (!rt_of(e)->run)
			continue;
		uint32_t *idx = calloc(p->n ? p->n : 1, sizeof *idx);
		if (!idx)
			return -ENOMEM;
		e->nup = upstream(m->g, i, p->mark, p->stack, idx);
		e->up = ups;
		for (uint32_t k = 0; k < e->nup; k++)
			ups[k] = &m->elems[idx[k]];
		ups += e->nup;
		free(idx);
	}
	return 0;
}

/* Run every element's init (its state, timers and tasks); on a failure
 * undo the ones that ran. */
static int init_elements(struct rt_module *m, struct diags *d)
{
	for (uint32_t i = 0; i < m->n; i++) {
		struct rt_elem *e = &m->elems[i];
		int err = rt_of(e)->init ? rt_of(e)->init(e, d) : 0;
		if (err >= 0)
			continue;
		for (uint32_t j = 0; j < i; j++)
			if (rt_of(&m->elems[j])->fini)
				rt_of(&m->elems[j])->fini(&m->elems[j]);
		return err;
	}
	return 0;
}

int rt_module_new(const struct click_graph *g, const struct rt_env *env,
                  const struct rt_limits *lim, uint64_t now_ns, bool take_graph,
                  struct rt_module **out, struct diags *d)
{
	*out = NULL;
	struct plan p = { .lim = limits_or_defaults(lim), .n = click_graph_nelements(g) };
	struct rt_module *m = NULL;
	int rc = count_elements(g, &p, d);
	if (rc < 0)
		goto cleanup;
	if ((rc = count_upstream(g, &p)) < 0 || (rc = size_the_block(g, &p, d)) < 0 ||
	    (rc = new_block(&p, g, env, now_ns, &m)) < 0)
		goto cleanup;
	lay_out_elements(m, &p);
	wire_ports(m);
	if ((rc = list_upstream(m, &p)) < 0 || (rc = init_elements(m, d)) < 0)
		goto cleanup;
	/* without memory for its chains a module is still right: interpreted */
	(void)rt__chains_build(m);
	m->own_graph = take_graph;
	*out = m;
cleanup:
	free(p.state_off);
	free(p.mark);
	free(p.stack);
	if (rc < 0)
		free(m);
	return rc;
}

void rt_module_free(struct rt_module *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->n; i++)
		if (rt_of(&m->elems[i])->fini)
			rt_of(&m->elems[i])->fini(&m->elems[i]);
	if (m->own_graph)
		click_graph_free((struct click_graph *)m->g);
	rt__chains_free(m);
	free(m);
}

size_t rt_module_mem_size(const struct rt_module *m) { return m->size + m->flowq.bytes; }
const struct click_graph *rt_module_graph(const struct rt_module *m) { return m->g; }
struct rt_elem *rt_module_elem(const struct rt_module *m, uint32_t i) { return &m->elems[i]; }
uint32_t rt_module_ndev_in(const struct rt_module *m) { return m->ndev_in; }
uint32_t rt_module_ndev_out(const struct rt_module *m) { return m->ndev_out; }

const char *rt_module_dev_in_name(const struct rt_module *m, uint32_t dev)
{
	return dev < m->ndev_in && m->dev_in[dev] ? m->dev_in[dev]->ce->name : NULL;
}

const char *rt_module_dev_out_name(const struct rt_module *m, uint32_t dev)
{
	return dev < m->ndev_out && m->dev_out[dev] ? m->dev_out[dev]->ce->name : NULL;
}

static void pool_free(struct rt_module *m, struct rt_pkt *p)
{
	m->env.pool.free(m->env.pool.ctx, p);
}

/* CheckIPHeader's checks (no BADSRC) for a packet entering at a device:
 * 0 and annotations set, or -EINVAL. */
static int device_ip_check(struct rt_pkt *p)
{
	const uint8_t *ip = rt_pkt_data(p);
	uint32_t hlen = rt_ip_header_len(ip, p->len, true);
	if (!hlen)
		return -EINVAL;
	rt_pkt_take_len(p, rt_rd16(ip + 2));
	rt_pkt_set_ip_header(p, 0, hlen);
	rt_pkt_set_dst_anno(p, rt_rd32(ip + 16));
	return 0;
}

/* The device input `dev` stands for, or NULL. */
static inline struct rt_elem *device_in(const struct rt_module *m, uint32_t dev)
{
	return dev == 0 ? m->dev_in0 : dev < m->ndev_in ? m->dev_in[dev] : NULL;
}

int rt_module_push(struct rt_module *m, uint32_t dev, struct rt_pkt *p, uint64_t now_ns)
{
	if (now_ns > m->now)
		m->now = now_ns;
	struct rt_elem *e = device_in(m, dev);
	if (!e) {
		m->c.drops++;
		pool_free(m, p);
		return -EINVAL;
	}
	m->c.rx_pkts++;
	m->c.rx_bytes += p->len;
	if (device_ip_check(p) < 0) {
		m->c.bad_in++;
		m->c.drops++;
		pool_free(m, p);
		return 0;
	}
	p->tstamp_ns = m->now;
	if (rt_of(e)->push)
		rt_of(e)->push(e, 0, p);
	else
		rt_push(e, 0, p);
	return 0;
}

/* The device checks over a vector: good packets stay in v (in order,
 * annotated, stamped), bad ones are freed and counted; how many stay. */
static uint32_t check_burst(struct rt_module *m, struct rt_pkt **v, uint32_t n)
{
	uint32_t k = 0;
	uint64_t bytes = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct rt_pkt *p = v[i];
		if (i + 1 < n)
			__builtin_prefetch(rt_pkt_data(v[i + 1]));
		bytes += p->len;
		if (device_ip_check(p) < 0) {
			m->c.bad_in++;
			m->c.drops++;
			pool_free(m, p);
			continue;
		}
		p->tstamp_ns = m->now;
		v[k++] = p;
	}
	m->c.rx_pkts += n;
	m->c.rx_bytes += bytes;
	return k;
}

int rt_module_push_burst(struct rt_module *m, uint32_t dev, struct rt_pkt **v, uint32_t n,
                         uint64_t now_ns)
{
	struct rt_elem *e = device_in(m, dev);
	if (!e || rt_of(e)->push) {
		int r = 0;
		for (uint32_t i = 0; i < n; i++)
			if (rt_module_push(m, dev, v[i], now_ns) < 0)
				r = -EINVAL;
		return r;
	}
	if (now_ns > m->now)
		m->now = now_ns;
	while (n) {
		uint32_t c = n < RT_BURST_MAX ? n : RT_BURST_MAX;
		uint32_t k = check_burst(m, v, c);
		rt_push_burst(e, 0, v, k);
		v += c;
		n -= c;
	}
	return 0;
}

void rt_module_push_report(struct rt_module *m, uint32_t dev, struct rt_pkt **v, uint32_t n,
                           uint64_t now_ns, struct rt_push_report *r)
{
	uint64_t lost = m->c.drops;
	rt_module_push_burst(m, dev, v, n, now_ns);
	uint64_t next = m->ntimed ? rt_module_next_deadline(m) : UINT64_MAX;
	if (next <= now_ns) {
		rt_module_run_timers(m, now_ns);
		next = rt_module_next_deadline(m);
	}
	r->drops = m->c.drops - lost;
	r->next = next;
	r->queued = m->c.queued;
	r->mem = rt_module_mem_size(m);
}

int rt_module_push_elem(struct rt_module *m, const char *elem, uint32_t port,
                        struct rt_pkt *p, uint64_t now_ns)
{
	if (now_ns > m->now)
		m->now = now_ns;
	const struct click_element *ce = click_graph_find(m->g, elem);
	if (!ce || ce->index >= m->n) {
		pool_free(m, p);
		return -ENOENT;
	}
	struct rt_elem *x = &m->elems[ce->index];
	if (port >= x->ninputs || !x->in[port].push) {
		pool_free(m, p);
		return -EINVAL;
	}
	const struct elem_runtime *r = rt_of(x);
	if (r->push) {
		r->push(x, port, p);
	} else if (r->action) {
		struct rt_pkt *q = r->action(x, p);
		if (q)
			rt_push(x, 0, q);
	} else {
		rt_drop(x, p);
	}
	return 0;
}

struct rt_pkt *rt_module_pull_elem(struct rt_module *m, const char *elem, uint32_t port,
                                   uint64_t now_ns)
{
	if (now_ns > m->now)
		m->now = now_ns;
	const struct click_element *ce = click_graph_find(m->g, elem);
	if (!ce || ce->index >= m->n)
		return NULL;
	struct rt_elem *x = &m->elems[ce->index];
	if (port >= x->noutputs || x->out[port].push)
		return NULL;
	const struct elem_runtime *r = rt_of(x);
	if (r->pull)
		return r->pull(x, port);
	if (r->action) {
		struct rt_pkt *q = rt_pull(x, 0);
		return q ? r->action(x, q) : NULL;
	}
	return NULL;
}

/* Does anything this task can pull from hold packets? */
static bool holds(const struct rt_elem *e)
{
	if (!e->m->c.queued)
		return false;
	for (uint32_t i = 0; i < e->nup; i++)
		if (e->up[i]->queued)
			return true;
	return false;
}

static bool due(const struct rt_module *m, const struct rt_elem *e, uint64_t now)
{
	return e->deadline <= now && (!e->task || holds(e));
}

uint32_t rt_module_run_timers(struct rt_module *m, uint64_t now_ns)
{
	if (now_ns > m->now)
		m->now = now_ns;
	uint32_t moved = 0;
	for (uint32_t pass = 0; pass < RT_TIMER_PASSES_MAX; pass++) {
		uint32_t progress = 0;
		bool ran = false;
		for (uint32_t i = 0; i < m->ntimed; i++) {
			struct rt_elem *e = m->timed[i];
			if (!due(m, e, m->now))
				continue;
			if (!e->task)
				e->deadline = UINT64_MAX;
			ran = true;
			m->hint = UINT64_MAX;
			uint32_t k = rt_of(e)->run(e, m->now);
			if (e->task && k == 0 && m->hint != UINT64_MAX && m->hint > m->now &&
			    e->deadline <= m->now)
				e->deadline = m->hint;
			progress += k;
		}
		moved += progress;
		if (!ran || progress == 0)
			break;
	}
	return moved;
}

uint32_t rt_module_poll(struct rt_module *m, uint64_t now_ns)
{
	return rt_module_run_timers(m, now_ns);
}

uint64_t rt_module_next_deadline(const struct rt_module *m)
{
	uint64_t best = UINT64_MAX;
	for (uint32_t i = 0; i < m->ntimed; i++) {
		const struct rt_elem *e = m->timed[i];
		uint64_t t = e->task && !holds(e) ? UINT64_MAX : e->deadline;
		if (t < best)
			best = t;
	}
	return best;
}

uint64_t rt_module_next_source(const struct rt_module *m)
{
	uint64_t best = UINT64_MAX;
	for (uint32_t i = 0; i < m->ntimed; i++) {
		const struct rt_elem *e = m->timed[i];
		if ((e->ce->cls->flags & ELEM_MAKES) && e->deadline < best)
			best = e->deadline;
	}
	return best;
}

void rt_module_counters(const struct rt_module *m, struct rt_counters *c)
{
	*c = m->c;
}


int rt_module_read(const struct rt_module *m, const char *elem, const char *handler,
                   uint64_t *val)
{
	const struct click_element *ce = click_graph_find(m->g, elem);
	if (!ce || ce->index >= m->n)
		return -ENOENT;
	const struct rt_elem *e = &m->elems[ce->index];
	if (rt_of(e)->read) {
		int r = rt_of(e)->read(e, handler, val);
		if (r != -EOPNOTSUPP)
			return r;
	}
	if (!strcmp(handler, "drops")) {
		*val = e->drops;
		return 0;
	}
	return -EOPNOTSUPP;
}

/* ---- element-facing API ---- */

void rt_consume(struct rt_elem *e, struct rt_pkt *p)
{
	pool_free(e->m, p);
}

void rt_drop(struct rt_elem *e, struct rt_pkt *p)
{
	e->drops++;
	e->m->c.drops++;
	pool_free(e->m, p);
}

bool rt_has_output(const struct rt_elem *e, uint32_t port)
{
	return port < e->noutputs && e->out[port].peer;
}

void rt_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	if (!p)
		return;
	struct rt_module *m = e->m;
	if (__builtin_expect(port >= e->noutputs || !e->out[port].peer || m->depth >= m->max_depth, 0)) {
		rt_drop(e, p);
		return;
	}
	if (e->out[port].chain && rt__chain_run(e, port, &p, 1))
		return;
	uint32_t depth0 = m->depth++;
	/* Chains of simple actions (Counter, Paint, ...) run in this loop
	 * instead of one nested call per hop. */
	for (;;) {
		const struct rt_port *o = &e->out[port];
		struct rt_elem *x = o->peer;
		const struct elem_runtime *r = x->rt;
		if (r->push) {
			r->push(x, o->port, p);
			break;
		}
		if (!r->action) {
			rt_drop(x, p);
			break;
		}
		p = r->action(x, p);
		if (!p)
			break;
		e = x;
		port = 0;
		if (__builtin_expect(!e->noutputs || !e->out[0].peer || m->depth >= m->max_depth, 0)) {
			rt_drop(e, p);
			break;
		}
		m->depth++;
	}
	m->depth = depth0;
}

void rt_push_burst(struct rt_elem *e, uint32_t port, struct rt_pkt **v, uint32_t n)
{
	struct rt_module *m = e->m;
	struct rt_elem *x = port < e->noutputs ? e->out[port].peer : NULL;
	if (x && e->out[port].chain && m->depth < m->max_depth && rt__chain_run(e, port, v, n))
		return;
	if (!x || !x->rt->push_burst || m->depth >= m->max_depth) {
		for (uint32_t i = 0; i < n; i++)
			rt_push(e, port, v[i]);
		return;
	}
	m->depth++;
	for (uint32_t i = 0; i < n; i += RT_BURST_MAX)
		x->rt->push_burst(x, e->out[port].port, v + i, n - i < RT_BURST_MAX ? n - i : RT_BURST_MAX);
	m->depth--;
}

struct rt_pkt *rt_pull(struct rt_elem *e, uint32_t port)
{
	if (port >= e->ninputs || !e->in[port].peer)
		return NULL;
	struct rt_module *m = e->m;
	if (m->depth >= m->max_depth)
		return NULL;
	struct rt_elem *x = e->in[port].peer;
	uint32_t xp = e->in[port].port;
	const struct elem_runtime *r = rt_of(x);
	struct rt_pkt *q = NULL;
	m->depth++;
	if (r->pull) {
		q = r->pull(x, xp);
	} else if (r->action) {
		q = rt_pull(x, 0);
		if (q)
			q = r->action(x, q);
	}
	m->depth--;
	return q;
}

void rt_tx(struct rt_elem *e, struct rt_pkt *p)
{
	struct rt_module *m = e->m;
	m->c.tx_pkts++;
	m->c.tx_bytes += p->len;
	if (m->env.tx)
		m->env.tx(m->env.tx_ctx, e->dev, p);
	else
		pool_free(m, p);
}

struct rt_pkt *rt_pkt_alloc(struct rt_elem *e, uint32_t size)
{
	struct rt_pkt *p = e->m->env.pool.alloc(e->m->env.pool.ctx, size);
	if (!p)
		e->m->c.alloc_fail++;
	return p;
}

struct rt_pkt *rt_pkt_copy(struct rt_elem *e, const struct rt_pkt *p)
{
	struct rt_pkt *q = rt_pkt_alloc(e, p->off + p->len);
	if (!q)
		return NULL;
	if (q->cap < p->off + p->len) {
		pool_free(e->m, q);
		e->m->c.alloc_fail++;
		return NULL;
	}
	memcpy(q->buf, p->buf, (size_t)p->off + p->len);
	q->off = p->off;
	q->len = p->len;
	q->mac_off = p->mac_off;
	q->ip_off = p->ip_off;
	q->ip_hlen = p->ip_hlen;
	q->pkt_type = p->pkt_type;
	memcpy(q->anno, p->anno, sizeof q->anno);
	q->tstamp_ns = p->tstamp_ns;
	q->first_tstamp_ns = p->first_tstamp_ns;
	return q;
}

static int32_t shift_hdr(int32_t h, int64_t delta)
{
	if (h < 0)
		return h;
	int64_t v = h + delta;
	return v < 0 || v > INT32_MAX ? RT_NO_HDR : (int32_t)v;
}

struct rt_pkt *rt_pkt_push_front(struct rt_elem *e, struct rt_pkt *p, uint32_t n)
{
	if (p->off >= n) {
		p->off -= n;
		p->len += n;
		return p;
	}
	struct rt_pkt *q = rt_pkt_alloc(e, p->len + n);
	if (!q || q->cap - q->off < p->len + n) {
		if (q)
			pool_free(e->m, q);
		rt_drop(e, p);
		return NULL;
	}
	/* Old headroom comes along, so bytes stripped earlier reappear; the
	 * ones that never existed are zeroed (Click: undefined). */
	int64_t delta = (int64_t)q->off + n - p->off;
	memset(q->buf + q->off, 0, (size_t)delta - q->off);
	memcpy(q->buf + delta, p->buf, (size_t)p->off + p->len);
	q->len = p->len + n;
	q->mac_off = shift_hdr(p->mac_off, delta);
	q->ip_off = shift_hdr(p->ip_off, delta);
	q->ip_hlen = p->ip_hlen;
	q->pkt_type = p->pkt_type;
	memcpy(q->anno, p->anno, sizeof q->anno);
	q->tstamp_ns = p->tstamp_ns;
	q->first_tstamp_ns = p->first_tstamp_ns;
	pool_free(e->m, p);
	return q;
}

uint64_t rt_now(const struct rt_elem *e) { return e->m->now; }

uint32_t rt_random(struct rt_elem *e)
{
	uint64_t x = e->m->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	e->m->rng = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

void rt_timer_at(struct rt_elem *e, uint64_t when) { e->deadline = when; }

void rt_pull_wait(struct rt_elem *e, uint64_t when)
{
	if (when < e->m->hint)
		e->m->hint = when;
}

void rt_task_enable(struct rt_elem *e)
{
	e->task = true;
	e->deadline = 0;
}

void rt_task_timer(struct rt_elem *e, uint64_t when)
{
	e->task = false;
	e->deadline = when;
}

bool rt_upstream_holds(const struct rt_elem *e)
{
	return holds(e);
}

void rt_queued_add(struct rt_elem *e, int32_t delta)
{
	e->queued = (uint32_t)((int64_t)e->queued + delta);
	e->m->c.queued = (uint32_t)((int64_t)e->m->c.queued + delta);
}

void rt_log(struct rt_elem *e, const char *line)
{
	if (e->m->env.log)
		e->m->env.log(e->m->env.log_ctx, line);
}

uint32_t rt_flow_capacity(const struct rt_elem *e)
{
	return e->m->lim.flow_capacity ? e->m->lim.flow_capacity : RT_DEFAULT_FLOW_CAPACITY;
}

struct rt_flowquota *rt_flow_quota(const struct rt_elem *e) { return &e->m->flowq; }
