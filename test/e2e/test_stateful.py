#!/usr/bin/python3
"""Stateful modules end to end (issue 10): real TCP connections and UDP
flows through NAT modules in the REAL innetd's DPDK fast path, between
network namespaces (the topology of test_e2e.py):

  internet  198.51.100.2: the clients
  client    172.16.15.133: the origin servers behind the modules
  dp        innetd (and this script, for its HTTP client)

A module that holds per-flow state is suspended when idle, not stopped:
its mappings survive, any packet of a live connection resumes it, and its
state survives innetd's SIGTERM and (from its last suspend) a kill -9.
Flow quotas behave as Click's full table and are counted.
Needs root and DPDK (exit 77 otherwise)."""
import json
import os
import select
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_e2e as e2e  # noqa: E402  (the topology and helpers)

it = e2e.it
ORIGIN = "172.16.15.133"      # a client's server (in `client`)
WEB_ORIGIN = "198.51.100.10"  # a third party's web server (in `internet`)


# ---- helpers run inside the namespaces (this file with --tcp-*/--udp-*) ----

def helper_tcp_server(addr, port):
    """Accept one connection; for every line print who sent it and echo it."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(4)
    print(json.dumps({"ready": True}), flush=True)
    c, peer = ls.accept()
    f = c.makefile("rb")
    for line in f:
        text = line.decode().strip()
        print(json.dumps({"got": text, "peer": "%s:%d" % peer}), flush=True)
        c.sendall(("echo:" + text + "\n").encode())


def helper_tcp_client(addr, port):
    """Connect; send each line of stdin; print every echo."""
    s = socket.create_connection((addr, port), timeout=60)
    print(json.dumps({"ready": True, "local": "%s:%d" % s.getsockname()}), flush=True)
    f = s.makefile("rb")
    for line in sys.stdin:
        s.sendall(line.encode())
        echo = f.readline().decode().strip()
        print(json.dumps({"echo": echo}), flush=True)


def helper_udp_echo(addr, port):
    """Echo every datagram; print a count of distinct peers now and then."""
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE: 5,000 at once
    u.bind((addr, port))
    print(json.dumps({"ready": True}), flush=True)
    peers = set()
    n = 0
    while True:
        r, _, _ = select.select([u], [], [], 0.5)
        if not r:
            print(json.dumps({"datagrams": n, "peers": len(peers)}), flush=True)
            continue
        data, peer = u.recvfrom(2048)
        n += 1
        peers.add(peer)
        u.sendto(data, peer)


def helper_udp_flows(dst, dport, first_sport, count, rounds):
    """Send one datagram from each of count source ports (raw packets from
    198.51.100.2), paced, and count the flows whose reply came back. A flow
    without a reply is sent again (same ports: the same flow, not a new
    one) for up to `rounds` rounds: the test is about the module, not about
    a loaded machine's veths dropping a datagram."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    sniff.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)
    got = set()

    def send(sports):
        for i, sport in enumerate(sports):
            pkt = e2e.ip_udp("198.51.100.2", dst, sport, dport, b"flow-%d" % sport)
            raw.sendto(pkt, (dst, 0))
            if i % 50 == 49:
                time.sleep(0.01)

    def collect():
        end = time.monotonic() + 10
        quiet = time.monotonic()
        while time.monotonic() < end and time.monotonic() - quiet < 1.5:
            r, _, _ = select.select([sniff], [], [], 0.2)
            if not r:
                continue
            data, a = sniff.recvfrom(65535)
            if a[2] == socket.PACKET_OUTGOING:
                continue
            ip = data[14:]
            if len(ip) < 28 or ip[9] != 17:
                continue
            hl = (ip[0] & 15) * 4
            sp, dp = struct.unpack("!HH", ip[hl:hl + 4])
            if socket.inet_ntoa(ip[12:16]) == dst and sp == dport and ip[hl + 8:] == b"flow-%d" % dp:
                got.add(dp)
                quiet = time.monotonic()

    todo = list(range(first_sport, first_sport + count))
    for _ in range(1 + rounds):
        send(todo)
        collect()
        todo = [p for p in todo if p not in got]
        if not todo:
            break
    print(json.dumps({"sent": count, "replies": len(got)}), flush=True)


if len(sys.argv) > 1 and sys.argv[1].startswith("--") and sys.argv[1] != "--":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "--tcp-server":
        helper_tcp_server(args[0], int(args[1]))
    elif mode == "--tcp-client":
        helper_tcp_client(args[0], int(args[1]))
    elif mode == "--udp-echo":
        helper_udp_echo(args[0], int(args[1]))
    elif mode == "--udp-flows":
        helper_udp_flows(args[0], int(args[1]), int(args[2]), int(args[3]), int(args[4]))
    sys.exit(0)


