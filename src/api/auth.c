#include "api/api.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "base/log.h"

int auth_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

int auth_token_new(const char *prefix, char *buf, size_t cap)
{
	uint8_t raw[32];
	size_t plen = strlen(prefix);
	size_t need = sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if (cap < plen + need)
		return -ENOSPC;
	randombytes_buf(raw, sizeof raw);
	memcpy(buf, prefix, plen);
	sodium_bin2base64(buf + plen, cap - plen, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	return 0;
}

void auth_token_hash(const char *token, size_t len, uint8_t out[REG_HASH_LEN])
{
	crypto_generichash(out, REG_HASH_LEN, (const unsigned char *)token, len, NULL, 0);
}

bool auth_hash_equal(const uint8_t a[REG_HASH_LEN], const uint8_t b[REG_HASH_LEN])
{
	return sodium_memcmp(a, b, REG_HASH_LEN) == 0;
}

int auth_parse_bearer(const char *h, const char **tok, size_t *len)
{
	if (!h || strncasecmp(h, "Bearer ", 7))
		return -EINVAL;
	const char *t = h + 7;
	while (*t == ' ')
		t++;
	size_t n = strlen(t);
	while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	if (!n || n > AUTH_TOKEN_MAX)
		return -EINVAL;
	*tok = t;
	*len = n;
	return 0;
}

static int write_token_file(const char *path, const char *token)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	size_t n = strlen(token);
	int rc = 0;
	if (write(fd, token, n) != (ssize_t)n || write(fd, "\n", 1) != 1)
		rc = -EIO;
	if (close(fd))
		rc = -errno;
	return rc;
}

int auth_setup_admin(struct registry *reg, const char *configured, const char *token_file,
                     uint8_t hash[REG_HASH_LEN])
{
	if (configured && *configured) {
		if (strlen(configured) < AUTH_ADMIN_TOKEN_MIN || strlen(configured) > AUTH_TOKEN_MAX) {
			log_error("auth", "admin-token must be %d to %d characters", AUTH_ADMIN_TOKEN_MIN, AUTH_TOKEN_MAX);
			return -EINVAL;
		}
		auth_token_hash(configured, strlen(configured), hash);
		log_info("auth", "operator token: the configured admin-token");
		return 0;
	}
	size_t len = 0;
	int rc = reg_meta_get(reg, "admin_token_hash", hash, REG_HASH_LEN, &len);
	if (rc == 0 && len == REG_HASH_LEN) {
		if (token_file && *token_file && access(token_file, R_OK) == 0)
			log_info("auth", "operator token: in %s (generated at the first start)", token_file);
		else
			log_info("auth", "operator token: the one printed at the first start");
		return 0;
	}
	if (rc && rc != -ENOENT)
		return rc;
	char token[AUTH_TOKEN_MAX];
	if ((rc = auth_token_new("innet-op-", token, sizeof token)))
		return rc;
	auth_token_hash(token, strlen(token), hash);
	if ((rc = reg_meta_set(reg, "admin_token_hash", hash, REG_HASH_LEN)))
		return rc;
	printf("innetd: operator token (shown once): %s\n", token);
	fflush(stdout);
	if (token_file && *token_file) {
		rc = write_token_file(token_file, token);
		if (rc)
			log_warn("auth", "cannot write the operator token to %s: %s", token_file, strerror(-rc));
		else
			log_info("auth", "operator token written to %s", token_file);
	}
	sodium_memzero(token, sizeof token);
	return 0;
}
