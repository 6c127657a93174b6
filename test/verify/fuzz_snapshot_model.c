/* libFuzzer target: a snapshot through snapshot_parse and the verifier's
 * network model (middleboxes' Click, router partitions), then one small
 * reachability check. Bad input must give diagnostics, never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/snapshot.h"
#include "verify/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char stmts[] = "reach from client -> internet\nnever from internet tcp syn -> client\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	struct diags d;
	diags_init(&d);
	struct snapshot *s = NULL;
	struct vfy_base *b = NULL;
	if (snapshot_parse((const char *)data, size, &s, &d) == 0) {
		if (vfy_base_build(s, &b, &d) == 0) {
			struct vfy_net *n = vfy_net_new(b);
			struct src_file f = {"fuzz.reach", stmts, sizeof stmts - 1};
			struct vfy_reqs *r = NULL;
			if (n && vfy_reqs_parse(&f, &r, &d) == 0) {
				struct vfy_limits lim = {.max_steps = 20000, .max_memory = 64u << 20};
				struct vfy_report *rep = NULL;
				if (vfy_check(n, r, &lim, &rep) == 0)
					vfy_report_free(rep);
			}
			vfy_reqs_free(r);
			vfy_net_free(n);
		} else if (d.nerrors == 0) {
			abort();
		}
		vfy_base_unref(b);
		snapshot_unref(s);
	} else if (d.nerrors == 0) {
		abort();
	}
	diags_free(&d);
	return 0;
}
