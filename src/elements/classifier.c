/* Classifier(PATTERN_0, ..., PATTERN_{N-1}) (Click's Classifier
 * documentation): byte patterns relative to the data pointer, one per
 * output; the first match decides, no match drops. Patterns are parsed by
 * src/flow (the one parser the verifier and the runtime share) into struct
 * cls_conf. The family's configuration helpers, model and packet function
 * (internal.h, the classifier family) are here too: IPFilter and IPClassifier use them as they are. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/arena.h"
#include "elements/internal.h"
#include "elements/element.h"
#include "flow/flow.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct cls_conf *cls_conf_alloc(const struct click_conf_ctx *ctx, size_t nrules)
{
	struct cls_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return NULL;
	c->rules = arena_calloc(ctx->arena, nrules ? nrules : 1, sizeof *c->rules);
	return c->rules ? c : NULL;
}

int cls_configure_per_output(const struct click_conf_ctx *ctx, const struct click_args *args,
                             int (*parse)(const struct click_conf_ctx *ctx, const struct click_arg *arg,
                                          struct flow_expr **out),
                             void **conf)
{
	if (args->n != ctx->noutputs)
		return arg_error(ctx, NULL, "need %u arguments, one per output port (got %zu)",
		                 ctx->noutputs, args->n);
	struct cls_conf *c = cls_conf_alloc(ctx, args->n);
	if (!c)
		return -ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < args->n; i++) {
		struct cls_rule *r = &c->rules[c->n++];
		r->out = (int32_t)i;
		r->loc = args->v[i].loc;
		if (parse(ctx, &args->v[i], &r->expr))
			rc = -EINVAL;
	}
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

static int classifier_pattern(const struct click_conf_ctx *ctx, const struct click_arg *arg,
                              struct flow_expr **out)
{
	return flow_parse_classifier(arg->text, &arg->loc, ctx->arena, ctx->diags, out);
}

static int classifier_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                void **conf)
{
	return cls_configure_per_output(ctx, args, classifier_pattern, conf);
}

/* ---- symbolic model (src/verify/model.h) ---- */

/* First matching rule decides, no match drops: the flow is split into
 * disjoint flows, one per rule that some packet of it matches. */
static int cls_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                    struct sym_flow *f)
{
	static const struct flow_expr all = { .kind = FLOW_TRUE };
	const struct cls_conf *c = e->conf;
	const struct flow_expr **ex = arena_alloc(sym_arena(cx), (c->n + 1) * sizeof *ex);
	int32_t *out = arena_alloc(sym_arena(cx), (c->n + 1) * sizeof *out);
	if (!ex || !out)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->n; i++) {
		ex[i] = c->rules[i].expr ? c->rules[i].expr : &all;
		out[i] = c->rules[i].out;
	}
	return sym_classify(cx, f, ex, out, c->n);
}

const struct elem_model cls_model = { .push = cls_sym_push };
const char cls_doc_model[] = "The first matching rule decides: the flow is split into disjoint "
                             "flows, one per rule some packet of it matches; what matches no "
                             "rule is dropped.";

/* ---- packet function ---- */

/* What src/flow's programs read of a packet: the IP, transport, MAC and
 * data windows, each clipped to the data. */
static void packet_view(const struct rt_pkt *p, struct flow_pkt *fp)
{
	memset(fp, 0, sizeof *fp);
	fp->data = rt_pkt_data(p);
	fp->data_len = p->len;
	uint32_t ia = rt_pkt_ip_avail(p);
	if (p->ip_off >= 0 && ((uint32_t)p->ip_off < p->off + p->len)) {
		fp->ip = rt_pkt_ip(p);
		fp->ip_len = ia;
		if (ia >= p->ip_hlen && p->ip_hlen > 0) {
			fp->transp = fp->ip + p->ip_hlen;
			fp->transp_len = ia - p->ip_hlen;
		}
	}
	if (p->mac_off >= 0 && (uint32_t)p->mac_off <= p->off + p->len) {
		fp->ether = p->buf + p->mac_off;
		fp->ether_len = p->off + p->len - (uint32_t)p->mac_off;
	}
}

