#!/usr/bin/python3
"""End to end through the REAL innetd (issue 6's integration test): HTTP in,
packets through the DPDK fast path between network namespaces.

Namespaces of our own, unique per run, always deleted:
  dp        innetd runs here (so does this script, after setns: its HTTP
            client reaches innetd's 127.0.0.1); net_af_packet ports on two veths
  internet  198.51.100.2, routes the platforms' pools (192.0.2.0/24, 10/8) to the fast path
  client    172.16.15.133 and .134 (clients of the Figure 3 network)

The operator loads the Figure 3 network and policy and creates tenants over
HTTP; tenants deploy over HTTP; packets go from `internet` to the modules'
assigned addresses and come out in `client` (or back in `internet`).
Needs root and DPDK (exit 77 otherwise)."""
import ctypes
import json
import os
import random
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("INNET_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")), "test", "lib"))
import innet_test as it  # noqa: E402


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip_udp(src, dst, sport, dport, payload):
    """An IPv4/UDP packet with correct checksums."""
    ulen = 8 + len(payload)
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    c = csum(s + d + struct.pack("!HH", 17, ulen) + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, random.randrange(65536), 0, 64, 17, 0, s, d)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + udp


# ---- helpers run inside the namespaces (this file with --recv / --send) ----

def helper_recv(iface, udp_addrs, udp_ports):
    """Print every IPv4 packet seen on iface and every datagram delivered to
    udp_addrs x udp_ports, as JSON lines."""
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    raw.bind((iface, 0))
    socks = [raw]
    for a in udp_addrs:
        for p in udp_ports:
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind((a, p))
            socks.append(u)
    print(json.dumps({"ready": True}), flush=True)
    while True:
        r, _, _ = select.select(socks, [], [], 1.0)
        for s in r:
            if s is raw:
                data, addr = s.recvfrom(65535)
                if addr[2] == socket.PACKET_OUTGOING or len(data) < 34:
                    continue
                ip = data[14:]
                hl = (ip[0] & 15) * 4
                tl = struct.unpack("!H", ip[2:4])[0]
                proto = ip[9]
                dport = struct.unpack("!H", ip[hl + 2:hl + 4])[0] if proto in (6, 17) else 0
                payload = ip[hl + 8:tl] if proto == 17 else b""
                print(json.dumps({"raw": True, "t": time.monotonic(), "src": socket.inet_ntoa(ip[12:16]),
                                  "dst": socket.inet_ntoa(ip[16:20]), "proto": proto, "dport": dport,
                                  "ipsum": csum(ip[:hl]) == 0,
                                  "payload": payload.decode("latin-1")}), flush=True)
            else:
                data, addr = s.recvfrom(65535)
                print(json.dumps({"udp": True, "t": time.monotonic(), "to": s.getsockname()[0],
                                  "port": s.getsockname()[1], "from": addr[0],
                                  "payload": data.decode("latin-1")}), flush=True)


def helper_send(spec):
    """[[kind, dst, dport, payload, gap_s], ...]; kind udp, tcp (a SYN),
    udphex (payload: hex bytes) or ipip (payload: hex of the inner packet)."""
    for kind, dst, dport, payload, gap in json.loads(spec):
        if kind == "udp":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(payload.encode(), (dst, dport))
        elif kind == "ipip":
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 4)
            s.sendto(bytes.fromhex(payload), (dst, 0))
        elif kind == "udphex":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(bytes.fromhex(payload), (dst, dport))
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect((dst, dport))  # the SYN goes out; nobody answers
            except BlockingIOError:
                pass
            time.sleep(0.05)
        s.close()
        if gap:
            time.sleep(gap)


if len(sys.argv) > 1 and sys.argv[1] == "--recv":
    helper_recv(sys.argv[2], sys.argv[3].split(","), [int(p) for p in sys.argv[4:]])
    sys.exit(0)
