/* SPDX-License-Identifier: ISC */
/*
 * unix_send.c: a control-socket client for the integration tests that
 * connects at once, waits, then sends a line: unix_send PATH MS LINE.
 * Prints the reply.  Exits 0 whatever the daemon does with the line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	char buf[1024];
	ssize_t n;
	int fd;

	if (argc != 4 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: unix_send PATH MS LINE\n");
		return 2;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		perror("unix_send");
		return 1;
	}
	printf("connected\n");
	fflush(stdout);
	usleep((useconds_t)atoi(argv[2]) * 1000);
	(void)!write(fd, argv[3], strlen(argv[3]));
	(void)!write(fd, "\n", 1);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return 0;
}
