/* SPDX-License-Identifier: ISC */
/*
 * db.c: SQLCipher connections: open, pragmas, checks, meta, transactions.
 *
 * Owns the sqlite3 handle of each struct db and the process-wide SQLite
 * set-up (its error log routed into ours, SQLCipher's own log silenced).
 * Opening is strict: no file is ever created except by db_init(), the key
 * is proved by reading the schema before anything else, and SQLCipher older
 * than 4.6 is refused.  Does not own key material (db_key.c), the schema
 * (db_migrate.c) or threads (db_writer.c).  Every statement here is fixed
 * text; values are bound.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#define DB_INTERNAL
#define DB_PRIVATE
#include "db.h"
#include "err.h"
#include "log.h"
#include "util.h"

#define DB_BUSY_TIMEOUT_MS	5000	/* normal connections */
#define DB_LOCK_TIMEOUT_MS	200	/* DB_OPEN_EXCLUSIVE: fail fast */
#define DB_CACHE_MB_MAX		(INT_MAX / 1024)
#define DB_MSG_BUSY		"database is in use: is carehubd running?"

/* Internal flag: db_init() is creating the database. */
#define DB_OPEN_FRESH		0x100

struct db {
	sqlite3		*h;
	char		*path;
	char		*cipher_version;
	int		 flags;
};

static pthread_once_t db_once = PTHREAD_ONCE_INIT;
static int db_once_rc = SQLITE_OK;

/*
 * SQLite's error log (sqlite3_log()) in our format.  Messages carry an
 * error text and at most the text of a statement; our statements bind
 * their values, so no record content can appear, and digit runs are masked
 * all the same.  Must not call SQLite.
 */
static void
db_sqlite_log_cb(void *arg, int code, const char *msg)
{
	char masked[256];

	(void)arg;
	log_mask_value(msg, masked, sizeof(masked));
	log_debug("sqlite | code=%d msg=\"%s\"", code, masked);
}

/*
 * Once per process.  SQLCipher 4.6.1 logs to stderr at level WARN by
 * default, and sets that default when the first key in the process is
 * applied (a level set earlier is lost).  So apply a throw-away key to an
 * in-memory database first, then switch its log off; db_open() switches it
 * off again on every connection in case a later SQLCipher re-arms it.
 */
static void
db_global_init(void)
{
	sqlite3 *h = NULL;
	int rc;

	rc = sqlite3_config(SQLITE_CONFIG_LOG, db_sqlite_log_cb, NULL);
	if (rc != SQLITE_OK)
		log_debug_f("SQLite log not routed | rc=%d", rc);
	if ((db_once_rc = sqlite3_initialize()) != SQLITE_OK)
		return;
	rc = sqlite3_open_v2(":memory:", &h,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK && sqlite3_key(h, "x", 1) == SQLITE_OK)
		(void)sqlite3_exec(h, "PRAGMA cipher_log_level = NONE", NULL,
		    NULL, NULL);
	sqlite3_close(h);
}

void
db_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
db_rc_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOTADB:
		return ERR_DB_KEY;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return ERR_DB_BUSY;
	default:
		return ERR_DB;
	}
}

struct sqlite3 *
db_handle(struct db *db)
{
	return db->h;
}

const char *
db_path(const struct db *db)
{
	return db->path;
}

const char *
db_errmsg(struct db *db)
{
	return sqlite3_errmsg(db->h);
}

int
db_exec(struct db *db, const char *sql)
{
	int rc;

	if ((rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL)) != SQLITE_OK)
		log_debug_f("statement failed | rc=%d msg=\"%s\"", rc,
		    sqlite3_errmsg(db->h));
	return db_rc_err(rc);
}

