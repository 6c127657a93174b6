/* Classifier, IPClassifier, IPFilter and the route lookups on packets
 * (click.md 3.2, 3.9): first matching rule decides, no match drops. */
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

static void cls_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	const struct cls_conf *c = e->conf;
	struct flow_pkt fp;
	rt_pkt_flow(p, &fp);
	for (uint32_t i = 0; i < c->n; i++) {
		if (flow_eval(c->rules[i].expr, &fp)) {
			if (c->rules[i].out < 0)
				rt_drop(e, p);
			else
				rt_push(e, (uint32_t)c->rules[i].out, p);
			return;
		}
	}
	rt_drop(e, p);
}

const struct elem_runtime rt_ipfilter_runtime = { .push = cls_push };
const struct elem_runtime rt_ipclassifier_runtime = { .push = cls_push };
const struct elem_runtime rt_classifier_runtime = { .push = cls_push };

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