/* The rule list compiled once per instance (flow_prog: flat jumps instead
 * of flow_eval's recursion over the tree), in the module's block. */
static uint32_t cls_natoms(const struct cls_conf *c)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < c->n; i++)
		n += flow_expr_natoms(c->rules[i].expr);
	return n;
}

static size_t cls_state_size(const struct rt_elem *e, uint32_t fc)
{
	(void)fc;
	return flow_prog_bytes(cls_natoms(e->conf));
}

static int cls_init(struct rt_elem *e, struct diags *d)
{
	(void)d;
	const struct cls_conf *c = e->conf;
	const struct flow_expr **v = malloc((c->n ? c->n : 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->n; i++)
		v[i] = c->rules[i].expr;
	int r = flow_prog_compile(e->state, cls_natoms(c), v, c->n);
	free(v);
	return r;
}

/* The output the first matching rule names, or -1 (drop). */
static inline int32_t cls_output(const struct rt_elem *e, const struct rt_pkt *p)
{
	const struct cls_conf *c = e->conf;
	struct flow_pkt fp;
	packet_view(p, &fp);
	int32_t i = flow_prog_run(e->state, &fp);
	return i < 0 ? -1 : c->rules[i].out;
}

static void cls_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	(void)port;
	int32_t out = cls_output(e, p);
	if (out < 0)
		rt_drop(e, p);
	else
		rt_push(e, (uint32_t)out, p);
}

/* The vector split into runs of consecutive packets bound for the same
 * output, each run pushed on as one vector: every element downstream
 * still sees the packets in arrival order, as with cls_push. */
static void cls_push_burst(struct rt_elem *e, uint32_t port, struct rt_pkt **v, uint32_t n)
{
	(void)port;
	int32_t out[RT_BURST_MAX];
	for (uint32_t i = 0; i < n; i++)
		out[i] = cls_output(e, v[i]);
	for (uint32_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && out[j] == out[i]; j++)
			;
		if (out[i] >= 0) {
			rt_push_burst(e, (uint32_t)out[i], v + i, j - i);
			continue;
		}
		for (uint32_t k = i; k < j; k++)
			rt_drop(e, v[k]);
	}
}

/* The fused step of compiled chains: the compiled program's answer. */
static int32_t cls_step(struct rt_elem *e, uint32_t port, struct rt_pkt **pp)
{
	(void)port;
	int32_t out = cls_output(e, *pp);
	if (out < 0)
		rt_drop(e, *pp);
	return out < 0 ? RT_STEP_GONE : out;
}

static const struct flow_prog *cls_prog(const struct rt_elem *e)
{
	return e->state;
}

static int32_t cls_rule_out(const struct rt_elem *e, uint32_t rule)
{
	const struct cls_conf *c = e->conf;
	return rule < c->n ? c->rules[rule].out : -1;
}

const struct elem_runtime cls_runtime = {
	.state_size = cls_state_size,
	.init = cls_init,
	.push = cls_push,
	.push_burst = cls_push_burst,
	.step = cls_step,
	.step_prog = cls_prog,
	.step_rule_out = cls_rule_out,
};

/* ---- describe and the class object ---- */

json_t *cls_describe(const void *conf)
{
	const struct cls_conf *c = conf;
	struct arena *a = arena_new(0);
	json_t *patterns = json_array();
	for (uint32_t i = 0; a && patterns && i < c->n; i++) {
		const char *text = c->rules[i].expr ? flow_to_string(c->rules[i].expr, a) : "true";
		if (!text || json_array_append_new(patterns, json_string(text))) {
			json_decref(patterns);
			patterns = NULL;
		}
	}
	arena_free(a);
	return json_pack("{s:o}", "PATTERN", patterns);
}

const struct click_class elem_classifier = {
	.name = "Classifier",
	.port_count = "1/-",
	.processing = "h/h",
	.configure = classifier_configure,
	.model = &cls_model,
	.runtime = &cls_runtime,
	.describe = cls_describe,
	.doc_args = "PATTERN_0, ..., PATTERN_{N-1} (OFFSET/VALUE[%MASK] byte patterns, one per output)",
	.doc_model = cls_doc_model,
};
