/* The symbolic model of every catalogue element, run through the
 * verifier's public API: each test puts the element in a middlebox
 * (`x :: Element(...)`, its outputs into `d0 :: Discard`, `d1 :: Discard`,
 * ...), starts unconstrained packets (optionally narrowed by a flow
 * expression) at x's input and asks which outputs are reached and what
 * the fields are there. Concrete cases go through
 * vfy_concrete_in_symbolic. The last test checks that every class of the
 * catalogue has a model and a packet function. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "elements/element.h"
#include "harness.h"
#include "runtime/runtime.h"
#include "snapshot/snapshot.h"
#include "verify/model.h"
#include "verify/verify.h"

/* ---- helpers ------------------------------------------------------------------ */

struct run {
	struct snapshot *snap;
	struct vfy_base *base;
	struct vfy_net *net;
	struct vfy_reqs *reqs;
	struct vfy_report *rep;
	char *stmts;
};

/* One middlebox "m" running "FromDevice(0) -> " + click; the statements
 * checked. */
static void run_start(struct run *r, const char *click, const char *stmts)
{
	memset(r, 0, sizeof *r);
	/* x's input must be connected: a device feeds it (unlinked) */
	char text[1024];
	snprintf(text, sizeof text, "FromDevice(0) -> %s", click);
	json_t *cfg = json_pack("{s:[{s:s, s:s, s:i, s:s}], s:[]}", "nodes", "name", "m", "type",
	                        "middlebox", "ports", 1, "click", text, "links");
	assert_non_null(cfg);
	char *json = json_dumps(cfg, 0);
	json_decref(cfg);
	struct diags d;
	diags_init(&d);
	int rc = snapshot_parse(json, strlen(json), &r->snap, &d);
	if (rc >= 0)
		rc = vfy_base_build(r->snap, &r->base, &d);
	if (rc < 0)
		diags_print(stderr, &d);
	assert_int_equal(rc, 0);
	free(json);
	r->net = vfy_net_new(r->base);
	assert_non_null(r->net);
	r->stmts = strdup(stmts);
	struct src_file sf = { "<test>", r->stmts, strlen(r->stmts) };
	rc = vfy_reqs_parse(&sf, &r->reqs, &d);
	if (rc < 0)
		diags_print(stderr, &d);
	assert_int_equal(rc, 0);
	assert_int_equal(vfy_check(r->net, r->reqs, NULL, &r->rep), 0);
	if (getenv("MODELS_TEST_VERBOSE")) {
		json_t *j = vfy_report_json(r->rep);
		json_dumpf(j, stderr, JSON_INDENT(2));
		json_decref(j);
	}
	diags_free(&d);
}

static void run_end(struct run *r)
{
	vfy_report_free(r->rep);
	vfy_reqs_free(r->reqs);
	vfy_net_free(r->net);
	vfy_base_unref(r->base);
	snapshot_unref(r->snap);
	free(r->stmts);
}

static struct vfy_result result(struct run *r, size_t i)
{
	struct vfy_result v;
	assert_true(i < vfy_report_count(r->rep));
	vfy_report_result(r->rep, i, &v);
	return v;
}

static bool holds(struct run *r, size_t i)
{
	struct vfy_result v = result(r, i);
	assert_int_not_equal(v.verdict, VFY_ERROR);
	return v.verdict == VFY_HOLDS;
}

static bool approx(struct run *r, size_t i)
{
	return result(r, i).approximate;
}

/* The field where statement i's witness ends. */
static const char *field(struct run *r, size_t i, const char *name)
{
	const char *v = vfy_report_final_field(r->rep, i, name);
	assert_non_null(v);
	return v;
}

#define FIELD_IS(r, i, name, want) assert_string_equal(field(r, i, name), want)
#define FIELD_HAS(r, i, name, part) assert_non_null(strstr(field(r, i, name), part))

/* vfy_concrete_in_symbolic on one element: 1 allowed, 0 not. */
static int concrete(const char *cls, const char *config, uint32_t nin, uint32_t nout, uint32_t port,
                    const struct vfy_concrete *in, int32_t out_port, const struct vfy_concrete *out)
{
	struct diags d;
	diags_init(&d);
	const char *why = NULL;
	int rc = vfy_concrete_in_symbolic(cls, config, nin, nout, port, in, out_port, out, &why, &d);
	if (rc < 0)
		diags_print(stderr, &d);
	diags_free(&d);
	assert_true(rc >= 0);
	return rc;
}

static struct vfy_concrete udp_pkt(void)
{
	struct vfy_concrete c = { .tos = 0, .ttl = 64, .proto = 17, .len = 60, .id = 7, .off = 0,
	                          .sport = 1234, .dport = 53, .src = 0x0a000001, .dst = 0x08080808 };
	return c;
}

/* ---- pass-through elements ------------------------------------------------------- */

static void test_pass_through(void **st)
{
	static const char *const cls[] = { "Null", "PushNull", "Counter", "AverageCounter",
	                                   "Print(x)", "IPPrint(x, PAYLOAD hex)", "SetTimestamp", "Align(4, 2)", "EtherRewrite(00:01:02:03:04:05, 00:0a:0b:0c:0d:0e)" };
	for (size_t k = 0; k < sizeof cls / sizeof cls[0]; k++) {
		char click[256];
		snprintf(click, sizeof click, "x :: %s; x -> d0 :: Discard;", cls[k]);
		struct run r;
		run_start(&r, click, "reach from m:x -> m:d0 const src && dst && ttl && payload && proto && sport\n");
		assert_true(holds(&r, 0));
		assert_false(approx(&r, 0));
		FIELD_HAS(&r, 0, "src", "SRC");
		FIELD_HAS(&r, 0, "payload", "DATA");
		run_end(&r);
	}
	/* pull-side ones behind a queue */
	static const char *const pull[] = { "PullNull -> Unqueue", "PullTee -> Unqueue",
	                                    "Shaper(100) -> Unqueue", "BandwidthShaper(1Mbps) -> Unqueue",
	                                    "RatedUnqueue(100)" };
	for (size_t k = 0; k < sizeof pull / sizeof pull[0]; k++) {
		char click[256];
		snprintf(click, sizeof click, "x :: Queue -> %s -> d0 :: Discard;", pull[k]);
		struct run r;
		run_start(&r, click, "reach from m:x -> m:d0 const src && dst && ttl && payload\n");
		assert_true(holds(&r, 0));
		assert_false(approx(&r, 0));
		run_end(&r);
	}
}

static void test_idle_and_rate_zero(void **st)
{
	struct run r;
	run_start(&r, "x :: Idle; x -> d0 :: Discard;", "reach from m:x -> m:d0\n");
	assert_false(holds(&r, 0));
	run_end(&r);
	run_start(&r, "x :: Queue -> RatedUnqueue(0) -> d0 :: Discard;", "reach from m:x -> m:d0\n");
	assert_false(holds(&r, 0));
	run_end(&r);
	run_start(&r, "x :: Queue -> Shaper(0) -> d0 :: Discard;", "reach from m:x -> m:d0\n");
	assert_false(holds(&r, 0));
	run_end(&r);
}

/* ---- copies and switches ---------------------------------------------------------- */

