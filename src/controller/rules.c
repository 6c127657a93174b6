/* The security rules (docs/security.md) applied
 * to the flows a module emits when fed an unconstrained packet addressed to
 * it (vfy_module_exits). Each flow is classified per rule:
 *   pass     every packet of the flow conforms;
 *   partial  some packets may conform and some may not (a field taken from
 *            the payload, a destination that may or may not be allowed);
 *   fail     no packet of the flow conforms (a constant victim address).
 * The module is safe when every flow passes every rule, rejected when no
 * flow has a packet that conforms, sandboxed otherwise. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"

enum res { R_PASS, R_PARTIAL, R_FAIL };
static const char *const res_names[] = {"pass", "partial", "fail"};

const char *ctl__verdict_name(enum ctl_verdict v)
{
	return v == CTL_SAFE ? "safe" : v == CTL_SANDBOXED ? "sandboxed" : "rejected";
}

struct ival {
	uint32_t lo, hi;
};

static int cmp_ival(const void *a, const void *b)
{
	const struct ival *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* allowed prefixes -> sorted, merged intervals */
static size_t merge(const struct inet_prefix *p, size_t n, struct ival *out)
{
	for (size_t i = 0; i < n; i++) {
		out[i].lo = p[i].addr & inet_mask(p[i].len);
		out[i].hi = out[i].lo | ~inet_mask(p[i].len);
	}
	qsort(out, n, sizeof *out, cmp_ival);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && (out[m - 1].hi == UINT32_MAX || out[i].lo <= out[m - 1].hi + 1)) {
			if (out[i].hi > out[m - 1].hi)
				out[m - 1].hi = out[i].hi;
		} else {
			out[m++] = out[i];
		}
	}
	return m;
}

/* Is [lo, hi] inside the union? Does it meet it? */
static void cover(const struct ival *a, size_t n, uint32_t lo, uint32_t hi, bool *inside, bool *meets)
{
	*inside = false;
	*meets = false;
	for (size_t i = 0; i < n; i++) {
		if (a[i].hi < lo || a[i].lo > hi)
			continue;
		*meets = true;
		if (a[i].lo <= lo && a[i].hi >= hi)
			*inside = true;
	}
}

static json_t *dst_json(const struct vfy_exit *e)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < e->ndst && i < 16; i++) {
		char lo[16], hi[16];
		inet_format_addr(e->dst[i][0], lo);
		inet_format_addr(e->dst[i][1], hi);
		if (e->dst[i][0] == e->dst[i][1])
			json_array_append_new(a, json_string(lo));
		else
			json_array_append_new(a, json_sprintf("%s-%s", lo, hi));
	}
	if (e->ndst > 16)
		json_array_append_new(a, json_sprintf("... (%u intervals)", e->ndst));
	return a;
}

static json_t *violation(const struct vfy_exit *e, enum res r, const char *problem)
{
	json_t *trace = e->trace_json ? json_loads(e->trace_json, 0, NULL) : NULL;
	json_t *src = json_string(e->src_is_module      ? "module address"
	                          : e->src_is_entry_src ? "entry source"
	                          : e->src_may_be_module ? "variable (may be the module address)"
	                                                 : "not the module address");
	return json_pack("{s:I, s:s, s:s, s:o, s:o, s:b, s:o}", "device", (json_int_t)e->device,
	                 "result", res_names[r], "problem", problem, "src", src, "dst", dst_json(e),
	                 "approximate", e->approximate, "trace", trace ? trace : json_null());
}

static enum res anti_spoofing(const struct vfy_exit *e, const char **why)
{
	if (e->src_is_module || e->src_is_entry_src)
		return R_PASS;
	if (e->src_may_be_module) {
		*why = "the source may be other than the module's address or the entering source";
		return R_PARTIAL;
	}
	*why = "the source is never the module's address nor the entering source (spoofed)";
	return R_FAIL;
}

static enum res default_off(const struct vfy_exit *e, const struct ival *allow, size_t nallow,
                            const char **why)
{
	if (e->dst_is_entry_src)
		return R_PASS; /* implicit authorization: a reply */
	if (e->ndst == 0) {
		*why = "the destination has no possible value";
		return R_FAIL;
	}
	bool all_inside = true, any_meets = false;
	uint64_t count = 0;
	for (uint32_t i = 0; i < e->ndst; i++) {
		bool in, meets;
		cover(allow, nallow, e->dst[i][0], e->dst[i][1], &in, &meets);
		all_inside &= in;
		any_meets |= meets;
		count += (uint64_t)e->dst[i][1] - e->dst[i][0] + 1;
	}
	if (all_inside)
		return R_PASS;
	if (any_meets) {
		*why = "the destination may be outside the tenant's prefixes, whitelist and modules";
		return R_PARTIAL;
	}
	if (count > 1) {
		/* a variable destination: only replies to a flow seen entering
		 * could conform, which only the run-time enforcer can tell */
		*why = "the destination is not authorized unless it happens to be a reply";
		return R_PARTIAL;
	}
	*why = "the destination is a fixed address that did not authorize the traffic";
	return R_FAIL;
}

