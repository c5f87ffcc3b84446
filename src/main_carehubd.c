/* SPDX-License-Identifier: ISC */
/*
 * main_carehubd.c: carehubd's command line.  Parses argv and hands over to
 * daemon_check() or daemon_run(); nothing else lives here.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon.h"

#define DEFAULT_CONF CAREHUB_SYSCONFDIR "/carehub/carehub.conf"

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: carehubd [-htV] [-f file]\n");
	exit(status);
}

int
main(int argc, char **argv)
{
	const char *conf = DEFAULT_CONF;
	int ch, check = 0;

	while ((ch = getopt(argc, argv, "f:tVh")) != -1) {
		switch (ch) {
		case 'f':
			conf = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'V':
			printf("carehubd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (check)
		return daemon_check(conf);
	return daemon_run(conf);
}
