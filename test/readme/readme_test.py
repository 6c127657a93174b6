"""Every command of README.md, run as typed against a real innetd.

What runs: every command of every ```sh block of README.md, in the order
of the file, in one bash session (so variables such as ADMIN, TOKEN and ID
carry over), from a scratch copy of the top of the checkout: `conf/` copied
(the README may edit it), `build/` (the build tree under test), `examples/`
and `tools/` linked, `state/` empty. innetd is started the way
`tools/dev.sh run` starts it: `build/innetd --config conf/innetd.conf` from
the top, so the configuration's relative paths (state/innet.db,
state/admin.token, conf/network.json, conf/policy.reach) are the reader's.

A command is one logical line (a trailing backslash or an open quote
continues it). It fails the test, naming its README line, when it exits
non-zero (bash with pipefail, so `curl ... | jq` fails when curl does),
when a variable it sets is empty or "null", or when its output misses what
EXPECT below says the README promises.

The tests: test_readme_parses (blocks, MAPPING and EXPECT agree with the
README; the paths it names exist), test_repository_stands_alone (nothing
reads outside the checkout), test_walkthrough (everything but the packet
demo, --dataplane null), test_walkthrough_with_packets (everything, TAP,
root), test_other_pools (the README's pool move, then the walkthrough on
the new pool; with packets when root).

Everything that differs from a reader's machine is in the block below.
"""

import ctypes
import ipaddress
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
import innet_test as it  # noqa: E402

# --- what differs from a reader's machine ------------------------------------
#
# SERVER: the reader's innetd listens on localhost:8080; the test's on a
# free port (--listen 127.0.0.1:0, read back from --ready-file). In every
# command, each spelling below becomes 127.0.0.1:PORT, and the session has
# INNET_SERVER=http://127.0.0.1:PORT (exported again after each start).
SERVER_SPELLINGS = ("localhost:8080", "127.0.0.1:8080")
#
# MAPPING: commands that cannot run in a test, and what runs instead.
#   tools/dev.sh run   installs packages, builds and runs innetd in the
#                      foreground: the test starts build/innetd --config
#                      conf/innetd.conf in the background, plus --listen
#                      127.0.0.1:0 --ready-file state/ready (and --db
#                      state/innet.db --log-level info, the file's own
#                      values, which the test library always passes), plus
#                      --dataplane null (needs no root) or none (no DPDK)
#                      unless the run carries packets; an innetd already
#                      running is stopped first.
#   tools/dev.sh test  runs the whole suite, this test among it: not run.
#   meson test ...     runs tests of the suite, this one among them: not run.
MAPPING = {  # regular expression of the whole command (comment left out) -> action
    r"tools/dev\.sh run": "start",
    r"tools/dev\.sh test": "skip",
    r"meson test -C build [\w-]+": "skip",
}
#
# MARKERS: a `<!-- readme-test: NAME -->` line right before a block says
# which runs include it.
#   root         the packet demo (TAP interface, routes, tcpdump): only in
#                the runs with packets, which need root and happen in a
#                network namespace of their own (innet0, its route and
#                address never touch the host); skipped otherwise.
#   other-pools  moving the pools: only in test_other_pools; the text asks
#                to stop innetd first, so the test stops it before the block.
MARKERS = ("root", "other-pools")
#
# ENVIRONMENT: bash --noprofile --norc with `set -o pipefail`; HOME a scratch
# folder (no ~/.config/innet/config); no INNET_* variables but INNET_SERVER,
# no COLUMNS (the CLI prints 80 columns); LC_ALL=C.UTF-8.
#
# Per command, at most this long (verification under ASan is slow).
COMMAND_TIMEOUT = 120
# -------------------------------------------------------------------------------

README = it.source("README.md")
HAVE_ROOT = os.geteuid() == 0


def has_dpdk():
    drv = os.path.join(it.BUILD_DIR, "test", "dataplane", "innet-dp-driver")
    return not (os.path.exists(drv) and subprocess.run([drv], capture_output=True).returncode == 77)


# --- the README's commands -------------------------------------------------------

