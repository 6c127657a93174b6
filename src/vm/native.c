/* The native backend: modules run in the DPDK fast path with the built-in
 * Click runtime. A deployed module keeps only its text and its classifier
 * entry; starting parses it, instantiates the runtime module (all element
 * state in one block) and publishes it; stopping frees that block. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"
#include "elements/element.h"
#include "base/idmap.h"
#include "vm/vm.h"

enum { CK_ADD = 1, CK_START, CK_STOP, CK_REMOVE };

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
};

static void on_event(void *arg, const struct dp_event *ev)
{
	struct native *n = arg;
	if (!n->be.mgr)
		return;
	if (ev->type == DP_EV_NEW_FLOW)
		vm_mgr_notify(n->be.mgr, ev->module, VM_NOTE_NEW_FLOW, 0, ev);
	else if (ev->cookie == CK_START)
		vm_mgr_notify(n->be.mgr, ev->module, VM_NOTE_STARTED, ev->status, ev);
	else if (ev->cookie == CK_STOP)
		vm_mgr_notify(n->be.mgr, ev->module, VM_NOTE_STOPPED, ev->status, ev);
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
	free(in->key);
	free(in->name);
	free(in->click);
	free(in);
}

static int parse(const struct ninst *in, struct click_graph **g, struct diags *d)
{
	struct src_file src = {.name = in->name, .text = in->click, .len = strlen(in->click)};
	struct click_options opt = {.lookup = elem_class_find, .defines = in->defines, .ndefines = in->ndefines};
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
	return dp_module_run(n->dp, in->id, prog, CK_START);
}

static int n_stop(struct vm_backend *be, void *inst)
{
	struct native *n = (struct native *)be;
	return dp_module_halt(n->dp, ((struct ninst *)inst)->id, CK_STOP);
}

static int n_nosup(struct vm_backend *be, void *inst)
{
	(void)be;
	(void)inst;
	return -ENOTSUP; /* the runtime cannot save a module's state yet */
}

static void n_destroy(struct vm_backend *be, void *inst)
{
	struct native *n = (struct native *)be;
	struct ninst *in = inst;
	if (in && in->added)
		dp_module_remove(n->dp, in->id, CK_REMOVE);
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
	free(n);
}

static const struct vm_backend_ops native_ops = {
	.name = "native",
	.create = n_create,
	.start = n_start,
	.stop = n_stop,
	.suspend = n_nosup,
	.resume = n_nosup,
	.destroy = n_destroy,
	.stats = n_stats,
	.free = n_free,
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
	return be && be->ops == &native_ops ? ((struct native *)be)->dp : NULL;
}
