/* The control side of the fast path: EAL and ports, tables, the workers,
 * their command rings that publish modules, and the event rings that
 * report back. Control is the only writer of the tables the workers read
 * (cls, exact, addrs, tags): a worker never waits for another or for control. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <net/if.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_lpm.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_dev.h>

#include <uv.h>

#include "base/fmt.h"
#include "dataplane/internal.h"

#define CMD_RING 1024
#define EV_RING 4096
/* Steered packets in flight from one worker to another: a few bursts
 * more than an rx queue holds, so an owner that falls behind loses what
 * its own rx queue would have lost. */
#define STEER_RING 4096

bool dp_available(void) { return true; }

uint64_t dp_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void dp_config_init(struct dp_config *c)
{
	memset(c, 0, sizeof *c);
	c->idle_sleep_us = 50;
	c->answer_arp = true;
}

int dp__eal_argv(const struct dp_config *c, char *buf, size_t buflen, char **argv, int maxargs)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;
	unsigned lcore = c->lcore ? c->lcore : 1, nl = c->lcores ? c->lcores : 1;
	if (nl > DP_MAX_LCORES)
		return -EINVAL;
	/* main lcore 0 floats over every CPU so that innetd's loop and thread
	 * pool are not pinned; the fast path's lcores are pinned, the first on
	 * the last CPU, the next on the one before, and so on round the CPUs. */
	char map[512];
	size_t ml = 0;
	for (unsigned i = 0; i < nl; i++) {
		long cpu = ((ncpu - 1 - (long)i) % ncpu + ncpu) % ncpu;
		int k = snprintf(map + ml, sizeof map - ml, ",%u@%ld", lcore + i, cpu);
		if (k < 0 || (size_t)k >= sizeof map - ml)
			return -E2BIG;
		ml += (size_t)k;
	}
	/* Never let EAL take every PCI device of the host: probe only the
	 * PCI ports configured (vdevs are probed by dp_start), unless the
	 * caller's EAL arguments already say what to do. */
	char pci[256] = "--no-pci";
	const char *ea = c->eal_args ? c->eal_args : "--no-huge -m 256";
	if (strstr(ea, "--no-pci") || strstr(ea, "-a ") || strstr(ea, "--allow") || strstr(ea, "-b ") ||
	    strstr(ea, "--block")) {
		pci[0] = 0;
	} else {
		size_t used = 0;
		for (size_t i = 0; i < c->nports; i++) {
			const char *d = c->ports[i].devargs;
			if (!d || strncmp(d, "net_", 4) == 0 || strncmp(d, "eth_", 4) == 0)
				continue;
			int k = snprintf(pci + used, sizeof pci - used, "%s-a %.*s", used ? " " : "",
			                 (int)strcspn(d, ","), d);
			if (k < 0 || (size_t)k >= sizeof pci - used)
				return -E2BIG;
			used += (size_t)k;
		}
	}
	int n = snprintf(buf, buflen,
	                 "innetd%c--lcores%c0@(0-%ld)%s%c--no-telemetry%c--log-level%cwarning%c%s%c%s%c%s %s",
	                 0, 0, ncpu - 1, map, 0, 0, 0, 0,
	                 c->file_prefix ? "--file-prefix" : "--no-shconf", 0,
	                 c->file_prefix ? c->file_prefix : "", 0, ea, pci);
	if (n < 0 || (size_t)n >= buflen)
		return -E2BIG;
	int argc = 0;
	char *p = buf, *end = buf + n;
	/* the fixed part is NUL-separated; the caller's part is blank-separated */
	for (int i = 0; i < 8 && p <= end; i++) {
		if (*p && argc < maxargs - 1)
			argv[argc++] = p;
		p += strlen(p) + 1;
	}
	char *save = NULL;
	for (char *t = strtok_r(p <= end ? p : end, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
		if (argc >= maxargs - 1)
			return -E2BIG;
		argv[argc++] = t;
	}
	argv[argc] = NULL;
	return argc;
}

int dp_eal_init(const struct dp_config *c, char *err, size_t errlen)
{
	if (rte_lcore_count() > 0)
		return 0; /* EAL runs once per process */
	char buf[1024];
	char *argv[64];
	int argc = dp__eal_argv(c, buf, sizeof buf, argv, 64);
	if (argc < 0) {
		fmt_err(err, errlen, "dataplane: EAL arguments too long");
		return argc;
	}
	int r = rte_eal_init(argc, argv);
	if (r < 0) {
		int e = rte_errno;
		fmt_err(err, errlen, "dataplane: rte_eal_init failed: %s (arguments: %s)",
		        rte_strerror(e), c->eal_args ? c->eal_args : "--no-huge -m 256");
		return e == EALREADY ? 0 : -(e ? e : EINVAL);
	}
	return 0;
}

/* ---- ports --------------------------------------------------------------- */

/* One rx and one tx queue per worker where the driver has them (net_pcap:
 * one rx queue per rx_pcap=), and RSS where the port has it: the hash of
 * the destination address when the port can hash on it alone (one
 * tenant's packets on one queue), else of the IPv4 header. Some drivers
 * (net_tap) want as many rx as tx queues: then the fewer of both. */
