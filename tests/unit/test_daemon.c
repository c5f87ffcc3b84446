/* SPDX-License-Identifier: ISC */
/*
 * test_daemon.c: readiness notifications and process hardening.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <pwd.h>

#include "daemon.h"
#include "log.h"

static int
notify_socket(char *path, size_t len)
{
	struct sockaddr_un sun;
	struct timeval tv = { 2, 0 };
	int fd;

	snprintf(path, len, "/tmp/carehub-notify-%ld", (long)getpid());
	unlink(path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	assert_true((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setenv("NOTIFY_SOCKET", path, 1);
	return fd;
}

static void
recv_state(int fd, const char *want)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	assert_true(n > 0);
	buf[n] = '\0';
	if (strstr(buf, want) == NULL)
		fail_msg("want %s in \"%s\"", want, buf);
}

static void
test_notify(void **state)
{
	char path[108];
	int fd;

	(void)state;
	fd = notify_socket(path, sizeof(path));
	daemon_notify_ready();
	recv_state(fd, "READY=1");
	daemon_notify_reloading();
	recv_state(fd, "RELOADING=1\nMONOTONIC_USEC=");
	daemon_notify_stopping();
	recv_state(fd, "STOPPING=1");
	close(fd);
	unlink(path);
	unsetenv("NOTIFY_SOCKET");
	/* without NOTIFY_SOCKET it is a quiet no-op */
	assert_int_equal(daemon_notify("READY=1"), 0);
}

static void
test_no_core_dumps(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	if ((pid = fork()) == 0) {
		struct rlimit rl;

		if (daemon_no_core_dumps() != 0)
			_exit(1);
		if (getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0 ||
		    rl.rlim_max != 0)
			_exit(2);
		if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
			_exit(3);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_drop_privileges(void **state)
{
	struct passwd *pw;
	pid_t pid;
	int status;

	(void)state;
	/* no user configured: nothing changes */
	assert_int_equal(daemon_drop_privileges(NULL), 0);
	assert_int_equal(daemon_drop_privileges("no-such-carehub-user") ==
	    0, geteuid() != 0);
	if (geteuid() != 0 || (pw = getpwnam("nobody")) == NULL) {
		print_message("not root: the switch itself is tested by "
		    "test_daemon.sh when run as root\n");
		return;
	}
	if ((pid = fork()) == 0) {
		gid_t groups[4];

		if (daemon_drop_privileges("nobody") != 0)
			_exit(1);
		if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid ||
		    getgid() != pw->pw_gid || getegid() != pw->pw_gid)
			_exit(2);
		if (getgroups(4, groups) != 1 || groups[0] != pw->pw_gid)
			_exit(3);
		if (setuid(0) == 0 || seteuid(0) == 0)
			_exit(4);	/* root must be gone for good */
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_no_core_dumps),
		cmocka_unit_test(test_drop_privileges),
	};

	log_init("test_daemon", LOG_LEVEL_ERR, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
