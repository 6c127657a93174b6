/* The verifier against the paper's examples and the cases of issue 4:
 * each test checks the verdict and what the trace shows. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/inet.h"
#include "harness.h"
#include "snapshot/snapshot.h"
#include "verify/verify.h"

/* ---- helpers ------------------------------------------------------------------- */

struct world {
	struct snapshot *snap;
	struct vfy_base *base;
	struct vfy_net *net;
	struct vfy_report *rep;
	struct vfy_reqs *reqs;
	struct src_file src;
	char *text;
	json_t *json;
};

static void world_load(struct world *w, const char *json)
{
	struct diags d;
	diags_init(&d);
	memset(w, 0, sizeof *w);
	int rc = snapshot_parse(json, strlen(json), &w->snap, &d);
	if (rc < 0)
		diags_print(stderr, &d);
	assert_int_equal(rc, 0);
	rc = vfy_base_build(w->snap, &w->base, &d);
	if (rc < 0)
		diags_print(stderr, &d);
	assert_int_equal(rc, 0);
	w->net = vfy_net_new(w->base);
	assert_non_null(w->net);
	diags_free(&d);
}

static void world_add(struct world *w, const char *name, const char *click, const char *platform,
                      const char *addr)
{
	struct diags d;
	diags_init(&d);
	struct vfy_module m = {.name = name, .click = click, .platform = platform};
	assert_int_equal(inet_parse_addr(addr, strlen(addr), &m.address), 0);
	int rc = vfy_net_add_module(w->net, &m, &d);
	if (rc < 0)
		diags_print(stderr, &d);
	assert_int_equal(rc, 0);
	diags_free(&d);
}

static void world_check(struct world *w, const char *stmts)
{
	struct diags d;
	diags_init(&d);
	vfy_report_free(w->rep);
	vfy_reqs_free(w->reqs);
	json_decref(w->json);
	free(w->text);
	w->text = strdup(stmts);
	w->src = (struct src_file){"<test>", w->text, strlen(w->text)};
	int rc = vfy_reqs_parse(&w->src, &w->reqs, &d);
	if (rc < 0)
		diags_print(stderr, &d);
	assert_int_equal(rc, 0);
	assert_int_equal(vfy_check(w->net, w->reqs, NULL, &w->rep), 0);
	w->json = vfy_report_json(w->rep);
	if (getenv("VERIFY_TEST_VERBOSE"))
		json_dumpf(w->json, stderr, JSON_INDENT(2));
	diags_free(&d);
}

static void world_free(struct world *w)
{
	json_decref(w->json);
	vfy_report_free(w->rep);
	vfy_reqs_free(w->reqs);
	vfy_net_free(w->net);
	vfy_base_unref(w->base);
	snapshot_unref(w->snap);
	free(w->text);
}

static struct vfy_result res(struct world *w, size_t i)
{
	struct vfy_result r;
	assert_true(i < vfy_report_count(w->rep));
	vfy_report_result(w->rep, i, &r);
	return r;
}

static json_t *trace_hops(struct world *w, size_t i, const char *which)
{
	json_t *r = json_array_get(json_object_get(w->json, "results"), i);
	json_t *t = json_object_get(r, which ? which : "trace");
	return json_object_get(t, "hops");
}

/* The value of `field` as the packet leaves the first hop at `node`
 * (element NULL: the node itself), or NULL. */
static const char *value_at(struct world *w, size_t i, const char *node, const char *elem,
                            const char *field)
{
	json_t *hops = trace_hops(w, i, NULL);
	size_t k;
	json_t *h;
	json_array_foreach(hops, k, h) {
		const char *n = json_string_value(json_object_get(h, "node"));
		json_t *e = json_object_get(h, "element");
		if (strcmp(n, node))
			continue;
		/* elements by name or, for anonymous ones ("IPFilter@3"), class prefix */
		if (elem ? (!json_is_string(e) || strncmp(json_string_value(e), elem, strlen(elem))) : !json_is_null(e))
			continue;
		return json_string_value(json_object_get(json_object_get(json_object_get(h, "fields"), field), "value"));
	}
	return NULL;
}

static bool trace_visits(struct world *w, size_t i, const char *node)
{
	json_t *hops = trace_hops(w, i, NULL);
	size_t k;
	json_t *h;
	json_array_foreach(hops, k, h)
		if (!strcmp(json_string_value(json_object_get(h, "node")), node))
			return true;
	return false;
}

/* The variable a value names ("SRC in 10.0.0.0/8" -> "SRC"). */
static char *var_of(const char *v)
{
	assert_non_null(v);
	size_t n = strcspn(v, " =+-");
	return strndup(v, n);
}

static char *load_example(const char *rel)
{
	size_t len;
	char *t = th_read_file(th_example_path(rel), &len);
	assert_non_null(t);
	return t;
}

/* ---- Figure 1/2 ----------------------------------------------------------------- */

static const char *fig1_net =
	"{\"nodes\": ["
	" {\"name\": \"clients\", \"type\": \"hosts\", \"role\": \"client\", \"prefixes\": [\"172.16.0.0/16\"], \"ports\": 1},"
	" {\"name\": \"internet\", \"type\": \"hosts\", \"role\": \"internet\", \"ports\": 1},"
	" {\"name\": \"fw\", \"type\": \"middlebox\", \"ports\": 2, \"click\":"
	"   \"rw :: IPRewriter(pattern - - - - 0 1, drop); FromDevice(0) -> IPFilter(allow udp, deny all) -> [0]rw;"
	"    FromDevice(1) -> [1]rw; rw[0] -> ToDevice(1); rw[1] -> ToDevice(0);\"},"
	" {\"name\": \"r\", \"type\": \"router\", \"ports\": 3, \"routes\": ["
	"   {\"prefix\": \"172.16.0.0/16\", \"port\": 0}, {\"prefix\": \"10.9.0.0/16\", \"port\": 2},"
	"   {\"prefix\": \"0.0.0.0/0\", \"port\": 1}]},"
	" {\"name\": \"pop\", \"type\": \"platform\", \"address\": \"10.9.0.1\", \"pool\": \"10.9.0.0/16\","
	"   \"capacity\": 10, \"local\": true, \"ports\": 1}"
	"], \"links\": [[\"clients:0\", \"fw:0\"], [\"fw:1\", \"r:0\"], [\"r:1\", \"internet:0\"], [\"r:2\", \"pop:0\"]]}";

static void test_figure1_payload_unchanged(void **state)
{
	struct world w;
	world_load(&w, fig1_net);
	world_check(&w, "reach from client udp -> internet const payload\n"
	                "reach from client tcp -> internet\n");
	assert_int_equal(res(&w, 0).verdict, VFY_HOLDS);
	/* the payload at the server is the variable the client's packet had */
	assert_string_equal(value_at(&w, 0, "clients", NULL, "payload"), "DATA");
	assert_string_equal(vfy_report_final_field(w.rep, 0, "payload"), "DATA");
	assert_string_equal(value_at(&w, 0, "fw", "IPFilter", "proto"), "PROTO=17");
	/* the firewall lets only UDP out */
	assert_int_equal(res(&w, 1).verdict, VFY_FAILS);
	world_free(&w);
}

