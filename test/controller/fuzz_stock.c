/* libFuzzer: stock module instantiation never crashes or leaks; whatever
 * parameters it accepts give Click text that parses (typed parameters can
 * not inject configuration), and a refusal always names the field. Input:
 * a JSON object {"stock": NAME, "params": {...}}. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "click/click.h"
#include "elements/element.h"
#include "controller/stock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	if (!j)
		return 0;
	const char *name = json_string_value(json_object_get(j, "stock"));
	if (name) {
		char *click = NULL;
		struct diags err;
		diags_init(&err);
		int rc = ctl_stock_instantiate(name, json_object_get(j, "params"), &click, &err);
		if (rc == 0) {
			struct click_define defs[2] = {{"MODULE_IP", "192.0.2.9"}, {"MODULE_PORT", "0"}};
			struct click_options opt = {.lookup = elem_class_find, .defines = defs, .ndefines = 2};
			struct src_file f = {"stock", click, strlen(click)};
			struct diags d;
			diags_init(&d);
			struct click_graph *g = NULL;
			if (click_parse(&f, &opt, &g, &d))
				abort(); /* accepted parameters must give a valid configuration */
			click_graph_free(g);
			diags_free(&d);
			free(click);
		} else if (rc == -EINVAL) {
			if (!err.n || !err.v[0].file)
				abort();
		}
		diags_free(&err);
	}
	json_decref(j);
	return 0;
}
