/* The controller's pure parts: the stock catalogue (typed parameters,
 * expansion into Click that parses), the security-rule classification of a
 * module's exit flows, the sandbox rewrite and the accepted proto/port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controller/internal.h"
#include "controller/controller.h"
#include "elements/element.h"

static struct click_graph *parse(const char *text, const char *ip)
{
	struct click_define defs[2] = {{"MODULE_IP", ip}, {"MODULE_PORT", "0"}};
	struct click_options opt = {.lookup = elem_class_find, .defines = defs, .ndefines = 2};
	struct src_file f = {"t", text, strlen(text)};
	struct diags d;
	diags_init(&d);
	struct click_graph *g = NULL;
	int rc = click_parse(&f, &opt, &g, &d);
	if (rc)
		diags_print(stderr, &d);
	diags_free(&d);
	assert_int_equal(rc, 0);
	return g;
}

/* ---- stock ---- */

static void test_stock_every_template_parses(void **state)
{
	json_t *list = ctl_stock_list_json();
	size_t i;
	json_t *s;
	assert_true(json_array_size(list) >= 6);
	json_array_foreach(list, i, s) {
		/* fill every required parameter with a valid value of its type */
		json_t *params = json_object();
		size_t k;
		json_t *p;
		json_array_foreach(json_object_get(s, "params"), k, p) {
			const char *type = json_string_value(json_object_get(p, "type"));
			if (!json_is_true(json_object_get(p, "required")))
				continue;
			if (!strcmp(type, "ipv4"))
				json_object_set_new(params, json_string_value(json_object_get(p, "name")),
				                    json_string("198.51.100.7"));
			else
				json_object_set_new(params, json_string_value(json_object_get(p, "name")),
				                    json_integer(json_integer_value(json_object_get(p, "min")) + 1));
		}
		char *click;
		struct diags err;
		diags_init(&err);
		const char *name = json_string_value(json_object_get(s, "name"));
		assert_int_equal(ctl_stock_instantiate(name, params, &click, &err), 0);
		diags_free(&err);
		assert_null(strstr(click, "@{"));
		click_graph_free(parse(click, "192.0.2.9"));
		free(click);
		json_decref(params);
	}
	json_decref(list);
}

static void test_stock_params_checked(void **state)
{
	char *click = NULL;
	struct diags err;
	diags_init(&err);
	assert_int_equal(ctl_stock_instantiate("nope", NULL, &click, &err), -ENOENT);
	json_t *p = json_pack("{s:s, s:i}", "origin", "198.51.100.7", "port", 0);
	assert_int_equal(ctl_stock_instantiate("reverse-proxy", p, &click, &err), -EINVAL);
	assert_string_equal(err.v[0].file, "params.port");
	assert_non_null(strstr(err.v[0].msg, "1 to 65535"));
	diags_clear(&err);
	json_decref(p);
	p = json_pack("{s:s}", "origin", "198.51.100.300");
	assert_int_equal(ctl_stock_instantiate("reverse-proxy", p, &click, &err), -EINVAL);
	assert_string_equal(err.v[0].file, "params.origin");
	diags_clear(&err);
	json_decref(p);
	p = json_pack("{s:[s, s]}", "sources", "10.0.0.0/8", "10.0.0.1/8");
	assert_int_equal(ctl_stock_instantiate("tunnel", p, &click, &err), -EINVAL);
	assert_string_equal(err.v[0].file, "params.sources[1]");
	diags_clear(&err);
	json_decref(p);
	p = json_pack("{s:s, s:i, s:s}", "proto", "icmp", "port", 5, "origin", "1.2.3.4");
	assert_int_equal(ctl_stock_instantiate("firewall", p, &click, &err), -EINVAL);
	assert_string_equal(err.v[0].file, "params.proto");
	diags_clear(&err);
	json_decref(p);
	/* defaults and values land in the text */
	p = json_pack("{s:i, s:s, s:i}", "port", 1500, "dst", "172.16.15.133", "burst", 7);
	assert_int_equal(ctl_stock_instantiate("udp-batcher", p, &click, &err), 0);
	assert_non_null(strstr(click, "allow udp dst port 1500"));
	assert_non_null(strstr(click, "pattern - - 172.16.15.133 - 0 0"));
	assert_non_null(strstr(click, "TimedUnqueue(120, 7)"));
	free(click);
	json_decref(p);
	p = json_pack("{s:[s, s]}", "sources", "10.0.0.0/8", "192.0.2.0/24");
	assert_int_equal(ctl_stock_instantiate("tunnel", p, &click, &err), 0);
	assert_non_null(strstr(click, "(src net 10.0.0.0/8 or src net 192.0.2.0/24)"));
	free(click);
	json_decref(p);
	diags_free(&err);
}

