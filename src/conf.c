/* SPDX-License-Identifier: ISC */
/*
 * conf.c: load and check carehubd's XML configuration.
 *
 * Owns parsing (libxml2, hardened: no DTD, no entities, no network),
 * validation against the schema compiled into the binary, the checks a
 * schema cannot make, and the resulting struct conf.  Does not own what the
 * settings mean at run time: the daemon and http layers apply them.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "conf.h"
#include "err.h"
#include "log.h"
#include "util.h"
#include "xml_safe.h"

#define CONF_NS		"urn:carehub:conf:1"
#define CONF_MAX_DEPTH	16

/* Parse state: where errors go and where relative paths are rooted. */
struct conf_ctx {
	const char	*name;
	char		*dir;		/* directory of the file, with '/' */
	char		*err;
	size_t		 errlen;
	int		 failed;
};

static void conf_fail(struct conf_ctx *, const xmlNode *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
conf_fail(struct conf_ctx *cx, const xmlNode *node, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (cx->failed)
		return;		/* report the first problem only */
	cx->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (node != NULL)
		snprintf(cx->err, cx->errlen, "%s:%ld: element <%s>: %s",
		    cx->name, xmlGetLineNo(node), (const char *)node->name,
		    msg);
	else
		snprintf(cx->err, cx->errlen, "%s: %s", cx->name, msg);
}

/* Schema validation errors: keep the first, with its line and element. */
static void
conf_schema_error_cb(void *arg, xmlErrorPtr e)
{
	struct conf_ctx *cx = arg;
	char msg[400];
	size_t n;

	if (cx->failed || e == NULL)
		return;
	snprintf(msg, sizeof(msg), "%s", e->message != NULL ? e->message :
	    "invalid");
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	if (e->node != NULL)
		conf_fail(cx, e->node, "%s", msg);
	else {
		cx->failed = 1;
		snprintf(cx->err, cx->errlen, "%s:%d: %s", cx->name, e->line,
		    msg);
	}
}

static xmlSchemaPtr conf_schema;

static xmlSchemaPtr
conf_schema_get(void)
{
	xmlSchemaParserCtxtPtr pctx;

	if (conf_schema != NULL)
		return conf_schema;
	pctx = xmlSchemaNewMemParserCtxt(conf_schema_xsd,
	    (int)strlen(conf_schema_xsd));
	if (pctx == NULL)
		return NULL;
	conf_schema = xmlSchemaParse(pctx);
	xmlSchemaFreeParserCtxt(pctx);
	return conf_schema;
}

static int
conf_is_el(const xmlNode *n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	    n->ns != NULL && strcmp((const char *)n->ns->href, CONF_NS) == 0 &&
	    strcmp((const char *)n->name, name) == 0;
}

static const xmlNode *
conf_child(const xmlNode *parent, const char *name)
{
	const xmlNode *n;

	for (n = parent->children; n != NULL; n = n->next)
		if (conf_is_el(n, name))
			return n;
	return NULL;
}

/* Trimmed text content of an element, as a new string. */
static char *
conf_text(const xmlNode *n)
{
	xmlChar *t = xmlNodeGetContent(n);
	const char *s = (const char *)t, *e;
	char *r;

	if (t == NULL)
		return xstrdup("");
	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	r = xstrndup(s, (size_t)(e - s));
	xmlFree(t);
	return r;
}

static char *
conf_attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *r;

	if (v == NULL)
		return NULL;
	r = xstrdup((const char *)v);
	xmlFree(v);
	return r;
}

static long long
conf_int(struct conf_ctx *cx, const xmlNode *n, long long min, long long max)
{
	char *t = conf_text(n);
	long long v = min;

	if (util_parse_ll(t, min, max, &v) != 0)
		conf_fail(cx, n, "'%s' is not a number from %lld to %lld",
		    t, min, max);
	free(t);
	return v;
}

/*
 * Resolve a path value: "credential:NAME" names a systemd credential in
 * $CREDENTIALS_DIRECTORY; a relative path is taken from the configuration
 * file's directory.
 */
