/* SPDX-License-Identifier: ISC */
/*
 * daemon_ctl.h: the local control socket through which carehubctl talks to
 * the running daemon.
 *
 * A UNIX stream socket, mode 0600, owned by the service user; a peer whose
 * uid is neither the daemon's nor root is refused.  The protocol is one
 * command line in, reply lines out, then close.  Commands: "status",
 * "reload".  Later modules add the commands that change data, so that
 * while carehubd runs it stays the only writer.
 */
#ifndef CAREHUB_DAEMON_CTL_H
#define CAREHUB_DAEMON_CTL_H

#include <stddef.h>

struct daemon_ctl;
struct event_base;
struct evbuffer;

/* Handle one command; append the reply to out.  Runs on the loop thread. */
typedef void daemon_ctl_fn(const char *cmd, struct evbuffer *out, void *arg);

/*
 * Listen on path (a stale socket there is replaced; any other file is an
 * error).  fn handles each command.
 */
int	daemon_ctl_open(struct event_base *base, const char *path,
	    daemon_ctl_fn *fn, void *arg, struct daemon_ctl **ctlp, char *err,
	    size_t errlen);
/* Stop listening, remove the socket file.  Accepts NULL. */
void	daemon_ctl_close(struct daemon_ctl *ctl);

#endif
