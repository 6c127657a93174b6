"""5,000 UDP flows from 5,000 distinct inside hosts through `innet click run`
(the CLI, on captures this script makes):

1. every request gets out, through
   `IPRewriter(pattern 192.0.2.1 1024-65535 - - 0 0)` and through
   `IPAddrRewriter(pattern 192.0.2.1 - 0 0)`, rewritten to 192.0.2.1, with
   valid IP and UDP checksums, and IPRewriter keeps every flow on its own
   public port (store_flow: a new flow never fails because the pattern's
   reply keys look alike);
2. each inside host's reply follows its request, and every reply reaches
   the right inside host through `IPAddrRewriter(pattern 192.0.2.1 - 0 1,
   drop)`. Click's rule: IPAddrRewriter's reply key is the public address
   alone, so all 5,000 mappings share it and the most recent one wins; a
   reply that arrives right after its request finds that request's
   mapping. (A reply arriving after a later host's request would go to the
   later host, in Click as in innet.)

Click 2.1's userlevel driver, run by hand on the same captures (FromDump,
CheckIPHeader, the same elements, ToDump), forwards the same 5,000
requests (5,000 distinct ports through IPRewriter) and 5,000 replies,
each to its own inside host.

    INNET_CLI=build/innet test/cli/click_run_flows_test.py"""
import os
import struct
import subprocess
import sys
import tempfile

N = 5000
PUBLIC = bytes([192, 0, 2, 1])
SERVER = bytes([198, 51, 100, 53])


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def udp_ip(ident, src, dst, sport, dport, payload):
    u = bytearray(struct.pack('!HHHH', sport, dport, 8 + len(payload), 0)) + payload
    u[6:8] = struct.pack('!H', csum(src + dst + struct.pack('!BBH', 0, 17, len(u)) + bytes(u)) or 0xffff)
    h = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(u), ident & 0xffff, 0, 64, 17, 0, src, dst))
    h[10:12] = struct.pack('!H', csum(bytes(h)))
    return bytes(h) + bytes(u)


def inside(i):
    """Inside host i: 10.0.0.1 up, distinct for every i < 65024."""
    return bytes([10, 0, 1 + i // 254, 1 + i % 254])


def write_pcap(path, pkts):
    """LINKTYPE_RAW, one packet per millisecond."""
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
        for i, b in enumerate(pkts):
            f.write(struct.pack('<IIII', 1000000000 + i // 1000, (i % 1000) * 1000, len(b), len(b)))
            f.write(b)


def read_pcap(path):
    data = open(path, 'rb').read()
    off, pkts = 24, []
    while off + 16 <= len(data):
        caplen = struct.unpack('<I', data[off + 8:off + 12])[0]
        pkts.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return pkts


def udp_ok(p):
    """IP header and UDP checksums of a 20-byte-header UDP packet."""
    if csum(p[:20]) != 0:
        return False
    u = p[20:]
    return struct.unpack('!H', u[6:8])[0] == 0 or csum(p[12:20] + struct.pack('!BBH', 0, 17, len(u)) + u) == 0


def run(cli, tmp, config, pkts):
    cfg, inp, out = (os.path.join(tmp, n) for n in ('c.click', 'in.pcap', 'out.pcap'))
    open(cfg, 'w').write(config)
    write_pcap(inp, pkts)
    if os.path.exists(out):
        os.unlink(out)
    r = subprocess.run([cli, 'click', 'run', cfg, '--in', inp, '--out', out],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise AssertionError('innet click run failed (%d): %s' % (r.returncode, r.stderr))
    return read_pcap(out)


def check(cond, what, failures):
    print('%s: %s' % ('ok' if cond else 'FAIL', what))
    if not cond:
        failures.append(what)


def main():
    cli = os.environ['INNET_CLI']
    failures = []
    # the request of host i carries i in its payload; its source port is
    # the same for all, 4000, so every flow wants the same public port
    requests = [udp_ip(i, inside(i), SERVER, 4000, 53, struct.pack('!I', i)) for i in range(N)]
    with tempfile.TemporaryDirectory(prefix='innet-click-run-') as tmp:
        for name, element in [
                ('IPRewriter', 'IPRewriter(pattern 192.0.2.1 1024-65535 - - 0 0)'),
                ('IPAddrRewriter', 'IPAddrRewriter(pattern 192.0.2.1 - 0 0)')]:
            out = run(cli, tmp, 'FromNetFront(0) -> %s -> ToNetFront(0);\n' % element, requests)
            check(len(out) == N, '%s: %d of %d requests out' % (name, len(out), N), failures)
            check(all(p[12:16] == PUBLIC and p[16:20] == SERVER for p in out),
                  '%s: every request from 192.0.2.1 to the server' % name, failures)
            check(all(udp_ok(p) for p in out), '%s: checksums valid' % name, failures)
            ids = sorted(struct.unpack('!I', p[28:32])[0] for p in out)
            check(ids == list(range(N)), '%s: every inside host\'s request once' % name, failures)
            if name == 'IPRewriter':
                ports = {struct.unpack('!H', p[20:22])[0] for p in out}
                check(len(ports) == N and min(ports) >= 1024,
                      'IPRewriter: %d distinct public ports in 1024-65535' % len(ports), failures)

        # request i, then the server's reply to 192.0.2.1 (carrying i)
        pkts = []
        for i in range(N):
            pkts.append(udp_ip(2 * i, inside(i), SERVER, 4000, 53, struct.pack('!I', i)))
            pkts.append(udp_ip(2 * i + 1, SERVER, PUBLIC, 53, 4000, struct.pack('!I', i)))
        config = ('rw :: IPAddrRewriter(pattern 192.0.2.1 - 0 1, drop);\n'
                  'FromNetFront(0) -> c :: IPClassifier(src net 10.0.0.0/8, -);\n'
                  'c[0] -> [0]rw; c[1] -> [1]rw; rw[0] -> ToNetFront(0); rw[1] -> ToNetFront(0);\n')
        out = run(cli, tmp, config, pkts)
        reqs = [p for p in out if p[12:16] == PUBLIC]
        reps = [p for p in out if p[12:16] == SERVER]
        check(len(reqs) == N, 'IPAddrRewriter with replies: %d of %d requests out' % (len(reqs), N), failures)
        check(len(reps) == N, 'IPAddrRewriter with replies: %d of %d replies out' % (len(reps), N), failures)
        wrong = [p for p in reps if p[16:20] != inside(struct.unpack('!I', p[28:32])[0])]
        check(not wrong, 'IPAddrRewriter with replies: every reply to its own inside host (%d wrong)'
              % len(wrong), failures)
        check(all(udp_ok(p) for p in out), 'IPAddrRewriter with replies: checksums valid', failures)
    if failures:
        print('%d failures' % len(failures))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
