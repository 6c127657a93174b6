/* Rewriting a module's flat graph: the text that is verified and deployed,
 * the sandboxed variant with ChangeEnforcers on every path from its input
 * devices and to its output devices (docs/security.md), and the
 * protocol/port its first filter accepts (what the platform delivers). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"
#include "elements/element.h"

static void write_elem(FILE *f, const struct click_element *e)
{
	if (e->config[0])
		fprintf(f, "%s :: %s(%s);\n", e->name, e->cls->name, e->config);
	else
		fprintf(f, "%s :: %s;\n", e->name, e->cls->name);
}

/* buf is the memstream's pointer: only valid after fclose */
static int close_text(FILE *f, char **buf, char **out)
{
	bool bad = ferror(f);
	if (fclose(f) || bad) {
		free(*buf);
		return -ENOMEM;
	}
	*out = *buf;
	return 0;
}

int ctl__graph_text(const struct click_graph *g, char **out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	int rc = click_graph_write(g, f);
	if (rc) {
		fclose(f);
		free(buf);
		return rc;
	}
	return close_text(f, &buf, out);
}

/* A device element's device number: its first argument when numeric, else 0
 * (no argument, or the NetFront spelling with a MAC address). */
static uint32_t device_of(const struct click_element *e)
{
	if (e->args.n == 0)
		return 0;
	const char *t = e->args.v[0].text;
	if (*t < '0' || *t > '9')
		return 0;
	return (uint32_t)strtoul(t, NULL, 10);
}

static bool has_name(const struct click_graph *g, const char *n)
{
	return click_graph_find(g, n) != NULL;
}

/* A sandboxed text being written. */
struct sandbox {
	const struct click_graph *g;
	FILE *f;
	char pfx[48];           /* our names' prefix, used by no element */
	uint32_t maxdev;        /* device numbers 0..maxdev: one enforcer each */
	uint32_t *primary;      /* per device: the output element that stays */
	bool *dev_in, *dev_fed; /* per device: enforcer input 0 / 1 connected */
	uint32_t nuq;           /* Unqueues added */
};

/* The highest device number; -EINVAL above 255. */
static int max_device(const struct click_graph *g, uint32_t *maxdev)
{
	*maxdev = 0;
	for (uint32_t i = 0; i < click_graph_nelements(g); i++) {
		const struct click_element *e = click_graph_element(g, i);
		if (elem_net_device(e->cls)) {
			uint32_t d = device_of(e);
			if (d > 255)
				return -EINVAL;
			if (d > *maxdev)
				*maxdev = d;
		}
	}
	return 0;
}

/* A prefix for our names that no element uses. */
static void pick_prefix(struct sandbox *sb)
{
	snprintf(sb->pfx, sizeof sb->pfx, "innet_sandbox");
	for (int k = 1; k < 100; k++) {
		char probe[64];
		snprintf(probe, sizeof probe, "%s0", sb->pfx);
		if (!has_name(sb->g, probe)) {
			snprintf(probe, sizeof probe, "%s_uq0", sb->pfx);
			if (!has_name(sb->g, probe))
				break;
		}
		snprintf(sb->pfx, sizeof sb->pfx, "innet_sandbox%d_", k);
	}
}

static void write_enforcers(struct sandbox *sb, uint32_t addr, const struct inet_prefix *allow,
                            size_t nallow, bool allow_all)
{
	char a[16];
	inet_format_addr(addr, a);
	fprintf(sb->f, "// sandboxed by innetd: a ChangeEnforcer on each device\n");
	for (uint32_t d = 0; d <= sb->maxdev; d++) {
		fprintf(sb->f, "%s%u :: ChangeEnforcer(ADDR %s", sb->pfx, d, a);
		if (allow_all) {
			fprintf(sb->f, ", ALLOW 0.0.0.0/0");
		} else if (nallow) {
			fprintf(sb->f, ", ALLOW");
			for (size_t i = 0; i < nallow; i++) {
				char p[20];
				fprintf(sb->f, " %s", inet_format_prefix(allow[i], p));
			}
		}
		fprintf(sb->f, ");\n");
	}
}

/* Every element but duplicate output devices: one output device element
 * per device number stays; the enforcer feeds it, and whatever fed a
 * duplicate feeds the enforcer. */
