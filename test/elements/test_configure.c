/* configure of every element: Click's documented forms and defaults are
 * accepted, bad ones refused with a message that names the argument and a
 * location inside it. */
#include "fx.h"
#include "elements/internal.h"
#include "flow/flow.h"

#define NS 1000000000ll

static void test_devices(void **state)
{
	struct fx *x = *state;
	FX_OK(x, "FromDevice", "", 0, 1);
	assert_int_equal(fx_int(x, "DEVNAME"), 0);
	FX_OK(x, "FromDevice", "2", 0, 1);
	assert_int_equal(fx_int(x, "DEVNAME"), 2);
	FX_OK(x, "FromNetFront", "", 0, 1);
	assert_int_equal(fx_int(x, "DEVNAME"), 0);
	FX_OK(x, "FromNetFront", "00:1a:31:a4:60:ff, BURST 256", 0, 1);
	assert_int_equal(fx_int(x, "DEVNAME"), 0);
	assert_string_equal(fx_str(x, "MAC"), "00:1a:31:a4:60:ff");
	assert_int_equal(fx_int(x, "BURST"), 256);
	FX_OK(x, "ToDevice", "1, 32", 1, 0);
	assert_int_equal(fx_int(x, "DEVNAME"), 1);
	assert_int_equal(fx_int(x, "BURST"), 32);
	FX_OK(x, "ToDevice", "DEVID 4", 1, 0);
	assert_int_equal(fx_int(x, "DEVNAME"), 4);
	FX_ERR(x, "ToDevice", "1, DEVID 4", 1, 0, "DEVNAME and DEVID name the same device", "4)");
	FX_OK(x, "ToNetFront", "3", 1, 1);
	assert_int_equal(fx_int(x, "BURST"), 1);
	/* a device name (configured alone: the only device, 0) */
	FX_OK(x, "FromDevice", "eth0, FORCE_IP true", 0, 1);
	assert_int_equal(fx_int(x, "DEVNAME"), 0);
	assert_string_equal(fx_str(x, "NAME"), "eth0");
	FX_ERR(x, "FromDevice", "eth0/1", 0, 1,
	       "FromDevice: DEVNAME: device must be a device number or a device name, got 'eth0/1'", "eth0/1");
	FX_OK(x, "PollDevice", "eth1, true, 8", 0, 1);
	assert_int_equal(fx_int(x, "BURST"), 8);
	FX_ERR(x, "ToNetFront", "vif0", 1, 0, "device must be a port number or a MAC address", "vif0");
	FX_ERR(x, "ToDevice", "0, 0", 1, 0, "ToDevice: BURST: must be at least 1", "0)");
	FX_ERR(x, "FromDevice", "0, true, 64, 1", 0, 1, "too many arguments", "1)");
	FX_OK(x, "FromDevice", "0, PROMISC true, SNAPLEN 2000, METHOD PCAP, HEADROOM 64", 0, 1);
	FX_ERR(x, "FromDevice", "0, BOGUS true", 0, 1, "unknown keyword 'BOGUS'", "BOGUS");
	FX_ERR(x, "FromNetFront", "0, PROMISC true", 0, 1, "unknown keyword 'PROMISC'", "PROMISC");
	/* the process device (innet's own): no device number, BURST only */
	FX_OK(x, "ToProcess", "", 1, 0);
	FX_OK(x, "ToProcess", "8", 1, 0);
	FX_OK(x, "FromProcess", "BURST 32", 0, 1);
	FX_ERR(x, "ToProcess", "0", 1, 0, "ToProcess: BURST: must be at least 1", "0");
	FX_ERR(x, "FromProcess", "1, 2", 0, 1, "too many arguments", "2");
	FX_ERR(x, "ToProcess", "DEVNAME 1", 1, 0, "unknown keyword 'DEVNAME'", "DEVNAME");
}

static void test_classifiers(void **state)
{
	struct fx *x = *state;
	FX_OK(x, "Classifier", "12/0806 20/0001, 12/0806 20/0002, 12/0800, -", 1, 4);
	assert_int_equal(fx_len(x, "PATTERN"), 4);
	/* the pattern really is the one given: IPv4 ethertype matches rule 2
	 * (on the rules the verifier and the runtime share) */
	const struct cls_conf *c = x->conf;
	for (uint32_t i = 0; i < 4; i++) {
		assert_int_equal(c->rules[i].out, (int32_t)i);
		assert_non_null(c->rules[i].expr);
	}
	uint8_t frame[64] = { 0 };
	frame[12] = 0x08;
	struct flow_pkt p = { .data = frame, .data_len = sizeof frame };
	assert_false(flow_eval(c->rules[0].expr, &p));
	assert_true(flow_eval(c->rules[2].expr, &p));
	assert_true(flow_eval(c->rules[3].expr, &p));
	FX_ERR(x, "Classifier", "12/0800, -", 1, 3, "need 3 arguments, one per output port", NULL);
	FX_ERR(x, "Classifier", "12/080", 1, 1, "", "080");

	FX_OK(x, "IPClassifier", "tcp, udp, -", 1, 3);
	assert_int_equal(fx_len(x, "PATTERN"), 3);
	assert_int_equal(((const struct cls_conf *)x->conf)->rules[1].out, 1);
	FX_ERR(x, "IPClassifier", "tcp, udp", 1, 3, "IPClassifier: need 3 arguments, one per output port",
	       NULL);
	FX_ERR(x, "IPClassifier", "tcp, frob 7", 1, 2, "", "frob");

	FX_OK(x, "IPFilter", "allow udp port 1500, deny all", 1, 1);
	assert_int_equal(fx_len(x, "ACTION"), 2);
	assert_int_equal(fx_int_at(x, "ACTION", 0), 0);
	assert_string_equal(fx_str_at(x, "ACTION", 1), "drop");
	c = x->conf;
	uint8_t ip[28] = { 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17 };
	ip[22] = 1500 >> 8;
	ip[23] = 1500 & 255;
	struct flow_pkt q;
	flow_pkt_from_ip(&q, ip, sizeof ip);
	assert_true(flow_eval(c->rules[0].expr, &q));
	FX_OK(x, "IPFilter", "2 tcp, drop icmp, 1 -, allow all", 1, 3);
	assert_int_equal(fx_int_at(x, "ACTION", 0), 2);
	assert_string_equal(fx_str_at(x, "ACTION", 1), "drop");
	assert_int_equal(fx_int_at(x, "ACTION", 2), 1);
	FX_ERR(x, "IPFilter", "3 tcp", 1, 3, "IPFilter: output 3 out of range (3 outputs)", "3 tcp");
	FX_ERR(x, "IPFilter", "allow tcp", 1, 0, "'allow' needs an output", "allow");
	FX_ERR(x, "IPFilter", "accept tcp", 1, 1, "unknown action 'accept'", "accept");
	/* an action alone matches everything (Click's IPFilter documentation) */
	FX_OK(x, "IPFilter", "allow", 1, 1);
	assert_int_equal(fx_int_at(x, "ACTION", 0), 0);
	c = x->conf;
	assert_true(flow_eval(c->rules[0].expr, &q));
	ip[9] = 1; /* ICMP too */
	flow_pkt_from_ip(&q, ip, sizeof ip);
	assert_true(flow_eval(c->rules[0].expr, &q));
}

static void test_ip_header_elements(void **state)
{
	struct fx *x = *state;
	FX_OK(x, "CheckIPHeader", "", 1, 1);
	assert_int_equal(fx_int(x, "OFFSET"), 0);
	assert_true(fx_bool(x, "CHECKSUM"));
	FX_OK(x, "CheckIPHeader", "14, CHECKSUM false", 1, 2);
	assert_int_equal(fx_int(x, "OFFSET"), 14);
	assert_false(fx_bool(x, "CHECKSUM"));
	FX_OK(x, "CheckIPHeader", "INTERFACES 10.0.0.1/24 192.168.1.1/16", 1, 1);
	assert_int_equal(fx_len(x, "BADSRC"), 4);
	assert_string_equal(fx_str_at(x, "BADSRC", 0), "10.0.0.255");
	assert_string_equal(fx_str_at(x, "BADSRC", 1), "192.168.255.255");
	assert_string_equal(fx_str_at(x, "BADSRC", 2), "0.0.0.0");
	assert_string_equal(fx_str_at(x, "BADSRC", 3), "255.255.255.255");
	assert_int_equal(fx_len(x, "GOODDST"), 2);
	assert_string_equal(fx_str_at(x, "GOODDST", 0), "10.0.0.1");
	FX_OK(x, "CheckIPHeader", "BADSRC 1.1.1.1 2.2.2.2, GOODDST 3.3.3.3", 1, 1);
	assert_int_equal(fx_len(x, "BADSRC"), 2);
	assert_int_equal(fx_len(x, "GOODDST"), 1);
	FX_OK(x, "CheckIPHeader", "1.1.1.1 2.2.2.2, 14", 1, 1); /* deprecated form */
	assert_int_equal(fx_int(x, "OFFSET"), 14);
	assert_int_equal(fx_len(x, "BADSRC"), 2);
	FX_ERR(x, "CheckIPHeader", "BADSRC 1.1.1.1 2.2.2", 1, 1,
	       "CheckIPHeader: BADSRC: expected IP address, got '2.2.2'", "2.2.2");
	FX_ERR(x, "CheckIPHeader", "CHECKSUM maybe", 1, 1, "CHECKSUM: expected boolean", "maybe");
	FX_ERR(x, "CheckIPHeader", "INTERFACES 1.0.0.1/8, BADSRC 1.2.3.4", 1, 1,
	       "cannot be combined", "1.0.0.1");

	FX_OK(x, "MarkIPHeader", "", 1, 1);
	assert_int_equal(fx_int(x, "OFFSET"), 0);
	FX_OK(x, "MarkIPHeader", "14", 1, 1);
	assert_int_equal(fx_int(x, "OFFSET"), 14);

	FX_OK(x, "DecIPTTL", "", 1, 2);
	assert_true(fx_bool(x, "ACTIVE"));
	assert_true(fx_bool(x, "MULTICAST"));
	FX_OK(x, "DecIPTTL", "MULTICAST false", 1, 1);
	assert_false(fx_bool(x, "MULTICAST"));
	FX_ERR(x, "DecIPTTL", "false", 1, 1, "too many arguments", "false");

	FX_OK(x, "IPFragmenter", "1500", 1, 2);
	assert_int_equal(fx_int(x, "MTU"), 1500);
	assert_true(fx_bool(x, "HONOR_DF"));
	assert_false(fx_bool(x, "VERBOSE"));
	FX_OK(x, "IPFragmenter", "576, false, true, HEADROOM 40", 1, 1);
	assert_false(fx_bool(x, "HONOR_DF"));
	assert_true(fx_bool(x, "VERBOSE"));
	assert_int_equal(fx_int(x, "HEADROOM"), 40);
	FX_ERR(x, "IPFragmenter", "7", 1, 1, "IPFragmenter: MTU: must be at least 8", "7");
	FX_ERR(x, "IPFragmenter", "", 1, 1, "MTU: required argument missing", NULL);

	FX_OK(x, "IPOutputCombo", "2, 10.0.0.1, 1500", 1, 5);
	assert_int_equal(fx_int(x, "COLOR"), 2);
	assert_string_equal(fx_str(x, "IPADDR"), "10.0.0.1");
	FX_ERR(x, "IPOutputCombo", "256, 10.0.0.1, 1500", 1, 5, "COLOR: out of range, bound 255", "256");
}

