/* SPDX-License-Identifier: ISC */
/*
 * test_db.c: the store: key files, opening (wrong key, missing file,
 * versions, exclusive lock), migrations, checks, meta, transactions, no
 * plaintext on disk, logging, and rekeying with a crash at every step.
 *
 * Every test works in its own mkdtemp() directory under $TMPDIR (or /tmp)
 * and removes it.  Keys are raw (about 1 ms per open) except in
 * test_passphrase.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#define DB_INTERNAL
#include "db.h"
#include "err.h"
#include "log.h"
#include "util.h"

#define MARKER	"CAREHUB-PLAINTEXT-MARKER-7f3a9c"

struct tfx {
	char		 dir[256];
	char		 db[512];
	char		 keyfile[512];
	struct db_key	*key;
	char		 err[512];
};

static int
setup(void **state)
{
	struct tfx *t = xcalloc(1, sizeof(*t));
	const char *base = getenv("TMPDIR");

	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(t->dir, sizeof(t->dir), "%s/test_db.XXXXXX", base);
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return -1;
	}
	snprintf(t->db, sizeof(t->db), "%s/carehub.db", t->dir);
	snprintf(t->keyfile, sizeof(t->keyfile), "%s/db.key", t->dir);
	if (db_key_generate(t->keyfile) != 0 ||
	    db_key_load(t->keyfile, &t->key, t->err, sizeof(t->err)) != 0)
		return -1;
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct tfx *t = *state;
	struct dirent *de;
	char path[PATH_MAX];
	DIR *d;

	db_key_free(t->key);
	if ((d = opendir(t->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", t->dir,
			    de->d_name);
			if (unlink(path) != 0)
				(void)rmdir(path);
		}
		closedir(d);
	}
	(void)rmdir(t->dir);
	free(t);
	return 0;
}

static void
tfx_path(const struct tfx *t, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", t->dir, name);
}

static void
write_file(const char *path, const char *content, size_t len, mode_t mode)
{
	int fd;

	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* 1 if the bytes of s occur in the file at path (which must exist). */
static int
file_contains(const char *path, const char *s)
{
	char *buf = NULL;
	size_t len;
	int found;

	assert_int_equal(util_read_file(path, 64 * 1024 * 1024, &buf, &len),
	    0);
	found = memmem(buf, len, s, strlen(s)) != NULL;
	free(buf);
	return found;
}

static void
init_db(struct tfx *t)
{
	assert_int_equal(db_init(t->db, t->key, t->err, sizeof(t->err)), 0);
}

static struct db *
open_db(struct tfx *t, const struct db_key *key, int flags)
{
	struct db *db = NULL;
	int r;

	r = db_open(t->db, key, flags, 0, &db, t->err, sizeof(t->err));
	if (r != 0)
		print_error("db_open: %s\n", t->err);
	assert_int_equal(r, 0);
	return db;
}

static void
test_key_file_mode(void **state)
{
	struct tfx *t = *state;
	struct db_key *key = NULL;
	char path[PATH_MAX], want[PATH_MAX + 128];

	tfx_path(t, "k", path, sizeof(path));
	write_file(path, "correct horse\n", 14, 0644);
	assert_int_equal(db_key_load(path, &key, t->err, sizeof(t->err)),
	    ERR_KEYFILE);
	assert_null(key);
	snprintf(want, sizeof(want), "key file %s is readable by group or "
	    "others (mode 0644); chmod 600 it", path);
	assert_string_equal(t->err, want);
	assert_int_equal(chmod(path, 0620), 0);
	assert_int_equal(db_key_load(path, &key, t->err, sizeof(t->err)),
	    ERR_KEYFILE);
	assert_non_null(strstr(t->err, "writable by group or others"));
	assert_int_equal(chmod(path, 0601), 0);
	assert_int_equal(db_key_load(path, &key, NULL, 0), ERR_KEYFILE);
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(db_key_load(path, &key, t->err, sizeof(t->err)), 0);
	DB_KEY_FREE(key);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(db_key_load(path, &key, t->err, sizeof(t->err)), 0);
	DB_KEY_FREE(key);
	if (geteuid() == 0) {
		/* not ours and not root's */
		assert_int_equal(chown(path, 4242, 4242), 0);
		assert_int_equal(db_key_load(path, &key, t->err,
		    sizeof(t->err)), ERR_KEYFILE);
		assert_non_null(strstr(t->err, "owned by uid 4242"));
	}
	assert_int_equal(db_key_load(t->dir, &key, t->err, sizeof(t->err)),
	    ERR_KEYFILE);
	assert_non_null(strstr(t->err, "not a regular file"));
	tfx_path(t, "missing", path, sizeof(path));
	assert_int_equal(db_key_load(path, &key, t->err, sizeof(t->err)),
	    ERR_KEYFILE);
	assert_null(key);
}

