/* SPDX-License-Identifier: ISC */
/*
 * http_metrics.c: request counters and latency histograms, rendered in the
 * Prometheus text exposition format for /metrics.
 *
 * Owns the counters (loop thread only, so no locking).  Gauges that belong
 * to other modules (connections, database size, writer) are read when the
 * page is rendered.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "db.h"
#include "db_writer.h"
#include "http_int.h"
#include "util.h"

static const double http_buckets[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5, 5, 10,
};
#define HTTP_NBUCKETS NELEMS(http_buckets)

/* Status codes are counted per route in a small open list. */
struct http_status_count {
	int		 route;		/* -1: no route */
	int		 status;
	uint64_t	 count;
};

struct http_metrics {
	size_t		 n_routes;
	struct http_status_count *sc;
	size_t		 n_sc;
	uint64_t	 bucket[HTTP_NBUCKETS + 1];	/* last: +Inf */
	uint64_t	 count;
	double		 sum;
};

struct http_metrics *
http_metrics_new(size_t n_routes)
{
	struct http_metrics *m = xcalloc(1, sizeof(*m));

	m->n_routes = n_routes;
	return m;
}

void
http_metrics_free(struct http_metrics *m)
{
	if (m == NULL)
		return;
	free(m->sc);
	free(m);
}

void
http_metrics_observe(struct http_metrics *m, int route, int status,
    uint64_t usec)
{
	double sec = (double)usec / 1e6;
	size_t i;

	for (i = 0; i < m->n_sc; i++)
		if (m->sc[i].route == route && m->sc[i].status == status)
			break;
	if (i == m->n_sc) {
		m->sc = xreallocarray(m->sc, m->n_sc + 1, sizeof(*m->sc));
		m->sc[m->n_sc].route = route;
		m->sc[m->n_sc].status = status;
		m->sc[m->n_sc].count = 0;
		m->n_sc++;
	}
	m->sc[i].count++;
	for (i = 0; i < HTTP_NBUCKETS && sec > http_buckets[i]; i++)
		;
	m->bucket[i]++;
	m->count++;
	m->sum += sec;
}

void
http_metrics_render(struct http_server *srv, struct evbuffer *out)
{
	struct http_metrics *m = srv->metrics;
	struct db_writer_stats ws;
	uint64_t cum = 0, dbsize = 0;
	size_t i;

	evbuffer_add_printf(out, "# HELP carehub_http_requests_total "
	    "Requests answered, by route and status.\n"
	    "# TYPE carehub_http_requests_total counter\n");
	for (i = 0; i < m->n_sc; i++)
		evbuffer_add_printf(out, "carehub_http_requests_total{route="
		    "\"%s\",code=\"%d\"} %llu\n", m->sc[i].route < 0 ?
		    "unmatched" : http_routes[m->sc[i].route].path,
		    m->sc[i].status, (unsigned long long)m->sc[i].count);
	evbuffer_add_printf(out, "# HELP carehub_http_request_duration_seconds "
	    "Time from a request's arrival to its reply.\n"
	    "# TYPE carehub_http_request_duration_seconds histogram\n");
	for (i = 0; i < HTTP_NBUCKETS; i++) {
		cum += m->bucket[i];
		evbuffer_add_printf(out, "carehub_http_request_duration_seconds"
		    "_bucket{le=\"%g\"} %llu\n", http_buckets[i],
		    (unsigned long long)cum);
	}
	cum += m->bucket[HTTP_NBUCKETS];
	evbuffer_add_printf(out, "carehub_http_request_duration_seconds_bucket"
	    "{le=\"+Inf\"} %llu\n"
	    "carehub_http_request_duration_seconds_sum %.6f\n"
	    "carehub_http_request_duration_seconds_count %llu\n",
	    (unsigned long long)cum, m->sum, (unsigned long long)m->count);
	evbuffer_add_printf(out, "# HELP carehub_http_open_connections "
	    "Client connections open now.\n"
	    "# TYPE carehub_http_open_connections gauge\n"
	    "carehub_http_open_connections %u\n", srv->n_conns);
	if (srv->rdb != NULL && db_size(srv->rdb, &dbsize) == 0)
		evbuffer_add_printf(out, "# HELP carehub_db_size_bytes "
		    "Size of the database file.\n"
		    "# TYPE carehub_db_size_bytes gauge\n"
		    "carehub_db_size_bytes %llu\n",
		    (unsigned long long)dbsize);
	if (srv->writer != NULL) {
		db_writer_stats(srv->writer, &ws);
		evbuffer_add_printf(out, "# HELP carehub_db_writer_batches_total "
		    "Write transactions run by the writer thread.\n"
		    "# TYPE carehub_db_writer_batches_total counter\n"
		    "carehub_db_writer_batches_total %llu\n"
		    "# HELP carehub_db_writer_commit_failures_total "
		    "Write transactions that failed to commit.\n"
		    "# TYPE carehub_db_writer_commit_failures_total counter\n"
		    "carehub_db_writer_commit_failures_total %llu\n"
		    "# HELP carehub_db_writer_healthy 1 while commits succeed.\n"
		    "# TYPE carehub_db_writer_healthy gauge\n"
		    "carehub_db_writer_healthy %d\n",
		    (unsigned long long)ws.batches,
		    (unsigned long long)ws.commit_failures,
		    db_writer_is_healthy(srv->writer));
	}
	evbuffer_add_printf(out, "# HELP carehub_start_time_seconds "
	    "When carehubd started.\n"
	    "# TYPE carehub_start_time_seconds gauge\n"
	    "carehub_start_time_seconds %llu\n",
	    (unsigned long long)(srv->started / 1000000));
}
