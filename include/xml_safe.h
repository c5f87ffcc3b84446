/* SPDX-License-Identifier: ISC */
/*
 * xml_safe.h: hardened XML parsing for anything that crosses a trust
 * boundary (configuration files, FHIR resources from clients).
 *
 * libxml2 2.9 has no single switch for this, so the rules are applied
 * here: a size limit, a depth limit, any DOCTYPE refused (so no entity is
 * ever declared, let alone expanded), no network, no XInclude, errors
 * captured instead of printed.
 */
#ifndef CAREHUB_XML_SAFE_H
#define CAREHUB_XML_SAFE_H

#include <stddef.h>

#include <libxml/tree.h>

/*
 * Parse len bytes at buf (name is used in messages and as the document
 * URL).  On success *docp is a new document (xmlFreeDoc()).  On failure
 * returns ERR_INVALID (not well-formed, DOCTYPE present, too deep) or
 * ERR_TOO_LARGE, with "NAME:LINE: what" in err, and *docp is NULL.
 */
int	xml_safe_parse(const char *buf, size_t len, const char *name,
	    size_t max_len, int max_depth, xmlDocPtr *docp, char *err,
	    size_t errlen);

#endif
