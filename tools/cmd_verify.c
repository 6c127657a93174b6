/* innet verify: check requirements against a network snapshot offline,
 * optionally with a module placed on a platform (or spliced into a link).
 * Exit 0 when every statement holds, 3 when one fails, 2 on usage, parse
 * or name errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/file.h"
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
	        "                     | --inline NODE:PORT,NODE:PORT)] [--json]\n"
	        "Checks every statement (docs/requirements.md) and prints its verdict and trace.\n"
	        "Exit: 0 all hold, 3 one fails, 2 usage or parse errors.\n");
}

/* Inputs are read the way innetd reads its network file, with the same
 * 64 MiB cap; NULL with errno set when one cannot be read. */
static char *slurp(const char *path, size_t *len)
{
	char *text = NULL;
	int rc = file_read_all(path, 64u << 20, &text, len);
	if (rc) {
		errno = -rc;
		return NULL;
	}
	return text;
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

int cmd_verify(int argc, char **argv)
{
	const char *net_path = NULL, *module = NULL, *platform = NULL, *address = NULL, *inl = NULL;
	const char *reqs[MAX_FILES];
	size_t nreqs = 0;
	bool json = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--json")) {
			json = true;
			continue;
		} else if (!strcmp(a, "--network")) {
			dst = &net_path;
		} else if (!strcmp(a, "--module")) {
			dst = &module;
		} else if (!strcmp(a, "--platform")) {
			dst = &platform;
		} else if (!strcmp(a, "--address")) {
			dst = &address;
		} else if (!strcmp(a, "--inline")) {
			dst = &inl;
		} else if (!strcmp(a, "--policy") || !strcmp(a, "--requirements")) {
			if (nreqs == MAX_FILES) {
				fprintf(stderr, "innet verify: too many statement files\n");
				return 2;
			}
			dst = &reqs[nreqs++];
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
	if (!net_path || !nreqs || (module && !platform && !inl) || (!module && (platform || inl))) {
		usage(stderr);
		return 2;
	}
	int code = 2;
	struct diags d;
	diags_init(&d);
	size_t nlen = 0;
	char *ntext = slurp(net_path, &nlen);
	char *rtext[MAX_FILES] = {0};
	struct src_file rsrc[MAX_FILES];
	char *mtext = NULL;
	struct snapshot *snap = NULL;
	struct vfy_base *base = NULL;
	struct vfy_net *net = NULL;
	struct vfy_reqs *all = NULL;
	struct vfy_report *rep = NULL;
	if (!ntext) {
		fprintf(stderr, "innet verify: %s: %s\n", net_path, strerror(errno));
		goto out;
	}
	if (snapshot_parse(ntext, nlen, &snap, &d) < 0 || vfy_base_build(snap, &base, &d) < 0) {
		diags_print(stderr, &d);
		fprintf(stderr, "innet verify: %s: the network cannot be loaded\n", net_path);
		goto out;
	}
	net = vfy_net_new(base);
	if (!net)
		goto out;
	if (module) {
		const char *eq = strchr(module, '=');
		if (!eq || eq == module) {
			fprintf(stderr, "innet verify: --module wants NAME=FILE.click\n");
			goto out;
		}
		char *name = strndup(module, (size_t)(eq - module));
		size_t mlen;
		mtext = slurp(eq + 1, &mlen);
		if (!mtext || !name) {
			fprintf(stderr, "innet verify: %s: %s\n", eq + 1, strerror(errno));
			free(name);
			goto out;
		}
		struct vfy_module m = {.name = name, .click = mtext};
		char *a = NULL, *b = NULL;
		if (platform) {
			int pi = snapshot_find(snap, platform);
			if (pi < 0 || snap->nodes[pi].type != SNAP_PLATFORM) {
				fprintf(stderr, "innet verify: no platform named '%s'\n", platform);
				free(name);
				goto out;
			}
			const struct snap_node *pn = &snap->nodes[pi];
			m.platform = platform;
			if (address) {
				if (inet_parse_addr(address, strlen(address), &m.address) < 0) {
					fprintf(stderr, "innet verify: '%s' is not an IPv4 address\n", address);
					free(name);
					goto out;
				}
			} else {
				/* the first address of the pool that is neither its network
				 * address nor the platform's own */
				uint32_t lo = pn->pool.addr, hi = lo | ~inet_mask(pn->pool.len);
				m.address = lo + 1;
				if (m.address == pn->address)
					m.address++;
				if (m.address > hi)
					m.address = lo;
			}
		} else {
			const char *comma = strchr(inl, ',');
			if (!comma) {
				fprintf(stderr, "innet verify: --inline wants NODE:PORT,NODE:PORT\n");
				free(name);
				goto out;
			}
			a = strndup(inl, (size_t)(comma - inl));
			b = strdup(comma + 1);
			m.inline_a = a;
			m.inline_b = b;
		}
		int rc = vfy_net_add_module(net, &m, &d);
		free(a);
		free(b);
		free(name);
		if (rc < 0) {
			diags_print(stderr, &d);
			fprintf(stderr, "innet verify: the module cannot be added\n");
			goto out;
		}
		if (platform && !json) {
			char buf[16];
			printf("module %.*s on %s at %s\n\n", (int)(eq - module), module, platform,
			       inet_format_addr(m.address, buf));
		}
	}
	for (size_t i = 0; i < nreqs; i++) {
		size_t len;
		rtext[i] = slurp(reqs[i], &len);
		if (!rtext[i]) {
			fprintf(stderr, "innet verify: %s: %s\n", reqs[i], strerror(errno));
			goto out;
		}
		rsrc[i] = (struct src_file){reqs[i], rtext[i], len};
		struct vfy_reqs *r = NULL;
		if (vfy_reqs_parse(&rsrc[i], &r, &d) < 0) {
			diags_print(stderr, &d);
			goto out;
		}
		if (!all)
			all = r;
		else if (vfy_reqs_append(all, r) < 0)
			goto out;
	}
	int rc = vfy_check(net, all, NULL, &rep);
	if (rc < 0) {
		fprintf(stderr, "innet verify: %s\n", strerror(-rc));
		goto out;
	}
	json_t *j = vfy_report_json(rep);
	if (json) {
		json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		print_report(j);
	}
	json_decref(j);
	code = 0;
	for (size_t i = 0; i < vfy_report_count(rep); i++) {
		struct vfy_result r;
		vfy_report_result(rep, i, &r);
		if (r.verdict == VFY_ERROR)
			code = 2;
		else if (r.verdict == VFY_FAILS && code == 0)
			code = 3;
	}
out:
	vfy_report_free(rep);
	vfy_reqs_free(all);
	vfy_net_free(net);
	vfy_base_unref(base);
	snapshot_unref(snap);
	free(ntext);
	free(mtext);
	for (size_t i = 0; i < nreqs; i++)
		free(rtext[i]);
	diags_free(&d);
	return code;
}
