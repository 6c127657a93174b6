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
CFG_ROW(db, "db", PATH, 0, 0, NULL, "state/innet.db", "SQLite registry file (its directory is created if missing)")
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
