/* Model/behaviour agreement: for each element, random and crafted IPv4
 * packets run through the runtime's packet function must land inside the
 * verifier's symbolic output for the same element and configuration
 * (vfy_concrete_in_symbolic). A disagreement is a bug in one of them.
 * INNET_AGREE_N sets the packets per element (default 3000; the issue's
 * full run is 100000). Elements without a model yet are reported. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/diag.h"
#include "click/click.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/verify.h"

struct subject {
	const char *cls, *config;
	uint32_t nin, nout;
};

static const struct subject subjects[] = {
	{ "IPFilter", "allow udp port 1500", 1, 1 },
	{ "IPFilter", "deny src 10.0.0.1, allow tcp dst port 80 or icmp, 1 udp, drop all", 1, 2 },
	{ "IPClassifier", "tcp dst port 80, udp src port 53, ip ttl < 3, -", 1, 4 },
	{ "IPClassifier", "src net 10.0.0.0/8 and dst port 53, ip proto 47, icmp type 8, not udp, ip ttl > 100 or ip tos != 0", 1, 5 },
	{ "IPFilter", "allow ip frag, deny tcp, allow dst host 172.16.15.133 or src host 0.0.0.0, 1 all", 1, 2 },
	{ "Classifier", "9/11, 9/06 20/0050, -", 1, 3 },
	{ "CheckIPHeader", "", 1, 2 },
	{ "CheckIPHeader", "CHECKSUM false, BADSRC 255.255.255.255 0.0.0.0", 1, 2 },
	{ "Queue", "10", 1, 1 },
	{ "SimpleQueue", "", 1, 1 },
	{ "DecIPTTL", "", 1, 2 },
	{ "IPRewriter", "pattern - - 172.16.15.133 - 0 0", 1, 1 },
	{ "IPRewriter", "pattern 198.51.100.1 5000-6000 - - 0 1, drop", 2, 2 },
	{ "IPRewriter", "keep 0 1, pass 1", 2, 2 },
	{ "IPAddrRewriter", "pattern 198.51.100.0/30 - 0 1, drop", 2, 2 },
	{ "SetIPDSCP", "46", 1, 1 },
	{ "StoreIPAddress", "9.9.9.9, src", 1, 1 },
	{ "StoreIPAddress", "9.9.9.9, dst", 1, 1 },
	{ "IPMirror", "", 1, 1 },
	{ "Counter", "", 1, 1 },
	{ "Paint", "3", 1, 1 },
	{ "Null", "", 1, 1 },
	{ "Tee", "", 1, 2 },
	{ "Discard", "", 1, 0 },
	{ "ICMPPingResponder", "", 1, 2 },
	{ "ChangeEnforcer", "10.1.0.5, ALLOW 192.0.2.0/24", 2, 2 },
	{ "SetIPAddress", "1.2.3.4", 1, 1 },
	{ "MarkIPHeader", "", 1, 1 },
	{ "IPFragmenter", "1500", 1, 2 },
	{ "Switch", "1", 1, 2 },
	{ "HashSwitch", "12, 4", 1, 3 },
	{ "RoundRobinSwitch", "", 1, 2 },
	{ "CheckPaint", "0", 1, 2 },
	{ "PaintSwitch", "", 1, 2 },
	{ "RatedSplitter", "1000", 1, 2 },
	{ "IPEncap", "ipip, 1.1.1.1, 2.2.2.2", 1, 1 },
	{ "UDPIPEncap", "1.1.1.1, 1234, 2.2.2.2, 5678", 1, 1 },
	{ "IPOutputCombo", "1, 10.0.0.1, 1500", 1, 5 },
	{ "ICMPError", "10.0.0.254, timeexceeded", 1, 1 },
	{ "StaticIPLookup", "10.0.0.0/8 0, 0.0.0.0/0 10.9.9.9 1", 1, 2 },
	{ "SetTimestamp", "", 1, 1 },
	{ "AverageCounter", "", 1, 1 },
	{ "PushNull", "", 1, 1 },
	{ "FullNoteQueue", "5", 1, 2 },
	{ "LinearIPLookup", "10.0.0.0/8 0, 10.1.0.0/16 10.1.0.1 1, 0.0.0.0/0 2", 1, 3 },
	{ "RadixIPLookup", "172.16.0.0/12 1, 0.0.0.0/0 0", 1, 2 },
	{ "Strip", "14", 1, 1 },
	{ "EtherEncap", "0x0800, 00:01:02:03:04:05, 0a:0b:0c:0d:0e:0f", 1, 1 },
	{ "IPsecESPEncap", "", 1, 1 },
	{ "DecIPTTL", "MULTICAST false", 1, 2 },
	{ "IPFragmenter", "40, HONOR_DF false", 1, 2 },
	{ "ICMPError", "10.0.0.254, unreachable, needfrag, PMTU 1400", 1, 1 },
	{ "Print", "x", 1, 1 },
	/* every catalogue class (a pull input is fed by a queue at run time;
	 * TimedUnqueue, asleep on its empty queue as Click's, releases the
	 * first packet at once, so this one-shot run sees it) */
	{ "AverageCounter", "", 1, 1 },
	{ "PushNull", "", 1, 1 },
	{ "Idle", "", 1, 1 },
	{ "Tee", "3", 1, 3 },
	{ "Paint", "7, ANNO 0", 1, 1 },
	{ "CheckPaint", "3", 1, 2 },
	{ "PaintSwitch", "", 1, 3 },
	{ "Switch", "-1", 1, 2 },
	{ "SetIPAddress", "5.6.7.8, ANNO 16", 1, 1 },
	{ "StoreIPAddress", "src", 1, 2 },
	{ "StoreIPAddress", "16", 1, 2 },
	{ "StoreIPAddress", "9.9.9.9, 12", 1, 2 },
	{ "IPFragmenter", "40", 1, 2 },
	{ "IPFragmenter", "48, HONOR_DF false", 1, 2 },
	{ "IPOutputCombo", "0, 10.0.0.1, 40", 1, 5 },
	{ "ICMPError", "10.0.0.254, redirect, host", 1, 1 },
	{ "ICMPError", "10.0.0.254, unreachable, needfrag, PMTU 1400, MTU 60, BADADDRS 8.8.8.8", 1, 1 },
	{ "LinearIPLookup", "10.0.0.0/8 1, 10.1.0.0/16 10.1.0.1 0, 0.0.0.0/0 2", 1, 3 },
	{ "RadixIPLookup", "192.0.2.0/24 0, 172.16.0.0/12 1", 1, 2 },
	{ "EtherEncap", "0x0800, 00:01:02:03:04:05, 00:0a:0b:0c:0d:0e", 1, 1 },
	{ "EtherRewrite", "00:01:02:03:04:05, 00:0a:0b:0c:0d:0e", 1, 1 },
	{ "IPsecESPEncap", "", 1, 1 },
	{ "ARPResponder", "10.0.0.0/8 00:01:02:03:04:05", 1, 2 },
	{ "ARPQuerier", "10.0.0.1, 00:01:02:03:04:05", 2, 2 },
	{ "RatedSplitter", "0", 1, 2 },
	{ "PullNull", "", 1, 1 },
	{ "PullTee", "", 1, 2 },
	{ "Shaper", "1000", 1, 1 },
	{ "BandwidthShaper", "1Mbps", 1, 1 },
	{ "RatedUnqueue", "1000", 1, 1 },
	{ "Unqueue", "", 1, 1 },
	{ "TimedUnqueue", "1, 4", 1, 1 },
	/* transport checks and checksum setters, addresses and annotations */
	{ "CheckTCPHeader", "", 1, 2 },
	{ "CheckUDPHeader", "VERBOSE true", 1, 2 },
	{ "CheckICMPHeader", "", 1, 2 },
	{ "CheckTCPHeader", "", 1, 1 },
	{ "SetIPChecksum", "", 1, 1 },
	{ "SetTCPChecksum", "", 1, 1 },
	{ "SetTCPChecksum", "true", 1, 1 },
	{ "SetUDPChecksum", "", 1, 2 },
	{ "DropBroadcasts", "", 1, 2 },
	{ "StaticSwitch", "1", 1, 2 },
	{ "StaticSwitch", "5", 1, 2 },
	{ "GetIPAddress", "16", 1, 1 },
	{ "GetIPAddress", "IP src", 1, 1 },
	{ "GetIPAddress", "12, 16", 1, 1 },
	{ "FixIPSrc", "10.0.0.1", 1, 1 },
	{ "Align", "4, 0", 1, 1 },
	{ "EtherMirror", "", 1, 1 },
	{ "IPPrint", "x, CONTENTS hex, ID true", 1, 1 },
	/* rewriter companions (TCPRewriter, ICMPPingRewriter; ICMPRewriter needs
	 * the rewriters it names: see test_elements.c) */
	{ "TCPRewriter", "pattern 198.51.100.1 5000-6000 - - 0 1, drop", 2, 2 },
	{ "TCPRewriter", "keep 0 1, pass 1", 2, 2 },
	{ "ICMPPingRewriter", "pattern 198.51.100.1 5000-6000 - - 0 1, drop", 2, 2 },
	{ "ICMPPingRewriter", "keep 0 1, pass 1", 2, 2 },
	/* group: sched (schedulers, FrontDropQueue, RED, meters, DelayShaper, PaintTee) */
	{ "PrioSched", "", 2, 1 },
	{ "SimplePrioSched", "", 3, 1 },
	{ "RoundRobinSched", "", 2, 1 },
	{ "SimpleRoundRobinSched", "", 2, 1 },
	{ "StrideSched", "1, 3", 2, 1 },
	{ "FrontDropQueue", "2", 1, 2 },
	{ "RED", "2, 4, 1", 1, 2 }, /* fed by a Queue: RED needs one nearby */
	{ "Meter", "1000", 1, 2 },
	{ "BandwidthMeter", "1kBps, 2kBps", 1, 3 },
	{ "BandwidthRatedSplitter", "1kBps", 1, 2 },
	{ "BandwidthRatedUnqueue", "1Mbps", 1, 1 },
	{ "DelayShaper", "0", 1, 1 },
	{ "PaintTee", "0", 1, 2 },
	{ "PaintTee", "1, ANNO 30", 1, 2 },
	/* group ipx: lookups, IPGWOptions, IPInputCombo, HostEtherFilter, lengths, strips */
	{ "DirectIPLookup", "10.0.0.0/8 0, 10.1.0.0/16 10.1.0.1 1, 0.0.0.0/0 2", 1, 3 },
	{ "SortedIPLookup", "192.0.2.0/24 0, 172.16.0.0/12 9.9.9.9 1", 1, 2 },
	{ "IPGWOptions", "10.0.0.1", 1, 2 },
	{ "IPGWOptions", "10.0.0.1, 10.0.0.2 10.0.0.3", 1, 1 },
	{ "IPInputCombo", "5", 1, 1 },
	{ "IPInputCombo", "5, 0.0.0.0, INTERFACES 10.0.0.1/8", 1, 1 },
	{ "HostEtherFilter", "00:01:02:03:04:05", 1, 2 },
	{ "HostEtherFilter", "45:00:00:00:00:00, DROP_OWN true, DROP_OTHER false, OFFSET 2", 1, 2 },
	{ "HostEtherFilter", "00:01:02:03:04:05, false, false", 1, 2 },
	{ "CheckIPHeader2", "", 1, 2 },
	{ "CheckLength", "100", 1, 2 },
	{ "CheckLength", "0", 1, 1 },
	{ "Truncate", "60", 1, 1 },
	{ "Truncate", "20, EXTRA_LENGTH false", 1, 1 },
	{ "StripIPHeader", "", 1, 1 },
	{ "UnstripIPHeader", "", 1, 1 },
	{ "StripToNetworkHeader", "", 1, 1 },
};

