/* Internal pieces of the controller, exported for its unit tests. */
#ifndef INNET_CONTROLLER_INTERNAL_H
#define INNET_CONTROLLER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <stdatomic.h>

#include <uv.h>

#include "base/idmap.h"
#include "base/inet.h"
#include "base/tbucket.h"
#include "click/click.h"
#include "registry/registry.h"
#include "controller/controller.h"
#include "verify/verify.h"

/* symbolic state per statement: a configuration that needs more is
 * refused as too complex (verification work is bounded) */
#define CTL_MAX_MEMORY ((size_t)64 << 20)

enum ctl_verdict { CTL_SAFE, CTL_SANDBOXED, CTL_REJECTED };
const char *ctl__verdict_name(enum ctl_verdict v);

/* ---- security rules (rules.c; docs/security.md) ---- */
struct ctl_rules_in {
	enum reg_kind kind;
	uint32_t module_addr;
	/* default-off destinations: the tenant's prefixes, its whitelist and
	 * its other modules' addresses (as /32) */
	const struct inet_prefix *allowed;
	size_t nallowed;
};
/* Classify every exit flow and decide the verdict. *report (new ref):
 * {"verdict", "flows", "exits", "rules": [{"rule", "applies", "result",
 * "violations": [{"device", "problem", "result", "src", "dst", "trace"}]}]}. */
int ctl__rules_check(const struct ctl_rules_in *in, const struct vfy_exits *x,
                     enum ctl_verdict *verdict, json_t **report);
/* Does exit e break a rule that applies (ud: the ctl_rules_in)? Only
 * those exits' traces reach the report, so only they are built
 * (vfy_module_exits_select). */
bool ctl__rules_breaks(void *ud, const struct vfy_exit *e);

/* ---- sandboxing (sandbox.c) ---- */
/* The flat graph g as Click text with a ChangeEnforcer per device number
 * between every input device and what it feeds, and between everything
 * that feeds an output device and that device. allow_all: the default-off
 * rule does not apply (clients): ALLOW 0.0.0.0/0. *out malloc'd. */
int ctl__sandbox_click(const struct click_graph *g, uint32_t addr, const struct inet_prefix *allow,
                       size_t nallow, bool allow_all, char **out);
/* The flat graph as Click text (what is verified and deployed). */
int ctl__graph_text(const struct click_graph *g, char **out);
/* The protocol and destination port the configuration accepts on device 0
 * when the first element after it is an IPFilter/IPClassifier whose first
 * rule names one protocol (udp/tcp) and one destination port; 0 otherwise. */
void ctl__detect_filter(const struct click_graph *g, uint8_t *proto, uint16_t *port);

/* ---- JSON text (jsontext.c; any thread) ---- */
/* json_dumps(v, JSON_COMPACT), byte for byte, without jansson's per-byte
 * UTF-8 re-decoding. malloc'd; NULL when out of memory. */
char *ctl__json_text(const json_t *v);

/* ---- verification jobs (job.c; any thread) ---- */
struct ctl_sib {          /* a module already deployed that stays in the model */
	char *name, *click, *platform, *inline_a, *inline_b;
	uint32_t ip;
	uint8_t proto;
	uint16_t port;
};
struct ctl_cand {         /* a candidate platform (platform NULL: inline) */
	char *platform;
	uint32_t ip;          /* the address the module would get there */
	bool full;            /* no capacity left: checked, never chosen */
};
struct ctl_job_in {
	enum reg_kind kind;
	char *name, *click, *requirements, *policies;
	/* click is a process-backed stock module's wrapper (the only text that
	 * may use ToProcess/FromProcess: docs/process-modules.md) */
	bool process_wrapper;
	char *inline_a, *inline_b;
	struct inet_prefix *allowed;
	size_t nallowed;
	struct ctl_sib *sibs;
	size_t nsibs;
	struct ctl_cand *cands;
	size_t ncands;
	struct vfy_base *base;
	uint64_t max_steps, max_network_steps;
	size_t max_memory;         /* bytes: each parse of the tenant's text, each statement */
	const atomic_bool *cancel; /* set past the deadline: the engine stops */
	/* the policies parsed already (shared, read only), or NULL: parsed
	 * from `policies` by the job */
	const struct vfy_reqs *pols;
	enum ctl_detail detail;    /* what the caller may see (privacy.c) */
};
struct ctl_job_out {
	int http;             /* 0: a winner; else the error status */
	char *code, *message; /* the error */
	json_t *details;
	int winner;           /* index into cands, or -1 */
	enum ctl_verdict verdict;
	json_t *report;       /* always set when the job ran */
	char *deployed;       /* the Click text that will run (winner) */
	json_t *stateful;     /* its stateful elements (winner; stateful.c) */
	uint8_t proto;
	uint16_t port;
	/* the caller's view of a winner's report as text (privacy.c), or NULL
	 * when it sees the report as is; report stays full (it is stored) */
	char *view_text;
};
/* Verify the request on each candidate in order, the first that passes
 * wins (docs/architecture.md). */
