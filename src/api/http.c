#include "api/api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <llhttp.h>

#include "base/log.h"

/* One client address: its open connections, its accept bucket and the
 * refusals not yet logged (one line per address and report interval). */
struct peer {
	struct peer *next; /* hash chain */
	uint8_t addr[16];  /* IPv4 as ::ffff:a.b.c.d */
	unsigned nconns;
	double tokens;     /* accepts left; refilled at accepts_per_second */
	uint64_t refill_at;
	uint64_t refused;
	const char *why;   /* the last refusal's limit */
};

#define PEER_BUCKETS 4096
#define PEER_MAX 65536 /* beyond it new addresses are not tracked */
#define REPORT_DEFAULT_MS 10000
#define REFUSE_LINGER_MAX 256 /* refused connections read and dropped at once */
#define REFUSE_LINGER_MS 1000

struct http_server {
	uv_loop_t *loop;
	uv_tcp_t listener;
	uv_pipe_t local;    /* the operator socket (admin-socket) */
	uv_timer_t report;  /* logs refusals, forgets quiet peers */
	unsigned nhandles;  /* of the three above, not yet closed */
	bool listening, local_listening, closing, draining;
	char *local_path;   /* unlinked when closed */
	struct http_limits lim;
	http_request_cb cb;
	void *ud;
	struct conn *conns; /* open connections */
	unsigned nopen;     /* in `conns` */
	unsigned ntcp;      /* of them, over TCP (max_connections) */
	unsigned nlocal;    /* of them, over the operator socket */
	unsigned nalive;    /* conn structs not yet freed */
	unsigned nrefusing; /* refused connections lingering */
	struct peer *peers[PEER_BUCKETS];
	unsigned npeers;
	uint64_t refused_untracked, refused_local, accept_errors;
	struct http_stats total;   /* since start (the above are per report interval) */
	int accept_error;   /* the last one's libuv code */
	void (*drained)(void *);
	void *drained_arg;
	int port;
};

struct header {
	char *name, *value;
	size_t nlen, vlen;
};

struct http_req {
	struct conn *conn;
	char *method;
	char *url;
	size_t url_len;
	char *path, *query;
	struct header *hdrs;
	size_t nhdrs, hcap;
	bool in_value; /* last header callback was a value */
	char *body;
	size_t body_len, body_cap;
	void *data;
	bool cancelled, keep_alive, head;
	uint64_t done_at;
};

enum conn_state { C_READING, C_HANDLING, C_WRITING, C_LINGER, C_CLOSED };
enum timer_kind { T_NONE, T_HEADER, T_IDLE, T_LINGER };

struct conn {
	struct http_server *srv;
	struct conn *prev, *next;
	union {
		uv_handle_t handle;
		uv_stream_t stream;
		uv_tcp_t tcp;
		uv_pipe_t pipe;
	} io;
	bool local;         /* over the operator socket */
	bool refusing;      /* refused, lingering: in no connection count */
	struct peer *peer;  /* TCP, when tracked */
	char peer_name[48]; /* "a.b.c.d", "::1" or "local" */
	uv_timer_t timer;
	llhttp_t parser;
	enum conn_state state;
	enum timer_kind tkind;
	int refs;           /* 2 handles + 1 per outstanding request */
	struct http_req *req; /* being parsed or handled */
	bool ready;         /* req complete, to dispatch */
	bool in_message;    /* between message begin and complete */
	bool close_after;   /* Connection: close on the next response */
	bool upgrade;
	bool linger;        /* after an error response, drain before closing */
	size_t header_bytes;
	int err_status;     /* a limit hit inside a callback */
	char *pending;      /* input received after a complete request */
	size_t npending;
	bool reading;       /* uv_read_start is in effect */
};

static llhttp_settings_t parser_settings;
static void conn_continue(struct conn *c);
static void conn_close(struct conn *c);

