/* SPDX-License-Identifier: ISC */
/*
 * db_key.c: database key files, rekeying and rekey recovery.
 *
 * Owns the key material: a struct db_key holds the only copy of a key (as
 * SQLCipher's raw-key literal x'HEX' or as a passphrase) and wipes it when
 * freed; file buffers are wiped as soon as they are parsed.  Nothing here
 * logs key bytes.  A key file is trusted only if it is a regular file owned
 * by us (or root) that nobody else can read or write.
 *
 * Rekeying writes the next key to disk (KEYFILE.new) before the database
 * changes, so at every instant a crash can happen either KEYFILE or
 * KEYFILE.new opens the database; db_key_load_recover() tries them in that
 * order to finish or undo an interrupted rekey.  SQLCipher 4.6.1 rekeys a
 * WAL database correctly (tested, including SIGKILL during the rekey), so
 * the journal mode stays WAL throughout.  Does not own connections (db.c).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <sqlite3.h>

#define DB_INTERNAL
#define DB_PRIVATE
#include "db.h"
#include "err.h"
#include "log.h"
#include "util.h"

#define DB_KEY_RAW_LEN	32		/* bytes: AES-256 */
#define DB_KEY_HEX_LEN	(2 * DB_KEY_RAW_LEN)
#define DB_KEY_FILE_MAX	1024		/* bytes in a key file */

struct db_key {
	char		*secret;	/* x'HEX' literal or passphrase */
	size_t		 len;		/* excluding the NUL */
	int		 raw;
};

void (*db_rekey_step_hook)(int step) = NULL;

void
db_key_free(struct db_key *key)
{
	if (key == NULL)
		return;
	util_freezero(key->secret, key->len + 1);
	util_freezero(key, sizeof(*key));
}

int
db_key_is_raw(const struct db_key *key)
{
	return key->raw;
}

static int
db_key_is_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Turn the contents of a key file into a key; buf is left for the caller. */
static int
db_key_parse(const char *buf, size_t len, struct db_key **keyp)
{
	struct db_key *key;

	*keyp = NULL;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len == 0)
		return ERR_KEYFILE;
	key = xcalloc(1, sizeof(*key));
	if (len == DB_KEY_HEX_LEN && db_key_is_hex(buf, len)) {
		/* SQLCipher's raw key form: used as is, no KDF. */
		key->raw = 1;
		key->len = DB_KEY_HEX_LEN + 3;
		key->secret = xmalloc(key->len + 1);
		key->secret[0] = 'x';
		key->secret[1] = '\'';
		memcpy(key->secret + 2, buf, DB_KEY_HEX_LEN);
		key->secret[DB_KEY_HEX_LEN + 2] = '\'';
		key->secret[DB_KEY_HEX_LEN + 3] = '\0';
	} else {
		key->len = len;
		key->secret = xmalloc(len + 1);
		memcpy(key->secret, buf, len);
		key->secret[len] = '\0';
	}
	*keyp = key;
	return 0;
}

/* Refuse a key file that is not ours alone. */
/* 1 if path is a file directly inside $CREDENTIALS_DIRECTORY. */
static int
db_key_is_credential(const char *path)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	size_t n;

	if (dir == NULL || dir[0] != '/')
		return 0;
	n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && path[n] == '/' &&
	    strchr(path + n + 1, '/') == NULL && path[n + 1] != '\0';
}

static int
db_key_check_file(const char *path, const struct stat *st, char *err,
    size_t errlen)
{
	if (!S_ISREG(st->st_mode)) {
		db_errf(err, errlen, "key file %s is not a regular file", path);
		return ERR_KEYFILE;
	}
	if (st->st_uid != geteuid() && st->st_uid != 0) {
		db_errf(err, errlen, "key file %s is owned by uid %u, not by "
		    "this user (uid %u) or root", path, (unsigned)st->st_uid,
		    (unsigned)geteuid());
		return ERR_KEYFILE;
	}
	/*
	 * systemd hands a credential over as a root-owned 0400 file that the
	 * service user reads through an ACL, which stat(2) shows as group
	 * bits (0440); the directory is private to the service.  There only
	 * the "others" bits must be clear.
	 */
	if ((st->st_mode & (db_key_is_credential(path) ? 007 : 077)) != 0) {
		db_errf(err, errlen, "key file %s is %s by group or others "
		    "(mode 0%03o); chmod 600 it", path,
		    (st->st_mode & 044) ? "readable" : "writable",
		    (unsigned)(st->st_mode & 07777));
		return ERR_KEYFILE;
	}
	return 0;
}