if len(sys.argv) > 1 and sys.argv[1] == "--send":
    helper_send(sys.argv[2])
    sys.exit(0)


# ---- the topology ------------------------------------------------------------

def sh(*args, ns=None):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise AssertionError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r.stdout


class Lines:
    """A helper process whose JSON lines a thread collects."""

    def __init__(self, cmd):
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        self.all = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.p.stdout:
            try:
                self.all.append(json.loads(line))
            except ValueError:
                pass

    def wait(self, pred, n=1, timeout=15):
        """The first n lines satisfying pred (fewer when the bound passed)."""
        end = time.monotonic() + timeout
        while True:
            got = [o for o in list(self.all) if pred(o)]
            if len(got) >= n or time.monotonic() > end:
                return got[:n] if len(got) >= n else got
            time.sleep(0.02)

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


class Topo:
    def __init__(self):
        sfx = "%04x%02x" % (os.getpid() & 0xffff, random.randrange(256))
        self.ns_dp, self.ns_inet, self.ns_cli = "e2e-dp-" + sfx, "e2e-internet-" + sfx, "e2e-client-" + sfx
        self.di, self.ii, self.dc, self.ic = "edi" + sfx, "eii" + sfx, "edc" + sfx, "eic" + sfx
        self.made = []
        self.procs = []

    def up(self):
        for ns in (self.ns_dp, self.ns_inet, self.ns_cli):
            sh("ip", "netns", "add", ns)
            self.made.append(ns)
        sh("ip", "link", "add", self.di, "netns", self.ns_dp, "type", "veth", "peer", "name", self.ii,
           "netns", self.ns_inet)
        sh("ip", "link", "add", self.dc, "netns", self.ns_dp, "type", "veth", "peer", "name", self.ic,
           "netns", self.ns_cli)
        for ns in (self.ns_dp, self.ns_inet, self.ns_cli):
            sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=ns)
            sh("ip", "link", "set", "lo", "up", ns=ns)
        # veths leave L4 checksums to an offload that never happens when
        # net_af_packet reads the frame: have the kernel compute them
        for ns, dev in ((self.ns_inet, self.ii), (self.ns_cli, self.ic), (self.ns_dp, self.di),
                        (self.ns_dp, self.dc)):
            sh("ethtool", "-K", dev, "tx", "off", ns=ns)
            sh("ip", "link", "set", dev, "up", ns=ns)
        sh("ip", "addr", "add", "198.51.100.2/24", "dev", self.ii, ns=self.ns_inet)
        sh("ip", "route", "add", "192.0.2.0/24", "dev", self.ii, ns=self.ns_inet)
        # platform1/2's pools: one fast path serves every platform of the snapshot
        sh("ip", "route", "add", "10.0.0.0/8", "dev", self.ii, ns=self.ns_inet)
        sh("ip", "addr", "add", "172.16.15.133/16", "dev", self.ic, ns=self.ns_cli)
        sh("ip", "addr", "add", "172.16.15.134/16", "dev", self.ic, ns=self.ns_cli)
        sh("ip", "route", "add", "default", "dev", self.ic, ns=self.ns_cli)
        mac = lambda ns, dev: json.loads(sh("ip", "-j", "link", "show", dev, ns=ns))[0]["address"]
        self.ic_mac, self.ii_mac = mac(self.ns_cli, self.ic), mac(self.ns_inet, self.ii)
        # this process joins the dp namespace: innetd (our child) runs there
        # and the test's HTTP client reaches its loopback address
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open("/var/run/netns/" + self.ns_dp, os.O_RDONLY)
        if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), "setns")
        os.close(fd)

    def daemon_args(self, idle="1s"):
        routes = ["--dp-routes", "172.16.0.0/16=1@%s, 0.0.0.0/0=0@%s" % (self.ic_mac, self.ii_mac),
                  "--idle-stop", idle]
        # INNET_DP_LCORES=N (test_e2e_lcores.py): dp-lcores = N; the
        # internet side (where the tests send, one socket per packet, and
        # assert the order across those flows) on one queue, which keeps
        # that order, so packets for the other lcores' modules are steered
        # to them; the client side with N queue pairs
        n = int(os.environ.get("INNET_DP_LCORES", "1"))
        if n > 1:
            return ["--dataplane", "devargs", "--dp-lcores", str(n), "--dp-ports",
                    "net_af_packet0,iface=%s net_af_packet1,iface=%s,qpairs=%d" % (self.di, self.dc, n)] + routes
        return ["--dataplane", "af_packet", "--dp-ports", "%s %s" % (self.di, self.dc)] + routes

    def receiver(self, where, ports=()):
        if where == "client":
            cmd = [self.ns_cli, self.ic, "172.16.15.133,172.16.15.134"]
        else:
            cmd = [self.ns_inet, self.ii, "198.51.100.2"]
        r = Lines(["ip", "netns", "exec", cmd[0], sys.executable, os.path.abspath(__file__), "--recv"] +
                  cmd[1:] + [str(p) for p in ports])
        self.procs.append(r)
        assert r.wait(lambda o: o.get("ready"), timeout=10), "receiver in %s did not start" % where
        return r

    def send(self, pkts):
        subprocess.run(["ip", "netns", "exec", self.ns_inet, sys.executable, os.path.abspath(__file__),
                        "--send", json.dumps(pkts)], check=True)

    def down(self):
        for p in self.procs:
            p.stop()
        self.procs = []
        for ns in self.made:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.made = []


