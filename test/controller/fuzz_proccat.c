/* libFuzzer: the process catalogue parser (src/controller/process.c) never
 * crashes or leaks; a refusal always says where; an accepted catalogue's
 * entries render with their defaults or refuse with a reason. Input: a
 * catalogue file's text. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "controller/controller.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags d;
	diags_init(&d);
	struct ctl_proccat *c = NULL;
	int rc = ctl_proccat_parse("fuzz.json", (const char *)data, size, &c, &d);
	if (rc && (rc != -EINVAL || d.n == 0))
		abort(); /* a refusal names its place */
	diags_free(&d);
	if (rc)
		return 0;
	ctl_proccat_install(c);
	json_t *list = ctl_process_list_json();
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) {
		struct ctl_process p;
		char err[256];
		if (ctl_process_render(json_string_value(json_object_get(e, "name")), "{}", "/scratch/m",
		                       &p, err, sizeof err) == 0)
			ctl_process_free(&p);
		else if (!err[0])
			abort();
	}
	json_decref(list);
	ctl_proccat_install(NULL);
	return 0;
}
