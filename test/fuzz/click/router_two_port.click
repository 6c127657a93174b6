// a two-interface IP router
elementclass Interface { $dev, $ip, $eth |
  from :: FromDevice($dev);
  to :: ToDevice($dev);
  c :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
  arpq :: ARPQuerier($ip, $eth);
  from -> c;
  c[0] -> ARPResponder($ip $eth) -> q :: Queue(200) -> to;
  c[1] -> [1]arpq;
  c[2] -> Strip(14) -> CheckIPHeader -> output;
  c[3] -> Discard;
  input -> arpq -> q;
}
rt :: StaticIPLookup(10.0.0.0/24 0, 10.0.1.0/24 1, 0.0.0.0/0 10.0.1.254 1);
if0 :: Interface(0, 10.0.0.1, 00:00:00:00:00:01);
if1 :: Interface(1, 10.0.1.1, 00:00:00:00:00:02);
if0 -> [0]rt;
if1 -> rt;
rt[0] -> DecIPTTL -> if0;
rt[1] -> DecIPTTL -> if1;
