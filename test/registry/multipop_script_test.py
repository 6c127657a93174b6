"""tools/multipop.sh, the operator's try-it script (docs/multipop.md): it
starts a PostgreSQL server (role and database innet) and three innetd
(PoPs paris, lyon, berlin) on it; a tenant created through paris deploys
through lyon and sees its module through berlin, the Figure 4 batcher
sent to paris is placed on berlin's platform3; `multipop.sh stop DIR`
stops everything (the script, the three innetd, the server), and the
script started again on the same folder finds its data."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
import innet_test as it  # noqa: E402
import pgcluster  # noqa: E402

SCRIPT = it.source("tools/multipop.sh")
ECHO = {"name": "echo",
        "config": "FromNetFront() -> IPFilter(allow udp dst port 7, deny all) -> IPMirror -> ToNetFront();"}


def start(folder):
    env = dict(os.environ, INNETD=it.INNETD, INNET_CLI=it.INNET_CLI,
               INNET_PG_BIN=pgcluster.PG_BIN)
    out = open(os.path.join(os.path.dirname(folder), "script.out"), "ab")
    p = subprocess.Popen([SCRIPT, folder, "--api-port", "0"], stdout=out, stderr=subprocess.STDOUT,
                         env=env, start_new_session=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    envfile = os.path.join(folder, "env")
    end = time.monotonic() + 90
    while not os.path.exists(envfile):
        if p.poll() is not None:
            raise AssertionError(f"multipop.sh exited with {p.returncode}:\n{output(folder)}")
        if time.monotonic() > end:
            raise AssertionError(f"multipop.sh not ready after 90 s:\n{output(folder)}")
        time.sleep(0.1)
    urls = {}
    for line in open(envfile):
        k, v = line.removeprefix("export ").strip().split("=", 1)
        urls[k] = v.strip("'")
    return p, urls


def output(folder):
    with open(os.path.join(os.path.dirname(folder), "script.out"), errors="replace") as f:
        return f.read()[-4000:]


class Api(it.Verbs):
    """One of the script's innetd, by its URL."""

    def __init__(self, url, token):
        host, port = url.removeprefix("http://").rsplit(":", 1)
        self.host, self.port, self.token = host, int(port), token

    def request(self, method, path, body=None, token="default", **kw):
        c = it.Client(self.host, self.port, self.token)
        try:
            return c.request(method, path, body, token=token, **kw)
        finally:
            c.close()


def pids(folder):
    return [int(open(os.path.join(folder, p, "pid")).read())
            for p in ("paris", "lyon", "berlin") if os.path.exists(os.path.join(folder, p, "pid"))]


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def postmaster(folder):
    """The server's pid while it runs, else None."""
    try:
        return int(open(os.path.join(folder, "pg", "data", "postmaster.pid")).readline())
    except (OSError, ValueError):
        return None


def stop(p, folder):
    r = it.run([SCRIPT, "stop", folder], timeout=120)
    assert r.returncode == 0, r
    assert p.wait(30) == 0, output(folder)
    assert postmaster(folder) is None, "PostgreSQL still runs"
    assert not any(alive(x) for x in pids(folder)), "an innetd still runs"


def test_three_pops_from_the_script():
    if not pgcluster.available() or not pgcluster.built_with_postgresql():
        raise it.Skip("no PostgreSQL server binaries, or built without PostgreSQL")
    tmp = tempfile.mkdtemp(prefix="innet-multipop-script-")
    os.chmod(tmp, 0o755)  # as root, the server runs as postgres and must reach it
    folder = os.path.join(tmp, "pops")
    p = None
    try:
        p, urls = start(folder)
        admin = urls["ADMIN"]
        paris, lyon, berlin = (Api(urls[k], admin) for k in ("PARIS", "LYON", "BERLIN"))
        for d, pop in ((paris, "paris"), (lyon, "lyon"), (berlin, "berlin")):
            assert it.expect_status(d.get("/v1/platforms"), 200).json["pop"] == pop
        innetd = pids(folder)
        assert len(innetd) == 3 and all(alive(x) for x in innetd)

        t = it.expect_status(paris.post("/v1/tenants", {"name": "alice", "kind": "client",
                                                         "addresses": ["172.16.15.0/24"]}), 201).json
        m = it.expect_status(lyon.post("/v1/modules", ECHO, token=t["token"]), 201).json
        assert (m["platform"], m["pop"], m["state"]) == ("platform2", "lyon", "deployed"), m
        seen = it.expect_status(berlin.get(f"/v1/modules/{m['id']}", token=t["token"]), 200).json
        assert (seen["name"], seen["pop"]) == ("echo", "lyon"), seen
        b = it.expect_status(paris.post("/v1/modules", json.load(open(it.example("figure4-request.json"))),
                                        token=t["token"]), 201).json
        assert (b["platform"], b["pop"], b["state"]) == ("platform3", "berlin", "placed"), b
        stop(p, folder)

        # again on the same folder: the same registry, nothing lost
        p, urls = start(folder)
        berlin = Api(urls["BERLIN"], urls["ADMIN"])
        names = sorted(x["name"] for x in
                       it.expect_status(berlin.get("/v1/modules", token=t["token"]), 200).json["modules"])
        assert names == ["batcher", "echo"], names
        stop(p, folder)
        p = None
    finally:
        if p is not None and p.poll() is None:
            subprocess.run([SCRIPT, "stop", folder], timeout=120)
        shutil.rmtree(tmp, ignore_errors=True)


it.main()