bool ctl__rules_breaks(void *ud, const struct vfy_exit *e)
{
	const struct ctl_rules_in *in = ud;
	const char *why;
	if (in->kind != REG_KIND_OPERATOR && anti_spoofing(e, &why) != R_PASS)
		return true;
	if (in->kind != REG_KIND_THIRD_PARTY)
		return false;
	struct ival *allow = calloc(in->nallowed + 1, sizeof *allow);
	if (!allow)
		return true; /* build it: the check reports the shortage */
	size_t nallow = merge(in->allowed, in->nallowed, allow);
	bool breaks = default_off(e, allow, nallow, &why) != R_PASS;
	free(allow);
	return breaks;
}

/* What the exits gave, rule by rule. */
struct tally {
	bool spoof_applies, off_applies;
	json_t *sv, *ov;            /* violations: anti-spoofing, default-off */
	enum res sworst, oworst;
	size_t npass, npartial, nfail;
};

static int classify_exits(const struct ctl_rules_in *in, const struct vfy_exits *x,
                          struct tally *t)
{
	struct ival *allow = calloc(in->nallowed + 1, sizeof *allow);
	if (!allow)
		return -ENOMEM;
	size_t nallow = merge(in->allowed, in->nallowed, allow);
	for (size_t i = 0; i < x->n; i++) {
		const struct vfy_exit *e = &x->v[i];
		enum res s = R_PASS, o = R_PASS;
		const char *sw = NULL, *ow = NULL;
		if (t->spoof_applies && (s = anti_spoofing(e, &sw)) != R_PASS)
			json_array_append_new(t->sv, violation(e, s, sw));
		if (t->off_applies && (o = default_off(e, allow, nallow, &ow)) != R_PASS)
			json_array_append_new(t->ov, violation(e, o, ow));
		if (s > t->sworst)
			t->sworst = s;
		if (o > t->oworst)
			t->oworst = o;
		enum res w = s > o ? s : o;
		t->npass += w == R_PASS;
		t->npartial += w == R_PARTIAL;
		t->nfail += w == R_FAIL;
	}
	free(allow);
	return 0;
}

/* The module as a whole. */
static enum ctl_verdict verdict_of(const struct tally *t)
{
	if (t->npartial == 0 && t->nfail == 0)
		return CTL_SAFE;
	if (t->npass == 0 && t->npartial == 0)
		return CTL_REJECTED;
	return CTL_SANDBOXED;
}

/* The rules with their results and violations (stolen from t). */
static json_t *rules_json(const struct ctl_rules_in *in, struct tally *t)
{
	json_t *rules = json_array();
	json_array_append_new(rules, json_pack("{s:s, s:b, s:s, s:s, s:o}", "rule", "anti-spoofing",
	                                       "applies", t->spoof_applies, "result",
	                                       t->spoof_applies ? res_names[t->sworst] : "not applicable",
	                                       "why",
	                                       t->spoof_applies
	                                           ? "every flow leaving the module has the module's "
	                                             "address or the entering source as its source"
	                                           : "operator modules are checked for correctness only",
	                                       "violations", t->sv));
	json_array_append_new(
		rules, json_pack("{s:s, s:b, s:s, s:s, s:o}", "rule", "default-off", "applies",
	                     t->off_applies, "result",
	                     t->off_applies ? res_names[t->oworst] : "not applicable", "why",
	                     t->off_applies ? "every flow goes to the tenant's prefixes or whitelist, to "
	                                      "another of its modules, or back to the entering source"
	                     : in->kind == REG_KIND_CLIENT
	                         ? "clients may send to any destination (as their own connectivity)"
	                         : "operator modules are checked for correctness only",
	                     "violations", t->ov));
	return rules;
}

int ctl__rules_check(const struct ctl_rules_in *in, const struct vfy_exits *x,
                     enum ctl_verdict *verdict, json_t **report)
{
	struct tally t = {
		.spoof_applies = in->kind != REG_KIND_OPERATOR,
		.off_applies = in->kind == REG_KIND_THIRD_PARTY,
		.sv = json_array(), .ov = json_array(),
	};
	int rc = classify_exits(in, x, &t);
	if (rc) {
		json_decref(t.sv);
		json_decref(t.ov);
		return rc;
	}
	*verdict = verdict_of(&t);
	*report = json_pack("{s:s, s:I, s:I, s:o}", "verdict", ctl__verdict_name(*verdict), "exits",
	                    (json_int_t)x->n, "flows", (json_int_t)x->flows, "rules", rules_json(in, &t));
	return *report ? 0 : -ENOMEM;
}
