/* A verification job on the Figure 3 network with the Figure 4 request:
 * cancellation (the flag the deadline sets stops the engine), and traces
 * built only where they are shown (same verdicts and messages either
 * way). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controller/internal.h"
#include "harness.h"

#define FIG4_CLICK                                                                           \
	"FromNetFront()\n  -> IPFilter(allow udp port 1500)\n"                                   \
	"  -> IPRewriter(pattern - - 172.16.15.133 - 0 0)\n  -> Queue(1000)\n"                  \
	"  -> TimedUnqueue(120, 100)\n  -> dst :: ToNetFront()\n"
#define FIG4_REQS                                                                            \
	"reach from internet udp -> batcher:dst:0 dst 172.16.15.133 -> client dst port 1500 "   \
	"const proto && dst port && payload\n"

static struct vfy_base *fig3(void)
{
	size_t len;
	char *net = th_read_file(th_example_path("figure3-network.json"), &len);
	assert_non_null(net);
	struct diags d;
	diags_init(&d);
	struct snapshot *s = NULL;
	assert_int_equal(snapshot_parse(net, len, &s, &d), 0);
	struct vfy_base *b = NULL;
	assert_int_equal(vfy_base_build(s, &b, &d), 0);
	snapshot_unref(s);
	diags_free(&d);
	free(net);
	return b;
}

static char *policy_text(void)
{
	size_t len;
	char *p = th_read_file(th_example_path("figure3-policy.reach"), &len);
	assert_non_null(p);
	return p;
}

/* A client owning 172.16.15.133 asks for Figure 4 on the three platforms. */
static void job_in(struct ctl_job_in *in, struct vfy_base *b, struct inet_prefix *allowed,
                   struct ctl_cand *cands, const atomic_bool *cancel)
{
	static const char *const names[] = {"platform1", "platform2", "platform3"};
	static const uint32_t ips[] = {0x0a010002, 0x0a020002, 0xc0000202};
	for (int i = 0; i < 3; i++)
		cands[i] = (struct ctl_cand){.platform = (char *)names[i], .ip = ips[i]};
	allowed[0] = (struct inet_prefix){0xac100f85, 32};
	*in = (struct ctl_job_in){
		.kind = REG_KIND_CLIENT, .name = "batcher", .click = FIG4_CLICK,
		.requirements = FIG4_REQS, .policies = policy_text(), .allowed = allowed,
		.nallowed = 1, .cands = cands, .ncands = 3, .base = b, .max_steps = 3000,
		.cancel = cancel,
	};
}

static void test_job_places_figure4(void **state)
{
	(void)state;
	struct vfy_base *b = fig3();
	struct ctl_job_in in;
	struct inet_prefix allowed[1];
	struct ctl_cand cands[3];
	atomic_bool cancel;
	atomic_init(&cancel, false);
	job_in(&in, b, allowed, cands, &cancel);
	struct ctl_job_out out;
	ctl__job_run(&in, &out);
	assert_int_equal(out.http, 0);
	assert_int_equal(out.winner, 2);
	assert_int_equal(out.verdict, CTL_SAFE);
	/* the chosen platform's witness is in the report; the others keep the
	 * failure with its trace; policies that hold carry no trace */
	json_t *req0 = json_array_get(json_object_get(json_object_get(out.report, "requirements"),
	                                              "results"), 0);
	assert_non_null(json_object_get(req0, "trace"));
	json_t *c0 = json_array_get(json_object_get(out.report, "candidates"), 0);
	assert_non_null(json_object_get(json_object_get(c0, "failure"), "trace"));
	size_t i;
	json_t *pr;
	json_array_foreach(json_object_get(json_object_get(out.report, "policies"), "results"), i, pr) {
		assert_string_equal(json_string_value(json_object_get(pr, "verdict")), "holds");
		assert_null(json_object_get(pr, "trace"));
	}
	/* no exit breaks a rule: no violation, so no exit trace was needed */
	json_t *rules = json_object_get(json_object_get(out.report, "security"), "rules");
	json_array_foreach(rules, i, pr)
		assert_int_equal(json_array_size(json_object_get(pr, "violations")), 0);
	ctl__job_out_release(&out);
	free(in.policies);
	vfy_base_unref(b);
}

