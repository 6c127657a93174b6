/* Changes made by other innetd on the same PostgreSQL registry: a second
 * connection that LISTENs on one channel, driven without blocking (libpq's
 * asynchronous connect and input), so that innetd's event loop can poll
 * its socket (daemon/watch.c). Writers publish with reg_notify inside
 * their transaction: PostgreSQL delivers a notification only when (and
 * if) the transaction commits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "base/log.h"
#include "registry/internal.h"

#define CHANNEL "innet_changes"

enum phase { CONNECTING, LISTENING, READY };

struct reg_listener {
	PGconn *c;
	enum phase phase;
	char where[256];
};

static int fail(struct reg_listener *l, const char *what)
{
	char msg[300];
	snprintf(msg, sizeof msg, "%s", PQerrorMessage(l->c));
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	log_warn("registry", "postgresql listener (%s): %s: %s", l->where, what, msg);
	return -EIO;
}

int reg_listener_new(const char *spec, struct reg_listener **out)
{
	*out = NULL;
	if (!reg_spec_is_postgres(spec))
		return -ENOTSUP; /* SQLite: one process, nobody else writes */
	struct reg_listener *l = calloc(1, sizeof *l);
	if (!l)
		return -ENOMEM;
	const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
	const char *const vals[] = {"5", "innetd-listener", spec, NULL};
	l->c = PQconnectStartParams(keys, vals, 1);
	if (!l->c || PQstatus(l->c) == CONNECTION_BAD) {
		int rc = l->c ? fail(l, "connecting") : -ENOMEM;
		reg_listener_free(l);
		return rc;
	}
	snprintf(l->where, sizeof l->where, "%s", PQhost(l->c) ? PQhost(l->c) : "(default)");
	*out = l;
	return 0;
}

int reg_listener_fd(const struct reg_listener *l)
{
	return PQsocket(l->c);
}

bool reg_listener_ready(const struct reg_listener *l)
{
	return l->phase == READY;
}

static int step_connect(struct reg_listener *l)
{
	switch (PQconnectPoll(l->c)) {
	case PGRES_POLLING_READING:
		return REG_LISTEN_READ;
	case PGRES_POLLING_WRITING:
		return REG_LISTEN_WRITE;
	case PGRES_POLLING_OK:
		break;
	default:
		return fail(l, "connecting");
	}
	if (PQsetnonblocking(l->c, 1) || !PQsendQuery(l->c, "LISTEN " CHANNEL))
		return fail(l, "LISTEN");
	l->phase = LISTENING;
	return PQflush(l->c) ? REG_LISTEN_READ | REG_LISTEN_WRITE : REG_LISTEN_READ;
}

/* The LISTEN's results, once they are all in; then notifications. */
static int step_input(struct reg_listener *l, void (*note)(void *ud, const char *payload), void *ud)
{
	if (!PQconsumeInput(l->c))
		return fail(l, "reading");
	while (l->phase == LISTENING && !PQisBusy(l->c)) {
		PGresult *res = PQgetResult(l->c);
		if (!res) {
			l->phase = READY;
			log_info("registry", "postgresql listener (%s): listening for changes", l->where);
			break;
		}
		bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		PQclear(res);
		if (!ok)
			return fail(l, "LISTEN");
	}
	PGnotify *n;
	while ((n = PQnotifies(l->c))) {
		if (note)
			note(ud, n->extra ? n->extra : "");
		PQfreemem(n);
	}
	if (PQstatus(l->c) == CONNECTION_BAD)
		return fail(l, "connection lost");
	return PQflush(l->c) > 0 ? REG_LISTEN_READ | REG_LISTEN_WRITE : REG_LISTEN_READ;
}

int reg_listener_step(struct reg_listener *l, void (*note)(void *ud, const char *payload), void *ud)
{
	if (l->phase == CONNECTING)
		return step_connect(l);
	return step_input(l, note, ud);
}

void reg_listener_free(struct reg_listener *l)
{
	if (!l)
		return;
	PQfinish(l->c);
	free(l);
}