static void test_encap(void **state)
{
	struct fx *x = *state;
	FX_OK(x, "Strip", "14", 1, 1);
	assert_int_equal(fx_int(x, "LENGTH"), 14);
	FX_OK(x, "Unstrip", "LENGTH 14", 1, 1);
	FX_ERR(x, "Strip", "", 1, 1, "Strip: LENGTH: required argument missing", NULL);
	FX_OK(x, "EtherEncap", "0x0800, 00:01:02:03:04:05, 0-a0-c9-9c-fd-9c", 1, 1);
	assert_int_equal(fx_int(x, "ETHERTYPE"), 0x0800);
	assert_string_equal(fx_str(x, "SRC"), "00:01:02:03:04:05");
	assert_string_equal(fx_str(x, "DST"), "00:a0:c9:9c:fd:9c");
	FX_OK(x, "EtherRewrite", "1:2:3:4:5:6, 6:5:4:3:2:1", 1, 1);
	assert_string_equal(fx_str(x, "DST"), "06:05:04:03:02:01");

	FX_OK(x, "IPEncap", "4, 1.0.0.1, 2.0.0.2", 1, 1);
	assert_int_equal(fx_int(x, "PROTO"), 4);
	assert_int_equal(fx_int(x, "TTL"), 250);
	assert_int_equal(fx_int(x, "TOS"), 0);
	assert_false(fx_bool(x, "DF"));
	assert_string_equal(fx_str(x, "DST"), "2.0.0.2");
	FX_OK(x, "IPEncap", "gre, 1.0.0.1, DST_ANNO, TTL 64, DSCP 10, ECT true, DF true", 1, 1);
	assert_int_equal(fx_int(x, "PROTO"), 47);
	assert_string_equal(fx_str(x, "DST"), "DST_ANNO");
	assert_int_equal(fx_int(x, "TTL"), 64);
	assert_int_equal(fx_int(x, "TOS"), 10 << 2 | 2);
	assert_true(fx_bool(x, "DF"));
	FX_OK(x, "IPEncap", "udp, 1.0.0.1, 2.0.0.2, TOS 0x10", 1, 1);
	assert_int_equal(fx_int(x, "TOS"), 0x10);
	FX_OK(x, "IPEncap", "udp, 1.0.0.1, 2.0.0.2, DSCP 62, CE true", 1, 1);
	assert_int_equal(fx_int(x, "TOS"), 62 << 2 | 3);
	FX_ERR(x, "IPEncap", "udp, 1.0.0.1, 2.0.0.2, DSCP 63", 1, 1, "DSCP: out of range, bound 62", "63");
	FX_ERR(x, "IPEncap", "udp, 1.0.0.1, 2.0.0.2, DSCP 1, TOS 4", 1, 1,
	       "TOS: TOS cannot be combined with DSCP", "4)");
	FX_ERR(x, "IPEncap", "foo, 1.0.0.1, 2.0.0.2", 1, 1, "PROTO: expected IP protocol", "foo");
	FX_ERR(x, "IPEncap", "tcp, 1.0.0.1, DST-ANNO", 1, 1, "DST: expected IP address", "DST-ANNO");

	FX_OK(x, "UDPIPEncap", "1.0.0.1, 1234, 2.0.0.2, 53", 1, 1);
	assert_int_equal(fx_int(x, "SPORT"), 1234);
	assert_int_equal(fx_int(x, "DPORT"), 53);
	assert_true(fx_bool(x, "CHECKSUM"));
	FX_OK(x, "UDPIPEncap", "1.0.0.1, 1234, DST_ANNO, domain, false", 1, 1);
	assert_string_equal(fx_str(x, "DST"), "DST_ANNO");
	assert_false(fx_bool(x, "CHECKSUM"));
	FX_ERR(x, "UDPIPEncap", "1.0.0.1, 70000, 2.0.0.2, 53", 1, 1, "SPORT: port out of range", "70000");
	FX_OK(x, "IPsecESPEncap", "anything, 5", 1, 1); /* Click ignores the arguments */
}

static void test_address_elements(void **state)
{
	struct fx *x = *state;
	FX_OK(x, "SetIPAddress", "10.0.0.1", 1, 1);
	assert_string_equal(fx_str(x, "ADDR"), "10.0.0.1");
	assert_int_equal(fx_int(x, "ANNO"), 0);
	FX_OK(x, "SetIPAddress", "10.0.0.1, 4", 1, 1);
	assert_int_equal(fx_int(x, "ANNO"), 4);
	FX_ERR(x, "SetIPAddress", "10.0.0.1, 46", 1, 1, "ANNO: annotation offset out of range", "46");

	FX_OK(x, "StoreIPAddress", "16", 1, 1);
	assert_true(json_is_null(fx_get(x, "ADDR")));
	assert_int_equal(fx_int(x, "OFFSET"), 16);
	FX_OK(x, "StoreIPAddress", "1.2.3.4, src", 1, 2);
	assert_string_equal(fx_str(x, "ADDR"), "1.2.3.4");
	assert_string_equal(fx_str(x, "OFFSET"), "src");
	FX_OK(x, "StoreIPAddress", "0.0.0.0, dst", 1, 1);
	assert_string_equal(fx_str(x, "OFFSET"), "dst");
	FX_ERR(x, "StoreIPAddress", "1.2.3.4, source", 1, 1,
	       "OFFSET: expected byte offset, 'src' or 'dst', got 'source'", "source");
	FX_ERR(x, "StoreIPAddress", "1.2.3, 4", 1, 1, "ADDR: expected IP address", "1.2.3");
	FX_ERR(x, "StoreIPAddress", "", 1, 1, "OFFSET: required argument missing", NULL);

	FX_OK(x, "SetIPDSCP", "46", 1, 1);
	assert_int_equal(fx_int(x, "DSCP"), 46);
	FX_OK(x, "SetIPDSCP", "63", 1, 1);
	FX_ERR(x, "SetIPDSCP", "64", 1, 1, "SetIPDSCP: DSCP: out of range, bound 63", "64");

	FX_OK(x, "StoreData", "40, \\<20>", 1, 1);
	assert_int_equal(fx_int(x, "OFFSET"), 40);
	assert_string_equal(fx_str(x, "DATA"), "20");
	assert_true(json_is_null(fx_get(x, "MASK")));
	assert_false(fx_bool(x, "GROW"));
	FX_OK(x, "StoreData", "0, \"ab\", \\<ff 0f>, GROW true", 1, 1);
	assert_string_equal(fx_str(x, "DATA"), "6162");
	assert_string_equal(fx_str(x, "MASK"), "ff0f");
	assert_true(fx_bool(x, "GROW"));
	FX_ERR(x, "StoreData", "0, ab, \\<ff>", 1, 1, "MASK: has 1 bytes but DATA has 2", "\\<ff>");
	FX_ERR(x, "StoreData", "0, \\<2>", 1, 1, "DATA: bad hex block", NULL);

	FX_OK(x, "IPMirror", "", 1, 1);
	assert_true(fx_bool(x, "DST_ANNO"));
	FX_OK(x, "IPMirror", "false", 1, 1);
	assert_false(fx_bool(x, "DST_ANNO"));
}

