"""innetd under connection floods (issue 12): 2,000 idle connections and a
reconnecting flood from one address (127.0.0.1) while health and operator
calls from elsewhere (127.0.0.2 over TCP, and the admin-socket) keep being
answered quickly (127.0.0.3 floods unauthenticated calls); refusals and unauthenticated calls are logged and
audited per address and interval, not per connection; audit retention.
Real daemon, real sockets, loopback only. Prints the measured p99s."""
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
import innet_test as it  # noqa: E402

IDLE = 2000
P99_MS = 50.0
REPORT = "1s"  # report-interval: one refusal line / audit row per address and second

# A flood client in its own process (the prober's timing must not share
# the GIL with it): reconnect as fast as it can from `src` for a while,
# every `every`-th time with an unauthenticated POST (the others connect
# and go), closing with a reset so that ports are not held in TIME_WAIT.
FLOOD = r"""
import socket, struct, sys, time
host, port, secs, src, every = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
req = b"POST /v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
end, n = time.monotonic() + secs, 0
while time.monotonic() < end:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24), 1)
    s.settimeout(1)
    try:
        s.bind((src, 0))
        s.connect((host, port))
        if n % every == 0:
            s.sendall(req)
            s.recv(256)
    except OSError:
        pass
    s.close()
    n += 1
print(n)
"""


# The idle connections, also in their own process: open n connections
# from 127.0.0.1 that send nothing, print how many of those after the first
# `skip` (which may hold the address's places) were answered 429 and closed,
# then hold them all until stdin closes.
IDLE_HOLDER = r"""
import resource, socket, sys, time
host, port, n, skip = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 512), hard))
socks = []
for _ in range(n):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex((host, port))
    socks.append(s)
end, refused = time.monotonic() + 3.0, 0
for s in socks[skip:]:
    s.settimeout(max(0.01, end - time.monotonic()))
    try:
        if s.recv(64).startswith(b"HTTP/1.1 429"):
            refused += 1
    except OSError:
        pass
print(refused, flush=True)
sys.stdin.read()
"""


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < want:
        it.skip(f"RLIMIT_NOFILE cannot be raised to {want}")


def http_get(path, token=None, tcp=None, unix=None, src=None, timeout=5):
    """One GET on a new connection; (status, body, seconds)."""
    t0 = time.perf_counter()
    if unix:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    else:
        s = socket.socket()
        if src:
            s.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24), 1)
            s.bind((src, 0))
    s.settimeout(timeout)
    try:
        s.connect(unix or tcp)
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    dt = time.perf_counter() - t0
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split()[1]) if head else 0
    return status, body, dt


class Prober(threading.Thread):
    """Health over TCP from 127.0.0.2, GET /v1/tenants with the operator
    token over TCP from 127.0.0.2 and over the admin-socket, health and
    /metrics over the admin-socket, in turn,
    recording (phase, probe, status, seconds)."""

    def __init__(self, d, sock):
        super().__init__(daemon=True)
        self.d, self.sock = d, sock
        self.phase = "before"
        self.samples, self.errors = [], []
        self.stop = threading.Event()

    def run(self):
        tcp = (self.d.host, self.d.port)
        probes = [
            ("health tcp 127.0.0.2", lambda: http_get("/v1/health", tcp=tcp, src="127.0.0.2")),
            ("tenants tcp 127.0.0.2",
             lambda: http_get("/v1/tenants", self.d.token, tcp=tcp, src="127.0.0.2")),
            ("tenants admin-socket", lambda: http_get("/v1/tenants", self.d.token, unix=self.sock)),
            ("health admin-socket", lambda: http_get("/v1/health", unix=self.sock)),
            ("metrics admin-socket", lambda: http_get("/metrics", self.d.token, unix=self.sock)),
        ]
        while not self.stop.is_set():
            for name, fn in probes:
                phase = self.phase
                try:
                    status, _, dt = fn()
                    self.samples.append((phase, name, status, dt))
                except OSError as e:
                    self.errors.append((phase, name, repr(e)))
            time.sleep(0.01)


