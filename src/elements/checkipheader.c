/* CheckIPHeader([OFFSET] [, keywords]) (as Click documents it): validate IPv4, set
 * the IP header and dst-IP annotations, trim trailing bytes; failures go
 * to output 1. Keywords: OFFSET 0, CHECKSUM true, INTERFACES (addr/len
 * list: BADSRC gets their broadcasts plus 0.0.0.0 and 255.255.255.255,
 * GOODDST their addresses), BADSRC, GOODDST (address lists), VERBOSE,
 * DETAILS. Also the deprecated CheckIPHeader(BADSRC, OFFSET).
 * CheckIPHeader2: the same with CHECKSUM false by default (Click's
 * subclass).
 * IPInputCombo(COLOR [, BADSRC, INTERFACES, GOODDST]) (Click's): Paint(COLOR),
 * Strip(14), CheckIPHeader with the checksum, GetIPAnnotation in one
 * element, as Click combines them: the input is an Ethernet frame (in an
 * innet module, where devices carry IPv4 without a link header, after an
 * EtherEncap, as for Strip), failures are dropped (one output). A
 * positional BADSRC gets 0.0.0.0 and 255.255.255.255 added (Click's
 * deprecated form); the last of BADSRC, INTERFACES and keyword BADSRC
 * given sets the bad sources, as Click's argument reading does. */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
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

/* INTERFACES' bad sources (broadcasts, 0.0.0.0, 255.255.255.255) and good
 * destinations (the addresses). */
static int interfaces_list(const struct click_conf_ctx *ctx, const struct arg_val *ifs,
                           struct checkipheader_conf *c)
{
	struct arg_list w;
	if (arg_words(ctx, ifs, &w))
		return -ENOMEM;
	c->badsrc = arena_calloc(ctx->arena, w.n + 2, sizeof *c->badsrc);
	c->gooddst = arena_calloc(ctx->arena, w.n + 1, sizeof *c->gooddst);
	if (!c->badsrc || !c->gooddst)
		return -ENOMEM;
	c->nbadsrc = c->ngooddst = 0;
	int rc = 0;
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
	return rc;
}

static int check_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                           bool checksum, void **conf)
{
	struct checkipheader_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->checksum = checksum;
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
	if (spec[3].given)
		rc = interfaces_list(ctx, &ifs, c);
	if (spec[4].given && addr_list(ctx, &bad, &c->badsrc, &c->nbadsrc, 0))
		rc = -EINVAL;
	if (spec[5].given && addr_list(ctx, &good, &c->gooddst, &c->ngooddst, 0))
		rc = -EINVAL;
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

static int checkipheader_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                   void **conf)
{
	return check_configure(ctx, args, true, conf);
}

static int checkipheader2_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                    void **conf)
{
	return check_configure(ctx, args, false, conf);
}

struct ipinputcombo_conf {
	uint8_t color;
	struct checkipheader_conf check; /* offset 0, checksum on */
};

static int ipinputcombo_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                  void **conf)
{
	struct ipinputcombo_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->check.checksum = true;
	struct arg_val old = { 0 }, ifs = { 0 }, bad = { 0 }, good = { 0 };
	struct arg_spec spec[] = {
		arg_u8("COLOR", ARG_MP, &c->color),
		arg_raw("BADSRC*", ARG_P, &old), /* positional only, as in Click */
		arg_raw("INTERFACES", 0, &ifs),
		arg_raw("BADSRC", 0, &bad),
		arg_raw("GOODDST", 0, &good),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	struct checkipheader_conf *k = &c->check;
	if (spec[1].given) {
		old.kw = "BADSRC";
		if (addr_list(ctx, &old, &k->badsrc, &k->nbadsrc, 2))
			rc = -EINVAL;
		else {
			k->badsrc[k->nbadsrc++] = 0;
			k->badsrc[k->nbadsrc++] = 0xffffffffu;
		}
	}
	if (spec[2].given) {
		int r = interfaces_list(ctx, &ifs, k);
		if (r)
			rc = r;
	}
	if (spec[3].given && addr_list(ctx, &bad, &k->badsrc, &k->nbadsrc, 0))
		rc = -EINVAL;
	if (spec[4].given && addr_list(ctx, &good, &k->gooddst, &k->ngooddst, 0))
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
/* Failures leave on output 1 (CheckIPHeader) or are dropped (IPInputCombo). */
static void check_failed(struct sym_ctx *cx, bool drop, struct sym_flow *f)
{
	if (drop)
		sym_drop(cx, f, "bad IP header");
	else
		sym_emit(cx, 1, f);
}

static void check_sym(struct sym_ctx *cx, const struct checkipheader_conf *c, bool drop,
                      struct sym_flow *f)
{
	struct sym_flow *ok, *bad;
	sym_mark_ip(cx, f, c->offset);
	sym_split_range(cx, f, SYM_F_VHL, 0x45, 0x4f, &ok, &bad);
	if (bad)
		check_failed(cx, drop, bad);
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
			check_failed(cx, drop, hit);
	}
	if (ok) {
		sym_copy(cx, ok, SYM_F_DSTANNO, SYM_F_DST);
		sym_emit(cx, 0, ok);
	}
}

static int checkipheader_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                              struct sym_flow *f)
{
	check_sym(cx, e->conf, false, f);
	return 0;
}

