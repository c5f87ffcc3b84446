/* SPDX-License-Identifier: ISC */
/*
 * util.h: memory helpers, secrets, time, small string helpers.
 *
 * xmalloc() and friends abort on allocation failure (the daemon cannot do
 * anything useful without memory); sizes that come from clients must be
 * bounded by the caller before allocation.
 */
#ifndef CAREHUB_UTIL_H
#define CAREHUB_UTIL_H

#include <stddef.h>
#include <stdint.h>

void	*xmalloc(size_t n);
void	*xcalloc(size_t nmemb, size_t size);
void	*xreallocarray(void *p, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
int	 xasprintf(char **ret, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Zero n bytes at p in a way the compiler cannot remove. */
void	 util_wipe(void *p, size_t n);
/* Wipe then free a buffer of n bytes; accepts NULL. */
void	 util_freezero(void *p, size_t n);

/* Monotonic time in microseconds. */
uint64_t util_mono_usec(void);
/* Wall clock in microseconds since the epoch. */
uint64_t util_real_usec(void);
/* Format the wall clock as RFC 3339 UTC with milliseconds into buf (>= 32). */
void	 util_time_rfc3339(char *buf, size_t len);

/* Write a new random (v4) UUID as 36 lowercase characters plus NUL. */
void	 util_uuid(char out[37]);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void	 util_hex(const unsigned char *in, size_t n, char *out);
/*
 * Decode exactly n bytes of hex (upper or lower case, optional ':' between
 * bytes) from s into out.  Returns 0 or ERR_INVALID.
 */
int	 util_unhex(const char *s, unsigned char *out, size_t n);

/* Parse a decimal in [min, max]; 0 or ERR_INVALID. */
int	 util_parse_ll(const char *s, long long min, long long max,
	    long long *out);

/*
 * Read a whole regular file of at most maxlen bytes into a new buffer
 * (NUL-terminated, length in *lenp).  0, ERR_SYSTEM or ERR_TOO_LARGE.
 */
int	 util_read_file(const char *path, size_t maxlen, char **bufp,
	    size_t *lenp);
/*
 * Write len bytes to path atomically enough for keys and configuration:
 * create path.tmp with mode, write, fsync, rename over path, fsync the
 * directory.  0 or ERR_SYSTEM.
 */
int	 util_write_file_sync(const char *path, const void *buf, size_t len,
	    unsigned int mode);
/* fsync the directory holding path.  0 or ERR_SYSTEM. */
int	 util_fsync_dir(const char *path);

struct sockaddr_un;
/*
 * Fill sun with the AF_UNIX address path; a leading '@' names an abstract
 * socket.  *lenp gets the address length to pass to bind/connect/sendto.
 * 0, or ERR_INVALID if path is empty or too long.
 */
int	 util_sockaddr_un(const char *path, struct sockaddr_un *sun,
	    unsigned int *lenp);

#define FREE(p) do { free(p); (p) = NULL; } while (0)
#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

#endif
