"""Many PoPs on one registry (docs/pops.md), over real HTTP against innetd:
the snapshot's platforms name the PoP that serves them; placement
considers every platform, this PoP's first; a module placed on another
PoP's platform is committed (capacity and address taken) and shown as
"placed" with its pop, but not installed in this innetd's fast path; no
platform is filled beyond its capacity and no address is handed out twice;
the old local/peer_url form still loads, with a warning. And the
Idempotency-Key of deploys (docs/pops.md): a retry gets the same module,
another request with the key 422, a bad key 400, keys are per tenant."""
import copy
import http.client
import json
import os
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
import innet_test as it  # noqa: E402

NET = json.load(open(it.example("figure3-network.json")))
POLICY = it.example("figure3-policy.reach")
FIG4 = json.load(open(it.example("figure4-request.json")))
ECHO = {"name": "echo",
        "config": "FromNetFront() -> IPFilter(allow udp dst port 7, deny all) -> IPMirror -> ToNetFront();"}


def echo(name):
    return dict(ECHO, name=name)


def two_pops(tmp):
    """Figure 3 with platform1 (capacity 2) served here (pop1), platform2
    (2) and platform3 (3) served by PoP lyon; FIG4's batcher holds only on
    platform3 (the firewall lets the internet open flows only there)."""
    net = copy.deepcopy(NET)
    for n in net["nodes"]:
        if n["name"] == "platform1":
            n.update(capacity=2, pop="pop1")
        elif n["name"] == "platform2":
            n.update(capacity=2, pop="lyon")
        elif n["name"] == "platform3":
            n.update(capacity=3, pop="lyon")
    path = os.path.join(tmp, "two-pops.json")
    with open(path, "w") as f:
        json.dump(net, f)
    return path, net


def start(net, extra=()):
    """innetd (pop1) with DPDK's null ports so that installed modules have a
    runtime state; without a fast path where DPDK cannot start here."""
    fast = ["--dataplane", "null", "--dp-file-prefix", f"innet-pops-{os.getpid()}"]
    for args, has_fast in ((fast, True), ([], False)):
        d = it.Daemon(args=list(args) + list(extra), network=net, policy=POLICY)
        try:
            d.start()
            return d, has_fast
        except AssertionError:
            if d.alive():
                d.kill()
    raise AssertionError("innetd did not start")


def tenant(d, name):
    return it.expect_status(d.post("/v1/tenants", {"name": name, "kind": "client",
                                                   "addresses": ["172.16.15.0/24"]}), 201).json


def check_invariants(d, net):
    """Every platform within its capacity, every address held once."""
    caps = {n["name"]: n["capacity"] for n in net["nodes"] if n["type"] == "platform"}
    plats = it.expect_status(d.get("/v1/platforms"), 200).json["platforms"]
    for p in plats:
        assert p["modules"] <= caps[p["name"]], p
    return {p["name"]: p for p in plats}


def all_modules(d, tokens):
    mods = []
    for tok in tokens:
        mods += it.expect_status(d.get("/v1/modules", token=tok), 200).json["modules"]
    return mods