static char *
conf_path(struct conf_ctx *cx, const xmlNode *n)
{
	char *t = conf_text(n), *r = NULL;
	const char *credir;

	if (strncmp(t, "credential:", 11) == 0) {
		credir = getenv("CREDENTIALS_DIRECTORY");
		if (credir == NULL || *credir != '/')
			conf_fail(cx, n, "%s needs $CREDENTIALS_DIRECTORY "
			    "(systemd LoadCredential=), which is not set", t);
		else
			xasprintf(&r, "%s/%s", credir, t + 11);
	} else if (t[0] == '/')
		r = xstrdup(t);
	else
		xasprintf(&r, "%s%s", cx->dir, t);
	free(t);
	return r != NULL ? r : xstrdup("");
}

int
conf_is_loopback(const char *address)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, address, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, address, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

static void
conf_parse_listen(struct conf_ctx *cx, struct conf *c, const xmlNode *n)
{
	struct conf_listener *l;
	struct in_addr a4;
	struct in6_addr a6;
	char *port, *plain;
	long long p = 0;
	size_t i;

	c->listeners = xreallocarray(c->listeners, c->n_listeners + 1,
	    sizeof(*c->listeners));
	l = &c->listeners[c->n_listeners++];
	memset(l, 0, sizeof(*l));
	l->address = conf_attr(n, "address");
	port = conf_attr(n, "port");
	plain = conf_attr(n, "plaintext");
	if (util_parse_ll(port, 1, 65535, &p) != 0)
		conf_fail(cx, n, "port '%s' is not a number from 1 to 65535",
		    port);
	l->port = (int)p;
	l->plaintext = plain != NULL &&
	    (strcmp(plain, "true") == 0 || strcmp(plain, "1") == 0);
	if (inet_pton(AF_INET, l->address, &a4) != 1 &&
	    inet_pton(AF_INET6, l->address, &a6) != 1)
		conf_fail(cx, n, "address '%s' is not a numeric IPv4 or IPv6 "
		    "address", l->address);
	else if (l->plaintext && !conf_is_loopback(l->address))
		conf_fail(cx, n, "plaintext is allowed only on a loopback "
		    "address, not %s", l->address);
	for (i = 0; i + 1 < c->n_listeners; i++)
		if (c->listeners[i].port == l->port &&
		    strcmp(c->listeners[i].address, l->address) == 0)
			conf_fail(cx, n, "%s port %d is listed twice",
			    l->address, l->port);
	free(port);
	free(plain);
}

static void
conf_parse_tls(struct conf_ctx *cx, struct conf *c, const xmlNode *tls)
{
	const xmlNode *n;

	c->tls_cert = conf_path(cx, conf_child(tls, "certificate"));
	c->tls_key = conf_path(cx, conf_child(tls, "key"));
	c->tls_client_ca = conf_path(cx, conf_child(tls, "client-ca"));
	if ((n = conf_child(tls, "crl")) != NULL)
		c->tls_crl = conf_path(cx, n);
}

static void
conf_parse_database(struct conf_ctx *cx, struct conf *c, const xmlNode *db)
{
	const xmlNode *n;

	c->db_path = conf_path(cx, conf_child(db, "path"));
	c->db_key_file = conf_path(cx, conf_child(db, "key-file"));
	if ((n = conf_child(db, "cache-mb")) != NULL)
		c->db_cache_mb = (int)conf_int(cx, n, 2, 65536);
}

static void
conf_parse_limits(struct conf_ctx *cx, struct conf *c, const xmlNode *lim)
{
	struct conf_limits *l = &c->limits;
	const xmlNode *n;

	for (n = lim->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (conf_is_el(n, "max-body-bytes"))
			l->max_body = (size_t)conf_int(cx, n, 1024, 268435456);
		else if (conf_is_el(n, "max-header-bytes"))
			l->max_header = (size_t)conf_int(cx, n, 1024, 1048576);
		else if (conf_is_el(n, "max-connections"))
			l->max_connections = (int)conf_int(cx, n, 1, 100000);
		else if (conf_is_el(n, "request-timeout"))
			l->request_timeout = (int)conf_int(cx, n, 1, 3600);
		else if (conf_is_el(n, "shutdown-timeout"))
			l->shutdown_timeout = (int)conf_int(cx, n, 1, 10);
		else if (conf_is_el(n, "min-free-disk-mb"))
			l->min_free_disk = (uint64_t)conf_int(cx, n, 0,
			    10000000) * 1024 * 1024;
		else
			conf_fail(cx, n, "unknown element");
	}
}

/*
 * Parse "https://host[:port|:*][/path]" into ep.  Returns 0 or
 * ERR_INVALID.  Hosts are lower-cased; IPv6 literals are bracketed.
 */
