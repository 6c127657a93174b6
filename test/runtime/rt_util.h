/* Helpers for runtime tests: build a module from Click text, collect what
 * leaves its devices, make packets with valid checksums. */
#ifndef INNET_TEST_RT_UTIL_H
#define INNET_TEST_RT_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/runtime.h"

#define RTU_MAX_OUT 8192

struct rtu {
	struct rt_simple_pool *sp;
	struct rt_pool pool;
	struct rt_module *m;
	struct rt_pkt *out[RTU_MAX_OUT];
	uint32_t out_dev[RTU_MAX_OUT];
	uint32_t nout;
	char last_log[512];
	uint32_t nlog;
};

/* Parse and instantiate (asserts on failure unless expect_fail). Returns 0
 * or the negative errno, with diagnostics printed on failure. */
int rtu_open(struct rtu *u, const char *click_text, uint64_t now);
int rtu_open_lim(struct rtu *u, const char *click_text, uint64_t now, const struct rt_limits *lim);
/* Free the collected output packets (keeps the module). */
void rtu_clear(struct rtu *u);
/* Free everything; asserts no packet leaked from the pool. */
void rtu_close(struct rtu *u);

/* A fresh packet (from u's pool) holding an IPv4 packet at data offset 0,
 * checksums valid, IP annotation not set. */
struct rt_pkt *rtu_udp(struct rtu *u, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                       uint32_t payload);
struct rt_pkt *rtu_tcp(struct rtu *u, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                       uint8_t flags, uint32_t payload);
struct rt_pkt *rtu_icmp(struct rtu *u, uint32_t src, uint32_t dst, uint8_t type, uint32_t payload);
/* Bytes as given. */
struct rt_pkt *rtu_raw(struct rtu *u, const uint8_t *d, uint32_t len);
/* Set the IP annotations as the device input would. */
void rtu_mark_ip(struct rt_pkt *p);

bool rtu_ip_csum_ok(const uint8_t *ip);
/* TCP/UDP/ICMP checksum over the transport part (ip_len bounded). */
bool rtu_l4_csum_ok(const uint8_t *ip);

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define SEC 1000000000ull

#endif