struct sink {
	struct rt_pool pool;
	struct rt_pkt *out[16];
	uint32_t dev[16];
	uint32_t n;
};

static void tx(void *ctx, uint32_t dev, struct rt_pkt *p)
{
	struct sink *s = ctx;
	if (s->n < 16) {
		s->dev[s->n] = dev;
		s->out[s->n++] = p;
	} else {
		s->pool.free(s->pool.ctx, p);
	}
}

static uint64_t rng_state;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static uint32_t pick_addr(void)
{
	static const uint32_t a[] = { 0x0a000001, 0x0a000002, 0x0a010005, 0xc0000201, 0xc6336401,
	                              0xac100f85, 0xe0000005, 0xffffffff, 0, 0x08080808 };
	return rnd() % 3 ? a[rnd() % 10] : rnd();
}

static uint16_t pick_port(void)
{
	static const uint16_t p[] = { 1500, 80, 53, 5000, 6000, 0, 65535, 1, 1501 };
	return rnd() % 3 ? p[rnd() % 9] : (uint16_t)rnd();
}

/* A random IPv4 packet (no options: the symbolic harness starts from
 * version/IHL 0x45) as a device would deliver it: valid header checksum. */
static void make_pkt(struct rt_pkt *p)
{
	uint8_t *ip = rt_pkt_data(p);
	static const uint8_t protos[] = { 6, 17, 1, 47, 0 };
	uint8_t proto = rnd() % 6 ? protos[rnd() % 4] : (uint8_t)rnd();
	uint32_t tl = proto == 6 ? 20 : 8;
	if (rnd() % 8 == 0)
		tl = rnd() % 8; /* short transport */
	uint32_t pay = rnd() % 4 ? rnd() % 40 : 0;
	uint32_t len = 20 + tl + pay;
	for (uint32_t i = 0; i < len; i++)
		ip[i] = (uint8_t)rnd();
	ip[0] = 0x45;
	ip[1] = (uint8_t)(rnd() % 4 ? 0 : rnd());
	rt_wr16(ip + 2, (uint16_t)len);
	uint16_t off = 0;
	switch (rnd() % 8) {
	case 0: off = RT_IP_DF; break;
	case 1: off = RT_IP_MF; break;
	case 2: off = (uint16_t)(rnd() & 0x1fff); break;
	case 3: off = (uint16_t)rnd(); break;
	}
	rt_wr16(ip + 6, off);
	static const uint8_t ttls[] = { 0, 1, 2, 64, 255 };
	ip[8] = rnd() % 2 ? ttls[rnd() % 5] : (uint8_t)rnd();
	ip[9] = proto;
	rt_wr32(ip + 12, pick_addr());
	rt_wr32(ip + 16, pick_addr());
	if (tl >= 4) {
		rt_wr16(ip + 20, pick_port());
		rt_wr16(ip + 22, pick_port());
	}
	if (proto == 1 && tl >= 1)
		ip[20] = rnd() % 2 ? 8 : (uint8_t)(rnd() % 16);
	if (proto == 6 && tl >= 14)
		ip[33] = (uint8_t)rnd();
	if (proto == 17 && tl >= 8)
		rt_wr16(ip + 26, 0);
	rt_ip_set_csum(ip, 20);
	p->len = len;
	rt_pkt_set_ip_header(p, 0, 20);
	rt_pkt_set_dst_anno(p, rt_rd32(ip + 16));
}