static void test_tee(void **st)
{
	struct run r;
	run_start(&r, "x :: Tee(3); x[0] -> d0 :: Discard; x[1] -> d1 :: Discard; x[2] -> d2 :: Discard;",
	          "reach from m:x -> m:d0 const payload\nreach from m:x -> m:d1\nreach from m:x -> m:d2\n"
	          "never from m:x udp -> m:d2\n");
	assert_true(holds(&r, 0));
	assert_true(holds(&r, 1));
	assert_true(holds(&r, 2));
	assert_false(holds(&r, 3)); /* every packet is copied to every output */
	assert_false(approx(&r, 1));
	run_end(&r);
}

static void test_switches(void **st)
{
	struct run r;
	run_start(&r, "x :: Switch(1); x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;",
	          "reach from m:x -> m:d0\nreach from m:x -> m:d1\n");
	assert_false(holds(&r, 0));
	assert_true(holds(&r, 1));
	run_end(&r);
	run_start(&r, "x :: Switch(-1); x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;",
	          "reach from m:x -> m:d0\nreach from m:x -> m:d1\n");
	assert_false(holds(&r, 0));
	assert_false(holds(&r, 1));
	run_end(&r);
	/* round robin: any packet may take any output, exactly */
	run_start(&r, "x :: RoundRobinSwitch; x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;",
	          "reach from m:x tcp -> m:d0\nreach from m:x tcp -> m:d1\n");
	assert_true(holds(&r, 0));
	assert_true(holds(&r, 1));
	assert_false(approx(&r, 1));
	run_end(&r);
	/* hash: the model cannot tell which output: both, approximate */
	run_start(&r, "x :: HashSwitch(12, 4); x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;",
	          "reach from m:x -> m:d0\nreach from m:x -> m:d1\n");
	assert_true(holds(&r, 0));
	assert_true(holds(&r, 1));
	assert_true(approx(&r, 0));
	assert_true(approx(&r, 1));
	run_end(&r);
	/* one output: exact */
	run_start(&r, "x :: HashSwitch(12, 4); x[0] -> d0 :: Discard;", "reach from m:x -> m:d0\n");
	assert_true(holds(&r, 0));
	assert_false(approx(&r, 0));
	run_end(&r);
	/* rated splitter: under overload packets take output 1 */
	run_start(&r, "x :: RatedSplitter(10); x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;",
	          "reach from m:x -> m:d0\nreach from m:x -> m:d1\n");
	assert_true(holds(&r, 0));
	assert_true(holds(&r, 1));
	run_end(&r);
	run_start(&r, "x :: RatedSplitter(0); x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;",
	          "reach from m:x -> m:d0\nreach from m:x -> m:d1\n");
	assert_false(holds(&r, 0));
	assert_true(holds(&r, 1));
	run_end(&r);
}

/* ---- annotations -------------------------------------------------------------- */

static void test_paint(void **st)
{
	struct run r;
	run_start(&r, "x :: Paint(5) -> c :: CheckPaint(5); c[0] -> d0 :: Discard; c[1] -> d1 :: Discard;",
	          "reach from m:x -> m:d0\nreach from m:x -> m:d1\n");
	assert_true(holds(&r, 0));
	assert_false(holds(&r, 1));
	FIELD_IS(&r, 0, "paint", "5");
	run_end(&r);
	/* an unknown paint: both ways, exactly split */
	run_start(&r, "x :: CheckPaint(5); x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;",
	          "reach from m:x -> m:d0\nreach from m:x -> m:d1\n");
	assert_true(holds(&r, 0));
	assert_true(holds(&r, 1));
	assert_false(approx(&r, 1));
	FIELD_HAS(&r, 0, "paint", "5");
	run_end(&r);
	/* PaintSwitch: paint K -> output K; 255 -> every output */
	run_start(&r, "x :: Paint(1) -> s :: PaintSwitch; s[0] -> d0 :: Discard; s[1] -> d1 :: Discard;",
	          "reach from m:x -> m:d0\nreach from m:x -> m:d1\n");
	assert_false(holds(&r, 0));
	assert_true(holds(&r, 1));
	run_end(&r);
	run_start(&r, "x :: Paint(255) -> s :: PaintSwitch; s[0] -> d0 :: Discard; s[1] -> d1 :: Discard;",
	          "reach from m:x -> m:d0\nreach from m:x -> m:d1\n");
	assert_true(holds(&r, 0));
	assert_true(holds(&r, 1));
	run_end(&r);
	run_start(&r, "x :: Paint(9) -> s :: PaintSwitch; s[0] -> d0 :: Discard; s[1] -> d1 :: Discard;",
	          "reach from m:x -> m:d0\nreach from m:x -> m:d1\n");
	assert_false(holds(&r, 0));
	assert_false(holds(&r, 1));
	run_end(&r);
	/* an annotation byte the model does not track: both ways, approximate */
	run_start(&r, "x :: CheckPaint(5, ANNO 30); x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;",
	          "reach from m:x -> m:d0\nreach from m:x -> m:d1\n");
	assert_true(holds(&r, 0));
	assert_true(holds(&r, 1));
	assert_true(approx(&r, 0));
	run_end(&r);
}

static void test_setipaddress(void **st)
{
	struct run r;
	/* the annotation only (the data stays); StoreIPAddress(dst) shows it */
	run_start(&r, "x :: SetIPAddress(1.2.3.4) -> y :: Null -> StoreIPAddress(dst) -> d0 :: Discard;",
	          "reach from m:x -> m:y const dst && src && payload\nreach from m:x -> m:d0\n");
	assert_true(holds(&r, 0));
	FIELD_HAS(&r, 0, "dst", "DST");
	assert_true(holds(&r, 1));
	FIELD_IS(&r, 1, "dst", "1.2.3.4");
	run_end(&r);
	/* ANNO 16 is the paint byte: the address's last byte lands there */
	run_start(&r, "x :: SetIPAddress(1.2.3.4, ANNO 13) -> d0 :: Discard;", "reach from m:x -> m:d0\n");
	assert_true(holds(&r, 0));
	FIELD_IS(&r, 0, "paint", "4");
	run_end(&r);
}

