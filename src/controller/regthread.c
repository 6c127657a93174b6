/* The registry thread on innetd's loop: the controller starts it when it
 * is made, so that from then on every statement of innetd (the
 * controller's, the API's, the daemon's) runs off the loop. Its handle
 * keeps the loop alive only while work is outstanding, as libuv's pool
 * does, so a clean stop lets the last commits and saved states finish. */
#include <errno.h>

#include "controller/internal.h"
#include "base/log.h"

static void on_wake(void *ud)
{
	struct ctl *c = ud;
	uv_async_send(&c->reg_async);
}

static void on_async(uv_async_t *a)
{
	struct ctl *c = a->data;
	size_t n = reg_worker_drain(c->regw);
	c->reg_outstanding -= n < c->reg_outstanding ? n : c->reg_outstanding;
	if (!c->reg_outstanding)
		uv_unref((uv_handle_t *)a);
}

int ctl__registry_start(struct ctl *c)
{
	int rc = uv_async_init(c->env.loop, &c->reg_async, on_async);
	if (rc)
		return rc;
	c->reg_async.data = c;
	uv_unref((uv_handle_t *)&c->reg_async);
	if ((rc = reg_worker_start(c->env.reg, on_wake, c, &c->regw))) {
		uv_close((uv_handle_t *)&c->reg_async, NULL);
		return rc;
	}
	c->reg_async_on = true;
	return 0;
}

int ctl_registry_submit(struct ctl *c, reg_work_fn work, reg_done_fn done, void *arg)
{
	if (!c->regw)
		return -ESHUTDOWN;
	int rc = reg_worker_submit(c->regw, work, done, arg);
	if (rc)
		return rc;
	if (!c->reg_outstanding++)
		uv_ref((uv_handle_t *)&c->reg_async);
	return 0;
}

bool ctl_registry_available(const struct ctl *c)
{
	return reg_available(c->env.reg);
}

void ctl_registry_stats(const struct ctl *c, struct reg_worker_stats *out)
{
	if (c->regw)
		reg_worker_stats(c->regw, out);
	else
		*out = (struct reg_worker_stats){0};
}

void ctl_close(struct ctl *c)
{
	if (!c || !c->regw)
		return;
	reg_worker_stop(c->regw); /* what is queued runs, and its done callbacks */
	c->regw = NULL;
	c->reg_outstanding = 0;
	if (c->reg_async_on && !uv_is_closing((uv_handle_t *)&c->reg_async))
		uv_close((uv_handle_t *)&c->reg_async, NULL);
}
