"""The controller over real HTTP: check, deploy and kill, security rules and
verdicts per tenant kind (the cases of cases.py), placement and addresses,
cross-tenant isolation, races, restarts, policy and network re-checks,
quotas and rates."""
import copy
import ipaddress
import json
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import innet_test as it  # noqa: E402
import cases  # noqa: E402

NET = it.example("figure3-network.json")
POLICY = it.example("figure3-policy.reach")
FIG4 = json.load(open(it.example("figure4-request.json")))
PLATFORM3 = ipaddress.ip_network("192.0.2.0/24")


def daemon(**kw):
    kw.setdefault("network", NET)
    kw.setdefault("policy", POLICY)
    return it.Daemon(**kw)


def tenant(d, name, kind, **extra):
    r = it.expect_status(d.post("/v1/tenants", dict(extra, name=name, kind=kind)), 201)
    return r.json["token"]


def table1_tenants(d):
    return {k: tenant(d, k, k, **v) for k, v in cases.TENANTS.items()}


def rules(report):
    return {r["rule"]: r for r in report["security"]["rules"]}


# ---- catalogue and request parsing -------------------------------------------

def test_stock_catalogue():
    with daemon() as d:
        tok = tenant(d, "t", "third_party")
        r = it.expect_status(d.get("/v1/stock", token=tok), 200)
        names = {s["name"]: s for s in r.json["stock"]}
        for want in ("udp-batcher", "firewall", "rate-limiter", "reverse-proxy", "dns-front", "tunnel"):
            assert want in names, names.keys()
        rp = {p["name"]: p for p in names["reverse-proxy"]["params"]}
        assert rp["origin"]["type"] == "ipv4" and rp["origin"]["required"] is True
        assert rp["port"]["type"] == "port" and rp["port"]["min"] == 1 and rp["port"]["max"] == 65535
        assert "$MODULE_IP" in names["reverse-proxy"]["template"]


def test_request_errors():
    with daemon() as d:
        tok = tenant(d, "c", "client", addresses=["172.16.15.133/32"])
        bad = [
            ({"config": "Idle -> Discard;"}, 400, "missing_field", "name"),
            ({"name": "a:b", "config": "x"}, 400, "invalid_name", "name"),
            ({"name": "a"}, 400, "missing_field", "config"),
            ({"name": "a", "config": "x", "stock": "tunnel"}, 400, "conflicting_fields", "stock"),
            ({"name": "a", "stock": "nope"}, 400, "unknown_stock", "stock"),
            ({"name": "a", "stock": "reverse-proxy", "params": {"origin": "1.2.3.4", "port": 70000}},
             400, "invalid_params", "params.port"),
            ({"name": "a", "stock": "reverse-proxy", "params": {}}, 400, "invalid_params", "params.origin"),
            ({"name": "a", "stock": "firewall", "params": {"port": 1, "origin": "1.2.3.4", "color": 1}},
             400, "invalid_params", "params.color"),
            ({"name": "a", "config": "x", "params": {}}, 400, "unexpected_field", "params"),
            ({"name": "a", "config": "x", "requirements": 5}, 400, "wrong_type", "requirements"),
            ({"name": "a", "config": "x", "inline": ["fw:1"]}, 400, "invalid_inline", "inline"),
            ({"name": "a", "config": "x", "extra": 1}, 400, "unknown_field", "extra"),
        ]
        for body, status, code, field in bad:
            for path in ("/v1/check", "/v1/modules"):
                r = it.expect_status(d.post(path, body, token=tok), status, code)
                assert r.json["error"]["details"]["field"] == field, (body, r)
        # requirements errors carry line and column
        r = it.expect_status(d.post("/v1/check", dict(FIG4, requirements="reach from internet\nreach frm x -> y\n"),
                                    token=tok), 400, "invalid_requirements")
        e = r.json["error"]["details"]["errors"][0]
        assert e["line"] >= 1 and e["column"] >= 1, e
        # Click errors too
        r = it.expect_status(d.post("/v1/check", {"name": "a", "config": "FromNetFront() -> Nope -> ToNetFront();"},
                                    token=tok), 400, "invalid_config")
        e = r.json["error"]["details"]["errors"][0]
        assert e["line"] == 1 and e["column"] > 1 and "Nope" in e["message"], e
        # only the operator may go on-path
        r = it.expect_status(d.post("/v1/modules", dict(FIG4, inline=["fw:1", "core:0"]), token=tok),
                             403, "inline_forbidden")
        # the admin token is not a tenant
        it.expect_status(d.post("/v1/modules", FIG4), 403, "forbidden")
        # nothing was left behind
        assert d.get("/v1/modules", token=tok).json["modules"] == []


