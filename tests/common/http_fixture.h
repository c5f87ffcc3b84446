/* SPDX-License-Identifier: ISC */
/*
 * http_fixture.h: an in-process carehub HTTP server on a plain loopback
 * listener with an ephemeral port, and a raw client, for unit tests and
 * the HTTP fuzz harness (libevent regress_http.c style: client and server
 * on one event base).
 */
#ifndef CAREHUB_HTTP_FIXTURE_H
#define CAREHUB_HTTP_FIXTURE_H

#include <netinet/in.h>
#include <stddef.h>

struct conf;
struct event_base;
struct http_server;

struct http_fixture {
	struct event_base	*base;
	struct conf		*conf;
	struct http_server	*srv;
	struct sockaddr_in	 addr;
};

/* Start a server allowing max_conns connections; exits the test on error. */
void	http_fixture_start(struct http_fixture *fx, int max_conns);
void	http_fixture_stop(struct http_fixture *fx);
/* A connected client socket (non-blocking). */
int	http_fixture_connect(struct http_fixture *fx);
/* Run the loop a little (non-blocking iterations). */
void	http_fixture_spin(struct http_fixture *fx, int rounds);
/*
 * Write len bytes on fd (then shut down writing if shut), run the loop
 * until the server closes the connection or rounds pass, and collect what
 * came back in resp (NUL-terminated, at most resplen-1 bytes).  Returns
 * 1 if the server closed the connection.
 */
int	http_fixture_exchange(struct http_fixture *fx, int fd, const void *req,
	    size_t len, int shut, char *resp, size_t resplen, int rounds);

#endif
