"""Operator controls over tenants (docs/operator.md), over real HTTP against
innetd: suspend (the tenant's token refused at once with 403
tenant_suspended, its modules held: stopped on the platform and not started
by new flows, also across a restart), resume, token rotation, PATCH of
addresses, whitelist and quotas, the operator killing any module, deleting a
tenant with its modules (?force=true), every call audited; and snapshot
sanity: a platform whose capacity exceeds its pool's addresses is refused
(docs/snapshot.md)."""
import copy
import json
import os
import sys

sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
import innet_test as it  # noqa: E402

NET = it.example("figure3-network.json")
POLICY = it.example("figure3-policy.reach")
FIG4 = json.load(open(it.example("figure4-request.json")))
ECHO = {"name": "echo",
        "config": "FromNetFront() -> IPFilter(allow udp dst port 7, deny all) -> IPMirror -> ToNetFront();"}


def echo(name):
    return dict(ECHO, name=name)


def daemon(**kw):
    kw.setdefault("network", NET)
    kw.setdefault("policy", POLICY)
    return it.Daemon(**kw)


def null_dataplane():
    """A fast path with DPDK's null ports, so that modules are installed
    and have a runtime state; skipped (None) where it cannot start."""
    return ["--dataplane", "null", "--dp-file-prefix", f"innet-opsctl-{os.getpid()}"]


def tenant(d, name, kind="client", **extra):
    extra.setdefault("addresses", ["172.16.15.0/24"])
    return it.expect_status(d.post("/v1/tenants", dict(extra, name=name, kind=kind)), 201).json


def audit(d, n=50):
    return it.expect_status(d.get(f"/v1/audit?limit={n}"), 200).json["audit"]


def runtime_state(d, mid):
    m = it.expect_status(d.get(f"/v1/modules/{mid}"), 200).json
    return m["held"], m.get("runtime", {}).get("state")


def start(args):
    """A daemon with the null fast path, or one without a fast path when
    DPDK cannot start here (the module states then come from the registry)."""
    d = daemon(args=args)
    try:
        d.start()
        return d, True
    except AssertionError:
        d = daemon()
        d.start()
        return d, False