/* ---- rules ---- */

#define MOD 0xc0000205u /* 192.0.2.5 */

static struct vfy_exit ex(bool src_mod, bool src_entry, bool src_may, bool dst_entry, uint32_t lo,
                          uint32_t hi)
{
	static uint32_t iv[64][2];
	static int k;
	k = (k + 1) % 64;
	iv[k][0] = lo;
	iv[k][1] = hi;
	return (struct vfy_exit){.src_is_module = src_mod, .src_is_entry_src = src_entry,
	                         .src_may_be_module = src_may, .dst_is_entry_src = dst_entry,
	                         .ndst = 1, .dst = (const uint32_t(*)[2])&iv[k]};
}

static enum ctl_verdict verdict_of(enum reg_kind kind, struct vfy_exit *v, size_t n, json_t **rep)
{
	struct inet_prefix allow[2] = {{0xc6336400u, 24}, {0xcb007100u, 24}}; /* 198.51.100/24, 203.0.113/24 */
	struct ctl_rules_in in = {kind, MOD, allow, 2};
	struct vfy_exits x = {.n = n, .v = v, .flows = n};
	enum ctl_verdict vd;
	assert_int_equal(ctl__rules_check(&in, &x, &vd, rep), 0);
	return vd;
}

static const char *rule_result(json_t *rep, const char *rule)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(rep, "rules"), i, r)
		if (!strcmp(json_string_value(json_object_get(r, "rule")), rule))
			return json_string_value(json_object_get(r, "result"));
	return NULL;
}

