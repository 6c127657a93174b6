/* Paint(COLOR [, ANNO]), PaintSwitch([ANNO]), CheckPaint(COLOR [, ANNO])
 * and PaintTee(COLOR [, ANNO]) as in Click. ANNO is a one-byte annotation,
 * default PAINT (16). PaintTee sends every packet to output 0 and a copy
 * of those with that paint to output 1. */
#include <errno.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

#define PAINT_ANNO 16

struct paint_conf {
	uint8_t color; /* Paint, CheckPaint */
	uint8_t anno;  /* byte offset in the annotation area */
};

static int paint_common(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf,
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

static int paint_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	return paint_common(ctx, args, conf, true);
}

static int paintswitch_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                 void **conf)
{
	return paint_common(ctx, args, conf, false);
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Paint writes its byte; paint (16) and the dst-IP annotation (0-3) are
 * modelled, other annotation bytes are read by nothing the model tracks. */
static int paint_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                          struct sym_flow *f)
{
	const struct paint_conf *c = e->conf;
	mu_write_anno(cx, f, c->anno, &c->color, 1);
	sym_emit(cx, 0, f);
	return 0;
}

/* CheckPaint: equal to COLOR -> 0, else 1 (dropped when absent). An
 * annotation byte the model does not track may hold anything: both ways,
 * approximate. */
static int checkpaint_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                               struct sym_flow *f)
{
	const struct paint_conf *c = e->conf;
	struct sym_flow *yes = NULL, *no = NULL;
	if (!mu_split_anno_byte(cx, f, c->anno, c->color, &yes, &no)) {
		sym_approx(cx, f, "CheckPaint reads an annotation byte the model does not track");
		no = sym_clone(cx, f);
		yes = f;
	}
	if (yes)
		sym_emit(cx, 0, yes);
	if (no)
		sym_emit(cx, 1, no);
	return 0;
}

/* PaintSwitch: the annotation value K picks output K (dropped when there
 * is none); 255 sends a copy to every output. An untracked annotation byte
 * may pick any output: every output, approximate. */
static int paintswitch_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                struct sym_flow *f)
{
	const struct paint_conf *c = e->conf;
	uint32_t n = e->noutputs;
	struct sym_flow *rest = f;
	for (uint32_t k = 0; k < n && k < 255 && rest; k++) {
		struct sym_flow *yes = NULL, *no = NULL;
		if (!mu_split_anno_byte(cx, rest, c->anno, (uint8_t)k, &yes, &no)) {
			mu_emit_all(cx, n, rest, "PaintSwitch reads an annotation byte the model does not track");
			return 0;
		}
		if (yes)
			sym_emit(cx, k, yes);
		rest = no;
	}
	if (!rest)
		return 0;
	struct sym_flow *all = NULL, *none = NULL;
	if (!mu_split_anno_byte(cx, rest, c->anno, 255, &all, &none)) {
		mu_emit_all(cx, n, rest, "PaintSwitch reads an annotation byte the model does not track");
		return 0;
	}
	if (all)
		mu_emit_all(cx, n, all, NULL);
	if (none)
		sym_drop(cx, none, "PaintSwitch: no output for this paint value");
	return 0;
}

/* PaintTee: every packet to 0, a copy of the COLOR ones to 1; an
 * untracked annotation byte may hold COLOR: a copy to 1, approximate. */
static int painttee_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                             struct sym_flow *f)
{
	const struct paint_conf *c = e->conf;
	struct sym_flow *copy = sym_clone(cx, f), *yes = NULL, *no = NULL;
	sym_emit(cx, 0, f);
	if (!mu_split_anno_byte(cx, copy, c->anno, c->color, &yes, &no)) {
		sym_approx(cx, copy, "PaintTee reads an annotation byte the model does not track");
		yes = copy;
		no = NULL;
	}
	if (yes)
		sym_emit(cx, 1, yes);
	(void)no; /* no copy made: nothing to follow */
	return 0;
}

static const struct elem_model paint_model = { .push = paint_sym_push };
static const struct elem_model painttee_model = { .push = painttee_sym_push };
static const struct elem_model checkpaint_model = { .push = checkpaint_sym_push };
static const struct elem_model paintswitch_model = { .push = paintswitch_sym_push };

/* ---- runtime (packet functions) ---- */
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

static struct rt_pkt *painttee_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct paint_conf *c = e->conf;
	if (p->anno[c->anno % RT_ANNO_SIZE] == c->color) {
		struct rt_pkt *q = rt_pkt_copy(e, p);
		if (q)
			rt_push(e, 1, q);
	}
	return p;
}

static const struct elem_runtime paint_runtime = { .action = paint_action };
static const struct elem_runtime painttee_runtime = { .action = painttee_action };
static const struct elem_runtime checkpaint_runtime = { .action = checkpaint_action };
static const struct elem_runtime paintswitch_runtime = { .push = paintswitch_push };

/* ---- describe and the class objects ---- */
static json_t *paint_describe(const void *conf)
{
	const struct paint_conf *c = conf;
	return json_pack("{s:i, s:i}", "COLOR", c->color, "ANNO", c->anno);
}

static json_t *paintswitch_describe(const void *conf)
{
	const struct paint_conf *c = conf;
	return json_pack("{s:i}", "ANNO", c->anno);
}

static const char paint_doc_args[] =
	"COLOR (0-255; mandatory), [ANNO] (one-byte annotation, offset or name, default PAINT = "
	"16)";

const struct click_class elem_paint = {
	.name = "Paint",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = paint_configure,
	.model = &paint_model,
	.runtime = &paint_runtime,
	.describe = paint_describe,
	.doc_args = paint_doc_args,
	.doc_model = "Writes COLOR into the annotation byte; the model tracks the paint byte (16) "
	             "and the dst-IP annotation, and nothing it follows reads the other bytes.",
};

/* Output = the annotation value; 255 copies to every output. */
const struct click_class elem_paintswitch = {
	.name = "PaintSwitch",
	.port_count = "1/-",
	.processing = "h/h",
	.configure = paintswitch_configure,
	.model = &paintswitch_model,
	.runtime = &paintswitch_runtime,
	.describe = paintswitch_describe,
	.doc_args = "[ANNO] (one-byte annotation, offset or name, default PAINT = 16)",
	.doc_model = "The annotation value K picks output K (dropped when there is none) and 255 "
	             "copies to every output; an annotation byte the model does not track may pick "
	             "any output, approximate.",
};

const struct click_class elem_checkpaint = {
	.name = "CheckPaint",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = paint_configure,
	.model = &checkpaint_model,
	.runtime = &checkpaint_runtime,
	.describe = paint_describe,
	.doc_args = paint_doc_args,
	.doc_model = "COLOR equal to the annotation byte goes to output 0, the rest to output 1 "
	             "(dropped when absent); an annotation byte the model does not track goes both "
	             "ways, approximate.",
};

const struct click_class elem_painttee = {
	.name = "PaintTee",
	.port_count = "1/2",
	.processing = "a/ah",
	.configure = paint_configure,
	.model = &painttee_model,
	.runtime = &painttee_runtime,
	.describe = paint_describe,
	.doc_args = paint_doc_args,
	.doc_model = "Every flow goes to output 0; a copy of the packets whose annotation byte is "
	             "COLOR goes to output 1 (an annotation byte the model does not track: a copy "
	             "of the whole flow, approximate).",
};
