/* SPDX-License-Identifier: ISC */
/*
 * http_server.c: listeners, connections and request dispatch on libevent's
 * evhttp with OpenSSL bufferevents.
 *
 * Owns the listeners, the connection count (libevent 2.1 has no cap, so the
 * listeners are paused at the configured maximum and resumed as
 * connections close), the per-request identity check against the current
 * registry, X-Request-ID, request logs, metrics and draining at shutdown.
 * Does not own what a route does (http_api.c) or TLS policy (http_tls.c).
 *
 * Every TLS listener's bufferevent callback always returns a TLS
 * bufferevent: in libevent 2.1 a callback returning NULL would silently
 * serve plain HTTP on that connection.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "conf.h"
#include "err.h"
#include "fhir.h"
#include "http.h"
#include "http_int.h"
#include "log.h"
#include "util.h"

#define HTTP_ALL_METHODS (EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | \
	EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | \
	EVHTTP_REQ_PATCH)

static const struct {
	enum evhttp_cmd_type	 cmd;
	const char		*name;
} http_methods[] = {
	{ EVHTTP_REQ_GET, "GET" }, { EVHTTP_REQ_HEAD, "HEAD" },
	{ EVHTTP_REQ_POST, "POST" }, { EVHTTP_REQ_PUT, "PUT" },
	{ EVHTTP_REQ_DELETE, "DELETE" }, { EVHTTP_REQ_OPTIONS, "OPTIONS" },
	{ EVHTTP_REQ_PATCH, "PATCH" },
};

static const char *
http_method_name(enum evhttp_cmd_type cmd)
{
	size_t i;

	for (i = 0; i < NELEMS(http_methods); i++)
		if (http_methods[i].cmd == cmd)
			return http_methods[i].name;
	return "OTHER";
}

static const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	}
	return status < 400 ? "OK" : "Error";
}

/* --- connections ------------------------------------------------------- */

static void
http_listeners_enable(struct http_server *srv, int on)
{
	struct evconnlistener *l;
	size_t i;

	for (i = 0; i < srv->n_ls; i++) {
		if (srv->ls[i].bound == NULL)
			continue;
		l = evhttp_bound_socket_get_listener(srv->ls[i].bound);
		if (on)
			evconnlistener_enable(l);
		else
			evconnlistener_disable(l);
	}
	srv->paused = !on;
}

static void
http_drained_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *srv = arg;

	(void)fd;
	(void)what;
	if (srv->drained != NULL && srv->n_conns == 0) {
		void (*done)(void *) = srv->drained;

		srv->drained = NULL;
		done(srv->drained_arg);
	}
}

void
http_conn_closed(struct http_conn *conn)
{
	struct http_server *srv = conn->srv;

	if (srv == NULL) {
		/* orphaned by http_server_free(): nothing left to tell */
		free(conn);
		return;
	}
	TAILQ_REMOVE(&srv->conns, conn, link);
	srv->n_conns--;
	free(conn);
	if (srv->draining) {
		if (srv->n_conns == 0)
			event_base_once(srv->base, -1, EV_TIMEOUT,
			    http_drained_cb, srv, NULL);
	} else if (srv->paused &&
	    srv->n_conns < (unsigned int)srv->conf->limits.max_connections) {
		http_listeners_enable(srv, 1);
		log_info("connections below limit, accepting again | open=%u",
		    srv->n_conns);
	}
}

static struct http_conn *
http_conn_new(struct http_server *srv)
{
	struct http_conn *conn = xcalloc(1, sizeof(*conn));

	conn->srv = srv;
	TAILQ_INSERT_TAIL(&srv->conns, conn, link);
	if (++srv->n_conns >= (unsigned int)srv->conf->limits.max_connections &&
	    !srv->paused) {
		http_listeners_enable(srv, 0);
		log_warn("connection limit reached, pausing accept | open=%u",
		    srv->n_conns);
	}
	return conn;
}

