/* Settings text to dataplane structures; no DPDK needed (built in both
 * the fast path and the stub). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "dataplane/dataplane.h"

int dp_parse_route(const char *text, struct dp_route *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	const char *eq = strchr(text, '=');
	if (!eq) {
		fmt_err(err, errlen, "route '%s': expected PREFIX=PORT[@MAC]", text);
		return -EINVAL;
	}
	if (inet_parse_prefix(text, (size_t)(eq - text), true, &out->prefix) < 0) {
		fmt_err(err, errlen, "route '%s': '%.*s' is not an IPv4 prefix", text, (int)(eq - text), text);
		return -EINVAL;
	}
	char *end;
	unsigned long port = strtoul(eq + 1, &end, 10);
	if (end == eq + 1 || port >= DP_MAX_PORTS || (*end && *end != '@')) {
		fmt_err(err, errlen, "route '%s': the port must be a number below %d", text, DP_MAX_PORTS);
		return -EINVAL;
	}
	out->port = (uint32_t)port;
	if (*end == '@') {
		unsigned v[6];
		int n = 0;
		if (sscanf(end + 1, "%2x:%2x:%2x:%2x:%2x:%2x%n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &n) != 6 ||
		    end[1 + n] != 0) {
			fmt_err(err, errlen, "route '%s': '%s' is not a MAC address", text, end + 1);
			return -EINVAL;
		}
		for (int i = 0; i < 6; i++)
			out->mac[i] = (uint8_t)v[i];
	}
	return 0;
}

int dp_port_devargs(const char *kind, const char *iface, unsigned index, char *buf, size_t n,
                    char *err, size_t errlen)
{
	int k;
	if (strcmp(kind, "tap") == 0) {
		if (iface)
			k = snprintf(buf, n, "net_tap%u,iface=%s", index, iface);
		else
			k = snprintf(buf, n, "net_tap%u,iface=innet%u", index, index);
	} else if (strcmp(kind, "af_packet") == 0) {
		if (!iface || !*iface) {
			fmt_err(err, errlen, "an af_packet port needs an interface");
			return -EINVAL;
		}
		k = snprintf(buf, n, "net_af_packet%u,iface=%s", index, iface);
	} else if (strcmp(kind, "pcap") == 0) {
		const char *colon = iface ? strchr(iface, ':') : NULL;
		if (!iface || !*iface) {
			fmt_err(err, errlen, "a pcap port needs IN.pcap[:OUT.pcap]");
			return -EINVAL;
		}
		if (colon)
			k = snprintf(buf, n, "net_pcap%u,rx_pcap=%.*s,tx_pcap=%s", index, (int)(colon - iface),
			             iface, colon + 1);
		else
			k = snprintf(buf, n, "net_pcap%u,rx_pcap=%s", index, iface);
	} else if (strcmp(kind, "null") == 0) {
		k = snprintf(buf, n, "net_null%u", index);
	} else if (strcmp(kind, "ring") == 0) {
		k = snprintf(buf, n, "net_ring%u", index);
	} else {
		k = snprintf(buf, n, "%s", kind);
	}
	if (k < 0 || (size_t)k >= n) {
		fmt_err(err, errlen, "port %u: device arguments too long", index);
		return -E2BIG;
	}
	return 0;
}
