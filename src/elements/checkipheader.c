/* CheckIPHeader([OFFSET] [, keywords]) (as Click documents it): validate IPv4, set
 * the IP header and dst-IP annotations, trim trailing bytes; failures go
 * to output 1. Keywords: OFFSET 0, CHECKSUM true, INTERFACES (addr/len
 * list: BADSRC gets their broadcasts plus 0.0.0.0 and 255.255.255.255,
 * GOODDST their addresses), BADSRC, GOODDST (address lists), VERBOSE,
 * DETAILS. Also the deprecated CheckIPHeader(BADSRC, OFFSET). */
#include <errno.h>
#include <string.h>

#include "elements/args.h"
#include "elements/describe.h"
#include "elements/element.h"
#include "elements/ipops.h"
#include "runtime/net.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct checkipheader_conf {
	uint32_t offset;   /* IP header start from the data pointer */
	bool checksum;     /* verify the header checksum */
	uint32_t nbadsrc, ngooddst;
	uint32_t *badsrc;  /* sources refused ... */
	uint32_t *gooddst; /* ... unless the destination is one of these */
	bool verbose, details;
};

static int addr_list(const struct click_conf_ctx *ctx, struct arg_val *v, uint32_t **out, uint32_t *n,
                     size_t extra)
{
	struct arg_list w;
	if (arg_words(ctx, v, &w))
		return -ENOMEM;
	*out = arena_calloc(ctx->arena, w.n + extra + 1, sizeof **out);
	if (!*out)
		return -ENOMEM;
	int rc = 0;
	*n = 0;
	for (size_t i = 0; i < w.n; i++)
		if (arg_parse_ip(ctx, &w.v[i], &(*out)[(*n)++]))
			rc = -EINVAL;
	return rc;
}

static int checkipheader_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                   void **conf)
{
	struct checkipheader_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->checksum = true;
	struct arg_val p1 = { 0 }, p2 = { 0 }, ifs = { 0 }, bad = { 0 }, good = { 0 };
	struct arg_spec spec[] = {
		arg_raw("OFFSET", ARG_P, &p1),
		arg_raw("OFFSET ", ARG_P, &p2), /* deprecated form's 2nd: never a keyword */
		arg_bool("CHECKSUM", 0, &c->checksum),
		arg_raw("INTERFACES", 0, &ifs),
		arg_raw("BADSRC", 0, &bad),
		arg_raw("GOODDST", 0, &good),
		arg_bool("VERBOSE", 0, &c->verbose),
		arg_bool("DETAILS", 0, &c->details),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	struct arg_val *off = spec[1].given ? &p2 : spec[0].given ? &p1 : NULL;
	if (spec[1].given) {
		/* CheckIPHeader(BADSRC, OFFSET) */
		if (spec[4].given)
			return arg_error(ctx, &p1, "BADSRC given twice (positionally and by keyword)");
		bad = p1;
		bad.kw = "BADSRC";
		spec[4].given = true;
	}
	if (off) {
		off->kw = "OFFSET";
		uint64_t o;
		if (arg_parse_uint(ctx, off, UINT32_MAX, &o))
			return -EINVAL;
		c->offset = (uint32_t)o;
	}
	if (spec[3].given && (spec[4].given || spec[5].given))
		return arg_error(ctx, &ifs, "INTERFACES cannot be combined with BADSRC or GOODDST");
	if (spec[3].given) {
		struct arg_list w;
		if (arg_words(ctx, &ifs, &w))
			return -ENOMEM;
		c->badsrc = arena_calloc(ctx->arena, w.n + 2, sizeof *c->badsrc);
		c->gooddst = arena_calloc(ctx->arena, w.n + 1, sizeof *c->gooddst);
		if (!c->badsrc || !c->gooddst)
			return -ENOMEM;
		for (size_t i = 0; i < w.n; i++) {
			uint32_t a;
			uint8_t len;
			if (arg_parse_prefix_host(ctx, &w.v[i], &a, &len)) {
				rc = -EINVAL;
				continue;
			}
			c->badsrc[c->nbadsrc++] = a | ~inet_mask(len);
			c->gooddst[c->ngooddst++] = a;
		}
		c->badsrc[c->nbadsrc++] = 0;
		c->badsrc[c->nbadsrc++] = 0xffffffffu;
	}
	if (spec[4].given && addr_list(ctx, &bad, &c->badsrc, &c->nbadsrc, 0))
		rc = -EINVAL;
	if (spec[5].given && addr_list(ctx, &good, &c->gooddst, &c->ngooddst, 0))
		rc = -EINVAL;
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* The IP header annotation goes to data + OFFSET (exposing an inner layer
 * after a Strip: decapsulation). Version 4 and a header length of at least
 * 5 words pass; lengths and checksums of the packets the network carries
 * are taken as valid (the devices carry well-formed IPv4). BADSRC sources
 * fail unless the destination is in GOODDST. Failures go to output 1. */
static int checkipheader_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                              struct sym_flow *f)
{
	const struct checkipheader_conf *c = e->conf;
	struct sym_flow *ok, *bad;
	sym_mark_ip(cx, f, c->offset);
	sym_split_range(cx, f, SYM_F_VHL, 0x45, 0x4f, &ok, &bad);
	if (bad)
		sym_emit(cx, 1, bad);
	for (uint32_t i = 0; i < c->nbadsrc && ok; i++) {
		struct sym_flow *hit, *rest;
		sym_split_range(cx, ok, SYM_F_SRC, c->badsrc[i], c->badsrc[i], &hit, &rest);
		ok = rest;
		for (uint32_t g = 0; g < c->ngooddst && hit; g++) {
			struct sym_flow *good, *other;
			sym_split_range(cx, hit, SYM_F_DST, c->gooddst[g], c->gooddst[g], &good, &other);
			if (good) {
				sym_copy(cx, good, SYM_F_DSTANNO, SYM_F_DST);
				sym_emit(cx, 0, good);
			}
			hit = other;
		}
		if (hit)
			sym_emit(cx, 1, hit);
	}
	if (ok) {
		sym_copy(cx, ok, SYM_F_DSTANNO, SYM_F_DST);
		sym_emit(cx, 0, ok);
	}
	return 0;
}

static const struct elem_model checkipheader_model = { .push = checkipheader_sym_push };

/* ---- runtime (packet functions) ---- */
struct checkipheader_state {
	uint64_t drops;
};

static size_t checkipheader_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct checkipheader_state);
}

