/* The native backend: modules run in the DPDK fast path with the built-in
 * Click runtime. A deployed module keeps only its text and its classifier
 * entry; starting parses it, instantiates the runtime module (all element
 * state in one block) and publishes it; stopping frees that block.
 *
 * Suspend: dp_module_suspend unpublishes the program and hands it back in
 * its DONE event; here its state is saved (rt_module_save, module clock and
 * CLOCK_REALTIME), the tables captured, the program freed, and the state
 * handed to the manager (vm_mgr_suspended). The fast path holds any packet
 * for the module meanwhile. Resume: a program is built from the same
 * configuration, the state loaded (the wall clock says how long it was
 * away; a state that does not load is logged and the module starts fresh)
 * and published: the held packets go through it first. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/runtime.h"
#include "elements/element.h"
#include "base/idmap.h"
#include "base/log.h"
#include "vm/vm.h"

/* What a command was for: its DONE event is routed by it. */
enum {
	CK_ADD = 1, CK_START, CK_STOP, CK_REMOVE,
	CK_SUSPEND,   /* the program comes back: save, free, report */
	CK_RESUME,    /* published with its state: report VM_NOTE_RESUMED */
	CK_ASLEEP,    /* no program: any packet wakes it (deployed with a state) */
	CK_REPUBLISH, /* the state could not be saved: the same program runs on */
};

/* Running modules deployed from the same configuration (and the same
 * $defines) share its parsed graph, which the runtime only reads: a stock
 * module run by a thousand tenants is parsed once and costs one graph,
 * while every module keeps its own element instances. */
struct gentry {
	struct native *n;
	uint64_t h;
	char *key;        /* text, then name=value pairs, NUL-separated */
	size_t keylen;
	struct click_graph *g;
	uint32_t refs;
	struct gentry *next; /* same hash */
};

struct native {
	struct vm_backend be;
	struct dp *dp;
	struct idmap graphs; /* hash -> gentry chain */
	struct idmap insts;  /* id -> ninst, for the DONE events of suspends */
};

struct ninst {
	uint64_t id;
	char *name;
	char *click;
	struct click_define *defines;
	size_t ndefines;
	struct rt_limits lim;
	bool added;
	char *key;
	size_t keylen;
	uint64_t h;
	struct rt_module *live;      /* the published program's module (tables) */
	bool suspending;             /* dp_module_suspend sent, program not back */
	int resume_status;           /* 0 or VM_RESUMED_FRESH, for VM_NOTE_RESUMED */
	void *state;                 /* the saved state it resumes with */
	size_t state_len;
	struct vm_table_info *tabs;  /* captured at the last suspend */
	int ntabs;
};

static void suspended(struct native *n, const struct dp_event *ev);

static void on_event(void *arg, const struct dp_event *ev)
{
	struct native *n = arg;
	if (ev->type == DP_EV_DONE && ev->cookie == CK_SUSPEND) {
		suspended(n, ev); /* owns ev->prog */
		return;
	}
	if (!n->be.mgr)
		return;
	if (ev->type == DP_EV_NEW_FLOW)
		vm_mgr_notify(n->be.mgr, ev->module, VM_NOTE_NEW_FLOW, 0, ev);
	else if (ev->cookie == CK_START)
		vm_mgr_notify(n->be.mgr, ev->module, VM_NOTE_STARTED, ev->status, ev);
	else if (ev->cookie == CK_STOP)
		vm_mgr_notify(n->be.mgr, ev->module, VM_NOTE_STOPPED, ev->status, ev);
	else if (ev->cookie == CK_RESUME) {
		struct ninst *in = idmap_get(&n->insts, ev->module);
		int st = ev->status < 0 ? ev->status : in ? in->resume_status : 0;
		vm_mgr_notify(n->be.mgr, ev->module, VM_NOTE_RESUMED, st, ev);
	}
}

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void inst_free(struct ninst *in)
{
	if (!in)
		return;
	for (size_t i = 0; i < in->ndefines; i++) {
		free((char *)in->defines[i].name);
		free((char *)in->defines[i].value);
	}
	free(in->defines);
	free(in->state);
	free(in->tabs);
	free(in->key);
	free(in->name);
	free(in->click);
	free(in);
}

static int parse(const struct ninst *in, struct click_graph **g, struct diags *d)
{
	struct src_file src = {.name = in->name, .text = in->click, .len = strlen(in->click)};
	struct click_options opt = {.lookup = elem_class_find, .why_unknown = elem_class_why_unknown, .defines = in->defines, .ndefines = in->ndefines};
	return click_parse(&src, &opt, g, d);
}

