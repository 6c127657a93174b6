/* A verifier trace for people, from its JSON form (vfy_report_json,
 * docs/openapi.json "Trace"): one line per hop, every field labelled,
 * wrapped to the terminal. `innet show`, `innet check` and `innet verify`
 * print traces through it alone. */
#ifndef INNET_TOOLS_TRACE_H
#define INNET_TOOLS_TRACE_H

#include <jansson.h>
#include <stdio.h>

/* One line per hop: where the flow is (node:port, or node/element[port]
 * inside a Click configuration), then its header fields: every constrained
 * one at the first and the last hop, in between the ones that hop changed
 * ('*'). Each line starts with `indent`. Prints nothing unless out is
 * stdout (on stderr the error message says enough). */
void trace_print(FILE *out, json_t *trace, const char *indent);

#endif
