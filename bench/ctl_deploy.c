/* Controller benchmark (issue 5): verified deploys per second and p50/p99
 * latency of Figure 4 style requests over HTTP with 1, 8 and 64 concurrent
 * clients, and the same for POST /v1/check (dry run).
 *
 * It starts the innetd next to it (../innetd, or $INNETD) on a fresh state
 * directory with the Figure 3 network of the repository's examples/ (in
 * $INNET_SOURCE_DIR, else the checkout the build directory sits in),
 * widened so that platform3 has room for every module deployed, and one
 * client tenant. Each client is a thread with one keep-alive connection.
 * Between rounds every module is killed so each round starts from the
 * same state.
 *
 * Besides throughput and latency (wall clock, so they move with the
 * machine's load) it prints daemon_cpu_ms: innetd's CPU time (user +
 * system, all threads, from /proc) per request of the round, which does
 * not depend on what else the machine runs.
 *
 *   bench-ctl_deploy [requests-per-round]   (default 512) */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base/file.h"

#define TOKEN "bench-admin-token-0123456789abcdef"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A whole file, NUL-terminated; NULL when it cannot be read. */
static char *read_file(const char *path)
{
	char *text = NULL;
	return file_read_all(path, 64u << 20, &text, NULL) ? NULL : text;
}

/* ---- a minimal blocking HTTP/1.1 keep-alive client ---- */

struct conn {
	int fd;
	char buf[1 << 16];
	size_t have;
};

static int conn_open(struct conn *c, int port)
{
	c->have = 0;
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0)
		return -errno;
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&a, sizeof a)) {
		close(c->fd);
		return -errno;
	}
	return 0;
}

/* Send one request; returns the status and the body in *body (malloc'd). */
static int request(struct conn *c, const char *method, const char *path, const char *token,
                   const char *json, char **body)
{
	char head[1024];
	size_t blen = json ? strlen(json) : 0;
	int n = snprintf(head, sizeof head,
	                 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
	                 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
	                 method, path, token, blen);
	if (write(c->fd, head, (size_t)n) != n || (blen && write(c->fd, json, blen) != (ssize_t)blen))
		return -EIO;
	/* headers */
	char *end;
	for (;;) {
		c->buf[c->have] = '\0';
		if ((end = strstr(c->buf, "\r\n\r\n")))
			break;
		ssize_t r = read(c->fd, c->buf + c->have, sizeof c->buf - 1 - c->have);
		if (r <= 0)
			return -EIO;
		c->have += (size_t)r;
	}
	int status = atoi(c->buf + 9);
	const char *cl = strcasestr(c->buf, "content-length:");
	size_t len = cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
	size_t hl = (size_t)(end + 4 - c->buf);
	char *b = malloc(len + 1);
	if (!b)
		return -ENOMEM;
	size_t got = c->have - hl < len ? c->have - hl : len;
	memcpy(b, c->buf + hl, got);
	size_t rest = c->have - hl - got;
	memmove(c->buf, c->buf + hl + got, rest);
	c->have = rest;
	while (got < len) {
		ssize_t r = read(c->fd, b + got, len - got);
		if (r <= 0) {
			free(b);
			return -EIO;
		}
		got += (size_t)r;
	}
	b[len] = '\0';
	if (body)
		*body = b;
	else
		free(b);
	return status;
}

/* ---- the daemon ---- */

static pid_t daemon_pid;
static int daemon_port;

static int start_daemon(const char *innetd, const char *dir, const char *net, const char *pol)
{
	char db[PATH_MAX], ready[PATH_MAX], logf[PATH_MAX];
	snprintf(db, sizeof db, "%s/innet.db", dir);
	snprintf(ready, sizeof ready, "%s/ready", dir);
	snprintf(logf, sizeof logf, "%s/innetd.log", dir);
	pid_t p = fork();
	if (p < 0)
		return -errno;
	if (p == 0) {
		FILE *lf = freopen(logf, "w", stderr);
		(void)lf;
		execl(innetd, innetd, "--db", db, "--listen", "127.0.0.1:0", "--ready-file", ready,
		      "--admin-token", TOKEN, "--network", net, "--policy", pol, "--log-level", "warn",
		      "--tenant-rps", "1000000", (char *)NULL);
		_exit(127);
	}
	daemon_pid = p;
	for (int i = 0; i < 2000; i++) {
		/* a line "ADDR:PORT"; read into a local buffer (gcc -O3 took a
		 * pointer into read_file's heap text for a dangling one) */
		char line[128];
		FILE *rf = fopen(ready, "r");
		bool got = rf && fgets(line, sizeof line, rf);
		if (rf)
			fclose(rf);
		if (got) {
			char *colon = strrchr(line, ':');
			daemon_port = colon ? atoi(colon + 1) : 0;
			return daemon_port ? 0 : -EINVAL;
		}
		int st;
		if (waitpid(p, &st, WNOHANG) == p) {
			fprintf(stderr, "innetd exited; see %s\n", logf);
			return -ECHILD;
		}
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/* innetd's CPU time so far (user + system, every thread), ms. */
static double daemon_cpu_ms(void)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)daemon_pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')'); /* the command may hold spaces */
	unsigned long ut = 0, st = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) * 1e3 / (double)sysconf(_SC_CLK_TCK);
}

