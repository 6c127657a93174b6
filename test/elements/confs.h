/* Mirrors of the file-local conf structs of the src/elements files (they are
 * private to each element's file so that its model and packet function
 * share them). Generated from those files; if a field changes there, the
 * configure tests that read it fail rather than pass silently. */
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

/* checkipheader.c */
struct checkipheader_conf {
	uint32_t offset;   /* IP header start from the data pointer */
	bool checksum;     /* verify the header checksum */
	uint32_t nbadsrc, ngooddst;
	uint32_t *badsrc;  /* sources refused ... */
	uint32_t *gooddst; /* ... unless the destination is one of these */
	bool verbose, details;
};

/* counter.c */
struct averagecounter_conf {
	int64_t ignore_ns; /* ignore the first IGNORE seconds (default 0) */
};

/* decipttl.c */
struct decipttl_conf {
	bool active;    /* false: pass unchanged */
	bool multicast; /* false: multicast destinations pass unchanged */
};

/* devices.c */
struct dev_conf {
	uint32_t port;    /* the module's device number */
	uint32_t burst;   /* packets per run; FromDevice: 0 = all that are queued */
	bool by_mac;      /* NetFront spelling given a MAC address (port 0) */
	uint8_t mac[6];
};

/* discard.c */
struct discard_conf {
	bool active;    /* true */
	uint32_t burst; /* 1 */
};

/* etherencap.c */
struct etherencap_conf {
	uint16_t ethertype; /* host order (EtherRewrite: unused) */
	uint8_t src[6], dst[6];
};

/* icmp.c */
struct icmperror_conf {
	uint32_t src;        /* the error's source address */
	uint8_t type, code;
	uint32_t nbad;       /* BADADDRS: no errors about packets from these */
	uint32_t *badaddrs;
	uint32_t mtu;        /* 576: most bytes of the error packet */
	uint32_t pmtu;       /* next-hop MTU for unreachable/needfrag (0) */
	bool use_fix_anno;   /* true: set the fix-IP-source annotation */
};

/* ipencap.c */
struct ipencap_conf {
	uint8_t proto;
	uint32_t src, dst; /* host order */
	bool dst_anno;     /* DST was DST_ANNO: dst comes from the annotation */
	uint8_t ttl;       /* 250 */
	uint8_t tos;       /* from TOS, or DSCP << 2 | ECN (ECT: 2, ECT 2: 1, CE: 3) */
	bool df;
};

/* ipencap.c */
struct udpipencap_conf {
	uint32_t src, dst;     /* host order */
	bool dst_anno;
	uint16_t sport, dport;
	bool checksum;         /* true: compute the UDP checksum, else 0 */
};

/* ipfragmenter.c */
struct ipfragmenter_conf {
	uint32_t mtu;      /* >= 8 */
	bool honor_df;     /* true */
	bool verbose;      /* false */
	uint32_t headroom; /* for new fragments; 0: the runtime's default */
};

/* ipmirror.c */
struct ipmirror_conf {
	bool dst_anno; /* true */
};

/* ipoutputcombo.c */
struct ipoutputcombo_conf {
	uint8_t color;  /* paint value that triggers the output-1 clone */
	uint32_t addr;  /* the interface address (options, fix-IP-source) */
	uint32_t mtu;
};

/* markipheader.c */
struct markipheader_conf {
	uint32_t offset;
};

/* paint.c */
struct paint_conf {
	uint8_t color; /* Paint, CheckPaint */
	uint8_t anno;  /* byte offset in the annotation area */
};

/* print.c */
enum print_contents { PRINT_NONE, PRINT_HEX, PRINT_ASCII };

/* print.c */
struct print_conf {
	const char *label;  /* unquoted, "" by default */
	int32_t maxlength;  /* bytes shown, 24; negative: the whole packet */
	uint8_t contents;   /* enum print_contents, HEX */
	bool timestamp, printanno, headroom, cpu; /* false */
	bool active;        /* true */
};

/* queue.c */
struct queue_conf {
	uint32_t capacity; /* packets */
};

/* rated.c */
struct rated_conf {
	uint32_t rate;       /* packets per second */
	uint64_t burst_size; /* bucket capacity in packets, >= 1 */
};

/* setipaddress.c */
struct setipaddress_conf {
	uint32_t addr; /* host order */
	uint8_t anno;  /* offset of the 4-byte annotation */
};

/* setipdscp.c */
struct setipdscp_conf {
	uint8_t dscp; /* 0-63 */
};

/* settimestamp.c */
struct settimestamp_conf {
	bool has_ts;   /* TIMESTAMP given */
	int64_t ts_ns; /* since the epoch */
	bool first;    /* set the "first timestamp" annotation instead */
};

/* shaper.c */
struct shaper_conf {
	uint64_t rate; /* tokens per second: bytes (bytes = true) or packets */
	bool bytes;
};

/* storedata.c */
struct storedata_conf {
	uint32_t offset;
	const uint8_t *data;
	uint32_t len;        /* bytes of data */
	const uint8_t *mask; /* NULL: every bit; else len bytes */
	bool grow;
};

/* storeipaddress.c */
enum storeip_where { STOREIP_OFFSET, STOREIP_SRC, STOREIP_DST };

/* storeipaddress.c */
struct storeipaddress_conf {
	bool has_addr;   /* two-argument form */
	uint32_t addr;   /* host order; may be 0 */
	uint8_t where;   /* enum storeip_where */
	uint32_t offset; /* STOREIP_OFFSET */
};

/* strip.c */
struct strip_conf {
	uint32_t length; /* bytes */
};

/* switch.c */
struct switch_conf {
	int32_t output; /* negative: drop everything */
};

/* switch.c */
struct hashswitch_conf {
	uint32_t offset; /* from the data pointer */
	uint32_t length; /* > 0 */
};

/* unqueue.c */
struct unqueue_conf {
	int32_t burst;  /* per run; negative: until the upstream is empty */
	bool active;    /* true */
	int32_t limit;  /* total packets, -1: unlimited */
};

/* unqueue.c */
struct timedunqueue_conf {
	int64_t interval_ns; /* > 0, millisecond precision as in Click */
	uint32_t burst;      /* > 0, default 1 */
};

#endif
