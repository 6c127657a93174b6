// NAPT: inside 10/8 to the public 192.0.2.1
inside :: FromDevice(0);
outside :: FromDevice(1);
rw :: IPRewriter(pattern 192.0.2.1 1024-65535 - - 0 1, drop);
inside -> Strip(14) -> CheckIPHeader -> [0]rw;
outside -> Strip(14) -> CheckIPHeader -> [1]rw;
rw[0] -> EtherEncap(0x0800, 00:00:00:00:00:02, 00:00:00:00:00:fe) -> Queue -> ToDevice(1);
rw[1] -> EtherEncap(0x0800, 00:00:00:00:00:01, 00:00:00:00:00:0a) -> Queue -> ToDevice(0);
