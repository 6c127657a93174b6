"""Deploys racing through three innetd on one PostgreSQL registry (the
load of bench/multipop.py, smaller): SERIALIZABLE commits of different
innetd conflict (each reads its platform's count and its tenant's names),
and the loser must verify again, never answer 500. Also a serialization
failure that a read with a fallback swallowed inside the transaction
(COMMIT of a failed transaction) counts as one. Every deploy is answered
201, no platform is over capacity, no address is held twice, and every
innetd lists the same modules."""
import json
import os
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
import innet_test as it  # noqa: E402
import pgcluster  # noqa: E402

POPS = ("paris", "lyon", "berlin")
ECHO = "FromNetFront() -> IPFilter(allow udp dst port 7, deny all) -> IPMirror -> ToNetFront();"
DEPLOYS = 150


def three_pops(tmp):
    net = json.load(open(it.example("figure3-network.json")))
    plats = [n for n in net["nodes"] if n["type"] == "platform"]
    for n, pop in zip(plats, POPS):
        n["pop"] = pop
    path = os.path.join(tmp, "three-pops.json")
    with open(path, "w") as f:
        json.dump(net, f)
    return path, {n["name"]: n["capacity"] for n in plats}


def test_racing_commits_are_verified_again():
    tmp = tempfile.mkdtemp(prefix="innet-commit-retry-")
    net, caps = three_pops(tmp)
    with pgcluster.Cluster() as pg:
        ds = []
        try:
            for i, pop in enumerate(POPS):
                first = i == 0
                ds.append(it.Daemon(args=["--registry", pg.conninfo, "--pop", pop],
                                    network=net if first else None,
                                    policy=it.example("figure3-policy.reach") if first else None,
                                    token=ds[0].token if ds else None).start())
            quotas = {"modules": DEPLOYS, "rps": 100000, "inflight": 100}
            toks = [it.expect_status(ds[0].post("/v1/tenants", {"name": f"t{i}", "kind": "client",
                                                               "addresses": ["172.16.15.0/24"],
                                                               "quotas": quotas}), 201).json["token"]
                    for i in range(4)]
            answers, lock, nxt = {}, threading.Lock(), [0]

            def client():
                conns = [d.client(None) for d in ds]
                while True:
                    with lock:
                        j = nxt[0]
                        nxt[0] += 1
                    if j >= DEPLOYS:
                        break
                    r = conns[j % 3].post("/v1/modules", {"name": f"e{j}", "config": ECHO},
                                          token=toks[j % len(toks)])
                    with lock:
                        k = r.status if r.status == 201 else f"{r.status} {r.text[:200]}"
                        answers[k] = answers.get(k, 0) + 1
                for c in conns:
                    c.close()

            ts = [threading.Thread(target=client) for _ in range(8)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            assert answers == {201: DEPLOYS}, answers

            lists = []
            for d in ds:
                for p in it.expect_status(d.get("/v1/platforms"), 200).json["platforms"]:
                    assert p["modules"] <= caps[p["name"]], p
                mods = []
                for tok in toks:
                    mods += it.expect_status(d.get("/v1/modules", token=tok), 200).json["modules"]
                lists.append(mods)
            ids = [sorted(m["id"] for m in mods) for mods in lists]
            assert len(ids[0]) == DEPLOYS and ids[1] == ids[0] and ids[2] == ids[0], ids
            addrs = [(m["platform"], m["address"]["ip"]) for m in lists[0]]
            assert len(set(addrs)) == len(addrs), "an address held twice"
            waits = [it.metrics(d)["innet_verify_backoffs_total"] for d in ds]
            assert all(w >= 0 for w in waits), waits
            print("deploys that waited before verifying again, per innetd:", waits)
            for d in ds:
                d.stop()
        finally:
            for d in ds:
                if d.alive():
                    d.kill()


it.main()
