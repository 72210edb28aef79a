/* The HTTP(S) client under a witness link: libcurl's multi interface driven
 * by the daemon's sd-event loop, so a slow or dead witness never blocks it.
 * One easy handle per link, reused for every request, so the connection to
 * the witness (or to the proxy, with CONNECT for HTTPS) stays open. */
#ifndef VIGIL_WITNESS_HTTP_H
#define VIGIL_WITNESS_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

#include "../common/clock.h"
#include "../common/limits.h"

struct witness_http;

/* Called from the loop when a request ends: http_status 0 and err set when
 * it failed before an answer (errtext says why); body is NUL-terminated. */
typedef void (*witness_http_done)(struct witness_http *w, long http_status, const char *body,
                                  size_t len, int err, const char *errtext, void *userdata);

struct witness_http_opts {
    const char *url;     /* base URL, e.g. https://witness.example:8443 */
    const char *token;   /* NULL: no Authorization header */
    const char *proxy;   /* NULL or http://proxy:3128 */
    const char *ca_file; /* NULL: the system's CAs */
    vg_usec_t timeout;   /* per request */
    int priority;        /* sd-event priority of its sources */
};

int witness_http_new(struct witness_http **out, sd_event *ev, const struct witness_http_opts *o,
                     witness_http_done done, void *userdata);

/* POST body (JSON) to base URL + path. -EBUSY while a request is in flight. */
int witness_http_post(struct witness_http *w, const char *path, const char *body);

/* GET base URL + path (for HTTP network-partition resolution, where any
 * answer at all proves the path). -EBUSY while a request is in flight. */
int witness_http_get(struct witness_http *w, const char *path);

bool witness_http_busy(const struct witness_http *w);

void witness_http_free(struct witness_http *w);

#endif