static void concrete(const struct rt_pkt *p, struct vfy_concrete *c)
{
	memset(c, 0, sizeof *c);
	const uint8_t *ip = rt_pkt_has_ip(p) ? rt_pkt_ip(p) : rt_pkt_data(p);
	c->tos = ip[1];
	c->len = rt_rd16(ip + 2);
	c->id = rt_rd16(ip + 4);
	c->off = rt_rd16(ip + 6);
	c->ttl = ip[8];
	c->proto = ip[9];
	c->src = rt_rd32(ip + 12);
	c->dst = rt_rd32(ip + 16);
	uint32_t hl = (uint32_t)(ip[0] & 15) * 4;
	uint32_t avail = rt_pkt_has_ip(p) ? rt_pkt_ip_avail(p) : p->len;
	/* The bytes where the ports (ICMP type/code) and TCP flags sit, as a
	 * byte-reading classifier sees them, also in later fragments. */
	if (avail >= hl + 2)
		c->sport = rt_rd16(ip + hl);
	else if (avail == hl + 1)
		c->sport = (uint16_t)(ip[hl] << 8); /* an ICMP type without its code */
	if (avail >= hl + 4)
		c->dport = rt_rd16(ip + hl + 2);
	if (avail >= hl + 14)
		c->tcp_flags = ip[hl + 13];
}

