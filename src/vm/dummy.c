/* The dummy backend for tests of the manager: counts calls, completes
 * starts on request and suspends and resumes at once, and plays the fast
 * path's part (first packets, wake-ups, last-packet times) without DPDK. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/idmap.h"
#include "vm/vm.h"

struct dinst {
	uint64_t id;
	bool running, pending, suspended, ran;
	char *state;      /* the saved state it resumes with */
	size_t state_len;
	struct dp_module_stats st;
};

struct dummy {
	struct vm_backend be;
	bool sync_start;
	struct vm_dummy_counts c;
	struct idmap insts;
};

static int d_create(struct vm_backend *be, const struct vm_module_spec *spec, void **out,
                    struct diags *d)
{
	struct dummy *du = (struct dummy *)be;
	if (!spec->click || !*spec->click) {
		diags_error(d, NULL, 0, "module %llu has no Click configuration",
		            (unsigned long long)spec->id);
		return -EINVAL;
	}
	struct dinst *in = calloc(1, sizeof *in);
	if (!in || idmap_put(&du->insts, spec->id, in) < 0) {
		free(in);
		return -ENOMEM;
	}
	in->id = spec->id;
	du->c.creates++;
	if (spec->state) {
		in->state = malloc(spec->state_len ? spec->state_len : 1);
		if (!in->state) {
			idmap_del(&du->insts, spec->id);
			free(in);
			return -ENOMEM;
		}
		memcpy(in->state, spec->state, spec->state_len);
		in->state_len = spec->state_len;
		in->suspended = true;
		in->st.state = DP_MOD_SUSPENDED;
		du->c.created_suspended++;
	}
	*out = in;
	return 0;
}

static int d_start(struct vm_backend *be, void *inst)
{
	struct dummy *du = (struct dummy *)be;
	struct dinst *in = inst;
	du->c.starts++;
	if (du->sync_start) {
		in->running = in->ran = true;
		in->st.state = DP_MOD_RUNNING;
		vm_mgr_notify(be->mgr, in->id, VM_NOTE_STARTED, 0, NULL);
	} else {
		in->pending = true;
		du->c.pending_starts++;
	}
	return 0;
}

static int d_stop(struct vm_backend *be, void *inst)
{
	struct dummy *du = (struct dummy *)be;
	struct dinst *in = inst;
	du->c.stops++;
	if (in->pending) {
		in->pending = false;
		du->c.pending_starts--;
	}
	in->running = in->suspended = false;
	free(in->state);
	in->state = NULL;
	in->st.state = DP_MOD_DEPLOYED;
	vm_mgr_notify(be->mgr, in->id, VM_NOTE_STOPPED, 0, NULL);
	return 0;
}

static int d_suspend(struct vm_backend *be, void *inst)
{
	struct dinst *in = inst;
	((struct dummy *)be)->c.suspends++;
	char buf[32];
	int n = snprintf(buf, sizeof buf, "dummy:%llu", (unsigned long long)in->id);
	char *st = malloc((size_t)n);
	if (!st)
		return -ENOMEM;
	memcpy(st, buf, (size_t)n);
	free(in->state);
	in->state = st;
	in->state_len = (size_t)n;
	in->running = false;
	in->suspended = true;
	in->st.state = DP_MOD_SUSPENDED;
	vm_mgr_suspended(be->mgr, in->id, 0, in->state, in->state_len);
	return 0;
}

static int d_resume(struct vm_backend *be, void *inst)
{
	struct dinst *in = inst;
	((struct dummy *)be)->c.resumes++;
	int status = in->state && (in->state_len < 6 || memcmp(in->state, "dummy:", 6)) ? VM_RESUMED_FRESH : 0;
	free(in->state);
	in->state = NULL;
	in->running = in->ran = true;
	in->suspended = false;
	in->st.state = DP_MOD_RUNNING;
	vm_mgr_notify(be->mgr, in->id, VM_NOTE_RESUMED, status, NULL);
	return 0;
}

static int d_tables(struct vm_backend *be, void *inst, struct vm_table_info *out, size_t max)
{
	(void)be;
	const struct dinst *in = inst;
	if (!in->ran)
		return 0; /* never ran: no table to show (vm_module_tables) */
	if (max > 0)
		out[0] = (struct vm_table_info){.elem = "dummy", .cls = "Dummy",
		                                .entries = in->st.rx_packets, .capacity = 1024};
	return 1;
}

static void d_destroy(struct vm_backend *be, void *inst)
{
	struct dummy *du = (struct dummy *)be;
	struct dinst *in = inst;
	du->c.destroys++;
	if (in->pending)
		du->c.pending_starts--;
	free(in->state);
	idmap_del(&du->insts, in->id);
	free(in);
}

static int d_stats(struct vm_backend *be, void *inst, struct dp_module_stats *st)
{
	(void)be;
	*st = ((struct dinst *)inst)->st;
	return 0;
}

static void d_free(struct vm_backend *be)
{
	struct dummy *du = (struct dummy *)be;
	idmap_free(&du->insts);
	free(du);
}

static const struct vm_backend_ops dummy_ops = {
	.name = "dummy",
	.create = d_create,
	.start = d_start,
	.stop = d_stop,
	.suspend = d_suspend,
	.resume = d_resume,
	.destroy = d_destroy,
	.stats = d_stats,
	.tables = d_tables,
	.free = d_free,
	.saved_state = true,
};

struct vm_backend *vm_dummy_new(bool sync_start)
{
	struct dummy *du = calloc(1, sizeof *du);
	if (!du)
		return NULL;
	du->be.ops = &dummy_ops;
	du->sync_start = sync_start;
	return &du->be;
}

void vm_dummy_counts(const struct vm_backend *be, struct vm_dummy_counts *c)
{
	*c = ((const struct dummy *)be)->c;
}

void vm_dummy_complete(struct vm_backend *be, int status)
{
	struct dummy *du = (struct dummy *)be;
	size_t it = 0;
	uint64_t ids[256];
	size_t n = 0;
	struct dinst *in;
	/* collect first: notifying may stop modules and change the map */
	while (n < 256 && (in = idmap_next(&du->insts, &it, NULL)) != NULL)
		if (in->pending) {
			in->pending = false;
			du->c.pending_starts--;
			if (status == 0) {
				in->running = in->ran = true;
				in->st.state = DP_MOD_RUNNING;
			}
			ids[n++] = in->id;
		}
	for (size_t i = 0; i < n; i++)
		vm_mgr_notify(be->mgr, ids[i], VM_NOTE_STARTED, status, NULL);
}

void vm_dummy_packet(struct vm_backend *be, uint64_t id, uint64_t now_ns)
{
	struct dummy *du = (struct dummy *)be;
	struct dinst *in = idmap_get(&du->insts, id);
	if (!in)
		return;
	in->st.rx_packets++;
	in->st.last_rx_ns = now_ns;
	if (!in->running && !in->pending) {
		struct dp_event ev = {.type = DP_EV_NEW_FLOW, .module = id, .ts_ns = now_ns,
		                      .wake = in->suspended};
		vm_mgr_notify(be->mgr, id, VM_NOTE_NEW_FLOW, 0, &ev);
	}
}
