/* Flow expressions: parsing (every primitive, operator, inheritance rule,
 * name and error of Click's IPFilter, with columns), Classifier patterns
 * (Part 5), evaluation with Click's short-packet rule, canonical text and
 * field recognition. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flow/flow.h"

static struct arena *A;

static int setup(void **state)
{
	(void)state;
	A = arena_new(0);
	return A ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	arena_free(A);
	return 0;
}

static struct flow_expr *parse(const char *pat)
{
	struct diags d;
	diags_init(&d);
	struct src_file f = {"t", pat, strlen(pat)};
	struct src_loc loc = {&f, 1, 1};
	struct flow_expr *e = NULL;
	int r = flow_parse(pat, &loc, A, &d, &e);
	if (r != 0) {
		fprintf(stderr, "unexpected error for '%s':\n", pat);
		diags_print(stderr, &d);
	}
	diags_free(&d);
	return r == 0 ? e : NULL;
}

static const char *str(const char *pat)
{
	struct flow_expr *e = parse(pat);
	return e ? flow_to_string(e, A) : "<error>";
}

#define EXPECT(pat, want) assert_string_equal(str(pat), want)

/* The first error: its message (arena copy) and column (1-based, the
 * pattern starts at column 11 of line 3 to check offsets are added). */
static const char *error_of(const char *pat, uint32_t *col)
{
	struct diags d;
	diags_init(&d);
	char *text = arena_printf(A, "x\ny\n          %s", pat);
	struct src_file f = {"t", text, strlen(text)};
	struct src_loc loc = {&f, 3, 11};
	struct flow_expr *e = NULL;
	int r = flow_parse(pat, &loc, A, &d, &e);
	const char *msg = NULL;
	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].level == DIAG_ERROR) {
			msg = arena_strdup(A, d.v[i].msg);
			assert_int_equal(d.v[i].line, 3);
			*col = d.v[i].col - 10;
			break;
		}
	assert_int_not_equal(r, 0);
	assert_non_null(msg);
	diags_free(&d);
	return msg;
}

#define EXPECT_ERR(pat, sub, column) do { \
	uint32_t c_ = 0; \
	const char *m_ = error_of(pat, &c_); \
	if (!strstr(m_, sub)) \
		fail_msg("'%s': got error '%s', want '%s'", pat, m_, sub); \
	assert_int_equal(c_, column); \
} while (0)

static void test_worked_example(void **state)
{
	(void)state;
	/* Click's IPFilter: inheritance from the previous primitive */
	EXPECT("udp port 1500", "ip.proto=17 && first-frag && (sport=1500 || dport=1500)");
	EXPECT("dst udp port 1500", "ip.proto=17 && first-frag && dport=1500");
	EXPECT("udp dst port 1500", "ip.proto=17 && first-frag && dport=1500");
	EXPECT("port 1500", "(ip.proto=6 || ip.proto=17) && first-frag && (sport=1500 || dport=1500)");
	EXPECT("src 10.0.0.0/8 && tcp && dst port > 1023 && ack",
	       "(ip.src&255.0.0.0)=10.0.0.0 && ip.proto=6 && (ip.proto=6 || ip.proto=17) && "
	       "first-frag && dport>1023 && (tcp.flags&0x10)=16");
	EXPECT("all", "true");
	EXPECT("-", "true");
	EXPECT("any", "true");
}

