/* SPDX-License-Identifier: ISC */
/*
 * ctl_demo.c: `carehubctl demo-init DIR [--port N]`.
 *
 * Writes a complete, working demo into one directory: a demo CA; the
 * server certificate carehubd presents; client certificates for four demo
 * systems (a GP practice, an acute trust, an MDT viewer and the IG console
 * of the organisation operating the hub); carehub's own client certificate
 * for delivering notifications; a server certificate for test notification
 * receivers; a database key and database; carehub.conf, validated with
 * conf_load() and cross-checked (every system is found by its certificate
 * fingerprint); and demo.env, which exports every path as CAREHUB_*.
 *
 * Owns the demo's layout and contents.  Does not own certificate
 * generation (ctl_pki.c), the database (db.c) or the configuration format
 * (conf.c and schemas/carehub-conf.xsd).  Either the whole demo is written
 * or, on failure, every file this run wrote is removed again; existing
 * files are never overwritten.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "conf.h"
#include "ctl.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "util.h"

#define DEMO_CONF	"carehub.conf"
#define DEMO_ENV	"demo.env"
#define DEMO_DB		"carehub.db"
#define DEMO_DB_KEY	"db.key"
#define DEMO_SOCKET	"carehubd.sock"
#define DEMO_HUB_ODS	"Q99"	/* the organisation operating the hub */
#define DEMO_SAN	"DNS:localhost,IP:127.0.0.1,IP:::1"
#define DEMO_CONF_NS	"urn:carehub:conf:1"
#define DEMO_MAX_FILES	40

/* A demo client system: files BASE.crt/BASE.key, CAREHUB_ENV_* variables. */
struct demo_system {
	const char	*base;
	const char	*env;
	const char	*name;	/* system name and certificate CN */
	const char	*ods;	/* organisation and certificate O */
	unsigned int	 perms;	/* CONF_PERM_* */
};

static const struct demo_system demo_systems[] = {
	{ "gp", "GP", "gp-practice-system", "A99901",
	    CONF_PERM_SUBMIT | CONF_PERM_READ },
	{ "acute", "ACUTE", "acute-trust-epr", "R9Z",
	    CONF_PERM_SUBMIT | CONF_PERM_READ },
	{ "mdt", "MDT", "mdt-viewer", "R9Y", CONF_PERM_READ },
	{ "ig", "IG", "ig-console", DEMO_HUB_ODS,
	    CONF_PERM_AUDIT | CONF_PERM_ADMIN },
};

/* Any HTTPS port on loopback: where the demo's test receivers listen. */
static const char *const demo_endpoints[] = {
	"https://127.0.0.1:*/",
	"https://localhost:*/",
};

static const struct {
	const char	*name;
	const char	*value;
} demo_limits[] = {
	{ "max-body-bytes", "10485760" },
	{ "max-header-bytes", "16384" },
	{ "max-connections", "1024" },
	{ "request-timeout", "30" },
	{ "shutdown-timeout", "10" },
	{ "min-free-disk-mb", "64" },
};

/* Every file the demo writes besides the client systems' pairs. */
static const char *const demo_files[] = {
	DEMO_CONF, DEMO_ENV, DEMO_DB, DEMO_DB_KEY, DEMO_SOCKET,
	"ca.crt", "ca.key", "server.crt", "server.key",
	"hub.crt", "hub.key", "receiver.crt", "receiver.key",
};

struct demo {
	char		*dir;		/* absolute, no trailing '/' */
	int		 port;
	int		 created_dir;
	char		*written[DEMO_MAX_FILES];
	size_t		 n_written;
	X509		*ca;
	EVP_PKEY	*ca_key;
	char		 fp[NELEMS(demo_systems)][CTL_PKI_FP_TEXT_LEN];
	char		*err;
	size_t		 errlen;
};

/* A new string "DIR/name". */
static char *
demo_path(const struct demo *d, const char *name)
{
	char *p;

	xasprintf(&p, "%s/%s", d->dir, name);
	return p;
}