static void test_rewriters(void **state)
{
	struct fx *x = *state;
	FX_OK(x, "IPRewriter", "pattern 1.0.0.1 1024-65535# - - 0 1, drop", 2, 2);
	/* a spec is its effective text: the field that varies carries the flags */
	assert_int_equal(fx_len(x, "INPUTSPEC"), 2);
	assert_string_equal(fx_str_at(x, "INPUTSPEC", 0), "pattern 1.0.0.1 1024-65535# - - 0 1");
	assert_string_equal(fx_str_at(x, "INPUTSPEC", 1), "drop");
	/* Click's defaults */
	assert_int_equal(fx_int(x, "TCP_TIMEOUT"), 86400 * NS);
	assert_int_equal(fx_int(x, "TCP_DONE_TIMEOUT"), 240 * NS);
	assert_int_equal(fx_int(x, "TCP_NODATA_TIMEOUT"), 300 * NS);
	assert_int_equal(fx_int(x, "TCP_GUARANTEE"), 5 * NS);
	assert_int_equal(fx_int(x, "UDP_TIMEOUT"), 300 * NS);
	assert_int_equal(fx_int(x, "UDP_STREAMING_TIMEOUT"), 300 * NS);
	assert_int_equal(fx_int(x, "REAP_INTERVAL"), 900 * NS);
	assert_int_equal(fx_int(x, "MAPPING_CAPACITY"), 0x7fffffff);
	assert_true(fx_bool(x, "DST_ANNO"));
	assert_true(fx_null(x, "REPLY_ANNO"));

	FX_OK(x, "IPRewriter", "UDP_TIMEOUT 30s, keep 0 1, pass 1, MAPPING_CAPACITY 100, "
	                       "pattern 10.0.0.0/24? 5000 2.2.2.2 80 1 0, REPLY_ANNO PAINT", 3, 2);
	assert_int_equal(fx_int(x, "UDP_TIMEOUT"), 30 * NS);
	assert_int_equal(fx_int(x, "UDP_STREAMING_TIMEOUT"), 30 * NS);
	assert_int_equal(fx_int(x, "MAPPING_CAPACITY"), 100);
	assert_int_equal(fx_int(x, "REPLY_ANNO"), 16);
	assert_string_equal(fx_str_at(x, "INPUTSPEC", 0), "keep 0 1");
	assert_string_equal(fx_str_at(x, "INPUTSPEC", 1), "pass 1");
	/* a prefix in a NAPT pattern: Click varies the source port by the
	 * prefix's width (254 addresses less one) from SPORT, and fixes the
	 * address at the prefix's first host (IPRewriterPattern) */
	assert_string_equal(fx_str_at(x, "INPUTSPEC", 2),
	                    "pattern 10.0.0.1 5000-5253? 2.2.2.2 80 1 0");

	FX_OK(x, "IPRewriter", "pattern 0.0.0.0 - 1.1.1.1 - 0 0, nochange, "
	                       "xpattern 10.0.0.0/31 - - - 0 0, pattern 3.3.3.3 - 0 0", 4, 1);
	/* 0.0.0.0 means '-'; a /31 keeps both addresses, and in a NAPT pattern
	 * varies the source port over 0-1 instead (Click); the two-word form
	 * has no ports */
	assert_string_equal(fx_str_at(x, "INPUTSPEC", 0), "pattern - - 1.1.1.1 - 0 0");
	assert_string_equal(fx_str_at(x, "INPUTSPEC", 1), "pass 0");
	assert_string_equal(fx_str_at(x, "INPUTSPEC", 2), "pattern 10.0.0.0 0-1 - - 0 0");
	assert_string_equal(fx_str_at(x, "INPUTSPEC", 3), "pattern 3.3.3.3 - 0 0");

	FX_ERR(x, "IPRewriter", "pattern 1.0.0.1 0 - - 0 1", 1, 2, "SPORT: port 0 is not allowed", "0 -");
	FX_ERR(x, "IPRewriter", "pattern 1.0.0.1 1-5 - 0 0 1", 1, 2, "DPORT: port 0 is not allowed", "0 0 1");
	FX_ERR(x, "IPRewriter", "pattern 1.0.0.0/24 1-5 - - 0 1", 1, 2, "only one pattern field may vary",
	       "pattern");
	FX_ERR(x, "IPRewriter", "pattern 1.0.0.1 1024-65535 - - 2 1", 1, 2,
	       "IPRewriter: FOUTPUT: output 2 out of range (2 outputs)", "2 1");
	FX_ERR(x, "IPRewriter", "pattern 1.0.0.1 1024-65535 - - 0 5", 1, 2, "ROUTPUT: output 5", "5)");
	FX_ERR(x, "IPRewriter", "pattern 1.0.0.1 9-8 - - 0 1", 1, 2, "empty port range", "9-8");
	FX_ERR(x, "IPRewriter", "pattern 1.0.0.1# 80 - - 0 1", 1, 2, "'#' and '?' apply only", "1.0.0.1");
	FX_ERR(x, "IPRewriter", "pattern 1.0.0.1 80 - - 0", 1, 2, "expected 'pattern SADDR SPORT", NULL);
	FX_ERR(x, "IPRewriter", "pattern NAT 0 1", 1, 2, "no pattern named 'NAT' (IPRewriterPatterns)", "NAT");
	FX_ERR(x, "IPRewriter", "drop, drop", 1, 1, "need 1 input specs, one per input port (got 2)",
	       "drop)");
	FX_ERR(x, "IPRewriter", "mapper", 1, 1, "unknown input spec 'mapper'", "mapper");
	FX_ERR(x, "IPRewriter", "drop now", 1, 1, "'drop' takes no arguments", "now");
	FX_ERR(x, "IPRewriter", "drop, UDP_TIMEOUT forever", 1, 1, "UDP_TIMEOUT: expected time", "forever");
	FX_ERR(x, "IPRewriter", "keep 0", 1, 1, "expected 'keep FOUTPUT ROUTPUT'", NULL);
	FX_ERR(x, "IPRewriter", "pass 1", 1, 1, "OUTPUT: output 1 out of range", "1)");

	FX_OK(x, "IPAddrRewriter", "pattern 5.5.5.0/30# - 0 1, drop", 2, 2);
	assert_int_equal(fx_int(x, "TIMEOUT"), 7200 * NS); /* Click's code, not its doc */
	assert_int_equal(fx_int(x, "GUARANTEE"), 5 * NS);
	assert_string_equal(fx_str_at(x, "INPUTSPEC", 0), "pattern 5.5.5.1-5.5.5.2# - 0 1");
	FX_OK(x, "IPAddrRewriter", "keep 0 0, TIMEOUT 10min", 1, 1);
	assert_int_equal(fx_int(x, "TIMEOUT"), 600 * NS);
	FX_ERR(x, "IPAddrRewriter", "pattern 5.5.5.5 6.6.6.6 0 1", 1, 2, "destination must be '-'",
	       "6.6.6.6");
	FX_ERR(x, "IPAddrRewriter", "pattern 5.5.5.5 1024 - - 0 1", 1, 2,
	       "IPAddrRewriter patterns are 'pattern SADDR - FOUTPUT ROUTPUT'", NULL);
	FX_ERR(x, "IPAddrRewriter", "drop, UDP_TIMEOUT 5", 1, 1, "IPAddrRewriter: unknown keyword 'UDP_TIMEOUT'",
	       "UDP_TIMEOUT");
	FX_ERR(x, "IPRewriter", "drop, UDP_TIMEOUTS 5", 1, 1, "unknown keyword 'UDP_TIMEOUTS'", "UDP_TIMEOUTS");
}

static void test_queues_and_schedulers(void **state)
{
	struct fx *x = *state;
	FX_OK(x, "SimpleQueue", "", 1, 1);
	assert_int_equal(fx_int(x, "CAPACITY"), 1000);
	FX_OK(x, "FullNoteQueue", "10", 1, 2);
	assert_int_equal(fx_int(x, "CAPACITY"), 10);

	FX_OK(x, "Unqueue", "", 1, 1);
	assert_int_equal(fx_int(x, "BURST"), 1);
	assert_true(fx_bool(x, "ACTIVE"));
	assert_int_equal(fx_int(x, "LIMIT"), -1);
	FX_OK(x, "Unqueue", "-1, LIMIT 100, ACTIVE false", 1, 1);
	assert_int_equal(fx_int(x, "BURST"), -1);
	assert_int_equal(fx_int(x, "LIMIT"), 100);
	assert_false(fx_bool(x, "ACTIVE"));

	FX_OK(x, "TimedUnqueue", "0.5, 4", 1, 1);
	assert_int_equal(fx_int(x, "INTERVAL"), 500000000);
	assert_int_equal(fx_int(x, "BURST"), 4);
	FX_OK(x, "TimedUnqueue", "100ms", 1, 1);
	assert_int_equal(fx_int(x, "BURST"), 1);
	FX_ERR(x, "TimedUnqueue", "0", 1, 1, "INTERVAL: must be at least 1ms", "0");
	FX_ERR(x, "TimedUnqueue", "1, 0", 1, 1, "BURST: must be at least 1", "0)");
	FX_ERR(x, "TimedUnqueue", "", 1, 1, "INTERVAL: required argument missing", NULL);

	FX_OK(x, "RatedUnqueue", "1000", 1, 1);
	assert_int_equal(fx_int(x, "RATE"), 1000);
	assert_int_equal(fx_int(x, "BURST_SIZE"), 20); /* 20 ms worth */
	FX_OK(x, "RatedUnqueue", "10", 1, 1);
	assert_int_equal(fx_int(x, "BURST_SIZE"), 1); /* at least one */
	FX_OK(x, "RatedSplitter", "1000, BURST_DURATION 1s", 1, 2);
	assert_int_equal(fx_int(x, "BURST_SIZE"), 1000);
	FX_OK(x, "RatedSplitter", "1000, BURST_SIZE 7", 1, 2);
	assert_int_equal(fx_int(x, "BURST_SIZE"), 7);
	FX_ERR(x, "RatedSplitter", "10, BURST_SIZE 7, BURST_DURATION 1", 1, 2,
	       "BURST_DURATION and BURST_SIZE cannot both be given", "7,");

	FX_OK(x, "BandwidthShaper", "1Mbps", 1, 1);
	assert_int_equal(fx_int(x, "RATE"), 125000);
	assert_string_equal(fx_str(x, "RATE_UNIT"), "bytes/s");
	FX_OK(x, "BandwidthShaper", "2000", 1, 1);
	assert_int_equal(fx_int(x, "RATE"), 2000);
	FX_ERR(x, "BandwidthShaper", "1 Mbps", 1, 1, "RATE: unknown bandwidth unit ' Mbps'", NULL);
	FX_ERR(x, "BandwidthShaper", "4bps", 1, 1, "rate below 1 byte per second", "4bps");
	FX_OK(x, "Shaper", "100", 1, 1);
	assert_int_equal(fx_int(x, "RATE"), 100);
	assert_string_equal(fx_str(x, "RATE_UNIT"), "packets/s");
}

