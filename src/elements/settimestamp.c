/* SetTimestamp([TIMESTAMP] [, FIRST bool]) (Click's): without
 * TIMESTAMP, the current time. */
#include <errno.h>

#include "elements/args.h"
#include "elements/describe.h"
#include "elements/element.h"
#include "elements/model_util.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct settimestamp_conf {
	bool has_ts;   /* TIMESTAMP given */
	int64_t ts_ns; /* since the epoch */
	bool first;    /* set the "first timestamp" annotation instead */
};

static int settimestamp_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                  void **conf)
{
	struct settimestamp_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_spec spec[] = {
		arg_time("TIMESTAMP", ARG_P, &c->ts_ns),
		arg_bool("FIRST", 0, &c->first),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	c->has_ts = spec[0].given;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Only the timestamp annotation changes, which the model does not track
 * (time is not modelled): the packet passes unchanged. */
static const struct elem_model settimestamp_model = { .push = mu_sym_pass };

/* ---- runtime (packet functions) ---- */
static struct rt_pkt *settimestamp_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct settimestamp_conf *c = e->conf;
	uint64_t t = c && c->has_ts ? (uint64_t)c->ts_ns : rt_now(e);
	if (c && c->first)
		p->first_tstamp_ns = t;
	else
		p->tstamp_ns = t;
	return p;
}

static const struct elem_runtime settimestamp_runtime = { .action = settimestamp_action };

/* ---- describe and the class objects ---- */
/* TIMESTAMP is null when the current time is used. */
static json_t *settimestamp_describe(const void *conf)
{
	const struct settimestamp_conf *c = conf;
	return json_pack("{s:o, s:b}", "TIMESTAMP", c->has_ts ? json_integer(c->ts_ns) : json_null(),
	                 "FIRST", c->first);
}

const struct click_class elem_settimestamp = {
	.name = "SetTimestamp",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = settimestamp_configure,
	.model = &settimestamp_model,
	.runtime = &settimestamp_runtime,
	.describe = settimestamp_describe,
	.doc_args = "[TIMESTAMP] (time since the epoch; default: the current time); keyword FIRST "
	            "(bool, default false)",
	.doc_model = "Only the timestamp annotation changes, and time is not modelled: the packet "
	             "passes unchanged.",
};
