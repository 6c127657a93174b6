/* A verifier trace for people (trace.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "out.h"
#include "trace.h"

/* The label of a trace field, as the verifier names its variables. */
static const char *field_label(const char *key, char *buf, size_t len)
{
	static const char *const names[][2] = {
		{"src", "SRC"}, {"dst", "DST"}, {"proto", "PROTO"}, {"sport", "SPORT"},
		{"dport", "DPORT"}, {"ttl", "TTL"}, {"tos", "TOS"}, {"tcpflags", "FLAGS"},
		{"frag", "FRAG"}, {"payload", "DATA"}, {"paint", "PAINT"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(key, names[i][0]))
			return names[i][1];
	size_t l = 0;
	for (; key[l] && l + 1 < len; l++)
		buf[l] = (char)(key[l] >= 'a' && key[l] <= 'z' ? key[l] - 32 : key[l]);
	buf[l] = '\0';
	return buf;
}

/* A field as "LABEL..." ("DST in {...}", "SPORT=1500", "SRC#22", a fresh
 * variable of the same field): the value as the verifier wrote it when it
 * starts with the field's own variable, else "LABEL=value" (a constant such
 * as a rewritten destination, or another field's variable). NULL when the
 * field is unconstrained (the bare variable). */
static char *field_text(const char *key, json_t *f, bool mark)
{
	char buf[32];
	const char *label = field_label(key, buf, sizeof buf), *v = out_jstr(f, "value");
	size_t l = strlen(label);
	bool bare = !strcmp(v, label), own = !strncmp(v, label, l) && v[l] && strchr("= +-#", v[l]);
	if (bare && !mark)
		return NULL;
	return xasprintf("%s%s%s%s", bare || own ? "" : label, bare || own ? "" : "=", v, mark ? "*" : "");
}

/* Where the flow is at each hop, "node:port" or "node/element[port]" and
 * the hop's note; *widest gets the longest. NULL when out of memory. */
static char (*hop_places(json_t *hops, int *widest))[160]
{
	char (*where)[160] = calloc(json_array_size(hops), sizeof *where);
	if (!where)
		return NULL;
	size_t i;
	json_t *h;
	*widest = 0;
	json_array_foreach(hops, i, h) {
		long long port = (long long)json_integer_value(json_object_get(h, "port"));
		const char *node = out_jstr(h, "node"), *elem = out_jstr(h, "element");
		/* a tenant's view: the operator's network as one hop, no port (docs/privacy.md) */
		bool opaque = !json_is_integer(json_object_get(h, "port"));
		json_t *run = json_object_get(h, "run"), *from = json_object_get(run, "from");
		/* routers crossed without a change, written as one hop (docs/verify.md) */
		int l = opaque  ? snprintf(where[i], sizeof where[i], "(%s)", node)
		        : run   ? snprintf(where[i], sizeof where[i], "%s:%lld .. %s:%lld (%lld routers)",
		                           out_jstr(from, "node"),
		                           (long long)json_integer_value(json_object_get(from, "port")), node, port,
		                           (long long)json_integer_value(json_object_get(run, "hops")))
		        : *elem ? snprintf(where[i], sizeof where[i], "%s/%s[%lld]", node, elem, port)
		                : snprintf(where[i], sizeof where[i], "%s:%lld", node, port);
		if (*out_jstr(h, "note") && l >= 0 && (size_t)l < sizeof where[i])
			snprintf(where[i] + l, sizeof where[i] - (size_t)l, " (%s)", out_jstr(h, "note"));
		l = (int)strlen(where[i]);
		if (l > *widest)
			*widest = l;
	}
	return where;
}

/* The fields of one hop after its place, from column fcol on: all the
 * constrained ones, or only the ones the hop changed. */
static void print_hop_fields(struct out_wrap *w, json_t *h, bool all, bool first, int fcol)
{
	const char *key;
	json_t *f;
	json_object_foreach(json_object_get(h, "fields"), key, f) {
		bool changed = !first && json_is_true(json_object_get(f, "changed"));
		if (!all && !changed)
			continue;
		char *s = field_text(key, f, changed);
		if (!s)
			continue;
		if (w->col < fcol) {
			printf("%*s", fcol - w->col, "");
			w->col = fcol;
			w->bol = true;
		}
		out_wrap_unit(w, s, 2, 2);
		free(s);
	}
}

void trace_print(FILE *out, json_t *trace, const char *indent)
{
	json_t *hops = json_object_get(trace, "hops");
	size_t n = json_array_size(hops);
	if (!n)
		return;
	fflush(out);
	if (out != stdout) /* on stderr keep it to the path */
		return;
	int ww, in = (int)strlen(indent);
	char (*where)[160] = hop_places(hops, &ww);
	if (!where)
		return;
	int num = n > 100 ? 3 : n > 10 ? 2 : 1;
	/* the fields' column: after the widest place, unless that leaves too little room */
	int fcol = in + num + 2 + ww + 2;
	if (fcol > out_width() / 2)
		fcol = in + num + 2 + 4;
	size_t i;
	json_t *h;
	json_array_foreach(hops, i, h) {
		struct out_wrap w = {.out = stdout, .cont = fcol};
		w.col = printf("%s%*zu  %s", indent, num, i, where[i]);
		print_hop_fields(&w, h, i == 0 || i + 1 == n, i == 0, fcol);
		fputc('\n', stdout);
	}
	free(where);
	if (*out_jstr(trace, "approximate")) {
		char pre[64];
		snprintf(pre, sizeof pre, "%sapproximate: ", indent);
		out_print_wrapped(stdout, pre, in + 2, out_jstr(trace, "approximate"));
	}
	out_print_wrapped(stdout, indent, in + 1,
	                  "(first and last hop: every constrained field; in between: what the hop changed, marked *)");
}
