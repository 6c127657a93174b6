/* SetIPAddress(ADDR [, ANNO]) (Click's): write ADDR into a 4-byte
 * annotation, by default the dst-IP annotation (offset 0). Data untouched. */
#include <errno.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

struct setipaddress_conf {
	uint32_t addr; /* host order */
	uint8_t anno;  /* offset of the 4-byte annotation */
};

static int setipaddress_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                  void **conf)
{
	struct setipaddress_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	struct arg_val anno = { 0 };
	struct arg_spec spec[] = {
		arg_ip("ADDR", ARG_MP, &c->addr),
		arg_raw("ANNO", ARG_P, &anno),
	};
	int rc = args_parse(ctx, args, spec, ARG_N(spec));
	if (spec[1].given && arg_parse_anno(ctx, &anno, 4, &c->anno))
		rc = -EINVAL;
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model (src/verify/model.h) ---- */
/* Writes ADDR into the annotation (by default the dst-IP annotation);
 * the packet data is not modified. */
static int setipaddress_sym_push(struct sym_ctx *cx, const struct click_element *e, uint32_t port,
                                 struct sym_flow *f)
{
	const struct setipaddress_conf *c = e->conf;
	uint8_t b[4] = { (uint8_t)(c->addr >> 24), (uint8_t)(c->addr >> 16), (uint8_t)(c->addr >> 8),
	                 (uint8_t)c->addr };
	mu_write_anno(cx, f, c->anno, b, 4);
	sym_emit(cx, 0, f);
	return 0;
}

static const struct elem_model setipaddress_model = { .push = setipaddress_sym_push };

/* ---- runtime (packet functions) ---- */
/* Writes ADDR into the 4-byte annotation; packet data untouched. */
static struct rt_pkt *setipaddress_action(struct rt_elem *e, struct rt_pkt *p)
{
	const struct setipaddress_conf *c = e->conf;
	if ((uint32_t)c->anno + 4 <= RT_ANNO_SIZE) {
		uint8_t *a = p->anno + c->anno;
		a[0] = (uint8_t)(c->addr >> 24);
		a[1] = (uint8_t)(c->addr >> 16);
		a[2] = (uint8_t)(c->addr >> 8);
		a[3] = (uint8_t)c->addr;
	}
	return p;
}

static const struct elem_runtime setipaddress_runtime = { .action = setipaddress_action };

/* ---- describe and the class objects ---- */
static json_t *setipaddress_describe(const void *conf)
{
	const struct setipaddress_conf *c = conf;
	return json_pack("{s:o, s:i}", "ADDR", describe_ip(c->addr), "ANNO", c->anno);
}

const struct click_class elem_setipaddress = {
	.name = "SetIPAddress",
	.port_count = "1/1",
	.processing = "a/a",
	.configure = setipaddress_configure,
	.model = &setipaddress_model,
	.runtime = &setipaddress_runtime,
	.describe = setipaddress_describe,
	.doc_args = "ADDR (IP address; mandatory), [ANNO] (4-byte annotation, offset or name, "
	            "default 0: the dst-IP annotation)",
	.doc_model = "Writes ADDR into the annotation; the packet data is unchanged.",
};
