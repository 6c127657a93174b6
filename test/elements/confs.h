/* Hand-written copies of the private conf structs of the element classes
 * that have no describe hook yet (ARPResponder, ARPQuerier in arp.c;
 * ChangeEnforcer). They go when those classes' describe lands; every
 * other class's configure test reads its describe instead. Keep them
 * field for field equal to the structs in those files. */
#ifndef INNET_TEST_ELEMENTS_CONFS_H
#define INNET_TEST_ELEMENTS_CONFS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/inet.h"

/* arp.c */
struct arp_entry {
	struct inet_prefix prefix; /* target IPs answered (bare address: /32) */
	uint8_t eth[6];
};

/* arp.c */
struct arpresponder_conf {
	uint32_t n;
	struct arp_entry *v; /* in argument order; the first match answers */
};

/* arp.c */
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

/* changeenforcer.c */
struct changeenforcer_conf {
	uint32_t addr;              /* the module's address, host order */
	uint32_t nallow;
	struct inet_prefix *allow;  /* masked */
	int64_t timeout_ns;         /* 300 s */
	uint32_t capacity;          /* 4096 */
};

#endif
