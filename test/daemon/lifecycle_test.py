"""innetd start-up, restart and shutdown: configuration errors, persistence
across restarts, the generated operator token, SIGTERM during requests, and
hostile input that must neither crash the daemon nor lose rows."""
import json
import os
import random
import signal
import socket
import sqlite3
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
import innet_test as it  # noqa: E402

NET = it.example("figure3-network.json")
POLICY = it.example("figure3-policy.reach")


def test_config_errors_exit_2_with_file_line_column():
    d = tempfile.mkdtemp(prefix="innet-conf-")
    cases = [
        ("listen = 127.0.0.1:8080\nlisen = x\n", ":2:1: error: unknown setting 'lisen'"),
        ("# c\n\nmax-body = lots\n", ":3:12: error: max-body: 'lots' is not a size"),
        ("max-connections = 0\n", ":1:19: error: max-connections: 0 is out of range"),
        ("log-level = loud\n", ":1:13: error: log-level: 'loud' is not one of debug|info|warn|error"),
        ("listen = localhost\n", ":1:10: error: listen: 'localhost' is not an address:port"),
        ("header-timeout = 5 s\n", ":1:18: error: header-timeout: '5 s' is not a duration"),
        ("just words\n", ":1:1: error: expected 'key = value'"),
        ("db = a\ndb = b\n", ":2:1: error: 'db' is set twice (first on line 1)"),
        ("admin-token = \"abc\n", ":1:15: error: unterminated quoted value"),
    ]
    for text, msg in cases:
        path = os.path.join(d, "bad.conf")
        with open(path, "w") as f:
            f.write(text)
        r = it.run([it.INNETD, "--config", path], timeout=30)
        assert r.returncode == 2, (text, r.returncode, r.stderr)
        assert path + msg in r.stderr, (text, r.stderr)
        # the line at fault follows, with a caret under it
        assert "\n  " + text.rstrip("\n").split("\n")[-1] + "\n" in r.stderr, (text, r.stderr)
    for args, msg in [(["--bogus", "1"], "--bogus: unknown flag"),
                      (["--max-body"], "--max-body: missing value"),
                      (["--idle-timeout", "-3s"], "idle-timeout: '-3s' is not a duration"),
                      (["--config", os.path.join(d, "none.conf")], "none.conf: No such file")]:
        r = it.run([it.INNETD] + args, timeout=30)
        assert r.returncode == 2 and msg in r.stderr, (args, r.returncode, r.stderr)
    r = it.run([it.INNETD, "--help"], timeout=30)
    assert r.returncode == 0 and "--max-body" in r.stdout and "--header-timeout" in r.stdout


def test_repo_config_file_is_valid():
    # conf/innetd.conf parses; flags override it (listen, db, token; and the
    # fast path, whose TAP port would need root and clash with a running innetd)
    with it.Daemon(config=it.source("conf/innetd.conf"), cwd=it.source("."),
                   args=["--dataplane", "none"]) as d:
        cfg = d.get("/v1/config").json
        assert cfg["max-body"] == 1 << 20 and cfg["header-timeout"] == 10000
        assert cfg["db"] == d.db and cfg["admin-token"] == "(set)"
        assert d.get("/v1/network").json["snapshot"] == json.load(open(it.source("conf/network.json")))
        assert len(d.get("/v1/policies").json["policies"]) == 1


def test_bad_network_file_stops_startup():
    d = tempfile.mkdtemp(prefix="innet-net-")
    net = json.load(open(NET))
    net["nodes"][2]["routes"][0]["port"] = 7
    bad = os.path.join(d, "net.json")
    json.dump(net, open(bad, "w"))
    r = it.run([it.INNETD, "--db", os.path.join(d, "db"), "--network", bad, "--listen", "127.0.0.1:0",
                "--admin-token", "x" * 20], timeout=30)
    assert r.returncode == 2, r
    assert bad in r.stderr and "nodes[2].routes[0].port: 7 is out of range [0, 1]" in r.stderr, r.stderr


def test_restart_keeps_everything():
    with it.Daemon(network=NET, policy=POLICY) as d:
        t = d.post("/v1/tenants", {"name": "keep", "kind": "client", "addresses": ["10.9.0.0/16"]}).json
        p = d.post("/v1/policies", {"text": "reach from client -> internet"}).json
        net = d.get("/v1/network").json
        net["snapshot"]["nodes"][6]["capacity"] = 5
        assert d.put("/v1/network", net["snapshot"]).json["version"] == 2
        before = {k: d.get(k).json for k in ["/v1/tenants", "/v1/policies", "/v1/network", "/v1/platforms"]}
        d.restart()
        after = {k: d.get(k).json for k in before}
        assert after == before
        assert d.get("/v1/whoami", token=t["token"]).json["name"] == "keep"
        assert after["/v1/platforms"]["platforms"][0]["capacity"] == 5
        assert any(x["id"] == p["id"] for x in after["/v1/policies"]["policies"])
        assert d.get("/v1/health", token=None).json["snapshot_version"] == 2
        db = sqlite3.connect(d.db)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 1
        db.close()


