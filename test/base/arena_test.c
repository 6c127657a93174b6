/* The arena allocator: alignment, zeroing, growth, big blocks, limits,
 * reset, string helpers, a growing string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/arena.h"

static void test_alloc_aligned_zeroed(void **state)
{
	struct arena *a = arena_new(0);
	assert_non_null(a);
	for (size_t size = 1; size < 300; size += 7) {
		unsigned char *p = arena_alloc(a, size);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		for (size_t i = 0; i < size; i++)
			assert_int_equal(p[i], 0);
		memset(p, 0xab, size); /* must not overlap the next block */
	}
	assert_true(arena_used(a) >= 300);
	assert_false(arena_exhausted(a));
	arena_free(a);
}

static void test_blocks_are_distinct(void **state)
{
	struct arena *a = arena_new(0);
	enum { N = 5000 };
	uint32_t *v[N];
	for (uint32_t i = 0; i < N; i++) {
		v[i] = arena_alloc(a, i % 3 == 0 ? 100000 : 24); /* big blocks too */
		assert_non_null(v[i]);
		*v[i] = i;
	}
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(*v[i], i);
	arena_free(a);
}

static void test_limit(void **state)
{
	struct arena *a = arena_new(1024);
	assert_non_null(arena_alloc(a, 1000));
	assert_false(arena_exhausted(a));
	assert_null(arena_alloc(a, 100));
	assert_true(arena_exhausted(a));
	assert_null(arena_calloc(a, SIZE_MAX / 2, 4)); /* overflow */
	arena_reset(a);
	assert_false(arena_exhausted(a));
	assert_int_equal(arena_used(a), 0);
	assert_non_null(arena_alloc(a, 1000));
	arena_free(a);
	arena_free(NULL);
}

static void test_strings(void **state)
{
	struct arena *a = arena_new(0);
	assert_string_equal(arena_strdup(a, "hello"), "hello");
	assert_string_equal(arena_strndup(a, "hello", 3), "hel");
	assert_string_equal(arena_printf(a, "%s-%d", "x", 42), "x-42");
	char *p = arena_strdup(a, "abc");
	char *q = arena_realloc(a, p, 4, 100);
	assert_string_equal(q, "abc");
	assert_int_equal(((unsigned char *)q)[50], 0);
	arena_free(a);
}

static void test_reset_reuses(void **state)
{
	struct arena *a = arena_new(0);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 1000; i++)
			assert_non_null(arena_alloc(a, 200));
		arena_reset(a);
		assert_int_equal(arena_used(a), 0);
	}
	arena_free(a);
}

static void test_growing_string(void **state)
{
	struct arena *a = arena_new(0);
	struct arena_str b = {.a = a};
	assert_string_equal(arena_str_take(&b), "");
	for (int i = 0; i < 100; i++)
		arena_str_puts(&b, "ab");
	arena_str_putc(&b, '!');
	arena_str_putn(&b, "xyz", 2);
	assert_int_equal(b.n, 203);
	assert_int_equal(strlen(arena_str_take(&b)), 203);
	assert_string_equal(arena_str_take(&b) + 198, "ab!xy");
	arena_free(a);

	a = arena_new(256); /* growth fails: every later put is ignored */
	struct arena_str c = {.a = a};
	for (int i = 0; i < 100 && !c.oom; i++)
		arena_str_puts(&c, "0123456789");
	assert_true(c.oom);
	assert_null(arena_str_take(&c));
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_aligned_zeroed),
		cmocka_unit_test(test_blocks_are_distinct),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_growing_string),
		cmocka_unit_test(test_reset_reuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