def test_suspend_and_resume():
    d, fast = start(null_dataplane())
    print("fast path:", "null ports" if fast else "none (DPDK cannot start here)")
    try:
        a, b = tenant(d, "abuser"), tenant(d, "other")
        m1 = it.expect_status(d.post("/v1/modules", echo("e1"), token=a["token"]), 201).json
        m2 = it.expect_status(d.post("/v1/modules", echo("e2"), token=a["token"]), 201).json
        it.expect_status(d.post("/v1/modules", echo("e1"), token=b["token"]), 201)
        if fast:
            assert runtime_state(d, m1["id"]) == (False, "deployed"), runtime_state(d, m1["id"])
        # a tenant cannot suspend anyone
        it.expect_status(d.post(f"/v1/tenants/{b['id']}/suspend", token=a["token"]), 403, "forbidden")
        it.expect_status(d.post("/v1/tenants/999/suspend"), 404, "not_found")
        r = it.expect_status(d.post(f"/v1/tenants/{a['id']}/suspend"), 200).json
        assert r["suspended"] is True and r["suspended_at"] and r["modules_held"] == 2, r
        # refused at once, on every route, with a clear code
        for method, path, body in (("GET", "/v1/whoami", None), ("POST", "/v1/check", FIG4),
                                   ("POST", "/v1/modules", echo("e3")), ("GET", "/v1/modules", None),
                                   ("DELETE", f"/v1/modules/{m1['id']}", None)):
            resp = d.request(method, path, body, token=a["token"])
            it.expect_status(resp, 403, "tenant_suspended")
            assert resp.json["error"]["details"]["tenant_id"] == a["id"], resp
        # the other tenant is untouched
        it.expect_status(d.get("/v1/whoami", token=b["token"]), 200)
        it.expect_status(d.post("/v1/check", echo("x"), token=b["token"]), 200)
        # its modules are held: not killed, stopped on the platform
        for m in (m1, m2):
            held, state = runtime_state(d, m["id"])
            assert held is True and (state == "stopped" or not fast), (held, state)
        t = it.expect_status(d.get(f"/v1/tenants/{a['id']}"), 200).json
        assert t["suspended"] is True and t["suspended_at"] == r["suspended_at"], t
        # suspending again changes nothing (the time stays)
        again = it.expect_status(d.post(f"/v1/tenants/{a['id']}/suspend"), 200).json
        assert again["suspended_at"] == r["suspended_at"], again
        # a restart keeps it suspended and its modules held
        d.restart()
        it.expect_status(d.get("/v1/whoami", token=a["token"]), 403, "tenant_suspended")
        held, state = runtime_state(d, m1["id"])
        assert held is True and (state == "stopped" or not fast), (held, state)
        # resume: the token works again, the modules start on new flows
        r = it.expect_status(d.post(f"/v1/tenants/{a['id']}/resume"), 200).json
        assert r["suspended"] is False and r["suspended_at"] is None and r["modules_released"] == 2, r
        it.expect_status(d.get("/v1/whoami", token=a["token"]), 200)
        held, state = runtime_state(d, m1["id"])
        assert held is False and (state == "deployed" or not fast), (held, state)
        mods = it.expect_status(d.get("/v1/modules", token=a["token"]), 200).json["modules"]
        assert sorted(m["name"] for m in mods) == ["e1", "e2"] and not any(m["held"] for m in mods)
        rows = [x for x in audit(d) if x["path"].startswith(f"/v1/tenants/{a['id']}/")]
        assert [x["path"].rsplit("/", 1)[1] for x in rows][:3] == ["resume", "suspend", "suspend"], rows
        assert rows[2]["detail"]["modules"] == 2 and rows[2]["detail"]["changed"] is True, rows[2]
        assert rows[1]["detail"]["changed"] is False, rows[1]
        # the refused calls were audited as the tenant's
        refused = [x for x in audit(d) if x["result"] == "tenant_suspended"]
        assert refused and all(x["who"] == f"tenant:{a['id']}" for x in refused), refused
    finally:
        d.stop()


def test_rotate_token():
    with daemon() as d:
        a = tenant(d, "a")
        old = a["token"]
        it.expect_status(d.post(f"/v1/tenants/{a['id']}/token", token=old), 403, "forbidden")
        r = it.expect_status(d.post(f"/v1/tenants/{a['id']}/token"), 200).json
        assert r["id"] == a["id"] and r["name"] == "a" and r["token"] != old, r
        it.expect_status(d.get("/v1/whoami", token=old), 401, "unauthorized")
        w = it.expect_status(d.get("/v1/whoami", token=r["token"]), 200).json
        assert w["tenant_id"] == a["id"], w
        # the new token is shown once: neither the tenant nor the audit holds it
        assert r["token"] not in json.dumps(d.get(f"/v1/tenants/{a['id']}").json)
        row = audit(d, 5)[0]
        assert row["path"] == f"/v1/tenants/{a['id']}/token" and row["result"] == "ok", row
        assert r["token"] not in json.dumps(row), row
        it.expect_status(d.post("/v1/tenants/999/token"), 404, "not_found")


