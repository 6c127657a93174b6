#!/usr/bin/env python3
"""docs/elements.md is exactly what `innet click catalogue` prints from the
class table: a class added, renamed or re-documented without regenerating
the page fails here, with the command that regenerates it."""
import difflib
import os
import subprocess
import sys

CLI = os.environ["INNET_CLI"]
DOC = os.path.join(os.environ["INNET_SOURCE_DIR"], "docs", "elements.md")

out = subprocess.run([CLI, "click", "catalogue"], capture_output=True, text=True, timeout=60)
if out.returncode != 0:
    print(f"FAIL: innet click catalogue exited {out.returncode}: {out.stderr}")
    sys.exit(1)
try:
    with open(DOC) as f:
        have = f.read()
except FileNotFoundError:
    have = ""
if have != out.stdout:
    sys.stdout.writelines(difflib.unified_diff(have.splitlines(True), out.stdout.splitlines(True),
                                               "docs/elements.md", "innet click catalogue"))
    print("FAIL: docs/elements.md is stale; regenerate it from the source tree with\n"
          f"  {CLI} click catalogue > docs/elements.md")
    sys.exit(1)
print("ok   docs/elements.md matches innet click catalogue")
