/* Internal: the exploration engine shared by checking (engine.c), security
 * exits and the agreement harness (security.c), and reports (report.c). */
#ifndef INNET_VERIFY_ENGINE_H
#define INNET_VERIFY_ENGINE_H

#include "verify/req.h"
#include "verify/sym.h"

struct witem {
	struct sym_flow *f;
	uint32_t node, elem, port;
	uint8_t kind; /* IT_NODE, IT_ELEM */
};
enum { IT_NODE, IT_ELEM };

/* A statement hop resolved against the network. */
struct rmatch {
	uint32_t n;
	uint32_t *nodes;
	uint32_t elem;                /* UINT32_MAX: node level */
	uint32_t port;
	const struct sym_iset *dst;   /* prefix nodes: dst (or src at the start) */
	bool hosts;
};

struct vexit {
	struct sym_flow *f;
	uint32_t device;
};

struct vfy_job {
	struct vfy_net *net;
	struct arena *a;
	struct sym_ctx cx;
	uint64_t steps, max_steps;
	const atomic_bool *cancel;  /* vfy_limits.cancel */
	enum vfy_traces traces;
	struct witem *stack;
	uint32_t nstack, capstack;
	int err;
	const char *errmsg;
	/* statement */
	const struct rstmt *st;
	struct rmatch *m;
	bool stop;
	struct sym_flow *decisive; /* witness (reach) or violation (always/never) */
	struct sym_flow *best;     /* reach: the flow that got furthest */
	int best_aim;
	uint64_t reached_last;
	uint64_t started;
	uint32_t loops;
	struct sym_flow *loop_flow;
	const char *const_msg;
	/* security exits */
	bool exits_mode;
	uint32_t exit_module;
	uint32_t nexits, capexits;
	struct vexit *exits;
	/* single-element mode (agreement harness) */
	bool single;
	uint32_t nsingle, capsingle;
	struct sym_emission *singles;
};

int vjob_init(struct vfy_job *j, struct vfy_net *n, const struct vfy_limits *lim);
void vjob_fini(struct vfy_job *j);
void vjob_push(struct vfy_job *j, struct sym_flow *f, uint8_t kind, uint32_t node, uint32_t elem,
               uint32_t port);
/* Run the worklist to the end (or a stop / an error). */
int vjob_run(struct vfy_job *j);
/* Record a hop in f's history. */
void vjob_hop(struct vfy_job *j, struct sym_flow *f, uint8_t kind, uint32_t node, uint32_t elem,
              uint32_t port, const char *note);

/* "node" or "module:element:port" of a hop record. */
const char *vjob_loc_name(struct vfy_job *j, const struct sym_hop *h);

/* report.c */
struct vtrace;
struct vtrace *vtrace_build(struct arena *ra, const struct vfy_net *n, const struct sym_flow *f);
json_t *vtrace_json(const struct vtrace *t);
void vtrace_print(FILE *out, const struct vtrace *t);
/* Only the network hops, on one line. */
void vtrace_print_path(FILE *out, const struct vtrace *t);
const char *vtrace_final(const struct vtrace *t, const char *field);

#endif