def test_patch_tenant():
    with daemon() as d:
        a = tenant(d, "a", whitelist=["203.0.113.0/24"], quotas={"modules": 1, "rps": 50})
        path = f"/v1/tenants/{a['id']}"
        it.expect_status(d.post("/v1/modules", echo("e1"), token=a["token"]), 201)
        it.expect_status(d.post("/v1/modules", echo("e2"), token=a["token"]), 429, "quota_exceeded")
        # validated like POST; nothing changes on a refusal
        for body, code in (({"name": "b"}, "unknown_field"), ({"kind": "operator"}, "unknown_field"),
                           ({"addresses": ["10.0.0.1/8"]}, "invalid_prefix"),
                           ({"whitelist": "10.0.0.0/8"}, "wrong_type"),
                           ({"quotas": {"modules": -1}}, "wrong_type"),
                           ({"quotas": {"cpu": 1}}, "unknown_field"),
                           ({"quotas": {"modules": 5}, "addresses": [7]}, "wrong_type")):
            it.expect_status(d.request("PATCH", path, body), 400, code)
        assert d.get(path).json == {k: v for k, v in a.items() if k != "token"}
        it.expect_status(d.request("PATCH", path, {"quotas": {"modules": 1}}, token=a["token"]), 403)
        it.expect_status(d.request("PATCH", "/v1/tenants/999", {"quotas": {"modules": 1}}), 404)
        # a merge: the quotas named change, the other fields and quotas stay
        r = it.expect_status(d.request("PATCH", path, {"quotas": {"modules": 3}}), 200).json
        assert r["quotas"] == dict(a["quotas"], modules=3), r
        assert r["whitelist"] == ["203.0.113.0/24"] and r["addresses"] == ["172.16.15.0/24"], r
        # effective for the next deploy
        it.expect_status(d.post("/v1/modules", echo("e2"), token=a["token"]), 201)
        r = it.expect_status(d.request("PATCH", path, {"whitelist": ["198.51.100.0/24", "192.0.2.0/24"],
                                                       "addresses": None}), 200).json
        assert r["whitelist"] == ["198.51.100.0/24", "192.0.2.0/24"] and r["addresses"] == [], r
        assert r["quotas"]["modules"] == 3 and r["quotas"]["rps"] == 50, r
        assert d.get(path).json == r
        r = it.expect_status(d.request("PATCH", path, {"addresses": ["172.16.15.0/24"]}), 200).json
        assert r["addresses"] == ["172.16.15.0/24"] and r["whitelist"] == ["198.51.100.0/24", "192.0.2.0/24"]
        # the rate is set up again from the new rps
        r = it.expect_status(d.request("PATCH", path, {"quotas": {"rps": 1}}), 200).json
        codes = [d.post("/v1/check", echo("x"), token=a["token"]).status for _ in range(6)]
        assert 429 in codes, codes
        row = [x for x in audit(d) if x["method"] == "PATCH"][0]
        assert row["status"] == 200 and row["detail"]["changed"] == ["quotas"], row


def test_operator_kills_any_module():
    with daemon() as d:
        a, b = tenant(d, "a"), tenant(d, "b")
        m = it.expect_status(d.post("/v1/modules", echo("e1"), token=a["token"]), 201).json
        # another tenant still cannot see or kill it
        it.expect_status(d.get(f"/v1/modules/{m['id']}", token=b["token"]), 404, "not_found")
        it.expect_status(d.delete(f"/v1/modules/{m['id']}", token=b["token"]), 404, "not_found")
        # the operator can
        g = it.expect_status(d.get(f"/v1/modules/{m['id']}"), 200).json
        assert g["tenant_id"] == a["id"] and g["state"] == "deployed" and g["held"] is False, g
        it.expect_status(d.delete(f"/v1/modules/{m['id']}"), 204)
        g = it.expect_status(d.get(f"/v1/modules/{m['id']}", token=a["token"]), 200).json
        assert g["state"] == "killed", g
        it.expect_status(d.delete(f"/v1/modules/{m['id']}"), 404, "not_found")
        it.expect_status(d.delete("/v1/modules/99999"), 404, "not_found")
        row = [x for x in audit(d) if x["method"] == "DELETE" and x["status"] == 204][0]
        assert row["who"] == "operator" and row["result"] == "ok", row
        assert row["detail"] == {"id": m["id"], "tenant_id": a["id"]}, row
        # the address is free again: the same tenant deploys anew
        it.expect_status(d.post("/v1/modules", echo("e1"), token=a["token"]), 201)