def test_placement_over_two_pops():
    tmp = tempfile.mkdtemp(prefix="innet-pops-")
    path, net = two_pops(tmp)
    d, fast = start(path)
    print("fast path:", "null ports" if fast else "none (DPDK cannot start here)")
    try:
        p = it.expect_status(d.get("/v1/platforms"), 200).json
        assert p["pop"] == "pop1"
        served = {x["name"]: (x["pop"], x["served"]) for x in p["platforms"]}
        assert served == {"platform1": ("pop1", True), "platform2": ("lyon", False),
                          "platform3": ("lyon", False)}, served
        g = it.expect_status(d.get("/v1/network"), 200).json["snapshot"]
        assert [n.get("pop") for n in g["nodes"] if n["type"] == "platform"] == ["pop1", "lyon", "lyon"]
        t = tenant(d, "t")

        # only PoP lyon's platform3 holds the batcher: a check says so, a deploy places it there
        c = it.expect_status(d.post("/v1/check", FIG4, token=t["token"]), 200).json
        assert (c["verdict"], c["platform"], c["pop"]) == ("safe", "platform3", "lyon"), c
        b = it.expect_status(d.post("/v1/modules", FIG4, token=t["token"]), 201).json
        assert (b["platform"], b["state"], b["pop"]) == ("platform3", "placed", "lyon"), b
        m = it.expect_status(d.get(f"/v1/modules/{b['id']}", token=t["token"]), 200).json
        assert (m["state"], m["pop"]) == ("placed", "lyon"), m
        assert "runtime" not in m, m  # not in this innetd's fast path

        # echoes fill this PoP's platform1 first, then go to lyon's
        ids = []
        for i in range(6):
            r = it.expect_status(d.post("/v1/modules", echo(f"e{i}"), token=t["token"]), 201).json
            ids.append(r["id"])
            want = ("platform1", "deployed", "pop1") if i < 2 else (None, "placed", "lyon")
            assert r["state"] == want[1] and r["pop"] == want[2], r
            if want[0]:
                assert r["platform"] == want[0], r
            else:
                assert r["platform"] in ("platform2", "platform3"), r
        # every platform is full now
        it.expect_status(d.post("/v1/modules", echo("e6"), token=t["token"]), 503, "no_capacity")
        plats = check_invariants(d, net)
        assert {n: x["modules"] for n, x in plats.items()} == \
            {"platform1": 2, "platform2": 2, "platform3": 3}, plats
        mods = all_modules(d, [t["token"]])
        addrs = [(m["platform"], m["address"]["ip"]) for m in mods]
        assert len(addrs) == 7 and len(set(a for _, a in addrs)) == 7, addrs
        for m in mods:
            full = it.expect_status(d.get(f"/v1/modules/{m['id']}", token=t["token"]), 200).json
            if full["platform"] == "platform1":
                assert full["state"] != "placed" and full["pop"] == "pop1", full
                assert not fast or "runtime" in full, full
            else:
                assert full["state"] == "placed" and full["pop"] == "lyon", full
                assert "runtime" not in full, full

        # a kill frees the capacity of another PoP's platform too
        lyon = next(m for m in mods if m["platform"] == "platform2")
        it.expect_status(d.delete(f"/v1/modules/{lyon['id']}", token=t["token"]), 204)
        r = it.expect_status(d.post("/v1/modules", echo("e7"), token=t["token"]), 201).json
        assert (r["platform"], r["state"]) == ("platform2", "placed"), r

        # a restart installs only what this PoP serves
        d.restart()
        # (the installs follow the registry thread's read of the live modules)
        it.wait_for("the installs", lambda: "5 placed on other PoPs" in d.log())
        m = it.expect_status(d.get(f"/v1/modules/{r['id']}", token=t["token"]), 200).json
        assert m["state"] == "placed" and "runtime" not in m, m
        check_invariants(d, net)

        # the operator gives platform2 to this PoP: its modules are installed
        # here; and back to lyon: removed from this fast path, still placed
        moved = copy.deepcopy(net)
        next(n for n in moved["nodes"] if n["name"] == "platform2")["pop"] = "pop1"
        it.expect_status(d.put("/v1/network", moved), 200)
        m = it.expect_status(d.get(f"/v1/modules/{r['id']}", token=t["token"]), 200).json
        assert m["state"] != "placed" and m["pop"] == "pop1", m
        assert not fast or m["runtime"]["state"] == "deployed", m
        it.expect_status(d.put("/v1/network", net), 200)
        m = it.expect_status(d.get(f"/v1/modules/{r['id']}", token=t["token"]), 200).json
        assert m["state"] == "placed" and m["pop"] == "lyon" and "runtime" not in m, m
        assert "2 module(s) installed, 0 removed" in d.log() and \
            "0 module(s) installed, 2 removed" in d.log(), d.log()[-3000:]  # platform2 is full
    finally:
        d.stop()