static void test_figure2_server_internet_vs_platform(void **state)
{
	struct world w;
	world_load(&w, fig1_net);
	world_add(&w, "S", "FromNetFront() -> IPMirror -> ToNetFront()", "pop", "10.9.0.2");
	world_check(&w, "reach from client udp -> internet -> client\n"
	                "reach from client udp dst 10.9.0.2 -> S -> client\n");
	assert_int_equal(res(&w, 0).verdict, VFY_HOLDS);
	assert_int_equal(res(&w, 1).verdict, VFY_HOLDS);
	/* the same symbolic packet reaches the client: src is the variable the
	 * request's dst was, dst the client's own source variable, same
	 * protocol and payload */
	static const char *const fields[] = {"src", "dst", "proto", "payload", "sport", "dport"};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		char *a = var_of(vfy_report_final_field(w.rep, 0, fields[i]));
		char *b = var_of(vfy_report_final_field(w.rep, 1, fields[i]));
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	char *src = var_of(vfy_report_final_field(w.rep, 0, "src"));
	char *dst = var_of(vfy_report_final_field(w.rep, 0, "dst"));
	assert_string_equal(src, "DST");
	assert_string_equal(dst, "SRC");
	free(src);
	free(dst);
	/* and the server on the platform answered from its own address */
	assert_string_equal(vfy_report_final_field(w.rep, 1, "src"), "DST=10.9.0.2");
	world_free(&w);
}

/* ---- Figure 3/4 -------------------------------------------------------------- */

static void test_figure4_placement(void **state)
{
	char *net = load_example("figure3-network.json");
	char *click = load_example("figure4-batcher.click");
	char *policy = load_example("figure3-policy.reach");
	char *reqs = load_example("figure4-batcher.reach");
	size_t n = strlen(policy) + strlen(reqs) + 2;
	char *all = malloc(n);
	snprintf(all, n, "%s\n%s", policy, reqs);
	static const char *const plats[] = {"platform1", "platform2", "platform3"};
	static const char *const addrs[] = {"10.1.0.2", "10.2.0.2", "192.0.2.2"};
	for (int p = 0; p < 3; p++) {
		struct world w;
		world_load(&w, net);
		world_add(&w, "batcher", click, plats[p], addrs[p]);
		world_check(&w, all);
		assert_int_equal(vfy_report_count(w.rep), 5);
		for (size_t i = 0; i < 4; i++) /* the operator policy holds wherever it runs */
			assert_int_equal(res(&w, i).verdict, VFY_HOLDS);
		struct vfy_result r = res(&w, 4);
		if (p < 2) {
			/* the firewall drops unsolicited flows towards platform1/2 */
			assert_int_equal(r.verdict, VFY_FAILS);
			assert_non_null(strstr(r.message, "hop 1"));
			assert_non_null(strstr(r.message, "batcher:dst:0"));
			/* and why: the rewriter's drop spec on the outside input */
			assert_non_null(strstr(r.message, "the closest stops at fw:rw:1"));
			assert_false(trace_visits(&w, 4, "batcher"));
		} else {
			assert_int_equal(r.verdict, VFY_HOLDS);
			assert_false(r.approximate);
			assert_true(trace_visits(&w, 4, "batcher"));
			assert_true(trace_visits(&w, 4, "fw"));
			assert_string_equal(value_at(&w, 4, "batcher", "dst", "dst"), "172.16.15.133");
			assert_string_equal(value_at(&w, 4, "clients", NULL, "proto"), "PROTO=17");
			assert_string_equal(vfy_report_final_field(w.rep, 4, "payload"), "DATA");
		}
		world_free(&w);
	}
	free(all);
	free(net);
	free(click);
	free(policy);
	free(reqs);
}

static char *replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	assert_non_null(p);
	size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
	char *o = malloc(n);
	snprintf(o, n, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
	return o;
}

static void test_figure3_policy_and_bypass(void **state)
{
	char *net = load_example("figure3-network.json");
	char *policy = load_example("figure3-policy.reach");
	struct world w;
	world_load(&w, net);
	world_check(&w, policy);
	for (size_t i = 0; i < vfy_report_count(w.rep); i++)
		assert_int_equal(res(&w, i).verdict, VFY_HOLDS);
	assert_false(res(&w, 0).vacuous);
	world_free(&w);

	/* take the HTTP optimizer off the path: fw:2 goes straight to core:1 */
	char *a = replace(net, "[\"fw:2\", \"HTTPOptimizer:0\"],", "");
	char *bypass = replace(a, "[\"HTTPOptimizer:1\", \"core:1\"],", "[\"fw:2\", \"core:1\"],");
	world_load(&w, bypass);
	world_check(&w, policy);
	struct vfy_result r = res(&w, 0);
	assert_int_equal(r.verdict, VFY_FAILS);
	assert_non_null(strstr(r.message, "without passing HTTPOptimizer"));
	assert_true(trace_visits(&w, 0, "internet"));
	assert_true(trace_visits(&w, 0, "fw"));
	assert_false(trace_visits(&w, 0, "HTTPOptimizer"));
	/* the trace shows the reply: internet answered, back to the client */
	assert_string_equal(value_at(&w, 0, "fw", "web", "sport"), "DPORT=80");
	world_free(&w);

	/* only unlinked: web replies are lost, nothing reaches the client */
	world_load(&w, a);
	world_check(&w, policy);
	assert_int_equal(res(&w, 0).verdict, VFY_HOLDS);
	assert_true(res(&w, 0).vacuous);
	world_free(&w);
	free(a);
	free(bypass);
	free(net);
	free(policy);
}

/* ---- NAT, firewall state ------------------------------------------------------ */

static const char *nat_net =
	"{\"nodes\": ["
	" {\"name\": \"clients\", \"type\": \"hosts\", \"role\": \"client\", \"prefixes\": [\"172.16.0.0/16\"], \"ports\": 1},"
	" {\"name\": \"internet\", \"type\": \"hosts\", \"role\": \"internet\", \"ports\": 1},"
	" {\"name\": \"nat\", \"type\": \"middlebox\", \"ports\": 2, \"click\":"
	"   \"rw :: IPRewriter(pattern 203.0.113.1 1024-65535 - - 0 1, drop);"
	"    FromDevice(0) -> [0]rw; FromDevice(1) -> [1]rw; rw[0] -> ToDevice(1); rw[1] -> ToDevice(0);\"},"
	" {\"name\": \"r\", \"type\": \"router\", \"ports\": 2, \"routes\": ["
	"   {\"prefix\": \"172.16.0.0/16\", \"port\": 0}, {\"prefix\": \"203.0.113.1/32\", \"port\": 0},"
	"   {\"prefix\": \"0.0.0.0/0\", \"port\": 1}]}"
	"], \"links\": [[\"clients:0\", \"nat:0\"], [\"nat:1\", \"r:0\"], [\"r:1\", \"internet:0\"]]}";

