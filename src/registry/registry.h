/* The registry: innetd's state in one SQLite file (the embedded default)
 * or in a PostgreSQL database shared by several innetd (schema.sql,
 * embedded at build time, for both). Every SQL statement of innet lives in
 * src/registry as a prepared statement (registry.c; modules.c for modules
 * and their addresses; state.c); callers use these typed functions.
 * Threads: one connection per struct registry, owned by one thread: the
 * one that opened it, or the registry thread (reg_worker_start below),
 * which is how innetd runs every statement off its loop. The functions
 * are synchronous and hold no loop state. Functions return 0 or a negative errno: -ENOENT (no such
 * row), -EEXIST (unique name taken), -EBUSY (still referenced), -EAGAIN
 * (a concurrent transaction won, or the database was busy: roll back and
 * retry), -ETIMEDOUT (statement_timeout), -EIO (database error, logged). */
#ifndef INNET_REGISTRY_H
#define INNET_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "base/inet.h"
#include "snapshot/snapshot.h"

#define REG_SCHEMA_VERSION 8
#define REG_HASH_LEN 32 /* crypto_generichash_BYTES */

extern const char reg_schema_sql[]; /* schema.sql, generated at build time */

struct registry;

/* Open the registry spec names: a postgresql:// or postgres:// URI, or a
 * libpq keyword=value string (anything holding '='), is a PostgreSQL
 * database (multi-host strings are libpq's); anything else is an SQLite
 * file (created with its directory if missing). Apply the schema to an
 * empty database or migrate an older one; a newer one is refused
 * (-EPROTO). On failure err says why ("spec: why", the password hidden;
 * a connection failure names the host; empty when out of memory);
 * -ENOTSUP for PostgreSQL in an innetd built without it. */
int reg_open(const char *spec, struct registry **out, char *err, size_t errlen);
void reg_close(struct registry *r);
/* Does spec name a PostgreSQL database (see reg_open)? */
bool reg_spec_is_postgres(const char *spec);
/* Is the database reachable now? Always on SQLite; on PostgreSQL false
 * once the connection is lost, until a statement reconnects it (a failed
 * reconnect is retried at most every 0.5 to 5 s; meanwhile statements
 * fail at once with -ENOTCONN). Callers answer 503 with Retry-After. */
bool reg_available(struct registry *r);
/* For caches of tenant rows (the API's token cache): a number that changes
 * whenever a tenant may have changed. Every tenant write of this process
 * bumps it, and so does reg_tenants_changed (another innetd's write, heard
 * from the listener). While reg_set_shared_stale(r, true), which is how a
 * PostgreSQL registry starts, every call returns a new number: other
 * innetd may write unheard, so nothing cached may be trusted. */
uint64_t reg_tenants_gen(struct registry *r);
void reg_tenants_changed(struct registry *r);
void reg_set_shared_stale(struct registry *r, bool stale);
/* "sqlite" or "postgresql". */
const char *reg_backend_name(struct registry *r);
/* spec as it may be shown or logged: a password (URI user:password@,
 * password= keyword or parameter) replaced by ***. malloc'd; NULL when out
 * of memory. */
char *reg_spec_redact(const char *spec);
/* The SQLite connection (NULL on PostgreSQL), for tests and diagnostics
 * (statements belong here). */
sqlite3 *reg_db(struct registry *r);
/* For tests and diagnostics, on either backend: run SQL statements
 * (SQLite's dialect, translated as schema.sql is: src/registry/dialect.c),
 * or one query's first column of its first row (-ENOENT: no row). */
int reg_sql_exec(struct registry *r, const char *sql);
int reg_sql_int64(struct registry *r, const char *sql, int64_t *out);
int reg_schema_version(struct registry *r);

/* --- changes made by other innetd (PostgreSQL LISTEN/NOTIFY) ---------------
 * A writer calls reg_notify with what changed ("module 12", "network 3",
 * "policy", "tenant 4"); on PostgreSQL every listener hears it when (and
 * if) the transaction commits, immediately outside one; on SQLite it does
 * nothing (one innetd). A listener is a connection of its own, driven
 * without blocking: wait for the events reg_listener_step returns on
 * reg_listener_fd, then call it again; each notification goes to note().
 * A negative answer means the connection failed or was lost: free it and
 * open another after a delay, and reconcile from the registry, since
 * notifications in between are lost. -ENOTSUP: not PostgreSQL (or no
 * libpq). Any one thread per listener. */
