/* SPDX-License-Identifier: ISC */
/*
 * loadgen.c: a keep-alive HTTPS load generator that presents a client
 * certificate (wrk and ab cannot), for bench/run.sh.
 *
 * One thread, one epoll set, N connections (-n, default 64).  Each
 * connection sends GET requests back to back, one outstanding at a time,
 * with one SSL_write per request from a request built once.  Responses are
 * parsed (status line, Content-Length; chunked bodies are refused) and
 * every status other than 200 counts as an error.  After a warm-up (-w,
 * default 1 s; connections and handshakes happen there) it measures for -d
 * seconds and prints one line:
 *
 *   requests=N errors=N rps=N p50_us=N p99_us=N client_cpu_pct=N ...
 *
 * Latency is from the start of SSL_write to the last byte of the response,
 * in a 1 us histogram up to 1 s.  The run ends by itself at its deadline;
 * it only ever connects to the address in -u.  Exit 0 when the run
 * completed, 1 when it could not (bad certificate, refused, protocol).
 *
 * Owns its connections and SSL_CTX.  Does not follow redirects, resolve
 * more than once, pipeline, or speak HTTP/2.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define LG_BUFSZ	16384		/* response headers must fit */
#define LG_HIST_US	1000000		/* 1 us buckets up to 1 s */
#define LG_MAX_CONNS	4096
#define LG_MAX_SECS	3600

enum lg_state {
	LG_CONNECTING,
	LG_HANDSHAKE,
	LG_SENDING,
	LG_RECEIVING
};

struct lg_conn {
	int		 fd;
	SSL		*ssl;
	enum lg_state	 state;
	uint32_t	 events;	/* registered with epoll */
	uint64_t	 sent_ns;
	uint64_t	 served;	/* responses on this connection */
	size_t		 len;		/* header bytes in buf */
	size_t		 need;		/* body bytes to come */
	int		 in_body;
	int		 status;
	int		 close_after;
	char		 buf[LG_BUFSZ];
};

struct lg_opts {
	char		*host;		/* from -u, no [] */
	char		*port;
	char		*path;
	const char	*cert;
	const char	*key;
	const char	*ca;
	int		 conns;
	int		 secs;
	int		 warmup;
};

struct lg_run {
	struct lg_opts	 o;
	struct addrinfo	*ai;
	SSL_CTX		*ctx;
	SSL_SESSION	*sess;		/* resumed on reconnect */
	int		 epfd;
	struct lg_conn	*conns;
	char		*req;		/* the request, built once */
	size_t		 reqlen;
	int		 measuring;
	int		 failed;	/* a fatal error stopped the run */
	uint64_t	 requests;
	uint64_t	 errors;
	uint64_t	 reconnects;
	uint64_t	 max_us;
	uint64_t	 over;		/* latencies >= LG_HIST_US */
	uint32_t	*hist;
};

static void __attribute__((noreturn))
lg_usage(void)
{
	fprintf(stderr, "usage: loadgen -u https://HOST:PORT/PATH -c CERT "
	    "-k KEY -C CA [-n CONNS] [-d SECS] [-w WARMUP]\n");
	exit(2);
}

