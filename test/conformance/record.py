#!/usr/bin/env python3
"""Record the conformance fixtures from the real Click.

    /usr/bin/python3 test/conformance/record.py --click /path/to/click [--inputs] [NAME...]

--click is an already built Click userlevel driver (this script never
builds Click). --inputs first regenerates test/fixtures/conformance/in.pcap with a
fixed seed (scapy), and the rewriters' rw-replies.pcap and rw-mixed.pcap
(rwinputs.py, no scapy). Then, for every fixture of fixtures.py (or the NAMEs
given), it writes test/fixtures/conformance/NAME/click.click and innet-K.click, runs Click on
the fixture's input (in.pcap unless it names another) in a scratch folder and stores its ToDump captures as
test/fixtures/conformance/NAME/outK.pcap."""
import argparse
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
# the recorded captures and configurations (data): test/fixtures/conformance/
DATA = os.path.join(HERE, '..', 'fixtures', 'conformance')
sys.path.insert(0, HERE)
from fixtures import FIXTURES, click_config, innet_config  # noqa: E402
import rwinputs  # noqa: E402


def make_inputs(path):
    from scapy.all import IP, TCP, UDP, ICMP, Raw, IPOption, raw
    rnd = random.Random(20261205)
    nets = ['10.%d.%d.%d', '10.1.%d.%d', '192.168.1.%d', '192.168.7.%d', '172.16.%d.%d', '%d.%d.%d.%d']

    def addr():
        pat = rnd.choice(nets)
        return pat % tuple(rnd.randrange(1, 255) for _ in range(pat.count('%d')))

    def payload(maxlen=120):
        n = rnd.choice([0, rnd.randrange(1, 16), rnd.randrange(1, maxlen)])
        return bytes(rnd.randrange(256) for _ in range(n))

    pkts = []

    def add(ip, fix=None):
        ip.id = len(pkts)
        b = bytearray(raw(ip))
        if fix:
            fix(b)
        pkts.append(bytes(b))

    kinds = ['tcp', 'udp', 'icmp', 'echo', 'ipip', 'frag', 'opts', 'badsum', 'badl4sum',
             'short', 'long', 'ttl', 'df', 'trailer', 'truncated', 'bad']
    for i in range(240):
        k = kinds[i % len(kinds)] if i < 2 * len(kinds) else rnd.choice(kinds)
        ip = IP(src=addr(), dst=addr(), ttl=rnd.choice([64, 64, 1, 2, 255]), tos=rnd.randrange(256))
        l4 = rnd.choice(['tcp', 'udp', 'icmp'])
        if k == 'tcp' or (k not in ('udp', 'icmp', 'echo', 'ipip') and l4 == 'tcp'):
            ip = ip / TCP(sport=rnd.choice([80, 443, 22, rnd.randrange(1, 65536)]),
                          dport=rnd.choice([80, 443, 53, rnd.randrange(1, 65536)]),
                          seq=rnd.getrandbits(32), ack=rnd.getrandbits(32),
                          flags=rnd.choice(['S', 'SA', 'A', 'PA', 'FA', 'R'])) / Raw(payload())
        elif k == 'udp' or (k not in ('icmp', 'echo', 'ipip') and l4 == 'udp'):
            ip = ip / UDP(sport=rnd.randrange(1, 65536), dport=rnd.choice([53, 1500, rnd.randrange(1, 65536)])) / Raw(payload())
        elif k == 'echo':
            ip = ip / ICMP(type=8, id=rnd.randrange(65536), seq=rnd.randrange(65536)) / Raw(payload())
        elif k == 'ipip':
            ip.proto = 4
            ip = ip / IP(src=addr(), dst=addr(), id=rnd.randrange(65536)) / UDP(sport=1, dport=2) / Raw(payload(40))
        else:
            ip = ip / ICMP(type=rnd.choice([0, 3, 11, 8]), code=rnd.choice([0, 1, 4])) / Raw(payload())
        fix = None
        if k == 'frag':
            ip.flags = rnd.choice(['MF', 0])
            ip.frag = rnd.choice([0, 1, 100]) if ip.flags else rnd.choice([1, 100])
        elif k == 'opts':
            ip.options = rnd.choice([[IPOption(b'\x07\x07\x04' + b'\x00' * 4)],  # record route, room for one
                                     [IPOption(b'\x07\x0b\x04' + b'\x00' * 8), IPOption(b'\x01')],
                                     [IPOption(b'\x01'), IPOption(b'\x01'), IPOption(b'\x00'), IPOption(b'\x00')],
                                     [IPOption(b'\x44\x0c\x05\x01' + b'\x00' * 8)]])  # timestamp+addr
        elif k == 'badsum':
            fix = lambda b: b.__setitem__(10, b[10] ^ 0x5a)  # noqa: E731
        elif k == 'badl4sum':
            def fix(b):
                hl = (b[0] & 15) * 4
                off = {6: 16, 17: 6, 1: 2}.get(b[9])
                if off is not None and len(b) >= hl + off + 2:
                    b[hl + off] ^= 0x33
        elif k == 'short':
            ip = IP(src=addr(), dst=addr(), proto=rnd.choice([6, 17, 1, 47]), ttl=64) / Raw(payload(8))
        elif k == 'long':
            ip.lastlayer().add_payload(Raw(bytes(rnd.randrange(256) for _ in range(rnd.randrange(600, 1400)))))
        elif k == 'ttl':
            ip.ttl = rnd.choice([0, 1])
        elif k == 'df':
            ip.flags = 'DF'
            ip.lastlayer().add_payload(Raw(bytes(rnd.randrange(256) for _ in range(rnd.randrange(300, 700)))))
        elif k == 'trailer':
            def fix(b):
                b.extend(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 12))))
        elif k == 'truncated':
            def fix(b, cut=rnd.randrange(1, 8)):
                del b[max(20, len(b) - cut):]
        elif k == 'bad':
            def fix(b, which=rnd.randrange(4)):
                if which == 0:
                    b[0] = 0x65  # version 6
                elif which == 1:
                    b[0] = 0x44  # header length 16
                elif which == 2:
                    b[2:4] = (len(b) + 40).to_bytes(2, 'big')  # total length too long
                else:
                    b[2:4] = (10).to_bytes(2, 'big')  # total length below the header
        add(ip, fix)
    # LINKTYPE_RAW (101): the packets start at the IP header
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
        for i, b in enumerate(pkts):
            f.write(struct.pack('<IIII', 1000000000 + i // 1000, (i % 1000) * 1000, len(b), len(b)))
            f.write(b)
    return len(pkts)


def record(click, name, nout, body, inp='in.pcap', opts=None):
    d = os.path.join(DATA, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    open(os.path.join(d, 'click.click'), 'w').write(click_config(body, nout, inp, opts))
    for k in range(nout):
        open(os.path.join(d, 'innet-%d.click' % k), 'w').write(innet_config(body, nout, k))
    with tempfile.TemporaryDirectory() as t:
        shutil.copy(os.path.join(DATA, inp), os.path.join(t, inp))
        shutil.copy(os.path.join(d, 'click.click'), os.path.join(t, 'c.click'))
        flags = ['--simtime'] if opts and opts.get('simtime') else []
        r = subprocess.run([click] + flags + ['c.click'], cwd=t, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            sys.stderr.write('%s: click failed:\n%s' % (name, r.stderr))
            return False
        for k in range(nout):
            shutil.copy(os.path.join(t, 'out%d.pcap' % k), os.path.join(d, 'out%d.pcap' % k))
        if opts and opts.get('times'):
            # conformance_test.py compares release times within this many us
            open(os.path.join(d, 'times'), 'w').write('%d\n' % opts['times'])
        if 'Print(' in body or 'IPPrint' in body:
            # what Print and IPPrint wrote, compared with `innet click run --log`
            open(os.path.join(d, 'click.log'), 'w').write(r.stderr)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--click', required=True)
    ap.add_argument('--inputs', action='store_true')
    ap.add_argument('names', nargs='*')
    a = ap.parse_args()
    if a.inputs:
        print('in.pcap: %d packets' % make_inputs(os.path.join(DATA, 'in.pcap')))
        rwinputs.main()
    ok = True
    for fixture in FIXTURES:
        if a.names and fixture[0] not in a.names:
            continue
        ok = record(os.path.abspath(a.click), *fixture) and ok
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
