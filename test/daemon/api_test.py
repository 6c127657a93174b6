"""innetd API over real HTTP with a real SQLite file: every endpoint of the
foundation, auth failures, malformed and ill-typed bodies, audit rows."""
import copy
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
import innet_test as it  # noqa: E402

NET = it.example("figure3-network.json")
POLICY = it.example("figure3-policy.reach")


def load_net():
    with open(NET) as f:
        return json.load(f)


def test_health_needs_no_token():
    with it.Daemon() as d:
        r = it.expect_status(d.get("/v1/health", token=None), 200)
        assert r.json["status"] == "ok"
        assert r.json["version"]
        assert isinstance(r.json["uptime_s"], int)
        assert r.json["snapshot_version"] is None


def test_auth_failures():
    with it.Daemon() as d:
        it.expect_status(d.get("/v1/tenants", token=None), 401, "unauthorized")
        r = it.expect_status(d.get("/v1/tenants", token="not-a-token"), 401, "unauthorized")
        assert "bearer" in r.headers.get("www-authenticate", "").lower()
        it.expect_status(d.get("/v1/tenants", token=None, headers={"Authorization": "Basic abc"}),
                         401, "unauthorized")
        it.expect_status(d.get("/v1/tenants", token=d.token + "x"), 401)
        t = it.expect_status(d.post("/v1/tenants", {"name": "t1", "kind": "operator"}), 201).json
        # an operator-kind tenant is still a tenant: operator endpoints are 403
        for method, path in [("GET", "/v1/tenants"), ("POST", "/v1/tenants"), ("GET", "/v1/network"),
                             ("PUT", "/v1/network"), ("GET", "/v1/policies"), ("GET", "/v1/platforms"),
                             ("DELETE", "/v1/tenants/1"), ("POST", "/v1/policies")]:
            body = {} if method in ("POST", "PUT") else None
            it.expect_status(d.request(method, path, body, token=t["token"]), 403, "forbidden")
        r = it.expect_status(d.get("/v1/whoami", token=t["token"]), 200)
        assert r.json == {"role": "tenant", "tenant_id": t["id"], "kind": "operator", "name": "t1"}
        assert d.get("/v1/whoami").json["role"] == "operator"
        # the attempts were audited with who tried
        audit = d.get("/v1/audit?limit=50").json["audit"]
        denied = [a for a in audit if a["status"] == 403]
        assert denied and all(a["who"] == f"tenant:{t['id']}" for a in denied)


def test_tenants_crud():
    with it.Daemon() as d:
        r = it.expect_status(d.post("/v1/tenants", {
            "name": "acme", "kind": "third_party", "addresses": ["198.51.100.0/24"],
            "whitelist": ["203.0.113.0/24", "10.0.0.1/32"], "quotas": {"modules": 5}}), 201)
        t = r.json
        assert t["token"].startswith("innet-") and len(t["token"]) > 40
        assert t["name"] == "acme" and t["kind"] == "third_party"
        assert t["addresses"] == ["198.51.100.0/24"]
        assert t["whitelist"] == ["203.0.113.0/24", "10.0.0.1/32"]
        assert t["quotas"]["modules"] == 5
        assert t["quotas"]["rps"] == 0  # innetd's tenant-rps
        # the token is returned once and stored only as a hash
        db = sqlite3.connect(d.db)
        row = db.execute("SELECT token_hash FROM tenants WHERE id = ?", (t["id"],)).fetchone()
        assert row and len(row[0]) == 32 and t["token"].encode() not in row[0]
        dump = "\n".join(db.iterdump())
        assert t["token"] not in dump
        db.close()
        g = it.expect_status(d.get(f"/v1/tenants/{t['id']}"), 200).json
        assert "token" not in g and g["name"] == "acme" and g["id"] == t["id"]
        r2 = it.expect_status(d.post("/v1/tenants", {"name": "bob", "kind": "client"}), 201).json
        assert r2["addresses"] == [] and r2["token"] != t["token"]
        names = [x["name"] for x in d.get("/v1/tenants").json["tenants"]]
        assert names == ["acme", "bob"]
        # unique names
        it.expect_status(d.post("/v1/tenants", {"name": "acme", "kind": "client"}), 409, "conflict")
        # the tenant's token works until the tenant is deleted
        assert d.get("/v1/whoami", token=t["token"]).status == 200
        it.expect_status(d.delete(f"/v1/tenants/{t['id']}"), 204)
        it.expect_status(d.get(f"/v1/whoami", token=t["token"]), 401)
        it.expect_status(d.get(f"/v1/tenants/{t['id']}"), 404, "not_found")
        it.expect_status(d.delete(f"/v1/tenants/{t['id']}"), 404, "not_found")
        it.expect_status(d.get("/v1/tenants/abc"), 404)
        it.expect_status(d.get("/v1/tenants/0"), 404)
        assert [x["name"] for x in d.get("/v1/tenants").json["tenants"]] == ["bob"]
        # prefixes are gone with the tenant (cascade)
        db = sqlite3.connect(d.db)
        assert db.execute("SELECT count(*) FROM tenant_prefixes WHERE tenant_id = ?",
                          (t["id"],)).fetchone()[0] == 0
        db.close()


