#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/file.h"

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

const char *th_source_path(const char *rel)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "%s/%s", env_or("INNET_SOURCE_DIR", "."), rel);
	return buf;
}

const char *th_example_path(const char *name)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "%s/examples/%s", env_or("INNET_SOURCE_DIR", "."), name);
	return buf;
}

char *th_read_file(const char *path, size_t *len)
{
	char *text = NULL;
	int rc = file_read_all(path, 256u << 20, &text, len);
	if (rc)
		errno = -rc;
	return rc ? NULL : text;
}
