/* SPDX-License-Identifier: ISC */
/*
 * ctl_pki.c: demo certificates for carehubctl.
 *
 * Generates EC P-256 keys and X509v3 certificates (a self-signed CA, TLS
 * server and client certificates) with the OpenSSL 3 EVP and X509v3 APIs,
 * writes them as PEM (keys as PKCS#8, mode 0600; certificates mode 0644)
 * and formats certificate fingerprints the way the configuration expects
 * them.  Owns nothing long-lived; the caller owns every key and certificate
 * returned.  Does not decide which certificates a demo needs (ctl_demo.c)
 * and does not load certificates for the daemon (the http layer does).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "ctl.h"
#include "err.h"
#include "util.h"

struct pki_ext {
	int		 nid;
	const char	*value;
};

/* Extensions by certificate kind, in the order they are added: SKI first,
 * so that a self-signed CA's AKI can copy it. */
static const struct pki_ext pki_exts_ca[] = {
	{ NID_basic_constraints, "critical,CA:TRUE,pathlen:0" },
	{ NID_key_usage, "critical,keyCertSign,cRLSign" },
	{ NID_subject_key_identifier, "hash" },
	{ NID_authority_key_identifier, "keyid:always" },
};
static const struct pki_ext pki_exts_server[] = {
	{ NID_basic_constraints, "critical,CA:FALSE" },
	{ NID_key_usage, "critical,digitalSignature" },
	{ NID_ext_key_usage, "serverAuth" },
	{ NID_subject_key_identifier, "hash" },
	{ NID_authority_key_identifier, "keyid:always" },
};
static const struct pki_ext pki_exts_client[] = {
	{ NID_basic_constraints, "critical,CA:FALSE" },
	{ NID_key_usage, "critical,digitalSignature" },
	{ NID_ext_key_usage, "clientAuth" },
	{ NID_subject_key_identifier, "hash" },
	{ NID_authority_key_identifier, "keyid:always" },
};

/*
 * Put "WHAT: <first OpenSSL error>" into err and clear OpenSSL's error
 * queue, so that a later failure does not report a stale reason.
 */
static void __attribute__((format(printf, 3, 4)))
pki_err(char *err, size_t errlen, const char *fmt, ...)
{
	char what[512], reason[256];
	unsigned long e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if ((e = ERR_peek_error()) != 0) {
		ERR_error_string_n(e, reason, sizeof(reason));
		snprintf(err, errlen, "%s: %s", what, reason);
	} else
		snprintf(err, errlen, "%s", what);
	ERR_clear_error();
}

int
ctl_pki_key_new(EVP_PKEY **keyp, char *err, size_t errlen)
{
	*keyp = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (*keyp == NULL) {
		pki_err(err, errlen, "generating an EC P-256 key");
		return ERR_TLS;
	}
	return 0;
}

/* Give cert a random, non-zero, positive 128-bit serial number. */
static int
pki_set_serial(X509 *cert)
{
	unsigned char buf[CTL_PKI_SERIAL_BYTES];
	BIGNUM *bn = NULL;
	int r = ERR_TLS;

	if (RAND_bytes(buf, sizeof(buf)) != 1)
		goto out;
	if ((bn = BN_bin2bn(buf, sizeof(buf), NULL)) == NULL)
		goto out;
	if (BN_is_zero(bn) && !BN_one(bn))
		goto out;
	if (BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) == NULL)
		goto out;
	r = 0;
 out:
	BN_free(bn);
	return r;
}

/* Set cert's subject to O=org (if any), CN=cn. */
static int
pki_set_subject(X509 *cert, const struct ctl_cert_spec *spec)
{
	X509_NAME *name;
	int r = ERR_TLS;

	if ((name = X509_NAME_new()) == NULL)
		goto out;
	if (spec->org != NULL && !X509_NAME_add_entry_by_txt(name, "O",
	    MBSTRING_UTF8, (const unsigned char *)spec->org, -1, -1, 0))
		goto out;
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)spec->cn, -1, -1, 0))
		goto out;
	if (!X509_set_subject_name(cert, name))
		goto out;
	r = 0;
 out:
	X509_NAME_free(name);
	return r;
}

