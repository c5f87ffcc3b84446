/* SPDX-License-Identifier: ISC */
/*
 * fuzz_http.c: HTTP request handling: libevent's parser, then carehub's
 * dispatch, routing, request ids, logging and replies, on a plain HTTP
 * loopback listener in this process.  Each input is written to a new
 * connection; the harness runs the loop until the server closes it and
 * checks that no connection is left behind.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
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

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static struct event_base *base;
static struct http_server *srv;
static struct conf *conf;
static struct sockaddr_in addr;

static void
fuzz_die(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_http: %s: %s\n", what, err);
	exit(1);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/carehub-fuzz-XXXXXX", cert[64], key[64], err[1024];
	char *xml;
	struct ctl_cert_spec spec = { CTL_CERT_CA, "fuzz", NULL, NULL };
	socklen_t alen = sizeof(addr);

	(void)argc;
	(void)argv;
	log_init("fuzz", LOG_LEVEL_ERR, 0);
	signal(SIGPIPE, SIG_IGN);	/* the server may close before we finish */
	if (mkdtemp(dir) == NULL)
		fuzz_die("mkdtemp", strerror(errno));
	snprintf(cert, sizeof(cert), "%s/c.pem", dir);
	snprintf(key, sizeof(key), "%s/k.pem", dir);
	if (ctl_pki_issue(&spec, NULL, NULL, cert, key, NULL, NULL, err,
	    sizeof(err)) != 0)
		fuzz_die("certificate", err);
	xasprintf(&xml, "<carehub xmlns=\"urn:carehub:conf:1\">"
	    "<listen address=\"127.0.0.1\" port=\"1\" plaintext=\"true\"/>"
	    "<tls><certificate>%s</certificate><key>%s</key>"
	    "<client-ca>%s</client-ca></tls><database><path>%s/db</path>"
	    "<key-file>%s/k</key-file></database><control-socket>%s/s"
	    "</control-socket><limits><max-body-bytes>4096</max-body-bytes>"
	    "<max-header-bytes>4096</max-header-bytes></limits><systems/>"
	    "</carehub>", cert, key, cert, dir, dir, dir);
	if (conf_load_buf(xml, strlen(xml), "fuzz.conf", &conf, err,
	    sizeof(err)) != 0)
		fuzz_die("configuration", err);
	free(xml);
	conf->listeners[0].port = 0;	/* any free port */
	base = event_base_new();
	if (http_server_new(base, conf, &srv, err, sizeof(err)) != 0 ||
	    http_server_listen(srv, err, sizeof(err)) != 0)
		fuzz_die("server", err);
	unlink(cert);
	unlink(key);
	rmdir(dir);
	if (getsockname(evhttp_bound_socket_get_fd(srv->ls[0].bound),
	    (struct sockaddr *)&addr, &alen) != 0)
		fuzz_die("getsockname", strerror(errno));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char buf[65536];
	size_t off = 0;
	ssize_t n;
	int fd, i, closed = 0;

	if (len > 65536)
		return 0;
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		fuzz_die("socket", strerror(errno));
	/* libFuzzer's timers may interrupt a blocking connect */
	while (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		if (errno == EISCONN)
			break;
		if (errno != EINTR && errno != EALREADY)
			fuzz_die("connect", strerror(errno));
		usleep(100);
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 20000 && !closed; i++) {
		if (off < len) {
			n = write(fd, data + off, len - off);
			if (n > 0)
				off += (size_t)n;
			if (off == len)
				shutdown(fd, SHUT_WR);
		} else if (len == 0 && i == 0)
			shutdown(fd, SHUT_WR);
		event_base_loop(base, EVLOOP_NONBLOCK);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			;
		if (n == 0 || (n < 0 && errno != EAGAIN))
			closed = 1;
	}
	close(fd);
	for (i = 0; i < 1000 && http_server_connections(srv) > 0; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	if (http_server_connections(srv) != 0)
		__builtin_trap();	/* a connection was leaked */
	return 0;
}
