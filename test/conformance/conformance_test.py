#!/usr/bin/env python3
"""Conformance with the real Click: for every fixture under test/fixtures/conformance/, run
`innet click run` on in.pcap (or the capture the fixture's FromDump
names) once per output (innet-K.click) and require
the multiset of packets Click wrote to outK.pcap (recorded by record.py),
byte for byte. A difference prints the pairs of packets (matched by IP ID)
and the differing byte offsets; it fails the test unless docs/conformance.md
lists the fixture as "bug, open" or "deliberate departure". A listed
fixture that no longer differs fails too: its row must say it is fixed.
A fixture with a `times` file (microseconds) also requires the packets to
leave in Click's order at Click's times, relative to the input's first
packet, within that tolerance (record.py: the 'times' option).

    INNET_CLI=build/innet INNET_SOURCE_DIR=. test/conformance/conformance_test.py [NAME...]"""
import collections
import concurrent.futures
import os
import re
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
# the recorded captures and configurations (data): test/fixtures/conformance/
DATA = os.path.join(HERE, '..', 'fixtures', 'conformance')


def read_pcap(path):
    data = open(path, 'rb').read()
    magic = struct.unpack('<I', data[:4])[0]
    end = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    off, pkts = 24, []
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(end + 'IIII', data[off:off + 16])
        pkts.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return pkts


def read_times(path):
    """The packets of a capture with their capture times in ns, in order."""
    data = open(path, 'rb').read()
    magic = struct.unpack('<I', data[:4])[0]
    end = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    frac = 1 if magic in (0xa1b23c4d, 0x4d3cb2a1) else 1000
    off, pkts = 24, []
    while off + 16 <= len(data):
        sec, sub, caplen, _ = struct.unpack(end + 'IIII', data[off:off + 16])
        pkts.append((data[off + 16:off + 16 + caplen], sec * 1000000000 + sub * frac))
        off += 16 + caplen
    return pkts


def compare_times(want_path, got_path, inp, tol_us):
    """Release times: the packets in the order they left, each at its time
    relative to the input's first packet (innet's module clock starts there;
    Click's simulated clock is the capture's), within tol_us."""
    base = read_times(inp)[0][1]
    want = [(p, t - base) for p, t in read_times(want_path)]
    got = [(p, t - base) for p, t in read_times(got_path)]
    report = []
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else None
        g = got[i] if i < len(got) else None
        if w and g and w[0] == g[0] and abs(w[1] - g[1]) <= tol_us * 1000:
            continue
        if len(report) < 10:
            report.append('    packet %d: click id %s at %s ms, innet id %s at %s ms' % (
                i, ip_id(w[0]) if w else '-', '%.3f' % (w[1] / 1e6) if w else '-',
                ip_id(g[0]) if g else '-', '%.3f' % (g[1] / 1e6) if g else '-'))
    if report:
        report.insert(0, '  release times differ (tolerance %d us):' % tol_us)
    return report


def ip_id(p):
    """The IP ID of the packet's first IPv4 header (raw, or after Ethernet)."""
    for off in (0, 14):
        if len(p) >= off + 6 and p[off] >> 4 == 4 and (off == 0 or p[12:14] == b'\x08\x00'):
            return struct.unpack('!H', p[off + 4:off + 6])[0]
    return None


def expected_departures(source):
    """Fixture names of the docs/conformance.md table rows marked open or
    deliberate: every `name` in backticks of the row's first cell."""
    path = os.path.join(source, 'docs', 'conformance.md')
    names = {}
    for line in open(path):
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) < 3 or not line.startswith('|'):
            continue
        status = cells[-1].lower()
        if status.startswith('bug, open') or status.startswith('deliberate departure'):
            for n in re.findall(r'`([^`]+)`', cells[0]):
                names[n] = cells[-1]
    return names


def describe(click_only, innet_only):
    lines = []
    by_id = collections.defaultdict(lambda: ([], []))
    for p in click_only:
        by_id[ip_id(p)][0].append(p)
    for p in innet_only:
        by_id[ip_id(p)][1].append(p)
    for ident in sorted(by_id, key=lambda x: -1 if x is None else x):
        cs, ins = by_id[ident]
        for i in range(max(len(cs), len(ins))):
            c = cs[i] if i < len(cs) else None
            n = ins[i] if i < len(ins) else None
            lines.append('    IP ID %s:' % ident)
            lines.append('      click: %s' % (c.hex() if c is not None else '(none)'))
            lines.append('      innet: %s' % (n.hex() if n is not None else '(none)'))
            if c is not None and n is not None:
                offs = [j for j in range(max(len(c), len(n)))
                        if j >= len(c) or j >= len(n) or c[j] != n[j]]
                lines.append('      differing offsets: %s%s (lengths %d, %d)'
                             % (offs[:40], ' ...' if len(offs) > 40 else '', len(c), len(n)))
    return lines


def fixture_input(d):
    """The capture the fixture ran on: the file click.click's FromDump reads
    (in.pcap for the fixtures that do not name one)."""
    m = re.search(r'FromDump\(\s*([^,)\s]+)', open(os.path.join(d, 'click.click')).read())
    return os.path.join(DATA, m.group(1) if m else 'in.pcap')


