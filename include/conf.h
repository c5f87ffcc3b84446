/* SPDX-License-Identifier: ISC */
/*
 * conf.h: the daemon's XML configuration.
 *
 * conf_load() parses a file, validates it against the schema built into the
 * binary (schemas/carehub-conf.xsd), then checks what a schema cannot
 * (paths, loopback-only plain HTTP, duplicate systems, fingerprints) and
 * returns an immutable struct conf.  A struct conf is a plain value: it is
 * built once, read by every layer, swapped whole on reload and never changed
 * in place, so its fields are public (unlike the opaque objects elsewhere).
 *
 * Errors are reported as "FILE:LINE: element <NAME>: what is wrong" in the
 * caller's buffer.
 */
#ifndef CAREHUB_CONF_H
#define CAREHUB_CONF_H

#include <stddef.h>
#include <stdint.h>

/* Permissions a client system may hold. */
#define CONF_PERM_SUBMIT	0x01
#define CONF_PERM_READ		0x02
#define CONF_PERM_AUDIT		0x04
#define CONF_PERM_ADMIN		0x08

#define CONF_FP_LEN		32	/* SHA-256 of the DER certificate */
#define CONF_MAX_FILE		(1024 * 1024)

struct conf_listener {
	char		*address;	/* numeric IPv4 or IPv6 address */
	int		 port;		/* 1..65535 */
	int		 plaintext;	/* plain HTTP: only on loopback */
};

/* An HTTPS URL prefix carehub may deliver notifications to. */
struct conf_endpoint {
	char		*host;		/* lower case; IPv6 without brackets */
	int		 port;		/* 0: any port */
	char		*path;		/* path prefix, starts with '/' */
};

struct conf_system {
	char		*name;
	int		 has_fingerprint;
	unsigned char	 fingerprint[CONF_FP_LEN];
	char		*subject;	/* RFC 2253 subject, or NULL */
	char		**ods;		/* ODS codes it may act for */
	size_t		 n_ods;
	unsigned int	 perms;		/* CONF_PERM_* */
	struct conf_endpoint *endpoints;
	size_t		 n_endpoints;
};

struct conf_limits {
	size_t		 max_body;		/* bytes */
	size_t		 max_header;		/* bytes */
	int		 max_connections;
	int		 request_timeout;	/* seconds */
	int		 shutdown_timeout;	/* seconds */
	uint64_t	 min_free_disk;		/* bytes */
};

struct conf {
	char		*path;		/* file it was loaded from */
	struct conf_listener *listeners;
	size_t		 n_listeners;
	char		*tls_cert;
	char		*tls_key;
	char		*tls_client_ca;
	char		*tls_crl;	/* or NULL */
	char		*db_path;
	char		*db_key_file;
	int		 db_cache_mb;
	char		*control_socket;
	char		*user;		/* or NULL: do not change user */
	int		 log_level;	/* enum log_level */
	int		 log_syslog;
	struct conf_limits limits;
	struct conf_system *systems;
	size_t		 n_systems;
};

/*
 * Load and validate the configuration file at path.  On success *confp is a
 * new configuration owned by the caller (conf_free()).  On failure returns
 * ERR_CONFIG (or ERR_SYSTEM/ERR_TOO_LARGE for the file itself) with a
 * message "FILE:LINE: element <X>: ..." in err (errlen bytes).
 */
int	conf_load(const char *path, struct conf **confp, char *err,
	    size_t errlen);
/* As conf_load(), from a buffer; name is used in messages and as path. */
int	conf_load_buf(const char *buf, size_t len, const char *name,
	    struct conf **confp, char *err, size_t errlen);
void	conf_free(struct conf *conf);
#define CONF_FREE(c) do { conf_free(c); (c) = NULL; } while (0)

/*
 * Find the system a certificate belongs to: its fingerprint fp (CONF_FP_LEN
 * bytes) and RFC 2253 subject (may be NULL) must equal every one of the
 * two that the system names.  NULL if none.
 */
const struct conf_system *conf_system_find(const struct conf *conf,
	    const unsigned char *fp, const char *subject);
/* 1 if sys may act for the organisation ods. */
int	conf_system_has_ods(const struct conf_system *sys, const char *ods);
/* Name of a permission bit ("submit", ...), or NULL. */
const char *conf_perm_name(unsigned int perm);
/* 1 if address is a numeric loopback address (127.0.0.0/8 or ::1). */
int	conf_is_loopback(const char *address);
/*
 * 1 if url ("https://host[:port]/path...") is on sys's delivery allow-list.
 */
int	conf_system_allows_endpoint(const struct conf_system *sys,
	    const char *url);

/* The schema text compiled into the binary (NUL-terminated). */
extern const char conf_schema_xsd[];

#endif