static int
load_content(struct tfx *t, const char *content, size_t len,
    struct db_key **keyp)
{
	char path[PATH_MAX];

	tfx_path(t, "k", path, sizeof(path));
	write_file(path, content, len, 0600);
	return db_key_load(path, keyp, t->err, sizeof(t->err));
}

/* systemd credentials: root-owned 0440 (ACL) is fine there, not elsewhere */
static void
test_key_credential_mode(void **state)
{
	struct tfx *t = *state;
	struct db_key *key = NULL;
	char path[PATH_MAX];

	tfx_path(t, "db.key", path, sizeof(path));
	write_file(path, "correct horse\n", 14, 0440);
	unsetenv("CREDENTIALS_DIRECTORY");
	assert_int_equal(db_key_load(path, &key, t->err, sizeof(t->err)),
	    ERR_KEYFILE);
	setenv("CREDENTIALS_DIRECTORY", t->dir, 1);
	assert_int_equal(db_key_load(path, &key, t->err, sizeof(t->err)), 0);
	DB_KEY_FREE(key);
	/* readable by others is refused even there */
	assert_int_equal(chmod(path, 0444), 0);
	assert_int_equal(db_key_load(path, &key, t->err, sizeof(t->err)),
	    ERR_KEYFILE);
	/* a prefix of the directory name is not the directory */
	setenv("CREDENTIALS_DIRECTORY", "/tmp/test_db", 1);
	assert_int_equal(chmod(path, 0440), 0);
	assert_int_equal(db_key_load(path, &key, t->err, sizeof(t->err)),
	    ERR_KEYFILE);
	unsetenv("CREDENTIALS_DIRECTORY");
}

static void
test_key_parse(void **state)
{
	static const char hex[] =
	    "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
	struct tfx *t = *state;
	struct db_key *key = NULL;
	char buf[2048];

	assert_int_equal(strlen(hex), 64);
	snprintf(buf, sizeof(buf), "%s\n", hex);
	assert_int_equal(load_content(t, buf, 65, &key), 0);
	assert_int_equal(db_key_is_raw(key), 1);
	DB_KEY_FREE(key);
	assert_int_equal(load_content(t, hex, 64, &key), 0);
	assert_int_equal(db_key_is_raw(key), 1);
	DB_KEY_FREE(key);
	/* 63 digits, a stray character, two newlines: passphrases */
	assert_int_equal(load_content(t, hex, 63, &key), 0);
	assert_int_equal(db_key_is_raw(key), 0);
	DB_KEY_FREE(key);
	snprintf(buf, sizeof(buf), "%s \n", hex);
	assert_int_equal(load_content(t, buf, 66, &key), 0);
	assert_int_equal(db_key_is_raw(key), 0);
	DB_KEY_FREE(key);
	snprintf(buf, sizeof(buf), "%s\n\n", hex);
	assert_int_equal(load_content(t, buf, 66, &key), 0);
	assert_int_equal(db_key_is_raw(key), 0);
	DB_KEY_FREE(key);
	/* empty, only a newline, too long */
	assert_int_equal(load_content(t, "", 0, &key), ERR_KEYFILE);
	assert_non_null(strstr(t->err, "is empty"));
	assert_int_equal(load_content(t, "\n", 1, &key), ERR_KEYFILE);
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(load_content(t, buf, sizeof(buf), &key),
	    ERR_KEYFILE);
	assert_null(key);
}

