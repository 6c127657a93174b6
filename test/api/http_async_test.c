/* The HTTP server's deferred answers: a handler that answers later keeps the
 * request valid when the client has gone (and the answer is dropped),
 * pipelined requests wait for the deferred one (answers stay in order), and
 * a graceful shutdown waits for the pending answer. A client thread speaks
 * plain sockets to a server on the test's own loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/api.h"

struct fx {
	uv_loop_t loop;
	struct http_server *srv;
	uv_timer_t timer;
	struct http_req *held;
	bool held_was_cancelled;
	bool fast_seen_while_held;
	bool shutdown_on_slow, drained, drained_before_answer;
	int answered;
	char order[64];
};

struct client {
	int port;
	const char *req;
	bool hang_up; /* close right after sending */
	char buf[8192];
	size_t n;
};

static void *client_main(void *arg)
{
	struct client *c = arg;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(s, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    write(s, c->req, strlen(c->req)) == (ssize_t)strlen(c->req) && !c->hang_up) {
		ssize_t r;
		while (c->n < sizeof c->buf - 1 && (r = read(s, c->buf + c->n, sizeof c->buf - 1 - c->n)) > 0)
			c->n += (size_t)r;
	}
	c->buf[c->n] = '\0';
	close(s);
	return NULL;
}

static void finish(struct fx *f)
{
	uv_close((uv_handle_t *)&f->timer, NULL);
	http_server_close(f->srv);
}

static void on_tick(uv_timer_t *t)
{
	struct fx *f = t->data;
	struct http_req *r = f->held;
	if (!r)
		return;
	if (f->shutdown_on_slow == false && strstr(f->order, "hangup") && !http_req_cancelled(r))
		return; /* wait until the server has seen the client go */
	f->held_was_cancelled = http_req_cancelled(r);
	f->held = NULL;
	f->drained_before_answer = f->drained;
	http_respond(r, 200, "text/plain", NULL, "slow", 4);
	f->answered++;
	uv_timer_stop(t);
	if (strstr(f->order, "hangup"))
		finish(f);
}

static void on_drained(void *arg)
{
	struct fx *f = arg;
	f->drained = true;
	finish(f);
}

static void on_req(struct http_req *r, void *ud)
{
	struct fx *f = ud;
	char p[64];
	snprintf(p, sizeof p, "%s", http_req_path(r)); /* r is gone once answered */
	size_t used = strlen(f->order);
	snprintf(f->order + used, sizeof f->order - used, "%s", p);
	if (!strcmp(p, "/slow") || !strcmp(p, "/hangup")) {
		f->held = r;
		uv_timer_start(&f->timer, on_tick, 20, 5);
		if (f->shutdown_on_slow)
			http_server_shutdown(f->srv, on_drained, f);
		return;
	}
	f->fast_seen_while_held |= f->held != NULL;
	http_respond(r, 200, "text/plain", NULL, p, strlen(p));
	f->answered++;
	if (!strcmp(p, "/last")) /* close once that answer is out */
		http_server_shutdown(f->srv, on_drained, f);
}

static void start(struct fx *f, struct client *c)
{
	memset(f, 0, sizeof *f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	uv_timer_init(&f->loop, &f->timer);
	f->timer.data = f;
	struct http_limits lim = {65536, 16384, 16, 10000, 10000, 0, 0, 0};
	assert_int_equal(http_server_new(&f->loop, &lim, on_req, f, &f->srv), 0);
	assert_int_equal(http_server_listen(f->srv, "127.0.0.1", 0), 0);
	c->port = http_server_port(f->srv);
	assert_true(c->port > 0);
}

static void run(struct fx *f, struct client *c)
{
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, client_main, c), 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	pthread_join(th, NULL);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

static void test_client_gone_while_pending(void **state)
{
	struct fx f;
	struct client c = {.req = "GET /hangup HTTP/1.1\r\nHost: x\r\n\r\n", .hang_up = true};
	start(&f, &c);
	run(&f, &c);
	assert_string_equal(f.order, "/hangup");
	assert_true(f.held_was_cancelled);
	assert_int_equal(f.answered, 1); /* answered (and dropped) without a crash */
}

static void test_pipelined_wait_for_deferred(void **state)
{
	struct fx f;
	struct client c = {.req = "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
	                          "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
	                          "GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"};
	start(&f, &c);
	run(&f, &c);
	assert_string_equal(f.order, "/slow/fast/last");
	assert_false(f.fast_seen_while_held);
	const char *a = strstr(c.buf, "\r\n\r\nslow"), *b = strstr(c.buf, "\r\n\r\n/fast"),
	           *l = strstr(c.buf, "\r\n\r\n/last");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(l);
	assert_true(a < b && b < l);
}

static void test_shutdown_waits_for_pending(void **state)
{
	struct fx f;
	struct client c = {.req = "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"};
	start(&f, &c);
	f.shutdown_on_slow = true;
	run(&f, &c);
	assert_true(f.drained);
	assert_false(f.drained_before_answer);
	assert_false(f.held_was_cancelled);
	assert_non_null(strstr(c.buf, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(c.buf, "Connection: close\r\n"));
	assert_non_null(strstr(c.buf, "\r\n\r\nslow"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_gone_while_pending),
		cmocka_unit_test(test_pipelined_wait_for_deferred),
		cmocka_unit_test(test_shutdown_waits_for_pending),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
