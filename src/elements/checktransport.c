/* CheckTCPHeader, CheckUDPHeader and CheckICMPHeader([keywords VERBOSE,
 * DETAILS]) (as Click documents them): check the transport header of an
 * IPv4 packet whose IP header annotation is set, its lengths and its
 * checksum; failures go to output 1, or are dropped without one. Where
 * Click reads a length field past the end of the packet (a UDP header under
 * 8 bytes, an IP length below the header length) innet counts the packet as
 * a failure instead. */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

/* The three checks, by IP protocol. */
enum chk_kind { CHK_TCP, CHK_UDP, CHK_ICMP };

struct checktransport_conf {
	uint8_t kind;      /* enum chk_kind */
	bool verbose, details;
};

static int chk_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf,
                         enum chk_kind kind)
{
	struct checktransport_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->kind = (uint8_t)kind;
	struct arg_spec spec[] = {
		arg_bool("VERBOSE", 0, &c->verbose),
		arg_bool("DETAILS", 0, &c->details),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

static int checktcp_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	return chk_configure(ctx, args, conf, CHK_TCP);
}

static int checkudp_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	return chk_configure(ctx, args, conf, CHK_UDP);
}

static int checkicmp_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	return chk_configure(ctx, args, conf, CHK_ICMP);
}

/* ---- symbolic model (src/verify/model.h) ---- */
static const uint8_t chk_proto[] = { [CHK_TCP] = 6, [CHK_UDP] = 17, [CHK_ICMP] = 1 };
/* The shortest transport header each check accepts. */
static const uint32_t chk_min[] = { [CHK_TCP] = 20, [CHK_UDP] = 8, [CHK_ICMP] = 8 };

/* Another protocol, or fewer transport bytes than the smallest header,
 * fails (output 1). The rest may pass or fail: the checksum, TCP's data
 * offset and UDP's length field are not modelled, so those flows take both
 * outputs, marked approximate. */
static int chk_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                        struct sym_flow *f)
{
	const struct checktransport_conf *c = e->conf;
	struct sym_flow *mine = NULL, *other = NULL;
	sym_split_range(cx, f, SYM_F_PROTO, chk_proto[c->kind], chk_proto[c->kind], &mine, &other);
	if (other)
		sym_emit(cx, 1, other);
	if (!mine)
		return 0;
	struct sym_flow *lng = NULL, *shrt = NULL, *maybe = NULL;
	sym_split_transport(cx, mine, chk_min[c->kind], &lng, &shrt, &maybe);
	if (shrt)
		sym_emit(cx, 1, shrt);
	if (lng)
		mu_emit_all(cx, 2, lng, "the transport checksum and length fields are not modelled");
	if (maybe)
		mu_emit_all(cx, 2, maybe, "the transport checksum and length fields are not modelled");
	return 0;
}

static const struct elem_model chk_model = { .push = chk_sym_push };

/* ---- runtime (packet functions) ---- */
struct checktransport_state {
	uint64_t drops;
};

static size_t chk_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct checktransport_state);
}

/* The IP length, when it covers the header and the packet holds it;
 * else 0. Click's CheckTCPHeader requires the packet to hold ip_len. */
static uint32_t chk_ip_len(const struct rt_pkt *p, const uint8_t *ip, uint32_t hlen)
{
	uint32_t len = rt_rd16(ip + 2);
	return len >= hlen && rt_pkt_ip_avail(p) >= len ? len : 0;
}

/* TCP: data offset at least 5 words and within ip_len; the checksum over
 * the ip_len - header length transport bytes. */
static bool chk_tcp_ok(const struct rt_pkt *p, const uint8_t *ip, uint32_t hlen)
{
	uint32_t iplen = chk_ip_len(p, ip, hlen);
	if (!iplen || iplen - hlen < 20)
		return false;
	uint32_t len = iplen - hlen;
	const uint8_t *tcp = ip + hlen;
	uint32_t off = (uint32_t)(tcp[12] >> 4) << 2;
	if (off < 20 || off > len)
		return false;
	return rt_csum_fold(rt_csum_add(ipops_pseudo_sum(ip, hlen, len), tcp, len)) == 0;
}

/* UDP: the UDP length at least 8 and held by the packet; checksum 0 means
 * none, otherwise it covers the UDP length. */
