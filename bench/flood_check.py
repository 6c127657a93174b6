#!/usr/bin/env python3
"""The verification attack of issue 12, against a real innetd: FLOODERS
tenants send the 9,000-alternative IPFilter (210 KB, legal) back to back
for SECONDS while another tenant sends Figure 4 checks one after another.
Prints what each side was answered and the Figure 4 check latency (p50,
p99, max), and innetd's resident memory before, during and after.

  INNET_SOURCE_DIR=. INNETD=build/innetd python3 bench/flood_check.py \\
      [--seconds 20] [--flooders 4] [-- innetd flags, e.g. --verify-workers 4]

Not a test: it asserts nothing (docs/architecture.md, "Scheduling checks
and deploys")."""
import argparse
import json
import os
import sys
import threading
import time

os.environ["INNET_SOURCE_DIR"] = os.path.abspath(os.environ["INNET_SOURCE_DIR"])
sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
import innet_test as it  # noqa: E402


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(q / 100 * (len(v) - 1))))] if v else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--flooders", type=int, default=4)
    ap.add_argument("--alternatives", type=int, default=9000)
    ap.add_argument("innetd_args", nargs="*")
    a = ap.parse_args()
    fig4 = json.load(open(it.example("figure4-request.json")))
    alts = " or ".join(f"src host 10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
                       for i in range(a.alternatives))
    big = {"name": "big", "config": f"FromNetFront() -> IPFilter(allow {alts}, deny all) -> "
                                    "ToNetFront();"}
    d = it.Daemon(args=a.innetd_args, network=it.example("figure3-network.json"),
                  policy=it.example("figure3-policy.reach"))
    d.start()
    try:
        toks = [it.expect_status(d.post("/v1/tenants", {"name": f"t{i}", "kind": "client",
                                                        "addresses": ["172.16.15.0/24"]}),
                                 201).json["token"] for i in range(a.flooders + 1)]
        mem = {"before": rss_mb(d.proc.pid), "during": 0.0}
        stop = time.monotonic() + a.seconds
        codes, lock = {}, threading.Lock()

        def flood(tok):
            c = d.client(tok)
            while time.monotonic() < stop:
                try:
                    r = c.post("/v1/check", big)
                except OSError:
                    c = d.client(tok)
                    continue
                with lock:
                    k = f"{r.status} {r.error_code or ''}".strip()
                    codes[k] = codes.get(k, 0) + 1
                if r.status in (429, 503):
                    time.sleep(float(r.headers.get("retry-after", "1")) / 5)
        ts = [threading.Thread(target=flood, args=(t,)) for t in toks[:a.flooders]]
        for t in ts:
            t.start()
        time.sleep(1)
        lat, fig, c = [], {}, d.client(toks[-1])
        while time.monotonic() < stop:
            t0 = time.monotonic()
            r = c.post("/v1/check", fig4)
            lat.append((time.monotonic() - t0) * 1000)
            k = r.json["verdict"] if r.status == 200 else f"{r.status} {r.error_code}"
            fig[k] = fig.get(k, 0) + 1
            mem["during"] = max(mem["during"], rss_mb(d.proc.pid))
        for t in ts:
            t.join()
        time.sleep(2)
        mem["after"] = rss_mb(d.proc.pid)
        print(f"heavy checks ({a.flooders} tenants, {len(big['config'])} bytes each): {codes}")
        print(f"figure 4 checks: {fig}; n={len(lat)} p50={pct(lat, 50):.0f} ms "
              f"p99={pct(lat, 99):.0f} ms max={max(lat):.0f} ms")
        print("innetd RSS MB: " + ", ".join(f"{k} {v:.0f}" for k, v in mem.items()))
    finally:
        d.kill()


main()
