#!/usr/bin/python3
"""A process module that fails, end to end (docs/process-sandbox.md,
"Failure"): the REAL innetd with a DPDK fast path and a process port (the
topology of test_e2e.py); an operator's tenant deploys a Python UDP server
from this test's own catalogue with a 32 MB memory quota. Asked to, the
program allocates far more: its cgroup kills it, the module is failed
(reason memory, never restarted by itself, not started by new flows), and
POST /v1/modules/{id}/restart puts it back so the next datagram starts a
new program that answers. Needs root, DPDK, bwrap and cgroups (exit 77
otherwise)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_e2e as e2e  # noqa: E402  (the topology and helpers)

it = e2e.it
PORT = 5301

EATER = [
    "import socket",
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
    "s.bind(('0.0.0.0', @{port}))",
    "print('eater: listening', flush=True)",
    "while True:",
    "    data, peer = s.recvfrom(2048)",
    "    if data == b'eat':",
    "        print('eater: eating 512 MB', flush=True)",
    "        hog = bytearray(512 << 20)",
    "        for i in range(0, len(hog), 4096):",
    "            hog[i] = 1",
    "    s.sendto(b'ate ' + data, peer)",
]

CATALOGUE = {"modules": [{
    "name": "eater",
    "summary": "a Python UDP server that allocates 512 MB when asked",
    "package": "python3",
    "argv": ["python3", "-u", "@{dir}/eater.py"],
    "files": [{"path": "eater.py", "template": EATER}],
    "params": [{"name": "port", "type": "port", "default": PORT, "doc": "its UDP port"}],
    "listen": [{"proto": "udp", "port": PORT}],
    "quota": {"memory_mb": 32, "cpu_percent": 50, "pids": 8},
}]}


def helper_ask(dst, port, text, tries):
    import socket
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("198.51.100.2", 0))
    u.settimeout(1)
    for _ in range(tries):
        u.sendto(text.encode(), (dst, port))
        try:
            data, peer = u.recvfrom(2048)
        except socket.timeout:
            continue
        print(json.dumps({"answer": data.decode()}), flush=True)
        return
    print(json.dumps({"answer": None}), flush=True)


if len(sys.argv) > 1 and sys.argv[1] == "--ask":
    helper_ask(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
    sys.exit(0)

T = None
TMP = None


def ask(dst, text, tries=15):
    r = subprocess.run(["ip", "netns", "exec", T.ns_inet, sys.executable, os.path.abspath(__file__),
                        "--ask", dst, str(PORT), text, str(tries)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])["answer"]


def wait_state(d, tok, mid, want, timeout=20):
    end = time.monotonic() + timeout
    while True:
        m = e2e.module(d, tok, mid)
        if m["state"] == want or time.monotonic() > end:
            return m
        time.sleep(0.2)


def test_out_of_memory_fails_then_restart():
    cat = os.path.join(TMP, "catalogue.json")
    with open(cat, "w") as f:
        json.dump(CATALOGUE, f)
    port = "ipf" + T.ns_dp[-6:]
    args = T.daemon_args(idle="30s") + ["--process-port", port, "--process-catalogue", cat]
    with it.Daemon(args=args) as d:
        e2e.setup_operator(d)
        tok = e2e.tenant(d, "ops", "operator")
        r = it.expect_status(d.post("/v1/modules", {"name": "eater", "stock": "eater"}, token=tok), 201)
        mid, ip = r.json["id"], r.json["address"]["ip"]
        assert ask(ip, "one") == "ate one"
        pid = e2e.module(d, tok, mid)["runtime"]["process"]["pid"]
        # a running module needs no restart
        r = it.expect_status(d.post("/v1/modules/%d/restart" % mid, {}, token=tok), 409, "conflict")
        assert r.json["error"]["details"]["state"] == "running", r.json

        assert ask(ip, "eat", tries=2) is None  # killed before it answers
        m = wait_state(d, tok, mid, "failed")
        assert m["state"] == "failed", m
        rt = m["runtime"]
        assert rt["failure"]["reason"] == "memory", m
        assert "lack of memory" in rt["failure"]["error"], m
        assert rt["process"]["oom_kills"] >= 1 and rt["process"]["restarts"] == 0, m
        assert "eater: eating 512 MB" in it.expect_status(d.get("/v1/modules/%d/log" % mid, token=tok),
                                                           200).text
        # new flows do not start a failed module
        assert ask(ip, "two", tries=2) is None
        assert e2e.module(d, tok, mid)["state"] == "failed"

        other = e2e.tenant(d, "nosy", "client", ["172.16.15.133/32"])
        it.expect_status(d.post("/v1/modules/%d/restart" % mid, {}, token=other), 404, "not_found")
        r = it.expect_status(d.post("/v1/modules/%d/restart" % mid, {}, token=tok), 200)
        assert r.json["state"] == "deployed" and r.json["runtime"]["state"] == "deployed", r.json
        assert ask(ip, "three") == "ate three"
        m = e2e.module(d, tok, mid)
        assert m["state"] == "running" and "failure" not in m["runtime"], m
        assert m["runtime"]["process"]["pid"] not in (0, pid), m
        assert "restarted by its tenant" in d.log()


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skip: process modules end to end need root")
        sys.exit(77)
    for tool in ("ip", "ethtool", "bwrap"):
        if not shutil.which(tool):
            print("skip: %s is not installed" % tool)
            sys.exit(77)
    drv = os.path.join(it.BUILD_DIR, "test", "dataplane", "innet-dp-driver")
    if os.path.exists(drv) and subprocess.run([drv], capture_output=True).returncode == 77:
        print("skip: innet was built without DPDK")
        sys.exit(77)
    T = e2e.Topo()
    e2e.T = T
    TMP = tempfile.mkdtemp(prefix="innet-e2e-fail-")
    try:
        T.up()
        it.main()
    finally:
        T.down()
        shutil.rmtree(TMP, ignore_errors=True)
