/* SPDX-License-Identifier: ISC */
/*
 * daemon_ctl.c: the control socket (see daemon_ctl.h).
 *
 * Owns the listening UNIX socket and its short-lived connections.  Does
 * not own what commands do: the daemon's handler does.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "daemon_ctl.h"
#include "err.h"
#include "log.h"
#include "util.h"

#define CTL_LINE_MAX	1024
#define CTL_TIMEOUT	10

/* One connected carehubctl; freed when done or when the socket closes. */
struct daemon_ctl_client {
	struct daemon_ctl		*ctl;
	struct bufferevent		*bev;
	TAILQ_ENTRY(daemon_ctl_client)	 link;
};

struct daemon_ctl {
	struct evconnlistener	*lev;
	char			*path;
	daemon_ctl_fn		*fn;
	void			*arg;
	TAILQ_HEAD(, daemon_ctl_client) clients;
};

static void
daemon_ctl_client_free(struct daemon_ctl_client *cl)
{
	TAILQ_REMOVE(&cl->ctl->clients, cl, link);
	bufferevent_free(cl->bev);
	free(cl);
}

static void
daemon_ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	daemon_ctl_client_free(arg);
}

static void
daemon_ctl_write_cb(struct bufferevent *bev, void *arg)
{
	/* the reply has been written: done */
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		daemon_ctl_client_free(arg);
}

static void
daemon_ctl_read_cb(struct bufferevent *bev, void *arg)
{
	struct daemon_ctl_client *cl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *out = bufferevent_get_output(bev);
	size_t n = 0;
	char *line;

	line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
	if (line == NULL) {
		if (evbuffer_get_length(in) > CTL_LINE_MAX)
			daemon_ctl_client_free(cl);
		return;
	}
	bufferevent_disable(bev, EV_READ);
	if (n > CTL_LINE_MAX)
		evbuffer_add_printf(out, "error command too long\n");
	else
		cl->ctl->fn(line, out, cl->ctl->arg);
	free(line);
	bufferevent_setcb(bev, NULL, daemon_ctl_write_cb, daemon_ctl_event_cb,
	    cl);
	bufferevent_enable(bev, EV_WRITE);
}

static void
daemon_ctl_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct daemon_ctl *ctl = arg;
	struct event_base *base = evconnlistener_get_base(lev);
	struct daemon_ctl_client *cl;
	struct bufferevent *bev;
	struct ucred cred = { 0, (uid_t)-1, (gid_t)-1 };
	socklen_t len = sizeof(cred);
	struct timeval tv = { CTL_TIMEOUT, 0 };

	(void)sa;
	(void)salen;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		log_warn("control socket: refused a peer | uid=%d",
		    (int)cred.uid);
		close(fd);
		return;
	}
	bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		return;
	}
	cl = xcalloc(1, sizeof(*cl));
	cl->ctl = ctl;
	cl->bev = bev;
	TAILQ_INSERT_TAIL(&ctl->clients, cl, link);
	bufferevent_setcb(bev, daemon_ctl_read_cb, NULL, daemon_ctl_event_cb,
	    cl);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_enable(bev, EV_READ);
}

/* 1 if something accepts connections on the socket at sun. */
static int
daemon_ctl_is_live(const struct sockaddr_un *sun, unsigned int slen)
{
	int fd, live;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	live = connect(fd, (const struct sockaddr *)sun, (socklen_t)slen) == 0;
	close(fd);
	return live;
}

int
daemon_ctl_open(struct event_base *base, const char *path, daemon_ctl_fn *fn,
    void *arg, struct daemon_ctl **ctlp, char *err, size_t errlen)
{
	struct daemon_ctl *ctl = NULL;
	struct sockaddr_un sun;
	struct stat st;
	unsigned int slen;
	int fd = -1, r = ERR_SYSTEM;

	*ctlp = NULL;
	if (path[0] != '/' || util_sockaddr_un(path, &sun, &slen) != 0) {
		snprintf(err, errlen, "control socket path %s is not an "
		    "absolute path short enough for a UNIX socket", path);
		return ERR_CONFIG;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "control socket path %s exists "
			    "and is not a socket", path);
			return ERR_EXISTS;
		}
		if (daemon_ctl_is_live(&sun, slen)) {
			snprintf(err, errlen, "control socket %s is in use: "
			    "is another carehubd running?", path);
			return ERR_EXISTS;
		}
		(void)unlink(path);	/* left by a daemon that died */
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0)
		goto fail;
	/* created 0600 from the start: no window where others may connect */
	mode_t old = umask(0177);
	int b = bind(fd, (struct sockaddr *)&sun, (socklen_t)slen);

	umask(old);
	if (b != 0 || chmod(path, 0600) != 0)
		goto fail;
	ctl = xcalloc(1, sizeof(*ctl));
	TAILQ_INIT(&ctl->clients);
	ctl->lev = evconnlistener_new(base, daemon_ctl_accept_cb, ctl,
	    LEV_OPT_CLOSE_ON_FREE, 16, fd);
	if (ctl->lev == NULL)
		goto fail;
	ctl->path = xstrdup(path);
	ctl->fn = fn;
	ctl->arg = arg;
	*ctlp = ctl;
	return 0;
 fail:
	snprintf(err, errlen, "cannot listen on control socket %s: %s", path,
	    strerror(errno));
	if (fd >= 0)
		close(fd);
	free(ctl);
	return r;
}

void
daemon_ctl_close(struct daemon_ctl *ctl)
{
	if (ctl == NULL)
		return;
	/* clients still connected would call back into freed memory */
	while (!TAILQ_EMPTY(&ctl->clients))
		daemon_ctl_client_free(TAILQ_FIRST(&ctl->clients));
	evconnlistener_free(ctl->lev);
	(void)unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}
