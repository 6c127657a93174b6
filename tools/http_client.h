/* A small blocking HTTP/1.1 client for the `innet` command: one request per
 * connection, http:// or unix:PATH (innetd's admin-socket), JSON bodies. No dependencies beyond libc. */
#ifndef INNET_TOOLS_HTTP_CLIENT_H
#define INNET_TOOLS_HTTP_CLIENT_H

#include <stddef.h>

struct http_resp {
	int status;
	char *body; /* NUL-terminated, malloc'd; may be empty */
	size_t len;
};

/* Send METHOD base+path (base like "http://127.0.0.1:8080", with a path
 * prefix, or "unix:/path/to/admin.sock") with an optional bearer token and JSON body. Returns 0 with *resp
 * filled (any status), -EINVAL for a bad URL, another negative errno when the
 * server cannot be reached or the answer is not HTTP; err gets a message. */
int http_client_request(const char *base, const char *method, const char *path,
                        const char *token, const char *body, size_t body_len,
                        int timeout_ms, struct http_resp *resp, char *err, size_t errlen);

void http_resp_release(struct http_resp *resp);

#endif