def test_tenant_validation():
    with it.Daemon() as d:
        bad = [
            ({"kind": "client"}, "missing_field"),
            ({"name": 5, "kind": "client"}, "wrong_type"),
            ({"name": "has space", "kind": "client"}, "invalid_name"),
            ({"name": "", "kind": "client"}, "invalid_name"),
            ({"name": "x" * 65, "kind": "client"}, "invalid_name"),
            ({"name": "a"}, "missing_field"),
            ({"name": "a", "kind": "admin"}, "invalid_kind"),
            ({"name": "a", "kind": ["client"]}, "invalid_kind"),
            ({"name": "a", "kind": "client", "addresses": "10.0.0.0/8"}, "wrong_type"),
            ({"name": "a", "kind": "client", "addresses": [10]}, "wrong_type"),
            ({"name": "a", "kind": "client", "addresses": ["10.0.0.0/33"]}, "invalid_prefix"),
            ({"name": "a", "kind": "client", "whitelist": ["10.0.0.1/8"]}, "invalid_prefix"),
            ({"name": "a", "kind": "client", "whitelist": ["1.2.3"]}, "invalid_prefix"),
            ({"name": "a", "kind": "client", "quotas": {"modules": -1}}, "wrong_type"),
            ({"name": "a", "kind": "client", "quotas": {"cpu": 1}}, "unknown_field"),
            ({"name": "a", "kind": "client", "quotas": {"rps": -1}}, "wrong_type"),
            ({"name": "a", "kind": "client", "quotas": 3}, "wrong_type"),
            ({"name": "a", "kind": "client", "colour": "red"}, "unknown_field"),
        ]
        for body, code in bad:
            r = it.expect_status(d.post("/v1/tenants", body), 400, code)
            if code == "invalid_prefix":
                val = (body.get("addresses") or body.get("whitelist"))[0]
                assert r.json["error"]["details"]["value"] == val and val in r.json["error"]["message"]
        for raw in [b"[]", b"3", b'"x"', b"null"]:
            it.expect_status(d.post("/v1/tenants", raw=raw), 400, "wrong_type")
        it.expect_status(d.post("/v1/tenants"), 400, "missing_body")
        r = it.expect_status(d.post("/v1/tenants", raw=b'{"name": "a",'), 400, "invalid_json")
        assert "line" in r.json["error"]["details"]
        it.expect_status(d.post("/v1/tenants", raw=b'{"name": "a", "name": "b", "kind": "client"}'),
                         400, "invalid_json")
        it.expect_status(d.post("/v1/tenants", raw=b'\xff\xfe{}'), 400, "invalid_json")
        it.expect_status(d.post("/v1/tenants", raw=b'{"name": "a", "kind": "client"}',
                                content_type="text/plain"), 415, "unsupported_media_type")
        it.expect_status(d.post("/v1/tenants", raw=b'{"name": "a", "kind": "client"}',
                                content_type=None), 415, "unsupported_media_type")
        # charset parameter is fine
        it.expect_status(d.post("/v1/tenants", raw=b'{"name": "ok", "kind": "client"}',
                                content_type="application/json; charset=utf-8"), 201)
        # nothing of the bad ones was stored
        assert [t["name"] for t in d.get("/v1/tenants").json["tenants"]] == ["ok"]


