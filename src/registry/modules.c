/* Module rows and the addresses they hold on platform pools. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"

enum {
	M_LIVE_ALL, M_LIVE_TENANT, M_LIST, M_LIST_LIVE, M_GET, M_COUNT_TENANT, M_COUNT_PLATFORM,
	M_NAME, M_IPS, M_INSERT, M_ALLOC, M_KILL, M_FREE, M_MODEL, M_SET_STATEFUL, M_COUNT
};
_Static_assert(M_COUNT <= REG__MODULE_STMTS, "struct registry holds every statement");

#define COLS "id, tenant_id, name, source, stock, params, requirements, verdict, platform, ip, " \
             "proto, port, state, snapshot_version, report, created_at, updated_at, stateful, " \
             "stateful_elements"

static const char *const sql[M_COUNT] = {
	[M_LIVE_ALL] = "SELECT " COLS " FROM modules WHERE state <> 'killed' ORDER BY id",
	[M_LIVE_TENANT] = "SELECT " COLS " FROM modules WHERE state <> 'killed' AND tenant_id = ?1 "
	                  "ORDER BY id",
	[M_LIST] = "SELECT " COLS " FROM modules WHERE tenant_id = ?1 ORDER BY id DESC",
	[M_LIST_LIVE] = "SELECT " COLS " FROM modules WHERE tenant_id = ?1 AND state <> 'killed' "
	                "ORDER BY id DESC",
	[M_GET] = "SELECT " COLS " FROM modules WHERE id = ?1",
	[M_COUNT_TENANT] = "SELECT count(*) FROM modules WHERE tenant_id = ?1 AND state <> 'killed'",
	[M_COUNT_PLATFORM] = "SELECT count(*) FROM modules WHERE platform = ?1 AND state <> 'killed'",
	[M_NAME] = "SELECT 1 FROM modules WHERE tenant_id = ?1 AND name = ?2 AND state <> 'killed'",
	[M_IPS] = "SELECT DISTINCT ip FROM allocations WHERE platform = ?1 ORDER BY ip",
	[M_INSERT] = "INSERT INTO modules(tenant_id, name, source, stock, params, requirements, "
	             "verdict, platform, ip, proto, port, state, snapshot_version, report, "
	             "created_at, updated_at, stateful, stateful_elements) VALUES (?1, ?2, ?3, ?4, ?5, "
	             "?6, ?7, ?8, ?9, ?10, ?11, 'deployed', ?12, ?13, "
	             "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), "
	             "?14, ?15) RETURNING id, created_at",
	[M_ALLOC] = "INSERT INTO allocations(platform, ip, proto, port, module_id, created_at) "
	            "VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
	[M_KILL] = "UPDATE modules SET state = 'killed', updated_at = "
	           "strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1 AND state <> 'killed'",
	[M_FREE] = "DELETE FROM allocations WHERE module_id = ?1",
	/* a union so that each side uses its index (an OR scanned the table) */
	[M_MODEL] = "SELECT id, tenant_id, name, platform IS NULL, ip FROM modules WHERE state <> 'killed' "
	            "AND tenant_id = ?1 UNION SELECT id, tenant_id, name, platform IS NULL, ip "
	            "FROM modules WHERE state <> 'killed' AND platform IS NULL ORDER BY 1",
	[M_SET_STATEFUL] = "UPDATE modules SET stateful = ?2, stateful_elements = ?3 WHERE id = ?1",
};

static sqlite3_stmt *stmt(struct registry *r, int id)
{
	return reg__stmt(r, &r->module_stmts[id], sql[id]);
}

void reg_module_release(struct reg_module *m)
{
	free(m->name);
	free(m->source);
	free(m->stock);
	free(m->params);
	free(m->requirements);
	free(m->verdict);
	free(m->platform);
	free(m->state);
	free(m->report);
	free(m->created_at);
	free(m->updated_at);
	free(m->stateful_elements);
	memset(m, 0, sizeof *m);
}