static void test_hosts_nets(void **state)
{
	(void)state;
	EXPECT("host 1.2.3.4", "ip.src=1.2.3.4 || ip.dst=1.2.3.4");
	EXPECT("src host 1.2.3.4", "ip.src=1.2.3.4");
	EXPECT("dst host 1.2.3.4", "ip.dst=1.2.3.4");
	EXPECT("dest host 1.2.3.4", "ip.dst=1.2.3.4");
	EXPECT("src and dst host 1.2.3.4", "ip.src=1.2.3.4 && ip.dst=1.2.3.4");
	EXPECT("src && dst host 1.2.3.4", "ip.src=1.2.3.4 && ip.dst=1.2.3.4");
	EXPECT("src or dst host 1.2.3.4", "ip.src=1.2.3.4 || ip.dst=1.2.3.4");
	EXPECT("ip host 1.2.3.4", "ip.src=1.2.3.4 || ip.dst=1.2.3.4");
	EXPECT("1.2.3.4", "ip.src=1.2.3.4 || ip.dst=1.2.3.4");
	EXPECT("src 1.2.3.4", "ip.src=1.2.3.4");
	EXPECT("host != 1.2.3.4", "ip.src!=1.2.3.4 && ip.dst!=1.2.3.4");
	EXPECT("net 10.0.0.0/8", "(ip.src&255.0.0.0)=10.0.0.0 || (ip.dst&255.0.0.0)=10.0.0.0");
	EXPECT("dst net 10.1.0.0 mask 255.255.0.0", "(ip.dst&255.255.0.0)=10.1.0.0");
	EXPECT("src 10.0.0.0/8", "(ip.src&255.0.0.0)=10.0.0.0");
	EXPECT("src host & 255.255.0.0 10.1.2.3", "(ip.src&255.255.0.0)=10.1.0.0");
	EXPECT("dst & 0xffffff00 == 10.1.2.3", "(ip.dst&255.255.255.0)=10.1.2.0");
	/* "src" then connective: the pair only when the three words are adjacent */
	EXPECT("src host 1.1.1.1 and dst host 2.2.2.2", "ip.src=1.1.1.1 && ip.dst=2.2.2.2");
}

static void test_ports_protocols(void **state)
{
	(void)state;
	EXPECT("tcp", "ip.proto=6");
	EXPECT("ip proto 47", "ip.proto=47");
	EXPECT("proto udp", "ip.proto=17");
	EXPECT("ip proto != tcp", "ip.proto!=6");
	EXPECT("ip proto > 100", "ip.proto>100");
	EXPECT("tcpudp", "ip.proto=6 || ip.proto=17");
	EXPECT("transp", "true");
	EXPECT("gre or sctp or dccp or igmp or ipip",
	       "ip.proto=47 || ip.proto=132 || ip.proto=33 || ip.proto=2 || ip.proto=4");
	EXPECT("tcp port 80", "ip.proto=6 && first-frag && (sport=80 || dport=80)");
	EXPECT("src tcp port 80", "ip.proto=6 && first-frag && sport=80");
	EXPECT("src and dst port 80", "(ip.proto=6 || ip.proto=17) && first-frag && sport=80 && dport=80");
	EXPECT("www", "(ip.proto=6 || ip.proto=17) && first-frag && (sport=80 || dport=80)");
	EXPECT("udp port domain", "ip.proto=17 && first-frag && (sport=53 || dport=53)");
	EXPECT("dns", "(ip.proto=6 || ip.proto=17) && first-frag && (sport=53 || dport=53)");
	EXPECT("dst port ftp-data", "(ip.proto=6 || ip.proto=17) && first-frag && dport=20");
	EXPECT("dccp port 5", "ip.proto=33 && first-frag && (sport=5 || dport=5)");
	/* != and relational operators keep the implied conditions; not does not */
	EXPECT("src tcp port != 5", "ip.proto=6 && first-frag && sport!=5");
	EXPECT("not src tcp port 5", "!(ip.proto=6 && first-frag && sport=5)");
	EXPECT("port != 80", "(ip.proto=6 || ip.proto=17) && first-frag && sport!=80 && dport!=80");
	EXPECT("port > 1023", "(ip.proto=6 || ip.proto=17) && first-frag && (sport>1023 || dport>1023)");
	EXPECT("port >= 1024", "(ip.proto=6 || ip.proto=17) && first-frag && (sport>1023 || dport>1023)");
	EXPECT("port < 1024", "(ip.proto=6 || ip.proto=17) && first-frag && sport<=1023 && dport<=1023");
	EXPECT("tcp dst port <= 80", "ip.proto=6 && first-frag && dport<=80");
	EXPECT("udp src port & 0xff00 = 0x1234", "ip.proto=17 && first-frag && (sport&0xff00)=4608");
	EXPECT("icmp type echo", "ip.proto=1 && first-frag && icmp.type=8");
	EXPECT("icmp type timestamp-reply", "ip.proto=1 && first-frag && icmp.type=14");
	EXPECT("tcp port echo", "ip.proto=6 && first-frag && (sport=7 || dport=7)");
	EXPECT("icmp type > 10", "ip.proto=1 && first-frag && icmp.type>10");
	EXPECT("echo-reply", "ip.proto=1 && first-frag && icmp.type=0");
	EXPECT("unreachable", "ip.proto=1 && first-frag && icmp.type=3");
}