static void test_misc(void **state)
{
	struct fx *x = *state;
	FX_OK(x, "Counter", "", 1, 1);
	FX_ERR(x, "Counter", "COUNT_CALL 10 c.reset", 1, 1, "COUNT_CALL: handler calls are not supported",
	       "10");
	FX_OK(x, "AverageCounter", "", 1, 1);
	assert_int_equal(fx_int(x, "IGNORE"), 0);
	FX_OK(x, "AverageCounter", "2", 1, 1);
	assert_int_equal(fx_int(x, "IGNORE"), 2 * NS);
	FX_OK(x, "Discard", "", 1, 0);
	assert_true(fx_bool(x, "ACTIVE"));
	assert_int_equal(fx_int(x, "BURST"), 1);
	FX_OK(x, "Discard", "BURST 256", 1, 0);
	assert_int_equal(fx_int(x, "BURST"), 256);
	FX_ERR(x, "Discard", "256", 1, 0, "too many arguments", "256");

	FX_OK(x, "Tee", "", 1, 3);
	assert_int_equal(fx_int(x, "N"), 3);
	FX_OK(x, "Tee", "2", 1, 2);
	assert_int_equal(fx_int(x, "N"), 2);
	FX_ERR(x, "Tee", "3", 1, 2, "Tee: N: 2 outputs connected, but N is 3", "3");
	FX_OK(x, "PullTee", "", 1, 2);

	FX_OK(x, "Paint", "7", 1, 1);
	assert_int_equal(fx_int(x, "COLOR"), 7);
	assert_int_equal(fx_int(x, "ANNO"), 16);
	FX_OK(x, "Paint", "7, 20", 1, 1);
	assert_int_equal(fx_int(x, "ANNO"), 20);
	FX_ERR(x, "Paint", "", 1, 1, "Paint: COLOR: required argument missing", NULL);
	FX_ERR(x, "Paint", "300", 1, 1, "COLOR: out of range, bound 255", "300");
	FX_OK(x, "PaintSwitch", "", 1, 4);
	assert_int_equal(fx_int(x, "ANNO"), 16);
	FX_OK(x, "CheckPaint", "3, ANNO PAINT", 1, 2);
	assert_int_equal(fx_int(x, "COLOR"), 3);

	FX_OK(x, "Switch", "", 1, 2);
	assert_int_equal(fx_int(x, "OUTPUT"), 0);
	FX_OK(x, "Switch", "-1", 1, 2);
	assert_int_equal(fx_int(x, "OUTPUT"), -1);
	FX_ERR(x, "Switch", "2", 1, 2, "OUTPUT: output 2 out of range (2 outputs)", "2");
	FX_OK(x, "RoundRobinSwitch", "", 1, 3);
	FX_ERR(x, "RoundRobinSwitch", "1", 1, 3, "RoundRobinSwitch: too many arguments", "1");
	FX_OK(x, "HashSwitch", "26, 8", 1, 4);
	assert_int_equal(fx_int(x, "OFFSET"), 26);
	assert_int_equal(fx_int(x, "LENGTH"), 8);
	FX_ERR(x, "HashSwitch", "26, 0", 1, 4, "LENGTH: must be positive", "0");

	FX_OK(x, "SetTimestamp", "", 1, 1);
	assert_true(json_is_null(fx_get(x, "TIMESTAMP")));
	FX_OK(x, "SetTimestamp", "1000.5, FIRST true", 1, 1);
	assert_int_equal(fx_int(x, "TIMESTAMP"), 1000 * NS + NS / 2);
	assert_true(fx_bool(x, "FIRST"));

	FX_OK(x, "Print", "", 1, 1);
	assert_string_equal(fx_str(x, "LABEL"), "");
	assert_int_equal(fx_int(x, "MAXLENGTH"), 24);
	assert_string_equal(fx_str(x, "CONTENTS"), "HEX");
	assert_true(fx_bool(x, "ACTIVE"));
	FX_OK(x, "Print", "ok, -1, CONTENTS ascii, TIMESTAMP true", 1, 1);
	assert_string_equal(fx_str(x, "LABEL"), "ok");
	assert_int_equal(fx_int(x, "MAXLENGTH"), -1);
	assert_string_equal(fx_str(x, "CONTENTS"), "ASCII");
	assert_true(fx_bool(x, "TIMESTAMP"));
	FX_ERR(x, "Print", "ok, CONTENTS octal", 1, 1, "CONTENTS: expected HEX, ASCII or NONE", "octal");

	FX_OK(x, "Null", "", 1, 1);
	FX_OK(x, "PushNull", "", 1, 1);
	FX_OK(x, "PullNull", "", 1, 1);
	FX_OK(x, "Idle", "", 3, 2);
	FX_ERR(x, "Null", "x", 1, 1, "Null: too many arguments", "x");
	FX_ERR(x, "Idle", "A b", 0, 0, "Idle: unknown keyword 'A'", "A b");
	FX_OK(x, "ICMPPingResponder", "", 1, 2);
}

static void test_icmp_arp(void **state)
{
	struct fx *x = *state;
	FX_OK(x, "ICMPError", "10.0.0.1, timeexceeded", 1, 1);
	assert_string_equal(fx_str(x, "SRC"), "10.0.0.1");
	assert_int_equal(fx_int(x, "TYPE"), 11);
	assert_int_equal(fx_int(x, "CODE"), 0);
	assert_int_equal(fx_int(x, "MTU"), 576);
	assert_int_equal(fx_int(x, "PMTU"), 0);
	assert_true(fx_bool(x, "USE_FIX_ANNO"));
	FX_OK(x, "ICMPError", "10.0.0.1, unreachable, needfrag, PMTU 1400, BADADDRS 1.1.1.1 2.2.2.2", 1, 1);
	assert_int_equal(fx_int(x, "TYPE"), 3);
	assert_int_equal(fx_int(x, "CODE"), 4);
	assert_int_equal(fx_int(x, "PMTU"), 1400);
	assert_int_equal(fx_len(x, "BADADDRS"), 2);
	assert_string_equal(fx_str_at(x, "BADADDRS", 1), "2.2.2.2");
	FX_OK(x, "ICMPError", "10.0.0.1, 12, erroratptr", 1, 1);
	assert_int_equal(fx_int(x, "TYPE"), 12);
	FX_OK(x, "ICMPError", "10.0.0.1, redirect, host", 1, 1);
	assert_int_equal(fx_int(x, "CODE"), 1);
	FX_ERR(x, "ICMPError", "10.0.0.1, echo", 1, 1, "TYPE: expected ICMP error type", "echo");
	FX_ERR(x, "ICMPError", "10.0.0.1, 8", 1, 1, "ICMP type 8 is not an error type", "8");
	FX_ERR(x, "ICMPError", "10.0.0.1, timeexceeded, needfrag", 1, 1,
	       "CODE: unknown code for ICMP type 11", "needfrag");

	FX_OK(x, "ARPResponder", "10.0.0.1/32 10.0.1.0/24 00:01:02:03:04:05, 1:1:1:1:1:1 192.168.0.1", 1, 1);
	/* one entry per prefix, each with its argument's Ethernet address */
	assert_int_equal(fx_len(x, "IP/MASK"), 3);
	assert_int_equal(fx_len(x, "ETH"), 3);
	assert_string_equal(fx_str_at(x, "IP/MASK", 1), "10.0.1.0/24");
	assert_string_equal(fx_str_at(x, "ETH", 1), "00:01:02:03:04:05");
	assert_string_equal(fx_str_at(x, "IP/MASK", 2), "192.168.0.1/32");
	assert_string_equal(fx_str_at(x, "ETH", 2), "01:01:01:01:01:01");
	FX_ERR(x, "ARPResponder", "10.0.0.1", 1, 1, "ARPResponder: missing Ethernet address", "10.0.0.1");
	FX_ERR(x, "ARPResponder", "1:2:3:4:5:6 1:2:3:4:5:7 10.0.0.1", 1, 1,
	       "more than one Ethernet address", "1:2:3:4:5:7");
	FX_ERR(x, "ARPResponder", "10.0.0.x 1:2:3:4:5:6", 1, 1, "expected IP address, prefix", "10.0.0.x");

	FX_OK(x, "ARPQuerier", "10.0.0.1, 00:01:02:03:04:05", 2, 1);
	assert_string_equal(fx_str(x, "IP"), "10.0.0.1");
	assert_string_equal(fx_str(x, "BROADCAST"), "255.255.255.255");
	assert_int_equal(fx_int(x, "CAPACITY"), 2048);
	assert_int_equal(fx_int(x, "TIMEOUT"), 300 * NS);
	assert_int_equal(fx_int(x, "POLL_TIMEOUT"), 60 * NS);
	FX_OK(x, "ARPQuerier", "10.0.0.1/24, 00:01:02:03:04:05, CAPACITY 10, TIMEOUT 1min", 2, 2);
	assert_string_equal(fx_str(x, "IP"), "10.0.0.1");
	assert_string_equal(fx_str(x, "BROADCAST"), "10.0.0.255");
	assert_int_equal(fx_int(x, "CAPACITY"), 10);
	assert_int_equal(fx_int(x, "TIMEOUT"), 60 * NS);
	FX_ERR(x, "ARPQuerier", "10.0.0.1", 2, 1, "ETH: required argument missing", NULL);
	FX_ERR(x, "ARPQuerier", "10.0.0.1, 0:1:2:3:4:5, TABLE t", 2, 1, "TABLE: shared ARP tables", "t)");
}

