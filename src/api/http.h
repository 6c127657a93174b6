/* HTTP/1.1 server on libuv + llhttp: keep-alive, pipelining (one request
 * at a time per connection, so responses leave in request order), limits on
 * header and body size, connection count, per-connection header and idle
 * timeouts, graceful shutdown. It knows nothing about routes: it hands each
 * complete request to one callback, which answers now or later with
 * http_respond(). Everything runs on the loop thread. */
#ifndef INNET_HTTP_H
#define INNET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

struct http_server;
struct http_req;

struct http_limits {
	size_t max_body;          /* 413 above */
	size_t max_header;        /* request line + headers; 431 above */
	unsigned max_connections; /* 503 above */
	uint64_t header_timeout_ms; /* whole request, from its first byte */
	uint64_t idle_timeout_ms;   /* between keep-alive requests */
};

/* Called once per complete request. The callee must call http_respond()
 * exactly once for it, now or later (from the loop thread). Until then the
 * request stays valid even if the client disconnects: http_req_cancelled()
 * then says so, and the response is dropped. (The connection is read while
 * a request is handled, so a client that closes or half-closes its side
 * cancels its pending request.) */
typedef void (*http_request_cb)(struct http_req *req, void *ud);

int http_server_new(uv_loop_t *loop, const struct http_limits *lim,
                    http_request_cb cb, void *ud, struct http_server **out);
/* Bind and listen (port 0: any free port; see http_server_port). */
int http_server_listen(struct http_server *s, const char *host, int port);
int http_server_port(const struct http_server *s);
unsigned http_server_connections(const struct http_server *s);
/* Stop accepting; idle connections close now, busy ones after their current
 * response. `done` runs once no connection is left (maybe immediately). */
void http_server_shutdown(struct http_server *s, void (*done)(void *arg), void *arg);
bool http_server_draining(const struct http_server *s);
/* Close every connection now (pending requests become cancelled) and the
 * listener, then free the server once the loop has closed the handles. */
void http_server_close(struct http_server *s);

const char *http_req_method(const struct http_req *r);
const char *http_req_path(const struct http_req *r);  /* without the query */
const char *http_req_query(const struct http_req *r); /* after '?', or "" */
/* Case-insensitive; NULL when absent. */
const char *http_req_header(const struct http_req *r, const char *name);
const char *http_req_body(const struct http_req *r, size_t *len);
bool http_req_cancelled(const struct http_req *r);
void http_req_set_data(struct http_req *r, void *data);
void *http_req_data(const struct http_req *r);
/* Milliseconds since the request was complete (for logs). */
uint64_t http_req_age_ms(const struct http_req *r);

/* Answer and release the request (r is invalid afterwards).
 * extra_headers: NULL or "Name: value\r\n" lines. The body is copied. */
void http_respond(struct http_req *r, int status, const char *content_type,
                  const char *extra_headers, const char *body, size_t len);
/* JSON body (reference stolen; NULL means an empty object). */
void http_respond_json(struct http_req *r, int status, const char *extra_headers, json_t *body);
/* {"error": {"code", "message", "details"}}; details stolen, may be NULL. */
void http_respond_error(struct http_req *r, int status, const char *code,
                        const char *message, json_t *details);
/* A JSON string of s; bytes that are not UTF-8 become '?'. */
json_t *http_json_text(const char *s);
/* The error body as JSON (used by the server and the API alike). */
json_t *http_error_json(const char *code, const char *message, json_t *details);
const char *http_status_text(int status);

#endif
