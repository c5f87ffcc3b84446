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
 * Mask digit runs: any stretch of digits, spaces and hyphens that starts and
 * ends with a digit and holds ten or more digits becomes '#'.
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
			} else if (s[j] != ' ' && s[j] != '-')
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

void
log_mask_value(const char *s, char *out, size_t outlen)
{
	size_t i;

	if (outlen == 0)
		return;
	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < outlen; i++)
		out[i] = log_safe_char(s[i]);
	out[i] = '\0';
	log_mask_digits(out);
}

void
log_mask_target(const char *target, char *out, size_t outlen)
{
	size_t o = 0;
	const char *p;

	if (outlen == 0)
		return;
	for (p = target; p != NULL && *p != '\0' && o + 1 < outlen; p++) {
		if (*p == '?') {
			out[o++] = '?';
			/* query: keys kept, values replaced by '*' */
			for (p++; *p != '\0' && o + 2 < outlen; p++) {
				if (*p == '=') {
					out[o++] = '=';
					out[o++] = '*';
					while (p[1] != '\0' && p[1] != '&')
						p++;
				} else
					out[o++] = log_safe_char(*p);
			}
			break;
		}
		/* decode %XX so that "943%20476%205919" is masked too */
		if (p[0] == '%' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2])) {
			char hex[3] = { p[1], p[2], '\0' };

			out[o++] = log_safe_char((char)strtol(hex, NULL, 16));
			p += 2;
			continue;
		}
		out[o++] = log_safe_char(*p);
	}
	out[o] = '\0';
	log_mask_digits(out);
}
