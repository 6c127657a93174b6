/* Snapshot validation: the Figure 3 network parses into the expected
 * structure; broken variants each give the expected JSON-path error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "snapshot/snapshot.h"

static const char base[] =
	"{\"nodes\": ["
	"{\"name\": \"r\", \"type\": \"router\", \"ports\": 2, \"routes\": ["
	"{\"prefix\": \"10.0.0.0/8\", \"port\": 1}, {\"prefix\": \"0.0.0.0/0\", \"port\": 0}]},"
	"{\"name\": \"c\", \"type\": \"hosts\", \"role\": \"client\", \"prefixes\": [\"172.16.0.0/16\"], \"ports\": 1},"
	"{\"name\": \"p1\", \"type\": \"platform\", \"address\": \"10.1.0.1\", \"pool\": \"10.1.0.0/16\", \"capacity\": 10, \"ports\": 1},"
	"{\"name\": \"p2\", \"type\": \"platform\", \"address\": \"10.2.0.1\", \"pool\": \"10.2.0.0/16\", \"capacity\": 10, \"ports\": 1},"
	"{\"name\": \"i\", \"type\": \"hosts\", \"role\": \"internet\", \"ports\": 1},"
	"{\"name\": \"m\", \"type\": \"middlebox\", \"ports\": 2, \"click\": \"FromDevice(0) -> ToDevice(1);\"}"
	"], \"links\": [[\"r:0\", \"i:0\"], [\"r:1\", \"p1:0\"], [\"m:0\", \"c:0\"]]}";

/* base with the first occurrence of `from` replaced by `to` */
static char *variant(const char *from, const char *to)
{
	const char *at = strstr(base, from);
	assert_non_null(at);
	size_t n = strlen(base) - strlen(from) + strlen(to);
	char *s = malloc(n + 1);
	size_t pre = (size_t)(at - base);
	memcpy(s, base, pre);
	strcpy(s + pre, to);
	strcat(s, at + strlen(from));
	return s;
}

static void test_base_parses(void **state)
{
	struct diags d;
	diags_init(&d);
	struct snapshot *s;
	assert_int_equal(snapshot_parse(base, strlen(base), &s, &d), 0);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(s->nnodes, 6);
	assert_int_equal(s->nlinks, 3);
	struct snap_endpoint e;
	assert_true(snapshot_peer(s, 0, 1, &e));
	assert_int_equal(e.node, 2);
	assert_int_equal(e.port, 0);
	assert_false(snapshot_peer(s, 3, 0, &e)); /* p2 is unlinked */
	assert_false(snapshot_peer(s, 99, 0, &e));
	snapshot_unref(s);
	diags_free(&d);
}

static void test_figure3(void **state)
{
	size_t len;
	char *text = th_read_file(th_example_path("figure3-network.json"), &len);
	assert_non_null(text);
	struct diags d;
	diags_init(&d);
	struct snapshot *s;
	if (snapshot_parse(text, len, &s, &d))
		diags_print(stderr, &d), fail();
	assert_int_equal(s->nnodes, 9);
	assert_int_equal(s->nlinks, 9);
	int fw = snapshot_find(s, "fw"), core = snapshot_find(s, "core"), p1 = snapshot_find(s, "platform1");
	int border = snapshot_find(s, "border"), clients = snapshot_find(s, "clients");
	assert_true(fw >= 0 && core >= 0 && p1 >= 0 && border >= 0 && clients >= 0);
	assert_int_equal(snapshot_find(s, "nope"), -1);
	assert_int_equal(s->nodes[fw].type, SNAP_MIDDLEBOX);
	assert_int_equal(s->nodes[fw].nports, 3);
	assert_non_null(strstr(s->nodes[fw].click, "IPRewriter"));
	assert_int_equal(s->nodes[border].nroutes, 4);
	assert_int_equal(s->nodes[border].routes[3].prefix.len, 0);
	assert_int_equal(s->nodes[border].routes[0].prefix.addr, 0xac100000u);
	assert_int_equal(s->nodes[border].routes[0].port, 1);
	assert_int_equal(s->nodes[clients].role, SNAP_ROLE_CLIENT);
	assert_int_equal(s->nodes[clients].nprefixes, 1);
	assert_int_equal(s->nodes[p1].address, 0x0a010001u);
	assert_int_equal(s->nodes[p1].pool.addr, 0x0a010000u);
	assert_int_equal(s->nodes[p1].pool.len, 16);
	assert_int_equal(s->nodes[p1].capacity, 1000);
	assert_string_equal(s->nodes[p1].pop, SNAPSHOT_DEFAULT_POP); /* no "pop": the reader's */
	struct snap_endpoint e;
	assert_true(snapshot_peer(s, (uint32_t)core, 3, &e));
	assert_int_equal(e.node, (uint32_t)p1);
	assert_true(snapshot_peer(s, (uint32_t)p1, 0, &e));
	assert_int_equal(e.node, (uint32_t)core);
	assert_int_equal(e.port, 3);
	/* canonical JSON round-trips */
	assert_non_null(s->json);
	struct snapshot *s2;
	assert_int_equal(snapshot_parse(s->json, strlen(s->json), &s2, &d), 0);
	assert_string_equal(s2->json, s->json);
	/* references */
	assert_ptr_equal(snapshot_ref(s), s);
	snapshot_unref(s);
	snapshot_unref(s2);
	snapshot_unref(s);
	diags_free(&d);
	free(text);
}

