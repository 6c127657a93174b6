#include "daemon/internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/fmt.h"
#include "base/inet.h"
#include "registry/registry.h"

static const struct cfg_setting settings[] = {
#define CFG_ROW(field, name, type, min, max, choices, dflt, help) \
	{name, CFG_T_##type, min, max, choices, dflt, help, offsetof(struct cfg, field)},
#include "daemon/config_rows.h"
#undef CFG_ROW
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

const struct cfg_setting *cfg_settings(size_t *n)
{
	*n = NSETTINGS;
	return settings;
}

const struct cfg_setting *cfg_find(const char *name)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (!strcmp(settings[i].name, name))
			return &settings[i];
	return NULL;
}

static bool is_string_type(enum cfg_type t)
{
	return t == CFG_T_STRING || t == CFG_T_PATH || t == CFG_T_ADDRESS || t == CFG_T_ENUM;
}

static char **str_field(struct cfg *c, const struct cfg_setting *s)
{
	return (char **)((char *)c + s->offset);
}

static int64_t *int_field(struct cfg *c, const struct cfg_setting *s)
{
	return (int64_t *)((char *)c + s->offset);
}

static bool *bool_field(struct cfg *c, const struct cfg_setting *s)
{
	return (bool *)((char *)c + s->offset);
}

int cfg_split_address(const char *addr, char *host, int *port)
{
	const char *colon = strrchr(addr, ':');
	if (!colon || colon == addr || (size_t)(colon - addr) > 15)
		return -EINVAL;
	uint32_t a;
	if (inet_parse_addr(addr, (size_t)(colon - addr), &a))
		return -EINVAL;
	const char *p = colon + 1;
	if (!*p || strlen(p) > 5)
		return -EINVAL;
	long v = 0;
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		v = v * 10 + (*p - '0');
	}
	if (v > 65535)
		return -EINVAL;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	*port = (int)v;
	return 0;
}

/* digits with an optional suffix from `units` (name, multiplier) */
struct unit {
	const char *suffix;
	int64_t mult;
};

static int parse_scaled(const char *v, const struct unit *units, int64_t *out)
{
	const char *p = v;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	int64_t n = 0;
	for (; isdigit((unsigned char)*p); p++) {
		if (n > (INT64_MAX - 9) / 10)
			return -ERANGE;
		n = n * 10 + (*p - '0');
	}
	if (!*p) {
		*out = n;
		return 0;
	}
	for (const struct unit *u = units; u && u->suffix; u++)
		if (!strcmp(p, u->suffix)) {
			if (n > INT64_MAX / u->mult)
				return -ERANGE;
			*out = n * u->mult;
			return 0;
		}
	return -EINVAL;
}

static const struct unit size_units[] = {
	{"K", 1024}, {"k", 1024}, {"KiB", 1024}, {"M", 1 << 20}, {"MiB", 1 << 20},
	{"G", 1 << 30}, {"GiB", 1 << 30}, {NULL, 0},
};
static const struct unit duration_units[] = {
	{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {NULL, 0},
};

static bool enum_has(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;
	while (p && *p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && !strncmp(p, v, n))
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

static int check_text(const struct cfg_setting *s, const char *value, char *err, size_t errlen)
{
	char host[16];
	int port;
	switch (s->type) {
	case CFG_T_ADDRESS:
		if (!cfg_split_address(value, host, &port))
			return 0;
		fmt_err(err, errlen, "%s: '%s' is not an address:port (like 127.0.0.1:8080)", s->name, value);
		return -EINVAL;
	case CFG_T_ENUM:
		if (enum_has(s->choices, value))
			return 0;
		fmt_err(err, errlen, "%s: '%s' is not one of %s", s->name, value, s->choices);
		return -EINVAL;
	default:
		for (const char *p = value; *p; p++)
			if ((unsigned char)*p < 0x20) {
				fmt_err(err, errlen, "%s: control character in value", s->name);
				return -EINVAL;
			}
		if (!strcmp(s->name, "pop") && !snapshot_pop_valid(value)) {
			fmt_err(err, errlen, "pop: '%s' is not a PoP name (1 to %d letters, digits, '-' "
			        "and '_')", value, SNAPSHOT_POP_MAX);
			return -EINVAL;
		}
		return 0;
	}
}

static int set_text(struct cfg *c, const struct cfg_setting *s, const char *value, char *err, size_t errlen)
{
	int rc = check_text(s, value, err, errlen);
	if (rc)
		return rc;
	char *dup = strdup(value);
	if (!dup) {
		fmt_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	char **f = str_field(c, s);
	free(*f);
	*f = dup;
	return 0;
}

static const char *number_kind(enum cfg_type t)
{
	return t == CFG_T_SIZE ? "a size (like 1M, 16K or 4096)"
	       : t == CFG_T_DURATION ? "a duration (like 500ms, 10s, 2m)" : "a non-negative integer";
}

static const char *number_unit(enum cfg_type t)
{
	return t == CFG_T_SIZE ? " bytes" : t == CFG_T_DURATION ? " ms" : "";
}

static int set_number(struct cfg *c, const struct cfg_setting *s, const char *value, char *err, size_t errlen)
{
	int64_t n;
	int rc = parse_scaled(value, s->type == CFG_T_SIZE ? size_units
	                             : s->type == CFG_T_DURATION ? duration_units : NULL, &n);
	if (rc == -ERANGE)
		fmt_err(err, errlen, "%s: '%s' is too large", s->name, value);
	else if (rc)
		fmt_err(err, errlen, "%s: '%s' is not %s", s->name, value, number_kind(s->type));
	else if (n < s->min || n > s->max)
		fmt_err(err, errlen, "%s: %s is out of range [%" PRId64 ", %" PRId64 "]%s", s->name, value, s->min,
		        s->max, number_unit(s->type));
	else {
		*int_field(c, s) = n;
		return 0;
	}
	return -EINVAL;
}

static int set_bool(struct cfg *c, const struct cfg_setting *s, const char *value, char *err, size_t errlen)
{
	if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "on") || !strcmp(value, "1"))
		*bool_field(c, s) = true;
	else if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "off") || !strcmp(value, "0"))
		*bool_field(c, s) = false;
	else {
		fmt_err(err, errlen, "%s: '%s' is not true or false", s->name, value);
		return -EINVAL;
	}
	return 0;
}

