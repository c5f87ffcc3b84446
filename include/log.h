/* SPDX-License-Identifier: ISC */
/*
 * log.h: structured logging.
 *
 * One line per event, as key=value pairs: "ts=... level=... msg=\"...\"
 * key=value ...", to stderr or syslog.  Callers pass the event text and
 * optional pairs in the format string; values that come from outside must
 * go through log_mask_* first so that NHS numbers and record content never
 * reach a log at any level.  Thread-safe (one write(2) per line).
 */
#ifndef CAREHUB_LOG_H
#define CAREHUB_LOG_H

#include <stddef.h>
#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Set the threshold and destination; ident is the syslog ident. */
void	log_init(const char *ident, enum log_level level, int use_syslog);
void	log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* 1 if a message at level would be logged now. */
int	log_enabled(enum log_level level);
/* Parse "error", "warning", "info" or "debug"; -1 if unknown. */
int	log_level_parse(const char *s);
const char *log_level_name(enum log_level level);
/*
 * Redirect stderr output to fd (tests); -1 restores stderr.
 */
void	log_set_fd(int fd);

void	log_msg(enum log_level level, const char *func, int r,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	log_vmsg(enum log_level level, const char *func, int r,
	    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

#define log_err(...)	log_msg(LOG_LEVEL_ERR, NULL, 0, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LEVEL_WARN, NULL, 0, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LEVEL_INFO, NULL, 0, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LEVEL_DEBUG, NULL, 0, __VA_ARGS__)
#define log_err_f(...)	log_msg(LOG_LEVEL_ERR, __func__, 0, __VA_ARGS__)
#define log_warn_f(...)	log_msg(LOG_LEVEL_WARN, __func__, 0, __VA_ARGS__)
#define log_info_f(...)	log_msg(LOG_LEVEL_INFO, __func__, 0, __VA_ARGS__)
#define log_debug_f(...) log_msg(LOG_LEVEL_DEBUG, __func__, 0, __VA_ARGS__)
/* As above, appending err=<err_str(r)>. */
#define log_err_r(r, ...)	log_msg(LOG_LEVEL_ERR, __func__, (r), __VA_ARGS__)
#define log_warn_r(r, ...)	log_msg(LOG_LEVEL_WARN, __func__, (r), __VA_ARGS__)
#define log_info_r(r, ...)	log_msg(LOG_LEVEL_INFO, __func__, (r), __VA_ARGS__)

/* Log at error level and exit(1).  Only before the event loop starts. */
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Copy a request target (path and query) into out (size outlen, always
 * NUL-terminated) in a form safe to log: every query value is replaced by
 * "*", and any run of digits, spaces or hyphens holding ten or more digits
 * in the path is replaced by "#" characters, so that an NHS number in a
 * path or query never reaches a log.  Control characters, quotes and
 * backslashes become '_'.
 */
void	log_mask_target(const char *target, char *out, size_t outlen);
/*
 * Copy s into out for use as a quoted log value: at most outlen-1 bytes,
 * control characters, quotes and backslashes replaced by '_', and digit
 * runs of ten or more masked as in log_mask_target().
 */
void	log_mask_value(const char *s, char *out, size_t outlen);

#endif
