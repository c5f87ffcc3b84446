/* SPDX-License-Identifier: ISC */
/*
 * util.c: memory, secrets, time, hex, numbers and whole-file I/O.
 *
 * Owns nothing long-lived.  Allocation failure is fatal here (xmalloc);
 * callers bound client-controlled sizes before they get here.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include <openssl/rand.h>

#include "err.h"
#include "log.h"
#include "util.h"

static void __attribute__((noreturn))
util_oom(size_t n)
{
	static const char msg[] = "level=error msg=\"out of memory\"\n";

	(void)n;
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p;

	if (n == 0)
		n = 1;
	if ((p = malloc(n)) == NULL)
		util_oom(n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	if ((p = calloc(nmemb, size)) == NULL)
		util_oom(size);
	return p;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	void *np;

	if (size != 0 && nmemb > SIZE_MAX / size)
		util_oom(SIZE_MAX);
	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	if ((np = realloc(p, nmemb * size)) == NULL)
		util_oom(nmemb * size);
	return np;
}

char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		util_oom(strlen(s));
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;

	if ((p = strndup(s, n)) == NULL)
		util_oom(n);
	return p;
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (n < 0)
		util_oom(0);
	return n;
}

void
util_wipe(void *p, size_t n)
{
	if (p == NULL)
		return;
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(p, n);
#else
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
#endif
}

void
util_freezero(void *p, size_t n)
{
	if (p == NULL)
		return;
	util_wipe(p, n);
	free(p);
}

uint64_t
util_mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
util_real_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void
util_time_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char tmp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ", tmp, ts.tv_nsec / 1000000);
}

void
util_uuid(char out[37])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char u[16];
	size_t i, o = 0;

	/*
	 * OpenSSL's DRBG, not libuuid: uuid_generate_random() reseeds
	 * random(3) and calls getrandom(2) on every call, which showed in the
	 * request path's profile (every response carries a new id).
	 */
	if (RAND_bytes(u, sizeof(u)) != 1)
		uuid_generate_random(u);	/* fall back, never fail */
	u[6] = (u[6] & 0x0f) | 0x40;	/* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	for (i = 0; i < sizeof(u); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = digits[u[i] >> 4];
		out[o++] = digits[u[i] & 0xf];
	}
	out[o] = '\0';
}

void
util_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
util_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
util_unhex(const char *s, unsigned char *out, size_t n)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (i > 0 && *s == ':')
			s++;
		if ((hi = util_hexval(s[0])) < 0 ||
		    (lo = util_hexval(s[1])) < 0)
			return ERR_INVALID;
		out[i] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	return *s == '\0' ? 0 : ERR_INVALID;
}

int
util_parse_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || *s == ' ' || *s == '+')
		return ERR_INVALID;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return ERR_INVALID;
	*out = v;
	return 0;
}

int
util_read_file(const char *path, size_t maxlen, char **bufp, size_t *lenp)
{
	struct stat st;
	char *buf = NULL;
	size_t off = 0;
	ssize_t n;
	int fd = -1, r = ERR_SYSTEM;

	*bufp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		goto out;
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	if ((size_t)st.st_size > maxlen) {
		r = ERR_TOO_LARGE;
		goto out;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	/* success */
	*bufp = buf;
	buf = NULL;	/* transferred */
	if (lenp != NULL)
		*lenp = off;
	r = 0;
 out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return r;
}

int
util_fsync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd, r = ERR_SYSTEM;

	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		if (fsync(fd) == 0)
			r = 0;
		close(fd);
	}
	free(copy);
	return r;
}

int
util_write_file_sync(const char *path, const void *buf, size_t len,
    unsigned int mode)
{
	char *tmp = NULL;
	const char *p = buf;
	size_t off = 0;
	ssize_t n;
	int fd = -1, r = ERR_SYSTEM, saved_errno;

	xasprintf(&tmp, "%s.tmp", path);
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    (mode_t)mode);
	if (fd < 0)
		goto out;
	if (fchmod(fd, (mode_t)mode) != 0)
		goto out;
	while (off < len) {
		n = write(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		off += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto out;
	r = util_fsync_dir(path);
 out:
	saved_errno = errno;	/* the cleanup must not hide the cause */
	if (fd >= 0)
		close(fd);
	if (r != 0)
		(void)unlink(tmp);
	free(tmp);
	errno = saved_errno;
	return r;
}

int
util_sockaddr_un(const char *path, struct sockaddr_un *sun, unsigned int *lenp)
{
	size_t plen = strlen(path);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (plen == 0 || plen >= sizeof(sun->sun_path))
		return ERR_INVALID;
	memcpy(sun->sun_path, path, plen);
	if (sun->sun_path[0] == '@')
		sun->sun_path[0] = '\0';
	*lenp = (unsigned int)(offsetof(struct sockaddr_un, sun_path) + plen);
	return 0;
}