static void test_storeipaddress(void **st)
{
	struct run r;
	run_start(&r, "x :: StoreIPAddress(9.9.9.9, src) -> d0 :: Discard;",
	          "reach from m:x -> m:d0 const dst && payload\nreach from m:x -> m:d0 const src\n");
	assert_true(holds(&r, 0));
	FIELD_IS(&r, 0, "src", "9.9.9.9");
	assert_false(holds(&r, 1));
	run_end(&r);
	/* one-argument form: the dst-IP annotation (here: the packet's dst, as
	 * devices set it) is written; its variable is the dst's */
	run_start(&r, "x :: StoreIPAddress(src) -> d0 :: Discard;",
	          "reach from m:x dst net 10.0.0.0/8 -> m:d0\nreach from m:x dst 0.0.0.0 -> m:d0 const src\n");
	assert_true(holds(&r, 0));
	FIELD_HAS(&r, 0, "src", "DST");
	assert_false(approx(&r, 0));
	assert_true(holds(&r, 1)); /* a zero annotation leaves the packet alone */
	run_end(&r);
	/* a byte offset on the src field: the same as `src` */
	run_start(&r, "x :: StoreIPAddress(16) -> d0 :: Discard;", "reach from m:x -> m:d0\n");
	assert_true(holds(&r, 0));
	FIELD_HAS(&r, 0, "dst", "DST");
	run_end(&r);
	run_start(&r, "x :: StoreIPAddress(5.6.7.8, 12) -> d0 :: Discard;", "reach from m:x -> m:d0\n");
	assert_true(holds(&r, 0));
	FIELD_IS(&r, 0, "src", "5.6.7.8");
	run_end(&r);
	/* straddling two fields with an unknown value: approximate */
	run_start(&r, "x :: StoreIPAddress(14) -> d0 :: Discard;", "reach from m:x dst net 10.0.0.0/8 -> m:d0\n");
	assert_true(holds(&r, 0));
	assert_true(approx(&r, 0));
	run_end(&r);
	/* a zero annotation leaves the packet alone */
	run_start(&r, "x :: SetIPAddress(0.0.0.0) -> StoreIPAddress(dst) -> d0 :: Discard;",
	          "reach from m:x -> m:d0 const dst\n");
	assert_true(holds(&r, 0));
	run_end(&r);
}

static void test_setipdscp(void **st)
{
	struct run r;
	run_start(&r, "x :: SetIPDSCP(46) -> d0 :: Discard;",
	          "reach from m:x ip tos 1 -> m:d0\nreach from m:x ip tos 255 -> m:d0\n"
	          "reach from m:x -> m:d0 ip tos 184\nreach from m:x -> m:d0 ip tos 180\n");
	assert_true(holds(&r, 0));
	FIELD_IS(&r, 0, "tos", "185"); /* 46 << 2 | ECN 1 */
	assert_true(holds(&r, 1));
	FIELD_IS(&r, 1, "tos", "187");
	assert_true(holds(&r, 2));
	assert_false(holds(&r, 3));
	assert_false(approx(&r, 2));
	run_end(&r);
	struct vfy_concrete in = udp_pkt(), out = in;
	in.tos = 0x02;
	out.tos = (46 << 2) | 2;
	assert_int_equal(concrete("SetIPDSCP", "46", 1, 1, 0, &in, 0, &out), 1);
	out.tos = 46 << 2;
	assert_int_equal(concrete("SetIPDSCP", "46", 1, 1, 0, &in, 0, &out), 0);
}

static void test_markipheader(void **st)
{
	struct run r;
	/* marking where the header is keeps it; after a Strip the bytes there
	 * are read as a fresh header */
	run_start(&r, "x :: MarkIPHeader -> d0 :: Discard; FromDevice(0) -> y :: Strip(20) -> MarkIPHeader -> d1 :: Discard;",
	          "reach from m:x -> m:d0 const src\nreach from m:y -> m:d1\n");
	assert_true(holds(&r, 0));
	FIELD_HAS(&r, 0, "src", "SRC");
	assert_true(holds(&r, 1));
	FIELD_HAS(&r, 1, "src", "#");
	run_end(&r);
}

static void test_iplookup(void **st)
{
	static const char *const cls[] = { "StaticIPLookup", "LinearIPLookup", "RadixIPLookup" };
	for (size_t k = 0; k < 3; k++) {
		char click[512];
		snprintf(click, sizeof click,
		         "x :: %s(10.0.0.0/8 0, 10.1.0.0/16 10.9.9.9 1, 192.0.2.0/24 2);"
		         " x[0] -> d0 :: Discard; x[1] -> StoreIPAddress(dst) -> d1 :: Discard; x[2] -> d2 :: Discard;",
		         cls[k]);
		struct run r;
		run_start(&r, click,
		          "reach from m:x dst 10.1.2.3 -> m:d1\n"
		          "reach from m:x dst 10.1.2.3 -> m:d0\n"
		          "reach from m:x dst 10.2.0.1 -> m:d0 const dst\n"
		          "reach from m:x dst 8.8.8.8 -> m:d0\n"
		          "always from m:x -> m:d0 dst net 10.0.0.0/8 and not dst net 10.1.0.0/16\n"
		          "reach from m:x -> m:d2\n");
		assert_true(holds(&r, 0));
		FIELD_IS(&r, 0, "dst", "10.9.9.9"); /* the gateway went into the annotation */
		assert_false(holds(&r, 1));           /* longest prefix wins */
		assert_true(holds(&r, 2));
		assert_false(holds(&r, 3));           /* no route: dropped */
		assert_true(holds(&r, 4));
		assert_true(holds(&r, 5));
		FIELD_HAS(&r, 5, "dst", "192.0.2.0/24");
		run_end(&r);
	}
}

/* ---- ICMP ------------------------------------------------------------------------ */

static void test_icmppingresponder(void **st)
{
	struct run r;
	run_start(&r, "x :: ICMPPingResponder; x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;",
	          "reach from m:x icmp type 8 -> m:d0 const payload && proto\n"
	          "reach from m:x tcp -> m:d0\n"
	          "reach from m:x tcp -> m:d1\n"
	          "reach from m:x icmp type 0 -> m:d0\n"
	          "reach from m:x icmp type 8 -> m:d1\n");
	assert_true(holds(&r, 0));
	FIELD_HAS(&r, 0, "src", "DST"); /* the reply comes from whom the request went to */
	FIELD_HAS(&r, 0, "dst", "SRC");
	FIELD_IS(&r, 0, "ttl", "255");
	FIELD_IS(&r, 0, "sport", "0");  /* type 0 code 0 */
	FIELD_IS(&r, 0, "frag", "0");
	assert_false(approx(&r, 0));
	assert_false(holds(&r, 1));
	assert_true(holds(&r, 2));
	assert_false(holds(&r, 3));
	assert_true(holds(&r, 4)); /* an echo request too short for its ICMP header */
	run_end(&r);
}