static void test_nat_return_path(void **state)
{
	struct world w;
	world_load(&w, nat_net);
	world_check(&w, "reach from client udp -> internet -> client\n"
	                "never from internet udp -> client\n"
	                "reach from client udp -> internet src 203.0.113.1 -> client\n");
	assert_int_equal(res(&w, 0).verdict, VFY_HOLDS);
	/* on the outside the source is the NAT's address and a port it chose */
	assert_string_equal(value_at(&w, 0, "nat", "rw", "src"), "203.0.113.1");
	assert_non_null(strstr(value_at(&w, 0, "nat", "rw", "sport"), "1024-65535"));
	/* the reply is rewritten back to the client's own address and port */
	char *d = var_of(vfy_report_final_field(w.rep, 0, "dst"));
	char *p = var_of(vfy_report_final_field(w.rep, 0, "dport"));
	assert_string_equal(d, "SRC");
	assert_string_equal(p, "SPORT");
	free(d);
	free(p);
	assert_int_equal(res(&w, 1).verdict, VFY_HOLDS);
	assert_false(res(&w, 1).vacuous);
	assert_int_equal(res(&w, 2).verdict, VFY_HOLDS);
	world_free(&w);
}

static void test_firewall_state(void **state)
{
	struct world w;
	world_load(&w, fig1_net);
	world_check(&w, "reach from client udp -> internet -> client\n"
	                "never from internet udp -> client\n"
	                "never from internet -> client\n"
	                "reach from client tcp -> internet -> client\n");
	/* the reply finds the mapping its request pushed into the flow */
	assert_int_equal(res(&w, 0).verdict, VFY_HOLDS);
	char *a = var_of(value_at(&w, 0, "internet", NULL, "src"));
	char *b = var_of(value_at(&w, 0, "clients", NULL, "dst"));
	assert_string_equal(a, b);
	free(a);
	free(b);
	/* unsolicited traffic from outside never gets in */
	assert_int_equal(res(&w, 1).verdict, VFY_HOLDS);
	assert_int_equal(res(&w, 2).verdict, VFY_HOLDS);
	assert_int_equal(res(&w, 3).verdict, VFY_FAILS);
	world_free(&w);
}

/* ---- TTL, encapsulation ----------------------------------------------------------- */

static const char *ttl_net =
	"{\"nodes\": ["
	" {\"name\": \"clients\", \"type\": \"hosts\", \"role\": \"client\", \"prefixes\": [\"172.16.0.0/16\"], \"ports\": 1},"
	" {\"name\": \"internet\", \"type\": \"hosts\", \"role\": \"internet\", \"ports\": 1},"
	" {\"name\": \"r1\", \"type\": \"router\", \"ports\": 2, \"ttl_decrement\": true, \"routes\": ["
	"   {\"prefix\": \"172.16.0.0/16\", \"port\": 0}, {\"prefix\": \"0.0.0.0/0\", \"port\": 1}]},"
	" {\"name\": \"r2\", \"type\": \"router\", \"ports\": 2, \"ttl_decrement\": true, \"routes\": ["
	"   {\"prefix\": \"172.16.0.0/16\", \"port\": 0}, {\"prefix\": \"0.0.0.0/0\", \"port\": 1}]}"
	"], \"links\": [[\"clients:0\", \"r1:0\"], [\"r1:1\", \"r2:0\"], [\"r2:1\", \"internet:0\"]]}";

static void test_ttl_decrement(void **state)
{
	struct world w;
	world_load(&w, ttl_net);
	world_check(&w, "reach from client -> internet\n"
	                "reach from client ip ttl 2 -> internet\n"
	                "reach from client -> internet const ttl\n");
	assert_int_equal(res(&w, 0).verdict, VFY_HOLDS);
	const char *t = vfy_report_final_field(w.rep, 0, "ttl");
	assert_non_null(strstr(t, "TTL-2"));
	assert_non_null(strstr(t, "1-253")); /* TTL >= 3 made it */
	assert_non_null(strstr(value_at(&w, 0, "r1", NULL, "ttl"), "TTL-1"));
	/* a packet with TTL 2 dies at r2 */
	assert_int_equal(res(&w, 1).verdict, VFY_FAILS);
	/* the routers write the TTL */
	assert_int_equal(res(&w, 2).verdict, VFY_FAILS);
	/* const tracks the last definition: r2 wrote it last */
	assert_non_null(strstr(res(&w, 2).message, "'ttl' is written at r2"));
	world_free(&w);
}

static void test_encap_decap(void **state)
{
	struct world w;
	world_load(&w, fig1_net);
	world_add(&w, "enc", "FromNetFront() -> UDPIPEncap(10.9.0.2, 4789, 198.51.100.7, 4789) -> ToNetFront()",
	          "pop", "10.9.0.2");
	world_add(&w, "dec", "FromNetFront() -> Strip(28) -> CheckIPHeader -> ToNetFront()", "pop", "10.9.0.3");
	world_add(&w, "rt",
	          "FromNetFront() -> UDPIPEncap(10.9.0.4, 1, 10.9.0.9, 2) -> Strip(28) -> CheckIPHeader"
	          " -> IPRewriter(pattern - - 198.51.100.7 - 0 0) -> ToNetFront()",
	          "pop", "10.9.0.4");
	world_check(&w, "reach from client udp dst 10.9.0.2 -> enc -> internet dst 198.51.100.7 and udp dst port 4789 const payload\n"
	                "reach from internet udp dst 10.9.0.3 -> dec -> internet\n"
	                "reach from client udp dst 10.9.0.4 -> rt -> internet const payload && proto\n");
	/* encapsulation: a new outer header, the payload beneath untouched */
	assert_int_equal(res(&w, 0).verdict, VFY_HOLDS);
	assert_string_equal(vfy_report_final_field(w.rep, 0, "src"), "10.9.0.2");
	assert_string_equal(vfy_report_final_field(w.rep, 0, "dport"), "4789");
	json_t *hops = trace_hops(&w, 0, NULL);
	json_t *last = json_array_get(hops, json_array_size(hops) - 1);
	assert_int_equal(json_integer_value(json_object_get(last, "layers")), 2);
	/* decapsulation: the inner header is fresh, so it may go anywhere */
	assert_int_equal(res(&w, 1).verdict, VFY_HOLDS);
	char *src = var_of(vfy_report_final_field(w.rep, 1, "src"));
	assert_non_null(strchr(src, '#')); /* a new variable, not the outer SRC */
	free(src);
	/* encapsulate then decapsulate: the original header comes back */
	assert_int_equal(res(&w, 2).verdict, VFY_HOLDS);
	char *s2 = var_of(vfy_report_final_field(w.rep, 2, "src"));
	assert_string_equal(s2, "SRC");
	free(s2);
	assert_string_equal(vfy_report_final_field(w.rep, 2, "proto"), "PROTO=17");
	world_free(&w);
}

/* ---- const, loops, vacuity -------------------------------------------------------- */

