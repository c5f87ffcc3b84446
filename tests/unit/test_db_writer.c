/* SPDX-License-Identifier: ISC */
/*
 * test_db_writer.c: the writer thread: group commits, a failing job, a
 * failing commit, batch limits, health, and draining on shutdown.
 *
 * Jobs that must share a batch are queued behind a "blocker" job that
 * holds the writer thread until the test releases it, so batch boundaries
 * are deterministic.
 */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <sqlite3.h>

#define DB_INTERNAL
#include "db.h"
#include "db_writer.h"
#include "err.h"
#include "log.h"
#include "util.h"

#define NJOBS		1000
#define SAFETY_SEC	20

enum job_kind {
	JOB_OK,		/* writes meta job-N */
	JOB_FAIL,	/* writes meta job-N, then fails */
	JOB_ORPHAN,	/* breaks a deferred foreign key: the commit fails */
	JOB_BLOCK,	/* waits until the test releases it */
};

struct wfx;

struct job {
	struct wfx	*f;
	enum job_kind	 kind;
	int		 n;
	int		 result;
	int		 done;
	int		 resubmit;	/* db_writer_submit() from done */
};

struct wfx {
	char		 dir[256];
	char		 db[512];
	char		 keyfile[512];
	struct db_key	*key;
	struct event_base *base;
	struct event	*safety;
	struct db_writer *w;
	int		 ndone;
	int		 want;		/* loopbreak after this many */
	int		 timed_out;
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cond;
	int		 blocked;	/* the blocker is running */
	int		 released;
};

static void
safety_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wfx *f = arg;

	(void)fd;
	(void)what;
	f->timed_out = 1;
	event_base_loopbreak(f->base);
}

static int
setup(void **state)
{
	struct wfx *f = xcalloc(1, sizeof(*f));
	const char *base = getenv("TMPDIR");
	struct timeval tv = { SAFETY_SEC, 0 };
	struct db *db = NULL;
	char err[512];

	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(f->dir, sizeof(f->dir), "%s/test_db_writer.XXXXXX", base);
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/carehub.db", f->dir);
	snprintf(f->keyfile, sizeof(f->keyfile), "%s/db.key", f->dir);
	if (db_key_generate(f->keyfile) != 0 ||
	    db_key_load(f->keyfile, &f->key, err, sizeof(err)) != 0 ||
	    db_init(f->db, f->key, err, sizeof(err)) != 0 ||
	    db_open(f->db, f->key, 0, 0, &db, err, sizeof(err)) != 0)
		return -1;
	if (db_exec(db, "CREATE TABLE parent (id INTEGER PRIMARY KEY); "
	    "CREATE TABLE child (pid INTEGER NOT NULL REFERENCES parent (id) "
	    "DEFERRABLE INITIALLY DEFERRED)") != 0)
		return -1;
	pthread_mutex_init(&f->mtx, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->base = event_base_new();
	f->safety = evtimer_new(f->base, safety_cb, f);
	event_add(f->safety, &tv);
	if (db_writer_start(f->base, db, 0, &f->w) != 0)
		return -1;
	*state = f;
	return 0;
}

static void
remove_dir(const char *dir)
{
	struct dirent *de;
	char path[PATH_MAX];
	DIR *d;

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			(void)unlink(path);
		}
		closedir(d);
	}
	(void)rmdir(dir);
}

static int
teardown(void **state)
{
	struct wfx *f = *state;

	db_writer_free(f->w);
	event_free(f->safety);
	event_base_free(f->base);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->mtx);
	db_key_free(f->key);
	remove_dir(f->dir);
	free(f);
	return 0;
}

static int
job_block(struct wfx *f)
{
	pthread_mutex_lock(&f->mtx);
	f->blocked = 1;
	pthread_cond_broadcast(&f->cond);
	while (!f->released)
		pthread_cond_wait(&f->cond, &f->mtx);
	pthread_mutex_unlock(&f->mtx);
	return 0;
}

static int
job_fn(struct db *db, void *arg)
{
	struct job *j = arg;
	char name[32];
	int r;

	if (j->kind == JOB_BLOCK)
		return job_block(j->f);
	if (j->kind == JOB_ORPHAN)
		return db_exec(db, "INSERT INTO child (pid) VALUES (999)");
	snprintf(name, sizeof(name), "job-%d", j->n);
	if ((r = db_meta_set(db, name, "done")) != 0)
		return r;
	return j->kind == JOB_FAIL ? ERR_INVALID : 0;
}