T = None


def setup_operator(d):
    """The operator loads Figure 3 and its policy over HTTP."""
    with open(it.example("figure3-network.json")) as f:
        it.expect_status(d.put("/v1/network", json.load(f)), 200)
    with open(it.example("figure3-policy.reach")) as f:
        r = d.post("/v1/policies", {"text": f.read()})
        assert r.status in (200, 201), r


def tenant(d, name, kind, addresses=(), whitelist=()):
    r = it.expect_status(d.post("/v1/tenants", {"name": name, "kind": kind, "addresses": list(addresses),
                                                 "whitelist": list(whitelist)}), 201)
    return r.json["token"]


def module(d, tok, mid):
    return it.expect_status(d.get("/v1/modules/%d" % mid, token=tok), 200).json


def wait_module(d, tok, mid, pred, timeout=15):
    end = time.monotonic() + timeout
    while True:
        m = module(d, tok, mid)
        if pred(m) or time.monotonic() > end:
            return m
        time.sleep(0.05)


def metric(d, name, **labels):
    r = it.expect_status(d.get("/metrics"), 200)
    total = None
    for line in r.text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all('%s="%s"' % (k, v) in line for k, v in labels.items()):
            total = (total or 0) + float(line.rsplit(" ", 1)[1])
    return total


def test_figure4_batcher():
    """Figure 4 over HTTP: first packet starts it, UDP 1500 reaches the
    client rewritten and in bursts, TCP is dropped, idling stops it, a
    restart re-installs it, a kill removes it from the fast path."""
    # idle-stop 3 s: long enough that a busy machine cannot stop the module
    # between its last burst and the state check below
    with it.Daemon(args=T.daemon_args(idle="3s")) as d:
        setup_operator(d)
        tok = tenant(d, "phone", "client", ["172.16.15.133/32"])
        with open(it.example("figure4-request.json")) as f:
            req = json.load(f)
        assert "TimedUnqueue(120, 100)" in req["config"]
        req["config"] = req["config"].replace("TimedUnqueue(120, 100)", "TimedUnqueue(0.5, 3)")
        r = it.expect_status(d.post("/v1/modules", req, token=tok), 201)
        mid, addr = r.json["id"], r.json["address"]
        assert r.json["platform"] == "platform3" and addr["ip"].startswith("192.0.2."), r.json
        assert (addr["proto"], addr["port"]) == (17, 1500), addr
        m = module(d, tok, mid)
        assert m["state"] == "deployed" and m["runtime"]["starts"] == 0 and m["runtime"]["memory"] == 0, m

        cli = T.receiver("client", [1500])
        T.send([["tcp", addr["ip"], 1500, "", 0]])
        T.send([["udp", addr["ip"], 1500, "push-%d" % i, 0.005] for i in range(9)])
        got = cli.wait(lambda o: o.get("udp") and o["port"] == 1500, n=9)
        assert [g["payload"] for g in got] == ["push-%d" % i for i in range(9)], got
        assert all(g["from"] == "198.51.100.2" and g["to"] == "172.16.15.133" for g in got), got
        raw = [o for o in cli.all if o.get("raw") and o["dport"] == 1500]
        assert raw and all(o["dst"] == "172.16.15.133" and o["ipsum"] for o in raw), raw[:2]
        # bursts: TimedUnqueue(0.5, 3) releases at most 3 at a time: the
        # first as its queue wakes it (Click's), then on its 0.5 s timer
        groups = [[got[0]]]
        for g in got[1:]:
            (groups.append([g]) if g["t"] - groups[-1][-1]["t"] > 0.25 else groups[-1].append(g))
        assert len(groups) >= 3 and max(len(g) for g in groups) <= 3, [len(g) for g in groups]
        assert not any(o.get("raw") and o["proto"] == 6 for o in cli.all), "TCP reached the client"

        m = module(d, tok, mid)
        rt = m["runtime"]
        assert m["state"] in ("running", "idle") and rt["starts"] == 1, m  # started once, by the first packet
        assert rt["rx_packets"] == 9 and rt["tx_packets"] == 9, rt
        assert metric(d, "innet_module_rx_packets_total", id=mid) == 9
        assert metric(d, "innet_dp_drops_total", reason="unclassified") >= 1  # the SYN
        assert metric(d, "innet_http_requests_total") > 0
        # idle for idle-stop (3 s) with an empty queue: the batcher is
        # stateful (its rewriter's mappings, its queue), so it is suspended,
        # not stopped: its state saved, its memory freed
        m = wait_module(d, tok, mid, lambda m: m["runtime"]["suspends"] >= 1)
        assert m["state"] == "suspended" and m["runtime"]["memory"] == 0, m
        assert m["runtime"]["stops"] == 0 and m["runtime"]["state_bytes"] > 0, m
        assert metric(d, "innet_module_state", id=mid, state="suspended") == 1
        ls = it.expect_status(d.get("/v1/modules", token=tok), 200).json["modules"]
        assert [(x["id"], x["state"]) for x in ls] == [(mid, "suspended")], ls

        # a restart rebuilds the fast path's tables from the registry; the
        # module comes back suspended with its saved state and resumes
        d.restart()
        m = module(d, tok, mid)
        assert m["state"] == "suspended" and m["runtime"]["starts"] == 0, m
        n0 = len(cli.all)
        T.send([["udp", addr["ip"], 1500, "after-restart", 0]])
        got = cli.wait(lambda o: o.get("udp") and o["payload"] == "after-restart")
        assert got, "after a restart the module did not carry packets"
        rt = module(d, tok, mid)["runtime"]
        assert rt["resumes"] == 1 and rt["starts"] == 0, rt

        # kill: 204, and the fast path no longer knows the address
        it.expect_status(d.delete("/v1/modules/%d" % mid, token=tok), 204)
        before = metric(d, "innet_dp_drops_total", reason="unclassified")
        T.send([["udp", addr["ip"], 1500, "after-kill", 0]])
        end = time.monotonic() + 10
        while metric(d, "innet_dp_drops_total", reason="unclassified") == before and time.monotonic() < end:
            time.sleep(0.05)
        assert metric(d, "innet_dp_drops_total", reason="unclassified") > before
        assert not any(o.get("payload") == "after-kill" for o in cli.all[n0:])
        cli.stop()


