/* `innet click run FILE --in IN.pcap --out OUT.pcap`: run a configuration
 * on a capture with the same runtime as the fast path. */
#ifndef INNET_RUNTIME_PCAPRUN_H
#define INNET_RUNTIME_PCAPRUN_H

#include <stdint.h>

#include "base/diag.h"
#include "click/click.h"
#include "runtime/runtime.h"

struct rt_run_opts {
	uint32_t dev_in;      /* device input the capture enters (0) */
	uint64_t drain_ns;    /* after the last packet, run timers this much longer
	                         while packets are queued (0: one day) */
	const struct click_define *defines; /* $VARIABLES for the configuration */
	size_t ndefines;
	struct rt_limits lim;
};

struct rt_run_stats {
	uint64_t read, pushed, skipped; /* skipped: not IPv4 or too large */
	uint64_t written;
	struct rt_counters c;
};

/* Packets of IN enter device input o->dev_in at their capture times
 * (Ethernet, raw IP, BSD loopback and Linux cooked captures; non-IPv4
 * frames are skipped); timers run on capture time; what reaches any device
 * output is written to OUT as raw IPv4 (LINKTYPE_RAW) stamped with the
 * module time it left. 0, or a negative errno with diagnostics. Without
 * libpcap: -ENOTSUP. */
int rt_run_pcap(const char *config_path, const char *in_pcap, const char *out_pcap,
                const struct rt_run_opts *o, struct rt_run_stats *st, struct diags *d);

/* The command line: argv[0] is FILE, then --in, --out, [--dev N]
 * [--drain SECONDS] [-D NAME=VALUE]... Prints a summary on stderr; returns
 * the exit status (0 ok, 1 bad configuration or input, 2 usage). For
 * tools/cmd_click.c: `innet click run ...`. */
int rt_click_run_main(int argc, char **argv);

#endif
