/* Benchmark: networks grown from the paper's Figure 3 by adding random
 * routers and platforms (as the paper's Figure 10), from 10 to 100,000
 * boxes. For each size, in a child process of its own: the time to build
 * the network model once, the time of one reachability check (client to a
 * module on the farthest platform), the time of a check that explores the
 * whole network (`never from client udp -> client`), and the peak memory.
 * The paper needed 1.3 s for 1,000 boxes; the aim is under 50 ms and linear
 * growth. Prints a table; no assertions.
 *
 * usage: bench-verify_scale [MAXBOXES]   (default 100000) */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/inet.h"
#include "snapshot/snapshot.h"
#include "verify/verify.h"

/* CPU time of this (single-threaded) process: the machine is shared, and
 * wall-clock time on a loaded machine measures the other tenants. */
static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct sbuf {
	char *s;
	size_t n, cap;
};

static void put(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int k = vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if ((size_t)k < b->cap - b->n) {
			b->n += (size_t)k;
			return;
		}
		b->cap = b->cap * 2 + (size_t)k + 1024;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
}

/* Figure 3, with core's port 6 leading to the added tree (100.64.0.0/10). */
static uint32_t g_deep_pool; /* pool of the deepest platform (set by grow) */

static const char fig3_nodes[] =
	"{\"name\": \"internet\", \"type\": \"hosts\", \"role\": \"internet\", \"ports\": 1},"
	"{\"name\": \"clients\", \"type\": \"hosts\", \"role\": \"client\", \"prefixes\": [\"172.16.0.0/16\"], \"ports\": 1},"
	"{\"name\": \"border\", \"type\": \"router\", \"ports\": 2, \"routes\": [{\"prefix\": \"172.16.0.0/16\", \"port\": 1},"
	" {\"prefix\": \"10.0.0.0/8\", \"port\": 1}, {\"prefix\": \"192.0.2.0/24\", \"port\": 1}, {\"prefix\": \"100.64.0.0/10\", \"port\": 1},"
	" {\"prefix\": \"0.0.0.0/0\", \"port\": 0}]},"
	"{\"name\": \"fw\", \"type\": \"middlebox\", \"ports\": 3, \"click\": \"rw :: IPRewriter(pattern - - - - 0 1, drop);"
	" public :: IPClassifier(dst net 192.0.2.0/24, -); web :: IPClassifier(tcp src port 80, -);"
	" FromDevice(1) -> IPFilter(allow udp, allow tcp, deny all) -> [0]rw; FromDevice(0) -> public;"
	" public[0] -> ToDevice(1); public[1] -> [1]rw; rw[0] -> ToDevice(0); rw[1] -> web; web[0] -> ToDevice(2);"
	" web[1] -> ToDevice(1);\"},"
	"{\"name\": \"HTTPOptimizer\", \"type\": \"middlebox\", \"ports\": 2, \"click\":"
	" \"FromDevice(0) -> CheckIPHeader -> StoreData(40, \\\\<20>) -> ToDevice(1);\"},"
	"{\"name\": \"core\", \"type\": \"router\", \"ports\": 7, \"routes\": [{\"prefix\": \"172.16.0.0/16\", \"port\": 2},"
	" {\"prefix\": \"10.1.0.0/16\", \"port\": 3}, {\"prefix\": \"10.2.0.0/16\", \"port\": 4}, {\"prefix\": \"192.0.2.0/24\", \"port\": 5},"
	" {\"prefix\": \"100.64.0.0/10\", \"port\": 6}, {\"prefix\": \"0.0.0.0/0\", \"port\": 0}]},"
	"{\"name\": \"platform1\", \"type\": \"platform\", \"address\": \"10.1.0.1\", \"pool\": \"10.1.0.0/16\", \"capacity\": 1000, \"local\": true, \"ports\": 1},"
	"{\"name\": \"platform2\", \"type\": \"platform\", \"address\": \"10.2.0.1\", \"pool\": \"10.2.0.0/16\", \"capacity\": 1000, \"local\": true, \"ports\": 1},"
	"{\"name\": \"platform3\", \"type\": \"platform\", \"address\": \"192.0.2.1\", \"pool\": \"192.0.2.0/24\", \"capacity\": 1000, \"local\": true, \"ports\": 1}";
static const char fig3_links[] =
	"[\"internet:0\", \"border:0\"], [\"border:1\", \"fw:0\"], [\"fw:1\", \"core:0\"], [\"fw:2\", \"HTTPOptimizer:0\"],"
	"[\"HTTPOptimizer:1\", \"core:1\"], [\"core:2\", \"clients:0\"], [\"core:3\", \"platform1:0\"],"
	"[\"core:4\", \"platform2:0\"], [\"core:5\", \"platform3:0\"]";

