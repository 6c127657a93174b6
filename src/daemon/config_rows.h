/* THE table of innetd settings. Each row is one key of conf/innetd.conf, one
 * command-line flag (--name) and one field of struct cfg; adding a setting is
 * adding one row here (and documenting it in conf/innetd.conf).
 *
 * CFG_ROW(field, "name", TYPE, min, max, "choices", "default", "help")
 *   TYPE: STRING  free text                        (char *)
 *         PATH    a file name, relative to the cwd (char *; "" = none)
 *         ADDRESS "a.b.c.d:port" (port 0 = any)    (char *)
 *         ENUM    one of "a|b|c"                   (char *)
 *         INT     integer in [min, max]            (int64_t)
 *         SIZE    bytes, suffix K/M/G allowed      (int64_t)
 *         DURATION milliseconds, suffix ms/s/m/h    (int64_t, ms)
 *         BOOL    true/false/yes/no/on/off/1/0      (bool)
 * min/max bound INT, SIZE and DURATION; choices only for ENUM (else NULL). */
CFG_ROW(listen, "listen", ADDRESS, 0, 0, NULL, "127.0.0.1:8080", "address:port of the HTTP API (port 0: any free port)")
CFG_ROW(db, "db", PATH, 0, 0, NULL, "state/innet.db", "SQLite registry file (its directory is created if missing), used when registry is empty")
/* The registry's database (docs/registry.md): empty, the SQLite file of db;
 * or PostgreSQL, shared by several innetd, as a libpq URI or keyword=value
 * string (multi-host strings are libpq's). Its password is shown as ***. */
CFG_ROW(registry, "registry", STRING, 0, 0, NULL, "", "registry database: empty for the SQLite file of db, or a PostgreSQL connection string (postgresql://user:password@host:port/db, or libpq key=value pairs such as 'host=a,b dbname=innet target_session_attrs=read-write'); its password is never shown")
CFG_ROW(pop, "pop", STRING, 0, 0, NULL, "pop1", "this innetd's PoP (docs/pops.md): 1 to 32 letters, digits, '-' and '_'; the snapshot's platforms name the PoP that serves them, and a snapshot without names (or with the old local/peer_url) is read as served by this one")
/* On a shared (PostgreSQL) registry, how often this innetd stores the live
 * states of its modules for the others to show (docs/registry.md). */
CFG_ROW(runtime_report, "runtime-report", DURATION, 0, 3600000, NULL, "2s", "on a PostgreSQL registry, how often the live state of this PoP's modules is stored for the other innetd to show (0: never)")
CFG_ROW(network, "network", PATH, 0, 0, NULL, "", "network snapshot JSON loaded at first start (empty: none)")
CFG_ROW(policy, "policy", PATH, 0, 0, NULL, "", "operator policy statements loaded at first start (empty: none)")
CFG_ROW(admin_token, "admin-token", STRING, 0, 0, NULL, "", "operator token (also INNET_ADMIN_TOKEN); empty: generated at first start")
CFG_ROW(admin_token_file, "admin-token-file", PATH, 0, 0, NULL, "", "where a generated operator token is written (mode 0600; empty: only printed)")
CFG_ROW(ready_file, "ready-file", PATH, 0, 0, NULL, "", "written with the listening address once the API accepts connections")
CFG_ROW(log_level, "log-level", ENUM, 0, 0, "debug|info|warn|error", "info", "least severe log level written to stderr")
CFG_ROW(max_body, "max-body", SIZE, 1024, 64 << 20, NULL, "1M", "largest request body accepted (413 above)")
CFG_ROW(max_header, "max-header", SIZE, 1024, 64 << 10, NULL, "16K", "largest request line + headers accepted (431 above)")
CFG_ROW(max_connections, "max-connections", INT, 1, 100000, NULL, "1024", "simultaneous HTTP connections (503 above)")
CFG_ROW(header_timeout, "header-timeout", DURATION, 10, 3600000, NULL, "10s", "time a client has to send a whole request once it started one")
CFG_ROW(idle_timeout, "idle-timeout", DURATION, 10, 86400000, NULL, "60s", "keep-alive connections idle this long are closed")
CFG_ROW(shutdown_timeout, "shutdown-timeout", DURATION, 0, 600000, NULL, "5s", "on SIGTERM, how long in-flight requests may still finish")
/* The controller: verification work and request rates. */
CFG_ROW(verify_steps, "verify-steps", INT, 1, 1000000000, NULL, "3000", "symbolic execution steps per statement in the tenant's modules before a request is refused as too complex")
CFG_ROW(verify_network_steps, "verify-network-steps", INT, 1, 1000000000, NULL, "10000000", "symbolic execution steps per statement in the operator's own routers and middleboxes, which verify-steps does not count (a tenant pays for what its module adds, not for the network's size)")
CFG_ROW(verify_memory_mb, "verify-memory-mb", INT, 1, 65536, NULL, "64", "MiB each parse of a tenant's configuration and each statement's verification may use before the request is refused as too complex")
CFG_ROW(verify_deadline_ms, "verify-deadline-ms", INT, 1, 3600000, NULL, "10000", "milliseconds a check or deploy may verify before it is refused as too complex")
CFG_ROW(tenant_rps, "tenant-rps", INT, 1, 1000000000, NULL, "200", "check and deploy requests per second of a tenant without its own rps quota (bursts of twice as many)")
/* Stateful modules' quotas (docs/stateful.md), for tenants without their own. */
CFG_ROW(module_flows, "module-flows", INT, 1, 1000000000, NULL, "65536", "flow mappings a stateful module's tables hold together, for tenants without their own flows quota (a new flow beyond it is dropped and counted)")
CFG_ROW(module_memory_mb, "module-memory-mb", INT, 1, 1000000, NULL, "16", "MiB a stateful module's state may take, for tenants without their own memory_mb quota (16: 65536 mappings of about 100 bytes, tables and the module itself)")
/* The platform: DPDK fast path (src/dataplane) and module lifecycle (src/vm).
 * The built-in default is dataplane = none so that a bare innetd (tests,
 * tools) needs no privileges; conf/innetd.conf turns on a TAP port. */
