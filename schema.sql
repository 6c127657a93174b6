-- The innet registry (docs/architecture.md). Applied by innetd to an empty
-- database; src/registry/registry.c holds the migrations that bring an
-- older database to this version. Bump user_version (and
-- REG_SCHEMA_VERSION in src/registry/registry.h) with every change, and add
-- the matching migration.
PRAGMA user_version = 7;

-- Small key/value facts about this registry (e.g. the operator token hash).
CREATE TABLE meta (
	key TEXT PRIMARY KEY,
	value BLOB NOT NULL
);

CREATE TABLE tenants (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL UNIQUE,
	kind TEXT NOT NULL CHECK (kind IN ('client', 'third_party', 'operator')),
	token_hash BLOB NOT NULL UNIQUE,      -- crypto_generichash of the token
	quota_modules INTEGER NOT NULL DEFAULT 100 CHECK (quota_modules >= 0),
	-- per module: the memory a stateful module's state may take; 0: innetd's
	-- module-memory-mb setting (docs/stateful.md)
	quota_memory_mb INTEGER NOT NULL DEFAULT 0 CHECK (quota_memory_mb >= 0),
	quota_starts_per_min INTEGER NOT NULL DEFAULT 60 CHECK (quota_starts_per_min >= 0),
	-- check and deploy requests per second; 0: innetd's tenant-rps setting
	quota_rps INTEGER NOT NULL DEFAULT 0 CHECK (quota_rps >= 0),
	-- per module: the flow mappings its stateful elements hold together; 0:
	-- innetd's module-flows setting (docs/stateful.md)
	quota_flows INTEGER NOT NULL DEFAULT 0 CHECK (quota_flows >= 0),
	created_at TEXT NOT NULL,
	-- checks and deploys queued or running at once; 0: innetd's
	-- tenant-inflight setting
	quota_inflight INTEGER NOT NULL DEFAULT 0 CHECK (quota_inflight >= 0),
	-- set while the operator has the tenant suspended: its token is refused
	-- and its modules are held (docs/operator.md)
	suspended_at TEXT
);

-- Registered address prefixes ('address') and the destination whitelist
-- ('whitelist') of each tenant.
CREATE TABLE tenant_prefixes (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	list TEXT NOT NULL CHECK (list IN ('address', 'whitelist')),
	pos INTEGER NOT NULL,
	prefix TEXT NOT NULL,                 -- "a.b.c.d/len", canonical
	addr INTEGER NOT NULL,                -- host order
	len INTEGER NOT NULL CHECK (len BETWEEN 0 AND 32),
	PRIMARY KEY (tenant_id, list, pos)
);

-- Network snapshots, every version kept; the highest is current.
CREATE TABLE snapshots (
	version INTEGER PRIMARY KEY AUTOINCREMENT,
	json TEXT NOT NULL,
	created_at TEXT NOT NULL,
	created_by TEXT NOT NULL
);

-- The platforms of the current snapshot (rewritten with each snapshot).
-- pop: the PoP whose innetd serves it (docs/pops.md); NULL: stored before
-- schema version 7, the snapshot names it.
CREATE TABLE platforms (
	name TEXT PRIMARY KEY,
	address TEXT NOT NULL,
	pool TEXT NOT NULL,
	capacity INTEGER NOT NULL CHECK (capacity >= 0),
	snapshot_version INTEGER NOT NULL REFERENCES snapshots(version),
	pop TEXT
);

-- Operator policy statements (the requirement language).
CREATE TABLE policies (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	text TEXT NOT NULL,
	created_at TEXT NOT NULL,
	created_by TEXT NOT NULL
);

