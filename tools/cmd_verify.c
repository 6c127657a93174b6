/* innet verify: check requirements against a network snapshot offline,
 * optionally with a module placed on a platform (or spliced into a link).
 * Exit 0 when every statement holds, 3 when one fails, 2 on usage, parse
 * or name errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/inet.h"
#include "innet.h"
#include "out.h"
#include "snapshot/snapshot.h"
#include "trace.h"
#include "verify/verify.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: innet verify --network NET.json [--policy P.reach]... [--requirements R.reach]...\n"
	        "                    [--module NAME=FILE.click (--platform PLATFORM [--address A.B.C.D]\n"
	        "                     | --inline NODE:PORT,NODE:PORT)] [--json] [--hop-by-hop]\n"
	        "Checks every statement (docs/requirements.md) and prints its verdict and trace.\n"
	        "--hop-by-hop: cross routers one by one, not by the network's router summaries\n"
	        "(the same verdicts; for comparing and measuring).\n"
	        "Exit: 0 all hold, 3 one fails, 2 usage or parse errors.\n");
}

/* What a result's trace shows: a flow that reaches (or comes closest),
 * or one that breaks an always/never. */
static const char *trace_role(json_t *res)
{
	if (strcmp(out_jstr(res, "kind"), "reach"))
		return "violating flow";
	return strcmp(out_jstr(res, "verdict"), "holds") ? "closest flow" : "witness";
}

/* The trace's concrete packet, "field=value" for every field. */
static void print_witness(json_t *trace)
{
	char line[1024];
	size_t n = 0;
	const char *key;
	json_t *v;
	line[0] = '\0';
	json_object_foreach(json_object_get(trace, "witness"), key, v) {
		int w = snprintf(line + n, sizeof line - n, "%s%s=%s", n ? " " : "", key, json_string_value(v));
		if (w < 0 || (size_t)w >= sizeof line - n)
			break;
		n += (size_t)w;
	}
	out_print_wrapped(stdout, "    witness: ", 6, line);
}

/* The report for people, from its JSON form: per statement the verdict and
 * why, then its traces as `innet show` prints them (trace.h). */
static void print_report(json_t *rep)
{
	size_t i;
	json_t *res;
	json_array_foreach(json_object_get(rep, "results"), i, res) {
		char pre[64];
		snprintf(pre, sizeof pre, "%s%s%s: ", out_jstr(res, "verdict"),
		         json_is_true(json_object_get(res, "vacuous")) ? " (vacuous)" : "",
		         json_is_true(json_object_get(res, "approximate")) ? " (approximate)" : "");
		out_print_wrapped(stdout, pre, 2, out_jstr(res, "statement"));
		if (*out_jstr(res, "message"))
			out_print_wrapped(stdout, "  ", 2, out_jstr(res, "message"));
		json_t *tr = json_object_get(res, "trace");
		if (json_is_object(tr)) {
			printf("  trace (%s):\n", trace_role(res));
			trace_print(stdout, tr, "    ");
			print_witness(tr);
		}
		tr = json_object_get(res, "loop_trace");
		if (json_is_object(tr)) {
			printf("  a looping flow was cut:\n");
			trace_print(stdout, tr, "    ");
		}
		putchar('\n');
	}
}

#define MAX_FILES 32

struct args {
	const char *net_path, *module, *platform, *address, *inl;
	const char *reqs[MAX_FILES];
	size_t nreqs;
	bool json, help, hop_by_hop;
};

/* The command line into o: 0, or 2 (the exit code of a usage error, said
 * on stderr). */