static void test_rules(void **state)
{
	json_t *rep;
	/* a reply from the module's address: safe for everyone */
	struct vfy_exit reply[1] = {ex(true, false, true, true, 0, UINT32_MAX)};
	assert_int_equal(verdict_of(REG_KIND_THIRD_PARTY, reply, 1, &rep), CTL_SAFE);
	json_decref(rep);
	/* forwarding to the tenant's own origin, source unchanged: safe */
	struct vfy_exit fwd[1] = {ex(false, true, false, false, 0xc633640a, 0xc633640a)};
	assert_int_equal(verdict_of(REG_KIND_THIRD_PARTY, fwd, 1, &rep), CTL_SAFE);
	json_decref(rep);
	/* to a fixed outside address: third party rejected, client safe */
	struct vfy_exit fixed[1] = {ex(true, false, true, false, 0x08080808, 0x08080808)};
	assert_int_equal(verdict_of(REG_KIND_THIRD_PARTY, fixed, 1, &rep), CTL_REJECTED);
	assert_string_equal(rule_result(rep, "default-off"), "fail");
	assert_string_equal(rule_result(rep, "anti-spoofing"), "pass");
	json_decref(rep);
	assert_int_equal(verdict_of(REG_KIND_CLIENT, fixed, 1, &rep), CTL_SAFE);
	assert_string_equal(rule_result(rep, "default-off"), "not applicable");
	json_decref(rep);
	/* a spoofed constant source: rejected for tenants, fine for the operator */
	struct vfy_exit spoof[1] = {ex(false, false, false, false, 0xc633640a, 0xc633640a)};
	assert_int_equal(verdict_of(REG_KIND_CLIENT, spoof, 1, &rep), CTL_REJECTED);
	assert_string_equal(rule_result(rep, "anti-spoofing"), "fail");
	json_decref(rep);
	assert_int_equal(verdict_of(REG_KIND_OPERATOR, spoof, 1, &rep), CTL_SAFE);
	assert_string_equal(rule_result(rep, "anti-spoofing"), "not applicable");
	json_decref(rep);
	/* a tunnel: destination from the payload: sandboxed for a third party */
	struct vfy_exit tun[1] = {ex(true, false, true, false, 0, UINT32_MAX)};
	assert_int_equal(verdict_of(REG_KIND_THIRD_PARTY, tun, 1, &rep), CTL_SANDBOXED);
	assert_string_equal(rule_result(rep, "default-off"), "partial");
	json_decref(rep);
	assert_int_equal(verdict_of(REG_KIND_CLIENT, tun, 1, &rep), CTL_SAFE);
	json_decref(rep);
	/* a source that may or may not be the module's: sandboxed */
	struct vfy_exit maybe[1] = {ex(false, false, true, true, 0, 0)};
	assert_int_equal(verdict_of(REG_KIND_CLIENT, maybe, 1, &rep), CTL_SANDBOXED);
	json_decref(rep);
	/* one good flow and one bad one: some packets conform: sandboxed */
	struct vfy_exit mix[2] = {fwd[0], fixed[0]};
	assert_int_equal(verdict_of(REG_KIND_THIRD_PARTY, mix, 2, &rep), CTL_SANDBOXED);
	json_t *off = json_array_get(json_object_get(rep, "rules"), 1);
	assert_int_equal(json_array_size(json_object_get(off, "violations")), 1);
	json_t *viol = json_array_get(json_object_get(off, "violations"), 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(viol, "dst"), 0)), "8.8.8.8");
	json_decref(rep);
	/* a destination range straddling the whitelist: partial */
	struct vfy_exit straddle[1] = {ex(true, false, true, false, 0xcb007000, 0xcb0071ff)};
	assert_int_equal(verdict_of(REG_KIND_THIRD_PARTY, straddle, 1, &rep), CTL_SANDBOXED);
	json_decref(rep);
	/* no exits at all (a sink): safe */
	assert_int_equal(verdict_of(REG_KIND_THIRD_PARTY, NULL, 0, &rep), CTL_SAFE);
	json_decref(rep);
}

/* ---- sandbox and filter detection ---- */

