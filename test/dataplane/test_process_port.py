#!/usr/bin/python3
"""The process port with real packets (issue 15): a module whose device 1
is a program in a network namespace of its own.

Namespaces of our own, unique per run:
  client  172.16.15.133, a veth to dp
  dp      runs innet-dp-driver: net_af_packet on the veth, the process port
          (a TAP, innet-proc here) and one module
          `FromNetFront() -> ToDevice(1); FromDevice(1) -> ToNetFront();`
  mod     the module's program: a UDP echo server on the module's address,
          joined by dp_process_link (macvlan eth0 on the process port)

Checked: the link makes eth0 with the module's address, a permanent
neighbour and a default route; a datagram the program sends while its
module is not running is dropped and counted; a datagram from the client
starts the module (held) and comes back echoed from the module's address; a
frame with a tag nobody has is dropped and counted; unlink removes eth0.
Needs root and DPDK (exit 77 otherwise)."""
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77


if len(sys.argv) > 1 and sys.argv[1] == "--echo":
    # in the module's namespace: echo every datagram, prefixed
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[2], int(sys.argv[3])))
    print(json.dumps({"ready": True}), flush=True)
    while True:
        data, peer = s.recvfrom(65535)
        print(json.dumps({"echo": data.decode("latin-1"), "from": peer[0]}), flush=True)
        s.sendto(b"echo:" + data, peer)
if len(sys.argv) > 1 and sys.argv[1] == "--ask":
    # send one datagram, print the answer (or none)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(float(sys.argv[5]))
    s.sendto(sys.argv[4].encode(), (sys.argv[2], int(sys.argv[3])))
    try:
        data, peer = s.recvfrom(65535)
        print(json.dumps({"answer": data.decode("latin-1"), "from": peer[0], "port": peer[1]}))
    except socket.timeout:
        print(json.dumps({"answer": None}))
    sys.exit(0)
if len(sys.argv) > 1 and sys.argv[1] == "--send":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(sys.argv[4].encode(), (sys.argv[2], int(sys.argv[3])))
    sys.exit(0)


def sh(*args, ns=None, check=True):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r.stdout


class Lines:
    """A process whose stdout JSON lines are collected by a thread."""

    def __init__(self, cmd):
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.all = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.p.stdout:
            try:
                self.all.append(json.loads(line))
            except ValueError:
                pass

    def wait_for(self, pred, timeout):
        end = time.monotonic() + timeout
        i = 0
        while True:
            while i < len(self.all):
                if pred(self.all[i]):
                    obj = self.all.pop(i)
                    return obj
                i += 1
            if time.monotonic() >= end:
                return None
            time.sleep(0.01)

    def send(self, text):
        self.p.stdin.write(text + "\n")
        self.p.stdin.flush()


failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def main():
    if os.geteuid() != 0:
        print("skip: needs root (network namespaces, net_af_packet, net_tap)")
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
    ns_dp, ns_cli, ns_mod = "innet-pdp-" + sfx, "innet-pcli-" + sfx, "innet-pmod-" + sfx
    dc, ic = "pd" + sfx, "pc" + sfx
    tmp = tempfile.mkdtemp(prefix="innet-proc-")
    procs = []
    try:
        for ns in (ns_dp, ns_cli, ns_mod):
            sh("ip", "netns", "add", ns)
            sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=ns)
            sh("ip", "link", "set", "lo", "up", ns=ns)
        sh("ip", "link", "add", dc, "netns", ns_dp, "type", "veth", "peer", "name", ic, "netns", ns_cli)
        sh("ip", "link", "set", dc, "up", ns=ns_dp)
        for ns, dev in ((ns_cli, ic), (ns_dp, dc)):
            sh("ethtool", "-K", dev, "tx", "off", ns=ns)
        sh("ip", "addr", "add", "172.16.15.133/16", "dev", ic, ns=ns_cli)
        sh("ip", "link", "set", ic, "up", ns=ns_cli)
        sh("ip", "route", "add", "default", "dev", ic, ns=ns_cli)
        ic_mac = json.loads(sh("ip", "-j", "link", "show", ic, ns=ns_cli))[0]["address"]

        path = os.path.join(tmp, "proc.click")
        with open(path, "w") as f:
            f.write("FromNetFront() -> ToDevice(1);\nFromDevice(1) -> ToNetFront();\n")
        # INNET_DP_LCORES=N (test_process_port_lcores.py): N fast-path lcores,
        # each polling its own queue of the uplink and of the process port
        lcores = int(os.environ.get("INNET_DP_LCORES", "1"))
        qp = ",qpairs=%d" % lcores if lcores > 1 else ""
        drv = Lines(["ip", "netns", "exec", ns_dp, driver, "--port", "net_af_packet0,iface=" + dc + qp,
                     "--lcores", str(lcores),
                     "--route", "0.0.0.0/0=0@" + ic_mac, "--process-port", "innet-proc",
                     "--snapshot", os.path.join(examples, "figure3-network.json"),
                     "--platform", "platform3", "--idle-ms", "60000",
                     "--module", "proc:1:any:0:" + path])
        procs.append(drv)
        ready = drv.wait_for(lambda o: o.get("event") == "ready", 60)
        if not ready:
            print("driver did not come up; its exit code:", drv.p.poll())
            return 1
        mid, addr = ready["modules"][0]["id"], ready["modules"][0]["addr"]

        def stats():
            drv.send("stats")
            out = {}
            while True:
                o = drv.wait_for(lambda o: o.get("event") in ("stats", "dpstats", "end-stats"), 10)
                if o is None or o["event"] == "end-stats":
                    return out
                out[o.get("name", "dp")] = o

        # --- link: the kernel side in the module's namespace --------------
        drv.send("link %d no-such-namespace-%s" % (mid, sfx))
        o = drv.wait_for(lambda o: o.get("event") == "link", 10)
        check(o is not None and o["status"] < 0 and "no-such-namespace" in o["err"],
              "a link to a missing namespace fails with a clear error: %s" % (o and o["err"]))
        drv.send("link %d %s" % (mid, ns_mod))
        o = drv.wait_for(lambda o: o.get("event") == "link", 10)
        check(o is not None and o["status"] == 0 and o["tag"] == 1,
              "linked with the lowest free tag, 1, in %.0f us: %s" % (o["us"] if o else -1, o))
        drv.send("link %d %s" % (mid, ns_mod))
        o = drv.wait_for(lambda o: o.get("event") == "link", 10)
        check(o is not None and o["status"] < 0, "a second link of the module is refused: %s" % (o and o["err"]))
        link = json.loads(sh("ip", "-j", "-d", "addr", "show", "eth0", ns=ns_mod))[0]
        check(link["linkinfo"]["info_kind"] == "macvlan" and link["linkinfo"]["info_data"]["mode"] == "private"
              and link["address"] == "02:69:6e:70:00:01",
              "eth0 in the module's namespace is a private macvlan with tag 1's MAC: %s" % link["address"])
        check(["%s/%d" % (a["local"], a["prefixlen"]) for a in link["addr_info"] if a["family"] == "inet"] ==
              [addr + "/32"], "with the module's address %s/32" % addr)
        neigh = sh("ip", "neigh", "show", "169.254.0.1", ns=ns_mod)
        check("PERMANENT" in neigh, "the gateway is a permanent neighbour: %s" % neigh.strip())
        routes = sh("ip", "route", "show", ns=ns_mod)
        check("default via 169.254.0.1 dev eth0" in routes, "default route through it: %s" % routes.strip())

        echo = Lines(["ip", "netns", "exec", ns_mod, sys.executable, __file__, "--echo", addr, "7"])
        procs.append(echo)
        check(echo.wait_for(lambda o: o.get("ready"), 10) is not None, "the echo server listens on %s:7" % addr)

        # --- the program sends while its module is not running ----------------
        sh(sys.executable, __file__, "--send", "172.16.15.133", "9", "early", ns=ns_mod)
        st = stats()
        for _ in range(50):
            if st["dp"]["proc_not_running"] >= 1:
                break
            time.sleep(0.1)
            st = stats()
        check(st["dp"]["proc_not_running"] == 1 and st["proc"]["proc_drops"] == 1 and st["proc"]["state"] == "deployed",
              "a datagram from the program of a module not running is dropped and counted")

        # --- the echo: client -> module -> program -> module -> client ------
        out = sh(sys.executable, __file__, "--ask", addr, "7", "hello", "10", ns=ns_cli)
        a = json.loads(out)
        check(a["answer"] == "echo:hello" and a["from"] == addr and a["port"] == 7,
              "the client's datagram started the module and came back echoed from %s:7: %s" % (addr, a))
        e = echo.wait_for(lambda o: "echo" in o, 5)
        check(e is not None and e["from"] == "172.16.15.133", "the program saw the client's address")
        out = sh(sys.executable, __file__, "--ask", addr, "7", "again", "10", ns=ns_cli)
        check(json.loads(out)["answer"] == "echo:again", "a second datagram through the running module")
        st = stats()
        check(st["proc"]["proc_to"] == 2 and st["proc"]["proc_from"] == 2 and st["proc"]["proc_tag"] == 1,
              "module counters: 2 to the program, 2 from it (%s)" % st["proc"])
        check(st["dp"]["proc_to"] == 2 and st["dp"]["proc_from"] == 2 and st["dp"]["proc_links"] == 1,
              "totals: 2 and 2, one link")

        # --- a tag nobody has --------------------------------------------------
        unk = st["dp"]["proc_unknown_tag"]
        sh("ip", "link", "add", "link", "innet-proc", "name", "v4000", "address", "02:69:6e:70:0f:a0",
           "type", "macvlan", "mode", "private", ns=ns_dp)
        sh("ip", "addr", "add", "10.9.9.1/24", "dev", "v4000", ns=ns_dp)
        sh("ip", "link", "set", "v4000", "up", ns=ns_dp)
        sh("ip", "neigh", "add", "10.9.9.2", "lladdr", "02:00:00:00:00:09", "dev", "v4000", "nud", "permanent", ns=ns_dp)
        sh(sys.executable, __file__, "--send", "10.9.9.2", "9", "stray", ns=ns_dp)
        for _ in range(50):
            st = stats()
            if st["dp"]["proc_unknown_tag"] > unk:
                break
            time.sleep(0.1)
        check(st["dp"]["proc_unknown_tag"] > unk and st["proc"]["proc_from"] == 2,
              "a frame from tag 4000's MAC is dropped and counted (unknown tag), the module saw nothing")

        # --- unlink -------------------------------------------------------------
        drv.send("unlink %d" % mid)
        o = drv.wait_for(lambda o: o.get("event") == "unlink", 10)
        check(o is not None and o["status"] == 0, "unlinked")
        r = subprocess.run(["ip", "netns", "exec", ns_mod, "ip", "link", "show", "eth0"], capture_output=True)
        check(r.returncode != 0, "eth0 is gone from the module's namespace")
        out = sh(sys.executable, __file__, "--ask", addr, "7", "gone", "1", ns=ns_cli)
        check(json.loads(out)["answer"] is None, "no echo after the unlink")
        st = stats()
        check(st["dp"]["proc_links"] == 0 and st["proc"]["proc_tag"] == 0, "no link left")
        drv.send("quit")
        drv.p.stdin.close()
        drv.p.wait(timeout=20)
        check(drv.p.returncode == 0, "the driver stopped cleanly")
    finally:
        for p in procs:
            if p.p.poll() is None:
                p.p.terminate()
                try:
                    p.p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.p.kill()
        for ns in (ns_dp, ns_cli, ns_mod):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
