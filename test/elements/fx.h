/* Test fixture for element configure: the element is written as
 * "Class(config)" in a one-line file, its arguments are split by the Click
 * front end (click_split_args) with real locations, and configure runs with
 * the port counts given. */
#ifndef INNET_TEST_ELEMENTS_FX_H
#define INNET_TEST_ELEMENTS_FX_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "click/click.h"
#include "elements/internal.h"
#include "elements/element.h"

struct fx {
	struct arena *a;
	struct diags d;
	struct src_file f;
	char text[2048];
	struct click_element el;
	struct click_conf_ctx ctx;
	struct click_args args;
	void *conf;
	json_t *desc; /* the class's describe of conf, once asked for */
};

static inline int fx_setup(void **state)
{
	struct fx *x = calloc(1, sizeof *x);
	x->a = arena_new(0);
	diags_init(&x->d);
	*state = x;
	return 0;
}

static inline int fx_teardown(void **state)
{
	struct fx *x = *state;
	json_decref(x->desc);
	diags_free(&x->d);
	arena_free(x->a);
	free(x);
	return 0;
}

/* Configure `cls` with `config` and the given port counts. */
static inline int fx_conf(struct fx *x, const char *cls, const char *config, uint32_t nin,
                          uint32_t nout)
{
	diags_clear(&x->d);
	x->conf = NULL;
	json_decref(x->desc);
	x->desc = NULL;
	snprintf(x->text, sizeof x->text, "%s(%s)", cls, config);
	x->f = (struct src_file){ "t.click", x->text, strlen(x->text) };
	const struct click_class *c = elem_class_find(cls);
	assert_non_null(c);
	struct src_loc loc = src_loc_at(&x->f, strlen(cls) + 1);
	char *cfg = arena_strdup(x->a, config);
	assert_int_equal(click_split_args(cfg, &loc, x->a, &x->args), 0);
	memset(&x->el, 0, sizeof x->el);
	x->el.name = cls;
	x->el.cls = c;
	x->el.loc = src_loc_at(&x->f, 0);
	x->el.ninputs = nin;
	x->el.noutputs = nout;
	x->ctx = (struct click_conf_ctx){ &x->el, nin, nout, x->a, &x->d, NULL, NULL };
	if (!c->configure)
		return 0;
	int rc = c->configure(&x->ctx, &x->args, &x->conf);
	if (rc == 0)
		assert_int_equal(x->d.nerrors, 0);
	else
		assert_true(x->d.nerrors > 0); /* every failure says why */
	return rc;
}

/* Expect success; returns the conf. */
#define FX_OK(x, cls, cfg, nin, nout) \
	do { \
		int rc_ = fx_conf((x), (cls), (cfg), (nin), (nout)); \
		if (rc_) \
			diags_print(stderr, &(x)->d); \
		assert_int_equal(rc_, 0); \
	} while (0)

/* Expect failure whose first error contains `sub` at column `col` (1-based
 * in "Class(config)"; 0: don't check). */
static inline void fx_err(struct fx *x, const char *cls, const char *cfg, uint32_t nin,
                          uint32_t nout, const char *sub, uint32_t col)
{
	int rc = fx_conf(x, cls, cfg, nin, nout);
	if (rc == 0)
		fail_msg("%s(%s) accepted, expected '%s'", cls, cfg, sub);
	const struct diag *g = NULL;
	for (size_t i = 0; i < x->d.n && !g; i++)
		if (x->d.v[i].level == DIAG_ERROR)
			g = &x->d.v[i];
	if (!g || !g->msg) {
		fail_msg("%s: no error recorded", cls);
		return;
	}
	if (!strstr(g->msg, sub))
		fail_msg("%s(%s): got '%s', expected '%s'", cls, cfg, g->msg, sub);
	if (col && g->col != col)
		fail_msg("%s(%s): '%s' at column %u, expected %u", cls, cfg, g->msg, g->col, col);
	assert_int_equal(g->line, 1);
}

/* Column of the first occurrence of `needle` in the text of the last
 * fx_conf/fx_err ("Class(config)"), 1-based. */
static inline uint32_t fx_col(const char *cls, const char *cfg, const char *needle)
{
	if (!needle)
		return 0;
	char t[2048];
	snprintf(t, sizeof t, "%s(%s)", cls, cfg);
	const char *p = strstr(t, needle);
	assert_non_null(p);
	return (uint32_t)(p - t) + 1;
}

/* The setting `key` of the last configured element, as its class's
 * describe gives it; fails the test when the class has no describe or the
 * key is missing. */
static inline json_t *fx_get(struct fx *x, const char *key)
{
	if (!x->desc) {
		assert_non_null(x->el.cls->describe);
		x->desc = x->el.cls->describe(x->conf);
		assert_true(json_is_object(x->desc));
	}
	json_t *v = json_object_get(x->desc, key);
	if (!v)
		fail_msg("%s: describe has no '%s'", x->el.name, key);
	return v;
}

/* fx_get, checked to be of type t (`what` names it in the failure). */
static inline json_t *fx_typed(struct fx *x, const char *key, json_type t, const char *what)
{
	json_t *v = fx_get(x, key);
	if (json_typeof(v) != t)
		fail_msg("%s: '%s' is not %s", x->el.name, key, what);
	return v;
}

static inline long long fx_int(struct fx *x, const char *key)
{
	return json_integer_value(fx_typed(x, key, JSON_INTEGER, "an integer"));
}

static inline const char *fx_str(struct fx *x, const char *key)
{
	return json_string_value(fx_typed(x, key, JSON_STRING, "a string"));
}

static inline size_t fx_len(struct fx *x, const char *key)
{
	return json_array_size(fx_typed(x, key, JSON_ARRAY, "an array"));
}

static inline bool fx_bool(struct fx *x, const char *key)
{
	json_t *v = fx_get(x, key);
	if (!json_is_boolean(v))
		fail_msg("%s: '%s' is not a boolean", x->el.name, key);
	return json_is_true(v);
}

/* Element i of the array `key`, a string. */
static inline const char *fx_str_at(struct fx *x, const char *key, size_t i)
{
	json_t *v = json_array_get(fx_typed(x, key, JSON_ARRAY, "an array"), i);
	if (!json_is_string(v))
		fail_msg("%s: '%s'[%zu] is not a string", x->el.name, key, i);
	return json_string_value(v);
}

/* Element i of the array `key`, an integer. */
static inline long long fx_int_at(struct fx *x, const char *key, size_t i)
{
	json_t *v = json_array_get(fx_typed(x, key, JSON_ARRAY, "an array"), i);
	if (!json_is_integer(v))
		fail_msg("%s: '%s'[%zu] is not an integer", x->el.name, key, i);
	return json_integer_value(v);
}

/* Is the setting `key` null (absent)? */
static inline bool fx_null(struct fx *x, const char *key)
{
	return json_is_null(fx_get(x, key));
}

/* Is element i of the array `key` null? */
static inline bool fx_null_at(struct fx *x, const char *key, size_t i)
{
	return json_is_null(json_array_get(fx_typed(x, key, JSON_ARRAY, "an array"), i));
}

#define FX_ERR(x, cls, cfg, nin, nout, sub, at) \
	fx_err((x), (cls), (cfg), (nin), (nout), (sub), fx_col((cls), (cfg), (at)))

#endif
