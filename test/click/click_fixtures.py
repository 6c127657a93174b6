#!/usr/bin/python3
"""Drive `innet click` over test/fixtures/click.

valid/NAME.click:   `check` prints nothing and exits 0; `flatten` prints
                    exactly valid/NAME.flat; flattening that output again
                    gives the same text (round trip); `dot` exits 0.
invalid/NAME.click: `check` exits 1 and the first line of stderr is
                    exactly invalid/NAME.err (file:line:col: error: msg).

A first line `// args: ...` gives extra arguments (e.g. -D MODULE_IP=...).
With --update, writes the expected files from the current output instead
(review every change by hand before committing it)."""
import os
import subprocess
import sys
import tempfile

CLI = os.environ.get("INNET_CLI", "innet")
SRC = os.environ.get("INNET_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(SRC, "test", "fixtures", "click")
UPDATE = "--update" in sys.argv


def extra_args(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        first = f.readline()
    if first.startswith("// args:"):
        return first[len("// args:"):].split()
    return []


def run(args, cwd):
    return subprocess.run([CLI, "click"] + args, cwd=cwd, capture_output=True, text=True, timeout=60)


def main():
    failures = []
    nvalid = ninvalid = 0
    vdir = os.path.join(FIX, "valid")
    for name in sorted(os.listdir(vdir)):
        if not name.endswith(".click"):
            continue
        nvalid += 1
        base = name[:-6]
        args = extra_args(os.path.join(vdir, name))
        r = run(["check"] + args + [name], vdir)
        if r.returncode != 0 or r.stdout or r.stderr:
            failures.append(f"valid/{name}: check rc={r.returncode}\n{r.stderr}{r.stdout}")
            continue
        r = run(["flatten"] + args + [name], vdir)
        if r.returncode != 0:
            failures.append(f"valid/{name}: flatten rc={r.returncode}\n{r.stderr}")
            continue
        flat = r.stdout
        exp_path = os.path.join(vdir, base + ".flat")
        if UPDATE:
            with open(exp_path, "w") as f:
                f.write(flat)
        else:
            try:
                with open(exp_path) as f:
                    exp = f.read()
            except FileNotFoundError:
                exp = None
            if exp != flat:
                failures.append(f"valid/{name}: flatten differs from {base}.flat\n--- got\n{flat}--- expected\n{exp}")
                continue
        with tempfile.NamedTemporaryFile("w", suffix=".click", delete=False) as t:
            t.write(flat)
            tname = t.name
        try:
            r2 = run(["flatten", tname], "/")
        finally:
            os.unlink(tname)
        if r2.returncode != 0 or r2.stdout != flat:
            failures.append(f"valid/{name}: round trip differs\n{r2.stderr}--- first\n{flat}--- second\n{r2.stdout}")
        r3 = run(["dot"] + args + [name], vdir)
        if r3.returncode != 0 or not r3.stdout.startswith("digraph"):
            failures.append(f"valid/{name}: dot rc={r3.returncode}\n{r3.stderr}")
    idir = os.path.join(FIX, "invalid")
    for name in sorted(os.listdir(idir)):
        if not name.endswith(".click"):
            continue
        ninvalid += 1
        base = name[:-6]
        args = extra_args(os.path.join(idir, name))
        r = run(["check"] + args + [name], idir)
        first = r.stderr.splitlines()[0] if r.stderr else ""
        exp_path = os.path.join(idir, base + ".err")
        if UPDATE:
            with open(exp_path, "w") as f:
                f.write(first + "\n")
        if r.returncode != 1:
            failures.append(f"invalid/{name}: check rc={r.returncode} (want 1)\n{r.stderr}")
            continue
        try:
            with open(exp_path) as f:
                exp = f.readline().rstrip("\n")
        except FileNotFoundError:
            exp = None
        if first != exp:
            failures.append(f"invalid/{name}: first diagnostic\n  got:      {first}\n  expected: {exp}")
        if "^" not in r.stderr:
            failures.append(f"invalid/{name}: no caret line in\n{r.stderr}")
    # several files: 0 only if all are valid
    r = run(["check", "worked_example.click", "figure4_batcher.click"], vdir)
    if r.returncode != 0 or r.stderr:
        failures.append(f"check of two valid files: rc={r.returncode}\n{r.stderr}")
    r = run(["check", os.path.join(vdir, "worked_example.click"), os.path.join(idir, "push_reuse.click")], "/")
    if r.returncode != 1 or "illegal reuse" not in r.stderr:
        failures.append(f"check of a valid and an invalid file: rc={r.returncode}\n{r.stderr}")
    # usage errors exit 2
    r = run([], "/")
    if r.returncode != 2:
        failures.append(f"`innet click` without arguments: rc={r.returncode} (want 2)")
    r = run(["frobnicate", "x"], "/")
    if r.returncode != 2:
        failures.append(f"`innet click frobnicate`: rc={r.returncode} (want 2)")
    if nvalid < 60 or ninvalid < 60:
        failures.append(f"corpus too small: {nvalid} valid, {ninvalid} invalid (want >= 60 each)")
    for f in failures:
        print("FAIL", f)
    print(f"{nvalid} valid, {ninvalid} invalid fixtures, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
