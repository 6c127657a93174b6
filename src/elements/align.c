/* Align(MODULUS, OFFSET) and AlignmentInfo(ELEMENT CHUNK OFFSET ..., ...)
 * (as Click documents them). Align moves packet data in memory to an
 * alignment, and AlignmentInfo tells elements what alignment to expect:
 * innet's packet functions read headers byte by byte, so both are accepted
 * for configurations written for Click and change nothing.
 * The other information elements, accepted with no ports and no effect:
 * ClickyInfo(...) (style sheets for the Clicky GUI; any arguments, as
 * Click) and ScheduleInfo(ELEMENT PARAM, ...) (task tickets; innet
 * schedules its own tasks). */
#include <errno.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct align_conf {
	uint32_t modulus, offset;
};

static int align_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct align_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = {
		arg_u32("MODULUS", ARG_MP, &c->modulus),
		arg_u32("OFFSET", ARG_MP, &c->offset),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (c->modulus != 2 && c->modulus != 4 && c->modulus != 8)
		return arg_error(ctx, &spec[0].val, "MODULUS must be 2, 4, or 8");
	if (c->offset >= c->modulus)
		return arg_error(ctx, &spec[1].val, "OFFSET must be smaller than MODULUS");
	*conf = c;
	return 0;
}

/* Each argument: an element name, then CHUNK OFFSET pairs (integers). Like
 * Click, an unknown element name is not an error; an empty argument is a
 * warning. */
struct alignmentinfo_conf {
	struct arg_list info; /* the arguments, for describe */
};

static int alignmentinfo_arg(const struct click_conf_ctx *ctx, struct arg_val *v)
{
	struct arg_list w;
	if (arg_words(ctx, v, &w))
		return -ENOMEM;
	if (w.n == 0) {
		arg_warning(ctx, v, "empty configuration argument");
		return 0;
	}
	int rc = 0;
	if (w.n % 2 != 1)
		rc = arg_error(ctx, v, "expected 'ELEMENTNAME CHUNK OFFSET [CHUNK OFFSET...]'");
	for (size_t j = 1; j < w.n; j++) {
		int64_t n;
		w.v[j].kw = j % 2 ? "CHUNK" : "OFFSET";
		if (arg_parse_int(ctx, &w.v[j], INT32_MIN, INT32_MAX, &n))
			rc = -EINVAL;
	}
	return rc;
}

static int alignmentinfo_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                   void **conf)
{
	struct alignmentinfo_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->info.n = args->n;
	c->info.v = arena_calloc(ctx->arena, args->n + 1, sizeof *c->info.v);
	if (!c->info.v)
		return -ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < args->n; i++) {
		c->info.v[i] = arg_val_of(&args->v[i], NULL);
		int r = alignmentinfo_arg(ctx, &c->info.v[i]);
		if (r)
			rc = r;
	}
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ClickyInfo: Click ignores its arguments; kept for describe. */
struct info_conf {
	struct arg_list args;
};

static int info_keep(const struct click_conf_ctx *ctx, const struct click_args *args,
                     struct info_conf **out)
{
	struct info_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->args.n = args->n;
	c->args.v = arena_calloc(ctx->arena, args->n + 1, sizeof *c->args.v);
	if (!c->args.v)
		return -ENOMEM;
	for (size_t i = 0; i < args->n; i++)
		c->args.v[i] = arg_val_of(&args->v[i], NULL);
	*out = c;
	return 0;
}

static int clickyinfo_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                void **conf)
{
	struct info_conf *c;
	int rc = info_keep(ctx, args, &c);
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ScheduleInfo: each argument empty or 'ELEMENTNAME PARAM', PARAM a
 * non-negative real (Click's FixedPointArg). */
static int scheduleinfo_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                  void **conf)
{
	struct info_conf *c;
	int rc = info_keep(ctx, args, &c);
	if (rc)
		return rc;
	for (size_t i = 0; i < c->args.n; i++) {
		struct arg_list w;
		if (arg_words(ctx, &c->args.v[i], &w))
			return -ENOMEM;
		if (w.n == 0)
			continue;
		double t;
		if (w.n != 2 || arg_parse_real(NULL, &w.v[1], &t) || t < 0)
			rc = arg_error(ctx, &c->args.v[i], "expected 'ELEMENTNAME PARAM'");
	}
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Align passes every flow unchanged (moving data in memory changes no
 * byte); AlignmentInfo has no ports. */
static const struct elem_model align_model = { .push = mu_sym_pass };

/* ---- runtime (packet functions) ---- */
static struct rt_pkt *align_action(struct rt_elem *e, struct rt_pkt *p)
{
	return p;
}

static const struct elem_runtime align_runtime = { .action = align_action };

/* ---- describe and the class objects ---- */
static json_t *align_describe(const void *conf)
{
	const struct align_conf *c = conf;
	return json_pack("{s:I, s:I}", "MODULUS", (json_int_t)c->modulus, "OFFSET", (json_int_t)c->offset);
}

static json_t *alignmentinfo_describe(const void *conf)
{
	const struct alignmentinfo_conf *c = conf;
	json_t *a = json_array();
	for (size_t i = 0; a && i < c->info.n; i++)
		json_array_append_new(a, json_stringn(c->info.v[i].s, c->info.v[i].n));
	return a ? json_pack("{s:o}", "ALIGNMENT", a) : NULL;
}

static json_t *info_describe(const void *conf)
{
	const struct info_conf *c = conf;
	json_t *a = json_array();
	for (size_t i = 0; a && i < c->args.n; i++)
		json_array_append_new(a, json_stringn(c->args.v[i].s, c->args.v[i].n));
	return a ? json_pack("{s:o}", "ARGS", a) : NULL;
}

const struct click_class elem_align = {
	.name = "Align",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = align_configure,
	.model = &align_model,
	.runtime = &align_runtime,
	.describe = align_describe,
	.doc_args = "MODULUS (2, 4 or 8; mandatory), OFFSET (below MODULUS; mandatory)",
	.doc_model = "Every flow passes unchanged: innet reads headers byte by byte, so moving "
	             "packet data to an alignment changes nothing.",
};

const struct click_class elem_alignmentinfo = {
	.name = "AlignmentInfo",
	.port_count = "0/0",
	.processing = "a/a",
	.configure = alignmentinfo_configure,
	.model = &align_model,
	.runtime = &align_runtime,
	.describe = alignmentinfo_describe,
	.doc_args = "ELEMENT CHUNK OFFSET [CHUNK OFFSET ...], ... (one argument per element; "
	            "CHUNK and OFFSET integers)",
	.doc_model = "No ports: information for click-align, which innet does not need.",
};

const struct click_class elem_clickyinfo = {
	.name = "ClickyInfo",
	.port_count = "0/0",
	.processing = "a/a",
	.configure = clickyinfo_configure,
	.model = &align_model,
	.runtime = &align_runtime,
	.describe = info_describe,
	.doc_args = "anything (style information for Clicky, ignored as Click does)",
	.doc_model = "No ports: information for the Clicky GUI, which innet does not need.",
};

const struct click_class elem_scheduleinfo = {
	.name = "ScheduleInfo",
	.port_count = "0/0",
	.processing = "a/a",
	.configure = scheduleinfo_configure,
	.model = &align_model,
	.runtime = &align_runtime,
	.describe = info_describe,
	.doc_args = "ELEMENT PARAM, ... (one per element; PARAM a non-negative real; empty "
	            "arguments allowed)",
	.doc_model = "No ports: task scheduling parameters; innet schedules its own tasks.",
};
