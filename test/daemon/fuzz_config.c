/* libFuzzer: the configuration file parser never crashes or leaks, and every
 * refusal says file:line:column. */
#include <errno.h>
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
	struct diags d;
	diags_init(&d);
	int rc = cfg_parse_text(&c, "f.conf", (const char *)data, size, &d);
	if (rc == -EINVAL && (d.n != 1 || !d.v[0].file || strcmp(d.v[0].file, "f.conf") || !d.v[0].line || !d.v[0].col))
		abort();
	if (!rc && d.n)
		abort();
	diags_free(&d);
	cfg_free(&c);
	return 0;
}