static int
pki_add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext;
	int ok;

	if ((ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value)) == NULL)
		return ERR_TLS;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : ERR_TLS;
}

/* Add the extensions for spec->kind (and the subjectAltName, if any). */
static int
pki_add_exts(X509 *cert, X509 *issuer, const struct ctl_cert_spec *spec)
{
	const struct pki_ext *exts;
	X509V3_CTX ctx;
	size_t i, n;
	int r;

	switch (spec->kind) {
	case CTL_CERT_CA:
		exts = pki_exts_ca;
		n = NELEMS(pki_exts_ca);
		break;
	case CTL_CERT_SERVER:
		exts = pki_exts_server;
		n = NELEMS(pki_exts_server);
		break;
	case CTL_CERT_CLIENT:
	default:
		exts = pki_exts_client;
		n = NELEMS(pki_exts_client);
		break;
	}
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	if (spec->san != NULL && (r = pki_add_ext(cert, &ctx,
	    NID_subject_alt_name, spec->san)) != 0)
		return r;
	for (i = 0; i < n; i++)
		if ((r = pki_add_ext(cert, &ctx, exts[i].nid,
		    exts[i].value)) != 0)
			return r;
	return 0;
}

/* Check that spec and the issuer arguments describe a certificate we make. */
static int
pki_check_spec(const struct ctl_cert_spec *spec, X509 *issuer,
    EVP_PKEY *issuer_key, char *err, size_t errlen)
{
	if (spec->cn == NULL || *spec->cn == '\0') {
		snprintf(err, errlen, "certificate without a common name");
		return ERR_INVALID;
	}
	if ((issuer == NULL) != (issuer_key == NULL) ||
	    (issuer == NULL) != (spec->kind == CTL_CERT_CA)) {
		snprintf(err, errlen, "certificate %s: only a CA is "
		    "self-signed, and every other certificate needs an issuer "
		    "and its key", spec->cn);
		return ERR_INVALID;
	}
	if (spec->kind == CTL_CERT_SERVER &&
	    (spec->san == NULL || *spec->san == '\0')) {
		snprintf(err, errlen, "server certificate %s without a "
		    "subjectAltName", spec->cn);
		return ERR_INVALID;
	}
	return 0;
}

int
ctl_pki_cert_new(const struct ctl_cert_spec *spec, EVP_PKEY *key,
    X509 *issuer, EVP_PKEY *issuer_key, X509 **certp, char *err,
    size_t errlen)
{
	X509 *cert = NULL;
	long days;
	int r;

	*certp = NULL;
	if ((r = pki_check_spec(spec, issuer, issuer_key, err, errlen)) != 0)
		goto out;
	r = ERR_TLS;
	days = spec->kind == CTL_CERT_CA ? CTL_PKI_DAYS_CA : CTL_PKI_DAYS_LEAF;
	if ((cert = X509_new()) == NULL ||
	    !X509_set_version(cert, X509_VERSION_3) ||
	    pki_set_serial(cert) != 0 ||
	    pki_set_subject(cert, spec) != 0 ||
	    !X509_set_issuer_name(cert, X509_get_subject_name(
	    issuer != NULL ? issuer : cert)) ||
	    X509_gmtime_adj(X509_getm_notBefore(cert),
	    -CTL_PKI_BACKDATE_SECS) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), (int)days, 0,
	    NULL) == NULL ||
	    !X509_set_pubkey(cert, key)) {
		pki_err(err, errlen, "certificate %s", spec->cn);
		goto out;
	}
	if (pki_add_exts(cert, issuer != NULL ? issuer : cert, spec) != 0) {
		pki_err(err, errlen, "certificate %s: extensions", spec->cn);
		goto out;
	}
	if (X509_sign(cert, issuer_key != NULL ? issuer_key : key,
	    EVP_sha256()) <= 0) {
		pki_err(err, errlen, "certificate %s: signing", spec->cn);
		goto out;
	}
	/* success */
	*certp = cert;
	cert = NULL;	/* transferred */
	r = 0;
 out:
	X509_free(cert);
	return r;
}