static int port_queues(struct dp *dp, struct dp__port *pt)
{
	struct rte_eth_dev_info info;
	int r = rte_eth_dev_info_get(pt->id, &info);
	if (r < 0)
		return r;
	uint16_t nw = (uint16_t)dp->nworkers;
	uint16_t nrx = nw < info.max_rx_queues ? nw : info.max_rx_queues;
	uint16_t ntx = nw < info.max_tx_queues ? nw : info.max_tx_queues;
	nrx = nrx ? nrx : 1;
	ntx = ntx ? ntx : 1;
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof conf);
	uint64_t hf = info.flow_type_rss_offloads & RTE_ETH_RSS_IPV4;
	if (nrx > 1 && hf) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = hf | (info.flow_type_rss_offloads & RTE_ETH_RSS_L3_DST_ONLY);
	}
	r = rte_eth_dev_configure(pt->id, nrx, ntx, &conf);
	if (r < 0 && nrx != ntx) {
		nrx = ntx = nrx < ntx ? nrx : ntx;
		r = rte_eth_dev_configure(pt->id, nrx, ntx, &conf);
	}
	if (r < 0)
		return r;
	pt->nrxq = nrx;
	pt->ntxq = ntx;
	return 0;
}

static int port_open(struct dp *dp, struct dp__port *pt, const struct dp_port_config *pc,
                     char *err, size_t errlen)
{
	int r;
	if (pc->devargs) {
		const char *comma = strchr(pc->devargs, ',');
		size_t nl = comma ? (size_t)(comma - pc->devargs) : strlen(pc->devargs);
		if (nl == 0 || nl >= sizeof pt->name) {
			fmt_err(err, errlen, "dataplane: port '%s': no device name", pc->devargs);
			return -EINVAL;
		}
		memcpy(pt->name, pc->devargs, nl);
		pt->name[nl] = 0;
		r = rte_dev_probe(pc->devargs);
		if (r < 0) {
			fmt_err(err, errlen, "dataplane: port '%s': cannot create the device (%s)%s",
			        pc->devargs, strerror(-r),
			        strstr(pt->name, "af_packet") ? "; net_af_packet needs root and an existing interface" : "");
			return r;
		}
		pt->probed = true;
		if (rte_eth_dev_get_port_by_name(pt->name, &pt->id) != 0) {
			fmt_err(err, errlen, "dataplane: port '%s': no ethdev after probing", pc->devargs);
			return -ENODEV;
		}
	} else {
		if (!rte_eth_dev_is_valid_port(pc->port_id)) {
			fmt_err(err, errlen, "dataplane: port id %u does not exist", pc->port_id);
			return -ENODEV;
		}
		pt->id = pc->port_id;
		rte_eth_dev_get_name_by_port(pt->id, pt->name);
	}
	if ((r = port_queues(dp, pt)) < 0) {
		fmt_err(err, errlen, "dataplane: port %s: configure: %s", pt->name, strerror(-r));
		return r;
	}
	uint16_t nrx = 1024, ntx = 1024;
	rte_eth_dev_adjust_nb_rx_tx_desc(pt->id, &nrx, &ntx);
	int sock = rte_eth_dev_socket_id(pt->id);
	if (sock < 0)
		sock = 0;
	for (uint16_t q = 0; q < pt->nrxq; q++)
		if ((r = rte_eth_rx_queue_setup(pt->id, q, nrx, (unsigned)sock, NULL, dp->mp)) < 0)
			break;
	for (uint16_t q = 0; r >= 0 && q < pt->ntxq; q++)
		r = rte_eth_tx_queue_setup(pt->id, q, ntx, (unsigned)sock, NULL);
	if (r < 0) {
		fmt_err(err, errlen, "dataplane: port %s: queue setup: %s", pt->name, strerror(-r));
		return r;
	}
	rte_spinlock_init(&pt->txlock);
	if ((r = rte_eth_dev_start(pt->id)) < 0) {
		fmt_err(err, errlen, "dataplane: port %s: start: %s", pt->name, strerror(-r));
		return r;
	}
	rte_eth_promiscuous_enable(pt->id); /* not every vdev can; ignore */
	rte_eth_macaddr_get(pt->id, &pt->mac);
	return 0;
}

static void port_close(struct dp__port *pt)
{
	if (!pt->name[0])
		return;
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;
	if (rte_eth_dev_info_get(pt->id, &info) == 0)
		dev = info.device;
	rte_eth_dev_stop(pt->id);
	rte_eth_dev_close(pt->id);
	if (pt->probed && dev)
		rte_dev_remove(dev); /* so the same devargs can be probed again */
}

/* ---- events ---------------------------------------------------------------- */

static void finish_cmd(struct dp *dp, struct dp__cmd *c)
{
	struct dp__mod *m = c->mod;
	dp->w[m->owner]->outstanding--;
	struct dp_event ev = {.type = DP_EV_DONE, .module = m->id, .status = c->status,
	                      .cookie = c->cookie};
	if (c->type == DP__CMD_SUSPEND && dp->cfg.on_event)
		ev.prog = c->prog; /* the receiver's now */
	else if (c->prog.ops && c->prog.ops->destroy)
		c->prog.ops->destroy(c->prog.self); /* the fast path let go */
	if (c->type == DP__CMD_REMOVE)
		free(m);
	free(c);
	if (dp->cfg.on_event)
		dp->cfg.on_event(dp->cfg.event_arg, &ev);
}

static void finish_one(struct dp *dp, void *elem)
{
	finish_cmd(dp, *(struct dp__cmd **)elem);
}

static void deliver_event(struct dp *dp, void *elem)
{
	if (dp->cfg.on_event)
		dp->cfg.on_event(dp->cfg.event_arg, &((struct dp__ev *)elem)->ev);
}

/* At most POLL_MAX elements of one ring per call, a burst at a time, so
 * that a flood of new flows cannot hold the control loop: what is left
 * wakes the loop again. */
#define POLL_MAX 1024

