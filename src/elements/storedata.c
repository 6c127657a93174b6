/* StoreData(OFFSET, DATA [, MASK] [, GROW bool]) (Click's StoreData): write
 * DATA's bytes at OFFSET from the data pointer, e.g. StoreData(40, \<20>).
 * With MASK, only the mask's 1 bits are written: byte = (old & ~m) |
 * (data & m). A packet that ends inside DATA gets the bytes that fit, as in
 * Click, unless GROW (false) extends it. DATA and MASK are unquoted Click
 * strings (may hold NULs). */
#include <errno.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct storedata_conf {
	uint32_t offset;
	const uint8_t *data;
	uint32_t len;        /* bytes of data */
	const uint8_t *mask; /* NULL: every bit; else len bytes */
	bool grow;
};

static int storedata_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                               void **conf)
{
	struct storedata_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_val data = { 0 }, mask = { 0 };
	struct arg_spec spec[] = {
		arg_u32("OFFSET", ARG_MP, &c->offset),
		arg_raw("DATA", ARG_MP, &data),
		arg_raw("MASK", ARG_P, &mask),
		arg_bool("GROW", 0, &c->grow),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (rc)
		return rc;
	char *d, *m = NULL;
	size_t dn, mn = 0;
	if (arg_unquote(ctx, &data, &d, &dn))
		return -EINVAL;
	if (spec[2].given && arg_unquote(ctx, &mask, &m, &mn))
		return -EINVAL;
	if (m && mn != dn)
		return arg_error(ctx, &mask, "has %zu bytes but DATA has %zu", mn, dn);
	if (dn > UINT16_MAX)
		return arg_error(ctx, &data, "too long (%zu bytes)", dn);
	c->data = (const uint8_t *)d;
	c->len = (uint32_t)dn;
	c->mask = (const uint8_t *)m;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Header fields under the bytes get constants; bytes past the headers
 * make a new payload (its last definition is this hop). Symbolic packets
 * are long enough, so GROW does not matter. */
static int storedata_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                          struct sym_flow *f)
{
	const struct storedata_conf *c = e->conf;
	for (uint32_t i = 0; i < c->len; i++) {
		uint8_t m = c->mask ? c->mask[i] : 0xff;
		if (!m)
			continue;
		if (m != 0xff)
			sym_approx(cx, f, "StoreData MASK writing part of a byte");
		sym_store_bytes(cx, f, c->offset + i, &c->data[i], 1);
	}
	sym_emit(cx, 0, f);
	return 0;
}

static const struct elem_model storedata_model = { .push = storedata_sym_push };

/* ---- runtime (packet functions) ---- */
/* As Click: a packet that ends inside DATA gets the bytes that fit (none
 * when it ends at or before OFFSET), unless GROW extends it (zero-filled)
 * to take all of DATA. */
static struct rt_pkt *storedata_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct storedata_conf *c = e->conf;
	uint64_t end = (uint64_t)c->offset + c->len;
	if (end > p->len && c->grow) {
		uint32_t add = (uint32_t)(end - p->len);
		if (end > UINT32_MAX || rt_pkt_tailroom(p) < add) {
			rt_drop(e, p);
			return NULL;
		}
		uint8_t *t = rt_pkt_data(p) + p->len;
		for (uint32_t i = 0; i < add; i++)
			t[i] = 0;
		p->len += add;
	}
	if (c->offset >= p->len)
		return p;
	uint32_t n = end > p->len ? p->len - c->offset : c->len;
	uint8_t *d = rt_pkt_data(p) + c->offset;
	for (uint32_t i = 0; i < n; i++)
		d[i] = c->mask ? (uint8_t)((d[i] & ~c->mask[i]) | (c->data[i] & c->mask[i])) : c->data[i];
	return p;
}

static const struct elem_runtime storedata_runtime = { .action = storedata_action };

/* ---- describe and the class objects ---- */
static json_t *storedata_describe(const void *conf)
{
	const struct storedata_conf *c = conf;
	return json_pack("{s:I, s:o, s:o, s:b}", "OFFSET", (json_int_t)c->offset, "DATA",
	                 describe_hex(c->data, c->len), "MASK", describe_hex(c->mask, c->len), "GROW",
	                 c->grow);
}

const struct click_class elem_storedata = {
	.name = "StoreData",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = storedata_configure,
	.model = &storedata_model,
	.runtime = &storedata_runtime,
	.describe = storedata_describe,
	.doc_args = "OFFSET (unsigned), DATA (Click string); both mandatory; [MASK] (string as "
	            "long as DATA: only its 1 bits are written); keyword GROW (bool, default false)",
	.doc_model = "Header fields under the written bytes get constants and bytes past the "
	             "headers a new payload; a MASK that writes part of a byte is approximate. "
	             "Symbolic packets are long enough, so GROW does not matter.",
};
