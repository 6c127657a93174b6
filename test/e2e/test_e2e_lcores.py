#!/usr/bin/env python3
"""e2e-packets with dp-lcores = 2: the real innetd, its fast path on two
lcores; the internet-side port on one queue (the tests assert the order
across flows, which one queue keeps), so packets for the second lcore's
modules are steered to it; the client-side port with two queue pairs."""
import os
import sys

os.environ["INNET_DP_LCORES"] = "2"
script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_e2e.py")
os.execv(sys.executable, [sys.executable, script] + sys.argv[1:])
