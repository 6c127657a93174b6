/* IPGWOptions(MYADDR [, OTHERADDRS]) (Click's): processes the Record Route
 * and Timestamp options of the packet's IP header (annotation) as every
 * router should: MYADDR is recorded; a Timestamp with pre-specified
 * addresses (flag 3) is stamped only for MYADDR or one of OTHERADDRS. The
 * header checksum is recomputed when either option is present. A malformed
 * option sends the packet to output 1 (dropped without one) with the ICMP
 * parameter-problem annotation at the offending byte, after the options
 * before it were processed, as Click does (an ICMPError downstream makes
 * the error). As in Click's code: the header length walked is the IP
 * header annotation's, an option whose length byte would lie past the
 * header is bad at that byte, a full Record Route is left alone, a full
 * Timestamp counts an overflow (bad after 15), and a full flag-3 Timestamp
 * or flags 2 and 4-15 are bad. The timestamp is milliseconds since
 * midnight of the module clock (Click: the wall clock). Departure: a
 * pointer or flags byte past the packet's end (an option of length 2 or 3
 * at the end of the header of a packet with no payload) is not read and
 * the packet is bad at that byte (Click reads past the end). */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct ipgwoptions_conf {
	uint32_t myaddr;
	uint32_t nother;
	uint32_t *other; /* OTHERADDRS, then MYADDR */
};

static int ipgwoptions_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                 void **conf)
{
	struct ipgwoptions_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_val others = { 0 };
	struct arg_spec spec[] = {
		arg_ip("MYADDR", ARG_MP, &c->myaddr),
		arg_raw("OTHERADDRS", ARG_P, &others),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	struct arg_list w = { 0 };
	if (spec[1].given && arg_words(ctx, &others, &w))
		return -ENOMEM;
	c->other = arena_calloc(ctx->arena, w.n + 1, sizeof *c->other);
	if (!c->other)
		return -ENOMEM;
	for (size_t i = 0; i < w.n; i++) {
		w.v[i].kw = "OTHERADDRS";
		if (arg_parse_ip(ctx, &w.v[i], &c->other[c->nother++]))
			rc = -EINVAL;
	}
	c->other[c->nother++] = c->myaddr;
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* A header of 20 bytes or less (IHL <= 5) passes untouched. Options are
 * not modelled and what IPGWOptions writes (option bytes, the checksum)
 * is no modelled field, so a packet with options takes both outputs
 * (output 1: malformed options), approximate. */
static int ipgwoptions_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                struct sym_flow *f)
{
	for (uint32_t hl = 0; hl <= 5 && f; hl++) {
		struct sym_flow *this = NULL, *other = NULL;
		if (!mu_split_masked(cx, f, SYM_F_VHL, 0x0f, hl, &this, &other))
			break;
		if (this)
			sym_emit(cx, 0, this);
		f = other;
	}
	if (f)
		mu_emit_all(cx, 2, f, "IPGWOptions: IP options are not modelled");
	return 0;
}

static const struct elem_model ipgwoptions_model = { .push = ipgwoptions_sym_push };

/* ---- runtime (packet functions) ---- */
struct ipgwoptions_state {
	uint64_t drops;
};

static size_t ipgwoptions_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct ipgwoptions_state);
}

/* One option walk over ip[20, hlen), avail bytes readable from ip; ms the
 * timestamp. 0 when done (*seen: a Record Route or Timestamp option was
 * there), else -1 with *bad the offending byte's offset. */
struct gw_walk {
	uint8_t *ip;
	uint32_t hlen, avail, ms;
	bool seen;
	uint32_t bad;
};

static int gw_bad(struct gw_walk *w, uint32_t at)
{
	w->bad = at;
	return -1;
}

static int gw_record_route(struct gw_walk *w, const struct ipgwoptions_conf *c, uint32_t oi,
                           uint32_t xlen)
{
	if (oi + 2 >= w->avail)
		return gw_bad(w, oi + 2);
	uint8_t *o = w->ip + oi;
	int p = (int)o[2] - 1;
	if (p >= 3 && (uint32_t)p + 4 <= xlen) {
		rt_wr32(o + p, c->myaddr);
		o[2] += 4;
	} else if ((uint32_t)p != xlen) {
		return gw_bad(w, oi + 2);
	}
	return 0;
}