static void test_route_lists(void **state)
{
	struct fx *x = *state;
	static const char *const cls[] = { "LinearIPLookup", "StaticIPLookup", "RadixIPLookup" };
	for (size_t i = 0; i < 3; i++) {
		FX_OK(x, cls[i], "18.26.4.0/24 0, 18.26.4/255.255.0.0 18.26.4.1 1, 0.0.0.0/0 - 2", 1, 3);
		assert_int_equal(fx_len(x, "ADDR/MASK"), 3);
		assert_string_equal(fx_str_at(x, "ADDR/MASK", 0), "18.26.4.0/24");
		assert_true(fx_null_at(x, "GW", 0));
		assert_string_equal(fx_str_at(x, "ADDR/MASK", 1), "18.26.0.0/16"); /* host bits masked */
		assert_string_equal(fx_str_at(x, "GW", 1), "18.26.4.1");
		assert_int_equal(fx_int_at(x, "OUT", 1), 1);
		assert_int_equal(fx_int_at(x, "OUT", 2), 2);
		/* lookup, on the route table the verifier and the runtime share */
		const struct iproute_conf *c = x->conf;
		assert_ptr_equal(iproute_lookup(c, 0x121a0405), &c->v[0]);
		assert_ptr_equal(iproute_lookup(c, 0x121a0505), &c->v[1]);
		assert_ptr_equal(iproute_lookup(c, 0x08080808), &c->v[2]);
	}
	/* Click 2.1 keeps the first route for a prefix (and warns) */
	FX_OK(x, "LinearIPLookup", "1.0.0.0/8 0, 1.0.0.0/8 1", 1, 2);
	assert_int_equal(fx_len(x, "ADDR/MASK"), 1);
	assert_int_equal(fx_int_at(x, "OUT", 0), 0);
	const struct iproute_conf *c = x->conf;
	assert_int_equal(x->d.n, 1);
	assert_int_equal(x->d.v[0].level, DIAG_WARNING);
	assert_non_null(iproute_lookup(c, 0x01020304));
	assert_null(iproute_lookup(c, 0x02020304));
	FX_ERR(x, "RadixIPLookup", "1.0.0.0/8 2", 1, 2, "OUTPUT: output 2 out of range (2 outputs)", "2)");
	FX_ERR(x, "RadixIPLookup", "1.0.0.0/8", 1, 2, "expected 'ADDR/MASK [GATEWAY] OUTPUT'", NULL);
	FX_ERR(x, "RadixIPLookup", "1.0.0.0/40 0", 1, 2, "ADDR/MASK: prefix length 40 above 32", "40");
	FX_ERR(x, "RadixIPLookup", "1.0.0.0/8 gw 0", 1, 2, "GATEWAY: expected IP address, got 'gw'", "gw");
}

static void test_changeenforcer(void **state)
{
	struct fx *x = *state;
	FX_OK(x, "ChangeEnforcer", "ADDR 10.1.0.5", 2, 2);
	assert_string_equal(fx_str(x, "ADDR"), "10.1.0.5");
	assert_int_equal(fx_len(x, "ALLOW"), 0);
	assert_int_equal(fx_int(x, "TIMEOUT"), 300 * NS);
	assert_int_equal(fx_int(x, "CAPACITY"), 4096);
	FX_OK(x, "ChangeEnforcer", "10.1.0.5, ALLOW 10.0.0.0/8 192.168.1.0/24, ALLOW 1.2.3.4, "
	                           "TIMEOUT 30s, CAPACITY 100", 2, 2);
	assert_int_equal(fx_len(x, "ALLOW"), 3);
	assert_string_equal(fx_str_at(x, "ALLOW", 0), "10.0.0.0/8");
	assert_string_equal(fx_str_at(x, "ALLOW", 1), "192.168.1.0/24");
	assert_string_equal(fx_str_at(x, "ALLOW", 2), "1.2.3.4/32");
	assert_int_equal(fx_int(x, "TIMEOUT"), 30 * NS);
	assert_int_equal(fx_int(x, "CAPACITY"), 100);
	FX_ERR(x, "ChangeEnforcer", "ALLOW 10.0.0.0/8", 2, 2, "ChangeEnforcer: ADDR: expected IP address",
	       NULL);
	FX_ERR(x, "ChangeEnforcer", "", 2, 2, "ADDR: required argument missing", NULL);
	FX_ERR(x, "ChangeEnforcer", "10.1.0.5, ALLOW 10.0.0.0/8 300.1.1.1", 2, 2,
	       "ALLOW: expected IP prefix", "300.1.1.1");
	FX_ERR(x, "ChangeEnforcer", "10.1.0.5, TIMEOUT 0", 2, 2, "TIMEOUT: must be positive", "0)");
	FX_ERR(x, "ChangeEnforcer", "10.1.0.5, CAPACITY 0", 2, 2, "CAPACITY: must be positive", "0)");
}

/* Every class: either configure is NULL (IPsecESPEncap only) or it runs on
 * an empty argument list without crashing and reports any refusal; what it
 * accepts, its describe (if any) gives as an object. */
