/* Which modules are stateful (docs/stateful.md): those whose graph, as it
 * runs (with the sandbox's ChangeEnforcers), has an element that holds
 * state. The runtime decides which classes do (rt_graph_stateful: a save
 * hook); the answers and the registry name those elements. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"

/* A class counts when the runtime can save it (rt_graph_stateful) or the
 * catalogue says it keeps per-flow state (ELEM_STATEFUL): the same classes
 * once every stateful class has its save hook; until then a class whose
 * hook is not written yet still makes its module stateful (kept running
 * when idle rather than losing its mappings). */
static bool holds_state(const struct click_element *e, const uint32_t *idx, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++)
		if (idx[k] == e->index)
			return true;
	return (e->cls->flags & ELEM_STATEFUL) != 0;
}

json_t *ctl__stateful_elements(const struct click_graph *g)
{
	uint32_t n = rt_graph_stateful(g, NULL, 0);
	uint32_t *idx = n ? calloc(n, sizeof *idx) : NULL;
	if (n && !idx)
		return NULL;
	rt_graph_stateful(g, idx, n);
	json_t *a = json_array();
	for (uint32_t i = 0, k = click_graph_nelements(g); a && i < k; i++) {
		const struct click_element *e = click_graph_element(g, i);
		if (holds_state(e, idx, n) &&
		    json_array_append_new(a, json_pack("{s:s, s:s}", "element", e->name, "class",
		                                       e->cls->name))) {
			json_decref(a);
			a = NULL;
		}
	}
	free(idx);
	return a;
}

json_t *ctl__stateful_of_text(const char *name, const char *text, const char *ip,
                              const char *port)
{
	struct click_define defs[2] = {{"MODULE_IP", ip}, {"MODULE_PORT", port}};
	struct click_options opt = {.lookup = elem_class_find, .why_unknown = elem_class_why_unknown, .defines = defs, .ndefines = 2};
	struct src_file f = {name, text, strlen(text)};
	struct diags d;
	diags_init(&d);
	struct click_graph *g = NULL;
	json_t *a = click_parse(&f, &opt, &g, &d) ? NULL : ctl__stateful_elements(g);
	click_graph_free(g);
	diags_free(&d);
	return a;
}

void ctl__add_state_head(struct ctl *c, int64_t tenant, const char *stock, json_t *head,
                         const json_t *elements)
{
	if (!head)
		return;
	json_object_set_new(head, "stateful", json_boolean(json_array_size(elements) > 0));
	json_object_set_new(head, "stateful_elements",
	                    elements ? json_deep_copy(elements) : json_array());
	json_object_set_new(head, "quotas", ctl__quota_json(c, tenant, stock));
}
