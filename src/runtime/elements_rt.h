/* Packet functions for the elements whose configuration structs are shared
 * headers of src/elements (rewriter.h, classify.h, iproute.h). Their element
 * files point `.runtime` at these; elements with file-local configurations
 * keep their packet functions in their own files. */
#ifndef INNET_RUNTIME_ELEMENTS_RT_H
#define INNET_RUNTIME_ELEMENTS_RT_H

#include "runtime/runtime.h"

extern const struct elem_runtime rt_iprewriter_runtime;     /* rw_conf */
extern const struct elem_runtime rt_ipaddrrewriter_runtime; /* rw_conf, addr_only */
extern const struct elem_runtime rt_ipfilter_runtime;       /* cls_conf (IP base) */
extern const struct elem_runtime rt_ipclassifier_runtime;   /* cls_conf (IP base) */
extern const struct elem_runtime rt_classifier_runtime;     /* cls_conf (data base) */
extern const struct elem_runtime rt_iplookup_runtime;       /* iproute_conf */

/* The flow_pkt of a packet view (IP, transport, MAC, data windows). */
struct flow_pkt;
void rt_pkt_flow(const struct rt_pkt *p, struct flow_pkt *fp);

#endif
