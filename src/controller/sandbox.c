/* Rewriting a module's flat graph: the text that is verified and deployed,
 * the sandboxed variant with ChangeEnforcers on every path from its input
 * devices and to its output devices (paper section 4.4), and the
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

int ctl__sandbox_click(const struct click_graph *g, uint32_t addr, const struct inet_prefix *allow,
                       size_t nallow, bool allow_all, char **out)
{
	uint32_t nel = click_graph_nelements(g);
	/* device numbers used -> one enforcer each */
	uint32_t maxdev = 0;
	for (uint32_t i = 0; i < nel; i++) {
		const struct click_element *e = click_graph_element(g, i);
		if (e->cls->flags & (ELEM_DEVICE_IN | ELEM_DEVICE_OUT)) {
			uint32_t d = device_of(e);
			if (d > 255)
				return -EINVAL;
			if (d > maxdev)
				maxdev = d;
		}
	}
	/* a prefix for our names that no element uses */
	char pfx[48] = "innet_sandbox";
	for (int k = 1; k < 100; k++) {
		char probe[64];
		snprintf(probe, sizeof probe, "%s0", pfx);
		if (!has_name(g, probe)) {
			snprintf(probe, sizeof probe, "%s_uq0", pfx);
			if (!has_name(g, probe))
				break;
		}
		snprintf(pfx, sizeof pfx, "innet_sandbox%d_", k);
	}

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	char a[16];
	inet_format_addr(addr, a);
	fprintf(f, "// sandboxed by innetd: a ChangeEnforcer on each device\n");
	for (uint32_t d = 0; d <= maxdev; d++) {
		fprintf(f, "%s%u :: ChangeEnforcer(ADDR %s", pfx, d, a);
		if (allow_all) {
			fprintf(f, ", ALLOW 0.0.0.0/0");
		} else if (nallow) {
			fprintf(f, ", ALLOW");
			for (size_t i = 0; i < nallow; i++) {
				char p[20];
				fprintf(f, " %s", inet_format_prefix(allow[i], p));
			}
		}
		fprintf(f, ");\n");
	}
	/* one output device element per device number stays: the enforcer
	 * feeds it, and whatever fed a duplicate feeds the enforcer */
	uint32_t *primary = calloc(maxdev + 1, sizeof *primary);
	if (!primary) {
		fclose(f);
		free(buf);
		return -ENOMEM;
	}
	for (uint32_t d = 0; d <= maxdev; d++)
		primary[d] = UINT32_MAX;
	for (uint32_t i = 0; i < nel; i++) {
		const struct click_element *e = click_graph_element(g, i);
		if (e->cls->flags & ELEM_DEVICE_OUT) {
			if (primary[device_of(e)] != UINT32_MAX)
				continue;
			primary[device_of(e)] = i;
		}
		write_elem(f, e);
	}
	uint32_t nuq = 0;
	uint32_t nconn = click_graph_nconns(g);
	bool *dev_fed = calloc(maxdev + 1, sizeof *dev_fed);
	bool *dev_in = calloc(maxdev + 1, sizeof *dev_in);
	if (!dev_fed || !dev_in) {
		free(dev_fed);
		free(dev_in);
		fclose(f);
		free(buf);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < nconn; i++) {
		const struct click_conn *c = click_graph_conn(g, i);
		const struct click_element *from = click_graph_element(g, c->from.elem);
		const struct click_element *to = click_graph_element(g, c->to.elem);
		if ((from->cls->flags & ELEM_DEVICE_OUT) && primary[device_of(from)] != c->from.elem)
			continue; /* a dropped duplicate device's own output */
		char src[160], dst[160];
		if (from->cls->flags & ELEM_DEVICE_IN) {
			/* device -> [0]enforcer[0] -> what the device fed */
			uint32_t d = device_of(from);
			if (!dev_in[d]) {
				fprintf(f, "%s [%u] -> [0] %s%u;\n", from->name, c->from.port, pfx, d);
				dev_in[d] = true;
			}
			snprintf(src, sizeof src, "%s%u [0]", pfx, d);
		} else {
			snprintf(src, sizeof src, "%s [%u]", from->name, c->from.port);
		}
		if (to->cls->flags & ELEM_DEVICE_OUT) {
			/* what fed the device -> [1]enforcer[1] -> device; a pull
			 * output first goes through an Unqueue (the enforcer pushes) */
			uint32_t d = device_of(to);
			snprintf(dst, sizeof dst, "[1] %s%u", pfx, d);
			if (!(from->cls->flags & ELEM_DEVICE_IN) && from->out_proc[c->from.port] == CLICK_PULL) {
				fprintf(f, "%s_uq%u :: Unqueue;\n", pfx, nuq);
				fprintf(f, "%s -> [0] %s_uq%u;\n", src, pfx, nuq);
				snprintf(src, sizeof src, "%s_uq%u [0]", pfx, nuq);
				nuq++;
			}
			if (!dev_fed[d]) {
				fprintf(f, "%s%u [1] -> [%u] %s;\n", pfx, d, c->to.port,
				        click_graph_element(g, primary[d])->name);
				dev_fed[d] = true;
			}
		} else {
			snprintf(dst, sizeof dst, "[%u] %s", c->to.port, to->name);
		}
		fprintf(f, "%s -> %s;\n", src, dst);
	}
	/* an enforcer side without a device is closed with Idle/Discard */
	for (uint32_t d = 0; d <= maxdev; d++) {
		if (!dev_in[d])
			fprintf(f, "Idle -> [0] %s%u;\n%s%u [0] -> Discard;\n", pfx, d, pfx, d);
		if (!dev_fed[d])
			fprintf(f, "Idle -> [1] %s%u;\n%s%u [1] -> Discard;\n", pfx, d, pfx, d);
	}
	free(dev_fed);
	free(dev_in);
	free(primary);
	return close_text(f, &buf, out);
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

