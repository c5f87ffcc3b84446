/* SPDX-License-Identifier: ISC */
/*
 * test_ctl_pki.c: unit tests for ctl_pki.c (demo certificates).
 *
 * Issues a CA, a server and a client certificate once per run, then checks
 * that the chain verifies with X509_verify_cert() for the right purposes
 * only, the extensions (basic constraints, key usage, EKU, SAN, SKI/AKI),
 * serials and validity, that keys are P-256 and written as PKCS#8 with mode
 * 0600 (certificates 0644), and that fingerprints have the format of
 * `openssl x509 -fingerprint -sha256` (compared with the openssl tool when
 * it is installed).
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ctl.h"
#include "err.h"
#include "util.h"

#define SAN	"DNS:localhost,IP:127.0.0.1,IP:::1"
#define DAY	86400

struct pki {
	EVP_PKEY	*ca_key, *srv_key, *cli_key;
	X509		*ca, *srv, *cli;
	char		 tmpdir[64];
};

static int
group_setup(void **state)
{
	struct ctl_cert_spec ca = { CTL_CERT_CA, "test CA", "Q99", NULL };
	struct ctl_cert_spec srv = { CTL_CERT_SERVER, "localhost", "Q99", SAN };
	struct ctl_cert_spec cli = { CTL_CERT_CLIENT, "gp-practice-system",
	    "A99901", NULL };
	struct pki *p = xcalloc(1, sizeof(*p));
	char err[512];

	if (ctl_pki_key_new(&p->ca_key, err, sizeof(err)) != 0 ||
	    ctl_pki_cert_new(&ca, p->ca_key, NULL, NULL, &p->ca, err,
	    sizeof(err)) != 0 ||
	    ctl_pki_key_new(&p->srv_key, err, sizeof(err)) != 0 ||
	    ctl_pki_cert_new(&srv, p->srv_key, p->ca, p->ca_key, &p->srv, err,
	    sizeof(err)) != 0 ||
	    ctl_pki_key_new(&p->cli_key, err, sizeof(err)) != 0 ||
	    ctl_pki_cert_new(&cli, p->cli_key, p->ca, p->ca_key, &p->cli, err,
	    sizeof(err)) != 0) {
		print_error("setup: %s\n", err);
		return -1;
	}
	snprintf(p->tmpdir, sizeof(p->tmpdir), "/tmp/test_ctl_pki.XXXXXX");
	if (mkdtemp(p->tmpdir) == NULL)
		return -1;
	*state = p;
	return 0;
}

static int
group_teardown(void **state)
{
	struct pki *p = *state;
	struct dirent *de;
	char path[512];
	DIR *dir;

	if (p == NULL)
		return 0;
	if ((dir = opendir(p->tmpdir)) != NULL) {
		while ((de = readdir(dir)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", p->tmpdir,
			    de->d_name);
			unlink(path);
		}
		closedir(dir);
	}
	rmdir(p->tmpdir);
	X509_free(p->ca);
	X509_free(p->srv);
	X509_free(p->cli);
	EVP_PKEY_free(p->ca_key);
	EVP_PKEY_free(p->srv_key);
	EVP_PKEY_free(p->cli_key);
	free(p);
	return 0;
}

/* Verify cert against the CA for purpose; the X509_V_* result. */
static int
verify(struct pki *p, X509 *cert, int purpose)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok, result;

	assert_non_null(store);
	assert_non_null(ctx);
	assert_int_equal(X509_STORE_add_cert(store, p->ca), 1);
	X509_STORE_set_flags(store, X509_V_FLAG_X509_STRICT);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, cert, NULL), 1);
	assert_int_equal(X509_STORE_CTX_set_purpose(ctx, purpose), 1);
	ok = X509_verify_cert(ctx);
	result = X509_STORE_CTX_get_error(ctx);
	if (ok != 1 && result == X509_V_OK)
		result = -1;
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return result;
}