static void test_const_violated_by_rewriter(void **state)
{
	char *net = load_example("figure3-network.json");
	char *click = load_example("figure4-batcher.click");
	struct world w;
	world_load(&w, net);
	world_add(&w, "batcher", click, "platform3", "192.0.2.2");
	world_check(&w, "reach from internet udp dst 192.0.2.2 -> client const dst\n"
	                "reach from internet udp dst 192.0.2.2 -> client const payload && proto\n");
	struct vfy_result r = res(&w, 0);
	assert_int_equal(r.verdict, VFY_FAILS);
	assert_non_null(strstr(r.message, "'dst' is written at batcher:IPRewriter"));
	assert_int_equal(res(&w, 1).verdict, VFY_HOLDS);
	world_free(&w);
	free(net);
	free(click);
}

/* An inline firewall between the internet and the clients: its rewriter
 * (spec FW_SPEC) sees inbound TCP; web traffic may take a second spec. */
static char *dpi_net(const char *spec, const char *web_spec)
{
	char *net = NULL;
	int n = asprintf(&net,
		"{\"nodes\": ["
		" {\"name\": \"clients\", \"type\": \"hosts\", \"role\": \"client\", \"prefixes\": [\"172.16.0.0/16\"], \"ports\": 1},"
		" {\"name\": \"internet\", \"type\": \"hosts\", \"role\": \"internet\", \"ports\": 1},"
		" {\"name\": \"fw\", \"type\": \"middlebox\", \"ports\": 2, \"click\":"
		"   \"rw :: IPRewriter(%s); web :: IPRewriter(%s);"
		"    FromDevice(0) -> IPFilter(allow tcp, deny all) -> c :: IPClassifier(dst port 80, -);"
		"    c[0] -> web -> ToDevice(1); c[1] -> rw -> ToDevice(1); rw[1] -> Discard; web[1] -> Discard;"
		"    FromDevice(1) -> Discard;\"}"
		"], \"links\": [[\"internet:0\", \"fw:0\"], [\"fw:1\", \"clients:0\"]]}",
		spec, web_spec);
	assert_true(n > 0);
	return net;
}

/* const is about values: a write that keeps the value is no change */
static void test_const_kept_by_rewriter(void **state)
{
	struct world w;
	char *net = dpi_net("pattern - - - - 0 1", "pattern - - - - 0 1");
	world_load(&w, net);
	world_check(&w, "reach from internet tcp -> fw -> client const dst\n"
	                "always from internet tcp -> fw -> client const dst && dport && src && sport\n");
	assert_int_equal(res(&w, 0).verdict, VFY_HOLDS);
	assert_int_equal(res(&w, 1).verdict, VFY_HOLDS);
	assert_false(res(&w, 1).vacuous);
	world_free(&w);
	free(net);
	/* a pattern that sets the destination changes it */
	net = dpi_net("pattern - - 10.0.0.1 - 0 1", "pattern - - 10.0.0.1 - 0 1");
	world_load(&w, net);
	world_check(&w, "reach from internet tcp -> fw -> client const dst\n"
	                "reach from internet tcp -> fw -> client const src && sport && dport\n");
	struct vfy_result r = res(&w, 0);
	assert_int_equal(r.verdict, VFY_FAILS);
	assert_non_null(strstr(r.message, "'dst' is written at fw:"));
	assert_non_null(strstr(r.message, ":0, between fw and client"));
	assert_int_equal(res(&w, 1).verdict, VFY_HOLDS);
	world_free(&w);
	free(net);
	/* sound on every path: web traffic alone is rewritten, so "always"
	 * fails and names the web rewriter, while "reach" finds the other path */
	net = dpi_net("pattern - - - - 0 1", "pattern - - 10.0.0.1 - 0 1");
	world_load(&w, net);
	world_check(&w, "reach from internet tcp -> fw -> client const dst\n"
	                "always from internet tcp -> fw -> client const dst\n"
	                "reach from internet tcp dst port 80 -> fw -> client const dst\n");
	assert_int_equal(res(&w, 0).verdict, VFY_HOLDS);
	r = res(&w, 1);
	assert_int_equal(r.verdict, VFY_FAILS);
	assert_non_null(strstr(r.message, "'dst' is written at fw:web:0"));
	assert_int_equal(res(&w, 2).verdict, VFY_FAILS);
	world_free(&w);
	free(net);
}

/* A reply's mapping restores the addresses the reply already has (a
 * firewall that keeps them) or changes them (a NAT). */
static void test_const_across_mapping(void **state)
{
	struct world w;
	world_load(&w, fig1_net);
	world_check(&w, "reach from client udp -> internet -> fw:rw:1 -> client const dst && dport\n");
	assert_int_equal(res(&w, 0).verdict, VFY_HOLDS);
	world_free(&w);
	world_load(&w, nat_net);
	world_check(&w, "reach from client udp -> internet -> nat:rw:1 -> client const dst\n"
	                "reach from client udp -> internet -> nat:rw:1 -> client const src && sport\n");
	struct vfy_result r = res(&w, 0);
	assert_int_equal(r.verdict, VFY_FAILS);
	assert_non_null(strstr(r.message, "'dst' is written at nat:rw:1"));
	assert_int_equal(res(&w, 1).verdict, VFY_HOLDS);
	world_free(&w);
}

static const char *loop_net =
	"{\"nodes\": ["
	" {\"name\": \"clients\", \"type\": \"hosts\", \"role\": \"client\", \"prefixes\": [\"172.16.0.0/16\"], \"ports\": 1},"
	" {\"name\": \"internet\", \"type\": \"hosts\", \"role\": \"internet\", \"ports\": 1},"
	" {\"name\": \"a\", \"type\": \"router\", \"ports\": 3, \"routes\": ["
	"   {\"prefix\": \"172.16.0.0/16\", \"port\": 0}, {\"prefix\": \"10.0.0.0/8\", \"port\": 1},"
	"   {\"prefix\": \"0.0.0.0/0\", \"port\": 2}]},"
	" {\"name\": \"b\", \"type\": \"router\", \"ports\": 1, \"routes\": ["
	"   {\"prefix\": \"0.0.0.0/0\", \"port\": 0}]}"
	"], \"links\": [[\"clients:0\", \"a:0\"], [\"a:1\", \"b:0\"], [\"a:2\", \"internet:0\"]]}";

static void test_routing_loop(void **state)
{
	struct world w;
	world_load(&w, loop_net);
	world_check(&w, "reach from client dst 10.1.2.3 -> internet\n"
	                "reach from client dst 8.8.8.8 -> internet\n");
	struct vfy_result r = res(&w, 0);
	assert_int_equal(r.verdict, VFY_FAILS);
	assert_true(r.loops >= 1);
	assert_non_null(strstr(r.message, "looping"));
	/* the cut flow went a -> b -> a -> b: cut at b's port, seen before in
	 * the same state */
	json_t *hops = trace_hops(&w, 0, "loop_trace");
	assert_non_null(hops);
	size_t n = json_array_size(hops);
	assert_true(n >= 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(hops, n - 1), "node")), "b");
	assert_string_equal(json_string_value(json_object_get(json_array_get(hops, n - 2), "node")), "a");
	assert_string_equal(json_string_value(json_object_get(json_array_get(hops, n - 3), "node")), "b");
	assert_int_equal(res(&w, 1).verdict, VFY_HOLDS);
	assert_int_equal(res(&w, 1).loops, 0);
	world_free(&w);
}