static void
test_key_generate(void **state)
{
	struct tfx *t = *state;
	char path[PATH_MAX], *a = NULL, *b = NULL;
	struct stat st;
	size_t len, i;

	tfx_path(t, "gen.key", path, sizeof(path));
	assert_int_equal(db_key_generate(path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(util_read_file(path, 1024, &a, &len), 0);
	assert_int_equal(len, 65);
	for (i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	assert_int_equal(a[64], '\n');
	/* never replaces a key */
	assert_int_equal(db_key_generate(path), ERR_EXISTS);
	assert_int_equal(util_read_file(path, 1024, &b, &len), 0);
	assert_string_equal(a, b);
	free(b);
	assert_int_equal(util_read_file(t->keyfile, 1024, &b, &len), 0);
	assert_string_not_equal(a, b);
	util_freezero(a, 65);
	util_freezero(b, 65);
}

/* Open the database with plain SQLite calls and a literal key string. */
static int
sqlite_opens_with(const char *path, const char *secret)
{
	sqlite3 *h = NULL;
	int ok;

	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_key(h, secret, (int)strlen(secret)),
	    SQLITE_OK);
	ok = sqlite3_exec(h, "SELECT count(*) FROM meta", NULL, NULL,
	    NULL) == SQLITE_OK;
	sqlite3_close(h);
	return ok;
}

static void
test_raw_key_form(void **state)
{
	struct tfx *t = *state;
	char *hex = NULL, secret[128];
	size_t len;

	init_db(t);
	assert_int_equal(db_key_is_raw(t->key), 1);
	assert_int_equal(util_read_file(t->keyfile, 1024, &hex, &len), 0);
	hex[64] = '\0';
	/* the file's digits are the key itself, not a passphrase */
	snprintf(secret, sizeof(secret), "x'%s'", hex);
	assert_true(sqlite_opens_with(t->db, secret));
	assert_false(sqlite_opens_with(t->db, hex));
	util_wipe(secret, sizeof(secret));
	util_freezero(hex, len);
}

static void
test_init_and_open(void **state)
{
	struct tfx *t = *state;
	struct db *db;
	char *v = NULL;
	uint64_t size;
	struct stat st;
	int version;

	init_db(t);
	assert_int_equal(stat(t->db, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	db = open_db(t, t->key, 0);
	assert_int_equal(db_cipher_version_check(db_cipher_version(db)), 0);
	assert_int_equal(db_schema_version(db, &version), 0);
	assert_int_equal(version, db_schema_latest());
	assert_int_equal(db_meta_get(db, "hub_id", &v), 0);
	assert_int_equal(strlen(v), 36);
	FREE(v);
	assert_int_equal(db_meta_get(db, "created_at", &v), 0);
	assert_non_null(strchr(v, 'T'));
	assert_int_equal(v[strlen(v) - 1], 'Z');
	FREE(v);
	assert_int_equal(db_check(db, t->err, sizeof(t->err)), 0);
	assert_int_equal(db_ping(db), 0);
	assert_int_equal(db_size(db, &size), 0);
	assert_true(size >= 4096);
	DB_CLOSE(db);
	assert_int_equal(db_init(t->db, t->key, t->err, sizeof(t->err)),
	    ERR_EXISTS);
	/* a read-only connection reads */
	db = open_db(t, t->key, DB_OPEN_READONLY);
	assert_int_equal(db_ping(db), 0);
	assert_int_not_equal(db_meta_set(db, "x", "y"), 0);
	DB_CLOSE(db);
}

/* The first column of a one-row statement, as text. */
static void
assert_pragma(struct db *db, const char *sql, const char *want)
{
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), want);
	sqlite3_finalize(st);
}

static void
test_pragmas(void **state)
{
	struct tfx *t = *state;
	struct db *db = NULL;

	init_db(t);
	assert_int_equal(db_open(t->db, t->key, 0, 8, &db, t->err,
	    sizeof(t->err)), 0);
	assert_pragma(db, "PRAGMA journal_mode", "wal");
	assert_pragma(db, "PRAGMA synchronous", "2");	/* FULL */
	assert_pragma(db, "PRAGMA foreign_keys", "1");
	assert_pragma(db, "PRAGMA busy_timeout", "5000");
	assert_pragma(db, "PRAGMA cache_size", "-8192");
	assert_pragma(db, "PRAGMA locking_mode", "normal");
	assert_pragma(db, "PRAGMA cipher_log_level", "NONE");
	DB_CLOSE(db);
	db = open_db(t, t->key, DB_OPEN_EXCLUSIVE);
	assert_pragma(db, "PRAGMA locking_mode", "exclusive");
	assert_pragma(db, "PRAGMA busy_timeout", "5000");
	DB_CLOSE(db);
}

static void
test_cipher_version_check(void **state)
{
	(void)state;
	assert_int_equal(db_cipher_version_check("4.6.1 community"), 0);
	assert_int_equal(db_cipher_version_check("4.6.0"), 0);
	assert_int_equal(db_cipher_version_check("4.10.0 community"), 0);
	assert_int_equal(db_cipher_version_check("5.0"), 0);
	assert_int_equal(db_cipher_version_check("4.5.7 community"),
	    ERR_DB_VERSION);
	assert_int_equal(db_cipher_version_check("3.4.1"), ERR_DB_VERSION);
	assert_int_equal(db_cipher_version_check(""), ERR_DB_VERSION);
	assert_int_equal(db_cipher_version_check("4"), ERR_DB_VERSION);
	assert_int_equal(db_cipher_version_check(NULL), ERR_DB_VERSION);
}

static void
test_wrong_key(void **state)
{
	struct tfx *t = *state;
	struct db_key *other = NULL;
	struct db *db = NULL;
	char path[PATH_MAX];

	init_db(t);
	tfx_path(t, "other.key", path, sizeof(path));
	assert_int_equal(db_key_generate(path), 0);
	assert_int_equal(db_key_load(path, &other, t->err, sizeof(t->err)),
	    0);
	assert_int_equal(db_open(t->db, other, 0, 0, &db, t->err,
	    sizeof(t->err)), ERR_DB_KEY);
	assert_null(db);
	assert_non_null(strstr(t->err, "wrong key"));
	db_key_free(other);
}

static void
test_missing_file(void **state)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	struct tfx *t = *state;
	struct db *db = NULL;
	char path[PATH_MAX + 16];
	size_t i;

	assert_int_equal(db_open(t->db, t->key, 0, 0, &db, t->err,
	    sizeof(t->err)), ERR_NOT_FOUND);
	assert_null(db);
	assert_non_null(strstr(t->err, "does not exist"));
	assert_non_null(strstr(t->err, "carehubctl db init"));
	for (i = 0; i < NELEMS(suffix); i++) {
		snprintf(path, sizeof(path), "%s%s", t->db, suffix[i]);
		assert_false(exists(path));
	}
	/* an empty file is not a database either, and stays empty */
	write_file(t->db, "", 0, 0600);
	assert_int_equal(db_open(t->db, t->key, 0, 0, &db, t->err,
	    sizeof(t->err)), ERR_DB);
	assert_non_null(strstr(t->err, "is empty"));
}

static void
test_passphrase(void **state)
{
	struct tfx *t = *state;
	struct db_key *key = NULL;
	struct db *db;
	char path[PATH_MAX];

	tfx_path(t, "pass.key", path, sizeof(path));
	write_file(path, "correct horse battery staple\n", 29, 0600);
	assert_int_equal(db_key_load(path, &key, t->err, sizeof(t->err)), 0);
	assert_int_equal(db_key_is_raw(key), 0);
	assert_int_equal(db_init(t->db, key, t->err, sizeof(t->err)), 0);
	db = open_db(t, key, 0);
	assert_int_equal(db_ping(db), 0);
	DB_CLOSE(db);
	db_key_free(key);
}

static void
test_newer_schema(void **state)
{
	struct tfx *t = *state;
	struct db *db;
	char sql[128], want[128];

	init_db(t);
	db = open_db(t, t->key, 0);
	snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d",
	    db_schema_latest() + 1);
	assert_int_equal(db_exec(db, sql), 0);
	DB_CLOSE(db);
	assert_int_equal(db_open(t->db, t->key, 0, 0, &db, t->err,
	    sizeof(t->err)), ERR_DB_VERSION);
	snprintf(want, sizeof(want), "database schema version %d is newer "
	    "than this carehub (%d): upgrade carehub", db_schema_latest() + 1,
	    db_schema_latest());
	assert_string_equal(t->err, want);
	/* not even for reading or without migrations */
	assert_int_equal(db_open(t->db, t->key, DB_OPEN_READONLY, 0, &db,
	    t->err, sizeof(t->err)), ERR_DB_VERSION);
	assert_int_equal(db_open(t->db, t->key, DB_OPEN_NO_MIGRATE, 0, &db,
	    t->err, sizeof(t->err)), ERR_DB_VERSION);
}