static void run_subject(const struct subject *s, uint32_t n, uint32_t *checked, uint32_t *nomodel,
                        uint32_t *total_bad)
{
	/* a pull input is fed by a queue at run time; the symbolic side runs
	 * the element alone (time is not modelled: the queue passes all) */
	const struct click_class *ec = elem_class_find(s->cls);
	bool queued = ec && ec->processing && (ec->processing[0] == 'l' || !strcmp(ec->name, "RED"));
	const char *pre = queued ? "Queue" : NULL;
	char text[1024];
	size_t len = (size_t)snprintf(text, sizeof text, "e :: %s(%s);\n", s->cls, s->config);
	for (uint32_t i = 0; i < s->nin; i++)
		if (pre) /* one queue per input, pre0, pre1, ... */
			len += (size_t)snprintf(text + len, sizeof text - len, "Idle -> pre%u :: %s -> [%u]e;\n",
			                        i, pre, i);
		else /* a Null in front: its push out goes through e's compiled chain */
			len += (size_t)snprintf(text + len, sizeof text - len, "Idle -> h%u :: Null -> [%u]e;\n",
			                        i, i);
	for (uint32_t i = 0; i < s->nout; i++)
		len += (size_t)snprintf(text + len, sizeof text - len, "e[%u] -> ToDevice(%u);\n", i, i);
	struct src_file sf = { "<agree>", text, len };
	struct diags d;
	diags_init(&d);
	struct click_graph *g = NULL;
	int rc = click_parse(&sf, &elem_click_options, &g, &d);
	if (rc)
		diags_print(stderr, &d);
	assert_int_equal(rc, 0);
	struct rt_simple_pool *sp = rt_simple_pool_new(64, 2048, 128);
	struct sink sk = { .pool = rt_simple_pool_ops(sp) };
	struct rt_env env = { .pool = sk.pool, .tx = tx, .tx_ctx = &sk };
	struct rt_limits lim = { .flow_capacity = 16, .seed = 7 };
	uint32_t bad = 0;
	for (uint32_t k = 0; k < n; k++) {
		struct rt_module *m = NULL;
		/* every other packet through the interpreter, the rest through
		 * the compiled chains (src/runtime/chain.c) */
		lim.no_compile = k & 1;
		rc = rt_module_new(g, &env, &lim, 1, false, &m, &d);
		if (rc)
			diags_print(stderr, &d);
		assert_int_equal(rc, 0);
		struct rt_pkt *p = sk.pool.alloc(sk.pool.ctx, 200);
		make_pkt(p);
		struct vfy_concrete in;
		concrete(p, &in);
		uint32_t port = s->nin > 1 ? rnd() % s->nin : 0;
		sk.n = 0;
		char qname[16];
		snprintf(qname, sizeof qname, "%s%u", pre ? "pre" : "h", port);
		rt_module_push_elem(m, qname, 0, p, 1);
		rt_module_run_timers(m, 1);
		const char *why = NULL;
		if (sk.n == 0) {
			rc = vfy_concrete_in_symbolic(s->cls, s->config, s->nin, s->nout, port, &in, -1, NULL, &why, &d);
		} else {
			rc = 1;
			for (uint32_t i = 0; i < sk.n && rc == 1; i++) {
				struct vfy_concrete out;
				concrete(sk.out[i], &out);
				rc = vfy_concrete_in_symbolic(s->cls, s->config, s->nin, s->nout, port, &in,
				                              (int32_t)sk.dev[i], &out, &why, &d);
			}
		}
		for (uint32_t i = 0; i < sk.n; i++)
			sk.pool.free(sk.pool.ctx, sk.out[i]);
		rt_module_free(m);
		if (rc == -EINVAL && why && strstr(why, "no symbolic model")) {
			(*nomodel)++;
			fprintf(stderr, "agreement: %s(%s): no symbolic model yet\n", s->cls, s->config);
			break;
		}
		if (rc != 1) {
			if (bad++ < 5)
				fprintf(stderr, "agreement: %s(%s): packet %u (proto %u src %08x:%u dst %08x:%u ttl %u off %04x len %u, input %u) -> %s%u: %s (rc %d)\n",
				        s->cls, s->config, k, in.proto, in.src, in.sport, in.dst, in.dport, in.ttl,
				        in.off, in.len, port, sk.n ? "output " : "dropped ", sk.n ? sk.dev[0] : 0,
				        why ? why : "-", rc);
			diags_print(stderr, &d);
			diags_clear(&d);
			continue;
		}
		(*checked)++;
	}
	if (bad)
		fprintf(stderr, "agreement: %s(%s): %u of %u disagree\n", s->cls, s->config, bad, n);
	assert_int_equal(rt_simple_pool_in_use(sp), 0);
	rt_simple_pool_free(sp);
	click_graph_free(g);
	diags_free(&d);
	*total_bad += bad;
}