def test_delete_tenant_with_its_modules():
    d, fast = start(null_dataplane())
    try:
        a, b = tenant(d, "a"), tenant(d, "b")
        ids = [it.expect_status(d.post("/v1/modules", echo(f"e{i}"), token=a["token"]), 201).json["id"]
               for i in range(3)]
        it.expect_status(d.delete(f"/v1/modules/{ids[2]}", token=a["token"]), 204)
        keep = it.expect_status(d.post("/v1/modules", echo("k"), token=b["token"]), 201).json
        it.expect_status(d.delete(f"/v1/tenants/{a['id']}"), 409, "tenant_has_modules")
        it.expect_status(d.delete(f"/v1/tenants/{a['id']}?force=true", token=b["token"]), 403)
        if fast:
            assert runtime_state(d, ids[0])[1] == "deployed"
        it.expect_status(d.delete(f"/v1/tenants/{a['id']}?force=true"), 204)
        it.expect_status(d.get(f"/v1/tenants/{a['id']}"), 404)
        it.expect_status(d.get("/v1/whoami", token=a["token"]), 401)
        for i in ids:  # gone, from the registry and from the platform
            it.expect_status(d.get(f"/v1/modules/{i}"), 404)
        plats = {p["name"]: p["modules"] for p in d.get("/v1/platforms").json["platforms"]}
        assert sum(plats.values()) == 1, plats
        g = it.expect_status(d.get(f"/v1/modules/{keep['id']}", token=b["token"]), 200).json
        assert g["state"] == "deployed" and (not fast or g["runtime"]["state"] == "deployed"), g
        if fast:
            metrics = it.expect_status(d.get("/metrics"), 200).text
            assert f'id="{keep["id"]}",tenant="{b["id"]}"' in metrics, metrics[:2000]
            assert not any(f'id="{i}",tenant=' in metrics for i in ids), metrics[:2000]
        row = audit(d, 1)[0]
        assert row["method"] == "DELETE" and row["detail"]["force"] is True, row
        assert sorted(row["detail"]["killed"]) == ids[:2], row
        # without modules, no force is needed; a second force delete is 404
        it.expect_status(d.delete(f"/v1/tenants/{a['id']}?force=true"), 404, "not_found")
        c = tenant(d, "c")
        it.expect_status(d.delete(f"/v1/tenants/{c['id']}"), 204)
        d.restart()  # the registry agrees after a restart
        it.expect_status(d.get(f"/v1/modules/{keep['id']}", token=b["token"]), 200)
    finally:
        d.stop()


def test_snapshot_capacity_beyond_pool_refused():
    with daemon() as d:
        net = d.get("/v1/network").json["snapshot"]
        before = d.get("/v1/platforms").json
        p3 = next(i for i, n in enumerate(net["nodes"]) if n["name"] == "platform3")
        assert net["nodes"][p3]["capacity"] == 253  # a /24 without 3 addresses
        bad = copy.deepcopy(net)
        bad["nodes"][p3]["capacity"] = 254
        r = it.expect_status(d.put("/v1/network", bad), 400, "capacity_exceeds_pool")
        det = r.json["error"]["details"]
        assert det["platform"] == "platform3" and det["capacity"] == 254 and det["addresses"] == 253, det
        assert det["errors"][0].startswith(f"nodes[{p3}].capacity: 254 is more than the 253"), det
        assert d.get("/v1/platforms").json == before
        # small pools: a /32 that is not the platform's address gives 1, a /31 gives 2
        small = copy.deepcopy(net)
        small["nodes"][p3].update(pool="192.0.2.8/31", capacity=2)
        it.expect_status(d.put("/v1/network", small), 200)
        small["nodes"][p3].update(pool="192.0.2.9/32", capacity=2)
        it.expect_status(d.put("/v1/network", small), 400, "capacity_exceeds_pool")
        small["nodes"][p3].update(capacity=1)
        it.expect_status(d.put("/v1/network", small), 200)
        plats = {p["name"]: p for p in d.get("/v1/platforms").json["platforms"]}
        assert plats["platform3"]["capacity"] == 1, plats
    # and the --network file at the first start
    bad = json.load(open(NET))
    bad["nodes"][p3]["capacity"] = 1000
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"innet-opsctl-net-{os.getpid()}.json")
    with open(path, "w") as f:
        json.dump(bad, f)
    try:
        d = it.Daemon(network=path)
        try:
            d.start()
            raise AssertionError("innetd started with a platform beyond its pool")
        except AssertionError as e:
            assert "capacity: 1000 is more than the 253" in str(e), e
    finally:
        os.unlink(path)


it.main()
