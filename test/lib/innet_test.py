"""Helpers for innet integration tests (stdlib only, /usr/bin/python3).

A test file starts with

    import os, sys
    sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
    import innet_test as it

then defines functions named test_* and ends with `it.main()`, which runs them
in order, prints one line each and exits 0 (all passed), 77 (all skipped) or
1. Inside a test:

    with it.Daemon(network=it.example("figure3-network.json")) as d:
        r = d.get("/v1/health", token=None)        # no Authorization header
        assert r.status == 200 and r.json["status"] == "ok"
        r = d.post("/v1/tenants", {"name": "a", "kind": "client"})  # admin token
        t = r.json["token"]
        r = d.get("/v1/platforms", token=t)        # as that tenant -> 403

Daemon(...) starts the built innetd ($INNETD) on a free loopback port (the
daemon picks it: --listen 127.0.0.1:0 and --ready-file), with a fresh state
directory (its SQLite file is d.db) and a random admin token (d.token). Extra
flags go in `args` (["--dataplane", "tap", ...]) and win over the defaults;
`network`/`policy` are files loaded at first start; `env` adds environment
variables; `config` is a configuration file and `cwd` the directory innetd
runs in (default: the state directory). Several daemons can run at once (own port, own directory).
Leaving the `with` block stops it with SIGTERM and asserts a clean exit (0,
within 20 s); d.restart() does the same and starts it again on the same
state. d.log() is its stderr so far.

With INNET_TEST_REGISTRY_PG set to a PostgreSQL URI of a superuser (from
`python3 test/lib/pgcluster.py start DIR`), every Daemon gets a fresh
database of its own on that server and runs with `--registry` on it (unless
its args name a registry): a way to run a test file on the PostgreSQL
backend by hand (docs/registry.md); tests that read d.db with sqlite3 do
not apply there.
"""

import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

SOURCE_DIR = os.environ.get("INNET_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_DIR = os.environ.get("INNET_BUILD_DIR", "")
INNETD = os.environ.get("INNETD", os.path.join(BUILD_DIR or "build", "innetd"))
INNET_CLI = os.environ.get("INNET_CLI", os.path.join(BUILD_DIR or "build", "innet"))

# Start-up under ASan/valgrind can be slow; this bounds waiting, it is never asserted.
START_TIMEOUT = float(os.environ.get("INNET_TEST_START_TIMEOUT", "30"))


def source(rel):
    """Path of a file in the source tree."""
    return os.path.join(SOURCE_DIR, rel)


def example(name):
    """Path of a file in the repository's examples/ folder
    (example("figure4-request.json"))."""
    return os.path.join(SOURCE_DIR, "examples", name)


class Skip(Exception):
    pass


def sanitized():
    """Is the build under test instrumented (AddressSanitizer, UBSan)? Its
    code runs several times slower and its allocator keeps freed memory in
    quarantine, so figures about time and resident memory mean nothing
    there: a test states them for optimized builds only."""
    try:
        with open(os.path.join(BUILD_DIR, "meson-info", "intro-buildoptions.json")) as f:
            opts = {o["name"]: o["value"] for o in json.load(f)}
    except (OSError, ValueError):
        return False
    return opts.get("b_sanitize", "none") not in ("none", "")


def skip(reason):
    raise Skip(reason)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # dict, lower-case names
        self.body = body        # bytes
        self.text = body.decode("utf-8", "replace")
        try:
            self.json = json.loads(self.text) if body else None
        except ValueError:
            self.json = None

    @property
    def error_code(self):
        """error.code of a JSON error body, or None."""
        try:
            return self.json["error"]["code"]
        except (TypeError, KeyError):
            return None

    def __repr__(self):
        return f"<Response {self.status} {self.text[:300]!r}>"


class Verbs:
    """get/post/put/delete, for classes with a request(method, path, body, **kw)."""

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


class Client(Verbs):
    """One keep-alive HTTP/1.1 connection to a daemon."""

    def __init__(self, host, port, token=None, timeout=30):
        self.host, self.port, self.token = host, port, token
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)

    def request(self, method, path, body=None, token="default", headers=None, raw=None,
                content_type="application/json"):
        """body: a JSON value (sent as JSON); raw: bytes sent as they are.
        token: "default" (the client's), None (no Authorization) or a string."""
        h = {}
        tok = self.token if token == "default" else token
        if tok is not None:
            h["Authorization"] = f"Bearer {tok}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
        elif raw is not None:
            data = raw if isinstance(raw, bytes) else raw.encode()
        if data is not None and content_type is not None:
            h["Content-Type"] = content_type
        h.update(headers or {})
        self.conn.request(method, path, body=data, headers=h)
        resp = self.conn.getresponse()
        body = resp.read()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)

    def close(self):
        self.conn.close()