static void test_icmperror(void **st)
{
	struct run r;
	run_start(&r, "x :: ICMPError(10.0.0.254, timeexceeded) -> d0 :: Discard;",
	          "reach from m:x udp src net 8.0.0.0/8 and ip[2:2] < 100 -> m:d0\n"
	          "reach from m:x icmp type 3 -> m:d0\n"
	          "reach from m:x src net 127.0.0.0/8 -> m:d0\n"
	          "reach from m:x dst 255.255.255.255 -> m:d0\n"
	          "reach from m:x ip frag and not ip[6:2] & 0x1fff = 0 -> m:d0\n"
	          "reach from m:x icmp type 8 -> m:d0 const payload\n"
	          "reach from m:x udp and ip[2:2] > 1000 -> m:d0 ip[2:2] = 576\n");
	assert_true(holds(&r, 0));
	FIELD_IS(&r, 0, "src", "10.0.0.254");
	FIELD_HAS(&r, 0, "dst", "SRC"); /* the error goes back to the sender */
	FIELD_IS(&r, 0, "proto", "1");
	FIELD_IS(&r, 0, "ttl", "200");
	FIELD_IS(&r, 0, "sport", "2816"); /* type 11, code 0 */
	FIELD_IS(&r, 0, "tos", "0");
	assert_false(approx(&r, 0));
	assert_false(holds(&r, 1)); /* no error about an error */
	assert_false(holds(&r, 2)); /* invalid source */
	assert_false(holds(&r, 3)); /* not unicast */
	assert_false(holds(&r, 4)); /* later fragment */
	assert_false(holds(&r, 5)); /* a new payload (the quoted packet) */
	assert_true(holds(&r, 6));  /* cut to MTU 576 */
	run_end(&r);
	/* the fix-IP-source annotation: IPOutputCombo rewrites src */
	run_start(&r, "x :: ICMPError(10.0.0.254, unreachable, port) -> c :: IPOutputCombo(99, 10.0.0.1, 1500);"
	              " c[0] -> d0 :: Discard; c[1] -> Discard; c[2] -> Discard; c[3] -> Discard; c[4] -> Discard;",
	          "reach from m:x udp src net 8.0.0.0/8 -> m:d0\n");
	assert_true(holds(&r, 0));
	FIELD_IS(&r, 0, "src", "10.0.0.1");
	FIELD_IS(&r, 0, "ttl", "199");
	FIELD_IS(&r, 0, "sport", "771");
	run_end(&r);
	run_start(&r, "x :: ICMPError(10.0.0.254, 3, 3, USE_FIX_ANNO false) -> c :: IPOutputCombo(99, 10.0.0.1, 1500);"
	              " c[0] -> d0 :: Discard; c[1] -> Discard; c[2] -> Discard; c[3] -> Discard; c[4] -> Discard;",
	          "reach from m:x udp src net 8.0.0.0/8 -> m:d0\n");
	assert_true(holds(&r, 0));
	FIELD_IS(&r, 0, "src", "10.0.0.254");
	run_end(&r);
	/* the flag is an annotation byte Paint can write too */
	run_start(&r, "x :: Paint(1, ANNO 19) -> c :: IPOutputCombo(99, 10.0.0.1, 1500);"
	              " c[0] -> d0 :: Discard; c[1] -> Discard; c[2] -> Discard; c[3] -> Discard; c[4] -> Discard;"
	              " FromDevice(0) -> y :: ICMPError(10.0.0.254, 3, 3) -> Paint(0, ANNO 19) -> c;",
	          "reach from m:x ip[0] = 0x45 -> m:d0\nreach from m:y udp src net 8.0.0.0/8 -> m:d0\n"
	          "reach from m:x ip[0] = 0x45 -> m:d0 const src\n");
	assert_true(holds(&r, 0));
	FIELD_IS(&r, 0, "src", "10.0.0.1");
	assert_true(holds(&r, 1));
	FIELD_IS(&r, 1, "src", "10.0.0.254");
	assert_false(holds(&r, 2));
	run_end(&r);
	/* concrete: exact fields of one error */
	struct vfy_concrete in = udp_pkt(), out = { .tos = 0, .ttl = 200, .proto = 1, .len = 88, .off = 0,
	                                            .src = 0x0a0000fe, .dst = 0x0a000001 };
	assert_int_equal(concrete("ICMPError", "10.0.0.254, timeexceeded", 1, 1, 0, &in, 0, &out), 1);
	out.len = 89;
	assert_int_equal(concrete("ICMPError", "10.0.0.254, timeexceeded", 1, 1, 0, &in, 0, &out), 0);
	out.len = 88;
	out.ttl = 64;
	assert_int_equal(concrete("ICMPError", "10.0.0.254, timeexceeded", 1, 1, 0, &in, 0, &out), 0);
}

/* ---- fragmentation, output path ------------------------------------------------------ */

static void test_ipfragmenter(void **st)
{
	struct run r;
	run_start(&r, "x :: IPFragmenter(576); x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;",
	          "reach from m:x ip[2:2] <= 576 and ip[2:2] >= 20 -> m:d0 const src && dst && payload && ttl\n"
	          "reach from m:x ip[2:2] > 576 and ip[6:2] & 0x4000 != 0 -> m:d1 const payload\n"
	          "reach from m:x ip[2:2] > 576 and ip[6:2] & 0x4000 != 0 -> m:d0\n"
	          "reach from m:x ip[2:2] > 576 and ip[0] = 0x45 and ip[6:2] = 0 -> m:d0 ip[2:2] = 572 and ip[6:2] = 0x2000\n"
	          "reach from m:x ip[2:2] > 576 and ip[0] = 0x45 and ip[6:2] = 0 -> m:d0 ip[2:2] = 20\n"
	          "reach from m:x ip[2:2] > 576 and ip[0] = 0x45 -> m:d0 const src && dst && ttl && proto\n");
	assert_true(holds(&r, 0));
	assert_false(approx(&r, 0));
	assert_true(holds(&r, 1));  /* DF: output 1, unchanged */
	assert_false(holds(&r, 2));
	assert_true(holds(&r, 3));  /* first fragment: 20 + 552 bytes, MF */
	assert_false(approx(&r, 3));
	assert_false(holds(&r, 4));
	assert_true(holds(&r, 5));  /* fragments keep the addresses, TTL, protocol */
	run_end(&r);
	/* DF ignored: cleared */
	run_start(&r, "x :: IPFragmenter(576, HONOR_DF false); x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;",
	          "reach from m:x ip[2:2] > 576 and ip[0] = 0x45 and ip[6:2] = 0x4000 -> m:d0 ip[6:2] = 0x2000\n"
	          "reach from m:x ip[2:2] > 576 and ip[0] = 0x45 -> m:d1\n");
	assert_true(holds(&r, 0));
	assert_false(holds(&r, 1));
	run_end(&r);
}

static void test_ipoutputcombo(void **st)
{
	struct run r;
	run_start(&r, "x :: IPOutputCombo(7, 10.0.0.1, 1000);"
	              " x[0] -> d0 :: Discard; x[1] -> d1 :: Discard; x[2] -> d2 :: Discard;"
	              " x[3] -> d3 :: Discard; x[4] -> d4 :: Discard;",
	          "reach from m:x ip[0] = 0x45 and ip[2:2] < 1000 and ip ttl > 1 -> m:d0 const src && dst && payload\n"
	          "reach from m:x ip ttl 1 -> m:d3\n"
	          "reach from m:x ip ttl 1 -> m:d0\n"
	          "reach from m:x ip[0] = 0x45 and ip[2:2] > 1000 -> m:d4\n"
	          "reach from m:x ip[0] = 0x45 -> m:d2\n"
	          "reach from m:x ip[0] = 0x46 -> m:d2\n"
	          "reach from m:x -> m:d1\n");
	assert_true(holds(&r, 0));
	FIELD_HAS(&r, 0, "ttl", "TTL-1");
	assert_false(approx(&r, 0));
	assert_true(holds(&r, 1));
	assert_false(holds(&r, 2));
	assert_true(holds(&r, 3));
	assert_false(holds(&r, 4)); /* no options, no option problem */
	assert_true(holds(&r, 5));
	assert_true(approx(&r, 5));
	assert_true(holds(&r, 6));  /* paint 7: a copy to output 1 */
	FIELD_HAS(&r, 6, "paint", "7");
	run_end(&r);
}

/* ---- encapsulation and link layers --------------------------------------------------- */

