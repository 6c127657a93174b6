/* Route lists of LinearIPLookup, StaticIPLookup and RadixIPLookup (Click's
 * documentation of the three): `ADDR/MASK [GW] OUT` per argument, parsed
 * once here for the verifier and the runtime. Host byte order. */
#ifndef INNET_ELEMENTS_IPROUTE_H
#define INNET_ELEMENTS_IPROUTE_H

#include <stdint.h>

#include "base/inet.h"
#include "elements/element.h"

struct iproute {
	struct inet_prefix dst; /* masked */
	uint32_t gw;            /* 0: none (the dst-IP annotation is kept) */
	uint32_t out;           /* < noutputs */
	struct src_loc loc;
};

/* Routes in argument order; a later route for the same prefix replaced the
 * earlier one (with a warning), so prefixes are unique. Lookup is longest
 * prefix match on the dst-IP annotation. */
struct iproute_conf {
	uint32_t n;
	struct iproute *v;
};

/* The longest-prefix match for addr, or NULL. */
const struct iproute *iproute_lookup(const struct iproute_conf *c, uint32_t addr);

#endif
