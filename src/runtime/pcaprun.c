#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "elements/element.h"
#include "innet_build.h"
#include "runtime/runtime.h"

/* Most -D NAME=VALUE definitions on one command line. */
#define RUN_MAX_DEFINES 64

#if INNET_HAVE_PCAP
#include <pcap/pcap.h>

#define NS_PER_S 1000000000ull
/* Largest configuration file read. */
#define RUN_MAX_CONFIG_BYTES (16u << 20)
/* The packet pool: packets for what the queues may hold, each with room
 * for an Ethernet-sized frame and headroom for encapsulations. */
#define RUN_POOL_PACKETS (1u << 16)
#define RUN_POOL_BUFSIZE 4096
#define RUN_POOL_HEADROOM 256
/* The output capture's snapshot length: whole IPv4 packets. */
#define RUN_SNAPLEN 65535
/* Bounds on the timer loops, so a configuration whose timers never settle
 * ends the run instead of hanging it. */
#define RUN_MAX_TIMER_STEPS 100000000u
#define RUN_MAX_DRAIN_STEPS 10000000u
/* How long queued packets may drain after the last one by default. */
#define RUN_DEFAULT_DRAIN_NS (86400ull * NS_PER_S)

struct run {
	pcap_dumper_t *dump;
	uint64_t now, base_ns;
	uint64_t written;
	struct rt_pool pool;
};

static void run_tx(void *ctx, uint32_t dev, struct rt_pkt *p)
{
	struct run *r = ctx;
	struct pcap_pkthdr h;
	uint64_t t = r->base_ns + r->now;
	h.ts.tv_sec = (time_t)(t / NS_PER_S);
	h.ts.tv_usec = (suseconds_t)(t % NS_PER_S / 1000u);
	h.caplen = h.len = p->len;
	pcap_dump((u_char *)r->dump, &h, rt_pkt_data(p));
	r->written++;
	r->pool.free(r->pool.ctx, p);
}

static void run_log(void *ctx, const char *line)
{
	fprintf(ctx, "%s\n", line);
}

static char *read_file(const char *path, size_t *len)
{
	char *text = NULL;
	int rc = file_read_all(path, RUN_MAX_CONFIG_BYTES, &text, len);
	if (rc)
		errno = -rc;
	return rc ? NULL : text;
}

/* The IPv4 packet inside a captured frame, or NULL. */
static const uint8_t *frame_ip(int dlt, const uint8_t *d, uint32_t len, uint32_t *iplen)
{
	uint32_t off;
	switch (dlt) {
	case DLT_EN10MB:
		if (len < 14)
			return NULL;
		off = 14;
		if (rt_rd16(d + 12) == 0x8100 && len >= 18)
			off = 18;
		if (rt_rd16(d + off - 2) != 0x0800)
			return NULL;
		break;
	case DLT_RAW:
#ifdef DLT_IPV4
	case DLT_IPV4:
#endif
		off = 0;
		break;
	case DLT_NULL:
	case DLT_LOOP:
		off = 4;
		break;
	case DLT_LINUX_SLL:
		if (len < 16 || rt_rd16(d + 14) != 0x0800)
			return NULL;
		off = 16;
		break;
	default:
		return NULL;
	}
	if (len < off + 20 || (d[off] >> 4) != 4)
		return NULL;
	*iplen = len - off;
	return d + off;
}

/* Run timers in deadline order up to t, so bursts leave at their times. */
static void advance(struct rt_module *m, struct run *r, uint64_t t)
{
	for (uint32_t guard = 0; guard < RUN_MAX_TIMER_STEPS; guard++) {
		uint64_t dl = rt_module_next_deadline(m);
		if (dl > t)
			break;
		if (dl > r->now)
			r->now = dl;
		if (rt_module_run_timers(m, r->now) == 0 && rt_module_next_deadline(m) <= r->now) {
			/* due but idle (e.g. an unqueuer pulling from an empty branch) */
			if (r->now >= t)
				break;
			r->now = t;
		}
	}
	if (t > r->now)
		r->now = t;
}

