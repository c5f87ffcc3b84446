/* SPDX-License-Identifier: ISC */
/*
 * test_conf.c: configuration loading, data-driven from tests/conf/<case>/
 * (carehubd.conf with either "expected", a dump of what must be loaded, or
 * "error", text the error message must contain), plus the lookups the
 * other layers use.
 */
#include "config.h"

#include <dirent.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "err.h"
#include "util.h"

static void
dump(const struct conf *c, const char *dir, char *out, size_t len)
{
	size_t i, j, off = 0;
	const char *key = c->tls_key;

#define P(...) off += (size_t)snprintf(out + off, len - off, __VA_ARGS__)
	for (i = 0; i < c->n_listeners; i++)
		P("listen %s %d %s\n", c->listeners[i].address,
		    c->listeners[i].port, c->listeners[i].plaintext ? "plain" :
		    "tls");
	if (strncmp(key, dir, strlen(dir)) == 0)
		P("tls_key /__DIR__%s\n", key + strlen(dir));
	else
		P("tls_key %s\n", key);
	P("db %s\n", c->db_path);
	P("limits body=%zu header=%zu conns=%d timeout=%d shutdown=%d\n",
	    c->limits.max_body, c->limits.max_header,
	    c->limits.max_connections, c->limits.request_timeout,
	    c->limits.shutdown_timeout);
	for (i = 0; i < c->n_systems; i++) {
		P("system %s perms=%u ods=", c->systems[i].name,
		    c->systems[i].perms);
		for (j = 0; j < c->systems[i].n_ods; j++)
			P("%s%s", j ? "," : "", c->systems[i].ods[j]);
		P(" endpoints=%zu\n", c->systems[i].n_endpoints);
	}
#undef P
}

static int
run_case(const char *name)
{
	char dir[1024], path[1100], want_path[1100], err[1024], got[4096];
	char *want = NULL;
	struct conf *c = NULL;
	size_t len;
	int r, bad = 0;

	snprintf(dir, sizeof(dir), "%s/conf/%s", TESTS_DIR, name);
	snprintf(path, sizeof(path), "%s/carehubd.conf", dir);
	unsetenv("CREDENTIALS_DIRECTORY");
	r = conf_load(path, &c, err, sizeof(err));
	snprintf(want_path, sizeof(want_path), "%s/error", dir);
	if (util_read_file(want_path, 65536, &want, &len) == 0) {
		want[strcspn(want, "\n")] = '\0';
		if (r == 0 || strstr(err, want) == NULL || c != NULL) {
			print_error("case %s: want error containing \"%s\", "
			    "got r=%d \"%s\"\n", name, want, r, err);
			bad = 1;
		}
	} else {
		snprintf(want_path, sizeof(want_path), "%s/expected", dir);
		assert_int_equal(util_read_file(want_path, 65536, &want, &len),
		    0);
		if (r != 0) {
			print_error("case %s: unexpected error %s\n", name, err);
			bad = 1;
		} else {
			dump(c, dir, got, sizeof(got));
			if (strcmp(got, want) != 0) {
				print_error("case %s:\nwant:\n%s\ngot:\n%s\n",
				    name, want, got);
				bad = 1;
			}
		}
	}
	free(want);
	conf_free(c);
	return bad;
}

static void
test_cases(void **state)
{
	char dir[1024];
	struct dirent *de;
	DIR *d;
	int n = 0, bad = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/conf", TESTS_DIR);
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		bad += run_case(de->d_name);
		n++;
	}
	closedir(d);
	assert_int_equal(bad, 0);
	assert_true(n >= 20);
}

static void
test_credentials(void **state)
{
	char path[1100], err[1024];
	struct conf *c = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/conf/credential-unset/carehubd.conf",
	    TESTS_DIR);
	setenv("CREDENTIALS_DIRECTORY", "/run/credentials/carehubd.service", 1);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), 0);
	assert_string_equal(c->db_key_file,
	    "/run/credentials/carehubd.service/dbkey");
	conf_free(c);
	unsetenv("CREDENTIALS_DIRECTORY");
}

static void
test_missing_file(void **state)
{
	char err[1024];
	struct conf *c = NULL;

	(void)state;
	assert_int_not_equal(conf_load("/nonexistent/carehub.conf", &c, err,
	    sizeof(err)), 0);
	assert_non_null(strstr(err, "/nonexistent/carehub.conf"));
	assert_null(c);
}