static void test_etherencap_esp(void **st)
{
	struct run r;
	run_start(&r, "x :: EtherEncap(0x0800, 00:01:02:03:04:05, 00:0a:0b:0c:0d:0e) -> Strip(14)"
	              " -> CheckIPHeader -> d0 :: Discard;"
	              " FromDevice(0) -> y :: IPsecESPEncap -> d1 :: Discard;",
	          "reach from m:x -> m:d0 const src && dst && payload\nreach from m:y -> m:d1\n"
	          "reach from m:y -> m:d1 const payload\n");
	assert_true(holds(&r, 0));
	FIELD_HAS(&r, 0, "src", "SRC");
	assert_true(approx(&r, 0)); /* the link header is not tracked */
	assert_true(holds(&r, 1));
	assert_true(approx(&r, 1));
	assert_false(holds(&r, 2));
	run_end(&r);
}

static void test_arp(void **st)
{
	struct run r;
	run_start(&r, "x :: ARPResponder(10.0.0.0/8 00:01:02:03:04:05); x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;",
	          "reach from m:x udp -> m:d1 const src && dst && payload\n"
	          "reach from m:x src net 10.0.0.0/8 -> m:d0\n"
	          "reach from m:x src host 8.6.0.1 and dst net 8.0.0.0/16 and ip[0] = 0x45 and ip[20:2] = 1 -> m:d0\n");
	assert_true(holds(&r, 0));
	assert_false(approx(&r, 0));
	assert_false(holds(&r, 1)); /* ordinary IPv4 is not an ARP request */
	assert_true(holds(&r, 2));  /* bytes that read as one are answered */
	assert_true(approx(&r, 2));
	run_end(&r);
	run_start(&r, "x :: SetIPAddress(0.0.0.0) -> [0]q :: ARPQuerier(10.0.0.1, 00:01:02:03:04:05);"
	              " FromDevice(0) -> y :: Null -> [0]q; FromDevice(0) -> z :: Null -> [1]q;"
	              " q[0] -> d0 :: Discard; q[1] -> d1 :: Discard;",
	          "reach from m:x -> m:d0\nreach from m:y -> m:d0\nreach from m:y -> m:d1\n"
	          "reach from m:z -> m:d0\nreach from m:y dst 255.255.255.255 -> m:d1\n");
	assert_false(holds(&r, 0)); /* next hop 0.0.0.0 */
	assert_true(holds(&r, 1));
	assert_true(holds(&r, 2));  /* an ARP query */
	assert_false(holds(&r, 3)); /* replies only update the table */
	assert_false(holds(&r, 4)); /* no query for broadcast */
	run_end(&r);
}

/* ---- transport checks, checksum setters, addresses ------------------------------------ */

static void test_transport_checks(void **st)
{
	struct run r;
	run_start(&r, "x :: CheckTCPHeader; x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;",
	          "reach from m:x udp -> m:d0\nreach from m:x udp -> m:d1 const src && dst && payload\n"
	          "reach from m:x tcp -> m:d0 const src && dst && payload\nreach from m:x tcp -> m:d1\n"
	          "reach from m:x ip proto 6 and ip[2:2] < 40 -> m:d0\n");
	assert_false(holds(&r, 0)); /* other protocols fail */
	assert_true(holds(&r, 1));
	assert_false(approx(&r, 1));
	assert_true(holds(&r, 2)); /* TCP may pass or fail (checksum not modelled) */
	assert_true(approx(&r, 2));
	assert_true(holds(&r, 3));
	assert_false(holds(&r, 4)); /* under 20 transport bytes */
	run_end(&r);
	run_start(&r, "x :: CheckUDPHeader; x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;"
	              " FromDevice(0) -> y :: CheckICMPHeader -> d2 :: Discard;",
	          "reach from m:x udp -> m:d0\nreach from m:x icmp -> m:d0\n"
	          "reach from m:y icmp -> m:d2\nreach from m:y tcp -> m:d2\n");
	assert_true(holds(&r, 0));
	assert_false(holds(&r, 1));
	assert_true(holds(&r, 2));
	assert_false(holds(&r, 3)); /* no output 1: failures dropped */
	run_end(&r);
}

static void test_set_checksums(void **st)
{
	struct run r;
	run_start(&r, "x :: SetIPChecksum -> SetTCPChecksum -> d0 :: Discard;"
	              " FromDevice(0) -> y :: SetUDPChecksum; y[0] -> d1 :: Discard; y[1] -> d2 :: Discard;",
	          "reach from m:x tcp -> m:d0 const src && dst && ttl && payload\n"
	          "reach from m:x ip[2:2] < 40 -> m:d0\n"
	          "reach from m:y udp and not ip frag -> m:d1\n"
	          "reach from m:y ip frag -> m:d1\nreach from m:y ip frag -> m:d2\n");
	assert_true(holds(&r, 0));
	assert_false(approx(&r, 0));
	assert_false(holds(&r, 1)); /* SetTCPChecksum drops under 20 transport bytes */
	assert_true(holds(&r, 2));
	assert_false(holds(&r, 3)); /* fragments to output 1 */
	assert_true(holds(&r, 4));
	run_end(&r);
}

static void test_addresses_and_switches(void **st)
{
	struct run r;
	run_start(&r, "x :: GetIPAddress(IP src) -> StoreIPAddress(dst) -> d0 :: Discard;"
	              " FromDevice(0) -> y :: ICMPError(10.0.0.254, timeexceeded) -> FixIPSrc(192.0.2.9)"
	              " -> d1 :: Discard;"
	              " FromDevice(0) -> z :: StaticSwitch(3); z[0] -> d2 :: Discard; z[1] -> d3 :: Discard;"
	              " FromDevice(0) -> w :: DropBroadcasts -> Align(4, 0) -> d4 :: Discard;",
	          "reach from m:x src net 10.0.0.0/8 -> m:d0\nreach from m:y udp -> m:d1\nreach from m:z -> m:d2\n"
	          "reach from m:w -> m:d4 const src && dst && payload\n");
	assert_true(holds(&r, 0));
	FIELD_HAS(&r, 0, "dst", "SRC"); /* the source copied into the destination */
	assert_false(approx(&r, 0));
	assert_true(holds(&r, 1));
	FIELD_IS(&r, 1, "src", "192.0.2.9"); /* ICMPError asked for its source fixed */
	assert_false(holds(&r, 2));         /* OUTPUT 3 is no output: drops */
	assert_true(holds(&r, 3));
	assert_false(approx(&r, 3));
	run_end(&r);
	/* EtherMirror behind a link header changes no field; on the IP header
	 * it scrambles the first 12 bytes' fields */
	run_start(&r, "x :: EtherEncap(0x0800, 00:01:02:03:04:05, 00:0a:0b:0c:0d:0e) -> EtherMirror"
	              " -> Strip(14) -> d0 :: Discard; FromDevice(0) -> y :: EtherMirror -> d1 :: Discard;",
	          "reach from m:x -> m:d0 const src && dst && ttl && proto && payload\n"
	          "reach from m:y -> m:d1 const src && dst\nreach from m:y -> m:d1 const ttl\n");
	assert_true(holds(&r, 0)); /* addresses and TTL kept (approximate: EtherEncap) */
	assert_true(holds(&r, 1)); /* the addresses lie past the 12 bytes */
	assert_true(approx(&r, 1));
	assert_false(holds(&r, 2)); /* the TTL byte moved */
	run_end(&r);
}

