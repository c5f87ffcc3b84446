/* SPDX-License-Identifier: ISC */
/*
 * fuzz_http.c: HTTP request handling: libevent's parser, then carehub's
 * dispatch, routing, request ids, logging and replies, on a plain HTTP
 * loopback listener in this process.  Each input is written to a new
 * connection; the harness runs the loop until the server closes it and
 * checks that no connection is left behind.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "http.h"
#include "http_fixture.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static struct http_fixture fx;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz", LOG_LEVEL_ERR, 0);
	http_fixture_start(&fx, 1024);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char resp[1];
	int fd, i;

	if (len > 65536)
		return 0;
	fd = http_fixture_connect(&fx);
	(void)http_fixture_exchange(&fx, fd, data, len, 1, resp, sizeof(resp),
	    20000);
	close(fd);
	for (i = 0; i < 1000 && http_server_connections(fx.srv) > 0; i++)
		http_fixture_spin(&fx, 1);
	if (http_server_connections(fx.srv) != 0)
		__builtin_trap();	/* a connection was leaked */
	return 0;
}