static int make_key(struct ninst *in)
{
	size_t len = strlen(in->click) + 1;
	for (size_t i = 0; i < in->ndefines; i++)
		len += strlen(in->defines[i].name) + strlen(in->defines[i].value) + 2;
	in->key = malloc(len);
	if (!in->key)
		return -ENOMEM;
	char *p = in->key;
	p = stpcpy(p, in->click) + 1;
	for (size_t i = 0; i < in->ndefines; i++) {
		p = stpcpy(p, in->defines[i].name) + 1;
		p = stpcpy(p, in->defines[i].value) + 1;
	}
	in->keylen = len;
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)in->key[i]) * 1099511628211ull;
	in->h = h;
	return 0;
}

static void graph_release(void *arg)
{
	struct gentry *e = arg;
	if (--e->refs > 0)
		return;
	struct native *n = e->n;
	struct gentry *head = idmap_get(&n->graphs, e->h), **pp = &head;
	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp)
		*pp = e->next;
	if (head)
		idmap_put(&n->graphs, e->h, head);
	else
		idmap_del(&n->graphs, e->h);
	click_graph_free(e->g);
	free(e->key);
	free(e);
}

/* The module's graph, shared when another running module has the same
 * configuration; a reference the caller gives back with graph_release. */
static struct gentry *graph_get(struct native *n, const struct ninst *in, struct diags *d, int *err)
{
	struct gentry *head = idmap_get(&n->graphs, in->h);
	for (struct gentry *e = head; e; e = e->next)
		if (e->keylen == in->keylen && memcmp(e->key, in->key, in->keylen) == 0) {
			e->refs++;
			return e;
		}
	struct gentry *e = calloc(1, sizeof *e);
	if (!e || !(e->key = malloc(in->keylen))) {
		free(e);
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(e->key, in->key, in->keylen);
	e->keylen = in->keylen;
	e->h = in->h;
	e->n = n;
	e->refs = 1;
	if ((*err = parse(in, &e->g, d)) < 0) {
		free(e->key);
		free(e);
		return NULL;
	}
	e->next = head;
	if (idmap_put(&n->graphs, in->h, e) < 0) {
		click_graph_free(e->g);
		free(e->key);
		free(e);
		*err = -ENOMEM;
		return NULL;
	}
	return e;
}

static int start_program(struct native *n, struct ninst *in, struct dp_program *prog, struct diags *d)
{
	int r = 0;
	struct gentry *e = graph_get(n, in, d, &r);
	if (!e)
		return r;
	r = dp_program_click_shared(n->dp, e->g, &in->lim, graph_release, e, prog, d);
	if (r < 0)
		graph_release(e);
	return r;
}

static void n_destroy(struct vm_backend *be, void *inst);

static int n_create(struct vm_backend *be, const struct vm_module_spec *spec, void **out,
                    struct diags *d)
{
	struct native *n = (struct native *)be;
	*out = NULL;
	if (!spec->click) {
		diags_error(d, NULL, 0, "module %llu has no Click configuration",
		            (unsigned long long)spec->id);
		return -EINVAL;
	}
	struct ninst *in = calloc(1, sizeof *in);
	if (!in)
		return -ENOMEM;
	in->id = spec->id;
	char nm[32];
	snprintf(nm, sizeof nm, "module-%llu", (unsigned long long)spec->id);
	in->name = strdup(spec->name ? spec->name : nm);
	in->click = strdup(spec->click);
	in->defines = calloc(spec->ndefines ? spec->ndefines : 1, sizeof *in->defines);
	if (!in->name || !in->click || !in->defines) {
		inst_free(in);
		return -ENOMEM;
	}
	for (size_t i = 0; i < spec->ndefines; i++) {
		in->defines[i].name = strdup(spec->defines[i].name);
		in->defines[i].value = strdup(spec->defines[i].value);
		in->ndefines++;
		if (!in->defines[i].name || !in->defines[i].value) {
			inst_free(in);
			return -ENOMEM;
		}
	}
	if (spec->state) {
		in->state = malloc(spec->state_len ? spec->state_len : 1);
		if (!in->state) {
			inst_free(in);
			return -ENOMEM;
		}
		memcpy(in->state, spec->state, spec->state_len);
		in->state_len = spec->state_len;
	}
	in->lim.mem_max = spec->stateful ? spec->mem_quota : 0;
	in->lim.flow_capacity = spec->flow_capacity;
	in->lim.seed = spec->id * 0x9e3779b97f4a7c15ull + 1;
	int r = make_key(in);
	/* Check now that it parses and instantiates (the verifier accepted it,
	 * but a bad module must fail at deploy, not on its first packet). */
	struct dp_program prog;
	if (r == 0 && (r = start_program(n, in, &prog, d)) == 0)
		prog.ops->destroy(prog.self);
	else if (r < 0 && !d->nerrors)
		diags_error(d, NULL, 0, "module %s cannot be instantiated: %s", in->name, strerror(-r));
	if (r < 0) {
		inst_free(in);
		return r;
	}
	r = dp_module_add(n->dp, spec->id, &spec->key, CK_ADD);
	if (r < 0) {
		char a[16];
		diags_error(d, NULL, 0, "module %s: dataplane refused address %s proto %u port %u: %s",
		            in->name, inet_format_addr(spec->key.addr, a), spec->key.proto,
		            spec->key.port, strerror(-r));
		inst_free(in);
		return r;
	}
	in->added = true;
	if (idmap_put(&n->insts, in->id, in) < 0) {
		n_destroy(be, in);
		return -ENOMEM;
	}
	/* deployed with a saved state: asleep, any packet wakes it */
	if (in->state && (r = dp_module_suspend(n->dp, in->id, CK_ASLEEP)) < 0) {
		n_destroy(be, in);
		return r;
	}
	*out = in;
	return 0;
}

static int n_start(struct vm_backend *be, void *inst)
{
	struct native *n = (struct native *)be;
	struct ninst *in = inst;
	struct diags d;
	diags_init(&d);
	struct dp_program prog;
	int r = start_program(n, in, &prog, &d);
	diags_free(&d);
	if (r < 0)
		return r;
	in->live = dp_program_module(&prog);
	r = dp_module_run(n->dp, in->id, prog, CK_START);
	if (r < 0)
		in->live = NULL; /* dp_module_run freed it */
	return r;
}

/* Stop; a saved state is dropped (the operator's stop, or a start that
 * failed: the module starts fresh next time). */
static int n_stop(struct vm_backend *be, void *inst)
{
	struct native *n = (struct native *)be;
	struct ninst *in = inst;
	in->live = NULL;
	in->suspending = false; /* a program coming back is freed unsaved */
	free(in->state);
	in->state = NULL;
	in->state_len = 0;
	return dp_module_halt(n->dp, in->id, CK_STOP);
}

static int n_suspend(struct vm_backend *be, void *inst)
{
	struct native *n = (struct native *)be;
	struct ninst *in = inst;
	if (!in->live)
		return -EALREADY;
	in->suspending = true;
	int r = dp_module_suspend(n->dp, in->id, CK_SUSPEND);
	if (r < 0)
		in->suspending = false;
	return r;
}

/* The tables of m's stateful elements into out (up to max); how many. */
static int fill_tables(const struct rt_module *m, struct vm_table_info *out, size_t max)
{
	const struct click_graph *g = rt_module_graph(m);
	uint32_t idx[64];
	uint32_t k = rt_graph_stateful(g, idx, 64);
	for (uint32_t i = 0; i < k && i < 64 && i < max; i++) {
		const struct click_element *ce = click_graph_element(g, idx[i]);
		struct rt_table_stats st;
		rt_module_table(m, idx[i], &st);
		out[i] = (struct vm_table_info){.entries = st.entries, .capacity = st.capacity,
		                                .full_drops = st.full_drops, .drops = st.drops,
		                                .refused_source = st.refused_source,
		                                .refused_destination = st.refused_destination};
		snprintf(out[i].elem, sizeof out[i].elem, "%s", ce->name);
		snprintf(out[i].cls, sizeof out[i].cls, "%s", ce->cls->name);
	}
	return (int)(k < 64 ? k : 64);
}

static void capture_tables(struct ninst *in, const struct rt_module *m)
{
	int k = fill_tables(m, NULL, 0);
	free(in->tabs);
	in->tabs = k ? malloc((size_t)k * sizeof *in->tabs) : NULL;
	in->ntabs = in->tabs ? fill_tables(m, in->tabs, (size_t)k) : 0; /* no memory: no figures */
}

/* The program of a suspended module is back (DONE of CK_SUSPEND): save
 * its state, free its memory, hand the state to the manager. When the
 * state cannot be saved the same program is published again. */
static void suspended(struct native *n, const struct dp_event *ev)
{
	struct dp_program prog = ev->prog;
	struct ninst *in = idmap_get(&n->insts, ev->module);
	if (!in || !in->suspending) { /* stopped or removed meanwhile */
		if (prog.ops && prog.ops->destroy)
			prog.ops->destroy(prog.self);
		return;
	}
	in->suspending = false;
	in->live = NULL;
	struct rt_module *m = dp_program_module(&prog);
	void *blob = NULL;
	size_t len = 0;
	int r = m ? rt_module_save(m, dp_now_ns(), wall_ns(), &blob, &len) : -EINVAL;
	if (r < 0) {
		log_warn("vm", "module %s: state not saved (%s): it keeps running", in->name, strerror(-r));
		in->live = m;
		if (!prog.ops || dp_module_run(n->dp, in->id, prog, CK_REPUBLISH) < 0)
			in->live = NULL;
		if (n->be.mgr)
			vm_mgr_suspended(n->be.mgr, in->id, r, NULL, 0);
		return;
	}
	capture_tables(in, m);
	prog.ops->destroy(prog.self);
	free(in->state);
	in->state = blob;
	in->state_len = len;
	if (n->be.mgr)
		vm_mgr_suspended(n->be.mgr, in->id, 0, blob, len);
}

/* A program for the module with its saved state loaded; a state that
 * does not load is logged and the program rebuilt fresh (*fresh set). */
static int resume_program(struct native *n, struct ninst *in, struct dp_program *prog, bool *fresh)
{
	struct diags d;
	diags_init(&d);
	*fresh = false;
	int r = start_program(n, in, prog, &d);
	if (r == 0 && in->state) {
		r = rt_module_load(dp_program_module(prog), in->state, in->state_len, dp_now_ns(),
		                   wall_ns(), &d);
		if (r < 0) {
			log_warn("vm", "module %s: saved state of %zu bytes does not load (%s): starting fresh",
			         in->name, in->state_len, d.n ? d.v[0].msg : strerror(-r));
			prog->ops->destroy(prog->self);
			*fresh = true;
			r = start_program(n, in, prog, &d);
		}
	}
	diags_free(&d);
	return r;
}

static int n_resume(struct vm_backend *be, void *inst)
{
	struct native *n = (struct native *)be;
	struct ninst *in = inst;
	struct dp_program prog;
	bool fresh;
	int r = resume_program(n, in, &prog, &fresh);
	if (r == 0) {
		in->live = dp_program_module(&prog);
		r = dp_module_run(n->dp, in->id, prog, CK_RESUME);
	}
	if (r < 0) {
		/* drop what it held and sleep again: the next packet retries */
		in->live = NULL;
		dp_module_halt(n->dp, in->id, CK_ASLEEP);
		dp_module_suspend(n->dp, in->id, CK_ASLEEP);
		return r;
	}
	in->resume_status = fresh ? VM_RESUMED_FRESH : 0;
	free(in->state); /* the module holds its state again */
	in->state = NULL;
	in->state_len = 0;
	return 0;
}

static int n_tables(struct vm_backend *be, void *inst, struct vm_table_info *out, size_t max)
{
	(void)be;
	const struct ninst *in = inst;
	if (in->live)
		return fill_tables(in->live, out, max);
	for (int i = 0; i < in->ntabs && (size_t)i < max; i++)
		out[i] = in->tabs[i];
	return in->ntabs;
}

static void n_sync(struct vm_backend *be)
{
	dp_sync(((struct native *)be)->dp);
}

static void n_destroy(struct vm_backend *be, void *inst)
{
	struct native *n = (struct native *)be;
	struct ninst *in = inst;
	if (!in)
		return;
	if (in->added)
		dp_module_remove(n->dp, in->id, CK_REMOVE);
	if (idmap_get(&n->insts, in->id) == in)
		idmap_del(&n->insts, in->id);
	inst_free(in);
}

static int n_stats(struct vm_backend *be, void *inst, struct dp_module_stats *st)
{
	struct native *n = (struct native *)be;
	return dp_module_stats(n->dp, ((struct ninst *)inst)->id, st);
}

static void n_free(struct vm_backend *be)
{
	struct native *n = (struct native *)be;
	dp_stop(n->dp); /* destroys the programs: every graph reference is back */
	idmap_free(&n->graphs);
	idmap_free(&n->insts);
	free(n);
}

static const struct vm_backend_ops native_ops = {
	.name = "native",
	.create = n_create,
	.start = n_start,
	.stop = n_stop,
	.suspend = n_suspend,
	.resume = n_resume,
	.destroy = n_destroy,
	.stats = n_stats,
	.tables = n_tables,
	.sync = n_sync,
	.free = n_free,
	.saved_state = true,
};

int vm_native_new(const struct dp_config *c, struct vm_backend **out, char *err, size_t errlen)
{
	*out = NULL;
	struct native *n = calloc(1, sizeof *n);
	if (!n)
		return -ENOMEM;
	n->be.ops = &native_ops;
	struct dp_config dc = *c;
	dc.on_event = on_event;
	dc.event_arg = n;
	int r = dp_start(&dc, &n->dp, err, errlen);
	if (r < 0) {
		free(n);
		return r;
	}
	*out = &n->be;
	return 0;
}

struct dp *vm_native_dp(struct vm_backend *be)
{
	if (vm_process_inner(be)) /* the native backend under a process backend */
		be = vm_process_inner(be);
	return be && be->ops == &native_ops ? ((struct native *)be)->dp : NULL;
}