def test_old_form_still_loads():
    with it.Daemon() as d:
        net = copy.deepcopy(NET)
        for n in net["nodes"]:
            if n["name"] == "platform1":
                n.pop("pop")
                n["local"] = True
            elif n["type"] == "platform":
                n.pop("pop")
                n.update({"local": False, "peer_url": "http://lyon:8080/"})
        r = it.expect_status(d.put("/v1/network", net), 200).json
        assert len(r["warnings"]) == 3 and all("old form" in w for w in r["warnings"]), r
        assert "read as \"pop\": \"lyon\"" in r["warnings"][1], r
        g = it.expect_status(d.get("/v1/network"), 200).json["snapshot"]
        plats = [n for n in g["nodes"] if n["type"] == "platform"]
        assert [n["pop"] for n in plats] == ["pop1", "lyon", "lyon"], plats
        assert not any("local" in n or "peer_url" in n for n in plats), plats
        p = it.expect_status(d.get("/v1/platforms"), 200).json["platforms"]
        assert [x["served"] for x in p] == [True, False, False], p
        # a platform without a pop is this innetd's, with no warning
        for n in net["nodes"]:
            n.pop("local", None)
            n.pop("peer_url", None)
        r = it.expect_status(d.put("/v1/network", net), 200).json
        assert "warnings" not in r, r
        p = it.expect_status(d.get("/v1/platforms"), 200).json["platforms"]
        assert [x["served"] for x in p] == [True, True, True], p
        # "pop" with the old keys, or a bad name: refused with the path
        bad = copy.deepcopy(NET)
        bad["nodes"][6]["pop"] = "no such"
        r = it.expect_status(d.put("/v1/network", bad), 400, "invalid_snapshot")
        assert any(e.startswith("nodes[6].pop:") for e in r.json["error"]["details"]["errors"]), r


def test_pop_setting():
    with it.Daemon(args=["--pop", "paris-1"], network=it.example("figure3-network.json")) as d:
        assert "paris-1" in json.dumps(d.get("/v1/config").json)
        # every platform of the example names pop1: another PoP serves them all
        p = it.expect_status(d.get("/v1/platforms"), 200).json
        assert p["pop"] == "paris-1" and not any(x["served"] for x in p["platforms"]), p
    bad = it.Daemon(args=["--pop", "a.b"])
    started = False
    try:
        bad.start()
        started = True
    except AssertionError:
        pass
    finally:
        bad.kill()
    assert not started and "not a PoP name" in bad.log(), bad.log()[-1000:]