static void
test_chain_verifies(void **state)
{
	struct pki *p = *state;

	assert_int_equal(verify(p, p->ca, X509_PURPOSE_ANY), X509_V_OK);
	assert_int_equal(verify(p, p->srv, X509_PURPOSE_SSL_SERVER), X509_V_OK);
	assert_int_equal(verify(p, p->cli, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
}

static void
test_purposes_enforced(void **state)
{
	struct pki *p = *state;

	assert_int_equal(verify(p, p->srv, X509_PURPOSE_SSL_CLIENT),
	    X509_V_ERR_INVALID_PURPOSE);
	assert_int_equal(verify(p, p->cli, X509_PURPOSE_SSL_SERVER),
	    X509_V_ERR_INVALID_PURPOSE);
}

static void
test_foreign_ca_rejected(void **state)
{
	struct ctl_cert_spec spec = { CTL_CERT_CA, "test CA", "Q99", NULL };
	struct pki *p = *state, other = *p;
	EVP_PKEY *key = NULL;
	X509 *ca = NULL;
	char err[512];

	/* Same subject, different key: the signatures must not verify. */
	assert_int_equal(ctl_pki_key_new(&key, err, sizeof(err)), 0);
	assert_int_equal(ctl_pki_cert_new(&spec, key, NULL, NULL, &ca, err,
	    sizeof(err)), 0);
	other.ca = ca;
	assert_int_not_equal(verify(&other, p->srv, X509_PURPOSE_SSL_SERVER),
	    X509_V_OK);
	X509_free(ca);
	EVP_PKEY_free(key);
}

/* The critical flag of cert's extension nid (-1 if absent). */
static int
ext_critical(X509 *cert, int nid)
{
	int i = X509_get_ext_by_NID(cert, nid, -1);

	return i < 0 ? -1 : X509_EXTENSION_get_critical(X509_get_ext(cert, i));
}

static void
test_ca_extensions(void **state)
{
	struct pki *p = *state;
	const ASN1_OCTET_STRING *ski, *aki;

	assert_int_equal(X509_get_version(p->ca), X509_VERSION_3);
	assert_int_equal(X509_check_ca(p->ca), 1);
	assert_int_equal(ext_critical(p->ca, NID_basic_constraints), 1);
	assert_int_equal(ext_critical(p->ca, NID_key_usage), 1);
	assert_int_equal(X509_get_key_usage(p->ca), KU_KEY_CERT_SIGN |
	    KU_CRL_SIGN);
	assert_int_equal(X509_get_extension_flags(p->ca) & EXFLAG_SS,
	    EXFLAG_SS);
	ski = X509_get0_subject_key_id(p->ca);
	aki = X509_get0_authority_key_id(p->ca);
	assert_non_null(ski);
	assert_non_null(aki);
	assert_int_equal(ASN1_OCTET_STRING_cmp(ski, aki), 0);
}

static void
test_server_extensions(void **state)
{
	struct pki *p = *state;

	assert_int_equal(X509_check_ca(p->srv), 0);
	assert_int_equal(X509_get_key_usage(p->srv), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_extended_key_usage(p->srv), XKU_SSL_SERVER);
	assert_int_equal(X509_check_host(p->srv, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(p->srv, "example.org", 0, 0, NULL),
	    0);
	assert_int_equal(X509_check_ip_asc(p->srv, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_ip_asc(p->srv, "::1", 0), 1);
	assert_int_equal(X509_check_ip_asc(p->srv, "10.0.0.1", 0), 0);
	assert_int_equal(ASN1_OCTET_STRING_cmp(
	    X509_get0_authority_key_id(p->srv),
	    X509_get0_subject_key_id(p->ca)), 0);
	assert_non_null(X509_get0_subject_key_id(p->srv));
}

static void
test_client_extensions(void **state)
{
	struct pki *p = *state;
	X509_NAME *name = X509_get_subject_name(p->cli);
	char buf[256];

	assert_int_equal(X509_check_ca(p->cli), 0);
	assert_int_equal(X509_get_key_usage(p->cli), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_extended_key_usage(p->cli), XKU_SSL_CLIENT);
	assert_int_equal(X509_get_ext_by_NID(p->cli, NID_subject_alt_name, -1),
	    -1);
	assert_true(X509_NAME_get_text_by_NID(name, NID_commonName, buf,
	    sizeof(buf)) > 0);
	assert_string_equal(buf, "gp-practice-system");
	assert_true(X509_NAME_get_text_by_NID(name, NID_organizationName, buf,
	    sizeof(buf)) > 0);
	assert_string_equal(buf, "A99901");
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(p->cli),
	    X509_get_subject_name(p->ca)), 0);
}

/* Seconds from now to t (negative: in the past). */
static long
secs_from_now(const ASN1_TIME *t)
{
	int days = 0, secs = 0;

	assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, t), 1);
	return (long)days * DAY + secs;
}