# A third party's tunnel end-point over UDP (IP in UDP port 1600): it sends
# the inner packet on from its own address, wherever the inner packet goes.
UDP_TUNNEL = ("FromNetFront() -> IPFilter(allow udp dst port 1600, deny all)\n"
              "  -> Strip(28) -> CheckIPHeader()\n"
              "  -> IPRewriter(pattern $MODULE_IP - - - 0 0) -> ToNetFront();\n")


def test_sandboxed_tunnel():
    """A third party's tunnel is sandboxed: inner packets to its whitelist
    pass, to anywhere else the ChangeEnforcer drops them."""
    with it.Daemon(args=T.daemon_args(idle="30s")) as d:
        setup_operator(d)
        tok = tenant(d, "vendor", "third_party", ["198.51.100.0/24"], ["203.0.113.0/24"])
        r = it.expect_status(d.post("/v1/modules", {
            "name": "tunnel", "config": UDP_TUNNEL,
            "requirements": "reach from internet udp dst port 1600 -> tunnel -> internet\n"}, token=tok), 201)
        assert r.json["verdict"] == "sandboxed", r.json
        mid, ip = r.json["id"], r.json["address"]["ip"]
        inet = T.receiver("internet")
        ok = [ip_udp("198.51.100.2", "203.0.113.9", 4000, 5000, b"allowed-%d" % i).hex() for i in range(3)]
        bad = [ip_udp("198.51.100.2", "8.8.8.8", 4000, 53, b"escape-%d" % i).hex() for i in range(3)]
        T.send([["udphex", ip, 1600, p, 0.005] for p in ok + bad])
        got = inet.wait(lambda o: o.get("raw") and o["dst"] == "203.0.113.9", n=3)
        assert sorted(o["payload"] for o in got) == ["allowed-%d" % i for i in range(3)], got
        assert all(o["src"] == ip for o in got), got  # sent on from the module's address
        rt = wait_module(d, tok, mid, lambda m: m["runtime"]["rx_packets"] >= 6)["runtime"]
        assert rt["rx_packets"] == 6 and rt["tx_packets"] == 3 and rt["drops"] >= 3, rt
        # the enforcer's drops, shown by reason: not its own prefix nor a reply
        assert rt["enforcer"] == {"drops": 3, "source": 0, "destination": 3}, rt
        assert metric(d, "innet_module_enforcer_drops_total", id=mid, reason="destination") == 3
        assert not any(o.get("raw") and o["dst"] == "8.8.8.8" for o in inet.all), "escaped the sandbox"

        # the stock IP-in-IP tunnel (paper Table 1: sandboxed for a third
        # party), started by its first IP-in-IP packet
        r = it.expect_status(d.post("/v1/modules", {
            "name": "ipip", "stock": "tunnel", "params": {},
            "requirements": "reach from internet ip proto 4 -> ipip -> internet\n"}, token=tok), 201)
        assert r.json["verdict"] == "sandboxed", r.json
        mid2, ip2 = r.json["id"], r.json["address"]["ip"]
        n0 = len(inet.all)
        ok = [ip_udp("198.51.100.2", "203.0.113.9", 4000, 5000, b"ipip-ok-%d" % i).hex() for i in range(3)]
        bad = [ip_udp("198.51.100.2", "8.8.8.8", 4000, 53, b"ipip-bad-%d" % i).hex() for i in range(3)]
        T.send([["ipip", ip2, 0, p, 0.005] for p in ok + bad])
        got = inet.wait(lambda o: o.get("raw") and o["payload"].startswith("ipip-ok-"), n=3)
        assert sorted(o["payload"] for o in got) == ["ipip-ok-%d" % i for i in range(3)], got
        assert all(o["src"] == ip2 and o["dst"] == "203.0.113.9" for o in got), got
        rt = wait_module(d, tok, mid2, lambda m: m["runtime"]["rx_packets"] >= 6)["runtime"]
        assert rt["starts"] == 1 and rt["rx_packets"] == 6 and rt["tx_packets"] == 3, rt
        assert not any(o.get("raw") and o["dst"] == "8.8.8.8" for o in inet.all[n0:]), "escaped the sandbox"
        inet.stop()


