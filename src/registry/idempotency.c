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

/* now minus ?N milliseconds, as the rows' created_at is written */
#define CUTOFF(n) "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('-%.3f seconds', ?" n " / 1000.0))"

static const char *const sql[I_COUNT] = {
	[I_GET] = "SELECT request_hash, status, body, module_id FROM idempotency "
	          "WHERE tenant_id = ?1 AND key = ?2 AND created_at >= " CUTOFF("3"),
	[I_EXPIRE] = "DELETE FROM idempotency WHERE tenant_id = ?1 AND key = ?2 AND "
	             "created_at < " CUTOFF("3"),
	[I_PUT] = "INSERT INTO idempotency(tenant_id, key, request_hash, status, body, module_id, "
	          "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
	/* the index on created_at: the scan stops after ?2 matches */
	[I_PRUNE] = "DELETE FROM idempotency WHERE rowid IN (SELECT rowid FROM idempotency WHERE "
	            "created_at < " CUTOFF("1") " ORDER BY created_at LIMIT ?2)",
};

static sqlite3_stmt *stmt(struct registry *r, int id)
{
	return reg__stmt(r, &r->idem_stmts[id], sql[id]);
}

void reg_idem_release(struct reg_idem *e)
{
	free(e->body);
	memset(e, 0, sizeof *e);
}

static int idem_row(sqlite3_stmt *st, struct reg_idem *out)
{
	if (sqlite3_column_bytes(st, 0) != REG_HASH_LEN)
		return -EIO;
	memcpy(out->request_hash, sqlite3_column_blob(st, 0), REG_HASH_LEN);
	out->status = sqlite3_column_int(st, 1);
	out->body = reg__dupcol(st, 2);
	out->module_id = sqlite3_column_int64(st, 3);
	return out->body ? 0 : -ENOMEM;
}

int reg_idem_get(struct registry *r, int64_t tenant, const char *key, int64_t max_age_ms,
                 struct reg_idem *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = stmt(r, I_GET);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, tenant);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, max_age_ms);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = idem_row(st, out);
	else
		rc = rc == SQLITE_DONE ? -ENOENT : reg__db_error(r, "idempotency");
	sqlite3_reset(st);
	if (rc)
		reg_idem_release(out);
	return rc;
}

int reg_idem_put(struct registry *r, int64_t tenant, const char *key, const struct reg_idem *e,
                 int64_t max_age_ms)
{
	sqlite3_stmt *st = stmt(r, I_EXPIRE);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, tenant);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, max_age_ms);
	int rc = reg__exec(r, st);
	if (rc || !(st = stmt(r, I_PUT)))
		return rc ? rc : -EIO;
	sqlite3_bind_int64(st, 1, tenant);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, e->request_hash, REG_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, e->status);
	sqlite3_bind_text(st, 5, e->body, -1, SQLITE_STATIC);
	if (e->module_id)
		sqlite3_bind_int64(st, 6, e->module_id);
	return reg__exec(r, st);
}

int reg_idem_prune(struct registry *r, int64_t older_than_ms, int max_rows, int *deleted)
{
	*deleted = 0;
	sqlite3_stmt *st = stmt(r, I_PRUNE);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, older_than_ms);
	sqlite3_bind_int(st, 2, max_rows);
	int rc = reg__exec(r, st);
	if (!rc)
		*deleted = sqlite3_changes(r->db);
	return rc;
}