static void
test_serial_and_validity(void **state)
{
	struct pki *p = *state;
	X509 *certs[] = { p->ca, p->srv, p->cli };
	long want;
	size_t i;
	BIGNUM *bn;

	for (i = 0; i < NELEMS(certs); i++) {
		bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certs[i]),
		    NULL);
		assert_non_null(bn);
		assert_false(BN_is_negative(bn));
		assert_false(BN_is_zero(bn));
		assert_true(BN_num_bytes(bn) <= CTL_PKI_SERIAL_BYTES);
		/* 128 random bits: fewer than 96 is vanishingly unlikely. */
		assert_true(BN_num_bits(bn) > 96);
		BN_free(bn);
		assert_true(labs(secs_from_now(X509_get0_notBefore(certs[i])) +
		    CTL_PKI_BACKDATE_SECS) < 120);
		want = (long)(i == 0 ? CTL_PKI_DAYS_CA : CTL_PKI_DAYS_LEAF) *
		    DAY;
		assert_true(labs(secs_from_now(X509_get0_notAfter(certs[i])) -
		    want) < 120);
	}
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(p->srv),
	    X509_get0_serialNumber(p->cli)), 0);
}

static void
test_keys_are_p256(void **state)
{
	struct pki *p = *state;
	char group[64];
	size_t len;

	assert_true(EVP_PKEY_is_a(p->srv_key, "EC"));
	assert_int_equal(EVP_PKEY_get_group_name(p->srv_key, group,
	    sizeof(group), &len), 1);
	assert_string_equal(group, "prime256v1");
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(p->srv), p->srv_key), 1);
	assert_int_equal(X509_get_signature_nid(p->srv),
	    NID_ecdsa_with_SHA256);
}

static void
test_bad_specs_rejected(void **state)
{
	struct pki *p = *state;
	struct ctl_cert_spec spec = { CTL_CERT_SERVER, "localhost", NULL,
	    NULL };
	X509 *cert = (X509 *)1;
	char err[512];

	/* A server certificate needs a subjectAltName. */
	assert_int_equal(ctl_pki_cert_new(&spec, p->srv_key, p->ca, p->ca_key,
	    &cert, err, sizeof(err)), ERR_INVALID);
	assert_null(cert);
	/* Only a CA is self-signed. */
	spec.kind = CTL_CERT_CLIENT;
	assert_int_equal(ctl_pki_cert_new(&spec, p->cli_key, NULL, NULL, &cert,
	    err, sizeof(err)), ERR_INVALID);
	/* A CA is never issued under another CA here. */
	spec.kind = CTL_CERT_CA;
	assert_int_equal(ctl_pki_cert_new(&spec, p->cli_key, p->ca, p->ca_key,
	    &cert, err, sizeof(err)), ERR_INVALID);
	/* Every certificate names its subject. */
	spec.kind = CTL_CERT_CLIENT;
	spec.cn = "";
	assert_int_equal(ctl_pki_cert_new(&spec, p->cli_key, p->ca, p->ca_key,
	    &cert, err, sizeof(err)), ERR_INVALID);
	assert_null(cert);
}

static void
assert_mode(const char *path, unsigned int mode)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, mode);
}

