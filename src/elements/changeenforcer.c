/* ChangeEnforcer: innet's sandbox element (DESIGN section 9; the paper's
 * "change enforcer"). The platform puts one on every path between a
 * sandboxed module and the outside, so that at run time the module can only
 * send what the security rules allow.
 *
 *     ChangeEnforcer(ADDR a.b.c.d [, ALLOW prefix...] [, TIMEOUT t]
 *                    [, CAPACITY n])
 *
 * Ports 2/2, push, flow code xy/xy: input 0 (from the outside towards the
 * module) goes to output 0; input 1 (from the module towards the outside)
 * goes to output 1. Nothing crosses between the two directions.
 *
 * Arguments:
 *   ADDR      the module's address (mandatory; positional or keyword).
 *   ALLOW     the tenant's destination whitelist: prefixes, space
 *             separated; the keyword may be repeated and all occurrences
 *             add up. Default: empty (replies only).
 *   TIMEOUT   idle timeout of an authorization (default 300 s).
 *   CAPACITY  most authorizations kept (default 4096); when full, the
 *             oldest idle one is replaced (a new flow never blocks
 *             entering traffic).
 *
 * Semantics (what the model and the runtime implement):
 *   - A packet on input 0 (entering) always passes to output 0 and
 *     authorizes replies: its (source address, source port, protocol) is
 *     recorded (ports only for TCP/UDP first fragments; 0 otherwise) and
 *     its idle timer restarted.
 *   - A packet on input 1 (leaving) passes to output 1 only if
 *       (anti-spoofing) its source address is ADDR or the source of a
 *       recorded entry, and
 *       (default-off) its destination is in ALLOW, or is a recorded entry
 *       (destination address, destination port, protocol) = a reply;
 *     otherwise it is dropped. A leaving packet that matches an entry
 *     refreshes that entry's timer. */
#include <errno.h>

#include "elements/args.h"
#include "elements/element.h"

struct changeenforcer_conf {
	uint32_t addr;              /* the module's address, host order */
	uint32_t nallow;
	struct inet_prefix *allow;  /* masked */
	int64_t timeout_ns;         /* 300 s */
	uint32_t capacity;          /* 4096 */
};

static int changeenforcer_configure(const struct elem_ctx *ctx, const struct click_args *args,
                                    void **conf)
{
	struct changeenforcer_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->timeout_ns = 300 * 1000000000ll;
	c->capacity = 4096;
	struct arg_list allow = { 0 };
	struct arg_spec spec[] = {
		arg_ip("ADDR", ARG_MP, &c->addr),
		arg_list("ALLOW", ARG_ALL, &allow),
		arg_time("TIMEOUT", 0, &c->timeout_ns),
		arg_u32("CAPACITY", 0, &c->capacity),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (spec[2].given && c->timeout_ns <= 0)
		rc = arg_error(ctx, &spec[2].val, "must be positive");
	if (spec[3].given && c->capacity == 0)
		rc = arg_error(ctx, &spec[3].val, "must be positive");
	size_t total = 0;
	struct arg_list *words = arena_calloc(ctx->arena, allow.n ? allow.n : 1, sizeof *words);
	if (!words)
		return -ENOMEM;
	for (size_t i = 0; i < allow.n; i++) {
		if (arg_words(ctx, &allow.v[i], &words[i]))
			return -ENOMEM;
		total += words[i].n;
	}
	c->allow = arena_calloc(ctx->arena, total ? total : 1, sizeof *c->allow);
	if (!c->allow)
		return -ENOMEM;
	for (size_t i = 0; i < allow.n; i++)
		for (size_t k = 0; k < words[i].n; k++)
			if (arg_parse_prefix(ctx, &words[i].v[k], &c->allow[c->nallow++]))
				rc = -EINVAL;
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

const struct elem_class elem_changeenforcer = {
	.name = "ChangeEnforcer",
	.port_count = "2/2",
	.processing = "h/h",
	.flow_code = "xy/xy",
	.flags = ELEM_STATEFUL,
	.configure = changeenforcer_configure,
};
