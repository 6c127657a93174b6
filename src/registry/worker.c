/* The registry thread: one thread owns the connection, runs the work
 * callers submit in submission order, and hands each result back to the
 * caller's thread (innetd's loop) through done callbacks run by
 * reg_worker_drain. A statement that waits for the database (a network
 * round trip to PostgreSQL, an fsync of SQLite's journal, a lock held by
 * another process) waits here, never on the loop. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "registry/internal.h"
#include "base/log.h"

struct item {
	struct item *next;
	reg_work_fn work;
	reg_done_fn done;
	void *arg;
	int rc;
	uint64_t queued_ns;
};

struct reg_worker {
	struct registry *r;
	void (*wake)(void *ud);
	void *ud;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item *todo, **todo_tail;  /* submitted, not run */
	struct item *done, **done_tail;  /* run, done not called */
	bool stopping;
	struct reg_worker_stats stats;   /* under mu */
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The next item to run, or NULL when stopping with nothing left. */
static struct item *take(struct reg_worker *w)
{
	pthread_mutex_lock(&w->mu);
	while (!w->todo && !w->stopping)
		pthread_cond_wait(&w->cv, &w->mu);
	struct item *it = w->todo;
	if (it && !(w->todo = it->next))
		w->todo_tail = &w->todo;
	pthread_mutex_unlock(&w->mu);
	return it;
}

static void finish(struct reg_worker *w, struct item *it, uint64_t started_ns)
{
	uint64_t end = now_ns();
	it->next = NULL;
	pthread_mutex_lock(&w->mu);
	*w->done_tail = it;
	w->done_tail = &it->next;
	w->stats.run++;
	w->stats.queued--;
	w->stats.busy_ns += end - started_ns;
	if (started_ns - it->queued_ns > w->stats.max_wait_ns)
		w->stats.max_wait_ns = started_ns - it->queued_ns;
	pthread_mutex_unlock(&w->mu);
	w->wake(w->ud);
}

static void *run(void *arg)
{
	struct reg_worker *w = arg;
	for (struct item *it; (it = take(w));) {
		uint64_t t = now_ns();
		it->rc = it->work ? it->work(w->r, it->arg) : 0;
		reg_rollback(w->r); /* a work function that left a transaction open */
		finish(w, it, t);
	}
	return NULL;
}

int reg_worker_start(struct registry *r, void (*wake)(void *ud), void *ud, struct reg_worker **out)
{
	struct reg_worker *w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	*w = (struct reg_worker){.r = r, .wake = wake, .ud = ud};
	w->todo_tail = &w->todo;
	w->done_tail = &w->done;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	/* owned before start returns (the thread's first take() waits for
	 * mu, so it sees the owner too) */
	pthread_mutex_lock(&w->mu);
	int rc = pthread_create(&w->thread, NULL, run, w);
	if (!rc)
		r->owner = w->thread;
	pthread_mutex_unlock(&w->mu);
	if (rc) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return -rc;
	}
	*out = w;
	return 0;
}

int reg_worker_submit(struct reg_worker *w, reg_work_fn work, reg_done_fn done, void *arg)
{
	struct item *it = malloc(sizeof *it);
	if (!it)
		return -ENOMEM;
	*it = (struct item){.work = work, .done = done, .arg = arg, .queued_ns = now_ns()};
	pthread_mutex_lock(&w->mu);
	if (w->stopping) {
		pthread_mutex_unlock(&w->mu);
		free(it);
		return -ESHUTDOWN;
	}
	*w->todo_tail = it;
	w->todo_tail = &it->next;
	w->stats.submitted++;
	if (++w->stats.queued > w->stats.max_queued)
		w->stats.max_queued = w->stats.queued;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

size_t reg_worker_drain(struct reg_worker *w)
{
	size_t n = 0;
	pthread_mutex_lock(&w->mu);
	struct item *list = w->done;
	w->done = NULL;
	w->done_tail = &w->done;
	pthread_mutex_unlock(&w->mu);
	while (list) {
		struct item *it = list;
		list = it->next;
		if (it->done)
			it->done(it->arg, it->rc);
		free(it);
		n++;
	}
	return n;
}

void reg_worker_stats(struct reg_worker *w, struct reg_worker_stats *out)
{
	pthread_mutex_lock(&w->mu);
	*out = w->stats;
	pthread_mutex_unlock(&w->mu);
}

void reg_worker_stop(struct reg_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	reg_worker_drain(w); /* the last results: their done callbacks run here */
	reg__own(w->r);      /* the caller's thread again */
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
