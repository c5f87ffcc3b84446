/* SPDX-License-Identifier: ISC */
/*
 * http_api.c: the route table and the handlers of the foundation's
 * endpoints: /fhir/metadata, /healthz, /readyz and /metrics.
 *
 * Owns what each route answers.  The CapabilityStatement is generated from
 * the route table itself, so it lists exactly what is implemented.  Does
 * not own connections, identity or reply framing (http_server.c).
 */
#include "config.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "conf.h"
#include "db.h"
#include "db_writer.h"
#include "fhir.h"
#include "http_int.h"
#include "log.h"
#include "util.h"

static http_handler_fn http_api_metadata, http_api_healthz, http_api_readyz,
    http_api_metrics;

#define GET_HEAD (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD)

const struct http_route http_routes[] = {
	{ "/fhir/metadata", GET_HEAD, http_api_metadata, 0, 1, NULL, NULL },
	{ "/healthz", GET_HEAD, http_api_healthz, 0, 1, NULL, NULL },
	{ "/readyz", GET_HEAD, http_api_readyz, 0, 1, NULL, NULL },
	{ "/metrics", GET_HEAD, http_api_metrics, CONF_PERM_ADMIN, 0, NULL,
	    NULL },
};
const size_t http_n_routes = NELEMS(http_routes);

struct fhir_cap_entry *
http_api_capabilities(size_t *np)
{
	struct fhir_cap_entry *e = xcalloc(http_n_routes, sizeof(*e));
	size_t i, n = 0;

	for (i = 0; i < http_n_routes; i++) {
		if (http_routes[i].fhir_interaction == NULL)
			continue;
		e[n].type = http_routes[i].fhir_type;
		e[n].interaction = http_routes[i].fhir_interaction;
		n++;
	}
	*np = n;
	return e;
}

static void
http_api_metadata(struct http_req *req)
{
	size_t n, len = 0;
	struct fhir_cap_entry *e = http_api_capabilities(&n);
	char *xml = fhir_capability_xml(e, n, PACKAGE_VERSION, &len);

	http_reply(req, 200, FHIR_XML_MIME "; charset=utf-8", xml, len);
	free(xml);
	free(e);
}

static void
http_api_healthz(struct http_req *req)
{
	http_reply(req, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

/* Free bytes available to the service user on the database's filesystem. */
static int
http_api_free_disk(const char *db_path, unsigned long long *freep)
{
	struct statvfs sv;
	char *copy = xstrdup(db_path);
	int r = -1;

	if (statvfs(dirname(copy), &sv) == 0) {
		*freep = (unsigned long long)sv.f_bavail * sv.f_frsize;
		r = 0;
	}
	free(copy);
	return r;
}

static void
http_api_readyz(struct http_req *req)
{
	const struct conf *conf = req->srv->conf;
	unsigned long long free_bytes = 0;
	const char *dbs = "ok", *ws = "ok", *ds = "ok";
	char body[256];
	int n, ready;

	if (req->srv->rdb == NULL || db_ping(req->srv->rdb) != 0)
		dbs = "failing";
	if (req->srv->writer == NULL ||
	    !db_writer_is_healthy(req->srv->writer))
		ws = "failing";
	if (http_api_free_disk(conf->db_path, &free_bytes) != 0)
		ds = "unknown";
	else if (free_bytes < conf->limits.min_free_disk)
		ds = "low";
	ready = strcmp(dbs, "ok") == 0 && strcmp(ws, "ok") == 0 &&
	    strcmp(ds, "ok") == 0;
	if (!ready)
		log_warn("not ready | database=%s writer=%s disk=%s", dbs, ws,
		    ds);
	n = snprintf(body, sizeof(body), "{\"status\":\"%s\",\"database\":"
	    "\"%s\",\"writer\":\"%s\",\"disk\":\"%s\",\"free_disk_bytes\":"
	    "%llu}\n", ready ? "ready" : "not ready", dbs, ws, ds, free_bytes);
	http_reply(req, ready ? 200 : 503, "application/json", body,
	    (size_t)n);
}

static void
http_api_metrics(struct http_req *req)
{
	struct evbuffer *out = evbuffer_new();
	size_t len;
	char *text;

	http_metrics_render(req->srv, out);
	len = evbuffer_get_length(out);
	text = xmalloc(len + 1);
	evbuffer_remove(out, text, len);
	evbuffer_free(out);
	http_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", text,
	    len);
	free(text);
}