static int gw_timestamp(struct gw_walk *w, const struct ipgwoptions_conf *c, uint32_t oi,
                        uint32_t xlen)
{
	if (oi + 2 >= w->avail)
		return gw_bad(w, oi + 2);
	uint8_t *o = w->ip + oi;
	int p = (int)o[2] - 1;
	if (p < 4)
		return gw_bad(w, oi + 2);
	if (oi + 3 >= w->avail)
		return gw_bad(w, oi + 3);
	uint32_t oflw = o[3] >> 4, flg = o[3] & 15, up = (uint32_t)p;
	bool overflowed = false;
	if (flg == 0) {
		if (up + 4 <= xlen) {
			rt_wr32(o + up, w->ms);
			o[2] += 4;
		} else {
			overflowed = true;
		}
	} else if (flg == 1) {
		if (up + 8 <= xlen) {
			rt_wr32(o + up, c->myaddr);
			rt_wr32(o + up + 4, w->ms);
			o[2] += 8;
		} else {
			overflowed = true;
		}
	} else if (flg == 3 && up + 8 <= xlen) {
		if (ipops_addr_in(rt_rd32(o + up), c->other, c->nother)) {
			rt_wr32(o + up + 4, w->ms);
			o[2] += 8;
		}
	} else {
		return gw_bad(w, oi + 3);
	}
	if (overflowed) {
		if (oflw >= 15)
			return gw_bad(w, oi + 3);
		o[3] = (uint8_t)(((oflw + 1) << 4) | flg);
	}
	return 0;
}

static int gw_options(struct gw_walk *w, const struct ipgwoptions_conf *c)
{
	for (uint32_t oi = 20; oi < w->hlen;) {
		uint8_t type = w->ip[oi];
		if (type == 1) { /* NOP */
			oi++;
			continue;
		}
		if (type == 0) /* EOL */
			break;
		/* a length byte past the header makes the option run past it */
		uint32_t xlen = oi + 1 < w->hlen ? w->ip[oi + 1] : 0;
		if (xlen < 2 || oi + xlen > w->hlen)
			return gw_bad(w, oi + 1);
		if (type == 7 || type == 68) {
			w->seen = true;
			int rc = type == 7 ? gw_record_route(w, c, oi, xlen) : gw_timestamp(w, c, oi, xlen);
			if (rc)
				return rc;
		}
		oi += xlen;
	}
	return 0;
}

static struct rt_pkt *ipgwoptions_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct ipgwoptions_conf *c = e->conf;
	uint32_t avail = rt_pkt_ip_avail(p);
	if (!avail || (rt_pkt_ip(p)[0] & 15) <= 5)
		return p;
	struct gw_walk w = {
		.ip = rt_pkt_ip(p),
		.hlen = p->ip_hlen < avail ? p->ip_hlen : avail,
		.avail = avail,
		.ms = (uint32_t)((rt_now(e) / 1000000u) % 86400000u),
	};
	if (gw_options(&w, c) == 0) {
		if (w.seen)
			rt_ip_set_csum(w.ip, w.hlen);
		return p;
	}
	struct ipgwoptions_state *s = e->state;
	s->drops++;
	p->anno[RT_ANNO_ICMP_PARAM] = (uint8_t)w.bad;
	rt_push(e, 1, p);
	return NULL;
}

static int ipgwoptions_read(const struct rt_elem *e, const char *h, uint64_t *v)
{
	const struct ipgwoptions_state *s = e->state;
	if (strcmp(h, "drops"))
		return -EOPNOTSUPP;
	*v = s->drops;
	return 0;
}

static const struct elem_runtime ipgwoptions_runtime = {
	.state_size = ipgwoptions_state_size,
	.action = ipgwoptions_action,
	.read = ipgwoptions_read,
};

/* ---- describe and the class object ---- */
/* OTHERADDRS as given (MYADDR, which the flag-3 check also accepts, apart). */
static json_t *ipgwoptions_describe(const void *conf)
{
	const struct ipgwoptions_conf *c = conf;
	return json_pack("{s:o, s:o}", "MYADDR", describe_ip(c->myaddr), "OTHERADDRS",
	                 describe_ip_list(c->other, c->nother - 1));
}

const struct click_class elem_ipgwoptions = {
	.name = "IPGWOptions",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = ipgwoptions_configure,
	.model = &ipgwoptions_model,
	.runtime = &ipgwoptions_runtime,
	.describe = ipgwoptions_describe,
	.doc_args = "MYADDR (IP address; mandatory), [OTHERADDRS] (space-separated IP addresses)",
	.doc_model = "A header without options passes untouched; options are not modelled, so a "
	             "packet with options takes both outputs (output 1: malformed options), "
	             "approximate.",
};
