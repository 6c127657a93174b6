#!/usr/bin/python3
"""Real packets through the DPDK fast path (issue 6's packet tests).

Three network namespaces of our own, with unique names per run:
  internet  198.51.100.2, routes the platform pool to its veth
  client    172.16.15.133 (the batcher example's client)
  dp        runs innet-dp-driver: net_af_packet on the two other veth ends,
            platform3's pool of the Figure 3 snapshot, the native backend.

Checked: the batcher is started by its first packet, its UDP reaches the
client's UDP socket (destination rewritten to 172.16.15.133, checksums the
kernel accepts), released in bursts; TCP to the same address is dropped; the
module is stopped after idling. A sandboxed module's packets to a
destination outside its whitelist are dropped by the ChangeEnforcer while
allowed ones pass. Two tenants consolidated in the fast path see only their
own traffic. Needs root and DPDK (exit 77 otherwise)."""
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

SKIP = 77


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def helper_recv(iface, udp_addr, udp_ports):
    """In a namespace: print every IPv4 packet seen on iface (raw) and every
    datagram the kernel delivers to udp_addr:port, as JSON lines."""
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    raw.bind((iface, 0))
    socks = [raw]
    for p in udp_ports:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((udp_addr, p))
        socks.append(u)
    print(json.dumps({"ready": True}), flush=True)
    while True:
        r, _, _ = select.select(socks, [], [], 1.0)
        for s in r:
            if s is raw:
                data, addr = s.recvfrom(65535)
                if addr[2] == socket.PACKET_OUTGOING:
                    continue
                ip = data[14:]
                if len(ip) < 20:
                    continue
                hl = (ip[0] & 15) * 4
                proto = ip[9]
                sport = dport = 0
                if proto in (6, 17) and len(ip) >= hl + 4:
                    sport, dport = struct.unpack("!HH", ip[hl:hl + 4])
                tl = struct.unpack("!H", ip[2:4])[0]
                payload = ip[hl + 8:tl] if proto == 17 else b""
                l4ok = True
                if proto == 17 and ip[hl + 6:hl + 8] != b"\0\0":
                    l4ok = csum(ip[12:20] + struct.pack("!HH", 17, tl - hl) + ip[hl:tl]) == 0
                print(json.dumps({"raw": True, "t": time.monotonic(), "mac": data[0:6].hex(),
                                  "ipsum": csum(ip[:hl]) == 0, "l4sum": l4ok, "len": len(data),
                                  "src": socket.inet_ntoa(ip[12:16]),
                                  "dst": socket.inet_ntoa(ip[16:20]),
                                  "proto": proto, "sport": sport, "dport": dport,
                                  "payload": payload.decode("latin-1")}), flush=True)
            else:
                data, addr = s.recvfrom(65535)
                print(json.dumps({"udp": True, "t": time.monotonic(),
                                  "port": s.getsockname()[1], "from": addr[0],
                                  "payload": data.decode("latin-1")}), flush=True)


def helper_send(spec):
    """In a namespace: send UDP datagrams / TCP SYNs, spec is JSON:
    [[dst, proto, dport, payload, gap_s], ...]"""
    for dst, proto, dport, payload, gap in json.loads(spec):
        if proto == "udp":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(payload.encode(), (dst, dport))
            s.close()
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
    helper_recv(sys.argv[2], sys.argv[3], [int(p) for p in sys.argv[4:]])
    sys.exit(0)
if len(sys.argv) > 1 and sys.argv[1] == "--send":
    helper_send(sys.argv[2])
    sys.exit(0)


def sh(*args, ns=None, check=True):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    return subprocess.run(cmd, check=check, capture_output=True, text=True).stdout