static int
conf_endpoint_parse(const char *url, struct conf_endpoint *ep, int allow_any)
{
	const char *h, *he, *p, *path;
	long long port = 0;
	char *ps;
	int r;

	memset(ep, 0, sizeof(*ep));
	if (strncmp(url, "https://", 8) != 0)
		return ERR_INVALID;
	h = url + 8;
	if ((path = strchr(h, '/')) == NULL)
		path = h + strlen(h);
	if (*h == '[') {
		if ((he = memchr(h, ']', (size_t)(path - h))) == NULL)
			return ERR_INVALID;
		h++;
		p = he + 1;
	} else {
		he = memchr(h, ':', (size_t)(path - h));
		if (he == NULL)
			he = path;
		p = he;
	}
	if (he == h)
		return ERR_INVALID;
	if (p < path) {
		if (*p != ':' || p + 1 == path)
			return ERR_INVALID;
		ps = xstrndup(p + 1, (size_t)(path - p - 1));
		if (allow_any && strcmp(ps, "*") == 0)
			r = 0;
		else
			r = util_parse_ll(ps, 1, 65535, &port);
		free(ps);
		if (r != 0)
			return ERR_INVALID;
	} else
		port = 443;
	ep->host = xstrndup(h, (size_t)(he - h));
	for (char *q = ep->host; *q != '\0'; q++) {
		*q = (char)tolower((unsigned char)*q);
		if (!isalnum((unsigned char)*q) && *q != '.' && *q != '-' &&
		    *q != ':') {
			FREE(ep->host);
			return ERR_INVALID;
		}
	}
	ep->port = (int)port;
	ep->path = xstrdup(*path == '\0' ? "/" : path);
	return 0;
}

static void
conf_parse_system(struct conf_ctx *cx, struct conf *c, const xmlNode *sn)
{
	struct conf_system *s;
	const xmlNode *n;
	char *fp, *v;
	unsigned int bit;

	c->systems = xreallocarray(c->systems, c->n_systems + 1,
	    sizeof(*c->systems));
	s = &c->systems[c->n_systems++];
	memset(s, 0, sizeof(*s));
	s->name = conf_attr(sn, "name");
	for (n = sn->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (conf_is_el(n, "certificate")) {
			fp = conf_attr(n, "fingerprint");
			s->subject = conf_attr(n, "subject");
			if (fp == NULL && s->subject == NULL)
				conf_fail(cx, n, "system %s: give a fingerprint "
				    "or a subject", s->name);
			if (fp != NULL) {
				if (util_unhex(fp + 7, s->fingerprint,
				    CONF_FP_LEN) != 0)
					conf_fail(cx, n, "bad fingerprint");
				s->has_fingerprint = 1;
			}
			free(fp);
		} else if (conf_is_el(n, "organisation")) {
			s->ods = xreallocarray(s->ods, s->n_ods + 1,
			    sizeof(*s->ods));
			s->ods[s->n_ods++] = conf_attr(n, "ods");
		} else if (conf_is_el(n, "permission")) {
			v = conf_text(n);
			for (bit = 1; bit <= CONF_PERM_ADMIN; bit <<= 1)
				if (strcmp(v, conf_perm_name(bit)) == 0)
					break;
			if (bit > CONF_PERM_ADMIN)
				conf_fail(cx, n, "unknown permission '%s'", v);
			else if (s->perms & bit)
				conf_fail(cx, n, "permission '%s' given twice",
				    v);
			s->perms |= bit;
			free(v);
		} else if (conf_is_el(n, "endpoint")) {
			v = conf_attr(n, "url");
			s->endpoints = xreallocarray(s->endpoints,
			    s->n_endpoints + 1, sizeof(*s->endpoints));
			if (conf_endpoint_parse(v, &s->endpoints[s->n_endpoints],
			    1) != 0)
				conf_fail(cx, n, "url '%s' is not https://HOST"
				    "[:PORT|:*][/PATH]", v);
			else
				s->n_endpoints++;
			free(v);
		} else
			conf_fail(cx, n, "unknown element");
	}
}

