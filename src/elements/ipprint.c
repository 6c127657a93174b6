/* IPPrint([LABEL] [, keywords]) (as Click documents it): log one
 * tcpdump-like line per IP packet (addresses, ports, TCP flags and
 * sequence numbers, UDP length, ICMP type, fragment), optionally with the
 * packet's bytes, and pass it on unchanged. Packets without an IP header
 * annotation pass without a line. Lines go to the module's log: OUTFILE is
 * refused (a module writes no files) and CHANNEL is accepted and ignored. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

enum ipprint_contents { IPP_NONE, IPP_HEX, IPP_ASCII };

struct ipprint_conf {
	const char *label;  /* "" by default */
	uint8_t contents;   /* enum ipprint_contents, NONE */
	bool payload;       /* contents from the transport payload, not the data start */
	int32_t maxlength;  /* bytes shown, 1500; negative: all */
	bool id, timestamp, paint, tos, ttl, swap, length, aggregate, active;
	const char *channel; /* accepted, unused */
};

/* CONTENTS: a bool, or NONE, HEX, ASCII (any case). */
static int ipprint_contents(const struct click_conf_ctx *ctx, const struct arg_val *v, uint8_t *out)
{
	bool b;
	if (arg_parse_bool(NULL, v, &b) == 0)
		*out = b ? IPP_HEX : IPP_NONE;
	else if (v->n == 4 && strncasecmp(v->s, "none", 4) == 0)
		*out = IPP_NONE;
	else if (v->n == 3 && strncasecmp(v->s, "hex", 3) == 0)
		*out = IPP_HEX;
	else if (v->n == 5 && strncasecmp(v->s, "ascii", 5) == 0)
		*out = IPP_ASCII;
	else
		return arg_error(ctx, v, "bad contents value; should be 'NONE', 'HEX', or 'ASCII'");
	return 0;
}

/* PAYLOAD: NO/FALSE, YES/TRUE/HEX, ASCII (any case). */
static int ipprint_payload(const struct click_conf_ctx *ctx, const struct arg_val *v, uint8_t *out)
{
	static const struct { const char *w; uint8_t c; } words[] = {
		{ "no", IPP_NONE }, { "false", IPP_NONE }, { "yes", IPP_HEX },
		{ "true", IPP_HEX }, { "hex", IPP_HEX }, { "ascii", IPP_ASCII },
	};
	for (size_t i = 0; i < ARG_N(words); i++)
		if (v->n == strlen(words[i].w) && strncasecmp(v->s, words[i].w, v->n) == 0) {
			*out = words[i].c;
			return 0;
		}
	return arg_error(ctx, v, "bad payload value; should be 'false', 'hex', or 'ascii'");
}