/* Remember that path is ours to remove if the demo fails. */
static void
demo_track(struct demo *d, const char *path)
{
	assert(d->n_written < NELEMS(d->written));
	d->written[d->n_written++] = xstrdup(path);
}

/* Undo a failed demo: remove what this run wrote, then dir if we made it. */
static void
demo_undo(struct demo *d)
{
	size_t i;

	for (i = d->n_written; i > 0; i--)
		(void)unlink(d->written[i - 1]);
	if (d->created_dir && d->dir != NULL)
		(void)rmdir(d->dir);
}

static void
demo_free(struct demo *d)
{
	size_t i;

	for (i = 0; i < d->n_written; i++)
		free(d->written[i]);
	free(d->dir);
	X509_free(d->ca);
	EVP_PKEY_free(d->ca_key);
}

/*
 * Create dir (0700) if missing and make d->dir its absolute path, checking
 * that the configuration can hold it and the control socket fits in a
 * sockaddr_un.
 */
static int
demo_prepare_dir(struct demo *d, const char *dir)
{
	struct sockaddr_un sun;
	char real[PATH_MAX];
	struct stat st;
	const char *p;

	if (mkdir(dir, 0700) == 0)
		d->created_dir = 1;
	else if (errno != EEXIST) {
		snprintf(d->err, d->errlen, "creating %s: %s", dir,
		    strerror(errno));
		return ERR_SYSTEM;
	}
	if (stat(dir, &st) != 0 || realpath(dir, real) == NULL) {
		snprintf(d->err, d->errlen, "%s: %s", dir, strerror(errno));
		return ERR_SYSTEM;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(d->err, d->errlen, "%s: not a directory", dir);
		return ERR_INVALID;
	}
	d->dir = xstrdup(real);
	for (p = real; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			snprintf(d->err, d->errlen, "%s: the path holds white "
			    "space or control characters, which carehub.conf "
			    "paths cannot", real);
			return ERR_INVALID;
		}
	if (strlen(real) + 1 + strlen(DEMO_SOCKET) >= sizeof(sun.sun_path)) {
		snprintf(d->err, d->errlen, "%s: path too long for the "
		    "control socket %s (at most %zu bytes)", real, DEMO_SOCKET,
		    sizeof(sun.sun_path) - 1);
		return ERR_INVALID;
	}
	return 0;
}

/* 1 if DIR/name exists (as anything, even a dangling link). */
static int
demo_exists(const struct demo *d, const char *name)
{
	struct stat st;
	char *p = demo_path(d, name);
	int r;

	r = lstat(p, &st) == 0 || errno != ENOENT;
	free(p);
	return r;
}

/* Refuse a directory that already holds a demo or any file we would write. */
static int
demo_check_free(struct demo *d)
{
	char name[64];
	size_t i;

	if (demo_exists(d, DEMO_CONF)) {
		snprintf(d->err, d->errlen, "%s already holds a demo (%s/%s "
		    "exists); use a new directory", d->dir, d->dir, DEMO_CONF);
		return ERR_EXISTS;
	}
	for (i = 0; i < NELEMS(demo_files) + 2 * NELEMS(demo_systems); i++) {
		if (i < NELEMS(demo_files))
			snprintf(name, sizeof(name), "%s", demo_files[i]);
		else
			snprintf(name, sizeof(name), "%s.%s",
			    demo_systems[(i - NELEMS(demo_files)) / 2].base,
			    (i - NELEMS(demo_files)) % 2 ? "key" : "crt");
		if (demo_exists(d, name)) {
			snprintf(d->err, d->errlen, "%s/%s exists: demo-init "
			    "never overwrites files; use a new directory",
			    d->dir, name);
			return ERR_EXISTS;
		}
	}
	return 0;
}

/*
 * Issue BASE.crt/BASE.key as described by spec, signed by the demo CA (or
 * self-signed for the CA itself).  certp may be NULL.
 */
