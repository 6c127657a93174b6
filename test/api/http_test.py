"""innetd's HTTP server: limits, timeouts, pipelining, keep-alive under load,
malformed requests. Real daemon, real sockets."""
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
import innet_test as it  # noqa: E402


def split_responses(data):
    """Parse concatenated HTTP responses -> [(status, headers, body)]."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        assert sep, f"truncated response: {data[:200]!r}"
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
        n = int(headers.get("content-length", "0"))
        out.append((status, headers, rest[:n]))
        data = rest[n:]
    return out


def test_body_too_large():
    with it.Daemon(args=["--max-body", "2K"]) as d:
        big = {"name": "a", "kind": "client", "pad": "x" * 3000}
        r = it.expect_status(d.post("/v1/tenants", big, fresh=True), 413, "body_too_large")
        # announced but never sent: answered at once from the Content-Length
        out = d.raw(b"POST /v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 100000000\r\n\r\n")
        (status, headers, body), = split_responses(out)
        assert status == 413 and json.loads(body)["error"]["code"] == "body_too_large"
        # chunked bodies are counted too
        chunk = b"800\r\n" + b"x" * 0x800 + b"\r\n"
        out = d.raw(b"POST /v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n" + chunk * 3 + b"0\r\n\r\n")
        assert split_responses(out)[0][0] == 413
        # just under the limit is fine
        ok = {"name": "b", "kind": "client"}
        it.expect_status(d.post("/v1/tenants", ok), 201)
        assert [t["name"] for t in d.get("/v1/tenants").json["tenants"]] == ["b"]


def test_chunked_body_accepted():
    with it.Daemon() as d:
        body = json.dumps({"name": "c", "kind": "client"}).encode()
        req = (b"POST /v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Authorization: Bearer " + d.token.encode() + b"\r\nTransfer-Encoding: chunked\r\n"
               b"Connection: close\r\n\r\n" + b"%x\r\n" % 5 + body[:5] + b"\r\n" +
               b"%x\r\n" % (len(body) - 5) + body[5:] + b"\r\n0\r\n\r\n")
        (status, _, b), = split_responses(d.raw(req))
        assert status == 201 and json.loads(b)["name"] == "c"


def test_head_wherever_get():
    """HEAD is answered wherever GET is: the GET's status and headers
    (Content-Length included), no body; Allow lists it."""
    with it.Daemon() as d:
        get = d.raw(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        (gs, gh, gb), = split_responses(get)
        out = d.raw(b"HEAD /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head, _, rest = out.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200") and rest == b"", out
        assert b"content-length: %d" % len(gb) in head.lower(), head
        # an operator call too, with its token
        out = d.raw(b"HEAD /v1/tenants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + d.token.encode()
                    + b"\r\nConnection: close\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 200") and out.endswith(b"\r\n\r\n"), out
        out = d.raw(b"PUT /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        (st, hd, _), = split_responses(out)
        assert st == 405 and hd["allow"] == "GET, HEAD", (st, hd)


def test_headers_too_large():
    with it.Daemon() as d:
        out = d.raw(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        (status, headers, body), = split_responses(out)
        assert status == 431 and json.loads(body)["error"]["code"] == "headers_too_large"
        assert headers.get("connection") == "close"
        it.expect_status(d.get("/v1/health", token=None), 200)


def test_malformed_requests_do_not_crash():
    with it.Daemon() as d:
        for junk in [b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"\x00\x01\x02\r\n\r\n",
                     b"GET /v1/health HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                     b"GET /v1/health HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                     b"POST /v1/tenants HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"]:
            out = d.raw(junk)
            assert split_responses(out)[0][0] == 400, (junk, out)
        it.expect_status(d.get("/v1/health", token=None), 200)
        # a path that is not UTF-8 still gets a JSON error (echoed safely), and is audited
        auth = b"Authorization: Bearer " + d.token.encode() + b"\r\n"
        (status, _, body), = split_responses(d.raw(b"DELETE /v1/tenants/\xec\xff HTTP/1.1\r\nHost: x\r\n"
                                                   + auth + b"Connection: close\r\n\r\n"))
        err = json.loads(body)["error"]
        assert status == 404 and err["code"] == "not_found" and "?" in err["message"], body
        audit = d.get("/v1/audit").json["audit"]
        assert audit[0]["path"] == "/v1/tenants/??" and audit[0]["status"] == 404


def test_pipelined_requests_answered_in_order():
    with it.Daemon() as d:
        auth = b"Authorization: Bearer " + d.token.encode() + b"\r\n"
        body = b'{"name": "p1", "kind": "client"}'
        reqs = (b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
                b"GET /v1/nope HTTP/1.1\r\nHost: x\r\n\r\n"
                b"POST /v1/tenants HTTP/1.1\r\nHost: x\r\n" + auth +
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body +
                b"GET /v1/tenants HTTP/1.1\r\nHost: x\r\n" + auth + b"Connection: close\r\n\r\n")
        rs = split_responses(d.raw(reqs))
        assert [r[0] for r in rs] == [200, 404, 201, 200], rs
        assert json.loads(rs[3][2])["tenants"][0]["name"] == "p1"


def test_slowloris_closed_others_served():
    with it.Daemon(args=["--header-timeout", "300ms"]) as d:
        s = socket.create_connection((d.host, d.port), timeout=20)
        req = b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 40
        closed = False
        for i, byte in enumerate(req):
            try:
                s.send(bytes([byte]))
            except OSError:
                closed = True
                break
            if i % 5 == 0:
                # meanwhile everybody else is served
                it.expect_status(d.get("/v1/health", token=None, fresh=True), 200)
            time.sleep(0.03)
        # then stall: the server must close the connection without answering
        try:
            data = s.recv(1024)
        except ConnectionResetError:
            data = b""
        s.close()
        assert closed or data == b"", data
        it.expect_status(d.get("/v1/health", token=None), 200)
        # and a connection that never sends anything is closed too
        s = socket.create_connection((d.host, d.port), timeout=20)
        assert s.recv(1024) == b""
        s.close()


def test_idle_keepalive_closed():
    with it.Daemon(args=["--idle-timeout", "200ms"]) as d:
        s = socket.create_connection((d.host, d.port), timeout=20)
        s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(4096)
        assert data.startswith(b"HTTP/1.1 200")
        # keep-alive: the connection stays open for a while, then closes
        rest = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            rest += chunk
        s.close()
        assert b"HTTP/1.1" not in rest


def test_max_connections():
    with it.Daemon(args=["--max-connections", "3"]) as d:
        held = [socket.create_connection((d.host, d.port), timeout=20) for _ in range(3)]
        try:
            # the first three are served
            for s in held:
                s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
                assert s.recv(4096).startswith(b"HTTP/1.1 200")
            out = d.raw(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            (status, _, body), = split_responses(out)
            assert status == 503 and json.loads(body)["error"]["code"] == "too_many_connections"
        finally:
            for s in held:
                s.close()
        # once they are gone, new clients get in again
        for _ in range(100):
            r = d.get("/v1/health", token=None, fresh=True)
            if r.status == 200:
                break
            time.sleep(0.05)
        it.expect_status(r, 200)


def test_200_concurrent_keepalive_clients():
    with it.Daemon() as d:
        n, rounds = 200, 5
        errors, statuses = [], []
        lock = threading.Lock()
        start = threading.Barrier(n)

        def worker(i):
            try:
                c = d.client()
                start.wait(timeout=60)
                for k in range(rounds):
                    r1 = c.get("/v1/health", token=None)
                    r2 = c.get("/v1/tenants")
                    with lock:
                        statuses.extend([r1.status, r2.status])
                if i % 20 == 0:
                    r3 = c.post("/v1/tenants", {"name": f"t{i}", "kind": "client"})
                    with lock:
                        statuses.append(r3.status if r3.status != 201 else 200)
                c.close()
            except Exception as e:  # noqa: BLE001
                with lock:
                    errors.append(repr(e))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors[:5]
        assert len(statuses) == n * rounds * 2 + n // 20 and set(statuses) == {200}, set(statuses)
        assert len(d.get("/v1/tenants").json["tenants"]) == n // 20


def test_expect_continue():
    with it.Daemon() as d:
        # curl and others send Expect: 100-continue for big bodies
        body = json.dumps({"name": "e", "kind": "client"}).encode()
        s = socket.create_connection((d.host, d.port), timeout=20)
        s.sendall(b"POST /v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Authorization: Bearer " + d.token.encode() + b"\r\nExpect: 100-continue\r\n"
                  b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body))
        first = s.recv(4096)
        assert first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), first
        s.sendall(body)
        data = first[len(b"HTTP/1.1 100 Continue\r\n\r\n"):]
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        assert split_responses(data)[0][0] == 201


it.main()
