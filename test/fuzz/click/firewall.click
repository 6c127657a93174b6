// a stateless firewall in front of a web server
in :: FromDevice(0);
out :: ToDevice(1);
c :: Classifier(12/0800, -);
in -> c;
c[0] -> Strip(14) -> CheckIPHeader
  -> IPFilter(allow tcp dst port 80 or tcp dst port 443,
              allow icmp type echo,
              deny all)
  -> Unstrip(14) -> Queue(500) -> out;
c[1] -> Discard;