static void
conf_check_systems(struct conf_ctx *cx, const struct conf *c,
    const xmlNode *systems)
{
	const xmlNode *n = systems->children;
	size_t i, j;

	for (i = 0; i < c->n_systems; i++) {
		while (n != NULL && !conf_is_el(n, "system"))
			n = n->next;
		for (j = 0; j < i; j++) {
			if (c->systems[i].has_fingerprint &&
			    c->systems[j].has_fingerprint &&
			    memcmp(c->systems[i].fingerprint,
			    c->systems[j].fingerprint, CONF_FP_LEN) == 0)
				conf_fail(cx, n, "system %s has the same "
				    "certificate fingerprint as system %s",
				    c->systems[i].name, c->systems[j].name);
			if (c->systems[i].subject != NULL &&
			    c->systems[j].subject != NULL &&
			    strcmp(c->systems[i].subject,
			    c->systems[j].subject) == 0)
				conf_fail(cx, n, "system %s has the same "
				    "certificate subject as system %s",
				    c->systems[i].name, c->systems[j].name);
		}
		if (n != NULL)
			n = n->next;
	}
}

static void
conf_defaults(struct conf *c)
{
	c->db_cache_mb = 64;
	c->log_level = LOG_LEVEL_INFO;
	c->limits.max_body = 10 * 1024 * 1024;
	c->limits.max_header = 16 * 1024;
	c->limits.max_connections = 1024;
	c->limits.request_timeout = 30;
	c->limits.shutdown_timeout = 10;
	c->limits.min_free_disk = 64ULL * 1024 * 1024;
}

/* Walk the (schema-valid) document into c. */
static void
conf_walk(struct conf_ctx *cx, struct conf *c, const xmlNode *root)
{
	const xmlNode *n;
	char *v;

	for (n = root->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (conf_is_el(n, "listen"))
			conf_parse_listen(cx, c, n);
		else if (conf_is_el(n, "tls"))
			conf_parse_tls(cx, c, n);
		else if (conf_is_el(n, "database"))
			conf_parse_database(cx, c, n);
		else if (conf_is_el(n, "control-socket"))
			c->control_socket = conf_path(cx, n);
		else if (conf_is_el(n, "user")) {
			c->user = conf_text(n);
			if (getpwnam(c->user) == NULL)
				conf_fail(cx, n, "no such user '%s'", c->user);
		} else if (conf_is_el(n, "log")) {
			if ((v = conf_attr(n, "level")) != NULL)
				c->log_level = log_level_parse(v);
			free(v);
			v = conf_attr(n, "destination");
			c->log_syslog = v != NULL && strcmp(v, "syslog") == 0;
			free(v);
		} else if (conf_is_el(n, "limits"))
			conf_parse_limits(cx, c, n);
		else if (conf_is_el(n, "systems")) {
			const xmlNode *sn;

			for (sn = n->children; sn != NULL; sn = sn->next)
				if (conf_is_el(sn, "system"))
					conf_parse_system(cx, c, sn);
			conf_check_systems(cx, c, n);
		} else
			conf_fail(cx, n, "unknown element");
	}
}

/*
 * The directory relative paths are taken from, absolute and ending in '/',
 * so that what `carehubd -t -f conf` checks is what the daemon opens even
 * when it was given a relative configuration path.
 */
