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
deploy is answered 409 process_unavailable. A third party's program told
(by the test's own catalogue entry, `courier`) to connect and send outside
its prefixes is stopped by the ChangeEnforcer and the drops are counted;
the shipped proxy keeps answering a client through 200 slowloris
connections and a slow POST.
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

COURIER = [
    "import socket",
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
    "s.bind(('0.0.0.0', %d))" % PORT,
    "print('courier: listening', flush=True)",
    "while True:",
    "    data, peer = s.recvfrom(2048)",
    "    kind, addr, port = data.decode().split()",
    "    try:",
    "        if kind == 'tcp':",
    "            c = socket.create_connection((addr, int(port)), timeout=3)",
    "            c.sendall(b'courier was here')",
    "            c.close()",
    "        else:",
    "            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
    "            u.sendto(b'courier was here', (addr, int(port)))",
    "            u.close()",
    "        what = 'done'",
    "    except OSError as e:",
    "        what = 'failed: %s' % e",
    "    print('courier: %s %s:%s %s' % (kind, addr, port, what), flush=True)",
    "    s.sendto(what.encode(), peer)",
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
}, {
    # A program told to misbehave: every datagram "tcp|udp ADDR PORT" makes
    # it open a TCP connection to (or send a datagram to) ADDR:PORT, then
    # answer the asker with what came of it. The enforcer, not the program,
    # decides which of these leave the platform.
    "name": "courier",
    "summary": "a Python UDP server that connects or sends wherever a datagram tells it to",
    "package": "python3",
    "argv": ["python3", "-u", "@{dir}/courier.py"],
    "files": [{"path": "courier.py", "template": COURIER}],
    "params": [],
    "listen": [{"proto": "udp", "port": PORT}],
    "quota": {"memory_mb": 64, "cpu_percent": 50, "pids": 8},
}]}


def helper_ask(dst, port, text, wait=2.0):
    """From `internet`: send text until an answer comes (a UDP client's
    retry: the first datagram waits while the module starts)."""
    import socket
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("198.51.100.2", 0))
    u.settimeout(wait)
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


def helper_listen(iface, addrs, port):
    """Listeners on the internet: on each of addrs, a TCP listener and a
    UDP socket on port (what arrives, and from whom), and every IPv4 packet
    seen on iface towards one of addrs (a SYN that nobody answers
    included), as JSON lines."""
    import select
    import socket
    import struct
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    raw.bind((iface, 0))
    socks = [raw]
    for a in addrs:
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind((a, port))
        t.listen(16)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((a, port))
        socks += [t, u]
    print(json.dumps({"ready": True}), flush=True)
    while True:
        r, _, _ = select.select(socks, [], [], 1.0)
        for s in r:
            if s is raw:
                data, addr = s.recvfrom(65535)
                if addr[2] == socket.PACKET_OUTGOING or len(data) < 34:
                    continue
                dst = socket.inet_ntoa(data[30:34])
                if dst in addrs:
                    print(json.dumps({"raw": True, "src": socket.inet_ntoa(data[26:30]), "dst": dst,
                                      "proto": data[23]}), flush=True)
            elif s.type == socket.SOCK_STREAM:
                c, peer = s.accept()
                c.settimeout(2)
                try:
                    got = c.recv(100).decode()
                except OSError:
                    got = None
                c.close()
                print(json.dumps({"tcp": True, "to": s.getsockname()[0], "from": peer[0],
                                  "data": got}), flush=True)
            else:
                data, peer = s.recvfrom(2048)
                print(json.dumps({"udp": True, "to": s.getsockname()[0], "from": peer[0],
                                  "data": data.decode()}), flush=True)


