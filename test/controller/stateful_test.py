"""Stateful modules in the control plane (docs/stateful.md), over real HTTP
against innetd with a real SQLite registry: which modules are stateful
(decided from their elements, with the sandbox's enforcers), the tenants'
flow and memory quotas and their defaults, the module's suspend counters
and stored state, /metrics, and SIGTERM's suspend-all. The dataplane is
none: nothing runs, so nothing is suspended; the stored states are written
as the platform's on_suspend writes them."""
import glob
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import innet_test as it  # noqa: E402
import cases  # noqa: E402

NET = it.example("figure3-network.json")
POLICY = it.example("figure3-policy.reach")
FIG4 = json.load(open(it.example("figure4-request.json")))
# a UDP echo: nothing in it keeps state
ECHO = {"name": "echo",
        "config": "FromNetFront() -> IPFilter(allow udp dst port 7, deny all) -> IPMirror -> ToNetFront();"}
NEW_FAMILIES = ["innet_module_table_entries gauge", "innet_module_table_full_drops_total counter",
                "innet_module_suspends_total counter", "innet_module_resumes_total counter",
                "innet_modules_suspended gauge", "innet_state_save_failures_total counter"]


def daemon(**kw):
    kw.setdefault("network", NET)
    kw.setdefault("policy", POLICY)
    return it.Daemon(**kw)


def tenant(d, name, kind, **extra):
    return it.expect_status(d.post("/v1/tenants", dict(extra, name=name, kind=kind)), 201).json


def classes(answer):
    return sorted(e["class"] for e in answer["stateful_elements"])


def test_stateful_detection():
    with daemon() as d:
        phone = tenant(d, "phone", "client", addresses=["172.16.15.0/24"])["token"]
        # the batcher: a rewriter and a queue
        r = it.expect_status(d.post("/v1/check", FIG4, token=phone), 200).json
        assert r["verdict"] == "safe" and r["stateful"] is True, r
        assert classes(r) == ["IPRewriter", "Queue"], r["stateful_elements"]
        assert r["report"]["stateful"] is True
        assert r["report"]["stateful_elements"] == r["stateful_elements"]
        # a NAT (the operator's, on-path): its rewriter by name
        op = tenant(d, "op", "operator")["token"]
        r = it.expect_status(d.post("/v1/check", cases.request("nat", "operator"), token=op), 200).json
        assert r["verdict"] == "safe" and r["stateful"] is True, r
        assert r["stateful_elements"] == [{"element": "rw", "class": "IPRewriter"}], r
        # nothing to keep
        r = it.expect_status(d.post("/v1/check", ECHO, token=phone), 200).json
        assert r["verdict"] == "safe" and r["stateful"] is False and r["stateful_elements"] == [], r
        m = it.expect_status(d.post("/v1/modules", ECHO, token=phone), 201).json
        assert m["stateful"] is False
        # a third party's tunnel is sandboxed: the enforcer it runs with counts
        tp = tenant(d, "tp", "third_party", **cases.TENANTS["third_party"])["token"]
        m = it.expect_status(d.post("/v1/modules", cases.request("tunnel", "third_party"), token=tp),
                             201).json
        assert m["verdict"] == "sandboxed" and m["stateful"] is True, m
        assert "ChangeEnforcer" in classes(m), m["stateful_elements"]
        g = it.expect_status(d.get(f"/v1/modules/{m['id']}", token=tp), 200).json
        assert g["stateful"] is True and g["stateful_elements"] == m["stateful_elements"]
        assert [x["stateful"] for x in d.get("/v1/modules", token=tp).json["modules"]] == [True]
        # recorded in the registry
        db = sqlite3.connect(d.db)
        rows = dict(db.execute("SELECT name, stateful FROM modules").fetchall())
        els = json.loads(db.execute("SELECT stateful_elements FROM modules WHERE id = ?",
                                    (m["id"],)).fetchone()[0])
        db.close()
        assert rows == {"echo": 0, "tunnel": 1}, rows
        assert els == m["stateful_elements"]


def test_stock_modules_declare_state_and_quotas():
    with daemon() as d:
        tok = tenant(d, "both", "client", addresses=["172.16.15.0/24", "198.51.100.0/24"],
                     quotas={"flows": 2048})["token"]
        stock = {s["name"]: s for s in d.get("/v1/stock", token=tok).json["stock"]}
        for name, s in stock.items():
            # every stock template forwards through a rewriter: flow mappings
            assert s["stateful"] is True and "IPRewriter" in classes(s), (name, s)
        assert "Queue" in classes(stock["udp-batcher"])
        accepted = 0
        for path in sorted(glob.glob(os.path.join(os.path.dirname(NET), "stock-*.json"))):
            req = json.load(open(path))
            r = it.expect_status(d.post("/v1/check", req, token=tok), 200).json
            if r["verdict"] == "rejected":
                continue
            accepted += 1
            assert r["stateful"] is True and classes(r) == classes(stock[req["stock"]]), (path, r)
            assert r["quotas"] == {"flows": 2048, "memory_mb": 16}, (path, r["quotas"])
        assert accepted >= 3, accepted


