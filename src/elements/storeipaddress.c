/* StoreIPAddress(OFFSET) or StoreIPAddress(ADDR, OFFSET), as in Click.
 * OFFSET is a byte offset from the data pointer, or `src`/`dst` (the IP
 * header field, found through the annotation, checksums updated).
 * One-argument form: stores the dst-IP annotation; per Click's
 * documentation nothing happens when that annotation is 0 (Click's code
 * differs for integer offsets: the documented behaviour is the one to
 * model and run). Out-of-range offsets go to output 1. */
#include <errno.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

enum storeip_where { STOREIP_OFFSET, STOREIP_SRC, STOREIP_DST };

struct storeipaddress_conf {
	bool has_addr;   /* two-argument form */
	uint32_t addr;   /* host order; may be 0 */
	uint8_t where;   /* enum storeip_where */
	uint32_t offset; /* STOREIP_OFFSET */
};

static int storeipaddress_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                    void **conf)
{
	struct storeipaddress_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_val a = { 0 }, off = { 0 };
	struct arg_spec spec[] = {
		arg_raw("ADDR", ARG_P, &a),
		arg_raw("OFFSET", ARG_P, &off),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (!spec[1].given) {
		if (!spec[0].given) {
			struct arg_val at = { "", 0, ctx->elem ? ctx->elem->loc : (struct src_loc){ 0 },
			                      "OFFSET" };
			return arg_error(ctx, &at, "required argument missing");
		}
		off = a; /* StoreIPAddress(OFFSET) */
		off.kw = "OFFSET";
	} else if (spec[0].given) {
		c->has_addr = true;
		if (arg_parse_ip(ctx, &a, &c->addr))
			rc = -EINVAL;
	}
	if (arg_is(&off, "src")) {
		c->where = STOREIP_SRC;
	} else if (arg_is(&off, "dst")) {
		c->where = STOREIP_DST;
	} else {
		uint64_t o;
		if (arg_parse_uint(NULL, &off, UINT32_MAX, &o) == 0) {
			c->where = STOREIP_OFFSET;
			c->offset = (uint32_t)o;
		} else {
			char b[40];
			snprintf(b, sizeof b, "%.*s", (int)(off.n > 32 ? 32 : off.n), off.s);
			rc = arg_error(ctx, &off, "expected byte offset, 'src' or 'dst', got '%s'", b);
		}
	}
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* The address written: ADDR, or the dst-IP annotation (one-argument form,
 * where a zero annotation leaves the packet alone). `src`/`dst` write that
 * field of the annotated header (checksums are not modelled). An integer
 * OFFSET writes four data bytes: where they land on the src or dst field
 * the field gets the address's term; bytes over other fields make those
 * fields unknown (approximate), bytes past the headers a new payload.
 * Packets are long enough for the write (output 1, for out-of-range
 * offsets, is not taken by the packets the model carries). */
static bool same_term(struct sym_term a, struct sym_term b)
{
	return a.var == b.var && a.k == b.k;
}

static void storeip_bytes(struct sym_ctx *cx, struct sym_flow *f, uint32_t off, struct sym_term val)
{
	uint32_t v;
	if (!val.var || sym_get_const(f, SYM_F_DSTANNO, &v)) {
		if (!val.var)
			v = val.k;
		uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
		sym_store_bytes(cx, f, off, b, 4);
		return;
	}
	/* A non-constant value: find the fields the write covers by storing
	 * two probe patterns on copies, then give those fields the value. */
	static const uint8_t zero[4] = { 0, 0, 0, 0 }, ones[4] = { 0xff, 0xff, 0xff, 0xff };
	struct sym_flow *p0 = sym_clone(cx, f), *p1 = sym_clone(cx, f);
	if (!p0 || !p1)
		return;
	sym_store_bytes(cx, p0, off, zero, 4);
	sym_store_bytes(cx, p1, off, ones, 4);
	bool approx = false;
	for (int i = 0; i < SYM_NLAYER_FIELDS; i++) {
		enum sym_field fld = (enum sym_field)i;
		struct sym_term t = sym_get(f, fld), t0 = sym_get(p0, fld), t1 = sym_get(p1, fld);
		if (same_term(t, t0) && same_term(t, t1))
			continue;
		uint32_t c0, c1;
		if ((fld == SYM_F_SRC || fld == SYM_F_DST) && sym_get_const(p0, fld, &c0) && c0 == 0 &&
		    sym_get_const(p1, fld, &c1) && c1 == 0xffffffffu) {
			sym_set_term(cx, f, fld, val);
		} else {
			sym_set_fresh(cx, f, fld, sym_field_name(fld));
			approx = true;
		}
	}
	if (!same_term(sym_get(f, SYM_F_PAYLOAD), sym_get(p0, SYM_F_PAYLOAD)))
		sym_set_fresh(cx, f, SYM_F_PAYLOAD, "data");
	if (approx)
		sym_approx(cx, f, "StoreIPAddress wrote an unknown address over part of a header field");
	sym_drop(cx, p0, "probe");
	sym_drop(cx, p1, "probe");
}

static int storeipaddress_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                   struct sym_flow *f)
{
	const struct storeipaddress_conf *c = e->conf;
	if (!c->has_addr) {
		struct sym_flow *zero = NULL, *rest = NULL;
		sym_split_range(cx, f, SYM_F_DSTANNO, 0, 0, &zero, &rest);
		if (zero)
			sym_emit(cx, 0, zero);
		f = rest;
		if (!f)
			return 0;
	}
	struct sym_term val = c->has_addr ? sym_const(c->addr) : sym_get(f, SYM_F_DSTANNO);
	if (c->where == STOREIP_OFFSET)
		storeip_bytes(cx, f, c->offset, val);
	else
		sym_set_term(cx, f, c->where == STOREIP_SRC ? SYM_F_SRC : SYM_F_DST, val);
	sym_emit(cx, 0, f);
	return 0;
}

static const struct elem_model storeipaddress_model = { .push = storeipaddress_sym_push };

/* ---- runtime (packet functions) ---- */
/* The behaviour Click's StoreIPAddress documents: one-argument form with a
 * zero dst-IP annotation leaves the packet alone. src/dst go through the IP
 * header annotation with incremental checksum updates (TCP/UDP on first
 * fragments; a zero UDP checksum stays zero). Out of range: output 1. */
static struct rt_pkt *storeipaddress_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct storeipaddress_conf *c = e->conf;
	uint32_t a = c->has_addr ? c->addr : rt_pkt_dst_anno(p);
	if (!c->has_addr && a == 0)
		return p;
	if (c->where == STOREIP_OFFSET) {
		if ((uint64_t)c->offset + 4 > p->len) {
			rt_push(e, 1, p);
			return NULL;
		}
		rt_wr32(rt_pkt_data(p) + c->offset, a);
		return p;
	}
	if (!rt_pkt_has_ip(p) || rt_pkt_ip_avail(p) < 20) {
		rt_push(e, 1, p);
		return NULL;
	}
	uint8_t *ip = rt_pkt_ip(p);
	uint8_t *f = ip + (c->where == STOREIP_SRC ? 12 : 16);
	uint32_t old = rt_rd32(f);
	rt_wr32(f, a);
	rt_csum_update32(ip + 10, old, a);
	if (rt_ip_first_frag(ip)) {
		uint32_t tl = rt_pkt_transp_avail(p);
		uint8_t *t = rt_pkt_transp(p);
		if (ip[9] == RT_IP_PROTO_TCP && tl >= 18)
			rt_csum_update32(t + 16, old, a);
		else if (ip[9] == RT_IP_PROTO_UDP && tl >= 8 && rt_rd16(t + 6))
			rt_csum_update32(t + 6, old, a);
	}
	return p;
}

