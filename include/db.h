/* SPDX-License-Identifier: ISC */
/*
 * db.h: the SQLCipher store: key files, connections, schema migrations,
 * integrity checks and rekeying.
 *
 * Owns every SQL statement in carehub (db*.c only) and the key material
 * while a connection is being opened.  Does not own threads: the writer
 * thread that serialises writes lives in db_writer.h.
 *
 * A database is opened read-write without create: a wrong path or key is an
 * error, never a fresh empty database.  Only db_init() creates one.
 */
#ifndef CAREHUB_DB_H
#define CAREHUB_DB_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct db_key;

/* Flags for db_open(). */
#define DB_OPEN_READONLY	0x01	/* query-only connection */
#define DB_OPEN_EXCLUSIVE	0x02	/* hold an exclusive lock (carehubctl) */
#define DB_OPEN_NO_MIGRATE	0x04	/* do not apply migrations */

/* The schema version this build writes. */
int	db_schema_latest(void);

/*
 * Load a key file.  The file must be a regular file owned by the caller's
 * effective uid (or root) that no group or other user may read (mode 0600 or
 * 0400); otherwise ERR_KEYFILE with the reason in err.  A file holding
 * exactly 64 hex digits (and an optional trailing newline) is a raw 256-bit
 * key; anything else non-empty is a passphrase run through SQLCipher's KDF
 * (one trailing newline is not part of it).  The file buffer is wiped after
 * use.  *keyp is owned by the caller (db_key_free() wipes it).  Never logs
 * key material.
 */
int	db_key_load(const char *path, struct db_key **keyp, char *err,
	    size_t errlen);
void	db_key_free(struct db_key *key);
#define DB_KEY_FREE(k) do { db_key_free(k); (k) = NULL; } while (0)
/*
 * Write a new random raw key (64 hex digits and a newline) to path, mode
 * 0600, synced.  Never replaces a key: ERR_EXISTS if path exists.
 */
int	db_key_generate(const char *path);

/*
 * Create a new database at path (mode 0600) keyed with key and apply all
 * migrations.  ERR_EXISTS if path exists; on any other failure the partial
 * files are removed.
 */
int	db_init(const char *path, const struct db_key *key, char *err,
	    size_t errlen);

/*
 * Open an existing database.  Checks SQLCipher is 4.6 or newer, keys the
 * connection, probes a table (wrong key: ERR_DB_KEY), sets WAL,
 * synchronous=FULL, a busy timeout and cache_mb MiB of page cache (0:
 * default), then applies pending migrations unless DB_OPEN_NO_MIGRATE or
 * DB_OPEN_READONLY; refuses a schema newer than this build
 * (ERR_DB_VERSION).  A message for the operator is left in err.
 * ERR_NOT_FOUND if path does not exist (nothing is created), ERR_DB_KEY for
 * a wrong key, ERR_DB_BUSY if another process holds the database
 * exclusively (or DB_OPEN_EXCLUSIVE cannot get it at once), ERR_PERM if a
 * read-write open finds the file read-only, else ERR_DB.  The connection
 * must be used by one thread at a time.
 */
int	db_open(const char *path, const struct db_key *key, int flags,
	    int cache_mb, struct db **dbp, char *err, size_t errlen);
void	db_close(struct db *db);
#define DB_CLOSE(d) do { db_close(d); (d) = NULL; } while (0)

/* SQLCipher's version string ("4.6.1 community"); valid while db is open. */
const char *db_cipher_version(const struct db *db);
/* Schema version recorded in the database. */
int	db_schema_version(struct db *db, int *versionp);
/* Cheap liveness probe (one indexed read).  0 or ERR_DB. */
int	db_ping(struct db *db);
/* Size of the main database file in bytes (page_count * page_size). */
int	db_size(struct db *db, uint64_t *bytesp);
/*
 * Run PRAGMA cipher_integrity_check and PRAGMA integrity_check; 0 when both
 * report nothing wrong, else ERR_DB with the first problem in err.
 */
