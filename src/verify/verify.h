/* The symbolic verifier: a network model built
 * from a snapshot, modules added to platforms (addressed) or spliced into
 * links (inline), the requirement language (reach / always / never), and
 * reports with Figure 2(b)-style traces.
 *
 * Threads: a vfy_base is immutable and reference-counted, so jobs on
 * several threads may share one; a vfy_net (the base plus modules) and
 * everything built from it belong to one job at a time. There is no global
 * mutable state.
 *
 * What is modelled and what is not (also in src/verify/README.md):
 *  - time is not: queues and unqueuers pass every packet, timeouts never
 *    expire, rate limiters never drop;
 *  - packets are well-formed IPv4 long enough for their headers (the
 *    devices carry IPv4 packets); there is no link-layer header,
 *    so `ether` primitives never match;
 *  - a flow marked approximate stands for more packets than really pass
 *    (results built on one say so); exact flows are exact. */
#ifndef INNET_VERIFY_VERIFY_H
#define INNET_VERIFY_VERIFY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/diag.h"
#include "snapshot/snapshot.h"

struct vfy_base; /* the snapshot's network, immutable */
struct vfy_net;  /* a base plus modules: one per job */
struct vfy_reqs; /* parsed statements */
struct vfy_report;

/* Which traces vfy_check builds. Skipping traces changes no verdict,
 * message or count; callers that drop them anyway save most of a check's
 * time (a trace is built per hop with every field formatted). */
enum vfy_traces {
	VFY_TRACES_ALL = 0,   /* witnesses and failures (the default) */
	VFY_TRACES_FAILURES,  /* none for statements that hold */
	VFY_TRACES_NONE,
};

struct vfy_limits {
	uint64_t max_steps;   /* element visits per statement in modules (0: 2,000,000) */
	/* Hops and element visits in the operator's own network (its routers
	 * and middleboxes), which max_steps does not count: a tenant's budget
	 * covers what its module adds, whatever the size of the network
	 * (0: 10,000,000). */
	uint64_t max_network_steps;
	size_t max_memory;    /* arena bytes per statement (0: 1 GiB) */
	enum vfy_traces traces;
	/* Cross every router one by one instead of by the snapshot's router
	 * summaries (the same verdicts; for tests and measurements). */
	bool hop_by_hop;
	/* Cancellation: when set and *cancel becomes true (from any thread),
	 * the exploration stops at its next step and vfy_check /
	 * vfy_module_exits return -ECANCELED. */
	const atomic_bool *cancel;
};

/* ---- network model -------------------------------------------------------- */

/* Parse every middlebox's Click text and precompute router partitions.
 * Returns 0 and *out (refcount 1), or a negative errno with diagnostics
 * (a middlebox's Click errors are reported with the node's name as file). */
int vfy_base_build(struct snapshot *s, struct vfy_base **out, struct diags *d);
struct vfy_base *vfy_base_ref(struct vfy_base *b);
void vfy_base_unref(struct vfy_base *b);
const struct snapshot *vfy_base_snapshot(const struct vfy_base *b);

struct vfy_net *vfy_net_new(struct vfy_base *b); /* NULL when out of memory */
void vfy_net_free(struct vfy_net *n);

struct vfy_module {
	const char *name;      /* unique among nodes and modules; no ':' */
	const char *click;     /* Click text ($MODULE_IP/$MODULE_PORT defined) */
	const char *platform;  /* addressed: the platform node's name ... */
	uint32_t address;      /* ... and the module's address (host order) */
	uint8_t proto;         /* 0: any; else only this protocol is delivered */
	uint16_t port;         /* 0: any; else only this destination port */
	/* inline (operator modules): the link "node:port" - "node:port";
	 * device 0 faces inline_a, device 1 inline_b. platform must be NULL. */
	const char *inline_a, *inline_b;
	/* The caller's budget for parsing and configuring the Click text
	 * (click_options.max_memory and .cancel; 0 / NULL: none). */
	size_t max_memory;
	const atomic_bool *cancel;
};
/* Add a module (the Click text is parsed here; errors go to d with the
 * module's name as file). 0 or a negative errno (-ENOSPC, -ECANCELED: the
 * budget above stopped the parse). */
int vfy_net_add_module(struct vfy_net *n, const struct vfy_module *m, struct diags *d);
/* -ENOENT when there is no such module. */
int vfy_net_remove_module(struct vfy_net *n, const char *name);

/* ---- requirements ----------------------------------------------------------- */

/* One statement per line, '#' comments (docs/requirements.md). Errors carry
 * line:column and a caret. The text must outlive the result. */
int vfy_reqs_parse(const struct src_file *src, struct vfy_reqs **out, struct diags *d);
void vfy_reqs_free(struct vfy_reqs *r);
size_t vfy_reqs_count(const struct vfy_reqs *r);
/* The statement's text (one line, trimmed). */
const char *vfy_reqs_text(const struct vfy_reqs *r, size_t i);
/* Concatenate b's statements after a's (a takes them over; b is freed). */
int vfy_reqs_append(struct vfy_reqs *a, struct vfy_reqs *b);
/* Every node the statements of r (parsed from src) name by name ("fw",
 * "fw:rw:0") must be a node of b's network or one of the n names (modules
 * the caller knows of); else an error per unknown name goes to d, with its
 * line and column ("unknown node 'xyz'"), and the answer is -EINVAL. The
 * special words and addresses are always known. 0 or a negative errno. */
int vfy_reqs_check_names(const struct vfy_reqs *r, const struct src_file *src,
                         const struct vfy_base *b, const char *const *names, size_t n,
                         struct diags *d);