/* The checks at data c->offset c->c->offset; on success sets the IP header and
 * dst-IP annotations and trims bytes beyond ip_len. 0, or -EINVAL. */
static int check_ip(struct rt_pkt *p, const struct checkipheader_conf *c)
{
	if (p->len < c->offset)
		return -EINVAL;
	const uint8_t *ip = rt_pkt_data(p) + c->offset;
	uint32_t plen = p->len - c->offset;
	uint32_t hlen = rt_ip_header_len(ip, plen, c->checksum);
	if (!hlen)
		return -EINVAL;
	uint32_t len = rt_rd16(ip + 2);
	uint32_t src = rt_rd32(ip + 12), dst = rt_rd32(ip + 16);
	if (ipops_addr_in(src, c->badsrc, c->nbadsrc) && !ipops_addr_in(dst, c->gooddst, c->ngooddst))
		return -EINVAL;
	rt_pkt_set_ip_header(p, c->offset, hlen);
	if (plen > len)
		p->len -= plen - len;
	rt_pkt_set_dst_anno(p, dst);
	return 0;
}

static struct rt_pkt *checkipheader_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct checkipheader_conf *c = e->conf;
	if (check_ip(p, c) == 0)
		return p;
	struct checkipheader_state *s = e->state;
	s->drops++;
	rt_push(e, 1, p);
	return NULL;
}

static int checkipheader_read(const struct rt_elem *e, const char *h, uint64_t *v)
{
	const struct checkipheader_state *s = e->state;
	if (strcmp(h, "drops"))
		return -EOPNOTSUPP;
	*v = s->drops;
	return 0;
}

static const struct elem_runtime checkipheader_runtime = {
	.state_size = checkipheader_state_size,
	.action = checkipheader_action,
	.read = checkipheader_read,
};

/* ---- describe and the class objects ---- */
static json_t *checkipheader_describe(const void *conf)
{
	const struct checkipheader_conf *c = conf;
	return json_pack("{s:I, s:b, s:o, s:o, s:b, s:b}", "OFFSET", (json_int_t)c->offset, "CHECKSUM",
	                 c->checksum, "BADSRC", describe_ip_list(c->badsrc, c->nbadsrc), "GOODDST",
	                 describe_ip_list(c->gooddst, c->ngooddst), "VERBOSE", c->verbose, "DETAILS",
	                 c->details);
}

const struct click_class elem_checkipheader = {
	.name = "CheckIPHeader",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = checkipheader_configure,
	.model = &checkipheader_model,
	.runtime = &checkipheader_runtime,
	.describe = checkipheader_describe,
	.doc_args = "[OFFSET] (unsigned, default 0); keywords CHECKSUM (bool, default true), "
	            "INTERFACES (list of ADDR/LEN: their broadcasts, 0.0.0.0 and 255.255.255.255 "
	            "become BADSRC, their addresses GOODDST), BADSRC, GOODDST (address lists, not "
	            "with INTERFACES), VERBOSE, DETAILS (bool, default false); also the deprecated "
	            "CheckIPHeader(BADSRC, OFFSET)",
	.doc_model = "The IP header annotation goes to data + OFFSET; version 4 with a header "
	             "length of at least 5 words passes, and BADSRC sources fail unless the "
	             "destination is in GOODDST (failures to output 1). Lengths and checksums are "
	             "taken as valid: the devices carry well-formed IPv4.",
};
