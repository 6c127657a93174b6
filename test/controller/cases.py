"""Realistic requests for the controller tests: one per kind of module, each
written as its owner would (a Click configuration plus the requirements that
say what it is for), on the Figure 3 network.

Tenants: a third party whose origin servers live in 198.51.100.0/24 and who
whitelisted its partner network 203.0.113.0/24; a client who owns
172.16.15.0/24 (its home network behind the operator); the operator itself.
"""

TENANTS = {
    "third_party": {"addresses": ["198.51.100.0/24"], "whitelist": ["203.0.113.0/24"]},
    "client": {"addresses": ["172.16.15.0/24"]},
    "operator": {},
}

# Where each kind's module sends what it serves: the third party to its
# origin, the client to its own network, the operator anywhere it likes.
ORIGIN = {"third_party": "198.51.100.10", "client": "172.16.15.10", "operator": "198.51.100.10"}
# A client's web origin is its server in the cloud (a client may send
# anywhere; a third party only to its own prefixes).
WEB_ORIGIN = {"third_party": "198.51.100.10", "client": "192.168.77.10", "operator": "198.51.100.10"}
# How the requirements name that destination.
DEST_NODE = {"third_party": "internet", "client": "client", "operator": "internet"}

# Table 1: expected verdict per tenant kind ("rejected" means refused by
# the controller; for transit boxes the report says why).
TABLE1 = {
    "ip-router": {"third_party": "rejected", "client": "rejected", "operator": "safe"},
    "dpi": {"third_party": "rejected", "client": "rejected", "operator": "safe"},
    "nat": {"third_party": "rejected", "client": "rejected", "operator": "safe"},
    "transparent-proxy": {"third_party": "rejected", "client": "rejected", "operator": "safe"},
    "flow-meter": {"third_party": "safe", "client": "safe", "operator": "safe"},
    "rate-limiter": {"third_party": "safe", "client": "safe", "operator": "safe"},
    "firewall": {"third_party": "safe", "client": "safe", "operator": "safe"},
    "tunnel": {"third_party": "sandboxed", "client": "safe", "operator": "safe"},
    "multicast": {"third_party": "safe", "client": "safe", "operator": "safe"},
    "dns-server": {"third_party": "safe", "client": "safe", "operator": "safe"},
    "reverse-proxy": {"third_party": "safe", "client": "safe", "operator": "safe"},
}

# Transit boxes: two devices; the operator splices them between the clients
# and the core router (device 0 faces the clients, device 1 the core).
INLINE = ["clients:0", "core:2"]

TRANSIT = {
    "ip-router": (
        "// a router for the client network: longest-prefix match, TTL\n"
        "rt :: StaticIPLookup(172.16.0.0/16 0, 0.0.0.0/0 1);\n"
        "FromDevice(0) -> CheckIPHeader -> DecIPTTL -> rt;\n"
        "FromDevice(1) -> CheckIPHeader -> DecIPTTL -> rt;\n"
        "rt[0] -> ToDevice(0);\n"
        "rt[1] -> ToDevice(1);\n",
        "reach from client udp dst host 8.8.8.8 -> {name} -> internet dst host 8.8.8.8\n",
    ),
    "dpi": (
        "// drops TCP whose payload starts with the BitTorrent handshake\n"
        "dpi :: Classifier(40/13426974, -);\n"
        "FromDevice(0) -> dpi;\n"
        "dpi[0] -> Discard;\n"
        "dpi[1] -> ToDevice(1);\n"
        "FromDevice(1) -> ToDevice(0);\n",
        "always from client tcp -> {name} -> internet\n",
    ),
    "nat": (
        "// source NAT of the client network behind one address\n"
        "rw :: IPRewriter(pattern 172.16.255.254 1024-65535 - - 0 1, drop);\n"
        "back :: IPClassifier(dst host 172.16.255.254, -);\n"
        "FromDevice(0) -> [0]rw;\n"
        "FromDevice(1) -> back;\n"
        "back[0] -> [1]rw;\n"
        "back[1] -> ToDevice(0);\n"
        "rw[0] -> ToDevice(1);\n"
        "rw[1] -> ToDevice(0);\n",
        "reach from client udp dst host 8.8.8.8 -> {name} -> internet dst host 8.8.8.8 src host 172.16.255.254\n",
    ),
    "transparent-proxy": (
        "// intercepts web traffic and sends it on from the proxy's address\n"
        "web :: IPClassifier(tcp dst port 80, -);\n"
        "back :: IPClassifier(dst host 172.16.255.253, -);\n"
        "rw :: IPRewriter(pattern 172.16.255.253 1024-65535 - - 0 1, drop);\n"
        "FromDevice(0) -> web;\n"
        "web[0] -> [0]rw;\n"
        "web[1] -> ToDevice(1);\n"
        "FromDevice(1) -> back;\n"
        "back[0] -> [1]rw;\n"
        "back[1] -> ToDevice(0);\n"
        "rw[0] -> ToDevice(1);\n"
        "rw[1] -> ToDevice(0);\n",
        # transparent: the clients address the web server, not the proxy
        "reach from client tcp dst port 80 and dst host 93.184.216.34 -> {name} -> internet tcp dst port 80 and src host 172.16.255.253\n",
    ),
}