def helper_slowloris(src, dst, n, seconds, mode):
    """An attacker at src holding n connections to dst:80 for `seconds`
    with a request that never ends, a few bytes every second per
    connection. mode "header": the request header never ends (slowloris);
    a connection the server closes is opened again (the attack keeps n).
    mode "body": complete headers of a POST whose body never ends (the
    slow POST): each request is in the server's hands, so its per-client
    limit applies; connections are opened once. JSON lines: ready once n
    are open, then the totals: opened, closed by the server (end of stream
    or reset), the status codes of the answers received, refused
    connects, open at the end (answered or not)."""
    import select
    import socket
    start = time.monotonic()
    live, opened, closed, refused, unanswered = {}, 0, 0, 0, 0
    codes = {}
    hello = (b"GET /slow HTTP/1.1\r\nHost: victim\r\n" if mode == "header" else
             b"POST /slow HTTP/1.1\r\nHost: victim\r\nContent-Length: 1000000\r\n\r\n")

    def open_one():
        nonlocal opened, refused
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.bind((src, 0))
        c.settimeout(5)
        try:
            c.connect((dst, 80))
            c.sendall(hello)
        except OSError:
            refused += 1
            c.close()
            return
        c.setblocking(False)
        live[c] = False  # answered yet
        opened += 1

    def gone(c):
        nonlocal closed
        closed += 1
        del live[c]
        c.close()

    while opened + refused < n and time.monotonic() - start < seconds:
        open_one()
    print(json.dumps({"ready": True, "open": len(live)}), flush=True)
    tick = time.monotonic()
    while time.monotonic() - start < seconds:
        r, _, _ = select.select(list(live), [], [], 0.2)
        for c in r:
            try:
                data = c.recv(4096)
            except OSError:
                data = b""
            if not data:
                gone(c)
            elif not live[c]:
                live[c] = True
                code = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "?"
                codes[code] = codes.get(code, 0) + 1
        if time.monotonic() - tick >= 1:  # the trickle
            tick = time.monotonic()
            for c in [c for c in live if not live[c]]:
                try:
                    c.send(b"X-Slow: %d\r\n" % int(tick) if mode == "header" else b"x")
                except OSError:
                    gone(c)
        while mode == "header" and len(live) < n and time.monotonic() - start < seconds:
            open_one()
    unanswered = len([c for c in live if not live[c]])
    print(json.dumps({"done": True, "opened": opened, "closed": closed, "codes": codes,
                      "refused": refused, "open": len(live), "unanswered": unanswered}), flush=True)


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
    helper_ask(sys.argv[2], int(sys.argv[3]), sys.argv[4], *[float(w) for w in sys.argv[5:]])
    sys.exit(0)
if len(sys.argv) > 1 and sys.argv[1] == "--listen":
    helper_listen(sys.argv[2], sys.argv[3].split(","), int(sys.argv[4]))
    sys.exit(0)
