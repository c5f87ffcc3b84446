/* SPDX-License-Identifier: ISC */
/*
 * test_util.c: the util layer: log masking and line format, hex, numbers,
 * files, hardened XML parsing.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <uuid/uuid.h>
#include <libxml/tree.h>

#include "err.h"
#include "log.h"
#include "util.h"
#include "xml_safe.h"

static void
test_mask_target(void **state)
{
	char out[256];

	(void)state;
	log_mask_target("/fhir/Patient?identifier=https://fhir.nhs.uk/Id/"
	    "nhs-number|9434765919&_format=xml", out, sizeof(out));
	assert_string_equal(out, "/fhir/Patient?identifier=*&_format=*");
	log_mask_target("/fhir/Patient/943 476 5919/x", out, sizeof(out));
	assert_string_equal(out, "/fhir/Patient/############/x");
	log_mask_target("/fhir/Patient/943-476-5919", out, sizeof(out));
	assert_null(strstr(out, "5919"));
	log_mask_target("/fhir/Patient/943%20476%205919", out, sizeof(out));
	assert_string_equal(out, "/fhir/Patient/############");
	log_mask_target("/a%00b%2", out, sizeof(out));
	assert_string_equal(out, "/a_b%2");
	log_mask_target("/\xc3\xa9%ff", out, sizeof(out));
	assert_string_equal(out, "/___");
	/* separators and encodings do not hide a number (review findings) */
	log_mask_target("/fhir/Patient/943.476.5919", out, sizeof(out));
	assert_null(strstr(out, "5919"));
	log_mask_target("/fhir/Patient?943+476+5919", out, sizeof(out));
	assert_string_equal(out, "/fhir/Patient?*");
	log_mask_target("/fhir/Patient?identifier%3D943%20476%205919", out,
	    sizeof(out));
	assert_string_equal(out, "/fhir/Patient?*");
	log_mask_target("/fhir/Patient/943%2520476%25205919", out,
	    sizeof(out));
	assert_string_equal(out, "/fhir/Patient/############");
	log_mask_target("/p?a=1&=2&b&c=", out, sizeof(out));
	assert_string_equal(out, "/p?a=*&=*&*&c=*");
	/* masked before it is cut: no leading digits survive the cut */
	log_mask_target("/xxxxxxx/9434765919", out, 14);
	assert_string_equal(out, "/xxxxxxx/####");
	log_mask_target("/fhir/Encounter/12345", out, sizeof(out));
	assert_string_equal(out, "/fhir/Encounter/12345");
	log_mask_target("/a\"b\\c\n", out, sizeof(out));
	assert_string_equal(out, "/a_b_c_");
	log_mask_target("/x?9434765919", out, sizeof(out));
	assert_null(strstr(out, "9434765919"));
	log_mask_target("/abc", out, 3);
	assert_string_equal(out, "/a");
}

static void
test_mask_value(void **state)
{
	char out[64];

	(void)state;
	log_mask_value("patient 9434765919 seen", out, sizeof(out));
	assert_string_equal(out, "patient ########## seen");
	log_mask_value("short 123456789", out, sizeof(out));
	assert_string_equal(out, "short 123456789");
}

static void
test_log_line(void **state)
{
	char path[] = "/tmp/carehub-log-XXXXXX", *buf = NULL;
	size_t len;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	log_init("test", LOG_LEVEL_INFO, 0);
	log_set_fd(fd);
	log_info("hello \"world\"\nnext | key=value n=3");
	log_debug("not shown");
	log_err_r(ERR_DB_KEY, "open failed");
	log_set_fd(-1);
	close(fd);
	assert_int_equal(util_read_file(path, 65536, &buf, &len), 0);
	unlink(path);
	assert_non_null(strstr(buf, "level=info msg=\"hello _world__next\" "
	    "key=value n=3\n"));
	assert_null(strstr(buf, "not shown"));
	assert_non_null(strstr(buf, "level=error func=test_log_line "
	    "msg=\"open failed\" err=\"wrong database key"));
	assert_int_equal(buf[len - 1], '\n');
	free(buf);
}

