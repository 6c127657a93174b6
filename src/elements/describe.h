/* Helpers for the classes' describe hooks (click_class.describe): a
 * configured value as JSON in the catalogue's conventions (element.h).
 * Each returns a new reference, or NULL when out of memory; json_pack's
 * "o" takes them as they are and fails on NULL. */
#ifndef INNET_ELEMENTS_DESCRIBE_H
#define INNET_ELEMENTS_DESCRIBE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/inet.h"

/* "a.b.c.d" from a host-order address. */
json_t *describe_ip(uint32_t addr);
/* "a.b.c.d/len". */
json_t *describe_prefix(struct inet_prefix p);
/* An array of "a.b.c.d". */
json_t *describe_ip_list(const uint32_t *addrs, size_t n);
/* "00:1a:31:a4:60:ff". */
json_t *describe_ether(const uint8_t mac[6]);
/* Lower-case hex of n bytes ("" when n is 0); null when bytes is NULL. */
json_t *describe_hex(const uint8_t *bytes, size_t n);

#endif