static void expect_error(char *json, const char *msg)
{
	struct diags d;
	diags_init(&d);
	struct snapshot *s = (struct snapshot *)&d; /* must be reset to NULL */
	int rc = snapshot_parse(json, strlen(json), &s, &d);
	assert_int_not_equal(rc, 0);
	assert_null(s);
	assert_true(d.nerrors >= 1);
	bool found = false;
	for (size_t i = 0; i < d.n; i++)
		found |= !strncmp(d.v[i].msg, msg, strlen(msg));
	if (!found) {
		diags_print(stderr, &d);
		fail_msg("no error starting with: %s", msg);
	}
	diags_free(&d);
	free(json);
}

static void test_broken_variants(void **state)
{
	expect_error(strdup("[1, 2]"), "$: the snapshot must be a JSON object, not an array");
	expect_error(strdup("{\"links\": []}"), "nodes: missing");
	expect_error(strdup("{\"nodes\": []}"), "nodes: must be a non-empty array of nodes");
	/* the good snapshot with one text replaced: from, to, the error */
	static const struct {
		const char *from, *to, *msg;
	} cases[] = {
		{"\"name\": \"r\"", "\"name\": \"a:b\"",
		 "nodes[0].name: 'a:b' is not a node name (1 to 64 characters, no ':', no spaces)"},
		{"\"name\": \"c\"", "\"name\": \"r\"",
		 "nodes[1].name: 'r' is already the name of nodes[0]"},
		{"\"type\": \"router\"", "\"type\": \"switch\"",
		 "nodes[0].type: 'switch' is not a node type (hosts, router, middlebox, platform)"},
		{"\"ports\": 2", "\"ports\": 0",
		 "nodes[0].ports: 0 is out of range [1, 1024]"},
		{"\"ports\": 2", "\"ports\": \"2\"",
		 "nodes[0].ports: must be an integer, not a string"},
		{"\"0.0.0.0/0\"", "\"10.0.0.0/33\"",
		 "nodes[0].routes[1].prefix: '10.0.0.0/33' is not an IPv4 prefix"},
		{"\"10.0.0.0/8\"", "\"10.0.0.1/8\"",
		 "nodes[0].routes[0].prefix: '10.0.0.1/8' has host bits set beyond the prefix length"},
		{"\"0.0.0.0/0\"", "\"10.0.0.0/8\"",
		 "nodes[0].routes[1].prefix: '10.0.0.0/8' is already routed by nodes[0].routes[0]"},
		{"\"port\": 1}", "\"port\": 5}",
		 "nodes[0].routes[0].port: 5 is out of range [0, 1]"},
		{"[\"r:0\", \"i:0\"]", "[\"r:0\", \"x:0\"]",
		 "links[0][1]: 'x:0': no node called 'x'"},
		{"[\"r:0\", \"i:0\"]", "[\"r:9\", \"i:0\"]",
		 "links[0][0]: 'r:9': r has ports 0 to 1"},
		{"[\"r:0\", \"i:0\"]", "[\"r:0\", \"i:zero\"]",
		 "links[0][1]: 'i:zero': port 'zero' is not a number"},
		{"[\"r:1\", \"p1:0\"]", "[\"r:0\", \"p1:0\"]",
		 "links[1][0]: r:0 is already linked"},
		{"[\"r:1\", \"p1:0\"]", "[\"r:1\", \"r:1\"]",
		 "links[1]: links a port to itself"},
		{"[\"r:1\", \"p1:0\"]", "[\"r:1\"]",
		 "links[1]: must be a pair [\"node:port\", \"node:port\"]"},
		{"\"10.2.0.0/16\"", "\"10.1.128.0/17\"",
		 "nodes[3].pool: 10.1.128.0/17 overlaps the pool 10.1.0.0/16 of p1 (nodes[2])"},
		{", \"prefixes\": [\"172.16.0.0/16\"]", "",
		 "nodes[1].prefixes: missing (client hosts need their address prefixes)"},
		{"\"role\": \"internet\"", "\"role\": \"internet\", \"prefixes\": [\"1.0.0.0/8\"]",
		 "nodes[4].prefixes: internet hosts take no prefixes"},
		{"\"role\": \"client\"", "\"role\": \"customer\"",
		 "nodes[1].role: 'customer' is not a hosts role (client or internet)"},
		{"\"capacity\": 10,", "\"capacity\": 10, \"local\": false,",
		 "nodes[2].peer_url: missing"},
		{"\"capacity\": 10,", "\"capacity\": 10, \"pop\": \"a.b\",",
		 "nodes[2].pop: 'a.b' is not a PoP name"},
		{"\"capacity\": 10,", "\"capacity\": 10, \"pop\": \"\",",
		 "nodes[2].pop: '' is not a PoP name"},
		{"\"capacity\": 10,", "\"capacity\": 10, \"pop\": \"p123456789012345678901234567890123\",",
		 "nodes[2].pop: 'p123456789012345678901234567890123' is not a PoP name"},
		{"\"capacity\": 10,", "\"capacity\": 10, \"pop\": 7,",
		 "nodes[2].pop: must be a string"},
		{"\"capacity\": 10,", "\"capacity\": 10, \"pop\": \"b\", \"local\": true,",
		 "nodes[2].pop: \"pop\" replaces \"local\" and \"peer_url\""},
		{"\"address\": \"10.1.0.1\"", "\"address\": \"10.1.0.256\"",
		 "nodes[2].address: '10.1.0.256' is not an IPv4 address"},
		{"\"ports\": 2, \"routes\"", "\"ports\": 2, \"colour\": 1, \"routes\"",
		 "nodes[0].colour: unknown key (expected one of: name, type, ports, comment, routes, ttl_decrement)"},
		{"\"click\": \"FromDevice(0) -> ToDevice(1);\"", "\"click\": \"\"",
		 "nodes[5].click: empty Click configuration"},
		{"{\"nodes\"", "{\"version\": 3, \"nodes\"",
		 "version: unknown key (expected one of: comment, nodes, links)"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_error(variant(cases[i].from, cases[i].to), cases[i].msg);
}

/* s parsed by the innetd of PoP `pop`, with no error; *warnings: how many. */
static struct snapshot *parse_at(const char *json, const char *pop, size_t *warnings)
{
	struct diags d;
	diags_init(&d);
	struct snapshot *s;
	if (snapshot_parse_pop(json, strlen(json), pop, &s, &d))
		diags_print(stderr, &d), fail();
	*warnings = d.n;
	diags_free(&d);
	return s;
}

static void test_pop(void **state)
{
	assert_true(snapshot_pop_valid("pop1"));
	assert_true(snapshot_pop_valid("Paris_east-2"));
	assert_true(snapshot_pop_valid("p1234567890123456789012345678901")); /* 32 */
	assert_false(snapshot_pop_valid("p12345678901234567890123456789012")); /* 33 */
	assert_false(snapshot_pop_valid(""));
	assert_false(snapshot_pop_valid("a b"));
	assert_false(snapshot_pop_valid("a.b"));
	size_t w;

	/* the new form: each platform names its PoP; kept as given */
	char *j = variant("\"pool\": \"10.2.0.0/16\", \"capacity\": 10,",
	            "\"pool\": \"10.2.0.0/16\", \"capacity\": 10, \"pop\": \"lyon\",");
	struct snapshot *s = parse_at(j, "paris", &w);
	assert_int_equal(w, 0);
	int p1 = snapshot_find(s, "p1"), p2 = snapshot_find(s, "p2");
	assert_string_equal(s->nodes[p1].pop, "paris"); /* no pop: the reader's, no warning */
	assert_string_equal(s->nodes[p2].pop, "lyon");
	/* the canonical text names every pop, and reads the same anywhere */
	assert_non_null(strstr(s->json, "\"pop\":\"paris\""));
	assert_non_null(strstr(s->json, "\"pop\":\"lyon\""));
	struct snapshot *s2 = parse_at(s->json, "elsewhere", &w);
	assert_string_equal(s2->json, s->json);
	assert_string_equal(s2->nodes[p1].pop, "paris");
	snapshot_unref(s2);
	snapshot_unref(s);
	free(j);

	/* the old form: local true -> the reader's PoP; local false with a
	 * peer_url -> the URL's host; one warning each, written as "pop" */
	j = variant("\"pool\": \"10.2.0.0/16\", \"capacity\": 10,",
	            "\"pool\": \"10.2.0.0/16\", \"capacity\": 10, \"local\": false, "
	            "\"peer_url\": \"http://pop2.example.net:8080/\",");
	char *j2 = NULL;
	{
		const char *at = strstr(j, "\"capacity\": 10, \"ports\": 1}");
		assert_non_null(at);
		size_t pre = (size_t)(at - j);
		const char *ins = "\"local\": true, ";
		j2 = malloc(strlen(j) + strlen(ins) + 1);
		memcpy(j2, j, pre);
		strcpy(j2 + pre, ins);
		strcat(j2, at);
	}
	s = parse_at(j2, "paris", &w);
	assert_int_equal(w, 2);
	assert_string_equal(s->nodes[p1].pop, "paris");
	assert_string_equal(s->nodes[p2].pop, "pop2-example-net");
	assert_null(strstr(s->json, "local"));
	assert_null(strstr(s->json, "peer_url"));
	s2 = parse_at(s->json, "paris", &w);
	assert_int_equal(w, 0); /* stored canonical: no old form left */
	assert_string_equal(s2->json, s->json);
	snapshot_unref(s2);
	snapshot_unref(s);
	/* the PoP a peer_url names */
	static const char *const urls[][2] = {
		{"http://10.0.0.2:8080", "10-0-0-2"}, {"https://[2001:db8::1]:443/", "2001-db8--1"},
		{"http://Lyon_2/x", "Lyon_2"}, {"http://:80", "peer"},
		{"http://a23456789012345678901234567890123456789.net", "a2345678901234567890123456789012"},
	};
	for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		char from[128], *v;
		snprintf(from, sizeof from, "\"capacity\": 10, \"local\": false, \"peer_url\": \"%s\",",
		         urls[i][0]);
		v = variant("\"capacity\": 10,", from);
		s = parse_at(v, "paris", &w);
		assert_string_equal(s->nodes[p1].pop, urls[i][1]);
		snapshot_unref(s);
		free(v);
	}
	/* read without a PoP: the default one */
	s = parse_at(j2, NULL, &w);
	assert_string_equal(s->nodes[p1].pop, SNAPSHOT_DEFAULT_POP);
	snapshot_unref(s);
	free(j);
	free(j2);
}

static void test_json_syntax_errors(void **state)
{
	struct diags d;
	diags_init(&d);
	struct snapshot *s;
	const char *bad = "{\"nodes\": [\n  {\"name\": \"a\",,}\n]}";
	assert_int_not_equal(snapshot_parse(bad, strlen(bad), &s, &d), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].line, 2);
	assert_true(d.v[0].col > 0);
	assert_non_null(strstr(d.v[0].msg, "invalid JSON"));
	diags_clear(&d);
	const char *dup = "{\"nodes\": [], \"nodes\": []}";
	assert_int_not_equal(snapshot_parse(dup, strlen(dup), &s, &d), 0);
	assert_non_null(strstr(d.v[0].msg, "duplicate"));
	diags_free(&d);
}

static void test_every_error_reported(void **state)
{
	/* several independent mistakes: each gets its own diagnostic */
	char *s1 = variant("\"10.0.0.0/8\"", "\"bad\"");
	char *s2 = strdup(s1);
	free(s1);
	char *p = strstr(s2, "\"10.2.0.1\"");
	memcpy(p, "\"10.2.0.x\"", 10);
	struct diags d;
	diags_init(&d);
	struct snapshot *s;
	assert_int_not_equal(snapshot_parse(s2, strlen(s2), &s, &d), 0);
	if (d.nerrors != 2)
		diags_print(stderr, &d), fail();
	diags_free(&d);
	free(s2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_parses),
		cmocka_unit_test(test_figure3),
		cmocka_unit_test(test_broken_variants),
		cmocka_unit_test(test_pop),
		cmocka_unit_test(test_json_syntax_errors),
		cmocka_unit_test(test_every_error_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
