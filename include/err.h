/* SPDX-License-Identifier: ISC */
/*
 * err.h: error codes shared by every module.
 *
 * Fallible functions return int: 0 on success, a negative ERR_* on failure.
 * err_str() turns a code into a short constant string for logs and
 * messages.  This header owns only the codes; modules decide what to log.
 */
#ifndef CAREHUB_ERR_H
#define CAREHUB_ERR_H

#define ERR_OK		0
#define ERR_INTERNAL	-1	/* programming error or unexpected state */
#define ERR_NOMEM	-2	/* allocation failed (where not fatal) */
#define ERR_SYSTEM	-3	/* a system call failed; errno preserved */
#define ERR_CONFIG	-4	/* configuration invalid */
#define ERR_INVALID	-5	/* bad argument or input */
#define ERR_TOO_LARGE	-6	/* input over a configured limit */
#define ERR_NOT_FOUND	-7
#define ERR_EXISTS	-8
#define ERR_DB		-9	/* database error */
#define ERR_DB_KEY	-10	/* wrong database key or not a database */
#define ERR_DB_VERSION	-11	/* schema or SQLCipher version unsupported */
#define ERR_DB_BUSY	-12	/* database locked by another process */
#define ERR_KEYFILE	-13	/* key file missing, malformed or too open */
#define ERR_TLS		-14	/* TLS or certificate error */
#define ERR_PERM	-15	/* not permitted */
#define ERR_SHUTDOWN	-16	/* the component is stopping */
#define ERR_PROTOCOL	-17	/* peer spoke something we do not accept */

/* Return a constant description of r; never NULL. */
const char *err_str(int r);

#endif
