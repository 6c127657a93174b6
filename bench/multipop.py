#!/usr/bin/env python3
"""Deploys per second and latency of POST /v1/modules for 1, 2 and 3
innetd on ONE PostgreSQL server, next to one innetd on SQLite (issue 13,
"Scale"; docs/multipop.md). Same machine, same requests: TENANTS tenants
deploy DEPLOYS small echo modules with distinct names

    FromNetFront() -> IPFilter(allow udp dst port 7, deny all) -> IPMirror -> ToNetFront();

from CLIENTS client threads; request j goes to innetd j mod N
(round-robin) as tenant j mod TENANTS. The snapshot is Figure 3 with its
three platforms served by PoPs paris, lyon and berlin, each innetd with
its own --pop, --dataplane none (the figure is the control plane's). Each
configuration gets a fresh registry: a new SQLite file, or a new database
on the one PostgreSQL server (started here, as test/lib/pgcluster.py does,
then restarted with PostgreSQL's durable defaults: fsync and
synchronous_commit on; --pg-commit off for the test harness's settings).

Prints a table (backend, innetd, deploys, deploys/s, p50, p99, the
ratio of deploys/s to the SQLite run, and the p99 of GET /v1/health sent
to the first innetd during the storm: a call that needs no statement, so
it shows whether innetd's loop waited for the database) and, for each run, a sanity line:
no platform over its capacity, every (platform, address) held once, every
acknowledged module seen by every innetd. Not a test: it asserts nothing
about time (docs/architecture.md, "Scheduling checks and deploys").

  INNET_SOURCE_DIR=. INNETD=build/innetd python3 bench/multipop.py \\
      [--quick] [--deploys 2000] [--clients 8] [--tenants 4] [--counts 1,2,3] \\
      [--alternatives N] [--no-sqlite] [--pg-commit on|off]

--quick: 200 deploys per run (about 10 s in all on two cores; the
default 2000 takes about 40 s, --alternatives 300 --deploys 600 about 45 s).
For a look inside: MULTIPOP_LOG_LEVEL=debug (innetd's --log-level) and
MULTIPOP_LOGS=1 (the end of each innetd's log on stderr after each run)."""
import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ["INNET_SOURCE_DIR"] = os.path.abspath(os.environ.get("INNET_SOURCE_DIR",
                                                                os.path.join(HERE, "..")))
sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
import innet_test as it  # noqa: E402
import pgcluster  # noqa: E402

POPS = ("paris", "lyon", "berlin")
ECHO = "FromNetFront() -> IPFilter(allow udp dst port 7, deny all) -> IPMirror -> ToNetFront();"
POLICY = it.example("figure3-policy.reach")


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(q / 100 * (len(v) - 1))))] if v else float("nan")


def snapshot(tmp, deploys):
    """Figure 3, one platform per PoP, each able to hold every deploy of a
    run, so that each innetd places on its own PoP's platform and capacity
    never refuses one: platform3 gets a /16 pool too (10.3.0.0/16, routed
    by core like the others)."""
    net = json.load(open(it.example("figure3-network.json")))
    plats = [n for n in net["nodes"] if n["type"] == "platform"]
    for n, pop in zip(plats, POPS):
        n["pop"] = pop
        if n["name"] == "platform3":
            n.update(address="10.3.0.1", pool="10.3.0.0/16")
        n["capacity"] = deploys + 100
    core = next(n for n in net["nodes"] if n["name"] == "core")
    core["routes"].insert(-1, {"prefix": "10.3.0.0/16", "port": 5})
    path = os.path.join(tmp, "three-pops.json")
    with open(path, "w") as f:
        json.dump(net, f)
    return path, {n["name"]: n["capacity"] for n in plats}


def metric(d, name):
    for line in it.expect_status(d.get("/metrics"), 200).text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def wait_for(what, cond, seconds=30):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


def start_daemons(count, net, registry):
    """count innetd of PoPs paris, lyon, berlin; the first stores the
    network and the policy, the others read them from the registry."""
    ds = []
    try:
        for i in range(count):
            args = ["--pop", POPS[i], "--dataplane", "none",
                    "--log-level", os.environ.get("MULTIPOP_LOG_LEVEL", "warn")]
            if registry:
                args += ["--registry", registry]
            first = i == 0
            d = it.Daemon(args=args, network=net if first else None,
                          policy=POLICY if first else None, token=ds[0].token if ds else None)
            d.registry = None  # never INNET_TEST_REGISTRY_PG's: this run's own
            ds.append(d.start())
        if registry:
            for d in ds:
                wait_for("the listener", lambda d=d: metric(d, "innet_registry_listener_up") == 1)
        return ds
    except BaseException:
        stop_daemons(ds)
        raise


