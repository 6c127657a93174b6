/* DecIPTTL([ACTIVE bool, MULTICAST bool]) (Click's DecIPTTL): both default true;
 * expired packets (ttl <= 1) go to output 1. */
#include <errno.h>

#include "elements/args.h"
#include "elements/describe.h"
#include "elements/element.h"
#include "elements/ipops.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct decipttl_conf {
	bool active;    /* false: pass unchanged */
	bool multicast; /* false: multicast destinations pass unchanged */
};

static int decipttl_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct decipttl_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->active = true;
	c->multicast = true;
	struct arg_spec spec[] = {
		arg_bool("ACTIVE", 0, &c->active),
		arg_bool("MULTICAST", 0, &c->multicast),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* ttl <= 1 goes to output 1 (dropped without it); the rest leaves with
 * TTL-1: the same variable, offset by one, so decrements add up. */
static int decipttl_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                         struct sym_flow *f)
{
	const struct decipttl_conf *c = e->conf;
	struct sym_flow *live = f, *dead = NULL, *mc = NULL;
	if (!c->active) {
		sym_emit(cx, 0, f);
		return 0;
	}
	if (!c->multicast) {
		sym_split_range(cx, f, SYM_F_DST, 0xe0000000u, 0xefffffffu, &mc, &live);
		if (mc)
			sym_emit(cx, 0, mc);
		if (!live)
			return 0;
	}
	sym_split_range(cx, live, SYM_F_TTL, 2, 255, &live, &dead);
	if (dead)
		sym_emit(cx, 1, dead);
	if (live) {
		sym_add(cx, live, SYM_F_TTL, -1);
		sym_emit(cx, 0, live);
	}
	return 0;
}

static const struct elem_model decipttl_model = { .push = decipttl_sym_push };

/* ---- runtime (packet functions) ---- */
/* 0: output 0 (decremented or passed through), 1: output 1 (TTL <= 1),
 * -EINVAL: no IP header. */
static int dec_ttl(struct rt_pkt *p, bool active, bool multicast)
{
	if (!active)
		return 0;
	if (!rt_pkt_has_ip(p) || rt_pkt_ip_avail(p) < 20)
		return -EINVAL;
	uint8_t *ip = rt_pkt_ip(p);
	if (!multicast && ipops_is_multicast(rt_rd32(ip + 16)))
		return 0;
	if (ip[8] <= 1)
		return 1;
	ipops_dec_ttl(ip);
	return 0;
}

static struct rt_pkt *decipttl_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct decipttl_conf *c = e->conf;
	int r = dec_ttl(p, c->active, c->multicast);
	if (r == 0)
		return p;
	if (r == 1)
		rt_push(e, 1, p);
	else
		rt_drop(e, p);
	return NULL;
}

static const struct elem_runtime decipttl_runtime = { .action = decipttl_action };

/* ---- describe and the class objects ---- */
static json_t *decipttl_describe(const void *conf)
{
	const struct decipttl_conf *c = conf;
	return json_pack("{s:b, s:b}", "ACTIVE", c->active, "MULTICAST", c->multicast);
}

const struct click_class elem_decipttl = {
	.name = "DecIPTTL",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = decipttl_configure,
	.model = &decipttl_model,
	.runtime = &decipttl_runtime,
	.describe = decipttl_describe,
	.doc_args = "keywords ACTIVE (bool, default true), MULTICAST (bool, default true)",
	.doc_model = "TTL <= 1 goes to output 1 (dropped when absent); the rest leaves with TTL - "
	             "1, the same variable offset by one, so decrements along a path add up. "
	             "MULTICAST false lets multicast destinations pass unchanged; ACTIVE false "
	             "passes everything.",
};