static int
demo_issue(struct demo *d, const char *base,
    const struct ctl_cert_spec *spec, X509 **certp, EVP_PKEY **keyp)
{
	char *crt, *key, *name;
	int r;

	xasprintf(&name, "%s.crt", base);
	crt = demo_path(d, name);
	free(name);
	xasprintf(&name, "%s.key", base);
	key = demo_path(d, name);
	free(name);
	/* Track first: a failed write removes its own temporary file. */
	demo_track(d, key);
	demo_track(d, crt);
	r = ctl_pki_issue(spec, d->ca, d->ca_key, crt, key, certp, keyp,
	    d->err, d->errlen);
	free(crt);
	free(key);
	return r;
}

/* The CA, server, hub and receiver certificates, then the systems'. */
static int
demo_certs(struct demo *d)
{
	struct ctl_cert_spec spec = { CTL_CERT_CA, "carehub demo CA",
	    DEMO_HUB_ODS, NULL };
	X509 *cert = NULL;
	size_t i;
	int r;

	if ((r = demo_issue(d, "ca", &spec, &d->ca, &d->ca_key)) != 0)
		goto out;
	spec = (struct ctl_cert_spec){ CTL_CERT_SERVER, "localhost",
	    DEMO_HUB_ODS, DEMO_SAN };
	if ((r = demo_issue(d, "server", &spec, NULL, NULL)) != 0)
		goto out;
	spec.cn = "carehub demo notification receiver";
	if ((r = demo_issue(d, "receiver", &spec, NULL, NULL)) != 0)
		goto out;
	spec = (struct ctl_cert_spec){ CTL_CERT_CLIENT, "carehubd",
	    DEMO_HUB_ODS, NULL };
	if ((r = demo_issue(d, "hub", &spec, NULL, NULL)) != 0)
		goto out;
	for (i = 0; i < NELEMS(demo_systems); i++) {
		spec.cn = demo_systems[i].name;
		spec.org = demo_systems[i].ods;
		if ((r = demo_issue(d, demo_systems[i].base, &spec, &cert,
		    NULL)) != 0)
			goto out;
		if ((r = ctl_pki_fingerprint(cert, d->fp[i],
		    sizeof(d->fp[i]))) != 0) {
			snprintf(d->err, d->errlen, "%s.crt: fingerprint: %s",
			    demo_systems[i].base, err_str(r));
			goto out;
		}
		X509_free(cert);
		cert = NULL;
	}
	r = 0;
 out:
	X509_free(cert);
	return r;
}

/* db.key (a new raw key) and carehub.db (a new, migrated database). */
static int
demo_database(struct demo *d)
{
	struct db_key *key = NULL;
	char *keyfile = demo_path(d, DEMO_DB_KEY);
	char *path = demo_path(d, DEMO_DB);
	char *wal = NULL, *shm = NULL, msg[512] = "";
	int r;

	xasprintf(&wal, "%s-wal", path);
	xasprintf(&shm, "%s-shm", path);
	demo_track(d, keyfile);
	if ((r = db_key_generate(keyfile)) != 0) {
		snprintf(d->err, d->errlen, "writing %s: %s", keyfile,
		    r == ERR_SYSTEM ? strerror(errno) : err_str(r));
		goto out;
	}
	if ((r = db_key_load(keyfile, &key, msg, sizeof(msg))) != 0) {
		if (*msg != '\0')
			snprintf(d->err, d->errlen, "%s", msg);
		else
			snprintf(d->err, d->errlen, "loading %s: %s", keyfile,
			    err_str(r));
		goto out;
	}
	demo_track(d, path);
	demo_track(d, wal);
	demo_track(d, shm);
	if ((r = db_init(path, key, msg, sizeof(msg))) != 0) {
		if (*msg != '\0')
			snprintf(d->err, d->errlen, "%s", msg);
		else
			snprintf(d->err, d->errlen, "creating database %s: %s",
			    path, err_str(r));
		goto out;
	}
	/* SQLite gives the -wal and -shm files the database file's mode. */
	if (chmod(path, 0600) != 0) {
		snprintf(d->err, d->errlen, "chmod %s: %s", path,
		    strerror(errno));
		r = ERR_SYSTEM;
		goto out;
	}
	r = 0;
 out:
	db_key_free(key);
	free(keyfile);
	free(path);
	free(wal);
	free(shm);
	return r;
}