/* A network of clients, n routers in a chain, the internet. */
static char *chain_net(int n)
{
	size_t cap = 512 + (size_t)n * 256, len = 0;
	char *b = malloc(cap);
	assert_non_null(b);
	len += (size_t)snprintf(b + len, cap - len,
		"{\"nodes\": [{\"name\": \"clients\", \"type\": \"hosts\", \"role\": \"client\","
		" \"prefixes\": [\"172.16.0.0/16\"], \"ports\": 1},"
		" {\"name\": \"internet\", \"type\": \"hosts\", \"role\": \"internet\", \"ports\": 1}");
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(b + len, cap - len,
			", {\"name\": \"r%d\", \"type\": \"router\", \"ports\": 2, \"routes\": ["
			"{\"prefix\": \"172.16.0.0/16\", \"port\": 0}, {\"prefix\": \"0.0.0.0/0\", \"port\": 1}]}", i);
	len += (size_t)snprintf(b + len, cap - len, "], \"links\": [[\"clients:0\", \"r0:0\"]");
	for (int i = 1; i < n; i++)
		len += (size_t)snprintf(b + len, cap - len, ", [\"r%d:1\", \"r%d:0\"]", i - 1, i);
	snprintf(b + len, cap - len, ", [\"r%d:1\", \"internet:0\"]]}", n - 1);
	return b;
}

/* The hop of a trace that stands for a run of routers, or NULL. */
static json_t *run_hop(json_t *hops)
{
	size_t i;
	json_t *h;
	json_array_foreach(hops, i, h)
		if (json_object_get(h, "run"))
			return h;
	return NULL;
}

/* Routers a flow crosses without a change are one hop of the trace with a
 * run: how many, from where, and their names when few; the trace of a
 * path through 2,000 routers stays a few hops long. */
static void test_trace_runs(void **state)
{
	(void)state;
	static const int sizes[] = {5, 2000};
	for (size_t s = 0; s < 2; s++) {
		int n = sizes[s];
		char *net = chain_net(n);
		struct world w;
		world_load(&w, net);
		world_check(&w, "reach from client udp -> internet\n");
		assert_int_equal(res(&w, 0).verdict, VFY_HOLDS);
		json_t *hops = trace_hops(&w, 0, "trace");
		assert_non_null(hops);
		assert_true(json_array_size(hops) <= 4);
		json_t *h = run_hop(hops);
		assert_non_null(h);
		json_t *run = json_object_get(h, "run");
		/* the client's flow heads outside from its source on: no router changes it */
		assert_int_equal(json_integer_value(json_object_get(run, "hops")), n);
		assert_string_equal(json_string_value(json_object_get(json_object_get(run, "from"), "node")), "r0");
		char last[16];
		snprintf(last, sizeof last, "r%d", n - 1);
		assert_string_equal(json_string_value(json_object_get(h, "node")), last);
		json_t *names = json_object_get(run, "nodes");
		if (n <= 16) {
			assert_int_equal(json_array_size(names), (size_t)n);
			assert_string_equal(json_string_value(json_array_get(names, 1)), "r1");
		} else {
			assert_null(names);
		}
		/* the run's values are those it was entered with, and the final ones */
		const char *entered = json_string_value(json_object_get(
			json_object_get(json_object_get(json_array_get(hops, 0), "fields"), "dst"), "value"));
		const char *in_run = json_string_value(json_object_get(
			json_object_get(json_object_get(h, "fields"), "dst"), "value"));
		assert_non_null(entered);
		assert_non_null(in_run);
		assert_string_equal(in_run, entered);
		assert_string_equal(vfy_report_final_field(w.rep, 0, "dst"), entered);
		assert_int_equal(json_array_size(json_object_get(h, "changed")), 0);
		world_free(&w);
		free(net);
	}
}

static unsigned rnd(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) & 0x7fff;
}

/* A random network of routers between clients and the internet: links
 * at random (loops included), routes to a few prefixes, some routers
 * decrementing TTL. */
static char *random_net(uint32_t *seed, int nr)
{
	static const char *const pfx[] = {"172.16.0.0/16", "172.16.1.0/24", "10.0.0.0/8", "10.1.0.0/16",
	                                  "0.0.0.0/0", "192.0.2.0/24"};
	size_t cap = 4096 + (size_t)nr * 1024, len = 0;
	char *b = malloc(cap);
	assert_non_null(b);
	len += (size_t)snprintf(b + len, cap - len,
		"{\"nodes\": [{\"name\": \"clients\", \"type\": \"hosts\", \"role\": \"client\","
		" \"prefixes\": [\"172.16.0.0/16\"], \"ports\": 1},"
		" {\"name\": \"internet\", \"type\": \"hosts\", \"role\": \"internet\", \"ports\": 1}");
	for (int i = 0; i < nr; i++) {
		bool ttl = rnd(seed) % 5 == 0;
		len += (size_t)snprintf(b + len, cap - len, ", {\"name\": \"r%d\", \"type\": \"router\", \"ports\": 3,"
		                        " \"ttl_decrement\": %s, \"routes\": [", i, ttl ? "true" : "false");
		for (int k = 0, any = 0; k < 6; k++) { /* each prefix at most once */
			if (rnd(seed) % 2)
				continue;
			unsigned port = rnd(seed) % 3;
			len += (size_t)snprintf(b + len, cap - len, "%s{\"prefix\": \"%s\", \"port\": %u}",
			                        any++ ? ", " : "", pfx[k], port);
		}
		len += (size_t)snprintf(b + len, cap - len, "]}");
	}
	/* ports: clients to r0:0, internet to the last router's port 2, the rest paired at random */
	bool used[64][3] = {{false}};
	len += (size_t)snprintf(b + len, cap - len, "], \"links\": [[\"clients:0\", \"r0:0\"], [\"internet:0\", \"r%d:2\"]",
	                        nr - 1);
	used[0][0] = used[nr - 1][2] = true;
	for (int tries = 0; tries < nr * 6; tries++) {
		int a = (int)(rnd(seed) % (unsigned)nr);
		int pa = (int)(rnd(seed) % 3);
		int c = (int)(rnd(seed) % (unsigned)nr);
		int pc = (int)(rnd(seed) % 3);
		if (used[a][pa] || used[c][pc] || (a == c && pa == pc))
			continue;
		used[a][pa] = used[c][pc] = true;
		len += (size_t)snprintf(b + len, cap - len, ", [\"r%d:%d\", \"r%d:%d\"]", a, pa, c, pc);
	}
	snprintf(b + len, cap - len, "]}");
	return b;
}

/* Crossing router regions by the snapshot's summaries decides as going
 * router by router: the same verdicts, messages, loop counts and final
 * fields on random networks, loops and TTL-decrementing routers included. */