static void test_agreement(void **st)
{
	(void)st;
	const char *e = getenv("INNET_AGREE_N");
	uint32_t n = e ? (uint32_t)strtoul(e, NULL, 10) : 3000;
	const char *only = getenv("INNET_AGREE_ONLY");
	rng_state = 0x1234567887654321ull;
	uint32_t checked = 0, nomodel = 0, bad = 0;
	for (size_t i = 0; i < sizeof subjects / sizeof subjects[0]; i++) {
		if (only && strcmp(only, subjects[i].cls))
			continue;
		/* Each element in its own process: a crash in a model or a
		 * packet function is that element's disagreement, and the
		 * others are still checked. */
		int fds[2];
		assert_int_equal(pipe(fds), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			uint32_t r[3] = { 0, 0, 0 };
			run_subject(&subjects[i], n, &r[0], &r[1], &r[2]);
			ssize_t w = write(fds[1], r, sizeof r);
			_exit(w == (ssize_t)sizeof r ? 0 : 1);
		}
		close(fds[1]);
		uint32_t r[3];
		ssize_t got = read(fds[0], r, sizeof r);
		close(fds[0]);
		int status = 0;
		waitpid(pid, &status, 0);
		if (got != (ssize_t)sizeof r || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "agreement: %s(%s): crashed or failed (status %d)\n", subjects[i].cls,
			        subjects[i].config, status);
			bad++;
			continue;
		}
		checked += r[0];
		nomodel += r[1];
		bad += r[2];
	}
	fprintf(stderr, "agreement: %u packets checked, %u disagreements, %u element configurations without a model\n",
	        checked, bad, nomodel);
	assert_int_equal(bad, 0);
}