int reg_notify(struct registry *r, const char *what);
struct reg_listener;
enum { REG_LISTEN_READ = 1, REG_LISTEN_WRITE = 2 };
int reg_listener_new(const char *spec, struct reg_listener **out);
int reg_listener_fd(const struct reg_listener *l);
int reg_listener_step(struct reg_listener *l, void (*note)(void *ud, const char *payload), void *ud);
/* LISTEN is in effect: every change committed from now on is heard. */
bool reg_listener_ready(const struct reg_listener *l);
void reg_listener_free(struct reg_listener *l);

/* --- the registry thread (worker.c) -----------------------------------------
 * Once reg_worker_start returns, a thread of its own owns r: every
 * statement of innetd runs there, so the thread that submits (innetd's
 * loop) never waits for the database. reg_worker_submit queues work(r,
 * arg), run on that thread in submission order; a transaction is one work
 * function (reg_begin .. reg_commit inside it; one left open is rolled
 * back). Its result goes to done(arg, rc) (rc: what work returned), called
 * on the submitter's thread by reg_worker_drain, which wake(ud) asks for
 * (wake is called on the registry thread: uv_async_send fits). work may
 * use r and what arg holds, nothing the submitter's thread may change
 * meanwhile; done may. Until reg_worker_stop, a statement function called
 * on any other thread is refused (-EDEADLK, logged as the bug it is: two
 * threads on one connection must not reach the database; with
 * INNET_REGISTRY_STRICT=1 in the environment, as in the tests, it aborts). reg_available and reg_tenants_gen
 * may be called from any thread. submit: 0, -ENOMEM, or -ESHUTDOWN once
 * stopping. stop: the queued work runs, then every done (on the caller's
 * thread), the thread is joined and r is the caller's again. */
struct reg_worker;
typedef int (*reg_work_fn)(struct registry *r, void *arg);
typedef void (*reg_done_fn)(void *arg, int rc);
int reg_worker_start(struct registry *r, void (*wake)(void *ud), void *ud, struct reg_worker **out);
int reg_worker_submit(struct reg_worker *w, reg_work_fn work, reg_done_fn done, void *arg);
size_t reg_worker_drain(struct reg_worker *w); /* how many done callbacks ran */
void reg_worker_stop(struct reg_worker *w);
/* For /metrics: work submitted and run, queued now and at most, time the
 * thread spent running work, the longest any waited in the queue. */
struct reg_worker_stats {
	uint64_t submitted, run, queued, max_queued, busy_ns, max_wait_ns;
};
void reg_worker_stats(struct reg_worker *w, struct reg_worker_stats *out);

int reg_begin(struct registry *r);
int reg_commit(struct registry *r);
void reg_rollback(struct registry *r);

/* meta: small facts (the operator token hash, "seeded") */
int reg_meta_get(struct registry *r, const char *key, void *buf, size_t cap, size_t *len);
int reg_meta_set(struct registry *r, const char *key, const void *val, size_t len);

/* --- tenants --- */
enum reg_kind { REG_KIND_CLIENT, REG_KIND_THIRD_PARTY, REG_KIND_OPERATOR };
const char *reg_kind_name(enum reg_kind k);
int reg_kind_parse(const char *s, enum reg_kind *out);

struct reg_tenant {
	int64_t id;
	char *name;
	enum reg_kind kind;
	struct inet_prefix *addresses;
	size_t naddresses;
	struct inet_prefix *whitelist;
	size_t nwhitelist;
	int64_t quota_modules, quota_starts_per_min;
	int64_t quota_rps; /* check and deploy requests per second; 0: innetd's tenant-rps */
	/* per module (docs/stateful.md): the memory of a stateful module's
	 * state and the flow mappings its tables hold together; 0: innetd's
	 * module-memory-mb and module-flows */
	int64_t quota_memory_mb, quota_flows;
	int64_t quota_inflight; /* checks and deploys queued or running; 0: innetd's tenant-inflight */
	char *created_at;
	char *suspended_at; /* NULL: not suspended (docs/operator.md) */
};
void reg_tenant_release(struct reg_tenant *t);
void reg_tenants_free(struct reg_tenant *v, size_t n);
/* Insert t (name, kind, prefixes, quotas) in one transaction; sets t->id
 * and t->created_at. -EEXIST when the name is taken. */
