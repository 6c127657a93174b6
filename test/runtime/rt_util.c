#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/diag.h"
#include "click/click.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "rt_util.h"

static void tx(void *ctx, uint32_t dev, struct rt_pkt *p)
{
	struct rtu *u = ctx;
	if (u->nout >= RTU_MAX_OUT) {
		u->pool.free(u->pool.ctx, p);
		return;
	}
	u->out_dev[u->nout] = dev;
	u->out[u->nout++] = p;
}

static void logf_(void *ctx, const char *line)
{
	struct rtu *u = ctx;
	snprintf(u->last_log, sizeof u->last_log, "%s", line);
	u->nlog++;
}

int rtu_open_lim(struct rtu *u, const char *text, uint64_t now, const struct rt_limits *lim)
{
	memset(u, 0, sizeof *u);
	u->sp = rt_simple_pool_new(4096, 2048 + 256, 128);
	assert_non_null(u->sp);
	u->pool = rt_simple_pool_ops(u->sp);
	struct src_file f = { "<test>", text, strlen(text) };
	struct diags d;
	diags_init(&d);
	struct click_graph *g = NULL;
	int rc = click_parse(&f, &elem_click_options, &g, &d);
	if (rc == 0) {
		struct rt_env env = { .pool = u->pool, .tx = tx, .tx_ctx = u, .log = logf_, .log_ctx = u };
		rc = rt_module_new(g, &env, lim, now, true, &u->m, &d);
		if (rc)
			click_graph_free(g);
	}
	if (rc)
		diags_print(stderr, &d);
	diags_free(&d);
	return rc;
}

int rtu_open(struct rtu *u, const char *text, uint64_t now)
{
	return rtu_open_lim(u, text, now, NULL);
}

void rtu_clear(struct rtu *u)
{
	for (uint32_t i = 0; i < u->nout; i++)
		u->pool.free(u->pool.ctx, u->out[i]);
	u->nout = 0;
}

void rtu_close(struct rtu *u)
{
	rtu_clear(u);
	rt_module_free(u->m);
	u->m = NULL;
	assert_int_equal(rt_simple_pool_in_use(u->sp), 0);
	rt_simple_pool_free(u->sp);
}

static struct rt_pkt *ipv4(struct rtu *u, uint32_t src, uint32_t dst, uint8_t proto, uint32_t tlen)
{
	struct rt_pkt *p = u->pool.alloc(u->pool.ctx, 20 + tlen);
	assert_non_null(p);
	uint8_t *ip = rt_pkt_data(p);
	memset(ip, 0, 20 + tlen);
	ip[0] = 0x45;
	rt_wr16(ip + 2, (uint16_t)(20 + tlen));
	rt_wr16(ip + 4, 0x4242);
	ip[8] = 64;
	ip[9] = proto;
	rt_wr32(ip + 12, src);
	rt_wr32(ip + 16, dst);
	p->len = 20 + tlen;
	return p;
}

static void finish_l4(uint8_t *ip, uint32_t tlen)
{
	uint8_t *t = ip + 20;
	uint16_t c;
	switch (ip[9]) {
	case RT_IP_PROTO_UDP:
		c = rt_csum_fold(rt_csum_add(rt_csum_pseudo(ip, (uint16_t)tlen), t, tlen));
		rt_wr16(t + 6, c ? c : 0xffff);
		break;
	case RT_IP_PROTO_TCP:
		rt_wr16(t + 16, rt_csum_fold(rt_csum_add(rt_csum_pseudo(ip, (uint16_t)tlen), t, tlen)));
		break;
	case RT_IP_PROTO_ICMP:
		rt_wr16(t + 2, rt_csum(t, tlen));
		break;
	}
	rt_ip_set_csum(ip, 20);
}

struct rt_pkt *rtu_udp(struct rtu *u, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                       uint32_t payload)
{
	struct rt_pkt *p = ipv4(u, src, dst, RT_IP_PROTO_UDP, 8 + payload);
	uint8_t *ip = rt_pkt_data(p), *t = ip + 20;
	rt_wr16(t, sport);
	rt_wr16(t + 2, dport);
	rt_wr16(t + 4, (uint16_t)(8 + payload));
	for (uint32_t i = 0; i < payload; i++)
		t[8 + i] = (uint8_t)(i * 13 + sport);
	finish_l4(ip, 8 + payload);
	return p;
}

struct rt_pkt *rtu_tcp(struct rtu *u, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                       uint8_t flags, uint32_t payload)
{
	struct rt_pkt *p = ipv4(u, src, dst, RT_IP_PROTO_TCP, 20 + payload);
	uint8_t *ip = rt_pkt_data(p), *t = ip + 20;
	rt_wr16(t, sport);
	rt_wr16(t + 2, dport);
	rt_wr32(t + 4, 1000);
	t[12] = 5 << 4;
	t[13] = flags;
	rt_wr16(t + 14, 8192);
	for (uint32_t i = 0; i < payload; i++)
		t[20 + i] = (uint8_t)(i * 7 + 1);
	finish_l4(ip, 20 + payload);
	return p;
}

struct rt_pkt *rtu_icmp(struct rtu *u, uint32_t src, uint32_t dst, uint8_t type, uint32_t payload)
{
	struct rt_pkt *p = ipv4(u, src, dst, RT_IP_PROTO_ICMP, 8 + payload);
	uint8_t *ip = rt_pkt_data(p), *t = ip + 20;
	t[0] = type;
	rt_wr16(t + 4, 0x77);
	rt_wr16(t + 6, 1);
	for (uint32_t i = 0; i < payload; i++)
		t[8 + i] = (uint8_t)i;
	finish_l4(ip, 8 + payload);
	return p;
}

struct rt_pkt *rtu_raw(struct rtu *u, const uint8_t *d, uint32_t len)
{
	struct rt_pkt *p = u->pool.alloc(u->pool.ctx, len);
	assert_non_null(p);
	memcpy(rt_pkt_data(p), d, len);
	p->len = len;
	return p;
}

void rtu_mark_ip(struct rt_pkt *p)
{
	uint8_t *ip = rt_pkt_data(p);
	rt_pkt_set_ip_header(p, 0, (uint32_t)(ip[0] & 15) * 4);
	rt_pkt_set_dst_anno(p, rt_rd32(ip + 16));
}

bool rtu_ip_csum_ok(const uint8_t *ip)
{
	return rt_csum(ip, (uint32_t)(ip[0] & 15) * 4) == 0;
}

bool rtu_l4_csum_ok(const uint8_t *ip)
{
	uint32_t hl = (uint32_t)(ip[0] & 15) * 4, tl = rt_rd16(ip + 2) - hl;
	const uint8_t *t = ip + hl;
	switch (ip[9]) {
	case RT_IP_PROTO_UDP:
		if (rt_rd16(t + 6) == 0)
			return true;
		/* fallthrough */
	case RT_IP_PROTO_TCP:
		return rt_csum_fold(rt_csum_add(rt_csum_pseudo(ip, (uint16_t)tl), t, tl)) == 0;
	case RT_IP_PROTO_ICMP:
		return rt_csum(t, tl) == 0;
	}
	return true;
}