/* ---- the catalogue ---------------------------------------------------------------- */

/* ---- schedulers, FrontDropQueue, RED, meters, DelayShaper, PaintTee, info
 * elements (group: sched) ---- */

static void test_sched_group(void **st)
{
	/* schedulers, queues and delays pass every flow unchanged */
	static const char *const pass[] = {
		"x :: Queue -> s :: PrioSched -> Unqueue -> d0 :: Discard; Idle -> Queue -> [1]s;",
		"x :: Queue -> [1]s :: SimplePrioSched -> Unqueue -> d0 :: Discard; Idle -> Queue -> [0]s;",
		"x :: Queue -> [1]s :: RoundRobinSched -> Unqueue -> d0 :: Discard; Idle -> Queue -> [0]s;",
		"x :: Queue -> s :: SimpleRoundRobinSched -> Unqueue -> d0 :: Discard; Idle -> Queue -> [1]s;",
		"x :: Queue -> [1]s :: StrideSched(1, 3) -> Unqueue -> d0 :: Discard; Idle -> Queue -> [0]s;",
		"x :: FrontDropQueue(2) -> Unqueue -> d0 :: Discard;",
		"x :: Queue -> DelayShaper(10ms) -> Unqueue -> d0 :: Discard;",
		"x :: Queue -> BandwidthRatedUnqueue(1Mbps) -> d0 :: Discard;",
		"x :: Null -> d0 :: Discard; ClickyInfo(STYLE @import a.ccss); ScheduleInfo(x 1);",
	};
	for (size_t k = 0; k < sizeof pass / sizeof pass[0]; k++) {
		struct run r;
		run_start(&r, pass[k], "reach from m:x -> m:d0 const src && dst && ttl && payload\n");
		assert_true(holds(&r, 0));
		assert_false(approx(&r, 0));
		run_end(&r);
	}
	struct run r;
	/* a StrideSched input with no tickets is never pulled */
	run_start(&r, "x :: Queue -> [1]s :: StrideSched(1, 0) -> Unqueue -> d0 :: Discard; Idle -> Queue -> [0]s;",
	          "reach from m:x -> m:d0\n");
	assert_false(holds(&r, 0));
	run_end(&r);
	/* rate- and queue-dependent outputs: every output, exactly */
	static const char *const split[] = {
		"x :: RED(10, 100, .5); x[0] -> Queue -> Unqueue -> d0 :: Discard; x[1] -> d1 :: Discard;",
		"x :: Meter(1000); x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;",
		"x :: BandwidthMeter(1kBps, 2kBps); x[0] -> d0 :: Discard; x[1] -> Discard; x[2] -> d1 :: Discard;",
		"x :: BandwidthRatedSplitter(10kBps); x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;",
	};
	for (size_t k = 0; k < sizeof split / sizeof split[0]; k++) {
		run_start(&r, split[k], "reach from m:x -> m:d0\nreach from m:x -> m:d1\n");
		assert_true(holds(&r, 0));
		assert_true(holds(&r, 1));
		assert_false(approx(&r, 0));
		assert_false(approx(&r, 1));
		run_end(&r);
	}
	run_start(&r, "x :: BandwidthRatedSplitter(0bps); x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;",
	          "reach from m:x -> m:d0\nreach from m:x -> m:d1\n");
	assert_false(holds(&r, 0));
	assert_true(holds(&r, 1));
	run_end(&r);
	/* PaintTee: all to 0, a copy of the painted ones to 1 */
	run_start(&r, "x :: Paint(1) -> t :: PaintTee(1); t[0] -> d0 :: Discard; t[1] -> d1 :: Discard;",
	          "reach from m:x -> m:d0\nreach from m:x -> m:d1 const payload\n");
	assert_true(holds(&r, 0));
	assert_true(holds(&r, 1));
	FIELD_HAS(&r, 1, "payload", "DATA");
	run_end(&r);
	run_start(&r, "x :: Paint(2) -> t :: PaintTee(1); t[0] -> d0 :: Discard; t[1] -> d1 :: Discard;",
	          "reach from m:x -> m:d0\nreach from m:x -> m:d1\n");
	assert_true(holds(&r, 0));
	assert_false(holds(&r, 1));
	run_end(&r);
	run_start(&r, "x :: PaintTee(1); x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;",
	          "reach from m:x -> m:d0\nreach from m:x -> m:d1\n");
	assert_true(holds(&r, 1));
	assert_false(approx(&r, 1));
	FIELD_HAS(&r, 1, "paint", "1");
	run_end(&r);
	run_start(&r, "x :: PaintTee(1, ANNO 30); x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;",
	          "reach from m:x -> m:d0\nreach from m:x -> m:d1\n");
	assert_true(holds(&r, 1));
	assert_true(approx(&r, 1));
	run_end(&r);
}

/* An element without a model cannot exist in the catalogue: every class
 * has a symbolic model with a push function, and a packet function. */
/* ---- sources (group: sources.c) ---- */
#define UDP_DATA "\\<45 00 00 24 00 07 00 00 40 11 46 87 0a 00 00 01 c6 33 64 07 " \
                 "04 d2 16 2e 00 10 00 00 68 65 6c 6c 6f 21 0a 00>"

/* A source's flow starts at its node (no device feeds it): fields from
 * DATA's IPv4 header; anything else unconstrained; inactive ones make
 * nothing. */