static const struct elem_model checkipheader_model = { .push = checkipheader_sym_push };

/* IPInputCombo: paint, the data pointer 14 bytes on (the link header an
 * EtherEncap put there, which the model does not track), then
 * CheckIPHeader's model with failures dropped. When that does not land
 * on the IP header the model tracks (no link header in front: the IP
 * header is read from the bytes 14 on), lengths and checksum of what is
 * read there may fail: approximate. */
static int ipinputcombo_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                 struct sym_flow *f)
{
	const struct ipinputcombo_conf *c = e->conf;
	sym_set_const(cx, f, SYM_F_PAINT, c->color);
	sym_move_data(cx, f, 14);
	if (sym_data_offset(f) != 0)
		sym_approx(cx, f, "IPInputCombo: an IP header read where the model tracks none");
	check_sym(cx, &c->check, true, f);
	return 0;
}

static const struct elem_model ipinputcombo_model = { .push = ipinputcombo_sym_push };

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

/* IPInputCombo: paint, strip 14 (clamped), check at the data pointer with
 * the checksum; failures are dropped and counted. */
static struct rt_pkt *ipinputcombo_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct ipinputcombo_conf *c = e->conf;
	p->anno[RT_ANNO_PAINT] = c->color;
	rt_pkt_pull_front(p, 14);
	if (check_ip(p, &c->check) == 0)
		return p;
	struct checkipheader_state *s = e->state;
	s->drops++;
	rt_drop(e, p);
	return NULL;
}

static const struct elem_runtime ipinputcombo_runtime = {
	.state_size = checkipheader_state_size,
	.action = ipinputcombo_action,
	.read = checkipheader_read,
};

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

static json_t *ipinputcombo_describe(const void *conf)
{
	const struct ipinputcombo_conf *c = conf;
	return json_pack("{s:i, s:o, s:o}", "COLOR", c->color, "BADSRC",
	                 describe_ip_list(c->check.badsrc, c->check.nbadsrc), "GOODDST",
	                 describe_ip_list(c->check.gooddst, c->check.ngooddst));
}

#define CHECKIPHEADER_DOC_ARGS(CHECKSUM_DEFAULT)                                              \
	"[OFFSET] (unsigned, default 0); keywords CHECKSUM (bool, default " CHECKSUM_DEFAULT   \
	"), INTERFACES (list of ADDR/LEN: their broadcasts, 0.0.0.0 and 255.255.255.255 "      \
	"become BADSRC, their addresses GOODDST), BADSRC, GOODDST (address lists, not "        \
	"with INTERFACES), VERBOSE, DETAILS (bool, default false); also the deprecated "       \
	"CheckIPHeader(BADSRC, OFFSET)"

const struct click_class elem_checkipheader = {
	.name = "CheckIPHeader",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = checkipheader_configure,
	.model = &checkipheader_model,
	.runtime = &checkipheader_runtime,
	.describe = checkipheader_describe,
	.doc_args = CHECKIPHEADER_DOC_ARGS("true"),
	.doc_model = "The IP header annotation goes to data + OFFSET; version 4 with a header "
	             "length of at least 5 words passes, and BADSRC sources fail unless the "
	             "destination is in GOODDST (failures to output 1). Lengths and checksums are "
	             "taken as valid: the devices carry well-formed IPv4.",
};

const struct click_class elem_checkipheader2 = {
	.name = "CheckIPHeader2",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = checkipheader2_configure,
	.model = &checkipheader_model,
	.runtime = &checkipheader_runtime,
	.describe = checkipheader_describe,
	.doc_args = CHECKIPHEADER_DOC_ARGS("false"),
	.doc_model = "As CheckIPHeader's (the model takes checksums as valid either way).",
};

const struct click_class elem_ipinputcombo = {
	.name = "IPInputCombo",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = ipinputcombo_configure,
	.model = &ipinputcombo_model,
	.runtime = &ipinputcombo_runtime,
	.describe = ipinputcombo_describe,
	.doc_args = "COLOR (0-255; mandatory), [BADSRC] (address list; 0.0.0.0 and "
	            "255.255.255.255 are added); keywords INTERFACES (as CheckIPHeader's), "
	            "BADSRC, GOODDST (address lists; the last of BADSRC and INTERFACES given wins)",
	.doc_model = "Paint := COLOR, the data pointer moves 14 bytes on (a link header, as "
	             "Strip(14)), then CheckIPHeader's model with the failures dropped; an IP "
	             "header read where the model tracks none (no link header in front) is "
	             "approximate.",
};
