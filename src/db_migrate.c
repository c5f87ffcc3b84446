/* SPDX-License-Identifier: ISC */
/*
 * db_migrate.c: the schema and its migrations.
 *
 * Owns the schema: table schema_version (one row) records how many of the
 * migrations below have been applied; each migration runs in its own
 * transaction, so a database is always at exactly one version.  A database
 * from a newer carehub is refused, never downgraded.  Does not own
 * connections (db.c).
 *
 * To change the schema, append one entry to db_migrations[] (its SQL, and
 * a function for data changes if SQL alone cannot express them).  Never
 * edit or reorder an entry that has been released.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#define DB_INTERNAL
#include "db.h"
#include "err.h"
#include "log.h"
#include "util.h"

struct db_migration {
	const char	*sql;			/* schema changes */
	int		(*fn)(struct db *db);	/* data changes, or NULL */
};

static int db_migrate_1_meta(struct db *);

/* Version 1: the hub's own settings. */
#define DB_SCHEMA_1 \
	"CREATE TABLE meta (" \
	"  name TEXT PRIMARY KEY NOT NULL," \
	"  value TEXT NOT NULL" \
	");"

/* Migration N (to schema version N) is db_migrations[N - 1]. */
static const struct db_migration db_migrations[] = {
	{ DB_SCHEMA_1, db_migrate_1_meta },
};

int
db_schema_latest(void)
{
	return (int)NELEMS(db_migrations);
}

static int
db_migrate_1_meta(struct db *db)
{
	char now[40], uuid[37];
	int r;

	util_time_rfc3339(now, sizeof(now));
	util_uuid(uuid);
	if ((r = db_meta_set(db, "created_at", now)) != 0 ||
	    (r = db_meta_set(db, "hub_id", uuid)) != 0)
		return r;
	return 0;
}

/* Version 0 means no carehub schema at all. */
int
db_schema_version(struct db *db, int *versionp)
{
	sqlite3_stmt *st = NULL;
	int rc, r = ERR_DB;

	*versionp = 0;
	rc = sqlite3_prepare_v2(db_handle(db), "SELECT count(*) FROM "
	    "sqlite_schema WHERE type = 'table' AND name = 'schema_version'",
	    -1, &st, NULL);
	if (rc != SQLITE_OK || (rc = sqlite3_step(st)) != SQLITE_ROW)
		goto fail;
	if (sqlite3_column_int(st, 0) == 0) {
		r = 0;
		goto out;
	}
	sqlite3_finalize(st);
	rc = sqlite3_prepare_v2(db_handle(db),
	    "SELECT version, (SELECT count(*) FROM schema_version) "
	    "FROM schema_version", -1, &st, NULL);
	if (rc != SQLITE_OK || (rc = sqlite3_step(st)) != SQLITE_ROW)
		goto fail;
	if (sqlite3_column_int(st, 1) != 1 || sqlite3_column_int(st, 0) < 1) {
		log_warn("table schema_version is damaged | path=%s",
		    db_path(db));
		goto out;
	}
	/* success */
	*versionp = sqlite3_column_int(st, 0);
	r = 0;
	goto out;
 fail:
	r = rc == SQLITE_DONE ? ERR_DB : db_rc_err(rc);
	log_debug_f("cannot read the schema version | rc=%d", rc);
 out:
	sqlite3_finalize(st);
	return r;
}

static int
db_migrate_set_version(struct db *db, int version)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db_handle(db),
	    "UPDATE schema_version SET version = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK &&
	    (rc = sqlite3_bind_int(st, 1, version)) == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_rc_err(rc);
}

/* Apply migration `version` in its own transaction. */
static int
db_migrate_one(struct db *db, int version, char *err, size_t errlen)
{
	const struct db_migration *m = &db_migrations[version - 1];
	int cur, r;

	if ((r = db_begin(db)) != 0)
		goto fail;
	/* Another process may have got here first. */
	if ((r = db_schema_version(db, &cur)) != 0)
		goto fail;
	if (cur >= version) {
		r = db_rollback(db);
		goto out;
	}
	if (version == 1 && (r = db_exec(db, "CREATE TABLE schema_version "
	    "(version INTEGER NOT NULL); INSERT INTO schema_version "
	    "(version) VALUES (0)")) != 0)
		goto fail;
	if ((r = db_exec(db, m->sql)) != 0 ||
	    (m->fn != NULL && (r = m->fn(db)) != 0) ||
	    (r = db_migrate_set_version(db, version)) != 0 ||
	    (r = db_commit(db)) != 0)
		goto fail;
	log_info("database schema migrated | path=%s version=%d",
	    db_path(db), version);
	goto out;
 fail:
	db_errf(err, errlen, "cannot migrate database %s to schema version "
	    "%d: %s", db_path(db), version, db_errmsg(db));
	(void)db_rollback(db);
 out:
	return r;
}

int
db_migrate(struct db *db, int apply, int fresh, char *err, size_t errlen)
{
	int latest = db_schema_latest(), v, r;

	if ((r = db_schema_version(db, &v)) != 0) {
		db_errf(err, errlen, "cannot read the schema version of %s: %s",
		    db_path(db), db_errmsg(db));
		return r;
	}
	if (v > latest) {
		db_errf(err, errlen, "database schema version %d is newer than "
		    "this carehub (%d): upgrade carehub", v, latest);
		return ERR_DB_VERSION;
	}
	if (v == 0 && !fresh) {
		db_errf(err, errlen, "database %s holds no carehub schema",
		    db_path(db));
		return ERR_DB;
	}
	for (; apply && v < latest; v++)
		if ((r = db_migrate_one(db, v + 1, err, errlen)) != 0)
			return r;
	return 0;
}
