/* The HTTP(S) glue: one libmicrohttpd daemon per listening socket, each with
 * its own internal polling thread (event-driven, so a slow client only
 * holds its own connection until the timeout). Bodies are collected here up
 * to WITNESS_BODY_MAX; the decision is witness_serve()'s, under one lock
 * shared by every daemon and by the periodic sweep. */
#include "witness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/log.h"

#define HTTP_TIMEOUT_S 10                    /* a connection idle this long is closed */
#define HTTP_CONN_MAX 256                    /* connections per listening address */
#define HTTP_PER_IP_MAX 64                   /* connections per client address */
#define NOISE_LOG_USEC (1 * VG_USEC_PER_SEC) /* at most one line of noise per second */

struct http_server {
    struct witness *w;
    pthread_mutex_t lock; /* w */
    int n;
    struct MHD_Daemon *daemons[WITNESS_MAX_LISTEN];
    atomic_bool serving; /* every daemon started */
    /* noise: refused requests and libmicrohttpd's complaints, rate-limited */
    pthread_mutex_t noise_lock;
    vg_usec_t noise_last;
    unsigned noise_dropped;
};

/* One request in progress. */
struct conn {
    char *body;
    size_t len;      /* bytes kept in body */
    size_t received; /* body bytes received, kept or not */
    bool keep;       /* the request may be served: keep its body */
    bool too_big;
    char peer[WITNESS_ADDR_MAX];
};

static const char oom_body[] = "{\"error\":\"out of memory\"}";

bool http_tls_supported(void)
{
    return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

/* Log a line of noise (a refused request, a complaint of libmicrohttpd
 * about a client): a flood of bad clients must not flood the log, so at most
 * one line per NOISE_LOG_USEC, saying how many were left out before it. */
__attribute__((format(printf, 3, 0))) static void
log_noise(struct http_server *s, enum log_level level, const char *fmt, va_list ap)
{
    vg_usec_t now = clock_now();
    char line[1024];

    pthread_mutex_lock(&s->noise_lock);
    if (s->noise_last != 0 && now - s->noise_last < NOISE_LOG_USEC) {
        s->noise_dropped++;
        pthread_mutex_unlock(&s->noise_lock);
        return;
    }
    vsnprintf(line, sizeof(line), fmt, ap);
    if (s->noise_dropped)
        log_msg(level, "%s (and %u similar line(s) left out)", line, s->noise_dropped);
    else
        log_msg(level, "%s", line);
    s->noise_last = now;
    s->noise_dropped = 0;
    pthread_mutex_unlock(&s->noise_lock);
}

__attribute__((format(printf, 3, 4))) static void noise(struct http_server *s, enum log_level level,
                                                        const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_noise(s, level, fmt, ap);
    va_end(ap);
}

/* libmicrohttpd's own messages: errors while starting (a bad certificate),
 * noise once serving (malformed requests, the connection limit). */
__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct http_server *s = cls;
    char line[512];
    size_t len;

    vsnprintf(line, sizeof(line), fmt, ap);
    len = strlen(line);
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    if (!atomic_load(&s->serving))
        log_err("http: %s", line);
    else
        noise(s, LOG_LVL_INFO, "http: %s", line);
}

/* The client's address, without the port: that is what names a node's
 * machine in the log. */
static void peer_address(struct MHD_Connection *mc, char *buf, size_t size)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char host[INET6_ADDRSTRLEN] = "?";

    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host, sizeof(host));
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, host, sizeof(host));
    }
    snprintf(buf, size, "%s", host);
}

/* Log what happened to a request: arbitrations always, in the order they
 * were decided (so under the lock); refusals as noise (a misconfigured node
 * retries often), after it. */
static void log_reply(struct http_server *s, const char *method, const char *url,
                      const struct conn *c, const struct witness_reply *rep, bool locked)
{
    if (rep->note[0] == '\0')
        return;
    if (rep->status < 400 && locked)
        log_notice("%s", rep->note);
    else if (rep->status >= 400 && !locked)
        noise(s, rep->status >= 500 ? LOG_LVL_WARN : LOG_LVL_INFO, "%d to %s %s from %s: %s",
              rep->status, method, url, c->peer, rep->note);
}

/* Serve the request whose body is complete (or given up on) and queue the
 * reply. */