void ctl__job_run(const struct ctl_job_in *in, struct ctl_job_out *out);
void ctl__job_out_release(struct ctl_job_out *out);
/* Check `statements` (policy text) on base + modules; *violations (new
 * ref) lists the failing statements with traces. */
int ctl__check_statements(struct vfy_base *base, const struct ctl_sib *mods, size_t nmods,
                          const char *statements, uint64_t max_steps, json_t **violations);

/* ---- what a tenant sees of a report (privacy.c; docs/privacy.md) ---- */
struct ctl_view {
	enum ctl_detail detail;
	const char *const *own;      /* the tenant's modules: shown in full */
	size_t nown;
	const struct snapshot *snap; /* its hosts show as their role; every other node is hidden */
	const char *const *hidden;   /* more names to keep out of texts (the operator's on-path modules) */
	size_t nhidden;
};
/* full (a report, or an error's details) as v may see it: a new
 * reference (full itself for CTL_DETAIL_FULL), NULL when out of memory.
 * Reads only: any thread. */
json_t *ctl__report_view(json_t *full, const struct ctl_view *v);

/* ---- the controller's state (ctl.c) ---- */
/* The operator's policies, parsed once per text and shared read-only by
 * the jobs (parsing them was a tenth of a check). Loop thread counts. */
struct ctl_polcache {
	int refs;
	char *text;
	struct src_file f; /* the parse keeps pointing at it */
	struct vfy_reqs *reqs;
};

/* What the controller keeps per tenant. */
struct ctl_tenant {
	uint64_t gen;         /* bumped when its modules come or go */
	/* its row's quotas and suspension, learned on the loop after a read
	 * on the registry thread (ctl__tenant_learn); defaults until then */
	bool row_read;
	bool suspended;
	uint64_t rps;
	uint64_t flows, mem_mb; /* per-module quotas (its own or the defaults) */
	uint64_t own_mem_mb;    /* its own memory_mb quota (0: none set) */
	bool limited;         /* rate set up (from rps or the default) */
	struct tbucket rate;  /* check and deploy requests */
	/* its checks and deploys (sched.c): queued + running, at most
	 * max_inflight (its inflight quota or tenant-inflight, read once);
	 * those waiting for a worker, oldest first; its place in the list of
	 * tenants with waiting jobs (sched.c: fewest running first, then the
	 * least recently served) */
	unsigned inflight, max_inflight;
	unsigned running;     /* of those, on a worker */
	unsigned admitting;   /* requests waiting for their admission's reads (sched.c) */
	uint64_t served;      /* when a job of it last went to a worker (ctl.served) */
	struct ctl_job *q_head, *q_tail;
	struct ctl_tenant *ring_next;
	bool in_ring;
};

/* The addresses of a platform promised to jobs in flight. */
struct ctl_platform {
	char *name;
	struct idmap reserved; /* ip -> the platform (a set) */
	struct ctl_platform *next;
};

struct ctl_job;