static void
test_exclusive_busy(void **state)
{
	struct tfx *t = *state;
	struct db *a, *b = NULL;

	init_db(t);
	a = open_db(t, t->key, DB_OPEN_EXCLUSIVE);
	assert_int_equal(db_open(t->db, t->key, DB_OPEN_EXCLUSIVE, 0, &b,
	    t->err, sizeof(t->err)), ERR_DB_BUSY);
	assert_null(b);
	assert_string_equal(t->err, "database is in use: is carehubd running?");
	/* the holder still works */
	assert_int_equal(db_meta_set(a, "k", "v"), 0);
	DB_CLOSE(a);
	b = open_db(t, t->key, DB_OPEN_EXCLUSIVE);
	DB_CLOSE(b);
	/* and an ordinary connection keeps an exclusive open out */
	a = open_db(t, t->key, 0);
	assert_int_equal(db_begin(a), 0);
	assert_int_equal(db_meta_set(a, "k", "w"), 0);
	assert_int_equal(db_open(t->db, t->key, DB_OPEN_EXCLUSIVE, 0, &b,
	    t->err, sizeof(t->err)), ERR_DB_BUSY);
	assert_int_equal(db_rollback(a), 0);
	DB_CLOSE(a);
}

static void
test_no_plaintext(void **state)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	struct tfx *t = *state;
	char path[PATH_MAX + 16];
	struct db *db;
	sqlite3 *h = NULL;
	size_t i;

	/* sanity: the search finds the marker where it is in clear */
	tfx_path(t, "plain.txt", path, sizeof(path));
	write_file(path, "xx" MARKER "yy", strlen(MARKER) + 4, 0600);
	assert_true(file_contains(path, MARKER));
	tfx_path(t, "plain.db", path, sizeof(path));
	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA journal_mode = WAL; "
	    "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('" MARKER "')",
	    NULL, NULL, NULL), SQLITE_OK);
	strcat(path, "-wal");
	assert_true(file_contains(path, MARKER));
	sqlite3_close(h);

	/* the same write through carehub: nowhere on disk in clear */
	init_db(t);
	db = open_db(t, t->key, 0);
	assert_int_equal(db_meta_set(db, "marker", MARKER), 0);
	for (i = 0; i < NELEMS(suffix); i++) {
		snprintf(path, sizeof(path), "%s%s", t->db, suffix[i]);
		/* still open, not checkpointed: all three exist */
		assert_true(exists(path));
		assert_false(file_contains(path, MARKER));
	}
	DB_CLOSE(db);
	assert_false(file_contains(t->db, MARKER));
}

