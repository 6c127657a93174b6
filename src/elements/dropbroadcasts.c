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
/* innet's devices deliver every packet as addressed to the host (nothing
 * in a module sets the packet type otherwise), so every flow passes. */
static const struct elem_model dropbroadcasts_model = { .push = mu_sym_pass };

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
	.doc_model = "Every flow passes: innet's devices deliver packets as addressed to the host, "
	             "never as link-level broadcast or multicast.",
};