def test_two_tenants_consolidated():
    """Two clients' modules in the one fast-path cell: each sees only its
    own traffic."""
    with it.Daemon(args=T.daemon_args(idle="30s")) as d:
        setup_operator(d)
        ids, addrs, toks = {}, {}, {}
        for who, host in (("a", "172.16.15.133"), ("b", "172.16.15.134")):
            toks[who] = tenant(d, "client-" + who, "client", [host + "/32"])
            r = it.expect_status(d.post("/v1/modules", {
                "name": "fwd",
                "config": "FromNetFront() -> IPFilter(allow udp port 1600, deny all)\n"
                          "  -> IPRewriter(pattern - - %s - 0 0) -> ToNetFront();\n" % host,
                "requirements": "reach from internet udp dst port 1600 -> fwd -> client dst %s\n" % host},
                token=toks[who]), 201)
            assert r.json["verdict"] == "safe", r.json
            ids[who], addrs[who] = r.json["id"], r.json["address"]["ip"]
        assert addrs["a"] != addrs["b"]
        cli = T.receiver("client", [1600])
        T.send([["udp", addrs["a" if i % 3 else "b"], 1600, ("A-%d" if i % 3 else "B-%d") % i, 0.003]
                for i in range(12)])
        got = cli.wait(lambda o: o.get("udp"), n=12)
        a = [g for g in got if g["payload"].startswith("A-")]
        b = [g for g in got if g["payload"].startswith("B-")]
        assert len(a) == 8 and len(b) == 4, got
        assert all(g["to"] == "172.16.15.133" for g in a) and all(g["to"] == "172.16.15.134" for g in b), got
        ra, rb = module(d, toks["a"], ids["a"])["runtime"], module(d, toks["b"], ids["b"])["runtime"]
        assert ra["rx_packets"] == 8 and rb["rx_packets"] == 4, (ra, rb)
        # each fast-path lcore's share in /metrics: one line per lcore, the
        # two modules spread over them (fewest modules first), every packet
        # given to its module once, what one lcore steered the other took
        lcores = int(os.environ.get("INNET_DP_LCORES", "1"))
        text = it.expect_status(d.get("/metrics"), 200).text
        per = [l for l in text.splitlines() if l.startswith("innet_dp_lcore_modules{")]
        assert len(per) == lcores, text
        assert [int(float(l.rsplit(" ", 1)[1])) for l in per] == ([2] if lcores == 1 else [1, 1]), per
        assert metric(d, "innet_dp_lcore_delivered_total") == 12, text
        assert metric(d, "innet_dp_lcore_steer_drops_total") == 0, text
        out, inn = metric(d, "innet_dp_lcore_steered_out_total"), metric(d, "innet_dp_lcore_steered_in_total")
        assert out == inn, text
        # one rx queue on the internet side: the packets of the module the
        # other lcore owns (4 or 8 of them) went through the ring
        assert inn == 0 if lcores == 1 else inn in (4, 8), text
        # and neither tenant sees the other's module
        it.expect_status(d.get("/v1/modules/%d" % ids["b"], token=toks["a"]), 404)
        cli.stop()


