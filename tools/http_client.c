/* Blocking HTTP/1.1 client: getaddrinfo, connect with a timeout (non-blocking
 * connect + poll), one request with Content-Length and "Connection: close",
 * then read the answer honouring Content-Length (or chunked, or until EOF). */
#define _POSIX_C_SOURCE 200809L
#include "http_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/fmt.h"

/* "http://host[:port][/prefix]" -> host, port, prefix (no trailing '/'). */
static int parse_url(const char *url, char *host, size_t hostlen, char *port, size_t portlen,
                     char *prefix, size_t prefixlen)
{
	if (strncmp(url, "http://", 7))
		return -EINVAL;
	const char *h = url + 7, *end = h + strcspn(h, "/");
	const char *colon;
	size_t hl;
	if (*h == '[') { /* [v6]:port */
		const char *rb = memchr(h, ']', (size_t)(end - h));
		if (!rb)
			return -EINVAL;
		hl = (size_t)(rb - h - 1);
		if (hl == 0 || hl >= hostlen)
			return -EINVAL;
		memcpy(host, h + 1, hl);
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
		if (rb + 1 < end && !colon)
			return -EINVAL;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		hl = (size_t)((colon ? colon : end) - h);
		if (hl == 0 || hl >= hostlen)
			return -EINVAL;
		memcpy(host, h, hl);
	}
	host[hl] = '\0';
	if (colon) {
		size_t pl = (size_t)(end - colon - 1);
		if (pl == 0 || pl >= portlen || strspn(colon + 1, "0123456789") < pl)
			return -EINVAL;
		memcpy(port, colon + 1, pl);
		port[pl] = '\0';
	} else {
		snprintf(port, portlen, "80");
	}
	size_t xl = strlen(end);
	while (xl && end[xl - 1] == '/')
		xl--;
	if (xl >= prefixlen)
		return -EINVAL;
	memcpy(prefix, end, xl);
	prefix[xl] = '\0';
	return 0;
}