/*
 * Quote s for a POSIX shell: unchanged if every character is safe,
 * otherwise in single quotes with each ' written as '\''.
 */
static char *
demo_shell_quote(const char *s)
{
	static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-";
	const char *p;
	char *out, *o;
	size_t n = 3;

	if (*s != '\0' && strspn(s, safe) == strlen(s))
		return xstrdup(s);
	for (p = s; *p != '\0'; p++)
		n += *p == '\'' ? 4 : 1;
	o = out = xmalloc(n);
	*o++ = '\'';
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else
			*o++ = *p;
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/*
 * Append "export NAME=VALUE\n" to *bufp (NUL-terminated, reallocated),
 * VALUE quoted as demo_shell_quote() does.
 */
static void
demo_env_add(char **bufp, const char *name, const char *value)
{
	char *q = demo_shell_quote(value), *n;

	xasprintf(&n, "%sexport %s=%s\n", *bufp != NULL ? *bufp : "", name, q);
	free(q);
	free(*bufp);
	*bufp = n;
}

/* export VAR=DIR/file */
static void
demo_env_file(char **bufp, const struct demo *d, const char *var,
    const char *file)
{
	char *p = demo_path(d, file);

	demo_env_add(bufp, var, p);
	free(p);
}

/* DIR/demo.env: every path and setting a demo user or test needs. */
static int
demo_env(struct demo *d)
{
	char *buf = NULL, *url, var[64], file[64];
	char *path = demo_path(d, DEMO_ENV);
	size_t i;
	int r;

	xasprintf(&buf, "# carehub demo environment, written by carehubctl "
	    "demo-init.\n# Use: . %s\n", path);
	xasprintf(&url, "https://127.0.0.1:%d", d->port);
	demo_env_add(&buf, "CAREHUB_URL", url);
	free(url);
	demo_env_file(&buf, d, "CAREHUB_CONF", DEMO_CONF);
	demo_env_file(&buf, d, "CAREHUB_DB", DEMO_DB);
	demo_env_file(&buf, d, "CAREHUB_DB_KEY", DEMO_DB_KEY);
	demo_env_file(&buf, d, "CAREHUB_CA", "ca.crt");
	demo_env_file(&buf, d, "CAREHUB_SERVER_CERT", "server.crt");
	demo_env_file(&buf, d, "CAREHUB_SERVER_KEY", "server.key");
	for (i = 0; i < NELEMS(demo_systems); i++) {
		snprintf(var, sizeof(var), "CAREHUB_%s_CERT",
		    demo_systems[i].env);
		snprintf(file, sizeof(file), "%s.crt", demo_systems[i].base);
		demo_env_file(&buf, d, var, file);
		snprintf(var, sizeof(var), "CAREHUB_%s_KEY",
		    demo_systems[i].env);
		snprintf(file, sizeof(file), "%s.key", demo_systems[i].base);
		demo_env_file(&buf, d, var, file);
		snprintf(var, sizeof(var), "CAREHUB_%s_ODS",
		    demo_systems[i].env);
		demo_env_add(&buf, var, demo_systems[i].ods);
	}
	demo_env_file(&buf, d, "CAREHUB_HUB_CERT", "hub.crt");
	demo_env_file(&buf, d, "CAREHUB_HUB_KEY", "hub.key");
	demo_env_file(&buf, d, "CAREHUB_RECEIVER_CERT", "receiver.crt");
	demo_env_file(&buf, d, "CAREHUB_RECEIVER_KEY", "receiver.key");
	demo_env_file(&buf, d, "CAREHUB_CTL_SOCKET", DEMO_SOCKET);
	demo_track(d, path);
	if ((r = util_write_file_sync(path, buf, strlen(buf), 0644)) != 0)
		snprintf(d->err, d->errlen, "writing %s: %s", path,
		    strerror(errno));
	free(buf);
	free(path);
	return r;
}

/* Add <name>text</name> under parent; libxml2 escapes the text. */
static xmlNodePtr
demo_xml_add(xmlNodePtr parent, xmlNsPtr ns, const char *name,
    const char *text)
{
	xmlNodePtr node;

	node = xmlNewTextChild(parent, ns, (const xmlChar *)name,
	    (const xmlChar *)text);
	if (node == NULL)
		fatal("out of memory building the demo configuration");
	return node;
}

static void
demo_xml_prop(xmlNodePtr node, const char *name, const char *value)
{
	if (xmlNewProp(node, (const xmlChar *)name,
	    (const xmlChar *)value) == NULL)
		fatal("out of memory building the demo configuration");
}

/* <tls>, <database> and <control-socket>, all absolute paths in DIR. */
static void
demo_xml_paths(const struct demo *d, xmlNodePtr root, xmlNsPtr ns)
{
	static const struct {
		const char	*parent;	/* NULL: under root */
		const char	*name;
		const char	*file;
	} items[] = {
		{ "tls", "certificate", "server.crt" },
		{ "tls", "key", "server.key" },
		{ "tls", "client-ca", "ca.crt" },
		{ "database", "path", DEMO_DB },
		{ "database", "key-file", DEMO_DB_KEY },
		{ NULL, "control-socket", DEMO_SOCKET },
	};
	xmlNodePtr parent = NULL;
	const char *pname = NULL;
	char *p;
	size_t i;

	for (i = 0; i < NELEMS(items); i++) {
		if (items[i].parent == NULL)
			parent = root;
		else if (pname == NULL || strcmp(pname, items[i].parent) != 0)
			parent = demo_xml_add(root, ns, items[i].parent, NULL);
		pname = items[i].parent;
		p = demo_path(d, items[i].file);
		demo_xml_add(parent, ns, items[i].name, p);
		free(p);
	}
}

/* One <system>: certificate fingerprint, organisation, permissions and
 * the loopback delivery allow-list. */
static int
demo_xml_system(const struct demo *d, size_t i, xmlNodePtr systems,
    xmlNsPtr ns)
{
	const struct demo_system *s = &demo_systems[i];
	const char *perm;
	unsigned int bit;
	xmlNodePtr sys, node;
	size_t j;

	sys = demo_xml_add(systems, ns, "system", NULL);
	demo_xml_prop(sys, "name", s->name);
	node = demo_xml_add(sys, ns, "certificate", NULL);
	demo_xml_prop(node, "fingerprint", d->fp[i]);
	node = demo_xml_add(sys, ns, "organisation", NULL);
	demo_xml_prop(node, "ods", s->ods);
	for (bit = CONF_PERM_SUBMIT; bit <= CONF_PERM_ADMIN; bit <<= 1) {
		if ((s->perms & bit) == 0)
			continue;
		if ((perm = conf_perm_name(bit)) == NULL) {
			snprintf(d->err, d->errlen, "no name for permission "
			    "0x%x", bit);
			return ERR_INTERNAL;
		}
		demo_xml_add(sys, ns, "permission", perm);
	}
	for (j = 0; j < NELEMS(demo_endpoints); j++) {
		node = demo_xml_add(sys, ns, "endpoint", NULL);
		demo_xml_prop(node, "url", demo_endpoints[j]);
	}
	return 0;
}

/* The configuration document, as text in *bufp (xmlFree()). */
static int
demo_conf_xml(const struct demo *d, xmlChar **bufp, int *lenp)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root, node, systems;
	xmlNsPtr ns;
	char port[16];
	size_t i;
	int r = ERR_INTERNAL;

	*bufp = NULL;
	if ((doc = xmlNewDoc((const xmlChar *)"1.0")) == NULL ||
	    (root = xmlNewDocNode(doc, NULL, (const xmlChar *)"carehub",
	    NULL)) == NULL ||
	    (ns = xmlNewNs(root, (const xmlChar *)DEMO_CONF_NS, NULL)) == NULL)
		fatal("out of memory building the demo configuration");
	xmlSetNs(root, ns);
	xmlDocSetRootElement(doc, root);
	xmlAddPrevSibling(root, xmlNewDocComment(doc, (const xmlChar *)
	    " carehub demo configuration, written by carehubctl demo-init.\n"
	    "     Demo certificates and keys: not for patient data. "));
	node = demo_xml_add(root, ns, "listen", NULL);
	demo_xml_prop(node, "address", "127.0.0.1");
	snprintf(port, sizeof(port), "%d", d->port);
	demo_xml_prop(node, "port", port);
	demo_xml_paths(d, root, ns);
	node = demo_xml_add(root, ns, "log", NULL);
	demo_xml_prop(node, "level", "info");
	demo_xml_prop(node, "destination", "stderr");
	node = demo_xml_add(root, ns, "limits", NULL);
	for (i = 0; i < NELEMS(demo_limits); i++)
		demo_xml_add(node, ns, demo_limits[i].name,
		    demo_limits[i].value);
	systems = demo_xml_add(root, ns, "systems", NULL);
	for (i = 0; i < NELEMS(demo_systems); i++)
		if ((r = demo_xml_system(d, i, systems, ns)) != 0)
			goto out;
	xmlDocDumpFormatMemoryEnc(doc, bufp, lenp, "UTF-8", 1);
	if (*bufp == NULL || *lenp <= 0)
		fatal("out of memory serialising the demo configuration");
	r = 0;
 out:
	xmlFreeDoc(doc);
	return r;
}

