#!/usr/bin/env python3
"""How many of Click's own sample configurations innet checks unmodified.

    python3 tools/click_samples.py --innet build/innet CLICK_SOURCE_DIR

Runs `innet click check` on every CLICK_SOURCE_DIR/conf/**/*.click (Click's
source is not part of innet; fetch kohler/click to have it) and prints one
line per sample (ok, or its first error), then the count. Samples about
wireless or grid routing, and samples built around kernel devices (the
host network stack: ToHost, FromHost, KernelTun, KernelTap), are counted
apart, as the conformance issue asks: a module has neither. The grouping
reads the classes a sample uses, not its file name."""
import argparse
import glob
import os
import re
import subprocess
import sys

WIRELESS_GRID = re.compile(r'\b(Grid\w*|\w*GridRoute|DSDV\w*|FromGridDev|ToGridDev|Airo\w*|Wifi\w*|'
                           r'LocQueryResponder|FloodingLocQuerier|LinkStat|LinkTracker|\w*Radiotap\w*|'
                           r'Prism2\w*|AthdescDecap|ExtraDecap|ExtraEncap|BeaconScanner|'
                           r'OpenAuth\w*|AssociationRe\w*|SR\w*Forwarder)\s*[(;-]')
KERNEL = re.compile(r'\b(ToHost|FromHost|ToHostSniffers|KernelTun|KernelTap)\b\s*(\(|;|->|$)', re.M)


def without_comments(text):
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
    return re.sub(r'//[^\n]*', ' ', text)


def group(text):
    body = without_comments(text)
    if WIRELESS_GRID.search(body):
        return 'wireless/grid'
    if KERNEL.search(body):
        return 'kernel devices'
    return 'counted'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--innet', default='build/innet')
    ap.add_argument('click_src')
    a = ap.parse_args()
    files = sorted(glob.glob(os.path.join(a.click_src, 'conf', '**', '*.click'), recursive=True))
    if not files:
        sys.exit(f'no {a.click_src}/conf/*.click')
    tally = {}
    for f in files:
        g = 'wireless/grid' if '/wifi/' in f else group(open(f, errors='replace').read())
        r = subprocess.run([a.innet, 'click', 'check', f], capture_output=True, text=True, timeout=60)
        first = next((l for l in r.stderr.splitlines() if ': error: ' in l), '')
        ok = r.returncode == 0
        t = tally.setdefault(g, [0, 0])
        t[0] += ok
        t[1] += 1
        msg = 'ok' if ok else first.split(': error: ', 1)[-1]
        print(f'{os.path.relpath(f, os.path.join(a.click_src, "conf")):32} {g:15} {msg}')
    print()
    for g, (ok, n) in sorted(tally.items()):
        print(f'{g}: {ok} of {n} pass innet click check')


if __name__ == '__main__':
    main()
