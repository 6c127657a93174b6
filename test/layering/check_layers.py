#!/usr/bin/env python3
"""Keep innet's layers in order.

Every `#include "..."` under src/ is checked against the layer order

    base < flow < click < snapshot < {elements, verify, runtime}
         < {vm, dataplane} < registry < controller < api < daemon

A file may include headers of its own layer, of a peer (same rank) and of
any layer below; never of a layer above. A folder's `internal.h` is private
to that folder. tools/, bench/ and test/ may include any header but another
folder's internal.h (a test may include the internal.h of the folder it
tests, named by its own folder: test/<layer>/).

Usage: check_layers.py [ROOT]   (exit 1 and one line per violation,
file:line: message; ROOT defaults to the repository).
"""
import os
import re
import sys

RANK = {
    "base": 0, "flow": 1, "click": 2, "snapshot": 3,
    "elements": 4, "verify": 4, "runtime": 4,
    "vm": 5, "dataplane": 5,
    "registry": 6, "controller": 7, "api": 8, "daemon": 9,
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
# generated at build time (meson configure_file), not a layer
NEUTRAL = {"innet_build.h"}


def layer_of_header(inc):
    parts = inc.split("/")
    return parts[0] if len(parts) == 2 and parts[0] in RANK else None


def check_file(root, rel, errors):
    parts = rel.split("/")
    top = parts[0]
    own = parts[1] if top == "src" else None
    # a test of src/<layer> lives in test/<layer>/ and may see its internals
    tested = parts[1] if top == "test" and len(parts) > 2 else None
    with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            inc = m.group(1)
            if inc in NEUTRAL:
                continue
            target = layer_of_header(inc)
            if target is None:
                if own is not None and "/" in inc:
                    errors.append(f'{rel}:{lineno}: "{inc}" is not a header of any layer')
                continue  # a local header of tools/, test/ or bench/
            private = inc.endswith("/internal.h")
            if own is not None:
                if own not in RANK:
                    errors.append(f"{rel}:{lineno}: src/{own}/ is not a known layer")
                elif private and target != own:
                    errors.append(f'{rel}:{lineno}: "{inc}" is private to src/{target}/')
                elif RANK[target] > RANK[own]:
                    errors.append(f'{rel}:{lineno}: layer {own} includes "{inc}" of '
                                  f"layer {target}, which is above it")
            elif private and target != tested:
                errors.append(f'{rel}:{lineno}: "{inc}" is private to src/{target}/')


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    root = os.path.abspath(root)
    errors = []
    src = os.path.join(root, "src")
    for layer in sorted(os.listdir(src)):
        path = os.path.join(src, layer)
        if os.path.isdir(path) and layer not in RANK:
            errors.append(f"src/{layer}: a folder that is not a layer")
        elif not os.path.isdir(path) and layer.endswith((".c", ".h")):
            errors.append(f"src/{layer}: a loose source file; it belongs in a layer's folder")
    nfiles = 0
    for top in ("src", "tools", "bench", "test"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith((".c", ".h")):
                    rel = os.path.relpath(os.path.join(dirpath, name), root)
                    check_file(root, rel, errors)
                    nfiles += 1
    for e in errors:
        print(e)
    print(f"layering: {nfiles} files, {len(errors)} violations")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