/*
 * Check the written configuration the way carehubd will read it: it must
 * load, and each demo system must be found by its certificate fingerprint.
 */
static int
demo_conf_verify(struct demo *d, const char *path)
{
	const struct conf_system *sys;
	unsigned char fp[CONF_FP_LEN];
	struct conf *conf = NULL;
	char msg[1024] = "";
	size_t i;
	int r;

	if ((r = conf_load(path, &conf, msg, sizeof(msg))) != 0) {
		snprintf(d->err, d->errlen, "the demo configuration does not "
		    "load: %s", *msg != '\0' ? msg : err_str(r));
		goto out;
	}
	for (i = 0; i < NELEMS(demo_systems); i++) {
		if (util_unhex(d->fp[i] + 7, fp, sizeof(fp)) != 0 ||
		    (sys = conf_system_find(conf, fp, NULL)) == NULL ||
		    strcmp(sys->name, demo_systems[i].name) != 0) {
			snprintf(d->err, d->errlen, "%s: system %s is not "
			    "found by its certificate fingerprint", path,
			    demo_systems[i].name);
			r = ERR_CONFIG;
			goto out;
		}
	}
	r = 0;
 out:
	conf_free(conf);
	return r;
}

/* Write DIR/carehub.conf, then load it back. */
static int
demo_conf(struct demo *d)
{
	char *path = demo_path(d, DEMO_CONF);
	xmlChar *xml = NULL;
	int len = 0, r;

	if ((r = demo_conf_xml(d, &xml, &len)) != 0)
		goto out;
	demo_track(d, path);
	if ((r = util_write_file_sync(path, xml, (size_t)len, 0644)) != 0) {
		snprintf(d->err, d->errlen, "writing %s: %s", path,
		    strerror(errno));
		goto out;
	}
	r = demo_conf_verify(d, path);
 out:
	xmlFree(xml);
	free(path);
	return r;
}

int
ctl_demo_init(const char *dir, int port, char *err, size_t errlen)
{
	struct demo d;
	int r;

	memset(&d, 0, sizeof(d));
	d.err = err;
	d.errlen = errlen;
	d.port = port;
	if (errlen > 0)
		*err = '\0';
	if (port < 1 || port > 65535) {
		snprintf(err, errlen, "port %d: not in 1..65535", port);
		r = ERR_INVALID;
		goto out;
	}
	if ((r = demo_prepare_dir(&d, dir)) != 0 ||
	    (r = demo_check_free(&d)) != 0 ||
	    (r = demo_certs(&d)) != 0 ||
	    (r = demo_database(&d)) != 0 ||
	    (r = demo_env(&d)) != 0 ||
	    (r = demo_conf(&d)) != 0)
		goto out;
	r = 0;
 out:
	if (r != 0)
		demo_undo(&d);
	demo_free(&d);
	return r;
}
