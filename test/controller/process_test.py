"""Process-backed stock modules over real HTTP (docs/process-modules.md):
innetd with the shipped catalogue (dataplane = none: nothing runs yet)
lists them in GET /v1/stock as "kind": "process", checks their parameters
as any stock module's, and verifies the wrapper like any module. Table 1's
x86 row: the program may send anything, so a process module is sandboxed
for a third party and a client, safe for the operator, and the report
says why in words. A tenant's own configuration may not use the process
elements."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import innet_test as it  # noqa: E402
import cases  # noqa: E402

CATALOGUE = it.example("process-catalogue.json")
PARAMS = {
    "http-reverse-proxy": {"origin": "198.51.100.10", "origin_port": 8080},
    "dns": {"zone": "example.com", "near_clients": ["10.1.0.0/16"], "near_answer": "198.51.100.20",
            "far_answer": "198.51.100.30"},
    "explicit-proxy": {"clients": ["172.16.15.0/24"]},
}


def daemon(**kw):
    kw.setdefault("network", it.example("figure3-network.json"))
    kw.setdefault("policy", it.example("figure3-policy.reach"))
    return it.Daemon(args=["--process-catalogue", CATALOGUE, "--dataplane", "none"], **kw)


def tenants(d):
    return {k: it.expect_status(d.post("/v1/tenants", dict(v, name=k, kind=k)), 201).json["token"]
            for k, v in cases.TENANTS.items()}


def test_catalogue_listed():
    with daemon() as d:
        tok = tenants(d)["third_party"]
        r = it.expect_status(d.get("/v1/stock", token=tok), 200)
        by = {s["name"]: s for s in r.json["stock"]}
        assert by["reverse-proxy"]["kind"] == "click"
        for name in PARAMS:
            s = by[name]
            assert s["kind"] == "process", s
            assert s["template"] == "FromNetFront() -> ToProcess();\nFromProcess() -> ToNetFront();\n"
            assert s["package"] and s["listen"] and s["quota"]["memory_mb"] > 0, s
        ps = {p["name"]: p for p in by["http-reverse-proxy"]["params"]}
        assert ps["origin"]["type"] == "ipv4" and ps["origin"]["required"] is True
        assert ps["per_client_connections"]["min"] == 1 and ps["per_client_connections"]["default"] == 8
        assert {p["name"]: p for p in by["dns"]["params"]}["zone"]["type"] == "hostname"
        assert by["http-reverse-proxy"]["listen"] == [{"proto": "tcp", "port": 80}]


def test_table1_x86_row():
    with daemon() as d:
        toks = tenants(d)
        want = {"third_party": "sandboxed", "client": "sandboxed", "operator": "safe"}
        problems = []
        for kind, verdict in want.items():
            for name, params in PARAMS.items():
                if name == "explicit-proxy" and cases.TENANTS[kind].get("addresses"):
                    params = {"clients": cases.TENANTS[kind]["addresses"]}  # its own devices
                body = {"name": f"{name}-{kind}", "stock": name, "params": params}
                r = d.post("/v1/check", body, token=toks[kind])
                got = r.json.get("verdict") if r.status == 200 else f"HTTP {r.status}: {r.json}"
                if got != verdict:
                    problems.append(f"{name}/{kind}: want {verdict}, got {got}")
                    continue
                rep = r.json["report"]
                notes = " ".join(rep.get("notes", []))
                assert "able to send any IPv4 packet" in notes and "comes from the sandbox" in notes, rep
                if verdict == "sandboxed":
                    assert "ChangeEnforcer" in rep["deployed_config"], rep["deployed_config"]
                    assert "FromProcess" in rep["deployed_config"]
                else:
                    assert "ChangeEnforcer" not in rep["deployed_config"]
        assert not problems, "\n".join(problems)
        # a deploy records the stock name and its parameters for the platform
        r = it.expect_status(d.post("/v1/modules", {"name": "web", "stock": "http-reverse-proxy",
                                                    "params": PARAMS["http-reverse-proxy"]},
                                    token=toks["third_party"]), 201)
        assert r.json["verdict"] == "sandboxed", r.json
        mid = r.json.get("id") or r.json.get("module", {}).get("id")
        g = it.expect_status(d.get(f"/v1/modules/{mid}", token=toks["third_party"]), 200).json
        assert g["stock"] == "http-reverse-proxy", g
        assert g["params"]["origin"] == "198.51.100.10" and g["params"]["origin_port"] == 8080, g


def test_memory_quota_below_the_entry_needs():
    """A tenant's own memory_mb bounds a process module's program; below
    the entry's min_memory_mb a check and a deploy are refused
    (docs/process-modules.md, "Quotas")."""
    with daemon() as d:
        by = {s["name"]: s for s in it.expect_status(d.get("/v1/stock"), 200).json["stock"]}
        assert by["http-reverse-proxy"]["quota"]["min_memory_mb"] == 16, by["http-reverse-proxy"]
        r = it.expect_status(d.post("/v1/tenants", {"name": "small", "kind": "client",
                                                    "addresses": ["172.16.15.0/24"],
                                                    "quotas": {"memory_mb": 12}}), 201)
        r0, tok = r.json, r.json["token"]
        body = {"name": "web", "stock": "http-reverse-proxy", "params": PARAMS["http-reverse-proxy"]}
        for path in ("/v1/check", "/v1/modules"):
            r = it.expect_status(d.post(path, body, token=tok), 409, "memory_quota_too_small")
            assert r.json["error"]["details"] == {"field": "stock", "value": "http-reverse-proxy",
                                                  "memory_mb": 12, "min_memory_mb": 16}, r.json
        # 16 is enough (a quota change applies to the next check)
        it.expect_status(d.request("PATCH", "/v1/tenants/%d" % r0["id"], {"quotas": {"memory_mb": 16}}), 200)
        r = it.expect_status(d.post("/v1/check", body, token=tok), 200)
        assert r.json["verdict"] == "sandboxed", r.json
        assert r.json["quotas"]["process_memory_mb"] == 16, r.json["quotas"]


def test_parameter_errors():
    with daemon() as d:
        tok = tenants(d)["client"]
        bad = [
            ({"name": "a", "stock": "http-reverse-proxy", "params": {}}, "invalid_params", "params.origin"),
            ({"name": "a", "stock": "http-reverse-proxy", "params": {"origin": "1.2.3.4", "client_timeout": 600}},
             "invalid_params", "params.client_timeout"),
            ({"name": "a", "stock": "dns", "params": dict(PARAMS["dns"], zone="a.com\" static")},
             "invalid_params", "params.zone"),
            ({"name": "a", "stock": "explicit-proxy", "params": {"clients": ["10.0.0.0/8;"]}},
             "invalid_params", "params.clients[0]"),
            ({"name": "a", "stock": "explicit-proxy", "params": {"clients": ["10.0.0.0/8"], "x": 1}},
             "invalid_params", "params.x"),
            ({"name": "a", "stock": "no-such-program"}, "unknown_stock", "stock"),
        ]
        for body, code, field in bad:
            for path in ("/v1/check", "/v1/modules"):
                r = it.expect_status(d.post(path, body, token=tok), 400, code)
                assert r.json["error"]["details"]["field"] == field, (body, r.json)
        # the process elements are only for the wrapper innetd writes
        r = it.expect_status(d.post("/v1/check", {"name": "a", "config": "FromNetFront() -> ToProcess();"},
                                    token=tok), 400, "invalid_config")
        assert "only for process-backed stock modules" in r.json["error"]["message"], r.json


def test_explicit_proxy_serves_only_own_devices():
    """An explicit proxy's clients are prefixes only the tenant's own
    devices use ("own": true in the catalogue): a client or third party
    naming others' addresses is refused at the prefix, so nobody rents an
    open proxy; the operator's own may name any."""
    with daemon() as d:
        toks = tenants(d)
        assert {p["name"]: p for p in [s for s in it.expect_status(d.get("/v1/stock", token=toks["client"]),
                                                                   200).json["stock"]
                                        if s["name"] == "explicit-proxy"][0]["params"]}["clients"]["own"] is True
        for path in ("/v1/check", "/v1/modules"):
            r = it.expect_status(d.post(path, {"name": "px", "stock": "explicit-proxy",
                                               "params": {"clients": ["172.16.15.0/25", "10.0.0.0/8"]}},
                                        token=toks["client"]), 400, "invalid_params")
            assert r.json["error"]["details"]["field"] == "params.clients[1]", r.json
            assert "10.0.0.0/8" in r.json["error"]["message"] and "own prefixes" in r.json["error"]["message"]
        r = it.expect_status(d.post("/v1/check", {"name": "px", "stock": "explicit-proxy",
                                                  "params": {"clients": ["172.16.15.0/24"]}},
                                    token=toks["third_party"]), 400, "invalid_params")
        assert r.json["error"]["details"]["field"] == "params.clients[0]", r.json
        r = it.expect_status(d.post("/v1/check", {"name": "px", "stock": "explicit-proxy",
                                                  "params": {"clients": ["172.16.15.128/25"]}},
                                    token=toks["client"]), 200)
        assert r.json["verdict"] == "sandboxed", r.json
        r = it.expect_status(d.post("/v1/check", {"name": "px", "stock": "explicit-proxy",
                                                  "params": {"clients": ["10.0.0.0/8"]}},
                                    token=toks["operator"]), 200)
        assert r.json["verdict"] == "safe", r.json