if len(sys.argv) > 1 and sys.argv[1] == "--slowloris":
    helper_slowloris(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
    sys.exit(0)
if len(sys.argv) > 1 and sys.argv[1] == "--origin":
    helper_origin(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    sys.exit(0)
if len(sys.argv) > 1 and sys.argv[1] == "--fetch":
    helper_fetch(sys.argv[2])
    sys.exit(0)

T = None
TMP = None


def ask(dst, text, wait=2.0):
    r = subprocess.run(["ip", "netns", "exec", T.ns_inet, sys.executable, os.path.abspath(__file__),
                        "--ask", dst, str(PORT), text, str(wait)], capture_output=True, text=True,
                       timeout=30 * wait)
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
        assert m["runtime"]["enforcer"] is None, m  # the operator's: safe, no enforcer

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


def start_origin(origin):
    """The third party's origin on `origin`:8080 in the internet namespace
    (an HTTP server of this file's own, stopped with the topology)."""
    srv = e2e.Lines(["ip", "netns", "exec", T.ns_inet, sys.executable, os.path.abspath(__file__),
                     "--origin", origin, "8080", "the origin's page"])
    T.procs.append(srv)
    assert srv.wait(lambda o: o.get("ready"), timeout=10), "the origin did not start"
    return srv


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
        srv = start_origin(origin)
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


def addresses(*addrs):
    """Add addrs (/32) to the internet's interface; a function that removes them."""
    for a in addrs:
        e2e.sh("ip", "addr", "add", a + "/32", "dev", T.ii, ns=T.ns_inet)

    def remove():
        for a in addrs:
            subprocess.run(["ip", "netns", "exec", T.ns_inet, "ip", "addr", "del", a + "/32", "dev", T.ii],
                           capture_output=True)
    return remove


def enforcer(m):
    """The enforcer's figures in GET /v1/modules/{id}'s runtime."""
    return m["runtime"]["enforcer"]


def test_enforcer_drops_what_the_program_sends_outside():
    """Issue 15: a sandboxed program told to reach a destination outside
    its tenant's prefixes and whitelist: the ChangeEnforcer drops its
    packets (a datagram, the SYNs of a connection), nothing arrives there,
    and the drops are counted for the tenant (GET /v1/modules/{id}) and the
    operator (/metrics); the same program reaching its tenant's own prefix
    gets through."""
    inside, outside = "198.51.100.11", "203.0.113.77"
    port = "ipe" + T.ns_dp[-6:]
    args = T.daemon_args(idle="30s") + ["--process-port", port, "--process-catalogue", catalogue()]
    remove = addresses(inside, outside)
    lis = None
    try:
        lis = e2e.Lines(["ip", "netns", "exec", T.ns_inet, sys.executable, os.path.abspath(__file__),
                         "--listen", T.ii, inside + "," + outside, "9000"])
        T.procs.append(lis)
        assert lis.wait(lambda o: o.get("ready"), timeout=10), "the listeners did not start"
        with it.Daemon(args=args) as d:
            e2e.setup_operator(d)
            tok = e2e.tenant(d, "vendor", "third_party", ["198.51.100.0/24"], ["192.0.2.128/25"])
            r = it.expect_status(d.post("/v1/modules", {"name": "courier", "stock": "courier"}, token=tok), 201)
            mid, ip = r.json["id"], r.json["address"]["ip"]
            assert r.json["verdict"] == "sandboxed", r.json

            # inside the tenant's prefixes: both arrive, from the module's address
            assert ask(ip, "udp %s 9000" % inside, wait=8)["answer"] == "done"
            assert lis.wait(lambda o: o.get("udp") and o["to"] == inside), lis.all
            assert ask(ip, "tcp %s 9000" % inside, wait=8)["answer"] == "done"
            got = lis.wait(lambda o: o.get("tcp") and o["to"] == inside)
            assert got and got[0]["from"] == ip and got[0]["data"] == "courier was here", lis.all
            m = e2e.module(d, tok, mid)
            assert enforcer(m)["drops"] == 0, m

            # outside: the datagram and every SYN stop at the enforcer
            assert ask(ip, "udp %s 9000" % outside, wait=8)["answer"] == "done"  # sent, as far as it knows
            got = ask(ip, "tcp %s 9000" % outside, wait=8)["answer"]
            assert got.startswith("failed"), got  # its connect timed out: no SYN-ACK ever came
            m = e2e.wait_module(d, tok, mid, lambda m: enforcer(m)["drops"] >= 2)
            en = enforcer(m)
            assert en["drops"] >= 2 and en["destination"] >= 2 and en["source"] == 0, m
            assert m["runtime"]["drops"] >= en["drops"], m  # the module's drops include them
            assert not [o for o in lis.all if o.get("to") == outside or o.get("dst") == outside], lis.all
            assert e2e.metric(d, "innet_module_enforcer_drops_total", id=mid, reason="destination") == \
                en["destination"]
            log = it.expect_status(d.get("/v1/modules/%d/log" % mid, token=tok), 200).text
            assert "courier: tcp %s:9000 failed" % outside in log, log
    finally:
        if lis:
            lis.stop()
        remove()


def curl(url):
    """A legitimate client on the internet (198.51.100.2): curl's status
    code, "000" when no answer came."""
    r = subprocess.run(["ip", "netns", "exec", T.ns_inet, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                        "--max-time", "10", "--interface", "198.51.100.2", url],
                       capture_output=True, text=True, timeout=30)
    return r.stdout.strip() or "000"


def test_slowloris_while_curl_gets_answers():
    """Issue 15 (the paper's section 8): 200 slowloris connections to a
    third party's http-reverse-proxy from four attacker addresses, each
    holding its connections open with a request header that never ends;
    meanwhile a client keeps fetching pages (each a cache miss, so the
    origin is asked through the enforcer too). Every fetch is answered 200,
    and nginx's client_header_timeout closes the attacker's connections
    (every one it opened, and those it opened again). Beside them a fifth
    address runs the slow POST (headers complete, a body that never ends):
    those requests are in nginx's hands, so its per-client limit
    (limit_conn, per_client_connections 8) holds 8 and answers the rest
    429 at once."""
    if not shutil.which("nginx"):
        raise it.Skip("nginx is not installed (tools/dev.sh installs nginx-light)")
    if not shutil.which("curl"):
        raise it.Skip("curl is not installed (tools/dev.sh installs it)")
    origin = "198.51.100.12"  # not test_third_party_http_reverse_proxy's (its server may still hold it)
    attackers = ["198.51.100.%d" % (30 + i) for i in range(4)]
    poster = "198.51.100.40"
    port = "ips" + T.ns_dp[-6:]
    args = T.daemon_args(idle="30s") + ["--process-port", port,
                                         "--process-catalogue", it.example("process-catalogue.json")]
    remove = addresses(origin, poster, *attackers)
    srv, attack = None, []
    try:
        srv = start_origin(origin)
        with it.Daemon(args=args) as d:
            e2e.setup_operator(d)
            tok = e2e.tenant(d, "shop", "third_party", ["198.51.100.0/24"])
            r = it.expect_status(d.post("/v1/modules", {
                "name": "web", "stock": "http-reverse-proxy",
                "params": {"origin": origin, "origin_port": 8080, "client_timeout": 3}}, token=tok), 201)
            mid, ip = r.json["id"], r.json["address"]["ip"]
            got = fetch("http://%s/warm" % ip)  # the first SYN starts nginx
            assert got["status"] == 200, (got, d.log()[-3000:])

            for a, n, mode in [(a, 50, "header") for a in attackers] + [(poster, 40, "body")]:
                p = e2e.Lines(["ip", "netns", "exec", T.ns_inet, sys.executable, os.path.abspath(__file__),
                               "--slowloris", a, ip, str(n), "20", mode])
                T.procs.append(p)
                attack.append(p)
            for p in attack:
                ready = p.wait(lambda o: o.get("ready"), timeout=20)
                assert ready and ready[0]["open"] > 0, (ready, d.log()[-2000:])
            assert sum(p.all[0]["open"] for p in attack[:4]) == 200, [p.all for p in attack]
            codes = []
            while any(p.p.poll() is None for p in attack):
                codes.append(curl("http://%s/page-%d" % (ip, len(codes))))
            assert len(codes) >= 5 and codes == ["200"] * len(codes), codes
            done = [p.wait(lambda o: o.get("done"), timeout=5) for p in attack]
            assert all(done), done
            slow = {k: sum(x[0][k] for x in done[:4]) for k in ("opened", "closed", "refused")}
            # the proxy, not the attacker, ended them: each of the 200 it
            # first held, and more of those it opened again
            assert slow["closed"] >= 200 and slow["refused"] == 0, done
            post = done[4][0]
            # the slow POST: 8 held (unanswered, still open), the rest 429
            assert post["opened"] == 40 and post["unanswered"] <= 8, post
            assert post["codes"].get("429", 0) >= 32 and set(post["codes"]) == {"429"}, post
            # each a miss nginx asked the origin for (through the enforcer,
            # which lets it out: the origin is in the tenant's own prefix)
            asked = srv.wait(lambda o: o.get("get", "").startswith("/page-"), n=len(codes), timeout=10)
            assert len(asked) == len(codes) and all(o["peer"] == ip for o in asked), (len(asked), len(codes))
            m = e2e.module(d, tok, mid)
            assert m["runtime"]["process"]["state"] == "running" and m["runtime"]["process"]["restarts"] == 0, m
    finally:
        for p in attack + ([srv] if srv else []):
            p.stop()
        remove()


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
