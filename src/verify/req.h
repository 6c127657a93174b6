/* Internal: parsed requirement statements (DESIGN section 7). */
#ifndef INNET_VERIFY_REQ_H
#define INNET_VERIFY_REQ_H

#include "base/inet.h"
#include "flow/flow.h"
#include "verify/verify.h"

enum rnode_kind { RN_CLIENT, RN_INTERNET, RN_PREFIX, RN_NAME, RN_ELEM };

struct rnode {
	enum rnode_kind kind;
	struct inet_prefix pfx;  /* RN_PREFIX */
	const char *name;        /* RN_NAME, RN_ELEM: node or module */
	const char *elem;        /* RN_ELEM */
	uint32_t port;           /* RN_ELEM (default 0) */
	const char *text;        /* as written */
	uint32_t line, col, span;
};

struct rhop {
	struct rnode node;
	struct flow_expr *flow;  /* NULL: any packet */
	const char *flow_text;   /* NULL when none */
	uint32_t cmask;          /* const fields: bits of enum sym_field */
};

struct rstmt {
	enum vfy_kind kind;
	const char *text;
	uint32_t line;
	uint32_t nhops;          /* >= 2; hops[0] is the source */
	struct rhop *hops;
};

struct vfy_reqs {
	struct arena *arena;
	size_t n, cap;
	struct rstmt *v;
	size_t nmore;
	struct arena **more; /* arenas of appended statement lists */
};

#endif
