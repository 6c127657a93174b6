#!/usr/bin/env python3
"""innet verify reproduces the paper's Figure 4 placement decision: the
batcher's requirements fail on platform1 and platform2 (the firewall drops
unsolicited flows) and hold on platform3; exit codes 0 / 3 / 2; JSON and
the output for people carry the traces, the latter one labelled line per
hop like `innet show`, fitting the terminal."""
import json
import os
import subprocess
import sys
import tempfile

cli = os.environ["INNET_CLI"]
ex = os.path.join(os.environ["INNET_SOURCE_DIR"], "examples")
net = os.path.join(ex, "figure3-network.json")
base = [cli, "verify", "--network", net,
        "--policy", os.path.join(ex, "figure3-policy.reach"),
        "--requirements", os.path.join(ex, "figure4-batcher.reach"),
        "--module", "batcher=" + os.path.join(ex, "figure4-batcher.click")]


def run(args):
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def check(cond, msg):
    if not cond:
        print("FAIL:", msg)
        sys.exit(1)


for plat, code in (("platform1", 3), ("platform2", 3), ("platform3", 0)):
    r = run(base + ["--platform", plat, "--json"])
    check(r.returncode == code, f"{plat}: exit {r.returncode}, want {code}: {r.stderr}")
    rep = json.loads(r.stdout)
    check(rep["ok"] == (code == 0), f"{plat}: ok flag")
    verdicts = [x["verdict"] for x in rep["results"]]
    check(verdicts[:4] == ["holds"] * 4, f"{plat}: operator policy {verdicts}")
    last = rep["results"][4]
    check(last["verdict"] == ("holds" if code == 0 else "fails"), f"{plat}: batcher {last}")
    hops = last["trace"]["hops"]
    nodes = [h["node"] for h in hops]
    if code == 0:
        check("batcher" in nodes and nodes[-1] == "clients", f"{plat}: witness path {nodes}")
        dst_hop = [h for h in hops if h["node"] == "batcher" and h["element"] == "dst"][0]
        check(dst_hop["fields"]["dst"]["value"] == "172.16.15.133", f"{plat}: dst {dst_hop}")
        check(last["trace"]["witness"]["dport"] == "1500", f"{plat}: witness {last['trace']['witness']}")
    else:
        check("batcher" not in nodes, f"{plat}: should not reach the batcher: {nodes}")

# the output for people: one line per hop, every field labelled (the
# rewriter's new destination too), no line wider than the terminal
r = subprocess.run(base + ["--platform", "platform3"], capture_output=True, text=True,
                   timeout=60, env=dict(os.environ, COLUMNS="80"))
check(r.returncode == 0, "run for people")
check("module batcher on platform3 at 192.0.2.2" in r.stdout, r.stdout[:200])
check("trace (witness):" in r.stdout, "has the trace")
hop = [l for l in r.stdout.splitlines() if "batcher/IPRewriter@3[0]" in l]
check(hop and "DST=172.16.15.133*" in hop[0], f"rewriter hop labelled: {hop}")
check(any(l.split()[1:2] == ["batcher/dst[0]"] for l in r.stdout.splitlines()),
      "one line per hop")
check("witness: src=0.0.0.1 dst=172.16.15.133" in r.stdout, "the witness packet")
wide = [l for l in r.stdout.splitlines() if len(l) > 80]
check(not wide, f"lines wider than 80 columns: {wide[:3]}")

# usage and parse errors exit 2, with line:column and a caret
r = run([cli, "verify", "--network", net])
check(r.returncode == 2, "usage")
with tempfile.NamedTemporaryFile("w", suffix=".reach", delete=False) as f:
    f.write("reach from client -> internet\nreach from client ->\n")
r = run([cli, "verify", "--network", net, "--requirements", f.name])
os.unlink(f.name)
check(r.returncode == 2, f"parse error exit {r.returncode}")
check(":2:" in r.stderr and "^" in r.stderr, r.stderr)
print("ok")
