/* SPDX-License-Identifier: ISC */
/*
 * log.c: structured key=value logging to stderr or syslog.
 *
 * Owns the log threshold and destination.  Does not own what is logged:
 * callers mask values from outside with log_mask_target()/log_mask_value()
 * so that NHS numbers and record content never appear.  Each line is
 * formatted into a stack buffer and written with one write(2), so lines
 * from the writer thread and the event loop never interleave.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "util.h"

#define LOG_LINE_MAX	2048

static enum log_level log_threshold = LOG_LEVEL_INFO;
static int log_syslog;
static int log_fd = STDERR_FILENO;

static const char *const level_names[] = {
	"error", "warning", "info", "debug",
};

void
log_init(const char *ident, enum log_level level, int use_syslog)
{
	log_threshold = level;
	if (use_syslog && !log_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!use_syslog && log_syslog)
		closelog();
	log_syslog = use_syslog;
}

void
log_set_level(enum log_level level)
{
	log_threshold = level;
}

enum log_level
log_get_level(void)
{
	return log_threshold;
}

int
log_enabled(enum log_level level)
{
	return level <= log_threshold;
}

void
log_set_fd(int fd)
{
	log_fd = fd < 0 ? STDERR_FILENO : fd;
}

int
log_level_parse(const char *s)
{
	size_t i;

	for (i = 0; i < NELEMS(level_names); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level >= NELEMS(level_names))
		return "unknown";
	return level_names[level];
}

/* Append "msg" as a quoted value, escaping what would break the line. */
static size_t
log_put_quoted(char *buf, size_t off, size_t len, const char *s)
{
	if (off + 1 < len)
		buf[off++] = '"';
	for (; *s != '\0' && off + 2 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\' || c < 0x20 || c == 0x7f)
			c = '_';
		buf[off++] = (char)c;
	}
	if (off + 1 < len)
		buf[off++] = '"';
	return off;
}

void
log_vmsg(enum log_level level, const char *func, int r, const char *fmt,
    va_list ap)
{
	char line[LOG_LINE_MAX], text[LOG_LINE_MAX], ts[40];
	const char *pairs;
	size_t off = 0, tlen;
	int saved_errno = errno, n, prio;

	if (level > log_threshold)
		return;
	n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0)
		text[0] = '\0';
	/*
	 * The format is "event text" optionally followed by " | key=value..."
	 * pairs; the event text is quoted, the pairs are copied as they are.
	 */
	pairs = strstr(text, " | ");
	tlen = pairs != NULL ? (size_t)(pairs - text) : strlen(text);
	text[tlen] = '\0';
	util_time_rfc3339(ts, sizeof(ts));
	if (!log_syslog) {
		n = snprintf(line, sizeof(line), "ts=%s ", ts);
		off = n > 0 ? (size_t)n : 0;
	}
	n = snprintf(line + off, sizeof(line) - off, "level=%s ",
	    log_level_name(level));
	off += n > 0 ? (size_t)n : 0;
	if (func != NULL) {
		n = snprintf(line + off, sizeof(line) - off, "func=%s ", func);
		off += n > 0 ? (size_t)n : 0;
	}
	n = snprintf(line + off, sizeof(line) - off, "msg=");
	off += n > 0 ? (size_t)n : 0;
	off = log_put_quoted(line, off, sizeof(line), text);
	if (pairs != NULL && off < sizeof(line) - 1) {
		n = snprintf(line + off, sizeof(line) - off, " %s", pairs + 3);
		off += n > 0 ? (size_t)n : 0;
	}
	if (r != 0 && off < sizeof(line) - 1) {
		n = snprintf(line + off, sizeof(line) - off, " err=\"%s\"",
		    err_str(r));
		off += n > 0 ? (size_t)n : 0;
		if (r == ERR_SYSTEM && off < sizeof(line) - 1) {
			n = snprintf(line + off, sizeof(line) - off,
			    " errno=\"%s\"", strerror(saved_errno));
			off += n > 0 ? (size_t)n : 0;
		}
	}
	if (off > sizeof(line) - 2)
		off = sizeof(line) - 2;
	for (size_t i = 0; i < off; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	if (log_syslog) {
		line[off] = '\0';
		prio = level == LOG_LEVEL_ERR ? LOG_ERR :
		    level == LOG_LEVEL_WARN ? LOG_WARNING :
		    level == LOG_LEVEL_INFO ? LOG_INFO : LOG_DEBUG;
		syslog(prio, "%s", line);
	} else {
		line[off++] = '\n';
		(void)!write(log_fd, line, off);
	}
	errno = saved_errno;
}

