"""The online `innet` subcommands against the real innetd: the Figure 4 story
(operator loads the network and a policy, creates the client tenant; the
tenant checks, deploys, lists, shows and kills the batcher), the refusals and
the exit codes (0 ok, 1 refused, 2 usage, 3 cannot connect), and where the
server and token come from (flags, then environment, then config file)."""

import atexit
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
import innet_test as it

NETWORK = it.example("figure3-network.json")
REQUEST = it.example("figure4-request.json")
POLICY = "never from internet tcp opt syn and not tcp opt ack -> client"

HOME = tempfile.mkdtemp(prefix="innet-cli-home-")  # no user config file leaks in
atexit.register(shutil.rmtree, HOME, True)


def cli(*args, server=None, token=None, env=None):
    """Run the CLI with a clean environment; server/token become flags."""
    e = {k: v for k, v in os.environ.items() if k not in ("INNET_SERVER", "INNET_TOKEN")}
    e["HOME"] = HOME
    e.pop("XDG_CONFIG_HOME", None)
    e.update(env or {})
    argv = [it.INNET_CLI] + list(args)
    if server:
        argv += ["--server", server]
    if token:
        argv += ["--token", token]
    return it.run(argv, env=e, timeout=120)


def ok(r):
    assert r.returncode == 0, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    return r


def dead_url():
    """A loopback port nobody listens on (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


def trace_hops(out):
    """The first trace in `out`: [(where, fields)] per hop, the wrapped
    continuation lines joined back to their hop."""
    hops, in_trace = [], False
    for line in out.splitlines():
        # a place: node:port, node/element[port], "(operator network)" (a boundary hop)
        m = re.match(r"^(\s+)(\d+)  (\([\w ]+\)|\S+(?: \(\w+\))?)(?:\s+(\S.*))?$", line)
        if m and int(m.group(2)) == len(hops) and (in_trace or m.group(2) == "0"):
            in_trace = True
            hops.append([m.group(3), (m.group(4) or "").strip()])
        elif in_trace and line.startswith("    ") and not line.lstrip().startswith("("):
            # a continuation: a field of its own (two blanks) or the rest of a wrapped one
            cont = line.strip()
            sep = "  " if re.match(r"^[A-Z]+(=| in |\*|$)", cont) and hops[-1][1] else " "
            hops[-1][1] = (hops[-1][1] + sep + cont).strip()
        elif in_trace:
            break
    return [tuple(h) for h in hops]


def operator_setup(d):
    """Network, one policy, the client tenant; returns the tenant's token."""
    r = ok(cli("network", "put", NETWORK, server=d.url, token=d.token))
    assert re.search(r"network snapshot version \d+ stored", r.stdout), r.stdout
    assert d.get("/v1/network").status == 200

    r = ok(cli("policy", "add", POLICY, server=d.url, token=d.token))
    m = re.search(r"policy (\d+) added", r.stdout)
    assert m, r.stdout
    pols = d.get("/v1/policies").json["policies"]
    assert [p["text"] for p in pols if p["id"] == int(m.group(1))] == [POLICY]

    r = ok(cli("tenant", "add", "phone", "--kind", "client", "--address", "172.16.15.133/32",
               server=d.url, token=d.token))
    m = re.search(r"^token: (\S+)$", r.stdout, re.M)
    assert m, r.stdout
    return m.group(1)


