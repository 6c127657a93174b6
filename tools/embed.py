#!/usr/bin/env python3
"""Build helper: embed a text file into the binary as a NUL-terminated C
array, so innetd does not depend on its working directory at run time.

usage: embed.py INPUT OUTPUT SYMBOL
"""
import sys

src, out, sym = sys.argv[1:4]
data = open(src, "rb").read()
with open(out, "w") as f:
    f.write(f"/* generated from {src.split('/')[-1]} by tools/embed.py */\n")
    f.write(f"extern const char {sym}[];\n")
    f.write(f"const char {sym}[] = {{" + ",".join(str(b) for b in data) + ",0};\n")