class Command:
    def __init__(self, line, text, marker):
        self.line, self.text, self.marker = line, text, marker

    @property
    def first(self):
        return self.text.split("\n")[0]

    def __repr__(self):
        return f"README.md:{self.line}: {self.first}"


def complete(text):
    """A logical line is complete when it does not end in a backslash (or a
    pipe) and has no open quote."""
    if text.rstrip().endswith(("\\", "|")):
        return False
    try:
        shlex.split(text, comments=True)
    except ValueError:
        return False
    return True


def readme_commands(path=None):
    cmds, marker, block, acc = [], None, None, None
    with open(path or README) as f:
        lines = f.read().split("\n")
    for n, line in enumerate(lines, 1):
        if block is None:
            m = re.match(r"^<!-- readme-test: (\S+) -->$", line.strip())
            if m:
                assert m.group(1) in MARKERS, f"README.md:{n}: unknown marker {m.group(1)!r}"
                marker = m.group(1)
            elif line.startswith("```"):
                block = line[3:].strip()
            elif line.strip():
                marker = None
            continue
        if line.startswith("```"):
            assert acc is None, f"README.md:{acc[0]}: the command does not end in its block"
            block, marker = None, None
            continue
        if block != "sh":
            continue
        if acc is None:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            acc = (n, line)
        else:
            acc = (acc[0], acc[1] + "\n" + line)
        if complete(acc[1]):
            cmds.append(Command(acc[0], acc[1], marker))
            acc = None
    assert block is None, "README.md: a ``` block is not closed"
    return cmds


# --- what the README promises ------------------------------------------------------

def js(out):
    return json.loads(out)


def jlines(out):
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def in_pool(ctx, ip):
    return ipaddress.ip_address(ip) in ctx.pool()


def check_health(ctx, out, err):
    assert js(out)["status"] == "ok"


def check_platforms(ctx, out, err):
    p = {x["name"]: x["pool"] for x in jlines(out)}
    assert sorted(p) == ["platform1", "platform2", "platform3"], p
    assert ipaddress.ip_network(p["platform3"]) == ctx.pool(), (p, ctx.pool())


def check_network(ctx, out, err):
    j = js(out)
    assert j["version"] == 1 and {"internet", "fw", "clients", "platform3"} <= set(j["nodes"]), j


def check_policies(ctx, out, err):
    assert "never from internet tcp opt syn and not tcp opt ack -> client" in out


def check_put_network(ctx, out, err):
    j = js(out)
    assert j["version"] == 2 and j["platforms"] == 3, j


def check_add_policy(ctx, out, err):
    j = js(out)
    assert isinstance(j["id"], int) and j["text"] == "reach from client udp dst port 53 -> internet", j


def check_token(ctx, out, err):
    assert re.fullmatch(r"innet-t-\S+\n", out), out


def check_whoami(ctx, out, err):
    j = js(out)
    assert (j["role"], j["name"], j["kind"]) == ("tenant", "phone", "client"), j


def check_batcher_check(ctx, out, err):
    j = js(out)
    assert j["verdict"] == "safe" and j["platform"] == "platform3", j
    a = j["address"]
    assert in_pool(ctx, a["ip"]) and (a["proto"], a["port"]) == (17, 1500), (a, ctx.pool())


def check_candidates(ctx, out, err):
    c = {x["platform"]: x for x in jlines(out)}
    assert [c[p]["result"] for p in ("platform1", "platform2", "platform3")] == \
        ["failed", "failed", "chosen"], c
    # a tenant sees where the flow stops only as the operator's network (docs/privacy.md)
    assert "the operator network" in c["platform1"]["why"] and "fw" not in c["platform1"]["why"], c
    assert c["platform3"]["why"] is None, c


def check_deployed(ctx, out, err):
    j = js(out)
    assert isinstance(j["id"], int) and j["name"] == "batcher" and j["state"] == "deployed", j
    assert j["platform"] == "platform3" and j["verdict"] == "safe" and in_pool(ctx, j["address"]["ip"]), j


def check_tcpdump(ctx, out, err):
    ip = ctx.var("IP")
    assert re.search(rf" > {re.escape(ip)}\.1500: UDP, length 6$", out, re.M), "the packet in:\n" + out + err
    assert re.search(r" > 172\.16\.15\.133\.1500: UDP, length 6$", out, re.M), \
        "the batcher's output (rewritten to 172.16.15.133):\n" + out + err


