/* `innet click run` on captures: the batcher's bursts appear in the output
 * capture at the TimedUnqueue times (Click's: the first packet on an empty
 * queue at once, then bursts INTERVAL apart). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "runtime/runtime.h"
#include "rt_util.h"

static void write_capture(const char *path, uint32_t n)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	assert_non_null(d);
	struct rtu u;
	memset(&u, 0, sizeof u);
	u.sp = rt_simple_pool_new(4, 2048, 64);
	u.pool = rt_simple_pool_ops(u.sp);
	for (uint32_t i = 0; i < n; i++) {
		struct rt_pkt *p = i % 3 == 2 ? rtu_tcp(&u, IP4(10, 0, 0, 1), 1, IP4(10, 0, 0, 2), 1500, 2, 0)
		                              : rtu_udp(&u, IP4(10, 0, 0, 1), (uint16_t)(1 + i), IP4(10, 0, 0, 2), 1500, 10);
		uint8_t frame[2048];
		memset(frame, 0, 14);
		frame[12] = 0x08;
		memcpy(frame + 14, rt_pkt_data(p), p->len);
		struct pcap_pkthdr h = { .caplen = p->len + 14, .len = p->len + 14 };
		h.ts.tv_sec = 1000 + i / 100; /* 100 packets per second */
		h.ts.tv_usec = (i % 100) * 10000;
		pcap_dump((u_char *)d, &h, frame);
		u.pool.free(u.pool.ctx, p);
	}
	/* an ARP frame is skipped */
	uint8_t arp[42] = { 0 };
	arp[12] = 0x08;
	arp[13] = 0x06;
	struct pcap_pkthdr h = { .caplen = 42, .len = 42 };
	h.ts.tv_sec = 1000;
	pcap_dump((u_char *)d, &h, arp);
	pcap_dump_close(d);
	pcap_close(dead);
	rt_simple_pool_free(u.sp);
}

static void test_click_run(void **st)
{
	(void)st;
	char dir[] = "/tmp/innet-rt-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char cfg[256], in[256], out[256];
	snprintf(cfg, sizeof cfg, "%s/b.click", dir);
	snprintf(in, sizeof in, "%s/in.pcap", dir);
	snprintf(out, sizeof out, "%s/out.pcap", dir);
	FILE *f = fopen(cfg, "w");
	fputs("FromNetFront() -> IPFilter(allow udp port 1500) -> IPRewriter(pattern - - $CLIENT - 0 0)"
	      " -> Queue(1000) -> TimedUnqueue(2, 30) -> ToNetFront()\n", f);
	fclose(f);
	write_capture(in, 300); /* 200 UDP over 3 s */
	struct click_define def = { "CLIENT", "172.16.15.133" };
	struct rt_run_opts o = { .defines = &def, .ndefines = 1 };
	struct rt_run_stats s;
	struct diags d;
	diags_init(&d);
	int rc = rt_run_pcap(cfg, in, out, &o, &s, &d);
	diags_print(stderr, &d);
	assert_int_equal(rc, 0);
	diags_free(&d);
	assert_int_equal(s.read, 301);
	assert_int_equal(s.skipped, 1);
	assert_int_equal(s.written, 200);
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(out, err);
	assert_non_null(p);
	assert_int_equal(pcap_datalink(p), DLT_RAW);
	struct pcap_pkthdr *h;
	const u_char *data;
	/* the first datagram (t = 0) leaves at once; the other 199 in bursts
	 * of 30 every 2 s after it */
	static const uint32_t want[] = { 1, 30, 30, 30, 30, 30, 30, 19 };
	uint32_t n = 0, bursts = 0, in_burst = 0, sizes[16] = { 0 };
	long last = -1;
	while (pcap_next_ex(p, &h, &data) == 1) {
		assert_int_equal(rt_rd32(data + 16), IP4(172, 16, 15, 133));
		assert_true(rtu_ip_csum_ok(data));
		assert_true(rtu_l4_csum_ok(data));
		long t = (long)(h->ts.tv_sec - 1000) * 1000000 + h->ts.tv_usec;
		if (t != last) {
			assert_int_equal(t, (long)bursts * 2000000); /* 0 s, then the 2 s ticks */
			bursts++;
			in_burst = 0;
			last = t;
		}
		in_burst++;
		assert_true(bursts <= 16);
		sizes[bursts - 1] = in_burst;
		n++;
	}
	pcap_close(p);
	assert_int_equal(n, 200);
	assert_int_equal(bursts, 8);
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(sizes[i], want[i]);
	unlink(cfg);
	unlink(in);
	unlink(out);
	rmdir(dir);
}

static void test_click_run_errors(void **st)
{
	(void)st;
	struct diags d;
	diags_init(&d);
	struct rt_run_stats s;
	assert_true(rt_run_pcap("/nonexistent.click", "/nonexistent.pcap", "/tmp/x.pcap", NULL, &s, &d) < 0);
	assert_true(d.nerrors > 0);
	diags_free(&d);
	char *argv[] = { "x.click", "--in" };
	assert_int_equal(rt_click_run_main(2, argv), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_click_run),
		cmocka_unit_test(test_click_run_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
