/* innetd: configuration, then the subsystems, then the event loop. */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"

int main(int argc, char **argv)
{
	struct cfg cfg;
	char *err = NULL;
	int rc = cfg_load(&cfg, argc, argv, &err);
	if (rc) {
		if (rc < 0)
			fprintf(stderr, "innetd: %s\n", err ? err : "bad configuration");
		free(err);
		cfg_free(&cfg);
		return rc < 0 ? 2 : 0;
	}
	log_info("main", "innetd %s", INNET_VERSION);
	cfg_free(&cfg);
	return 0;
}
