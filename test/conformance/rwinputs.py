#!/usr/bin/env python3
"""The input captures of the rewriter fixtures, made with fixed seeds and
nothing but the standard library (no scapy):

    /usr/bin/python3 test/conformance/rwinputs.py

writes test/fixtures/conformance/rw-replies.pcap and rw-mixed.pcap
(LINKTYPE_RAW, one packet per millisecond, IP ID of packet i = i mod 65536).

Inside hosts are 10.0.0.0/8; everything else is outside. The fixtures split
the capture with `IPClassifier(src net 10.0.0.0/8, -)`: inside packets
enter the rewriter's input 0 (a pattern, keep or drop spec), outside ones
its input 1 (usually `drop`, so only replies to mappings get through).

Replies must name the rewritten flow, so the generator predicts it. For
`pattern 192.0.2.1 1024-65535# - - 0 1` ('#': sequential, no
same-first) the k-th new TCP/UDP flow (k from 0, counted over the inside
packets in capture order) gets source port 1024+k in Click and in innet;
for `pattern 192.0.2.1 1024-65535 - - 0 1` an inside source port of 1024 or
more is kept when its reply key is free. Every reply is written three
ways, each for the fixtures of one rule: to 192.0.2.1 port 1024+k, to
192.0.2.1 at the inside port, and straight to the inside host (keep).

rw-replies.pcap: about 600 packets of some 120 TCP and UDP flows from 40
inside hosts to a few servers, a few inside hosts reusing another's source
port towards the same server (same-first collisions), ICMP echoes, replies
interleaved after their requests, unsolicited outside packets, and replies
from 198.51.100.7:8080 to 192.0.2.1:4000 (the fixed pattern's reply key).

rw-mixed.pcap: 3,000 random TCP, UDP, ICMP and IP-in-IP packets over 200
inside and 100 outside addresses, 150 inside and 20 server ports, with
packets to and from 192.0.2.1 and 172.16.15.133 and reversed earlier flows
among them."""
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', 'fixtures', 'conformance')
PUBLIC = '192.0.2.1'
DSTONLY = '172.16.15.133'


def aton(a):
    return bytes(int(x) for x in a.split('.'))


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip_packet(ident, proto, src, dst, l4, ttl=64):
    hdr = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), ident & 0xffff, 0, ttl, proto, 0,
                                aton(src), aton(dst)))
    hdr[10:12] = struct.pack('!H', csum(bytes(hdr)))
    return bytes(hdr) + l4


def l4_packet(proto, src, dst, sport, dport, payload, flags=0x18, seq=1, ack=1):
    pseudo = aton(src) + aton(dst)
    if proto == 6:
        h = bytearray(struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4, flags, 8192, 0, 0)) + payload
        h[16:18] = struct.pack('!H', csum(pseudo + struct.pack('!BBH', 0, 6, len(h)) + bytes(h)))
    else:
        h = bytearray(struct.pack('!HHHH', sport, dport, 8 + len(payload), 0)) + payload
        c = csum(pseudo + struct.pack('!BBH', 0, 17, len(h)) + bytes(h))
        h[6:8] = struct.pack('!H', c or 0xffff)
    return bytes(h)


def icmp_echo(kind, ident, seq, payload):
    h = bytearray(struct.pack('!BBHHH', kind, 0, 0, ident, seq)) + payload
    h[2:4] = struct.pack('!H', csum(bytes(h)))
    return bytes(h)


