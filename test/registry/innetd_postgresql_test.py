"""The real innetd with `registry = postgresql://...` on a throwaway
PostgreSQL server (test/lib/pgcluster.py): tenants, a deployed module and
the network survive a restart (they are in PostgreSQL: the SQLite file of
`db` is never created), the password never shows in GET /v1/config or the
log, a libpq keyword string (multi-host too) works as well as a URI, and an unreachable
server is a clear start-up error naming the host."""
import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
import innet_test as it  # noqa: E402
import pgcluster  # noqa: E402

NET = it.example("figure3-network.json")
POLICY = it.example("figure3-policy.reach")
FIG4 = json.load(open(it.example("figure4-request.json")))


def test_deploy_restart_find_again():
    with pgcluster.Cluster() as pg:
        with it.Daemon(network=NET, policy=POLICY, args=["--registry", pg.conninfo]) as d:
            r = it.expect_status(d.post("/v1/tenants", {"name": "c", "kind": "client",
                                                         "addresses": ["172.16.15.133/32"]}), 201)
            tok = r.json["token"]
            m = it.expect_status(d.post("/v1/modules", FIG4, token=tok), 201).json
            before = d.get("/v1/modules", token=tok).json["modules"]
            assert [x["id"] for x in before] == [m["id"]], before
            # the password is hidden wherever the setting shows
            conf = d.get("/v1/config").json
            shown = conf.get("registry") or conf.get("settings", {}).get("registry")
            assert shown is not None, conf
            assert pg.password not in json.dumps(conf), conf
            assert shown.startswith("postgresql://innet:***@127.0.0.1:"), shown
            d.restart()
            after = d.get("/v1/modules", token=tok).json["modules"]
            assert [x["id"] for x in after] == [m["id"]], after
            got = d.get(f"/v1/modules/{m['id']}", token=tok).json
            assert got["name"] == FIG4["name"] and got["platform"] == m["platform"], got
            assert d.get("/v1/whoami", token=tok).json["name"] == "c"
            assert pg.password not in d.log()
            assert "registry postgresql" in d.log(), d.log()
            assert not os.path.exists(d.db), "the SQLite file was created"
        # the rows are PostgreSQL's
        assert pg.psql("SELECT count(*) FROM modules WHERE state <> 'killed'").strip() == "1"
        assert pg.psql("SELECT version FROM schema_version").strip() != ""
        # the same database as a keyword=value string, from another innetd
        with it.Daemon(args=["--registry", pg.keywords()]) as d2:
            assert d2.get("/v1/tenants").json["tenants"][0]["name"] == "c"
            assert pg.password not in json.dumps(d2.get("/v1/config").json)
            assert pg.password not in d2.log()
        # a multi-host string goes to libpq as it is: the first host is
        # down, the second is the writable one
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            dead = s.getsockname()[1]
        multi = (f"host=127.0.0.1,127.0.0.1 port={dead},{pg.port} dbname=innet user=innet "
                 f"password={pg.password} target_session_attrs=read-write")
        with it.Daemon(args=["--registry", multi]) as d3:
            assert d3.get("/v1/tenants").json["tenants"][0]["name"] == "c"
            shown = json.dumps(d3.get("/v1/config").json)
            assert pg.password not in shown and "password=***" in shown, shown


def test_unreachable_server_is_a_clear_error():
    if not pgcluster.built_with_postgresql():
        # the stub backend: a clear refusal, not a crash or an SQLite file
        r = subprocess.run([it.INNETD, "--listen", "127.0.0.1:0", "--registry",
                            "postgresql://innet:pw@127.0.0.1:1/innet"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 1, (r.returncode, r.stderr)
        assert "innetd was built without PostgreSQL support" in r.stderr, r.stderr
        return
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = subprocess.run([it.INNETD, "--listen", "127.0.0.1:0", "--registry",
                        f"postgresql://innet:hunter2secret@127.0.0.1:{port}/innet"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert f"host 127.0.0.1 port {port}" in r.stderr, r.stderr
    assert "hunter2secret" not in r.stderr + r.stdout
    # not a connection string at all
    r = subprocess.run([it.INNETD, "--listen", "127.0.0.1:0", "--registry", "some/file.db"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "not a PostgreSQL connection string" in r.stderr, r.stderr


if __name__ == "__main__":
    it.main()