def test_figure4_story():
    with it.Daemon() as d:
        tok = operator_setup(d)
        # the captured token is the tenant's: the server knows it as such
        who = d.get("/v1/whoami", token=tok)
        assert who.status == 200 and who.json["role"] == "tenant", who

        r = ok(cli("policy", "ls", server=d.url, token=d.token))
        assert r.stdout.split("\n")[0].split() == ["ID", "CREATED", "BY", "TEXT"], r.stdout
        assert POLICY in r.stdout
        r = ok(cli("tenant", "ls", server=d.url, token=d.token))
        row = [l.split() for l in r.stdout.splitlines() if " phone " in l]
        assert row and row[0][2:4] == ["client", "172.16.15.133/32"], r.stdout

        # check: a dry run, nothing deployed
        r = ok(cli("check", REQUEST, server=d.url, token=tok))
        assert re.search(r"^verdict: safe$", r.stdout, re.M), r.stdout
        assert re.search(r"^platform: platform3$", r.stdout, re.M), r.stdout
        m = re.search(r"^address: 192\.0\.2\.(\d+) udp/1500$", r.stdout, re.M)
        assert m, r.stdout
        assert "platform1" in r.stdout and "failed" in r.stdout  # the candidates' story
        assert d.get("/v1/modules", token=tok).json["modules"] == []

        # deploy
        r = ok(cli("deploy", REQUEST, server=d.url, token=tok))
        m = re.search(r"module (\d+) 'batcher' deployed: safe on platform3 at (192\.0\.2\.\d+) udp/1500",
                      r.stdout)
        assert m, r.stdout
        mid, ip = m.group(1), m.group(2)
        srv = d.get(f"/v1/modules/{mid}", token=tok)
        assert srv.status == 200 and srv.json["address"]["ip"] == ip, srv

        # ls: a table with the module's row
        r = ok(cli("ls", server=d.url, token=tok))
        lines = r.stdout.splitlines()
        assert lines[0].split() == ["ID", "NAME", "STATE", "PLATFORM", "ADDRESS", "VERDICT"], r.stdout
        rows = [l.split() for l in lines[1:]]
        assert [row for row in rows if row[0] == mid] == \
            [[mid, "batcher", srv.json["state"], "platform3", ip, "udp/1500", "safe"]], r.stdout

        # show, as the tenant: the operator's network only at its boundary
        # (docs/privacy.md), its own module hop by hop
        r = ok(cli("show", mid, server=d.url, token=tok))
        where = [h[0] for h in trace_hops(r.stdout)]
        assert where[0] == "internet:0 (source)" and where[-1] == "client:0", r.stdout
        assert "(operator network)" in where and "batcher/IPRewriter@3[0]" in where, r.stdout
        assert not any(w.startswith(("fw", "core", "border", "clients")) for w in where), r.stdout

        # show, as the operator: the verdict and the whole hop-by-hop
        # trace, one line per hop
        tok_tenant, tok = tok, d.token
        r = ok(cli("show", mid, server=d.url, token=tok))
        assert re.search(r"^verdict:\s+safe$", r.stdout, re.M), r.stdout
        assert re.search(r"^address:\s+" + re.escape(ip) + r" udp/1500$", r.stdout, re.M), r.stdout
        assert "[holds] reach from internet udp -> batcher:dst:0" in r.stdout, r.stdout
        hops = trace_hops(r.stdout)
        where = [h[0] for h in hops]
        assert where[0] == "internet:0 (source)" and where[-1] == "clients:0", r.stdout
        assert "batcher/IPRewriter@3[0]" in where and "core:5" in where, r.stdout
        fields = dict(hops)
        # every field keeps its label, also where the rewriter made the
        # destination a constant; '*' marks what the hop changed
        assert fields["batcher/IPRewriter@3[0]"] == "DST=172.16.15.133*", r.stdout
        assert fields["platform3:0"] == "DST=192.0.2.2*  DPORT=1500*".replace("192.0.2.2", ip), r.stdout
        assert fields["batcher/Queue@4[0]"] == "", r.stdout  # changed nothing
        # the first and the last hop carry every constrained field, unmarked
        assert re.search(r"^SRC in \{.*\}  DST in \{.*\}  PROTO=17$", fields["internet:0 (source)"]), r.stdout
        assert re.search(r"DST=172\.16\.15\.133  PROTO=17  SPORT=1500  DPORT=1500  FRAG in", fields["clients:0"]), \
            r.stdout
        assert "*" not in fields["internet:0 (source)"] + fields["clients:0"], r.stdout
        # it fits the terminal: 80 columns without COLUMNS or a terminal,
        # else $COLUMNS; the same hops and fields either way
        assert max(len(l) for l in r.stdout.splitlines()) <= 80, r.stdout
        wide = ok(cli("show", mid, server=d.url, token=tok, env={"COLUMNS": "250"}))
        assert max(len(l) for l in wide.stdout.splitlines()) > 120, wide.stdout
        assert trace_hops(wide.stdout) == hops, wide.stdout
        narrow = ok(cli("show", mid, server=d.url, token=tok, env={"COLUMNS": "60"}))
        assert max(len(l) for l in narrow.stdout.splitlines()) <= 60, narrow.stdout
        assert trace_hops(narrow.stdout) == hops, narrow.stdout
        tok = tok_tenant
        r = ok(cli("check", REQUEST, server=d.url, token=tok))
        assert max(len(l) for l in r.stdout.splitlines()) <= 80, r.stdout
        assert dict(trace_hops(r.stdout))["batcher/IPRewriter@3[0]"] == "DST=172.16.15.133*", r.stdout

        # --json: the server's JSON as is
        r = ok(cli("show", mid, "--json", server=d.url, token=tok))
        j = json.loads(r.stdout)
        assert j["id"] == int(mid) and j["verdict"] == "safe" and j["platform"] == "platform3"
        assert j["report"] == srv.json["report"]
        r = ok(cli("ls", "--json", server=d.url, token=tok))
        assert [m["id"] for m in json.loads(r.stdout)["modules"]] == [int(mid)]
        r = ok(cli("network", "get", "--json", server=d.url, token=d.token))
        assert json.loads(r.stdout) == d.get("/v1/network").json
        r = ok(cli("stock", "--json", server=d.url, token=tok))
        assert "udp-batcher" in [s["name"] for s in json.loads(r.stdout)["stock"]]

        # a policy the batcher would break: refused with the module named, then forced
        bad = "never from internet udp dst port 1500 -> client"
        r = cli("policy", "add", bad, server=d.url, token=d.token)
        assert r.returncode == 1 and r.stderr.startswith("innet: policy_conflict: "), r
        assert re.search(rf"^  module {mid} 'batcher' \(tenant \d+\): {re.escape(bad)}", r.stderr, re.M), r.stderr
        assert bad not in [p["text"] for p in d.get("/v1/policies").json["policies"]]
        r = ok(cli("policy", "add", bad, "--force", server=d.url, token=d.token))
        pid = re.search(r"policy (\d+) added", r.stdout).group(1)
        assert f"module {mid} 'batcher' breaks" in r.stdout, r.stdout
        ok(cli("policy", "rm", pid, server=d.url, token=d.token))
        assert bad not in [p["text"] for p in d.get("/v1/policies").json["policies"]]

        # a network where the internet can no longer open flows to platform3's
        # pool breaks the batcher's requirement: refused, then forced
        net = json.load(open(NETWORK))
        fw = [n for n in net["nodes"] if n["name"] == "fw"][0]
        assert "dst net 192.0.2.0/24" in fw["click"]
        fw["click"] = fw["click"].replace("dst net 192.0.2.0/24", "dst net 198.18.0.0/24")
        with tempfile.TemporaryDirectory() as tmp:
            closed = os.path.join(tmp, "closed.json")
            with open(closed, "w") as f:
                json.dump(net, f)
            v0 = d.get("/v1/network").json["version"]
            r = cli("network", "put", closed, server=d.url, token=d.token)
            assert r.returncode == 1 and r.stderr.startswith("innet: network_conflict: "), r
            assert f"module {mid} 'batcher'" in r.stderr and "--force" in r.stderr, r.stderr
            assert d.get("/v1/network").json["version"] == v0
            r = ok(cli("network", "put", closed, "--force", server=d.url, token=d.token))
            assert f"version {v0 + 1} stored" in r.stdout, r.stdout
            ok(cli("network", "put", NETWORK, server=d.url, token=d.token))

        # rm kills it
        r = ok(cli("rm", mid, server=d.url, token=tok))
        assert f"module {mid} killed" in r.stdout
        g = d.get(f"/v1/modules/{mid}", token=tok)
        assert g.status == 404 or g.json.get("state") == "killed", g
        r = ok(cli("ls", server=d.url, token=tok))
        assert not [l for l in r.stdout.splitlines()[1:] if l.split()[:1] == [mid]], r.stdout
        # --all: the killed ones too (GET /v1/modules?all=1)
        r = ok(cli("ls", "--all", server=d.url, token=tok))
        assert [l.split()[:3] for l in r.stdout.splitlines()[1:] if l.split()[:1] == [mid]] == \
            [[mid, "batcher", "killed"]], r.stdout
        r = ok(cli("ls", "--all", "--json", server=d.url, token=tok))
        assert [(m["id"], m["state"]) for m in json.loads(r.stdout)["modules"]] == [(int(mid), "killed")], r.stdout
        # killing it again is refused by the server
        r = cli("rm", mid, server=d.url, token=tok)
        assert r.returncode == 1 and r.stderr.startswith("innet: not_found: "), r


