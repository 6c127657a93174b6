// args: -D MODULE_IP=10.1.2.3 -D MODULE_PORT=4000
// $MODULE_IP and $MODULE_PORT are defined by innetd before parsing
FromNetFront()
  -> CheckIPHeader(14)
  -> IPFilter(allow udp dst port $MODULE_PORT, deny all)
  -> IPRewriter(pattern $MODULE_IP 5000 10.9.9.9 53 0 0)
  -> ToNetFront();