/* ---- rounds ---- */

struct shared {
	const char *token, *path;
	int nclients, per_client, round;
	double *lat;      /* one per request */
	int *status;
};

struct worker {
	struct shared *s;
	int id;
};

static const char *fig4_config =
	"FromNetFront()\n  -> IPFilter(allow udp port 1500)\n"
	"  -> IPRewriter(pattern - - 172.16.15.133 - 0 0)\n  -> Queue(1000)\n"
	"  -> TimedUnqueue(120, 100)\n  -> dst :: ToNetFront()\n";

static char *fig4_request(const char *name)
{
	char reqs[512];
	snprintf(reqs, sizeof reqs,
	         "reach from internet udp -> %s:dst:0 dst 172.16.15.133 -> client dst port 1500 "
	         "const proto && dst port && payload\n", name);
	json_t *j = json_pack("{s:s, s:s, s:s}", "name", name, "config", fig4_config,
	                      "requirements", reqs);
	char *t = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return t;
}

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	struct shared *s = w->s;
	struct conn c;
	if (conn_open(&c, daemon_port))
		return NULL;
	for (int i = 0; i < s->per_client; i++) {
		int k = w->id * s->per_client + i;
		char name[64];
		snprintf(name, sizeof name, "r%dc%dn%d", s->round, w->id, i);
		char *req = fig4_request(name);
		double t0 = now_ms();
		s->status[k] = request(&c, "POST", s->path, s->token, req, NULL);
		s->lat[k] = now_ms() - t0;
		free(req);
	}
	close(c.fd);
	return NULL;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void kill_all(const char *token)
{
	struct conn c;
	if (conn_open(&c, daemon_port))
		return;
	char *body = NULL;
	if (request(&c, "GET", "/v1/modules", token, NULL, &body) == 200) {
		json_t *j = json_loads(body, 0, NULL);
		size_t i;
		json_t *m;
		json_array_foreach(json_object_get(j, "modules"), i, m) {
			char path[64];
			snprintf(path, sizeof path, "/v1/modules/%lld",
			         (long long)json_integer_value(json_object_get(m, "id")));
			request(&c, "DELETE", path, token, NULL, NULL);
		}
		json_decref(j);
	}
	free(body);
	close(c.fd);
}

static void round_run(const char *label, const char *path, const char *token, int nclients,
                      int total, int round, int want)
{
	struct shared s = {token, path, nclients, total / nclients, round, NULL, NULL};
	int n = s.per_client * nclients;
	s.lat = calloc((size_t)n, sizeof *s.lat);
	s.status = calloc((size_t)n, sizeof *s.status);
	pthread_t *th = calloc((size_t)nclients, sizeof *th);
	struct worker *w = calloc((size_t)nclients, sizeof *w);
	double cpu0 = daemon_cpu_ms();
	double t0 = now_ms();
	for (int i = 0; i < nclients; i++) {
		w[i] = (struct worker){&s, i};
		pthread_create(&th[i], NULL, run_worker, &w[i]);
	}
	for (int i = 0; i < nclients; i++)
		pthread_join(th[i], NULL);
	double secs = (now_ms() - t0) / 1e3;
	double cpu = (daemon_cpu_ms() - cpu0) / (n ? n : 1);
	int ok = 0;
	for (int i = 0; i < n; i++)
		ok += s.status[i] == want;
	qsort(s.lat, (size_t)n, sizeof *s.lat, cmp_d);
	double p50 = s.lat[n / 2], p99 = s.lat[(int)((double)n * 0.99) < n ? (int)((double)n * 0.99) : n - 1];
	printf("%-8s %8d %8d %8d %10.0f %9.2f %9.2f %14.2f\n", label, nclients, n, ok, (double)ok / secs,
	       p50, p99, cpu);
	fflush(stdout);
	free(s.lat);
	free(s.status);
	free(th);
	free(w);
}

