/* SPDX-License-Identifier: ISC */
/*
 * test_fhir.c: OperationOutcome and CapabilityStatement output, validated
 * against the official FHIR R4 schema in ../shared, and the
 * CapabilityStatement compared with the router table.  Exits 77 (skip)
 * when the shared reference material is absent.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "fhir.h"
#include "http_int.h"
#include "util.h"

#define FHIR_XSD SHARED_DIR "/fhir/fhir-r4-schema/official-single__mjhaugsdal" \
	"/src/main/resources/fhir-single.xsd"

static xmlSchemaPtr schema;

static xmlDocPtr
validate(const char *xml, size_t len)
{
	xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(schema);
	xmlDocPtr doc = xmlReadMemory(xml, (int)len, "out.xml", NULL,
	    XML_PARSE_NONET);

	assert_non_null(doc);
	if (xmlSchemaValidateDoc(v, doc) != 0)
		fail_msg("not valid FHIR R4:\n%s", xml);
	xmlSchemaFreeValidCtxt(v);
	return doc;
}

static char *
xpath_str(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr x = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o;
	char *s;

	xmlXPathRegisterNs(x, BAD_CAST "f", BAD_CAST FHIR_NS);
	o = xmlXPathEvalExpression(BAD_CAST expr, x);
	s = (char *)xmlXPathCastToString(o);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(x);
	return s;
}

static void
test_outcome(void **state)
{
	size_t len;
	char *xml, *s;
	xmlDocPtr doc;

	(void)state;
	xml = fhir_outcome_xml("error", "invalid", "bad <value> & \"quote\"",
	    "Patient.birthDate", &len);
	assert_int_equal(strlen(xml), len);
	doc = validate(xml, len);
	s = xpath_str(doc, "string(/f:OperationOutcome/f:issue/f:diagnostics"
	    "/@value)");
	assert_string_equal(s, "bad <value> & \"quote\"");
	xmlFree(s);
	s = xpath_str(doc, "string(/f:OperationOutcome/f:issue/f:expression"
	    "/@value)");
	assert_string_equal(s, "Patient.birthDate");
	xmlFree(s);
	xmlFreeDoc(doc);
	free(xml);
	xml = fhir_outcome_xml("fatal", "exception", NULL, NULL, &len);
	xmlFreeDoc(validate(xml, len));
	free(xml);
}

static void
test_capability_matches_routes(void **state)
{
	struct fhir_cap_entry *e;
	size_t i, n = 0, len, listed, routed = 0;
	char expr[256], *xml, *s;
	xmlDocPtr doc;

	(void)state;
	e = http_api_capabilities(&n);
	for (i = 0; i < http_n_routes; i++)
		if (http_routes[i].fhir_interaction != NULL)
			routed++;
	assert_int_equal(n, routed);
	xml = fhir_capability_xml(e, n, PACKAGE_VERSION, &len);
	doc = validate(xml, len);
	s = xpath_str(doc, "string(/f:CapabilityStatement/f:fhirVersion/"
	    "@value)");
	assert_string_equal(s, "4.0.1");
	xmlFree(s);
	/* every routed interaction is listed ... */
	for (i = 0; i < n; i++) {
		if (e[i].type != NULL)
			snprintf(expr, sizeof(expr), "count(//f:resource[f:type/"
			    "@value='%s']/f:interaction[f:code/@value='%s'])",
			    e[i].type, e[i].interaction);
		else
			snprintf(expr, sizeof(expr), "count(/f:Capability"
			    "Statement/f:rest/f:interaction[f:code/@value="
			    "'%s'])", e[i].interaction);
		s = xpath_str(doc, expr);
		assert_string_equal(s, "1");
		xmlFree(s);
	}
	/* ... and nothing else is */
	s = xpath_str(doc, "count(//f:interaction)");
	listed = (size_t)atoi(s);
	xmlFree(s);
	assert_int_equal(listed, n);
	xmlFreeDoc(doc);
	free(xml);
	free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcome),
		cmocka_unit_test(test_capability_matches_routes),
	};
	xmlSchemaParserCtxtPtr p;
	int r;

	if (access(FHIR_XSD, R_OK) != 0) {
		fprintf(stderr, "skip: %s not found\n", FHIR_XSD);
		return 77;
	}
	p = xmlSchemaNewParserCtxt(FHIR_XSD);
	schema = xmlSchemaParse(p);
	xmlSchemaFreeParserCtxt(p);
	if (schema == NULL) {
		fprintf(stderr, "cannot parse %s\n", FHIR_XSD);
		return 1;
	}
	r = cmocka_run_group_tests(tests, NULL, NULL);
	xmlSchemaFree(schema);
	xmlCleanupParser();
	return r;
}
