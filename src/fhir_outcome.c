/* SPDX-License-Identifier: ISC */
/*
 * fhir_outcome.c: OperationOutcome and CapabilityStatement in FHIR R4 XML.
 *
 * Owns the element order and escaping of these two resources, written with
 * libxml2's xmlTextWriter so that every value is escaped.  Does not own
 * which errors are reported or which routes exist.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/xmlwriter.h>

#include "fhir.h"
#include "util.h"

/* <name value="v"/> */
static void
fhir_w_value(xmlTextWriterPtr w, const char *name, const char *v)
{
	xmlTextWriterStartElement(w, BAD_CAST name);
	xmlTextWriterWriteAttribute(w, BAD_CAST "value", BAD_CAST v);
	xmlTextWriterEndElement(w);
}

static xmlTextWriterPtr
fhir_w_start(xmlBufferPtr *bufp, const char *root)
{
	xmlTextWriterPtr w;

	*bufp = xmlBufferCreate();
	w = xmlNewTextWriterMemory(*bufp, 0);
	if (w == NULL)
		abort();
	xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL);
	xmlTextWriterStartElement(w, BAD_CAST root);
	xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns", BAD_CAST FHIR_NS);
	return w;
}

static char *
fhir_w_finish(xmlTextWriterPtr w, xmlBufferPtr buf, size_t *lenp)
{
	char *out;

	xmlTextWriterEndDocument(w);
	xmlFreeTextWriter(w);
	*lenp = (size_t)xmlBufferLength(buf);
	out = xstrndup((const char *)xmlBufferContent(buf), *lenp);
	xmlBufferFree(buf);
	return out;
}

char *
fhir_outcome_xml(const char *severity, const char *code,
    const char *diagnostics, const char *expression, size_t *lenp)
{
	xmlBufferPtr buf;
	xmlTextWriterPtr w = fhir_w_start(&buf, "OperationOutcome");

	xmlTextWriterStartElement(w, BAD_CAST "issue");
	fhir_w_value(w, "severity", severity);
	fhir_w_value(w, "code", code);
	if (diagnostics != NULL)
		fhir_w_value(w, "diagnostics", diagnostics);
	if (expression != NULL)
		fhir_w_value(w, "expression", expression);
	xmlTextWriterEndElement(w);
	return fhir_w_finish(w, buf, lenp);
}

static void
fhir_cap_resource(xmlTextWriterPtr w, const struct fhir_cap_entry *e,
    size_t n, const char *type)
{
	size_t i;

	xmlTextWriterStartElement(w, BAD_CAST "resource");
	fhir_w_value(w, "type", type);
	for (i = 0; i < n; i++) {
		if (e[i].type == NULL || strcmp(e[i].type, type) != 0)
			continue;
		xmlTextWriterStartElement(w, BAD_CAST "interaction");
		fhir_w_value(w, "code", e[i].interaction);
		xmlTextWriterEndElement(w);
	}
	xmlTextWriterEndElement(w);
}

char *
fhir_capability_xml(const struct fhir_cap_entry *e, size_t n,
    const char *software_version, size_t *lenp)
{
	xmlBufferPtr buf;
	xmlTextWriterPtr w = fhir_w_start(&buf, "CapabilityStatement");
	char date[32];
	size_t i, j;
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	fhir_w_value(w, "status", "active");
	fhir_w_value(w, "date", date);
	fhir_w_value(w, "publisher", "carehub");
	fhir_w_value(w, "kind", "instance");
	xmlTextWriterStartElement(w, BAD_CAST "software");
	fhir_w_value(w, "name", "carehub");
	fhir_w_value(w, "version", software_version);
	xmlTextWriterEndElement(w);
	xmlTextWriterStartElement(w, BAD_CAST "implementation");
	fhir_w_value(w, "description", "carehub shared care record hub");
	xmlTextWriterEndElement(w);
	fhir_w_value(w, "fhirVersion", FHIR_VERSION);
	fhir_w_value(w, "format", FHIR_XML_MIME);
	xmlTextWriterStartElement(w, BAD_CAST "rest");
	fhir_w_value(w, "mode", "server");
	xmlTextWriterStartElement(w, BAD_CAST "security");
	fhir_w_value(w, "description", "Mutual TLS: every client presents a "
	    "certificate issued by the hub's client CA and registered to a "
	    "client system.");
	xmlTextWriterEndElement(w);
	/* one <resource> per type, in the router's order */
	for (i = 0; i < n; i++) {
		if (e[i].type == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (e[j].type != NULL &&
			    strcmp(e[j].type, e[i].type) == 0)
				break;
		if (j == i)
			fhir_cap_resource(w, e, n, e[i].type);
	}
	for (i = 0; i < n; i++) {
		if (e[i].type != NULL)
			continue;
		xmlTextWriterStartElement(w, BAD_CAST "interaction");
		fhir_w_value(w, "code", e[i].interaction);
		xmlTextWriterEndElement(w);
	}
	xmlTextWriterEndElement(w);	/* rest */
	return fhir_w_finish(w, buf, lenp);
}
