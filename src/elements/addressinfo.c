/* AddressInfo(NAME ADDRESS [ADDRESS...], ...) (Click's): mnemonic names for
 * IPv4 addresses, IPv4 prefixes and Ethernet addresses, usable in every
 * argument that takes one (arg_parse_ip, arg_parse_prefix[_host],
 * arg_parse_ether, IPFilter/IPClassifier patterns), and the names of a
 * configuration's devices (FromDevice(eth0)).
 *
 * As in Click: AddressInfo configures before every other element; a name
 * defined inside a compound is visible in that compound and its
 * subelements only; one name may hold an address, a prefix and an Ethernet
 * address, and context picks (an address argument reads the address, a
 * prefix argument the address as /32 if there is one, else the prefix);
 * suffixes force the kind: NAME:ip, :ip4, :bcast, :gw, :net, :ipnet,
 * :ip4net, :eth, :ether, :ethernet. In one argument, a word that is only
 * one kind always defines it; a word of several kinds defines each kind not
 * already defined by an earlier word of the argument.
 *
 * Differences (docs/conformance.md): innet carries IPv4 only, so IPv6
 * addresses and prefixes are accepted with a warning and define nothing;
 * Click's fallback to the host's network devices (a name that is an
 * interface of the machine running Click) does not exist: a module has no
 * host interfaces. A name defined twice keeps the later definition, kind by
 * kind. */
#include <errno.h>
#include <string.h>

#include "elements/internal.h"
#include "elements/element.h"
#include "runtime/runtime.h"
#include "verify/model.h"

enum { AI_ETH = 1, AI_IP = 2, AI_NET = 4 };

struct ai_name {
	const char *key; /* compound prefix + name, NUL-terminated */
	unsigned kinds;
	uint32_t ip;
	uint32_t net;    /* with host bits, as written */
	uint8_t netlen;
	uint8_t eth[6];
};

/* What the elements of one parse share (click_conf_ctx.shared): the names
 * (open addressing, power-of-two capacity) and device names in order. */
struct elem__shared {
	struct ai_name *tab;
	uint32_t n, cap;
	struct arg_val *devs;
	uint32_t ndevs, devcap;
	bool numbered; /* a device was given by number */
};

static struct elem__shared *shared_of(const struct click_conf_ctx *ctx, bool create)
{
	if (!ctx || !ctx->shared)
		return NULL;
	if (!*ctx->shared && create)
		*ctx->shared = arena_calloc(ctx->arena, 1, sizeof(struct elem__shared));
	return *ctx->shared;
}