static void test_job_cancelled(void **state)
{
	(void)state;
	struct vfy_base *b = fig3();
	struct ctl_job_in in;
	struct inet_prefix allowed[1];
	struct ctl_cand cands[3];
	atomic_bool cancel;
	atomic_init(&cancel, true); /* the deadline passed before the job ran */
	job_in(&in, b, allowed, cands, &cancel);
	struct ctl_job_out out;
	ctl__job_run(&in, &out);
	assert_int_equal(out.winner, -1);
	assert_int_equal(out.http, 500);
	assert_non_null(strstr(out.message, strerror(ECANCELED)));
	ctl__job_out_release(&out);

	/* the engine itself: a statement stops with -ECANCELED */
	struct vfy_net *net = vfy_net_new(b);
	assert_non_null(net);
	struct src_file f = {"p", in.policies, strlen(in.policies)};
	struct diags d;
	diags_init(&d);
	struct vfy_reqs *r = NULL;
	assert_int_equal(vfy_reqs_parse(&f, &r, &d), 0);
	struct vfy_limits lim = {.cancel = &cancel};
	struct vfy_report *rep = NULL;
	assert_int_equal(vfy_check(net, r, &lim, &rep), -ECANCELED);
	assert_null(rep);
	atomic_store(&cancel, false);
	assert_int_equal(vfy_check(net, r, &lim, &rep), 0);
	assert_true(vfy_report_ok(rep));
	vfy_report_free(rep);
	vfy_reqs_free(r);
	diags_free(&d);
	vfy_net_free(net);
	free(in.policies);
	vfy_base_unref(b);
}

/* VFY_TRACES_FAILURES / NONE change nothing but the traces. */
static void test_traces_option(void **state)
{
	(void)state;
	struct vfy_base *b = fig3();
	struct vfy_net *net = vfy_net_new(b);
	assert_non_null(net);
	const char *text = "reach from client udp -> internet\n"
	                   "reach from internet tcp -> client dst port 22\n"
	                   "never from internet tcp opt syn and not tcp opt ack -> client\n";
	struct src_file f = {"p", text, strlen(text)};
	struct diags d;
	diags_init(&d);
	struct vfy_reqs *r = NULL;
	assert_int_equal(vfy_reqs_parse(&f, &r, &d), 0);
	struct vfy_report *rep[3];
	for (int m = 0; m < 3; m++) {
		struct vfy_limits lim = {.traces = (enum vfy_traces)m};
		assert_int_equal(vfy_check(net, r, &lim, &rep[m]), 0);
	}
	json_t *js[3];
	for (int m = 0; m < 3; m++)
		js[m] = vfy_report_json(rep[m]);
	for (size_t i = 0; i < vfy_reqs_count(r); i++) {
		struct vfy_result a, x;
		vfy_report_result(rep[0], i, &a);
		for (int m = 1; m < 3; m++) {
			vfy_report_result(rep[m], i, &x);
			assert_int_equal(a.verdict, x.verdict);
			assert_string_equal(a.message, x.message);
			assert_int_equal(a.flows, x.flows);
		}
		json_t *t0 = json_object_get(json_array_get(json_object_get(js[0], "results"), i), "trace");
		json_t *t1 = json_object_get(json_array_get(json_object_get(js[1], "results"), i), "trace");
		json_t *t2 = json_object_get(json_array_get(json_object_get(js[2], "results"), i), "trace");
		assert_null(t2);
		if (a.verdict == VFY_HOLDS)
			assert_null(t1);
		else
			assert_true(json_equal(t0, t1));
	}
	/* the statements above: a witness, a failure (the firewall) */
	struct vfy_result r0, r1;
	vfy_report_result(rep[0], 0, &r0);
	vfy_report_result(rep[0], 1, &r1);
	assert_int_equal(r0.verdict, VFY_HOLDS);
	assert_int_equal(r1.verdict, VFY_FAILS);
	for (int m = 0; m < 3; m++) {
		json_decref(js[m]);
		vfy_report_free(rep[m]);
	}
	vfy_reqs_free(r);
	diags_free(&d);
	vfy_net_free(net);
	vfy_base_unref(b);
}

static void same_text(const json_t *v)
{
	char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	char *got = ctl__json_text(v);
	assert_non_null(want);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(want);
	free(got);
}

/* The report's serializer gives exactly jansson's compact text. */
static void test_json_text(void **state)
{
	(void)state;
	json_t *odd = json_pack("{s:s, s:s, s:s, s:s#, s:I, s:I, s:b, s:b, s:n, s:f, s:{}, s:[], s:[i, {s:[]}]}",
	                        "quote\"back\\slash/", "a\"b\\c/d", "ctl", "\b\f\n\r\t\x01\x1f\x7f",
	                        "utf8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "nul", "a\0b", (size_t)3,
	                        "big", (json_int_t)-9007199254740993LL, "zero", (json_int_t)0, "t", 1,
	                        "f", 0, "null", "real", 0.1, "eo", "ea", "nest", 7, "x");
	assert_non_null(odd);
	same_text(odd);
	json_decref(odd);

	struct vfy_base *b = fig3();
	struct ctl_job_in in;
	struct inet_prefix allowed[1];
	struct ctl_cand cands[3];
	atomic_bool cancel;
	atomic_init(&cancel, false);
	job_in(&in, b, allowed, cands, &cancel);
	struct ctl_job_out out;
	ctl__job_run(&in, &out);
	assert_non_null(out.report);
	same_text(out.report);
	ctl__job_out_release(&out);
	free(in.policies);
	vfy_base_unref(b);
}

