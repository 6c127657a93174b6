/* The catalogue table: sorted (binary search relies on it), complete, and
 * every entry well formed and documented. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"

static void test_sorted_unique(void **state)
{
	(void)state;
	size_t n = elem_class_count();
	assert_true(n >= 60);
	for (size_t i = 1; i < n; i++)
		assert_true(strcmp(elem_class_at(i - 1)->name, elem_class_at(i)->name) < 0);
	assert_null(elem_class_at(n));
}

static void test_find_every_entry(void **state)
{
	(void)state;
	for (size_t i = 0; i < elem_class_count(); i++) {
		const struct click_class *c = elem_class_at(i);
		assert_ptr_equal(elem_class_find(c->name), c);
		assert_non_null(c->port_count);
		assert_non_null(c->processing);
		assert_non_null(strchr(c->port_count, '/'));
		assert_non_null(strchr(c->processing, '/'));
	}
}

static void test_required_classes(void **state)
{
	(void)state;
	static const char *const need[] = {
		"FromDevice", "ToDevice", "Classifier", "IPClassifier", "IPFilter",
		"CheckIPHeader", "MarkIPHeader", "Strip", "Unstrip", "EtherEncap",
		"EtherRewrite", "DecIPTTL", "IPRewriter", "IPAddrRewriter", "SetIPAddress",
		"StoreIPAddress", "SetIPDSCP", "Queue", "SimpleQueue", "FullNoteQueue",
		"Unqueue", "TimedUnqueue", "RatedUnqueue", "BandwidthShaper", "Shaper",
		"RatedSplitter", "Counter", "AverageCounter", "Discard", "Tee", "PullTee",
		"Paint", "PaintSwitch", "CheckPaint", "Switch", "RoundRobinSwitch",
		"HashSwitch", "IPEncap", "UDPIPEncap", "IPsecESPEncap", "ICMPPingResponder",
		"ICMPError", "ARPResponder", "ARPQuerier", "LinearIPLookup",
		"StaticIPLookup", "RadixIPLookup", "IPFragmenter", "SetTimestamp", "Print",
		"Null", "PushNull", "PullNull", "Idle", "IPOutputCombo", "FromNetFront",
		"ToNetFront", "StoreData", "IPMirror", "ChangeEnforcer",
	};
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
		const struct click_class *c = elem_class_find(need[i]);
		assert_non_null(c);
		assert_string_equal(c->name, need[i]);
	}
}

/* One side of a port count: "N", "N-", "N-M", "-" or "=" (outputs only). */
static bool count_side_ok(const char *s, size_t n, bool out)
{
	if (n == 1 && (s[0] == '-' || (out && s[0] == '=')))
		return true;
	size_t i = 0, d = 0;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, d++;
	if (d == 0)
		return false;
	if (i == n)
		return true;
	if (s[i++] != '-')
		return false;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i == n;
}

static bool codes_ok(const char *s, const char *alphabet)
{
	const char *slash = strchr(s, '/');
	if (!slash || strchr(slash + 1, '/') || slash == s || !slash[1])
		return false;
	for (const char *p = s; *p; p++)
		if (p != slash && !strchr(alphabet, *p))
			return false;
	return true;
}

static void test_codes_well_formed(void **state)
{
	(void)state;
	for (size_t i = 0; i < elem_class_count(); i++) {
		const struct click_class *c = elem_class_at(i);
		const char *slash = strchr(c->port_count, '/');
		assert_non_null(slash);
		if (!count_side_ok(c->port_count, (size_t)(slash - c->port_count), false) ||
		    !count_side_ok(slash + 1, strlen(slash + 1), true))
			fail_msg("%s: bad port count '%s'", c->name, c->port_count);
		if (!codes_ok(c->processing, "ahl"))
			fail_msg("%s: bad processing '%s'", c->name, c->processing);
		if (c->flow_code && !codes_ok(c->flow_code, "abcdefghijklmnopqrstuvwxyz#"))
			fail_msg("%s: bad flow code '%s'", c->name, c->flow_code);
		/* only IPsecESPEncap accepts anything (Click ignores its arguments) */
		if (!c->configure && strcmp(c->name, "IPsecESPEncap") != 0)
			fail_msg("%s: no configure", c->name);
		if ((c->flags & ELEM_DEVICE_IN) && strncmp(c->port_count, "0/", 2) != 0)
			fail_msg("%s: a device input has no inputs", c->name);
	}
}