static uint32_t hash_key(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static struct ai_name *find_slot(struct ai_name *tab, uint32_t cap, const char *k, size_t n)
{
	for (uint32_t i = hash_key(k, n) & (cap - 1);; i = (i + 1) & (cap - 1))
		if (!tab[i].key || (strlen(tab[i].key) == n && memcmp(tab[i].key, k, n) == 0))
			return &tab[i];
}

static int grow(const struct click_conf_ctx *ctx, struct elem__shared *sh)
{
	uint32_t ncap = sh->cap ? sh->cap * 2 : 64;
	struct ai_name *nt = arena_calloc(ctx->arena, ncap, sizeof *nt);
	if (!nt)
		return -ENOMEM;
	for (uint32_t i = 0; i < sh->cap; i++)
		if (sh->tab[i].key)
			*find_slot(nt, ncap, sh->tab[i].key, strlen(sh->tab[i].key)) = sh->tab[i];
	sh->tab = nt;
	sh->cap = ncap;
	return 0;
}

/* The entry for prefix+name, created if absent. */
static struct ai_name *define(const struct click_conf_ctx *ctx, const char *prefix, size_t plen,
                              const struct arg_val *name)
{
	if (!ctx->shared) /* configured alone (tests, fuzzing): checked, kept nowhere */
		return arena_calloc(ctx->arena, 1, sizeof(struct ai_name));
	struct elem__shared *sh = shared_of(ctx, true);
	if (!sh || ((sh->n + 1) * 2 > sh->cap && grow(ctx, sh)))
		return NULL;
	char *k = arena_alloc(ctx->arena, plen + name->n + 1);
	if (!k)
		return NULL;
	memcpy(k, prefix, plen);
	memcpy(k + plen, name->s, name->n);
	k[plen + name->n] = 0;
	struct ai_name *e = find_slot(sh->tab, sh->cap, k, plen + name->n);
	if (!e->key) {
		e->key = k;
		sh->n++;
	}
	return e;
}

/* Length of the compound prefix of an element name ("a/b/x" -> 4). */
static size_t compound_prefix_len(const char *name, size_t limit)
{
	size_t p = 0;
	for (size_t i = 0; i < limit && name[i]; i++)
		if (name[i] == '/')
			p = i + 1;
	return p;
}

/* The definition of `s` seen from the configuring element: its own
 * compound first, then each enclosing one, then the top level. */
static const struct ai_name *lookup(const struct click_conf_ctx *ctx, const char *s, size_t n)
{
	struct elem__shared *sh = shared_of(ctx, false);
	if (!sh || !sh->cap || n == 0 || n > 256)
		return NULL;
	const char *en = ctx->elem && ctx->elem->name ? ctx->elem->name : "";
	size_t plen = compound_prefix_len(en, strlen(en));
	char key[1024];
	for (;;) {
		if (plen + n < sizeof key) {
			memcpy(key, en, plen);
			memcpy(key + plen, s, n);
			const struct ai_name *e = find_slot(sh->tab, sh->cap, key, plen + n);
			if (e->key)
				return e;
		}
		if (plen == 0)
			return NULL;
		plen = compound_prefix_len(en, plen - 1);
	}
}

/* Split "name:suffix" at the last colon (an Ethernet address has colons,
 * but names are looked up only after literal parsing failed). */
static size_t suffix_at(const char *s, size_t n)
{
	for (size_t i = n; i > 0; i--)
		if (s[i - 1] == ':')
			return i - 1;
	return n;
}

static bool suffix_is(const char *s, size_t n, size_t at, const char *word)
{
	size_t wl = strlen(word);
	if (n - at != wl)
		return false;
	for (size_t i = 0; i < wl; i++)
		if ((s[at + i] | 0x20) != word[i] && s[at + i] != word[i])
			return false;
	return true;
}

int elem__name_prefix(const struct click_conf_ctx *ctx, const char *s, size_t n, uint32_t *addr,
                      uint8_t *len)
{
	size_t at = suffix_at(s, n);
	if (at < n && !suffix_is(s, n, at, ":net") && !suffix_is(s, n, at, ":ipnet") &&
	    !suffix_is(s, n, at, ":ip4net"))
		return -ENOENT;
	const struct ai_name *e = lookup(ctx, s, at);
	if (!e || !(e->kinds & AI_NET))
		return -ENOENT;
	*addr = e->net;
	*len = e->netlen;
	return 0;
}

int elem__name_ip(const struct click_conf_ctx *ctx, const char *s, size_t n, uint32_t *out)
{
	size_t at = suffix_at(s, n);
	uint32_t a;
	uint8_t l;
	if (at < n && suffix_is(s, n, at, ":bcast")) {
		if (elem__name_prefix(ctx, s, at, &a, &l))
			return -ENOENT;
		*out = a | ~inet_mask(l);
		return 0;
	}
	if (at < n && suffix_is(s, n, at, ":gw")) {
		const struct ai_name *g = lookup(ctx, s, n); /* "NAME:gw" defined itself */
		if (g && (g->kinds & AI_IP)) {
			*out = g->ip;
			return 0;
		}
		if (elem__name_prefix(ctx, s, at, &a, &l))
			return -ENOENT;
		*out = (a & inet_mask(l)) | 1;
		return 0;
	}
	if (at < n && !suffix_is(s, n, at, ":ip") && !suffix_is(s, n, at, ":ip4"))
		return -ENOENT;
	const struct ai_name *e = lookup(ctx, s, at);
	if (!e || !(e->kinds & AI_IP))
		return -ENOENT;
	*out = e->ip;
	return 0;
}

int elem__name_ether(const struct click_conf_ctx *ctx, const char *s, size_t n, uint8_t out[6])
{
	size_t at = suffix_at(s, n);
	if (at < n && !suffix_is(s, n, at, ":eth") && !suffix_is(s, n, at, ":ether") &&
	    !suffix_is(s, n, at, ":ethernet"))
		return -ENOENT;
	const struct ai_name *e = lookup(ctx, s, at);
	if (!e || !(e->kinds & AI_ETH))
		return -ENOENT;
	memcpy(out, e->eth, 6);
	return 0;
}

int elem__device_number(const struct click_conf_ctx *ctx, const struct arg_val *name, uint32_t *out)
{
	struct elem__shared *sh = shared_of(ctx, true);
	if (!sh) {
		if (name)
			*out = 0; /* configured alone (tests): the only device */
		return ctx && ctx->shared ? -ENOMEM : 0;
	}
	if (!name) {
		sh->numbered = true;
		return sh->ndevs ? -EEXIST : 0;
	}
	if (sh->numbered)
		return -EEXIST;
	for (uint32_t i = 0; i < sh->ndevs; i++)
		if (sh->devs[i].n == name->n && memcmp(sh->devs[i].s, name->s, name->n) == 0) {
			*out = i;
			return 0;
		}
	if (sh->ndevs == sh->devcap) {
		uint32_t ncap = sh->devcap ? sh->devcap * 2 : 8;
		struct arg_val *nv = arena_realloc(ctx->arena, sh->devs, sh->devcap * sizeof *nv,
		                                   ncap * sizeof *nv);
		if (!nv)
			return -ENOMEM;
		sh->devs = nv;
		sh->devcap = ncap;
	}
	sh->devs[sh->ndevs] = *name;
	*out = sh->ndevs++;
	return 0;
}

static bool flow_name_ip(void *ud, const char *w, size_t n, uint32_t *addr)
{
	return elem__name_ip(ud, w, n, addr) == 0;
}

static bool flow_name_prefix(void *ud, const char *w, size_t n, uint32_t *addr, uint32_t *mask)
{
	uint8_t len;
	if (elem__name_prefix(ud, w, n, addr, &len))
		return false;
	*mask = inet_mask(len);
	*addr &= *mask;
	return true;
}

static bool flow_name_ether(void *ud, const char *w, size_t n, uint8_t eth[6])
{
	return elem__name_ether(ud, w, n, eth) == 0;
}

struct flow_names elem__flow_names(const struct click_conf_ctx *ctx)
{
	return (struct flow_names){ (void *)(uintptr_t)ctx, flow_name_ip, flow_name_prefix, flow_name_ether };
}

/* ---- configure ---- */

/* Looks like an IPv6 address or prefix: hex digits, colons (two or more,
 * or "::"), dots and at most one slash. */
static bool looks_ip6(const struct arg_val *v)
{
	size_t colons = 0;
	for (size_t i = 0; i < v->n; i++) {
		char ch = v->s[i];
		if (ch == ':')
			colons++;
		else if (!((ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f') || ch == '.' ||
		           ch == '/'))
			return false;
	}
	return colons >= 2;
}

/* The kinds one word defines, with their values. */
static unsigned word_kinds(const struct click_conf_ctx *ctx, const struct arg_val *w, struct ai_name *v)
{
	struct click_conf_ctx quiet = *ctx;
	quiet.diags = NULL;
	unsigned k = 0;
	if (arg_parse_ether(&quiet, w, v->eth) == 0)
		k |= AI_ETH;
	if (!memchr(w->s, '/', w->n) && arg_parse_ip(&quiet, w, &v->ip) == 0) {
		k |= AI_IP;
	} else if (memchr(w->s, '/', w->n) && arg_parse_prefix_host(&quiet, w, &v->net, &v->netlen) == 0) {
		k |= AI_NET;
		if (v->net & ~inet_mask(v->netlen)) {
			v->ip = v->net;
			k |= AI_IP;
		}
	}
	return k;
}

static int addressinfo_arg(const struct click_conf_ctx *ctx, const struct arg_val *a, size_t plen)
{
	struct arg_list w;
	if (arg_words(ctx, a, &w))
		return -ENOMEM;
	if (w.n == 0)
		return 0; /* Click allows empty arguments */
	if (w.n < 2)
		return arg_error(ctx, a, "expected 'NAME ADDRESS [ADDRESS...]'");
	struct ai_name *e = define(ctx, ctx->elem ? ctx->elem->name : "", plen, &w.v[0]);
	if (!e)
		return -ENOMEM;
	int rc = 0;
	unsigned seen = 0;
	for (size_t j = 1; j < w.n; j++) {
		struct ai_name v = { 0 };
		unsigned k = word_kinds(ctx, &w.v[j], &v);
		if (!k && looks_ip6(&w.v[j])) {
			arg_warning(ctx, &w.v[j], "IPv6 address ignored: innet modules carry IPv4 only");
			continue;
		}
		if (!k) {
			char b[48];
			snprintf(b, sizeof b, "%.*s", (int)(w.v[j].n > 40 ? 40 : w.v[j].n), w.v[j].s);
			rc = arg_error(ctx, &w.v[j], "'%s' is not a recognizable address", b);
			continue;
		}
		bool one = (k & (k - 1)) == 0;
		if ((k & AI_ETH) && (one || !(seen & AI_ETH)))
			memcpy(e->eth, v.eth, 6);
		if ((k & AI_IP) && (one || !(seen & AI_IP)))
			e->ip = v.ip;
		if ((k & AI_NET) && (one || !(seen & AI_NET))) {
			e->net = v.net;
			e->netlen = v.netlen;
		}
		e->kinds |= k;
		seen |= k;
	}
	return rc;
}

struct addressinfo_conf {
	struct arg_list info; /* the arguments, for describe */
};

static int addressinfo_configure(const struct click_conf_ctx *ctx, const struct click_args *args,
                                 void **conf)
{
	struct addressinfo_conf *c = elem__conf_alloc(ctx, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->info.v = arena_calloc(ctx->arena, args->n + 1, sizeof *c->info.v);
	if (!c->info.v)
		return -ENOMEM;
	c->info.n = args->n;
	const char *en = ctx->elem && ctx->elem->name ? ctx->elem->name : "";
	size_t plen = compound_prefix_len(en, strlen(en));
	int rc = 0;
	for (size_t i = 0; i < args->n; i++) {
		c->info.v[i] = arg_val_of(&args->v[i], NULL);
		int r = addressinfo_arg(ctx, &c->info.v[i], plen);
		if (r)
			rc = r;
	}
	if (rc)
		return rc;
	*conf = c;
	return 0;
}

/* ---- symbolic model and runtime: no ports, nothing to do ---- */
static const struct elem_model addressinfo_model = { .push = mu_sym_pass };

static struct rt_pkt *addressinfo_action(struct rt_elem *e, struct rt_pkt *p)
{
	return p;
}

static const struct elem_runtime addressinfo_runtime = { .action = addressinfo_action };

/* ---- describe and the class object ---- */
static json_t *addressinfo_describe(const void *conf)
{
	const struct addressinfo_conf *c = conf;
	json_t *a = json_array();
	for (size_t i = 0; a && i < c->info.n; i++)
		json_array_append_new(a, json_stringn(c->info.v[i].s, c->info.v[i].n));
	return a ? json_pack("{s:o}", "NAMES", a) : NULL;
}

const struct click_class elem_addressinfo = {
	.name = "AddressInfo",
	.port_count = "0/0",
	.processing = "a/a",
	.configure_phase = CLICK_PHASE_INFO,
	.configure = addressinfo_configure,
	.model = &addressinfo_model,
	.runtime = &addressinfo_runtime,
	.describe = addressinfo_describe,
	.doc_args = "NAME ADDRESS [ADDRESS...], ... (IPv4 addresses, IPv4 prefixes, Ethernet addresses; "
	            "names usable in every address argument, scoped by compound)",
	.doc_model = "No ports: names for other elements' arguments, resolved when the configuration is "
	             "read.",
};
