/* Applying a mapping of a flow table to a packet, as Click's IPRewriterFlow
 * and IPAddrRewriter do (incremental checksum updates). */
#ifndef INNET_RUNTIME_REWRITE_H
#define INNET_RUNTIME_REWRITE_H

#include "runtime/flowtab.h"
#include "runtime/runtime.h"

enum rt_rewrite_mode {
	RT_REWRITE_NAPT, /* addresses and ports (IPRewriter) */
	RT_REWRITE_ADDR, /* forward: ip_src only; reply: ip_dst only (IPAddrRewriter) */
};

/* Rewrite p (IP header annotation set) along flow f in direction dir.
 * dst_anno: set the dst-IP annotation to the new destination (NAPT: both
 * directions; ADDR: replies only). reply_anno_off >= 0: on replies store
 * f->reply_anno in that annotation byte. */
void rt_flow_apply(const struct rt_flow *f, int dir, struct rt_pkt *p,
                   enum rt_rewrite_mode mode, bool dst_anno, int reply_anno_off);

/* The flow id of a packet (ports only when `ports` and it is a first
 * fragment with >= 4 transport bytes). */
struct rt_flowid rt_pkt_flowid(const struct rt_pkt *p, bool ports);

#endif
