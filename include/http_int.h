/* SPDX-License-Identifier: ISC */
/*
 * http_int.h: what the http_*.c files share and nothing else includes.
 *
 * Connections, requests, the route table, metrics and the TLS context
 * builder.  Everything here runs on the event loop thread.
 */
#ifndef CAREHUB_HTTP_INT_H
#define CAREHUB_HTTP_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <openssl/ssl.h>

#include "conf.h"

struct bufferevent;
struct evbuffer;
struct evhttp;
struct evhttp_connection;
struct evhttp_bound_socket;
struct evhttp_request;
struct http_server;

/* One client connection, from accept to close. */
struct http_conn {
	struct http_server	*srv;
	struct bufferevent	*bev;
	SSL			*ssl;		/* NULL: plain HTTP */
	struct evhttp_connection *evcon;	/* plain HTTP only */
	int			 has_cert;
	int			 nodelay;	/* TCP_NODELAY set */
	unsigned char		 fp[CONF_FP_LEN];
	char			 subject[256];
	uint64_t		 rx;		/* application records received */
	uint64_t		 rx_at_done;	/* rx when the last reply finished */
	unsigned int		 inflight;	/* requests not yet answered */
	TAILQ_ENTRY(http_conn)	 link;
};

struct http_req;
typedef void http_handler_fn(struct http_req *req);

/* One row of the route table (http_api.c). */
struct http_route {
	const char	*path;		/* exact path */
	unsigned int	 methods;	/* EVHTTP_REQ_* mask */
	http_handler_fn	*fn;
	unsigned int	 perm;		/* CONF_PERM_* needed; 0: any system */
	int		 anonymous;	/* allowed on a plain HTTP listener */
	const char	*fhir_type;	/* CapabilityStatement entry, or NULL */
	const char	*fhir_interaction;
};

extern const struct http_route http_routes[];
extern const size_t http_n_routes;

struct fhir_cap_entry;
/*
 * The FHIR interactions of the route table, for the CapabilityStatement:
 * a new array (caller frees) of *np entries.
 */
struct fhir_cap_entry *http_api_capabilities(size_t *np);

/* A request being answered. */
struct http_req {
	struct http_server	*srv;
	struct evhttp_request	*ev;
	struct http_conn	*conn;
	const struct conf_system *sys;	/* NULL on plain HTTP */
	const struct http_route	*route;	/* NULL: no route matched */
	int			 route_idx;
	char			 id[72];	/* X-Request-ID */
	const char		*method;
	uint64_t		 t0;
	int			 status;
};

struct http_listener {
	struct evhttp		*http;
	struct evhttp_bound_socket *bound;
	struct http_server	*srv;
	int			 plaintext;
};

struct http_metrics;

struct http_server {
	struct event_base	*base;
	const struct conf	*conf;
	SSL_CTX			*ssl_ctx;
	struct http_listener	*ls;
	size_t			 n_ls;
	TAILQ_HEAD(, http_conn)	 conns;
	unsigned int		 n_conns;
	int			 paused;
	int			 draining;
	void			(*drained)(void *);
	void			*drained_arg;
	struct db		*rdb;
	struct db_writer	*writer;
	struct http_metrics	*metrics;
	uint64_t		 started;
};

/* Reply helpers (http_server.c). */
void	http_reply(struct http_req *req, int status, const char *ctype,
	    const char *body, size_t len);
/* Reply with an OperationOutcome holding one issue. */
void	http_reply_outcome(struct http_req *req, int status,
	    const char *severity, const char *code, const char *diagnostics,
	    const char *expression);

/* TLS (http_tls.c). */
int	http_tls_ctx_new(const struct conf *conf, SSL_CTX **ctxp, char *err,
	    size_t errlen);
/* Attach conn to a new SSL object (ex_data; freed with the SSL). */
int	http_tls_conn_attach(SSL *ssl, struct http_conn *conn);
struct http_conn *http_tls_conn_get(SSL *ssl);
/* Record cert's SHA-256 fingerprint and RFC 2253 subject on conn. */
int	http_tls_peer_id(X509 *cert, struct http_conn *conn);
/* Called when an SSL's connection object goes away (http_server.c). */
void	http_conn_closed(struct http_conn *conn);

/* Metrics (http_metrics.c). */
struct http_metrics *http_metrics_new(size_t n_routes);
void	http_metrics_free(struct http_metrics *m);
/* route_idx -1: no route.  usec: time from arrival to reply. */
void	http_metrics_observe(struct http_metrics *m, int route_idx,
	    int status, uint64_t usec);
/* Append the Prometheus text exposition to out. */
void	http_metrics_render(struct http_server *srv, struct evbuffer *out);

#endif