static void write_elements(struct sandbox *sb)
{
	for (uint32_t d = 0; d <= sb->maxdev; d++)
		sb->primary[d] = UINT32_MAX;
	for (uint32_t i = 0; i < click_graph_nelements(sb->g); i++) {
		const struct click_element *e = click_graph_element(sb->g, i);
		if (elem_net_device(e->cls) & ELEM_DEVICE_OUT) {
			if (sb->primary[device_of(e)] != UINT32_MAX)
				continue;
			sb->primary[device_of(e)] = i;
		}
		write_elem(sb->f, e);
	}
}

/* device -> [0]enforcer[0] -> what the device fed: src becomes the
 * enforcer's output. */
static void from_device(struct sandbox *sb, const struct click_conn *c,
                        const struct click_element *from, char *src, size_t cap)
{
	uint32_t d = device_of(from);
	if (!sb->dev_in[d]) {
		fprintf(sb->f, "%s [%u] -> [0] %s%u;\n", from->name, c->from.port, sb->pfx, d);
		sb->dev_in[d] = true;
	}
	snprintf(src, cap, "%s%u [0]", sb->pfx, d);
}

/* what fed the device -> [1]enforcer[1] -> device; a pull output first
 * goes through an Unqueue (the enforcer pushes). */
static void to_device(struct sandbox *sb, const struct click_conn *c,
                      const struct click_element *from, const struct click_element *to,
                      char *src, size_t cap, char *dst, size_t dcap)
{
	uint32_t d = device_of(to);
	snprintf(dst, dcap, "[1] %s%u", sb->pfx, d);
	if (!(elem_net_device(from->cls) & ELEM_DEVICE_IN) && from->out_proc[c->from.port] == CLICK_PULL) {
		fprintf(sb->f, "%s_uq%u :: Unqueue;\n", sb->pfx, sb->nuq);
		fprintf(sb->f, "%s -> [0] %s_uq%u;\n", src, sb->pfx, sb->nuq);
		snprintf(src, cap, "%s_uq%u [0]", sb->pfx, sb->nuq);
		sb->nuq++;
	}
	if (!sb->dev_fed[d]) {
		fprintf(sb->f, "%s%u [1] -> [%u] %s;\n", sb->pfx, d, c->to.port,
		        click_graph_element(sb->g, sb->primary[d])->name);
		sb->dev_fed[d] = true;
	}
}

static void write_conns(struct sandbox *sb)
{
	for (uint32_t i = 0; i < click_graph_nconns(sb->g); i++) {
		const struct click_conn *c = click_graph_conn(sb->g, i);
		const struct click_element *from = click_graph_element(sb->g, c->from.elem);
		const struct click_element *to = click_graph_element(sb->g, c->to.elem);
		if ((elem_net_device(from->cls) & ELEM_DEVICE_OUT) && sb->primary[device_of(from)] != c->from.elem)
			continue; /* a dropped duplicate device's own output */
		char src[160], dst[160];
		if (elem_net_device(from->cls) & ELEM_DEVICE_IN)
			from_device(sb, c, from, src, sizeof src);
		else
			snprintf(src, sizeof src, "%s [%u]", from->name, c->from.port);
		if (elem_net_device(to->cls) & ELEM_DEVICE_OUT)
			to_device(sb, c, from, to, src, sizeof src, dst, sizeof dst);
		else
			snprintf(dst, sizeof dst, "[%u] %s", c->to.port, to->name);
		fprintf(sb->f, "%s -> %s;\n", src, dst);
	}
	/* an enforcer side without a device is closed with Idle/Discard */
	for (uint32_t d = 0; d <= sb->maxdev; d++) {
		if (!sb->dev_in[d])
			fprintf(sb->f, "Idle -> [0] %s%u;\n%s%u [0] -> Discard;\n", sb->pfx, d, sb->pfx, d);
		if (!sb->dev_fed[d])
			fprintf(sb->f, "Idle -> [1] %s%u;\n%s%u [1] -> Discard;\n", sb->pfx, d, sb->pfx, d);
	}
}

