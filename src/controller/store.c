/* Module rows and address allocations: the controller's prepared
 * statements on the registry's connection (loop thread only). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"
#include "base/log.h"

enum {
	Q_LIVE_ALL, Q_LIVE_TENANT, Q_LIST, Q_LIST_LIVE, Q_GET, Q_COUNT_TENANT, Q_COUNT_PLATFORM,
	Q_NAME, Q_IPS, Q_INSERT, Q_ALLOC, Q_KILL, Q_FREE, Q_REPORT, Q_MODEL, Q_COUNT
};

#define COLS "id, tenant_id, name, source, stock, params, requirements, verdict, platform, ip, " \
             "proto, port, state, snapshot_version, report, created_at, updated_at"

static const char *const sql[Q_COUNT] = {
	[Q_LIVE_ALL] = "SELECT " COLS " FROM modules WHERE state <> 'killed' ORDER BY id",
	[Q_LIVE_TENANT] = "SELECT " COLS " FROM modules WHERE state <> 'killed' AND tenant_id = ?1 "
	                  "ORDER BY id",
	[Q_LIST] = "SELECT " COLS " FROM modules WHERE tenant_id = ?1 ORDER BY id DESC",
	[Q_LIST_LIVE] = "SELECT " COLS " FROM modules WHERE tenant_id = ?1 AND state <> 'killed' "
	                "ORDER BY id DESC",
	[Q_GET] = "SELECT " COLS " FROM modules WHERE id = ?1",
	[Q_COUNT_TENANT] = "SELECT count(*) FROM modules WHERE tenant_id = ?1 AND state <> 'killed'",
	[Q_COUNT_PLATFORM] = "SELECT count(*) FROM modules WHERE platform = ?1 AND state <> 'killed'",
	[Q_NAME] = "SELECT 1 FROM modules WHERE tenant_id = ?1 AND name = ?2 AND state <> 'killed'",
	[Q_IPS] = "SELECT DISTINCT ip FROM allocations WHERE platform = ?1 ORDER BY ip",
	[Q_INSERT] = "INSERT INTO modules(tenant_id, name, source, stock, params, requirements, "
	             "verdict, platform, ip, proto, port, state, snapshot_version, report, "
	             "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
	             "'deployed', ?12, ?13, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), "
	             "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) RETURNING id, created_at",
	[Q_ALLOC] = "INSERT INTO allocations(platform, ip, proto, port, module_id, created_at) "
	            "VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
	[Q_KILL] = "UPDATE modules SET state = 'killed', updated_at = "
	           "strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1 AND state <> 'killed'",
	[Q_FREE] = "DELETE FROM allocations WHERE module_id = ?1",
	/* a union so that each side uses its index (an OR scanned the table) */
	[Q_MODEL] = "SELECT id, tenant_id, name, platform IS NULL, ip FROM modules WHERE state <> 'killed' "
	            "AND tenant_id = ?1 UNION SELECT id, tenant_id, name, platform IS NULL, ip "
	            "FROM modules WHERE state <> 'killed' AND platform IS NULL ORDER BY 1",
	[Q_REPORT] = "UPDATE modules SET report = ?2, updated_at = "
	             "strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
};

/* Indexes over live modules only. Killed rows stay forever (audit,
 * GET ?all) and each carries its report: without these, every request's
 * capacity counts (here and in the registry's platform list) and model
 * query visited every module ever deployed, so a deploy's cost grew with
 * the history (5 ms at 1,500 rows). Created here, idempotently, because
 * the controller is what queries them. */
static const char *const indexes =
	/* state is a column too: SQLite (3.40) reads the row to test a partial
	 * index's condition unless the index holds the column */
	"CREATE INDEX IF NOT EXISTS modules_live_platform ON modules(platform, state) "
	"WHERE state <> 'killed';"
	/* covers the model query and the quota count */
	"CREATE INDEX IF NOT EXISTS modules_live_tenant ON modules(tenant_id, id, name, ip, platform, "
	"state) WHERE state <> 'killed';";

struct ctl_store {
	struct registry *reg;
	sqlite3 *db;
	sqlite3_stmt *st[Q_COUNT];
};

int ctl__store_open(struct registry *reg, struct ctl_store **out)
{
	struct ctl_store *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->reg = reg;
	s->db = reg_db(reg);
	char *msg = NULL;
	if (sqlite3_exec(s->db, indexes, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("controller", "creating the module indexes: %s", msg ? msg : "?");
		sqlite3_free(msg);
		free(s);
		return -EIO;
	}
	for (int i = 0; i < Q_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) !=
		    SQLITE_OK) {
			log_error("controller", "preparing '%s': %s", sql[i], sqlite3_errmsg(s->db));
			ctl__store_close(s);
			return -EIO;
		}
	}
	*out = s;
	return 0;
}