def check_runtime(ctx, out, err):
    j = js(out)
    rt = j["runtime"]
    assert j["state"] in ("running", "idle"), j
    assert (rt["starts"], rt["rx_packets"], rt["tx_packets"]) == (1, 1, 1), rt


def check_metrics(ctx, out, err):
    for d in ("rx", "tx"):
        assert re.search(rf'^innet_module_{d}_packets_total\{{id="{ctx.var("ID")}",.*\}} 1$', out, re.M), out


def check_modules_list(ctx, out, err):
    (m,) = jlines(out)
    assert m["name"] == "batcher" and m["state"] in ("deployed", "running", "idle", "stopped"), m


def check_module(ctx, out, err):
    j = js(out)
    assert (j["name"], j["platform"], j["verdict"]) == ("batcher", "platform3", "safe"), j


def check_deployed_config(ctx, out, err):
    assert "TimedUnqueue(2, 100)" in out and "IPRewriter(pattern - - 172.16.15.133 - 0 0)" in out, out


def check_204(ctx, out, err):
    assert out == "204\n", out


def check_no_modules(ctx, out, err):
    assert out == "[]\n", out


def check_killed(ctx, out, err):
    assert [(m["id"], m["state"]) for m in jlines(out)] == [(int(ctx.var("ID")), "killed")], out


def check_vendor_refused(ctx, out, err):
    j = js(out)
    assert j["code"] == "security_rules", j
    assert [(p["platform"], p["rule"]) for p in j["platforms"]] == \
        [(p, "default-off") for p in ("platform1", "platform2", "platform3")], j


def check_partner(ctx, out, err):
    assert js(out) == {"verdict": "safe", "platform": "platform3"}, out


def check_stock_list(ctx, out, err):
    names = [l.split(":")[0] for l in out.splitlines()]
    assert {"udp-batcher", "firewall", "rate-limiter", "reverse-proxy", "dns-front", "tunnel"} <= set(names), out
    assert "reverse-proxy: port, origin, origin_port" in out.splitlines(), out


def check_stock_check(ctx, out, err):
    j = js(out)
    assert j["verdict"] == "safe" and j["platform"] == "platform3" and in_pool(ctx, j["address"]["ip"]), j


def check_cli_tenants(ctx, out, err):
    names = [l.split()[1] for l in out.splitlines()[1:]]
    assert out.split()[:2] == ["ID", "NAME"] and {"phone", "vendor", "partner"} <= set(names), out


def check_cli_check(ctx, out, err):
    assert re.search(r"^verdict: safe$", out, re.M) and re.search(r"^platform: platform3$", out, re.M), out
    assert max(len(l) for l in out.splitlines()) <= 80, "wider than 80 columns:\n" + out


def check_cli_ls(ctx, out, err):
    rows = [l.split() for l in out.splitlines()[1:]]
    assert [r[:2] for r in rows] == [[ctx.var("CLI_ID"), "batcher"]], out


def check_cli_show(ctx, out, err):
    assert re.search(r"^verdict:\s+safe$", out, re.M), out
    assert re.search(r"batcher/IPRewriter@3\[0\]\s+DST=172\.16\.15\.133\*$", out, re.M), out
    assert max(len(l) for l in out.splitlines()) <= 80, "wider than 80 columns:\n" + out


def check_cli_rm(ctx, out, err):
    assert out == f"module {ctx.var('CLI_ID')} killed\n", out


def check_cli_ls_all(ctx, out, err):
    rows = [l.split()[:3] for l in out.splitlines()[1:]]
    assert [ctx.var("CLI_ID"), "batcher", "killed"] in rows, out


def check_click_check(ctx, out, err):
    assert out == "valid\n", out


def check_flatten(ctx, out, err):
    assert "TimedUnqueue(120, 100)" in out, out


def check_verify(ctx, out, err):
    assert out.startswith("holds: reach from internet udp -> batcher:dst:0"), out


def check_help(ctx, out, err):
    assert re.search(r"^\s+--idle-stop\s+\S.*\[default: 30s\]$", out, re.M), out


