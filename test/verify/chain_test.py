#!/usr/bin/env python3
"""The verifier is a chain (src/verify/README.md): a file of src/verify may
call functions of the files before it in CHAIN, never of one after it, so
there is no circle.

Reads the compiled objects of the verify library with nm: what each one
needs (undefined symbols) against what the later ones define. Exit 1 with
one line per call that runs backwards.

Usage: chain_test.py [BUILD_DIR]  (defaults to $INNET_BUILD_DIR, then build/)
"""
import os
import subprocess
import sys

CHAIN = ["iset", "flow", "split", "model", "rewrite", "net", "req", "engine", "report",
         "check", "security"]


def symbols(obj, *flags):
    out = subprocess.run(["nm", "-g", *flags, obj], check=True,
                         capture_output=True, text=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("INNET_BUILD_DIR", "build")
    objdir = os.path.join(build, "src", "verify", "libinnet_verify.a.p")
    objs = [os.path.join(objdir, name + ".c.o") for name in CHAIN]
    listed = {os.path.basename(o) for o in objs}
    unlisted = sorted(set(os.listdir(objdir)) - listed)
    if unlisted:
        print(f"not placed in the chain: {', '.join(unlisted)}")
        return 1
    defined = [symbols(o, "--defined-only") for o in objs]
    bad = 0
    for i, name in enumerate(CHAIN):
        needs = symbols(objs[i], "-u")
        for j in range(i + 1, len(CHAIN)):
            for sym in sorted(needs & defined[j]):
                print(f"{name}.c calls {sym} of {CHAIN[j]}.c, which comes after it")
                bad += 1
    print(f"verify chain: {len(CHAIN)} files, {bad} backward calls")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
