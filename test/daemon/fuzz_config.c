/* libFuzzer: the configuration file parser never crashes or leaks, and every
 * refusal says file:line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg c;
	if (cfg_init(&c))
		abort();
	char *err = NULL;
	int rc = cfg_parse_text(&c, "f.conf", (const char *)data, size, &err);
	if (rc && (!err || strncmp(err, "f.conf:", 7)))
		abort();
	if (!rc && err)
		abort();
	free(err);
	cfg_free(&c);
	return 0;
}