def check_config(ctx, out, err):
    j = js(out)
    assert j == {"dataplane": ctx.expected_dataplane, "dp-ports": "innet0", "idle-stop": 30000}, j


# (regular expression found in the command, check of its output). Every
# entry must find a README command; a command may match at most one.
EXPECT = [
    (r"/v1/health \| jq$", check_health),
    (r"/v1/platforms \| jq -c '\.platforms\[\] \| \{name, pool\}'$", check_platforms),
    (r"8080/v1/network \| jq", check_network),
    (r"/v1/policies \| jq -r", check_policies),
    (r"-X PUT localhost:8080/v1/network", check_put_network),
    (r"-X POST localhost:8080/v1/policies", check_add_policy),
    (r'^echo "\$TOKEN"$', check_token),
    (r"/v1/whoami", check_whoami),
    (r'/v1/check -H "Authorization: Bearer \$TOKEN"(.|\n)*\{verdict, platform, address\}', check_batcher_check),
    (r"\.report\.candidates\[\]", check_candidates),
    (r'^echo "\$MODULE" \| jq', check_deployed),
    (r"tcpdump .*&$", check_tcpdump),
    (r"/v1/modules/\$ID \| jq -c '\{state, runtime\}'", check_runtime),
    (r"/metrics \| grep", check_metrics),
    (r"/v1/modules \| jq -c '\.modules\[\]", check_modules_list),
    (r"/v1/modules/\$ID \| jq -c '\{id, name, state, platform, verdict\}'", check_module),
    (r"\.report\.deployed_config", check_deployed_config),
    (r"-X DELETE localhost:8080/v1/modules/\$ID", check_204),
    (r"/v1/modules \| jq -c \.modules$", check_no_modules),
    (r"/v1/modules\?all=1", check_killed),
    (r'/v1/modules -H "Authorization: Bearer \$VENDOR"', check_vendor_refused),
    (r'/v1/check -H "Authorization: Bearer \$PARTNER"', check_partner),
    (r"/v1/stock \| jq", check_stock_list),
    (r'"stock": "reverse-proxy"', check_stock_check),
    (r"build/innet tenant ls$", check_cli_tenants),
    (r"^build/innet check ", check_cli_check),
    (r"^build/innet ls$", check_cli_ls),
    (r"^build/innet show ", check_cli_show),
    (r"^build/innet rm ", check_cli_rm),
    (r"^build/innet ls --all$", check_cli_ls_all),
    (r"^build/innet click check .*&& echo valid$", check_click_check),
    (r"^build/innet click flatten ", check_flatten),
    (r"^build/innet verify ", check_verify),
    (r"^build/innetd --help", check_help),
    (r"/v1/config \| jq", check_config),
]


def expectations(cmds):
    """{README line: check}; every EXPECT entry must find a command."""
    found = {}
    for pat, fn in EXPECT:
        hits = [c for c in cmds if re.search(pat, c.text, re.M)]
        assert hits, f"EXPECT {pat!r} matches no command of README.md: update the test with the README"
        for c in hits:
            assert c.line not in found, f"{c!r}: matched by two EXPECT entries"
            found[c.line] = fn
    return found


# A command that sets a shell variable: NAME=$(...) or [export] NAME=WORD.
def mapped(c):
    """The MAPPING action of a command, or None (it runs as typed)."""
    return next((a for k, a in MAPPING.items() if re.fullmatch(k, c.text.split("#")[0].strip())), None)


ASSIGN = re.compile(r"^(?:export\s+)?([A-Za-z_]\w*)=(?:\$\((?:.|\n)*\)|\S+)\s*$")


# --- running them --------------------------------------------------------------