static void
test_issue_writes_files(void **state)
{
	struct ctl_cert_spec spec = { CTL_CERT_CLIENT, "mdt-viewer", "R9Y",
	    NULL };
	struct pki *p = *state;
	char crt[256], key[256], err[512], *buf = NULL;
	EVP_PKEY *k = NULL, *k2;
	X509 *c = NULL, *c2;
	FILE *fp;
	mode_t old = umask(0);	/* modes must not depend on the umask */

	snprintf(crt, sizeof(crt), "%s/mdt.crt", p->tmpdir);
	snprintf(key, sizeof(key), "%s/mdt.key", p->tmpdir);
	assert_int_equal(ctl_pki_issue(&spec, p->ca, p->ca_key, crt, key, &c,
	    &k, err, sizeof(err)), 0);
	umask(old);
	assert_mode(crt, 0644);
	assert_mode(key, 0600);
	assert_int_equal(util_read_file(key, 65536, &buf, NULL), 0);
	assert_int_equal(strncmp(buf, "-----BEGIN PRIVATE KEY-----\n", 28), 0);
	free(buf);
	assert_non_null(fp = fopen(key, "r"));
	assert_non_null(k2 = PEM_read_PrivateKey(fp, NULL, NULL, NULL));
	fclose(fp);
	assert_int_equal(EVP_PKEY_eq(k, k2), 1);
	assert_non_null(fp = fopen(crt, "r"));
	assert_non_null(c2 = PEM_read_X509(fp, NULL, NULL, NULL));
	fclose(fp);
	assert_int_equal(X509_cmp(c, c2), 0);
	assert_int_equal(verify(p, c2, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
	EVP_PKEY_free(k2);
	X509_free(c2);
	EVP_PKEY_free(k);
	X509_free(c);
}

static void
test_issue_reports_write_failure(void **state)
{
	struct ctl_cert_spec spec = { CTL_CERT_CLIENT, "x", NULL, NULL };
	struct pki *p = *state;
	char err[512] = "";
	X509 *c = (X509 *)1;

	assert_int_equal(ctl_pki_issue(&spec, p->ca, p->ca_key,
	    "/nonexistent/dir/x.crt", "/nonexistent/dir/x.key", &c, NULL, err,
	    sizeof(err)), ERR_SYSTEM);
	assert_null(c);
	assert_non_null(strstr(err, "/nonexistent/dir/x.key"));
}

/* Check "sha256:" then 32 upper-case hex pairs separated by ':'. */
static void
assert_fp_format(const char *fp)
{
	size_t i;

	assert_int_equal(strlen(fp), CTL_PKI_FP_TEXT_LEN - 1);
	assert_int_equal(strncmp(fp, "sha256:", 7), 0);
	for (i = 7; fp[i] != '\0'; i++) {
		if ((i - 7) % 3 == 2)
			assert_int_equal(fp[i], ':');
		else
			assert_true(isxdigit((unsigned char)fp[i]) &&
			    !islower((unsigned char)fp[i]));
	}
}

/* The fingerprint the openssl tool prints for path, or "" without it. */
static void
openssl_fingerprint(const char *path, char *out, size_t len)
{
	char cmd[512], line[256], *eq, *nl;
	FILE *fp;

	*out = '\0';
	snprintf(cmd, sizeof(cmd), "openssl x509 -noout -fingerprint -sha256 "
	    "-in '%s' 2>/dev/null", path);
	if ((fp = popen(cmd, "r")) == NULL)
		return;
	if (fgets(line, sizeof(line), fp) != NULL &&
	    (eq = strchr(line, '=')) != NULL) {
		if ((nl = strchr(eq, '\n')) != NULL)
			*nl = '\0';
		snprintf(out, len, "%s", eq + 1);
	}
	pclose(fp);
}

static void
test_fingerprint(void **state)
{
	struct pki *p = *state;
	unsigned char md[32], bin[32];
	unsigned int n = 0;
	char fp[CTL_PKI_FP_TEXT_LEN], tool[256], path[256], err[512];

	assert_int_equal(ctl_pki_fingerprint(p->cli, fp, sizeof(fp) - 1),
	    ERR_INVALID);
	assert_int_equal(ctl_pki_fingerprint(p->cli, fp, sizeof(fp)), 0);
	assert_fp_format(fp);
	assert_int_equal(X509_digest(p->cli, EVP_sha256(), md, &n), 1);
	assert_int_equal(util_unhex(fp + 7, bin, sizeof(bin)), 0);
	assert_memory_equal(md, bin, sizeof(md));

	snprintf(path, sizeof(path), "%s/cli.crt", p->tmpdir);
	assert_int_equal(ctl_pki_cert_write(path, p->cli, err, sizeof(err)), 0);
	openssl_fingerprint(path, tool, sizeof(tool));
	if (*tool == '\0') {
		print_message("openssl tool not found: format checked only\n");
		return;
	}
	assert_string_equal(fp + 7, tool);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_verifies),
		cmocka_unit_test(test_purposes_enforced),
		cmocka_unit_test(test_foreign_ca_rejected),
		cmocka_unit_test(test_ca_extensions),
		cmocka_unit_test(test_server_extensions),
		cmocka_unit_test(test_client_extensions),
		cmocka_unit_test(test_serial_and_validity),
		cmocka_unit_test(test_keys_are_p256),
		cmocka_unit_test(test_bad_specs_rejected),
		cmocka_unit_test(test_issue_writes_files),
		cmocka_unit_test(test_issue_reports_write_failure),
		cmocka_unit_test(test_fingerprint),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
