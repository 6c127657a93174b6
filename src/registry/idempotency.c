/* Answers kept for Idempotency-Key retries (docs/pops.md): one row per
 * tenant and key, written in the transaction that stores what the request
 * did, so a retry (on this innetd or another on the same registry) gets
 * the same answer instead of doing it again. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"

enum { I_GET, I_EXPIRE, I_PUT, I_PRUNE, I_COUNT };
_Static_assert(I_COUNT <= REG__IDEM_STMTS, "struct registry holds every statement");

/* ?3 / ?1: the cutoff time (reg__time_cutoff), so that both backends
 * compare the same text */
static const char *const sql[I_COUNT] = {
	[I_GET] = "SELECT request_hash, status, body, module_id FROM idempotency "
	          "WHERE tenant_id = ?1 AND key = ?2 AND created_at >= ?3",
	[I_EXPIRE] = "DELETE FROM idempotency WHERE tenant_id = ?1 AND key = ?2 AND created_at < ?3",
	[I_PUT] = "INSERT INTO idempotency(tenant_id, key, request_hash, status, body, module_id, "
	          "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, {now})",
	/* the index on created_at: the scan stops after ?2 matches */
	[I_PRUNE] = "DELETE FROM idempotency WHERE (tenant_id, key) IN (SELECT tenant_id, key FROM "
	            "idempotency WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)",
};

static struct reg__stmt *stmt(struct registry *r, int id)
{
	return reg__stmt(r, &r->idem_stmts[id], sql[id]);
}

void reg_idem_release(struct reg_idem *e)
{
	free(e->body);
	memset(e, 0, sizeof *e);
}

static int idem_row(struct registry *r, struct reg__stmt *st, struct reg_idem *out)
{
	size_t len = 0;
	const void *hash = reg__col_blob(r, st, 0, &len);
	if (!hash || len != REG_HASH_LEN)
		return -EIO;
	memcpy(out->request_hash, hash, REG_HASH_LEN);
	out->status = (int)reg__col_int64(r, st, 1);
	out->body = reg__dupcol(r, st, 2);
	out->module_id = reg__col_null(r, st, 3) ? 0 : reg__col_int64(r, st, 3);
	return out->body ? 0 : -ENOMEM;
}

static void bind_key(struct registry *r, struct reg__stmt *st, int64_t tenant, const char *key,
                     int64_t max_age_ms)
{
	char cutoff[40];
	reg__time_cutoff(max_age_ms, cutoff, sizeof cutoff);
	reg__bind_int64(r, st, 1, tenant);
	reg__bind_text(r, st, 2, key);
	reg__bind_text(r, st, 3, cutoff);
}

int reg_idem_get(struct registry *r, int64_t tenant, const char *key, int64_t max_age_ms,
                 struct reg_idem *out)
{
	memset(out, 0, sizeof *out);
	struct reg__stmt *st = stmt(r, I_GET);
	if (!st)
		return -EIO;
	bind_key(r, st, tenant, key, max_age_ms);
	int rc = reg__step(r, st);
	if (rc == 1)
		rc = idem_row(r, st, out);
	else if (rc == 0)
		rc = -ENOENT;
	r->be->reset(st);
	if (rc)
		reg_idem_release(out);
	return rc;
}

int reg_idem_put(struct registry *r, int64_t tenant, const char *key, const struct reg_idem *e,
                 int64_t max_age_ms)
{
	struct reg__stmt *st = stmt(r, I_EXPIRE);
	if (!st)
		return -EIO;
	bind_key(r, st, tenant, key, max_age_ms);
	int rc = reg__exec(r, st);
	if (rc || !(st = stmt(r, I_PUT)))
		return rc ? rc : -EIO;
	reg__bind_int64(r, st, 1, tenant);
	reg__bind_text(r, st, 2, key);
	reg__bind_blob(r, st, 3, e->request_hash, REG_HASH_LEN);
	reg__bind_int64(r, st, 4, e->status);
	reg__bind_text(r, st, 5, e->body);
	if (e->module_id)
		reg__bind_int64(r, st, 6, e->module_id);
	return reg__exec(r, st);
}

int reg_idem_prune(struct registry *r, int64_t older_than_ms, int max_rows, int *deleted)
{
	*deleted = 0;
	struct reg__stmt *st = stmt(r, I_PRUNE);
	if (!st)
		return -EIO;
	char cutoff[40];
	reg__time_cutoff(older_than_ms, cutoff, sizeof cutoff);
	reg__bind_text(r, st, 1, cutoff);
	reg__bind_int64(r, st, 2, max_rows);
	int rc = reg__exec(r, st);
	if (!rc)
		*deleted = (int)reg__changes(r, st);
	return rc;
}
