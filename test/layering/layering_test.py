#!/usr/bin/env python3
"""The layering check itself: it passes on a tree in order, and it fails,
naming file and line, on every kind of violation it exists to catch."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = os.path.join(HERE, "check_layers.py")
failures = 0


def run(root):
    p = subprocess.run([sys.executable, CHECK, root], capture_output=True, text=True)
    return p.returncode, p.stdout


def tree(files):
    root = tempfile.mkdtemp(prefix="layering-")
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return root


def expect(name, files, want_rc, want_lines=()):
    global failures
    rc, out = run(tree(files))
    ok = rc == want_rc and all(w in out for w in want_lines)
    print(("ok   " if ok else "FAIL ") + name)
    if not ok:
        print(out)
        failures += 1


CLEAN = {
    "src/base/arena.h": "",
    "src/flow/flow.h": '#include "base/arena.h"\n',
    "src/click/click.h": '#include "flow/flow.h"\n',
    "src/elements/element.h": '#include "click/click.h"\n#include "runtime/runtime.h"\n',
    "src/runtime/runtime.h": '#include "elements/element.h"\n',
    "src/api/api.h": '#include "controller/controller.h"\n',
    "src/controller/controller.h": '#include "registry/registry.h"\n',
    "src/controller/internal.h": '#include "controller/controller.h"\n',
    "src/registry/registry.h": "",
    "tools/innet.c": '#include "api/api.h"\n#include "innet.h"\n',
    "test/controller/t.c": '#include "controller/internal.h"\n',
}

expect("a tree in order passes", CLEAN, 0, ["0 violations"])
expect("a lower layer including a higher one fails with file:line",
       dict(CLEAN, **{"src/flow/flow.c": '\n#include "click/click.h"\n'}), 1,
       ['src/flow/flow.c:2: layer flow includes "click/click.h" of layer click'])
expect("the controller including the API fails",
       dict(CLEAN, **{"src/controller/ctl.c": '#include "api/api.h"\n'}), 1,
       ["src/controller/ctl.c:1: layer controller includes"])
expect("another folder's internal.h is private",
       dict(CLEAN, **{"src/api/x.c": '#include "controller/internal.h"\n'}), 1,
       ['src/api/x.c:1: "controller/internal.h" is private to src/controller/'])
expect("a tool may not include a folder's internal.h",
       dict(CLEAN, **{"tools/x.c": '#include "controller/internal.h"\n'}), 1,
       ["tools/x.c:1:"])
expect("a test of another folder may not include its internal.h",
       dict(CLEAN, **{"test/api/t.c": '#include "controller/internal.h"\n'}), 1,
       ["test/api/t.c:1:"])
expect("a loose source file in src/ fails",
       dict(CLEAN, **{"src/main.c": ""}), 1, ["src/main.c: a loose source file"])
expect("a folder that is no layer fails",
       dict(CLEAN, **{"src/misc/x.c": ""}), 1, ["src/misc: a folder that is not a layer"])

# and the real tree
rc, out = run(os.path.join(HERE, "..", ".."))
print(out, end="")
if rc != 0:
    print("FAIL the repository's own tree")
    failures += 1
print(f"{failures} failures")
sys.exit(1 if failures else 0)
