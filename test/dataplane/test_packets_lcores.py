#!/usr/bin/env python3
"""dataplane-packets on two fast-path lcores: the same real packets through
net_af_packet ports with two queue pairs each, so that both workers receive
and each module's packets are steered to the worker that owns it."""
import os
import sys

os.environ["INNET_DP_LCORES"] = "2"
script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_packets.py")
os.execv(sys.executable, [sys.executable, script] + sys.argv[1:])