class Lines:
    """A process whose stdout JSON lines are collected by a thread."""

    def __init__(self, cmd, stderr=None):
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=stderr, text=True)
        self.all = []
        self.seen = 0
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.p.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            self.all.append(obj)

    def wait_for(self, pred, timeout, since=None):
        """The first line after `since` (an index into self.all; default:
        what this call has not seen yet) that satisfies pred."""
        end = time.monotonic() + timeout
        i = self.seen if since is None else since
        while True:
            while i < len(self.all):
                obj = self.all[i]
                i += 1
                if pred(obj):
                    if since is None:
                        self.seen = i
                    return obj
            if time.monotonic() >= end:
                return None
            time.sleep(0.01)

    def send(self, text):
        self.p.stdin.write(text + "\n")
        self.p.stdin.flush()

    def stop(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.close()
            except OSError:
                pass
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def main():
    if os.geteuid() != 0:
        print("skip: the packet tests need root (network namespaces, net_af_packet)")
        return SKIP
    for tool, pkg in (("ip", "iproute2"), ("ethtool", "ethtool")):
        if not shutil.which(tool):
            print("skip: %s (%s) is not installed" % (tool, pkg))
            return SKIP
    build = os.environ.get("INNET_BUILD_DIR", ".")
    examples = os.path.join(os.environ.get("INNET_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../..")), "examples")
    driver = os.path.join(build, "test", "dataplane", "innet-dp-driver")
    if not os.path.exists(driver):
        print("skip: innet-dp-driver was not built")
        return SKIP
    if subprocess.run([driver], capture_output=True).returncode == SKIP:
        print("skip: innet was built without DPDK")
        return SKIP

    sfx = "%04x%02x" % (os.getpid() & 0xffff, random.randrange(256))
    ns_dp, ns_inet, ns_cli = "innet-dp-" + sfx, "innet-internet-" + sfx, "innet-client-" + sfx
    di, ii, dc, ic = "di" + sfx, "ii" + sfx, "dc" + sfx, "ic" + sfx
    tmp = tempfile.mkdtemp(prefix="innet-pkt-")
    procs = []
    try:
        for ns in (ns_dp, ns_inet, ns_cli):
            sh("ip", "netns", "add", ns)
        sh("ip", "link", "add", di, "netns", ns_dp, "type", "veth", "peer", "name", ii, "netns", ns_inet)
        sh("ip", "link", "add", dc, "netns", ns_dp, "type", "veth", "peer", "name", ic, "netns", ns_cli)
        for ns in (ns_dp, ns_inet, ns_cli):
            sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=ns)
            sh("ip", "link", "set", "lo", "up", ns=ns)
        for dev in (di, dc):
            sh("ip", "link", "set", dev, "up", ns=ns_dp)
        # veths leave UDP/TCP checksums to an "offload" that never happens
        # when the frame is read by net_af_packet: have the kernel fill them
        for ns, dev in ((ns_inet, ii), (ns_cli, ic), (ns_dp, di), (ns_dp, dc)):
            sh("ethtool", "-K", dev, "tx", "off", ns=ns)
        sh("ip", "addr", "add", "198.51.100.2/24", "dev", ii, ns=ns_inet)
        sh("ip", "link", "set", ii, "up", ns=ns_inet)
        sh("ip", "route", "add", "192.0.2.0/24", "dev", ii, ns=ns_inet)
        sh("ip", "addr", "add", "172.16.15.133/16", "dev", ic, ns=ns_cli)
        sh("ip", "link", "set", ic, "up", ns=ns_cli)
        sh("ip", "route", "add", "default", "dev", ic, ns=ns_cli)
        mac = lambda ns, dev: json.loads(sh("ip", "-j", "link", "show", dev, ns=ns))[0]["address"]
        ic_mac, ii_mac = mac(ns_cli, ic), mac(ns_inet, ii)

        # modules
        with open(os.path.join(examples, "figure4-batcher.click")) as f:
            batcher = f.read().replace("TimedUnqueue(120, 100)", "TimedUnqueue(1, 3)")
        files = {
            "batcher": batcher,
            # a tunnel-like module the controller sandboxed: its whitelist is
            # the client prefix; port 1601 tries to reach 203.0.113.9
            "sandboxed": """
ce :: ChangeEnforcer(ADDR 192.0.2.3, ALLOW 172.16.0.0/16);
c :: IPClassifier(dst udp port 1600, dst udp port 1601, -);
FromNetFront() -> [0]ce[0] -> c;
c[0] -> IPRewriter(pattern - - 172.16.15.133 - 0 0) -> [1]ce;
c[1] -> IPRewriter(pattern - - 203.0.113.9 - 0 0) -> [1]ce;
c[2] -> Discard;
ce[1] -> ToNetFront();
""",
            "tenantA": "FromNetFront() -> IPFilter(allow udp, deny all) -> Counter -> "
                       "IPRewriter(pattern - - 172.16.1.1 - 0 0) -> ToNetFront();\n",
            "tenantB": "FromNetFront() -> IPFilter(allow udp, deny all) -> Counter -> "
                       "IPRewriter(pattern - - 172.16.2.2 - 0 0) -> ToNetFront();\n",
        }
        mods = [("batcher", 1, "udp", 1500), ("sandboxed", 2, "any", 0),
                ("tenantA", 3, "any", 0), ("tenantB", 4, "any", 0)]
        # INNET_DP_LCORES=N (test_packets_lcores.py): N fast-path lcores; the
        # internet side, where the test sends (a socket per packet) and checks
        # the order across those flows, on one queue, which keeps it, so the
        # other lcores' modules get theirs steered; the client side with N
        # queue pairs (the kernel fans its flows out)
        lcores = int(os.environ.get("INNET_DP_LCORES", "1"))
        qp = ",qpairs=%d" % lcores if lcores > 1 else ""
        args = [driver, "--port", "net_af_packet0,iface=" + di, "--port", "net_af_packet1,iface=" + dc + qp,
                "--lcores", str(lcores),
                "--route", "172.16.0.0/16=1@" + ic_mac, "--route", "0.0.0.0/0=0@" + ii_mac,
                "--snapshot", os.path.join(examples, "figure3-network.json"),
                "--platform", "platform3", "--idle-ms", "1500"]
        for name, tenant, proto, port in mods:
            path = os.path.join(tmp, name + ".click")
            with open(path, "w") as f:
                f.write(files[name])
            args += ["--module", "%s:%d:%s:%d:%s" % (name, tenant, proto, port, path)]

        cli = Lines(["ip", "netns", "exec", ns_cli, sys.executable, __file__, "--recv", ic,
                     "172.16.15.133", "1500", "1600"])
        procs.append(cli)
        inet = Lines(["ip", "netns", "exec", ns_inet, sys.executable, __file__, "--recv", ii,
                      "198.51.100.2"])
        procs.append(inet)
        drv = Lines(["ip", "netns", "exec", ns_dp] + args)
        procs.append(drv)
        ready = drv.wait_for(lambda o: o.get("event") == "ready", 60)
        if not ready:
            print("driver did not come up; its exit code:", drv.p.poll())
            return 1
        addr = {m["name"]: m["addr"] for m in ready["modules"]}
        ids = {m["name"]: m["id"] for m in ready["modules"]}
        check(addr["batcher"] == "192.0.2.2", "the batcher got the first free address of platform3's pool")
        check(cli.wait_for(lambda o: o.get("ready"), 10) is not None, "client receiver ready")
        check(inet.wait_for(lambda o: o.get("ready"), 10) is not None, "internet receiver ready")

        def stats():
            drv.send("stats")
            out = {}
            while True:
                o = drv.wait_for(lambda o: o.get("event") in ("stats", "dpstats", "end-stats"), 10)
                if o is None or o["event"] == "end-stats":
                    return out
                out[o.get("name", "dp")] = o

        st = stats()
        check(st["batcher"]["state"] == "deployed" and st["batcher"]["mem"] == 0,
              "before any packet the batcher is deployed, not running, no memory")

        def send(pkts):
            subprocess.run(["ip", "netns", "exec", ns_inet, sys.executable, __file__, "--send",
                            json.dumps(pkts)], check=True)

        # --- batcher: first packet starts it; bursts of 3 per second -------
        b = addr["batcher"]
        send([[b, "tcp", 1500, "", 0]])
        send([[b, "udp", 1500, "push-%d" % i, 0.02] for i in range(7)])
        got = []
        end = time.monotonic() + 15
        while len(got) < 7 and time.monotonic() < end:
            o = cli.wait_for(lambda o: o.get("udp") and o["port"] == 1500, end - time.monotonic())
            if o:
                got.append(o)
        check(len(got) == 7, "all 7 UDP packets reached the client's socket on 172.16.15.133:1500 (got %d)" % len(got))
        check([g["payload"] for g in got] == ["push-%d" % i for i in range(7)], "in order, payload intact")
        check(all(g["from"] == "198.51.100.2" for g in got), "source kept")
        raw = [o for o in cli.all if o.get("raw") and o["dport"] == 1500]
        check(all(o["dst"] == "172.16.15.133" for o in raw) and len(raw) >= 7,
              "on the wire the destination is 172.16.15.133")
        check(all(o["ipsum"] and o["l4sum"] and o["mac"] == ic_mac.replace(":", "") for o in raw),
              "to the client's MAC, IP and UDP checksums right: %s" % raw[:1])
        groups = [[got[0]]] if got else []
        for g in got[1:]:
            if g["t"] - groups[-1][-1]["t"] > 0.5:
                groups.append([g])
            else:
                groups[-1].append(g)
        sizes = [len(g) for g in groups]
        check(len(groups) >= 3 and max(sizes) <= 3,
              "released in bursts of at most 3 (TimedUnqueue(1, 3)): %s" % sizes)
        check(not any(o.get("raw") and o["proto"] == 6 for o in cli.all), "TCP to the batcher never reached the client")
        started = [o for o in drv.all if o.get("event") == "started" and o["id"] == ids["batcher"]]
        check(len(started) == 1, "the batcher was started once, by its first packet (%.0f us)" %
              (started[0]["start_us"] if started else -1))
        st = stats()
        check(st["dp"]["unclassified"] >= 1, "the TCP SYN was dropped by the classifier")
        check(st["batcher"]["rx"] == 7 and st["batcher"]["tx"] == 7, "batcher counters: 7 in, 7 out")
        # idle for 1.5 s with an empty queue: stopped, memory freed
        o = drv.wait_for(lambda o: o.get("event") == "state" and o["id"] == ids["batcher"]
                         and o["state"] == "deployed", 15, since=0)
        check(o is not None, "the batcher was stopped after idling")
        # the manager says "deployed" when it sends the halt; the fast path
        # clears the memory counter when it runs it, a moment later
        st = stats()
        for _ in range(50):
            if st["batcher"]["mem"] == 0:
                break
            time.sleep(0.1)
            st = stats()
        check(st["batcher"]["stops"] == 1 and st["batcher"]["mem"] == 0, "its memory was freed")

        # --- sandbox: allowed passes, the rest is dropped ------------------
        s = addr["sandboxed"]
        send([[s, "udp", 1600, "allowed-%d" % i, 0.01] for i in range(3)] +
             [[s, "udp", 1601, "escape-%d" % i, 0.01] for i in range(3)])
        got = []
        end = time.monotonic() + 10
        while len(got) < 3 and time.monotonic() < end:
            o = cli.wait_for(lambda o: o.get("udp") and o["port"] == 1600, end - time.monotonic())
            if o:
                got.append(o)
        check(sorted(g["payload"] for g in got) == ["allowed-%d" % i for i in range(3)],
              "the sandboxed module's whitelisted traffic reached the client")
        time.sleep(0.5)
        leaked = [o for o in cli.all + inet.all if o.get("raw") and o.get("dst") == "203.0.113.9"]
        check(not leaked, "nothing reached 203.0.113.9 (outside the whitelist)")
        st = stats()
        check(st["sandboxed"]["drops"] >= 3 and st["sandboxed"]["tx"] == 3,
              "the ChangeEnforcer dropped the 3 escaping packets (drops %d, tx %d)" %
              (st["sandboxed"]["drops"], st["sandboxed"]["tx"]))

        # --- two tenants consolidated in one fast path ---------------------
        send([[addr["tenantA"] if i % 3 else addr["tenantB"], "udp", 7000 + i,
               ("A-%d" if i % 3 else "B-%d") % i, 0.005] for i in range(12)])
        time.sleep(1.5)
        seen = [o for o in cli.all if o.get("raw") and o["payload"][:2] in ("A-", "B-")]
        a = [o for o in seen if o["payload"].startswith("A-")]
        bb = [o for o in seen if o["payload"].startswith("B-")]
        check(len(a) == 8 and len(bb) == 4, "both tenants' packets came through (%d A, %d B)" % (len(a), len(bb)))
        check(all(o["dst"] == "172.16.1.1" for o in a) and all(o["dst"] == "172.16.2.2" for o in bb),
              "each tenant's packets went only through its own module")
        st = stats()
        check(st["tenantA"]["rx"] == 8 and st["tenantB"]["rx"] == 4, "per-module counters: A 8, B 4")
        ws = [st["lcore%d" % i] for i in range(lcores)]
        check("lcore%d" % lcores not in st, "%d fast-path lcore(s)" % lcores)
        check(sum(w["rx"] for w in ws) == st["dp"]["rx"], "the lcores' rx add up to the port's")
        check(all(w["steer_drops"] == 0 for w in ws), "no steered packet lost")
        check(sum(w["steered_out"] for w in ws) == sum(w["steered_in"] for w in ws),
              "every steered packet reached its owner")
        if lcores > 1:
            check(all(w["modules"] >= 1 for w in ws), "modules placed on every lcore (%s)" %
                  [w["modules"] for w in ws])
            check(sum(w["steered_in"] for w in ws) > 0, "packets steered to their modules' lcores")
        drv.send("quit")
        drv.stop()
        check(drv.p.returncode == 0, "the driver stopped cleanly")
    finally:
        for p in procs:
            if p.p.poll() is None:
                p.p.terminate()
                try:
                    p.p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.p.kill()
        for ns in (ns_dp, ns_inet, ns_cli):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
