/* Classifier, IPClassifier, IPFilter and the route lookups on packets
 * (click.md 3.2, 3.9): first matching rule decides, no match drops. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elements/classify.h"
#include "elements/iproute.h"
#include "flow/flow.h"
#include "runtime/elements_rt.h"

void rt_pkt_flow(const struct rt_pkt *p, struct flow_pkt *fp)
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

static void cls_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	(void)port;
	const struct cls_conf *c = e->conf;
	struct flow_pkt fp;
	rt_pkt_flow(p, &fp);
	int32_t i = flow_prog_run(e->state, &fp);
	if (i < 0 || c->rules[i].out < 0)
		rt_drop(e, p);
	else
		rt_push(e, (uint32_t)c->rules[i].out, p);
}

#define CLS_RUNTIME { .state_size = cls_state_size, .init = cls_init, .push = cls_push }
const struct elem_runtime rt_ipfilter_runtime = CLS_RUNTIME;
const struct elem_runtime rt_ipclassifier_runtime = CLS_RUNTIME;
const struct elem_runtime rt_classifier_runtime = CLS_RUNTIME;

static void lookup_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	const struct iproute_conf *c = e->conf;
	uint32_t dst = rt_pkt_dst_anno(p);
	const struct iproute *best = NULL;
	for (uint32_t i = 0; i < c->n; i++) {
		const struct iproute *r = &c->v[i];
		if (inet_prefix_contains(r->dst, dst) && (!best || r->dst.len > best->dst.len))
			best = r;
	}
	if (!best) {
		rt_drop(e, p);
		return;
	}
	if (best->gw)
		rt_pkt_set_dst_anno(p, best->gw);
	rt_push(e, best->out, p);
}

const struct elem_runtime rt_iplookup_runtime = { .push = lookup_push };