const char *http_status_text(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

static uint64_t now_ms(uv_loop_t *loop)
{
	return uv_now(loop);
}

/* --- request ------------------------------------------------------------- */

static void req_free(struct http_req *r)
{
	if (!r)
		return;
	free(r->method);
	free(r->url);
	free(r->path);
	for (size_t i = 0; i < r->nhdrs; i++) {
		free(r->hdrs[i].name);
		free(r->hdrs[i].value);
	}
	free(r->hdrs);
	free(r->body);
	free(r);
}

static int append(char **buf, size_t *len, const char *at, size_t n)
{
	char *nb = realloc(*buf, *len + n + 1);
	if (!nb)
		return -ENOMEM;
	memcpy(nb + *len, at, n);
	*len += n;
	nb[*len] = '\0';
	*buf = nb;
	return 0;
}

const char *http_req_method(const struct http_req *r) { return r->method; }
const char *http_req_path(const struct http_req *r) { return r->path; }
const char *http_req_query(const struct http_req *r) { return r->query; }
bool http_req_cancelled(const struct http_req *r) { return r->cancelled; }
void http_req_set_data(struct http_req *r, void *data) { r->data = data; }
void *http_req_data(const struct http_req *r) { return r->data; }

const char *http_req_peer(const struct http_req *r)
{
	return r->conn ? r->conn->peer_name : "";
}

bool http_req_local(const struct http_req *r)
{
	return r->conn && r->conn->local;
}

uint64_t http_req_age_ms(const struct http_req *r)
{
	return r->conn ? now_ms(r->conn->srv->loop) - r->done_at : 0;
}

const char *http_req_header(const struct http_req *r, const char *name)
{
	for (size_t i = 0; i < r->nhdrs; i++)
		if (!strcasecmp(r->hdrs[i].name, name))
			return r->hdrs[i].value ? r->hdrs[i].value : "";
	return NULL;
}

const char *http_req_body(const struct http_req *r, size_t *len)
{
	*len = r->body_len;
	return r->body ? r->body : "";
}

/* --- parser callbacks ---------------------------------------------------- */

static struct conn *conn_of(llhttp_t *p)
{
	return p->data;
}

static int header_budget(struct conn *c, size_t n)
{
	c->header_bytes += n;
	if (c->header_bytes > c->srv->lim.max_header) {
		c->err_status = 431;
		return -1;
	}
	return 0;
}

static void timer_start(struct conn *c, enum timer_kind k, uint64_t ms);

static int on_message_begin(llhttp_t *p)
{
	struct conn *c = conn_of(p);
	c->req = calloc(1, sizeof *c->req);
	if (!c->req)
		return -1;
	c->req->conn = c;
	c->header_bytes = 0;
	c->in_message = true;
	if (c->tkind != T_HEADER)
		timer_start(c, T_HEADER, c->srv->lim.header_timeout_ms);
	return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = conn_of(p);
	if (header_budget(c, n))
		return -1;
	return append(&c->req->url, &c->req->url_len, at, n) ? -1 : 0;
}

static int on_method(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = conn_of(p);
	size_t len = c->req->method ? strlen(c->req->method) : 0;
	if (header_budget(c, n))
		return -1;
	return append(&c->req->method, &len, at, n) ? -1 : 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = conn_of(p);
	struct http_req *r = c->req;
	if (header_budget(c, n))
		return -1;
	if (r->nhdrs == 0 || r->in_value) {
		if (header_budget(c, 4)) /* ": " and CRLF */
			return -1;
		if (r->nhdrs == r->hcap) {
			size_t nc = r->hcap ? r->hcap * 2 : 16;
			struct header *nh = realloc(r->hdrs, nc * sizeof *nh);
			if (!nh)
				return -1;
			r->hdrs = nh;
			r->hcap = nc;
		}
		memset(&r->hdrs[r->nhdrs++], 0, sizeof *r->hdrs);
		r->in_value = false;
	}
	struct header *h = &r->hdrs[r->nhdrs - 1];
	return append(&h->name, &h->nlen, at, n) ? -1 : 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = conn_of(p);
	struct http_req *r = c->req;
	if (header_budget(c, n))
		return -1;
	r->in_value = true;
	struct header *h = &r->hdrs[r->nhdrs - 1];
	return append(&h->value, &h->vlen, at, n) ? -1 : 0;
}

static void write_raw(struct conn *c, const char *text);

static int on_headers_complete(llhttp_t *p)
{
	struct conn *c = conn_of(p);
	struct http_req *r = c->req;
	for (size_t i = 0; i < r->nhdrs; i++)
		if (!r->hdrs[i].value)
			r->hdrs[i].value = strdup("");
	if ((p->flags & F_CONTENT_LENGTH) && p->content_length > c->srv->lim.max_body) {
		c->err_status = 413;
		return -1;
	}
	const char *expect = http_req_header(r, "Expect");
	if (expect && !strcasecmp(expect, "100-continue"))
		write_raw(c, "HTTP/1.1 100 Continue\r\n\r\n");
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = conn_of(p);
	struct http_req *r = c->req;
	if (r->body_len + n > c->srv->lim.max_body) {
		c->err_status = 413;
		return -1;
	}
	if (r->body_len + n + 1 > r->body_cap) {
		size_t nc = r->body_cap ? r->body_cap : 1024;
		while (nc < r->body_len + n + 1)
			nc *= 2;
		char *nb = realloc(r->body, nc);
		if (!nb)
			return -1;
		r->body = nb;
		r->body_cap = nc;
	}
	memcpy(r->body + r->body_len, at, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return 0;
}

static int on_message_complete(llhttp_t *p)
{
	struct conn *c = conn_of(p);
	struct http_req *r = c->req;
	if (!r->method)
		r->method = strdup(llhttp_method_name(p->method));
	if (!r->url)
		r->url = strdup("");
	if (!r->method || !r->url)
		return -1;
	char *q = strchr(r->url, '?');
	r->path = strndup(r->url, q ? (size_t)(q - r->url) : strlen(r->url));
	if (!r->path)
		return -1;
	r->query = q ? q + 1 : r->url + strlen(r->url);
	r->keep_alive = llhttp_should_keep_alive(p);
	r->head = p->method == HTTP_HEAD;
	c->in_message = false;
	c->ready = true;
	return HPE_PAUSED; /* one request at a time: responses stay in order */
}

static void init_settings(void)
{
	if (parser_settings.on_message_begin)
		return;
	llhttp_settings_init(&parser_settings);
	parser_settings.on_message_begin = on_message_begin;
	parser_settings.on_method = on_method;
	parser_settings.on_url = on_url;
	parser_settings.on_header_field = on_header_field;
	parser_settings.on_header_value = on_header_value;
	parser_settings.on_headers_complete = on_headers_complete;
	parser_settings.on_body = on_body;
	parser_settings.on_message_complete = on_message_complete;
}

/* --- connection lifetime -------------------------------------------------- */

static void peers_free(struct http_server *s)
{
	for (size_t i = 0; i < PEER_BUCKETS; i++)
		while (s->peers[i]) {
			struct peer *p = s->peers[i];
			s->peers[i] = p->next;
			free(p);
		}
	s->npeers = 0;
}

static void server_maybe_free(struct http_server *s)
{
	if (!s->closing || s->nhandles || s->nalive)
		return;
	peers_free(s);
	free(s->local_path);
	free(s);
}

static void conn_unref(struct conn *c)
{
	if (--c->refs > 0)
		return;
	struct http_server *s = c->srv;
	req_free(c->req);
	free(c->pending);
	free(c);
	s->nalive--;
	server_maybe_free(s);
}

static void on_handle_closed(uv_handle_t *h)
{
	conn_unref(h->data);
}

static void maybe_drained(struct http_server *s)
{
	if (s->draining && s->nopen == 0 && s->drained) {
		void (*cb)(void *) = s->drained;
		s->drained = NULL;
		cb(s->drained_arg);
	}
}

static void conn_close(struct conn *c)
{
	if (c->state == C_CLOSED)
		return;
	enum conn_state was = c->state;
	c->state = C_CLOSED;
	if (was == C_HANDLING && c->req) {
		/* the handler still owns the request; it learns on responding */
		c->req->cancelled = true;
		c->req = NULL;
	}
	struct http_server *s = c->srv;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nopen--;
	if (c->refusing)
		s->nrefusing--;
	else if (c->local)
		s->nlocal--;
	else
		s->ntcp--;
	if (c->peer)
		c->peer->nconns--;
	uv_close(&c->io.handle, on_handle_closed);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
	maybe_drained(s);
}

static void on_timer(uv_timer_t *t)
{
	struct conn *c = t->data;
	if (c->tkind == T_HEADER)
		log_debug("http", "closing a connection: request not complete within %llu ms",
		          (unsigned long long)c->srv->lim.header_timeout_ms);
	c->tkind = T_NONE;
	conn_close(c);
}

static void timer_start(struct conn *c, enum timer_kind k, uint64_t ms)
{
	c->tkind = k;
	uv_timer_start(&c->timer, on_timer, ms, 0);
}

static void timer_stop(struct conn *c)
{
	c->tkind = T_NONE;
	uv_timer_stop(&c->timer);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf);
static void alloc_cb(uv_handle_t *h, size_t sz, uv_buf_t *buf);

static int read_on(struct conn *c, uv_read_cb cb)
{
	if (c->reading)
		uv_read_stop(&c->io.stream);
	c->reading = uv_read_start(&c->io.stream, alloc_cb, cb) == 0;
	return c->reading ? 0 : -EIO;
}

static void read_off(struct conn *c)
{
	if (c->reading)
		uv_read_stop(&c->io.stream);
	c->reading = false;
}

/* --- writing ------------------------------------------------------------- */

struct wreq {
	uv_write_t w;
	struct conn *c;
	bool last;  /* the response that ends this request */
	size_t len;
	char data[];
};

static void on_linger_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf);

static void on_shutdown(uv_shutdown_t *sr, int status)
{
	struct conn *c = sr->data;
	free(sr);
	conn_unref(c);
}

static void conn_linger(struct conn *c, uint64_t ms)
{
	/* Send FIN but keep reading (and dropping) what the client still sends,
	 * so it sees our error response instead of a reset. Bounded by a timer. */
	c->state = C_LINGER;
	timer_start(c, T_LINGER, ms);
	uv_shutdown_t *sr = malloc(sizeof *sr);
	if (sr) {
		sr->data = c;
		c->refs++;
		if (uv_shutdown(sr, &c->io.stream, on_shutdown)) {
			free(sr);
			c->refs--;
		}
	}
	if (read_on(c, on_linger_read))
		conn_close(c);
}

static void on_written(uv_write_t *w, int status)
{
	struct wreq *wr = (struct wreq *)w;
	struct conn *c = wr->c;
	bool last = wr->last;
	free(wr);
	if (c->state == C_CLOSED || !last) {
		if (status < 0 && c->state != C_CLOSED)
			conn_close(c);
		conn_unref(c);
		return;
	}
	if (status < 0) {
		conn_close(c);
	} else if (c->close_after && c->linger) {
		conn_linger(c, c->srv->lim.header_timeout_ms < 2000 ? c->srv->lim.header_timeout_ms : 2000);
	} else if (c->close_after) {
		conn_close(c);
	} else {
		c->state = C_READING;
		conn_continue(c);
	}
	conn_unref(c);
}

static int write_buf(struct conn *c, char *data, size_t len, bool last)
{
	struct wreq *wr = malloc(sizeof *wr + len);
	if (!wr)
		return -ENOMEM;
	memcpy(wr->data, data, len);
	wr->c = c;
	wr->last = last;
	wr->len = len;
	uv_buf_t b = uv_buf_init(wr->data, (unsigned)len);
	c->refs++;
	int rc = uv_write(&wr->w, &c->io.stream, &b, 1, on_written);
	if (rc) {
		free(wr);
		c->refs--;
		return rc;
	}
	return 0;
}

static void write_raw(struct conn *c, const char *text)
{
	write_buf(c, (char *)text, strlen(text), false);
}

static char *format_response(int status, const char *ctype, const char *extra,
                             const char *body, size_t len, bool close, bool head,
                             size_t *outlen)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (!f)
		return NULL;
	fprintf(f, "HTTP/1.1 %d %s\r\nServer: innetd/%s\r\n", status,
	        http_status_text(status), INNET_VERSION);
	if (len || ctype)
		fprintf(f, "Content-Type: %s\r\n", ctype ? ctype : "application/octet-stream");
	fprintf(f, "Content-Length: %zu\r\n", len);
	if (close)
		fputs("Connection: close\r\n", f);
	if (extra)
		fputs(extra, f);
	fputs("\r\n", f);
	if (!head && len)
		fwrite(body, 1, len, f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	*outlen = n;
	return buf;
}

/* A response the server makes itself (limits, parse errors): then close. */
static void conn_fail(struct conn *c, int status, const char *code, const char *msg)
{
	json_t *j = http_error_json(code, msg, NULL);
	char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	size_t n;
	char *resp = format_response(status, "application/json", NULL, body ? body : "",
	                             body ? strlen(body) : 0, true, false, &n);
	free(body);
	timer_stop(c);
	c->close_after = true;
	c->linger = true;
	c->state = C_WRITING;
	read_off(c);
	if (!resp || write_buf(c, resp, n, true))
		conn_close(c);
	free(resp);
}

json_t *http_json_text(const char *s)
{
	json_t *j = json_string(s ? s : "");
	if (j)
		return j;
	/* not UTF-8 (e.g. a raw path echoed in a message): keep ASCII, mark the rest */
	size_t n = strlen(s);
	char *t = malloc(n + 1);
	if (!t)
		return NULL;
	for (size_t i = 0; i <= n; i++)
		t[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
	j = json_string(t);
	free(t);
	return j;
}

json_t *http_error_json(const char *code, const char *message, json_t *details)
{
	json_t *c = http_json_text(code), *m = http_json_text(message);
	json_t *e = json_object(), *o = json_object();
	if (!c || !m || !e || !o) {
		json_decref(c);
		json_decref(m);
		json_decref(e);
		json_decref(o);
		json_decref(details);
		return NULL;
	}
	json_object_set_new(e, "code", c);
	json_object_set_new(e, "message", m);
	json_object_set_new(e, "details", details ? details : json_object());
	json_object_set_new(o, "error", e);
	return o;
}

void http_respond(struct http_req *r, int status, const char *content_type,
                  const char *extra_headers, const char *body, size_t len)
{
	struct conn *c = r->conn;
	if (r->cancelled) {
		req_free(r);
		conn_unref(c);
		return;
	}
	c->req = NULL;
	bool close = c->close_after || !r->keep_alive || c->upgrade || c->srv->draining;
	c->close_after = close;
	size_t n;
	char *resp = format_response(status, content_type, extra_headers, body, len,
	                             close, r->head, &n);
	if (log_enabled(LOGL_DEBUG))
		log_debug("http", "%s %s -> %d (%llu ms)", r->method, r->url, status,
		          (unsigned long long)http_req_age_ms(r));
	req_free(r);
	c->state = C_WRITING;
	if (!resp || write_buf(c, resp, n, true))
		conn_close(c);
	free(resp);
	conn_unref(c); /* the request's reference */
}

void http_respond_json(struct http_req *r, int status, const char *extra_headers, json_t *body)
{
	char *text = json_dumps(body ? body : json_object(), JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(body);
	if (!text) {
		http_respond(r, 500, "application/json", NULL,
		             "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\",\"details\":{}}}", 67);
		return;
	}
	http_respond(r, status, "application/json", extra_headers, text, strlen(text));
	free(text);
}

void http_respond_error(struct http_req *r, int status, const char *code,
                        const char *message, json_t *details)
{
	http_respond_json(r, status, NULL, http_error_json(code, message, details));
}

/* --- reading ------------------------------------------------------------- */

static void alloc_cb(uv_handle_t *h, size_t sz, uv_buf_t *buf)
{
	(void)h;
	buf->base = malloc(sz > 65536 ? 65536 : sz);
	buf->len = buf->base ? (sz > 65536 ? 65536 : sz) : 0;
}

static void on_linger_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = st->data;
	free(buf->base);
	if (n < 0)
		conn_close(c);
}

static void dispatch(struct conn *c)
{
	c->ready = false;
	c->state = C_HANDLING;
	timer_stop(c);
	/* keep reading: a client that disconnects now cancels the request;
	 * what it pipelines meanwhile waits in c->pending */
	struct http_req *r = c->req;
	r->done_at = now_ms(c->srv->loop);
	c->refs++; /* held by the request until http_respond */
	c->srv->cb(r, c->srv->ud);
}

/* Feed bytes to the parser; a complete request stops parsing (the rest is
 * kept for later) and goes to the handler. */
static void feed(struct conn *c, const char *data, size_t len)
{
	llhttp_errno_t e = llhttp_execute(&c->parser, data, len);
	if (e == HPE_OK)
		return;
	if (e == HPE_PAUSED || e == HPE_PAUSED_UPGRADE) {
		const char *pos = llhttp_get_error_pos(&c->parser);
		size_t used = pos && pos >= data && pos <= data + len ? (size_t)(pos - data) : len;
		if (e == HPE_PAUSED_UPGRADE) {
			c->upgrade = true; /* not supported: answer, then close */
			used = len;
		}
		if (used < len) {
			char *rest = malloc(len - used);
			if (!rest) {
				conn_close(c);
				return;
			}
			memcpy(rest, data + used, len - used);
			free(c->pending);
			c->pending = rest;
			c->npending = len - used;
		}
		if (c->ready)
			dispatch(c);
		return;
	}
	int status = c->err_status ? c->err_status : 400;
	const char *reason = llhttp_get_error_reason(&c->parser);
	if (status == 413)
		conn_fail(c, 413, "body_too_large", "request body exceeds max-body");
	else if (status == 431)
		conn_fail(c, 431, "headers_too_large", "request line and headers exceed max-header");
	else
		conn_fail(c, 400, "bad_request", reason && *reason ? reason : "malformed HTTP request");
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = st->data;
	if (n > 0 && c->state == C_READING) {
		feed(c, buf->base, (size_t)n);
	} else if (n > 0 && (c->state == C_HANDLING || c->state == C_WRITING)) {
		/* pipelined input while a request is handled: keep it for later,
		 * and stop reading once a whole request's worth is waiting */
		char *np = realloc(c->pending, c->npending + (size_t)n);
		if (!np) {
			conn_close(c);
		} else {
			memcpy(np + c->npending, buf->base, (size_t)n);
			c->pending = np;
			c->npending += (size_t)n;
			if (c->npending > c->srv->lim.max_header + c->srv->lim.max_body)
				read_off(c);
		}
	} else if (n < 0) {
		conn_close(c);
	}
	free(buf->base);
}

/* After a response: parse what was already received, then read more. */
static void conn_continue(struct conn *c)
{
	llhttp_resume(&c->parser);
	if (c->srv->draining && !c->in_message && !c->npending) {
		conn_close(c);
		return;
	}
	if (c->npending) {
		char *p = c->pending;
		size_t n = c->npending;
		c->pending = NULL;
		c->npending = 0;
		feed(c, p, n);
		free(p);
		if (c->state != C_READING)
			return;
	}
	if (!c->in_message)
		timer_start(c, T_IDLE, c->srv->lim.idle_timeout_ms);
	if (!c->reading && read_on(c, on_read))
		conn_close(c);
}

/* --- client addresses ------------------------------------------------------ */

static void peer_key(const struct sockaddr_storage *ss, uint8_t key[16])
{
	memset(key, 0, 16);
	if (ss->ss_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	}
}

static void peer_text(const uint8_t key[16], char *buf, size_t cap)
{
	static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (!memcmp(key, v4, 12))
		uv_inet_ntop(AF_INET, key + 12, buf, cap);
	else
		uv_inet_ntop(AF_INET6, key, buf, cap);
}

static size_t peer_bucket(const uint8_t key[16])
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h & (PEER_BUCKETS - 1);
}

/* The entry of key, created when missing; NULL when the table is full
 * (the address is then held only by max-connections). */
static struct peer *peer_get(struct http_server *s, const uint8_t key[16])
{
	size_t b = peer_bucket(key);
	for (struct peer *p = s->peers[b]; p; p = p->next)
		if (!memcmp(p->addr, key, 16))
			return p;
	if (s->npeers >= PEER_MAX)
		return NULL;
	struct peer *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	memcpy(p->addr, key, 16);
	p->tokens = 2.0 * s->lim.accepts_per_second;
	p->refill_at = now_ms(s->loop);
	p->next = s->peers[b];
	s->peers[b] = p;
	s->npeers++;
	return p;
}

/* Take one accept from p's bucket (bursts of twice the rate); false when
 * it is empty. */
static bool peer_take(struct http_server *s, struct peer *p)
{
	double rate = s->lim.accepts_per_second;
	if (rate <= 0)
		return true;
	uint64_t now = now_ms(s->loop);
	p->tokens += (double)(now - p->refill_at) * rate / 1000.0;
	if (p->tokens > 2.0 * rate)
		p->tokens = 2.0 * rate;
	p->refill_at = now;
	if (p->tokens < 1.0)
		return false;
	p->tokens -= 1.0;
	return true;
}

static bool peer_quiet(const struct http_server *s, const struct peer *p)
{
	double rate = s->lim.accepts_per_second;
	double full = p->tokens + (double)(now_ms(s->loop) - p->refill_at) * rate / 1000.0;
	return p->nconns == 0 && p->refused == 0 && (rate <= 0 || full >= 2.0 * rate);
}

/* Once per report interval: one log line per address that was refused,
 * with the count, and quiet addresses forgotten (bounded memory). */
static void report_refusals(struct http_server *s)
{
	uint64_t every = s->lim.report_interval_ms ? s->lim.report_interval_ms : REPORT_DEFAULT_MS;
	for (size_t i = 0; i < PEER_BUCKETS; i++) {
		struct peer **pp = &s->peers[i];
		while (*pp) {
			struct peer *p = *pp;
			if (p->refused) {
				char name[48];
				peer_text(p->addr, name, sizeof name);
				log_warn("http", "refused %llu connection(s) from %s in the last %llu ms (%s)",
				         (unsigned long long)p->refused, name, (unsigned long long)every, p->why);
				p->refused = 0;
			}
			if (peer_quiet(s, p)) {
				*pp = p->next;
				free(p);
				s->npeers--;
			} else {
				pp = &p->next;
			}
		}
	}
	if (s->refused_untracked)
		log_warn("http", "refused %llu connection(s) from untracked addresses in the last %llu ms "
		         "(max-connections)", (unsigned long long)s->refused_untracked,
		         (unsigned long long)every);
	if (s->refused_local)
		log_warn("http", "refused %llu connection(s) on the operator socket in the last %llu ms "
		         "(max-connections)", (unsigned long long)s->refused_local, (unsigned long long)every);
	if (s->accept_errors)
		log_warn("http", "%llu accept error(s) in the last %llu ms (the last: %s)",
		         (unsigned long long)s->accept_errors, (unsigned long long)every,
		         uv_strerror(s->accept_error));
	s->refused_untracked = s->refused_local = s->accept_errors = 0;
}

static void on_report(uv_timer_t *t)
{
	report_refusals(t->data);
}

/* --- accepting ------------------------------------------------------------- */

#define BODY_503 "{\"error\":{\"code\":\"too_many_connections\",\"message\":" \
	"\"the server has reached max-connections\",\"details\":{}}}"
#define BODY_429 "{\"error\":{\"code\":\"too_many_connections\",\"message\":" \
	"\"too many connections from this address\",\"details\":{}}}"
#define REFUSAL(status, text, body) \
	"HTTP/1.1 " status " " text "\r\nContent-Type: application/json\r\nConnection: close\r\n" \
	"Retry-After: 1\r\nContent-Length: %zu\r\n\r\n" body
static char resp_503[256], resp_429[256];

static void init_refusals(void)
{
	snprintf(resp_503, sizeof resp_503, REFUSAL("503", "Service Unavailable", BODY_503),
	         sizeof BODY_503 - 1);
	snprintf(resp_429, sizeof resp_429, REFUSAL("429", "Too Many Requests", BODY_429),
	         sizeof BODY_429 - 1);
}

/* Refuse c at once: the answer if the socket takes it now, then close.
 * No timer, no log line (report_refusals counts). */
static void conn_refuse(struct conn *c, const char *resp)
{
	struct http_server *s = c->srv;
	uv_buf_t b = uv_buf_init((char *)resp, (unsigned)strlen(resp));
	int n = uv_try_write(&c->io.stream, &b, 1);
	/* Closing with the client's request unread resets the connection, and
	 * the reset may destroy our answer before the client reads it: while
	 * few refusals linger, read and drop for a moment (outside the
	 * connection counts); under a flood close at once. */
	if (n == (int)b.len && s->nrefusing < REFUSE_LINGER_MAX) {
		if (c->local)
			s->nlocal--;
		else
			s->ntcp--;
		c->refusing = true;
		s->nrefusing++;
		conn_linger(c, REFUSE_LINGER_MS);
		return;
	}
	conn_close(c);
}

static void count_refusal(struct http_server *s, const char *why)
{
	if (!strcmp(why, "max-connections-per-address"))
		s->total.refused_per_address++;
	else if (!strcmp(why, "address-accepts-per-second"))
		s->total.refused_accept_rate++;
	else
		s->total.refused_full++;
}

void http_server_stats(const struct http_server *s, struct http_stats *out)
{
	*out = s->total;
	out->open_tcp = s->ntcp;
	out->open_local = s->nlocal;
}

/* Which limit refuses this TCP connection, or NULL to serve it. */
static const char *tcp_admit(struct http_server *s, struct conn *c, const char **resp)
{
	struct sockaddr_storage ss;
	int len = sizeof ss;
	uint8_t key[16];
	memset(&ss, 0, sizeof ss);
	if (uv_tcp_getpeername(&c->io.tcp, (struct sockaddr *)&ss, &len)) {
		*resp = NULL; /* reset before we got to it: nothing to answer or count */
		return "gone";
	}
	peer_key(&ss, key);
	peer_text(key, c->peer_name, sizeof c->peer_name);
	struct peer *p = peer_get(s, key);
	const char *why = NULL;
	*resp = resp_429;
	if (p && s->lim.max_per_address && p->nconns >= s->lim.max_per_address)
		why = "max-connections-per-address";
	else if (p && !peer_take(s, p))
		why = "address-accepts-per-second";
	else if (s->ntcp >= s->lim.max_connections)
		why = "max-connections", *resp = resp_503;
	if (why)
		count_refusal(s, why);
	if (why && p) {
		p->refused++;
		p->why = why;
	} else if (why) {
		s->refused_untracked++;
	} else if (p) {
		p->nconns++;
		c->peer = p;
	}
	return why;
}

static struct conn *conn_new(struct http_server *s, bool local)
{
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->srv = s;
	c->local = local;
	if (local)
		uv_pipe_init(s->loop, &c->io.pipe, 0);
	else
		uv_tcp_init(s->loop, &c->io.tcp);
	uv_timer_init(s->loop, &c->timer);
	c->io.handle.data = c;
	c->timer.data = c;
	c->refs = 2;
	s->nalive++;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nopen++;
	if (local)
		s->nlocal++;
	else
		s->ntcp++;
	return c;
}

static void conn_serve(struct conn *c)
{
	struct http_server *s = c->srv;
	s->total.accepted++;
	llhttp_init(&c->parser, HTTP_REQUEST, &parser_settings);
	c->parser.data = c;
	c->state = C_READING;
	timer_start(c, T_HEADER, s->lim.header_timeout_ms);
	if (read_on(c, on_read))
		conn_close(c);
}

static void on_connection(uv_stream_t *ls, int status)
{
	struct http_server *s = ls->data;
	if (status < 0) {
		s->accept_errors++; /* e.g. out of descriptors: logged by report_refusals */
		s->total.accept_errors++;
		s->accept_error = status;
		return;
	}
	struct conn *c = conn_new(s, false);
	if (!c)
		return;
	if (uv_accept(ls, &c->io.stream)) {
		conn_close(c);
		return;
	}
	/* the counts include c; the limits compare what was there before it */
	s->ntcp--;
	const char *resp;
	const char *why = tcp_admit(s, c, &resp);
	s->ntcp++;
	if (why && !resp) {
		conn_close(c);
		return;
	}
	if (why) {
		conn_refuse(c, resp);
		return;
	}
	uv_tcp_nodelay(&c->io.tcp, 1);
	conn_serve(c);
}

/* The operator socket: no per-address limits (one address), its own
 * max-connections, so a TCP flood cannot take its places. */
static void on_local_connection(uv_stream_t *ls, int status)
{
	struct http_server *s = ls->data;
	if (status < 0) {
		s->accept_errors++;
		s->total.accept_errors++;
		s->accept_error = status;
		return;
	}
	struct conn *c = conn_new(s, true);
	if (!c)
		return;
	snprintf(c->peer_name, sizeof c->peer_name, "local");
	if (uv_accept(ls, &c->io.stream)) {
		conn_close(c);
		return;
	}
	if (s->nlocal > s->lim.max_connections) {
		s->refused_local++;
		s->total.refused_full++;
		conn_refuse(c, resp_503);
		return;
	}
	conn_serve(c);
}

/* --- server -------------------------------------------------------------- */

static void on_server_handle_closed(uv_handle_t *h)
{
	struct http_server *s = h->data;
	s->nhandles--;
	server_maybe_free(s);
}

int http_server_new(uv_loop_t *loop, const struct http_limits *lim,
                    http_request_cb cb, void *ud, struct http_server **out)
{
	init_settings();
	init_refusals();
	struct http_server *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->lim = *lim;
	s->cb = cb;
	s->ud = ud;
	uv_tcp_init(loop, &s->listener);
	uv_pipe_init(loop, &s->local, 0);
	uv_timer_init(loop, &s->report);
	s->listener.data = s->local.data = s->report.data = s;
	s->nhandles = 3;
	uint64_t every = lim->report_interval_ms ? lim->report_interval_ms : REPORT_DEFAULT_MS;
	uv_timer_start(&s->report, on_report, every, every);
	uv_unref((uv_handle_t *)&s->report);
	*out = s;
	return 0;
}

int http_server_listen(struct http_server *s, const char *host, int port)
{
	struct sockaddr_in sa;
	int rc = uv_ip4_addr(host, port, &sa);
	if (!rc)
		rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&sa, 0);
	if (!rc)
		rc = uv_listen((uv_stream_t *)&s->listener, 511, on_connection);
	if (rc)
		return rc;
	struct sockaddr_in bound;
	int len = sizeof bound;
	if (!uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &len))
		s->port = ntohs(bound.sin_port);
	s->listening = true;
	return 0;
}

