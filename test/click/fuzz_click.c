/* libFuzzer target: the Click parser with small limits. Every input must
 * end in a graph or in diagnostics, never a crash or a leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "click/click.h"
#include "elements/element.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct src_file src = {"fuzz.click", text, size};
	static const struct click_define defs[] = {{"MODULE_IP", "10.0.0.1"}, {"MODULE_PORT", "53"}};
	struct click_options opt = {.lookup = elem_class_find};
	opt.max_bytes = 64 * 1024;
	opt.max_depth = 8;
	opt.max_elements = 256;
	opt.defines = defs;
	opt.ndefines = 2;
	struct diags d;
	diags_init(&d);
	struct click_graph *g = NULL;
	int rc = click_parse(&src, &opt, &g, &d);
	if (rc == 0) {
		if (!g)
			abort();
		/* exercise the accessors and writers */
		for (uint32_t i = 0; i < click_graph_nelements(g); i++) {
			const struct click_element *e = click_graph_element(g, i);
			for (uint32_t p = 0; p < e->noutputs; p++) {
				uint32_t n;
				click_graph_outputs(g, i, p, &n);
			}
			if (click_graph_find(g, e->name) != e)
				abort();
		}
		FILE *f = fopen("/dev/null", "w");
		if (f) {
			click_graph_write(g, f);
			click_graph_write_dot(g, f);
			fclose(f);
		}
	} else if (g || d.nerrors == 0) {
		abort(); /* failure must leave no graph and say why */
	}
	click_graph_free(g);
	diags_free(&d);
	free(text);
	return 0;
}