/* ---- sources (group: sources.c) ----
 * A module's source is judged like any exit, with no packet that came in:
 * a third party's source aimed at someone who did not agree is rejected
 * (the trace names the source), at its own prefix it is safe, and a spoofed
 * source address is rejected for clients too. One candidate, platform3,
 * so the module's address is 192.0.2.2. */
#define GEN_CLICK(src, dst)                                                                  \
	"FromNetFront() -> Discard;\n"                                                           \
	"gen :: InfiniteSource(DATA \\<45 00 00 24 00 07 00 00 40 11 00 00 " src " " dst         \
	" 04 d2 16 2e 00 10 00 00 68 65 6c 6c 6f 21 0a 00>, LIMIT -1, BURST 8)\n"               \
	"  -> ToNetFront();\n"

static void source_job(struct vfy_base *b, enum reg_kind kind, const char *click, struct ctl_job_out *out)
{
	static struct inet_prefix allowed[1];
	static struct ctl_cand cands[1];
	allowed[0] = (struct inet_prefix){0xac100f85, 32}; /* 172.16.15.133 */
	static char plat[] = "platform3", name[] = "gen", none[] = "";
	cands[0] = (struct ctl_cand){.platform = plat, .ip = 0xc0000202};
	struct ctl_job_in in = {
		.kind = kind, .name = name, .click = (char *)click, .requirements = none, .policies = NULL,
		.allowed = allowed, .nallowed = 1, .cands = cands, .ncands = 1, .base = b,
		.max_steps = 100000,
	};
	ctl__job_run(&in, out);
	if (getenv("JOB_TEST_VERBOSE")) {
		json_dumpf(out->report, stderr, JSON_INDENT(1));
		if (out->details)
			json_dumpf(out->details, stderr, JSON_INDENT(1));
	}
}

static const char *rule_result(json_t *report, const char *rule)
{
	json_t *c0 = json_array_get(json_object_get(report, "candidates"), 0);
	json_t *rules = json_object_get(json_object_get(c0, "security"), "rules");
	size_t i;
	json_t *r;
	json_array_foreach(rules, i, r)
		if (!strcmp(json_string_value(json_object_get(r, "rule")), rule))
			return json_string_value(json_object_get(r, "result"));
	return "";
}

static void test_job_sources(void **state)
{
	(void)state;
	struct vfy_base *b = fig3();
	struct ctl_job_out out;
	/* third party, from its address to 8.8.8.8 (not its own, not whitelisted) */
	source_job(b, REG_KIND_THIRD_PARTY, GEN_CLICK("c0 00 02 02", "08 08 08 08"), &out);
	assert_int_equal(out.http, 422);
	assert_string_equal(out.code, "security_rules");
	assert_string_equal(rule_result(out.report, "default-off"), "fail");
	assert_string_equal(rule_result(out.report, "anti-spoofing"), "pass");
	/* the trace of the failure starts at the source */
	json_t *c0 = json_array_get(json_object_get(out.report, "candidates"), 0);
	json_t *fl = json_object_get(c0, "failure");
	assert_string_equal(json_string_value(json_object_get(fl, "rule")), "default-off");
	json_t *hop0 = json_array_get(json_object_get(json_object_get(fl, "trace"), "hops"), 0);
	assert_string_equal(json_string_value(json_object_get(hop0, "element")), "gen");
	assert_string_equal(json_string_value(json_object_get(hop0, "note")), "made by InfiniteSource");
	ctl__job_out_release(&out);
	/* the same aimed at its own prefix: safe */
	source_job(b, REG_KIND_THIRD_PARTY, GEN_CLICK("c0 00 02 02", "ac 10 0f 85"), &out);
	assert_int_equal(out.http, 0);
	assert_int_equal(out.verdict, CTL_SAFE);
	ctl__job_out_release(&out);
	/* a client may send anywhere from its own address... */
	source_job(b, REG_KIND_CLIENT, GEN_CLICK("c0 00 02 02", "08 08 08 08"), &out);
	assert_int_equal(out.http, 0);
	assert_int_equal(out.verdict, CTL_SAFE);
	ctl__job_out_release(&out);
	/* ...but not from someone else's */
	source_job(b, REG_KIND_CLIENT, GEN_CLICK("0a 00 00 01", "08 08 08 08"), &out);
	assert_int_equal(out.http, 422);
	assert_string_equal(rule_result(out.report, "anti-spoofing"), "fail");
	ctl__job_out_release(&out);
	/* a source whose packets are not known (Click's text): sandboxed, so
	 * the enforcer checks them as they leave */
	source_job(b, REG_KIND_THIRD_PARTY, "InfiniteSource -> ToNetFront();\n", &out);
	assert_int_equal(out.http, 0);
	assert_int_equal(out.verdict, CTL_SANDBOXED);
	assert_non_null(strstr(out.deployed, "ChangeEnforcer"));
	ctl__job_out_release(&out);
	vfy_base_unref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_places_figure4),
		cmocka_unit_test(test_job_cancelled),
		cmocka_unit_test(test_traces_option),
		cmocka_unit_test(test_json_text),
		cmocka_unit_test(test_job_sources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
