/* Stock modules: vetted Click templates with typed parameters.
 * A tenant names one ("stock": "reverse-proxy") and gives its parameters;
 * the controller checks them (type, bounds, required) and expands the
 * template into Click text, which is then verified like any other
 * configuration (so a stock module is never trusted blindly).
 * Constant data only: safe from any thread. */
#ifndef INNET_CONTROLLER_STOCK_H
#define INNET_CONTROLLER_STOCK_H

#include <jansson.h>

#include "base/diag.h"

/* The catalogue as JSON: [{"name", "summary", "params": [{"name", "type",
 * "required", "default", "min", "max", "doc"}], "template"}]. New ref. */
json_t *ctl_stock_list_json(void);
/* True when `name` is a stock module. */
int ctl_stock_exists(const char *name);

/* Expand stock module `name` with `params` (an object or NULL). Returns 0
 * and *click (malloc'd Click text); or -ENOENT (no such module) /
 * -EINVAL with an error in d whose file is the parameter's JSON path
 * ("params.port"). */
int ctl_stock_instantiate(const char *name, json_t *params, char **click, struct diags *d);

#endif
