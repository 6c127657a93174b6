/* libFuzzer target: the requirement parser, then checking what parses
 * against the paper's Figure 3 network (with the batcher on platform3),
 * with small limits. Any crash, leak or sanitizer report is a bug; a
 * parse error must leave a diagnostic. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/snapshot.h"
#include "verify/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char net_json[] = "{\n  \"comment\": \"The operator network of the paper's Figure 3: three platforms, a stateful firewall that lets the internet answer but not open flows (except towards platform3's public pool), and an HTTP optimizer that every inbound web reply must cross.\",\n  \"nodes\": [\n    {\"name\": \"internet\", \"type\": \"hosts\", \"role\": \"internet\", \"ports\": 1},\n    {\"name\": \"clients\", \"type\": \"hosts\", \"role\": \"client\", \"prefixes\": [\"172.16.0.0/16\"], \"ports\": 1},\n    {\"name\": \"border\", \"type\": \"router\", \"ports\": 2, \"routes\": [\n      {\"prefix\": \"172.16.0.0/16\", \"port\": 1},\n      {\"prefix\": \"10.0.0.0/8\", \"port\": 1},\n      {\"prefix\": \"192.0.2.0/24\", \"port\": 1},\n      {\"prefix\": \"0.0.0.0/0\", \"port\": 0}\n    ]},\n    {\"name\": \"fw\", \"type\": \"middlebox\", \"ports\": 3, \"click\": \"// port 0: outside, port 1: inside, port 2: towards the HTTP optimizer\\nrw :: IPRewriter(pattern - - - - 0 1, drop);\\npublic :: IPClassifier(dst net 192.0.2.0/24, -);\\nweb :: IPClassifier(tcp src port 80, -);\\nFromDevice(1) -> IPFilter(allow udp, allow tcp, deny all) -> [0]rw;\\nFromDevice(0) -> public;\\npublic[0] -> ToDevice(1);\\npublic[1] -> [1]rw;\\nrw[0] -> ToDevice(0);\\nrw[1] -> web;\\nweb[0] -> ToDevice(2);\\nweb[1] -> ToDevice(1);\\n\"},\n    {\"name\": \"HTTPOptimizer\", \"type\": \"middlebox\", \"ports\": 2, \"click\": \"// rewrites the start of the TCP payload of web replies\\nFromDevice(0) -> CheckIPHeader -> StoreData(40, \\\\<20>) -> ToDevice(1);\\n\"},\n    {\"name\": \"core\", \"type\": \"router\", \"ports\": 6, \"routes\": [\n      {\"prefix\": \"172.16.0.0/16\", \"port\": 2},\n      {\"prefix\": \"10.1.0.0/16\", \"port\": 3},\n      {\"prefix\": \"10.2.0.0/16\", \"port\": 4},\n      {\"prefix\": \"192.0.2.0/24\", \"port\": 5},\n      {\"prefix\": \"0.0.0.0/0\", \"port\": 0}\n    ]},\n    {\"name\": \"platform1\", \"type\": \"platform\", \"address\": \"10.1.0.1\", \"pool\": \"10.1.0.0/16\", \"capacity\": 1000, \"local\": true, \"ports\": 1},\n    {\"name\": \"platform2\", \"type\": \"platform\", \"address\": \"10.2.0.1\", \"pool\": \"10.2.0.0/16\", \"capacity\": 1000, \"local\": true, \"ports\": 1},\n    {\"name\": \"platform3\", \"type\": \"platform\", \"address\": \"192.0.2.1\", \"pool\": \"192.0.2.0/24\", \"capacity\": 1000, \"local\": true, \"ports\": 1}\n  ],\n  \"links\": [\n    [\"internet:0\", \"border:0\"],\n    [\"border:1\", \"fw:0\"],\n    [\"fw:1\", \"core:0\"],\n    [\"fw:2\", \"HTTPOptimizer:0\"],\n    [\"HTTPOptimizer:1\", \"core:1\"],\n    [\"core:2\", \"clients:0\"],\n    [\"core:3\", \"platform1:0\"],\n    [\"core:4\", \"platform2:0\"],\n    [\"core:5\", \"platform3:0\"]\n  ]\n}\n";
static const char batcher[] =
	"FromNetFront() -> IPFilter(allow udp port 1500) -> IPRewriter(pattern - - 172.16.15.133 - 0 0)"
	" -> Queue(1000) -> TimedUnqueue(120, 100) -> dst :: ToNetFront()";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	struct diags d;
	diags_init(&d);
	struct src_file f = {"fuzz.reach", text, size};
	struct vfy_reqs *r = NULL;
	int rc = vfy_reqs_parse(&f, &r, &d);
	if (rc < 0 && d.nerrors == 0)
		abort();
	if (rc == 0 && vfy_reqs_count(r) <= 8) {
		struct snapshot *s = NULL;
		struct vfy_base *b = NULL;
		if (snapshot_parse(net_json, strlen(net_json), &s, &d) == 0 && vfy_base_build(s, &b, &d) == 0) {
			struct vfy_net *n = vfy_net_new(b);
			struct vfy_module m = {.name = "batcher", .click = batcher, .platform = "platform3",
			                       .address = 0xc0000202u};
			if (n && vfy_net_add_module(n, &m, &d) == 0) {
				struct vfy_limits lim = {.max_steps = 20000, .max_memory = 64u << 20};
				struct vfy_report *rep = NULL;
				if (vfy_check(n, r, &lim, &rep) == 0) {
					json_t *j = vfy_report_json(rep);
					json_decref(j);
					vfy_report_free(rep);
				}
			}
			vfy_net_free(n);
		}
		vfy_base_unref(b);
		snapshot_unref(s);
	}
	vfy_reqs_free(r);
	diags_free(&d);
	free(text);
	return 0;
}
