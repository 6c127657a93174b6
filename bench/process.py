#!/usr/bin/env python3
"""Process-backed stock modules' figures (issue 15, "Benchmarks"): the
REAL innetd with its DPDK fast path (net_af_packet on veths between
namespaces: test/e2e/test_e2e.py's Topo) and a process port; a third party
deploys the shipped http-reverse-proxy (nginx) in front of its origin (an
nginx of this script's own at 198.51.100.10:8080 in the `internet`
namespace, beside the client), an operator the same module.

Prints one table; asserts nothing about time (the machine is shared):

* start on first packet: N fresh modules (N third-party proxies), each
  first connect() timed three ways: the client's connect() (SYN out to
  SYN-ACK in, in the client's process), a capture on the internet-side veth
  (tcpdump's timestamps: the module's first SYN leaving to its first SYN-ACK
  arriving; "-" without tcpdump) and innetd's own `last_start_us` (first packet seen -> program
  listening and the wrapper running); p50 and p99 over the N;
* freeze and thaw: innetd's `last_suspend_us` (idle decision -> cgroup
  frozen and the wrapper suspended) and `last_resume_us` (held packet ->
  thawed, wrapper resumed, the held packets through), and from the client
  the first GET after the freeze (new connection, a cache hit) against a
  warm one (the same GET right after);
* memory: the program's cgroup (`runtime.process.memory`: memory.current or
  memory.usage_in_bytes) running and frozen, per module; innetd's own RSS
  growth per deployed and per started module;
* requests per second over keep-alive connections from one load generator
  (this file's --load: CONNS connections in one Python process) for LOAD_S
  seconds each: the origin directly (client and origin share a namespace:
  no fast path), then through the proxy deployed by the third party
  (`sandboxed`: the ChangeEnforcer between nginx and the network) and by
  the operator (`safe`: no enforcer), a cache hit (/page.html) and the
  no-cache path (/nocache/page.html: the origin says no-store, every
  request goes to it through the fast path and, for the third party, the
  enforcer); the ratio sandboxed/safe is the enforcer's cost (the paper
  measured a 70% loss for a separate sandbox VM).

  INNET_SOURCE_DIR=. INNETD=BUILD/innetd python3 bench/process.py \\
      [--quick] [--modules 10] [--load-seconds 10] [--rounds 3] [--conns 4] [--cpu-percent N]

Each load row runs --rounds times, the rows' order rotated each round;
the table shows the round with the median req/s (all rounds at the end of
the line), the proxy's CPU over the run (its cgroup's CPU time; the
shipped quota is 25% of a core) and, for the enforcer's cost, the median
of the rounds' sandboxed/safe ratios (the two runs are neighbours in time).
--quick: 3 modules, 2 s per load run (about a minute: a smoke run, its
load rows are noise; the default takes about four). --cpu-percent N sets the entry's CPU quota in a
copy of the catalogue. Needs root, DPDK, bwrap and nginx (exit 77 with the
reason); tcpdump for the capture row.
BENCH_PROC_LOGS=1 prints the end of innetd's log at the end."""
import argparse
import json
import os
import re
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ["INNET_SOURCE_DIR"] = os.path.abspath(os.environ.get("INNET_SOURCE_DIR",
                                                                os.path.join(HERE, "..")))
SRC = os.environ["INNET_SOURCE_DIR"]
sys.path.insert(0, os.path.join(SRC, "test", "e2e"))

ORIGIN, ORIGIN_PORT = "198.51.100.10", 8080
PAGE = "/page.html"
NOCACHE = "/nocache/page.html"
BODY = ("innet process bench " * 52)[:1024]  # a 1 KiB page


# ---- helpers run in the internet namespace (this file with --first/--get/--load)

def read_response(s, buf=b""):
    """One HTTP/1.1 answer with a Content-Length: (status, headers, rest)."""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise ConnectionError("closed before the headers")
        buf += d
    head, _, buf = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hdr = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    n = int(hdr.get("content-length", "0"))
    while len(buf) < n:
        d = s.recv(65536)
        if not d:
            raise ConnectionError("closed in the body")
        buf += d
    return int(lines[0].split()[1]), hdr, buf[n:]


