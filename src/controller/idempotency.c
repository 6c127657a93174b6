/* Idempotency-Key on deploys (docs/pops.md): a tenant that retries a
 * deploy after a timeout, here or on another innetd of the same registry,
 * gets the answer the first one got instead of a second module. The
 * answer is kept in the transaction that stores the module, so a crash
 * between the two cannot happen; requests with a key in flight on this
 * innetd are remembered here, so a retry racing the first answers 409.
 * The bookkeeping of keys in flight is the loop's; the kept answers are
 * read and written on the registry thread (the request's admission work,
 * the commit's work: sched.c, commit.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "controller/internal.h"

#define IDEM_RETENTION_MS (24 * 3600 * 1000)
#define IDEM_PRUNE_BATCH 16 /* old rows deleted per keyed deploy */

static bool in_flight(const struct ctl *c, int64_t tenant, const char *key)
{
	for (size_t i = 0; i < c->nidem_flight; i++)
		if (c->idem_flight[i]->tenant_id == tenant && !strcmp(c->idem_flight[i]->idem_key, key))
			return true;
	return false;
}

void ctl__idem_answer(struct ctl_reply *rp, const struct reg_idem *e, const uint8_t *hash,
                      const char *key)
{
	if (memcmp(e->request_hash, hash, REG_HASH_LEN)) {
		ctl__reply_error(rp, 422, "idempotency_key_reused", json_pack("{s:s}", "key", key),
		                 "Idempotency-Key '%s' was used for another request; use a new key "
		                 "for a new request", key);
		return;
	}
	json_t *audit = json_pack("{s:I, s:s, s:b}", "id", (json_int_t)e->module_id,
	                          "idempotency_key", key, "replayed", 1);
	ctl__reply_text(rp, e->status, e->body, audit);
}

bool ctl__idem_busy(struct ctl *c, const struct ctl_caller *who, struct ctl_reply *rp)
{
	if (!who->idem_key || !in_flight(c, who->tenant_id, who->idem_key))
		return false;
	ctl__reply_error(rp, 409, "idempotency_key_in_flight", json_pack("{s:s}", "key", who->idem_key),
	                 "a request with Idempotency-Key '%s' is still in flight; retry once it is "
	                 "answered", who->idem_key);
	return true;
}

int ctl__idem_lookup(struct registry *r, const struct ctl_job *j, struct reg_idem *e)
{
	int n = 0;
	if (!reg_idem_prune(r, j->idem_retention, IDEM_PRUNE_BATCH, &n) && n)
		log_debug("controller", "idempotency retention: %d row(s) deleted", n);
	return reg_idem_get(r, j->tenant_id, j->idem_key, j->idem_retention, e);
}

int ctl__idem_attach(struct ctl_job *j, const struct ctl_caller *who)
{
	struct ctl *c = j->ctl;
	if (!who->idem_key)
		return 0;
	if (c->nidem_flight == c->idem_flight_cap) {
		size_t cap = c->idem_flight_cap ? 2 * c->idem_flight_cap : 16;
		struct ctl_job **v = realloc(c->idem_flight, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		c->idem_flight = v;
		c->idem_flight_cap = cap;
	}
	if (!(j->idem_key = strdup(who->idem_key)))
		return -ENOMEM;
	memcpy(j->idem_hash, who->idem_hash, REG_HASH_LEN);
	j->idem_retention = c->lim.idem_retention_ms ? (int64_t)c->lim.idem_retention_ms
	                                              : IDEM_RETENTION_MS;
	c->idem_flight[c->nidem_flight++] = j;
	return 0;
}

void ctl__idem_release(struct ctl_job *j)
{
	struct ctl *c = j->ctl;
	if (!j->idem_key)
		return;
	for (size_t i = 0; i < c->nidem_flight; i++)
		if (c->idem_flight[i] == j) {
			c->idem_flight[i] = c->idem_flight[--c->nidem_flight];
			break;
		}
	free(j->idem_key);
	j->idem_key = NULL;
}

int ctl__idem_keep(struct registry *r, const struct ctl_job *j, int status, const char *body,
                   int64_t module_id)
{
	if (!j->idem_key)
		return 0;
	struct reg_idem e = {.status = status, .body = (char *)body, .module_id = module_id};
	memcpy(e.request_hash, j->idem_hash, REG_HASH_LEN);
	return reg_idem_put(r, j->tenant_id, j->idem_key, &e, j->idem_retention);
}

int ctl__idem_kept(struct registry *r, const struct ctl_job *j)
{
	if (!j->idem_key)
		return 0;
	struct reg_idem e;
	int rc = reg_idem_get(r, j->tenant_id, j->idem_key, j->idem_retention, &e);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	reg_idem_release(&e);
	return 1;
}

int ctl__idem_reread(struct registry *r, const struct ctl_job *j, struct reg_idem *e)
{
	return reg_idem_get(r, j->tenant_id, j->idem_key, j->idem_retention, e);
}

void ctl__idem_replay(struct ctl_job *j, int rc, const struct reg_idem *e)
{
	if (rc) {
		ctl__reply_error(&j->reply, 409, "idempotency_key_in_flight",
		                 json_pack("{s:s}", "key", j->idem_key),
		                 "another request with Idempotency-Key '%s' was committed first; retry",
		                 j->idem_key);
		return;
	}
	ctl__idem_answer(&j->reply, e, j->idem_hash, j->idem_key);
}
