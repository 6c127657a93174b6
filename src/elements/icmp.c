/* ICMPPingResponder() and ICMPError(SRC, TYPE [, CODE] [, BADADDRS, MTU,
 * PMTU, USE_FIX_ANNO]) (click.md 3.8). TYPE must be an ICMP error type
 * (unreachable 3, sourcequench 4, redirect 5, timeexceeded 11,
 * parameterproblem 12); TYPE and CODE take numbers or names. */
#include <errno.h>

#include "elements/args.h"
#include "elements/element.h"
#include "runtime/runtime.h" /* complete type for the runtime forward declaration (clang) */

struct icmperror_conf {
	uint32_t src;        /* the error's source address */
	uint8_t type, code;
	uint32_t nbad;       /* BADADDRS: no errors about packets from these */
	uint32_t *badaddrs;
	uint32_t mtu;        /* 576: most bytes of the error packet */
	uint32_t pmtu;       /* next-hop MTU for unreachable/needfrag (0) */
	bool use_fix_anno;   /* true: set the fix-IP-source annotation */
};

struct icmp_name {
	const char *name;
	uint8_t type, code; /* code names: type they belong to */
};

static const struct icmp_name types[] = {
	{ "unreachable", 3, 0 }, { "sourcequench", 4, 0 }, { "redirect", 5, 0 },
	{ "timeexceeded", 11, 0 }, { "parameterproblem", 12, 0 },
};

static const struct icmp_name codes[] = {
	{ "net", 3, 0 }, { "host", 3, 1 }, { "protocol", 3, 2 }, { "port", 3, 3 },
	{ "needfrag", 3, 4 }, { "srcroutefail", 3, 5 }, { "netunknown", 3, 6 },
	{ "hostunknown", 3, 7 }, { "isolated", 3, 8 }, { "netprohib", 3, 9 },
	{ "hostprohib", 3, 10 }, { "tosnet", 3, 11 }, { "toshost", 3, 12 },
	{ "filterprohib", 3, 13 }, { "hostprecedence", 3, 14 }, { "precedencecutoff", 3, 15 },
	{ "net", 5, 0 }, { "host", 5, 1 }, { "tosnet", 5, 2 }, { "toshost", 5, 3 },
	{ "transit", 11, 0 }, { "reassembly", 11, 1 },
	{ "erroratptr", 12, 0 }, { "missingopt", 12, 1 }, { "length", 12, 2 },
};

static int icmperror_configure(const struct elem_ctx *ctx, const struct click_args *args,
                               void **conf)
{
	struct icmperror_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->mtu = 576;
	c->use_fix_anno = true;
	struct arg_val type = { 0 }, code = { 0 }, bad = { 0 };
	struct arg_spec spec[] = {
		arg_ip("SRC", ARG_MP, &c->src),
		arg_raw("TYPE", ARG_MP, &type),
		arg_raw("CODE", ARG_P, &code),
		arg_raw("BADADDRS", 0, &bad),
		arg_u32("MTU", 0, &c->mtu),
		arg_u32("PMTU", 0, &c->pmtu),
		arg_bool("USE_FIX_ANNO", 0, &c->use_fix_anno),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (spec[1].given) {
		bool found = false;
		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
			if (arg_is(&type, types[i].name)) {
				c->type = types[i].type;
				found = true;
			}
		uint64_t t;
		if (!found && arg_parse_uint(NULL, &type, 255, &t) == 0) {
			c->type = (uint8_t)t;
			found = true;
		}
		if (!found)
			rc = arg_error(ctx, &type, "expected ICMP error type (unreachable, sourcequench, "
			                           "redirect, timeexceeded, parameterproblem)");
		else if (c->type != 3 && c->type != 4 && c->type != 5 && c->type != 11 && c->type != 12)
			rc = arg_error(ctx, &type, "ICMP type %u is not an error type", c->type);
	}
	if (spec[1].given && spec[2].given && rc == 0) {
		bool found = false;
		for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
			if (codes[i].type == c->type && arg_is(&code, codes[i].name)) {
				c->code = codes[i].code;
				found = true;
			}
		uint64_t x;
		if (!found && arg_parse_uint(NULL, &code, 255, &x) == 0) {
			c->code = (uint8_t)x;
			found = true;
		}
		if (!found)
			rc = arg_error(ctx, &code, "unknown code for ICMP type %u", c->type);
	}
	if (spec[3].given) {
		struct arg_list w;
		if (arg_words(ctx, &bad, &w))
			return -ENOMEM;
		c->badaddrs = arena_calloc(ctx->arena, w.n ? w.n : 1, sizeof *c->badaddrs);
		if (!c->badaddrs)
			return -ENOMEM;
		for (size_t i = 0; i < w.n; i++)
			if (arg_parse_ip(ctx, &w.v[i], &c->badaddrs[c->nbad++]))
				rc = -EINVAL;
	}
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

static const struct elem_runtime icmppingresponder_runtime;
const struct elem_class elem_icmppingresponder = {
	.name = "ICMPPingResponder",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = elem__configure_none,
	.runtime = &icmppingresponder_runtime,
};

static const struct elem_runtime icmperror_runtime;
const struct elem_class elem_icmperror = {
	.name = "ICMPError",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = icmperror_configure,
	.runtime = &icmperror_runtime,
};

/* ---- runtime (packet functions) ---- */
#include "runtime/ops.h"

static struct rt_pkt *icmppingresponder_action(struct rt_elem *e, struct rt_pkt *p)
{
	if (rt_op_ping_reply(p, rt_now(e)) == 0)
		return p;
	rt_push(e, 1, p);
	return NULL;
}

struct icmperror_state {
	uint16_t id;
};

static size_t icmperror_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct icmperror_state);
}

/* The input is always consumed; the error (if any) goes out output 0. */
static struct rt_pkt *icmperror_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct icmperror_conf *c = e->conf;
	struct icmperror_state *s = e->state;
	struct icmp_error_args a = {
		.src = c->src, .type = c->type, .code = c->code, .mtu = c->mtu, .pmtu = c->pmtu,
		.use_fix_anno = c->use_fix_anno, .badaddrs = c->badaddrs, .nbadaddrs = c->nbad,
		.id = &s->id,
	};
	struct rt_pkt *q = rt_op_icmp_error(e, p, &a);
	rt_consume(e, p);
	return q;
}

static const struct elem_runtime icmppingresponder_runtime = { .action = icmppingresponder_action };
static const struct elem_runtime icmperror_runtime = {
	.state_size = icmperror_state_size,
	.action = icmperror_action,
};