/* Prepare fixed SQL text; *stp is NULL on failure. */
static int
db_prepare(struct db *db, const char *sql, sqlite3_stmt **stp)
{
	int rc;

	*stp = NULL;
	if ((rc = sqlite3_prepare_v2(db->h, sql, -1, stp, NULL)) != SQLITE_OK) {
		log_debug_f("prepare failed | rc=%d msg=\"%s\"", rc,
		    sqlite3_errmsg(db->h));
		sqlite3_finalize(*stp);
		*stp = NULL;
	}
	return db_rc_err(rc);
}

/*
 * Run a statement returning one row and copy its first column as text into
 * *valuep (NULL if the statement gives no row).  Returns the SQLite code.
 */
static int
db_query_text(struct db *db, const char *sql, char **valuep)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *v;
	int rc;

	*valuep = NULL;
	if ((rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL)) != SQLITE_OK)
		goto out;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((v = sqlite3_column_text(st, 0)) != NULL)
			*valuep = xstrdup((const char *)v);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
 out:
	sqlite3_finalize(st);
	return rc;
}

static int
db_query_int64(struct db *db, const char *sql, int64_t *valuep)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	*valuep = 0;
	if ((r = db_prepare(db, sql, &st)) != 0)
		goto out;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? ERR_DB : db_rc_err(rc);
		goto out;
	}
	*valuep = sqlite3_column_int64(st, 0);
	r = 0;
 out:
	sqlite3_finalize(st);
	return r;
}

int
db_cipher_version_check(const char *version)
{
	unsigned long major, minor;
	char *end;

	if (version == NULL || !isdigit((unsigned char)version[0]))
		return ERR_DB_VERSION;
	major = strtoul(version, &end, 10);
	if (*end != '.' || !isdigit((unsigned char)end[1]))
		return ERR_DB_VERSION;
	minor = strtoul(end + 1, NULL, 10);
	if (major > 4 || (major == 4 && minor >= 6))
		return 0;
	return ERR_DB_VERSION;
}

/*
 * Open the file without ever creating it.  A read-write open that SQLite
 * quietly degrades to read-only (file not writable) is refused.
 */