def test_unknown_element_is_400():
    """NODE:ELEMENT naming an element the module does not have (a typo in
    batcher:dst:0) is the request's mistake: 400 unknown_element with line
    and column, for /v1/check and /v1/modules alike; nothing is stored."""
    with daemon() as d:
        tok = tenant(d, "c", "client", addresses=["172.16.15.133/32"])
        reqs = FIG4["requirements"].replace("batcher:dst:0", "batcher:dsst:0")
        line = next(i for i, l in enumerate(reqs.split("\n"), 1) if "batcher:dsst:0" in l)
        col = reqs.split("\n")[line - 1].index("batcher:dsst:0") + 1
        body = dict(FIG4, requirements=reqs)
        for path in ("/v1/check", "/v1/modules"):
            r = it.expect_status(d.post(path, body, token=tok), 400, "unknown_element")
            e = r.json["error"]
            assert e["message"] == f"requirements:{line}:{col}: module 'batcher' has no element 'dsst'", e
            err = e["details"]["errors"][0]
            assert (err["line"], err["column"]) == (line, col), err
        assert d.get("/v1/modules", token=tok).json["modules"] == []
        # the element as the configuration names it is fine
        it.expect_status(d.post("/v1/check", FIG4, token=tok), 200)


def test_unknown_node_is_400():
    """A statement naming a node or module that exists nowhere is the
    request's mistake (400 with line and column), not a verdict."""
    with daemon() as d:
        tok = tenant(d, "c", "client", addresses=["172.16.15.133/32"])
        bad = "reach from client udp -> nosuchnode -> internet"
        col = bad.index("nosuchnode") + 1
        reqs = FIG4["requirements"].rstrip("\n") + "\n"
        line = reqs.count("\n") + 1  # after the Figure 4 requirement and its comments
        for second in (bad, bad.replace("nosuchnode", "nosuchnode:rw:0")):
            body = dict(FIG4, requirements=reqs + second + "\n")
            for path in ("/v1/check", "/v1/modules"):
                r = it.expect_status(d.post(path, body, token=tok), 400, "unknown_node")
                e = r.json["error"]
                assert e["message"] == f"requirements:{line}:{col}: unknown node 'nosuchnode'", e
                assert e["details"]["field"] == "requirements", e
                err = e["details"]["errors"][0]
                assert (err["line"], err["column"]) == (line, col), err
                # the caret line under the name, as for Click errors
                assert f"  {second}\n  {' ' * (col - 1)}^{'~' * 9}\n" in err["text"], err["text"]
        assert d.get("/v1/modules", token=tok).json["modules"] == []
        # known names: the network's nodes, the module's own name, the
        # tenant's other modules, the special words and addresses
        m = it.expect_status(d.post("/v1/modules", FIG4, token=tok), 201).json
        ok = dict(FIG4, name="other", requirements=(
            "reach from internet udp -> fw -> core -> batcher -> client\n"
            "reach from client -> other -> internet\n"
            "never from 198.51.100.0/24 -> 172.16.15.133\n"))
        it.expect_status(d.post("/v1/check", ok, token=tok), 200)
        # operator policies: the same 400, nothing stored
        before = d.get("/v1/policies").json["policies"]
        text = "reach from client -> internet\nnever from internet -> nosuchnode -> client\n"
        r = it.expect_status(d.post("/v1/policies", {"text": text}), 400, "unknown_node")
        e = r.json["error"]
        assert e["message"] == "policy:2:24: unknown node 'nosuchnode'", e
        assert e["details"]["field"] == "text" and e["details"]["errors"][0]["column"] == 24, e
        assert d.get("/v1/policies").json["policies"] == before
        # a policy may name the network's nodes and live modules
        it.expect_status(d.post("/v1/policies", {"text": "reach from client udp -> core -> internet\n"
                                                          "reach from internet udp -> batcher\n"}), 201)
        it.expect_status(d.delete(f"/v1/modules/{m['id']}", token=tok), 204)


