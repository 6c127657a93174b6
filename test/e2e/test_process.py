#!/usr/bin/python3
"""Process modules end to end (issue 15): the REAL innetd with a DPDK fast
path (net_af_packet on veths, the topology of test_e2e.py) and a process
port; an operator's tenant deploys a process-backed stock module over HTTP
from this test's own catalogue: a Python UDP server that answers every
datagram with "hello " and the datagram, on its module's address; and a
third party deploys the shipped http-reverse-proxy (nginx) in front of its
origin, fetched by a client on the internet.

The first datagram from `internet` starts the module (its network
namespace, the program in the sandbox, the link to the fast path), the
answer comes back through the fast path; GET /v1/modules/{id} shows the
program running, GET .../log its output, /metrics its state; DELETE
removes it and leaves no network namespace. Without a process port a
deploy is answered 409 process_unavailable.
Needs root, DPDK, bwrap and cgroups (exit 77 otherwise)."""
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
PORT = 5300

# The program: the catalogue renders @{dir} (its scratch directory).
HELLO = [
    "import socket",
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
    "s.bind(('0.0.0.0', @{port}))",
    "print('hello: listening on @{port}', flush=True)",
    "while True:",
    "    data, peer = s.recvfrom(2048)",
    "    print('hello: got %r from %s' % (data.decode(), peer[0]), flush=True)",
    "    s.sendto(b'hello ' + data, peer)",
]

CATALOGUE = {"modules": [{
    "name": "udp-hello",
    "summary": "a Python UDP server answering every datagram with hello and the datagram",
    "package": "python3",
    "argv": ["python3", "-u", "@{dir}/hello.py"],
    "files": [{"path": "hello.py", "template": HELLO}],
    "params": [{"name": "port", "type": "port", "default": PORT, "doc": "its UDP port"}],
    "listen": [{"proto": "udp", "port": PORT}],
    "quota": {"memory_mb": 64, "cpu_percent": 50, "pids": 8},
}]}


def helper_ask(dst, port, text):
    """From `internet`: send text until an answer comes (a UDP client's
    retry: the first datagram waits while the module starts)."""
    import socket
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("198.51.100.2", 0))
    u.settimeout(2)
    for _ in range(15):
        u.sendto(text.encode(), (dst, port))
        try:
            data, peer = u.recvfrom(2048)
        except socket.timeout:
            continue
        print(json.dumps({"answer": data.decode(), "from": "%s:%d" % peer}), flush=True)
        return
    print(json.dumps({"answer": None}), flush=True)


def helper_origin(addr, port, text):
    """The third party's origin: every GET answered with text."""
    import http.server

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = text.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            print(json.dumps({"get": self.path, "peer": self.client_address[0]}), flush=True)

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer((addr, port), H)
    print(json.dumps({"ready": True}), flush=True)
    srv.serve_forever()


def helper_fetch(url):
    """A client on the internet: GET url (retried while the module starts)."""
    import urllib.request
    for _ in range(10):
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                print(json.dumps({"status": r.status, "body": r.read().decode(),
                                  "cache": r.headers.get("X-Cache-Status")}), flush=True)
                return
        except OSError as e:
            err = str(e)
            time.sleep(0.5)
    print(json.dumps({"status": None, "error": err}), flush=True)