def request(host, port, path):
    return ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, host)).encode()


def helper_first(ip, port, path):
    """The module's first connection: connect() timed, then one GET on it."""
    s = socket.socket()
    s.settimeout(60)
    t0 = time.perf_counter()
    s.connect((ip, port))
    t1 = time.perf_counter()
    s.sendall(request(ip, port, path))
    st, hdr, _ = read_response(s)
    t2 = time.perf_counter()
    s.close()
    print(json.dumps({"connect_ms": (t1 - t0) * 1e3, "get_ms": (t2 - t1) * 1e3, "status": st,
                      "cache": hdr.get("x-cache-status")}), flush=True)


def helper_get(ip, port, path, n):
    """n GETs, each on a new connection, each timed (connect to body)."""
    out = []
    for _ in range(n):
        s = socket.socket()
        s.settimeout(30)
        t0 = time.perf_counter()
        s.connect((ip, port))
        s.sendall(request(ip, port, path))
        st, hdr, _ = read_response(s)
        out.append({"ms": (time.perf_counter() - t0) * 1e3, "status": st, "cache": hdr.get("x-cache-status")})
        s.close()
    print(json.dumps(out), flush=True)


class Conn:
    def __init__(self, host, port):
        self.s = socket.create_connection((host, port), timeout=10)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.s.setblocking(False)
        self.buf = b""
        self.t = 0.0


def helper_load(host, port, path, seconds, conns):
    """Keep-alive GETs from `conns` connections for `seconds`: answers by
    status, errors, latency p50/p99 (ms). A closed connection (nginx's
    keepalive_requests, timeouts) is opened again."""
    req = request(host, port, path)
    sel = selectors.DefaultSelector()
    counts, lat, errors = {}, [], 0

    def send(c):
        c.t = time.perf_counter()
        c.s.send(req)  # a few dozen bytes: fits any send buffer

    def open_one():
        c = Conn(host, port)
        sel.register(c.s, selectors.EVENT_READ, c)
        send(c)

    for _ in range(conns):
        open_one()
    t0 = time.perf_counter()
    end = t0 + seconds
    while time.perf_counter() < end:
        for key, _ in sel.select(0.5):
            c = key.data
            try:
                d = c.s.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                d = b""
            if not d:  # closed: mid-answer is an error, between answers not
                errors += 1 if c.buf else 0
                sel.unregister(c.s)
                c.s.close()
                open_one()
                continue
            c.buf += d
            while True:
                i = c.buf.find(b"\r\n\r\n")
                if i < 0:
                    break
                head = c.buf[:i].decode("latin-1").lower()
                m = re.search(r"\r\ncontent-length:\s*(\d+)", head)
                n = int(m.group(1)) if m else 0
                if len(c.buf) < i + 4 + n:
                    break
                c.buf = c.buf[i + 4 + n:]
                st = head[9:12]
                counts[st] = counts.get(st, 0) + 1
                lat.append((time.perf_counter() - c.t) * 1e3)
                if "\r\nconnection: close" in head:
                    sel.unregister(c.s)
                    c.s.close()
                    open_one()
                else:
                    send(c)
                break
    took = time.perf_counter() - t0
    lat.sort()
    print(json.dumps({"seconds": took, "status": counts, "errors": errors,
                      "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99)}), flush=True)


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(q / 100 * (len(v) - 1))))] if v else float("nan")


if len(sys.argv) > 1 and sys.argv[1] in ("--first", "--get", "--load"):
    a = sys.argv[2:]
    if sys.argv[1] == "--first":
        helper_first(a[0], int(a[1]), a[2])
    elif sys.argv[1] == "--get":
        helper_get(a[0], int(a[1]), a[2], int(a[3]))
    else:
        helper_load(a[0], int(a[1]), a[2], float(a[3]), int(a[4]))
    sys.exit(0)


import test_e2e as e2e  # noqa: E402  (the topology; after the helpers: they need none of it)

it = e2e.it
T = None