/* ---- sources (group: sources.c) ----
 * Sources have no input: each packet a source makes over a few polls must
 * lie in the flow its model's source hook emits; a source that makes
 * nothing must emit no flow. */
#define UDP_DATA "\\<45 00 00 24 00 07 00 00 40 11 46 87 0a 00 00 01 c6 33 64 07 " \
                 "04 d2 16 2e 00 10 00 00 68 65 6c 6c 6f 21 0a 00>"
static const struct subject source_subjects[] = {
	{ "InfiniteSource", UDP_DATA ", -1, 5", 0, 1 },
	{ "InfiniteSource", "DATA " UDP_DATA ", LIMIT 5, STOP true", 0, 1 },
	{ "InfiniteSource", "", 0, 1 },
	{ "InfiniteSource", "\\<45 00 00 30 00 00 40 00 40 06 00 00 c0 00 02 05 0a 00 00 02 "
	                    "00 50 1f 90 00 00 00 01 00 00 00 00 50 12 20 00 00 00 00 00>, LENGTH 48", 0, 1 },
	{ "InfiniteSource", "\\<00 01 02 03 04 05 0a 0b 0c 0d 0e 0f 08 00>", 0, 1 },
	{ "InfiniteSource", UDP_DATA ", ACTIVE false", 0, 1 },
	{ "InfiniteSource", UDP_DATA ", 0", 0, 1 },
	{ "RatedSource", UDP_DATA ", 1000", 0, 1 },
	{ "TimedSource", "0.001, " UDP_DATA, 0, 1 },
	{ "ICMPPingSource", "10.0.0.1, 10.0.0.2, INTERVAL 0.001, IDENTIFIER 7, DATA hello", 0, 1 },
	{ "ICMPPingSource", "10.0.0.1, 10.0.0.2, LIMIT 0", 0, 1 },
};

