/* libFuzzer target: element configure on arbitrary argument text. Input:
 * byte 0 picks the class, bytes 1-2 the input and output counts, the rest
 * is the configuration string. Every call must succeed or leave an error
 * diagnostic; never crash, leak or trip a sanitizer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "click/click.h"
#include "elements/element.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	const struct click_class *c = elem_class_at(data[0] % elem_class_count());
	uint32_t nin = data[1] % 5, nout = data[2] % 9;
	size_t n = size - 3;
	char *text = malloc(n + 1);
	if (!text)
		return 0;
	memcpy(text, data + 3, n);
	text[n] = '\0';
	struct src_file f = { "fuzz.click", text, n };
	struct src_loc loc = src_loc_at(&f, 0);
	struct arena *a = arena_new(1 << 24);
	struct diags d;
	diags_init(&d);
	struct click_args args;
	struct click_element el = { 0 };
	el.name = c->name;
	el.cls = c;
	el.loc = loc;
	el.ninputs = nin;
	el.noutputs = nout;
	if (a && click_split_args(text, &loc, a, &args) == 0 && c->configure) {
		struct click_conf_ctx ctx = { &el, nin, nout, a, &d, NULL, NULL };
		void *conf = NULL;
		int rc = c->configure(&ctx, &args, &conf);
		if (rc != 0 && d.nerrors == 0 && !arena_exhausted(a))
			abort(); /* a refusal must say why */
		if (rc == 0 && d.nerrors != 0)
			abort();
	}
	diags_free(&d);
	arena_free(a);
	free(text);
	return 0;
}
