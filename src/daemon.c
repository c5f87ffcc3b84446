/* SPDX-License-Identifier: ISC */
/*
 * daemon.c: carehubd start-up, signals, reload and shutdown.
 *
 * Owns the event base, the running configuration and everything built from
 * it.  Start-up runs in the order of STYLE.md rule 15; fatal() is used only
 * before the loop starts.  Signals arrive as libevent events from one
 * table, so their handlers may log, reload and notify.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <libxml/parser.h>
#include <openssl/ssl.h>

#include "conf.h"
#include "daemon.h"
#include "daemon_ctl.h"
#include "db.h"
#include "db_writer.h"
#include "err.h"
#include "http.h"
#include "log.h"
#include "util.h"

#define DAEMON_ERRLEN	1024

struct daemon {
	struct event_base	*base;
	struct conf		*conf;
	struct http_server	*http;
	struct db		*rdb;		/* loop thread's read connection */
	struct db_writer	*writer;
	struct daemon_ctl	*ctl;
	struct event		*watchdog;
	int			 stopping;
	int			 exitcode;
};

static struct {
	int		 sig;
	struct event	*ev;
} daemon_sigtab[] = {
	{ SIGHUP, NULL }, { SIGTERM, NULL }, { SIGINT, NULL },
};

int
daemon_check(const char *path)
{
	char err[DAEMON_ERRLEN];
	struct conf *conf = NULL;
	struct http_server *srv = NULL;
	struct event_base *base = NULL;
	int rc = 1;

	if (conf_load(path, &conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	/* the TLS files are part of the configuration: load them too */
	if ((base = event_base_new()) == NULL ||
	    http_server_new(base, conf, &srv, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", path, err);
		goto out;
	}
	printf("%s: ok\n", path);
	rc = 0;
 out:
	http_server_free(srv);
	if (base != NULL)
		event_base_free(base);
	conf_free(conf);
	return rc;
}

/* Settings that only a restart can change. */
static const char *
daemon_restart_only_change(const struct conf *a, const struct conf *b)
{
	size_t i;

	if (a->n_listeners != b->n_listeners)
		return "listen";
	for (i = 0; i < a->n_listeners; i++)
		if (strcmp(a->listeners[i].address, b->listeners[i].address) ||
		    a->listeners[i].port != b->listeners[i].port ||
		    a->listeners[i].plaintext != b->listeners[i].plaintext)
			return "listen";
	if (strcmp(a->db_path, b->db_path) != 0)
		return "database path";
	if (strcmp(a->db_key_file, b->db_key_file) != 0)
		return "database key-file";
	if (a->db_cache_mb != b->db_cache_mb)
		return "database cache-mb";
	if (strcmp(a->control_socket, b->control_socket) != 0)
		return "control-socket";
	if ((a->user == NULL) != (b->user == NULL) ||
	    (a->user != NULL && strcmp(a->user, b->user) != 0))
		return "user";
	if (a->log_syslog != b->log_syslog)
		return "log destination";
	return NULL;
}

static void
daemon_reload_failed(const char *why)
{
	char safe[DAEMON_ERRLEN];

	/* quotes in libxml2's messages must not break the key=value line */
	log_mask_value(why, safe, sizeof(safe));
	log_warn("reload failed, keeping the running configuration | "
	    "reason=\"%s\"", safe);
}

/* Build the new configuration and TLS context; swap only if all is well. */
static int
daemon_reload_conf(struct daemon *d)
{
	char err[DAEMON_ERRLEN];
	struct conf *conf = NULL;
	const char *what;
	int r;

	if ((r = conf_load(d->conf->path, &conf, err, sizeof(err))) != 0) {
		daemon_reload_failed(err);
		return r;
	}
	if ((what = daemon_restart_only_change(d->conf, conf)) != NULL) {
		log_warn("reload refused, keeping the running configuration: "
		    "%s changed, which needs a restart", what);
		conf_free(conf);
		return ERR_CONFIG;
	}
	if ((r = http_server_reload(d->http, conf, err, sizeof(err))) != 0) {
		daemon_reload_failed(err);
		conf_free(conf);
		return r;
	}
	conf_free(d->conf);
	d->conf = conf;
	log_set_level((enum log_level)conf->log_level);
	log_info("configuration reloaded | systems=%zu", conf->n_systems);
	return 0;
}

/* Reload, telling the service manager (SIGHUP and the control socket). */
static int
daemon_reload(struct daemon *d)
{
	int r;

	daemon_notify_reloading();
	r = daemon_reload_conf(d);
	daemon_notify_ready();
	return r;
}

static void
daemon_drained_cb(void *arg)
{
	struct daemon *d = arg;

	log_info("all connections closed");
	event_base_loopexit(d->base, NULL);
}

static void
daemon_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	log_warn("shutdown timeout: closing %u remaining connections",
	    http_server_connections(d->http));
	event_base_loopexit(d->base, NULL);
}

static void
daemon_shutdown(struct daemon *d, int exitcode)
{
	struct timeval deadline = { d->conf->limits.shutdown_timeout, 0 };

	if (d->stopping)
		return;		/* ignore repeated signals */
	d->stopping = 1;
	d->exitcode = exitcode;
	daemon_notify_stopping();
	log_info("shutting down | open=%u", http_server_connections(d->http));
	daemon_ctl_close(d->ctl);
	d->ctl = NULL;
	d->watchdog = evtimer_new(d->base, daemon_watchdog_cb, d);
	event_add(d->watchdog, &deadline);
	http_server_drain(d->http, daemon_drained_cb, d);
}

static void
daemon_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	switch (sig) {
	case SIGHUP:
		if (d->stopping)
			break;
		(void)daemon_reload(d);
		break;
	case SIGTERM:
	case SIGINT:
		daemon_shutdown(d, 0);
		break;
	}
}

static void
daemon_ctl_cb(const char *cmd, struct evbuffer *out, void *arg)
{
	struct daemon *d = arg;
	int v = 0;

	if (strcmp(cmd, "status") == 0) {
		(void)db_schema_version(d->rdb, &v);
		evbuffer_add_printf(out, "status=running\nversion=%s\n"
		    "pid=%ld\nconnections=%u\nsystems=%zu\nschema=%d\n"
		    "cipher=%s\nwriter=%s\n", PACKAGE_VERSION, (long)getpid(),
		    http_server_connections(d->http), d->conf->n_systems, v,
		    db_cipher_version(d->rdb),
		    db_writer_is_healthy(d->writer) ? "ok" : "failing");
	} else if (strcmp(cmd, "reload") == 0)
		evbuffer_add_printf(out, daemon_reload(d) == 0 ? "ok\n" :
		    "error reload failed: see the daemon's log\n");
	else
		evbuffer_add_printf(out, "error unknown command\n");
}

/* Open the database as the service user: writer first (migrations). */
static void
daemon_open_store(struct daemon *d, struct db_key *key)
{
	char err[DAEMON_ERRLEN];
	struct db *wdb = NULL;
	int r;

	if ((r = db_open(d->conf->db_path, key, 0, d->conf->db_cache_mb,
	    &wdb, err, sizeof(err))) != 0)
		fatal("cannot open database: %s", err);
	if ((r = db_open(d->conf->db_path, key, DB_OPEN_NO_MIGRATE,
	    d->conf->db_cache_mb, &d->rdb, err, sizeof(err))) != 0)
		fatal("cannot open database: %s", err);
	if ((r = db_writer_start(d->base, wdb, 0, &d->writer)) != 0)
		fatal("cannot start the database writer: %s", err_str(r));
	log_info("database open | cipher=\"%s\"", db_cipher_version(d->rdb));
}

static void
daemon_setup(struct daemon *d, const char *path)
{
	char err[DAEMON_ERRLEN];
	struct db_key *key = NULL;
	size_t i;
	int r;

	if (conf_load(path, &d->conf, err, sizeof(err)) != 0)
		fatal("%s", err);
	log_init("carehubd", (enum log_level)d->conf->log_level,
	    d->conf->log_syslog);
	if (daemon_no_core_dumps() != 0)
		fatal("cannot disable core dumps: %s", strerror(errno));
	/* single-threaded base: the writer wakes it through an eventfd */
	if ((d->base = event_base_new()) == NULL)
		fatal("cannot create the event base");
	if (http_server_new(d->base, d->conf, &d->http, err, sizeof(err)) != 0)
		fatal("%s", err);
	if (http_server_listen(d->http, err, sizeof(err)) != 0)
		fatal("%s", err);
	/*
	 * Read the key while we may still be root.  Finishing an interrupted
	 * rekey opens the database, which must happen as the service user
	 * (its -wal and -shm files belong to that user), so when we are about
	 * to switch users only the key file is read here.
	 */
	if (geteuid() == 0 && d->conf->user != NULL)
		r = db_key_load(d->conf->db_key_file, &key, err, sizeof(err));
	else
		r = db_key_load_recover(d->conf->db_path,
		    d->conf->db_key_file, &key, err, sizeof(err));
	if (r != 0)
		fatal("%s", err);
	if ((r = daemon_drop_privileges(d->conf->user)) != 0)
		fatal("cannot switch to user %s: %s", d->conf->user,
		    r == ERR_SYSTEM ? strerror(errno) : err_str(r));
	(void)daemon_no_core_dumps();	/* credentials changed: again */
	daemon_open_store(d, key);
	DB_KEY_FREE(key);
	http_server_set_store(d->http, d->rdb, d->writer);
	if (daemon_ctl_open(d->base, d->conf->control_socket, daemon_ctl_cb,
	    d, &d->ctl, err, sizeof(err)) != 0)
		fatal("%s", err);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < NELEMS(daemon_sigtab); i++) {
		daemon_sigtab[i].ev = evsignal_new(d->base, daemon_sigtab[i].sig,
		    daemon_signal_cb, d);
		if (daemon_sigtab[i].ev == NULL ||
		    event_add(daemon_sigtab[i].ev, NULL) != 0)
			fatal("cannot install signal handlers");
	}
}