/* Every NODE:ELEMENT hop of r whose NODE is `node` must name an element
 * `known` accepts (the module's Click graph, flattened names such as
 * "c/x"); else an error per unknown element goes to d with its line and
 * column ("module 'm' has no element 'x'"), and the answer is -EINVAL. */
int vfy_reqs_check_elements(const struct vfy_reqs *r, const struct src_file *src, const char *node,
                            bool (*known)(void *ud, const char *elem), void *ud, struct diags *d);

/* ---- checking --------------------------------------------------------------- */

enum vfy_kind { VFY_REACH, VFY_ALWAYS, VFY_NEVER };
enum vfy_verdict { VFY_HOLDS, VFY_FAILS, VFY_ERROR };

/* Check every statement against the network. Node names that do not
 * exist are reported per statement (verdict error) with their location.
 * Returns 0 and *out, or a negative errno when the job could not run. */
int vfy_check(struct vfy_net *n, const struct vfy_reqs *r, const struct vfy_limits *lim,
              struct vfy_report **out);
void vfy_report_free(struct vfy_report *rep);
size_t vfy_report_count(const struct vfy_report *rep);
/* True when every statement holds. */
bool vfy_report_ok(const struct vfy_report *rep);

struct vfy_result {
	const char *text;      /* the statement */
	enum vfy_kind kind;
	enum vfy_verdict verdict;
	bool vacuous;          /* always/never: no flow started or none reached the end */
	bool approximate;      /* the deciding flow is approximate */
	const char *message;   /* one line: why */
	uint64_t flows;        /* flows explored */
	uint32_t loops;        /* flows cut because they looped */
};
void vfy_report_result(const struct vfy_report *rep, size_t i, struct vfy_result *out);

/* The whole report as JSON: {"ok": bool, "results": [{"statement", "kind",
 * "verdict", "vacuous", "approximate", "message", "flows", "loops",
 * "trace": {"hops": [{"node", "element", "port", "fields": {"src": {"value",
 * "changed"}...}}], "variables": {...}, "witness": {...}}}]}. New ref. */
json_t *vfy_report_json(const struct vfy_report *rep);

/* Field values of the last hop of result i's trace, "src" -> "DST" style
 * (variable name, constant or set), for comparing symbolic packets.
 * NULL when there is no trace or no such field. */
const char *vfy_report_final_field(const struct vfy_report *rep, size_t i, const char *field);

/* ---- security rules support (docs/security.md) -------------------------------- */

/* One flow leaving a module that was fed an unconstrained packet addressed
 * to it. */
struct vfy_exit {
	uint32_t device;          /* ToDevice/ToNetFront number it left by */
	bool src_is_module;       /* src is the module's address, always */
	bool src_is_entry_src;    /* src is bound to the entry source variable */
	bool src_may_be_module;   /* some packets of the flow have src = module addr */
	bool dst_is_entry_src;    /* dst is bound to the entry source variable */
	uint32_t ndst;            /* dst's possible values, as intervals */
	const uint32_t (*dst)[2]; /* [lo, hi] host order */
	bool approximate;
	const char *trace_json;   /* the flow's trace, JSON text */
};
struct vfy_exits {
	size_t n;
	struct vfy_exit *v;
	uint64_t flows;
	struct arena *arena;      /* owns everything */
};
/* Run module `name` of n (added before) from an unconstrained packet whose
 * dst is its address (and proto/port when assigned). */
int vfy_module_exits(struct vfy_net *n, const char *name, const struct vfy_limits *lim,
                     struct vfy_exits *out);
/* The same, building an exit's trace only when want_trace(ud, exit) is
 * true (the exit's other fields are filled in first); trace_json is NULL
 * for the others. want_trace NULL: every trace. */
int vfy_module_exits_select(struct vfy_net *n, const char *name, const struct vfy_limits *lim,
                            bool (*want_trace)(void *ud, const struct vfy_exit *e), void *ud,
                            struct vfy_exits *out);
void vfy_exits_free(struct vfy_exits *x);

/* ---- model/behaviour agreement (for the fast-path issue) ----------------------- */

/* A concrete IPv4 header, host order. */
struct vfy_concrete {
	uint8_t tos, ttl, proto, tcp_flags;
	uint16_t len, id, off, sport, dport;
	uint32_t src, dst;
};
/* Run one element (class name + config string, ninputs/noutputs ports)
 * symbolically on the concrete packet `in` arriving on `in_port`, then
 * check that the concrete result (`out` leaving `out_port`, or dropped when
 * out is NULL) is one the symbolic result allows. Returns 1 when it is,
 * 0 when it is not (why in *why, arena-free static text or NULL), or a
 * negative errno (bad element/config: diagnostics in d). */
int vfy_concrete_in_symbolic(const char *cls, const char *config, uint32_t ninputs,
                             uint32_t noutputs, uint32_t in_port, const struct vfy_concrete *in,
                             int32_t out_port, const struct vfy_concrete *out,
                             const char **why, struct diags *d);
/* The same for a source (InfiniteSource, ICMPPingSource...): run the
 * element's source hook (no input) and check that `out`, a packet the
 * source made leaving `out_port`, is one of the flows it emits there; out
 * NULL checks that it emits nothing on any output. 1, 0 (why in *why), or
 * a negative errno (bad element or config, or no source hook). */
int vfy_concrete_in_source(const char *cls, const char *config, uint32_t noutputs, int32_t out_port,
                           const struct vfy_concrete *out, const char **why, struct diags *d);

#endif
