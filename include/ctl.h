/* SPDX-License-Identifier: ISC */
/*
 * ctl.h: carehubctl, the administration tool (top layer "ctl").
 *
 * Three parts share the prefix:
 *  - ctl_pki.c: demo certificates (EC P-256 keys, a CA, TLS server and
 *    client certificates) and certificate fingerprints, with OpenSSL 3
 *    EVP and X509v3 APIs only;
 *  - ctl_demo.c: `carehubctl demo-init`, which writes a complete working
 *    demo (certificates, database, configuration, environment file);
 *  - ctl_cmd.c: the subcommands and their dispatch; main_carehubctl.c
 *    only parses the global options and calls ctl_run().
 *
 * ctl may use every other layer.  It owns no long-lived state: every
 * command loads what it needs, reports on stdout (results) or stderr
 * (errors, naming what failed) and returns an exit status.  It never
 * prints key material.  Changes to a running daemon's data go through the
 * control socket, never straight to the database.
 */
#ifndef CAREHUB_CTL_H
#define CAREHUB_CTL_H

#include <stddef.h>
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#ifndef CAREHUB_SYSCONFDIR
#define CAREHUB_SYSCONFDIR "/etc"
#endif
/* The configuration file used when -f is not given. */
#define CTL_DEFAULT_CONF	CAREHUB_SYSCONFDIR "/carehub/carehub.conf"

/* Exit statuses of carehubctl. */
#define CTL_EXIT_OK		0
#define CTL_EXIT_FAIL		1	/* the command failed */
#define CTL_EXIT_USAGE		2	/* bad command line */

/* ----- PKI (ctl_pki.c) ------------------------------------------------ */

enum ctl_cert_kind {
	CTL_CERT_CA = 0,	/* self-signed: CA:TRUE, keyCertSign, cRLSign */
	CTL_CERT_SERVER,	/* TLS server: serverAuth, subjectAltName */
	CTL_CERT_CLIENT,	/* TLS client: clientAuth */
};

/* What a certificate says about its subject. */
struct ctl_cert_spec {
	enum ctl_cert_kind kind;
	const char	*cn;	/* subject commonName; required */
	const char	*org;	/* subject organizationName, or NULL */
	/*
	 * subjectAltName in OpenSSL's syntax ("DNS:localhost,IP:127.0.0.1"),
	 * or NULL for none.  Required for CTL_CERT_SERVER.
	 */
	const char	*san;
};

#define CTL_PKI_BACKDATE_SECS	3600	/* notBefore = now - 1 hour */
#define CTL_PKI_DAYS_CA		3650	/* CA: 10 years */
#define CTL_PKI_DAYS_LEAF	825	/* server and client certificates */
#define CTL_PKI_SERIAL_BYTES	16	/* random 128-bit serial numbers */
/* "sha256:" + 32 "XX" separated by ':' + NUL. */
#define CTL_PKI_FP_TEXT_LEN	(7 + 32 * 3)

/*
 * Generate a new EC P-256 key pair.  *keyp is owned by the caller
 * (EVP_PKEY_free()).  0, or ERR_TLS with the reason in err.
 */
int	ctl_pki_key_new(EVP_PKEY **keyp, char *err, size_t errlen);

/*
 * Issue an X509v3 certificate for key as described by spec, signed with
 * ECDSA-SHA256 by issuer_key under issuer, or self-signed when issuer is
 * NULL (then issuer_key must be NULL and spec->kind CTL_CERT_CA).  The
 * serial is random (128 bits); validity starts an hour ago and lasts
 * CTL_PKI_DAYS_CA or CTL_PKI_DAYS_LEAF days; SKI and AKI are set.
 * *certp is owned by the caller (X509_free()).  0, ERR_INVALID for a bad
 * spec, or ERR_TLS; the reason is in err.
 */
int	ctl_pki_cert_new(const struct ctl_cert_spec *spec, EVP_PKEY *key,
	    X509 *issuer, EVP_PKEY *issuer_key, X509 **certp, char *err,
	    size_t errlen);

/*
 * Write key as unencrypted PKCS#8 PEM to path, atomically, mode 0600.  The
 * PEM text is wiped from memory afterwards.  0, ERR_TLS or ERR_SYSTEM
 * (reason, naming path, in err).
 */
int	ctl_pki_key_write(const char *path, EVP_PKEY *key, char *err,
	    size_t errlen);
/* Write cert as PEM to path, atomically, mode 0644.  As above. */
int	ctl_pki_cert_write(const char *path, X509 *cert, char *err,
	    size_t errlen);

/*
 * Format the SHA-256 fingerprint of cert's DER encoding as
 * "sha256:AA:BB:..." (upper-case hex, the form of `openssl x509
 * -fingerprint -sha256` and of the configuration's fingerprint
 * attribute) into out (at least CTL_PKI_FP_TEXT_LEN bytes).  0 or ERR_TLS.
 */
int	ctl_pki_fingerprint(X509 *cert, char *out, size_t outlen);

/*
 * Generate a key, issue a certificate for it (as ctl_pki_cert_new()) and
 * write both (as ctl_pki_key_write() and ctl_pki_cert_write()).  certp and
 * keyp may be NULL; otherwise they receive the new objects, owned by the
 * caller.
 */
int	ctl_pki_issue(const struct ctl_cert_spec *spec, X509 *issuer,
	    EVP_PKEY *issuer_key, const char *cert_path, const char *key_path,
	    X509 **certp, EVP_PKEY **keyp, char *err, size_t errlen);

/* ----- demo-init (ctl_demo.c) ----------------------------------------- */

#define CTL_DEMO_PORT		8443

/*
 * Write a complete working demo into dir (created with mode 0700 if
 * missing; its parent must exist): a demo CA, server, client, hub and
 * receiver certificates and keys, a database key and database, a
 * configuration listening on 127.0.0.1:port (validated with conf_load()
 * before returning) and demo.env, every path in them absolute.  Refuses
 * (ERR_EXISTS) a dir that already holds carehub.conf or any file the demo
 * would write.  On failure every file written so far is removed again.
 * 0, or a negative ERR_* with a message naming what failed in err.
 */
int	ctl_demo_init(const char *dir, int port, char *err, size_t errlen);

/* ----- commands (ctl_cmd.c) ------------------------------------------- */

/* Print the usage text to fp. */
void	ctl_usage(FILE *fp);

/*
 * Run the command in argv[0] with its arguments argv[1..argc-1], using the
 * configuration file conf_path where the command needs one.  Results go to
 * stdout, errors to stderr.  Returns CTL_EXIT_OK, CTL_EXIT_FAIL or
 * CTL_EXIT_USAGE (after printing the usage).
 */
int	ctl_run(const char *conf_path, int argc, char **argv);

#endif