def inet(*args, timeout=120):
    """This file with args in the internet namespace; its last JSON line."""
    r = subprocess.run(["ip", "netns", "exec", T.ns_inet, sys.executable, os.path.abspath(__file__)] +
                       [str(x) for x in args], capture_output=True, text=True, timeout=timeout)
    if r.returncode:
        raise RuntimeError("%s: %s" % (" ".join(str(x) for x in args), r.stderr.strip()[-800:]))
    return json.loads(r.stdout.strip().splitlines()[-1])


# ---- the origin ---------------------------------------------------------------

def start_origin(tmp):
    """nginx serving a 1 KiB page at ORIGIN:ORIGIN_PORT in the internet
    namespace; /nocache/ answers with Cache-Control: no-store."""
    d = os.path.join(tmp, "origin")
    for sub in ("www/nocache", "tmp"):
        os.makedirs(os.path.join(d, sub))
    for p in (PAGE, NOCACHE):
        with open(os.path.join(d, "www") + p, "w") as f:
            f.write(BODY)
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""worker_processes 1;
user root;
pid %(d)s/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path %(d)s/tmp/body;
    proxy_temp_path %(d)s/tmp/proxy;
    fastcgi_temp_path %(d)s/tmp/fastcgi;
    uwsgi_temp_path %(d)s/tmp/uwsgi;
    scgi_temp_path %(d)s/tmp/scgi;
    server {
        listen %(ip)s:%(port)d;
        root %(d)s/www;
        location /nocache/ { add_header Cache-Control no-store; }
    }
}
""" % {"d": d, "ip": ORIGIN, "port": ORIGIN_PORT})
    e2e.sh("ip", "addr", "add", ORIGIN + "/24", "dev", T.ii, ns=T.ns_inet)
    p = subprocess.Popen(["ip", "netns", "exec", T.ns_inet, "nginx", "-p", d, "-c", conf, "-e", "stderr",
                          "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(d, "error.log"), "w"))
    for _ in range(100):
        try:
            got = inet("--get", ORIGIN, ORIGIN_PORT, PAGE, 1, timeout=20)
            if got[0]["status"] == 200:
                return p
        except (RuntimeError, ValueError):
            pass
        if p.poll() is not None:
            raise RuntimeError("the origin's nginx ended: %s" % open(os.path.join(d, "error.log")).read()[-800:])
        time.sleep(0.1)
    raise RuntimeError("the origin never answered")


# ---- the capture ----------------------------------------------------------------

class Capture:
    """tcpdump on the internet-side veth: SYN and SYN-ACK of port 80 with
    their kernel timestamps."""

    LINE = re.compile(r"^(\d+\.\d+) IP (\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.(\d+): "
                      r"Flags \[(S|S\.)\]")

    def __init__(self):
        self.p = subprocess.Popen(["ip", "netns", "exec", T.ns_inet, "tcpdump", "-i", T.ii, "-n", "-l",
                                   "-tt", "--time-stamp-precision=micro", "-U",
                                   "tcp port 80 and tcp[tcpflags] & tcp-syn != 0"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []
        threading.Thread(target=self._pump, daemon=True).start()
        end = time.monotonic() + 10  # tcpdump says "listening on" once it captures
        while time.monotonic() < end and self.p.poll() is None:
            line = self.p.stderr.readline()
            if "listening on" in line:
                return
        raise RuntimeError("tcpdump did not start")

    def _pump(self):
        for line in self.p.stdout:
            m = self.LINE.match(line)
            if m:
                self.lines.append((float(m.group(1)), m.group(2), m.group(4), m.group(6)))

    def syn_to_synack_ms(self, ip):
        """The module's first SYN out to its first SYN-ACK back (None if
        not both seen)."""
        syn = next((t for t, s, d, f in self.lines if d == ip and f == "S"), None)
        ack = next((t for t, s, d, f in self.lines if s == ip and f == "S."), None)
        return (ack - syn) * 1e3 if syn is not None and ack is not None else None

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            self.p.wait(timeout=5)


# ---- the run ------------------------------------------------------------------

def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def catalogue(tmp, cpu):
    with open(it.example("process-catalogue.json")) as f:
        cat = json.load(f)
    entry = next(m for m in cat["modules"] if m["name"] == "http-reverse-proxy")
    if cpu:
        entry["quota"]["cpu_percent"] = cpu
    path = os.path.join(tmp, "catalogue.json")
    with open(path, "w") as f:
        json.dump(cat, f)
    return path, entry["quota"]


def deploy(d, tok, name):
    r = it.expect_status(d.post("/v1/modules", {"name": name, "stock": "http-reverse-proxy",
                                                "params": {"origin": ORIGIN, "origin_port": ORIGIN_PORT}},
                                token=tok), 201)
    text = (r.json.get("report") or {}).get("deployed_config") or ""
    return r.json["id"], r.json["address"]["ip"], r.json["verdict"] + (" +enforcer" if "ChangeEnforcer(" in text else "")


def ms(v):
    return "%.1f" % v if v is not None and v == v else "-"


def starts(d, tok, mods):
    """Each fresh module's first connection: the client's connect(), the
    capture's SYN -> SYN-ACK, innetd's last_start_us; the first GET on it;
    the program's memory right after."""
    f = {"client": [], "daemon": [], "first_get": [], "mem_run": []}
    cap = Capture() if shutil.which("tcpdump") else None
    for mid, ip, _ in mods:
        got = inet("--first", ip, 80, PAGE)
        assert got["status"] == 200, (got, d.log()[-2000:])
        f["client"].append(got["connect_ms"])
        f["first_get"].append(got["get_ms"])
        m = e2e.module(d, tok, mid)
        f["daemon"].append(m["runtime"]["last_start_us"] / 1e3)
        f["mem_run"].append(m["runtime"]["process"]["memory"])
    time.sleep(0.5)  # the last lines out of tcpdump
    f["wire"] = [x for x in (cap.syn_to_synack_ms(ip) for _, ip, _ in mods) if x is not None] if cap else []
    if cap:
        cap.stop()
    return f


