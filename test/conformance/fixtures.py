"""The conformance fixtures: one element (or a small composition) each, run
on the same input capture by the real Click (record.py) and by innet
(conformance_test.py).

A fixture's BODY is Click configuration text in which the input is the
element named `src` and output K is the element named `outK`. record.py
declares them for Click (src :: FromDump, outK :: ToDump) in
test/fixtures/conformance/NAME/click.click; for innet every output is run on its own, since
`innet click run` writes every ToNetFront to one capture:
test/fixtures/conformance/NAME/innet-K.click declares src :: FromNetFront(0), outK ::
ToNetFront(0) and every other output as Discard.

Elements whose behaviour depends on time (shapers, rated elements,
SetTimestamp; TimedUnqueue has a simulated-time fixture), that emit nothing (Idle, Discard), talk to
devices (From/ToDevice, From/ToNetFront) or that Click does not have
(ChangeEnforcer) or does not build by default (IPsecESPEncap) have no
fixture; docs/conformance.md lists them.

A fixture may name a fourth item, its input capture in test/fixtures/conformance/
(default in.pcap): the rewriters' fixtures run on rw-replies.pcap and
rw-mixed.pcap (rwinputs.py), where replies to earlier flows appear. The
FromDump of click.click names the capture, and conformance_test.py reads
it from there.

A fixture may name a fifth item, Click options: {'simtime': True} runs
Click with --simtime and FromDump(..., TIMING true), so Click's clock is
the capture's timestamps, as `innet click run`'s module clock is, and a
DriverManager lets 2 s of simulated time pass after the capture, as
`innet click run` drains; the time-dependent meters and rated elements get
fixtures that way.
{'times': US} (with simtime) also stores US in NAME/times: the test then
compares when each packet left (its capture timestamp, relative to the
input's first packet; SetTimestamp before outK makes Click's ToDump write
the release time, not the arrival) in order, within US microseconds."""

import re