static void test_tcp_and_ip_fields(void **state)
{
	(void)state;
	EXPECT("syn", "ip.proto=6 && first-frag && (tcp.flags&0x2)=2");
	EXPECT("tcp opt fin", "ip.proto=6 && first-frag && (tcp.flags&0x1)=1");
	EXPECT("fin ack", "ip.proto=6 && first-frag && (tcp.flags&0x1)=1 && (tcp.flags&0x10)=16");
	EXPECT("rst or psh or urg",
	       "(ip.proto=6 && first-frag && (tcp.flags&0x4)=4) || (ip.proto=6 && first-frag && "
	       "(tcp.flags&0x8)=8) || (ip.proto=6 && first-frag && (tcp.flags&0x20)=32)");
	EXPECT("tcp win 512", "ip.proto=6 && first-frag && tcp.win=512");
	EXPECT("tcp win > 512", "ip.proto=6 && first-frag && tcp.win>512");
	EXPECT("ip vers 4", "ip.vers=4");
	EXPECT("ip hl 5", "ip.hl=5");
	EXPECT("ip hl > 5", "ip.hl>5");
	EXPECT("ip tos 16", "ip.tos=16");
	EXPECT("ip dscp 10", "(ip.tos&0xfc)=40");
	EXPECT("ip dscp < 10", "(ip.tos&0xfc)<=36");
	EXPECT("ip ect", "(ip.tos&0x3)!=0");
	EXPECT("ip ect 2", "(ip.tos&0x3)=2");
	EXPECT("ip ce", "(ip.tos&0x3)=3");
	EXPECT("ip len 40", "ip.len=40");
	EXPECT("ip id 7", "ip.id=7");
	EXPECT("ip ttl 64", "ip.ttl=64");
	EXPECT("ip ttl < 2", "ip.ttl<=1");
	EXPECT("ip ttl >= 2", "ip.ttl>1");
	EXPECT("ip ttl != 0", "ip.ttl!=0");
	EXPECT("ip frag", "(ip.off&0x3fff)!=0");
	EXPECT("ip unfrag", "(ip.off&0x3fff)=0");
	EXPECT("unfrag", "(ip.off&0x3fff)=0");
	EXPECT("ip[9] = 17", "ip.proto=17");
	EXPECT("ip[9:1] 17", "ip.proto=17");
	EXPECT("ip[8:2] 0x4006", "ip[8:2]=16390");
	EXPECT("ip[12:4] & 0xff000000 = 0x0a000000", "(ip.src&255.0.0.0)=10.0.0.0");
	EXPECT("ip[12,15] = 1", "ip.src=0.0.0.1");
	EXPECT("ip[ 9 : 1 ] == 6", "ip.proto=6");
	EXPECT("ip[1:3] > 5", "ip[1:3]>5");
	EXPECT("transp[0:2] = 80", "first-frag && sport=80");
	EXPECT("payload[2:2] = 80", "first-frag && dport=80");
	EXPECT("tcp[13] & 0x12 = 0x12", "ip.proto=6 && first-frag && (tcp.flags&0x12)=18");
	EXPECT("tcp[13] & 2 = 3", "ip.proto=6 && first-frag && (tcp.flags&0x2)=2"); /* value & mask */
	EXPECT("udp[4:2] > 30", "ip.proto=17 && first-frag && transp[4:2]>30");
	EXPECT("icmp[1] = 3", "ip.proto=1 && first-frag && icmp.code=3");
	EXPECT("tcpudp[0:2] = 1", "(ip.proto=6 || ip.proto=17) && first-frag && sport=1");
	EXPECT("ether host 00:11:22:33:44:55",
	       "(ether.src.hi=0x112233 && ether.src.lo=0x4455) || (ether.dst.hi=0x112233 && ether.dst.lo=0x4455)");
	EXPECT("ether src 00:11:22:33:44:55", "ether.src.hi=0x112233 && ether.src.lo=0x4455");
	EXPECT("ether dst host 00:11:22:33:44:55 or 00:11:22:33:44:66",
	       "(ether.dst.hi=0x112233 && ether.dst.lo=0x4455) || (ether.dst.hi=0x112233 && ether.dst.lo=0x4466)");
	EXPECT("true", "true");
	EXPECT("false", "false");
	EXPECT("not true", "false");
	EXPECT("ip ttl > 255", "false");
	EXPECT("ip ttl < 256", "true");
}