int ctl__sandbox_click(const struct click_graph *g, uint32_t addr, const struct inet_prefix *allow,
                       size_t nallow, bool allow_all, char **out)
{
	struct sandbox sb = {.g = g};
	int rc = max_device(g, &sb.maxdev);
	if (rc)
		return rc;
	pick_prefix(&sb);
	char *buf = NULL;
	size_t len = 0;
	sb.primary = calloc(sb.maxdev + 1, sizeof *sb.primary);
	sb.dev_in = calloc(sb.maxdev + 1, sizeof *sb.dev_in);
	sb.dev_fed = calloc(sb.maxdev + 1, sizeof *sb.dev_fed);
	if (!sb.primary || !sb.dev_in || !sb.dev_fed || !(sb.f = open_memstream(&buf, &len))) {
		rc = -ENOMEM;
		goto cleanup;
	}
	write_enforcers(&sb, addr, allow, nallow, allow_all);
	write_elements(&sb);
	write_conns(&sb);
	rc = close_text(sb.f, &buf, out);
cleanup:
	free(sb.primary);
	free(sb.dev_in);
	free(sb.dev_fed);
	return rc;
}

/* ---- the accepted protocol and port ---- */

static bool word_at(const char *s, const char *w, const char **next)
{
	size_t n = strlen(w);
	if (strncmp(s, w, n) || (s[n] && s[n] != ' ' && s[n] != ')' && s[n] != ','))
		return false;
	*next = s + n;
	return true;
}

/* The IPFilter right after input device 0 whose first rule is its sole
 * accepting one (allow X, then only deny/drop rules), or NULL. (A
 * classifier has several outputs: it accepts more than one thing.) */
static const struct click_element *sole_filter(const struct click_graph *g)
{
	const struct click_element *dev = NULL;
	for (uint32_t i = 0; i < click_graph_nelements(g) && !dev; i++) {
		const struct click_element *e = click_graph_element(g, i);
		if ((elem_net_device(e->cls) & ELEM_DEVICE_IN) && device_of(e) == 0)
			dev = e;
	}
	if (!dev)
		return NULL;
	uint32_t n;
	const struct click_port_ref *next = click_graph_outputs(g, dev->index, 0, &n);
	if (n != 1)
		return NULL;
	const struct click_element *flt = click_graph_element(g, next[0].elem);
	if (strcmp(flt->cls->name, "IPFilter") || flt->args.n == 0 ||
	    strncmp(flt->args.v[0].text, "allow", 5))
		return NULL;
	for (size_t i = 1; i < flt->args.n; i++) {
		const char *t = flt->args.v[i].text;
		if (strncmp(t, "deny", 4) && strncmp(t, "drop", 4))
			return NULL;
	}
	return flt;
}

/* One protocol (255: several) and the destination port of rule s when it
 * names exactly one. */
static void rule_proto_port(const char *s, uint8_t *proto, uint16_t *port)
{
	uint8_t pr = 0;
	long pt = 0;
	int nports = 0;
	for (const char *p = s; *p; p++) {
		if (p != s && p[-1] != ' ' && p[-1] != '(')
			continue;
		const char *q;
		if (word_at(p, "udp", &q))
			pr = pr && pr != 17 ? 255 : 17;
		else if (word_at(p, "tcp", &q))
			pr = pr && pr != 6 ? 255 : 6;
		else if (word_at(p, "src", &q) && !strncmp(q, " port", 5))
			nports = 99; /* a source port says nothing about what is addressed */
		else if (word_at(p, "port", &q)) {
			char *e;
			long v = strtol(q, &e, 10);
			if (e != q && v > 0 && v < 65536 && (!*e || *e == ' ' || *e == ')')) {
				pt = v;
				nports++;
			} else {
				nports = 99;
			}
		}
	}
	*proto = pr;
	*port = pr && nports == 1 ? (uint16_t)pt : 0;
}

void ctl__detect_filter(const struct click_graph *g, uint8_t *proto, uint16_t *port)
{
	*proto = 0;
	*port = 0;
	const struct click_element *flt = sole_filter(g);
	if (!flt)
		return;
	const char *s = flt->args.v[0].text;
	if (strstr(s, " or ") || strstr(s, "not ") || strchr(s, '!') || strstr(s, "||"))
		return;
	uint8_t pr;
	uint16_t pt;
	rule_proto_port(s, &pr, &pt);
	if (pr == 255)
		return;
	*proto = pr;
	*port = pt;
}