CFG_ROW(dataplane, "dataplane", ENUM, 0, 0, "none|tap|af_packet|pcap|null|devargs", "none", "fast-path ports: none (modules are only recorded), tap, af_packet, pcap, null, or devargs (dp-ports are DPDK device arguments / PCI addresses)")
CFG_ROW(dp_ports, "dp-ports", STRING, 0, 0, NULL, "", "the ports, blank-separated: TAP names (default innet0), interfaces (af_packet), IN.pcap[:OUT.pcap] (pcap) or devargs")
CFG_ROW(dp_routes, "dp-routes", STRING, 0, 0, NULL, "0.0.0.0/0=0", "where module output goes: PREFIX=PORT[@NEXT-HOP-MAC], blank- or comma-separated, longest prefix wins")
CFG_ROW(dpdk_args, "dpdk-args", STRING, 0, 0, NULL, "--no-huge -m 256", "extra DPDK EAL arguments, blank-separated (--no-pci, or -a for each PCI port, is added)")
CFG_ROW(dp_file_prefix, "dp-file-prefix", STRING, 0, 0, NULL, "", "EAL --file-prefix, for several DPDK processes with shared config (empty: --no-shconf)")
CFG_ROW(dp_lcore, "dp-lcore", INT, 1, 1023, NULL, "1", "the first lcore of the fast path")
CFG_ROW(dp_lcores, "dp-lcores", INT, 1, 16, NULL, "1", "fast-path lcores (dp-lcore .. dp-lcore + N - 1): each module runs on one of them, each polls its own rx and tx queue of every port")
CFG_ROW(dp_idle_sleep_us, "dp-idle-sleep-us", INT, 0, 100000, NULL, "50", "microseconds the fast path sleeps when its ports are idle (0: busy poll)")
CFG_ROW(dp_hold_packets, "dp-hold-packets", INT, 1, 1024, NULL, "8", "first packets held per module while it starts")
CFG_ROW(dp_hold_total, "dp-hold-total", INT, 1, 1048576, NULL, "4096", "first packets held across all starting modules")
CFG_ROW(dp_max_modules, "dp-max-modules", INT, 1, 16777216, NULL, "131072", "deployed modules the fast path can classify")
CFG_ROW(dp_mbufs, "dp-mbufs", INT, 1023, 16777215, NULL, "8191", "packet buffers of the fast path's pool")
CFG_ROW(process_port, "process-port", STRING, 0, 0, NULL, "", "host interface the fast path creates (a TAP) to join process modules' programs, one VLAN each (empty: none, process modules are refused)")
/* Each innetd on a host needs its own: the process backend removes every
 * <prefix><digits> namespace, cgroup and scratch directory at start. */
