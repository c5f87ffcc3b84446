/* SPDX-License-Identifier: ISC */
/*
 * ctl_cmd.c: the carehubctl subcommands and their dispatch.
 *
 * version, check, db init|check|rekey, demo-init and status.  Each command
 * loads what it needs (usually the configuration), does one job, prints
 * its result on stdout and any error on stderr, naming what failed, and
 * returns an exit status: 0 done, 1 failed, 2 bad command line.
 *
 * Owns the command-line surface of carehubctl (documented in
 * carehubctl(8)).  Does not own the database (db.c), the configuration
 * (conf.c), the demo (ctl_demo.c) or the daemon's control protocol (the
 * daemon answers "status\n" on its control socket).  Keys are never
 * printed.  Commands that change a database refuse to run while carehubd
 * holds it.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <libxml/parser.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "conf.h"
#include "ctl.h"
#include "db.h"
#include "err.h"
#include "util.h"

#define CTL_SOCKET_TIMEOUT	10	/* seconds to wait on carehubd */
#define CTL_MSG_LEN		1024

typedef int ctl_cmd_fn(const char *conf_path, int argc, char **argv);

static ctl_cmd_fn ctl_cmd_version, ctl_cmd_check, ctl_cmd_db,
    ctl_cmd_demo_init, ctl_cmd_status;

static const struct ctl_cmd {
	const char	*name;
	const char	*args;
	const char	*help;
	ctl_cmd_fn	*fn;
} ctl_cmds[] = {
	{ "version", "", "print carehubctl and library versions",
	    ctl_cmd_version },
	{ "check", "", "check the configuration file", ctl_cmd_check },
	{ "db", "init|check|rekey", "create, check or rekey the database",
	    ctl_cmd_db },
	{ "demo-init", "DIR [--port N]", "write a working demo into DIR",
	    ctl_cmd_demo_init },
	{ "status", "", "ask the running carehubd for its status",
	    ctl_cmd_status },
};

static void __attribute__((format(printf, 1, 0)))
ctl_verror(const char *fmt, va_list ap)
{
	fputs("carehubctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* Print "carehubctl: MESSAGE" on stderr. */
static void __attribute__((format(printf, 1, 2)))
ctl_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_verror(fmt, ap);
	va_end(ap);
}

/* Report a usage error and return CTL_EXIT_USAGE. */
static int __attribute__((format(printf, 1, 2)))
ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_verror(fmt, ap);
	va_end(ap);
	ctl_usage(stderr);
	return CTL_EXIT_USAGE;
}

void
ctl_usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: carehubctl [-f FILE] COMMAND [ARGS]\n"
	    "  -f FILE  configuration file (default %s)\n"
	    "  -h       print this help\n"
	    "commands:\n", CTL_DEFAULT_CONF);
	for (i = 0; i < NELEMS(ctl_cmds); i++)
		fprintf(fp, "  %-9s %-17s %s\n", ctl_cmds[i].name,
		    ctl_cmds[i].args, ctl_cmds[i].help);
}

/* Load the configuration, printing conf_load()'s message on failure. */
static int
ctl_conf_load(const char *path, struct conf **confp)
{
	char msg[CTL_MSG_LEN] = "";
	int r;

	if ((r = conf_load(path, confp, msg, sizeof(msg))) != 0) {
		if (*msg != '\0')
			fprintf(stderr, "%s\n", msg);
		else
			fprintf(stderr, "%s: %s\n", path, err_str(r));
	}
	return r;
}

/*
 * Connect to the UNIX stream socket at path with send and receive timeouts.
 * 0 or ERR_SYSTEM/ERR_INVALID with the reason in reason.
 */
static int
ctl_connect(const char *path, int *fdp, char *reason, size_t len)
{
	struct timeval tv = { CTL_SOCKET_TIMEOUT, 0 };
	struct sockaddr_un sun;
	unsigned int slen;
	int fd = -1, r = ERR_SYSTEM;

	*fdp = -1;
	if (util_sockaddr_un(path, &sun, &slen) != 0) {
		snprintf(reason, len, "not a usable UNIX socket path");
		r = ERR_INVALID;
		goto out;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (struct sockaddr *)&sun, (socklen_t)slen) != 0) {
		snprintf(reason, len, "%s", strerror(errno));
		goto out;
	}
	/* success */
	*fdp = fd;
	fd = -1;	/* transferred */
	r = 0;
 out:
	if (fd >= 0)
		close(fd);
	return r;
}