# ---- Figure 4 ----------------------------------------------------------------------

def test_figure4_end_to_end():
    with daemon() as d:
        phone = tenant(d, "phone", "client", addresses=["172.16.15.133/32"])
        r = it.expect_status(d.post("/v1/check", FIG4, token=phone), 200)
        assert r.json["verdict"] == "safe" and r.json["platform"] == "platform3", r
        r = it.expect_status(d.post("/v1/modules", FIG4, token=phone), 201)
        m = r.json
        assert m["platform"] == "platform3" and m["verdict"] == "safe", m
        ip = ipaddress.ip_address(m["address"]["ip"])
        assert ip in PLATFORM3 and str(ip) != "192.0.2.1", m
        assert m["address"]["proto"] == 17 and m["address"]["port"] == 1500, m
        rep = m["report"]
        # platforms 1 and 2 were tried first (same spare capacity, by name)
        # and failed: the firewall keeps the internet out of their pools
        cands = [c["platform"] for c in rep["candidates"]]
        assert cands == ["platform1", "platform2", "platform3"], cands
        assert rep["candidates"][0]["failure"]["kind"] == "requirement", rep["candidates"][0]
        assert rules(rep)["anti-spoofing"]["result"] == "pass"
        assert rules(rep)["default-off"]["applies"] is False
        assert rep["requirements"]["ok"] is True and rep["policies"]["ok"] is True
        # the module as stored
        g = it.expect_status(d.get(f"/v1/modules/{m['id']}", token=phone), 200).json
        assert g["state"] == "deployed" and g["address"] == m["address"] and g["report"]["verdict"] == "safe"
        assert g["config"] == FIG4["config"] and g["requirements"] == FIG4["requirements"]
        lst = d.get("/v1/modules", token=phone).json["modules"]
        assert [x["id"] for x in lst] == [m["id"]]
        plats = {p["name"]: p for p in d.get("/v1/platforms").json["platforms"]}
        assert plats["platform3"]["modules"] == 1 and plats["platform1"]["modules"] == 0
        # the same name again: 409
        it.expect_status(d.post("/v1/modules", FIG4, token=phone), 409, "name_taken")

        # a third party without 172.16.15.133 in its prefixes or whitelist
        tp = tenant(d, "pushco", "third_party", addresses=["198.51.100.0/24"])
        r = it.expect_status(d.post("/v1/modules", FIG4, token=tp), 422, "security_rules")
        fails = r.json["error"]["details"]["platforms"]
        assert fails and all(f["failure"]["rule"] == "default-off" for f in fails), fails
        rep = r.json["error"]["details"]["report"]
        off = {x["rule"]: x for x in rep["candidates"][-1]["security"]["rules"]}["default-off"]
        assert off["result"] == "fail" and off["violations"], off
        assert off["violations"][0]["dst"] == ["172.16.15.133"], off["violations"][0]
        assert off["violations"][0]["trace"], off["violations"][0]
        r = it.expect_status(d.post("/v1/check", FIG4, token=tp), 200)
        assert r.json["verdict"] == "rejected" and r.json["platform"] is None
        assert d.get("/v1/modules", token=tp).json["modules"] == []
        # with the address whitelisted the same request is fine
        tp2 = tenant(d, "pushco2", "third_party", addresses=["198.51.100.0/24"],
                     whitelist=["172.16.15.133/32"])
        r = it.expect_status(d.post("/v1/modules", FIG4, token=tp2), 201)
        assert r.json["verdict"] == "safe" and r.json["address"]["ip"] != m["address"]["ip"]


