"""A tenant's report keeps the operator's network private (docs/privacy.md):
on the Figure 3 network a tenant's check, deploy and module reports name no
node or element of the operator's network, quote no policy statement and
show no routed prefix, yet say which requirement, policy or rule decided
and where the flow entered and left the tenant's view; the operator (an
operator-kind tenant, the admin token on GET /v1/modules/{id}) sees it all;
tenant-report-detail = full shows it all to tenants too, none hides traces."""
import ipaddress
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import innet_test as it  # noqa: E402
import cases  # noqa: E402

NET = it.example("figure3-network.json")
POLICY = it.example("figure3-policy.reach")
FIG4 = json.load(open(it.example("figure4-request.json")))
SNAP = json.load(open(NET))
# a client module that lets the internet open web connections to a client:
# it breaks the operator's policies (its failure is a policy's)
OPENER = {"name": "opener", "config": "FromNetFront() -> IPFilter(allow tcp dst port 80) -> "
          "IPRewriter(pattern - - 172.16.15.10 - 0 0) -> ToNetFront();"}


def statements():
    return [l.strip() for l in open(POLICY) if l.strip() and not l.startswith("#")]


def internal_names():
    """What a tenant must not read: every node of the snapshot but the
    hosts it names by role ("internet") and the platforms (an answer says
    where the module runs), every named element of the operator's
    middleboxes (as node/element and node:element too), and its anonymous
    elements of classes the tenant's module does not use."""
    names, elements = set(), set()
    for n in SNAP["nodes"]:
        if n["type"] == "platform" or (n["type"] == "hosts" and n["name"] == n["role"]):
            continue
        names.add(n["name"])
        for e in re.findall(r"(\w+)\s*::", n.get("click", "")):
            elements |= {f"{n['name']}/{e}", f"{n['name']}:{e}", f'"{e}"'}
        for cls in re.findall(r"(\w+)\s*\(", n.get("click", "")):
            if cls not in FIG4["config"] and cls not in OPENER["config"]:
                elements.add(f"{cls}@")
    return names, elements


def prefixes():
    """Every prefix the operator routes or owns, as CIDR text and as the
    start of a range ("10.1.0.0-...")."""
    out = set()
    for n in SNAP["nodes"]:
        ps = [r["prefix"] for r in n.get("routes", [])] + n.get("prefixes", [])
        ps += [n["pool"]] if "pool" in n else []
        for p in ps:
            net = ipaddress.ip_network(p)
            out.add(p)
            if net.prefixlen:
                out.add(f"{net.network_address}-")
                out.add(f"{net.broadcast_address}")
    return out


def leaks(body):
    """The operator internals found in a JSON answer's whole text (but the
    security rules' fixed explanations: "clients may send to any ..." is
    English, not the node "clients")."""
    body = json.loads(json.dumps(body))
    for o in walk(body):
        if "rule" in o and "why" in o:
            del o["why"]
    text = json.dumps(body)
    names, elements = internal_names()
    found = [n for n in names if re.search(r"(?<![\w@.-])" + re.escape(n) + r"(?![\w@-])", text)]
    found += [e for e in elements if e in text]
    found += [s for s in statements() if s in text]
    found += [p for p in prefixes() if p in text]
    return sorted(found)


def tenant(d, name, kind, **extra):
    return it.expect_status(d.post("/v1/tenants", dict(extra, name=name, kind=kind)), 201).json["token"]


def hops(trace):
    return [h["node"] for h in trace["hops"]]


def walk(x):
    if isinstance(x, dict):
        yield x
        for v in x.values():
            yield from walk(v)
    elif isinstance(x, list):
        for v in x:
            yield from walk(v)


