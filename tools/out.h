/* Output for people: fitted to the terminal's width, words wrapped at
 * blanks, JSON members read as text. Used by every `innet` subcommand that
 * prints tables or traces; --json output goes around it. */
#ifndef INNET_TOOLS_OUT_H
#define INNET_TOOLS_OUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* Columns of the output: $COLUMNS, else the terminal's width, else 80. */
int out_width(void);

/* Word wrapping: text goes on at column `col`; a word that does not fit
 * starts a new line indented to `cont`. */
struct out_wrap {
	FILE *out;
	int col, cont;
	bool bol; /* nothing but indentation on this line yet */
};

/* One unit (words separated by single blanks) after `gap` blanks: on this
 * line when it fits, else from a fresh line, wrapped at its blanks when it
 * is longer than a line (continuation lines `hang` further in). */
void out_wrap_unit(struct out_wrap *w, const char *s, int gap, int hang);

/* "prefix" then text, wrapped at its blanks to the width, continuation
 * lines indented to `cont`, and a newline. */
void out_print_wrapped(FILE *out, const char *prefix, int cont, const char *text);

/* The string member `key` of o, or "" when there is none. */
const char *out_jstr(json_t *o, const char *key);

#endif
