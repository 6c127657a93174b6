/* Saved module states (docs/stateful.md): one row per stateful module,
 * replaced on each suspend, deleted with the module. And modules' live
 * states as their PoP's innetd reports them (module_runtime). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"

enum { ST_PUT, ST_GET, ST_INFO, ST_DELETE, ST_RT_PUT, ST_RT_GET, ST_COUNT };
_Static_assert(ST_COUNT <= REG__STATE_STMTS, "struct registry holds every statement");

static const char *const sql[ST_COUNT] = {
	/* only for a live module: a state that arrives after a kill is not kept */
	[ST_PUT] = "INSERT INTO module_state(module_id, state, bytes, saved_at) "
	           "SELECT ?1, ?2, ?3, {now} FROM modules "
	           "WHERE id = ?1 AND state <> 'killed' ON CONFLICT(module_id) DO UPDATE SET "
	           "state = excluded.state, bytes = excluded.bytes, saved_at = excluded.saved_at",
	[ST_GET] = "SELECT bytes, saved_at, state FROM module_state WHERE module_id = ?1",
	[ST_INFO] = "SELECT bytes, saved_at FROM module_state WHERE module_id = ?1",
	[ST_DELETE] = "DELETE FROM module_state WHERE module_id = ?1",
	[ST_RT_PUT] = "INSERT INTO module_runtime(module_id, pop, runtime, updated_at) "
	              "SELECT ?1, ?2, ?3, {now} FROM modules "
	              "WHERE id = ?1 AND state <> 'killed' ON CONFLICT(module_id) DO UPDATE SET "
	              "pop = excluded.pop, runtime = excluded.runtime, updated_at = excluded.updated_at",
	[ST_RT_GET] = "SELECT pop, runtime, updated_at FROM module_runtime WHERE module_id = ?1",
};

static struct reg__stmt *stmt(struct registry *r, int id)
{
	return reg__stmt(r, &r->state_stmts[id], sql[id]);
}

void reg_module_state_release(struct reg_module_state *s)
{
	free(s->state);
	free(s->saved_at);
	memset(s, 0, sizeof *s);
}

int reg_module_state_put(struct registry *r, int64_t id, const void *state, size_t len)
{
	struct reg__stmt *st = stmt(r, ST_PUT);
	if (!st)
		return -EIO;
	reg__bind_int64(r, st, 1, id);
	reg__bind_blob(r, st, 2, state, len);
	reg__bind_int64(r, st, 3, (int64_t)len);
	int rc = reg__exec(r, st);
	if (rc)
		return rc;
	return reg__changes(r, st) ? 0 : -ENOENT;
}

/* The row's blob into out (copied). */
static int copy_blob(struct registry *r, struct reg__stmt *st, struct reg_module_state *out)
{
	size_t n;
	const void *b = reg__col_blob(r, st, 2, &n);
	out->state = malloc(n ? n : 1);
	if (!out->state)
		return -ENOMEM;
	if (n)
		memcpy(out->state, b, n);
	out->len = n;
	return 0;
}

int reg_module_state_get(struct registry *r, int64_t id, bool bytes, struct reg_module_state *out)
{
	memset(out, 0, sizeof *out);
	struct reg__stmt *st = stmt(r, bytes ? ST_GET : ST_INFO);
	if (!st)
		return -EIO;
	reg__bind_int64(r, st, 1, id);
	int rc = reg__step(r, st);
	if (rc <= 0) {
		r->be->reset(st);
		return rc ? rc : -ENOENT;
	}
	out->len = (size_t)reg__col_int64(r, st, 0);
	out->saved_at = reg__dupcol(r, st, 1);
	rc = out->saved_at ? 0 : -ENOMEM;
	if (!rc && bytes)
		rc = copy_blob(r, st, out);
	r->be->reset(st);
	if (rc)
		reg_module_state_release(out);
	return rc;
}

int reg_module_state_delete(struct registry *r, int64_t id)
{
	struct reg__stmt *st = stmt(r, ST_DELETE);
	if (!st)
		return -EIO;
	reg__bind_int64(r, st, 1, id);
	return reg__exec(r, st);
}

int reg_module_runtime_put(struct registry *r, int64_t id, const char *pop, const char *json)
{
	struct reg__stmt *st = stmt(r, ST_RT_PUT);
	if (!st)
		return -EIO;
	reg__bind_int64(r, st, 1, id);
	reg__bind_text(r, st, 2, pop);
	reg__bind_text(r, st, 3, json);
	int rc = reg__exec(r, st);
	if (rc)
		return rc;
	return reg__changes(r, st) ? 0 : -ENOENT;
}

int reg_module_runtime_get(struct registry *r, int64_t id, char **pop, char **json, char **at)
{
	*pop = *json = *at = NULL;
	struct reg__stmt *st = stmt(r, ST_RT_GET);
	if (!st)
		return -EIO;
	reg__bind_int64(r, st, 1, id);
	int rc = reg__step(r, st);
	if (rc == 1) {
		*pop = reg__dupcol(r, st, 0);
		*json = reg__dupcol(r, st, 1);
		*at = reg__dupcol(r, st, 2);
		rc = *pop && *json && *at ? 0 : -ENOMEM;
	} else if (rc == 0) {
		rc = -ENOENT;
	}
	r->be->reset(st);
	if (rc) {
		free(*pop);
		free(*json);
		free(*at);
		*pop = *json = *at = NULL;
	}
	return rc;
}
