/* SPDX-License-Identifier: ISC */
/*
 * db_writer.h: the single writer thread and its group commits.
 *
 * Owns the only read-write connection while the daemon runs.  Jobs are
 * queued from the event loop; the writer thread runs as many as are queued
 * in one transaction (each inside a savepoint, so one failing job does not
 * fail the others), commits with synchronous=FULL, and then hands every
 * job's result back to the event loop, where its done callback runs.  The
 * loop never waits on a commit.  If the commit fails, every job in the batch
 * gets the error.  The thread wakes the loop through an eventfd, so the
 * event base needs no locking (no evthread_use_pthreads()).
 */
#ifndef CAREHUB_DB_WRITER_H
#define CAREHUB_DB_WRITER_H

#include <stdint.h>

struct db;
struct db_writer;
struct event_base;

/* Runs on the writer thread inside the batch transaction. */
typedef int db_write_fn(struct db *db, void *arg);
/* Runs on the event loop once the batch is durable (result 0) or failed. */
typedef void db_done_fn(int result, void *arg);

struct db_writer_stats {
	uint64_t	batches;	/* transactions committed or failed */
	uint64_t	jobs_ok;
	uint64_t	jobs_failed;
	uint64_t	commit_failures;
	unsigned int	queued;		/* jobs waiting now */
};

/*
 * Start the writer thread on db (ownership transferred on success; closed
 * by db_writer_free(); on failure the caller still owns db).  Completions
 * are delivered on base.  max_batch bounds the jobs in one transaction (0:
 * 1024).  0, ERR_SYSTEM or ERR_INTERNAL.  Call on the loop thread.
 */
int	db_writer_start(struct event_base *base, struct db *db,
	    unsigned int max_batch, struct db_writer **wp);
/*
 * Queue a job.  fn runs on the writer thread; done runs on the loop with
 * fn's result, or the commit's error.  ERR_SHUTDOWN once stopping.
 */
int	db_writer_submit(struct db_writer *w, db_write_fn *fn, db_done_fn *done,
	    void *arg);
/* 1 while the last transaction committed and the thread is running. */
int	db_writer_is_healthy(struct db_writer *w);
void	db_writer_stats(struct db_writer *w, struct db_writer_stats *st);
/*
 * Finish queued jobs, stop the thread, deliver outstanding completions on
 * the calling (loop) thread, close the connection.  Accepts NULL.
 */
void	db_writer_free(struct db_writer *w);

#endif
