/* Benchmark: the hostile IPFilter of issue 12, an `or` chain of N
 * alternatives ("src host 10.0.0.1 or src host 10.0.0.2 or ..."), N =
 * 1,000, 9,000 (about 210 KB, the attack) and 20,000. Prints for each the
 * CPU time and arena bytes of flow_parse alone, then the CPU time of
 * click_parse of "FromNetFront -> IPFilter(allow ...) -> ToNetFront"
 * (lexing, flattening and IPFilter's configure), and at the end the
 * process's peak resident memory. No assertions.
 * Usage: bench-flow_parse [N]   (only that N) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "click/click.h"
#include "elements/element.h"
#include "flow/flow.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* "src host 10.0.0.1 or src host 10.0.0.2 or ..." (malloc'd) */
static char *alternatives(unsigned n)
{
	size_t cap = (size_t)n * 40 + 1, len = 0;
	char *s = malloc(cap);
	if (!s)
		exit(1);
	for (unsigned i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%ssrc host 10.%u.%u.%u", i ? " or " : "",
		                        i / 62500 % 250, i / 250 % 250, i % 250 + 1);
	return s;
}

static void one(unsigned n)
{
	char *pat = alternatives(n);
	struct arena *a = arena_new(0);
	struct diags d;
	diags_init(&d);
	struct flow_expr *e = NULL;
	double t0 = now_ms();
	int rc = flow_parse(pat, NULL, a, &d, &e);
	double t1 = now_ms();
	printf("flow_parse   N=%-6u %7zu bytes of text: rc %d, %8.2f ms CPU, arena %9zu bytes "
	       "(%.1f per byte of text)\n", n, strlen(pat), rc, t1 - t0, arena_used(a),
	       (double)arena_used(a) / (double)strlen(pat));
	if (rc && d.n)
		printf("  first diagnostic: %s\n", d.v[0].msg);
	arena_free(a);
	diags_free(&d);

	size_t cl = strlen(pat) + 128;
	char *conf = malloc(cl);
	if (!conf)
		exit(1);
	snprintf(conf, cl, "FromNetFront() -> IPFilter(allow %s) -> ToNetFront();\n", pat);
	struct src_file f = {"bench", conf, strlen(conf)};
	struct click_graph *g = NULL;
	diags_init(&d);
	t0 = now_ms();
	rc = click_parse(&f, &elem_click_options, &g, &d);
	t1 = now_ms();
	printf("click_parse  N=%-6u %7zu bytes of text: rc %d, %8.2f ms CPU\n", n, strlen(conf), rc,
	       t1 - t0);
	if (rc && d.n)
		printf("  first diagnostic: %s\n", d.v[0].msg);
	click_graph_free(g);
	diags_free(&d);
	free(conf);
	free(pat);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		one((unsigned)strtoul(argv[1], NULL, 10));
	} else {
		one(1000);
		one(9000);
		one(20000);
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("peak resident memory: %ld KB\n", ru.ru_maxrss);
	return 0;
}