static void run_source(const struct subject *s, uint32_t *checked, uint32_t *bad)
{
	char text[1024];
	size_t len = (size_t)snprintf(text, sizeof text, "e :: %s(%s);\n", s->cls, s->config);
	for (uint32_t i = 0; i < s->nout; i++)
		len += (size_t)snprintf(text + len, sizeof text - len, "e[%u] -> ToDevice(%u);\n", i, i);
	struct src_file sf = { "<agree>", text, len };
	struct diags d;
	diags_init(&d);
	struct click_graph *g = NULL;
	int rc = click_parse(&sf, &elem_click_options, &g, &d);
	if (rc)
		diags_print(stderr, &d);
	assert_int_equal(rc, 0);
	struct rt_simple_pool *sp = rt_simple_pool_new(64, 2048, 128);
	struct sink sk = { .pool = rt_simple_pool_ops(sp) };
	struct rt_env env = { .pool = sk.pool, .tx = tx, .tx_ctx = &sk };
	struct rt_module *m = NULL;
	rc = rt_module_new(g, &env, NULL, 1, false, &m, &d);
	assert_int_equal(rc, 0);
	uint32_t made = 0;
	/* a few polls a millisecond apart: every kind of source emits */
	for (uint64_t t = 1; t < 40 * 1000000ull; t += 1000000ull) {
		sk.n = 0;
		rt_module_run_timers(m, t);
		for (uint32_t i = 0; i < sk.n; i++) {
			struct vfy_concrete out;
			concrete(sk.out[i], &out);
			const char *why = NULL;
			rc = vfy_concrete_in_source(s->cls, s->config, s->nout, (int32_t)sk.dev[i], &out, &why, &d);
			if (rc != 1) {
				if ((*bad)++ < 5)
					fprintf(stderr, "agreement: %s(%s): packet %u (proto %u src %08x dst %08x id %u) "
					        "not in the model's flow: %s (rc %d)\n", s->cls, s->config, made, out.proto,
					        out.src, out.dst, out.id, why ? why : "-", rc);
			} else {
				(*checked)++;
			}
			made++;
			sk.pool.free(sk.pool.ctx, sk.out[i]);
		}
	}
	if (!made) {
		const char *why = NULL;
		rc = vfy_concrete_in_source(s->cls, s->config, s->nout, -1, NULL, &why, &d);
		if (rc != 1) {
			(*bad)++;
			fprintf(stderr, "agreement: %s(%s): made nothing: %s (rc %d)\n", s->cls, s->config,
			        why ? why : "-", rc);
		}
	}
	rt_module_free(m);
	assert_int_equal(rt_simple_pool_in_use(sp), 0);
	rt_simple_pool_free(sp);
	click_graph_free(g);
	diags_free(&d);
}

static void test_source_agreement(void **st)
{
	(void)st;
	uint32_t checked = 0, bad = 0;
	for (size_t i = 0; i < sizeof source_subjects / sizeof source_subjects[0]; i++)
		run_source(&source_subjects[i], &checked, &bad);
	fprintf(stderr, "agreement: %u source packets checked, %u disagreements\n", checked, bad);
	assert_true(checked > 0);
	assert_int_equal(bad, 0);
}

