/* SPDX-License-Identifier: ISC */
/*
 * http_fixture.c: see http_fixture.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>

#include "conf.h"
#include "ctl.h"
#include "http.h"
#include "http_int.h"
#include "log.h"
#include "util.h"
#include "http_fixture.h"

static void
fixture_die(const char *what, const char *err)
{
	fprintf(stderr, "http_fixture: %s: %s\n", what, err);
	exit(1);
}

void
http_fixture_start(struct http_fixture *fx, int max_conns)
{
	char dir[] = "/tmp/carehub-fx-XXXXXX", cert[64], key[64], err[1024];
	struct ctl_cert_spec spec = { CTL_CERT_CA, "fixture", NULL, NULL };
	socklen_t alen = sizeof(fx->addr);
	char *xml;

	memset(fx, 0, sizeof(*fx));
	signal(SIGPIPE, SIG_IGN);	/* the server may close first */
	if (mkdtemp(dir) == NULL)
		fixture_die("mkdtemp", strerror(errno));
	snprintf(cert, sizeof(cert), "%s/c.pem", dir);
	snprintf(key, sizeof(key), "%s/k.pem", dir);
	if (ctl_pki_issue(&spec, NULL, NULL, cert, key, NULL, NULL, err,
	    sizeof(err)) != 0)
		fixture_die("certificate", err);
	xasprintf(&xml, "<carehub xmlns=\"urn:carehub:conf:1\">"
	    "<listen address=\"127.0.0.1\" port=\"1\" plaintext=\"true\"/>"
	    "<tls><certificate>%s</certificate><key>%s</key>"
	    "<client-ca>%s</client-ca></tls><database><path>%s/db</path>"
	    "<key-file>%s/k</key-file></database><control-socket>%s/s"
	    "</control-socket><limits><max-body-bytes>4096</max-body-bytes>"
	    "<max-header-bytes>4096</max-header-bytes><max-connections>%d"
	    "</max-connections></limits><systems/></carehub>", cert, key,
	    cert, dir, dir, dir, max_conns);
	if (conf_load_buf(xml, strlen(xml), "fixture.conf", &fx->conf, err,
	    sizeof(err)) != 0)
		fixture_die("configuration", err);
	free(xml);
	fx->conf->listeners[0].port = 0;	/* any free port */
	fx->base = event_base_new();
	if (http_server_new(fx->base, fx->conf, &fx->srv, err,
	    sizeof(err)) != 0 || http_server_listen(fx->srv, err,
	    sizeof(err)) != 0)
		fixture_die("server", err);
	unlink(cert);
	unlink(key);
	rmdir(dir);
	if (getsockname(evhttp_bound_socket_get_fd(fx->srv->ls[0].bound),
	    (struct sockaddr *)&fx->addr, &alen) != 0)
		fixture_die("getsockname", strerror(errno));
}

void
http_fixture_stop(struct http_fixture *fx)
{
	http_server_free(fx->srv);
	event_base_free(fx->base);
	conf_free(fx->conf);
	memset(fx, 0, sizeof(*fx));
}

int
http_fixture_connect(struct http_fixture *fx)
{
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		fixture_die("socket", strerror(errno));
	/* libFuzzer's timers may interrupt a blocking connect */
	while (connect(fd, (struct sockaddr *)&fx->addr,
	    sizeof(fx->addr)) != 0) {
		if (errno == EISCONN)
			break;
		if (errno != EINTR && errno != EALREADY)
			fixture_die("connect", strerror(errno));
		usleep(100);
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

void
http_fixture_spin(struct http_fixture *fx, int rounds)
{
	while (rounds-- > 0)
		event_base_loop(fx->base, EVLOOP_NONBLOCK);
}

int
http_fixture_exchange(struct http_fixture *fx, int fd, const void *req,
    size_t len, int shut, char *resp, size_t resplen, int rounds)
{
	char buf[4096];
	size_t off = 0, got = 0;
	ssize_t n;
	int i, closed = 0;

	if (resplen > 0)
		resp[0] = '\0';
	if (len == 0 && shut)
		shutdown(fd, SHUT_WR);
	for (i = 0; i < rounds && !closed; i++) {
		if (off < len) {
			n = write(fd, (const char *)req + off, len - off);
			if (n > 0)
				off += (size_t)n;
			if (off == len && shut)
				shutdown(fd, SHUT_WR);
		}
		event_base_loop(fx->base, EVLOOP_NONBLOCK);
		while ((n = read(fd, buf, sizeof(buf))) > 0) {
			if (got + 1 < resplen) {
				size_t k = (size_t)n < resplen - got - 1 ?
				    (size_t)n : resplen - got - 1;

				memcpy(resp + got, buf, k);
				got += k;
				resp[got] = '\0';
			}
		}
		if (n == 0 || (n < 0 && errno != EAGAIN))
			closed = 1;
	}
	return closed;
}
