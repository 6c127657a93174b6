/* innet click check|flatten|dot|run: read Click configurations offline.
 * Exit 0 valid, 1 invalid, 2 usage. innet click catalogue: the element
 * classes as Markdown (docs/elements.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "click/click.h"
#include "elements/element.h"
#include "innet.h"
#include "runtime/runtime.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: innet click check [-D NAME=VALUE]... FILE...\n"
	        "       innet click flatten [-D NAME=VALUE]... FILE\n"
	        "       innet click dot [-D NAME=VALUE]... FILE\n"
	        "       innet click run FILE --in IN.pcap --out OUT.pcap [--dev N] [--drain S] [-D NAME=VALUE]...\n"
	        "       innet click catalogue\n"
	        "FILE may be '-' for standard input. -D defines $NAME before parsing\n"
	        "(like $MODULE_IP), overriding the file's own define().\n");
}

/* The element catalogue from the class table; takes no arguments. */
static int catalogue(int argc, char **argv)
{
	if (argc > 2) {
		fprintf(stderr, "innet click catalogue: unexpected argument '%s'\n", argv[2]);
		return 2;
	}
	return elem_catalogue_write_markdown(stdout) ? 1 : 0;
}

int cmd_click(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *mode = argv[1];
	if (!strcmp(mode, "-h") || !strcmp(mode, "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(mode, "run")) /* the runtime on a capture (src/runtime/pcaprun.c) */
		return rt_click_run_main(argc - 2, argv + 2);
	if (!strcmp(mode, "catalogue"))
		return catalogue(argc, argv);
	if (strcmp(mode, "check") && strcmp(mode, "flatten") && strcmp(mode, "dot")) {
		fprintf(stderr, "innet click: unknown subcommand '%s'\n", mode);
		usage(stderr);
		return 2;
	}
	struct click_define *defs = calloc((size_t)argc + 1, sizeof *defs);
	const char **files = calloc((size_t)argc + 1, sizeof *files);
	size_t ndefs = 0, nfiles = 0;
	int rc = 0;
	if (!defs || !files) {
		rc = 2;
		goto out;
	}
	for (int i = 2; i < argc; i++) {
		const char *d = NULL;
		if (!strcmp(argv[i], "-D")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "innet click: -D needs NAME=VALUE\n");
				rc = 2;
				goto out;
			}
			d = argv[++i];
		} else if (!strncmp(argv[i], "-D", 2))
			d = argv[i] + 2;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			goto out;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "innet click: unknown option '%s'\n", argv[i]);
			usage(stderr);
			rc = 2;
			goto out;
		} else {
			files[nfiles++] = argv[i];
			continue;
		}
		const char *eq = strchr(d, '=');
		if (!eq || eq == d) {
			fprintf(stderr, "innet click: -D needs NAME=VALUE, got '%s'\n", d);
			rc = 2;
			goto out;
		}
		char *name = strndup(d[0] == '$' ? d + 1 : d, (size_t)(eq - d) - (d[0] == '$'));
		defs[ndefs].name = name;
		defs[ndefs].value = eq + 1;
		ndefs++;
	}
	if (!nfiles || (strcmp(mode, "check") && nfiles != 1)) {
		usage(stderr);
		rc = 2;
		goto out;
	}
	struct click_options opt = {.lookup = elem_class_find, .why_unknown = elem_class_why_unknown};
	opt.defines = defs;
	opt.ndefines = ndefs;
	for (size_t i = 0; i < nfiles; i++) {
		size_t len = 0;
		char *text = innet_read_file(files[i], &len);
		if (!text) {
			fprintf(stderr, "innet click: %s: %s\n", files[i], strerror(errno ? errno : EIO));
			rc = 1;
			continue;
		}
		struct src_file src = {strcmp(files[i], "-") ? files[i] : "<stdin>", text, len};
		struct diags d;
		diags_init(&d);
		struct click_graph *g = NULL;
		int r = click_parse(&src, &opt, &g, &d);
		diags_print(stderr, &d);
		diags_free(&d);
		if (r < 0) {
			rc = 1;
		} else if (!strcmp(mode, "flatten")) {
			if (click_graph_write(g, stdout))
				rc = 1;
		} else if (!strcmp(mode, "dot")) {
			if (click_graph_write_dot(g, stdout))
				rc = 1;
		}
		click_graph_free(g);
		free(text);
	}
out:
	for (size_t i = 0; i < ndefs; i++)
		free((char *)defs[i].name);
	free(defs);
	free(files);
	return rc;
}