static void test_unknown_and_case(void **state)
{
	(void)state;
	assert_null(elem_class_find("Foo"));
	assert_null(elem_class_find("queue"));
	assert_null(elem_class_find(""));
	assert_null(elem_class_find(NULL));
	assert_null(elem_class_find("Queuex"));
	assert_null(elem_class_find("AAA"));
	assert_null(elem_class_find("zzz"));
}

static void test_codes(void **state)
{
	(void)state;
	const struct click_class *c = elem_class_find("FromNetFront");
	assert_string_equal(c->port_count, "0/1");
	assert_true(c->flags & ELEM_DEVICE_IN);
	c = elem_class_find("ToNetFront");
	assert_string_equal(c->port_count, "1/0-1");
	assert_string_equal(c->processing, "a/h");
	assert_true(c->flags & ELEM_DEVICE_OUT);
	c = elem_class_find("ChangeEnforcer");
	assert_string_equal(c->port_count, "2/2");
	assert_string_equal(c->flow_code, "xy/xy");
	assert_true(c->flags & ELEM_STATEFUL);
	assert_string_equal(elem_class_find("ARPQuerier")->flow_code, "xy/x");
	assert_string_equal(elem_class_find("Idle")->flow_code, "x/y");
	assert_string_equal(elem_class_find("Queue")->processing, "h/lh");
	assert_string_equal(elem_class_find("PullTee")->processing, "l/lh");
}

/* A class that takes arguments describes its configured instances and
 * documents them; every class says what its model does. */
static void test_documented(void **state)
{
	(void)state;
	for (size_t i = 0; i < elem_class_count(); i++) {
		const struct click_class *c = elem_class_at(i);
		bool takes_args = c->configure && c->configure != elem__configure_none;
		if (takes_args && !c->describe)
			fail_msg("%s: a configure but no describe", c->name);
		if (!takes_args && c->describe)
			fail_msg("%s: a describe but no arguments", c->name);
		if (takes_args && (!c->doc_args || !*c->doc_args))
			fail_msg("%s: no doc_args", c->name);
		if (!c->doc_model || !*c->doc_model)
			fail_msg("%s: no doc_model", c->name);
	}
}

/* One truth for "stateful": the catalogue's flag (docs, the controller)
 * names exactly the classes whose state the runtime can save, load and
 * show (suspend and resume), so no stateful module loses state on a
 * suspend and none is kept running for a flag alone. */
static void test_stateful_flag_matches_hooks(void **state)
{
	(void)state;
	size_t n = 0;
	for (size_t i = 0; i < elem_class_count(); i++) {
		const struct click_class *c = elem_class_at(i);
		bool flag = c->flags & ELEM_STATEFUL;
		const struct elem_runtime *r = c->runtime;
		bool hooks = r && r->save && r->load && r->table;
		if (flag != hooks)
			fail_msg("%s: stateful flag %d but save/load/table hooks %d", c->name, flag, hooks);
		if (r && (!r->save != !r->load))
			fail_msg("%s: a save hook without a load hook (or the reverse)", c->name);
		n += flag;
	}
	assert_true(n >= 7); /* rewriters, ChangeEnforcer, queues, ARPQuerier */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorted_unique),
		cmocka_unit_test(test_find_every_entry),
		cmocka_unit_test(test_required_classes),
		cmocka_unit_test(test_unknown_and_case),
		cmocka_unit_test(test_codes_well_formed),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_documented),
		cmocka_unit_test(test_stateful_flag_matches_hooks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
