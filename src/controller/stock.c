/* The stock module catalogue (its interface: controller.h, "stock modules"). Templates use @{param} for
 * parameters (so Click's own $VARIABLES, e.g. $MODULE_IP, pass through
 * untouched and are defined per candidate platform by the controller). */
#include "controller/controller.h"
#include "controller/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/inet.h"

enum ptype { P_PORT, P_INT, P_IPV4, P_PREFIXES, P_CHOICE };

struct sparam {
	const char *name;
	enum ptype type;
	int required;
	long long min, max;     /* P_INT, P_PORT; P_PREFIXES: max entries */
	const char *dflt;       /* as rendered text; NULL when required */
	const char *choices;    /* P_CHOICE: space separated */
	const char *doc;
};

#define MAX_PARAMS 8
#define VAL_MAX 2048 /* one parameter's rendered text */

struct stock {
	const char *name, *summary;
	struct sparam params[MAX_PARAMS];
	const char *tmpl;
};

/* A prefix list renders as a flow-expression clause: "src net A or src net B". */
static const struct stock catalogue[] = {
	{
		"udp-batcher",
		"Batches UDP packets sent to the module and releases them in bursts to one "
		"destination (the paper's Figure 4 push-notification batcher).",
		{
			{"port", P_PORT, 1, 1, 65535, NULL, NULL, "UDP port the module accepts"},
			{"dst", P_IPV4, 1, 0, 0, NULL, NULL, "where batches go (e.g. the phone's address)"},
			{"queue", P_INT, 0, 1, 100000, "1000", NULL, "packets held at most"},
			{"interval", P_INT, 0, 1, 3600, "120", NULL, "seconds between bursts"},
			{"burst", P_INT, 0, 1, 10000, "100", NULL, "packets per burst"},
		},
		"FromNetFront()\n"
		"  -> IPFilter(allow udp dst port @{port})\n"
		"  -> IPRewriter(pattern - - @{dst} - 0 0)\n"
		"  -> Queue(@{queue})\n"
		"  -> TimedUnqueue(@{interval}, @{burst})\n"
		"  -> dst :: ToNetFront();\n",
	},
	{
		"firewall",
		"Filter in front of an origin: packets of one protocol and port from the allowed "
		"sources are forwarded to the origin, the rest dropped.",
		{
			{"proto", P_CHOICE, 0, 0, 0, "udp", "udp tcp", "protocol let through"},
			{"port", P_PORT, 1, 1, 65535, NULL, NULL, "destination port let through"},
			{"sources", P_PREFIXES, 0, 0, 64, "0.0.0.0/0", NULL, "allowed source prefixes"},
			{"origin", P_IPV4, 1, 0, 0, NULL, NULL, "where allowed packets go"},
		},
		"FromNetFront()\n"
		"  -> IPFilter(allow @{proto} dst port @{port} and (@{sources}), deny all)\n"
		"  -> IPRewriter(pattern - - @{origin} - 0 0)\n"
		"  -> ToNetFront();\n",
	},
	{
		"rate-limiter",
		"Forwards at most `rate` packets per second of one protocol and port to an "
		"origin and drops the excess.",
		{
			{"proto", P_CHOICE, 0, 0, 0, "udp", "udp tcp", "protocol limited"},
			{"port", P_PORT, 1, 1, 65535, NULL, NULL, "destination port accepted"},
			{"rate", P_INT, 1, 1, 10000000, NULL, NULL, "packets per second let through"},
			{"origin", P_IPV4, 1, 0, 0, NULL, NULL, "where packets within the rate go"},
		},
		"FromNetFront()\n"
		"  -> IPFilter(allow @{proto} dst port @{port})\n"
		"  -> rl :: RatedSplitter(@{rate})\n"
		"  -> IPRewriter(pattern - - @{origin} - 0 0)\n"
		"  -> ToNetFront();\n"
		"rl[1] -> Discard;\n",
	},
	{
		"reverse-proxy",
		"TCP port forwarder to the tenant's origin: clients connect to the module's "
		"address, the module opens the connection to the origin from its own address "
		"and relays the replies back.",
		{
			{"port", P_PORT, 0, 1, 65535, "80", NULL, "TCP port clients connect to"},
			{"origin", P_IPV4, 1, 0, 0, NULL, NULL, "the origin server"},
			{"origin_port", P_PORT, 0, 1, 65535, "80", NULL, "the origin's TCP port"},
		},
		"c :: IPClassifier(src host @{origin} and tcp src port @{origin_port}, tcp dst port @{port}, -);\n"
		"rw :: IPRewriter(pattern $MODULE_IP 1024-65535 @{origin} @{origin_port} 0 1, drop);\n"
		"out :: ToNetFront();\n"
		"FromNetFront() -> c;\n"
		"c[0] -> [1]rw;\n"
		"c[1] -> [0]rw;\n"
		"c[2] -> Discard;\n"
		"rw[0] -> out;\n"
		"rw[1] -> out;\n",
	},
	{
		"dns-front",
		"DNS-style UDP responder front: queries to the module's port are relayed to the "
		"tenant's resolver from the module's address, answers go back to the asker.",
		{
			{"port", P_PORT, 0, 1, 65535, "53", NULL, "UDP port queries arrive on"},
			{"origin", P_IPV4, 1, 0, 0, NULL, NULL, "the tenant's resolver"},
			{"origin_port", P_PORT, 0, 1, 65535, "53", NULL, "the resolver's UDP port"},
		},
		"c :: IPClassifier(src host @{origin} and udp src port @{origin_port}, udp dst port @{port}, -);\n"
		"rw :: IPRewriter(pattern $MODULE_IP 1024-65535 @{origin} @{origin_port} 0 1, drop);\n"
		"out :: ToNetFront();\n"
		"FromNetFront() -> c;\n"
		"c[0] -> [1]rw;\n"
		"c[1] -> [0]rw;\n"
		"c[2] -> Discard;\n"
		"rw[0] -> out;\n"
		"rw[1] -> out;\n",
	},
	{
		"tunnel",
		"IP-in-IP tunnel end-point: decapsulates packets from the allowed tunnel sources "
		"and sends the inner packet on from the module's address.",
		{
			{"sources", P_PREFIXES, 0, 0, 64, "0.0.0.0/0", NULL, "allowed outer sources"},
		},
		"FromNetFront()\n"
		"  -> IPFilter(allow ip proto 4 and (@{sources}), deny all)\n"
		"  -> Strip(20)\n"
		"  -> CheckIPHeader()\n"
		"  -> IPRewriter(pattern $MODULE_IP - - - 0 0)\n"
		"  -> ToNetFront();\n",
	},
};