static void
test_hex_numbers(void **state)
{
	unsigned char b[4];
	char hex[9];
	long long v;

	(void)state;
	assert_int_equal(util_unhex("dEaDbeef", b, 4), 0);
	util_hex(b, 4, hex);
	assert_string_equal(hex, "deadbeef");
	assert_int_equal(util_unhex("de:ad:be:ef", b, 4), 0);
	assert_int_equal(util_unhex("deadbee", b, 4), ERR_INVALID);
	assert_int_equal(util_unhex("deadbeef00", b, 4), ERR_INVALID);
	assert_int_equal(util_unhex("deadbeeg", b, 4), ERR_INVALID);
	assert_int_equal(util_parse_ll("42", 1, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(util_parse_ll("101", 1, 100, &v), ERR_INVALID);
	assert_int_equal(util_parse_ll("4x", 1, 100, &v), ERR_INVALID);
	assert_int_equal(util_parse_ll("", 1, 100, &v), ERR_INVALID);
	assert_int_equal(util_parse_ll(" 4", 1, 100, &v), ERR_INVALID);
}

static void
test_files(void **state)
{
	char dir[] = "/tmp/carehub-util-XXXXXX", path[64], tmp[80], *buf = NULL;
	struct stat st;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(util_write_file_sync(path, "abc", 3, 0600), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(util_read_file(path, 10, &buf, &len), 0);
	assert_int_equal(len, 3);
	assert_string_equal(buf, "abc");
	free(buf);
	assert_int_equal(util_read_file(path, 2, &buf, &len), ERR_TOO_LARGE);
	assert_null(buf);
	assert_int_equal(util_read_file(dir, 10, &buf, &len), ERR_SYSTEM);
	/*
	 * The reason survives the cleanup: with a directory where the
	 * temporary file goes, creating it fails (EEXIST) and the cleanup's
	 * unlink fails differently (EISDIR).
	 */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(mkdir(tmp, 0700), 0);
	assert_int_equal(util_write_file_sync(path, "x", 1, 0600), ERR_SYSTEM);
	assert_int_equal(errno, EEXIST);
	rmdir(tmp);
	unlink(path);
	rmdir(dir);
}

static int
parse(const char *xml, int depth, char *err, size_t errlen)
{
	xmlDocPtr doc = NULL;
	int r;

	r = xml_safe_parse(xml, strlen(xml), "t.xml", 4096, depth, &doc, err,
	    errlen);
	if (r == 0)
		assert_non_null(doc);
	else
		assert_null(doc);
	xmlFreeDoc(doc);
	return r;
}

static void
test_xml_safe(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(parse("<a><b/></a>", 4, err, sizeof(err)), 0);
	/* billion laughs never gets past the DOCTYPE */
	assert_int_equal(parse("<?xml version=\"1.0\"?>\n<!DOCTYPE a [\n"
	    "<!ENTITY l \"lol\"><!ENTITY l2 \"&l;&l;&l;&l;\">]>\n<a>&l2;</a>",
	    4, err, sizeof(err)), ERR_INVALID);
	assert_non_null(strstr(err, "t.xml:2: a DOCTYPE is not allowed"));
	assert_int_equal(parse("<!DOCTYPE a SYSTEM \"http://127.0.0.1/x.dtd\">"
	    "<a/>", 4, err, sizeof(err)), ERR_INVALID);
	assert_non_null(strstr(err, "DOCTYPE"));
	assert_int_equal(parse("<a>\n<b>\n</a>", 4, err, sizeof(err)),
	    ERR_INVALID);
	assert_non_null(strstr(err, "t.xml:3: not well-formed XML"));
	assert_int_equal(parse("<a><b><c><d><e/></d></c></b></a>", 4, err,
	    sizeof(err)), ERR_INVALID);
	assert_non_null(strstr(err, "element <e>: nested deeper than 4"));
	assert_int_equal(parse("<a><b><c><d/></c></b></a>", 4, err,
	    sizeof(err)), 0);
	/* an undeclared entity is an error, never a fetch */
	assert_int_equal(parse("<a>&ext;</a>", 4, err, sizeof(err)),
	    ERR_INVALID);
}

static void
test_xml_too_large(void **state)
{
	char *big = xmalloc(5000), err[256];
	xmlDocPtr doc = NULL;

	(void)state;
	memset(big, ' ', 5000);
	assert_int_equal(xml_safe_parse(big, 5000, "big.xml", 4096, 8, &doc,
	    err, sizeof(err)), ERR_TOO_LARGE);
	free(big);
}

static void
test_sockaddr_un(void **state)
{
	struct sockaddr_un sun;
	unsigned int len;
	char longpath[200];

	(void)state;
	assert_int_equal(util_sockaddr_un("/run/x.sock", &sun, &len), 0);
	assert_string_equal(sun.sun_path, "/run/x.sock");
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 11);
	assert_int_equal(util_sockaddr_un("@abstract", &sun, &len), 0);
	assert_int_equal(sun.sun_path[0], '\0');
	assert_memory_equal(sun.sun_path + 1, "abstract", 8);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(util_sockaddr_un(longpath, &sun, &len), ERR_INVALID);
	assert_int_equal(util_sockaddr_un("", &sun, &len), ERR_INVALID);
}

static void
test_uuid(void **state)
{
	char a[37], b[37];
	uuid_t u;
	int i;

	(void)state;
	util_uuid(a);
	util_uuid(b);
	assert_int_equal(strlen(a), 36);
	assert_string_not_equal(a, b);
	/* libuuid agrees it is a random (v4) RFC 4122 UUID */
	assert_int_equal(uuid_parse(a, u), 0);
	assert_int_equal(uuid_type(u), UUID_TYPE_DCE_RANDOM);
	assert_int_equal(uuid_variant(u), UUID_VARIANT_DCE);
	for (i = 0; i < 36; i++)
		assert_true(strchr("0123456789abcdef-", a[i]) != NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mask_target),
		cmocka_unit_test(test_mask_value),
		cmocka_unit_test(test_log_line),
		cmocka_unit_test(test_hex_numbers),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_xml_safe),
		cmocka_unit_test(test_xml_too_large),
		cmocka_unit_test(test_sockaddr_un),
		cmocka_unit_test(test_uuid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