def test_network_put_get():
    with it.Daemon() as d:
        it.expect_status(d.get("/v1/network"), 404, "no_snapshot")
        net = load_net()
        r = it.expect_status(d.put("/v1/network", net), 200).json
        assert r == {"version": 1, "nodes": 9, "links": 9, "platforms": 3}
        g = it.expect_status(d.get("/v1/network"), 200).json
        assert g["version"] == 1 and g["snapshot"] == net
        assert d.get("/v1/health", token=None).json["snapshot_version"] == 1
        p = it.expect_status(d.get("/v1/platforms"), 200).json
        assert p["snapshot_version"] == 1
        assert [x["name"] for x in p["platforms"]] == ["platform1", "platform2", "platform3"]
        assert p["platforms"][2] == {"name": "platform3", "address": "192.0.2.1", "pool": "192.0.2.0/24",
                                     "capacity": 253, "modules": 0, "load": 0.0, "pop": "pop1",
                                     "served": True}
        assert p["pop"] == "pop1"
        # a bad snapshot: 400 with the JSON path, nothing changes
        bad = copy.deepcopy(net)
        bad["nodes"][5]["routes"][1]["prefix"] = "10.1.0.0/33"
        r = it.expect_status(d.put("/v1/network", bad), 400, "invalid_snapshot")
        errs = r.json["error"]["details"]["errors"]
        assert any(e.startswith("nodes[5].routes[1].prefix:") and "10.1.0.0/33" in e for e in errs), errs
        bad = copy.deepcopy(net)
        bad["links"].append(["core:9", "nowhere:0"])
        errs = it.expect_status(d.put("/v1/network", bad), 400).json["error"]["details"]["errors"]
        assert any(e.startswith("links[9][0]:") for e in errs) and any(e.startswith("links[9][1]:") for e in errs)
        it.expect_status(d.put("/v1/network", raw=b"{nodes"), 400, "invalid_json")
        it.expect_status(d.put("/v1/network", [1, 2]), 400, "wrong_type")
        assert d.get("/v1/network").json["version"] == 1
        # a new snapshot: new version, platforms follow it
        net2 = copy.deepcopy(net)
        net2["nodes"] = [n for n in net2["nodes"] if n["name"] != "platform3"]
        net2["links"] = [l for l in net2["links"] if "platform3:0" not in l]
        net2["nodes"][5]["routes"] = [r for r in net2["nodes"][5]["routes"] if r["port"] != 5]
        r = it.expect_status(d.put("/v1/network", net2), 200).json
        assert r["version"] == 2 and r["platforms"] == 2
        p = d.get("/v1/platforms").json
        assert p["snapshot_version"] == 2 and [x["name"] for x in p["platforms"]] == ["platform1", "platform2"]
        db = sqlite3.connect(d.db)
        assert db.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 2
        db.close()


def test_policies():
    with it.Daemon() as d:
        assert d.get("/v1/policies").json == {"policies": []}
        text = open(POLICY).read()
        r = it.expect_status(d.post("/v1/policies", {"text": text}), 201).json
        assert r["text"] == text
        r2 = it.expect_status(d.post("/v1/policies", {"text": "reach from client -> internet"}), 201).json
        assert r2["id"] != r["id"]
        ps = d.get("/v1/policies").json["policies"]
        assert [p["id"] for p in ps] == [r["id"], r2["id"]] and ps[0]["text"] == text
        assert ps[0]["created_by"] == "operator"
        it.expect_status(d.post("/v1/policies", {"text": ""}), 400, "invalid_policy")
        # (the controller checks policy text first and calls it invalid_policy)
        it.expect_status(d.post("/v1/policies", {"text": 3}), 400, ("wrong_type", "invalid_policy"))
        it.expect_status(d.post("/v1/policies", {}), 400, "missing_field")
        it.expect_status(d.post("/v1/policies", {"text": "x", "y": 1}), 400, "unknown_field")
        it.expect_status(d.delete(f"/v1/policies/{r['id']}"), 204)
        it.expect_status(d.delete(f"/v1/policies/{r['id']}"), 404)
        assert [p["id"] for p in d.get("/v1/policies").json["policies"]] == [r2["id"]]