/* Count application data records received, to tell idle connections. */
static void
http_msg_cb(int write_p, int version, int content_type, const void *buf,
    size_t len, SSL *ssl, void *arg)
{
	struct http_conn *conn;
	const unsigned char *b = buf;

	(void)arg;
	if (write_p || len < 1)
		return;
	/*
	 * TLS 1.3 hides the real record type inside the encryption (every
	 * record's header says application data), so use the inner type there
	 * and the header's type for TLS 1.2.  The callback's version argument
	 * is the record layer's, not the session's.
	 */
	(void)version;
	if (content_type == SSL3_RT_INNER_CONTENT_TYPE ||
	    (content_type == SSL3_RT_HEADER &&
	    SSL_version(ssl) != TLS1_3_VERSION)) {
		if (b[0] == SSL3_RT_APPLICATION_DATA &&
		    (conn = http_tls_conn_get(ssl)) != NULL)
			conn->rx++;
	}
}

/*
 * New connection.  TLS listeners always get a TLS bufferevent, never NULL.
 * A plain listener (loopback only) gets a socket bufferevent; libevent 2.1
 * offers no hook on such a connection until its first request, so plain
 * connections are counted from then on (http_conn_of()).
 */
static struct bufferevent *
http_bevcb(struct event_base *base, void *arg)
{
	struct http_listener *l = arg;
	struct http_server *srv = l->srv;
	struct http_conn *conn;
	SSL *ssl;

	if (l->plaintext)
		return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	conn = http_conn_new(srv);
	if ((ssl = SSL_new(srv->ssl_ctx)) == NULL)
		fatal("SSL_new failed: out of memory");
	conn->ssl = ssl;
	if (http_tls_conn_attach(ssl, conn) != 0)
		fatal("SSL_set_ex_data failed: out of memory");
	SSL_set_msg_callback(ssl, http_msg_cb);
	conn->bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (conn->bev == NULL)
		fatal("bufferevent_openssl_socket_new failed");
	return conn->bev;
}

/* --- replies ----------------------------------------------------------- */

static void
http_req_done_cb(struct evhttp_request *ev, void *arg)
{
	struct http_conn *conn = arg;

	(void)ev;
	conn->rx_at_done = conn->rx;
}

/*
 * Count the request and log it: server errors as warnings, refusals at
 * info, successes at debug only, so normal operation stays quiet (the
 * audit trail, not the log, records who saw what).
 */
/* Server errors are warnings, refusals info, successes debug only. */
static enum log_level
http_status_level(int status)
{
	return status >= 500 ? LOG_LEVEL_WARN : status >= 400 ?
	    LOG_LEVEL_INFO : LOG_LEVEL_DEBUG;
}

/*
 * Count the request and log it (uri is NULL when the line is not wanted),
 * so normal operation stays quiet: the audit trail, not the log, records
 * who saw what.
 */
static void
http_req_finish(struct http_req *req, const char *uri)
{
	const char *sys = req->sys != NULL ? req->sys->name : "-";
	uint64_t usec = util_mono_usec() - req->t0;
	char target[256];

	http_metrics_observe(req->srv->metrics, req->route_idx, req->status,
	    usec);
	if (uri != NULL) {
		log_mask_target(uri, target, sizeof(target));
		log_msg(http_status_level(req->status), NULL, 0, "request | "
		    "id=%s system=%s method=%s target=\"%s\" status=%d "
		    "usec=%llu", req->id, sys, req->method, target,
		    req->status, (unsigned long long)usec);
	}
	if (req->conn->inflight > 0)
		req->conn->inflight--;
	free(req);
}

void
http_reply(struct http_req *req, int status, const char *ctype,
    const char *body, size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req->ev);
	struct evbuffer *out = evhttp_request_get_output_buffer(req->ev);
	const char *uri = NULL;
	char *copy = NULL;

	req->status = status;
	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "X-Request-ID", req->id);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (req->srv->draining)
		evhttp_add_header(h, "Connection", "close");
	if (body != NULL)
		evbuffer_add(out, body, len);
	evhttp_request_set_on_complete_cb(req->ev, http_req_done_cb,
	    req->conn);
	/* the send may free the request: keep the target if it is logged */
	if (log_enabled(http_status_level(status)) &&
	    (uri = evhttp_request_get_uri(req->ev)) != NULL)
		copy = xstrdup(uri);
	evhttp_send_reply(req->ev, status, http_reason(status), NULL);
	http_req_finish(req, copy);
	free(copy);
}