int cfg_set(struct cfg *c, const char *name, const char *value, char *err, size_t errlen)
{
	const struct cfg_setting *s = cfg_find(name);
	if (!s) {
		fmt_err(err, errlen, "unknown setting '%s'", name);
		return -ENOENT;
	}
	if (is_string_type(s->type))
		return set_text(c, s, value, err, errlen);
	if (s->type == CFG_T_BOOL)
		return set_bool(c, s, value, err, errlen);
	return set_number(c, s, value, err, errlen);
}

int cfg_init(struct cfg *c)
{
	memset(c, 0, sizeof *c);
	char err[256];
	for (size_t i = 0; i < NSETTINGS; i++) {
		int rc = cfg_set(c, settings[i].name, settings[i].dflt, err, sizeof err);
		if (rc) {
			/* a bad default is a programming error in config_rows.h */
			fprintf(stderr, "innetd: bad default: %s\n", err);
			cfg_free(c);
			return rc;
		}
	}
	return 0;
}

void cfg_free(struct cfg *c)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (is_string_type(settings[i].type)) {
			char **f = str_field(c, &settings[i]);
			free(*f);
			*f = NULL;
		}
	free(c->config_file);
	c->config_file = NULL;
}

/* One line of a configuration file: where it is, for diagnostics, and
 * its text without surrounding space. */
struct line {
	const struct src_file *src;
	unsigned no;
	const char *start;
	const char *a, *b;
};