static void
test_meta_and_transactions(void **state)
{
	struct tfx *t = *state;
	struct db *db;
	char *v = NULL;

	init_db(t);
	db = open_db(t, t->key, 0);
	assert_int_equal(db_meta_get(db, "nope", &v), ERR_NOT_FOUND);
	assert_null(v);
	assert_int_equal(db_meta_set(db, "a", "1"), 0);
	assert_int_equal(db_meta_set(db, "a", "it's \"2\""), 0);
	assert_int_equal(db_meta_get(db, "a", &v), 0);
	assert_string_equal(v, "it's \"2\"");
	FREE(v);

	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_meta_set(db, "b", "kept"), 0);
	assert_int_equal(db_savepoint(db), 0);
	assert_int_equal(db_meta_set(db, "c", "dropped"), 0);
	assert_int_equal(db_savepoint_rollback(db), 0);
	assert_int_equal(db_savepoint(db), 0);
	assert_int_equal(db_meta_set(db, "d", "kept"), 0);
	assert_int_equal(db_savepoint_release(db), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(db_meta_get(db, "b", &v), 0);
	FREE(v);
	assert_int_equal(db_meta_get(db, "c", &v), ERR_NOT_FOUND);
	assert_int_equal(db_meta_get(db, "d", &v), 0);
	FREE(v);

	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_meta_set(db, "e", "dropped"), 0);
	assert_int_equal(db_rollback(db), 0);
	assert_int_equal(db_meta_get(db, "e", &v), ERR_NOT_FOUND);
	assert_int_equal(db_rollback(db), 0);	/* none open: no-op */
	DB_CLOSE(db);
}