def test_routes_404_405():
    with it.Daemon() as d:
        it.expect_status(d.get("/v1/nothing"), 404, "not_found")
        it.expect_status(d.get("/"), 404, "not_found")
        it.expect_status(d.get("/v1/tenants/1/extra"), 404)
        r = it.expect_status(d.request("PUT", "/v1/tenants/1", {}), 405, "method_not_allowed")
        assert set(r.headers["allow"].split(", ")) == {"GET", "HEAD", "DELETE", "PATCH"}
        r = it.expect_status(d.request("DELETE", "/v1/network"), 405)
        assert set(r.headers["allow"].split(", ")) == {"PUT", "GET", "HEAD"}
        it.expect_status(d.post("/v1/health", {}), 405)


def test_first_start_seeds_network_and_policy():
    with it.Daemon(network=NET, policy=POLICY) as d:
        assert d.get("/v1/network").json["snapshot"] == load_net()
        ps = d.get("/v1/policies").json["policies"]
        assert len(ps) == 1 and ps[0]["text"] == open(POLICY).read() and ps[0]["created_by"] == "config"
        # deleting the seeded policy sticks across a restart (seeding happens once)
        it.expect_status(d.delete(f"/v1/policies/{ps[0]['id']}"), 204)
        d.restart()
        assert d.get("/v1/policies").json["policies"] == []
        assert d.get("/v1/network").json["version"] == 1


def test_audit_rows():
    with it.Daemon() as d:
        d.post("/v1/tenants", {"name": "a", "kind": "client"})
        d.post("/v1/tenants", {"name": "a", "kind": "client"})
        d.post("/v1/policies", {"text": "reach from client -> internet"})
        d.get("/v1/tenants")  # reads are not audited
        d.post("/v1/tenants", {"name": "z"}, token=None)
        a = d.get("/v1/audit").json["audit"]
        assert [(x["method"], x["path"], x["status"], x["result"], x["who"]) for x in reversed(a)] == [
            ("POST", "/v1/tenants", 201, "ok", "operator"),
            ("POST", "/v1/tenants", 409, "conflict", "operator"),
            ("POST", "/v1/policies", 201, "ok", "operator"),
            ("POST", "/v1/tenants", 401, "unauthorized", "anonymous"),
        ]
        assert all(x["at"].endswith("Z") for x in a)
        assert a[-1]["detail"]["name"] == "a"


def test_openapi_document_is_served_and_true():
    """GET /v1/openapi.json is docs/openapi.json, and every call it
    documents is a route (innetd itself refuses to start when a route is
    not documented: test/daemon/openapi_test.c)."""
    with open(os.path.join(os.environ["INNET_SOURCE_DIR"], "docs", "openapi.json")) as f:
        doc = json.load(f)
    with it.Daemon() as d:
        r = it.expect_status(d.get("/v1/openapi.json", token=None), 200)
        assert r.headers.get("content-type", "").startswith("application/json")
        assert r.json == doc
        checked = 0
        for path, ops in doc["paths"].items():
            concrete = path.replace("{id}", "999")
            for method in ("get", "put", "post", "delete", "patch"):
                if method not in ops:
                    continue
                public = ops[method].get("security", doc.get("security")) == []
                body = {} if method in ("put", "post") else None
                resp = d.request(method.upper(), concrete, body, token=None)
                want = {200} if public else {401}
                assert resp.status in want, (method, path, resp.status, resp.body[:200])
                checked += 1
        assert checked >= 20


it.main()
