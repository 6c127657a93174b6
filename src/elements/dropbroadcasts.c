/* DropBroadcasts() (as Click documents it): packets whose packet-type
 * annotation says they arrived as link-level broadcast or multicast go to
 * output 1 (dropped without one); the rest pass. */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

/* ---- symbolic model (src/verify/model.h) ---- */
/* innet's devices deliver every packet as addressed to the host, so a
 * flow passes unless HostEtherFilter set its packet type (flow state):
 * broadcast or multicast goes to output 1, a type the model cannot tell
 * takes both ways, approximate. */
static int dropbroadcasts_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                   struct sym_flow *f)
{
	int b = mu_pkttype_broadcast(cx, f);
	if (b < 0)
		mu_emit_all(cx, 2, f, "DropBroadcasts: the packet type comes from a link header");
	else
		sym_emit(cx, b ? 1 : 0, f);
	return 0;
}

static const struct elem_model dropbroadcasts_model = { .push = dropbroadcasts_sym_push };

/* ---- runtime (packet functions) ---- */
struct dropbroadcasts_state {
	uint64_t drops;
};

static size_t dropbroadcasts_state_size(const struct rt_elem *e, uint32_t fc)
{
	return sizeof(struct dropbroadcasts_state);
}

static struct rt_pkt *dropbroadcasts_action(struct rt_elem *e, struct rt_pkt *p)
{
	if (p->pkt_type != RT_PKT_BROADCAST && p->pkt_type != RT_PKT_MULTICAST)
		return p;
	struct dropbroadcasts_state *s = e->state;
	s->drops++;
	rt_push(e, 1, p);
	return NULL;
}

static int dropbroadcasts_read(const struct rt_elem *e, const char *h, uint64_t *v)
{
	const struct dropbroadcasts_state *s = e->state;
	if (strcmp(h, "drops"))
		return -EOPNOTSUPP;
	*v = s->drops;
	return 0;
}

static const struct elem_runtime dropbroadcasts_runtime = {
	.state_size = dropbroadcasts_state_size,
	.action = dropbroadcasts_action,
	.read = dropbroadcasts_read,
};

/* ---- the class object ---- */
const struct click_class elem_dropbroadcasts = {
	.name = "DropBroadcasts",
	.port_count = "1/1-2",
	.processing = "a/ah",
	.configure = elem__configure_none,
	.model = &dropbroadcasts_model,
	.runtime = &dropbroadcasts_runtime,
	.doc_model = "Every flow passes (innet's devices deliver packets as addressed to the host) "
	             "unless HostEtherFilter set its packet type: broadcast or multicast goes to "
	             "output 1, a type from a link header the model does not track takes both "
	             "ways, approximate.",
};