static void test_transit_agrees(void **state)
{
	(void)state;
	static const char stmts[] =
		"reach from client dst 10.1.2.3 -> internet\n"
		"reach from client udp -> internet\n"
		"reach from internet dst 172.16.1.9 -> client\n"
		"never from internet tcp -> client\n"
		"always from client dst 192.0.2.0/24 -> internet\n"
		"reach from client -> internet -> client\n";
	uint32_t seed = 7;
	int with_loops = 0;
	for (int round = 0; round < 300; round++) {
		char *net = random_net(&seed, 2 + round % 12);
		struct world w;
		world_load(&w, net);
		struct src_file src = {"<test>", stmts, strlen(stmts)};
		struct vfy_reqs *reqs;
		struct diags d;
		diags_init(&d);
		assert_int_equal(vfy_reqs_parse(&src, &reqs, &d), 0);
		struct vfy_report *by_sum, *by_hop;
		struct vfy_limits hop = {.hop_by_hop = true};
		assert_int_equal(vfy_check(w.net, reqs, NULL, &by_sum), 0);
		assert_int_equal(vfy_check(w.net, reqs, &hop, &by_hop), 0);
		for (size_t i = 0; i < vfy_report_count(by_sum); i++) {
			struct vfy_result x, y;
			vfy_report_result(by_sum, i, &x);
			vfy_report_result(by_hop, i, &y);
			if (x.verdict != y.verdict || strcmp(x.message, y.message) || x.loops != y.loops ||
			    x.vacuous != y.vacuous)
				fail_msg("round %d statement %zu:\n  summaries: %d %s (%u loops)\n  hop by hop: %d %s (%u loops)\n%s",
				         round, i, x.verdict, x.message, x.loops, y.verdict, y.message, y.loops, net);
			with_loops += y.loops > 0;
			/* the deciding flow's fields; a reach that fails shows the flow
			 * that came closest, whose last hop a summary gives with the
			 * destinations that took its way, not all that reached it */
			static const char *const fields[] = {"dst", "ttl", "src", "proto"};
			for (size_t k = 0; k < 4 && !(x.kind == VFY_REACH && x.verdict == VFY_FAILS); k++) {
				const char *fx = vfy_report_final_field(by_sum, i, fields[k]);
				const char *fy = vfy_report_final_field(by_hop, i, fields[k]);
				if (((fx == NULL) != (fy == NULL) || (fx && strcmp(fx, fy))) && getenv("TRANSIT_DUMP")) {
					FILE *o = fopen(getenv("TRANSIT_DUMP"), "w");
					fputs(net, o);
					fclose(o);
				}
				if ((fx == NULL) != (fy == NULL) || (fx && strcmp(fx, fy)))
					fail_msg("round %d statement %zu field %s: %s vs %s\n%s", round, i, fields[k],
					         fx ? fx : "(none)", fy ? fy : "(none)", net);
			}
		}
		vfy_report_free(by_sum);
		vfy_report_free(by_hop);
		vfy_reqs_free(reqs);
		diags_free(&d);
		world_free(&w);
		free(net);
	}
	/* the networks exercised loops, not only clean paths */
	assert_true(with_loops > 0);
}

static void test_vacuous(void **state)
{
	struct world w;
	world_load(&w, fig1_net);
	world_check(&w, "never from client udp and tcp -> internet\n"
	                "always from client udp and tcp -> internet -> client\n"
	                "never from client udp -> internet\n");
	assert_int_equal(res(&w, 0).verdict, VFY_HOLDS);
	assert_true(res(&w, 0).vacuous);
	assert_int_equal(res(&w, 1).verdict, VFY_HOLDS);
	assert_true(res(&w, 1).vacuous);
	/* not vacuous, and it fails with the violating flow */
	assert_int_equal(res(&w, 2).verdict, VFY_FAILS);
	assert_false(res(&w, 2).vacuous);
	assert_true(trace_visits(&w, 2, "internet"));
	world_free(&w);
}

/* ---- parsing, names, security exits, agreement ------------------------------------ */

