/* SPDX-License-Identifier: ISC */
/*
 * db_writer.c: the writer thread and its group commits.
 *
 * Owns one thread, the read-write connection it uses, a job queue filled
 * from the event loop and a completion list emptied on the event loop.
 * The thread takes every queued job (up to max_batch), runs them in one
 * BEGIN IMMEDIATE ... COMMIT, each inside SAVEPOINT job so that a failing
 * job is rolled back alone, and then wakes the loop through an eventfd to
 * run the done callbacks.  (An eventfd rather than event_active() from the
 * thread: the latter needs evthread_use_pthreads(), which makes libevent
 * take a lock on every event operation of the busy loop thread.)  A failed COMMIT is rolled back and fails every
 * job of the batch: nothing of it is durable, so nothing may be reported
 * as done.  Does not own the event base or the jobs' arguments.
 *
 * Locking: w->mtx protects the queue, the completion list, the flags and
 * the statistics; jobs and callbacks run without it.
 */
#include "config.h"

#include <pthread.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "db.h"
#include "db_writer.h"
#include "err.h"
#include "log.h"
#include "util.h"

#define DB_WRITER_MAX_BATCH	1024

struct db_writer_job {
	db_write_fn		*fn;
	db_done_fn		*done;
	void			*arg;
	int			 result;
	struct db_writer_job	*next;
};

/* A singly linked FIFO. */
struct db_writer_list {
	struct db_writer_job	*head;
	struct db_writer_job	*tail;
};

struct db_writer {
	struct db		*db;		/* the writer thread's */
	struct event		*ev;		/* completions ready */
	int			 efd;		/* eventfd behind ev */
	pthread_t		 thread;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;		/* queued, or stopping */
	struct db_writer_list	 queue;
	struct db_writer_list	 done;
	unsigned int		 max_batch;
	int			 stopping;	/* no more submits */
	int			 running;	/* thread alive */
	int			 healthy;	/* last commit succeeded */
	struct db_writer_stats	 stats;
};

