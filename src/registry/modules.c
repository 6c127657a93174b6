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
	             "{now}, {now}, "
	             "?14, ?15) RETURNING id, created_at",
	[M_ALLOC] = "INSERT INTO allocations(platform, ip, proto, port, module_id, created_at) "
	            "VALUES (?1, ?2, ?3, ?4, ?5, {now})",
	[M_KILL] = "UPDATE modules SET state = 'killed', updated_at = "
	           "{now} WHERE id = ?1 AND state <> 'killed'",
	[M_FREE] = "DELETE FROM allocations WHERE module_id = ?1",
	/* a union so that each side uses its index (an OR scanned the table) */
	[M_MODEL] = "SELECT id, tenant_id, name, CASE WHEN platform IS NULL THEN 1 ELSE 0 END, ip FROM modules WHERE state <> 'killed' "
	            "AND tenant_id = ?1 UNION SELECT id, tenant_id, name, CASE WHEN platform IS NULL THEN 1 ELSE 0 END, ip "
	            "FROM modules WHERE state <> 'killed' AND platform IS NULL ORDER BY 1",
	[M_SET_STATEFUL] = "UPDATE modules SET stateful = ?2, stateful_elements = ?3 WHERE id = ?1",
};

static struct reg__stmt *stmt(struct registry *r, int id)
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

static int module_row(struct registry *r, struct reg__stmt *st, void *elem)
{
	struct reg_module *m = elem;
	m->id = reg__col_int64(r, st, 0);
	m->tenant_id = reg__col_int64(r, st, 1);
	m->name = reg__dupcol(r, st, 2);
	m->source = reg__dupcol(r, st, 3);
	m->stock = reg__dupcol(r, st, 4);
	m->params = reg__dupcol(r, st, 5);
	m->requirements = reg__dupcol(r, st, 6);
	m->verdict = reg__dupcol(r, st, 7);
	m->platform = reg__dupcol(r, st, 8);
	m->ip = (uint32_t)reg__col_int64(r, st, 9);
	m->proto = (uint8_t)reg__col_int64(r, st, 10);
	m->port = (uint16_t)reg__col_int64(r, st, 11);
	m->state = reg__dupcol(r, st, 12);
	m->snapshot_version = reg__col_int64(r, st, 13);
	m->report = reg__dupcol(r, st, 14);
	m->created_at = reg__dupcol(r, st, 15);
	m->updated_at = reg__dupcol(r, st, 16);
	m->stateful = reg__col_int64(r, st, 17) != 0;
	m->stateful_elements = reg__dupcol(r, st, 18);
	return 0;
}

static int modules(struct registry *r, struct reg__stmt *st, struct reg_module **v, size_t *n)
{
	void *rows;
	int rc = reg__list_rows(r, st, "modules", sizeof **v, module_row, module_release, &rows, n);
	*v = rows;
	return rc;
}

int reg_modules_live(struct registry *r, int64_t tenant, struct reg_module **v, size_t *n)
{
	struct reg__stmt *st = stmt(r, tenant > 0 ? M_LIVE_TENANT : M_LIVE_ALL);
	if (st && tenant > 0)
		reg__bind_int64(r, st, 1, tenant);
	return modules(r, st, v, n);
}

int reg_modules_list(struct registry *r, int64_t tenant, bool with_killed, struct reg_module **v,
                     size_t *n)
{
	struct reg__stmt *st = stmt(r, with_killed ? M_LIST : M_LIST_LIVE);
	if (st)
		reg__bind_int64(r, st, 1, tenant);
	return modules(r, st, v, n);
}

int reg_module_get(struct registry *r, int64_t id, struct reg_module *out)
{
	struct reg__stmt *st = stmt(r, M_GET);
	if (!st)
		return -EIO;
	reg__bind_int64(r, st, 1, id);
	int rc = reg__step(r, st);
	if (rc == 1)
		rc = module_row(r, st, out);
	else if (rc == 0)
		rc = -ENOENT;
	r->be->reset(st);
	return rc;
}

static int count(struct registry *r, struct reg__stmt *st, int64_t *n)
{
	int rc = reg__step(r, st);
	if (rc == 1)
		*n = reg__col_int64(r, st, 0);
	r->be->reset(st);
	return rc == 1 ? 0 : rc == 0 ? -EIO : rc;
}

int reg_modules_count_tenant(struct registry *r, int64_t tenant, int64_t *n)
{
	struct reg__stmt *st = stmt(r, M_COUNT_TENANT);
	if (!st)
		return -EIO;
	reg__bind_int64(r, st, 1, tenant);
	return count(r, st, n);
}

int reg_modules_count_platform(struct registry *r, const char *platform, int64_t *n)
{
	struct reg__stmt *st = stmt(r, M_COUNT_PLATFORM);
	if (!st)
		return -EIO;
	reg__bind_text(r, st, 1, platform);
	return count(r, st, n);
}