def freeze_thaw(d, tok, mods, idle):
    """Once idle each is frozen: innetd's last_suspend_us, its memory; then
    six GETs each: the first thaws it (innetd's last_resume_us), the rest
    are warm."""
    frozen = [e2e.wait_module(d, tok, mid, lambda m: m["runtime"]["process"]["state"] == "frozen",
                              timeout=idle + 30) for mid, _, _ in mods]
    ok = [m for m in frozen if m["runtime"]["process"]["state"] == "frozen"]
    f = {"frozen": len(ok), "freeze": [m["runtime"]["last_suspend_us"] / 1e3 for m in ok],
         "mem_frozen": [m["runtime"]["process"]["memory"] for m in ok], "cold": [], "warm": [], "thaw": []}
    for mid, ip, _ in mods:
        g = inet("--get", ip, 80, PAGE, 6)
        assert all(x["status"] == 200 for x in g), g
        f["cold"].append(g[0]["ms"])
        f["warm"].append(pct([x["ms"] for x in g[1:]], 50))
        f["thaw"].append(e2e.module(d, tok, mid)["runtime"]["last_resume_us"] / 1e3)
    return f


def throughput(d, args, runs):
    """Each run `args.rounds` times, rotated so that no row always runs
    first: req/s, latency, the proxy's CPU share over the run. The round
    with the median req/s, with every round's req/s in order in "all"."""
    got = {r[0]: [] for r in runs}
    cpu = lambda mod: e2e.module(d, *mod)["runtime"]["process"]["cpu_seconds"]  # noqa: E731
    for rnd in range(args.rounds):
        for label, mod, ip, port, path in runs[rnd % len(runs):] + runs[:rnd % len(runs)]:
            inet("--get", ip, port, path, 2)  # thawed and (for a hit) cached
            cpu0 = cpu(mod) if mod else 0
            r = inet("--load", ip, port, path, args.load_seconds, args.conns, timeout=args.load_seconds + 120)
            r["cpu"] = (cpu(mod) - cpu0) / r["seconds"] if mod else None
            r["rps"] = sum(v for k, v in r["status"].items() if k.startswith("2")) / r["seconds"]
            got[label].append(r)
    load = {}
    for label, rs in got.items():
        load[label] = dict(sorted(rs, key=lambda r: r["rps"])[len(rs) // 2], all=[r["rps"] for r in rs])
    return load


def run(args, tmp):
    cat, quota = catalogue(tmp, args.cpu_percent)
    port = "ipb" + T.ns_dp[-6:]
    dargs = T.daemon_args(idle="%ds" % args.idle) + ["--process-port", port, "--process-catalogue", cat]
    with it.Daemon(args=dargs) as d:
        e2e.setup_operator(d)
        shop = e2e.tenant(d, "shop", "third_party", ["198.51.100.0/24"])
        ops = e2e.tenant(d, "ops", "operator")
        f = {"quota": quota, "rss0": rss_kb(d.proc.pid)}
        mods = [deploy(d, shop, "web%d" % i) for i in range(args.modules)]
        assert all(v == "sandboxed +enforcer" for _, _, v in mods), mods
        f["rss_deployed"] = rss_kb(d.proc.pid)
        f.update(starts(d, shop, mods))
        f["rss_started"] = rss_kb(d.proc.pid)
        f.update(freeze_thaw(d, shop, mods, args.idle))

        op_id, op_ip, op_v = deploy(d, ops, "web-ops")
        assert op_v == "safe", op_v  # no ChangeEnforcer in its deployed text
        f["verdicts"] = (mods[0][2], op_v)
        inet("--first", op_ip, 80, PAGE)
        tp_id, tp_ip = mods[0][0], mods[0][1]
        f["load"] = throughput(d, args, [
            ("origin directly", None, ORIGIN, ORIGIN_PORT, PAGE),
            ("third party (sandboxed), hit", (shop, tp_id), tp_ip, 80, PAGE),
            ("operator (safe), hit", (ops, op_id), op_ip, 80, PAGE),
            ("third party (sandboxed), no-cache", (shop, tp_id), tp_ip, 80, NOCACHE),
            ("operator (safe), no-cache", (ops, op_id), op_ip, 80, NOCACHE)])
        if os.environ.get("BENCH_PROC_LOGS"):
            print(d.log()[-4000:], file=sys.stderr)
    report(args, f)


def row(label, v, fmt=ms):
    print("%-48s %10s %10s" % (label, fmt(pct(v, 50)) if v else "-", fmt(pct(v, 99)) if v else "-"))


def report(args, f):
    n = args.modules
    mib = lambda b: "%.1f" % (b / 2**20)  # noqa: E731
    print("\nprocess modules: http-reverse-proxy (nginx, quota %s), %d fresh modules, idle-stop %d s" %
          (json.dumps(f["quota"]), n, args.idle))
    print("verdicts: the third party's modules %s, the operator's %s (+enforcer: a ChangeEnforcer in the "
          "deployed text)" % f["verdicts"])
    print("%-48s %10s %10s" % ("start on first packet (ms)", "p50", "p99"))
    row("  client connect() (SYN out -> SYN-ACK in)", f["client"])
    row("  capture, internet veth: SYN -> SYN-ACK (%d/%d)" % (len(f["wire"]), n), f["wire"])
    row("  innetd last_start_us (first packet -> up)", f["daemon"])
    row("  then the first GET on it (a miss)", f["first_get"])
    row("freeze: innetd last_suspend_us (ms, %d/%d frozen)" % (f["frozen"], n), f["freeze"])
    row("thaw: innetd last_resume_us (ms)", f["thaw"])
    row("  client: first GET after the freeze (ms)", f["cold"])
    row("  client: a warm GET (ms)", f["warm"])
    print("%-48s %10s %10s" % ("memory per module (MiB, p50)", "running", "frozen"))
    print("%-48s %10s %10s" % ("  the program's cgroup", mib(pct(f["mem_run"], 50)),
                               mib(pct(f["mem_frozen"], 50)) if f["mem_frozen"] else "-"))
    print("%-48s %10s %10s" % ("  innetd RSS growth per module", "deployed", "started"))
    print("%-48s %10.2f %10.2f" % ("", (f["rss_deployed"] - f["rss0"]) / 1024 / n,
                                   (f["rss_started"] - f["rss_deployed"]) / 1024 / n))
    print("%-48s %8s %8s %8s %8s %9s   %s" % ("requests/s (%d conns, %g s, median of %d)" %
                                            (args.conns, args.load_seconds, args.rounds),
                                            "req/s", "p50 ms", "p99 ms", "non-2xx", "nginx cpu", "rounds"))
    load = f["load"]
    for label, r in load.items():
        bad = sum(v for k, v in r["status"].items() if not k.startswith("2")) + r["errors"]
        print("  %-46s %8.0f %8s %8s %8d %9s   %s" % (label, r["rps"], ms(r["p50_ms"]), ms(r["p99_ms"]), bad,
                                                     "%.0f%%" % (100 * r["cpu"]) if r["cpu"] is not None else "-",
                                                     " ".join("%.0f" % x for x in r["all"])))
    for kind in ("hit", "no-cache"):  # per round: the two runs are neighbours in time
        rs = [s / o if o else float("nan") for s, o in zip(load["third party (sandboxed), %s" % kind]["all"],
                                                           load["operator (safe), %s" % kind]["all"])]
        r = statistics.median(rs)
        print("enforcer's cost, %-9s sandboxed/safe = %.2f, median of %d rounds (%.2f..%.2f): loss %.0f%% "
              "(the paper's sandbox VM: 70%%)" % (kind + ":", r, len(rs), min(rs), max(rs), 100 * (1 - r)))
    o = load["origin directly"]["rps"]
    print("through the proxy / origin directly: hit %.2f, no-cache %.2f (sandboxed)" %
          (load["third party (sandboxed), hit"]["rps"] / o, load["third party (sandboxed), no-cache"]["rps"] / o))


def skip(why):
    print("skip: " + why)
    sys.exit(77)


def main():
    global T
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--modules", type=int, default=None, help="fresh modules started (10; quick 3)")
    ap.add_argument("--load-seconds", type=float, default=None, help="seconds per load run (10; quick 2)")
    ap.add_argument("--conns", type=int, default=4, help="keep-alive connections (the proxy allows 8 per client)")
    ap.add_argument("--rounds", type=int, default=None, help="load rounds, rows rotated (3)")
    ap.add_argument("--idle", type=int, default=3, help="innetd's idle-stop in seconds (the freeze)")
    ap.add_argument("--cpu-percent", type=int, default=0, help="the proxy's CPU quota (default: the catalogue's)")
    args = ap.parse_args()
    args.modules = args.modules or (3 if args.quick else 10)
    args.load_seconds = args.load_seconds or (2 if args.quick else 10)
    args.rounds = args.rounds or 3

    if os.geteuid() != 0:
        skip("process modules need root (namespaces, cgroups, net_af_packet)")
    for tool in ("ip", "ethtool", "bwrap", "nginx"):
        if not shutil.which(tool):
            skip("%s is not installed (tools/dev.sh installs it)" % tool)
    if not os.path.exists(it.INNETD):
        skip("no innetd at %s (set INNETD)" % it.INNETD)
    build = it.BUILD_DIR or os.path.dirname(os.path.abspath(it.INNETD))
    drv = os.path.join(build, "test", "dataplane", "innet-dp-driver")
    if os.path.exists(drv) and subprocess.run([drv], capture_output=True).returncode == 77:
        skip("innet was built without DPDK")
    T = e2e.Topo()
    e2e.T = T
    tmp = tempfile.mkdtemp(prefix="innet-bench-proc-")
    os.chmod(tmp, 0o755)
    origin = None
    try:
        T.up()
        origin = start_origin(tmp)
        run(args, tmp)
    except AssertionError as e:
        if "cannot start the fast path" in str(e):
            skip("the fast path did not start (DPDK): %s" % str(e)[-300:])
        raise
    finally:
        if origin and origin.poll() is None:
            origin.terminate()
            origin.wait(timeout=10)
        T.down()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
