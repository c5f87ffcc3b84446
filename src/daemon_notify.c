/* SPDX-License-Identifier: ISC */
/*
 * daemon_notify.c: systemd readiness notification without libsystemd, and
 * the process hardening done at start-up (core dumps off, privilege drop).
 *
 * Owns nothing long-lived.  The notification protocol is one datagram of
 * "KEY=VALUE" lines to the AF_UNIX socket named by $NOTIFY_SOCKET (an
 * abstract socket when it starts with '@').
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "err.h"
#include "log.h"
#include "util.h"

int
daemon_notify(const char *state)
{
	struct sockaddr_un sun;
	const char *path = getenv("NOTIFY_SOCKET");
	unsigned int len;
	int fd = -1, r = ERR_SYSTEM;

	if (path == NULL || *path == '\0')
		return 0;
	if ((path[0] != '/' && path[0] != '@') ||
	    util_sockaddr_un(path, &sun, &len) != 0) {
		log_warn("NOTIFY_SOCKET is not a usable socket path");
		return ERR_INVALID;
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		goto out;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, (socklen_t)len) < 0)
		goto out;
	r = 0;
 out:
	if (r != 0)
		log_warn_r(r, "cannot notify service manager");
	if (fd >= 0)
		close(fd);
	return r;
}

void
daemon_notify_ready(void)
{
	(void)daemon_notify("READY=1\nSTATUS=serving");
}

void
daemon_notify_reloading(void)
{
	char buf[64];

	/* systemd wants the monotonic time of the reload request */
	snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)util_mono_usec());
	(void)daemon_notify(buf);
}

void
daemon_notify_stopping(void)
{
	(void)daemon_notify("STOPPING=1");
}

int
daemon_no_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return ERR_SYSTEM;
#ifdef HAVE_PRCTL
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return ERR_SYSTEM;
#endif
	return 0;
}

int
daemon_drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user == NULL || geteuid() != 0)
		return 0;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL)
		return errno != 0 ? ERR_SYSTEM : ERR_NOT_FOUND;
	if (setgroups(1, &pw->pw_gid) != 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
		return ERR_SYSTEM;
	/* make sure there is no way back */
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		errno = EPERM;
		return ERR_SYSTEM;
	}
	log_info("dropped privileges | user=%s uid=%u gid=%u", user,
	    (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
	return 0;
}