void reg_modules_free(struct reg_module *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		reg_module_release(&v[i]);
	free(v);
}

static void module_release(void *elem)
{
	reg_module_release(elem);
}

static int module_row(sqlite3_stmt *st, void *elem)
{
	struct reg_module *m = elem;
	m->id = sqlite3_column_int64(st, 0);
	m->tenant_id = sqlite3_column_int64(st, 1);
	m->name = reg__dupcol(st, 2);
	m->source = reg__dupcol(st, 3);
	m->stock = reg__dupcol(st, 4);
	m->params = reg__dupcol(st, 5);
	m->requirements = reg__dupcol(st, 6);
	m->verdict = reg__dupcol(st, 7);
	m->platform = reg__dupcol(st, 8);
	m->ip = (uint32_t)sqlite3_column_int64(st, 9);
	m->proto = (uint8_t)sqlite3_column_int(st, 10);
	m->port = (uint16_t)sqlite3_column_int(st, 11);
	m->state = reg__dupcol(st, 12);
	m->snapshot_version = sqlite3_column_int64(st, 13);
	m->report = reg__dupcol(st, 14);
	m->created_at = reg__dupcol(st, 15);
	m->updated_at = reg__dupcol(st, 16);
	m->stateful = sqlite3_column_int(st, 17) != 0;
	m->stateful_elements = reg__dupcol(st, 18);
	return 0;
}

static int modules(struct registry *r, sqlite3_stmt *st, struct reg_module **v, size_t *n)
{
	void *rows;
	int rc = reg__list_rows(r, st, "modules", sizeof **v, module_row, module_release, &rows, n);
	*v = rows;
	return rc;
}

int reg_modules_live(struct registry *r, int64_t tenant, struct reg_module **v, size_t *n)
{
	sqlite3_stmt *st = stmt(r, tenant > 0 ? M_LIVE_TENANT : M_LIVE_ALL);
	if (st && tenant > 0)
		sqlite3_bind_int64(st, 1, tenant);
	return modules(r, st, v, n);
}

int reg_modules_list(struct registry *r, int64_t tenant, bool with_killed, struct reg_module **v,
                     size_t *n)
{
	sqlite3_stmt *st = stmt(r, with_killed ? M_LIST : M_LIST_LIVE);
	if (st)
		sqlite3_bind_int64(st, 1, tenant);
	return modules(r, st, v, n);
}

int reg_module_get(struct registry *r, int64_t id, struct reg_module *out)
{
	sqlite3_stmt *st = stmt(r, M_GET);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		module_row(st, out);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	return rc == SQLITE_ROW ? 0 : reg__db_error(r, "module");
}

static int count(struct registry *r, sqlite3_stmt *st, int64_t *n)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : reg__db_error(r, "module count");
}

int reg_modules_count_tenant(struct registry *r, int64_t tenant, int64_t *n)
{
	sqlite3_stmt *st = stmt(r, M_COUNT_TENANT);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, tenant);
	return count(r, st, n);
}

int reg_modules_count_platform(struct registry *r, const char *platform, int64_t *n)
{
	sqlite3_stmt *st = stmt(r, M_COUNT_PLATFORM);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, platform, -1, SQLITE_STATIC);
	return count(r, st, n);
}

int reg_module_name_taken(struct registry *r, int64_t tenant, const char *name, bool *taken)
{
	sqlite3_stmt *st = stmt(r, M_NAME);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, tenant);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	*taken = rc == SQLITE_ROW;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : reg__db_error(r, "module name");
}

static int ip_row(sqlite3_stmt *st, void *elem)
{
	*(uint32_t *)elem = (uint32_t)sqlite3_column_int64(st, 0);
	return 0;
}

static void ip_release(void *elem)
{
}

int reg_platform_ips(struct registry *r, const char *platform, uint32_t **v, size_t *n)
{
	sqlite3_stmt *st = stmt(r, M_IPS);
	if (st)
		sqlite3_bind_text(st, 1, platform, -1, SQLITE_STATIC);
	void *rows;
	int rc = reg__list_rows(r, st, "allocations", sizeof **v, ip_row, ip_release, &rows, n);
	*v = rows;
	return rc;
}

