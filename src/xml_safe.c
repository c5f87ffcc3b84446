/* SPDX-License-Identifier: ISC */
/*
 * xml_safe.c: libxml2 parsing with the limits carehub needs on hostile
 * input.
 *
 * Owns the parser options and the DOCTYPE refusal.  A SAX hook stops the
 * parser the moment an internal or external subset starts, before any
 * declaration inside it is read, so entities can be neither declared nor
 * expanded.  Depth is bounded by libxml2's own limit (256 without
 * XML_PARSE_HUGE) and then by a walk against the caller's max_depth.
 */
#include "config.h"

#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "err.h"
#include "xml_safe.h"

struct xml_safe_state {
	int	saw_doctype;
	int	line;
};

static void
xml_safe_subset_cb(void *ctx, const xmlChar *name, const xmlChar *ext,
    const xmlChar *sys)
{
	xmlParserCtxtPtr p = ctx;
	struct xml_safe_state *st = p->_private;

	(void)name;
	(void)ext;
	(void)sys;
	st->saw_doctype = 1;
	st->line = p->input != NULL ? p->input->line : 0;
	xmlStopParser(p);
}

static int
xml_safe_depth_ok(const xmlNode *n, int depth, int max_depth,
    const xmlNode **deepp)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (depth > max_depth) {
			*deepp = n;
			return 0;
		}
		if (!xml_safe_depth_ok(n->children, depth + 1, max_depth,
		    deepp))
			return 0;
	}
	return 1;
}

/* libxml2 reports some problems (encodings) only through this handler */
static void
xml_safe_generic_error_cb(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int
xml_safe_parse(const char *buf, size_t len, const char *name, size_t max_len,
    int max_depth, xmlDocPtr *docp, char *err, size_t errlen)
{
	struct xml_safe_state st = { 0, 0 };
	xmlParserCtxtPtr p = NULL;
	xmlDocPtr doc = NULL;
	const xmlNode *deep = NULL;
	xmlErrorPtr e;
	int r = ERR_INVALID;

	*docp = NULL;
	if (len > max_len || len > INT32_MAX) {
		snprintf(err, errlen, "%s: document larger than %zu bytes",
		    name, max_len);
		return ERR_TOO_LARGE;
	}
	if ((p = xmlNewParserCtxt()) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return ERR_NOMEM;
	}
	if (xmlGenericError != xml_safe_generic_error_cb)
		xmlSetGenericErrorFunc(NULL, xml_safe_generic_error_cb);
	p->_private = &st;
	p->sax->internalSubset = xml_safe_subset_cb;
	p->sax->externalSubset = xml_safe_subset_cb;
	doc = xmlCtxtReadMemory(p, buf, (int)len, name, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	    XML_PARSE_NOCDATA | XML_PARSE_NOXINCNODE);
	if (st.saw_doctype) {
		snprintf(err, errlen, "%s:%d: a DOCTYPE is not allowed", name,
		    st.line);
		goto out;
	}
	if (doc == NULL || !p->wellFormed) {
		e = xmlCtxtGetLastError(p);
		snprintf(err, errlen, "%s:%d: not well-formed XML: %.200s",
		    name, e != NULL ? e->line : 0,
		    e != NULL && e->message != NULL ? e->message : "?");
		/* libxml2 messages end in a newline */
		err[strcspn(err, "\n")] = '\0';
		goto out;
	}
	if (!xml_safe_depth_ok(xmlDocGetRootElement(doc), 1, max_depth,
	    &deep)) {
		snprintf(err, errlen, "%s:%ld: element <%s>: nested deeper "
		    "than %d levels", name, xmlGetLineNo(deep),
		    (const char *)deep->name, max_depth);
		goto out;
	}
	/* success */
	*docp = doc;
	doc = NULL;	/* transferred */
	r = 0;
 out:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(p);
	return r;
}
