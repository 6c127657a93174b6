define($IN 0, $OUT 1);
elementclass IPIn { $me |
    input -> Strip(14) -> CheckIPHeader -> output;
}
src :: FromDevice($IN);
c   :: Classifier(12/0806 20/0001, 12/0800, -);
src -> c;
c[0] -> ARPResponder(10.0.0.1 00:11:22:33:44:55) -> q :: Queue(256);
c[1] -> IPIn(10.0.0.1) -> f :: IPFilter(allow udp port 1500, deny all)
     -> EtherEncap(0x0800, 00:11:22:33:44:55, 00:66:77:88:99:aa) -> q;
c[2] -> Discard;
q -> ToDevice($OUT);