static void test_grammar(void **state)
{
	(void)state;
	/* `port` has a qualifier, so nothing is inherited from `udp` */
	EXPECT("tcp or udp and port 53",
	       "ip.proto=6 || (ip.proto=17 && (ip.proto=6 || ip.proto=17) && first-frag && (sport=53 || dport=53))");
	EXPECT("(tcp or udp) and port 53",
	       "(ip.proto=6 || ip.proto=17) && first-frag && (sport=53 || dport=53)");
	EXPECT("tcp || udp && icmp", "ip.proto=6 || (ip.proto=17 && ip.proto=1)");
	EXPECT("not tcp and udp", "!(ip.proto=6) && ip.proto=17");
	EXPECT("! (tcp or udp)", "!(ip.proto=6 || ip.proto=17)");
	EXPECT("not not tcp", "ip.proto=6");
	EXPECT("src 1.2.3.4 tcp", "ip.src=1.2.3.4 && ip.proto=6");
	EXPECT("tcp ? src tcp port 80 : udp",
	       "(ip.proto=6 && first-frag && sport=80) || (!(ip.proto=6) && ip.proto=17)");
	EXPECT("tcp ? src port 80 : udp",
	       "(ip.proto=6 && (ip.proto=6 || ip.proto=17) && first-frag && sport=80) || (!(ip.proto=6) && ip.proto=17)");
	EXPECT("tcp ? syn : udp ? dst udp port 53 : icmp",
	       "(ip.proto=6 && first-frag && (tcp.flags&0x2)=2) || (!(ip.proto=6) && ((ip.proto=17 && "
	       "first-frag && dport=53) || (!(ip.proto=17) && ip.proto=1)))");
	/* a not among the qualifiers negates that primitive */
	EXPECT("src not host 1.2.3.4", "!(ip.src=1.2.3.4)");
	/* inheritance of abbreviations */
	EXPECT("src port 80 or 81",
	       "((ip.proto=6 || ip.proto=17) && first-frag && sport=80) || "
	       "((ip.proto=6 || ip.proto=17) && first-frag && sport=81)");
	EXPECT("tcp dst port 80 or 443",
	       "(ip.proto=6 && first-frag && dport=80) || (ip.proto=6 && first-frag && dport=443)");
	EXPECT("ip ttl 5 or 6", "ip.ttl=5 || ip.ttl=6");
	EXPECT("ip ttl > 5 and < 10", "ip.ttl>5 && ip.ttl<=9");
	EXPECT("src host 1.1.1.1 or 2.2.2.2", "ip.src=1.1.1.1 || ip.src=2.2.2.2");
	EXPECT("ip proto 6 or 17", "ip.proto=6 || ip.proto=17");
	EXPECT("tcp or www", "ip.proto=6 || (ip.proto=6 && first-frag && (sport=80 || dport=80))");
	EXPECT("dst tcp port 80 or ssh", "(ip.proto=6 && first-frag && dport=80) || (ip.proto=6 && first-frag && dport=22)");
}