static void
test_check_detects_damage(void **state)
{
	struct tfx *t = *state;
	struct db *db;
	char name[32];
	struct stat st;
	int i, fd;
	char c;

	init_db(t);
	db = open_db(t, t->key, 0);
	assert_int_equal(db_begin(db), 0);
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "filler-%d", i);
		assert_int_equal(db_meta_set(db, name, "................"
		    "................................................"), 0);
	}
	assert_int_equal(db_commit(db), 0);
	DB_CLOSE(db);	/* checkpoints */
	/* flip a byte in the last page */
	assert_int_equal(stat(t->db, &st), 0);
	assert_true((fd = open(t->db, O_RDWR)) >= 0);
	assert_int_equal(pread(fd, &c, 1, st.st_size - 100), 1);
	c ^= 0x55;
	assert_int_equal(pwrite(fd, &c, 1, st.st_size - 100), 1);
	close(fd);
	db = open_db(t, t->key, 0);
	assert_int_equal(db_check(db, t->err, sizeof(t->err)), ERR_DB);
	assert_true(strlen(t->err) > 0);
	DB_CLOSE(db);
}

static void
test_init_failure_removes_files(void **state)
{
	struct tfx *t = *state;
	char wal[PATH_MAX + 8];

	/* a directory where the WAL must go makes the first write fail */
	snprintf(wal, sizeof(wal), "%s-wal", t->db);
	assert_int_equal(mkdir(wal, 0700), 0);
	assert_int_not_equal(db_init(t->db, t->key, t->err, sizeof(t->err)),
	    0);
	assert_false(exists(t->db));
	assert_int_equal(rmdir(wal), 0);
	init_db(t);
	assert_true(exists(t->db));
}

/*
 * SQLCipher's own log must not reach stderr, SQLite's log goes to ours at
 * debug level, and key material reaches neither.
 */
static void
test_logging(void **state)
{
	struct tfx *t = *state;
	struct db_key *other = NULL;
	struct db *db = NULL;
	char path[PATH_MAX], okey[PATH_MAX], *hex = NULL, *out = NULL;
	size_t len;
	int fd, saved;

	tfx_path(t, "stderr.log", path, sizeof(path));
	tfx_path(t, "other.key", okey, sizeof(okey));
	init_db(t);
	assert_int_equal(db_key_generate(okey), 0);
	assert_int_equal(db_key_load(okey, &other, t->err, sizeof(t->err)),
	    0);
	assert_true((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) >= 0);
	saved = dup(STDERR_FILENO);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	log_set_fd(-1);
	log_set_level(LOG_LEVEL_DEBUG);
	assert_int_equal(db_open(t->db, other, 0, 0, &db, t->err,
	    sizeof(t->err)), ERR_DB_KEY);
	db = open_db(t, t->key, 0);
	assert_int_equal(db_meta_set(db, "k", "v"), 0);
	DB_CLOSE(db);
	assert_int_equal(db_rekey(t->db, t->keyfile, t->err, sizeof(t->err)),
	    0);
	log_set_level(LOG_LEVEL_WARN);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	close(fd);
	assert_int_equal(util_read_file(path, 1 << 20, &out, &len), 0);
	assert_non_null(strstr(out, "msg=\"sqlite\" code=26"));
	assert_null(strstr(out, "ERROR CORE"));
	assert_null(strstr(out, "hmac"));
	assert_int_equal(util_read_file(okey, 1024, &hex, &len), 0);
	hex[64] = '\0';
	assert_null(strstr(out, hex));
	util_freezero(hex, len);
	assert_int_equal(util_read_file(t->keyfile, 1024, &hex, &len), 0);
	hex[64] = '\0';
	assert_null(strstr(out, hex));
	util_freezero(hex, len);
	free(out);
	db_key_free(other);
}

static void
put_marker(struct tfx *t)
{
	struct db *db = open_db(t, t->key, 0);

	assert_int_equal(db_meta_set(db, "marker", MARKER), 0);
	DB_CLOSE(db);
}

/* Load the key as carehubd would and read the marker. */
static void
assert_marker_readable(struct tfx *t)
{
	struct db_key *key = NULL;
	struct db *db;
	char *v = NULL;

	assert_int_equal(db_key_load_recover(t->db, t->keyfile, &key, t->err,
	    sizeof(t->err)), 0);
	db = open_db(t, key, 0);
	assert_int_equal(db_meta_get(db, "marker", &v), 0);
	assert_string_equal(v, MARKER);
	free(v);
	DB_CLOSE(db);
	db_key_free(key);
}