def test_start_rate_limit():
    """tenant-start-burst / tenant-starts-per-second reach the manager: a
    burst of first packets towards five stopped modules of one tenant
    starts one, refuses the rest (their packets are dropped, not queued)."""
    args = T.daemon_args(idle="30s") + ["--tenant-start-burst", "1", "--tenant-starts-per-second", "1"]
    with it.Daemon(args=args) as d:
        setup_operator(d)
        tok = tenant(d, "busy", "client", ["172.16.15.133/32"])
        mods = []
        for i in range(5):
            r = it.expect_status(d.post("/v1/modules", {
                "name": "fwd%d" % i,
                "config": "FromNetFront() -> IPFilter(allow udp port 1600, deny all)\n"
                          "  -> IPRewriter(pattern - - 172.16.15.133 - 0 0) -> ToNetFront();\n",
                "requirements": ""}, token=tok), 201)
            mods.append((r.json["id"], r.json["address"]["ip"]))
        T.send([["udp", ip, 1600, "go-%d" % mid, 0] for mid, ip in mods])
        end = time.monotonic() + 15
        while True:
            rts = [module(d, tok, mid)["runtime"] for mid, _ in mods]
            if sum(rt["starts"] + rt["refused_starts"] for rt in rts) >= 5 or time.monotonic() > end:
                break
            time.sleep(0.05)
        assert sum(rt["starts"] for rt in rts) >= 1, rts
        assert sum(rt["refused_starts"] for rt in rts) >= 1, rts
        assert sum(rt["starts"] + rt["refused_starts"] for rt in rts) == 5, rts
        assert metric(d, "innet_refused_starts_total") >= 1