static void
job_done(int result, void *arg)
{
	struct job *j = arg;
	struct wfx *f = j->f;

	j->result = result;
	j->done++;
	j->resubmit = db_writer_submit(f->w, job_fn, NULL, j);
	if (j->resubmit == 0)
		j->resubmit = 1;	/* accepted: not expected here */
	if (++f->ndone == f->want)
		event_base_loopbreak(f->base);
}

static struct job *
jobs_new(struct wfx *f, int n, enum job_kind kind)
{
	struct job *jobs = xcalloc((size_t)n, sizeof(*jobs));
	int i;

	for (i = 0; i < n; i++) {
		jobs[i].f = f;
		jobs[i].kind = kind;
		jobs[i].n = i;
	}
	return jobs;
}

/*
 * The done callback above resubmits, which must fail only after shutdown
 * has begun; while running, use this one.
 */
static void
job_done_running(int result, void *arg)
{
	struct job *j = arg;
	struct wfx *f = j->f;

	j->result = result;
	j->done++;
	if (++f->ndone == f->want)
		event_base_loopbreak(f->base);
}

static void
submit(struct wfx *f, struct job *j)
{
	assert_int_equal(db_writer_submit(f->w, job_fn, job_done_running, j),
	    0);
}

/* Queue the blocker and wait until the writer thread is inside it. */
static void
block_writer(struct wfx *f, struct job *blocker)
{
	blocker->f = f;
	blocker->kind = JOB_BLOCK;
	submit(f, blocker);
	pthread_mutex_lock(&f->mtx);
	while (!f->blocked)
		pthread_cond_wait(&f->cond, &f->mtx);
	pthread_mutex_unlock(&f->mtx);
}

static void
release_writer(struct wfx *f)
{
	pthread_mutex_lock(&f->mtx);
	f->released = 1;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->mtx);
}

static void
run_loop(struct wfx *f, int want)
{
	f->want = want;
	if (f->ndone < want)
		event_base_dispatch(f->base);
	assert_false(f->timed_out);
	assert_int_equal(f->ndone, want);
}