/* Figure 3 with platform3's pool and routes widened to a /16 and room
 * for every module (a /24 holds only 253). */
static char *widen(const char *net)
{
	json_t *j = json_loads(net, 0, NULL);
	if (!j)
		return NULL;
	size_t i;
	json_t *n;
	json_array_foreach(json_object_get(j, "nodes"), i, n)
		if (json_object_get(n, "capacity"))
			json_object_set_new(n, "capacity", json_integer(9999));
	char *t = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	/* same length replacements keep this simple */
	for (char *p = t; (p = strstr(p, "192.0.2.0/24")); p += 12)
		memcpy(p, "192.0.0.0/16", 12);
	return t;
}

int main(int argc, char **argv)
{
	int total = argc > 1 ? atoi(argv[1]) : 512;
	if (total < 64)
		total = 64;
	char exe[PATH_MAX];
	ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (el <= 0)
		return 1;
	exe[el] = '\0';
	char *slash = strrchr(exe, '/');
	*slash = '\0'; /* .../build/bench */
	char innetd[PATH_MAX + 64], source[PATH_MAX + 64];
	if (getenv("INNETD"))
		snprintf(innetd, sizeof innetd, "%s", getenv("INNETD"));
	else
		snprintf(innetd, sizeof innetd, "%s/../innetd", exe);
	if (getenv("INNET_SOURCE_DIR"))
		snprintf(source, sizeof source, "%s", getenv("INNET_SOURCE_DIR"));
	else
		snprintf(source, sizeof source, "%s/../..", exe);
	char path[PATH_MAX + 128];
	snprintf(path, sizeof path, "%s/examples/figure3-network.json", source);
	char *net = read_file(path);
	if (!net) {
		fprintf(stderr, "cannot read %s (set INNET_SOURCE_DIR)\n", path);
		return 1;
	}
	char *wide = widen(net);
	free(net);
	char dir[] = "/tmp/innet-bench-ctl-XXXXXX";
	if (!wide || !mkdtemp(dir))
		return 1;
	char netf[PATH_MAX], polf[PATH_MAX + 192];
	snprintf(netf, sizeof netf, "%s/network.json", dir);
	FILE *f = fopen(netf, "w");
	fputs(wide, f);
	fclose(f);
	free(wide);
	snprintf(polf, sizeof polf, "%s/examples/figure3-policy.reach", source);
	signal(SIGPIPE, SIG_IGN);
	int rc = start_daemon(innetd, dir, netf, polf);
	if (rc) {
		fprintf(stderr, "cannot start %s: %s\n", innetd, strerror(-rc));
		return 1;
	}
	struct conn c;
	char *body = NULL;
	if (conn_open(&c, daemon_port) ||
	    request(&c, "POST", "/v1/tenants", TOKEN,
	            "{\"name\":\"phone\",\"kind\":\"client\",\"addresses\":[\"172.16.15.133/32\"],"
	            "\"quotas\":{\"modules\":1000000}}", &body) != 201) {
		fprintf(stderr, "cannot create the tenant: %s\n", body ? body : "?");
		kill(daemon_pid, SIGTERM);
		return 1;
	}
	json_t *tj = json_loads(body, 0, NULL);
	char *token = strdup(json_string_value(json_object_get(tj, "token")));
	json_decref(tj);
	free(body);
	close(c.fd);

	printf("innet controller: Figure 4 requests on the Figure 3 network (3 platforms, 4 policy "
	       "statements), %d requests per round\n", total);
	printf("%-8s %8s %8s %8s %10s %9s %9s %14s\n", "call", "clients", "requests", "ok", "per_s",
	       "p50_ms", "p99_ms", "daemon_cpu_ms");
	static const int clients[] = {1, 8, 64};
	int round = 0;
	for (size_t i = 0; i < 3; i++) {
		round_run("check", "/v1/check", token, clients[i], total, round++, 200);
	}
	for (size_t i = 0; i < 3; i++) {
		round_run("deploy", "/v1/modules", token, clients[i], total, round++, 201);
		kill_all(token);
	}
	free(token);
	kill(daemon_pid, SIGTERM);
	int st;
	waitpid(daemon_pid, &st, 0);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return 0;
}
