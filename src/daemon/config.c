#include "daemon/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "base/inet.h"

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

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
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

int cfg_set(struct cfg *c, const char *name, const char *value, char *err, size_t errlen)
{
	const struct cfg_setting *s = cfg_find(name);
	if (!s)
		return fail(err, errlen, -ENOENT, "unknown setting '%s'", name);
	int64_t n;
	int rc;
	switch (s->type) {
	case CFG_T_ADDRESS: {
		char host[16];
		int port;
		if (cfg_split_address(value, host, &port))
			return fail(err, errlen, -EINVAL, "%s: '%s' is not an address:port (like 127.0.0.1:8080)", name, value);
		break;
	}
	case CFG_T_ENUM:
		if (!enum_has(s->choices, value))
			return fail(err, errlen, -EINVAL, "%s: '%s' is not one of %s", name, value, s->choices);
		break;
	case CFG_T_STRING:
	case CFG_T_PATH:
		for (const char *p = value; *p; p++)
			if ((unsigned char)*p < 0x20)
				return fail(err, errlen, -EINVAL, "%s: control character in value", name);
		break;
	case CFG_T_INT:
	case CFG_T_SIZE:
	case CFG_T_DURATION:
		rc = parse_scaled(value, s->type == CFG_T_SIZE ? size_units
		                         : s->type == CFG_T_DURATION ? duration_units : NULL, &n);
		if (rc == -ERANGE)
			return fail(err, errlen, -EINVAL, "%s: '%s' is too large", name, value);
		if (rc)
			return fail(err, errlen, -EINVAL, "%s: '%s' is not %s", name, value,
			            s->type == CFG_T_SIZE ? "a size (like 1M, 16K or 4096)"
			            : s->type == CFG_T_DURATION ? "a duration (like 500ms, 10s, 2m)"
			            : "a non-negative integer");
		if (n < s->min || n > s->max)
			return fail(err, errlen, -EINVAL, "%s: %s is out of range [%" PRId64 ", %" PRId64 "]%s",
			            name, value, s->min, s->max,
			            s->type == CFG_T_SIZE ? " bytes" : s->type == CFG_T_DURATION ? " ms" : "");
		*int_field(c, s) = n;
		return 0;
	case CFG_T_BOOL:
		if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "on") || !strcmp(value, "1"))
			*bool_field(c, s) = true;
		else if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "off") || !strcmp(value, "0"))
			*bool_field(c, s) = false;
		else
			return fail(err, errlen, -EINVAL, "%s: '%s' is not true or false", name, value);
		return 0;
	}
	char *dup = strdup(value);
	if (!dup)
		return fail(err, errlen, -ENOMEM, "out of memory");
	char **f = str_field(c, s);
	free(*f);
	*f = dup;
	return 0;
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

int cfg_parse_text(struct cfg *c, const char *name, const char *text, size_t len, char **err)
{
	unsigned *seen = calloc(NSETTINGS, sizeof *seen); /* line of first setting */
	if (!seen)
		return -ENOMEM;
	int rc = 0;
	unsigned line = 0;
	const char *p = text, *end = text + len;
	char msg[512];
	while (p < end && !rc) {
		line++;
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		const char *a = p, *b = eol;
		p = eol < end ? eol + 1 : end;
		if (memchr(a, '\0', (size_t)(b - a))) {
			*err = xasprintf("%s:%u: NUL byte in line", name, line);
			rc = -EINVAL;
			break;
		}
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (a == b || *a == '#')
			continue;
		const char *eq = memchr(a, '=', (size_t)(b - a));
		if (!eq) {
			*err = xasprintf("%s:%u: expected 'key = value'", name, line);
			rc = -EINVAL;
			break;
		}
		const char *ke = eq;
		while (ke > a && isspace((unsigned char)ke[-1]))
			ke--;
		char key[64];
		if (ke == a || (size_t)(ke - a) >= sizeof key) {
			*err = xasprintf("%s:%u: %s", name, line, ke == a ? "missing key before '='" : "key too long");
			rc = -EINVAL;
			break;
		}
		memcpy(key, a, (size_t)(ke - a));
		key[ke - a] = '\0';
		const char *v = eq + 1;
		while (v < b && isspace((unsigned char)*v))
			v++;
		const char *ve = b;
		char *value;
		if (v < ve && *v == '"') {
			const char *q = memchr(v + 1, '"', (size_t)(ve - v - 1));
			if (!q) {
				*err = xasprintf("%s:%u: unterminated quoted value", name, line);
				rc = -EINVAL;
				break;
			}
			const char *rest = q + 1;
			while (rest < ve && isspace((unsigned char)*rest))
				rest++;
			if (rest < ve && *rest != '#') {
				*err = xasprintf("%s:%u: text after the quoted value", name, line);
				rc = -EINVAL;
				break;
			}
			value = strndup(v + 1, (size_t)(q - v - 1));
		} else {
			/* a '#' after whitespace starts a comment */
			for (const char *h = v; h < ve; h++)
				if (*h == '#' && h > v && isspace((unsigned char)h[-1])) {
					ve = h;
					break;
				}
			while (ve > v && isspace((unsigned char)ve[-1]))
				ve--;
			value = strndup(v, (size_t)(ve - v));
		}
		if (!value) {
			rc = -ENOMEM;
			break;
		}
		const struct cfg_setting *s = cfg_find(key);
		if (s && seen[s - settings]) {
			*err = xasprintf("%s:%u: '%s' is set twice (first on line %u)", name, line, key, seen[s - settings]);
			rc = -EINVAL;
		} else if (cfg_set(c, key, value, msg, sizeof msg)) {
			*err = xasprintf("%s:%u: %s", name, line, msg);
			rc = -EINVAL;
		} else {
			seen[s - settings] = line;
		}
		free(value);
	}
	free(seen);
	if (rc && !*err)
		*err = xasprintf("%s: %s", name, strerror(-rc));
	return rc;
}

