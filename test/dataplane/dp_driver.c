/* innet-dp-driver: the platform half of innetd, alone, for packet tests and
 * demos: starts the fast path on the given ports, deploys modules at
 * addresses of a snapshot platform's pool through the module manager
 * (native backend), and reports what happens as JSON lines on stdout.
 *
 *   innet-dp-driver --port DEVARGS... --route PREFIX=PORT[@MAC]...
 *       --snapshot FILE --platform NAME
 *       --module NAME:TENANT:PROTO:PORT:FILE[:stateful]...
 *       [--idle-ms N] [--file-prefix P] [--lcore N] [--lcores N] [--process-port IFACE]
 *
 * PROTO is udp, tcp or any (PORT 0: any). Stdin takes commands, one per
 * line: "stats" prints every module's state and counters; "link ID NETNS"
 * joins module ID to a program in /run/netns/NETNS on the process port
 * (dp_process_link, at the module's address) and "unlink ID" undoes it;
 * "quit" (or end of input) stops. Exit 77 when the build has no DPDK (meson's skip code). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "base/diag.h"
#include "base/inet.h"
#include "snapshot/snapshot.h"
#include "vm/vm.h"

#define MAXP 8
#define MAXM 64

struct mod {
	uint64_t id;
	char *name;
	struct vm_module_spec spec;
	char addr[16];
	enum vm_state last;
	uint64_t starts_seen;
};

static struct {
	struct vm_mgr *mgr;
	struct mod mods[MAXM];
	int nmods;
	uv_loop_t *loop;
	uv_pipe_t in;
	uv_timer_t watch;
	char line[256];
	size_t nline;
} G;

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	if (b) {
		b[n] = 0;
		*len = (size_t)n;
	}
	return b;
}

static void print_stats(void)
{
	for (int i = 0; i < G.nmods; i++) {
		struct vm_module_info in;
		if (vm_module_info(G.mgr, G.mods[i].id, &in) < 0)
			continue;
		printf("{\"event\":\"stats\",\"id\":%llu,\"name\":\"%s\",\"state\":\"%s\",\"starts\":%llu,"
		       "\"stops\":%llu,\"refused\":%llu,\"failed\":%llu,\"start_us\":%.1f,\"rx\":%llu,"
		       "\"tx\":%llu,\"drops\":%llu,\"held\":%llu,\"hold_drops\":%llu,\"queued\":%llu,"
		       "\"mem\":%llu,\"proc_tag\":%u,\"proc_to\":%llu,\"proc_from\":%llu,\"proc_drops\":%llu}\n",
		       (unsigned long long)G.mods[i].id, G.mods[i].name, vm_state_name(in.state),
		       (unsigned long long)in.starts, (unsigned long long)in.stops,
		       (unsigned long long)in.refused_starts, (unsigned long long)in.failed_starts,
		       in.last_start_ns / 1e3, (unsigned long long)in.dp.rx_packets,
		       (unsigned long long)in.dp.tx_packets, (unsigned long long)in.dp.drops,
		       (unsigned long long)in.dp.held, (unsigned long long)in.dp.hold_drops,
		       (unsigned long long)in.dp.queued, (unsigned long long)in.dp.mem_bytes,
		       in.dp.proc_tag, (unsigned long long)in.dp.proc_to_packets,
		       (unsigned long long)in.dp.proc_from_packets, (unsigned long long)in.dp.proc_drops);
	}
	struct dp_stats ds;
	if (dp_stats(vm_native_dp(vm_mgr_backend(G.mgr)), &ds) == 0)
		printf("{\"event\":\"dpstats\",\"rx\":%llu,\"tx\":%llu,\"unclassified\":%llu,"
		       "\"not_ipv4\":%llu,\"no_route\":%llu,\"arp_replies\":%llu,\"tx_drops\":%llu,"
		       "\"proc_to\":%llu,\"proc_from\":%llu,\"proc_unknown_tag\":%llu,\"proc_not_running\":%llu,"
		       "\"proc_drops\":%llu,\"proc_links\":%llu}\n",
		       (unsigned long long)ds.rx_packets, (unsigned long long)ds.tx_packets,
		       (unsigned long long)ds.unclassified, (unsigned long long)ds.not_ipv4,
		       (unsigned long long)ds.no_route, (unsigned long long)ds.arp_replies,
		       (unsigned long long)ds.tx_drops, (unsigned long long)ds.proc_to_packets,
		       (unsigned long long)ds.proc_from_packets, (unsigned long long)ds.proc_unknown_tag,
		       (unsigned long long)ds.proc_not_running, (unsigned long long)ds.proc_drops,
		       (unsigned long long)ds.proc_links);
	struct dp *dp = vm_native_dp(vm_mgr_backend(G.mgr));
	struct dp_lcore_stats ls;
	for (unsigned i = 0; dp_lcore_stats(dp, i, &ls) == 0; i++)
		printf("{\"event\":\"stats\",\"name\":\"lcore%u\",\"lcore\":%u,\"modules\":%llu,\"rx\":%llu,"
		       "\"delivered\":%llu,\"steered_out\":%llu,\"steered_in\":%llu,\"steer_drops\":%llu}\n", i,
		       ls.lcore, (unsigned long long)ls.modules, (unsigned long long)ls.rx_packets,
		       (unsigned long long)ls.delivered, (unsigned long long)ls.steered_out,
		       (unsigned long long)ls.steered_in, (unsigned long long)ls.steer_drops);
	printf("{\"event\":\"end-stats\"}\n");
	fflush(stdout);
}

/* Report state changes (the manager has no callbacks: poll it). */
static void on_watch(uv_timer_t *t)
{
	(void)t;
	for (int i = 0; i < G.nmods; i++) {
		struct vm_module_info in;
		if (vm_module_info(G.mgr, G.mods[i].id, &in) < 0)
			continue;
		if (in.starts != G.mods[i].starts_seen) {
			G.mods[i].starts_seen = in.starts;
			printf("{\"event\":\"started\",\"id\":%llu,\"start_us\":%.1f}\n",
			       (unsigned long long)G.mods[i].id, in.last_start_ns / 1e3);
		}
		if (in.state != G.mods[i].last) {
			printf("{\"event\":\"state\",\"id\":%llu,\"state\":\"%s\"}\n",
			       (unsigned long long)G.mods[i].id, vm_state_name(in.state));
			G.mods[i].last = in.state;
		}
	}
	fflush(stdout);
}

