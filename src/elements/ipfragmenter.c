/* IPFragmenter(MTU [, HONOR_DF] [, VERBOSE] [, HEADROOM n]) (Click's):
 * MTU >= 8; HONOR_DF true; VERBOSE false. DF packets too long go to
 * output 1. */
#include <errno.h>

#include "elements/args.h"
#include "elements/describe.h"
#include "elements/element.h"
#include "elements/model_util.h"
#include "runtime/ops.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct ipfragmenter_conf {
	uint32_t mtu;      /* >= 8 */
	bool honor_df;     /* true */
	bool verbose;      /* false */
	uint32_t headroom; /* for new fragments; 0: the runtime's default */
};

static int ipfragmenter_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                  void **conf)
{
	struct ipfragmenter_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->honor_df = true;
	struct arg_spec spec[] = {
		arg_u32("MTU", ARG_MP, &c->mtu),
		arg_bool("HONOR_DF", ARG_P, &c->honor_df),
		arg_bool("VERBOSE", ARG_P, &c->verbose),
		arg_u32("HEADROOM", 0, &c->headroom),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	if (c->mtu < 8)
		return arg_error(ctx, &spec[0].val, "must be at least 8");
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* IPFragmenter (the packet's length from the IP header is LEN: devices and
 * CheckIPHeader trim). LEN < 20: output 1. LEN <= MTU: output 0 unchanged.
 * Longer packets, per header length hl: a bad header length, DF with
 * HONOR_DF, or fewer than 8 payload bytes per fragment go to output 1
 * (dropped when absent). Otherwise DF (when ignored) is cleared and the ID
 * becomes a random nonzero value; the first fragment keeps every field but
 * LEN (hl*4 + the first fragment's data) and the fragment field (MF set)
 * and gets a new payload version; the later fragments (as many as needed)
 * are summarised by one flow: header fields copied, LEN, the fragment
 * field and the bytes where ports would be unknown, marked approximate. A
 * packet that needs 64 or more later fragments is dropped, as the runtime
 * does. */
static void frag_out1(struct sym_ctx *cx, struct sym_flow *f)
{
	if (f)
		sym_emit(cx, 1, f);
}

static void frag_hl(struct sym_ctx *cx, const struct ipfragmenter_conf *c, struct sym_flow *f,
                    uint32_t hl)
{
	uint32_t hlen = hl * 4;
	int64_t fd = ((int64_t)c->mtu - hlen) & ~(int64_t)7;
	if (hl < 5 || fd < 8) {
		frag_out1(cx, f);
		return;
	}
	struct sym_flow *fits = NULL, *shorter = NULL;
	sym_split_range(cx, f, SYM_F_LEN, hlen, 0xffff, &fits, &shorter);
	frag_out1(cx, shorter);
	if (!(f = fits))
		return;
	struct sym_flow *df = NULL, *nodf = NULL;
	mu_split_masked(cx, f, SYM_F_OFF, 0x4000, 0x4000, &df, &nodf);
	if (df) {
		if (c->honor_df) {
			frag_out1(cx, df);
			df = NULL;
		} else {
			sym_add(cx, df, SYM_F_OFF, -0x4000);
			sym_set_range(cx, df, SYM_F_ID, 1, 0xffff, "id");
		}
	}
	/* how many later fragments: out_hlen is 20 plus the copied options
	 * (known only without options) */
	uint32_t dl_min = (uint32_t)fd, dl_max = hl == 5 ? (uint32_t)fd : (c->mtu - 20) & ~7u;
	uint64_t sure = hlen + (uint64_t)fd + 63ull * dl_min; /* <= sure: fewer than 64 */
	uint64_t never = hlen + (uint64_t)fd + 63ull * dl_max; /* > never: 64 or more */
	for (int k = 0; k < 2; k++) {
		struct sym_flow *g = k ? nodf : df;
		if (!g)
			continue;
		struct sym_flow *ok = NULL, *many = NULL, *maybe = NULL, *drop = NULL;
		sym_split_range(cx, g, SYM_F_LEN, 0, sure > 0xffff ? 0xffff : (uint32_t)sure, &ok, &many);
		if (many && never < 0xffff)
			sym_split_range(cx, many, SYM_F_LEN, 0, (uint32_t)never, &maybe, &drop);
		else
			maybe = many;
		if (drop)
			sym_drop(cx, drop, "IPFragmenter: 64 or more fragments");
		if (maybe)
			sym_approx(cx, maybe, "IPFragmenter: the fragment count depends on IP options");
		for (int m = 0; m < 2; m++) {
			struct sym_flow *p = m ? maybe : ok;
			if (!p)
				continue;
			struct sym_flow *later = sym_clone(cx, p);
			/* the first fragment */
			struct sym_flow *mf = NULL, *nomf = NULL;
			mu_split_masked(cx, p, SYM_F_OFF, 0x2000, 0x2000, &mf, &nomf);
			if (nomf)
				sym_add(cx, nomf, SYM_F_OFF, 0x2000);
			for (int q = 0; q < 2; q++) {
				struct sym_flow *first = q ? nomf : mf;
				if (!first)
					continue;
				sym_set_const(cx, first, SYM_F_LEN, hlen + (uint32_t)fd);
				sym_set_fresh(cx, first, SYM_F_PAYLOAD, "data");
				sym_emit(cx, 0, first);
			}
			if (!later)
				continue;
			if (hl != 5)
				sym_set_range(cx, later, SYM_F_VHL, 0x45, 0x40 | hl, "vhl");
			sym_set_range(cx, later, SYM_F_LEN, 21, c->mtu < 0xffff ? c->mtu : 0xffff, "len");
			sym_set_fresh(cx, later, SYM_F_OFF, "frag");
			sym_set_fresh(cx, later, SYM_F_SPORT, "sport");
			sym_set_fresh(cx, later, SYM_F_DPORT, "dport");
			sym_set_fresh(cx, later, SYM_F_TCPFLAGS, "flags");
			sym_set_fresh(cx, later, SYM_F_PAYLOAD, "data");
			sym_approx(cx, later, "IPFragmenter: later fragments are summarised by one flow");
			sym_emit(cx, 0, later);
		}
	}
}

static int ipfragmenter_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                 struct sym_flow *f)
{
	const struct ipfragmenter_conf *c = e->conf;
	struct sym_flow *tiny = NULL, *rest = NULL, *fits = NULL, *big = NULL;
	sym_split_range(cx, f, SYM_F_LEN, 0, 19, &tiny, &rest);
	frag_out1(cx, tiny);
	if (!rest)
		return 0;
	sym_split_range(cx, rest, SYM_F_LEN, 0, c->mtu < 0xffff ? c->mtu : 0xffff, &fits, &big);
	if (fits)
		sym_emit(cx, 0, fits);
	uint32_t vhl;
	if (!big)
		return 0;
	if (sym_get_const(big, SYM_F_VHL, &vhl)) {
		frag_hl(cx, c, big, vhl & 15);
		return 0;
	}
	for (uint32_t hl = 0; hl < 16 && big; hl++) {
		struct sym_flow *this = NULL, *other = NULL;
		if (!mu_split_masked(cx, big, SYM_F_VHL, 0x0f, hl, &this, &other))
			break;
		if (this)
			frag_hl(cx, c, this, hl);
		big = other;
	}
	return 0;
}

static const struct elem_model ipfragmenter_model = { .push = ipfragmenter_sym_push };

/* ---- runtime (packet functions) ---- */
static void ipfragmenter_push(struct rt_elem *e, uint32_t port, struct rt_pkt *p)
{
	const struct ipfragmenter_conf *c = e->conf;
	rt_op_fragment(e, p, c->mtu, c->honor_df);
}

static const struct elem_runtime ipfragmenter_runtime = { .push = ipfragmenter_push };

/* ---- describe and the class objects ---- */
static json_t *ipfragmenter_describe(const void *conf)
{
	const struct ipfragmenter_conf *c = conf;
	return json_pack("{s:I, s:b, s:b, s:I}", "MTU", (json_int_t)c->mtu, "HONOR_DF", c->honor_df,
	                 "VERBOSE", c->verbose, "HEADROOM", (json_int_t)c->headroom);
}

const struct click_class elem_ipfragmenter = {
	.name = "IPFragmenter",
	.port_count = "1/1-2",
	.processing = "h/h",
	.configure = ipfragmenter_configure,
	.model = &ipfragmenter_model,
	.runtime = &ipfragmenter_runtime,
	.describe = ipfragmenter_describe,
	.doc_args = "MTU (unsigned, at least 8; mandatory), [HONOR_DF] (bool, default true), "
	            "[VERBOSE] (bool, default false); keyword HEADROOM (unsigned, default 0: the "
	            "runtime's)",
	.doc_model = "Packets up to MTU pass unchanged; longer DF packets go to output 1 when "
	             "HONOR_DF. The first fragment is exact, the later ones are summarised by one "
	             "approximate flow, and a packet that needs 64 or more fragments is dropped, "
	             "as the runtime does.",
};
