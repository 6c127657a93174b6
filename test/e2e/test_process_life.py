#!/usr/bin/python3
"""Process modules end to end, their life and their quotas (issue 15): the
REAL innetd with a DPDK fast path (net_af_packet on veths, the topology of
test_e2e.py) and a process port, over HTTP.

* the shipped `dns` entry (unbound) answers one name with two addresses,
  chosen by the client's source prefix, to two clients on the internet;
  any other name is refused;
* an idle program is frozen (`suspended`, its cgroup FROZEN) and the next
  datagram is answered by the same program with its state kept;
* a tenant's memory quota bounds its program's cgroup: below what the
  entry needs the deploy is refused with a clear error; a program that
  exceeds its quota is killed by its cgroup and its module reported failed
  for memory; new flows do not start it, POST /v1/modules/{id}/restart
  does.
Needs root, DPDK, bwrap and cgroups (exit 77 otherwise)."""
import json
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_e2e as e2e  # noqa: E402  (the topology and helpers)
import test_process as tp  # noqa: E402  (its helpers; its tests run only as __main__)

it = e2e.it
PORT = 5310

# A program that counts what it answered: its state, kept across a freeze.
COUNT = [
    "import os, socket",
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
    "s.bind(('0.0.0.0', @{port}))",
    "n = 0",
    "print('count: listening', flush=True)",
    "while True:",
    "    data, peer = s.recvfrom(2048)",
    "    n += 1",
    "    s.sendto(b'%d %d ' % (n, os.getpid()) + data, peer)",
]

# A program that takes more memory than any quota this test gives it, once
# it is asked to (it listens first: the module starts, then is OOM-killed).
GREEDY = [
    "import socket",
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
    "s.bind(('0.0.0.0', @{port}))",
    "print('greedy: listening', flush=True)",
    "while True:",
    "    data, peer = s.recvfrom(2048)",
    "    if data == b'eat':",
    "        print('greedy: taking 256 MiB', flush=True)",
    "        hog = bytearray(256 << 20)",
    "    s.sendto(b'ate ' + data, peer)",
]

CATALOGUE = {"modules": [
    {"name": "udp-count", "summary": "a Python UDP server that counts the datagrams it answered",
     "package": "python3", "argv": ["python3", "-u", "@{dir}/count.py"],
     "files": [{"path": "count.py", "template": COUNT}],
     "params": [{"name": "port", "type": "port", "default": PORT, "doc": "its UDP port"}],
     "listen": [{"proto": "udp", "port": PORT}],
     "quota": {"memory_mb": 64, "cpu_percent": 50, "pids": 8}},
    {"name": "udp-greedy", "summary": "a Python UDP server that takes 256 MiB when asked",
     "package": "python3", "argv": ["python3", "-u", "@{dir}/greedy.py"],
     "files": [{"path": "greedy.py", "template": GREEDY}],
     "params": [{"name": "port", "type": "port", "default": PORT, "doc": "its UDP port"}],
     "listen": [{"proto": "udp", "port": PORT}],
     "quota": {"memory_mb": 512, "cpu_percent": 50, "pids": 8}},
]}


# ---- DNS, by hand ------------------------------------------------------------

def dns_query(name, qid):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)  # RD, one question
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)  # A, IN


def dns_answer(msg):
    """(rcode, [A addresses]) of an answer."""
    qid, flags, qd, an = struct.unpack("!HHHH", msg[:8])
    off = 12
    for _ in range(qd):  # the question: its name (no pointers) and type, class
        while msg[off]:
            off += 1 + msg[off]
        off += 5
    addrs = []
    for _ in range(an):
        if msg[off] & 0xc0 == 0xc0:
            off += 2
        else:
            while msg[off]:
                off += 1 + msg[off]
            off += 1
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        if rtype == 1 and rdlen == 4:
            addrs.append(socket.inet_ntoa(msg[off:off + 4]))
        off += rdlen
    return flags & 15, addrs