def test_fast_path_failure_is_clear():
    """A fast path that cannot start stops innetd with the reason (not a
    daemon that silently carries no packets); dataplane = none runs alone."""
    tmp = tempfile.mkdtemp(prefix="innet-e2e-")
    try:
        base = [it.INNETD, "--listen", "127.0.0.1:0", "--admin-token", "e2e-admin-" + "x" * 16]
        for extra, msg in ((["--dataplane", "af_packet", "--dp-ports", "nosuch%d" % os.getpid()], "nosuch"),
                           (["--dataplane", "af_packet", "--dp-ports", T.di, "--dp-routes", "10.0.0.0/8=3"],
                            "dp-routes: '10.0.0.0/8=3' names port 3"),
                           (["--dataplane", "af_packet"], "needs at least one port")):
            r = it.run(base + ["--db", os.path.join(tmp, "db%d" % len(extra))] + extra, timeout=60)
            assert r.returncode != 0, (extra, r.returncode)
            assert "cannot start the fast path" in r.stderr and msg in r.stderr, (extra, r.stderr[-800:])
        with it.Daemon(args=["--dataplane", "none"]) as d:
            assert "innet_dataplane_up 0" in it.expect_status(d.get("/metrics"), 200).text
            tok = tenant(d, "nosy", "client", ["172.16.15.133/32"])
            it.expect_status(d.get("/metrics", token=tok), 403)  # per-tenant counters: operator only
            it.expect_status(d.get("/metrics", token=None), 401)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skip: the end-to-end packet tests need root (network namespaces, net_af_packet)")
        sys.exit(77)
    for tool in ("ip", "ethtool"):
        if not shutil.which(tool):
            print("skip: %s is not installed" % tool)
            sys.exit(77)
    r = subprocess.run([it.INNETD, "--help"], capture_output=True, text=True)
    if "af_packet" not in r.stdout + r.stderr:
        print("skip: this innetd has no dataplane setting")
        sys.exit(77)
    drv = os.path.join(it.BUILD_DIR, "test", "dataplane", "innet-dp-driver")
    if os.path.exists(drv) and subprocess.run([drv], capture_output=True).returncode == 77:
        print("skip: innet was built without DPDK")
        sys.exit(77)
    T = Topo()
    try:
        try:
            T.up()
        except AssertionError as e:
            if "Operation not permitted" in str(e) and not T.made:
                print("skip: cannot create network namespaces here (%s)" % e)
                sys.exit(77)
            raise
        it.main()
    finally:
        T.down()
