/* ctl__report_view on its own (docs/privacy.md): a hand-made full report
 * on a small network as a tenant sees it at each tenant-report-detail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controller/internal.h"
#include "snapshot/snapshot.h"

static const char net_json[] =
	"{\"nodes\": ["
	"{\"name\": \"internet\", \"type\": \"hosts\", \"role\": \"internet\", \"ports\": 1},"
	"{\"name\": \"clients\", \"type\": \"hosts\", \"role\": \"client\", \"prefixes\": [\"172.16.0.0/16\"], \"ports\": 1},"
	"{\"name\": \"core\", \"type\": \"router\", \"ports\": 3, \"routes\": ["
	"  {\"prefix\": \"172.16.0.0/16\", \"port\": 1}, {\"prefix\": \"10.1.0.0/16\", \"port\": 2},"
	"  {\"prefix\": \"0.0.0.0/0\", \"port\": 0}]},"
	"{\"name\": \"platform1\", \"type\": \"platform\", \"address\": \"10.1.0.1\", \"pool\": \"10.1.0.0/16\","
	"  \"capacity\": 10, \"local\": true, \"ports\": 1}],"
	"\"links\": [[\"internet:0\", \"core:0\"], [\"core:1\", \"clients:0\"], [\"core:2\", \"platform1:0\"]]}";

/* A hop as vtrace__json writes it, with src and dst only. */
static json_t *hop(const char *node, const char *elem, int port, const char *src, const char *dst,
                   const char *changed)
{
	json_t *ch = json_array();
	if (changed)
		json_array_append_new(ch, json_string(changed));
	return json_pack("{s:s, s:s?, s:i, s:{s:{s:s, s:b}, s:{s:s, s:b}}, s:o, s:i}", "node", node,
	                 "element", elem, "port", port, "fields", "src", "value", src, "changed", 0,
	                 "dst", "value", dst, "changed", changed != NULL, "changed", ch, "layers", 1);
}

static json_t *full_report(void)
{
	const char *set = "SRC in {0.0.0.0-10.0.255.255 10.2.0.0-172.15.255.255}";
	json_t *hops = json_pack("[o, o, o, o, o, o, o, o, o]",
		hop("internet", NULL, 0, set, "DST in {10.1.0.0/16 172.16.0.0/16}", NULL),
		hop("core", NULL, 0, set, "DST=10.1.0.2", "dst"),
		hop("platform1", NULL, 0, set, "DST=10.1.0.2", NULL),
		hop("m", "rw", 0, set, "172.16.15.133", "dst"),
		hop("m", "out", 0, set, "172.16.15.133", NULL),
		hop("mine2", "x", 0, set, "172.16.15.133", NULL),
		hop("platform1", NULL, 0, set, "172.16.15.133", NULL),
		hop("core", NULL, 1, set, "172.16.15.133", NULL),
		hop("clients", NULL, 0, set, "172.16.15.133", NULL));
	json_t *trace = json_pack("{s:o, s:{s:s, s:s}, s:{s:s, s:s}}", "hops", hops, "witness", "src",
	                          "0.0.0.1", "dst", "172.16.15.133", "variables", "SRC",
	                          "{0.0.0.0-10.0.255.255 10.2.0.0-172.15.255.255}", "DPORT", "1500");
	/* "O" takes a reference for each of the two places: ours is dropped below */
	json_t *full = json_pack(
		"{s:s, s:{s:b, s:[{s:s, s:s, s:s, s:O}]}, s:{s:b, s:[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s, s:O}]},"
		" s:[{s:s, s:{s:s, s:i, s:s, s:s, s:s}}], s:[s]}",
		"verdict", "rejected",
		"requirements", "ok", 1, "results", "statement", "reach from internet -> m -> client",
		"verdict", "holds", "message", "the closest stops at core:0 near platform1, clients",
		"trace", trace,
		"policies", "ok", 0, "results",
		"statement", "reach from client udp -> internet", "kind", "reach", "verdict", "holds",
		"message", "a flow from client reaches internet",
		"statement", "never from internet -> core -> client", "kind", "never", "verdict", "fails",
		"message", "a flow reaches clients through core:0", "trace", trace,
		"candidates", "platform", "platform1", "failure", "kind", "policy", "policy", 2, "statement",
		"never from internet -> core -> client", "verdict", "fails", "message",
		"the closest stops at core:0 near platform1",
		"notes", "module opmod left out of the model: core:2 is taken");
	json_decref(trace);
	return full;
}

