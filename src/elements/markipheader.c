/* MarkIPHeader([OFFSET]) (Click's): set the IP header annotation at
 * data + OFFSET (default 0); no checks. */
#include <errno.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct markipheader_conf {
	uint32_t offset;
};

static int markipheader_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                  void **conf)
{
	struct markipheader_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = { arg_u32("OFFSET", ARG_P, &c->offset) };
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* The IP header annotation moves to data + OFFSET (an inner header after a
 * Strip becomes the current layer, with fresh fields when no modelled
 * layer starts there); no check, no trim, no dst-IP annotation. */
static int markipheader_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                 struct sym_flow *f)
{
	const struct markipheader_conf *c = e->conf;
	sym_mark_ip(cx, f, c ? c->offset : 0);
	sym_emit(cx, 0, f);
	return 0;
}

static const struct elem_model markipheader_model = { .push = markipheader_sym_push };

/* ---- runtime (packet functions) ---- */
/* No validation, no trimming, no dst annotation, as Click documents. */
static struct rt_pkt *markipheader_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct markipheader_conf *c = e->conf;
	uint32_t off = c ? c->offset : 0;
	uint32_t hlen = off < p->len ? (uint32_t)(rt_pkt_data(p)[off] & 15) << 2 : 0;
	rt_pkt_set_ip_header(p, off, hlen);
	return p;
}

static const struct elem_runtime markipheader_runtime = { .action = markipheader_action };

/* ---- describe and the class objects ---- */
static json_t *markipheader_describe(const void *conf)
{
	const struct markipheader_conf *c = conf;
	return json_pack("{s:I}", "OFFSET", (json_int_t)c->offset);
}

const struct click_class elem_markipheader = {
	.name = "MarkIPHeader",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = markipheader_configure,
	.model = &markipheader_model,
	.runtime = &markipheader_runtime,
	.describe = markipheader_describe,
	.doc_args = "[OFFSET] (unsigned, default 0)",
	.doc_model = "The IP header annotation moves to data + OFFSET (an inner header after a "
	             "Strip becomes the current layer); no check, no trim, no dst-IP annotation.",
};
