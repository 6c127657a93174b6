elementclass Enc { $dst, SRC $s, TTL $t |
  input -> IPEncap(4, $s, $dst, TTL $t) -> output }
FromDevice(0) -> Strip(14) -> CheckIPHeader
  -> Enc(10.0.0.2, TTL 32, SRC 10.0.0.1) -> Discard;