/* Write the contents of the memory BIO bio to path with mode. */
static int
pki_write_bio(const char *path, BIO *bio, unsigned int mode, char *err,
    size_t errlen)
{
	char *data = NULL;
	long len;
	int r;

	if ((len = BIO_get_mem_data(bio, &data)) <= 0 || data == NULL) {
		snprintf(err, errlen, "%s: nothing to write", path);
		return ERR_INTERNAL;
	}
	if ((r = util_write_file_sync(path, data, (size_t)len, mode)) != 0)
		snprintf(err, errlen, "writing %s: %s", path,
		    r == ERR_SYSTEM ? strerror(errno) : err_str(r));
	return r;
}

int
ctl_pki_key_write(const char *path, EVP_PKEY *key, char *err, size_t errlen)
{
	BIO *bio;
	int r = ERR_TLS;

	/* Secure memory: the buffer is wiped when it grows and when freed. */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    !PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL,
	    NULL)) {
		pki_err(err, errlen, "%s: encoding the key", path);
		goto out;
	}
	r = pki_write_bio(path, bio, 0600, err, errlen);
 out:
	BIO_free(bio);
	return r;
}

int
ctl_pki_cert_write(const char *path, X509 *cert, char *err, size_t errlen)
{
	BIO *bio;
	int r = ERR_TLS;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509(bio, cert)) {
		pki_err(err, errlen, "%s: encoding the certificate", path);
		goto out;
	}
	r = pki_write_bio(path, bio, 0644, err, errlen);
 out:
	BIO_free(bio);
	return r;
}

int
ctl_pki_fingerprint(X509 *cert, char *out, size_t outlen)
{
	static const char digits[] = "0123456789ABCDEF";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int i, n = 0;
	char *p;

	if (outlen > 0)
		out[0] = '\0';
	if (outlen < CTL_PKI_FP_TEXT_LEN)
		return ERR_INVALID;
	if (X509_digest(cert, EVP_sha256(), md, &n) != 1 || n != 32) {
		ERR_clear_error();
		return ERR_TLS;
	}
	memcpy(out, "sha256:", 7);
	p = out + 7;
	for (i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ':';
		*p++ = digits[md[i] >> 4];
		*p++ = digits[md[i] & 0xf];
	}
	*p = '\0';
	return 0;
}

int
ctl_pki_issue(const struct ctl_cert_spec *spec, X509 *issuer,
    EVP_PKEY *issuer_key, const char *cert_path, const char *key_path,
    X509 **certp, EVP_PKEY **keyp, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int r;

	if (certp != NULL)
		*certp = NULL;
	if (keyp != NULL)
		*keyp = NULL;
	if ((r = ctl_pki_key_new(&key, err, errlen)) != 0 ||
	    (r = ctl_pki_cert_new(spec, key, issuer, issuer_key, &cert, err,
	    errlen)) != 0 ||
	    (r = ctl_pki_key_write(key_path, key, err, errlen)) != 0 ||
	    (r = ctl_pki_cert_write(cert_path, cert, err, errlen)) != 0)
		goto out;
	/* success */
	if (certp != NULL) {
		*certp = cert;
		cert = NULL;	/* transferred */
	}
	if (keyp != NULL) {
		*keyp = key;
		key = NULL;	/* transferred */
	}
	r = 0;
 out:
	X509_free(cert);
	EVP_PKEY_free(key);
	return r;
}
