/* JSON forms of configured values for the describe hooks (describe.h). */
#include <stdio.h>
#include <stdlib.h>

#include "base/inet.h"
#include "elements/describe.h"

json_t *describe_ip(uint32_t addr)
{
	char buf[16];
	return json_string(inet_format_addr(addr, buf));
}

json_t *describe_prefix(struct inet_prefix p)
{
	char buf[20];
	return json_string(inet_format_prefix(p, buf));
}

json_t *describe_ip_list(const uint32_t *addrs, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, describe_ip(addrs[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *describe_ether(const uint8_t mac[6])
{
	char buf[18];
	snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
	         mac[4], mac[5]);
	return json_string(buf);
}

json_t *describe_hex(const uint8_t *bytes, size_t n)
{
	if (!bytes)
		return json_null();
	char *s = malloc(2 * n + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", bytes[i]);
	s[2 * n] = '\0';
	json_t *j = json_string(s);
	free(s);
	return j;
}
