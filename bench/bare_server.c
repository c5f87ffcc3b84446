/* SPDX-License-Identifier: ISC */
/*
 * bare_server.c: the smallest HTTPS server we know how to build on our
 * stack, used as the ceiling that carehubd's /healthz is measured against.
 *
 * libevent 2.1 evhttp over bufferevent_openssl (OpenSSL 3), mutual TLS
 * (TLS 1.2+, ECDHE AEAD suites, client certificate required and checked
 * against -C), keep-alive, TCP_NODELAY on every accepted socket.  Every
 * GET, whatever the path, is answered 200 with {"status":"ok"}.  Prints
 * "ready port=N" on stdout once listening (-p 0 picks a free port) and
 * exits cleanly on SIGTERM or SIGINT.
 *
 * Owns one event_base, one SSL_CTX and one listener.  Does not log per
 * request, read configuration, or do anything a real handler would do:
 * whatever carehubd costs above this is the price of carehubd.
 */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

/* TLS 1.2: ECDHE key exchange and AEAD only (TLS 1.3 suites all are). */
#define BARE_TLS12_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

static const char bare_body[] = "{\"status\":\"ok\"}";
static const unsigned char bare_sid_ctx[] = "carehub-bench";

struct bare_opts {
	const char	*addr;
	int		 port;
	const char	*cert;
	const char	*key;
	const char	*ca;
};

struct bare_server {
	struct event_base	*base;
	struct evhttp		*http;
	SSL_CTX			*ctx;
	struct evbuffer		*body;	/* reused by every reply */
	struct event		*sigterm;
	struct event		*sigint;
};

static void __attribute__((noreturn))
bare_usage(void)
{
	fprintf(stderr, "usage: bare_server [-a ADDR] -p PORT -c CERT -k KEY "
	    "-C CA\n");
	exit(2);
}

static void
bare_ssl_error(const char *what, const char *arg)
{
	unsigned long e;
	char buf[256];

	e = ERR_get_error();
	ERR_error_string_n(e, buf, sizeof(buf));
	fprintf(stderr, "bare_server: %s %s: %s\n", what, arg ? arg : "",
	    e ? buf : "failed");
	ERR_clear_error();
}

/*
 * evhttp's bufferevent callback runs before the socket is attached, so the
 * fd is not known there.  The first moment it is known is the start of the
 * handshake, which is also before any byte is written: set TCP_NODELAY then.
 */