void
log_msg(enum log_level level, const char *func, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, func, r, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERR, NULL, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

/*
 * Mask digit runs: any stretch that starts and ends with a digit, has no
 * letter in it and holds ten or more digits becomes '#'.  Whatever joins
 * the digits (spaces, hyphens, dots, plus signs, slashes, '%'...) does not
 * hide an NHS number; this masks some harmless ids too, which is the
 * right way to be wrong here.
 */
static void
log_mask_digits(char *s)
{
	size_t i = 0, j, last, ndig;

	while (s[i] != '\0') {
		if (!isdigit((unsigned char)s[i])) {
			i++;
			continue;
		}
		ndig = 0;
		last = i;
		for (j = i; s[j] != '\0'; j++) {
			if (isdigit((unsigned char)s[j])) {
				ndig++;
				last = j;
			} else if (isalpha((unsigned char)s[j]))
				break;
		}
		if (ndig >= 10)
			memset(s + i, '#', last - i + 1);
		i = last + 1;
	}
}

static char
log_safe_char(char c)
{
	unsigned char u = (unsigned char)c;

	/* logs stay printable ASCII whatever arrives */
	if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\')
		return '_';
	return c;
}

/* Decode %XX in place; 1 if anything was decoded. */
static int
log_pct_decode(char *s)
{
	char *r = s, *w = s, hex[3] = { 0, 0, 0 };
	int any = 0;

	for (; *r != '\0'; r++) {
		if (r[0] == '%' && isxdigit((unsigned char)r[1]) &&
		    isxdigit((unsigned char)r[2])) {
			hex[0] = r[1];
			hex[1] = r[2];
			*w = (char)strtol(hex, NULL, 16);
			if (*w == '\0')
				*w = '_';	/* an encoded NUL ends nothing */
			w++;
			r += 2;
			any = 1;
		} else
			*w++ = *r;
	}
	*w = '\0';
	return any;
}

/* Mask, make printable and copy into out (truncated only at the end). */
static void
log_mask_copy(char *s, char *out, size_t outlen)
{
	size_t i;

	log_mask_digits(s);
	for (i = 0; s[i] != '\0' && i + 1 < outlen; i++)
		out[i] = log_safe_char(s[i]);
	out[i] = '\0';
}

void
log_mask_value(const char *s, char *out, size_t outlen)
{
	char *copy;

	if (outlen == 0)
		return;
	copy = xstrdup(s != NULL ? s : "");
	log_mask_copy(copy, out, outlen);
	free(copy);
}

/*
 * The path is percent-decoded (repeatedly, so double encoding hides
 * nothing) and its digit runs masked; in the query, keys are kept and
 * every value, or a part with no key, becomes '*'.  Masking happens on the
 * whole target before it is cut to outlen.
 */
void
log_mask_target(const char *target, char *out, size_t outlen)
{
	char *t, *q, *p, *m, *w;
	size_t len;
	int rounds;

	if (outlen == 0)
		return;
	t = xstrdup(target != NULL ? target : "");
	len = strlen(t);
	if ((q = strchr(t, '?')) != NULL)
		*q++ = '\0';
	for (rounds = 0; rounds < 4 && log_pct_decode(t); rounds++)
		;
	/* "path?k=*&k=*": at most 2 more bytes per query part than given */
	m = xmalloc(2 * len + 3);
	w = m + sprintf(m, "%s", t);
	for (p = q; p != NULL; ) {
		char *amp = strchr(p, '&'), *eq;

		*w++ = p == q ? '?' : '&';
		if (amp != NULL)
			*amp = '\0';
		if ((eq = strchr(p, '=')) != NULL) {
			*eq = '\0';
			for (rounds = 0; rounds < 4 && log_pct_decode(p);
			    rounds++)
				;
			w += sprintf(w, "%s=*", p);
		} else
			*w++ = '*';
		p = amp != NULL ? amp + 1 : NULL;
	}
	*w = '\0';
	log_mask_copy(m, out, outlen);
	free(m);
	free(t);
}