int cfg_load_file(struct cfg *c, const char *path, char **err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		return -errno;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (cap - len < 4096) {
			if (cap > (1u << 20)) {
				fclose(f);
				free(buf);
				*err = xasprintf("%s: file too large", path);
				return -EFBIG;
			}
			char *nb = realloc(buf, cap ? cap * 2 : 8192);
			if (!nb) {
				fclose(f);
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap = cap ? cap * 2 : 8192;
		}
		size_t r = fread(buf + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		*err = xasprintf("%s: read error", path);
		return -EIO;
	}
	int rc = cfg_parse_text(c, path, buf, len, err);
	free(buf);
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

static int set_flag(struct cfg *c, const char *name, const char *value, char **err)
{
	char msg[512];
	int rc = cfg_set(c, name, value, msg, sizeof msg);
	if (rc == -ENOENT)
		*err = xasprintf("--%s: unknown flag (see --help)", name);
	else if (rc)
		*err = xasprintf("--%s", msg);
	return rc ? -EINVAL : 0;
}

int cfg_load(struct cfg *c, int argc, char **argv, char **err)
{
	*err = NULL;
	int rc = cfg_init(c);
	if (rc)
		return rc;
	/* pass 1: --help, --version, --config */
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
			if (!v) {
				*err = xasprintf("--config: missing file name");
				return -EINVAL;
			}
			free(c->config_file);
			c->config_file = strdup(v);
		}
	}
	if (c->config_file && (rc = cfg_load_file(c, c->config_file, err)))
		return -EINVAL;
	const char *env = getenv("INNET_ADMIN_TOKEN");
	if (env && *env && (rc = set_flag(c, "admin-token", env, err))) {
		free(*err);
		*err = xasprintf("INNET_ADMIN_TOKEN: bad value");
		return rc;
	}
	/* pass 2: every other flag */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--config")) {
			i++;
			continue;
		}
		if (!strncmp(a, "--config=", 9))
			continue;
		if (strncmp(a, "--", 2) || !a[2]) {
			*err = xasprintf("%s: unexpected argument (flags are --name value)", a);
			return -EINVAL;
		}
		char name[64];
		const char *eq = strchr(a + 2, '=');
		size_t nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (nlen >= sizeof name) {
			*err = xasprintf("%s: unknown flag", a);
			return -EINVAL;
		}
		memcpy(name, a + 2, nlen);
		name[nlen] = '\0';
		const struct cfg_setting *s = cfg_find(name);
		const char *v;
		if (eq)
			v = eq + 1;
		else if (s && s->type == CFG_T_BOOL && (i + 1 >= argc || !strncmp(argv[i + 1], "--", 2)))
			v = "true";
		else if (i + 1 < argc)
			v = argv[++i];
		else if (!s) {
			*err = xasprintf("--%s: unknown flag (see --help)", name);
			return -EINVAL;
		} else {
			*err = xasprintf("--%s: missing value", name);
			return -EINVAL;
		}
		if ((rc = set_flag(c, name, v, err)))
			return rc;
	}
	return 0;
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
			v = json_string(sv ? sv : "");
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