static uint64_t
lg_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t
lg_cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	    (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* Stop the run; the first reason given is the one reported. */
static void __attribute__((format(printf, 2, 3)))
lg_fail(struct lg_run *run, const char *fmt, ...)
{
	unsigned long e;
	char buf[256];
	va_list ap;

	if (run->failed++)
		return;
	fprintf(stderr, "loadgen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		fprintf(stderr, ": %s", buf);
	}
	fprintf(stderr, "\n");
}

static int
lg_parse_url(struct lg_opts *o, const char *url)
{
	static const char scheme[] = "https://";
	const char *h, *p, *end;

	if (strncmp(url, scheme, sizeof(scheme) - 1) != 0)
		return -1;
	h = url + sizeof(scheme) - 1;
	if ((p = strchr(h, '/')) == NULL)
		p = h + strlen(h);
	o->path = strdup(*p ? p : "/");
	if (*h == '[') {			/* [v6]:port */
		if ((end = memchr(h, ']', (size_t)(p - h))) == NULL)
			return -1;
		o->host = strndup(h + 1, (size_t)(end - h - 1));
		end++;
	} else {
		for (end = h; end < p && *end != ':'; end++)
			;
		o->host = strndup(h, (size_t)(end - h));
	}
	if (end < p && *end == ':')
		o->port = strndup(end + 1, (size_t)(p - end - 1));
	else
		o->port = strdup("443");
	if (o->path == NULL || o->host == NULL || o->port == NULL ||
	    *o->host == '\0' || *o->port == '\0')
		return -1;
	return 0;
}

static int
lg_parse_int(const char *s, int lo, int hi)
{
	char *end;
	long v;

	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		lg_usage();
	return (int)v;
}

static void
lg_parse_args(int argc, char **argv, struct lg_opts *o)
{
	const char *url = NULL;
	int ch;

	o->conns = 64;
	o->secs = 10;
	o->warmup = 1;
	while ((ch = getopt(argc, argv, "u:c:k:C:n:d:w:h")) != -1) {
		switch (ch) {
		case 'u':
			url = optarg;
			break;
		case 'c':
			o->cert = optarg;
			break;
		case 'k':
			o->key = optarg;
			break;
		case 'C':
			o->ca = optarg;
			break;
		case 'n':
			o->conns = lg_parse_int(optarg, 1, LG_MAX_CONNS);
			break;
		case 'd':
			o->secs = lg_parse_int(optarg, 1, LG_MAX_SECS);
			break;
		case 'w':
			o->warmup = lg_parse_int(optarg, 0, LG_MAX_SECS);
			break;
		default:
			lg_usage();
		}
	}
	if (optind != argc || url == NULL || o->cert == NULL ||
	    o->key == NULL || o->ca == NULL)
		lg_usage();
	if (lg_parse_url(o, url) != 0) {
		fprintf(stderr, "loadgen: bad URL %s (want https://HOST:PORT/"
		    "PATH)\n", url);
		exit(2);
	}
}

static int
lg_setup(struct lg_run *run)
{
	struct lg_opts *o = &run->o;
	struct addrinfo hints;
	int i, r, n;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((r = getaddrinfo(o->host, o->port, &hints, &run->ai)) != 0) {
		fprintf(stderr, "loadgen: %s: %s\n", o->host, gai_strerror(r));
		return -1;
	}
	if ((run->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return -1;
	SSL_CTX_set_min_proto_version(run->ctx, TLS1_2_VERSION);
	SSL_CTX_set_read_ahead(run->ctx, 1);	/* one read() per record */
	/* we keep one session ourselves (run->sess) for reconnects */
	SSL_CTX_set_session_cache_mode(run->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(run->ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_locations(run->ctx, o->ca, NULL) != 1 ||
	    SSL_CTX_use_certificate_chain_file(run->ctx, o->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(run->ctx, o->key,
	    SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(run->ctx) != 1) {
		lg_fail(run, "loading %s, %s, %s", o->ca, o->cert, o->key);
		return -1;
	}
	n = snprintf(NULL, 0, "GET %s HTTP/1.1\r\nHost: %s:%s\r\n"
	    "User-Agent: carehub-loadgen\r\nAccept: */*\r\n\r\n",
	    o->path, o->host, o->port);
	run->req = malloc((size_t)n + 1);
	run->conns = calloc((size_t)o->conns, sizeof(*run->conns));
	run->hist = calloc(LG_HIST_US, sizeof(*run->hist));
	if (run->req == NULL || run->conns == NULL || run->hist == NULL)
		return -1;
	for (i = 0; i < o->conns; i++)
		run->conns[i].fd = -1;
	snprintf(run->req, (size_t)n + 1, "GET %s HTTP/1.1\r\nHost: %s:%s\r\n"
	    "User-Agent: carehub-loadgen\r\nAccept: */*\r\n\r\n",
	    o->path, o->host, o->port);
	run->reqlen = (size_t)n;
	if ((run->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -1;
	return 0;
}

static void
lg_want(struct lg_run *run, struct lg_conn *c, uint32_t events)
{
	struct epoll_event ev;

	if (c->events == events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = c;
	if (epoll_ctl(run->epfd, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
	    c->fd, &ev) != 0)
		lg_fail(run, "epoll_ctl: %s", strerror(errno));
	c->events = events;
}

/* Close c; clean says the TLS session is healthy enough for close_notify. */
static void
lg_close(struct lg_conn *c, int clean)
{
	if (c->ssl != NULL) {
		if (clean && c->state != LG_CONNECTING &&
		    c->state != LG_HANDSHAKE)
			(void)SSL_shutdown(c->ssl);	/* best effort */
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);	/* also leaves the epoll set */
	c->fd = -1;
	c->events = 0;
}

static void lg_handshake(struct lg_run *, struct lg_conn *);
static void lg_start(struct lg_run *, struct lg_conn *);
static void lg_recv(struct lg_run *, struct lg_conn *);

static void
lg_connect(struct lg_run *run, struct lg_conn *c)
{
	struct addrinfo *ai = run->ai;
	int one = 1;

	c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		lg_fail(run, "socket: %s", strerror(errno));
		return;
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->state = LG_CONNECTING;
	c->served = 0;
	c->len = c->need = 0;
	c->in_body = 0;
	if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0 &&
	    errno != EINPROGRESS) {
		lg_fail(run, "connect %s:%s: %s", run->o.host, run->o.port,
		    strerror(errno));
		return;
	}
	lg_want(run, c, EPOLLOUT);
}

static void
lg_connected(struct lg_run *run, struct lg_conn *c)
{
	struct in6_addr a6;
	struct in_addr a4;
	X509_VERIFY_PARAM *vp;
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
	    err != 0) {
		lg_fail(run, "connect %s:%s: %s", run->o.host, run->o.port,
		    strerror(err ? err : errno));
		return;
	}
	if ((c->ssl = SSL_new(run->ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1) {
		lg_fail(run, "SSL_new");
		return;
	}
	SSL_set_connect_state(c->ssl);
	/* check the server name the way curl does for the same URL */
	vp = SSL_get0_param(c->ssl);
	if (inet_pton(AF_INET, run->o.host, &a4) == 1 ||
	    inet_pton(AF_INET6, run->o.host, &a6) == 1)
		X509_VERIFY_PARAM_set1_ip_asc(vp, run->o.host);
	else {
		SSL_set_tlsext_host_name(c->ssl, run->o.host);
		SSL_set1_host(c->ssl, run->o.host);
	}
	if (run->sess != NULL)
		SSL_set_session(c->ssl, run->sess);
	c->state = LG_HANDSHAKE;
	lg_handshake(run, c);
}

/* Ask epoll for what OpenSSL wants; 0 if it only wants to wait. */
static int
lg_ssl_wait(struct lg_run *run, struct lg_conn *c, int ret, const char *op)
{
	long vr;

	switch (SSL_get_error(c->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		lg_want(run, c, EPOLLIN);
		return 0;
	case SSL_ERROR_WANT_WRITE:
		lg_want(run, c, EPOLLIN | EPOLLOUT);
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		return -1;
	case SSL_ERROR_SYSCALL:
		if (c->served == 0)
			lg_fail(run, "%s: %s", op, ret < 0 && errno ?
			    strerror(errno) : "connection closed");
		return -1;
	default:
		vr = SSL_get_verify_result(c->ssl);
		if (c->served == 0)
			lg_fail(run, "%s%s%s", op, vr != X509_V_OK ? ": " : "",
			    vr != X509_V_OK ?
			    X509_verify_cert_error_string(vr) : "");
		ERR_clear_error();
		return -1;
	}
}

/*
 * A connection ended.  Before its first response that is fatal (wrong
 * certificate, nothing listening, server broken); after it, the request in
 * flight is an error and the connection is made again.
 */
static void
lg_lost(struct lg_run *run, struct lg_conn *c)
{
	uint64_t served = c->served;

	if (served == 0 && !run->failed)
		lg_fail(run, "connection closed before the first response");
	lg_close(c, 0);
	if (run->failed)
		return;
	if (run->measuring)
		run->errors++;
	run->reconnects++;
	lg_connect(run, c);
}

static void
lg_handshake(struct lg_run *run, struct lg_conn *c)
{
	int ret;

	ERR_clear_error();
	if ((ret = SSL_connect(c->ssl)) == 1) {
		lg_start(run, c);
		return;
	}
	if (lg_ssl_wait(run, c, ret, "TLS handshake") != 0)
		lg_lost(run, c);
}

static void
lg_send(struct lg_run *run, struct lg_conn *c)
{
	int ret;

	ERR_clear_error();
	if ((ret = SSL_write(c->ssl, run->req, (int)run->reqlen)) <= 0) {
		if (lg_ssl_wait(run, c, ret, "SSL_write") != 0)
			lg_lost(run, c);
		return;
	}
	c->state = LG_RECEIVING;
	lg_want(run, c, EPOLLIN);
	/* bytes OpenSSL already holds: epoll will not report them */
	if (SSL_has_pending(c->ssl))
		lg_recv(run, c);
}

/* Start the next request on c: one SSL_write of the prebuilt request. */
static void
lg_start(struct lg_run *run, struct lg_conn *c)
{
	c->state = LG_SENDING;
	c->sent_ns = lg_now_ns();
	lg_send(run, c);
}

static void
lg_record(struct lg_run *run, struct lg_conn *c)
{
	uint64_t us;

	c->served++;
	if (run->sess == NULL && SSL_session_reused(c->ssl) == 0 &&
	    SSL_SESSION_is_resumable(SSL_get0_session(c->ssl)))
		run->sess = SSL_get1_session(c->ssl);
	if (!run->measuring)
		return;
	us = (lg_now_ns() - c->sent_ns) / 1000;
	run->requests++;
	if (c->status != 200)
		run->errors++;
	if (us >= LG_HIST_US)
		run->over++;
	else
		run->hist[us]++;
	if (us > run->max_us)
		run->max_us = us;
}

/* Case-insensitive "name:" match; returns the trimmed value or NULL. */
static const char *
lg_header(const char *line, const char *eol, const char *name, size_t *vlen)
{
	size_t n = strlen(name);
	const char *v;

	if ((size_t)(eol - line) <= n || strncasecmp(line, name, n) != 0 ||
	    line[n] != ':')
		return NULL;
	for (v = line + n + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
		;
	*vlen = (size_t)(eol - v);
	while (*vlen > 0 && (v[*vlen - 1] == ' ' || v[*vlen - 1] == '\t'))
		(*vlen)--;
	return v;
}

/* Parse the head in c->buf[0..hlen); set status, need, close_after. */
static int
lg_parse_head(struct lg_run *run, struct lg_conn *c, size_t hlen)
{
	const char *p = c->buf, *end = c->buf + hlen, *eol, *v;
	char num[24];
	size_t vlen;
	int have_len = 0;

	if (hlen < 12 || strncmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ' ||
	    !isdigit((unsigned char)p[9]) || !isdigit((unsigned char)p[10]) ||
	    !isdigit((unsigned char)p[11]))
		return -1;
	c->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	c->close_after = p[7] == '0';
	c->need = 0;
	for (; (eol = memchr(p, '\r', (size_t)(end - p))) != NULL;
	    p = eol + 2) {
		if ((v = lg_header(p, eol, "Content-Length", &vlen)) != NULL) {
			if (vlen == 0 || vlen >= sizeof(num))
				return -1;
			memcpy(num, v, vlen);
			num[vlen] = '\0';
			c->need = strtoull(num, NULL, 10);
			have_len = 1;
		} else if ((v = lg_header(p, eol, "Transfer-Encoding",
		    &vlen)) != NULL) {
			lg_fail(run, "Transfer-Encoding (chunked) responses "
			    "are not supported: need Content-Length");
			return -1;
		} else if ((v = lg_header(p, eol, "Connection", &vlen)) !=
		    NULL && vlen == 5 && strncasecmp(v, "close", 5) == 0)
			c->close_after = 1;
	}
	if (!have_len && c->status != 204 && c->status != 304) {
		lg_fail(run, "response without Content-Length");
		return -1;
	}
	return 0;
}

/* Account for n new bytes; 1 when the response is complete, -1 on error. */
static int
lg_consume(struct lg_run *run, struct lg_conn *c, size_t n)
{
	const char *eoh;
	size_t from, hlen, body;

	if (c->in_body)
		body = n;
	else {
		from = c->len > 3 ? c->len - 3 : 0;
		c->len += n;
		eoh = memmem(c->buf + from, c->len - from, "\r\n\r\n", 4);
		if (eoh == NULL)
			return c->len == sizeof(c->buf) ? -1 : 0;
		hlen = (size_t)(eoh - c->buf) + 4;
		if (lg_parse_head(run, c, hlen) != 0)
			return -1;
		body = c->len - hlen;
		c->in_body = 1;
		c->len = 0;
	}
	if (body > c->need)
		return -1;		/* more than one response: broken */
	c->need -= body;
	return c->need == 0;
}

static void
lg_recv(struct lg_run *run, struct lg_conn *c)
{
	char *dst;
	int ret, done;

	for (;;) {
		/* headers accumulate; body bytes are counted and dropped */
		dst = c->in_body ? c->buf : c->buf + c->len;
		ERR_clear_error();
		ret = SSL_read(c->ssl, dst, (int)(c->in_body ?
		    sizeof(c->buf) : sizeof(c->buf) - c->len));
		if (ret <= 0) {
			if (lg_ssl_wait(run, c, ret, "SSL_read") != 0)
				lg_lost(run, c);
			return;
		}
		if ((done = lg_consume(run, c, (size_t)ret)) < 0) {
			if (c->served == 0)
				lg_fail(run, "malformed response");
			lg_lost(run, c);
			return;
		}
		if (done)
			break;
	}
	lg_record(run, c);
	c->in_body = 0;
	c->len = 0;
	if (c->close_after) {
		lg_close(c, 1);
		run->reconnects++;
		lg_connect(run, c);
		return;
	}
	lg_start(run, c);
}

static void
lg_io(struct lg_run *run, struct lg_conn *c)
{
	switch (c->state) {
	case LG_CONNECTING:
		lg_connected(run, c);
		break;
	case LG_HANDSHAKE:
		lg_handshake(run, c);
		break;
	case LG_SENDING:
		lg_send(run, c);
		break;
	case LG_RECEIVING:
		lg_recv(run, c);
		break;
	}
}

static uint64_t
lg_percentile(const struct lg_run *run, double q)
{
	uint64_t want, seen = 0;
	uint64_t i;

	if (run->requests == 0)
		return 0;
	want = (uint64_t)(q * (double)run->requests + 0.5);
	if (want == 0)
		want = 1;
	for (i = 0; i < LG_HIST_US; i++) {
		seen += run->hist[i];
		if (seen >= want)
			return i;
	}
	return run->max_us;
}

/* Run until the deadline; returns the measured wall time in ns. */
static uint64_t
lg_loop(struct lg_run *run, uint64_t *cpu_us)
{
	struct epoll_event evs[256];
	uint64_t now, t0, t1, cpu0 = 0;
	int i, n, ms;

	now = lg_now_ns();
	t0 = now + (uint64_t)run->o.warmup * 1000000000ULL;
	t1 = t0 + (uint64_t)run->o.secs * 1000000000ULL;
	for (i = 0; i < run->o.conns && !run->failed; i++)
		lg_connect(run, &run->conns[i]);
	while (!run->failed && (now = lg_now_ns()) < t1) {
		if (!run->measuring && now >= t0) {
			run->measuring = 1;
			t0 = now;
			cpu0 = lg_cpu_us();
		}
		ms = (int)(((run->measuring ? t1 : t0) - now + 999999) /
		    1000000);
		n = epoll_wait(run->epfd, evs, 256, ms);
		if (n < 0 && errno != EINTR) {
			lg_fail(run, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n && !run->failed; i++)
			lg_io(run, evs[i].data.ptr);
	}
	*cpu_us = run->measuring ? lg_cpu_us() - cpu0 : 0;
	return run->measuring ? lg_now_ns() - t0 : 0;
}

static void
lg_report(const struct lg_run *run, uint64_t wall_ns, uint64_t cpu_us)
{
	double secs = (double)wall_ns / 1e9;

	printf("requests=%llu errors=%llu rps=%.0f p50_us=%llu p99_us=%llu "
	    "client_cpu_pct=%.1f conns=%d secs=%.2f max_us=%llu "
	    "reconnects=%llu\n",
	    (unsigned long long)run->requests,
	    (unsigned long long)run->errors,
	    secs > 0 ? (double)run->requests / secs : 0.0,
	    (unsigned long long)lg_percentile(run, 0.50),
	    (unsigned long long)lg_percentile(run, 0.99),
	    secs > 0 ? (double)cpu_us / 1e4 / secs : 0.0,
	    run->o.conns, secs, (unsigned long long)run->max_us,
	    (unsigned long long)run->reconnects);
	fflush(stdout);
}

static void
lg_teardown(struct lg_run *run)
{
	int i;

	for (i = 0; run->conns != NULL && i < run->o.conns; i++)
		lg_close(&run->conns[i], 1);
	if (run->epfd >= 0)
		close(run->epfd);
	SSL_SESSION_free(run->sess);
	SSL_CTX_free(run->ctx);
	if (run->ai != NULL)
		freeaddrinfo(run->ai);
	free(run->conns);
	free(run->hist);
	free(run->req);
	free(run->o.host);
	free(run->o.port);
	free(run->o.path);
}

int
main(int argc, char **argv)
{
	struct lg_run run;
	uint64_t wall_ns, cpu_us;
	int r = 1;

	memset(&run, 0, sizeof(run));
	run.epfd = -1;
	lg_parse_args(argc, argv, &run.o);
	signal(SIGPIPE, SIG_IGN);
	/* last resort if the loop's own deadline ever fails */
	alarm((unsigned)(run.o.warmup + run.o.secs + 30));
	if (lg_setup(&run) != 0) {
		if (!run.failed)
			fprintf(stderr, "loadgen: setup failed\n");
		goto out;
	}
	wall_ns = lg_loop(&run, &cpu_us);
	if (run.requests == 0)
		lg_fail(&run, "no response completed in the measured %d s",
		    run.o.secs);
	/* a failed run has no numbers worth printing */
	if (!run.failed) {
		lg_report(&run, wall_ns, cpu_us);
		r = 0;
	}
 out:
	lg_teardown(&run);
	return r;
}