void ctl__store_close(struct ctl_store *s)
{
	if (!s)
		return;
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	free(s);
}

static sqlite3_stmt *q(struct ctl_store *s, int id)
{
	sqlite3_reset(s->st[id]);
	sqlite3_clear_bindings(s->st[id]);
	return s->st[id];
}

static int fail(struct ctl_store *s, sqlite3_stmt *st)
{
	log_error("controller", "registry: %s (%s)", sqlite3_errmsg(s->db), sqlite3_sql(st));
	sqlite3_reset(st);
	return -EIO;
}

static char *col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? strdup((const char *)t) : NULL;
}

void ctl__mod_release(struct ctl_mod *m)
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
	memset(m, 0, sizeof *m);
}

void ctl__mods_free(struct ctl_mod *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ctl__mod_release(&v[i]);
	free(v);
}

static void read_row(sqlite3_stmt *st, struct ctl_mod *m)
{
	m->id = sqlite3_column_int64(st, 0);
	m->tenant_id = sqlite3_column_int64(st, 1);
	m->name = col_str(st, 2);
	m->source = col_str(st, 3);
	m->stock = col_str(st, 4);
	m->params = col_str(st, 5);
	m->requirements = col_str(st, 6);
	m->verdict = col_str(st, 7);
	m->platform = col_str(st, 8);
	m->ip = (uint32_t)sqlite3_column_int64(st, 9);
	m->proto = (uint8_t)sqlite3_column_int(st, 10);
	m->port = (uint16_t)sqlite3_column_int(st, 11);
	m->state = col_str(st, 12);
	m->snapshot_version = sqlite3_column_int64(st, 13);
	m->report = col_str(st, 14);
	m->created_at = col_str(st, 15);
	m->updated_at = col_str(st, 16);
}

static int read_all(struct ctl_store *s, sqlite3_stmt *st, struct ctl_mod **v, size_t *n)
{
	*v = NULL;
	*n = 0;
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			struct ctl_mod *nv = realloc(*v, cap * sizeof *nv);
			if (!nv) {
				ctl__mods_free(*v, *n);
				sqlite3_reset(st);
				return -ENOMEM;
			}
			*v = nv;
		}
		read_row(st, &(*v)[(*n)++]);
	}
	if (rc != SQLITE_DONE) {
		ctl__mods_free(*v, *n);
		*v = NULL;
		*n = 0;
		return fail(s, st);
	}
	sqlite3_reset(st);
	return 0;
}

int ctl__store_live(struct ctl_store *s, int64_t tenant, struct ctl_mod **v, size_t *n)
{
	sqlite3_stmt *st = q(s, tenant > 0 ? Q_LIVE_TENANT : Q_LIVE_ALL);
	if (tenant > 0)
		sqlite3_bind_int64(st, 1, tenant);
	return read_all(s, st, v, n);
}

int ctl__store_list(struct ctl_store *s, int64_t tenant, bool with_killed, struct ctl_mod **v,
                    size_t *n)
{
	sqlite3_stmt *st = q(s, with_killed ? Q_LIST : Q_LIST_LIVE);
	sqlite3_bind_int64(st, 1, tenant);
	return read_all(s, st, v, n);
}

int ctl__store_get(struct ctl_store *s, int64_t id, struct ctl_mod *out)
{
	sqlite3_stmt *st = q(s, Q_GET);
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return -ENOENT;
	}
	if (rc != SQLITE_ROW)
		return fail(s, st);
	read_row(st, out);
	sqlite3_reset(st);
	return 0;
}

static int count(struct ctl_store *s, sqlite3_stmt *st, int64_t *n)
{
	if (sqlite3_step(st) != SQLITE_ROW)
		return fail(s, st);
	*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

int ctl__store_count_tenant(struct ctl_store *s, int64_t tenant, int64_t *n)
{
	sqlite3_stmt *st = q(s, Q_COUNT_TENANT);
	sqlite3_bind_int64(st, 1, tenant);
	return count(s, st, n);
}

int ctl__store_count_platform(struct ctl_store *s, const char *platform, int64_t *n)
{
	sqlite3_stmt *st = q(s, Q_COUNT_PLATFORM);
	sqlite3_bind_text(st, 1, platform, -1, SQLITE_STATIC);
	return count(s, st, n);
}

int ctl__store_name_taken(struct ctl_store *s, int64_t tenant, const char *name, bool *taken)
{
	sqlite3_stmt *st = q(s, Q_NAME);
	sqlite3_bind_int64(st, 1, tenant);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s, st);
	*taken = rc == SQLITE_ROW;
	sqlite3_reset(st);
	return 0;
}

