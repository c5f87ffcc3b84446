/* SPDX-License-Identifier: ISC */
/*
 * daemon.h: carehubd's life: start-up in a fixed order, signals, reload,
 * graceful shutdown, readiness notification and the control socket.
 *
 * Owns the event base, the running configuration and the objects built
 * from it (HTTP server, database connections, writer).  main() only parses
 * argv and calls daemon_run() or daemon_check().
 */
#ifndef CAREHUB_DAEMON_H
#define CAREHUB_DAEMON_H

/*
 * Check the configuration at path as carehubd would load it (schema,
 * values, TLS files).  Prints "PATH: ok" to stdout and returns 0, or
 * prints the error naming file, line and element to stderr and returns 1.
 */
int	daemon_check(const char *path);

/*
 * Run the daemon in the foreground until SIGTERM or SIGINT.  Start-up
 * order: configuration, TLS context, listeners, key, privilege drop,
 * database and writer as the service user, control socket, signals,
 * READY=1.  Returns the process exit code (0 after a clean shutdown, 1 if
 * start-up failed).
 */
int	daemon_run(const char *path);

/* sd_notify(3) without libsystemd: send state to $NOTIFY_SOCKET if set. */
int	daemon_notify(const char *state);
void	daemon_notify_ready(void);
void	daemon_notify_reloading(void);
void	daemon_notify_stopping(void);

/*
 * Disable core dumps (the process holds keys and patient data).
 * 0 or ERR_SYSTEM.
 */
int	daemon_no_core_dumps(void);
/*
 * If running as root and user is not NULL, switch to user's uid, gid and
 * supplementary groups for good.  0, ERR_SYSTEM or ERR_NOT_FOUND.
 */
int	daemon_drop_privileges(const char *user);

#endif
