/* libFuzzer: the network snapshot parser never crashes, leaks or accepts a
 * snapshot whose canonical JSON does not parse back to the same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags d;
	diags_init(&d);
	struct snapshot *s = NULL;
	if (snapshot_parse((const char *)data, size, &s, &d) == 0) {
		struct snapshot *s2 = NULL;
		if (snapshot_parse(s->json, strlen(s->json), &s2, &d) || strcmp(s->json, s2->json))
			abort();
		for (size_t i = 0; i < s->nnodes; i++)
			if (snapshot_find(s, s->nodes[i].name) != (int)i)
				abort();
		snapshot_unref(s2);
		snapshot_unref(s);
	} else if (d.nerrors == 0) {
		abort(); /* a refusal always says why */
	}
	diags_free(&d);
	return 0;
}