static void
bare_ssl_info_cb(const SSL *ssl, int where, int ret)
{
	int fd, one = 1;

	(void)ret;
	if ((where & SSL_CB_HANDSHAKE_START) == 0)
		return;
	if ((fd = SSL_get_fd(ssl)) < 0)
		return;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static SSL_CTX *
bare_tls_new(const struct bare_opts *o)
{
	SSL_CTX *ctx;
	STACK_OF(X509_NAME) *names;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		bare_ssl_error("SSL_CTX_new", NULL);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_set_cipher_list(ctx, BARE_TLS12_CIPHERS) != 1) {
		bare_ssl_error("cipher list", NULL);
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1) {
		bare_ssl_error("certificate", o->cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		bare_ssl_error("private key", o->key);
		goto fail;
	}
	if (SSL_CTX_load_verify_locations(ctx, o->ca, NULL) != 1 ||
	    (names = SSL_load_client_CA_file(o->ca)) == NULL) {
		bare_ssl_error("client CA", o->ca);
		goto fail;
	}
	SSL_CTX_set_client_CA_list(ctx, names);	/* ctx owns names */
	SSL_CTX_set_verify(ctx,
	    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_session_id_context(ctx, bare_sid_ctx,
	    sizeof(bare_sid_ctx) - 1);
	SSL_CTX_set_info_callback(ctx, bare_ssl_info_cb);
	return ctx;
 fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static struct bufferevent *
bare_bev_cb(struct event_base *base, void *arg)
{
	struct bare_server *s = arg;
	struct bufferevent *bev;
	SSL *ssl;

	if ((ssl = SSL_new(s->ctx)) == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* clients that close without close_notify are not an error here */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static void
bare_request_cb(struct evhttp_request *req, void *arg)
{
	struct bare_server *s = arg;
	struct evkeyvalq *out;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_send_error(req, 405, NULL);
		return;
	}
	out = evhttp_request_get_output_headers(req);
	evhttp_add_header(out, "Content-Type", "application/json");
	evbuffer_add_reference(s->body, bare_body, sizeof(bare_body) - 1,
	    NULL, NULL);
	evhttp_send_reply(req, 200, "OK", s->body);	/* drains s->body */
}

static void
bare_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct bare_server *s = arg;

	(void)sig;
	(void)what;
	event_base_loopexit(s->base, NULL);
}

static int
bare_listen(struct bare_server *s, const struct bare_opts *o)
{
	struct evhttp_bound_socket *bound;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int port;

	bound = evhttp_bind_socket_with_handle(s->http, o->addr,
	    (ev_uint16_t)o->port);
	if (bound == NULL) {
		fprintf(stderr, "bare_server: cannot listen on %s:%d\n",
		    o->addr, o->port);
		return -1;
	}
	if (getsockname(evhttp_bound_socket_get_fd(bound),
	    (struct sockaddr *)&ss, &sslen) != 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	printf("ready port=%d\n", port);
	fflush(stdout);
	return 0;
}

static int
bare_setup(struct bare_server *s, const struct bare_opts *o)
{
	if ((s->ctx = bare_tls_new(o)) == NULL)
		return -1;
	if ((s->base = event_base_new()) == NULL ||
	    (s->http = evhttp_new(s->base)) == NULL ||
	    (s->body = evbuffer_new()) == NULL)
		return -1;
	evhttp_set_bevcb(s->http, bare_bev_cb, s);
	evhttp_set_gencb(s->http, bare_request_cb, s);
	evhttp_set_timeout(s->http, 60);
	s->sigterm = evsignal_new(s->base, SIGTERM, bare_signal_cb, s);
	s->sigint = evsignal_new(s->base, SIGINT, bare_signal_cb, s);
	if (s->sigterm == NULL || s->sigint == NULL ||
	    event_add(s->sigterm, NULL) != 0 || event_add(s->sigint, NULL) != 0)
		return -1;
	return bare_listen(s, o);
}

static void
bare_teardown(struct bare_server *s)
{
	if (s->http != NULL)
		evhttp_free(s->http);	/* closes open connections */
	if (s->sigterm != NULL)
		event_free(s->sigterm);
	if (s->sigint != NULL)
		event_free(s->sigint);
	if (s->body != NULL)
		evbuffer_free(s->body);
	if (s->base != NULL)
		event_base_free(s->base);
	SSL_CTX_free(s->ctx);
}

static void
bare_parse_args(int argc, char **argv, struct bare_opts *o)
{
	char *end;
	long v;
	int ch;

	o->addr = "127.0.0.1";
	o->port = -1;
	while ((ch = getopt(argc, argv, "a:p:c:k:C:h")) != -1) {
		switch (ch) {
		case 'a':
			o->addr = optarg;
			break;
		case 'p':
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 0 ||
			    v > 65535)
				bare_usage();
			o->port = (int)v;
			break;
		case 'c':
			o->cert = optarg;
			break;
		case 'k':
			o->key = optarg;
			break;
		case 'C':
			o->ca = optarg;
			break;
		default:
			bare_usage();
		}
	}
	if (optind != argc || o->port < 0 || o->cert == NULL ||
	    o->key == NULL || o->ca == NULL)
		bare_usage();
}

int
main(int argc, char **argv)
{
	struct bare_opts o;
	struct bare_server s;
	int r = 1;

	memset(&o, 0, sizeof(o));
	memset(&s, 0, sizeof(s));
	bare_parse_args(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);
	if (bare_setup(&s, &o) != 0) {
		fprintf(stderr, "bare_server: setup failed\n");
		goto out;
	}
	if (event_base_dispatch(s.base) == 0)
		r = 0;
 out:
	bare_teardown(&s);
	return r;
}
