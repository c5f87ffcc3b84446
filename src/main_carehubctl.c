/* SPDX-License-Identifier: ISC */
/*
 * main_carehubctl.c: carehubctl's main(): global options, then ctl_run().
 *
 * Owns only the global options (-f FILE, -h).  Every command, its
 * arguments and its output belong to ctl_cmd.c.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

int
main(int argc, char **argv)
{
	const char *conf_path = CTL_DEFAULT_CONF;
	int ch;

	/* Library modules log problems as warnings on stderr. */
	log_init("carehubctl", LOG_LEVEL_WARN, 0);
	opterr = 0;
	/* '+': stop at the command, so its own options are left to it. */
	while ((ch = getopt(argc, argv, "+:f:h")) != -1) {
		switch (ch) {
		case 'f':
			conf_path = optarg;
			break;
		case 'h':
			ctl_usage(stdout);
			return CTL_EXIT_OK;
		case ':':
			fprintf(stderr, "carehubctl: -%c needs an argument\n",
			    optopt);
			ctl_usage(stderr);
			return CTL_EXIT_USAGE;
		default:
			fprintf(stderr, "carehubctl: unknown option -%c\n",
			    optopt);
			ctl_usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	return ctl_run(conf_path, argc - optind, argv + optind);
}