# ---- Table 1 -------------------------------------------------------------------------

def test_table1():
    with daemon() as d:
        toks = table1_tenants(d)
        problems = []
        for row, per in cases.TABLE1.items():
            for kind, want in per.items():
                req = cases.request(row, kind)
                r = d.post("/v1/check", req, token=toks[kind])
                got = r.json.get("verdict") if r.status == 200 else f"HTTP {r.status}"
                if got != want:
                    problems.append(f"{row}/{kind}: want {want}, got {got}: "
                                    f"{json.dumps(r.json.get('reason') or r.json)[:300]}")
                    continue
                rep = r.json["report"]
                if want == "rejected":
                    reason = r.json["reason"]
                    if reason["code"] != "needs_transit" or "transit" not in reason["message"]:
                        problems.append(f"{row}/{kind}: rejected, but not for transit: {reason}")
                    continue
                sec = rules(rep)
                assert sec["anti-spoofing"]["applies"] is (kind != "operator"), (row, kind)
                assert sec["default-off"]["applies"] is (kind == "third_party"), (row, kind)
                assert rep["requirements"]["ok"] and rep["policies"]["ok"], (row, kind)
                if want == "sandboxed":
                    assert sec["default-off"]["result"] == "partial", sec
                    assert "ChangeEnforcer" in rep["deployed_config"], rep["deployed_config"]
                    assert "203.0.113.0/24" in rep["deployed_config"]  # the whitelist
                    assert "sandboxed_security" in rep
                else:
                    assert "ChangeEnforcer" not in rep["deployed_config"]
                if row in cases.TRANSIT:  # the operator's, on-path
                    assert r.json["platform"] is None and r.json["address"] is None
                else:
                    assert r.json["platform"] == "platform3", (row, kind, r.json["platform"])
        assert not problems, "\n".join(problems)


def test_table1_deploys():
    """Deploy what Table 1 accepts: the sandboxed tunnel runs with enforcers,
    the operator's NAT is spliced into the clients' link."""
    with daemon() as d:
        toks = table1_tenants(d)
        r = it.expect_status(d.post("/v1/modules", cases.request("tunnel", "third_party"),
                                    token=toks["third_party"]), 201)
        assert r.json["verdict"] == "sandboxed"
        g = d.get(f"/v1/modules/{r.json['id']}", token=toks["third_party"]).json
        assert g["verdict"] == "sandboxed" and "ChangeEnforcer" in g["report"]["deployed_config"]
        r = it.expect_status(d.post("/v1/modules", cases.request("tunnel", "client"),
                                    token=toks["client"]), 201)
        assert r.json["verdict"] == "safe"
        # a stock reverse proxy sends from its own address: $MODULE_IP was
        # defined as the address it got before its configuration was parsed
        r = it.expect_status(d.post("/v1/modules", cases.request("reverse-proxy", "third_party"),
                                    token=toks["third_party"]), 201)
        assert r.json["verdict"] == "safe", r.json["verdict"]
        dep = r.json["report"]["deployed_config"]
        assert f"pattern {r.json['address']['ip']} 1024-65535 198.51.100.10 80" in dep, dep
        assert "$MODULE_IP" not in dep
        g = d.get(f"/v1/modules/{r.json['id']}", token=toks["third_party"]).json
        assert g["stock"] == "reverse-proxy" and g["params"]["origin"] == "198.51.100.10" and g["config"] is None
        r = it.expect_status(d.post("/v1/modules", cases.request("nat", "operator"),
                                    token=toks["operator"]), 201)
        assert r.json["platform"] is None and r.json["inline"] == cases.INLINE, r.json
        # a transit box for a tenant: refused, nothing recorded
        r = it.expect_status(d.post("/v1/modules", cases.request("nat", "client"),
                                    token=toks["client"]), 422, "needs_transit")
        assert len(d.get("/v1/modules", token=toks["client"]).json["modules"]) == 1