/* 1 if something (carehubd) accepts connections on the control socket. */
static int
ctl_daemon_is_running(const char *socket_path)
{
	char reason[256];
	int fd;

	if (ctl_connect(socket_path, &fd, reason, sizeof(reason)) != 0)
		return 0;
	close(fd);
	return 1;
}

/* ----- version, check ----------------------------------------------- */

static int
ctl_cmd_version(const char *conf_path, int argc, char **argv)
{
	int v;

	if (argc > 1)
		return ctl_usage_error("version: unexpected argument '%s'",
		    argv[1]);
	v = atoi(xmlParserVersion);
	printf("carehubctl %s\n", PACKAGE_VERSION);
	/* The cipher version needs a connection: `carehubctl db check`. */
	printf("SQLCipher (SQLite %s)\n", sqlite3_libversion());
	printf("OpenSSL %s\n", OpenSSL_version(OPENSSL_VERSION_STRING));
	printf("libevent %s\n", event_get_version());
	printf("libxml2 %d.%d.%d\n", v / 10000, v / 100 % 100, v % 100);
	return fflush(stdout) == 0 ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}

static int
ctl_cmd_check(const char *conf_path, int argc, char **argv)
{
	struct conf *conf = NULL;

	if (argc > 1)
		return ctl_usage_error("check: unexpected argument '%s'",
		    argv[1]);
	if (ctl_conf_load(conf_path, &conf) != 0)
		return CTL_EXIT_FAIL;
	printf("%s: ok\n", conf_path);
	conf_free(conf);
	return CTL_EXIT_OK;
}

/* ----- db ----------------------------------------------------------- */

/*
 * Report a failure of the store: its message, which names the file, or the
 * file and err_str(r) when it left none.
 */
static void
ctl_db_error(const char *cmd, const char *path, const char *msg, int r)
{
	if (*msg != '\0')
		ctl_error("%s: %s", cmd, msg);
	else
		ctl_error("%s: %s: %s", cmd, path, err_str(r));
}

/*
 * Load the key (finishing an interrupted rekey) and open the database with
 * flags, reporting failures as cmd.  On success *dbp is open; the key is
 * wiped either way.
 */
static int
ctl_db_open(const struct conf *conf, const char *cmd, int flags,
    struct db **dbp)
{
	struct db_key *key = NULL;
	char msg[CTL_MSG_LEN] = "";
	int r;

	*dbp = NULL;
	if ((r = db_key_load_recover(conf->db_path, conf->db_key_file, &key,
	    msg, sizeof(msg))) != 0) {
		ctl_db_error(cmd, conf->db_key_file, msg, r);
		return r;
	}
	r = db_open(conf->db_path, key, flags, conf->db_cache_mb, dbp, msg,
	    sizeof(msg));
	db_key_free(key);
	if (r != 0)
		ctl_db_error(cmd, conf->db_path, msg, r);
	return r;
}

