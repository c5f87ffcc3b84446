/* SPDX-License-Identifier: ISC */
/*
 * http.h: the HTTPS front end: listeners, mutual TLS, connections,
 * routing, request ids, request logs and metrics.
 *
 * Owns every client connection and the TLS context.  Runs entirely on the
 * event loop thread.  Does not own the configuration (it holds a borrowed
 * pointer, replaced by http_server_reload()), the database or the writer
 * (borrowed through http_server_set_store()).
 */
#ifndef CAREHUB_HTTP_H
#define CAREHUB_HTTP_H

#include <stddef.h>

struct conf;
struct db;
struct db_writer;
struct event_base;
struct http_server;

/*
 * Create a server on base for conf (borrowed; must outlive the server or
 * be replaced by http_server_reload()).  Builds the TLS context (errors
 * describe the file at fault in err).  Does not listen yet.
 */
int	http_server_new(struct event_base *base, const struct conf *conf,
	    struct http_server **srvp, char *err, size_t errlen);
/* Bind every configured listener.  Run before dropping privileges. */
int	http_server_listen(struct http_server *srv, char *err, size_t errlen);
/* Give the handlers the read connection and the writer (both borrowed). */
void	http_server_set_store(struct http_server *srv, struct db *rdb,
	    struct db_writer *writer);
/*
 * Switch to a new configuration: build a new TLS context from it and, only
 * if that succeeds, swap both.  Connections already open keep their TLS
 * session but every later request is checked against the new registry.
 * On failure nothing changes and err says why.
 */
int	http_server_reload(struct http_server *srv, const struct conf *conf,
	    char *err, size_t errlen);
/*
 * Stop accepting, close idle connections, answer requests in progress
 * with "Connection: close", and call done(arg) once no connection is left.
 */
void	http_server_drain(struct http_server *srv, void (*done)(void *),
	    void *arg);
/* Open connections now. */
unsigned int http_server_connections(const struct http_server *srv);
void	http_server_free(struct http_server *srv);

#endif