/* nr routers r<i>, each with platform p<i> on its port 1; r0 hangs off
 * core:6, r<i> off a random earlier router (a random recursive tree, depth
 * O(log n)). Pools are /30s numbered in depth-first order, so a subtree
 * owns a contiguous range and each router routes its children's ranges as
 * a few aggregated prefixes, as an operator would. */
static uint32_t pool_of(const uint32_t *idx, uint32_t i)
{
	return 0x64400000u + 4 * idx[i];
}

static void put_range(struct sbuf *b, uint32_t lo, uint32_t n, uint32_t port)
{
	/* [lo, lo + n) in /30 blocks, as aligned prefixes */
	while (n) {
		uint32_t k = 0;
		while (k < 20 && !(lo & (1u << k)) && (1u << (k + 1)) <= n)
			k++;
		char pfx[20];
		inet_format_prefix((struct inet_prefix){0x64400000u + 4 * lo, (uint8_t)(30 - k)}, pfx);
		put(b, ", {\"prefix\": \"%s\", \"port\": %u}", pfx, port);
		lo += 1u << k;
		n -= 1u << k;
	}
}

static char *grow(uint32_t nr, uint32_t *deepest)
{
	uint32_t *parent = calloc(nr, sizeof *parent), *nchild = calloc(nr, sizeof *nchild);
	uint32_t *slot = calloc(nr, sizeof *slot), *depth = calloc(nr, sizeof *depth);
	uint32_t *first = calloc(nr, sizeof *first), *next = calloc(nr, sizeof *next);
	uint32_t *idx = calloc(nr, sizeof *idx), *sz = calloc(nr, sizeof *sz), *stack = calloc(nr, sizeof *stack);
	uint64_t seed = 42;
	*deepest = 0;
	for (uint32_t i = 0; i < nr; i++)
		first[i] = next[i] = UINT32_MAX;
	uint32_t *last = calloc(nr, sizeof *last);
	for (uint32_t i = 1; i < nr; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t p = (uint32_t)((seed >> 33) % i);
		parent[i] = p;
		slot[i] = 2 + nchild[p]++;
		depth[i] = depth[p] + 1;
		if (first[p] == UINT32_MAX)
			first[p] = i;
		else
			next[last[p]] = i;
		last[p] = i;
		if (depth[i] > depth[*deepest])
			*deepest = i;
	}
	/* subtree sizes (children have larger numbers), then pre-order numbers */
	for (uint32_t i = nr; i-- > 0;) {
		sz[i] += 1;
		if (i)
			sz[parent[i]] += sz[i];
	}
	uint32_t sp = 0, counter = 0;
	stack[sp++] = 0;
	while (sp) {
		uint32_t i = stack[--sp];
		idx[i] = counter;
		uint32_t off = counter + 1;
		for (uint32_t c = first[i]; c != UINT32_MAX; c = next[c]) {
			idx[c] = off; /* provisional start, fixed when popped */
			off += sz[c];
		}
		counter++;
		/* visit children in order: push in reverse */
		uint32_t nc = 0;
		for (uint32_t c = first[i]; c != UINT32_MAX; c = next[c])
			nc++;
		uint32_t k = 0;
		for (uint32_t c = first[i]; c != UINT32_MAX; c = next[c], k++)
			stack[sp + nc - 1 - k] = c;
		sp += nc;
		(void)off;
	}
	struct sbuf b = {0};
	char pfx[20], a[16];
	put(&b, "{\"nodes\": [%s", fig3_nodes);
	for (uint32_t i = 0; i < nr; i++) {
		inet_format_prefix((struct inet_prefix){pool_of(idx, i), 30}, pfx);
		inet_format_addr(pool_of(idx, i) + 1, a);
		put(&b, ",{\"name\": \"r%u\", \"type\": \"router\", \"ports\": %u, \"routes\": [{\"prefix\": \"%s\", \"port\": 1}",
		    i, 2 + nchild[i], pfx);
		for (uint32_t c = first[i]; c != UINT32_MAX; c = next[c])
			put_range(&b, idx[c], sz[c], slot[c]);
		put(&b, ", {\"prefix\": \"0.0.0.0/0\", \"port\": 0}]}");
		put(&b, ",{\"name\": \"p%u\", \"type\": \"platform\", \"address\": \"%s\", \"pool\": \"%s\", \"capacity\": 10, \"local\": true, \"ports\": 1}",
		    i, a, pfx);
	}
	put(&b, "], \"links\": [%s, [\"core:6\", \"r0:0\"]", fig3_links);
	for (uint32_t i = 0; i < nr; i++) {
		put(&b, ", [\"r%u:1\", \"p%u:0\"]", i, i);
		if (i)
			put(&b, ", [\"r%u:%u\", \"r%u:0\"]", parent[i], slot[i], i);
	}
	put(&b, "]}");
	*deepest = pool_of(idx, *deepest) == 0 ? 0 : *deepest;
	g_deep_pool = pool_of(idx, *deepest);
	free(parent);
	free(nchild);
	free(slot);
	free(depth);
	free(first);
	free(next);
	free(last);
	free(idx);
	free(sz);
	free(stack);
	return b.s;
}

