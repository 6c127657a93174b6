/* libFuzzer: arbitrary bytes as packets through modules that use most
 * elements, both as device input (checked IPv4) and pushed raw behind
 * MarkIPHeader (annotations that may point past the data). No crash, no
 * sanitizer report, and no packet may leak: every pool buffer in use is a
 * packet some queue holds. Each configuration runs twice, with compiled
 * chains and through the interpreter (rt_limits.no_compile), on the same
 * packets: their counters must agree after every input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "click/click.h"
#include "elements/element.h"
#include "runtime/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const configs[] = {
	"FromDevice(0) -> c :: CheckIPHeader -> f :: IPFilter(allow udp, allow tcp, 1 icmp, deny all)"
	" -> rw :: IPRewriter(pattern 1.1.1.1 1000-1003 - - 0 1, pass 1) -> d :: DecIPTTL -> fr :: IPFragmenter(68)"
	" -> q :: Queue(8) -> TimedUnqueue(1, 4) -> ToDevice(0);"
	"c[1] -> Discard; f[1] -> p :: ICMPPingResponder -> ToDevice(1); p[1] -> ICMPError(9.9.9.9, unreachable, needfrag) -> ToDevice(2);"
	"rw[1] -> ma :: MarkIPHeader -> ar :: IPAddrRewriter(pattern 5.5.5.0/30 - 0 1, drop) -> ToDevice(3); ar[1] -> ToDevice(3);"
	"d[1] -> ICMPError(9.9.9.9, timeexceeded) -> ToDevice(4); fr[1] -> Discard; q[1] -> Discard;"
	"Idle -> [1]rw; Idle -> [1]ar",
	"FromDevice(0) -> t :: Tee(3); t[0] -> Strip(14) -> Unstrip(200) -> EtherEncap(0x0800, 1:2:3:4:5:6, 6:5:4:3:2:1) -> ToDevice(0);"
	"t[1] -> IPMirror -> SetIPDSCP(3) -> s :: StoreIPAddress(1.2.3.4, dst) -> ce :: ChangeEnforcer(1.2.3.4, ALLOW 10.0.0.0/8);"
	"s[1] -> Discard; ce[0] -> ToDevice(1); Idle -> [1]ce; ce[1] -> ToDevice(1);"
	"t[2] -> h :: HashSwitch(0, 40); h[0] -> IPEncap(gre, 1.1.1.1, DST_ANNO) -> ToDevice(2);"
	"h[1] -> UDPIPEncap(1.1.1.1, 1, 2.2.2.2, 2) -> ToDevice(2); h[2] -> oc :: IPOutputCombo(0, 3.3.3.3, 100);"
	"oc[0] -> ToDevice(3); oc[1] -> ToDevice(3); oc[2] -> ToDevice(3); oc[3] -> ToDevice(3); oc[4] -> ToDevice(3);"
	"FromDevice(1) -> ma :: MarkIPHeader(14) -> StoreData(3, \\<ff00>, \\<f0f0>, GROW true) -> cl :: Classifier(12/0806, 12/0800, -);"
	"cl[0] -> a :: ARPResponder(10.0.0.0/8 1:1:1:1:1:1) -> ToDevice(4); a[1] -> [1]aq :: ARPQuerier(10.0.0.1, 2:2:2:2:2:2);"
	"cl[1] -> Strip(14) -> CheckIPHeader -> lk :: StaticIPLookup(10.0.0.0/8 10.0.0.9 0, 0.0.0.0/0 1);"
	"lk[0] -> aq; lk[1] -> Discard;"
	"aq -> ToDevice(5); cl[2] -> rs :: RatedSplitter(5) -> ToDevice(6); rs[1] -> Discard",
};

#define NCONF (sizeof configs / sizeof configs[0])

struct world {
	struct rt_simple_pool *sp;
	struct rt_pool pool;
	struct rt_module *m[2 * NCONF]; /* compiled, then interpreted */
	uint64_t now;
};

static void tx(void *ctx, uint32_t dev, struct rt_pkt *p)
{
	struct world *w = ctx;
	w->pool.free(w->pool.ctx, p);
}

static struct world *world(void)
{
	static struct world *w;
	if (w)
		return w;
	w = calloc(1, sizeof *w);
	w->sp = rt_simple_pool_new(4096, 2048, 256);
	w->pool = rt_simple_pool_ops(w->sp);
	struct rt_env env = { .pool = w->pool, .tx = tx, .tx_ctx = w };
	for (size_t i = 0; i < 2 * NCONF; i++) {
		struct rt_limits lim = { .flow_capacity = 8, .seed = 1, .no_compile = i >= NCONF };
		struct src_file f = { "<fuzz>", configs[i % NCONF], strlen(configs[i % NCONF]) };
		struct diags d;
		diags_init(&d);
		struct click_graph *g = NULL;
		if (click_parse(&f, &elem_click_options, &g, &d) || rt_module_new(g, &env, &lim, 0, true, &w->m[i], &d)) {
			diags_print(stderr, &d);
			abort();
		}
		diags_free(&d);
	}
	return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct world *w = world();
	/* one selector byte, then a packet that fits a pool buffer (2048 bytes
	 * less 256 of headroom) */
	if (size < 2 || size - 1 > 2048 - 256)
		return 0;
	uint8_t sel = data[0];
	data++;
	size--;
	w->now += (uint64_t)(sel >> 4) * 100000000u;
	for (size_t k = 0; k < 2; k++) {
		struct rt_module *m = w->m[sel % NCONF + k * NCONF];
		struct rt_pkt *p = w->pool.alloc(w->pool.ctx, (uint32_t)size);
		if (!p)
			abort();
		memcpy(rt_pkt_data(p), data, size);
		p->len = (uint32_t)size;
		p->pkt_type = (uint8_t)(sel >> 5);
		uint32_t dev = (sel >> 3) & 1;
		if (dev < rt_module_ndev_in(m) && rt_module_dev_in_name(m, dev))
			rt_module_push(m, dev, p, w->now);
		else
			w->pool.free(w->pool.ctx, p);
		rt_module_run_timers(m, w->now);
	}
	struct rt_counters cc, ci;
	rt_module_counters(w->m[sel % NCONF], &cc);
	rt_module_counters(w->m[sel % NCONF + NCONF], &ci);
	if (memcmp(&cc, &ci, sizeof cc))
		abort(); /* a compiled chain did not do what the interpreter does */
	/* every buffer in use is held by some module's queue */
	uint32_t held = 0;
	for (size_t i = 0; i < 2 * NCONF; i++) {
		struct rt_counters c;
		rt_module_counters(w->m[i], &c);
		held += c.queued;
		uint64_t v = 0;
		if (rt_module_read(w->m[i], "aq", "length", &v) == 0)
			held += (uint32_t)v;
	}
	if (rt_simple_pool_in_use(w->sp) != held)
		abort();
	return 0;
}