static void
daemon_teardown(struct daemon *d)
{
	size_t i;

	for (i = 0; i < NELEMS(daemon_sigtab); i++) {
		if (daemon_sigtab[i].ev != NULL)
			event_free(daemon_sigtab[i].ev);
		daemon_sigtab[i].ev = NULL;
	}
	if (d->watchdog != NULL)
		event_free(d->watchdog);
	daemon_ctl_close(d->ctl);
	http_server_free(d->http);
	db_writer_free(d->writer);
	db_close(d->rdb);
	if (d->base != NULL)
		event_base_free(d->base);
	conf_free(d->conf);
	xmlCleanupParser();
}

int
daemon_run(const char *path)
{
	struct daemon d;

	memset(&d, 0, sizeof(d));
	log_init("carehubd", LOG_LEVEL_INFO, 0);
	daemon_setup(&d, path);
	log_info("carehubd started | version=%s pid=%ld listeners=%zu "
	    "systems=%zu", PACKAGE_VERSION, (long)getpid(),
	    d.conf->n_listeners, d.conf->n_systems);
	daemon_notify_ready();
	if (event_base_dispatch(d.base) < 0) {
		log_err("event loop failed");
		d.exitcode = 1;
	}
	log_info("carehubd stopped | exit=%d", d.exitcode);
	daemon_teardown(&d);
	return d.exitcode;
}