def p99(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * 0.99))] * 1000.0 if xs else float("nan")


def audit_rows(d):
    return it.expect_status(d.get("/v1/audit?limit=10000"), 200).json["audit"]


def test_flood_idle_then_reconnecting():
    raise_nofile(IDLE + 1024)
    tmp = tempfile.mkdtemp(prefix="innet-flood-")
    sock = os.path.join(tmp, "admin.sock")
    with it.Daemon(args=["--admin-socket", sock, "--report-interval", REPORT]) as d:
        assert oct(os.stat(sock).st_mode & 0o777) == "0o600"
        log_before = len(d.log().splitlines())
        audit_before = len(audit_rows(d))
        prober = Prober(d, sock)
        prober.start()
        t_start = time.monotonic()
        time.sleep(1.0)

        prober.phase = "idle"
        idle = subprocess.Popen([sys.executable, "-c", IDLE_HOLDER, d.host, str(d.port),
                                 str(IDLE), "600"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        refused = int(idle.stdout.readline().strip() or 0)
        time.sleep(2.0)

        prober.phase = "idle+reconnecting"
        # 127.0.0.1 (its places already held by the idle ones) reconnects;
        # 127.0.0.3 sends unauthenticated calls as fast as it may
        flood = [subprocess.Popen([sys.executable, "-c", FLOOD, d.host, str(d.port), "6", src,
                                   every], stdout=subprocess.PIPE, text=True)
                 for src, every in (("127.0.0.1", "2"), ("127.0.0.1", "2"), ("127.0.0.3", "1"))]
        made = [int(p.communicate(timeout=60)[0].strip() or 0) for p in flood]

        prober.phase = "after"
        idle.communicate(timeout=30)
        time.sleep(1.5)
        prober.stop.set()
        prober.join(30)
        elapsed = time.monotonic() - t_start

        assert not prober.errors, prober.errors[:5]
        bad = [x for x in prober.samples if x[2] != 200]
        assert not bad, bad[:5]
        names = sorted({x[1] for x in prober.samples})
        for phase in ("before", "idle", "idle+reconnecting", "after"):
            for name in names:
                xs = [x[3] for x in prober.samples if x[0] == phase and x[1] == name]
                assert xs, (phase, name)
                print(f"  {phase:18} {name:22} n={len(xs):4} p99={p99(xs):6.2f} ms "
                      f"max={max(xs) * 1000:6.2f} ms")
        # the bound holds for each probe throughout the flood (both phases
        # together: enough samples that p99 is not one scheduling hiccup of
        # a shared machine)
        worst = 0.0
        for name in names:
            xs = [x[3] for x in prober.samples if x[0] in ("idle", "idle+reconnecting") and x[1] == name]
            print(f"  under the flood    {name:22} n={len(xs):4} p99={p99(xs):6.2f} ms")
            worst = max(worst, p99(xs))
        print(f"  idle connections refused with 429: {refused} of {IDLE - 600}; "
              f"reconnecting flood: {sum(made)} connections in 6 s")
        # a sanitizer build answers every call several times slower: the
        # figure is the optimized build's; there every probe must still answer
        assert worst < P99_MS or it.sanitized(), f"p99 {worst:.1f} ms under a flood"
        assert refused > 1000, refused
        # /metrics counts the refusals by limit (the log only aggregates them)
        text = it.expect_status(d.get("/metrics"), 200).text
        per_address = [l for l in text.splitlines()
                       if l.startswith('innet_http_connections_refused_total{limit="max-connections-per-address"}')]
        assert per_address and float(per_address[0].split()[-1]) >= refused, per_address

        # bounded log and audit: one refusal line / one anonymous row per
        # address and report interval (plus the interval in progress)
        intervals = int(elapsed / 1.0) + 2
        log = d.log().splitlines()[log_before:]
        refusal_lines = [l for l in log if "refused" in l]
        for l in refusal_lines:
            print("   ", l)
        print(f"  log: {len(log)} new lines ({len(refusal_lines)} about refusals) in {elapsed:.1f} s")
        assert 1 <= len(refusal_lines) <= 2 * intervals, refusal_lines[:5]
        assert len(log) <= 2 * intervals + 10, log[:20]
        rows = audit_rows(d)[:max(0, len(audit_rows(d)) - audit_before)]
        anon = [r for r in rows if r["who"] == "anonymous"]
        calls = sum(r["detail"]["count"] for r in anon)
        print(f"  audit: {len(rows)} new rows, {len(anon)} anonymous counting {calls} calls")
        assert 1 <= len(anon) <= intervals, anon[:5]
        assert calls > len(anon), anon[:5]
        assert all(r["detail"]["source"] == "127.0.0.3" for r in anon), anon[:5]
    assert not os.path.exists(sock), "the admin-socket is removed when innetd stops"
    os.rmdir(tmp)


def test_admin_socket_cli_and_config():
    tmp = tempfile.mkdtemp(prefix="innet-flood-")
    sock = os.path.join(tmp, "admin.sock")
    with it.Daemon(args=["--admin-socket", sock, "--max-connections-per-address", "2"]) as d:
        cfg = it.expect_status(d.get("/v1/config"), 200).json
        text = json.dumps(cfg)
        for key in ("max-connections-per-address", "address-accepts-per-second", "admin-socket",
                    "report-interval", "audit-retention"):
            assert key in text, key
        env = {k: v for k, v in os.environ.items() if k not in ("INNET_SERVER", "INNET_TOKEN")}
        env["INNET_SERVER"] = "unix:" + sock
        r = it.run([it.INNET_CLI, "tenant", "ls", "--token", d.token, "--json"], env=env)
        assert r.returncode == 0, r.stderr
        assert "tenants" in json.loads(r.stdout)
        # two places per address: the third connection is refused at once
        held = [socket.create_connection((d.host, d.port)) for _ in range(2)]
        time.sleep(0.2)
        third = socket.create_connection((d.host, d.port), timeout=5)
        assert third.recv(4096).startswith(b"HTTP/1.1 429"), "429 beyond the address's places"
        third.close()
        # the operator socket is not held by the address's limit
        assert http_get("/v1/health", unix=sock)[0] == 200
        for s in held:
            s.close()
        # a second innetd does not take a live socket away from the first
        d2 = it.Daemon(args=["--admin-socket", sock])
        try:
            d2.start()
            raise AssertionError("a second innetd took the admin-socket")
        except AssertionError as e:
            assert "admin-socket" in str(e) and "in use" in str(e), e
        finally:
            d2.kill()
        assert http_get("/v1/tenants", d.token, unix=sock)[0] == 200
    os.rmdir(tmp)


def test_admin_socket_refuses_other_files():
    tmp = tempfile.mkdtemp(prefix="innet-flood-")
    path = os.path.join(tmp, "not-a-socket")
    with open(path, "w") as f:
        f.write("keep me\n")
    d = it.Daemon(args=["--admin-socket", path])
    try:
        d.start()
        raise AssertionError("innetd started over a regular file")
    except AssertionError as e:
        assert "admin-socket" in str(e), e
    finally:
        d.kill()
    with open(path) as f:
        assert f.read() == "keep me\n"
    os.unlink(path)
    os.rmdir(tmp)


def test_audit_retention():
    with it.Daemon(args=["--audit-retention", "1s", "--report-interval", "200ms"]) as d:
        for i in range(3):
            it.expect_status(d.post("/v1/tenants", {"name": f"r{i}", "kind": "client"}), 201)
        assert len(audit_rows(d)) >= 3
        deadline = time.monotonic() + 10
        while audit_rows(d) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert audit_rows(d) == [], "rows older than audit-retention are deleted"


if __name__ == "__main__":
    it.main()