/* "link ID NETNS" / "unlink ID" */
static void do_link(const char *line)
{
	struct dp *dp = vm_native_dp(vm_mgr_backend(G.mgr));
	unsigned long long id = 0;
	char ns[128] = "";
	char err[256] = "";
	int r;
	if (sscanf(line, "link %llu %127s", &id, ns) == 2) {
		uint32_t addr = 0;
		for (int i = 0; i < G.nmods; i++)
			if (G.mods[i].id == id)
				addr = G.mods[i].spec.key.addr;
		uint64_t t0 = dp_now_ns();
		r = dp_process_link(dp, id, 0, ns, addr, err, sizeof err);
		printf("{\"event\":\"link\",\"id\":%llu,\"status\":%d,\"tag\":%d,\"us\":%.1f,\"err\":\"%s\"}\n",
		       id, r < 0 ? r : 0, r < 0 ? 0 : r, (double)(dp_now_ns() - t0) / 1e3, err);
	} else if (sscanf(line, "unlink %llu", &id) == 1) {
		r = dp_process_unlink(dp, id);
		printf("{\"event\":\"unlink\",\"id\":%llu,\"status\":%d}\n", id, r);
	}
	fflush(stdout);
}

static void on_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
	(void)h;
	static char buf[1024];
	b->base = buf;
	b->len = sz < sizeof buf ? sz : sizeof buf;
}

