#!/usr/bin/env python3
"""The verifier is a chain (src/verify/README.md): a file of src/verify may
call functions of the files before it in CHAIN, never of one after it, so
there is no circle.

Calls: reads the compiled objects of the verify library with nm, what each
one needs (undefined symbols) against what the later ones define.
Includes: a .c file of the folder includes no header of the folder but
internal.h, which includes only the two public ones, which include none.
Exit 1 with one line per call that runs backwards or include out of place.

Usage: chain_test.py [BUILD_DIR [SOURCE_DIR]]  (default $INNET_BUILD_DIR
and $INNET_SOURCE_DIR, then build/ and .)
"""
import os
import re
import subprocess
import sys

CHAIN = ["iset", "flow", "split", "model", "net", "req", "engine", "report",
         "check", "security"]


def symbols(obj, *flags):
    out = subprocess.run(["nm", "-g", *flags, obj], check=True,
                         capture_output=True, text=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


# the headers of src/verify each file may include
ALLOWED = {"internal.h": {"verify/model.h", "verify/verify.h"},
           "model.h": set(), "verify.h": set()}
INCLUDE = re.compile(r'^\s*#\s*include\s+"(verify/[^"]+)"', re.M)


def include_errors(src):
    folder = os.path.join(src, "src", "verify")
    errors = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith((".c", ".h")):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            found = set(INCLUDE.findall(f.read()))
        allowed = ALLOWED.get(name, {"verify/internal.h"})
        for inc in sorted(found - allowed):
            errors.append(f"{name} includes {inc}")
    return errors


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("INNET_BUILD_DIR", "build")
    src = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("INNET_SOURCE_DIR", ".")
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
    includes = include_errors(src)
    for line in includes:
        print(line)
    print(f"verify chain: {len(CHAIN)} files, {bad} backward calls, "
          f"{len(includes)} includes out of place")
    return 1 if bad or includes else 0


if __name__ == "__main__":
    sys.exit(main())
