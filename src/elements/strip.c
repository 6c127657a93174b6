/* Strip(LENGTH) and Unstrip(LENGTH) (Click's): move the data pointer.
 * StripIPHeader, UnstripIPHeader, StripToNetworkHeader (Click's): move it
 * to the transport header, back to the IP header if it is past it, to the
 * IP header. As in Click, StripIPHeader with the transport header before
 * the data pointer (a second StripIPHeader after an Unstrip of part of
 * it) pulls the whole packet (Click's pull of a negative length clamps to
 * the length). A packet without an IP header annotation passes unchanged
 * (Click reads an unset annotation). */
#include <errno.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct strip_conf {
	uint32_t length; /* bytes */
};

static int strip_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct strip_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = { arg_u32("LENGTH", ARG_MP, &c->length) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Only the data pointer moves; annotations stay (a later CheckIPHeader
 * then reads the header at the new position). */
static int strip_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                      struct sym_flow *f)
{
	const struct strip_conf *c = e->conf;
	sym_move_data(cx, f, (int32_t)c->length);
	sym_emit(cx, 0, f);
	return 0;
}

static int unstrip_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                        struct sym_flow *f)
{
	const struct strip_conf *c = e->conf;
	sym_move_data(cx, f, -(int32_t)c->length);
	sym_emit(cx, 0, f);
	return 0;
}

/* StripIPHeader: the transport header is IHL*4 bytes from the IP header;
 * a flow whose header length is not one value is split per length first,
 * so each piece moves exactly. */
static void stripip_move(struct sym_ctx *cx, struct sym_flow *f, uint32_t ihl)
{
	int32_t delta = (int32_t)ihl * 4 - sym_data_offset(f);
	if (delta < 0) {
		sym_move_data(cx, f, 1 << 20);
		sym_approx(cx, f, "StripIPHeader: the transport header lies before the data: "
		                  "the packet is emptied");
	} else {
		sym_move_data(cx, f, delta);
	}
	sym_emit(cx, 0, f);
}

static int stripipheader_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                  struct sym_flow *f)
{
	uint32_t vhl;
	if (sym_get_const(f, SYM_F_VHL, &vhl)) {
		stripip_move(cx, f, vhl & 15);
		return 0;
	}
	for (uint32_t hl = 0; hl < 16 && f; hl++) {
		struct sym_flow *this = NULL, *other = NULL;
		if (!mu_split_masked(cx, f, SYM_F_VHL, 0x0f, hl, &this, &other))
			break;
		if (this)
			stripip_move(cx, this, hl);
		f = other;
	}
	if (f)
		sym_emit(cx, 0, f); /* (only on allocation failure) */
	return 0;
}

static int unstripipheader_sym_push(struct sym_ctx *cx, const struct click_element *e,
                                    uint32_t port, struct sym_flow *f)
{
	int32_t d = sym_data_offset(f);
	if (d > 0)
		sym_move_data(cx, f, -d);
	sym_emit(cx, 0, f);
	return 0;
}

static int striptonet_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                               struct sym_flow *f)
{
	sym_move_data(cx, f, -sym_data_offset(f));
	sym_emit(cx, 0, f);
	return 0;
}

static const struct elem_model strip_model = { .push = strip_sym_push };
static const struct elem_model stripipheader_model = { .push = stripipheader_sym_push };
static const struct elem_model unstripipheader_model = { .push = unstripipheader_sym_push };
static const struct elem_model striptonet_model = { .push = striptonet_sym_push };
static const struct elem_model unstrip_model = { .push = unstrip_sym_push };

/* ---- runtime (packet functions) ---- */
/* Strip clamps to the packet length; annotations stay. */
static struct rt_pkt *strip_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct strip_conf *c = e->conf;
	rt_pkt_pull_front(p, c->length);
	return p;
}

/* Unstrip: bytes removed earlier reappear; with too little headroom the
 * packet moves to a new buffer (bytes that never existed are zero). */
static struct rt_pkt *unstrip_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct strip_conf *c = e->conf;
	return rt_pkt_push_front(e, p, c->length);
}

/* The IP header (or transport header) annotation's offset from the data
 * pointer; false without an IP header annotation. */
static bool ip_offset(const struct rt_pkt *p, uint32_t extra, int64_t *off)
{
	if (!rt_pkt_has_ip(p))
		return false;
	*off = (int64_t)p->ip_off + extra - p->off;
	return true;
}

static struct rt_pkt *stripipheader_action(struct rt_elem *e, struct rt_pkt *p)
{
	int64_t off;
	if (ip_offset(p, p->ip_hlen, &off))
		rt_pkt_pull_front(p, off < 0 ? p->len : (uint32_t)off);
	return p;
}

static struct rt_pkt *unstripipheader_action(struct rt_elem *e, struct rt_pkt *p)
{
	int64_t off;
	if (ip_offset(p, 0, &off) && off < 0)
		return rt_pkt_push_front(e, p, (uint32_t)-off);
	return p;
}

static struct rt_pkt *striptonet_action(struct rt_elem *e, struct rt_pkt *p)
{
	int64_t off;
	if (!ip_offset(p, 0, &off))
		return p;
	if (off < 0)
		return rt_pkt_push_front(e, p, (uint32_t)-off);
	rt_pkt_pull_front(p, (uint32_t)off);
	return p;
}

static const struct elem_runtime strip_runtime = { .action = strip_action };
static const struct elem_runtime stripipheader_runtime = { .action = stripipheader_action };
static const struct elem_runtime unstripipheader_runtime = { .action = unstripipheader_action };
static const struct elem_runtime striptonet_runtime = { .action = striptonet_action };
static const struct elem_runtime unstrip_runtime = { .action = unstrip_action };

/* ---- describe and the class objects ---- */
static json_t *strip_describe(const void *conf)
{
	const struct strip_conf *c = conf;
	return json_pack("{s:I}", "LENGTH", (json_int_t)c->length);
}

static const char strip_doc_args[] = "LENGTH (unsigned, bytes; mandatory)";

const struct click_class elem_strip = {
	.name = "Strip",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = strip_configure,
	.model = &strip_model,
	.runtime = &strip_runtime,
	.describe = strip_describe,
	.doc_args = strip_doc_args,
	.doc_model = "Only the data pointer moves forward; annotations stay.",
};

const struct click_class elem_unstrip = {
	.name = "Unstrip",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = strip_configure,
	.model = &unstrip_model,
	.runtime = &unstrip_runtime,
	.describe = strip_describe,
	.doc_args = strip_doc_args,
	.doc_model = "Only the data pointer moves back; annotations stay.",
};

const struct click_class elem_stripipheader = {
	.name = "StripIPHeader",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = elem__configure_none,
	.model = &stripipheader_model,
	.runtime = &stripipheader_runtime,
	.doc_model = "The data pointer moves to the transport header (IHL*4 bytes from the IP "
	             "header, per header length); annotations stay.",
};

const struct click_class elem_unstripipheader = {
	.name = "UnstripIPHeader",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = elem__configure_none,
	.model = &unstripipheader_model,
	.runtime = &unstripipheader_runtime,
	.doc_model = "A data pointer past the IP header moves back to it; annotations stay.",
};

const struct click_class elem_striptonetworkheader = {
	.name = "StripToNetworkHeader",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = elem__configure_none,
	.model = &striptonet_model,
	.runtime = &striptonet_runtime,
	.doc_model = "The data pointer moves to the IP header (forward or back); annotations "
	             "stay.",
};