/* The classes of issue 11 item 3: Click's keywords, defaults and errors. */
static void test_more_click_classes(void **state)
{
	struct fx *x = *state;
	static const char *const checks[] = { "CheckTCPHeader", "CheckUDPHeader", "CheckICMPHeader" };
	for (size_t i = 0; i < 3; i++) {
		FX_OK(x, checks[i], "", 1, 1);
		assert_false(fx_bool(x, "VERBOSE"));
		assert_false(fx_bool(x, "DETAILS"));
		FX_OK(x, checks[i], "VERBOSE true, DETAILS 1", 1, 2);
		assert_true(fx_bool(x, "VERBOSE"));
		assert_true(fx_bool(x, "DETAILS"));
		FX_ERR(x, checks[i], "true", 1, 2, "too many arguments", "true");
		FX_ERR(x, checks[i], "VERBOSE maybe", 1, 2, "VERBOSE: expected bool", "maybe");
		FX_ERR(x, checks[i], "OFFSET 14", 1, 2, "unknown keyword", "OFFSET");
	}
	FX_OK(x, "SetIPChecksum", "", 1, 1);
	FX_ERR(x, "SetIPChecksum", "1", 1, 1, "too many arguments", "1");
	FX_OK(x, "SetTCPChecksum", "", 1, 1);
	assert_false(fx_bool(x, "FIXOFF"));
	FX_OK(x, "SetTCPChecksum", "true", 1, 1);
	assert_true(fx_bool(x, "FIXOFF"));
	FX_OK(x, "SetTCPChecksum", "FIXOFF false", 1, 1);
	assert_false(fx_bool(x, "FIXOFF"));
	FX_ERR(x, "SetTCPChecksum", "maybe", 1, 1, "FIXOFF: expected bool", "maybe");
	FX_ERR(x, "SetTCPChecksum", "yes please", 1, 1, "unknown keyword", "yes");
	FX_OK(x, "SetUDPChecksum", "", 1, 2);
	FX_OK(x, "EtherMirror", "", 1, 1);
	FX_ERR(x, "EtherMirror", "00:01:02:03:04:05", 1, 1, "too many arguments", "00");
	FX_OK(x, "DropBroadcasts", "", 1, 1);
	FX_ERR(x, "DropBroadcasts", "VERBOSE true", 1, 2, "", "VERBOSE");

	FX_OK(x, "StaticSwitch", "1", 1, 2);
	assert_int_equal(fx_int(x, "OUTPUT"), 1);
	FX_OK(x, "StaticSwitch", "2", 1, 2); /* not an output: drops, as Click */
	assert_int_equal(fx_int(x, "OUTPUT"), -1);
	FX_OK(x, "StaticSwitch", "OUTPUT -3", 1, 2);
	assert_int_equal(fx_int(x, "OUTPUT"), -3);
	FX_ERR(x, "StaticSwitch", "", 1, 2, "OUTPUT: required argument missing", NULL);
	FX_ERR(x, "StaticSwitch", "one", 1, 2, "OUTPUT: expected integer", "one");

	FX_OK(x, "GetIPAddress", "16", 1, 1);
	assert_int_equal(fx_int(x, "OFFSET"), 16);
	assert_int_equal(fx_int(x, "ANNO"), 0);
	assert_true(fx_null(x, "IP"));
	FX_OK(x, "GetIPAddress", "12, 4", 1, 1);
	assert_int_equal(fx_int(x, "ANNO"), 4);
	FX_OK(x, "GetIPAddress", "IP src", 1, 1);
	assert_string_equal(fx_str(x, "IP"), "src");
	assert_true(fx_null(x, "OFFSET"));
	FX_OK(x, "GetIPAddress", "ANNO 8, IP dst", 1, 1);
	assert_string_equal(fx_str(x, "IP"), "dst");
	assert_int_equal(fx_int(x, "ANNO"), 8);
	FX_ERR(x, "GetIPAddress", "", 1, 1, "set one of OFFSET, IP", NULL);
	FX_ERR(x, "GetIPAddress", "16, IP src", 1, 1, "set one of OFFSET, IP", "src");
	FX_ERR(x, "GetIPAddress", "IP source", 1, 1, "bad IP", "source");
	FX_ERR(x, "GetIPAddress", "16, 46", 1, 1, "ANNO: annotation offset out of range", "46");

	FX_OK(x, "FixIPSrc", "10.0.0.1", 1, 1);
	assert_string_equal(fx_str(x, "IPADDR"), "10.0.0.1");
	FX_ERR(x, "FixIPSrc", "", 1, 1, "IPADDR: required argument missing", NULL);
	FX_ERR(x, "FixIPSrc", "10.0.0", 1, 1, "IPADDR: expected IP address", "10.0.0");

	FX_OK(x, "Align", "4, 2", 1, 1);
	assert_int_equal(fx_int(x, "MODULUS"), 4);
	assert_int_equal(fx_int(x, "OFFSET"), 2);
	FX_ERR(x, "Align", "3, 0", 1, 1, "MODULUS must be 2, 4, or 8", "3");
	FX_ERR(x, "Align", "4, 4", 1, 1, "OFFSET must be smaller than MODULUS", "4)");
	FX_ERR(x, "Align", "4", 1, 1, "OFFSET: required argument missing", NULL);
	FX_OK(x, "AlignmentInfo", "a 4 0 8 2, b 2 1", 0, 0);
	assert_int_equal(fx_len(x, "ALIGNMENT"), 2);
	assert_string_equal(fx_str_at(x, "ALIGNMENT", 1), "b 2 1");
	FX_ERR(x, "AlignmentInfo", "a 4", 0, 0, "expected 'ELEMENTNAME CHUNK OFFSET", "a 4");
	FX_ERR(x, "AlignmentInfo", "a 4 x", 0, 0, "OFFSET: expected integer", "x");

	FX_OK(x, "IPPrint", "", 1, 1);
	assert_string_equal(fx_str(x, "LABEL"), "");
	assert_string_equal(fx_str(x, "CONTENTS"), "NONE");
	assert_int_equal(fx_int(x, "MAXLENGTH"), 1500);
	assert_true(fx_bool(x, "TIMESTAMP"));
	assert_true(fx_bool(x, "SWAP"));
	assert_false(fx_bool(x, "ID"));
	FX_OK(x, "IPPrint", "in, CONTENTS Ascii, NBYTES 40, TTL true, CHANNEL log", 1, 1);
	assert_string_equal(fx_str(x, "LABEL"), "in");
	assert_string_equal(fx_str(x, "CONTENTS"), "ASCII");
	assert_int_equal(fx_int(x, "MAXLENGTH"), 40);
	FX_OK(x, "IPPrint", "PAYLOAD yes", 1, 1);
	assert_string_equal(fx_str(x, "PAYLOAD"), "HEX");
	assert_string_equal(fx_str(x, "CONTENTS"), "NONE");
	FX_OK(x, "IPPrint", "CONTENTS true", 1, 1);
	assert_string_equal(fx_str(x, "CONTENTS"), "HEX");
	FX_ERR(x, "IPPrint", "CONTENTS octal", 1, 1, "bad contents value", "octal");
	FX_ERR(x, "IPPrint", "PAYLOAD none", 1, 1, "bad payload value", "none");
	FX_ERR(x, "IPPrint", "CONTENTS hex, PAYLOAD ascii", 1, 1, "specify at most one of PAYLOAD and CONTENTS",
	       "ascii");
	FX_ERR(x, "IPPrint", "OUTFILE /tmp/x", 1, 1, "OUTFILE: not supported", "/tmp/x");
	FX_ERR(x, "IPPrint", "TTL 2", 1, 1, "TTL: expected bool", "2");

	FX_ERR(x, "Script", "wait 1s, write q.reset", 1, 1,
	       "Script is not supported: its run-time instructions cannot be verified", NULL);
	FX_ERR(x, "Script", "", 0, 0, "Script is not supported", NULL);
}

/* ---- sources (group: sources.c) ---- */
static void test_sources(void **state)
{
	struct fx *x = *state;
	/* Click's positional order: DATA, LIMIT, BURST, ACTIVE */
	FX_OK(x, "InfiniteSource", "\\<11111111>, -1, 5", 0, 1);
	assert_string_equal(fx_str(x, "DATA"), "11111111");
	assert_int_equal(fx_int(x, "LIMIT"), -1);
	assert_int_equal(fx_int(x, "BURST"), 5);
	assert_int_equal(fx_int(x, "LENGTH"), 4);
	FX_OK(x, "InfiniteSource", "DATA \\<00 00 c0 ae 67 ef>, LIMIT 5, STOP true", 0, 1);
	assert_string_equal(fx_str(x, "DATA"), "0000c0ae67ef");
	assert_int_equal(fx_int(x, "LIMIT"), 5);
	assert_true(fx_bool(x, "STOP"));
	FX_OK(x, "InfiniteSource", "", 0, 1); /* Click's text */
	assert_int_equal(fx_int(x, "LENGTH"), 69);
	FX_OK(x, "InfiniteSource", "\\<0102>, LENGTH 5", 0, 1);
	assert_int_equal(fx_int(x, "LENGTH"), 5);
	FX_OK(x, "InfiniteSource", "x, DATASIZE 3, ACTIVE false, TIMESTAMP false", 0, 1);
	assert_int_equal(fx_int(x, "LENGTH"), 3);
	assert_false(fx_bool(x, "ACTIVE"));
	FX_ERR(x, "InfiniteSource", "x, 1, 0", 0, 1, "must be between 1 and 1024", "0");
	FX_ERR(x, "InfiniteSource", "x, 1, 5000", 0, 1, "must be between 1 and 1024", "5000");
	FX_ERR(x, "InfiniteSource", "\"\", LENGTH 4", 0, 1, "non-empty DATA", "4");
	FX_ERR(x, "InfiniteSource", "x, LENGTH 70000", 0, 1, "too long", "70000");
	FX_ERR(x, "InfiniteSource", "x, STOP maybe", 0, 1, "expected bool", "maybe");

	FX_OK(x, "RatedSource", "RATE 1000", 0, 1);
	assert_int_equal(fx_int(x, "RATE"), 1000);
	assert_int_equal(fx_int(x, "LIMIT"), -1);
	FX_OK(x, "RatedSource", "\\<0102030405>, 20, 7, true", 0, 1);
	assert_int_equal(fx_int(x, "RATE"), 20);
	assert_int_equal(fx_int(x, "LIMIT"), 7);
	FX_OK(x, "RatedSource", "\\<0102030405060708>, BANDWIDTH 8kbps", 0, 1); /* 1000 B/s over 8 */
	assert_int_equal(fx_int(x, "RATE"), 125);
	FX_ERR(x, "RatedSource", "RATE -1", 0, 1, "", "-1");

	FX_OK(x, "TimedSource", "0.2", 0, 1);
	assert_int_equal(fx_int(x, "INTERVAL"), 200000000);
	FX_OK(x, "TimedSource", "", 0, 1);
	assert_int_equal(fx_int(x, "INTERVAL"), 500000000);
	FX_OK(x, "TimedSource", "10ms, \\<45>, LIMIT 3, STOP true, HEADROOM 64", 0, 1);
	assert_int_equal(fx_int(x, "LIMIT"), 3);
	FX_ERR(x, "TimedSource", "0.1, x, 3", 0, 1, "", "3");

	FX_OK(x, "TimedSink", "0.1", 1, 0);
	assert_int_equal(fx_int(x, "INTERVAL"), 100000000);
	FX_ERR(x, "TimedSink", "soon", 1, 0, "", "soon");

	FX_OK(x, "ICMPPingSource", "10.0.0.1, 10.0.0.2", 0, 1);
	assert_string_equal(fx_str(x, "SRC"), "10.0.0.1");
	assert_int_equal(fx_int(x, "INTERVAL"), 1000000000);
	assert_int_equal(fx_int(x, "LIMIT"), -1);
	FX_OK(x, "ICMPPingSource", "10.0.0.1, 10.0.0.2, INTERVAL 0.0104, LIMIT 3, IDENTIFIER 258, "
	      "DATA abc, VERBOSE false", 1, 1);
	assert_int_equal(fx_int(x, "INTERVAL"), 10000000); /* milliseconds, as Click */
	assert_int_equal(fx_int(x, "IDENTIFIER"), 258);
	assert_string_equal(fx_str(x, "DATA"), "616263");
	FX_ERR(x, "ICMPPingSource", "10.0.0.1", 0, 1, "DST", NULL);
	FX_ERR(x, "ICMPPingSource", "10.0.0.1, 10.0.0.2, MIRROR true", 0, 1, "MIRROR true", "true");
	FX_ERR(x, "ICMPPingSource", "10.0.0.1, 10.0.0.2, IDENTIFIER 70000", 0, 1, "", "70000");
}

