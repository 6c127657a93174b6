/* GetIPAddress(OFFSET [, ANNO] [, keyword IP]) (as Click documents it):
 * copy 4 bytes at data + OFFSET, or with IP src/dst the IP header's source
 * or destination, into a 4-byte annotation (default the dst-IP annotation,
 * offset 0). Exactly one of OFFSET and IP. Where Click reads past the
 * packet (OFFSET + 4 beyond its end, IP without an IP header annotation)
 * innet leaves the annotation unchanged. */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

/* Where the address comes from. */
enum gia_from { GIA_DATA, GIA_SRC, GIA_DST };

struct getipaddress_conf {
	uint8_t from;    /* enum gia_from */
	uint32_t offset; /* GIA_DATA: from the data pointer */
	uint8_t anno;    /* offset of the 4-byte annotation */
};

static int getipaddress_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                  void **conf)
{
	struct getipaddress_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_val anno = { 0 }, ip = { 0 };
	struct arg_spec spec[] = {
		arg_u32("OFFSET", ARG_P, &c->offset),
		arg_raw("ANNO", ARG_P, &anno),
		arg_raw("IP", 0, &ip),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (spec[1].given && arg_parse_anno(ctx, &anno, 4, &c->anno))
		rc = -EINVAL;
	if (rc)
		return rc;
	if (spec[0].given == spec[2].given)
		return arg_error(ctx, spec[2].given ? &ip : NULL, "set one of OFFSET, IP");
	if (spec[2].given) {
		if (!arg_is(&ip, "src") && !arg_is(&ip, "dst"))
			return arg_error(ctx, &ip, "bad IP: expected 'src' or 'dst'");
		c->from = arg_is(&ip, "src") ? GIA_SRC : GIA_DST;
	}
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* The dst-IP annotation (ANNO 0) becomes the IP source or destination
 * (exact), or with OFFSET an unconstrained value (approximate: bytes at a
 * data offset are not tied to a field). An ANNO over paint or the
 * fix-IP-source flag (bytes 16-19) makes paint unconstrained (approximate);
 * other annotation bytes are not modelled. */
static int getipaddress_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                 struct sym_flow *f)
{
	const struct getipaddress_conf *c = e->conf;
	if (c->anno == 0 && c->from != GIA_DATA) {
		sym_copy(cx, f, SYM_F_DSTANNO, c->from == GIA_SRC ? SYM_F_SRC : SYM_F_DST);
	} else if (c->anno == 0) {
		sym_set_fresh(cx, f, SYM_F_DSTANNO, "anno");
		sym_approx(cx, f, "GetIPAddress: bytes at OFFSET are not modelled");
	} else if (c->anno < 4 || (c->anno <= MU_ANNO_FIXSRC && c->anno + 4 > MU_ANNO_PAINT)) {
		if (c->anno < 4)
			sym_set_fresh(cx, f, SYM_F_DSTANNO, "anno");
		else
			sym_set_fresh(cx, f, SYM_F_PAINT, "paint");
		sym_approx(cx, f, "GetIPAddress: a partial write of a modelled annotation");
	}
	sym_emit(cx, 0, f);
	return 0;
}

static const struct elem_model getipaddress_model = { .push = getipaddress_sym_push };

/* ---- runtime (packet functions) ---- */
static struct rt_pkt *getipaddress_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct getipaddress_conf *c = e->conf;
	const uint8_t *from;
	if (c->from == GIA_DATA) {
		if ((uint64_t)c->offset + 4 > p->len)
			return p;
		from = rt_pkt_data(p) + c->offset;
	} else {
		if (!rt_pkt_has_ip(p) || rt_pkt_ip_avail(p) < 20)
			return p;
		from = rt_pkt_ip(p) + (c->from == GIA_SRC ? 12 : 16);
	}
	if ((uint32_t)c->anno + 4 <= RT_ANNO_SIZE)
		memcpy(p->anno + c->anno, from, 4);
	return p;
}

static const struct elem_runtime getipaddress_runtime = { .action = getipaddress_action };

/* ---- describe and the class objects ---- */
static json_t *getipaddress_describe(const void *conf)
{
	const struct getipaddress_conf *c = conf;
	static const char *const ip[] = { [GIA_SRC] = "src", [GIA_DST] = "dst" };
	json_t *off = c->from == GIA_DATA ? json_integer(c->offset) : json_null();
	json_t *word = c->from == GIA_DATA ? json_null() : json_string(ip[c->from]);
	return json_pack("{s:o, s:i, s:o}", "OFFSET", off, "ANNO", c->anno, "IP", word);
}

const struct click_class elem_getipaddress = {
	.name = "GetIPAddress",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = getipaddress_configure,
	.model = &getipaddress_model,
	.runtime = &getipaddress_runtime,
	.describe = getipaddress_describe,
	.doc_args = "[OFFSET] (unsigned), [ANNO] (4-byte annotation, offset or name, default 0: "
	            "the dst-IP annotation); keyword IP (src or dst); exactly one of OFFSET and IP",
	.doc_model = "With IP src or dst the dst-IP annotation becomes that header field; with "
	             "OFFSET an unconstrained value (approximate). Packet data is unchanged.",
};