/* Tell the loop that completions are waiting (any thread). */
static void
db_writer_wake(struct db_writer *w)
{
	uint64_t one = 1;

	while (write(w->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	/* EAGAIN: the counter is already non-zero, the loop will wake */
}

static void
db_writer_list_append(struct db_writer_list *l, struct db_writer_job *head,
    struct db_writer_job *tail)
{
	if (l->tail != NULL)
		l->tail->next = head;
	else
		l->head = head;
	l->tail = tail;
}

/* Run one job inside its savepoint; returns the job's result. */
static int
db_writer_run_job(struct db *db, struct db_writer_job *job)
{
	int r;

	if ((r = db_savepoint(db)) != 0)
		return r;
	if ((r = job->fn(db, job->arg)) == 0 &&
	    (r = db_savepoint_release(db)) == 0)
		return 0;
	if (db_savepoint_rollback(db) != 0)
		log_warn_f("cannot roll back a failed job");
	return r != 0 ? r : ERR_DB;
}

/*
 * Run a batch as one transaction.  Returns 0 if it committed, else the
 * error, which has then been given to every job.
 */
static int
db_writer_run_batch(struct db_writer *w, struct db_writer_job *batch,
    unsigned int n)
{
	struct db_writer_job *job;
	int r;

	if ((r = db_begin(w->db)) == 0) {
		for (job = batch; job != NULL; job = job->next)
			job->result = db_writer_run_job(w->db, job);
		r = db_commit(w->db);
	}
	if (r == 0)
		return 0;
	(void)db_rollback(w->db);
	log_warn_r(r, "writer transaction failed | jobs=%u", n);
	for (job = batch; job != NULL; job = job->next)
		job->result = r;
	return r;
}

/* Take up to max_batch jobs off the queue; with w->mtx held. */
static struct db_writer_job *
db_writer_take(struct db_writer *w, unsigned int *np)
{
	struct db_writer_job *head = w->queue.head, *last = NULL, *job;
	unsigned int n = 0;

	for (job = head; job != NULL && n < w->max_batch; job = job->next) {
		last = job;
		n++;
	}
	w->queue.head = last->next;
	if (w->queue.head == NULL)
		w->queue.tail = NULL;
	last->next = NULL;
	w->stats.queued -= n;
	*np = n;
	return head;
}

static void
db_writer_finish(struct db_writer *w, struct db_writer_job *batch, int r)
{
	struct db_writer_job *job, *last = NULL;

	pthread_mutex_lock(&w->mtx);
	w->stats.batches++;
	if (r != 0)
		w->stats.commit_failures++;
	w->healthy = r == 0;
	for (job = batch; job != NULL; job = job->next) {
		if (job->result == 0)
			w->stats.jobs_ok++;
		else
			w->stats.jobs_failed++;
		last = job;
	}
	db_writer_list_append(&w->done, batch, last);
	pthread_mutex_unlock(&w->mtx);
	db_writer_wake(w);
}

static void *
db_writer_main(void *arg)
{
	struct db_writer *w = arg;
	struct db_writer_job *batch;
	unsigned int n;
	int r;

	for (;;) {
		pthread_mutex_lock(&w->mtx);
		while (w->queue.head == NULL && !w->stopping)
			pthread_cond_wait(&w->cond, &w->mtx);
		if (w->queue.head == NULL) {
			/* stopping, and everything queued is done */
			w->running = 0;
			pthread_mutex_unlock(&w->mtx);
			break;
		}
		batch = db_writer_take(w, &n);
		pthread_mutex_unlock(&w->mtx);
		r = db_writer_run_batch(w, batch, n);
		db_writer_finish(w, batch, r);
	}
	return NULL;
}

/* Run the done callbacks of finished jobs; on the loop thread. */
static void
db_writer_deliver(struct db_writer *w)
{
	struct db_writer_job *job, *next;

	pthread_mutex_lock(&w->mtx);
	job = w->done.head;
	w->done.head = w->done.tail = NULL;
	pthread_mutex_unlock(&w->mtx);
	for (; job != NULL; job = next) {
		next = job->next;
		if (job->done != NULL)
			job->done(job->result, job->arg);
		free(job);
	}
}

static void
db_writer_done_cb(evutil_socket_t fd, short what, void *arg)
{
	uint64_t n;

	(void)what;
	(void)!read(fd, &n, sizeof(n));	/* reset the counter */
	db_writer_deliver(arg);
}

int
db_writer_start(struct event_base *base, struct db *db,
    unsigned int max_batch, struct db_writer **wp)
{
	struct db_writer *w;
	sigset_t all, old;
	int rc;

	*wp = NULL;
	w = xcalloc(1, sizeof(*w));
	w->db = db;
	w->max_batch = max_batch > 0 ? max_batch : DB_WRITER_MAX_BATCH;
	w->healthy = 1;
	if ((w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		log_err_r(ERR_SYSTEM, "eventfd failed");
		free(w);
		return ERR_SYSTEM;
	}
	w->ev = event_new(base, w->efd, EV_READ | EV_PERSIST,
	    db_writer_done_cb, w);
	if (w->ev == NULL || event_add(w->ev, NULL) != 0) {
		log_err_f("event_new failed");
		if (w->ev != NULL)
			event_free(w->ev);
		close(w->efd);
		free(w);
		return ERR_INTERNAL;
	}
	pthread_mutex_init(&w->mtx, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->running = 1;
	/* Signals are for the loop thread: the writer blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, db_writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_err_f("cannot start the writer thread | error=\"%s\"",
		    strerror(rc));
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->mtx);
		event_free(w->ev);
		close(w->efd);
		free(w);
		return ERR_SYSTEM;
	}
	*wp = w;
	return 0;
}

int
db_writer_submit(struct db_writer *w, db_write_fn *fn, db_done_fn *done,
    void *arg)
{
	struct db_writer_job *job;

	if (fn == NULL)
		return ERR_INVALID;
	job = xcalloc(1, sizeof(*job));
	job->fn = fn;
	job->done = done;
	job->arg = arg;
	pthread_mutex_lock(&w->mtx);
	if (w->stopping) {
		pthread_mutex_unlock(&w->mtx);
		free(job);
		return ERR_SHUTDOWN;
	}
	db_writer_list_append(&w->queue, job, job);
	w->stats.queued++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mtx);
	return 0;
}

int
db_writer_is_healthy(struct db_writer *w)
{
	int ok;

	pthread_mutex_lock(&w->mtx);
	ok = w->healthy && w->running;
	pthread_mutex_unlock(&w->mtx);
	return ok;
}

void
db_writer_stats(struct db_writer *w, struct db_writer_stats *st)
{
	pthread_mutex_lock(&w->mtx);
	*st = w->stats;
	pthread_mutex_unlock(&w->mtx);
}

void
db_writer_free(struct db_writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mtx);
	w->stopping = 1;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->mtx);
	pthread_join(w->thread, NULL);
	/* Callbacks may submit again: they get ERR_SHUTDOWN. */
	db_writer_deliver(w);
	event_free(w->ev);
	close(w->efd);
	db_close(w->db);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->mtx);
	free(w);
}
