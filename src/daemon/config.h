/* innetd configuration: one table of settings (config_rows.h) drives the
 * file parser, the command-line flags, the defaults and the JSON dump.
 * Precedence: defaults < file (--config) < environment < flags. */
#ifndef INNET_CONFIG_H
#define INNET_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "base/diag.h"

enum cfg_type {
	CFG_T_STRING, CFG_T_PATH, CFG_T_ADDRESS, CFG_T_ENUM,
	CFG_T_INT, CFG_T_SIZE, CFG_T_DURATION, CFG_T_BOOL,
};

#define CFG_CTYPE_STRING char *
#define CFG_CTYPE_PATH char *
#define CFG_CTYPE_ADDRESS char *
#define CFG_CTYPE_ENUM char *
#define CFG_CTYPE_INT int64_t
#define CFG_CTYPE_SIZE int64_t
#define CFG_CTYPE_DURATION int64_t
#define CFG_CTYPE_BOOL bool

struct cfg {
#define CFG_ROW(field, name, type, min, max, choices, dflt, help) CFG_CTYPE_##type field;
#include "daemon/config_rows.h"
#undef CFG_ROW
	char *config_file; /* --config, or NULL */
};

struct cfg_setting {
	const char *name;
	enum cfg_type type;
	int64_t min, max;
	const char *choices; /* ENUM: "a|b|c" */
	const char *dflt;
	const char *help;
	size_t offset;       /* into struct cfg */
};

/* The table, in declaration order. */
const struct cfg_setting *cfg_settings(size_t *n);
const struct cfg_setting *cfg_find(const char *name);

/* Every field to its default. cfg_free releases the strings. */
int cfg_init(struct cfg *c);
void cfg_free(struct cfg *c);

/* Set one setting from its text form. On error returns -EINVAL (unknown name:
 * -ENOENT) and writes "why" (without position) into err. */
int cfg_set(struct cfg *c, const char *name, const char *value, char *err, size_t errlen);

/* Parse "key = value" lines ('#' comments, values optionally in double
 * quotes). Stops at the first error, which goes to d at name:line:column
 * (the key, or the value at fault) with the line and a caret. A key given
 * twice is an error. Returns 0, -EINVAL, or -ENOMEM. */
int cfg_parse_text(struct cfg *c, const char *name, const char *text, size_t len, struct diags *d);
/* The same for a file (at most 1 MiB); a file that cannot be read is an
 * error in d without position ("path: why"), and its negative errno. */
int cfg_load_file(struct cfg *c, const char *path, struct diags *d);

/* The whole start-up sequence: defaults, --config FILE, INNET_ADMIN_TOKEN,
 * then the flags (--name value or --name=value; a BOOL flag alone is true).
 * Returns 0; 1 when --help or --version was printed (exit 0); -EINVAL with
 * the reason in d (the file's errors with their position, a flag's as
 * "--flag: message"; exit 2). */
int cfg_load(struct cfg *c, int argc, char **argv, struct diags *d);
void cfg_usage(FILE *out, const char *prog);

/* The effective settings; secrets (admin-token) are redacted. */
json_t *cfg_to_json(const struct cfg *c);

/* Split an ADDRESS value. host must hold 16 bytes. */
int cfg_split_address(const char *addr, char *host, int *port);

#endif
