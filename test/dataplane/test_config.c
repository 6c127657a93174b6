/* Settings text to dataplane structures (no DPDK needed). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/dataplane.h"

static void test_routes(void **state)
{
	(void)state;
	struct dp_route r;
	char err[200];
	assert_int_equal(dp_parse_route("0.0.0.0/0=0", &r, err, sizeof err), 0);
	assert_int_equal(r.prefix.len, 0);
	assert_int_equal(r.port, 0);
	static const uint8_t zero[6];
	assert_memory_equal(r.mac, zero, 6);
	assert_int_equal(dp_parse_route("172.16.0.0/16=1@02:00:0a:0b:0c:ff", &r, err, sizeof err), 0);
	assert_int_equal(r.prefix.addr, 0xac100000u);
	assert_int_equal(r.prefix.len, 16);
	assert_int_equal(r.port, 1);
	const uint8_t mac[6] = {2, 0, 0x0a, 0x0b, 0x0c, 0xff};
	assert_memory_equal(r.mac, mac, 6);
	const char *bad[] = {"172.16.0.0/16", "172.16.0.0/33=1", "10.0.0.0/8=x", "10.0.0.0/8=9",
	                     "10.0.0.0/8=1@02:00", "10.0.0.0/8=1@02:00:00:00:00:00:00", "=1"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = 0;
		assert_int_equal(dp_parse_route(bad[i], &r, err, sizeof err), -EINVAL);
		assert_non_null(strstr(err, "route '"));
	}
}

static void test_devargs(void **state)
{
	(void)state;
	char b[128], err[200];
	assert_int_equal(dp_port_devargs("tap", NULL, 0, b, sizeof b, err, sizeof err), 0);
	assert_string_equal(b, "net_tap0,iface=innet0");
	assert_int_equal(dp_port_devargs("af_packet", "veth1", 1, b, sizeof b, err, sizeof err), 0);
	assert_string_equal(b, "net_af_packet1,iface=veth1");
	assert_int_equal(dp_port_devargs("af_packet", NULL, 1, b, sizeof b, err, sizeof err), -EINVAL);
	assert_int_equal(dp_port_devargs("pcap", "in.pcap:out.pcap", 2, b, sizeof b, err, sizeof err), 0);
	assert_string_equal(b, "net_pcap2,rx_pcap=in.pcap,tx_pcap=out.pcap");
	assert_int_equal(dp_port_devargs("null", NULL, 3, b, sizeof b, err, sizeof err), 0);
	assert_string_equal(b, "net_null3");
	assert_int_equal(dp_port_devargs("0000:03:00.0", NULL, 0, b, sizeof b, err, sizeof err), 0);
	assert_string_equal(b, "0000:03:00.0");
	char small[8];
	assert_int_equal(dp_port_devargs("tap", NULL, 0, small, sizeof small, err, sizeof err), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_devargs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