static void test_errors(void **state)
{
	(void)state;
	EXPECT_ERR("", "empty pattern", 1);
	EXPECT_ERR("   ", "empty pattern", 4);
	EXPECT_ERR("all and tcp", "empty term near 'all'", 1);
	EXPECT_ERR("tcp )", "garbage after expression at ')'", 5);
	EXPECT_ERR("tcp and foo", "empty term near 'foo'", 9);
	EXPECT_ERR("src host 1.2.3.4 & 255.0.0.0", "partial directive", 18);
	EXPECT_ERR("80", "specify header field or 'port'", 1);
	EXPECT_ERR("tcp or 1.2.3.4 or 80", "specify header field or 'port'", 19);
	EXPECT_ERR("echo", "'echo' is ambiguous; try 'port echo', 'icmp type echo'", 1);
	EXPECT_ERR("ip proto www", "'proto www' is meaningless; try 'port www'", 10);
	EXPECT_ERR("udp port syn", "'port udp syn' is meaningless; try 'tcp opt syn'", 10);
	EXPECT_ERR("ip ttl 256", "out of range", 1);
	EXPECT_ERR("udp port 70000", "out of range", 1);
	EXPECT_ERR("ip dscp 64", "out of range", 1);
	EXPECT_ERR("ip[3:2] = 1", "field [3:2] does not fit in a single word", 3);
	EXPECT_ERR("ip[2:5] = 1", "LEN in '[POS:LEN]' out of range", 3);
	EXPECT_ERR("ip[x] = 1", "syntax error after '['", 3);
	EXPECT_ERR("ip[9 = 1", "missing ']'", 3);
	EXPECT_ERR("(tcp", "missing ')'", 5);
	EXPECT_ERR("tcp and", "missing expression", 8);
	EXPECT_ERR("not", "missing expression after 'not'", 4);
	EXPECT_ERR("( )", "missing expression", 3);
	EXPECT_ERR("tcp ? udp", "missing ':' in ternary expression", 10);
	EXPECT_ERR("ip ttl > foo", "dangling operator near 'foo'", 8);
	EXPECT_ERR("tcp opt != syn", "operator or mask not supported", 1);
	EXPECT_ERR("host > 1.2.3.4", "operator not supported", 1);
	EXPECT_ERR("host", "address missing", 1);
	EXPECT_ERR("ip ttl", "value missing", 1);
	EXPECT_ERR("ip ttl & 0 = 1", "zero mask ignored", 10);
	EXPECT_ERR("ip ttl & 0x100 = 1", "mask out of range", 1);
	EXPECT_ERR("tcp udp port 1", "transport protocol specified twice", 5);
	EXPECT_ERR("host port 1", "type specified twice", 6);
	EXPECT_ERR("src dst host 1.2.3.4", "'src' or 'dst' specified twice", 5);
	EXPECT_ERR("icmp port 5", "'port': bad protocol 1", 1);
	EXPECT_ERR("ip ce 1", "value not supported", 1);
	EXPECT_ERR("ether host 1.2.3.4", "address missing", 1);
	/* nesting is bounded, not a stack overflow */
	char deep[2100];
	memset(deep, '(', 1000);
	strcpy(deep + 1000, "tcp");
	memset(deep + 1003, ')', 1000);
	deep[2003] = 0;
	EXPECT_ERR(deep, "nested too deeply", FLOW_MAX_DEPTH / 2 + 1);
	/* ternaries nested in the condition would double the tree per level */
	char *t = arena_strdup(A, "tcp");
	for (int i = 0; i < 40; i++)
		t = arena_printf(A, "(%s ? udp : icmp)", t);
	uint32_t c = 0;
	assert_non_null(strstr(error_of(t, &c), "expression too large"));
}

static void test_parse_n(void **state)
{
	(void)state;
	/* the requirement language cuts "tcp port 80 -> x" at "->" itself */
	const char *req = "tcp port 80 -> server const dst";
	struct diags d;
	diags_init(&d);
	struct flow_expr *e = NULL;
	assert_int_equal(flow_parse_n(req, 11, NULL, A, &d, &e), 0);
	assert_string_equal(flow_to_string(e, A), "ip.proto=6 && first-frag && (sport=80 || dport=80)");
	assert_int_not_equal(flow_parse_n(req, 14, NULL, A, &d, &e), 0);
	diags_free(&d);
}

/* ---- evaluation ------------------------------------------------------------ */

static size_t mkpkt(uint8_t *b, unsigned ihl, uint8_t proto, uint16_t frag,
                    uint16_t sport, uint16_t dport, size_t translen)
{
	memset(b, 0, 128);
	b[0] = (uint8_t)(0x40 | ihl);
	b[6] = (uint8_t)(frag >> 8);
	b[7] = (uint8_t)frag;
	b[8] = 64;
	b[9] = proto;
	b[12] = 10; b[15] = 1;
	b[16] = 10; b[19] = 2;
	uint8_t *t = b + ihl * 4;
	t[0] = (uint8_t)(sport >> 8); t[1] = (uint8_t)sport;
	t[2] = (uint8_t)(dport >> 8); t[3] = (uint8_t)dport;
	t[13] = 0x12; /* syn ack */
	return ihl * 4 + translen;
}

