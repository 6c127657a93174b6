#include <stdio.h>

#include "innet.h"

int cmd_click(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "innet %s: not built yet\n", argv[0]);
	return 2;
}