CFG_ROW(process_prefix, "process-prefix", STRING, 0, 0, NULL, "", "names of process modules' network namespaces, cgroups and scratch directories: <prefix><module id>; 1 to 20 letters, digits, '-', '_'; empty: the process port's name and '-' (innet-proc-12), distinct for each innetd in one network namespace; at start innetd removes what a crashed innetd left under its prefix, so two innetd on one host need different ones")
CFG_ROW(backend, "backend", ENUM, 0, 0, "native|xen", "native", "how modules run: native (Click runtime in the fast path) or xen (ClickOS domains)")
CFG_ROW(idle_stop, "idle-stop", DURATION, 10, 86400000, NULL, "30s", "stateless modules idle this long (empty queues) are stopped and their memory freed")
CFG_ROW(starts_per_second, "starts-per-second", INT, 1, 10000000, NULL, "1000", "module starts per second, all tenants together")
CFG_ROW(start_burst, "start-burst", INT, 1, 10000000, NULL, "100", "module starts allowed at once, all tenants together")
CFG_ROW(tenant_starts_per_second, "tenant-starts-per-second", INT, 1, 10000000, NULL, "50", "module starts per second of one tenant")
CFG_ROW(tenant_start_burst, "tenant-start-burst", INT, 1, 10000000, NULL, "10", "module starts of one tenant allowed at once")
CFG_ROW(stateful_quota, "stateful-quota", SIZE, 4096, 1 << 30, NULL, "1M", "memory of a stateful module's state block when the controller gives none (module-memory-mb and tenants' memory_mb set it for every deployed module)")
/* Process-backed stock modules (docs/process-modules.md): the operator's
 * catalogue, read once at start. */
CFG_ROW(process_catalogue, "process-catalogue", PATH, 0, 0, NULL, "examples/process-catalogue.json", "JSON catalogue of process-backed stock modules (nginx, unbound, squid: docs/process-modules.md), read once at start; the default is the shipped one, relative to the working directory, and is skipped with a warning when absent; empty: none; any other file must load")
CFG_ROW(xen_image, "xen-image", PATH, 0, 0, NULL, "", "ClickOS kernel for backend = xen")
/* The controller: scheduling checks and deploys (docs/architecture.md, "Scheduling checks and
 * deploys"); tenants' own inflight quota overrides tenant-inflight. */
CFG_ROW(verify_workers, "verify-workers", INT, 0, 256, NULL, "0", "checks and deploys verified at once (worker threads; 0: one per CPU core but one, which the event loop keeps: verification is CPU-bound, and more workers than cores only slow each job down); the others wait in a queue served round robin across tenants")
CFG_ROW(verify_queue_wait_ms, "verify-queue-wait-ms", INT, 1, 3600000, NULL, "5000", "milliseconds a check or deploy may wait for a worker before it is answered 503 busy with Retry-After (never run)")
CFG_ROW(verify_queue, "verify-queue", INT, 1, 1000000, NULL, "1024", "checks and deploys queued or running, all tenants together (503 busy with Retry-After above)")
CFG_ROW(tenant_inflight, "tenant-inflight", INT, 1, 1000000, NULL, "8", "checks and deploys one tenant may have queued or running, for tenants without their own inflight quota (429 too_many_requests with Retry-After above)")
/* Floods (docs/architecture.md, HTTP): per-address connection limits, the
 * operator socket, refusals and unauthenticated calls counted per address,
 * audit retention. */
CFG_ROW(max_connections_per_address, "max-connections-per-address", INT, 1, 100000, NULL, "256", "simultaneous HTTP connections from one client address (beyond it: 429 and closed at once)")
CFG_ROW(address_accepts_per_second, "address-accepts-per-second", INT, 1, 1000000, NULL, "200", "new HTTP connections per second from one client address, bursts of twice as many (beyond it: 429 and closed at once)")
CFG_ROW(admin_socket, "admin-socket", PATH, 0, 0, NULL, "", "Unix socket (mode 0600) serving the same API outside the TCP limits, so the operator and probes get in under a flood (empty: none)")
CFG_ROW(report_interval, "report-interval", DURATION, 100, 3600000, NULL, "10s", "refused connections are logged, and unauthenticated calls audited, as one line or row per client address and interval with a count")
CFG_ROW(audit_retention, "audit-retention", DURATION, 0, INT64_C(3153600000000), NULL, "2160h", "audit rows older than this are deleted, a bounded batch per report-interval (0: kept forever)")
/* Idempotency-Key on deploys (docs/pops.md). */
CFG_ROW(idempotency_retention, "idempotency-retention", DURATION, 1000, INT64_C(3153600000000), NULL, "24h", "how long the answer of a deploy with an Idempotency-Key is kept for its retries (older ones are pruned, and the key may then be used again)")
/* What tenants see of the operator's network in their reports (docs/privacy.md). */
CFG_ROW(tenant_report_detail, "tenant-report-detail", ENUM, 0, 0, "none|boundary|full", "boundary", "what a tenant's check report shows of the operator's network: none (verdicts and messages, no traces), boundary (its modules in full, the operator's network as one hop, no names, policy text or routed prefixes) or full (everything, as the operator sees it)")
