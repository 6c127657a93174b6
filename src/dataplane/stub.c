/* The dataplane without DPDK: the API exists, dp_start refuses with a
 * message saying why, everything else reports that nothing runs. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "base/fmt.h"
#include "dataplane/dataplane.h"

bool dp_available(void) { return false; }

void dp_config_init(struct dp_config *c)
{
	memset(c, 0, sizeof *c);
	c->idle_sleep_us = 50;
	c->answer_arp = true;
}

uint64_t dp_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int refuse(char *err, size_t errlen)
{
	fmt_err(err, errlen, "dataplane: this innet was built without DPDK "
	                     "(install dpdk-dev and libdpdk-dev, then meson setup -Ddpdk=enabled)");
	return -ENOTSUP;
}

int dp_eal_init(const struct dp_config *c, char *err, size_t errlen) { (void)c; return refuse(err, errlen); }

int dp_start(const struct dp_config *c, struct dp **out, char *err, size_t errlen)
{
	(void)c;
	*out = NULL;
	return refuse(err, errlen);
}

void dp_stop(struct dp *dp) { (void)dp; }

int dp_program_click(struct dp *dp, const struct click_graph *g, const struct rt_limits *lim,
                     bool take_graph, struct dp_program *out, struct diags *d)
{
	(void)dp; (void)g; (void)lim; (void)take_graph; (void)d;
	*out = (struct dp_program){0};
	return -ENOTSUP;
}

int dp_program_click_shared(struct dp *dp, const struct click_graph *g, const struct rt_limits *lim,
                            void (*release)(void *arg), void *arg, struct dp_program *out,
                            struct diags *d)
{
	(void)dp; (void)g; (void)lim; (void)release; (void)arg; (void)d;
	*out = (struct dp_program){0};
	return -ENOTSUP;
}

size_t dp_program_mem(const struct dp_program *prog) { (void)prog; return 0; }
struct rt_module *dp_program_module(const struct dp_program *prog) { (void)prog; return NULL; }
int dp_module_suspend(struct dp *dp, uint64_t id, uint32_t cookie) { (void)dp; (void)id; (void)cookie; return -ENOTCONN; }

int dp_module_add(struct dp *dp, uint64_t id, const struct dp_module_key *key, uint32_t cookie)
{
	(void)dp; (void)id; (void)key; (void)cookie;
	return -ENOTCONN;
}

int dp_module_run(struct dp *dp, uint64_t id, struct dp_program prog, uint32_t cookie)
{
	(void)dp; (void)id; (void)cookie;
	if (prog.ops && prog.ops->destroy)
		prog.ops->destroy(prog.self);
	return -ENOTCONN;
}

int dp_module_halt(struct dp *dp, uint64_t id, uint32_t cookie) { (void)dp; (void)id; (void)cookie; return -ENOTCONN; }
int dp_module_remove(struct dp *dp, uint64_t id, uint32_t cookie) { (void)dp; (void)id; (void)cookie; return -ENOTCONN; }
int dp_sync(struct dp *dp) { (void)dp; return -ENOTCONN; }
int dp_poll(struct dp *dp) { (void)dp; return 0; }

int dp_module_stats(const struct dp *dp, uint64_t id, struct dp_module_stats *st)
{
	(void)dp; (void)id; (void)st;
	return -ENOTCONN;
}

int dp_stats(const struct dp *dp, struct dp_stats *st) { (void)dp; (void)st; return -ENOTCONN; }
unsigned dp_lcores(const struct dp *dp) { (void)dp; return 0; }
int dp_module_lcore(const struct dp *dp, uint64_t id) { (void)dp; (void)id; return -ENOTCONN; }

int dp_lcore_stats(const struct dp *dp, unsigned worker, struct dp_lcore_stats *st)
{
	(void)dp; (void)worker; (void)st;
	return -ENOTCONN;
}

void dp_emit(struct dp_io *io, uint32_t device, struct rt_pkt *p) { (void)io; (void)device; (void)p; }
void dp_drop(struct dp_io *io, struct rt_pkt *p) { (void)io; (void)p; }
struct rt_pkt *dp_alloc_pkt(struct dp_io *io, uint32_t len) { (void)io; (void)len; return NULL; }
void dp_free_pkt(struct rt_pkt *p) { (void)p; }

int dp_process_link(struct dp *dp, uint64_t module_id, uint16_t tag, const char *netns, uint32_t ip,
                    char *err, size_t errlen)
{
	(void)dp; (void)module_id; (void)tag; (void)netns; (void)ip;
	return refuse(err, errlen);
}

int dp_process_unlink(struct dp *dp, uint64_t module_id) { (void)dp; (void)module_id; return -ENOTCONN; }
uint16_t dp_process_tag(const struct dp *dp, uint64_t module_id) { (void)dp; (void)module_id; return 0; }