static int line_error(struct diags *d, const struct line *l, const char *at, size_t span, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int line_error(struct diags *d, const struct line *l, const char *at, size_t span, const char *fmt, ...)
{
	struct src_loc loc = {l->src, l->no, (uint32_t)(at - l->start) + 1};
	va_list ap;
	va_start(ap, fmt);
	int rc = diags_vadd(d, DIAG_ERROR, &loc, (uint32_t)span, fmt, ap);
	va_end(ap);
	return rc;
}

/* Longer keys are not settings: refused before the table is searched. */
#define KEY_MAX 64

/* The key before '=' into key[KEY_MAX]; *eq at the '='. */
static int read_key(const struct line *l, char *key, const char **eq, struct diags *d)
{
	const char *a = l->a;
	*eq = memchr(a, '=', (size_t)(l->b - a));
	if (!*eq)
		return line_error(d, l, a, (size_t)(l->b - a), "expected 'key = value'");
	const char *ke = *eq;
	while (ke > a && isspace((unsigned char)ke[-1]))
		ke--;
	if (ke == a)
		return line_error(d, l, *eq, 1, "missing key before '='");
	if ((size_t)(ke - a) >= KEY_MAX)
		return line_error(d, l, a, (size_t)(ke - a), "key too long");
	memcpy(key, a, (size_t)(ke - a));
	key[ke - a] = '\0';
	return 0;
}

/* The value after '=': a quoted string, or the text up to a comment ('#'
 * after whitespace). *at and *span say where it stands, quotes included. */
static int read_value(const struct line *l, const char *eq, char **out, const char **at, size_t *span,
                      struct diags *d)
{
	const char *v = eq + 1, *ve = l->b;
	while (v < ve && isspace((unsigned char)*v))
		v++;
	*at = v;
	if (v < ve && *v == '"') {
		const char *q = memchr(v + 1, '"', (size_t)(ve - v - 1));
		if (!q)
			return line_error(d, l, v, (size_t)(ve - v), "unterminated quoted value");
		const char *rest = q + 1;
		while (rest < ve && isspace((unsigned char)*rest))
			rest++;
		if (rest < ve && *rest != '#')
			return line_error(d, l, rest, (size_t)(ve - rest), "text after the quoted value");
		*span = (size_t)(q + 1 - v);
		*out = strndup(v + 1, (size_t)(q - v - 1));
		return *out ? 0 : -ENOMEM;
	}
	for (const char *h = v; h < ve; h++)
		if (*h == '#' && h > v && isspace((unsigned char)h[-1])) {
			ve = h;
			break;
		}
	while (ve > v && isspace((unsigned char)ve[-1]))
		ve--;
	*span = (size_t)(ve - v);
	*out = strndup(v, (size_t)(ve - v));
	return *out ? 0 : -ENOMEM;
}

/* seen[i]: the line that set settings[i], 0 if none yet. */
static int parse_line(struct cfg *c, const struct line *l, unsigned *seen, struct diags *d)
{
	const char *nul = memchr(l->a, '\0', (size_t)(l->b - l->a));
	if (nul)
		return line_error(d, l, nul, 1, "NUL byte in line");
	char key[KEY_MAX];
	const char *eq = NULL, *at = NULL;
	char *value = NULL;
	size_t span = 0;
	int rc = read_key(l, key, &eq, d);
	if (rc || (rc = read_value(l, eq, &value, &at, &span, d)))
		return rc;
	const struct cfg_setting *s = cfg_find(key);
	char msg[512];
	if (s && seen[s - settings])
		rc = line_error(d, l, l->a, strlen(key), "'%s' is set twice (first on line %u)", key,
		                seen[s - settings]);
	else if ((rc = cfg_set(c, key, value, msg, sizeof msg)) == -ENOENT)
		rc = line_error(d, l, l->a, strlen(key), "%s", msg);
	else if (rc)
		rc = line_error(d, l, at, span, "%s", msg);
	else
		seen[s - settings] = l->no;
	free(value);
	return rc;
}

int cfg_parse_text(struct cfg *c, const char *name, const char *text, size_t len, struct diags *d)
{
	unsigned *seen = calloc(NSETTINGS, sizeof *seen);
	if (!seen)
		return -ENOMEM;
	struct src_file src = {name, text, len};
	struct line l = {.src = &src};
	int rc = 0;
	const char *p = text, *end = text + len;
	while (p < end && !rc) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		l.no++;
		l.start = l.a = p;
		l.b = eol;
		p = eol < end ? eol + 1 : end;
		/* a NUL is an error wherever it is, even in a comment */
		if (!memchr(l.a, '\0', (size_t)(l.b - l.a))) {
			while (l.a < l.b && isspace((unsigned char)*l.a))
				l.a++;
			while (l.b > l.a && isspace((unsigned char)l.b[-1]))
				l.b--;
			if (l.a == l.b || *l.a == '#')
				continue;
		}
		rc = parse_line(c, &l, seen, d);
	}
	free(seen);
	if (rc == -ENOMEM)
		diags_error(d, NULL, 0, "%s: %s", name, strerror(ENOMEM));
	return rc;
}

/* Files larger than this are not configuration files. */
#define CFG_MAX_FILE (1u << 20)

int cfg_load_file(struct cfg *c, const char *path, struct diags *d)
{
	char *text;
	size_t len;
	int rc = file_read_all(path, CFG_MAX_FILE, &text, &len);
	if (rc) {
		diags_error(d, NULL, 0, "%s: %s", path, rc == -EFBIG ? "file too large" : strerror(-rc));
		return rc;
	}
	rc = cfg_parse_text(c, path, text, len, d);
	free(text);
	return rc;
}

void cfg_usage(FILE *out, const char *prog)
{
	fprintf(out, "usage: %s [--config FILE] [--SETTING VALUE]...\n\n"
	             "Every setting of the configuration file is also a flag; flags win.\n\n", prog);
	for (size_t i = 0; i < NSETTINGS; i++) {
		const struct cfg_setting *s = &settings[i];
		fprintf(out, "  --%-20s %s", s->name, s->help);
		if (s->type == CFG_T_ENUM)
			fprintf(out, " (%s)", s->choices);
		fprintf(out, " [default: %s]\n", *s->dflt ? s->dflt : "\"\"");
	}
	fprintf(out, "  --%-20s %s\n  --%-20s %s\n  --%-20s %s\n", "config FILE",
	        "read settings from FILE (key = value lines)", "help", "this text",
	        "version", "print the version");
}

