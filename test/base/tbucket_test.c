/* The token bucket: starts full, refills at its rate, never holds more
 * than its capacity, and says when tokens will be there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/tbucket.h"

static void test_tbucket(void **st)
{
	(void)st;
	struct tbucket b;
	tbucket_init(&b, 10, 2, 0); /* 10/s, burst 2 */
	assert_true(tbucket_take(&b, 1, 0));
	assert_true(tbucket_take(&b, 1, 0));
	assert_false(tbucket_take(&b, 1, 0));
	uint64_t w = tbucket_when(&b, 1, 0);
	assert_int_equal(w, 100000000ull);
	assert_false(tbucket_take(&b, 1, w - 1));
	assert_true(tbucket_take(&b, 1, w));
	/* over a long idle time the bucket holds only its capacity */
	assert_true(tbucket_take(&b, 2, 10 * TBUCKET_NS));
	assert_false(tbucket_take(&b, 1, 10 * TBUCKET_NS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tbucket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