int reg_module_name_taken(struct registry *r, int64_t tenant, const char *name, bool *taken)
{
	struct reg__stmt *st = stmt(r, M_NAME);
	if (!st)
		return -EIO;
	reg__bind_int64(r, st, 1, tenant);
	reg__bind_text(r, st, 2, name);
	int rc = reg__step(r, st);
	*taken = rc == 1;
	r->be->reset(st);
	return rc < 0 ? rc : 0;
}

static int ip_row(struct registry *r, struct reg__stmt *st, void *elem)
{
	*(uint32_t *)elem = (uint32_t)reg__col_int64(r, st, 0);
	return 0;
}

static void ip_release(void *elem)
{
}

int reg_platform_ips(struct registry *r, const char *platform, uint32_t **v, size_t *n)
{
	struct reg__stmt *st = stmt(r, M_IPS);
	if (st)
		reg__bind_text(r, st, 1, platform);
	void *rows;
	int rc = reg__list_rows(r, st, "allocations", sizeof **v, ip_row, ip_release, &rows, n);
	*v = rows;
	return rc;
}

static void bind_module(struct registry *r, struct reg__stmt *st, const struct reg_module *m)
{
	reg__bind_int64(r, st, 1, m->tenant_id);
	reg__bind_text(r, st, 2, m->name);
	reg__bind_text(r, st, 3, m->source);
	reg__bind_text(r, st, 4, m->stock);
	reg__bind_text(r, st, 5, m->params);
	reg__bind_text(r, st, 6, m->requirements ? m->requirements : "");
	reg__bind_text(r, st, 7, m->verdict);
	reg__bind_text(r, st, 8, m->platform);
	if (m->platform)
		reg__bind_int64(r, st, 9, m->ip);
	reg__bind_int64(r, st, 10, m->proto);
	reg__bind_int64(r, st, 11, m->port);
	if (m->snapshot_version)
		reg__bind_int64(r, st, 12, m->snapshot_version);
	reg__bind_text(r, st, 13, m->report);
	reg__bind_int64(r, st, 14, m->stateful);
	reg__bind_text(r, st, 15, m->stateful_elements ? m->stateful_elements : "[]");
}

/* The module's address on its platform. */
static int allocate(struct registry *r, const struct reg_module *m)
{
	struct reg__stmt *st = stmt(r, M_ALLOC);
	if (!st)
		return -EIO;
	reg__bind_text(r, st, 1, m->platform);
	reg__bind_int64(r, st, 2, m->ip);
	reg__bind_int64(r, st, 3, m->proto);
	reg__bind_int64(r, st, 4, m->port);
	reg__bind_int64(r, st, 5, m->id);
	return reg__exec(r, st);
}

int reg_module_insert(struct registry *r, struct reg_module *m)
{
	struct reg__stmt *st = stmt(r, M_INSERT);
	if (!st)
		return -EIO;
	bind_module(r, st, m);
	int rc = reg__step(r, st);
	if (rc != 1) {
		r->be->reset(st);
		return rc ? rc : -EIO;
	}
	m->id = reg__col_int64(r, st, 0);
	free(m->created_at);
	m->created_at = reg__dupcol(r, st, 1);
	r->be->reset(st);
	if (!m->created_at)
		return -ENOMEM;
	return reg__notified(r, m->platform ? allocate(r, m) : 0, "module", m->id);
}

int reg_module_kill(struct registry *r, int64_t id)
{
	struct reg__stmt *st = stmt(r, M_KILL);
	if (!st)
		return -EIO;
	reg__bind_int64(r, st, 1, id);
	int rc = reg__exec(r, st);
	if (rc)
		return rc;
	if (!reg__changes(r, st))
		return -ENOENT;
	if (!(st = stmt(r, M_FREE)))
		return -EIO;
	reg__bind_int64(r, st, 1, id);
	if ((rc = reg__exec(r, st)))
		return rc;
	return reg__notified(r, reg_module_state_delete(r, id), "module", id);
}

int reg_module_set_stateful(struct registry *r, int64_t id, bool stateful, const char *elements)
{
	struct reg__stmt *st = stmt(r, M_SET_STATEFUL);
	if (!st)
		return -EIO;
	reg__bind_int64(r, st, 1, id);
	reg__bind_int64(r, st, 2, stateful);
	reg__bind_text(r, st, 3, elements);
	int rc = reg__exec(r, st);
	return rc ? rc : reg__changes(r, st) ? 0 : -ENOENT;
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

static int modref_row(struct registry *r, struct reg__stmt *st, void *elem)
{
	struct reg_modref *m = elem;
	m->id = reg__col_int64(r, st, 0);
	m->tenant_id = reg__col_int64(r, st, 1);
	m->name = reg__dupcol(r, st, 2);
	m->is_inline = reg__col_int64(r, st, 3) != 0;
	m->ip = (uint32_t)reg__col_int64(r, st, 4);
	return 0;
}

int reg_modules_model(struct registry *r, int64_t tenant, struct reg_modref **v, size_t *n)
{
	struct reg__stmt *st = stmt(r, M_MODEL);
	if (st)
		reg__bind_int64(r, st, 1, tenant);
	void *rows;
	int rc = reg__list_rows(r, st, "modules", sizeof **v, modref_row, modref_release, &rows, n);
	*v = rows;
	return rc;
}