static struct snapshot *snap(void)
{
	struct diags d;
	diags_init(&d);
	struct snapshot *s = NULL;
	int rc = snapshot_parse(net_json, strlen(net_json), &s, &d);
	if (rc)
		diags_print(stderr, &d);
	diags_free(&d);
	assert_int_equal(rc, 0);
	return s;
}

static const char *const own[] = {"m", "mine2"};

static json_t *view(json_t *full, struct snapshot *s, enum ctl_detail det)
{
	static const char *const ops[] = {"opmod"};
	struct ctl_view v = {det, (const char *const *)own, 2, s, ops, 1};
	json_t *before = json_deep_copy(full);
	json_t *out = ctl__report_view(full, &v);
	assert_non_null(out);
	assert_true(json_equal(before, full)); /* the full report is left as it was */
	json_decref(before);
	return out;
}

static char *text(json_t *j)
{
	char *t = json_dumps(j, JSON_COMPACT);
	assert_non_null(t);
	return t;
}

static void test_boundary(void **state)
{
	(void)state;
	struct snapshot *s = snap();
	json_t *full = full_report();
	json_t *v = view(full, s, CTL_DETAIL_BOUNDARY);
	char *t = text(v);
	static const char *const never[] = {"core", "clients", "172.16.0.0", "10.1.0.0/16",
	                                    "10.0.255.255", "reach from client udp", "never from internet"};
	for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
		if (strstr(t, never[i]))
			fail_msg("'%s' in %s", never[i], t);
	/* the platform only as the candidate's placement */
	const char *pl = strstr(t, "platform1");
	assert_non_null(pl);
	assert_null(strstr(pl + 1, "platform1"));
	assert_non_null(strstr(t, "\"platform\":\"platform1\""));
	/* internet, operator network, m, m, mine2, operator network, client */
	json_t *hops = json_object_get(json_object_get(json_array_get(json_object_get(
		json_object_get(v, "requirements"), "results"), 0), "trace"), "hops");
	assert_int_equal(json_array_size(hops), 7);
	static const char *const want[] = {"internet", "operator network", "m", "m", "mine2",
	                                   "operator network", "client"};
	for (size_t i = 0; i < 7; i++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(hops, i), "node")), want[i]);
	json_t *b = json_array_get(hops, 1);
	assert_true(json_is_true(json_object_get(b, "boundary")));
	assert_true(json_is_null(json_object_get(b, "port")));
	/* the packet as it leaves the stretch; what the stretch changed */
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(b, "fields"),
	                                                                      "dst"), "value")), "DST=10.1.0.2");
	assert_string_equal(json_string_value(json_array_get(json_object_get(b, "changed"), 0)), "dst");
	assert_string_equal(json_string_value(json_object_get(json_array_get(hops, 2), "element")), "rw");
	assert_non_null(strstr(t, "SRC in (hidden)"));
	assert_non_null(strstr(t, "\"DPORT\":\"1500\""));
	assert_non_null(strstr(t, "\"dst\":\"172.16.15.133\"")); /* a witness address a hop shows */
	assert_non_null(strstr(t, "\"src\":\"hidden\""));
	assert_non_null(strstr(t, "the closest stops at the operator network near the operator network, client\""));
	assert_non_null(strstr(t, "an operator policy does not hold"));
	assert_non_null(strstr(t, "module the operator network left out"));
	/* which decided: the tenant's statement, the policy's number */
	assert_non_null(strstr(t, "reach from internet -> m -> client"));
	json_t *f = json_object_get(json_array_get(json_object_get(v, "candidates"), 0), "failure");
	assert_int_equal(json_integer_value(json_object_get(f, "policy")), 2);
	assert_null(json_object_get(f, "statement"));
	json_t *p2 = json_array_get(json_object_get(json_object_get(v, "policies"), "results"), 1);
	assert_int_equal(json_integer_value(json_object_get(p2, "policy")), 2);
	assert_string_equal(json_string_value(json_object_get(p2, "verdict")), "fails");
	assert_non_null(json_object_get(p2, "trace"));
	free(t);
	json_decref(v);
	json_decref(full);
	snapshot_unref(s);
}

static void test_none_and_full(void **state)
{
	(void)state;
	struct snapshot *s = snap();
	json_t *full = full_report();
	json_t *v = view(full, s, CTL_DETAIL_NONE);
	char *t = text(v);
	assert_null(strstr(t, "\"trace\""));
	assert_null(strstr(t, "core"));
	assert_non_null(strstr(t, "\"policy\":2"));
	free(t);
	json_decref(v);
	v = view(full, s, CTL_DETAIL_FULL);
	assert_ptr_equal(v, full);
	json_decref(v);
	json_decref(full);
	snapshot_unref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundary),
		cmocka_unit_test(test_none_and_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