static int parse_args(int argc, char **argv, struct args *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			o->help = true;
			return 0;
		} else if (!strcmp(a, "--json")) {
			o->json = true;
			continue;
		} else if (!strcmp(a, "--hop-by-hop")) {
			o->hop_by_hop = true;
			continue;
		} else if (!strcmp(a, "--network")) {
			dst = &o->net_path;
		} else if (!strcmp(a, "--module")) {
			dst = &o->module;
		} else if (!strcmp(a, "--platform")) {
			dst = &o->platform;
		} else if (!strcmp(a, "--address")) {
			dst = &o->address;
		} else if (!strcmp(a, "--inline")) {
			dst = &o->inl;
		} else if (!strcmp(a, "--policy") || !strcmp(a, "--requirements")) {
			if (o->nreqs == MAX_FILES) {
				fprintf(stderr, "innet verify: too many statement files\n");
				return 2;
			}
			dst = &o->reqs[o->nreqs++];
		} else {
			fprintf(stderr, "innet verify: unknown argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "innet verify: %s needs a value\n", a);
			return 2;
		}
		*dst = argv[++i];
	}
	if (!o->net_path || !o->nreqs || (o->module && !o->platform && !o->inl) ||
	    (!o->module && (o->platform || o->inl))) {
		usage(stderr);
		return 2;
	}
	return 0;
}

/* What one run holds, released by run_release: the texts live as long as
 * the parsed forms that point into them. */
struct run {
	struct diags d;
	char *ntext, *mtext, *rtext[MAX_FILES];
	struct src_file rsrc[MAX_FILES];
	struct snapshot *snap;
	struct vfy_base *base;
	struct vfy_net *net;
	struct vfy_reqs *all;
	struct vfy_report *rep;
};

static void run_release(struct run *r)
{
	vfy_report_free(r->rep);
	vfy_reqs_free(r->all);
	vfy_net_free(r->net);
	vfy_base_unref(r->base);
	snapshot_unref(r->snap);
	free(r->ntext);
	free(r->mtext);
	for (size_t i = 0; i < MAX_FILES; i++)
		free(r->rtext[i]);
	diags_free(&r->d);
}

/* The network file into r->snap, r->base and an empty r->net. */
static int load_network(struct run *r, const char *path)
{
	size_t nlen = 0;
	r->ntext = innet_read_file(path, &nlen);
	if (!r->ntext) {
		int e = errno;
		fprintf(stderr, "innet verify: %s: %s\n", path, strerror(e));
		return e ? -e : -EIO;
	}
	if (snapshot_parse(r->ntext, nlen, &r->snap, &r->d) < 0 || vfy_base_build(r->snap, &r->base, &r->d) < 0) {
		diags_print(stderr, &r->d);
		fprintf(stderr, "innet verify: %s: the network cannot be loaded\n", path);
		return -EINVAL;
	}
	r->net = vfy_net_new(r->base);
	return r->net ? 0 : -ENOMEM;
}

/* The first address of the pool that is neither its network address nor
 * the platform's own. */
static uint32_t default_address(const struct snap_node *pn)
{
	uint32_t lo = pn->pool.addr, hi = lo | ~inet_mask(pn->pool.len);
	uint32_t a = lo + 1;
	if (a == pn->address)
		a++;
	return a > hi ? lo : a;
}

/* m on --platform, at --address or the pool's first free-looking one. */
static int place_on_platform(const struct run *r, const struct args *o, struct vfy_module *m)
{
	int pi = snapshot_find(r->snap, o->platform);
	if (pi < 0 || r->snap->nodes[pi].type != SNAP_PLATFORM) {
		fprintf(stderr, "innet verify: no platform named '%s'\n", o->platform);
		return -EINVAL;
	}
	m->platform = o->platform;
	if (!o->address) {
		m->address = default_address(&r->snap->nodes[pi]);
	} else if (inet_parse_addr(o->address, strlen(o->address), &m->address) < 0) {
		fprintf(stderr, "innet verify: '%s' is not an IPv4 address\n", o->address);
		return -EINVAL;
	}
	return 0;
}