# ---- abuse ---------------------------------------------------------------------

SPOOF = ("// rewrites the source to a victim's address\n"
         "FromNetFront() -> IPFilter(allow udp, deny all)\n"
         "  -> IPRewriter(pattern 8.8.8.8 - 198.51.100.10 - 0 0) -> ToNetFront();\n")
FIXED = ("// sends everything it gets to a fixed outside address\n"
         "FromNetFront() -> IPFilter(allow udp, deny all)\n"
         "  -> IPRewriter(pattern $MODULE_IP - 8.8.8.8 53 0 0) -> ToNetFront();\n")
PAYLOAD = ("// 'answers' to an address taken from the payload (amplification)\n"
           "FromNetFront() -> IPFilter(allow ip proto 4, deny all) -> Strip(20) -> CheckIPHeader\n"
           "  -> IPRewriter(pattern $MODULE_IP - - - 0 0) -> ToNetFront();\n")
SPOOF_REPLY = ("// answers with the source of its choosing\n"
               "FromNetFront() -> IPFilter(allow udp, deny all) -> IPMirror\n"
               "  -> IPRewriter(pattern 203.0.113.7 - - - 0 0) -> ToNetFront();\n")


def test_spoofing_and_reflection_never_safe():
    with daemon() as d:
        tp = tenant(d, "tp", "third_party", addresses=["198.51.100.0/24"], whitelist=["203.0.113.0/24"])
        cl = tenant(d, "cl", "client", addresses=["172.16.15.0/24"])
        for tok, kind in ((tp, "third_party"), (cl, "client")):
            for name, cfg, want_rule in (("spoof", SPOOF, "anti-spoofing"),
                                         ("spoofreply", SPOOF_REPLY, "anti-spoofing"),
                                         ("fixed", FIXED, "default-off"),
                                         ("payload", PAYLOAD, "default-off")):
                if kind == "client" and want_rule == "default-off":
                    continue  # clients may send anywhere (docs/security.md)
                r = it.expect_status(d.post("/v1/check", {"name": name, "config": cfg}, token=tok), 200)
                v = r.json["verdict"]
                assert v in ("rejected", "sandboxed"), (kind, name, v)
                rep = r.json["report"]
                sec = {x["rule"]: x for x in (rep.get("security") or rep["candidates"][-1]["security"])["rules"]}
                assert sec[want_rule]["result"] in ("fail", "partial"), (kind, name, sec)
                assert sec[want_rule]["violations"], (kind, name, sec)
                r = d.post("/v1/modules", {"name": name, "config": cfg}, token=tok)
                if v == "rejected":
                    it.expect_status(r, 422, "security_rules")
                else:
                    it.expect_status(r, 201)
                    assert r.json["verdict"] == "sandboxed"
                    assert "ChangeEnforcer" in r.json["report"]["deployed_config"]
        # a spoofing module is rejected outright, never deployed
        assert all(m["name"] != "spoof" for m in d.get("/v1/modules", token=tp).json["modules"])


# ---- isolation -----------------------------------------------------------------

