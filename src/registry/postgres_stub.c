/* The PostgreSQL backend of an innetd built without libpq (meson option
 * postgresql, Debian's libpq-dev): opening fails with a clear error. */
#include <errno.h>
#include <stdio.h>

#include "registry/internal.h"

static int stub_open(struct registry *r, const char *spec, char *err, size_t errlen)
{
	snprintf(err, errlen, "innetd was built without PostgreSQL support "
	         "(install libpq-dev and rebuild with -Dpostgresql=enabled)");
	return -ENOTSUP;
}

static void stub_close(struct registry *r)
{
}

/* Only open and close are ever called: open fails. */
const struct reg__backend reg__postgres_backend = {
	.name = "postgresql",
	.dialect = REG__POSTGRES,
	.open = stub_open,
	.close = stub_close,
};

/* No listener either: innetd runs alone on SQLite. */
int reg_listener_new(const char *spec, struct reg_listener **out)
{
	*out = NULL;
	return -ENOTSUP;
}

int reg_listener_fd(const struct reg_listener *l)
{
	return -1;
}

bool reg_listener_ready(const struct reg_listener *l)
{
	return false;
}

int reg_listener_step(struct reg_listener *l, void (*note)(void *ud, const char *payload), void *ud)
{
	return -ENOTSUP;
}

void reg_listener_free(struct reg_listener *l)
{
}