/* ---- the process device (group: process.c) ----
 * ToProcess: every packet goes to VM_PROCESS_DEVICE unchanged, and the
 * model lets nothing reach the network from there (the packet is the
 * program's). FromProcess: every packet arriving on VM_PROCESS_DEVICE goes
 * out of output 0 unchanged, and lies in the flow the model originates. */
static void run_process(uint32_t n, uint32_t *checked, uint32_t *bad)
{
	static const char text[] = "fn :: FromNetFront() -> tp :: ToProcess();\n"
	                           "fp :: FromProcess() -> ToNetFront();\n";
	struct src_file sf = { "<agree>", text, sizeof text - 1 };
	struct diags d;
	diags_init(&d);
	struct click_graph *g = NULL;
	assert_int_equal(click_parse(&sf, &elem_click_options, &g, &d), 0);
	struct rt_simple_pool *sp = rt_simple_pool_new(64, 2048, 128);
	struct sink sk = { .pool = rt_simple_pool_ops(sp) };
	struct rt_env env = { .pool = sk.pool, .tx = tx, .tx_ctx = &sk };
	struct rt_module *m = NULL;
	assert_int_equal(rt_module_new(g, &env, NULL, 1, false, &m, &d), 0);
	assert_string_equal(rt_module_dev_in_name(m, VM_PROCESS_DEVICE), "fp");
	assert_string_equal(rt_module_dev_out_name(m, VM_PROCESS_DEVICE), "tp");
	for (uint32_t k = 0; k < n; k++) {
		uint32_t dev = k & 1 ? VM_PROCESS_DEVICE : 0, want = dev ? 0 : VM_PROCESS_DEVICE;
		struct rt_pkt *p = sk.pool.alloc(sk.pool.ctx, 200);
		make_pkt(p);
		struct vfy_concrete in, out;
		concrete(p, &in);
		sk.n = 0;
		struct rt_counters c0, c1;
		rt_module_counters(m, &c0);
		rt_module_push(m, dev, p, 1);
		rt_module_counters(m, &c1);
		const char *why = NULL;
		int rc = 0;
		if (sk.n == 1 && sk.dev[0] == want) {
			concrete(sk.out[0], &out);
			rc = memcmp(&in, &out, sizeof in) == 0;
			why = rc ? NULL : "the packet changed on its way";
			if (rc && dev == 0)
				rc = vfy_concrete_in_symbolic("ToProcess", "", 1, 0, 0, &in, -1, NULL, &why, &d);
			else if (rc)
				rc = vfy_concrete_in_source("FromProcess", "", 1, 0, &out, &why, &d);
		} else if (sk.n == 0 && c1.bad_in == c0.bad_in + 1) {
			rc = 1; /* refused by the device input check, as on any device */
		} else {
			why = "not exactly one packet on the other side";
		}
		for (uint32_t i = 0; i < sk.n; i++)
			sk.pool.free(sk.pool.ctx, sk.out[i]);
		if (rc != 1) {
			if ((*bad)++ < 5)
				fprintf(stderr, "agreement: process device %u: packet %u (proto %u src %08x dst %08x): %s\n",
				        dev, k, in.proto, in.src, in.dst, why ? why : "-");
			continue;
		}
		(*checked)++;
	}
	rt_module_free(m);
	assert_int_equal(rt_simple_pool_in_use(sp), 0);
	rt_simple_pool_free(sp);
	click_graph_free(g);
	diags_free(&d);
}

static void test_process_agreement(void **st)
{
	(void)st;
	const char *e = getenv("INNET_AGREE_N");
	uint32_t checked = 0, bad = 0;
	rng_state = 0x0badc0ffee0ddf00ull;
	run_process(e ? (uint32_t)strtoul(e, NULL, 10) : 3000, &checked, &bad);
	fprintf(stderr, "agreement: %u process device packets checked, %u disagreements\n", checked, bad);
	assert_true(checked > 0);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agreement),
		cmocka_unit_test(test_source_agreement),
		cmocka_unit_test(test_process_agreement),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