# (name, number of outputs, body[, input capture[, Click options]]); a body
# without `src` has no input (sources): Click stops at the source's LIMIT
# (STOP true), innet click run when no source has packets left to make
SIMTIME = {'simtime': True}
CHK = 'src -> CheckIPHeader'
FIXTURES = [
    ('checkipheader', 2, 'src -> c :: CheckIPHeader; c[0] -> out0; c[1] -> out1;'),
    ('checkipheader-nochecksum', 2,
     'src -> c :: CheckIPHeader(CHECKSUM false); c[0] -> out0; c[1] -> out1;'),
    ('markipheader', 1, 'src -> MarkIPHeader -> out0;'),
    ('null', 1, CHK + ' -> Null -> out0;'),
    ('pushnull', 1, CHK + ' -> PushNull -> out0;'),
    ('counter', 1, CHK + ' -> Counter -> out0;'),
    ('averagecounter', 1, CHK + ' -> AverageCounter -> out0;'),
    ('print', 1, CHK + ' -> Print(conf, 0) -> out0;'),
    ('decipttl', 2, CHK + ' -> d :: DecIPTTL; d[0] -> out0; d[1] -> out1;'),
    ('etherencap', 1, CHK + ' -> EtherEncap(0x0800, 00:01:02:03:04:05, 0a:0b:0c:0d:0e:0f) -> out0;'),
    ('etherrewrite', 1, CHK + ' -> EtherEncap(0x0800, 00:01:02:03:04:05, 0a:0b:0c:0d:0e:0f)'
     ' -> EtherRewrite(02:00:00:00:00:01, 02:00:00:00:00:02) -> out0;'),
    ('arpresponder', 2, CHK + ' -> a :: ARPResponder(10.0.0.1 02:00:00:00:00:01); a[0] -> out0; a[1] -> out1;'),
    ('hashswitch', 3, CHK + ' -> h :: HashSwitch(12, 8); h[0] -> out0; h[1] -> out1; h[2] -> out2;'),
    ('roundrobinswitch', 3, CHK + ' -> r :: RoundRobinSwitch; r[0] -> out0; r[1] -> out1; r[2] -> out2;'),
    ('switch', 3, CHK + ' -> s :: Switch(1); s[0] -> out0; s[1] -> out1; s[2] -> out2;'),
    ('tee', 2, CHK + ' -> t :: Tee(2); t[0] -> out0; t[1] -> out1;'),
    ('paint-checkpaint', 2, CHK + ' -> Paint(3) -> c :: CheckPaint(3); c[0] -> out0; c[1] -> out1;'),
    ('checkpaint', 2, CHK + ' -> c :: CheckPaint(3); c[0] -> out0; c[1] -> out1;'),
    ('paintswitch', 3, CHK + ' -> r :: RoundRobinSwitch; ps :: PaintSwitch;'
     ' r[0] -> Paint(2) -> ps; r[1] -> Paint(0) -> ps; r[2] -> Paint(1) -> ps;'
     ' ps[0] -> out0; ps[1] -> out1; ps[2] -> out2;'),
    ('classifier', 3, CHK + ' -> c :: Classifier(9/06, 9/11 22/0035, -); c[0] -> out0; c[1] -> out1; c[2] -> out2;'),
    ('ipclassifier', 4, CHK + ' -> c :: IPClassifier(tcp syn, udp dst port 53 or src net 10.0.0.0/8,'
     ' icmp type echo, -); c[0] -> out0; c[1] -> out1; c[2] -> out2; c[3] -> out3;'),
    ('ipfilter', 2, CHK + ' -> f :: IPFilter(deny ip frag, allow tcp dst port 80 or 443, 1 udp, deny all);'
     ' f[0] -> out0; f[1] -> out1;'),
    ('staticiplookup', 3, CHK + ' -> l :: StaticIPLookup(10.0.0.0/8 0, 192.168.1.0/24 1, 0.0.0.0/0 2);'
     ' l[0] -> out0; l[1] -> out1; l[2] -> out2;'),
    ('lineariplookup', 3, CHK + ' -> l :: LinearIPLookup(10.0.0.0/8 0, 10.1.0.0/16 1, 0.0.0.0/0 2);'
     ' l[0] -> out0; l[1] -> out1; l[2] -> out2;'),
    ('radixiplookup-gw', 2, CHK + ' -> l :: RadixIPLookup(10.0.0.0/8 7.7.7.7 0, 192.168.0.0/16 1, 0.0.0.0/0 8.8.8.8 0);'
     ' l[0] -> StoreIPAddress(16) -> out0; l[1] -> out1;'),
    ('setipaddress', 1, CHK + ' -> SetIPAddress(5.6.7.8) -> StoreIPAddress(12) -> out0;'),
    ('storeipaddress-src', 1, CHK + ' -> StoreIPAddress(9.9.9.9, src) -> out0;'),
    ('storeipaddress-dst', 1, CHK + ' -> SetIPAddress(5.6.7.8) -> StoreIPAddress(dst) -> out0;'),
    ('storeipaddress-offset', 1, CHK + ' -> StoreIPAddress(1.2.3.4, 16) -> out0;'),
    ('setipdscp', 1, CHK + ' -> SetIPDSCP(46) -> out0;'),
    ('storedata', 1, CHK + ' -> StoreData(28, \\<0102030405060708>) -> out0;'),
    ('storedata-head', 1, CHK + ' -> StoreData(1, x) -> out0;'),
    ('strip', 1, CHK + ' -> Strip(20) -> out0;'),
    ('unstrip', 1, CHK + ' -> Strip(20) -> Unstrip(20) -> out0;'),
    ('ipmirror', 1, CHK + ' -> IPMirror -> out0;'),
    # Without packets under 32 bytes: Click swaps TCP seq and ack from 8
    # transport bytes on, past the packet's end below 12
    ('ipmirror-nostub', 1, CHK + ' -> c :: Classifier(2/0000%ffe0, -); c[0] -> Discard;'
     ' c[1] -> IPMirror -> out0;'),
    ('icmppingresponder', 2, CHK + ' -> p :: ICMPPingResponder; p[0] -> out0; p[1] -> out1;'),
    ('icmperror-timeexceeded', 1, CHK + ' -> ICMPError(192.0.2.1, timeexceeded) -> out0;'),
    ('icmperror-unreachable', 1, CHK + ' -> ICMPError(192.0.2.1, unreachable, needfrag, MTU 1400) -> out0;'),
    ('icmperror-parameterproblem', 1, CHK + ' -> ICMPError(192.0.2.1, parameterproblem) -> out0;'),
    ('ipencap', 1, CHK + ' -> IPEncap(4, 1.0.0.1, 2.0.0.2) -> out0;'),
    ('ipencap-keywords', 1, CHK + ' -> IPEncap(udp, 1.0.0.1, 2.0.0.2, TTL 9, DSCP 10, DF true) -> out0;'),
    ('udpipencap', 1, CHK + ' -> UDPIPEncap(1.0.0.1, 1234, 2.0.0.2, 5678) -> out0;'),
    ('udpipencap-checksum', 1, CHK + ' -> UDPIPEncap(1.0.0.1, 1234, 2.0.0.2, 5678, CHECKSUM true) -> out0;'),
    ('udpipencap-nochecksum', 1, CHK + ' -> UDPIPEncap(1.0.0.1, 1234, 2.0.0.2, 5678, CHECKSUM false) -> out0;'),
    ('ipfragmenter', 2, CHK + ' -> f :: IPFragmenter(576); f[0] -> out0; f[1] -> out1;'),
    ('ipfragmenter-nodf', 1, CHK + ' -> IPFragmenter(300, HONOR_DF false) -> out0;'),
    # Both give a packet whose DF they ignore a random IP ID: zero it (and
    # the checksum that covers it) to compare the rest
    ('ipfragmenter-nodf-noid', 1, CHK + ' -> IPFragmenter(300, HONOR_DF false)'
     ' -> StoreData(4, \\<0000>) -> StoreData(10, \\<0000>) -> out0;'),
    ('ipoutputcombo', 5, CHK + ' -> Paint(2) -> c :: IPOutputCombo(2, 192.0.2.9, 576);'
     ' c[0] -> out0; c[1] -> out1; c[2] -> out2; c[3] -> out3; c[4] -> out4;'),
    ('ipoutputcombo-unpainted', 5, CHK + ' -> c :: IPOutputCombo(2, 192.0.2.9, 1500);'
     ' c[0] -> out0; c[1] -> out1; c[2] -> out2; c[3] -> out3; c[4] -> out4;'),
    # Without the packets whose first option is a timestamp (time-dependent)
    ('ipoutputcombo-nots', 5, CHK + ' -> t :: Classifier(20/44, -); t[0] -> Discard;'
     ' t[1] -> Paint(2) -> c :: IPOutputCombo(2, 192.0.2.9, 576);'
     ' c[0] -> out0; c[1] -> out1; c[2] -> out2; c[3] -> out3; c[4] -> out4;'),
    ('icmperror-redirect', 1, CHK + ' -> ICMPError(192.0.2.1, redirect, host) -> out0;'),
    ('icmperror-sourcequench', 1, CHK + ' -> ICMPError(192.0.2.1, sourcequench) -> out0;'),
    ('decipttl-nomulticast', 2, CHK + ' -> d :: DecIPTTL(MULTICAST false); d[0] -> out0; d[1] -> out1;'),
    ('ipencap-dstanno', 1, CHK + ' -> SetIPAddress(3.3.3.3) -> IPEncap(4, 1.0.0.1, DST_ANNO) -> out0;'),
    ('udpipencap-dstanno', 1, CHK + ' -> SetIPAddress(3.3.3.3)'
     ' -> UDPIPEncap(1.0.0.1, 1, DST_ANNO, 2, CHECKSUM true) -> out0;'),
    ('ipfilter-fields', 2, CHK + ' -> f :: IPFilter(allow src port < 1024, 1 icmp type echo-reply,'
     ' 1 ip ttl < 2, deny all); f[0] -> out0; f[1] -> out1;'),
    ('classifier-masks', 4, CHK + ' -> c :: Classifier(0/45%ff, 6/2000%3fff, 12/0a, -);'
     ' c[0] -> out0; c[1] -> out1; c[2] -> out2; c[3] -> out3;'),
    ('ipclassifier-nets', 4, CHK + ' -> c :: IPClassifier(dst net 192.168.1.0/24, ip frag,'
     ' tcp port 80 or udp port 53, -); c[0] -> out0; c[1] -> out1; c[2] -> out2; c[3] -> out3;'),
    ('hashswitch-ports', 2, CHK + ' -> h :: HashSwitch(20, 4); h[0] -> out0; h[1] -> out1;'),
    ('tee3', 3, CHK + ' -> t :: Tee; t[0] -> out0; t[1] -> out1; t[2] -> out2;'),
    ('queue', 1, CHK + ' -> Queue(1000) -> Unqueue -> out0;'),
    ('simplequeue', 1, CHK + ' -> SimpleQueue(1000) -> Unqueue -> out0;'),
    ('fullnotequeue', 1, CHK + ' -> FullNoteQueue(1000) -> Unqueue -> out0;'),
    ('pullnull', 1, CHK + ' -> Queue(1000) -> PullNull -> Unqueue -> out0;'),
    ('pulltee', 2, CHK + ' -> Queue(1000) -> t :: PullTee; t[0] -> Unqueue -> out0; t[1] -> out1;'),
    ('iprewriter', 1, CHK + ' -> IPRewriter(pattern - - 172.16.15.133 - 0 0) -> out0;'),
    ('ipaddrrewriter', 1, CHK + ' -> IPAddrRewriter(pattern 9.9.9.9 - 0 0) -> out0;'),
    # transport header checks, checksum setters, addresses and annotations
    ('checktcpheader', 2, CHK + ' -> c :: CheckTCPHeader; c[0] -> out0; c[1] -> out1;'),
    ('checkudpheader', 2, CHK + ' -> c :: CheckUDPHeader; c[0] -> out0; c[1] -> out1;'),
    ('checkicmpheader', 2, CHK + ' -> c :: CheckICMPHeader; c[0] -> out0; c[1] -> out1;'),
    # a TTL written without a checksum update, then recomputed
    ('setipchecksum', 1, CHK + ' -> StoreData(8, \\<05>) -> SetIPChecksum -> out0;'),
    # the protocol is not checked: every packet's bytes 16-17 after the IP header
    ('settcpchecksum', 1, CHK + ' -> SetTCPChecksum -> out0;'),
    # a data offset of 0 and one of 15 words, repaired before the sum
    ('settcpchecksum-fixoff', 2, CHK + ' -> c :: IPClassifier(tcp, -); c[1] -> out1;'
     ' c[0] -> r :: RoundRobinSwitch; r[0] -> StoreData(32, \\<0f>) -> f :: SetTCPChecksum(true);'
     ' r[1] -> StoreData(32, \\<f0>) -> f; f -> out0;'),
    ('setudpchecksum', 2, CHK + ' -> s :: SetUDPChecksum; s[0] -> out0; s[1] -> out1;'),
    ('dropbroadcasts', 2, CHK + ' -> d :: DropBroadcasts; d[0] -> out0; d[1] -> out1;'),
    ('staticswitch', 3, CHK + ' -> s :: StaticSwitch(1); s[0] -> out0; s[1] -> out1; s[2] -> out2;'),
    # an OUTPUT that is not an output drops everything
    ('staticswitch-none', 2, CHK + ' -> s :: StaticSwitch(2); s[0] -> out0; s[1] -> out1;'),
    ('getipaddress', 1, CHK + ' -> GetIPAddress(12) -> StoreIPAddress(16) -> out0;'),
    ('getipaddress-ip', 1, CHK + ' -> GetIPAddress(IP src) -> StoreIPAddress(dst) -> out0;'),
    ('fixipsrc', 1, CHK + ' -> FixIPSrc(10.9.9.9) -> out0;'),
    ('fixipsrc-icmperror', 1, CHK + ' -> ICMPError(192.0.2.1, timeexceeded) -> FixIPSrc(10.9.9.9) -> out0;'),
    ('ethermirror', 1, CHK + ' -> EtherEncap(0x0800, 00:01:02:03:04:05, 0a:0b:0c:0d:0e:0f)'
     ' -> EtherMirror -> out0;'),
    # on IPv4 with no link header: the IP header's first 12 bytes swap halves
    ('ethermirror-ip', 1, CHK + ' -> EtherMirror -> out0;'),
    # the lines are logged, the packets pass unchanged
    ('ipprint', 1, CHK + ' -> IPPrint(x, CONTENTS hex, ID true, TTL true) -> out0;'),
    ('ipprint-fields', 1, CHK + ' -> Paint(5) -> IPPrint(y, TOS true, LENGTH true, PAINT true, TIMESTAMP false,'
     ' CONTENTS ascii) -> out0;'),
    # TCP packets too short for their data offset are left out here and
    # shown apart (ipprint-payload-shorttcp, a departure)
    ('ipprint-payload', 1, CHK + ' -> IPFilter(deny tcp and ip len < 73, allow all)'
     ' -> IPPrint(z, PAYLOAD hex, MAXLENGTH 24) -> out0;'),
    ('ipprint-payload-ascii', 1, CHK + ' -> IPFilter(deny tcp and ip len < 73, allow all)'
     ' -> IPPrint(a, PAYLOAD ascii, MAXLENGTH -1, TIMESTAMP false) -> out0;'),
    ('ipprint-payload-shorttcp', 1, CHK + ' -> IPFilter(allow tcp and ip len < 40)'
     ' -> IPPrint(s, PAYLOAD hex) -> out0;'),
    ('print-contents', 1, CHK + ' -> Print(p, 40, CONTENTS ascii) -> Print(q, -1, CONTENTS none) -> out0;'),
    ('align', 1, CHK + ' -> Align(4, 2) -> out0;'),
    ('alignmentinfo', 1, CHK + ' -> n :: Null -> out0; AlignmentInfo(n 4 0);'),
] + [
    # The rewriters on captures with replies (rwinputs.py). Inside hosts
    # (10.0.0.0/8) enter input 0, the rest input 1; outputs 0 and 1 are the
    # rewriter's (forward and reply), 2 a pass spec's where there is one.
    (name, nout, 'rw :: ' + rw + '; ' + CHK + ' -> c :: IPClassifier(src net 10.0.0.0/8, -);'
     ' c[0] -> [0]rw; c[1] -> [1]rw;' + ''.join(' rw[%d] -> out%d;' % (k, k) for k in range(nout)), inp)
    for name, nout, rw, inp in [
        # '#': sequential, so the k-th new flow gets port 1024+k in both
        ('iprewriter-portrange-seq', 2, 'IPRewriter(pattern 192.0.2.1 1024-65535# - - 0 1, drop)',
         'rw-replies.pcap'),
        ('iprewriter-fixed-replies', 2, 'IPRewriter(pattern 192.0.2.1 4000 198.51.100.7 8080 0 1, drop)',
         'rw-replies.pcap'),
        ('iprewriter-dst-replies', 2, 'IPRewriter(pattern - - 172.16.15.133 - 0 1, drop)',
         'rw-replies.pcap'),
        ('iprewriter-keep', 2, 'IPRewriter(keep 0 1, drop)', 'rw-replies.pcap'),
        ('iprewriter-pass', 3, 'IPRewriter(pattern 192.0.2.1 1024-65535# - - 0 1, pass 2)',
         'rw-replies.pcap'),
        # inside dropped; outside flows forwarded to one inside host
        ('iprewriter-drop', 2, 'IPRewriter(drop, pattern - - 10.0.0.9 - 1 0)', 'rw-replies.pcap'),
        ('ipaddrrewriter-replies', 2, 'IPAddrRewriter(pattern 192.0.2.1 - 0 1, drop)', 'rw-replies.pcap'),
        ('ipaddrrewriter-range-seq', 2, 'IPAddrRewriter(pattern 192.0.2.1-192.0.2.30# - 0 1, drop)',
         'rw-replies.pcap'),
        ('iprewriter-mixed-seq', 2, 'IPRewriter(pattern 192.0.2.1 1024-65535# - - 0 1, drop)',
         'rw-mixed.pcap'),
        ('iprewriter-mixed-keep', 2, 'IPRewriter(keep 0 1, drop)', 'rw-mixed.pcap'),
        # a named pattern with an AddressInfo name in it
        ('iprewriterpatterns-mixed', 2, 'IPRewriter(pattern to_world 0 1, drop);'
         ' IPRewriterPatterns(to_world extern 1024-65535# - -); AddressInfo(extern 192.0.2.1)',
         'rw-mixed.pcap'),
        ('iprewriter-mixed-pass', 3, 'IPRewriter(pattern 192.0.2.1 1024-65535# - - 0 1, pass 2)',
         'rw-mixed.pcap'),
        ('ipaddrrewriter-mixed', 2, 'IPAddrRewriter(pattern 192.0.2.1 - 0 1, drop)', 'rw-mixed.pcap'),
        # ten ports per protocol towards one destination for hundreds of flows:
        # the range runs out, new flows drop
        ('iprewriter-mixed-exhausted', 2,
         'IPRewriter(pattern 192.0.2.1 5000-5009# 198.51.100.7 8080 0 1, drop)', 'rw-mixed.pcap'),
        # a full table within the guarantee (5 s; the capture lasts 3):
        # admission control, new flows drop
        ('iprewriter-mixed-capacity', 2, 'IPRewriter(pattern 192.0.2.1 1024-65535# - - 0 1, drop,'
         ' MAPPING_CAPACITY 40)', 'rw-mixed.pcap'),
        ('ipaddrrewriter-mixed-capacity', 2, 'IPAddrRewriter(pattern 192.0.2.1-192.0.2.200# - 0 1, drop,'
         ' MAPPING_CAPACITY 30)', 'rw-mixed.pcap'),
    ]
] + [
    # Without '#' the port choice is random where the packet's own source
    # port is below 1024 or its reply key is taken (click_random in Click,
    # the module's generator in innet): output 0 is compared with the
    # source port and the transport checksum zeroed (every packet of these
    # captures has a 20-byte IP header); replies (output 1) are unmasked,
    # the capture replies to the ports kept by the same-first rule.
    (name, 2, 'rw :: IPRewriter(pattern 192.0.2.1 1024-65535 - - 0 1, drop); '
     + CHK + ' -> c :: IPClassifier(src net 10.0.0.0/8, -); c[0] -> [0]rw; c[1] -> [1]rw;'
     ' rw[0] -> m :: Classifier(9/06, -);'
     ' m[0] -> StoreData(20, \\<0000>) -> StoreData(36, \\<0000>) -> out0;'
     ' m[1] -> StoreData(20, \\<0000>) -> StoreData(26, \\<0000>) -> out0; rw[1] -> out1;', inp)
    for name, inp in [('iprewriter-portrange-masked', 'rw-replies.pcap'),
                      ('iprewriter-mixed-masked', 'rw-mixed.pcap')]
] + [
    # in.pcap's odd packets (short transport headers, fragments, options,
    # UDP checksum 0) through the specs
    ('iprewriter-seq-in', 1, CHK + ' -> IPRewriter(pattern 192.0.2.1 1024-65535# - - 0 0) -> out0;'),
    ('iprewriter-keep-in', 2, CHK + ' -> rw :: IPRewriter(keep 0 1); rw[0] -> out0; rw[1] -> out1;'),
    ('iprewriter-pass-in', 2, CHK + ' -> rw :: IPRewriter(pass 1); rw[0] -> out0; rw[1] -> out1;'),
    # a /28 holds 14 addresses (not .0 and .15): the other sources find none
    ('ipaddrrewriter-prefix-in', 2, CHK + ' -> rw :: IPAddrRewriter(pattern 192.0.2.0/28# - 0 1);'
     ' rw[0] -> out0; rw[1] -> out1;'),
    # one input, everything through the pattern
    ('iprewriter-fixed', 1, CHK + ' -> IPRewriter(pattern 192.0.2.1 4000 198.51.100.7 8080 0 0) -> out0;'),
    ('iprewriter-mixed-dst', 2, CHK + ' -> rw :: IPRewriter(pattern - - 172.16.15.133 - 0 1);'
     ' rw[0] -> out0; rw[1] -> out1;', 'rw-mixed.pcap'),
    ('ipaddrrewriter-mixed-one', 2, CHK + ' -> rw :: IPAddrRewriter(pattern 192.0.2.1 - 0 1);'
     ' rw[0] -> out0; rw[1] -> out1;', 'rw-mixed.pcap'),
] + [
    # TCPRewriter, ICMPPingRewriter, ICMPRewriter (group rw-icmp). Inside
    # hosts enter input 0, the rest input 1, as for IPRewriter above;
    # output 2 is a pass spec's.
    (name, nout, 'rw :: ' + rw + '; ' + CHK + ' -> c :: IPClassifier(src net 10.0.0.0/8, -);'
     ' c[0] -> [0]rw; c[1] -> [1]rw;' + ''.join(' rw[%d] -> out%d;' % (k, k) for k in range(nout)), inp)
    for name, nout, rw, inp in [
        ('tcprewriter-seq', 2, 'TCPRewriter(pattern 192.0.2.1 1024-65535# - - 0 1, drop)', 'rw-replies.pcap'),
        ('tcprewriter-keep-pass', 3, 'TCPRewriter(keep 0 1, pass 2)', 'rw-replies.pcap'),
        ('tcprewriter-mixed-pass', 3, 'TCPRewriter(pattern 192.0.2.1 1024-65535# - - 0 1, pass 2)',
         'rw-mixed.pcap'),
        ('tcprewriter-mixed-dst', 2, 'TCPRewriter(pattern - - 172.16.15.133 - 0 1, drop)', 'rw-mixed.pcap'),
        ('icmppingrewriter-seq', 2, 'ICMPPingRewriter(pattern 192.0.2.1 1024-65535# - - 0 1, drop)',
         'rw-icmp.pcap'),
        ('icmppingrewriter-keep-pass', 3, 'ICMPPingRewriter(keep 0 1, pass 2)', 'rw-icmp.pcap'),
        ('icmppingrewriter-mixed-pass', 3, 'ICMPPingRewriter(pattern 192.0.2.1 1024-65535# - - 0 1, pass 2)',
         'rw-mixed.pcap'),
        ('icmppingrewriter-fixed', 2, 'ICMPPingRewriter(pattern 192.0.2.1 7000 - - 0 1, drop)',
         'rw-icmp.pcap'),
    ]
] + [
    # ICMPRewriter behind an IPRewriter and an ICMPPingRewriter: inside
    # TCP/UDP and pings go out through them (out0), echo replies and
    # TCP/UDP from outside come back (out1), ICMP errors from outside go
    # through the ICMPRewriter (out2 without offsets; with them irw's
    # outputs are ICMPRewriter's 0-1 (out2), rw's 2-3 (out3, out4)).
    (name, nout, 'rw :: IPRewriter(pattern 192.0.2.1 1024-65535# - - 0 1, drop);'
     ' irw :: ICMPPingRewriter(pattern 192.0.2.1 1024-65535# - - 0 1, drop);'
     ' ierw :: ' + ierw + '; ' + CHK +
     ' -> c :: IPClassifier(src net 10.0.0.0/8 and icmp, src net 10.0.0.0/8,'
     ' icmp type echo-reply, icmp, -);'
     ' c[0] -> [0]irw; c[1] -> [0]rw; c[2] -> [1]irw; c[3] -> ierw; c[4] -> [1]rw;'
     ' rw[0] -> out0; irw[0] -> out0; rw[1] -> out1; irw[1] -> out1;' + outs, 'rw-icmp.pcap')
    for name, nout, ierw, outs in [
        ('icmprewriter', 3, 'ICMPRewriter(rw irw)', ' ierw -> out2;'),
        ('icmprewriter-offsets', 5, 'ICMPRewriter(irw:0 rw:2, DST_ANNO false)',
         ' ierw[0] -> out2; ierw[1] -> out2; ierw[2] -> out3; ierw[3] -> out4;'),
    ]
] + [
    # group: sched. Schedulers pull from three Queues fed in turn; a
    # RoundRobinSwitch after the Unqueue makes the order visible.
    (name, 2, CHK + ' -> r :: RoundRobinSwitch; s :: %s;'
     ' r[0] -> Queue -> [0]s; r[1] -> Queue -> [1]s; r[2] -> Queue -> [2]s;'
     ' s -> Unqueue -> o :: RoundRobinSwitch; o[0] -> out0; o[1] -> out1;' % cls)
    for name, cls in [('priosched', 'PrioSched'), ('simplepriosched', 'SimplePrioSched'),
                      ('roundrobinsched', 'RoundRobinSched'),
                      ('simpleroundrobinsched', 'SimpleRoundRobinSched'),
                      ('stridesched', 'StrideSched(1, 2, 3)')]
] + [
    # nothing pulls (Unqueue inactive): a FrontDropQueue of 10 drops all but
    # the last 10 packets, oldest first, to output 1
    ('frontdropqueue', 1, CHK + ' -> q :: FrontDropQueue(10) -> Unqueue(ACTIVE false) -> Discard;'
     ' q[1] -> out0;'),
    ('frontdropqueue-pass', 1, CHK + ' -> FrontDropQueue(1000) -> Unqueue -> out0;'),
    ('painttee', 2, CHK + ' -> r :: RoundRobinSwitch; t :: PaintTee(1); r[0] -> Paint(1) -> t;'
     ' r[1] -> Paint(2) -> t; t[0] -> out0; t[1] -> out1;'),
    ('clickyinfo-scheduleinfo', 1, CHK + ' -> n :: Null -> out0; ClickyInfo(STYLE @import a.ccss);'
     ' ScheduleInfo(n 1, src 2);'),
] + [
    # group: sched, time-dependent: Click in simulated time on in.pcap
    # (one packet per millisecond)
    (name, nout, CHK + body, 'in.pcap', SIMTIME) for name, nout, body in [
        ('meter', 2, ' -> m :: Meter(500); m[0] -> out0; m[1] -> out1;'),
        ('meter-3', 3, ' -> m :: Meter(300, 800); m[0] -> out0; m[1] -> out1; m[2] -> out2;'),
        ('bandwidthmeter', 3, ' -> m :: BandwidthMeter(50kBps, 150kBps);'
         ' m[0] -> out0; m[1] -> out1; m[2] -> out2;'),
        ('bandwidthratedsplitter', 2, ' -> s :: BandwidthRatedSplitter(100kBps); s[0] -> out0; s[1] -> out1;'),
        ('bandwidthratedunqueue', 1, ' -> Queue -> BandwidthRatedUnqueue(100kBps) -> out0;'),
        ('delayshaper', 1, ' -> Queue -> DelayShaper(0.01) -> Unqueue -> out0;'),
    ]
] + [
    # TimedUnqueue: when each packet leaves. Packets arrive 1 ms apart; the
    # Classifier keeps IDs 0-3 (a busy queue: the 2 ms grid), 21 and 41
    # (during the grid: the next grid point; 42 is the 10th empty interval,
    # still on the grid), 63 (the queue's empty signal slept at 62: at once),
    # 68, 88 and 108 (the new grid, 109 again a 10th interval), 130 and 131
    # (asleep since 129: at once, then 2 ms after). No arrival is on a grid
    # point, so no tie decides an order.
    ('timedunqueue', 1, CHK + ' -> c :: Classifier(4/0000, 4/0001, 4/0002, 4/0003, 4/0015, 4/0029,'
     ' 4/003f, 4/0044, 4/0058, 4/006c, 4/0082, 4/0083, -); q :: Queue;'
     + ''.join(' c[%d] -> q;' % i for i in range(12)) + ' c[12] -> Discard;'
     ' q -> TimedUnqueue(0.002) -> SetTimestamp -> out0;', 'in.pcap', {'simtime': True, 'times': 10}),
] + [
    # ---- sources (group: sources.c): no input; the bytes are the same
    # whatever the time, which the comparison ignores
    ('infinitesource', 1, 'InfiniteSource(DATA \\<45 00 00 24 00 07 00 00 40 11 46 87 0a 00 00 01 c6 33 64 07 04 d2 16 2e 00 10 00 00 68 65 6c 6c 6f 21 0a 00>, LIMIT 5, STOP true) -> out0;'),
    ('infinitesource-positional', 1, 'InfiniteSource(\\<45 00 00 24 00 07 00 00 40 11 46 87 0a 00 00 01 c6 33 64 07 04 d2 16 2e 00 10 00 00 68 65 6c 6c 6f 21 0a 00>, 5, 2, STOP true) -> out0;'),
    ('infinitesource-default', 1, 'InfiniteSource(LIMIT 3, STOP true) -> out0;'),
    ('infinitesource-length', 1, 'InfiniteSource(\\<45 00 00 24 00 07 00 00 40 11 46 87 0a 00 00 01 c6 33 64 07 04 d2 16 2e 00 10 00 00 68 65 6c 6c 6f 21 0a 00>, 2, LENGTH 50, STOP true) -> out0;'),
    ('infinitesource-ether-strip', 1, 'InfiniteSource(DATA \\<00 01 02 03 04 05 0a 0b 0c 0d 0e 0f 08 00 45 00 00 24 00 07 00 00 40 11 46 87 0a 00 00 01 c6 33 64 07 04 d2 16 2e 00 10 00 00 68 65 6c 6c 6f 21 0a 00>, LIMIT 4, STOP true)'
     ' -> Strip(14) -> CheckIPHeader -> out0;'),
    ('ratedsource', 1, 'RatedSource(\\<45 00 00 24 00 07 00 00 40 11 46 87 0a 00 00 01 c6 33 64 07 04 d2 16 2e 00 10 00 00 68 65 6c 6c 6f 21 0a 00>, 1000, 4, STOP true) -> out0;'),
    ('timedsource', 1, 'TimedSource(0.01, \\<45 00 00 24 00 07 00 00 40 11 46 87 0a 00 00 01 c6 33 64 07 04 d2 16 2e 00 10 00 00 68 65 6c 6c 6f 21 0a 00>, LIMIT 3, STOP true) -> out0;'),
    ('icmppingsource', 1, 'ICMPPingSource(10.0.0.1, 198.51.100.7, INTERVAL 0.01, LIMIT 3,'
     ' IDENTIFIER 258, DATA "abcdef", STOP true) -> out0;'),
]