/* Count meta rows named job-N through a separate connection. */
static int
count_rows(struct wfx *f, const char *like)
{
	struct db *db = NULL;
	sqlite3_stmt *st = NULL;
	char err[256];
	int n;

	assert_int_equal(db_open(f->db, f->key, DB_OPEN_READONLY, 0, &db, err,
	    sizeof(err)), 0);
	assert_int_equal(sqlite3_prepare_v2(db_handle(db),
	    "SELECT count(*) FROM meta WHERE name LIKE ?1", -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, like, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	db_close(db);
	return n;
}

static void
submit_many_cb(evutil_socket_t fd, short what, void *arg)
{
	struct job *jobs = arg;
	int i;

	(void)fd;
	(void)what;
	for (i = 0; i < NJOBS; i++)
		submit(jobs[0].f, &jobs[i]);
}

static void
test_batching(void **state)
{
	struct wfx *f = *state;
	struct job *jobs = jobs_new(f, NJOBS, JOB_OK);
	struct db_writer_stats st;
	struct event *ev;
	int i;

	/* submitted from inside the loop, as carehubd does */
	ev = event_new(f->base, -1, 0, submit_many_cb, jobs);
	event_active(ev, EV_READ, 0);
	run_loop(f, NJOBS);
	event_free(ev);
	for (i = 0; i < NJOBS; i++) {
		assert_int_equal(jobs[i].done, 1);
		assert_int_equal(jobs[i].result, 0);
	}
	db_writer_stats(f->w, &st);
	assert_int_equal(st.jobs_ok, NJOBS);
	assert_int_equal(st.jobs_failed, 0);
	assert_int_equal(st.queued, 0);
	assert_true(st.batches >= 1);
	assert_true(st.batches < NJOBS);
	assert_true(db_writer_is_healthy(f->w));
	assert_int_equal(count_rows(f, "job-%"), NJOBS);
	free(jobs);
}

static void
test_failing_job_alone(void **state)
{
	struct wfx *f = *state;
	struct job blocker = { 0 }, *jobs = jobs_new(f, 3, JOB_OK);
	struct db_writer_stats st;

	block_writer(f, &blocker);
	jobs[1].kind = JOB_FAIL;
	submit(f, &jobs[0]);
	submit(f, &jobs[1]);
	submit(f, &jobs[2]);
	release_writer(f);
	run_loop(f, 4);
	assert_int_equal(jobs[0].result, 0);
	assert_int_equal(jobs[1].result, ERR_INVALID);
	assert_int_equal(jobs[2].result, 0);
	db_writer_stats(f->w, &st);
	assert_int_equal(st.batches, 2);	/* blocker, then the three */
	assert_int_equal(st.jobs_ok, 3);
	assert_int_equal(st.jobs_failed, 1);
	assert_int_equal(st.commit_failures, 0);
	assert_true(db_writer_is_healthy(f->w));
	/* the failed job's own write was rolled back */
	assert_int_equal(count_rows(f, "job-0"), 1);
	assert_int_equal(count_rows(f, "job-1"), 0);
	assert_int_equal(count_rows(f, "job-2"), 1);
	free(jobs);
}

static void
test_failing_commit_fails_batch(void **state)
{
	struct wfx *f = *state;
	struct job blocker = { 0 }, *jobs = jobs_new(f, 4, JOB_OK);
	struct db_writer_stats st;

	block_writer(f, &blocker);
	jobs[1].kind = JOB_ORPHAN;
	submit(f, &jobs[0]);
	submit(f, &jobs[1]);
	submit(f, &jobs[2]);
	release_writer(f);
	run_loop(f, 4);
	/* each job ran fine; the deferred foreign key fails COMMIT */
	assert_int_equal(jobs[0].result, ERR_DB);
	assert_int_equal(jobs[1].result, ERR_DB);
	assert_int_equal(jobs[2].result, ERR_DB);
	assert_false(db_writer_is_healthy(f->w));
	db_writer_stats(f->w, &st);
	assert_int_equal(st.batches, 2);
	assert_int_equal(st.commit_failures, 1);
	assert_int_equal(st.jobs_failed, 3);
	assert_int_equal(count_rows(f, "job-%"), 0);
	/* the next good commit makes it healthy again */
	submit(f, &jobs[3]);
	run_loop(f, 5);
	assert_int_equal(jobs[3].result, 0);
	assert_true(db_writer_is_healthy(f->w));
	assert_int_equal(count_rows(f, "job-3"), 1);
	free(jobs);
}

static void
test_max_batch(void **state)
{
	struct wfx *f = *state;
	struct job blocker = { 0 }, *jobs = jobs_new(f, 100, JOB_OK);
	struct db_writer_stats st;
	struct db *db = NULL;
	char err[256];
	int i;

	/* a second writer on its own connection, batches of at most 10 */
	db_writer_free(f->w);
	assert_int_equal(db_open(f->db, f->key, 0, 0, &db, err, sizeof(err)),
	    0);
	assert_int_equal(db_writer_start(f->base, db, 10, &f->w), 0);
	block_writer(f, &blocker);
	for (i = 0; i < 100; i++)
		submit(f, &jobs[i]);
	db_writer_stats(f->w, &st);
	assert_int_equal(st.queued, 100);
	release_writer(f);
	run_loop(f, 101);
	db_writer_stats(f->w, &st);
	assert_int_equal(st.batches, 11);
	assert_int_equal(st.jobs_ok, 101);
	assert_int_equal(count_rows(f, "job-%"), 100);
	free(jobs);
}

static void
test_shutdown_drains(void **state)
{
	struct wfx *f = *state;
	struct job *jobs = jobs_new(f, 200, JOB_OK);
	int i;

	for (i = 0; i < 200; i++)
		assert_int_equal(db_writer_submit(f->w, job_fn, job_done,
		    &jobs[i]), 0);
	/* without running the loop: free finishes and delivers all */
	db_writer_free(f->w);
	f->w = NULL;
	for (i = 0; i < 200; i++) {
		assert_int_equal(jobs[i].done, 1);
		assert_int_equal(jobs[i].result, 0);
		assert_int_equal(jobs[i].resubmit, ERR_SHUTDOWN);
	}
	assert_int_equal(count_rows(f, "job-%"), 200);
	db_writer_free(NULL);
	free(jobs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batching, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_failing_job_alone, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_failing_commit_fails_batch,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_batch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_drains, setup,
		    teardown),
	};

	log_init("test_db_writer", LOG_LEVEL_ERR, 0);
	/* no evthread_use_pthreads(): the writer must wake an unlocked base */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
