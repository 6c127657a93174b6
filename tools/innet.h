/* The `innet` command: one entry per subcommand, each in its own file. */
#ifndef INNET_TOOLS_INNET_H
#define INNET_TOOLS_INNET_H

/* argv[0] is the subcommand name. Returns the process exit code. */
int cmd_click(int argc, char **argv);
int cmd_verify(int argc, char **argv);

#endif