static int
db_open_file(struct db *db, char *err, size_t errlen)
{
	struct stat st;
	int flags, rc;

	if (stat(db->path, &st) != 0) {
		if (errno == ENOENT) {
			db_errf(err, errlen, "database %s does not exist "
			    "(create it with carehubctl db init)", db->path);
			return ERR_NOT_FOUND;
		}
		db_errf(err, errlen, "cannot open database %s: %s", db->path,
		    strerror(errno));
		return ERR_SYSTEM;
	}
	if (!S_ISREG(st.st_mode) || (st.st_size == 0 &&
	    !(db->flags & DB_OPEN_FRESH))) {
		db_errf(err, errlen, "%s is %s, not a carehub database",
		    db->path, S_ISREG(st.st_mode) ? "empty" : "not a file");
		return ERR_DB;
	}
	flags = SQLITE_OPEN_NOMUTEX | ((db->flags & DB_OPEN_READONLY) ?
	    SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
	rc = sqlite3_open_v2(db->path, &db->h, flags, NULL);
	if (rc != SQLITE_OK) {
		db_errf(err, errlen, "cannot open database %s: %s", db->path,
		    db->h != NULL ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		return ERR_DB;
	}
	if (!(db->flags & DB_OPEN_READONLY) &&
	    sqlite3_db_readonly(db->h, "main") == 1) {
		db_errf(err, errlen, "database %s is not writable by this user",
		    db->path);
		return ERR_PERM;
	}
	return 0;
}

/* Key the connection, silence SQLCipher's log, require SQLCipher >= 4.6. */
static int
db_open_key(struct db *db, const struct db_key *key, char *err,
    size_t errlen)
{
	int r;

	if ((r = db_key_apply(db->h, key)) != 0) {
		db_errf(err, errlen, "cannot key database %s: %s", db->path,
		    sqlite3_errmsg(db->h));
		return r;
	}
	(void)db_exec(db, "PRAGMA cipher_log_level = NONE");
	if (db_query_text(db, "PRAGMA cipher_version",
	    &db->cipher_version) != SQLITE_OK || db->cipher_version == NULL) {
		db_errf(err, errlen, "SQLCipher 4.6 or newer required, found "
		    "plain SQLite %s", sqlite3_libversion());
		return ERR_DB_VERSION;
	}
	if (db_cipher_version_check(db->cipher_version) != 0) {
		db_errf(err, errlen, "SQLCipher 4.6 or newer required, "
		    "found %s", db->cipher_version);
		return ERR_DB_VERSION;
	}
	return 0;
}

/* Read the schema: the first read that needs the key. */
static int
db_open_probe(struct db *db, char *err, size_t errlen)
{
	int64_t n;
	int r;

	if ((r = db_query_int64(db, "SELECT count(*) FROM sqlite_schema",
	    &n)) == 0)
		return 0;
	if (r == ERR_DB_KEY)
		db_errf(err, errlen, "cannot decrypt database %s: wrong key, "
		    "or not a carehub database", db->path);
	else if (r == ERR_DB_BUSY)
		db_errf(err, errlen, DB_MSG_BUSY);
	else
		db_errf(err, errlen, "cannot read database %s: %s", db->path,
		    sqlite3_errmsg(db->h));
	return r;
}

static int
db_open_wal(struct db *db, char *err, size_t errlen)
{
	char *mode = NULL;
	int rc, r = 0;

	rc = db_query_text(db, "PRAGMA journal_mode = WAL", &mode);
	if (rc != SQLITE_OK || mode == NULL || strcmp(mode, "wal") != 0) {
		if ((r = db_rc_err(rc)) == ERR_DB_BUSY)
			db_errf(err, errlen, DB_MSG_BUSY);
		else
			db_errf(err, errlen, "cannot set WAL mode on %s: %s",
			    db->path, rc != SQLITE_OK ? sqlite3_errmsg(db->h) :
			    "refused");
		r = r != 0 ? r : ERR_DB;
	}
	free(mode);
	return r;
}

static int
db_open_pragmas(struct db *db, int cache_mb, char *err, size_t errlen)
{
	char sql[64];
	int r;

	if (!(db->flags & DB_OPEN_READONLY) &&
	    (r = db_open_wal(db, err, errlen)) != 0)
		return r;
	if ((r = db_exec(db, "PRAGMA synchronous = FULL")) != 0 ||
	    (r = db_exec(db, "PRAGMA foreign_keys = ON")) != 0)
		goto fail;
	if (cache_mb > 0) {
		snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d",
		    (cache_mb > DB_CACHE_MB_MAX ? DB_CACHE_MB_MAX : cache_mb) *
		    1024);
		if ((r = db_exec(db, sql)) != 0)
			goto fail;
	}
	return 0;
 fail:
	db_errf(err, errlen, "cannot configure database %s: %s", db->path,
	    sqlite3_errmsg(db->h));
	return r;
}

/* Take the exclusive lock now rather than at the first write. */
static int
db_open_lock(struct db *db, char *err, size_t errlen)
{
	int r;

	if ((r = db_exec(db, "BEGIN EXCLUSIVE")) == 0 &&
	    (r = db_exec(db, "COMMIT")) == 0)
		return 0;
	if (!sqlite3_get_autocommit(db->h))
		(void)db_exec(db, "ROLLBACK");
	if (r == ERR_DB_BUSY)
		db_errf(err, errlen, DB_MSG_BUSY);
	else
		db_errf(err, errlen, "cannot lock database %s: %s", db->path,
		    sqlite3_errmsg(db->h));
	return r;
}

static int
db_open_flags(const char *path, const struct db_key *key, int flags,
    int cache_mb, struct db **dbp, char *err, size_t errlen)
{
	struct db *db = NULL;
	int excl = flags & DB_OPEN_EXCLUSIVE, r = ERR_INTERNAL;

	*dbp = NULL;
	db_errf(err, errlen, "%s", "");
	pthread_once(&db_once, db_global_init);
	if (db_once_rc != SQLITE_OK) {
		db_errf(err, errlen, "cannot initialise SQLite: %s",
		    sqlite3_errstr(db_once_rc));
		r = ERR_DB;
		goto out;
	}
	db = xcalloc(1, sizeof(*db));
	db->path = xstrdup(path);
	db->flags = flags;
	if ((r = db_open_file(db, err, errlen)) != 0 ||
	    (r = db_open_key(db, key, err, errlen)) != 0)
		goto out;
	sqlite3_busy_timeout(db->h, excl ? DB_LOCK_TIMEOUT_MS :
	    DB_BUSY_TIMEOUT_MS);
	if (excl && (r = db_exec(db, "PRAGMA locking_mode = EXCLUSIVE")) != 0)
		goto out;
	if ((r = db_open_probe(db, err, errlen)) != 0 ||
	    (r = db_open_pragmas(db, cache_mb, err, errlen)) != 0)
		goto out;
	if (excl && (r = db_open_lock(db, err, errlen)) != 0)
		goto out;
	sqlite3_busy_timeout(db->h, DB_BUSY_TIMEOUT_MS);
	if ((r = db_migrate(db, !(flags & (DB_OPEN_READONLY |
	    DB_OPEN_NO_MIGRATE)), (flags & DB_OPEN_FRESH) != 0, err,
	    errlen)) != 0)
		goto out;
	/* success */
	*dbp = db;
	db = NULL;	/* transferred */
	r = 0;
 out:
	db_close(db);
	return r;
}

int
db_open(const char *path, const struct db_key *key, int flags,
    int cache_mb, struct db **dbp, char *err, size_t errlen)
{
	return db_open_flags(path, key, flags & (DB_OPEN_READONLY |
	    DB_OPEN_EXCLUSIVE | DB_OPEN_NO_MIGRATE), cache_mb, dbp, err,
	    errlen);
}

static void
db_remove_files(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char *p;
	size_t i;

	for (i = 0; i < NELEMS(suffix); i++) {
		xasprintf(&p, "%s%s", path, suffix[i]);
		(void)unlink(p);
		free(p);
	}
}

int
db_init(const char *path, const struct db_key *key, char *err,
    size_t errlen)
{
	struct db *db = NULL;
	int fd, created = 0, r = ERR_INTERNAL;

	db_errf(err, errlen, "%s", "");
	/* Created here, not by SQLite, so that it is ours and mode 0600. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0) {
		r = errno == EEXIST ? ERR_EXISTS : ERR_SYSTEM;
		db_errf(err, errlen, "cannot create database %s: %s", path,
		    r == ERR_EXISTS ? "it already exists" : strerror(errno));
		goto out;
	}
	created = 1;
	close(fd);
	if ((r = db_open_flags(path, key, DB_OPEN_FRESH, 0, &db, err,
	    errlen)) != 0)
		goto out;
	DB_CLOSE(db);
	if ((r = util_fsync_dir(path)) != 0) {
		db_errf(err, errlen, "cannot sync the directory of %s: %s",
		    path, strerror(errno));
		goto out;
	}
	log_info("database created | path=%s schema=%d", path,
	    db_schema_latest());
	r = 0;
 out:
	db_close(db);
	if (r != 0 && created)
		db_remove_files(path);
	return r;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	if (db->h != NULL && sqlite3_close(db->h) != SQLITE_OK) {
		/* A statement was left open: a bug, but do not leak the fd. */
		log_err_f("database closed with statements open | path=%s",
		    db->path);
		sqlite3_close_v2(db->h);
	}
	free(db->path);
	free(db->cipher_version);
	free(db);
}

