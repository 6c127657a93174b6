/* Tokens: random (libsodium), shown once, stored only as a hash
 * (crypto_generichash), compared in constant time (sodium_memcmp). */
#ifndef INNET_AUTH_H
#define INNET_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry/registry.h"

#define AUTH_TOKEN_MAX 128
#define AUTH_ADMIN_TOKEN_MIN 16

/* Call once before anything else here (sodium_init). */
int auth_init(void);
/* A fresh token "<prefix><43 base64url chars>" in buf (>= 64 bytes). */
int auth_token_new(const char *prefix, char *buf, size_t cap);
void auth_token_hash(const char *token, size_t len, uint8_t out[REG_HASH_LEN]);
bool auth_hash_equal(const uint8_t a[REG_HASH_LEN], const uint8_t b[REG_HASH_LEN]);
/* "Bearer <token>" -> token (points into header). -EINVAL when malformed. */
int auth_parse_bearer(const char *header, const char **tok, size_t *len);

/* The operator token: `configured` (flag, env or file) when non-empty,
 * else the hash stored in the registry, else a new one generated now,
 * stored hashed, printed on stdout and written to `token_file` when set.
 * Fills the hash to check requests against. */
int auth_setup_admin(struct registry *reg, const char *configured, const char *token_file,
                     uint8_t hash[REG_HASH_LEN]);

#endif