def first_capture_time(path):
    """The first packet's capture time, as IPPrint prints it."""
    data = open(path, 'rb').read()
    magic = struct.unpack('<I', data[:4])[0]
    end = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    sec, frac = struct.unpack(end + 'II', data[24:32])
    return sec + frac / (1e9 if magic in (0xa1b23c4d, 0x4d3cb2a1) else 1e6)


STAMP = re.compile(r'^(\S+: )?(\d+\.\d{6}): ')
ELEMENT_MESSAGE = re.compile(r'^[A-Za-z_][\w/]*@\d+: ')


def log_lines(text, base):
    """Print/IPPrint lines with IPPrint's timestamps made relative to base
    (innet's module clock starts at the first packet; Click prints capture
    times), without Click's element messages (CheckIPHeader's first bad
    packet: innet's devices drop those before any element; see
    docs/conformance.md)."""
    out = []
    for line in text.splitlines():
        if ELEMENT_MESSAGE.match(line):
            continue
        m = STAMP.match(line)
        if m:
            line = '%s%.6f: %s' % (m.group(1) or '', float(m.group(2)) - base, line[m.end():])
        out.append(line)
    return out


def compare_logs(d, got_path, inp):
    want = log_lines(open(os.path.join(d, 'click.log')).read(), first_capture_time(inp))
    got = log_lines(open(got_path).read(), 0.0)
    if want == got:
        return []
    report = ['  log: click wrote %d lines, innet %d' % (len(want), len(got))]
    shown = 0
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else '(none)'
        g = got[i] if i < len(got) else '(none)'
        if w != g and shown < 10:
            report += ['    line %d:' % (i + 1), '      click: %s' % w, '      innet: %s' % g]
            shown += 1
    return report


def run_fixture(cli, d, tmp):
    """The report lines of the differences of fixture folder d, or []."""
    inp = fixture_input(d)
    report = []
    k = 0
    while os.path.exists(os.path.join(d, 'innet-%d.click' % k)):
        want = read_pcap(os.path.join(d, 'out%d.pcap' % k))
        out = os.path.join(tmp, 'out.pcap')
        if os.path.exists(out):
            os.unlink(out)
        log = os.path.join(tmp, 'log.txt')
        with_log = k == 0 and os.path.exists(os.path.join(d, 'click.log'))
        r = subprocess.run([cli, 'click', 'run', os.path.join(d, 'innet-%d.click' % k),
                            '--in', inp, '--out', out] + (['--log', log] if with_log else []),
                           capture_output=True, text=True, timeout=120)
        if r.returncode == 0 and with_log:
            report += compare_logs(d, log, inp)
        if r.returncode != 0:
            report.append('  output %d: innet click run failed (%d): %s' % (k, r.returncode, r.stderr.strip()))
            k += 1
            continue
        got = read_pcap(out)
        times = os.path.join(d, 'times')
        if os.path.exists(times):
            report += compare_times(os.path.join(d, 'out%d.pcap' % k), out, inp,
                                    int(open(times).read()))
        cw, cg = collections.Counter(want), collections.Counter(got)
        if cw != cg:
            click_only = list((cw - cg).elements())
            innet_only = list((cg - cw).elements())
            report.append('  output %d: click wrote %d packets, innet %d; %d only in click, %d only in innet'
                          % (k, len(want), len(got), len(click_only), len(innet_only)))
            report.extend(describe(click_only, innet_only))
        k += 1
    if k == 0:
        report.append('  no innet-0.click')
    return report


def main():
    cli = os.environ['INNET_CLI']
    source = os.environ.get('INNET_SOURCE_DIR', os.path.join(HERE, '..', '..'))
    expected = expected_departures(source)
    fixtures = sorted([f for f in os.listdir(DATA) if os.path.isdir(os.path.join(DATA, f))])
    if len(sys.argv) > 1:
        fixtures = [f for f in fixtures if f in sys.argv[1:]]
    failed, known, same = [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        def one(name):
            d = os.path.join(tmp, name)
            os.mkdir(d)
            return run_fixture(cli, os.path.join(DATA, name), d)
        # the fixtures are independent runs of `innet click run`: as many at
        # once as there are cores, reported in name order
        workers = max(1, min(4, os.cpu_count() or 1))
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            reports = list(pool.map(one, fixtures))
        for name, report in zip(fixtures, reports):
            if not report:
                same += 1
                if name in expected:
                    print('%s: no difference, but docs/conformance.md lists it as "%s": mark it fixed'
                          % (name, expected[name]))
                    failed.append(name)
                continue
            if name in expected:
                print('%s: expected difference (%s)' % (name, expected[name]))
                known.append(name)
            else:
                print('%s: DIFFERS from Click, and docs/conformance.md does not list it' % name)
                failed.append(name)
            print('\n'.join(report))
    for n in expected:
        if n not in fixtures and len(sys.argv) == 1:
            print('docs/conformance.md lists %s, which is no fixture' % n)
            failed.append(n)
    print('%d fixtures: %d same as Click, %d documented differences, %d failures%s'
          % (len(fixtures), same, len(known), len(failed), (': ' + ', '.join(failed)) if failed else ''))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