class Session:
    """A scratch checkout, innetd as tools/dev.sh runs it, one bash."""

    def __init__(self, dataplane):
        self.dataplane = dataplane  # None: conf/innetd.conf's (tap); else --dataplane
        self.top = tempfile.mkdtemp(prefix="innet-readme-")
        self.home = os.path.join(self.top, ".home")
        os.makedirs(self.home)
        shutil.copytree(it.source("conf"), os.path.join(self.top, "conf"))
        for name, target in (("build", it.BUILD_DIR or it.source("build")),
                             ("examples", it.source("examples")), ("tools", it.source("tools"))):
            os.symlink(os.path.abspath(target), os.path.join(self.top, name))
        self.io = os.path.join(self.top, ".io")
        os.makedirs(self.io)
        self.d = None
        self.n = 0
        self.pending = []  # background commands, checked after the next `wait`
        env = {k: v for k, v in os.environ.items() if not k.startswith("INNET_") or k == "INNET_TEST_START_TIMEOUT"}
        env.update(HOME=self.home, LC_ALL="C.UTF-8")
        env.pop("COLUMNS", None)
        env.pop("XDG_CONFIG_HOME", None)
        # a session of its own: on failure, its process group (bash and
        # whatever a command left running) is killed
        self.bash = subprocess.Popen(["bash", "--noprofile", "--norc"], stdin=subprocess.PIPE, cwd=self.top,
                                     env=env, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        self.send("set -o pipefail")

    # innetd --------------------------------------------------------------------
    def start(self):
        self.stop()
        state = os.path.join(self.top, "state")
        os.makedirs(state, exist_ok=True)
        args = ["--dataplane", self.dataplane] if self.dataplane else []
        self.d = it.Daemon(config="conf/innetd.conf", cwd=self.top, state_dir=state, token=False,
                           args=args, name="readme")
        self.d.start()
        with open(os.path.join(state, "admin.token")) as f:
            self.d.token = f.read().strip()
        self.send(f"export INNET_SERVER=http://127.0.0.1:{self.d.port}")

    def stop(self):
        if self.d and self.d.alive():
            self.d.stop()

    def close(self, ok):
        if ok and self.bash.poll() is None:
            self.bash.stdin.close()
            try:
                self.bash.wait(30)
            except subprocess.TimeoutExpired:
                ok = False
        if not ok:
            try:
                os.killpg(self.bash.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.bash.wait()
            self.bash.stdin.close()
        if self.d:
            if ok:
                self.stop()
            else:
                if self.d.alive():
                    sys.stderr.write(f"--- innetd log ---\n{self.d.log()[-6000:]}\n")
                self.d.kill()
        if ok:
            shutil.rmtree(self.top, ignore_errors=True)
        else:
            sys.stderr.write(f"(scratch checkout kept: {self.top})\n")

    # bash -----------------------------------------------------------------------
    def send(self, text):
        self.bash.stdin.write(text + "\n")
        self.bash.stdin.flush()

    def run(self, text, timeout=COMMAND_TIMEOUT):
        """Run text in the session; returns (status, stdout, stderr)."""
        self.n += 1
        base = os.path.join(self.io, str(self.n))
        self.send(f"{{ {text}\n}} >{base}.out 2>{base}.err </dev/null; echo $? >{base}.rc.tmp; "
                  f"mv {base}.rc.tmp {base}.rc")
        end = time.monotonic() + timeout
        while not os.path.exists(base + ".rc"):
            if self.bash.poll() is not None:
                raise AssertionError(f"bash exited ({self.bash.returncode})")
            if time.monotonic() > end:
                raise TimeoutError(f"no answer within {timeout} s")
            time.sleep(0.02)
        return self.result(base)

    @staticmethod
    def result(base):
        def rd(ext):
            with open(base + ext, errors="replace") as f:
                return f.read()
        return int(rd(".rc")), rd(".out"), rd(".err")

    def var(self, name):
        st, out, _ = self.run(f"printf '%s' \"${name}\"")
        return out

    def pool(self):
        with open(os.path.join(self.top, "conf", "network.json")) as f:
            net = json.load(f)
        return ipaddress.ip_network([n for n in net["nodes"] if n["name"] == "platform3"][0]["pool"])

    def substitute(self, text):
        for s in SERVER_SPELLINGS:
            text = text.replace(s, f"127.0.0.1:{self.d.port}" if self.d else s)
        return text


def walk(dataplane=None, with_packets=False, other_pools=False):
    """The README from top to bottom; returns what was not run, and why."""
    cmds = readme_commands()
    expect = expectations(cmds)
    s = Session(dataplane)
    ctx = s  # what the checks see: ctx.var(NAME), ctx.pool(), ctx.expected_dataplane
    ctx.expected_dataplane = dataplane or "tap"
    skipped, ok, prev = [], False, None

    def fail(c, what, out="", err=""):
        raise AssertionError(f"{c!r}\n  {what}\n  command: {c.text}\n  stdout: {out[-3000:]}\n  stderr: {err[-3000:]}")

    try:
        for c in cmds:
            if c.marker == "root" and not with_packets:
                skipped.append((c, "the packet demo needs root (TAP interface)"))
                continue
            if c.marker == "other-pools" and not other_pools:
                skipped.append((c, "moves the pools: test_other_pools runs it"))
                continue
            if c.marker == "other-pools" and prev != "other-pools":
                s.stop()  # the text's "stop it (Ctrl-C in its terminal)"
            prev = c.marker
            action = mapped(c)
            if action == "start":
                s.start()
                continue
            if action == "skip":
                skipped.append((c, "runs tests of the suite, this one among them"))
                continue
            text = s.substitute(c.text)
            try:
                st, out, err = s.run(text)
            except TimeoutError as e:
                fail(c, str(e))
            if st != 0:
                fail(c, f"exit status {st}", out, err)
            m = ASSIGN.match(c.text)
            if m:
                v = s.var(m.group(1))
                if v in ("", "null"):
                    fail(c, f"${m.group(1)} is {v!r} after it", out, err)
            if c.text.rstrip().endswith("&"):
                s.pending.append((c, s.n))
            elif c.line in expect:
                try:
                    expect[c.line](ctx, out, err)
                except Exception as e:  # noqa: BLE001 -- any failure names the README line
                    fail(c, f"output is not what the README promises: {type(e).__name__}: {e}", out, err)
            if c.text.strip() == "wait" or c is cmds[-1]:
                for bc, n in s.pending:
                    st, out, err = Session.result(os.path.join(s.io, str(n)))
                    if bc.line in expect:
                        try:
                            expect[bc.line](ctx, out, err)
                        except Exception as e:  # noqa: BLE001
                            fail(bc, f"output is not what the README promises: {type(e).__name__}: {e}",
                                 out, err)
                s.pending = []
        assert not s.pending, f"{s.pending[0][0]!r}: a background command no `wait` collects"
        ok = True
    finally:
        s.close(ok)
    ran = len(cmds) - len(skipped)
    print(f"  {ran} README commands run, {len(skipped)} not run:", flush=True)
    for c, why in skipped:
        print(f"    {c!r} ({why})", flush=True)
    return skipped


# --- network namespaces, for the runs with packets ------------------------------------

CLONE_NEWNET = 0x40000000


class Netns:
    """This process (and so innetd and bash) in a network namespace of its
    own: innet0, its route and its address stay out of the host's."""

    def __enter__(self):
        self.name = "innet-readme-%d-%04x" % (os.getpid(), random.randrange(1 << 16))
        r = subprocess.run(["ip", "netns", "add", self.name], capture_output=True, text=True)
        if r.returncode:
            it.skip(f"cannot create a network namespace: {r.stderr.strip()}")
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.orig = os.open("/proc/self/ns/net", os.O_RDONLY)
        fd = os.open("/var/run/netns/" + self.name, os.O_RDONLY)
        try:
            if self.libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
        finally:
            os.close(fd)
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        return self

    def __exit__(self, *exc):
        self.libc.setns(self.orig, CLONE_NEWNET)
        os.close(self.orig)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
        return False


def need_packets():
    """Skip, saying why, when the packet demo cannot run here."""
    root = [c.line for c in readme_commands() if c.marker == "root"]
    lines = f"README.md:{root[0]}-{root[-1]}"
    if not HAVE_ROOT:
        it.skip(f"the packet demo ({lines}) needs root: a TAP interface, a route, tcpdump; "
                "test_walkthrough ran everything else")
    if not has_dpdk():
        it.skip(f"innet was built without DPDK: no fast path for the packet demo ({lines})")
    for tool in ("tcpdump", "ip", "timeout"):
        if not shutil.which(tool):
            it.skip(f"{tool} is not installed (tools/dev.sh installs it): the packet demo ({lines}) needs it")
    if not os.path.exists("/dev/net/tun"):
        it.skip(f"no /dev/net/tun: the packet demo ({lines}) needs a TAP interface")


def setup():
    if not shutil.which("jq"):
        it.skip("jq is not installed (tools/dev.sh installs it); the README's commands use it")
    if not shutil.which("curl"):
        it.skip("curl is not installed (tools/dev.sh installs it); the README's commands use it")


def control_plane():
    """--dataplane null (a fast path that needs no root), none without DPDK."""
    return "null" if has_dpdk() else "none"


# --- the tests ---------------------------------------------------------------------

def test_readme_parses():
    """The README's blocks split into commands; the mapping and EXPECT find theirs."""
    cmds = readme_commands()
    assert len(cmds) >= 40, cmds
    assert [c.text for c in cmds[:2]] == [
        "tools/dev.sh run     # install what is missing, build, run innetd on conf/innetd.conf",
        "tools/dev.sh test    # install what is missing, build, run every test"], cmds[:2]
    for k in MAPPING:
        assert any(re.fullmatch(k, c.text.split("#")[0].strip()) for c in cmds), \
            f"MAPPING {k!r} finds no README command"
    expectations(cmds)
    assert [c for c in cmds if c.marker == "root"], "no packet demo block"
    assert [c for c in cmds if c.marker == "other-pools"], "no block that moves the pools"
    # a reader's README refers only to the repository
    with open(README) as f:
        text = f.read()
    assert "shared/" not in text and "DESIGN.md" not in text, "README.md points outside the repository"
    for path in re.findall(r"[`(]((?:src|docs|examples|conf|tools|test)/[\w./-]*)[`)]", text):
        if path.startswith("docs/") and not os.path.isdir(it.source("docs")):
            continue  # docs/ comes with its own change
        if re.match(r"examples/(README\.md|stock-)", path) and not os.path.exists(it.source("examples/README.md")):
            continue  # so do examples/README.md and the stock requests
        assert os.path.exists(it.source(path)), f"README.md names {path}, which does not exist"


def test_repository_stands_alone():
    """Nothing the README, the tools, the tests, the configuration or the
    sources read lies outside the checkout (the old ../shared folder)."""
    outside = re.compile(r"\.\./shared|shared/(examples|DESIGN|reference)|INNET_SHARED_DIR")
    found = []
    for top in ("README.md", "tools", "test", "conf", "src"):
        for root, dirs, files in os.walk(it.source(top)) if os.path.isdir(it.source(top)) else \
                [(os.path.dirname(it.source(top)), [], [top])]:
            dirs[:] = [x for x in dirs if x != "fuzz"]  # corpora: bytes, not references
            for name in files:
                path = os.path.join(root, name)
                try:
                    with open(path, encoding="utf-8") as f:
                        for n, line in enumerate(f, 1):
                            if outside.search(line) and os.path.realpath(path) != os.path.realpath(__file__):
                                found.append(f"{os.path.relpath(path, it.SOURCE_DIR)}:{n}: {line.strip()}")
                except (UnicodeDecodeError, OSError):
                    pass
    assert not found, "references outside the repository:\n" + "\n".join(found)


def test_walkthrough():
    """Every command but the packet demo, on a fast path that needs no root."""
    setup()
    walk(dataplane=control_plane())


def test_walkthrough_with_packets():
    """Every command, the packet demo included, with conf/innetd.conf's TAP
    port, in a network namespace of its own."""
    setup()
    need_packets()
    with Netns():
        walk(with_packets=True)


def test_other_pools():
    """The README's way out when the host overlaps a pool: stop, forget the
    state, move platform3's pool, start again; then the whole walkthrough
    with the new pool (with packets when root)."""
    setup()
    try:
        need_packets()
        packets = True
    except it.Skip as e:
        print(f"  (without packets: {e})", flush=True)
        packets = False
    if packets:
        with Netns():
            walk(with_packets=True, other_pools=True)
    else:
        walk(dataplane=control_plane(), other_pools=True)


if __name__ == "__main__":
    it.main()