const char *
db_cipher_version(const struct db *db)
{
	return db->cipher_version;
}

int
db_ping(struct db *db)
{
	int64_t n;

	return db_query_int64(db,
	    "SELECT count(*) FROM meta WHERE name = 'hub_id'", &n) == 0 ? 0 :
	    ERR_DB;
}

int
db_size(struct db *db, uint64_t *bytesp)
{
	int64_t pages, size;
	int r;

	*bytesp = 0;
	if ((r = db_query_int64(db, "PRAGMA page_count", &pages)) != 0 ||
	    (r = db_query_int64(db, "PRAGMA page_size", &size)) != 0)
		return r;
	*bytesp = (uint64_t)pages * (uint64_t)size;
	return 0;
}

/*
 * Run an integrity pragma; every row that is not "ok" is a problem and the
 * first one goes to err.  Returns the number of problems or an ERR_*.
 */
static int
db_check_pragma(struct db *db, const char *sql, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	const char *v;
	int n = 0, rc, r;

	if ((r = db_prepare(db, sql, &st)) != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = (const char *)sqlite3_column_text(st, 0);
		if (v != NULL && strcmp(v, "ok") == 0)
			continue;
		if (n++ == 0)
			db_errf(err, errlen, "%s: %s", sql + strlen("PRAGMA "),
			    v != NULL ? v : "(null)");
	}
	if (rc != SQLITE_DONE) {
		db_errf(err, errlen, "%s failed: %s", sql,
		    sqlite3_errmsg(db->h));
		r = db_rc_err(rc);
		goto out;
	}
	r = n;
 out:
	sqlite3_finalize(st);
	return r;
}