def test_two_innetd_race_on_one_registry():
    """Two innetd (PoPs pop1 and lyon) on one SQLite file race deploys onto
    the only platform with room (capacity 10, served by pop1): exactly 10
    are committed, each at its own address, whichever process commits; the
    same Idempotency-Key sent to both gives one module."""
    tmp = tempfile.mkdtemp(prefix="innet-pops-race-")
    net = copy.deepcopy(NET)
    for n in net["nodes"]:
        if n["type"] == "platform":
            n.update(capacity=10 if n["name"] == "platform1" else 0, pop="pop1")
    path = os.path.join(tmp, "net.json")
    with open(path, "w") as f:
        json.dump(net, f)
    db = os.path.join(tmp, "shared.db")
    common = ["--db", db, "--tenant-inflight", "64"]
    a = it.Daemon(args=common + ["--pop", "pop1"], network=path, policy=POLICY)
    b = it.Daemon(args=common + ["--pop", "lyon"])
    a.start()
    try:
        b.start()
        t = tenant(a, "racer")
        results = []

        def post(d, name, key=None):
            h = {"Authorization": f"Bearer {t['token']}", "Content-Type": "application/json"}
            if key:
                h["Idempotency-Key"] = key
            c = http.client.HTTPConnection(d.host, d.port, timeout=120)
            c.request("POST", "/v1/modules", json.dumps(echo(name)), h)
            resp = c.getresponse()
            results.append((d is a, resp.status, json.loads(resp.read())))
            c.close()
        threads = [threading.Thread(target=post, args=(a if i % 2 else b, f"m{i}")) for i in range(24)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        ok = [body for _, status, body in results if status == 201]
        refused = {body["error"]["code"] for _, status, body in results if status != 201}
        assert len(ok) == 10, [(s, b.get("error", {}).get("code")) for _, s, b in results]
        assert refused == {"no_capacity"}, refused
        assert len({m["address"]["ip"] for m in ok}) == 10, ok
        assert {m["pop"] for m in ok} == {"pop1"}
        # innetd lyon placed its share: it does not serve platform1
        from_b = [body for on_a, status, body in results if status == 201 and not on_a]
        assert all(m["state"] == "placed" for m in from_b), from_b
        for d in (a, b):
            p = {x["name"]: x for x in it.expect_status(d.get("/v1/platforms"), 200).json["platforms"]}
            assert p["platform1"]["modules"] == 10, p
            mods = it.expect_status(d.get("/v1/modules", token=t["token"]), 200).json["modules"]
            assert len(mods) == 10 and len({m["address"]["ip"] for m in mods}) == 10, mods
        # free the platform, then the same key on both innetd: one module
        for m in ok:
            it.expect_status(a.delete(f"/v1/modules/{m['id']}", token=t["token"]), 204)
        results.clear()
        threads = [threading.Thread(target=post, args=(d, "once", "k-both")) for d in (a, b, a, b)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        ids = {body["id"] for _, status, body in results if status == 201}
        codes = {body["error"]["code"] for _, status, body in results if status != 201}
        assert len(ids) == 1 and codes <= {"idempotency_key_in_flight"}, results
        mods = it.expect_status(a.get("/v1/modules", token=t["token"]), 200).json["modules"]
        assert [m["name"] for m in mods] == ["once"], mods
    finally:
        if b.alive():
            b.stop()
        a.stop()


def deploy(d, body, token, key=None):
    return d.request("POST", "/v1/modules", body, token=token,
                     headers={"Idempotency-Key": key} if key is not None else None)


def test_idempotency_key():
    with it.Daemon(network=it.example("figure3-network.json"), policy=POLICY) as d:
        a, b = tenant(d, "a"), tenant(d, "b")
        first = it.expect_status(deploy(d, echo("e"), a["token"], "order-42"), 201)
        again = it.expect_status(deploy(d, echo("e"), a["token"], "order-42"), 201)
        assert again.json == first.json, (first.json, again.json)
        mods = it.expect_status(d.get("/v1/modules", token=a["token"]), 200).json["modules"]
        assert [m["id"] for m in mods] == [first.json["id"]], mods
        # the same key for another request
        r = it.expect_status(deploy(d, echo("other"), a["token"], "order-42"), 422,
                             "idempotency_key_reused")
        assert r.json["error"]["details"]["key"] == "order-42"
        # keys are per tenant
        theirs = it.expect_status(deploy(d, echo("e"), b["token"], "order-42"), 201).json
        assert theirs["id"] != first.json["id"]
        # bad keys
        for key in ("", "x" * 129, "caf\u00e9"):
            it.expect_status(deploy(d, echo("bad"), a["token"], key), 400, "invalid_idempotency_key")
        it.expect_status(deploy(d, echo("k128"), a["token"], "k" * 128), 201)
        # without a key nothing changes: a second deploy of the name is refused as before
        it.expect_status(deploy(d, echo("e"), a["token"]), 409)
        # the kept answer survives a restart
        d.restart()
        again = it.expect_status(deploy(d, echo("e"), a["token"], "order-42"), 201)
        assert again.json == first.json
        # racing retries with one key: one module, the others 409 in flight or the same answer
        results = []

        def post():
            c = http.client.HTTPConnection(d.host, d.port, timeout=60)
            c.request("POST", "/v1/modules", json.dumps(FIG4),
                      {"Authorization": f"Bearer {a['token']}", "Content-Type": "application/json",
                       "Idempotency-Key": "race"})
            resp = c.getresponse()
            results.append((resp.status, json.loads(resp.read())))
            c.close()
        threads = [threading.Thread(target=post) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        print("racing retries:", sorted(status for status, _ in results))
        created = [body for status, body in results if status == 201]
        others = [body["error"]["code"] for status, body in results if status != 201]
        assert created and len({body["id"] for body in created}) == 1, results
        assert all(code == "idempotency_key_in_flight" for code in others), results
        mods = it.expect_status(d.get("/v1/modules", token=a["token"]), 200).json["modules"]
        assert [m["name"] for m in mods].count("batcher") == 1, mods
        audit = d.get("/v1/audit?limit=50").json["audit"]
        assert any((x.get("detail") or {}).get("replayed") for x in audit), audit[:5]


if __name__ == "__main__":
    it.main()
