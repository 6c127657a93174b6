#!/usr/bin/env python3
"""dataplane-packets on two fast-path lcores: the same real packets, the
internet-side port on one queue (the test checks the order across flows,
which one queue keeps), the client side with two queue pairs; each
module's packets are steered to the worker that owns it."""
import os
import sys

os.environ["INNET_DP_LCORES"] = "2"
script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_packets.py")
os.execv(sys.executable, [sys.executable, script] + sys.argv[1:])