static void
test_too_large(void **state)
{
	size_t n = CONF_MAX_FILE + 10;
	char *buf = xmalloc(n), err[256];
	struct conf *c = NULL;

	(void)state;
	memset(buf, ' ', n);
	assert_int_equal(conf_load_buf(buf, n, "big.conf", &c, err,
	    sizeof(err)), ERR_TOO_LARGE);
	free(buf);
}

static void
test_endpoints_and_lookup(void **state)
{
	char path[1100], err[1024];
	struct conf *c = NULL;
	const struct conf_system *s;
	unsigned char fp[CONF_FP_LEN];

	(void)state;
	snprintf(path, sizeof(path), "%s/conf/minimal/carehubd.conf",
	    TESTS_DIR);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(util_unhex("00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff", fp, sizeof(fp)), 0);
	assert_non_null(s = conf_system_find(c, fp, NULL));
	assert_true(conf_system_has_ods(s, "A99902"));
	assert_false(conf_system_has_ods(s, "A99903"));
	assert_true(conf_system_allows_endpoint(s, "https://127.0.0.1:9/x"));
	assert_true(conf_system_allows_endpoint(s, "https://127.0.0.1/"));
	assert_false(conf_system_allows_endpoint(s, "http://127.0.0.1:9/"));
	assert_false(conf_system_allows_endpoint(s, "https://127.0.0.2:9/"));
	assert_false(conf_system_allows_endpoint(s,
	    "https://127.0.0.1.evil.example/"));
	fp[0] ^= 1;
	assert_null(conf_system_find(c, fp, NULL));
	assert_null(conf_system_find(c, fp, "CN=gp-practice-system"));
	conf_free(c);
}

/* A system naming both fingerprint and subject needs both to match. */
static void
test_fingerprint_and_subject(void **state)
{
	static const char xml[] = "<carehub xmlns=\"urn:carehub:conf:1\">"
	    "<listen address=\"127.0.0.1\" port=\"8443\"/><tls>"
	    "<certificate>/c</certificate><key>/k</key><client-ca>/a"
	    "</client-ca></tls><database><path>/d</path><key-file>/k"
	    "</key-file></database><control-socket>/s</control-socket>"
	    "<systems><system name=\"both\"><certificate fingerprint=\""
	    "sha256:00112233445566778899aabbccddeeff00112233445566778899aabb"
	    "ccddeeff\" subject=\"CN=both\"/><organisation ods=\"A99901\"/>"
	    "</system><system name=\"subj\"><certificate subject=\"CN=subj"
	    "\"/><organisation ods=\"A99902\"/></system></systems>"
	    "</carehub>";
	unsigned char fp[CONF_FP_LEN], other[CONF_FP_LEN];
	struct conf *c = NULL;
	char err[512];

	(void)state;
	assert_int_equal(conf_load_buf(xml, sizeof(xml) - 1, "/t.conf", &c,
	    err, sizeof(err)), 0);
	assert_int_equal(util_unhex("00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff", fp, sizeof(fp)), 0);
	memset(other, 7, sizeof(other));
	assert_string_equal(conf_system_find(c, fp, "CN=both")->name, "both");
	assert_null(conf_system_find(c, fp, "CN=someone"));
	assert_null(conf_system_find(c, fp, NULL));
	assert_null(conf_system_find(c, other, "CN=both"));
	assert_string_equal(conf_system_find(c, other, "CN=subj")->name,
	    "subj");
	conf_free(c);
}

static void
test_relative_paths(void **state)
{
	char dir[1100], err[1024], want[1200];
	struct conf *c = NULL;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/conf/minimal", TESTS_DIR);
	assert_int_equal(chdir(dir), 0);
	assert_non_null(getcwd(dir, sizeof(dir)));	/* as the kernel has it */
	/* a relative -f: relative paths inside become absolute */
	assert_int_equal(conf_load("carehubd.conf", &c, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/server.key", dir);
	assert_string_equal(c->tls_key, want);
	conf_free(c);
	assert_int_equal(chdir("/"), 0);
}

static void
test_loopback(void **state)
{
	(void)state;
	assert_true(conf_is_loopback("127.0.0.1"));
	assert_true(conf_is_loopback("127.9.9.9"));
	assert_true(conf_is_loopback("::1"));
	assert_false(conf_is_loopback("128.0.0.1"));
	assert_false(conf_is_loopback("::2"));
	assert_false(conf_is_loopback("localhost"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_endpoints_and_lookup),
		cmocka_unit_test(test_fingerprint_and_subject),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
