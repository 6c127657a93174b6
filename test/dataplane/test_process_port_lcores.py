#!/usr/bin/env python3
"""dataplane-process-port on two fast-path lcores: the uplink with two
queue pairs, the process port (a TAP) with two queues, so that frames a
program sends may arrive at the worker that does not own its module and
are steered to the owner."""
import os
import sys

os.environ["INNET_DP_LCORES"] = "2"
script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_process_port.py")
os.execv(sys.executable, [sys.executable, script] + sys.argv[1:])
