/* Diagnostics: errors and warnings that say where (file:line:column), what
 * text, and why, with the offending source line and a caret under it.
 * Every parser in innet (Click, flow expressions, requirements, snapshots,
 * the configuration file) reports through this. */
#ifndef INNET_BASE_DIAG_H
#define INNET_BASE_DIAG_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

/* A source text under analysis. The text must outlive every diagnostic that
 * points into it only until diags_add() returns (the line is copied). */
struct src_file {
	const char *name; /* "batcher.click", "<request>", ... */
	const char *text;
	size_t len;
};

/* A position: 1-based line and column (bytes). file may be NULL. */
struct src_loc {
	const struct src_file *file;
	uint32_t line, col;
};

enum diag_level { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

struct diag {
	enum diag_level level;
	char *file;      /* copied; may be NULL */
	uint32_t line, col;
	uint32_t span;   /* caret length, >= 1 */
	char *msg;
	char *line_text; /* the source line, copied; may be NULL */
};

struct diags {
	struct diag *v;
	size_t n, cap;
	size_t nerrors;
	size_t max; /* stop recording after this many (0: 100) */
};

void diags_init(struct diags *d);
void diags_free(struct diags *d);
void diags_clear(struct diags *d);

/* Record a diagnostic at loc (may be NULL: no position). span is the length
 * of the offending text (0 means 1). Always returns -EINVAL for errors, 0
 * otherwise, so parsers can `return diags_add(...)`. */
int diags_add(struct diags *d, enum diag_level lvl, const struct src_loc *loc,
              uint32_t span, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int diags_vadd(struct diags *d, enum diag_level lvl, const struct src_loc *loc,
               uint32_t span, const char *fmt, va_list ap);
#define diags_error(d, loc, span, ...) diags_add((d), DIAG_ERROR, (loc), (span), __VA_ARGS__)
#define diags_warn(d, loc, span, ...) diags_add((d), DIAG_WARNING, (loc), (span), __VA_ARGS__)

/* Move all of src's diagnostics to the end of dst. */
void diags_move(struct diags *dst, struct diags *src);
/* Name the file of the diagnostics from index `from` on that have a line:
 * for a parser that reads text without knowing where it came from. */
void diags_set_file(struct diags *d, size_t from, const char *name);

/* "file:line:col: error: msg\n  <line>\n  ^~~~\n" for each. */
void diags_print(FILE *out, const struct diags *d);
/* The same text for one diagnostic, malloc'd. */
char *diag_format(const struct diag *g);

/* The location `off` bytes into f->text (line/col computed by scanning). */
struct src_loc src_loc_at(const struct src_file *f, size_t off);
/* Advance a location over `n` bytes of text (handles newlines). */
struct src_loc src_loc_advance(struct src_loc loc, const char *text, size_t n);

#endif