int reg_tenant_add(struct registry *r, struct reg_tenant *t, const uint8_t hash[REG_HASH_LEN]);
int reg_tenant_get(struct registry *r, int64_t id, struct reg_tenant *out);
int reg_tenant_by_token(struct registry *r, const uint8_t hash[REG_HASH_LEN], struct reg_tenant *out);
int reg_tenant_list(struct registry *r, struct reg_tenant **v, size_t *n);
/* -EBUSY while the tenant has modules that are not killed; its killed
 * modules (history) are deleted with it. */
int reg_tenant_delete(struct registry *r, int64_t id);
json_t *reg_tenant_json(const struct reg_tenant *t);
/* Operator controls (docs/operator.md); -ENOENT when there is no tenant
 * id. Suspend stamps suspended_at (kept when suspended already); resume
 * clears it. */
int reg_tenant_set_suspended(struct registry *r, int64_t id, bool suspended);
/* Replace the tenant's token hash: the old token stops matching. */
int reg_tenant_set_token(struct registry *r, int64_t id, const uint8_t hash[REG_HASH_LEN]);
/* Store t's quotas, addresses and whitelist (by t->id; name, kind and
 * token stay) in one transaction. */
int reg_tenant_update(struct registry *r, const struct reg_tenant *t);

/* --- network snapshots and platforms --- */
/* Store a new version and make its platforms current, in one transaction.
 * -EBUSY (with *busy_platform set, malloc'd) when a platform that hosts
 * modules would disappear. Sets s->version. */
int reg_snapshot_put(struct registry *r, struct snapshot *s, const char *by, char **busy_platform);
/* The current snapshot JSON (malloc'd) and version; -ENOENT when none. */
int reg_snapshot_current(struct registry *r, int64_t *version, char **json);

struct reg_platform {
	char *name, *address, *pool;
	char *pop;      /* the PoP serving it; NULL: stored before schema 7 (the snapshot names it) */
	int64_t capacity, modules;
};
int reg_platform_list(struct registry *r, struct reg_platform **v, size_t *n);
void reg_platforms_free(struct reg_platform *v, size_t n);

/* --- policies --- */
struct reg_policy {
	int64_t id;
	char *text, *created_at, *created_by;
};
int reg_policy_add(struct registry *r, const char *text, const char *by, int64_t *id);
int reg_policy_list(struct registry *r, struct reg_policy **v, size_t *n);
void reg_policies_free(struct reg_policy *v, size_t n);
int reg_policy_delete(struct registry *r, int64_t id);

/* --- modules and their addresses (modules.c) --- */
struct reg_module {
	int64_t id, tenant_id, snapshot_version;
	char *name, *source, *stock, *params, *requirements, *verdict, *platform, *state, *report;
	char *created_at, *updated_at;
	uint32_t ip;
	uint8_t proto;
	uint16_t port;
	/* holds state (docs/stateful.md), and those elements as JSON text
	 * ([{"element", "class"}]); NULL: not decided (deployed before schema
	 * version 4) */
	bool stateful;
	char *stateful_elements;
};
void reg_module_release(struct reg_module *m);
void reg_modules_free(struct reg_module *v, size_t n);
/* Live (not killed) modules: of one tenant (tenant > 0) or all (0), id
 * order. */
int reg_modules_live(struct registry *r, int64_t tenant, struct reg_module **v, size_t *n);
/* A tenant's modules, killed ones too with with_killed, newest first. */
int reg_modules_list(struct registry *r, int64_t tenant, bool with_killed, struct reg_module **v,
                     size_t *n);
int reg_module_get(struct registry *r, int64_t id, struct reg_module *out);
/* Live modules of a tenant, of a platform. */
int reg_modules_count_tenant(struct registry *r, int64_t tenant, int64_t *n);
int reg_modules_count_platform(struct registry *r, const char *platform, int64_t *n);
/* Has the tenant a live module called name? */
int reg_module_name_taken(struct registry *r, int64_t tenant, const char *name, bool *taken);
/* Addresses allocated on a platform (sorted ascending, malloc'd). */
int reg_platform_ips(struct registry *r, const char *platform, uint32_t **v, size_t *n);
/* Insert the module row and its address (inside the caller's
 * transaction); sets m->id and m->created_at. -EEXIST when the name or the
 * address is taken. */