void
http_reply_outcome(struct http_req *req, int status, const char *severity,
    const char *code, const char *diagnostics, const char *expression)
{
	size_t len = 0;
	char *xml = fhir_outcome_xml(severity, code, diagnostics, expression,
	    &len);

	http_reply(req, status, FHIR_XML_MIME "; charset=utf-8", xml, len);
	free(xml);
}

/* --- dispatch ---------------------------------------------------------- */

static int
http_request_id_ok(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++) {
		if (n >= 64)
			return 0;
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' &&
		    s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9') ||
		    strchr("-._:", s[n]) != NULL))
			return 0;
	}
	return n > 0;
}

/* Look up the route; *allowp gets the methods the path accepts. */
static int
http_route_find(const char *path, enum evhttp_cmd_type cmd,
    unsigned int *allowp)
{
	size_t i;
	int found = -1;

	*allowp = 0;
	for (i = 0; i < http_n_routes; i++) {
		if (strcmp(http_routes[i].path, path) != 0)
			continue;
		*allowp |= http_routes[i].methods;
		if (http_routes[i].methods & cmd)
			found = (int)i;
	}
	return found;
}

static void
http_reply_405(struct http_req *req, unsigned int allow)
{
	char hdr[128] = "", diag[192];
	size_t i;

	for (i = 0; i < NELEMS(http_methods); i++) {
		if (!(allow & http_methods[i].cmd))
			continue;
		if (hdr[0] != '\0')
			strncat(hdr, ", ", sizeof(hdr) - strlen(hdr) - 1);
		strncat(hdr, http_methods[i].name, sizeof(hdr) - strlen(hdr) - 1);
	}
	evhttp_add_header(evhttp_request_get_output_headers(req->ev), "Allow",
	    hdr);
	snprintf(diag, sizeof(diag), "method %s is not supported here; "
	    "allowed: %s", req->method, hdr);
	http_reply_outcome(req, 405, "error", "not-supported", diag, NULL);
}

/*
 * Identify the calling system from the connection's certificate against the
 * current registry.  A resumed TLS session skips verification, so the
 * certificate is read from the session when the handshake did not see it.
 */
static const struct conf_system *
http_identify(struct http_server *srv, struct http_conn *conn)
{
	X509 *cert;

	if (conn->ssl == NULL)
		return NULL;
	if (!conn->has_cert &&
	    ((cert = SSL_get0_peer_certificate(conn->ssl)) == NULL ||
	    http_tls_peer_id(cert, conn) != 0))
		return NULL;
	return conf_system_find(srv->conf, conn->fp,
	    conn->subject[0] != '\0' ? conn->subject : NULL);
}

static void
http_plain_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	http_conn_closed(arg);
}

static struct http_conn *
http_conn_of(struct http_server *srv, struct evhttp_request *ev)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
	struct http_conn *conn;
	SSL *ssl;
	int fd, one = 1;

	if ((ssl = bufferevent_openssl_get_ssl(bev)) != NULL)
		conn = http_tls_conn_get(ssl);
	else {
		TAILQ_FOREACH(conn, &srv->conns, link)
			if (conn->evcon == evcon)
				break;
		if (conn == NULL) {
			/* first request on a plain connection */
			conn = http_conn_new(srv);
			conn->bev = bev;
			conn->evcon = evcon;
			evhttp_connection_set_closecb(evcon,
			    http_plain_closed_cb, conn);
		}
	}
	if (conn != NULL && !conn->nodelay) {
		/* accepted sockets inherit it on Linux; make sure anyway */
		if ((fd = bufferevent_getfd(bev)) >= 0)
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
		conn->nodelay = 1;
	}
	return conn;
}

static void
http_dispatch(struct http_req *req, enum evhttp_cmd_type cmd,
    const char *path)
{
	const struct http_route *rt;
	unsigned int allow;
	char diag[160];

	req->route_idx = http_route_find(path, cmd, &allow);
	if (req->route_idx < 0) {
		if (allow != 0)
			http_reply_405(req, allow);
		else
			http_reply_outcome(req, 404, "error", "not-found",
			    "no such endpoint", NULL);
		return;
	}
	rt = req->route = &http_routes[req->route_idx];
	if (req->sys == NULL && !rt->anonymous) {
		http_reply_outcome(req, 403, "error", "security",
		    "this endpoint needs mutual TLS", NULL);
		return;
	}
	if (rt->perm != 0 && (req->sys == NULL ||
	    (req->sys->perms & rt->perm) != rt->perm)) {
		snprintf(diag, sizeof(diag), "system lacks the %s permission",
		    conf_perm_name(rt->perm));
		http_reply_outcome(req, 403, "error", "forbidden", diag, NULL);
		return;
	}
	rt->fn(req);
}