def has_input(body):
    """Does the fixture read the capture? A source's fixture (InfiniteSource
    and the like) names no `src`: it makes its own packets."""
    return re.search(r'\bsrc\b', body) is not None


# ---- group ipx: IP lookups, IPGWOptions, IPInputCombo, HostEtherFilter,
# CheckIPHeader2, CheckLength, Truncate, StripIPHeader and kin ----
# Timestamps IPGWOptions writes (the 4 bytes at 28 of the packets whose
# first option is a timestamp) are zeroed after it, with the checksum set
# again, so the rest compares; ipgwoptions-raw keeps them (time-dependent).
GWMASK = (' c :: Classifier(20/44, -); c[0] -> StoreData(28, \\<00000000>) -> SetIPChecksum -> out0;'
          ' c[1] -> out0;')
GWERR = ' g[1] -> ICMPError(192.0.2.9, parameterproblem) -> out1;'
ETH = ' -> EtherEncap(0x0800, 00:01:02:03:04:05, 0a:0b:0c:0d:0e:0f)'
FIXTURES += [
    ('directiplookup', 3, CHK + ' -> l :: DirectIPLookup(10.0.0.0/8 7.7.7.7 0, 192.168.0.0/16 1,'
     ' 192.168.1.0/24 2, 0.0.0.0/0 8.8.8.8 0); l[0] -> StoreIPAddress(16) -> out0; l[1] -> out1; l[2] -> out2;'),
    ('sortediplookup', 3, CHK + ' -> l :: SortedIPLookup(10.0.0.0/8 7.7.7.7 0, 192.168.0.0/16 1,'
     ' 192.168.1.0/24 2, 0.0.0.0/0 8.8.8.8 0); l[0] -> StoreIPAddress(16) -> out0; l[1] -> out1; l[2] -> out2;'),
    # a second route for a prefix: Click keeps the first
    ('lineariplookup-duplicate', 2, CHK + ' -> l :: LinearIPLookup(0.0.0.0/0 0, 10.0.0.0/8 1, 10.0.0.0/8 0,'
     ' 0.0.0.0/0 1); l[0] -> out0; l[1] -> out1;'),
    ('directiplookup-duplicate', 2, CHK + ' -> l :: DirectIPLookup(0.0.0.0/0 0, 10.0.0.0/8 1, 10.0.0.0/8 0,'
     ' 0.0.0.0/0 1); l[0] -> out0; l[1] -> out1;'),
    ('ipgwoptions', 2, CHK + ' -> g :: IPGWOptions(192.0.2.9); g[0] ->' + GWMASK + GWERR),
    ('ipgwoptions-raw', 2, CHK + ' -> g :: IPGWOptions(192.0.2.9); g[0] -> out0;' + GWERR),
    # full Record Route left alone, Timestamp overflow counted
    ('ipgwoptions-thrice', 2, CHK + ' -> IPGWOptions(192.0.2.9) -> IPGWOptions(192.0.2.9)'
     ' -> g :: IPGWOptions(192.0.2.9); g[0] ->' + GWMASK + GWERR),
    # option length 1 (bad at 21); pointer 3 (bad at 22; after two NOPs a
    # type-3 option of length 0, bad at 23)
    ('ipgwoptions-badlen', 2, CHK + ' -> StoreData(21, \\<01>) -> g :: IPGWOptions(192.0.2.9);'
     ' g[0] -> out0;' + GWERR),
    ('ipgwoptions-badptr', 2, CHK + ' -> StoreData(22, \\<03>) -> g :: IPGWOptions(192.0.2.9);'
     ' g[0] -> out0;' + GWERR),
    # Timestamp flags 3 naming an OTHERADDRS address (stamped) or not, flags
    # 2 (bad), and a full flag-1 Timestamp whose overflow count is 15 (bad)
    ('ipgwoptions-flag3', 2, CHK + ' -> StoreData(23, \\<03c0000209>) -> g :: IPGWOptions(192.0.2.1,'
     ' 192.0.2.9 198.51.100.1); g[0] ->' + GWMASK + GWERR),
    ('ipgwoptions-flag3-other', 2, CHK + ' -> StoreData(23, \\<03c0000209>) -> g :: IPGWOptions(192.0.2.1);'
     ' g[0] -> out0;' + GWERR),
    ('ipgwoptions-flag2', 2, CHK + ' -> StoreData(23, \\<02>) -> g :: IPGWOptions(192.0.2.9);'
     ' g[0] -> out0;' + GWERR),
    ('ipgwoptions-overflow', 2, CHK + ' -> StoreData(22, \\<0df1>) -> g :: IPGWOptions(192.0.2.9);'
     ' g[0] -> out0;' + GWERR),
    # IPInputCombo takes Ethernet frames: every packet, bad ones too (innet's
    # devices drop those before the module, Click's IPInputCombo after)
    ('ipinputcombo', 2, 'src' + ETH + ' -> IPInputCombo(3) -> c :: CheckPaint(3); c[0] -> out0; c[1] -> out1;'),
    ('ipinputcombo-badsrc', 1, 'src' + ETH + ' -> IPInputCombo(3, 192.168.7.94 192.168.7.148) -> out0;'),
    ('ipinputcombo-interfaces', 1, 'src' + ETH + ' -> IPInputCombo(3, INTERFACES 192.168.7.94/32'
     ' 10.0.0.1/8) -> out0;'),
    # without a link header: 14 bytes of the IP header are stripped
    ('ipinputcombo-nolink', 1, CHK + ' -> IPInputCombo(3) -> out0;'),
    # own source, broadcast, multicast, other host, host
    ('hostetherfilter', 3, CHK + ' -> r :: RoundRobinSwitch; h :: HostEtherFilter(0a:0b:0c:0d:0e:0f, true);'
     ' r[0] -> EtherEncap(0x0800, 00:01:02:03:04:05, 0a:0b:0c:0d:0e:0f) -> h;'
     ' r[1] -> EtherEncap(0x0800, 00:01:02:03:04:05, ff:ff:ff:ff:ff:ff) -> h;'
     ' r[2] -> EtherEncap(0x0800, 0a:0b:0c:0d:0e:0f, 0a:0b:0c:0d:0e:0f) -> h;'
     ' r[3] -> EtherEncap(0x0800, 00:01:02:03:04:05, 01:00:5e:00:00:01) -> h;'
     ' r[4] -> EtherEncap(0x0800, 00:01:02:03:04:05, 02:00:00:00:00:09) -> h;'
     ' h[0] -> d :: DropBroadcasts; d[0] -> out0; d[1] -> out1; h[1] -> out2;'),
    ('hostetherfilter-keep', 2, CHK + ' -> r :: RoundRobinSwitch;'
     ' h :: HostEtherFilter(0a:0b:0c:0d:0e:0f, DROP_OTHER false, OFFSET 0);'
     ' r[0] -> EtherEncap(0x0800, 0a:0b:0c:0d:0e:0f, 0a:0b:0c:0d:0e:0f) -> h;'
     ' r[1] -> EtherEncap(0x0800, 00:01:02:03:04:05, 02:00:00:00:00:09) -> h;'
     ' h[0] -> out0; h[1] -> out1;'),
    ('hostetherfilter-offset', 2, CHK + ' -> h :: HostEtherFilter(00:00:00:00:00:00, true, OFFSET 20);'
     ' h[0] -> out0; h[1] -> out1;'),
    # the checksum zeroed after CheckIPHeader: CheckIPHeader2 lets it pass
    ('checkipheader2', 2, CHK + ' -> StoreData(10, \\<0000>) -> c :: CheckIPHeader2; c[0] -> out0; c[1] -> out1;'),
    ('checkipheader2-checksum', 2, CHK + ' -> StoreData(10, \\<0000>) -> c :: CheckIPHeader2(CHECKSUM true);'
     ' c[0] -> out0; c[1] -> out1;'),
    ('checklength', 2, CHK + ' -> c :: CheckLength(100); c[0] -> out0; c[1] -> out1;'),
    ('checklength-strip', 2, CHK + ' -> Strip(20) -> c :: CheckLength(80); c[0] -> out0; c[1] -> out1;'),
    ('truncate', 1, CHK + ' -> Truncate(60) -> out0;'),
    ('truncate-noextra', 1, CHK + ' -> Truncate(28, EXTRA_LENGTH false) -> out0;'),
    ('stripipheader', 1, CHK + ' -> StripIPHeader -> out0;'),
    # the transport header before the data: Click pulls the whole packet
    ('stripipheader-past', 1, CHK + ' -> StripIPHeader -> Strip(4) -> StripIPHeader -> out0;'),
    ('unstripipheader', 1, CHK + ' -> StripIPHeader -> UnstripIPHeader -> out0;'),
    ('unstripipheader-before', 1, CHK + ETH + ' -> UnstripIPHeader -> out0;'),
    ('striptonetworkheader', 1, CHK + ETH + ' -> StripToNetworkHeader -> out0;'),
    ('striptonetworkheader-back', 1, CHK + ' -> StripIPHeader -> StripToNetworkHeader -> out0;'),
]

def click_config(body, nout, inp='in.pcap', opts=None):
    sim = bool(opts and opts.get('simtime'))
    head = ''
    if has_input(body):
        head = 'src :: FromDump(%s, FORCE_IP true, STOP true%s);\n' % (inp, ', TIMING true' if sim else '')
    if sim:  # after the capture, 2 s more of simulated time: queues drain as innet's do
        head += 'DriverManager(wait_stop, wait 2s, stop);\n'
    outs = ''.join('out%d :: ToDump(out%d.pcap, ENCAP IP);\n' % (k, k) for k in range(nout))
    return head + outs + body + '\n'


def innet_config(body, nout, k):
    head = 'src :: FromNetFront(0);\n' if has_input(body) else ''
    outs = ''.join(('out%d :: ToNetFront(0);\n' if j == k else 'out%d :: Discard;\n') % j
                   for j in range(nout))
    return head + outs + body + '\n'
