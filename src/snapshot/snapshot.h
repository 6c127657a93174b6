/* The operator's network snapshot (docs/snapshot.md): parsed from JSON and
 * validated once, then shared read-only by the API (GET/PUT /v1/network),
 * the verifier's network model and the controller. Immutable after parse;
 * reference-counted so verification jobs on the thread pool can hold it. */
#ifndef INNET_SNAPSHOT_H
#define INNET_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"
#include "base/inet.h"

enum snap_node_type { SNAP_HOSTS, SNAP_ROUTER, SNAP_MIDDLEBOX, SNAP_PLATFORM };
enum snap_role { SNAP_ROLE_INTERNET, SNAP_ROLE_CLIENT };

struct snap_route {
	struct inet_prefix prefix;
	uint32_t port;
};

struct snap_node {
	char *name;               /* unique, no ':' */
	enum snap_node_type type;
	uint32_t nports;
	/* hosts */
	enum snap_role role;
	struct inet_prefix *prefixes; /* client address space; internet: none */
	size_t nprefixes;
	/* router */
	struct snap_route *routes;
	size_t nroutes;
	bool ttl_decrement;
	/* middlebox: operator Click text, device N = port N */
	char *click;
	/* platform */
	uint32_t address;
	struct inet_prefix pool;
	uint32_t capacity;
	char *pop;                /* the PoP whose innetd serves it (docs/snapshot.md) */
};

struct snap_endpoint {
	uint32_t node, port;
};

struct snap_link {
	struct snap_endpoint a, b; /* both directions */
};

struct snapshot {
	struct snap_node *nodes;
	size_t nnodes;
	struct snap_link *links;
	size_t nlinks;
	char *json;     /* the canonical JSON text (what GET /v1/network returns) */
	int64_t version; /* set by the registry; 0 when not stored */
};

/* A PoP name: 1 to SNAPSHOT_POP_MAX letters, digits, '-' and '_'
 * (docs/snapshot.md). The default of innetd's `pop` setting is
 * SNAPSHOT_DEFAULT_POP. */
#define SNAPSHOT_POP_MAX 32
#define SNAPSHOT_DEFAULT_POP "pop1"
bool snapshot_pop_valid(const char *name);

/* Parse and validate (names unique and without ':', types known, ports in
 * range, links between existing ports and each port used by at most one
 * link, routes and prefixes well-formed, platform pools valid and
 * non-overlapping, ...). Errors name the JSON path:
 * "nodes[3].routes[1].prefix: '10.0.0.0/33' is not an IPv4 prefix".
 * Returns 0 and *out (refcount 1), or a negative errno with diagnostics. */
int snapshot_parse(const char *json, size_t len, struct snapshot **out, struct diags *d);
/* The same, read by the innetd of PoP `pop` (NULL: SNAPSHOT_DEFAULT_POP).
 * Every platform names the PoP serving it ("pop"); the old form is still
 * read, with a warning in d per platform: "local": true or no "pop" at
 * all is served by `pop`, and "local": false with "peer_url" by the PoP
 * named after the URL's host (docs/snapshot.md). The canonical JSON
 * (s->json) always names each platform's pop, never local/peer_url. */
int snapshot_parse_pop(const char *json, size_t len, const char *pop, struct snapshot **out,
                       struct diags *d);
/* The module addresses platform n's pool can give: its size without the
 * network and broadcast addresses (pools shorter than /31) and the
 * platform's own address. */
uint64_t snapshot_pool_addresses(const struct snap_node *n);
/* A platform whose capacity is more than its pool's addresses is refused
 * (docs/snapshot.md): -EINVAL with one error per such platform
 * ("nodes[6].capacity: ..."), or 0. Applied to a new snapshot (PUT
 * /v1/network, the --network file at first start), not to one stored
 * before. */
int snapshot_check_capacity(const struct snapshot *s, struct diags *d);
struct snapshot *snapshot_ref(struct snapshot *s);
void snapshot_unref(struct snapshot *s);
/* Index of the node called `name`, or -1. */
int snapshot_find(const struct snapshot *s, const char *name);
/* The endpoint linked to (node, port), or false when the port is unlinked. */
bool snapshot_peer(const struct snapshot *s, uint32_t node, uint32_t port,
                   struct snap_endpoint *peer);

#endif