int	db_check(struct db *db, char *err, size_t errlen);

/* Transactions, for the writer thread and carehubctl. */
int	db_begin(struct db *db);		/* BEGIN IMMEDIATE */
int	db_commit(struct db *db);
int	db_rollback(struct db *db);
int	db_savepoint(struct db *db);		/* SAVEPOINT job */
int	db_savepoint_release(struct db *db);
int	db_savepoint_rollback(struct db *db);

/*
 * The hub's own key/value settings (table meta).  *valuep owned by caller;
 * ERR_NOT_FOUND if name is not set.
 */
int	db_meta_get(struct db *db, const char *name, char **valuep);
int	db_meta_set(struct db *db, const char *name, const char *value);

/*
 * Change the key of the (stopped) database at path from the key in
 * key_file to a new random raw key, surviving a crash at any point:
 *  1. the new key is written to KEYFILE.new and synced;
 *  2. the database is rekeyed in one transaction;
 *  3. the database is reopened with the new key and checked;
 *  4. the old key file is kept as KEYFILE.old, KEYFILE.new renamed over
 *     KEYFILE, the directory synced, then KEYFILE.old removed.
 * The database must not be in use: it is held with DB_OPEN_EXCLUSIVE
 * throughout steps 1-2 and 3-4 (ERR_DB_BUSY if carehubd runs).  Does not
 * apply migrations.  db_key_load_recover() finishes or undoes an
 * interrupted rekey.
 */
int	db_rekey(const char *path, const char *key_file, char *err,
	    size_t errlen);
/*
 * Load the key for path from key_file, completing an interrupted rekey:
 * if the key in key_file does not open the database but KEYFILE.new does,
 * KEYFILE.new becomes KEYFILE.  Stray KEYFILE.new/.old files left by a
 * rekey that did not reach the database are removed.  Use this instead of
 * db_key_load() wherever a database is opened.  Errors other than a bad key
 * file (a missing or busy database) are left for db_open() to report: the
 * key from key_file is returned as it is.
 */
int	db_key_load_recover(const char *path, const char *key_file,
	    struct db_key **keyp, char *err, size_t errlen);

#ifdef DB_PRIVATE
/* Test hook: called before each rekey step (1..4); NULL in production. */
extern void (*db_rekey_step_hook)(int step);
/* 0 if a PRAGMA cipher_version string is 4.6 or newer, else ERR_DB_VERSION. */
int	db_cipher_version_check(const char *version);
/* 1 if key is a raw 256-bit key, 0 if a passphrase. */
int	db_key_is_raw(const struct db_key *key);
#endif

#ifdef DB_INTERNAL
/*
 * The interface between db.c, db_key.c and db_migrate.c.  Only db*.c and
 * their unit tests define DB_INTERNAL: nothing else may run SQL.
 */
struct sqlite3;

/* The connection's SQLite handle and path. */
struct sqlite3 *db_handle(struct db *db);
const char *db_path(const struct db *db);
/* SQLite's message for the last error on db (never holds bound values). */
const char *db_errmsg(struct db *db);
/* Map an SQLite result code to ERR_DB_KEY, ERR_DB_BUSY or ERR_DB. */
int	db_rc_err(int rc);
/* Format a message into err (NULL or errlen 0: nothing). */
void	db_errf(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Run fixed SQL text without parameters (one or more statements). */
int	db_exec(struct db *db, const char *sql);
/* Key a new connection with key (db_key.c).  0 or ERR_DB. */
int	db_key_apply(struct sqlite3 *h, const struct db_key *key);
/* Re-encrypt the database open on db with key (db_key.c).  0 or ERR_DB. */
int	db_key_rekey_conn(struct db *db, const struct db_key *key);
/*
 * Check the schema version of db and, if apply, bring it up to date
 * (db_migrate.c).  fresh: db_init() is creating the database, so version 0
 * (no schema) is expected rather than an error.
 */
int	db_migrate(struct db *db, int apply, int fresh, char *err,
	    size_t errlen);
#endif

#endif