static void test_every_class_empty_args(void **state)
{
	struct fx *x = *state;
	for (size_t i = 0; i < elem_class_count(); i++) {
		const struct click_class *c = elem_class_at(i);
		if (!c->configure) {
			assert_string_equal(c->name, "IPsecESPEncap");
			continue;
		}
		if (fx_conf(x, c->name, "", 2, 2) == 0 && c->describe) { /* asserts: failure <=> an error */
			json_t *j = c->describe(x->conf);
			assert_true(json_is_object(j));
			json_decref(j);
		}
	}
}

/* ---- rewriter companions: TCPRewriter, ICMPPingRewriter, ICMPRewriter ---- */
static void test_rewriter_companions(void **state)
{
	struct fx *x = *state;
	FX_OK(x, "TCPRewriter", "pattern 1.0.0.1 1024-65535# - - 0 1, drop", 2, 2);
	assert_int_equal(fx_int(x, "TCP_NODATA_TIMEOUT"), 300000000000ll);
	assert_int_equal(fx_int(x, "TCP_TIMEOUT"), 86400000000000ll);
	FX_OK(x, "TCPRewriter", "keep 0 1, pass 1, TIMEOUT 10s, GUARANTEE 2s, TCP_DONE_TIMEOUT 1s", 2, 2);
	assert_int_equal(fx_int(x, "TCP_TIMEOUT"), 10000000000ll);
	assert_int_equal(fx_int(x, "TCP_GUARANTEE"), 2000000000ll);
	FX_ERR(x, "TCPRewriter", "drop, UDP_TIMEOUT 5s", 1, 1, "unknown keyword 'UDP_TIMEOUT'", "UDP_TIMEOUT");
	FX_ERR(x, "TCPRewriter", "pattern NAT 0 1", 1, 2, "no pattern named 'NAT' (IPRewriterPatterns)", "NAT");
	FX_OK(x, "ICMPPingRewriter", "pattern 1.0.0.1 1024-65535# - - 0 1, pass 1", 2, 2);
	assert_int_equal(fx_int(x, "TIMEOUT"), 300000000000ll);
	FX_OK(x, "ICMPPingRewriter", "keep 0 0, TIMEOUT 1min, DST_ANNO false", 1, 1);
	/* Click 2.1 refuses the old (SRC, DST) form too: one spec per input */
	FX_ERR(x, "ICMPPingRewriter", "1.0.0.1, -", 1, 2, "need 1 input specs", NULL);
	FX_ERR(x, "ICMPPingRewriter", "pattern 1.0.0.1 1-5 - - 0 2", 1, 2, "ROUTPUT: output 2", "2)");
	/* MAPS names elements of the graph (test_in_graph.c): none here */
	FX_ERR(x, "ICMPRewriter", "rw", 1, 1, "no element named 'rw'", "rw");
	FX_ERR(x, "ICMPRewriter", "", 1, 1, "MAPS", NULL);
}

/* ---- schedulers, FrontDropQueue, RED, meters, DelayShaper, PaintTee, info
 * elements (group: sched) ---- */
static void test_sched_group(void **state)
{
	struct fx *x = *state;
	FX_OK(x, "PrioSched", "", 3, 1);
	FX_ERR(x, "PrioSched", "1", 2, 1, "too many arguments", NULL);
	FX_OK(x, "SimplePrioSched", "", 2, 1);
	FX_OK(x, "RoundRobinSched", "", 2, 1);
	FX_OK(x, "SimpleRoundRobinSched", "", 2, 1);
	FX_ERR(x, "RoundRobinSched", "x", 2, 1, "too many arguments", NULL);

	FX_OK(x, "StrideSched", "10, 20, 0", 3, 1);
	assert_int_equal(fx_len(x, "TICKETS"), 3);
	assert_int_equal(fx_int_at(x, "TICKETS", 1), 20);
	FX_OK(x, "StrideSched", "1, 100000", 2, 1); /* reduced, warning */
	assert_int_equal(fx_int_at(x, "TICKETS", 1), 32768);
	FX_ERR(x, "StrideSched", "1, 2", 3, 1, "need 3 arguments, one per input port", NULL);
	FX_ERR(x, "StrideSched", "1, -2", 2, 1, "must be >= 0", "-2");
	FX_ERR(x, "StrideSched", "1, x", 2, 1, "expected integer", "x");

	FX_OK(x, "FrontDropQueue", "", 1, 1);
	assert_int_equal(fx_int(x, "CAPACITY"), 1000);
	FX_OK(x, "FrontDropQueue", "5", 1, 2);
	assert_int_equal(fx_int(x, "CAPACITY"), 5);
	FX_ERR(x, "FrontDropQueue", "-1", 1, 1, "CAPACITY: expected unsigned", "-1");

	FX_OK(x, "RED", "10, 100, .5", 1, 1);
	assert_int_equal(fx_int(x, "MIN_THRESH"), 10);
	assert_int_equal(fx_int(x, "MAX_THRESH"), 100);
	assert_int_equal(fx_int(x, "STABILITY"), 4);
	assert_true(fx_bool(x, "GENTLE"));
	assert_int_equal(fx_len(x, "QUEUES"), 0);
	FX_OK(x, "RED", "5, 50, 0.02, QUEUES q1 q2, STABILITY 9, GENTLE false", 1, 2);
	assert_int_equal(fx_len(x, "QUEUES"), 2);
	assert_string_equal(fx_str_at(x, "QUEUES", 1), "q2");
	assert_false(fx_bool(x, "GENTLE"));
	FX_ERR(x, "RED", "100, 10, .5", 1, 1, "MIN_THRESH must be <= MAX_THRESH", "100");
	FX_ERR(x, "RED", "10, 70000, .5", 1, 1, "MAX_THRESH must be <= 65535", "70000");
	FX_ERR(x, "RED", "10, 100, 1.5", 1, 1, "MAX_P must be between 0 and 1", "1.5");
	FX_ERR(x, "RED", "10, 100, .5, STABILITY 17", 1, 1, "STABILITY must be between 0 and 16", "17");
	FX_ERR(x, "RED", "10, 100", 1, 1, "MAX_P: required argument missing", NULL);

	FX_OK(x, "Meter", "1000", 1, 2); /* no units: warning, per second */
	assert_int_equal(fx_int_at(x, "RATE", 0), 1000);
	assert_string_equal(fx_str(x, "RATE_UNIT"), "packets/s");
	FX_OK(x, "BandwidthMeter", "1kBps, 16kbps", 1, 3);
	assert_int_equal(fx_int_at(x, "RATE", 1), 2000);
	assert_string_equal(fx_str(x, "RATE_UNIT"), "bytes/s");
	FX_ERR(x, "BandwidthMeter", "2kBps, 1kBps", 1, 3, "rate 2 must be > rate 1", "1kBps");
	FX_ERR(x, "BandwidthMeter", "1kBps", 1, 3, "need 2 arguments, one less than the number of output",
	       NULL);
	FX_ERR(x, "Meter", "", 1, 2, "too few arguments", NULL);
	FX_ERR(x, "Meter", "5000000", 1, 2, "rate 1 too large", "5000000");

	FX_OK(x, "BandwidthRatedSplitter", "10kBps", 1, 2);
	assert_int_equal(fx_int(x, "RATE"), 10000);
	assert_int_equal(fx_int(x, "BURST_BYTES"), 200 + 131072);
	FX_OK(x, "BandwidthRatedUnqueue", "8kbps, BURST_BYTES 1500", 1, 1);
	assert_int_equal(fx_int(x, "RATE"), 1000);
	assert_int_equal(fx_int(x, "BURST_BYTES"), 1500 + 131072);
	FX_ERR(x, "BandwidthRatedUnqueue", "1kBps, BURST_BYTES 1, BURST_DURATION 1s", 1, 1,
	       "cannot both be given", NULL);
	FX_ERR(x, "BandwidthRatedSplitter", "fast", 1, 2, "RATE: expected bandwidth", "fast");

	FX_OK(x, "DelayShaper", "10ms", 1, 1);
	assert_int_equal(fx_int(x, "DELAY"), 10000000);
	FX_ERR(x, "DelayShaper", "", 1, 1, "DELAY: required argument missing", NULL);
	FX_ERR(x, "DelayShaper", "-1", 1, 1, "DELAY: expected time", "-1");

	FX_OK(x, "PaintTee", "2", 1, 2);
	assert_int_equal(fx_int(x, "COLOR"), 2);
	assert_int_equal(fx_int(x, "ANNO"), 16);
	FX_ERR(x, "PaintTee", "", 1, 2, "COLOR: required argument missing", NULL);
	FX_ERR(x, "PaintTee", "256", 1, 2, "COLOR", "256");

	FX_OK(x, "ClickyInfo", "STYLE @import test-clicky.ccss", 0, 0);
	assert_int_equal(fx_len(x, "ARGS"), 1);
	FX_OK(x, "ClickyInfo", "", 0, 0);
	FX_OK(x, "ScheduleInfo", "i1 1, i2 0.5, ", 0, 0);
	assert_int_equal(fx_len(x, "ARGS"), 2); /* a trailing empty argument is dropped, as in Click */
	FX_ERR(x, "ScheduleInfo", "i1", 0, 0, "expected 'ELEMENTNAME PARAM'", "i1");
	FX_ERR(x, "ScheduleInfo", "i1 x", 0, 0, "expected 'ELEMENTNAME PARAM'", "i1 x");
}

