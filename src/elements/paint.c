/* Paint(COLOR [, ANNO]), PaintSwitch([ANNO]) and CheckPaint(COLOR [, ANNO])
 * (click.md 3.2, 3.7). ANNO is a one-byte annotation, default PAINT (16). */
#include <errno.h>

#include "elements/args.h"
#include "elements/element.h"

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

const struct elem_class elem_paint = {
	.name = "Paint",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = paint_configure,
};

/* Output = the annotation value; 255 copies to every output. */
const struct elem_class elem_paintswitch = {
	.name = "PaintSwitch",
	.port_count = "1/-",
	.processing = "h/h",
	.configure = paintswitch_configure,
};

const struct elem_class elem_checkpaint = {
	.name = "CheckPaint",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = paint_configure,
};
