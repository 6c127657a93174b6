// __REST__ collects the leftover arguments, comma-joined
elementclass Filter { $first, __REST__ $rest |
  input -> IPFilter($first, $rest) -> output }
FromDevice(0) -> Strip(14) -> CheckIPHeader
  -> Filter(allow tcp port 80, allow udp port 53, deny all) -> Discard;