static bool chk_udp_ok(const struct rt_pkt *p, const uint8_t *ip, uint32_t hlen)
{
	uint32_t avail = rt_pkt_ip_avail(p);
	if (avail < hlen + 8)
		return false;
	const uint8_t *udp = ip + hlen;
	uint32_t len = rt_rd16(udp + 4);
	if (len < 8 || avail < hlen + len)
		return false;
	if (rt_rd16(udp + 6) == 0)
		return true;
	return rt_csum_fold(rt_csum_add(ipops_pseudo_sum(ip, hlen, len), udp, len)) == 0;
}

/* The ICMP length each type needs (Click's CheckICMPHeader): errors quote
 * an IP header and 8 bytes (at least 36), timestamps are exactly 20 bytes,
 * information requests and replies exactly 8; the rest at least 8. */
static bool chk_icmp_len_ok(uint8_t type, uint32_t len)
{
	switch (type) {
	case 3: case 4: case 5: case 11: case 12:
		return len >= 36;
	case 13: case 14:
		return len == 20;
	case 15: case 16:
		return len == 8;
	default:
		return len >= 8;
	}
}

/* ICMP: the length is the packet's from the transport header (not ip_len);
 * the checksum covers it all. */
static bool chk_icmp_ok(const struct rt_pkt *p)
{
	uint32_t len = rt_pkt_transp_avail(p);
	const uint8_t *icmp = rt_pkt_transp(p);
	if (len < 8 || !chk_icmp_len_ok(icmp[0], len))
		return false;
	return rt_csum(icmp, len) == 0;
}

static bool chk_ok(const struct checktransport_conf *c, const struct rt_pkt *p)
{
	if (!rt_pkt_has_ip(p))
		return false;
	const uint8_t *ip = rt_pkt_ip(p);
	uint32_t hlen = (uint32_t)(ip[0] & 15) << 2;
	if (rt_pkt_ip_avail(p) < 20 || ip[9] != chk_proto[c->kind] || hlen < 20)
		return false;
	switch (c->kind) {
	case CHK_TCP:
		return chk_tcp_ok(p, ip, hlen);
	case CHK_UDP:
		return chk_udp_ok(p, ip, hlen);
	default:
		return chk_icmp_ok(p);
	}
}

static struct rt_pkt *chk_action(struct rt_elem *e, struct rt_pkt *p)
{
	if (chk_ok(e->conf, p))
		return p;
	struct checktransport_state *s = e->state;
	s->drops++;
	rt_push(e, 1, p);
	return NULL;
}

static int chk_read(const struct rt_elem *e, const char *h, uint64_t *v)
{
	const struct checktransport_state *s = e->state;
	if (strcmp(h, "drops"))
		return -EOPNOTSUPP;
	*v = s->drops;
	return 0;
}

static const struct elem_runtime chk_runtime = {
	.state_size = chk_state_size,
	.action = chk_action,
	.read = chk_read,
};

/* ---- describe and the class objects ---- */
static json_t *chk_describe(const void *conf)
{
	const struct checktransport_conf *c = conf;
	return json_pack("{s:b, s:b}", "VERBOSE", c->verbose, "DETAILS", c->details);
}

#define CHK_DOC_ARGS "keywords VERBOSE, DETAILS (bool, default false)"
#define CHK_DOC_MODEL(proto, min) \
	"Other protocols than " proto ", and packets with fewer than " min " transport bytes, " \
	"fail (output 1); the rest may pass or fail, since checksums and length fields are " \
	"not modelled: both outputs, approximate."

const struct click_class elem_checktcpheader = {
	.name = "CheckTCPHeader",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = checktcp_configure,
	.model = &chk_model,
	.runtime = &chk_runtime,
	.describe = chk_describe,
	.doc_args = CHK_DOC_ARGS,
	.doc_model = CHK_DOC_MODEL("TCP", "20"),
};

const struct click_class elem_checkudpheader = {
	.name = "CheckUDPHeader",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = checkudp_configure,
	.model = &chk_model,
	.runtime = &chk_runtime,
	.describe = chk_describe,
	.doc_args = CHK_DOC_ARGS,
	.doc_model = CHK_DOC_MODEL("UDP", "8"),
};

const struct click_class elem_checkicmpheader = {
	.name = "CheckICMPHeader",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = checkicmp_configure,
	.model = &chk_model,
	.runtime = &chk_runtime,
	.describe = chk_describe,
	.doc_args = CHK_DOC_ARGS,
	.doc_model = CHK_DOC_MODEL("ICMP", "8"),
};