struct ctl {
	struct ctl_env env;
	struct ctl_platform_ops ops;
	bool have_ops;
	struct ctl_limits lim;
	/* the verifier's model of the current snapshot */
	struct vfy_base *base;
	int64_t base_version;
	struct ctl_polcache *pc;
	struct idmap tenants;         /* id -> struct ctl_tenant */
	uint64_t inline_gen;          /* bumped when inline modules come or go */
	struct ctl_platform *platforms;
	unsigned inflight;            /* jobs queued or running */
	unsigned admitting;           /* requests not admitted yet (ctl_tenant.admitting) */
	/* tenants with jobs waiting for a worker; jobs on a worker (not
	 * counting the serialized re-verification); jobs handed to workers
	 * so far (the clock of ctl_tenant.served) */
	struct ctl_tenant *ring_head, *ring_tail;
	unsigned running;
	uint64_t served;
	/* deploys whose state moved on while they were verified: verified
	 * again one at a time, so that they do not keep invalidating each
	 * other (each commit changes the platform every other one waits for) */
	struct ctl_job *rq_head, *rq_tail;
	bool rq_busy;
	struct ctl_stats stats;       /* the counters of ctl_stats (sched.c) */
	/* deploys with an Idempotency-Key not answered yet (idempotency.c) */
	struct ctl_job **idem_flight;
	size_t nidem_flight, idem_flight_cap;
	/* the registry thread (regthread.c): every statement runs there */
	struct reg_worker *regw;
	uv_async_t reg_async;
	bool reg_async_on;
	size_t reg_outstanding;       /* submitted, done not called yet */
};

/* Start the registry thread (ctl_new). */
int ctl__registry_start(struct ctl *c);

