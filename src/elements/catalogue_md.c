/* The element catalogue as Markdown, from the class table alone, so that
 * docs/elements.md cannot drift from what innet accepts (test/elements
 * compares the two). */
#include <errno.h>
#include <stdbool.h>
#include <ctype.h>
#include <stdio.h>

#include "elements/internal.h"
#include "elements/element.h"

#define NOT_YET "(not documented yet)"

static bool takes_no_arguments(const struct click_class *c)
{
	return !c->configure || c->configure == elem__configure_none;
}

/* Aliases behave the same in every layer: one configure, model and packet
 * function (SimpleQueue and Queue); their ports and processing may differ. */
static bool same_class(const struct click_class *a, const struct click_class *b)
{
	return a != b && a->configure == b->configure && a->model == b->model &&
	       a->runtime == b->runtime;
}

/* Markdown renderers link a heading by its text in lower case. */
static void write_anchor(FILE *out, const char *name)
{
	fputc('#', out);
	for (const char *p = name; *p; p++)
		fputc(tolower((unsigned char)*p), out);
}

static void write_contents(FILE *out)
{
	fprintf(out, "## Contents\n\n");
	for (size_t i = 0; i < elem_class_count(); i++) {
		const char *name = elem_class_at(i)->name;
		fprintf(out, "- [%s](", name);
		write_anchor(out, name);
		fprintf(out, ")\n");
	}
	fprintf(out, "\n");
}

static void write_flags(FILE *out, unsigned flags)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ ELEM_DEVICE_IN, "device input" },
		{ ELEM_DEVICE_OUT, "device output" },
		{ ELEM_STATEFUL, "stateful" },
		{ ELEM_SOURCE, "source" },
		{ ELEM_MAKES, "makes packets" },
		{ ELEM_PROCESS, "process device" },
	};
	const char *sep = "";
	fprintf(out, "- Flags: ");
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (flags & names[i].bit) {
			fprintf(out, "%s%s", sep, names[i].name);
			sep = ", ";
		}
	fprintf(out, "%s\n", *sep ? "" : "none");
}

static void write_aliases(FILE *out, const struct click_class *c)
{
	const char *sep = "- Aliases (the same configure, model and packet function): ";
	for (size_t i = 0; i < elem_class_count(); i++)
		if (same_class(c, elem_class_at(i))) {
			fprintf(out, "%s%s", sep, elem_class_at(i)->name);
			sep = ", ";
		}
	if (*sep == ',')
		fprintf(out, "\n");
}

static void write_class(FILE *out, const struct click_class *c)
{
	const char *args = c->doc_args ? c->doc_args : takes_no_arguments(c) ? "none" : NOT_YET;
	fprintf(out, "## %s\n\n", c->name);
	fprintf(out, "- Ports: `%s`\n", c->port_count);
	fprintf(out, "- Processing: `%s`\n", c->processing);
	if (c->flow_code)
		fprintf(out, "- Flow code: `%s`\n", c->flow_code);
	write_flags(out, c->flags);
	fprintf(out, "- Arguments: %s\n", args);
	fprintf(out, "- Model: %s\n", c->doc_model ? c->doc_model : NOT_YET);
	write_aliases(out, c);
	fprintf(out, "\n");
}

int elem_catalogue_write_markdown(FILE *out)
{
	fprintf(out, "# Element classes\n\n"
	             "<!-- Generated from the class table (src/elements/catalogue.c); do not edit.\n"
	             "     Regenerate: innet click catalogue > docs/elements.md -->\n\n"
	             "Every Click element class innet accepts; nothing else is. Ports and processing\n"
	             "are in Click's notation (inputs/outputs; h push, l pull, a agnostic). Arguments\n"
	             "follow Click's documentation of the element, with the defaults innet uses;\n"
	             "\"Model\" says what the verifier's symbolic model of the class tracks, assumes\n"
	             "or leaves out.\n\n");
	write_contents(out);
	for (size_t i = 0; i < elem_class_count(); i++)
		write_class(out, elem_class_at(i));
	fflush(out);
	return ferror(out) ? -EIO : 0;
}