if len(sys.argv) > 1 and sys.argv[1] == "--ask":
    helper_ask(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    sys.exit(0)
if len(sys.argv) > 1 and sys.argv[1] == "--origin":
    helper_origin(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    sys.exit(0)
if len(sys.argv) > 1 and sys.argv[1] == "--fetch":
    helper_fetch(sys.argv[2])
    sys.exit(0)

T = None
TMP = None


def ask(dst, text):
    r = subprocess.run(["ip", "netns", "exec", T.ns_inet, sys.executable, os.path.abspath(__file__),
                        "--ask", dst, str(PORT), text], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def netns_list():
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


def catalogue():
    path = os.path.join(TMP, "catalogue.json")
    with open(path, "w") as f:
        json.dump(CATALOGUE, f)
    return path


def test_process_module_answers_through_the_fast_path():
    port = "ipr" + T.ns_dp[-6:]
    prefix = port + "-"
    args = T.daemon_args(idle="30s") + ["--process-port", port, "--process-catalogue", catalogue()]
    with it.Daemon(args=args) as d:
        e2e.setup_operator(d)
        tok = e2e.tenant(d, "ops", "operator")
        r = it.expect_status(d.post("/v1/modules", {"name": "hello", "stock": "udp-hello"}, token=tok), 201)
        mid, ip = r.json["id"], r.json["address"]["ip"]
        assert r.json["verdict"] == "safe", r.json
        m = e2e.module(d, tok, mid)
        assert m["state"] == "deployed" and m["runtime"]["process"]["state"] == "none", m
        assert prefix + str(mid) not in netns_list()

        got = ask(ip, "world")
        assert got["answer"] == "hello world" and got["from"] == "%s:%d" % (ip, PORT), got

        m = e2e.module(d, tok, mid)
        assert m["state"] == "running", m
        pr = m["runtime"]["process"]
        assert pr["state"] == "running" and pr["restarts"] == 0 and pr["pid"] > 0, pr
        assert pr["memory"] > 0 and pr["pids"] >= 1, pr
        assert prefix + str(mid) in netns_list()
        assert m["runtime"]["rx_packets"] >= 1 and m["runtime"]["tx_packets"] >= 1, m

        log = it.expect_status(d.get("/v1/modules/%d/log" % mid, token=tok), 200)
        assert "hello: listening on %d" % PORT in log.text, log.text
        assert "hello: got 'world' from 198.51.100.2" in log.text, log.text
        it.expect_status(d.get("/v1/modules/%d/log" % mid), 200)  # the operator too
        other = e2e.tenant(d, "nosy", "client", ["172.16.15.133/32"])
        it.expect_status(d.get("/v1/modules/%d/log" % mid, token=other), 404, "not_found")

        assert e2e.metric(d, "innet_process_modules", state="running") == 1
        assert e2e.metric(d, "innet_process_restarts_total") == 0

        it.expect_status(d.delete("/v1/modules/%d" % mid, token=tok), 204)
        end = time.monotonic() + 15  # the program's SIGTERM, then its namespace
        while prefix + str(mid) in netns_list() and time.monotonic() < end:
            time.sleep(0.1)
        assert prefix + str(mid) not in netns_list(), netns_list()
    assert prefix not in netns_list(), netns_list()


def leftovers(prefix):
    """What of a prefix's programs is on the host: namespaces, scratch
    directories, cgroups."""
    left = [n for n in netns_list().split() if n.startswith(prefix)]
    for root in ["/var/lib/innet/sandbox"] + ["/sys/fs/cgroup/%s/innet-sandbox" % c
                                               for c in ("memory", "pids", "cpu", "freezer")]:
        if os.path.isdir(root):
            left += [os.path.join(root, n) for n in os.listdir(root) if n.startswith(prefix)]
    return left


def test_stop_and_crash_leave_nothing():
    """A running program at innetd's SIGTERM is stopped with it, nothing
    left; after a kill -9 what stays is swept by the next innetd with the
    same process port (its prefix)."""
    port = "ipq" + T.ns_dp[-6:]
    prefix = port + "-"
    args = T.daemon_args(idle="30s") + ["--process-port", port, "--process-catalogue", catalogue()]
    with it.Daemon(args=args) as d:
        e2e.setup_operator(d)
        tok = e2e.tenant(d, "ops", "operator")
        r = it.expect_status(d.post("/v1/modules", {"name": "hello", "stock": "udp-hello"}, token=tok), 201)
        assert ask(r.json["address"]["ip"], "one")["answer"] == "hello one"
        assert leftovers(prefix), "the running program has a namespace and a scratch directory"
        d.stop()
        assert not leftovers(prefix), leftovers(prefix)
        d.start()  # the module is installed again, not started
        assert not leftovers(prefix)
        assert ask(r.json["address"]["ip"], "two")["answer"] == "hello two"
        d.stop(sig=9, expect=-9)  # its program dies with it; the rest stays
        assert leftovers(prefix)
        d.start()
        assert not leftovers(prefix), leftovers(prefix)


def fetch(url):
    r = subprocess.run(["ip", "netns", "exec", T.ns_inet, sys.executable, os.path.abspath(__file__),
                        "--fetch", url], capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_third_party_http_reverse_proxy():
    """Issue 15's own case: a third party deploys the shipped
    http-reverse-proxy (nginx) in front of its origin; a client on the
    internet fetches a page from the module's address: nginx, started by
    the first SYN, asks the origin through the fast path (and the
    ChangeEnforcer of its sandboxed verdict) and answers; the second fetch
    comes from its cache."""
    if not shutil.which("nginx"):
        raise it.Skip("nginx is not installed (tools/dev.sh installs nginx-light)")
    origin = "198.51.100.10"
    port = "ipw" + T.ns_dp[-6:]
    args = T.daemon_args(idle="30s") + ["--process-port", port,
                                         "--process-catalogue", it.example("process-catalogue.json")]
    e2e.sh("ip", "addr", "add", origin + "/24", "dev", T.ii, ns=T.ns_inet)
    try:
        srv = e2e.Lines(["ip", "netns", "exec", T.ns_inet, sys.executable, os.path.abspath(__file__),
                         "--origin", origin, "8080", "the origin's page"])
        T.procs.append(srv)
        assert srv.wait(lambda o: o.get("ready"), timeout=10), "the origin did not start"
        with it.Daemon(args=args) as d:
            e2e.setup_operator(d)
            tok = e2e.tenant(d, "shop", "third_party", ["198.51.100.0/24"])
            r = it.expect_status(d.post("/v1/modules", {"name": "web", "stock": "http-reverse-proxy",
                                                        "params": {"origin": origin, "origin_port": 8080}},
                                        token=tok), 201)
            mid, ip = r.json["id"], r.json["address"]["ip"]
            assert r.json["verdict"] == "sandboxed", r.json
            got = fetch("http://%s/index.html" % ip)
            assert got["status"] == 200 and got["body"] == "the origin's page", (got, d.log()[-3000:])
            assert srv.wait(lambda o: o.get("get") == "/index.html")[0]["peer"] == ip
            again = fetch("http://%s/index.html" % ip)
            assert again["status"] == 200 and again["cache"] == "HIT", again
            m = e2e.module(d, tok, mid)
            assert m["runtime"]["process"]["state"] == "running", m
            log = it.expect_status(d.get("/v1/modules/%d/log" % mid, token=tok), 200)
            assert "emerg" not in log.text, log.text
    finally:
        subprocess.run(["ip", "netns", "exec", T.ns_inet, "ip", "addr", "del", origin + "/24", "dev", T.ii],
                       capture_output=True)


def test_no_process_port_refuses_clearly():
    args = T.daemon_args(idle="30s") + ["--process-catalogue", catalogue()]
    with it.Daemon(args=args) as d:
        e2e.setup_operator(d)
        tok = e2e.tenant(d, "ops", "operator")
        for path in ("/v1/check", "/v1/modules"):
            r = it.expect_status(d.post(path, {"name": "hello", "stock": "udp-hello"}, token=tok), 409,
                                 "process_unavailable")
            assert "process-port" in r.json["error"]["message"], r.json


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
    TMP = tempfile.mkdtemp(prefix="innet-e2e-proc-")
    try:
        T.up()
        it.main()
    finally:
        T.down()
        shutil.rmtree(TMP, ignore_errors=True)