CREATE TABLE modules (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE RESTRICT,
	name TEXT NOT NULL,
	source TEXT,                          -- Click text as sent
	stock TEXT,                           -- or a stock module name
	params TEXT,                          -- JSON object
	requirements TEXT NOT NULL DEFAULT '',
	verdict TEXT CHECK (verdict IN ('safe', 'sandboxed', 'rejected')),
	platform TEXT REFERENCES platforms(name) ON DELETE RESTRICT,
	ip INTEGER,                           -- assigned address, host order
	proto INTEGER,
	port INTEGER,
	state TEXT NOT NULL DEFAULT 'deployed' CHECK (state IN
		('deployed', 'booting', 'running', 'idle', 'suspended', 'stopped', 'killed')),
	snapshot_version INTEGER REFERENCES snapshots(version),
	report TEXT,                          -- last verification report, JSON
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	-- holds state (an element of the deployed graph has a save hook:
	-- rt_graph_stateful), with those elements as a JSON array of
	-- {"element", "class"}; NULL: deployed before schema version 4, not
	-- decided (docs/stateful.md)
	stateful INTEGER NOT NULL DEFAULT 0,
	stateful_elements TEXT,
	CHECK (source IS NOT NULL OR stock IS NOT NULL)
);
CREATE UNIQUE INDEX modules_live_name ON modules(tenant_id, name) WHERE state <> 'killed';
CREATE INDEX modules_platform ON modules(platform);
-- Indexes over live modules only. Killed rows stay forever (audit, GET
-- ?all) and each carries its report: without these, every request's
-- capacity counts and model query visited every module ever deployed, so a
-- deploy's cost grew with the history (5 ms at 1,500 rows). state is a
-- column too: SQLite (3.40) reads the row to test a partial index's
-- condition unless the index holds the column.
CREATE INDEX modules_live_platform ON modules(platform, state) WHERE state <> 'killed';
-- covers the model query and the quota count
CREATE INDEX modules_live_tenant ON modules(tenant_id, id, name, ip, platform, state)
	WHERE state <> 'killed';
-- One live module per address of a platform, whichever innetd commits it
-- (docs/pops.md): a commit that picked an address another one took first
-- fails and is verified again with a fresh one.
CREATE UNIQUE INDEX modules_live_address ON modules(platform, ip)
	WHERE state <> 'killed' AND platform IS NOT NULL;

-- Addresses handed out from platform pools; one row per (platform, ip,
-- proto, port) in use.
CREATE TABLE allocations (
	platform TEXT NOT NULL REFERENCES platforms(name) ON DELETE RESTRICT,
	ip INTEGER NOT NULL,
	proto INTEGER NOT NULL DEFAULT 0,
	port INTEGER NOT NULL DEFAULT 0,
	module_id INTEGER NOT NULL REFERENCES modules(id) ON DELETE CASCADE,
	created_at TEXT NOT NULL,
	PRIMARY KEY (platform, ip, proto, port)
);
CREATE INDEX allocations_module ON allocations(module_id);

-- The state of a stateful module saved at its last suspend (rt_module_save's
-- bytes), one row per module replaced on each suspend; a restart deploys the
-- module suspended with it. Deleted with the module (kill, tenant deletion).
CREATE TABLE module_state (
	module_id INTEGER PRIMARY KEY REFERENCES modules(id) ON DELETE CASCADE,
	state BLOB NOT NULL,
	bytes INTEGER NOT NULL CHECK (bytes >= 0),
	saved_at TEXT NOT NULL                -- UTC, ISO 8601 with milliseconds
);

-- The live state of a module as the innetd of its PoP last reported it
-- (docs/registry.md, "Several innetd on one registry"): what any other
-- innetd shows for it. Replaced on each report, deleted with the module.
CREATE TABLE module_runtime (
	module_id INTEGER PRIMARY KEY REFERENCES modules(id) ON DELETE CASCADE,
	pop TEXT NOT NULL,
	runtime TEXT NOT NULL,                -- JSON: the platform's description
	updated_at TEXT NOT NULL              -- UTC, ISO 8601 with milliseconds
);

-- Answers kept for Idempotency-Key retries (docs/pops.md): a deploy's key,
-- per tenant, with a hash of its method, path and body and the answer it
-- got, written in the transaction that stores the module. Rows older than
-- idempotency-retention are ignored and pruned.
CREATE TABLE idempotency (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	key TEXT NOT NULL,
	request_hash BLOB NOT NULL,           -- crypto_generichash of method, path, body
	status INTEGER NOT NULL,
	body TEXT NOT NULL,
	module_id INTEGER,
	created_at TEXT NOT NULL,             -- UTC, ISO 8601 with milliseconds
	PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_created ON idempotency(created_at);

-- Every state-changing call: who, what, when, result.
CREATE TABLE audit (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	at TEXT NOT NULL,                     -- UTC, ISO 8601 with milliseconds
	who TEXT NOT NULL,                    -- "operator", "tenant:<id>", "anonymous"
	tenant_id INTEGER,                    -- no foreign key: outlives the tenant
	method TEXT NOT NULL,
	path TEXT NOT NULL,
	status INTEGER NOT NULL,
	result TEXT NOT NULL,                 -- "ok" or the error code
	detail TEXT                           -- JSON, optional
);