static void test_requirement_errors(void **state)
{
	static const struct {
		const char *text;
		uint32_t line, col;
		const char *msg;
	} cases[] = {
		{"reach form client -> internet", 1, 7, "expected 'from'"},
		{"# c\nreach from client udpp -> internet", 2, 19, ""},
		{"reach from client -> internet const sport && colour", 1, 46, "unknown field 'colour'"},
		{"reach from client", 1, 18, "at least one"},
		{"reach from 10.0.0.1/33 -> internet", 1, 12, "not an IPv4"},
		{"maybe from client -> internet", 1, 1, "expected 'reach'"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct diags d;
		diags_init(&d);
		struct src_file f = {"r.reach", cases[i].text, strlen(cases[i].text)};
		struct vfy_reqs *r = NULL;
		assert_true(vfy_reqs_parse(&f, &r, &d) < 0);
		assert_null(r);
		assert_true(d.n >= 1);
		assert_int_equal(d.v[0].line, cases[i].line);
		assert_int_equal(d.v[0].col, cases[i].col);
		assert_non_null(strstr(d.v[0].msg, cases[i].msg));
		char *txt = diag_format(&d.v[0]);
		assert_non_null(strchr(txt, '^'));
		free(txt);
		diags_free(&d);
	}
	/* unknown names are reported per statement with their position */
	struct world w;
	world_load(&w, fig1_net);
	world_check(&w, "reach from client -> nowhere\nreach from client -> fw:nope:0\n");
	assert_int_equal(res(&w, 0).verdict, VFY_ERROR);
	assert_non_null(strstr(res(&w, 0).message, "1:22"));
	assert_int_equal(res(&w, 1).verdict, VFY_ERROR);
	assert_non_null(strstr(res(&w, 1).message, "no such element"));
	assert_false(vfy_report_ok(w.rep));
	world_free(&w);
}

static void test_security_exits(void **state)
{
	struct world w;
	world_load(&w, fig1_net);
	world_add(&w, "echo", "FromNetFront() -> IPMirror -> ToNetFront()", "pop", "10.9.0.2");
	world_add(&w, "fwd", "FromNetFront() -> IPRewriter(pattern - - 198.51.100.7 - 0 0) -> ToNetFront()", "pop",
	          "10.9.0.3");
	world_add(&w, "tun", "FromNetFront() -> Strip(28) -> CheckIPHeader -> ToNetFront()", "pop", "10.9.0.4");
	struct vfy_exits x;
	assert_int_equal(vfy_module_exits(w.net, "echo", NULL, &x), 0);
	assert_true(x.n >= 1);
	for (size_t i = 0; i < x.n; i++) {
		assert_true(x.v[i].src_is_module);      /* src = its own address */
		assert_true(x.v[i].dst_is_entry_src);   /* a reply */
	}
	vfy_exits_free(&x);
	assert_int_equal(vfy_module_exits(w.net, "fwd", NULL, &x), 0);
	/* two exact exits (TCP/UDP with ports rewritten; TCP with 8-17
	 * transport bytes, whose ports Click's TCPFlow leaves), plus the
	 * approximate ones where the transport length depends on IP options */
	size_t exact = 0;
	for (size_t i = 0; i < x.n; i++) {
		assert_true(x.v[i].src_is_entry_src);       /* source kept */
		assert_false(x.v[i].dst_is_entry_src);
		assert_int_equal(x.v[i].ndst, 1);
		assert_int_equal(x.v[i].dst[0][0], 0xc6336407u); /* 198.51.100.7 */
		assert_non_null(x.v[i].trace_json);
		exact += !x.v[i].approximate;
	}
	assert_int_equal(exact, 2);
	vfy_exits_free(&x);
	assert_int_equal(vfy_module_exits(w.net, "tun", NULL, &x), 0);
	assert_int_equal(x.n, 1);
	assert_false(x.v[0].src_is_module);         /* inner header: anything */
	assert_false(x.v[0].src_is_entry_src);
	assert_true(x.v[0].src_may_be_module);
	vfy_exits_free(&x);
	assert_int_equal(vfy_module_exits(w.net, "nope", NULL, &x), -ENOENT);
	world_free(&w);
}

/* ---- sources (group: sources.c) ----
 * What a module's source makes leaves by its devices like a forwarded
 * flow, but with no entering packet: never a reply; its source is what
 * DATA says. */
#define SRC_UDP(src, dst) "gen_src :: InfiniteSource(DATA \\<45 00 00 24 00 07 00 00 40 11 00 00 " src " " dst \
                          " 04 d2 16 2e 00 10 00 00 68 65 6c 6c 6f 21 0a 00>, LIMIT -1) -> ToNetFront()"
static void test_security_exits_sources(void **state)
{
	struct world w;
	world_load(&w, fig1_net);
	/* from the module's own address (10.9.0.5) to 198.51.100.7 */
	world_add(&w, "gen", "FromNetFront() -> Discard; " SRC_UDP("0a 09 00 05", "c6 33 64 07"), "pop",
	          "10.9.0.5");
	/* a spoofed source, 10.0.0.1 */
	world_add(&w, "spoof", SRC_UDP("0a 00 00 01", "c6 33 64 07"), "pop", "10.9.0.6");
	/* Click's text: nothing known */
	world_add(&w, "text", "InfiniteSource -> ToNetFront(); FromNetFront() -> IPMirror -> ToNetFront()",
	          "pop", "10.9.0.7");
	world_add(&w, "ping", "ICMPPingSource(10.9.0.8, 10.0.0.9, LIMIT 3) -> ToNetFront()", "pop", "10.9.0.8");
	world_add(&w, "off", "InfiniteSource(ACTIVE false) -> ToNetFront()", "pop", "10.9.0.9");
	struct vfy_exits x;
	assert_int_equal(vfy_module_exits(w.net, "gen", NULL, &x), 0);
	assert_int_equal(x.n, 1);
	assert_true(x.v[0].src_is_module);
	assert_false(x.v[0].src_is_entry_src);
	assert_false(x.v[0].dst_is_entry_src); /* not a reply */
	assert_int_equal(x.v[0].ndst, 1);
	assert_int_equal(x.v[0].dst[0][0], 0xc6336407u);
	assert_false(x.v[0].approximate);
	/* the trace starts at the source, naming it */
	assert_non_null(x.v[0].trace_json);
	assert_non_null(strstr(x.v[0].trace_json, "\"element\":\"gen_src\""));
	assert_non_null(strstr(x.v[0].trace_json, "made by InfiniteSource"));
	vfy_exits_free(&x);
	assert_int_equal(vfy_module_exits(w.net, "spoof", NULL, &x), 0);
	assert_int_equal(x.n, 1);
	assert_false(x.v[0].src_is_module);
	assert_false(x.v[0].src_may_be_module);
	assert_false(x.v[0].src_is_entry_src);
	vfy_exits_free(&x);
	/* the text source: any source, any destination, never a reply; the
	 * mirror's replies stay replies */
	assert_int_equal(vfy_module_exits(w.net, "text", NULL, &x), 0);
	size_t made = 0;
	for (size_t i = 0; i < x.n; i++) {
		if (x.v[i].dst_is_entry_src)
			continue;
		made++;
		assert_false(x.v[i].src_is_module);
		assert_true(x.v[i].src_may_be_module);
		assert_false(x.v[i].src_is_entry_src);
	}
	assert_int_equal(made, 1);
	vfy_exits_free(&x);
	assert_int_equal(vfy_module_exits(w.net, "ping", NULL, &x), 0);
	assert_int_equal(x.n, 1);
	assert_true(x.v[0].src_is_module);
	assert_int_equal(x.v[0].dst[0][0], 0x0a000009u);
	vfy_exits_free(&x);
	assert_int_equal(vfy_module_exits(w.net, "off", NULL, &x), 0);
	assert_int_equal(x.n, 0);
	vfy_exits_free(&x);
	world_free(&w);
}

static void test_agreement_harness(void **state)
{
	struct diags d;
	diags_init(&d);
	const char *why;
	struct vfy_concrete in = {.ttl = 64, .proto = 17, .len = 100, .src = 0x0a000001, .dst = 0x0a000002,
	                          .sport = 1000, .dport = 1500};
	struct vfy_concrete out = in;
	out.ttl = 63;
	assert_int_equal(vfy_concrete_in_symbolic("DecIPTTL", "", 1, 2, 0, &in, 0, &out, &why, &d), 1);
	assert_int_equal(vfy_concrete_in_symbolic("DecIPTTL", "", 1, 2, 0, &in, 0, &in, &why, &d), 0);
	assert_non_null(why);
	assert_int_equal(vfy_concrete_in_symbolic("DecIPTTL", "", 1, 2, 0, &in, 1, &out, &why, &d), 0);
	struct vfy_concrete dying = in;
	dying.ttl = 1;
	assert_int_equal(vfy_concrete_in_symbolic("DecIPTTL", "", 1, 2, 0, &dying, 1, &dying, &why, &d), 1);
	/* IPFilter: UDP port 1500 passes, TCP is dropped */
	assert_int_equal(vfy_concrete_in_symbolic("IPFilter", "allow udp port 1500, deny all", 1, 1, 0, &in, 0,
	                                          &in, &why, &d), 1);
	assert_int_equal(vfy_concrete_in_symbolic("IPFilter", "allow udp port 1500, deny all", 1, 1, 0, &in, -1,
	                                          NULL, &why, &d), 0);
	struct vfy_concrete tcp = in;
	tcp.proto = 6;
	assert_int_equal(vfy_concrete_in_symbolic("IPFilter", "allow udp port 1500, deny all", 1, 1, 0, &tcp, -1,
	                                          NULL, &why, &d), 1);
	/* IPRewriter: a port from the range */
	struct vfy_concrete nat = in;
	nat.src = 0xcb007101;
	nat.sport = 40000;
	assert_int_equal(vfy_concrete_in_symbolic("IPRewriter", "pattern 203.0.113.1 1024-65535 - - 0 0", 1, 1, 0,
	                                          &in, 0, &nat, &why, &d), 1);
	nat.sport = 80;
	assert_int_equal(vfy_concrete_in_symbolic("IPRewriter", "pattern 203.0.113.1 1024-65535 - - 0 0", 1, 1, 0,
	                                          &in, 0, &nat, &why, &d), 0);
	/* fewer than 8 transport bytes: dropped unless the spec passes
	 * (Click's IPRewriter, its first per-packet rule); 8 bytes get a mapping */
	struct vfy_concrete runt = in;
	runt.len = 27;
	assert_int_equal(vfy_concrete_in_symbolic("IPRewriter", "pattern 203.0.113.1 1024-65535 - - 0 0", 1, 1, 0,
	                                          &runt, -1, NULL, &why, &d), 1);
	assert_int_equal(vfy_concrete_in_symbolic("IPRewriter", "pass 0", 1, 1, 0, &runt, 0, &runt, &why, &d), 1);
	runt.len = 28;
	assert_int_equal(vfy_concrete_in_symbolic("IPRewriter", "pattern 203.0.113.1 1024-65535 - - 0 0", 1, 1, 0,
	                                          &runt, -1, NULL, &why, &d), 0);
	/* IPMirror: TCP ports swap too; 3 transport bytes keep them */
	struct vfy_concrete m = tcp, mo = tcp;
	mo.src = tcp.dst;
	mo.dst = tcp.src;
	mo.sport = tcp.dport;
	mo.dport = tcp.sport;
	assert_int_equal(vfy_concrete_in_symbolic("IPMirror", "", 1, 1, 0, &m, 0, &mo, &why, &d), 1);
	m.len = 23;
	assert_int_equal(vfy_concrete_in_symbolic("IPMirror", "", 1, 1, 0, &m, 0, &mo, &why, &d), 0);
	assert_true(vfy_concrete_in_symbolic("NoSuchElement", "", 1, 1, 0, &in, 0, &in, &why, &d) < 0);
	diags_free(&d);
}

static void test_limits(void **state)
{
	struct world w;
	world_load(&w, fig1_net);
	struct diags d;
	diags_init(&d);
	const char *text = "never from client -> internet\n";
	struct src_file f = {"<t>", text, strlen(text)};
	struct vfy_reqs *r = NULL;
	assert_int_equal(vfy_reqs_parse(&f, &r, &d), 0);
	/* the statement budget counts steps in modules only: a statement about
	 * the operator's network alone is bounded by the network's budget */
	struct vfy_limits lim = {.max_steps = 5};
	struct vfy_report *rep = NULL;
	assert_int_equal(vfy_check(w.net, r, &lim, &rep), 0);
	struct vfy_result res0;
	vfy_report_result(rep, 0, &res0);
	assert_int_not_equal(res0.verdict, VFY_ERROR);
	vfy_report_free(rep);
	lim.max_network_steps = 5;
	assert_int_equal(vfy_check(w.net, r, &lim, &rep), 0);
	vfy_report_result(rep, 0, &res0);
	assert_int_equal(res0.verdict, VFY_ERROR);
	assert_non_null(strstr(res0.message, "verification too large: more than 5 steps in the operator's network"));
	vfy_report_free(rep);
	/* the answer of an ICMP packet swaps addresses only */
	world_check(&w, "reach from client icmp -> internet -> client\n"
	                "reach from client udp -> internet -> client\n");
	assert_int_equal(res(&w, 0).verdict, VFY_FAILS); /* the firewall drops ICMP */
	char *sp = var_of(vfy_report_final_field(w.rep, 1, "sport"));
	assert_string_equal(sp, "DPORT");
	free(sp);
	vfy_reqs_free(r);
	diags_free(&d);
	world_free(&w);
}

static void test_inline_module(void **state)
{
	char *net = load_example("figure3-network.json");
	struct world w;
	world_load(&w, net);
	struct diags d;
	diags_init(&d);
	/* an operator filter spliced into fw:1 - core:0: device 0 faces fw */
	struct vfy_module m = {.name = "udponly",
	                       .click = "FromDevice(0) -> ToDevice(1);"
	                                "FromDevice(1) -> IPFilter(allow udp, deny all) -> ToDevice(0);",
	                       .inline_a = "fw:1", .inline_b = "core:0"};
	assert_int_equal(vfy_net_add_module(w.net, &m, &d), 0);
	world_check(&w, "reach from client udp -> internet\nreach from client tcp -> internet\n");
	assert_int_equal(res(&w, 0).verdict, VFY_HOLDS);
	assert_true(trace_visits(&w, 0, "udponly"));
	assert_int_equal(res(&w, 1).verdict, VFY_FAILS);
	/* the link was not there to splice into */
	struct vfy_module bad = m;
	bad.name = "x";
	bad.inline_a = "fw:1";
	bad.inline_b = "core:1";
	assert_true(vfy_net_add_module(w.net, &bad, &d) < 0);
	assert_true(d.nerrors >= 1);
	/* removing it restores the link */
	assert_int_equal(vfy_net_remove_module(w.net, "udponly"), 0);
	world_check(&w, "reach from client tcp -> internet\n");
	assert_int_equal(res(&w, 0).verdict, VFY_HOLDS);
	assert_false(trace_visits(&w, 0, "udponly"));
	diags_free(&d);
	world_free(&w);
	free(net);
}

static void test_module_add_remove(void **state)
{
	struct world w;
	world_load(&w, fig1_net);
	world_add(&w, "S", "FromNetFront() -> IPMirror -> ToNetFront()", "pop", "10.9.0.2");
	world_check(&w, "reach from client udp dst 10.9.0.2 -> S -> client\n");
	assert_int_equal(res(&w, 0).verdict, VFY_HOLDS);
	assert_int_equal(vfy_net_remove_module(w.net, "S"), 0);
	assert_int_equal(vfy_net_remove_module(w.net, "S"), -ENOENT);
	world_check(&w, "reach from client udp dst 10.9.0.2 -> client\n");
	assert_int_equal(res(&w, 0).verdict, VFY_FAILS);
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_figure1_payload_unchanged),
		cmocka_unit_test(test_figure2_server_internet_vs_platform),
		cmocka_unit_test(test_figure4_placement),
		cmocka_unit_test(test_figure3_policy_and_bypass),
		cmocka_unit_test(test_nat_return_path),
		cmocka_unit_test(test_firewall_state),
		cmocka_unit_test(test_ttl_decrement),
		cmocka_unit_test(test_encap_decap),
		cmocka_unit_test(test_const_violated_by_rewriter),
		cmocka_unit_test(test_const_kept_by_rewriter),
		cmocka_unit_test(test_const_across_mapping),
		cmocka_unit_test(test_routing_loop),
		cmocka_unit_test(test_trace_runs),
		cmocka_unit_test(test_transit_agrees),
		cmocka_unit_test(test_vacuous),
		cmocka_unit_test(test_requirement_errors),
		cmocka_unit_test(test_security_exits),
		cmocka_unit_test(test_security_exits_sources),
		cmocka_unit_test(test_agreement_harness),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_inline_module),
		cmocka_unit_test(test_module_add_remove),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