static int drain_ring(struct dp *dp, struct rte_ring *r, unsigned esize, void (*each)(struct dp *, void *))
{
	_Static_assert(sizeof(struct dp__cmd *) <= sizeof(struct dp__ev), "the buffer holds either ring's elements");
	_Alignas(max_align_t) unsigned char buf[DP_MAX_BURST * sizeof(struct dp__ev)];
	int n = 0;
	unsigned k;
	while (n < POLL_MAX && (k = rte_ring_sc_dequeue_burst_elem(r, buf, esize, DP_MAX_BURST, NULL)) > 0) {
		for (unsigned i = 0; i < k; i++)
			each(dp, buf + (size_t)i * esize);
		n += (int)k;
	}
	return n;
}

int dp_poll(struct dp *dp)
{
	int n = 0;
	bool more = false;
	for (unsigned i = 0; i < dp->nworkers; i++) {
		struct dp__worker *w = dp->w[i];
		n += drain_ring(dp, w->done, sizeof(struct dp__cmd *), finish_one);
		n += drain_ring(dp, w->ev, sizeof(struct dp__ev), deliver_event);
		more |= !rte_ring_empty(w->done) || !rte_ring_empty(w->ev);
	}
	if (dp->async && more)
		uv_async_send(dp->async);
	return n;
}

static void on_async(uv_async_t *h)
{
	dp_poll(h->data);
}

static void free_handle(uv_handle_t *h) { free(h); }

/* ---- start / stop ---------------------------------------------------------- */

/* A worker's rings and what is still in its incoming steer rings. */
static void worker_free(struct dp__worker *w)
{
	if (!w)
		return;
	for (unsigned i = 0; i < DP_MAX_LCORES; i++) {
		struct dp__steer sv;
		while (w->in[i] && rte_ring_sc_dequeue_elem(w->in[i], &sv, sizeof sv) == 0)
			rte_pktmbuf_free(sv.mb);
		rte_ring_free(w->in[i]);
	}
	rte_ring_free(w->cmd);
	rte_ring_free(w->done);
	rte_ring_free(w->ev);
	free(w->timers);
	free(w->out);
	rte_free(w);
}

/* A single-producer, single-consumer ring named after its use, its two
 * ends and a per-process sequence (names are unique per process). */