static int ipprint_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct ipprint_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	*c = (struct ipprint_conf){ .label = "", .maxlength = 1500, .timestamp = true, .swap = true,
	                            .active = true, .channel = "" };
	struct arg_val contents = { 0 }, payload = { 0 }, outfile = { 0 };
	struct arg_spec spec[] = {
		arg_string("LABEL", ARG_P, &c->label),
		arg_raw("CONTENTS", 0, &contents),
		arg_raw("PAYLOAD", 0, &payload),
		arg_i32("MAXLENGTH", 0, &c->maxlength),
		arg_i32("NBYTES", 0, &c->maxlength), /* deprecated */
		arg_bool("ID", 0, &c->id),
		arg_bool("TIMESTAMP", 0, &c->timestamp),
		arg_bool("PAINT", 0, &c->paint),
		arg_bool("TOS", 0, &c->tos),
		arg_bool("TTL", 0, &c->ttl),
		arg_bool("SWAP", 0, &c->swap),
		arg_bool("LENGTH", 0, &c->length),
		arg_bool("AGGREGATE", 0, &c->aggregate),
		arg_bool("ACTIVE", 0, &c->active),
		arg_raw("OUTFILE", 0, &outfile),
		arg_string("CHANNEL", 0, &c->channel),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	uint8_t pay = IPP_NONE;
	if (spec[1].given && ipprint_contents(ctx, &contents, &c->contents))
		rc = -EINVAL;
	if (spec[2].given && ipprint_payload(ctx, &payload, &pay))
		rc = -EINVAL;
	if (spec[14].given)
		rc = arg_error(ctx, &outfile, "not supported: a module writes its lines to its log, not to files");
	if (rc)
		return rc;
	if (pay != IPP_NONE && c->contents != IPP_NONE)
		return arg_error(ctx, &payload, "specify at most one of PAYLOAD and CONTENTS");
	if (pay != IPP_NONE) {
		c->contents = pay;
		c->payload = true;
	}
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* IPPrint logs a line and passes the packet unchanged. */
static const struct elem_model ipprint_model = { .push = mu_sym_pass };

/* ---- runtime (packet functions) ---- */
/* A line being written; output past the end is cut. */
struct line {
	char s[4096];
	size_t n;
};

static void put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct line *l, const char *fmt, ...)
{
	if (l->n >= sizeof l->s - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(l->s + l->n, sizeof l->s - l->n, fmt, ap);
	va_end(ap);
	if (w > 0)
		l->n = l->n + (size_t)w < sizeof l->s ? l->n + (size_t)w : sizeof l->s - 1;
}

static void put_addr(struct line *l, const uint8_t *a)
{
	put(l, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

static void put_pair(struct line *l, const uint8_t *ip)
{
	put_addr(l, ip + 12);
	put(l, " > ");
	put_addr(l, ip + 16);
}

static void put_ports(struct line *l, const uint8_t *ip, const uint8_t *tr)
{
	put_addr(l, ip + 12);
	put(l, ".%u > ", rt_rd16(tr));
	put_addr(l, ip + 16);
	put(l, ".%u: ", rt_rd16(tr + 2));
}

/* TCP: flags (S, F, R, P, or '.'), seq:seq+len(len,packet length,ip_len),
 * ack, window; "truncated-tcp" where the transport bytes run out. */
static void tcp_line(struct line *l, const struct rt_pkt *p, const uint8_t *ip, int32_t tlen)
{
	const uint8_t *tcp = rt_pkt_transp(p);
	if (tlen < 4 || !rt_ip_first_frag(ip)) {
		put_pair(l, ip);
		put(l, rt_ip_first_frag(ip) ? ": truncated-tcp" : ": tcp");
		return;
	}
	put_ports(l, ip, tcp);
	if (tlen < 14) {
		put(l, "truncated-tcp");
		return;
	}
	uint32_t iplen = rt_rd16(ip + 2), flags = tcp[13];
	int32_t seqlen = (int32_t)iplen - (ip[0] & 15) * 4 - (tcp[12] >> 4) * 4;
	static const struct { uint8_t bit; char c; bool counts; } fl[] = {
		{ 0x02, 'S', true }, { 0x01, 'F', true }, { 0x04, 'R', false }, { 0x08, 'P', false },
	};
	for (size_t i = 0; i < ARG_N(fl); i++)
		if (flags & fl[i].bit) {
			put(l, "%c", fl[i].c);
			seqlen += fl[i].counts;
		}
	if (!(flags & 0x0f))
		put(l, ".");
	uint32_t seq = rt_rd32(tcp + 4);
	put(l, " %u:%u(%d,%u,%u)", seq, seq + (uint32_t)seqlen, seqlen, p->len, iplen);
	if (flags & 0x10)
		put(l, " ack %u", rt_rd32(tcp + 8));
	if (tlen < 16)
		put(l, "truncated-tcp");
	else
		put(l, " win %u", rt_rd16(tcp + 14));
}

static void udp_line(struct line *l, const struct rt_pkt *p, const uint8_t *ip, int32_t tlen)
{
	const uint8_t *udp = rt_pkt_transp(p);
	if (tlen < 4 || !rt_ip_first_frag(ip)) {
		put_pair(l, ip);
		put(l, rt_ip_first_frag(ip) ? ": truncated-udp" : ": udp");
		return;
	}
	put_ports(l, ip, udp);
	if (tlen < 8)
		put(l, "truncated-udp");
	else
		put(l, "udp %u", rt_rd16(udp + 4));
}

/* Names of ICMP types and of the codes of types 3, 5, 11 and 12, as
 * Click's name tables give them. */
struct icmp_name {
	uint8_t type;
	int16_t code; /* -1: the type's own name */
	const char *name;
};

static const struct icmp_name icmp_names[] = {
	{ 0, -1, "echo-reply" }, { 3, -1, "unreachable" }, { 4, -1, "sourcequench" },
	{ 5, -1, "redirect" }, { 8, -1, "echo" }, { 9, -1, "routeradvert" },
	{ 10, -1, "routersolicit" }, { 11, -1, "timeexceeded" }, { 12, -1, "parameterproblem" },
	{ 13, -1, "timestamp" }, { 14, -1, "timestamp-reply" }, { 15, -1, "inforeq" },
	{ 16, -1, "inforeq-reply" }, { 17, -1, "maskreq" }, { 18, -1, "maskreq-reply" },
	{ 3, 0, "net" }, { 3, 1, "host" }, { 3, 2, "protocol" }, { 3, 3, "port" },
	{ 3, 4, "needfrag" }, { 3, 5, "srcroutefail" }, { 3, 6, "netunknown" },
	{ 3, 7, "hostunknown" }, { 3, 8, "isolated" }, { 3, 9, "netprohibited" },
	{ 3, 10, "hostprohibited" }, { 3, 11, "tosnet" }, { 3, 12, "toshost" },
	{ 3, 13, "filterprohibited" }, { 3, 14, "hostprecedence" }, { 3, 15, "precedencecutoff" },
	{ 5, 0, "net" }, { 5, 1, "host" }, { 5, 2, "tosnet" }, { 5, 3, "toshost" },
	{ 11, 0, "transit" }, { 11, 1, "reassembly" },
	{ 12, 0, "erroratptr" }, { 12, 1, "missingopt" }, { 12, 2, "length" },
};

static const char *icmp_name(uint8_t type, int16_t code)
{
	for (size_t i = 0; i < ARG_N(icmp_names); i++)
		if (icmp_names[i].type == type && icmp_names[i].code == code)
			return icmp_names[i].name;
	return NULL;
}

/* Click's built-in protocol names (innet reads no /etc/protocols). */
static const char *proto_name(uint8_t proto)
{
	static const struct { uint8_t p; const char *n; } t[] = {
		{ 1, "icmp" }, { 2, "igmp" }, { 4, "ipip" }, { 6, "tcp" }, { 17, "udp" },
		{ 33, "dccp" }, { 47, "gre" }, { 132, "sctp" },
	};
	for (size_t i = 0; i < ARG_N(t); i++)
		if (t[i].p == proto)
			return t[i].n;
	return NULL;
}

static void put_proto(struct line *l, uint8_t proto, bool prefix)
{
	const char *n = proto_name(proto);
	if (n)
		put(l, "%s", n);
	else
		put(l, prefix ? "protocol %u" : "%u", proto);
}

/* Unreachable: the quoted packet's destination, the code, and per code
 * the protocol, the port or the next-hop MTU. False when truncated. */
static bool icmp_unreach(struct line *l, const uint8_t *icmp, int32_t tlen)
{
	const char *code = icmp_name(3, icmp[1]);
	char num[16];
	if (!code) {
		snprintf(num, sizeof num, "code %u", icmp[1]);
		code = num;
	}
	const uint8_t *eip = icmp + 8;
	int32_t elen = tlen - 8;
	if (elen < 20) {
		put(l, "icmp unreachable %s ", code);
		return false;
	}
	put(l, "icmp ");
	put_addr(l, eip + 16);
	put(l, " unreachable %s", code);
	int32_t eul = elen - (eip[0] & 15) * 4;
	if (icmp[1] == 2) {
		put(l, " ");
		put_proto(l, eip[9], false);
	} else if (icmp[1] == 3) {
		put(l, " ");
		put_proto(l, eip[9], true);
		if (eul < 4)
			return false;
		put(l, "/%u", rt_rd16(eip + (eip[0] & 15) * 4 + 2));
	} else if (icmp[1] == 4 && rt_rd16(icmp + 6)) {
		put(l, " (mtu %u)", rt_rd16(icmp + 6));
	}
	return true;
}

static void icmp_line(struct line *l, const struct rt_pkt *p, const uint8_t *ip, int32_t tlen,
                      bool swap)
{
	const uint8_t *icmp = rt_pkt_transp(p);
	put_pair(l, ip);
	put(l, ": ");
	if (!rt_ip_first_frag(ip)) {
		put(l, "icmp");
		return;
	}
	bool ok = tlen >= 2;
	if (ok && (icmp[0] == 0 || icmp[0] == 8)) {
		put(l, "icmp %s ", icmp[0] ? "echo" : "echo-reply");
		ok = tlen >= 8;
		if (ok) {
			/* the identifier and sequence as Click reads them: the
			 * network bytes swapped unless SWAP false (a little-endian
			 * host's view) */
			uint16_t id = rt_rd16(icmp + 4), sq = rt_rd16(icmp + 6);
			if (!swap) {
				id = (uint16_t)(id << 8 | id >> 8);
				sq = (uint16_t)(sq << 8 | sq >> 8);
			}
			put(l, "(%u, %u)", id, sq);
		}
	} else if (ok && icmp[0] == 3) {
		ok = icmp_unreach(l, icmp, tlen);
	} else if (ok) {
		const char *t = icmp_name(icmp[0], -1), *c = icmp_name(icmp[0], icmp[1]);
		if (t)
			put(l, "icmp %s", t);
		else
			put(l, "icmp type %u", icmp[0]);
		if (c)
			put(l, " %s", c);
		else if (icmp[1])
			put(l, " code %u", icmp[1]);
	}
	if (!ok)
		put(l, "truncated-icmp");
}

/* The packet's bytes (from the data start, or with PAYLOAD from the
 * transport payload), at most MAXLENGTH: hex in groups of 4, 24 a row, or
 * ASCII in groups of 8, 48 a row. */
static void put_contents(struct line *l, const struct ipprint_conf *c, const struct rt_pkt *p,
                         const uint8_t *ip)
{
	const uint8_t *d = rt_pkt_data(p), *end = d + p->len;
	if (c->payload) {
		d = rt_pkt_transp(p);
		if (rt_ip_first_frag(ip) && ip[9] == 6) /* no data offset: no payload */
			d = d + 13 <= end ? d + (d[12] >> 4) * 4 : end;
		else if (rt_ip_first_frag(ip) && ip[9] == 17)
			d += 8;
	}
	int64_t bytes = d >= end ? 0 : end - d;
	if (c->maxlength >= 0 && bytes > c->maxlength)
		bytes = c->maxlength;
	bool hex = c->contents == IPP_HEX;
	int64_t row = hex ? 24 : 48, group = hex ? 4 : 8;
	for (int64_t i = 0; i < bytes; i++) {
		if (i % row == 0)
			put(l, "\n  ");
		else if (i % group == 0)
			put(l, " ");
		if (hex)
			put(l, "%02x", d[i]);
		else
			put(l, "%c", d[i] < 32 || d[i] > 126 ? '.' : d[i]);
	}
}

/* The prefix: label, timestamp, aggregate and paint annotations. */
static void put_prefix(struct line *l, const struct ipprint_conf *c, const struct rt_pkt *p)
{
	if (*c->label)
		put(l, "%s: ", c->label);
	if (c->timestamp)
		put(l, "%llu.%06llu: ", (unsigned long long)(p->tstamp_ns / 1000000000u),
		    (unsigned long long)(p->tstamp_ns % 1000000000u / 1000u));
	if (c->aggregate) {
		uint32_t agg;
		memcpy(&agg, p->anno + 20, 4); /* Click reads it in host order */
		put(l, "#%u", agg);
	}
	if (c->paint)
		put(l, "%s%u", c->aggregate ? "." : "paint ", p->anno[RT_ANNO_PAINT]);
	if (c->aggregate || c->paint)
		put(l, ": ");
}

static void ipprint_ip(struct line *l, const struct ipprint_conf *c, const struct rt_pkt *p,
                       const uint8_t *ip)
{
	uint32_t iplen = rt_rd16(ip + 2);
	int32_t paylen = (int32_t)iplen - (ip[0] & 15) * 4;
	const uint8_t *tr = rt_pkt_transp(p), *end = rt_pkt_data(p) + p->len;
	int32_t tlen = (int32_t)(end - tr);
	if (tlen > paylen)
		tlen = paylen;
	if (c->id)
		put(l, "id %u ", rt_rd16(ip + 4));
	if (c->ttl)
		put(l, "ttl %u ", ip[8]);
	if (c->tos)
		put(l, "tos %u ", ip[1]);
	if (c->length)
		put(l, "length %u ", iplen);
	if (ip[9] == 6)
		tcp_line(l, p, ip, tlen);
	else if (ip[9] == 17)
		udp_line(l, p, ip, tlen);
	else if (ip[9] == 1)
		icmp_line(l, p, ip, tlen, c->swap);
	else {
		put_pair(l, ip);
		put(l, ": ip-proto-%u", ip[9]);
	}
	if (rt_ip_is_frag(ip))
		put(l, " (frag %u:%d@%u%s)", rt_rd16(ip + 4), paylen, (rt_rd16(ip + 6) & RT_IP_OFFMASK) << 3,
		    rt_rd16(ip + 6) & RT_IP_MF ? "+" : "");
	if (c->contents != IPP_NONE)
		put_contents(l, c, p, ip);
}

static struct rt_pkt *ipprint_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct ipprint_conf *c = e->conf;
	if (!c->active || !rt_pkt_has_ip(p))
		return p;
	struct line l = { .n = 0 };
	put_prefix(&l, c, p);
	if (rt_pkt_ip_avail(p) < 20)
		put(&l, "truncated-ip");
	else
		ipprint_ip(&l, c, p, rt_pkt_ip(p));
	l.s[l.n] = 0;
	rt_log(e, l.s);
	return p;
}

static const struct elem_runtime ipprint_runtime = { .action = ipprint_action };

/* ---- describe and the class object ---- */
static json_t *ipprint_describe(const void *conf)
{
	const struct ipprint_conf *c = conf;
	static const char *const contents[] = { "NONE", "HEX", "ASCII" };
	return json_pack("{s:s, s:s, s:s, s:i, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:s}",
	                 "LABEL", c->label, "CONTENTS", c->payload ? "NONE" : contents[c->contents],
	                 "PAYLOAD", c->payload ? contents[c->contents] : "NONE", "MAXLENGTH",
	                 c->maxlength, "ID", c->id, "TIMESTAMP", c->timestamp, "PAINT", c->paint, "TOS",
	                 c->tos, "TTL", c->ttl, "SWAP", c->swap, "LENGTH", c->length, "AGGREGATE",
	                 c->aggregate, "ACTIVE", c->active, "CHANNEL", c->channel);
}

const struct click_class elem_ipprint = {
	.name = "IPPrint",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = ipprint_configure,
	.model = &ipprint_model,
	.runtime = &ipprint_runtime,
	.describe = ipprint_describe,
	.doc_args = "[LABEL] (string, default empty); keywords CONTENTS (NONE, HEX, ASCII or a "
	            "bool, default NONE), PAYLOAD (false, hex or ascii: the transport payload; not "
	            "with CONTENTS), MAXLENGTH (integer, default 1500; NBYTES the same, deprecated), "
	            "ID, PAINT, TOS, TTL, LENGTH, AGGREGATE (bool, default false), TIMESTAMP, SWAP, "
	            "ACTIVE (bool, default true), CHANNEL (word, ignored); OUTFILE refused (lines go "
	            "to the module's log)",
	.doc_model = "Logs a line and passes the packet unchanged.",
};
