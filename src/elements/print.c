/* Print([LABEL, MAXLENGTH] [, CONTENTS, TIMESTAMP, PRINTANNO, HEADROOM,
 * ACTIVE, CPU]) (Click's): log one line per packet, pass it on. */
#include <errno.h>
#include <stdio.h>
#include <strings.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

enum print_contents { PRINT_NONE, PRINT_HEX, PRINT_ASCII };

struct print_conf {
	const char *label;  /* unquoted, "" by default */
	int32_t maxlength;  /* bytes shown, 24; negative: the whole packet */
	uint8_t contents;   /* enum print_contents, HEX */
	bool timestamp, printanno, headroom, cpu; /* false */
	bool active;        /* true */
};

static int print_configure(const struct click_conf_ctx *ctx, const struct click_args *args, void **conf)
{
	struct print_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->label = "";
	c->maxlength = 24;
	c->contents = PRINT_HEX;
	c->active = true;
	struct arg_val contents = { 0 };
	struct arg_spec spec[] = {
		arg_string("LABEL", ARG_P, &c->label),
		arg_i32("MAXLENGTH", ARG_P, &c->maxlength),
		arg_i32("LENGTH", 0, &c->maxlength),
		arg_raw("CONTENTS", 0, &contents),
		arg_bool("TIMESTAMP", 0, &c->timestamp),
		arg_bool("PRINTANNO", 0, &c->printanno),
		arg_bool("HEADROOM", 0, &c->headroom),
		arg_bool("ACTIVE", 0, &c->active),
		arg_bool("CPU", 0, &c->cpu),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (spec[3].given) {
		bool b;
		if (contents.n == 3 && strncasecmp(contents.s, "hex", 3) == 0)
			c->contents = PRINT_HEX;
		else if (contents.n == 5 && strncasecmp(contents.s, "ascii", 5) == 0)
			c->contents = PRINT_ASCII;
		else if (contents.n == 4 && strncasecmp(contents.s, "none", 4) == 0)
			c->contents = PRINT_NONE;
		else if (arg_parse_bool(NULL, &contents, &b) == 0)
			c->contents = b ? PRINT_HEX : PRINT_NONE;
		else
			rc = arg_error(ctx, &contents, "expected HEX, ASCII or NONE");
	}
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Print logs a line and passes the packet unchanged. */
static const struct elem_model print_model = { .push = mu_sym_pass };

/* ---- runtime (packet functions) ---- */
/* One line per packet: "LABEL: LEN | bytes", at most 256 bytes shown. */
static struct rt_pkt *print_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct print_conf *c = e->conf;
	if (c && !c->active)
		return p;
	char line[1024];
	size_t n = 0;
	int w = snprintf(line, sizeof line, "%s%s%4u", c && c->label && *c->label ? c->label : "",
	                 c && c->label && *c->label ? ": " : "", p->len);
	n = w > 0 ? (size_t)w : 0;
	uint32_t show = !c || c->maxlength < 0 ? p->len : (uint32_t)c->maxlength;
	if (show > p->len)
		show = p->len;
	if (show > 256)
		show = 256;
	uint8_t mode = c ? c->contents : PRINT_HEX;
	if (mode != PRINT_NONE && show && n + 3 < sizeof line) {
		line[n++] = ' ';
		line[n++] = '|';
		const uint8_t *d = rt_pkt_data(p);
		for (uint32_t i = 0; i < show && n + 4 < sizeof line; i++) {
			if (mode == PRINT_HEX) {
				if (i % 4 == 0)
					line[n++] = ' ';
				n += (size_t)snprintf(line + n, sizeof line - n, "%02x", d[i]);
			} else {
				/* Click: " | " then a space before every 8 bytes */
				if (i == 0)
					line[n++] = ' ';
				if (i % 8 == 0)
					line[n++] = ' ';
				line[n++] = d[i] >= 32 && d[i] < 127 ? (char)d[i] : '.';
			}
		}
	}
	line[n < sizeof line ? n : sizeof line - 1] = 0;
	rt_log(e, line);
	return p;
}

static const struct elem_runtime print_runtime = { .action = print_action };

/* ---- describe and the class objects ---- */
static const char *print_contents_name(uint8_t contents)
{
	return contents == PRINT_HEX ? "HEX" : contents == PRINT_ASCII ? "ASCII" : "NONE";
}

static json_t *print_describe(const void *conf)
{
	const struct print_conf *c = conf;
	return json_pack("{s:s, s:i, s:s, s:b, s:b, s:b, s:b, s:b}", "LABEL", c->label, "MAXLENGTH",
	                 c->maxlength, "CONTENTS", print_contents_name(c->contents), "TIMESTAMP",
	                 c->timestamp, "PRINTANNO", c->printanno, "HEADROOM", c->headroom, "ACTIVE",
	                 c->active, "CPU", c->cpu);
}

const struct click_class elem_print = {
	.name = "Print",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = print_configure,
	.model = &print_model,
	.runtime = &print_runtime,
	.describe = print_describe,
	.doc_args = "[LABEL] (string, default empty), [MAXLENGTH] (integer, default 24; negative: "
	            "the whole packet); keywords LENGTH (same as MAXLENGTH), CONTENTS (HEX, ASCII "
	            "or NONE, default HEX), TIMESTAMP, PRINTANNO, HEADROOM, CPU (bool, default "
	            "false), ACTIVE (bool, default true)",
	.doc_model = "Logs a line and passes the packet unchanged.",
};