int ctl__store_platform_ips(struct ctl_store *s, const char *platform, uint32_t **v, size_t *n)
{
	sqlite3_stmt *st = q(s, Q_IPS);
	sqlite3_bind_text(st, 1, platform, -1, SQLITE_STATIC);
	*v = NULL;
	*n = 0;
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			uint32_t *nv = realloc(*v, cap * sizeof *nv);
			if (!nv) {
				free(*v);
				*v = NULL;
				sqlite3_reset(st);
				return -ENOMEM;
			}
			*v = nv;
		}
		(*v)[(*n)++] = (uint32_t)sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE) {
		free(*v);
		*v = NULL;
		*n = 0;
		return fail(s, st);
	}
	sqlite3_reset(st);
	return 0;
}

static void bind_opt(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

int ctl__store_insert(struct ctl_store *s, struct ctl_mod *m)
{
	sqlite3_stmt *st = q(s, Q_INSERT);
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
	else
		sqlite3_bind_null(st, 9);
	sqlite3_bind_int(st, 10, m->proto);
	sqlite3_bind_int(st, 11, m->port);
	if (m->snapshot_version)
		sqlite3_bind_int64(st, 12, m->snapshot_version);
	else
		sqlite3_bind_null(st, 12);
	bind_opt(st, 13, m->report);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT) {
		sqlite3_reset(st);
		return -EEXIST;
	}
	if (rc != SQLITE_ROW)
		return fail(s, st);
	m->id = sqlite3_column_int64(st, 0);
	free(m->created_at);
	m->created_at = col_str(st, 1);
	sqlite3_reset(st);
	if (!m->platform)
		return 0;
	st = q(s, Q_ALLOC);
	sqlite3_bind_text(st, 1, m->platform, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, m->ip);
	sqlite3_bind_int(st, 3, m->proto);
	sqlite3_bind_int(st, 4, m->port);
	sqlite3_bind_int64(st, 5, m->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT) {
		sqlite3_reset(st);
		return -EEXIST;
	}
	if (rc != SQLITE_DONE)
		return fail(s, st);
	sqlite3_reset(st);
	return 0;
}

int ctl__store_kill(struct ctl_store *s, int64_t id)
{
	sqlite3_stmt *st = q(s, Q_KILL);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		return fail(s, st);
	int changed = sqlite3_changes(s->db);
	sqlite3_reset(st);
	if (!changed)
		return -ENOENT;
	st = q(s, Q_FREE);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		return fail(s, st);
	sqlite3_reset(st);
	return 0;
}

int ctl__store_set_report(struct ctl_store *s, int64_t id, const char *report)
{
	sqlite3_stmt *st = q(s, Q_REPORT);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, report, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return fail(s, st);
	sqlite3_reset(st);
	return 0;
}

int ctl__store_model(struct ctl_store *s, int64_t tenant, struct ctl_modref **v, size_t *n)
{
	sqlite3_stmt *st = q(s, Q_MODEL);
	sqlite3_bind_int64(st, 1, tenant);
	*v = NULL;
	*n = 0;
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			struct ctl_modref *nv = realloc(*v, cap * sizeof *nv);
			if (!nv) {
				ctl__modrefs_free(*v, *n);
				*v = NULL;
				*n = 0;
				sqlite3_reset(st);
				return -ENOMEM;
			}
			*v = nv;
		}
		struct ctl_modref *m = &(*v)[(*n)++];
		m->id = sqlite3_column_int64(st, 0);
		m->tenant_id = sqlite3_column_int64(st, 1);
		m->name = col_str(st, 2);
		m->is_inline = sqlite3_column_int(st, 3) != 0;
		m->ip = (uint32_t)sqlite3_column_int64(st, 4);
	}
	if (rc != SQLITE_DONE) {
		ctl__modrefs_free(*v, *n);
		*v = NULL;
		*n = 0;
		return fail(s, st);
	}
	sqlite3_reset(st);
	return 0;
}

void ctl__modrefs_free(struct ctl_modref *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}
