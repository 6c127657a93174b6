/* Output for people (out.h). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "out.h"

int out_width(void)
{
	static int w;
	if (w)
		return w;
	const char *c = getenv("COLUMNS");
	long n = c ? strtol(c, NULL, 10) : 0;
	struct winsize ws;
	if (n < 40 && isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws))
		n = ws.ws_col;
	w = n >= 40 && n <= 1000 ? (int)n : 80;
	return w;
}

static void wrap_newline(struct out_wrap *w, int indent)
{
	fprintf(w->out, "\n%*s", indent, "");
	w->col = indent;
	w->bol = true;
}

void out_wrap_unit(struct out_wrap *w, const char *s, int gap, int hang)
{
	int width = out_width(), len = (int)strlen(s);
	if (!w->bol && w->col + gap + len > width)
		wrap_newline(w, w->cont);
	if (!w->bol) {
		fprintf(w->out, "%*s", gap, "");
		w->col += gap;
	}
	w->bol = false;
	bool first = true;
	while (*s) {
		size_t n = strcspn(s, " ");
		if (!first && w->col + 1 + (int)n > width) {
			wrap_newline(w, w->cont + hang);
		} else if (!first) {
			fputc(' ', w->out);
			w->col++;
		}
		fwrite(s, 1, n, w->out);
		w->col += (int)n;
		first = false;
		s += n;
		while (*s == ' ')
			s++;
	}
	w->bol = false;
}

void out_print_wrapped(FILE *out, const char *prefix, int cont, const char *text)
{
	struct out_wrap w = {.out = out, .col = (int)strlen(prefix), .cont = cont, .bol = true};
	fputs(prefix, out);
	char *s = strdup(text), *save = NULL;
	for (char *word = s ? strtok_r(s, " \t\n", &save) : NULL; word; word = strtok_r(NULL, " \t\n", &save))
		out_wrap_unit(&w, word, 1, 0);
	if (!s)
		fputs(text, out);
	free(s);
	fputc('\n', out);
}

const char *out_jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}