static void test_sources(void **st)
{
	static const char *const cls[] = { "InfiniteSource(" UDP_DATA ", -1, 5)",
	                                   "RatedSource(" UDP_DATA ", 1000)",
	                                   "TimedSource(0.2, " UDP_DATA ")",
	                                   "InfiniteSource(DATA " UDP_DATA ", LIMIT 5, STOP true) -> Queue -> Unqueue" };
	for (size_t k = 0; k < sizeof cls / sizeof cls[0]; k++) {
		char click[512];
		snprintf(click, sizeof click, "Discard; x :: %s -> d0 :: Discard;", cls[k]);
		struct run r;
		run_start(&r, click, "reach from m -> m:d0 const src && dst && proto && sport && dport && ttl\n");
		assert_true(holds(&r, 0));
		assert_false(approx(&r, 0));
		FIELD_IS(&r, 0, "src", "10.0.0.1");
		FIELD_IS(&r, 0, "dst", "198.51.100.7");
		FIELD_IS(&r, 0, "proto", "17");
		FIELD_IS(&r, 0, "sport", "1234");
		FIELD_IS(&r, 0, "ttl", "64");
		run_end(&r);
	}
	/* Click's text is not IPv4: nothing is known */
	struct run r;
	run_start(&r, "Discard; InfiniteSource -> d0 :: Discard;",
	          "reach from m -> m:d0\nreach from m -> m:d0 dst 10.0.0.9\nreach from m -> m:d0 src 10.0.0.8\n");
	assert_true(holds(&r, 0));
	assert_true(holds(&r, 1));
	assert_true(holds(&r, 2));
	run_end(&r);
	/* Ethernet framing stripped: the header after it is read fresh */
	run_start(&r, "Discard; InfiniteSource(\\<00 01 02 03 04 05 0a 0b 0c 0d 0e 0f 08 00 45 00 00 14 "
	          "00 00 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02>) -> Strip(14) -> MarkIPHeader -> d0 :: Discard;",
	          "reach from m -> m:d0 src 10.0.0.9\n");
	assert_true(holds(&r, 0));
	run_end(&r);
	/* inactive, LIMIT 0: nothing; a dst-filtered statement sees only what matches */
	run_start(&r, "Discard; InfiniteSource(" UDP_DATA ", ACTIVE false) -> d0 :: Discard; "
	          "InfiniteSource(" UDP_DATA ", 0) -> d0; TimedSource(1, " UDP_DATA ", ACTIVE false) -> d0;",
	          "reach from m -> m:d0\n");
	assert_false(holds(&r, 0));
	run_end(&r);
	run_start(&r, "Discard; InfiniteSource(" UDP_DATA ") -> d0 :: Discard;",
	          "reach from m tcp -> m:d0\nnever from m udp -> m:d0 dst 198.51.100.8\n");
	assert_false(holds(&r, 0));
	assert_true(holds(&r, 1));
	run_end(&r);
	/* the echo request: fixed header, IP ID 1-65535, dst annotation DST */
	run_start(&r, "[0]p :: ICMPPingSource(10.0.0.1, 10.0.0.2, LIMIT 3, DATA abc) -> d0 :: Discard;",
	          "reach from m -> m:d0 const src && dst && proto && ttl\n"
	          "never from m -> m:d0 tos 1\n"
	          "reach from m:p -> m:d0\n");
	assert_true(holds(&r, 0));
	FIELD_IS(&r, 0, "src", "10.0.0.1");
	FIELD_IS(&r, 0, "dst", "10.0.0.2");
	FIELD_IS(&r, 0, "proto", "1");
	FIELD_IS(&r, 0, "ttl", "200");
	assert_true(holds(&r, 1));
	assert_false(holds(&r, 2)); /* replies entering its input are consumed */
	run_end(&r);
	/* TimedSink discards */
	run_start(&r, "x :: Queue -> TimedSink(0.1); Idle -> d0 :: Discard;", "reach from m:x -> m:d0\n");
	assert_false(holds(&r, 0));
	run_end(&r);
}

static void test_catalogue_complete(void **st)
{
	size_t n = elem_class_count();
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		const struct click_class *c = elem_class_at(i);
		assert_non_null(c);
		if (!c->model || !c->model->push || !c->runtime)
			fprintf(stderr, "%s: model %p runtime %p\n", c->name, (const void *)c->model,
			        (const void *)c->runtime);
		assert_non_null(c->model);
		assert_non_null(c->model->push);
		assert_non_null(c->runtime);
		/* network device elements say which port they are; the
		 * process device's elements are ordinary ones to the verifier
		 * (FromProcess originates, ToProcess drops) */
		if (elem_net_device(c))
			assert_non_null(c->model->device);
		if (c->flags & ELEM_PROCESS)
			assert_null(c->model->device);
	}
}

/* ---- group ipx: lookups, IPGWOptions, IPInputCombo, HostEtherFilter,
 * CheckIPHeader2, CheckLength, Truncate, StripIPHeader and kin ---- */

static void test_ipx_lookups(void **st)
{
	static const char *const cls[] = { "DirectIPLookup", "SortedIPLookup" };
	for (size_t k = 0; k < 2; k++) {
		char click[512];
		snprintf(click, sizeof click,
		         "x :: %s(10.0.0.0/8 0, 10.1.0.0/16 10.9.9.9 1, 192.0.2.0/24 2, 192.0.2.0/24 0);"
		         " x[0] -> d0 :: Discard; x[1] -> StoreIPAddress(dst) -> d1 :: Discard; x[2] -> d2 :: Discard;",
		         cls[k]);
		struct run r;
		run_start(&r, click,
		          "reach from m:x dst 10.1.2.3 -> m:d1\n"
		          "reach from m:x dst 10.1.2.3 -> m:d0\n"
		          "reach from m:x dst 8.8.8.8 -> m:d0\n"
		          "reach from m:x dst 192.0.2.7 -> m:d2\n"
		          "reach from m:x dst 192.0.2.7 -> m:d0\n");
		assert_true(holds(&r, 0));
		FIELD_IS(&r, 0, "dst", "10.9.9.9");
		assert_false(holds(&r, 1));
		assert_false(holds(&r, 2)); /* no route: dropped */
		assert_true(holds(&r, 3));  /* the first route for a prefix stays */
		assert_false(holds(&r, 4));
		run_end(&r);
	}
}

static void test_ipx_ipgwoptions(void **st)
{
	struct run r;
	run_start(&r, "x :: IPGWOptions(10.0.0.1); x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;",
	          "reach from m:x ip[0] = 0x45 -> m:d0 const src && dst && payload\n"
	          "reach from m:x ip[0] = 0x45 -> m:d1\n"
	          "reach from m:x ip[0] = 0x46 -> m:d1\n"
	          "reach from m:x ip[0] = 0x4f -> m:d0\n");
	assert_true(holds(&r, 0));
	assert_false(approx(&r, 0));
	assert_false(holds(&r, 1)); /* no options, no problem */
	assert_true(holds(&r, 2));
	assert_true(approx(&r, 2));
	assert_true(holds(&r, 3));
	assert_true(approx(&r, 3));
	run_end(&r);
}

static void test_ipx_ipinputcombo(void **st)
{
	struct run r;
	run_start(&r, "x :: EtherEncap(0x0800, 00:01:02:03:04:05, 00:0a:0b:0c:0d:0e) -> IPInputCombo(4, 10.0.0.1)"
	              " -> d0 :: Discard;"
	              " FromDevice(0) -> y :: IPInputCombo(4) -> d1 :: Discard;",
	          "reach from m:x -> m:d0 const src && dst && payload\n"
	          "reach from m:x src 10.0.0.1 -> m:d0\n"
	          "reach from m:x src 0.0.0.0 -> m:d0\n"
	          "reach from m:x src 255.255.255.255 -> m:d0\n"
	          "reach from m:y -> m:d1\n");
	assert_true(holds(&r, 0));
	FIELD_HAS(&r, 0, "src", "SRC"); /* the same header, found again */
	FIELD_IS(&r, 0, "paint", "4");
	assert_false(holds(&r, 1)); /* BADSRC, and the two the positional form adds */
	assert_false(holds(&r, 2));
	assert_false(holds(&r, 3));
	assert_true(holds(&r, 4));  /* no link header: a header read from bytes 14 on */
	assert_true(approx(&r, 4));
	FIELD_HAS(&r, 4, "src", "#");
	run_end(&r);
}