/* m spliced into the link --inline names; *a and *b the caller frees. */
static int place_inline(const struct args *o, struct vfy_module *m, char **a, char **b)
{
	const char *comma = strchr(o->inl, ',');
	if (!comma) {
		fprintf(stderr, "innet verify: --inline wants NODE:PORT,NODE:PORT\n");
		return -EINVAL;
	}
	m->inline_a = *a = strndup(o->inl, (size_t)(comma - o->inl));
	m->inline_b = *b = strdup(comma + 1);
	return 0;
}

/* --module NAME=FILE.click into r->net, placed as the arguments say. */
static int add_module(struct run *r, const struct args *o)
{
	const char *eq = strchr(o->module, '=');
	if (!eq || eq == o->module) {
		fprintf(stderr, "innet verify: --module wants NAME=FILE.click\n");
		return -EINVAL;
	}
	char *name = strndup(o->module, (size_t)(eq - o->module)), *a = NULL, *b = NULL;
	r->mtext = innet_read_file(eq + 1, NULL);
	if (!r->mtext || !name) {
		fprintf(stderr, "innet verify: %s: %s\n", eq + 1, strerror(errno));
		free(name);
		return -EINVAL;
	}
	struct vfy_module m = {.name = name, .click = r->mtext};
	int rc = o->platform ? place_on_platform(r, o, &m) : place_inline(o, &m, &a, &b);
	if (rc == 0 && (rc = vfy_net_add_module(r->net, &m, &r->d)) < 0) {
		diags_print(stderr, &r->d);
		fprintf(stderr, "innet verify: the module cannot be added\n");
	}
	if (rc == 0 && o->platform && !o->json) {
		char buf[16];
		printf("module %s on %s at %s\n\n", name, o->platform, inet_format_addr(m.address, buf));
	}
	free(a);
	free(b);
	free(name);
	return rc;
}

/* Every --policy and --requirements file, in order, into r->all. */
static int read_statements(struct run *r, const struct args *o)
{
	for (size_t i = 0; i < o->nreqs; i++) {
		size_t len;
		r->rtext[i] = innet_read_file(o->reqs[i], &len);
		if (!r->rtext[i]) {
			fprintf(stderr, "innet verify: %s: %s\n", o->reqs[i], strerror(errno));
			return -EINVAL;
		}
		r->rsrc[i] = (struct src_file){o->reqs[i], r->rtext[i], len};
		struct vfy_reqs *q = NULL;
		if (vfy_reqs_parse(&r->rsrc[i], &q, &r->d) < 0) {
			diags_print(stderr, &r->d);
			return -EINVAL;
		}
		if (!r->all)
			r->all = q;
		else if (vfy_reqs_append(r->all, q) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* 0 when every statement holds, 2 when one could not be checked, else 3
 * when one fails. */
static int exit_code(const struct vfy_report *rep)
{
	int code = 0;
	for (size_t i = 0; i < vfy_report_count(rep); i++) {
		struct vfy_result r;
		vfy_report_result(rep, i, &r);
		if (r.verdict == VFY_ERROR)
			code = 2;
		else if (r.verdict == VFY_FAILS && code == 0)
			code = 3;
	}
	return code;
}

int cmd_verify(int argc, char **argv)
{
	struct args o = {0};
	int code = parse_args(argc, argv, &o);
	if (code || o.help) {
		if (o.help)
			usage(stdout);
		return code;
	}
	struct run r = {0};
	diags_init(&r.d);
	code = 2;
	if (load_network(&r, o.net_path) < 0 || (o.module && add_module(&r, &o) < 0) ||
	    read_statements(&r, &o) < 0)
		goto cleanup;
	struct vfy_limits lim = {.hop_by_hop = o.hop_by_hop};
	int rc = vfy_check(r.net, r.all, &lim, &r.rep);
	if (rc < 0) {
		fprintf(stderr, "innet verify: %s\n", strerror(-rc));
		goto cleanup;
	}
	json_t *j = vfy_report_json(r.rep);
	if (o.json) {
		json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		print_report(j);
	}
	json_decref(j);
	code = exit_code(r.rep);
cleanup:
	run_release(&r);
	return code;
}