def stop_daemons(ds):
    for d in ds:
        if d.alive():
            d.stop(expect=None)
        shutil.rmtree(d.dir, ignore_errors=True)


def tenants(d, count, deploys):
    quotas = {"modules": deploys + 10, "rps": 100000, "inflight": 1000}
    return [it.expect_status(d.post("/v1/tenants", {"name": f"t{i}", "kind": "client",
                                                   "addresses": ["172.16.15.0/24"],
                                                   "quotas": quotas}), 201).json["token"]
            for i in range(count)]


def echo_config(alternatives):
    """The echo module; with alternatives > 0 its filter also names that
    many source hosts, so that verification costs more (the part of a
    deploy that runs wherever the request arrives)."""
    if not alternatives:
        return ECHO
    hosts = " or ".join(f"src host 10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
                        for i in range(alternatives))
    return ECHO.replace("allow udp dst port 7,", f"allow udp dst port 7 and ({hosts}),")


def storm(ds, toks, deploys, clients, config):
    """deploys requests from clients threads; returns (wall seconds,
    latencies in ms of the acknowledged ones, answers by status)."""
    lock = threading.Lock()
    nxt = [0]
    lat, codes, first_err = [], {}, {}

    def client():
        conns = [d.client(None) for d in ds]
        while True:
            with lock:
                j = nxt[0]
                nxt[0] += 1
            if j >= deploys:
                break
            k = j % len(ds)
            body = {"name": f"e{j}", "config": config}
            t0 = time.monotonic()
            try:
                r = conns[k].post("/v1/modules", body, token=toks[j % len(toks)])
            except OSError as e:
                conns[k] = ds[k].client(None)
                with lock:
                    codes[type(e).__name__] = codes.get(type(e).__name__, 0) + 1
                continue
            ms = (time.monotonic() - t0) * 1000
            with lock:
                key = str(r.status) if r.status == 201 else f"{r.status} {r.error_code}"
                codes[key] = codes.get(key, 0) + 1
                if r.status != 201 and key not in first_err:
                    first_err[key] = r.text[:300]
                if r.status == 201:
                    lat.append(ms)
        for c in conns:
            c.close()

    health, stop = [], threading.Event()

    def prober():
        """GET /v1/health on the first innetd all along the storm: it
        needs no statement, so it shows whether the loop waits for the
        database (docs/registry.md, "The registry thread")."""
        c = ds[0].client(None)
        while not stop.is_set():
            t0 = time.monotonic()
            try:
                c.get("/v1/health")
            except OSError:
                c = ds[0].client(None)
                continue
            health.append((time.monotonic() - t0) * 1000)
            stop.wait(0.005)
        c.close()

    ts = [threading.Thread(target=client) for _ in range(clients)]
    probe = threading.Thread(target=prober)
    t0 = time.monotonic()
    probe.start()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.monotonic() - t0
    stop.set()
    probe.join()
    for k, v in first_err.items():
        print(f"  first {k} answer: {v}", flush=True)
    return wall, lat, codes, health


def sanity(ds, toks, caps, acked):
    """No platform over capacity, addresses unique, every acknowledged
    module seen by every innetd; a line saying so."""
    over, seen = [], []
    for d in ds:
        for p in it.expect_status(d.get("/v1/platforms"), 200).json["platforms"]:
            if p["modules"] > caps[p["name"]]:
                over.append((p["name"], p["modules"], caps[p["name"]]))
        mods = []
        for tok in toks:
            mods += it.expect_status(d.get("/v1/modules", token=tok), 200).json["modules"]
        seen.append(mods)
    addrs = [(m["platform"], (m["address"] or {}).get("ip")) for m in seen[0]]
    dup = len(addrs) - len(set(addrs))
    ids = [sorted(m["id"] for m in mods) for mods in seen]
    same = all(x == ids[0] for x in ids)
    by_plat = {}
    for p, _ in addrs:
        by_plat[p] = by_plat.get(p, 0) + 1
    ok = not over and not dup and same and len(addrs) == acked
    return ok, (f"{'ok' if ok else 'WRONG'}: {len(addrs)} modules (acknowledged {acked}) "
                f"{dict(sorted(by_plat.items()))}, over capacity {over or 'none'}, "
                f"duplicate addresses {dup}, same list on all {len(ds)} innetd: {same}")