#define NSTOCK (sizeof catalogue / sizeof catalogue[0])

static const char *const type_names[] = {"port", "integer", "ipv4", "prefixes", "choice"};

static const struct stock *find(const char *name)
{
	for (size_t i = 0; i < NSTOCK; i++)
		if (!strcmp(catalogue[i].name, name))
			return &catalogue[i];
	return NULL;
}

int ctl__stock_click_exists(const char *name)
{
	return find(name) != NULL;
}

int ctl_stock_exists(const char *name)
{
	return find(name) != NULL || ctl_process_exists(name);
}

/* What a stock module declares about its state: its template's stateful
 * elements, which do not depend on the parameters (docs/stateful.md).
 * Instantiated with sample values for the required parameters. */
static json_t *stock_stateful(const struct stock *s)
{
	json_t *params = json_object();
	for (const struct sparam *p = s->params; p < s->params + MAX_PARAMS && p->name; p++) {
		if (!p->required || p->dflt)
			continue;
		char first[32];
		sscanf(p->choices ? p->choices : "x", "%31s", first);
		json_object_set_new(params, p->name,
		                    p->type == P_PORT || p->type == P_INT ? json_integer(p->min)
		                    : p->type == P_IPV4 ? json_string("192.0.2.1")
		                    : p->type == P_PREFIXES ? json_pack("[s]", "192.0.2.0/24")
		                    : json_string(first));
	}
	char *click = NULL;
	struct diags d;
	diags_init(&d);
	json_t *el = ctl_stock_instantiate(s->name, params, &click, &d) ? NULL
	             : ctl__stateful_of_text(s->name, click, "192.0.2.1", "0");
	free(click);
	diags_free(&d);
	json_decref(params);
	return el ? el : json_array();
}