/* db init: a new key (unless the key file exists), then a new database. */
static int
ctl_db_init(const struct conf *conf)
{
	struct db_key *key = NULL;
	struct stat st;
	const char *keyfile = conf->db_key_file;
	char msg[CTL_MSG_LEN] = "";
	int generated = 0, r;

	if (lstat(conf->db_path, &st) == 0) {
		ctl_error("db init: %s already exists", conf->db_path);
		r = ERR_EXISTS;
		goto out;
	} else if (errno != ENOENT) {
		ctl_error("db init: %s: %s", conf->db_path, strerror(errno));
		r = ERR_SYSTEM;
		goto out;
	}
	if (lstat(keyfile, &st) != 0 && errno == ENOENT) {
		if ((r = db_key_generate(keyfile)) != 0) {
			ctl_error("db init: writing key file %s: %s", keyfile,
			    r == ERR_SYSTEM ? strerror(errno) : err_str(r));
			goto out;
		}
		generated = 1;
		printf("%s: new database key written\n", keyfile);
	}
	if ((r = db_key_load(keyfile, &key, msg, sizeof(msg))) != 0) {
		ctl_db_error("db init", keyfile, msg, r);
		goto out;
	}
	if ((r = db_init(conf->db_path, key, msg, sizeof(msg))) != 0) {
		ctl_db_error("db init", conf->db_path, msg, r);
		goto out;
	}
	printf("%s: database created (schema version %d)\n", conf->db_path,
	    db_schema_latest());
	r = 0;
 out:
	/* A key for a database that was never created is only confusing. */
	if (r != 0 && generated)
		(void)unlink(keyfile);
	db_key_free(key);
	return r;
}

/* db check: key, SQLCipher and schema versions, integrity, read-only. */
static int
ctl_db_check(const struct conf *conf)
{
	struct db *db = NULL;
	char msg[CTL_MSG_LEN] = "";
	int version = 0, r;

	if ((r = ctl_db_open(conf, "db check", DB_OPEN_READONLY, &db)) != 0)
		goto out;
	printf("cipher version: %s\n", db_cipher_version(db));
	if ((r = db_schema_version(db, &version)) != 0) {
		ctl_error("db check: %s: reading the schema version: %s",
		    conf->db_path, err_str(r));
		goto out;
	}
	printf("schema version: %d (this build: %d)\n", version,
	    db_schema_latest());
	if ((r = db_check(db, msg, sizeof(msg))) != 0) {
		ctl_db_error("db check", conf->db_path, msg, r);
		goto out;
	}
	printf("%s: ok\n", conf->db_path);
	r = 0;
 out:
	db_close(db);
	return r;
}

/*
 * db rekey: only while carehubd is stopped, which we know when nothing
 * accepts connections on the control socket and we can hold the database
 * exclusively.
 */
static int
ctl_db_rekey(const struct conf *conf)
{
	struct db *db = NULL;
	const char *keyfile = conf->db_key_file;
	char msg[CTL_MSG_LEN] = "";
	int r;

	if (ctl_daemon_is_running(conf->control_socket)) {
		ctl_error("db rekey: carehubd is running (control socket %s "
		    "accepts connections); stop it first",
		    conf->control_socket);
		r = ERR_DB_BUSY;
		goto out;
	}
	r = ctl_db_open(conf, "db rekey", DB_OPEN_EXCLUSIVE |
	    DB_OPEN_NO_MIGRATE, &db);
	if (r == ERR_DB_BUSY)
		ctl_error("db rekey: %s is in use by another process "
		    "(carehubd?); stop it first", conf->db_path);
	if (r != 0)
		goto out;
	DB_CLOSE(db);
	if ((r = db_rekey(conf->db_path, keyfile, msg, sizeof(msg))) != 0) {
		ctl_db_error("db rekey", conf->db_path, msg, r);
		goto out;
	}
	printf("%s: rekeyed; the new key is in %s\n", conf->db_path, keyfile);
	r = 0;
 out:
	db_close(db);
	return r;
}

static int
ctl_cmd_db(const char *conf_path, int argc, char **argv)
{
	int (*fn)(const struct conf *);
	struct conf *conf = NULL;
	int r;

	if (argc < 2)
		return ctl_usage_error("db: missing subcommand (init, check "
		    "or rekey)");
	if (strcmp(argv[1], "init") == 0)
		fn = ctl_db_init;
	else if (strcmp(argv[1], "check") == 0)
		fn = ctl_db_check;
	else if (strcmp(argv[1], "rekey") == 0)
		fn = ctl_db_rekey;
	else
		return ctl_usage_error("db: unknown subcommand '%s'", argv[1]);
	if (argc > 2)
		return ctl_usage_error("db %s: unexpected argument '%s'",
		    argv[1], argv[2]);
	if (ctl_conf_load(conf_path, &conf) != 0)
		return CTL_EXIT_FAIL;
	r = fn(conf);
	conf_free(conf);
	return r == 0 ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}