def test_generated_admin_token_persists():
    tokfile = os.path.join(tempfile.mkdtemp(prefix="innet-tok-"), "admin.token")
    d = it.Daemon(token=False, args=["--admin-token-file", tokfile])
    with d:
        token = open(tokfile).read().strip()
        assert oct(os.stat(tokfile).st_mode & 0o777) == "0o600"
        assert token in d.log()  # printed once
        it.expect_status(d.get("/v1/tenants", token=token), 200)
        d.restart()
        it.expect_status(d.get("/v1/tenants", token=token), 200)
        assert d.log().count(token) == 1  # not printed again
    # INNET_ADMIN_TOKEN works too
    env_tok = "env-token-" + "z" * 20
    with it.Daemon(token=False, env={"INNET_ADMIN_TOKEN": env_tok}) as d:
        it.expect_status(d.get("/v1/tenants", token=env_tok), 200)


def test_newer_or_foreign_database_refused():
    dir_ = tempfile.mkdtemp(prefix="innet-db-")

    def refused(name, sql, why):
        """innetd must refuse a database that `sql` made, saying why."""
        path = os.path.join(dir_, name)
        db = sqlite3.connect(path)
        db.execute(sql)
        db.commit()
        db.close()
        r = it.run([it.INNETD, "--db", path, "--admin-token", "x" * 20, "--listen", "127.0.0.1:0"],
                   timeout=30)
        assert r.returncode != 0 and why in r.stderr, r.stderr

    refused("newer.db", "PRAGMA user_version = 999", "newer than this innetd")
    refused("foreign.db", "CREATE TABLE stuff (x)", "not an innet registry")


def test_sigterm_during_requests():
    d = it.Daemon(args=["--shutdown-timeout", "5s"])
    d.start()
    created, errors = [], []
    lock = threading.Lock()
    stop = threading.Event()

    def worker(i):
        c = d.client()
        k = 0
        while not stop.is_set():
            try:
                r = c.post("/v1/tenants", {"name": f"w{i}-{k}", "kind": "client"})
            except Exception:  # noqa: BLE001  (the server closed: expected at shutdown)
                break
            if r.status == 201:
                with lock:
                    created.append(r.json["name"])
            elif r.status != 503:
                with lock:
                    errors.append(r)
            k += 1
        c.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    while True:
        with lock:
            if len(created) >= 30:
                break
    d.stop(signal.SIGTERM)  # asserts exit status 0
    stop.set()
    for t in threads:
        t.join(30)
    assert not errors, errors[:3]
    assert "stopping" in d.log()
    # every tenant whose creation was acknowledged is there after a restart
    with it.Daemon(token=d.token, state_dir=d.dir) as d2:
        names = {t["name"] for t in d2.get("/v1/tenants").json["tenants"]}
        assert set(created) <= names, set(created) - names


def test_hostile_input_never_crashes_or_loses_rows():
    rnd = random.Random(1234)
    with it.Daemon(network=NET) as d:
        d.post("/v1/tenants", {"name": "decoy", "kind": "client"})  # id 1: may be deleted below
        d.post("/v1/policies", {"text": "decoy"})
        t = d.post("/v1/tenants", {"name": "victim", "kind": "client", "addresses": ["10.9.0.0/16"]}).json
        d.post("/v1/policies", {"text": "reach from client -> internet"})
        before = {k: d.get(k).json for k in ["/v1/tenants", "/v1/policies", "/v1/network"]}
        paths = ["/v1/tenants", "/v1/network", "/v1/policies", "/v1/tenants/1", "/v1/policies/1",
                 "/v1/platforms", "/v1/health", "/v1/%00", "/" + "a/" * 50]
        bodies = [b"", b"{", b"[]", b"null", b'{"name": null}', b'{"nodes": 5}', b'{"nodes": [{}]}',
                  b'{"text": {"a": 1}}', b'"' + b"\\u0000" * 10 + b'"', b'{"a":' * 2000,
                  bytes(rnd.randrange(256) for _ in range(300)),
                  json.dumps({"nodes": [{"name": "x:y", "type": "router", "ports": 1e9}]}).encode()]
        c = d.client()
        for i in range(300):
            method = rnd.choice(["GET", "POST", "PUT", "DELETE", "PATCH"])
            body = rnd.choice(bodies)
            tok = rnd.choice(["default", None, t["token"], "garbage"])
            try:
                r = c.request(method, rnd.choice(paths), raw=body if body else None, token=tok)
                assert r.status in (200, 201, 204, 400, 401, 403, 404, 405, 409, 415), r
                if method in ("POST", "PUT") and r.status in (200, 201):
                    assert tok == "default"
            except (ConnectionError, OSError):
                c.close()
                c = d.client()
        for _ in range(50):
            junk = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 2000)))
            try:
                d.raw(junk, timeout=2)
            except OSError:
                pass
        assert d.alive()
        # only successful admin changes could have happened; the victim rows remain
        names = [x["name"] for x in d.get("/v1/tenants").json["tenants"]]
        assert "victim" in names
        assert d.get("/v1/whoami", token=t["token"]).status == 200
        assert d.get("/v1/network").json["snapshot"] == before["/v1/network"]["snapshot"]


it.main()
