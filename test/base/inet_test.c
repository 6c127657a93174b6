/* IPv4 address and prefix parsing and formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "base/inet.h"

static void test_addresses(void **state)
{
	uint32_t a;
	assert_int_equal(inet_parse_addr("10.1.2.3", 8, &a), 0);
	assert_int_equal(a, 0x0a010203u);
	assert_int_equal(inet_parse_addr("0.0.0.0", 7, &a), 0);
	assert_int_equal(a, 0);
	assert_int_equal(inet_parse_addr("255.255.255.255", 15, &a), 0);
	assert_int_equal(a, 0xffffffffu);
	/* only n bytes are read */
	assert_int_equal(inet_parse_addr("1.2.3.4/8", 7, &a), 0);
	assert_int_equal(a, 0x01020304u);
	const char *bad[] = {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.-4", "01.2.3.4", "1..2.3",
	                     "1.2.3.4 ", " 1.2.3.4", "a.b.c.d", "1.2.3.1000", "1.2.3.4/8"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (inet_parse_addr(bad[i], strlen(bad[i]), &a) == 0)
			fail_msg("'%s' accepted", bad[i]);
	char buf[16];
	assert_string_equal(inet_format_addr(0xc0000201u, buf), "192.0.2.1");
}

static void test_prefixes(void **state)
{
	struct inet_prefix p;
	assert_int_equal(inet_parse_prefix("10.0.0.0/8", 10, false, &p), 0);
	assert_int_equal(p.addr, 0x0a000000u);
	assert_int_equal(p.len, 8);
	assert_int_equal(inet_parse_prefix("192.0.2.7", 9, false, &p), 0);
	assert_int_equal(p.len, 32);
	assert_int_equal(inet_parse_prefix("0.0.0.0/0", 9, false, &p), 0);
	assert_int_equal(p.len, 0);
	assert_int_equal(inet_parse_prefix("10.1.2.3/8", 10, false, &p), -EINVAL); /* host bits */
	assert_int_equal(inet_parse_prefix("10.1.2.3/8", 10, true, &p), 0);
	assert_int_equal(p.addr, 0x0a000000u);
	const char *bad[] = {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/8x", "10.0.0.0/-1", "10.0.0/8", "/8",
	                     "10.0.0.0/008"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (inet_parse_prefix(bad[i], strlen(bad[i]), true, &p) == 0)
			fail_msg("'%s' accepted", bad[i]);
	char buf[19];
	struct inet_prefix q = {0xac100000u, 12};
	assert_string_equal(inet_format_prefix(q, buf), "172.16.0.0/12");
}

static void test_masks_and_overlap(void **state)
{
	assert_int_equal(inet_mask(0), 0);
	assert_int_equal(inet_mask(8), 0xff000000u);
	assert_int_equal(inet_mask(32), 0xffffffffu);
	struct inet_prefix a = {0x0a000000u, 8}, b = {0x0a010000u, 16}, c = {0x0b000000u, 8}, all = {0, 0};
	assert_true(inet_prefix_contains(a, 0x0a0102ffu));
	assert_false(inet_prefix_contains(a, 0x0b000001u));
	assert_true(inet_prefix_overlaps(a, b));
	assert_true(inet_prefix_overlaps(b, a));
	assert_false(inet_prefix_overlaps(b, c));
	assert_true(inet_prefix_overlaps(all, c));
	assert_true(inet_prefix_contains(all, 0xffffffffu));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_masks_and_overlap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