static char *
conf_dirname(const char *name)
{
	const char *slash = strrchr(name, '/');
	char cwd[4096], *dir, *r;

	dir = slash == NULL ? xstrdup("") :
	    xstrndup(name, (size_t)(slash - name) + 1);
	if (name[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return dir[0] != '\0' ? dir : (free(dir), xstrdup("./"));
	xasprintf(&r, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, dir);
	free(dir);
	return r;
}

int
conf_load_buf(const char *buf, size_t len, const char *name,
    struct conf **confp, char *err, size_t errlen)
{
	struct conf_ctx cx = { name, NULL, err, errlen, 0 };
	struct conf *c = NULL;
	xmlSchemaValidCtxtPtr vctx = NULL;
	xmlSchemaPtr schema;
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	int r = ERR_CONFIG;

	*confp = NULL;
	if (errlen > 0)
		err[0] = '\0';
	cx.dir = conf_dirname(name);
	if ((r = xml_safe_parse(buf, len, name, CONF_MAX_FILE, CONF_MAX_DEPTH,
	    &doc, err, errlen)) != 0) {
		cx.failed = 1;
		goto out;
	}
	r = ERR_CONFIG;
	root = xmlDocGetRootElement(doc);
	if (root == NULL || !conf_is_el(root, "carehub")) {
		conf_fail(&cx, root, "the root element must be <carehub "
		    "xmlns=\"%s\">", CONF_NS);
		goto out;
	}
	if ((schema = conf_schema_get()) == NULL) {
		conf_fail(&cx, NULL, "internal error: built-in schema invalid");
		r = ERR_INTERNAL;
		goto out;
	}
	vctx = xmlSchemaNewValidCtxt(schema);
	xmlSchemaSetValidStructuredErrors(vctx, conf_schema_error_cb, &cx);
	if (xmlSchemaValidateDoc(vctx, doc) != 0) {
		conf_fail(&cx, root, "does not match the schema");
		goto out;
	}
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(name);
	conf_defaults(c);
	conf_walk(&cx, c, root);
	if (cx.failed)
		goto out;
	/* success */
	*confp = c;
	c = NULL;	/* transferred */
	r = 0;
 out:
	conf_free(c);
	xmlSchemaFreeValidCtxt(vctx);
	xmlFreeDoc(doc);
	free(cx.dir);
	return r;
}

int
conf_load(const char *path, struct conf **confp, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	*confp = NULL;
	if ((r = util_read_file(path, CONF_MAX_FILE, &buf, &len)) != 0) {
		snprintf(err, errlen, "%s: cannot read configuration: %s",
		    path, r == ERR_TOO_LARGE ? "file too large" :
		    strerror(errno));
		return r;
	}
	r = conf_load_buf(buf, len, path, confp, err, errlen);
	free(buf);
	return r;
}

static void
conf_system_clear(struct conf_system *s)
{
	size_t i;

	free(s->name);
	free(s->subject);
	for (i = 0; i < s->n_ods; i++)
		free(s->ods[i]);
	free(s->ods);
	for (i = 0; i < s->n_endpoints; i++) {
		free(s->endpoints[i].host);
		free(s->endpoints[i].path);
	}
	free(s->endpoints);
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_listeners; i++)
		free(c->listeners[i].address);
	free(c->listeners);
	for (i = 0; i < c->n_systems; i++)
		conf_system_clear(&c->systems[i]);
	free(c->systems);
	free(c->path);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_client_ca);
	free(c->tls_crl);
	free(c->db_path);
	free(c->db_key_file);
	free(c->control_socket);
	free(c->user);
	free(c);
}

const struct conf_system *
conf_system_find(const struct conf *conf, const unsigned char *fp,
    const char *subject)
{
	const struct conf_system *s;
	size_t i;

	/* a system that names both must match both */
	for (i = 0; i < conf->n_systems; i++) {
		s = &conf->systems[i];
		if (s->has_fingerprint && (fp == NULL ||
		    memcmp(s->fingerprint, fp, CONF_FP_LEN) != 0))
			continue;
		if (s->subject != NULL && (subject == NULL ||
		    strcmp(s->subject, subject) != 0))
			continue;
		if (s->has_fingerprint || s->subject != NULL)
			return s;
	}
	return NULL;
}

int
conf_system_has_ods(const struct conf_system *sys, const char *ods)
{
	size_t i;

	for (i = 0; i < sys->n_ods; i++)
		if (strcmp(sys->ods[i], ods) == 0)
			return 1;
	return 0;
}

const char *
conf_perm_name(unsigned int perm)
{
	switch (perm) {
	case CONF_PERM_SUBMIT:	return "submit";
	case CONF_PERM_READ:	return "read";
	case CONF_PERM_AUDIT:	return "audit";
	case CONF_PERM_ADMIN:	return "admin";
	}
	return NULL;
}

int
conf_system_allows_endpoint(const struct conf_system *sys, const char *url)
{
	struct conf_endpoint want, *ep;
	size_t i, plen;
	int ok = 0;

	if (conf_endpoint_parse(url, &want, 0) != 0)
		return 0;
	for (i = 0; i < sys->n_endpoints && !ok; i++) {
		ep = &sys->endpoints[i];
		plen = strlen(ep->path);
		if (strcmp(ep->host, want.host) != 0)
			continue;
		if (ep->port != 0 && ep->port != want.port)
			continue;
		if (strncmp(want.path, ep->path, plen) != 0)
			continue;
		/* "/a" allows "/a", "/a/..." and "/a?..." but not "/ab" */
		if (ep->path[plen - 1] == '/' || want.path[plen] == '\0' ||
		    want.path[plen] == '/' || want.path[plen] == '?')
			ok = 1;
	}
	free(want.host);
	free(want.path);
	return ok;
}