def _addressed(name, kind):
    o = ORIGIN[kind]
    dest = DEST_NODE[kind]
    if name == "flow-meter":
        return (
            "// counts what is sent to the module and passes it to the origin\n"
            "FromNetFront() -> IPFilter(allow udp dst port 9000, deny all) -> Counter\n"
            f"  -> IPRewriter(pattern - - {o} - 0 0) -> ToNetFront();\n",
            f"reach from internet udp dst port 9000 -> {{name}} -> {dest} dst host {o} udp dst port 9000\n",
        )
    if name == "rate-limiter":
        return (
            "// lets 1000 packets per second through to the origin\n"
            "rl :: RatedSplitter(1000);\n"
            "FromNetFront() -> IPFilter(allow udp dst port 9001, deny all) -> rl\n"
            f"  -> IPRewriter(pattern - - {o} - 0 0) -> ToNetFront();\n"
            "rl[1] -> Discard;\n",
            f"reach from internet udp dst port 9001 -> {{name}} -> {dest} dst host {o}\n",
        )
    if name == "firewall":
        # UDP: the operator's policy forbids opening TCP towards clients
        return (
            "// only the partner network may reach the service\n"
            "FromNetFront() -> IPFilter(allow udp dst port 5060 and src net 203.0.113.0/24, deny all)\n"
            f"  -> IPRewriter(pattern - - {o} - 0 0) -> ToNetFront();\n",
            f"reach from internet udp dst port 5060 src net 203.0.113.0/24 -> {{name}} -> {dest} dst host {o}\n"
            f"never from internet udp src net 8.0.0.0/8 -> {{name}} -> {dest} dst host {o}\n",
        )
    if name == "multicast":
        o2 = o[:-1] + "1"  # .11: a second receiver of the same tenant
        return (
            "// copies each datagram to two receivers\n"
            "t :: Tee(2);\n"
            "out :: ToNetFront();\n"
            "FromNetFront() -> IPFilter(allow udp dst port 6000, deny all) -> t;\n"
            f"t[0] -> IPRewriter(pattern $MODULE_IP - {o} - 0 0) -> out;\n"
            f"t[1] -> IPRewriter(pattern $MODULE_IP - {o2} - 0 0) -> out;\n",
            f"reach from internet udp dst port 6000 -> {{name}} -> {dest} dst host {o}\n"
            f"reach from internet udp dst port 6000 -> {{name}} -> {dest} dst host {o2}\n",
        )
    if name == "tunnel":
        return (
            None,
            "reach from internet ip proto 4 -> {name} -> internet\n" if kind != "client"
            else "reach from internet ip proto 4 -> {name} -> client\n",
        )
    if name == "dns-server":
        return (None, f"reach from internet udp dst port 53 -> {{name}} -> {dest} dst host {o} udp dst port 53\n")
    if name == "reverse-proxy":
        # its origin is on the internet: the operator's policy forbids
        # opening TCP connections towards clients, even from a module
        o, dest = WEB_ORIGIN[kind], "internet"
        return (None, f"reach from internet tcp dst port 8080 -> {{name}} -> {dest} dst host {o} tcp dst port 80\n")
    raise KeyError(name)


STOCK = {
    "tunnel": lambda kind: ("tunnel", {}),
    "dns-server": lambda kind: ("dns-front", {"origin": ORIGIN[kind]}),
    "reverse-proxy": lambda kind: ("reverse-proxy", {"port": 8080, "origin": WEB_ORIGIN[kind], "origin_port": 80}),
}


def module_name(name):
    return name.replace("-", "_")


def request(name, kind, mname=None):
    """The request a tenant of `kind` would send for Table 1 row `name`."""
    mname = mname or module_name(name)
    if name in TRANSIT:
        click, reqs = TRANSIT[name]
        r = {"name": mname, "config": click, "requirements": reqs.format(name=mname)}
        if kind == "operator":
            r["inline"] = INLINE
        return r
    click, reqs = _addressed(name, kind)
    r = {"name": mname, "requirements": reqs.format(name=mname)}
    if name in STOCK:
        r["stock"], r["params"] = STOCK[name](kind)
    else:
        r["config"] = click
    return r