def test_quotas_from_tenants_and_settings():
    with daemon(args=["--module-flows", "5000"]) as d:
        cfg = d.get("/v1/config").json
        assert cfg["module-flows"] == 5000 and cfg["module-memory-mb"] == 16, cfg
        t = tenant(d, "own", "client", addresses=["172.16.15.0/24"],
                   quotas={"flows": 1000, "memory_mb": 4, "rps": 50})
        assert t["quotas"]["flows"] == 1000 and t["quotas"]["memory_mb"] == 4, t
        assert d.get(f"/v1/tenants/{t['id']}").json["quotas"] == t["quotas"]
        own = {"flows": 1000, "memory_mb": 4}
        r = it.expect_status(d.post("/v1/check", FIG4, token=t["token"]), 200).json
        assert r["quotas"] == own, r
        m = it.expect_status(d.post("/v1/modules", FIG4, token=t["token"]), 201).json
        assert m["quotas"] == own, m
        assert d.get(f"/v1/modules/{m['id']}", token=t["token"]).json["quotas"] == own
        assert d.get("/v1/modules", token=t["token"]).json["modules"][0]["quotas"] == own
        # without its own: the settings
        o = tenant(d, "dflt", "client", addresses=["172.16.15.0/24"])
        assert o["quotas"]["flows"] == 0 and o["quotas"]["memory_mb"] == 0, o
        r = it.expect_status(d.post("/v1/check", FIG4, token=o["token"]), 200).json
        assert r["quotas"] == {"flows": 5000, "memory_mb": 16}, r
        for q, code in [({"flows": -1}, "wrong_type"), ({"flows": "many"}, "wrong_type"),
                        ({"flow": 1}, "unknown_field"), ({"memory_mb": 1.5}, "wrong_type")]:
            it.expect_status(d.post("/v1/tenants", {"name": "bad", "kind": "client", "quotas": q}),
                             400, code)
    with daemon() as d:
        cfg = d.get("/v1/config").json
        assert cfg["module-flows"] == 65536 and cfg["module-memory-mb"] == 16, cfg


def test_module_counters_and_stored_state():
    with daemon() as d:
        phone = tenant(d, "phone", "client", addresses=["172.16.15.0/24"])["token"]
        m = it.expect_status(d.post("/v1/modules", FIG4, token=phone), 201).json
        path = f"/v1/modules/{m['id']}"
        g = d.get(path, token=phone).json
        assert g["state"] == "deployed", g
        for k in ("suspends", "resumes", "last_suspend_us", "last_resume_us", "state_bytes"):
            assert g[k] == 0, (k, g)
        assert g["tables"] == [] and g["state_saved_at"] is None, g
        # a suspend stores the state as the platform does (one row, replaced)
        db = sqlite3.connect(d.db)
        for blob in (b"first", b"\x00state\xff"):
            db.execute("INSERT INTO module_state(module_id, state, bytes, saved_at) VALUES "
                       "(?, ?, ?, '2026-01-01T00:00:00.000Z') ON CONFLICT(module_id) DO UPDATE SET "
                       "state = excluded.state, bytes = excluded.bytes", (m["id"], blob, len(blob)))
            db.commit()
        db.close()
        g = d.get(path, token=phone).json
        assert g["state_bytes"] == 7 and g["state_saved_at"] == "2026-01-01T00:00:00.000Z", g
        # it survives innetd
        d.restart()
        g = d.get(path, token=phone).json
        assert g["state_bytes"] == 7 and g["stateful"] is True, g
        # and goes with the module
        it.expect_status(d.delete(path, token=phone), 204)
        db = sqlite3.connect(d.db)
        assert db.execute("SELECT count(*) FROM module_state").fetchone()[0] == 0
        db.close()
        g = d.get(path, token=phone).json
        assert g["state"] == "killed" and g["state_bytes"] == 0, g


def test_modules_from_before_version_4_are_decided_on_start():
    with daemon() as d:
        phone = tenant(d, "phone", "client", addresses=["172.16.15.0/24"])["token"]
        nat = it.expect_status(d.post("/v1/modules", FIG4, token=phone), 201).json
        echo = it.expect_status(d.post("/v1/modules", ECHO, token=phone), 201).json
        d.stop()
        db = sqlite3.connect(d.db)
        db.execute("UPDATE modules SET stateful = 0, stateful_elements = NULL")
        db.commit()
        db.close()
        d.start()
        g = d.get(f"/v1/modules/{nat['id']}", token=phone).json
        assert g["stateful"] is True and g["stateful_elements"] == nat["stateful_elements"], g
        assert d.get(f"/v1/modules/{echo['id']}", token=phone).json["stateful"] is False
        db = sqlite3.connect(d.db)
        assert db.execute("SELECT count(*) FROM modules WHERE stateful_elements IS NULL").fetchone()[0] == 0
        db.close()


def test_metrics_families():
    with daemon() as d:
        text = it.expect_status(d.get("/metrics"), 200).text
        for fam in NEW_FAMILIES:
            assert f"# TYPE {fam}\n" in text, (fam, text)
        assert "\ninnet_modules_suspended 0\n" in text
        assert "\ninnet_state_save_failures_total 0\n" in text


def test_sigterm_suspends_all_then_exits():
    with daemon() as d:
        phone = tenant(d, "phone", "client", addresses=["172.16.15.0/24"])["token"]
        it.expect_status(d.post("/v1/modules", FIG4, token=phone), 201)
        assert d.stop() == 0
        log = d.log()
        said = log.find("0 stateful module(s) suspended, their state stored")
        assert said >= 0, log
        assert said < log.find("main: stopped"), log
        d.start()  # and the registry is fine afterwards
        assert len(d.get("/v1/modules", token=phone).json["modules"]) == 1


it.main()