void ctl__detect_filter(const struct click_graph *g, uint8_t *proto, uint16_t *port)
{
	*proto = 0;
	*port = 0;
	uint32_t nel = click_graph_nelements(g);
	const struct click_element *dev = NULL;
	for (uint32_t i = 0; i < nel && !dev; i++) {
		const struct click_element *e = click_graph_element(g, i);
		if ((e->cls->flags & ELEM_DEVICE_IN) && device_of(e) == 0)
			dev = e;
	}
	if (!dev)
		return;
	uint32_t n;
	const struct click_port_ref *next = click_graph_outputs(g, dev->index, 0, &n);
	if (n != 1)
		return;
	const struct click_element *flt = click_graph_element(g, next[0].elem);
	if (strcmp(flt->cls->name, "IPFilter") && strcmp(flt->cls->name, "IPClassifier"))
		return;
	if (flt->args.n == 0)
		return;
	/* the first rule decides what is accepted at all only if it is the
	 * sole accepting rule: IPFilter(allow X, deny all) or (allow X) */
	bool ipfilter = !strcmp(flt->cls->name, "IPFilter");
	if (ipfilter) {
		for (size_t i = 1; i < flt->args.n; i++) {
			const char *t = flt->args.v[i].text;
			if (strncmp(t, "deny", 4) && strncmp(t, "drop", 4))
				return;
		}
		if (strncmp(flt->args.v[0].text, "allow", 5))
			return;
	} else {
		return; /* a classifier has several outputs: it accepts more than one thing */
	}
	const char *s = flt->args.v[0].text;
	if (strstr(s, " or ") || strstr(s, "not ") || strchr(s, '!') || strstr(s, "||"))
		return;
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
	if (pr == 255)
		return;
	*proto = pr;
	if (pr && nports == 1)
		*port = (uint16_t)pt;
}