static void set_io_timeout(int fd, int io_ms)
{
	struct timeval tv = {.tv_sec = io_ms / 1000, .tv_usec = (io_ms % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* "unix:/path": innetd's admin-socket (the operator's way in under a
 * flood). A local connect does not wait for a peer; only I/O may. */
static int connect_unix(const char *path, int io_ms, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (!*path || strlen(path) >= sizeof sa.sun_path) {
		fmt_err(err, errlen, "bad socket path '%s'", path);
		return -EINVAL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		fmt_err(err, errlen, "cannot connect to unix:%s: %s", path, strerror(e));
		return -e;
	}
	set_io_timeout(fd, io_ms);
	return fd;
}

static int connect_timeout(const char *host, const char *port, int timeout_ms, int io_ms,
                           char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
	int g = getaddrinfo(host, port, &hints, &res);
	if (g) {
		fmt_err(err, errlen, "cannot resolve %s: %s", host, gai_strerror(g));
		return -EHOSTUNREACH;
	}
	int fd = -1, last = ECONNREFUSED;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		int fl = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
		int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (rc < 0 && errno == EINPROGRESS) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			int pr;
			do
				pr = poll(&p, 1, timeout_ms);
			while (pr < 0 && errno == EINTR);
			if (pr == 0) {
				last = ETIMEDOUT;
			} else {
				int so = 0;
				socklen_t sl = sizeof so;
				getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl);
				last = so;
				rc = so ? -1 : 0;
			}
		} else if (rc < 0) {
			last = errno;
		}
		if (rc == 0 && last != ETIMEDOUT) {
			fcntl(fd, F_SETFL, fl);
			set_io_timeout(fd, io_ms);
			break;
		}
		close(fd);
		fd = -1;
		if (last == 0)
			last = ECONNREFUSED;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		fmt_err(err, errlen, "cannot connect to %s:%s: %s", host, port, strerror(last));
		return -last;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

struct buf {
	char *p;
	size_t n, cap;
};

static int buf_reserve(struct buf *b, size_t more)
{
	if (b->n + more + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->n + more + 1)
		cap *= 2;
	char *np = realloc(b->p, cap);
	if (!np)
		return -ENOMEM;
	b->p = np;
	b->cap = cap;
	return 0;
}

/* Read until EOF or until `want` bytes in total are buffered. */
static int read_until(int fd, struct buf *b, size_t want)
{
	while (b->n < want) {
		if (buf_reserve(b, 16384))
			return -ENOMEM;
		ssize_t r = recv(fd, b->p + b->n, b->cap - b->n - 1, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		}
		if (r == 0)
			return 1; /* EOF */
		b->n += (size_t)r;
		b->p[b->n] = '\0';
		if (want == (size_t)-2 && strstr(b->p, "\r\n\r\n"))
			return 0;
	}
	return 0;
}

/* Header value (case-insensitive name) within hdrs [start, end), or NULL. */
static const char *header(const char *hdrs, const char *end, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	for (const char *l = strstr(hdrs, "\r\n"); l && l < end; l = strstr(l + 2, "\r\n")) {
		const char *s = l + 2;
		if (s + nl < end && !strncasecmp(s, name, nl) && s[nl] == ':') {
			const char *v = s + nl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			const char *e = strstr(v, "\r\n");
			*vlen = (size_t)((e ? e : end) - v);
			return v;
		}
	}
	return NULL;
}

/* Decode a chunked body in place; returns its length or -EPROTO. */
static long dechunk(char *p, size_t n)
{
	size_t in = 0, out = 0;
	for (;;) {
		char *endp;
		if (in >= n)
			return -EPROTO;
		unsigned long sz = strtoul(p + in, &endp, 16);
		char *crlf = strstr(p + in, "\r\n");
		if (endp == p + in || !crlf)
			return -EPROTO;
		in = (size_t)(crlf - p) + 2;
		if (sz == 0)
			return (long)out;
		if (sz > n - in)
			return -EPROTO;
		memmove(p + out, p + in, sz);
		out += sz;
		in += sz + 2;
	}
}

int http_client_request(const char *base, const char *method, const char *path,
                        const char *token, const char *body, size_t body_len,
                        int timeout_ms, struct http_resp *resp, char *err, size_t errlen)
{
	char host[256], port[16], prefix[512];
	memset(resp, 0, sizeof *resp);
	bool local = !strncmp(base, "unix:", 5);
	if (local) {
		snprintf(host, sizeof host, "localhost");
		snprintf(port, sizeof port, "0");
		prefix[0] = '\0';
	} else if (parse_url(base, host, sizeof host, port, sizeof port, prefix, sizeof prefix)) {
		fmt_err(err, errlen, "bad server URL '%s' (expected http://HOST[:PORT] or unix:PATH)", base);
		return -EINVAL;
	}
	/* a server that is there answers the SYN at once; only the answer may be slow */
	int fd = local ? connect_unix(base + 5, timeout_ms, err, errlen)
	               : connect_timeout(host, port, timeout_ms < 10000 ? timeout_ms : 10000,
	                                 timeout_ms, err, errlen);
	if (fd < 0)
		return fd;
	struct buf b = {0};
	int hl = snprintf(NULL, 0, "%s %s%s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: innet\r\n"
	                  "Accept: application/json\r\nConnection: close\r\n",
	                  method, prefix, path, host, port);
	int rc = buf_reserve(&b, (size_t)hl + (token ? strlen(token) + 32 : 0) + 96);
	if (rc)
		goto out;
	b.n = (size_t)snprintf(b.p, b.cap, "%s %s%s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: innet\r\n"
	                       "Accept: application/json\r\nConnection: close\r\n",
	                       method, prefix, path, host, port);
	if (token)
		b.n += (size_t)snprintf(b.p + b.n, b.cap - b.n, "Authorization: Bearer %s\r\n", token);
	if (body)
		b.n += (size_t)snprintf(b.p + b.n, b.cap - b.n,
		                        "Content-Type: application/json\r\nContent-Length: %zu\r\n",
		                        body_len);
	else if (!strcmp(method, "POST") || !strcmp(method, "PUT"))
		b.n += (size_t)snprintf(b.p + b.n, b.cap - b.n, "Content-Length: 0\r\n");
	b.n += (size_t)snprintf(b.p + b.n, b.cap - b.n, "\r\n");
	if ((rc = write_all(fd, b.p, b.n)) || (body && (rc = write_all(fd, body, body_len)))) {
		fmt_err(err, errlen, "cannot send the request to %s: %s", base, strerror(-rc));
		goto out;
	}
	b.n = 0;
	b.p[0] = '\0';
	rc = read_until(fd, &b, (size_t)-2);
	char *hend = b.p ? strstr(b.p, "\r\n\r\n") : NULL;
	if (rc < 0 || !hend) {
		if (rc >= 0)
			rc = -EPROTO;
		fmt_err(err, errlen, "no HTTP answer from %s: %s", base,
		       rc == -EPROTO ? "connection closed" : strerror(-rc));
		goto out;
	}
	int major, minor, status;
	if (sscanf(b.p, "HTTP/%d.%d %d", &major, &minor, &status) != 3 || status < 100 || status > 999) {
		fmt_err(err, errlen, "not an HTTP answer from %s", base);
		rc = -EPROTO;
		goto out;
	}
	size_t hdr_len = (size_t)(hend - b.p) + 4, vlen;
	const char *v = header(b.p, hend + 2, "Content-Length", &vlen);
	const char *te = header(b.p, hend + 2, "Transfer-Encoding", &vlen);
	int chunked = te && !strncasecmp(te, "chunked", 7);
	if (v && !chunked) {
		char *endp;
		unsigned long long cl = strtoull(v, &endp, 10);
		if (endp == v || cl > (1ull << 30)) {
			fmt_err(err, errlen, "bad Content-Length from %s", base);
			rc = -EPROTO;
			goto out;
		}
		rc = read_until(fd, &b, hdr_len + (size_t)cl);
		if (rc) {
			fmt_err(err, errlen, "short answer from %s", base);
			rc = rc > 0 ? -EPROTO : rc;
			goto out;
		}
		b.n = hdr_len + (size_t)cl;
	} else if (status != 204 && status != 304 && strcmp(method, "HEAD")) {
		rc = read_until(fd, &b, (size_t)-1); /* until EOF */
		if (rc < 0) {
			fmt_err(err, errlen, "cannot read the answer from %s: %s", base, strerror(-rc));
			goto out;
		}
	} else {
		b.n = hdr_len;
	}
	size_t blen = b.n - hdr_len;
	memmove(b.p, b.p + hdr_len, blen);
	b.p[blen] = '\0';
	if (chunked) {
		long dl = dechunk(b.p, blen);
		if (dl < 0) {
			fmt_err(err, errlen, "bad chunked answer from %s", base);
			rc = -EPROTO;
			goto out;
		}
		blen = (size_t)dl;
	}
	b.p[blen] = '\0';
	resp->status = status;
	resp->body = b.p;
	resp->len = blen;
	b.p = NULL;
	rc = 0;
out:
	free(b.p);
	close(fd);
	return rc;
}

void http_resp_release(struct http_resp *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
}
