/* SPDX-License-Identifier: ISC */
/*
 * test_http.c: the HTTP front end in process (client and server on one
 * event base): replies and request ids, TCP_NODELAY on accepted
 * connections, the connection cap and draining.
 */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/bufferevent.h>

#include "http.h"
#include "http_fixture.h"
#include "http_int.h"
#include "log.h"

#define GET(path) "GET " path " HTTP/1.1\r\nHost: x\r\n\r\n"

static void
get(struct http_fixture *fx, int fd, const char *req, char *resp,
    size_t len)
{
	(void)http_fixture_exchange(fx, fd, req, strlen(req), 0, resp, len,
	    200);
}

static void
test_replies(void **state)
{
	struct http_fixture fx;
	char resp[8192];
	int fd;

	(void)state;
	http_fixture_start(&fx, 16);
	fd = http_fixture_connect(&fx);
	get(&fx, fd, GET("/healthz"), resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(resp, "X-Request-ID: "));
	assert_non_null(strstr(resp, "Cache-Control: no-store\r\n"));
	get(&fx, fd, "GET /nothing HTTP/1.1\r\nHost: x\r\nX-Request-ID: "
	    "abc.123\r\n\r\n", resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.1 404 Not Found\r\n"));
	assert_non_null(strstr(resp, "X-Request-ID: abc.123\r\n"));
	assert_non_null(strstr(resp, "<OperationOutcome"));
	get(&fx, fd, "DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n", resp,
	    sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.1 405 "));
	assert_non_null(strstr(resp, "Allow: GET, HEAD\r\n"));
	/* metrics need mutual TLS and the admin permission */
	get(&fx, fd, GET("/metrics"), resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.1 403 "));
	close(fd);
	http_fixture_stop(&fx);
}

static void
test_nodelay(void **state)
{
	struct http_fixture fx;
	struct http_conn *conn;
	char resp[4096];
	int fd, one = 0, sfd;
	socklen_t len = sizeof(one);

	(void)state;
	http_fixture_start(&fx, 16);
	fd = http_fixture_connect(&fx);
	get(&fx, fd, GET("/healthz"), resp, sizeof(resp));
	assert_int_equal(http_server_connections(fx.srv), 1);
	conn = TAILQ_FIRST(&fx.srv->conns);
	assert_non_null(conn);
	/* without it every TLS reply stalls ~40 ms behind delayed ACKs */
	sfd = bufferevent_getfd(conn->bev);
	assert_true(sfd >= 0);
	assert_int_equal(getsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one,
	    &len), 0);
	assert_int_equal(one, 1);
	close(fd);
	http_fixture_spin(&fx, 50);
	assert_int_equal(http_server_connections(fx.srv), 0);
	http_fixture_stop(&fx);
}

static void
test_connection_cap(void **state)
{
	struct http_fixture fx;
	char resp[4096];
	int a, b, c;

	(void)state;
	http_fixture_start(&fx, 2);
	a = http_fixture_connect(&fx);
	b = http_fixture_connect(&fx);
	get(&fx, a, GET("/healthz"), resp, sizeof(resp));
	get(&fx, b, GET("/healthz"), resp, sizeof(resp));
	assert_int_equal(http_server_connections(fx.srv), 2);
	assert_true(fx.srv->paused);
	/* a third is not accepted while two are open */
	c = http_fixture_connect(&fx);
	get(&fx, c, GET("/healthz"), resp, sizeof(resp));
	assert_string_equal(resp, "");
	/* when one closes, the waiting one is accepted and answered */
	close(a);
	get(&fx, c, "", resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.1 200 OK"));
	assert_int_equal(http_server_connections(fx.srv), 2);
	close(b);
	close(c);
	http_fixture_stop(&fx);
}

static int drained;

static void
drained_cb(void *arg)
{
	(void)arg;
	drained = 1;
}

static void
test_drain(void **state)
{
	struct http_fixture fx;
	char resp[4096];
	int idle, fresh;

	(void)state;
	http_fixture_start(&fx, 16);
	idle = http_fixture_connect(&fx);
	get(&fx, idle, GET("/healthz"), resp, sizeof(resp));
	assert_int_equal(http_server_connections(fx.srv), 1);
	drained = 0;
	http_server_drain(fx.srv, drained_cb, NULL);
	/* the idle keep-alive connection is closed, not waited for */
	assert_int_equal(http_fixture_exchange(&fx, idle, "", 0, 0, resp,
	    sizeof(resp), 200), 1);
	http_fixture_spin(&fx, 50);
	assert_int_equal(drained, 1);
	assert_int_equal(http_server_connections(fx.srv), 0);
	/* and nothing new is accepted */
	fresh = http_fixture_connect(&fx);
	get(&fx, fresh, GET("/healthz"), resp, sizeof(resp));
	assert_string_equal(resp, "");
	close(idle);
	close(fresh);
	http_fixture_stop(&fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_nodelay),
		cmocka_unit_test(test_connection_cap),
		cmocka_unit_test(test_drain),
	};

	log_init("test_http", LOG_LEVEL_ERR, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
