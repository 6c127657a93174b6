/* libFuzzer: raw bytes from a client into innetd's HTTP server (real
 * sockets, one loop per input). Requests are answered at once, later (from
 * a timer, after the client may have gone) or with an error, so the
 * connection state machine sees pipelining, limits and cancellation.
 * Crashes, leaks and sanitizer reports are failures. */
#include <arpa/inet.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* innetd ignores SIGPIPE (src/main.c); so must this process, or a write to a
 * client that already hung up kills the fuzzer instead of failing the write. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

struct fx {
	uv_loop_t loop;
	struct http_server *srv;
	uv_timer_t timer;
	struct http_req *held[8];
	int nheld;
	int requests;
};

static void on_timer(uv_timer_t *t)
{
	struct fx *f = t->data;
	for (int i = 0; i < f->nheld; i++)
		http_respond(f->held[i], 200, "text/plain", NULL, "later", 5);
	f->nheld = 0;
}

static void on_req(struct http_req *r, void *ud)
{
	struct fx *f = ud;
	size_t len;
	const char *body = http_req_body(r, &len);
	const char *path = http_req_path(r);
	(void)http_req_header(r, "Content-Type");
	(void)http_req_query(r);
	switch ((f->requests++ + strlen(path) + len) % 3) {
	case 0:
		http_respond(r, 200, "application/octet-stream", "X-A: b\r\n", body, len);
		break;
	case 1:
		http_respond_error(r, 404, "not_found", path, json_pack("{s:s}", "method", http_req_method(r)));
		break;
	default:
		if (f->nheld < 8) {
			f->held[f->nheld++] = r;
			uv_timer_start(&f->timer, on_timer, 0, 0);
		} else {
			http_respond(r, 204, NULL, NULL, NULL, 0);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fx f;
	memset(&f, 0, sizeof f);
	if (uv_loop_init(&f.loop))
		return 0;
	uv_timer_init(&f.loop, &f.timer);
	f.timer.data = &f;
	struct http_limits lim = {4096, 2048, 4, 1000, 1000, 0, 0, 0};
	if (http_server_new(&f.loop, &lim, on_req, &f, &f.srv) ||
	    http_server_listen(f.srv, "127.0.0.1", 0))
		abort();
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)http_server_port(f.srv))};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	static unsigned failed_in_a_row;
	if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof sa)) {
		/* a connect can fail now and then after many thousand short
		 * connections (ephemeral ports in TIME_WAIT): skip that input;
		 * a server that never accepts fails after 1000 in a row */
		if (++failed_in_a_row >= 1000)
			abort();
		close(s);
		s = -1;
	} else if (s >= 0) {
		failed_in_a_row = 0;
	}
	if (s < 0)
		size = 0;
	size_t off = 0;
	while (off < size) {
		ssize_t w = write(s, data + off, size - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	/* half of the inputs hang up at once (cancelling what is pending) */
	if (s >= 0 && size && (data[0] & 1))
		close(s), s = -1;
	else if (s >= 0)
		shutdown(s, SHUT_WR);
	/* run until the server has accepted and finished with the connection */
	int seen = 0;
	for (int i = 0; i < 2000; i++) {
		uv_run(&f.loop, UV_RUN_NOWAIT);
		unsigned n = http_server_connections(f.srv);
		seen |= n > 0;
		if (seen && n == 0 && f.nheld == 0)
			break;
		if (!seen && i > 200)
			break;
		usleep(50);
	}
	if (s >= 0)
		close(s);
	on_timer(&f.timer); /* answer what is still held */
	uv_close((uv_handle_t *)&f.timer, NULL);
	http_server_close(f.srv);
	uv_run(&f.loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&f.loop))
		abort();
	return 0;
}
