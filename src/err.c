/* SPDX-License-Identifier: ISC */
/*
 * err.c: descriptions of the ERR_* codes in err.h.
 */
#include "config.h"

#include "err.h"

const char *
err_str(int r)
{
	switch (r) {
	case ERR_OK:		return "success";
	case ERR_INTERNAL:	return "internal error";
	case ERR_NOMEM:		return "out of memory";
	case ERR_SYSTEM:	return "system error";
	case ERR_CONFIG:	return "invalid configuration";
	case ERR_INVALID:	return "invalid input";
	case ERR_TOO_LARGE:	return "input too large";
	case ERR_NOT_FOUND:	return "not found";
	case ERR_EXISTS:	return "already exists";
	case ERR_DB:		return "database error";
	case ERR_DB_KEY:	return "wrong database key or not a database";
	case ERR_DB_VERSION:	return "unsupported database version";
	case ERR_DB_BUSY:	return "database in use by another process";
	case ERR_KEYFILE:	return "key file unusable";
	case ERR_TLS:		return "TLS error";
	case ERR_PERM:		return "not permitted";
	case ERR_SHUTDOWN:	return "shutting down";
	case ERR_PROTOCOL:	return "protocol error";
	}
	return "unknown error";
}