/* Flags are not in a file: their errors name the flag, without position. */
static int set_flag(struct cfg *c, const char *name, const char *value, struct diags *d)
{
	char msg[512];
	int rc = cfg_set(c, name, value, msg, sizeof msg);
	if (rc == -ENOENT)
		return diags_error(d, NULL, 0, "--%s: unknown flag (see --help)", name);
	if (rc)
		return diags_error(d, NULL, 0, "--%s", msg);
	return 0;
}

/* --help, --version (1: printed) and --config; the rest waits for
 * set_flags, so that flags win over the file whatever their order. */
static int early_flags(struct cfg *c, int argc, char **argv, struct diags *d)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			cfg_usage(stdout, argv[0]);
			return 1;
		}
		if (!strcmp(a, "--version")) {
			printf("innetd %s\n", INNET_VERSION);
			return 1;
		}
		if (!strcmp(a, "--config") || !strncmp(a, "--config=", 9)) {
			const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v)
				return diags_error(d, NULL, 0, "--config: missing file name");
			free(c->config_file);
			c->config_file = strdup(v);
		}
	}
	return 0;
}

/* The value of argv[*i]: after '=', the next argument, or "true" for a
 * BOOL flag alone. */
static int flag_value(int argc, char **argv, int *i, const char *name, const char *eq, const char **v,
                      struct diags *d)
{
	const struct cfg_setting *s = cfg_find(name);
	if (eq)
		*v = eq + 1;
	else if (s && s->type == CFG_T_BOOL && (*i + 1 >= argc || !strncmp(argv[*i + 1], "--", 2)))
		*v = "true";
	else if (*i + 1 < argc)
		*v = argv[++*i];
	else if (!s)
		return diags_error(d, NULL, 0, "--%s: unknown flag (see --help)", name);
	else
		return diags_error(d, NULL, 0, "--%s: missing value", name);
	return 0;
}

static int set_flags(struct cfg *c, int argc, char **argv, struct diags *d)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--config")) {
			i++;
			continue;
		}
		if (!strncmp(a, "--config=", 9))
			continue;
		if (strncmp(a, "--", 2) || !a[2])
			return diags_error(d, NULL, 0, "%s: unexpected argument (flags are --name value)", a);
		char name[64];
		const char *eq = strchr(a + 2, '=');
		size_t nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (nlen >= sizeof name)
			return diags_error(d, NULL, 0, "%s: unknown flag", a);
		memcpy(name, a + 2, nlen);
		name[nlen] = '\0';
		const char *v = NULL;
		int rc = flag_value(argc, argv, &i, name, eq, &v, d);
		if (rc || (rc = set_flag(c, name, v, d)))
			return rc;
	}
	return 0;
}

int cfg_load(struct cfg *c, int argc, char **argv, struct diags *d)
{
	int rc = cfg_init(c);
	if (rc || (rc = early_flags(c, argc, argv, d)))
		return rc;
	if (c->config_file && cfg_load_file(c, c->config_file, d))
		return -EINVAL;
	const char *env = getenv("INNET_ADMIN_TOKEN");
	char msg[512];
	if (env && *env && cfg_set(c, "admin-token", env, msg, sizeof msg))
		return diags_error(d, NULL, 0, "INNET_ADMIN_TOKEN: bad value");
	return set_flags(c, argc, argv, d);
}

json_t *cfg_to_json(const struct cfg *c)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	for (size_t i = 0; i < NSETTINGS; i++) {
		const struct cfg_setting *s = &settings[i];
		struct cfg *mc = (struct cfg *)c;
		json_t *v;
		if (is_string_type(s->type)) {
			const char *sv = *str_field(mc, s);
			if (!strcmp(s->name, "admin-token") && sv && *sv)
				sv = "(set)";
			if (!strcmp(s->name, "registry") && sv && *sv) {
				char *shown = reg_spec_redact(sv); /* (its password) */
				v = json_string(shown ? shown : "(set)");
				free(shown);
			} else {
				v = json_string(sv ? sv : "");
			}
		} else if (s->type == CFG_T_BOOL) {
			v = json_boolean(*bool_field(mc, s));
		} else {
			v = json_integer(*int_field(mc, s));
		}
		json_object_set_new(o, s->name, v);
	}
	json_object_set_new(o, "config", c->config_file ? json_string(c->config_file) : json_null());
	return o;
}