int
db_check(struct db *db, char *err, size_t errlen)
{
	int n;

	db_errf(err, errlen, "%s", "");
	if ((n = db_check_pragma(db, "PRAGMA cipher_integrity_check", err,
	    errlen)) == 0)
		n = db_check_pragma(db, "PRAGMA integrity_check", err, errlen);
	if (n == 0)
		return 0;
	log_warn("database check failed | path=%s problems=%d", db->path,
	    n > 0 ? n : 0);
	return ERR_DB;
}

int
db_begin(struct db *db)
{
	return db_exec(db, "BEGIN IMMEDIATE");
}

int
db_commit(struct db *db)
{
	return db_exec(db, "COMMIT");
}

int
db_rollback(struct db *db)
{
	/* A failed COMMIT may already have rolled back (I/O errors). */
	if (sqlite3_get_autocommit(db->h))
		return 0;
	return db_exec(db, "ROLLBACK");
}

int
db_savepoint(struct db *db)
{
	return db_exec(db, "SAVEPOINT job");
}

int
db_savepoint_release(struct db *db)
{
	return db_exec(db, "RELEASE job");
}

int
db_savepoint_rollback(struct db *db)
{
	int r;

	/* ROLLBACK TO keeps the savepoint open; RELEASE closes it. */
	if ((r = db_exec(db, "ROLLBACK TO job")) != 0)
		return r;
	return db_exec(db, "RELEASE job");
}

int
db_meta_get(struct db *db, const char *name, char **valuep)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *v;
	int rc, r;

	*valuep = NULL;
	if ((r = db_prepare(db, "SELECT value FROM meta WHERE name = ?1",
	    &st)) != 0)
		goto out;
	if ((rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC)) !=
	    SQLITE_OK) {
		r = db_rc_err(rc);
		goto out;
	}
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? ERR_NOT_FOUND : db_rc_err(rc);
		goto out;
	}
	v = sqlite3_column_text(st, 0);
	/* success */
	*valuep = xstrdup(v != NULL ? (const char *)v : "");
	r = 0;
 out:
	sqlite3_finalize(st);
	return r;
}

int
db_meta_set(struct db *db, const char *name, const char *value)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = db_prepare(db, "INSERT INTO meta (name, value) "
	    "VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = "
	    "excluded.value", &st)) != 0)
		goto out;
	if ((rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		log_debug_f("meta write failed | rc=%d msg=\"%s\"", rc,
		    sqlite3_errmsg(db->h));
		r = db_rc_err(rc);
		goto out;
	}
	r = 0;
 out:
	sqlite3_finalize(st);
	return r;
}