def test_cross_tenant():
    with daemon() as d:
        a = tenant(d, "a", "client", addresses=["172.16.15.133/32"])
        b = tenant(d, "b", "client", addresses=["172.16.20.0/24"])
        m = it.expect_status(d.post("/v1/modules", FIG4, token=a), 201).json
        it.expect_status(d.get(f"/v1/modules/{m['id']}", token=b), 404, "not_found")
        it.expect_status(d.delete(f"/v1/modules/{m['id']}", token=b), 404, "not_found")
        assert d.get("/v1/modules", token=b).json["modules"] == []
        # b cannot check against a's module: the name does not exist for b
        probe = {"name": "probe", "config": "FromNetFront() -> IPMirror -> ToNetFront();",
                 "requirements": "reach from internet -> batcher -> client\n"}
        r = it.expect_status(d.post("/v1/check", probe, token=b), 400, "unknown_node")
        assert r.json["error"]["message"] == "requirements:1:24: unknown node 'batcher'", r.json
        # b may use the same name: names are per tenant
        r = it.expect_status(d.post("/v1/modules", dict(FIG4, requirements=""), token=b), 201)
        assert r.json["address"]["ip"] != m["address"]["ip"]
        # a's module is untouched
        assert it.expect_status(d.get(f"/v1/modules/{m['id']}", token=a), 200).json["state"] == "deployed"
        # the operator token does not see tenant endpoints
        it.expect_status(d.get("/v1/modules"), 403, "forbidden")


# ---- placement, capacity, races ---------------------------------------------------

def small_net(tmpdir, capacity):
    net = json.load(open(NET))
    for n in net["nodes"]:
        if n["name"] == "platform3":
            n["capacity"] = capacity
    p = os.path.join(tmpdir, "net.json")
    with open(p, "w") as f:
        json.dump(net, f)
    return p


def batcher(name):
    r = copy.deepcopy(FIG4)
    r["name"] = name
    r["requirements"] = r["requirements"].replace("batcher:dst:0", f"{name}:dst:0")
    return r


