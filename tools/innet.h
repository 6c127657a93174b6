/* The `innet` command: one entry per subcommand, each in its own file. */
#ifndef INNET_TOOLS_INNET_H
#define INNET_TOOLS_INNET_H

#include <stddef.h>

/* argv[0] is the subcommand name. Returns the process exit code. */
int cmd_click(int argc, char **argv);
int cmd_verify(int argc, char **argv);
/* online (cmd_remote.c): talk to an innetd over HTTP */
int cmd_deploy(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_network(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_tenant(int argc, char **argv);
int cmd_stock(int argc, char **argv);

/* A whole input file (path "-": standard input), capped at 64 MiB as
 * innetd caps its network file; len may be NULL. NULL with errno set when
 * it cannot be read. */
char *innet_read_file(const char *path, size_t *len);

#endif
