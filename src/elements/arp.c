/* ARPResponder(IP/MASK [IP/MASK ...] ETH, ...) and ARPQuerier(IP, ETH
 * [, keywords]) (click.md 3.8). */
#include <errno.h>
#include <string.h>

#include "elements/args.h"
#include "elements/element.h"

struct arp_entry {
	struct inet_prefix prefix; /* target IPs answered (bare address: /32) */
	uint8_t eth[6];
};

struct arpresponder_conf {
	uint32_t n;
	struct arp_entry *v; /* in argument order; the first match answers */
};

static int arpresponder_configure(const struct elem_ctx *ctx, const struct click_args *args,
                                  void **conf)
{
	struct arpresponder_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	int rc = 0;
	size_t cap = 0;
	for (size_t i = 0; i < args->n; i++) {
		struct arg_val a = arg_val_of(&args->v[i], NULL);
		struct arg_list w;
		if (arg_words(ctx, &a, &w))
			return -ENOMEM;
		uint8_t eth[6];
		int neth = 0;
		size_t first = c->n;
		for (size_t k = 0; k < w.n; k++) {
			if (arg_parse_ether(NULL, &w.v[k], eth) == 0) {
				if (neth++) {
					rc = arg_error(ctx, &w.v[k], "more than one Ethernet address");
				}
				continue;
			}
			struct inet_prefix p;
			if (arg_parse_prefix(NULL, &w.v[k], &p)) {
				rc = arg_error(ctx, &w.v[k], "expected IP address, prefix or Ethernet address");
				continue;
			}
			if (c->n == cap) {
				size_t ncap = cap ? cap * 2 : 8;
				struct arp_entry *nv = arena_realloc(ctx->arena, c->v, cap * sizeof *nv,
				                                     ncap * sizeof *nv);
				if (!nv)
					return -ENOMEM;
				c->v = nv;
				cap = ncap;
			}
			c->v[c->n++].prefix = p;
		}
		if (neth == 0)
			rc = arg_error(ctx, &a, "missing Ethernet address");
		else if (c->n == first)
			rc = arg_error(ctx, &a, "missing IP address");
		for (size_t k = first; k < c->n; k++)
			memcpy(c->v[k].eth, eth, 6);
	}
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

struct arpquerier_conf {
	uint32_t ip;                      /* our address (host order) */
	uint8_t eth[6];                   /* our MAC */
	uint32_t broadcast;               /* BROADCAST, or derived from IP/len */
	uint32_t capacity;                /* queued packets, 2048 */
	uint32_t entry_capacity;          /* 0: unlimited */
	uint32_t entry_packet_capacity;   /* 0: unlimited */
	int64_t timeout_ns;               /* 5 min */
	int64_t poll_timeout_ns;          /* 1 min */
	bool broadcast_poll;              /* false */
};

static int arpquerier_configure(const struct elem_ctx *ctx, const struct click_args *args,
                                void **conf)
{
	struct arpquerier_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->capacity = 2048;
	c->timeout_ns = 300 * 1000000000ll;
	c->poll_timeout_ns = 60 * 1000000000ll;
	struct arg_val ip = { 0 }, table = { 0 };
	struct arg_spec spec[] = {
		arg_raw("IP", ARG_MP, &ip),
		arg_ether("ETH", ARG_MP, c->eth),
		arg_raw("TABLE", 0, &table),
		arg_u32("CAPACITY", 0, &c->capacity),
		arg_u32("ENTRY_CAPACITY", 0, &c->entry_capacity),
		arg_u32("ENTRY_PACKET_CAPACITY", 0, &c->entry_packet_capacity),
		arg_time("TIMEOUT", 0, &c->timeout_ns),
		arg_time("POLL_TIMEOUT", 0, &c->poll_timeout_ns),
		arg_ip("BROADCAST", 0, &c->broadcast),
		arg_bool("BROADCAST_POLL", 0, &c->broadcast_poll),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (spec[2].given)
		rc = arg_error(ctx, &table, "shared ARP tables are not supported");
	uint8_t len = 32;
	if (spec[0].given && arg_parse_prefix_host(ctx, &ip, &c->ip, &len))
		rc = -EINVAL;
	if (rc)
		return rc;
	if (!spec[8].given) {
		c->broadcast = c->ip | ~inet_mask(len);
		if (c->broadcast == c->ip)
			c->broadcast = 0xffffffffu;
	}
	*conf = c;
	return 0;
}

const struct elem_class elem_arpresponder = {
	.name = "ARPResponder",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = arpresponder_configure,
};

/* Input 0: IP packets (dst-IP annotation = next hop); input 1: ARP replies.
 * Queries leave on the last output. */
const struct elem_class elem_arpquerier = {
	.name = "ARPQuerier",
	.port_count = "2/1-2",
	.processing = "h/h",
	.flow_code = "xy/x",
	.flags = ELEM_STATEFUL,
	.configure = arpquerier_configure,
};
