/* innet: the command for tenants and operators. Offline subcommands need
 * no server; online ones talk to an innetd over HTTP. Here: the dispatch,
 * and the input-file reader the subcommands share. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/file.h"
#include "innet.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{"click", cmd_click, "check|flatten|dot FILE...|catalogue: Click configurations offline"},
	{"verify", cmd_verify, "--network NET.json ...: check requirements offline"},
	{"deploy", cmd_deploy, "FILE.json | --name N --config F.click ...: deploy a module"},
	{"check", cmd_check, "FILE.json | --name N ...: dry run of a deploy (verdict, platform, report)"},
	{"ls", cmd_ls, "[--all]: list your modules (--all: the killed ones too)"},
	{"show", cmd_show, "ID: a module's state, verdict and report with traces"},
	{"rm", cmd_rm, "ID... | --tenant NAME|ID: kill modules; delete a tenant with its modules"},
	{"network", cmd_network, "put FILE.json | get: the operator's network snapshot"},
	{"policy", cmd_policy, "add \"TEXT\" [--force] | ls | rm ID: operator policy"},
	{"tenant", cmd_tenant, "add NAME --kind K ... | ls | rm ID | suspend|resume|rotate|set: tenants"},
	{"stock", cmd_stock, "list the stock modules and their parameters"},
};

char *innet_read_file(const char *path, size_t *len)
{
	char *text = NULL;
	int rc = file_read_all(path, 64u << 20, &text, len);
	if (rc)
		errno = -rc;
	return rc ? NULL : text;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: innet COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("innet %s\n", INNET_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "innet: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