/* Where an answer goes; fn is NULL once answered. */
struct ctl_reply {
	ctl_done_fn fn;
	void *ud;
	/* uv_hrtime() when a job was queued and when a worker took it (0:
	 * not yet, or not a job): the answer carries both durations */
	uint64_t queued_ns, started_ns;
};
/* Answer an error with a Retry-After of retry_after seconds (0: 1). */
void ctl__reply_retry(struct ctl_reply *rp, int status, const char *code, unsigned retry_after,
                      json_t *details, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Answer with body (stolen; NULL: none) and audit detail (stolen). */
void ctl__reply_json(struct ctl_reply *rp, int status, json_t *body, json_t *audit);
/* Answer with body as JSON text and audit detail (stolen). */
void ctl__reply_text(struct ctl_reply *rp, int status, const char *text, json_t *audit);
/* Answer a registry failure rc (struct ctl_answer.rc). */
void ctl__reply_rc(struct ctl_reply *rp, int rc);
/* Answer an error (details stolen). */
void ctl__reply_error(struct ctl_reply *rp, int status, const char *code, json_t *details,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

void ctl__polcache_unref(struct ctl_polcache *pc);
/* A reference to the parsed policies `text`, or NULL (the job parses
 * them itself and reports any error). */
struct ctl_polcache *ctl__polcache_get(struct ctl *c, const char *text);
/* The snapshot's version, or -1 without one. */
int64_t ctl__snapshot_version(struct ctl *c);
/* The model of the current snapshot (rebuilt when the version changes):
 * -ENOENT without a snapshot; why (may be NULL) says why it cannot be
 * modelled. */
int ctl__current_base(struct ctl *c, struct vfy_base **out, int64_t *version, struct diags *why);
/* Registry thread: every operator policy, one per line (malloc'd). Read
 * by the work that gathers a job's or a re-check's inputs, so that none
 * starts before the policies it needs are read. */
int ctl__policies_read(struct registry *r, char **out);
/* Names copied for work on the registry thread. */
struct ctl_names {
	char **v;
	size_t n;
};
/* Loop thread: the platforms of the current snapshot another PoP serves
 * (a module there shows what its PoP reported: ctl_report_runtime). */
int ctl__remote_platforms(struct ctl *c, struct ctl_names *out);
bool ctl__names_have(const struct ctl_names *v, const char *name);
void ctl__names_free(struct ctl_names *v);
/* The tenant's state, created on first use; NULL when out of memory. */
struct ctl_tenant *ctl__tenant(struct ctl *c, int64_t id);
/* The tenant's generation, bumped (with inline_gen) when modules come
 * or go. (A commit no longer trusts it: it compares its model on the
 * registry thread, where the writes whose done has not run yet are
 * seen.) */
uint64_t ctl__tenant_gen(struct ctl *c, int64_t id);
/* A module of tenant came or went inline (platform NULL) or on platform. */
void ctl__modules_changed(struct ctl *c, int64_t tenant, const char *platform);
/* Addresses promised to jobs in flight. */
bool ctl__reserved(struct ctl *c, const char *platform, uint32_t ip);
int ctl__reserve(struct ctl *c, const char *platform, uint32_t ip);
void ctl__unreserve(struct ctl *c, const char *platform, uint32_t ip);

/* An error whose place is a name rather than a line: a parameter's or a
 * catalogue entry's JSON path, or a file (stock.c, process.c). -EINVAL. */
int ctl__path_error(struct diags *d, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- quotas and rates (quota.c) ---- */
/* Loop thread. Learn a tenant's quotas and suspension from its row (read
 * on the registry thread: a request's admission, a job's inputs and a
 * commit learn it); until then the functions below answer the defaults.
 * Learning the same rate again keeps its token bucket. forget: read it
 * again before trusting it (a PATCH). */
void ctl__tenant_learn(struct ctl *c, const struct reg_tenant *t);
bool ctl__tenant_known(struct ctl *c, int64_t tenant);
void ctl__tenant_forget(struct ctl *c, int64_t tenant);
/* true: allowed; false: over the tenant's request rate. */
bool ctl__rate_ok(struct ctl *c, int64_t tenant);
/* The most checks and deploys the tenant may have queued or running: its
 * inflight quota, or tenant-inflight. */
unsigned ctl__tenant_inflight(struct ctl *c, int64_t tenant);
/* Registry thread, inside the commit's transaction: may the tenant add a
 * module called name? 0: yes; CTL_ADMIT_NAME_TAKEN or CTL_ADMIT_QUOTA:
 * no (answer with ctl__admit_reply on the loop); or a negative errno. */
enum { CTL_ADMIT_NAME_TAKEN = 1, CTL_ADMIT_QUOTA = 2 };
int ctl__admit(struct registry *r, int64_t tenant, const char *name, int64_t quota);
/* Loop thread: answer a refusal of ctl__admit (409 name_taken, 429
 * quota_exceeded). */
void ctl__admit_reply(struct ctl_reply *rp, int refused, const char *name, int64_t quota);

/* The tenant's per-module quotas (docs/stateful.md): its own, or the
 * module-flows and module-memory-mb defaults. */
void ctl__module_quota(struct ctl *c, int64_t tenant, uint64_t *flows, uint64_t *mem_mb);
/* The same as JSON: {"flows", "memory_mb"}, and "process_memory_mb" when
 * stock (NULL: none) is a process module (ctl__process_memory). New ref. */
json_t *ctl__quota_json(struct ctl *c, int64_t tenant, const char *stock);
/* A process module's program's memory limit in MiB (docs/process-modules.md,
 * "Quotas"): entry `stock`'s default, bounded by the tenant's own memory_mb
 * when the operator set one; *min_mb the least the entry declares its
 * program runs in (0: none). 0 when stock is no process module. */
uint32_t ctl__process_memory(struct ctl *c, int64_t tenant, const char *stock, uint32_t *min_mb);

/* ---- stateful modules (stateful.c; docs/stateful.md) ---- */
/* The elements of g that hold state (rt_graph_stateful), as JSON:
 * [{"element", "class"}]. New ref; NULL when out of memory. Any thread. */
json_t *ctl__stateful_elements(const struct click_graph *g);
/* The same for Click text as it will run (parsed with $MODULE_IP = ip
 * and $MODULE_PORT = port); NULL when it does not parse or out of
 * memory. Any thread. */
json_t *ctl__stateful_of_text(const char *name, const char *text, const char *ip,
                              const char *port);
/* Add "stateful", "stateful_elements" and "quotas" to an answer's head
 * (elements borrowed; NULL: none; stock: the stock module it deploys, or
 * NULL). Loop thread. */
void ctl__add_state_head(struct ctl *c, int64_t tenant, const char *stock, json_t *head,
                         const json_t *elements);

/* ---- stored modules (modules.c) ---- */
/* The deployed Click text and inline link of a stored module. */
int ctl__mod_sib(const struct reg_module *m, struct ctl_sib *s);
void ctl__sib_release(struct ctl_sib *s);
void ctl__sibs_free(struct ctl_sib *v, size_t n);
/* Loop thread. Install a stored module through ops.install (when set and
 * its platform is served here), with its tenant's learned quotas and st,
 * the state saved at its last suspend (read on the registry thread; NULL:
 * none). A refusal is logged. */
void ctl__platform_install(struct ctl *c, const struct reg_module *m,
                           const struct reg_module_state *st);
/* Registry thread: module id (killed too) as ctl_modules_read gives
 * modules; -ENOENT when there is none. */
int ctl__module_read(struct registry *r, int64_t id, unsigned what, struct ctl_modules *out);
/* The state saved for m->v[i], or NULL (none, or not read). */
const struct reg_module_state *ctl__modules_state(const struct ctl_modules *m, size_t i);
/* Loop thread (tenants.c): learn a tenant's row read on the registry
 * thread (its quotas when not known yet; its suspension always), and the
 * rows of m. */
void ctl__tenant_note(struct ctl *c, const struct reg_tenant *t);
void ctl__modules_learn(struct ctl *c, const struct ctl_modules *m);
/* After an install: hold the module when its tenant is suspended
 * (tenants.c; docs/operator.md). */
void ctl__hold_if_suspended(struct ctl *c, int64_t id, int64_t tenant);
/* Is the tenant suspended, as last learned (ctl__tenant_note,
 * ctl_tenant_hold)? false when never learned. Loop thread. */
bool ctl__tenant_suspended(struct ctl *c, int64_t tenant);
/* Does this innetd serve platform (NULL: an inline module, yes)? pop
 * (may be NULL) gets the name of the PoP serving it (ctl.c; docs/pops.md). */
bool ctl__served(struct ctl *c, const char *platform, char pop[SNAPSHOT_POP_MAX + 1]);
/* Remove m from this innetd's fast path, whoever serves it now. */
void ctl__platform_call_remove(struct ctl *c, const struct reg_module *m);
/* Remove m from the platform (modules.c). */
void ctl__platform_remove(struct ctl *c, const struct reg_module *m);
/* Decide, and record, whether the live modules deployed before schema
 * version 4 (stateful_elements NULL) are stateful, from what they run.
 * ctl_new, before the registry thread starts (a one-time migration on the
 * caller's thread, like the daemon's other startup statements). */
int ctl__decide_stateful(struct ctl *c);

/* ---- verification jobs on the loop (sched.c) and their commit (commit.c) ----
 * A job's registry reads and its commit run on the registry thread; while
 * one is in flight the loop does not touch the job (it is in no queue and
 * no timer of it runs), so the work may read the job's request, verdict
 * and model. */
enum ctl_job_kind { CTL_JOB_CHECK, CTL_JOB_DEPLOY };

struct ctl_job {
	uv_work_t work;
	struct ctl *ctl;
	struct ctl_reply reply;
	enum ctl_job_kind kind;
	int64_t tenant_id, quota;
	char *source, *stock, *params; /* for the row */
	struct ctl_job_in in;
	struct ctl_job_out out;
	int64_t snap_version;
	bool reserved;
	bool requeued;  /* this run is the serialized re-verification */
	int64_t *model; /* ids of the modules in the model (id order) */
	char *report_text; /* a winner's report, serialized on the worker */
	struct ctl_polcache *pc; /* in.pols */
	uv_timer_t timer; /* the verification deadline */
	bool timer_on;
	atomic_bool cancel; /* past the deadline: the worker's engine stops */
	bool (*gone)(void *ud); /* the caller's (ctl_caller.gone), or NULL */
	size_t nmodel;
	int rounds;
	struct ctl_job *next;
	char *idem_key; /* Idempotency-Key (idempotency.c), or NULL */
	uint8_t idem_hash[REG_HASH_LEN];
	int64_t idem_retention; /* ms (ctl_limits.idem_retention_ms) */
	/* until admitted (sched.c): a copy of the request, parsed once the
	 * reads of its admission are back, and its name as far as valid */
	json_t *req;
	char *name_hint;
	bool admitted;  /* counted in inflight */
};

/* ---- Idempotency-Key (idempotency.c; docs/pops.md) ----
 * Loop thread: the keys in flight (busy, attach, release) and the
 * answers (answer, replay). Registry thread: lookup, keep, kept, reread,
 * which read only the job's key, hash, tenant and retention (set by
 * attach, unchanged until release). */
/* Before a deploy with a key is admitted: true when answered 409 (a
 * request with the key is in flight here). */
bool ctl__idem_busy(struct ctl *c, const struct ctl_caller *who, struct ctl_reply *rp);
/* The job carries the caller's key, in flight until released. */
int ctl__idem_attach(struct ctl_job *j, const struct ctl_caller *who);
void ctl__idem_release(struct ctl_job *j);
/* Registry thread, at admission: old kept answers pruned (a batch), then
 * the answer kept for the job's key into *e; -ENOENT: none. */
int ctl__idem_lookup(struct registry *r, const struct ctl_job *j, struct reg_idem *e);
/* Loop thread: answer with the kept answer e (422 reused when it was for
 * another request). */
void ctl__idem_answer(struct ctl_reply *rp, const struct reg_idem *e, const uint8_t *hash,
                      const char *key);
/* Registry thread, inside the commit's transaction: keep the answer for
 * the job's key (none: 0). -EEXIST when another request with the key
 * committed first. */
int ctl__idem_keep(struct registry *r, const struct ctl_job *j, int status, const char *body,
                   int64_t module_id);
/* Registry thread, inside the commit's transaction, first: 1 when an
 * answer is already kept for the job's key (another innetd committed it
 * since the lookup), 0 when none (or no key), or a negative errno. */
int ctl__idem_kept(struct registry *r, const struct ctl_job *j);
/* Registry thread, after that or -EEXIST and the rollback: what was kept
 * (reg_idem_get's rc); loop thread: answer with it (rc != 0: 409). */
int ctl__idem_reread(struct registry *r, const struct ctl_job *j, struct reg_idem *e);
void ctl__idem_replay(struct ctl_job *j, int rc, const struct reg_idem *e);
/* Registry thread: did the set of modules in the job's model change since
 * it was built? Reads only the job's name, requirements, tenant and model
 * (unchanged while its commit is in flight). */
int ctl__model_changed(struct registry *r, const struct ctl_job *j, bool *changed);
/* Loop thread: commit the winner of deploy j. The snapshot is checked
 * here; the rest (the model read again, admission, capacity, the row, the
 * kept answer: one transaction) runs on the registry thread, and then, on
 * the loop, the module is installed and answered and finish(j, rc) is
 * called: 0 answered, 1 the state moved on (verify again), <0 an errno
 * (not answered). Returns 0 (finish will be called), 1 (stale: verify
 * again) or a negative errno (not answered; finish will not be called). */
typedef void (*ctl_commit_fn)(struct ctl_job *j, int rc);
int ctl__commit(struct ctl_job *j, ctl_commit_fn finish);
/* JSON text: the object head (stolen) with "report": report and, when
 * inline_a is set, "inline": [inline_a, inline_b] added as last members,
 * byte for byte what json_dumps(JSON_COMPACT) gives for the whole object.
 * malloc'd; NULL when out of memory. */
char *ctl__with_report(json_t *head, const char *report, const char *inline_a,
                       const char *inline_b);
/* The address a candidate gives the module (null inline). */
json_t *ctl__cand_address(const struct ctl_cand *cd, uint8_t proto, uint16_t port);

/* stock.c: true when `name` is one of the Click stock modules (the process
 * catalogue may not reuse their names). */
int ctl__stock_click_exists(const char *name);

#endif