static int run_size(uint32_t boxes)
{
	uint32_t nr = boxes > 11 ? (boxes - 9) / 2 : 1, deepest;
	char *json = grow(nr, &deepest);
	struct diags d;
	diags_init(&d);
	struct snapshot *s = NULL;
	struct vfy_base *b = NULL;
	double t0 = now_ms();
	if (snapshot_parse(json, strlen(json), &s, &d) < 0) {
		diags_print(stderr, &d);
		return 1;
	}
	double t1 = now_ms();
	if (vfy_base_build(s, &b, &d) < 0) {
		diags_print(stderr, &d);
		return 1;
	}
	double t2 = now_ms();
	struct vfy_net *n = vfy_net_new(b);
	char pname[32];
	snprintf(pname, sizeof pname, "p%u", deepest);
	struct vfy_module m = {.name = "mod", .click = "FromNetFront() -> Discard", .platform = pname,
	                       .address = g_deep_pool + 2};
	if (vfy_net_add_module(n, &m, &d) < 0) {
		diags_print(stderr, &d);
		return 1;
	}
	static const char stmts[] = "reach from client udp -> mod\nnever from client udp -> client\n";
	struct vfy_limits lim = {.max_steps = 200000000ull, .max_memory = (size_t)8 << 30};
	int reps = boxes <= 1000 ? 20 : boxes <= 10000 ? 5 : 1;
	if (getenv("VERIFY_BENCH_REPS"))
		reps = atoi(getenv("VERIFY_BENCH_REPS"));
	double best[2] = {1e18, 1e18};
	struct vfy_result res[2] = {{0}};
	for (int q = 0; q < 2; q++) {
		const char *line = q ? strchr(stmts, '\n') + 1 : stmts;
		struct src_file f1 = {"bench", line, (size_t)(strchr(line, '\n') - line + 1)};
		struct vfy_reqs *one = NULL;
		vfy_reqs_parse(&f1, &one, &d);
		for (int k = 0; k < reps; k++) {
			struct vfy_report *rep = NULL;
			double a = now_ms();
			if (vfy_check(n, one, &lim, &rep) < 0)
				return 1;
			double t = now_ms() - a;
			if (t < best[q])
				best[q] = t;
			vfy_report_result(rep, 0, &res[q]);
			vfy_report_free(rep);
		}
		vfy_reqs_free(one);
	}
	struct vfy_result r0 = res[0], r1 = res[1];
	double best_reach = best[0], best_all = best[1];
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("%8u  %7u  %9.1f  %9.1f  %12.3f  %9llu  %14.3f  %10llu  %9.1f   %s/%s\n", boxes, nr * 2 + 9,
	       t1 - t0, t2 - t1, best_reach, (unsigned long long)r0.flows, best_all,
	       (unsigned long long)r1.flows, ru.ru_maxrss / 1024.0,
	       r0.verdict == VFY_HOLDS ? "holds" : "FAILS", r1.verdict == VFY_HOLDS ? "holds" : "FAILS");
	fflush(stdout);
	vfy_net_free(n);
	vfy_base_unref(b);
	snapshot_unref(s);
	diags_free(&d);
	free(json);
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t max = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
	static const uint32_t sizes[] = {10, 100, 1000, 10000, 100000};
	printf("   boxes    nodes   parse ms   model ms  reach ms (1)  flows (1)  explore ms (2)   flows (2)    peak MB   verdicts\n");
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0] && sizes[i] <= max; i++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0)
			_exit(run_size(sizes[i]));
		int st;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			printf("%8u  failed\n", sizes[i]);
	}
	printf("times are CPU milliseconds of the process (best of several runs up to 10,000 boxes)\n"
	       "(1) reach from client udp -> a module on the deepest platform\n"
	       "(2) never from client udp -> client: explores every path\n"
	       "the paper: 1.3 s for 1,000 boxes; aim: under 50 ms and linear growth\n");
	return 0;
}