static void
http_gencb(struct evhttp_request *ev, void *arg)
{
	struct http_listener *l = arg;
	struct http_server *srv = l->srv;
	struct http_conn *conn = http_conn_of(srv, ev);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *rid;
	const struct conf_system *sys = NULL;
	struct http_req *req;
	char fp[2 * CONF_FP_LEN + 1];

	if (conn == NULL) {
		/* cannot happen: every connection is created by http_bevcb */
		log_err_f("request on an unknown connection; closing it");
		evhttp_connection_free(evhttp_request_get_connection(ev));
		return;
	}
	if (!l->plaintext && (sys = http_identify(srv, conn)) == NULL) {
		/* a system removed by a reload: no HTTP answer at all */
		util_hex(conn->fp, CONF_FP_LEN, fp);
		log_warn("client certificate no longer registered; closing "
		    "connection | fingerprint=sha256:%s", fp);
		evhttp_connection_free(evhttp_request_get_connection(ev));
		return;
	}
	req = xcalloc(1, sizeof(*req));
	req->srv = srv;
	req->ev = ev;
	req->conn = conn;
	req->sys = sys;
	req->route_idx = -1;
	req->t0 = util_mono_usec();
	req->method = http_method_name(evhttp_request_get_command(ev));
	conn->inflight++;
	rid = evhttp_find_header(evhttp_request_get_input_headers(ev),
	    "X-Request-ID");
	if (rid != NULL && http_request_id_ok(rid))
		snprintf(req->id, sizeof(req->id), "%s", rid);
	else
		util_uuid(req->id);
	if (path == NULL || *path == '\0')
		path = "/";
	http_dispatch(req, evhttp_request_get_command(ev), path);
}

/* --- lifecycle --------------------------------------------------------- */

int
http_server_new(struct event_base *base, const struct conf *conf,
    struct http_server **srvp, char *err, size_t errlen)
{
	struct http_server *srv = xcalloc(1, sizeof(*srv));
	int r;

	*srvp = NULL;
	srv->base = base;
	srv->conf = conf;
	srv->started = util_real_usec();
	TAILQ_INIT(&srv->conns);
	if ((r = http_tls_ctx_new(conf, &srv->ssl_ctx, err, errlen)) != 0) {
		free(srv);
		return r;
	}
	srv->metrics = http_metrics_new(http_n_routes);
	*srvp = srv;
	return 0;
}