static void test_ipx_hostetherfilter(void **st)
{
	struct run r;
	run_start(&r, "x :: HostEtherFilter(00:01:02:03:04:05); x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;"
	              " FromDevice(0) -> y :: HostEtherFilter(00:01:02:03:04:05, false, false)"
	              " -> b :: DropBroadcasts; b[0] -> d2 :: Discard; b[1] -> d3 :: Discard;"
	              " FromDevice(0) -> z :: DropBroadcasts; z[0] -> d4 :: Discard; z[1] -> d5 :: Discard;",
	          "reach from m:x -> m:d0\n"
	          "reach from m:x -> m:d1\n"
	          "reach from m:y -> m:d2\n"
	          "reach from m:y -> m:d3\n"
	          "reach from m:z -> m:d5\n"
	          "reach from m:z -> m:d4 const src && dst && payload\n");
	assert_true(holds(&r, 0));
	assert_true(approx(&r, 0));
	assert_true(holds(&r, 1));
	assert_true(approx(&r, 1));
	assert_true(holds(&r, 2)); /* the packet type is unknown after it */
	assert_true(holds(&r, 3));
	assert_true(approx(&r, 3));
	assert_false(holds(&r, 4)); /* without it, packets are the host's */
	assert_true(holds(&r, 5));
	assert_false(approx(&r, 5));
	run_end(&r);
	/* IPOutputCombo and ICMPError drop link-level broadcasts: after
	 * HostEtherFilter they may, so what passes is approximate */
	run_start(&r, "x :: HostEtherFilter(00:01:02:03:04:05, false, false) -> o :: IPOutputCombo(0, 10.0.0.1, 1500);"
	              " o[0] -> d0 :: Discard; o[1] -> Discard; o[2] -> Discard; o[3] -> Discard; o[4] -> Discard;"
	              " FromDevice(0) -> y :: HostEtherFilter(00:01:02:03:04:05, false, false)"
	              " -> ICMPError(10.0.0.1, timeexceeded) -> d1 :: Discard;"
	              " FromDevice(0) -> z :: IPOutputCombo(0, 10.0.0.1, 1500); z[0] -> d2 :: Discard;"
	              " z[1] -> Discard; z[2] -> Discard; z[3] -> Discard; z[4] -> Discard;",
	          "reach from m:x ip[0] = 0x45 -> m:d0\n"
	          "reach from m:y src 10.0.0.2 and dst 10.0.0.3 -> m:d1\n"
	          "reach from m:z ip[0] = 0x45 -> m:d2\n");
	assert_true(holds(&r, 0));
	assert_true(approx(&r, 0));
	assert_true(holds(&r, 1));
	assert_true(approx(&r, 1));
	assert_true(holds(&r, 2));
	assert_false(approx(&r, 2));
	run_end(&r);
}

static void test_ipx_lengths(void **st)
{
	struct run r;
	run_start(&r, "x :: CheckLength(100); x[0] -> d0 :: Discard; x[1] -> d1 :: Discard;"
	              " FromDevice(0) -> y :: Strip(20) -> c :: CheckLength(80); c[0] -> d2 :: Discard; c[1] -> d3 :: Discard;"
	              " FromDevice(0) -> z :: EtherEncap(0x0800, 0:1:2:3:4:5, 0:1:2:3:4:6) -> e :: CheckLength(114);"
	              " e[0] -> d4 :: Discard; e[1] -> d5 :: Discard;"
	              " FromDevice(0) -> t :: Truncate(60) -> d6 :: Discard;",
	          "reach from m:x ip[2:2] = 100 -> m:d0 const src && dst && payload\n"
	          "reach from m:x ip[2:2] = 101 -> m:d0\n"
	          "reach from m:x ip[2:2] = 101 -> m:d1\n"
	          "reach from m:y ip[2:2] = 100 -> m:d2\n"
	          "reach from m:y ip[2:2] = 101 -> m:d2\n"
	          "reach from m:z ip[2:2] = 100 -> m:d4\n"
	          "reach from m:z ip[2:2] = 101 -> m:d5\n"
	          "reach from m:t ip[2:2] = 60 -> m:d6 const src && dst && payload\n"
	          "reach from m:t ip[2:2] = 61 -> m:d6 const payload\n"
	          "reach from m:t ip[2:2] = 61 -> m:d6\n");
	assert_true(holds(&r, 0));
	assert_false(approx(&r, 0));
	assert_false(holds(&r, 1));
	assert_true(holds(&r, 2));
	assert_true(holds(&r, 3));  /* 80 bytes after the strip */
	assert_false(holds(&r, 4));
	assert_true(holds(&r, 5));  /* 114 with the link header */
	assert_true(holds(&r, 6));
	assert_true(holds(&r, 7));  /* short enough: untouched */
	assert_false(approx(&r, 7));
	assert_false(holds(&r, 8)); /* cut: a new payload */
	assert_true(holds(&r, 9));
	assert_true(approx(&r, 9));
	run_end(&r);
}

static void test_ipx_strips(void **st)
{
	struct run r;
	run_start(&r, "x :: StripIPHeader -> UnstripIPHeader -> CheckIPHeader -> d0 :: Discard;"
	              " FromDevice(0) -> y :: Strip(10) -> StripToNetworkHeader -> MarkIPHeader -> d1 :: Discard;"
	              " FromDevice(0) -> z :: EtherEncap(0x0800, 0:1:2:3:4:5, 0:1:2:3:4:6) -> StripToNetworkHeader"
	              " -> MarkIPHeader -> d2 :: Discard;"
	              " FromDevice(0) -> w :: StripIPHeader -> Unstrip(24) -> MarkIPHeader -> d3 :: Discard;"
	              " FromDevice(0) -> v :: StripIPHeader -> MarkIPHeader -> d4 :: Discard;",
	          "reach from m:x -> m:d0\n"
	          "reach from m:y -> m:d1\n"
	          "reach from m:z -> m:d2\n"
	          "reach from m:w ip[0] = 0x46 -> m:d3\n"
	          "reach from m:w ip[0] = 0x45 -> m:d3\n"
	          "reach from m:v -> m:d4\n");
	for (size_t i = 0; i < 4; i++) {
		assert_true(holds(&r, i));
		FIELD_HAS(&r, i, "src", "SRC"); /* back on the header the model tracks */
	}
	assert_true(holds(&r, 4));
	FIELD_HAS(&r, 4, "src", "#"); /* 4 bytes before it: a header read from other bytes */
	assert_true(holds(&r, 5));
	FIELD_HAS(&r, 5, "src", "#"); /* the transport header read as IP */
	run_end(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pass_through),
		cmocka_unit_test(test_idle_and_rate_zero),
		cmocka_unit_test(test_tee),
		cmocka_unit_test(test_switches),
		cmocka_unit_test(test_paint),
		cmocka_unit_test(test_setipaddress),
		cmocka_unit_test(test_storeipaddress),
		cmocka_unit_test(test_setipdscp),
		cmocka_unit_test(test_markipheader),
		cmocka_unit_test(test_iplookup),
		cmocka_unit_test(test_icmppingresponder),
		cmocka_unit_test(test_icmperror),
		cmocka_unit_test(test_ipfragmenter),
		cmocka_unit_test(test_ipoutputcombo),
		cmocka_unit_test(test_etherencap_esp),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_transport_checks),
		cmocka_unit_test(test_set_checksums),
		cmocka_unit_test(test_addresses_and_switches),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_catalogue_complete),
		cmocka_unit_test(test_sched_group),
		/* group ipx */
		cmocka_unit_test(test_ipx_lookups),
		cmocka_unit_test(test_ipx_ipgwoptions),
		cmocka_unit_test(test_ipx_ipinputcombo),
		cmocka_unit_test(test_ipx_hostetherfilter),
		cmocka_unit_test(test_ipx_lengths),
		cmocka_unit_test(test_ipx_strips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