static void bind_opt(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void bind_module(sqlite3_stmt *st, const struct reg_module *m)
{
	sqlite3_bind_int64(st, 1, m->tenant_id);
	sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
	bind_opt(st, 3, m->source);
	bind_opt(st, 4, m->stock);
	bind_opt(st, 5, m->params);
	sqlite3_bind_text(st, 6, m->requirements ? m->requirements : "", -1, SQLITE_STATIC);
	bind_opt(st, 7, m->verdict);
	bind_opt(st, 8, m->platform);
	if (m->platform)
		sqlite3_bind_int64(st, 9, m->ip);
	sqlite3_bind_int(st, 10, m->proto);
	sqlite3_bind_int(st, 11, m->port);
	if (m->snapshot_version)
		sqlite3_bind_int64(st, 12, m->snapshot_version);
	bind_opt(st, 13, m->report);
	sqlite3_bind_int(st, 14, m->stateful);
	sqlite3_bind_text(st, 15, m->stateful_elements ? m->stateful_elements : "[]", -1,
	                  SQLITE_STATIC);
}

/* The module's address on its platform. */
static int allocate(struct registry *r, const struct reg_module *m)
{
	sqlite3_stmt *st = stmt(r, M_ALLOC);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, m->platform, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, m->ip);
	sqlite3_bind_int(st, 3, m->proto);
	sqlite3_bind_int(st, 4, m->port);
	sqlite3_bind_int64(st, 5, m->id);
	return reg__exec(r, st);
}

int reg_module_insert(struct registry *r, struct reg_module *m)
{
	sqlite3_stmt *st = stmt(r, M_INSERT);
	if (!st)
		return -EIO;
	bind_module(st, m);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		rc = reg__step_errno(r, st, rc);
		return rc ? rc : -EIO;
	}
	m->id = sqlite3_column_int64(st, 0);
	free(m->created_at);
	m->created_at = reg__dupcol(st, 1);
	sqlite3_reset(st);
	return m->platform ? allocate(r, m) : 0;
}

int reg_module_kill(struct registry *r, int64_t id)
{
	sqlite3_stmt *st = stmt(r, M_KILL);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	int rc = reg__exec(r, st);
	if (rc)
		return rc;
	if (!sqlite3_changes(r->db))
		return -ENOENT;
	if (!(st = stmt(r, M_FREE)))
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = reg__exec(r, st)))
		return rc;
	return reg_module_state_delete(r, id);
}

int reg_module_set_stateful(struct registry *r, int64_t id, bool stateful, const char *elements)
{
	sqlite3_stmt *st = stmt(r, M_SET_STATEFUL);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, stateful);
	bind_opt(st, 3, elements);
	int rc = reg__exec(r, st);
	return rc ? rc : sqlite3_changes(r->db) ? 0 : -ENOENT;
}

static void modref_release(void *elem)
{
	free(((struct reg_modref *)elem)->name);
}

void reg_modrefs_free(struct reg_modref *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		modref_release(&v[i]);
	free(v);
}

static int modref_row(sqlite3_stmt *st, void *elem)
{
	struct reg_modref *m = elem;
	m->id = sqlite3_column_int64(st, 0);
	m->tenant_id = sqlite3_column_int64(st, 1);
	m->name = reg__dupcol(st, 2);
	m->is_inline = sqlite3_column_int(st, 3) != 0;
	m->ip = (uint32_t)sqlite3_column_int64(st, 4);
	return 0;
}

int reg_modules_model(struct registry *r, int64_t tenant, struct reg_modref **v, size_t *n)
{
	sqlite3_stmt *st = stmt(r, M_MODEL);
	if (st)
		sqlite3_bind_int64(st, 1, tenant);
	void *rows;
	int rc = reg__list_rows(r, st, "modules", sizeof **v, modref_row, modref_release, &rows, n);
	*v = rows;
	return rc;
}