static bool match(const char *pat, const uint8_t *b, size_t len)
{
	struct flow_expr *e = parse(pat);
	assert_non_null(e);
	struct flow_pkt p;
	flow_pkt_from_ip(&p, b, len);
	bool v = flow_eval(e, &p);
	int k = flow_eval3(e, &p);
	if (k >= 0)
		assert_int_equal(k, v);
	return v;
}

static void test_eval(void **state)
{
	(void)state;
	uint8_t b[128];
	size_t n = mkpkt(b, 5, 17, 0, 1500, 53, 8);
	assert_true(match("udp port 1500", b, n));
	assert_true(match("dst udp port 53", b, n));
	assert_false(match("tcp port 1500", b, n));
	assert_false(match("src port 53", b, n));
	assert_true(match("port != 80", b, n));
	assert_false(match("port != 53", b, n)); /* neither port may be 53 */
	assert_true(match("port > 1023", b, n)); /* either port */
	assert_false(match("port < 1024", b, n)); /* both ports */
	assert_true(match("src 10.0.0.1 and dst 10.0.0.2", b, n));
	assert_true(match("net 10.0.0.0/8", b, n));
	assert_false(match("src and dst host 10.0.0.1", b, n));
	assert_true(match("ip ttl 64 and ip unfrag and ip vers 4 and ip hl 5", b, n));
	/* IP options: ports are read at ihl*4 */
	n = mkpkt(b, 7, 6, 0, 80, 1024, 20);
	assert_true(match("tcp src port 80 and dst port > 1023 and syn ack", b, n));
	assert_false(match("tcp[0:2] = 0", b, n));
	assert_true(match("ip[28:2] = 80", b, n));
	/* fragments: a first fragment (MF set, offset 0) matches, later ones do not */
	n = mkpkt(b, 5, 17, 0x2000, 1500, 53, 8);
	assert_true(match("udp port 1500", b, n));
	assert_true(match("ip frag", b, n));
	n = mkpkt(b, 5, 17, 0x0010, 1500, 53, 8);
	assert_false(match("udp port 1500", b, n));
	assert_true(match("not udp port 1500", b, n));
	assert_false(match("udp port != 1500", b, n)); /* != keeps the first-fragment test */
	assert_true(match("udp", b, n));
	assert_true(match("ip frag", b, n));
	assert_false(match("transp[0:2] = 1500", b, n));
	assert_true(match("ip[20:2] = 1500", b, n)); /* ip[] has no fragment test */
}

static void test_short_packets(void **state)
{
	(void)state;
	uint8_t b[128];
	mkpkt(b, 5, 6, 0, 80, 1024, 20);
	/* transport header has 1 byte: the ports are absent */
	size_t n = 21;
	assert_false(match("tcp port 80", b, n));
	assert_true(match("not tcp port 80", b, n));  /* not of an absent test: true */
	assert_false(match("tcp port != 80", b, n)); /* != of an absent test: false */
	assert_false(match("tcp src port > 10", b, n));
	assert_false(match("tcp src port <= 10", b, n));
	assert_true(match("tcp", b, n));
	struct flow_pkt p;
	flow_pkt_from_ip(&p, b, n);
	assert_int_equal(flow_eval3(parse("tcp port 80"), &p), -1);
	assert_int_equal(flow_eval3(parse("udp port 80"), &p), 0);
	/* a field whose selected bytes are present decides even if the rest
	 * of its word is not: sport's high byte */
	assert_true(match("transp[0:2] & 0xff00 = 0", b, n));
	assert_false(match("transp[0:2] & 0x00ff = 80", b, n));
	/* packet shorter than its header length: no transport header at all */
	n = 16;
	flow_pkt_from_ip(&p, b, n);
	assert_null(p.transp);
	assert_true(match("src host 10.0.0.1", b, n)); /* needs bytes 12..15: present */
	assert_false(match("src host 10.0.0.1", b, 15));
	assert_true(match("not src host 10.0.0.1", b, 15));
	assert_false(match("dst host 10.0.0.2", b, n));
	assert_true(match("not dst host 10.0.0.2", b, n));
	assert_false(match("transp[0] = 0", b, n));
	/* nothing at all */
	flow_pkt_from_ip(&p, NULL, 0);
	assert_false(flow_eval(parse("ip ttl 0"), &p));
	assert_true(flow_eval(parse("true"), &p));
}

