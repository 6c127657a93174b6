/* Names in configurations, as Click reads them: AddressInfo's names in
 * every address argument (scoped by compound, with Click's suffixes and
 * its preference for addresses over prefixes), device names numbered in
 * order of appearance, and the reasons innet gives for Click classes it
 * lacks on purpose. Parsed by the real front end (click_parse). */
#include <jansson.h>

#include "elements/element.h"
#include "fx.h"

static struct click_graph *parse(const char *text, struct diags *d)
{
	struct src_file f = { "n.click", text, strlen(text) };
	struct click_graph *g = NULL;
	int rc = click_parse(&f, &elem_click_options, &g, d);
	if (rc)
		assert_null(g);
	return g;
}

static struct click_graph *parse_ok(const char *text, struct diags *d)
{
	diags_init(d);
	struct click_graph *g = parse(text, d);
	if (!g)
		diags_print(stderr, d);
	assert_non_null(g);
	return g;
}

/* The element's describe as compact JSON with sorted keys. */
static char *described(const struct click_graph *g, const char *name)
{
	const struct click_element *e = click_graph_find(g, name);
	assert_non_null(e);
	json_t *o = e->cls->describe(e->conf);
	assert_non_null(o);
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	assert_non_null(s);
	return s;
}

static void assert_described(const struct click_graph *g, const char *name, const char *want)
{
	char *s = described(g, name);
	if (strcmp(s, want) != 0)
		fprintf(stderr, "%s: got  %s\n%s: want %s\n", name, s, name, want);
	assert_string_equal(s, want);
	free(s);
}

/* The first error's message contains `want`. */
static void assert_error(const char *text, const char *want)
{
	struct diags d;
	diags_init(&d);
	struct click_graph *g = parse(text, &d);
	assert_null(g);
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	diags_print(m, &d);
	fclose(m);
	if (!strstr(buf, want))
		fprintf(stderr, "want '%s' in:\n%s", want, buf);
	assert_non_null(strstr(buf, want));
	free(buf);
	diags_free(&d);
}

static void test_addressinfo_kinds_and_suffixes(void **state)
{
	(void)state;
	struct diags d;
	struct click_graph *g = parse_ok(
		"AddressInfo(mauer 10.0.0.1 00-50-BA-85-84-A9, foo 1.2.3.4/20, net 10.9.0.0/16);\n"
		"FromDevice(0) -> e :: IPEncap(6, mauer, foo) -> rt :: LinearIPLookup(foo 0, foo:ipnet 1, "
		"foo:bcast 2, foo:gw 3, net 4);\n"
		"rt[0] -> ee :: EtherEncap(0x0800, mauer, mauer:eth) -> ToDevice(0);\n"
		"rt[1] -> Discard; rt[2] -> Discard; rt[3] -> Discard; rt[4] -> Discard;\n",
		&d);
	assert_int_equal(d.nerrors, 0);
	/* an address argument reads the address; foo's host bits make it one */
	assert_described(g, "e", "{\"DF\":false,\"DST\":\"1.2.3.4\",\"PROTO\":6,\"SRC\":\"10.0.0.1\",\"TOS\":0,\"TTL\":250}");
	/* Click's AddressInfo-bcast test: foo is 1.2.3.4/32 in a prefix argument,
	 * foo:ipnet the prefix, foo:bcast its broadcast address; :gw the
	 * network's first host; a name with only a prefix is that prefix */
	assert_described(g, "rt", "{\"ADDR/MASK\":[\"1.2.3.4/32\",\"1.2.0.0/20\",\"1.2.15.255/32\",\"1.2.0.1/32\","
	                          "\"10.9.0.0/16\"],\"GW\":[null,null,null,null,null],\"OUT\":[0,1,2,3,4]}");
	assert_described(g, "ee", "{\"DST\":\"00:50:ba:85:84:a9\",\"ETHERTYPE\":2048,\"SRC\":\"00:50:ba:85:84:a9\"}");
	click_graph_free(g);
	diags_free(&d);
}