/* ----- demo-init ---------------------------------------------------- */

static int
ctl_cmd_demo_init(const char *conf_path, int argc, char **argv)
{
	const char *dir = NULL, *port_arg = NULL;
	char msg[CTL_MSG_LEN] = "";
	long long port = CTL_DEMO_PORT;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port") == 0) {
			if (++i >= argc)
				return ctl_usage_error("demo-init: --port "
				    "needs a port number");
			port_arg = argv[i];
		} else if (strncmp(argv[i], "--port=", 7) == 0)
			port_arg = argv[i] + 7;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return ctl_usage_error("demo-init: unknown option "
			    "'%s'", argv[i]);
		else if (dir == NULL)
			dir = argv[i];
		else
			return ctl_usage_error("demo-init: unexpected "
			    "argument '%s'", argv[i]);
	}
	if (dir == NULL)
		return ctl_usage_error("demo-init: missing directory");
	if (port_arg != NULL && util_parse_ll(port_arg, 1, 65535, &port) != 0)
		return ctl_usage_error("demo-init: --port %s: not a port "
		    "number (1-65535)", port_arg);
	if (ctl_demo_init(dir, (int)port, msg, sizeof(msg)) != 0) {
		ctl_error("demo-init: %s", msg);
		return CTL_EXIT_FAIL;
	}
	printf("%s: demo written (carehubd will listen on "
	    "https://127.0.0.1:%lld)\nnext:\n"
	    "  . %s/demo.env\n"
	    "  carehubd -f \"$CAREHUB_CONF\"\n", dir, port, dir);
	return CTL_EXIT_OK;
}

/* ----- status ------------------------------------------------------- */

/* Send "status\n" on fd and copy the reply to stdout until EOF. */
static int
ctl_status_exchange(int fd, const char *path)
{
	static const char req[] = "status\n";
	char buf[4096];
	ssize_t n;

	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) !=
	    (ssize_t)(sizeof(req) - 1)) {
		ctl_error("status: sending to %s: %s", path, strerror(errno));
		return ERR_SYSTEM;
	}
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ctl_error("status: reading from %s: %s", path,
			    errno == EAGAIN || errno == EWOULDBLOCK ?
			    "no reply in time" : strerror(errno));
			return ERR_SYSTEM;
		}
		if (n == 0)
			break;
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
			ctl_error("status: writing to stdout: %s",
			    strerror(errno));
			return ERR_SYSTEM;
		}
	}
	return fflush(stdout) == 0 ? 0 : ERR_SYSTEM;
}

static int
ctl_cmd_status(const char *conf_path, int argc, char **argv)
{
	struct conf *conf = NULL;
	char reason[256];
	int fd = -1, r = CTL_EXIT_FAIL;

	if (argc > 1)
		return ctl_usage_error("status: unexpected argument '%s'",
		    argv[1]);
	if (ctl_conf_load(conf_path, &conf) != 0)
		goto out;
	if (ctl_connect(conf->control_socket, &fd, reason,
	    sizeof(reason)) != 0) {
		fprintf(stderr, "carehubd is not running (control socket %s: "
		    "%s)\n", conf->control_socket, reason);
		goto out;
	}
	if (ctl_status_exchange(fd, conf->control_socket) != 0)
		goto out;
	r = CTL_EXIT_OK;
 out:
	if (fd >= 0)
		close(fd);
	conf_free(conf);
	return r;
}

/* ----- dispatch ----------------------------------------------------- */

int
ctl_run(const char *conf_path, int argc, char **argv)
{
	size_t i;

	if (argc < 1 || argv[0] == NULL)
		return ctl_usage_error("no command given");
	for (i = 0; i < NELEMS(ctl_cmds); i++)
		if (strcmp(argv[0], ctl_cmds[i].name) == 0)
			return ctl_cmds[i].fn(conf_path, argc, argv);
	return ctl_usage_error("unknown command '%s'", argv[0]);
}