# ---- the tests -------------------------------------------------------------

T = None


def in_ns(ns, *args, stdin=False):
    cmd = ["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__)] + [str(a) for a in args]
    if not stdin:
        lines = e2e.Lines(cmd)
    else:
        lines = e2e.Lines.__new__(e2e.Lines)
        lines.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
        lines.all = []
        e2e.threading.Thread(target=lines._pump, daemon=True).start()
    T.procs.append(lines)
    return lines


def deploy_proxy(d, tok, name, port, origin_port, proto="tcp"):
    """A reverse proxy (a TCP NAT) to WEB_ORIGIN, a third party's server on
    the internet (the operator's policy keeps unsolicited TCP away from its
    clients), or a UDP front (dns-front) to ORIGIN, a client's server."""
    if proto == "tcp":
        req = {"name": name, "stock": "reverse-proxy",
               "params": {"port": port, "origin": WEB_ORIGIN, "origin_port": origin_port},
               "requirements": "reach from internet tcp dst port %d -> %s -> %s tcp dst port %d -> %s"
                               " -> internet tcp src port %d\n"
                               % (port, name, WEB_ORIGIN, origin_port, name, port)}
    else:
        req = {"name": name, "stock": "dns-front",
               "params": {"port": port, "origin": ORIGIN, "origin_port": origin_port},
               "requirements": "reach from internet udp dst port %d -> %s -> client dst %s udp dst port %d\n"
                               % (port, name, ORIGIN, origin_port)}
    r = it.expect_status(d.post("/v1/modules", req, token=tok), 201)
    assert r.json["verdict"] in ("safe", "sandboxed"), r.json
    return r.json


def talk(client, server, text, timeout=20):
    """Send a line on the live connection; the echo and the server's peer."""
    n_echo = len([o for o in client.all if "echo" in o])
    client.p.stdin.write(text + "\n")
    client.p.stdin.flush()
    got = server.wait(lambda o: o.get("got") == text, timeout=timeout)
    echo = client.wait(lambda o: "echo" in o, n=n_echo + 1, timeout=timeout)
    assert got, "'%s' never reached the origin" % text
    assert len(echo) == n_echo + 1 and echo[-1]["echo"] == "echo:" + text, echo
    return got[0]["peer"]


def test_tcp_connection_survives_suspend_and_restarts():
    """A real TCP connection through the reverse-proxy (a NAT): quiet past
    idle-stop the module is suspended, not stopped; the next segment of the
    connection (not a SYN) resumes it with the same mapping; the same
    across innetd's SIGTERM restart and across kill -9 after a suspend."""
    with it.Daemon(args=T.daemon_args(idle="2s")) as d:
        e2e.setup_operator(d)
        tok = e2e.tenant(d, "shop", "third_party", ["198.51.100.0/24"])
        m = deploy_proxy(d, tok, "shop-proxy", 8080, 80)
        mid, ip = m["id"], m["address"]["ip"]
        info = e2e.module(d, tok, mid)
        assert info.get("stateful") is True, info.get("stateful_elements")

        server = in_ns(T.ns_inet, "--tcp-server", WEB_ORIGIN, 80)
        assert server.wait(lambda o: o.get("ready"), timeout=10)
        client = in_ns(T.ns_inet, "--tcp-client", ip, 8080, stdin=True)
        assert client.wait(lambda o: o.get("ready"), timeout=20), "the connection through the NAT failed"
        peer = talk(client, server, "one")
        assert peer.startswith(ip + ":"), peer  # the origin sees the module's address

        # quiet past idle-stop: suspended with its mapping saved
        info = e2e.wait_module(d, tok, mid, lambda x: x["state"] == "suspended", timeout=20)
        assert info["state"] == "suspended", (info["state"], info["runtime"])
        rt = info["runtime"]
        assert rt["suspends"] == 1 and rt["resumes"] == 0 and rt["memory"] == 0, rt
        assert rt["state_bytes"] > 0, rt

        # more data on the same connection: one resume, the same outside port
        assert talk(client, server, "two") == peer
        rt = e2e.module(d, tok, mid)["runtime"]
        assert rt["resumes"] == 1 and rt["starts"] <= 1, rt
        assert metric_total(d, "innet_module_resumes_total", id=mid) == 1

        # SIGTERM: innetd suspends it and stores its state; the new innetd
        # installs it suspended and the connection goes on
        d.restart()
        info = e2e.module(d, tok, mid)
        assert info["state"] == "suspended", (info["state"], info["runtime"])
        assert talk(client, server, "three") == peer

        # kill -9 after a suspend: back with the state of that suspend
        info = e2e.wait_module(d, tok, mid, lambda x: x["state"] == "suspended", timeout=20)
        assert info["state"] == "suspended", (info["state"], info["runtime"])
        d.kill()
        d.start()
        assert talk(client, server, "four") == peer
        assert e2e.module(d, tok, mid)["runtime"]["resumes"] == 1
        client.p.stdin.close()


def metric_total(d, name, **labels):
    return e2e.metric(d, name, **labels)


def start_module(d, tok, mid, ip, sport):
    """One flow starts the module (a module that is starting holds only
    its first few packets: hold-packets), so the measured flows meet it
    running."""
    assert flows_through(d, tok, ip, sport, 1) == 1
    info = e2e.wait_module(d, tok, mid, lambda x: x["state"] == "running")
    assert info["state"] == "running", info["runtime"]


def flows_through(d, tok, ip, first_sport, count, rounds=2):
    r = in_ns(T.ns_inet, "--udp-flows", ip, 9000, first_sport, count, rounds)
    got = r.wait(lambda o: "replies" in o, timeout=60)
    assert got, "the flow sender did not finish"
    return got[0]["replies"]


def table(d, tok, mid):
    tabs = e2e.module(d, tok, mid)["runtime"]["tables"]
    assert tabs, "no table counters for a NAT module"
    return tabs[0]


def test_udp_flows_and_quota():
    """5,000 concurrent UDP flows through one NAT with the default quota all
    pass (and their replies come back to each flow); with a tenant quota of
    100 flows the rest are refused while the 100 are within their
    guarantee, counted as full-table drops, and once the guarantees run out
    new flows evict the oldest best-effort mappings, as Click's table."""
    with it.Daemon(args=T.daemon_args(idle="60s")) as d:
        e2e.setup_operator(d)
        echo = in_ns(T.ns_cli, "--udp-echo", ORIGIN, 9001)
        assert echo.wait(lambda o: o.get("ready"), timeout=10)

        tok = e2e.tenant(d, "dns-a", "client", [ORIGIN + "/32"])
        m = deploy_proxy(d, tok, "front-a", 9000, 9001, proto="udp")
        start_module(d, tok, m["id"], m["address"]["ip"], 19999)
        replies = flows_through(d, tok, m["address"]["ip"], 20000, 5000)
        assert replies == 5000, (replies, e2e.module(d, tok, m["id"])["runtime"])
        tab = table(d, tok, m["id"])
        assert tab["entries"] == 5001 and tab["full_drops"] == 0, tab
        # memory follows the flows (the table grew), within the module quota
        mem = e2e.module(d, tok, m["id"])["runtime"]["memory"]
        assert 5001 * 34 < mem <= 16 << 20, mem

        r = it.expect_status(d.post("/v1/tenants", {"name": "dns-b", "kind": "client",
                                                     "addresses": [ORIGIN + "/32"],
                                                     "quotas": {"flows": 100}}), 201)
        tok_b = r.json["token"]
        m = deploy_proxy(d, tok_b, "front-b", 9000, 9001, proto="udp")
        assert m["quotas"]["flows"] == 100, m["quotas"]
        start_module(d, tok_b, m["id"], m["address"]["ip"], 29999)
        # one round, no resends: a resend seconds later could meet the
        # warm-up flow past its guarantee and rightly evict it
        replies = flows_through(d, tok_b, m["address"]["ip"], 30000, 1000, rounds=0)
        assert replies == 99, replies
        # every other flow met a full table: counted, in the API and /metrics
        tab = table(d, tok_b, m["id"])
        assert tab["entries"] == 100 and tab["capacity"] == 100 and tab["full_drops"] == 901, tab
        drops = tab["full_drops"]
        assert metric_total(d, "innet_module_table_full_drops_total", id=m["id"]) == drops
        # UDP mappings are guaranteed for 5 s after their last packet; then
        # they are best-effort and new flows take their place
        time.sleep(6)
        replies = flows_through(d, tok_b, m["address"]["ip"], 40000, 10)
        assert replies == 10, replies
        tab = table(d, tok_b, m["id"])
        assert tab["entries"] == 100 and tab["full_drops"] == drops, tab


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skip: the end-to-end packet tests need root (network namespaces, net_af_packet)")
        sys.exit(77)
    drv = os.path.join(it.BUILD_DIR, "test", "dataplane", "innet-dp-driver")
    if os.path.exists(drv) and subprocess.run([drv], capture_output=True).returncode == 77:
        print("skip: innet was built without DPDK")
        sys.exit(77)
    T = e2e.T = e2e.Topo()
    try:
        T.up()
        e2e.sh("ip", "addr", "add", WEB_ORIGIN + "/24", "dev", T.ii, ns=T.ns_inet)
        it.main()
    finally:
        T.down()