static struct rte_ring *ring_named(const char *tag, unsigned a, unsigned b, unsigned esize, unsigned size)
{
	static unsigned seq;
	char name[RTE_RING_NAMESIZE];
	snprintf(name, sizeof name, "%s%x.%x.%x", tag, a, b, __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	return rte_ring_create_elem(name, esize, size, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
}

/* The workers, their rings and timer heaps; the steer rings of every
 * (from, to) pair when there are several. */
static int workers_create(struct dp *dp, char *err, size_t errlen)
{
	for (unsigned i = 0; i < dp->nworkers; i++) {
		struct dp__worker *w = rte_zmalloc("dp_worker", sizeof *w, RTE_CACHE_LINE_SIZE);
		if (!w)
			goto nomem;
		dp->w[i] = w;
		w->dp = dp;
		w->idx = i;
		w->lcore = dp->lcore + i;
		w->next_timer = UINT64_MAX;
		w->hold_total = (dp->cfg.hold_total + dp->nworkers - 1) / dp->nworkers;
		w->cmd = ring_named("dpr", i, 0, sizeof(void *), CMD_RING);
		w->done = ring_named("dpd", i, 0, sizeof(void *), CMD_RING);
		w->ev = ring_named("dpe", i, 0, sizeof(struct dp__ev), EV_RING);
		w->timers = calloc((size_t)dp->cfg.max_modules + 1, sizeof *w->timers);
		w->out = calloc(dp->nworkers, sizeof *w->out);
		if (!w->cmd || !w->done || !w->ev || !w->timers || !w->out)
			goto nomem;
	}
	for (unsigned to = 0; to < dp->nworkers; to++)
		for (unsigned from = 0; from < dp->nworkers && dp->nworkers > 1; from++) {
			if (from == to)
				continue;
			struct rte_ring *r = ring_named("dps", from, to, sizeof(struct dp__steer), STEER_RING);
			if (!r)
				goto nomem;
			dp->w[to]->in[from] = r;
			dp->w[from]->to[to] = r;
		}
	return 0;
nomem:
	fmt_err(err, errlen, "dataplane: cannot create the rings of %u workers (%s)", dp->nworkers,
	        rte_strerror(rte_errno));
	return -ENOMEM;
}

/* Each worker's tx buffer for each port, on its own queue when the port
 * has one per worker. */
static void workers_ports(struct dp *dp)
{
	for (unsigned i = 0; i < dp->nworkers; i++) {
		struct dp__worker *w = dp->w[i];
		for (uint32_t p = 0; p <= DP_MAX_PORTS; p++) {
			struct dp__port *pt = p < dp->nports ? &dp->ports[p] : p == DP_MAX_PORTS && dp->has_proc ? &dp->proc : NULL;
			if (!pt)
				continue;
			w->tx[p].pt = pt;
			w->tx[p].q = (uint16_t)(i % pt->ntxq);
			w->tx[p].shared = pt->ntxq < dp->nworkers;
		}
	}
}

static void dp_free(struct dp *dp)
{
	for (uint32_t i = 0; i < dp->nports; i++)
		port_close(&dp->ports[i]);
	if (dp->has_proc)
		port_close(&dp->proc); /* the kernel deletes the modules' macvlans on it */
	if (dp->ids) {
		/* free modules and programs that remain */
		const void *key;
		void *data;
		uint32_t it = 0;
		while (rte_hash_iterate(dp->ids, &key, &data, &it) >= 0) {
			struct dp__mod *m = data;
			for (uint32_t i = 0; i < m->nhold; i++)
				rte_pktmbuf_free(m->hold[i]);
			if (m->prog.ops && m->prog.ops->destroy)
				m->prog.ops->destroy(m->prog.self);
			if (m->ctl_tag)
				close(m->ctl_nsfd);
			free(m);
		}
	}
	for (unsigned i = 0; i < dp->nworkers; i++)
		worker_free(dp->w[i]);
	dp__cls_fini(&dp->cls);
	rte_hash_free(dp->exact);
	rte_hash_free(dp->addrs);
	rte_hash_free(dp->ids);
	rte_hash_free(dp->keys);
	rte_lpm_free(dp->lpm);
	rte_mempool_free(dp->mp);
	if (dp->async)
		uv_close((uv_handle_t *)dp->async, free_handle);
	free(dp->routes);
	free(dp);
}

/* shared: read by the workers while control writes it (lock-free
 * readers; a deleted key's slot is freed after a grace period). */
static struct rte_hash *mk_hash(struct dp *dp, const char *tag, uint32_t entries, uint32_t keylen, bool shared)
{
	char name[RTE_HASH_NAMESIZE];
	snprintf(name, sizeof name, "%s%lx", tag, (unsigned long)(uintptr_t)dp);
	struct rte_hash_parameters hp = {
		.name = name, .entries = entries < 8 ? 8 : entries, .key_len = keylen,
		.hash_func = rte_hash_crc, .hash_func_init_val = 0, .socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE | (shared ? RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF : 0),
	};
	return rte_hash_create(&hp);
}

/* What can be checked of c before the EAL is touched. */
static int config_check(const struct dp_config *c, char *err, size_t errlen)
{
	if (c->nports == 0 || c->nports > DP_MAX_PORTS) {
		fmt_err(err, errlen, "dataplane: between 1 and %d ports needed, %zu given",
		        DP_MAX_PORTS, c->nports);
		return -EINVAL;
	}
	for (size_t i = 0; i < c->nroutes; i++)
		if (c->routes[i].port >= c->nports) {
			fmt_err(err, errlen, "dataplane: route %zu uses port %u of %zu", i,
			        c->routes[i].port, c->nports);
			return -EINVAL;
		}
	if (c->lcores > DP_MAX_LCORES) {
		fmt_err(err, errlen, "dataplane: %u fast-path lcores, at most %d", c->lcores, DP_MAX_LCORES);
		return -EINVAL;
	}
	if (c->burst > DP_MAX_BURST) {
		fmt_err(err, errlen, "dataplane: burst %u is over %d", c->burst, DP_MAX_BURST);
		return -EINVAL;
	}
	return 0;
}

/* A dataplane with c's settings, the defaults where c leaves them 0, and
 * nothing opened yet; NULL when out of memory. */
static struct dp *alloc_with_defaults(const struct dp_config *c)
{
	struct dp *dp = calloc(1, sizeof *dp);
	if (!dp)
		return NULL;
	dp->cfg = *c;
	dp->cfg.ports = NULL;
	dp->cfg.routes = NULL;
	dp->cfg.process_port = NULL; /* the caller's string: dp->proc.name is ours */
	dp->burst = c->burst ? c->burst : 32;
	if (!dp->cfg.nb_mbufs) dp->cfg.nb_mbufs = 8191;
	if (!dp->cfg.max_modules) dp->cfg.max_modules = 131072;
	if (!dp->cfg.hold_packets) dp->cfg.hold_packets = 8;
	if (!dp->cfg.hold_total) dp->cfg.hold_total = 4096;
	dp->lcore = c->lcore ? c->lcore : 1;
	dp->nworkers = c->lcores ? c->lcores : 1;
	return dp;
}

/* The fast path's lcores are free workers of this EAL. */
static int lcore_check(const struct dp *dp, char *err, size_t errlen)
{
	for (unsigned i = 0; i < dp->nworkers; i++) {
		unsigned l = dp->lcore + i;
		if (l >= RTE_MAX_LCORE || !rte_lcore_is_enabled(l) || l == rte_get_main_lcore()) {
			fmt_err(err, errlen, "dataplane: lcore %u is not a worker lcore of this EAL%s", l,
			        i ? " (the EAL was made with fewer fast-path lcores than dp-lcores asks for)" : "");
			return -EINVAL;
		}
		if (rte_eal_get_lcore_state(l) != WAIT) {
			fmt_err(err, errlen, "dataplane: lcore %u is busy (another dataplane runs)", l);
			return -EBUSY;
		}
	}
	return 0;
}

static void cls_quiesce(void *dp)
{
	dp__quiesce(dp);
}

/* The mbuf pool, the module tables, the LPM and the rings, named after dp
 * so that two dataplanes in one process do not collide. */
static int tables_create(struct dp *dp, char *err, size_t errlen)
{
	char name[RTE_MEMZONE_NAMESIZE];
	snprintf(name, sizeof name, "dpm%lx", (unsigned long)(uintptr_t)dp);
	dp->mp = rte_pktmbuf_pool_create(name, dp->cfg.nb_mbufs, 256,
	                                 RTE_ALIGN(sizeof(struct rt_pkt), RTE_MBUF_PRIV_ALIGN),
	                                 RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!dp->mp) {
		fmt_err(err, errlen, "dataplane: no memory for %u mbufs (%s); raise -m or lower nb_mbufs",
		        dp->cfg.nb_mbufs, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	int cr = dp__cls_init(&dp->cls, dp->cfg.max_modules, cls_quiesce, dp);
	dp->exact = mk_hash(dp, "dpc", dp->cfg.max_modules, sizeof(struct dp__key), true);
	dp->keys = mk_hash(dp, "dpk", dp->cfg.max_modules, sizeof(struct dp__key), false);
	dp->ids = mk_hash(dp, "dpi", dp->cfg.max_modules, sizeof(uint64_t), false);
	dp->addrs = mk_hash(dp, "dpa", dp->cfg.max_modules, sizeof(uint32_t), true);
	snprintf(name, sizeof name, "dpl%lx", (unsigned long)(uintptr_t)dp);
	struct rte_lpm_config lc = {.max_rules = 1024, .number_tbl8s = 256};
	dp->lpm = rte_lpm_create(name, (int)rte_socket_id(), &lc);
	if (cr < 0 || !dp->exact || !dp->keys || !dp->ids || !dp->addrs || !dp->lpm) {
		fmt_err(err, errlen, "dataplane: cannot create tables for %u modules (%s)",
		        dp->cfg.max_modules, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

/* c's routes into the LPM, their next hops broadcast where none is known. */
static int routes_add(struct dp *dp, const struct dp_config *c, char *err, size_t errlen)
{
	dp->routes = calloc(c->nroutes ? c->nroutes : 1, sizeof *dp->routes);
	if (!dp->routes)
		return -ENOMEM;
	for (size_t i = 0; i < c->nroutes; i++) {
		dp->routes[i] = c->routes[i];
		static const uint8_t zero[6];
		if (memcmp(dp->routes[i].mac, zero, 6) == 0)
			memset(dp->routes[i].mac, 0xff, 6); /* no next hop known: broadcast */
		struct inet_prefix pf = c->routes[i].prefix;
		int e = 0;
		if (pf.len == 0) /* LPM depths are 1..32: a default route is two /1 */
			e = rte_lpm_add(dp->lpm, 0, 1, (uint32_t)i) | rte_lpm_add(dp->lpm, 0x80000000u, 1, (uint32_t)i);
		else
			e = rte_lpm_add(dp->lpm, pf.addr, pf.len, (uint32_t)i);
		if (e < 0) {
			fmt_err(err, errlen, "dataplane: route %zu cannot be added", i);
			return -EINVAL;
		}
	}
	dp->nroutes = (uint32_t)c->nroutes;
	return 0;
}

/* Every port of c, counted in dp->nports as it is opened so that dp_free
 * closes the ones that were. */
static int ports_open(struct dp *dp, const struct dp_config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->nports; i++) {
		int r = port_open(dp, &dp->ports[i], &c->ports[i], err, errlen);
		dp->nports = (uint32_t)i + 1;
		if (r < 0)
			return r;
	}
	return 0;
}

/* The process port: a TAP whose host side (c->process_port) carries one
 * macvlan per process module. */
static int proc_open(struct dp *dp, const struct dp_config *c, char *err, size_t errlen)
{
	static unsigned seq; /* vdev names are unique per process */
	if (strlen(c->process_port) >= IF_NAMESIZE) {
		fmt_err(err, errlen, "dataplane: process-port '%s': an interface name has at most %d characters",
		        c->process_port, IF_NAMESIZE - 1);
		return -EINVAL;
	}
	char devargs[128];
	snprintf(devargs, sizeof devargs, "net_tap_proc%u,iface=%s", seq++, c->process_port);
	struct dp_port_config pc = {.devargs = devargs};
	int r = port_open(dp, &dp->proc, &pc, err, errlen);
	dp->has_proc = dp->proc.name[0] != 0; /* dp_free closes what was opened */
	if (r < 0)
		return r;
	dp->ctl_proc_ifindex = (int)if_nametoindex(c->process_port);
	if (!dp->ctl_proc_ifindex) {
		fmt_err(err, errlen, "dataplane: process-port '%s': no such interface after creating it",
		        c->process_port);
		return -ENODEV;
	}
	return 0;
}

/* The handle through which the fast path wakes the loop's thread. */
static int async_init(struct dp *dp, uv_loop_t *loop)
{
	dp->async = malloc(sizeof *dp->async);
	if (!dp->async || uv_async_init(loop, dp->async, on_async) != 0) {
		free(dp->async);
		dp->async = NULL;
		return -ENOMEM;
	}
	dp->async->data = dp;
	return 0;
}

static void stop_workers(struct dp *dp)
{
	__atomic_store_n(&dp->stop, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < dp->nlaunched; i++)
		rte_eal_wait_lcore(dp->w[i]->lcore);
}

int dp_start(const struct dp_config *c, struct dp **out, char *err, size_t errlen)
{
	*out = NULL;
	int r = config_check(c, err, errlen);
	if (r < 0)
		return r;
	r = dp_eal_init(c, err, errlen);
	if (r < 0)
		return r;
	struct dp *dp = alloc_with_defaults(c);
	if (!dp)
		return -ENOMEM;
	r = lcore_check(dp, err, errlen);
	if (r < 0) {
		free(dp);
		return r;
	}
	if ((r = tables_create(dp, err, errlen)) < 0 || (r = workers_create(dp, err, errlen)) < 0 ||
	    (r = routes_add(dp, c, err, errlen)) < 0 ||
	    (r = ports_open(dp, c, err, errlen)) < 0 ||
	    (c->process_port && c->process_port[0] && (r = proc_open(dp, c, err, errlen)) < 0) ||
	    (c->loop && (r = async_init(dp, c->loop)) < 0))
		goto cleanup;
	workers_ports(dp);
	for (; dp->nlaunched < dp->nworkers; dp->nlaunched++) {
		struct dp__worker *w = dp->w[dp->nlaunched];
		if ((r = rte_eal_remote_launch(dp__fast_main, w, w->lcore)) != 0) {
			fmt_err(err, errlen, "dataplane: cannot launch lcore %u: %s", w->lcore, strerror(-r));
			goto cleanup;
		}
	}
	*out = dp;
	return 0;
cleanup:
	stop_workers(dp);
	dp_free(dp);
	return r;
}

void dp_stop(struct dp *dp)
{
	if (!dp)
		return;
	stop_workers(dp);
	for (unsigned i = 0; i < dp->nlaunched; i++) {
		struct dp__worker *w = dp->w[i];
		/* commands the fast path finished but we have not seen yet */
		void *ptr;
		while (rte_ring_sc_dequeue(w->done, &ptr) == 0)
			finish_cmd(dp, ptr);
		/* commands it never saw */
		while (rte_ring_sc_dequeue(w->cmd, &ptr) == 0) {
			struct dp__cmd *cm = ptr;
			if (cm->type == DP__CMD_REMOVE) {
				/* gone from the id table already: free what it holds here */
				struct dp__mod *m = cm->mod;
				for (uint32_t h = 0; h < m->nhold; h++)
					rte_pktmbuf_free(m->hold[h]);
				if (m->prog.ops && m->prog.ops->destroy)
					m->prog.ops->destroy(m->prog.self);
				free(m);
			}
			else if (cm->type == DP__CMD_RUN && cm->prog.ops && cm->prog.ops->destroy)
				cm->prog.ops->destroy(cm->prog.self);
			free(cm);
		}
	}
	dp_free(dp);
}

/* ---- commands -------------------------------------------------------------- */

struct dp__cmd *dp__cmd_new(enum dp__cmd_type type, struct dp__mod *m)
{
	struct dp__cmd *c = calloc(1, sizeof *c);
	if (c)
		*c = (struct dp__cmd){.type = type, .mod = m};
	return c;
}

static int send_cmd(struct dp *dp, enum dp__cmd_type type, struct dp__mod *m,
                    struct dp_program prog, uint32_t cookie)
{
	struct dp__cmd *c = dp__cmd_new(type, m);
	if (!c)
		return -ENOMEM;
	c->prog = prog;
	c->cookie = cookie;
	return dp__cmd_send(dp, c);
}

int dp__cmd_send(struct dp *dp, struct dp__cmd *c)
{
	/* to the module's owner; at most as many in flight as its done ring
	 * holds, so it can always acknowledge */
	struct dp__worker *w = dp->w[c->mod->owner];
	while (w->outstanding >= CMD_RING - 1 || rte_ring_sp_enqueue(w->cmd, c) != 0) {
		/* the worker is behind: collect what it finished, then retry */
		if (dp_poll(dp) == 0)
			usleep(50);
	}
	w->outstanding++;
	return 0;
}

/* A worker is past what it read before our writes once it finished the
 * turn it was in, or when it is parked in its idle sleep: it parks after a
 * turn and unparks before the next, and the seq_cst fence and flag order
 * our writes before any read of a turn that starts after we saw it parked. */
void dp__quiesce(struct dp *dp)
{
	uint64_t seen[DP_MAX_LCORES];
	if (__atomic_load_n(&dp->stop, __ATOMIC_ACQUIRE))
		return; /* the workers are gone: nobody reads */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < dp->nworkers; i++)
		seen[i] = __atomic_load_n(&dp->w[i]->turns, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < dp->nworkers; i++)
		while (__atomic_load_n(&dp->w[i]->turns, __ATOMIC_ACQUIRE) == seen[i] &&
		       !__atomic_load_n(&dp->w[i]->parked, __ATOMIC_SEQ_CST))
			rte_pause();
}

/* Placement by load. Control samples each worker's delivered packets at
 * most every PLACE_SAMPLE_NS, when a module is placed, into a rate that
 * halves the weight of older windows. A new module goes to the worker
 * with the lowest rate; rates closer than PLACE_SAME_PPS or a tenth of
 * the larger count as equal, and then the fewest modules wins, the lowest
 * index on a tie (so, with no traffic, modules go round). Until the next
 * sample the chosen worker is charged an average module's rate, so that
 * a burst of deploys spreads. A module stays where it was put (moving it
 * would mean handing its state over). */
enum { PLACE_SAMPLE_NS = 100 * 1000 * 1000, PLACE_SAME_PPS = 1000 };

static void sample_load(struct dp *dp)
{
	uint64_t now = dp_now_ns();
	if (dp->ctl_load_ns && now - dp->ctl_load_ns < PLACE_SAMPLE_NS)
		return;
	double dt = dp->ctl_load_ns ? (double)(now - dp->ctl_load_ns) / 1e9 : 0;
	for (unsigned i = 0; i < dp->nworkers; i++) {
		struct dp__worker *w = dp->w[i];
		uint64_t d = DP__LOAD(w->delivered);
		double rate = dt > 0 ? (double)(d - w->ctl_delivered) / dt : 0;
		w->ctl_delivered = d;
		w->ctl_rate = (w->ctl_rate + rate) / 2;
	}
	dp->ctl_load_ns = now;
}

static bool less_loaded(const struct dp__worker *a, const struct dp__worker *b)
{
	double hi = a->ctl_rate > b->ctl_rate ? a->ctl_rate : b->ctl_rate;
	double diff = a->ctl_rate > b->ctl_rate ? a->ctl_rate - b->ctl_rate : b->ctl_rate - a->ctl_rate;
	if (diff > PLACE_SAME_PPS && diff > hi / 10)
		return a->ctl_rate < b->ctl_rate;
	return a->ctl_nmods < b->ctl_nmods;
}

static unsigned place(struct dp *dp)
{
	sample_load(dp);
	unsigned best = 0;
	double total = 0;
	uint64_t nmods = 0;
	for (unsigned i = 0; i < dp->nworkers; i++) {
		total += dp->w[i]->ctl_rate;
		nmods += dp->w[i]->ctl_nmods;
		if (i && less_loaded(dp->w[i], dp->w[best]))
			best = i;
	}
	if (nmods)
		dp->w[best]->ctl_rate += total / (double)nmods;
	return best;
}

/* The ARP table's count of modules at an address (control writes, the
 * workers read it lock-free). Returns the key's slot to free after a
 * grace period when the count reached 0, else -1. */
static int32_t addr_ref(struct dp *dp, uint32_t addr, int delta)
{
	void *data = NULL;
	uintptr_t n = 0;
	if (rte_hash_lookup_data(dp->addrs, &addr, &data) >= 0)
		n = (uintptr_t)data;
	n = (uintptr_t)((intptr_t)n + delta);
	if (n == 0)
		return rte_hash_del_key(dp->addrs, &addr);
	rte_hash_add_key_data(dp->addrs, &addr, (void *)n);
	return -1;
}

struct dp__mod *dp__find(const struct dp *dp, uint64_t id)
{
	void *data;
	if (rte_hash_lookup_data(dp->ids, &id, &data) < 0)
		return NULL;
	return data;
}

/* k's module into the classifier: an address-only key into the address
 * table, an exact key into dp->exact with its address's flag set first (a
 * flag without a key only costs a lookup that misses). */
static int classify_add(struct dp *dp, const struct dp__key *k, struct dp__mod *m)
{
	if (!k->port)
		return dp__cls_add(&dp->cls, k->addr, dp__tagged(m, m->owner));
	int r = dp__cls_add_exact(&dp->cls, k->addr);
	if (r < 0)
		return r;
	if (rte_hash_add_key_data(dp->exact, k, dp__tagged(m, m->owner)) < 0) {
		dp__cls_del_exact(&dp->cls, k->addr);
		return -ENOSPC;
	}
	return 0;
}

int dp_module_add(struct dp *dp, uint64_t id, const struct dp_module_key *key, uint32_t cookie)
{
	if (!dp)
		return -ENOTCONN;
	/* the classifier tries (addr, proto, port) then (addr): a proto without
	 * a port would never match */
	if (key->addr == 0 || (key->port && !key->proto) || (key->proto && !key->port))
		return -EINVAL;
	if (dp__find(dp, id))
		return -EEXIST;
	struct dp__key k = {.addr = key->addr, .port = key->port, .proto = key->proto};
	if (rte_hash_lookup(dp->keys, &k) >= 0)
		return -EADDRINUSE;
	if (dp->nmods >= dp->cfg.max_modules)
		return -ENOSPC;
	size_t msz = RTE_ALIGN_CEIL(sizeof(struct dp__mod) + dp->cfg.hold_packets * sizeof(struct rte_mbuf *),
	                            RTE_CACHE_LINE_SIZE);
	struct dp__mod *m = aligned_alloc(RTE_CACHE_LINE_SIZE, msz); /* hot fields in one line */
	if (!m)
		return -ENOMEM;
	memset(m, 0, msz);
	m->id = id;
	m->key = *key;
	m->owner = place(dp);
	m->io.dp = dp;
	m->io.mod = m;
	m->io.w = dp->w[m->owner];
	m->deadline = UINT64_MAX;
	m->state = DP_MOD_DEPLOYED;
	if (rte_hash_add_key_data(dp->ids, &id, m) < 0) {
		free(m);
		return -ENOSPC;
	}
	if (rte_hash_add_key_data(dp->keys, &k, m) < 0) {
		rte_hash_del_key(dp->ids, &id);
		free(m);
		return -ENOSPC;
	}
	/* the module is whole before the workers can find it (both tables
	 * publish with a release) */
	int cr = classify_add(dp, &k, m);
	if (cr < 0) {
		rte_hash_del_key(dp->keys, &k);
		rte_hash_del_key(dp->ids, &id);
		free(m);
		return cr == -ENOMEM ? -ENOMEM : -ENOSPC;
	}
	addr_ref(dp, k.addr, 1);
	/* the ADD's acknowledgement comes from the owner, after any command
	 * sent before it */
	int r = send_cmd(dp, DP__CMD_ADD, m, (struct dp_program){0}, cookie);
	if (r < 0)
		return r; /* never: send_cmd waits for room */
	dp->w[m->owner]->ctl_nmods++;
	dp->nmods++;
	return 0;
}

int dp_module_run(struct dp *dp, uint64_t id, struct dp_program prog, uint32_t cookie)
{
	struct dp__mod *m = dp ? dp__find(dp, id) : NULL;
	int r = !dp ? -ENOTCONN : !m ? -ENOENT : m->running ? -EALREADY : !prog.ops || !prog.ops->push ? -EINVAL : 0;
	if (r == 0)
		r = send_cmd(dp, DP__CMD_RUN, m, prog, cookie);
	if (r < 0) {
		if (prog.ops && prog.ops->destroy)
			prog.ops->destroy(prog.self);
		return r;
	}
	m->running = true;
	dp->nrunning++;
	return 0;
}

int dp_module_halt(struct dp *dp, uint64_t id, uint32_t cookie)
{
	struct dp__mod *m = dp ? dp__find(dp, id) : NULL;
	if (!m)
		return dp ? -ENOENT : -ENOTCONN;
	int r = send_cmd(dp, DP__CMD_HALT, m, (struct dp_program){0}, cookie);
	if (r == 0 && m->running) {
		m->running = false;
		dp->nrunning--;
	}
	return r;
}

int dp_module_suspend(struct dp *dp, uint64_t id, uint32_t cookie)
{
	struct dp__mod *m = dp ? dp__find(dp, id) : NULL;
	if (!m)
		return dp ? -ENOENT : -ENOTCONN;
	int r = send_cmd(dp, DP__CMD_SUSPEND, m, (struct dp_program){0}, cookie);
	if (r == 0 && m->running) {
		m->running = false;
		dp->nrunning--;
	}
	return r;
}

int dp_module_remove(struct dp *dp, uint64_t id, uint32_t cookie)
{
	struct dp__mod *m = dp ? dp__find(dp, id) : NULL;
	if (!m)
		return dp ? -ENOENT : -ENOTCONN;
	if (m->ctl_tag)
		dp_process_unlink(dp, id);
	struct dp__key k = {.addr = m->key.addr, .port = m->key.port, .proto = m->key.proto};
	/* out of the classifier, then wait until no worker is in a turn that
	 * may have found it: from then on every packet for it is in its
	 * owner's hands or rings, and the REMOVE drains those rings first */
	int32_t cpos = -1;
	uint32_t slot = 0;
	if (k.port) {
		cpos = rte_hash_del_key(dp->exact, &k);
		dp__cls_del_exact(&dp->cls, k.addr);
	} else {
		slot = dp__cls_del(&dp->cls, k.addr);
	}
	int32_t apos = addr_ref(dp, k.addr, -1);
	dp__quiesce(dp);
	if (cpos >= 0)
		rte_hash_free_key_with_position(dp->exact, cpos);
	dp__cls_slot_free(&dp->cls, slot);
	if (apos >= 0)
		rte_hash_free_key_with_position(dp->addrs, apos);
	int r = send_cmd(dp, DP__CMD_REMOVE, m, (struct dp_program){0}, cookie);
	if (r < 0)
		return r;
	rte_hash_del_key(dp->ids, &id);
	rte_hash_del_key(dp->keys, &k);
	dp->w[m->owner]->ctl_nmods--;
	dp->nmods--;
	if (m->running)
		dp->nrunning--;
	return 0;
}

static uint64_t outstanding(const struct dp *dp)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < dp->nworkers; i++)
		n += dp->w[i]->outstanding;
	return n;
}

int dp_sync(struct dp *dp)
{
	if (!dp)
		return -ENOTCONN;
	while (outstanding(dp) > 0)
		if (dp_poll(dp) == 0)
			usleep(20);
	dp_poll(dp);
	return 0;
}

int dp_module_stats(const struct dp *dp, uint64_t id, struct dp_module_stats *st)
{
	struct dp__mod *m = dp ? dp__find(dp, id) : NULL;
	if (!m)
		return dp ? -ENOENT : -ENOTCONN;
	st->state = DP__LOAD(m->state);
	st->rx_packets = DP__LOAD(m->rx_packets);
	st->rx_bytes = DP__LOAD(m->rx_bytes);
	st->tx_packets = DP__LOAD(m->tx_packets);
	st->tx_bytes = DP__LOAD(m->tx_bytes);
	st->drops = DP__LOAD(m->drops);
	st->held = DP__LOAD(m->held);
	st->hold_drops = DP__LOAD(m->hold_drops);
	st->last_rx_ns = DP__LOAD(m->last_rx_ns);
	st->mem_bytes = DP__LOAD(m->mem);
	st->queued = DP__LOAD(m->queued);
	st->proc_tag = m->ctl_tag;
	st->proc_to_packets = DP__LOAD(m->proc_to);
	st->proc_from_packets = DP__LOAD(m->proc_from);
	st->proc_drops = DP__LOAD(m->proc_drops);
	return 0;
}

int dp_stats(const struct dp *dp, struct dp_stats *st)
{
	if (!dp)
		return -ENOTCONN;
	memset(st, 0, sizeof *st);
	for (unsigned i = 0; i < dp->nworkers; i++) {
		const struct dp__worker *w = dp->w[i];
		st->rx_packets += DP__LOAD(w->rx_packets);
		st->tx_packets += DP__LOAD(w->tx_packets);
		st->unclassified += DP__LOAD(w->unclassified);
		st->not_ipv4 += DP__LOAD(w->not_ipv4);
		st->no_route += DP__LOAD(w->no_route);
		st->arp_replies += DP__LOAD(w->arp_replies);
		st->held_now += DP__LOAD(w->held_now);
		st->proc_to_packets += DP__LOAD(w->proc_to);
		st->proc_from_packets += DP__LOAD(w->proc_from);
		st->proc_unknown_tag += DP__LOAD(w->proc_unknown);
		st->proc_not_running += DP__LOAD(w->proc_not_running);
		st->proc_drops += DP__LOAD(w->proc_drops);
	}
	for (uint32_t i = 0; i < dp->nports; i++)
		st->tx_drops += DP__LOAD(dp->ports[i].tx_drops);
	st->modules = dp->nmods;
	st->running = dp->nrunning;
	if (dp->has_proc)
		st->proc_drops += DP__LOAD(dp->proc.tx_drops);
	st->proc_links = dp->ctl_nlinks;
	st->process_port = dp->has_proc;
	return 0;
}

unsigned dp_lcores(const struct dp *dp)
{
	return dp ? dp->nworkers : 0;
}

int dp_module_lcore(const struct dp *dp, uint64_t id)
{
	const struct dp__mod *m = dp ? dp__find(dp, id) : NULL;
	if (!m)
		return dp ? -ENOENT : -ENOTCONN;
	return (int)m->owner;
}

int dp_lcore_stats(const struct dp *dp, unsigned worker, struct dp_lcore_stats *st)
{
	if (!dp)
		return -ENOTCONN;
	if (worker >= dp->nworkers)
		return -EINVAL;
	const struct dp__worker *w = dp->w[worker];
	*st = (struct dp_lcore_stats){
		.lcore = w->lcore,
		.modules = w->ctl_nmods,
		.rx_packets = DP__LOAD(w->rx_packets),
		.delivered = DP__LOAD(w->delivered),
		.steered_out = DP__LOAD(w->steered_out),
		.steered_in = DP__LOAD(w->steered_in),
		.steer_drops = DP__LOAD(w->steer_drops),
	};
	return 0;
}