json_t *ctl_stock_list_json(void)
{
	json_t *a = json_array();
	for (size_t i = 0; i < NSTOCK; i++) {
		const struct stock *s = &catalogue[i];
		json_t *ps = json_array();
		for (const struct sparam *p = s->params; p < s->params + MAX_PARAMS && p->name; p++) {
			json_t *j = json_pack("{s:s, s:s, s:b, s:s}", "name", p->name, "type",
			                      type_names[p->type], "required", p->required, "doc", p->doc);
			if (p->dflt)
				json_object_set_new(j, "default", json_string(p->dflt));
			if (p->type == P_INT || p->type == P_PORT) {
				json_object_set_new(j, "min", json_integer(p->min));
				json_object_set_new(j, "max", json_integer(p->max));
			}
			if (p->type == P_PREFIXES)
				json_object_set_new(j, "max_items", json_integer(p->max));
			if (p->type == P_CHOICE) {
				json_t *c = json_array();
				char buf[64];
				snprintf(buf, sizeof buf, "%s", p->choices);
				char *save = NULL;
				for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
					json_array_append_new(c, json_string(t));
				json_object_set_new(j, "choices", c);
			}
			json_array_append_new(ps, j);
		}
		json_t *el = stock_stateful(s);
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o, s:s, s:b, s:o}", "name", s->name,
		                                   "kind", "click", "summary", s->summary, "params", ps, "template",
		                                   s->tmpl, "stateful", json_array_size(el) > 0,
		                                   "stateful_elements", el));
	}
	json_t *procs = ctl_process_list_json();
	json_array_extend(a, procs);
	json_decref(procs);
	return a;
}

int ctl__path_error(struct diags *d, const char *path, const char *fmt, ...)
{
	struct src_file f = {path, "", 0};
	struct src_loc loc = {&f, 0, 0};
	va_list ap;
	va_start(ap, fmt);
	diags_vadd(d, DIAG_ERROR, &loc, 0, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int choice_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);
	for (const char *c = choices; *c;) {
		const char *e = strchr(c, ' ');
		size_t l = e ? (size_t)(e - c) : strlen(c);
		if (l == n && !strncmp(c, v, n))
			return 1;
		c = e ? e + 1 : c + l;
	}
	return 0;
}

/* One parameter's value as template text, or an error. */
static int render(const struct sparam *p, json_t *v, char *out, size_t cap, struct diags *d)
{
	char field[80];
	snprintf(field, sizeof field, "params.%s", p->name);
	switch (p->type) {
	case P_PORT:
	case P_INT:
		if (!json_is_integer(v))
			return ctl__path_error(d, field, "%s must be an integer", field);
		if (json_integer_value(v) < p->min || json_integer_value(v) > p->max)
			return ctl__path_error(d, field, "%s must be from %lld to %lld", field, p->min, p->max);
		snprintf(out, cap, "%lld", (long long)json_integer_value(v));
		return 0;
	case P_IPV4: {
		uint32_t a;
		if (!json_is_string(v) ||
		    inet_parse_addr(json_string_value(v), json_string_length(v), &a))
			return ctl__path_error(d, field, "%s must be an IPv4 address like \"192.0.2.10\"", field);
		inet_format_addr(a, out);
		return 0;
	}
	case P_CHOICE:
		if (!json_is_string(v) || !choice_ok(p->choices, json_string_value(v)))
			return ctl__path_error(d, field, "%s must be one of: %s", field, p->choices);
		snprintf(out, cap, "%s", json_string_value(v));
		return 0;
	case P_PREFIXES: {
		if (!json_is_array(v) || json_array_size(v) == 0 ||
		    json_array_size(v) > (size_t)p->max)
			return ctl__path_error(d, field, "%s must be an array of 1 to %lld IPv4 prefixes", field,
			           p->max);
		size_t i, off = 0;
		json_t *e;
		out[0] = '\0';
		json_array_foreach(v, i, e) {
			struct inet_prefix pf;
			char b[20];
			if (!json_is_string(e) ||
			    inet_parse_prefix(json_string_value(e), json_string_length(e), false, &pf)) {
				char f2[128];
				snprintf(f2, sizeof f2, "%s[%zu]", field, i);
				return ctl__path_error(d, f2, "%s must be an IPv4 prefix like \"10.0.0.0/8\" (no host bits)",
				           f2);
			}
			int n = snprintf(out + off, cap - off, "%ssrc net %s", i ? " or " : "",
			                 inet_format_prefix(pf, b));
			if (n < 0 || (size_t)n >= cap - off)
				return -E2BIG;
			off += (size_t)n;
		}
		return 0;
	}
	}
	return -EINVAL;
}