static void test_addressinfo_in_patterns(void **state)
{
	(void)state;
	struct diags d;
	struct click_graph *g = parse_ok("AddressInfo(gw 192.168.1.1, lan 192.168.1.0/24);\n"
	                                 "FromDevice(0) -> f :: IPFilter(allow src host gw, allow dst net lan, "
	                                 "allow dst lan:ipnet, deny all) -> ToDevice(0);\n",
	                                 &d);
	/* a name with only a prefix reads as a network */
	assert_described(g, "f", "{\"ACTION\":[0,0,0,\"drop\"],\"PATTERN\":[\"ip.src=192.168.1.1\","
	                         "\"(ip.dst&255.255.255.0)=192.168.1.0\",\"(ip.dst&255.255.255.0)=192.168.1.0\",\"true\"]}");
	click_graph_free(g);
	diags_free(&d);
}

static void test_addressinfo_scoped_by_compound(void **state)
{
	(void)state;
	struct diags d;
	/* a compound sees its own names and the enclosing ones */
	struct click_graph *g = parse_ok("AddressInfo(outer 10.0.0.1);\n"
	                                 "c :: { AddressInfo(inner 10.0.0.2); input -> e :: IPEncap(4, outer, inner) -> output };\n"
	                                 "FromDevice(0) -> c -> ToDevice(0);\n",
	                                 &d);
	assert_described(g, "c/e", "{\"DF\":false,\"DST\":\"10.0.0.2\",\"PROTO\":4,\"SRC\":\"10.0.0.1\",\"TOS\":0,\"TTL\":250}");
	click_graph_free(g);
	diags_free(&d);
	/* but the top level does not see a compound's names */
	assert_error("c :: { AddressInfo(inner 10.0.0.2); input -> output };\n"
	             "FromDevice(0) -> c -> IPEncap(4, 1.1.1.1, inner) -> ToDevice(0);\n",
	             "n.click:2:43: error: IPEncap: DST: expected IP address, got 'inner'");
	/* AddressInfo configures first: a name is usable before its definition */
	g = parse_ok("FromDevice(0) -> e :: IPEncap(4, late, late) -> ToDevice(0);\nAddressInfo(late 7.7.7.7);\n", &d);
	assert_described(g, "e", "{\"DF\":false,\"DST\":\"7.7.7.7\",\"PROTO\":4,\"SRC\":\"7.7.7.7\",\"TOS\":0,\"TTL\":250}");
	click_graph_free(g);
	diags_free(&d);
}

static void test_addressinfo_errors(void **state)
{
	(void)state;
	assert_error("AddressInfo(x 10.0.0.300);", "n.click:1:15: error: AddressInfo: '10.0.0.300' is not a recognizable address");
	assert_error("AddressInfo(lonely);", "n.click:1:13: error: AddressInfo: expected 'NAME ADDRESS [ADDRESS...]'");
	/* a suffix forces the kind: an address-only name has no :eth */
	assert_error("AddressInfo(a 10.0.0.1); FromDevice(0) -> EtherEncap(0x0800, a:eth, a) -> ToDevice(0);",
	             "EtherEncap: SRC: expected Ethernet address, got 'a:eth'");
	assert_error("AddressInfo(a 10.0.0.1); FromDevice(0) -> IPEncap(4, a:what, a) -> ToDevice(0);",
	             "IPEncap: SRC: expected IP address, got 'a:what'");
}

/* The spec as its rewriter describes it (INPUTSPEC[i]). */
static char *spec_of(const struct click_graph *g, const char *name, size_t i)
{
	const struct click_element *e = click_graph_find(g, name);
	assert_non_null(e);
	json_t *o = e->cls->describe(e->conf);
	assert_non_null(o);
	char *s = json_dumps(json_array_get(json_object_get(o, "INPUTSPEC"), i), JSON_ENCODE_ANY);
	json_decref(o);
	assert_non_null(s);
	return s;
}

