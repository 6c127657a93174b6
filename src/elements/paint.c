/* Paint(COLOR [, ANNO]), PaintSwitch([ANNO]) and CheckPaint(COLOR [, ANNO])
 * (click.md 3.2, 3.7). ANNO is a one-byte annotation, default PAINT (16). */
#include <errno.h>

#include "elements/args.h"
#include "elements/element.h"
#include "runtime/runtime.h" /* complete type for the runtime forward declaration (clang) */

#define PAINT_ANNO 16

struct paint_conf {
	uint8_t color; /* Paint, CheckPaint */
	uint8_t anno;  /* byte offset in the annotation area */
};

static int paint_common(const struct elem_ctx *ctx, const struct click_args *args, void **conf,
                        bool color)
{
	struct paint_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->anno = PAINT_ANNO;
	struct arg_spec with_color[] = {
		arg_u8("COLOR", ARG_MP, &c->color),
		arg_anno1("ANNO", ARG_P, &c->anno),
	};
	int rc = color ? args_parse(ctx, args, with_color, 2) : args_parse(ctx, args, with_color + 1, 1);
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

static int paint_configure(const struct elem_ctx *ctx, const struct click_args *args, void **conf)
{
	return paint_common(ctx, args, conf, true);
}

static int paintswitch_configure(const struct elem_ctx *ctx, const struct click_args *args,
                                 void **conf)
{
	return paint_common(ctx, args, conf, false);
}

static const struct elem_runtime paint_runtime;
const struct elem_class elem_paint = {
	.name = "Paint",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = paint_configure,
	.runtime = &paint_runtime,
};

/* Output = the annotation value; 255 copies to every output. */
static const struct elem_runtime paintswitch_runtime;
const struct elem_class elem_paintswitch = {
	.name = "PaintSwitch",
	.port_count = "1/-",
	.processing = "h/h",
	.configure = paintswitch_configure,
	.runtime = &paintswitch_runtime,
};

static const struct elem_runtime checkpaint_runtime;
const struct elem_class elem_checkpaint = {
	.name = "CheckPaint",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = paint_configure,
	.runtime = &checkpaint_runtime,
};

/* ---- runtime (packet functions) ---- */
#include "runtime/runtime.h"

static struct rt_pkt *paint_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct paint_conf *c = e->conf;
	p->anno[c->anno % RT_ANNO_SIZE] = c->color;
	return p;
}

static struct rt_pkt *checkpaint_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct paint_conf *c = e->conf;
	if (p->anno[c->anno % RT_ANNO_SIZE] == c->color)
		return p;
	rt_push(e, 1, p);
	return NULL;
}

/* Output = annotation value; 255: copies to 0..n-2, the original to n-1. */
static void paintswitch_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	const struct paint_conf *c = e->conf;
	uint8_t k = p->anno[c->anno % RT_ANNO_SIZE];
	if (k != 255) {
		rt_push(e, k, p);
		return;
	}
	for (uint32_t i = 0; i + 1 < e->noutputs; i++) {
		struct rt_pkt *q = rt_pkt_copy(e, p);
		if (q)
			rt_push(e, i, q);
	}
	rt_push(e, e->noutputs ? e->noutputs - 1 : 0, p);
}

static const struct elem_runtime paint_runtime = { .action = paint_action };
static const struct elem_runtime checkpaint_runtime = { .action = checkpaint_action };
static const struct elem_runtime paintswitch_runtime = { .push = paintswitch_push };
