/* The per-tenant work the fast-path benchmarks share (issue 14): the
 * firewall, and the same firewall as innetd sandboxes it for a third
 * party. SANDBOXED_FW(A) is byte for byte what ctl__sandbox_click wrote
 * for this firewall at 0c23adc (checked with a scratch program), A the
 * module's address as a string literal ("%s" to use it as a format). */
#ifndef INNET_BENCH_FIREWALL_H
#define INNET_BENCH_FIREWALL_H

#define FW_FILTER "IPFilter(allow udp dst port 1500, deny all)"
#define FW_TEXT "FromNetFront() -> " FW_FILTER " -> Counter -> ToNetFront();"
#define SANDBOXED_FW(A)                                                   \
	"// sandboxed by innetd: a ChangeEnforcer on each device\n"       \
	"innet_sandbox0 :: ChangeEnforcer(ADDR " A ", ALLOW " A "/32);\n" \
	"FromNetFront@1 :: FromNetFront;\n"                               \
	"IPFilter@2 :: " FW_FILTER ";\n"                                  \
	"Counter@3 :: Counter;\n"                                         \
	"ToNetFront@4 :: ToNetFront;\n"                                   \
	"FromNetFront@1 [0] -> [0] innet_sandbox0;\n"                     \
	"innet_sandbox0 [0] -> [0] IPFilter@2;\n"                         \
	"IPFilter@2 [0] -> [0] Counter@3;\n"                              \
	"innet_sandbox0 [1] -> [0] ToNetFront@4;\n"                       \
	"Counter@3 [0] -> [1] innet_sandbox0;\n"

#endif