/* ---- group ipx: lookups, IPGWOptions, IPInputCombo, HostEtherFilter,
 * CheckIPHeader2, CheckLength, Truncate, StripIPHeader and kin ---- */
static void test_ipx_configure(void **state)
{
	struct fx *x = *state;
	/* the route-table family: same syntax; the first route for a prefix stays */
	static const char *const cls[] = { "DirectIPLookup", "SortedIPLookup" };
	for (size_t i = 0; i < 2; i++) {
		FX_OK(x, cls[i], "18.26.4.0/24 0, 18.26.4/255.255.0.0 18.26.4.1 1, 0.0.0.0/0 - 2", 1, 3);
		assert_int_equal(fx_len(x, "ADDR/MASK"), 3);
		assert_string_equal(fx_str_at(x, "ADDR/MASK", 1), "18.26.0.0/16");
		assert_string_equal(fx_str_at(x, "GW", 1), "18.26.4.1");
		assert_true(fx_null_at(x, "GW", 2));
		FX_OK(x, cls[i], "1.0.0.0/8 1.2.3.4 1, 1.0.0.0/8 0", 1, 2);
		assert_int_equal(fx_len(x, "ADDR/MASK"), 1);
		assert_int_equal(fx_int_at(x, "OUT", 0), 1);
		assert_string_equal(fx_str_at(x, "GW", 0), "1.2.3.4");
		FX_ERR(x, cls[i], "1.0.0.0/8 2", 1, 2, "OUTPUT: output 2 out of range (2 outputs)", "2)");
		FX_ERR(x, cls[i], "1.0.0.0/8 1.1.1.1 1 0", 1, 2, "expected 'ADDR/MASK [GATEWAY] OUTPUT'", NULL);
	}
	FX_OK(x, "SortedIPLookup", "0.0.0.0/0 0", 1, 1); /* deprecated, as Click warns */
	assert_int_equal(x->d.n, 1);
	assert_int_equal(x->d.v[0].level, DIAG_WARNING);
	FX_OK(x, "DirectIPLookup", "", 1, 1);
	assert_int_equal(fx_len(x, "ADDR/MASK"), 0);

	FX_OK(x, "IPGWOptions", "18.26.4.24", 1, 2);
	assert_string_equal(fx_str(x, "MYADDR"), "18.26.4.24");
	assert_int_equal(fx_len(x, "OTHERADDRS"), 0);
	FX_OK(x, "IPGWOptions", "18.26.4.24, 1.1.1.1 2.2.2.2", 1, 1);
	assert_int_equal(fx_len(x, "OTHERADDRS"), 2);
	assert_string_equal(fx_str_at(x, "OTHERADDRS", 1), "2.2.2.2");
	FX_OK(x, "IPGWOptions", "OTHERADDRS 3.3.3.3, MYADDR 4.4.4.4", 1, 1);
	assert_string_equal(fx_str(x, "MYADDR"), "4.4.4.4");
	FX_ERR(x, "IPGWOptions", "", 1, 1, "MYADDR: required argument missing", NULL);
	FX_ERR(x, "IPGWOptions", "1.1.1.1, 2.2.2", 1, 1, "OTHERADDRS: expected IP address", "2.2.2");
	FX_ERR(x, "IPGWOptions", "1.1.1.1, 2.2.2.2, 3", 1, 1, "too many arguments", "3");

	FX_OK(x, "IPInputCombo", "3", 1, 1);
	assert_int_equal(fx_int(x, "COLOR"), 3);
	assert_int_equal(fx_len(x, "BADSRC"), 0);
	FX_OK(x, "IPInputCombo", "3, 1.1.1.1 2.2.2.2", 1, 1); /* 0.0.0.0, 255.255.255.255 added */
	assert_int_equal(fx_len(x, "BADSRC"), 4);
	assert_string_equal(fx_str_at(x, "BADSRC", 2), "0.0.0.0");
	assert_string_equal(fx_str_at(x, "BADSRC", 3), "255.255.255.255");
	FX_OK(x, "IPInputCombo", "3, INTERFACES 10.0.0.1/24", 1, 1);
	assert_int_equal(fx_len(x, "BADSRC"), 3);
	assert_string_equal(fx_str_at(x, "BADSRC", 0), "10.0.0.255");
	assert_string_equal(fx_str_at(x, "GOODDST", 0), "10.0.0.1");
	/* the last given wins: keyword BADSRC over INTERFACES over positional */
	FX_OK(x, "IPInputCombo", "3, 9.9.9.9, INTERFACES 10.0.0.1/24, BADSRC 5.5.5.5", 1, 1);
	assert_int_equal(fx_len(x, "BADSRC"), 1);
	assert_int_equal(fx_len(x, "GOODDST"), 1);
	FX_OK(x, "IPInputCombo", "3, 9.9.9.9, INTERFACES 10.0.0.1/24, GOODDST 6.6.6.6 7.7.7.7", 1, 1);
	assert_int_equal(fx_len(x, "BADSRC"), 3);
	assert_int_equal(fx_len(x, "GOODDST"), 2);
	FX_ERR(x, "IPInputCombo", "", 1, 1, "COLOR: required argument missing", NULL);
	FX_ERR(x, "IPInputCombo", "256", 1, 1, "COLOR", "256");
	FX_ERR(x, "IPInputCombo", "3, OFFSET 14", 1, 1, "unknown keyword 'OFFSET'", "OFFSET");
	FX_ERR(x, "IPInputCombo", "3, 1.1.1", 1, 1, "BADSRC: expected IP address", "1.1.1");

	FX_OK(x, "HostEtherFilter", "00:01:02:03:04:05", 1, 2);
	assert_string_equal(fx_str(x, "ETHER"), "00:01:02:03:04:05");
	assert_false(fx_bool(x, "DROP_OWN"));
	assert_true(fx_bool(x, "DROP_OTHER"));
	assert_int_equal(fx_int(x, "OFFSET"), 0);
	FX_OK(x, "HostEtherFilter", "0:1:2:3:4:5, 1, false, OFFSET 14", 1, 2);
	assert_true(fx_bool(x, "DROP_OWN"));
	assert_false(fx_bool(x, "DROP_OTHER"));
	assert_int_equal(fx_int(x, "OFFSET"), 14);
	FX_ERR(x, "HostEtherFilter", "", 1, 1, "ETHER: required argument missing", NULL);
	FX_ERR(x, "HostEtherFilter", "00:01:02:03:04", 1, 1, "ETHER", "00:01");
	FX_ERR(x, "HostEtherFilter", "0:1:2:3:4:5, maybe", 1, 1, "DROP_OWN: expected bool", "maybe");
	FX_ERR(x, "HostEtherFilter", "0:1:2:3:4:5, 1, 0, 14", 1, 1, "too many arguments", "14");

	FX_OK(x, "CheckIPHeader2", "", 1, 2);
	assert_false(fx_bool(x, "CHECKSUM"));
	FX_OK(x, "CheckIPHeader2", "14, CHECKSUM true", 1, 2);
	assert_true(fx_bool(x, "CHECKSUM"));
	assert_int_equal(fx_int(x, "OFFSET"), 14);
	FX_ERR(x, "CheckIPHeader2", "x", 1, 2, "OFFSET: expected unsigned integer", "x");

	FX_OK(x, "CheckLength", "1500", 1, 2);
	assert_int_equal(fx_int(x, "LENGTH"), 1500);
	FX_OK(x, "CheckLength", "LENGTH 0", 1, 1);
	FX_ERR(x, "CheckLength", "", 1, 2, "LENGTH: required argument missing", NULL);
	FX_ERR(x, "CheckLength", "-1", 1, 2, "LENGTH", "-1");
	FX_OK(x, "Truncate", "60", 1, 1);
	assert_int_equal(fx_int(x, "LENGTH"), 60);
	assert_true(fx_bool(x, "EXTRA_LENGTH"));
	FX_OK(x, "Truncate", "60, EXTRA_LENGTH false", 1, 1);
	assert_false(fx_bool(x, "EXTRA_LENGTH"));
	FX_ERR(x, "Truncate", "", 1, 1, "LENGTH: required argument missing", NULL);
	FX_ERR(x, "Truncate", "60, 1", 1, 1, "too many arguments", "1");

	static const char *const none[] = { "StripIPHeader", "UnstripIPHeader", "StripToNetworkHeader" };
	for (size_t i = 0; i < 3; i++) {
		FX_OK(x, none[i], "", 1, 1);
		FX_ERR(x, none[i], "14", 1, 1, "too many arguments", "14");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_devices, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_classifiers, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ip_header_elements, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_encap, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_address_elements, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rewriters, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_queues_and_schedulers, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_misc, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_icmp_arp, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_route_lists, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_changeenforcer, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_more_click_classes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sources, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_every_class_empty_args, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rewriter_companions, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sched_group, fx_setup, fx_teardown),
		/* group ipx */
		cmocka_unit_test_setup_teardown(test_ipx_configure, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