/* Read at most DB_KEY_FILE_MAX bytes from fd into buf (size max + 1). */
static int
db_key_read_fd(int fd, char *buf, size_t max, size_t *lenp)
{
	ssize_t n;
	size_t off = 0;

	*lenp = 0;
	while (off <= max) {
		n = read(fd, buf + off, max + 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ERR_SYSTEM;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	if (off > max)
		return ERR_TOO_LARGE;
	*lenp = off;
	return 0;
}

int
db_key_load(const char *path, struct db_key **keyp, char *err,
    size_t errlen)
{
	char buf[DB_KEY_FILE_MAX + 1];
	struct stat st;
	size_t len = 0;
	int fd = -1, r = ERR_KEYFILE;

	*keyp = NULL;
	db_errf(err, errlen, "%s", "");
	/* Checked on the open descriptor: what we check is what we read. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0 ||
	    fstat(fd, &st) != 0) {
		db_errf(err, errlen, "cannot open key file %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if ((r = db_key_check_file(path, &st, err, errlen)) != 0)
		goto out;
	if ((r = db_key_read_fd(fd, buf, DB_KEY_FILE_MAX, &len)) != 0) {
		db_errf(err, errlen, "cannot read key file %s: %s", path,
		    r == ERR_TOO_LARGE ? "larger than 1024 bytes" :
		    strerror(errno));
		r = ERR_KEYFILE;
		goto out;
	}
	if ((r = db_key_parse(buf, len, keyp)) != 0)
		db_errf(err, errlen, "key file %s is empty", path);
 out:
	util_wipe(buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	return r;
}

int
db_key_generate(const char *path)
{
	unsigned char raw[DB_KEY_RAW_LEN];
	char hex[DB_KEY_HEX_LEN + 2];
	struct stat st;
	int r = ERR_INTERNAL;

	if (lstat(path, &st) == 0) {
		r = ERR_EXISTS;
		log_warn("not replacing an existing key file | path=%s", path);
		goto out;
	}
	if (errno != ENOENT) {
		r = ERR_SYSTEM;
		log_err_r(r, "cannot check key file | path=%s", path);
		goto out;
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		log_err_f("RAND_bytes failed");
		goto out;
	}
	util_hex(raw, sizeof(raw), hex);
	hex[DB_KEY_HEX_LEN] = '\n';
	if ((r = util_write_file_sync(path, hex, DB_KEY_HEX_LEN + 1,
	    0600)) != 0) {
		log_err_r(r, "cannot write key file | path=%s", path);
		goto out;
	}
	r = 0;
 out:
	util_wipe(raw, sizeof(raw));
	util_wipe(hex, sizeof(hex));
	return r;
}

int
db_key_apply(struct sqlite3 *h, const struct db_key *key)
{
	return sqlite3_key(h, key->secret, (int)key->len) == SQLITE_OK ? 0 :
	    ERR_DB;
}

/*
 * Re-encrypt every page in one transaction.  The WAL is emptied before, so
 * the rekey's own frames are all it holds, and after, so that the main file
 * is wholly under the new key before the key files change.  A crash inside
 * leaves either the old or the new key working, never a mixture:
 * sqlite3_rekey() commits atomically like any transaction.
 */
int
db_key_rekey_conn(struct db *db, const struct db_key *key)
{
	int rc, r;

	if ((r = db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)")) != 0)
		return r;
	rc = sqlite3_rekey(db_handle(db), key->secret, (int)key->len);
	if (rc != SQLITE_OK) {
		log_debug_f("rekey failed | rc=%d", rc);
		return ERR_DB;
	}
	return db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
}

static void
db_rekey_step(int step)
{
	if (db_rekey_step_hook != NULL)
		db_rekey_step_hook(step);
}

/*
 * Step 4: keep KEYFILE as KEYFILE.old, rename KEYFILE.new over KEYFILE,
 * sync the directory, remove KEYFILE.old.  KEYFILE is never absent.
 */
static int
db_key_install(const char *key_file, const char *new_file, char *err,
    size_t errlen)
{
	char *old_file = NULL;
	int r = ERR_SYSTEM;

	xasprintf(&old_file, "%s.old", key_file);
	(void)unlink(old_file);
	if (link(key_file, old_file) != 0) {
		db_errf(err, errlen, "cannot keep %s as %s: %s", key_file,
		    old_file, strerror(errno));
		goto out;
	}
	if (rename(new_file, key_file) != 0) {
		db_errf(err, errlen, "cannot rename %s to %s: %s", new_file,
		    key_file, strerror(errno));
		goto out;
	}
	if (util_fsync_dir(key_file) != 0) {
		db_errf(err, errlen, "cannot sync the directory of %s: %s",
		    key_file, strerror(errno));
		goto out;
	}
	(void)unlink(old_file);
	(void)util_fsync_dir(key_file);
	r = 0;
 out:
	free(old_file);
	return r;
}

/* Remove what an interrupted rekey left beside a key file that works. */
static void
db_key_remove_strays(const char *key_file)
{
	static const char *const suffix[] = { ".new", ".new.tmp", ".old" };
	char *p;
	size_t i;
	int n = 0;

	for (i = 0; i < NELEMS(suffix); i++) {
		xasprintf(&p, "%s%s", key_file, suffix[i]);
		if (unlink(p) == 0)
			n++;
		free(p);
	}
	if (n > 0) {
		(void)util_fsync_dir(key_file);
		log_info("removed files left by an interrupted rekey | "
		    "key_file=%s files=%d", key_file, n);
	}
}

/* 0 if key opens the database at path, else db_open()'s error. */
static int
db_key_probe(const char *path, const struct db_key *key)
{
	struct db *db = NULL;
	int r;

	r = db_open(path, key, DB_OPEN_NO_MIGRATE, 0, &db, NULL, 0);
	db_close(db);
	return r;
}

int
db_key_load_recover(const char *path, const char *key_file,
    struct db_key **keyp, char *err, size_t errlen)
{
	struct db_key *key = NULL, *nkey = NULL;
	char *new_file = NULL;
	int r;

	*keyp = NULL;
	xasprintf(&new_file, "%s.new", key_file);
	if ((r = db_key_load(key_file, &key, err, errlen)) != 0)
		goto out;
	if ((r = db_key_probe(path, key)) == 0) {
		db_key_remove_strays(key_file);
	} else if (r == ERR_DB_KEY && access(new_file, F_OK) == 0 &&
	    db_key_load(new_file, &nkey, NULL, 0) == 0 &&
	    db_key_probe(path, nkey) == 0) {
		/* The rekey reached the database: finish it. */
		log_warn("finishing an interrupted rekey | key_file=%s",
		    key_file);
		if ((r = db_key_install(key_file, new_file, err, errlen)) != 0)
			goto out;
		db_key_free(key);
		key = nkey;
		nkey = NULL;	/* transferred */
	}
	/* success (other errors are db_open()'s to report) */
	*keyp = key;
	key = NULL;	/* transferred */
	r = 0;
 out:
	db_key_free(key);
	db_key_free(nkey);
	free(new_file);
	return r;
}

/* Steps 1 and 2, on a connection that holds the database exclusively. */
static int
db_rekey_db(struct db *db, const char *new_file, struct db_key **nkeyp,
    char *err, size_t errlen)
{
	int r;

	db_rekey_step(1);
	(void)unlink(new_file);	/* stray: the current key opens the db */
	if ((r = db_key_generate(new_file)) != 0) {
		db_errf(err, errlen, "cannot write new key file %s", new_file);
		return r;
	}
	if ((r = db_key_load(new_file, nkeyp, err, errlen)) != 0)
		return r;
	db_rekey_step(2);
	if ((r = db_key_rekey_conn(db, *nkeyp)) != 0) {
		db_errf(err, errlen, "cannot rekey database %s: %s",
		    db_path(db), db_errmsg(db));
		return r;
	}
	return 0;
}

int
db_rekey(const char *path, const char *key_file, char *err, size_t errlen)
{
	struct db_key *key = NULL, *nkey = NULL;
	struct db *db = NULL;
	char *new_file = NULL;
	int r;

	xasprintf(&new_file, "%s.new", key_file);
	if ((r = db_key_load_recover(path, key_file, &key, err, errlen)) != 0 ||
	    (r = db_open(path, key, DB_OPEN_EXCLUSIVE | DB_OPEN_NO_MIGRATE, 0,
	    &db, err, errlen)) != 0)
		goto out;
	if ((r = db_rekey_db(db, new_file, &nkey, err, errlen)) != 0)
		goto out;
	DB_CLOSE(db);
	db_rekey_step(3);
	if ((r = db_open(path, nkey, DB_OPEN_EXCLUSIVE | DB_OPEN_NO_MIGRATE,
	    0, &db, err, errlen)) != 0 ||
	    (r = db_check(db, err, errlen)) != 0)
		goto out;
	db_rekey_step(4);
	if ((r = db_key_install(key_file, new_file, err, errlen)) != 0)
		goto out;
	log_info("database rekeyed | path=%s key_file=%s", path, key_file);
	r = 0;
 out:
	db_close(db);
	db_key_free(key);
	db_key_free(nkey);
	free(new_file);
	return r;
}