static void stop_all(void)
{
	uv_read_stop((uv_stream_t *)&G.in);
	uv_timer_stop(&G.watch);
	uv_close((uv_handle_t *)&G.in, NULL);
	uv_close((uv_handle_t *)&G.watch, NULL);
	vm_mgr_free(G.mgr); /* closes its own handles */
	G.mgr = NULL;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	(void)s;
	if (n < 0) {
		stop_all();
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		char c = b->base[i];
		if (c != '\n') {
			if (G.nline < sizeof G.line - 1)
				G.line[G.nline++] = c;
			continue;
		}
		G.line[G.nline] = 0;
		G.nline = 0;
		if (strcmp(G.line, "stats") == 0) {
			on_watch(NULL);
			print_stats();
		} else if (strncmp(G.line, "link ", 5) == 0 || strncmp(G.line, "unlink ", 7) == 0) {
			do_link(G.line);
		} else if (strcmp(G.line, "quit") == 0) {
			stop_all();
			return;
		}
	}
}

static int usage(const char *why)
{
	fprintf(stderr, "innet-dp-driver: %s\n", why);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		printf("usage: innet-dp-driver --port DEVARGS... --route PREFIX=PORT[@MAC]...\n"
		       "         --snapshot FILE --platform NAME\n"
		       "         --module NAME:TENANT:udp|tcp|any:PORT:FILE[:stateful]...\n"
		       "         [--idle-ms N] [--file-prefix P] [--lcore N] [--lcores N] [--process-port IFACE]\n"
		       "stdin: 'stats' prints counters, 'link ID NETNS' / 'unlink ID' join a module to a\n"
		       "program's namespace on the process port, 'quit' stops; events are JSON lines on stdout\n");
		return 0;
	}
	if (!dp_available()) {
		fprintf(stderr, "innet-dp-driver: built without DPDK, nothing to test\n");
		return 77;
	}
	struct dp_port_config ports[MAXP];
	struct dp_route routes[16];
	size_t np = 0, nr = 0;
	const char *snap = NULL, *platform = NULL;
	char *modargs[MAXM];
	int nm = 0;
	struct dp_config c;
	dp_config_init(&c);
	struct vm_config vc;
	vm_config_init(&vc);
	vc.idle_ms = 2000;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return usage("option without value");
		i++;
		if (strcmp(a, "--port") == 0 && np < MAXP) {
			ports[np++] = (struct dp_port_config){.devargs = v};
		} else if (strcmp(a, "--route") == 0 && nr < 16) {
			char e[256];
			if (dp_parse_route(v, &routes[nr], e, sizeof e) < 0)
				return usage(e);
			nr++;
		} else if (strcmp(a, "--snapshot") == 0) {
			snap = v;
		} else if (strcmp(a, "--platform") == 0) {
			platform = v;
		} else if (strcmp(a, "--module") == 0 && nm < MAXM) {
			modargs[nm++] = strdup(v);
		} else if (strcmp(a, "--idle-ms") == 0) {
			vc.idle_ms = (uint32_t)atoi(v);
		} else if (strcmp(a, "--file-prefix") == 0) {
			c.file_prefix = v;
		} else if (strcmp(a, "--process-port") == 0) {
			c.process_port = v;
		} else if (strcmp(a, "--lcore") == 0) {
			c.lcore = (unsigned)atoi(v);
		} else if (strcmp(a, "--lcores") == 0) {
			c.lcores = (unsigned)atoi(v);
		} else {
			return usage("unknown option");
		}
	}
	if (!snap || !platform || !np)
		return usage("--snapshot, --platform and --port are required");
	size_t len;
	char *json = slurp(snap, &len);
	if (!json)
		return usage("cannot read the snapshot");
	struct diags d;
	diags_init(&d);
	struct snapshot *s;
	if (snapshot_parse(json, len, &s, &d) < 0) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s: %s\n", snap, d.v[i].msg);
		return 1;
	}
	int pi = snapshot_find(s, platform);
	if (pi < 0 || s->nodes[pi].type != SNAP_PLATFORM)
		return usage("no such platform in the snapshot");
	struct inet_prefix pool = s->nodes[pi].pool;
	uint32_t next = pool.addr + 1;
	if (next == s->nodes[pi].address)
		next++;

	G.loop = uv_default_loop();
	c.ports = ports;
	c.nports = np;
	c.routes = routes;
	c.nroutes = nr;
	c.loop = G.loop;
	vc.loop = G.loop;
	vc.tick_ms = 50;
	char err[512];
	struct vm_backend *be;
	int r = vm_native_new(&c, &be, err, sizeof err);
	if (r < 0) {
		fprintf(stderr, "innet-dp-driver: %s\n", err);
		return 1;
	}
	if (vm_mgr_new(&vc, be, &G.mgr) < 0)
		return 1;
	for (int i = 0; i < nm; i++) {
		char *f[6] = {0};
		int k = 0;
		for (char *save = NULL, *t = strtok_r(modargs[i], ":", &save); t && k < 6;
		     t = strtok_r(NULL, ":", &save))
			f[k++] = t;
		if (k < 5)
			return usage("--module NAME:TENANT:PROTO:PORT:FILE[:stateful]");
		struct mod *m = &G.mods[G.nmods];
		m->id = (uint64_t)G.nmods + 1;
		m->name = f[0];
		size_t cl;
		char *click = slurp(f[4], &cl);
		if (!click)
			return usage("cannot read a module's configuration");
		if (!inet_prefix_contains(pool, next))
			return usage("the platform's pool is full");
		uint8_t proto = strcmp(f[2], "udp") == 0 ? 17 : strcmp(f[2], "tcp") == 0 ? 6 : 0;
		m->spec = (struct vm_module_spec){
			.id = m->id, .tenant = (uint64_t)atoll(f[1]), .name = f[0], .click = click,
			.key = {.addr = next++, .proto = proto, .port = (uint16_t)atoi(f[3])},
			.stateful = k > 5 && strcmp(f[5], "stateful") == 0,
		};
		inet_format_addr(m->spec.key.addr, m->addr);
		diags_clear(&d);
		if ((r = vm_deploy(G.mgr, &m->spec, &d)) < 0) {
			fprintf(stderr, "innet-dp-driver: cannot deploy %s: %s\n", f[0], strerror(-r));
			for (size_t j = 0; j < d.n; j++)
				fprintf(stderr, "  %s:%u:%u: %s\n", d.v[j].file ? d.v[j].file : f[4],
				        d.v[j].line, d.v[j].col, d.v[j].msg);
			return 1;
		}
		free(click);
		G.nmods++;
	}
	dp_sync(vm_native_dp(be));
	printf("{\"event\":\"ready\",\"modules\":[");
	for (int i = 0; i < G.nmods; i++)
		printf("%s{\"id\":%llu,\"name\":\"%s\",\"addr\":\"%s\",\"proto\":%u,\"port\":%u}",
		       i ? "," : "", (unsigned long long)G.mods[i].id, G.mods[i].name, G.mods[i].addr,
		       G.mods[i].spec.key.proto, G.mods[i].spec.key.port);
	printf("]}\n");
	fflush(stdout);
	uv_pipe_init(G.loop, &G.in, 0);
	uv_pipe_open(&G.in, 0);
	uv_read_start((uv_stream_t *)&G.in, on_alloc, on_read);
	uv_timer_init(G.loop, &G.watch);
	uv_timer_start(&G.watch, on_watch, 20, 20);
	uv_run(G.loop, UV_RUN_DEFAULT);
	uv_loop_close(G.loop);
	snapshot_unref(s);
	diags_free(&d);
	free(json);
	for (int i = 0; i < nm; i++)
		free(modargs[i]);
	return 0;
}