int rt_run_pcap(const char *config_path, const char *in_pcap, const char *out_pcap,
                const struct rt_run_opts *o, struct rt_run_stats *st, struct diags *d)
{
	struct rt_run_opts defo = { 0 };
	if (!o)
		o = &defo;
	memset(st, 0, sizeof *st);
	size_t len = 0;
	char *text = read_file(config_path, &len);
	if (!text)
		return diags_error(d, NULL, 0, "%s: cannot read: %s", config_path, strerror(errno)), -EIO;
	struct src_file src = { config_path, text, len };
	struct click_options copt = {.lookup = elem_class_find, .why_unknown = elem_class_why_unknown, .defines = o->defines, .ndefines = o->ndefines };
	struct click_graph *g = NULL;
	int rc = click_parse(&src, &copt, &g, d);
	if (rc) {
		free(text);
		return rc;
	}
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *in = pcap_open_offline(in_pcap, errbuf);
	if (!in) {
		click_graph_free(g);
		free(text);
		return diags_error(d, NULL, 0, "%s: %s", in_pcap, errbuf), -EIO;
	}
	pcap_t *dead = pcap_open_dead(DLT_RAW, RUN_SNAPLEN);
	pcap_dumper_t *dump = dead ? pcap_dump_open(dead, out_pcap) : NULL;
	struct rt_simple_pool *sp = rt_simple_pool_new(RUN_POOL_PACKETS, RUN_POOL_BUFSIZE, RUN_POOL_HEADROOM);
	struct run r = { .dump = dump };
	struct rt_module *m = NULL;
	if (!dump || !sp) {
		rc = diags_error(d, NULL, 0, "%s: %s", out_pcap, dead ? pcap_geterr(dead) : "out of memory");
		rc = -EIO;
		goto out;
	}
	r.pool = rt_simple_pool_ops(sp);
	struct rt_env env = { .pool = r.pool, .tx = run_tx, .tx_ctx = &r, .log = o->log ? run_log : NULL,
	                      .log_ctx = o->log };
	rc = rt_module_new(g, &env, &o->lim, 0, false, &m, d);
	if (rc)
		goto out;
	/* a configuration of sources alone (InfiniteSource -> ToDevice) needs
	 * no input: the capture's packets then go nowhere */
	if ((o->dev_in >= rt_module_ndev_in(m) || !rt_module_dev_in_name(m, o->dev_in)) &&
	    rt_module_next_source(m) == UINT64_MAX) {
		rc = diags_error(d, NULL, 0, "%s: no FromDevice(%u)/FromNetFront(%u) in the configuration",
		                 config_path, o->dev_in, o->dev_in);
		goto out;
	}
	int dlt = pcap_datalink(in);
	struct pcap_pkthdr *h;
	const u_char *data;
	bool first = true;
	int nr;
	while ((nr = pcap_next_ex(in, &h, &data)) == 1) {
		st->read++;
		uint64_t t = (uint64_t)h->ts.tv_sec * NS_PER_S + (uint64_t)h->ts.tv_usec * 1000u;
		if (first) {
			r.base_ns = t;
			first = false;
		}
		uint64_t rel = t > r.base_ns ? t - r.base_ns : 0;
		if (rel < r.now)
			rel = r.now;
		uint32_t iplen;
		const uint8_t *ip = frame_ip(dlt, data, h->caplen, &iplen);
		struct rt_pkt *p = ip ? r.pool.alloc(r.pool.ctx, iplen) : NULL;
		if (!p) {
			st->skipped++;
			continue;
		}
		advance(m, &r, rel);
		memcpy(rt_pkt_data(p), ip, iplen);
		p->len = iplen;
		rt_module_push(m, o->dev_in, p, r.now);
		st->pushed++;
	}
	if (nr == -1) {
		rc = diags_error(d, NULL, 0, "%s: %s", in_pcap, pcap_geterr(in));
		goto out;
	}
	/* let queued packets drain on their timers */
	uint64_t end = r.now + (o->drain_ns ? o->drain_ns : RUN_DEFAULT_DRAIN_NS);
	for (uint32_t guard = 0; guard < RUN_MAX_DRAIN_STEPS; guard++) {
		struct rt_counters c;
		rt_module_counters(m, &c);
		uint64_t dl = rt_module_next_deadline(m);
		/* sources (InfiniteSource, TimedSource...) run until they are done */
		bool making = rt_module_next_source(m) <= end;
		if ((!c.queued && !making) || dl > end)
			break;
		uint64_t before = r.now;
		advance(m, &r, dl > r.now ? dl : r.now);
		if (r.now == before) {
			rt_module_counters(m, &c);
			if ((c.queued || making) && rt_module_next_deadline(m) <= r.now)
				break; /* stuck: nothing will ever pull */
		}
	}
	rc = 0;
out:
	if (m) {
		rt_module_counters(m, &st->c);
		rt_module_free(m);
	}
	st->written = r.written;
	if (dump)
		pcap_dump_close(dump);
	if (dead)
		pcap_close(dead);
	pcap_close(in);
	rt_simple_pool_free(sp);
	click_graph_free(g);
	free(text);
	return rc;
}

#else

int rt_run_pcap(const char *config_path, const char *in_pcap, const char *out_pcap,
                const struct rt_run_opts *o, struct rt_run_stats *st, struct diags *d)
{
	memset(st, 0, sizeof *st);
	diags_error(d, NULL, 0, "innet was built without libpcap: `click run` is not available");
	return -ENOTSUP;
}

#endif