static void
http_listener_setup(struct http_server *srv, struct http_listener *l)
{
	const struct conf_limits *lim = &srv->conf->limits;

	l->srv = srv;
	l->http = evhttp_new(srv->base);
	if (l->http == NULL)
		fatal("evhttp_new failed");
	evhttp_set_allowed_methods(l->http, HTTP_ALL_METHODS);
	evhttp_set_max_body_size(l->http, (ev_ssize_t)lim->max_body);
	evhttp_set_max_headers_size(l->http, (ev_ssize_t)lim->max_header);
	evhttp_set_timeout(l->http, lim->request_timeout);
	/* read and discard an oversized body so the client sees the 413 */
	evhttp_set_flags(l->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_gencb(l->http, http_gencb, l);
	evhttp_set_bevcb(l->http, http_bevcb, l);
}

int
http_server_listen(struct http_server *srv, char *err, size_t errlen)
{
	const struct conf_listener *cl;
	struct http_listener *l;
	int fd, one = 1;
	size_t i;

	srv->ls = xcalloc(srv->conf->n_listeners, sizeof(*srv->ls));
	for (i = 0; i < srv->conf->n_listeners; i++) {
		cl = &srv->conf->listeners[i];
		l = &srv->ls[srv->n_ls++];
		l->plaintext = cl->plaintext;
		http_listener_setup(srv, l);
		l->bound = evhttp_bind_socket_with_handle(l->http, cl->address,
		    (ev_uint16_t)cl->port);
		if (l->bound == NULL) {
			snprintf(err, errlen, "cannot listen on %s port %d: %s",
			    cl->address, cl->port, strerror(errno));
			return ERR_SYSTEM;
		}
		fd = evhttp_bound_socket_get_fd(l->bound);
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		log_info("listening | address=%s port=%d tls=%s", cl->address,
		    cl->port, cl->plaintext ? "no" : "yes");
	}
	return 0;
}

void
http_server_set_store(struct http_server *srv, struct db *rdb,
    struct db_writer *writer)
{
	srv->rdb = rdb;
	srv->writer = writer;
}

/*
 * After a reload, close every open TLS connection whose certificate no
 * longer maps to a system, before it can send anything else: libevent
 * answers some requests (bad request lines, unknown methods, Expect:
 * 100-continue) itself, before carehub's per-request check runs.
 */
static void
http_close_unregistered(struct http_server *srv)
{
	struct http_conn *conn;
	int fd;

	TAILQ_FOREACH(conn, &srv->conns, link) {
		if (conn->ssl == NULL || (!conn->has_cert &&
		    !SSL_is_init_finished(conn->ssl)))
			continue;	/* its handshake checks the new registry */
		if (http_identify(srv, conn) != NULL)
			continue;
		log_warn("system removed by reload: closing its connection");
		if ((fd = bufferevent_getfd(conn->bev)) >= 0)
			(void)shutdown(fd, SHUT_RDWR);
	}
}

int
http_server_reload(struct http_server *srv, const struct conf *conf,
    char *err, size_t errlen)
{
	SSL_CTX *ctx = NULL;
	size_t i;
	int r;

	if ((r = http_tls_ctx_new(conf, &ctx, err, errlen)) != 0)
		return r;
	SSL_CTX_free(srv->ssl_ctx);
	srv->ssl_ctx = ctx;
	srv->conf = conf;
	http_close_unregistered(srv);
	for (i = 0; i < srv->n_ls; i++) {
		evhttp_set_max_body_size(srv->ls[i].http,
		    (ev_ssize_t)conf->limits.max_body);
		evhttp_set_max_headers_size(srv->ls[i].http,
		    (ev_ssize_t)conf->limits.max_header);
		evhttp_set_timeout(srv->ls[i].http,
		    conf->limits.request_timeout);
	}
	if (!srv->draining)
		http_listeners_enable(srv, srv->n_conns <
		    (unsigned int)conf->limits.max_connections);
	return 0;
}

void
http_server_drain(struct http_server *srv, void (*done)(void *), void *arg)
{
	struct http_conn *conn;
	int fd;

	srv->draining = 1;
	srv->drained = done;
	srv->drained_arg = arg;
	http_listeners_enable(srv, 0);
	/*
	 * Close idle connections now; busy ones close after their reply,
	 * which carries "Connection: close".
	 */
	TAILQ_FOREACH(conn, &srv->conns, link) {
		if (conn->inflight > 0 || conn->rx != conn->rx_at_done)
			continue;
		if ((fd = bufferevent_getfd(conn->bev)) >= 0)
			(void)shutdown(fd, SHUT_RDWR);
	}
	log_info("draining | open=%u", srv->n_conns);
	event_base_once(srv->base, -1, EV_TIMEOUT, http_drained_cb, srv, NULL);
}

unsigned int
http_server_connections(const struct http_server *srv)
{
	return srv->n_conns;
}

void
http_server_free(struct http_server *srv)
{
	struct http_conn *conn;
	size_t i;

	if (srv == NULL)
		return;
	srv->draining = 1;
	srv->drained = NULL;
	/* frees every connection; http_conn_closed() still sees srv */
	for (i = 0; i < srv->n_ls; i++)
		if (srv->ls[i].http != NULL)
			evhttp_free(srv->ls[i].http);
	/*
	 * libevent may free a bufferevent (and its SSL) later, from the event
	 * base; such connections must not reach back into srv.
	 */
	while ((conn = TAILQ_FIRST(&srv->conns)) != NULL) {
		TAILQ_REMOVE(&srv->conns, conn, link);
		conn->srv = NULL;
	}
	free(srv->ls);
	SSL_CTX_free(srv->ssl_ctx);
	http_metrics_free(srv->metrics);
	free(srv);
}
