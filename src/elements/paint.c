/* Paint, PaintSwitch and CheckPaint (click.md 3.2, 3.7). */
#include "elements/element.h"

const struct elem_class elem_paint = {
	.name = "Paint",
	.port_count = "1/1",
	.processing = "a/a",
};

const struct elem_class elem_paintswitch = {
	.name = "PaintSwitch",
	.port_count = "1/-",
	.processing = "h/h",
};

const struct elem_class elem_checkpaint = {
	.name = "CheckPaint",
	.port_count = "1/1-2",
	.processing = "a/ah",
};