static const struct sparam *param(const struct stock *s, const char *name, size_t n)
{
	for (const struct sparam *p = s->params; p < s->params + MAX_PARAMS && p->name; p++)
		if (strlen(p->name) == n && !strncmp(p->name, name, n))
			return p;
	return NULL;
}

/* params names only parameters of s. */
static int check_keys(const struct stock *s, json_t *params, struct diags *d)
{
	if (params && !json_is_object(params))
		return ctl__path_error(d, "params", "params must be an object");
	const char *key;
	json_t *v;
	json_object_foreach(params, key, v) {
		if (!param(s, key, strlen(key))) {
			char f[80];
			snprintf(f, sizeof f, "params.%s", key);
			return ctl__path_error(d, f, "stock module '%s' has no parameter '%s'", s->name, key);
		}
	}
	return 0;
}

/* Every parameter's text, given or default, once. */
static int render_all(const struct stock *s, json_t *params, char vals[][VAL_MAX],
                      struct diags *d)
{
	for (size_t i = 0; i < MAX_PARAMS && s->params[i].name; i++) {
		const struct sparam *p = &s->params[i];
		json_t *pv = params ? json_object_get(params, p->name) : NULL;
		if (pv) {
			int rc = render(p, pv, vals[i], VAL_MAX, d);
			if (rc)
				return rc;
		} else if (p->required) {
			char f[80];
			snprintf(f, sizeof f, "params.%s", p->name);
			return ctl__path_error(d, f, "%s is required (%s)", f, p->doc);
		} else {
			snprintf(vals[i], VAL_MAX, "%s%s", p->type == P_PREFIXES ? "src net " : "", p->dflt);
		}
	}
	return 0;
}

/* The template with every @{name} replaced by its value; malloc'd. */
static int expand(const struct stock *s, char vals[][VAL_MAX], char **click)
{
	size_t cap = strlen(s->tmpl) + 1, len = 0;
	for (size_t i = 0; i < MAX_PARAMS && s->params[i].name; i++)
		cap += 8 * strlen(vals[i]);
	char *o = malloc(cap);
	if (!o)
		return -ENOMEM;
	for (const char *t = s->tmpl; *t;) {
		if (t[0] == '@' && t[1] == '{') {
			const char *e = strchr(t, '}');
			const struct sparam *p = e ? param(s, t + 2, (size_t)(e - t - 2)) : NULL;
			if (!p) {
				free(o);
				return -EINVAL; /* a broken template: a bug, caught by the unit test */
			}
			const char *val = vals[p - s->params];
			size_t vl = strlen(val);
			if (len + vl + 1 > cap) {
				free(o);
				return -E2BIG;
			}
			memcpy(o + len, val, vl);
			len += vl;
			t = e + 1;
			continue;
		}
		if (len + 2 > cap) {
			free(o);
			return -E2BIG;
		}
		o[len++] = *t++;
	}
	o[len] = '\0';
	*click = o;
	return 0;
}

int ctl_stock_instantiate(const char *name, json_t *params, char **click, struct diags *d)
{
	*click = NULL;
	const struct stock *s = find(name);
	if (!s)
		return ctl_process_wrapper(name, params, click, d);
	char vals[MAX_PARAMS][VAL_MAX];
	int rc = check_keys(s, params, d);
	if (!rc)
		rc = render_all(s, params, vals, d);
	if (!rc)
		rc = expand(s, vals, click);
	return rc;
}