def run(backend, count, registry, net, caps, a):
    ds = start_daemons(count, net, registry)
    try:
        toks = tenants(ds[0], a.tenants, a.deploys)
        # warm up every innetd (connections, the tenant cache, one
        # verification each); these modules count in the sanity check
        for i, d in enumerate(ds):
            it.expect_status(d.post("/v1/modules", {"name": f"warm{i}", "config": ECHO},
                                    token=toks[0]), 201)
        wall, lat, codes, health = storm(ds, toks, a.deploys, a.clients,
                                         echo_config(a.alternatives))
        ok, line = sanity(ds, toks, caps, len(lat) + len(ds))
        return {"backend": backend, "innetd": count, "deploys": len(lat), "wall": wall,
                "rate": len(lat) / wall if wall else 0.0, "p50": pct(lat, 50),
                "p99": pct(lat, 99), "health99": pct(health, 99), "codes": codes,
                "sanity": line, "ok": ok}
    finally:
        if os.environ.get("MULTIPOP_LOGS"):
            for d in ds:
                sys.stderr.write(f"--- {d.logfile} ---\n{d.log()[-3000:]}\n")
        stop_daemons(ds)


def durable(pg, commit):
    """The bench's cluster runs PostgreSQL's defaults (fsync, full page
    writes, synchronous_commit on) unless --pg-commit off."""
    if commit == "on":
        pg.opts = (f"-c listen_addresses=127.0.0.1 -p {pg.port} -k {pg.dir} "
                   "-c max_connections=100")
        pg.restart()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--deploys", type=int, default=2000, help="timed deploys per run")
    ap.add_argument("--quick", action="store_true", help="200 deploys per run")
    ap.add_argument("--clients", type=int, default=8, help="client threads")
    ap.add_argument("--tenants", type=int, default=4)
    ap.add_argument("--counts", default="1,2,3", help="innetd counts on PostgreSQL")
    ap.add_argument("--alternatives", type=int, default=0,
                    help="source hosts in each module's filter (0: the plain echo module)")
    ap.add_argument("--no-sqlite", action="store_true", help="skip the SQLite baseline")
    ap.add_argument("--pg-commit", choices=("on", "off"), default="on",
                    help="off: fsync and synchronous_commit off, as the tests run PostgreSQL")
    a = ap.parse_args()
    # SIGTERM unwinds like Ctrl-C: the innetd and the server are stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if a.quick:
        a.deploys = 200
    counts = [int(x) for x in a.counts.split(",")]
    if not 1 <= a.deploys <= 60000 or not 1 <= a.clients <= 256 or not 1 <= a.tenants <= 100 \
            or not 0 <= a.alternatives <= 5000 \
            or not all(1 <= c <= len(POPS) for c in counts):
        ap.error("--deploys 1..60000, --clients 1..256, --tenants 1..100, --alternatives 0..5000, "
                 "--counts among 1,2,3")
    if not os.access(it.INNETD, os.X_OK):
        ap.error(f"no innetd at {it.INNETD} (set INNETD)")
    tmp = tempfile.mkdtemp(prefix="innet-bench-multipop-")
    net, caps = snapshot(tmp, a.deploys + len(POPS))
    print(f"multipop: {a.deploys} deploys per run from {a.clients} client threads as "
          f"{a.tenants} tenants, filter alternatives {a.alternatives}, "
          f"{os.cpu_count()} CPU cores, innetd {it.INNETD}; "
          f"PostgreSQL synchronous_commit={a.pg_commit}, SQLite WAL synchronous=NORMAL",
          flush=True)
    rows = []
    if not a.no_sqlite:
        rows.append(run("sqlite", 1, None, net, caps, a))
        print(f"  sqlite x1: {rows[-1]['sanity']}; answers {rows[-1]['codes']}", flush=True)
    if not pgcluster.available():
        print(f"multipop: no PostgreSQL server binaries in {pgcluster.PG_BIN}: "
              "PostgreSQL runs skipped")
    else:
        pg = pgcluster.Cluster().start()
        try:
            durable(pg, a.pg_commit)
            for c in counts:
                reg = it.fresh_pg_database(pg.conninfo)
                rows.append(run("postgresql", c, reg, net, caps, a))
                print(f"  postgresql x{c}: {rows[-1]['sanity']}; answers {rows[-1]['codes']}",
                      flush=True)
        finally:
            pg.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    base = next((r["rate"] for r in rows if r["backend"] == "sqlite"), None)
    print()
    print(f"{'backend':<11} {'innetd':>6} {'deploys':>7} {'deploys/s':>9} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'vs sqlite':>9} {'health p99 ms':>13}")
    for r in rows:
        ratio = f"{r['rate'] / base:.2f}x" if base else "-"
        print(f"{r['backend']:<11} {r['innetd']:>6} {r['deploys']:>7} {r['rate']:>9.1f} "
              f"{r['p50']:>7.1f} {r['p99']:>7.1f} {ratio:>9} {r['health99']:>13.2f}")
    print("sanity (capacity, unique addresses, same modules on every innetd): "
          + ("ok" if all(r["ok"] for r in rows) else "WRONG, see above"))
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