def test_tenant_sees_the_boundary():
    with it.Daemon(network=NET, policy=POLICY) as d:
        tok = tenant(d, "c", "client", **cases.TENANTS["client"])
        r = it.expect_status(d.post("/v1/check", FIG4, token=tok), 200)
        assert r.json["verdict"] == "safe", r.json
        assert leaks(r.json) == [], leaks(r.json)
        rep = r.json["report"]
        # which requirement decided, and the flow through its own module in full
        res = rep["requirements"]["results"][0]
        assert res["statement"] == FIG4["requirements"].strip().split("\n")[-1] and res["verdict"] == "holds"
        path = hops(res["trace"])
        assert path[0] == "internet" and path[-1] == "client", path
        # entered and left the tenant's view through the operator's network
        i, j = path.index("batcher"), len(path) - 1 - path[::-1].index("batcher")
        assert path[i - 1] == "operator network" and path[j + 1] == "operator network", path
        assert rep["requirements"]["results"][0]["trace"]["hops"][i - 1]["boundary"] is True
        elems = [h["element"] for h in res["trace"]["hops"] if h["node"] == "batcher"]
        assert "dst" in elems and "IPRewriter@3" in elems, elems
        # the policies by number and verdict, never their text
        pol = rep["policies"]["results"]
        assert [p["policy"] for p in pol] == [1, 2, 3, 4] and all(p["verdict"] == "holds" for p in pol)
        assert not any("statement" in p for p in pol)
        # what the operator's network makes of addresses is hidden, the module's own are not
        batcher_out = [h for h in res["trace"]["hops"] if h["element"] == "dst"][0]
        assert batcher_out["fields"]["dst"]["value"] == "172.16.15.133", batcher_out
        assert res["trace"]["witness"]["dst"] == "172.16.15.133"

        # a requirement that fails: the rejection names it and stays private
        bad = dict(FIG4, requirements=FIG4["requirements"].replace("dst port 1500", "dst port 1501"))
        r = it.expect_status(d.post("/v1/check", bad, token=tok), 200)
        assert r.json["verdict"] == "rejected" and leaks(r.json) == [], leaks(r.json)
        fails = [p["failure"] for p in r.json["reason"]["details"]["platforms"]]
        assert all(f["kind"] == "requirement" and "1501" in f["statement"] for f in fails), fails

        # an operator policy that fails: named by its number, with no text
        r = it.expect_status(d.post("/v1/check", OPENER, token=tok), 200)
        assert r.json["verdict"] == "rejected" and leaks(r.json) == [], leaks(r.json)
        fails = [p["failure"] for p in r.json["reason"]["details"]["platforms"] if p["failure"]]
        pf = [f for f in fails if f["kind"] == "policy"]
        assert pf and all(1 <= f["policy"] <= 4 and "statement" not in f for f in pf), fails

        # a deploy's answer and the module's report as the tenant reads it
        r = it.expect_status(d.post("/v1/modules", FIG4, token=tok), 201)
        assert leaks(r.json) == [], leaks(r.json)
        got = it.expect_status(d.get(f"/v1/modules/{r.json['id']}", token=tok), 200)
        assert leaks(got.json) == [] and got.json["report"]["requirements"]["ok"], leaks(got.json)

        # the operator reads the same module in full
        full = it.expect_status(d.get(f"/v1/modules/{r.json['id']}"), 200)
        found = leaks(full.json)
        for want in ("fw", "border", "core", "clients", statements()[0]):
            assert want in found, found
        it.expect_status(d.get("/v1/modules/999999"), 404, "not_found")


def test_operator_view_is_full():
    """An operator-kind tenant's check of the same request shows the whole trace."""
    with it.Daemon(network=NET, policy=POLICY) as d:
        tok = tenant(d, "op", "operator")
        r = it.expect_status(d.post("/v1/check", FIG4, token=tok), 200)
        found = leaks(r.json)
        for want in ("fw", "border", "core", "clients", "172.16.0.0/16"):
            assert want in found, found
        assert all(s in found for s in statements()), found
        path = hops(r.json["report"]["requirements"]["results"][0]["trace"])
        assert "operator network" not in path and "fw" in path, path


def test_setting_reveals_or_hides():
    for detail in ("full", "none"):
        with it.Daemon(network=NET, policy=POLICY, args=["--tenant-report-detail", detail]) as d:
            assert d.get("/v1/config").json["tenant-report-detail"] == detail
            tok = tenant(d, "c", "client", **cases.TENANTS["client"])
            r = it.expect_status(d.post("/v1/check", FIG4, token=tok), 200)
            rb = it.expect_status(d.post("/v1/check", OPENER, token=tok), 200)
            if detail == "full":
                found = leaks(r.json)
                assert "fw" in found and statements()[0] in found, found
            else:
                assert leaks(r.json) == [] and leaks(rb.json) == [], (leaks(r.json), leaks(rb.json))
                for body in (r.json, rb.json):
                    assert not any("trace" in o or "loop_trace" in o for o in walk(body)), body
                assert r.json["report"]["requirements"]["results"][0]["verdict"] == "holds"
    with it.Daemon(network=NET, policy=POLICY) as d:
        assert d.get("/v1/config").json["tenant-report-detail"] == "boundary"


def test_cli_prints_both_views():
    """innet check prints the tenant's boundary hops and the operator's full trace."""
    with it.Daemon(network=NET, policy=POLICY) as d:
        req = os.path.join(d.dir, "fig4.json")
        json.dump(FIG4, open(req, "w"))
        for kind, want, never in (("client", "(operator network)", "fw/"), ("operator", "fw/", "(operator network)")):
            tok = tenant(d, kind, kind, **cases.TENANTS[kind])
            env = {k: v for k, v in os.environ.items() if k not in ("INNET_SERVER", "INNET_TOKEN")}
            env["HOME"] = d.dir  # no user config file leaks in
            env.pop("XDG_CONFIG_HOME", None)
            p = subprocess.run([it.INNET_CLI, "check", req, "--server", d.url, "--token", tok],
                               capture_output=True, text=True, env=env, timeout=60)
            assert p.returncode == 0, p.stderr
            assert want in p.stdout and never not in p.stdout, p.stdout
            if kind == "client":
                assert "policy 1" in p.stdout, p.stdout


if __name__ == "__main__":
    it.main()