int reg_module_insert(struct registry *r, struct reg_module *m);
/* Mark killed, free its address and delete its saved state (inside the
 * caller's transaction); -ENOENT when there is no live module id. */
int reg_module_kill(struct registry *r, int64_t id);
/* Record whether a module deployed before schema version 4 is stateful
 * (elements: JSON text as in struct reg_module). */
int reg_module_set_stateful(struct registry *r, int64_t id, bool stateful, const char *elements);
/* The modules that may enter a tenant's model: its own live ones and the
 * operator's inline ones (id order). */
struct reg_modref {
	int64_t id, tenant_id;
	char *name;
	bool is_inline;
	uint32_t ip;
};
int reg_modules_model(struct registry *r, int64_t tenant, struct reg_modref **v, size_t *n);
void reg_modrefs_free(struct reg_modref *v, size_t n);

/* --- saved module states (state.c; docs/stateful.md) --- */
/* A stateful module's state as saved at its last suspend. */
struct reg_module_state {
	void *state;       /* malloc'd (NULL when not asked for) */
	size_t len;        /* its size in bytes */
	char *saved_at;    /* UTC, ISO 8601 with milliseconds */
};
void reg_module_state_release(struct reg_module_state *s);
/* Store the state of module id, replacing the one before (one row per
 * module). -ENOENT when there is no live module id (a state that arrives
 * after a kill is not kept). */
int reg_module_state_put(struct registry *r, int64_t id, const void *state, size_t len);
/* The stored state of module id (the bytes too with `bytes`); -ENOENT
 * when none. */
int reg_module_state_get(struct registry *r, int64_t id, bool bytes, struct reg_module_state *out);
/* Forget it (0 also when there was none). */
int reg_module_state_delete(struct registry *r, int64_t id);

/* A module's live state as its PoP's innetd reports it (JSON text of the
 * platform's description), for the other innetd on the same registry.
 * put: replaced; -ENOENT when the module is killed or unknown (nothing
 * kept). get: *pop, *json and *at malloc'd (the caller frees them);
 * -ENOENT when none was reported. */
int reg_module_runtime_put(struct registry *r, int64_t id, const char *pop, const char *json);
int reg_module_runtime_get(struct registry *r, int64_t id, char **pop, char **json, char **at);

/* --- Idempotency-Key answers (idempotency.c; docs/pops.md) --- */
#define REG_IDEM_KEY_MAX 128
/* The answer a request with an Idempotency-Key got. */
struct reg_idem {
	uint8_t request_hash[REG_HASH_LEN]; /* of its method, path and body */
	int status;
	char *body;        /* malloc'd JSON text */
	int64_t module_id; /* 0: none */
};
void reg_idem_release(struct reg_idem *e);
/* The answer kept for the tenant's key, stored less than max_age_ms ago;
 * -ENOENT when none. */
int reg_idem_get(struct registry *r, int64_t tenant, const char *key, int64_t max_age_ms,
                 struct reg_idem *out);
/* Keep e for the tenant's key (inside the caller's transaction, the one
 * that stores what the request did). A row of the key older than
 * max_age_ms is replaced; -EEXIST when a newer one exists (another
 * request with the key committed first: roll back and answer with it). */
int reg_idem_put(struct registry *r, int64_t tenant, const char *key, const struct reg_idem *e,
                 int64_t max_age_ms);
/* Delete at most max_rows rows stored more than older_than_ms ago;
 * *deleted says how many. */
int reg_idem_prune(struct registry *r, int64_t older_than_ms, int max_rows, int *deleted);

/* --- audit --- */
/* who: "operator", "tenant:<id>", "anonymous"; tenant_id 0: none;
 * detail: JSON text or NULL. */
int reg_audit_add(struct registry *r, const char *who, int64_t tenant_id, const char *method,
                  const char *path, int status, const char *result, const char *detail);
/* The newest `limit` rows, newest first, as a JSON array. */
int reg_audit_list(struct registry *r, int limit, json_t **out);
/* The id of the row reg_audit_add wrote last on this registry. */
int64_t reg_audit_last_id(struct registry *r);
/* Replace the detail (JSON text) of row id. */
int reg_audit_set_detail(struct registry *r, int64_t id, const char *detail);
/* Delete at most max_rows of the oldest rows written more than
 * older_than_ms ago (bounded work per call); *deleted says how many. */
int reg_audit_prune(struct registry *r, int64_t older_than_ms, int max_rows, int *deleted);

#endif
