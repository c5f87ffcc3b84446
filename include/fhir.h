/* SPDX-License-Identifier: ISC */
/*
 * fhir.h: FHIR R4 XML output shared by every API: OperationOutcome and the
 * CapabilityStatement.
 *
 * Owns the XML shape of these resources (element order as in the R4
 * schema).  Does not own HTTP status codes or routing: the http layer
 * picks those and hands this module what to say.
 */
#ifndef CAREHUB_FHIR_H
#define CAREHUB_FHIR_H

#include <stddef.h>

#define FHIR_NS			"http://hl7.org/fhir"
#define FHIR_VERSION		"4.0.1"
#define FHIR_XML_MIME		"application/fhir+xml"

/*
 * Serialise an OperationOutcome with one issue.  severity is a FHIR
 * issue-severity ("fatal", "error", "warning", "information"), code a FHIR
 * issue-type ("invalid", "not-found", "not-supported", "security", ...),
 * diagnostics free text for the caller (NULL: none) and expression a FHIRPath
 * naming the element at fault (NULL: none).  Returns a new NUL-terminated
 * buffer (caller frees) and its length in *lenp.
 */
char	*fhir_outcome_xml(const char *severity, const char *code,
	    const char *diagnostics, const char *expression, size_t *lenp);

/* One implemented interaction, from the router table. */
struct fhir_cap_entry {
	const char	*type;		/* resource type; NULL: system level */
	const char	*interaction;	/* FHIR restful interaction code */
};

/*
 * Serialise the server's CapabilityStatement listing exactly the n
 * interactions in entries (resource interactions grouped by type, system
 * interactions at rest level).  software_version is carehub's version.
 * Returns a new buffer (caller frees) and its length in *lenp.
 */
char	*fhir_capability_xml(const struct fhir_cap_entry *entries, size_t n,
	    const char *software_version, size_t *lenp);

#endif