def fresh_pg_database(uri):
    """A new, empty database on the server of uri; its URI."""
    import urllib.parse
    sys.path.insert(0, os.path.dirname(__file__))
    import pgcluster
    name = "innet_" + secrets.token_hex(6)
    subprocess.run([os.path.join(pgcluster.PG_BIN, "psql"), uri, "-X", "-q", "-v", "ON_ERROR_STOP=1",
                    "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(uri)._replace(path="/" + name))


class Daemon(Verbs):
    def __init__(self, args=(), network=None, policy=None, token=None, env=None,
                 config=None, state_dir=None, log_level="info", name="innetd", cwd=None):
        self.extra = list(args)
        self.network, self.policy, self.config = network, policy, config
        # token=False: pass no --admin-token (generated, or INNET_ADMIN_TOKEN via env)
        self.token = None if token is False else token or "test-admin-" + secrets.token_hex(16)
        self.env = dict(env or {})
        self.own_dir = state_dir is None
        self.dir = state_dir or tempfile.mkdtemp(prefix=f"innet-{name}-")
        self.db = os.path.join(self.dir, "innet.db")
        self.ready = os.path.join(self.dir, "ready")
        self.logfile = os.path.join(self.dir, "innetd.log")
        self.log_level = log_level
        self.proc = None
        self.host, self.port = "127.0.0.1", None
        self._client = None
        self.cwd = cwd or self.dir  # relative paths in flags/config resolve here
        self.registry = None
        pg = os.environ.get("INNET_TEST_REGISTRY_PG")
        if pg and not any(str(x).startswith("--registry") for x in self.extra) and self.own_dir:
            self.registry = fresh_pg_database(pg)

    # --- lifecycle -------------------------------------------------------
    def argv(self):
        a = [INNETD]
        if self.config:
            a += ["--config", self.config]
        a += ["--db", self.db, "--listen", "127.0.0.1:0", "--ready-file", self.ready,
              "--log-level", self.log_level]
        if self.registry:
            a += ["--registry", self.registry]
        if self.token is not None:
            a += ["--admin-token", self.token]
        if self.network is not None:
            a += ["--network", self.network]
        if self.policy is not None:
            a += ["--policy", self.policy]
        return a + self.extra

    def start(self):
        if os.path.exists(self.ready):
            os.unlink(self.ready)
        env = dict(os.environ)
        env.pop("INNET_ADMIN_TOKEN", None)
        env.update(self.env)
        if self.token is None and env.get("INNET_ADMIN_TOKEN"):
            self.token = env["INNET_ADMIN_TOKEN"]
        self._log = open(self.logfile, "ab")
        self.proc = subprocess.Popen(self.argv(), stdout=self._log, stderr=subprocess.STDOUT,
                                     env=env, cwd=self.cwd)
        deadline = time.monotonic() + START_TIMEOUT
        while not os.path.exists(self.ready):
            if self.proc.poll() is not None:
                raise AssertionError(f"innetd exited with {self.proc.returncode} at start:\n{self.log()}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"innetd did not become ready:\n{self.log()}")
            time.sleep(0.02)
        with open(self.ready) as f:
            host, port = f.read().strip().rsplit(":", 1)
        self.host, self.port = host, int(port)
        while True:
            try:
                if self.get("/v1/health", token=None, fresh=True).status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"/v1/health never answered:\n{self.log()}")
            time.sleep(0.05)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=20, expect=0):
        """Signal the daemon, wait, assert its exit status; returns it."""
        if self._client:
            self._client.close()
            self._client = None
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"innetd did not exit within {timeout}s of {sig!r}:\n{self.log()}")
        self.proc = None
        self._log.close()
        self.check_log()
        if expect is not None and rc != expect:
            raise AssertionError(f"innetd exited with {rc}, expected {expect}:\n{self.log()}")
        return rc

    def check_log(self):
        """Fails on what must never be logged: a statement off the
        registry's thread (src/registry/worker.c)."""
        if "called off the registry's thread" in self.log():
            raise AssertionError(f"innetd ran a statement off the registry thread:\n{self.log()[-6000:]}")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def restart(self, args=None):
        self.stop()
        if args is not None:
            self.extra = list(args)
        return self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        try:
            with open(self.logfile, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.stop()
            else:
                if self.alive():
                    sys.stderr.write(f"--- innetd log ({self.logfile}) ---\n{self.log()[-6000:]}\n")
                self.kill()
        finally:
            if self.own_dir and exc_type is None:
                shutil.rmtree(self.dir, ignore_errors=True)
        return False

    # --- HTTP --------------------------------------------------------------
    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def client(self, token="default"):
        """A new keep-alive connection (token: "default" = admin, None, or a string)."""
        return Client(self.host, self.port, self.token if token == "default" else token)

    def request(self, method, path, body=None, token="default", fresh=False, **kw):
        """One request on the daemon's shared keep-alive connection (or a new
        one when fresh=True). token as in Client.request ("default" = admin)."""
        if fresh:
            c = self.client()
            try:
                return c.request(method, path, body, token=token, **kw)
            finally:
                c.close()
        if not self._client:
            self._client = self.client()
        try:
            return self._client.request(method, path, body, token=token, **kw)
        except (http.client.HTTPException, OSError):
            # the server may close keep-alive connections (idle timeout): retry once
            self._client.close()
            self._client = self.client()
            return self._client.request(method, path, body, token=token, **kw)

    def raw(self, data, timeout=10, read=True):
        """Send raw bytes on a new connection; return what came back until
        the server closed (or the timeout)."""
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        try:
            s.sendall(data)
            if not read:
                return b""
            out = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                if not chunk:
                    break
                out += chunk
            return out
        finally:
            s.close()


def expect_status(resp, status, code=None):
    """Assert a status (and error code, or one of a tuple of codes); returns
    resp for chaining."""
    assert resp.status == status, f"expected {status}, got {resp!r}"
    if code is not None:
        codes = code if isinstance(code, tuple) else (code,)
        assert resp.error_code in codes, f"expected error code {code!r}, got {resp!r}"
    if status >= 400:
        e = resp.json and resp.json.get("error")
        assert isinstance(e, dict) and isinstance(e.get("message"), str) and "details" in e, \
            f"error body is not {{error: {{code, message, details}}}}: {resp!r}"
    return resp


def metrics(d):
    """GET /metrics (operator token) as {"name{labels}": value}."""
    text = expect_status(d.get("/metrics"), 200).text
    return {k: float(v) for k, v in (l.rsplit(" ", 1) for l in text.splitlines() if l and l[0] != "#")}


def wait_for(what, cond, seconds=30):
    """cond()'s first true value, polled every 50 ms; fails after seconds
    (a bound on waiting for something another process does, not a timing
    assertion)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def run(cmd, **kw):
    """subprocess.run with text output captured."""
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def main():
    mod = sys.modules["__main__"]
    tests = [(n, f) for n, f in vars(mod).items() if n.startswith("test_") and callable(f)]
    only = sys.argv[1:]
    passed = failed = skipped = 0
    for name, fn in tests:
        if only and name not in only:
            continue
        t0 = time.monotonic()
        try:
            fn()
        except Skip as e:
            skipped += 1
            print(f"SKIP {name}: {e}", flush=True)
            continue
        except Exception:
            failed += 1
            print(f"FAIL {name}\n{traceback.format_exc()}", flush=True)
            continue
        passed += 1
        print(f"ok   {name} ({time.monotonic() - t0:.2f}s)", flush=True)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    if not (passed or failed or skipped):
        print("no test ran: a test file must run at least one test")
        sys.exit(1)
    sys.exit(1 if failed else 77 if skipped and not passed else 0)