static const struct elem_runtime storeipaddress_runtime = { .action = storeipaddress_action };

/* ---- describe and the class objects ---- */
/* ADDR is null in the one-argument form (the dst-IP annotation is stored);
 * OFFSET is a number, or "src"/"dst". */
static json_t *storeipaddress_describe(const void *conf)
{
	const struct storeipaddress_conf *c = conf;
	json_t *off = c->where == STOREIP_SRC ? json_string("src")
	              : c->where == STOREIP_DST ? json_string("dst")
	                                        : json_integer(c->offset);
	return json_pack("{s:o, s:o}", "ADDR", c->has_addr ? describe_ip(c->addr) : json_null(), "OFFSET",
	                 off);
}

const struct click_class elem_storeipaddress = {
	.name = "StoreIPAddress",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = storeipaddress_configure,
	.model = &storeipaddress_model,
	.runtime = &storeipaddress_runtime,
	.describe = storeipaddress_describe,
	.doc_args = "[ADDR] (IP address), OFFSET (byte offset from the data pointer, or src or "
	            "dst: that IP header field); with one argument it is OFFSET and the address "
	            "stored is the dst-IP annotation",
	.doc_model = "src and dst write that header field (checksums are not modelled); an integer "
	             "OFFSET writes four data bytes, exactly over the src or dst field, and makes "
	             "other fields it covers unknown (approximate). In the one-argument form a "
	             "zero dst-IP annotation leaves the packet alone.",
};