def test_third_party_refused():
    with it.Daemon(network=NETWORK) as d:
        r = ok(cli("tenant", "add", "vendor", "--kind", "third_party", "--address", "198.51.100.0/24",
                   "--json", server=d.url, token=d.token))
        tok = json.loads(r.stdout)["token"]
        # deploy: 422, the code, the message and each platform's first failure
        r = cli("deploy", REQUEST, server=d.url, token=tok)
        assert r.returncode == 1, r
        assert r.stderr.startswith("innet: security_rules: "), r.stderr
        for p in ("platform1", "platform2", "platform3"):
            assert re.search(rf"^  {p}: rule 'default-off': ", r.stderr, re.M), r.stderr
        assert d.get("/v1/modules", token=tok).json["modules"] == []
        # --json still prints the error body on stdout
        r = cli("deploy", REQUEST, "--json", server=d.url, token=tok)
        assert r.returncode == 1 and json.loads(r.stdout)["error"]["code"] == "security_rules", r
        # check says "rejected" (exit 1 for scripts) with the reason
        r = cli("check", REQUEST, server=d.url, token=tok)
        assert r.returncode == 1 and re.search(r"^verdict: rejected$", r.stdout, re.M), r
        assert "reason: security_rules" in r.stdout, r.stdout


def test_deploy_from_flags():
    with it.Daemon(network=NETWORK) as d:
        r = ok(cli("tenant", "add", "acme", "--kind", "third_party", "--address", "198.51.100.0/24",
                   server=d.url, token=d.token))
        tok = re.search(r"^token: (\S+)$", r.stdout, re.M).group(1)
        # a stock module with typed parameters
        r = ok(cli("deploy", "--name", "webfw", "--stock", "firewall", "--param", "port=8080",
                   "--param", "origin=198.51.100.10", server=d.url, token=tok))
        m = re.search(r"module (\d+) 'webfw' deployed: (\w+) on (\w+) at (\S+) udp/8080", r.stdout)
        assert m, r.stdout
        srv = d.get(f"/v1/modules/{m.group(1)}", token=tok).json
        assert srv["stock"] == "firewall" and srv["params"]["port"] == 8080, srv
        # a bad parameter: the server's 400 with the field
        r = cli("deploy", "--name", "webfw2", "--stock", "firewall", "--param", "port=99999",
                "--param", "origin=198.51.100.10", server=d.url, token=tok)
        assert r.returncode == 1 and r.stderr.startswith("innet: invalid_params: "), r
        assert "field: params.port" in r.stderr, r.stderr
        # a Click file and a requirements file
        with tempfile.TemporaryDirectory() as tmp:
            click = os.path.join(tmp, "m.click")
            with open(click, "w") as f:
                f.write("FromNetFront() -> IPFilter(allow udp port 53) -> ToNetFront()\n")
            r = ok(cli("check", "--name", "dns", "--config", click, server=d.url, token=tok))
            assert re.search(r"^verdict: (safe|sandboxed)$", r.stdout, re.M), r.stdout
            assert re.search(r"^address: \S+ udp/53$", r.stdout, re.M), r.stdout
            reqs = os.path.join(tmp, "r.reach")
            with open(reqs, "w") as f:
                f.write("reach from nowhere-at-all udp -> dns\n")
            r = cli("check", "--name", "dns", "--config", click, "--requirements", reqs,
                    server=d.url, token=tok, env={"COLUMNS": "200"})  # one line per platform
            # the requirement names no node: the request's mistake, with its place
            assert r.returncode == 1 and r.stderr.startswith(
                "innet: unknown_node: requirements:1:12: unknown node 'nowhere-at-all'\n"), r
            assert "  line 1: unknown node 'nowhere-at-all'" in r.stderr, r.stderr