/* ---- Classifier -------------------------------------------------------------- */

static struct flow_expr *cls(const char *pat, const char **err, uint32_t *col)
{
	struct diags d;
	diags_init(&d);
	struct src_file f = {"t", pat, strlen(pat)};
	struct src_loc loc = {&f, 1, 1};
	struct flow_expr *e = NULL;
	int r = flow_parse_classifier(pat, &loc, A, &d, &e);
	if (r != 0) {
		assert_true(d.nerrors > 0);
		if (err)
			*err = arena_strdup(A, d.v[0].msg);
		if (col)
			*col = d.v[0].col;
	}
	diags_free(&d);
	return r == 0 ? e : NULL;
}

static void test_classifier(void **state)
{
	(void)state;
	assert_string_equal(flow_to_string(cls("12/0800", NULL, NULL), A), "data[12:2]=2048");
	assert_string_equal(flow_to_string(cls("12/0806 20/0001", NULL, NULL), A),
	                    "data[12:2]=2054 && data[20:2]=1");
	assert_string_equal(flow_to_string(cls("-", NULL, NULL), A), "true");
	assert_string_equal(flow_to_string(cls("", NULL, NULL), A), "true");
	assert_string_equal(flow_to_string(cls("!12/0800", NULL, NULL), A), "!(data[12:2]=2048)");
	/* split at word boundaries like Click's word compares */
	assert_string_equal(flow_to_string(cls("2/0102030405", NULL, NULL), A),
	                    "data[2:2]=258 && data[4:3]=197637");
	assert_string_equal(flow_to_string(cls("12/08??", NULL, NULL), A), "(data[12:2]&0xff00)=2048");
	assert_string_equal(flow_to_string(cls("12/0800%f0f0", NULL, NULL), A), "(data[12:2]&0xf0f0)=0");
	assert_string_equal(flow_to_string(cls("12/08?0%ff0f", NULL, NULL), A), "(data[12:2]&0xff0f)=2048");

	uint8_t pk[64] = {0};
	pk[12] = 0x08; pk[13] = 0x06; pk[20] = 0; pk[21] = 1;
	struct flow_pkt p = {.data = pk, .data_len = 42};
	assert_true(flow_eval(cls("12/0806 20/0001", NULL, NULL), &p));
	assert_false(flow_eval(cls("12/0806 20/0002", NULL, NULL), &p));
	assert_false(flow_eval(cls("12/0800", NULL, NULL), &p));
	assert_true(flow_eval(cls("!12/0800", NULL, NULL), &p));
	/* short: absent clause false, negated clause true */
	p.data_len = 13;
	assert_false(flow_eval(cls("12/0806", NULL, NULL), &p));
	assert_true(flow_eval(cls("!12/0806", NULL, NULL), &p));
	assert_true(flow_eval(cls("12/08??", NULL, NULL), &p));

	const char *m = NULL;
	uint32_t c = 0;
	assert_null(cls("12/080", &m, &c));
	assert_non_null(strstr(m, "odd number of hex digits"));
	assert_int_equal(c, 4);
	assert_null(cls("12/0", &m, &c));
	assert_non_null(strstr(m, "less than 2 hex digits"));
	assert_null(cls("12/0800%ff", &m, &c));
	assert_non_null(strstr(m, "mask has too few hex digits"));
	assert_int_equal(c, 9);
	assert_null(cls("12/0800%ffffff", &m, &c));
	assert_non_null(strstr(m, "mask has too many hex digits"));
	assert_null(cls("12-0800", &m, &c));
	assert_non_null(strstr(m, "expected '/'"));
	assert_int_equal(c, 3);
	assert_null(cls("12/0800 x", &m, &c));
	assert_non_null(strstr(m, "expected a digit"));
	assert_int_equal(c, 9);
	assert_null(cls("99999/00", &m, &c));
	assert_non_null(strstr(m, "offset out of range"));
}

/* ---- field recognition ------------------------------------------------------- */