static void test_sandbox_rewrite(void **state)
{
	const char *fig4 = "FromNetFront()\n -> IPFilter(allow udp port 1500)\n"
	                   " -> IPRewriter(pattern - - 172.16.15.133 - 0 0)\n -> Queue(1000)\n"
	                   " -> TimedUnqueue(120, 100)\n -> dst :: ToNetFront();\n";
	struct click_graph *g = parse(fig4, "192.0.2.5");
	uint8_t proto;
	uint16_t port;
	ctl__detect_filter(g, &proto, &port);
	assert_int_equal(proto, 17);
	assert_int_equal(port, 1500);
	struct inet_prefix allow[1] = {{0xcb007100u, 24}};
	char *out;
	assert_int_equal(ctl__sandbox_click(g, MOD, allow, 1, false, &out), 0);
	assert_non_null(strstr(out, "ChangeEnforcer(ADDR 192.0.2.5, ALLOW 203.0.113.0/24)"));
	/* the rewritten text parses and every device passes an enforcer */
	struct click_graph *s = parse(out, "192.0.2.5");
	const struct click_element *from = NULL, *to = click_graph_find(s, "dst");
	for (uint32_t i = 0; i < click_graph_nelements(s); i++)
		if (!strcmp(click_graph_element(s, i)->cls->name, "FromNetFront"))
			from = click_graph_element(s, i);
	assert_non_null(from);
	assert_non_null(to);
	uint32_t n;
	const struct click_port_ref *o = click_graph_outputs(s, from->index, 0, &n);
	assert_int_equal(n, 1);
	assert_string_equal(click_graph_element(s, o[0].elem)->cls->name, "ChangeEnforcer");
	assert_int_equal(o[0].port, 0);
	const struct click_port_ref *in = click_graph_inputs(s, to->index, 0, &n);
	assert_int_equal(n, 1);
	assert_string_equal(click_graph_element(s, in[0].elem)->cls->name, "ChangeEnforcer");
	assert_int_equal(in[0].port, 1);
	click_graph_free(s);
	free(out);
	/* clients: no default-off, everything allowed */
	assert_int_equal(ctl__sandbox_click(g, MOD, NULL, 0, true, &out), 0);
	assert_non_null(strstr(out, "ALLOW 0.0.0.0/0"));
	free(out);
	click_graph_free(g);

	/* two output devices with one number, a pull path to a device */
	const char *two = "FromDevice(0) -> c :: IPClassifier(udp, -);\n"
	                  "c[0] -> Queue -> ToDevice(1);\n"
	                  "c[1] -> ToDevice(0);\n"
	                  "FromDevice(1) -> ToDevice(0);\n";
	g = parse(two, "0.0.0.0");
	ctl__detect_filter(g, &proto, &port);
	assert_int_equal(proto, 0); /* a classifier with a catch-all accepts anything */
	assert_int_equal(ctl__sandbox_click(g, MOD, allow, 1, false, &out), 0);
	s = parse(out, "0.0.0.0");
	uint32_t nce = 0;
	for (uint32_t i = 0; i < click_graph_nelements(s); i++)
		nce += !strcmp(click_graph_element(s, i)->cls->name, "ChangeEnforcer");
	assert_int_equal(nce, 2);
	click_graph_free(s);
	free(out);
	click_graph_free(g);

	/* a process module's wrapper: one enforcer between the network and the
	 * program, ToProcess and FromProcess on its inside (not devices here) */
	g = parse(CTL_PROCESS_WRAPPER, "0.0.0.0");
	assert_int_equal(ctl__sandbox_click(g, MOD, allow, 1, false, &out), 0);
	s = parse(out, "0.0.0.0");
	nce = 0;
	const struct click_element *tp = NULL, *fp = NULL;
	for (uint32_t i = 0; i < click_graph_nelements(s); i++) {
		const struct click_element *e = click_graph_element(s, i);
		nce += !strcmp(e->cls->name, "ChangeEnforcer");
		tp = !strcmp(e->cls->name, "ToProcess") ? e : tp;
		fp = !strcmp(e->cls->name, "FromProcess") ? e : fp;
	}
	assert_int_equal(nce, 1);
	assert_non_null(tp);
	assert_non_null(fp);
	in = click_graph_inputs(s, tp->index, 0, &n);
	assert_int_equal(n, 1);
	assert_string_equal(click_graph_element(s, in[0].elem)->cls->name, "ChangeEnforcer");
	assert_int_equal(in[0].port, 0); /* what entered from the network */
	o = click_graph_outputs(s, fp->index, 0, &n);
	assert_int_equal(n, 1);
	assert_string_equal(click_graph_element(s, o[0].elem)->cls->name, "ChangeEnforcer");
	assert_int_equal(o[0].port, 1); /* what the program sends is checked */
	click_graph_free(s);
	free(out);
	click_graph_free(g);
}

static void test_detect_filter(void **state)
{
	static const struct {
		const char *cfg;
		uint8_t proto;
		uint16_t port;
	} v[] = {
		{"FromNetFront -> IPFilter(allow tcp dst port 443, deny all) -> ToNetFront;", 6, 443},
		{"FromNetFront -> IPFilter(allow udp) -> ToNetFront;", 17, 0},
		{"FromNetFront -> IPFilter(allow udp or tcp) -> ToNetFront;", 0, 0},
		{"FromNetFront -> IPFilter(allow tcp src port 80) -> ToNetFront;", 6, 0},
		{"FromNetFront -> IPFilter(allow udp port 53, allow tcp port 53) -> ToNetFront;", 0, 0},
		{"FromNetFront -> IPMirror -> ToNetFront;", 0, 0},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct click_graph *g = parse(v[i].cfg, "192.0.2.5");
		uint8_t proto;
		uint16_t port;
		ctl__detect_filter(g, &proto, &port);
		assert_int_equal(proto, v[i].proto);
		assert_int_equal(port, v[i].port);
		click_graph_free(g);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stock_every_template_parses),
		cmocka_unit_test(test_stock_params_checked),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_sandbox_rewrite),
		cmocka_unit_test(test_detect_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
