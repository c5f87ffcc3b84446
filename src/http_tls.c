/* SPDX-License-Identifier: ISC */
/*
 * http_tls.c: the server's TLS context and client certificate checks.
 *
 * Owns the protocol and cipher policy (TLS 1.2 with ECDHE and an AEAD
 * cipher, or TLS 1.3), mutual TLS (a certificate from the configured client
 * CA, optionally checked against a CRL, that maps to a configured system),
 * and the per-connection data attached to each SSL object.  A handshake
 * whose certificate maps to no system fails, so such a client never gets
 * an HTTP answer.  Does not own HTTP: http_server.c does.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "conf.h"
#include "err.h"
#include "http_int.h"
#include "log.h"
#include "util.h"

#define HTTP_TLS12_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define HTTP_TLS13_SUITES \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:" \
	"TLS_CHACHA20_POLY1305_SHA256"
#define HTTP_SESSION_CTX	"carehubd"

static int http_tls_conn_idx = -1;

static void
http_tls_conn_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	(void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
	if (ptr != NULL)
		http_conn_closed(ptr);
}

static int
http_tls_idx(void)
{
	if (http_tls_conn_idx < 0)
		http_tls_conn_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL,
		    http_tls_conn_free_cb);
	return http_tls_conn_idx;
}

int
http_tls_conn_attach(SSL *ssl, struct http_conn *conn)
{
	return SSL_set_ex_data(ssl, http_tls_idx(), conn) == 1 ? 0 : ERR_TLS;
}

struct http_conn *
http_tls_conn_get(SSL *ssl)
{
	return SSL_get_ex_data(ssl, http_tls_idx());
}

/* Record the peer certificate's fingerprint and subject on conn. */
int
http_tls_peer_id(X509 *cert, struct http_conn *conn)
{
	unsigned int n = 0;
	BIO *bio;
	int len;

	if (X509_digest(cert, EVP_sha256(), conn->fp, &n) != 1 ||
	    n != CONF_FP_LEN)
		return ERR_TLS;
	conn->subject[0] = '\0';
	if ((bio = BIO_new(BIO_s_mem())) != NULL) {
		if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
		    XN_FLAG_RFC2253) >= 0 && BIO_pending(bio) <
		    (int)sizeof(conn->subject)) {
			len = BIO_read(bio, conn->subject,
			    (int)sizeof(conn->subject) - 1);
			conn->subject[len > 0 ? len : 0] = '\0';
		}
		/* a longer subject is not cut: it matches by fingerprint only */
		BIO_free(bio);
	}
	conn->has_cert = 1;
	return 0;
}

/*
 * Chain verification is OpenSSL's; at the leaf we add the registry check,
 * so an unregistered certificate fails the handshake.
 */
static int
http_tls_verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl;
	struct http_conn *conn;
	X509 *cert;
	char fp[2 * CONF_FP_LEN + 1];

	if (!ok || X509_STORE_CTX_get_error_depth(xs) != 0)
		return ok;
	ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl == NULL || (conn = http_tls_conn_get(ssl)) == NULL)
		return 0;
	cert = X509_STORE_CTX_get_current_cert(xs);
	if (cert == NULL || http_tls_peer_id(cert, conn) != 0)
		return 0;
	if (conf_system_find(conn->srv->conf, conn->fp, conn->subject) ==
	    NULL) {
		util_hex(conn->fp, CONF_FP_LEN, fp);
		log_warn("client certificate not registered to any system | "
		    "fingerprint=sha256:%s", fp);
		X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	return 1;
}

static void
http_tls_err(char *err, size_t errlen, const char *what, const char *path)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "%s %s: %s", what, path, e ? buf : "failed");
	ERR_clear_error();
}

static int
http_tls_load_crl(SSL_CTX *ctx, const char *path, char *err, size_t errlen)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	X509_LOOKUP *lk;

	if ((lk = X509_STORE_add_lookup(store, X509_LOOKUP_file())) == NULL ||
	    X509_load_crl_file(lk, path, X509_FILETYPE_PEM) <= 0) {
		http_tls_err(err, errlen, "cannot load CRL", path);
		return ERR_TLS;
	}
	X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	return 0;
}

int
http_tls_ctx_new(const struct conf *conf, SSL_CTX **ctxp, char *err,
    size_t errlen)
{
	SSL_CTX *ctx = NULL;
	STACK_OF(X509_NAME) *names;
	int r = ERR_TLS;

	*ctxp = NULL;
	(void)http_tls_idx();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		http_tls_err(err, errlen, "cannot create", "TLS context");
		goto out;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_set_cipher_list(ctx, HTTP_TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, HTTP_TLS13_SUITES) != 1) {
		http_tls_err(err, errlen, "cannot set", "cipher suites");
		goto out;
	}
	SSL_CTX_set_session_id_context(ctx,
	    (const unsigned char *)HTTP_SESSION_CTX, strlen(HTTP_SESSION_CTX));
	if (SSL_CTX_use_certificate_chain_file(ctx, conf->tls_cert) != 1) {
		http_tls_err(err, errlen, "cannot load certificate",
		    conf->tls_cert);
		goto out;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, conf->tls_key,
	    SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		http_tls_err(err, errlen, "cannot load private key",
		    conf->tls_key);
		goto out;
	}
	if (SSL_CTX_load_verify_locations(ctx, conf->tls_client_ca,
	    NULL) != 1 ||
	    (names = SSL_load_client_CA_file(conf->tls_client_ca)) == NULL) {
		http_tls_err(err, errlen, "cannot load client CA",
		    conf->tls_client_ca);
		goto out;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	if (conf->tls_crl != NULL &&
	    (r = http_tls_load_crl(ctx, conf->tls_crl, err, errlen)) != 0)
		goto out;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, http_tls_verify_cb);
	SSL_CTX_set_verify_depth(ctx, 4);
	/* success */
	*ctxp = ctx;
	ctx = NULL;	/* transferred */
	r = 0;
 out:
	SSL_CTX_free(ctx);
	return r;
}