static void test_fields(void **state)
{
	(void)state;
	uint32_t fm, fv;
	struct flow_atom a = {FLOW_BASE_IP, FLOW_EQ, 4, 12, 0xffffffff, 0x0a000001};
	assert_int_equal(flow_atom_field(&a, &fm, &fv), FLOW_FIELD_IP_SRC);
	assert_int_equal(fm, 0xffffffff);
	assert_int_equal(fv, 0x0a000001);
	a = (struct flow_atom){FLOW_BASE_IP, FLOW_GT, 4, 8, 0x00ff0000, 0x00050000};
	assert_int_equal(flow_atom_field(&a, &fm, &fv), FLOW_FIELD_IP_PROTO);
	assert_int_equal(fm, 0xff);
	assert_int_equal(fv, 5);
	a = (struct flow_atom){FLOW_BASE_IP, FLOW_EQ, 4, 8, 0xff000000, 0x40000000};
	assert_int_equal(flow_atom_field(&a, &fm, &fv), FLOW_FIELD_IP_TTL);
	assert_int_equal(fv, 64);
	a = (struct flow_atom){FLOW_BASE_IP, FLOW_EQ, 4, 8, 0xffff0000, 0};
	assert_int_equal(flow_atom_field(&a, &fm, &fv), FLOW_FIELD_OTHER); /* ttl + proto */
	a = (struct flow_atom){FLOW_BASE_IP, FLOW_EQ, 1, 0, 0xf0, 0x40};
	assert_int_equal(flow_atom_field(&a, &fm, &fv), FLOW_FIELD_IP_VERS);
	assert_int_equal(fv, 4);
	assert_int_equal(fm, 0xf);
	a = (struct flow_atom){FLOW_BASE_TRANSP, FLOW_EQ, 2, 2, 0xffff, 80};
	assert_int_equal(flow_atom_field(&a, NULL, NULL), FLOW_FIELD_DPORT);
	a = (struct flow_atom){FLOW_BASE_TRANSP, FLOW_EQ, 1, 0, 0xff, 8};
	assert_int_equal(flow_atom_field(&a, NULL, NULL), FLOW_FIELD_ICMP_TYPE);
	a = (struct flow_atom){FLOW_BASE_TRANSP, FLOW_EQ, 1, 13, 0x02, 0x02};
	assert_int_equal(flow_atom_field(&a, &fm, &fv), FLOW_FIELD_TCP_FLAGS);
	assert_int_equal(fm, 2);
	a = (struct flow_atom){FLOW_BASE_DATA, FLOW_EQ, 2, 12, 0xffff, 0x800};
	assert_int_equal(flow_atom_field(&a, NULL, NULL), FLOW_FIELD_OTHER);
	assert_string_equal(flow_field_name(FLOW_FIELD_IP_DST), "ip.dst");
	enum flow_base base;
	uint16_t off;
	uint8_t len;
	uint32_t bits;
	assert_int_equal(flow_field_layout(FLOW_FIELD_IP_HL, &base, &off, &len, &bits), 0);
	assert_int_equal(base, FLOW_BASE_IP);
	assert_int_equal(off, 0);
	assert_int_equal(len, 1);
	assert_int_equal(bits, 0x0f);
	assert_int_not_equal(flow_field_layout(FLOW_FIELD_OTHER, NULL, NULL, NULL, NULL), 0);
	/* every atom the parser makes for the named primitives is recognised */
	struct flow_expr *e = parse("src host 1.2.3.4 and dst port 5 and ip ttl 3 and icmp type 8 and syn");
	assert_int_equal(e->kind, FLOW_AND);
	for (uint32_t i = 0; i < e->nkids; i++)
		if (e->kids[i]->kind == FLOW_ATOM)
			assert_int_not_equal(flow_atom_field(&e->kids[i]->atom, NULL, NULL), FLOW_FIELD_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_example),
		cmocka_unit_test(test_hosts_nets),
		cmocka_unit_test(test_ports_protocols),
		cmocka_unit_test(test_tcp_and_ip_fields),
		cmocka_unit_test(test_grammar),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_parse_n),
		cmocka_unit_test(test_eval),
		cmocka_unit_test(test_short_packets),
		cmocka_unit_test(test_classifier),
		cmocka_unit_test(test_fields),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
