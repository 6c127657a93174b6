"""The operator's controls in the `innet` command (docs/operator.md) against
the real innetd: innet tenant suspend|resume|rotate|set by name or id, innet
rm ID with the operator token (any tenant's module) and innet rm --tenant
(the tenant with its modules); exit codes 0 ok, 1 refused, 2 usage."""
import atexit
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
import innet_test as it  # noqa: E402

NETWORK = it.example("figure3-network.json")
ECHO = "FromNetFront() -> IPFilter(allow udp dst port 7, deny all) -> IPMirror -> ToNetFront();"
HOME = tempfile.mkdtemp(prefix="innet-opscli-home-")
atexit.register(shutil.rmtree, HOME, True)


def cli(d, *args, token=None):
    e = {k: v for k, v in os.environ.items() if k not in ("INNET_SERVER", "INNET_TOKEN")}
    e["HOME"] = HOME
    e.pop("XDG_CONFIG_HOME", None)
    argv = [it.INNET_CLI] + list(args) + ["--server", d.url, "--token", token or d.token]
    return it.run(argv, env=e, timeout=60)


def ok(r):
    assert r.returncode == 0, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    return r


def refused(r, code):
    assert r.returncode == 1 and code in r.stderr, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"


def deploy(d, token, name):
    r = ok(cli(d, "deploy", "--name", name, "--config", cfg_file(), "--json", token=token))
    return json.loads(r.stdout)["id"]


def cfg_file():
    p = os.path.join(HOME, "echo.click")
    with open(p, "w") as f:
        f.write(ECHO)
    return p


def test_tenant_controls():
    with it.Daemon(network=NETWORK) as d:
        out = ok(cli(d, "tenant", "add", "abuser", "--kind", "client", "--address", "172.16.15.0/24")).stdout
        tok = out.split("token: ")[1].split()[0]
        tid = d.get("/v1/tenants").json["tenants"][0]["id"]
        m = deploy(d, tok, "e1")
        # suspend by name: the token is refused at once
        r = ok(cli(d, "tenant", "suspend", "abuser"))
        assert r.stdout.strip() == f"tenant {tid} 'abuser' suspended (1 module(s) held)", r.stdout
        refused(cli(d, "ls", token=tok), "tenant_suspended")
        held = json.loads(ok(cli(d, "show", str(m), "--json")).stdout)
        assert held["held"] is True, held
        r = ok(cli(d, "tenant", "resume", str(tid)))
        assert r.stdout.strip() == f"tenant {tid} 'abuser' resumed (1 module(s) released)", r.stdout
        ok(cli(d, "ls", token=tok))
        # rotate: the new token works, the old one does not
        r = ok(cli(d, "tenant", "rotate", "abuser"))
        new = r.stdout.split("new token: ")[1].split()[0]
        refused(cli(d, "ls", token=tok), "unauthorized")
        ok(cli(d, "ls", token=new))
        # set: lists replaced, quotas merged
        ok(cli(d, "tenant", "set", "abuser", "--whitelist", "198.51.100.0/24", "--quota", "modules=1",
               "--quota", "rps=40"))
        t = d.get(f"/v1/tenants/{tid}").json
        assert t["whitelist"] == ["198.51.100.0/24"] and t["addresses"] == ["172.16.15.0/24"], t
        assert t["quotas"]["modules"] == 1 and t["quotas"]["rps"] == 40, t
        ok(cli(d, "tenant", "set", str(tid), "--no-whitelist"))
        assert d.get(f"/v1/tenants/{tid}").json["whitelist"] == []
        refused(cli(d, "tenant", "set", "abuser", "--address", "10.0.0.1/8"), "invalid_prefix")
        refused(cli(d, "tenant", "set", "abuser", "--quota", "cpu=1"), "unknown_field")
        # usage errors and unknown tenants
        for args in (("tenant", "set", "abuser"), ("tenant", "set", "abuser", "--quota", "modules"),
                     ("tenant", "suspend"), ("tenant", "rotate", "a", "b"), ("rm", "--tenant")):
            r = cli(d, *args)
            assert r.returncode == 2, (args, r.returncode, r.stderr)
        r = cli(d, "tenant", "suspend", "nobody")
        assert r.returncode == 1 and "no tenant called 'nobody'" in r.stderr, r.stderr
        # --json prints the server's answer
        j = json.loads(ok(cli(d, "tenant", "suspend", "abuser", "--json")).stdout)
        assert j["suspended"] is True and j["modules_held"] == 1, j
        ok(cli(d, "tenant", "resume", "abuser"))


def test_operator_rm():
    with it.Daemon(network=NETWORK) as d:
        toks = {}
        for name in ("a", "b"):
            out = ok(cli(d, "tenant", "add", name, "--kind", "client", "--address", "172.16.15.0/24")).stdout
            toks[name] = out.split("token: ")[1].split()[0]
        m1, m2 = deploy(d, toks["a"], "e1"), deploy(d, toks["a"], "e2")
        kb = deploy(d, toks["b"], "k")
        # another tenant cannot kill it; the operator can
        refused(cli(d, "rm", str(m1), token=toks["b"]), "not_found")
        assert ok(cli(d, "rm", str(m1))).stdout.strip() == f"module {m1} killed"
        refused(cli(d, "tenant", "rm", "1"), "tenant_has_modules")
        r = ok(cli(d, "rm", "--tenant", "a"))
        assert r.stdout.strip() == "tenant 1 removed with its modules", r.stdout
        assert [t["name"] for t in d.get("/v1/tenants").json["tenants"]] == ["b"]
        it.expect_status(d.get(f"/v1/modules/{m2}"), 404)
        assert d.get(f"/v1/modules/{kb}").json["state"] == "deployed"
        refused(cli(d, "rm", "--tenant", "a"), "no tenant called 'a'")
        refused(cli(d, "rm", "--tenant", "b", token=toks["b"]), "forbidden")


it.main()