/* Does something accept connections on the Unix socket path? */
static bool socket_answers(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path)
		return false;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool yes = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return yes;
}

int http_server_listen_local(struct http_server *s, const char *path)
{
	struct stat st;
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return UV_EEXIST; /* not ours to remove */
		if (socket_answers(path))
			return UV_EADDRINUSE; /* another innetd's */
		unlink(path); /* left by an innetd that did not stop cleanly */
	}
	int rc = uv_pipe_bind(&s->local, path);
	if (rc)
		return rc;
	s->local_path = strdup(path);
	/* only the operator's user, before anyone can connect */
	if (chmod(path, 0600) || !s->local_path)
		rc = UV_EPERM;
	if (!rc)
		rc = uv_listen((uv_stream_t *)&s->local, 128, on_local_connection);
	if (rc)
		return rc;
	s->local_listening = true;
	return 0;
}

int http_server_port(const struct http_server *s)
{
	return s->port;
}

unsigned http_server_connections(const struct http_server *s)
{
	return s->nopen;
}

bool http_server_draining(const struct http_server *s)
{
	return s->draining;
}

static void close_handle(struct http_server *s, uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, on_server_handle_closed);
}

static void close_listener(struct http_server *s)
{
	close_handle(s, (uv_handle_t *)&s->listener);
	if (s->local_path && !uv_is_closing((uv_handle_t *)&s->local)) {
		unlink(s->local_path);
	}
	close_handle(s, (uv_handle_t *)&s->local);
	if (!uv_is_closing((uv_handle_t *)&s->report))
		report_refusals(s);
	close_handle(s, (uv_handle_t *)&s->report);
}

void http_server_shutdown(struct http_server *s, void (*done)(void *), void *arg)
{
	s->draining = true;
	s->drained = done;
	s->drained_arg = arg;
	close_listener(s);
	struct conn *c = s->conns;
	while (c) {
		struct conn *next = c->next;
		if (c->state == C_READING && !c->in_message && !c->npending)
			conn_close(c); /* idle keep-alive connection */
		else
			c->close_after = true;
		c = next;
	}
	maybe_drained(s);
}

void http_server_close(struct http_server *s)
{
	s->draining = true;
	s->drained = NULL;
	s->closing = true;
	s->nalive++; /* s stays while the connections close */
	while (s->conns)
		conn_close(s->conns);
	close_listener(s);
	s->nalive--;
	server_maybe_free(s);
}