int rt_click_run_main(int argc, char **argv)
{
	const char *file = NULL, *in = NULL, *out = NULL, *log_path = NULL;
	struct rt_run_opts o = { 0 };
	struct click_define defs[RUN_MAX_DEFINES];
	size_t nd = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			printf("usage: innet click run FILE --in IN.pcap --out OUT.pcap [--dev N] [--drain S] [--log FILE] [-D NAME=VALUE]\n"
			       "Run a Click configuration on a capture with innet's runtime: packets enter\n"
			       "FromDevice(N)/FromNetFront(N) at their capture times (default N = 0), timers\n"
			       "run on capture time, and what reaches any ToDevice/ToNetFront is written to\n"
			       "OUT.pcap as raw IPv4 stamped with the time it left. --drain S keeps time\n"
			       "running S seconds after the last packet while packets are queued or a\n"
			       "source (InfiniteSource, TimedSource, ...) has packets left to make (default\n"
			       "one day of capture time). A configuration of sources alone needs no\n"
			       "FromDevice. --log FILE writes what Print and IPPrint log, one line each\n"
			       "('-': standard error).\n");
			for (size_t k = 0; k < nd; k++)
				free((char *)defs[k].name);
			return 0;
		}
		if (!strcmp(a, "--in") && v) {
			in = v;
			i++;
		} else if (!strcmp(a, "--out") && v) {
			out = v;
			i++;
		} else if (!strcmp(a, "--dev") && v) {
			char *end;
			unsigned long n = strtoul(v, &end, 10);
			if (*end || n > 255) {
				fprintf(stderr, "innet click run: --dev: expected a device number, got '%s'\n", v);
				return 2;
			}
			o.dev_in = (uint32_t)n;
			i++;
		} else if (!strcmp(a, "--drain") && v) {
			char *end;
			double s = strtod(v, &end);
			if (*end || s < 0 || s > 1e9) {
				fprintf(stderr, "innet click run: --drain: expected seconds, got '%s'\n", v);
				return 2;
			}
			o.drain_ns = (uint64_t)(s * 1e9);
			i++;
		} else if (!strcmp(a, "--log") && v) {
			log_path = v;
			i++;
		} else if (!strcmp(a, "-D") && v) {
			const char *eq = strchr(v, '=');
			if (!eq || nd == RUN_MAX_DEFINES) {
				fprintf(stderr, "innet click run: -D: expected NAME=VALUE, got '%s'\n", v);
				return 2;
			}
			defs[nd].name = strndup(v, (size_t)(eq - v));
			defs[nd].value = eq + 1;
			nd++;
			i++;
		} else if (!v && (!strcmp(a, "--in") || !strcmp(a, "--out") || !strcmp(a, "--dev") ||
		                  !strcmp(a, "--drain") || !strcmp(a, "--log") || !strcmp(a, "-D"))) {
			fprintf(stderr, "innet click run: %s needs a value\n", a);
			return 2;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "innet click run: unknown option '%s'\n"
			                "usage: innet click run FILE --in IN.pcap --out OUT.pcap [--dev N] [--drain S] [--log FILE] [-D NAME=VALUE]\n", a);
			return 2;
		} else if (!file) {
			file = a;
		} else {
			fprintf(stderr, "innet click run: one configuration file only ('%s')\n", a);
			return 2;
		}
	}
	if (!file || !in || !out) {
		fprintf(stderr, "usage: innet click run FILE --in IN.pcap --out OUT.pcap [--dev N] [--drain S] [--log FILE] [-D NAME=VALUE]\n");
		for (size_t i = 0; i < nd; i++)
			free((char *)defs[i].name);
		return 2;
	}
	o.defines = defs;
	o.ndefines = nd;
	if (log_path) {
		o.log = strcmp(log_path, "-") ? fopen(log_path, "w") : stderr;
		if (!o.log) {
			fprintf(stderr, "innet click run: --log: %s: %s\n", log_path, strerror(errno));
			for (size_t i = 0; i < nd; i++)
				free((char *)defs[i].name);
			return 1;
		}
	}
	struct diags d;
	diags_init(&d);
	struct rt_run_stats st;
	int rc = rt_run_pcap(file, in, out, &o, &st, &d);
	if (o.log && o.log != stderr && fclose(o.log) && !rc) {
		fprintf(stderr, "innet click run: --log: %s: %s\n", log_path, strerror(errno));
		rc = -EIO;
	}
	diags_print(stderr, &d);
	diags_free(&d);
	for (size_t i = 0; i < nd; i++)
		free((char *)defs[i].name);
	if (rc)
		return 1;
	fprintf(stderr, "%llu packets read, %llu pushed, %llu skipped, %llu written; %llu dropped in the module, %u still queued\n",
	        (unsigned long long)st.read, (unsigned long long)st.pushed, (unsigned long long)st.skipped,
	        (unsigned long long)st.written, (unsigned long long)st.c.drops, st.c.queued);
	return 0;
}