static enum MHD_Result answer(struct http_server *s, struct MHD_Connection *mc, struct conn *c,
                              const char *method, const char *url)
{
    struct witness_request req = {
        .method = method,
        .path = url,
        .authorization =
            MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
        .body = c->body,
        .body_len = c->len,
        .body_too_big = c->too_big,
        .peer = c->peer,
    };
    struct witness_reply rep;
    struct MHD_Response *resp;
    enum MHD_Result ret;
    unsigned status;
    vg_usec_t now;

    pthread_mutex_lock(&s->lock);
    now = clock_now();
    witness_serve(s->w, &req, now, &rep);
    log_reply(s, method, url, c, &rep, true);
    pthread_mutex_unlock(&s->lock);
    log_reply(s, method, url, c, &rep, false);

    status = rep.body ? (unsigned)rep.status : MHD_HTTP_INTERNAL_SERVER_ERROR;
    if (rep.body)
        resp = MHD_create_response_from_buffer(strlen(rep.body), rep.body, MHD_RESPMEM_MUST_FREE);
    else
        resp = MHD_create_response_from_buffer(sizeof(oom_body) - 1, (void *)oom_body,
                                               MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        witness_reply_free(&rep);
        return MHD_NO;
    }
    rep.body = NULL; /* the response owns it now */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (rep.allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rep.allow);
    if (rep.challenge)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer realm=\"vigil-witness\"");
    ret = MHD_queue_response(mc, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Keep up to WITNESS_BODY_MAX bytes of body; count and drop the rest. */
static int take_body(struct conn *c, const char *data, size_t n)
{
    c->received += n;
    if (!c->keep || c->too_big)
        return 0;
    if (c->len + n > WITNESS_BODY_MAX) {
        c->too_big = true;
        free(c->body);
        c->body = NULL;
        c->len = 0;
        return 0;
    }
    if (!c->body) {
        /* One allocation of the most a body may be: no reallocs. */
        c->body = malloc(WITNESS_BODY_MAX);
        if (!c->body)
            return -ENOMEM;
    }
    memcpy(c->body + c->len, data, n);
    c->len += n;
    return 0;
}

/* The declared body length, or 0 when none is declared (chunked, or none). */
static unsigned long long content_length(struct MHD_Connection *mc)
{
    const char *v =
        MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

    return v ? strtoull(v, NULL, 10) : 0;
}

/* libmicrohttpd calls this first when the headers are in, then once per
 * piece of body, then once more with no data when the body is complete. A
 * body past WITNESS_BODY_MAX is read and dropped so that the 413 reaches the
 * client (closing on unread data would reset the connection), but only up to
 * WITNESS_DRAIN_MAX: past that the 413 goes at once. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct http_server *s = cls;
    struct conn *c = *con_cls;

    if (!c) {
        c = calloc(1, sizeof(*c));
        if (!c)
            return MHD_NO;
        *con_cls = c;
        peer_address(mc, c->peer, sizeof(c->peer));
        /* Tokens are read-only once serving: no lock needed. */
        c->keep = witness_precheck(s->w, method, url,
                                   MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
                                                               MHD_HTTP_HEADER_AUTHORIZATION)) == 0;
        if (content_length(mc) > WITNESS_DRAIN_MAX) {
            c->too_big = true;
            return answer(s, mc, c, method, url);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (take_body(c, upload_data, *upload_data_size) < 0)
            return MHD_NO;
        *upload_data_size = 0;
        if (c->received > WITNESS_DRAIN_MAX)
            return answer(s, mc, c, method, url);
        return MHD_YES;
    }
    return answer(s, mc, c, method, url);
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct conn *c = *con_cls;

    if (!c)
        return;
    free(c->body);
    free(c);
    *con_cls = NULL;
}

int http_start(struct http_server **out, struct witness *w, const int *fds, int n_fds,
               const char *cert_pem, const char *key_pem)
{
    struct http_server *s;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    int i;

    if (n_fds > WITNESS_MAX_LISTEN)
        return -EINVAL;
    if (cert_pem)
        flags |= MHD_USE_TLS;
    s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->w = w;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->noise_lock, NULL);
    for (i = 0; i < n_fds; i++) {
        struct MHD_OptionItem opts[] = {
            {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, s},
            {MHD_OPTION_LISTEN_SOCKET, fds[i], NULL},
            {MHD_OPTION_CONNECTION_TIMEOUT, HTTP_TIMEOUT_S, NULL},
            {MHD_OPTION_CONNECTION_LIMIT, HTTP_CONN_MAX, NULL},
            {MHD_OPTION_PER_IP_CONNECTION_LIMIT, HTTP_PER_IP_MAX, NULL},
            {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s},
            {cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, (void *)cert_pem},
            {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)key_pem},
            {MHD_OPTION_END, 0, NULL},
        };
        s->daemons[i] = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY,
                                         opts, MHD_OPTION_END);
        if (!s->daemons[i])
            break;
        s->n++;
    }
    if (i < n_fds) {
        /* Sockets not yet handed over are still ours to close. */
        for (int j = i + 1; j < n_fds; j++)
            close(fds[j]);
        http_stop(s);
        return -EIO;
    }
    atomic_store(&s->serving, true);
    *out = s;
    return 0;
}

void http_tick(struct http_server *s, vg_usec_t now)
{
    pthread_mutex_lock(&s->lock);
    registry_sweep(&s->w->reg, now);
    pthread_mutex_unlock(&s->lock);
}

void http_stop(struct http_server *s)
{
    if (!s)
        return;
    /* Joins each daemon's thread and closes its socket and connections. */
    for (int i = 0; i < s->n; i++)
        MHD_stop_daemon(s->daemons[i]);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->noise_lock);
    free(s);
}