def test_errors_and_exit_codes():
    with it.Daemon(network=NETWORK) as d:
        # wrong token: the server refuses (1) and its code is shown
        r = cli("ls", server=d.url, token="not-a-token-at-all")
        assert r.returncode == 1 and r.stderr.startswith("innet: unauthorized: "), r
        # a tenant on an operator call
        r = ok(cli("tenant", "add", "t", "--kind", "client", server=d.url, token=d.token))
        tok = re.search(r"^token: (\S+)$", r.stdout, re.M).group(1)
        r = cli("tenant", "ls", server=d.url, token=tok)
        assert r.returncode == 1 and re.match(r"innet: \w+: ", r.stderr), r
        assert d.get("/v1/tenants", token=tok).error_code in r.stderr
        r = cli("show", "999", server=d.url, token=tok)
        assert r.returncode == 1 and r.stderr.startswith("innet: not_found: "), r
        url = d.url
    # the server is gone: cannot connect (3)
    r = cli("ls", server=url, token="x")
    assert r.returncode == 3 and "cannot connect" in r.stderr, r
    r = cli("ls", server=dead_url(), token="x")
    assert r.returncode == 3, r
    # usage errors (2), before any request
    for args in (["show"], ["show", "abc"], ["show", "1", "2"], ["rm"], ["rm", "-1"], ["deploy"],
                 ["deploy", "--name", "x"], ["deploy", "--name", "x", "--config", "a", "--stock", "b"],
                 ["deploy", "--bogus"], ["deploy", "/nonexistent/req.json"],
                 ["tenant", "add", "x"], ["tenant"], ["policy", "add"], ["policy", "rm", "x"],
                 ["network"], ["network", "put"], ["ls", "extra"], ["ls", "--bogus"], ["ls", "--server"],
                 ["ls", "--server", "ftp://127.0.0.1:1"], ["ls", "--server", "http://"]):
        r = cli(*args, env={"INNET_SERVER": dead_url()})
        assert r.returncode == 2, (args, r)
        assert r.stderr.startswith("innet: "), (args, r.stderr)
    r = cli("nosuchcommand")
    assert r.returncode == 2, r
    r = ok(cli("deploy", "--help"))
    assert "usage: innet deploy" in r.stdout