def test_missing_program_refused_at_deploy():
    """An entry whose program is not on this host (its package is not
    installed) is listed with "installed": false and refused at check and
    deploy with the package to install, never accepted to fail at its
    first packet; innetd says so when it starts."""
    cat = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"innet-missing-catalogue-{os.getpid()}.json")
    with open(cat, "w") as f:
        json.dump({"modules": [{"name": "ghost", "summary": "a program nobody installed",
                                "package": "innet-ghost", "argv": ["innet-ghost-server", "-d"],
                                "listen": [{"proto": "udp", "port": 53}]},
                               {"name": "shell", "summary": "a program every host has",
                                "package": "dash", "argv": ["sh", "-c", "sleep 100"],
                                "listen": [{"proto": "udp", "port": 53}]}]}, f)
    try:
        with it.Daemon(args=["--process-catalogue", cat, "--dataplane", "none"],
                       network=it.example("figure3-network.json"),
                       policy=it.example("figure3-policy.reach")) as d:
            assert "'ghost' runs innet-ghost-server, which is not installed" in d.log(), d.log()[-2000:]
            tok = tenants(d)["operator"]
            by = {s["name"]: s for s in it.expect_status(d.get("/v1/stock", token=tok), 200).json["stock"]}
            assert by["ghost"]["installed"] is False and by["shell"]["installed"] is True, by
            for path in ("/v1/check", "/v1/modules"):
                r = it.expect_status(d.post(path, {"name": "g", "stock": "ghost"}, token=tok), 409,
                                     "process_unavailable")
                msg = r.json["error"]["message"]
                assert "innet-ghost-server" in msg and "Debian package innet-ghost" in msg, r.json
                assert r.json["error"]["details"]["field"] == "stock", r.json
            r = it.expect_status(d.post("/v1/check", {"name": "s", "stock": "shell"}, token=tok), 200)
            assert r.json["verdict"] == "safe", r.json
            listed = it.expect_status(d.get("/v1/modules", token=tok), 200).json
            assert not any(m.get("stock") == "ghost" for m in listed.get("modules", [])), listed
    finally:
        os.unlink(cat)


def test_bad_catalogue_stops_innetd():
    bad = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"innet-bad-catalogue-{os.getpid()}.json")
    with open(bad, "w") as f:
        f.write('{"modules": [\n  {"name": "x",, }]}\n')
    d = it.Daemon(args=["--process-catalogue", bad])
    try:
        d.start()
        raise AssertionError("innetd started with a broken catalogue")
    except Exception as e:  # noqa: BLE001
        assert f"{bad}:2:" in d.log(), d.log()[-2000:]
        del e
    finally:
        d.kill()
        os.unlink(bad)


if __name__ == "__main__":
    it.main()