def helper_dig(src, dst, names):
    """From `internet`, bound to src: each name asked of dst:53 until an
    answer comes (the first waits while the module starts)."""
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((src, 0))
    u.settimeout(2)
    out = {}
    for name in names:
        out[name] = None
        sent = set()  # a retry's answer may come late: any of this name's ids will do
        for _ in range(15):
            qid = random.randrange(65536)
            sent.add(qid)
            u.sendto(dns_query(name, qid), (dst, 53))
            try:
                data, peer = u.recvfrom(4096)
                while struct.unpack("!H", data[:2])[0] not in sent:  # an earlier name's late answer
                    data, peer = u.recvfrom(4096)
            except socket.timeout:
                continue
            rcode, addrs = dns_answer(data)
            out[name] = {"rcode": rcode, "a": addrs, "from": peer[0]}
            break
    print(json.dumps(out), flush=True)


if len(sys.argv) > 1 and sys.argv[1] == "--dig":
    helper_dig(sys.argv[2], sys.argv[3], sys.argv[4:])
    sys.exit(0)

T = None
TMP = None


def dig(src, dst, *names):
    r = subprocess.run(["ip", "netns", "exec", T.ns_inet, sys.executable, os.path.abspath(__file__),
                        "--dig", src, dst] + list(names), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def ask(dst, text):
    r = subprocess.run(["ip", "netns", "exec", T.ns_inet, sys.executable, tp.__file__,
                        "--ask", dst, str(PORT), text], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def catalogue():
    path = os.path.join(TMP, "catalogue.json")
    with open(path, "w") as f:
        json.dump(CATALOGUE, f)
    return path


def need(prog, package):
    if not shutil.which(prog):
        raise it.Skip("%s is not installed (tools/dev.sh installs %s)" % (prog, package))


class ExtraAddr:
    """An address of the test's own on the internet side, removed after."""

    def __init__(self, addr):
        self.addr = addr

    def __enter__(self):
        e2e.sh("ip", "addr", "add", self.addr + "/24", "dev", T.ii, ns=T.ns_inet)
        return self

    def __exit__(self, *a):
        subprocess.run(["ip", "netns", "exec", T.ns_inet, "ip", "addr", "del", self.addr + "/24", "dev",
                        T.ii], capture_output=True)


def test_dns_answers_by_client_prefix():
    """The shipped `dns` entry: clients in near_clients get near_answer,
    the others far_answer, for the same name; other names are refused."""
    need("unbound", "unbound")
    port = "ipd" + T.ns_dp[-6:]
    args = T.daemon_args(idle="30s") + ["--process-port", port,
                                         "--process-catalogue", it.example("process-catalogue.json")]
    near, far = "198.51.100.77", "198.51.100.2"  # in and out of 198.51.100.64/26
    with ExtraAddr(near), it.Daemon(args=args) as d:
        e2e.setup_operator(d)
        tok = e2e.tenant(d, "cdn", "third_party", ["198.51.100.0/24"])
        r = it.expect_status(d.post("/v1/modules", {"name": "geo", "stock": "dns", "params": {
            "zone": "example.com", "near_clients": ["198.51.100.64/26"],
            "near_answer": "198.51.100.80", "far_answer": "203.0.113.80"}}, token=tok), 201)
        mid, ip = r.json["id"], r.json["address"]["ip"]
        assert r.json["verdict"] == "sandboxed", r.json
        got_far = dig(far, ip, "www.example.com", "www.example.org", "mail.example.com")
        got_near = dig(near, ip, "www.example.com")
        ctx = (got_far, got_near, d.log()[-3000:])
        assert got_near["www.example.com"] == {"rcode": 0, "a": ["198.51.100.80"], "from": ip}, ctx
        assert got_far["www.example.com"] == {"rcode": 0, "a": ["203.0.113.80"], "from": ip}, ctx
        assert got_far["www.example.org"]["rcode"] == 5 and not got_far["www.example.org"]["a"], ctx  # REFUSED
        assert got_far["mail.example.com"]["rcode"] == 3, ctx  # NXDOMAIN: the zone has one name
        m = e2e.module(d, tok, mid)
        assert m["runtime"]["process"]["state"] == "running" and m["runtime"]["process"]["restarts"] == 0, m
        assert m["runtime"]["rx_packets"] >= 4 and m["runtime"]["tx_packets"] >= 4, m["runtime"]


def freezer_state(prefix, mid):
    """FROZEN or THAWED, from the module's cgroup (v1 freezer or cgroup2)."""
    v1 = "/sys/fs/cgroup/freezer/innet-sandbox/%s%d/freezer.state" % (prefix, mid)
    if os.path.exists(v1):
        with open(v1) as f:
            return f.read().strip()
    for root in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
        ev = "%s/innet-sandbox/%s%d/cgroup.events" % (root, prefix, mid)
        if os.path.exists(ev):
            with open(ev) as f:
                frozen = dict(line.split() for line in f if line.strip()).get("frozen")
            return "FROZEN" if frozen == "1" else "THAWED"
    return None


def test_idle_program_is_frozen_and_thawed_with_its_state():
    """idle-stop 2 s: the idle program is frozen (the module `suspended`,
    runtime.process.state `frozen`, its cgroup FROZEN), and the next
    datagram thaws it: the same pid answers with its count going on."""
    port = "ipf" + T.ns_dp[-6:]
    prefix = port + "-"
    args = T.daemon_args(idle="2s") + ["--process-port", port, "--process-catalogue", catalogue()]
    with it.Daemon(args=args) as d:
        e2e.setup_operator(d)
        tok = e2e.tenant(d, "ops", "operator")
        r = it.expect_status(d.post("/v1/modules", {"name": "count", "stock": "udp-count"}, token=tok), 201)
        mid, ip = r.json["id"], r.json["address"]["ip"]
        n1, pid1, text = ask(ip, "one")["answer"].split(" ")
        assert text == "one" and int(pid1) > 0, (n1, pid1, text)
        n2, pid2, _ = ask(ip, "two")["answer"].split(" ")
        # (a retry while it started may have been counted too: more, not n1 + 1)
        assert pid2 == pid1 and int(n2) > int(n1), (n1, n2, pid1, pid2)

        m = e2e.wait_module(d, tok, mid, lambda m: m["state"] == "suspended", timeout=30)
        assert m["state"] == "suspended", m
        pr = m["runtime"]["process"]
        assert pr["state"] == "frozen" and pr["restarts"] == 0, pr
        assert m["runtime"]["suspends"] >= 1 and m["runtime"]["stops"] == 0, m["runtime"]
        assert freezer_state(prefix, mid) == "FROZEN", freezer_state(prefix, mid)
        assert e2e.metric(d, "innet_process_modules", state="frozen") == 1

        n3, pid3, text = ask(ip, "three")["answer"].split(" ")
        assert text == "three" and pid3 == pid1, (pid1, pid3)
        assert int(n3) > int(n2), (n2, n3)  # its count kept, not started again at 1
        m = e2e.module(d, tok, mid)
        assert m["runtime"]["resumes"] >= 1 and m["runtime"]["process"]["restarts"] == 0, m["runtime"]
        assert m["runtime"]["starts"] == 1, m["runtime"]  # resumed, not started again
        assert freezer_state(prefix, mid) == "THAWED", freezer_state(prefix, mid)



def test_table1_x86_row_with_packets():
    """Table 1's x86 row with real packets (the verdicts themselves:
    controller-process-api): the same program deployed by the operator is
    `safe` (no enforcer), by a third party and by a client `sandboxed`,
    and each answers through the fast path, the sandboxed ones through
    their ChangeEnforcer (an answer to a flow the module received)."""
    port = "ipx" + T.ns_dp[-6:]
    args = T.daemon_args(idle="30s") + ["--process-port", port, "--process-catalogue", catalogue()]
    with it.Daemon(args=args) as d:
        e2e.setup_operator(d)
        who = {"operator": e2e.tenant(d, "ops", "operator"),
               "third_party": e2e.tenant(d, "vendor", "third_party", ["198.51.100.0/24"]),
               "client": e2e.tenant(d, "phone", "client", ["172.16.15.133/32"])}
        want = {"operator": "safe", "third_party": "sandboxed", "client": "sandboxed"}
        for kind, tok in who.items():
            r = it.expect_status(d.post("/v1/modules", {"name": "count", "stock": "udp-count"}, token=tok), 201)
            mid, ip = r.json["id"], r.json["address"]["ip"]
            assert r.json["verdict"] == want[kind], (kind, r.json)
            enforced = "ChangeEnforcer" in r.json["report"]["deployed_config"]
            assert enforced == (want[kind] == "sandboxed"), (kind, r.json["report"]["deployed_config"])
            got = ask(ip, kind)
            assert got["answer"] and got["answer"].endswith(" " + kind), (kind, got, d.log()[-2000:])
            assert got["from"] == "%s:%d" % (ip, PORT), (kind, got)
            m = e2e.module(d, tok, mid)
            assert m["runtime"]["process"]["state"] == "running", (kind, m)

def tenant_with_memory(d, name, kind, addresses, memory_mb):
    r = it.expect_status(d.post("/v1/tenants", {"name": name, "kind": kind, "addresses": addresses,
                                                 "quotas": {"memory_mb": memory_mb}}), 201)
    return r.json["token"]


def cgroup_memory_limit(prefix, mid):
    """The module's cgroup memory limit in bytes (cgroup v1 or cgroup2)."""
    for path in ("/sys/fs/cgroup/memory/innet-sandbox/%s%d/memory.limit_in_bytes",
                 "/sys/fs/cgroup/innet-sandbox/%s%d/memory.max",
                 "/sys/fs/cgroup/unified/innet-sandbox/%s%d/memory.max"):
        if os.path.exists(path % (prefix, mid)):
            with open(path % (prefix, mid)) as f:
                return int(f.read().strip())
    return None


def test_memory_quota_bounds_nginx():
    """A tenant's own memory_mb bounds its http-reverse-proxy's cgroup:
    below the entry's min_memory_mb (16) a check and a deploy are refused
    409 memory_quota_too_small, naming the entry, the need and the quota;
    at 24 MiB nginx runs in a 24 MiB cgroup (not the entry's 64) and
    answers over HTTP."""
    need("nginx", "nginx-light")
    origin = "198.51.100.10"
    port = "ipm" + T.ns_dp[-6:]
    prefix = port + "-"
    args = T.daemon_args(idle="30s") + ["--process-port", port,
                                         "--process-catalogue", it.example("process-catalogue.json")]
    req = {"name": "web", "stock": "http-reverse-proxy", "params": {"origin": origin, "origin_port": 8080}}
    with ExtraAddr(origin), it.Daemon(args=args) as d:
        srv = e2e.Lines(["ip", "netns", "exec", T.ns_inet, sys.executable, tp.__file__,
                         "--origin", origin, "8080", "the origin's page"])
        T.procs.append(srv)
        assert srv.wait(lambda o: o.get("ready"), timeout=10), "the origin did not start"
        e2e.setup_operator(d)
        small = tenant_with_memory(d, "small", "third_party", ["198.51.100.0/24"], 8)
        for path in ("/v1/check", "/v1/modules"):
            r = it.expect_status(d.post(path, req, token=small), 409, "memory_quota_too_small")
            msg = r.json["error"]["message"]
            assert "'http-reverse-proxy'" in msg and "16 MiB" in msg and "8 MiB" in msg, msg
            det = r.json["error"]["details"]
            assert det["memory_mb"] == 8 and det["min_memory_mb"] == 16, det
        assert it.expect_status(d.get("/v1/modules", token=small), 200).json["modules"] == []

        fits = tenant_with_memory(d, "fits", "third_party", ["198.51.100.0/24"], 24)
        r = it.expect_status(d.post("/v1/modules", req, token=fits), 201)
        mid, ip = r.json["id"], r.json["address"]["ip"]
        assert r.json["quotas"]["process_memory_mb"] == 24, r.json["quotas"]  # in the answer too
        assert e2e.module(d, fits, mid)["quotas"]["process_memory_mb"] == 24
        got = tp.fetch("http://%s/index.html" % ip)
        assert got["status"] == 200 and got["body"] == "the origin's page", (got, d.log()[-3000:])
        assert cgroup_memory_limit(prefix, mid) == 24 << 20, cgroup_memory_limit(prefix, mid)

        # a tenant without its own quota: the entry's default
        free = e2e.tenant(d, "free", "third_party", ["198.51.100.0/24"])
        r = it.expect_status(d.post("/v1/modules", dict(req, name="web2"), token=free), 201)
        assert e2e.module(d, free, r.json["id"])["quotas"]["process_memory_mb"] == 64


def test_program_over_its_memory_is_killed_and_reported():
    """A program that takes more than its tenant's memory quota (32 MiB,
    below the entry's 512) is killed by its cgroup: the module shows
    failed for `memory` with a message saying so, in GET /v1/modules/{id}
    and its log, and is not restarted."""
    port = "ipo" + T.ns_dp[-6:]
    args = T.daemon_args(idle="30s") + ["--process-port", port, "--process-catalogue", catalogue()]
    with it.Daemon(args=args) as d:
        e2e.setup_operator(d)
        tok = tenant_with_memory(d, "greedy", "third_party", ["198.51.100.0/24"], 32)
        r = it.expect_status(d.post("/v1/modules", {"name": "hog", "stock": "udp-greedy"}, token=tok), 201)
        mid, ip = r.json["id"], r.json["address"]["ip"]
        assert e2e.module(d, tok, mid)["quotas"]["process_memory_mb"] == 32
        T.send([["udp", ip, PORT, "eat", 0]])  # starts it, then reaches it
        m = e2e.wait_module(d, tok, mid, lambda m: m["runtime"]["process"]["state"] == "failed", timeout=30)
        pr = m["runtime"]["process"]
        assert pr["state"] == "failed" and pr["reason"] == "memory", pr
        assert "memory" in pr["error"] and str(32 << 20) in pr["error"], pr
        assert pr["oom_kills"] >= 1 and pr["restarts"] == 0, pr
        assert m["state"] == "failed" and m["runtime"]["failure"]["reason"] == "memory", m
        log = it.expect_status(d.get("/v1/modules/%d/log" % mid, token=tok), 200)
        assert "greedy: taking 256 MiB" in log.text, log.text
        assert "innet: killed by its cgroup for lack of memory" in log.text, log.text  # after its output
        assert log.text.index("greedy: taking") < log.text.index("innet: killed"), log.text

        # a failed module is not started by new flows; its tenant (not
        # another) restarts it, and the next datagram starts a new program
        starts = m["runtime"]["starts"]
        T.send([["udp", ip, PORT, "again", 0]])
        time.sleep(1)
        m = e2e.module(d, tok, mid)
        assert m["state"] == "failed" and m["runtime"]["starts"] == starts, m
        other = e2e.tenant(d, "nosy", "client", ["172.16.15.133/32"])
        it.expect_status(d.post("/v1/modules/%d/restart" % mid, {}, token=other), 404, "not_found")
        r = it.expect_status(d.post("/v1/modules/%d/restart" % mid, {}, token=tok), 200)
        assert r.json["state"] == "deployed" and r.json["runtime"]["state"] == "deployed", r.json
        assert ask(ip, "three")["answer"] == "ate three"
        m = e2e.module(d, tok, mid)
        assert m["state"] == "running" and "failure" not in m["runtime"], m
        assert m["runtime"]["process"]["state"] == "running" and m["runtime"]["starts"] == starts + 1, m
        r = it.expect_status(d.post("/v1/modules/%d/restart" % mid, {}, token=tok), 409, "conflict")
        assert r.json["error"]["details"]["state"] == "running", r.json
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
    tp.T = T
    TMP = tempfile.mkdtemp(prefix="innet-e2e-life-")
    try:
        T.up()
        it.main()
    finally:
        T.down()
        shutil.rmtree(TMP, ignore_errors=True)