class FakeServer:
    """A loopback server that answers every connection with `answer` (bytes),
    written in pieces, and records the requests it read."""

    def __init__(self, answer, pieces=3):
        self.answer, self.pieces, self.requests = answer, pieces, []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = c.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                m = re.search(rb"(?i)content-length: *(\d+)", head)
                while m and len(body) < int(m.group(1)):
                    body += c.recv(65536)
                self.requests.append((head.decode(), body))
                step = max(1, len(self.answer) // self.pieces)
                for i in range(0, len(self.answer), step):
                    c.sendall(self.answer[i:i + step])
                    time.sleep(0.01)

    def close(self):
        self.sock.close()


def test_http_client_answers():
    """The client's side of HTTP: chunked and split answers, non-JSON errors,
    a peer that does not speak HTTP, and what it sends."""
    body = json.dumps({"modules": [{"id": 7, "name": "m", "state": "deployed", "platform": "p1",
                                    "address": {"ip": "192.0.2.9", "proto": 6, "port": 80},
                                    "verdict": "sandboxed"}]}).encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 10]), body[i:i + 10])
                       for i in range(0, len(body), 10)) + b"0\r\n\r\n"
    for answer in (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                   % len(body) + body,
                   b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked,
                   b"HTTP/1.0 200 OK\r\n\r\n" + body):  # no length: until the peer closes
        srv = FakeServer(answer)
        try:
            r = ok(cli("ls", server=srv.url + "/", token="tok-1"))
            assert r.stdout.splitlines()[1].split() == \
                ["7", "m", "deployed", "p1", "192.0.2.9", "tcp/80", "sandboxed"], r.stdout
            head = srv.requests[0][0]
            assert head.startswith("GET /v1/modules HTTP/1.1\r\n"), head
            assert "\r\nAuthorization: Bearer tok-1" in head, head
        finally:
            srv.close()
    # a body goes with its length and type; a path prefix in the URL is kept
    srv = FakeServer(b"HTTP/1.1 201 Created\r\nContent-Length: 22\r\n\r\n{\"id\": 4, \"text\": \"x\"}")
    try:
        r = ok(cli("policy", "add", "never from a -> b", server=srv.url + "/pop1", token="t"))
        assert "policy 4 added" in r.stdout, r.stdout
        head, sent = srv.requests[0]
        assert head.startswith("POST /pop1/v1/policies HTTP/1.1\r\n"), head
        assert re.search(r"(?i)\r\ncontent-type: application/json", head), head
        assert json.loads(sent) == {"text": "never from a -> b"}
    finally:
        srv.close()
    # an error that is not JSON: refused, with the status
    srv = FakeServer(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 11\r\n\r\nupstream!!\n")
    try:
        r = cli("ls", server=srv.url, token="t")
        assert r.returncode == 1 and r.stderr.startswith("innet: HTTP 502: upstream!!"), r
    finally:
        srv.close()
    # not HTTP at all, or a short body: cannot talk to it
    for answer in (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{}"):
        srv = FakeServer(answer)
        try:
            r = cli("ls", server=srv.url, token="t")
            assert r.returncode == 3 and r.stderr.startswith("innet: "), r
        finally:
            srv.close()


def test_server_and_token_sources():
    with it.Daemon() as d:
        # the config file alone
        cfgdir = os.path.join(HOME, ".config", "innet")
        os.makedirs(cfgdir, exist_ok=True)
        cfg = os.path.join(cfgdir, "config")
        with open(cfg, "w") as f:
            f.write(f"# innet\nserver = {d.url}\ntoken = {d.token}\n")
        try:
            r = ok(cli("tenant", "ls"))
            assert r.stdout.split() == ["ID", "NAME", "KIND", "ADDRESSES", "WHITELIST"], r.stdout
            # the environment wins over the file
            r = cli("tenant", "ls", env={"INNET_SERVER": dead_url()})
            assert r.returncode == 3, r
            r = cli("tenant", "ls", env={"INNET_TOKEN": "wrong-wrong-wrong"})
            assert r.returncode == 1 and "unauthorized" in r.stderr, r
            # flags win over the environment
            ok(cli("tenant", "ls", server=d.url, token=d.token,
                   env={"INNET_SERVER": dead_url(), "INNET_TOKEN": "wrong-wrong-wrong"}))
            # --server=URL form, anywhere on the line
            ok(cli("tenant", f"--server={d.url}", "ls", env={"INNET_SERVER": dead_url()}))
        finally:
            os.unlink(cfg)
        # neither flag, nor environment, nor file: the default server, no token
        r = cli("ls", server=d.url)
        assert r.returncode == 1 and r.stderr.startswith("innet: unauthorized: "), r


if __name__ == "__main__":
    it.main()
