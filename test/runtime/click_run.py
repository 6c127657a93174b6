#!/usr/bin/env python3
"""`innet click run` end to end: the Figure 4 batcher (interval shortened
to 2 s) on a capture of UDP and TCP to port 1500. The output capture holds
only the UDP packets, rewritten to 172.16.15.133 with valid checksums, in
bursts of at most 100 that leave on the 2 s ticks."""
import os
import struct
import subprocess
import sys
import tempfile


def csum(b):
    s = 0
    for i in range(0, len(b), 2):
        s += b[i] << 8 | (b[i + 1] if i + 1 < len(b) else 0)
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(proto, src, dst, l4, ident):
    h = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), ident, 0, 64, proto, 0,
                              bytes(src), bytes(dst)))
    struct.pack_into('!H', h, 10, csum(h))
    return bytes(h) + l4


def udp(src, dst, sport, dport, payload):
    l4 = bytearray(struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload)
    pseudo = bytes(src) + bytes(dst) + struct.pack('!BBH', 0, 17, len(l4))
    c = csum(pseudo + bytes(l4)) or 0xffff
    struct.pack_into('!H', l4, 6, c)
    return bytes(l4)


def main():
    cli = os.environ['INNET_CLI']
    examples = os.path.join(os.environ['INNET_SOURCE_DIR'], 'examples')
    with tempfile.TemporaryDirectory() as d:
        text = open(os.path.join(examples, 'figure4-batcher.click')).read()
        assert 'TimedUnqueue(120, 100)' in text
        cfg = os.path.join(d, 'b.click')
        open(cfg, 'w').write(text.replace('TimedUnqueue(120, 100)', 'TimedUnqueue(2, 100)'))
        src, dst = [198, 51, 100, 1], [203, 0, 113, 7]
        inp = os.path.join(d, 'in.pcap')
        with open(inp, 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for i in range(500):
                if i % 5 == 0:
                    l4 = struct.pack('!HHIIBBHHH', 1, 1500, 0, 0, 0x50, 2, 0, 0, 0)
                    pkt = ipv4(6, src, dst, l4, i)
                else:
                    pkt = ipv4(17, src, dst, udp(src, dst, 4000 + i % 3, 1500, b'data%03d' % i), i)
                frame = b'\x00' * 12 + b'\x08\x00' + pkt
                f.write(struct.pack('<IIII', 1000 + i // 100, (i % 100) * 10000, len(frame), len(frame)))
                f.write(frame)
        out = os.path.join(d, 'out.pcap')
        r = subprocess.run([cli, 'click', 'run', cfg, '--in', inp, '--out', out],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert '400 written' in r.stderr, r.stderr
        data = open(out, 'rb').read()
        assert struct.unpack('<I', data[:4])[0] == 0xa1b2c3d4
        assert struct.unpack('<I', data[20:24])[0] == 101  # LINKTYPE_RAW
        off, bursts, n = 24, {}, 0
        while off < len(data):
            ts, tu, cl, _ = struct.unpack('<IIII', data[off:off + 16])
            pkt = data[off + 16:off + 16 + cl]
            off += 16 + cl
            n += 1
            bursts[(ts, tu)] = bursts.get((ts, tu), 0) + 1
            assert pkt[9] == 17
            assert list(pkt[16:20]) == [172, 16, 15, 133]
            assert list(pkt[12:16]) == src
            assert csum(pkt[:20]) == 0
            l4 = pkt[20:]
            pseudo = pkt[12:20] + struct.pack('!BBH', 0, 17, len(l4))
            assert csum(pseudo + l4) == 0
        assert n == 400, n
        # Click's TimedUnqueue: asleep on its empty queue, the first UDP
        # datagram (capture time 1000.01) leaves at once; the rest wait for
        # its timer, bursts of at most 100 every 2 s after that
        assert bursts == {(1000, 10000): 1, (1002, 10000): 100, (1004, 10000): 100,
                          (1006, 10000): 100, (1008, 10000): 99}, bursts
        # bad usage and a bad configuration are clear errors, not crashes
        r = subprocess.run([cli, 'click', 'run', cfg, '--in'], capture_output=True, text=True)
        assert r.returncode == 2 and 'needs a value' in r.stderr, r.stderr
        bad = os.path.join(d, 'bad.click')
        open(bad, 'w').write('FromNetFront() -> Nope() -> ToNetFront()\n')
        r = subprocess.run([cli, 'click', 'run', bad, '--in', inp, '--out', out],
                           capture_output=True, text=True)
        assert r.returncode == 1 and 'Nope' in r.stderr, r.stderr
    print('ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