class Capture:
    def __init__(self):
        self.pkts = []

    def ident(self):
        return len(self.pkts)

    def l4(self, proto, src, dst, sport, dport, payload, **kw):
        self.pkts.append(ip_packet(self.ident(), proto, src, dst,
                                   l4_packet(proto, src, dst, sport, dport, payload, **kw)))

    def icmp(self, src, dst, kind, ident, seq, payload):
        self.pkts.append(ip_packet(self.ident(), 1, src, dst, icmp_echo(kind, ident, seq, payload)))

    def ipip(self, src, dst, isrc, idst, payload):
        inner = ip_packet(self.ident() ^ 0x5555, 17, isrc, idst, l4_packet(17, isrc, idst, 1, 2, payload))
        self.pkts.append(ip_packet(self.ident(), 4, src, dst, inner))

    def write(self, path):
        with open(path, 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
            for i, b in enumerate(self.pkts):
                f.write(struct.pack('<IIII', 1000000000 + i // 1000, (i % 1000) * 1000, len(b), len(b)))
                f.write(b)
        return len(self.pkts)


class Flows:
    """The inside TCP/UDP flows in order of first appearance: their index k
    is the '#' pattern's port offset."""

    def __init__(self):
        self.index = {}
        self.order = []

    def see(self, proto, src, sport, dst, dport):
        key = (proto, src, sport, dst, dport)
        if key not in self.index:
            self.index[key] = len(self.order)
            self.order.append(key)
        return self.index[key]


def replies(cap, flow, k, payload):
    """The three replies to inside flow `flow` (k-th new one)."""
    proto, src, sport, dst, dport = flow
    kw = {'flags': 0x10} if proto == 6 else {}
    cap.l4(proto, dst, PUBLIC, dport, 1024 + k, payload, **kw)   # '#' pattern
    cap.l4(proto, dst, PUBLIC, dport, sport, payload, **kw)      # same-first pattern
    cap.l4(proto, dst, src, dport, sport, payload, **kw)         # keep


def make_replies(path):
    rnd = random.Random(20261206)
    cap, flows = Capture(), Flows()
    hosts = ['10.0.0.%d' % i for i in range(1, 41)]
    servers = ['198.51.100.%d' % i for i in (7, 20, 33)] + ['203.0.113.%d' % i for i in (5, 80)]
    sports = [80, 443, 53, 8080, 123]
    pending, started = [], []

    def payload():
        return bytes(rnd.randrange(256) for _ in range(rnd.choice([0, 4, rnd.randrange(1, 40)])))

    for i in range(120):
        proto = rnd.choice([6, 17])
        if started and i % 9 == 4:
            # a different inside host, the same source port and server:
            # the same-first port is taken
            p0, h0, s0, d0, dp0 = rnd.choice(started)
            flow = (p0, rnd.choice([h for h in hosts if h != h0]), s0, d0, dp0)
        else:
            flow = (proto, rnd.choice(hosts), rnd.choice([rnd.randrange(20000, 60000), 30000 + i]),
                    rnd.choice(servers), rnd.choice(sports))
        p, h, s, d, dp = flow
        k = flows.see(p, h, s, d, dp)
        started.append(flow)
        cap.l4(p, h, d, s, dp, payload(), **({'flags': 0x02} if p == 6 else {}))
        pending.append((flow, k))
        # some replies now, in a random order; a request again sometimes
        for _ in range(rnd.randrange(0, 3)):
            if pending:
                fl, kk = pending.pop(rnd.randrange(len(pending)))
                replies(cap, fl, kk, payload())
        if rnd.random() < 0.3:
            p, h, s, d, dp = rnd.choice(started)
            cap.l4(p, h, d, s, dp, payload(), **({'flags': 0x18} if p == 6 else {}))
        if rnd.random() < 0.15:  # unsolicited from outside
            cap.l4(rnd.choice([6, 17]), rnd.choice(servers), PUBLIC, rnd.choice(sports),
                   rnd.randrange(1, 65536), payload())
        if rnd.random() < 0.1:  # echo out, reply back to the public address
            h, e = rnd.choice(hosts), rnd.randrange(65536)
            cap.icmp(h, rnd.choice(servers), 8, e, i, payload())
            cap.icmp(rnd.choice(servers), PUBLIC, 0, e, i, payload())
        if i % 17 == 0:  # a reply to the fixed pattern's rewritten flow
            cap.l4(rnd.choice([6, 17]), '198.51.100.7', PUBLIC, 8080, 4000, payload())
    for fl, kk in pending:
        replies(cap, fl, kk, payload())
    return cap.write(path)


def make_mixed(path, n=3000):
    rnd = random.Random(20261207)
    cap, flows = Capture(), Flows()
    inside = ['10.%d.%d.%d' % (rnd.randrange(0, 4), rnd.randrange(256), rnd.randrange(1, 255))
              for _ in range(200)]
    outside = ['%d.%d.%d.%d' % (rnd.choice([8, 93, 151, 185, 198, 203]), rnd.randrange(256),
                                rnd.randrange(256), rnd.randrange(1, 255)) for _ in range(98)]
    outside += [PUBLIC, DSTONLY]
    in_ports = [rnd.randrange(1, 65536) for _ in range(140)] + [rnd.randrange(1, 1024) for _ in range(10)]
    srv_ports = [53, 80, 443, 123, 8080, 25, 22, 993, 5060, 3478] + \
        [rnd.randrange(1024, 65536) for _ in range(10)]
    seen = []
    while len(cap.pkts) < n:
        payload = bytes(rnd.randrange(256) for _ in range(rnd.choice([0, 2, rnd.randrange(1, 48)])))
        r = rnd.random()
        if r < 0.45:  # inside -> outside, TCP or UDP
            p = rnd.choice([6, 17])
            fl = (p, rnd.choice(inside), rnd.choice(in_ports), rnd.choice(outside), rnd.choice(srv_ports))
            if seen and rnd.random() < 0.4:
                fl = rnd.choice(seen)
            flows.see(*fl)
            seen.append(fl)
            p, h, s, d, dp = fl
            cap.l4(p, h, d, s, dp, payload, flags=rnd.choice([0x02, 0x10, 0x18, 0x11, 0x04]))
        elif r < 0.70 and seen:  # a reply to an earlier flow, one of the three ways
            fl = rnd.choice(seen)
            p, h, s, d, dp = fl
            k = flows.index[fl]
            way = rnd.randrange(4)
            if way == 0:
                cap.l4(p, d, PUBLIC, dp, 1024 + k, payload)
            elif way == 1:
                cap.l4(p, d, PUBLIC, dp, s, payload)
            elif way == 2:
                cap.l4(p, d, h, dp, s, payload)
            else:  # back from the destination-only pattern's address
                cap.l4(p, DSTONLY, h, dp, s, payload)
        elif r < 0.80:  # outside -> anywhere, TCP or UDP
            cap.l4(rnd.choice([6, 17]), rnd.choice(outside), rnd.choice(outside + inside[:20]),
                   rnd.choice(srv_ports), rnd.choice(in_ports + [1024 + rnd.randrange(400)]), payload)
        elif r < 0.92:  # ICMP echo either way
            a, b = rnd.choice(inside), rnd.choice(outside)
            if rnd.random() < 0.5:
                cap.icmp(a, b, 8, rnd.randrange(65536), rnd.randrange(65536), payload)
            else:
                cap.icmp(b, rnd.choice([PUBLIC, a]), 0, rnd.randrange(65536), rnd.randrange(65536), payload)
        else:  # IP-in-IP
            a, b = rnd.choice(inside), rnd.choice(outside)
            if rnd.random() < 0.5:
                a, b = b, a
            cap.ipip(a, b, rnd.choice(inside), rnd.choice(outside), payload[:24])
    return cap.write(path)


def icmp_error(kind, code, orig, keep=28):
    """An ICMP error quoting the first `keep` bytes of IP packet `orig`."""
    h = bytearray(struct.pack('!BBHI', kind, code, 0, 0)) + orig[:keep]
    h[2:4] = struct.pack('!H', csum(bytes(h)))
    return bytes(h)


def make_icmp(path):
    """Pings and ICMP errors for ICMPPingRewriter and ICMPRewriter: inside
    hosts ping servers and open TCP/UDP flows; replies come back to the
    '#' pattern's identifier or port (1024 + k, k counting each
    rewriter's new flows), to the packet's own and to the inside host;
    servers and routers answer with errors quoting the rewritten packet
    (and some quoting nothing any rewriter made, truncated or not errors)."""
    rnd = random.Random(20261208)
    cap = Capture()
    hosts = ['10.0.0.%d' % i for i in range(1, 21)]
    servers = ['198.51.100.%d' % i for i in (7, 20, 33)] + ['203.0.113.%d' % i for i in (5, 80)]
    routers = ['198.18.0.1', '198.18.0.2']
    pings, flows = [], []
    pk, fk = {}, {}

    def payload():
        return bytes(rnd.randrange(256) for _ in range(rnd.choice([0, 4, rnd.randrange(1, 40)])))

    def err_for(src_pub, dst, proto, sport, dport, body, quote):
        """An error about packet (src_pub:sport -> dst:dport) of `proto`."""
        if proto == 1:
            orig = ip_packet(rnd.randrange(65536), 1, src_pub, dst, icmp_echo(8, sport, dport, body))
        else:
            orig = ip_packet(rnd.randrange(65536), proto, src_pub, dst,
                             l4_packet(proto, src_pub, dst, sport, dport, body))
        kind, code = rnd.choice([(3, 3), (3, 1), (11, 0), (12, 0), (4, 0), (5, 1)])
        frm = rnd.choice([dst] + routers)
        to = src_pub if rnd.random() < 0.85 else rnd.choice(servers)
        cap.pkts.append(ip_packet(cap.ident(), 1, frm, to, icmp_error(kind, code, orig, quote)))

    for i in range(150):
        r = rnd.random()
        if r < 0.25:  # a ping out
            h, d, e = rnd.choice(hosts), rnd.choice(servers), rnd.randrange(65536)
            if pings and rnd.random() < 0.3:
                h, d, e = rnd.choice(pings)
            if (h, d, e) not in pk:
                pk[(h, d, e)] = len(pk)
                pings.append((h, d, e))
            cap.icmp(h, d, 8, e, i, payload())
        elif r < 0.45 and pings:  # its reply, one of the three ways
            h, d, e = rnd.choice(pings)
            way = rnd.randrange(3)
            if way == 0:
                cap.icmp(d, PUBLIC, 0, 1024 + pk[(h, d, e)], i, payload())
            elif way == 1:
                cap.icmp(d, PUBLIC, 0, e, i, payload())
            else:
                cap.icmp(d, h, 0, e, i, payload())
        elif r < 0.60:  # a TCP/UDP flow out
            fl = (rnd.choice([6, 17]), rnd.choice(hosts), rnd.randrange(20000, 60000), rnd.choice(servers),
                  rnd.choice([53, 80, 443]))
            if flows and rnd.random() < 0.3:
                fl = rnd.choice(flows)
            if fl not in fk:
                fk[fl] = len(fk)
                flows.append(fl)
            p, h, s, d, dp = fl
            cap.l4(p, h, d, s, dp, payload(), **({'flags': 0x02} if p == 6 else {}))
        elif r < 0.85 and (flows or pings):  # an error about a rewritten packet
            quote = rnd.choice([28, 28, 40, 48, 20 + 6, 20 + 18, 24])
            if pings and (not flows or rnd.random() < 0.4):
                h, d, e = rnd.choice(pings)
                ident = 1024 + pk[(h, d, e)] if rnd.random() < 0.8 else e
                err_for(PUBLIC, d, 1, ident, i, payload(), quote)
            else:
                p, h, s, d, dp = rnd.choice(flows)
                port = 1024 + fk[(p, h, s, d, dp)] if rnd.random() < 0.8 else s
                err_for(PUBLIC, d, p, port, dp, payload(), quote)
        elif r < 0.92:  # an error about nothing rewritten, or too short
            orig = ip_packet(1, 6, '192.0.2.77', rnd.choice(servers), l4_packet(6, '192.0.2.77', '8.8.8.8', 1, 2, b''))
            cap.pkts.append(ip_packet(cap.ident(), 1, rnd.choice(routers), PUBLIC,
                                      icmp_error(3, 1, orig, rnd.choice([28, 12]))))
        else:  # other ICMP (timestamp) and unsolicited echo replies
            if rnd.random() < 0.5:
                cap.icmp(rnd.choice(servers), PUBLIC, 13, rnd.randrange(65536), i, payload())
            else:
                cap.icmp(rnd.choice(servers), PUBLIC, 0, rnd.randrange(65536), i, payload())
    return cap.write(path)


def main():
    print('rw-replies.pcap: %d packets' % make_replies(os.path.join(DATA, 'rw-replies.pcap')))
    print('rw-mixed.pcap: %d packets' % make_mixed(os.path.join(DATA, 'rw-mixed.pcap')))
    print('rw-icmp.pcap: %d packets' % make_icmp(os.path.join(DATA, 'rw-icmp.pcap')))


if __name__ == '__main__':
    main()