def test_race_for_capacity():
    import tempfile
    tmp = tempfile.mkdtemp(prefix="innet-ctl-")
    # (50 deploys of one tenant at once: above the default tenant-inflight)
    with daemon(network=small_net(tmp, 10), args=["--tenant-inflight", "50"]) as d:
        tok = tenant(d, "phone", "client", addresses=["172.16.15.133/32"])
        results = [None] * 50

        def go(i):
            c = d.client(token=tok)
            try:
                results[i] = c.post("/v1/modules", batcher(f"b{i}"))
            finally:
                c.close()

        ts = [threading.Thread(target=go, args=(i,)) for i in range(50)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        ok = [r for r in results if r.status == 201]
        full = [r for r in results if r.status == 503]
        assert len(ok) == 10, [r.status for r in results]
        assert len(full) == 40, [(r.status, r.error_code) for r in results if r.status != 201]
        assert all(r.error_code == "no_capacity" for r in full)
        ips = [r.json["address"]["ip"] for r in ok]
        assert len(set(ips)) == 10 and all(r.json["platform"] == "platform3" for r in ok), ips
        assert all(ipaddress.ip_address(ip) in PLATFORM3 for ip in ips)
        plats = {p["name"]: p for p in d.get("/v1/platforms").json["platforms"]}
        assert plats["platform3"]["modules"] == 10
        assert len(d.get("/v1/modules", token=tok).json["modules"]) == 10
        # a kill frees a slot (and its address) for the next one; which
        # addresses won depends on which verifications finished first, so
        # the next one gets the victim's or a lower one that lost its race
        victim = min((r.json for r in ok), key=lambda m: ipaddress.ip_address(m["address"]["ip"]))
        it.expect_status(d.delete(f"/v1/modules/{victim['id']}", token=tok), 204)
        r = it.expect_status(d.post("/v1/modules", batcher("late"), token=tok), 201)
        late = ipaddress.ip_address(r.json["address"]["ip"])
        assert late <= ipaddress.ip_address(victim["address"]["ip"]), (late, victim)
        assert str(late) not in set(ips) - {victim["address"]["ip"]}
        it.expect_status(d.post("/v1/modules", batcher("later"), token=tok), 503, "no_capacity")


def test_kill_and_restart():
    with daemon() as d:
        tok = tenant(d, "phone", "client", addresses=["172.16.15.133/32"])
        m1 = it.expect_status(d.post("/v1/modules", batcher("one"), token=tok), 201).json
        m2 = it.expect_status(d.post("/v1/modules", batcher("two"), token=tok), 201).json
        before = d.get(f"/v1/modules/{m2['id']}", token=tok).json
        it.expect_status(d.delete(f"/v1/modules/{m1['id']}", token=tok), 204)
        it.expect_status(d.delete(f"/v1/modules/{m1['id']}", token=tok), 404)
        assert d.get(f"/v1/modules/{m1['id']}", token=tok).json["state"] == "killed"
        d.restart()
        after = it.expect_status(d.get(f"/v1/modules/{m2['id']}", token=tok), 200).json
        for k in ("address", "platform", "verdict", "report", "state", "config", "requirements"):
            assert after[k] == before[k], k
        assert [m["name"] for m in d.get("/v1/modules", token=tok).json["modules"]] == ["two"]
        all_ = d.get("/v1/modules?all=1", token=tok).json["modules"]
        assert sorted(m["name"] for m in all_) == ["one", "two"]
        # after the restart the freed address is handed out again, the taken one is not
        m3 = it.expect_status(d.post("/v1/modules", batcher("three"), token=tok), 201).json
        assert m3["address"]["ip"] == m1["address"]["ip"] != m2["address"]["ip"]
        it.expect_status(d.post("/v1/modules", batcher("two"), token=tok), 409, "name_taken")


# ---- policy and network changes ------------------------------------------------------

def test_policy_recheck():
    with daemon() as d:
        tok = tenant(d, "phone", "client", addresses=["172.16.15.133/32"])
        m = it.expect_status(d.post("/v1/modules", FIG4, token=tok), 201).json
        stmt = "never from internet udp -> client udp dst port 1500"
        r = it.expect_status(d.post("/v1/policies", {"text": stmt}), 409, "policy_conflict")
        v = r.json["error"]["details"]["violations"]
        assert [x["module_id"] for x in v] == [m["id"]] and v[0]["module"] == "batcher", v
        assert v[0]["statement"] == stmt and v[0]["trace"], v[0]
        n = len(d.get("/v1/policies").json["policies"])
        r = it.expect_status(d.post("/v1/policies", {"text": stmt, "force": True}), 201)
        assert [x["module_id"] for x in r.json["violations"]] == [m["id"]]
        assert len(d.get("/v1/policies").json["policies"]) == n + 1
        # a statement no module breaks is simply added
        r = it.expect_status(d.post("/v1/policies", {"text": "reach from client tcp -> internet"}), 201)
        assert r.json["violations"] == []
        # syntax errors say where
        r = it.expect_status(d.post("/v1/policies", {"text": "reach from client ->"}), 400, "invalid_policy")
        e = r.json["error"]["details"]["errors"][0]
        assert e["line"] == 1 and e["column"] >= 1
        # and the new policy now binds new deploys: the batcher would break it
        it.expect_status(d.post("/v1/modules", batcher("again"), token=tok), 422)


def test_network_recheck():
    with daemon() as d:
        tok = tenant(d, "phone", "client", addresses=["172.16.15.133/32"])
        it.expect_status(d.post("/v1/modules", FIG4, token=tok), 201)
        net = json.load(open(NET))
        for n in net["nodes"]:
            if n["name"] == "fw":  # the firewall stops letting the internet open flows to platform3
                n["click"] = n["click"].replace("public[0] -> ToDevice(1);", "public[0] -> Discard;")
        r = it.expect_status(d.put("/v1/network", net), 409, "network_conflict")
        v = r.json["error"]["details"]["violations"]
        assert v and v[0]["module"] == "batcher" and "reach" in v[0]["statement"], v
        assert d.get("/v1/network").json["version"] == 1
        r = it.expect_status(d.put("/v1/network?force=true", net), 200)
        assert d.get("/v1/network").json["version"] == 2
        # a network that keeps the module's requirements is accepted at once
        it.expect_status(d.put("/v1/network", json.load(open(NET))), 200)


# ---- limits ----------------------------------------------------------------------

def test_quota_and_rate():
    with daemon() as d:
        tok = tenant(d, "small", "client", addresses=["172.16.15.133/32"], quotas={"modules": 1})
        it.expect_status(d.post("/v1/modules", batcher("one"), token=tok), 201)
        it.expect_status(d.post("/v1/modules", batcher("two"), token=tok), 429, "quota_exceeded")
        assert len(d.get("/v1/modules", token=tok).json["modules"]) == 1
    with daemon(args=["--tenant-rps", "1"]) as d:
        tok = tenant(d, "slow", "client", addresses=["172.16.15.133/32"])
        codes = [d.post("/v1/check", FIG4, token=tok).status for _ in range(4)]
        assert codes[0] == 200 and 429 in codes, codes
        r = d.post("/v1/check", FIG4, token=tok)
        if r.status == 429:
            it.expect_status(r, 429, "rate_limited")


def test_tenant_rps():
    """A tenant's own rps quota replaces tenant-rps for it alone."""
    with daemon() as d:
        r = it.expect_status(d.post("/v1/tenants", {
            "name": "slow", "kind": "client", "addresses": ["172.16.15.133/32"],
            "quotas": {"rps": 1}}), 201)
        assert r.json["quotas"]["rps"] == 1
        assert d.get(f"/v1/tenants/{r.json['id']}").json["quotas"]["rps"] == 1
        slow = r.json["token"]
        fast = tenant(d, "fast", "client", addresses=["172.16.15.133/32"])
        # a burst of twice the rate, then 429 on a quick next check
        codes = [d.post("/v1/check", FIG4, token=slow).status for _ in range(3)]
        assert codes[:2] == [200, 200] and codes[2] == 429, codes
        it.expect_status(d.post("/v1/check", FIG4, token=slow), 429, "rate_limited")
        assert [d.post("/v1/check", FIG4, token=fast).status for _ in range(4)] == [200] * 4


def test_too_complex():
    """A configuration whose symbolic state explodes (independent bit tests
    on the source address) is refused with a clear error, not left running."""
    n = 16
    lines = [f"c{i} :: Classifier({12 + i // 8}/{1 << (i % 8):02x}%{1 << (i % 8):02x}, -);" for i in range(n)]
    lines += ["out :: ToNetFront();", "FromNetFront() -> c0;"]
    for i in range(n):
        nxt = f"c{i + 1}" if i + 1 < n else "out"
        lines.append(f"c{i}[0] -> {nxt}; c{i}[1] -> {nxt};")
    boom = {"name": "boom", "config": "\n".join(lines)}
    with daemon(args=["--verify-steps", "500"]) as d:
        tok = tenant(d, "c", "client")
        for path in ("/v1/check", "/v1/modules"):
            r = it.expect_status(d.post(path, boom, token=tok), 422, "too_complex")
            assert "simplify" in r.json["error"]["message"], r
        assert d.get("/v1/modules", token=tok).json["modules"] == []
        # the daemon still answers normally
        it.expect_status(d.post("/v1/check", FIG4, token=tok), 200)


def test_delete_tenant_after_its_modules_are_killed():
    """A tenant with a live module cannot be deleted (409); once the module
    is killed it can (204), and its killed module goes with it."""
    with daemon() as d:
        r = it.expect_status(d.post("/v1/tenants", {"name": "phone", "kind": "client",
                                                    "addresses": ["172.16.15.133/32"]}), 201)
        tid, tok = r.json["id"], r.json["token"]
        m = it.expect_status(d.post("/v1/modules", FIG4, token=tok), 201).json
        it.expect_status(d.delete(f"/v1/tenants/{tid}"), 409)
        it.expect_status(d.delete(f"/v1/modules/{m['id']}", token=tok), 204)
        it.expect_status(d.delete(f"/v1/tenants/{tid}"), 204)
        it.expect_status(d.get(f"/v1/tenants/{tid}"), 404)
        plats = {p["name"]: p for p in d.get("/v1/platforms").json["platforms"]}
        assert plats["platform3"]["modules"] == 0, plats


it.main()