static char *
read_key_file(struct tfx *t)
{
	char *buf = NULL;

	assert_int_equal(util_read_file(t->keyfile, 1024, &buf, NULL), 0);
	return buf;
}

static void
test_rekey(void **state)
{
	struct tfx *t = *state;
	char old[PATH_MAX], path[PATH_MAX + 8], *before, *after;
	struct db_key *oldkey = NULL;
	struct db *db = NULL;
	struct stat st;

	init_db(t);
	put_marker(t);
	before = read_key_file(t);
	tfx_path(t, "saved-old.key", old, sizeof(old));
	write_file(old, before, strlen(before), 0600);
	assert_int_equal(db_rekey(t->db, t->keyfile, t->err, sizeof(t->err)),
	    0);
	after = read_key_file(t);
	assert_string_not_equal(before, after);
	assert_int_equal(stat(t->keyfile, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(path, sizeof(path), "%s.new", t->keyfile);
	assert_false(exists(path));
	snprintf(path, sizeof(path), "%s.old", t->keyfile);
	assert_false(exists(path));
	assert_marker_readable(t);
	/* the old key opens it no more */
	assert_int_equal(db_key_load(old, &oldkey, t->err, sizeof(t->err)), 0);
	assert_int_equal(db_open(t->db, oldkey, 0, 0, &db, t->err,
	    sizeof(t->err)), ERR_DB_KEY);
	db_key_free(oldkey);
	util_freezero(before, strlen(before));
	util_freezero(after, strlen(after));
}

static int crash_step;
static int crash_fd = -1;

/*
 * At step crash_step, tell the parent and wait to be killed with SIGKILL,
 * as a crash would end it: no exit handlers, no close, no flush (and,
 * under valgrind, no leak report from the child).
 */
static void
crash_hook(int step)
{
	if (step != crash_step)
		return;
	(void)!write(crash_fd, "k", 1);
	for (;;)
		pause();
}

/* Run db_rekey() in a child killed at step; returns once it is dead. */
static void
rekey_crash_at(struct tfx *t, int step)
{
	int pfd[2], status;
	pid_t pid;
	char c;

	assert_int_equal(pipe(pfd), 0);
	if ((pid = fork()) == 0) {
		close(pfd[0]);
		crash_fd = pfd[1];
		crash_step = step;
		db_rekey_step_hook = crash_hook;
		_exit(db_rekey(t->db, t->keyfile, NULL, 0) == 0 ? 0 : 1);
	}
	assert_true(pid > 0);
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);	/* reached the step */
	close(pfd[0]);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void
test_rekey_crash(void **state)
{
	struct tfx *t = *state;
	char path[PATH_MAX + 8], *before, *after;
	int step;

	init_db(t);
	put_marker(t);
	for (step = 1; step <= 4; step++) {
		before = read_key_file(t);
		rekey_crash_at(t, step);
		assert_marker_readable(t);
		after = read_key_file(t);
		/* steps 3 and 4 come after the database has the new key */
		if (step >= 3)
			assert_string_not_equal(before, after);
		else
			assert_string_equal(before, after);
		snprintf(path, sizeof(path), "%s.new", t->keyfile);
		assert_false(exists(path));
		snprintf(path, sizeof(path), "%s.old", t->keyfile);
		assert_false(exists(path));
		util_freezero(before, strlen(before));
		util_freezero(after, strlen(after));
		/* and the next rekey works */
		assert_int_equal(db_rekey(t->db, t->keyfile, t->err,
		    sizeof(t->err)), 0);
		assert_marker_readable(t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key_file_mode, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_key_credential_mode, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_key_parse, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_key_generate, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_raw_key_form, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_init_and_open, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pragmas, setup, teardown),
		cmocka_unit_test(test_cipher_version_check),
		cmocka_unit_test_setup_teardown(test_wrong_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_passphrase, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_exclusive_busy, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_no_plaintext, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_meta_and_transactions,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_detects_damage,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_failure_removes_files,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_logging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_crash, setup,
		    teardown),
	};

	log_init("test_db", LOG_LEVEL_WARN, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