static void test_rewriter_patterns(void **state)
{
	(void)state;
	struct diags d;
	/* a named pattern (with an AddressInfo name in it) is the pattern written out */
	struct click_graph *g = parse_ok(
		"AddressInfo(extern 10.0.0.1);\n"
		"IPRewriterPatterns(to_world extern 50000-65535 - -, to_server - - 10.0.0.9 80);\n"
		"rw :: IPRewriter(pattern to_world 0 1, pattern to_server 1 0);\n"
		"inl :: IPRewriter(pattern 10.0.0.1 50000-65535 - - 0 1, pattern - - 10.0.0.9 80 1 0);\n"
		"tcp :: TCPRewriter(pattern to_world 0 1);\n"
		"FromDevice(0) -> rw -> ToDevice(0); FromDevice(1) -> [1]rw[1] -> ToDevice(1);\n"
		"FromDevice(2) -> inl -> ToDevice(2); FromDevice(3) -> [1]inl[1] -> ToDevice(3);\n"
		"FromDevice(4) -> tcp -> ToDevice(4); tcp[1] -> Discard;\n",
		&d);
	for (size_t i = 0; i < 2; i++) {
		char *named = spec_of(g, "rw", i), *inline_ = spec_of(g, "inl", i);
		assert_string_equal(named, inline_);
		free(named);
		free(inline_);
	}
	char *t = spec_of(g, "tcp", 0), *r = spec_of(g, "rw", 0);
	assert_string_equal(t, r);
	free(t);
	free(r);
	click_graph_free(g);
	diags_free(&d);
	assert_error("rw :: IPRewriter(pattern nosuch 0 0); FromDevice(0) -> rw -> ToDevice(0);",
	             "n.click:1:26: error: IPRewriter: INPUTSPEC: no pattern named 'nosuch' (IPRewriterPatterns)");
	assert_error("IPRewriterPatterns(a - - - -, a - - - -);", "n.click:1:31: error: IPRewriterPatterns: pattern 'a' already defined");
	assert_error("IPRewriterPatterns(a - -);", "expected 'NAME SADDR SPORT DADDR DPORT'");
	assert_error("IPRewriterPatterns(a 1.2.3 - - -);", "IPRewriterPatterns: SADDR:");
}

static void test_device_names(void **state)
{
	(void)state;
	struct diags d;
	struct click_graph *g = parse_ok("FromDevice(eth1, FORCE_IP true) -> q :: Queue -> b :: ToDevice(eth2);\n"
	                                 "a :: PollDevice(eth2, true) -> Queue -> c :: ToDevice(eth1);\n",
	                                 &d);
	/* FORCE_IP true: no warning; PollDevice (no such keyword) gets one */
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.n, 1);
	assert_described(g, "b", "{\"BURST\":1,\"DEVNAME\":1,\"NAME\":\"eth2\"}");
	assert_described(g, "a", "{\"BURST\":0,\"DEVNAME\":1,\"NAME\":\"eth2\"}");
	assert_described(g, "c", "{\"BURST\":1,\"DEVNAME\":0,\"NAME\":\"eth1\"}");
	click_graph_free(g);
	diags_free(&d);
	/* without FORCE_IP the tenant is told the packets are IPv4 */
	g = parse_ok("FromDevice(eth0) -> Discard;", &d);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.n, 1);
	click_graph_free(g);
	diags_free(&d);
	assert_error("FromDevice(eth0) -> ToDevice(1);", "n.click:1:30: error: ToDevice: DEVNAME: device numbers and device names are mixed");
	assert_error("FromDevice(eth0, FORCE_IP false) -> Discard;", "FORCE_IP false is not available");
	assert_error("FromDevice(eth0, BPF_FILTER 'udp') -> Discard;", "BPF_FILTER is not available in a module");
	assert_error("FromDevice(eth0, ENCAP ETHER) -> Discard;", "a module's devices carry IPv4 (ENCAP IP) only");
	assert_error("FromDevice(eth0/x) -> Discard;", "device must be a device number or a device name");
}

static void test_unavailable_classes(void **state)
{
	(void)state;
	assert_error("FromDevice(0) -> ToHost;", "unknown element class 'ToHost': a module has no host network stack");
	assert_error("KernelTun(1.0.0.1/8) -> Discard;", "unknown element class 'KernelTun': a module has no host network stack");
	assert_error("FromDevice(0) -> CheckIP6Header -> Discard;", "unknown element class 'CheckIP6Header': innet modules carry IPv4 only");
	assert_error("FromDevice(0) -> NoSuchThing -> Discard;", "unknown element class 'NoSuchThing'\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addressinfo_kinds_and_suffixes),
		cmocka_unit_test(test_addressinfo_in_patterns),
		cmocka_unit_test(test_addressinfo_scoped_by_compound),
		cmocka_unit_test(test_addressinfo_errors),
		cmocka_unit_test(test_rewriter_patterns),
		cmocka_unit_test(test_device_names),
		cmocka_unit_test(test_unavailable_classes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
